"""Zip members that come deflated: segments made apart concatenate into one valid deflate stream.

The RDF sink deflates each document's bytes on its own (in the workers) and hands the release
zip ranges of spool files (`ziparchive.Precompressed`); these tests check that readers (zlib,
`zipfile`, `unzip`) get exactly the content back, with the container as for any other member.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import zipfile
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datapkg.emit import ziparchive
from datapkg.emit.ziparchive import FINAL_BLOCK, Member, Precompressed, deflate_segment, inflate_segments

STAMP = (2021, 8, 30, 12, 0, 0)
MODE = 0o100644
PIECES = [b"<a> <p> 1 .\n" * 3000, b"", "é ☃ 🇵🇰\n".encode() * 999, bytes(range(256)) * 300, b"x", b""]


def test_segments_concatenate_into_one_stream() -> None:
    segments = [deflate_segment(piece, 2) for piece in PIECES]
    assert segments[1] == b"" and segments[-1] == b""  # empty content: nothing to add
    whole = b"".join(PIECES)
    assert zlib.decompress(b"".join(segments) + FINAL_BLOCK, -15) == whole
    assert inflate_segments(b"".join(segments)) == whole
    # Each segment is self-contained: it inflates alone, wherever it stands.
    for piece, segment in zip(PIECES, segments, strict=True):
        assert inflate_segments(segment) == piece
    assert zlib.decompress(FINAL_BLOCK, -15) == b""  # no segments at all: an empty member


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=70_000) | st.sampled_from(PIECES), max_size=6), st.integers(0, 2**32 - 1))
def test_crc_and_inflate_give_what_zlib_gives(pieces: list[bytes], start: int) -> None:
    """The CRC-32 and inflate in use (ISA-L's where installed) answer as zlib does, for any bytes
    and any chaining: what the zip records cannot depend on which library ran."""
    whole = b"".join(pieces)
    crc = start
    for piece in pieces:
        crc = ziparchive.crc32(piece, crc)
    assert crc == zlib.crc32(whole, start)
    segments = b"".join(deflate_segment(piece, 2) for piece in pieces)
    assert inflate_segments(segments) == whole == zlib.decompress(segments + FINAL_BLOCK, -15)


def spooled(tmp_path: Path, name: str, pieces: list[bytes]) -> tuple[Path, Precompressed]:
    """A file of `pieces` and its deflated form: segments written to a spool in reverse order
    (with junk between them), so the ranges are neither contiguous nor in spool order."""
    source = tmp_path / name
    source.write_bytes(b"".join(pieces))
    spool = tmp_path / f"{name}.deflate"
    ranges: list[tuple[int, int]] = []
    with spool.open("wb") as f:
        for piece in reversed(pieces):
            f.write(b"junk")
            segment = deflate_segment(piece, 2)
            ranges.insert(0, (f.tell(), len(segment)))
            f.write(segment)
    whole = b"".join(pieces)
    return source, Precompressed(zlib.crc32(whole), len(whole), spool, tuple(ranges))


def check_archive(target: Path, members: list[Member]) -> None:
    with zipfile.ZipFile(target) as zf:
        assert zf.testzip() is None
        infos = zf.infolist()
        assert [i.filename for i in infos] == [m.name for m in members]
        for info, member in zip(infos, members, strict=True):
            assert zf.read(info) == member.source.read_bytes()
            assert info.date_time == STAMP and info.external_attr >> 16 == MODE
            assert info.compress_type == zipfile.ZIP_DEFLATED
    unzip = shutil.which("unzip")
    if unzip:
        result = subprocess.run([unzip, "-tq", str(target)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("jobs", [1, 2])
def test_precompressed_members_are_copied_into_a_valid_archive(tmp_path: Path, jobs: int) -> None:
    plain = tmp_path / "plain.txt"
    plain.write_bytes(b"abc\n" * 5000)
    empty_source, empty = spooled(tmp_path, "empty.nt", [b"", b""])
    source, given = spooled(tmp_path, "graph.nq", PIECES)
    members = [
        Member("x/a-plain.txt", plain),
        Member("x/b-empty.nt", empty_source, empty),
        Member("x/c-graph.nq", source, given),
    ]
    target = tmp_path / "out.zip"
    sha256, size = ziparchive.write_archive(target, members, STAMP, MODE, 3, tmp_path / "spool", jobs)
    assert (sha256, size) == (hashlib.sha256(target.read_bytes()).hexdigest(), target.stat().st_size)
    check_archive(target, members)
    with zipfile.ZipFile(target) as zf:
        assert zf.getinfo("x/c-graph.nq").compress_size == given.compressed  # copied, not deflated again
    assert given.spool.exists() and not (tmp_path / "spool").exists()  # the caller's spool is the caller's


def test_a_deflated_form_that_no_longer_matches_its_file_is_not_used(tmp_path: Path) -> None:
    source, given = spooled(tmp_path, "graph.nq", PIECES)
    source.write_bytes(b"changed since\n")
    target = tmp_path / "out.zip"
    members = [Member("x/graph.nq", source, given)]
    ziparchive.write_archive(target, members, STAMP, MODE, 3, tmp_path / "spool", 1)
    check_archive(target, members)


def test_zip64_with_precompressed_members(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the ZIP64 limit (2 GiB; lowered here) sizes and offsets of copied members move to ZIP64 fields."""
    monkeypatch.setattr(ziparchive, "ZIP64_LIMIT", 1000)
    first_source, first = spooled(tmp_path, "a.nq", PIECES)
    second_source, second = spooled(tmp_path, "b.nt", PIECES[::-1])
    plain = tmp_path / "c.txt"
    plain.write_bytes(b"plain\n" * 500)
    members = [Member("x/a.nq", first_source, first), Member("x/b.nt", second_source, second), Member("x/c.txt", plain)]
    target = tmp_path / "big.zip"
    ziparchive.write_archive(target, members, STAMP, MODE, 3, tmp_path / "spool", 2)
    data = target.read_bytes()
    assert b"PK\x06\x06" in data and b"PK\x06\x07" in data  # ZIP64 end record and locator
    check_archive(target, members)
    with zipfile.ZipFile(target) as zf:
        assert all(i.extra for i in zf.infolist())  # every size or offset is past the (lowered) limit
