"""Per-document work of a build (load, check, render for every sink), in worker processes.

`DocumentPool` hands documents to `jobs` worker processes and gives their outcomes back in
corpus order, with at most `window` documents in flight, so memory stays bounded whatever the
corpus size. Each worker builds its own sinks once and calls only their pure `render()`; the
parent merges actors and calls `write()` in corpus order, so the output does not depend on
the number of workers. With `jobs=1` the same code runs in the calling process.

An outcome is pickled once and compressed once (zstd): that body is both the cache entry and
what travels to the parent (`Done.payload`, ~2.7x smaller than the pickle); a document found in the cache is neither loaded
nor rendered, its entry's body goes to the parent as it is. A worker reads each document file
once, for the cache key and for the loader (`seeds.read_files`). Workers ignore SIGINT (Ctrl-C
reaches the whole process group; the parent decides) and die on SIGTERM, which is how the
parent stops them when the build fails or is interrupted.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import signal
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from itertools import islice
from pathlib import Path
from time import perf_counter
from typing import Any

from .buildcache import BuildCache, codec, document_key_of, pickle_chunks, zstandard
from .emit import BuildContext, Sink
from .errors import Problem
from .inorder import in_order
from .model import Actor, DocumentRecords
from .seeds import ANNOTATIONS_FILE, ESSAY_FILE, DocumentFiles, Seeds, Where, display_path, load_document, read_files

PICKLE_PROTOCOL = pickle.HIGHEST_PROTOCOL
# How payloads travel to the parent in builds without a cache: zstd if installed (see `_transported`).
_TRANSPORT = codec("zstd") if zstandard is not None else None
DOCUMENT_FILES = (ESSAY_FILE, ANNOTATIONS_FILE)  # what a document's cache key covers (with dataset.yaml …)
PREFETCH_AHEAD = 64  # documents whose files the kernel is asked to read before their turn (`prefetched`)


@dataclass
class Outcome:
    """What one document contributes to the build; everything the parent needs, nothing more."""

    doc_id: str
    problems: list[Problem]
    actors: list[Actor]  # empty when the document has errors (it contributes no actors)
    actor_locations: dict[str, Where]
    rendered: list[Any] | None  # one value per sink (SINKS order); None when nothing is to be written
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)


@dataclass
class Done:
    """A processed document as the parent receives it."""

    index: int
    key: str | None  # cache key (None: not cacheable)
    payload: bytes | None  # the pickled Outcome (from a worker or the cache), compressed by `codec`
    cached: bool
    seconds: dict[str, float]  # time spent on it in this build, by step
    outcome: Outcome | None = None  # set instead of payload when processed in the calling process
    codec: str | None = None  # how `payload` is compressed (a cache entry's body); None: a plain pickle

    def result(self) -> Outcome:
        if self.outcome is None:
            assert self.payload is not None
            if self.codec is None:
                self.outcome = pickle.loads(self.payload)
            else:
                try:
                    self.outcome = codec(self.codec).unpickle(self.payload)
                except ValueError as exc:  # checked against its checksum in the worker: not expected
                    raise RuntimeError(f"document {self.index + 1}: {exc} (build cache entry {self.key})") from None
            self.payload = None
        return self.outcome


@dataclass
class Job:
    """Everything a worker needs (inherited when forked, pickled otherwise)."""

    seeds: Seeds
    ctx: BuildContext
    sink_specs: list[str]
    cache: BuildCache | None = None
    corpus_key: str = ""
    read_cache: bool = True


@dataclass
class Task:
    index: int
    folder: Path
    problem: Problem | None = None  # the folder is unusable (bad name, outside the seeds)
    key: str | None = None  # its cache key, when the parent computed it already (`keyed`)
    keyed: bool = False


# ---------------------------------------------------------------- in the worker

_job: Job | None = None
_sinks: list[Sink] = []
_skip: Any = None  # multiprocessing.Event: an earlier document failed, so rendering is wasted


def _init(job: Job, skip: Any, in_worker: bool) -> None:
    global _job, _sinks, _skip
    if in_worker:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # forked with the parent's handler: undo it
    from .build import make_sinks  # here, not at import: build imports this module

    _job, _skip = job, skip
    _sinks = make_sinks(job.ctx, job.sink_specs)
    if in_worker:
        # Everything made so far (modules, sinks) lives as long as the worker: out of the collector's
        # sight, full collections no longer walk it (~2.5% of a document's instructions).
        gc.freeze()


def process(task: Task, in_process: bool = False) -> Done:
    """Load, check and render one document (or read it from the cache).

    In a worker, every sink renders before the outcome goes back. In the calling process
    (`in_process`), `Outcome.rendered` is a generator that renders sink after sink as the
    parent writes, as a build without workers always did: nothing is rendered for a document
    the parent does not write, and the cache entry is stored once the generator is exhausted.
    """
    job = _job
    assert job is not None, "pipeline not initialised"
    seconds: dict[str, float] = {}
    began = perf_counter()
    if task.problem is not None:
        outcome = Outcome(task.folder.name, [task.problem], [], {}, None)
        return _done(Done(task.index, None, None, False, seconds, outcome), None, in_process)
    key, files = None, None
    if job.cache is not None:
        if task.keyed:
            key = task.key
        else:  # read each file once: for the key here and for the loader below
            files = read_files(job.seeds, task.folder, DOCUMENT_FILES)
            key = _key(job.corpus_key, task.folder, files)
        if key is not None and job.read_cache:
            found = job.cache.get_body(key)
            if found is not None:
                seconds["cache read"] = perf_counter() - began
                entry_codec, body = found
                if _transported(entry_codec.name):  # as it is: the parent decompresses it
                    return Done(task.index, key, bytes(body), True, seconds, codec=entry_codec.name)
                payload = entry_codec.decompress(body)
                if payload is not None:
                    return Done(task.index, key, payload, True, seconds)
        seconds["cache key"] = perf_counter() - began
    began = perf_counter()
    result = load_document(job.seeds, task.folder, files)
    seconds["load"] = perf_counter() - began
    records = result.records
    outcome = Outcome(
        doc_id=result.doc_id,
        problems=result.problems,
        actors=records.actors if records is not None else [],
        actor_locations=result.actor_locations,
        rendered=None,
        stats=result.stats,
    )
    done = Done(task.index, None, None, False, seconds, outcome)
    if records is None:  # invalid: complete as it is
        return _done(done, key, in_process)
    if in_process:
        outcome.rendered = _render_lazily(done, records, key)  # type: ignore[assignment]
        return done
    if _skip is not None and _skip.is_set():
        return _done(done, None, in_process)  # not rendered: not complete, not cached
    outcome.rendered = list(_render(records, seconds))
    return _done(done, key, in_process)


def _key(corpus: str, folder: Path, files: DocumentFiles) -> str | None:
    """The document's cache key (`buildcache.document_key`) from the files the loader will use."""
    contents = []
    for name in DOCUMENT_FILES:
        data = files.data.get(name)
        if data is None:
            return None  # unreadable: the loader reports why; nothing is cached
        contents.append((name, files.real[name], data))
    return document_key_of(corpus, folder, display_path(folder), contents)


