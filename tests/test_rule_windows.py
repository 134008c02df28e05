"""Windows of endogenous reform rules count only days after the last structural reform (issue 17).

A rule that judges the organisation over a trailing window (``middle_layer_rule``'s overload
window, rule growth's performance review) must not judge a new organisation by days of the old
one: after a flattening, the first check comes once a full window of the new organisation has
been recorded.
"""

from __future__ import annotations

import numpy as np
import pytest

from reformabm import ReformModel

REFORM_DAY = 120
WINDOW = 14


def _emerged(m):
    return [r for r in m.reforms_applied if r["name"] == "middle_layer_emerged"]


def test_middle_layer_rule_waits_for_a_full_window_after_the_flattening():
    # a threshold every day exceeds: the rule fires at its first allowed check
    m = ReformModel("teaching", rng=1, days=170, reforms=[
        f"remove_layer:layer=township@{REFORM_DAY}",
        f"middle_layer_rule:overload=0.05,max_span=30,window_days={WINDOW}@{REFORM_DAY}"]).run()
    assert m.last_structural_day is not None
    first = _emerged(m)[0]
    # day 126 is a check day only 6 days after the reform: too early
    assert first["day"] - REFORM_DAY >= WINDOW
    assert first["day"] == next(d for d in range(REFORM_DAY, 200) if d % WINDOW == 0 and d - REFORM_DAY >= WINDOW)
    # the utilisation it acted on is the mean of the window's post-reform days only
    ts = m.timeseries().set_index("day")
    window = ts.loc[first["day"] - WINDOW:first["day"] - 1, "utilisation_department"]
    assert (window.index >= REFORM_DAY).all()
    assert first["params"]["department_utilisation"] == pytest.approx(window.mean(), abs=1e-3)


def test_the_rules_own_insertion_restarts_its_window():
    m = ReformModel("teaching", rng=1, days=200, reforms=[
        f"remove_layer:layer=township@{REFORM_DAY}",
        f"middle_layer_rule:overload=0.05,max_span=30,window_days={WINDOW}@{REFORM_DAY}"]).run()
    day = _emerged(m)[0]["day"]
    assert m.last_structural_day == day
    # the day of the insertion and every day after it are the new organisation's
    assert m.metrics.days_since_structure() == m.day - day + 1


def test_rule_growth_skips_a_review_whose_window_reaches_before_a_structural_reform():
    # target 1.0: every review that happens adds rules
    params = {"workload.rule_growth": True, "workload.performance_target": 1.0, "workload.rule_review_days": 30}
    plain = ReformModel("teaching", rng=2, days=70, overrides=params).run().timeseries().set_index("day")
    flat = ReformModel("teaching", rng=2, days=70, overrides=params,
                       reforms=["remove_layer:layer=township@25"]).run().timeseries().set_index("day")
    step = plain["rules"].iloc[0]
    # (a review's rules show in the next day's row)
    assert plain.loc[31, "rules"] > step  # the day-30 review happens without a reform ...
    assert flat.loc[31, "rules"] == step  # ... and is skipped 5 days after the flattening
    assert flat.loc[61, "rules"] > step  # the day-60 review sees 35 days of the new organisation
    assert np.isfinite(flat["utilisation_department"].iloc[-1])


def test_parameter_reforms_are_not_structural():
    m = ReformModel("teaching", rng=1, days=40, reforms=["empower_centre@10", "platform@12"]).run()
    assert m.last_structural_day is None
    assert m.metrics.days_since_structure() == len(m.metrics.daily_util)
