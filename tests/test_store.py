"""The embedded store: bulk load, whole replacement, queries, result formats, the build sink, example queries."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from store_support import BASE, canonical, dump_json, example_queries, write_fixture

from datapkg import store
from datapkg.cli import cli
from datapkg.errors import DataError, UsageError
from datapkg.queryresults import (
    XSD,
    QueryResult,
    Term,
    declared_prefixes,
    is_ordered,
    query_form,
    read_query,
    render,
)

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ROOT / "queries"
EXPECTED = QUERIES / "expected"
PREFIX = "PREFIX s: <https://schema.org/>\n"


@pytest.fixture
def loaded(tmp_path: Path) -> Path:
    nq = write_fixture(tmp_path / "build" / "rdf" / "test.nq")
    store.load(nq, tmp_path / "build" / "store")
    return tmp_path / "build" / "store"


def file_counts(nq: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for quad in ox.parse(path=str(nq), format=ox.RdfFormat.N_QUADS):
        counts[quad.graph_name.value] = counts.get(quad.graph_name.value, 0) + 1
    return counts


# ---------------------------------------------------------------- loading


def test_load_puts_every_quad_in_its_graph(tmp_path: Path) -> None:
    nq = write_fixture(tmp_path / "rdf" / "x.nq", docs=5)
    summary = store.load(nq, tmp_path / "store")
    assert summary.graphs == 6
    assert store.graph_counts(store.open_store(tmp_path / "store")) == file_counts(nq)


def test_reload_replaces_the_store_whole_and_is_idempotent(tmp_path: Path) -> None:
    nq = write_fixture(tmp_path / "rdf" / "x.nq", docs=4)
    store.load(nq, tmp_path / "store")
    first = store.graph_counts(store.open_store(tmp_path / "store"))
    store.load(nq, tmp_path / "store")
    assert store.graph_counts(store.open_store(tmp_path / "store")) == first
    smaller = write_fixture(tmp_path / "rdf2" / "x.nq", docs=1)
    store.load(smaller, tmp_path / "store")
    assert store.graph_counts(store.open_store(tmp_path / "store")) == file_counts(smaller), "no leftovers"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rdf", "rdf2", "store"], "no temporary directories left"


def test_invalid_nquads_leave_the_previous_store_intact(tmp_path: Path) -> None:
    nq = write_fixture(tmp_path / "rdf" / "x.nq")
    store.load(nq, tmp_path / "store")
    before = store.graph_counts(store.open_store(tmp_path / "store"))
    bad = tmp_path / "bad.nq"
    bad.write_text(nq.read_text(encoding="utf-8") + "<http://x> <http://y> oops .\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        store.load(bad, tmp_path / "store")
    assert err.value.problems[0].code == "rdf-invalid" and err.value.problems[0].file == str(bad)
    assert store.graph_counts(store.open_store(tmp_path / "store")) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.nq", "rdf", "store"]


def test_triples_outside_named_graphs_are_refused(tmp_path: Path) -> None:
    nq = tmp_path / "x.nq"
    nq.write_text("<http://x/s> <http://x/p> <http://x/o> .\n")
    with pytest.raises(DataError) as err:
        store.load(nq, tmp_path / "store")
    assert err.value.problems[0].code == "rdf-default-graph"
    assert not (tmp_path / "store").exists()


def test_find_nquads(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as err:
        store.find_nquads(tmp_path)
    assert err.value.problems[0].code == "rdf-missing"
    nq = write_fixture(tmp_path / "rdf" / "only.nq")
    assert store.find_nquads(tmp_path) == nq


def test_cli_load_and_query(tmp_path: Path) -> None:
    write_fixture(tmp_path / "build" / "rdf" / "test.nq")
    runner = CliRunner()
    result = runner.invoke(cli, ["load", "--build", str(tmp_path / "build")])
    assert result.exit_code == 0, result.output
    build = tmp_path / "build"
    assert result.output == f"loaded {build / 'rdf' / 'test.nq'} into {build / 'store'}: 4 graphs\n"
    query = PREFIX + "SELECT ?c WHERE { ?c a s:Claim } ORDER BY ?c LIMIT 2"
    result = runner.invoke(cli, ["query", query, "--store", str(tmp_path / "build" / "store"), "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes.decode() == f"c\r\n{BASE}/doc/d0/c0\r\n{BASE}/doc/d0/c1\r\n", "SPARQL CSV: CRLF"


def test_cli_errors_exit_2_without_traceback(tmp_path: Path, loaded: Path) -> None:
    runner = CliRunner()
    cases = {
        "store-missing": ["query", "ASK {}", "--store", str(tmp_path / "nowhere")],
        "query-invalid": ["query", "SELECT ?x WHERE { ?x }", "--store", str(loaded)],
        "query-update": ["query", "INSERT DATA { <a:b> <a:c> <a:d> }", "--store", str(loaded)],
        "query-missing": ["query", "queries/nothing.rq", "--store", str(loaded)],
        "rdf-missing": ["load", "--build", str(tmp_path / "empty")],
    }
    for code, args in cases.items():
        result = runner.invoke(cli, args)
        assert result.exit_code == 2, (code, result.output)
        assert f"[{code}]" in result.output and "Traceback" not in result.output
    bad = tmp_path / "bad.nq"
    bad.write_text("<a> <b> .\n")
    result = runner.invoke(cli, ["load", "--file", str(bad), "--store", str(tmp_path / "s")])
    assert result.exit_code == 1 and "[rdf-invalid]" in result.output
    result = runner.invoke(cli, ["load", "--build", str(tmp_path), "--graph-store", "http://127.0.0.1:1/store"])
    assert result.exit_code == 2 and "need --endpoint" in result.output


def test_query_reports_position_of_syntax_errors(loaded: Path) -> None:
    with pytest.raises(UsageError) as err:
        store.query(store.open_store(loaded), "SELECT ?x WHERE { ?x ?y }")
    assert "1:" in err.value.problems[0].message


# ---------------------------------------------------------------- query forms and results


def test_union_default_graph_spans_documents_and_dataset(loaded: Path) -> None:
    db = store.open_store(loaded)
    result = store.query(
        db,
        PREFIX
        + f"SELECT ?d (COUNT(?c) AS ?n) WHERE {{ <{BASE}> s:hasPart ?d . ?c s:isPartOf ?d }} GROUP BY ?d ORDER BY ?d",
    )
    assert [(r["d"].value.rsplit("/", 1)[1], int(r["n"].value)) for r in result.rows] == [
        ("d0", 2),
        ("d1", 3),
        ("d2", 4),
    ]


def test_ask_and_construct(loaded: Path) -> None:
    db = store.open_store(loaded)
    assert store.query(db, PREFIX + "ASK { ?c a s:Claim }").boolean is True
    assert store.query(db, PREFIX + "ASK { ?c a s:Person }").boolean is False
    graph = store.query(db, PREFIX + "CONSTRUCT { ?d s:name ?n } WHERE { ?d s:name ?n }")
    assert graph.form == "graph" and graph.turtle.startswith("@prefix s: <https://schema.org/> .\n")
    again = store.query(db, PREFIX + "CONSTRUCT { ?d s:name ?n } WHERE { ?d s:name ?n }")
    assert graph.turtle == again.turtle, "deterministic Turtle"
    parsed = {
        (str(t.subject), str(t.predicate), str(t.object)) for t in ox.parse(graph.turtle, format=ox.RdfFormat.TURTLE)
    }
    assert len(parsed) == 4 and any("back\\\\slash\\nnew line" in o for _, _, o in parsed)
    described = store.query(db, f"DESCRIBE <{BASE}/doc/d0/c0>")
    assert len(described.ntriples) == 3


def test_render_formats(loaded: Path) -> None:
    db = store.open_store(loaded)
    text = PREFIX + "SELECT ?d ?name ?words WHERE { ?d s:name ?name . OPTIONAL { ?d s:wordCount ?words } } ORDER BY ?d"
    result = store.query(db, text)
    table = render(result, "table", declared_prefixes(text))
    assert table.splitlines()[0].split() == ["d", "name", "words"] and table.endswith("(4 rows)\n")
    assert 'Document 0 — “quoted” "and" back\\slash new line@en' in table, "one line per row"
    rows = list(csv.reader(io.StringIO(render(result, "csv"))))
    assert rows[0] == ["d", "name", "words"] and rows[2][1] == 'Document 0 — “quoted” "and" back\\slash\nnew line'
    assert rows[1] == [BASE, "Test dataset", ""], "unbound is empty"
    tsv = render(result, "tsv").splitlines()
    assert tsv[0] == "?d\t?name\t?words"
    assert tsv[2].split("\t")[2] == f'"100"^^<{XSD}integer>'
    assert '"Document 0 — “quoted” \\"and\\" back\\\\slash\\nnew line"@en' in tsv[2]
    data = json.loads(render(result, "json"))
    assert QueryResult.from_sparql_json(data).canonical(True) == result.canonical(True)
    assert data["results"]["bindings"][0] == {
        "d": {"type": "uri", "value": BASE},
        "name": {"type": "literal", "value": "Test dataset"},
    }
    ask = store.query(db, "ASK { ?s ?p ?o }")
    assert render(ask, "table") == "true\n" and json.loads(render(ask, "json")) == {"head": {}, "boolean": True}


def test_prefixed_names_in_table() -> None:
    result = QueryResult(
        "select", ["x"], [{"x": Term("uri", "https://schema.org/Claim")}, {"x": Term("uri", "https://schema.org/a/b")}]
    )
    lines = render(result, "table", {"s": "https://schema.org/"}).splitlines()
    assert lines[2:4] == ["s:Claim", "<https://schema.org/a/b>"]


def test_canonical_terms_hide_server_spelling() -> None:
    a = Term("literal", "3", XSD + "integer")
    b = Term("literal", "3", XSD + "int")
    c = Term("literal", "3.0", XSD + "decimal")
    assert a.canonical() == b.canonical() == c.canonical()
    assert Term("literal", "x").canonical() == Term("literal", "x", XSD + "string").canonical()
    assert Term("literal", "x", lang="EN").canonical() == Term("literal", "x", lang="en").canonical()
    assert Term("literal", "x", lang="en").canonical() != Term("literal", "x").canonical()
    assert Term.from_json({"type": "typed-literal", "datatype": XSD + "integer", "value": "3"}) == a
    unordered = QueryResult("select", ["x"], [{"x": a}, {"x": Term("uri", "http://b")}])
    reverse = QueryResult("select", ["x"], [{"x": Term("uri", "http://b")}, {"x": b}])
    assert unordered.canonical(False) == reverse.canonical(False)
    assert unordered.canonical(True) != reverse.canonical(True)


def test_query_text_scanning() -> None:
    tricky = """# SELECT in a comment; INSERT too
