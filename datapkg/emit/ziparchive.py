"""Deterministic zip archives whose members are deflated by several threads at once, or come deflated.

A release zip holds gigabytes of RDF at corpus scale, and deflating it was the longest serial
step of a build's finish. A member given as a file is one ordinary deflate stream made with
the settings `zipfile` uses (`zlib.compressobj(level, DEFLATED, -15)`: the bytes do not
depend on how the input is chunked); up to `jobs` such members are compressed at the same time
(zlib releases the GIL), each into a spool file, and copied into the archive in order.

A member can also come already deflated (`Precompressed`): a sequence of `deflate_segment`s,
each compressed on its own (a fresh compressor, ended by a sync flush: byte-aligned, not final,
no reference to earlier data), so that segments made apart (by the build's workers, one per
document) concatenate into one stream, which `FINAL_BLOCK` ends — as pigz assembles its
output. The RDF sink hands its files over this way: the zip copies their deflated bytes from
spool files and never reads the RDF itself. The archive bytes then depend on how the content
was split into segments; the content and the container do not.

The container (local headers, central directory, end records, ZIP64 where a size or offset
needs it) is written here as `zipfile.ZipFile` writes it on a seekable file.

One difference from `zipfile`, where it failed: a member whose size needs ZIP64 gets ZIP64
headers (zipfile's `open(..., "w")` raises "File size too large" past 2 GiB unless told
beforehand, and a 10,000-document corpus has an N-Quads file of ~8 GiB).
"""

from __future__ import annotations

import hashlib
import shutil
import struct
import zlib
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO

try:
    # ISA-L: CRC-32 ~4x and inflate ~1.2x faster than zlib. Both are pure functions (the same
    # answer from any implementation), so nothing written depends on which one ran; deflating
    # stays with zlib, whose bytes do not depend on the CPU (ISA-L picks code by CPU features).
    from isal.isal_zlib import crc32
    from isal.isal_zlib import decompressobj as _decompressobj
except ImportError:  # no wheel for this platform: the same results, slower
    from zlib import crc32
    from zlib import decompressobj as _decompressobj

CHUNK = 1 << 20
ZIP64_LIMIT = (1 << 31) - 1  # as zipfile: beyond it, sizes and offsets go to ZIP64 fields
ZIP_FILECOUNT_LIMIT = (1 << 16) - 1
DEFLATED = 8
DEFAULT_VERSION = 20
ZIP64_VERSION = 45
UNIX = 3  # "version made by" host system: the external attributes hold Unix permissions
UTF8_NAME = 0x800  # general purpose flag: the file name is UTF-8

_LOCAL = struct.Struct("<4s2B4HL2L2H")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_END = struct.Struct("<4s4H2LH")
_END64 = struct.Struct("<4sQ2H2L4Q")
_END64_LOCATOR = struct.Struct("<4sLQL")


FINAL_BLOCK = b"\x03\x00"  # an empty final block (fixed Huffman codes): ends a stream of segments


def deflate_segment(data: bytes, level: int) -> bytes:
    """`data` deflated as a segment that can be put anywhere in a stream of such segments: fresh
    compressor (no back-references before it), sync flush (byte-aligned, no final block).
    Empty data gives no bytes."""
    if not data:
        return b""
    comp = zlib.compressobj(level, zlib.DEFLATED, -15)
    return comp.compress(data) + comp.flush(zlib.Z_SYNC_FLUSH)


def inflate_segments(data: bytes) -> bytes:
    """The bytes of concatenated segments (no final block needed)."""
    return _decompressobj(-15).decompress(data)


@dataclass(frozen=True)
class Precompressed:
    """A member's content already deflated: ranges (offset, size) of one spool file, in order,
    that concatenate into segments (`deflate_segment`) of the content; `FINAL_BLOCK` is added here."""

    crc: int  # CRC-32 of the content
    size: int  # bytes of the content
    spool: Path
    ranges: tuple[tuple[int, int], ...]

    @property
    def compressed(self) -> int:
        return sum(size for _, size in self.ranges) + len(FINAL_BLOCK)


