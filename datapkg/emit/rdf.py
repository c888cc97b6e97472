"""The RDF graph: triples per document, written as Turtle, sorted N-Triples, N-Quads and JSON-LD.

`render()` turns one document's records into its triples and serialises them in every format
(pure, picklable bytes, so it can run in a worker process); `write()` appends them in corpus
order; `finish()` adds the dataset-level graph (actors, the dataset, the build's provenance).

Files: `rdf/<name>.ttl`, `.nt`, `.nq`, `.jsonld`. In the N-Quads file each document's triples
form the named graph `{base}/graph/document/{doc}` (contiguous, sorted, in corpus order) and
the dataset-level triples form `{base}/graph/dataset` (last); every triple is in exactly one
graph, so `.nt` is their union. The `.nt` lines are globally sorted: all subjects of a
document start with `{base}/document/{doc}/`, so documents (written in corpus order, which
sorts `{doc}/`) form contiguous sorted blocks, and the few dataset-level lines go before or
after them.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from pathlib import Path
from typing import IO, Any, NamedTuple

from .. import __version__
from ..config import DatasetSpec
from ..model import Actor, DocumentRecords, Recommendation
from ..rdfsyntax import Node, PropValues, Triple, Writer, group, to_nquads
from ..vocab import (
    ACTOR_CLASSES,
    ARTICLE_CLASSES,
    DATA_VOCABULARIES,
    FACT_PROPS,
    OA_IDENTIFYING,
    OPINION_CLASSES,
    OPINION_GENRES,
    QUOTE_CONTEXT,
    RELATIONS,
    SHA256_ALGORITHM,
    C,
    Iris,
    P,
    iri_from_text,
    wikidata_iri,
)
from . import BuildContext, Sink
from .files import describe, digest_many
from .jsonld import DOCUMENT_TAIL, document_head

RDF_DIR = "rdf"
FORMATS = ("ttl", "nt", "nq", "jsonld")
DESCRIPTIONS = {
    "ttl": ("RDF graph (Turtle)", "The whole graph in Turtle, grouped by subject, with explicit prefixes."),
    "nt": ("RDF graph (N-Triples)", "The whole graph in N-Triples, one triple per line, sorted."),
    "nq": (
        "RDF graph (N-Quads)",
        "The graph in N-Quads: one named graph per document, one for dataset-level data (actors, the dataset).",
    ),
    "jsonld": ("RDF graph (JSON-LD)", "The whole graph in JSON-LD, compacted with schema/context.jsonld (inlined)."),
}


def rdf_path(dataset: DatasetSpec, fmt: str) -> str:
    """Path of an RDF artefact relative to the build directory."""
    return f"{RDF_DIR}/{dataset.name}.{fmt}"


# ---------------------------------------------------------------- triples


def activity_iri(dataset: DatasetSpec, iris: Iris) -> str:
    return iris.build_activity(dataset.version)


def _anchor(nodes: list[Node], node: str, doc: str, text: str, start: int, end: int, exact: str) -> None:
    """W3C Web Annotation target of a span: a SpecificResource with position and quote selectors."""
    target, position, quote = node + "#target", node + "#position", node + "#quote"
    nodes.append(
        (
            target,
            [
                (P.type, C.specific_resource.iri),
                (P.has_source, doc),
                (P.has_selector, position),
                (P.has_selector, quote),
            ],
        )
    )
    nodes.append((position, [(P.type, C.position_selector.iri), (P.start, start), (P.end, end)]))
    pv = [(P.type, C.quote_selector.iri), (P.exact, exact)]
    if start:
        pv.append((P.prefix, text[max(0, start - QUOTE_CONTEXT) : start]))
    if end < len(text):
        pv.append((P.suffix, text[end : end + QUOTE_CONTEXT]))
    nodes.append((quote, pv))


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values)) if len(values) > 1 else values


def document_nodes(records: DocumentRecords, iris: Iris, activity: str) -> list[Node]:
    """Every triple one document contributes (its named graph), as nodes in a fixed order:
    the document, its facts, each unit with its anchor, the relations, the mentions."""
    nodes: list[Node] = []
    d = records.document
    doc = iris.document(d.id)
    text = d.text
    pv: PropValues = [
        (P.type, cls) for cls in (OPINION_CLASSES if d.genre.lower() in OPINION_GENRES else ARTICLE_CLASSES)
    ]
    checksum = iris.text_checksum(d.id)
    pv += [
        (P.identifier, d.id),
        (P.headline, d.title),
        (P.in_language, d.language),
        (P.genre, d.genre),
        (P.text, text),
        (P.length, d.length),
        (P.is_part_of, iris.dataset),
        (P.checksum, checksum),
    ]
    for name, prop in FACT_PROPS.items():
        value = getattr(d, name)
        if value is not None:
            pv.append((prop, iri_from_text(value, iris) if prop is P.url else value))
    facts = []
    for fact in d.facts:
        node = iris.fact(d.id, fact.property)
        pv.append((P.fact, node))
        fpv: PropValues = [
            (P.type, C.fact.iri),
            (P.fact_property, FACT_PROPS[fact.property].iri),
            (P.value, fact.value),
            (P.status, fact.status),
        ]
        fpv += [(P.evidence, quote) for quote in _unique(fact.evidence)]
        if fact.note:
            fpv.append((P.comment, fact.note))
        fpv += [(P.was_derived_from, doc), (P.was_generated_by, activity)]
        facts.append((node, fpv))
    nodes.append((doc, pv))
    nodes.append((checksum, [(P.type, C.checksum.iri), (P.algorithm, SHA256_ALGORITHM), (P.checksum_value, d.sha256)]))
    nodes += facts

    # Relations leave from their source unit: its aif:Premise link and the direct edge are
    # written with the unit, so each subject's triples stay together.
    units = {c.id: iris.unit_in(doc, c.local_id) for c in records.claims}
    relations = {r.id: iris.relation_in(doc, r.id.partition("/")[2]) for r in records.relations}
    outgoing: dict[str, PropValues] = {}
    for r in records.relations:
        outgoing.setdefault(r.source_id, []).extend(
            ((P.premise, relations[r.id]), (RELATIONS[r.type][1], units[r.target_id]))
        )
    actor_iris: dict[str, str] = {}

    def actor(actor_id: str) -> str:  # each actor is referred to many times: mint once per document
        iri = actor_iris.get(actor_id)
        if iri is None:
            iri = actor_iris[actor_id] = iris.actor(actor_id)
        return iri

    for c in records.claims:
        unit = units[c.id]
        pv = [(P.type, C.claim.iri), (P.type, C.i_node.iri)]
        is_recommendation = isinstance(c, Recommendation)
        if is_recommendation:
            pv.append((P.type, C.recommendation.iri))
        pv += [
            (P.identifier, c.id),
            (P.text, c.text),
            (P.claim_text, c.text),
            (P.appearance, doc),
            (P.claim_kind, c.kind),
            (P.role, c.role),
            (P.certainty, c.certainty),
        ]
        pv += [(P.cue, cue) for cue in _unique(c.cues)]
        pv += [(P.about, actor(a)) for a in _unique(c.about)]
        if c.note:
            pv.append((P.comment, c.note))
        if is_recommendation:
            pv += [(P.addressee, actor(a)) for a in _unique(c.addressees)]
            pv.append((P.action, c.action))
            pv += [(P.target, actor(a)) for a in _unique(c.targets)]
            pv += [(P.beneficiary, actor(a)) for a in _unique(c.beneficiaries)]
            pv.append((P.modality, c.modality))
            if c.modality_cue:
                pv.append((P.modality_cue, c.modality_cue))
            if c.time_frame:
                pv.append((P.time_frame, c.time_frame))
        pv += sorted(outgoing.get(c.id, ()), key=lambda item: item[0].key)
        pv += [(P.was_derived_from, doc), (P.was_generated_by, activity)]
        nodes.append((unit, pv))
        annotation = unit + "#annotation"
        nodes.append(
            (
                annotation,
                [
                    (P.type, C.annotation.iri),
                    (P.motivated_by, OA_IDENTIFYING),
                    (P.has_body, unit),
                    (P.has_target, unit + "#target"),
                ],
            )
        )
        _anchor(nodes, unit, doc, text, c.start, c.end, c.text)

    for r in records.relations:
        pv = [(P.type, C.s_node.iri), (P.type, RELATIONS[r.type][0]), (P.identifier, r.id)]
        pv.append((P.conclusion, units[r.target_id]))
        if r.note:
            pv.append((P.comment, r.note))
        pv += [(P.was_derived_from, doc), (P.was_generated_by, activity)]
        nodes.append((relations[r.id], pv))

    for m in records.mentions:
        node = iris.mention_in(doc, m.id.partition("/")[2])
        nodes.append(
            (
                node,
                [
                    (P.type, C.annotation.iri),
                    (P.type, C.mention.iri),
                    (P.identifier, m.id),
                    (P.motivated_by, OA_IDENTIFYING),
                    (P.has_body, actor(m.actor_id)),
                    (P.has_target, node + "#target"),
                    (P.method, m.method),
                    (P.was_derived_from, doc),
                    (P.was_generated_by, activity),
                ],
            )
        )
        _anchor(nodes, node, doc, text, m.start, m.end, m.text)
    return nodes


def actor_triples(actors: list[Actor], iris: Iris) -> list[Triple]:
    out: list[Triple] = []
    add = out.append
    for a in actors:
        node = iris.actor(a.id)
        add((node, P.type, C.actor.iri))
        add((node, P.type, ACTOR_CLASSES[a.kind]))
        add((node, P.identifier, a.id))
        add((node, P.name, a.name))
        add((node, P.actor_kind, a.kind))
        for alias in a.aliases:
            add((node, P.alternate_name, alias))
        if a.description:
            add((node, P.description, a.description))
        if a.wikidata:
            add((node, P.same_as, wikidata_iri(a.wikidata)))
        for other in a.part_of:
            add((node, P.parent_organization, iris.actor(other)))
        for other in a.member_of:
            add((node, P.member_of, iris.actor(other)))
    return out


def _slug(text: str) -> str:
    return "-".join("".join(ch if ch.isalnum() else " " for ch in text.lower()).split()) or "contributor"


def dataset_core_triples(dataset: DatasetSpec, iris: Iris) -> list[Triple]:
    """The dataset as dcat:Dataset, void:Dataset and schema:Dataset; its contributors; the build."""
    out: list[Triple] = []
    add = out.append
    ds = iris.dataset
    for cls in (C.dataset, C.dcat_dataset, C.void_dataset):
        add((ds, P.type, cls.iri))
    add((ds, P.title, dataset.title))
    add((ds, P.name, dataset.title))
    add((ds, P.dct_description, dataset.description))
    add((ds, P.description, dataset.description))
    for lic in dataset.licenses:
        iri = iri_from_text(lic.path, iris)
        add((ds, P.license, iri))
        add((ds, P.schema_license, iri))
    add((ds, P.version, dataset.version))
    add((ds, P.schema_version, dataset.version))
    add((ds, P.issued, dataset.created))
    add((ds, P.date_published, dataset.created))
    for word in dataset.keywords:
        add((ds, P.keyword, word))
        add((ds, P.keywords, word))
    if dataset.citation:
        add((ds, P.citation, dataset.citation))
        add((ds, P.schema_citation, dataset.citation))
    if dataset.homepage:
        page = iri_from_text(dataset.homepage, iris)
        add((ds, P.landing_page, page))
        add((ds, P.url, page))
    add((ds, P.is_accessible_for_free, True))
    add((ds, P.uri_space, iris.root))
    for ns in DATA_VOCABULARIES:
        add((ds, P.vocabulary, ns))
    seen: set[str] = set()
    for person in dataset.contributors:
        if person.path:
            node = iri_from_text(person.path, iris)
        else:
            slug = base = _slug(person.title)
            n = 1
            while slug in seen:
                n += 1
                slug = f"{base}-{n}"
            seen.add(slug)
            node = iris.contributor(slug)
        add((node, P.type, C.agent.iri))
        add((node, P.type, C.prov_agent.iri))
        add((node, P.foaf_name, person.title))
        add((node, P.name, person.title))
        if person.email:
            add((node, P.mbox, iri_from_text("mailto:" + person.email, iris)))
        for role in person.roles:
            if role == "creator":
                add((ds, P.creator, node))
                add((ds, P.schema_creator, node))
            elif role == "publisher":
                add((ds, P.dct_publisher, node))
            else:
                add((ds, P.contributor, node))
    activity = activity_iri(dataset, iris)
    agent = iris.software_agent(__version__)
    add((ds, P.was_generated_by, activity))
    add((activity, P.type, C.activity.iri))
    add((activity, P.label, f"datapkg build of {dataset.name} {dataset.version}"))
    add((activity, P.was_associated_with, agent))
    add((agent, P.type, C.software_agent.iri))
    add((agent, P.type, C.software_application.iri))
    add((agent, P.name, "datapkg"))
    add((agent, P.label, f"datapkg {__version__}"))
    add((agent, P.software_version, __version__))
    return out


def dataset_triples(dataset: DatasetSpec, actors: list[Actor], iris: Iris) -> list[Triple]:
    """The dataset graph: actors (shared by all documents) and the dataset itself."""
    return actor_triples(actors, iris) + dataset_core_triples(dataset, iris)


# ---------------------------------------------------------------- serialising


class RdfChunk(NamedTuple):
    """One graph's triples in every format (UTF-8 bytes), with figures for the dataset description."""

    nt: bytes
    nq: bytes
    ttl: bytes
    jsonld: bytes
    triples: int
    classes: dict[str, int]


