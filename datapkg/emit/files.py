"""Artefact bookkeeping every sink shares: hashing, listing, media types, descriptions.

Hash files through `digest(ctx, relative)`: it caches by (size, mtime, inode), so
datapackage.json, the DCAT distributions, the site and SHA256SUMS all report the
SHA-256 of the same bytes without hashing a file twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from . import BuildContext
    from .ziparchive import Precompressed

CHUNK = 1 << 20

# Build subdirectories that are not release artefacts of their own kind.
STORE_DIR = "store"  # the embedded triple store: binary, rebuilt from the RDF, never hashed
SITE_DIR = "site"
DIST_DIR = "dist"
CHECKSUMS_FILE = "SHA256SUMS"
# Spool files of artefacts deflated as they were written, for the release zip (hidden: not an
# artefact; the release removes it once the zip is written).
DEFLATED_DIR = ".deflated"

MEDIA_TYPES = {
    ".csv": "text/csv",
    ".json": "application/json",
    ".jsonld": "application/ld+json",
    ".ttl": "text/turtle",
    ".nt": "application/n-triples",
    ".nq": "application/n-quads",
    ".trig": "application/trig",
    ".rdf": "application/rdf+xml",
    ".zip": "application/zip",
    ".md": "text/markdown",
    ".txt": "text/plain",
    ".html": "text/html",
    ".css": "text/css",
    ".js": "text/javascript",
    ".svg": "image/svg+xml",
    ".rq": "application/sparql-query",
}


def sha256_file(path: Path | str) -> str:
    """Hex SHA-256 of a file, read in chunks (bounded memory for large artefacts)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


_TEXT_MEDIA = {
    "application/json",
    "application/csvm+json",
    "application/ld+json",
    "application/n-triples",
    "application/n-quads",
    "application/trig",
    "application/rdf+xml",
    "application/sparql-query",
    "image/svg+xml",
}


def is_text(media: str) -> bool:
    """Whether files of this media type are UTF-8 text (and so get `encoding: utf-8`)."""
    return media.startswith("text/") or media in _TEXT_MEDIA


def media_type(path: str | Path) -> str:
    return MEDIA_TYPES.get(PurePosixPath(str(path)).suffix.lower(), "application/octet-stream")


def file_format(path: str | Path) -> str:
    """The Data Package `format`: the file extension without the dot."""
    return PurePosixPath(str(path)).suffix.lower().lstrip(".")


@dataclass(frozen=True)
class Digest:
    bytes: int
    sha256: str


Stamp = tuple[int, int, int]  # (size, mtime_ns, inode): the file is unchanged while it is the same


def _stamp(st: os.stat_result) -> Stamp:
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _digests(ctx: BuildContext) -> dict[str, tuple[Stamp, Digest]]:
    return ctx.counts.setdefault("digests", {})


def digest(ctx: BuildContext, relative: str) -> Digest:
    """Size and SHA-256 of `ctx.out / relative`, cached while the file is unchanged."""
    path = ctx.out / relative
    stamp = _stamp(path.stat())
    cache = _digests(ctx)
    hit = cache.get(relative)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    result = Digest(stamp[0], sha256_file(path))
    cache[relative] = (stamp, result)
    return result


def record_digest(ctx: BuildContext, relative: str, sha256: str, size: int) -> None:
    """A writer that hashed the bytes it wrote (and closed the file) records the digest: nobody reads
    the file again to hash it. Ignored unless the file has exactly `size` bytes now."""
    st = (ctx.out / relative).stat()
    if st.st_size == size:
        _digests(ctx)[relative] = (_stamp(st), Digest(size, sha256))


def record_deflated(ctx: BuildContext, relative: str, deflated: Precompressed) -> None:
    """A writer that also deflated what it wrote (in `DEFLATED_DIR`) hands it to the release zip,
    which then copies it instead of reading and deflating the file (while its size is unchanged)."""
    ctx.counts.setdefault("deflated", {})[relative] = deflated


def deflated_forms(ctx: BuildContext) -> dict[str, Precompressed]:
    return ctx.counts.get("deflated", {})


WRITTEN_DIGESTS = ".written-digests.sqlite"  # hidden (not an artefact); removed by the checksums sink
DigestRow = tuple[str, int, int, int, str]  # relative path, size, mtime_ns, inode, hex SHA-256


