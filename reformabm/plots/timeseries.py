"""Time series (时间序列): daily metrics with trailing smoothing and reform-day lines."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from reformabm.fonts import resolve_language
from reformabm.labels import LABELS, label, reform_label
from reformabm.plots._base import _apply_font, _new_figure, _translate_legend

if TYPE_CHECKING:
    from reformabm.model import ReformModel

__all__ = [
    "timeseries", "reform_marks", "draw_reform_marks", "smoothable", "trailing_mean", "smoothing_note",
    "UNSMOOTHED", "MARK_COLOURS", "DEFAULT_TIMESERIES",
]


#: Metrics drawn by :func:`timeseries` when none are named.
DEFAULT_TIMESERIES = ["open", "closure_rate", "on_time_rate", "coordination_dependence"]



def reform_marks(df: pd.DataFrame) -> list[tuple[int, str]]:
    """``(day, reform name)`` of every reform applied, from a timeseries' ``reform`` column.

    Several runs stacked in one frame (e.g. several seeds) give each mark once.

    Examples
    --------
    >>> reform_marks(pd.DataFrame({"day": [1, 2, 3], "reform": ["", "remove_layer", "a+b"]}))
    [(2, 'remove_layer'), (3, 'a'), (3, 'b')]
    """
    if "reform" not in df.columns or "day" not in df.columns:
        return []
    out: set[tuple[int, str]] = set()
    for day, text in zip(df["day"], df["reform"], strict=False):
        if isinstance(text, str) and text:
            out.update((int(day), name) for name in text.split("+") if name)
    return sorted(out)


# ---- time series with reform markers ---------------------------------------------------

#: Counts and structure metrics: never smoothed by :func:`timeseries` (a layer count of 3.2
#: does not exist). Any column whose values are all whole numbers is treated the same way.
UNSMOOTHED = {
    "n_layers", "span_of_control_max", "staff_total", "centre_betweenness", "rules", "campaign_active",
    "population", "open", "latent", "in_process", "overdue", "leader_queue",
}
#: Colours of reform-day lines, one per reform day (the first is the former dashed red).
MARK_COLOURS = ["#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#ff7f0e", "#2ca02c"]


def smoothable(df: pd.DataFrame, metric: str) -> bool:
    """Whether :func:`timeseries` smooths ``metric``: not a count or structure metric.

    Examples
    --------
    >>> df = pd.DataFrame({"n_layers": [4, 4, 3], "on_time_rate": [0.9, 0.8, 0.85], "x": [1.0, 2.0, 3.0]})
    >>> [smoothable(df, m) for m in df.columns]
    [False, True, False]
    """
    if metric in UNSMOOTHED:
        return False
    v = pd.to_numeric(df[metric], errors="coerce").to_numpy(dtype=float)
    v = v[np.isfinite(v)]
    return not (len(v) and np.all(v == np.round(v)))


def trailing_mean(data: pd.DataFrame, metrics: Sequence[str], days: int,
                  group_cols: Sequence[str] = ()) -> pd.DataFrame:
    """``data`` with ``metrics`` replaced by their trailing (causal) ``days``-day mean per run.

    The value drawn on day t is the mean of days t-days+1 .. t, so nothing that happens on a
    reform day shows before it (a centred window would show it days earlier).

    Examples
    --------
    >>> trailing_mean(pd.DataFrame({"day": [1, 2, 3, 4], "r": [0.0, 0.0, 1.0, 1.0]}), ["r"], 2)["r"].tolist()
    [0.0, 0.0, 0.5, 1.0]
    """
    metrics = list(metrics)
    if not metrics or days <= 1:
        return data.copy()
    out = data.reset_index(drop=True)
    s = out.sort_values([*group_cols, "day"], kind="stable") if "day" in out.columns else out
    if group_cols:
        s[metrics] = s.groupby(list(group_cols))[metrics].transform(
            lambda x: x.rolling(days, min_periods=1).mean())
    else:
        s[metrics] = s[metrics].rolling(days, min_periods=1).mean()
    out[metrics] = s[metrics]  # aligned on the (reset) index: the caller's row order is kept
    out.index = data.index
    return out


def _mark_legend_text(day: int, names: Sequence[str], lang: str) -> str:
    joined = " + ".join(names)
    return f"day {day}: {joined}" if lang == "en" else f"第 {day} 天：{joined}"


def draw_reform_marks(fig: Figure, axes: Sequence[Any], marks: Sequence[tuple[int, str]], lang: str = "en",
                      *, loc: str = "outside lower center", fontsize: float = 7.5,
                      bbox_to_anchor: Any = None) -> Any:
    """Draw every reform day as a vertical line on each of ``axes``, named in a figure legend.

    One colour per reform day; the legend lists ``day d: reform + reform`` once per day, so
    labels never overprint however close the reform days are (the lines themselves carry no
    text). Lines have gid ``"reform-mark"``, legend texts gid ``"reform-label"``. Returns the
    legend (None without marks). Shared by :func:`timeseries` and the live viz.
    """
    from matplotlib.lines import Line2D

    by_day: dict[int, list[str]] = {}
    for day, name in marks:
        names = by_day.setdefault(int(day), [])
        lab = reform_label(name, lang)
        if lab not in names:
            names.append(lab)
    handles = []
    for k, (day, names) in enumerate(sorted(by_day.items())):
        colour = MARK_COLOURS[k % len(MARK_COLOURS)]
        for ax in axes:
            ax.axvline(day, color=colour, linestyle="--", linewidth=1.0, alpha=0.85, gid="reform-mark")
        handles.append(Line2D([], [], color=colour, linestyle="--", linewidth=1.2,
                              label=_mark_legend_text(day, names, lang)))
    if not handles:
        return None
    kw = {"bbox_to_anchor": bbox_to_anchor} if bbox_to_anchor is not None else {}
    leg = fig.legend(handles=handles, loc=loc, ncols=min(3, len(handles)), fontsize=fontsize,
                     frameon=False, title=("reforms" if lang == "en" else "改革"),
                     title_fontsize=fontsize, **kw)
    leg.set_gid("reform-legend")
    for txt in leg.get_texts():
        txt.set_gid("reform-label")
    return leg


def timeseries(
    source: ReformModel | pd.DataFrame,
    metrics: Sequence[str] | None = None,
    *,
    lang: str = "en",
    hue: str | None = None,
    reforms: Sequence[tuple[int, str]] | None = None,
    rolling: int | None = None,
    ncols: int = 2,
    title: str | None = None,
    width: float = 4.6,
    height: float = 2.7,
) -> Figure:
    """Daily metrics (每日指标), one panel each, with a dashed red line on every reform day.

    Parameters
    ----------
    source : ReformModel or pandas.DataFrame
        A model (its ``timeseries()``) or a frame with a ``day`` column, as returned by
        ``ReformModel.timeseries()``; several runs may be stacked (e.g. with ``seed`` and
        ``arm`` columns), and seaborn then draws their mean and a 95 % band (±1.96 s.e.).
    metrics : list of str, optional
        Columns to draw (default :data:`DEFAULT_TIMESERIES`: open issues 未结事件, closure
        rate 办结率, on-time rate 按时办结率, coordination dependence 高位协调依赖).
    lang : {"en", "zh"}
        Label language (English / 中文).
    hue : str, optional
        Column that tells runs apart (e.g. ``"arm"`` = baseline / reform).
    reforms : list of (day, name), optional
        Reform markers (改革标记); default: read from the ``reform`` column.
    rolling : int, optional
        Draw the trailing (causal) mean over this many days, per run: day t shows days
        t-rolling+1 .. t, so no effect appears before its reform; the panel's y-axis says so.
        Counts and structure metrics (:func:`smoothable`: whole-number columns such as layers,
        span of control, open issues) are drawn as they are.
    ncols : int
        Panels per row.
    title : str, optional
        Figure title.
    width, height : float
        Size of one panel in inches.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.reform_marks`` holds the ``(day, name)`` marks drawn; every marker line has
        gid ``"reform-mark"``; the reforms are named in a figure legend (texts with gid
        ``"reform-label"``), so labels never overprint. ``fig.timeseries_data`` is the frame
        drawn (after smoothing) and ``fig.smoothed`` the metrics that were smoothed.

    Raises
    ------
    KeyError
        If a metric is not a column of the frame (the message lists the columns).
    """
    lang, fam = resolve_language(lang)
    df = source.timeseries() if hasattr(source, "timeseries") else source
    metrics = list(metrics or DEFAULT_TIMESERIES)
    missing = [m for m in metrics if m not in df.columns]
    if missing:
        raise KeyError(
            f"metrics {missing} are not columns of the time series; "
            f"available: {[c for c in df.columns if c != 'reform']}"
        )
    marks = list(reforms) if reforms is not None else reform_marks(df)
    group_cols = [c for c in ("seed", "arm", "run_id", hue) if c and c in df.columns]
    repeated = bool(len(df)) and df["day"].duplicated().any()
    smoothed = [m for m in metrics if rolling and rolling > 1 and smoothable(df, m)]
    data = trailing_mean(df, smoothed, int(rolling or 1), group_cols)
    if hue and hue in data.columns and data[hue].dtype == object:
        data[hue] = data[hue].map(lambda v: label(v, lang) if v in LABELS else v)
    n = len(metrics)
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    fig, axes = _new_figure(nrows, ncols, width, height, sharex=True)
    for i, (ax, m) in enumerate(zip(axes.flat, metrics, strict=False)):
        sns.lineplot(
            data=data,
            x="day",
            y=m,
            hue=hue,
            ax=ax,
            linewidth=1.3,
            errorbar=("se", 1.96) if repeated else None,
            legend=(i == 0 and hue is not None),
        )
        ax.set_title(label(m, lang))
        ax.set_ylabel(smoothing_note(rolling, lang) if m in smoothed else "", fontsize=7)
        ax.set_xlabel(label("day", lang))
        if i == 0:
            _translate_legend(ax, lang)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    draw_reform_marks(fig, list(axes.flat)[:n], marks, lang)
    if title is None and marks:
        title = "Daily metrics (dashed lines: reform days)" if lang == "en" else "每日指标（虚线：改革日）"
    if title:
        fig.suptitle(title)
    fig.reform_marks = marks  # type: ignore[attr-defined]
    fig.timeseries_data = data  # type: ignore[attr-defined]
    fig.smoothed = smoothed  # type: ignore[attr-defined]
    return _apply_font(fig, fam)


def smoothing_note(days: int | None, lang: str = "en") -> str:
    """The y-axis note of a smoothed panel (``7-day trailing mean`` / ``前7日滑动平均``)."""
    return f"{days}-day trailing mean" if lang == "en" else f"前{days}日滑动平均"
