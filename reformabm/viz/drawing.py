"""Matplotlib drawings of a run: the organisation network and the daily metrics.

:func:`draw_org` draws the org graph in rows by level
(:func:`reformabm.viz.layout.hierarchical_layout`):
node colour = utilisation today (work / capacity), node size = open issues held, marker by
unit kind, line style by edge kind, labels in English or Chinese. Large graphs are drawn
folded (:func:`reformabm.viz.layout.aggregate_org`). :func:`draw_timeseries` draws open
issues, closure and on-time rates, coordination dependence, involution index, satisfaction
and utilisation over time, with a vertical marker on every day a reform was applied.

Both return a :class:`matplotlib.figure.Figure` made without pyplot (safe in a server
thread, freed by garbage collection). Chinese labels need a CJK font known to matplotlib
(Noto Sans CJK, WenQuanYi, Source Han Sans, Microsoft YaHei, SimHei, PingFang...); without
one, they fall back to English with a :class:`CJKFontWarning`.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import matplotlib
import networkx as nx
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from reformabm.fonts import CJK_FAMILIES, CJKFontWarning, find_cjk_font, resolve_language  # noqa: F401
from reformabm.org.graph import KIND_LABELS as _KIND_LABELS  # noqa: E402
from reformabm.org.graph import EdgeKind, NodeKind
from reformabm.viz.layout import TERRITORIAL_ROWS, aggregate_org, hierarchical_layout

if TYPE_CHECKING:
    import pandas as pd

    from reformabm.model import ReformModel

__all__ = [
    "CJKFontWarning",
    "cjk_font",
    "effective_language",
    "model_view",
    "node_label",
    "draw_org",
    "OrgPlot",
    "draw_timeseries",
    "TimeseriesPlot",
    "reform_marks",
    "figure_png",
    "kind_counts",
    "KIND_LABELS",
    "EDGE_STYLES",
]


# one font lookup for the whole package (reformabm.fonts); kept under the old name here
cjk_font = find_cjk_font


def effective_language(lang: str) -> tuple[str, str | None]:
    """``(language, font)`` actually used for ``lang`` ("en" or "zh").

    Chinese without a CJK font falls back to English with a :class:`CJKFontWarning`; the one
    resolver is :func:`reformabm.fonts.resolve_language`.
    """
    if lang != "zh":
        return "en", None
    used, families = resolve_language("zh")
    return used, families[0] if families else None


# ---- vocabulary ------------------------------------------------------------------------------

KIND_LABELS = _KIND_LABELS  # one table, in reformabm.org.graph

EDGE_STYLES: dict[str, dict[str, Any]] = {
    EdgeKind.COMMAND.value: {
        "color": "#555555",
        "linestyle": "solid",
        "linewidth": 0.7,
        "label": ("command", "领导/指挥"),
    },
    EdgeKind.REPORT.value: {
        "color": "#999999",
        "linestyle": (0, (1, 2)),
        "linewidth": 0.6,
        "label": ("report", "报告"),
    },
    EdgeKind.DISPATCH.value: {
        "color": "#1f77b4",
        "linestyle": (0, (4, 2)),
        "linewidth": 0.8,
        "label": ("dispatch", "派单"),
    },
    EdgeKind.COUNTERPART.value: {
        "color": "#9467bd",
        "linestyle": (0, (1, 1.5)),
        "linewidth": 0.8,
        "label": ("counterpart", "对口"),
    },
    EdgeKind.CONTACT.value: {
        "color": "#2ca02c",
        "linestyle": "dashdot",
        "linewidth": 0.8,
        "label": ("contact", "联系"),
    },
    EdgeKind.MEMBERSHIP.value: {
        "color": "#ff7f0e",
        "linestyle": "solid",
        "linewidth": 1.0,
        "label": ("membership", "隶属"),
    },
}

_MARKERS = {
    "centre": "*",
    "leader": "^",
    "supervision": "p",
    "discipline": "P",
    "department": "s",
    "area": "h",
}
_DRAW_ORDER = [
    *TERRITORIAL_ROWS[::-1],
    "department",
    "supervision",
    "discipline",
    "leader",
    "centre",
]

_FOLDED = {
    "grid": ("grids folded into their village", "网格并入所属村/社区"),
    "grid+village": ("grids and villages folded into their parent unit", "网格、村并入上级单位"),
}

UTIL_CMAP = matplotlib.colormaps["RdYlGn_r"].with_extremes(bad="#d9d9d9")


def _t(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "zh" else pair[0]


def node_label(attrs: dict[str, Any], lang: str = "en") -> str:
    """Return a short label of a unit in ``lang`` ("en" or "zh").

    >>> node_label({"kind": "department", "dept": "civil_affairs", "label_zh": "民政局"})
    'civil affairs'
    >>> node_label({"kind": "township", "name": "township 3", "label_zh": "乡镇/街道"}, "zh")
    '乡镇/街道 3'
    """
    kind = attrs.get("kind", "")
    name = str(attrs.get("name", ""))
    zh = str(attrs.get("label_zh", "") or "")
    if kind == NodeKind.DEPARTMENT:
        if lang == "zh" and zh:
            return zh
        return re.sub(r"_(county|city|township)$", "", str(attrs.get("dept", name))).replace(
            "_", " "
        )
    if kind in ("centre", "leader", "supervision", "discipline"):
        return _t(KIND_LABELS[kind], lang)
    if lang == "zh" and zh:
        m = re.search(r"(\d+)$", name)
        return f"{zh} {m.group(1)}" if m and not re.search(r"\d$", zh) else zh
    return name


# ---- the org graph ---------------------------------------------------------------------------


def model_view(model: ReformModel, max_nodes: int = 1500) -> nx.DiGraph:
    """Return the model's org graph with today's open issues, work and capacity per unit.

    Folded above ``max_nodes`` (see :func:`reformabm.viz.layout.aggregate_org`). O(n + m).
    """
    held = model.held_counts()
    view = aggregate_org(
        model.org,
        {"open": held, "work": model.work_today, "capacity": model.capacity},
        max_nodes=max_nodes,
    )
    view.graph["day"] = int(model.day)
    view.graph["scenario"] = model.scenario_name
    return view


def _as_view(source: ReformModel | nx.DiGraph, max_nodes: int) -> nx.DiGraph:
    if isinstance(source, nx.DiGraph):
        if all("open" in d for _, d in source.nodes(data=True)):
            return source
        return aggregate_org(source, None, max_nodes=max_nodes)
    return model_view(source, max_nodes)


def _utilisation(view: nx.DiGraph, nodes: Sequence[int]) -> np.ndarray:
    work = np.array([view.nodes[u].get("work", 0.0) for u in nodes], float)
    cap = np.array([view.nodes[u].get("capacity", 0.0) for u in nodes], float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(cap > 0, work / np.where(cap > 0, cap, 1.0), np.nan)


def _edge_segments(view: nx.DiGraph, pos: dict[int, tuple[float, float]]) -> dict[str, list]:
    segs: dict[str, list] = {}
    paired = (EdgeKind.COMMAND.value, EdgeKind.DISPATCH.value)
    for a, b, k in view.edges(data="kind"):
        if k == EdgeKind.REPORT and view.has_edge(b, a) and view.edges[b, a]["kind"] in paired:
            continue  # the report line of a command/dispatch pair: drawn once
        if k == EdgeKind.COUNTERPART and a > b and view.has_edge(b, a):
            continue
        segs.setdefault(str(k), []).append((pos[a], pos[b]))
    return segs


def _sizes(view: nx.DiGraph, us: Sequence[int], kind: str, base: float) -> np.ndarray:
    opened = np.array([view.nodes[u].get("open", 0.0) for u in us], float)
    size = np.minimum(base + 14.0 * np.sqrt(np.maximum(opened, 0.0)), 900.0)
    if kind == "centre":
        size = size * 2.2 + 60
    elif kind in ("leader", "department"):
        size = size + 20
    return size


def _signature(view: nx.DiGraph) -> tuple:
    """Return what the layout depends on: units and edges (not today's values)."""
    return (
        tuple(sorted(view.nodes)),
        view.number_of_edges(),
        view.graph.get("folded", ""),
        tuple(sorted((a, b) for a, b, k in view.edges(data="kind") if k == EdgeKind.COMMAND)),
    )


class OrgPlot:
    """A reusable drawing of the org network.

    :meth:`update` redraws only colours, sizes and the title while the structure is
    unchanged, and rebuilds the figure when a reform changed the graph. See
    :func:`draw_org` for the encoding.
    """

    def __init__(
        self,
        lang: str = "en",
        *,
        labels: bool = True,
        figsize: tuple[float, float] = (11.0, 6.4),
        dpi: float = 80,
        title: str | None = None,
    ) -> None:
        self.lang, font = effective_language(lang)
        self.fam = [font, "DejaVu Sans"] if font else None
        self.labels = labels
        self.figsize = figsize
        self.dpi = dpi
        self.fixed_title = title
        self.fig: Figure | None = None
        self._sig: tuple | None = None
        self._scatters: list[tuple[Any, list[int], str]] = []
        self.rebuilds = 0

    def update(self, view: nx.DiGraph) -> Figure:
        """Draw ``view`` (a graph from :func:`model_view` or :func:`aggregate_org`)."""
        sig = _signature(view)
        if self.fig is None or sig != self._sig:
            self._build(view)
            self._sig = sig
        else:
            n = view.number_of_nodes()
            base = 36.0 if n <= 250 else 18.0 if n <= 800 else 10.0
            for coll, us, kind in self._scatters:
                coll.set_array(_utilisation(view, us))
                coll.set_sizes(
                    _sizes(view, us, kind, base)
                    * (1.3 if coll.get_gid().endswith("merged") else 1.0)
                )
        self._set_title(view)
        fig = self.fig
        assert fig is not None
        fig.org_view = view  # type: ignore[attr-defined]
        return fig

    def _set_title(self, view: nx.DiGraph) -> None:
        lang = self.lang
        title = self.fixed_title
        if title is None:
            scen = view.graph.get("scenario", "")
            day = view.graph.get("day", 0)
            folded = view.graph.get("folded", "")
            if lang == "zh":
                title = f"{scen} 组织网络 · 第 {day} 天 · 颜色=负荷，大小=未结事件"
            else:
                title = (f"{scen}: organisation network, day {day}"
                         " · colour = utilisation, size = open issues")
            if folded in _FOLDED:
                title += " · " + _t(_FOLDED[folded], lang)
        self._title.set_text(title)

    def _build(self, view: nx.DiGraph) -> None:
        self.rebuilds += 1
        lang, fam = self.lang, self.fam
        pos = hierarchical_layout(view)
        n = view.number_of_nodes()
        fig = Figure(figsize=self.figsize, dpi=self.dpi)
        ax = fig.add_axes((0.085, 0.1, 0.85, 0.82))
        ax.set_axis_off()
        self._scatters = []

        segs = _edge_segments(view, pos)
        many = view.number_of_edges() > 600
        for k, lines in segs.items():
            st = EDGE_STYLES.get(k, EDGE_STYLES[EdgeKind.COMMAND.value])
            alpha = 0.35 if (many and k in ("command", "report")) else 0.75
            ax.add_collection(
                LineCollection(
                    lines,
                    colors=st["color"],
                    linestyles=st["linestyle"],
                    linewidths=st["linewidth"],
                    alpha=alpha,
                    zorder=1,
                    gid=f"edges:{k}",
                )
            )

        by_kind: dict[str, list[int]] = {}
        for u, k in view.nodes(data="kind"):
            by_kind.setdefault(str(k), []).append(u)
        base = 36.0 if n <= 250 else 18.0 if n <= 800 else 10.0
        norm = matplotlib.colors.Normalize(vmin=0.0, vmax=1.0)
        drawn: dict[str, list[int]] = {}
        for k in sorted(by_kind, key=lambda k: _DRAW_ORDER.index(k) if k in _DRAW_ORDER else -1):
            us = sorted(by_kind[k])
            drawn[k] = us
            groups: list[tuple[list[int], str, str, float]] = []  # units, marker, gid, edge width
            if k == "department":
                merged = [u for u in us if view.nodes[u].get("merged_from")]
                plain = [u for u in us if not view.nodes[u].get("merged_from")]
                if merged:
                    groups.append((merged, "D", "nodes:department:merged", 1.1))
                if plain:
                    groups.append((plain, "s", "nodes:department", 0.5))
            else:
                folded = any(view.nodes[u].get("folded") for u in us)
                groups.append((us, _MARKERS.get(k, "o"), f"nodes:{k}", 1.0 if folded else 0.4))
            for members, marker, gid, lw in groups:
                xy = np.array([pos[u] for u in members], float)
                size = _sizes(view, members, k, base) * (1.3 if gid.endswith("merged") else 1.0)
                coll = ax.scatter(
                    xy[:, 0],
                    xy[:, 1],
                    s=size,
                    c=_utilisation(view, members),
                    cmap=UTIL_CMAP,
                    norm=norm,
                    marker=marker,
                    edgecolors="black",
                    linewidths=lw,
                    linestyle="dashed" if k == "area" else "solid",
                    zorder=2 if k == "grid" else 3,
                    plotnonfinite=True,
                    gid=gid,
                )
                self._scatters.append((coll, members, k))

        # row labels at the left margin
        rows = {k: pos[us[0]][1] for k, us in drawn.items() if k in TERRITORIAL_ROWS}
        trans = ax.get_yaxis_transform()
        fs = 8 if n <= 800 else 7
        for k, y in rows.items():
            ax.text(
                -0.01,
                y,
                _t(KIND_LABELS[k], lang),
                transform=trans,
                ha="right",
                va="center",
                fontsize=fs,
                color="#333333",
                fontfamily=fam,
            )
            ax.text(
                -0.01,
                y - 0.28,
                f"×{len(drawn[k])}",
                transform=trans,
                ha="right",
                va="center",
                fontsize=fs - 1,
                color="#777777",
            )
        for k in ("leader", "centre"):
            if k in drawn:
                y = pos[drawn[k][0]][1]
                ax.text(
                    -0.01,
                    y,
                    _t(KIND_LABELS[k], lang),
                    transform=trans,
                    ha="right",
                    va="center",
                    fontsize=fs - 1,
                    color="#777777",
                    fontfamily=fam,
                )
        if self.labels:
            _labels(ax, view, pos, drawn, lang, fam, fs)

        xs = [p[0] for p in pos.values()] or [0.0]
        ys = [p[1] for p in pos.values()] or [0.0]
        ax.set_xlim(min(xs) - 0.03, max(xs) + 0.03)
        ax.set_ylim(min(ys) - 0.6, max(ys) + 0.6)

        sm = matplotlib.cm.ScalarMappable(norm=norm, cmap=UTIL_CMAP)
        cax = fig.add_axes((0.945, 0.25, 0.012, 0.55))
        cb = fig.colorbar(sm, cax=cax)
        cb.set_label(
            _t(("utilisation (work / capacity)", "负荷（工作量/能力）"), lang),
            fontsize=fs,
            fontfamily=fam,
        )
        cb.ax.tick_params(labelsize=fs - 1)

        handles = []
        for k in segs:
            st = EDGE_STYLES.get(k, EDGE_STYLES[EdgeKind.COMMAND.value])
            handles.append(
                Line2D(
                    [],
                    [],
                    color=st["color"],
                    linestyle=st["linestyle"],
                    linewidth=max(st["linewidth"], 1.0),
                    label=_t(st["label"], lang),
                )
            )
        for k in drawn:
            handles.append(
                Line2D(
                    [],
                    [],
                    color="#bbbbbb",
                    marker=_MARKERS.get(k, "o"),
                    linestyle="",
                    markeredgecolor="black",
                    markersize=6,
                    label=_t(KIND_LABELS[k], lang),
                )
            )
        if any(g.endswith("merged") for c, _, _ in self._scatters for g in [c.get_gid()]):
            handles.append(
                Line2D(
                    [],
                    [],
                    color="#bbbbbb",
                    marker="D",
                    linestyle="",
                    markeredgecolor="black",
                    markersize=6,
                    label=_t(("merged department", "合并后大部门"), lang),
                )
            )
        leg = ax.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.005),
            ncol=min(len(handles), 9),
            frameon=False,
            handlelength=2.2,
            columnspacing=1.0,
            prop={"family": fam, "size": fs - 1} if fam else {"size": fs - 1},
        )
        leg.set_gid("legend")
        self._title = fig.suptitle("", fontsize=fs + 2, fontfamily=fam, y=0.985)
        fig.drawn = drawn  # type: ignore[attr-defined]
        self.fig = fig


