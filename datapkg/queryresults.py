"""SPARQL query results, whichever store answered: one model, four renderings, one canonical form.

The embedded store (pyoxigraph) and remote servers (SPARQL 1.1 JSON results) both
produce a `QueryResult`; `render` prints it as a table, CSV, TSV (SPARQL 1.1 CSV/TSV
results) or SPARQL JSON results; `canonical` turns it into a form in which answers of
different servers compare equal (servers differ in how they spell numbers and strings).
This module is standard library only.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
NUMERIC = {XSD + t for t in ("integer", "int", "long", "short", "byte", "decimal", "double", "float")} | {
    XSD + t for t in ("nonNegativeInteger", "positiveInteger", "unsignedInt", "unsignedLong")
}
TABLE_CELL_MAX = 80  # wider cells are cut in the table view only; csv/tsv/json keep full values

TermType = Literal["uri", "literal", "bnode", "triple"]
Form = Literal["select", "ask", "graph"]


@dataclass(frozen=True)
class Term:
    """An RDF term as SPARQL JSON results describe it."""

    type: TermType
    value: str
    datatype: str | None = None
    lang: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Term:
        kind = data["type"]
        if kind == "typed-literal":  # SPARQL JSON 1.0 spelling, still sent by Virtuoso
            kind = "literal"
        if kind not in ("uri", "literal", "bnode", "triple"):
            raise ValueError(f"unknown term type {kind!r}")
        value = data["value"]
        if kind == "triple":
            value = json.dumps(value, sort_keys=True)
        return cls(kind, value, data.get("datatype"), data.get("xml:lang"))

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": self.type, "value": self.value}
        if self.lang:
            data["xml:lang"] = self.lang
        elif self.datatype and self.datatype not in (XSD + "string", RDF_LANGSTRING):
            data["datatype"] = self.datatype
        return data

    def n3(self) -> str:
        """N-Triples spelling (used by TSV)."""
        if self.type == "uri":
            return f"<{self.value}>"
        if self.type == "bnode":
            return f"_:{self.value}"
        if self.type == "triple":
            return self.value
        text = self.value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
        text = text.replace("\t", "\\t")
        if self.lang:
            return f'"{text}"@{self.lang}'
        if self.datatype and self.datatype != XSD + "string":
            return f'"{text}"^^<{self.datatype}>'
        return f'"{text}"'

    def short(self, prefixes: dict[str, str]) -> str:
        """Readable spelling for the table: prefixed names, bare literals."""
        if self.type == "uri":
            for prefix, namespace in sorted(prefixes.items(), key=lambda kv: -len(kv[1])):
                if namespace and self.value.startswith(namespace):
                    local = self.value[len(namespace) :]
                    if re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", local) or not local:
                        return f"{prefix}:{local}"
            return f"<{self.value}>"
        if self.type == "bnode":
            return f"_:{self.value}"
        if self.type == "literal" and self.lang:
            return f"{self.value}@{self.lang}"
        return self.value

    def canonical(self) -> tuple[str, ...]:
        """Equal for terms any two conforming servers may spell differently."""
        if self.type == "bnode":
            return ("bnode",)  # labels are arbitrary per response
        if self.type != "literal":
            return (self.type, self.value)
        if self.lang:
            return ("literal", self.value, "@" + self.lang.lower())
        datatype = self.datatype or XSD + "string"
        if datatype in NUMERIC:
            try:
                number = Decimal(self.value)
            except InvalidOperation:
                return ("literal", self.value, datatype)
            # COUNT gives xsd:integer on one server and xsd:int on another: compare the value
            return ("number", format(number.normalize(), "f") if number == number.to_integral() else str(number))
        if datatype == XSD + "boolean":
            return ("literal", str(self.value in ("true", "1")).lower(), datatype)
        return ("literal", self.value, datatype)


@dataclass
class QueryResult:
    """What a query returned: solutions (SELECT), a boolean (ASK) or a graph (CONSTRUCT/DESCRIBE)."""

    form: Form
    vars: list[str] = field(default_factory=list)
    rows: list[dict[str, Term]] = field(default_factory=list)
    boolean: bool | None = None
    turtle: str | None = None  # CONSTRUCT/DESCRIBE, serialised deterministically
    ntriples: list[str] = field(default_factory=list)  # CONSTRUCT/DESCRIBE triples, sorted, for comparison

    # ------------------------------------------------------------- SPARQL JSON results
    @classmethod
    def from_sparql_json(cls, data: dict[str, Any]) -> QueryResult:
        if "boolean" in data:
            return cls("ask", boolean=bool(data["boolean"]))
        names = list(data["head"]["vars"])
        rows = [
            {name: Term.from_json(term) for name, term in binding.items() if name in names}
            for binding in data["results"]["bindings"]
        ]
        return cls("select", vars=names, rows=rows)

    def to_sparql_json(self) -> dict[str, Any]:
        if self.form == "ask":
            return {"head": {}, "boolean": bool(self.boolean)}
        if self.form == "graph":
            raise ValueError("a graph result has no SPARQL JSON results form")
        bindings = [{name: row[name].to_json() for name in self.vars if name in row} for row in self.rows]
        return {"head": {"vars": list(self.vars)}, "results": {"bindings": bindings}}

    # ------------------------------------------------------------- comparison
    def canonical(self, ordered: bool) -> Any:
        """A JSON-able form that is equal for equivalent answers (row order kept only if `ordered`)."""
        if self.form == "ask":
            return {"boolean": bool(self.boolean)}
        if self.form == "graph":
            return {"triples": sorted(self.ntriples)}
        rows = [[list(row[name].canonical()) if name in row else None for name in self.vars] for row in self.rows]
        if not ordered:
            rows.sort(key=lambda r: json.dumps(r, ensure_ascii=False))
        return {"vars": list(self.vars), "rows": rows}


def render(result: QueryResult, fmt: str, prefixes: dict[str, str] | None = None) -> str:
    """Text to print: `table`, `csv`, `tsv` or `json`; graphs are always Turtle."""
    prefixes = prefixes or {}
    if result.form == "graph":
        return result.turtle or ""
    if fmt == "json":
        return json.dumps(result.to_sparql_json(), indent=2, ensure_ascii=False) + "\n"
    if result.form == "ask":
        if fmt == "csv":
            return "boolean\r\n" + str(result.boolean).lower() + "\r\n"
        return str(result.boolean).lower() + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)  # SPARQL 1.1 CSV results: plain values, CRLF
        writer.writerow(result.vars)
        for row in result.rows:
            writer.writerow([row[name].value if name in row else "" for name in result.vars])
        return buffer.getvalue()
    if fmt == "tsv":
        lines = ["\t".join("?" + name for name in result.vars)]
        lines += ["\t".join(row[name].n3() if name in row else "" for name in result.vars) for row in result.rows]
        return "\n".join(lines) + "\n"
    if fmt == "table":
        return _table(result, prefixes)
    raise ValueError(f"unknown format {fmt!r}")


def _table(result: QueryResult, prefixes: dict[str, str]) -> str:
    def cell(row: dict[str, Term], name: str) -> str:
        if name not in row:
            return ""
        text = " ".join(row[name].short(prefixes).split())  # one line per row
        if row[name].type != "literal" or len(text) <= TABLE_CELL_MAX:
            return text  # IRIs stay whole: a cut IRI is useless
        return text[: TABLE_CELL_MAX - 1] + "…"

    grid = [[cell(row, name) for name in result.vars] for row in result.rows]
    widths = [max([len(name)] + [len(r[i]) for r in grid]) for i, name in enumerate(result.vars)]
    lines = [
        "  ".join(name.ljust(w) for name, w in zip(result.vars, widths, strict=True)).rstrip(),
        "  ".join("-" * w for w in widths),
    ]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in grid]
    count = len(result.rows)
    lines.append(f"({count} row{'s' if count != 1 else ''})")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- reading query text

_KEYWORDS = re.compile(
    r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE|INSERT|DELETE|LOAD|CLEAR|DROP|CREATE|ADD|MOVE|COPY|WITH)\b", re.IGNORECASE
)
_PREFIX = re.compile(r"\bPREFIX\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>", re.IGNORECASE)


def strip_comments(query: str) -> str:
    """The query without `#` comments and with string/IRI contents blanked, for keyword scans."""
    out: list[str] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch == "#":
            while i < n and query[i] != "\n":
                i += 1
            continue
        if ch in "\"'":
            long = query.startswith(ch * 3, i)
            end_token = ch * 3 if long else ch
            j = i + len(end_token)
            while j < n and not query.startswith(end_token, j):
                j += 2 if query[j] == "\\" else 1
            out.append('""')
            i = j + len(end_token)
            continue
        if ch == "<":
            j = query.find(">", i)
            # `<` is also less-than: an IRI has no spaces before its `>`
            if j != -1 and not re.search(r"\s", query[i:j]):
                out.append("<>")
                i = j + 1
                continue
        out.append(ch)
        i += 1
    return "".join(out)


def query_form(query: str) -> str:
    """select, ask, graph (CONSTRUCT/DESCRIBE) or update; ValueError if no form keyword is found."""
    match = _KEYWORDS.search(strip_comments(query))
    if not match:
        raise ValueError("no SELECT, ASK, CONSTRUCT or DESCRIBE keyword")
    word = match.group(1).upper()
    if word in ("SELECT", "ASK"):
        return word.lower()
    if word in ("CONSTRUCT", "DESCRIBE"):
        return "graph"
    return "update"


def is_ordered(query: str) -> bool:
    """True when the query fixes the row order (ORDER BY), so comparisons must keep it."""
    return re.search(r"\bORDER\s+BY\b", strip_comments(query), re.IGNORECASE) is not None


def declared_prefixes(query: str) -> dict[str, str]:
    """PREFIX declarations of a query (used to shorten IRIs in tables and Turtle)."""
    no_comments = re.sub(r"(?m)^\s*#.*$", "", query)
    return {m.group(1) or "": m.group(2) for m in _PREFIX.finditer(no_comments)}


def read_query(argument: str, stdin: str | None = None) -> str:
    """The query text: a file's contents, stdin for `-`, or the argument itself."""
    from pathlib import Path

    from .errors import Problem, UsageError

    if argument == "-":
        return stdin or ""
    path = Path(argument)
    if path.is_file():
        return path.read_text(encoding="utf-8")
    if re.search(r"[\s{}]", argument) is None:  # a query has spaces or braces; this looks like a path
        raise UsageError(Problem.make("query-missing", f"{argument} does not exist", file=argument))
    return argument
