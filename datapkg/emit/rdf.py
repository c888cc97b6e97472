"""The RDF graph: triples per document, written as Turtle, sorted N-Triples, N-Quads and JSON-LD.

`render()` turns one document's records into its nodes (one `Shape` per kind of node) and
serialises them in every format with the compiled shape writer (pure, picklable bytes, so it
can run in a worker process), each format also deflated as a segment for the release zip;
`write()` appends them in corpus order; `finish()` adds the dataset-level graph (actors, the
dataset, the build's provenance), `ACTOR_BATCH` actors at a time, so its memory does not grow
with the corpus: each batch's N-Triples lines go to a sorted run file, and the runs are merged
with the document blocks into the sorted `.nt`.

At corpus scale the RDF is gigabytes, and every byte written or read again costs: each file is
written once and hashed as it is written (`files.record_digest`); the `.nt` document blocks
are kept only deflated until finish writes the `.nt`; and the release zip copies the deflated
segments (`files.record_deflated`, `ziparchive.Precompressed`) instead of reading the files.

Files: `rdf/<name>.ttl`, `.nt`, `.nq`, `.jsonld`. In the N-Quads file each document's triples
form the named graph `{base}/graph/document/{doc}` (contiguous, sorted, in corpus order) and
the dataset-level triples form `{base}/graph/dataset` (last); every triple is in exactly one
graph, so `.nt` is their union. The `.nt` lines are globally sorted: all subjects of a
document start with `{base}/document/{doc}/`, so each document's lines form a sorted block
that no other document's lines fall into: the blocks are written as they are (their segments
reused in the zip), in the order of their first lines (corpus order, as a rule), with the
dataset-level lines merged in between.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import heapq
import itertools
import os
import tempfile
import threading
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any, NamedTuple

from .. import __version__
from ..config import DatasetSpec
from ..inorder import in_order
from ..model import Actor, DocumentRecords, Recommendation
from ..rdfsyntax import (
    NT_END_BYTES,
    Node,
    Ref,
    Refs,
    Shape,
    Shaped,
    ShapeNode,
    Triple,
    Val,
    Vals,
    Writer,
    group,
    to_nquads,
)
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
    Prop,
    iri_from_text,
    wikidata_iri,
)
from . import BuildContext, Sink
from .files import DEFLATED_DIR, describe, record_deflated, record_digest
from .jsonld import DOCUMENT_TAIL, document_head
from .ziparchive import Precompressed, crc32, deflate_segment, inflate_segments

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

# Each kind of node is a `Shape`: its predicates in the order the node lists them, constant
# objects, and parameters (IRIs relative to the base IRI, or values). `document_shapes` gives
# one (shape, arguments) pair per node; the writer compiles each shape once (rdfsyntax).

_PROVENANCE = ((P.was_derived_from, Ref("{doc}")), (P.was_generated_by, Ref("{activity}")))
# A unit's outgoing relations: their aif:Premise links and direct edges, grouped by JSON-LD key.
_OUTGOING = tuple(sorted([P.premise, *(edge for _, edge in RELATIONS.values())], key=lambda p: p.key))
_NO_EDGES: dict[str, list[str]] = {prop.key: [] for prop in _OUTGOING}


def _document_shape(classes: tuple[str, ...]) -> Shape:
    return Shape(
        "{doc}",
        "doc id title language genre text length dataset " + " ".join(FACT_PROPS) + " facts",
        [
            *((P.type, cls) for cls in classes),
            (P.identifier, Val("id")),
            (P.headline, Val("title")),
            (P.in_language, Val("language")),
            (P.genre, Val("genre")),
            (P.text, Val("text")),
            (P.length, Val("length")),
            (P.is_part_of, Val("dataset")),
            (P.checksum, Ref("{doc}checksum")),
            *((prop, Val(name, optional=True)) for name, prop in FACT_PROPS.items()),
            (P.fact, Refs("facts")),
        ],
    )


DOCUMENT_SHAPES = {classes: _document_shape(classes) for classes in (OPINION_CLASSES, ARTICLE_CLASSES)}
CHECKSUM_SHAPE = Shape(
    "{doc}checksum",
    "doc sha256",
    [(P.type, C.checksum.iri), (P.algorithm, SHA256_ALGORITHM), (P.checksum_value, Val("sha256"))],
)
FACT_SHAPE = Shape(
    "{fact}",
    "fact property value status evidence note doc activity",
    [
        (P.type, C.fact.iri),
        (P.fact_property, Val("property")),
        (P.value, Val("value")),
        (P.status, Val("status")),
        (P.evidence, Vals("evidence")),
        (P.comment, Val("note", optional=True)),
        *_PROVENANCE,
    ],
)


def _unit_shape(recommendation: bool) -> Shape:
    params = "unit id text doc kind role certainty cues about note"
    entries: list[tuple[Prop, Any]] = [(P.type, C.claim.iri), (P.type, C.i_node.iri)]
    if recommendation:
        entries.append((P.type, C.recommendation.iri))
    entries += [
        (P.identifier, Val("id")),
        (P.text, Val("text")),
        (P.claim_text, Val("text")),
        (P.appearance, Ref("{doc}")),
        (P.claim_kind, Val("kind")),
        (P.role, Val("role")),
        (P.certainty, Val("certainty")),
        (P.cue, Vals("cues")),
        (P.about, Refs("about")),
        (P.comment, Val("note", optional=True)),
    ]
    if recommendation:
        params += " addressees action targets beneficiaries modality modality_cue time_frame"
        entries += [
            (P.addressee, Refs("addressees")),
            (P.action, Val("action")),
            (P.target, Refs("targets")),
            (P.beneficiary, Refs("beneficiaries")),
            (P.modality, Val("modality")),
            (P.modality_cue, Val("modality_cue", optional=True)),
            (P.time_frame, Val("time_frame", optional=True)),
        ]
    params += " " + " ".join(prop.key for prop in _OUTGOING) + " activity"
    entries += [(prop, Refs(prop.key)) for prop in _OUTGOING]
    entries += _PROVENANCE
    return Shape("{unit}", params, entries)


CLAIM_SHAPE = _unit_shape(recommendation=False)
RECOMMENDATION_SHAPE = _unit_shape(recommendation=True)
ANNOTATION_SHAPE = Shape(
    "{unit}#annotation",
    "unit",
    [
        (P.type, C.annotation.iri),
        (P.motivated_by, OA_IDENTIFYING),
        (P.has_body, Ref("{unit}")),
        (P.has_target, Ref("{unit}#target")),
    ],
)
# W3C Web Annotation target of a span: a SpecificResource with position and quote selectors.
TARGET_SHAPE = Shape(
    "{node}#target",
    "node doc",
    [
        (P.type, C.specific_resource.iri),
        (P.has_source, Ref("{doc}")),
        (P.has_selector, Ref("{node}#position")),
        (P.has_selector, Ref("{node}#quote")),
    ],
)
POSITION_SHAPE = Shape(
    "{node}#position",
    "node start end",
    [(P.type, C.position_selector.iri), (P.start, Val("start")), (P.end, Val("end"))],
)
QUOTE_SHAPE = Shape(
    "{node}#quote",
    "node exact prefix suffix",
    [
        (P.type, C.quote_selector.iri),
        (P.exact, Val("exact")),
        (P.prefix, Val("prefix", optional=True)),
        (P.suffix, Val("suffix", optional=True)),
    ],
)
RELATION_SHAPES = {
    kind: Shape(
        "{relation}",
        "relation id conclusion note doc activity",
        [
            (P.type, C.s_node.iri),
            (P.type, cls),
            (P.identifier, Val("id")),
            (P.conclusion, Ref("{conclusion}")),
            (P.comment, Val("note", optional=True)),
            *_PROVENANCE,
        ],
    )
    for kind, (cls, _) in RELATIONS.items()
}
MENTION_SHAPE = Shape(
    "{node}",
    "node id actor method doc activity",
    [
        (P.type, C.annotation.iri),
        (P.type, C.mention.iri),
        (P.identifier, Val("id")),
        (P.motivated_by, OA_IDENTIFYING),
        (P.has_body, Ref("{actor}")),
        (P.has_target, Ref("{node}#target")),
        (P.method, Val("method")),
        *_PROVENANCE,
    ],
)
ACTOR_SHAPES = {
    cls: Shape(
        "{actor}",
        "actor id name kind aliases description wikidata part_of member_of",
        [
            (P.type, C.actor.iri),
            (P.type, cls),
            (P.identifier, Val("id")),
            (P.name, Val("name")),
            (P.actor_kind, Val("kind")),
            (P.alternate_name, Vals("aliases")),
            (P.description, Val("description", optional=True)),
            (P.same_as, Val("wikidata", optional=True)),
            (P.parent_organization, Refs("part_of")),
            (P.member_of, Refs("member_of")),
        ],
    )
    for cls in dict.fromkeys(ACTOR_CLASSES.values())
}


def activity_iri(dataset: DatasetSpec, iris: Iris) -> str:
    return iris.build_activity(dataset.version)


def _anchor(nodes: list[ShapeNode], node: str, doc: str, text: str, start: int, end: int, exact: str) -> None:
    """The span's target, position selector and quote selector (with up to QUOTE_CONTEXT code points around)."""
    prefix = text[start - QUOTE_CONTEXT if start > QUOTE_CONTEXT else 0 : start] if start else None
    suffix = text[end : end + QUOTE_CONTEXT] if end < len(text) else None
    nodes += (
        (TARGET_SHAPE, (node, doc)),
        (POSITION_SHAPE, (node, start, end)),
        (QUOTE_SHAPE, (node, exact, prefix, suffix)),
    )


