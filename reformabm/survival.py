"""Time to close as a survival estimate (办结时长), with open issues right-censored.

An issue still open at the end of a run has not closed *yet*: dropping it (the closed-only
figure governments report) makes a bottleneck look fast, because the issues it holds back
are exactly the ones left out. Here the time to close is estimated by Kaplan–Meier with the
open issues censored at their age, using :func:`scipy.stats.ecdf` on the per-issue
durations (:func:`km_summary`). The daily reporter uses the same estimator on duration
histograms (:func:`km_summary_from_counts`, exact for integer days and checked against
scipy in the tests), so a day's metrics cost O(days), not O(issues).

Statistics of the estimated distribution ``F = 1 - S``:

- ``p50``, ``p90``, ``p99``: the smallest day ``t`` with ``F(t) >= q``; NaN ("not reached")
  when fewer than that share of issues have closed by the longest observed time;
- ``mean``: the area under ``S`` up to the longest observed duration (the restricted mean;
  equal to the mean when the longest observation is a closure, a lower bound otherwise).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["QUANTILES", "km_summary", "km_summary_from_counts"]

#: The quantiles reported, in order, with their key suffixes.
QUANTILES: tuple[tuple[str, float], ...] = (("p50", 0.5), ("p90", 0.9), ("p99", 0.99))
_Q_AT = np.array([q - 1e-12 for _, q in QUANTILES])  # F(t) >= q, with a little slack for rounding
_Q_COLS = np.arange(len(QUANTILES))


def _stats(times: np.ndarray, surv: np.ndarray, t_max: float) -> dict[str, float]:
    """Mean and quantiles of a right-continuous step survival curve.

    ``surv[i]`` is ``S`` from ``times[i]`` on (``S = 1`` before ``times[0]``); ``t_max`` is
    the longest observed duration, closed or censored.
    """
    out: dict[str, float] = {}
    if len(times) == 0:
        out["mean"] = math.nan
        out.update({k: math.nan for k, _ in QUANTILES})
        return out
    # the area under S: levels [1, S...] times the widths of the steps [0, times..., t_max]
    # (ndarray methods and ufuncs rather than np.concatenate / np.diff: this runs daily)
    k = len(times)
    edges = np.empty(k + 2)
    edges[0] = 0.0
    edges[1:-1] = times
    edges[-1] = max(float(t_max), float(times[-1]))
    levels = np.empty(k + 1)
    levels[0] = 1.0
    levels[1:] = surv
    out["mean"] = float((levels * (edges[1:] - edges[:-1])).sum())
    hit = (1.0 - surv)[:, None] >= _Q_AT  # all quantiles at once: the first time F reaches each
    first = hit.argmax(axis=0)
    reached = hit[first, _Q_COLS]
    for (key, _), i, ok in zip(QUANTILES, first.tolist(), reached.tolist(), strict=True):
        out[key] = float(times[i]) if ok else math.nan
    return out


def km_summary(durations: np.ndarray, closed: np.ndarray) -> dict[str, float]:
    """Kaplan–Meier mean and quantiles of durations, censoring those not ``closed``.

    Parameters
    ----------
    durations : ndarray of int
        Days from the start (creation or first knowledge) to closure, or to now when open.
    closed : ndarray of bool
        True where the duration ends in a closure, False where it is censored (still open).

    Returns
    -------
    dict
        ``mean``, ``p50``, ``p90``, ``p99`` (NaN where not estimable).

    Examples
    --------
    >>> r = km_summary(np.array([1, 2, 3, 4]), np.array([True, True, True, True]))
    >>> r["mean"], r["p50"]
    (2.5, 2.0)
    >>> r = km_summary(np.array([1, 5, 5]), np.array([True, False, False]))
    >>> r["p50"] != r["p50"]  # only a third closed: the median is not reached
    True
    """
    durations = np.asarray(durations)
    closed = np.asarray(closed, dtype=bool)
    if len(durations) == 0 or not closed.any():
        return _stats(np.zeros(0), np.zeros(0), 0.0)
    if durations.dtype.kind not in "iu":
        durations = durations.astype(float)
    if durations.min() >= 0 and durations.max() < 1e7 and (
            durations.dtype.kind in "iu" or np.array_equal(durations, np.floor(durations))):
        return _km_whole_days(durations if durations.dtype.kind in "iu" else durations.astype(np.int64), closed)
    from scipy.stats import CensoredData, ecdf

    res = ecdf(CensoredData(uncensored=durations[closed], right=durations[~closed]))
    return _stats(np.asarray(res.sf.quantiles), np.asarray(res.sf.probabilities), float(durations.max()))


def _km_whole_days(days: np.ndarray, closed: np.ndarray) -> dict[str, float]:
    """:func:`km_summary` of whole-day durations by counting: the numbers scipy's ``ecdf`` gives.

    Same arithmetic as ``scipy.stats.ecdf`` (the survival curve at every distinct observed
    time: ``S = cumprod((n - d) / n)`` with censoring, ``1 - cumsum(d) / N`` without), so the
    results are equal to the last bit, without sorting a million durations
    (``tests/test_survival.py`` checks it).
    """
    length = int(days.max()) + 1
    died = np.bincount(days[closed], minlength=length)
    total = np.bincount(days, minlength=length)
    at_risk = np.cumsum(total[::-1])[::-1]
    t = np.flatnonzero(total)
    if closed.all():  # scipy's uncensored branch: the empirical CDF
        surv = 1 - np.cumsum(died[t]) / len(days)
    else:
        n, d = at_risk[t], died[t]
        surv = np.cumprod((n - d) / n)
    return _stats(t.astype(float), surv, float(length - 1))


def km_summary_from_counts(events: np.ndarray, censored: np.ndarray | None) -> dict[str, float]:
    """As :func:`km_summary`, from counts per whole day of closures and of censored issues.

    ``events[t]`` issues closed after ``t`` days, ``censored[t]`` issues open at age ``t``
    (both arrays of the same length; ``censored`` None: nothing censored). Counts are summed
    as integers, which equals the floating-point sums to the last bit (below 2**53).

    Examples
    --------
    >>> km_summary_from_counts(np.array([0, 1, 1, 1, 1]), np.zeros(5, int))["mean"]
    2.5
    >>> km_summary_from_counts(np.array([0, 1, 1, 1, 1]), None)["p50"]
    2.0
    """
    events = np.asarray(events)
    total = events if censored is None else events + np.asarray(censored)
    nz = total.nonzero()[0]
    t = events.nonzero()[0]  # counts are >= 0: closures only where there are issues
    if len(t) == 0:
        return _stats(np.zeros(0), np.zeros(0), 0.0)
    end = int(nz[-1]) + 1  # histograms may be long and zero beyond the oldest issue
    at_risk = total[end - 1::-1].cumsum()[::-1]
    surv = (1.0 - events[t] / at_risk[t]).cumprod()
    return _stats(t, surv, float(end - 1))
