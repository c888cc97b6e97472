"""The CSV tables: definitions derived from the models, offsets, ordering, escaping, round trip."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from datapkg.build import build
from datapkg.emit import BuildOptions
from datapkg.emit.tables import (
    FORMATS,
    REORDERED,
    escape_cell,
    read_table,
    render_document,
    unescape_cell,
)
from datapkg.model import Actor, Claim, Document, DocumentFact, Mention, Recommendation, Relation
from datapkg.seeds import ActorIndex, iter_documents, merge_actors, open_seeds
from datapkg.tableschema import BY_NAME, FORMULA_TRIGGERS, TABLES, Column, Table, table
from tests.conftest import SEEDS, need_tool

# Which table holds each model's scalar fields (the link tables are found from Table.link).
MODEL_TABLES = {
    Document: "documents",
    DocumentFact: "document_facts",
    Actor: "actors",
    Claim: "claims",
    Recommendation: "recommendations",
    Relation: "relations",
    Mention: "mentions",
}


def rows(build_dir: Path, t: Table) -> list[dict]:
    return list(read_table(build_dir / t.path, t))


def seed_records() -> tuple[list, list[Actor]]:
    seeds = open_seeds(SEEDS)
    index, docs = ActorIndex(), []
    for result in iter_documents(seeds):
        merge_actors(index, result)
        assert result.records is not None, [p.format() for p in result.errors]
        docs.append(result.records)
    return docs, index.sorted()


# ---------------------------------------------------------------- definitions


def test_table_names_are_the_contract() -> None:
    assert {"documents", "actors", "claims", "recommendations", "relations", "mentions"} <= set(BY_NAME)
    assert table("relations").column_names[:5] == ("id", "document_id", "source_id", "target_id", "type")
    for name in ("mentions", "claims"):
        assert {"id", "document_id", "text", "start", "end"} <= set(table(name).column_names)
    assert {"actor_id", "document_id", "start", "end", "text"} <= set(table("mentions").column_names)


def test_every_model_field_is_a_column_or_a_link() -> None:
    models = {name: model for model, name in MODEL_TABLES.items()}
    covered = {(m, c) for m, name in MODEL_TABLES.items() for c in table(name).column_names if c in m.model_fields}
    for t in TABLES:
        if t.link:
            owner = models[t.foreign_keys[0].resource]
            covered |= {(owner, f) for _, f in t.link.kinds}
    covered |= {(DocumentFact, "evidence"), (Document, "facts")}  # document_fact_evidence, document_facts
    for model in MODEL_TABLES:
        for f in model.model_fields:
            owner = Claim if model is Recommendation and f in Claim.model_fields else model
            assert (owner, f) in covered, f"{model.__name__}.{f} is in no table"


def test_keys_and_references_are_consistent() -> None:
    for t in TABLES:
        names = t.column_names
        assert len(set(names)) == len(names), t.name
        for key in t.primary_key:
            assert t.column(key).required, f"{t.name}.{key} is a key column but not required"
        for fk in t.foreign_keys:
            target = table(fk.resource)
            assert set(fk.fields) <= set(names), (t.name, fk)
            assert tuple(fk.reference) == target.primary_key, f"{t.name} must reference the key of {target.name}"
            for mine, theirs in zip(fk.fields, fk.reference, strict=True):
                assert t.column(mine).type == target.column(theirs).type
        for c in t.columns:
            assert c.description, f"{t.name}.{c.name} has no description"
            assert c.type in ("string", "integer", "boolean")


def test_rdf_types_are_classes_of_the_term_mapping() -> None:
    from datapkg import vocab

    used = {c.rdf_type for t in TABLES for c in t.columns if c.rdf_type}
    assert used and used <= set(vocab.CLASSES), used - set(vocab.CLASSES)
    for t in TABLES:
        if "id" in t.column_names and t.primary_key == ("id",):
            assert t.column("id").rdf_type, f"{t.name}.id has no rdfType"


def test_descriptors_avoid_the_defective_v2_features() -> None:
    for t in TABLES:
        d = t.descriptor()
        assert "fieldsMatch" not in d and "uniqueKeys" not in d
        assert all(f["type"] != "list" for f in d["fields"])


# ---------------------------------------------------------------- escaping


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=20))
def test_escaping_is_reversible_and_safe(value: str) -> None:
    escaped = escape_cell(value)
    assert unescape_cell(escaped) == value
    assert not escaped.startswith(FORMULA_TRIGGERS)
    if not value.startswith((*FORMULA_TRIGGERS, "'")):
        assert escaped == value  # only cells that need it change


def _reference_cell(column: Column, value: object) -> str:
    """A cell as the column's type says (the compiled row functions must agree with this)."""
    if value is None:
        return ""
    if column.type == "boolean":
        return "true" if value else "false"
    if column.type == "integer":
        return str(int(value))  # type: ignore[call-overload]
    return escape_cell(value) if column.free_text else value  # type: ignore[arg-type]


