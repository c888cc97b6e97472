"""`datapkg validate` and `datapkg schema` as users run them: exit codes, one line per problem, JSON, no traceback."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from datapkg.cli import cli
from tests.conftest import ROOT, SEEDS

FIXTURES = Path(__file__).parent / "fixtures"
MINIMAL = FIXTURES / "valid" / "minimal"
INVALID = FIXTURES / "invalid"
PROBLEM_LINE = re.compile(r"^\S.*: .+ \[[a-z0-9-]+\]$")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """The real console entry point in a fresh interpreter (exit status, streams, no traceback)."""
    return subprocess.run(
        [sys.executable, "-c", "from datapkg.cli import main; main()", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_shipped_seeds_are_valid() -> None:
    done = run("validate", "--seeds", str(SEEDS))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "valid: 0 error(s)" in done.stdout
    assert "Traceback" not in done.stderr


def test_invalid_data_exits_1_with_one_line_per_problem(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(INVALID / "quote-not-found", seeds)
    done = run("validate", "--seeds", str(seeds))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = done.stdout.splitlines()
    problems, summary = lines[:-2], lines[-2:]
    assert problems and all(PROBLEM_LINE.match(line) for line in problems)
    assert any(line.endswith("[quote-not-found]") and ":23:12: claim c1: quote not found" in line for line in problems)
    assert summary[-1].startswith("invalid: 1 error(s)")


def test_json_report(tmp_path: Path) -> None:
    code, out, _ = invoke("validate", "--seeds", str(INVALID / "dangling-reference-actor"), "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert report["valid"] is False and report["exit_code"] == 1 and report["errors"] == 1
    (problem,) = [p for p in report["problems"] if p["severity"] == "error"]
    assert problem["code"] == "dangling-reference" and problem["line"] == 22 and problem["column"] == 13
    assert problem["file"].endswith("doc-a/annotations.yaml") and problem["hint"] and problem["title"]
    assert set(report["totals"]) >= {"documents", "sentence_coverage", "actors_unmentioned", "units_unrelated"}
    code, out, _ = invoke("validate", "--seeds", str(MINIMAL), "--format", "json")
    assert code == 0 and json.loads(out)["documents"]["doc-a"]["sentence_coverage"] == 1.0


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    done = run("validate", "--seeds", str(tmp_path / "missing"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().endswith("[seeds-missing]") and len(done.stderr.splitlines()) == 1
    for seeds in (tmp_path / "missing", tmp_path):  # no directory; a directory without dataset.yaml
        code, out, _ = invoke("validate", "--seeds", str(seeds), "--format", "json")
        assert code == 2
        report = json.loads(out)
        assert report["exit_code"] == 2 and report["valid"] is False
        assert [p["code"] for p in report["problems"]] == ["seeds-missing"]


def test_bad_option_exits_2() -> None:
    assert invoke("validate", "--format", "xml")[0] == 2
    assert invoke("validate", "--no-such-option")[0] == 2


def test_strict_fails_on_warnings() -> None:
    seeds = str(INVALID / "unit-unrelated")
    code, out, _ = invoke("validate", "--seeds", seeds)
    assert code == 0 and "warning: unit c2" in out and "[unit-unrelated]" in out
    code, out, _ = invoke("validate", "--seeds", seeds, "--strict")
    assert code == 1 and "(strict: warnings count as errors)" in out


def test_problems_with_line_breaks_stay_on_one_line(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(MINIMAL, seeds)
    ann = seeds / "doc-a" / "annotations.yaml"
    ann.write_text(
        ann.read_text(encoding="utf-8").replace(
            "    quote: Cooperation is necessary\n", '    quote: "Cooperation is\\nnecesary"\n'
        ),
        encoding="utf-8",
    )
    code, out, _ = invoke("validate", "--seeds", str(seeds))
    assert code == 1
    line = next(x for x in out.splitlines() if "[quote-not-found]" in x)
    assert "\\n" in line  # the quote's line break is escaped, not printed


def test_every_invalid_fixture_through_the_cli() -> None:
    """The CLI never lets an exception through for any bad input of the suite (exit 1 or 2 only)."""
    for case in sorted(d for d in INVALID.iterdir() if d.is_dir()):
        if "generate:" in (case / "expect.yaml").read_text(encoding="utf-8"):
            continue  # made invalid inside test_invalid.py
        result = CliRunner().invoke(cli, ["validate", "--seeds", str(case), "--strict", "--format", "json"])
        assert isinstance(result.exception, SystemExit | None), (case.name, result.exception)
        assert result.exit_code in (1, 2), case.name
        json.loads(result.stdout)


def test_schema_check_and_write(tmp_path: Path) -> None:
    code, out, _ = invoke("schema", "--check", "--dir", str(ROOT / "schema"))
    assert code == 0 and "up to date" in out
    code, _, err = invoke("schema", "--check", "--dir", str(tmp_path / "new"))
    assert code == 1 and "out of date" in err
    code, out, _ = invoke("schema", "--dir", str(tmp_path / "new"))
    assert code == 0 and "annotations.schema.json" in out
    assert invoke("schema", "--check", "--dir", str(tmp_path / "new"))[0] == 0


def test_schema_into_a_file_fails_cleanly(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory\n", encoding="utf-8")
    code, out, err = invoke("schema", "--dir", str(blocker / "schema"))
    assert code == 1 and "[output-unwritable]" in err
