"""The incremental build cache: what each document rendered, keyed by a hash of everything it depends on.

A build spends nearly all its time loading and rendering documents one by one; a document whose
inputs have not changed renders to the same bytes, so the next build reads the result back
instead. The key of a document is the SHA-256 of:
  - its essay.txt and annotations.yaml (bytes), its folder name and where they resolve to;
  - seeds/dataset.yaml and the verified Wikidata list (bytes): limits, base IRI, … change output;
  - the datapkg code (every module, template and data file) and the versions of the libraries
    and tools whose output ends up in the build (pydantic, Jinja2, Graphviz's `dot`, …);
  - the list of sinks, since an entry holds one rendered value per sink.
So an entry is never stale: any change gives another key. `datapkg build --force` does not read
entries (it still writes them); a successful build removes entries it did not use.

A successful build also records a manifest: the keys of its documents in order, the options that
shape the output, and a stamp of the output directory (path, size, mtime, inode of every file but
the store). When the next build finds the same keys and options and an untouched output, nothing
would change: it leaves the output as it is ("up to date") instead of writing the same bytes again.

An entry is one file `<key>.bin`: a magic line naming the compression, the SHA-256 of the
compressed body, and the compressed pickle of the document's outcome (`pipeline.Outcome`):
Zstandard level 1 (~700 MB/s on one core here, 12x smaller than the pickle: the RDF is very
repetitive; level 3 is 30% slower for entries 6% smaller, and every document of a build writes
one), or zlib level 1 (~200 MB/s, 13x) where the zstandard module is missing. Uncompressed, the cache would be
as large as the build and double its disk traffic. Entries are
written to a temporary name and renamed, so a reader never sees half an entry; an entry that is
truncated or corrupt fails its checksum and counts as a miss. The cache lives beside the output
(`<out parent>/.datapkg-cache/<out name>/`); like any pickle it must only be written by you.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import sys
import zlib
from pathlib import Path

from . import __version__

try:
    import zstandard
except ImportError:  # optional: zlib (slower) does the same job
    zstandard = None

CACHE_DIR = ".datapkg-cache"
MAGIC = b"datapkg-cache 1 "
SUFFIX = ".bin"
ZSTD_LEVEL, ZLIB_LEVEL = 1, 1
# Libraries and tools whose behaviour shapes the rendered bytes.
LIBRARIES = ("pydantic", "pydantic-core", "Jinja2", "MarkupSafe", "graphviz", "PyYAML", "rdflib")
TOOLS = ("dot",)
_TEMP = re.compile(r"^\.(?P<key>[0-9a-f]{64}|manifest\.json)\.tmp-(?P<pid>\d+)$")
_CODEC_ERRORS: tuple[type[Exception], ...] = (zlib.error, *((zstandard.ZstdError,) if zstandard else ()))


class Codec:
    """A compression format of cache entries, named in each entry's first line."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.header = MAGIC + name.encode() + b"\n"
        if name == "zstd":
            assert zstandard is not None
            self._compress = zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress
            self._decompress = zstandard.ZstdDecompressor().decompress
        else:
            self._compress = functools.partial(zlib.compress, level=ZLIB_LEVEL)
            self._decompress = zlib.decompress

    def compress(self, data: bytes) -> bytes:
        return self._compress(data)

    def decompress(self, data: bytes | memoryview) -> bytes | None:
        try:
            return self._decompress(data)
        except _CODEC_ERRORS:
            return None


def codecs() -> dict[bytes, Codec]:
    """Codecs this process can read, by header line; the first one is used for writing."""
    names = ["zstd", "zlib"] if zstandard is not None else ["zlib"]
    return {c.header: c for c in map(Codec, names)}


def default_dir(out: Path) -> Path:
    return out.parent / CACHE_DIR / out.name


@functools.cache
def code_fingerprint() -> str:
    """SHA-256 over the datapkg package (code, templates, data) and the libraries it renders with."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256(f"datapkg {__version__}\0python {sys.version}\0".encode())
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        if path.suffix in (".pyc", ".pyo"):
            continue
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    for name in LIBRARIES:
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            version = "-"
        h.update(f"{name}={version}\0".encode())
    for tool in TOOLS:
        found = shutil.which(tool)
        if found:
            st = Path(found).resolve().stat()
            h.update(f"{tool}={Path(found).resolve()}:{st.st_size}:{st.st_mtime_ns}\0".encode())
    return h.hexdigest()


def _file_part(path: Path) -> bytes:
    """Where a file resolves to and its bytes (a link moved elsewhere changes what the loader reports)."""
    return os.fsencode(os.path.realpath(path)) + b"\0" + hashlib.sha256(path.read_bytes()).digest()


def corpus_fingerprint(seeds_root: Path, verified: str | None, sinks: list[str]) -> str:
    """What every document's key shares: the code, dataset.yaml, the verified list, the sinks."""
    h = hashlib.sha256(code_fingerprint().encode() + b"\0")
    h.update(_file_part(seeds_root / "dataset.yaml"))
    if verified:
        try:
            h.update(_file_part(seeds_root / verified))
        except OSError:
            h.update(b"no verified list\0")  # open_seeds reported it already; keep the key stable
    h.update("\0".join(sinks).encode() + b"\0")
    return h.hexdigest()


