"""The argument map of one document: units as nodes, relations as edges, laid out by Graphviz as SVG.

The SVG is made at build time (Debian's `dot` through the `graphviz` binding) and
inlined in the document page, so it needs no script and works offline. It is
deterministic (sorted input, no generator comments) and accessible: a <title>
and <desc>, one <g> per unit whose id is the unit id and whose link points at
the unit's highlight in the text, edges classed by relation type.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import threading
import xml.etree.ElementTree as ET

import graphviz

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
    role = str(unit.role)
    if isinstance(unit, Recommendation) and unit.role != Role.recommendation:
        role += " · recommendation"
    return [unit.local_id] if role == unit.local_id else [unit.local_id, role]


def node_title(unit: Claim) -> str:
    return f"{unit.local_id} ({unit.role}, {unit.kind}, {unit.certainty}): {unit.text}"


def _dot_text(value: str) -> str:
    """A literal DOT string: backslashes doubled so Graphviz expands no escape sequences."""
    return value.replace("\\", "\\\\")


def dot_graph(records: DocumentRecords) -> graphviz.Digraph:
    """The DOT graph: premises below their conclusions, the thesis on the top rank."""
    g = graphviz.Digraph(
        "argument-map",
        graph_attr={
            "rankdir": "BT",
            "nodesep": "0.15",
            "ranksep": "0.5",
            "bgcolor": "transparent",
            "fontname": FONT,
        },
        node_attr={
            "shape": "box",
            "style": "rounded,filled",
            "fontname": FONT,
            "fontsize": "10",
            "margin": "0.12,0.06",
        },
        edge_attr={"fontname": FONT, "penwidth": "1.4"},
    )
    units = {c.id for c in records.claims}
    theses = []
    for unit in records.claims:
        is_rec = isinstance(unit, Recommendation)
        classes = ["unit", f"role-{unit.role}", f"kind-{unit.kind}"] + (["recommendation"] if is_rec else [])
        attrs = {
            "id": _dot_text(unit.id),
            "class": " ".join(classes),
            # nohtml: a label that looks like <...> must stay text, never become an HTML-like label
            "label": graphviz.nohtml("\\n".join(_dot_text(line) for line in node_lines(unit))),
            "URL": _dot_text("#" + text_anchor(unit.local_id)),
            "tooltip": _dot_text(unit.local_id),  # replaced by node_title() after layout, escaped by us
            "fillcolor": ROLE_COLOURS.get(unit.role, "#ffffff"),
            "color": "#333333",
        }
        if unit.role == Role.thesis:
            attrs.update(penwidth="2.2", fontsize="11")
            theses.append(unit.local_id)
        if is_rec:
            attrs["style"] = "filled,bold"  # square corners tell recommendations apart without colour
        g.node(_dot_text(unit.local_id), **attrs)
    if theses:
        with g.subgraph(name="thesis-rank") as top:
            top.attr(rank="max")  # with rankdir=BT the highest rank is drawn at the top
            for local in theses:
                top.node(_dot_text(local))
    for rel in records.relations:
        if rel.source_id not in units or rel.target_id not in units:
            continue  # validation rejects these; never let Graphviz invent a node
        source, target = rel.source_id.split("/", 1)[1], rel.target_id.split("/", 1)[1]
        style = EDGE_STYLES.get(rel.type, EDGE_STYLES["supports"])
        g.edge(
            _dot_text(source),
            _dot_text(target),
            id=_dot_text(rel.id),
            **{"class": f"relation {rel.type}", "tooltip": _dot_text(f"{source} {rel.type} {target}")},
            **style,
        )
    return g


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
                    chunk = os.read(proc.stdout.fileno(), 1 << 16) if ready else b""
                    if not chunk:
                        raise EOFError("dot stopped answering")
                    out += chunk
                return out.decode("utf-8")
            except (OSError, EOFError, ValueError):
                self.close()
                return None

    def _process(self) -> subprocess.Popen[bytes]:
        # A forked worker must not share its parent's pipes: each process starts its own dot.
        if self.proc is None or self.owner != os.getpid() or self.proc.poll() is not None:
            self.proc = subprocess.Popen(
                ["dot", "-Tsvg"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
            )
            self.owner = os.getpid()
        return self.proc

    def close(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and self.owner == os.getpid():
            proc.kill()
            proc.wait()


_DOT = _Dot()


def layout_svg(source: str) -> str:
    """SVG of a DOT source, laid out by Graphviz."""
    if shutil.which("dot") is None:
        raise UsageError(Problem.make("graphviz-missing", "the `dot` command is not on PATH"))
    return _DOT.render(source) or graphviz.Source(source).pipe(format="svg", encoding="utf-8")


def argument_map_svg(records: DocumentRecords) -> str:
    """Inline SVG markup (no XML prolog) of the document's argument map."""
    return finish_svg(layout_svg(dot_graph(records).source), records)


def finish_svg(raw: str, records: DocumentRecords) -> str:
    """Graphviz's SVG made inline, accessible and independent of how many graphs its dot process drew."""
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
    n_units, n_rel = len(records.claims), len(records.relations)
    title = ET.Element(f"{{{SVG_NS}}}title", id="argument-map-title")
    title.text = f"Argument map: {records.document.title}"
    desc = ET.Element(f"{{{SVG_NS}}}desc", id="argument-map-desc")
    desc.text = (
        f"{n_units} units and {n_rel} relations. The thesis is at the top; each arrow goes from a unit to the unit "
        "it supports (green, solid), attacks (red, dashed) or restates (grey, dotted). "
        "Each node links to the unit in the text."
    )
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
