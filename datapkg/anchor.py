"""Anchoring quotes to exact code-point offsets in a document's text.

Annotators write only the quote; `Text.locate` finds it (exactly, case and all)
and says precisely why when it cannot: not there (with the closest passage and
what differs, e.g. curly vs straight quotes), there more than once, or not at
the offset given. Fuzzy searching is bounded so that huge texts with many bad
quotes stay fast.
"""

from __future__ import annotations

import bisect
import difflib
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from functools import cached_property


class AnchorFailure(Exception):
    """A quote could not be placed; `code` is a problem code, `hint` says what to do."""

    def __init__(self, code: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint


# Sentence end: final punctuation, closing quotes/brackets, whitespace, then something that starts a sentence.
# Group 1 is the whitespace between the two sentences.
_SENTENCE_END = re.compile(r"[.!?…][”’\"')\]]*(\s+)(?=[\"“‘'(\[]?[A-Z0-9])")
# A full stop after these is not a sentence end: initials, titles, dotted abbreviations (U.S.).
_ABBREVIATION = re.compile(
    r"(?:^|[\s(\"“‘])(?:[A-Z]|Mr|Mrs|Ms|Dr|Prof|St|Gen|Sen|Rep|Gov|Lt|Col|Sgt|Jr|Sr|Mt|No|vs|(?:[A-Za-z]\.)+[A-Za-z])\.$"
)

SNIPPET = 60  # characters of text shown in hints
_FUZZY_MAX_QUOTE = 1000  # longer quotes are compared by their first characters only
_FUZZY_GRAMS = 24  # substrings of the quote looked up per round
_FUZZY_MAX_HITS = 32  # a substring found more often than this says nothing about where the quote is
_FUZZY_BUDGET = 300_000_000  # characters scanned by fuzzy searches per text (a fraction of a second)


_INDEX_AFTER = 100  # whole-text scans find_all makes before it builds a word index (costs about as much)
_INDEX_MIN_TEXT = 100_000  # shorter texts are always scanned: it is fast enough
_INDEX_KEY = 32  # characters from a word start that key the index
_WORD_RUN = re.compile(r"\w+")


class _WordIndex:
    """Finds every occurrence of a quote that starts with a word, without scanning the text.

    An occurrence either starts at a word start, where the index finds it by the quote's first 32
    characters, or inside a word, which is only possible when the quote's first word is a proper
    suffix of a word of the text. Quotes the index cannot answer exactly (short ones, ones starting
    with punctuation or with such a suffix) return None and are scanned as usual.
    """

    def __init__(self, value: str) -> None:
        self.value = value
        starts = [m.start() for m in _WORD_RUN.finditer(value)]
        keys = [value[p : p + _INDEX_KEY] for p in starts]
        # The first and the last word start of each key, built by dict() in C; where they differ the key
        # repeats (a repeated phrase) and every start of it is listed.
        self.first = dict(zip(reversed(keys), reversed(starts), strict=True))
        last = dict(zip(keys, starts, strict=True))
        self.repeated: dict[str, list[int]] = {k: [] for k, p in last.items() if self.first[k] != p}
        if self.repeated:
            for k, p in zip(keys, starts, strict=True):
                if k in self.repeated:
                    self.repeated[k].append(p)
        # Words of the text, reversed and sorted: the words ending with w are a range starting at w[::-1].
        self.reversed_words = sorted({w[::-1] for w in _WORD_RUN.findall(value)})

    def _is_proper_suffix(self, word: str) -> bool:
        backwards = word[::-1]
        i = bisect.bisect_left(self.reversed_words, backwards)
        while i < len(self.reversed_words) and self.reversed_words[i].startswith(backwards):
            if len(self.reversed_words[i]) > len(word):
                return True
            i += 1
        return False

    def find_all(self, needle: str) -> list[int] | None:
        first = _WORD_RUN.match(needle)
        if len(needle) < _INDEX_KEY or first is None or first.end() == len(needle):
            return None
        if self._is_proper_suffix(first.group()):
            return None
        key, value = needle[:_INDEX_KEY], self.value
        starts = self.repeated.get(key) or ([self.first[key]] if key in self.first else [])
        return [p for p in starts if value.startswith(needle, p)]


def snippet(value: str, limit: int = SNIPPET) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def describe_char(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"{char!r} (U+{ord(char):04X}{' ' + name if name else ''})"


class Text:
    """A document's text with helpers for offsets, lines and sentences."""

    def __init__(self, value: str) -> None:
        self.value = value
        self._fuzzy_budget = _FUZZY_BUDGET
        self._scans = 0  # whole-text scans made by find_all
        self._index: _WordIndex | None = None

    def __repr__(self) -> str:
        return f"Text({snippet(self.value, 30)!r}, length={len(self.value)})"

    @cached_property
    def line_starts(self) -> list[int]:
        starts = [0]
        starts.extend(m.end() for m in re.finditer("\n", self.value))
        return starts

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based line and column (in code points) of a code-point offset."""
        line = bisect.bisect_right(self.line_starts, offset) - 1
        return line + 1, offset - self.line_starts[line] + 1

    def find_all(self, needle: str) -> list[int]:
        """Start offsets of every occurrence of `needle`, overlapping ones included.

        Each search scans the whole text (it must, to see a second occurrence); once many quotes have
        been searched in a long text, a word index answers most of them without scanning.
        """
        if self._index is None and self._scans > _INDEX_AFTER and len(self.value) > _INDEX_MIN_TEXT:
            self._index = _WordIndex(self.value)
        if self._index is not None:
            found = self._index.find_all(needle)
            if found is not None:
                return found
        self._scans += 1
        found = []
        start = self.value.find(needle)
        while start != -1:
            found.append(start)
            start = self.value.find(needle, start + 1)
        return found

    def locate(self, quote: str, occurrence: int | None = None, start: int | None = None) -> tuple[int, int]:
        """Return (start, end) of `quote`; end is exclusive, offsets are code points."""
        if not quote.strip():
            raise AnchorFailure("quote-empty", "quote is empty")
        if occurrence is not None and start is not None:
            raise AnchorFailure(
                "invalid-value", "occurrence and start are both given", "give occurrence or start, not both"
            )
        if start is not None:
            return self._at_offset(quote, start)
        hits = self.find_all(quote)
        if not hits:
            raise AnchorFailure("quote-not-found", "quote not found in essay", self.not_found_hint(quote))
        if occurrence is not None:
            if not 1 <= occurrence <= len(hits):
                raise AnchorFailure(
                    "occurrence-out-of-range",
                    f"occurrence {occurrence} requested but the quote occurs {len(hits)} time(s)",
                    f"use occurrence 1 to {len(hits)} ({self._where(hits)})",
                )
            begin = hits[occurrence - 1]
            return begin, begin + len(quote)
        if len(hits) > 1:
            raise AnchorFailure(
                "quote-ambiguous",
                f"quote occurs {len(hits)} times ({self._where(hits)})",
                "add occurrence: N (1-based) or start: N, or lengthen the quote",
            )
        return hits[0], hits[0] + len(quote)

    def _at_offset(self, quote: str, start: int) -> tuple[int, int]:
        if start < 0 or start + len(quote) > len(self.value):
            raise AnchorFailure(
                "offset-out-of-range",
                f"start {start} with a quote of {len(quote)} characters ends past the text (length {len(self.value)})",
            )
        if self.value[start : start + len(quote)] == quote:
            return start, start + len(quote)
        hits = self.find_all(quote)
        if hits:
            hint = f"the quote occurs at {self._where(hits)}; fix start, or drop it and use occurrence"
        else:
            hint = self.not_found_hint(quote)
        line, col = self.line_col(start)
        raise AnchorFailure(
            "quote-not-at-offset",
            f"quote is not at start {start} (line {line}, column {col}: {snippet(self.value[start:], 30)!r})",
            hint,
        )

    def _where(self, hits: list[int]) -> str:
        shown = ", ".join(f"start {h} line {self.line_col(h)[0]}" for h in hits[:5])
        return shown + (", …" if len(hits) > 5 else "")

    # ------------------------------------------------------------ hints for quotes not found

    def not_found_hint(self, quote: str) -> str:
        """Why a quote is not found: a known look-alike, and the closest passage with what differs."""
        hint = []
        match = self.closest(quote)
        if match is not None and _similar(self.value[match[0] : match[1]], quote):
            begin, end = match
            # Look-alikes are looked for around the closest match: a few hundred characters, not the text.
            pad = len(quote) + 16
            window = self.value[max(0, begin - pad) : end + pad]
            why = _lookalike(quote, lambda name, fold: fold(window))
            line, col = self.line_col(begin)
            hint.append(f'closest match at line {line}, column {col}: "{snippet(self.value[begin:end])}"')
            diff = first_difference(self.value[begin:end], quote)
            if diff:
                hint.append(diff)
        else:
            why = None
            if self._fuzzy_budget > 0:
                self._fuzzy_budget -= 6 * len(self.value)  # six searches of the folded text
                why = self.explain_lookalike(quote)
            else:
                hint.append("closest-match search skipped: too many quotes not found in this text")
        if why:
            hint.insert(0, why)
        return "; ".join(hint) or "copy the quote from essay.txt exactly"

    @cached_property
    def _folds(self) -> dict[str, str]:
        return {}

    def _folded(self, name: str, fold: Callable[[str], str]) -> str:
        # The folded text is computed once per text and fold, not once per failing quote.
        if name not in self._folds:
            self._folds[name] = fold(self.value)
        return self._folds[name]

    def explain_lookalike(self, quote: str) -> str | None:
        """Say why a quote that looks right is not found in the whole text, if a known look-alike explains it."""
        return _lookalike(quote, self._folded)

    def closest(self, quote: str) -> tuple[int, int] | None:
        """Span of the text most similar to `quote`, or None.

        Substrings of the quote vote for where the quote would start if it were in the text; the best
        supported position wins. Every lookup is a C-speed `str.find`, and the total work per text is
        bounded by a budget, so texts of megabytes with many bad quotes stay fast.
        """
        q = quote[:_FUZZY_MAX_QUOTE]
        m, text, n = len(q), self.value, len(self.value)
        if m < 3:
            return None
        votes: Counter[int] = Counter()
        for k in (16, 8, 4):
            if k > m:
                continue
            step = max(1, (m - k) // _FUZZY_GRAMS)
            frequent: list[tuple[int, list[int]]] = []
            for qi in range(0, m - k + 1, step):
                gram = q[qi : qi + k]
                if not gram.strip():
                    continue
                if self._fuzzy_budget <= 0:
                    break
                hits: list[int] = []
                pos = text.find(gram)
                while pos != -1 and len(hits) <= _FUZZY_MAX_HITS:
                    hits.append(pos)
                    pos = text.find(gram, pos + 1)
                # Characters scanned: up to the last hit, or to the end when the search ran out.
                self._fuzzy_budget -= n if pos == -1 else pos
                if len(hits) <= _FUZZY_MAX_HITS:
                    votes.update(h - qi for h in hits)
                else:
                    frequent.append((qi, hits))
            if not votes:  # only frequent substrings (a repetitive text): let their first hits vote
                for qi, hits in frequent:
                    votes.update(h - qi for h in hits)
            if votes:
                break
        if not votes:
            return None
        # Insertions and deletions shift later substrings a little: count votes within a window.
        window = max(2, m // 8)
        aligned = sorted(votes)
        best, best_score, lo, score = aligned[0], -1, 0, 0
        for a in aligned:
            score += votes[a]
            while aligned[lo] < a - window:
                score -= votes[aligned[lo]]
                lo += 1
            if score > best_score:
                best, best_score = aligned[lo], score
        return self._refine(q, best, window)

    def _refine(self, q: str, aligned: int, slack: int) -> tuple[int, int]:
        """Trim the span around an alignment to the characters that match the quote."""
        w0 = max(0, aligned - slack)
        w1 = min(len(self.value), aligned + len(q) + slack)
        blocks = [
            b
            for b in difflib.SequenceMatcher(None, self.value[w0:w1], q, autojunk=False).get_matching_blocks()
            if b.size >= 3
        ]
        if not blocks:
            begin = min(max(0, aligned), len(self.value))
            return begin, min(len(self.value), begin + len(q))
        first, last = blocks[0], blocks[-1]
        begin = max(w0, w0 + first.a - first.b)  # include quote characters before the first match
        end = min(len(self.value), w0 + last.a + last.size + (len(q) - last.b - last.size))
        return begin, max(end, begin + 1)

    # ------------------------------------------------------------ sentences

    @cached_property
    def sentences(self) -> list[tuple[int, int]]:
        """Sentence spans (start, end): each line is split at sentence-final punctuation.

        Spans are sorted, disjoint, never start or end with whitespace, and together hold every
        non-whitespace character of the text.
        """
        spans: list[tuple[int, int]] = []
        for line_start, line in zip(self.line_starts, self.value.split("\n"), strict=True):
            cursor = 0
            for m in _SENTENCE_END.finditer(line):
                if line[m.start()] == "." and _ABBREVIATION.search(line, max(0, m.start() - 12), m.start() + 1):
                    continue
                spans.append(_strip(line, cursor, m.start(1), line_start))
                cursor = m.end(1)
            spans.append(_strip(line, cursor, len(line), line_start))
        return [s for s in spans if s[1] > s[0]]


def _strip(line: str, begin: int, end: int, base: int) -> tuple[int, int]:
    chunk = line[begin:end]
    lead = len(chunk) - len(chunk.lstrip())
    trail = len(chunk.rstrip())
    return base + begin + lead, base + begin + trail


def _similar(found: str, quote: str) -> bool:
    """Is `found` close enough to `quote` to be shown as the closest match?"""
    a, b = found[:_FUZZY_MAX_QUOTE], quote[:_FUZZY_MAX_QUOTE]
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= 0.6 or _fold_all(a) == _fold_all(b)


def first_difference(found: str, quote: str) -> str | None:
    """'text has X where the quote has Y' for the first difference of two similar strings."""
    matcher = difflib.SequenceMatcher(None, found[:_FUZZY_MAX_QUOTE], quote[:_FUZZY_MAX_QUOTE], autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "equal":
            continue
        ours, theirs = found[a0:a1], quote[b0:b1]

        def show(s: str) -> str:
            if not s:
                return "nothing"
            if len(s) == 1:
                return describe_char(s)
            if len(s) <= 3:
                return f"{s!r} ({' '.join(f'U+{ord(c):04X}' for c in s)})"
            return repr(snippet(s, 20))

        return f"first difference: the text has {show(ours)} where the quote has {show(theirs)}"
    return None


_QUOTES = {"‘": "'", "’": "'", "‛": "'", "′": "'", "`": "'", "“": '"', "”": '"', "„": '"', "″": '"'}
_DASHES = {"–": "-", "—": "-", "‐": "-", "‑": "-", "−": "-", "‒": "-"}


def _replace_all(s: str, table: dict[str, str]) -> str:
    # A chain of str.replace is about ten times faster than str.translate with a dict on large texts.
    for old, new in table.items():
        if old in s:
            s = s.replace(old, new)
    return s


def _nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s)


def _quotes(s: str) -> str:
    return _replace_all(s, _QUOTES)


def _dashes(s: str) -> str:
    return _replace_all(s, _DASHES)


def _spaces(s: str) -> str:
    return " ".join(s.split())


def _fold_all(s: str) -> str:
    return _spaces(_dashes(_quotes(_nfc(s))))


_LOOKALIKES: list[tuple[str, str, Callable[[str], str]]] = [
    ("nfc", "the quote and the text differ in Unicode normalisation (NFC vs NFD)", _nfc),
    ("quotes", "the quote and the text use different quote marks (curly vs straight)", _quotes),
    ("dashes", "the quote and the text use different dashes or hyphens", _dashes),
    ("spaces", "the quote and the text differ only in whitespace (spaces, tabs, line breaks)", _spaces),
]


def _lookalike(quote: str, folded: Callable[[str, Callable[[str], str]], str]) -> str | None:
    """The look-alike that explains why `quote` is not found; `folded(name, fold)` gives the folded text."""
    for name, message, fold in _LOOKALIKES:
        if fold(quote) in folded(name, fold):
            if name == "nfc":
                form = "NFC" if unicodedata.is_normalized("NFC", quote) else "NFD"
                message += f" (the quote is {form}, the text is not)"
            return message
    if _fold_all(quote) in folded("all", _fold_all):
        return "the quote and the text differ only in look-alike characters (quote marks, dashes, Unicode normalisation, spaces)"
    if _fold_all(quote).casefold() in folded("case", _fold_case):
        return "the quote and the text differ in upper/lower case"
    return None


def _fold_case(s: str) -> str:
    return _fold_all(s).casefold()


def explain_lookalike(quote: str, text: str | Text) -> str | None:
    """Say why a quote that looks right is not found in `text`, if a known look-alike explains it."""
    return (text if isinstance(text, Text) else Text(text)).explain_lookalike(quote)
