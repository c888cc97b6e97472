"""The data card: a static site in `site/` that shows the dataset and each document's argument.

Pages (relative links only, so the site works from the file system and any static host):
  site/index.html              dataset card: metadata, citation, downloads with size and SHA-256,
                               tables and columns, documents, actors, schema.org JSON-LD
  site/documents/<doc>.html    essay with every unit highlighted, mentions linked, argument map,
                               recommendations table
  site/actors/<actor>.html     kind, Wikidata, memberships, mentions in context, recommendations
  site/site.css

Document pages are rendered per document (a pure function of the records, so it may run in a
worker process) and written to a hidden staging folder of the build; what actor pages need from
every document goes into a small SQLite spool there, so memory does not grow with the corpus.
`finish` runs after the release sinks: it writes one page per actor in tasks of consecutive
actors spread over the build's worker processes (`ctx.map`; each task streams its rows from
the spool, read only), lists every file already in the build (with the hashes `files.digest`
shares with SHA256SUMS) and moves the site into place.

Corpus scale (10,000 documents, ~130,000 actors): the cost per document is Graphviz laying out
the argument map (~5 ms of `dot` CPU; external, deterministic, untouched), the page template
(~8 ms) and ~14 actor pages of ~0.3 ms template + one file each; every step is per document or
per actor, so the site grows linearly and its memory does not grow.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import groupby, islice
from operator import itemgetter
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from ..argmap import ROLE_COLOURS, argument_map_svg, text_anchor
from ..highlight import MENTION, PARAGRAPH, UNIT, Span, markup, paragraphs
from ..model import Actor, Claim, DocumentRecords, Recommendation
from ..tableschema import TABLES
from . import BuildContext, Sink
from .files import CHECKSUMS_FILE, SITE_DIR, STORE_DIR, artefacts, described, digest_many, media_type

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STAGING_DIR = ".site-staging"  # hidden: files.artefacts() skips it
CONTEXT_CHARS = 80  # characters of text shown on each side of a mention on actor pages
FORMATS = {  # media type → what a reader calls it
    "text/csv": "CSV",
    "application/json": "JSON",
    "application/ld+json": "JSON-LD",
    "text/turtle": "Turtle",
    "application/n-triples": "N-Triples",
    "application/n-quads": "N-Quads",
    "application/trig": "TriG",
    "application/zip": "ZIP archive",
    "text/markdown": "Markdown",
    "text/plain": "Text",
}
RELATION_WORDS = {  # (outgoing, incoming) phrasing of each relation type
    "supports": ("supports", "supported by"),
    "attacks": ("attacks", "attacked by"),
    "restates": ("restates", "restated by"),
}


@cache
def environment() -> Environment:
    """Jinja2 with autoescaping on for every template: data never becomes markup."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["size"] = human_size
    env.globals["anchor"] = text_anchor
    return env


def human_size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    for unit in ("KiB", "MiB", "GiB"):
        n /= 1024
        if n < 1024 or unit == "GiB":
            return f"{n:.1f} {unit}"
    raise AssertionError("unreachable")


def href(*parts: str) -> str:
    """A relative URL from path segments, each percent-encoded."""
    return "/".join(quote(p) for p in parts)


# ---------------------------------------------------------------- document pages


class DocSummary(NamedTuple):
    """What the index and actor pages show of a document (attributes: Jinja reads them fastest)."""

    id: str
    title: str
    language: str
    date: str | None
    units: int
    recommendations: int
    relations: int
    mentions: int


class MentionRow(NamedTuple):
    anchor: str
    before: str
    text: str
    after: str


class UnitRow(NamedTuple):
    """A unit as an actor page lists it (action, modality and time frame: recommendations only)."""

    doc: DocSummary
    local: str
    role: str
    kind: str
    text: str
    action: str | None
    modality: str | None
    time_frame: str | None


class ActorUnits(NamedTuple):
    addressee: list[UnitRow]
    target: list[UnitRow]
    beneficiary: list[UnitRow]
    about: list[UnitRow]


@dataclass
class RenderedDocument:
    """What one document contributes: its page, a summary for the index, rows for actor pages."""

    doc_id: str
    html: str
    summary: DocSummary
    mentions: list[tuple[str, str, str, str, str]] = field(default_factory=list)  # actor, anchor, before, text, after
    # actor, relation, unit local id, role, kind, text, action, modality, time frame
    units: list[tuple[str, str, str, str, str, str, str | None, str | None, str | None]] = field(default_factory=list)


