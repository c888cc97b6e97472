"""The SPARQL client against a tiny fake server on 127.0.0.1 that fails on command.

The fake is a real SPARQL 1.1 + Graph Store Protocol server (an in-memory pyoxigraph store
behind http.server) that applies a graph only when its whole body arrived, as a
transactional server does. A script of faults, one per request, makes it answer 500/503,
hang, drop the connection mid-upload, refuse credentials, lie about counts or vanish.
"""

from __future__ import annotations

import base64
import json
import os
import re
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from store_support import fixture_quads, free_port, write_fixture

from datapkg.cli import cli
from datapkg.errors import UsageError
from datapkg.sparql import Endpoint, GraphSource, StoreError, authorization, check_url, load_endpoint

SECRET = "s3cr3t-pässword"
USER = "loader"


class FakeServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int | None = None, require_auth: str | None = None) -> None:
        super().__init__(("127.0.0.1", port or 0), Handler)
        self.store = ox.Store()
        self.script: list[str] = []  # one fault per request; "ok" (or an empty script) serves normally
        self.log: list[tuple[str, str, str]] = []  # (method, action, graph)
        self.headers_seen: list[dict[str, str]] = []
        self.require_auth = require_auth
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def next_action(self) -> str:
        with self.lock:
            return self.script.pop(0) if self.script else "ok"

    def counts(self) -> dict[str, int]:
        return {
            r["g"].value: int(r["n"].value)
            for r in self.store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
        }

    def vanish(self) -> None:
        threading.Thread(target=self._close, daemon=True).start()

    def _close(self) -> None:
        self.shutdown()
        self.server_close()


