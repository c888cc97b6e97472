"""The HTML of the site's pages, fast enough for a corpus: layouts from templates, rows in Python.

A corpus of 10,000 documents makes 10,000 document pages and ~130,000 actor pages. Jinja
costs more per row (a context, an escape call building a Markup object per value) than the
rows themselves, so the pages are made in two parts:

- `Layout`: a template of `datapkg/templates` rendered once per process with a marker in each
  hole, made into a format string; a page is then one `format_map` of the hole values (escaped
  text or finished HTML). The templates keep the page structure; they hold no logic on holes.
- the repeated and conditional parts (rows, lists, popovers, optional facts) are written here
  with f-strings, every value escaped by `esc` (markupsafe's escaping, as plain `str`).

Each function gives byte for byte what the former Jinja templates gave (the whitespace quirks
of `trim_blocks` included); tests/test_sitehtml.py renders those templates as the reference.
The parts actor pages need from a document (mention lists, unit list items) are made here too,
per document, in the worker that renders the document page: an actor page only joins them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from ..argmap import text_anchor
from ..highlight import escape_str as esc  # str values only (enums are str)
from ..model import Actor, Claim, DocumentRecords, Recommendation

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
MARK = "\x00"  # around a hole's name while a layout is made; never in a template's own text


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


class Layout:
    """A template made into literal text and holes: filling it is one `str.format_map`.

    The template is rendered once with `MARK name MARK` (safe markup) as the value of each
    hole, so whatever the template adds around a hole (blocks, the base page, whitespace
    control) is fixed then. A template used as a layout must only print its holes, never test
    or loop over them: the markers would take every branch the same way.
    """

    def __init__(self, env: Environment, name: str, holes: Sequence[str]) -> None:
        html = env.get_template(name).render({h: Markup(f"{MARK}{h}{MARK}") for h in holes})
        pieces = html.split(MARK)
        assert len(pieces) % 2 == 1 and set(pieces[1::2]) <= set(holes), f"{name}: markers out of place"
        self.name = name
        self.format = "".join(
            piece.replace("{", "{{").replace("}", "}}") if i % 2 == 0 else f"{{{piece}}}"
            for i, piece in enumerate(pieces)
        )

    def fill(self, values: dict[str, str]) -> str:
        """The page: every hole's value (escaped text or HTML) in its place."""
        return self.format.format_map(values)


BASE_HOLES = ("root", "dataset_title")
DOCUMENT_HOLES = (
    *BASE_HOLES,
    *("id", "title", "language", "genre", "facts", "length", "sha256", "unit_count", "recommendation_count"),
    *("relation_count", "mention_count", "legend", "essay", "argument_map", "relation_items"),
    *("recommendations", "unit_rows", "actor_items"),
)
RECOMMENDATIONS_HOLES = ("rows",)
ACTOR_HOLES = (
    *BASE_HOLES,
    *("id", "name", "lead", "kind", "wikidata", "links", "addressed", "directed", "about"),
    *("mention_count", "mentions"),
)


class Layouts(NamedTuple):
    document: Layout
    recommendations: Layout
    actor: Layout


@cache
def layouts() -> Layouts:
    """The page layouts, made once per process (worker processes make their own)."""
    env = environment()
    return Layouts(
        Layout(env, "document.html", DOCUMENT_HOLES),
        Layout(env, "_recommendations.html", RECOMMENDATIONS_HOLES),
        Layout(env, "actor.html", ACTOR_HOLES),
    )


# ---------------------------------------------------------------- document pages


def _actor_links(ids: Sequence[str], actors: dict[str, Actor], empty: str = "") -> str:
    if not ids:
        return empty
    return ", ".join(
        f'<a href="../actors/{esc(a)}.html">{esc(actors[a].name) if a in actors else esc(a)}</a>' for a in ids
    )


def _names(ids: Iterable[str], names: dict[str, str]) -> str:
    """Actor names (the id where the document does not define it), comma-separated; `names`: id → escaped name."""
    return ", ".join([names[a] if a in names else esc(a) for a in ids])


@lru_cache(maxsize=4096)
def _popover_relation(rel_type: str, words: str, other: str) -> str:
    """A popover's row for one relation: relation types, wordings and local ids repeat across a corpus."""
    return (
        f' <span class="pop-row rel {esc(rel_type)}">{esc(words)}'
        f' <a href="#{esc(text_anchor(other))}">{esc(other)}</a></span>'
    )


@lru_cache(maxsize=4096)
def _row_relation(words: str, other: str) -> str:
    """A unit row's entry for one relation (see `_popover_relation`)."""
    return f'{esc(words)} <a href="#{esc(text_anchor(other))}">{esc(other)}</a>'


