"""The RDF graph files: independent parsers agree, formats are isomorphic, every row is a node,
N-Triples are sorted, one named graph per document, and builds are byte-identical."""

from __future__ import annotations

import csv
import hashlib
import pickle
import re
import shutil
import subprocess
import zlib
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from datapkg.build import build
from datapkg.emit import BuildContext, BuildOptions
from datapkg.emit import rdf as rdf_module
from datapkg.emit.files import Digest, deflated_forms, digest
from datapkg.emit.jsonld import DOCUMENT_TAIL
from datapkg.emit.rdf import FORMATS, RdfSink, Serialiser, dataset_triples, document_nodes, document_shapes, rdf_path
from datapkg.emit.ziparchive import FINAL_BLOCK, Precompressed, deflate_segment, inflate_segments
from datapkg.rdfsyntax import NT_END_BYTES, Lit, Ref, Refs, Shape, Val, Vals, Writer, group, quoted
from datapkg.seeds import iter_documents, open_seeds
from datapkg.vocab import DATAPKG, SCHEMA, TABLE_CLASSES, C, Iris, P
from tests.conftest import SEEDS, need_tool
from tests.corpus_support import make_corpus

NAME = "argument-essays"
SCHEMA_TEXT = rdflib.URIRef(SCHEMA + "text")


def rdf_file(built: Path, fmt: str) -> Path:
    return built / "rdf" / f"{NAME}.{fmt}"


def parse(path: Path, fmt: str) -> rdflib.Graph:
    graph = rdflib.Graph(bind_namespaces="none")
    graph.parse(path, format=fmt)
    return graph


@pytest.fixture(scope="module")
def ttl(built: Path) -> rdflib.Graph:
    return parse(rdf_file(built, "ttl"), "turtle")


@pytest.fixture(scope="module")
def nt(built: Path) -> rdflib.Graph:
    return parse(rdf_file(built, "nt"), "nt")


@pytest.fixture(scope="module")
def quads(built: Path) -> rdflib.Dataset:
    dataset = rdflib.Dataset()
    dataset.parse(rdf_file(built, "nq"), format="nquads")
    return dataset


def rapper_count(path: Path, syntax: str) -> int:
    rapper = need_tool("rapper")
    run = subprocess.run([rapper, "-i", syntax, "-c", str(path)], capture_output=True, text=True, check=True)
    found = re.search(r"returned (\d+) triples", run.stderr)
    assert found, run.stderr
    return int(found.group(1))


def test_rapper_counts_what_rdflib_counts(built: Path, ttl: rdflib.Graph, nt: rdflib.Graph) -> None:
    lines = rdf_file(built, "nt").read_bytes().count(b"\n")
    assert len(ttl) == len(nt) == lines > 1000
    assert rapper_count(rdf_file(built, "ttl"), "turtle") == len(ttl)
    assert rapper_count(rdf_file(built, "nt"), "ntriples") == len(nt)
    assert rapper_count(rdf_file(built, "nq"), "nquads") == lines


def test_pyoxigraph_parses_every_format(built: Path) -> None:
    lines = rdf_file(built, "nt").read_bytes().count(b"\n")
    for fmt, syntax in (("ttl", ox.RdfFormat.TURTLE), ("nt", ox.RdfFormat.N_TRIPLES), ("nq", ox.RdfFormat.N_QUADS)):
        assert len(set(ox.parse(path=rdf_file(built, fmt), format=syntax))) == lines


def test_turtle_and_ntriples_are_isomorphic(ttl: rdflib.Graph, nt: rdflib.Graph) -> None:
    assert isomorphic(ttl, nt)


def test_union_of_the_named_graphs_is_the_ntriples(nt: rdflib.Graph, quads: rdflib.Dataset) -> None:
    union = rdflib.Graph(bind_namespaces="none")
    total = 0
    for s, p, o, _ in quads.quads((None, None, None, None)):
        union.add((s, p, o))
        total += 1
    assert total == len(nt), "a triple is in two graphs (or the default graph)"
    assert isomorphic(union, nt)


