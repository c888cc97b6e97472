"""Loading seeds into records: offsets, mentions, corpus-wide actors, coverage figures, reports."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from datapkg.errors import DataError, UsageError
from datapkg.model import Recommendation
from datapkg.report import validate
from datapkg.seeds import (
    ActorIndex,
    iter_documents,
    load_document,
    merge_actors,
    open_seeds,
    read_files,
    scan_document_dirs,
)

MINIMAL = Path(__file__).parent / "fixtures" / "valid" / "minimal"


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    target = tmp_path / "seeds"
    shutil.copytree(MINIMAL, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_records_are_anchored(seeds: Path) -> None:
    result = load_document(open_seeds(seeds), seeds / "doc-a")
    assert result.problems == [] and result.records is not None
    records = result.records
    text = records.document.text
    assert records.document.id == "doc-a" and records.document.length == len(text)
    assert [c.id for c in records.claims] == ["doc-a/c1", "doc-a/c2", "doc-a/r1", "doc-a/thesis"]
    for unit in records.claims:
        assert text[unit.start : unit.end] == unit.text
    for mention in records.mentions:
        assert text[mention.start : mention.end] == mention.text
    assert {(m.actor_id, m.text) for m in records.mentions} == {
        ("united-states", "Washington"),
        ("pakistan", "Islamabad"),
    }
    (rec,) = records.recommendations
    assert isinstance(rec, Recommendation) and rec.addressees == ["united-states"] and rec.modality_cue == "should"
    assert {r.id for r in records.relations} == {
        "doc-a/c1-supports-thesis",
        "doc-a/c2-supports-thesis",
        "doc-a/r1-supports-thesis",
    }


def test_coverage_figures(seeds: Path) -> None:
    report = validate(seeds)
    assert report.valid and report.problems == []
    figures = report.documents["doc-a"]
    assert figures["sentences"] == 4 and figures["sentence_coverage"] == 1.0
    assert figures["actors_unmentioned"] == [] and figures["units_unrelated"] == []
    # drop one unit: a sentence is uncovered and one relation goes with it
    ann = seeds / "doc-a" / "annotations.yaml"
    edit(
        ann,
        "  - id: c2\n    quote: Critics say it “will fail”, but they are wrong\n    kind: evaluative\n    role: rebuttal\n",
        "",
    )
    edit(ann, "  - source: c2\n    target: thesis\n    type: supports\n", "")
    edit(ann, "    wikidata: Q843\n", "    wikidata: Q843\n  - id: india\n    name: India\n    kind: state\n")
    report = validate(seeds)
    figures = report.documents["doc-a"]
    assert figures["sentence_coverage"] == 0.75 and figures["sentences_covered"] == 3
    assert figures["actors_unmentioned"] == ["india"]
    assert report.valid and not validate(seeds, strict=True).valid
    assert {p.code for p in report.warnings} == {"sentence-uncovered", "actor-unmentioned"}
    totals = report.to_dict()["totals"]
    assert totals["sentence_coverage"] == 0.75 and totals["actors_unmentioned"] == 1


def test_unit_unrelated_figure(seeds: Path) -> None:
    edit(seeds / "doc-a" / "annotations.yaml", "  - source: r1\n    target: thesis\n    type: supports\n", "")
    assert validate(seeds).documents["doc-a"]["units_unrelated"] == ["r1"]


def test_mention_rules(seeds: Path) -> None:
    ann = seeds / "doc-a" / "annotations.yaml"
    edit(
        ann,
        "    aliases: [Islamabad]\n",
        "    aliases: [Islamabad]\n    mentions:\n      exclude:\n        - text: Islamabad\n"
        "      add:\n        - text: the region\n",
    )
    records = load_document(open_seeds(seeds), seeds / "doc-a").records
    assert records is not None
    got = {(m.actor_id, m.text, m.method) for m in records.mentions}
    assert got == {("united-states", "Washington", "alias"), ("pakistan", "the region", "added")}


def test_added_mention_replaces_overlapping_alias_hit(seeds: Path) -> None:
    edit(
        seeds / "doc-a" / "annotations.yaml",
        "    aliases: [Washington]\n",
        "    aliases: [Washington]\n    mentions:\n      add:\n        - text: Washington should\n",
    )
    records = load_document(open_seeds(seeds), seeds / "doc-a").records
    assert records is not None
    us = [(m.text, m.method) for m in records.mentions if m.actor_id == "united-states"]
    assert us == [("Washington should", "added")]


def test_actor_index_merges_aliases_and_reports_conflicts() -> None:
    from datapkg.model import Actor

    index = ActorIndex()
    a = Actor(id="pakistan", name="Pakistan", kind="state", aliases=["Islamabad"], wikidata="Q843")
    assert index.add(a, ("a.yaml", 3, 5)) == []
    assert index.add(a.model_copy(update={"aliases": ["Pak"]}), ("b.yaml", 4, 5)) == []
    assert index.sorted()[0].aliases == ["Islamabad", "Pak"]
    (conflict,) = index.add(a.model_copy(update={"kind": "government"}), ("c.yaml", 7, 5))
    assert conflict.code == "actor-conflict" and "a.yaml:3" in conflict.message and conflict.line == 7
    (dup,) = index.add(Actor(id="pak", name="Pak", kind="state", wikidata="Q843"), ("d.yaml", 9, 5))
    assert dup.code == "wikidata-duplicate" and "'pakistan'" in dup.message and dup.file == "d.yaml"


def test_documents_in_corpus_order_and_skips(seeds: Path) -> None:
    shutil.copytree(seeds / "doc-a", seeds / "doc-0")
    (seeds / ".git").mkdir()
    (seeds / "notes.txt").write_text("not a document\n", encoding="utf-8")
    (seeds / "Bad Name").mkdir()
    scanned = scan_document_dirs(seeds)
    assert [(p.name, bool(problem)) for p, problem in scanned] == [
        ("Bad Name", True),
        ("doc-0", False),
        ("doc-a", False),
    ]
    results = list(iter_documents(open_seeds(seeds)))
    assert [r.doc_id for r in results] == ["Bad Name", "doc-0", "doc-a"]
    assert [p.code for p in results[0].problems] == ["document-id-invalid"]
    index = ActorIndex()
    for r in results:
        merge_actors(index, r)
    assert results[1].records is not None and results[2].records is not None  # same actors: no conflict
    assert [a.id for a in index.sorted()] == ["pakistan", "united-states"]


@pytest.mark.parametrize("damage", ["none", "essay-missing", "annotations-too-large", "essay-outside", "both"])
def test_files_read_beforehand_load_the_same_as_files_read_by_the_loader(
    seeds: Path, tmp_path: Path, damage: str
) -> None:
    """A worker reads a document's files once (for its cache key) and hands them to the loader."""
    folder = seeds / "doc-a"
    if damage in ("essay-missing", "both"):
        (folder / "essay.txt").unlink()
    if damage in ("annotations-too-large", "both"):
        edit(seeds / "dataset.yaml", "version:", "limits:\n  max_file_bytes: 500\nversion:")
    if damage == "essay-outside":
        outside = tmp_path / "essay.txt"
        (folder / "essay.txt").rename(outside)
        (folder / "essay.txt").symlink_to(outside)
    opened = open_seeds(seeds)
    files = read_files(opened, folder, ("essay.txt", "annotations.yaml"))
    assert (damage == "none") == (sorted(files.data) == ["annotations.yaml", "essay.txt"])
    direct, beforehand = load_document(opened, folder), load_document(opened, folder, files)
    assert [p.format() for p in beforehand.problems] == [p.format() for p in direct.problems]
    assert beforehand.records == direct.records and beforehand.stats == direct.stats
    assert (direct.records is not None) == (damage == "none")


