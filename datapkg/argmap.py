"""The argument map of one document: units as nodes, relations as edges, laid out by Graphviz as SVG.

The SVG is made at build time (Debian's `dot` through the `graphviz` binding) and
inlined in the document page, so it needs no script and works offline. It is
deterministic (sorted input, no generator comments) and accessible: a <title>
and <desc>, one <g> per unit whose id is the unit id and whose link points at
the unit's highlight in the text, edges classed by relation type.
"""

from __future__ import annotations

import contextlib
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
NODE_ATTRS = {"shape": "box", "style": "rounded,filled", "fontname": FONT, "fontsize": "10", "margin": "0.12,0.06"}
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
        attrs["style"] = "filled,bold"  # square corners tell recommendations apart without colour
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
    """The groups of the SVG body edited: the graph's renamed, each unit node's text lines and link title set.

    Found by their start tags (`<g id="…" class="…"`): a graph, node or edge group of dot's
    reaches to the next one (the link group dot puts in a node has no class, so it is inside);
    only unit nodes' stretches are searched for elements, and the graph's <title> (its DOT name)
    goes. The text between is copied as it is.
    """
    out: list[str] = []
    done = 0  # body[:done] is in `out`
    graphs = 0
    lines: Iterator[str] | None = None  # the label lines of the unit node being edited
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
        nonlocal done, lines
        if lines is not None:
            out.append(body[done:node_at])
            out.append(_NODE_TOKENS.sub(edit, body[node_at:upto]))
            done = upto
            if next(lines, None) is not None:
                raise _Unexpected  # fewer <text> lines than label lines: the tree path raises
            lines = None

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
            lines = iter(node_lines(unit))
            title = _xml_attr(node_title(unit))
            node_at = m.end()
    close_node(len(body))
    if graphs != 1:
        raise _Unexpected  # the tree path renames every graph group; ours expects the one dot draws
    out.append(body[done:])
    return "".join(out)


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
