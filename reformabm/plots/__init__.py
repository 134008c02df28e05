"""Seaborn figures shared by the notebooks and the command line (图表).

Every function returns a :class:`matplotlib.figure.Figure` built without pyplot's figure
manager, so nothing is shown twice in a notebook (put the figure last in a cell, or call
``display(fig)``), nothing leaks in a long-running process, and the CLI can ``savefig`` it.

=====================  ==========================================================  ===========
function               what it draws                                               中文
=====================  ==========================================================  ===========
:func:`timeseries`     daily metrics, one panel each, reform days as dashed lines  时间序列
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

import math
import os
import re
import sys
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

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

import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from reformabm.fonts import CJK_FAMILIES, CJKFontWarning, find_cjk_font  # noqa: E402,F401
from reformabm.org.graph import KIND_LABELS as _KIND_LABELS  # noqa: E402

if TYPE_CHECKING:
    from reformabm.compare import Comparison
    from reformabm.model import ReformModel

__all__ = [
    "CJKFontWarning",
    "find_cjk_font",
    "resolve_language",
    "label",
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
]


# ---- language and fonts ------------------------------------------------------------------------


def resolve_language(lang: str) -> tuple[str, list[str] | None]:
    """Return the language actually used for ``lang`` and the font families to draw it with.

    Parameters
    ----------
    lang : {"en", "zh"}
        Requested label language (英文 / 中文).

    Returns
    -------
    (str, list of str or None)
        ``("zh", [cjk_font, "DejaVu Sans"])`` when a CJK font exists, else ``("en", None)``.
        Asking for Chinese without a CJK font warns with :class:`CJKFontWarning`.

    Raises
    ------
    ValueError
        If ``lang`` is neither "en" nor "zh".
    """
    if lang not in ("en", "zh"):
        raise ValueError(f"lang = {lang!r}: expected 'en' (English) or 'zh' (中文)")
    if lang == "en":
        return "en", None
    font = find_cjk_font()
    if font is None:
        warnings.warn(
            "lang='zh': no CJK font found by matplotlib or fontconfig (fc-list :lang=zh); "
            "the figure uses English labels. Install one (e.g. `apt install fonts-noto-cjk`, "
            "or put a .ttf/.otf in ~/.fonts) and restart Python.",
            CJKFontWarning,
            stacklevel=3,
        )
        return "en", None
    return "zh", [font, "DejaVu Sans"]


def _apply_font(fig: Figure, families: list[str] | None) -> Figure:
    """Set ``families`` on every text of ``fig`` (titles, labels, ticks, legends, notes)."""
    if families:
        for t in fig.findobj(Text):
            t.set_fontfamily(families)
    return fig


# ---- vocabulary --------------------------------------------------------------------------------

#: English and Chinese labels of metrics, levers and other keys (see docs/glossary.md).
LABELS: dict[str, tuple[str, str]] = {
    # time and arms
    "day": ("day", "天"),
    "seed": ("seed", "随机种子"),
    "arm": ("arm", "组别"),
    "baseline": ("baseline (no reform)", "基线（无改革）"),
    "reform": ("with reform", "改革"),
    "value": ("value", "数值"),
    # issues
    "open": ("open issues", "未结事件"),
    "latent": ("undiscovered issues", "未发现事件"),
    "in_process": ("known issues in process", "在办事件"),
    "created": ("issues created per day", "每日新增事件"),
    "closed": ("issues closed per day", "每日办结事件"),
    "withdrawn": ("issues given up per day", "每日放弃事件"),
    "created_total": ("issues created", "累计事件"),
    "closed_total": ("issues closed", "累计办结"),
    "withdrawn_total": ("issues given up", "累计放弃"),
    "overdue": ("overdue issues", "超期事件"),
    "leader_queue": ("disputes waiting for leaders", "待领导协调事项"),
    "issues_created": ("issues created", "事件总数"),
    "issues_closed": ("issues closed", "办结事件"),
    # performance
    "closure_rate": ("closure rate", "办结率"),
    "on_time_rate": ("on-time rate", "按时办结率"),
    "days_to_close_mean": ("mean days to close", "平均办结天数"),
    "days_to_close_p50": ("median days to close", "办结天数中位数"),
    "days_to_close_p90": ("90th percentile days to close", "办结天数90分位"),
    "coordination_dependence": ("coordination dependence", "高位协调依赖"),
    "pushback_rate": ("push-back rate", "推诿率"),
    "misdispatch_rate": ("misdispatch rate", "错派率"),
    "formal_closure_share": ("formal-closure share", "形式化办结占比"),
    "involution_index": ("involution index", "内卷化指数"),
    "satisfaction": ("satisfaction", "满意度"),
    "trust": ("trust", "信任"),
    "hops_mean": ("hand-overs per issue", "平均流转次数"),
    "bounces_mean": ("bounces per issue", "平均退回次数"),
    "disputes_to_leader": ("disputes taken to leaders", "提交领导协调"),
    "closed_by_departments": ("closed by departments", "职能部门办结"),
    # structure
    "staff_total": ("total staff (staff-days/day)", "人员总量（人日/日）"),
    "n_layers": ("layers", "层级数"),
    "span_of_control_max": ("largest span of control", "最大管理幅度"),
    "centre_betweenness": ("centre betweenness", "联动中心中介中心度"),
    # accountability
    "yellow": ("yellow lights", "黄灯"),
    "red": ("red lights", "红灯"),
    "supervision_cases": ("supervision cases", "督察案件"),
    "discipline_cases": ("discipline cases", "纪委问责案件"),
    "extensions": ("extensions", "延期"),
    "formal_closures": ("formal closures", "形式化办结"),
    "reopened": ("issues come back", "重新出现事件"),
    "held_closures": ("closures that held", "真实办结"),
    "pressure_mean": ("mean pressure", "平均压力"),
    "strain_mean": ("mean strain", "平均疲劳"),
    # workload
    "effort_staff_days": ("effort (staff-days)", "投入（人日）"),
    "rules": ("rules in force", "规则与指标数"),
    "rule_overhead_share": ("rule overhead share", "规则负担占比"),
    "campaign_active": ("central-work campaign on", "中心工作动员中"),
    "grid_time_lost_share": ("grid time lost to pushed-down tasks", "网格员被下派任务占用时间"),
    "campaigns": ("campaigns", "中心工作动员次数"),
    # utilisation (负荷)
    "utilisation_grid": ("utilisation: grids", "负荷：网格"),
    "utilisation_village": ("utilisation: villages", "负荷：村/社区"),
    "utilisation_area": ("utilisation: areas", "负荷：片区"),
    "utilisation_township": ("utilisation: townships", "负荷：乡镇"),
    "utilisation_county": ("utilisation: county", "负荷：县"),
    "utilisation_city": ("utilisation: city", "负荷：市"),
    "utilisation_centre": ("utilisation: centre", "负荷：联动中心"),
    "utilisation_department": ("utilisation: departments", "负荷：职能部门"),
    "utilisation_leader": ("utilisation: leaders", "负荷：领导"),
    # levers (dotted paths and flat names)
    "centre.authority": ("centre authority", "联动中心权威"),
    "centre_authority": ("centre authority", "联动中心权威"),
    "process.pushback_propensity": ("push-back propensity", "推诿倾向"),
    "process_pushback_propensity": ("push-back propensity", "推诿倾向"),
    "process.distortion_per_hop": ("distortion per hop", "每层信息失真"),
    "process_distortion_per_hop": ("distortion per hop", "每层信息失真"),
    "levels[township].staff": ("township staff", "乡镇人员"),
    "leaders.attention_per_day": ("leader attention (disputes/day)", "领导注意力（件/日）"),
    "leaders_attention_per_day": ("leader attention (disputes/day)", "领导注意力（件/日）"),
    "workload.pushdown_share": ("push-down share", "任务下沉占比"),
    "workload_pushdown_share": ("push-down share", "任务下沉占比"),
    "process.platform": ("digital platform", "数字平台"),
    "process_platform": ("digital platform", "数字平台"),
    "reforms": ("reform schedule", "改革方案"),
    "residents.issues_per_person_year": ("issues per person-year", "人均年事件数"),
    "workload.performance_target": ("performance target", "绩效目标"),
    "workload.rule_overhead_per_rule": ("overhead per rule", "每条规则负担"),
    "workload.campaign_interval_days": ("days between campaigns", "中心工作间隔天数"),
    "workload.rule_growth": ("rule growth", "规则增长"),
    "accountability.blame_rule": ("blame rule", "问责规则"),
    "accountability.supervision_days": ("supervision bureau's limit (days)", "督察时限（天）"),
    "accountability.supervision": ("time-limited supervision", "限时督办"),
    # sensitivity indices
    "S1": ("first order S1", "一阶指数 S1"),
    "ST": ("total ST", "总效应指数 ST"),
    "mu_star": ("Morris mu*", "Morris μ*"),
    "delta": ("Borgonovo delta", "Borgonovo δ（矩独立）"),
    "median": ("PAWN median KS distance", "PAWN 中位 KS 距离"),
    "dgsm": ("DGSM (bounds ST)", "DGSM 导数指标（ST 上界）"),
    "sigma": ("Morris sigma", "Morris σ"),
    "mu": ("Morris mu", "Morris μ"),
    # per level
    "blame_level_": ("blame share", "问责占比"),
    "holding_share_level_": ("holding share", "持有事件占比"),
    "on_time_rate_level_": ("on-time rate", "按时办结率"),
    "closed_level_": ("issues closed", "办结事件"),
    "level": ("required level", "事件层级"),
    # issue events (issues.EventKind)
    "event:created": ("created", "产生"),
    "event:discovered": ("discovered on patrol", "巡查发现"),
    "event:reported": ("reported", "上报"),
    "event:escalated": ("escalated", "逐级上报"),
    "event:assigned_down": ("assigned down", "下派"),
    "event:dispatched": ("dispatched", "派单"),
    "event:misdispatched": ("misdispatched", "错派"),
    "event:pushed_back": ("pushed back", "推诿退回"),
    "event:to_leader": ("to the leader", "提交领导"),
    "event:coordinated": ("coordinated", "领导协调"),
    "event:solved": ("solved", "解决"),
    "event:rejected_at_confirm": ("rejected at confirmation", "确认未通过"),
    "event:closed": ("closed", "办结"),
    "event:withdrawn": ("given up", "放弃"),
    "event:handed_over": ("handed over", "移交"),
}

#: Unit kinds and territorial levels.
KIND_LABELS = _KIND_LABELS  # one table, in reformabm.org.graph
#: Issue level / unit rank 1..7 (an issue of required level k needs a unit of rank >= k).
RANK_LABELS: dict[int, tuple[str, str]] = {
    1: ("1 grid", "1 网格"),
    2: ("2 village", "2 村/社区"),
    3: ("3 township", "3 乡镇"),
    4: ("4 county", "4 县/区"),
    5: ("5 city", "5 市"),
    6: ("6 province", "6 省"),
    7: ("7 central", "7 中央"),
}

#: Metrics never shown in % of their baseline (log ratios that sit near 0).
NOT_RELATIVE = {"involution_index"}

#: Metrics drawn by :func:`timeseries` when none are named.
DEFAULT_TIMESERIES = ["open", "closure_rate", "on_time_rate", "coordination_dependence"]


def label(key: str, lang: str = "en") -> str:
    """Return the English or Chinese label of a metric, lever, index or event ``key``.

    Unknown keys are returned with underscores as spaces; ``blame_level_3`` and the like get
    the label of their prefix and the level.

    Examples
    --------
    >>> label("coordination_dependence"), label("coordination_dependence", "zh")
    ('coordination dependence', '高位协调依赖')
    >>> label("blame_level_1", "zh"), label("some_new_metric"), label("process.some_lever")
    ('问责占比（1 网格）', 'some new metric', 'some lever')
    """
    i = 1 if lang == "zh" else 0
    key = str(key)
    if key in LABELS:
        return LABELS[key][i]
    if key in KIND_LABELS:
        return KIND_LABELS[key][i]
    m = re.fullmatch(r"(.*_level_)(\d)", key)
    if m and m.group(1) in LABELS:
        rank = RANK_LABELS.get(int(m.group(2)), (m.group(2), m.group(2)))[i]
        return (
            f"{LABELS[m.group(1)][i]} ({rank})"
            if lang == "en"
            else f"{LABELS[m.group(1)][i]}（{rank}）"
        )
    return key.rsplit(".", 1)[-1].replace("_", " ")


def _reform_label(name: str, lang: str) -> str:
    if lang == "zh":
        from reformabm.reforms import REGISTRY

        cls = REGISTRY.get(name)
        if cls is not None and cls.label_zh:
            return cls.label_zh
        return {"middle_layer_emerged": "中间层再生"}.get(name, name)
    return name.replace("_", " ")


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


# ---- 1 time series with reform markers ---------------------------------------------------


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
        Draw a centred rolling mean over this many days (per run).
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
        gid ``"reform-mark"``.

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
    data = df.copy()
    if rolling and rolling > 1:
        if group_cols:
            data[metrics] = data.groupby(group_cols)[metrics].transform(
                lambda s: s.rolling(rolling, center=True, min_periods=1).mean()
            )
        else:
            data[metrics] = data[metrics].rolling(rolling, center=True, min_periods=1).mean()
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
        ax.set_ylabel("")
        ax.set_xlabel(label("day", lang))
        for day, _name in marks:
            ax.axvline(
                day, color="#d62728", linestyle="--", linewidth=1.0, alpha=0.85, gid="reform-mark"
            )
        if i == 0:
            by_day: dict[int, list[str]] = {}
            for day, name in marks:  # one label per day, listing that day's reforms
                names = by_day.setdefault(day, [])
                if _reform_label(name, lang) not in names:
                    names.append(_reform_label(name, lang))
            for day, names in by_day.items():
                note = ax.annotate(
                    "\n".join(names),  # rotated: one column per reform of that day
                    (day, 0.98),
                    xycoords=("data", "axes fraction"),
                    xytext=(3, 0),
                    textcoords="offset points",
                    rotation=90,
                    va="top",
                    ha="left",
                    fontsize=7,
                    color="#d62728",
                    gid="reform-label",
                    clip_on=True,
                )
                note.set_in_layout(False)
            _translate_legend(ax, lang)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    if title is None and marks:
        title = (
            "Daily metrics (dashed red: reforms)" if lang == "en" else "每日指标（红色虚线：改革）"
        )
    if title:
        fig.suptitle(title)
    fig.reform_marks = marks  # type: ignore[attr-defined]
    return _apply_font(fig, fam)


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
    lang : {"en", "zh"}
        Label language.
    relative : bool
        Effects in % of the baseline mean (so metrics of different units share an axis);
        rows with a zero baseline and the indices of :data:`NOT_RELATIVE` (the involution
        index is a log ratio near 0) are left out. False: absolute differences.
    title : str, optional
        Title (default: the comparison's scenario and reforms when one Comparison is given).
    width : float
        Figure width in inches.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.effects_data`` holds the plotted rows (``group``, ``metric``, ``x``, ``lo``,
        ``hi``, ``significant``).
    """
    lang, fam = resolve_language(lang)
    if isinstance(table, Mapping):
        groups = {str(k): _effects_frame(v, metrics) for k, v in table.items()}
    else:
        if not isinstance(table, pd.DataFrame) and title is None:
            comp = table
            n = comp.runs.seed.nunique()
            reforms = " + ".join(comp.reforms)
            title = (
                f"{comp.scenario}: {reforms} ({n} seeds)"
                if lang == "en"
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
    if relative:
        base = t["baseline"].abs()
        t = t[(base > 0) & ~t["metric"].isin(NOT_RELATIVE)].copy()
        scale = 100.0 / t["baseline"].abs()
    else:
        scale = pd.Series(1.0, index=t.index)
    t["x"] = t["effect"] * scale
    t["lo"] = (t["ci_low"] * scale).fillna(t["x"])
    t["hi"] = (t["ci_high"] * scale).fillna(t["x"])
    t["significant"] = (t["lo"] > 0) | (t["hi"] < 0)
    order = list(dict.fromkeys(t["metric"]))
    t = t.reset_index(drop=True)
    names = list(groups)
    fig, axes = _new_figure(1, 1, width, 0.42 * max(len(order), 1) * max(1, 0.6 * len(names)) + 1.5)
    ax = axes[0, 0]
    palette = ["#C44E52"] if len(names) == 1 else sns.color_palette("deep", len(names))
    offsets = np.linspace(-0.28, 0.28, len(names)) if len(names) > 1 else [0.0]
    for name, colour, off in zip(names, palette, offsets, strict=True):
        sub = t[t["group"] == name]
        y = np.array([order.index(m) for m in sub["metric"]], float) + off
        ax.hlines(
            y, sub["lo"], sub["hi"], color=colour if name else "#4C72B0", linewidth=2.0, gid="ci"
        )
        sig = sub["significant"].to_numpy(bool)
        ax.scatter(
            sub["x"][sig],
            y[sig],
            s=55,
            color=colour,
            edgecolors="#222222",
            zorder=3,
            label=name or ("CI excludes 0" if lang == "en" else "置信区间不含0"),
        )
        ax.scatter(
            sub["x"][~sig],
            y[~sig],
            s=55,
            facecolors="white",
            edgecolors=colour if name else "#222222",
            linewidths=1.3,
            zorder=3,
            label=None if name else ("CI includes 0" if lang == "en" else "置信区间含0"),
        )
    ax.legend(
        loc="best",
        fontsize=8,
        frameon=True,
        title=None
        if len(names) == 1
        else ("hollow: CI includes 0" if lang == "en" else "空心：置信区间含0"),
        title_fontsize=7,
    )
    ax.axvline(0, color="grey", linewidth=0.9)
    ax.set_yticks(np.arange(len(order)), [label(m, lang) for m in order])
    ax.set_ylim(len(order) - 0.5, -0.5)
    if relative:
        ax.set_xlabel(
            "paired effect, % of baseline (95 % CI)"
            if lang == "en"
            else "配对效应（占基线的 %，95% 置信区间）"
        )
    else:
        ax.set_xlabel(
            "paired effect, reform − baseline (95 % CI)"
            if lang == "en"
            else "配对效应：改革 − 基线（95% 置信区间）"
        )
    ax.set_ylabel("")
    if title:
        ax.set_title(title)
    fig.effects_data = t  # type: ignore[attr-defined]
    return _apply_font(fig, fam)


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


# ---- 5 org-network snapshot ---------------------------------------------------------------------


#: Offset above its rank's row of a unit kind (bands for leaders, centres and quasi-layers).
_ROW_OFFSET = {
    "leader": 0.66,
    "supervision": 0.66,
    "discipline": 0.66,
    "centre": 0.33,
    "department": 0.33,
    "area": 0.5,
}


def _rank_layout(g: nx.DiGraph) -> dict[int, tuple[float, float]]:
    """Place units in rows by ``rank`` (top: highest), spread evenly.

    Leaders, centres with their departments and quasi-layer areas go in bands just above the
    row of their rank.
    """
    rows: dict[float, list[int]] = {}
    for u, d in g.nodes(data=True):
        y = float(d.get("rank", 0)) + _ROW_OFFSET.get(str(d.get("kind", "")), 0.0)
        rows.setdefault(y, []).append(u)
    pos = {}
    for y, us in rows.items():
        us.sort()
        xs = np.linspace(0.0, 1.0, len(us)) if len(us) > 1 else [0.5]
        pos.update({u: (float(x), y) for u, x in zip(us, xs, strict=True)})
    return pos


def _draw_by_rank(
    g: nx.DiGraph,
    lang: str,
    open_counts: Mapping[int, float] | None,
    title: str | None,
    figsize: tuple[float, float],
) -> Figure:
    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.subplots()
    ax.set_axis_off()
    pos = _rank_layout(g)
    kinds = sorted({str(k) for _, k in g.nodes(data="kind")})
    palette = dict(zip(kinds, sns.color_palette("tab10", len(kinds)), strict=True))
    edges = [
        (a, b) for a, b, k in g.edges(data="kind") if k in ("command", "dispatch", "counterpart")
    ]
    nx.draw_networkx_edges(g, pos, edgelist=edges, ax=ax, width=0.4, alpha=0.4, arrows=False)
    for k in kinds:
        us = [u for u, kk in g.nodes(data="kind") if kk == k]
        sizes = [12 + 6 * math.sqrt(open_counts.get(u, 0.0)) if open_counts else 18 for u in us]
        nx.draw_networkx_nodes(
            g,
            pos,
            nodelist=us,
            node_size=sizes,
            node_color=[palette[k]],
            ax=ax,
            label=label(k, lang),
        )
    row_kinds: dict[float, list[str]] = {}
    for u, (_, y) in pos.items():
        k = str(g.nodes[u].get("kind", ""))
        if k not in row_kinds.setdefault(y, []):
            row_kinds[y].append(k)
    for y, ks in row_kinds.items():
        ax.text(
            -0.02, y, " / ".join(label(k, lang) for k in ks), ha="right", va="center", fontsize=7
        )
    ax.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, -0.01),
        ncol=min(len(kinds), 6),
        fontsize=7,
        frameon=False,
    )
    ax.set_title(
        title or ("organisation network by rank" if lang == "en" else "组织网络（按层级）")
    )
    fig.drawn = {k: [u for u, kk in g.nodes(data="kind") if kk == k] for k in kinds}  # type: ignore[attr-defined]
    return fig