class _ActorIris(dict[str, str]):
    """Relative actor IRIs by actor id, minted on first use (each actor is referred to many times)."""

    def __init__(self, iris: Iris) -> None:
        super().__init__()
        self.iris, self.n_root = iris, len(iris.root)

    def __missing__(self, actor_id: str) -> str:
        iri = self[actor_id] = self.iris.actor(actor_id)[self.n_root :]
        return iri


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values)) if len(values) > 1 else values


def document_shapes(records: DocumentRecords, iris: Iris, activity: str) -> list[ShapeNode]:
    """Every node one document contributes (its named graph), in a fixed order: the document,
    its facts, each unit with its anchor, the relations, the mentions. IRIs are relative to
    the base IRI (`activity` too)."""
    nodes: list[ShapeNode] = []
    n_root = len(iris.root)
    d = records.document
    doc = iris.document(d.id)[n_root:]
    text = d.text
    classes = OPINION_CLASSES if d.genre.lower() in OPINION_GENRES else ARTICLE_CLASSES
    values = []  # the document's optional properties, given by its facts
    for name, prop in FACT_PROPS.items():
        value = getattr(d, name)
        values.append(iri_from_text(value, iris) if value is not None and prop is P.url else value)
    facts = [iris.fact(d.id, fact.property)[n_root:] for fact in d.facts]
    doc_args = (doc, d.id, d.title, d.language, d.genre, text, d.length, iris.dataset, *values, facts)
    nodes.append((DOCUMENT_SHAPES[classes], doc_args))
    nodes.append((CHECKSUM_SHAPE, (doc, d.sha256)))
    for fact, node in zip(d.facts, facts, strict=True):
        prop = FACT_PROPS[fact.property].iri
        evidence = _unique(fact.evidence)
        nodes.append((FACT_SHAPE, (node, prop, fact.value, fact.status, evidence, fact.note or None, doc, activity)))

    # Relations leave from their source unit: its aif:Premise link and the direct edge are
    # written with the unit, so each subject's triples stay together.
    units = {c.id: iris.unit_in(doc, c.local_id) for c in records.claims}
    relations = {r.id: iris.relation_in(doc, r.id.partition("/")[2]) for r in records.relations}
    outgoing: dict[str, dict[str, list[str]]] = {}
    for r in records.relations:
        edges = outgoing.get(r.source_id)
        if edges is None:
            edges = outgoing[r.source_id] = {key: [] for key in _NO_EDGES}
        edges[P.premise.key].append(relations[r.id])
        edges[RELATIONS[r.type][1].key].append(units[r.target_id])
    actor = _ActorIris(iris).__getitem__

    for c in records.claims:
        unit = units[c.id]
        edges = outgoing.get(c.id, _NO_EDGES)
        args: tuple[Any, ...] = (
            unit,
            c.id,
            c.text,
            doc,
            c.kind,
            c.role,
            c.certainty,
            _unique(c.cues),
            [*map(actor, _unique(c.about))],
            c.note or None,
        )
        if isinstance(c, Recommendation):
            shape = RECOMMENDATION_SHAPE
            args += (
                [*map(actor, _unique(c.addressees))],
                c.action,
                [*map(actor, _unique(c.targets))],
                [*map(actor, _unique(c.beneficiaries))],
                c.modality,
                c.modality_cue or None,
                c.time_frame or None,
            )
        else:
            shape = CLAIM_SHAPE
        nodes.append((shape, (*args, *edges.values(), activity)))
        nodes.append((ANNOTATION_SHAPE, (unit,)))
        _anchor(nodes, unit, doc, text, c.start, c.end, c.text)

    for r in records.relations:
        args = (relations[r.id], r.id, units[r.target_id], r.note or None, doc, activity)
        nodes.append((RELATION_SHAPES[r.type], args))

    for m in records.mentions:
        node = iris.mention_in(doc, m.id.partition("/")[2])
        nodes.append((MENTION_SHAPE, (node, m.id, actor(m.actor_id), m.method, doc, activity)))
        _anchor(nodes, node, doc, text, m.start, m.end, m.text)
    return nodes


