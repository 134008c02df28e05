"""Sweeps and sensitivity (参数扫描与敏感性): response surfaces, Sobol / Morris index bars."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from reformabm.fonts import resolve_language
from reformabm.labels import label
from reformabm.plots._base import _apply_font, _new_figure, _translate_legend

if TYPE_CHECKING:
    pass

__all__ = ["response_surface", "sensitivity"]


# ---- 3 sweep response surfaces ------------------------------------------------------------------


def _binned(s: pd.Series, bins: int) -> tuple[pd.Series, bool]:
    """``s`` as ordered categories: its own values if few or not numeric, else bin midpoints."""
    if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s) or s.nunique() <= bins:
        return s, False
    cut = pd.cut(s, bins)
    mids = cut.map(lambda iv: iv.mid).astype(float)
    return mids.round(3), True


def response_surface(
    df: pd.DataFrame,
    x: str,
    y: str | None = None,
    z: str = "closure_rate",
    *,
    lang: str = "en",
    hue: str | None = None,
    bins: int = 6,
    annot: bool = True,
    cmap: str = "viridis",
    width: float = 6.0,
    height: float = 4.4,
) -> Figure:
    """How a sweep's output responds to one or two levers (响应面).

    With ``y``: a heatmap of the mean of ``z`` over a grid of ``x`` and ``y`` (values used as
    they are when there are at most ``bins`` of them, else binned into ``bins`` equal
    intervals labelled by their midpoints). Without ``y``: the runs as dots and the mean of
    ``z`` per (binned) value of ``x`` with a 95 % CI, one line per ``hue``.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per run with lever columns and output columns, e.g.
        ``reformabm.experiments.load(out)`` or a frame you built from ``ReformModel`` runs.
    x, y : str
        Lever columns (e.g. ``"centre.authority"``, ``"reforms"``).
    z : str
        Output column (e.g. ``"coordination_dependence"``).
    lang : {"en", "zh"}
        Label language.
    hue : str, optional
        Only without ``y``: a column drawn as separate lines (e.g. the reform schedule).
    bins : int
        Number of bins for a numeric lever with many values.
    annot : bool
        Write the mean in each heatmap cell.
    cmap : str
        Colormap of the heatmap.
    width, height : float
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.surface`` holds the table drawn (pivot of means, or means per x).
    """
    lang, fam = resolve_language(lang)
    for c in (x, y, z, hue):
        if c is not None and c not in df.columns:
            raise KeyError(f"column '{c}' not in the frame; available: {list(df.columns)}")
    data = df[[c for c in dict.fromkeys((x, y, z, hue)) if c is not None]].copy()
    if "status" in df.columns:
        data = data[df["status"] == "ok"]
    data = data.dropna(subset=[z])
    fig, axes = _new_figure(1, 1, width, height)
    ax = axes[0, 0]
    if y is not None:
        data[x], _ = _binned(data[x], bins)
        data[y], _ = _binned(data[y], bins)
        pivot = data.pivot_table(index=y, columns=x, values=z, aggfunc="mean", observed=True)
        pivot = pivot.sort_index().sort_index(axis=1)
        sns.heatmap(
            pivot,
            ax=ax,
            cmap=cmap,
            annot=annot,
            fmt=".2f",
            annot_kws={"fontsize": 7},
            cbar_kws={"label": label(z, lang)},
        )
        ax.invert_yaxis()
        ax.set_xlabel(label(x, lang))
        ax.set_ylabel(label(y, lang))
        ax.set_title(
            f"{label(z, lang)}: mean over runs"
            if lang == "en"
            else f"{label(z, lang)}（各次运行均值）"
        )
        fig.surface = pivot  # type: ignore[attr-defined]
    else:
        numeric = pd.api.types.is_numeric_dtype(data[x]) and not pd.api.types.is_bool_dtype(data[x])
        if numeric:
            hue_order = sorted(data[hue].unique()) if hue else None
            sns.scatterplot(
                data=data,
                x=x,
                y=z,
                hue=hue,
                hue_order=hue_order,
                ax=ax,
                alpha=0.35,
                s=14,
                legend=False,
            )
            binned, _ = _binned(data[x], bins)
            data["_x"] = binned
            sns.lineplot(
                data=data,
                x="_x",
                y=z,
                hue=hue,
                hue_order=hue_order,
                ax=ax,
                errorbar=("ci", 95),
                marker="o",
                legend=hue is not None,
            )
        else:
            data["_x"] = data[x].astype(str)
            sns.pointplot(
                data=data,
                x="_x",
                y=z,
                hue=hue,
                order=sorted(data["_x"].unique()),
                ax=ax,
                errorbar=("ci", 95),
                dodge=0.3 if hue else False,
                legend=hue is not None,
            )
        ax.set_xlabel(label(x, lang))
        ax.set_ylabel(label(z, lang))
        ax.set_title(
            f"{label(z, lang)} against {label(x, lang)} (mean, 95 % CI)"
            if lang == "en"
            else f"{label(z, lang)} 随 {label(x, lang)} 的变化（均值，95% 置信区间）"
        )
        if hue is not None:
            _translate_legend(ax, lang)
            leg = ax.get_legend()
            if leg is not None:
                leg.set_title(label(hue, lang))
        fig.surface = data.groupby(["_x", *([hue] if hue else [])], observed=True)[z].mean()  # type: ignore[attr-defined]
    return _apply_font(fig, fam)


# ---- 4 sensitivity bars -----------------------------------------------------------------------


def sensitivity(
    table: pd.DataFrame,
    metrics: Sequence[str] | None = None,
    *,
    lang: str = "en",
    method: str | None = None,
    ncols: int = 3,
    width: float = 4.4,
) -> Figure:
    """Sensitivity indices per lever (敏感性分析), one panel per output metric.

    Sobol (``S1`` first order 一阶, ``ST`` total 总效应; bars with their confidence
    half-widths) or Morris (``mu_star`` = mean absolute elementary effect μ*, ``sigma`` =
    spread σ, a sign of non-linearity or interaction; μ* with its confidence half-width).

    Parameters
    ----------
    table : pandas.DataFrame
        One row per (metric, lever), as returned by
        :func:`reformabm.experiments.sensitivity.analyze` (or by
        :func:`~reformabm.experiments.sensitivity.sobol_indices` /
        :func:`~reformabm.experiments.sensitivity.morris_indices` for one metric, without a
        ``metric`` column).
    metrics : list of str, optional
        Metrics to draw (default: all in the table).
    lang : {"en", "zh"}
        Label language.
    method : {"sobol", "morris"}, optional
        Default: from ``table.attrs["method"]`` or the columns present.
    ncols : int
        Panels per row.
    width : float
        Width of one panel in inches.

    Returns
    -------
    matplotlib.figure.Figure
    """
    lang, fam = resolve_language(lang)
    method = (
        method
        or table.attrs.get("method")
        or ("sobol" if "S1" in table.columns else "morris" if "mu_star" in table.columns else None)
    )
    if method not in _SA_INDICES:
        raise ValueError(
            "sensitivity table: expected Sobol columns S1/ST or Morris columns mu_star/sigma, "
            f"or method one of {list(_SA_INDICES)}"
        )
    indices, confs, (xlabel_en, xlabel_zh), (title_en, title_zh) = _SA_INDICES[method]
    t = table.copy()
    if "metric" not in t.columns:
        t["metric"] = ""
    all_metrics = list(dict.fromkeys(t["metric"]))
    metrics = [m for m in (metrics or all_metrics) if m in all_metrics]
    if not metrics:
        raise ValueError(f"no metric to draw; the table has {all_metrics}")
    levers = list(dict.fromkeys(t["lever"]))
    n = len(metrics)
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    fig, axes = _new_figure(nrows, ncols, width, 0.5 * len(levers) + 1.3, sharey=True)
    palette = sns.color_palette("deep", len(indices))
    bar_h = 0.8 / len(indices)
    ypos = np.arange(len(levers))
    for ax, m in zip(axes.flat, metrics, strict=False):
        tm = t[t["metric"] == m].set_index("lever").reindex(levers)
        for j, (ind, colour) in enumerate(zip(indices, palette, strict=True)):
            vals = tm[ind].to_numpy(float)
            err = (
                tm[confs[ind]].abs().to_numpy(float) if ind in confs and confs[ind] in tm else None
            )
            yy = ypos - 0.4 + bar_h * (j + 0.5)
            ax.barh(
                yy,
                np.nan_to_num(vals),
                height=bar_h,
                color=colour,
                label=label(ind, lang),
                gid=f"bars:{ind}",
            )
            if err is not None:
                ax.errorbar(
                    np.nan_to_num(vals),
                    yy,
                    xerr=np.nan_to_num(err),
                    fmt="none",
                    ecolor="#222222",
                    capsize=2,
                    linewidth=0.8,
                )
        ax.axvline(0, color="grey", linewidth=0.8)
        ax.set_yticks(ypos, [label(lv, lang) for lv in levers])
        ax.set_ylim(len(levers) - 0.5, -0.5)
        ax.set_title(label(m, lang) if m else "")
        ax.set_xlabel(xlabel_en if lang == "en" else xlabel_zh)
    list(axes.flat)[0].legend(loc="lower right", fontsize=8)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.suptitle(title_en if lang == "en" else title_zh)
    return _apply_font(fig, fam)


#: Per sensitivity method: indices drawn, their confidence columns, axis label, title (en, zh).
_SA_INDICES: dict[str, tuple[list[str], dict[str, str], tuple[str, str], tuple[str, str]]] = {
    "sobol": (["S1", "ST"], {"S1": "S1_conf", "ST": "ST_conf"}, ("Sobol index", "Sobol 指数"),
              ("Sobol indices", "Sobol 敏感性指数")),
    "morris": (["mu_star", "sigma"], {"mu_star": "mu_star_conf"},
               ("elementary effect (per unit range)", "基本效应（按单位区间）"),
               ("Morris screening", "Morris 筛选")),
    "delta": (["delta", "S1"], {"delta": "delta_conf", "S1": "S1_conf"},
              ("index", "指数"), ("Borgonovo delta (moment-independent)", "Borgonovo δ 矩独立指数")),
    "pawn": (["median"], {"median": "median_conf"}, ("KS distance", "KS 距离"),
             ("PAWN (distribution-based)", "PAWN 分布敏感性")),
    "rbd_fast": (["S1"], {"S1": "S1_conf"}, ("first-order index", "一阶指数"),
                 ("RBD-FAST first-order indices", "RBD-FAST 一阶指数")),
    "dgsm": (["dgsm"], {"dgsm": "dgsm_conf"}, ("DGSM (an upper bound of ST)", "DGSM（ST 上界）"),
             ("derivative-based measures", "基于导数的敏感性")),
}
