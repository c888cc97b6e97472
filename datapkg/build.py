"""`datapkg build`: load the seeds one document at a time, feed every sink, swap the result in."""

from __future__ import annotations

import importlib
import os
import shutil
from pathlib import Path

from .emit import BuildContext, BuildOptions, Sink
from .errors import DataError, OutputError, Problem
from .seeds import ActorIndex, iter_documents, merge_actors, open_seeds

# Output formats in the order they run; later sinks may describe earlier sinks' files.
SINKS: list[str] = []


def load_sinks(ctx: BuildContext) -> list[Sink]:
    sinks = []
    for spec in SINKS:
        module, _, name = spec.partition(":")
        sinks.append(getattr(importlib.import_module(module), name)(ctx))
    return sinks


def build(seeds_dir: Path | str, out: Path | str, options: BuildOptions | None = None) -> BuildContext:
    """Build every artefact into a temporary directory, then swap it in place of `out`."""
    options = options or BuildOptions()
    out = Path(out)
    seeds = open_seeds(seeds_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir()
    except OSError as exc:
        raise OutputError(Problem.make("output-unwritable", str(exc), file=str(out.parent))) from None
    try:
        ctx = BuildContext(dataset=seeds.dataset, seeds_root=seeds.root, out=tmp, options=options)
        sinks = load_sinks(ctx)
        index, problems = ActorIndex(), []
        for result in iter_documents(seeds):
            merge_actors(index, result)
            problems.extend(p for p in result.problems if p.severity == "error")
            if result.records is None or problems:
                continue
            ctx.documents.append(result.doc_id)
            for sink in sinks:
                sink.write(sink.render(result.records))
        if problems:
            raise DataError(problems)
        actors = index.sorted()
        for sink in sinks:
            sink.finish(actors)
        _swap(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    ctx.out = out
    return ctx


def _swap(new: Path, out: Path) -> None:
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    if out.exists():
        os.rename(out, old)
    os.rename(new, out)
    shutil.rmtree(old, ignore_errors=True)
