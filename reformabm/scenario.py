"""Scenario schema (pydantic), TOML loading and overrides, with clear errors.

A *scenario* (情景) describes one organisation and every behavioural parameter of a run:
the territorial levels and their counts, the population, the grids, the functional
departments (条) with their domains, the linkage centre (联动中心), the leaders, the issue
categories, and the process parameters. Scenario files are TOML; the shipped ones live in
``models/`` and can be named without path or suffix (``"teaching"``).

Every scalar field below is a *parameter*: it has a dotted path (``centre.authority``),
a flat name (``centre_authority``, accepted as a keyword by :class:`~reformabm.ReformModel`),
bounds, a unit and a source (see :mod:`reformabm.parameters`).
"""

from __future__ import annotations

import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from reformabm.errors import OverrideError, ScenarioError
from reformabm.resources import shipped
from reformabm.tomlfile import read_toml

__all__ = [
    "LevelName",
    "LEVEL_RANK",
    "Scenario",
    "load_scenario",
    "scenario_path",
    "available_scenarios",
    "apply_overrides",
    "MODELS_DIR",
]

#: The shipped scenarios (package data, found with importlib.resources).
MODELS_DIR = shipped("models")


class LevelName(StrEnum):
    """Territorial levels (块), bottom-up. ``area`` is the quasi-layer 片区/治理单元."""

    GRID = "grid"  # 网格
    VILLAGE = "village"  # 村/社区
    AREA = "area"  # 片区 / 治理单元 (quasi-layer, no staff or authority of its own)
    TOWNSHIP = "township"  # 乡镇/街道
    COUNTY = "county"  # 县/区
    CITY = "city"  # 市
    PROVINCE = "province"  # 省
    CENTRAL = "central"  # 中央


#: Rank of each level: the highest *required level* (1-5) of an issue the level can solve.
#: The quasi-layer ``area`` solves nothing itself; it sits between village and township.
LEVEL_RANK: dict[LevelName, int] = {
    LevelName.GRID: 1,
    LevelName.VILLAGE: 2,
    LevelName.AREA: 2,
    LevelName.TOWNSHIP: 3,
    LevelName.COUNTY: 4,
    LevelName.CITY: 5,
    LevelName.PROVINCE: 6,
    LevelName.CENTRAL: 7,
}
#: Order of levels bottom-up (area between village and township).
LEVEL_ORDER: list[LevelName] = list(LevelName)

N_REQUIRED_LEVELS = 5


def _f(default: Any, description: str, *, unit: str = "", source: str = "assumption", **kw: Any):
    """Declare a parameter field with its unit and source (kept in the JSON schema)."""
    return Field(
        default, description=description, json_schema_extra={"unit": unit, "source": source}, **kw
    )


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)


class Meta(_Section):
    """``[scenario]``: name, description and run length."""

    name: str = _f("unnamed", "Short name of the scenario.")
    description: str = _f("", "One-line description shown by `reformabm scenarios`.")
    days: int = _f(365, "Default run length.", unit="days", ge=1, le=36500)
    seed: int = _f(1, "Default random seed of `reformabm run`.", ge=0)