@dataclass(frozen=True)
class Member:
    name: str  # path inside the archive
    source: Path
    deflated: Precompressed | None = None  # used while `source` has `deflated.size` bytes


@dataclass(frozen=True)
class Deflated:
    crc: int
    size: int
    compressed: int
    spool: Path
    ranges: tuple[tuple[int, int], ...] | None = None  # the whole spool if None, else these ranges + FINAL_BLOCK


def deflate_file(source: Path, spool: Path, level: int) -> Deflated:
    """Deflate `source` into `spool` (raw deflate, as in a zip member), with its CRC-32 and sizes."""
    comp = zlib.compressobj(level, zlib.DEFLATED, -15)
    crc = size = compressed = 0
    with open(source, "rb") as src, open(spool, "wb") as dst:
        while chunk := src.read(CHUNK):
            size += len(chunk)
            crc = crc32(chunk, crc)
            out = comp.compress(chunk)
            if out:
                dst.write(out)
                compressed += len(out)
        out = comp.flush()
        dst.write(out)
        compressed += len(out)
    return Deflated(crc, size, compressed, spool)


def _given(member: Member) -> Deflated | None:
    """The member's deflated form if it came with one that still matches its file."""
    given = member.deflated
    if given is None or member.source.stat().st_size != given.size:
        return None
    return Deflated(given.crc, given.size, given.compressed, given.spool, given.ranges)


def _dos_stamp(date_time: tuple[int, int, int, int, int, int]) -> tuple[int, int]:
    y, mo, d, h, mi, s = date_time
    return h << 11 | mi << 5 | s // 2, (y - 1980) << 9 | mo << 5 | d


def _name(name: str) -> tuple[bytes, int]:
    try:
        return name.encode("ascii"), 0
    except UnicodeEncodeError:
        return name.encode("utf-8"), UTF8_NAME


@dataclass
class _Entry:
    name: bytes
    flags: int
    crc: int
    size: int
    compressed: int
    offset: int
    version: int  # version needed to extract (and made by): 45 once ZIP64 fields were used


class _Hashing:
    """A binary file being written, with the SHA-256 and count of the bytes written so far."""

    def __init__(self, f: IO[bytes]) -> None:
        self.f, self.hash, self.size = f, hashlib.sha256(), 0

    def write(self, data: bytes) -> int:
        self.hash.update(data)
        self.size += len(data)
        return self.f.write(data)

    def tell(self) -> int:
        return self.size  # the file was empty: what was written is where we are

    def flush(self) -> None:
        self.f.flush()


def write_archive(
    target: Path,
    members: Sequence[Member],
    date_time: tuple[int, int, int, int, int, int],
    mode: int,
    level: int,
    spool_dir: Path,
    jobs: int = 1,
) -> tuple[str, int]:
    """Write `members` (in this order) to `target`: deflated at `level`, all stamped `date_time`
    with Unix permissions `mode`. Spool files go to `spool_dir` (created, then removed).

    Returns the SHA-256 (hex) and size of the archive, hashed as it was written: no one needs to
    read it again to list its checksum (`files.record_digest`)."""
    spool_dir.mkdir(parents=True, exist_ok=True)
    dostime, dosdate = _dos_stamp(date_time)
    try:
        with ThreadPoolExecutor(max(1, jobs)) as pool, open(target, "wb") as raw:
            out = _Hashing(raw)
            given = [_given(member) for member in members]
            # Largest first: the longest member starts at once instead of last.
            todo = [i for i, done in enumerate(given) if done is None]
            todo.sort(key=lambda i: -members[i].source.stat().st_size)
            futures: dict[int, Future[Deflated]] = {
                i: pool.submit(deflate_file, members[i].source, spool_dir / f"{i}.deflate", level) for i in todo
            }
            entries = []
            for i, member in enumerate(members):
                done = given[i] or futures.pop(i).result()
                entries.append(_write_member(out, member.name, done, dostime, dosdate))
                if done.ranges is None:
                    done.spool.unlink()
            _write_directory(out, entries, dostime, dosdate, mode)
    finally:
        shutil.rmtree(spool_dir, ignore_errors=True)
    return out.hash.hexdigest(), out.size