def _context(text: str, start: int, end: int) -> tuple[str, str]:
    """Up to CONTEXT_CHARS around a span, cut at word boundaries, on one line."""
    lo, hi = max(0, start - CONTEXT_CHARS), min(len(text), end + CONTEXT_CHARS)
    before, after = text[lo:start], text[end:hi]
    if lo > 0 and " " in before:
        before = "…" + before[before.index(" ") + 1 :]
    if hi < len(text) and " " in after:
        after = after[: after.rindex(" ")] + "…"
    return " ".join(before.split("\n")), " ".join(after.split("\n"))


class RelationView(NamedTuple):
    """A relation seen from one of its units."""

    type: str
    words: str  # e.g. "supports", "supported by"
    other: str  # the other unit's local id


class RecommendationRow(NamedTuple):
    unit: Recommendation
    justified_by: list[Claim]


def _relations(records: DocumentRecords) -> dict[str, list[RelationView]]:
    """For each unit id: its relations, worded from its side, each with the other unit's local id."""
    by_unit: dict[str, list[RelationView]] = {c.id: [] for c in records.claims}
    for rel in records.relations:
        out_word, in_word = RELATION_WORDS.get(rel.type, (rel.type, f"{rel.type} (incoming)"))
        src, dst = rel.source_id.split("/", 1)[1], rel.target_id.split("/", 1)[1]
        by_unit.setdefault(rel.source_id, []).append(RelationView(rel.type, out_word, dst))
        by_unit.setdefault(rel.target_id, []).append(RelationView(rel.type, in_word, src))
    return by_unit


POPOVER_END = "<!--end of popover-->"  # cannot occur in escaped data (no raw "<")


def popovers(
    records: DocumentRecords, relations: dict[str, list[RelationView]], actors: dict[str, Actor]
) -> list[Markup]:
    """The popover of each unit (in `records.claims` order), rendered together."""
    html = (
        environment()
        .get_template("_unit.html")
        .render(units=records.claims, relations=relations, actors=actors, end=Markup(POPOVER_END))
    )
    pieces = html.split(POPOVER_END)
    assert len(pieces) == len(records.claims) + 1 and not pieces[-1].strip(), "one popover per unit"
    return [Markup(p) for p in pieces[:-1]]


def render_document(records: DocumentRecords, dataset_title: str) -> RenderedDocument:
    env = environment()
    doc, text = records.document, records.document.text
    actors = {a.id: a for a in records.actors}
    relations = _relations(records)
    pops = popovers(records, relations, actors)

    spans = [Span(s, e, PARAGRAPH, f"p{s}", "p") for s, e in paragraphs(text)]
    for unit, pop in zip(records.claims, pops, strict=True):
        classes = f"unit role-{unit.role}" + (" recommendation" if isinstance(unit, Recommendation) else "")
        spans.append(
            Span(
                unit.start,
                unit.end,
                UNIT,
                unit.id,
                "mark",
                head={
                    "class": classes,
                    "id": text_anchor(unit.local_id),
                    "tabindex": "0",
                    "data-unit": unit.id,
                    "aria-describedby": f"pop-{unit.local_id}",
                },
                rest={"class": classes + " continued", "data-unit": unit.id},
                inner=pop,
            )
        )
    targets = {a: href("..", "actors", f"{a}.html") for a in {m.actor_id for m in records.mentions}}
    for m in records.mentions:
        actor = actors.get(m.actor_id)
        label = f"{actor.name} ({actor.kind})" if actor else m.actor_id
        target = targets[m.actor_id]
        spans.append(
            Span(
                m.start,
                m.end,
                MENTION,
                m.id,
                "a",
                head={
                    "class": "mention",
                    "id": m.id.split("/", 1)[1],
                    "href": target,
                    "data-actor": m.actor_id,
                    "title": label,
                },
                rest={"class": "mention continued", "href": target, "data-actor": m.actor_id, "title": label},
            )
        )
    units_by_local = {c.local_id: c for c in records.claims}
    recommendations = []
    for rec in records.recommendations:
        justified = [r.other for r in relations.get(rec.id, []) if r.words == "supported by"]
        recommendations.append(RecommendationRow(rec, [units_by_local[j] for j in justified]))
    mention_counts: dict[str, int] = {}
    for m in records.mentions:
        mention_counts[m.actor_id] = mention_counts.get(m.actor_id, 0) + 1

    html = env.get_template("document.html").render(
        root="../",
        dataset_title=dataset_title,
        document=doc,
        essay=markup(text, spans),
        argument_map=Markup(argument_map_svg(records)),
        units=records.claims,
        relations=relations,
        relation_list=records.relations,
        recommendations=recommendations,
        actors=actors,
        mention_counts=mention_counts,
    )

    rows_m = []
    for m in sorted(records.mentions, key=lambda m: (m.start, m.end, m.actor_id)):  # reading order
        before, after = _context(text, m.start, m.end)
        rows_m.append((m.actor_id, m.id.split("/", 1)[1], before, m.text, after))
    rows_u = []
    for unit in records.claims:
        info = (unit.local_id, str(unit.role), str(unit.kind), unit.text)
        if isinstance(unit, Recommendation):
            rec = (*info, unit.action, str(unit.modality), unit.time_frame)
            links = [("addressee", unit.addressees), ("target", unit.targets), ("beneficiary", unit.beneficiaries)]
            for relation, ids in links:
                rows_u.extend((a, relation, *rec) for a in ids)
        rows_u.extend((a, "about", *info, None, None, None) for a in unit.about)
    summary = DocSummary(
        doc.id,
        doc.title,
        doc.language,
        doc.date,
        len(records.claims),
        len(records.recommendations),
        len(records.relations),
        len(records.mentions),
    )
    return RenderedDocument(doc.id, html, summary, rows_m, rows_u)