class Residents(_Section):
    """``[residents]``: population and how residents raise and report issues (居民)."""

    population: int = _f(60_000, "Total population of the organisation's territory.", unit="people", gt=0)
    people_per_agent: int = _f(
        100,
        "How many people one Resident agent stands for. Per-capita results do not depend on it.",
        unit="people/agent",
        ge=1,
    )
    issues_per_person_year: float = _f(
        0.2,
        "Problems/demands (诉求/事件) arising per resident per year.",
        unit="1/(person*year)",
        ge=0,
        le=50,
    )
    report_propensity: float = _f(
        0.15,
        "Daily probability that a resident reports an unreported problem via hotline/app "
        "(at trust 1).",
        unit="1/day",
        ge=0,
        le=1,
    )
    initial_trust: float = _f(0.7, "Initial trust in government (scales reporting).", ge=0, le=1)
    give_up_rate: float = _f(
        0.02,
        "Daily probability that an unreported, undiscovered problem is given up (withdrawn).",
        unit="1/day",
        ge=0,
        le=1,
    )
    initial_satisfaction: float = _f(0.8, "Initial satisfaction (满意度) of residents.", ge=0, le=1)
    satisfaction_rate: float = _f(
        0.2, "Weight of one experience (a closure, or a problem coming back) in satisfaction.", ge=0, le=1
    )
    trust_rate: float = _f(0.1, "Weight of one experience in the trust of each person who learns of it.", ge=0, le=1)
    trust_reach: float = _f(
        20.0,
        "People whose trust one experience moves: the resident and those who hear of it (household, "
        "neighbours; word of mouth 口碑). Trust scales the propensity to report.",
        unit="people", source="assumption", ge=1,
    )
    trust_loss_reopen: float = _f(
        0.2, "Share of trust lost when a problem closed on paper comes back.", ge=0, le=1
    )
    complaint_threshold: float = _f(
        0.3,
        "A closure scored below this makes the reporter complain: on the secretary's ledger where there "
        "is one, else by a repeat call to the hotline (重复来电); an open issue whose wait past its "
        "deadline scores below it makes the reporter call again (催办). 0: nobody complains.",
        source="003: the complaints ledger; repeat calls are how 12345 users complain", ge=0, le=1,
    )
    complaint_pressure: float = _f(
        0.1,
        "Pressure the unit that handled an issue gains per complaint about it (complaints and repeat "
        "calls count against it in assessment).",
        source="assumption", ge=0, le=1,
    )
    grid_population_cv: float = _f(
        0.3, "Coefficient of variation of population across grids.", ge=0, le=3
    )


class Level(_Section):
    """One ``[[levels]]`` entry: a territorial level (块) and how many units it has."""

    name: LevelName
    count: int = Field(gt=0, description="Number of units at this level.")
    staff: float = Field(
        0.0,
        ge=0,
        description="Staff per unit available for handling issues (grid: workers per grid).",
        json_schema_extra={"unit": "persons/unit", "source": "assumption"},
    )
    centre: bool = Field(
        False, description="Units at this level run a linkage centre (联动中心) with departments."
    )
    label_zh: str = ""


class Grid(_Section):
    """``[grid]``: grid workers (网格员) and patrol."""

    patrol_discovery: float = _f(
        0.25,
        "Daily probability that an idle grid team discovers a given unreported problem in its grid.",
        unit="1/day",
        ge=0,
        le=1,
    )
    contact_discovery: float = _f(
        0.0,
        "Daily probability that three-line contacts (三线联系) bring an unreported problem to the "
        "grid (0 without the participation reform).",
        unit="1/day", source="003", ge=0, le=1,
    )
    self_resolution: float = _f(
        0.0,
        "Daily probability that residents solve an unreported level-1 problem themselves.",
        unit="1/day", source="003", ge=0, le=1,
    )


class Centre(_Section):
    """``[centre]``: the linkage centre (联动中心 / 综合指挥中心)."""

    authority: float = _f(
        0.3,
        "Authority of the centre (0-1): damps push-back and lets the centre settle disputes "
        "without the leader.",
        source="000: a 正科级 institution with borrowed authority (assumed low)",
        ge=0,
        le=1,
    )
    staff: float = _f(12, "Staff per centre handling intake, classification and dispatch.", unit="persons", gt=0)
    classify_work: float = _f(
        0.02, "Staff-days to classify and dispatch one issue.", unit="staff-days", gt=0
    )
    residual_department: str = _f(
        "", "Department that receives coordinated residual matters no department covers."
    )