def document_nodes(records: DocumentRecords, iris: Iris, activity: str) -> list[Node]:
    """The document's nodes with absolute IRIs, as the generic `Writer.write` takes them."""
    return [shape.expand(iris.root, args) for shape, args in document_shapes(records, iris, iris.relative(activity))]


def actor_shapes(actors: Iterable[Actor], iris: Iris) -> list[ShapeNode]:
    n_root = len(iris.root)
    nodes: list[ShapeNode] = []
    for a in actors:
        args = (
            iris.actor(a.id)[n_root:],
            a.id,
            a.name,
            a.kind,
            _unique(a.aliases),
            a.description or None,
            wikidata_iri(a.wikidata) if a.wikidata else None,
            _unique([iris.actor(other)[n_root:] for other in a.part_of]),
            _unique([iris.actor(other)[n_root:] for other in a.member_of]),
        )
        nodes.append((ACTOR_SHAPES[ACTOR_CLASSES[a.kind]], args))
    return nodes


def actor_triples(actors: Iterable[Actor], iris: Iris) -> list[Triple]:
    return [
        (s, p, v)
        for shape, args in actor_shapes(actors, iris)
        for s, pv in [shape.expand(iris.root, args)]
        for p, v in pv
    ]


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

    def shaped_chunk(self, nodes: list[ShapeNode], graph: str, label: str) -> RdfChunk:
        """`chunk` of the expanded nodes, byte for byte, written by the compiled shapes."""
        shaped = self.writer.write_shapes(nodes)
        return RdfChunk(
            nt=shaped.ntriples,
            nq=_nquads(shaped, graph),
            ttl=f"# {label}\n".encode() + shaped.turtle,
            jsonld=shaped.json,
            triples=shaped.triples,
            classes=shaped.classes,
        )

    def shaped_rendered(self, nodes: list[ShapeNode], graph: str, label: str) -> RenderedRdf:
        """`rendered(self.shaped_chunk(nodes, graph, label))`, byte for byte, without copying the
        Turtle and JSON-LD (~0.4 MB a document) to put the label and separators before them."""
        if not nodes:  # (the Turtle head would lack the line end the first block's separator gives)
            return rendered(self.shaped_chunk(nodes, graph, label))
        shaped = self.writer.write_shapes(nodes, heads=(f"\n# {label}".encode(), b""))
        return _rendered(
            shaped.ntriples, _nquads(shaped, graph), shaped.turtle, shaped.json, shaped.triples, shaped.classes
        )