PREFIX ex: <http://example.org/#INSERT>
SELECT ?s WHERE { ?s ex:p "INSERT DATA" . FILTER(?s < 3) } # ORDER BY nothing
"""
    assert query_form(tricky) == "select" and not is_ordered(tricky)
    assert declared_prefixes(tricky) == {"ex": "http://example.org/#INSERT"}
    assert query_form("prefix : <urn:x#>\nconstruct where { ?s ?p ?o }") == "graph"
    assert query_form("DESCRIBE <urn:x>") == "graph"
    assert query_form("ASK {}") == "ask"
    assert query_form("WITH <urn:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }") == "update"
    assert is_ordered("SELECT * { ?s ?p ?o } order  by ?s")
    with pytest.raises(ValueError):
        query_form("# nothing")


def test_read_query(tmp_path: Path) -> None:
    rq = tmp_path / "q.rq"
    rq.write_text("ASK {}\n")
    assert read_query(str(rq)) == "ASK {}\n"
    assert read_query("ASK { ?s ?p ?o }") == "ASK { ?s ?p ?o }"
    assert read_query("-", "ASK {}") == "ASK {}"
    with pytest.raises(UsageError):
        read_query(str(tmp_path / "missing.rq"))


# ---------------------------------------------------------------- the build sink


def test_store_sink_loads_the_nquads(tmp_path: Path) -> None:
    from datapkg.emit import BuildContext, BuildOptions
    from datapkg.emit.store import StoreSink
    from datapkg.seeds import open_seeds

    spec = open_seeds(ROOT / "seeds").dataset
    out = tmp_path / "out"
    write_fixture(out / "rdf" / f"{spec.name}.nq")
    ctx = BuildContext(dataset=spec, seeds_root=ROOT / "seeds", out=out, options=BuildOptions(store=True))
    StoreSink(ctx).finish([])
    assert ctx.counts["store"] == {"graphs": 4}
    assert store.graph_counts(store.open_store(out / "store")) == file_counts(out / "rdf" / f"{spec.name}.nq")
    skipped = tmp_path / "skipped"
    write_fixture(skipped / "rdf" / f"{spec.name}.nq")
    StoreSink(BuildContext(spec, ROOT / "seeds", skipped, BuildOptions(store=False))).finish([])
    assert not (skipped / "store").exists()


def test_canonical_helper_respects_order_by() -> None:
    result = QueryResult("select", ["x"], [{"x": Term("uri", "http://b")}, {"x": Term("uri", "http://a")}])
    assert canonical(result, "SELECT ?x {} ORDER BY ?x") != canonical(result, "SELECT ?x {}")
    assert json.loads(dump_json(canonical(result, "SELECT ?x {}")))["rows"][0] == [["uri", "http://a"]]


# ---------------------------------------------------------------- the example queries (queries/*.rq)


@pytest.fixture(scope="module")
def corpus(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped seeds' graph in an embedded store (the build fixture skips the store sink)."""
    target = tmp_path_factory.mktemp("corpus") / "store"
    store.load(store.find_nquads(built), target)
    return target


