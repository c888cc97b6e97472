"""`datapkg build --jobs N`: worker processes give the same bytes, the same problems, and stop cleanly."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from datapkg import build as build_module
from datapkg import pipeline
from datapkg.build import build
from datapkg.emit import BuildContext, BuildOptions, Sink
from datapkg.emit import site as site_module
from datapkg.errors import DataError
from tests.corpus_support import break_quote, documents, hashes, make_corpus

DOCS = 20


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_corpus(tmp_path_factory.mktemp("corpus") / "seeds", DOCS)


@pytest.fixture(scope="module")
def serial(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus built in one process (the reference)."""
    out = tmp_path_factory.mktemp("serial") / "build"
    ctx = build(corpus, out, BuildOptions(jobs=1, store=False))
    assert len(ctx.documents) == DOCS
    return out


def test_two_workers_write_the_same_bytes_as_one_process(corpus: Path, serial: Path, tmp_path: Path) -> None:
    out = tmp_path / "build"
    ctx = build(corpus, out, BuildOptions(jobs=2, store=False))
    assert ctx.documents == [p.name for p in documents(corpus)]
    parallel, reference = hashes(out), hashes(serial)
    assert parallel == reference
    assert len(reference) > DOCS  # every document page, the tables, the RDF files, …
    assert ctx.counts["rdf"]["triples"] > 1000 * DOCS


