"""The build's corpus-wide actor index, compact: each actor kept as one small pickle, not as a model object.

A 10,000-essay corpus defines some 130,000 actors; as pydantic objects they take ~2 KB each
(~260 MB). Here an actor is one bytes object of ~150 bytes: the pickled tuple of its field
values (a pickled model repeats every field name and its class path: ~330 bytes) and where it
was first defined, the file as a number into a list of the corpus's annotation files. Per actor
the index holds that blob and its id (also the key): ~250 bytes, ~35 MB at 130,000 actors.

`CompactActorIndex` makes exactly the checks and merges of `seeds.ActorIndex` (same problems,
same messages: it delegates each decision to a throw-away `ActorIndex` that holds only the
actors concerned) and hands the merged actors to the sinks as `ActorSequence`: sorted by id,
rebuilt one at a time as they are read, equal to the loader's (field values and the set of
fields given).
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator, Sequence
from typing import overload

from .errors import Problem
from .model import Actor
from .seeds import ActorIndex, Where

PROTOCOL = pickle.HIGHEST_PROTOCOL
FIELDS = tuple(Actor.model_fields)
_ALL_SET = frozenset(FIELDS)
_new = Actor.__new__


def pack(actor: Actor, file_no: int, line: int | None, column: int | None) -> bytes:
    """One actor and where it was defined as bytes (the fields set only when not all of them are)."""
    fields_set = actor.model_fields_set
    unset = None if fields_set == _ALL_SET else tuple(f for f in FIELDS if f in fields_set)
    values = tuple(getattr(actor, f) for f in FIELDS)
    return pickle.dumps((values, unset, file_no, line, column), protocol=PROTOCOL)


def unpack(blob: bytes) -> tuple[Actor, int, int | None, int | None]:
    values, fields_set, file_no, line, column = pickle.loads(blob)
    # Validated when loaded: rebuilt as unpickling a model rebuilds it (twice as fast as model_construct;
    # every corpus-level sink reads all the actors).
    actor = _new(Actor)
    actor.__setstate__(
        {
            "__dict__": dict(zip(FIELDS, values, strict=True)),
            "__pydantic_fields_set__": set(FIELDS if fields_set is None else fields_set),
            "__pydantic_extra__": None,
            "__pydantic_private__": None,
        }
    )
    return actor, file_no, line, column


def unpack_actor(blob: bytes) -> Actor:
    return unpack(blob)[0]


class CompactActorIndex:
    """Drop-in for `seeds.ActorIndex` in the build: `add(actor, where)` → problems; `sorted()`."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}  # actor id → `pack`ed merged Actor and its first definition
        self.by_wikidata: dict[str, str] = {}
        self.files: list[str] = []  # annotation files (where actors were defined), numbered
        self._file_no: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.blobs)

    def _where(self, file_no: int, line: int | None, column: int | None) -> Where:
        return (self.files[file_no], line, column)

    def add(self, actor: Actor, where: Where) -> list[Problem]:
        scratch = ActorIndex()
        blob = self.blobs.get(actor.id)
        known = None
        if blob is not None:
            known, *first = unpack(blob)
            scratch.actors[actor.id] = known
            scratch.defined_at[actor.id] = self._where(*first)
        elif actor.wikidata and actor.wikidata in self.by_wikidata:
            other = self.by_wikidata[actor.wikidata]
            scratch.by_wikidata[actor.wikidata] = other
            scratch.defined_at[other] = self._where(*unpack(self.blobs[other])[1:])
        problems = scratch.add(actor, where)
        merged = scratch.actors.get(actor.id)
        if merged is not None and merged is not known:  # new, or its aliases grew
            if known is None:
                file, line, column = where
                file_no = self._file_no.get(file)
                if file_no is None:
                    file_no = self._file_no[file] = len(self.files)
                    self.files.append(file)
                if actor.wikidata:
                    self.by_wikidata.setdefault(actor.wikidata, actor.id)
            else:
                file_no, line, column = first  # the first definition stays the one problems point at
            self.blobs[actor.id] = pack(merged, file_no, line, column)
        return problems

    def sorted(self) -> ActorSequence:
        return ActorSequence([self.blobs[k] for k in sorted(self.blobs)])


class ActorSequence(Sequence[Actor]):
    """Actors sorted by id, rebuilt on access: iterate it as often as needed, hold what you use."""

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
            return [unpack_actor(b) for b in self._blobs[index]]
        return unpack_actor(self._blobs[index])

    def __iter__(self) -> Iterator[Actor]:
        for blob in self._blobs:
            yield unpack_actor(blob)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ActorSequence | list):  # the actors, not where they were defined
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable-looking sequence, like list
