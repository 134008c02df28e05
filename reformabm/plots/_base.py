"""Shared helpers of the figure families: a figure in seaborn's style, fonts, legends."""

from __future__ import annotations

from typing import Any

import numpy as np
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.text import Text

from reformabm.labels import LABELS, label

__all__: list[str] = []


def _new_figure(
    nrows: int, ncols: int, width: float, height: float, **kw: Any
) -> tuple[Figure, np.ndarray]:
    with sns.axes_style("whitegrid"), sns.plotting_context("notebook", font_scale=0.85):
        fig = Figure(figsize=(width * ncols, height * nrows), layout="constrained")
        axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    return fig, axes


def _translate_legend(ax: Any, lang: str) -> None:
    leg = ax.get_legend()
    if leg is None:
        return
    for t in leg.get_texts():
        t.set_text(label(t.get_text(), lang) if t.get_text() in LABELS else t.get_text())
    if leg.get_title() is not None and leg.get_title().get_text():
        leg.set_title(label(leg.get_title().get_text(), lang))


def _apply_font(fig: Figure, families: list[str] | None) -> Figure:
    """Set ``families`` on every text of ``fig`` (titles, labels, ticks, legends, notes)."""
    if families:
        for t in fig.findobj(Text):
            t.set_fontfamily(families)
    return fig


def _t2(en: str, zh: str, lang: str) -> str:
    """English, Chinese or both, by ``lang``."""
    return zh if lang == "zh" else f"{en} / {zh}" if lang == "both" else en
