"""A SPARQL 1.1 Protocol and Graph Store Protocol client on the standard library's http.client.

What it promises, because stores are remote and fail:
  - every request we send is idempotent (queries; a graph *replaced* by one PUT, or by one
    `DROP SILENT GRAPH … ; INSERT {…} WHERE {}` update), so connection errors, timeouts, 408/429
    and 5xx answers are retried, a bounded number of times with exponential backoff;
  - a graph goes up in one request with an exact Content-Length, so a server that loses
    the connection mid-upload sees an incomplete body and applies nothing: a graph is
    replaced whole or not at all, never half;
  - 401/403 are never retried; credentials come from an environment variable (`--auth-env`)
    or a netrc file, never from a URL or the command line, and never appear in messages;
  - every failure is a `StoreError` naming the endpoint, what was done, and what to do.

Server quirks handled here: queries go form-encoded (Virtuoso hangs on a POST with
Content-Type application/sparql-query); an Accept header is always sent (Oxigraph needs
one); uploads are N-Triples, which every server reads (Virtuoso cannot read JSON-LD).
"""

from __future__ import annotations

import base64
import http.client
import json
import netrc
import os
import shutil
import socket
import ssl
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

from . import __version__
from .errors import DatapkgError, Problem, UsageError
from .queryresults import QueryResult, declared_prefixes, query_form

if TYPE_CHECKING:
    import pyoxigraph

RESULTS_JSON = "application/sparql-results+json"
GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5"
NTRIPLES = "application/n-triples"
RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})
COUNT_BATCH = 200  # graphs per verification query (keeps VALUES small)
SPOOL_BYTES = 4 * 1024 * 1024  # graph bodies above this size are streamed from a temporary file
BLOCK = 64 * 1024
UPDATE_CHUNK = 1000  # triples per INSERT DATA block in the SPARQL Update route
URL_SAFE = "/?&=%:@!$'()*+,;~-._"  # reserved characters and existing %-escapes stay as they are


class StoreError(DatapkgError):
    """A triple store failed or refused: unreachable, timed out, 5xx, bad credentials, wrong counts."""

    exit_code = 3


def _safe_url(url: str) -> str:
    """URL as printed in messages: no query string (it may carry a key), no user info."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", ""))


def check_url(url: str, option: str) -> str:
    """Reject URLs that are not http(s) or that carry credentials (they would end up in shell history)."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is not None or parts.password is not None:
        raise UsageError(
            Problem.make("store-credentials-in-url", f"{option} {_safe_url(url)} contains user info", subject=option)
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            Problem.make(
                "store-rejected",
                f"{option} must be an http:// or https:// URL",
                subject=option,
                hint="e.g. http://127.0.0.1:7878/query",
            )
        )
    return url


def authorization(
    url: str,
    auth_env: str | None,
    environ: Mapping[str, str] | None = None,
    netrc_file: str | os.PathLike[str] | None = None,
) -> str | None:
    """Authorization header value from `$auth_env` (user:password or a token) or netrc; None if neither."""
    environ = os.environ if environ is None else environ
    if auth_env:
        secret = environ.get(auth_env)
        if not secret:
            raise UsageError(
                Problem.make(
                    "store-auth-env-missing", f"environment variable {auth_env} is not set", subject="--auth-env"
                )
            )
        if any(ch in secret for ch in "\r\n\0"):
            # would split the HTTP header; say which variable, never what is in it
            raise UsageError(
                Problem.make("store-auth-env-invalid", f"{auth_env} contains a line break", subject="--auth-env")
            )
        if secret.lower().startswith(("bearer ", "basic ")):
            return secret
        if ":" in secret:
            return "Basic " + base64.b64encode(secret.encode("utf-8")).decode("ascii")
        return "Bearer " + secret
    path = netrc_file or environ.get("NETRC") or (Path.home() / ".netrc")
    if not Path(path).is_file():
        return None
    try:
        entry = netrc.netrc(str(path)).authenticators(urllib.parse.urlsplit(url).hostname or "")
    except (netrc.NetrcParseError, OSError) as exc:
        line = getattr(exc, "lineno", None)
        # the parser's message may quote a token, which may be a password: keep only where
        raise UsageError(
            Problem.make("store-netrc-invalid", "cannot parse the netrc file", file=str(path), line=line)
        ) from None
    if entry is None:
        return None
    login, _, password = entry
    return "Basic " + base64.b64encode(f"{login}:{password or ''}".encode()).decode("ascii")


@dataclass
class Response:
    status: int
    reason: str
    headers: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