# ---------------------------------------------------------------- actor pages


@dataclass
class ActorTask:
    """A run of consecutive actors (in id order) whose pages one worker process writes.

    Carries the actors and the few others their pages link to; the rows (mentions, units) and
    document summaries are read from the spool, so a task stays small whatever the corpus size.
    """

    spool: Path
    folder: Path
    dataset_title: str
    actors: list[Actor]
    related: dict[str, Actor]  # actors named by their part_of / member_of
    parts: dict[str, list[Actor]]
    members: dict[str, list[Actor]]


ACTOR_CHUNK = 256  # actors per task: large enough to amortise a task, small enough to spread well


def actor_tasks(spool: Path, folder: Path, dataset_title: str, actors: Sequence[Actor]) -> Iterator[ActorTask]:
    """The actor pages of the corpus as tasks, made lazily (the build's map takes a few at a time)."""
    known = {a.id: a for a in actors}
    parts: dict[str, list[Actor]] = {}
    members: dict[str, list[Actor]] = {}
    for a in actors:
        for whole in a.part_of:
            parts.setdefault(whole, []).append(a)
        for group in a.member_of:
            members.setdefault(group, []).append(a)
    each = iter(actors)
    while chunk := list(islice(each, ACTOR_CHUNK)):
        named = {i for a in chunk for i in (*a.part_of, *a.member_of)}
        yield ActorTask(
            spool,
            folder,
            dataset_title,
            chunk,
            {i: known[i] for i in sorted(named) if i in known},
            {a.id: parts[a.id] for a in chunk if a.id in parts},
            {a.id: members[a.id] for a in chunk if a.id in members},
        )


def render_actor_task(task: ActorTask) -> int:
    """Write the pages of a task's actors (in a worker process, or here with one job); how many."""
    if not task.actors:
        return 0
    page = environment().get_template("actor.html")
    first, last = task.actors[0].id, task.actors[-1].id
    db = sqlite3.connect(f"{task.spool.resolve().as_uri()}?mode=ro", uri=True)
    try:
        docs = _DocSummaries(db)
        where = "WHERE actor >= ? AND actor <= ? ORDER BY actor, seq"
        mention_rows = "SELECT actor, doc, anchor, before, text, after FROM mention "
        unit_rows = "SELECT actor, relation, doc, local, role, kind, text, action, modality, time_frame FROM unit "
        mentions = _ByActor(db.execute(mention_rows + where, (first, last)))
        units = _ByActor(db.execute(unit_rows + where, (first, last)))
        for actor in task.actors:
            _actor_page(task, page, docs, actor, mentions.take(actor.id), units.take(actor.id))
    finally:
        db.close()
    return len(task.actors)


