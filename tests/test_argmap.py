"""The argument map: one node per unit, one edge per relation, thesis on top, deterministic, escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import graphviz
import pytest
from conftest import SEEDS, need_tool
from hypothesis import given, settings
from hypothesis import strategies as st

from datapkg import argmap
from datapkg.argmap import (
    SVG_NS,
    XLINK_NS,
    argument_map_svg,
    dot_graph,
    finish_svg,
    node_lines,
    node_title,
    text_anchor,
)
from datapkg.errors import UsageError
from datapkg.model import DocumentRecords
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
