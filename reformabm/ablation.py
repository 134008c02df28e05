"""Ablation suite (消融检验): every mechanism switched off and on over paired seeds.

A mechanism of the model counts only when switching it off at the shipped defaults removes
the effect it is meant to produce (pattern-oriented modelling; DESIGN.md 3.4). This module
declares, once, for each mechanism of DESIGN.md: its name (English and Chinese), the seed
paper and section that describe it, the shipped scenario that represents that paper, the run
length, the switch that turns it OFF (and ON, where the scenario's default is off), and the
outcomes it must move with their direction and a minimal size.

:func:`ablate` runs both arms of each mechanism with the same seeds (common random numbers:
the same ``rng`` seed on and off) and returns one row per (mechanism, outcome): the means on
and off, the mean paired difference ``on - off`` with its 95 % Student-t interval, and whether
the direction holds. ``reformabm ablate [NAMES...]`` prints and writes the table and exits 1
when a direction fails.

An arm is data: dotted-path ``overrides`` of the scenario, extra ``reforms`` (CLI syntax
``name:k=v@day``), ``drop_reforms`` (names of the scenario's ``[[reforms]]`` left out) and
``reform_params`` (``{reform name: {field: value}}`` changing a scenario reform's fields) and
``department_staff`` (a factor on every department's staff).

Examples
--------
>>> sorted(MECHANISMS)[:3]
['blame_rule', 'campaigns', 'centre_authority_pushback']
>>> MECHANISMS["supervision"].paper
'002'
"""

from __future__ import annotations

import json
import math
import multiprocessing
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from reformabm.errors import OutputError, ReformabmError

__all__ = [
    "AblationError", "Arm", "Outcome", "Mechanism", "MECHANISMS", "select_mechanisms",
    "check_mechanism", "ablate", "format_markdown", "write_table",
]


class AblationError(ReformabmError, ValueError):
    """A mechanism name is unknown or an entry of the registry cannot be run (names it)."""


@dataclass(frozen=True)
class Arm:
    """One arm: what it changes on the shipped scenario (nothing: the scenario as shipped)."""

    overrides: dict[str, Any] = field(default_factory=dict)
    reforms: tuple[str, ...] = ()
    drop_reforms: tuple[str, ...] = ()
    reform_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    department_staff: float = 1.0  # factor on every department's staff


DEFAULTS = Arm()


@dataclass(frozen=True)
class Outcome:
    """An outcome a mechanism must move: metric, direction of ``on - off``, minimal size.

    ``metric`` is a key of :meth:`ReformModel.summary` or a derived metric of
    :data:`reformabm.calibration.METRICS`. ``direction`` ``"up"``: the mean paired difference
    on - off must exceed ``min_effect`` and its 95 % confidence interval lie above 0;
    ``"down"``: the same below ``-min_effect`` and 0.
    """

    metric: str
    direction: Literal["up", "down"]
    min_effect: float = 0.0


@dataclass(frozen=True)
class Mechanism:
    """A mechanism of DESIGN.md with its ablation: where it is shown, how it is switched off."""

    name: str
    label: str
    label_zh: str
    paper: str
    source: str
    statement: str
    scenario: str
    days: int
    outcomes: tuple[Outcome, ...]
    off: Arm
    on: Arm = DEFAULTS
    seeds: int = 10


def _m(name: str, label: str, label_zh: str, paper: str, source: str, statement: str,
       scenario: str, days: int, outcomes: Iterable[Outcome], off: Arm, on: Arm = DEFAULTS,
       seeds: int = 10) -> Mechanism:
    return Mechanism(name, label, label_zh, paper, source, statement, scenario, days,
                     tuple(outcomes), off, on, seeds)


_up = lambda metric, size=0.0: Outcome(metric, "up", size)  # noqa: E731
_down = lambda metric, size=0.0: Outcome(metric, "down", size)  # noqa: E731

