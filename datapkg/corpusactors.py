"""The build's corpus-wide actor index, compact: each actor kept as a pickle, not as a model object.

A 10,000-essay corpus defines some 130,000 actors; as pydantic objects they take ~2 KB each
(~260 MB), as pickles ~200 bytes. `CompactActorIndex` makes exactly the checks and merges of
`seeds.ActorIndex` (same problems, same messages: it delegates each decision to a throw-away
`ActorIndex` that holds only the actors concerned) and hands the merged actors to the sinks as
`ActorSequence`: sorted by id, unpickled one at a time as they are read.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator, Sequence
from typing import overload

from .errors import Problem
from .model import Actor
from .seeds import ActorIndex, Where

PROTOCOL = pickle.HIGHEST_PROTOCOL


class CompactActorIndex:
    """Drop-in for `seeds.ActorIndex` in the build: `add(actor, where)` → problems; `sorted()`."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}  # actor id → pickled merged Actor
        self.by_wikidata: dict[str, str] = {}
        self.defined_at: dict[str, Where] = {}

    def __len__(self) -> int:
        return len(self.blobs)

    def add(self, actor: Actor, where: Where) -> list[Problem]:
        scratch = ActorIndex()
        blob = self.blobs.get(actor.id)
        known = None
        if blob is not None:
            known = pickle.loads(blob)
            scratch.actors[actor.id] = known
            scratch.defined_at[actor.id] = self.defined_at[actor.id]
        elif actor.wikidata and actor.wikidata in self.by_wikidata:
            other = self.by_wikidata[actor.wikidata]
            scratch.by_wikidata[actor.wikidata] = other
            scratch.defined_at[other] = self.defined_at[other]
        problems = scratch.add(actor, where)
        merged = scratch.actors.get(actor.id)
        if merged is not None and merged is not known:  # new, or its aliases grew
            self.blobs[actor.id] = pickle.dumps(merged, protocol=PROTOCOL)
            if known is None:
                self.defined_at[actor.id] = where
                if actor.wikidata:
                    self.by_wikidata.setdefault(actor.wikidata, actor.id)
        return problems

    def sorted(self) -> ActorSequence:
        return ActorSequence([self.blobs[k] for k in sorted(self.blobs)])


class ActorSequence(Sequence[Actor]):
    """Actors sorted by id, unpickled on access: iterate it as often as needed, hold what you use."""

    def __init__(self, blobs: list[bytes]) -> None:
        self._blobs = blobs

    def __len__(self) -> int:
        return len(self._blobs)

    @overload
    def __getitem__(self, index: int) -> Actor: ...

    @overload
    def __getitem__(self, index: slice) -> list[Actor]: ...

    def __getitem__(self, index: int | slice) -> Actor | list[Actor]:
        if isinstance(index, slice):
            return [pickle.loads(b) for b in self._blobs[index]]
        return pickle.loads(self._blobs[index])

    def __iter__(self) -> Iterator[Actor]:
        for blob in self._blobs:
            yield pickle.loads(blob)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ActorSequence):
            return self._blobs == other._blobs
        if isinstance(other, list):
            return list(self) == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable-looking sequence, like list
