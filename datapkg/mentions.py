"""Actor mentions: found from names and aliases, corrected by explicit rules.

A surface form matches as a whole word (no word character right before or after
it); where several overlap, the leftmost wins and, at the same place, the
longest ('Pakistan Taliban' beats 'Pakistan'), which is what a regex alternation
ordered longest first would give. Surfaces are grouped by their first word; each
distinct first word is looked for with `str.find` (C speed) and kept where it is
a whole word of the text, then the surfaces starting with it are compared by
length, so the cost grows with the occurrences of first words, not with the
number of words in the text or of aliases.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from .anchor import AnchorFailure, Text
from .model import MentionSpec

_WORD = re.compile(r"\w+")


class Hit(NamedTuple):  # a named tuple: immutable, and quick to make (dozens per document)
    actor_id: str
    start: int
    end: int
    method: str  # "alias" | "added"


def surface_pattern(surfaces: list[str]) -> re.Pattern[str]:
    """Whole-word alternation, longest first: the reference semantics of `find_alias_hits` (used in tests)."""
    ordered = sorted(set(surfaces), key=lambda s: (-len(s), s))
    body = "|".join(re.escape(s) for s in ordered)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)")


def _is_word_at(text: str, i: int) -> bool:
    # str.isalnum() or '_' is exactly the regex \w on str (checked over every code point), without
    # the cost of a regex match.
    return 0 <= i < len(text) and (text[i].isalnum() or text[i] == "_")


def find_alias_hits(text: Text, surface_to_actor: dict[str, str]) -> list[Hit]:
    """Whole-word occurrences of every surface, leftmost-longest and non-overlapping."""
    value = text.value
    # Surfaces grouped by their first word, then by length: at a word, one dict lookup per distinct length.
    by_first_word: dict[str, dict[int, set[str]]] = {}
    other: list[str] = []  # surfaces that do not start with a word character
    for surface in surface_to_actor:
        first = _WORD.match(surface)
        if first:
            by_first_word.setdefault(first.group(), {}).setdefault(len(surface), set()).add(surface)
        else:
            other.append(surface)
    candidates: list[tuple[int, int, str]] = []  # (start, -length, surface)
    for word, group in by_first_word.items():
        # Where `word` is a whole word of the text, i.e. the word (maximal run of \w) starting there.
        # A text position starts one word only, so no candidate is found twice.
        size = len(word)
        start = value.find(word)
        while start != -1:
            if not _is_word_at(value, start - 1) and not _is_word_at(value, start + size):
                for length, surfaces in group.items():
                    piece = value[start : start + length]
                    if piece in surfaces and not _is_word_at(value, start + length):
                        candidates.append((start, -length, piece))
            start = value.find(word, start + 1)
    for surface in other:
        pos = value.find(surface)
        while pos != -1:
            end = pos + len(surface)
            if not _is_word_at(value, pos - 1) and not _is_word_at(value, end):
                candidates.append((pos, -len(surface), surface))
            pos = value.find(surface, pos + 1)
    candidates.sort()
    hits, reached = [], 0
    for start, neg_len, surface in candidates:
        if start >= reached:
            hits.append(Hit(surface_to_actor[surface], start, start - neg_len, "alias"))
            reached = start - neg_len
    return hits


def locate_mention(text: Text, spec: MentionSpec) -> tuple[int, int]:
    """Span of the mention a rule designates; raises AnchorFailure."""
    if spec.within is None:
        return text.locate(spec.text, occurrence=spec.occurrence)
    begin, end = text.locate(spec.within, occurrence=spec.occurrence)
    inner = Text(text.value[begin:end])
    hits = inner.find_all(spec.text)
    if not hits:
        raise AnchorFailure(
            "mention-not-found",
            f"{spec.text!r} does not occur inside {spec.within!r}",
            "`text` must be part of the `within` quote",
        )
    if len(hits) > 1:
        raise AnchorFailure(
            "quote-ambiguous",
            f"{spec.text!r} occurs {len(hits)} times inside {spec.within!r}",
            "lengthen or shorten `within` so the mention occurs once in it",
        )
    return begin + hits[0], begin + hits[0] + len(spec.text)
