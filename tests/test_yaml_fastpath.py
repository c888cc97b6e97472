"""The YAML fast path: for every text it accepts, exactly the values and positions of the event reader.

`yamlsrc._fast_parse` reads the block subset most annotation files use and gives up (None) on
anything else; then the event reader (`parse_yaml(..., fast=False)`) reads the file. These tests
compare the two on generated documents (the benchmark corpus, grammar-built documents with awkward
scalars, and mutations of both), check that the corpus really takes the fast path, and that texts
outside the subset fall back.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datapkg.yamlsrc import YamlProblem, _fast_parse, parse_yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import make_corpus  # noqa: E402

DIFF = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def typed(value: Any) -> Any:
    """Values with their types, so that 1 == 1.0 == True do not pass for each other."""
    if isinstance(value, dict):
        return ("dict", [(k, typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [typed(v) for v in value])
    return (type(value).__name__, repr(value))


def read(text: str, fast: bool) -> tuple[tuple, Any]:
    """(what parse_yaml gives, typed and with every position, or the problem; the YamlDoc or None)."""
    try:
        doc = parse_yaml(text, "f.yaml", fast=fast)
    except YamlProblem as exc:
        return ("problem", exc.problem.to_dict()), None
    return ("ok", typed(doc.data), doc.positions, doc.key_positions), doc


def assert_same(text: str) -> bool:
    """Fast path and event reader agree on `text`; True when the fast path took it."""
    (got, doc), (expected, event_doc) = read(text, True), read(text, False)
    assert got == expected, text
    if doc is not None:
        paths = list(doc.positions) + [(*p, "missing") for p in doc.positions] + [("nothing", 0)]
        for path in paths:
            assert doc.where(path) == event_doc.where(path), (text, path)
            assert doc.where_key(path) == event_doc.where_key(path), (text, path)
    return _fast_parse(text) is not None


def test_benchmark_corpus_takes_the_fast_path(tmp_path: Path) -> None:
    make_corpus.make_corpus(tmp_path / "c", docs=12, seed=3)
    texts = [p.read_text(encoding="utf-8") for p in sorted((tmp_path / "c").glob("*/annotations.yaml"))]
    assert len(texts) == 12
    assert all(assert_same(t) for t in texts)  # all fast, all identical


def test_seed_annotations_read_the_same() -> None:
    for path in sorted((ROOT / "seeds").rglob("*.yaml")):
        assert_same(path.read_text(encoding="utf-8"))


# ---------------------------------------------------------------- generated documents

SCALAR_PARTS = list("0123456789.-+:_ #eExXoObB'\"\\/[],{}!&*|>%@`?~=<yYnNtTfFaslu") + [
    "é",
    "𝕏",
    "’",
    "\\u00e9",
    "\\n",
    "\\x41",
    "\\ud800",
    "''",
    ".inf",
    "nan",
    "true",
    "null",
    "0x",
    "0o",
    "1:2",
    "2001-12-14",
    "Yes",
    "<<",
]


@st.composite
def scalars(draw: st.DrawFn) -> str:
    raw = "".join(draw(st.lists(st.sampled_from(SCALAR_PARTS), min_size=1, max_size=6)))
    style = draw(st.sampled_from(["plain", "plain", "plain", "json", "single", "double-raw"]))
    if style == "json":
        return json.dumps(raw, ensure_ascii=draw(st.booleans()))
    if style == "single":
        return "'" + raw.replace("'", "''") + "'"
    if style == "double-raw":
        return '"' + raw + '"'
    return raw


@st.composite
def values(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 4)) == 0:
        return "[" + ", ".join(draw(st.lists(scalars(), max_size=3))) + "]"
    return draw(scalars())


SPACES = st.sampled_from(["", "", "", " ", "  "])  # trailing spaces after a line
KEYS = st.sampled_from(["a", "id", "quote", "y", "null", "on", "part_of", "k_2", "B"])


@st.composite
def documents(draw: st.DrawFn) -> str:
    lines = []
    for i in range(draw(st.integers(1, 4))):
        key = f"{draw(KEYS)}{i}"
        shape = draw(st.sampled_from(["value", "list", "records"]))
        if shape == "value":
            lines.append(f"{key}: {draw(values())}{draw(SPACES)}")
        elif shape == "list":
            lines.append(f"{key}:{draw(SPACES)}")
            lines += [f"  - {draw(values())}{draw(SPACES)}" for _ in range(draw(st.integers(1, 3)))]
        else:
            lines.append(f"{key}:")
            for _ in range(draw(st.integers(1, 3))):
                lines.append(f"  - id: {draw(values())}{draw(SPACES)}")
                lines += [f"    f{m}: {draw(values())}{draw(SPACES)}" for m in range(draw(st.integers(0, 2)))]
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\n\n", "\n# end\n"]))


EDITS = list(":-'\"#{}[]&*!|>%,? \t\\") + [
    "- ",
    ": ",
    " #",
    "  ",
    "\n",
    "\n  ",
    "---\n",
    "é",
    "\u2028",
    "\x85",
    "\ufeff",
]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(documents())
    for _ in range(draw(st.integers(1, 3))):
        pos = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 2))
        text = text[:pos] + draw(st.sampled_from(EDITS)) + text[pos + cut :]
    return text


@DIFF
@given(documents())
def test_generated_documents_read_the_same(text: str) -> None:
    assert_same(text)


@DIFF
@given(mutated())
def test_mutated_documents_read_the_same(text: str) -> None:
    assert_same(text)


def test_generated_documents_mostly_take_the_fast_path() -> None:
    """The differential tests above are not vacuous: most generated documents are in the subset."""
    taken = []

    @settings(DIFF, max_examples=200)
    @given(documents())
    def run(text: str) -> None:
        taken.append(_fast_parse(text) is not None)

    run()
    assert sum(taken) > len(taken) // 4


@pytest.mark.parametrize(
    "text",
    [
        "a: b  \nc: [x, y]\n",  # trailing spaces after a plain scalar
        "a:   spaced value\n",
        "a: 1\nb: 0x1F\nc: 1_000\nd: +0\ne: +12\nf: 1.5\ng: .inf\nh: 1:30\n",  # YAML 1.1 numbers
        "a: yes\nb: No\nc: on\nd: ~\ne: null\nf: 2021-08-01\ng: <<\n",  # booleans, null, dates
        "y: 1\nnull: 2\non: 3\n",  # keys that would resolve to other types
        "a: \"tab\\there, \\\"quoted\\\" \\u00e9 \\/\"\nb: 'it''s'\nc: \"\"\nd: ''\n",  # JSON escapes, quotes
        "a: []\nb: [x]\nc: ['y', \"z\", w]\n",  # flow sequences
        "# header\n\na:\n  # inside\n  - id: x\n\n    b: [1, 2]\n  - y\nc:\n  d:\n    e: f\n",  # comments, blanks
        "a: http://example.org/x?y=1&z\nb: x:y\nc: a#b\n",  # ':' and '#' inside plain scalars
        "a: é𝕏 ’x’ — y\nb: [𝕏, 1]\n",  # code points, not bytes
        "a: no trailing newline",
    ],
)
def test_inside_the_subset_takes_the_fast_path(text: str) -> None:
    assert assert_same(text)


# ---------------------------------------------------------------- outside the subset: the event reader


@pytest.mark.parametrize(
    "text",
    [
        "a:\tb\n",  # tab
        "a: |\n  block\n",  # block scalar
        "a: >-\n  folded\n  text\n",
        "a: &x 1\nb: *x\n",  # anchor, alias
        "a: !!str 1\n",  # tag
        "a: 1\na: 2\n",  # duplicate key
        "a:\nb: 1\n",  # null value
        "a: b # comment\n",  # comment after a value
        "a: {b: 1}\n",  # flow mapping
        "a: plain\n  continued\n",  # multi-line plain scalar
        'a: "\\x41"\n',  # an escape JSON does not have
        'a: "\\ud83d\\ude00"\n',  # escaped surrogates
        "a: [[1]]\n",  # nested flow
        "a:\n- x\n",  # sequence at the key's indentation
        "- a\n",  # a sequence at the root
        "a: 1\n---\nb: 2\n",  # two documents
        "<<: {a: 1}\n",  # merge key
        "a: b: c\n",  # mapping values not allowed here
        "a: -1\n",  # a plain scalar starting with an indicator
        "\ufeffa: 1\n",  # byte order mark
        "a: x\u2028y\n",  # a line break YAML knows and str.split('\\n') does not
        "",
    ],
)
def test_outside_the_subset_falls_back(text: str) -> None:
    assert _fast_parse(text) is None
    assert not assert_same(text)


# ---------------------------------------------------------------- former crashes


@pytest.mark.parametrize(
    ("text", "value"),
    [("a: =\n", "="), ("=: 1\n", None), ("a: 0x_\n", "0x_"), ("a: 0b_\n", "0b_")],
)
def test_texts_no_constructor_accepts_stay_text(text: str, value: str | None) -> None:
    """PyYAML's YAML 1.1 patterns take '=' and '0x_' for a value and a number, then fail to build them."""
    for fast in (True, False):
        data = parse_yaml(text, "f.yaml", fast=fast).data
        assert data == ({"a": value} if value is not None else {"=": 1})


@pytest.mark.parametrize(
    "text", ["a: !!int may\n", "a: !!float x\n", "a: !!bool maybe\n", "a: !!int ''\n", "a: !!seq 5\n", "!!int x: 1\n"]
)
def test_explicit_tags_with_invalid_values_are_problems(text: str) -> None:
    with pytest.raises(YamlProblem) as info:
        parse_yaml(text, "f.yaml")
    assert info.value.problem.code == "yaml-tag" and info.value.problem.line == 1
