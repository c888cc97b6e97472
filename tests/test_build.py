"""`datapkg build`: determinism, the release zip, SHA256SUMS, and atomic replacement of build/."""

from __future__ import annotations

import ctypes
import errno
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import pytest

from datapkg import build as build_module
from datapkg.build import build, exchange, swap
from datapkg.emit import BuildOptions, Sink
from datapkg.emit.files import DEFLATED_DIR, artefacts, sha256_file
from datapkg.emit.release import ZIP_MODE, zip_path, zip_timestamp
from datapkg.errors import DataError, OutputError, UsageError
from datapkg.seeds import open_seeds
from tests.conftest import SEEDS, need_tool

CLI = [sys.executable, "-m", "datapkg.cli"]


def hashes(directory: Path) -> dict[str, str]:
    """SHA-256 of every file under a directory (the store excluded: it is binary and not hashed)."""
    return {rel: sha256_file(directory / rel) for rel in artefacts(directory, exclude={"store"})}


def leftovers(parent: Path, name: str = "build") -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(f".{name}."))


def break_a_quote(seeds: Path) -> None:
    (ann,) = seeds.glob("*/annotations.yaml")
    text = ann.read_text(encoding="utf-8")
    m = re.search(r"(?m)^    quote: (.+)$", text)
    assert m
    ann.write_text(text[: m.start(1)] + "words that are not in the essay" + text[m.end(1) :], encoding="utf-8")


# ---------------------------------------------------------------- determinism and release files


def test_two_builds_give_identical_files(built: Path, tmp_path: Path) -> None:
    again = tmp_path / "build"
    build(SEEDS, again, BuildOptions(store=False))
    first, second = hashes(built), hashes(again)
    assert first == second
    assert "SHA256SUMS" in first and "datapackage.json" in first