def test_one_named_graph_per_document_plus_the_dataset_graph(built: Path, quads: rdflib.Dataset) -> None:
    iris = Iris(open_seeds(SEEDS).dataset.base_iri)
    docs = sorted(p.name for p in SEEDS.iterdir() if p.is_dir() and not p.name.startswith("."))
    expected = {iris.document_graph(d) for d in docs} | {iris.dataset_graph}
    names = {str(g.identifier) for g in quads.graphs() if len(g)}
    assert names == expected
    for doc in docs:  # a document's graph holds its own resources only
        graph = quads.graph(rdflib.URIRef(iris.document_graph(doc)))
        assert all(str(s).startswith(iris.document(doc)) for s in graph.subjects(unique=True))
    dataset_graph = quads.graph(rdflib.URIRef(iris.dataset_graph))
    assert (rdflib.URIRef(iris.actor("pakistan")), None, None) in dataset_graph


def test_ntriples_are_sorted_and_unique(built: Path) -> None:
    lines = rdf_file(built, "nt").read_bytes().splitlines()
    assert lines == sorted(set(lines))  # byte order, as `LC_ALL=C sort -u`


def test_nquads_keep_each_document_graph_together(built: Path) -> None:
    graphs = [line.rsplit(b" ", 2)[1] for line in rdf_file(built, "nq").read_bytes().splitlines()]
    runs = [g for i, g in enumerate(graphs) if i == 0 or graphs[i - 1] != g]
    assert len(runs) == len(set(runs))
    assert runs[-1].endswith(b"/graph/dataset>")


def test_no_blank_nodes(nt: rdflib.Graph) -> None:
    assert not any(isinstance(term, rdflib.BNode) for triple in nt for term in triple)


