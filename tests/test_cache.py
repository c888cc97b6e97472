"""The build cache: unchanged documents are reused, changed ones rebuilt, bad entries ignored; same bytes."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import pytest

from datapkg import build as build_module
from datapkg import buildcache, pipeline
from datapkg.build import build
from datapkg.buildcache import BuildCache, Codec, default_dir, document_key, pickle_chunks
from datapkg.emit import BuildOptions
from datapkg.errors import DataError
from datapkg.seeds import display_path, open_seeds, read_files
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


def test_storing_the_same_entry_again_keeps_the_file_and_a_damaged_one_is_replaced(tmp_path: Path) -> None:
    """--force renders every document again to the same bytes: rewriting each entry would free
    an inode per document while the build creates its files (slow on ext4 without a journal)."""
    cache = BuildCache(tmp_path)
    key, payload = "c" * 64, b"outcome " * 10_000
    assert cache.put(key, payload)
    inode = cache.path(key).stat().st_ino
    assert cache.put(key, payload)
    assert cache.path(key).stat().st_ino == inode  # not replaced
    assert cache.put(key, payload + b"!")  # other bytes under the key: replaced
    assert cache.get(key) == payload + b"!"
    data = bytearray(cache.path(key).read_bytes())
    data[-1] ^= 0xFF  # damaged, same size: the checksum still names the bytes put
    cache.path(key).write_bytes(bytes(data))
    assert cache.get(key) is None  # a miss, and the entry is gone
    assert not cache.path(key).exists()
    assert cache.put(key, payload + b"!")
    assert cache.get(key) == payload + b"!"


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


def test_a_worker_keys_a_document_as_the_up_to_date_check_does(seeds: Path) -> None:
    """Workers key documents from the bytes the loader reads; the build process (up-to-date check)
    from the files: the same keys, also for a file that is a symbolic link, else nothing is reused."""
    folder = documents(seeds)[0]
    (folder / "essay.txt").rename(seeds / "shared.txt")
    (folder / "essay.txt").symlink_to(Path("..") / "shared.txt")  # elsewhere in the seeds
    opened = open_seeds(seeds)
    for doc in documents(seeds):
        files = read_files(opened, doc, pipeline.DOCUMENT_FILES)
        expected = document_key("corpus", doc, display_path(doc), pipeline.DOCUMENT_FILES)
        assert pipeline._key("corpus", doc, files) == expected is not None
    (folder / "annotations.yaml").unlink()
    assert pipeline._key("corpus", folder, read_files(opened, folder, pipeline.DOCUMENT_FILES)) is None
    assert document_key("corpus", folder, display_path(folder), pipeline.DOCUMENT_FILES) is None


@pytest.mark.parametrize("name", ["zstd", "zlib"])
def test_pickles_are_compressed_piece_by_piece_and_unpickled_as_one(name: str) -> None:
    if name == "zstd" and buildcache.zstandard is None:
        pytest.skip("zstandard is not installed")
    value = {"rdf": b"<a> <b> <c> .\n" * 20_000, "html": "é" * 70_000, "n": [1, 2.5, None], "big": bytes(100_000)}
    chunks = pickle_chunks(value)
    assert len(chunks) > 1 and b"".join(chunks) == pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    codec = Codec(name)
    body = codec.compress_chunks(chunks)
    assert codec.decompress(body) == b"".join(chunks)  # one frame, its size known (as a cache entry)
    assert codec.unpickle(body) == value
    with pytest.raises(ValueError, match="does not decompress"):
        codec.unpickle(body[: len(body) // 2])


def test_outcomes_travel_compressed_and_a_bad_payload_is_an_error_not_a_wrong_build() -> None:
    outcome = pipeline.Outcome("doc", [], [], {}, [b"x" * 100_000, "page"], {"units": 1})
    if buildcache.zstandard is None:
        pytest.skip("zstandard is not installed")
    body = Codec("zstd").compress_chunks(pickle_chunks(outcome))
    assert len(body) < 1000
    assert pipeline.Done(0, None, body, False, {}, codec="zstd").result() == outcome
    plain = pickle.dumps(outcome)
    assert pipeline.Done(0, None, plain, False, {}).result() == outcome
    with pytest.raises(RuntimeError, match="document 1: zstd payload does not decompress"):
        pipeline.Done(0, "k", body[:-10], True, {}, codec="zstd").result()