def draw_org(
    source: ReformModel | nx.DiGraph,
    *,
    lang: str = "en",
    labels: bool = True,
    max_nodes: int = 1500,
    figsize: tuple[float, float] = (11.0, 6.4),
    dpi: float = 80,
    title: str | None = None,
) -> Figure:
    """Draw the organisation network of a model (or of an org graph / a view of one).

    Rows by level (leaders, centre with departments beside it, then the territorial levels);
    node colour = utilisation today (work / capacity; grey: no capacity), node size = open
    issues held, marker by kind (merged big departments: diamonds; quasi-layer areas:
    hexagons), line style by edge kind (the report line of a command or dispatch pair is not
    drawn twice).

    Parameters
    ----------
    source : ReformModel or networkx.DiGraph
        A model (today's values are drawn) or a graph (a raw org graph: zero values).
    lang : {"en", "zh"}
        Label language; "zh" falls back to English without a CJK font (with a warning).
    labels : bool
        Label the units of the upper rows (grids are never labelled; villages and
        townships only when few).
    max_nodes : int
        Fold grids (then villages) above this many units.
    figsize, dpi :
        Figure size in inches and resolution.
    title : str, optional
        Title (default: scenario, day and what was folded).

    Returns
    -------
    matplotlib.figure.Figure
        With attributes ``org_view`` (the drawn graph) and ``drawn`` (kind -> unit ids).
    """
    view = _as_view(source, max_nodes)
    return OrgPlot(lang, labels=labels, figsize=figsize, dpi=dpi, title=title).update(view)


