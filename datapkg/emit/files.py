"""Artefact bookkeeping every sink shares: hashing, listing, media types, descriptions.

Hash files through `digest(ctx, relative)`: it caches by (size, mtime, inode), so
datapackage.json, the DCAT distributions, the site and SHA256SUMS all report the
SHA-256 of the same bytes without hashing a file twice.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from . import BuildContext

CHUNK = 1 << 20

# Build subdirectories that are not release artefacts of their own kind.
STORE_DIR = "store"  # the embedded triple store: binary, rebuilt from the RDF, never hashed
SITE_DIR = "site"
DIST_DIR = "dist"
CHECKSUMS_FILE = "SHA256SUMS"

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


def digest(ctx: BuildContext, relative: str) -> Digest:
    """Size and SHA-256 of `ctx.out / relative`, cached while the file is unchanged."""
    path = ctx.out / relative
    st = path.stat()
    stamp = (st.st_size, st.st_mtime_ns, st.st_ino)
    cache: dict[str, tuple[tuple[int, int, int], Digest]] = ctx.counts.setdefault("digests", {})
    hit = cache.get(relative)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    result = Digest(st.st_size, sha256_file(path))
    cache[relative] = (stamp, result)
    return result


THREADED_DIGEST = 1 << 20  # files at least this big are hashed in threads; smaller ones cost more to hand over


def digest_many(ctx: BuildContext, relatives: Iterable[str]) -> list[Digest]:
    """`digest` of several files, the big uncached ones hashed by `ctx.options.jobs` threads at once.

    hashlib releases the GIL while it hashes, so a corpus build's big files (gigabytes of RDF)
    are hashed on every core. Sinks call this on the files they have just finished, so that the
    describers after them find every hash cached.
    """
    relatives = list(relatives)
    jobs = ctx.options.jobs if ctx.options.jobs > 0 else (os.cpu_count() or 1)
    if jobs > 1:
        sizes = {rel: (ctx.out / rel).stat().st_size for rel in relatives}
        big = sorted((r for r in relatives if sizes[r] >= THREADED_DIGEST), key=lambda r: -sizes[r])
        if len(big) > 1:
            with ThreadPoolExecutor(min(jobs, len(big))) as pool:
                for _ in pool.map(lambda rel: digest(ctx, rel), big):  # the largest first
                    pass
    return [digest(ctx, rel) for rel in relatives]


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
