"""The data card: a static site in `site/` that shows the dataset and each document's argument.

Pages (relative links only, so the site works from the file system and any static host):
  site/index.html              dataset card: metadata, citation, downloads with size and SHA-256,
                               tables and columns, documents, actors, schema.org JSON-LD
  site/documents/<doc>.html    essay with every unit highlighted, mentions linked, argument map,
                               recommendations table
  site/actors/<actor>.html     kind, Wikidata, memberships, mentions in context, recommendations
  site/site.css

Document pages are rendered per document (a pure function of the records, so it may run in a
worker process) and written to a hidden staging folder of the build. What an actor page shows
of a document (its mentions in context, the units about the actor, the recommendations
addressed to it) is made as HTML in the same worker, one `ActorPart` per actor the document
names, and goes into a small SQLite spool there, so memory does not grow with the corpus.
`finish` runs after the release sinks: it writes one page per actor in tasks of consecutive
actors spread over the build's worker processes (`ctx.map`; each task streams its parts from
the spool, read only, and joins them), lists every file already in the build (with the hashes
`files.digest` shares with SHA256SUMS) and moves the site into place.

Corpus scale (10,000 documents, ~130,000 actors): the HTML is made by `sitehtml` (layouts from
the templates, rows in Python, see there). Per document (measured on 100 synthetic documents,
CPU): Graphviz laying out the argument map (~5-6 ms of `dot`, external, deterministic, the largest
part now), ~4-5 ms of Python (the essay's highlighting and the map's SVG edits ~1 ms each, the
DOT text, the page, the actor-page parts) and one file, hashed as it is written (`files.WrittenDigests`);
per actor page ~0.1 ms of Python and one file. Creating the files (kernel time) is most of `write`
and `finish`. Every step is per
document or per actor, so the site grows linearly and its memory does not grow.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import threading
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache, partial
from itertools import islice
from operator import attrgetter
from pathlib import Path
from typing import Any, NamedTuple, TypeVar
from urllib.parse import quote

from markupsafe import Markup

from ..argmap import ROLE_COLOURS, argument_map_svg, text_anchor
from ..highlight import MENTION, PARAGRAPH, UNIT, Span, markup, paragraphs
from ..highlight import escape_str as esc
from ..model import Actor, Claim, DocumentRecords, Recommendation
from ..tableschema import TABLES
from . import Background, BuildContext, Sink
from .files import (
    CHECKSUMS_FILE,
    SITE_DIR,
    STORE_DIR,
    DigestRow,
    WrittenDigests,
    artefacts,
    described,
    digest_many,
    media_type,
    page_digest,
)
from .sitehtml import (
    ActorPart,
    actor_page,
    actor_parts,
    actor_rows,
    document_items,
    document_page,
    environment,
    popover,
)
from .sitehtml import human_size as human_size

STAGING_DIR = ".site-staging"  # hidden: files.artefacts() skips it
DOCUMENTS, ACTORS = "documents", "actors"  # folders of the site's pages
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


_URL_SAFE = re.compile(r"[A-Za-z0-9_.~/-]*").fullmatch  # what `quote` leaves as it is


def href(*parts: str) -> str:
    """A relative URL from path segments, each percent-encoded."""
    return "/".join(p if _URL_SAFE(p) else quote(p) for p in parts)


_CREATE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def write_page(path: str, page: bytes) -> os.stat_result:
    """One page (UTF-8, LF line ends); the path as a str (no Path object per page). Returns its
    stat once written, for its `files.page_digest`.

    Four system calls (open, write, fstat, close): a corpus has ~145,000 pages, and `open()`'s file
    object adds a stat, a terminal check and its buffer to each.
    """
    fd = os.open(path, _CREATE, 0o666)
    try:
        view = memoryview(page)
        while view:
            view = view[os.write(fd, view) :]
        return os.fstat(fd)
    finally:
        os.close(fd)


# ---------------------------------------------------------------- document pages


class DocSummary(NamedTuple):
    """What the index shows of a document."""

    id: str
    title: str
    language: str
    date: str | None
    units: int
    recommendations: int
    relations: int
    mentions: int


@dataclass
class RenderedDocument:
    """What one document contributes: its page, a summary for the index, parts of actor pages."""

    doc_id: str
    html: bytes  # UTF-8: encoded in the worker, written as it is (no decode and encode in the parent)
    summary: DocSummary
    actors: list[ActorPart] = field(default_factory=list)  # sorted by actor id


def _context(text: str, start: int, end: int) -> tuple[str, str]:
    """Up to CONTEXT_CHARS around a span, cut at word boundaries, on one line."""
    lo, hi = max(0, start - CONTEXT_CHARS), min(len(text), end + CONTEXT_CHARS)
    before, after = text[lo:start], text[end:hi]
    if lo > 0 and " " in before:
        before = "…" + before[before.index(" ") + 1 :]
    if hi < len(text) and " " in after:
        after = after[: after.rindex(" ")] + "…"
    return before.replace("\n", " "), after.replace("\n", " ")


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


@lru_cache(maxsize=64)
def _unit_classes(role: str, is_rec: bool) -> str:
    """A unit highlight's classes, escaped."""
    return esc(f"unit role-{role}" + (" recommendation" if is_rec else ""))