def popover(unit: Claim, relations: list[Any], names: dict[str, str]) -> str:
    """The popover of a unit's highlight (phrasing content only: it sits inside a paragraph).

    `names`: the escaped name of each actor the document defines, by id."""
    local = esc(unit.local_id)
    out = [
        f'<span class="pop" id="pop-{local}"><span class="pop-id">{esc(unit.id)}</span>'
        f' <span class="pop-row"><span class="k">kind</span> {esc(unit.kind)}</span>'
        f' <span class="pop-row"><span class="k">role</span> {esc(unit.role)}</span>'
        f' <span class="pop-row"><span class="k">certainty</span> {esc(unit.certainty)}'
    ]
    if unit.cues:
        out.append(f" ({', '.join(esc(c) for c in unit.cues)})")
    out.append("</span>")
    is_rec = unit.is_recommendation
    if is_rec:
        out.append(f' <span class="pop-row"><span class="k">modality</span> {esc(unit.modality)}')  # type: ignore[attr-defined]
        if unit.modality_cue:  # type: ignore[attr-defined]
            out.append(f" ({esc(unit.modality_cue)})")  # type: ignore[attr-defined]
        out.append("</span>")
    if unit.about:
        out.append(f' <span class="pop-row"><span class="k">about</span> {_names(unit.about, names)}</span>')
    if is_rec:
        who = _names(unit.addressees, names)  # type: ignore[attr-defined]
        out.append(f' <span class="pop-row"><span class="k">who should act</span> {who}</span>')
    out += [_popover_relation(rel.type, rel.words, rel.other) for rel in relations]
    if not relations:
        out.append(' <span class="pop-row">no relations</span>')
    out.append(f' <span class="pop-row"><a href="#{esc(unit.id)}">show in the map</a></span></span>')
    return "".join(out)


def _facts(records: DocumentRecords) -> str:
    out = []
    for fact in records.document.facts:
        status = ""
        if fact.status == "inferred":
            note = f": {esc(fact.note)}" if fact.note else ""
            status = f' <span class="status">(inferred{note})</span>'
        out.append(f"<dt>{esc(fact.property.capitalize())}</dt><dd>{esc(fact.value)}{status}</dd>\n")
    return "".join(out)


def _relation_items(records: DocumentRecords) -> str:
    out = []
    for rel in records.relations:
        src, dst = rel.source_id.split("/", 1)[1], rel.target_id.split("/", 1)[1]
        note = f" — {esc(rel.note)}" if rel.note else ""
        out.append(
            f'<li><a href="#{esc(text_anchor(src))}">{esc(src)}</a> <span class="rel-{esc(rel.type)}">'
            f'{esc(rel.type)}</span> <a href="#{esc(text_anchor(dst))}">{esc(dst)}</a>{note}</li>\n'
        )
    return "".join(out) or "<li>No relations.</li>\n"


def _recommendation_rows(rows: Sequence[Any], actors: dict[str, Actor]) -> str:
    out = []
    for row in rows:
        rec: Recommendation = row.unit
        cue = f" (“{esc(rec.modality_cue)}”)" if rec.modality_cue else ""
        justified = ", ".join(
            f'<a href="#{esc(text_anchor(u.local_id))}" title="{esc(u.text)}">{esc(u.local_id)}</a> ({esc(u.role)})'
            for u in row.justified_by
        )
        out.append(
            "<tr>\n"
            f'<th scope="row"><a href="#{esc(text_anchor(rec.local_id))}">{esc(rec.local_id)}</a></th>\n'
            f"<td>{_actor_links(rec.addressees, actors)}</td>\n"
            f'<td class="action">{esc(rec.action)}</td>\n'
            f"<td>{_actor_links(rec.targets, actors, '—')}</td>\n"
            f"<td>{_actor_links(rec.beneficiaries, actors, '—')}</td>\n"
            f"<td>{esc(rec.modality)}{cue}</td>\n"
            f"<td>{esc(rec.time_frame or '—')}</td>\n"
            f"<td>{justified or '—'}</td>\n"
            "</tr>\n"
        )
    return "".join(out)


def _unit_rows(records: DocumentRecords, relations: dict[str, list[Any]], language: str) -> str:
    out = []
    for unit in records.claims:
        cues = f" ({', '.join(esc(c) for c in unit.cues)})" if unit.cues else ""
        rels = "; ".join([_row_relation(r.words, r.other) for r in relations[unit.id]])
        out.append(
            "<tr>\n"
            f'<th scope="row"><a href="#{esc(text_anchor(unit.local_id))}">{esc(unit.local_id)}</a></th>\n'
            f"<td>{esc(unit.role)}</td>\n"
            f"<td>{esc(unit.kind)}</td>\n"
            f"<td>{esc(unit.certainty)}{cues}</td>\n"
            f"<td>{rels or '—'}</td>\n"
            f'<td lang="{language}">{esc(unit.text)}</td>\n'
            "</tr>\n"
        )
    return "".join(out)


