"""Invariants of the seed essay's annotation (issue 3), so it cannot silently regress.

These tests read the shipped seeds only; they pin what the annotation must keep
true (full coverage, the argument's shape, recommendations with addressees,
verified Wikidata ids, metadata never guessed), not every individual choice.
"""

from __future__ import annotations

import graphlib
from collections import defaultdict

import pytest
import yaml
from conftest import SEEDS

from datapkg.model import DocumentRecords
from datapkg.report import Report, validate
from datapkg.seeds import load_document, open_seeds

DOC_ID = "000_dd4b8e691fc454bf"
REASON_OPENINGS = ("First, ", "Second, ", "Third, ", "A fourth and final basis ")
# Ids the verified list deliberately lacks: these actors must stay without one.
UNVERIFIED_ACTORS = (
    "taliban",
    "biden-administration",
    "ttp",
    "hamid-karzai",
    "abdullah-abdullah",
    "gulbuddin-hekmatyar",
    "high-council-for-national-reconciliation",
)
PLACE_QIDS = {"Q5838", "Q1362", "Q61", "Q3861"}  # Kabul, Islamabad, Washington D.C., Doha


@pytest.fixture(scope="module")
def report() -> Report:
    return validate(SEEDS, strict=True)


@pytest.fixture(scope="module")
def records() -> DocumentRecords:
    result = load_document(open_seeds(SEEDS), SEEDS / DOC_ID)
    assert result.records is not None, [p.format() for p in result.errors]
    return result.records


@pytest.fixture(scope="module")
def verified_qids() -> set[str]:
    lines = (SEEDS / "wikidata-verified.tsv").read_text(encoding="utf-8").splitlines()[1:]
    return {cells[1] for line in lines if len(cells := line.split("\t")) > 1}


def edges(records: DocumentRecords, kind: str) -> set[tuple[str, str]]:
    """(source local id, target local id) of every relation of one type."""
    local = {c.id: c.local_id for c in records.claims}
    return {(local[r.source_id], local[r.target_id]) for r in records.relations if r.type == kind}


def main_thesis(records: DocumentRecords) -> str:
    restating = {s for s, _ in edges(records, "restates")}
    theses = [c.local_id for c in records.claims if c.role == "thesis" and c.local_id not in restating]
    assert len(theses) == 1, theses
    return theses[0]


def unit_at(records: DocumentRecords, opening: str):
    text = records.document.text
    assert text.count(opening) == 1, opening
    start = text.index(opening)
    units = [c for c in records.claims if c.start == start]
    assert len(units) == 1, f"no single unit starts at {opening!r}"
    return units[0]


def test_strict_valid_with_full_sentence_coverage(report: Report) -> None:
    assert report.valid, [p.format() for p in report.problems]
    assert report.problems == []
    stats = report.documents[DOC_ID]
    assert stats["sentence_coverage"] == 1.0
    assert stats["sentences_covered"] == stats["sentences"] > 30
    assert stats["actors_unmentioned"] == []
    assert stats["units_unrelated"] == []


def test_title_line_is_the_thesis(records: DocumentRecords) -> None:
    thesis = next(c for c in records.claims if c.local_id == main_thesis(records))
    assert thesis.start == 0
    assert thesis.text == records.document.title == records.document.text.split("\n", 1)[0]


def test_every_actor_is_mentioned(records: DocumentRecords) -> None:
    mentioned = {m.actor_id for m in records.mentions}
    assert {a.id for a in records.actors} <= mentioned


def test_every_unit_is_in_a_relation(records: DocumentRecords) -> None:
    related = {r.source_id for r in records.relations} | {r.target_id for r in records.relations}
    assert [c.local_id for c in records.claims if c.id not in related] == []


def test_one_thesis_and_restatements_point_to_it(records: DocumentRecords) -> None:
    thesis = main_thesis(records)
    restates = edges(records, "restates")
    for c in records.claims:
        if c.role == "thesis" and c.local_id != thesis:
            assert (c.local_id, thesis) in restates


def test_four_reasons_each_support_the_thesis(records: DocumentRecords) -> None:
    thesis = main_thesis(records)
    supports = edges(records, "supports")
    reasons = [unit_at(records, opening) for opening in REASON_OPENINGS]
    for reason in reasons:
        assert reason.role == "reason", reason.local_id
        assert (reason.local_id, thesis) in supports, reason.local_id
        # each reason has evidence of its own under it
        assert any(t == reason.local_id for _, t in supports), reason.local_id
    assert sorted(c.local_id for c in records.claims if c.role == "reason") == sorted(r.local_id for r in reasons)


def test_concessions_are_attacks_that_the_author_answers(records: DocumentRecords) -> None:
    thesis = main_thesis(records)
    supports, attacks = edges(records, "supports"), edges(records, "attacks")
    attackers_of_thesis = {s for s, t in attacks if t == thesis}
    assert attackers_of_thesis, "no concession attacks the thesis"
    for unit in attackers_of_thesis:
        assert any(t == unit for _, t in attacks), f"concession {unit} is never answered"
    # every concession attacks something, directly or through the units it supports
    out = defaultdict(set)
    for s, t in supports:
        out[s].add(t)
    for c in records.claims:
        if c.role != "concession":
            continue
        seen, todo = set(), [c.local_id]
        while todo:
            node = todo.pop()
            seen.add(node)
            todo.extend(out[node] - seen)
        assert any(s in seen for s, _ in attacks), f"concession {c.local_id} attacks nothing"


