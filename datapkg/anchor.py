"""Anchoring quotes to exact code-point offsets in a document's text."""

from __future__ import annotations

import bisect
import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property


class AnchorFailure(Exception):
    """A quote could not be placed; `code` is a problem code, `hint` says what to do."""

    def __init__(self, code: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint


_SENTENCE_END = re.compile(r"(?<=[.!?…])[”’\"')\]]*\s+(?=[\"“‘'(\[]?[A-Z0-9])")


@dataclass(frozen=True)
class Text:
    """A document's text with helpers for offsets, lines and sentences."""

    value: str

    @cached_property
    def line_starts(self) -> list[int]:
        starts = [0]
        starts.extend(m.end() for m in re.finditer("\n", self.value))
        return starts

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based line and column of a code-point offset."""
        line = bisect.bisect_right(self.line_starts, offset) - 1
        return line + 1, offset - self.line_starts[line] + 1

    def find_all(self, needle: str) -> list[int]:
        found: list[int] = []
        start = self.value.find(needle)
        while start != -1:
            found.append(start)
            start = self.value.find(needle, start + 1)
        return found

    def locate(self, quote: str, occurrence: int | None = None, start: int | None = None) -> tuple[int, int]:
        """Return (start, end) of `quote`; end is exclusive, offsets are code points."""
        if not quote.strip():
            raise AnchorFailure("quote-empty", "quote is empty")
        if start is not None:
            if start < 0 or start + len(quote) > len(self.value):
                raise AnchorFailure(
                    "offset-out-of-range",
                    f"start {start} is outside the text (length {len(self.value)})",
                )
            if self.value[start : start + len(quote)] != quote:
                raise AnchorFailure("quote-not-at-offset", f"quote is not at offset {start}", self._closest_hint(quote))
            return start, start + len(quote)
        hits = self.find_all(quote)
        if not hits:
            raise AnchorFailure("quote-not-found", "quote not found in essay", self._closest_hint(quote))
        if occurrence is not None:
            if not 1 <= occurrence <= len(hits):
                raise AnchorFailure(
                    "occurrence-out-of-range",
                    f"occurrence {occurrence} requested but the quote occurs {len(hits)} time(s)",
                )
            begin = hits[occurrence - 1]
            return begin, begin + len(quote)
        if len(hits) > 1:
            lines = ", ".join(str(self.line_col(h)[0]) for h in hits[:5])
            raise AnchorFailure(
                "quote-ambiguous",
                f"quote occurs {len(hits)} times (lines {lines})",
                "add occurrence: N (1-based) or lengthen the quote",
            )
        return hits[0], hits[0] + len(quote)

    def _closest_hint(self, quote: str) -> str:
        hint = []
        why = explain_lookalike(quote, self.value)
        if why:
            hint.append(why)
        match = self.closest(quote)
        if match is not None:
            begin, end = match
            line, _ = self.line_col(begin)
            snippet = self.value[begin:end]
            if len(snippet) > 60:
                snippet = snippet[:57] + "…"
            hint.append(f'closest match at line {line}: "{snippet}"')
        return "; ".join(hint) or "copy the quote from essay.txt exactly"

    def closest(self, quote: str) -> tuple[int, int] | None:
        """Span of the text most similar to `quote` (longest common block, extended)."""
        matcher = difflib.SequenceMatcher(None, self.value, quote, autojunk=False)
        block = matcher.find_longest_match(0, len(self.value), 0, len(quote))
        if block.size < min(4, len(quote)):
            return None
        begin = max(0, block.a - block.b)
        end = min(len(self.value), begin + len(quote))
        return begin, end

    @cached_property
    def sentences(self) -> list[tuple[int, int]]:
        """Sentence spans: each line is split at sentence-final punctuation."""
        spans: list[tuple[int, int]] = []
        for line_start, line in zip(self.line_starts, self.value.split("\n"), strict=True):
            cursor = 0
            for m in _SENTENCE_END.finditer(line):
                spans.append(_strip(line, cursor, m.start(), line_start))
                cursor = m.end()
            spans.append(_strip(line, cursor, len(line), line_start))
        return [s for s in spans if s[1] > s[0]]


def _strip(line: str, begin: int, end: int, base: int) -> tuple[int, int]:
    chunk = line[begin:end]
    lead = len(chunk) - len(chunk.lstrip())
    trail = len(chunk.rstrip())
    return base + begin + lead, base + begin + trail


_QUOTES = str.maketrans({"‘": "'", "’": "'", "‛": "'", "′": "'", "“": '"', "”": '"', "„": '"', "″": '"'})
_DASHES = str.maketrans({"–": "-", "—": "-", "‐": "-", "‑": "-", "−": "-"})


def explain_lookalike(quote: str, text: str) -> str | None:
    """Say why a quote that looks right is not found, if a known look-alike explains it."""
    checks = [
        (
            "the quote and the text differ in Unicode normalisation (NFC vs NFD)",
            lambda s: unicodedata.normalize("NFC", s),
        ),
        ("the quote and the text use different quote marks (curly vs straight)", lambda s: s.translate(_QUOTES)),
        ("the quote and the text use different dashes or hyphens", lambda s: s.translate(_DASHES)),
        ("the quote and the text differ only in whitespace", lambda s: " ".join(s.split())),
    ]
    for message, fold in checks:
        if fold(quote) in fold(text):
            return message
    everything = [fold for _, fold in checks]

    def fold_all(s: str) -> str:
        for f in everything:
            s = f(s)
        return s

    if fold_all(quote) in fold_all(text):
        return "the quote and the text differ only in look-alike characters (quotes, dashes, normalisation, spaces)"
    return None
