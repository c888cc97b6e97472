"""`datapkg build`: load the seeds one document at a time, feed every sink, swap the result in.

Documents are loaded, checked and rendered by worker processes (`pipeline.DocumentPool`,
`--jobs`) or read from the build cache (`buildcache`); this process merges the actors
(`corpusactors`) and calls every sink's `write` in corpus order, then `finish`, so the
output does not depend on the number of jobs or on the cache.

Atomicity: everything is written into a fresh temporary directory next to `out`
(same filesystem), which replaces `out` only when every sink has finished — with
renameat2(RENAME_EXCHANGE) on Linux (one atomic step), else by renaming the old build
aside first. Invalid data, an exception, Ctrl-C or SIGTERM remove the temporary
directory, stop the workers and leave the previous build untouched.
"""

from __future__ import annotations

import ctypes
import errno
import glob
import importlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import resource
except ImportError:  # Windows
    resource = None  # type: ignore[assignment]

from .buildcache import (
    BuildCache,
    corpus_fingerprint,
    default_dir,
    document_key,
    output_stamp,
    pid_alive,
    read_manifest,
    write_manifest,
)
from .corpusactors import CompactActorIndex
from .emit import BuildContext, BuildOptions, Sink
from .emit.files import CHECKSUMS_FILE, STORE_DIR
from .errors import DataError, OutputError, Problem, UsageError
from .pipeline import DOCUMENT_FILES, DocumentPool, Job, Task
from .progress import Progress
from .seeds import Seeds, display_path, open_seeds, scan_document_dirs

# Output formats in the order they run; later sinks may describe earlier sinks' files.
SINKS: list[str] = [
    # data, one pass over the documents
    "datapkg.emit.tables:TablesSink",
    "datapkg.emit.jsondoc:JsonDocSink",
    "datapkg.emit.rdf:RdfSink",  # rdf/<name>.{ttl,nt,nq,jsonld}: the graph, one named graph per document
    # describers of the data files above
    "datapkg.emit.datapackage:DataPackageSink",
    "datapkg.emit.csvw:CsvwSink",
    "datapkg.emit.dataset_meta:DatasetMetaSink",  # rdf/<name>-meta.ttl (DCAT/VoID) + dataset.jsonld (schema.org)
    "datapkg.emit.release:ReleaseSink",  # README.md + dist/<name>-<version>.zip (data + descriptors)
    "datapkg.emit.site:SiteSink",  # build/site/: the data card; lists every artefact above, with size and SHA-256
    "datapkg.emit.store:StoreSink",  # build/store/: embedded Oxigraph store from rdf/<name>.nq; binary, never hashed
    "datapkg.emit.release:ChecksumsSink",  # SHA256SUMS over everything but itself and store/: keep LAST
]

# Errors of the output filesystem that users fix themselves (permissions, space, read-only mounts).
OUTPUT_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.ENOTDIR}
# Files that mark a directory as a previous build, safe to replace.
BUILD_MARKERS = (CHECKSUMS_FILE, "datapackage.json")


