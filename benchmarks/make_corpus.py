"""Generate a synthetic but valid seeds directory for benchmarks.

    python benchmarks/make_corpus.py --docs 1000 --seed 1 --out /tmp/corpus

Every document passes `datapkg validate --strict`: real quotes (exact substrings,
with `occurrence:` or `start:` where a quote repeats), every sentence covered by
units, every actor mentioned by a name or alias, every unit in a relation, a
support tree to the thesis plus attacks (never a support cycle). About a third
of a document's actors come from a fixed pool of recurring actors (same id and
identity fields in every document, some with verified Wikidata ids); the others
are local to the document with corpus-unique ids.

Output is a pure function of (docs, seed): document i only depends on (seed, i),
so the first 1,000 documents of a 10,000-document corpus equal a 1,000-document
corpus with the same seed. The YAML is written by a small emitter (plain scalars
where unambiguous, JSON-style double quotes otherwise): about 20× faster than
yaml.safe_dump, and the test suite checks it parses back to the same data.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import random
import re
import shutil
import sys
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
MARKER = ".make_corpus.json"  # hidden: the loader skips dot-entries
GENERATOR_VERSION = 1
POOL_SEED = "datapkg-actor-pool-v1"  # the pool is the same for every corpus seed

# ---------------------------------------------------------------- vocabulary

TOPICS = [
    "regional security",
    "trade corridors",
    "counter-terrorism cooperation",
    "water sharing",
    "energy transit",
    "refugee protection",
    "debt relief",
    "border management",
    "climate adaptation",
    "vaccine distribution",
    "naval patrols",
    "grain exports",
    "sanctions relief",
    "election monitoring",
    "cyber defence",
    "arms control",
    "humanitarian access",
    "currency stability",
    "rare-earth mining",
    "port concessions",
    "détente",
    "rapprochement",
    "the €4 billion aid package",
    "girls’ education",
    "the “strategic patience” doctrine",
    "nuclear safeguards",
    "fisheries quotas",
    "visa liberalisation",
    "flood reconstruction",
    "the pipeline project",
    "intelligence sharing",
    "minority rights",
    "the ceasefire line",
    "debt-for-nature swaps",
    "drone exports",
    "the customs union",
]
ADJECTIVES = [
    "fragile",
    "durable",
    "costly",
    "overdue",
    "pragmatic",
    "naïve",
    "short-sighted",
    "credible",
    "uneven",
    "reckless",
    "quiet",
    "piecemeal",
    "ambitious",
    "transactional",
    "half-hearted",
    "sustained",
]
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
CITIES = ["Velmar", "Ostrava Nova", "Port Kessin", "Zaravand", "Lúcara", "Hemsby Ridge"]
REFERENTS = {  # phrases annotators add as mentions by hand (`mentions.add`)
    "armed-group": "the group",
    "organisation": "the organisation",
    "international-organisation": "the organisation",
    "coalition": "the alliance",
    "social-group": "the community",
    "government": "the government",
}
# (modality, cue, action template); {B} is the target or beneficiary, {T} a topic.
RECOMMENDATIONS = [
    ("obligation", "must", "reopen talks on {T}", None),
    ("obligation", "must", "press {B} to honour its commitments on {T}", "target"),
    ("advice", "should", "share intelligence with {B}", "target"),
    ("advice", "should", "fund {T} for at least {N} years", None),
    ("advice", "ought to", "put {T} back on the agenda", None),
    ("necessity", "needs to", "support {B} on {T}", "beneficiary"),
    ("necessity", "has to", "privilege engagement over isolation", None),
    ("ability", "can", "help {B} rebuild trust on {T}", "beneficiary"),
    ("possibility", "could", "offer {B} a seat at the table on {T}", "target"),
    ("possibility", "might", "quietly revive {T}", None),
]
TIME_FRAMES = ["in the coming months", "before the end of {Y}", "within {N} years", "by {Y}", "without delay"]

SYLLABLES = [
    "ka", "ver", "lo", "mi", "dra", "sen", "tor", "ba", "ne", "ri", "os", "tel", "va", "zu", "ho", "gan",
    "li", "mer", "qua", "pe", "sar", "dun", "el", "ir", "ost", "val", "bre", "kor", "tha", "um", "ys", "an",
]  # fmt: skip
ACCENTED = {"a": "á", "e": "é", "o": "ø", "u": "ü", "i": "ï"}
STATE_ENDINGS = ["ia", "stan", "land", "ova", "ica", "ea", "or"]
FIRST_NAMES = [
    "Amira", "Tomás", "Zoë", "Idris", "Leila", "Mateo", "Sven", "Nadia", "Oksana", "Ravi", "Chiara", "Kwame",
    "Ingrid", "Farah", "Björn", "Aiyana", "Hugo", "Mei", "Dmitri", "Noor", "Élodie", "Yusuf", "Priya", "Jonas",
]  # fmt: skip


@functools.cache
def stop_words() -> frozenset[str]:
    """Capitalised words of the templates and word lists: an invented name must never be one."""
    texts = [t for forms in TEMPLATES.values() for t, _ in forms]
    texts += TOPICS + CITIES + MONTHS + TIME_FRAMES + list(REFERENTS.values())
    texts += [f"{cue} {action}" for _, cue, action, _ in RECOMMENDATIONS]
    texts += ["Even so", "Protesters gathered on", "To repeat", "In short"]
    return frozenset(w for t in texts for w in re.findall(r"\w+", t) if w[:1].isupper())


# ---------------------------------------------------------------- actors


@dataclass
class ActorDef:
    id: str
    name: str
    kind: str
    aliases: list[str] = field(default_factory=list)
    wikidata: str | None = None
    description: str | None = None
    part_of: list[str] = field(default_factory=list)
    member_of: list[str] = field(default_factory=list)
    article: bool = False  # "the United Nations"

    def surfaces(self) -> list[str]:
        return [self.name, *self.aliases]


# Real actors with ids verified in seeds/wikidata-verified.tsv; the first three are
# defined exactly as in the shipped seed so the corpora can be merged with it.
REAL_ACTORS = [
    ActorDef("united-states", "United States", "state", ["US", "Washington"], "Q30", article=True),
    ActorDef("pakistan", "Pakistan", "state", ["Islamabad"], "Q843"),
    ActorDef("taliban", "Taliban", "armed-group", article=True),
    ActorDef("afghanistan", "Afghanistan", "state", ["Kabul"], "Q889"),
    ActorDef(
        "joe-biden", "Joe Biden", "person", ["Biden"], "Q6279", "President of the United States from 2021 to 2025."
    ),
    ActorDef("imran-khan", "Imran Khan", "person", [], "Q155164", "Prime Minister of Pakistan from 2018 to 2022."),
    ActorDef("qatar", "Qatar", "state", ["Doha"], "Q846"),
    ActorDef("china", "China", "state", ["Beijing"], "Q148"),
    ActorDef("russia", "Russia", "state", ["Moscow"], "Q159"),
    ActorDef("turkey", "Turkey", "state", ["Türkiye", "Ankara"], "Q43"),
    ActorDef("iran", "Iran", "state", ["Tehran"], "Q794"),
    ActorDef("al-qaeda", "al-Qaeda", "armed-group", [], "Q34490"),
    ActorDef("isil", "Islamic State of Iraq and the Levant", "armed-group", ["ISIL"], "Q2429253", article=True),
    ActorDef(
        "cia",
        "Central Intelligence Agency",
        "government-body",
        ["CIA"],
        "Q37230",
        "Foreign intelligence service of the United States.",
        part_of=["united-states"],
        article=True,
    ),
    ActorDef("united-nations", "United Nations", "international-organisation", ["UN"], "Q1065", article=True),
]


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


class Namer:
    """Invented proper nouns that never collide with a surface form already taken."""

    def __init__(self, rng: random.Random, taken: set[str]) -> None:
        self.rng, self.taken = rng, taken

    def word(self, parts: int, ending: str = "") -> str:
        rng = self.rng
        while True:
            body = "".join(rng.choice(SYLLABLES) for _ in range(parts)) + ending
            if rng.random() < 0.12:  # some non-ASCII names
                i = rng.randrange(len(body))
                body = body[:i] + ACCENTED.get(body[i], body[i]) + body[i + 1 :]
            word = body[:1].upper() + body[1:]
            if word not in stop_words():
                return word

    def fresh(self, make: Callable[[], str]) -> str:
        for _ in range(1000):
            candidate = make()
            if candidate not in self.taken:
                self.taken.add(candidate)
                return candidate
        raise RuntimeError("name space exhausted")  # a generator bug, not user data

    def acronym(self, name: str) -> str | None:
        letters = "".join(w[0] for w in name.split() if w[0].isupper())
        if len(letters) < 2 or letters in self.taken:
            return None
        self.taken.add(letters)
        return letters


def invented_actors(rng: random.Random, namer: Namer, count: int, suffix: str = "") -> list[ActorDef]:
    """`count` invented actors with ids ending in `suffix`; a ministry comes after its state."""
    out: list[ActorDef] = []
    ids: set[str] = set()
    while len(out) < count:
        group = _invented_group(rng, namer)
        for a in group:
            a.id = _slug(a.id) + suffix
            a.part_of = [_slug(p) + suffix for p in a.part_of]
        if ids.isdisjoint(a.id for a in group) and len({a.id for a in group}) == len(group):
            out += group
            ids.update(a.id for a in group)
    return out[:count]  # a cut drops a ministry, never the state it is part of


def _invented_group(rng: random.Random, namer: Namer) -> list[ActorDef]:
    """One invented actor (ids are the names; the caller turns them into slugs)."""
    roll = rng.random()
    if roll < 0.22:
        state = namer.fresh(lambda: namer.word(rng.randint(1, 2), rng.choice(STATE_ENDINGS)))
        capital = namer.fresh(lambda: namer.word(rng.randint(2, 3)))
        group = [ActorDef(state, state, "state", [capital], description=f"An invented state ({capital}).")]
        if rng.random() < 0.5:
            ministry = namer.fresh(lambda: f"{state} Ministry of {rng.choice(['Finance', 'Defence', 'Trade'])}")
            body = ActorDef(ministry, ministry, "government-body", description=f"A ministry of {state}.")
            body.part_of, body.article = [state], True
            group.append(body)
        return group
    if roll < 0.45:
        first = rng.choice(FIRST_NAMES)
        last = namer.fresh(lambda: namer.word(rng.randint(2, 3)))
        name = namer.fresh(lambda: f"{first} {last}")
        return [ActorDef(name, name, "person", [last])]
    if roll < 0.62:
        base = namer.word(2)
        name = namer.fresh(lambda: rng.choice([f"{base} Institute", f"{base} Foundation", f"Bank of {base}"]))
        kind, alias = "organisation", namer.acronym(name) if rng.random() < 0.6 else None
    elif roll < 0.72:
        name = namer.fresh(lambda: f"{namer.word(2)} {rng.choice(['Cooperation Council', 'Development Forum'])}")
        kind, alias = "international-organisation", namer.acronym(name)
    elif roll < 0.84:
        name = namer.fresh(lambda: f"{namer.word(2)} {rng.choice(['Front', 'Brigades', 'Movement'])}")
        kind, alias = "armed-group", None
    elif roll < 0.92:
        name = namer.fresh(lambda: f"{namer.word(2)} {rng.choice(['Alliance', 'Pact'])}")
        kind, alias = "coalition", None
    else:
        name = namer.fresh(lambda: f"{namer.word(2)} {rng.choice(['farmers', 'diaspora', 'traders'])}")
        kind, alias = "social-group", None
    return [ActorDef(name, name, kind, [alias] if alias else [], article=True)]


def build_pool(size: int = 200) -> tuple[list[ActorDef], set[str]]:
    """The recurring actors (fixed, independent of the corpus seed) and every surface form they use."""
    rng = random.Random(POOL_SEED)
    taken = {s for a in REAL_ACTORS for s in a.surfaces()} | stop_words()
    namer = Namer(rng, taken)
    pool = list(REAL_ACTORS)
    pool += invented_actors(rng, namer, size - len(pool))
    by_id = {a.id: a for a in pool}
    # Some people belong to an organisation of the pool; the reference must resolve in
    # every document that names them, which `_with_references` takes care of.
    orgs = [a.id for a in pool if a.kind in ("organisation", "coalition") and not a.part_of]
    for a in pool:
        if a.kind == "person" and a.wikidata is None and rng.random() < 0.3:
            a.member_of = [rng.choice(orgs)]
            a.description = f"A member of the {by_id[a.member_of[0]].name}."
    return pool, taken


def _with_references(chosen: list[ActorDef]) -> list[ActorDef]:
    """Close a selection over part_of / member_of (references must resolve in the document)."""
    seen = {a.id for a in chosen}
    out = list(chosen)
    i = 0
    while i < len(out):
        for ref in [*out[i].part_of, *out[i].member_of]:
            if ref not in seen:
                seen.add(ref)
                out.append(POOL_BY_ID[ref])
        i += 1
    return out


# ---------------------------------------------------------------- document text


@dataclass
class Unit:
    local_id: str
    kind: str
    role: str
    span: tuple[int, int] = (0, 0)
    certainty: str = "asserted"
    cues: list[str] = field(default_factory=list)
    about: list[str] = field(default_factory=list)
    rec: dict[str, Any] | None = None
    # (type, target unit local id)
    links: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Clause:
    text: str
    kind: str
    role: str
    about: list[str]
    lower_ok: bool = True  # the first character may be lower-cased when joined after a semicolon
    certainty: str = "asserted"
    cues: list[str] = field(default_factory=list)
    rec: dict[str, Any] | None = None
    date: tuple[int, int] | None = None  # (year, month) this clause states
    referent: tuple[str, str] | None = None  # (actor id, phrase) for a mentions.add rule


# Templates: {A0} an actor ({^A0} at the start of a sentence, {A0's} possessive; the
# same index names the same actor), {T}/{T2} topics, {ADJ}, {N}, {K} thousands, {Y}
# year, {M} month, {CITY}, {CUE} the certainty cue. Roles map to (template, kind).
TEMPLATES: dict[str, list[tuple[str, str]]] = {
    "reason": [
        ("{^A0} has little to gain from {ADJ} {T} without {A1}", "evaluative"),
        ("The case for {T} rests on interests that {A0} and {A1} already share", "evaluative"),
        ("Without {T}, {A0} would lose what leverage it has over {A1}", "causal"),
        ("Because {A0} depends on {T}, it cannot afford a rupture with {A1}", "causal"),
        ("{^A0's} approach to {T} has been {ADJ} at best", "evaluative"),
        ("Far from being a favour to {A0}, {T} serves {A1's} own interests", "evaluative"),
        ("If {A0} abandons {T}, {A1} will fill the vacuum", "conditional"),
    ],
    "evidence": [
        ("In {M} {Y}, {A0} and {A1} signed {N} agreements on {T}", "factual"),
        ("{^A0} cut its spending on {T} by {N} per cent in {M} {Y}", "factual"),
        ("According to {A0}, {K} people were displaced by fighting near {CITY} in {M} {Y}", "factual"),
        ("Trade between {A0} and {A1} reached ${N}.{D} billion in {M} {Y}", "factual"),
        ("{^A0} has hosted {N} rounds of talks with {A1} on {T} since {M} {Y}", "factual"),
    ],
    "background": [
        ("For decades, {A0} has treated {T} as a matter of national prestige", "factual"),
        ("{^A0} first raised the question of {T} at a summit in {CITY} in {Y}", "factual"),
        ("Few issues have shaped {A0's} foreign policy as much as {T}", "factual"),
        ("Since the end of the Cold War, {T} has defined how {A0} sees its neighbourhood", "factual"),
    ],
    "elaboration": [
        ("This is especially true of {T}, where {A0} holds the stronger hand", "evaluative"),
        ("Nowhere is this clearer than in {T}, which {A0} has long neglected", "evaluative"),
        ("The same logic applies to {T} and to {A0's} role in it", "evaluative"),
    ],
    "concession": [
        ("Critics in {A0} argue that {T} rewards {ADJ} behaviour by {A1}", "evaluative"),
        ("It is true that {A0} has repeatedly broken its promises to {A1} on {T}", "evaluative"),
        ("Some will say that {A0} cannot be trusted on {T} after what happened with {A1}", "evaluative"),
    ],
    "rebuttal": [
        ("Yet walking away would only hand {A0} a freer rein over {T}", "evaluative"),
        ("But this objection confuses {T} with {T2}, as {A0} knows well", "evaluative"),
        ("That view, however, ignores how much {A0} has already invested in {T}", "evaluative"),
    ],
    "prediction": [
        ("{^A0} will {CUE} revisit the question of {T} once {A1} moves", "predictive"),
        ("{^A0} is likely to seek closer ties with {A1} if {T} stalls", "predictive"),
        ("If {T} collapses, {A0} may turn to {A1} instead", "predictive"),
    ],
    "thesis": [
        ("{^A0} must rethink its approach to {T}", "normative"),
        ("Cooperation between {A0} and {A1} on {T} is more necessary than ever", "normative"),
        ("Why {A0} cannot afford to ignore {A1}", "evaluative"),
        ("The case for {ADJ} engagement with {A0}", "evaluative"),
    ],
}
WILL_CUES = [
    ("certain", "undoubtedly"),
    ("certain", "almost certainly"),
    ("probable", "probably"),
    ("possible", "perhaps"),
]
FIXED_CUES = {"is likely to": ("probable", "likely"), " may ": ("possible", "may")}
_SLOT = re.compile(r"\{([^}]+)\}")


def _compile(template: str) -> list[str | tuple[str, int, bool, bool]]:
    """Literal strings and slots: ("A", index, at_start, possessive) or (name, 0, False, False)."""
    tokens: list[str | tuple[str, int, bool, bool]] = []
    last = 0
    for m in _SLOT.finditer(template):
        if m.start() > last:
            tokens.append(template[last : m.start()])
        body = m.group(1)
        start, possessive = body.startswith("^"), body.endswith("'s")
        core = body.strip("^").removesuffix("'s")
        if core[0] == "A" and core[1:].isdigit():
            tokens.append(("A", int(core[1:]), start, possessive))
        else:
            tokens.append((core, 0, False, False))
        last = m.end()
    if last < len(template):
        tokens.append(template[last:])
    return tokens


COMPILED = {role: [(_compile(t), kind, t) for t, kind in forms] for role, forms in TEMPLATES.items()}

# The pool needs every template word (see stop_words), so it is built after them.
POOL, POOL_SURFACES = build_pool()
POOL_BY_ID = {a.id: a for a in POOL}


class DocWriter:
    """Writes the clauses of one document, making sure every actor gets mentioned."""

    def __init__(self, rng: random.Random, actors: list[ActorDef]) -> None:
        self.rng = rng
        self.actors = actors
        self.by_id = {a.id: a for a in actors}
        self.queue = [a.id for a in actors]  # actors still waiting for their first mention
        rng.shuffle(self.queue)
        self.used_surfaces: dict[str, set[str]] = {a.id: set() for a in actors}
        self.mention_count: dict[str, int] = dict.fromkeys(self.by_id, 0)

    def pick(self, exclude: list[str]) -> str:
        for i, aid in enumerate(self.queue):
            if aid not in exclude:
                return self.queue.pop(i)
        while True:
            aid = self.rng.choice(self.actors).id
            if aid not in exclude:
                return aid

    def say(self, aid: str, start: bool = False, possessive: bool = False) -> tuple[str, bool]:
        """A surface form of the actor; also whether it starts with an article ("The …")."""
        a = self.by_id[aid]
        rng = self.rng
        surface = a.name if not a.aliases or rng.random() < 0.6 else rng.choice(a.aliases)
        self.used_surfaces[aid].add(surface)
        self.mention_count[aid] += 1
        article = ""
        if surface == a.name and a.article:
            article = "The " if start else "the "
        if possessive:
            surface += rng.choice(["’s", "’s", "'s"])
        return article + surface, bool(article)

    def render(self, role: str, tokens: list, kind: str) -> Clause:
        rng = self.rng
        out: list[str] = []
        cast: list[str] = []
        date_parts: dict[str, int] = {}
        lower_ok = True
        certainty, cues = "asserted", []
        for n, tok in enumerate(tokens):
            if isinstance(tok, str):
                out.append(tok)
                continue
            name, index, start, possessive = tok
            if name == "A":
                while len(cast) <= index:
                    cast.append(self.pick(cast))
                text, has_article = self.say(cast[index], start, possessive)
                if n == 0 and not has_article:
                    lower_ok = False  # the sentence starts with a name: keep its capital
                out.append(text)
            elif name in ("T", "T2"):
                out.append(rng.choice(TOPICS))
            elif name == "ADJ":
                out.append(rng.choice(ADJECTIVES))
            elif name == "N":
                out.append(str(rng.randint(2, 40)))
            elif name == "D":
                out.append(str(rng.randint(1, 9)))
            elif name == "K":
                out.append(f"{rng.randint(2, 90) * 1000:,}")
            elif name == "Y":
                date_parts["year"] = rng.randint(1995, 2024)
                out.append(str(date_parts["year"]))
            elif name == "M":
                date_parts["month"] = rng.randint(1, 12)
                out.append(MONTHS[date_parts["month"] - 1])
            elif name == "CITY":
                out.append(rng.choice(CITIES))
            elif name == "CUE":
                certainty, cue = rng.choice(WILL_CUES)
                cues = [cue]
                out.append(cue)
            else:
                raise KeyError(name)  # a template bug
        text = "".join(out)
        for marker, (fixed_certainty, cue) in FIXED_CUES.items():
            if kind == "predictive" and marker in text:
                certainty, cues = fixed_certainty, [cue]
        date = (date_parts["year"], date_parts["month"]) if len(date_parts) == 2 else None
        public_role = "reason" if role == "prediction" else role
        return Clause(text, kind, public_role, cast, lower_ok, certainty, cues, date=date)

    def clause(self, role: str) -> Clause:
        if role == "recommendation":
            return self._recommendation()
        if role == "elaboration":
            referents = [a for a in self.actors if a.kind in REFERENTS and self.mention_count[a.id] > 0]
            if referents and not self.queue and self.rng.random() < 0.4:  # it names no one from the queue
                a = self.rng.choice(referents)
                phrase = REFERENTS[a.kind]
                text = f"Even so, {phrase} has shown little interest in {self.rng.choice(TOPICS)} — a point worth stressing"
                return Clause(text, "evaluative", "elaboration", [a.id], True, referent=(a.id, phrase))
        tokens, kind, _ = self.rng.choice(COMPILED[role])
        return self.render(role, tokens, kind)

    def _recommendation(self) -> Clause:
        r = self.rng
        modality, cue, action, other = r.choice(RECOMMENDATIONS)
        cast = [self.pick([])]
        subject, has_article = self.say(cast[0], start=True)
        b = None
        if "{B}" in action:
            b = self.pick(cast)
            cast.append(b)
        action_text = action.format(T=r.choice(TOPICS), N=r.randint(2, 10), B="{B}")
        frame = r.choice(TIME_FRAMES).format(Y=r.randint(2025, 2032), N=r.randint(2, 5)) if r.random() < 0.5 else None
        said_action = action_text.replace("{B}", self.say(b)[0]) if b else action_text
        text = f"{subject} {cue} {said_action}" + (f" {frame}" if frame else "")
        rec: dict[str, Any] = {
            "addressees": [cast[0]],
            "action": action_text.replace("{B}", self.by_id[b].name) if b else action_text,
            "modality": modality,
            "modality_cue": cue,
        }
        if b and other == "target":
            rec["targets"] = [b]
        if b and other == "beneficiary":
            rec["beneficiaries"] = [b]
        if frame:
            rec["time_frame"] = frame
        return Clause(text, "normative", "recommendation", cast, has_article, rec=rec)


ROLE_WEIGHTS = [
    ("reason", 18),
    ("evidence", 22),
    ("background", 9),
    ("elaboration", 10),
    ("concession", 8),
    ("prediction", 10),
    ("recommendation", 16),
]
ROLES, WEIGHTS = zip(*ROLE_WEIGHTS, strict=True)


def _title(w: DocWriter) -> Clause:
    tokens, kind, _ = w.rng.choice(COMPILED["thesis"])
    clause = w.render("thesis", tokens, kind)
    clause.lower_ok = False
    return clause


@dataclass
class Doc:
    text: str
    units: list[Unit]
    actors: list[ActorDef]
    aliases: dict[str, list[str]]
    adds: dict[str, list[dict[str, Any]]]
    excludes: dict[str, list[dict[str, Any]]]
    date: dict[str, Any] | None


def generate_document(seed: int, index: int) -> Doc:
    """Document `index` of the corpus with `seed`; depends on nothing else."""
    rng = random.Random(f"{seed}:{index}")
    n_units = rng.randint(20, 60)  # exactly: thesis + body + extras + conclusion
    # Extras after the body: a repeated sentence, a street named after someone (mentions.exclude).
    repeat, avenue = rng.random() < 0.4, rng.random() < 0.3
    n_body = n_units - 2 - repeat - avenue
    # Every body clause takes its first actor from the queue of actors not yet mentioned, so
    # n_actors <= n_body + 1 (the title takes one too) guarantees every actor a mention.
    n_actors = rng.randint(10, min(40, n_body + 1))
    n_pool = rng.randint(n_actors // 4, n_actors // 2 + 2)
    chosen: list[ActorDef] = []
    ids: set[str] = set()
    for candidate in rng.sample(POOL, min(len(POOL), 2 * n_pool + 8)):  # enough candidates; cheaper than a shuffle
        group = [a for a in _with_references([candidate]) if a.id not in ids]
        if len(chosen) + len(group) <= n_pool:
            chosen += group
            ids.update(a.id for a in group)
        if len(chosen) >= n_pool:
            break
    local = invented_actors(rng, Namer(rng, set(POOL_SURFACES)), n_actors - len(chosen), suffix=f"-d{index}")
    actors = chosen + local
    w = DocWriter(rng, actors)

    # Roles in text order: thesis (title), body, conclusion.
    roles = list(rng.choices(ROLES, WEIGHTS, k=n_body))
    if "recommendation" not in roles:
        roles[rng.randrange(len(roles))] = "recommendation"
    # A rebuttal follows some concessions.
    body_roles: list[str] = []
    for role in roles:
        if body_roles and body_roles[-1] == "concession" and rng.random() < 0.6:
            body_roles.append("rebuttal")
        else:
            body_roles.append(role)

    title = _title(w)
    clauses = [w.clause(role) for role in body_roles]
    if w.queue:  # a generator bug: n_actors is bounded so that the body mentions everyone
        raise AssertionError(f"document {index}: actors never mentioned: {w.queue}")

    # Sentences: mostly one clause, sometimes two joined by a semicolon.
    sentences: list[list[Clause]] = []
    i = 0
    while i < len(clauses):
        if i + 1 < len(clauses) and rng.random() < 0.15 and clauses[i + 1].role != "rebuttal":
            sentences.append([clauses[i], clauses[i + 1]])
            i += 2
        else:
            sentences.append([clauses[i]])
            i += 1

    parts: list[str] = []
    pos = 0
    spans: list[tuple[Clause, int, int]] = []

    def emit(s: str) -> int:
        nonlocal pos
        parts.append(s)
        start = pos
        pos += len(s)
        return start

    start = emit(title.text)
    spans.append((title, start, pos))
    emit("\n")
    refrain: tuple[Clause, str] | None = None
    k = 0
    while k < len(sentences):
        size = rng.randint(2, 5)
        for j, sentence in enumerate(sentences[k : k + size]):
            if j:
                emit(" ")
            for c_i, clause in enumerate(sentence):
                text = clause.text
                if c_i:
                    emit("; ")
                    if clause.lower_ok:
                        text = text[:1].lower() + text[1:]
                begin = emit(text)
                spans.append((clause, begin, pos))
            emit(rng.choice([".", ".", ".", ".", "!"]) if sentence[-1].role != "concession" else ".")
            if len(sentence) == 1 and refrain is None and sentence[0].role in ("evidence", "background"):
                refrain = (sentence[0], sentence[0].text)
        emit("\n")
        k += size

    # A refrain: an earlier sentence said again (its quote then needs occurrence/start).
    again_of = None
    if repeat and refrain is not None:
        again = Clause(refrain[1], refrain[0].kind, "elaboration", list(refrain[0].about), False)
        emit(f"To repeat: {refrain[1]}" if refrain[1][:1].isupper() and rng.random() < 0.5 else refrain[1])
        spans.append((again, pos - len(refrain[1]), pos))
        emit(".\n")
        again_of = refrain[0]
    elif repeat:  # nothing to repeat: one more sentence keeps the unit count
        extra = w.clause("background")
        begin = emit(extra.text)
        spans.append((extra, begin, pos))
        emit(".\n")
    # The conclusion restates the title, verbatim or after "In short,".
    conclusion = Clause(title.text, title.kind, "conclusion", list(title.about), False)
    if rng.random() < 0.5:
        begin = emit(title.text)
    else:
        lead = "In short, "
        emit(lead)
        body = title.text[:1].lower() + title.text[1:] if title.text.startswith("The ") else title.text
        conclusion.text = body
        begin = emit(body)
    spans.append((conclusion, begin, pos))
    emit(".\n")
    text = "".join(parts)

    # Units, ids and relations.
    units: list[Unit] = []
    unit_of: dict[int, Unit] = {}
    n_claims = n_recs = 0
    for clause, begin, end in spans:
        if clause.role == "thesis":
            lid = "thesis"
        elif clause.rec is not None:
            n_recs += 1
            lid = f"r{n_recs}"
        else:
            n_claims += 1
            lid = f"c{n_claims}"
        unit = Unit(
            lid,
            clause.kind,
            clause.role,
            (begin, end),
            clause.certainty,
            list(clause.cues),
            list(dict.fromkeys(clause.about)),
            clause.rec,
        )
        units.append(unit)
        unit_of[id(clause)] = unit
    thesis = units[0]
    reasons = [thesis]
    last_concession: Unit | None = None
    for unit in units[1:]:
        role = unit.role
        if role == "conclusion":
            unit.links.append(("restates", thesis.local_id))
        elif role == "concession":
            target = rng.choice(reasons)
            unit.links.append(("attacks", target.local_id))
            last_concession = unit
        elif role == "rebuttal" and last_concession is not None:
            unit.links.append(("attacks", last_concession.local_id))
        elif role == "rebuttal":
            unit.links.append(("supports", thesis.local_id))
        elif role in ("reason", "recommendation"):
            target = thesis if len(reasons) < 3 or rng.random() < 0.5 else rng.choice(reasons)
            unit.links.append(("supports", target.local_id))
            reasons.append(unit)
        else:  # evidence, background, elaboration: support a reason; sometimes two
            targets = rng.sample(reasons, min(len(reasons), 2 if rng.random() < 0.15 else 1))
            unit.links.extend(("supports", t.local_id) for t in targets)
    if again_of is not None:
        repeated = units[-2]
        repeated.role = "elaboration"
        repeated.links = [("restates", unit_of[id(again_of)].local_id)]

    # Mention rules: `add` for referring phrases, `exclude` for an alias used as a street name.
    adds: dict[str, list[dict[str, Any]]] = {}
    for clause, begin, end in spans:
        if clause.referent is None:
            continue
        aid, phrase = clause.referent
        within = text[begin:end]
        rule: dict[str, Any] = {"text": phrase, "within": within}
        hits = _find_all(text, within)
        if len(hits) > 1:
            rule["occurrence"] = hits.index(begin) + 1
        adds.setdefault(aid, []).append(rule)
    excludes: dict[str, list[dict[str, Any]]] = {}
    people = [a for a in actors if a.kind == "person" and a.aliases and w.mention_count[a.id] > 0]
    if avenue:
        person = rng.choice(people) if people else None
        place = f"on {person.aliases[0]} Avenue" if person else f"in {rng.choice(CITIES)}"
        extra = f"Protesters gathered {place} to demand progress on {rng.choice(TOPICS)}"
        begin = len(text)
        text += extra + ".\n"
        unit = Unit(f"c{n_claims + 1}", "factual", "background", (begin, begin + len(extra)))
        unit.links.append(("supports", thesis.local_id))
        units.append(unit)
        if person:  # the alias is found there, but the street is not the person: exclude that hit
            alias = person.aliases[0]
            w.used_surfaces[person.id].add(alias)
            street = f"{alias} Avenue"
            rule: dict[str, Any] = {"text": alias, "within": street}
            hits = _find_all(text, street)
            if len(hits) > 1:
                rule["occurrence"] = hits.index(begin + len("Protesters gathered on ")) + 1
            excludes[person.id] = [rule]

    # Document date: the latest dated evidence, with its quote as evidence if unique.
    date = None
    dated = [(c.date, text[b:e]) for c, b, e in spans if c.date is not None]
    if dated:
        (year, month), quote = max(dated)
        if len(_find_all(text, quote)) == 1:
            date = {
                "value": f"{year}-{month:02d}",
                "status": "inferred",
                "evidence": [quote],
                "note": "The latest event the text dates.",
            }

    aliases = {}
    for a in actors:
        used = [s for s in a.aliases if s in w.used_surfaces[a.id]]
        unused = [s for s in a.aliases if s not in used and rng.random() < 0.5]
        aliases[a.id] = [s for s in a.aliases if s in used or s in unused]
    return Doc(text, units, actors, aliases, adds, excludes, date)


def _find_all(text: str, needle: str) -> list[int]:
    found, start = [], text.find(needle)
    while start != -1:
        found.append(start)
        start = text.find(needle, start + 1)
    return found


# ---------------------------------------------------------------- YAML


_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9 _./-]*[A-Za-z0-9]|[A-Za-z]")
_RESERVED = {"yes", "no", "on", "off", "true", "false", "null", "y", "n", "~"}


def scalar(value: Any) -> str:
    """A YAML scalar that reads back as exactly `value` (str, int)."""
    if isinstance(value, int):
        return str(value)
    if _PLAIN.fullmatch(value) and value.lower() not in _RESERVED:
        return value
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def flow(items: list[str]) -> str:
    return "[" + ", ".join(scalar(i) for i in items) + "]"


def annotations_yaml(doc_id: str, doc: Doc, sha: str, rng: random.Random) -> str:
    out = [
        "# generated by benchmarks/make_corpus.py\n",
        "document:\n",
        f"  id: {doc_id}\n",
        f"  title: {scalar(doc.text[: doc.units[0].span[1]])}\n",
        "  language: en\n",
        "  genre: opinion\n",
    ]
    if doc.date:
        d = doc.date
        out.append(f"  date:\n    value: {scalar(d['value'])}\n    status: {d['status']}\n    evidence:\n")
        out.extend(f"      - {scalar(q)}\n" for q in d["evidence"])
        out.append(f"    note: {scalar(d['note'])}\n")
    out.append(f"  sha256: {sha}\n\nactors:\n")
    for a in doc.actors:
        out.append(f"  - id: {a.id}\n    name: {scalar(a.name)}\n    kind: {a.kind}\n")
        if doc.aliases[a.id]:
            out.append(f"    aliases: {flow(doc.aliases[a.id])}\n")
        if a.wikidata:
            out.append(f"    wikidata: {a.wikidata}\n")
        if a.description:
            out.append(f"    description: {scalar(a.description)}\n")
        if a.part_of:
            out.append(f"    part_of: {flow(a.part_of)}\n")
        if a.member_of:
            out.append(f"    member_of: {flow(a.member_of)}\n")
        rules = [("exclude", doc.excludes.get(a.id)), ("add", doc.adds.get(a.id))]
        if any(r for _, r in rules):
            out.append("    mentions:\n")
            for name, items in rules:
                if not items:
                    continue
                out.append(f"      {name}:\n")
                for rule in items:
                    out.append(f"        - text: {scalar(rule['text'])}\n          within: {scalar(rule['within'])}\n")
                    if "occurrence" in rule:
                        out.append(f"          occurrence: {rule['occurrence']}\n")
    claims = [u for u in doc.units if u.rec is None]
    recs = [u for u in doc.units if u.rec is not None]
    for section, units in (("claims", claims), ("recommendations", recs)):
        if not units:
            continue
        out.append(f"\n{section}:\n")
        for u in units:
            out.append(_unit_yaml(doc.text, u, rng))
    out.append("\nrelations:\n")
    for u in doc.units:
        for rtype, target in u.links:
            out.append(f"  - source: {u.local_id}\n    target: {target}\n    type: {rtype}\n")
    return "".join(out)


def _unit_yaml(text: str, u: Unit, rng: random.Random) -> str:
    begin, end = u.span
    quote = text[begin:end]
    lines = [f"  - id: {u.local_id}\n    quote: {scalar(quote)}\n"]
    hits = _find_all(text, quote)
    if len(hits) > 1:
        if rng.random() < 0.2:
            lines.append(f"    start: {begin}\n")
        else:
            lines.append(f"    occurrence: {hits.index(begin) + 1}\n")
    if u.rec is None or rng.random() < 0.5:  # recommendations default to normative / recommendation
        lines.append(f"    kind: {u.kind}\n    role: {u.role}\n")
    if u.certainty != "asserted":
        lines.append(f"    certainty: {u.certainty}\n    cues: {flow(u.cues)}\n")
    if u.about:
        lines.append(f"    about: {flow(u.about)}\n")
    if u.rec is not None:
        rec = u.rec
        lines.append(f"    addressees: {flow(rec['addressees'])}\n    action: {scalar(rec['action'])}\n")
        for key in ("targets", "beneficiaries"):
            if key in rec:
                lines.append(f"    {key}: {flow(rec[key])}\n")
        lines.append(f"    modality: {rec['modality']}\n    modality_cue: {scalar(rec['modality_cue'])}\n")
        if "time_frame" in rec:
            lines.append(f"    time_frame: {scalar(rec['time_frame'])}\n")
    return "".join(lines)


# ---------------------------------------------------------------- corpus


def dataset_yaml(docs: int, seed: int) -> str:
    """seeds/dataset.yaml, renamed and described as a synthetic corpus."""
    spec = yaml.safe_load((SEEDS / "dataset.yaml").read_text(encoding="utf-8"))
    spec["name"] = "synthetic-essays"
    spec["title"] = f"Synthetic argumentative essays ({docs} documents, seed {seed})"
    spec["description"] = (
        "Synthetic essays generated by benchmarks/make_corpus.py for benchmarks: valid annotations, "
        "invented text. Not a dataset to publish."
    )
    spec["keywords"] = ["benchmark", "synthetic"]
    spec["citation"] = f"Generated by benchmarks/make_corpus.py --docs {docs} --seed {seed}."
    return yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=100)


def doc_folder(index: int, text_sha: str, width: int) -> str:
    return f"{index:0{width}d}_{text_sha[:16]}"


def _prepare(out: Path) -> None:
    """Create `out`, or clear a previous corpus there; never clobber anything else."""
    if out.exists():
        if not out.is_dir():
            raise SystemExit(f"{out}: exists and is not a directory")
        if any(out.iterdir()):
            if not (out / MARKER).is_file():
                raise SystemExit(f"{out}: not empty and not a generated corpus; refusing to overwrite")
            shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)


TOTALS = ("units", "recommendations", "actors", "pool_actors", "relations", "bytes")


def write_documents(out: Path, seed: int, start: int, stop: int, width: int) -> dict[str, int]:
    """Write documents [start, stop) into `out`; returns their figures."""
    totals = dict.fromkeys(TOTALS, 0)
    for index in range(start, stop):
        doc = generate_document(seed, index)
        data = doc.text.encode("utf-8")
        sha = hashlib.sha256(data).hexdigest()
        doc_id = doc_folder(index, sha, width)
        folder = out / doc_id
        os.mkdir(folder)
        with open(folder / "essay.txt", "wb") as f:
            f.write(data)
        rng = random.Random(f"{seed}:{index}:yaml")
        with open(folder / "annotations.yaml", "wb") as f:
            f.write(annotations_yaml(doc_id, doc, sha, rng).encode("utf-8"))
        totals["units"] += len(doc.units)
        totals["recommendations"] += sum(1 for u in doc.units if u.rec is not None)
        totals["actors"] += len(doc.actors)
        totals["pool_actors"] += sum(1 for a in doc.actors if a.id in POOL_BY_ID)
        totals["relations"] += sum(len(u.links) for u in doc.units)
        totals["bytes"] += len(data)
    return totals


def _write_chunk(args: tuple[Path, int, int, int, int]) -> dict[str, int]:
    return write_documents(*args)


def make_corpus(out: Path, docs: int, seed: int, jobs: int = 1) -> dict[str, Any]:
    """Write a seeds directory of `docs` generated documents into `out`; returns corpus figures.

    `jobs` > 1 writes chunks of documents in worker processes; the output is the same.
    """
    if docs < 1:
        raise ValueError("docs must be at least 1")
    out = Path(out)
    _prepare(out)
    info: dict[str, Any] = {"generator": GENERATOR_VERSION, "docs": docs, "seed": seed, "complete": False}
    marker = out / MARKER
    marker.write_text(json.dumps(info, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    (out / "dataset.yaml").write_text(dataset_yaml(docs, seed), encoding="utf-8", newline="\n")
    shutil.copyfile(SEEDS / "wikidata-verified.tsv", out / "wikidata-verified.tsv")
    width = max(6, len(str(docs - 1)))
    step = max(1, min(200, -(-docs // (4 * max(1, jobs)))))  # small chunks keep both workers busy
    chunks = [(out, seed, i, min(i + step, docs), width) for i in range(0, docs, step)]
    if jobs > 1 and len(chunks) > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=jobs) as pool:
            parts = list(pool.map(_write_chunk, chunks))
    else:
        parts = [_write_chunk(c) for c in chunks]
    info["totals"] = {k: sum(p[k] for p in parts) for k in TOTALS}
    info["complete"] = True
    marker.write_text(json.dumps(info, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return info


def corpus_info(out: Path) -> dict[str, Any] | None:
    """The figures of a complete corpus generated in `out`, or None."""
    try:
        info = json.loads((Path(out) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if info.get("complete") and info.get("generator") == GENERATOR_VERSION else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write a synthetic, valid seeds directory for benchmarks.",
        epilog="Example: python benchmarks/make_corpus.py --docs 1000 --seed 1 --out /tmp/corpus-1000",
    )
    parser.add_argument("--docs", type=int, required=True, help="number of documents")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--out", type=Path, required=True, help="output seeds directory (replaced if generated)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (default: cores)")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    info = make_corpus(args.out, args.docs, args.seed, jobs=args.jobs)
    took = time.perf_counter() - began
    t = info["totals"]
    n = info["docs"]
    print(
        f"wrote {n} documents to {args.out} in {took:.2f}s ({n / took:,.0f} docs/s): "
        f"{t['units'] / n:.1f} units, {t['actors'] / n:.1f} actors ({t['pool_actors'] / n:.1f} recurring), "
        f"{t['relations'] / n:.1f} relations per document; {t['bytes'] / n / 1000:.1f} kB of text each"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