class Leaders(_Section):
    """``[leaders]``: leaders / leading groups (领导/领导小组) with finite attention."""

    attention_per_day: float = _f(
        3.0,
        "Disputes one leader (per centre) can coordinate per day.",
        unit="issues/day",
        gt=0,
    )
    ledger: bool = _f(False, "Secretary's ledger (书记民情三本账): a leader-reviewed track.", source="003")
    ledger_share: float = _f(
        0.2, "Share of residents' reports above village level entered in the ledger.", ge=0, le=1
    )
    ledger_unsettled_share: float = _f(
        0.0,
        "Share of ledger cases whose claim exceeds what the county can grant (beyond its policy or "
        "powers): reviewed, assigned and answered, but the secretary's check cannot sign them off, so "
        "they stay open on the ledger (never 销号). 0: every case can be settled. No effect without "
        "the ledger.",
        source="assumption; 003-07: 215 of 8,812 ledger cases not closed in 2016-2021 (2.4 %, an upper "
               "bound: the open end-of-period backlog is in it too)",
        ge=0, le=1,
    )


class Process(_Section):
    """``[process]``: routing, handling and solving."""

    hop_delay_days: int = _f(1, "Delay of one hand-over between units without a platform.", unit="days", ge=0, le=30)
    distortion_per_hop: float = _f(
        0.06,
        "Probability that one hand-over distorts the issue's description (→ misclassification).",
        source="001: every level decodes/encodes information",
        ge=0,
        le=1,
    )
    platform: bool = _f(
        False,
        "Digital platform with level pass-through (002): direct reporting to the right level.",
        source="002",
    )
    platform_hop_delay_days: int = _f(0, "Hand-over delay on the platform.", unit="days", ge=0, le=30)
    platform_distortion_factor: float = _f(
        0.3, "Distortion per hop on the platform relative to paper.", ge=0, le=1
    )
    closed_loop: bool = _f(
        True, "The reporting grid worker confirms closure (闭环); failed solutions are caught.", source="002"
    )
    confirm_detect: float = _f(
        0.8, "Probability that confirmation catches a real solution that did not hold.", ge=0, le=1
    )
    formal_detect: float = _f(
        0.2,
        "Probability that confirmation catches a closure on paper (形式化办结), which is made to pass "
        "the check (the secretary's own check of ledger cases always catches it).",
        source="000, 003: paper closures meet the indicators (size assumed)", ge=0, le=1,
    )
    solve_failure: float = _f(
        0.05, "Probability that a solution does not hold.", ge=0, le=1
    )
    handle_work: float = _f(
        0.02, "Staff-days to receive and forward one issue.", unit="staff-days", gt=0
    )
    confirm_work: float = _f(
        0.02, "Staff-days for the grid worker to confirm one closure.", unit="staff-days", gt=0
    )
    solve_work: list[float] = _f(
        [0.1, 0.3, 0.6, 1.0, 2.0],
        "Staff-days to solve an issue of required level 1..5 (times the category's severity).",
        unit="staff-days",
    )
    deadline_days: list[int] = _f(
        [1, 3, 5, 7, 10],
        "Deadline by required level 1..5, counted from the day the issue became known.",
        unit="days",
        source="002: the '135710' rule of Kaifeng",
    )
    pushback_propensity: float = _f(
        0.5,
        "Probability that a department pushes back (推诿) a cross-boundary/ambiguous issue "
        "it does not fully own, at centre authority 0.",
        source="000, 001: residual matters are pushed around",
        ge=0,
        le=1,
    )
    collaboration_weight: float = _f(
        0.0,
        "Weight of collaboration in performance assessment (001); damps push-back.",
        source="001",
        ge=0,
        le=1,
    )
    rounds_per_day: int = _f(
        4, "Handling rounds per day (an issue can move several times a day at delay 0).", ge=1, le=20
    )
    record_history: bool = _f(True, "Keep each issue's full event history.")

    @field_validator("solve_work", "deadline_days")
    @classmethod
    def _five_levels(cls, v: list) -> list:
        if len(v) != N_REQUIRED_LEVELS:
            raise ValueError(f"expected {N_REQUIRED_LEVELS} values (levels 1-5), got {len(v)}")
        if any(x <= 0 for x in v):
            raise ValueError("every value must be > 0")
        return v