class Serialiser:
    """Formats nodes in every RDF syntax; holds only caches, so results depend on the input alone."""

    def __init__(self, iris: Iris) -> None:
        self.iris = iris
        self.writer = Writer(iris)

    def chunk(self, nodes: list[Node], graph: str, label: str) -> RdfChunk:
        written = self.writer.write(nodes)
        nt = "".join(written.nt_lines).encode("utf-8")
        return RdfChunk(
            nt=nt,
            nq=to_nquads(nt, graph),
            ttl=f"# {label}\n{written.turtle}".encode(),
            jsonld=",\n".join(written.json_nodes).encode("utf-8"),
            triples=len(written.nt_lines),
            classes=written.classes,
        )


class RdfSink(Sink):
    """Writes rdf/<name>.{ttl,nt,nq,jsonld}. Files are opened on the first write, so a sink
    built in a worker process to call render() holds no file handles."""

    name = "rdf"

    def __init__(self, ctx: BuildContext) -> None:
        super().__init__(ctx)
        self.iris = Iris(ctx.dataset.base_iri)
        self.activity = activity_iri(ctx.dataset, self.iris)
        self.serialiser = Serialiser(self.iris)
        self._files: dict[str, IO[bytes]] | None = None
        self._nt_part: Path | None = None
        self._last_line = b""
        self._sorted = True
        self._jsonld_started = False
        self.triples = 0
        self.classes: Counter[str] = Counter()
        self.graphs = 0

    def progress_counts(self) -> dict[str, int]:
        return {"triples": self.triples}  # for the build's progress display

    def __getstate__(self) -> dict[str, Any]:
        """A copy for a worker process (render only): without open files."""
        return {**self.__dict__, "_files": None}

    def render(self, records: DocumentRecords) -> RdfChunk:
        doc_id = records.document.id
        nodes = document_nodes(records, self.iris, self.activity)
        return self.serialiser.chunk(nodes, self.iris.document_graph(doc_id), f"document {doc_id}")

    def _open(self) -> dict[str, IO[bytes]]:
        if self._files is None:
            ds = self.ctx.dataset
            files = {}
            for fmt in FORMATS:
                path = self.ctx.path(rdf_path(ds, fmt))
                if fmt == "nt":  # document blocks first; dataset lines are merged in at the end
                    path = self._nt_part = path.with_name(f".{path.name}.part")
                files[fmt] = path.open("wb")
            files["ttl"].write(self.serialiser.writer.header().encode("utf-8"))
            files["jsonld"].write(document_head(self.iris).encode("utf-8"))
            self._files = files
        return self._files

    def write(self, rendered: RdfChunk) -> None:
        files = self._open()
        self._append(files, rendered)
        nt = rendered.nt
        if nt:
            if nt[: nt.index(b"\n") + 1] < self._last_line:  # documents came out of sorted order
                self._sorted = False
            self._last_line = nt[nt.rindex(b"\n", 0, len(nt) - 1) + 1 :]
        self.graphs += 1

    def _append(self, files: dict[str, IO[bytes]], chunk: RdfChunk, nt: bool = True) -> None:
        if nt:
            files["nt"].write(chunk.nt)
        files["nq"].write(chunk.nq)
        files["ttl"].write(b"\n" + chunk.ttl)
        if chunk.jsonld:
            files["jsonld"].write((b",\n" if self._jsonld_started else b"") + chunk.jsonld)
            self._jsonld_started = True
        self.triples += chunk.triples
        self.classes.update(chunk.classes)

    def finish(self, actors: list[Actor]) -> None:
        files = self._open()
        ds = self.ctx.dataset
        nodes = group(dataset_triples(ds, actors, self.iris))
        chunk = self.serialiser.chunk(nodes, self.iris.dataset_graph, "dataset")
        self._append(files, chunk, nt=False)  # its N-Triples lines are merged in below
        self.graphs += 1
        files["jsonld"].write(DOCUMENT_TAIL.encode("utf-8"))
        for f in files.values():
            f.close()
        assert self._nt_part is not None
        _merge_sorted(self._nt_part, chunk.nt, self.ctx.path(rdf_path(ds, "nt")), self.iris, self._sorted)
        for fmt, (title, description) in DESCRIPTIONS.items():
            describe(self.ctx, rdf_path(ds, fmt), title, description)
        digest_many(self.ctx, [rdf_path(ds, fmt) for fmt in FORMATS])  # hashed on every core, once
        self.ctx.counts["rdf"] = {
            "triples": self.triples,
            "graphs": self.graphs,
            "classes": dict(sorted(self.classes.items())),
            "files": {fmt: rdf_path(ds, fmt) for fmt in FORMATS},
        }