class Interrupted(BaseException):
    """SIGTERM arrived during a build (raised from the handler so that cleanup runs)."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"interrupted by signal {signum}")
        self.signum = signum


def make_sinks(ctx: BuildContext, specs: list[str]) -> list[Sink]:
    sinks = []
    for spec in specs:
        module, _, name = spec.partition(":")
        sinks.append(getattr(importlib.import_module(module), name)(ctx))
    return sinks


def load_sinks(ctx: BuildContext) -> list[Sink]:
    return make_sinks(ctx, list(SINKS))


def build(
    seeds_dir: Path | str, out: Path | str, options: BuildOptions | None = None, progress: Progress | None = None
) -> BuildContext:
    """Build every artefact into a temporary directory, then swap it in place of `out`.

    With the build cache on, a build that would write exactly what `out` holds (same documents,
    code, settings; `out` untouched since) does nothing: `ctx.counts["up_to_date"]` is True.
    """
    options = options or BuildOptions()
    out = Path(out)
    seeds = open_seeds(seeds_dir)
    check_output(out, seeds.root)
    tasks = _tasks(seeds)
    cache, corpus = None, ""
    if options.cache:
        cache = BuildCache(Path(options.cache_dir) if options.cache_dir else default_dir(out))
        corpus = corpus_fingerprint(seeds.root, seeds.dataset.wikidata_verified, list(SINKS))
        if not options.force:
            ctx = _up_to_date(seeds, out, options, cache, corpus, tasks)
            if ctx is not None:
                return ctx
    with _terminate_raises():
        tmp = _make_temp(out)
        try:
            ctx = BuildContext(dataset=seeds.dataset, seeds_root=seeds.root, out=tmp, options=options)
            _run(ctx, seeds, tasks, cache, corpus, progress)
            began = time.perf_counter()
            swap(tmp, out, background=options.detach_cleanup)
            _add_time(ctx, "swap", time.perf_counter() - began)
        except OSError as exc:
            _discard(tmp)
            if _is_output_error(exc, out):
                raise _unwritable(out, exc) from None
            raise
        except BaseException:
            _discard(tmp)
            raise
        finally:
            if progress is not None:
                progress.close()
    keys = ctx.counts["cache"].pop("keys")
    ctx.out = out
    if cache is not None:
        cache.prune(set(keys))
        if len(keys) == len(tasks):  # every document has its entry: the next build may find nothing to do
            write_manifest(cache.root, _manifest(ctx, corpus, keys, out))
    return ctx


# Options that change what a build writes (the others change how).
def _shaping(options: BuildOptions) -> dict[str, object]:
    return {"store": options.store}


def _manifest(ctx: BuildContext, corpus: str, keys: list[str], out: Path) -> dict[str, object]:
    rdf = ctx.counts.get("rdf", {})
    return {
        "corpus": corpus,
        "options": _shaping(ctx.options),
        "keys": keys,
        "stamp": output_stamp(out, (STORE_DIR,)),
        "documents": ctx.documents,
        "counts": {"rows": ctx.counts.get("rows", {}), "rdf": {k: rdf[k] for k in ("triples", "graphs") if k in rdf}},
    }


def _up_to_date(
    seeds: Seeds, out: Path, options: BuildOptions, cache: BuildCache, corpus: str, tasks: list[Task]
) -> BuildContext | None:
    """The context of the build in `out` when building again would write the same bytes; else None."""
    manifest = read_manifest(cache.root)
    if manifest is None or manifest.get("corpus") != corpus or manifest.get("options") != _shaping(options):
        return None
    if not out.is_dir() or any(t.problem is not None for t in tasks):
        return None
    began = time.perf_counter()
    for task in tasks:  # computed here once: the workers reuse them if the build goes ahead
        task.key = document_key(corpus, task.folder, display_path(task.folder), DOCUMENT_FILES)
        task.keyed = True
    if [t.key for t in tasks] != manifest.get("keys"):
        return None
    if options.store and not (out / STORE_DIR).is_dir():
        return None
    if output_stamp(out, (STORE_DIR,)) != manifest.get("stamp"):
        return None
    ctx = BuildContext(dataset=seeds.dataset, seeds_root=seeds.root, out=out, options=options)
    ctx.documents = list(manifest["documents"])  # type: ignore[call-overload]
    ctx.counts.update(manifest["counts"])  # type: ignore[call-overload]
    ctx.counts["cache"] = {"hits": len(tasks), "misses": 0}
    ctx.counts["up_to_date"] = True
    ctx.counts["timings"] = {"up-to-date check": time.perf_counter() - began}
    return ctx


def _tasks(seeds: Seeds) -> list[Task]:
    scanned = scan_document_dirs(seeds.root)
    if not scanned:
        raise DataError(Problem.make("seeds-empty", "no document folders found", file=display_path(seeds.root)))
    return [Task(i, folder, problem) for i, (folder, problem) in enumerate(scanned)]


def _run(
    ctx: BuildContext,
    seeds: Seeds,
    tasks: list[Task],
    cache: BuildCache | None,
    corpus: str,
    progress: Progress | None,
) -> None:
    """Every document through the sinks in corpus order, then every sink's finish.

    Documents are loaded and rendered by `options.jobs` processes (see `pipeline`); this process
    merges the actors and writes, in corpus order, so the output is the same for any number of jobs.
    """
    options = ctx.options
    specs = list(SINKS)
    job = Job(seeds=seeds, ctx=ctx, sink_specs=specs, cache=cache, corpus_key=corpus, read_cache=not options.force)
    timings: dict[str, float] = ctx.counts.setdefault("timings", {})
    if progress is not None:
        progress.total = len(tasks)
    stats = ctx.counts.setdefault("cache", {"hits": 0, "misses": 0, "keys": []})
    index, problems = CompactActorIndex(), []
    jobs = options.jobs if options.jobs > 0 else (os.cpu_count() or 1)
    began = time.perf_counter()
    with DocumentPool(job, tasks, jobs) as pool:
        sinks = make_sinks(ctx, specs)  # after the workers started: they need none of the parent's state
        waiting = "wait for workers" if pool.executor is not None else "wait: loading here"
        waited = time.perf_counter()
        for done in pool:
            now = time.perf_counter()
            _add_time(ctx, waiting, now - waited)
            outcome = done.result()
            _add_time(ctx, "unpickle", time.perf_counter() - now)
            if outcome.valid:  # as seeds.merge_actors: only valid documents contribute actors
                for actor in outcome.actors:
                    outcome.problems.extend(index.add(actor, outcome.actor_locations[actor.id]))
            errors = [p for p in outcome.problems if p.severity == "error"]
            if errors and not problems:
                pool.stop_rendering()
            problems.extend(errors)
            if not problems:  # keep checking to report every problem, but write nothing more
                assert outcome.rendered is not None
                ctx.documents.append(outcome.doc_id)
                # Without workers, `rendered` is a generator that renders each sink's value as it
                # is asked for (and stores the cache entry once exhausted: zip(strict=True) does).
                for sink, rendered in zip(sinks, outcome.rendered, strict=True):
                    t = time.perf_counter()
                    sink.write(rendered)
                    _add_time(ctx, f"write {sink.name}", time.perf_counter() - t)
            for step, seconds in done.seconds.items():
                timings[step] = timings.get(step, 0.0) + seconds
            stats["hits" if done.cached else "misses"] += 1
            if done.key is not None:
                stats["keys"].append(done.key)
            if progress is not None:
                progress.update(done.index + 1, _progress_counts(sinks))
            waited = time.perf_counter()
        _add_time(ctx, "documents", time.perf_counter() - began)
        _note_memory(ctx, "documents")
        if problems:
            raise DataError(problems)
        actors = index.sorted()
        del index  # its lookup tables and ids: the finish steps reuse the memory
        if pool.executor is not None:  # the workers are idle now: sinks may hand them corpus-level work
            ctx.mapper = pool.map
        try:
            for sink in sinks:  # work that needs no other sink's output starts now, in the workers
                t = time.perf_counter()
                sink.begin_finish(actors)
                _add_time(ctx, f"begin finish {sink.name}", time.perf_counter() - t)
            for sink in sinks:
                if progress is not None:
                    progress.phase(f"finishing {sink.name}")
                t = time.perf_counter()
                sink.finish(actors)
                _add_time(ctx, f"finish {sink.name}", time.perf_counter() - t)
                _note_memory(ctx, f"finish {sink.name}")
        finally:
            ctx.stop_background()
            ctx.mapper = None


def _note_memory(ctx: BuildContext, step: str) -> None:
    """This process's peak memory (high-water mark of RSS) after `step`: shows which step raised it."""
    if resource is None:
        return
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    ctx.counts.setdefault("peak_rss", {})[step] = peak if sys.platform == "darwin" else peak * 1024


