"""Shared fixtures. Area-specific fixtures live in the test module that uses them."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SHARED = ROOT.parent / "shared"
IN_CI = os.environ.get("CI") == "true"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-snapshots", action="store_true", help="Rewrite snapshot files instead of comparing.")


@pytest.fixture(scope="session")
def update_snapshots(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-snapshots"))


def need_tool(name: str) -> str:
    """Path of an external tool; a missing tool skips locally but fails under CI (CI=true)."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (apt-get install it; .ci/run does)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped seeds built once per session without the embedded store (read-only for tests)."""
    from datapkg.build import build
    from datapkg.emit import BuildOptions

    out = tmp_path_factory.mktemp("built") / "build"
    build(SEEDS, out, BuildOptions(store=False))
    return out


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped seeds."""
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS, target)
    return target


@pytest.fixture(scope="session")
def corpus_nq(built: Path) -> Path:
    """The built N-Quads file (what stores are loaded from)."""
    from datapkg import store

    return store.find_nquads(built)


@pytest.fixture(scope="session")
def embedded(corpus_nq: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An embedded store loaded from the built N-Quads, to compare servers' answers with."""
    from datapkg import store

    target = tmp_path_factory.mktemp("embedded") / "store"
    store.load(corpus_nq, target)
    return target
