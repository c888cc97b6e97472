"""Helpers for the store tests: a small N-Quads fixture, free ports, real servers started and stopped by PID."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from datapkg.queryresults import QueryResult, is_ordered

BASE = "https://example.org/datapkg/test"
XSD = "http://www.w3.org/2001/XMLSchema#"
SDO = "https://schema.org/"


def fixture_quads(docs: int = 3, base: str = BASE) -> list[str]:
    """One named graph per document plus a dataset graph; literals that stress escaping and Unicode."""
    lines = []
    dataset = f"<{base}/dataset>"
    lines.append(f'<{base}> <{SDO}name> "Test dataset" {dataset} .')
    lines.append(f"<{base}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{SDO}Dataset> {dataset} .")
    for i in range(docs):
        doc = f"{base}/doc/d{i}"
        graph = f"<{doc}/graph>"
        lines.append(f"<{base}> <{SDO}hasPart> <{doc}> {dataset} .")
        lines.append(f'<{doc}> <{SDO}name> "Document {i} — “quoted” \\"and\\" back\\\\slash\\nnew line"@en {graph} .')
        lines.append(f'<{doc}> <{SDO}wordCount> "{100 + i}"^^<{XSD}integer> {graph} .')
        for j in range(i + 2):
            claim = f"<{doc}/c{j}>"
            lines.append(f"{claim} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{SDO}Claim> {graph} .")
            lines.append(f'{claim} <{SDO}text> "Claim {j} of document {i}: Pakistan–US ✓" {graph} .')
            lines.append(f"{claim} <{SDO}isPartOf> <{doc}> {graph} .")
        lines.append(f'_:b{i} <{SDO}value> "blank {i}" {graph} .')
        lines.append(f"<{doc}> <{SDO}about> _:b{i} {graph} .")
    return sorted(lines)


def write_fixture(path: Path, docs: int = 3) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(fixture_quads(docs)) + "\n", encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen[bytes], seconds: float, log: Path | None = None) -> None:
    """Poll `url` until it answers (any HTTP status), or fail with the server's log."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {_tail(log)}")
        try:
            urllib.request.urlopen(urllib.request.Request(url, headers={"Accept": "*/*"}), timeout=1).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server at {url} did not start within {seconds} s: {_tail(log)}")


def _tail(log: Path | None) -> str:
    if log is None or not log.exists():
        return ""
    return log.read_text(errors="replace")[-2000:]


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, seconds: float = 20) -> None:
    """Stop a server we started, by its PID; kill it if it does not stop in time."""
    if proc.poll() is None:
        os.kill(proc.pid, sig)
        try:
            proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


