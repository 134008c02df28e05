"""One bilingual vocabulary (English / 中文) for the CLI, the plots, the viz and the notebooks.

- :data:`LABELS`: metrics, levers, indices and issue events; :data:`KIND_LABELS` (unit kinds,
  defined with :class:`reformabm.org.graph.NodeKind`) and :data:`RANK_LABELS` (levels 1-7).
- :func:`label`: the label of a key in ``"en"``, ``"zh"`` or ``"both"`` (``on-time rate
  按时办结率``); :func:`reform_label` the same for reforms (their ``label_zh``).
- :func:`unit_kind` / :func:`unit_label`: the kind of unit a metric is measured in (share,
  days, count, …), so that effects of different units are never drawn on one axis.
- :data:`NOT_RELATIVE`: metrics never shown as a relative change (indices near zero).

Pure data and string functions: importing this module draws nothing and needs no font.
"""

from __future__ import annotations

import re

from reformabm.org.graph import KIND_LABELS as _KIND_LABELS

__all__ = ["LABELS", "KIND_LABELS", "RANK_LABELS", "UNIT_KINDS", "NOT_RELATIVE", "label", "reform_label",
           "unit_kind", "unit_label"]

#: English and Chinese labels of metrics, levers and other keys (see docs/glossary.md).
LABELS: dict[str, tuple[str, str]] = {
    "days_to_close_p99": ("99th percentile days to close", "办结天数99分位"),
    "issues_open": ("issues open", "未结事件"),
    "issues_withdrawn": ("issues given up (never reported)", "放弃（未上报）事件"),
    "on_time_rate_closed_only": ("on-time rate, closed issues only (as reported)",
                                 "按时办结率（仅已办结，口径同官方）"),
    # calibration metrics (reformabm.calibration.METRICS) and counts of complaints
    "min_escalated_on_time": ("lowest on-time rate of the escalated levels", "上报各级最低按时率"),
    "ledger_closure_share": ("ledger cases closed", "台账办结率"),
    "ledger_satisfaction": ("ledger cases satisfied", "台账满意率"),
    "ledger_per_1000_year": ("ledger cases per 1,000 a year", "每千人年台账件数"),
    "population": ("population", "人口"),
    "ledger_unsettled_share": ("ledger claims never settled", "台账诉求未化解占比"),
    "complaints": ("complaints", "投诉"),
    "overdue_calls": ("calls about overdue issues", "催办来电"),
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
    "event:answered": ("answered, not settled", "答复未办结"),
}

#: Unit kinds and territorial levels.
KIND_LABELS = _KIND_LABELS  # defined with the node kinds, in reformabm.org.graph
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
    >>> label("on_time_rate", "both")
    'on-time rate 按时办结率'
    >>> label("days_to_close_p99_closed_only", "zh")
    '办结天数99分位（仅已办结）'
    """
    if lang == "both":
        en, zh = label(key, "en"), label(key, "zh")
        return en if en == zh else f"{en} {zh}"
    i = 1 if lang == "zh" else 0
    key = str(key)
    if key in LABELS:
        return LABELS[key][i]
    if key in KIND_LABELS:
        return KIND_LABELS[key][i]
    if key.endswith("_closed_only") and key[: -len("_closed_only")] in LABELS:
        base = LABELS[key[: -len("_closed_only")]][i]
        return f"{base}, closed issues only" if lang == "en" else f"{base}（仅已办结）"
    m = re.fullmatch(r"(.*_level_)(\d)", key)
    if m and m.group(1) in LABELS:
        rank = RANK_LABELS.get(int(m.group(2)), (m.group(2), m.group(2)))[i]
        return (
            f"{LABELS[m.group(1)][i]} ({rank})"
            if lang == "en"
            else f"{LABELS[m.group(1)][i]}（{rank}）"
        )
    return key.rsplit(".", 1)[-1].replace("_", " ")


def reform_label(name: str, lang: str = "en") -> str:
    """A reform's name in English (``remove layer``) or Chinese (its ``label_zh``)."""
    if lang == "both":
        en, zh = reform_label(name, "en"), reform_label(name, "zh")
        return en if en == zh else f"{en} {zh}"
    if lang == "zh":
        from reformabm.reforms import REGISTRY

        cls = REGISTRY.get(name)
        if cls is not None and cls.label_zh:
            return cls.label_zh
        return {"middle_layer_emerged": "中间层再生"}.get(name, name)
    return name.replace("_", " ")


#: Metrics never shown as a change relative to their baseline (indices that sit near zero or
#: change sign: a log ratio such as the involution index).
NOT_RELATIVE = {"involution_index"}

#: Kinds of unit a metric is measured in: (English, Chinese) axis wording.
UNIT_KINDS: dict[str, tuple[str, str]] = {
    "share": ("share, 0-1", "比例（0–1）"),
    "days": ("days", "天"),
    "count": ("count", "件数"),
    "per_issue": ("per issue", "每件事件"),
    "staff": ("staff-days per day", "人日/日"),
    "structure": ("units of the organisation", "组织单元数"),
    "index": ("index", "指数"),
    "other": ("own unit", "原单位"),
}
_UNIT_OF = {
    "satisfaction": "share", "resident_satisfaction": "share", "trust": "share",
    "coordination_dependence": "share", "patrol_share": "share",
    "hops_mean": "per_issue", "bounces_mean": "per_issue",
    "staff_total": "staff", "campaign_staff_days": "staff", "effort_staff_days": "staff",
    "n_layers": "structure", "span_of_control_max": "structure",
    "involution_index": "index", "centre_betweenness": "index", "pressure_mean": "index",
    "strain_mean": "index", "issues_per_1000_people": "count", "rules": "count",
}


def unit_kind(metric: str) -> str:
    """The kind of unit ``metric`` is measured in (a key of :data:`UNIT_KINDS`).

    Examples
    --------
    >>> [unit_kind(m) for m in ["on_time_rate", "days_to_close_mean", "issues_open", "n_layers",
    ...                          "utilisation_department", "involution_index", "hops_mean"]]
    ['share', 'days', 'count', 'structure', 'share', 'index', 'per_issue']
    """
    m = str(metric)
    if m in _UNIT_OF:
        return _UNIT_OF[m]
    if m.startswith(("days_to_close", "days_known_to_close")):
        return "days"
    if re.search(r"(_rate|_share)(_|$)", m) or m.startswith(("utilisation_", "on_time_rate", "blame_level_",
                                                              "holding_share_level_")):
        return "share"
    if m.startswith(("issues_", "closed_level_")) or m in {
            "reopened", "formal_closures", "held_closures", "extensions", "supervision_cases",
            "discipline_cases", "dispatches", "pushbacks", "misdispatches", "disputes_to_leader",
            "disputes_settled_by_centre", "rejected_at_confirmation", "campaigns", "rules_added",
            "discovered_by_patrol", "reported_by_residents", "found_by_contacts", "self_resolved",
            "ledger_entries", "complaints", "overdue_calls", "handed_over", "issue_events"}:
        return "count"
    return "other"


def unit_label(kind: str, lang: str = "en") -> str:
    """Axis wording of a unit kind (``share, 0-1`` / ``比例（0–1）``)."""
    en, zh = UNIT_KINDS.get(kind, UNIT_KINDS["other"])
    return zh if lang == "zh" else f"{en} {zh}" if lang == "both" else en
