"""A safe YAML reader that remembers where every value came from.

PyYAML's composer gives node positions; we build plain Python values from the
nodes ourselves so that duplicate keys, aliases and tags are refused (no object
construction, no alias bombs) and every path maps to a 1-based line and column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from .errors import Problem

Path = tuple[str | int, ...]

_SCALARS = yaml.constructor.SafeConstructor()
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
    positions: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: Path) -> tuple[int | None, int | None]:
        """Line and column of `path`, or of its nearest ancestor that has one."""
        path = tuple(path)
        while True:
            if path in self.positions:
                return self.positions[path]
            if not path:
                return (None, None)
            path = path[:-1]


class _Fail(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem


class _NoAliasComposer(yaml.SafeLoader):
    """Refuses aliases at compose time, before any expansion can happen."""

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, "YAML aliases are not allowed", event.start_mark)
        return super().compose_node(parent, index)


def parse_yaml(text: str, file: str) -> YamlDoc:
    """Parse `text`; raise DataError-ready problems via ValueError-free path.

    Returns a YamlDoc or raises `YamlProblem` carrying one Problem.
    """
    try:
        node = yaml.compose(text, Loader=_NoAliasComposer)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        problem = exc.problem or "invalid YAML"
        code = "yaml-alias" if "aliases are not allowed" in problem else "yaml-syntax"
        raise YamlProblem(Problem.make(code, problem, file=file, line=line, column=col)) from None
    except yaml.YAMLError as exc:  # e.g. ReaderError for control characters
        raise YamlProblem(Problem.make("yaml-syntax", str(exc).splitlines()[0], file=file)) from None
    doc = YamlDoc(file=file, data=None)
    if node is None:
        doc.data = {}
        return doc
    try:
        doc.data = _build(node, (), doc)
    except _Fail as fail:
        raise YamlProblem(fail.problem) from None
    return doc


class YamlProblem(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.format())
        self.problem = problem


def _pos(node: yaml.Node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


def _build(node: yaml.Node, path: Path, doc: YamlDoc) -> Any:
    doc.positions[path] = _pos(node)
    if node.tag not in _PLAIN_TAGS:
        line, col = _pos(node)
        raise _Fail(Problem.make("yaml-tag", f"tag {node.tag!r} is not allowed", file=doc.file, line=line, column=col))
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                line, col = _pos(key_node)
                raise _Fail(
                    Problem.make(
                        "yaml-syntax", "mapping keys must be plain strings", file=doc.file, line=line, column=col
                    )
                )
            key = str(key_node.value)
            if key == "<<":
                line, col = _pos(key_node)
                raise _Fail(
                    Problem.make(
                        "yaml-alias", "merge keys ('<<') are not allowed", file=doc.file, line=line, column=col
                    )
                )
            if key in out:
                line, col = _pos(key_node)
                raise _Fail(
                    Problem.make(
                        "yaml-duplicate-key", f"key {key!r} appears twice", file=doc.file, line=line, column=col
                    )
                )
            doc.positions[(*path, key)] = _pos(key_node)
            out[key] = _build(value_node, (*path, key), doc)
            # Point value errors at the value, key errors at the key: keep the key's position.
            doc.positions[(*path, key)] = _pos(key_node)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), doc) for i, item in enumerate(node.value)]
    if node.tag == "tag:yaml.org,2002:timestamp":
        return str(node.value)  # dates stay text; the model parses what it needs
    return _SCALARS.construct_object(node, deep=True)