def test_more_jobs_than_documents_and_a_small_window(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    small = make_corpus(tmp_path / "seeds", 3)
    one = build(small, tmp_path / "one", BuildOptions(jobs=1, store=False))
    many = build(small, tmp_path / "many", BuildOptions(jobs=8, store=False))
    monkeypatch.setattr(pipeline.DocumentPool, "__init__", _window_of_one)
    narrow = build(small, tmp_path / "narrow", BuildOptions(jobs=2, store=False))
    assert one.documents == many.documents == narrow.documents and len(one.documents) == 3
    assert hashes(tmp_path / "one") == hashes(tmp_path / "many") == hashes(tmp_path / "narrow")


_pool_init = pipeline.DocumentPool.__init__


def _window_of_one(self: pipeline.DocumentPool, job: pipeline.Job, tasks: list, jobs: int, window: int | None = None):
    _pool_init(self, job, tasks, jobs, window=1)


def test_problems_are_the_same_and_in_corpus_order_with_workers(corpus: Path, tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    subprocess.run(["cp", "-r", str(corpus), str(seeds)], check=True)
    folders = documents(seeds)
    for folder in (folders[13], folders[4]):
        break_quote(folder)
    out = tmp_path / "build"
    (out / "data").mkdir(parents=True)
    (out / "datapackage.json").write_text("{}", encoding="utf-8")  # a previous build, to be left alone
    reports = []
    for jobs in (1, 2):
        with pytest.raises(DataError) as info:
            build(seeds, out, BuildOptions(jobs=jobs, store=False))
        reports.append([p.format() for p in info.value.problems])
    assert reports[0] == reports[1]
    assert [folders[4].name in line for line in reports[0]].index(True) < [
        folders[13].name in line for line in reports[0]
    ].index(True)
    assert any("quote-not-found" in line for line in reports[0])
    assert sorted(p.name for p in out.iterdir()) == ["data", "datapackage.json"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".build.")] == []


class _Bug(Sink):
    name = "bug"

    def render(self, records: object) -> None:
        raise ZeroDivisionError("a bug in a sink")


def test_a_bug_in_a_worker_is_raised_not_hidden(corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build_module, "SINKS", [*build_module.SINKS, f"{__name__}:_Bug"])
    with pytest.raises(ZeroDivisionError):
        build(corpus, tmp_path / "build", BuildOptions(jobs=2, store=False))
    assert list(tmp_path.iterdir()) == []


# A build whose workers block in render() until they are killed: the parent gets the signal.
_BLOCKING_BUILD = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path

    from datapkg import build, cli
    from datapkg.emit import Sink

    READY = Path(sys.argv[1])

    class Block(Sink):
        def render(self, records):
            with open(READY, "a") as f:
                f.write(f"{os.getpid()}\\n")
            while True:
                signal.pause()

    build.SINKS.insert(1, "__main__:Block")
    sys.argv = ["datapkg", "build", "--no-store", "--jobs", "2", "--seeds", sys.argv[2], "--out", sys.argv[3]]
    cli.main()
    """
)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("how", ["SIGTERM to the build", "Ctrl-C to the process group"])
def test_interrupting_a_parallel_build_stops_the_workers_and_keeps_the_previous_build(
    corpus: Path, serial: Path, tmp_path: Path, how: str
) -> None:
    out = tmp_path / "build"
    subprocess.run(["cp", "-r", str(serial), str(out)], check=True)
    before = hashes(out)
    script, ready = tmp_path / "blocking_build.py", tmp_path / "ready"
    script.write_text(_BLOCKING_BUILD, encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, str(script), str(ready), str(corpus), str(out)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while len(ready.read_text().split()) < 2 if ready.exists() else True:  # both workers are rendering
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the workers never started"
            time.sleep(0.02)
        workers = [int(pid) for pid in ready.read_text().split()]
        assert proc.pid not in workers
        if how.startswith("SIGTERM"):
            proc.send_signal(signal.SIGTERM)
        else:
            os.killpg(proc.pid, signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    expected = 128 + (signal.SIGTERM if how.startswith("SIGTERM") else signal.SIGINT)
    assert proc.returncode == expected, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in workers):  # killed by the parent before it exited
        assert time.monotonic() < deadline, "worker processes outlived the build"
        time.sleep(0.05)
    assert hashes(out) == before
    assert [p.name for p in tmp_path.iterdir() if re.match(r"\.build\.", p.name)] == []


def _double_with_pid(x: int) -> tuple[int, int]:
    return 2 * x, os.getpid()


class _FinishMaps(Sink):
    """Uses ctx.map in finish, as a sink would for corpus-level pages."""

    name = "maps"
    seen: list[tuple[int, int]] = []

    def finish(self, actors: object) -> None:
        _FinishMaps.seen = list(self.ctx.map(_double_with_pid, range(50), chunksize=4))


@pytest.mark.parametrize("jobs", [1, 2])
def test_sinks_can_spread_finish_work_over_the_workers(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    monkeypatch.setattr(build_module, "SINKS", [*build_module.SINKS[:3], f"{__name__}:_FinishMaps"])
    ctx = build(corpus, tmp_path / "build", BuildOptions(jobs=jobs, store=False))
    assert [value for value, _ in _FinishMaps.seen] == [2 * x for x in range(50)]
    pids = {pid for _, pid in _FinishMaps.seen}
    assert (pids == {os.getpid()}) if jobs == 1 else (os.getpid() not in pids)
    assert ctx.mapper is None  # not kept past the build


def test_spawned_workers_give_the_same_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where fork is not used (macOS, Windows), workers start afresh and get the job pickled."""
    small = make_corpus(tmp_path / "seeds", 3)
    one = build(small, tmp_path / "one", BuildOptions(jobs=1, store=False))
    monkeypatch.setattr(pipeline, "start_method", lambda: "spawn")
    spawned = build(small, tmp_path / "spawned", BuildOptions(jobs=2, store=False, cache=True))
    assert spawned.counts["cache"] == {"hits": 0, "misses": 3}
    assert one.documents == spawned.documents
    assert hashes(tmp_path / "one") == hashes(tmp_path / "spawned")


def test_the_replaced_build_is_removed_by_a_detached_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    small = make_corpus(tmp_path / "seeds", 2)
    out = tmp_path / "build"
    build(small, out, BuildOptions(store=False))
    first = hashes(out)
    started: list[list[str]] = []
    popen = subprocess.Popen

    def recording_popen(args: list[str], **kw: object) -> subprocess.Popen:
        started.append(args)
        return popen(args, **kw)  # type: ignore[call-overload]

    monkeypatch.setattr(build_module.subprocess, "Popen", recording_popen)
    build(small, out, BuildOptions(store=False, detach_cleanup=True))
    assert hashes(out) == first
    (remover,) = started
    assert re.fullmatch(r"\.build\.(tmp|old)-\d+-.+", Path(remover[-1]).name)
    deadline = time.monotonic() + 60
    while any(p.name.startswith(".build.") for p in tmp_path.iterdir()):
        assert time.monotonic() < deadline, "the replaced build was never removed"
        time.sleep(0.05)


class _WaitsForActorPages(Sink):
    """Finishes before the site: waits until the site's actor pages appear on disk (written by the
    workers in the background), then fails or not as told."""

    name = "waits"
    fail = False
    saw_pages = False

    def finish(self, actors: object) -> None:
        staged = self.ctx.out / site_module.STAGING_DIR / site_module.SITE_DIR / site_module.ACTORS
        deadline = time.monotonic() + 60  # (liveness, not speed: pages that never come fail the test)
        while not any(staged.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.01)
        _WaitsForActorPages.saw_pages = any(staged.iterdir())
        if _WaitsForActorPages.fail:
            raise RuntimeError("a sink failed while actor pages were being written")


def _with_waiting_sink(monkeypatch: pytest.MonkeyPatch, fail: bool) -> None:
    sinks = list(build_module.SINKS)
    at = next(i for i, spec in enumerate(sinks) if spec.endswith(":RdfSink")) + 1
    monkeypatch.setattr(build_module, "SINKS", [*sinks[:at], f"{__name__}:_WaitsForActorPages", *sinks[at:]])
    monkeypatch.setattr(_WaitsForActorPages, "fail", fail)
    monkeypatch.setattr(_WaitsForActorPages, "saw_pages", False)


def test_actor_pages_are_written_while_earlier_sinks_finish(
    corpus: Path, serial: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _with_waiting_sink(monkeypatch, fail=False)
    build(corpus, tmp_path / "build", BuildOptions(jobs=2, store=False))
    assert _WaitsForActorPages.saw_pages  # the site's pages came before the site's own finish
    site = {k: v for k, v in hashes(tmp_path / "build").items() if k.startswith("site/")}
    assert site == {k: v for k, v in hashes(serial).items() if k.startswith("site/")}


def test_a_failure_while_actor_pages_are_written_stops_them(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _with_waiting_sink(monkeypatch, fail=True)
    with pytest.raises(RuntimeError, match="actor pages were being written"):
        build(corpus, tmp_path / "build", BuildOptions(jobs=2, store=False))
    assert _WaitsForActorPages.saw_pages
    assert not [t for t in threading.enumerate() if t.name == "datapkg-background"]  # joined, not left running
    assert list(tmp_path.iterdir()) == []  # nothing half-written left behind


def test_background_work_hands_over_its_result_or_its_error() -> None:
    ctx = BuildContext(dataset=None, seeds_root=Path("."), out=Path("."))  # type: ignore[arg-type]
    calls: list[str] = []

    def work(stop: threading.Event) -> int:
        calls.append(threading.current_thread().name)
        return 42

    lazy = ctx.in_background(work)  # no worker processes: runs when asked, here
    assert calls == [] and lazy.result() == 42 and calls == ["MainThread"]
    ctx.mapper = map  # as a build with workers sets it
    assert ctx.in_background(work).result() == 42 and calls[-1] == "datapkg-background"

    def broken(stop: threading.Event) -> int:
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        ctx.in_background(broken).result()
    stopped: list[bool] = []
    started = threading.Event()

    def waits(stop: threading.Event) -> None:
        started.set()
        stopped.append(stop.wait(60))

    ctx.in_background(waits)
    assert started.wait(60)
    ctx.stop_background()  # what a failed build does: tells it to stop, waits for it
    assert stopped == [True] and ctx.pending == []


class _RecordingReader:
    """A stand-in for the prefetch thread: records what it is asked, in order."""

    asked: list[Path] = []

    def __init__(self, *args: object, **kwargs: object) -> None:
        type(self).asked = []

    def submit(self, function: object, folder: Path) -> None:
        assert function is pipeline._prefetch
        self.asked.append(folder)

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        pass


@pytest.mark.skipif(not hasattr(os, "posix_fadvise"), reason="no readahead hint on this platform")
def test_document_files_are_asked_for_ahead_of_their_turn(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(pipeline, "ThreadPoolExecutor", _RecordingReader)
    tasks = [pipeline.Task(i, tmp_path / f"d{i}") for i in range(10)]
    tasks[5].problem = object()  # type: ignore[assignment]  # an unusable folder: nothing to read
    seen = []
    for task in pipeline.prefetched(tasks, ahead=3):
        seen.append(task)
        # when a task's turn comes, it and the next three have been asked for (the unusable one never)
        wanted = [t.folder for t in tasks[: task.index + 4] if t.problem is None]
        assert _RecordingReader.asked == wanted
    assert seen == tasks  # same tasks, same order


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_prefetching_a_document_neither_fails_nor_hangs(tmp_path: Path) -> None:
    folder = tmp_path / "doc"
    folder.mkdir()
    (folder / "annotations.yaml").write_text("document: {}\n", encoding="utf-8")
    os.mkfifo(folder / "essay.txt")  # nobody writes to it: a blocking open would wait forever
    done = threading.Event()
    thread = threading.Thread(target=lambda: (pipeline._prefetch(folder), done.set()), daemon=True)
    thread.start()
    assert done.wait(10), "prefetching a FIFO blocked"
    pipeline._prefetch(tmp_path / "missing")  # the loader reports missing files, not the prefetch
