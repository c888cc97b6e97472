"""The JSON-LD graph: compacted with the shipped context, parsed without network, isomorphic to Turtle."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from datapkg.emit.jsonld import context
from tests.conftest import ROOT

NAME = "argument-essays"


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a connection (e.g. to fetch a remote @context) fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access while parsing JSON-LD")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture(scope="module")
def document(built: Path) -> dict:
    return json.loads((built / "rdf" / f"{NAME}.jsonld").read_text(encoding="utf-8"))


def test_uses_the_shipped_context(document: dict) -> None:
    shipped = json.loads((ROOT / "schema" / "context.jsonld").read_text(encoding="utf-8"))
    assert shipped == context()
    ours, base = document["@context"]
    assert ours == shipped["@context"]
    assert base == {"@base": "https://example.org/datapkg/argument-essays/"}


def test_parsed_without_network_is_isomorphic_to_turtle(built: Path, no_network: None) -> None:
    jsonld = rdflib.Graph(bind_namespaces="none")
    jsonld.parse(built / "rdf" / f"{NAME}.jsonld", format="json-ld")
    turtle = rdflib.Graph(bind_namespaces="none")
    turtle.parse(built / "rdf" / f"{NAME}.ttl", format="turtle")
    assert len(jsonld) == len(turtle) > 1000
    assert isomorphic(jsonld, turtle)


def test_pyoxigraph_reads_it_too(built: Path, no_network: None) -> None:
    parsed = set(ox.parse(path=built / "rdf" / f"{NAME}.jsonld", format=ox.RdfFormat.JSON_LD))
    nt = set(ox.parse(path=built / "rdf" / f"{NAME}.nt", format=ox.RdfFormat.N_TRIPLES))
    assert parsed == nt


def test_nodes_are_compact_and_readable(document: dict) -> None:
    terms = document["@context"][0]
    graph = document["@graph"]
    assert all("@id" in node for node in graph)
    for node in graph:
        for key in node:
            assert key.startswith("@") or key in terms, f"key {key!r} has no term in the context"
    claim = next(n for n in graph if n["@id"].endswith("/claim/thesis"))
    assert claim["@id"] == "document/000_dd4b8e691fc454bf/claim/thesis"  # relative to @base
    assert {"Claim", "I-node"} <= set(claim["@type"])
    assert claim["role"] == "thesis"  # enum values are plain words (scoped contexts map them)
    assert claim["appearance"] == "document/000_dd4b8e691fc454bf/"
    relation = next(n for n in graph if "RA-node" in n.get("@type", []))
    assert relation["premise"] and relation["conclusion"]  # AIF links on the relation node
    actor = next(n for n in graph if n["@id"] == "actor/pakistan")
    assert actor["sameAs"] == ["http://www.wikidata.org/entity/Q843"]
    anchor = next(n for n in graph if n["@id"].endswith("/claim/thesis#position"))
    assert isinstance(anchor["start"], int) and anchor["start"] < anchor["end"]


def test_one_node_per_line(built: Path) -> None:
    text = (built / "rdf" / f"{NAME}.jsonld").read_text(encoding="utf-8")
    graph_lines = text[text.index('"@graph": [') :].splitlines()[1:-2]
    for line in graph_lines:
        json.loads(line.strip().rstrip(","))


def test_the_network_guard_would_catch_a_remote_context(no_network: None) -> None:
    remote = json.dumps({"@context": "https://schema.org/", "@id": "http://x/a", "name": "a"})
    with pytest.raises(Exception, match="network access"):
        rdflib.Graph().parse(data=remote, format="json-ld")
