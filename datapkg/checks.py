"""Cross-record checks within a document, and coverage figures."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import Problem
from .model import AnnotationFile, DocumentRecords, RecommendationSpec

if TYPE_CHECKING:
    from .seeds import Seeds, _Builder

ACTOR_LISTS = ("about",)
RECOMMENDATION_ACTOR_LISTS = ("addressees", "targets", "beneficiaries")


def check_document(b: _Builder, spec: AnnotationFile, seeds: Seeds) -> None:
    """Unique ids, resolvable references, sane relations, verified Wikidata ids."""
    actor_ids = _check_actors(b, spec, seeds)
    unit_ids = _check_units(b, spec, actor_ids)
    _check_relations(b, spec, unit_ids)


def _once(b: _Builder, items: list[str], path: tuple, subject: str, what: str) -> None:
    """A list of ids names each id once (duplicates would repeat rows and triples)."""
    seen: set[str] = set()
    for j, item in enumerate(items):
        if item in seen:
            b.problem("invalid-value", f"{what} {item!r} is listed twice", (*path, j), subject)
        seen.add(item)


def _check_actors(b: _Builder, spec: AnnotationFile, seeds: Seeds) -> set[str]:
    actor_ids: set[str] = set()
    for i, a in enumerate(spec.actors):
        if a.id in actor_ids:
            b.problem("duplicate-id", f"actor id {a.id!r} is defined twice", ("actors", i, "id"), f"actor {a.id}")
        actor_ids.add(a.id)

    seen_qids: dict[str, str] = {}
    for i, a in enumerate(spec.actors):
        subject = f"actor {a.id}"
        for field in ("part_of", "member_of"):
            refs = getattr(a, field)
            if _fine(refs, actor_ids) and a.id not in refs:
                continue  # the usual case, checked at C speed; the loop below says what is wrong
            _once(b, refs, ("actors", i, field), subject, "actor")
            for j, ref in enumerate(refs):
                _need_actor(b, actor_ids, ref, ("actors", i, field, j), subject)
                if ref == a.id:
                    b.problem("self-relation", f"{field} names the actor itself", ("actors", i, field, j), subject)
        if a.wikidata:
            other = seen_qids.setdefault(a.wikidata, a.id)
            if other != a.id:
                b.problem(
                    "wikidata-duplicate",
                    f"{a.wikidata} is also the Wikidata id of actor {other!r}",
                    ("actors", i, "wikidata"),
                    subject,
                )
            verified = seeds.verified_wikidata
            if verified is not None and a.wikidata not in verified:
                b.problem(
                    "wikidata-unverified",
                    f"{a.wikidata} is not in {seeds.dataset.wikidata_verified}",
                    ("actors", i, "wikidata"),
                    subject,
                )
    return actor_ids


def _fine(refs: list[str], actor_ids: set[str]) -> bool:
    """Does a list of actor ids name known actors, each once?"""
    return actor_ids.issuperset(refs) and len(set(refs)) == len(refs)


def _need_actor(b: _Builder, actor_ids: set[str], ref: str, path: tuple, subject: str) -> None:
    if ref not in actor_ids:
        b.problem(
            "dangling-reference",
            f"unknown actor {ref!r}",
            path,
            subject,
            "define the actor under actors: in this document",
        )


def _check_units(b: _Builder, spec: AnnotationFile, actor_ids: set[str]) -> set[str]:
    unit_ids: set[str] = set()
    sections = [("claims", spec.claims), ("recommendations", spec.recommendations)]
    for section, units in sections:
        for i, u in enumerate(units):
            if u.id in unit_ids:
                b.problem("duplicate-id", f"unit id {u.id!r} is used twice", (section, i, "id"), f"unit {u.id}")
            unit_ids.add(u.id)

    for section, units in sections:
        for i, u in enumerate(units):
            is_rec = isinstance(u, RecommendationSpec)
            for field in ACTOR_LISTS + (RECOMMENDATION_ACTOR_LISTS if is_rec else ()):
                refs = getattr(u, field)
                if _fine(refs, actor_ids):
                    continue  # the usual case, checked at C speed; the loop below says what is wrong
                subject = f"{'recommendation' if is_rec else 'claim'} {u.id}"
                _once(b, refs, (section, i, field), subject, "actor")
                for j, ref in enumerate(refs):
                    _need_actor(b, actor_ids, ref, (section, i, field, j), subject)
    return unit_ids


def _check_relations(b: _Builder, spec: AnnotationFile, unit_ids: set[str]) -> None:
    from .seeds import relation_id

    seen_relations: set[tuple[str, str, str]] = set()
    seen_ids: dict[str, int] = {}
    support: dict[str, list[str]] = {}
    for i, r in enumerate(spec.relations):
        # Each field read once: attribute reads on pydantic models take CPython's slow path.
        source, type_, target = key = (r.source, r.type, r.target)
        if source not in unit_ids or target not in unit_ids:
            for end, ref in (("source", source), ("target", target)):
                if ref not in unit_ids:
                    b.problem(
                        "dangling-reference",
                        f"unknown unit {ref!r}",
                        ("relations", i, end),
                        _relation_subject(r),
                        "relations link ids of claims or recommendations of this document",
                    )
        if source == target:
            b.problem("self-relation", "source and target are the same unit", ("relations", i), _relation_subject(r))
        if key in seen_relations:
            b.problem("duplicate-relation", "this relation is given twice", ("relations", i), _relation_subject(r))
        else:
            rid = relation_id(b.doc_id, source, type_, target)
            if rid in seen_ids:  # e.g. a-supports + b vs a + supports-b: ids cannot tell them apart
                b.problem(
                    "duplicate-id",
                    f"relation id {rid!r} is also the id of the relation at line {b.ydoc.where(('relations', seen_ids[rid]))[0]}",
                    ("relations", i),
                    _relation_subject(r),
                    "rename a unit so that its id does not contain '-supports-', '-attacks-' or '-restates-'",
                )
            seen_ids[rid] = i
        seen_relations.add(key)
        if type_ == "supports" and source != target:
            support.setdefault(source, []).append(target)

    cycle = _find_cycle(support)
    if cycle:
        first = next(
            i
            for i, r in enumerate(spec.relations)
            if r.type == "supports" and r.source == cycle[0] and r.target == cycle[1]
        )
        b.problem(
            "relation-cycle",
            "support cycle: " + " → ".join([*cycle, cycle[0]]),
            ("relations", first),
            f"relation {cycle[0]} supports {cycle[1]}",
        )


def _relation_subject(r: Any) -> str:
    return f"relation {r.source} {r.type} {r.target}"


def _find_cycle(edges: dict[str, list[str]]) -> list[str] | None:
    """A cycle in a directed graph as a list of nodes, or None (iterative DFS, deterministic)."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for root in sorted(edges):
        if state.get(root):
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        path: list[str] = [root]
        state[root] = 1
        while stack:
            node, i = stack[-1]
            nexts = edges.get(node, [])
            if i < len(nexts):
                stack[-1] = (node, i + 1)
                nxt = nexts[i]
                if state.get(nxt) == 1:
                    return path[path.index(nxt) :]
                if not state.get(nxt):
                    state[nxt] = 1
                    stack.append((nxt, 0))
                    path.append(nxt)
            else:
                state[node] = 2
                stack.pop()
                path.pop()
    return None


