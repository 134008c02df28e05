"""The teaching county works in steady state at its defaults; the overloaded one does not (issue 17).

`models/teaching.toml` is the baseline of the notebooks and of most behaviour tests, so it must be
a county that keeps a level — backlog flat over the year, no saturated department, on-time
plausible at every level — for reforms and pressures to push it visibly. Its lesson twin
`models/teaching_overloaded.toml` keeps the under-staffed county whose backlog grows all year.
"""

from __future__ import annotations

import numpy as np
import pytest

from reformabm import ReformModel
from reformabm.agents.department import Department

SEEDS = [1, 2, 3]


def _year(scenario, seed):
    """Run a year; return the model and each department's utilisation after a 30-day warm-up."""
    m = ReformModel(scenario, rng=seed)
    depts = list(m.agents_by_type[Department])
    work = np.zeros(len(depts))
    cap = np.zeros(len(depts))
    while m.running and m.day < m.days:
        m.step()
        if m.day >= 30:
            work += [a.work_today for a in depts]
            cap += [a.capacity for a in depts]
    return m, work / np.where(cap > 0, cap, np.nan)


@pytest.fixture(scope="module")
def teaching_years():
    return [_year("teaching", s) for s in SEEDS]


def test_teaching_backlog_is_flat_over_the_year(teaching_years):
    """Slope of open issues over days 60-365, over seeds: the year's drift is within noise."""
    drifts = []
    for m, _ in teaching_years:
        ts = m.timeseries()
        late = ts[ts["day"] >= 60]
        slope = np.polyfit(late["day"], late["open"], 1)[0]
        drifts.append(slope * (late["day"].iloc[-1] - late["day"].iloc[0]) / late["open"].mean())
        mid, end = ts["open"].iloc[182], ts["open"].iloc[-1]
        assert 0.7 < end / mid < 1.3, (mid, end)
    # mean drift over the year below 15 % of the mean backlog
    assert abs(np.mean(drifts)) < 0.15, drifts


def test_teaching_departments_are_below_saturation_and_on_time_is_plausible(teaching_years):
    for m, util in teaching_years:
        assert np.nanmax(util) < 0.85, util
        s = m.summary()
        for k in range(1, 6):
            assert s[f"on_time_rate_level_{k}"] > 0.6, (k, s[f"on_time_rate_level_{k}"])
        assert s["on_time_rate_level_4"] > 0.7
        assert s["days_to_close_mean"] < s["days_to_close_p90"]
        # a working county does not close on paper to meet deadlines it cannot keep
        assert s["formal_closures"] < 0.05 * s["issues_closed"]


def test_overloaded_teaching_county_collapses_as_documented():
    m, util = _year("teaching_overloaded", 1)
    ts = m.timeseries()
    assert ts["open"].iloc[-1] > 2 * ts["open"].iloc[182]
    assert np.nanmax(util) > 0.95
    s = m.summary()
    assert s["on_time_rate_level_4"] < 0.3
    assert s["reopened"] > 0.2 * s["issues_closed"]