_READING_ORDER = attrgetter("start", "end", "actor_id")  # of mentions


def render_document(records: DocumentRecords, dataset_title: str) -> RenderedDocument:
    doc, text = records.document, records.document.text
    actors = {a.id: a for a in records.actors}
    relations = _relations(records)
    names = {a.id: esc(a.name) for a in records.actors}

    # Attributes written as HTML here (see `Span`): a unit's and a mention's share all but their ids.
    spans = [Span(s, e, PARAGRAPH, f"p{s}", "p", "", "") for s, e in paragraphs(text)]
    for unit in records.claims:
        classes = _unit_classes(unit.role, isinstance(unit, Recommendation))
        local, unit_id = esc(unit.local_id), esc(unit.id)
        head = (
            f' class="{classes}" id="{text_anchor(local)}" tabindex="0" data-unit="{unit_id}"'
            f' aria-describedby="pop-{local}"'
        )
        rest = f' class="{classes} continued" data-unit="{unit_id}"'
        pop = popover(unit, relations[unit.id], names)  # HTML: `markup` puts it in as it is
        spans.append(Span(unit.start, unit.end, UNIT, unit.id, "mark", head, rest, pop))
    links: dict[str, str] = {}  # actor id → a mention link's attributes after its id
    for m in records.mentions:
        link = links.get(m.actor_id)
        if link is None:
            actor = actors.get(m.actor_id)
            label = f"{actor.name} ({actor.kind})" if actor else m.actor_id
            target = href("..", "actors", f"{m.actor_id}.html")
            link = links[m.actor_id] = f' href="{esc(target)}" data-actor="{esc(m.actor_id)}" title="{esc(label)}"'
        head = f' class="mention" id="{esc(m.id.split("/", 1)[1])}"{link}'
        spans.append(Span(m.start, m.end, MENTION, m.id, "a", head, f' class="mention continued"{link}'))
    units_by_local = {c.local_id: c for c in records.claims}
    recommendations = []
    for rec in records.recommendations:
        justified = [r.other for r in relations.get(rec.id, []) if r.words == "supported by"]
        recommendations.append(RecommendationRow(rec, [units_by_local[j] for j in justified]))
    mention_counts: dict[str, int] = {}
    for m in records.mentions:
        mention_counts[m.actor_id] = mention_counts.get(m.actor_id, 0) + 1

    html = document_page(
        records,
        dataset_title,
        essay=markup(text, spans),
        argument_map=argument_map_svg(records),
        actors=actors,
        relations=relations,
        recommendations=recommendations,
        mention_counts=mention_counts,
    )

    mentions = []
    for m in sorted(records.mentions, key=_READING_ORDER):
        before, after = _context(text, m.start, m.end)
        mentions.append((m.actor_id, m.id.split("/", 1)[1], before, m.text, after))
    summary = DocSummary(
        doc.id,
        doc.title,
        doc.language,
        doc.date,
        len(records.claims),
        len(recommendations),
        len(records.relations),
        len(records.mentions),
    )
    return RenderedDocument(doc.id, html.encode("utf-8"), summary, actor_parts(records, mentions))


# ---------------------------------------------------------------- actor pages


class PageActor(NamedTuple):
    """What an actor page reads of an `Actor` (same names), as a plain tuple: tasks of actors
    go to worker processes, and a tuple pickles several times faster than a pydantic model."""

    id: str
    name: str
    kind: str
    aliases: list[str]
    wikidata: str | None
    description: str | None
    part_of: list[str]
    member_of: list[str]


def page_actor(a: Actor) -> PageActor:
    return PageActor(a.id, a.name, str(a.kind), a.aliases, a.wikidata, a.description, a.part_of, a.member_of)