def read_csv(built: Path, table: str) -> list[dict[str, str]]:
    with (built / "data" / f"{table}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_every_table_row_is_a_node_of_its_class(built: Path, nt: rdflib.Graph) -> None:
    """Count per class = rows per table, and the ids match (schema:identifier)."""
    for table, cls in TABLE_CLASSES.items():
        rows = read_csv(built, table)
        subjects = set(nt.subjects(rdflib.RDF.type, rdflib.URIRef(cls)))
        assert len(subjects) == len(rows), table
        if table == "document_facts":
            continue  # keyed by (document_id, property)
        ids = {str(nt.value(s, rdflib.URIRef(SCHEMA + "identifier"))) for s in subjects}
        assert ids == {r["id"] for r in rows}, table


def test_link_tables_are_edges(built: Path, nt: rdflib.Graph) -> None:
    def count(prop: str) -> int:
        return len(set(nt.triples((None, rdflib.URIRef(prop), None))))

    assert count(P.about.iri) == len(read_csv(built, "claim_about"))
    assert count(P.cue.iri) == len({(r["claim_id"], r["cue"]) for r in read_csv(built, "claim_cues")})
    assert count(P.alternate_name.iri) == len(read_csv(built, "actor_aliases"))
    memberships = Counter(r["type"] for r in read_csv(built, "actor_memberships"))
    assert count(P.parent_organization.iri) == memberships["part_of"]
    assert count(P.member_of.iri) == memberships["member_of"]
    roles = Counter(r["role"] for r in read_csv(built, "recommendation_actors"))
    assert count(P.addressee.iri) == roles["addressee"]
    assert count(P.target.iri) == roles["target"]
    assert count(P.beneficiary.iri) == roles["beneficiary"]
    relations = read_csv(built, "relations")
    for kind in ("supports", "attacks", "restates"):
        assert count(DATAPKG + kind) == sum(r["type"] == kind for r in relations)


def test_text_anchors_match_the_text(built: Path, nt: rdflib.Graph) -> None:
    """Every oa:TextPositionSelector slices the essay to its oa:exact quote."""
    oa = rdflib.Namespace("http://www.w3.org/ns/oa#")
    texts = {s: str(o) for s, o in nt.subject_objects(SCHEMA_TEXT) if str(s).endswith("/")}
    checked = 0
    for target in nt.subjects(rdflib.RDF.type, oa.SpecificResource):
        text = texts[nt.value(target, oa.hasSource)]
        selectors = list(nt.objects(target, oa.hasSelector))
        position = next(s for s in selectors if (s, rdflib.RDF.type, oa.TextPositionSelector) in nt)
        quote = next(s for s in selectors if (s, rdflib.RDF.type, oa.TextQuoteSelector) in nt)
        start, end = int(nt.value(position, oa.start)), int(nt.value(position, oa.end))
        assert text[start:end] == str(nt.value(quote, oa.exact))
        prefix = nt.value(quote, oa.prefix)
        assert prefix is None or text[:start].endswith(str(prefix))
        checked += 1
    assert checked > 100


def test_two_builds_give_identical_rdf(built: Path, tmp_path: Path) -> None:
    again = tmp_path / "build"
    build(SEEDS, again, BuildOptions(store=False))
    for fmt in FORMATS:
        assert rdf_file(again, fmt).read_bytes() == rdf_file(built, fmt).read_bytes(), fmt
    meta = Path("rdf") / f"{NAME}-meta.ttl"
    assert (again / meta).read_bytes() == (built / meta).read_bytes()
    assert (again / "dataset.jsonld").read_bytes() == (built / "dataset.jsonld").read_bytes()


# ---------------------------------------------------------------- several documents


def corpus(tmp_path: Path, names: list[str]) -> Path:
    """The seed document copied under several ids (ids chosen to stress sorting: x1, x10, x1-b)."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for name in ("dataset.yaml", "wikidata-verified.tsv"):
        shutil.copy(SEEDS / name, seeds / name)
    source = next(p for p in SEEDS.iterdir() if p.is_dir())
    for name in names:
        target = seeds / name
        shutil.copytree(source, target)
        text = (target / "annotations.yaml").read_text(encoding="utf-8")
        (target / "annotations.yaml").write_text(re.sub(r"(?m)^  id: .*$", f"  id: {name}", text, count=1))
    return seeds


def write_corpus(seeds_dir: Path, out: Path, reverse: bool = False) -> BuildContext:
    """Every document through an RdfSink, as a build runs it; the context (counts in ctx.counts)."""
    seeds = open_seeds(seeds_dir)
    ctx = BuildContext(dataset=seeds.dataset, seeds_root=seeds.root, out=out)
    sink = RdfSink(ctx)
    results = list(iter_documents(seeds))
    assert all(r.records for r in results), [p.format() for r in results for p in r.errors]
    chunks = [sink.render(r.records) for r in results]  # type: ignore[arg-type]
    for chunk in reversed(chunks) if reverse else chunks:
        sink.write(chunk)
    actors = {a.id: a for r in results for a in r.records.actors}  # type: ignore[union-attr]
    sink.finish([actors[k] for k in sorted(actors)])
    return ctx


def test_several_documents_sort_globally_and_share_actors(tmp_path: Path) -> None:
    names = ["x1", "x1-b", "x10", "x1_c"]
    ctx = write_corpus(corpus(tmp_path, names), tmp_path / "out")
    nt_path = ctx.out / rdf_path(ctx.dataset, "nt")
    lines = nt_path.read_bytes().splitlines()
    assert lines == sorted(set(lines))
    dataset = rdflib.Dataset()
    dataset.parse(ctx.out / rdf_path(ctx.dataset, "nq"), format="nquads")
    iris = Iris(ctx.dataset.base_iri)
    assert {str(g.identifier) for g in dataset.graphs() if len(g)} == {
        *(iris.document_graph(n) for n in names),
        iris.dataset_graph,
    }
    assert sum(1 for _ in dataset.quads((None, None, None, None))) == len(lines)
    pakistan = rdflib.URIRef(iris.actor("pakistan"))
    graph = parse(nt_path, "nt")
    assert len(list(graph.triples((pakistan, rdflib.URIRef(SCHEMA + "name"), None)))) == 1
    assert len(set(graph.subjects(rdflib.URIRef(SCHEMA + "about"), pakistan))) >= 4


def test_documents_written_out_of_order_still_give_sorted_ntriples(tmp_path: Path) -> None:
    seeds = corpus(tmp_path, ["b", "a"])
    ordered = write_corpus(seeds, tmp_path / "ordered")
    shuffled = write_corpus(seeds, tmp_path / "shuffled", reverse=True)
    nt = rdf_path(ordered.dataset, "nt")
    assert (shuffled.out / nt).read_bytes() == (ordered.out / nt).read_bytes()


def test_render_is_pure_and_picklable() -> None:
    seeds = open_seeds(SEEDS)
    records = next(iter_documents(seeds)).records
    assert records is not None
    sink = RdfSink(BuildContext(dataset=seeds.dataset, seeds_root=seeds.root, out=Path("unused")))
    first = sink.render(records)
    assert pickle.loads(pickle.dumps(first)) == first
    other = RdfSink(BuildContext(dataset=seeds.dataset, seeds_root=seeds.root, out=Path("unused")))
    assert other.render(records) == first == sink.render(records)
    assert pickle.loads(pickle.dumps(sink)).render(records) == first  # a sink can be sent to a worker
    nodes = document_nodes(records, sink.iris, sink.activity)
    assert len({s for s, _ in nodes}) == len(nodes), "a subject is written as two nodes"


# ---------------------------------------------------------------- literals


NASTY = [
    'quote " and backslash \\ end',
    "new\nline, tab\t, carriage\rreturn",
    "control \x00\x01\x07\x1f\x7f chars",
    "non-ASCII: Kabul’s “doubt” — 🇵🇰 ü",
    "a # b ; c . d , e [ f ] g",
    '"""',
    "trailing backslash \\",
    " ",
]


