"""Results of a function over items computed by an executor a bounded number ahead, yielded in order.

The build's document pool, its corpus-level `map` and the RDF sink's inflating threads all need
the same thing: keep the workers busy without submitting a whole corpus at once (memory), and
hand results back in input order (determinism).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future
from itertools import islice
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def in_order(executor: Executor, function: Callable[[T], R], items: Iterable[T], ahead: int) -> Iterator[R]:
    """`map(function, items)` run by `executor`, in order: at most `ahead` (at least 1) items are
    submitted and waiting, besides the one whose result is being handed over (the next item is
    submitted before it is yielded, so the executor never idles on the caller)."""
    todo = iter(items)
    pending: deque[Future[R]] = deque(executor.submit(function, item) for item in islice(todo, max(1, ahead)))
    while pending:
        result = pending.popleft().result()
        for item in islice(todo, 1):
            pending.append(executor.submit(function, item))
        yield result
