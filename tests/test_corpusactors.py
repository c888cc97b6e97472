"""The build's compact actor index decides exactly as seeds.ActorIndex and hands out the same actors."""

from __future__ import annotations

import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from datapkg.corpusactors import ActorSequence, CompactActorIndex
from datapkg.model import Actor
from datapkg.seeds import ActorIndex

IDS = ["pakistan", "india", "pak", "un"]
actors = st.builds(
    Actor,
    id=st.sampled_from(IDS),
    name=st.sampled_from(["Pakistan", "India", "Pak"]),
    kind=st.sampled_from(["state", "government"]),
    aliases=st.lists(st.sampled_from(["Islamabad", "Pak", "Delhi"]), unique=True).map(sorted),
    wikidata=st.sampled_from([None, "Q843", "Q668"]),
)


@settings(max_examples=50, deadline=None)
@given(st.lists(actors, max_size=12))
def test_same_problems_and_merged_actors_as_the_loader_index(stream: list[Actor]) -> None:
    full, compact = ActorIndex(), CompactActorIndex()
    for line, actor in enumerate(stream, 1):
        where = (f"doc{line}/annotations.yaml", line, 5)
        assert [p.format() for p in compact.add(actor, where)] == [p.format() for p in full.add(actor, where)]
    assert compact.sorted() == full.sorted()
    assert list(compact.sorted()) == full.sorted()
    # rebuilt exactly: the same fields given (model_dump(exclude_unset=True) would tell), the same dump
    for kept, loaded in zip(compact.sorted(), full.sorted(), strict=True):
        assert kept.__getstate__() == loaded.__getstate__()  # what pickling a model keeps: fields, fields set, …
        assert kept.model_dump_json() == loaded.model_dump_json()


def test_aliases_grow_and_conflicts_point_at_the_first_definition() -> None:
    index = CompactActorIndex()
    a = Actor(id="pakistan", name="Pakistan", kind="state", aliases=["Islamabad"], wikidata="Q843")
    assert index.add(a, ("a.yaml", 3, 5)) == []
    assert index.add(a.model_copy(update={"aliases": ["Pak"]}), ("b.yaml", 4, 5)) == []
    (conflict,) = index.add(a.model_copy(update={"kind": "government"}), ("c.yaml", 7, 5))
    assert conflict.code == "actor-conflict" and "a.yaml:3" in conflict.message
    (dup,) = index.add(Actor(id="pak", name="Pak", kind="state", wikidata="Q843"), ("d.yaml", 9, 5))
    assert dup.code == "wikidata-duplicate" and "'pakistan'" in dup.message
    merged = index.sorted()
    assert isinstance(merged, ActorSequence) and len(merged) == 1
    assert merged[0].aliases == ["Islamabad", "Pak"] and merged[:1] == [merged[0]]
    assert [x.id for x in merged] == [x.id for x in merged] == ["pakistan"]  # iterable more than once


def test_an_actor_is_kept_in_far_less_memory_than_the_model() -> None:
    index = CompactActorIndex()
    actor = Actor(id="a-long-actor-id-0", name="An Actor Name", kind="organisation", aliases=["AAN", "The Actor"])
    index.add(actor, ("f.yaml", 1, 1))
    index.add(actor.model_copy(update={"id": "another"}), ("f.yaml", 2, 1))
    blob = index.blobs[actor.id]
    assert len(blob) < 200  # field values and where, not field names and the class path (a pickled model: ~330)
    assert index.files == ["f.yaml"]  # each file is kept once, numbered
    assert sys.getsizeof(blob) < sum(sys.getsizeof(v) for v in actor.__dict__.values()) + sys.getsizeof(actor)
