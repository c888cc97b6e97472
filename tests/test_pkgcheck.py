"""`datapkg check` says what `frictionless validate` says about a built package, with exact codes and rows.

One 20-document corpus is built per module; each test corrupts a hard-linked copy of it (files are
replaced, never written in place) in one way, and both tools must call it invalid: ours with the exact
code, file, row and column. Where frictionless does not check a thing (JSON syntax), the test shows that.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from datapkg.build import build
from datapkg.cli import cli
from datapkg.emit import BuildOptions
from datapkg.errors import CODES
from datapkg.jsonscan import FastJsonChecker, JsonSyntaxError
from datapkg.pkgcheck import CheckReport, check_package
from tests.conftest import SHARED
from tests.corpus_support import make_corpus

DOCS = 20
PROFILES = SHARED / "reference" / "datapackage-profiles-2.0"
JSON_FILE = "synthetic-essays.json"


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    seeds = make_corpus(tmp_path_factory.mktemp("corpus") / "seeds", DOCS)
    out = tmp_path_factory.mktemp("package") / "build"
    build(seeds, out, BuildOptions(jobs=0, store=False))
    return out


def frictionless_report(descriptor: Path, resource: str | None = None) -> tuple[bool, set[str]]:
    """frictionless' verdict and error types, for one resource (faster) or the whole package."""
    from frictionless import Package

    report = Package(str(descriptor)).validate(name=resource) if resource else Package(str(descriptor)).validate()
    types = {e.type for e in report.errors} | {e.type for task in report.tasks for e in task.errors}
    return report.valid, types


# ---------------------------------------------------------------- editing a copy


def copy_of(package: Path, target: Path) -> Path:
    """Hard links: cheap, and safe as long as files are replaced (`replace`), not written in place."""
    shutil.copytree(package, target, copy_function=os.link, ignore=shutil.ignore_patterns("site", "dist"))
    return target


def replace(path: Path, data: bytes) -> None:
    path.unlink()
    path.write_bytes(data)


def descriptor(copy: Path) -> dict:
    return json.loads((copy / "datapackage.json").read_bytes())


def save_descriptor(copy: Path, pkg: dict) -> None:
    replace(copy / "datapackage.json", json.dumps(pkg, indent=2).encode("utf-8"))


def rehash(copy: Path, path: str) -> None:
    """Make bytes and hash match the edited file, so that only the planted defect remains."""
    pkg = descriptor(copy)
    data = (copy / path).read_bytes()
    for r in pkg["resources"]:
        if r["path"] == path:
            r["bytes"], r["hash"] = len(data), "sha256:" + hashlib.sha256(data).hexdigest()
    save_descriptor(copy, pkg)


def edit_rows(copy: Path, table: str, change: Callable[[list[list[str]]], None]) -> str:
    """Change the rows (header first) of data/<table>.csv with the csv module; returns its path."""
    path = f"data/{table}.csv"
    rows = list(csv.reader(io.StringIO((copy / path).read_text(encoding="utf-8"), newline="")))
    change(rows)
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(rows)
    replace(copy / path, out.getvalue().encode("utf-8"))
    rehash(copy, path)
    return path


def set_cell(table: str, row: int, column: str, value: str) -> Callable[[Path], str]:
    """row as the checkers count: the header is row 1."""

    def edit(copy: Path) -> str:
        def change(rows: list[list[str]]) -> None:
            rows[row - 1][rows[0].index(column)] = value

        return edit_rows(copy, table, change)

    return edit


def edit_bytes(path: str, change: Callable[[bytes], bytes], update: bool = True) -> Callable[[Path], str]:
    def edit(copy: Path) -> str:
        replace(copy / path, change((copy / path).read_bytes()))
        if update:
            rehash(copy, path)
        return path

    return edit


def edit_schema(table: str, column: str, change: Callable[[dict], None]) -> Callable[[Path], None]:
    def edit(copy: Path) -> None:
        pkg = descriptor(copy)
        schema = next(r for r in pkg["resources"] if r["name"] == table)["schema"]
        change(next(f for f in schema["fields"] if f["name"] == column))
        save_descriptor(copy, pkg)

    return edit