def expected_document(result: QueryResult, query: str) -> dict:
    """What queries/expected/<name>.json holds: SPARQL JSON results (rows in a stable order), or triples."""
    if result.form == "graph":
        return {"triples": sorted(result.ntriples)}
    if result.form == "select" and not is_ordered(query):
        keyed = sorted(zip(result.canonical(False)["rows"], result.rows, strict=True), key=lambda kv: json.dumps(kv[0]))
        result = QueryResult("select", vars=result.vars, rows=[row for _, row in keyed])
    return result.to_sparql_json()


def from_expected(data: dict) -> QueryResult:
    if "triples" in data:
        return QueryResult("graph", ntriples=data["triples"])
    return QueryResult.from_sparql_json(data)


OFFLINE = example_queries()


def test_there_are_enough_documented_example_queries() -> None:
    assert len(OFFLINE) >= 8
    for path in sorted(QUERIES.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        header = [line for line in text.splitlines() if line.startswith("#")]
        assert text.startswith("# "), f"{path.name}: starts with a comment header"
        assert any(line.startswith("# Question:") for line in header), f"{path.name}: says what it answers"
        assert f"# Run: datapkg query queries/{path.name}" in text, f"{path.name}: says how to run it"
    federated = QUERIES / "actors_wikidata_federated.rq"
    assert federated not in OFFLINE and "SERVICE <https://query.wikidata.org/sparql>" in federated.read_text()
    assert query_form(federated.read_text()) == "select"
    assert {p.stem for p in EXPECTED.glob("*.json")} == {p.stem for p in OFFLINE}, "one expected file per query"


@pytest.mark.parametrize("query", OFFLINE, ids=lambda p: p.stem)
def test_example_query_answers(corpus: Path, query: Path, update_snapshots: bool) -> None:
    text = query.read_text(encoding="utf-8")
    result = store.query(store.open_store(corpus), text)
    assert result.rows or result.ntriples or result.form == "ask", f"{query.name} answers nothing"
    target = EXPECTED / f"{query.stem}.json"
    if update_snapshots:
        target.write_text(dump_json(expected_document(result, text)) + "\n", encoding="utf-8")
    assert target.exists(), f"run: python -m pytest {Path(__file__).name} --update-snapshots"
    expected = from_expected(json.loads(target.read_text(encoding="utf-8")))
    assert canonical(result, text) == canonical(expected, text), (
        f"{query.name} answers differently from {target.name}; if the seeds changed on purpose, run "
        f"python -m pytest tests/test_store.py --update-snapshots"
    )


def test_federated_query_parses(corpus: Path) -> None:
    """Not run (no network in tests), but it must at least be valid SPARQL: DESCRIBE-free dry parse."""
    text = (QUERIES / "actors_wikidata_federated.rq").read_text(encoding="utf-8")
    ox.Store().query(text.replace("SERVICE <https://query.wikidata.org/sparql>", "OPTIONAL"))


def test_build_fills_the_store_and_query_works_right_after(tmp_path: Path) -> None:
    out = tmp_path / "build"
    result = CliRunner().invoke(cli, ["build", "--seeds", str(ROOT / "seeds"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert store.graph_counts(store.open_store(out / "store")) == file_counts(store.find_nquads(out))
    assert "store/" not in (out / "SHA256SUMS").read_text(), "the binary store is not hashed"
    answer = CliRunner().invoke(cli, ["query", str(QUERIES / "documents.rq"), "--store", str(out / "store")])
    assert answer.exit_code == 0 and "000_dd4b8e691fc454bf" in answer.output, answer.output
    again = CliRunner().invoke(cli, ["build", "--seeds", str(ROOT / "seeds"), "--out", str(out), "--no-store"])
    assert again.exit_code == 0 and not (out / "store").exists()


def test_unwritable_store_directory(tmp_path: Path) -> None:
    from datapkg.errors import OutputError

    nq = write_fixture(tmp_path / "rdf" / "x.nq")
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the store's parent should be")  # fails even for root, unlike chmod
    with pytest.raises(OutputError) as err:
        store.load(nq, blocker / "store")
    assert err.value.problems[0].code == "output-unwritable" and err.value.problems[0].file == str(blocker / "store")