#: The registry: every mechanism of DESIGN.md (3.2 process, 3.3 reforms) by name.
MECHANISMS: dict[str, Mechanism] = {m.name: m for m in (
    # ---- 002 Kaifeng: time-limited supervision ------------------------------------------
    _m("supervision", "supervision bureau, lights and discipline", "督察局·红黄灯·纪委监委问责", "002",
       "002-14, 002-16",
       "Yellow and red lights, the supervision bureau and the discipline commission press holders "
       "to close within the '135710' limits.",
       "kaifeng_small", 120, [_up("on_time_rate", 0.001)],
       off=Arm({"accountability.supervision": False})),
    _m("extensions", "extensions at the yellow light", "延期申请", "002", "002-15",
       "Complex events may apply for an extension (up to 15 days in all) and then close within it.",
       "kaifeng_small", 120, [_up("on_time_rate_extended", 0.001), _up("extensions", 10)],
       off=Arm({"accountability.extension_rule": "none"})),
    _m("platform", "digital platform with level pass-through", "数字平台·五层贯通", "002",
       "002-04, 002-05, 002-06, 002-07",
       "The five connected tiers on one platform cut hand-over delay and distortion: events close sooner.",
       "kaifeng_small", 120, [_down("days_known_to_close_mean", 0.5), _down("hops_mean", 0.1)],
       off=Arm({"process.platform": False})),
    _m("closed_loop", "closed loop: the reporting grid worker confirms closure", "闭环·一口进一口出", "002",
       "002-08, 002-13; 000-16",
       "The grid worker who reported an event confirms its closure, so solutions that did not hold "
       "are caught before the problem comes back.",
       "kaifeng_small", 120, [_down("reopened_rate", 0.005), _up("rejected_at_confirmation", 50)],
       off=Arm({"process.closed_loop": False})),
    _m("trust_feedback", "trust feedback on reporting", "信任反馈", "002",
       "DESIGN 3.2; 002-08",
       "Residents' experiences move their trust, and trust moves how readily they report: "
       "problems become known sooner.",
       "kaifeng_small", 120, [_down("latent_days_mean", 0.005)],
       off=Arm({"residents.trust_rate": 0.0})),
    # ---- 000 Z city: linkage centre, authority, leader, load ------------------------------
    _m("centre_authority_pushback", "centre authority damps push-back", "中心权威抑制推诿", "000",
       "000-05, 000-14, 000-17",
       "Departments push residual matters back to a centre whose authority is borrowed; "
       "the centre's authority damps push-back.",
       "z_city", 120, [_down("pushback_rate", 0.01)],
       off=Arm({"centre.authority": 0.0})),
    _m("centre_settlement", "centre settles disputes without the leader", "中心自行协调", "000",
       "000-05, 000-06, 000-17",
       "The centre settles part of the disputes itself, as far as its authority goes; the rest need "
       "the leaders (高位协调依赖). Off: authority 0 with push-back held equal "
       "(collaboration_weight = 0.3 gives the same push-back probability).",
       "z_city", 120, [_down("coordination_dependence", 0.01)],
       off=Arm({"centre.authority": 0.0, "process.collaboration_weight": 0.3})),
    _m("leader_attention", "the leaders' finite attention", "领导注意力", "000", "000-17",
       "Disputes wait for the leaders' coordination; with scarce attention they wait longer. "
       "Off: a tenth of the attention.",
       "z_city", 120, [_up("on_time_rate", 0.001), _down("days_to_close_mean", 0.5)],
       off=Arm({"leaders.attention_per_day": 2.4})),
    _m("department_staff", "response capacity: the departments' staff", "部门编制（响应能力）", "000",
       "000-01, 000-18",
       "Governance load rising against insufficient response capacity: with fewer staff, issues "
       "close later and fewer on time. Off: every department with 30 % fewer staff.",
       "z_city", 120, [_up("on_time_rate", 0.002), _down("days_to_close_mean", 0.1)],
       off=Arm(department_staff=0.7)),
    _m("formal_closure", "formal closure under pressure", "形式化办结", "000",
       "000-21; 003-18",
       "Pressed holders close on paper what they would otherwise miss, to meet the indicators.",
       "z_city", 120, [_up("on_time_rate", 0.0005), _up("formal_closure_share", 0.005)],
       off=Arm({"accountability.formal_closure_propensity": 0.0})),
    _m("complaints", "complaints and repeat calls (12345)", "投诉·重复来电", "000",
       "000-07; 003-05",
       "A resident whose problem is overdue calls again (催办), or complains once it closes late; "
       "the repeat call counts against the unit holding or having handled it, so it adds to the "
       "pressure on units.",
       "z_city", 120, [_up("pressure_mean", 0.003), _up("overdue_calls", 100), _up("complaints", 100)],
       off=Arm({"residents.complaint_threshold": 0.0})),
    _m("pushdown", "push-down of departments' tasks to grids", "职责下沉（职责错位）", "000",
       "000-13; 002-21, 002-22",
       "Line departments load their own tasks onto grid workers, which eats patrol time: "
       "problems are found later and less often on patrol.",
       "z_city", 120, [_up("latent_days_mean", 0.05), _down("patrol_share", 0.03)],
       off=Arm({"workload.pushdown_share": 0.0})),
    _m("campaigns", "central-work campaigns", "中心工作动员", "000", "000-19, 000-20",
       "Frequent mobilisation for central work takes departments off routine work.",
       "z_city", 120, [_down("on_time_rate", 0.002)],
       off=Arm({"workload.campaign_interval_days": 0})),
    _m("rule_growth", "rule growth and the involution trap", "规则增长·内卷化", "000",
       "000-21; 003-17",
       "When performance disappoints, ever more rules are added: overhead and effort rise while "
       "the outcome they target does not improve.",
       "z_city", 365, [_up("rules", 10), _up("involution_index", 0.5), _up("rule_overhead_share", 0.05)],
       off=Arm({"workload.rule_growth": False})),
    # ---- 001 multi-level chain -----------------------------------------------------------
    _m("distortion", "distortion per hop", "逐级信息失真", "001", "001-06, 001-08",
       "Every level decodes and re-encodes information: descriptions get distorted and issues "
       "reach the wrong department.",
       "multilevel", 240, [_up("misdispatch_rate", 0.05), _up("bounces_mean", 0.005)],
       off=Arm({"process.distortion_per_hop": 0.0})),
    _m("hop_delay", "delay per hand-over between levels", "逐级传递延迟", "001", "001-06, 001-08",
       "Information moving up level by level costs time at each level.",
       "multilevel", 240, [_up("days_known_to_close_mean", 0.5)],
       off=Arm({"process.hop_delay_days": 0})),
    _m("blame_rule", "accountability falls on the bottom", "问责向下", "001", "001-12",
       "Accountability tends to punish the lowest level. Off: the remedy, blaming the last "
       "holder (同系统问责, 001-13).",
       "multilevel", 240, [_up("blame_bottom", 0.2)],
       off=Arm({"accountability.blame_rule": "last_holder"})),
    _m("collaboration_assessment", "collaboration in performance assessment", "协同绩效考核", "001",
       "001-10, 001-11",
       "Assessment that ignores collaboration invites buck-passing; weighting collaboration "
       "damps push-back. Off by default in the chain; on: weight 0.5.",
       "multilevel", 240, [_down("pushback_rate", 0.01)],
       off=DEFAULTS, on=Arm(reforms=("collaboration_assessment:weight=0.5@1",))),
    # ---- 003 Shiquan ---------------------------------------------------------------------
    _m("stationed_cadres", "town cadres stationed in villages", "镇村工作一体化（驻村干部）", "003",
       "003-09, 003-10",
       "Town cadres stationed full-time in villages solve problems where they arise.",
       "shiquan", 365, [_up("on_time_rate", 0.002), _down("days_to_close_mean", 0.03)],
       off=Arm(drop_reforms=("town_village_integration",))),
    _m("three_line_contacts", "three-line contacts", "三线联系（321模式）", "003",
       "003-12, 003-15, 003-16",
       "Party members, deputies and household heads in touch with households bring problems to "
       "the grid earlier.",
       "shiquan", 365, [_down("latent_days_mean", 0.3), _up("found_by_contacts", 100)],
       off=Arm(drop_reforms=("three_line_contacts",))),
    _m("secretary_ledger", "the secretary's ledger", "书记民情三本账", "003", "003-04, 003-05, 003-07",
       "Claims and complaints on the secretary's ledger are reviewed by the leader, given a named "
       "owner who cannot push them back, and pressed until closed.",
       "shiquan", 365, [_up("ledger_entries", 100), _down("pushback_rate", 0.003)],
       off=Arm(drop_reforms=("secretary_ledger",))),
    # ---- 004 Longgang: flattening --------------------------------------------------------
    _m("remove_layer", "the township layer removed under a staff cap", "撤销乡镇（扁平化）", "004",
       "004-02, 004-06, 004-17, 004-18",
       "With the townships gone and 40 % of the staff, city departments carry the load: they "
       "work harder and issues take longer.",
       "longgang", 180, [_up("utilisation_department", 0.03), _up("days_known_to_close_mean", 0.1)],
       off=Arm(drop_reforms=("remove_layer",))),
    _m("township_staff", "staff of a removed township", "撤并乡镇人员去向", "004", "004-03, 004-06",
       "Part of a removed township's staff goes down to the communities; without it the "
       "communities are busier and their own (level-2) issues close on time less often. (The "
       "city-wide days to close do not move: communities have slack at Longgang's defaults.)",
       "longgang", 180, [_down("utilisation_village", 0.01), _up("on_time_rate_level_2", 0.003)],
       off=Arm(reform_params={"remove_layer": {"to_villages_share": 0.0}})),
    _m("merged_domains", "merged domains in big departments", "大部制（职能合并）", "004",
       "004-04, 004-05",
       "Merged departments own the union of their domains: an issue spanning them is no longer "
       "foreign and is not pushed back inside the big department.",
       "longgang", 180, [_down("pushback_rate", 0.005)],
       off=Arm(drop_reforms=("merge_departments",))),
    _m("middle_layer_reemergence", "re-emergence of a middle layer", "中间层再生（逆扁平化）", "004",
       "004-10, 004-11, 004-14, 004-15",
       "A wide span over overloaded departments makes quasi-units (areas, governance units) "
       "appear. Off by default; on: the endogenous rule instead of the imposed areas.",
       "longgang", 150, [_up("middle_layer_emerged", 0.5)],
       off=Arm(drop_reforms=("middle_layer",)),
       on=Arm(drop_reforms=("middle_layer",), reforms=("middle_layer_rule@91",))),
)}


