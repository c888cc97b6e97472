"""Typed errors and the stable catalogue of problem codes.

Every problem datapkg reports has a code from CODES; the code, its title and its
default hint are a public contract (README lists them, a test checks that).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Code:
    title: str
    hint: str = ""
    severity: Severity = "error"


CODES: dict[str, Code] = {
    # files and text
    "seeds-missing": Code("Seeds directory missing", "pass --seeds DIR pointing at a folder with dataset.yaml"),
    "seeds-empty": Code("No documents in seeds", "add a folder seeds/<doc-id>/ with essay.txt and annotations.yaml"),
    "file-missing": Code("Required file missing", "each document folder needs essay.txt and annotations.yaml"),
    "file-too-large": Code("File too large", "raise limits.max_file_bytes in dataset.yaml if this is intended"),
    "path-unsafe": Code(
        "Path escapes the seeds directory", "replace the symlink or '..' path by a real file inside seeds/"
    ),
    "document-id-invalid": Code(
        "Unsafe document id", "use lowercase letters, digits, '-' and '_' (at most 64), starting with a letter or digit"
    ),
    "document-id-mismatch": Code(
        "Document id differs from its folder", "make document.id equal the folder name, or drop it"
    ),
    "text-encoding": Code("Text is not valid UTF-8", "re-save the file as UTF-8"),
    "text-bom": Code("Text starts with a byte order mark", "remove the UTF-8 BOM (offsets would be shifted by it)"),
    "text-nul": Code("Text contains NUL bytes", "remove the NUL characters; they are not text"),
    "text-crlf": Code(
        "Text uses CR or CRLF line ends", "convert line ends to LF (e.g. dos2unix); offsets are counted on LF text"
    ),
    "text-empty": Code("Text is empty", "essay.txt must contain the document text"),
    "text-hash-mismatch": Code(
        "Declared SHA-256 differs from the text", "update document.sha256 or restore the original text"
    ),
    # YAML
    "yaml-syntax": Code("YAML syntax error", "fix the YAML syntax at the position shown"),
    "yaml-duplicate-key": Code("Duplicate YAML key", "each key may appear once in a mapping"),
    "yaml-alias": Code(
        "YAML anchors and aliases are not allowed", "write the value out; aliases can expand without bound"
    ),
    "yaml-tag": Code("YAML tag not allowed", "remove the '!tag'; only plain YAML values are accepted"),
    # record shape
    "unknown-record-kind": Code(
        "Unknown record kind", "top-level keys are: document, actors, claims, recommendations, relations"
    ),
    "unknown-field": Code("Unknown field", "check the spelling against schema/annotations.schema.json"),
    "missing-field": Code("Required field missing", "add the field"),
    "invalid-value": Code("Invalid value", "see schema/annotations.schema.json for the allowed values"),
    "wikidata-id-invalid": Code("Malformed Wikidata id", "a Wikidata item id looks like Q843"),
    # identity and references
    "duplicate-id": Code("Duplicate id", "ids must be unique within their kind"),
    "actor-conflict": Code(
        "Actor defined differently in two documents", "make the definitions agree (aliases may differ)"
    ),
    "wikidata-duplicate": Code("Two actors share one Wikidata id", "merge the actors or correct one id"),
    "dangling-reference": Code("Reference to an unknown id", "define the referenced record or fix the id"),
    "self-relation": Code("Relation from a unit to itself", "a unit cannot support or attack itself"),
    "relation-cycle": Code("Cycle of support relations", "support must not be circular; break the cycle"),
    "alias-conflict": Code("Two actors share a name or alias", "make the alias specific, or exclude the wrong hits"),
    "evidence-missing": Code("Inferred value without evidence", "quote the words of the text the inference rests on"),
    "duplicate-relation": Code("Relation given twice", "remove the repeated relation"),
    # anchoring
    "quote-not-found": Code("Quote not found in the text", "copy the quote from essay.txt exactly"),
    "quote-ambiguous": Code("Quote occurs more than once", "add occurrence: N (1-based) or lengthen the quote"),
    "occurrence-out-of-range": Code("Occurrence out of range", "occurrence counts the quote's appearances, from 1"),
    "offset-out-of-range": Code("Offset outside the text", "start is a code-point offset into essay.txt"),
    "quote-not-at-offset": Code("Quote is not at the given offset", "fix start or drop it and use occurrence"),
    "quote-empty": Code("Quote is empty or only whitespace", "quote the unit's words"),
    "cue-not-in-quote": Code("Cue word not in the unit's quote", "cues must be words of the quoted text"),
    "mention-not-found": Code(
        "Mention rule matches nothing", "the text (and within, if given) must occur in the essay"
    ),
    # outputs
    "output-unwritable": Code(
        "Output directory cannot be written", "check permissions and free space of the output directory"
    ),
    # warnings
    "sentence-uncovered": Code(
        "Sentence not covered by any unit", "annotate it as a claim (role: background if nothing else)", "warning"
    ),
    "actor-unmentioned": Code("Actor never mentioned", "add an alias or a mentions.add rule", "warning"),
    "unit-unrelated": Code("Unit in no relation", "link it to the argument with a relation", "warning"),
    "wikidata-unverified": Code(
        "Wikidata id not in the verified list", "verify the id and add it to the verified list", "warning"
    ),
}


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    subject: str | None = None
    hint: str | None = None
    severity: Severity = field(default="error")

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unregistered problem code {self.code!r}")

    @classmethod
    def make(cls, code: str, message: str, **kw: object) -> Problem:
        kw.setdefault("severity", CODES[code].severity)
        if kw.get("hint") is None:
            kw["hint"] = CODES[code].hint or None
        return cls(code, message, **kw)  # type: ignore[arg-type]

    @property
    def title(self) -> str:
        return CODES[self.code].title

    def location(self) -> str:
        if not self.file:
            return ""
        parts = [self.file]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def format(self) -> str:
        loc = self.location()
        text = f"{loc}: " if loc else ""
        if self.severity == "warning":
            text += "warning: "
        if self.subject:
            text += f"{self.subject}: "
        text += self.message
        if self.hint:
            text += f"; {self.hint}"
        return f"{text} [{self.code}]"

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["title"] = self.title
        return data


class DatapkgError(Exception):
    """Base of every error datapkg raises on purpose."""

    exit_code = 1

    def __init__(self, problems: list[Problem] | Problem) -> None:
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(p.format() for p in self.problems))


class DataError(DatapkgError):
    """The seeds (essays, annotations, dataset.yaml) are invalid."""


class UsageError(DatapkgError):
    """The command was called wrongly (bad option, missing directory)."""

    exit_code = 2


class OutputError(DatapkgError):
    """An output directory cannot be written (read-only, disk full)."""