def _nquads(shaped: Shaped, graph: str) -> bytes:
    """The N-Quads of written shapes: their lines in `graph` (one single-byte replace, see NT_END)."""
    return shaped.nt.replace(NT_END_BYTES, f" <{graph}> .\n".encode())


ACTOR_BATCH = 2000  # actors written at a time in finish(): its memory does not grow with the corpus
MERGE_BUFFER = 1 << 20  # bytes of dataset lines gathered before they are written
# Deflate level of the RDF in the release zip. The workers deflate each document's bytes (every
# format) as a segment of its own: on such ~0.2-0.8 MB pieces of N-Quads, level 2 was both faster
# and smaller than level 1 (~430 vs ~415 MB/s, ratio 23.5 vs 22.0) and much faster than level 3
# (~350 MB/s, ratio 24.5): 2 it is. (Python's zlib: the bytes must not depend on the CPU.)
DEFLATE_LEVEL = 2
INFLATE_AHEAD = 2  # document blocks inflated ahead per thread while the .nt is written
HASH_AHEAD = 8  # pieces of a file written but not hashed yet (by its hashing thread)


class RenderedRdf(NamedTuple):
    """One document's graph as a worker hands it to the parent: each format's bytes deflated as a
    `deflate_segment` (for the release zip, and all that travels: the parent inflates what it
    appends, ~1 ms a document, where pickling, compressing and unpickling the ~1.1 MB of .nq, .ttl
    and .jsonld besides cost ~2.5 ms); the N-Triples block's first and last lines (where it
    sorts in finish) and its size."""

    nt_first: bytes
    nt_last: bytes
    nt_size: int
    deflated: tuple[bytes, bytes, bytes, bytes]  # nt; nq; b"\n" + ttl; b",\n" + jsonld (b"" when there are no nodes)
    triples: int
    classes: dict[str, int]

    @property
    def nt(self) -> bytes:
        """The N-Triples block."""
        return inflate_segments(self.deflated[0])

    @property
    def nq(self) -> bytes:
        return inflate_segments(self.deflated[1])

    @property
    def ttl(self) -> bytes:
        """A blank line, then the document's Turtle."""
        return inflate_segments(self.deflated[2])

    @property
    def jsonld(self) -> bytes:
        """Its nodes, without the separator from the previous document's."""
        return inflate_segments(self.deflated[3])[2:]