@dataclass
class ActorTask:
    """A run of consecutive actors (in id order) whose pages one worker process writes.

    Carries the actors and the few others their pages link to; the parts documents gave them
    are read from the spool, so a task stays small whatever the corpus size.
    """

    spool: Path
    folder: Path
    dataset_title: str
    actors: list[PageActor]
    related: dict[str, PageActor]  # actors named by their part_of / member_of
    parts: dict[str, list[PageActor]]
    members: dict[str, list[PageActor]]


T = TypeVar("T")
INDEX_BATCH = 2_000  # rows of the index's lists formatted at a time
ACTOR_CHUNK = 256  # actors per task: large enough to amortise a task, small enough to spread well
PART_COLUMNS = ", ".join(ActorPart._fields)


def actor_tasks(spool: Path, folder: Path, dataset_title: str, actors: Sequence[Actor]) -> Iterator[ActorTask]:
    """The actor pages of the corpus as tasks, made lazily (the build's map takes a few at a time)."""
    # Only positions and ids are held for the whole corpus: an Actor is rebuilt when its chunk
    # (or a chunk naming it) comes up, so memory does not grow with the corpus' actors.
    ids: list[str] = []  # sorted by id (the finish contract)
    parts: dict[str, list[int]] = {}
    members: dict[str, list[int]] = {}
    for n, a in enumerate(actors):  # one pass: each access rebuilds an Actor from its compact form
        ids.append(a.id)
        for whole in a.part_of:
            parts.setdefault(whole, []).append(n)
        for group in a.member_of:
            members.setdefault(group, []).append(n)

    def known(actor_id: str) -> PageActor | None:
        at = bisect_left(ids, actor_id)
        return page_actor(actors[at]) if at < len(ids) and ids[at] == actor_id else None

    for start in range(0, len(ids), ACTOR_CHUNK):
        chunk = [page_actor(a) for a in actors[start : start + ACTOR_CHUNK]]
        named = {i for a in chunk for i in (*a.part_of, *a.member_of)}
        related = {i: found for i in sorted(named) if (found := known(i)) is not None}
        yield ActorTask(
            spool,
            folder,
            dataset_title,
            chunk,
            related,
            {a.id: [page_actor(actors[n]) for n in parts[a.id]] for a in chunk if a.id in parts},
            {a.id: [page_actor(actors[n]) for n in members[a.id]] for a in chunk if a.id in members},
        )


def _write_actor_pages(ctx: BuildContext, tasks: Iterator[ActorTask], stop: threading.Event) -> int:
    """Every actor page (`render_actor_task` over `tasks`, on the workers); how many were written.
    Their digests go to `WrittenDigests` through a connection of this thread's own."""
    digests, written = WrittenDigests(ctx.out), 0
    try:
        for rows in ctx.map(render_actor_task, tasks, chunksize=1):
            digests.add(rows)
            written += len(rows)
            if stop.is_set():
                break
    finally:
        digests.close()
    return written


def _batches(items: Iterator[T], size: int) -> Iterator[list[T]]:
    while batch := list(islice(items, size)):
        yield batch


def render_actor_task(task: ActorTask) -> list[DigestRow]:
    """Write the pages of a task's actors (in a worker process, or here with one job); their digests."""
    if not task.actors:
        return []
    first, last = task.actors[0].id, task.actors[-1].id
    db = sqlite3.connect(f"{task.spool.resolve().as_uri()}?mode=ro", uri=True)
    try:
        rows = db.execute(
            f"SELECT {PART_COLUMNS} FROM part WHERE actor >= ? AND actor <= ? ORDER BY actor, seq", (first, last)
        )
        by_actor = _ByActor(rows)
        related = task.related
        folder = os.fspath(task.folder)
        digests = []
        for actor in task.actors:
            links = {
                "part_of": [related[i] for i in actor.part_of if i in related],
                "member_of": [related[i] for i in actor.member_of if i in related],
                "parts": task.parts.get(actor.id, []),
                "members": task.members.get(actor.id, []),
            }
            page = actor_page(task.dataset_title, actor, links, by_actor.take(actor.id)).encode("utf-8")
            st = write_page(f"{folder}/{actor.id}.html", page)
            digests.append(page_digest(f"{SITE_DIR}/{ACTORS}/{actor.id}.html", page, st))
    finally:
        db.close()
    return digests


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
        self.documents = os.fspath(self.site / DOCUMENTS)
        (self.site / DOCUMENTS).mkdir(parents=True)
        (self.site / ACTORS).mkdir()
        self.digests = WrittenDigests(out)  # of the pages, as they will be named once the site is in place
        self.db = sqlite3.connect(self.spool)
        self.db.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA page_size=16384;"
            "CREATE TABLE part(seq INTEGER PRIMARY KEY, actor TEXT, addressee TEXT, target TEXT,"
            " beneficiary TEXT, about TEXT, mentions TEXT, mention_count INTEGER);"
            "CREATE TABLE doc(seq INTEGER PRIMARY KEY, id TEXT UNIQUE, summary TEXT);"
        )

    def close(self) -> None:
        self.db.close()
        self.digests.close()
        shutil.rmtree(self.root)


