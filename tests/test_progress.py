"""The progress display: on a terminal only, never with --quiet, never in pipes or logs."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from datapkg.progress import CLEAR, Progress, duration, wanted
from tests.conftest import SEEDS

CLI = [sys.executable, "-m", "datapkg.cli"]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_only_a_terminal_gets_progress_and_quiet_silences_it() -> None:
    assert wanted(Terminal(), quiet=False)
    assert not wanted(Terminal(), quiet=True)
    assert not wanted(io.StringIO(), quiet=False)
    with open(os.devnull, "w") as closed:  # noqa: SIM117 - closed below on purpose
        pass
    assert not wanted(closed, quiet=False)  # isatty() on a closed file raises


def test_the_line_shows_documents_triples_rate_and_eta_after_the_delay() -> None:
    clock, stream = Clock(), Terminal()
    bar = Progress(10, stream, enabled=True, delay=1.0, interval=0.2, clock=clock)
    clock.now += 0.5
    bar.update(1, {"triples": 2_000})
    assert stream.getvalue() == ""  # a quick build prints nothing
    clock.now += 1.5  # 2 s in, 4 of 10 documents: 2 docs/s, 3 s to go
    bar.update(4, {"triples": 200_000})
    line = stream.getvalue()
    assert line.startswith(CLEAR)
    for part in ("4/10 docs", "2.0 docs/s", "200,000 triples (100,000/s)", "ETA 3s"):
        assert part in line, line
    bar.update(5, {"triples": 250_000})  # within the redraw interval: skipped
    assert stream.getvalue() == line
    clock.now += 0.3
    bar.update(10, {"triples": 500_000})
    assert "10/10 docs" in stream.getvalue() and stream.getvalue().count("ETA") == 1
    bar.phase("finishing site")
    assert stream.getvalue().endswith("10/10 docs written; finishing site … 2s")
    bar.close()
    assert stream.getvalue().endswith(CLEAR)


def test_disabled_progress_writes_nothing() -> None:
    clock, stream = Clock(), Terminal()
    bar = Progress(3, stream, enabled=False, delay=0.0, clock=clock)
    clock.now += 5
    bar.update(1, {"triples": 10})
    bar.phase("finishing")
    bar.close()
    assert stream.getvalue() == ""


def test_durations() -> None:
    assert [duration(s) for s in (0.2, 59.6, 61, 3725)] == ["0s", "1m00s", "1m01s", "1h02m"]


def _run_build(tmp_path: Path, stderr_tty: bool, *extra: str) -> str:
    """`datapkg build` with stderr on a pseudo-terminal or a pipe; returns what reached stderr."""
    env = {**os.environ, "DATAPKG_PROGRESS_DELAY": "0"}  # show progress at once: no build is slow enough here
    args = [*CLI, "build", "--no-store", "--jobs", "1", "--seeds", str(SEEDS), "--out", str(tmp_path / "build"), *extra]
    if not stderr_tty:
        result = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        return result.stderr
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(args, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=slave)
    finally:
        os.close(slave)
    chunks = []
    try:
        while True:
            try:
                data = os.read(master, 1 << 16)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(master)
        proc.wait(timeout=120)
    assert proc.returncode == 0
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.parametrize("tty", [True, False])
def test_the_cli_shows_progress_on_a_terminal_only(tmp_path: Path, tty: bool) -> None:
    shown = _run_build(tmp_path, tty)
    if tty:
        assert "\r" in shown and "1/1 docs" in shown and "finishing site" in shown, shown
    else:
        assert shown == ""


def test_quiet_silences_the_terminal_too(tmp_path: Path) -> None:
    assert _run_build(tmp_path, True, "--quiet") == ""