def rendered(chunk: RdfChunk, level: int = DEFLATE_LEVEL) -> RenderedRdf:
    jsonld = b",\n" + chunk.jsonld if chunk.jsonld else b""
    return _rendered(chunk.nt, chunk.nq, b"\n" + chunk.ttl, jsonld, chunk.triples, chunk.classes, level)


def _rendered(
    nt: bytes, nq: bytes, ttl: bytes, jsonld: bytes, triples: int, classes: dict[str, int], level: int = DEFLATE_LEVEL
) -> RenderedRdf:
    """`rendered` of a chunk whose Turtle and JSON-LD (if any) have their separators before them already."""
    first = last = b""
    if nt:
        first, last = nt[: nt.index(b"\n") + 1], nt[nt.rindex(b"\n", 0, len(nt) - 1) + 1 :]
    deflated = (
        deflate_segment(nt, level),
        deflate_segment(nq, level),
        deflate_segment(ttl, level),
        deflate_segment(jsonld, level),  # (no bytes for none)
    )
    return RenderedRdf(first, last, len(nt), deflated, triples, classes)


class _Block(NamedTuple):
    """Where one document's N-Triples lines lie, deflated, in the .nt spool file."""

    first: bytes
    last: bytes
    offset: int
    compressed: int
    size: int


class _Hasher:
    """SHA-256 and CRC-32 of the bytes given, in order; in a thread of its own if `threaded`
    (hashlib and zlib release the GIL), at most `HASH_AHEAD` pieces behind the caller."""

    def __init__(self, threaded: bool) -> None:
        self.sha256, self.crc = hashlib.sha256(), 0
        self._pool = ThreadPoolExecutor(1) if threaded else None
        self._pending: collections.deque[Future[None]] = collections.deque()

    def _update(self, data: bytes) -> None:
        self.sha256.update(data)
        self.crc = crc32(data, self.crc)

    def update(self, data: bytes) -> None:
        if self._pool is None:
            self._update(data)
            return
        self._pending.append(self._pool.submit(self._update, data))  # one thread: in order
        while len(self._pending) > HASH_AHEAD:
            self._pending.popleft().result()

    def result(self) -> tuple[str, int]:
        """The SHA-256 (hex) and CRC-32 of everything given."""
        while self._pending:
            self._pending.popleft().result()
        if self._pool is not None:
            self._pool.shutdown()
        return self.sha256.hexdigest(), self.crc


