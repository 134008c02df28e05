"""Kaplan-Meier summaries: the whole-day counting path equals scipy's ecdf to the last bit."""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import CensoredData, ecdf

from reformabm.survival import _stats, km_summary, km_summary_from_counts


def _scipy(d, c):
    d = np.asarray(d, float)
    res = ecdf(CensoredData(uncensored=d[c], right=d[~c]))
    return _stats(np.asarray(res.sf.quantiles), np.asarray(res.sf.probabilities), float(d.max()))


def _same(a, b):
    return all(a[k] == b[k] or (math.isnan(a[k]) and math.isnan(b[k])) for k in a)


def test_whole_days_equal_scipy_exactly():
    rng = np.random.default_rng(0)
    for _ in range(300):
        k = int(rng.integers(1, 400))
        d = rng.integers(0, int(rng.integers(1, 60)), k)
        c = rng.random(k) < rng.random()
        if c.any():
            assert _same(km_summary(d, c), _scipy(d, c))


def test_fractional_durations_go_to_scipy():
    d = np.array([0.5, 1.5, 2.0, 3.25])
    c = np.array([True, False, True, True])
    assert _same(km_summary(d, c), _scipy(d, c))


def test_counts_agree_with_durations():
    d = np.array([0, 1, 1, 2, 5, 5, 7])
    c = np.array([True, True, False, True, False, True, False])
    a = km_summary(d, c)
    b = km_summary_from_counts(np.bincount(d[c], minlength=8), np.bincount(d[~c], minlength=8))
    assert _same({k: a[k] for k in ("p50", "p90", "p99")}, b)
    assert abs(a["mean"] - b["mean"]) < 1e-12
    assert math.isnan(km_summary(d, np.zeros(len(d), bool))["mean"])


def test_whole_days_as_floats_take_the_counting_path():
    d = np.array([0, 1, 1, 2, 5, 5, 7])
    c = np.array([True, True, False, True, False, True, False])
    assert _same(km_summary(d.astype(float), c), km_summary(d, c))
    assert _same(km_summary(d.astype(np.int32), c), _scipy(d, c))