def _labels(
    ax: Any,
    view: nx.DiGraph,
    pos: dict,
    drawn: dict[str, list[int]],
    lang: str,
    fam: list[str] | None,
    fs: int,
) -> None:
    counts = {k: len(v) for k, v in drawn.items()}
    n_depts = counts.get("department", 0)
    top_dept_y = max((pos[u][1] for u in drawn.get("department", [])), default=None)
    for k, us in drawn.items():
        if (
            k == "grid"
            or (k == "village" and counts[k] > 24)
            or (k == "township" and counts[k] > 40)
        ):
            continue
        for u in us:
            a = view.nodes[u]
            x, y = pos[u]
            text = node_label(a, lang)
            if a.get("folded"):
                continue
            if k == "department":
                if n_depts > 60 and y != top_dept_y:
                    continue
                ax.annotate(
                    text,
                    (x, y),
                    xytext=(2, -6),
                    textcoords="offset points",
                    ha="right",
                    va="top",
                    rotation=35,
                    fontsize=fs - 1.5,
                    fontfamily=fam,
                    color="#222222",
                    rotation_mode="anchor",
                )
            elif k in ("supervision", "discipline"):
                continue  # told apart by marker (legend); labels would hit the leaders'
            elif k in ("leader", "centre"):
                if counts[k] > 4:
                    continue
                ax.annotate(
                    text,
                    (x, y),
                    xytext=(0, 7 if k == "leader" else 8),
                    textcoords="offset points",
                    ha="center",
                    va="bottom",
                    fontsize=fs - 1,
                    fontfamily=fam,
                )
            else:
                ax.annotate(
                    text,
                    (x, y),
                    xytext=(0, -8),
                    textcoords="offset points",
                    ha="center",
                    va="top",
                    fontsize=fs - 1.5,
                    fontfamily=fam,
                    color="#222222",
                )


