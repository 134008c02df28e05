"""``salib_problem`` in SALib's own parameterisation of every distribution (issue 17).

Draws from the design — with SALib's sampler on the problem, and with the sweep's own design —
and checks mean and spread against the declared (scipy) distribution.
"""

from __future__ import annotations

import numpy as np
import pytest

from reformabm.experiments.design import parse_sweep, salib_problem

SALib = pytest.importorskip("SALib")
from SALib.sample import latin  # noqa: E402
from SALib.util import scale_samples  # noqa: E402

LEVERS = {
    "process.pushback_propensity": {"distribution": {"name": "uniform", "lower": 0.2, "upper": 0.8}},
    "grid.patrol_discovery": {"distribution": {"name": "loguniform", "lower": 0.05, "upper": 0.5}},
    "process.distortion_per_hop": {"distribution": {"name": "normal", "mean": 0.2, "sd": 0.03}},
    "residents.report_propensity": {"distribution": {"name": "truncnorm", "mean": 0.15, "sd": 0.1,
                                                     "lower": 0.05, "upper": 0.3}},
    "leaders.attention_per_day": {"distribution": {"name": "lognormal", "mean": 0.0, "sigma": 0.3}},
    "centre.authority": {"distribution": {"name": "triangular", "lower": 0.1, "mode": 0.2, "upper": 0.9}},
}


def _sweep(size=2000):
    return parse_sweep({"sweep": {"scenario": "teaching", "days": 10, "seed": 7},
                        "design": {"kind": "lhs", "size": size}, "levers": LEVERS})


def test_salib_draws_follow_the_declared_distributions():
    sweep = _sweep()
    problem = salib_problem(sweep)
    assert problem["dists"] == ["unif", "logunif", "norm", "truncnorm", "lognorm", "triang"]
    x = latin.sample(problem, 4000, seed=3)
    for j, lv in enumerate(sweep.levers):
        dist = lv.distribution.frozen()
        col = x[:, j]
        assert col.mean() == pytest.approx(dist.mean(), rel=0.02), lv.name
        assert col.std() == pytest.approx(dist.std(), rel=0.03), lv.name
        lo, hi = dist.support()
        assert (col >= lo - 1e-12).all() and (col <= hi + 1e-12).all(), lv.name


def test_salib_scaling_equals_reformabm_quantiles():
    # the same unit coordinates give the same values (inside the tails reformabm cuts)
    sweep = _sweep()
    u = np.linspace(0.01, 0.99, 50)
    U = np.tile(u[:, None], (1, len(sweep.levers)))
    x = scale_samples(U.copy(), salib_problem(sweep))
    for j, lv in enumerate(sweep.levers):
        assert np.allclose(x[:, j], lv.from_unit(u)), lv.name


def test_the_sweeps_own_design_follows_the_declared_distributions():
    sweep = _sweep(size=2000)
    pts = sweep.points()
    for lv in sweep.levers:
        dist = lv.distribution.frozen()
        tol = 0.05 if lv.distribution.name in ("normal", "lognormal") else 0.03  # tails cut at 0.5 %
        assert pts[lv.name].mean() == pytest.approx(dist.mean(), rel=0.02), lv.name
        assert pts[lv.name].std() == pytest.approx(dist.std(), rel=tol), lv.name


def test_unit_problem_and_ranges():
    sweep = parse_sweep({"sweep": {"scenario": "teaching", "days": 10},
                         "design": {"kind": "lhs", "size": 4},
                         "levers": {"centre.authority": {"range": [0.2, 0.8]},
                                    "process.platform": {"values": [True, False]}}})
    assert salib_problem(sweep, unit=True)["bounds"] == [[0.0, 1.0], [0.0, 1.0]]
    p = salib_problem(sweep)
    assert p["bounds"] == [[0.2, 0.8], [0.0, 2.0]] and p["dists"] == ["unif", "unif"]
