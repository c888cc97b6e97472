"""Actor mentions: found from names and aliases, corrected by explicit rules."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .anchor import AnchorFailure, Text
from .model import MentionSpec


@dataclass(frozen=True)
class Hit:
    actor_id: str
    start: int
    end: int
    method: str  # "alias" | "added"


def surface_pattern(surfaces: list[str]) -> re.Pattern[str]:
    """Whole-word alternation, longest first, so 'Pakistan Taliban' beats 'Pakistan'."""
    ordered = sorted(set(surfaces), key=lambda s: (-len(s), s))
    body = "|".join(re.escape(s) for s in ordered)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)")


def find_alias_hits(text: Text, surface_to_actor: dict[str, str]) -> list[Hit]:
    if not surface_to_actor:
        return []
    pattern = surface_pattern(list(surface_to_actor))
    return [Hit(surface_to_actor[m.group(0)], m.start(), m.end(), "alias") for m in pattern.finditer(text.value)]


def locate_mention(text: Text, spec: MentionSpec) -> tuple[int, int]:
    """Span of the mention a rule designates; raises AnchorFailure."""
    if spec.within is None:
        return text.locate(spec.text, occurrence=spec.occurrence)
    begin, end = text.locate(spec.within, occurrence=spec.occurrence)
    inner = Text(text.value[begin:end])
    hits = inner.find_all(spec.text)
    if not hits:
        raise AnchorFailure("mention-not-found", f"{spec.text!r} does not occur inside {spec.within!r}")
    if len(hits) > 1:
        raise AnchorFailure(
            "quote-ambiguous",
            f"{spec.text!r} occurs {len(hits)} times inside {spec.within!r}",
            "lengthen or shorten `within` so the mention occurs once in it",
        )
    return begin + hits[0], begin + hits[0] + len(spec.text)
