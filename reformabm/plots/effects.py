"""Paired effects (配对效应) of counterfactual twins, with 95 % confidence intervals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from reformabm.fonts import resolve_language
from reformabm.labels import NOT_RELATIVE, label, unit_kind, unit_label
from reformabm.plots._base import _apply_font, _t2

if TYPE_CHECKING:
    from reformabm.compare import Comparison

__all__ = ["effects"]


# ---- 2 paired effects with confidence intervals ------------------------------------------


def _effects_frame(table: pd.DataFrame | Comparison, metrics: Sequence[str] | None) -> pd.DataFrame:
    if isinstance(table, pd.DataFrame):
        return table
    from reformabm.compare import effects_table

    return effects_table(table, list(metrics) if metrics else None)


def effects(
    table: pd.DataFrame | Comparison | Mapping[str, pd.DataFrame | Comparison],
    metrics: Sequence[str] | None = None,
    *,
    lang: str = "en",
    relative: bool = True,
    title: str | None = None,
    width: float = 7.0,
) -> Figure:
    """Paired effects of a reform (配对效应) with their 95 % confidence intervals.

    A forest plot: one row per metric, the mean paired difference (reform − baseline over
    the same seeds, the counterfactual twin 反事实对照) as a dot and its 95 % CI as a bar.
    Filled dots are effects whose CI excludes zero, hollow dots those whose CI includes it.

    Parameters
    ----------
    table : DataFrame, Comparison, or dict of them
        The output of :func:`reformabm.compare.effects_table` (columns ``metric``,
        ``baseline``, ``effect``, ``ci_low``, ``ci_high``), or a comparison; or a mapping
        ``{reform label: table or comparison}`` to set several reforms side by side (one
        colour each).
    metrics : list of str, optional
        Metrics to show, in order (default: every row with an effect).
    lang : {"en", "zh", "both"}
        Label language (``"both"``: English and Chinese, e.g. ``on-time rate 按时办结率``).
    relative : bool
        True: effects in % of the absolute baseline mean, only where that is meaningful (the
        table's ``relative`` column, see :func:`reformabm.compare.relative_reason`; for a table
        without it, a non-zero baseline and not a :data:`NOT_RELATIVE` index); the sign of a
        relative change is always the effect's; metrics left out are named under the axis with
        the reason. False: effects in their own units, one panel per unit kind
        (:func:`reformabm.labels.unit_kind`: shares, days, counts, …) so that no metric's
        scale squashes the others.
    title : str, optional
        Title (default: the comparison's scenario and reforms when one Comparison is given).
    width : float
        Figure width in inches.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.effects_data`` holds the plotted rows (``group``, ``metric``, ``unit``, ``x``,
        ``lo``, ``hi``, ``significant``); ``fig.left_out`` maps metrics not shown to the reason.
    """
    want = lang
    lang, fam = resolve_language("zh" if lang == "both" else lang)
    if want == "both" and lang == "zh":
        lang = "both"
    if isinstance(table, Mapping):
        groups = {str(k): _effects_frame(v, metrics) for k, v in table.items()}
    else:
        if not isinstance(table, pd.DataFrame) and title is None:
            comp = table
            n = comp.runs.seed.nunique()
            reforms = " + ".join(comp.reforms)
            title = (
                f"{comp.scenario}: {reforms} ({n} seeds)"
                if lang != "zh"
                else f"{comp.scenario}：{reforms}（{n} 个种子）"
            )
        groups = {"": _effects_frame(table, metrics)}
    need = {"metric", "effect", "ci_low", "ci_high", "baseline"}
    frames = []
    for name, tb in groups.items():
        if not need <= set(tb.columns):
            raise KeyError(f"effects table needs columns {sorted(need)}; got {list(tb.columns)}")
        tb = tb.copy()
        if metrics:
            tb = tb.set_index("metric").reindex(list(metrics)).reset_index()
        tb["group"] = name
        frames.append(tb)
    t = pd.concat(frames, ignore_index=True).dropna(subset=["effect"])
    left_out: dict[str, str] = {}
    if relative:
        if "relative" in t.columns:
            ok = t["relative"].notna()
            notes = t["relative_note"] if "relative_note" in t.columns else pd.Series("", index=t.index)
            for m, why in zip(t.loc[~ok, "metric"], notes[~ok], strict=True):
                left_out.setdefault(m, str(why or "no relative change"))
        else:
            base = t["baseline"].abs()
            ok = (base > 0) & ~t["metric"].isin(NOT_RELATIVE)
            for m, b in zip(t.loc[~ok, "metric"], base[~ok], strict=True):
                left_out.setdefault(m, "an index near zero: absolute only" if m in NOT_RELATIVE
                                    else "baseline is zero" if b == 0 else "no baseline")
        t = t[ok].copy()
        scale = 100.0 / t["baseline"].abs()
        t["unit"] = "percent"
    else:
        scale = pd.Series(1.0, index=t.index)
        t["unit"] = [unit_kind(m) for m in t["metric"]]
    t["x"] = t["effect"] * scale
    t["lo"] = (t["ci_low"] * scale).fillna(t["x"])
    t["hi"] = (t["ci_high"] * scale).fillna(t["x"])
    t["significant"] = (t["lo"] > 0) | (t["hi"] < 0)
    t = t.reset_index(drop=True)
    names = list(groups)
    kinds = list(dict.fromkeys(t["unit"])) or ["percent" if relative else "other"]
    rows_of = {k: list(dict.fromkeys(t.loc[t["unit"] == k, "metric"])) for k in kinds}
    heights = [max(len(rows_of[k]), 1) * 0.42 * max(1, 0.6 * len(names)) + 0.9 for k in kinds]
    with sns.axes_style("whitegrid"), sns.plotting_context("notebook", font_scale=0.85):
        fig = Figure(figsize=(width, sum(heights) + 0.6 + 0.25 * bool(left_out)), layout="constrained")
        axes = fig.subplots(len(kinds), 1, squeeze=False, gridspec_kw={"height_ratios": heights})[:, 0]
    palette = ["#C44E52"] if len(names) == 1 else sns.color_palette("deep", len(names))
    offsets = np.linspace(-0.28, 0.28, len(names)) if len(names) > 1 else [0.0]
    for pi, (ax, kind) in enumerate(zip(axes, kinds, strict=True)):
        order = rows_of[kind]
        for name, colour, off in zip(names, palette, offsets, strict=True):
            sub = t[(t["group"] == name) & (t["unit"] == kind)]
            y = np.array([order.index(m) for m in sub["metric"]], float) + off
            ax.hlines(y, sub["lo"], sub["hi"], color=colour if name else "#4C72B0", linewidth=2.0, gid="ci")
            sig = sub["significant"].to_numpy(bool)
            ax.scatter(sub["x"][sig], y[sig], s=55, color=colour, edgecolors="#222222", zorder=3,
                       label=name or _t2("CI excludes 0", "置信区间不含0", lang))
            ax.scatter(sub["x"][~sig], y[~sig], s=55, facecolors="white",
                       edgecolors=colour if name else "#222222", linewidths=1.3, zorder=3,
                       label=None if name else _t2("CI includes 0", "置信区间含0", lang))
        if pi == 0:
            ax.legend(loc="best", fontsize=8, frameon=True,
                      title=None if len(names) == 1 else _t2("hollow: CI includes 0", "空心：置信区间含0", lang),
                      title_fontsize=7)
        ax.axvline(0, color="grey", linewidth=0.9)
        ax.set_yticks(np.arange(len(order)), [label(m, lang) for m in order])
        ax.set_ylim(len(order) - 0.5, -0.5)
        if relative:
            ax.set_xlabel(_t2("paired effect, % of baseline (95 % CI)", "配对效应（占基线的 %，95% 置信区间）", lang))
        else:
            ax.set_xlabel(_t2(f"paired effect, reform − baseline, {unit_label(kind, 'en')} (95 % CI)",
                              f"配对效应：改革 − 基线，{unit_label(kind, 'zh')}（95% 置信区间）", lang))
        ax.set_ylabel("")
    if title:
        axes[0].set_title(title)
    if left_out:
        note = ("not in %: " if lang != "zh" else "未按比例显示：") + "; ".join(
            f"{label(m, lang)} ({why})" for m, why in left_out.items())
        fig.supxlabel(note, fontsize=7, color="#555555", x=0.01, ha="left", wrap=True).set_gid("left-out")
    fig.effects_data = t  # type: ignore[attr-defined]
    fig.left_out = left_out  # type: ignore[attr-defined]
    return _apply_font(fig, fam)