class Handler(BaseHTTPRequestHandler):
    server: FakeServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:  # keep pytest output clean
        return

    def _reply(self, status: int, body: bytes = b"", content_type: str = "text/plain", extra: dict | None = None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _body(self, limit: int | None = None) -> bytes:
        length = int(self.headers.get("Content-Length", "0"))
        want = length if limit is None else min(limit, length)
        data = b""
        while len(data) < want:
            chunk = self.rfile.read(want - len(data))
            if not chunk:
                break
            data += chunk
        return data

    def _fault(self, action: str, graph: str) -> bool:
        """Play a scripted fault; True when the request was answered (or dropped) by it."""
        self.server.log.append((self.command, action, graph))
        self.server.headers_seen.append(dict(self.headers))
        if self.server.require_auth and self.headers.get("Authorization") != self.server.require_auth:
            self._body()
            self._reply(401, b"bad credentials", extra={"WWW-Authenticate": 'Basic realm="fake"'})
            return True
        if action in ("500", "502", "503"):
            self._body()
            extra = {"Retry-After": "1"} if action == "503" else None
            self._reply(int(action), b"Internal failure: java.lang.OutOfMemoryError", extra=extra)
            return True
        if action in ("401", "403"):
            self._body()
            self._reply(int(action), b"who are you?")
            return True
        if action == "400":
            self._body()
            self._reply(400, b"Parse error at line 1")
            return True
        if action == "hang":
            time.sleep(1.5)  # longer than the client's timeout; then give up on this connection
            self.close_connection = True
            return True
        if action == "drop":
            self._body(limit=int(self.headers.get("Content-Length", "0")) // 2)  # half the upload, then gone
            self.connection.close()
            self.close_connection = True
            return True
        if action == "vanish":
            self._body(limit=10)
            self.connection.close()
            self.close_connection = True
            self.server.vanish()
            return True
        if action == "html":
            self._body()
            self._reply(200, b"<html><body>Login</body></html>", "text/html")
            return True
        return False

    def do_PUT(self) -> None:
        graph = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query).get("graph", [""])[0]
        action = self.server.next_action()
        if self._fault(action, graph):
            return
        expected = int(self.headers["Content-Length"])
        data = self._body()
        if len(data) < expected:  # incomplete upload: a transactional server applies nothing
            self.close_connection = True
            return
        if action == "lose-one":  # a server that silently drops a triple
            data = b"\n".join(data.splitlines()[1:]) + b"\n"
        with self.server.lock:
            target = ox.NamedNode(graph)
            self.server.store.remove_graph(target) if self.server.store.contains_named_graph(target) else None
            self.server.store.load(data, format=ox.RdfFormat.N_TRIPLES, to_graph=target)
        self._reply(201)

    def do_POST(self) -> None:
        action = self.server.next_action()
        content_type = self.headers.get("Content-Type", "")
        if self._fault(action, ""):
            return
        data = self._body()
        if content_type.startswith("application/sparql-update"):
            with self.server.lock:
                self.server.store.update(data.decode("utf-8"))
            self._reply(204)
            return
        query = urllib.parse.parse_qs(data.decode("utf-8"))["query"][0]
        answer = self.server.store.query(query, use_default_graph_as_union=True)
        body = answer.serialize(format=ox.QueryResultsFormat.JSON)
        self._reply(200, body, "application/sparql-results+json")


@pytest.fixture
def server() -> Iterator[FakeServer]:
    fake = FakeServer()
    yield fake
    fake.shutdown()
    fake.server_close()


@pytest.fixture
def nquads(tmp_path: Path) -> Path:
    return write_fixture(tmp_path / "build" / "rdf" / "test.nq")


def endpoint(fake: FakeServer, **kw: object) -> tuple[Endpoint, list[float]]:
    slept: list[float] = []
    options: dict = {
        "update_url": fake.url + "/update",
        "graph_store_url": fake.url + "/store",
        "timeout": 0.5,
        "retries": 3,
        "backoff": 0.2,
        "sleep": slept.append,
    }
    options.update(kw)
    ep = Endpoint(fake.url + "/query", **options)
    return ep, slept


def expected_counts(nquads: Path) -> dict[str, int]:
    with GraphSource(nquads) as source:
        return source.counts


def puts(fake: FakeServer) -> list[str]:
    return [graph for method, _action, graph in fake.log if method == "PUT"]


# ---------------------------------------------------------------- the happy path


def test_load_replaces_every_graph_and_verifies(server: FakeServer, nquads: Path) -> None:
    ep, slept = endpoint(server)
    report = load_endpoint(nquads, ep)
    assert report.loaded == report.expected == server.counts() == expected_counts(nquads)
    assert report.method == "graph-store" and len(report.expected) == 4 and not slept
    assert all(h.get("Accept") for h in server.headers_seen), "every request sends Accept"


def test_reload_is_idempotent(server: FakeServer, nquads: Path) -> None:
    first = load_endpoint(nquads, endpoint(server)[0])
    once = server.counts()
    second = load_endpoint(nquads, endpoint(server)[0])
    assert server.counts() == once == first.loaded == second.loaded


def test_update_fallback_without_graph_store(server: FakeServer, nquads: Path) -> None:
    ep, _ = endpoint(server, graph_store_url=None)
    report = load_endpoint(nquads, ep)
    assert report.method == "update" and server.counts() == expected_counts(nquads)
    assert not puts(server)


def test_load_replaces_stale_content(server: FakeServer, nquads: Path) -> None:
    graph = sorted(expected_counts(nquads))[1]
    server.store.add(
        ox.Quad(ox.NamedNode("http://stale/s"), ox.NamedNode("http://stale/p"), ox.Literal("old"), ox.NamedNode(graph))
    )
    load_endpoint(nquads, endpoint(server)[0])
    assert server.counts() == expected_counts(nquads)


def test_queries_are_form_encoded_with_accept(server: FakeServer, nquads: Path) -> None:
    load_endpoint(nquads, endpoint(server)[0])
    server.headers_seen.clear()
    result = endpoint(server)[0].query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert int(result.rows[0]["n"].value) == sum(expected_counts(nquads).values())
    headers = server.headers_seen[-1]
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert headers["Accept"] == "application/sparql-results+json"


# ---------------------------------------------------------------- faults: retried, bounded, backoff


@pytest.mark.parametrize("fault", ["500", "502", "503", "hang", "drop"])
def test_transient_fault_is_retried_then_succeeds(server: FakeServer, nquads: Path, fault: str) -> None:
    server.script = ["ok", fault, "ok"]  # the second graph's PUT fails once
    ep, slept = endpoint(server)
    report = load_endpoint(nquads, ep)
    assert report.loaded == expected_counts(nquads) == server.counts()
    graphs = puts(server)
    assert graphs[1] == graphs[2], "the failed graph was sent again, whole"
    assert len(slept) == 1
    assert slept[0] == (1.0 if fault == "503" else 0.2), "backoff, or the server's Retry-After"


def test_backoff_grows_and_is_bounded(server: FakeServer, nquads: Path) -> None:
    server.script = ["500"] * 10
    ep, slept = endpoint(server, retries=4, backoff=0.5, max_backoff=2.0)
    with pytest.raises(StoreError) as err:
        load_endpoint(nquads, ep)
    assert slept == [0.5, 1.0, 2.0, 2.0]
    assert len(server.log) == 5, "exactly 1 + retries attempts"
    problem = err.value.problems[0]
    assert problem.code == "store-server-error"
    assert "gave up after 5 attempts" in problem.message and "HTTP 500" in problem.message
    assert "0 of 4 graph(s) were replaced" in problem.message


def test_persistent_timeout_fails_with_store_timeout(server: FakeServer, nquads: Path) -> None:
    server.script = ["hang"] * 3
    ep, slept = endpoint(server, retries=2, timeout=0.3)
    with pytest.raises(StoreError) as err:
        load_endpoint(nquads, ep)
    assert err.value.problems[0].code == "store-timeout" and len(slept) == 2
    assert err.value.exit_code == 3


def test_drop_mid_upload_never_half_replaces(server: FakeServer, nquads: Path) -> None:
    graphs = sorted(expected_counts(nquads))
    load_endpoint(nquads, endpoint(server)[0])  # version 1 everywhere
    # version 2 of the data: every literal changes; the upload of the 3rd graph keeps dropping
    v2 = nquads.parent / "v2.nq"
    text = nquads.read_text(encoding="utf-8").replace("Claim", "Assertion").replace("Test dataset", "Dataset v2")
    v2.write_text(text, encoding="utf-8")
    before = {g: triples(server.store, g) for g in graphs}
    server.script = ["ok", "ok", "drop", "drop"]
    with pytest.raises(StoreError) as err:
        load_endpoint(v2, endpoint(server, retries=1)[0])
    assert err.value.problems[0].code == "store-unreachable"
    assert "2 of 4 graph(s) were replaced" in err.value.problems[0].message
    source = GraphSource(v2)
    new = source.store
    for i, graph in enumerate(graphs):
        after = triples(server.store, graph)
        if i < 2:
            assert after == triples(new, graph) != before[graph], "replaced whole"
        else:
            assert after == before[graph], "untouched: old content, not a mix"


def triples(store: ox.Store, graph: str) -> list[str]:
    """A graph's triples as sorted N-Triples lines, blank node labels blanked (they differ per load)."""
    lines = (
        f"{q.subject} {q.predicate} {q.object}" for q in store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
    )
    return sorted(re.sub(r"_:\w+", "_:b", line) for line in lines)


def test_server_goes_away_mid_load_then_reload_completes(tmp_path: Path, nquads: Path) -> None:
    port = free_port()
    fake = FakeServer(port)
    fake.script = ["ok", "vanish"]
    with pytest.raises(StoreError) as err:
        load_endpoint(nquads, endpoint(fake, retries=2)[0])
    problem = err.value.problems[0]
    assert problem.code == "store-unreachable" and "connection refused" in problem.message
    assert "1 of 4 graph(s) were replaced" in problem.message
    survivors = {g: n for g, n in fake.counts().items()}
    assert list(survivors) == [sorted(expected_counts(nquads))[0]]
    # the server comes back (same port, same data): the same command completes the load
    back = FakeServer(port)
    back.store = fake.store
    try:
        report = load_endpoint(nquads, endpoint(back)[0])
        assert report.loaded == expected_counts(nquads) == back.counts()
    finally:
        back.shutdown()
        back.server_close()


def test_nobody_listening(nquads: Path) -> None:
    ep = Endpoint(f"http://127.0.0.1:{free_port()}/query", retries=1, sleep=lambda s: None, timeout=0.5)
    with pytest.raises(StoreError) as err:
        ep.query("ASK {}")
    assert err.value.problems[0].code == "store-unreachable"
    assert "gave up after 2 attempts" in err.value.problems[0].message


# ---------------------------------------------------------------- faults: not retried


@pytest.mark.parametrize("status", ["401", "403"])
def test_refused_credentials_are_not_retried(server: FakeServer, nquads: Path, status: str) -> None:
    server.script = [status]
    ep, slept = endpoint(server)
    with pytest.raises(StoreError) as err:
        load_endpoint(nquads, ep)
    problem = err.value.problems[0]
    assert problem.code == "store-auth" and f"HTTP {status}" in problem.message
    assert not slept and len(server.log) == 1, "never retried"


def test_400_is_not_retried(server: FakeServer, nquads: Path) -> None:
    server.script = ["400"]
    ep, slept = endpoint(server)
    with pytest.raises(StoreError) as err:
        ep.query("SELECT * WHERE { ?s ?p ?o }")
    problem = err.value.problems[0]
    assert problem.code == "store-rejected" and "Parse error at line 1" in problem.message and not slept


def test_html_instead_of_results(server: FakeServer) -> None:
    server.script = ["html"]
    with pytest.raises(StoreError) as err:
        endpoint(server)[0].query("SELECT * WHERE { ?s ?p ?o }")
    assert err.value.problems[0].code == "store-response-invalid" and "text/html" in err.value.problems[0].message


def test_count_mismatch_is_reported(server: FakeServer, nquads: Path) -> None:
    server.script = ["ok", "lose-one"]
    with pytest.raises(StoreError) as err:
        load_endpoint(nquads, endpoint(server)[0])
    problem = err.value.problems[0]
    assert problem.code == "store-verify-mismatch" and "1 of 4 graph(s) differ" in problem.message
    # and loading again repairs it
    report = load_endpoint(nquads, endpoint(server)[0])
    assert report.loaded == expected_counts(nquads)


# ---------------------------------------------------------------- credentials


def test_credentials_from_env_are_sent_and_never_printed(tmp_path: Path, nquads: Path) -> None:
    header = "Basic " + base64.b64encode(f"{USER}:{SECRET}".encode()).decode()
    fake = FakeServer(require_auth=header)
    try:
        runner = CliRunner()
        args = ["load", "--file", str(nquads), "--endpoint", fake.url + "/query", "--graph-store", fake.url + "/store"]
        ok = runner.invoke(cli, [*args, "--auth-env", "STORE_AUTH"], env={"STORE_AUTH": f"{USER}:{SECRET}"})
        assert ok.exit_code == 0, ok.output
        assert "verified 44/44 triples" in ok.output and SECRET not in ok.output
        bad = runner.invoke(cli, [*args, "--auth-env", "STORE_AUTH"], env={"STORE_AUTH": f"{USER}:wrong-{SECRET}"})
        assert bad.exit_code == 3 and "[store-auth]" in bad.output
        assert SECRET not in bad.output and "wrong" not in bad.output
        assert base64.b64encode(f"{USER}:wrong-{SECRET}".encode()).decode() not in bad.output
    finally:
        fake.shutdown()
        fake.server_close()


def test_credentials_from_netrc(tmp_path: Path) -> None:
    rc = tmp_path / "netrc"
    rc.write_text(f"machine 127.0.0.1 login {USER} password {SECRET}\n")
    rc.chmod(0o600)
    value = authorization("http://127.0.0.1:1/sparql", None, environ={"NETRC": str(rc)})
    assert value == "Basic " + base64.b64encode(f"{USER}:{SECRET}".encode()).decode()
    assert authorization("http://elsewhere.example/sparql", None, environ={"NETRC": str(rc)}) is None


def test_netrc_parse_error_does_not_echo_tokens(tmp_path: Path) -> None:
    rc = tmp_path / "netrc"
    rc.write_text(f"machine 127.0.0.1 login {USER} password {SECRET}\nnonsense {SECRET}-2\n")
    rc.chmod(0o600)
    with pytest.raises(UsageError) as err:
        authorization("http://127.0.0.1:1/sparql", None, environ={"NETRC": str(rc)})
    assert err.value.problems[0].code == "store-netrc-invalid" and SECRET not in str(err.value)


def test_bearer_token_and_missing_variable() -> None:
    assert authorization("http://h/q", "TOKEN", environ={"TOKEN": "abc123"}) == "Bearer abc123"
    with pytest.raises(UsageError) as err:
        authorization("http://h/q", "TOKEN", environ={})
    assert err.value.problems[0].code == "store-auth-env-missing" and "TOKEN" in str(err.value)


def test_credentials_in_url_are_refused() -> None:
    with pytest.raises(UsageError) as err:
        check_url(f"http://{USER}:{SECRET}@127.0.0.1:8890/sparql", "--endpoint")
    assert err.value.problems[0].code == "store-credentials-in-url" and SECRET not in str(err.value)
    result = CliRunner().invoke(cli, ["query", "ASK {}", "--endpoint", f"http://{USER}:{SECRET}@127.0.0.1:1/sparql"])
    assert result.exit_code == 2 and SECRET not in result.output


def test_authorization_not_in_repr() -> None:
    ep = Endpoint("http://127.0.0.1:1/q", authorization="Basic " + SECRET)
    assert SECRET not in repr(ep)


def test_messages_omit_query_strings(server: FakeServer) -> None:
    server.script = ["401"]
    ep = Endpoint(server.url + "/query?api_key=" + SECRET, sleep=lambda s: None)
    with pytest.raises(StoreError) as err:
        ep.query("ASK {}")
    assert SECRET not in str(err.value)


# ---------------------------------------------------------------- CLI exit codes and messages


def test_cli_fault_exits_3_with_a_clear_report(server: FakeServer, nquads: Path) -> None:
    server.script = ["500"] * 5
    result = CliRunner().invoke(
        cli,
        ["load", "--file", str(nquads), "--endpoint", server.url + "/query", "--graph-store", server.url + "/store"]
        + ["--retries", "1", "--timeout", "1"],
    )
    assert result.exit_code == 3
    line = result.output.strip().splitlines()[-1]
    assert re.match(r"http://127\.0\.0\.1:\d+/store: replace graph <.+>: HTTP 500", line), line
    assert "gave up after 2 attempts" in line and "[store-server-error]" in line and "Traceback" not in result.output


def test_cli_query_over_http(server: FakeServer, nquads: Path) -> None:
    load_endpoint(nquads, endpoint(server)[0])
    result = CliRunner().invoke(
        cli,
        [
            "query",
            "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
            "--endpoint",
            server.url + "/query",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["results"]["bindings"][0]["n"]["value"] == "44"


def test_fixture_is_what_the_tests_think(nquads: Path) -> None:
    assert sum(expected_counts(nquads).values()) == len(fixture_quads()) == 44
    assert os.path.getsize(nquads) > 0


def test_netrc_credentials_go_only_to_their_host(tmp_path: Path, nquads: Path, monkeypatch) -> None:
    rc = tmp_path / "netrc"
    rc.write_text(f"machine 127.0.0.1 login {USER} password {SECRET}\n")
    rc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(rc))
    header = "Basic " + base64.b64encode(f"{USER}:{SECRET}".encode()).decode()
    writer = FakeServer(require_auth=header)  # the graph store on 127.0.0.1 wants the netrc credentials
    reader = FakeServer()  # the query endpoint, reached as localhost: no entry, so nothing is sent to it
    try:
        result = CliRunner().invoke(
            cli,
            ["load", "--file", str(nquads), "--graph-store", writer.url + "/store"]
            + ["--endpoint", f"http://localhost:{reader.server_address[1]}/query"],
        )
        # counts are read from the other server, which has no data: the load is reported as a mismatch
        assert result.exit_code == 3 and "[store-verify-mismatch]" in result.output, result.output
        assert all(h.get("Authorization") == header for h in writer.headers_seen)
        assert reader.headers_seen and not any("Authorization" in h for h in reader.headers_seen)
        assert SECRET not in result.output
    finally:
        for fake in (writer, reader):
            fake.shutdown()
            fake.server_close()


def test_line_breaks_in_credentials_are_refused() -> None:
    with pytest.raises(UsageError) as err:
        authorization("http://h/q", "AUTH", environ={"AUTH": f"{USER}:{SECRET}\r\nX-Evil: 1"})
    assert err.value.problems[0].code == "store-auth-env-invalid"
    assert "line break" in str(err.value) and SECRET not in str(err.value)


def test_tls_failure_is_not_retried(server: FakeServer) -> None:
    ep = Endpoint(server.url.replace("http://", "https://") + "/query", sleep=lambda s: pytest.fail("retried"))
    with pytest.raises(StoreError) as err:
        ep.query("ASK {}")
    assert err.value.problems[0].code == "store-unreachable" and "TLS" in err.value.problems[0].message
    assert ep.attempts == 1
