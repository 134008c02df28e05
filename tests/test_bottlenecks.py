"""Bottlenecks do not flatter the headline metrics (issue 14).

A scarce leader, a cut in department staff or a removed layer must not raise on-time closure
nor lower days-to-close as the model reports them (censoring-aware: open issues past their
deadline count as late, days-to-close is a Kaplan-Meier estimate with open issues censored).
The closed-only figures that governments report are kept; the scarce-leader test shows the
gap they hide. Paired seeds (common random numbers), shipped scenarios at their defaults.
"""

from __future__ import annotations

import numpy as np
import pytest

from reformabm import ReformModel
from reformabm.scenario import load_scenario

SEEDS = (1, 2)


def paired(scenario, days: int, key: str, base: dict, alt: dict) -> np.ndarray:
    """alt - base of summary ``key`` per seed."""
    out = []
    for seed in SEEDS:
        a = ReformModel(scenario, rng=seed, days=days, **base).run().summary()[key]
        b = ReformModel(scenario, rng=seed, days=days, **alt).run().summary()[key]
        out.append(b - a)
    return np.asarray(out)


@pytest.fixture(scope="module")
def scarce_leader() -> dict[str, np.ndarray]:
    # 000: a tenth of the leaders' attention in Z city (high-level coordination the bottleneck)
    keys = ("on_time_rate", "days_to_close_mean", "days_to_close_mean_closed_only", "on_time_rate_closed_only")
    runs = {}
    for seed in SEEDS:
        a = ReformModel("z_city", rng=seed, days=120).run()
        b = ReformModel("z_city", rng=seed, days=120, leaders_attention_per_day=0.3).run()
        for k in keys:
            runs.setdefault(k, []).append(b.summary()[k] - a.summary()[k])
        runs.setdefault("leader_queue", []).append(
            b.timeseries()["leader_queue"].iloc[-1] - a.timeseries()["leader_queue"].iloc[-1])
    return {k: np.asarray(v) for k, v in runs.items()}


def test_scarce_leader_lengthens_days_to_close_and_queues_at_the_leader(scarce_leader):
    assert (scarce_leader["leader_queue"] > 300).all(), scarce_leader["leader_queue"]
    # observed +1.6 days (KM from creation) per seed
    assert (scarce_leader["days_to_close_mean"] > 0.8).all(), scarce_leader["days_to_close_mean"]


def test_scarce_leader_does_not_raise_on_time(scarce_leader):
    # Observed +0.3 pp: the issues stuck at the leader count as late, and the department
    # capacity they no longer take lets other issues through a little faster (a queueing effect,
    # not a flattering of the metric); the old closed-only figure rose +10 pp at level 4.
    assert (scarce_leader["on_time_rate"] < 0.01).all(), scarce_leader["on_time_rate"]


def test_closed_only_figures_are_flattered_by_a_scarce_leader(scarce_leader):
    # the gap the censoring-aware metrics close: reported days-to-close *fall* while the true
    # time to close rises, and the reported on-time rises by more than the censoring-aware one
    assert (scarce_leader["days_to_close_mean_closed_only"] < 0).all()
    assert (scarce_leader["on_time_rate_closed_only"] > scarce_leader["on_time_rate"]).all()


def test_department_staff_cut_lowers_on_time_and_lengthens_days_to_close():
    cut = load_scenario("z_city").model_copy(deep=True)
    for d in cut.departments:
        d.staff *= 0.7
    on_time, days = [], []
    for seed in SEEDS:
        a = ReformModel("z_city", rng=seed, days=120).run().summary()
        b = ReformModel(cut, rng=seed, days=120).run().summary()
        on_time.append(b["on_time_rate"] - a["on_time_rate"])
        days.append(b["days_to_close_mean"] - a["days_to_close_mean"])
    # observed -0.5..-0.9 pp and +0.01..+0.36 days over seeds 1-4 (department utilisation 0.64 ->
    # 0.87: Z city's departments have slack, so the cut lengthens queues without a collapse)
    assert max(on_time) < 0, on_time
    assert min(days) > 0, days
    assert np.mean(days) > 0.1, days


def test_removed_township_lowers_on_time_and_lengthens_days_to_close():
    # 004: abolishing the township layer overloads the county departments
    reform = {"reforms": ["remove_layer:layer=township@40"]}
    on_time = paired("teaching", 150, "on_time_rate", {}, reform)
    days = paired("teaching", 150, "days_to_close_mean", {}, reform)
    assert (on_time < 0).all(), on_time
    assert (days > 0.5).all(), days