def _transported(codec_name: str) -> bool:
    """Whether payloads compressed with this codec go to the parent compressed.

    With a cache, the body is made anyway, and sending it (~130 KB a document) and decompressing it
    costs about what the plain pickle (~350 KB) costs through the pool's pipe. zlib decompresses too
    slowly to pay.
    """
    return codec_name == "zstd"


def _render(records: DocumentRecords, seconds: dict[str, float]) -> Iterator[Any]:
    for sink in _sinks:
        began = perf_counter()
        value = sink.render(records)
        step = f"render {sink.name}"
        seconds[step] = seconds.get(step, 0.0) + perf_counter() - began
        yield value


def _render_lazily(done: Done, records: DocumentRecords, key: str | None) -> Iterator[Any]:
    outcome = done.outcome
    assert outcome is not None
    rendered = []
    for value in _render(records, done.seconds):
        rendered.append(value)
        yield value
    outcome.rendered = rendered
    _done(done, key, in_process=True)


def _done(done: Done, key: str | None, in_process: bool) -> Done:
    """Pickle the outcome for the parent (from a worker) and the cache (if `key`)."""
    job = _job
    assert job is not None and done.outcome is not None
    if key is None and in_process:
        return done
    seconds = done.seconds
    began = perf_counter()
    chunks = pickle_chunks(done.outcome, PICKLE_PROTOCOL)
    # One compressed body serves both the cache entry and the trip to the parent (timed as the
    # cache write when there is an entry to write, else as part of pickling).
    cache = job.cache if key is not None else None
    writer = job.cache.writer if job.cache is not None else _TRANSPORT
    sent = writer if writer is not None and not in_process and _transported(writer.name) else None
    body = sent.compress_chunks(chunks) if sent is not None and cache is None else None
    seconds["pickle"] = seconds.get("pickle", 0.0) + perf_counter() - began
    if cache is not None and key is not None:
        began = perf_counter()
        body = cache.writer.compress_chunks(chunks)
        if cache.put_body(key, body):
            done.key = key
        seconds["cache write"] = perf_counter() - began
    if not in_process:
        if sent is not None and body is not None:
            done.payload, done.codec = body, sent.name
        else:
            done.payload = b"".join(chunks)
        done.outcome = None
    return done


# ---------------------------------------------------------------- in the parent


