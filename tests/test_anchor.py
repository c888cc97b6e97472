"""Quote anchoring, line/column arithmetic, sentence splitting and the hints for quotes not found."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datapkg.anchor import AnchorFailure, Text

PROPERTY = settings(
    max_examples=100, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)

ESSAY = "Le café est fermé.\nIl a dit “non” — puis il est parti.\nIt isn't over.\n"
# Text drawn from a small alphabet makes repeats, line breaks and look-alikes likely.
texts = st.text(alphabet="ab \n.’'é—-", max_size=200)


def failure(text: Text, quote: str, **kw: int) -> AnchorFailure:
    with pytest.raises(AnchorFailure) as info:
        text.locate(quote, **kw)
    return info.value


# ---------------------------------------------------------------- locate


def test_locate_unique_quote() -> None:
    t = Text(ESSAY)
    start, end = t.locate("il est parti")
    assert ESSAY[start:end] == "il est parti"
    assert t.line_col(start) == (2, 23)


def test_offsets_are_code_points() -> None:
    t = Text("𝕏𝕏 é\nabc")
    assert t.locate("abc") == (5, 8)  # 𝕏 is one code point (two UTF-16 units, four UTF-8 bytes)


def test_occurrence_picks_one() -> None:
    t = Text(ESSAY)
    assert t.locate("est", occurrence=1) == (8, 11)
    assert t.locate("est", occurrence=2)[0] == ESSAY.index("est", 11)


def test_start_picks_one() -> None:
    t = Text(ESSAY)
    second = ESSAY.index("est", 11)
    assert t.locate("est", start=second) == (second, second + 3)


def test_ambiguous_lists_the_places() -> None:
    f = failure(Text(ESSAY), "est")
    assert f.code == "quote-ambiguous"
    assert "2 times" in f.message and "line 1" in f.message and "line 2" in f.message
    assert "occurrence" in (f.hint or "")


def test_occurrence_out_of_range() -> None:
    f = failure(Text(ESSAY), "est", occurrence=3)
    assert f.code == "occurrence-out-of-range" and "1 to 2" in (f.hint or "")


@pytest.mark.parametrize("start", [-1, len(ESSAY), len(ESSAY) - 2, 10**12])
def test_offset_out_of_range(start: int) -> None:
    assert failure(Text(ESSAY), "est", start=start).code == "offset-out-of-range"


def test_quote_not_at_offset_says_where_it_is() -> None:
    f = failure(Text(ESSAY), "parti", start=0)
    assert f.code == "quote-not-at-offset"
    assert f"start {ESSAY.index('parti')}" in (f.hint or "")


def test_occurrence_and_start_exclude_each_other() -> None:
    assert failure(Text(ESSAY), "est", occurrence=1, start=8).code == "invalid-value"


@pytest.mark.parametrize("quote", ["", "  ", "\n\t"])
def test_empty_quote(quote: str) -> None:
    assert failure(Text(ESSAY), quote).code == "quote-empty"


# ---------------------------------------------------------------- hints


@pytest.mark.parametrize(
    ("quote", "says"),
    [
        (unicodedata.normalize("NFD", "café est fermé"), "NFC vs NFD"),
        ('Il a dit "non"', "curly vs straight"),
        ("It isn’t over", "curly vs straight"),
        ("“non” - puis", "dashes"),
        ("Il a  dit", "whitespace"),
        ("fermé. Il a dit", "whitespace"),  # a line break in the text, a space in the quote
        ("il a dit", "upper/lower case"),
        ('Il a dit "non" - puis', "look-alike"),
    ],
)
def test_lookalike_hints(quote: str, says: str) -> None:
    f = failure(Text(ESSAY), quote)
    assert f.code == "quote-not-found"
    assert says in (f.hint or "")


def test_closest_match_names_line_and_difference() -> None:
    f = failure(Text(ESSAY), "Il a dit “nan” — puis")
    hint = f.hint or ""
    assert "closest match at line 2, column 1" in hint
    assert "'o' (U+006F LATIN SMALL LETTER O)" in hint and "'a' (U+0061" in hint


def test_no_closest_match_for_unrelated_words() -> None:
    f = failure(Text(ESSAY), "xyzzy quux frobnicate")
    assert "closest" not in (f.hint or "")


def test_fuzzy_search_is_bounded_on_huge_texts() -> None:
    """Many bad quotes in a megabyte text: the closest-match search stops after its budget (no O(n·m) per quote)."""
    t = Text("lorem ipsum dolor sit amet\n" * 40_000)
    hints = [failure(t, f"The quick brown fox number {i} jumps").hint or "" for i in range(8)]
    assert any("skipped" in h for h in hints)
    assert t._fuzzy_budget <= 0


# ---------------------------------------------------------------- properties


@PROPERTY
@given(text=texts, data=st.data())
def test_unique_substring_anchors_back_to_itself(text: str, data: st.DataObject) -> None:
    t = Text(text)
    if not text.strip():
        return
    begin = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(begin + 1, len(text)))
    quote = text[begin:end]
    hits = t.find_all(quote)
    assert begin in hits
    if not quote.strip():
        assert failure(t, quote).code == "quote-empty"
    elif len(hits) == 1:
        assert t.locate(quote) == (begin, end)
    else:
        assert failure(t, quote).code == "quote-ambiguous"
        k = hits.index(begin) + 1
        assert t.locate(quote, occurrence=k) == (begin, end)
        assert t.locate(quote, start=begin) == (begin, end)


@PROPERTY
@given(text=texts, data=st.data())
def test_missing_quote_fails_with_a_hint(text: str, data: st.DataObject) -> None:
    quote = data.draw(st.text(alphabet="abcé’'\n -", min_size=1, max_size=30))
    t = Text(text)
    if quote.strip() and quote not in text:
        f = failure(t, quote)
        assert f.code == "quote-not-found" and f.hint


@PROPERTY
@given(text=texts, data=st.data())
def test_line_col_is_consistent(text: str, data: st.DataObject) -> None:
    t = Text(text)
    offset = data.draw(st.integers(0, len(text)))
    line, col = t.line_col(offset)
    assert line == text.count("\n", 0, offset) + 1
    assert col == offset - (text.rfind("\n", 0, offset) + 1) + 1
    lines = text.split("\n")
    assert sum(len(x) + 1 for x in lines[: line - 1]) + col - 1 == offset


@PROPERTY
@given(text=st.text(alphabet="Ab .!?\n”’\"')(“9U.S", max_size=300))
def test_sentences_partition_the_text(text: str) -> None:
    spans = Text(text).sentences
    for (s1, e1), (s2, _) in zip(spans, spans[1:], strict=False):
        assert e1 <= s2  # sorted and disjoint
        assert "\n" not in text[s1:e1]
    covered = set()
    for s, e in spans:
        assert 0 <= s < e <= len(text)
        assert not text[s].isspace() and not text[e - 1].isspace()
        covered.update(range(s, e))
    solid = {i for i, ch in enumerate(text) if not ch.isspace()}
    assert solid <= covered  # every non-whitespace character is in exactly one sentence


def test_sentences_split_at_final_punctuation_and_keep_closing_quotes() -> None:
    text = 'He said "go." Then he left! Did he? Mr. Smith met U.S. officials. Done.\nNext line'
    got = [text[s:e] for s, e in Text(text).sentences]
    assert got == [
        'He said "go."',
        "Then he left!",
        "Did he?",
        "Mr. Smith met U.S. officials.",
        "Done.",
        "Next line",
    ]
