"""The argument map of one document: units as nodes, relations as edges, laid out by Graphviz as SVG.

The SVG is made at build time (Debian's `dot` through the `graphviz` binding) and
inlined in the document page, so it needs no script and works offline. It is
deterministic (sorted input, no generator comments) and accessible: a <title>
and <desc>, one <g> per unit whose id is the unit id and whose link points at
the unit's highlight in the text, edges classed by relation type.

Graphviz draws plain boxes; their rounded corners are added after layout (a `<rect rx=…>` in
place of each unit's box polygon, `CORNER_RADIUS`): dot's own `rounded` style spends a fifth of
dot's instructions turning each box into a many-point bezier path and printing its numbers.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import select
import shutil
import subprocess
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from functools import lru_cache

import graphviz

try:
    import fcntl
except ImportError:  # Windows: no pipe sizes to set
    fcntl = None  # type: ignore[assignment]

from .errors import Problem, UsageError
from .model import Claim, DocumentRecords, Recommendation, Role

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
ET.register_namespace("xlink", XLINK_NS)

# Light fills under dark text (contrast above 10:1); the site's CSS uses the same palette.
ROLE_COLOURS: dict[str, str] = {
    Role.thesis: "#ffe08a",
    Role.reason: "#cfe8ff",
    Role.evidence: "#d6f0cf",
    Role.background: "#e8e8e8",
    Role.concession: "#ffd3cc",
    Role.rebuttal: "#f1d6f7",
    Role.elaboration: "#e2e0ff",
    Role.recommendation: "#ffd9b0",
    Role.conclusion: "#fff2a8",
}
# Edge colours on white: contrast at least 4.5:1; each type also differs by line style.
EDGE_STYLES: dict[str, dict[str, str]] = {
    "supports": {"color": "#1b6e33", "style": "solid", "arrowhead": "normal"},
    "attacks": {"color": "#a8141f", "style": "dashed", "arrowhead": "tee"},
    "restates": {"color": "#555555", "style": "dotted", "arrowhead": "none", "constraint": "false"},
}
FONT = "Helvetica"


def text_anchor(local_id: str) -> str:
    """Id of a unit's highlight in the document page (the map's node ids are the unit ids)."""
    return f"unit-{local_id}"


def node_lines(unit: Claim) -> list[str]:
    """A node's label: id and role only, so a rank of twenty units stays readable; the text is a hover away."""
    return list(_lines(unit.local_id, unit.role, isinstance(unit, Recommendation)))


def _lines(local_id: str, role: str, is_rec: bool) -> tuple[str, ...]:
    role = str(role)
    if is_rec and role != Role.recommendation:
        role += " · recommendation"
    return (local_id,) if role == local_id else (local_id, role)


def node_title(unit: Claim) -> str:
    return f"{unit.local_id} ({unit.role}, {unit.kind}, {unit.certainty}): {unit.text}"


def _dot_text(value: str) -> str:
    """A literal DOT string: backslashes doubled so Graphviz expands no escape sequences."""
    return value.replace("\\", "\\\\")


GRAPH_ATTRS = {"rankdir": "BT", "nodesep": "0.15", "ranksep": "0.5", "bgcolor": "transparent", "fontname": FONT}
# Plain filled boxes: each comes out as one <polygon>, rounded after layout (CORNER_RADIUS).
NODE_ATTRS = {"shape": "box", "style": "filled", "fontname": FONT, "fontsize": "10", "margin": "0.12,0.06"}
# Graphviz's `rounded` style bends each corner over min(12pt, a third of the shorter side), so 12pt
# for every box of ours (none is under 36pt high), along a cubic bezier flatter than a circle's
# arc: the arc closest to it has a radius of 12.7pt (0.07pt off dot's curve at most; 12pt is 0.33pt off).
CORNER_RADIUS = "12.7"
EDGE_ATTRS = {"fontname": FONT, "penwidth": "1.4"}

