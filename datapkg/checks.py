"""Cross-record checks within a document, and coverage figures."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .model import AnnotationFile, DocumentRecords, RecommendationSpec

if TYPE_CHECKING:
    from .seeds import Seeds, _Builder


def check_document(b: _Builder, spec: AnnotationFile, seeds: Seeds) -> None:
    """Unique ids, resolvable references, sane relations, verified Wikidata ids."""
    actor_ids: set[str] = set()
    for i, a in enumerate(spec.actors):
        if a.id in actor_ids:
            b.problem("duplicate-id", f"actor id {a.id!r} is defined twice", ("actors", i, "id"), f"actor {a.id}")
        actor_ids.add(a.id)

    unit_ids: set[str] = set()
    sections = [("claims", spec.claims), ("recommendations", spec.recommendations)]
    for section, units in sections:
        for i, u in enumerate(units):
            if u.id in unit_ids:
                b.problem("duplicate-id", f"unit id {u.id!r} is used twice", (section, i, "id"), f"unit {u.id}")
            unit_ids.add(u.id)

    def need_actor(ref: str, path: tuple, subject: str) -> None:
        if ref not in actor_ids:
            b.problem(
                "dangling-reference",
                f"unknown actor {ref!r}",
                path,
                subject,
                "define the actor under actors: in this document",
            )

    seen_qids: dict[str, str] = {}
    for i, a in enumerate(spec.actors):
        subject = f"actor {a.id}"
        for field in ("part_of", "member_of"):
            for j, ref in enumerate(getattr(a, field)):
                need_actor(ref, ("actors", i, field, j), subject)
                if ref == a.id:
                    b.problem("self-relation", f"{field} names the actor itself", ("actors", i, field, j), subject)
        if a.wikidata:
            other = seen_qids.setdefault(a.wikidata, a.id)
            if other != a.id:
                b.problem(
                    "wikidata-duplicate",
                    f"{a.wikidata} is also the id of actor {other!r}",
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

    for section, units in sections:
        for i, u in enumerate(units):
            subject = f"{'recommendation' if isinstance(u, RecommendationSpec) else 'claim'} {u.id}"
            fields = ["about"] + (
                ["addressees", "targets", "beneficiaries"] if isinstance(u, RecommendationSpec) else []
            )
            for field in fields:
                for j, ref in enumerate(getattr(u, field)):
                    need_actor(ref, (section, i, field, j), subject)

    seen_relations: set[tuple[str, str, str]] = set()
    support: dict[str, list[str]] = {}
    for i, r in enumerate(spec.relations):
        subject = f"relation {r.source} {r.type} {r.target}"
        for end in ("source", "target"):
            ref = getattr(r, end)
            if ref not in unit_ids:
                b.problem(
                    "dangling-reference",
                    f"unknown unit {ref!r}",
                    ("relations", i, end),
                    subject,
                    "relations link ids of claims or recommendations of this document",
                )
        if r.source == r.target:
            b.problem("self-relation", "source and target are the same unit", ("relations", i), subject)
        key = (r.source, r.type, r.target)
        if key in seen_relations:
            b.problem("duplicate-relation", "this relation is given twice", ("relations", i), subject)
        seen_relations.add(key)
        if r.type == "supports" and r.source != r.target:
            support.setdefault(r.source, []).append(r.target)

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


def _find_cycle(edges: dict[str, list[str]]) -> list[str] | None:
    """A cycle in a directed graph as a list of nodes, or None (iterative DFS)."""
    state: dict[str, int] = {}  # 1 = on stack, 2 = done
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


def coverage(b: _Builder, records: DocumentRecords, min_share: float) -> dict[str, Any]:
    """Coverage figures for the report; uncovered sentences etc. become warnings."""
    text = b.text
    covered_chars = bytearray(len(text.value))
    for c in records.claims:
        covered_chars[c.start : c.end] = b"\x01" * (c.end - c.start)
    sentences = text.sentences
    uncovered = []
    for start, end in sentences:
        chars = [i for i in range(start, end) if not text.value[i].isspace()]
        share = sum(covered_chars[i] for i in chars) / len(chars) if chars else 1.0
        if share < min_share:
            uncovered.append((start, end))
    file = f"{b.ydoc.file.rsplit('/', 1)[0]}/essay.txt" if "/" in b.ydoc.file else "essay.txt"
    from .errors import Problem

    for start, end in uncovered:
        line, col = text.line_col(start)
        snippet = text.value[start:end]
        snippet = snippet if len(snippet) <= 60 else snippet[:57] + "…"
        b.result.problems.append(Problem.make("sentence-uncovered", f'"{snippet}"', file=file, line=line, column=col))

    mentioned = {m.actor_id for m in records.mentions}
    unmentioned = [a.id for a in records.actors if a.id not in mentioned]
    for a_id in unmentioned:
        b.problem(
            "actor-unmentioned",
            f"actor {a_id!r} has no mention in the text",
            ("actors", _index(b, "actors", a_id)),
            f"actor {a_id}",
        )
    related = {r.source_id for r in records.relations} | {r.target_id for r in records.relations}
    unrelated = [c for c in records.claims if c.id not in related]
    for c in unrelated:
        section = "recommendations" if c.is_recommendation else "claims"
        b.problem(
            "unit-unrelated",
            f"unit {c.local_id!r} is in no relation",
            (section, _index(b, section, c.local_id)),
            f"unit {c.local_id}",
        )
    n_chars = sum(1 for ch in text.value if not ch.isspace())
    n_covered = sum(1 for i, ch in enumerate(text.value) if covered_chars[i] and not ch.isspace())
    return {
        "sentences": len(sentences),
        "sentences_covered": len(sentences) - len(uncovered),
        "sentence_coverage": round((len(sentences) - len(uncovered)) / len(sentences), 4) if sentences else 1.0,
        "character_coverage": round(n_covered / n_chars, 4) if n_chars else 1.0,
        "units": len(records.claims),
        "recommendations": len(records.recommendations),
        "relations": len(records.relations),
        "actors": len(records.actors),
        "mentions": len(records.mentions),
        "actors_unmentioned": unmentioned,
        "units_unrelated": [c.local_id for c in unrelated],
    }


def _index(b: _Builder, section: str, ident: str) -> int:
    items = b.ydoc.data.get(section) or []
    return next((i for i, item in enumerate(items) if isinstance(item, dict) and item.get("id") == ident), 0)
