"""N-Triples, N-Quads, Turtle and JSON-LD text, written directly from nodes in one pass.

rdflib is far too slow for a corpus build (and its serialisers hold the whole graph), so the
writers format terms themselves. A node is `(subject IRI, [(Prop, value), ...])`; each
property has one precomputed converter (its `Kind` says how objects are written) that gives a
value's N-Triples form, Turtle form and JSON-LD value at once, so a string literal is escaped
once for both syntaxes.

Literals follow the canonical N-Triples form of RDF 1.1/1.2: `"` `\\` and BS, HT, LF, FF, CR
as ECHAR, every other character U+0000–U+001F and U+007F as `\\uXXXX`, everything else (all
non-ASCII) as UTF-8. The same literal syntax is valid Turtle. IRIs are minted safe
(`vocab.Iris`), so they are written as they are; under the base IRI they are relative in
Turtle (`@base`) and JSON-LD (`@base` in the context).
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable, Iterable
from itertools import islice
from json import encoder as _json_encoder
from typing import Any, NamedTuple

from .vocab import CLASSES, PREFIXES, PROPS, RDF, XSD, Iris, Kind, Prop, curie

PropValues = list[tuple[Prop, Any]]
Node = tuple[str, PropValues]
Triple = tuple[str, Prop, Any]
Forms = tuple[str, str, Any]  # (N-Triples, Turtle, JSON-LD) form of one object


class Lit(NamedTuple):
    """A literal given explicitly (only where a string property needs a language tag)."""

    lex: str
    datatype: str | None = None
    lang: str | None = None


_ESCAPES = {c: f"\\u{c:04X}" for c in [*range(0x20), 0x7F]}
_ESCAPES.update({0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r", 0x22: '\\"', 0x5C: "\\\\"})
_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f"\\\x7f]').search


def quoted(value: str) -> str:
    """A string as a quoted N-Triples/Turtle literal: `"..."`."""
    if _NEEDS_ESCAPE(value):
        value = value.translate(_ESCAPES)
    return f'"{value}"'


_DATE_TYPES = (
    (re.compile(r"^-?\d{4,}$"), XSD + "gYear"),
    (re.compile(r"^-?\d{4,}-\d{2}$"), XSD + "gYearMonth"),
    (re.compile(r"^-?\d{4,}-\d{2}-\d{2}$"), XSD + "date"),
    (re.compile(r"^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$"), XSD + "dateTime"),
)


def date_datatype(value: str) -> str | None:
    """XSD type of an ISO 8601 (partial) date, or None when it is free text."""
    for pattern, datatype in _DATE_TYPES:
        if pattern.match(value):
            return datatype
    return None


def group(triples: Iterable[Triple]) -> list[Node]:
    """Nodes from triples: subjects in order of first appearance, duplicates dropped."""
    by_subject: dict[str, dict[tuple[Prop, Any], None]] = {}
    for s, p, v in triples:
        by_subject.setdefault(s, {})[(p, v)] = None
    return [(s, list(pv)) for s, pv in by_subject.items()]


def to_nquads(ntriples: bytes, graph: str) -> bytes:
    """N-Quads from N-Triples bytes. ' .\\n' only ends lines (literals escape LF), and every
    term ends before ' ', so sorted N-Triples give sorted N-Quads."""
    return ntriples.replace(b" .\n", f" <{graph}> .\n".encode())


def _json_encoder_fn() -> Callable[[Any], str]:
    """json.dumps(obj, ensure_ascii=False) with one reusable C encoder (json.dumps builds a new
    encoder per call, which costs more than encoding a small node)."""
    make = getattr(_json_encoder, "c_make_encoder", None)
    if make is None:
        return lambda obj: json.dumps(obj, ensure_ascii=False)

    def default(obj: Any) -> Any:
        raise TypeError(f"{type(obj).__name__} is not JSON serialisable")

    encode = make(None, default, _json_encoder.encode_basestring, None, ": ", ", ", False, False, True)
    return lambda obj: "".join(encode(obj, 0))


json_line = _json_encoder_fn()


class Written(NamedTuple):
    nt_lines: list[str]  # sorted, without duplicates, each ending in " .\n"
    turtle: str  # one block per node
    json_nodes: list[str]  # one compacted JSON-LD node object per subject
    classes: dict[str, int] = {}  # rdf:type objects: how many subjects have each class


class Writer:
    """Formats nodes as N-Triples, Turtle and JSON-LD node objects. It holds only caches, so
    what it writes depends on its input alone (safe to use in worker processes)."""

    JSON_INDENT = "    "

    def __init__(self, iris: Iris | None) -> None:
        self.root = iris.root if iris else "\0"  # "\0": no IRI starts with it
        self._names: dict[str, str] = {}
        self.specs = {p: self._spec(p) for p in PROPS.values()}
        self.type_prop = PROPS[RDF + "type"]

    def __getstate__(self) -> dict[str, Any]:  # the converters are closures: rebuild them after unpickling
        return {"root": self.root}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.root = state["root"]
        self._names = {}
        self.specs = {p: self._spec(p) for p in PROPS.values()}
        self.type_prop = PROPS[RDF + "type"]

    # -------------------------------------------------------- terms

    def header(self) -> str:
        """Turtle @base and @prefix lines."""
        lines = [f"@base <{self.root}> .\n"] if self.root != "\0" else []
        lines += [f"@prefix {prefix}: <{ns}> .\n" for prefix, ns in PREFIXES.items()]
        return "".join(lines)

    def ttl_iri(self, iri: str) -> str:
        if iri.startswith(self.root):
            return f"<{iri[len(self.root) :]}>"
        name = self._names.get(iri)
        if name is None:
            name = self._names[iri] = curie(iri) or f"<{iri}>"
        return name

    def _iri(self, iri: str) -> Forms:
        root = self.root
        if iri.startswith(root):
            rel = iri[len(root) :]
            return f"<{iri}>", f"<{rel}>", rel
        return f"<{iri}>", self.ttl_iri(iri), iri

    def _string(self, value: Any) -> Forms:
        if value.__class__ is str:
            q = quoted(value)
            return q, q, value
        q = quoted(value.lex)
        if value.lang:
            return f"{q}@{value.lang}", f"{q}@{value.lang}", {"@value": value.lex, "@language": value.lang}
        if value.datatype and value.datatype != XSD + "string":
            dt = value.datatype
            return f"{q}^^<{dt}>", f"{q}^^{self.ttl_iri(dt)}", {"@value": value.lex, "@type": dt}
        return q, q, value.lex

    def _date(self, value: str) -> Forms:
        q = quoted(value)
        dt = date_datatype(value)
        if dt is None:
            return q, q, value
        return f"{q}^^<{dt}>", f"{q}^^{self.ttl_iri(dt)}", {"@value": value, "@type": curie(dt) or dt}

    def _converter(self, prop: Prop) -> Callable[[Any], Forms]:
        kind = prop.kind
        if prop.iri == RDF + "type":
            names = {
                c.iri: (f"<{c.iri}>", self.ttl_iri(c.iri), c.key or curie(c.iri) or c.iri) for c in CLASSES.values()
            }

            def class_forms(iri: str) -> Forms:
                return names.get(iri) or (f"<{iri}>", self.ttl_iri(iri), curie(iri) or iri)

            return class_forms
        if kind is Kind.IRI:
            return self._iri
        if kind is Kind.STRING:
            return self._string
        if kind is Kind.CONCEPT:
            return {v: (f"<{iri}>", self.ttl_iri(iri), v) for v, iri in prop.concepts.items()}.__getitem__
        if kind is Kind.INTEGER:
            dt = prop.datatype or XSD + "integer"
            nt_tail, ttl_tail = f'"^^<{dt}>', f'"^^{self.ttl_iri(dt)}'
            if dt == XSD + "integer":
                return lambda v: (f'"{int(v)}{nt_tail}', str(int(v)), int(v))
            return lambda v: (f'"{int(v)}{nt_tail}', f'"{int(v)}{ttl_tail}', int(v))
        if kind is Kind.HEX:
            dt = prop.datatype or XSD + "hexBinary"
            nt_tail, ttl_tail = f'"^^<{dt}>', f'"^^{self.ttl_iri(dt)}'
            return lambda v: (f'"{v}{nt_tail}', f'"{v}{ttl_tail}', v)
        if kind is Kind.BOOLEAN:
            forms = {
                True: (f'"true"^^<{XSD}boolean>', "true", True),
                False: (f'"false"^^<{XSD}boolean>', "false", False),
            }
            return lambda v: forms[bool(v)]
        if kind is Kind.DATE:
            return self._date
        raise ValueError(f"unknown kind {kind}")

    def _spec(self, prop: Prop) -> tuple[str, str, str, bool, str | None, Callable[[Any], Forms]]:
        ttl_pred = "a" if prop.iri == RDF + "type" else self.ttl_iri(prop.iri)
        return f"{prop.nt} ", ttl_pred, prop.key, prop.many, prop.reverse_key, self._converter(prop)

    # -------------------------------------------------------- nodes

    def write(self, nodes: Iterable[Node]) -> Written:
        specs, root, n_root = self.specs, self.root, len(self.root)
        lines: list[str] = []
        add_line = lines.append
        blocks: list[str] = []
        objects: dict[str, dict[str, Any]] = {}
        typed: dict[tuple[str, str], None] = {}  # (subject, class), counted once per subject below
        type_prop = self.type_prop
        for s, pv in nodes:
            if not pv:
                continue
            if s.startswith(root):
                s_json = s[n_root:]
                s_ttl = f"<{s_json}>"
            else:
                s_json, s_ttl = s, self.ttl_iri(s)
            head = f"<{s}> "
            obj = objects.get(s)
            if obj is None:
                obj = objects[s] = {"@id": s_json}
            parts: list[str] = []
            last = None
            for p, v in pv:
                nt_pred, ttl_pred, key, many, reverse, convert = specs[p]
                o_nt, o_ttl, o_json = convert(v)
                add_line(f"{head}{nt_pred}{o_nt} .\n")
                if p is type_prop:
                    typed[(s, v)] = None
                if p is last:
                    parts.append(f", {o_ttl}")
                else:
                    parts.append(f" ;\n    {ttl_pred} {o_ttl}" if parts else f"{ttl_pred} {o_ttl}")
                    last = p
                if reverse:  # JSON-LD: on the object's node, {"premise": [subject]} (an @reverse term)
                    other = objects.get(v)
                    if other is None:
                        other = objects[v] = {"@id": o_json}
                    values = other.get(reverse)
                    if values is None:
                        other[reverse] = [s_json]
                    else:
                        values.append(s_json)
                elif many:
                    values = obj.get(key)
                    if values is None:
                        obj[key] = [o_json]
                    else:
                        values.append(o_json)
                elif key in obj:  # a second value where one is expected: keep both (SHACL reports it)
                    old = obj[key]
                    obj[key] = [*old, o_json] if isinstance(old, list) else [old, o_json]
                else:
                    obj[key] = o_json
            blocks.append(f"{s_ttl} {''.join(parts)} .\n")
        indent = self.JSON_INDENT
        lines.sort()
        if any(map(operator.eq, lines, islice(lines, 1, None))):  # a triple made twice: keep one
            lines = sorted(set(lines))
        classes: dict[str, int] = {}
        for _, cls in typed:
            classes[cls] = classes.get(cls, 0) + 1
        return Written(lines, "\n".join(blocks), [indent + json_line(o) for o in objects.values()], classes)

    def turtle(self, nodes: Iterable[Node]) -> str:
        return self.write(nodes).turtle
