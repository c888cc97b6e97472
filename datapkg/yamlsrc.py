"""A safe YAML reader that remembers where every value came from.

We build plain Python values straight from the parser's events (no PyYAML
composer or constructor), so that duplicate keys, aliases, tags and runaway
nesting are refused before anything is expanded or constructed (no object
construction, no alias bombs, no recursion) and every path maps to a 1-based
line and column, both of its key and of its value.

The event parser is libyaml's when available, else PyYAML's pure Python one;
the checks are the same either way.

Speed matters (thousands of documents): the event loop keeps its state in local
variables and dispatches on the event class; plain scalars are resolved with
PyYAML's own implicit resolvers, looked up by first character as PyYAML does;
and positions are kept as the parser's marks in a tree beside the data, turned
into (line, column) only when a problem needs one.

Most annotation files use a small part of YAML: block mappings and sequences,
simple keys, one-line plain or quoted scalars and one-line flow sequences. A
line-based reader (`_fast_parse`) reads exactly that part about three times
faster than libyaml's events reach Python, and gives up (returns None) on the
first line it does not fully understand; the event reader then reads the file,
so every refusal, error and unusual construct is handled by the event reader
alone. The tests check that both readers give the same values and positions.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)
from yaml.resolver import Resolver

from .errors import Problem

Path = tuple[str | int, ...]
Position = tuple[int, int]

MAX_DEPTH = 64  # annotation files nest about 5 deep; this bounds the composer's recursion

_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_SCALARS = SafeConstructor()
_PLAIN_TAGS = {
    _STR,
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    _TIMESTAMP,
    _SEQ,
    _MAP,
}
_TEXT_TAGS = {_STR, _TIMESTAMP, _MERGE}  # dates stay text; the model parses what it needs

# PyYAML's implicit resolvers by first character ('' for the empty scalar), each list followed by the
# resolvers for any character: exactly what Resolver.resolve tries for a plain scalar, in the same order.
# (Resolver has no path resolvers, so resolve() gives str when none of these match.)
_WILDCARD = tuple(Resolver.yaml_implicit_resolvers.get(None, []))
_IMPLICIT = {
    first: tuple(resolvers) + _WILDCARD
    for first, resolvers in Resolver.yaml_implicit_resolvers.items()
    if first is not None
}
assert not Resolver.yaml_path_resolvers  # resolve() would consult them; we do not
# First characters of plain keys that may resolve to a merge key ('<<'): only those keys need resolving.
_MERGE_FIRST = frozenset(first for first, resolvers in _IMPLICIT.items() if any(t == _MERGE for t, _ in resolvers))
assert not any(t == _MERGE for t, _ in _WILDCARD)


def _resolve_plain(value: str) -> str:
    """The tag PyYAML's resolver gives a plain (unquoted, untagged) scalar."""
    for tag, regexp in _IMPLICIT.get(value[:1], _WILDCARD):
        if regexp.match(value):
            return tag
    return _STR


