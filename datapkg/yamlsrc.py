"""A safe YAML reader that remembers where every value came from.

We build plain Python values straight from the parser's events (no PyYAML
composer or constructor), so that duplicate keys, aliases, tags and runaway
nesting are refused before anything is expanded or constructed (no object
construction, no alias bombs, no recursion) and every path maps to a 1-based
line and column, both of its key and of its value.

The event parser is libyaml's when available, else PyYAML's pure Python one;
the checks are the same either way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from .errors import Problem

Path = tuple[str | int, ...]
Position = tuple[int, int]

MAX_DEPTH = 64  # annotation files nest about 5 deep; this bounds the composer's recursion

_SCALARS = SafeConstructor()
_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:map",
}


@dataclass
class YamlDoc:
    """Parsed YAML data plus the position of every path in it."""

    file: str
    data: Any
    positions: dict[Path, Position] = field(default_factory=dict)  # where each value starts
    key_positions: dict[Path, Position] = field(default_factory=dict)  # where each mapping key starts

    def where(self, path: Path) -> tuple[int | None, int | None]:
        """Line and column of the value at `path`, or of its nearest ancestor that exists."""
        path = tuple(path)
        while path not in self.positions:
            if not path:
                return (None, None)
            path = path[:-1]
        return self.positions[path]

    def where_key(self, path: Path) -> tuple[int | None, int | None]:
        """Line and column of the key at `path` (a list item: the item), else of the nearest ancestor."""
        path = tuple(path)
        if path in self.key_positions:
            return self.key_positions[path]
        return self.where(path)


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
    from yaml._yaml import CParser

    class _Events(CParser, Resolver):  # type: ignore[misc]
        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            Resolver.__init__(self)

except ImportError:  # pragma: no cover - PyYAML without libyaml

    class _Events(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser, Resolver):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)
            Resolver.__init__(self)


def _line_col(text: str, offset: int) -> Position:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def parse_yaml(text: str, file: str) -> YamlDoc:
    """Parse one YAML document into plain values; raise YamlProblem for anything refused."""
    events = _Events(text)
    try:
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
        events.dispose()


def _pos(mark: yaml.Mark) -> Position:
    return (mark.line + 1, mark.column + 1)


def _check_tag(tag: str | None, mark: yaml.Mark) -> None:
    if tag is not None and tag != "!" and tag not in _PLAIN_TAGS:
        raise _Refused("yaml-tag", f"tag {tag!r} is not allowed", mark)


def _scalar(events: _Events, event: yaml.ScalarEvent) -> tuple[str, Any]:
    """The resolved tag and the plain value of a scalar event."""
    tag = event.tag
    if tag is None or tag == "!":
        tag = events.resolve(yaml.ScalarNode, event.value, event.implicit)
    else:
        _check_tag(tag, event.start_mark)
    if tag == "tag:yaml.org,2002:str":
        return tag, event.value
    if tag in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:merge"):
        return tag, event.value  # dates stay text; the model parses what it needs
    node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
    # The scalar constructors directly: construct_object() would cache every node.
    return tag, SafeConstructor.yaml_constructors[tag](_SCALARS, node)


class _Frame:
    """An open mapping or sequence while events are read."""

    __slots__ = ("container", "path", "key")

    def __init__(self, container: dict[str, Any] | list[Any], path: Path) -> None:
        self.container, self.path, self.key = container, path, None


def _build(events: _Events, file: str) -> YamlDoc:
    """Plain values from the event stream, iteratively (no recursion, nesting bounded by MAX_DEPTH).

    Events are refused before anything is expanded: aliases, tags, merge keys, duplicate keys.
    """
    doc = YamlDoc(file=file, data={})
    doc.positions[()] = (1, 1)
    stack: list[_Frame] = []
    documents = 0
    while True:
        event = events.get_event()
        if event is None or isinstance(event, yaml.StreamEndEvent):
            return doc
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise _Refused(
                    "yaml-syntax", "expected a single document, but found another document", event.start_mark
                )
            continue
        if isinstance(event, yaml.StreamStartEvent | yaml.DocumentEndEvent):
            continue
        if isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            stack.pop()
            continue
        if isinstance(event, yaml.AliasEvent):
            raise _Refused("yaml-alias", "YAML aliases are not allowed", event.start_mark)

        frame = stack[-1] if stack else None
        if frame is not None and isinstance(frame.container, dict) and frame.key is None:
            # A mapping key: a plain scalar, once per mapping.
            if not isinstance(event, yaml.ScalarEvent):
                raise _Refused("yaml-syntax", "mapping keys must be plain strings", event.start_mark)
            tag, _ = _scalar(events, event)
            if tag == "tag:yaml.org,2002:merge":
                raise _Refused("yaml-alias", "merge keys ('<<') are not allowed", event.start_mark)
            key = str(event.value)
            if key in frame.container:
                raise _Refused("yaml-duplicate-key", f"key {key!r} appears twice", event.start_mark)
            frame.key = key
            doc.key_positions[(*frame.path, key)] = _pos(event.start_mark)
            continue

        # A value: at the root, under the pending key, or the next item of a sequence.
        if frame is None:
            path: Path = ()
        elif isinstance(frame.container, dict):
            path = (*frame.path, frame.key)  # type: ignore[arg-type]
        else:
            path = (*frame.path, len(frame.container))
        doc.positions[path] = _pos(event.start_mark)
        if isinstance(event, yaml.ScalarEvent):
            _, value = _scalar(events, event)
        else:
            _check_tag(event.tag, event.start_mark)
            if len(stack) >= MAX_DEPTH:
                raise _Refused("yaml-syntax", f"nesting deeper than {MAX_DEPTH} levels", event.start_mark)
            value = {} if isinstance(event, yaml.MappingStartEvent) else []
        if frame is None:
            doc.data = value
        elif isinstance(frame.container, dict):
            frame.container[frame.key] = value  # type: ignore[index]
            frame.key = None
        else:
            frame.container.append(value)
        if not isinstance(event, yaml.ScalarEvent):
            stack.append(_Frame(value, path))
