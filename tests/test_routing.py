"""allocate_capacity: finite staff-days granted to queues in order (exact results)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reformabm.routing import allocate_capacity


def _alloc(holders, work, cap):
    capacity = np.asarray(cap, dtype=float)
    before = capacity.copy()
    done, granted, used = allocate_capacity(np.asarray(holders, dtype=np.int64),
                                            np.asarray(work, dtype=float), capacity)
    assert np.array_equal(capacity, before), "capacity_left must not be modified"
    return done.tolist(), granted.tolist(), used.tolist()


def test_docstring_example():
    assert _alloc([0, 0, 0, 1], [1.0, 1.0, 1.0, 0.5], [2.5, 1.0]) == (
        [True, True, False, True], [1.0, 1.0, 0.5, 0.5], [2.5, 0.5])


def test_empty_queue():
    done, granted, used = _alloc([], [], [3.0, 1.0])
    assert done == [] and granted == [] and used == [0.0, 0.0]


def test_zero_capacity_grants_nothing():
    assert _alloc([0, 0], [1.0, 0.5], [0.0]) == ([False, False], [0.0, 0.0], [0.0])


def test_zero_work_items_are_done_even_at_zero_capacity():
    # e.g. a quasi-layer unit (no staff) that only passes issues on at no cost
    assert _alloc([0, 0, 0], [0.0, 0.0, 0.0], [0.0]) == ([True] * 3, [0.0] * 3, [0.0])


def test_zero_work_item_after_a_fitting_one_is_done():
    assert _alloc([0, 0], [1.0, 0.0], [1.0]) == ([True, True], [1.0, 0.0], [1.0])


def test_items_behind_a_blocked_item_wait_in_queue_order():
    # strict FIFO: the small item behind the big one does not jump the queue
    assert _alloc([0, 0, 0], [2.0, 0.25, 0.0], [1.0]) == (
        [False, False, False], [1.0, 0.0, 0.0], [1.0])


def test_partial_progress_on_the_first_item_that_does_not_fit():
    assert _alloc([0, 0], [1.0, 1.0], [1.5]) == ([True, False], [1.0, 0.5], [1.5])
    assert _alloc([0], [4.0], [0.25]) == ([False], [0.25], [0.25])


def test_exact_fit_is_done():
    assert _alloc([0, 0, 0], [0.1, 0.2, 0.7], [1.0])[0] == [True, True, True]


def test_several_holders_with_gaps_in_ids():
    # holders 0, 2 and 5 have queues; 1, 3, 4 hold nothing; used is per holder id
    done, granted, used = _alloc(
        [0, 0, 2, 2, 2, 5], [0.5, 0.5, 1.0, 1.0, 1.0, 3.0], [0.75, 9.0, 2.0, 9.0, 9.0, 1.0])
    assert done == [True, False, True, True, False, False]
    assert granted == [0.5, 0.25, 1.0, 1.0, 0.0, 1.0]
    assert used == [0.75, 0.0, 2.0, 0.0, 0.0, 1.0]


def test_capacity_of_one_holder_does_not_leak_to_the_next():
    # holder 0 has spare capacity; holder 1 has none
    assert _alloc([0, 1], [0.5, 0.5], [10.0, 0.0]) == ([True, False], [0.5, 0.0], [0.5, 0.0])


def _reference_fifo(holders, work, cap):
    """Straightforward loop: per holder, grant in order until capacity runs out; stop at the
    first item that does not fit (it gets the remainder)."""
    done, granted = [], []
    used = [0.0] * len(cap)
    blocked = set()
    for h, w in zip(holders, work, strict=True):
        left = cap[h] - used[h]
        if h not in blocked and w <= left:
            done.append(True)
            granted.append(w)
        else:
            done.append(False)
            g = 0.0 if h in blocked else max(left, 0.0)
            granted.append(g)
            blocked.add(h)
        used[h] += granted[-1]
    return done, granted, used


# work and capacity in quarters: exact binary fractions, so the comparison is exact
quarters = st.integers(min_value=0, max_value=12).map(lambda k: k / 4)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 4), max_size=30).map(sorted), st.data())
def test_matches_a_simple_fifo_loop(holders, data):
    work = data.draw(st.lists(quarters, min_size=len(holders), max_size=len(holders)))
    cap = data.draw(st.lists(quarters, min_size=5, max_size=5))
    got = _alloc(holders, work, cap)
    want = _reference_fifo(holders, work, cap)
    assert got[0] == want[0]
    assert got[1] == pytest.approx(want[1])
    assert got[2] == pytest.approx(want[2])
    # never more than the capacity, never more than the need
    assert all(u <= c + 1e-9 for u, c in zip(got[2], cap, strict=True))
    assert all(g <= w + 1e-9 for g, w in zip(got[1], work, strict=True))
