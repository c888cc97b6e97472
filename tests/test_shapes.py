"""SHACL: the built graph conforms to schema/shapes.ttl; a deliberately broken one does not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import rdflib
from click.testing import CliRunner

from datapkg.cli import cli
from datapkg.graphcheck import shacl_problems
from datapkg.vocab import DATAPKG, SCHEMA, Iris
from tests.conftest import SEEDS

NAME = "argument-essays"
OA = rdflib.Namespace("http://www.w3.org/ns/oa#")
AIF = rdflib.Namespace("http://www.arg.dundee.ac.uk/aif#")
S = rdflib.Namespace(SCHEMA)
D = rdflib.Namespace(DATAPKG)
IRIS = Iris("https://example.org/datapkg/argument-essays")


@pytest.fixture(scope="module")
def graph(built: Path) -> rdflib.Graph:
    """The built data graph plus the dataset description (distributions)."""
    g = rdflib.Graph(bind_namespaces="none")
    g.parse(built / "rdf" / f"{NAME}.nt", format="nt")
    g.parse(built / "rdf" / f"{NAME}-meta.ttl", format="turtle")
    return g


def test_built_graph_conforms(graph: rdflib.Graph) -> None:
    assert (None, rdflib.RDF.type, rdflib.URIRef("http://www.w3.org/ns/dcat#Distribution")) in graph
    problems = shacl_problems(graph)
    assert problems == [], "\n".join(p.format() for p in problems)


def test_broken_graph_fails_with_the_right_problems(graph: rdflib.Graph) -> None:
    broken = rdflib.Graph(bind_namespaces="none")
    for triple in graph:
        broken.add(triple)
    claims = sorted(broken.subjects(rdflib.RDF.type, S.Claim))
    no_text = claims[0]
    broken.remove((no_text, S.text, None))
    position = rdflib.URIRef(str(claims[1]) + "#position")
    start = broken.value(position, OA.start)
    broken.set((position, OA.end, rdflib.Literal(int(start), datatype=start.datatype)))  # end == start
    rec = sorted(broken.subjects(rdflib.RDF.type, D.Recommendation))[0]
    broken.remove((rec, D.addressee, None))
    actor = rdflib.URIRef(IRIS.actor("pakistan"))
    broken.add((actor, S.sameAs, rdflib.URIRef("https://www.wikidata.org/wiki/Q843")))
    relation = sorted(broken.subjects(rdflib.RDF.type, AIF["RA-node"]))[0]
    broken.set((relation, AIF.Conclusion, actor))
    extra = rdflib.URIRef(str(claims[2]) + "#second-annotation")
    broken.add((extra, rdflib.RDF.type, OA.Annotation))
    broken.add((extra, OA.hasBody, claims[2]))

    problems = shacl_problems(broken, IRIS, SEEDS)
    assert problems and all(p.code == "shacl-violation" and p.severity == "error" for p in problems)
    found = {(p.subject, p.message.split(": ")[0]) for p in problems}
    expected = {
        (IRIS.relative(str(no_text)), "schema:text"),
        (IRIS.relative(str(position)), "oa:start"),
        (IRIS.relative(str(rec)), "datapkg:addressee"),
        ("actor/pakistan", "schema:sameAs"),
        (IRIS.relative(str(relation)), "aif:Conclusion"),
        (IRIS.relative(str(claims[2])), "^oa:hasBody"),
    }
    assert expected <= found, sorted(found)
    text_problem = next(p for p in problems if p.subject == IRIS.relative(str(no_text)))
    assert text_problem.file and text_problem.file.endswith("annotations.yaml")


def test_validate_graph_command_runs_shacl_on_the_seeds() -> None:
    result = CliRunner().invoke(cli, ["validate", "--seeds", str(SEEDS), "--graph", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["valid"] and not [p for p in report["problems"] if p["code"] == "shacl-violation"]


def test_validate_graph_reports_violations_and_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a shape no claim can meet, `validate --graph` lists shacl-violation problems and exits 1."""
    import datapkg.graphcheck as graphcheck

    impossible = rdflib.Graph(bind_namespaces="none")
    impossible.parse(
        data=f"""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        <urn:x:shape> a sh:NodeShape ; sh:targetClass <{SCHEMA}Claim> ;
            sh:property [ sh:path <urn:x:missing> ; sh:minCount 1 ] .
        """,
        format="turtle",
    )
    monkeypatch.setattr(graphcheck, "shapes_graph", lambda: impossible)
    result = CliRunner().invoke(cli, ["validate", "--seeds", str(SEEDS), "--graph", "--format", "json"])
    assert result.exit_code == 1, result.output
    codes = {p["code"] for p in json.loads(result.output)["problems"]}
    assert codes == {"shacl-violation"}
