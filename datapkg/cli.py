"""Command-line interface: a thin layer that calls the library and translates its errors.

Heavy libraries (rdflib, frictionless, pyoxigraph, …) are imported inside the
commands so that `datapkg --help` stays fast.
"""

from __future__ import annotations

import functools
import json
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
                click.echo(
                    json.dumps(
                        {"valid": False, "problems": [p.to_dict() for p in exc.problems]}, indent=2, ensure_ascii=False
                    )
                )
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
    for name in schemagen.write(directory):
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
@reports_errors
def build(seeds_dir: Path, out_dir: Path, no_store: bool) -> None:
    """Build the Data Package (CSV + JSON), the RDF graph and the site into build/.

    \b
    Example:
      datapkg build --seeds seeds --out build
    """
    from .build import build as run
    from .emit import BuildOptions

    ctx = run(seeds_dir, out_dir, BuildOptions(store=not no_store))
    click.echo(f"built {len(ctx.documents)} document(s) into {out_dir}")


def main() -> None:
    cli(prog_name="datapkg")


if __name__ == "__main__":
    main()
