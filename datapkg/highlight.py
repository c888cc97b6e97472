"""Marking up a text with overlapping spans as properly nested HTML.

Units may nest or cross, mentions sit inside units, paragraphs cut across both.
HTML elements must nest, so the text is cut at every span boundary and each
piece is wrapped in the spans covering it, outermost first (paragraphs, then
units, then mentions; a longer span outside a shorter one). A span that has to
be closed early is reopened as a continuation: only its first piece ("head")
carries the id, the tab stop and the extra content (a unit's popover).
The text itself is always escaped; attribute values too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

from markupsafe import Markup

PARAGRAPH, UNIT, MENTION = 0, 1, 2  # nesting rank: lower ranks are outer


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    rank: int
    key: str  # unique among the spans of one text
    tag: str
    head: dict[str, str] = field(default_factory=dict)  # attributes of the first piece
    rest: dict[str, str] = field(default_factory=dict)  # attributes of continuation pieces
    inner: Markup = Markup()  # content put first inside the head piece (e.g. a popover)

    @property
    def order(self) -> tuple[int, int, int, str]:
        return (self.rank, self.start, -self.end, self.key)


def escape_text(value: str) -> str:
    """What `markupsafe.escape` makes of a value (same five entities), without building Markup objects."""
    if hasattr(value, "__html__"):
        return str(value.__html__())
    value = str(value)
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    if "'" in value:
        value = value.replace("'", "&#39;")
    if '"' in value:
        value = value.replace('"', "&#34;")
    return value


def _open(tag: str, attrs: dict[str, str]) -> str:
    return "<" + tag + "".join(f' {name}="{escape_text(value)}"' for name, value in attrs.items()) + ">"


def paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) of each non-empty line: the essays keep one paragraph per line."""
    spans, pos = [], 0
    for line in text.split("\n"):
        if line.strip():
            spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    return spans


def markup(text: str, spans: list[Span]) -> Markup:
    """HTML for `text` with every span applied; its text content equals `text` minus the heads' `inner`."""
    spans = [s for s in spans if 0 <= s.start < s.end <= len(text)]
    bounds = sorted({0, len(text)} | {s.start for s in spans} | {s.end for s in spans})
    # Each span's place in the nesting order, computed once: the spans covering a piece are
    # kept sorted by it, so that the open elements are compared, not re-sorted, at each boundary.
    rank = {id(s): i for i, s in enumerate(sorted(spans, key=lambda s: s.order))}
    by_start = sorted(spans, key=lambda s: s.start)
    out: list[str] = []  # plain strings (escaped here) for speed: Markup.format is slow on thousands of tags
    stack: list[tuple[Span, str]] = []  # open spans with the tag actually used
    active: list[Span] = []  # spans covering the current piece, in nesting order
    started: set[str] = set()
    nxt, n_spans = 0, len(by_start)
    for a, b in pairwise(bounds):
        added = False
        while nxt < n_spans and by_start[nxt].start <= a:
            active.append(by_start[nxt])
            nxt += 1
            added = True
        if added:
            active.sort(key=lambda s: rank[id(s)])
        if any(s.end <= a for s in active):
            active = [s for s in active if s.end > a]
        keep, limit = 0, min(len(stack), len(active))
        while keep < limit and stack[keep][0] is active[keep]:
            keep += 1
        if keep < len(stack):
            out.extend(f"</{tag}>" for _span, tag in reversed(stack[keep:]))
            del stack[keep:]
        for span in active[keep:]:
            tag, is_head = span.tag, span.key not in started
            attrs = span.head if is_head else span.rest
            if tag == "a" and any(t == "a" for _, t in stack):
                tag = "span"  # links cannot nest: an inner link stays marked but not linked
                attrs = {k: v for k, v in attrs.items() if k != "href"}
            out.append(_open(tag, attrs))
            if is_head:
                out.append(str(span.inner))
                started.add(span.key)
            stack.append((span, tag))
        out.append(escape_text(text[a:b]))
    for _span, tag in reversed(stack):
        out.append(f"</{tag}>")
    return Markup("".join(out))
