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

Corpus-scale output goes through node shapes (`Shape`): a subject pattern with predicates and
objects, some of them parameters. `Writer.write_shapes` compiles each shape once into a Python
function that writes a node's N-Triples lines (already in sorted order), Turtle block and JSON-LD
node object in one call, from f-strings, with each literal escaped once. A shape also expands
into the plain node the generic `Writer.write` takes (`Shape.expand`): that is the reference,
and the compiled writer must give the same bytes (tests compare them).
"""

from __future__ import annotations

import json
import keyword
import operator
import re
import string
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from functools import cmp_to_key
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
_COMMON = {0x5C: "\\\\", 0x22: '\\"', 0x0A: "\\n", 0x09: "\\t", 0x0D: "\\r"}  # replaced first, in this order
_RARE_ESCAPES = {c: e for c, e in _ESCAPES.items() if c not in _COMMON}
_RARE_ESCAPE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]").search
_LONG = 256  # from this length, str.replace passes beat a per-character translate


def quoted(value: str) -> str:
    """A string as a quoted N-Triples/Turtle literal: `"..."`."""
    if _NEEDS_ESCAPE(value):
        if len(value) < _LONG:
            value = value.translate(_ESCAPES)
        else:  # an essay's text: the common escapes by fast replace passes, the rest by translate
            for c, escape in _COMMON.items():
                value = value.replace(chr(c), escape)
            if _RARE_ESCAPE(value):
                value = value.translate(_RARE_ESCAPES)
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


_NAMES_CACHED = 4096  # Turtle names of IRIs outside the base IRI kept at most (the vocabulary's are few)


class Writer:
    """Formats nodes as N-Triples, Turtle and JSON-LD node objects. It holds only caches, so
    what it writes depends on its input alone (safe to use in worker processes)."""

    JSON_INDENT = "    "

    def __init__(self, iris: Iris | None) -> None:
        self.root = iris.root if iris else "\0"  # "\0": no IRI starts with it
        self._names: dict[str, str] = {}
        self.specs = {p: self._spec(p) for p in PROPS.values()}
        self.type_prop = PROPS[RDF + "type"]
        self._fills: dict[Shape, Callable[..., tuple[str, str, str, str]]] = {}

    def __getstate__(self) -> dict[str, Any]:  # the converters are closures: rebuild them after unpickling
        return {"root": self.root}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.root = state["root"]
        self._names = {}
        self.specs = {p: self._spec(p) for p in PROPS.values()}
        self.type_prop = PROPS[RDF + "type"]
        self._fills = {}

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
            if len(self._names) >= _NAMES_CACHED:  # entity IRIs (sameAs) would grow it with the corpus
                self._names.clear()
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

    # -------------------------------------------------------- shapes

    def compiled(self, shape: Shape) -> Callable[..., tuple[str, str, str, str]]:
        """The shape's fill(*args) -> (relative subject, N-Triples lines, Turtle block, JSON-LD
        node object), compiled on first use (see `_ShapeCompiler`)."""
        fill = self._fills.get(shape)
        if fill is None:
            if self.root == "\0":
                raise ValueError("shapes need a base IRI")
            compiler = _ShapeCompiler(self, shape)
            source = compiler.source()
            exec(compile(source, f"<shape {shape.subject}>", "exec"), compiler.ns)  # our own source only
            fill = self._fills[shape] = compiler.ns["fill"]
        return fill

    def write_shapes(self, nodes: Sequence[ShapeNode], heads: tuple[bytes, bytes] | None = None) -> Shaped:
        """What `write([shape.expand(root, args) ...])` writes, much faster: same lines, blocks
        and node objects (N-Triples lines end in NT_END). `heads`: a Turtle block and a JSON-LD
        node object put before the first node's (and joined to it as the nodes' are), so that a
        caller who wants text before them does not copy the whole text to get it."""
        try:
            return self._write_shapes(nodes, heads)
        except _Fallback:
            written = self.write([shape.expand(self.root, args) for shape, args in nodes])
            ntriples = "".join(written.nt_lines).encode()
            ttl = [written.turtle.encode()] if written.turtle else []
            js = [j.encode() for j in written.json_nodes]
            if heads:
                ttl.insert(0, heads[0])
                js.insert(0, heads[1])
            return Shaped(
                ntriples.replace(NT_LINE_END, NT_END_BYTES),  # " .\n" only ends lines
                ntriples,
                b"\n".join(ttl),
                b",\n".join(js),
                len(written.nt_lines),
                written.classes,
            )

    def _write_shapes(self, nodes: Sequence[ShapeNode], heads: tuple[bytes, bytes] | None = None) -> Shaped:
        fills, compiled, indent = self._fills, self.compiled, self.JSON_INDENT
        # Each node's text is encoded on its own: most are ASCII, which encodes at memcpy speed,
        # where one joined text holding a single curly quote would be UCS-2 throughout.
        nt: list[bytes] = []
        ttl: list[bytes] = [heads[0]] if heads else []
        js: list[bytes] = [heads[1]] if heads else []
        seen: set[str] = set()
        # JSON-LD @reverse values (premise) sit on the object's node: its node object is written
        # where the generic writer's would be, right after the first node that refers to it.
        pending: dict[str, tuple[int, dict[str, list[str]]]] = {}
        for shape, args in nodes:
            s, n, t, j = (fills.get(shape) or compiled(shape))(*args)
            if s in seen:
                raise _Fallback  # two nodes of one subject: merged by the generic writer
            seen.add(s)
            nt.append(n.encode())
            ttl.append(t.encode())
            if pending and s in pending:
                at, members = pending.pop(s)
                cut = len(indent) + len(s) + 10  # after `{"@id": "<s>"`
                extra = "".join(f", {json_line(k)}: [{', '.join(map(_json_string, v))}]" for k, v in members.items())
                js[at] = (j[:cut] + extra + j[cut:]).encode()
            else:
                js.append(j.encode())
            if shape.reverse:
                for index, key in shape.reverse:
                    for target in args[index]:
                        if target in seen:
                            raise _Fallback  # its node object is written already
                        entry = pending.get(target)
                        if entry is None:
                            entry = pending[target] = (len(js), {})
                            js.append(b"")
                        entry[1].setdefault(key, []).append(s)
        for target, (at, members) in pending.items():  # objects that are no subject here
            js[at] = (indent + json_line({"@id": target, **members})).encode()
        nt.sort()  # the lines of one subject sort together (UTF-8 sorts as code points), each node's in order
        lines = b"".join(nt)
        ntriples = lines.replace(NT_END_BYTES, NT_LINE_END)
        classes: dict[str, int] = {}
        for shape, n in Counter(map(_shape_of, nodes)).items():  # (counted by C code)
            for cls in shape.classes:
                classes[cls] = classes.get(cls, 0) + n
        return Shaped(lines, ntriples, b"\n".join(ttl), b",\n".join(js), _line_count(lines, ntriples), classes)


# ---------------------------------------------------------------- node shapes


class Ref(NamedTuple):
    """An object IRI under the base IRI, given relative to it by a pattern over parameters
    that hold relative IRIs minted by `vocab.Iris` (no quotes, backslashes or spaces), e.g.
    `Ref("{node}#target")`."""

    pattern: str


class Val(NamedTuple):
    """The object in parameter `name`, written as the predicate's `Kind` says (a string literal
    must be a `str`; an IRI absolute). With `optional`, None means: no triple."""

    name: str
    optional: bool = False


class Refs(NamedTuple):
    """Any number of objects: the relative IRIs in the list parameter `name`."""

    name: str


class Vals(NamedTuple):
    """Any number of objects: the values in the list parameter `name` (see `Val`)."""

    name: str


_FIELDS = string.Formatter()


def _pattern_fields(pattern: str) -> list[str]:
    return [name for _, name, _, _ in _FIELDS.parse(pattern) if name is not None]


# Names the compiled functions use: no parameter may be called so (nor start with "_").
_HELPERS = frozenset({"quoted", "ebs", "json_line", "literal"})


def _may_be_absent(obj: Any) -> bool:
    return obj.__class__ in (Refs, Vals) or (obj.__class__ is Val and obj.optional)


class Shape:
    """A node shape: its subject (a `Ref` pattern), parameters and `(Prop, object)` entries in
    the order a node lists them. An object is a constant (written as the predicate's kind
    says), `Ref`, `Val`, `Refs` or `Vals`. `shape.expand(root, args)` gives the node;
    `Writer.write_shapes` writes nodes of shapes much faster than `Writer.write`.

    What the compiled writer needs, checked here: rdf:type objects are constants (so a shape
    knows its classes); an entry that may be absent (optional `Val`, `Refs`, `Vals`) is not
    first and is the only entry of its predicate and JSON-LD key; `Refs`/`Vals` only for
    predicates with many values; @reverse predicates only with `Refs`.
    """

    __slots__ = ("subject", "params", "entries", "classes", "reverse")

    def __init__(self, subject: str, params: str, entries: Iterable[tuple[Prop, Any]]) -> None:
        self.subject = subject
        self.params = tuple(params.split())
        self.entries = tuple(entries)
        self.classes = tuple(dict.fromkeys(obj for prop, obj in self.entries if prop.iri == RDF + "type"))
        self.reverse = tuple(
            (self.params.index(obj.name), prop.reverse_key) for prop, obj in self.entries if prop.reverse_key
        )
        self._check()

    def _check(self) -> None:
        used = set(_pattern_fields(self.subject))
        by_prop: dict[Prop, int] = {}
        by_key: dict[str, int] = {}
        for prop, _ in self.entries:
            by_prop[prop] = by_prop.get(prop, 0) + 1
            if not prop.reverse_key:
                by_key[prop.key] = by_key.get(prop.key, 0) + 1
        for i, (prop, obj) in enumerate(self.entries):
            cls = obj.__class__
            if cls is Ref:
                used.update(_pattern_fields(obj.pattern))
            elif cls in (Val, Refs, Vals):
                used.add(obj.name)
            variable = _may_be_absent(obj)
            problem = None
            if prop.iri == RDF + "type" and cls in (Ref, Val, Refs, Vals):
                problem = "rdf:type objects must be constants"
            elif prop.reverse_key and cls is not Refs:
                problem = "an @reverse predicate takes Refs"
            elif cls in (Refs, Vals) and not prop.many:
                problem = "Refs/Vals need a predicate with many values"
            elif variable and (i == 0 or by_prop[prop] > 1 or by_key.get(prop.key, 0) > 1):
                problem = "an entry that may be absent must not be first nor share its predicate or key"
            if not problem:  # Turtle groups a predicate's objects: none may depend on an absent entry
                for k in range(i + 1, len(self.entries)):
                    if self.entries[k][0] is prop:
                        between = self.entries[i + 1 : k]
                        if between and all(_may_be_absent(o) for _, o in between):
                            problem = "same predicate on both sides of entries that may be absent"
                        break
            if problem:
                raise ValueError(f"shape {self.subject}: {prop.iri}: {problem}")
        names_ok = all(
            p.isidentifier() and not keyword.iskeyword(p) and not p.startswith("_") and p not in _HELPERS
            for p in self.params
        )
        if used != set(self.params) or not names_ok:
            raise ValueError(f"shape {self.subject}: parameters {self.params} but uses {sorted(used)}")

    def expand(self, root: str, args: Sequence[Any]) -> Node:
        """The node (absolute IRIs) for these arguments, as `Writer.write` takes it."""
        env = dict(zip(self.params, args, strict=True))
        pv: PropValues = []
        for prop, obj in self.entries:
            cls = obj.__class__
            if cls is Ref:
                pv.append((prop, root + obj.pattern.format_map(env)))
            elif cls is Val:
                value = env[obj.name]
                if value is not None or not obj.optional:
                    pv.append((prop, value))
            elif cls is Refs:
                pv += [(prop, root + v) for v in env[obj.name]]
            elif cls is Vals:
                pv += [(prop, v) for v in env[obj.name]]
            else:
                pv.append((prop, obj))
        return root + self.subject.format_map(env), pv

    def __repr__(self) -> str:
        return f"Shape({self.subject!r})"


ShapeNode = tuple[Shape, Sequence[Any]]


_shape_of = operator.itemgetter(0)


class Shaped(NamedTuple):
    """Nodes written by `Writer.write_shapes`, UTF-8."""

    nt: bytes  # the sorted N-Triples lines, each ending in NT_END instead of " .\n" (see below)
    ntriples: bytes  # the same lines as N-Triples (ending in " .\n")
    turtle: bytes  # one block per node, joined by blank lines
    json: bytes  # the JSON-LD node objects, indented, joined by ",\n"
    triples: int
    classes: dict[str, int]


# N-Triples lines are made with "\x00" where " .\n" ends them: literals escape every control
# character, so "\x00" only ends lines; encoded once, one fast bytes.replace gives the .nt and
# another the .nq. Sorting is unchanged: no line is a prefix of another other than where the
# shorter one ends, and "\x00", like " .\n", sorts below every character that could follow.
NT_END = "\x00"
NT_END_BYTES = NT_END.encode()
NT_LINE_END = b" .\n"


def _line_count(nt: bytes, ntriples: bytes) -> int:
    """How many lines: each NT_END became the 2 bytes longer " .\n" (bytes.count walks the
    bytes one by one: it cost ~5% of a document's RDF rendering)."""
    return (len(ntriples) - len(nt)) // (len(NT_LINE_END) - len(NT_END_BYTES))


class _Fallback(Exception):
    """The nodes are outside what the compiled writer handles (a subject twice, an @reverse
    object written before): `Writer.write` writes them instead."""


_Seg = tuple[bool, str]  # (is a Python expression, text)


def _fstring(segs: Iterable[_Seg]) -> str:
    """Source of an f-string joining literal text and expressions (names of locals)."""
    out = [("{" + text + "}") if expr else text.replace("{", "{{").replace("}", "}}") for expr, text in segs]
    return "f" + repr("".join(out))


def _lit(text: str) -> list[_Seg]:
    return [(False, text)]


def _pattern_segs(pattern: str) -> list[_Seg]:
    segs: list[_Seg] = []
    for literal, name, _, _ in _FIELDS.parse(pattern):
        if literal:
            segs.append((False, literal))
        if name is not None:
            segs.append((True, name))
    return segs


def _static_order(a: list[_Seg], b: list[_Seg]) -> int | None:
    """-1, 0 or 1: how the texts of two patterns compare whatever their parameters hold, or
    None when that depends on the parameters. Parameters are compared only with themselves."""
    i = j = 0
    a_off = b_off = 0
    while i < len(a) and j < len(b):
        (a_expr, a_text), (b_expr, b_text) = a[i], b[j]
        if a_expr or b_expr:
            if not (a_expr and b_expr and a_text == b_text and a_off == b_off == 0):
                return None
            i, j = i + 1, j + 1
            continue
        x, y = a_text[a_off:], b_text[b_off:]
        n = min(len(x), len(y))
        if x[:n] != y[:n]:
            return -1 if x[:n] < y[:n] else 1
        a_off, b_off = a_off + n, b_off + n
        if a_off == len(a_text):
            i, a_off = i + 1, 0
        if b_off == len(b_text):
            j, b_off = j + 1, 0
    if i == len(a) and j == len(b):
        return 0
    return None  # one ended first: cannot happen for whole lines (each ends in NT_END)


class _ShapeCompiler:
    """Writes the source of one shape's fill(*params) -> (subject, nt, turtle, json)."""

    def __init__(self, writer: Writer, shape: Shape) -> None:
        self.writer, self.shape = writer, shape
        self.ns: dict[str, Any] = {"quoted": quoted, "ebs": _json_string, "json_line": json_line, "literal": literal}
        assert set(self.ns) <= _HELPERS
        self.lines: list[str] = []
        self.n = 0
        self.converted: dict[tuple[str, Any], tuple[list[_Seg], list[_Seg], list[_Seg]]] = {}

    def name(self, prefix: str) -> str:
        self.n += 1
        return f"_{prefix}{self.n}"

    def const(self, value: Any) -> str:
        name = self.name("k")
        self.ns[name] = value
        return name

    def emit(self, line: str, depth: int = 1) -> None:
        self.lines.append("    " * depth + line)

    # ---------------------------------------------------- objects

    def static_forms(self, prop: Prop, obj: Any) -> tuple[list[_Seg], list[_Seg], list[_Seg]]:
        """(N-Triples, Turtle, JSON) of a constant or Ref object."""
        if obj.__class__ is Ref:
            segs = _pattern_segs(obj.pattern)
            return (
                _lit("<" + self.writer.root) + segs + _lit(">"),
                _lit("<") + segs + _lit(">"),
                _lit('"') + segs + _lit('"'),
            )
        nt, ttl, js = self.writer.specs[prop][5](obj)
        return _lit(nt), _lit(ttl), _lit(json_line(js))

    def value_forms(self, prop: Prop, name: str, depth: int) -> tuple[list[_Seg], list[_Seg], list[_Seg]]:
        """Statements converting parameter `name` once; the segments of its three forms."""
        kind = prop.kind
        key: tuple[str, Any] = (name, kind) if kind is Kind.STRING else (name, prop)
        found = self.converted.get(key) if depth == 1 else None
        if found is not None:
            return found
        if kind is Kind.STRING:  # JSON escapes all that N-Triples does but DEL: mostly one text for both
            q, j = self.name("q"), self.name("j")
            self.emit(f"{j} = ebs({name})", depth)
            self.emit(f"{q} = {j} if {chr(92)!r} not in {j} and {chr(127)!r} not in {name} else quoted({name})", depth)
            forms = [(True, q)], [(True, q)], [(True, j)]
        elif kind is Kind.INTEGER:
            i = self.name("i")
            dt = prop.datatype or XSD + "integer"
            self.emit(f"{i} = str(int({name}))", depth)  # formatted once for the three forms
            ttl = (
                [(True, i)]
                if dt == XSD + "integer"
                else _lit('"') + [(True, i)] + _lit('"^^' + self.writer.ttl_iri(dt))
            )
            forms = _lit('"') + [(True, i)] + _lit(f'"^^<{dt}>'), ttl, [(True, i)]
        else:
            convert = self.writer.specs[prop][5]
            a, b, c = self.name("f"), self.name("f"), self.name("f")
            if kind is Kind.CONCEPT:  # the three forms of each value, JSON text included
                table = {v: (nt, ttl, json_line(js)) for v, (nt, ttl, js) in ((v, convert(v)) for v in prop.concepts)}
                self.emit(f"{a}, {b}, {c} = {self.const(table)}[{name}]", depth)
            else:
                self.emit(f"{a}, {b}, {c} = {self.const(convert)}({name})", depth)
                self.emit(f"{c} = json_line({c})", depth)
            forms = [(True, a)], [(True, b)], [(True, c)]
        if depth == 1:
            self.converted[key] = forms
        return forms

    def list_forms(
        self, prop: Prop, obj: Refs | Vals, single: bool = False
    ) -> tuple[list[_Seg], list[_Seg], list[_Seg], str]:
        """Statements for a list parameter: segments of an element's three forms (over `_v`) and
        the name of the list they iterate; with `single`, of its only element (`_v` set here)."""
        if obj.__class__ is Refs:
            if single:
                self.emit(f"_v = {obj.name}[0]", 2)
            v = [(True, "_v")]
            return (
                _lit("<" + self.writer.root) + v + _lit(">"),
                _lit("<") + v + _lit(">"),
                _lit('"') + v + _lit('"'),
                obj.name,
            )
        items = self.name("Q")
        if prop.kind is Kind.STRING:  # escaped once for N-Triples and Turtle, once for JSON
            if single:
                self.emit(f"_v = literal({obj.name}[0])", 2)
            else:
                self.emit(f"{items} = [literal(_v) for _v in {obj.name}]", 2)
            return [(True, "_v[0]")], [(True, "_v[0]")], [(True, "_v[1]")], items
        convert = self.const(self.writer.specs[prop][5])
        if single:
            self.emit(f"_v = {convert}({obj.name}[0])", 2)
            self.emit("_v = (_v[0], _v[1], json_line(_v[2]))", 2)
        else:
            self.emit(f"{items} = [{convert}(_v) for _v in {obj.name}]", 2)
            self.emit(f"{items} = [(_f[0], _f[1], json_line(_f[2])) for _f in {items}]", 2)
        return [(True, "_v[0]")], [(True, "_v[1]")], [(True, "_v[2]")], items

    # ---------------------------------------------------- the function

    def source(self) -> str:
        shape, writer = self.shape, self.writer
        specs = writer.specs
        self.lines.append(f"def fill({', '.join(shape.params)}):")
        self.emit(f"_s = {_fstring(_pattern_segs(shape.subject))}")
        self.emit(f"_h = {_fstring(_lit('<' + writer.root) + [(True, '_s')] + _lit('> '))}")
        nt_lines: list[tuple[list[_Seg], list[_Seg]]] = []  # (sort key, what to write)
        ttl: list[_Seg] = []
        members: dict[str, list[tuple[Prop, Any, list[_Seg] | str]]] = {}  # JSON key → values
        last: Prop | None = None
        for prop, obj in shape.entries:
            nt_pred, ttl_pred, key = specs[prop][0], specs[prop][1], prop.key
            sep = f"{ttl_pred} " if last is None else (", " if prop is last else f" ;\n    {ttl_pred} ")
            last = prop
            cls = obj.__class__
            pred = _lit(nt_pred)
            if cls in (Refs, Vals):
                n, t, j = self.name("n"), self.name("t"), self.name("j")
                head = f", {json_line(key)}: ["
                self.emit(f"if not {obj.name}:")
                self.emit(f"{n} = {t} = {j} = ''", 2)
                # One element, the common case, without the comprehensions (each a function call).
                self.emit(f"elif len({obj.name}) == 1:")
                elem_nt, elem_ttl, elem_js, _ = self.list_forms(prop, obj, single=True)
                self.emit(f"{n} = {_fstring([(True, '_h')] + pred + elem_nt + _lit(NT_END))}", 2)
                self.emit(f"{t} = {_fstring(_lit(sep) + elem_ttl)}", 2)
                if not prop.reverse_key:
                    self.emit(f"{j} = {_fstring(_lit(head) + elem_js + _lit(']'))}", 2)
                self.emit("else:")
                elem_nt, elem_ttl, elem_js, items = self.list_forms(prop, obj)
                line = _fstring([(True, "_h")] + pred + elem_nt + _lit(NT_END))
                self.emit(f"{n} = [{line} for _v in {items}]", 2)
                self.emit(f"{n} = ''.join(sorted(set({n})))", 2)  # sorted, no duplicates
                self.emit(f"{t} = {sep!r} + ', '.join([{_fstring(elem_ttl)} for _v in {items}])", 2)
                if not prop.reverse_key:
                    self.emit(f"{j} = {head!r} + ', '.join([{_fstring(elem_js)} for _v in {items}]) + ']'", 2)
                    members.setdefault(key, []).append((prop, obj, j))
                nt_lines.append((pred + [(True, f"*{n}")], [(True, n)]))
                ttl.append((True, t))
                continue
            if cls is Val and obj.optional:
                n, t, j = self.name("n"), self.name("t"), self.name("j")
                self.emit(f"if {obj.name} is None:")
                self.emit(f"{n} = {t} = {j} = ''", 2)
                self.emit("else:")
                o_nt, o_ttl, o_js = self.value_forms(prop, obj.name, 2)
                self.emit(f"{n} = {_fstring([(True, '_h')] + pred + o_nt + _lit(NT_END))}", 2)
                self.emit(f"{t} = {_fstring(_lit(sep) + o_ttl)}", 2)
                brackets = ("[", "]") if prop.many else ("", "")  # a list, as the generic writer makes it
                self.emit(
                    f"{j} = {_fstring(_lit(f', {json_line(key)}: ' + brackets[0]) + o_js + _lit(brackets[1]))}", 2
                )
                nt_lines.append((pred + [(True, f"*{n}")], [(True, n)]))
                ttl.append((True, t))
                members.setdefault(key, []).append((prop, obj, j))
                continue
            if cls is Val:
                o_nt, o_ttl, o_js = self.value_forms(prop, obj.name, 1)
                order = pred + [(True, f"*{obj.name}")]  # orders only by predicate
            else:
                o_nt, o_ttl, o_js = self.static_forms(prop, obj)
                order = pred + o_nt
            line = [(True, "_h")] + pred + o_nt + _lit(NT_END)
            nt_lines.append((order + _lit(NT_END), line))
            ttl += _lit(sep) + o_ttl
            members.setdefault(key, []).append((prop, obj, o_js))
        nt = self.sorted_lines(nt_lines)
        js: list[_Seg] = _lit(f'{Writer.JSON_INDENT}{{"@id": "') + [(True, "_s")] + _lit('"')
        for key, values in members.items():
            many = values[0][0].many or len(values) > 1
            if isinstance(values[0][2], str):  # a piece that may be absent: the only value of its key
                js.append((True, values[0][2]))
                continue
            js += _lit(f", {json_line(key)}: " + ("[" if many else ""))
            for i, (_, _, segs) in enumerate(values):
                js += (_lit(", ") if i else []) + segs  # type: ignore[operator]
            js += _lit("]" if many else "")
        js += _lit("}")
        turtle = _lit("<") + [(True, "_s")] + _lit("> ") + ttl + _lit(" .\n")
        self.emit(f"return _s, {_fstring(nt)}, {_fstring(turtle)}, {_fstring(js)}")
        return "\n".join(self.lines) + "\n"

    def sorted_lines(self, lines: list[tuple[list[_Seg], list[_Seg]]]) -> list[_Seg]:
        """The lines in sorted order, proven at compile time; equal lines written once."""

        def compare(a: tuple[list[_Seg], list[_Seg]], b: tuple[list[_Seg], list[_Seg]]) -> int:
            found = _static_order(a[0], b[0])
            if found is None:
                raise ValueError(f"shape {self.shape.subject}: the order of two lines depends on the data")
            return found

        ordered = sorted(lines, key=cmp_to_key(compare))
        out: list[_Seg] = []
        for i, (order, line) in enumerate(ordered):
            if i and order == ordered[i - 1][0]:
                continue  # the same triple twice: N-Triples keep one
            out += line
        return out


_json_string = _json_encoder.encode_basestring  # as json_line writes a str (ensure_ascii=False)


def literal(value: str) -> tuple[str, str]:
    """A string as N-Triples/Turtle literal and as JSON string (the same text unless escaped)."""
    j = _json_string(value)
    return (j if "\\" not in j and "\x7f" not in value else quoted(value)), j