@dataclass
class Endpoint:
    """A SPARQL server: query URL, optional update and Graph Store Protocol URLs, and how to be patient."""

    query_url: str
    update_url: str | None = None
    graph_store_url: str | None = None
    # Authorization header: one value for every URL, or per host ("host:port") so that
    # credentials only go where they belong
    authorization: str | dict[str, str] | None = field(default=None, repr=False)
    timeout: float = 60.0
    retries: int = 3
    backoff: float = 0.5
    max_backoff: float = 30.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    attempts: int = field(default=0, repr=False)  # requests sent, retries included (for reports and tests)

    # ---------------------------------------------------------------- transport
    def request(
        self,
        method: str,
        url: str,
        *,
        what: str,
        body: bytes | IO[bytes] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """Send one idempotent request, retrying transient failures; StoreError when it cannot succeed."""
        headers = {"User-Agent": f"datapkg/{__version__}", **(headers or {})}
        credentials = self.authorization
        if isinstance(credentials, dict):
            credentials = credentials.get(urllib.parse.urlsplit(url).netloc)
        if credentials:
            headers["Authorization"] = credentials
        if body is not None and "Content-Length" not in headers:
            headers["Content-Length"] = str(_size(body))
        where = _safe_url(url)
        last: Problem | None = None
        retry_after: float | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                self.sleep(self._delay(attempt, retry_after))
            if hasattr(body, "seek"):
                body.seek(0)  # type: ignore[union-attr]
            self.attempts += 1
            retry_after = None
            try:
                response = self._send(method, url, body, headers)
            except TimeoutError:
                last = _problem("store-timeout", where, what, f"no answer within {self.timeout:g} s")
                continue
            except ssl.SSLError as exc:  # a certificate problem does not go away by retrying
                raise StoreError(_problem("store-unreachable", where, what, f"TLS: {exc}")) from None
            except (http.client.HTTPException, ConnectionError, OSError) as exc:
                last = _problem("store-unreachable", where, what, _describe(exc))
                continue
            if 200 <= response.status < 300:
                return response
            status = f"HTTP {response.status} {response.reason}".rstrip()
            if response.status in (401, 403):
                raise StoreError(_problem("store-auth", where, what, status))
            detail = status + _excerpt(response.body)
            if response.status in RETRY_STATUS:
                last = _problem("store-server-error", where, what, detail)
                header = response.headers.get("retry-after", "").strip()
                retry_after = float(header) if header.isdigit() else None
                continue
            if 300 <= response.status < 400:
                # not followed: a redirect could carry the credentials to another host
                detail += f"; it redirects to {_safe_url(response.headers.get('location', '?'))}, use that URL"
            raise StoreError(_problem("store-rejected", where, what, detail))
        assert last is not None
        tries = self.retries + 1
        raise StoreError(
            Problem.make(
                last.code,
                f"{last.message} (gave up after {tries} attempt{'s' if tries > 1 else ''})",
                subject=last.subject,
            )
        )

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff, at least what the server asked for (Retry-After), never above the cap."""
        delay = self.backoff * 2 ** (attempt - 1)
        if retry_after is not None:
            delay = max(delay, retry_after)
        return min(delay, self.max_backoff)

    def _send(self, method: str, url: str, body: bytes | IO[bytes] | None, headers: dict[str, str]) -> Response:
        parts = urllib.parse.urlsplit(url)
        cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        conn = cls(parts.hostname or "", parts.port, timeout=self.timeout, blocksize=BLOCK)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        target = urllib.parse.quote(target, safe=URL_SAFE)  # IRIs may hold non-ASCII; HTTP wants ASCII
        try:
            conn.request(method, target, body=body, headers=headers)
            raw = conn.getresponse()
            data = raw.read()
            return Response(raw.status, raw.reason, {k.lower(): v for k, v in raw.getheaders()}, data)
        finally:
            conn.close()

    # ---------------------------------------------------------------- SPARQL protocol
    def query(self, text: str) -> QueryResult:
        """Run a read-only query (form-encoded POST) and parse the answer."""
        try:
            form = query_form(text)
        except ValueError as exc:
            raise UsageError(Problem.make("query-invalid", str(exc))) from None
        if form == "update":
            raise UsageError(Problem.make("query-update", "the query changes data"))
        accept = GRAPH_ACCEPT if form == "graph" else RESULTS_JSON
        response = self.request(
            "POST",
            self.query_url,
            what="query",
            body=urllib.parse.urlencode({"query": text}).encode("utf-8"),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": accept},
        )
        if response.status == 204 or not response.body:
            raise StoreError(_problem("store-response-invalid", _safe_url(self.query_url), "query", "empty answer"))
        if form == "graph":
            return self._graph(response, declared_prefixes(text))
        if "json" not in response.content_type:
            raise StoreError(
                _problem(
                    "store-response-invalid",
                    _safe_url(self.query_url),
                    "query",
                    f"expected {RESULTS_JSON}, got {response.content_type or 'no content type'}{_excerpt(response.body)}",
                )
            )
        try:
            result = QueryResult.from_sparql_json(json.loads(response.body))
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreError(
                _problem(
                    "store-response-invalid", _safe_url(self.query_url), "query", f"unreadable JSON results: {exc}"
                )
            ) from None
        if result.form != form:
            raise StoreError(
                _problem(
                    "store-response-invalid",
                    _safe_url(self.query_url),
                    "query",
                    f"{form} query got {result.form} results",
                )
            )
        return result

    def _graph(self, response: Response, prefixes: dict[str, str]) -> QueryResult:
        import pyoxigraph as ox

        from .store import graph_result

        media = response.content_type or "application/n-triples"
        fmt = ox.RdfFormat.from_media_type(media)
        if fmt is None:
            raise StoreError(
                _problem("store-response-invalid", _safe_url(self.query_url), "query", f"graph answer in {media}")
            )
        try:
            quads = list(ox.parse(response.body, format=fmt))
        except SyntaxError as exc:
            raise StoreError(
                _problem("store-response-invalid", _safe_url(self.query_url), "query", f"unreadable {media}: {exc}")
            ) from None
        return graph_result((ox.Triple(q.subject, q.predicate, q.object) for q in quads), prefixes)

    def update(self, body: bytes | IO[bytes], what: str = "update") -> None:
        """Send a SPARQL Update (POST application/sparql-update)."""
        url = self.update_url or self.query_url
        self.request(
            "POST", url, what=what, body=body, headers={"Content-Type": "application/sparql-update", "Accept": "*/*"}
        )

    def put_graph(self, graph: str, body: IO[bytes]) -> None:
        """Replace one named graph with N-Triples (Graph Store Protocol PUT, indirect graph identification)."""
        if not self.graph_store_url:
            raise ValueError("no graph store URL")
        sep = "&" if urllib.parse.urlsplit(self.graph_store_url).query else "?"
        url = f"{self.graph_store_url}{sep}{urllib.parse.urlencode({'graph': graph})}"
        self.request(
            "PUT",
            url,
            what=f"replace graph <{graph}>",
            body=body,
            headers={"Content-Type": f"{NTRIPLES}; charset=utf-8", "Accept": "*/*"},
        )

    def graph_counts(self, graphs: list[str]) -> dict[str, int]:
        """Triples per graph on the server (0 for graphs it does not have)."""
        counts = dict.fromkeys(graphs, 0)
        for start in range(0, len(graphs), COUNT_BATCH):
            batch = graphs[start : start + COUNT_BATCH]
            values = " ".join(f"<{g}>" for g in batch)
            result = self.query(
                f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }} GROUP BY ?g"
            )
            for row in result.rows:
                if "g" in row and "n" in row and row["g"].value in counts:
                    counts[row["g"].value] = int(float(row["n"].value))
        return counts


def _size(body: bytes | IO[bytes]) -> int:
    if isinstance(body, bytes | bytearray):
        return len(body)
    position = body.seek(0, os.SEEK_END)
    body.seek(0)
    return position


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, http.client.RemoteDisconnected | ConnectionResetError | BrokenPipeError):
        return "the server closed the connection"
    if isinstance(exc, socket.gaierror):
        return "unknown host"
    return str(exc) or type(exc).__name__


def _excerpt(body: bytes) -> str:
    text = " ".join(body[:300].decode("utf-8", "replace").split())
    return f": {text}" if text else ""


def _problem(code: str, where: str, what: str, detail: str) -> Problem:
    return Problem.make(code, f"{what}: {detail}", subject=where)


# ---------------------------------------------------------------- loading a dataset


@dataclass
class LoadReport:
    endpoint: str
    method: str  # "graph-store" or "update"
    expected: dict[str, int]
    loaded: dict[str, int]
    attempts: int

    @property
    def triples(self) -> int:
        return sum(self.expected.values())


class GraphSource:
    """The N-Quads file split into its named graphs: bulk-loaded once into a temporary on-disk
    Oxigraph store (memory stays flat for big corpora), from which each graph is dumped in turn."""

    def __init__(self, nquads: Path) -> None:
        import pyoxigraph as ox

        from .errors import DataError

        if not nquads.is_file():
            raise UsageError(Problem.make("rdf-missing", f"{nquads} does not exist", file=str(nquads)))
        self.path = nquads
        self._tmp = tempfile.TemporaryDirectory(prefix="datapkg-load-")
        self.store: pyoxigraph.Store = ox.Store(self._tmp.name)
        try:
            self.store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
        except SyntaxError as exc:
            self.close()
            raise DataError(Problem.make("rdf-invalid", str(exc), file=str(nquads))) from None
        default = sum(1 for _ in self.store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
        if default:
            self.close()
            raise DataError(
                Problem.make("rdf-default-graph", f"{default} triple(s) are in the default graph", file=str(nquads))
            )
        from .store import graph_counts

        self.counts = dict(sorted(graph_counts(self.store).items()))

    def close(self) -> None:
        """Close the temporary store and remove it."""
        self.store = None  # type: ignore[assignment]  # drops (closes) RocksDB before its files go
        self._tmp.cleanup()

    def __enter__(self) -> GraphSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def body(self, graph: str) -> Iterator[IO[bytes]]:
        """The graph as N-Triples in a spooled file (memory up to SPOOL_BYTES, then disk)."""
        import pyoxigraph as ox

        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
            self.store.dump(spool, format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph))
            spool.seek(0)
            yield spool  # type: ignore[misc]

    @contextmanager
    def update_body(self, graph: str) -> Iterator[IO[bytes]]:
        """One SPARQL Update request that replaces the graph: DROP, then INSERT DATA in chunks.

        One request is one transaction on the servers we know, so the graph is replaced whole.
        Chunks keep each INSERT DATA block small (some servers' parsers fail on long blocks).
        Blank nodes cannot be split across INSERT DATA blocks (their labels would name
        different nodes, and Virtuoso refuses them there), so a graph with blank nodes goes in
        a single INSERT {…} WHERE {} whose template mints them.
        """
        iri = f"<{graph}>".encode()
        blank = self.store.query(f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o FILTER (isBlank(?s) || isBlank(?o)) }} }}")
        with self.body(graph) as triples, tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
            spool.write(b"DROP SILENT GRAPH " + iri + b" ;\n")
            if bool(blank):
                spool.write(b"INSERT { GRAPH " + iri + b" {\n")
                shutil.copyfileobj(triples, spool)
                spool.write(b"} } WHERE {}\n")
            else:
                for count, line in enumerate(triples):
                    if count % UPDATE_CHUNK == 0:
                        spool.write((b"} } ;\n" if count else b"") + b"INSERT DATA { GRAPH " + iri + b" {\n")
                    spool.write(line)
                if self.counts.get(graph):
                    spool.write(b"} }\n")
            spool.seek(0)
            yield spool  # type: ignore[misc]


def load_endpoint(
    nquads: Path, endpoint: Endpoint, progress: Callable[[int, int, str], None] | None = None
) -> LoadReport:
    """Replace every named graph of the file on the server, then verify triple counts per graph."""
    with GraphSource(nquads) as source:
        graphs = list(source.counts)
        method = "graph-store" if endpoint.graph_store_url else "update"
        done = 0
        try:
            for graph in graphs:
                if method == "graph-store":
                    with source.body(graph) as body:
                        endpoint.put_graph(graph, body)
                else:
                    with source.update_body(graph) as body:
                        endpoint.update(body, what=f"replace graph <{graph}>")
                done += 1
                if progress:
                    progress(done, len(graphs), graph)
        except StoreError as exc:
            first = exc.problems[0]
            note = (
                f"{first.message}; {done} of {len(graphs)} graph(s) were replaced before the failure, the others "
                "keep their previous content (a graph is replaced whole or not at all)"
            )
            raise StoreError(Problem.make(first.code, note, subject=first.subject)) from None
    loaded = endpoint.graph_counts(graphs)
    report = LoadReport(
        _safe_url(endpoint.graph_store_url or endpoint.update_url or endpoint.query_url),
        method,
        source.counts,
        loaded,
        endpoint.attempts,
    )
    wrong = [g for g in graphs if loaded[g] != source.counts[g]]
    if wrong:
        shown = "; ".join(f"<{g}> has {loaded[g]} of {source.counts[g]}" for g in wrong[:5])
        more = f" and {len(wrong) - 5} more" if len(wrong) > 5 else ""
        raise StoreError(
            Problem.make(
                "store-verify-mismatch",
                f"{len(wrong)} of {len(graphs)} graph(s) differ after loading: {shown}{more}",
                subject=_safe_url(endpoint.query_url),
            )
        )
    return report