def _actor_items(actors: dict[str, Actor], mention_counts: dict[str, int]) -> str:
    out = []
    for actor in actors.values():
        n = mention_counts.get(actor.id, 0)
        out.append(
            f'<li><a href="../actors/{esc(actor.id)}.html">{esc(actor.name)}</a> <span class="kind">'
            f"{esc(actor.kind)}</span>, {n} mention{'' if n == 1 else 's'}</li>\n"
        )
    return "".join(out)


def document_page(
    records: DocumentRecords,
    dataset_title: str,
    essay: str,
    argument_map: str,
    actors: dict[str, Actor],
    relations: dict[str, list[Any]],
    recommendations: Sequence[Any],
    mention_counts: dict[str, int],
) -> str:
    """The page of one document; `essay` and `argument_map` are finished HTML, `actors` by id."""
    parts = layouts()
    doc = records.document
    language = esc(doc.language)
    n_recs = len(recommendations)
    roles = sorted({str(u.role) for u in records.claims})
    recs = (
        parts.recommendations.fill({"rows": _recommendation_rows(recommendations, actors)})
        if recommendations
        else "<p>This document makes no recommendation.</p>\n"
    )
    return parts.document.fill(
        {
            "root": "../",
            "dataset_title": esc(dataset_title),
            "id": esc(doc.id),
            "title": esc(doc.title),
            "language": language,
            "genre": esc(doc.genre),
            "facts": _facts(records),
            "length": str(doc.length),
            "sha256": esc(doc.sha256),
            "unit_count": str(len(records.claims)),
            "recommendation_count": f"{n_recs} recommendation{'' if n_recs == 1 else 's'}",
            "relation_count": str(len(records.relations)),
            "mention_count": str(sum(mention_counts.values())),
            "legend": "".join(f'<li><span class="swatch role-{esc(r)}"></span>{esc(r)}</li>\n' for r in roles),
            "essay": essay,
            "argument_map": argument_map,
            "relation_items": _relation_items(records),
            "recommendations": recs,
            "unit_rows": _unit_rows(records, relations, language),
            "actor_items": _actor_items(actors, mention_counts),
        }
    )


# ---------------------------------------------------------------- what actor pages take from a document


class ActorPart(NamedTuple):
    """What one document adds to one actor's page: list items (HTML) per section, and its mentions."""

    actor: str
    addressee: str  # <li> items of recommendations addressed to the actor
    target: str  # ... directed at it
    beneficiary: str  # ... meant to benefit it
    about: str  # <li> items of units about it
    mentions: str  # the document's heading and list of mentions in context ("" if none)
    mention_count: int


def _unit_item(doc_id: str, doc_title: str, unit: Claim, with_action: bool) -> str:
    local = esc(unit.local_id)
    extra = ""
    action = ""
    if with_action:  # recommendations: modality, action and time frame
        rec: Recommendation = unit  # type: ignore[assignment]
        extra = f", {esc(rec.modality)}"
        action = f": <strong>{esc(rec.action)}</strong>" if rec.action else ""
        if rec.time_frame:
            action += f" ({esc(rec.time_frame)})"
    return (
        f'<li><a href="../documents/{doc_id}.html#{esc(text_anchor(unit.local_id))}"><code>{doc_id}/{local}</code>'
        f"</a> in “{doc_title}” ({esc(unit.role)}{extra}){action}<q>{esc(unit.text)}</q></li>\n"
    )


def actor_parts(records: DocumentRecords, mentions: Sequence[tuple[str, str, str, str, str]]) -> list[ActorPart]:
    """Per actor the document names, its contributions to the actor's page (sorted by actor id).

    `mentions` are (actor, anchor, before, text, after) in reading order.
    """
    doc = records.document
    doc_id, title = esc(doc.id), esc(doc.title)
    units: dict[str, tuple[list[str], list[str], list[str], list[str]]] = {}

    def lists(actor: str) -> tuple[list[str], list[str], list[str], list[str]]:
        found = units.get(actor)
        if found is None:
            found = units[actor] = ([], [], [], [])
        return found

    for unit in records.claims:
        if isinstance(unit, Recommendation):
            item = _unit_item(doc_id, title, unit, True)
            for a in unit.addressees:
                lists(a)[0].append(item)
            for a in unit.targets:
                lists(a)[1].append(item)
            for a in unit.beneficiaries:
                lists(a)[2].append(item)
        if unit.about:
            item = _unit_item(doc_id, title, unit, False)
            for a in unit.about:
                lists(a)[3].append(item)
    said: dict[str, list[str]] = {}
    for actor, anchor, before, text, after in mentions:
        said.setdefault(actor, []).append(
            f'<li>{esc(before)}<a href="../documents/{doc_id}.html#{esc(anchor)}"><mark>{esc(text)}</mark></a>'
            f"{esc(after)}</li>\n"
        )
    head = (
        f'<h3><a href="../documents/{doc_id}.html">{title}</a></h3>\n<ol class="mentions" lang="{esc(doc.language)}">\n'
    )
    parts = []
    for actor in sorted(units.keys() | said.keys()):
        addressee, target, beneficiary, about = units.get(actor) or ([], [], [], [])
        items = said.get(actor)
        block = head + "".join(items) + "</ol>\n" if items else ""
        parts.append(
            ActorPart(
                actor,
                "".join(addressee),
                "".join(target),
                "".join(beneficiary),
                "".join(about),
                block,
                len(items) if items else 0,
            )
        )
    return parts