def _add_time(ctx: BuildContext, step: str, seconds: float) -> None:
    timings = ctx.counts.setdefault("timings", {})
    timings[step] = timings.get(step, 0.0) + seconds


# Steps done by the workers (summed over them: CPU-bound, so they can exceed the wall time).
WORKER_STEPS = ("load", "render ", "pickle", "cache ")


def timings_table(ctx: BuildContext) -> str:
    """Where the time went: steps of this process (wall time) and per-document steps (summed; steps under
    0.005 s are left out)."""
    timings: dict[str, float] = ctx.counts.get("timings", {})
    cache = ctx.counts.get("cache", {})
    docs = cache.get("hits", 0) + cache.get("misses", 0)
    lines = [f"timings ({docs:,} documents, {cache.get('hits', 0):,} from the build cache):"]
    for title, mine in (("this process", True), ("per document (in the workers, summed)", False)):
        steps = {k: v for k, v in timings.items() if k.startswith(WORKER_STEPS) != mine and v >= 0.005}
        lines.append(f"  {title}:")
        for step, seconds in sorted(steps.items(), key=lambda kv: -kv[1]):
            lines.append(f"    {step:<28} {seconds:9.2f} s")
    peaks = ctx.counts.get("peak_rss", {})
    if peaks:
        lines.append("  peak memory of this process after each step:")
        lines.extend(f"    {step:<28} {peak / 2**20:9.0f} MiB" for step, peak in peaks.items())
    return "\n".join(lines)