def break_hash(copy: Path) -> None:
    pkg = descriptor(copy)
    pkg["resources"][0]["hash"] = "sha256:not-hex"
    save_descriptor(copy, pkg)


def rdf(copy: Path, suffix: str) -> str:
    return next(r["path"] for r in descriptor(copy)["resources"] if r["path"].endswith(suffix))


# ---------------------------------------------------------------- the valid package


def test_both_tools_say_the_built_package_is_valid(package: Path) -> None:
    report = check_package(package, profiles=PROFILES, jobs=2)
    assert report.valid, report.to_text()
    assert report.profile == str(PROFILES)
    pkg = descriptor(package)
    assert set(report.resources) == {r["name"] for r in pkg["resources"]}
    for r in pkg["resources"]:
        assert report.resources[r["name"]]["bytes"] == r["bytes"]
    rows = {name: r["rows"] for name, r in report.resources.items() if "rows" in r}
    for name, count in rows.items():  # every data row was read
        data = (package / f"data/{name}.csv").read_text(encoding="utf-8")
        assert count == len(list(csv.reader(io.StringIO(data, newline="")))) - 1, name
    assert rows["documents"] == DOCS
    assert frictionless_report(package / "datapackage.json") == (True, set())


def test_one_process_and_workers_give_the_same_report(package: Path, tmp_path: Path) -> None:
    copy = copy_of(package, tmp_path / "pkg")
    set_cell("claim_about", 2, "actor_id", "no-such-actor")(copy)
    (copy / rdf(copy, ".nq")).unlink()
    reports = [check_package(copy, jobs=jobs).to_dict() for jobs in (1, 3)]
    assert reports[0] == reports[1]
    assert [p["code"] for p in reports[0]["problems"]] == ["package-foreign-key", "package-file-missing"]


# ---------------------------------------------------------------- one defect per code