def _column_values(column: Column) -> st.SearchStrategy[object]:
    if column.type == "boolean":
        kind: st.SearchStrategy[object] = st.booleans()
    elif column.type == "integer":
        kind = st.integers(min_value=-(10**12), max_value=10**12)
    else:
        kind = st.text(alphabet="=+-@'\t\r\n\",ab é", max_size=8)
    return st.none() | kind


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_compiled_row_cells_agree_with_the_column_types(data: st.DataObject) -> None:
    for t in TABLES:
        row = tuple(data.draw(_column_values(c)) for c in t.columns)
        assert FORMATS[t.name].cells(row) == tuple(_reference_cell(c, v) for c, v in zip(t.columns, row, strict=True))


def test_formula_cells_are_escaped_only_in_free_text_columns(tmp_path: Path) -> None:
    docs, _ = seed_records()
    records = docs[0]
    claim = records.claims[0]
    evil = '=HYPERLINK("http://x","y")'
    changed = records.model_copy(update={"claims": [claim.model_copy(update={"note": evil}), *records.claims[1:]]})
    out = render_document(changed)
    count, text = out["claims"]
    assert count == len(records.claims)
    parsed = list(csv.reader(io.StringIO(FORMATS["claims"].header() + text)))
    header, first = parsed[0], parsed[1]
    assert first[header.index("note")] == "'" + evil
    assert first[header.index("id")] == claim.id  # ids never escaped
    path = tmp_path / "claims.csv"
    path.write_text(FORMATS["claims"].header() + text, encoding="utf-8", newline="")
    assert next(read_table(path, table("claims")))["note"] == evil


# ---------------------------------------------------------------- the built tables


def test_unit_text_equals_document_text_slice(built: Path) -> None:
    texts = {r["id"]: r["text"] for r in rows(built, table("documents"))}
    checked = 0
    for t in TABLES:
        if not {"document_id", "start", "end", "text"} <= set(t.column_names):
            continue
        for r in rows(built, t):
            assert r["start"] < r["end"], (t.name, r["id"])
            assert r["text"] == texts[r["document_id"]][r["start"] : r["end"]], (t.name, r.get("id"))
            checked += 1
    assert checked > 100


def test_csv_files_follow_the_declared_dialect(built: Path) -> None:
    for t in TABLES:
        data = (built / t.path).read_bytes()
        assert not data.startswith(b"\xef\xbb\xbf"), t.name
        assert b"\r" not in data, t.name
        text = data.decode("utf-8")
        # Re-writing the parsed rows with minimal quoting gives the same bytes: no quoted numbers,
        # no stray quoting, LF line ends.
        parsed = list(csv.reader(io.StringIO(text, newline=""), strict=True))
        again = io.StringIO()
        csv.writer(again, lineterminator="\n").writerows(parsed)
        assert again.getvalue() == text, t.name
        assert tuple(parsed[0]) == t.column_names
        for c in t.columns:
            if c.type == "integer":
                i = parsed[0].index(c.name)
                assert all(re.fullmatch(r"-?[0-9]+|", row[i]) for row in parsed[1:]), (t.name, c.name)


def _assert_sorted(build_dir: Path) -> None:
    for t in TABLES:
        fmt = FORMATS[t.name]
        keys = [tuple(r[k] for k in t.primary_key) for r in rows(build_dir, t)]
        assert keys == sorted(keys), f"{t.name} is not sorted by {t.primary_key}"
        assert len(set(keys)) == len(keys), f"{t.name} has duplicate keys"
        assert fmt.table is t


def test_tables_are_sorted_by_primary_key(built: Path) -> None:
    _assert_sorted(built)