def kind_counts(view: nx.DiGraph) -> dict[str, int]:
    """Count the drawn units per kind (folded units count once)."""
    return dict(Counter(str(k) for _, k in view.nodes(data="kind")))


# ---- the daily metrics -------------------------------------------------------------------------

PANELS: list[tuple[list[str], tuple[str, str], list[tuple[str, str]]]] = [
    (
        ["open", "in_process"],
        ("Open issues", "未结事件"),
        [
            ("all open (incl. undiscovered)", "全部未结（含未发现）"),
            ("known, in process", "已知在办"),
        ],
    ),
    (
        ["closure_rate", "on_time_rate"],
        ("Closure and on-time rates", "办结率与按时办结率"),
        [("closure rate", "办结率"), ("on-time rate", "按时办结率")],
    ),
    (
        ["coordination_dependence"],
        ("Coordination dependence", "高位协调依赖"),
        [("share needing leaders", "需领导协调占比")],
    ),
    (
        ["involution_index"],
        ("Involution index", "内卷化指数"),
        [("ln effort/outcome vs reference", "努力/产出对数比")],
    ),
    (
        ["satisfaction", "trust"],
        ("Satisfaction and trust", "满意度与信任"),
        [("satisfaction", "满意度"), ("trust", "信任")],
    ),
    (
        [
            "utilisation_department",
            "utilisation_township",
            "utilisation_centre",
            "utilisation_grid",
        ],
        ("Utilisation by unit kind", "各类单位负荷"),
        [
            ("departments", "职能部门"),
            ("townships", "乡镇"),
            ("centre", "联动中心"),
            ("grids", "网格"),
        ],
    ),
]


