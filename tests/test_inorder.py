"""in_order: results in input order, never more than `ahead` items waiting besides the one being yielded."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from hypothesis import given, settings
from hypothesis import strategies as st

from datapkg.inorder import in_order


@settings(max_examples=40, deadline=None)
@given(items=st.lists(st.integers(), max_size=30), ahead=st.integers(min_value=0, max_value=6))
def test_results_come_in_order_and_the_lookahead_is_bounded(items: list[int], ahead: int) -> None:
    lock, started, yielded, worst = threading.Lock(), [0], [0], [0]

    def work(x: int) -> int:
        with lock:
            started[0] += 1
            worst[0] = max(worst[0], started[0] - yielded[0])
        time.sleep(0.0005 * (x % 3))  # later items may finish first
        return 2 * x

    out = []
    with ThreadPoolExecutor(4) as pool:
        for result in in_order(pool, work, items, ahead):
            with lock:
                yielded[0] += 1
            out.append(result)
    assert out == [2 * x for x in items]
    assert worst[0] <= max(1, ahead) + 1  # + the result being handed over