# ---- selection and checks ------------------------------------------------------------------

def select_mechanisms(names: Iterable[str] | None = None) -> list[Mechanism]:
    """The mechanisms named (a mechanism, a scenario or a paper number selects all of its).

    Raises
    ------
    AblationError
        For a name that is neither a mechanism, a scenario of one, nor a paper.
    """
    names = list(names or [])
    if not names:
        return list(MECHANISMS.values())
    out: dict[str, Mechanism] = {}
    for n in names:
        hit = [m for m in MECHANISMS.values() if n in (m.name, m.scenario, m.paper)]
        if not hit:
            scen = sorted({m.scenario for m in MECHANISMS.values()})
            raise AblationError(f"ablate: '{n}' is not a mechanism; expected one of "
                                f"{sorted(MECHANISMS)}, a scenario {scen} or a paper 000-004")
        out.update((m.name, m) for m in hit)
    return list(out.values())


def _arm_config(mech: Mechanism, arm: Arm) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Overrides (with an edited ``reforms`` list where the arm drops or changes any) and reforms."""
    from reformabm.parameters import resolve_parameter
    from reformabm.scenario import read_scenario_data

    ov = {resolve_parameter(k): v for k, v in arm.overrides.items()}
    if arm.department_staff != 1.0:
        if arm.department_staff <= 0:
            raise AblationError(f"mechanism '{mech.name}': department_staff = "
                                f"{arm.department_staff}: expected a factor > 0")
        depts = read_scenario_data(mech.scenario)[0].get("departments", [])
        ov["departments"] = [{**d, "staff": d["staff"] * arm.department_staff} for d in depts]
    if arm.drop_reforms or arm.reform_params:
        listed = read_scenario_data(mech.scenario)[0].get("reforms", [])
        names = {r.get("name") for r in listed}
        unknown = sorted((set(arm.drop_reforms) | set(arm.reform_params)) - names)
        if unknown:
            raise AblationError(f"mechanism '{mech.name}': reforms {unknown} are not among "
                                f"{mech.scenario}'s reforms {sorted(n for n in names if n)}")
        edited = []
        for r in listed:
            if r.get("name") in arm.drop_reforms:
                continue
            edited.append({**r, **arm.reform_params.get(r.get("name"), {})})
        ov["reforms"] = edited
    return ov, tuple(arm.reforms)


def check_mechanism(mech: Mechanism, *, build: bool = False) -> None:
    """Check that both arms are valid and differ, and that the metrics are known.

    Every override must be a field of the scenario schema with a valid value, every reform
    must parse (name and fields), every dropped or changed reform must be one of the
    scenario's. With ``build``, both arms' models are also built (reforms checked against
    the organisation when they apply; slower).

    Raises
    ------
    AblationError
        Naming the mechanism and what is wrong.
    """
    from reformabm.calibration import METRICS, _summary_keys
    from reformabm.reforms import parse_reform
    from reformabm.scenario import load_scenario

    for o in mech.outcomes:
        if o.metric not in METRICS and o.metric not in _summary_keys():
            raise AblationError(f"mechanism '{mech.name}': metric '{o.metric}' is neither a summary "
                                f"key nor a derived metric {sorted(METRICS)}")
        if o.direction not in ("up", "down"):
            raise AblationError(f"mechanism '{mech.name}': direction '{o.direction}': expected "
                                "'up' or 'down'")
    configs = []
    for which, arm in (("on", mech.on), ("off", mech.off)):
        try:
            ov, rf = _arm_config(mech, arm)
            spec = load_scenario(mech.scenario, ov)
            for text in rf:
                parse_reform(text)
            if build:
                from reformabm.model import ReformModel

                ReformModel(spec, rng=1, days=mech.days, reforms=list(rf))
        except AblationError:
            raise
        except ReformabmError as exc:
            raise AblationError(f"mechanism '{mech.name}', arm {which}: {exc}") from None
        configs.append((json.dumps(ov, sort_keys=True, default=str), rf))
    if configs[0] == configs[1]:
        raise AblationError(f"mechanism '{mech.name}': its on and off arms are the same run")


# ---- running -----------------------------------------------------------------------------------

def _runs(mechs: list[Mechanism], seeds: list[int]) -> dict[Any, set]:
    """Every distinct run (calibration's run key) with the metrics wanted of it."""
    from reformabm.calibration import _freeze, _RunKey

    plan: dict[Any, set] = {}
    for mech in mechs:
        for arm in (mech.on, mech.off):
            ov, rf = _arm_config(mech, arm)
            for seed in seeds:
                key = _RunKey(mech.scenario, mech.days, seed, _freeze(ov), rf)
                plan.setdefault(key, set()).update((o.metric, None) for o in mech.outcomes)
    return plan


def _row(mech: Mechanism, o: Outcome, on: np.ndarray, off: np.ndarray) -> dict[str, Any]:
    d = on - off
    d = d[np.isfinite(d)]
    n = len(d)
    mean = float(d.mean()) if n else math.nan
    half = float(stats.t.ppf(0.975, n - 1) * d.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    lo, hi = mean - half, mean + half
    sign = 1.0 if o.direction == "up" else -1.0
    # the mean paired difference beyond the minimal size, and its 95 % CI clear of 0
    ok = bool(n and sign * mean > o.min_effect and (n == 1 or sign * (lo if sign > 0 else hi) > 0))
    return {
        "mechanism": mech.name, "label": mech.label, "label_zh": mech.label_zh, "paper": mech.paper,
        "source": mech.source, "scenario": mech.scenario, "days": mech.days, "metric": o.metric,
        "direction": o.direction, "min_effect": o.min_effect,
        "on": float(np.nanmean(on)) if np.isfinite(on).any() else math.nan,
        "off": float(np.nanmean(off)) if np.isfinite(off).any() else math.nan,
        "diff": mean, "ci_low": lo, "ci_high": hi,
        "significant": bool(n > 1 and (lo > 0 or hi < 0)),
        "seeds_in_direction": int((sign * d > 0).sum()), "seeds": n, "direction_ok": ok,
    }


def ablate(names: Iterable[str] | None = None, seeds: int | Iterable[int] | None = None, *,
           workers: int = 1, days: int | None = None,
           progress: Callable[[str], None] | None = None) -> pd.DataFrame:
    """Run each mechanism on and off over paired seeds; one row per (mechanism, outcome).

    Parameters
    ----------
    names : iterable of str, optional
        Mechanisms (or scenarios, or papers, selecting theirs); None: all of :data:`MECHANISMS`.
    seeds : int or iterable of int, optional
        A number n (seeds 1..n) or a list of seeds; None: each mechanism's own ``seeds``.
        Both arms of a mechanism run with the same seeds (common random numbers).
    workers : int
        Parallel processes (each distinct run is one task; runs shared by mechanisms run once).
    days : int, optional
        Run length instead of each mechanism's (for quick checks; the directions are stated
        for the mechanisms' own lengths).
    progress : callable, optional
        Called with a line of text per finished run.

    Returns
    -------
    pandas.DataFrame
        Columns ``mechanism, label, label_zh, paper, source, scenario, days, metric, direction,
        min_effect, on, off, diff, ci_low, ci_high, significant, seeds_in_direction, seeds,
        direction_ok``; ``diff`` is the mean paired difference on - off with its 95 % CI.
    """
    from reformabm.calibration import _freeze, _run_one, _RunKey

    mechs = select_mechanisms(names)
    if days is not None:
        if days < 1:
            raise AblationError(f"ablate: days = {days}: expected at least 1")
        mechs = [_replace_days(m, days) for m in mechs]
    if isinstance(seeds, int):
        if seeds < 1:
            raise AblationError(f"ablate: seeds = {seeds}: expected at least 1")
    seed_lists = {m.name: _seed_list(m, seeds) for m in mechs}
    plan: dict[Any, set] = {}
    for m in mechs:
        for k, v in _runs([m], seed_lists[m.name]).items():
            plan.setdefault(k, set()).update(v)
    say = progress or (lambda _msg: None)
    say(f"ablate: {len(mechs)} mechanism(s), {len(plan)} distinct run(s)")
    keys = sorted(plan, key=lambda k: (k.scenario, k.days, k.overrides, k.reforms, k.seed))
    results: dict[Any, dict] = {}

    def done(k: Any, res: dict) -> None:
        results[k] = res
        say(f"  {k.scenario} seed {k.seed} {k.days} d ({res['_seconds']:.1f} s)")

    def wanted(k: Any) -> tuple:
        return tuple(sorted(plan[k], key=str))

    if workers <= 1:
        for k in keys:
            done(k, _run_one(k, wanted(k)))
    else:
        ctx = multiprocessing.get_context("forkserver")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as ex:
            futs = {k: ex.submit(_run_one, k, wanted(k)) for k in keys}
            for k in keys:
                done(k, futs[k].result())
    rows = []
    for m in mechs:
        arms = []
        for arm in (m.on, m.off):
            ov, rf = _arm_config(m, arm)
            arms.append([results[_RunKey(m.scenario, m.days, s, _freeze(ov), rf)]
                         for s in seed_lists[m.name]])
        for o in m.outcomes:
            on = np.asarray([r[(o.metric, None)] for r in arms[0]], float)
            off = np.asarray([r[(o.metric, None)] for r in arms[1]], float)
            rows.append(_row(m, o, on, off))
    return pd.DataFrame(rows)


def _replace_days(m: Mechanism, days: int) -> Mechanism:
    from dataclasses import replace

    return replace(m, days=days)


def _seed_list(m: Mechanism, seeds: int | Iterable[int] | None) -> list[int]:
    if seeds is None:
        return list(range(1, m.seeds + 1))
    if isinstance(seeds, int):
        return list(range(1, seeds + 1))
    out = [int(s) for s in seeds]
    if not out or min(out) < 0:
        raise AblationError(f"ablate: seeds {out}: expected a non-empty list of seeds >= 0")
    return out


# ---- output ------------------------------------------------------------------------------------

_SHOWN = ["mechanism", "label_zh", "paper", "scenario", "days", "metric", "direction", "on", "off",
          "diff", "ci_low", "ci_high", "seeds_in_direction", "seeds", "direction_ok"]


def _num(x: Any) -> str:
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else "**NO**"
    if isinstance(x, float):
        if math.isnan(x):
            return "n/a"
        return f"{x:.4g}"
    return str(x)


def format_markdown(df: pd.DataFrame) -> str:
    """The ablation table as GitHub markdown (direction failures in bold)."""
    cols = [c for c in _SHOWN if c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in df[cols].itertuples(index=False):
        lines.append("| " + " | ".join(_num(v) for v in r) + " |")
    return "\n".join(lines)


def write_table(df: pd.DataFrame, out: str | Path) -> Path:
    """Write ``ablation.csv`` and ``ablation.md`` into directory ``out``."""
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        df.to_csv(out / "ablation.csv", index=False)
        (out / "ablation.md").write_text(format_markdown(df) + "\n", encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"cannot write the ablation table to '{out}': {exc}") from None
    return out


def format_text(df: pd.DataFrame) -> str:
    """The ablation table as aligned text for the terminal."""
    cols = ["mechanism", "paper", "scenario", "metric", "direction", "on", "off", "diff", "ci_low",
            "ci_high", "seeds_in_direction", "direction_ok"]
    shown = df[cols].copy()
    shown["direction_ok"] = shown["direction_ok"].map({True: "ok", False: "FAIL"})
    shown["seeds_in_direction"] = [f"{a}/{b}" for a, b in zip(df["seeds_in_direction"], df["seeds"],
                                                              strict=True)]
    return shown.to_string(index=False, float_format=lambda x: f"{x:.4g}")


def list_text(mechs: list[Mechanism]) -> str:
    """One paragraph per mechanism: names, paper, scenario, switch and outcomes."""
    out = []
    for m in mechs:
        outs = ", ".join(f"{o.metric} {o.direction}" + (f" by > {o.min_effect:g}" if o.min_effect else "")
                         for o in m.outcomes)
        out.append(f"{m.name:<26} {m.label_zh}  [{m.source}]  {m.scenario}, {m.days} d\n"
                   f"    {m.label}: {outs}\n    off: {_arm_text(m.off)}; on: {_arm_text(m.on)}")
    return "\n".join(out)


def _arm_text(arm: Arm) -> str:
    parts = [f"{k}={v!r}" for k, v in arm.overrides.items()]
    parts += [f"+{r}" for r in arm.reforms] + [f"-{r}" for r in arm.drop_reforms]
    parts += [f"{n}.{k}={v!r}" for n, kv in arm.reform_params.items() for k, v in kv.items()]
    if arm.department_staff != 1.0:
        parts.append(f"department staff x {arm.department_staff:g}")
    return ", ".join(parts) or "as shipped"
