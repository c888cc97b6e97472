"""`datapkg build`: load the seeds one document at a time, feed every sink, swap the result in.

Atomicity: everything is written into a fresh temporary directory next to `out`
(same filesystem), which replaces `out` only when every sink has finished — with
renameat2(RENAME_EXCHANGE) on Linux (one atomic step), else by renaming the old build
aside first. Invalid data, an exception, Ctrl-C or SIGTERM remove the temporary
directory and leave the previous build untouched.
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
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .emit import BuildContext, BuildOptions, Sink
from .emit.files import CHECKSUMS_FILE
from .errors import DataError, OutputError, Problem, UsageError
from .seeds import ActorIndex, display_path, iter_documents, merge_actors, open_seeds

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
    check_output(out, seeds.root)
    with _terminate_raises():
        tmp = _make_temp(out)
        try:
            ctx = BuildContext(dataset=seeds.dataset, seeds_root=seeds.root, out=tmp, options=options)
            _run(ctx, seeds)
            swap(tmp, out)
        except OSError as exc:
            _discard(tmp)
            if _is_output_error(exc, out):
                raise _unwritable(out, exc) from None
            raise
        except BaseException:
            _discard(tmp)
            raise
    ctx.out = out
    return ctx


def _run(ctx: BuildContext, seeds: object) -> None:
    sinks = load_sinks(ctx)
    index, problems = ActorIndex(), []
    for result in iter_documents(seeds):  # type: ignore[arg-type]
        merge_actors(index, result)
        problems.extend(p for p in result.problems if p.severity == "error")
        if result.records is None or problems:
            continue  # keep loading to report every problem, but write nothing more
        ctx.documents.append(result.doc_id)
        for sink in sinks:
            sink.write(sink.render(result.records))
    if problems:
        raise DataError(problems)
    actors = index.sorted()
    for sink in sinks:
        sink.finish(actors)


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
        if m and m["name"] == out.name and not _alive(int(m["pid"])):
            shutil.rmtree(entry, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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


def swap(new: Path, out: Path) -> None:
    """Put `new` in place of `out`; the previous build is deleted only once the new one is in place."""
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