def org_network(
    source: ReformModel | nx.DiGraph,
    *,
    lang: str = "en",
    labels: bool = True,
    max_nodes: int = 1500,
    title: str | None = None,
    figsize: tuple[float, float] = (11.0, 6.4),
    use_viz: bool = True,
) -> Figure:
    """Draw a snapshot of the organisation network (组织网络) by level.

    Uses the visualisation's drawing (:func:`reformabm.viz.drawing.draw_org`: rows by level,
    the centre 联动中心 with its departments 职能部门 (条) beside the territorial units 块,
    colour = utilisation 负荷, size = open issues, large graphs folded) when it is installed;
    otherwise a simple layout with one row per ``rank`` (1 grid 网格 … 5 city 市) coloured by
    kind.

    Parameters
    ----------
    source : ReformModel or networkx.DiGraph
        A model (today's load is drawn) or an org graph (``model.org``).
    lang : {"en", "zh"}
        Label language.
    labels : bool
        Label the units of the upper rows (viz drawing only).
    max_nodes : int
        Fold grids (then villages) above this many units (viz drawing only).
    title : str, optional
        Figure title.
    figsize : (float, float)
        Figure size in inches.
    use_viz : bool
        False forces the simple rank layout.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.drawn`` maps each unit kind to the unit ids drawn.
    """
    lang, fam = resolve_language(lang)
    if use_viz:
        try:
            from reformabm.viz.drawing import draw_org
        except ImportError:
            draw_org = None
        if draw_org is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # its own CJK warning: ours was given
                fig = draw_org(
                    source,
                    lang=lang,
                    labels=labels,
                    max_nodes=max_nodes,
                    figsize=figsize,
                    title=title,
                )
            return _apply_font(fig, fam)
    g = source if isinstance(source, nx.DiGraph) else source.org
    counts = None
    if not isinstance(source, nx.DiGraph):
        held = source.held_counts()
        counts = {u: float(held[u]) for u in g.nodes if u < len(held)}
    fig = _draw_by_rank(g, lang, counts, title, figsize)
    return _apply_font(fig, fam)


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
