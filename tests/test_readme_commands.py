"""The README's main job as a user runs it: `datapkg build` with its defaults, in a fresh folder, then a query."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, SEEDS


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "datapkg.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_build_with_defaults_then_query_the_embedded_store(tmp_path: Path) -> None:
    shutil.copytree(SEEDS, tmp_path / "seeds")
    shutil.copytree(ROOT / "queries", tmp_path / "queries")

    built = run(["build"], tmp_path)  # relative default paths: seeds/ and build/
    assert built.returncode == 0, built.stderr
    assert "Traceback" not in built.stderr
    for relative in ("datapackage.json", "SHA256SUMS", "site/index.html", "store", "data/claims.csv"):
        assert (tmp_path / "build" / relative).exists(), relative
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".build")]

    answer = run(["query", "queries/recommendations.rq", "--format", "json"], tmp_path)
    assert answer.returncode == 0, answer.stderr
    rows = json.loads(answer.stdout)["results"]["bindings"]
    assert len(rows) >= 10  # the seed has ten recommendations, each with at least one addressee
