"""The columnar issue store: rows added take their columns' fill values, across growth."""

from __future__ import annotations

import numpy as np

from reformabm.issues import _COLUMNS, IssueStore


def test_added_rows_hold_fill_values_across_growth():
    s = IssueStore(capacity=16)
    ids = s.add(10, grid=np.arange(10), level=3)
    more = s.add(100, created_day=5)  # grows the store past its capacity
    assert len(s) == 110 and s._cap >= 110
    assert s.grid[ids].tolist() == list(range(10)) and (s.level[ids] == 3).all()
    assert (s.created_day[more] == 5).all()
    for name, (_, fill) in _COLUMNS.items():
        col = getattr(s, name)
        untouched = more if name != "created_day" else ids
        assert (col[untouched] == fill).all(), name
    assert s.open_ids.tolist() == list(range(110))