class Department(_Section):
    """One ``[[departments]]`` entry: a functional department (职能部门, 条)."""

    name: str
    label_zh: str = ""
    domains: list[str] = Field(min_length=1, description="Problem domains the department owns.")
    staff: float = Field(gt=0, description="Staff available for issues (persons).")
    level: LevelName = Field(LevelName.COUNTY, description="Level of the centre it serves.")


class Category(_Section):
    """One ``[[categories]]`` entry: an item type of the platforms' lists (事项分类)."""

    name: str
    label_zh: str = ""
    share: float = Field(gt=0, description="Relative frequency (normalised over categories).")
    domains: list[str] = Field(min_length=1, description="Primary domain first, then others it may span.")
    cross_boundary: float = Field(
        0.0, ge=0, le=1, description="Probability that an issue also spans each secondary domain."
    )
    level_mix: list[float] = Field(
        default_factory=lambda: [0.5, 0.25, 0.15, 0.08, 0.02],
        description="Probability of required level 1..5.",
    )
    severity: float = Field(1.0, gt=0, description="Multiplier on solve work.")
    ambiguous: bool = Field(False, description="Ownership unclear: departments may push it back.")

    @field_validator("level_mix")
    @classmethod
    def _mix(cls, v: list[float]) -> list[float]:
        if len(v) != N_REQUIRED_LEVELS:
            raise ValueError(f"expected {N_REQUIRED_LEVELS} probabilities (levels 1-5), got {len(v)}")
        if any(x < 0 for x in v) or sum(v) <= 0:
            raise ValueError("probabilities must be >= 0 with a positive sum")
        return v


class Accountability(_Section):
    """``[accountability]``: deadlines' lights, supervision (督察局), discipline (纪委监委), pressure."""

    supervision: bool = _f(
        False,
        "Time-limited supervision: yellow/red lights, red -> supervision bureau -> discipline.",
        source="002: Kaifeng's lights, 督察局 and 纪委监委",
    )
    deadline_priority: bool = _f(
        True,
        "Under supervision, holders work first the issues nearest their deadline (or the "
        "supervision bureau's): the lights make every limit visible. Off: first come, first "
        "served even with the lights on (an ablation of the tracking channel).",
        source="002: 'double-colour lights' warn the accepting department a day before the limit",
    )
    yellow_days_before: int = _f(1, "Yellow light this many days before the deadline.", unit="days",
                                 source="002", ge=0, le=10)
    supervision_days: int = _f(
        3, "Days the supervision bureau gives before the discipline commission steps in.",
        unit="days", ge=1, le=60,
    )
    extension_rule: str = _f(
        "complex",
        "Who may get an extension at the yellow light: 'none', 'complex' (level >= 4 or "
        "cross-boundary), 'all'.",
        source="002: extensions up to 15 days",
    )
    extension_days: int = _f(5, "Days added by one extension.", unit="days", ge=0, le=30)
    extension_cap_days: int = _f(15, "Total time limit with extension.", unit="days", source="002",
                                 ge=1, le=90)
    blame_rule: str = _f(
        "lowest",
        "Who the discipline commission blames: 'lowest' (lowest unit that held the issue) or "
        "'last_holder'.",
        source="001: accountability tends to punish the bottom level",
    )
    assessment_pressure: float = _f(0.1, "Baseline pressure from performance assessment.", ge=0, le=1)
    red_pressure: float = _f(0.1, "Pressure a unit gains per red-light case it holds.", ge=0, le=1)
    blame_pressure: float = _f(0.3, "Pressure a unit gains per accountability (blame) case.", ge=0, le=1)
    supervision_pressure: float = _f(0.5, "Extra pressure on an issue under supervision.", ge=0, le=1)
    pressure_decay: float = _f(0.1, "Daily decay of a unit's pressure.", unit="1/day", ge=0, le=1)
    effort_gain: float = _f(
        0.5, "Extra capacity (share of staff-days) a unit musters at full pressure.", ge=0, le=3
    )
    strain_rate: float = _f(0.05, "Strain accumulated per unit of extra effort per day.", ge=0, le=1)
    strain_recovery: float = _f(0.02, "Daily recovery of strain.", unit="1/day", ge=0, le=1)
    formal_closure_propensity: float = _f(
        0.3,
        "Daily probability, at full pressure, that a holder closes on paper without solving "
        "(形式化办结) an issue whose deadline is near or past (yellow/red light), to meet the indicator.",
        source="000, 003: formalism under pressure (assumption for the size)",
        ge=0,
        le=1,
    )
    reopen_delay_days: float = _f(
        20, "Mean days until a problem closed without being solved comes back.", unit="days", gt=0
    )
    supervision_staff: float = _f(5, "Staff of each supervision bureau.", unit="persons", ge=0)
    discipline_staff: float = _f(5, "Staff of each discipline commission.", unit="persons", ge=0)

    @field_validator("extension_rule")
    @classmethod
    def _ext(cls, v: str) -> str:
        if v not in ("none", "complex", "all"):
            raise ValueError("expected one of 'none', 'complex', 'all'")
        return v

    @field_validator("blame_rule")
    @classmethod
    def _blame(cls, v: str) -> str:
        if v not in ("lowest", "last_holder"):
            raise ValueError("expected 'lowest' or 'last_holder'")
        return v