class _Output:
    """One RDF file as it is written: its bytes hashed (SHA-256, CRC-32) on the way, so nobody
    reads it again to hash it, and its deflated form gathered in a spool file for the release zip,
    as ranges of that file in content order: segments deflated elsewhere (the workers), or bytes
    deflated here (one compressor for each run of them, ended by a sync flush before the next
    segment from elsewhere: its back-references must not reach into bytes it did not see)."""

    def __init__(
        self, path: Path, spool: IO[bytes], spool_path: Path, spool_size: int = 0, threaded: bool = False
    ) -> None:
        self.path, self.file = path, path.open("wb")
        self.hasher, self.size = _Hasher(threaded), 0
        self.spool, self.spool_path, self.spool_size = spool, spool_path, spool_size
        self.ranges: list[tuple[int, int]] = []
        self._here: Any = None  # the compressor of the current run of bytes deflated here
        self._here_from = 0

    def _raw(self, data: bytes) -> None:
        self.file.write(data)
        self.hasher.update(data)
        self.size += len(data)

    def _range(self, offset: int, size: int) -> None:
        if self.ranges and sum(self.ranges[-1]) == offset:
            self.ranges[-1] = (self.ranges[-1][0], self.ranges[-1][1] + size)
        elif size:
            self.ranges.append((offset, size))

    def _end_here(self) -> None:
        if self._here is not None:
            self._spool(self._here.flush(zlib.Z_SYNC_FLUSH))
            self._range(self._here_from, self.spool_size - self._here_from)
            self._here = None

    def _spool(self, data: bytes) -> None:
        self.spool.write(data)
        self.spool_size += len(data)

    def add(self, segment: bytes, data: bytes) -> None:
        """The bytes `data`, deflated elsewhere as `segment`; appended to the spool."""
        self._end_here()
        self._raw(data)
        offset = self.spool_size
        self._spool(segment)
        self._range(offset, len(segment))

    def add_spooled(self, data: bytes, offset: int, size: int) -> None:
        """`data`, whose segment is already in the spool at `offset` (`size` bytes)."""
        self._end_here()
        self._raw(data)
        self._range(offset, size)

    def add_here(self, data: bytes) -> None:
        """`data`, deflated here."""
        if data:
            if self._here is None:
                self._here = zlib.compressobj(DEFLATE_LEVEL, zlib.DEFLATED, -15)
                self._here_from = self.spool_size
            self._raw(data)
            self._spool(self._here.compress(data))

    def close(self) -> tuple[str, Precompressed]:
        """Close the file (not the spool); its SHA-256 (hex) and its deflated form."""
        self._end_here()
        self.file.close()
        sha256, crc = self.hasher.result()
        return sha256, Precompressed(crc, self.size, self.spool_path, tuple(self.ranges))


