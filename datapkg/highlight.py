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

import re
from itertools import pairwise
from typing import NamedTuple

from markupsafe import Markup

PARAGRAPH, UNIT, MENTION = 0, 1, 2  # nesting rank: lower ranks are outer
_NO_ATTRS: dict[str, str] = {}  # shared default: spans never change their attributes


class Span(NamedTuple):
    start: int
    end: int
    rank: int
    key: str  # unique among the spans of one text
    tag: str
    # Attributes of the first piece and of continuation pieces: a dict (escaped here), or the
    # attributes already written as HTML (`attributes(...)`: ' name="escaped value"' each), which
    # saves the page's thousands of spans a formatting pass of their own.
    head: dict[str, str] | str = _NO_ATTRS
    rest: dict[str, str] | str = _NO_ATTRS
    inner: str = Markup()  # HTML put first inside the head piece (e.g. a popover)

    @property
    def order(self) -> tuple[int, int, int, str]:
        return (self.rank, self.start, -self.end, self.key)


def _escape_chain(value: str) -> str:
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


# `escape_str(s)`: `markupsafe.escape` of a str as a str (`&<>'"` as the same entities, no Markup
# object): markupsafe's own function for it, in C where built; tests compare it with escape().
try:
    from markupsafe._speedups import _escape_inner as escape_str
except ImportError:  # pragma: no cover - a markupsafe without it: the same five entities in Python
    escape_str = _escape_chain


def escape_text(value: object) -> str:
    """What `markupsafe.escape` makes of any value (same five entities), without building Markup objects."""
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return escape_str(str(value))


def attributes(attrs: dict[str, str]) -> str:
    """Attributes as HTML: ' name="value"' each, the value escaped (a `Span`'s `head` or `rest`)."""
    return "".join([f' {name}="{escape_str(value)}"' for name, value in attrs.items()])


_HREF = re.compile(r' href="[^"]*"')  # in `attributes`' HTML: an escaped value holds no '"'


def _unlinked(attrs: dict[str, str] | str) -> str:
    """The attributes without `href`, as HTML."""
    if isinstance(attrs, str):
        return _HREF.sub("", attrs)
    return attributes({k: v for k, v in attrs.items() if k != "href"})


def paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) of each non-empty line: the essays keep one paragraph per line."""
    spans, pos = [], 0
    for line in text.split("\n"):
        if line.strip():
            spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    return spans


def markup(text: str, spans: list[Span]) -> Markup:
    """HTML for `text` with every span applied; its text content equals `text` minus the heads' `inner`.

    At each boundary the open elements must be the covering spans in nesting order: those before
    the first span that ends or the first place a starting span takes stay open, the rest are
    closed and (re)opened.
    """
    spans = [s for s in spans if 0 <= s.start < s.end <= len(text)]
    # Each span by its place in the nesting order: the covering spans are kept as (place, span)
    # pairs, sorted without a key function.
    starts: dict[int, list[tuple[int, Span]]] = {}
    ends = set()
    for place, span in enumerate(sorted(spans, key=lambda s: (s.rank, s.start, -s.end, s.key))):  # s.order, inlined
        starts.setdefault(span.start, []).append((place, span))  # in place order
        ends.add(span.end)
    bounds = sorted({0, len(text)} | starts.keys() | ends)
    out: list[str] = []  # plain strings (escaped here) for speed: Markup.format is slow on thousands of tags
    active: list[tuple[int, Span]] = []  # spans covering the current piece, in nesting order: the open elements
    closes: list[str] = []  # the end tag of each open element (the tag it actually uses)
    started: set[str] = set()
    esc = escape_str
    for a, b in pairwise(bounds):
        keep = len(active)
        if a in ends:
            for i, (_place, span) in enumerate(active):
                if span.end <= a:
                    keep = i
                    break
        added = starts.get(a)
        if added:
            first = added[0][0]
            while keep and active[keep - 1][0] > first:
                keep -= 1
        if keep < len(active):
            again = [x for x in active[keep:] if x[1].end > a]
            out.extend(reversed(closes[keep:]))
            del active[keep:], closes[keep:]
            if added:
                again += added
                again.sort()
        else:
            again = added or ()
        for x in again:
            span = x[1]
            tag = span.tag
            if span.key in started:
                attrs = span.rest
                inner = ""
            else:
                attrs = span.head
                inner = str(span.inner)
                started.add(span.key)
            if tag == "a" and "</a>" in closes:
                tag = "span"  # links cannot nest: an inner link stays marked but not linked
                attrs = _unlinked(attrs)
            elif not isinstance(attrs, str):
                attrs = attributes(attrs)
            out.append(f"<{tag}{attrs}>{inner}")
            active.append(x)
            closes.append(f"</{tag}>")
        out.append(esc(text[a:b]))
    out.extend(reversed(closes))
    return Markup("".join(out))
