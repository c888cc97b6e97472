"""The build cache: unchanged documents are reused, changed ones rebuilt, bad entries ignored; same bytes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from datapkg import build as build_module
from datapkg import buildcache, pipeline
from datapkg.build import build
from datapkg.buildcache import BuildCache, default_dir
from datapkg.emit import BuildOptions
from datapkg.errors import DataError
from tests.corpus_support import break_quote, documents, hashes, make_corpus

DOCS = 5


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_corpus(tmp_path_factory.mktemp("corpus") / "seeds", DOCS, seed=11)


@pytest.fixture(scope="module")
def reference(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Hashes of the corpus built without any cache."""
    out = tmp_path_factory.mktemp("reference") / "build"
    build(corpus, out, BuildOptions(store=False, cache=False))
    assert not (out.parent / buildcache.CACHE_DIR).exists()
    return hashes(out)


@pytest.fixture
def seeds(corpus: Path, tmp_path: Path) -> Path:
    target = tmp_path / "seeds"
    shutil.copytree(corpus, target)
    return target


def cached(**kw: object) -> BuildOptions:
    return BuildOptions(**{"store": False, "cache": True, **kw})  # type: ignore[arg-type]


def entries(out: Path) -> list[Path]:
    return sorted(default_dir(out).glob("*.bin"))


def test_a_rebuild_reads_every_document_from_the_cache_and_writes_the_same_bytes(
    seeds: Path, tmp_path: Path, reference: dict[str, str]
) -> None:
    out = tmp_path / "build"
    first = build(seeds, out, cached())
    assert first.counts["cache"] == {"hits": 0, "misses": DOCS}
    assert hashes(out) == reference
    assert len(entries(out)) == DOCS
    for jobs in (1, 2):
        (default_dir(out) / buildcache.MANIFEST).unlink()  # else: "up to date", nothing rebuilt at all
        again = build(seeds, out, cached(jobs=jobs))
        assert again.counts["cache"] == {"hits": DOCS, "misses": 0} and "up_to_date" not in again.counts
        assert again.documents == first.documents
        assert hashes(out) == reference


def test_a_changed_document_is_rebuilt_and_the_others_reused(seeds: Path, tmp_path: Path) -> None:
    out = tmp_path / "build"
    build(seeds, out, cached())
    folder = documents(seeds)[2]
    essay = folder / "essay.txt"
    essay.write_bytes(essay.read_bytes() + b"\n")  # trailing newline: still valid, other offsets unchanged
    ann = folder / "annotations.yaml"
    text = ann.read_text(encoding="utf-8")
    ann.write_text("\n".join(x for x in text.splitlines() if not x.startswith("  sha256:")) + "\n", encoding="utf-8")
    ctx = build(seeds, out, cached())
    assert ctx.counts["cache"] == {"hits": DOCS - 1, "misses": 1}
    fresh = tmp_path / "fresh"
    build(seeds, fresh, BuildOptions(store=False))
    assert hashes(out) == hashes(fresh)
    assert len(entries(out)) == DOCS  # the entry of the old version was pruned


def test_corrupt_truncated_and_foreign_entries_are_misses(
    seeds: Path, tmp_path: Path, reference: dict[str, str]
) -> None:
    out = tmp_path / "build"
    build(seeds, out, cached())
    (default_dir(out) / buildcache.MANIFEST).unlink()
    bad = entries(out)
    bad[0].write_bytes(bad[0].read_bytes()[:100])  # truncated
    data = bytearray(bad[1].read_bytes())
    data[-10] ^= 0xFF  # one flipped bit in the body
    bad[1].write_bytes(bytes(data))
    bad[2].write_bytes(b"not a cache entry at all")
    (default_dir(out) / f".{'0' * 64}.tmp-999999999").write_bytes(b"left by a killed writer")
    ctx = build(seeds, out, cached())
    assert ctx.counts["cache"] == {"hits": DOCS - 3, "misses": 3}
    assert hashes(out) == reference
    assert BuildCache(default_dir(out)).get(bad[0].stem) is not None  # rewritten
    left = sorted(p.name for p in default_dir(out).iterdir())
    assert left == sorted([buildcache.MANIFEST, *(p.name for p in entries(out))])  # the temporary file went


def test_force_ignores_the_cache_and_no_cache_leaves_none(seeds: Path, tmp_path: Path) -> None:
    out = tmp_path / "build"
    build(seeds, out, cached())
    ctx = build(seeds, out, cached(force=True))
    assert ctx.counts["cache"] == {"hits": 0, "misses": DOCS}
    other = tmp_path / "other"
    build(seeds, other, BuildOptions(store=False, cache=False))
    assert not default_dir(other).exists()