# (name, edit of the copy, code, file (None: the descriptor), row, column, resource frictionless validates,
#  an error type frictionless must report)
CASES = [
    (
        "duplicate primary key",
        lambda copy: edit_rows(copy, "claim_about", lambda rows: rows.__setitem__(2, list(rows[1]))),
        "package-duplicate-key",
        "data/claim_about.csv",
        3,
        1,
        "claim_about",
        "primary-key",
    ),
    (
        "dangling foreign key",
        set_cell("claim_about", 2, "actor_id", "no-such-actor"),
        "package-foreign-key",
        "data/claim_about.csv",
        2,
        3,
        "claim_about",
        "foreign-key",
    ),
    (
        "bad integer",
        set_cell("claim_about", 2, "position", "first"),
        "package-type-error",
        "data/claim_about.csv",
        2,
        2,
        "claim_about",
        "type-error",
    ),
    ("below the minimum", set_cell("claim_about", 2, "position", "0"), "package-range", "data/claim_about.csv", 2, 2)
    + ("claim_about", "constraint-error"),
    (
        "enum violation",
        set_cell("recommendation_actors", 2, "role", "bystander"),
        "package-enum",
        "data/recommendation_actors.csv",
        2,
        2,
        "recommendation_actors",
        "constraint-error",
    ),
    (
        "missing required value",
        set_cell("claim_about", 2, "actor_id", ""),
        "package-required",
        "data/claim_about.csv",
        2,
        3,
        "claim_about",
        "constraint-error",
    ),
    (
        "pattern",
        set_cell("actors", 2, "wikidata", "889"),
        "package-pattern",
        "data/actors.csv",
        2,
        4,
        "actors",
        "constraint-error",
    ),
    (
        "unique field repeated",
        lambda copy: edit_rows(copy, "actors", lambda rows: rows[2].__setitem__(3, rows[1][3])),
        "package-not-unique",
        "data/actors.csv",
        3,
        4,
        "actors",
        "unique-error",
    ),
    (
        "header mismatch",
        edit_bytes("data/claim_cues.csv", lambda b: b.replace(b",cue\n", b",cues\n", 1)),
        "package-header-mismatch",
        "data/claim_cues.csv",
        1,
        3,
        "claim_cues",
        "incorrect-label",
    ),
    (
        "extra cell",
        lambda copy: edit_rows(copy, "claim_cues", lambda rows: rows[1].append("extra")),
        "package-row-shape",
        "data/claim_cues.csv",
        2,
        4,
        "claim_cues",
        "extra-cell",
    ),
    (
        "blank row",
        edit_bytes("data/claim_cues.csv", lambda b: b.replace(b"\n", b"\n,,\n", 1)),
        "package-row-shape",
        "data/claim_cues.csv",
        2,
        1,
        "claim_cues",
        "blank-row",
    ),
    (
        "not UTF-8",
        edit_bytes("data/claim_cues.csv", lambda b: b.replace(b"\n", b"\nx,1,\xff\n", 1)),
        "package-encoding",
        "data/claim_cues.csv",
        2,
        5,
        "claim_cues",
        "encoding-error",
    ),
    (
        "hash mismatch (same size)",
        lambda copy: edit_bytes(rdf(copy, ".ttl"), lambda b: b.replace(b"schema:", b"schemA:", 1), update=False)(copy),
        "package-hash-mismatch",
        ".ttl",
        None,
        None,
        "rdf-synthetic-essays-ttl",
        "hash-count",
    ),
    (
        "bytes mismatch",
        lambda copy: edit_bytes(rdf(copy, ".nt"), lambda b: b + b"\n", update=False)(copy),
        "package-bytes-mismatch",
        ".nt",
        None,
        None,
        "rdf-synthetic-essays-nt",
        "byte-count",
    ),
    (
        "missing file",
        lambda copy: (copy / rdf(copy, ".nq")).unlink(),
        "package-file-missing",
        ".nq",
        None,
        None,
        "rdf-synthetic-essays-nq",
        "scheme-error",
    ),
    (
        "hash mismatch in a table",
        edit_bytes("data/claims.csv", lambda b: b.replace(b"e", b"E", 1), update=False),
        "package-hash-mismatch",
        "data/claims.csv",
        None,
        None,
        "claims",
        "hash-count",
    ),
    (
        "bad date",
        lambda copy: (
            edit_schema("documents", "date", lambda f: f.update(type="date"))(copy),
            edit_rows(
                copy,
                "documents",
                lambda rows: [
                    r.__setitem__(6, "2021-02-30" if i == 2 else "2021-09-01") for i, r in enumerate(rows) if i
                ],
            ),
        ),
        "package-type-error",
        "data/documents.csv",
        3,
        7,
        "documents",
        "type-error",
    ),
    (
        "too long",
        edit_schema("claim_cues", "cue", lambda f: f["constraints"].update(maxLength=2)),
        "package-length",
        "data/claim_cues.csv",
        2,
        3,
        "claim_cues",
        "constraint-error",
    ),
    (
        "malformed hash in the descriptor",
        break_hash,
        "package-descriptor-invalid",
        None,
        None,
        None,
        "documents",
        "hash-count",  # frictionless takes a malformed hash for a mismatch
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_each_defect_is_found_by_both_tools(package: Path, tmp_path: Path, case: tuple) -> None:
    _, edit, code, file, row, column, resource, frictionless_type = case
    copy = copy_of(package, tmp_path / "pkg")
    edit(copy)
    report = check_package(copy, profiles=PROFILES, jobs=1)
    assert not report.valid
    found = [p for p in report.problems if p.code == code]
    assert found, report.to_text()
    first = found[0]
    if file is None:
        assert first.file == str(copy / "datapackage.json")
    else:
        assert first.file is not None and first.file.endswith(file), first
    assert (first.line, first.column) == (row, column), first.format()
    assert first.hint == CODES[code].hint and f"[{code}]" in first.format()
    valid, types = frictionless_report(copy / "datapackage.json", resource)
    assert not valid or frictionless_type is None, types
    if frictionless_type is not None:
        assert frictionless_type in types, types


def test_only_the_planted_defect_is_reported(package: Path, tmp_path: Path) -> None:
    """Keys of a row with a wrong cell are not checked again (no dangling reference after a pattern error)."""
    copy = copy_of(package, tmp_path / "pkg")
    set_cell("claim_about", 2, "claim_id", "Not An Id")(copy)
    report = check_package(copy, jobs=1)
    assert [(p.code, p.line, p.column, p.subject) for p in report.problems] == [
        ("package-pattern", 2, 1, "claim_about.claim_id")
    ]


def test_frictionless_does_not_parse_json_resources(package: Path, tmp_path: Path) -> None:
    """The one check frictionless does not make: a JSON resource that does not parse (bytes and hash agree)."""
    copy = copy_of(package, tmp_path / "pkg")
    text = (copy / JSON_FILE).read_text(encoding="utf-8")
    broken = text.replace('"documents": [', '"documents": [,', 1)
    assert broken != text
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(broken)
    edit_bytes(JSON_FILE, lambda _: broken.encode("utf-8"))(copy)
    report = check_package(copy, jobs=1)
    assert [(p.code, p.line, p.column) for p in report.problems] == [
        ("package-json-invalid", expected.value.lineno, expected.value.colno)
    ]
    assert report.problems[0].file == str(copy / JSON_FILE)
    assert frictionless_report(copy / "datapackage.json", "synthetic-essays-json") == (True, set())


def test_frictionless_reads_bad_quoting_leniently(package: Path, tmp_path: Path) -> None:
    """`"li"kely` is no CSV (RFC 4180); Python's csv module in frictionless reads it as `likely`."""
    copy = copy_of(package, tmp_path / "pkg")
    path = "data/claim_cues.csv"
    first = (copy / path).read_bytes().split(b"\n")[1]
    claim_id = first.split(b",")[0]
    edit_bytes(path, lambda b: b.replace(b"\n", b"\n" + claim_id + b',99,"li"kely\n', 1))(copy)
    report = check_package(copy, jobs=1)
    assert [(p.code, p.line) for p in report.problems] == [("package-csv-invalid", 2)]
    valid, types = frictionless_report(copy / "datapackage.json", "claim_cues")
    assert valid, types  # frictionless takes the row as valid: a check datapkg's is stricter in


def test_the_profile_is_checked(package: Path, tmp_path: Path) -> None:
    copy = copy_of(package, tmp_path / "pkg")
    save_descriptor(copy, {**descriptor(copy), "created": "29 November 2026"})
    report = check_package(copy, profiles=PROFILES, jobs=1)
    assert [(p.code, p.subject) for p in report.problems] == [("package-profile", "created")]
    assert check_package(copy, jobs=1).valid  # without --profiles the date-time format is not checked


def test_unsupported_features_are_reported_not_passed(package: Path, tmp_path: Path) -> None:
    copy = copy_of(package, tmp_path / "pkg")
    edit_schema("claim_cues", "cue", lambda f: f.update(type="geopoint"))(copy)
    report = check_package(copy, jobs=1)
    assert [(p.code, p.subject) for p in report.problems] == [("package-unsupported", "field cue")]
    assert not report.valid


def test_problems_per_resource_are_capped_and_counted(package: Path, tmp_path: Path) -> None:
    copy = copy_of(package, tmp_path / "pkg")
    edit_schema("claim_cues", "cue", lambda f: f["constraints"].update(maxLength=0))(copy)
    report = check_package(copy, jobs=1, max_problems=3)
    rows = report.resources["claim_cues"]["rows"]
    assert len([p for p in report.problems if p.code == "package-length"]) == 3
    assert report.resources["claim_cues"]["problems_not_shown"] == rows - 3
    assert not report.valid and report.to_dict()["errors"] == rows
    assert f"claim_cues: {rows - 3:,} more problem(s) not shown" in report.to_text()


# ---------------------------------------------------------------- keys within one table and across tables


def write_package(root: Path, rows: list[str], fk: dict, extra: list[dict] | None = None) -> Path:
    """A small package: people(id, parent) with a foreign key, plus other resources."""
    root.mkdir()
    data = ("id,parent\n" + "".join(r + "\n" for r in rows)).encode()
    (root / "people.csv").write_bytes(data)
    people = {
        "name": "people",
        "type": "table",
        "path": "people.csv",
        "format": "csv",
        "mediatype": "text/csv",
        "bytes": len(data),
        "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
        "schema": {
            "fields": [{"name": "id", "type": "integer"}, {"name": "parent", "type": "integer"}],
            "primaryKey": ["id"],
            "foreignKeys": [fk],
        },
    }
    pkg = {"$schema": "https://datapackage.org/profiles/2.0/datapackage.json", "resources": [people, *(extra or [])]}
    (root / "datapackage.json").write_text(json.dumps(pkg), encoding="utf-8")
    return root / "datapackage.json"


SELF = {"fields": ["parent"], "reference": {"fields": ["id"]}}


def test_self_references(tmp_path: Path) -> None:
    # Typed keys, as frictionless compares them: parent "+2" is the integer 2, a key of row 3 (read later).
    good = write_package(tmp_path / "good", ["1,", "2,1", "3,+2", "4,3"], SELF)
    assert check_package(good, profiles=PROFILES, jobs=1).valid
    assert frictionless_report(good) == (True, set())
    bad = write_package(tmp_path / "bad", ["1,", "2,5", "3,1", "4,7"], SELF)
    report = check_package(bad, profiles=PROFILES, jobs=1)
    assert [(p.code, p.line, p.column) for p in report.problems] == [
        ("package-foreign-key", 3, 2),
        ("package-foreign-key", 5, 2),
    ]
    assert "(parent) = ('7')" in report.problems[1].message  # the values, read again for the message
    valid, types = frictionless_report(bad)
    assert not valid and types == {"foreign-key"}


def test_references_in_a_cycle_of_tables(tmp_path: Path) -> None:
    """people.parent -> groups.id and groups.leader -> people.id: one table is read before the other's keys."""
    data = b"id,leader\n1,1\n2,4\n"
    groups = {
        "name": "groups",
        "type": "table",
        "path": "groups.csv",
        "format": "csv",
        "bytes": len(data),
        "schema": {
            "fields": [{"name": "id", "type": "integer"}, {"name": "leader", "type": "integer"}],
            "primaryKey": ["id"],
            "foreignKeys": [{"fields": ["leader"], "reference": {"resource": "people", "fields": ["id"]}}],
        },
    }
    fk = {"fields": ["parent"], "reference": {"resource": "groups", "fields": ["id"]}}
    path = write_package(tmp_path / "pkg", ["1,1", "2,3", "3,"], fk, extra=[groups])
    (path.parent / "groups.csv").write_bytes(data)
    report = check_package(path, jobs=1)
    assert [(p.code, p.file, p.line) for p in report.problems] == [
        ("package-foreign-key", str(path.parent / "people.csv"), 3),
        ("package-foreign-key", str(path.parent / "groups.csv"), 3),
    ]
    valid, types = frictionless_report(path)
    assert not valid and types == {"foreign-key"}


# ---------------------------------------------------------------- the command line


def test_cli_exit_codes_and_formats(package: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(cli, ["check", str(package), "--profiles", str(PROFILES), "--jobs", "1"])
    assert ok.exit_code == 0, ok.output
    assert ok.output.splitlines()[-1] == "valid: 0 error(s), 0 warning(s)"
    copy = copy_of(package, tmp_path / "pkg")
    set_cell("claim_about", 2, "position", "first")(copy)
    set_cell("recommendation_actors", 2, "role", "bystander")(copy)
    bad = runner.invoke(cli, ["check", str(copy / "datapackage.json"), "--jobs", "1"])
    assert bad.exit_code == 1
    lines = bad.output.splitlines()
    assert lines[0].startswith(f"{copy}/data/claim_about.csv:2:2: claim_about.position: 'first' is not an integer")
    assert lines[0].endswith("[package-type-error]")
    assert lines[1].startswith(f"{copy}/data/recommendation_actors.csv:2:2: ")
    assert lines[-1] == "invalid: 2 error(s), 0 warning(s)"
    as_json = runner.invoke(cli, ["check", str(copy), "--format", "json", "--jobs", "1"])
    assert as_json.exit_code == 1
    data = json.loads(as_json.output)
    assert data["valid"] is False and data["exit_code"] == 1 and data["errors"] == 2
    assert [(p["code"], p["line"], p["column"]) for p in data["problems"]] == [
        ("package-type-error", 2, 2),
        ("package-enum", 2, 2),
    ]
    missing = runner.invoke(cli, ["check", str(tmp_path / "nothing"), "--format", "json"])
    assert missing.exit_code == 2
    assert json.loads(missing.output)["problems"][0]["code"] == "package-not-found"
    no_profiles = runner.invoke(cli, ["check", str(package), "--profiles", str(tmp_path)])
    assert no_profiles.exit_code == 2 and "--profiles" in no_profiles.output


def test_report_round_trips_as_json(package: Path) -> None:
    report = check_package(package, jobs=1)
    assert isinstance(report, CheckReport)
    assert json.loads(report.to_json()) == report.to_dict()


# ---------------------------------------------------------------- the JSON scanner


def _verdict(text: str, chunk: int, window: int, batch: int) -> tuple[int, int] | None:
    checker = FastJsonChecker(window=window, batch=batch)
    data = text.encode("utf-8")
    try:
        for i in range(0, len(data), chunk):
            checker.feed(data[i : i + chunk])
        checker.close()
    except JsonSyntaxError as exc:
        return exc.line, exc.column
    return None


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=4), inner, max_size=5),
    max_leaves=30,
)


