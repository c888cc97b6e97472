"""Reading seeds/: dataset.yaml and one folder per document, into validated records.

Each document is loaded on its own (`load_document`), so a corpus can be
processed one document at a time or in worker processes; the only state shared
across documents is the actor index (`ActorIndex`).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
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
    """Path as users typed it: relative to the working directory when inside it."""
    rel = os.path.relpath(path)
    return str(path) if rel.startswith("..") else rel


# ---------------------------------------------------------------- files


def read_bytes(path: Path, root: Path, limit: int) -> bytes:
    """Read a file that must lie inside `root`, refusing oversized files."""
    shown = display_path(path)
    if not path.is_file():
        raise DataError(Problem.make("file-missing", f"{path.name} not found", file=shown))
    real, real_root = path.resolve(), root.resolve()
    if real_root not in real.parents:
        raise DataError(Problem.make("path-unsafe", f"{path.name} resolves outside the seeds directory", file=shown))
    size = real.stat().st_size
    if size > limit:
        raise DataError(Problem.make("file-too-large", f"{size} bytes exceeds the limit of {limit} bytes", file=shown))
    return real.read_bytes()


def decode_text(data: bytes, shown: str) -> str:
    """Decode an essay: strict UTF-8, no BOM, no NUL, LF line ends, not empty."""
    if data.startswith(b"\xef\xbb\xbf"):
        raise DataError(
            Problem.make("text-bom", "text starts with a UTF-8 byte order mark", file=shown, line=1, column=1)
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataError(
            Problem.make(
                "text-encoding",
                f"byte 0x{data[exc.start]:02x} at offset {exc.start} is not UTF-8",
                file=shown,
                line=line,
            )
        ) from None
    for char, code in (("\x00", "text-nul"), ("\r", "text-crlf")):
        pos = text.find(char)
        if pos != -1:
            line, col = Text(text).line_col(pos)
            what = "NUL character" if code == "text-nul" else "carriage return"
            raise DataError(Problem.make(code, f"{what} at line {line}", file=shown, line=line, column=col))
    if not text.strip():
        raise DataError(Problem.make("text-empty", "the text is empty", file=shown))
    return text


def read_yaml(path: Path, root: Path, limit: int) -> YamlDoc:
    shown = display_path(path)
    data = read_bytes(path, root, limit)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataError(Problem.make("text-encoding", "file is not UTF-8", file=shown, line=line)) from None
    try:
        return parse_yaml(text, shown)
    except YamlProblem as exc:
        raise DataError(exc.problem) from None


def validation_problems(exc: ValidationError, doc: YamlDoc) -> list[Problem]:
    """Translate pydantic errors into problems pointing into the YAML file."""
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        line, col = doc.where(loc)
        kind = err["type"]
        field_path = ".".join(str(p) for p in loc) or "(top level)"
        if kind == "extra_forbidden":
            code = "unknown-record-kind" if len(loc) == 1 and doc.file.endswith(ANNOTATIONS_FILE) else "unknown-field"
            message = f"unknown {'record kind' if code == 'unknown-record-kind' else 'field'} {loc[-1]!r}"
        elif kind == "missing":
            code, message = "missing-field", f"required field {field_path!r} is missing"
        elif loc and loc[-1] == "wikidata" and kind == "string_pattern_mismatch":
            code, message = "wikidata-id-invalid", f"{err['input']!r} is not a Wikidata item id"
        else:
            code, message = "invalid-value", f"{field_path}: {err['msg']}"
        problems.append(Problem.make(code, message, file=doc.file, line=line, column=col))
    return problems


M = TypeVar("M", bound=BaseModel)


def parse_model(model: type[M], doc: YamlDoc) -> M:
    if not isinstance(doc.data, dict):
        raise DataError(
            Problem.make("invalid-value", "the file must contain a mapping", file=doc.file, line=1, column=1)
        )
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        raise DataError(validation_problems(exc, doc)) from None


# ---------------------------------------------------------------- dataset


@dataclass(frozen=True)
class Seeds:
    """The seeds directory with its parsed dataset.yaml."""

    root: Path
    dataset: DatasetSpec
    verified_wikidata: frozenset[str] | None

    def document_dirs(self) -> list[Path]:
        return document_dirs(self.root)


def open_seeds(root: Path | str) -> Seeds:
    root = Path(root)
    if not root.is_dir():
        raise UsageError(Problem.make("seeds-missing", f"seeds directory {display_path(root)!r} does not exist"))
    doc = read_yaml(root / DATASET_FILE, root, 1_000_000)
    dataset = parse_model(DatasetSpec, doc)
    verified = None
    if dataset.wikidata_verified:
        data = read_bytes(root / dataset.wikidata_verified, root, 10_000_000)
        shown = display_path(root / dataset.wikidata_verified)
        verified = frozenset(
            cells[1]
            for line in decode_text(data, shown).splitlines()[1:]
            if len(cells := line.split("\t")) > 1 and cells[1].startswith("Q")
        )
    return Seeds(root=root, dataset=dataset, verified_wikidata=verified)


def document_dirs(root: Path) -> list[Path]:
    """Document folders in corpus order; unsafe names are reported, hidden ones skipped."""
    found, problems = [], []
    for entry in sorted(root.iterdir(), key=lambda p: p.name + "/"):
        if entry.name.startswith(".") or not entry.is_dir():
            continue
        if not re.match(DOC_ID_PATTERN, entry.name):
            problems.append(
                Problem.make(
                    "document-id-invalid",
                    f"folder name {entry.name!r} is not a safe document id",
                    file=display_path(entry),
                )
            )
            continue
        if entry.is_symlink() and root.resolve() not in entry.resolve().parents:
            problems.append(
                Problem.make("path-unsafe", f"{entry.name} links outside the seeds directory", file=display_path(entry))
            )
            continue
        found.append(entry)
    if problems:
        raise DataError(problems)
    if not found:
        raise DataError(Problem.make("seeds-empty", "no document folders found", file=display_path(root)))
    return found


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


def load_document(seeds: Seeds, folder: Path) -> DocResult:
    """Load, anchor and check one document. Never raises for bad data."""
    result = DocResult(doc_id=folder.name, records=None)
    try:
        _load_into(result, seeds, folder)
    except DataError as exc:
        result.problems.extend(exc.problems)
    if result.errors:
        result.records = None
    return result


class _Builder:
    """Collects problems while turning specs into records for one document."""

    def __init__(self, result: DocResult, ydoc: YamlDoc, text: Text, doc_id: str) -> None:
        self.result, self.ydoc, self.text, self.doc_id = result, ydoc, text, doc_id

    def problem(
        self, code: str, message: str, path: tuple, subject: str | None = None, hint: str | None = None
    ) -> None:
        line, col = self.ydoc.where(path)
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


def _load_into(result: DocResult, seeds: Seeds, folder: Path) -> None:
    limit = seeds.dataset.limits.max_file_bytes
    essay_path = folder / ESSAY_FILE
    ydoc = read_yaml(folder / ANNOTATIONS_FILE, seeds.root, limit)
    raw = decode_text(read_bytes(essay_path, seeds.root, limit), display_path(essay_path))
    spec = parse_model(AnnotationFile, ydoc)
    text = Text(raw)
    b = _Builder(result, ydoc, text, folder.name)
    doc_id = folder.name
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
            b.anchor(quote, ("document", prop, "evidence", i), f"document {prop} evidence")
        facts.append(
            DocumentFact(
                document_id=doc_id,
                property=prop,
                value=value.value,
                status=value.status,
                evidence=list(value.evidence),
                note=value.note,
            )
        )
    document = Document(
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
        cue_fields = [("cues", cue) for cue in c.cues]
        if isinstance(c, RecommendationSpec) and c.modality_cue:
            cue_fields.append(("modality_cue", c.modality_cue))
        for name, cue in cue_fields:
            if cue not in quote:
                b.problem("cue-not-in-quote", f"{name} {cue!r} is not in the quote", (section, i, name), subject)
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
                Recommendation(
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
            claims.append(Claim(**common))

    relations = [
        Relation(
            id=f"{doc_id}/{r.source}-{r.type}-{r.target}",
            document_id=doc_id,
            source_id=unit_id(doc_id, r.source),
            target_id=unit_id(doc_id, r.target),
            type=r.type,
            note=r.note,
        )
        for r in spec.relations
    ]
    checks.check_document(b, spec, seeds)
    records = DocumentRecords(
        document=document,
        actors=sorted(actors, key=lambda a: a.id),
        claims=sorted(claims, key=lambda c: c.id),
        relations=sorted(relations, key=lambda r: r.id),
        mentions=sorted(mentions, key=lambda m: m.id),
    )
    result.stats = checks.coverage(b, records, seeds.dataset.limits.coverage_min_share)
    result.records = records


def _actor(spec: ActorSpec) -> Actor:
    return Actor(
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
            span = _rule_span(b, rule, ("actors", i, "mentions", "exclude", j), a.id)
            if span is None:
                continue
            if hits.pop((*span, a.id), None) is None:
                b.problem(
                    "mention-not-found",
                    f"no automatic mention of {a.id!r} at {rule.text!r} to exclude",
                    ("actors", i, "mentions", "exclude", j),
                    f"actor {a.id}",
                )
        for j, rule in enumerate(a.mentions.add):
            span = _rule_span(b, rule, ("actors", i, "mentions", "add", j), a.id)
            if span is not None:
                added.append(Hit(a.id, span[0], span[1], "added"))
    for hit in added:  # an explicit rule wins over any automatic hit it overlaps
        for key in [k for k in hits if k[0] < hit.end and hit.start < k[1]]:
            del hits[key]
        hits[(hit.start, hit.end, hit.actor_id)] = hit
    doc_id = b.doc_id
    return [
        Mention(
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


class ActorIndex:
    """Actors across the corpus: one record per id, conflicts and shared Wikidata ids reported."""

    IDENTITY = ("name", "kind", "wikidata", "description", "part_of", "member_of")

    def __init__(self) -> None:
        self.actors: dict[str, Actor] = {}
        self.by_wikidata: dict[str, str] = {}

    def add(self, actor: Actor, where: tuple[str, int | None, int | None]) -> list[Problem]:
        file, line, col = where
        known = self.actors.get(actor.id)
        if known is None:
            if actor.wikidata:
                other = self.by_wikidata.setdefault(actor.wikidata, actor.id)
                if other != actor.id:
                    return [
                        Problem.make(
                            "wikidata-duplicate",
                            f"{actor.wikidata} is also the id of actor {other!r}",
                            file=file,
                            line=line,
                            column=col,
                            subject=f"actor {actor.id}",
                        )
                    ]
            self.actors[actor.id] = actor
            return []
        differs = [f for f in self.IDENTITY if getattr(known, f) != getattr(actor, f)]
        if differs:
            return [
                Problem.make(
                    "actor-conflict",
                    f"defined with a different {', '.join(differs)} in another document",
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
    for folder in seeds.document_dirs():
        yield load_document(seeds, folder)


def merge_actors(index: ActorIndex, result: DocResult) -> None:
    """Add a valid document's actors to the corpus index, recording conflicts on the result."""
    if result.records is None:
        return
    for actor in result.records.actors:
        result.problems.extend(index.add(actor, result.actor_locations[actor.id]))
    if result.errors:
        result.records = None
