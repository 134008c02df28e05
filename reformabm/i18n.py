"""Languages of the user-facing text (English / 中文): one resolver and one label table.

:func:`resolve_lang` decides the language of every command, figure and view: an explicit
``--lang en|zh`` (or ``lang=`` argument), else the ``REFORMABM_LANG`` environment variable,
else the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``, ``LANGUAGE``: ``zh_CN.UTF-8`` means
Chinese). :data:`LABELS` holds the English and Chinese label of every metric, lever, index and
event key (the node-kind labels live with the org graph, :data:`reformabm.org.graph.KIND_LABELS`);
:data:`MESSAGES` holds the command line's own sentences.
"""

from __future__ import annotations

import os
import re
from typing import Any

from reformabm.errors import ReformabmError
from reformabm.org.graph import KIND_LABELS

__all__ = ["LanguageError", "LANGS", "LABELS", "RANK_LABELS", "MESSAGES", "resolve_lang", "label", "msg"]

class LanguageError(ReformabmError, ValueError):
    """A language other than English (en) or Chinese (zh) was asked for."""


#: The supported languages.
LANGS = ("en", "zh")


def resolve_lang(lang: str | None = None) -> str:
    """Return ``"en"`` or ``"zh"``: ``lang`` if given, else from the environment and locale.

    Raises
    ------
    LanguageError
        If ``lang`` (or ``REFORMABM_LANG``) is neither "en" nor "zh".

    Examples
    --------
    >>> resolve_lang("zh"), resolve_lang("EN")
    ('zh', 'en')
    """
    source = "lang"
    if lang is None:
        lang, source = os.environ.get("REFORMABM_LANG") or None, "REFORMABM_LANG"
    if lang is None:
        for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
            val = os.environ.get(var)
            if val:
                return "zh" if val.lower().startswith("zh") else "en"
        return "en"
    norm = str(lang).strip().lower().replace("-", "_")
    if norm in ("zh", "zh_cn", "zh_hans", "cn", "中文"):
        return "zh"
    if norm in ("en", "en_us", "en_gb", "english"):
        return "en"
    raise LanguageError(f"{source} = {lang!r}: expected 'en' (English) or 'zh' (中文)")


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
    "issues_open": ("issues open", "未结事件"),
    "issues_withdrawn": ("issues given up (never reported)", "放弃（未上报）事件"),
    # performance
    "closure_rate": ("closure rate", "办结率"),
    "on_time_rate": ("on-time rate", "按时办结率"),
    "days_to_close_mean": ("mean days to close", "平均办结天数"),
    "days_to_close_p50": ("median days to close", "办结天数中位数"),
    "days_to_close_p90": ("90th percentile days to close", "办结天数90分位"),
    "days_to_close_p99": ("99th percentile days to close", "办结天数99分位"),
    "on_time_rate_closed_only": ("on-time rate, closed issues only (as reported)",
                                 "按时办结率（仅已办结，口径同官方）"),
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


#: The command line's own sentences, English and Chinese (``str.format`` fields).
MESSAGES: dict[str, tuple[str, str]] = {
    "run.head": ("reformabm run: scenario {scenario}, seed {seed}, {days} days, population {population:,} "
                 "({wall:.2f} s)",
                 "reformabm run：情景 {scenario}，随机种子 {seed}，{days} 天，人口 {population:,}（{wall:.2f} 秒）"),
    "run.written": ("outputs written to {out}/ ({files})", "结果已写入 {out}/（{files}）"),
    "run.reforms": ("reforms applied:", "已实施的改革："),
    "run.no_reforms": ("reforms applied: none", "已实施的改革：无"),
    "run.reform_row": ("day {day}: {name}", "第 {day} 天：{name}"),
    "col.metric": ("metric", "指标"),
    "col.value": ("value", "数值"),
    "col.unit": ("unit", "单位"),
    "compare.head": ("reformabm compare: {scenario}, reform {reform}, {n} paired seeds, {days} days",
                     "reformabm compare：情景 {scenario}，改革 {reform}，{n} 对随机种子，{days} 天"),
    "compare.written": ("written to {out}/ (effects.csv, effects.parquet, runs.parquet, effects.png)",
                        "已写入 {out}/（effects.csv、effects.parquet、runs.parquet、effects.png）"),
    "validate.tail": ("{passed} of {n} patterns pass; {failed} fail, {without} of them because they hold "
                      "with their mechanism off ({secs:.0f} s)",
                      "{n} 个模式中 {passed} 个通过；{failed} 个未通过，其中 {without} 个因关闭其机制后仍成立"
                      "（{secs:.0f} 秒）"),
    "ablate.tail": ("{ok} of {n} outcomes move in the papers' direction ({secs:.0f} s){failing}",
                    "{n} 项结果中 {ok} 项与论文方向一致（{secs:.0f} 秒）{failing}"),
    "ablate.failing": ("; failing: {names}", "；不一致：{names}"),
    "ablate.written": ("table written to {out}/ablation.csv and ablation.md",
                       "表格已写入 {out}/ablation.csv 与 ablation.md"),
    "validate.written": ("table written to {out}", "表格已写入 {out}"),
    "params.scenario_head": ("parameters of scenario {scenario} ({n} differ from the defaults, marked *)",
                             "情景 {scenario} 的参数（{n} 个与默认值不同，标 *）"),
    "interrupted": ("reformabm: interrupted", "reformabm：已中断"),
    "error": ("reformabm: error: {message}", "reformabm：错误：{message}"),
}


def msg(key: str, lang: str = "en", **fields: Any) -> str:
    """Return the command-line sentence ``key`` in ``lang``, with ``fields`` filled in.

    >>> msg("run.reform_row", "zh", day=180, name="remove_layer")
    '第 180 天：remove_layer'
    """
    en, zh = MESSAGES[key]
    return (zh if lang == "zh" else en).format(**fields)
