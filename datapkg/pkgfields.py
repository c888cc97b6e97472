"""Table Schema fields as cell readers: text of a CSV cell → typed value, or the problem with it.

Used by `datapkg.pkgcheck` on every cell of a package, so each field is compiled once into a closure
that does only what the field declares. The lexical forms are the Table Schema v2 ones
(https://datapackage.org/standard/table-schema/), read strictly: an integer is `[+-]?[0-9]+`, not
whatever Python's int() accepts (frictionless also strips spaces and accepts `1_000`).
A field type, format or constraint not implemented here is reported as such, never passed silently.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from operator import itemgetter
from typing import Any

MISSING = None  # a cell in missingValues


class CellProblem(Exception):
    """A cell breaks its field: `code` is one of the package-* codes of datapkg.errors."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Unsupported(Exception):
    """The schema uses something this reader does not implement."""


@dataclass
class FieldReader:
    name: str
    type: str
    read: Callable[[str], Any]  # cell text → typed value (None when missing); raises CellProblem
    trivial: bool = False  # a string or any field without constraints: no cell can be wrong
    problems: list[str] = field(default_factory=list)  # unsupported features (reported once)
    # The fast path (see row_check): a regular expression that matches only cells `read` accepts
    # (None: not expressible), a test for what it cannot express (integer bounds), and the key part
    # of a cell that `read` accepts (key_part of its typed value).
    fast: str | None = None
    fast_extra: Callable[[str], bool] | None = None
    key_of: Callable[[str], Any] | None = None
    plain_key: bool = False  # the cell itself is its key part (a required string)


# ---------------------------------------------------------------- lexical forms

_INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|NaN|[+-]?INF", re.ASCII)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_TIME = re.compile(r"[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:[0-9]{2})?", re.ASCII)
_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:[0-9]{2})?", re.ASCII
)
_YEAR = re.compile(r"[0-9]{4}", re.ASCII)
_YEARMONTH = re.compile(r"([0-9]{4})-([0-9]{2})", re.ASCII)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s]*")
_BARE_STRIP = re.compile(r"^[^-+0-9.]*|[^0-9]*$")  # bareNumber: false allows text around the number


def _bad(value: str, what: str) -> CellProblem:
    return CellProblem("package-type-error", f"{_show(value)} is not {what}")


def _show(value: str, limit: int = 60) -> str:
    return repr(value if len(value) <= limit else value[:limit] + "…")


def _plain(fmt: str) -> bool:
    return fmt in ("default", "")


def _string(props: dict[str, Any]) -> Callable[[str], Any] | None:
    fmt = props.get("format", "default")
    if _plain(fmt):
        return None
    if fmt == "email":
        regex, what = _EMAIL, "an e-mail address"
    elif fmt == "uri":
        regex, what = _URI, "a URI (with a scheme)"
    elif fmt == "uuid":

        def read_uuid(cell: str) -> str:
            try:
                uuid.UUID(cell)
            except ValueError:
                raise _bad(cell, "a UUID") from None
            return cell

        return read_uuid
    elif fmt == "binary":

        def read_binary(cell: str) -> str:
            try:
                base64.b64decode(cell, validate=True)
            except (binascii.Error, ValueError):
                raise _bad(cell, "base64") from None
            return cell

        return read_binary
    else:
        raise Unsupported(f"string format {fmt!r}")

    def read_regex(cell: str) -> str:
        if not regex.fullmatch(cell):
            raise _bad(cell, what)
        return cell

    return read_regex


def _integer(props: dict[str, Any]) -> Callable[[str], Any]:
    group = props.get("groupChar", "")
    bare = props.get("bareNumber", True)

    def read(cell: str) -> int:
        text = cell.replace(group, "") if group else cell
        if not bare:
            text = _BARE_STRIP.sub("", text)
        if not _INTEGER.fullmatch(text):
            raise _bad(cell, "an integer")
        return int(text)

    return read


def _number(props: dict[str, Any]) -> Callable[[str], Any]:
    group, decimal = props.get("groupChar", ""), props.get("decimalChar", ".")
    bare = props.get("bareNumber", True)

    def read(cell: str) -> Decimal:
        text = cell.replace(group, "") if group else cell
        if decimal != ".":
            text = text.replace(decimal, ".")
        if not bare:
            text = _BARE_STRIP.sub("", text)
        if not _NUMBER.fullmatch(text):
            raise _bad(cell, "a number")
        return Decimal(text.replace("INF", "Infinity"))

    return read


def _boolean(props: dict[str, Any]) -> Callable[[str], Any]:
    mapping = {v: True for v in props.get("trueValues", ["true", "True", "TRUE", "1"])}
    mapping |= {v: False for v in props.get("falseValues", ["false", "False", "FALSE", "0"])}

    def read(cell: str) -> bool:
        try:
            return mapping[cell]
        except KeyError:
            raise _bad(cell, f"a boolean ({', '.join(mapping)})") from None

    return read