def test_literals_round_trip_through_every_syntax(tmp_path: Path) -> None:
    iris = Iris("https://example.org/base")
    nodes = [
        (iris.root + f"node/{i}", [(P.text, value), (P.comment, Lit(value, lang="en"))])
        for i, value in enumerate(NASTY)
    ]
    writer = Writer(iris)
    written = writer.write(nodes)
    nt_path, ttl_path = tmp_path / "x.nt", tmp_path / "x.ttl"
    nt_path.write_bytes("".join(written.nt_lines).encode("utf-8"))
    ttl_path.write_bytes((writer.header() + written.turtle).encode("utf-8"))
    for path, fmt in ((nt_path, "nt"), (ttl_path, "turtle")):
        graph = parse(path, fmt)
        for i, value in enumerate(NASTY):
            assert str(graph.value(rdflib.URIRef(iris.root + f"node/{i}"), SCHEMA_TEXT)) == value, (fmt, i)
    for path, syntax in ((nt_path, ox.RdfFormat.N_TRIPLES), (ttl_path, ox.RdfFormat.TURTLE)):
        values = {
            t.subject.value: t.object.value for t in ox.parse(path=path, format=syntax) if "text" in t.predicate.value
        }
        assert [values[iris.root + f"node/{i}"] for i in range(len(NASTY))] == NASTY
    assert rapper_count(nt_path, "ntriples") == rapper_count(ttl_path, "turtle") == 2 * len(NASTY)


def test_canonical_escapes() -> None:
    assert quoted('a"b\\c\n\t\x00\x7f') == '"a\\"b\\\\c\\n\\t\\u0000\\u007F"'
    assert quoted("Kabul’s") == '"Kabul’s"'


def test_long_literals_escape_as_short_ones() -> None:
    """Long texts take the replace passes instead of translate: the same escapes."""
    for value in NASTY:
        long = (value + " padding ’") * 40
        assert quoted(long) == '"' + "".join(quoted(value)[1:-1] + " padding ’" for _ in range(40)) + '"'


# ---------------------------------------------------------------- compiled shapes