class SiteSink(Sink):
    name = "site"

    def __init__(self, ctx: BuildContext) -> None:
        super().__init__(ctx)
        self._staging: _Staging | None = None  # made on first use, in the process that writes
        self._actor_pages: Background[int] | None = None  # how many pages were written

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
        st = write_page(f"{self.staging.documents}/{rendered.doc_id}.html", rendered.html)
        self.staging.digests.add([page_digest(f"{SITE_DIR}/{DOCUMENTS}/{rendered.doc_id}.html", rendered.html, st)])
        self.db.execute("INSERT INTO doc(id, summary) VALUES (?, ?)", (rendered.doc_id, json.dumps(rendered.summary)))
        self.db.executemany(f"INSERT INTO part({PART_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)", rendered.actors)

    def begin_finish(self, actors: Sequence[Actor]) -> None:
        # Built once, after the inserts: actor pages read the parts by actor.
        self.db.execute("CREATE INDEX part_actor ON part(actor, seq)")
        self.db.commit()
        # One page per actor, spread over the build's worker processes, while the sinks before
        # this one finish here (with one job, in finish). The pages are independent files.
        tasks = actor_tasks(self.staging.spool, self.site / ACTORS, self.ctx.dataset.title, actors)
        self._actor_pages = self.ctx.in_background(partial(_write_actor_pages, self.ctx, tasks))

    def finish(self, actors: Sequence[Actor]) -> None:
        if self._actor_pages is None:
            self.begin_finish(actors)
        assert self._actor_pages is not None
        written, self._actor_pages = self._actor_pages.result(), None
        assert written == len(actors), "one page per actor"
        env = environment()
        self._write("site.css", env.get_template("site.css").render(roles=ROLE_COLOURS))
        self._write_index(env, actors)
        target = self.ctx.out / SITE_DIR
        shutil.rmtree(target, ignore_errors=True)
        os.replace(self.site, target)
        self.staging.close()
        self._staging = None

    # -------------------------------------------------------------- corpus-level pages

    def _summaries(self) -> Iterator[DocSummary]:
        for (summary,) in self.db.execute("SELECT summary FROM doc ORDER BY seq"):
            yield DocSummary(*json.loads(summary))

    def _mention_counts(self) -> Callable[[str], int]:
        """Mentions of an actor, asked in increasing id order: a merge with SQLite's sorted groups,
        so the counts of every actor are never held at once."""
        rows = self.db.execute("SELECT actor, sum(mention_count) FROM part GROUP BY actor ORDER BY actor")
        pending = next(rows, None)

        def count(actor_id: str) -> int:
            nonlocal pending
            while pending is not None and pending[0] < actor_id:
                pending = next(rows, None)
            return pending[1] if pending is not None and pending[0] == actor_id else 0

        return count

    def _write_index(self, env: Any, actors: Sequence[Actor]) -> None:
        """index.html, its two long lists streamed in batches: at corpus scale they are tens of megabytes."""
        units = relations = documents = 0
        for d in self._summaries():
            units, relations, documents = units + d.units, relations + d.relations, documents + 1
        holes = {"document_items": "\0documents\0", "actor_rows": "\0actors\0"}
        page = env.get_template("index.html").render(
            root="",
            dataset=self.ctx.dataset,
            dataset_title=self.ctx.dataset.title,
            citation=self._citation(),
            downloads=self._downloads(),
            tables=self._tables(),
            document_count=documents,
            unit_count=units,
            relation_count=relations,
            actor_count=len(actors),
            jsonld=self._jsonld(),
            checksums_file=CHECKSUMS_FILE,
            **{name: Markup(marker) for name, marker in holes.items()},
        )
        head, rest = page.split(holes["document_items"])
        middle, tail = rest.split(holes["actor_rows"])
        with (self.site / "index.html").open("w", encoding="utf-8", newline="\n") as out:
            out.write(head)
            for batch in _batches(self._summaries(), INDEX_BATCH):
                out.write(document_items(batch))
            out.write(middle)
            count = self._mention_counts()
            for batch in _batches(iter(actors), INDEX_BATCH):
                out.write(actor_rows(batch, {a.id: count(a.id) for a in batch}))
            out.write(tail)

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
