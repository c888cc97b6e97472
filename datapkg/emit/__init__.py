"""Output formats. Each module owns one format behind the tiny `Sink` interface.

A build calls, for every sink in `datapkg.build.SINKS` order:
  - `render(records)` once per document, in corpus order; it must be a pure function
    of the records and the context (it may run in a worker process) and return
    something picklable;
  - `write(rendered)` in the parent, in corpus order, to append to open files;
  - `finish(actors)` once at the end, for corpus-level output and for files that
    describe other files (descriptors, checksums), which is why order matters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import DatasetSpec
from ..model import Actor, DocumentRecords


@dataclass
class BuildOptions:
    jobs: int = 1
    store: bool = True
    force: bool = False
    quiet: bool = True


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

    def finish(self, actors: list[Actor]) -> None:
        return None