class YamlDoc:
    """Parsed YAML data plus the position of every path in it.

    Positions live in a tree beside the data: each container has an entry [start, entries of its
    values, starts of its keys (mappings only)], each scalar just its start; a start is a parser
    mark or a (line, column) pair. `positions` and `key_positions` give the flat
    {path: (line, column)} view (built on first use).
    """

    def __init__(self, file: str, data: Any, root: list[Any] | None = None) -> None:
        self.file = file
        self.data = data
        self._root = root or []  # [entry of the root value], or [] for an empty document
        self._flat: tuple[dict[Path, Position], dict[Path, Position]] | None = None

    def _walk(self, path: Path) -> tuple[Any, Any, int]:
        """(entry of the deepest node on `path` that exists, key mark of it or None, its depth)."""
        if not self._root:
            return None, None, 0
        entry, key_mark, depth = self._root[0], None, 0
        for part in path:
            if type(entry) is not list:  # a scalar: nothing below it
                break
            _, values, keys = entry
            if keys is not None:  # a mapping: keys are strings
                if not isinstance(part, str) or part not in values:
                    break
                entry, key_mark = values[part], keys[part]
            else:  # a sequence: items by index
                if not isinstance(part, int) or not 0 <= part < len(values):
                    break
                entry, key_mark = values[part], None
            depth += 1
        return entry, key_mark, depth

    def where(self, path: Path) -> tuple[int | None, int | None]:
        """Line and column of the value at `path`, or of its nearest ancestor that exists."""
        entry, _, _ = self._walk(tuple(path))
        if entry is None:
            return (1, 1)
        return _position(entry)

    def where_key(self, path: Path) -> tuple[int | None, int | None]:
        """Line and column of the key at `path` (a list item: the item), else of the nearest ancestor."""
        path = tuple(path)
        entry, key_mark, depth = self._walk(path)
        if key_mark is not None and depth == len(path):
            return _start(key_mark)
        if entry is None:
            return (1, 1)
        return _position(entry)

    @property
    def positions(self) -> dict[Path, Position]:
        """Where each value starts, by path (the root is (1, 1) when the document is empty)."""
        return self._flatten()[0]

    @property
    def key_positions(self) -> dict[Path, Position]:
        """Where each mapping key starts, by path."""
        return self._flatten()[1]

    def _flatten(self) -> tuple[dict[Path, Position], dict[Path, Position]]:
        if self._flat is None:
            values: dict[Path, Position] = {(): (1, 1)}
            keys: dict[Path, Position] = {}
            todo: list[tuple[Path, Any, Any]] = [((), self._root[0], None)] if self._root else []
            while todo:  # in document order: a node's key, the node, then its children
                path, entry, key_mark = todo.pop()
                if key_mark is not None:
                    keys[path] = _start(key_mark)
                values[path] = _position(entry)
                if type(entry) is list:
                    _, children, key_marks = entry
                    if key_marks is not None:
                        items = [((*path, k), child, key_marks[k]) for k, child in children.items()]
                    else:
                        items = [((*path, i), child, None) for i, child in enumerate(children)]
                    todo.extend(reversed(items))
            self._flat = (values, keys)
        return self._flat


def _position(entry: Any) -> Position:
    return _start(entry[0] if type(entry) is list else entry)


def _start(start: Any) -> Position:
    """(line, column), 1-based, of a parser mark (0-based) or of a (line, column) pair."""
    if type(start) is tuple:
        return start
    return (start.line + 1, start.column + 1)


