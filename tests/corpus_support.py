"""Helpers for tests that build generated corpora (parallel, cache, progress)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

from datapkg.emit.files import artefacts, sha256_file
from tests.conftest import ROOT


def make_corpus_module() -> Any:
    """benchmarks/make_corpus.py, imported under the name its worker processes expect."""
    if "make_corpus" not in sys.modules:
        spec = importlib.util.spec_from_file_location("make_corpus", ROOT / "benchmarks" / "make_corpus.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["make_corpus"] = module
        spec.loader.exec_module(module)
    return sys.modules["make_corpus"]


def make_corpus(out: Path, docs: int, seed: int = 3) -> Path:
    make_corpus_module().make_corpus(out, docs, seed=seed)
    return out


def hashes(directory: Path) -> dict[str, str]:
    """SHA-256 of every file of a build but the store (binary, not deterministic)."""
    return {rel: sha256_file(directory / rel) for rel in artefacts(directory, exclude={"store"})}


def break_quote(folder: Path) -> None:
    """Make the first unit quote of a document's annotations point at text that is not in the essay."""
    ann = folder / "annotations.yaml"
    text = ann.read_text(encoding="utf-8")
    m = re.search(r"(?m)^    quote: (.+)$", text)
    assert m, ann
    ann.write_text(text[: m.start(1)] + '"words that are not in the essay"' + text[m.end(1) :], encoding="utf-8")


def documents(seeds: Path) -> list[Path]:
    return sorted((p for p in seeds.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name + "/")