def document_key(corpus: str, folder: Path, shown: str, files: tuple[str, ...]) -> str | None:
    """The key of one document, or None when a file cannot be read (the loader reports why; no caching)."""
    h = hashlib.sha256(f"{corpus}\0{folder.name}\0{shown}\0".encode())
    h.update(os.fsencode(os.path.realpath(folder)) + b"\0")
    for name in files:
        path = folder / name
        if not path.is_file():
            return None
        try:
            h.update(name.encode() + b"\0" + _file_part(path))
        except OSError:
            return None
    return h.hexdigest()


class BuildCache:
    """One directory of entries; every method is safe to call from several processes at once."""

    def __init__(self, root: Path, codec: str | None = None) -> None:
        self.root = root
        self.readers = codecs()
        self.writer = Codec(codec) if codec else next(iter(self.readers.values()))

    def __getstate__(self) -> dict[str, object]:
        return {"root": self.root, "codec": self.writer.name}  # (de)compressors do not pickle

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__(state["root"], state["codec"])  # type: ignore[arg-type, misc]

    def path(self, key: str) -> Path:
        return self.root / f"{key}{SUFFIX}"

    def get(self, key: str) -> bytes | None:
        """The pickled outcome stored under `key`, or None (missing, truncated, corrupt, unknown codec)."""
        try:
            data = self.path(key).read_bytes()
        except OSError:
            return None
        line = data.find(b"\n") + 1
        codec = self.readers.get(data[:line]) if line else None
        if codec is None or len(data) < line + 32:
            return None
        body = memoryview(data)[line + 32 :]
        if hashlib.sha256(body).digest() != data[line : line + 32]:
            return None
        return codec.decompress(body)

    def put(self, key: str, payload: bytes) -> bool:
        """Store a pickled outcome atomically; False when the cache cannot be written (never fatal)."""
        body = self.writer.compress(payload)
        tmp = self.root / f".{key}.tmp-{os.getpid()}"
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as f:
                f.write(self.writer.header + hashlib.sha256(body).digest())
                f.write(body)
            os.replace(tmp, self.path(key))
        except OSError:
            tmp.unlink(missing_ok=True)
            return False
        return True

    def prune(self, keep: set[str]) -> int:
        """Remove entries not in `keep` and temporary files of dead writers; returns how many went."""
        removed = 0
        try:
            entries = list(os.scandir(self.root))
        except OSError:
            return 0
        for entry in entries:
            if _stale(entry.name, keep):
                try:
                    os.unlink(entry.path)
                    removed += 1
                except OSError:
                    pass
        return removed


def _stale(name: str, keep: set[str]) -> bool:
    """An entry this build did not use, or a temporary file whose writer is gone."""
    temp = _TEMP.match(name)
    if temp:
        return not pid_alive(int(temp["pid"]))
    return name.endswith(SUFFIX) and name[: -len(SUFFIX)] not in keep


def pid_alive(pid: int) -> bool:
    """Whether a process still runs: temporary files and directories are named after their writer's pid."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# ---------------------------------------------------------------- up-to-date check

MANIFEST = "manifest.json"
MANIFEST_VERSION = 1


def output_stamp(out: Path, skip: tuple[str, ...]) -> str:
    """SHA-256 over the path, size and modification time of every file under `out` (top-level `skip`
    entries left out): any file written, removed or replaced since changes it."""
    h = hashlib.sha256()
    for root, dirs, files in os.walk(out):
        rel = os.path.relpath(root, out)
        if rel == ".":
            dirs[:] = [d for d in dirs if d not in skip]
        dirs.sort()
        for name in sorted(files):
            st = os.lstat(os.path.join(root, name))
            h.update(f"{rel}/{name}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}\n".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def read_manifest(root: Path) -> dict[str, object] | None:
    """What the last successful build into this cache's output recorded, or None."""
    try:
        data = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("version") == MANIFEST_VERSION else None


def write_manifest(root: Path, manifest: dict[str, object]) -> None:
    tmp = root / f".{MANIFEST}.tmp-{os.getpid()}"
    try:
        root.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps({"version": MANIFEST_VERSION, **manifest}), encoding="utf-8")
        os.replace(tmp, root / MANIFEST)
    except OSError:
        tmp.unlink(missing_ok=True)  # no manifest: the next build just does the work