def _write_member(out: _Hashing, name: str, done: Deflated, dostime: int, dosdate: int) -> _Entry:
    """The local header and the deflated data, as zipfile writes a member opened for writing."""
    encoded, flags = _name(name)
    zip64 = done.size * 1.05 > ZIP64_LIMIT  # zipfile's test, made on the size known beforehand
    extra = b""
    compressed, size, version = done.compressed, done.size, DEFAULT_VERSION
    if zip64:
        extra = struct.pack("<HHQQ", 1, 16, size, compressed)
        compressed = size = 0xFFFFFFFF
        version = ZIP64_VERSION
    entry = _Entry(encoded, flags, done.crc, done.size, done.compressed, out.tell(), version)
    out.write(
        _LOCAL.pack(
            b"PK\003\004",
            version,
            0,
            flags,
            DEFLATED,
            dostime,
            dosdate,
            done.crc,
            compressed,
            size,
            len(encoded),
            len(extra),
        )  # fmt: skip
    )
    out.write(encoded)
    out.write(extra)
    with open(done.spool, "rb") as src:
        if done.ranges is None:
            shutil.copyfileobj(src, out, CHUNK)
        else:
            for offset, size in done.ranges:
                _copy_range(src, out, offset, size)
            out.write(FINAL_BLOCK)
    return entry


def _copy_range(src: IO[bytes], out: _Hashing, offset: int, size: int) -> None:
    src.seek(offset)
    while size:
        data = src.read(min(size, CHUNK))
        if not data:
            raise OSError(f"{src.name}: shorter than expected")
        out.write(data)
        size -= len(data)


def _write_directory(out: _Hashing, entries: list[_Entry], dostime: int, dosdate: int, mode: int) -> None:
    """The central directory and end records, as zipfile.ZipFile._write_end_record writes them."""
    start = out.tell()
    for e in entries:
        fields: list[int] = []
        size, compressed, offset = e.size, e.compressed, e.offset
        if size > ZIP64_LIMIT or compressed > ZIP64_LIMIT:
            fields += [size, compressed]
            size = compressed = 0xFFFFFFFF
        if offset > ZIP64_LIMIT:
            fields.append(offset)
            offset = 0xFFFFFFFF
        extra = struct.pack("<HH" + "Q" * len(fields), 1, 8 * len(fields), *fields) if fields else b""
        version = max(e.version, ZIP64_VERSION if fields else 0)
        out.write(
            _CENTRAL.pack(
                b"PK\001\002",
                version,
                UNIX,
                version,
                0,
                e.flags,
                DEFLATED,
                dostime,
                dosdate,
                e.crc,
                compressed,
                size,
                len(e.name),
                len(extra),
                0,
                0,
                0,
                mode << 16,
                offset,
            )  # fmt: skip
        )
        out.write(e.name)
        out.write(extra)
    end = out.tell()
    count, length, offset = len(entries), end - start, start
    if count > ZIP_FILECOUNT_LIMIT or offset > ZIP64_LIMIT or length > ZIP64_LIMIT:
        out.write(_END64.pack(b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, length, offset))
        out.write(_END64_LOCATOR.pack(b"PK\x06\x07", 0, end, 1))
        count, length, offset = min(count, 0xFFFF), min(length, 0xFFFFFFFF), min(offset, 0xFFFFFFFF)
    out.write(_END.pack(b"PK\005\006", 0, 0, count, count, length, offset, 0))
    out.flush()