class Oxigraph:
    """`oxigraph serve` (PyPI package) on a free port, with the union of graphs as default graph."""

    def __init__(self, binary: str, location: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = location.parent / f"{location.name}.log"
        self.proc = subprocess.Popen(
            [
                binary,
                "serve",
                "--location",
                str(location),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--union-default-graph",
            ],
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        try:
            wait_http(self.base + "/query?query=ASK%7B%7D", self.proc, 30, self.log)
        except BaseException:
            stop(self.proc)  # never leave a half-started server behind
            raise

    @property
    def query_url(self) -> str:
        return self.base + "/query"

    @property
    def graph_store_url(self) -> str:
        return self.base + "/store"

    @property
    def update_url(self) -> str:
        return self.base + "/update"

    def stop(self) -> None:
        stop(self.proc)  # SIGTERM: SIGINT is ignored when started in the background


VIRTUOSO_INI = """\
; datapkg test instance: private directory, free ports on 127.0.0.1, no VAD packages (starts in seconds)
[Database]
DatabaseFile       = {db}/virtuoso.db
ErrorLogFile       = {db}/virtuoso.log
LockFile           = {db}/virtuoso.lck
TransactionFile    = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
MaxCheckpointRemap = 2000
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile       = {db}/virtuoso-temp.db
TransactionFile    = {db}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping           = 0

[Parameters]
ServerPort               = 127.0.0.1:{sql_port}
DisableUnixSocket        = 1
CheckpointInterval       = 0
CaseMode                 = 2
DirsAllowed              = .
; an empty directory: skips installing the Conductor VAD (minutes) at first start
VADInstallDir            = {vad}
NumberOfBuffers          = 10000
MaxDirtyBuffers          = 6000
ThreadsPerQuery          = 2
MaxClientConnections     = 8

[HTTPServer]
ServerPort                  = 127.0.0.1:{http_port}
ServerRoot                  = {vsp}
MaxClientConnections        = 8
ServerThreads               = 8
Charset                     = UTF-8
EnabledGzipContent          = 0

[SPARQL]
; Debian's default of 10000 silently truncates large results
ResultSetMaxRows           = 1000000
MaxQueryCostEstimationTime = 400
MaxQueryExecutionTime      = 60
"""


class Virtuoso:
    """`virtuoso-t` from Debian with our own ini; anonymous SPARQL updates granted through isql."""

    def __init__(self, binary: str, isql: str, root: Path) -> None:
        self.http_port, self.sql_port = free_port(), free_port()
        for sub in ("db", "vad", "vsp"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        ini = root / "virtuoso.ini"
        ini.write_text(
            VIRTUOSO_INI.format(
                db=root / "db", vad=root / "vad", vsp=root / "vsp", sql_port=self.sql_port, http_port=self.http_port
            )
        )
        self.base = f"http://127.0.0.1:{self.http_port}"
        self.log = root / "server.log"
        self.proc = subprocess.Popen(
            [binary, "+foreground", "+configfile", str(ini)], stdout=self.log.open("wb"), stderr=subprocess.STDOUT
        )
        try:
            wait_http(self.base + "/sparql?query=ASK%7B%7D", self.proc, 60, self.log)
            # anonymous writes through /sparql-graph-crud and /sparql (a private test instance)
            subprocess.run(
                [isql, f"127.0.0.1:{self.sql_port}", "dba", "dba", 'exec=GRANT SPARQL_UPDATE TO "SPARQL";'],
                check=True,
                capture_output=True,
                timeout=30,
            )
        except BaseException:
            stop(self.proc)  # never leave a half-started server behind
            raise

    @property
    def query_url(self) -> str:
        return self.base + "/sparql"

    @property
    def graph_store_url(self) -> str:
        return self.base + "/sparql-graph-crud"

    @property
    def update_url(self) -> str:
        return self.base + "/sparql"

    def stop(self) -> None:
        stop(self.proc)


def canonical(result: QueryResult, query: str) -> object:
    return result.canonical(is_ordered(query))


def dump_json(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


def have(name: str) -> bool:
    return shutil.which(name) is not None


# ---------------------------------------------------------------- shared checks for real servers

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ROOT / "queries"


def example_queries() -> list[Path]:
    """queries/*.rq that run offline (a `# requires: network` header line marks the federated ones)."""
    return [p for p in sorted(QUERIES.glob("*.rq")) if "# requires: network" not in p.read_text(encoding="utf-8")]


def file_counts(nq: Path) -> dict[str, int]:
    import pyoxigraph as ox

    store = ox.Store()
    store.bulk_load(path=str(nq), format=ox.RdfFormat.N_QUADS)
    return {
        r["g"].value: int(r["n"].value)
        for r in store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    }


def cli_load(nq: Path, *args: str) -> str:
    """`datapkg load --file NQ ARGS…` in a real subprocess; its stdout (fails the test on a non-zero exit)."""
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "datapkg.cli", "load", "--file", str(nq), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def truncated_put(graph_store_url: str, graph: str, lines: int = 20000) -> None:
    """Start a Graph Store PUT, send only the first half of the body (ending on a whole line), and vanish."""
    import urllib.parse

    body = "".join(f'<http://example.org/s{i}> <http://example.org/p> "{i}" .\n' for i in range(lines)).encode()
    half = body[: body.index(b"\n", len(body) // 2) + 1]  # valid N-Triples so far: only the length tells
    parts = urllib.parse.urlsplit(graph_store_url)
    target = f"{parts.path}?{urllib.parse.urlencode({'graph': graph})}"
    head = (
        f"PUT {target} HTTP/1.1\r\nHost: {parts.netloc}\r\nAccept: */*\r\n"
        f"Content-Type: application/n-triples\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(head + half)
        time.sleep(0.3)
    time.sleep(0.5)  # let the server notice the connection is gone