class Workload(_Section):
    """``[workload]``: task push-down (职责错位), central-work campaigns (中心工作), rules (内卷化)."""

    pushdown_share: float = _f(
        0.1,
        "Share of grid workers' and villages' time taken by tasks departments push down.",
        source="000, 004: 职责错位 (size assumed)",
        ge=0,
        le=0.95,
    )
    campaign_interval_days: int = _f(
        0, "A central-work campaign starts every this many days (0: none periodic).", unit="days", ge=0
    )
    campaign_days: list[int] = _f([], "Days on which campaigns start (in addition).", unit="day")
    campaign_duration_days: int = _f(30, "Length of a campaign.", unit="days", ge=1, le=365)
    campaign_diversion: float = _f(
        0.3, "Share of department capacity a campaign diverts.", source="000 (size assumed)", ge=0, le=1
    )
    campaign_pushdown: float = _f(
        0.1, "Extra share of grid/village time a campaign's footwork takes.", ge=0, le=0.9
    )
    rules_initial: int = _f(10, "Rules and indicators in force at the start.", ge=0, le=10000)
    rule_overhead_per_rule: float = _f(
        0.005, "Share of every unit's capacity one rule costs (reporting, indicators, meetings).",
        ge=0, le=0.2,
    )
    rule_pressure_per_rule: float = _f(0.005, "Assessment pressure one rule adds.", ge=0, le=0.2)
    counterpart_overhead: float = _f(
        0.02,
        "Share of a department's capacity each upper-level counterpart beyond the first costs.",
        source="004: merged sections face 10+ upper-level counterparts (size assumed)",
        ge=0, le=0.2,
    )
    overhead_max: float = _f(0.8, "Cap on the rule overhead share.", ge=0, le=0.95)
    rule_growth: bool = _f(
        False,
        "Adaptive rule growth: when performance disappoints, the centre adds rules.",
        source="000, 003: the involution trap",
    )
    rule_review_days: int = _f(30, "Days between reviews of performance.", unit="days", ge=1)
    rules_added: int = _f(3, "Rules added at a review that finds performance short.", ge=0)
    performance_target: float = _f(
        0.9, "On-time rate the centre wants; below it, rules are added.", ge=0, le=1
    )
    involution_window_days: int = _f(
        30, "Window of the involution index (effort vs outcomes).", unit="days", ge=5, le=365
    )