def test_compiled_shapes_write_what_the_generic_writer_writes() -> None:
    """Every kind of entry, with nasty strings, absent values, empty and duplicated lists, and an
    @reverse link to a node written later, to one never written, and from two nodes."""
    iris = Iris("https://example.org/base")
    writer = Writer(iris)
    unit = Shape(
        "{node}",
        "node text count kind when cues about other premise note",
        [
            (P.type, C.claim.iri),
            (P.type, C.i_node.iri),
            (P.text, Val("text")),
            (P.claim_text, Val("text")),
            (P.length, Val("count")),
            (P.claim_kind, Val("kind")),
            (P.date_published, Val("when", optional=True)),
            (P.cue, Vals("cues")),
            (P.about, Refs("about")),
            (P.url, Val("other", optional=True)),
            (P.premise, Refs("premise")),
            (P.comment, Val("note", optional=True)),
            (P.has_selector, Ref("{node}#quote")),
            (P.has_selector, Ref("{node}#position")),
            (P.is_part_of, "https://example.org/base"),
        ],
    )
    relation = Shape("{node}", "node text", [(P.type, C.s_node.iri), (P.identifier, Val("text"))])
    nodes = []
    for i, value in enumerate(NASTY):
        nodes.append(
            (
                unit,
                (
                    f"n/{i}",
                    value,
                    i,
                    "causal",
                    ["2021", "2021-08-31", "Aug 2021", None][i % 4],
                    [value, "b", value][: i % 4],
                    ["actor/b", "actor/a", "actor/a-b", "actor/a"][: i % 5],
                    ["https://example.com/x?y", iris.root + "inside", None][i % 3],
                    [f"r/{i}", "r/shared"] if i % 2 else [],
                    value if i % 3 else None,
                ),
            )
        )
        if i % 4 == 1:
            nodes.append((relation, (f"r/{i}", value)))
    shaped = writer._write_shapes(nodes)  # the compiled path itself, not its fallback
    written = writer.write([shape.expand(iris.root, args) for shape, args in nodes])
    assert shaped.nt == "".join(written.nt_lines).encode().replace(b" .\n", NT_END_BYTES)
    assert shaped.turtle == written.turtle.encode()
    assert shaped.json == ",\n".join(written.json_nodes).encode()
    assert (shaped.triples, shaped.classes) == (len(written.nt_lines), written.classes)
    assert shaped.ntriples == "".join(written.nt_lines).encode()
    twice = writer.write_shapes([*nodes, nodes[0]])  # a subject twice: the generic writer merges the nodes
    assert twice.turtle == writer.write([s.expand(iris.root, a) for s, a in [*nodes, nodes[0]]]).turtle.encode()
    for some in (nodes, [*nodes, nodes[0]]):  # heads: joined before the first node's text, as a node's would be
        plain, headed = writer.write_shapes(some), writer.write_shapes(some, heads=(b"# head", b""))
        assert (headed.turtle, headed.json) == (b"# head\n" + plain.turtle, b",\n" + plain.json)
        assert headed._replace(turtle=b"", json=b"") == plain._replace(turtle=b"", json=b"")


def test_shapes_refuse_what_the_compiled_writer_cannot_order() -> None:
    iris = Iris("https://example.org/base")
    bad = [
        ("{n}", "n a b", [(P.type, C.claim.iri), (P.about, Ref("{a}")), (P.about, Ref("{b}"))]),  # data decides
        ("{n}", "n x", [(P.comment, Val("x", optional=True)), (P.type, C.claim.iri)]),  # absent first
        ("{n}", "n x", [(P.type, C.claim.iri), (P.comment, Val("x", optional=True)), (P.comment, "c")]),
        ("{n}", "n x", [(P.type, C.claim.iri), (P.text, Vals("x"))]),  # a single-valued predicate
        ("{n}", "n x", [(P.type, Val("x"))]),  # classes must be known
        ("{n}", "n x", [(P.type, C.claim.iri)]),  # a parameter never used
    ]
    for subject, params, entries in bad:
        with pytest.raises(ValueError):
            Writer(iris).compiled(Shape(subject, params, entries))


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_corpus(tmp_path_factory.mktemp("corpus") / "seeds", 20)


def test_documents_render_as_the_generic_writer_writes_their_nodes(generated: Path) -> None:
    seeds = open_seeds(generated)
    sink = RdfSink(BuildContext(dataset=seeds.dataset, seeds_root=seeds.root, out=Path("unused")))
    serialiser = Serialiser(sink.iris)
    for result in iter_documents(seeds):
        assert result.records is not None
        doc_id = result.records.document.id
        reference = serialiser.chunk(
            document_nodes(result.records, sink.iris, sink.activity),
            sink.iris.document_graph(doc_id),
            f"document {doc_id}",
        )
        assert sink.chunk(result.records) == reference, doc_id
        rendered = sink.render(result.records)
        assert rendered == rdf_module.rendered(reference)
        assert (rendered.nq, rendered.ttl, rendered.jsonld, rendered.nt) == (
            reference.nq,
            b"\n" + reference.ttl,
            reference.jsonld,
            reference.nt,
        )
        segments = [inflate_segments(segment) for segment in rendered.deflated]
        assert segments == [reference.nt, reference.nq, b"\n" + reference.ttl, b",\n" + reference.jsonld]
        shapes = document_shapes(result.records, sink.iris, sink.iris.relative(sink.activity))
        assert len(shapes) == len(reference.ttl.split(b"\n\n"))  # one Turtle block per node


