"""The organisation network (组织网络): one drawing, shared with the viz.

:func:`org_network` is :func:`reformabm.viz.drawing.draw_org` (rows by level, the centre
联动中心 with its departments 职能部门 (条) beside the territorial units 块, colour =
utilisation 负荷, size = open issues, large graphs folded) with the plots' language handling;
``reformabm.viz.drawing`` needs only networkx and matplotlib, so there is no second drawing.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import networkx as nx
from matplotlib.figure import Figure

from reformabm.fonts import resolve_language
from reformabm.plots._base import _apply_font

if TYPE_CHECKING:
    from reformabm.model import ReformModel

__all__ = ["org_network"]


def org_network(
    source: ReformModel | nx.DiGraph,
    *,
    lang: str = "en",
    labels: bool = True,
    max_nodes: int = 1500,
    title: str | None = None,
    figsize: tuple[float, float] = (11.0, 6.4),
) -> Figure:
    """Draw a snapshot of the organisation network (组织网络) by level.

    Parameters
    ----------
    source : ReformModel or networkx.DiGraph
        A model (today's load is drawn) or an org graph (``model.org``).
    lang : {"en", "zh"}
        Label language.
    labels : bool
        Label the units of the upper rows.
    max_nodes : int
        Fold grids (then villages) above this many units.
    title : str, optional
        Figure title.
    figsize : (float, float)
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.drawn`` maps each unit kind to the unit ids drawn; ``fig.org_view`` is the graph
        drawn.
    """
    from reformabm.viz.drawing import draw_org

    lang, fam = resolve_language(lang)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # its own CJK warning: ours was given
        fig = draw_org(source, lang=lang, labels=labels, max_nodes=max_nodes, figsize=figsize, title=title)
    return _apply_font(fig, fam)
