"""Automatic actor mentions (names and aliases as whole words, leftmost-longest) and mention rules."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datapkg.anchor import AnchorFailure, Text
from datapkg.mentions import find_alias_hits, locate_mention, surface_pattern
from datapkg.model import MentionSpec


def spans(text: str, surfaces: dict[str, str]) -> list[tuple[str, str]]:
    return [(h.actor_id, text[h.start : h.end]) for h in find_alias_hits(Text(text), surfaces)]


def test_whole_words_only() -> None:
    text = "US-Pakistan ties; USA and the US’s allies; Pakistani officials; Pakistan."
    assert spans(text, {"US": "us", "Pakistan": "pk"}) == [
        ("us", "US"),
        ("pk", "Pakistan"),
        ("us", "US"),
        ("pk", "Pakistan"),
    ]


def test_longest_surface_wins() -> None:
    text = "The Pakistan Taliban and Pakistan."
    got = spans(text, {"Pakistan": "pk", "Pakistan Taliban": "ttp", "Taliban": "tb"})
    assert got == [("ttp", "Pakistan Taliban"), ("pk", "Pakistan")]


def test_surfaces_starting_with_punctuation() -> None:
    text = "the (US) view and “Troika” talks"
    assert spans(text, {"(US)": "us", "“Troika”": "troika"}) == [("us", "(US)"), ("troika", "“Troika”")]


def test_case_sensitive() -> None:
    assert spans("us and US", {"US": "us"}) == [("us", "US")]


WORDS = ["US", "U.S.", "Pakistan", "Pakistan Taliban", "Taliban", "the group", "(US)", "a", "ab"]


@settings(max_examples=100, deadline=None, derandomize=True, database=None)
@given(
    text=st.lists(st.sampled_from([*WORDS, " ", "-", "’s", "x", ".", "\n"]), max_size=40).map("".join),
    chosen=st.lists(st.sampled_from(WORDS), min_size=1, max_size=6, unique=True),
)
def test_same_hits_as_the_reference_regex(text: str, chosen: list[str]) -> None:
    """The word-indexed search gives exactly what a longest-first regex alternation gives."""
    surfaces = {s: f"actor-{i}" for i, s in enumerate(chosen)}
    expected = [(m.start(), m.end()) for m in surface_pattern(chosen).finditer(text)]
    got = [(h.start, h.end) for h in find_alias_hits(Text(text), surfaces)]
    assert got == expected


def test_locate_mention_within() -> None:
    text = Text("the group met. Then the group left the group.")
    spec = MentionSpec(text="the group", within="Then the group left")
    begin, end = locate_mention(text, spec)
    assert (begin, end) == (20, 29)


def test_locate_mention_within_errors() -> None:
    text = Text("the group met. Then the group left the group.")
    with pytest.raises(AnchorFailure) as info:
        locate_mention(text, MentionSpec(text="the gang", within="Then the group left"))
    assert info.value.code == "mention-not-found"
    with pytest.raises(AnchorFailure) as info:
        locate_mention(text, MentionSpec(text="the group", within="the group left the group"))
    assert info.value.code == "quote-ambiguous"
    with pytest.raises(AnchorFailure) as info:
        locate_mention(text, MentionSpec(text="the group"))
    assert info.value.code == "quote-ambiguous"
    assert locate_mention(text, MentionSpec(text="the group", occurrence=3)) == (35, 44)


def test_many_aliases_on_a_big_text_scale_with_words_not_aliases() -> None:
    """1 MB of text and 2,000 aliases: one pass over the words (the regex alternation needs seconds)."""
    text = Text(("Pakistan and the United States met in Doha with Actor 17 and Actor 1999. " * 14_000)[:1_000_000])
    surfaces = {f"Actor {i}": f"actor-{i}" for i in range(2000)} | {"Pakistan": "pk", "United States": "us"}
    hits = find_alias_hits(text, surfaces)
    v = text.value
    assert len(hits) == v.count("Pakistan") + v.count("United States") + v.count("Actor 17 ") + v.count("Actor 1999.")
    assert {h.actor_id for h in hits} == {"pk", "us", "actor-17", "actor-1999"}