def test_new_code_invalidates_every_entry(seeds: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "build"
    build(seeds, out, cached())
    monkeypatch.setattr(build_module, "corpus_fingerprint", lambda *args: "another datapkg")
    ctx = build(seeds, out, cached())
    assert ctx.counts["cache"] == {"hits": 0, "misses": DOCS}


def test_invalid_documents_come_from_the_cache_with_the_same_problems(
    seeds: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    break_quote(documents(seeds)[-1])  # the last: documents after a failing one are checked, not rendered
    out = tmp_path / "build"
    with pytest.raises(DataError) as first:
        build(seeds, out, cached())

    def must_not_load(*args: object) -> None:
        raise AssertionError("document loaded although it is in the cache")

    monkeypatch.setattr(pipeline, "load_document", must_not_load)
    with pytest.raises(DataError) as second:
        build(seeds, out, cached())
    assert [p.format() for p in second.value.problems] == [p.format() for p in first.value.problems]
    assert "quote-not-found" in {p.code for p in first.value.problems}
    assert not out.exists()


def test_the_cli_uses_the_cache_by_default(seeds: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from datapkg.cli import cli

    out = tmp_path / "build"
    args = ["build", "--no-store", "--jobs", "1", "--seeds", str(seeds), "--out", str(out)]
    runner = CliRunner()
    first = runner.invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert "from the build cache" not in first.output
    second = runner.invoke(cli, [*args, "--timings"])
    assert second.exit_code == 0, second.output
    assert f"{out} is up to date: {DOCS} document(s)" in second.output
    (documents(seeds)[0] / "essay.txt").touch()  # same bytes: same key
    (out / "README.md").write_text("edited by hand", encoding="utf-8")  # the build is not what was written
    third = runner.invoke(cli, [*args, "--timings"])
    assert f"built {DOCS} document(s) ({DOCS} from the build cache)" in third.output
    assert f"timings ({DOCS} documents, {DOCS} from the build cache)" in third.output  # --timings
    forced = runner.invoke(cli, [*args, "--force"])
    assert "from the build cache" not in forced.output


@pytest.mark.parametrize("codec", ["zstd", "zlib"])
def test_entries_round_trip_with_either_codec_and_unknown_codecs_are_misses(tmp_path: Path, codec: str) -> None:
    if codec == "zstd" and buildcache.zstandard is None:
        pytest.skip("zstandard is not installed")
    cache = BuildCache(tmp_path, codec=codec)
    payload = b"outcome " * 10_000
    assert cache.put("a" * 64, payload)
    assert cache.get("a" * 64) == payload
    assert cache.path("a" * 64).read_bytes().startswith(buildcache.MAGIC + codec.encode() + b"\n")
    cache.readers = {}  # a datapkg that cannot read this codec
    assert cache.get("a" * 64) is None
    assert cache.get("b" * 64) is None  # missing


def test_nothing_changed_leaves_the_output_as_it_is(seeds: Path, tmp_path: Path, reference: dict[str, str]) -> None:
    out = tmp_path / "build"
    build(seeds, out, cached())
    inode = out.stat().st_ino
    ctx = build(seeds, out, cached(jobs=2))
    assert ctx.counts["up_to_date"] is True and ctx.counts["cache"] == {"hits": DOCS, "misses": 0}
    assert ctx.documents == [p.name for p in documents(seeds)] and ctx.out == out
    assert sum(ctx.counts["rows"].values()) > DOCS
    assert out.stat().st_ino == inode  # not replaced
    assert hashes(out) == reference
    # Anything that would change the output makes it build again: other options, a changed file,
    # a file of the build removed.
    for change in ("store", "document", "output"):
        if change == "store":
            again = build(seeds, out, cached(store=True))
        elif change == "document":
            essay = documents(seeds)[0] / "essay.txt"
            essay.write_bytes(essay.read_bytes() + b"\n")
            ann = essay.parent / "annotations.yaml"
            lines = ann.read_text(encoding="utf-8").splitlines()
            ann.write_text("\n".join(x for x in lines if not x.startswith("  sha256:")) + "\n", encoding="utf-8")
            again = build(seeds, out, cached())
        else:
            (out / "data" / "claims.csv").unlink()
            again = build(seeds, out, cached())
        assert "up_to_date" not in again.counts, change
        assert (out / "data" / "claims.csv").is_file()
        assert build(seeds, out, cached(store=change == "store")).counts.get("up_to_date"), change