def _temporal(kind: str, props: dict[str, Any]) -> Callable[[str], Any]:
    fmt = props.get("format", "default")
    if _plain(fmt):
        regex, parse = {
            "date": (_DATE, date.fromisoformat),
            "time": (_TIME, time.fromisoformat),
            "datetime": (_DATETIME, datetime.fromisoformat),
        }[kind]
    elif fmt == "any":
        raise Unsupported(f"{kind} format 'any'")
    elif "%" in fmt:
        regex = None

        def parse(text: str) -> Any:
            value = datetime.strptime(text, fmt)
            return value.date() if kind == "date" else value.time() if kind == "time" else value

    else:
        raise Unsupported(f"{kind} format {fmt!r}")
    what = f"a {kind} ({'ISO 8601' if regex else fmt})"

    def read(cell: str) -> Any:
        if regex is not None and not regex.fullmatch(cell):
            raise _bad(cell, what)
        try:
            return parse(cell)
        except ValueError:
            raise _bad(cell, what) from None

    return read


def _year(props: dict[str, Any]) -> Callable[[str], Any]:
    def read(cell: str) -> int:
        if not _YEAR.fullmatch(cell):
            raise _bad(cell, "a year (YYYY)")
        return int(cell)

    return read


def _yearmonth(props: dict[str, Any]) -> Callable[[str], Any]:
    def read(cell: str) -> tuple[int, int]:
        m = _YEARMONTH.fullmatch(cell)
        if not m or not 1 <= int(m[2]) <= 12:
            raise _bad(cell, "a year and month (YYYY-MM)")
        return int(m[1]), int(m[2])

    return read


def _json(kind: type) -> Callable[[dict[str, Any]], Callable[[str], Any]]:
    what = "a JSON object" if kind is dict else "a JSON array"

    def make(props: dict[str, Any]) -> Callable[[str], Any]:
        def read(cell: str) -> Any:
            try:
                value = json.loads(cell)
            except ValueError:
                raise _bad(cell, what) from None
            if not isinstance(value, kind):
                raise _bad(cell, what)
            return value

        return read

    return make


TYPES: dict[str, Callable[[dict[str, Any]], Callable[[str], Any] | None]] = {
    "string": _string,
    "any": lambda props: None,
    "integer": _integer,
    "number": _number,
    "boolean": _boolean,
    "date": lambda props: _temporal("date", props),
    "time": lambda props: _temporal("time", props),
    "datetime": lambda props: _temporal("datetime", props),
    "year": _year,
    "yearmonth": _yearmonth,
    "object": _json(dict),
    "array": _json(list),
}
# Constraints by the types they apply to (Table Schema v2); others are reported as unsupported.
_ORDERED = {"integer", "number", "date", "time", "datetime", "year", "yearmonth"}
_SIZED = {"string", "array", "object"}
CONSTRAINTS = {
    "required": None,
    "unique": None,  # checked across rows by pkgcheck
    "enum": None,
    "pattern": {"string"},
    "minLength": _SIZED,
    "maxLength": _SIZED,
    "minimum": _ORDERED,
    "maximum": _ORDERED,
    "exclusiveMinimum": _ORDERED,
    "exclusiveMaximum": _ORDERED,
}


# ---------------------------------------------------------------- a field's reader


def field_reader(props: dict[str, Any], missing_values: list[str]) -> FieldReader:
    """Compile one Table Schema field; unsupported features end up in `.problems`."""
    name, kind = str(props.get("name", "")), props.get("type", "any")
    problems: list[str] = []
    try:
        make = TYPES[kind]
        parse = make(props)
    except KeyError:
        problems.append(f"field type {kind!r}")
        parse = None
    except Unsupported as exc:
        problems.append(str(exc))
        parse = None
    missing = frozenset(props.get("missingValues", missing_values))
    constraints = dict(props.get("constraints") or {})
    for c in list(constraints):
        allowed = CONSTRAINTS.get(c, ())
        if allowed is not None and kind not in allowed:
            problems.append(f"constraint {c!r} on a {kind} field")
            del constraints[c]
    if props.get("categories") is not None:  # v2: the allowed values, optionally with labels
        values = [c["value"] if isinstance(c, dict) else c for c in props["categories"]]
        constraints["enum"] = [str(v) for v in values] if kind == "string" else values

    required = bool(constraints.get("required"))
    try:
        checks = _constraint_checks(constraints, parse)
    except Unsupported as exc:
        problems.append(str(exc))
        checks = []
    trivial = parse is None and not checks and not required

    def read(cell: str) -> Any:
        if cell in missing:
            if required:
                raise CellProblem("package-required", "required value missing")
            return MISSING
        value = parse(cell) if parse is not None else cell
        for check in checks:
            check(value)
        return value

    reader = FieldReader(name, kind, read, trivial=trivial, problems=problems)
    if kind in ("string", "any"):
        reader.plain_key = required
        reader.key_of = lambda cell: None if cell in missing else cell
    else:
        reader.key_of = lambda cell: key_part(read(cell))
    if problems:
        return reader
    reader.fast = _fragment(kind, props, constraints, missing, required)
    reader.fast_extra = _bounds(kind, constraints, missing)
    if kind == "integer" and reader.fast is not None:
        reader.key_of = lambda cell: None if cell in missing else f"\x00n{int(cell)}"
    return reader


