"""The bad-input suite: every folder of tests/fixtures/invalid/ is a tiny seeds directory with one defect.

Each `expect.yaml` gives the problem `code`, the `file` (relative to the case's seeds directory), its
`line` (null for problems about a whole file or folder) and, where meaningful, `column`; optionally a
`hint` substring, `also` (other error codes the defect causes), `strict` (a warning, which fails only
with --strict), `exit` (2 for usage errors) and `generate` (inputs too big or too odd to commit:
a 50 MB essay, symlinks, undecodable names — made here in tmp_path).

For every case: validate reports exactly the expected codes at the expected place, every problem has a
hint, and a build into an existing output directory fails and leaves that directory untouched.
"""

from __future__ import annotations

import ast
import os
import random
import shutil
from pathlib import Path

import pytest
import yaml

from datapkg.build import build
from datapkg.emit import BuildOptions
from datapkg.errors import CODES, DatapkgError, Problem, UsageError
from datapkg.report import validate

CASES_DIR = Path(__file__).parent / "fixtures" / "invalid"
CASES = sorted(d.name for d in CASES_DIR.iterdir() if d.is_dir())
LOADER_MODULES = ["seeds", "anchor", "mentions", "checks", "yamlsrc", "report"]
# Codes the loader declares but that need a build or a store to happen.
NOT_LOADER = {"output-unwritable"}


def _expect(name: str) -> dict:
    return yaml.safe_load((CASES_DIR / name / "expect.yaml").read_text(encoding="utf-8"))


# ---------------------------------------------------------------- generated inputs