# graphviz's own quoting (DOT ids, escaped quotes), without the argument-checking wrapper that
# costs more than the quoting; memoised, since colours, classes and styles repeat on every node.
_quote_id = getattr(graphviz.quoting.quote, "__wrapped__", graphviz.quoting.quote)
_quoted: dict[str, str] = {}


def _q(value: str) -> str:
    out = _quoted.get(value)
    if out is None:
        out = _quote_id(value)
        if len(_quoted) < 4096:  # bounded: ids and labels differ per document
            _quoted[value] = out
    return out


def _attrs(attrs: dict[str, str], label: str | None = None) -> str:
    """` [label=… k=v …]` as graphviz writes it: the label first, then the attributes sorted by name."""
    items = [f"label={_quote_id(graphviz.nohtml(label))}"] if label is not None else []  # never memoised:
    # a NoHtml string equals the plain one, which quote() treats differently
    items += [f"{_q(k)}={_q(v)}" for k, v in sorted(attrs.items())]
    return f" [{' '.join(items)}]" if items else ""


# The same quoting, fast for the values a map is made of (ids, colours, classes: no quote, no
# backslash, no leading "<"): bare when a DOT ID, else in quotes; anything else goes to `_q`.
_DOT_ID = graphviz.quoting.ID.match
_KEYWORDS = frozenset(graphviz.quoting.KEYWORDS)


def _qv(value: str) -> str:
    if '"' in value or "\\" in value or value[:1] == "<":
        return _q(value)
    return value if _DOT_ID(value) and value.lower() not in _KEYWORDS else f'"{value}"'


def _qt(value: str) -> str:
    """A DOT id or value from text (backslashes doubled, as `_dot_text`), quoted like graphviz."""
    return _q(_dot_text(value)) if "\\" in value else _qv(value)


def _qs(value: str) -> str:
    """`_qt` for the values that are rarely bare DOT ids (global ids, links, tooltips): in quotes."""
    if '"' in value or "\\" in value or value[:1] == "<" or _DOT_ID(value):
        return _qt(value)
    return f'"{value}"'


def _label(lines: Sequence[str]) -> str:
    """`label=` value of graphviz for a plain (nohtml) label of these lines."""
    label = "\\n".join(_dot_text(line) for line in lines)
    if '"' in label:
        return _quote_id(graphviz.nohtml(label))
    return label if _DOT_ID(label) and label.lower() not in _KEYWORDS else f'"{label}"'


@lru_cache(maxsize=1024)
def _attr_format(static: tuple[tuple[str, str], ...], dynamic: tuple[str, ...]) -> str:
    """What `_attrs` writes for `static` plus the `dynamic` keys, as a format string with `{}` for
    each dynamic value (in sorted key order): the static part of a node or edge is quoted once."""

    def literal(text: str) -> str:
        return text.replace("{", "{{").replace("}", "}}")

    items = sorted([(k, literal(_q(v))) for k, v in static] + [(k, "{}") for k in dynamic])
    return " ".join(f"{literal(_q(k))}={v}" for k, v in items)


@lru_cache(maxsize=4096)
def _node_names(local_id: str, role: str, is_rec: bool) -> tuple[str, str, str]:
    """A node's DOT name (also its tooltip), label and link, quoted: local ids and roles repeat
    from document to document, so most nodes of a corpus find theirs here."""
    return _qt(local_id), _label(_lines(local_id, role, is_rec)), _qs("#" + text_anchor(local_id))


@lru_cache(maxsize=4096)
def _edge_end_name(local_id: str) -> str:
    """An edge end (a unit's local id) as graphviz writes it."""
    return _edge_end(_dot_text(local_id)) if ":" in local_id else _qt(local_id)


NODE_DYNAMIC = ("URL", "id", "tooltip")  # sorted: the order of the values in a node's format
EDGE_DYNAMIC = ("id", "tooltip")


