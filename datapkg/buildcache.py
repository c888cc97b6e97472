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
compressed body, and the compressed pickle of the document's outcome (`pipeline.Outcome`; the
same body is what a worker sends to the build process, see `pipeline`):
Zstandard level 1 (~500 MB/s on one core here, ~2.7x smaller than the pickle, whose RDF is already
deflated for the release zip; level 3 is 30% slower for entries 6% smaller, and every document of a build writes
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
import pickle
import re
import shutil
import sys
import zlib
from pathlib import Path
from typing import Any

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
            self._zstd = zstandard.ZstdCompressor(level=ZSTD_LEVEL)
            self._compress = self._zstd.compress
            decompressor = zstandard.ZstdDecompressor()
            self._decompress, self._reader = decompressor.decompress, decompressor.stream_reader
        else:
            self._compress = functools.partial(zlib.compress, level=ZLIB_LEVEL)
            self._decompress = zlib.decompress

    def compress(self, data: bytes) -> bytes:
        return self._compress(data)

    def compress_chunks(self, chunks: list[bytes]) -> bytes:
        """`compress(b"".join(chunks))` without joining them: for zlib the same bytes; for zstd a frame
        that decompresses to the same bytes, with the content size in its header as `compress` writes."""
        if self.name == "zstd":
            stream = self._zstd.compressobj(size=sum(map(len, chunks)))
        else:
            stream = zlib.compressobj(ZLIB_LEVEL)
        out = [stream.compress(chunk) for chunk in chunks]
        out.append(stream.flush())
        return b"".join(out)

    def decompress(self, data: bytes | memoryview) -> bytes | None:
        try:
            return self._decompress(data)
        except _CODEC_ERRORS:
            return None

    def unpickle(self, body: bytes) -> Any:
        """The object whose pickle this codec compressed into `body`.

        zstd decompresses as the unpickler reads: the pickle (~0.35 MB a document) is never whole in
        memory, and ~25% faster than decompress() then pickle.loads(). Raises ValueError if `body`
        does not decompress (it was checked against its checksum, so this is not expected).
        """
        try:
            if self.name == "zstd":
                return pickle.load(self._reader(body))
            return pickle.loads(self._decompress(body))
        except (*_CODEC_ERRORS, pickle.UnpicklingError, EOFError) as exc:
            raise ValueError(f"{self.name} payload does not decompress: {exc}") from None


@functools.cache
def codec(name: str) -> Codec:
    """The codec named `name`, made once per process."""
    return Codec(name)


def codecs() -> dict[bytes, Codec]:
    """Codecs this process can read, by header line; the first one is used for writing."""
    names = ["zstd", "zlib"] if zstandard is not None else ["zlib"]
    return {c.header: c for c in map(Codec, names)}


class _Chunks(list):  # type: ignore[type-arg]
    """A pickle's output as the pickler writes it: big bytes values come as they are, not copied."""

    write = list.append


def pickle_chunks(value: Any, protocol: int = pickle.HIGHEST_PROTOCOL) -> list[bytes]:
    """pickle.dumps(value) as a list of pieces to join (or to compress one after the other).

    A rendered document holds ~0.35 MB of bytes values (HTML, deflated RDF); pickle.dumps copies each into
    one growing buffer, a file's write() receives them as they are.
    """
    chunks = _Chunks()
    pickle.dump(value, chunks, protocol=protocol)
    return chunks


def default_dir(out: Path) -> Path:
    return out.parent / CACHE_DIR / out.name


@functools.cache
def code_fingerprint() -> str:
    """SHA-256 over the datapkg package (code, templates, data) and the libraries it renders with."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256(f"datapkg {__version__}\0python {sys.version}\0".encode())
    # The RDF sink caches deflate segments for the release zip: another libz may deflate differently.
    h.update(f"zlib={zlib.ZLIB_RUNTIME_VERSION}\0".encode())
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
    contents = []
    for name in files:
        path = folder / name
        if not path.is_file():
            return None
        try:
            contents.append((name, os.path.realpath(path), path.read_bytes()))
        except OSError:
            return None
    return document_key_of(corpus, folder, shown, contents)


def document_key_of(corpus: str, folder: Path, shown: str, contents: list[tuple[str, str, bytes]]) -> str:
    """`document_key` of files already read: (name, where it resolves to, bytes) each, in key order.

    A worker reads each file once, for this key and for the loader (`seeds.DocumentFiles`).
    """
    h = hashlib.sha256(f"{corpus}\0{folder.name}\0{shown}\0".encode())
    h.update(os.fsencode(os.path.realpath(folder)) + b"\0")
    for name, real, data in contents:
        h.update(name.encode() + b"\0" + os.fsencode(real) + b"\0" + hashlib.sha256(data).digest())
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
        found = self.get_body(key)
        return None if found is None else found[0].decompress(found[1])

    def get_body(self, key: str) -> tuple[Codec, memoryview] | None:
        """The compressed body stored under `key`, checksum verified, with its codec; or None.

        A worker hands the body to the build process as it is: ~2.7x fewer bytes through the pipe
        than the pickle, which the build process decompresses as it reads (`pipeline.Done`).
        """
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
            self.path(key).unlink(missing_ok=True)  # damaged: `put_body` must not keep it (see there)
            return None
        return codec, body

    def put(self, key: str, payload: bytes) -> bool:
        """Store a pickled outcome atomically; False when the cache cannot be written (never fatal)."""
        return self.put_body(key, self.writer.compress(payload))

    def put_body(self, key: str, body: bytes) -> bool:
        """Store a pickled outcome compressed by `self.writer` already (see `put`).

        An entry that holds these bytes already (same size, header and checksum: a build with
        --force renders every document again, to the same bytes) is left as it is. Replacing it
        would free an inode per document, and ext4 without a journal skips recently freed inodes
        one by one when it creates files: the build's own files then cost up to 20x more to create.
        A damaged entry is removed when read (`get_body`), so it is never kept this way.
        """
        head = self.writer.header + hashlib.sha256(body).digest()
        path = self.path(key)
        try:
            if path.stat().st_size == len(head) + len(body):
                with open(path, "rb") as f:
                    if f.read(len(head)) == head:
                        return True
        except OSError:
            pass  # no entry yet (or unreadable): write it
        tmp = self.root / f".{key}.tmp-{os.getpid()}"
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as f:
                f.write(head)
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