def _essay_50mb(seeds: Path, tmp: Path) -> dict:
    with (seeds / "doc-a" / "essay.txt").open("wb") as f:
        line = b"Cooperation is necessary and this sentence pads the essay to fifty megabytes.\n"
        f.write(line * (50_000_000 // len(line) + 1))
    return {}


def _symlink_essay_outside(seeds: Path, tmp: Path) -> dict:
    secret = tmp / "secret.txt"
    secret.write_text("Cooperation is necessary\n", encoding="utf-8")
    essay = seeds / "doc-a" / "essay.txt"
    essay.unlink()
    essay.symlink_to(secret)
    return {}


def _symlink_document_outside(seeds: Path, tmp: Path) -> dict:
    outside = tmp / "outside-doc"
    shutil.copytree(seeds / "doc-a", outside)
    (seeds / "doc-b").symlink_to(outside, target_is_directory=True)
    return {}


def _symlink_loop(seeds: Path, tmp: Path) -> dict:
    essay = seeds / "doc-a" / "essay.txt"
    essay.unlink()
    essay.symlink_to("essay.txt")
    return {}


def _undecodable_folder_name(seeds: Path, tmp: Path) -> dict:
    source = seeds / "doc-a"
    target = os.path.join(os.fsencode(seeds), b"bad\xff")
    try:
        os.mkdir(target)
    except OSError as exc:  # e.g. a filesystem that insists on UTF-8 names
        pytest.skip(f"cannot create an undecodable file name here: {exc}")
    for f in source.iterdir():
        shutil.copy(f, os.path.join(target, os.fsencode(f.name)))
    return {}


def _essay_random_bytes(seeds: Path, tmp: Path) -> dict:
    rng = random.Random(8)
    data = b"Cooperation\n" + bytes(rng.randrange(256) for _ in range(4000))
    (seeds / "doc-a" / "essay.txt").write_bytes(data)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return {"line": data.count(b"\n", 0, exc.start) + 1}
    raise AssertionError("the random bytes happen to be UTF-8; change the seed")


GENERATORS = {
    "essay-50mb": _essay_50mb,
    "symlink-essay-outside": _symlink_essay_outside,
    "symlink-document-outside": _symlink_document_outside,
    "symlink-loop": _symlink_loop,
    "undecodable-folder-name": _undecodable_folder_name,
    "essay-random-bytes": _essay_random_bytes,
}


def prepare(name: str, tmp_path: Path) -> tuple[Path, dict]:
    """A copy of the case's seeds directory (plus generated inputs) and its expectations."""
    expect = _expect(name)
    seeds = tmp_path / "seeds"
    shutil.copytree(CASES_DIR / name, seeds, symlinks=True, ignore=shutil.ignore_patterns("expect.yaml"))
    if "generate" in expect:
        expect.update(GENERATORS[expect["generate"]](seeds, tmp_path))
    return seeds, expect


def snapshot(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def assert_problem_matches(problem: Problem, expect: dict, seeds: Path) -> None:
    expected_file = os.path.normpath(os.path.join(seeds, expect["file"]))
    assert problem.file is not None, problem.format()
    assert os.path.normpath(os.path.abspath(problem.file)) == expected_file, problem.format()
    if "line" in expect:
        assert problem.line == expect["line"], problem.format()
    if "column" in expect:
        assert problem.column == expect["column"], problem.format()
    if "hint" in expect:
        assert expect["hint"] in (problem.hint or ""), problem.format()


# ---------------------------------------------------------------- the suite


@pytest.mark.parametrize("name", CASES)
def test_invalid_case(name: str, tmp_path: Path) -> None:
    seeds, expect = prepare(name, tmp_path)
    code = expect["code"]

    if expect.get("exit") == 2:
        with pytest.raises(UsageError) as info:
            validate(seeds)
        problems = info.value.problems
        assert [p.code for p in problems] == [code]
    else:
        report = validate(seeds, strict=bool(expect.get("strict")))
        assert not report.valid
        problems = report.problems
        failing = report.warnings if expect.get("strict") else report.errors
        assert {p.code for p in failing} == {code, *expect.get("also", [])}, report.to_text()
        if expect.get("strict"):
            assert not report.errors and validate(seeds).valid  # a warning alone does not fail
    matching = [p for p in problems if p.code == code]
    assert_problem_matches(matching[0], expect, seeds)
    for p in problems:
        assert p.hint, p.format()
        assert "\n" not in p.format()
        if p.line is not None:
            assert p.line >= 1 and (p.column is None or p.column >= 1)

    # Nothing is written: a build fails and leaves the previous output as it was, with no leftovers.
    if not expect.get("strict"):
        out = tmp_path / "out" / "build"
        out.mkdir(parents=True)
        (out / "datapackage.json").write_text('{"previous": "build"}\n', encoding="utf-8")
        before = snapshot(out)
        with pytest.raises(DatapkgError) as info:
            build(seeds, out, BuildOptions(store=False))
        assert code in {p.code for p in info.value.problems}
        assert snapshot(out) == before
        assert sorted(p.name for p in out.parent.iterdir()) == ["build"]


def loader_codes() -> set[str]:
    """Every problem code the loader can raise: the code literals in the loader modules' source."""
    found = set()
    for module in LOADER_MODULES:
        tree = ast.parse((Path(__file__).parent.parent / "datapkg" / f"{module}.py").read_text(encoding="utf-8"))
        found |= {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and n.value in CODES}
    return found - NOT_LOADER


def test_every_loader_code_has_a_fixture() -> None:
    codes = loader_codes()
    assert len(codes) > 40  # the scan finds them (a broken scan would make this test vacuous)
    covered = {_expect(name)["code"] for name in CASES}
    assert codes - covered == set()
    assert len(CASES) >= 40


def test_fixtures_are_small_and_exact() -> None:
    """Committed fixtures stay tiny; line ends and bytes are exactly as written (.gitattributes: -text)."""
    total = sum(p.stat().st_size for p in CASES_DIR.rglob("*") if p.is_file())
    assert total < 300_000
    crlf = (CASES_DIR / "text-crlf" / "doc-a" / "essay.txt").read_bytes()
    assert b"\r\n" in crlf