@settings(max_examples=80, deadline=None)
@given(
    value=JSON_VALUES,
    indent=st.sampled_from([None, 2]),
    cut=st.integers(min_value=0, max_value=400),
    insert=st.sampled_from(["", ",", "]", "}", '"', "x", "tru", "1.", "-", ",\n  ", "\\"]),
    chunk=st.sampled_from([1, 5, 64, 4096]),
    small=st.booleans(),
)
def test_json_scanner_agrees_with_the_json_module(
    value: object, indent: int | None, cut: int, insert: str, chunk: int, small: bool
) -> None:
    """Same verdict and same error position as json.loads, whatever the chunks, windows and batches."""
    text = json.dumps({"@graph": [value, value]}, indent=indent, ensure_ascii=False)
    at = min(cut, len(text))
    text = text[:at] + insert + text[at:]
    try:
        json.loads(text)
        expected = None
    except json.JSONDecodeError as exc:
        expected = (exc.lineno, exc.colno)
    assert _verdict(text, chunk, window=16 if small else 1 << 20, batch=32 if small else 1 << 20) == expected


# ---------------------------------------------------------------- the fast path of the cell checks

CELLS = st.one_of(
    st.sampled_from(["", "0", "1", "-0", "+7", "01", "Q889", "q1", "true", "x/y", "a/b", "doc-1/c2", "addressee"]),
    st.from_regex(r"[a-z0-9][a-z0-9_-]{0,5}(/[a-z][a-z0-9_-]{0,4})?", fullmatch=True),
    st.text(alphabet=st.sampled_from("aZ0-/_ \n\x00'é"), max_size=6),
    st.integers(min_value=-3, max_value=3).map(str),
)


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_the_fast_path_accepts_only_rows_every_cell_check_accepts(data: st.DataObject) -> None:
    """The whole-row expression is exact or stricter, never laxer, for every table datapkg writes."""
    from datapkg.pkgfields import CellProblem, field_reader, row_check
    from datapkg.tableschema import TABLES

    table = data.draw(st.sampled_from(TABLES))
    schema = table.descriptor()
    readers = [field_reader(f, schema["missingValues"]) for f in schema["fields"]]
    enums = [v for f in schema["fields"] for v in (f.get("constraints") or {}).get("enum", [])]
    cell = st.one_of(CELLS, st.sampled_from(enums)) if enums else CELLS
    row = data.draw(st.lists(cell, min_size=len(readers), max_size=len(readers)))
    columns = list(range(len(readers)))
    cells_ok = True
    for reader, value in zip(readers, row, strict=True):
        try:
            reader.read(value)
        except CellProblem:
            cells_ok = False
    if row_check(readers, columns)(row):
        assert cells_ok, row
