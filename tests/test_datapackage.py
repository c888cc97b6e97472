"""datapackage.json, csv-metadata.json and the JSON document, checked with the real tools and profiles."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from datapkg import schemagen
from datapkg.config import DatasetSpec
from datapkg.emit.datapackage import PROFILE, created_datetime
from datapkg.emit.jsondoc import SCHEMA_NAME, json_schema, read_dataset, records_of
from datapkg.seeds import open_seeds
from datapkg.tableschema import DIALECT, TABLES
from tests.conftest import ROOT, SEEDS, SHARED, need_tool
from tests.test_tables import seed_records

PROFILES = SHARED / "reference" / "datapackage-profiles-2.0"
PROFILE_BASE = "https://datapackage.org/profiles/2.0/"


def descriptor(build_dir: Path) -> dict:
    return json.loads((build_dir / "datapackage.json").read_text(encoding="utf-8"))


def dataset() -> DatasetSpec:
    return open_seeds(SEEDS).dataset


# ---------------------------------------------------------------- official tools and profiles


def test_frictionless_cli_validates_the_package(built: Path) -> None:
    tool = need_tool("frictionless")
    result = subprocess.run(
        [tool, "validate", "--type", "package", "datapackage.json"], cwd=built, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


def _profile(name: str) -> dict:
    return json.loads((PROFILES / name).read_text(encoding="utf-8"))


def _validator(name: str) -> jsonschema.Draft7Validator:
    """A validator for one v2 profile, with the sibling profiles resolvable offline."""
    registry: Registry = Registry().with_resources(
        (PROFILE_BASE + p.name, Resource(contents=_profile(p.name), specification=DRAFT7))
        for p in PROFILES.glob("*.json")
    )
    schema = _profile(name)
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(
        schema, registry=registry, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )


def _errors(validator: jsonschema.Draft7Validator, instance: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in validator.iter_errors(instance)]


def test_descriptor_validates_against_the_official_v2_profiles(built: Path) -> None:
    # Without rfc3339-validator jsonschema skips date-time silently; the profile requires it for `created`.
    assert "date-time" in jsonschema.Draft7Validator.FORMAT_CHECKER.checkers
    pkg = descriptor(built)
    assert pkg["$schema"] == PROFILE == PROFILE_BASE + "datapackage.json"
    assert _errors(_validator("datapackage.json"), pkg) == []
    resource, schema, dialect = (_validator(n) for n in ("dataresource.json", "tableschema.json", "tabledialect.json"))
    for r in pkg["resources"]:
        assert _errors(resource, r) == [], r["name"]
        if r.get("type") == "table":
            assert _errors(schema, r["schema"]) == [], r["name"]
            assert _errors(dialect, r["dialect"]) == [], r["name"]


def test_the_profile_check_can_fail(built: Path) -> None:
    pkg = descriptor(built)
    pkg["created"] = "29 November 2026"
    pkg["resources"][0]["hash"] = "sha256:not-hex"
    assert len(_errors(_validator("datapackage.json"), pkg)) >= 2


def _rehash(copy: Path, path: str) -> None:
    """Update bytes and hash of one resource so that only the planted defect remains."""
    pkg = descriptor(copy)
    data = (copy / path).read_bytes()
    for r in pkg["resources"]:
        if r["path"] == path:
            r["bytes"], r["hash"] = len(data), "sha256:" + hashlib.sha256(data).hexdigest()
    (copy / "datapackage.json").write_text(json.dumps(pkg, indent=2), encoding="utf-8")


def _edit_cell(copy: Path, path: str, column: str, value: str) -> None:
    """Set `column` of the first data row (tables whose first rows hold no quoted newlines)."""
    file = copy / path
    lines = file.read_text(encoding="utf-8").split("\n")
    header = lines[0].split(",")
    cells = lines[1].split(",")
    assert len(cells) == len(header), "pick a table whose first row has no commas in its cells"
    cells[header.index(column)] = value
    lines[1] = ",".join(cells)
    file.write_text("\n".join(lines), encoding="utf-8", newline="")


@pytest.mark.parametrize(
    ("defect", "expected"),
    [
        ("foreign-key", "foreign-key"),
        ("type", "type-error"),
        ("enum", "constraint-error"),
        ("hash", "hash-count"),
    ],
)
def test_frictionless_catches_a_broken_copy(built: Path, tmp_path: Path, defect: str, expected: str) -> None:
    from frictionless import validate

    copy = tmp_path / "copy"
    shutil.copytree(built, copy, ignore=shutil.ignore_patterns("store", "site", "dist"))
    if defect == "foreign-key":
        _edit_cell(copy, "data/claim_about.csv", "actor_id", "no-such-actor")
        _rehash(copy, "data/claim_about.csv")
    elif defect == "type":
        _edit_cell(copy, "data/claim_about.csv", "position", "first")
        _rehash(copy, "data/claim_about.csv")
    elif defect == "enum":
        _edit_cell(copy, "data/recommendation_actors.csv", "role", "bystander")
        _rehash(copy, "data/recommendation_actors.csv")
    else:  # same size, different bytes: only the hash can tell
        path = copy / "data/claims.csv"
        data = bytearray(path.read_bytes())
        i = data.index(b"Taliban")
        data[i] = ord("t")
        path.write_bytes(bytes(data))
    report = validate(copy / "datapackage.json")
    assert not report.valid
    types = {e.type for task in report.tasks for e in task.errors}
    assert expected in types, types
    if defect == "foreign-key":  # the command line says so too, with its exit status
        tool = need_tool("frictionless")
        cli = subprocess.run([tool, "validate", "--type", "package", "datapackage.json"], cwd=copy, capture_output=True)
        assert cli.returncode != 0


# ---------------------------------------------------------------- descriptor content


def test_descriptor_metadata_comes_from_the_seeds(built: Path) -> None:
    pkg, ds = descriptor(built), dataset()
    assert pkg["name"] == ds.name and pkg["version"] == ds.version and pkg["title"] == ds.title
    assert pkg["id"] == ds.base_iri
    assert pkg["created"] == created_datetime(ds.created) and pkg["created"].startswith(ds.created)
    assert [lic["name"] for lic in pkg["licenses"]] == [lic.name for lic in ds.licenses]
    assert pkg["contributors"] and pkg["keywords"] == ds.keywords
    docs, _ = seed_records()
    assert len(pkg["sources"]) == len(docs)
    assert all(d.document.id in s["title"] for d, s in zip(docs, pkg["sources"], strict=True))


def test_every_table_is_a_typed_described_resource(built: Path) -> None:
    resources = {r["name"]: r for r in descriptor(built)["resources"]}
    for t in TABLES:
        r = resources[t.name]
        assert r["type"] == "table" and r["path"] == t.path and r["format"] == "csv"
        assert r["mediatype"] == "text/csv" and r["encoding"] == "utf-8"
        assert r["dialect"] == DIALECT and r["dialect"]["lineTerminator"] == "\n"
        assert r["schema"]["primaryKey"] == list(t.primary_key)
        assert r["schema"]["missingValues"] == [""]
        for f in r["schema"]["fields"]:
            assert f["type"] in ("string", "integer", "boolean") and f["description"], (t.name, f["name"])
        refs = {(tuple(fk["fields"]), fk["reference"]["resource"]) for fk in r["schema"].get("foreignKeys", [])}
        assert refs == {(fk.fields, fk.resource) for fk in t.foreign_keys}
        assert t.name in ("documents", "actors") or refs, f"{t.name} refers to nothing"
    for r in resources.values():
        assert not r["path"].startswith(("/", "..")) and "/../" not in r["path"] and "\\" not in r["path"]


def test_hashes_are_those_of_sha256sums(built: Path) -> None:
    sums = dict(
        reversed(line.split("  ", 1)) for line in (built / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    )
    resources = descriptor(built)["resources"]
    assert resources
    for r in resources:
        data = (built / r["path"]).read_bytes()
        assert r["bytes"] == len(data)
        assert r["hash"] == f"sha256:{sums[r['path']]}" == "sha256:" + hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------- the JSON document and schema files


def test_json_document_validates_and_round_trips(built: Path) -> None:
    ds = dataset()
    path = built / f"{ds.name}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    schema = json.loads((built / data["$schema"]).read_text(encoding="utf-8"))
    assert schema == json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    assert [e.message for e in validator.iter_errors(data)] == []
    broken = {**data, "documents": [{**data["documents"][0], "claims": [{"id": "x"}]}]}
    assert list(validator.iter_errors(broken)), "the schema must reject a malformed claim"
    docs, actors = seed_records()
    loaded = read_dataset(path)
    assert records_of(loaded) == docs
    assert loaded.actors == actors
    assert loaded.dataset.name == ds.name and loaded.dataset.created == ds.created


def test_schema_files_are_generated_and_current() -> None:
    files = schemagen.generate_all()
    assert SCHEMA_NAME in files
    for t in TABLES:
        name = f"tables/{t.name}.schema.json"
        assert name in files
        generated = json.loads(files[name])
        assert _errors(_validator("tableschema.json"), generated) == []
        assert generated["fields"] == t.descriptor()["fields"]
    mine = [n for n in files if n.startswith("tables/") or n == SCHEMA_NAME]
    assert [n for n in schemagen.drift(ROOT / "schema") if n in mine] == [], "run `datapkg schema`"


def test_csvw_metadata_describes_every_table(built: Path) -> None:
    meta = json.loads((built / "csv-metadata.json").read_text(encoding="utf-8"))
    assert meta["@context"] == "http://www.w3.org/ns/csvw"
    assert [t["url"] for t in meta["tables"]] == [t.path for t in TABLES]
    assert meta["dialect"]["trim"] is False and meta["dialect"]["lineTerminators"] == ["\n"]
    for described, t in zip(meta["tables"], TABLES, strict=True):
        assert [c["name"] for c in described["tableSchema"]["columns"]] == list(t.column_names)
        assert described["tableSchema"]["primaryKey"] == list(t.primary_key)