def test_both_files_are_reported_together(seeds: Path) -> None:
    (seeds / "doc-a" / "essay.txt").write_bytes(b"\xef\xbb\xbfCooperation\n")
    (seeds / "doc-a" / "annotations.yaml").write_text("document: [\n", encoding="utf-8")
    codes = [p.code for p in load_document(open_seeds(seeds), seeds / "doc-a").problems]
    assert codes == ["yaml-syntax", "text-bom"]


def test_open_seeds(seeds: Path, tmp_path: Path) -> None:
    opened = open_seeds(seeds)
    assert opened.verified_wikidata == frozenset({"Q30", "Q843"})
    assert opened.dataset.name == "fixture"
    with pytest.raises(UsageError):
        open_seeds(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError) as info:
        open_seeds(tmp_path / "empty")
    assert info.value.problems[0].code == "seeds-missing" and info.value.exit_code == 2


def test_missing_verified_list_points_at_the_setting(seeds: Path) -> None:
    (seeds / "wikidata-verified.tsv").unlink()
    with pytest.raises(DataError) as info:
        open_seeds(seeds)
    (p,) = info.value.problems
    assert (p.code, Path(p.file or "").name, p.line, p.column) == ("file-missing", "dataset.yaml", 13, 20)


def test_report_json_round_trips(seeds: Path) -> None:
    data = json.loads(validate(seeds).to_json())
    assert data["valid"] is True and data["exit_code"] == 0 and data["errors"] == 0
    assert data["documents"]["doc-a"]["units"] == 4


def test_big_essay_with_many_quotes(seeds: Path) -> None:
    """A 1 MB essay with 2,143 unique quotes loads with every unit anchored (speed: benchmarks/loader.py)."""
    sentences = [f"Sentence number {i} says that cooperation matters for reason {i * 7}." for i in range(15_000)]
    essay = "Title of a long essay\n" + "\n".join(" ".join(sentences[i : i + 10]) for i in range(0, 15_000, 10)) + "\n"
    assert len(essay) > 1_000_000
    (seeds / "doc-a" / "essay.txt").write_text(essay, encoding="utf-8")
    claims = "".join(
        f"  - id: c{i}\n    quote: Sentence number {i} says that cooperation matters\n    kind: factual\n    role: reason\n"
        for i in range(0, 15_000, 7)
    )
    relations = "".join(f"  - source: c{i}\n    target: c0\n    type: supports\n" for i in range(7, 15_000, 7))
    (seeds / "doc-a" / "annotations.yaml").write_text(
        f"document:\n  title: Long\n  language: en\nclaims:\n{claims}relations:\n{relations}", encoding="utf-8"
    )
    result = load_document(open_seeds(seeds), seeds / "doc-a")
    assert result.errors == [] and result.records is not None
    assert len(result.records.claims) == 2143
    assert all(essay[c.start : c.end] == c.text for c in result.records.claims)
    assert result.stats["sentences"] == 15_001