def test_batched_finish_writes_what_one_chunk_would(
    generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dataset graph written a few actors at a time, its N-Triples merged from sorted runs,
    gives the bytes of the whole graph serialised at once, after the documents."""
    whole = write_corpus(generated, tmp_path / "whole")
    monkeypatch.setattr(rdf_module, "ACTOR_BATCH", 7)
    monkeypatch.setattr(rdf_module, "MERGE_BUFFER", 100)
    batched = write_corpus(generated, tmp_path / "batched")
    for fmt in FORMATS:
        path = rdf_path(whole.dataset, fmt)
        assert (batched.out / path).read_bytes() == (whole.out / path).read_bytes(), fmt
    assert batched.counts["rdf"] == whole.counts["rdf"]
    assert not [p.name for p in (batched.out / "rdf").iterdir() if p.name.startswith(".")], "scratch files left"
    for ctx in (whole, batched):
        assert_handed_over(ctx)

    assert_dataset_graph_as_one_chunk(generated, whole)


def assert_handed_over(ctx: BuildContext) -> None:
    """Each RDF file's digest (hashed as written) and deflated form (for the zip) are those of its bytes."""
    for fmt in FORMATS:
        path = rdf_path(ctx.dataset, fmt)
        data = (ctx.out / path).read_bytes()
        assert ctx.counts["digests"][path][1] == Digest(len(data), hashlib.sha256(data).hexdigest())  # as written
        assert digest(ctx, path) == ctx.counts["digests"][path][1]  # and still valid (nobody needs to read it)
        deflated = deflated_forms(ctx)[path]
        assert (deflated.size, deflated.crc) == (len(data), zlib.crc32(data))
        assert inflated(deflated) == data, fmt


def assert_dataset_graph_as_one_chunk(seeds_dir: Path, ctx: BuildContext) -> None:
    """The files end with the dataset graph serialised at once (and the .nt holds its lines)."""
    seeds = open_seeds(seeds_dir)
    sink = RdfSink(BuildContext(dataset=seeds.dataset, seeds_root=seeds.root, out=Path("unused")))
    index = {a.id: a for r in iter_documents(seeds) for a in r.records.actors}  # type: ignore[union-attr]
    triples = dataset_triples(seeds.dataset, [index[k] for k in sorted(index)], sink.iris)
    chunk = sink.serialiser.chunk(group(triples), sink.iris.dataset_graph, "dataset")
    files = {fmt: (ctx.out / rdf_path(ctx.dataset, fmt)).read_bytes() for fmt in FORMATS}
    assert files["ttl"].endswith(b"\n" + chunk.ttl)
    assert files["jsonld"].endswith(b",\n" + chunk.jsonld + DOCUMENT_TAIL.encode())
    assert files["nq"].endswith(chunk.nq)
    lines = files["nt"].splitlines(keepends=True)
    assert set(chunk.nt.splitlines(keepends=True)) <= set(lines) and lines == sorted(set(lines))
    assert ctx.counts["rdf"]["triples"] == len(lines)


def test_a_dataset_node_that_is_an_actor_merges_with_it(tmp_path: Path) -> None:
    """A contributor whose IRI is an actor's: one node, as group() makes it (written all at once)."""
    seeds = corpus(tmp_path, ["a", "b"])
    config = seeds / "dataset.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace("  - title: datapkg contributors\n", "  - title: datapkg contributors\n    path: actor/pakistan\n")
    )
    ctx = write_corpus(seeds, tmp_path / "out")
    assert_dataset_graph_as_one_chunk(seeds, ctx)
    ttl = (ctx.out / rdf_path(ctx.dataset, "ttl")).read_text(encoding="utf-8")
    assert ttl.count("\n<actor/pakistan> ") == 1 and "foaf:name" in ttl.split("\n<actor/pakistan> ")[1].split(" .\n")[0]


