"""A real Oxigraph server (`oxigraph serve`, PyPI package) on a free port: load, query, reload, serve.

Under CI=true a missing `oxigraph` binary fails (need_tool); locally it skips.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import need_tool
from store_support import (
    Oxigraph,
    canonical,
    cli_load,
    example_queries,
    file_counts,
    free_port,
    stop,
    truncated_put,
    wait_http,
)

from datapkg import store
from datapkg.sparql import Endpoint


@pytest.fixture(scope="session")
def oxigraph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Oxigraph]:
    server = Oxigraph(need_tool("oxigraph"), tmp_path_factory.mktemp("oxigraph") / "db")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def loaded(oxigraph: Oxigraph, corpus_nq: Path) -> Oxigraph:
    out = cli_load(corpus_nq, "--endpoint", oxigraph.query_url, "--graph-store", oxigraph.graph_store_url)
    expected = sum(file_counts(corpus_nq).values())
    assert f"verified {expected:,}/{expected:,} triples" in out
    return oxigraph


def test_load_counts_every_graph_and_reload_is_identical(loaded: Oxigraph, corpus_nq: Path) -> None:
    graphs = file_counts(corpus_nq)
    server = Endpoint(loaded.query_url)
    first = server.graph_counts(sorted(graphs))
    assert first == graphs
    cli_load(corpus_nq, "--endpoint", loaded.query_url, "--graph-store", loaded.graph_store_url)
    assert server.graph_counts(sorted(graphs)) == first
    # the SPARQL Update route (servers without the Graph Store Protocol) gives the same graphs
    out = cli_load(corpus_nq, "--endpoint", loaded.query_url, "--update", loaded.update_url)
    assert "(update)" in out and server.graph_counts(sorted(graphs)) == first


@pytest.mark.parametrize("query", example_queries(), ids=lambda p: p.stem)
def test_example_queries_answer_as_the_embedded_store(loaded: Oxigraph, embedded: Path, query: Path) -> None:
    text = query.read_text(encoding="utf-8")
    local = store.query(store.open_store(embedded), text)
    remote = Endpoint(loaded.query_url).query(text)
    assert canonical(remote, text) == canonical(local, text)


def test_truncated_upload_leaves_the_graph_as_it_was(loaded: Oxigraph, corpus_nq: Path) -> None:
    graphs = file_counts(corpus_nq)
    victim = sorted(graphs)[-1]
    truncated_put(loaded.graph_store_url, victim)
    assert Endpoint(loaded.query_url).graph_counts(sorted(graphs)) == graphs


def test_serve_runs_oxigraph_on_the_embedded_store(embedded: Path, tmp_path: Path) -> None:
    need_tool("oxigraph")
    port = free_port()
    log = tmp_path / "serve.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "datapkg.cli", "serve", "--store", str(embedded), "--bind", f"127.0.0.1:{port}"],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/query?query=ASK%7B%7D", proc, 30, log)
        served = Endpoint(f"http://127.0.0.1:{port}/query").query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        local = store.query(store.open_store(embedded), "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        assert int(served.rows[0]["n"].value) == int(local.rows[0]["n"].value) > 0, "union default graph"
    finally:
        stop(proc, signal.SIGTERM)
    assert proc.returncode is not None
    assert f"serving {embedded}" in log.read_text()
    assert os.path.isdir(embedded)