def _progress_counts(sinks: list[Sink]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for sink in sinks:
        counts.update(sink.progress_counts())
    return counts


# ---------------------------------------------------------------- output directory


def check_output(out: Path, seeds_root: Path) -> None:
    """Refuse outputs that a swap would destroy: the seeds, a folder holding them, a non-build folder."""
    real_out, real_seeds = out.resolve(), seeds_root.resolve()
    if real_out == real_seeds or real_out in real_seeds.parents or real_seeds in real_out.parents:
        raise UsageError(
            Problem.make(
                "output-overlaps-seeds",
                f"output {display_path(out)!r} and seeds {display_path(seeds_root)!r} overlap",
                file=display_path(out),
            )
        )
    if out.is_symlink():
        raise UsageError(
            Problem.make("output-not-a-build", "it is a symbolic link; pass the real directory", file=display_path(out))
        )
    if out.exists() and not out.is_dir():
        raise UsageError(Problem.make("output-not-a-build", "it is a file, not a directory", file=display_path(out)))
    if out.is_dir() and any(out.iterdir()) and not any((out / m).is_file() for m in BUILD_MARKERS):
        raise UsageError(
            Problem.make(
                "output-not-a-build",
                f"{display_path(out)!r} is not empty and has no {' or '.join(BUILD_MARKERS)}; refusing to replace it",
                file=display_path(out),
            )
        )


def _is_output_error(exc: OSError, out: Path) -> bool:
    """A permission/space error on the output side (not, say, an unreadable seed file)."""
    if exc.errno not in OUTPUT_ERRNOS:
        return False
    if not exc.filename:
        return True  # e.g. ENOSPC from a write() on an open output file
    parent = out.parent.resolve()
    target = Path(os.fsdecode(exc.filename)).resolve()
    return target == parent or parent in target.parents


def _unwritable(out: Path, exc: OSError) -> OutputError:
    reason = os.strerror(exc.errno) if exc.errno else str(exc)
    where = exc.filename or out.parent
    return OutputError(
        Problem.make("output-unwritable", f"cannot write the build: {reason} ({where})", file=display_path(out))
    )


def _discard(tmp: Path) -> None:
    """Remove the temporary build and any scratch space a sink made beside it (named `<tmp name>.*`)."""
    shutil.rmtree(tmp, ignore_errors=True)
    for entry in tmp.parent.glob(f"{glob.escape(tmp.name)}.*"):
        shutil.rmtree(entry, ignore_errors=True)


def _temp_prefix(out: Path) -> str:
    return f".{out.name}.tmp-{os.getpid()}-"


def _make_temp(out: Path) -> Path:
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        sweep_stale(out)
        tmp = Path(tempfile.mkdtemp(prefix=_temp_prefix(out), dir=out.parent))
        mask = os.umask(0)
        os.umask(mask)
        tmp.chmod(0o777 & ~mask)  # mkdtemp makes it private; the build is an ordinary directory
        return tmp
    except OSError as exc:
        if exc.errno in OUTPUT_ERRNOS | {errno.EEXIST}:
            raise _unwritable(out, exc) from None
        raise


_STALE = re.compile(r"^\.(?P<name>.+)\.(?:tmp|old)-(?P<pid>\d+)-")


def sweep_stale(out: Path) -> None:
    """Remove temporary directories left by builds that were killed outright (SIGKILL, power loss)."""
    for entry in out.parent.iterdir():
        m = _STALE.match(entry.name)
        if m and m["name"] == out.name and not pid_alive(int(m["pid"])):
            shutil.rmtree(entry, ignore_errors=True)


# ---------------------------------------------------------------- swap


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _renameat2() -> object | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


def exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths (Linux renameat2); False when the system cannot."""
    fn = _renameat2()
    if fn is None:
        return False
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:  # type: ignore[operator]
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False  # kernel or filesystem without RENAME_EXCHANGE
    raise OSError(err, os.strerror(err), str(b))


def swap(new: Path, out: Path, background: bool = False) -> None:
    """Put `new` in place of `out`; the previous build is deleted only once the new one is in place
    (by a detached process with `background`: see `remove_replaced`)."""
    with _signals_blocked():
        if not out.exists():
            os.rename(new, out)
            return
        if exchange(new, out):
            old = new  # after the exchange the temporary path holds the previous build
        else:
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-{os.getpid()}-", dir=out.parent))
            os.rename(out, old / "build")
            try:
                os.rename(new, out)
            except OSError:
                os.rename(old / "build", out)
                raise
    remove_replaced(old, background)


# Deleting a replaced corpus build (tens of gigabytes) can take minutes while the disk is still
# writing the new one back; nothing needs to wait for it. The folder's name marks it as stale
# (`.<out>.tmp-<pid>-…` or `.<out>.old-<pid>-…`), so should the remover be killed, the next build
# sweeps it once this process is gone.
_REMOVER = "import shutil, sys; shutil.rmtree(sys.argv[1], ignore_errors=True)"


def remove_replaced(old: Path, background: bool) -> None:
    if background:
        try:
            subprocess.Popen(
                [sys.executable, "-c", _REMOVER, str(old)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # not stopped by a Ctrl-C meant for the build
            )
            return
        except OSError:
            pass  # could not start it: remove it here
    shutil.rmtree(old, ignore_errors=True)


# ---------------------------------------------------------------- signals


@contextmanager
def _terminate_raises() -> Iterator[None]:
    """Turn SIGTERM into an exception during the build so that the temporary directory is removed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise Interrupted(signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def _signals_blocked() -> Iterator[None]:
    """Hold SIGINT/SIGTERM during the swap: it completes, then the signal is handled."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    blocked = {signal.SIGINT, signal.SIGTERM}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