class _DocSummaries(dict[str, DocSummary]):
    """Document summaries read from the spool as pages need them (each once per task)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        super().__init__()
        self.db = db

    def __missing__(self, doc_id: str) -> DocSummary:
        (summary,) = self.db.execute("SELECT summary FROM doc WHERE id = ?", (doc_id,)).fetchone()
        found = self[doc_id] = DocSummary(*json.loads(summary))
        return found


class _ByActor:
    """Rows ordered by actor id, handed out one actor at a time (actors without rows get none)."""

    def __init__(self, rows: Iterable[tuple]) -> None:
        self.rows = iter(rows)
        self.head = next(self.rows, None)

    def take(self, actor_id: str) -> list[tuple]:
        out = []
        while self.head is not None and self.head[0] <= actor_id:
            if self.head[0] == actor_id:
                out.append(self.head)
            self.head = next(self.rows, None)
        return out


def _actor_page(
    task: ActorTask, page: Any, docs: _DocSummaries, actor: Actor, mentions: list[tuple], units: list[tuple]
) -> None:
    by_relation = ActorUnits([], [], [], [])
    for _, relation, doc, *rest in units:
        getattr(by_relation, relation).append(UnitRow(docs[doc], *rest))
    related = task.related
    html = page.render(
        root="../",
        dataset_title=task.dataset_title,
        actor=actor,
        part_of=[related[i] for i in actor.part_of if i in related],
        member_of=[related[i] for i in actor.member_of if i in related],
        parts=task.parts.get(actor.id, []),
        members=task.members.get(actor.id, []),
        mentions=[
            (docs[doc], [MentionRow(*m[2:]) for m in group]) for doc, group in groupby(mentions, key=itemgetter(1))
        ],
        mention_count=len(mentions),
        units=by_relation,
    )
    with open(task.folder / f"{actor.id}.html", "w", encoding="utf-8", newline="\n") as f:
        f.write(html)


# ---------------------------------------------------------------- the sink


class _Staging:
    """The site being built, and a SQLite spool of what actor pages need from every document.

    It lives in a hidden folder of the temporary build: sinks that finish before ours list files
    with `files.artefacts`, which skips hidden entries, so they never see half a site; a failed
    build removes it with everything else.
    """

    def __init__(self, out: Path) -> None:
        self.root = out / STAGING_DIR
        self.site = self.root / SITE_DIR
        self.spool = self.root / "spool.sqlite"
        (self.site / "documents").mkdir(parents=True)
        (self.site / "actors").mkdir()
        self.db = sqlite3.connect(self.spool)
        self.db.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
            "CREATE TABLE mention(seq INTEGER PRIMARY KEY, actor TEXT, doc TEXT, anchor TEXT,"
            " before TEXT, text TEXT, after TEXT);"
            "CREATE TABLE unit(seq INTEGER PRIMARY KEY, actor TEXT, relation TEXT, doc TEXT, local TEXT,"
            " role TEXT, kind TEXT, text TEXT, action TEXT, modality TEXT, time_frame TEXT);"
            "CREATE TABLE doc(seq INTEGER PRIMARY KEY, id TEXT UNIQUE, summary TEXT);"
        )

    def close(self) -> None:
        self.db.close()
        shutil.rmtree(self.root)


class SiteSink(Sink):
    name = "site"

    def __init__(self, ctx: BuildContext) -> None:
        super().__init__(ctx)
        self._staging: _Staging | None = None  # made on first use, in the process that writes

    @property
    def staging(self) -> _Staging:
        if self._staging is None:
            self._staging = _Staging(self.ctx.out)
        return self._staging

    @property
    def site(self) -> Path:
        return self.staging.site

    @property
    def db(self) -> sqlite3.Connection:
        return self.staging.db

    def render(self, records: DocumentRecords) -> RenderedDocument:
        return render_document(records, self.ctx.dataset.title)

    def write(self, rendered: RenderedDocument) -> None:
        page = self.site / "documents" / f"{rendered.doc_id}.html"
        page.write_text(rendered.html, encoding="utf-8", newline="\n")
        doc = rendered.doc_id
        self.db.execute("INSERT INTO doc(id, summary) VALUES (?, ?)", (doc, json.dumps(rendered.summary)))
        self.db.executemany(
            "INSERT INTO mention(actor, doc, anchor, before, text, after) VALUES (?, ?, ?, ?, ?, ?)",
            [(a, doc, anchor, b, t, af) for a, anchor, b, t, af in rendered.mentions],
        )
        self.db.executemany(
            "INSERT INTO unit(actor, relation, doc, local, role, kind, text, action, modality, time_frame)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(a, rel, doc, *rest) for a, rel, *rest in rendered.units],
        )

    def finish(self, actors: Sequence[Actor]) -> None:
        self.db.executescript(  # built once, after the inserts: actor pages read the rows by actor
            "CREATE INDEX mention_actor ON mention(actor, seq); CREATE INDEX unit_actor ON unit(actor, seq);"
        )
        self.db.commit()
        env = environment()
        # One page per actor, spread over the build's worker processes (idle by now; with one job,
        # here). The pages are independent files: the order they are written in does not matter.
        tasks = actor_tasks(self.staging.spool, self.site / "actors", self.ctx.dataset.title, actors)
        written = sum(self.ctx.map(render_actor_task, tasks, chunksize=1))
        assert written == len(actors), "one page per actor"
        docs = [DocSummary(*json.loads(s)) for (s,) in self.db.execute("SELECT summary FROM doc ORDER BY seq")]
        counts = dict(self.db.execute("SELECT actor, count(*) FROM mention GROUP BY actor").fetchall())
        self._write("site.css", env.get_template("site.css").render(roles=ROLE_COLOURS))
        self._write(
            "index.html",
            env.get_template("index.html").render(
                root="",
                dataset=self.ctx.dataset,
                dataset_title=self.ctx.dataset.title,
                citation=self._citation(),
                downloads=self._downloads(),
                tables=self._tables(),
                documents=docs,
                actors=actors,
                mention_counts=counts,
                jsonld=self._jsonld(),
                checksums_file=CHECKSUMS_FILE,
            ),
        )
        target = self.ctx.out / SITE_DIR
        shutil.rmtree(target, ignore_errors=True)
        os.replace(self.site, target)
        self.staging.close()
        self._staging = None

    # -------------------------------------------------------------- corpus-level pages

    def _write(self, relative: str, text: str) -> None:
        (self.site / relative).write_text(text, encoding="utf-8", newline="\n")

    def _citation(self) -> str:
        ds = self.ctx.dataset
        if ds.citation:
            return ds.citation
        names = ", ".join(c.title for c in ds.contributors)
        return f"{names} ({ds.created[:4]}). {ds.title}, version {ds.version}."

    def _downloads(self) -> list[dict[str, Any]]:
        """Every file the build has written so far (not the site, not the store), with size and SHA-256."""
        info = described(self.ctx)
        rows = []
        files = artefacts(self.ctx.out, exclude={SITE_DIR, STORE_DIR})
        for rel, d in zip(files, digest_many(self.ctx, files), strict=True):
            about = info.get(rel)
            media = about.media_type if about and about.media_type else media_type(rel)
            rows.append(
                {
                    "path": rel,
                    "href": href("..", *rel.split("/")),
                    "title": about.title if about else None,
                    "description": about.description if about else None,
                    "format": FORMATS.get(media, media),
                    "bytes": d.bytes,
                    "sha256": d.sha256,
                }
            )
        return rows

    def _tables(self) -> list[dict[str, Any]]:
        """Tables and columns from the one definition the CSV files and datapackage.json are made from."""
        rows = self.ctx.counts.get("rows", {})
        written = set(artefacts(self.ctx.out, exclude={SITE_DIR, STORE_DIR}))
        return [
            {
                "table": t,
                "rows": rows.get(t.name),
                "href": href("..", *t.path.split("/")) if t.path in written else None,
            }
            for t in TABLES
        ]

    def _jsonld(self) -> Markup | None:
        """build/dataset.jsonld verbatim, with '<' written as \\u003c (same JSON) so it cannot end the script."""
        path = self.ctx.out / "dataset.jsonld"
        if not path.is_file():
            return None
        return Markup(path.read_text(encoding="utf-8").replace("<", "\\u003c"))
