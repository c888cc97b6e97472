"""Reading seeds/: dataset.yaml and one folder per document, into validated records.

Each document is loaded on its own (`load_document`), so a corpus can be
processed one document at a time or in worker processes; the only state shared
across documents is the actor index (`ActorIndex`).
"""

from __future__ import annotations

import difflib
import gc
import hashlib
import operator
import os
import re
import stat
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from . import checks
from .anchor import AnchorFailure, Text
from .config import DatasetSpec
from .errors import DataError, Problem, UsageError
from .mentions import Hit, find_alias_hits, locate_mention
from .model import (
    DOC_ID_PATTERN,
    WIKIDATA_PATTERN,
    Actor,
    ActorSpec,
    AnnotationFile,
    Claim,
    Document,
    DocumentFact,
    DocumentRecords,
    Mention,
    Recommendation,
    RecommendationSpec,
    Relation,
    unit_id,
)
from .yamlsrc import YamlDoc, YamlProblem, parse_yaml

DATASET_FILE = "dataset.yaml"
ESSAY_FILE = "essay.txt"
ANNOTATIONS_FILE = "annotations.yaml"


def display_path(path: Path) -> str:
    """Path as users typed it: relative to the working directory when inside it; always printable."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        rel = str(path)
    shown = str(path) if rel.startswith("..") else rel
    # Undecodable file names come back with lone surrogates, which cannot be printed or written as JSON.
    return shown.encode("utf-8", "backslashreplace").decode("utf-8")


# ---------------------------------------------------------------- files


def resolve(path: Path) -> Path:
    """`path` with every symlink and '..' resolved; a symlink loop is reported, not raised."""
    try:
        return path.resolve()
    except (OSError, RuntimeError) as exc:  # Python 3.11 raises RuntimeError for loops, 3.13 OSError
        raise DataError(Problem.make("file-unreadable", f"{path.name}: {exc}", file=display_path(path))) from None


def resolve_below(path: Path, root: Path, real_root: Path) -> Path:
    """`resolve(path)` for a path one or two levels below `root`, whose resolved form is `real_root`.

    When no component below `root` is a symbolic link (one lstat each), the result is `real_root`
    joined with them, as resolve() would find by checking every component of the whole path; any
    other case (a link, a missing file, '..') is left to resolve().
    """
    below: list[Path] = []
    current = path
    while current != root:
        if len(below) == 2 or current.name in ("", ".", ".."):
            return resolve(path)
        below.append(current)
        current = current.parent
    for part in below:
        try:
            if stat.S_ISLNK(os.lstat(part).st_mode):
                return resolve(path)
        except OSError:
            return resolve(path)
    return real_root.joinpath(*(part.name for part in reversed(below)))


def is_inside(path: Path, root: Path, real_root: Path | None = None) -> bool:
    """Does `path`, with every symlink and '..' resolved, lie inside `root` (`real_root`: root resolved)?"""
    if real_root is None:
        return _inside(resolve(path), resolve(root))
    return _inside(resolve_below(path, root, real_root), real_root)


def _inside(real: Path, real_root: Path) -> bool:
    return real == real_root or real_root in real.parents


def read_bytes(path: Path, root: Path, limit: int, real_root: Path | None = None, shown: str | None = None) -> bytes:
    """Read a regular file that must lie inside `root`, refusing oversized files before reading them.

    `real_root` is `root` already resolved and `shown` the file's display path, when the caller has them.
    """
    return _read_checked(path, root, limit, real_root, shown)[0]


def _read_checked(
    path: Path, root: Path, limit: int, real_root: Path | None = None, shown: str | None = None
) -> tuple[bytes, Path]:
    """`read_bytes`, and where the file resolves to."""
    shown = shown or display_path(path)
    if real_root is None:
        real = resolve(path)
        real_root = resolve(root)
    else:
        real = resolve_below(path, root, real_root)
    if not _inside(real, real_root):
        raise DataError(Problem.make("path-unsafe", f"{path.name} resolves outside the seeds directory", file=shown))
    if not path.is_file():
        what = "is not a regular file" if path.exists() else "not found"
        raise DataError(Problem.make("file-missing", f"{path.name} {what}", file=shown))
    try:
        size = real.stat().st_size
        if size > limit:
            raise DataError(
                Problem.make(
                    "file-too-large", f"{size} bytes exceeds the limit of {limit} bytes", file=shown, line=1, column=1
                )
            )
        with real.open("rb") as handle:  # read at most limit + 1 bytes: the file may grow after stat()
            # Asking for size + 1 bytes first spares a buffer of `limit` bytes (an mmap) per file;
            # a file that grew is read on as far as the limit allows: the same bytes either way.
            data = handle.read(size + 1)
            if len(data) > size:
                data += handle.read(limit - size)
    except OSError as exc:
        raise DataError(Problem.make("file-unreadable", f"{path.name}: {exc.strerror}", file=shown)) from None
    if len(data) > limit:
        raise DataError(Problem.make("file-too-large", f"more than {limit} bytes", file=shown, line=1, column=1))
    return data, real


@dataclass
class DocumentFiles:
    """A document's files read once (`read_files`): for its cache key and for `load_document`."""

    data: dict[str, bytes] = field(default_factory=dict)  # by file name, the files that could be read
    real: dict[str, str] = field(default_factory=dict)  # where each of them resolves to
    problems: dict[str, list[Problem]] = field(default_factory=dict)  # why the others could not

    def read(self, name: str) -> bytes:
        """The bytes of file `name`, or the DataError reading it raised."""
        data = self.data.get(name)
        if data is None:
            raise DataError(self.problems[name])
        return data