def _merge(tmp_path: Path, blocks: list[list[bytes]], dataset: list[bytes]) -> tuple[bytes, bytes, int]:
    """`_merge_sorted` of document blocks (deflated into a spool, as `RdfSink.write` keeps them):
    the .nt and .nq tail written, checked against the deflated forms and hashes made on the way."""
    spool_path = tmp_path / "nt.deflate"
    index, offset = [], 0
    with spool_path.open("wb") as spool:
        for lines in blocks:
            data = b"".join(lines)
            segment = deflate_segment(data, rdf_module.DEFLATE_LEVEL)
            spool.write(segment)
            index.append(rdf_module._Block(lines[0], lines[-1], offset, len(segment), len(data)))
            offset += len(segment)
    results = []
    with spool_path.open("ab") as spool, (tmp_path / "nq.deflate").open("wb") as nq_spool:
        out = rdf_module._Output(tmp_path / "final.nt", spool, spool_path, offset, threaded=True)
        nq = rdf_module._Output(tmp_path / "tail.nq", nq_spool, tmp_path / "nq.deflate")
        count = rdf_module._merge_sorted(spool_path, index, iter(dataset), out, nq, b" <g> .\n", jobs=2)
        for output in (out, nq):
            results.append(output.close())
    for output, (sha256, deflated) in zip((out, nq), results, strict=True):
        written = output.path.read_bytes()
        assert sha256 == hashlib.sha256(written).hexdigest() and deflated.size == len(written)
        assert inflated(deflated) == written and deflated.crc == zlib.crc32(written)
    return out.path.read_bytes(), nq.path.read_bytes(), count


def inflated(deflated: Precompressed) -> bytes:
    """The member bytes a zip reader gets from the ranges and the final block (one stream)."""
    data = deflated.spool.read_bytes()
    stream = b"".join(data[at : at + size] for at, size in deflated.ranges) + FINAL_BLOCK
    inflater = zlib.decompressobj(-15)
    result = inflater.decompress(stream)
    assert inflater.eof and not inflater.unused_data
    return result


@pytest.mark.parametrize("reverse", [False, True])
def test_dataset_lines_merge_between_and_inside_document_blocks(
    tmp_path: Path, reverse: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rdf_module, "MERGE_BUFFER", 10)  # dataset lines written a line or two at a time
    blocks = [[b"<b1> <p> 1 .\n", b"<b3> <p> 3 .\n"], [b"<d1> <p> 1 .\n", b"<d5> <p> 5 .\n"], [b"<f> <p> 1 .\n"]]
    blocks += [[b"<g%d> <p> %d .\n" % (i, i)] for i in range(20)]  # copied as they are, one range
    dataset = [b"<a> <p> 1 .\n", b"<b3> <p> 3 .\n", b"<c> <p> 1 .\n", b"<d2> <p> 2 .\n", b"<e> <p> 1 .\n"]
    dataset = sorted([*dataset, *(b"<e%d> .\n" % i for i in range(5)), b"<z> .\n"])
    final, nq, count = _merge(tmp_path, blocks[::-1] if reverse else blocks, dataset)
    everything = [line for block in blocks for line in block] + dataset
    assert final == b"".join(sorted(set(everything)))
    assert nq == b"".join(dataset).replace(b" .\n", b" <g> .\n")
    assert count == len(dataset)


def test_overlapping_document_blocks_are_sorted_in_memory(tmp_path: Path) -> None:
    blocks = [[b"<a1> <p> 1 .\n", b"<a3> <p> 3 .\n"], [b"<a2> <p> 2 .\n", b"<a3> <p> 3 .\n"]]
    final, _, _ = _merge(tmp_path, blocks, [b"<a0> .\n"])
    assert final == b"<a0> .\n<a1> <p> 1 .\n<a2> <p> 2 .\n<a3> <p> 3 .\n"
