"""A one-line progress display for long builds: documents done/total, triples, rate, ETA.

Shown on a terminal only (never in logs or pipes), and only once the build has run for
`delay` seconds, so quick builds print nothing. The line is redrawn in place with a carriage
return at most every `interval` seconds and erased when the build ends.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO

CLEAR = "\r\x1b[K"  # back to column 1, erase the line
DELAY_VARIABLE = "DATAPKG_PROGRESS_DELAY"  # seconds before the display appears (tests set 0)


def delay() -> float:
    """Seconds a build runs before progress shows: 1, or $DATAPKG_PROGRESS_DELAY."""
    try:
        return max(0.0, float(os.environ.get(DELAY_VARIABLE, "1")))
    except ValueError:
        return 1.0


def wanted(stream: TextIO, quiet: bool) -> bool:
    """Progress goes to `stream` only when it is a terminal and the user did not ask for quiet."""
    if quiet:
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # closed stream
        return False


def duration(seconds: float) -> str:
    seconds = max(0, int(seconds + 0.5))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class Progress:
    """Call `update()` as documents are written and `phase()` for the steps after them; `close()` at the end."""

    def __init__(
        self,
        total: int,
        stream: TextIO | None = None,
        enabled: bool = True,
        delay: float = 1.0,
        interval: float = 0.2,
        clock: object = time.monotonic,
    ) -> None:
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.delay, self.interval = delay, interval
        self.clock = clock
        self.started = clock()  # type: ignore[operator]
        self.last_draw = float("-inf")
        self.shown = False
        self.done = 0
        self.counts: dict[str, int] = {}

    def update(self, done: int, counts: dict[str, int] | None = None, force: bool = False) -> None:
        self.done = done
        if counts:
            self.counts = counts
        if self.enabled:
            self._draw(self._line(), force)

    def phase(self, name: str) -> None:
        """A step after the documents (finishing a sink): shown with the time so far."""
        if self.enabled:
            elapsed = self.clock() - self.started  # type: ignore[operator]
            self._draw(f"{self.done:,}/{self.total:,} docs written; {name} … {duration(elapsed)}", force=True)

    def _line(self) -> str:
        now = self.clock()  # type: ignore[operator]
        elapsed = max(now - self.started, 1e-9)
        rate = self.done / elapsed
        parts = [f"{self.done:,}/{self.total:,} docs", f"{rate:,.1f} docs/s"]
        for name, value in self.counts.items():
            parts.append(f"{value:,} {name} ({value / elapsed:,.0f}/s)")
        if 0 < self.done < self.total:
            parts.append(f"ETA {duration((self.total - self.done) / rate)}")
        return "  ".join(parts)

    def _draw(self, line: str, force: bool) -> None:
        now = self.clock()  # type: ignore[operator]
        if now - self.started < self.delay:
            return
        if not force and now - self.last_draw < self.interval:
            return
        self.last_draw = now
        self.shown = True
        self.stream.write(CLEAR + line)
        self.stream.flush()

    def close(self) -> None:
        """Erase the line (the command prints its own summary)."""
        if self.shown:
            self.stream.write(CLEAR)
            self.stream.flush()
            self.shown = False