@lru_cache(maxsize=256)
def _node_static(role: str, kind: str, is_rec: bool) -> tuple[tuple[str, str], ...]:
    classes = ["unit", f"role-{role}", f"kind-{kind}"] + (["recommendation"] if is_rec else [])
    attrs = {"class": " ".join(classes), "fillcolor": ROLE_COLOURS.get(role, "#ffffff"), "color": "#333333"}
    if role == Role.thesis:
        attrs.update(penwidth="2.2", fontsize="11")
    if is_rec:
        attrs["style"] = "filled,bold"  # with square corners (see `rounded`): told apart without colour
    return tuple(attrs.items())


@lru_cache(maxsize=256)
def _node_format(role: str, kind: str, is_rec: bool) -> str:
    """A node's attribute format (`_attr_format`) for its role and kind, looked up once per node."""
    return _attr_format(_node_static(role, kind, is_rec), NODE_DYNAMIC)


@lru_cache(maxsize=64)
def _edge_format(rel_type: str) -> str:
    """An edge's attribute format for its relation type."""
    style = EDGE_STYLES.get(rel_type, EDGE_STYLES["supports"])
    return _attr_format((("class", f"relation {rel_type}"), *style.items()), EDGE_DYNAMIC)


def rounded(unit: Claim) -> bool:
    """Whether a unit's box gets rounded corners: all but recommendations, which stay square."""
    return not isinstance(unit, Recommendation)


def dot_source(records: DocumentRecords) -> str:
    """The DOT text of the map: premises below their conclusions, the thesis on the top rank.

    Written directly, byte for byte what the `graphviz` binding's Digraph would write (its
    builder costs more than `dot` takes to lay out a map); `dot_graph` gives the binding's object.
    Each node is: label, the attributes that follow from its role and kind (quoted once per
    process, `_attr_format`), its link and tooltip (quoted once per local id, `_node_names`) and
    its id (quoted here).
    """
    lines = [
        'digraph "argument-map" {\n',
        f"\tgraph{_attrs(GRAPH_ATTRS)}\n",
        f"\tnode{_attrs(NODE_ATTRS)}\n",
        f"\tedge{_attrs(EDGE_ATTRS)}\n",
    ]
    units = {c.id for c in records.claims}
    theses = []
    for unit in records.claims:
        is_rec = isinstance(unit, Recommendation)
        local, label, url = _node_names(unit.local_id, unit.role, is_rec)
        if unit.role == Role.thesis:
            theses.append(local)
        fmt = _node_format(unit.role, unit.kind, is_rec)
        # URL, id, tooltip (replaced by node_title() after layout, escaped by us); the label is a
        # plain string (nohtml): one that looks like <...> must stay text
        attrs = fmt.format(url, _qs(unit.id), local)
        lines.append(f"\t{local} [label={label} {attrs}]\n")
    if theses:
        lines.append('\tsubgraph "thesis-rank" {\n\t\trank=max\n')  # with rankdir=BT: drawn at the top
        lines += [f"\t\t{local}\n" for local in theses]
        lines.append("\t}\n")
    for rel in records.relations:
        if rel.source_id not in units or rel.target_id not in units:
            continue  # validation rejects these; never let Graphviz invent a node
        source, target = rel.source_id.split("/", 1)[1], rel.target_id.split("/", 1)[1]
        attrs = _edge_format(rel.type).format(_qs(rel.id), _qs(f"{source} {rel.type} {target}"))
        lines.append(f"\t{_edge_end_name(source)} -> {_edge_end_name(target)} [{attrs}]\n")
    lines.append("}\n")
    return "".join(lines)


def _edge_end(name: str) -> str:
    """An edge end as graphviz.quoting.quote_edge writes it (`node[:port[:compass]]`)."""
    node, _, rest = name.partition(":")
    parts = [_q(node)]
    if rest:
        port, _, compass = rest.partition(":")
        parts.append(_q(port))
        if compass:
            parts.append(compass)
    return ":".join(parts)


def dot_graph(records: DocumentRecords) -> graphviz.Source:
    """The map as a graphviz object (for rendering it with the binding, e.g. in tests)."""
    return graphviz.Source(dot_source(records))


