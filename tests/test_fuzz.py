"""Fuzzing the loader and the build with generated annotation documents.

- valid generated documents (awkward text: quotes, backslashes, line breaks, non-ASCII, formula-like
  notes) validate with --strict, build, and come back unchanged from the JSON document, the CSV
  tables and every RDF format;
- mutated documents (deleted keys, wrong types, random strings, unknown keys, truncated YAML, random
  bytes, bad essays) make the loader report datapkg problems, never raise anything else.

Examples are bounded and derandomized so CI runs the same cases every time.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datapkg.errors import CODES, DatapkgError
from datapkg.report import Report, validate
from datapkg.seeds import ActorIndex, iter_documents, merge_actors, open_seeds

MINIMAL = Path(__file__).parent / "fixtures" / "valid" / "minimal"
FUZZ = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,  # no example database in the work tree
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
BUILDS = settings(FUZZ, max_examples=8)

WORDS = ["cooperation", "Kabul", "naïve", "𝕏-factor", "“quoted”", 'say "no"', "back\\slash", "O’Brien", "50%", "état"]
ACTORS = [
    ("united-states", "United States", "state", "Q30"),
    ("pakistan", "Pakistan", "state", "Q843"),
    ("obrien", "O’Brien", "person", None),
    ("etat", "État Major", "government-body", None),
    ("q-corp", "Q-Corp", "organisation", None),
]
NASTY = st.sampled_from(
    [
        '=HYPERLINK("http://evil.example","click")',
        "+1 and more",
        "-2",
        "@SUM(A1:A2)",
        'a "quote" and a \\ backslash',
        "two\nlines",
        "tab\there",
        "naïve 𝕏 ‘quoted’ — dash",
        "<b>not html</b> & ampersand",
        "ends with backslash \\",
        '"""triple"""',
        "'single'",
    ]
)


# ---------------------------------------------------------------- generated documents


@st.composite
def documents(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """A valid annotations.yaml (as data) and its essay: every sentence a unit, every unit related."""
    actors = draw(st.lists(st.sampled_from(ACTORS), min_size=1, max_size=4, unique_by=lambda a: a[0]))
    n = draw(st.integers(max(2, len(actors)), 6))
    sentences = []
    for i in range(n):
        words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=5))
        actor = actors[i % len(actors)]
        sentences.append(f"S{i} {' '.join(words)} with {actor[1]}.")  # S<i> makes every sentence unique
    title = draw(NASTY | st.just("A plain title"))
    essay = "\n".join(sentences) + "\n"
    claims, recommendations = [], []
    for i, sentence in enumerate(sentences):
        unit: dict[str, Any] = {"id": f"c{i}", "quote": sentence[:-1]}
        if draw(st.booleans()):
            unit["note"] = draw(NASTY)
        if i and draw(st.booleans()):
            unit |= {
                "addressees": [actors[i % len(actors)][0]],
                "action": draw(NASTY),
                "modality": draw(st.sampled_from(["obligation", "advice", "possibility"])),
            }
            recommendations.append(unit)
        else:
            unit |= {
                "kind": draw(st.sampled_from(["factual", "evaluative", "predictive"])),
                "role": "thesis" if i == 0 else draw(st.sampled_from(["reason", "evidence", "concession"])),
                "about": [actors[i % len(actors)][0]],
            }
            claims.append(unit)
    relations = [
        {
            "source": f"c{i}",
            "target": f"c{draw(st.integers(0, i - 1))}",
            "type": draw(st.sampled_from(["supports", "attacks"])),
        }
        for i in range(1, n)
    ]
    document: dict[str, Any] = {"title": title, "language": "en"}
    if draw(st.booleans()):
        evidence = sentences[-1].split(" with ")[0]
        document["date"] = {"value": "2021-08", "status": "inferred", "evidence": [evidence], "note": draw(NASTY)}
    data: dict[str, Any] = {
        "document": document,
        "actors": [
            {"id": a, "name": name, "kind": kind, **({"wikidata": q} if q else {}), "description": draw(NASTY)}
            for a, name, kind, q in actors
        ],
        "claims": claims,
        "recommendations": recommendations,
        "relations": relations,
    }
    return data, essay


def write_seeds(root: Path, data: dict[str, Any] | str | bytes, essay: str | bytes) -> Path:
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(MINIMAL, root)
    doc = root / "doc-a"
    if isinstance(data, dict):
        data = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    (doc / "annotations.yaml").write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    (doc / "essay.txt").write_bytes(essay.encode("utf-8") if isinstance(essay, str) else essay)
    return root


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@FUZZ
@given(doc=documents())
def test_generated_documents_are_valid(doc: tuple[dict[str, Any], str], workdir: Path) -> None:
    data, essay = doc
    report = validate(write_seeds(workdir / "seeds", data, essay), strict=True)
    assert report.valid, report.to_text()


# ---------------------------------------------------------------- mutations


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


def _set(data: Any, path: tuple, value: Any, delete: bool = False) -> None:
    for part in path[:-1]:
        data = data[part]
    if delete:
        del data[path[-1]]
    else:
        data[path[-1]] = value


JUNK = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str | bytes, str | bytes]:
    data, essay = draw(documents())
    how = draw(st.sampled_from(["delete", "replace", "unknown-key", "truncate", "bytes", "essay", "raw-yaml"]))
    paths = _paths(data)
    if how == "delete":
        _set(data, draw(st.sampled_from(paths)), None, delete=True)
    elif how == "replace":
        _set(data, draw(st.sampled_from(paths)), draw(JUNK))
    elif how == "unknown-key":
        targets = [p for p in paths if isinstance(_get(data, p), dict)] or [()]
        target = draw(st.sampled_from(targets))
        (_get(data, target) if target else data)[draw(st.text(min_size=1, max_size=8))] = draw(JUNK)
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    if how == "truncate":
        return text[: draw(st.integers(0, len(text)))], essay
    if how == "bytes":
        raw = bytearray(text.encode("utf-8"))
        for _ in range(draw(st.integers(1, 5))):
            raw[draw(st.integers(0, len(raw) - 1))] = draw(st.integers(0, 255))
        return bytes(raw), essay
    if how == "essay":
        kind = draw(st.sampled_from(["bytes", "bom", "nul", "crlf", "empty", "nfd", "cut"]))
        broken: str | bytes = {
            "bytes": lambda: draw(st.binary(max_size=200)),
            "bom": lambda: "\ufeff" + essay,
            "nul": lambda: essay.replace(" ", "\x00", 1),
            "crlf": lambda: essay.replace("\n", "\r\n"),
            "empty": lambda: " \n",
            "nfd": lambda: essay.replace("ï", "i\u0308"),
            "cut": lambda: essay[: len(essay) // 2],
        }[kind]()
        return text, broken
    if how == "raw-yaml":
        return draw(st.text(max_size=200)), essay
    return text, essay


def _get(data: Any, path: tuple) -> Any:
    for part in path:
        data = data[part]
    return data


def _check_report(report: Report) -> None:
    for p in report.problems:
        assert p.code in CODES and p.hint and p.file
        assert p.line is None or p.line >= 1
        assert p.column is None or (p.line is not None and p.column >= 1)
        assert "\n" not in p.format()
    json.loads(report.to_json())


@FUZZ
@given(case=mutated())
def test_mutated_documents_raise_only_datapkg_errors(case: tuple[str | bytes, str | bytes], workdir: Path) -> None:
    annotations, essay = case
    seeds = write_seeds(workdir / "mutated", annotations, essay)
    try:
        report = validate(seeds, strict=True)
    except DatapkgError as exc:  # only usage errors escape validate(), and they are ours
        assert all(p.code in CODES for p in exc.problems)
        return
    _check_report(report)


@FUZZ
@given(data=st.binary(max_size=300), essay=st.binary(max_size=100))
def test_random_bytes(data: bytes, essay: bytes, workdir: Path) -> None:
    _check_report(validate(write_seeds(workdir / "bytes", data, essay)))


# ---------------------------------------------------------------- round trip through the build


IRI = re.compile(r"^https?://[^\s<>\"{}|\\^`]+$")


def _loaded(seeds: Path) -> tuple[list, list]:
    index, docs = ActorIndex(), []
    for result in iter_documents(open_seeds(seeds)):
        merge_actors(index, result)
        assert result.records is not None
        docs.append(result.records)
    return docs, index.sorted()


def _csv_rows(build: Path) -> dict[str, list[dict[str, Any]]]:
    from datapkg.emit.tables import read_table
    from datapkg.tableschema import TABLES

    return {t.name: list(read_table(build / t.path, t)) for t in TABLES}


def _expected_rows(docs: list, actors: list) -> dict[str, list[dict[str, Any]]]:
    """The rows each table must hold, derived from the records and the table definitions alone."""
    from datapkg.tableschema import TABLES

    owners: dict[str, list[Any]] = {
        "documents": [d.document for d in docs],
        "document_facts": [f for d in docs for f in d.document.facts],
        "actors": actors,
        "claims": [c for d in docs for c in d.claims],
        "recommendations": [c for d in docs for c in d.recommendations],
        "relations": [r for d in docs for r in d.relations],
        "mentions": [m for d in docs for m in d.mentions],
    }
    out: dict[str, list[dict[str, Any]]] = {}
    for t in TABLES:
        names = t.column_names
        if t.name == "document_fact_evidence":  # facts are keyed by (document, property)
            out[t.name] = [
                dict(zip(names, (f.document_id, f.property, i, quote), strict=True))
                for f in owners["document_facts"]
                for i, quote in enumerate(f.evidence, start=1)
            ]
        elif t.link is None:
            out[t.name] = [{c: _plain(getattr(r, c)) for c in names} for r in owners[t.name]]
        else:
            out[t.name] = [
                dict(zip(names, (r.id, *([kind] if t.link.kind_column else []), i, item), strict=True))
                for r in owners[t.foreign_keys[0].resource]
                for kind, field in t.link.kinds
                for i, item in enumerate(getattr(r, field), start=1)
            ]
    return out


def _plain(value: Any) -> Any:
    return None if value == "" else value


def _sorted(rows: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps(r, sort_keys=True, ensure_ascii=False) for r in rows)


@BUILDS
@given(doc=documents())
def test_valid_documents_round_trip_through_every_output(doc: tuple[dict[str, Any], str], workdir: Path) -> None:
    import rdflib

    from datapkg.build import build
    from datapkg.emit import BuildOptions
    from datapkg.emit.jsondoc import read_dataset, records_of

    data, essay = doc
    seeds = write_seeds(workdir / "rt-seeds", data, essay)
    out = workdir / "rt-out" / "build"
    shutil.rmtree(out.parent, ignore_errors=True)
    build(seeds, out, BuildOptions(store=False))
    docs, actors = _loaded(seeds)

    # JSON → model
    dataset = read_dataset(out / "fixture.json")
    assert records_of(dataset) == docs
    assert list(dataset.actors) == actors

    # CSV → rows equal to the records' values; no cell can run as a spreadsheet formula
    got, expected = _csv_rows(out), _expected_rows(docs, actors)
    for name, rows in expected.items():
        assert _sorted(got[name]) == _sorted(rows), name
    for path in (out / "data").glob("*.csv"):
        with path.open(encoding="utf-8", newline="") as f:
            for row in csv.reader(f):
                assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for cell in row), (path.name, row)

    # RDF: every format parses, holds the exact texts, and mints only valid absolute IRIs
    texts = {essay, *(c.text for d in docs for c in d.claims), *(a.description for a in actors)}
    notes = {c.note for d in docs for c in d.claims if c.note}
    formats = {"ttl": "turtle", "nt": "nt", "nq": "nquads", "jsonld": "json-ld"}
    for ext, fmt in formats.items():
        path = out / "rdf" / f"fixture.{ext}"
        graph = rdflib.Dataset()
        graph.parse(path, format=fmt)
        terms = {t for quad in graph.quads((None, None, None, None)) for t in quad[:3]}
        assert terms, ext
        literals = {str(t) for t in terms if isinstance(t, rdflib.Literal)}
        assert texts <= literals, (ext, texts - literals)
        assert notes <= literals, (ext, notes - literals)
        for t in terms:
            if isinstance(t, rdflib.URIRef):
                assert IRI.match(str(t)), (ext, str(t))

    # datapackage.json: every path relative, inside the build, and present
    package = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    for resource in package["resources"]:
        for p in [resource["path"]] if isinstance(resource["path"], str) else resource["path"]:
            assert not p.startswith("/") and "\\" not in p and ".." not in p.split("/") and "://" not in p
            assert (out / p).resolve().is_relative_to(out.resolve()) and (out / p).is_file()
