"""Reading the files of a Data Package: existence, size, digest, encoding and, for JSON, syntax.

The byte-level half of `datapkg check` (`datapkg.pkgcheck`): every file is read once, through a raw
reader that hashes and counts what passes (`Digesting`), so that the tables (`datapkg.pkgtables`) are
hashed while they are parsed. `check_file` runs in worker processes: its job and results are picklable.
"""

from __future__ import annotations

import codecs
import hashlib
import io
from dataclasses import dataclass
from typing import Any

from .errors import Problem
from .jsonscan import FastJsonChecker, JsonSyntaxError

CHUNK = 1 << 20


class Problems:
    """Problems of one resource, at most `cap` kept (the rest counted)."""

    def __init__(self, file: str | None, cap: int) -> None:
        self.file = file
        self.cap = cap
        self.items: list[Problem] = []
        self.hidden = 0

    def add(self, code: str, message: str, line: int | None = None, column: int | None = None, **kw: Any) -> None:
        if len(self.items) >= self.cap:
            self.hidden += 1
            return
        kw.setdefault("file", self.file)
        self.items.append(Problem.make(code, message, line=line, column=column, **kw))


@dataclass(frozen=True)
class FileJob:
    """One file's byte-level checks; picklable, so that worker processes can run it."""

    name: str
    path: str  # absolute, resolved
    display: str  # for problem locations
    size: int | None
    digest: tuple[str, str] | None  # (algorithm, lowercase hex)
    encoding: str
    json: bool
    cap: int


class Digesting(io.RawIOBase):
    """A raw file that hashes and counts the bytes read through it."""

    def __init__(self, raw: io.FileIO, algorithm: str) -> None:
        self.raw = raw
        self.hash = hashlib.new(algorithm)
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self.raw.readinto(buffer) or 0
        if n:
            self.hash.update(memoryview(buffer)[:n])
            self.size += n
        return n

    def drain(self) -> None:
        buffer = bytearray(CHUNK)
        while self.readinto(buffer):
            pass


def byte_problems(job: FileJob, digest: Digesting, problems: Problems) -> None:
    if job.size is not None and digest.size != job.size:
        problems.add("package-bytes-mismatch", f"the file has {digest.size:,} bytes, the descriptor says {job.size:,}")
    if job.digest is not None:
        algorithm, expected = job.digest
        actual = digest.hash.hexdigest()
        if actual != expected:
            problems.add(
                "package-hash-mismatch", f"{algorithm} is {actual[:16]}…, the descriptor says {expected[:16]}…"
            )


def open_file(job: FileJob, problems: Problems) -> Digesting | None:
    try:
        raw = open(job.path, "rb", buffering=0)  # noqa: SIM115 - closed by the caller
    except FileNotFoundError:
        problems.add("package-file-missing", f"resource {job.name!r}: the file does not exist")
        return None
    except OSError as exc:
        problems.add("package-file-missing", f"resource {job.name!r}: the file cannot be read ({exc.strerror})")
        return None
    return Digesting(raw, job.digest[0] if job.digest else "sha256")


def check_file(job: FileJob) -> tuple[list[Problem], int, dict[str, Any]]:
    """A file that is not a table: exists, size, digest; text decodes and JSON parses. Runs in workers."""
    problems = Problems(job.display, job.cap)
    digest = open_file(job, problems)
    if digest is None:
        return problems.items, problems.hidden, {"path": job.display, "bytes": None}
    with digest.raw:
        if job.json:
            _check_json(job, digest, problems)
        digest.drain()
    byte_problems(job, digest, problems)
    return problems.items, problems.hidden, {"path": job.display, "bytes": digest.size}


def _check_json(job: FileJob, digest: Digesting, problems: Problems) -> None:
    checker = FastJsonChecker(job.encoding)
    buffer = bytearray(CHUNK)
    try:
        while n := digest.readinto(buffer):
            checker.feed(bytes(buffer[:n]))
        checker.close()
    except UnicodeDecodeError as exc:
        encoding_problem(job, problems, exc)
    except JsonSyntaxError as exc:
        problems.add("package-json-invalid", exc.message, exc.line, exc.column)


def encoding_problem(job: FileJob, problems: Problems, exc: UnicodeDecodeError, **kw: Any) -> None:
    """Where the first undecodable bytes are: a second pass, since readers decode ahead of the parser."""
    decoder = codecs.getincrementaldecoder(job.encoding)()
    offset, line, column = 0, 1, 1
    with open(job.path, "rb") as f:
        while chunk := f.read(CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as found:
                # Bytes the decoder held back from the previous chunk count as this one's.
                start = max(0, found.start - (len(found.object) - len(chunk)))
                before = chunk[:start]
                line += before.count(b"\n")
                column = start - before.rfind(b"\n") if b"\n" in before else column + start
                offset += start
                break
            line += chunk.count(b"\n")
            column = len(chunk) - chunk.rfind(b"\n") if b"\n" in chunk else column + len(chunk)
            offset += len(chunk)
    message = f"not {job.encoding}: {exc.reason} at byte {offset:,} (line {line}, byte {column} of the line)"
    problems.add("package-encoding", message, line, column, **kw)
