"""Output formats. Each module owns one format behind the tiny `Sink` interface.

A build calls, for every sink in `datapkg.build.SINKS` order:
  - `render(records)` once per document; it must be a pure function of the records and
    the context and return something picklable: it runs in worker processes (each with
    its own sink instance, in no particular order), and its result may come from the
    build cache of an earlier build instead (so it must not depend on anything but the
    records, the context, the datapkg code and its libraries);
  - `write(rendered)` in the parent, in corpus order, to append to open files;
  - `begin_finish(actors)` for every sink, then `finish(actors)` for every sink, once at
    the end: corpus-level output, and files that describe other files (descriptors,
    checksums), which is why order matters. `begin_finish` may start work that needs no
    other sink's output in the background (`BuildContext.in_background`), for its `finish`
    to collect: it then runs on the worker processes while earlier sinks finish here.
    `actors` is a sequence of every actor of the corpus, sorted by id (it can be
    iterated more than once).
  - `progress_counts()` at any time in the parent: running totals shown by the progress
    display (e.g. {"triples": n}); optional.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

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
    # Work started by `in_background` and not collected yet.
    pending: list[Background[Any]] = field(default_factory=list, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        # A copy for a worker cannot use the parent's pool, nor its threads.
        return {**self.__dict__, "mapper": None, "pending": []}

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

    def in_background(self, function: Callable[[threading.Event], R]) -> Background[R]:
        """`function(stop)` in a thread of this process when the build has worker processes (it
        should hand its work to them through `map`, and mostly wait), else when its result is asked
        for. `function` should return soon once `stop` is set: a failed build sets it."""
        job = Background(function, threaded=self.mapper is not None)
        self.pending.append(job)
        return job

    def stop_background(self) -> None:
        """Stop and wait for background work nobody collected (the build failed before it could)."""
        pending, self.pending = self.pending, []
        for job in pending:
            job.stop.set()
        for job in pending:
            job.join()

    def path(self, relative: str) -> Path:
        target = self.out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        return target


class Background(Generic[R]):
    """A function's result, computed in a thread of its own (`threaded`) or when asked for."""

    def __init__(self, function: Callable[[threading.Event], R], threaded: bool) -> None:
        self.function, self.stop = function, threading.Event()
        self._outcome: tuple[R | None, BaseException | None] | None = None
        self._thread: threading.Thread | None = None
        if threaded:
            self._thread = threading.Thread(target=self._run, name="datapkg-background", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        try:
            self._outcome = (self.function(self.stop), None)
        except BaseException as exc:  # handed to whoever asks for the result (re-raised there)
            self._outcome = (None, exc)

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join()

    def result(self) -> R:
        if self._thread is None and self._outcome is None:
            self._run()
        self.join()
        assert self._outcome is not None
        value, error = self._outcome
        if error is not None:
            raise error
        return value  # type: ignore[return-value]


class Sink:
    """Base class: override what the format needs."""

    name = "sink"

    def __init__(self, ctx: BuildContext) -> None:
        self.ctx = ctx

    def render(self, records: DocumentRecords) -> Any:
        return None

    def write(self, rendered: Any) -> None:
        return None

    def begin_finish(self, actors: Sequence[Actor]) -> None:
        return None

    def finish(self, actors: Sequence[Actor]) -> None:
        return None

    def progress_counts(self) -> dict[str, int]:
        return {}