def read_files(seeds: Seeds, folder: Path, names: tuple[str, ...]) -> DocumentFiles:
    """Read the files `names` of a document folder as `load_document` reads them (limits, checks)."""
    files = DocumentFiles()
    limit = seeds.dataset.limits.max_file_bytes
    for name in names:
        try:
            data, real = _read_checked(folder / name, seeds.root, limit, seeds.real_root)
        except DataError as exc:
            files.problems[name] = exc.problems
        else:
            files.data[name], files.real[name] = data, str(real)
    return files


def _decode_utf8(data: bytes, shown: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        line = data.count(b"\n", 0, exc.start) + 1
        column = len(data[line_start : exc.start].decode("utf-8", "replace")) + 1
        raise DataError(
            Problem.make(
                "text-encoding",
                f"byte 0x{data[exc.start]:02x} at byte offset {exc.start} is not UTF-8",
                file=shown,
                line=line,
                column=column,
            )
        ) from None


def decode_text(data: bytes, shown: str) -> str:
    """Decode an essay: strict UTF-8, no BOM, no NUL, LF line ends, not empty.

    CR and CRLF are refused rather than normalised: the essay is published byte for
    byte (its SHA-256 is a record field) and offsets must index the file as it is.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        raise DataError(
            Problem.make("text-bom", "text starts with a UTF-8 byte order mark", file=shown, line=1, column=1)
        )
    text = _decode_utf8(data, shown)
    for char, code in (("\x00", "text-nul"), ("\r", "text-crlf")):
        pos = text.find(char)
        if pos != -1:
            line, col = Text(text).line_col(pos)
            what = "NUL character" if code == "text-nul" else "carriage return"
            count = text.count(char)
            raise DataError(
                Problem.make(
                    code,
                    f"{what} at line {line}" + (f" (and {count - 1} more)" if count > 1 else ""),
                    file=shown,
                    line=line,
                    column=col,
                )
            )
    if not text.strip():
        raise DataError(Problem.make("text-empty", "the text is empty", file=shown, line=1, column=1))
    return text


def read_yaml(
    path: Path, root: Path, limit: int, real_root: Path | None = None, files: DocumentFiles | None = None
) -> YamlDoc:
    """Read and parse a YAML file (`files`: where its bytes were read already)."""
    shown = display_path(path)
    data = files.read(path.name) if files is not None else read_bytes(path, root, limit, real_root, shown)
    text = _decode_utf8(data[3:] if data.startswith(b"\xef\xbb\xbf") else data, shown)  # a BOM is harmless here
    try:
        return parse_yaml(text, shown)
    except YamlProblem as exc:
        raise DataError(exc.problem) from None


def _data_path(loc: tuple, data: Any) -> tuple:
    """The part of a pydantic error location that exists in the data (drops union-member labels)."""
    path: list[str | int] = []
    for i, part in enumerate(loc):
        in_dict = isinstance(data, dict) and isinstance(part, str) and part in data
        in_list = isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        if in_dict or in_list:
            data = data[part]
        elif i == len(loc) - 1 and isinstance(part, str):
            path.append(part)  # a missing key: keep it; positions fall back to the mapping
            break
        else:
            continue  # a label pydantic adds for union members
        path.append(part)
    return tuple(path)


def _model_at(model: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """The model class that holds the fields at `loc` (for 'did you mean' suggestions)."""
    current: type[BaseModel] | None = model
    for part in loc:
        if current is None or not isinstance(part, str):
            continue
        info = current.model_fields.get(part)
        if info is None:
            return None
        current = _first_model(info.annotation)
    return current


def _first_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _first_model(arg)
        if found is not None:
            return found
    return None


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def validation_problems(exc: ValidationError, doc: YamlDoc, model: type[BaseModel] | None = None) -> list[Problem]:
    """Translate pydantic errors into problems pointing into the YAML file.

    Unknown and missing keys point at the key (or the mapping that lacks it); wrong values at the value.
    """
    problems = []
    for err in exc.errors():
        loc = _data_path(tuple(err["loc"]), doc.data)
        kind = err["type"]
        field_path = ".".join(str(p) for p in loc) or "(top level)"
        hint = None
        line, col = doc.where(loc)
        if kind == "extra_forbidden":
            line, col = doc.where_key(loc)
            top = len(loc) == 1 and doc.file.endswith(ANNOTATIONS_FILE)
            code = "unknown-record-kind" if top else "unknown-field"
            message = f"unknown {'record kind' if top else 'field'} {str(loc[-1])!r}"
            holder = _model_at(model, loc[:-1]) if model else None
            if holder is not None:
                known = sorted(holder.model_fields)
                close = difflib.get_close_matches(str(loc[-1]), known, n=1)
                hint = (f"did you mean {close[0]!r}? " if close else "") + f"allowed: {', '.join(known)}"
        elif kind == "missing":
            code, message = "missing-field", f"required field {field_path!r} is missing"
            if loc[-1:] == ("addressees",):
                hint = "a recommendation names at least one addressee: the actor who should act"
        elif loc[-1:] == ("wikidata",) or (len(loc) > 1 and loc[-2] == "wikidata"):
            code, message = "wikidata-id-invalid", f"{_short(err.get('input'))} is not a Wikidata item id"
        elif loc == ("document", "id") and kind == "string_pattern_mismatch":
            code, message = "document-id-invalid", f"document.id {_short(err.get('input'))} is not a safe id"
        else:
            code, message = "invalid-value", f"{field_path}: {err['msg']}"
            if loc[-1:] == ("addressees",):
                hint = "a recommendation names at least one addressee: the actor who should act"
            elif kind == "string_type" and isinstance(err.get("input"), bool | int | float):
                hint = "YAML read this as a number or true/false: put the value in quotes"
        problems.append(Problem.make(code, message, file=doc.file, line=line, column=col, hint=hint))
    return problems


M = TypeVar("M", bound=BaseModel)


def parse_model(model: type[M], doc: YamlDoc) -> M:
    if not isinstance(doc.data, dict):
        line, col = doc.where(())
        raise DataError(
            Problem.make(
                "invalid-value",
                "the file must contain a mapping of keys to values",
                file=doc.file,
                line=line,
                column=col,
            )
        )
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        raise DataError(validation_problems(exc, doc, model)) from None


# ---------------------------------------------------------------- dataset


@dataclass(frozen=True)
class Seeds:
    """The seeds directory with its parsed dataset.yaml."""

    root: Path
    dataset: DatasetSpec
    verified_wikidata: frozenset[str] | None
    real_root: Path | None = None  # root with symlinks resolved, once (None: resolved for every file)

    def document_dirs(self) -> list[Path]:
        return document_dirs(self.root)


def open_seeds(root: Path | str) -> Seeds:
    """Open a seeds directory: dataset.yaml parsed and checked, the verified Wikidata list read."""
    root = Path(root)
    if not root.is_dir():
        raise UsageError(
            Problem.make(
                "seeds-missing", f"seeds directory {display_path(root)!r} does not exist", file=display_path(root)
            )
        )
    if not (root / DATASET_FILE).is_file() and not (root / DATASET_FILE).is_symlink():
        raise UsageError(
            Problem.make(
                "seeds-missing",
                f"{display_path(root)!r} has no {DATASET_FILE}; is it a seeds directory?",
                file=display_path(root),
            )
        )
    real_root = resolve(root)
    doc = read_yaml(root / DATASET_FILE, root, 1_000_000, real_root)
    dataset = parse_model(DatasetSpec, doc)
    verified = None
    if dataset.wikidata_verified:
        path = root / dataset.wikidata_verified
        try:
            shown = display_path(path)
            text = decode_text(read_bytes(path, root, 10_000_000, real_root, shown), shown)
        except DataError as exc:
            # Point at the setting in dataset.yaml: that is what the user has to change.
            line, col = doc.where(("wikidata_verified",))
            raise DataError(
                [
                    Problem.make(
                        p.code, f"wikidata_verified: {p.message}", file=doc.file, line=line, column=col, hint=p.hint
                    )
                    for p in exc.problems
                ]
            ) from None
        verified = frozenset(
            cells[1].strip()
            for line in text.splitlines()[1:]
            if len(cells := line.split("\t")) > 1 and re.fullmatch(WIKIDATA_PATTERN, cells[1].strip())
        )
    return Seeds(root=root, dataset=dataset, verified_wikidata=verified, real_root=real_root)


def scan_document_dirs(root: Path) -> list[tuple[Path, Problem | None]]:
    """Document folders in corpus order, each with the problem that makes it unusable (or None).

    Hidden entries and plain files are skipped; a folder whose name is not a safe document id, or
    that links outside the seeds directory, is reported.
    """
    found: list[tuple[Path, Problem | None]] = []
    try:
        entries = sorted(root.iterdir(), key=lambda p: p.name + "/")
    except OSError as exc:
        raise DataError(Problem.make("file-unreadable", f"{exc.strerror}", file=display_path(root))) from None
    real_root = resolve(root)
    for entry in entries:
        if entry.name.startswith(".") or not entry.is_dir():
            continue
        problem = None
        if not re.fullmatch(DOC_ID_PATTERN, entry.name):
            problem = Problem.make(
                "document-id-invalid",
                f"folder name {entry.name!r} is not a safe document id",
                file=display_path(entry),
            )
        elif not is_inside(entry, root, real_root):
            problem = Problem.make(
                "path-unsafe", f"{entry.name} links outside the seeds directory", file=display_path(entry)
            )
        found.append((entry, problem))
    return found


def document_dirs(root: Path) -> list[Path]:
    """Usable document folders in corpus order; raises DataError for unusable ones or none at all."""
    scanned = scan_document_dirs(root)
    problems = [p for _, p in scanned if p is not None]
    if problems:
        raise DataError(problems)
    if not scanned:
        raise DataError(_no_documents(root))
    return [entry for entry, _ in scanned]


def _no_documents(root: Path) -> Problem:
    return Problem.make("seeds-empty", "no document folders found", file=display_path(root))


# ---------------------------------------------------------------- documents


@dataclass
class DocResult:
    """Outcome of loading one document: records (if valid), problems, figures."""

    doc_id: str
    records: DocumentRecords | None
    problems: list[Problem] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    actor_locations: dict[str, tuple[str, int | None, int | None]] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def load_document(seeds: Seeds, folder: Path, files: DocumentFiles | None = None) -> DocResult:
    """Load, anchor and check one document. Never raises for bad data: problems go into the result.

    `files`: its essay and annotations, read already by `read_files` (else they are read here).
    """
    result = DocResult(doc_id=folder.name, records=None)
    try:
        if not re.fullmatch(DOC_ID_PATTERN, folder.name):
            raise DataError(
                Problem.make(
                    "document-id-invalid",
                    f"folder name {folder.name!r} is not a safe document id",
                    file=display_path(folder),
                )
            )
        with _collector_paused():
            _load_into(result, seeds, folder, files)
    except DataError as exc:
        result.problems.extend(exc.problems)
    if result.errors:
        result.records = None
    return result


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while one document loads.

    Loading makes thousands of containers (YAML values and positions, specs, records), nearly all
    freed by reference counting when it ends; with the collector running they trigger about two
    young-generation collections per document and, every few dozen documents, a full collection of
    the whole heap: ~1 ms a document in a build, about what reading the YAML costs. Paused, the
    survivors are collected once, after the document. Nested or already disabled: left as it is.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _maker(model: type[M]) -> Callable[..., M]:
    """`model(**fields)`, validated by the same validator but without the Python `__init__` call around
    it: ~25% less time per record, and a document makes some 200 records."""
    validate = model.__pydantic_validator__.validate_python

    def make(**fields: Any) -> M:
        return validate(fields)  # type: ignore[no-any-return]

    return make


_document, _fact, _new_actor = _maker(Document), _maker(DocumentFact), _maker(Actor)
_claim, _recommendation, _relation = _maker(Claim), _maker(Recommendation), _maker(Relation)
_mention, _records = _maker(Mention), _maker(DocumentRecords)


class _Builder:
    """Collects problems while turning specs into records for one document."""

    def __init__(self, result: DocResult, ydoc: YamlDoc, text: Text, doc_id: str, essay_file: str) -> None:
        self.result, self.ydoc, self.text, self.doc_id = result, ydoc, text, doc_id
        self.essay_file = essay_file

    def problem(
        self,
        code: str,
        message: str,
        path: tuple,
        subject: str | None = None,
        hint: str | None = None,
        at_key: bool = False,
    ) -> None:
        line, col = self.ydoc.where_key(path) if at_key else self.ydoc.where(path)
        self.result.problems.append(
            Problem.make(code, message, file=self.ydoc.file, line=line, column=col, subject=subject, hint=hint)
        )

    def anchor(
        self, quote: str, path: tuple, subject: str, occurrence: int | None = None, start: int | None = None
    ) -> tuple[int, int] | None:
        try:
            return self.text.locate(quote, occurrence=occurrence, start=start)
        except AnchorFailure as fail:
            self.problem(fail.code, fail.message, path, subject, fail.hint)
            return None


def _read_document(
    seeds: Seeds, folder: Path, essay_shown: str, files: DocumentFiles | None
) -> tuple[YamlDoc, str, AnnotationFile]:
    """Both files read and parsed; problems of both are reported together."""
    limit = seeds.dataset.limits.max_file_bytes
    essay_path = folder / ESSAY_FILE
    problems: list[Problem] = []
    ydoc, raw = None, None
    try:
        ydoc = read_yaml(folder / ANNOTATIONS_FILE, seeds.root, limit, seeds.real_root, files)
    except DataError as exc:
        problems.extend(exc.problems)
    try:
        if files is not None:
            data = files.read(ESSAY_FILE)
        else:
            data = read_bytes(essay_path, seeds.root, limit, seeds.real_root, essay_shown)
        raw = decode_text(data, essay_shown)
    except DataError as exc:
        problems.extend(exc.problems)
    spec = None
    if ydoc is not None:
        try:
            spec = parse_model(AnnotationFile, ydoc)
        except DataError as exc:
            problems.extend(exc.problems)
    if problems or ydoc is None or raw is None or spec is None:
        raise DataError(problems)
    return ydoc, raw, spec


def _load_into(result: DocResult, seeds: Seeds, folder: Path, files: DocumentFiles | None) -> None:
    essay_shown = display_path(folder / ESSAY_FILE)
    ydoc, raw, spec = _read_document(seeds, folder, essay_shown, files)
    text = Text(raw)
    doc_id = folder.name
    b = _Builder(result, ydoc, text, doc_id, essay_shown)
    sha = hashlib.sha256(raw.encode("utf-8")).hexdigest()

    dspec = spec.document
    if dspec.id is not None and dspec.id != doc_id:
        b.problem(
            "document-id-mismatch",
            f"document.id {dspec.id!r} differs from folder {doc_id!r}",
            ("document", "id"),
            "document",
        )
    if dspec.sha256 is not None and dspec.sha256 != sha:
        b.problem("text-hash-mismatch", f"essay.txt has SHA-256 {sha}", ("document", "sha256"), "document")

    facts = []
    for prop in ("author", "publisher", "date", "url"):
        value = getattr(dspec, prop)
        if value is None:
            continue
        if value.status == "inferred" and not value.evidence:
            b.problem("evidence-missing", f"{prop} is inferred but gives no evidence", ("document", prop), "document")
        for i, quote in enumerate(value.evidence):
            if quote not in raw:  # evidence only has to occur; it need not be unique
                b.anchor(quote, ("document", prop, "evidence", i), f"document {prop} evidence")
        facts.append(
            _fact(
                document_id=doc_id,
                property=prop,
                value=value.value,
                status=value.status,
                evidence=list(value.evidence),
                note=value.note,
            )
        )
    document = _document(
        id=doc_id,
        title=dspec.title,
        language=dspec.language,
        genre=dspec.genre,
        author=dspec.author.value if dspec.author else None,
        publisher=dspec.publisher.value if dspec.publisher else None,
        date=dspec.date.value if dspec.date else None,
        url=dspec.url.value if dspec.url else None,
        sha256=sha,
        length=len(raw),
        text=raw,
        facts=facts,
    )

    actors = [_actor(a) for a in spec.actors]
    for i, a in enumerate(spec.actors):
        line, col = ydoc.where(("actors", i))
        result.actor_locations.setdefault(a.id, (ydoc.file, line, col))
    mentions = _mentions(b, spec.actors)

    claims: list[Claim] = []
    unit_specs = [("claims", i, c) for i, c in enumerate(spec.claims)]
    unit_specs += [("recommendations", i, r) for i, r in enumerate(spec.recommendations)]
    for section, i, c in unit_specs:
        kind = "recommendation" if isinstance(c, RecommendationSpec) else "claim"
        subject = f"{kind} {c.id}"
        span = b.anchor(c.quote, (section, i, "quote"), subject, c.occurrence, c.start)
        if span is None:
            continue
        quote = raw[span[0] : span[1]]
        cue_fields: list[tuple[tuple, str]] = [((section, i, "cues", k), cue) for k, cue in enumerate(c.cues)]
        if isinstance(c, RecommendationSpec) and c.modality_cue:
            cue_fields.append(((section, i, "modality_cue"), c.modality_cue))
        for path, cue in cue_fields:
            if cue not in quote:
                b.problem("cue-not-in-quote", f"{path[2]} {cue!r} is not in the quote", path, subject)
        common = dict(
            id=unit_id(doc_id, c.id),
            document_id=doc_id,
            local_id=c.id,
            text=quote,
            start=span[0],
            end=span[1],
            kind=c.kind,
            role=c.role,
            certainty=c.certainty,
            cues=list(c.cues),
            about=list(c.about),
            note=c.note,
        )
        if isinstance(c, RecommendationSpec):
            claims.append(
                _recommendation(
                    **common,
                    addressees=list(c.addressees),
                    action=c.action,
                    targets=list(c.targets),
                    beneficiaries=list(c.beneficiaries),
                    modality=c.modality,
                    modality_cue=c.modality_cue,
                    time_frame=c.time_frame,
                )
            )
        else:
            claims.append(_claim(**common))

    relations = []
    for r in spec.relations:
        source, type_, target = r.source, r.type, r.target  # read once: pydantic attribute reads are slow
        relations.append(
            _relation(
                id=relation_id(doc_id, source, type_, target),
                document_id=doc_id,
                source_id=unit_id(doc_id, source),
                target_id=unit_id(doc_id, target),
                type=type_,
                note=r.note,
            )
        )
    checks.check_document(b, spec, seeds)
    records = _records(
        document=document,
        actors=sorted(actors, key=_by_id),
        claims=sorted(claims, key=_by_id),
        relations=sorted(relations, key=_by_id),
        mentions=sorted(mentions, key=_by_id),
    )
    result.stats = checks.coverage(b, records, seeds.dataset.limits.coverage_min_share)
    result.records = records


_by_id = operator.attrgetter("id")  # sort key of records (no Python frame per record)


def relation_id(doc_id: str, source: str, type_: str, target: str) -> str:
    """Relation id <doc>/<source>-<type>-<target> (checks.py reports the rare ids two relations share)."""
    return f"{doc_id}/{source}-{type_}-{target}"


def _actor(spec: ActorSpec) -> Actor:
    return _new_actor(
        id=spec.id,
        name=spec.name,
        kind=spec.kind,
        aliases=sorted(set(spec.aliases)),
        wikidata=spec.wikidata,
        description=spec.description,
        part_of=list(spec.part_of),
        member_of=list(spec.member_of),
    )


def _mentions(b: _Builder, actors: list[ActorSpec]) -> list[Mention]:
    surface_to_actor: dict[str, str] = {}
    for i, a in enumerate(actors):
        for j, surface in enumerate([a.name, *a.aliases]):
            other = surface_to_actor.setdefault(surface, a.id)
            if other != a.id:
                path = ("actors", i, "aliases", j - 1) if j else ("actors", i, "name")
                b.problem(
                    "alias-conflict", f"{surface!r} is also a name or alias of actor {other!r}", path, f"actor {a.id}"
                )
    hits = {(h.start, h.end, h.actor_id): h for h in find_alias_hits(b.text, surface_to_actor)}
    added: list[Hit] = []
    for i, a in enumerate(actors):
        for j, rule in enumerate(a.mentions.exclude):
            path = ("actors", i, "mentions", "exclude", j)
            span = _rule_span(b, rule, path, a.id)
            if span is None:
                continue
            if hits.pop((*span, a.id), None) is None:
                b.problem(
                    "mention-not-found",
                    f"no automatic mention of {a.id!r} at {rule.text!r} to exclude",
                    path,
                    f"actor {a.id}",
                    "an exclude rule must designate exactly a mention found from the actor's name or aliases",
                )
        for j, rule in enumerate(a.mentions.add):
            span = _rule_span(b, rule, ("actors", i, "mentions", "add", j), a.id)
            if span is not None:
                added.append(Hit(a.id, span[0], span[1], "added"))
    for hit in added:  # an explicit rule wins over any automatic hit it overlaps
        overlapped = [k for k, h in hits.items() if h.method == "alias" and k[0] < hit.end and hit.start < k[1]]
        for key in overlapped:
            del hits[key]
        hits[(hit.start, hit.end, hit.actor_id)] = hit
    doc_id = b.doc_id
    return [
        _mention(
            id=f"{doc_id}/m{h.start}-{h.end}-{h.actor_id}",
            document_id=doc_id,
            actor_id=h.actor_id,
            start=h.start,
            end=h.end,
            text=b.text.value[h.start : h.end],
            method=h.method,
        )
        for h in hits.values()
    ]


def _rule_span(b: _Builder, rule: Any, path: tuple, actor_id: str) -> tuple[int, int] | None:
    try:
        return locate_mention(b.text, rule)
    except AnchorFailure as fail:
        b.problem(
            fail.code if fail.code != "quote-not-found" else "mention-not-found",
            fail.message,
            path,
            f"actor {actor_id}",
            fail.hint,
        )
        return None


# ---------------------------------------------------------------- corpus


Where = tuple[str, int | None, int | None]


class ActorIndex:
    """Actors across the corpus: one record per id, conflicts and shared Wikidata ids reported."""

    IDENTITY = ("name", "kind", "wikidata", "description", "part_of", "member_of")

    def __init__(self) -> None:
        self.actors: dict[str, Actor] = {}
        self.by_wikidata: dict[str, str] = {}
        self.defined_at: dict[str, Where] = {}

    def _first(self, actor_id: str) -> str:
        file, line, _ = self.defined_at[actor_id]
        return f"{file}:{line}" if line is not None else file

    def add(self, actor: Actor, where: Where) -> list[Problem]:
        file, line, col = where
        known = self.actors.get(actor.id)
        if known is None:
            if actor.wikidata:
                other = self.by_wikidata.setdefault(actor.wikidata, actor.id)
                if other != actor.id:
                    return [
                        Problem.make(
                            "wikidata-duplicate",
                            f"{actor.wikidata} is also the Wikidata id of actor {other!r} ({self._first(other)})",
                            file=file,
                            line=line,
                            column=col,
                            subject=f"actor {actor.id}",
                        )
                    ]
            self.actors[actor.id] = actor
            self.defined_at[actor.id] = where
            return []
        differs = [f for f in self.IDENTITY if getattr(known, f) != getattr(actor, f)]
        if differs:
            detail = "; ".join(f"{f}: {getattr(known, f)!r} there, {getattr(actor, f)!r} here" for f in differs)
            return [
                Problem.make(
                    "actor-conflict",
                    f"defined differently at {self._first(actor.id)} ({detail})",
                    file=file,
                    line=line,
                    column=col,
                    subject=f"actor {actor.id}",
                )
            ]
        if set(actor.aliases) - set(known.aliases):
            self.actors[actor.id] = known.model_copy(
                update={"aliases": sorted(set(known.aliases) | set(actor.aliases))}
            )
        return []

    def sorted(self) -> list[Actor]:
        return [self.actors[k] for k in sorted(self.actors)]


def iter_documents(seeds: Seeds) -> Iterator[DocResult]:
    """Every document folder in corpus order, loaded; unusable folders come back as results with problems.

    Raises DataError(seeds-empty) when there is no document folder at all.
    """
    scanned = scan_document_dirs(seeds.root)
    if not scanned:
        raise DataError(_no_documents(seeds.root))
    for folder, problem in scanned:
        if problem is not None:
            yield DocResult(doc_id=folder.name, records=None, problems=[problem])
        else:
            yield load_document(seeds, folder)


def merge_actors(index: ActorIndex, result: DocResult) -> None:
    """Add a valid document's actors to the corpus index, recording conflicts on the result."""
    if result.records is None:
        return
    for actor in result.records.actors:
        result.problems.extend(index.add(actor, result.actor_locations[actor.id]))
    if result.errors:
        result.records = None