def test_support_graph_is_acyclic(records: DocumentRecords) -> None:
    graph = defaultdict(set)
    for s, t in edges(records, "supports"):
        graph[t].add(s)
    list(graphlib.TopologicalSorter(graph).static_order())  # raises CycleError on a cycle


def test_hedged_or_boosted_units_name_their_cues(records: DocumentRecords) -> None:
    for c in records.claims:
        assert all(cue in c.text for cue in c.cues), c.local_id
        if c.certainty != "asserted":
            assert c.cues, f"{c.local_id} is {c.certainty} but names no cue"


def test_recommendations_have_addressees_cues_and_justification(records: DocumentRecords) -> None:
    recommendations = records.recommendations
    assert len(recommendations) >= 8
    justified = {t for _, t in edges(records, "supports")}
    actor_ids = {a.id for a in records.actors}
    for r in recommendations:
        assert r.addressees and set(r.addressees) <= actor_ids, r.local_id
        assert r.modality_cue and r.modality_cue in r.text, r.local_id
        assert r.action.strip(), r.local_id
        assert r.local_id in justified, f"nothing supports recommendation {r.local_id}"


def test_wikidata_ids_are_verified(records: DocumentRecords, verified_qids: set[str]) -> None:
    by_id = {a.id: a for a in records.actors}
    for actor in records.actors:
        if actor.wikidata:
            assert actor.wikidata in verified_qids, actor.id
            assert not (actor.kind != "state" and actor.wikidata in PLACE_QIDS), actor.id
    for actor_id in UNVERIFIED_ACTORS:
        assert by_id[actor_id].wikidata is None, actor_id
    assert len({a.wikidata for a in records.actors if a.wikidata}) == sum(1 for a in records.actors if a.wikidata)


def test_metadata_is_never_guessed(records: DocumentRecords) -> None:
    doc = records.document
    assert doc.language == "en"
    assert doc.author is None and doc.publisher is None and doc.url is None
    facts = {f.property: f for f in doc.facts}
    assert set(facts) == {"date"}
    date = facts["date"]
    assert date.status == "inferred" and date.value == "2021-08"  # a month, not a day
    assert date.evidence and all(quote in doc.text for quote in date.evidence)


@pytest.mark.parametrize(
    ("surface", "context", "actor"),
    [
        ("Pakistan Taliban", "the Pakistan Taliban or", "ttp"),
        ("Tehreek-e-Taliban (TTP)", "the Tehreek-e-Taliban (TTP) in", "ttp"),
        ("Pakistani officials", "takeover, Pakistani officials", "pakistan-government"),
        ("policymakers in Islamabad", "for policymakers in Islamabad", "pakistan-government"),
        ("Islamabad", "assistance to Islamabad", "pakistan-government"),
        ("embassy in Islamabad", "its embassy in Islamabad", "us-embassy-islamabad"),
        ("Washington", "Washington’s failures", "us-government"),
        ("security establishment", "Pakistan’s security establishment, which", "pakistan-security-establishment"),
        ("ISIL (ISIS) group", "the ISIL (ISIS) group", "isil"),
        ("the group", "that the group would", "taliban"),
    ],
)
def test_compound_surfaces_go_to_the_right_actor(
    records: DocumentRecords, surface: str, context: str, actor: str
) -> None:
    text = records.document.text
    assert text.count(context) == 1
    start = text.index(context) + context.index(surface)
    found = [(m.actor_id, m.text) for m in records.mentions if m.start == start]
    assert found == [(actor, surface)]


def test_places_are_not_mentions(records: DocumentRecords) -> None:
    text = records.document.text
    starts = {m.start for m in records.mentions}
    washington = text.index("Biden administration in Washington") + len("Biden administration in ")
    assert washington not in starts
    for city in ("Kabul", "Doha"):
        assert not any(m.text == city for m in records.mentions)


def test_units_do_not_overlap(records: DocumentRecords) -> None:
    spans = sorted((c.start, c.end, c.local_id) for c in records.claims)
    for (_, end, a), (start, _, b) in zip(spans, spans[1:], strict=False):
        assert end <= start, f"{a} overlaps {b}"


def test_readme_worked_example_matches_the_annotation() -> None:
    readme = (SEEDS.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Worked example", 1)[1]
    example = yaml.safe_load(section.split("```yaml\n", 1)[1].split("\n```", 1)[0])
    spec = yaml.safe_load((SEEDS / DOC_ID / "annotations.yaml").read_text(encoding="utf-8"))
    units = {u["id"]: u for key in ("claims", "recommendations") for u in spec.get(key) or []}
    for key in ("claims", "recommendations"):
        for unit in example.get(key) or []:
            assert any(u["id"] == unit["id"] for u in spec[key]), f"{unit['id']} is not under {key}"
            assert {k: units[unit["id"]].get(k) for k in unit} == unit, unit["id"]
    relations = {(r["source"], r["target"], r["type"]) for r in spec["relations"]}
    for r in example["relations"]:
        assert (r["source"], r["target"], r["type"]) in relations
