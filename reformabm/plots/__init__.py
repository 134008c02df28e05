"""Seaborn figures shared by the notebooks and the command line (图表).

Every function returns a :class:`matplotlib.figure.Figure` built without pyplot's figure
manager, so nothing is shown twice in a notebook (put the figure last in a cell, or call
``display(fig)``), nothing leaks in a long-running process, and the CLI can ``savefig`` it.

A package by figure family; every name is importable from ``reformabm.plots``:

- ``timeseries``: :func:`timeseries`, :func:`draw_reform_marks` (shared with the viz), smoothing
- ``effects``: :func:`effects`
- ``sweeps``: :func:`response_surface`, :func:`sensitivity`
- ``network``: :func:`org_network` (the viz's drawing, :func:`reformabm.viz.drawing.draw_org`)
- ``levels``: :func:`by_level`, :func:`issue_journey`

Labels come from one bilingual table (:mod:`reformabm.labels`) and one language resolver
(:func:`reformabm.fonts.resolve_language`), used by the CLI, the plots, the viz and the notebooks.

=====================  ==========================================================  ===========
function               what it draws                                               中文
=====================  ==========================================================  ===========
:func:`timeseries`     daily metrics, one panel each, reform days as lines         时间序列
:func:`effects`        paired effects of a reform with 95 % confidence intervals   配对效应
:func:`response_surface`  a sweep's output against one or two levers               响应面
:func:`sensitivity`    Sobol S1/ST or Morris mu*/sigma bars per lever              敏感性指数
:func:`org_network`    the organisation network drawn by level                     组织网络
:func:`by_level`       per-level quantities (blame, holding share, on-time rate)    分层级指标
:func:`issue_journey`  one issue's path through the units, day by day               事件轨迹
=====================  ==========================================================  ===========

Labels are English (``lang="en"``) or Chinese (``lang="zh"``). Chinese needs a CJK font that
matplotlib can use; :func:`find_cjk_font` looks in matplotlib's font list and asks fontconfig
(``fc-list :lang=zh``). Without one the figure falls back to English and a
:class:`CJKFontWarning` says how to install a font (e.g. ``apt install fonts-noto-cjk``).

On a machine without a display (a server, CI) the Agg backend is selected on import, unless
the user chose a backend (``MPLBACKEND``) or runs inside a Jupyter kernel.
"""

from __future__ import annotations

import os
import sys

import matplotlib


def _inside_kernel() -> bool:
    """Whether this runs inside a Jupyter (IPython) kernel."""
    if "ipykernel" not in sys.modules:
        return False
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


if _inside_kernel():
    # Figures built without pyplot display inline only once the inline backend's formatters
    # are installed, which matplotlib does lazily; do what `%matplotlib inline` does, unless
    # the user chose another backend (e.g. `%matplotlib widget`).
    if "inline" in str(matplotlib.get_backend()):
        try:
            from IPython import get_ipython

            get_ipython().enable_matplotlib("inline")
        except Exception:  # noqa: BLE001 - display is a convenience, never a reason to fail
            pass
elif (
    sys.platform.startswith("linux")
    and not os.environ.get("DISPLAY")
    and not os.environ.get("WAYLAND_DISPLAY")
    and "MPLBACKEND" not in os.environ
):
    matplotlib.use("Agg")

from reformabm.fonts import CJK_FAMILIES, CJKFontWarning, find_cjk_font, resolve_language  # noqa: E402,F401
from reformabm.labels import (  # noqa: E402,F401
    KIND_LABELS,
    LABELS,
    NOT_RELATIVE,
    RANK_LABELS,
    UNIT_KINDS,
    label,
    reform_label,
    unit_kind,
    unit_label,
)
from reformabm.plots.effects import effects  # noqa: E402
from reformabm.plots.levels import by_level, issue_journey  # noqa: E402
from reformabm.plots.network import org_network  # noqa: E402
from reformabm.plots.notebook import setup_notebook  # noqa: E402
from reformabm.plots.sweeps import response_surface, sensitivity  # noqa: E402
from reformabm.plots.timeseries import (  # noqa: E402
    DEFAULT_TIMESERIES,
    MARK_COLOURS,
    UNSMOOTHED,
    draw_reform_marks,
    reform_marks,
    smoothable,
    smoothing_note,
    timeseries,
    trailing_mean,
)

__all__ = [
    "setup_notebook",
    "CJKFontWarning",
    "find_cjk_font",
    "resolve_language",
    "label",
    "reform_label",
    "LABELS",
    "KIND_LABELS",
    "RANK_LABELS",
    "UNIT_KINDS",
    "unit_kind",
    "unit_label",
    "reform_marks",
    "timeseries",
    "effects",
    "response_surface",
    "sensitivity",
    "org_network",
    "by_level",
    "issue_journey",
    "DEFAULT_TIMESERIES",
    "NOT_RELATIVE",
    "UNSMOOTHED",
    "MARK_COLOURS",
    "smoothable",
    "trailing_mean",
    "smoothing_note",
    "draw_reform_marks",
]