class YamlProblem(Exception):
    """Parsing failed; `problem` says where and why."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.format())
        self.problem = problem


class _Refused(Exception):
    def __init__(self, code: str, message: str, mark: yaml.Mark) -> None:
        super().__init__(message)
        self.code, self.message, self.mark = code, message, mark


try:  # libyaml's event parser (about ten times faster than PyYAML's)
    from yaml._yaml import CParser as _Events

except ImportError:  # pragma: no cover - PyYAML without libyaml

    class _Events(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)


def _line_col(text: str, offset: int) -> Position:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def parse_yaml(text: str, file: str, fast: bool = True) -> YamlDoc:
    """Parse one YAML document into plain values; raise YamlProblem for anything refused.

    fast=False always uses the event reader (the reference the fast path is tested against).
    """
    if fast:
        found = _fast_parse(text)
        if found is not None:
            return YamlDoc(file, found[0], [found[1]])
    events = None
    try:
        events = _Events(text)  # PyYAML's own reader checks the characters here already
        return _build(events, file)
    except _Refused as exc:
        line, col = exc.mark.line + 1, exc.mark.column + 1
        raise YamlProblem(Problem.make(exc.code, exc.message, file=file, line=line, column=col)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = exc.problem or "invalid YAML"
        if exc.context and exc.problem:
            message = f"{exc.context}, {exc.problem}"
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        raise YamlProblem(Problem.make("yaml-syntax", message, file=file, line=line, column=col)) from None
    except yaml.reader.ReaderError as exc:  # control characters, NUL
        # libyaml gives a byte offset and an int, PyYAML a character offset and a str: the first
        # occurrence of the character is where the reader stopped either way.
        code = ord(exc.character) if isinstance(exc.character, str) else int(exc.character)
        at = text.find(chr(code))
        line, col = _line_col(text, at) if at >= 0 else (None, None)
        raise YamlProblem(
            Problem.make(
                "yaml-syntax", f"character U+{code:04X} is not allowed in YAML", file=file, line=line, column=col
            )
        ) from None
    finally:
        if events is not None:
            events.dispose()


def _check_tag(tag: str | None, mark: yaml.Mark) -> None:
    if tag is not None and tag != "!" and tag not in _PLAIN_TAGS:
        raise _Refused("yaml-tag", f"tag {tag!r} is not allowed", mark)


def _construct(tag: str, value: str) -> Any:
    """A scalar's value by PyYAML's safe constructor for `tag` (not str, timestamp or merge).

    Raises ValueError (also for a tag without a constructor) when the text is not a valid value
    of that type; construct_object() is not used: it would cache every node.
    """
    constructor = SafeConstructor.yaml_constructors.get(tag)
    if constructor is None or tag in (_SEQ, _MAP):
        raise ValueError(tag)
    node = yaml.ScalarNode(tag, value)  # the scalar constructors read only the value
    try:
        return constructor(_SCALARS, node)
    except (ValueError, KeyError, IndexError) as exc:  # e.g. !!int x, !!bool maybe, !!float ''
        raise ValueError(tag) from exc


def _implicit(tag: str, value: str) -> Any:
    """The value of a plain scalar the resolver gave `tag` (a number, true/false, null).

    PyYAML's YAML 1.1 patterns take a few texts that no constructor accepts ('=', '0x_'): those
    stay text, as YAML 1.2 reads them.
    """
    if tag in _TEXT_TAGS:
        return value
    try:
        return _construct(tag, value)
    except ValueError:
        return value


_PLAIN_CACHE: dict[str, Any] = {}  # plain text -> value: the same words recur (kinds, roles, ids)
_PLAIN_CACHE_SIZE = 50_000


def _plain_value(value: str) -> Any:
    """The value of a plain scalar: resolved as PyYAML resolves it (mostly: text).

    Resolving depends on the text alone and gives immutable values, so results are cached.
    """
    found = _PLAIN_CACHE.get(value, _PLAIN_CACHE)
    if found is not _PLAIN_CACHE:
        return found
    found = value
    for tag, regexp in _IMPLICIT.get(value[:1], _WILDCARD):
        if regexp.match(value):
            found = _implicit(tag, value)
            break
    if len(_PLAIN_CACHE) >= _PLAIN_CACHE_SIZE:
        _PLAIN_CACHE.clear()
    _PLAIN_CACHE[value] = found
    return found


def _explicit(tag: str, event: ScalarEvent) -> Any:
    """The value of a scalar with an explicit tag (!!str, !!int …); other tags are refused."""
    _check_tag(tag, event.start_mark)
    if tag in _TEXT_TAGS:
        return event.value
    try:
        return _construct(tag, event.value)
    except ValueError:
        short = tag.replace("tag:yaml.org,2002:", "!!")
        raise _Refused("yaml-tag", f"{event.value!r} is not a valid {short} value", event.start_mark) from None


def _build(events: Any, file: str) -> YamlDoc:
    """Plain values from the event stream, iteratively (no recursion, nesting bounded by MAX_DEPTH).

    Events are refused before anything is expanded: aliases, tags, merge keys, duplicate keys.
    """
    get_event = events.get_event
    # The open container: its value, whether it is a mapping, the marks of its values (by key or
    # index) and of its keys (mappings only). The document itself is a pseudo-sequence `root`.
    root: list[Any] = []
    root_marks: list[Any] = []
    container: Any = root
    is_map = False
    marks: Any = root_marks
    key_marks: Any = None
    key: str | None = None  # the mapping key whose value comes next
    stack: list[tuple[Any, bool, Any, Any]] = []
    documents = 0
    while True:
        event = get_event()
        cls = event.__class__
        if cls is ScalarEvent:
            tag = event.tag
            if is_map and key is None:
                # A mapping key: a plain scalar, once per mapping.
                key = event.value
                if tag is not None and tag != "!":
                    _explicit(tag, event)
                elif key[:1] in _MERGE_FIRST and event.implicit[0] and _resolve_plain(key) == _MERGE:
                    raise _Refused("yaml-alias", "merge keys ('<<') are not allowed", event.start_mark)
                if key in container:
                    raise _Refused("yaml-duplicate-key", f"key {key!r} appears twice", event.start_mark)
                key_marks[key] = event.start_mark
                continue
            value = event.value
            if tag is not None and tag != "!":
                value = _explicit(tag, event)
            elif event.implicit[0]:
                # _resolve_plain inlined (most plain scalars start with a letter no resolver claims)
                for resolved, regexp in _IMPLICIT.get(value[:1], _WILDCARD):
                    if regexp.match(value):
                        value = _implicit(resolved, value)
                        break
            # A value: under the pending key, or the next item of a sequence (or the document).
            if is_map:
                container[key] = value
                marks[key] = event.start_mark
                key = None
            else:
                container.append(value)
                marks.append(event.start_mark)
        elif cls is MappingStartEvent or cls is SequenceStartEvent:
            if is_map and key is None:
                raise _Refused("yaml-syntax", "mapping keys must be plain strings", event.start_mark)
            _check_tag(event.tag, event.start_mark)
            if len(stack) >= MAX_DEPTH:
                raise _Refused("yaml-syntax", f"nesting deeper than {MAX_DEPTH} levels", event.start_mark)
            if cls is MappingStartEvent:
                value, child_marks, child_keys = {}, {}, {}
            else:
                value, child_marks, child_keys = [], [], None
            entry = [event.start_mark, child_marks, child_keys]
            if is_map:
                container[key] = value
                marks[key] = entry
                key = None
            else:
                container.append(value)
                marks.append(entry)
            stack.append((container, is_map, marks, key_marks))
            container, is_map, marks, key_marks = value, child_keys is not None, child_marks, child_keys
        elif cls is MappingEndEvent or cls is SequenceEndEvent:
            container, is_map, marks, key_marks = stack.pop()
        elif cls is AliasEvent:
            raise _Refused("yaml-alias", "YAML aliases are not allowed", event.start_mark)
        elif cls is DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise _Refused(
                    "yaml-syntax", "expected a single document, but found another document", event.start_mark
                )
        elif event is None or cls is StreamEndEvent:
            return YamlDoc(file, root[0] if root else {}, root_marks)
        elif cls is not StreamStartEvent and cls is not DocumentEndEvent:  # pragma: no cover
            raise AssertionError(f"unexpected YAML event {event!r}")


# ---------------------------------------------------------------- the fast path

# A mapping key line: a simple key, then ':' and spaces or the end of the line; the value follows.
_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*):(?: +|$)")
# One-line quoted scalars. Double-quoted ones with a backslash are decoded as JSON strings: JSON's
# escapes are a subset of YAML's with the same meaning; any other escape fails to decode and the
# event reader reads the file. Escaped surrogates, which the two treat differently, are left to it.
_DOUBLE = re.compile(r'"((?:[^"\\]|\\.)*)"')
_SINGLE = re.compile(r"'((?:[^']|'')*)'")
_SURROGATE = re.compile(r"\\u[dD][89abAB]")
# A plain scalar may not start with an indicator or a space (a few may, in ways left to the event reader).
_PLAIN_START = frozenset("-?:,[]{}#&*!|>'\"%@` ")
# An item of a one-line flow sequence: quoted, or plain without flow indicators, ':' or '#'.
_FLOW_ITEM = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\']|\'\')*\'|[^-?:,\[\]{}#&*!|>\'"%@` ][^,\[\]{}#:]*')


def _fast_scalar(text: str) -> tuple[Any] | None:
    """(value,) of a one-line scalar in the subset, or None (not in the subset)."""
    first = text[0]
    if first == '"':
        if "\\" not in text:  # no escapes: the text between the only two quotes
            return (text[1:-1],) if text.count('"') == 2 and text[-1] == '"' and len(text) > 1 else None
        if _DOUBLE.fullmatch(text) is None or _SURROGATE.search(text):
            return None
        try:
            return (json.loads(text),)
        except ValueError:  # an escape JSON does not have (\x41, \e, \N …)
            return None
    if first == "'":
        if "'" not in text[1:-1] and text[-1] == "'" and len(text) > 1:  # no quotes inside
            return (text[1:-1],)
        body = _SINGLE.fullmatch(text)
        return None if body is None else (body.group(1).replace("''", "'"),)
    text = text.rstrip(" ")
    if first in _PLAIN_START or ": " in text or " #" in text or text[-1] == ":":
        return None
    return (_plain_value(text),)


def _fast_value(text: str) -> tuple[Any, tuple[int, ...] | None] | None:
    """(value, None) of the one-line scalar `text`, (items, their offsets in `text`) of a one-line
    flow sequence of scalars, or None (not in the subset)."""
    if text[0] != "[":
        scalar = _fast_scalar(text)
        return None if scalar is None else (scalar[0], None)
    # A one-line flow sequence of scalars: "[a, 'b', "c"]"; nested or multi-line ones are left alone.
    if text[-1] != "]":
        return None
    items: list[Any] = []
    starts: list[int] = []
    if not any(c in text for c in "\"'#:{}") and "[" not in text[1:]:
        # Plain items only (the common case): split at ', '; each item must be a plain scalar
        # without spaces around it.
        if text == "[]":
            return (), ()
        pos = 1
        for item in text[1:-1].split(", "):
            if not item or item[0] in _PLAIN_START or item[-1] == " " or "," in item or "]" in item:
                return None
            items.append(_plain_value(item))
            starts.append(pos)
            pos += len(item) + 2
        return tuple(items), tuple(starts)
    if text != "[]":
        pos, end = 1, len(text) - 1
        while True:
            found = _FLOW_ITEM.match(text, pos)
            if found is None:
                return None
            item = found.group()
            if item[0] not in "\"'":
                item = item.rstrip(" ")
                if not item or " #" in item:
                    return None
            scalar = _fast_scalar(item)
            if scalar is None:
                return None
            items.append(scalar[0])
            starts.append(pos)
            pos = found.end()
            if pos == end:
                break
            if text[pos : pos + 2] != ", " or pos + 2 >= end or text[pos + 2] == " ":
                return None
            pos += 2
    return tuple(items), tuple(starts)


_SKIP = ()  # the shape of a blank line or a comment
_PENDING = object()  # the value of a 'key:' whose value is on the next lines
# A line's shape: (indentation, opens a sequence item ("- "), key or None, column of the key or
# item, column of the value, value, columns of a flow sequence's items or None for a scalar).
Shape = tuple[int, bool, str | None, int, int, Any, tuple[int, ...] | None]
_SHAPES: dict[str, Shape | tuple[()]] = {}  # line -> shape: most lines recur (kinds, roles, ids, item starts)
_SHAPES_SIZE = 20_000  # a few MB; a corpus brings ~100 new lines a document


def _line_shape(line: str) -> Shape | tuple[()] | None:
    """What one line of the subset says, apart from its context; None: not in the subset.

    Depends on the line alone and holds immutable values only (a flow sequence's items as a
    tuple), so shapes are cached by line; whether the line fits where it stands (a key in a
    mapping, an item in a sequence, nesting depth) is checked by `_fast_parse`.
    """
    if not line.isprintable():  # tabs, control characters, BOM, NEL … (stricter than YAML)
        return None
    content = line.lstrip(" ")
    if not content or content[0] == "#":
        return _SKIP
    indent = len(line) - len(content)
    column = indent + 1
    dash = content[:2] == "- "
    if dash:  # a sequence item: a value or a mapping starting on this line
        if content[2:3] in ("", " "):
            return None
        content = content[2:]
        column += 2
    name, colon, after = content.partition(":")
    if not colon or (after and after[0] != " ") or not (name.isidentifier() and name.isascii()):
        if not dash:
            return None
        found = _fast_value(content)
        return None if found is None else (indent, True, None, column, column, found[0], found[1])
    rest = after.lstrip(" ")
    if not rest:
        return indent, dash, name, column, 0, _PENDING, None
    value_column = column + len(content) - len(rest)
    first = rest[0]
    if first in _PLAIN_START or first == "[":
        found = _fast_value(rest)
        return None if found is None else (indent, dash, name, column, value_column, found[0], found[1])
    # A plain scalar (the common case, inline).
    if rest[-1] == " ":
        rest = rest.rstrip(" ")
    if ": " in rest or " #" in rest or rest[-1] == ":":
        return None
    value = _plain_value(rest) if first in _IMPLICIT or _WILDCARD else rest
    return indent, dash, name, column, value_column, value, None


def _flow(
    items: tuple[Any, ...], columns: tuple[int, ...], line: int, column: int, depth: int
) -> tuple[Any, Any] | None:
    """A cached one-line flow sequence put in place at (line, column), `depth` containers deep: a
    fresh list of its items and its entry (its start and its items'); None where it nests too deep."""
    if depth + 1 >= MAX_DEPTH:
        return None
    return list(items), [(line, column), [(line, c + column) for c in columns], None]


def _fast_parse(text: str) -> tuple[Any, Any] | None:
    """(data, entry of the root) for a document in the block subset, or None for anything else.

    The subset: a mapping at the root; block mappings with simple keys ([A-Za-z_][A-Za-z0-9_]*);
    block sequences, each more indented than its key; items that are one-line scalars, one-line
    flow sequences or mappings starting on the item's line ('- key: value'); whole-line comments;
    printable characters only (no tabs). Each line is read by `_line_shape` (cached: three lines
    in four of a corpus were seen before); this loop puts it in place. Hot loop: the open
    container is kept in local variables.
    """
    # The open container: indentation, value, entries of its values, starts of its keys (None for a
    # sequence); enclosing ones are on `stack`.
    indent_now, container, entries, keys = -1, None, None, None
    stack: list[tuple[int, Any, Any, Any]] = []
    pending: str | None = None  # a 'key:' of `container` whose value is on the next lines
    data: Any = None
    root: list[Any] | None = None
    shapes = _SHAPES
    for number, line in enumerate(text.split("\n"), 1):
        shape = shapes.get(line)
        if shape is None:
            shape = _line_shape(line)
            if shape is None:
                return None
            if len(shapes) >= _SHAPES_SIZE:
                shapes.clear()
            shapes[line] = shape
        if shape is _SKIP:
            continue
        indent, dash, name, column, value_column, value, columns = shape  # type: ignore[misc]
        if pending is not None:
            # The block value of the pending key: a sequence or a mapping, more indented than the key.
            if indent <= indent_now or len(stack) + 2 >= MAX_DEPTH:
                return None  # a null value, a sequence at the key's indentation …: the event reader
            if dash:
                child, child_entries, child_keys = [], [], None
            else:
                child, child_entries, child_keys = {}, {}, {}
            container[pending] = child
            entries[pending] = [(number, indent + 1), child_entries, child_keys]
            stack.append((indent_now, container, entries, keys))
            indent_now, container, entries, keys = indent, child, child_entries, child_keys
            pending = None
        elif indent != indent_now:
            if root is None:
                if indent or dash:
                    return None
                data = container = {}
                root = [(number, 1), {}, {}]
                indent_now, entries, keys = 0, root[1], root[2]
            else:
                while indent < indent_now and stack:
                    indent_now, container, entries, keys = stack.pop()
                if indent != indent_now:
                    return None
        if keys is None:  # a sequence: this line must be its next item
            if not dash:
                return None
            if name is None:  # a value
                if columns is None:
                    container.append(value)
                    entries.append((number, column))
                else:
                    if (flow := _flow(value, columns, number, column, len(stack))) is None:
                        return None
                    container.append(flow[0])
                    entries.append(flow[1])
                continue
            # '- key: …': a mapping as the item, its keys aligned with this first one.
            if len(stack) + 2 >= MAX_DEPTH:
                return None
            item: dict[str, Any] = {}
            entry = [(number, column), {}, {}]
            container.append(item)
            entries.append(entry)
            stack.append((indent_now, container, entries, keys))
            indent_now, container, entries, keys = column - 1, item, entry[1], entry[2]
        elif dash:  # an item where a key belongs
            return None
        # A key of the mapping `container`, then its value.
        if name in container:
            return None  # a duplicate key: the event reader reports it
        keys[name] = (number, column)
        if value is _PENDING:
            pending = name
        elif columns is None:
            container[name] = value
            entries[name] = (number, value_column)
        else:
            if (flow := _flow(value, columns, number, value_column, len(stack))) is None:
                return None
            container[name], entries[name] = flow
    if pending is not None or root is None:
        return None
    return data, root