def reform_marks(source: ReformModel | pd.DataFrame) -> list[tuple[int, str]]:
    """``(day, name)`` of every reform applied: from a model's records, or a frame's ``reform``."""
    if hasattr(source, "reforms_applied"):
        return [(int(r.get("day", 0)), str(r.get("name", ""))) for r in source.reforms_applied]
    out: list[tuple[int, str]] = []
    if "reform" in getattr(source, "columns", []):
        for day, text in zip(source["day"], source["reform"], strict=False):
            for name in str(text or "").split("+"):
                if name:
                    out.append((int(day), name))
    return out


class TimeseriesPlot:
    """A reusable figure of six panels of daily metrics; :meth:`update` only sets new data.

    Building the axes costs more than drawing them, so a live view keeps one of these per
    model and language and calls :meth:`update` every frame.
    """

    def __init__(
        self, lang: str = "en", figsize: tuple[float, float] = (11.0, 5.2), dpi: float = 80
    ):
        from matplotlib.ticker import MaxNLocator

        self.lang, font = effective_language(lang)
        self.fam = [font, "DejaVu Sans"] if font else None
        self.fig = Figure(figsize=figsize, dpi=dpi)
        self.axes = self.fig.subplots(2, 3, sharex=True)
        self.fig.subplots_adjust(
            left=0.06, right=0.99, top=0.88, bottom=0.1, wspace=0.22, hspace=0.34
        )
        self.lines: list[tuple[str, Line2D]] = []
        self.empty: list[Any] = []
        self._marks: list[tuple[int, str]] = []
        for ax, (cols, title, names) in zip(self.axes.flat, PANELS, strict=True):
            ax.set_title(_t(title, self.lang), fontsize=9, fontfamily=self.fam)
            ax.tick_params(labelsize=7)
            ax.yaxis.set_major_locator(MaxNLocator(4))
            ax.xaxis.set_major_locator(MaxNLocator(5, integer=True))
            for col, nm in zip(cols, names, strict=True):
                (line,) = ax.plot([], [], linewidth=1.2, label=_t(nm, self.lang))
                self.lines.append((col, line))
            if len(cols) > 1:
                ax.legend(
                    fontsize=6,
                    loc="best",
                    frameon=False,
                    prop={"family": self.fam, "size": 6} if self.fam else None,
                )
            self.empty.append(
                ax.text(
                    0.5,
                    0.5,
                    _t(("no data yet", "暂无数据"), self.lang),
                    transform=ax.transAxes,
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="#888888",
                    fontfamily=self.fam,
                )
            )
        for ax in self.axes[1]:
            ax.set_xlabel(_t(("day", "天"), self.lang), fontsize=7, fontfamily=self.fam)
        self.title = self.fig.suptitle("", fontsize=10, fontfamily=self.fam, x=0.01, ha="left")

    def update(self, df: pd.DataFrame, marks: Sequence[tuple[int, str]] = ()) -> Figure:
        """Show ``df`` (a model's ``timeseries()``) and reform markers; return the figure."""
        n = len(df)
        days = df["day"].to_numpy(dtype=float) if n and "day" in df else np.zeros(0)
        has = dict.fromkeys(range(len(PANELS)), False)
        panel_of = {c: i for i, (cols, _, _) in enumerate(PANELS) for c in cols}
        for col, line in self.lines:
            y = df[col].to_numpy(dtype=float) if n and col in df else np.zeros(0)
            if len(y) != len(days):
                y = np.zeros(0)
            line.set_data(days[: len(y)], y)
            if len(y) and np.isfinite(y).any():
                has[panel_of[col]] = True
        for i, ax in enumerate(self.axes.flat):
            self.empty[i].set_visible(not has[i])
            ax.relim()
            ax.autoscale_view(scalex=False)
        last = int(days[-1]) if len(days) else 0
        self.axes[0, 0].set_xlim(0, max(last, 1))
        marks = list(marks)
        if marks != self._marks:
            from reformabm.plots import draw_reform_marks

            for ax in self.axes.flat:
                for artist in [a for a in ax.lines if a.get_gid() == "reform-mark"]:
                    artist.remove()
            for leg in list(self.fig.legends):
                leg.remove()
            leg = draw_reform_marks(self.fig, list(self.axes.flat), marks, self.lang, loc="upper right",
                                    bbox_to_anchor=(0.995, 0.995), fontsize=6)
            if leg is not None and self.fam:
                for txt in [*leg.get_texts(), leg.get_title()]:
                    txt.set_fontfamily(self.fam)
            self._marks = marks
        self.title.set_text(
            _t(
                (
                    f"Daily metrics to day {last} (dashed lines: reform days)",
                    f"每日指标（至第 {last} 天；虚线：改革日）",
                ),
                self.lang,
            )
        )
        self.fig.reform_marks = marks  # type: ignore[attr-defined]
        return self.fig


def draw_timeseries(
    source: ReformModel | pd.DataFrame,
    *,
    reforms: Sequence[tuple[int, str]] | None = None,
    lang: str = "en",
    figsize: tuple[float, float] = (11.0, 5.2),
    dpi: float = 80,
) -> Figure:
    """Six panels of daily metrics with a dashed vertical line on every reform day.

    Open issues, closure and on-time rates, coordination dependence, involution index,
    satisfaction (and trust), utilisation by unit kind.

    Parameters
    ----------
    source : ReformModel or pandas.DataFrame
        A model (its ``timeseries()``) or that frame.
    reforms : list of (day, name), optional
        Reform markers (default: :func:`reform_marks` of ``source``).
    lang : {"en", "zh"}
        Language of titles and legends (Chinese needs a CJK font, else English).
    """
    df = source.timeseries() if hasattr(source, "timeseries") else source
    marks = list(reforms) if reforms is not None else reform_marks(source)
    return TimeseriesPlot(lang, figsize, dpi).update(df, marks)


def figure_png(fig: Figure, dpi: float | None = None) -> bytes:
    """Render the figure as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(
        buf, format="png", dpi=dpi or fig.dpi, facecolor="white", pil_kwargs={"compress_level": 1}
    )
    return buf.getvalue()