def test_sha256sums_cover_every_file_but_itself_and_the_store(built: Path) -> None:
    lines = (built / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    listed = {line.split("  ", 1)[1]: line.split("  ", 1)[0] for line in lines}
    assert [line.split("  ", 1)[1] for line in lines] == sorted(listed)
    expected = set(artefacts(built, exclude={"SHA256SUMS", "store"}))
    assert set(listed) == expected
    assert listed == {rel: sha256_file(built / rel) for rel in expected}
    result = subprocess.run([need_tool("sha256sum"), "-c", "--strict", "SHA256SUMS"], cwd=built, capture_output=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_release_zip_is_deterministic_and_holds_data_not_site_or_store(built: Path) -> None:
    ds = open_seeds(SEEDS).dataset
    prefix = f"{ds.name}-{ds.version}/"
    with zipfile.ZipFile(built / zip_path(ds)) as zf:
        assert zf.testzip() is None  # every CRC-32 (the RDF members come deflated by the RDF sink)
        infos = zf.infolist()
        names = [i.filename for i in infos]
        assert names == sorted(names) and all(n.startswith(prefix) for n in names)
        inside = {n.removeprefix(prefix) for n in names}
        expected = set(artefacts(built, exclude={"dist", "site", "store", "SHA256SUMS"}))
        assert inside == expected
        assert {"datapackage.json", "csv-metadata.json", "README.md", f"{ds.name}.json", "data/claims.csv"} <= inside
        for info in infos:
            assert info.date_time == zip_timestamp(ds.created)
            assert info.external_attr >> 16 == ZIP_MODE
            assert zf.read(info) == (built / info.filename.removeprefix(prefix)).read_bytes()
        readme = zf.read(prefix + "README.md").decode("utf-8")
    assert not (built / DEFLATED_DIR).exists()  # the RDF sink's spool files went with the zip
    unzip = shutil.which("unzip")
    if unzip:  # another reader of the segmented RDF members
        result = subprocess.run([unzip, "-tq", str(built / zip_path(ds))], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
    for needle in ("How to cite", "data/claims.csv", "Formula escaping", ds.licenses[0].name, "`source_id`"):
        assert needle in readme


# ---------------------------------------------------------------- atomic replacement


def test_invalid_data_leaves_the_previous_build_untouched(seeds_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "build"
    build(seeds_copy, out, BuildOptions(store=False))
    before = hashes(out)
    break_a_quote(seeds_copy)
    with pytest.raises(DataError) as info:
        build(seeds_copy, out, BuildOptions(store=False))
    assert "quote-not-found" in {p.code for p in info.value.problems}
    assert hashes(out) == before
    assert leftovers(tmp_path) == []


class _Explodes(Sink):
    def finish(self, actors: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_full_disk_is_an_output_error_and_keeps_the_previous_build(
    seeds_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "build"
    build(seeds_copy, out, BuildOptions(store=False))
    before = hashes(out)
    monkeypatch.setattr(build_module, "SINKS", [*build_module.SINKS, f"{__name__}:_Explodes"])
    with pytest.raises(OutputError) as info:
        build(seeds_copy, out, BuildOptions(store=False))
    (problem,) = info.value.problems
    assert problem.code == "output-unwritable" and "No space left" in problem.message
    assert info.value.exit_code == 1
    assert hashes(out) == before and leftovers(tmp_path) == []


_BLOCKING_BUILD = textwrap.dedent(
    """
    import signal, sys
    from pathlib import Path

    from datapkg import build, cli
    from datapkg.emit import Sink

    READY = Path(sys.argv[1])

    class Block(Sink):
        # Announces that the build is under way (tables half written), then waits for a signal.
        def render(self, records):
            READY.write_text("ready")
            while True:
                signal.pause()

    build.SINKS.insert(1, "__main__:Block")
    sys.argv = ["datapkg", "build", "--no-store", "--seeds", sys.argv[2], "--out", sys.argv[3]]
    cli.main()
    """
)


def test_sigterm_mid_build_leaves_the_previous_build_and_no_temporary_directory(
    seeds_copy: Path, tmp_path: Path
) -> None:
    out = tmp_path / "build"
    build(seeds_copy, out, BuildOptions(store=False))
    before = hashes(out)
    script, ready = tmp_path / "blocking_build.py", tmp_path / "ready"
    script.write_text(_BLOCKING_BUILD, encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, str(script), str(ready), str(seeds_copy), str(out)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():  # polls for the child's signal; no timing assumption
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the build never started"
            time.sleep(0.02)
        (temp,) = [p for p in tmp_path.iterdir() if re.fullmatch(r"\.build\.tmp-\d+-[^.]+", p.name)]
        assert (temp / "data").is_dir(), "the build should be half-way"
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert hashes(out) == before
    assert leftovers(tmp_path) == []


def _no_dac_override() -> None:
    """In the child: drop the capabilities that let root ignore file permissions (bounding set)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def test_read_only_output_directory_gives_a_clear_error(tmp_path: Path) -> None:
    parent = tmp_path / "readonly"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        kwargs = {"preexec_fn": _no_dac_override} if os.geteuid() == 0 else {}
        try:
            result = subprocess.run(
                [*CLI, "build", "--no-store", "--seeds", str(SEEDS), "--out", str(parent / "build")],
                cwd=tmp_path,
                capture_output=True,
                text=True,
                **kwargs,
            )
        except subprocess.SubprocessError as exc:  # prctl refused: no way to make root respect permissions
            pytest.skip(f"cannot drop CAP_DAC_OVERRIDE here: {exc}")
    finally:
        parent.chmod(0o755)
    assert result.returncode == 1, result.stderr
    assert "[output-unwritable]" in result.stderr and "Permission denied" in result.stderr
    assert "Traceback" not in result.stderr
    assert list(parent.iterdir()) == []


def test_output_overlapping_the_seeds_or_not_a_build_is_refused(seeds_copy: Path, tmp_path: Path) -> None:
    for out in (seeds_copy, seeds_copy / "build", seeds_copy.parent):
        with pytest.raises(UsageError) as info:
            build(seeds_copy, out, BuildOptions(store=False))
        assert info.value.problems[0].code == "output-overlaps-seeds"
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("do not delete", encoding="utf-8")
    with pytest.raises(UsageError) as info:
        build(seeds_copy, precious, BuildOptions(store=False))
    assert info.value.problems[0].code == "output-not-a-build"
    assert (precious / "thesis.tex").read_text(encoding="utf-8") == "do not delete"


def test_cli_builds_sweeps_stale_temporary_directories_and_exits_2_on_usage(tmp_path: Path) -> None:
    stale = tmp_path / ".build.tmp-999999999-dead"  # a pid that cannot exist: a build killed with SIGKILL
    (stale / "data").mkdir(parents=True)
    out = tmp_path / "build"
    result = subprocess.run(
        [*CLI, "build", "--no-store", "--seeds", str(SEEDS), "--out", str(out)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "built 1 document(s)" in result.stdout
    assert (out / "datapackage.json").is_file() and oct(out.stat().st_mode & 0o777) != "0o700"
    assert leftovers(tmp_path) == []
    usage = subprocess.run(
        [*CLI, "build", "--seeds", str(tmp_path / "nope"), "--out", str(out)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert usage.returncode == 2 and "[seeds-missing]" in usage.stderr


def test_swap_replaces_the_directory_with_or_without_renameat2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for use_exchange in (True, False):
        out, new = tmp_path / "out", tmp_path / "new"
        out.mkdir(exist_ok=True)
        (out / "version").write_text("old", encoding="utf-8")
        new.mkdir()
        (new / "version").write_text("new", encoding="utf-8")
        if not use_exchange:
            monkeypatch.setattr(build_module, "exchange", lambda a, b: False)
        swap(new, out)
        assert (out / "version").read_text(encoding="utf-8") == "new"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "x").touch()
    if exchange(a, b):  # on Linux with renameat2 the two swap in one step
        assert (b / "x").exists() and not (a / "x").exists()


def test_identical_bytes_for_digest_helpers(built: Path) -> None:
    data = (built / "datapackage.json").read_bytes()
    assert sha256_file(built / "datapackage.json") == hashlib.sha256(data).hexdigest()
