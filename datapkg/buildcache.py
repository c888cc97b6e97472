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

An entry is one file `<key>.bin`: a magic line, the SHA-256 of the compressed body, and the
zlib-compressed pickle of the document's outcome (see `datapkg.build.Outcome`). Entries are
written to a temporary name and renamed, so a reader never sees half an entry; an entry that is
truncated or corrupt fails its checksum and counts as a miss. The cache lives beside the output
(`<out parent>/.datapkg-cache/<out name>/`); like any pickle it must only be written by you.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import re
import shutil
import sys
import zlib
from functools import cache
from pathlib import Path

from . import __version__

CACHE_DIR = ".datapkg-cache"
FORMAT = b"datapkg-cache 1\n"
SUFFIX = ".bin"
# zlib level 1: 13x smaller than the pickle (the RDF is very repetitive) at ~150 MB/s; the cache
# would otherwise be as large as the build itself and double the disk traffic.
LEVEL = 1
# Libraries and tools whose behaviour shapes the rendered bytes.
LIBRARIES = ("pydantic", "pydantic-core", "Jinja2", "MarkupSafe", "graphviz", "PyYAML", "rdflib")
TOOLS = ("dot",)
_TEMP = re.compile(r"^\.(?P<key>[0-9a-f]{64})\.tmp-(?P<pid>\d+)$")


def default_dir(out: Path) -> Path:
    return out.parent / CACHE_DIR / out.name


@cache
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

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        return self.root / f"{key}{SUFFIX}"

    def get(self, key: str) -> bytes | None:
        """The pickled outcome stored under `key`, or None (missing, truncated, corrupt)."""
        try:
            data = self.path(key).read_bytes()
        except OSError:
            return None
        head = len(FORMAT) + 32
        if not data.startswith(FORMAT) or len(data) < head:
            return None
        body = memoryview(data)[head:]
        if hashlib.sha256(body).digest() != data[len(FORMAT) : head]:
            return None
        try:
            return zlib.decompress(body)
        except zlib.error:
            return None

    def put(self, key: str, payload: bytes) -> bool:
        """Store a pickled outcome atomically; False when the cache cannot be written (never fatal)."""
        body = zlib.compress(payload, LEVEL)
        tmp = self.root / f".{key}.tmp-{os.getpid()}"
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as f:
                f.write(FORMAT + hashlib.sha256(body).digest())
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
            name = entry.name
            m = _TEMP.match(name)
            if m:
                stale = not _alive(int(m["pid"]))
            else:
                stale = name.endswith(SUFFIX) and name[: -len(SUFFIX)] not in keep
            if stale:
                try:
                    os.unlink(entry.path)
                    removed += 1
                except OSError:
                    pass
        return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
