"""Command-line interface: a thin layer that calls the library and translates its errors.

Heavy libraries (rdflib, frictionless, pyoxigraph, …) are imported inside the
commands so that `datapkg --help` stays fast.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import __version__
from .errors import DatapkgError

SEEDS_OPTION = click.option(
    "--seeds",
    "seeds_dir",
    type=click.Path(path_type=Path),
    default=Path("seeds"),
    show_default=True,
    help="Seeds directory (dataset.yaml plus one folder per document).",
)
FORMAT_OPTION = click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Report format: one line per problem, or a machine-readable JSON report.",
)


def reports_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn datapkg's typed errors into one line per problem and the right exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except DatapkgError as exc:
            if kwargs.get("output_format") == "json":
                # Same keys as a validation report, so scripts read usage and data errors alike.
                errors = [p for p in exc.problems if p.severity == "error"]
                report = {
                    "valid": False,
                    "exit_code": exc.exit_code,
                    "errors": len(errors),
                    "warnings": len(exc.problems) - len(errors),
                    "problems": [p.to_dict() for p in exc.problems],
                }
                click.echo(json.dumps(report, indent=2, ensure_ascii=False))
            else:
                for problem in exc.problems:
                    click.echo(problem.format(), err=True)
            sys.exit(exc.exit_code)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="datapkg")
def cli() -> None:
    """Turn annotated argumentative essays into a published dataset.

    \b
    Example:
      datapkg validate --strict
      datapkg build
      datapkg query queries/reasons.rq
    """


@cli.command()
@SEEDS_OPTION
@FORMAT_OPTION
@click.option("--strict", is_flag=True, help="Warnings (uncovered sentences, unrelated units …) fail too.")
@click.option("--graph", "check_graph", is_flag=True, help="Also build the RDF graph and check it with SHACL.")
@reports_errors
def validate(seeds_dir: Path, output_format: str, strict: bool, check_graph: bool) -> None:
    """Check the seeds: records, references, quotes, coverage.

    Exit status: 0 valid, 1 invalid data, 2 usage error.

    \b
    Example:
      datapkg validate --seeds seeds --strict --format json
    """
    from .report import validate as run

    report = run(seeds_dir, strict=strict)
    if check_graph and report.valid:
        from .graphcheck import check_graph as shacl

        report.problems.extend(shacl(seeds_dir))
    click.echo(report.to_json() if output_format == "json" else report.to_text(), nl=False)
    sys.exit(int(not report.valid))


@cli.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path),
    default=Path("schema"),
    show_default=True,
    help="Where the generated schema files live.",
)
@click.option("--check", is_flag=True, help="Do not write; exit 1 if any file differs from what the models give.")
@reports_errors
def schema(directory: Path, check: bool) -> None:
    """Generate schema/ (JSON Schemas, table schemas, JSON-LD context, SHACL, vocabulary) from the models.

    \b
    Example:
      datapkg schema          # regenerate
      datapkg schema --check  # fail on drift (CI)
    """
    from . import schemagen

    if check:
        stale = schemagen.drift(directory)
        for name in stale:
            click.echo(f"{directory / name}: out of date; run `datapkg schema`", err=True)
        if not stale:
            click.echo(f"{directory}: up to date")
        sys.exit(int(bool(stale)))
    try:
        written = schemagen.write(directory)
    except OSError as exc:
        from .errors import OutputError, Problem

        raise OutputError(Problem.make("output-unwritable", str(exc.strerror), file=str(directory))) from None
    for name in written:
        click.echo(f"wrote {directory / name}")


@cli.command()
@SEEDS_OPTION
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=Path("build"),
    show_default=True,
    help="Output directory; replaced atomically when the build succeeds.",
)
@click.option("--no-store", is_flag=True, help="Do not load the embedded triple store (build/store/).")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=0),
    default=0,
    help="Worker processes that load and render documents; 0 (the default): one per core.",
)
@click.option("--force", is_flag=True, help="Rebuild every document: do not reuse the build cache.")
@click.option(
    "--no-cache", is_flag=True, help="Neither read nor write the build cache (OUT/../.datapkg-cache/OUT-NAME/)."
)
@click.option("-q", "--quiet", is_flag=True, help="No progress display (it only ever shows on a terminal).")
@click.option("--timings", is_flag=True, help="Print where the time went (per step and output format) on stderr.")
@reports_errors
def build(
    seeds_dir: Path, out_dir: Path, no_store: bool, jobs: int, force: bool, no_cache: bool, quiet: bool, timings: bool
) -> None:
    """Build the Data Package (CSV + JSON), the RDF graph and the site into build/.

    Everything is written to a temporary directory next to OUT and swapped in when
    complete; invalid data, an error, Ctrl-C or SIGTERM leave the previous build as it was.
    Documents are loaded and rendered by --jobs worker processes; the output is the same
    for any number of jobs. What each document rendered is kept in a build cache beside
    OUT, so the next build only redoes documents whose files (or datapkg) changed.
    Exit status: 0 built, 1 invalid data or unwritable output, 2 usage error.

    \b
    Example:
      datapkg build --seeds seeds --out build
      datapkg build --jobs 4 --no-store --timings   # faster: no triple store, 4 processes
      sha256sum -c --quiet build/SHA256SUMS   # run inside build/: cd build && sha256sum -c SHA256SUMS
    """
    from .build import Interrupted
    from .build import build as run
    from .emit import BuildOptions
    from .progress import Progress, delay, wanted

    options = BuildOptions(
        jobs=jobs, store=not no_store, force=force, quiet=quiet, cache=not no_cache, detach_cleanup=True
    )
    progress = Progress(0, sys.stderr, enabled=wanted(sys.stderr, quiet), delay=delay())
    try:
        ctx = run(seeds_dir, out_dir, options, progress)
    except (KeyboardInterrupt, Interrupted) as exc:
        click.echo(f"interrupted: {out_dir} was left as it was", err=True)
        sys.stdout.flush()
        sys.stderr.flush()
        # The build has cleaned up and stopped its workers; leave without the interpreter's exit
        # hooks, which join the process pool's threads (one can hang after a Ctrl-C).
        os._exit(128 + getattr(exc, "signum", 2))
    rows = sum(ctx.counts.get("rows", {}).values())
    if ctx.counts.get("up_to_date"):
        click.echo(f"{out_dir} is up to date: {len(ctx.documents)} document(s), {rows} table rows; nothing changed")
        return
    hits = ctx.counts.get("cache", {}).get("hits", 0)
    reused = f" ({hits} from the build cache)" if hits else ""
    click.echo(f"built {len(ctx.documents)} document(s){reused}, {rows} table rows into {out_dir}")
    if timings:
        from .build import timings_table

        click.echo(timings_table(ctx), err=True)


@cli.command()
@click.argument("package", type=click.Path(path_type=Path), default=Path("build"))
@FORMAT_OPTION
@click.option(
    "--profiles",
    type=click.Path(path_type=Path, file_okay=False),
    envvar="DATAPKG_PROFILES",
    help="Folder with the official Data Package v2 profiles (datapackage.json …) to validate the descriptor "
    "against, offline [$DATAPKG_PROFILES].",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=0),
    default=0,
    help="Worker processes that hash and parse the files that are not tables while this one reads the tables; "
    "0 (the default): one per core, 1: none.",
)
@click.option(
    "--max-problems",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    help="Problems listed per resource; the rest are counted.",
)
@reports_errors
def check(package: Path, output_format: str, profiles: Path | None, jobs: int, max_problems: int) -> None:
    """Check a built Data Package: files, bytes, hashes, types, constraints and keys, in one pass.

    PACKAGE is a datapackage.json or the directory that holds it (default: build). Checks what
    `frictionless validate` checks for datapkg's packages, streaming each file once, in a fraction
    of its time and memory. Exit status: 0 valid, 1 invalid, 2 usage error.

    \b
    Example:
      datapkg check build --profiles ../shared/reference/datapackage-profiles-2.0
      datapkg check build/datapackage.json --format json > check.json
    """
    from .pkgcheck import PROFILE_FILE, check_package

    if profiles is not None and not (profiles / PROFILE_FILE).is_file():
        raise click.BadParameter(f"{profiles} has no {PROFILE_FILE}", param_hint="--profiles")
    report = check_package(package, profiles=profiles, jobs=jobs, max_problems=max_problems)
    click.echo(report.to_json() if output_format == "json" else report.to_text(), nl=False)
    sys.exit(int(not report.valid))


STORE_DIR_HELP = "Embedded store directory."
TIMEOUT_OPTION = click.option(
    "--timeout", type=click.FloatRange(min=0.1), default=60.0, show_default=True, help="Seconds to wait for the server."
)
AUTH_ENV_OPTION = click.option(
    "--auth-env",
    metavar="VAR",
    help="Environment variable holding user:password (or a bearer token) for the server; "
    "without it, a netrc file is used if it has the host. Never pass secrets on the command line.",
)


def _endpoint(
    endpoint: str,
    auth_env: str | None,
    timeout: float,
    retries: int = 3,
    graph_store: str | None = None,
    update_url: str | None = None,
) -> Any:
    import urllib.parse

    from .sparql import Endpoint, authorization, check_url

    urls = {"--endpoint": endpoint, "--graph-store": graph_store, "--update": update_url}
    credentials = {}
    for option, url in urls.items():
        if url:
            check_url(url, option)
            header = authorization(url, auth_env)  # per host: netrc entries differ by host
            if header:
                credentials[urllib.parse.urlsplit(url).netloc] = header
    return Endpoint(
        query_url=endpoint,
        update_url=update_url or endpoint,
        graph_store_url=graph_store,
        authorization=credentials,
        timeout=timeout,
        retries=retries,
    )


@cli.command()
@click.option(
    "--build",
    "build_dir",
    type=click.Path(path_type=Path),
    default=Path("build"),
    show_default=True,
    help="Build directory; its rdf/<name>.nq is loaded.",
)
@click.option("--file", "nquads", type=click.Path(path_type=Path), help="N-Quads file to load instead.")
@click.option("--store", "store_dir", type=click.Path(path_type=Path), help="Embedded store directory [BUILD/store].")
@click.option("--endpoint", metavar="URL", help="Load a SPARQL 1.1 server instead; URL of its query endpoint.")
@click.option("--graph-store", metavar="URL", help="Its Graph Store Protocol URL: each graph is replaced by one PUT.")
@click.option(
    "--update", "update_url", metavar="URL", help="Its SPARQL Update URL, used without --graph-store [--endpoint]."
)
@AUTH_ENV_OPTION
@TIMEOUT_OPTION
@click.option(
    "--retries",
    type=click.IntRange(0, 10),
    default=3,
    show_default=True,
    help="Retries per request after connection errors, timeouts and 5xx answers (exponential backoff).",
)
@reports_errors
def load(
    build_dir: Path,
    nquads: Path | None,
    store_dir: Path | None,
    endpoint: str | None,
    graph_store: str | None,
    update_url: str | None,
    auth_env: str | None,
    timeout: float,
    retries: int,
) -> None:
    """Load the RDF graph into the embedded store, or into any SPARQL 1.1 server.

    Every document has its own named graph (plus one for the dataset); a server load replaces
    each graph whole, then counts triples per graph and compares. Loading again is safe.
    Exit status: 0 loaded, 1 invalid data, 2 usage error, 3 the server failed.

    \b
    Example:
      datapkg load                                  # build/rdf/*.nq -> build/store/
      datapkg load --endpoint http://127.0.0.1:7878/query --graph-store http://127.0.0.1:7878/store
      datapkg load --endpoint https://db.example.org/sparql --auth-env STORE_AUTH  # $STORE_AUTH=user:password
    """
    from .store import STORE_DIR, find_nquads

    if endpoint is None and (graph_store or update_url or auth_env):
        raise click.UsageError("--graph-store, --update and --auth-env need --endpoint")
    if endpoint is not None and store_dir:
        raise click.UsageError("--store and --endpoint exclude each other")
    source = nquads or find_nquads(build_dir)
    if endpoint is None:
        from .store import load as load_embedded

        summary = load_embedded(source, store_dir or build_dir / STORE_DIR)
        click.echo(f"loaded {source} into {summary.path}: {summary.graphs:,} graphs")
        return
    from .sparql import load_endpoint

    target = _endpoint(endpoint, auth_env, timeout, retries, graph_store, update_url)
    interactive = sys.stderr.isatty()

    def progress(done: int, total: int, graph: str) -> None:
        if interactive and (done % 50 == 0 or done == total):
            click.echo(f"\rreplaced {done:,}/{total:,} graphs", err=True, nl=done == total)

    report = load_endpoint(source, target, progress)
    loaded, expected = sum(report.loaded.values()), report.triples
    click.echo(
        f"loaded {len(report.expected):,} graphs into {report.endpoint} ({report.method}); "
        f"verified {loaded:,}/{expected:,} triples ({report.attempts} requests)"
    )


@cli.command()
@click.argument("query_or_file")
@click.option(
    "--store",
    "store_dir",
    type=click.Path(path_type=Path),
    help="Embedded store directory [build/store].",
)
@click.option("--endpoint", metavar="URL", help="Query a SPARQL 1.1 server instead of the embedded store.")
@click.option(
    "--format",
    "result_format",
    type=click.Choice(["table", "csv", "tsv", "json"]),
    default="table",
    show_default=True,
    help="SELECT/ASK output: a readable table, SPARQL CSV/TSV or JSON results; CONSTRUCT/DESCRIBE print Turtle.",
)
@AUTH_ENV_OPTION
@TIMEOUT_OPTION
@reports_errors
def query(
    query_or_file: str,
    store_dir: Path | None,
    endpoint: str | None,
    result_format: str,
    auth_env: str | None,
    timeout: float,
) -> None:
    """Run a SPARQL query (text, a .rq file, or - for stdin) on the embedded store or a server.

    The default graph is the union of all graphs (every document's and the dataset's).
    Exit status: 0 answered, 2 bad query or usage, 3 the server failed.

    \b
    Example:
      datapkg query queries/recommendations.rq
      datapkg query 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }' --format csv
      datapkg query queries/reasons.rq --endpoint http://127.0.0.1:7878/query --format json
    """
    from .queryresults import declared_prefixes, read_query, render

    if endpoint and store_dir:
        raise click.UsageError("--store and --endpoint exclude each other")
    if auth_env and not endpoint:
        raise click.UsageError("--auth-env needs --endpoint")
    text = read_query(query_or_file, sys.stdin.read() if query_or_file == "-" else None)
    if endpoint:
        result = _endpoint(endpoint, auth_env, timeout).query(text)
    else:
        from .store import open_store
        from .store import query as run

        result = run(open_store(store_dir or Path("build/store")), text)
    click.echo(render(result, result_format, declared_prefixes(text)), nl=False)


@cli.command()
@click.option(
    "--store",
    "store_dir",
    type=click.Path(path_type=Path),
    default=Path("build/store"),
    show_default=True,
    help=STORE_DIR_HELP,
)
@click.option("--bind", default="127.0.0.1:7878", show_default=True, help="Host and port to listen on.")
@reports_errors
def serve(store_dir: Path, bind: str) -> None:
    """Serve the embedded store read-only with Oxigraph's SPARQL server and its query UI.

    Runs `oxigraph serve-read-only` (pip install oxigraph) with the union of all graphs as
    default graph; stop it with Ctrl-C (or SIGTERM).

    \b
    Example:
      datapkg serve --bind 127.0.0.1:7878
      datapkg query queries/reasons.rq --endpoint http://127.0.0.1:7878/query
    """
    import os
    import shutil

    from .errors import Problem, UsageError
    from .store import open_store

    open_store(store_dir)  # a clear message now rather than the server's error later
    binary = shutil.which("oxigraph")
    if binary is None:
        raise UsageError(Problem.make("store-server-missing", "the `oxigraph` command is not on PATH"))
    click.echo(f"serving {store_dir} at http://{bind}/ (SPARQL endpoint http://{bind}/query)", err=True)
    sys.stdout.flush()
    sys.stderr.flush()
    # exec: signals (Ctrl-C, SIGTERM) reach the server directly
    os.execv(binary, [binary, "serve-read-only", "--location", str(store_dir), "--bind", bind, "--union-default-graph"])


def main() -> None:
    cli(prog_name="datapkg")


if __name__ == "__main__":
    main()