class RdfSink(Sink):
    """Writes rdf/<name>.{ttl,nt,nq,jsonld}. Files are opened on the first write, so a sink
    built in a worker process to call render() holds no file handles.

    The .nq, .ttl and .jsonld are written as the documents come; the .nt document blocks are kept
    deflated only (in a spool file), and the .nt is written once, in finish. The deflated bytes of
    every format go to the release zip (`files.record_deflated`), which so never reads the RDF."""

    name = "rdf"

    def __init__(self, ctx: BuildContext) -> None:
        super().__init__(ctx)
        self.iris = Iris(ctx.dataset.base_iri)
        self.activity = activity_iri(ctx.dataset, self.iris)
        self.serialiser = Serialiser(self.iris)
        self._out: dict[str, _Output] | None = None
        self._nt_spool: IO[bytes] | None = None
        self._nt_spool_size = 0
        self._blocks: list[_Block] = []
        self._jsonld_started = False
        self.triples = 0
        self.classes: Counter[str] = Counter()
        self.graphs = 0

    def progress_counts(self) -> dict[str, int]:
        return {"triples": self.triples}  # for the build's progress display

    def __getstate__(self) -> dict[str, Any]:
        """A copy for a worker process (render only): without open files."""
        return {**self.__dict__, "_out": None, "_nt_spool": None}

    def _shapes(self, records: DocumentRecords) -> tuple[list[ShapeNode], str, str]:
        """The document's nodes, its named graph and its label."""
        doc_id = records.document.id
        nodes = document_shapes(records, self.iris, self.iris.relative(self.activity))
        return nodes, self.iris.document_graph(doc_id), f"document {doc_id}"

    def chunk(self, records: DocumentRecords) -> RdfChunk:
        """The document's graph in every format."""
        return self.serialiser.shaped_chunk(*self._shapes(records))

    def render(self, records: DocumentRecords) -> RenderedRdf:
        """`rendered(self.chunk(records))`."""
        return self.serialiser.shaped_rendered(*self._shapes(records))

    def _jobs(self) -> int:
        return self.ctx.options.jobs if self.ctx.options.jobs > 0 else (os.cpu_count() or 1)

    def _spool_path(self, fmt: str) -> Path:
        return self.ctx.path(f"{DEFLATED_DIR}/{self.ctx.dataset.name}.{fmt}.deflate")

    def _open(self) -> dict[str, _Output]:
        if self._out is None:
            ds = self.ctx.dataset
            out = {}
            for fmt in ("nq", "ttl", "jsonld"):
                spool = self._spool_path(fmt)
                out[fmt] = _Output(self.ctx.path(rdf_path(ds, fmt)), spool.open("wb"), spool, threaded=self._jobs() > 1)
            self._nt_spool = self._spool_path("nt").open("wb")  # document blocks; the .nt is written in finish
            out["ttl"].add_here(self.serialiser.writer.header().encode("utf-8"))
            out["jsonld"].add_here(document_head(self.iris).encode("utf-8"))
            self._out = out
        return self._out

    def write(self, rendered: RenderedRdf) -> None:
        out = self._open()
        assert self._nt_spool is not None
        z_nt, z_nq, z_ttl, z_jsonld = rendered.deflated
        if rendered.nt_size:
            self._blocks.append(
                _Block(rendered.nt_first, rendered.nt_last, self._nt_spool_size, len(z_nt), rendered.nt_size)
            )
            self._nt_spool.write(z_nt)
            self._nt_spool_size += len(z_nt)
        out["nq"].add(z_nq, inflate_segments(z_nq))
        out["ttl"].add(z_ttl, inflate_segments(z_ttl))
        if z_jsonld:
            if self._jsonld_started:
                out["jsonld"].add(z_jsonld, inflate_segments(z_jsonld))
            else:  # the first nodes: no separator before them, as the segment has
                out["jsonld"].add_here(rendered.jsonld)
                self._jsonld_started = True
        self.triples += rendered.triples
        self.classes.update(rendered.classes)
        self.graphs += 1

    def _append_jsonld(self, out: _Output, nodes: bytes) -> None:
        if nodes:
            out.add_here((b",\n" if self._jsonld_started else b"") + nodes)
            self._jsonld_started = True

    def finish(self, actors: Iterable[Actor]) -> None:
        out = self._open()
        assert self._nt_spool is not None
        ds = self.ctx.dataset
        rdf_dir = self.ctx.path(RDF_DIR)
        jobs = self._jobs()
        with tempfile.TemporaryDirectory(prefix=".dataset-lines-", dir=rdf_dir) as scratch:
            runs = self._write_dataset_graph(out, actors, Path(scratch))
            out["jsonld"].add_here(DOCUMENT_TAIL.encode("utf-8"))
            self._nt_spool.flush()
            spool = self._spool_path("nt")
            final = self.ctx.path(rdf_path(ds, "nt"))
            out["nt"] = nt = _Output(final, self._nt_spool, spool, self._nt_spool_size, threaded=jobs > 1)
            with contextlib.ExitStack() as stack:
                sources = [stack.enter_context(run.open("rb")) if isinstance(run, Path) else run for run in runs]
                dataset_lines = _unique_lines(heapq.merge(*sources))
                graph = f" <{self.iris.dataset_graph}> .\n".encode()
                self.triples += _merge_sorted(spool, self._blocks, dataset_lines, nt, out["nq"], graph, jobs)
        for fmt in FORMATS:
            sha256, deflated = out[fmt].close()
            record_digest(self.ctx, rdf_path(ds, fmt), sha256, deflated.size)  # nobody reads them again to hash
            record_deflated(self.ctx, rdf_path(ds, fmt), deflated)  # nor to zip
        for o in out.values():
            o.spool.close()  # (the .nt's is the spool of the document blocks: closed here too)
        self.graphs += 1
        for fmt, (title, description) in DESCRIPTIONS.items():
            describe(self.ctx, rdf_path(ds, fmt), title, description)
        self.ctx.counts["rdf"] = {
            "triples": self.triples,
            "graphs": self.graphs,
            "classes": dict(sorted(self.classes.items())),
            "files": {fmt: rdf_path(ds, fmt) for fmt in FORMATS},
        }

    def _write_dataset_graph(
        self, out: dict[str, _Output], actors: Iterable[Actor], scratch: Path
    ) -> list[Path | list[bytes]]:
        """The dataset graph (the actors, then the dataset itself) in Turtle and JSON-LD, as one
        `chunk` of `group(dataset_triples(...))` would write it, `ACTOR_BATCH` actors at a time;
        its N-Triples lines as sorted runs to merge: files (one per batch) and a list."""
        writer = self.serialiser.writer
        core = group(dataset_core_triples(self.ctx.dataset, self.iris))
        actor_space = self.iris.actor("")
        if any(s.startswith(actor_space) for s, _ in core):  # group() would merge it with an actor: all at once
            core = group(dataset_triples(self.ctx.dataset, list(actors), self.iris))
            actors = ()
        runs: list[Path | list[bytes]] = []
        ttl_head = b"\n# dataset\n"
        batches = iter(actors)
        while batch := list(itertools.islice(batches, ACTOR_BATCH)):
            shaped = writer.write_shapes(actor_shapes(batch, self.iris))
            out["ttl"].add_here(ttl_head + shaped.turtle)
            ttl_head = b"\n"
            self._append_jsonld(out["jsonld"], shaped.json)
            run = scratch / f"{len(runs):06d}.nt"
            run.write_bytes(shaped.ntriples)
            runs.append(run)
            self.classes.update(shaped.classes)
        written = writer.write(core)
        out["ttl"].add_here(ttl_head + written.turtle.encode("utf-8"))
        self._append_jsonld(out["jsonld"], ",\n".join(written.json_nodes).encode("utf-8"))
        self.classes.update(written.classes)
        runs.append([line.encode("utf-8") for line in written.nt_lines])
        return runs


