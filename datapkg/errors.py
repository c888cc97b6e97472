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
    "file-unreadable": Code("File cannot be read", "check the permissions of the file or folder"),
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
    # build output (issue 4): the swap replaces --out whole, so it must be a previous build
    "output-overlaps-seeds": Code(
        "Output directory overlaps the seeds", "pass an --out directory outside the seeds (default: build/)"
    ),
    "output-not-a-build": Code(
        "Output path is not a previous build",
        "pass --out pointing at a new or empty directory, or at an earlier build (it has SHA256SUMS)",
    ),
    # RDF graph (issue 5): SHACL shapes of schema/shapes.ttl
    "shacl-violation": Code(
        "RDF graph breaks a SHACL shape",
        "the record named by the message lacks or misuses a field the graph needs; see schema/shapes.ttl",
    ),
    # store (issue 6): embedded store, SPARQL servers, queries; server faults exit 3
    "rdf-missing": Code("No N-Quads file to load", "run `datapkg build` first, or pass --file FILE.nq"),
    "rdf-invalid": Code("N-Quads file cannot be parsed", "rebuild it with `datapkg build`"),
    "rdf-default-graph": Code(
        "Triples outside named graphs", "every triple belongs in a document graph or the dataset graph"
    ),
    "store-missing": Code("No embedded store", "run `datapkg build` (or `datapkg load`) first, or pass --store DIR"),
    "store-open-failed": Code(
        "Embedded store cannot be opened", "another process may be writing it; stop it, or rebuild with `datapkg load`"
    ),
    "store-server-missing": Code(
        "Oxigraph server not installed", "pip install oxigraph (it provides `oxigraph serve`)"
    ),
    "query-missing": Code("Query file not found", "pass a .rq file that exists, or the query text itself"),
    "query-invalid": Code("SPARQL query is invalid", "fix the query at the position shown"),
    "query-update": Code(
        "Query would change data", "datapkg query runs SELECT, ASK, CONSTRUCT and DESCRIBE; load data with datapkg load"
    ),
    "store-credentials-in-url": Code(
        "Credentials in a URL", "remove user:password@ from the URL; use --auth-env VAR or a netrc file"
    ),
    "store-auth-env-missing": Code(
        "Credential variable not set", "export the variable named by --auth-env (user:password or a token)"
    ),
    "store-auth-env-invalid": Code(
        "Credential variable unusable", "it must hold user:password or a token, on one line"
    ),
    "store-netrc-invalid": Code("netrc file cannot be parsed", "fix the netrc file at the line shown"),
    "store-unreachable": Code(
        "Triple store unreachable", "check the URL and that the server runs; loading again is safe (idempotent)"
    ),
    "store-timeout": Code(
        "Triple store did not answer in time", "raise --timeout or check the server; loading again is safe"
    ),
    "store-server-error": Code(
        "Triple store failed or is overloaded (HTTP 5xx, 408, 429)", "see the server's log; loading again is safe"
    ),
    "store-auth": Code(
        "Triple store refused the credentials",
        "set the variable named by --auth-env (user:password or a token) or add the host to your netrc file",
    ),
    "store-rejected": Code(
        "Triple store rejected the request",
        "check --endpoint, --graph-store and --update, and the server's permissions",
    ),
    "store-response-invalid": Code(
        "Unexpected answer from the triple store", "check that --endpoint is the server's SPARQL query URL"
    ),
    "store-verify-mismatch": Code(
        "Triple counts differ after loading", "load again; if counts still differ, see the server's log"
    ),
    # site (issue 9): argument maps are laid out by Graphviz
    "graphviz-missing": Code(
        "Graphviz not installed", "install it (apt-get install graphviz); the site's argument maps are drawn with dot"
    ),
    # package check
    "package-not-found": Code(
        "Data Package not found", "pass a datapackage.json, or the build directory that holds one"
    ),
    "package-descriptor-invalid": Code(
        "datapackage.json is malformed", "fix the property named by the message, or rebuild with `datapkg build`"
    ),
    "package-profile": Code(
        "Descriptor breaks the Data Package v2 profile", "fix the property at the JSON path shown (datapackage.org)"
    ),
    "package-unsupported": Code(
        "Package uses something datapkg check does not check", "check this package with `frictionless validate`"
    ),
    "package-file-missing": Code("Resource file missing", "restore the file, or rebuild with `datapkg build`"),
    "package-bytes-mismatch": Code(
        "File size differs from the descriptor's bytes", "the file was changed or cut short: restore it or rebuild"
    ),
    "package-hash-mismatch": Code(
        "File hash differs from the descriptor's hash", "the file was changed: restore it or rebuild"
    ),
    "package-encoding": Code("File is not in its declared encoding", "re-save the file as UTF-8, or rebuild"),
    "package-json-invalid": Code("JSON file does not parse", "fix the JSON at the position shown, or rebuild"),
    "package-csv-invalid": Code("CSV syntax error", "fix the quoting at the row shown, or rebuild"),
    "package-header-mismatch": Code(
        "CSV header differs from the schema's fields", "the header row must list the schema's field names in order"
    ),
    "package-row-shape": Code(
        "Row is blank or has the wrong number of cells", "give the row one cell per field, or remove a blank row"
    ),
    "package-type-error": Code("Cell is not of its field's type", "write the value in the field's type and format"),
    "package-required": Code("Required cell is empty", "fill in the cell; the field is required"),
    "package-enum": Code("Cell is not one of the allowed values", "use one of the values the field's enum lists"),
    "package-pattern": Code("Cell does not match the field's pattern", "the whole cell must match the pattern"),
    "package-length": Code("Cell is too short or too long", "see the field's minLength and maxLength"),
    "package-range": Code("Cell is out of range", "see the field's minimum and maximum"),
    "package-not-unique": Code("Value repeated in a unique field", "each row needs its own value in this field"),
    "package-duplicate-key": Code("Primary key empty or repeated", "each row needs its own primary key"),
    "package-foreign-key": Code(
        "Foreign key matches no row", "the value must be a key of a row of the referenced table"
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
        """One line: `file:line:column: [warning: ]subject: message; hint [code]`."""
        loc = self.location()
        text = f"{loc}: " if loc else ""
        if self.severity == "warning":
            text += "warning: "
        if self.subject:
            text += f"{self.subject}: "
        text += self.message
        if self.hint:
            text += f"; {self.hint}"
        return _one_line(f"{text} [{self.code}]")

    def to_dict(self) -> dict[str, object]:
        data = {
            k: v.encode("utf-8", "backslashreplace").decode("utf-8") if isinstance(v, str) else v
            for k, v in asdict(self).items()
        }
        data["title"] = self.title
        return data


_CONTROL = {i: f"\\x{i:02x}" for i in [*range(0x20), 0x7F]} | {0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t"}
_CONTROL |= {0x2028: "\\u2028", 0x2029: "\\u2029", 0x85: "\\x85"}


def _one_line(text: str) -> str:
    """Escape line breaks and control characters (quotes from the text may hold them) and lone surrogates."""
    return text.translate(_CONTROL).encode("utf-8", "backslashreplace").decode("utf-8")


class ProblemCounts:
    """`errors` and `warnings` of a report that keeps its findings in `problems`."""

    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


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


# ---------------------------------------------------------------- documentation (issue 8)

README_BEGIN = "<!-- error-codes: generated by `python -m datapkg.errors --readme README.md`; do not edit -->"
README_END = "<!-- /error-codes -->"


def code_groups() -> list[tuple[str, list[str]]]:
    """Codes under the comment headings of CODES in this file, in order (for the README table)."""
    import re
    from pathlib import Path

    groups: list[tuple[str, list[str]]] = []
    inside = False
    for line in Path(__file__).read_text(encoding="utf-8").splitlines():
        if line.startswith("CODES: dict[str, Code] = {"):
            inside = True
        elif inside and line == "}":
            break
        elif inside and (heading := re.match(r"^    # (.+)$", line)):
            groups.append((heading.group(1), []))
        elif inside and (code := re.match(r'^    "([a-z0-9-]+)": Code\(', line)):
            if not groups:
                groups.append(("", []))
            groups[-1][1].append(code.group(1))
    return groups


def code_table() -> str:
    """The README's error code table, generated from CODES (a test compares it with README.md)."""
    rows = [README_BEGIN, "", "| Code | Meaning | What to do |", "|---|---|---|"]
    for heading, codes in code_groups():
        if heading:
            rows.append(f"| **{heading}** | | |")
        for name in codes:
            code = CODES[name]
            title = code.title.replace("<", "&lt;") + (" (warning)" if code.severity == "warning" else "")
            hint = code.hint.replace("|", "\\|").replace("<", "&lt;")  # Markdown: no pipes, no tags
            rows.append(f"| `{name}` | {title} | {hint} |")
    return "\n".join([*rows, "", README_END])


def update_readme(path: str) -> bool:
    """Replace the generated table in README.md; True when the file changed."""
    from pathlib import Path

    readme = Path(path)
    text = readme.read_text(encoding="utf-8")
    begin, end = text.index(README_BEGIN), text.index(README_END) + len(README_END)
    new = text[:begin] + code_table() + text[end:]
    if new != text:
        readme.write_text(new, encoding="utf-8", newline="\n")
    return new != text


if __name__ == "__main__":
    import sys

    if sys.argv[1:2] == ["--readme"]:
        print("updated" if update_readme(sys.argv[2]) else "up to date")
    else:
        print(code_table())
