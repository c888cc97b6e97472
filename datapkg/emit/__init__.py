"""Output formats. Each module owns one format behind the tiny `Sink` interface.

A build calls, for every sink in `datapkg.build.SINKS` order:
  - `render(records)` once per document; it must be a pure function of the records and
    the context and return something picklable: it runs in worker processes (each with
    its own sink instance, in no particular order), and its result may come from the
    build cache of an earlier build instead (so it must not depend on anything but the
    records, the context, the datapkg code and its libraries);
  - `write(rendered)` in the parent, in corpus order, to append to open files;
  - `finish(actors)` once at the end, for corpus-level output and for files that
    describe other files (descriptors, checksums), which is why order matters.
    `actors` is a sequence of every actor of the corpus, sorted by id (it can be
    iterated more than once).
  - `progress_counts()` at any time in the parent: running totals shown by the progress
    display (e.g. {"triples": n}); optional.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from ..config import DatasetSpec
from ..model import Actor, DocumentRecords

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class BuildOptions:
    jobs: int = 1  # worker processes for per-document work; 0: one per core
    store: bool = True  # load the embedded store (build/store/)
    force: bool = False  # do not read the build cache (entries are still written)
    quiet: bool = True  # no progress display
    cache: bool = False  # use the build cache (`datapkg build` does unless --no-cache)
    cache_dir: Path | None = None  # default: <out parent>/.datapkg-cache/<out name>
    detach_cleanup: bool = False  # delete the replaced build in a detached process (`datapkg build` does)


@dataclass
class BuildContext:
    """What every sink may read: the dataset config, the seeds root, the (temporary) output dir."""

    dataset: DatasetSpec
    seeds_root: Path
    out: Path
    options: BuildOptions = field(default_factory=BuildOptions)
    # Figures sinks report for others (e.g. rows per table, triples per graph).
    counts: dict[str, Any] = field(default_factory=dict)
    documents: list[str] = field(default_factory=list)
    # Set by the build while its worker processes run (see `map`).
    mapper: Callable[..., Iterator[Any]] | None = field(default=None, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "mapper": None}  # a copy for a worker cannot use the parent's pool

    def map(self, function: Callable[[T], R], items: Iterable[T], chunksize: int = 16) -> Iterator[R]:
        """`map(function, items)` spread over the build's worker processes; results in order, lazily.

        For corpus-level work in `finish` that splits into independent pieces (a page per actor,
        a digest per file): the workers are idle by then. `function` must be a module-level
        function, items and results picklable, and the work must not write shared state but files
        of its own. With one job (or outside a build) it runs here, in this process.
        """
        if self.mapper is None:
            return map(function, items)
        return self.mapper(function, items, chunksize)

    def path(self, relative: str) -> Path:
        target = self.out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        return target


class Sink:
    """Base class: override what the format needs."""

    name = "sink"

    def __init__(self, ctx: BuildContext) -> None:
        self.ctx = ctx

    def render(self, records: DocumentRecords) -> Any:
        return None

    def write(self, rendered: Any) -> None:
        return None

    def finish(self, actors: Sequence[Actor]) -> None:
        return None

    def progress_counts(self) -> dict[str, int]:
        return {}