def _apply(function: Callable[[Any], Any], chunk: list[Any]) -> list[Any]:
    return [function(item) for item in chunk]


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def start_method() -> str:
    """fork where it is safe and cheap (Linux: workers inherit the imported modules), else spawn."""
    methods = multiprocessing.get_all_start_methods()
    return "fork" if sys.platform.startswith("linux") and "fork" in methods else "spawn"


class DocumentPool:
    """Outcomes of `tasks` in their order, computed by `jobs` processes, `window` documents in flight.

    Use as a context manager: leaving it with an exception (or Ctrl-C) terminates the workers.
    """

    def __init__(self, job: Job, tasks: list[Task], jobs: int, window: int | None = None) -> None:
        self.job, self.tasks, self.jobs = job, tasks, max(1, min(jobs, len(tasks) or 1))
        # Finished outcomes wait here while this process writes; on a busy disk a write can stall for
        # seconds, and the workers should not. ~0.35 MB per document: 16 in flight hold ~6 MB.
        self.window = window or 8 * self.jobs
        self.executor: ProcessPoolExecutor | None = None
        self.skip: Any = None

    def __enter__(self) -> DocumentPool:
        if self.jobs == 1:
            _init(self.job, None, in_worker=False)
        else:
            mp = multiprocessing.get_context(start_method())
            self.skip = mp.Event()
            self.executor = ProcessPoolExecutor(
                self.jobs, mp_context=mp, initializer=_init, initargs=(self.job, self.skip, True)
            )
        return self

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        if self.executor is None:
            return
        if exc is None:
            self.executor.shutdown(wait=True)
        else:
            self.terminate()

    def stop_rendering(self) -> None:
        """An error was found: later documents are still checked (to report every problem), not rendered.

        (In the calling process nothing is rendered that is not written anyway.)"""
        if self.skip is not None:
            self.skip.set()

    def terminate(self) -> None:
        """Stop every worker now (their current documents are dropped)."""
        executor, self.executor = self.executor, None
        if executor is None:
            return
        procs = list((getattr(executor, "_processes", None) or {}).values())
        terminate = getattr(executor, "terminate_workers", None)  # Python 3.14
        if terminate is not None:
            terminate()
        else:
            for proc in procs:
                if proc.is_alive():
                    proc.terminate()
        # Not shutdown(wait=True): after a Ctrl-C landed inside concurrent.futures, its manager
        # thread can wait forever. The workers are what must not outlive the build: wait for them
        # (SIGKILL for any that ignore SIGTERM), then let the pool go.
        for proc in procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
                proc.join(timeout=5)
        executor.shutdown(wait=False, cancel_futures=True)

    def map(self, function: Callable[[Any], Any], items: Iterable[Any], chunksize: int = 16) -> Iterator[Any]:
        """`function` over `items` in the workers, results in order, a few chunks in flight at a time.
        (Only with workers: without them the build leaves `BuildContext.map` to run it in place.)"""
        assert self.executor is not None, "no worker processes"
        for results in in_order(
            self.executor, partial(_apply, function), _chunks(items, max(1, chunksize)), self.window
        ):
            yield from results

    def __iter__(self) -> Iterator[Done]:
        tasks = prefetched(self.tasks)
        if self.executor is None:
            for task in tasks:
                yield process(task, in_process=True)
            return
        yield from in_order(self.executor, process, tasks, self.window)


def prefetched(tasks: list[Task], ahead: int = PREFETCH_AHEAD) -> Iterator[Task]:
    """`tasks`, while a thread asks the kernel to read the files of the document `ahead` of each.

    A corpus is read once per build, and a big build's own output (20 GB for 10,000 documents)
    pushes it out of the page cache: a worker then waits on the disk for each file, queued behind
    the build's write-back. Reading and hashing a document's files (`--timings`' "cache key") took
    2.1 ms a document at 10,000 documents against 0.6 ms at 1,000; asked ahead, 0.7-1.0 ms.
    """
    if not hasattr(os, "posix_fadvise"):  # (not on macOS or Windows: no readahead hint to give)
        yield from tasks
        return
    reader = ThreadPoolExecutor(1, thread_name_prefix="datapkg-prefetch")

    def ask(task: Task) -> None:
        if task.problem is None:
            reader.submit(_prefetch, task.folder)

    try:
        for task in tasks[:ahead]:
            ask(task)
        for i, task in enumerate(tasks):
            if i + ahead < len(tasks):
                ask(tasks[i + ahead])
            yield task
    finally:
        reader.shutdown(wait=False, cancel_futures=True)


def _prefetch(folder: Path) -> None:
    for name in DOCUMENT_FILES:
        try:  # O_NONBLOCK: a FIFO in place of a file must not hang the thread
            fd = os.open(folder / name, os.O_RDONLY | os.O_NONBLOCK)
        except OSError:
            continue  # the loader reports it
        try:
            if stat.S_ISREG(os.fstat(fd).st_mode):
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
        finally:
            os.close(fd)
