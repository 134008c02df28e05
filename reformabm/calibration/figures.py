"""Figures of a calibration: observed vs simulated per target, and the posterior's pair plot.

Labels are bilingual (English and 中文) when a CJK font is installed, English otherwise.
"""

from __future__ import annotations

import math
import textwrap
import warnings
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

__all__ = ["fit_figure", "posterior_figure"]


def _both(key: str) -> tuple[str, list[str] | None]:
    """``"english 中文"`` (with the font families) when Chinese can be drawn, else English."""
    from reformabm.plots import label, resolve_language

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lang, fam = resolve_language("zh")
    en = label(key, "en")
    if lang != "zh":
        return en, None
    zh = label(key, "zh")
    return (en if zh == en else f"{en} {zh}"), fam


def _fonts(fig: Figure, fam: list[str] | None) -> Figure:
    from reformabm.plots._base import _apply_font

    return _apply_font(fig, fam)


def fit_figure(report: dict[str, Any]) -> Figure:
    """Observed value with its tolerance band and simulated mean with its 90 % interval, per target.

    Parameters
    ----------
    report : dict
        A calibration report (``report.json``).
    """
    from reformabm.plots import label
    from reformabm.plots._base import _new_figure

    rows = report["targets"]
    n = len(rows)
    ncols = min(3, n)
    nrows = math.ceil(n / ncols)
    fig, axes = _new_figure(nrows, ncols, 3.4 if ncols > 1 else 5.0, 2.9)
    fam = None
    for ax, r in zip(axes.flat, rows, strict=False):
        _, fam = _both(r["metric"])
        en, zh = label(r["metric"], "en"), label(r["metric"], "zh")
        # English wrapped to the panel's width, 中文 (when it can be drawn) on a line of its own
        title = "\n".join(textwrap.wrap(en, 44) + ([zh] if fam and zh != en else []))
        obs, tol = r["observed"], r["tolerance"]
        kind = r.get("kind", "equal")
        if kind == "equal":
            ax.axhspan(obs - tol, obs + tol, color="#9ecae1", alpha=0.5, label="tolerance")
        else:  # one-sided: the band runs from the bound's tolerance edge to the open side
            top = max(obs + tol, r["simulated"], r["sim_hi"]) if kind == "at_least" else obs + tol
            bottom = obs - tol if kind == "at_least" else min(obs - tol, r["simulated"], r["sim_lo"])
            ax.axhspan(bottom, top, color="#9ecae1", alpha=0.5, label="tolerance")
            title += "  (≥)" if kind == "at_least" else "  (≤)"
        ax.axhline(obs, color="#08519c", linewidth=1.2, label="observed")
        sim = r["simulated"]
        lo, hi = r["sim_lo"], r["sim_hi"]
        colour = "#238b45" if r["within_tolerance"] else "#cb181d"
        if all(np.isfinite([sim, lo, hi])):
            ax.errorbar([0], [sim], yerr=[[max(0, sim - lo)], [max(0, hi - sim)]], fmt="o",
                        color=colour, capsize=4, label="simulated (90 %)")
        ax.set_xlim(-1, 1)
        ax.set_xticks([])
        ax.ticklabel_format(axis="y", useOffset=False)  # 182,000 read as such, not "+1.82e5" and 0
        ax.set_title(title, fontsize=9)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=7, loc="best")
    fig.suptitle(f"{report['scenario']}: observed vs simulated ({report['method']}, {report['runs']} runs)"
                 + (" 观测值与模拟值" if fam else ""), fontsize=10)
    return _fonts(fig, fam)


def posterior_figure(posterior: pd.DataFrame, report: dict[str, Any], max_points: int = 1000) -> Figure:
    """Pair plot of the posterior (weighted resample): histograms on the diagonal, scatter below.

    The axes span each parameter's prior range; the red line marks ``best``.
    """
    from reformabm.plots._base import _new_figure

    params = list(report["params"])
    k = len(params)
    w = posterior["weight"].to_numpy(float)
    w = w / w.sum() if w.sum() > 0 else np.full(len(w), 1 / max(1, len(w)))
    rng = np.random.default_rng(0)
    idx = rng.choice(len(posterior), size=min(max_points, max(len(posterior), 1) * 4), p=w)
    df = posterior.iloc[idx]
    fig, axes = _new_figure(k, k, 2.6, 2.4)
    fam = None
    for i, pi in enumerate(params):
        info_i = report["params"][pi]
        for j, pj in enumerate(params):
            ax = axes[i, j]
            info_j = report["params"][pj]
            if j > i:
                ax.set_visible(False)
                continue
            if i == j:
                ax.hist(df[pi], bins=20, range=(info_i["prior_lo"], info_i["prior_hi"]), color="#6baed6")
                ax.axvline(info_i["best"], color="#cb181d")
                ax.axvspan(info_i["lo"], info_i["hi"], color="#fcbba1", alpha=0.4)
                ax.set_xlim(info_i["prior_lo"], info_i["prior_hi"])
            else:
                ax.scatter(df[pj], df[pi], s=4, alpha=0.4, color="#3182bd")
                ax.set_xlim(info_j["prior_lo"], info_j["prior_hi"])
                ax.set_ylim(info_i["prior_lo"], info_i["prior_hi"])
            if i == k - 1:
                lab, fam = _both(pj)
                ax.set_xlabel(lab + ("" if info_j["identified"] else " (not identified)"), fontsize=8)
            if j == 0 and i > 0:
                lab, fam = _both(pi)
                ax.set_ylabel(lab, fontsize=8)
    fig.suptitle(f"{report['scenario']}: posterior ({report['method']})" + (" 后验分布" if fam else ""))
    return _fonts(fig, fam)