class Scenario(_Section):
    """A whole scenario file, validated."""

    scenario: Meta = Field(default_factory=Meta)
    residents: Residents = Field(default_factory=Residents)
    levels: list[Level] = Field(min_length=2)
    grid: Grid = Field(default_factory=Grid)
    centre: Centre = Field(default_factory=Centre)
    leaders: Leaders = Field(default_factory=Leaders)
    process: Process = Field(default_factory=Process)
    accountability: Accountability = Field(default_factory=Accountability)
    workload: Workload = Field(default_factory=Workload)
    departments: list[Department] = Field(min_length=1)
    categories: list[Category] = Field(min_length=1)
    reforms: list[dict[str, Any]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check_structure(self) -> Scenario:
        names = [lv.name for lv in self.levels]
        if len(set(names)) != len(names):
            raise ValueError(f"levels: each level may appear once, got {[str(n) for n in names]}")
        if LevelName.GRID not in names:
            raise ValueError("levels: a 'grid' level is required")
        ordered = sorted(self.levels, key=lambda lv: LEVEL_ORDER.index(lv.name))
        self.levels[:] = ordered
        for lower, upper in zip(ordered, ordered[1:], strict=False):
            if upper.count > lower.count:
                raise ValueError(
                    f"levels: {upper.name} has {upper.count} units but {lower.name} below it has "
                    f"only {lower.count}; every unit needs at least one unit below it"
                )
        if ordered[-1].count != 1:
            raise ValueError(f"levels: the top level ({ordered[-1].name}) has count = {ordered[-1].count}; "
                             "expected count = 1 (one organisation)")
        if not ordered[-1].centre:
            raise ValueError(f"levels: the top level ({ordered[-1].name}) must have centre = true")
        grid = self.level(LevelName.GRID)
        if grid is not None and grid.staff <= 0:
            raise ValueError("levels: grid has staff = 0; grid workers are needed to patrol and confirm "
                             "closures (expected staff > 0)")
        for lv in ordered:
            if lv.name != LevelName.GRID and not lv.centre and lv.staff <= 0 and lv.name != LevelName.AREA:
                raise ValueError(f"levels: {lv.name} has no centre and staff = 0: it could solve nothing")
        centre_levels = {lv.name for lv in ordered if lv.centre}
        dnames = [d.name for d in self.departments]
        keys = [(d.name, d.level) for d in self.departments]
        if len(set(keys)) != len(keys):
            dup = sorted({f"{n}@{lv}" for n, lv in keys if keys.count((n, lv)) > 1})
            raise ValueError(f"departments: {dup} declared twice; a name may appear once per level "
                             "(the same name at two levels makes them counterparts 对口)")
        for d in self.departments:
            if d.level not in centre_levels:
                raise ValueError(
                    f"departments: '{d.name}' has level = '{d.level}' but only "
                    f"{sorted(map(str, centre_levels))} run a centre"
                )
        if self.centre.residual_department and self.centre.residual_department not in dnames:
            raise ValueError(
                f"centre.residual_department: '{self.centre.residual_department}' is not a department"
            )
        cnames = [c.name for c in self.categories]
        if len(set(cnames)) != len(cnames):
            raise ValueError("categories: names must be unique")
        if len(self.domains) > 63:
            raise ValueError(f"at most 63 distinct domains are supported, got {len(self.domains)}")
        return self

    # ---- derived views -------------------------------------------------------------------
    @property
    def domains(self) -> list[str]:
        """All domain names, departments' first, in order of first appearance."""
        seen: dict[str, None] = {}
        for d in self.departments:
            seen.update(dict.fromkeys(d.domains))
        for c in self.categories:
            seen.update(dict.fromkeys(c.domains))
        return list(seen)

    def level(self, name: LevelName | str) -> Level | None:
        """Return the level entry called ``name``, or None."""
        for lv in self.levels:
            if lv.name == name:
                return lv
        return None


# ---- loading -------------------------------------------------------------------------------


def available_scenarios() -> dict[str, str]:
    """Map the names of the shipped scenarios (``models/*.toml``) to their descriptions."""
    out = {}
    for p in sorted(MODELS_DIR.glob("*.toml")):
        try:
            meta = tomllib.loads(p.read_text(encoding="utf-8")).get("scenario", {})
        except (tomllib.TOMLDecodeError, OSError):
            meta = {}
        out[p.stem] = str(meta.get("description", ""))
    return out


def scenario_path(name_or_path: str | Path) -> Path:
    """Resolve a scenario name (``"teaching"``) or a file path to an existing file."""
    p = Path(name_or_path)
    if p.is_file():
        return p
    if p.suffix == ".toml" or len(p.parts) > 1:
        raise ScenarioError(f"scenario file '{p}' does not exist")
    cand = MODELS_DIR / f"{name_or_path}.toml"
    if cand.is_file():
        return cand
    names = ", ".join(available_scenarios()) or "(none)"
    raise ScenarioError(
        f"scenario '{name_or_path}' is neither a file nor a shipped scenario; expected a path to a "
        f".toml file or one of: {names}"
    )


def _format_validation_error(err: ValidationError, data: dict, source: str) -> str:
    lines = []
    for e in err.errors()[:5]:
        loc = e.get("loc", ())
        path = _loc_to_path(loc, data)
        val = e.get("input")
        shown = "" if isinstance(val, dict) else f" = {val!r}"
        msg = e.get("msg", "invalid")
        if e.get("type") == "extra_forbidden":
            msg = "unknown field (check its spelling; see docs/ODD.md for the fields)"
        elif e.get("type") == "missing":
            msg = "required field is missing"
            shown = ""
        lines.append(f"field `{path or '(file)'}`{shown}: {msg}")
    more = len(err.errors()) - 5
    tail = f" (and {more} more)" if more > 0 else ""
    return f"scenario {source}: " + "; ".join(lines) + tail


def _loc_to_path(loc: tuple, data: dict) -> str:
    parts: list[str] = []
    node: Any = data
    for item in loc:
        if isinstance(item, int):
            name = None
            if isinstance(node, list) and 0 <= item < len(node) and isinstance(node[item], dict):
                name = node[item].get("name")
            parts[-1] = f"{parts[-1]}[{name if name else item}]" if parts else f"[{item}]"
            node = node[item] if isinstance(node, list) and 0 <= item < len(node) else None
        else:
            parts.append(str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return ".".join(parts)


def _coerce(raw: str) -> Any:
    """Parse a ``--set`` value as a TOML value, falling back to a plain string."""
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def apply_overrides(data: dict, overrides: dict[str, Any], *, parse_strings: bool = False) -> dict:
    """Return a copy of raw scenario ``data`` with dotted-path overrides applied.

    Parameters
    ----------
    data : dict
        Raw (unvalidated) scenario mapping, as read from TOML.
    overrides : dict
        ``{"centre.authority": 0.8, "levels[township].staff": 10}``. A list element is chosen
        by index (``departments[0]``) or by its ``name`` (``departments[police]``).
    parse_strings : bool
        Parse string values as TOML literals (for the CLI's ``--set``).

    Raises
    ------
    OverrideError
        When a path does not exist in the scenario schema.
    """
    import copy

    out = copy.deepcopy(data)
    for path, value in overrides.items():
        if parse_strings and isinstance(value, str):
            value = _coerce(value)
        _set_path(out, path, value)
    return out


def _split_path(path: str) -> list[str | int]:
    parts: list[str | int] = []
    for piece in path.split("."):
        if not piece:
            raise OverrideError(f"override `{path}`: empty component in the dotted path")
        while "[" in piece:
            head, _, rest = piece.partition("[")
            key, _, piece = rest.partition("]")
            if head:
                parts.append(head)
            parts.append(int(key) if key.isdigit() else f"[{key}]")
            piece = piece
            if not piece:
                break
        if piece:
            parts.append(piece)
    return parts


def _set_path(data: dict, path: str, value: Any) -> None:
    parts = _split_path(path)
    node: Any = data
    schema_cls: Any = Scenario
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(part, int) or (isinstance(part, str) and part.startswith("[")):
            if not isinstance(node, list):
                raise OverrideError(f"override `{path}`: `{part}` indexes something that is not a list")
            if isinstance(part, int):
                if not 0 <= part < len(node):
                    raise OverrideError(f"override `{path}`: index {part} out of range (0..{len(node) - 1})")
                idx = part
            else:
                key = part[1:-1]
                matches = [j for j, x in enumerate(node) if isinstance(x, dict) and x.get("name") == key]
                if not matches:
                    names = [x.get("name") for x in node if isinstance(x, dict)]
                    raise OverrideError(f"override `{path}`: no entry named '{key}' (have {names})")
                idx = matches[0]
            if last:
                node[idx] = value
            else:
                node = node[idx]
            continue
        if not isinstance(node, dict):
            raise OverrideError(
                f"override `{path}`: `{part}` is below a value that is not a table"
                + (" (it is a list: index it, e.g. `levels[township].staff`)" if isinstance(node, list) else "")
            )
        fields = getattr(schema_cls, "model_fields", None)
        if schema_cls is None:
            raise OverrideError(f"override `{path}`: `{part}` is below a value that is not a table")
        if fields is not None and part not in fields:
            raise OverrideError(
                f"override `{path}`: unknown field `{part}`; expected one of {sorted(fields)}"
            )
        if fields is not None:
            ann = fields[part].annotation
            schema_cls = _inner_model(ann)
        if last:
            node[part] = value
        else:
            if part not in node:
                node[part] = [] if schema_cls is not None and _is_list(fields[part].annotation) else {}
            node = node[part]


def _is_list(ann: Any) -> bool:
    import typing

    return typing.get_origin(ann) is list


def _inner_model(ann: Any) -> Any:
    """The pydantic model inside an annotation like ``list[Department]`` (or None)."""
    import typing

    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    for a in typing.get_args(ann):
        m = _inner_model(a)
        if m is not None:
            return m
    return None


def read_scenario_data(name_or_path: str | Path) -> tuple[dict, str]:
    """Read a scenario file's raw TOML mapping; return it with a printable source label."""
    path = scenario_path(name_or_path)
    data = read_toml(path, "scenario", ScenarioError)
    return data, f"file '{path}'"


def validate_scenario(data: dict, source: str = "(in memory)") -> Scenario:
    """Validate a raw mapping into a :class:`Scenario`, raising :class:`ScenarioError`."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_format_validation_error(exc, data, source)) from None


def load_scenario(
    name_or_path: str | Path | Scenario, overrides: dict[str, Any] | None = None, *,
    parse_strings: bool = False,
) -> Scenario:
    """Load and validate a scenario by name (``"teaching"``) or path, with optional overrides.

    Parameters
    ----------
    name_or_path : str, Path or Scenario
        A shipped scenario's name, a path to a TOML file, or an already validated scenario.
    overrides : dict, optional
        Dotted-path overrides, e.g. ``{"centre.authority": 0.8}`` (see :func:`apply_overrides`).
    parse_strings : bool
        Parse string override values as TOML literals (CLI ``--set``).

    Returns
    -------
    Scenario
        The validated scenario.

    Raises
    ------
    ScenarioError
        With a message naming the field, the value and what was expected.

    Examples
    --------
    >>> sc = load_scenario("teaching", {"centre.authority": 0.9})
    >>> sc.centre.authority
    0.9
    """
    if isinstance(name_or_path, Scenario):
        data, source = name_or_path.model_dump(mode="json"), "(in memory)"
    else:
        data, source = read_scenario_data(name_or_path)
    if overrides:
        data = apply_overrides(data, overrides, parse_strings=parse_strings)
        source += " with overrides " + ", ".join(f"{k}={v!r}" for k, v in overrides.items())
    return validate_scenario(data, source)