def _unique_lines(lines: Iterable[bytes]) -> Iterator[bytes]:
    previous = None
    for line in lines:
        if line != previous:
            yield line
            previous = line


def _inflated(spool: Path, blocks: list[_Block], jobs: int) -> Iterator[bytes]:
    """The lines of each block, in order: inflated in `jobs` threads (zlib releases the GIL) a
    few blocks ahead of the caller, who writes and hashes them meanwhile."""
    with open(spool, "rb") as f:
        lock = threading.Lock()

        def inflate(block: _Block) -> bytes:
            with lock:  # (one shared file position)
                f.seek(block.offset)
                data = f.read(block.compressed)
            lines = inflate_segments(data)
            if len(lines) != block.size:
                raise OSError(f"{spool}: a document block inflates to {len(lines)} bytes, not {block.size}")
            return lines

        if jobs <= 1:
            yield from map(inflate, blocks)
            return
        with ThreadPoolExecutor(jobs) as pool:
            yield from in_order(pool, inflate, blocks, INFLATE_AHEAD * jobs)


def _merge_sorted(
    spool: Path,
    blocks: list[_Block],
    dataset: Iterator[bytes],
    out: _Output,
    nq: _Output,
    graph: bytes,
    jobs: int = 1,
) -> int:
    """Write the sorted .nt to `out`: the document blocks (deflated in `spool`) merged with the
    sorted dataset lines; append the dataset lines to the .nq (as `graph`). Returns how many
    dataset lines there are.

    Each document's lines are a sorted block, and the subjects of different documents differ
    (`{base}/document/{doc}/...`), so the blocks, ordered by their first lines, do not overlap:
    they are written as they are (and their segments reused for the zip), and a dataset line goes
    between them, or, when it sorts inside a block, that block alone is merged line by line (and
    deflated again). Should blocks overlap (one document id twice), everything is sorted in
    memory instead.
    """
    order = sorted(blocks, key=lambda b: b.first)
    if any(a.last >= b.first for a, b in itertools.pairwise(order)):
        lines = list(dataset)
        nq.add_here(b"".join(lines).replace(b" .\n", graph))
        everything = set(lines)
        for data in _inflated(spool, order, jobs):
            everything.update(data.splitlines(keepends=True))
        out.add_here(b"".join(sorted(everything)))
        return len(lines)
    count = 0
    pending: list[bytes] = []
    pending_size = 0

    def flush() -> None:
        nonlocal pending_size
        if pending:
            chunk = b"".join(pending)
            out.add_here(chunk)
            nq.add_here(chunk.replace(b" .\n", graph))
            pending.clear()
            pending_size = 0

    line = next(dataset, None)

    def take(before: bytes | None) -> None:
        """Gather the dataset lines that sort before `before` (all of them: None), written in batches."""
        nonlocal line, count, pending_size
        while line is not None and (before is None or line < before):
            pending.append(line)
            pending_size += len(line)
            count += 1
            if pending_size >= MERGE_BUFFER:
                flush()
            line = next(dataset, None)
        flush()

    for block, data in zip(order, _inflated(spool, order, jobs), strict=True):
        take(block.first)
        if line is not None and line <= block.last:  # dataset lines inside this block: merge them in
            inside: list[bytes] = []
            while line is not None and line <= block.last:
                inside.append(line)
                line = next(dataset, None)
            count += len(inside)
            nq.add_here(b"".join(inside).replace(b" .\n", graph))
            out.add_here(b"".join(_unique_lines(heapq.merge(data.splitlines(keepends=True), inside))))
        else:
            out.add_spooled(data, block.offset, block.compressed)
    take(None)
    return count