class _Dot:
    """One long-lived `dot -Tsvg` per process, fed one graph after another.

    Starting `dot` costs more than laying out a document's map, and a corpus has thousands of
    maps. The DOT we write holds only ids and enum values, so "</svg>" ends each answer
    unambiguously. Any trouble (dot missing, crashed, silent) returns None and the caller runs
    a one-shot `dot` through the graphviz binding instead, which reports the actual error.
    """

    TIMEOUT = 60.0  # seconds without output before the process is given up

    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self.owner = 0
        self.lock = threading.Lock()
        self.buffered = True  # through `stdbuf` (see dot_command); off once that failed before any answer
        self.answers = 0  # maps the current process drew

    def render(self, source: str) -> str | None:
        with self.lock:
            try:
                proc = self._process()
                assert proc.stdin is not None and proc.stdout is not None
                proc.stdin.write(source.encode("utf-8"))
                proc.stdin.flush()
                out = bytearray()
                while not out.endswith(b"</svg>\n"):
                    ready, _, _ = select.select([proc.stdout], [], [], self.TIMEOUT)
                    chunk = os.read(proc.stdout.fileno(), PIPE_BYTES) if ready else b""
                    if not chunk:
                        raise EOFError("dot stopped answering")
                    out += chunk
                self.answers += 1
                return out.decode("utf-8")
            except (OSError, EOFError, ValueError):
                if self.answers == 0:
                    self.buffered = False  # e.g. a `stdbuf` that cannot preload its library: plain dot next
                self.close()
                return None

    def _process(self) -> subprocess.Popen[bytes]:
        # A forked worker must not share its parent's pipes: each process starts its own dot.
        if self.proc is None or self.owner != os.getpid() or self.proc.poll() is not None:
            _require_dot()
            self.proc = subprocess.Popen(
                dot_command(self.buffered), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
            )
            self.answers = 0
            assert self.proc.stdout is not None
            with contextlib.suppress(OSError, AttributeError):  # Linux (F_SETPIPE_SZ): a whole map fits
                fcntl.fcntl(self.proc.stdout.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
            self.owner = os.getpid()
        return self.proc

    def close(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and self.owner == os.getpid():
            proc.kill()
            proc.wait()


_DOT = _Dot()
PIPE_BYTES = 1 << 20  # dot's output buffer and pipe: a map's SVG (~60 KB) in one write and one read


def dot_command(buffered: bool = True) -> list[str]:
    """`dot -Tsvg`, with a large output buffer where coreutils' `stdbuf` is at hand.

    dot writes to a pipe through stdio in 4 KiB blocks, flushing at the end of each graph: each
    block wakes this process up (select, read) and costs dot a write. With one buffer that holds
    a whole map, a map arrives in one write. Same bytes either way (dot flushes after each graph).
    """
    if not buffered or shutil.which("stdbuf") is None:
        return ["dot", "-Tsvg"]
    return ["stdbuf", f"-o{PIPE_BYTES}", "dot", "-Tsvg"]


def _require_dot() -> None:
    if shutil.which("dot") is None:
        raise UsageError(Problem.make("graphviz-missing", "the `dot` command is not on PATH"))


def layout_svg(source: str) -> str:
    """SVG of a DOT source, laid out by Graphviz (`dot` is looked for on PATH when it is started)."""
    svg = _DOT.render(source)
    if svg is None:
        _require_dot()
        svg = graphviz.Source(source).pipe(format="svg", encoding="utf-8")
    return svg


def argument_map_svg(records: DocumentRecords) -> str:
    """Inline SVG markup (no XML prolog) of the document's argument map."""
    return finish_svg(layout_svg(dot_source(records)), records)


def map_title(records: DocumentRecords) -> str:
    return f"Argument map: {records.document.title}"


def map_description(records: DocumentRecords) -> str:
    return (
        f"{len(records.claims)} units and {len(records.relations)} relations. The thesis is at the top; each arrow "
        "goes from a unit to the unit it supports (green, solid), attacks (red, dashed) or restates (grey, dotted). "
        "Each node links to the unit in the text."
    )


def finish_svg(raw: str, records: DocumentRecords) -> str:
    """Graphviz's SVG made inline, accessible and independent of how many graphs its dot process drew.

    The same text as `finish_svg_tree` (parse with ElementTree, edit, serialise), made by editing
    the SVG `dot` writes for our maps as text (a few passes, then group by group: `_edit_groups`),
    which is several times faster than the tree. Anything outside that narrow form (an entity we
    do not expect, a CDATA section, a node whose text lines do not match) takes the tree path.
    """
    fast = _finish_svg_text(raw, records)
    return fast if fast is not None else finish_svg_tree(raw, records)


# What dot writes for our maps: ids and classes of [a-z0-9_/ -] (hyphens as &#45;), '->' in edge
# titles, numbers. The text path handles exactly that; the patterns below say where.
_COMMENT = re.compile(r"<!--.*?-->", re.S)
# Markup the text path does not handle (comments are gone by then); "></" is an empty element
# written open-close, which the tree would write as <x />.
_UNEXPECTED = ("<![CDATA[", "<?", "<!", "\r", "\t", "></")


def _has_unexpected(svg: str) -> bool:
    """`any(x in svg for x in _UNEXPECTED)`, with fewer passes over a ~50 KB string: "<!" covers
    "<![CDATA[", and "!" or "?" (one-character searches are the fast ones) rarely occur at all."""
    if "\r" in svg or "\t" in svg:
        return True
    if "!" in svg and "<!" in svg:
        return True
    if "?" in svg and "<?" in svg:
        return True
    return "></" in svg


_ROOT = re.compile(r"<svg\b([^<>]*)>")
_ATTR = re.compile(r'\s*([A-Za-z_][\w.:-]*)="([^"<&]*)"')
# Inside a node group: the elements the edits touch, <text> elements and <a> start tags.
_NODE_TOKENS = re.compile(r"<(?:(text\b[^<>]*>)[^<]*</text>|a\b([^<>]*)>)")
# The points of a box as dot draws one: x1,y0 x0,y0 x0,y1 x1,y1 and x1,y0 again (`_dot_box`).
_N = r"-?\d+(?:\.\d+)?"
_BOX_POINTS = rf"(?P<x1>{_N}),(?P<y0>{_N}) (?P<x0>{_N}),(?P=y0) (?P=x0),(?P<y1>{_N}) (?P=x1),(?P=y1) (?P=x1),(?P=y0)"
# A node group as dot writes ours (from the end of its class attribute to its end tag, its "/>"
# spaced by then): <title>, the link's group and <a>, the box polygon (fill, stroke and its width,
# with values that need no escaping, then the points of a box), one or two label lines.
_VALUE = r'="[^"<>&\n]*"'
_DOT_NODE = re.compile(
    r'(?P<head>[^<]*<title>[^<]*</title>\n<g id="[^"<&]*"><a)'
    r'(?P<href> xlink:href="[^"<&]*")? xlink:title="[^"<&]*">\n'
    rf"(?P<box><polygon(?P<paint>(?: fill{_VALUE})?(?: stroke{_VALUE})?(?: stroke-width{_VALUE})?)"
    rf' points="{_BOX_POINTS}" />)\n'
    r"(?P<line1><text\b[^<>]*>)[^<]*</text>\n(?:(?P<line2><text\b[^<>]*>)[^<]*</text>\n)?"
    r"</a>\n</g>\n</g>"
)
# The rest of the graph group's start tag, and the <title> the tree path drops (with the space after it).
_GRAPH_TITLE = re.compile(r'(" class="[^"<&]*"[^<>]*>\n)<title>[^<]*</title>\s*')


class _Unexpected(Exception):
    """The SVG is not in the form the text path handles: use the tree."""


def _xml_text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _xml_attr(value: str) -> str:
    return _xml_text(value).replace('"', "&quot;").replace("\r", "&#13;").replace("\n", "&#10;").replace("\t", "&#09;")


def _finish_svg_text(raw: str, records: DocumentRecords) -> str | None:
    at = raw.find("<svg")
    if at < 0:
        return None
    # split and join: the same as replace, faster with hundreds of matches
    svg = "-".join(_COMMENT.sub("", raw[at:]).split("&#45;"))
    svg = '" />'.join(svg.split('"/>')).rstrip("\n")
    if not svg.endswith("</svg>") or _has_unexpected(svg):
        return None
    amp = svg.find("&")
    while amp >= 0:  # (a few dozen, in edge titles: "->")
        if not svg.startswith(("&gt;", "&lt;", "&amp;"), amp):
            return None  # another entity or character reference: the tree decodes it
        amp = svg.find("&", amp + 1)
    root = _ROOT.match(svg)
    if root is None:
        return None
    attrs: dict[str, str] = {}
    for name, value in _ATTR.findall(root.group(1)):
        if name == "xmlns" and value == SVG_NS or name == "xmlns:xlink" and value == XLINK_NS:
            continue  # namespace declarations: the tree path writes its own
        if ":" in name or name.startswith("xmlns") or "\n" in value:
            return None
        attrs[name] = value
    if len(_ATTR.sub("", root.group(1)).strip()):
        return None  # something in the root tag that is not a plain attribute
    body = svg[root.end() : -len("</svg>")]
    try:
        body = _edit_groups(body, {c.id: c for c in records.claims})
    except _Unexpected:
        return None
    attrs.update(
        {
            "role": "graphics-document",
            "aria-labelledby": "argument-map-title",
            "aria-describedby": "argument-map-desc",
            "class": "argument-map",
            "xmlns": SVG_NS,
        }
    )
    head = ["<svg"]
    if "xlink:" in body:
        head.append(f' xmlns:xlink="{XLINK_NS}"')
    head += [f' {k}="{_xml_attr(v)}"' for k, v in attrs.items()]
    head.append(">")
    first = body.find("<")  # the root's text comes before the inserted title and description
    if first < 0:
        first = len(body)
    return "".join(
        [
            *head,
            body[:first],
            f'<title id="argument-map-title">{_xml_text(map_title(records))}</title>',
            f'<desc id="argument-map-desc">{_xml_text(map_description(records))}</desc>',
            body[first:],
            "</svg>",
        ]
    )


# A group of dot's: its id, then its class (the link group dot puts in a node has no class). The
# closing quote is optional here so that a class left open is seen (and refused), not skipped.
_GROUP = re.compile(r'<g id="([^"]*)" class="([^"]*)(")?')


def _edit_groups(body: str, units: dict[str, Claim]) -> str:
    """The groups of the SVG body edited: the graph's renamed, each unit node's text lines and link
    title set and its box polygon made a rounded <rect> (unless `rounded` says square).

    Found by their start tags (`<g id="…" class="…"`): a graph, node or edge group of dot's
    reaches to the next one (the link group dot puts in a node has no class, so it is inside).
    A unit node in the form dot draws ours (`_DOT_NODE`) is edited in one piece up to its end tag;
    any other is searched element by element up to the next group, unless its box is to be
    rounded (the tree path does that). The graph's <title> (its DOT name) goes. The text between
    is copied as it is.
    """
    out: list[str] = []
    done = 0  # body[:done] is in `out`
    graphs = 0
    unit: Claim | None = None  # the unit node being edited
    lines: Iterator[str] | None = None  # its label lines
    title = ""
    node_at = 0  # where the unit node's stretch (searched for elements) starts

    def edit(m: re.Match[str]) -> str:
        if m.group(1) is not None:
            line = next(lines, None)  # type: ignore[arg-type]
            if line is None:
                raise _Unexpected  # more <text> lines than label lines: the tree path raises
            return f"<{m.group(1)}{_xml_text(line)}</text>"
        return _with_link_title(m.group(2), title)

    def close_node(upto: int) -> None:
        nonlocal done, lines, unit
        if unit is None:
            return
        out.append(body[done:node_at])
        node = _DOT_NODE.match(body, node_at, upto)
        labels = node_lines(unit)
        if node is not None and len(labels) == (2 if node["line2"] else 1):  # a node as dot draws ours
            out.append(_dot_node(node, labels, title, rounded(unit)))
            done = node.end()
        elif rounded(unit):
            raise _Unexpected  # its box (if any) is for the tree path to round
        else:  # element by element
            lines = iter(labels)
            out.append(_NODE_TOKENS.sub(edit, body[node_at:upto]))
            done = upto
            if next(lines, None) is not None:
                raise _Unexpected  # fewer <text> lines than label lines: the tree path raises
        unit = None

    for m in _GROUP.finditer(body):
        gid, cls = m.group(1), m.group(2)
        if m.group(3) is None or "<" in gid or "&" in gid or "<" in cls or "&" in cls:
            raise _Unexpected
        close_node(m.start())
        classes = cls.split()
        if "graph" in classes:
            graphs += 1
            title_at = _GRAPH_TITLE.match(body, m.end(1))
            if title_at is None:
                raise _Unexpected
            out.append(body[done : m.start(1)])
            out.append("argument-map-graph")
            out.append(title_at.group(1))
            done = title_at.end()
        elif "node" in classes and gid in units:
            unit = units[gid]
            # Text set here, after layout, so Graphviz's own escaping rules (entities, \\N…) never touch data.
            title = _xml_attr(node_title(unit))
            node_at = m.end()
    close_node(len(body))
    if graphs != 1:
        raise _Unexpected  # the tree path renames every graph group; ours expects the one dot draws
    out.append(body[done:])
    return "".join(out)


def _dot_node(node: re.Match[str], lines: list[str], title: str, round_box: bool) -> str:
    """A unit node group dot drew (`_DOT_NODE`) edited as `finish_svg_tree` edits it: its link
    titled, its label lines set and, if `round_box`, its box a rounded <rect>."""
    box = node["box"]
    if round_box:
        geometry = _dot_box(node["x1"], node["y0"], node["x0"], node["y1"])
        if geometry is None:
            raise _Unexpected  # flat: the tree leaves it a polygon
        x, y, width, height = geometry
        r = CORNER_RADIUS
        box = f'<rect{node["paint"]} x="{x}" y="{y}" width="{width}" height="{height}" rx="{r}" ry="{r}" />'
    text = f"{node['line1']}{_xml_text(lines[0])}</text>\n"
    if len(lines) == 2:
        text += f"{node['line2']}{_xml_text(lines[1])}</text>\n"
    return f'{node["head"]}{node["href"] or ""} xlink:title="{title}">\n{box}\n{text}</a>\n</g>\n</g>'


def _rect_geometry(points: str) -> tuple[str, str, str, str] | None:
    """x, y, width and height of a <rect> in place of a polygon with these `points`, if they are an
    axis-aligned box (four corners, then the first again); else None. Numbers as dot prints them."""
    corners = points.split()
    if len(corners) != 5 or corners[4] != corners[0]:
        return None
    try:
        xys = [tuple(map(float, corner.split(","))) for corner in corners[:4]]
    except ValueError:
        return None
    if any(len(xy) != 2 or not all(map(math.isfinite, xy)) for xy in xys) or len(set(xys)) != 4:
        return None  # not two numbers each, or a corner twice
    for (xa, ya), (xb, yb) in zip(xys, xys[1:] + xys[:1], strict=True):
        if (xa == xb) == (ya == yb):
            return None  # a side that is not along one axis: no box (a bow tie, a slant)
    xs, ys = sorted({x for x, _ in xys}), sorted({y for _, y in xys})
    if len(xs) != 2 or len(ys) != 2:
        return None
    return _length(xs[0]), _length(ys[0]), _length(xs[1] - xs[0]), _length(ys[1] - ys[0])


def _dot_box(x1: str, y0: str, x0: str, y1: str) -> tuple[str, str, str, str] | None:
    """`_rect_geometry` of the box dot draws from x1,y0 (the points `_BOX_POINTS` matches)."""
    right, top, left, bottom = float(x1), float(y0), float(x0), float(y1)
    if right == left or top == bottom:
        return None  # flat
    if left > right:
        left, right = right, left
    if top > bottom:
        top, bottom = bottom, top
    return _length(left), _length(top), _length(right - left), _length(bottom - top)


_RECT_GEOMETRY = ("x", "y", "width", "height", "rx", "ry")


@lru_cache(maxsize=4096)
def _length(value: float) -> str:
    """A length as dot prints one: at most two decimals, no trailing zeros (memoised: ranks share
    their y, boxes their height)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _round_box(polygon: ET.Element) -> None:
    """A unit's box polygon made a rounded <rect> (the reference for `_dot_node`): `points` replaced
    in place by its geometry. Any other polygon stays as dot drew it."""
    geometry = _rect_geometry(polygon.get("points", ""))
    if geometry is None:
        return
    attrs: dict[str, str] = {}
    for name, value in polygon.attrib.items():
        if name == "points":
            attrs.update(zip(_RECT_GEOMETRY, (*geometry, CORNER_RADIUS, CORNER_RADIUS), strict=True))
        else:
            attrs[name] = value
    polygon.attrib.clear()
    polygon.attrib.update(attrs)
    polygon.tag = f"{{{SVG_NS}}}rect"


def _with_link_title(attrs: str, title: str) -> str:
    at = attrs.find(' xlink:title="')
    if at < 0:
        return f'<a{attrs} xlink:title="{title}">'
    end = attrs.find('"', at + 14)
    return f"<a{attrs[: at + 14]}{title}{attrs[end:]}>" if end >= 0 else f"<a{attrs}>"


def finish_svg_tree(raw: str, records: DocumentRecords) -> str:
    """`finish_svg` through ElementTree: the reference the fast path must equal (and its fallback)."""
    root = ET.fromstring(raw)  # drops the DOCTYPE and Graphviz's version comments
    units = {c.id: c for c in records.claims}
    for g in root.iter(f"{{{SVG_NS}}}g"):
        cls = (g.get("class") or "").split()
        if "graph" in cls:  # its <title> is the DOT graph name; ours replaces it
            for title in g.findall(f"{{{SVG_NS}}}title"):
                g.remove(title)
            g.set("id", "argument-map-graph")  # dot numbers graphs per process: graph0, page0,1_graph0, …
        elif "node" in cls and g.get("id") in units:
            # Text set here, after layout, so Graphviz's own escaping rules (entities, \\N…) never touch data.
            unit = units[g.get("id")]
            for text, line in zip(g.iter(f"{{{SVG_NS}}}text"), node_lines(unit), strict=True):
                text.text = line
            for link in g.iter(f"{{{SVG_NS}}}a"):
                link.set(f"{{{XLINK_NS}}}title", node_title(unit))
            if rounded(unit):
                for polygon in list(g.iter(f"{{{SVG_NS}}}polygon")):
                    _round_box(polygon)
    title = ET.Element(f"{{{SVG_NS}}}title", id="argument-map-title")
    title.text = map_title(records)
    desc = ET.Element(f"{{{SVG_NS}}}desc", id="argument-map-desc")
    desc.text = map_description(records)
    root.insert(0, desc)
    root.insert(0, title)
    root.set("role", "graphics-document")
    root.set("aria-labelledby", "argument-map-title")
    root.set("aria-describedby", "argument-map-desc")
    root.set("class", "argument-map")
    for el in root.iter():  # plain tag names + one xmlns: what HTML's inline SVG looks like
        el.tag = el.tag.removeprefix(f"{{{SVG_NS}}}")
    root.set("xmlns", SVG_NS)
    return ET.tostring(root, encoding="unicode")
