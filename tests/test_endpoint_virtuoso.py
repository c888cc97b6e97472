"""A real Virtuoso (Debian's virtuoso-opensource) with our own ini on free ports: load, query, reload.

The instance lives in a temporary directory, skips the Conductor VAD install (empty
VADInstallDir: starts in ~5 s), raises ResultSetMaxRows, grants SPARQL_UPDATE to the
anonymous SPARQL user through isql, and is stopped by its PID. Under CI=true a missing
virtuoso-t or isql-vt fails (need_tool); locally it skips.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import need_tool
from store_support import (
    Virtuoso,
    canonical,
    cli_load,
    example_queries,
    file_counts,
    truncated_put,
    write_fixture,
)

from datapkg import store
from datapkg.sparql import Endpoint


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Virtuoso]:
    server = Virtuoso(need_tool("virtuoso-t"), need_tool("isql-vt"), tmp_path_factory.mktemp("virtuoso"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def loaded(virtuoso: Virtuoso, corpus_nq: Path) -> Virtuoso:
    out = cli_load(corpus_nq, "--endpoint", virtuoso.query_url, "--graph-store", virtuoso.graph_store_url)
    expected = sum(file_counts(corpus_nq).values())
    assert f"verified {expected:,}/{expected:,} triples" in out
    return virtuoso


def test_load_counts_every_graph_and_reload_is_identical(loaded: Virtuoso, corpus_nq: Path) -> None:
    graphs = file_counts(corpus_nq)
    server = Endpoint(loaded.query_url)
    first = server.graph_counts(sorted(graphs))
    assert first == graphs
    cli_load(corpus_nq, "--endpoint", loaded.query_url, "--graph-store", loaded.graph_store_url)
    assert server.graph_counts(sorted(graphs)) == first


def test_update_route_with_blank_nodes(loaded: Virtuoso, tmp_path: Path) -> None:
    """The SPARQL Update route (no Graph Store Protocol), on a small graph with blank nodes.

    Virtuoso's SPARQL compiler cannot take a document graph of a few thousand triples in
    updates ("memory exhausted", "SQL text has exceeded 10000 lines"), so Virtuoso is loaded
    with --graph-store; the update route is checked here on a small graph, twice.
    """
    nq = write_fixture(tmp_path / "small.nq")
    graphs = file_counts(nq)
    for _ in range(2):
        out = cli_load(nq, "--endpoint", loaded.query_url, "--update", loaded.update_url)
        assert "(update)" in out
        assert Endpoint(loaded.query_url).graph_counts(sorted(graphs)) == graphs


@pytest.mark.parametrize("query", example_queries(), ids=lambda p: p.stem)
def test_example_queries_answer_as_the_embedded_store(loaded: Virtuoso, embedded: Path, query: Path) -> None:
    text = query.read_text(encoding="utf-8")
    local = store.query(store.open_store(embedded), text)
    remote = Endpoint(loaded.query_url).query(text)
    assert canonical(remote, text) == canonical(local, text)


def test_truncated_upload_leaves_the_graph_as_it_was(loaded: Virtuoso, corpus_nq: Path) -> None:
    graphs = file_counts(corpus_nq)
    victim = sorted(graphs)[-1]
    truncated_put(loaded.graph_store_url, victim)
    assert Endpoint(loaded.query_url).graph_counts(sorted(graphs)) == graphs


def test_syntax_errors_are_rejected_not_retried(loaded: Virtuoso) -> None:
    from datapkg.sparql import StoreError

    server = Endpoint(loaded.query_url, sleep=lambda s: pytest.fail("a 400 must not be retried"))
    with pytest.raises(StoreError) as err:
        server.query("SELECT ?x WHERE { ?x ?y ?z . FILTER( }")
    assert err.value.problems[0].code == "store-rejected" and "SP030" in err.value.problems[0].message
