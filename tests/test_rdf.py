"""The RDF graph files: independent parsers agree, formats are isomorphic, every row is a node,
N-Triples are sorted, one named graph per document, and builds are byte-identical."""

from __future__ import annotations

import csv
import pickle
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from datapkg.build import build
from datapkg.emit import BuildContext, BuildOptions
from datapkg.emit.rdf import FORMATS, RdfSink, document_nodes, rdf_path
from datapkg.rdfsyntax import Lit, Writer, quoted
from datapkg.seeds import iter_documents, open_seeds
from datapkg.vocab import DATAPKG, SCHEMA, TABLE_CLASSES, Iris, P
from tests.conftest import SEEDS, need_tool

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
