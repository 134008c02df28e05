"""Per-level figures (分层级指标) and one issue's journey (事件轨迹)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from reformabm.fonts import resolve_language
from reformabm.labels import LABELS, RANK_LABELS, label
from reformabm.plots._base import _apply_font, _new_figure, _translate_legend

if TYPE_CHECKING:
    from reformabm.model import ReformModel

__all__ = ["by_level", "issue_journey"]


# ---- extras: per-level bars and one issue's journey --------------------------------------------


def by_level(
    data: Mapping[str, Any] | pd.DataFrame,
    prefixes: Sequence[str] = ("blame_level_", "holding_share_level_"),
    *,
    lang: str = "en",
    hue: str | None = None,
    title: str | None = None,
    width: float = 6.4,
    height: float = 3.6,
) -> Figure:
    """Per-level quantities side by side (分层级指标), e.g. blame vs holding share (追责下沉).

    Parameters
    ----------
    data : dict or pandas.DataFrame
        A run's ``summary()`` or a frame of summaries (one row per run; with several rows the
        bars show the mean and a 95 % CI).
    prefixes : list of str
        Column prefixes followed by the level 1..5: ``blame_level_`` (问责占比),
        ``holding_share_level_`` (持有事件占比), ``on_time_rate_level_`` (按时办结率), ...
    lang : {"en", "zh"}
        Label language.
    hue : str, optional
        A column of the frame that tells groups apart (e.g. ``"arm"``); then a single prefix
        is drawn per panel, one panel per prefix.
    title : str, optional
        Figure title.
    width, height : float
        Size of one panel in inches.

    Returns
    -------
    matplotlib.figure.Figure
    """
    lang, fam = resolve_language(lang)
    df = pd.DataFrame([dict(data)]) if isinstance(data, Mapping) else data.copy()
    rows = []
    for p in prefixes:
        cols = [c for c in df.columns if re.fullmatch(re.escape(p) + r"\d", c)]
        if not cols:
            raise KeyError(f"no columns '{p}<level>' in the data")
        for c in cols:
            lvl = int(c[len(p) :])
            vals = pd.to_numeric(df[c], errors="coerce")
            for i, v in vals.items():
                rows.append(
                    {
                        "measure": label(p, lang),
                        "level": RANK_LABELS[lvl][1 if lang == "zh" else 0],
                        "value": v,
                        **({hue: df.loc[i, hue]} if hue else {}),
                    }
                )
    long = pd.DataFrame(rows)
    order = [
        RANK_LABELS[k][1 if lang == "zh" else 0]
        for k in sorted(RANK_LABELS)
        if RANK_LABELS[k][1 if lang == "zh" else 0] in set(long["level"])
    ]
    if hue:
        long[hue] = long[hue].map(lambda v: label(v, lang) if v in LABELS else v)
        fig, axes = _new_figure(1, len(prefixes), width, height)
        for ax, p in zip(axes.flat, prefixes, strict=True):
            sub = long[long["measure"] == label(p, lang)]
            sns.barplot(
                data=sub, x="level", y="value", hue=hue, order=order, ax=ax, errorbar=("ci", 95)
            )
            ax.set_title(label(p, lang))
            ax.set_xlabel(label("level", lang))
            ax.set_ylabel("")
            _translate_legend(ax, lang)
    else:
        fig, axes = _new_figure(1, 1, width, height)
        ax = axes[0, 0]
        sns.barplot(
            data=long,
            x="level",
            y="value",
            hue="measure",
            order=order,
            ax=ax,
            errorbar=("ci", 95) if len(df) > 1 else None,
        )
        ax.set_xlabel(label("level", lang))
        ax.set_ylabel(label("value", lang))
        leg = ax.get_legend()
        if leg is not None:
            leg.set_title("")
    if title:
        fig.suptitle(title)
    return _apply_font(fig, fam)


def issue_journey(
    model: ReformModel, issue_id: int, *, lang: str = "en", width: float = 8.0, height: float = 3.6
) -> Figure:
    """Draw one issue's path through the organisation (事件轨迹).

    The rank of the unit holding the issue at each step of its history, each step labelled
    with its event and day (escalated 逐级上报, dispatched 派单, pushed back 推诿退回,
    coordinated 领导协调, closed 办结, ...).

    Parameters
    ----------
    model : ReformModel
        A model run with ``process.record_history = true`` (the default).
    issue_id : int
        The issue (a row of ``model.issue_frame()``).
    lang : {"en", "zh"}
        Label language.
    width, height : float
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.history`` holds the history with the unit's kind and rank.
    """
    lang, fam = resolve_language(lang)
    h = model.issue_history(int(issue_id)).copy()
    if h.empty:
        raise ValueError(
            f"issue {issue_id} has no recorded history (is process.record_history off?)"
        )
    g = model.org
    h["kind"] = [g.nodes[u]["kind"] if u in g else "removed" for u in h["unit"]]
    h["rank"] = [g.nodes[u].get("rank", np.nan) if u in g else np.nan for u in h["unit"]]
    h["name"] = [
        (g.nodes[u].get("label_zh") if lang == "zh" else g.nodes[u].get("name"))
        if u in g
        else f"unit {u}"
        for u in h["unit"]
    ]
    fig, axes = _new_figure(1, 1, width, height)
    ax = axes[0, 0]
    step = np.arange(len(h))
    known = h["rank"].notna().to_numpy()  # units removed by a reform since have no rank now
    sns.lineplot(
        x=step, y=h["rank"].to_numpy(float), ax=ax, drawstyle="steps-post", color="#4C72B0"
    )
    sns.scatterplot(
        x=step[known],
        y=h["rank"].to_numpy(float)[known],
        hue=h["kind"].map(lambda k: label(k, lang)).to_numpy()[known],
        ax=ax,
        s=50,
        zorder=3,
    )
    for i, row in h.iterrows():
        above = i % 2 == 0  # alternate above / below so neighbouring labels do not collide
        ax.annotate(
            f"{label('event:' + str(row['event']), lang)}\n"
            + (f"day {row['day']}" if lang == "en" else f"第{row['day']}天"),
            (i, row["rank"]),
            xytext=(0, 7 if above else -7),
            textcoords="offset points",
            ha="center",
            va="bottom" if above else "top",
            fontsize=6.5,
        )
    ranks = sorted({int(r) for r in h["rank"].dropna()})
    ax.set_yticks(
        ranks, [RANK_LABELS.get(r, (str(r), str(r)))[1 if lang == "zh" else 0] for r in ranks]
    )
    ax.set_ylim(min(ranks, default=1) - 0.8, max(ranks, default=5) + 0.8)
    ax.set_xticks(step, [str(i + 1) for i in step])
    ax.set_xlabel("step of the history" if lang == "en" else "流转步骤")
    ax.set_ylabel("rank of the holder" if lang == "en" else "承办单位层级")
    f = model.issue_frame()
    row = f[f["issue_id"] == issue_id]
    what = ""
    if len(row):
        r = row.iloc[0]
        what = (
            f": {r['category']}, required level {r['required_level']}"
            if lang == "en"
            else f"：{r['category']}，事件层级 {r['required_level']}"
        )
    ax.set_title((f"Issue {issue_id}" if lang == "en" else f"事件 {issue_id}") + what)
    leg = ax.get_legend()
    if leg is not None:
        leg.set_title("")
    fig.history = h  # type: ignore[attr-defined]
    return _apply_font(fig, fam)
