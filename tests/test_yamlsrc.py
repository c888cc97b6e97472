"""The positional safe YAML reader: values, positions of keys and values, and everything it refuses."""

from __future__ import annotations

import pytest

from datapkg.yamlsrc import MAX_DEPTH, YamlProblem, parse_yaml


def refused(text: str) -> tuple[str, int | None, int | None]:
    with pytest.raises(YamlProblem) as info:
        parse_yaml(text, "f.yaml")
    p = info.value.problem
    assert p.file == "f.yaml" and p.hint
    return p.code, p.line, p.column


def test_plain_values_and_positions() -> None:
    doc = parse_yaml("a: 1\nb: [x, 'y']\nc:\n  d: 2021-08-01\n  e: null\n  f: true\n  g: 1.5\n", "f.yaml")
    assert doc.data == {"a": 1, "b": ["x", "y"], "c": {"d": "2021-08-01", "e": None, "f": True, "g": 1.5}}
    assert doc.where(("a",)) == (1, 4)  # the value
    assert doc.where_key(("a",)) == (1, 1)  # the key
    assert doc.where(("b", 1)) == (2, 8)
    assert doc.where_key(("b", 1)) == (2, 8)  # list items have no key: the item
    assert doc.where(("c",)) == (4, 3)  # a block mapping starts at its first key
    assert doc.where_key(("c", "d")) == (4, 3)
    assert doc.where(("c", "d")) == (4, 6)


def test_where_falls_back_to_the_nearest_ancestor() -> None:
    doc = parse_yaml("a:\n  b: 1\n", "f.yaml")
    assert doc.where(("a", "missing", 3)) == doc.where(("a",)) == (2, 3)
    assert doc.where(("nothing",)) == (1, 1)


def test_dates_stay_text() -> None:
    assert parse_yaml("created: 2026-11-29\nt: 2021-08-01 10:00:00\n", "f").data == {
        "created": "2026-11-29",
        "t": "2021-08-01 10:00:00",
    }


def test_empty_file_is_an_empty_mapping() -> None:
    doc = parse_yaml("# only a comment\n", "f.yaml")
    assert doc.data == {} and doc.where(()) == (1, 1)


def test_positions_count_code_points() -> None:
    doc = parse_yaml("é𝕏: ü\nb: [𝕏, 1]\n", "f.yaml")
    assert doc.where(("é𝕏",)) == (1, 5)
    assert doc.where(("b", 1)) == (2, 8)


def test_duplicate_key() -> None:
    assert refused("a: 1\nb:\n  c: 1\n  c: 2\n") == ("yaml-duplicate-key", 4, 3)


def test_alias_refused_before_expansion() -> None:
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    bomb += "".join(f"{k}: &{k} [{', '.join(['*' + p] * 9)}]\n" for p, k in zip("abcdefgh", "bcdefghi", strict=True))
    assert refused(bomb) == ("yaml-alias", 2, 8)


def test_merge_key_refused() -> None:
    assert refused("a:\n  <<: {b: 1}\n") == ("yaml-alias", 2, 3)
    assert parse_yaml("'<<': 1\n", "f").data == {"<<": 1}  # a quoted '<<' is just a key


@pytest.mark.parametrize(
    "text",
    [
        "a: !!python/object/apply:os.system ['echo pwned']\n",
        "a: !!python/name:os.system\n",
        "!!python/object:collections.OrderedDict {}\n",
        "a: !!binary aGVsbG8=\n",
        "a: !!set {x}\n",
        "a: !include other.yaml\n",
        "!!python/str k: v\n",
    ],
)
def test_tags_refused(text: str) -> None:
    assert refused(text)[0] == "yaml-tag"


def test_nesting_is_bounded() -> None:
    deep = "a: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n"
    code, line, _ = refused(deep)
    assert (code, line) == ("yaml-syntax", 1)
    ok = "a: " + "[" * (MAX_DEPTH - 2) + "]" * (MAX_DEPTH - 2) + "\n"
    assert parse_yaml(ok, "f").data["a"] is not None


def test_very_deep_nesting_does_not_overflow() -> None:
    code, _, _ = refused("[" * 100_000)
    assert code == "yaml-syntax"


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("a: [1,\n", (2, 1)),
        ("a: 'unterminated\n", None),
        ("a: 1\n b: 2\n", (2, 3)),
        ("a: 1\n---\nb: 2\n", (2, 1)),
        ("a:\n\t- b\n", (2, 1)),
        ("? [a, b]\n: c\n", (1, 3)),
        ("a: b\x00c\n", (1, 5)),
        ("é: x\x07\n", (1, 5)),
    ],
)
def test_syntax_errors_have_positions(text: str, where: tuple[int, int] | None) -> None:
    code, line, col = refused(text)
    assert code == "yaml-syntax"
    assert line is not None and col is not None and line >= 1 and col >= 1
    if where:
        assert (line, col) == where


def test_keys_are_strings() -> None:
    assert parse_yaml("1: a\nnull: b\ntrue: c\n", "f").data == {"1": "a", "null": "b", "true": "c"}