def _merge_sorted(part: Path, dataset_nt: bytes, final: Path, iris: Iris, blocks_sorted: bool) -> None:
    """The sorted .nt: dataset lines that sort before the documents, the document blocks, the rest.

    Dataset-level subjects lie outside `{base}/document/`, so each dataset line sorts either
    before or after every document line, and the document blocks are copied as they are (in
    the kernel). Should that not hold, or documents have come out of corpus order, everything
    is sorted in memory instead.
    """
    cut = f"<{iris.root}document/".encode()
    lines = dataset_nt.splitlines(keepends=True)
    with final.open("wb") as out:
        if blocks_sorted and not any(x.startswith(cut) for x in lines):
            out.write(b"".join(x for x in lines if x < cut))
            out.flush()
            _append_file(out, part)
            out.write(b"".join(x for x in lines if x > cut))
        else:
            out.write(b"".join(sorted({*part.read_bytes().splitlines(keepends=True), *lines})))
    part.unlink()


def _append_file(out: IO[bytes], src: Path) -> None:
    """Append `src` to `out` with sendfile (no copy through Python); plain copy where unsupported."""
    size, sent = src.stat().st_size, 0
    with src.open("rb") as f:
        sendfile = getattr(os, "sendfile", None)
        while sendfile is not None and sent < size:
            try:
                n = sendfile(out.fileno(), f.fileno(), sent, size - sent)
            except OSError:
                if sent:  # failed half-way (disk full, …): a real error
                    raise
                sendfile = None  # this system cannot sendfile between files
                break
            if n == 0:
                break
            sent += n
        out.seek(0, os.SEEK_END)
        if sent < size:
            f.seek(sent)
            shutil.copyfileobj(f, out, 1 << 20)