class WrittenDigests:
    """Digests of many small files recorded by whoever wrote them, from the bytes in hand.

    The site has ~145,000 pages at 10,000 documents. Read back to be hashed for SHA256SUMS, they
    cost an open, a read and a close each (~60 us of CPU, ~8 s at 10,000 documents), and at that
    scale the build's 21 GB have pushed many of them out of the page cache, so the reads wait for
    the disk. Their writers hash them instead (~1 us a page) and record the digest here, on disk:
    memory does not grow with the corpus. `digest_many` takes a recorded digest only while the
    file's stamp (size, mtime, inode) is the one recorded, so a file changed since is hashed again.
    """

    def __init__(self, out: Path) -> None:
        # Each add() is its own transaction: between them, this process may read the file (`_written`).
        self.db = sqlite3.connect(out / WRITTEN_DIGESTS, isolation_level=None)
        self.db.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
            "CREATE TABLE IF NOT EXISTS digest(path TEXT PRIMARY KEY, size INTEGER, mtime INTEGER, inode INTEGER,"
            " sha256 TEXT) WITHOUT ROWID;"
        )

    def add(self, rows: Iterable[DigestRow]) -> None:
        """Digests of files as their writer left them."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT OR REPLACE INTO digest VALUES (?, ?, ?, ?, ?)", rows)

    def close(self) -> None:
        self.db.close()


def page_digest(relative: str, page: bytes, st: os.stat_result) -> DigestRow:
    """A `WrittenDigests` row for `page`, just written to `relative` (`st`: its stat after the write)."""
    return (relative, *_stamp(st), hashlib.sha256(page).hexdigest())


def _written(ctx: BuildContext, relatives: list[str]) -> dict[str, tuple[Stamp, Digest]]:
    """What `WrittenDigests` holds for these paths, by path."""
    path = ctx.out / WRITTEN_DIGESTS
    if not relatives or not path.exists():
        return {}
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        rows = db.execute(
            "SELECT d.path, size, mtime, inode, sha256 FROM json_each(?) AS j JOIN digest AS d ON d.path = j.value",
            (json.dumps(relatives),),
        )
        return {r: ((size, mtime, ino), Digest(size, sha)) for r, size, mtime, ino, sha in rows}
    finally:
        db.close()


THREADED_DIGEST = 1 << 20  # files at least this big are hashed in threads; smaller ones cost more to hand over
MAPPED_DIGEST = 64  # at least this many small files: hashed by the build's worker processes (`ctx.map`)
MAP_CHUNK = 256  # small files per task handed to a worker


def _digest_file(item: tuple[str, str]) -> tuple[Stamp, Digest]:
    """Stamp and digest of one file (runs in a worker process: module level, picklable in and out)."""
    root, relative = item
    path = os.path.join(root, relative)
    stamp = _stamp(os.stat(path))
    return stamp, Digest(stamp[0], sha256_file(path))


def digest_many(ctx: BuildContext, relatives: Iterable[str], remember: bool = True) -> list[Digest]:
    """`digest` of several files; the uncached ones hashed on every core.

    Big files are hashed by `ctx.options.jobs` threads at once (hashlib releases the GIL while it
    hashes: a corpus build has gigabytes of RDF); many small files go to the build's worker
    processes in chunks, where opening and reading each costs more than hashing it. Files whose
    writer recorded their digest (`WrittenDigests`: the site's pages, 145,000 at 10,000 documents)
    are not read at all. Sinks call this on the files they have just finished, so that the
    describers after them find every hash cached; `remember=False` keeps the small files' hashes
    out of that cache (the last sink hashes every page of the site and needs them only once).
    """
    relatives = list(relatives)
    jobs = ctx.options.jobs if ctx.options.jobs > 0 else (os.cpu_count() or 1)
    cache = _digests(ctx)
    found: dict[str, Digest] = {}  # each file is looked at (stat) once here
    todo: dict[str, int] = {}
    written = _written(ctx, relatives)
    for rel in relatives:
        st = (ctx.out / rel).stat()
        hit = cache.get(rel)
        if hit is None or hit[0] != _stamp(st):
            hit = written.get(rel)
        if hit is not None and hit[0] == _stamp(st):
            found[rel] = hit[1]
        else:
            todo[rel] = st.st_size
    if jobs == 1:
        return [found[rel] if rel in found else digest(ctx, rel) for rel in relatives]
    big = sorted((r for r, size in todo.items() if size >= THREADED_DIGEST), key=lambda r: -todo[r])
    if len(big) > 1:
        with ThreadPoolExecutor(min(jobs, len(big))) as pool:
            found.update(zip(big, pool.map(lambda rel: digest(ctx, rel), big), strict=True))  # the largest first
    small = [r for r, size in todo.items() if size < THREADED_DIGEST]
    if len(small) >= MAPPED_DIGEST and ctx.mapper is not None:
        root = str(ctx.out)
        hashed = ctx.map(_digest_file, [(root, rel) for rel in small], chunksize=MAP_CHUNK)
        for rel, (stamp, result) in zip(small, hashed, strict=True):
            if remember:
                cache[rel] = (stamp, result)
            found[rel] = result
    return [found[rel] if rel in found else digest(ctx, rel) for rel in relatives]


def artefacts(out: Path, exclude: Iterable[str] = ()) -> list[str]:
    """Relative POSIX paths of the files under `out`, sorted, skipping hidden entries and `exclude`.

    An `exclude` entry is a file path or a directory (everything under it is skipped).
    """
    skip = set(exclude)
    found = []
    for root, dirs, files in os.walk(out):
        rel_root = PurePosixPath(Path(root).relative_to(out).as_posix())
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and str(rel_root / d).removeprefix("./") not in skip)
        for name in files:
            rel = str(rel_root / name).removeprefix("./")
            if not name.startswith(".") and rel not in skip:
                found.append(rel)
    return sorted(found)


@dataclass(frozen=True)
class ArtefactInfo:
    """What a sink says about a file it wrote, for the describers (datapackage.json, DCAT, site)."""

    title: str
    description: str
    media_type: str | None = None


def describe(ctx: BuildContext, relative: str, title: str, description: str, media: str | None = None) -> None:
    """Record a title and description for a file this sink wrote (relative to the build directory)."""
    ctx.counts.setdefault("artefacts", {})[relative] = ArtefactInfo(title, description, media or media_type(relative))


def described(ctx: BuildContext) -> dict[str, ArtefactInfo]:
    return ctx.counts.get("artefacts", {})
