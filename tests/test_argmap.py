"""The argument map: one node per unit, one edge per relation, thesis on top, deterministic, escaped."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable

import graphviz
import pytest
from conftest import SEEDS, need_tool
from hypothesis import given, settings
from hypothesis import strategies as st

from datapkg import argmap
from datapkg.argmap import (
    CORNER_RADIUS,
    ROLE_COLOURS,
    SVG_NS,
    XLINK_NS,
    argument_map_svg,
    dot_graph,
    finish_svg,
    node_lines,
    node_title,
    rounded,
    text_anchor,
)
from datapkg.errors import UsageError
from datapkg.model import DocumentRecords, Role
from datapkg.seeds import iter_documents, open_seeds

S = f"{{{SVG_NS}}}"


@pytest.fixture(scope="module")
def records() -> list[DocumentRecords]:
    need_tool("dot")
    found = [r.records for r in iter_documents(open_seeds(SEEDS))]
    assert all(r is not None for r in found)
    return found  # type: ignore[return-value]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def groups(root: ET.Element, cls: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{S}g") if cls in (g.get("class") or "").split()]


def test_nodes_are_the_units_and_link_to_the_text(records: list[DocumentRecords]) -> None:
    for rec in records:
        root = parse(argument_map_svg(rec))
        nodes = groups(root, "node")
        assert sorted(g.get("id") for g in nodes) == sorted(c.id for c in rec.claims)
        for node in nodes:
            unit = next(c for c in rec.claims if c.id == node.get("id"))
            assert f"role-{unit.role}" in node.get("class", "").split()
            link = node.find(f".//{S}a")
            assert link is not None and link.get(f"{{{XLINK_NS}}}href") == "#" + text_anchor(unit.local_id)
            assert link.get(f"{{{XLINK_NS}}}title") == node_title(unit)
            assert [t.text for t in node.iter(f"{S}text")] == node_lines(unit)


def test_edges_are_the_relations_classed_by_type(records: list[DocumentRecords]) -> None:
    for rec in records:
        root = parse(argument_map_svg(rec))
        edges = groups(root, "edge")
        assert sorted(g.get("id") for g in edges) == sorted(r.id for r in rec.relations)
        for edge in edges:
            rel = next(r for r in rec.relations if r.id == edge.get("id"))
            assert rel.type in edge.get("class", "").split()


def test_thesis_is_drawn_on_top(records: list[DocumentRecords]) -> None:
    for rec in records:
        if not any(c.role == "thesis" for c in rec.claims):
            continue
        root = parse(argument_map_svg(rec))
        middle = {}  # SVG y grows downwards; nodes of one rank share the middle of their label lines
        for node in groups(root, "node"):
            ys = [float(t.get("y")) for t in node.iter(f"{S}text")]
            middle[node.get("id")] = sum(ys) / len(ys)
        highest = min(middle.values())
        assert all(abs(middle[c.id] - highest) < 1 for c in rec.claims if c.role == "thesis")
        theses = {c.id for c in rec.claims if c.role == "thesis"}
        supporters = {r.source_id for r in rec.relations if r.type == "supports"} - theses
        assert all(middle[u] > highest + 1 for u in supporters)  # every other premise sits lower


def box_of(points: str) -> tuple[float, float, float, float]:
    """x, y, width, height of the bounding box of an SVG polygon's points or path's coordinates."""
    xy = [tuple(map(float, p.split(","))) for p in re.findall(r"-?[\d.]+,-?[\d.]+", points)]
    xs, ys = [x for x, _ in xy], [y for _, y in xy]
    return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)


def shapes_of(group: ET.Element) -> list[tuple[str, dict[str, str]]]:
    return [(el.tag, el.attrib) for el in group.iter() if el.tag in (f"{S}rect", f"{S}polygon", f"{S}path")]


def test_node_boxes_are_rounded_rects_with_their_colours(records: list[DocumentRecords]) -> None:
    """dot draws plain boxes; each unit's box comes out a <rect> with rounded corners (recommendations:
    square, bold) in its role's fill, where dot's `rounded` style puts the box, bent about as much."""
    for rec in records:
        root = parse(argument_map_svg(rec))
        # The same DOT with dot's own rounded boxes: the paths our rects stand for.
        plain, bent = (
            f"\tnode{argmap._attrs({**argmap.NODE_ATTRS, 'style': s})}\n" for s in ("filled", "rounded,filled")
        )
        source = argmap.dot_source(rec)
        assert plain in source
        drawn_svg = graphviz.Source(source.replace(plain, bent)).pipe(format="svg", encoding="utf-8")
        reference = {g.get("id"): g for g in groups(parse(drawn_svg), "node")}
        units = {c.id: c for c in rec.claims}
        for node in groups(root, "node"):
            unit = units[node.get("id")]
            shapes = [el for el in node.iter() if el.tag in (f"{S}rect", f"{S}polygon", f"{S}path", f"{S}ellipse")]
            assert len(shapes) == 1, unit.id
            box = shapes[0]
            assert box.get("fill") == ROLE_COLOURS[unit.role] and box.get("stroke") == "#333333"
            assert box.get("stroke-width") == (
                "2.2" if unit.role == Role.thesis else "2" if not rounded(unit) else None
            )
            drawn = next(el for el in reference[unit.id].iter() if el.tag in (f"{S}path", f"{S}polygon"))
            if not rounded(unit):  # a recommendation: dot's square box, as dot drew it
                assert box.tag == f"{S}polygon" and box.attrib == drawn.attrib
                continue
            assert box.tag == f"{S}rect", unit.id
            assert box.get("rx") == box.get("ry") == CORNER_RADIUS
            geometry = tuple(float(box.get(k)) for k in ("x", "y", "width", "height"))
            assert drawn.tag == f"{S}path" and geometry == pytest.approx(box_of(drawn.get("d")), abs=0.006)
            # dot's corner bends over 12pt of each side (its path starts where the top side's bend
            # ends); our circular arc is a little wider to follow dot's flatter curve
            x, y, width, _ = geometry
            start_x, start_y = map(float, drawn.get("d")[1:].split("C")[0].split(","))
            assert start_y == pytest.approx(y) and x + width - start_x == pytest.approx(12)
            assert 12 < float(CORNER_RADIUS) < 13
            assert {k: v for k, v in box.attrib.items() if k not in ("x", "y", "width", "height", "rx", "ry")} == {
                k: v for k, v in drawn.attrib.items() if k != "d"
            }
        # Nothing but unit boxes changed shape: edges and arrowheads are dot's own.
        assert len(list(root.iter(f"{S}rect"))) == sum(map(rounded, rec.claims))
        drawn_edges = {g.get("id"): g for g in groups(parse(drawn_svg), "edge")}
        for edge in groups(root, "edge"):
            assert shapes_of(edge) == shapes_of(drawn_edges[edge.get("id")])


def test_svg_is_accessible_and_has_no_prolog(records: list[DocumentRecords]) -> None:
    svg = argument_map_svg(records[0])
    assert svg.startswith("<svg") and "<?xml" not in svg and "<!--" not in svg and "DOCTYPE" not in svg
    root = parse(svg)
    assert root[0].tag == f"{S}title" and records[0].document.title in root[0].text
    assert root[1].tag == f"{S}desc" and f"{len(records[0].claims)} units" in root[1].text
    assert root.get("aria-labelledby") == root[0].get("id")
    assert root.get("aria-describedby") == root[1].get("id")


def test_deterministic(records: list[DocumentRecords]) -> None:
    """The long-lived dot process and a fresh one-shot dot give the same bytes, call after call."""
    first = argument_map_svg(records[0])
    assert argument_map_svg(records[0]) == first == argument_map_svg(records[0])
    fresh = graphviz.Source(dot_graph(records[0]).source).pipe(format="svg", encoding="utf-8")
    assert finish_svg(fresh, records[0]) == first


def test_hostile_text_stays_text(records: list[DocumentRecords]) -> None:
    """Unit text that looks like DOT escapes, HTML labels or markup ends up literally in the SVG."""
    rec = records[0]
    hostile = '<script>alert(1)</script> \\N "quoted" &amp; & \\l'
    unit = rec.claims[0].model_copy(update={"text": hostile})
    doc = rec.document.model_copy(update={"title": "<b>title</b> \\G"})
    changed = rec.model_copy(update={"claims": [unit, *rec.claims[1:]], "document": doc})
    root = parse(argument_map_svg(changed))
    assert not [el for el in root.iter() if el.tag.endswith("script")]
    node = next(g for g in groups(root, "node") if g.get("id") == unit.id)
    assert [t.text for t in node.iter(f"{S}text")] == node_lines(unit)
    assert node.find(f".//{S}a").get(f"{{{XLINK_NS}}}title") == node_title(unit)
    assert node_title(unit).endswith(hostile)
    assert root[0].text == "Argument map: <b>title</b> \\G"


def test_a_dead_dot_process_is_replaced(records: list[DocumentRecords]) -> None:
    expected = argument_map_svg(records[0])
    proc = argmap._DOT.proc
    assert proc is not None
    proc.kill()
    proc.wait()
    assert argument_map_svg(records[0]) == expected  # this call falls back to a one-shot dot
    assert argument_map_svg(records[0]) == expected  # and this one starts a new long-lived dot
    assert argmap._DOT.proc is not None and argmap._DOT.proc.poll() is None


def test_missing_graphviz_is_a_typed_error(records: list[DocumentRecords], monkeypatch: pytest.MonkeyPatch) -> None:
    argmap._DOT.close()  # `dot` is looked for when a process is started (the fallback looks again)
    monkeypatch.setattr(argmap.shutil, "which", lambda name: None)
    with pytest.raises(UsageError) as caught:
        argument_map_svg(records[0])
    assert caught.value.problems[0].code == "graphviz-missing"


def test_buffered_dot_draws_the_same_maps(records: list[DocumentRecords]) -> None:
    """The long-lived dot behind `stdbuf` (one write per map) gives what a one-shot dot gives."""
    if argmap.dot_command()[0] != "stdbuf":
        pytest.skip("no stdbuf here: dot runs unbuffered")
    for rec in records:
        one_shot = graphviz.Source(argmap.dot_source(rec)).pipe(format="svg", encoding="utf-8")
        assert argument_map_svg(rec) == finish_svg(one_shot, rec)
    assert argmap._DOT.buffered and argmap._DOT.answers >= len(records)


def test_a_failing_buffered_dot_falls_back_to_plain_dot(
    records: list[DocumentRecords], monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = argument_map_svg(records[0])
    dot = argmap._Dot()
    broken = ["sh", "-c", "exit 125"]  # what stdbuf does when it cannot preload its library
    monkeypatch.setattr(argmap, "dot_command", lambda buffered=True: broken if buffered else ["dot", "-Tsvg"])
    try:
        assert dot.render(argmap.dot_source(records[0])) is None  # the caller falls back to a one-shot dot
        assert not dot.buffered
        svg = dot.render(argmap.dot_source(records[0]))  # and the next process is a plain dot
        assert svg is not None and finish_svg(svg, records[0]) == expected
    finally:
        dot.close()


@given(st.text(alphabet="<>!?[]/CDATA\r\t x", max_size=40))
@settings(max_examples=200, deadline=None)
def test_unexpected_markup_check_equals_the_plain_search(svg: str) -> None:
    assert argmap._has_unexpected(svg) == any(x in svg for x in argmap._UNEXPECTED)


MUTATIONS = [  # (old, new): one change of dot's SVG the text path must refuse or handle like the tree
    ("</text>", ""),
    ('class="node', 'class="node x&amp;y'),
    ('class="node', 'class="node x<y'),
    ("<text", "<text><text"),
    ('" class="graph"', '" class="graph'),
    ('" class="graph"', '" class="graph graph"'),
    ("<title>argument&#45;map</title>", ""),
    ('<g id="a_', '<g id="a_x" class="node"><g id="a_'),
    ("</svg>", '<g id="late" class="node"></g></svg>'),
    ("xlink:title=", "xlink:other="),
    # node box polygons, which both paths make rounded rects
    (' points="', ' points="0,0 '),  # six points: no box
    (' stroke="#333333" points="', '\n stroke="#333333"\npoints="'),  # (node boxes only: the
    # text path copies other tags as they are, and dot writes one space between attributes)
    ("<polygon", '<polygon x="1"'),  # an attribute the rect's geometry has too
    ("<polygon", '<polygon xlink:title="x"'),
    ("<polygon", '<polygon class="a&amp;b"'),
    ("<polygon", '<polygon fill="x"'),  # an attribute twice: not XML
    ('"/>\n<text', '"></polygon>\n<text'),
    ('"/>\n<text', '"><title>t</title></polygon>\n<text'),
    ("</g>\n<!--", '</g>\n<polygon fill="red" points="0,0 1,0 1,1 0,1 0,0"/>\n<!--'),  # between groups
    ("</a>\n</g>\n</g>", '</a>\n</g>\n<polygon fill="red" points="0,0 1,0 1,1 0,1 0,0"/>\n</g>'),
    ("</a>\n</g>\n</g>", '</a>\n</g>\n<g><polygon points="0,0 1,0 1,1 0,1 0,0"/></g>\n</g>'),
    ("</a>\n</g>\n</g>", '</a>\n</g>\n<g id="x"/>\n</g>'),
    ('<g id="a_', '<g>\n</g>\n<g id="a_'),
]


@pytest.mark.parametrize(("old", "new"), MUTATIONS)
def test_text_edits_equal_the_tree_or_step_aside(records: list[DocumentRecords], old: str, new: str) -> None:
    rec = records[0]
    raw = argmap.layout_svg(argmap.dot_source(rec))
    for odd in (raw.replace(old, new, 1), raw.replace(old, new)):
        try:
            tree = argmap.finish_svg_tree(odd, rec)
        except (ET.ParseError, ValueError):
            continue  # not an SVG dot writes: nothing to equal
        fast = argmap._finish_svg_text(odd, rec)
        assert fast is None or fast == tree


# A rounded unit's box as dot writes it ("x1,y0 x0,y0 x0,y1 x1,y1 x1,y0"), changed: (name, change, still a box)
BOX_CHANGES = [
    ("as dot draws it", lambda c: c, True),
    ("reversed", lambda c: c[::-1], True),
    ("from another corner", lambda c: [*c[1:4], c[0], c[1]], True),
    ("exponent and more decimals", lambda c: [f"{float(x):.3e},{y}.0001" for x, y in (p.split(",") for p in c)], True),
    ("bow tie", lambda c: [c[0], c[1], c[3], c[2], c[0]], False),
    ("not closed", lambda c: c[:4], False),
    ("closed twice", lambda c: [*c, c[1]], False),
    ("a corner missing", lambda c: [c[0], c[1], c[2], c[1], c[0]], False),
    ("slanted", lambda c: [c[0], c[1], c[2].replace(",", "1,"), c[3], c[0]], False),
    ("flat", lambda c: [c[0], c[0], c[2], c[2], c[0]], False),
    (
        "flat, in dot's order",
        lambda c: [p.replace(c[0].split(",")[0] + ",", c[1].split(",")[0] + ",") for p in c],
        False,
    ),
    ("not a number", lambda c: [c[0], "nan,nan", *c[2:]], False),
    ("three numbers", lambda c: [c[0] + ",1", *c[1:4], c[0] + ",1"], False),
    ("no numbers", lambda c: ["a,b", *c[1:4], "a,b"], False),
]


@pytest.mark.parametrize(("name", "change", "box"), BOX_CHANGES, ids=[c[0] for c in BOX_CHANGES])
def test_only_a_box_becomes_a_rect_on_both_paths(
    records: list[DocumentRecords], name: str, change: Callable[[list[str]], list[str]], box: bool
) -> None:
    rec = records[0]
    unit = next(c for c in rec.claims if rounded(c))
    raw = argmap.layout_svg(argmap.dot_source(rec))
    group = re.compile(
        rf'(<g id="{re.escape(unit.id)}" class="node[^<]*<title>[^<]*</title>\n[^\n]*\n<polygon [^>]*points=")([^"]*)'
    )
    found = group.search(raw)
    assert found is not None
    corners = found.group(2).split()
    odd = raw[: found.start(2)] + " ".join(change(corners)) + raw[found.end(2) :]
    tree = argmap.finish_svg_tree(odd, rec)
    fast = argmap._finish_svg_text(odd, rec)
    assert fast is None or fast == tree
    assert (fast is not None) == (name == "as dot draws it")  # the text path takes dot's form only
    node = next(g for g in groups(parse(tree), "node") if g.get("id") == unit.id)
    if box:  # the tree rounds any box
        rect = node.find(f".//{S}rect")
        x, y, w, h = box_of(found.group(2))
        assert rect is not None and [rect.get(k) for k in ("x", "y", "width", "height")] == [
            argmap._length(v) for v in (x, y, w, h)
        ]
    else:  # and leaves anything else as dot drew it
        assert node.find(f".//{S}rect") is None
        assert node.find(f".//{S}polygon").get("points") == " ".join(change(corners))


def test_label_lines_must_match_the_text_lines(records: list[DocumentRecords]) -> None:
    """A node with a <text> more or less than its label has lines: the text path steps aside and
    finish_svg raises as the tree path does (zip strict), whichever node form dot wrote."""
    rec = records[0]
    raw = argmap.layout_svg(argmap.dot_source(rec))
    one = next(c for c in rec.claims if len(node_lines(c)) == 1 and rounded(c))
    two = next(c for c in rec.claims if len(node_lines(c)) == 2 and rounded(c))
    rec_two = next(c for c in rec.claims if len(node_lines(c)) == 2 and not rounded(c))
    for unit, more in ((one, True), (two, False), (rec_two, False), (rec_two, True)):
        at = raw.index(f'<g id="{unit.id}" class="node')
        first = raw.index("</text>\n", at) + len("</text>\n")
        if more:
            odd = raw[:first] + '<text x="0">extra</text>\n' + raw[first:]
        else:
            second = raw.index("</text>\n", first) + len("</text>\n")
            odd = raw[:first] + raw[second:]
        assert argmap._finish_svg_text(odd, rec) is None, unit.id
        with pytest.raises(ValueError):
            finish_svg(odd, rec)