def test_document_ids_that_prefix_each_other_sort_in_every_table(tmp_path: Path) -> None:
    """Corpus order is "a-b" before "a" ("-" < "/"), key order is "a" before "a-b": both must hold."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for name in ("dataset.yaml", "wikidata-verified.tsv"):
        shutil.copy(SEEDS / name, seeds / name)
    (source,) = [p for p in SEEDS.iterdir() if p.is_dir() and not p.name.startswith(".")]
    for doc_id in ("a", "a-b"):
        shutil.copytree(source, seeds / doc_id)
        ann = seeds / doc_id / "annotations.yaml"
        ann.write_text(re.sub(r"(?m)^  id: .*$", f"  id: {doc_id}", ann.read_text(encoding="utf-8"), count=1))
    out = tmp_path / "build"
    ctx = build(seeds, out, BuildOptions(store=False))
    assert ctx.documents == ["a-b", "a"]
    _assert_sorted(out)
    assert [r["id"] for r in rows(out, table("documents"))] == ["a", "a-b"]
    claim_docs = [r["document_id"] for r in rows(out, table("claims"))]
    assert claim_docs == sorted(claim_docs, key=lambda d: d + "/") and set(claim_docs) == {"a", "a-b"}
    assert not list(out.glob("data/.*")), "spool files left behind"
    assert {t.name for t in TABLES if t.scope == "document"} >= REORDERED


def test_tables_round_trip_to_the_records(built: Path) -> None:
    """Reassembling the records from the CSV files gives exactly the records loaded from the seeds."""
    docs, actors = seed_records()
    by = {t.name: rows(built, t) for t in TABLES}

    def grouped(name: str, owner: str, kind: str | None = None) -> dict:
        out: dict = {}
        for r in by[name]:
            out.setdefault((r[owner], r[kind]) if kind else r[owner], []).append(r)
        return {
            k: [x[table(name).column_names[-1]] for x in sorted(v, key=lambda x: x["position"])] for k, v in out.items()
        }

    about, cues = grouped("claim_about", "claim_id"), grouped("claim_cues", "claim_id")
    rec_actors = grouped("recommendation_actors", "recommendation_id", "role")
    recs = {r["id"]: r for r in by["recommendations"]}
    claims = []
    for r in by["claims"]:
        fields = {**r, "about": about.get(r["id"], []), "cues": cues.get(r["id"], [])}
        if r["id"] in recs:
            extra = {k: v for k, v in recs[r["id"]].items() if k not in ("id", "document_id")}
            lists = {f: rec_actors.get((r["id"], role), []) for role, f in table("recommendation_actors").link.kinds}
            claims.append(Recommendation(**fields, **extra, **lists))
        else:
            claims.append(Claim(**fields))
    expected = sorted((c for d in docs for c in d.claims), key=lambda c: c.id)
    assert claims == expected
    assert [type(c) for c in claims] == [type(c) for c in expected]

    aliases = grouped("actor_aliases", "actor_id")
    member = grouped("actor_memberships", "actor_id", "type")
    rebuilt = [
        Actor(
            **r, aliases=aliases.get(r["id"], []), **{f: member.get((r["id"], f), []) for f in ("part_of", "member_of")}
        )
        for r in by["actors"]
    ]
    assert rebuilt == actors

    evidence = grouped("document_fact_evidence", "document_id", "property")
    facts: dict = {}
    for r in by["document_facts"]:
        facts.setdefault(r["document_id"], []).append(
            DocumentFact(**r, evidence=evidence.get((r["document_id"], r["property"]), []))
        )
    documents = [Document(**r, facts=facts.get(r["id"], [])) for r in by["documents"]]
    assert documents == sorted((d.document for d in docs), key=lambda d: d.id)
    assert [Relation(**r) for r in by["relations"]] == sorted(
        (r for d in docs for r in d.relations), key=lambda r: r.id
    )
    assert [Mention(**r) for r in by["mentions"]] == sorted((m for d in docs for m in d.mentions), key=lambda m: m.id)


def test_csvw_validator_accepts_the_tables_and_catches_a_broken_key(built: Path, tmp_path: Path) -> None:
    tool = need_tool("csvwvalidate")
    ok = subprocess.run([tool, "csv-metadata.json"], cwd=built, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0 and "OK" in ok.stdout, ok.stdout + ok.stderr
    copy = tmp_path / "copy"
    shutil.copytree(built, copy, ignore=shutil.ignore_patterns("store", "site", "dist", "rdf"))
    path = copy / table("claim_about").path
    lines = path.read_text(encoding="utf-8").split("\n")
    cells = lines[1].split(",")
    lines[1] = ",".join([*cells[:-1], "no-such-actor"])
    path.write_text("\n".join(lines), encoding="utf-8")
    bad = subprocess.run([tool, "csv-metadata.json"], cwd=copy, capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "FAIL" in bad.stdout, bad.stdout