# ---------------------------------------------------------------- the fast path: a whole row at once

_END = r"(?:\x00|\Z)"  # the end of a cell in a row joined with NUL
_SPECIAL = re.compile(r"\\.|\[\^")  # escapes and negated classes, before looking for anchors
_UNSAFE = re.compile(r"[\^$]|\(\?")  # anchors, lookarounds, flags, named groups: not embeddable


def _embeddable(pattern: str) -> bool:
    """A pattern that means the same inside the row expression (no anchors, flags or back references)."""
    plain = _SPECIAL.sub("", pattern)
    return not _UNSAFE.search(plain) and not re.search(r"\\[AZzbBGg1-9]", pattern)


def _alternatives(values: list[str]) -> str:
    return "(?:" + "|".join(re.escape(v) for v in values) + ")"


def _fragment(
    kind: str, props: dict[str, Any], constraints: dict[str, Any], missing: frozenset[str], required: bool
) -> str | None:
    """A regular expression for the cells of this field that `read` accepts, or None.

    It may reject cells `read` accepts (they then go the slow way, cell by cell), never the opposite.
    """
    looks = []
    if kind in ("string", "any") and (kind == "any" or _plain(props.get("format", "default"))):
        pattern = constraints.get("pattern")
        if pattern is not None and not _embeddable(pattern):
            return None
        value = f"(?:{pattern})" if pattern is not None else "[^\x00]*"
        if "enum" in constraints:
            if not all(isinstance(v, str) for v in constraints["enum"]):
                return None
            looks.append(_alternatives(constraints["enum"]))
        if "minLength" in constraints or "maxLength" in constraints:
            looks.append(f"[^\x00]{{{constraints.get('minLength', 0)},{constraints.get('maxLength', '')}}}")
    elif kind == "integer" and props.get("bareNumber", True) and not props.get("groupChar"):
        value = _minimum_regex(constraints) or "[+-]?[0-9]+"
        if "enum" in constraints:
            if not all(isinstance(v, int) and not isinstance(v, bool) for v in constraints["enum"]):
                return None
            looks.append(_alternatives([str(v) for v in constraints["enum"]]))
    elif kind == "boolean" and "enum" not in constraints:
        value = _alternatives(
            [
                *props.get("trueValues", ["true", "True", "TRUE", "1"]),
                *props.get("falseValues", ["false", "False", "FALSE", "0"]),
            ]
        )
    else:
        return None
    value = "".join(f"(?={look}{_END})" for look in looks) + value
    if not missing:
        return value
    absent = _alternatives(sorted(missing))
    # The engine backtracks into the alternatives until the cell ends where the next NUL (or the row) does.
    return f"(?!{absent}{_END}){value}" if required else f"(?:{absent}|{value})"


_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")


def _minimum_regex(constraints: dict[str, Any]) -> str | None:
    """The common bounds (minimum 0 for offsets, 1 for positions) as an expression: no int() per cell."""
    if [b for b in _BOUNDS if b in constraints] != ["minimum"]:
        return None
    return {0: r"\+?[0-9]+", 1: r"\+?0*[1-9][0-9]*"}.get(constraints["minimum"])


def _bounds(kind: str, constraints: dict[str, Any], missing: frozenset[str]) -> Callable[[str], bool] | None:
    """Integer bounds, which a regular expression cannot check: True when the cell is within them."""
    if kind != "integer" or not any(n in constraints for n in _BOUNDS) or _minimum_regex(constraints):
        return None
    low = constraints.get("minimum")
    high = constraints.get("maximum")
    above = constraints.get("exclusiveMinimum")
    below = constraints.get("exclusiveMaximum")
    if not all(b is None or (isinstance(b, int) and not isinstance(b, bool)) for b in (low, high, above, below)):
        return lambda cell: False  # bounds given as text or numbers: the slow path reads them

    def within(cell: str) -> bool:
        if cell in missing:
            return True
        v = int(cell)
        return (
            (low is None or v >= low)
            and (high is None or v <= high)
            and (above is None or v > above)
            and (below is None or v < below)
        )

    return within