# ---------------------------------------------------------------- actor pages


def _links(actors: Sequence[Actor]) -> str:
    return ", ".join(f'<a href="{esc(a.id)}.html">{esc(a.name)}</a>' for a in actors)


def actor_page(
    dataset_title: str,
    actor: Actor,
    related: dict[str, list[Actor]],
    parts: Sequence[Sequence[Any]],
) -> str:
    """The page of one actor from the parts documents gave it (`ActorPart` rows, in corpus order).

    `related`: "part_of", "member_of", "parts", "members" → the actors linked. The actors may be
    models or anything with their fields (the build's tasks carry `site.PageActor` tuples).
    """
    name = esc(actor.name)
    links = []
    if actor.aliases:
        links.append(f"<dt>Also called</dt><dd>{', '.join(esc(a) for a in actor.aliases)}</dd>")
    for key, label in (
        ("part_of", "Part of"),
        ("member_of", "Member of"),
        ("parts", "Has parts"),
        ("members", "Members"),
    ):
        if related.get(key):
            links.append(f"<dt>{label}</dt><dd>{_links(related[key])}</dd>")
    addressee = "".join(p[1] for p in parts)
    directed = "".join(p[2] for p in parts) + "".join(p[3] for p in parts)
    about = "".join(p[4] for p in parts)
    mentions = "".join(p[5] for p in parts)
    wikidata = esc(actor.wikidata) if actor.wikidata else None
    return layouts().actor.fill(
        {
            "root": "../",
            "dataset_title": esc(dataset_title),
            "id": esc(actor.id),
            "name": name,
            "lead": f'<p class="lead">{esc(actor.description)}</p>' if actor.description else "",
            "kind": esc(actor.kind),
            "wikidata": f'<a href="https://www.wikidata.org/wiki/{wikidata}">{wikidata}</a>'
            if wikidata
            else "not linked (no verified id)",
            "links": "".join(links),
            "addressed": f'<ul class="units addressed">\n{addressee}</ul>\n' if addressee else "<p>None.</p>",
            "directed": (
                f"<h3>Recommendations directed at or meant to benefit {name}</h3>\n"
                f'<ul class="units directed">\n{directed}</ul>\n\n'
            )
            if directed
            else "",
            "about": f'<ul class="units about">\n{about}</ul>\n' if about else "<p>None.</p>",
            "mention_count": str(sum(p[6] for p in parts)),
            "mentions": mentions or "<p>No mentions.</p>\n",
        }
    )


# ---------------------------------------------------------------- the index page


def document_items(documents: Iterable[Any]) -> str:
    """The index's list of documents (summaries with id, title, counts, date)."""
    out = []
    for d in documents:
        date = f", {esc(d.date)}" if d.date else ""
        out.append(
            f'<li><a href="documents/{esc(d.id)}.html">{esc(d.title)}</a> <code>{esc(d.id)}</code> — {d.units} units,'
            f" {d.recommendations} recommendations, {d.relations} relations, {d.mentions} actor mentions{date}</li>\n"
        )
    return "".join(out)


def actor_rows(actors: Iterable[Actor], mention_counts: dict[str, int]) -> str:
    """The index's table rows of actors."""
    out = []
    for a in actors:
        wikidata = (
            f'<a href="https://www.wikidata.org/wiki/{esc(a.wikidata)}">{esc(a.wikidata)}</a>' if a.wikidata else "—"
        )
        out.append(
            f'<tr><th scope="row"><a href="actors/{esc(a.id)}.html">{esc(a.name)}</a></th><td>{esc(a.kind)}</td>'
            f"<td>{wikidata}</td><td>{mention_counts.get(a.id, 0)}</td></tr>\n"
        )
    return "".join(out)