# ---------------------------------------------------------------- coverage


def _solid(text: str) -> int:
    """Number of non-whitespace characters (C speed, not a Python loop).

    str.split() uses the same whitespace as the regex \\s (str.isspace); splitting and joining is
    about twice as fast as counting regex matches.
    """
    return len("".join(text.split()))


def merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def covered_share(value: str, sentence: tuple[int, int], covered: list[tuple[int, int]], first: int) -> float:
    """Share of a sentence's non-whitespace characters inside the (merged, sorted) covered spans.

    `first` is the index of the first covered span that may overlap the sentence.
    """
    start, end = sentence
    if first < len(covered) and covered[first][0] <= start and end <= covered[first][1]:
        return 1.0  # inside one covered span (the usual case): every character is covered
    total = _solid(value[start:end])
    if not total:
        return 1.0
    inside = 0
    for c_start, c_end in covered[first:]:
        if c_start >= end:
            break
        lo, hi = max(start, c_start), min(end, c_end)
        if lo < hi:
            inside += _solid(value[lo:hi])
    return inside / total


def coverage(b: _Builder, records: DocumentRecords, min_share: float) -> dict[str, Any]:
    """Coverage figures for the report; uncovered sentences, unmentioned actors, unrelated units become warnings.

    A sentence counts as covered when units cover at least `min_share` of its non-whitespace characters.
    Linear in the text length (plus sentences and units), so megabyte texts stay fast.
    """
    text = b.text
    value = text.value
    covered = merge_spans([(c.start, c.end) for c in records.claims])
    sentences = text.sentences
    uncovered = []
    first = 0
    for sentence in sentences:
        while first < len(covered) and covered[first][1] <= sentence[0]:
            first += 1
        if covered_share(value, sentence, covered, first) < min_share:
            uncovered.append(sentence)
    for start, end in uncovered:
        line, col = text.line_col(start)
        snippet = value[start:end]
        snippet = snippet if len(snippet) <= 60 else snippet[:57] + "…"
        b.result.problems.append(
            Problem.make("sentence-uncovered", f'"{snippet}"', file=b.essay_file, line=line, column=col)
        )

    index = _positions(b)
    mentioned = {m.actor_id for m in records.mentions}
    unmentioned = [a.id for a in records.actors if a.id not in mentioned]
    for a_id in unmentioned:
        b.problem(
            "actor-unmentioned",
            f"actor {a_id!r} has no mention in the text",
            ("actors", index["actors"].get(a_id, 0)),
            f"actor {a_id}",
        )
    related = {r.source_id for r in records.relations} | {r.target_id for r in records.relations}
    unrelated = [c for c in records.claims if c.id not in related]
    for c in unrelated:
        section = "recommendations" if c.is_recommendation else "claims"
        b.problem(
            "unit-unrelated",
            f"unit {c.local_id!r} is in no relation",
            (section, index[section].get(c.local_id, 0)),
            f"unit {c.local_id}",
        )
    n_solid = _solid(value)
    # Covered characters: all of them but those in the gaps between covered spans (short: counting
    # the gaps reads a fraction of the text).
    gaps = zip([0] + [e for _, e in covered], [s for s, _ in covered] + [len(value)], strict=True)
    n_covered = n_solid - sum(_solid(value[g0:g1]) for g0, g1 in gaps if g1 > g0)
    return {
        "sentences": len(sentences),
        "sentences_covered": len(sentences) - len(uncovered),
        "sentence_coverage": round((len(sentences) - len(uncovered)) / len(sentences), 4) if sentences else 1.0,
        "character_coverage": round(n_covered / n_solid, 4) if n_solid else 1.0,
        "units": len(records.claims),
        "recommendations": len(records.recommendations),
        "relations": len(records.relations),
        "actors": len(records.actors),
        "mentions": len(records.mentions),
        "actors_unmentioned": unmentioned,
        "units_unrelated": [c.local_id for c in unrelated],
    }


def _positions(b: _Builder) -> dict[str, dict[str, int]]:
    """Index of the first item with each id, per section (to point warnings at the right item)."""
    out: dict[str, dict[str, int]] = {}
    for section in ("actors", "claims", "recommendations"):
        out[section] = {}
        for i, item in enumerate(b.ydoc.data.get(section) or []):
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                out[section].setdefault(item["id"], i)
    return out