def row_check(readers: list[FieldReader], columns: list[int]) -> Callable[[list[str]], bool]:
    """True only if every cell of `columns` reads without a problem; False: read them one by one.

    The cells that have a fragment are joined with NUL and matched by one expression. That is exact:
    when the joined row holds as many NULs as separators, no fragment can have matched across a cell's
    end, so each fragment matched its whole cell.
    """
    fast = [i for i in columns if readers[i].fast is not None]
    slow = [(i, readers[i].read) for i in columns if readers[i].fast is None]
    extra = [(i, readers[i].fast_extra) for i in fast if readers[i].fast_extra is not None]
    try:
        combined = re.compile("\x00".join(readers[i].fast for i in fast))  # type: ignore[misc]
    except re.error:
        fast, slow = [], [(i, readers[i].read) for i in columns]
        combined = re.compile("")
    separators = len(fast) - 1
    get = itemgetter(*fast) if len(fast) > 1 else (lambda row: (row[fast[0]],)) if fast else (lambda row: ())

    def check(row: list[str]) -> bool:
        if fast:
            joined = "\x00".join(get(row))
            if joined.count("\x00") != separators or combined.fullmatch(joined) is None:
                return False
        for i, ok in extra:
            if not ok(row[i]):
                return False
        for i, read in slow:
            try:
                read(row[i])
            except CellProblem:
                return False
        return True

    return check


def _constraint_checks(constraints: dict[str, Any], parse: Callable[[str], Any] | None) -> list[Callable[[Any], None]]:
    """One function per constraint, in the order the problems are reported (the first one wins)."""

    def typed(value: Any) -> Any:
        # Bounds and enum values are given as JSON values or as cell text: compare typed values.
        if isinstance(value, str) and parse is not None:
            return parse(value)
        if isinstance(value, float):
            return Decimal(str(value))
        return value

    checks: list[Callable[[Any], None]] = []
    if "enum" in constraints:
        try:
            allowed = frozenset(typed(v) for v in constraints["enum"])
        except (CellProblem, TypeError, InvalidOperation):
            raise Unsupported("an enum value of the wrong type") from None
        listed = ", ".join(map(str, constraints["enum"][:12])) + (" …" if len(constraints["enum"]) > 12 else "")

        def enum(value: Any) -> None:
            if value not in allowed:
                raise CellProblem("package-enum", f"{_show(str(value))} is not one of: {listed}")

        checks.append(enum)
    if "pattern" in constraints:
        pattern = re.compile(constraints["pattern"])

        def matches(value: str) -> None:
            if not pattern.fullmatch(value):
                raise CellProblem("package-pattern", f"{_show(value)} does not match {constraints['pattern']!r}")

        checks.append(matches)
    for c, ok in (("minLength", lambda n, b: n >= b), ("maxLength", lambda n, b: n <= b)):
        if c in constraints:
            checks.append(_length(c, constraints[c], ok))
    bounds = (
        ("minimum", lambda v, b: v >= b),
        ("maximum", lambda v, b: v <= b),
        ("exclusiveMinimum", lambda v, b: v > b),
        ("exclusiveMaximum", lambda v, b: v < b),
    )
    for c, ok in bounds:
        if c in constraints:
            try:
                bound = typed(constraints[c])
            except (CellProblem, InvalidOperation):
                raise Unsupported(f"{c} {constraints[c]!r} of the wrong type") from None
            checks.append(_bound(c, bound, ok))
    return checks


def _length(name: str, bound: int, ok: Callable[[int, int], bool]) -> Callable[[Any], None]:
    def check(value: Any) -> None:
        if not ok(len(value), bound):
            raise CellProblem("package-length", f"length {len(value)} breaks {name} {bound}")

    return check


def _bound(name: str, bound: Any, ok: Callable[[Any, Any], bool]) -> Callable[[Any], None]:
    def check(value: Any) -> None:
        if value != value or not ok(value, bound):  # NaN is outside every bound
            raise CellProblem("package-range", f"{value} breaks {name} {bound}")

    return check


def key_part(value: Any) -> Any:
    """A value as it takes part in a key: strings as they are, other types tagged and normalised.

    Typed comparison as frictionless does it: the integer 1 equals 1.0 (and "01"), not the string "1".
    """
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "\x00n1" if value else "\x00n0"
    if isinstance(value, int):
        return f"\x00n{value}"
    if isinstance(value, Decimal):
        if value.is_finite() and value == value.to_integral_value():
            return f"\x00n{int(value)}"
        return f"\x00n{value.normalize()}"
    if isinstance(value, date | time | datetime):
        return f"\x00d{value.isoformat()}"
    return "\x00j" + json.dumps(value, sort_keys=True)
