"""Pattern-oriented validation (模式导向验证) against the seed papers.

``calibration/patterns.toml`` states, for each seed paper, the qualitative facts the paper
reports as testable statements over model output (pattern-oriented modelling: Grimm et al.
2005, *Science* 310: 987-991). A pattern names the paper and the ``docs/sources.md`` rows it
rests on, a scenario (a shipped one, possibly reduced through overrides and a shorter run),
a metric, and what is expected of it:

- **one arm**: the metric's mean over seeds against a threshold (``"> 0.5"``, ``">= 0.9"``,
  ``"in [0.956, 0.996]"``);
- **two or more arms** (a paired comparison on common random numbers: every arm runs with the
  same seeds): the arms' means must rise or fall from one arm to the next (``"increasing"``,
  ``"decreasing"``, or ``"not increasing"`` / ``"not decreasing"`` within a tolerance).
  A rise or fall must hold for the mean paired difference (beyond ``tolerance``) and, with
  ``all_seeds = true`` (the default), for every seed's own paired difference.

A pattern must hold *because of its mechanism*: it names the mechanism (a name of
:data:`reformabm.ablation.MECHANISMS` where there is one) and a ``counterpart``, the same runs
with that mechanism switched off. The pattern passes only if its expectation holds AND fails in
the counterpart, or, with ``counterpart_shrink = s``, if the counterpart's effect (the last
paired difference, or the distance of the mean beyond the threshold) is at most ``1 - s`` of the
pattern's own. There is no escape hatch for known gaps: a failing pattern fails.

:func:`load_patterns` validates the file (pydantic, with messages naming the pattern and the
field); :func:`run_patterns` runs the selected patterns (each distinct run once, shared by
patterns that need it) and returns a DataFrame with one row per pattern: pattern, source,
expected, observed, pass. ``reformabm validate [SCENARIO] [--full] [--seeds N]`` prints it.

Metrics are summary keys of :meth:`ReformModel.summary` (``on_time_rate``), daily keys
averaged over a day window (``ts:utilisation_department`` with ``window = [120, 180]``), or
the derived metrics in :data:`METRICS` (documented there).
"""

from __future__ import annotations

import json
import math
import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from reformabm.errors import ReformabmError
from reformabm.resources import shipped
from reformabm.tomlfile import read_toml

if TYPE_CHECKING:
    import pandas as pd

    from reformabm.model import ReformModel

__all__ = [
    "PATTERNS_FILE", "CalibrationError", "Pattern", "PatternFile", "load_patterns",
    "select_patterns", "run_patterns", "format_table", "METRICS",
]

PATTERNS_FILE = shipped("calibration", "patterns.toml")


class CalibrationError(ReformabmError, ValueError):
    """The patterns file is wrong, or a pattern cannot be run (message names the pattern)."""


# ---- derived metrics ---------------------------------------------------------------------------

@dataclass
class RunContext:
    """What a metric may read besides the finished model."""

    initial_government_staff: float
    window: tuple[int, int] | None


def _arrays(model: ReformModel) -> tuple[Any, int]:
    s = model.issues
    return s, len(s)


def _closed(model: ReformModel) -> np.ndarray:
    from reformabm.issues import Stage

    s, n = _arrays(model)
    return s.stage[:n] == Stage.CLOSED


def _solver_kind(model: ReformModel, kind: str) -> np.ndarray:
    from reformabm.org.graph import NodeKind
    from reformabm.org.tables import KIND_CODES

    s, n = _arrays(model)
    solver = s.solver[:n].astype(np.int64)
    ok = solver >= 0
    out = np.zeros(n, bool)
    out[ok] = model.tables.kind[solver[ok]] == KIND_CODES[NodeKind(kind)]
    return out


def _share(mask: np.ndarray, of: np.ndarray) -> float:
    n = int(of.sum())
    return float((mask & of).sum() / n) if n else math.nan


def cross_boundary_leader_share(model: ReformModel, ctx: RunContext) -> float:
    """Share of residual matters that needed the leader's coordination (高位协调).

    Residual matters (剩余事务, 000-14) are the issues in the gaps between departments' remits:
    of unclear ownership (ambiguous), or whose domains no single department of the dispatching
    centre owns (spanning several remits, or in none). Among those closed by a department or
    still with a department or the leader at the end (so that matters stuck at a scarce
    leader count, not only the quick ones), the share that needed or wait for the leader:
    000's coordination dependence (000-17) on the issues it is about.
    """
    from reformabm.issues import Stage

    s, n = _arrays(model)
    t = model.tables
    by_dept = _closed(model) & _solver_kind(model, "department")
    stage = s.stage[:n]
    holder = np.maximum(s.holder[:n], 0)
    at_dept, at_leader = stage == Stage.AT_DEPT, stage == Stage.AT_LEADER
    unit = np.where(by_dept, np.maximum(s.solver[:n], 0), holder)
    centre = np.where(at_leader, t.centre[t.home[unit]], t.dept_centre[unit])
    counted = (by_dept | at_dept | at_leader) & (centre >= 0)
    centre = np.maximum(centre, 0)
    residual = s.ambiguous[:n].astype(bool) | ~_within_one_remit(model, centre, s.domain_mask[:n])
    needed = s.needed_leader[:n].astype(bool) | at_leader
    return _share(needed, counted & residual)


def _within_one_remit(model: ReformModel, centre: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Whether one department of ``centre`` owns every domain of ``mask`` (its 三定 remit covers it)."""
    t = model.tables
    out = np.zeros(len(mask), bool)
    pairs, inverse = np.unique(np.stack([centre, mask]), axis=1, return_inverse=True)
    covered = np.zeros(pairs.shape[1], bool)
    for j, (c, m) in enumerate(pairs.T):
        depts = t.centre_depts.get(int(c), [])
        covered[j] = any((int(m) & ~int(t.dept_mask[d])) == 0 for d in depts)
    out[:] = covered[inverse.ravel()]
    return out


def _ledger(model: ReformModel) -> np.ndarray:
    from reformabm.issues import Channel

    s, n = _arrays(model)
    return s.channel[:n] == Channel.LEDGER


def ledger_cases(model: ReformModel, ctx: RunContext) -> float:
    """Issues entered on the secretary's ledger track (书记民情三本账; complaints included)."""
    return float(_ledger(model).sum())


def ledger_per_1000_year(model: ReformModel, ctx: RunContext) -> float:
    """Ledger cases per 1,000 residents per year (003-07: 8.1-8.9, derived)."""
    per_person = ledger_cases(model, ctx) / model.spec.residents.population
    return per_person * 1000 * 365 / max(1, model.day)


def ledger_closure_share(model: ReformModel, ctx: RunContext) -> float:
    """Ledger cases closed / received by the end of the run (003-07: 8,597 of 8,812 = 97.6 %)."""
    led = _ledger(model)
    return _share(_closed(model), led)


def ledger_unsettled_share(model: ReformModel, ctx: RunContext) -> float:
    """Share of ledger cases whose claim exceeds what the county can grant (never settled).

    Marked on entry with ``leaders.ledger_unsettled_share``; answered, they stay open
    (003-07: 215 of 8,812 cases not closed, 2.4 %, an upper bound).
    """
    led = _ledger(model)
    return _share(model.issues.unsettleable[: len(model.issues)], led)


def ledger_satisfaction(model: ReformModel, ctx: RunContext) -> float:
    """Share of closed ledger cases whose reporter is satisfied in the reply survey (回访满意率).

    003-07 reports a satisfied *share* (98.5 % or more). A reporter is satisfied when the
    problem was really solved (not closed on paper, did not come back) and the closure came
    early enough not to make them complain: its experience score (1 on time, 0.1 less per day
    late, at least 0.2; docs/ODD.md) at least ``residents.complaint_threshold``.
    """
    s, n = _arrays(model)
    sel = _ledger(model) & _closed(model)
    if not sel.any():
        return math.nan
    late = np.maximum(0, s.end_day[:n] - s.deadline_day[:n]).astype(float)
    score = np.maximum(0.2, 1.0 - 0.1 * late)
    came_back = np.zeros(n, bool)
    back = s.reopened_from[:n]
    came_back[back[back >= 0]] = True
    failed = s.formal_closure[:n].astype(bool) | came_back
    satisfied = ~failed & (score >= model.spec.residents.complaint_threshold)
    return float(satisfied[sel].mean())


def village_solved_per_1000_year(model: ReformModel, ctx: RunContext) -> float:
    """Issues solved at village level, per 1,000 residents per year.

    Closed issues whose solver is a village/community (its cadres and, after town-village
    integration, the stationed town cadres).
    """
    n = int((_closed(model) & _solver_kind(model, "village")).sum())
    return n / model.spec.residents.population * 1000 * 365 / max(1, model.day)


def latent_days_mean(model: ReformModel, ctx: RunContext) -> float:
    """Mean days from a problem arising to government knowing of it (new problems only)."""
    s, n = _arrays(model)
    known = s.known_day[:n]
    sel = (known >= 0) & (s.reopened_from[:n] < 0) & (s.complaint_of[:n] < 0)
    return float((known[sel] - s.created_day[:n][sel]).mean()) if sel.any() else math.nan


def min_escalated_on_time(model: ReformModel, ctx: RunContext) -> float:
    """Lowest on-time rate over required levels 2-5 (censoring-aware, original deadlines).

    These are the events that had to leave the grid (002-06/07), each against its own
    "135710" limit (002-14).
    """
    rates = model.metrics.level_rates()  # censoring-aware: open issues past their deadline are late
    vals = [rates[f"on_time_rate_level_{k}"] for k in range(2, 6)]
    vals = [v for v in vals if not math.isnan(v)]
    return float(min(vals)) if vals else math.nan


def days_to_close_window(model: ReformModel, ctx: RunContext) -> float:
    """Mean days from known to closed of issues that became known within ``window``."""
    s, n = _arrays(model)
    known = s.known_day[:n]
    sel = _closed(model) & (known >= 0)
    if ctx.window is not None:
        sel &= (known >= ctx.window[0]) & (known <= ctx.window[1])
    return float((s.end_day[:n][sel] - known[sel]).mean()) if sel.any() else math.nan


def days_known_to_close_county_and_above(model: ReformModel, ctx: RunContext) -> float:
    """Kaplan–Meier mean days from known to closed of issues that need the county or above.

    Issues of required level 4 or more: their information travels from the grid past every
    level up to the county (001-06, 001-08), so a level added anywhere on the chain lies on
    their way. Issues still open are right-censored at the run's last day.
    """
    from reformabm.survival import km_summary

    s, n = _arrays(model)
    known = s.known_day[:n]
    sel = (known >= 0) & (s.level[:n] >= 4)
    if not sel.any():
        return math.nan
    closed = _closed(model)[sel]
    end = np.where(closed, s.end_day[:n][sel], model.day)
    return float(km_summary(end - known[sel], closed)["mean"])


_GOVERNMENT = ("department", "township", "county", "city", "centre", "area")


def government_staff(g: Any) -> float:
    """Staff of the administration (编制) in org graph ``g``.

    Departments, townships, county/city units, centres and quasi-units' seconded staff;
    villages, grids, leaders, bureaus and commissions are not counted.
    """
    return float(sum(d.get("staff", 0.0) for _, d in g.nodes(data=True)
                     if d.get("kind") in _GOVERNMENT))


def government_staff_ratio(model: ReformModel, ctx: RunContext) -> float:
    """Administration staff at the end / at the start (004-06: ~0.40 of a comparable county)."""
    if not ctx.initial_government_staff:
        return math.nan
    return government_staff(model.org) / ctx.initial_government_staff


def middle_layer_emerged(model: ReformModel, ctx: RunContext) -> float:
    """Count endogenous emergences of quasi-units (片区/治理单元; ``middle_layer_rule``)."""
    return float(sum(1 for r in model.reforms_applied if r.get("name") == "middle_layer_emerged"))


def quasi_units(model: ReformModel, ctx: RunContext) -> float:
    """Quasi-layer units (片区/治理单元) in the organisation at the end of the run."""
    return float(sum(1 for _, d in model.org.nodes(data=True) if d.get("quasi")))


def blame_bottom(model: ReformModel, ctx: RunContext) -> float:
    """Share of discipline cases blamed on grid teams and villages (ranks 1-2; 001-12)."""
    s = model.summary()
    vals = [s.get("blame_level_1"), s.get("blame_level_2")]
    return math.nan if any(v is None for v in vals) else float(sum(vals))


def blame_bottom_excess(model: ReformModel, ctx: RunContext) -> float:
    """Blame share of ranks 1-2 minus their share of issue-days held (001-12).

    Positive: the bottom is blamed beyond its part in the time issues were held.
    """
    s = model.summary()
    b = blame_bottom(model, ctx)
    return b - float(s["holding_share_level_1"] + s["holding_share_level_2"])


#: Derived metrics by name: ``fn(model, context) -> float`` (docstrings give the definitions).
METRICS: dict[str, Callable[[ReformModel, RunContext], float]] = {
    f.__name__: f for f in (
        cross_boundary_leader_share, ledger_cases, ledger_per_1000_year, ledger_closure_share,
        ledger_unsettled_share, ledger_satisfaction, village_solved_per_1000_year, latent_days_mean,
        min_escalated_on_time,
        days_to_close_window, days_known_to_close_county_and_above, government_staff_ratio,
        middle_layer_emerged, quasi_units,
        blame_bottom, blame_bottom_excess,
    )
}


@lru_cache(maxsize=1)
def _summary_keys() -> frozenset[str]:
    from reformabm.model import ReformModel

    m = ReformModel("teaching", rng=1, days=1)
    m.step()
    return frozenset(k for k, v in m.summary().items() if not isinstance(v, (str, list)))


def _metric_value(model: ReformModel, metric: str, ctx: RunContext) -> float:
    if metric in METRICS:
        return float(METRICS[metric](model, ctx))
    if metric.startswith("ts:"):
        df = model.timeseries()
        col = df[metric[3:]]
        if ctx.window is not None:
            col = col[(df["day"] >= ctx.window[0]) & (df["day"] <= ctx.window[1])]
        import pandas as pd

        col = pd.to_numeric(col, errors="coerce")
        return float(col.mean()) if col.notna().any() else math.nan
    v = model.summary().get(metric)
    return math.nan if v is None else float(v)


# ---- the patterns file -------------------------------------------------------------------------

_CMP = re.compile(r"^\s*(>=|<=|>|<)\s*([-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)\s*$")
_IN = re.compile(r"^\s*in\s*\[\s*([-+]?[\d.eE+-]+)\s*,\s*([-+]?[\d.eE+-]+)\s*\]\s*$")
_DIRECTIONS = ("increasing", "decreasing", "not increasing", "not decreasing")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Arm(_Strict):
    """One arm of a comparison: a label and what it changes (on top of the pattern's base)."""

    label: str
    overrides: dict[str, Any] = Field(default_factory=dict, description="dotted-path overrides")
    reforms: list[str] = Field(default_factory=list,
                               description="extra reforms, CLI syntax name:k=v@day")
    drop_reforms: list[str] = Field(default_factory=list,
                                    description="the scenario's [[reforms]] left out (by name)")
    reform_params: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="fields of the scenario's [[reforms]] changed, by name: "
        "{ remove_layer = { reassign_share = 1.0 } }")


class Pattern(_Strict):
    """One testable statement of a seed paper."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    paper: str = Field(pattern=r"^00[0-4]$", description="seed paper 000-004")
    source: str = Field(min_length=3, description="docs/sources.md rows, e.g. '000-17, 000-05'")
    case: str = Field(description="the seed scenario the pattern is about (z_city, kaifeng, ...)")
    statement: str = Field(min_length=10)
    scenario: str = Field(description="scenario to run: shipped name or .toml path")
    fast: bool = False
    days: int | None = Field(None, ge=1, le=36500)
    seeds: int | list[int] | None = None
    overrides: dict[str, Any] = Field(default_factory=dict)
    reforms: list[str] = Field(default_factory=list)
    drop_reforms: list[str] = Field(default_factory=list)
    metric: str
    window: tuple[int, int] | None = None
    arms: list[Arm] = Field(default_factory=list)
    expect: str
    tolerance: float = Field(0.0, ge=0)
    all_seeds: bool = True
    mechanism: str = Field("", description="the mechanism the pattern rests on (ablation name)")
    counterpart: Arm | None = Field(None, description="the same runs with the mechanism off")
    counterpart_shrink: float | None = Field(
        None, gt=0, le=1, description="share by which the effect must shrink in the counterpart "
        "(default: the counterpart must fail the expectation)")

    @field_validator("seeds")
    @classmethod
    def _seeds(cls, v: int | list[int] | None) -> int | list[int] | None:
        if isinstance(v, int) and v < 1:
            raise ValueError("expected a number of seeds >= 1 or a list of seeds")
        if isinstance(v, list) and (not v or min(v) < 0):
            raise ValueError("expected a non-empty list of seeds >= 0")
        return v

    @field_validator("window")
    @classmethod
    def _window(cls, v: tuple[int, int] | None) -> tuple[int, int] | None:
        if v is not None and not 1 <= v[0] <= v[1]:
            raise ValueError("expected [first_day, last_day] with 1 <= first_day <= last_day")
        return v

    @field_validator("metric")
    @classmethod
    def _metric(cls, v: str) -> str:
        from reformabm.metrics import DAILY_KEYS

        if v in METRICS:
            return v
        if v.startswith("ts:"):
            if v[3:] not in DAILY_KEYS:
                raise ValueError(f"'{v[3:]}' is not a daily key; expected one of {DAILY_KEYS}")
            return v
        if v not in _summary_keys():
            raise ValueError(f"'{v}' is neither a derived metric {sorted(METRICS)}, nor "
                             "'ts:<daily key>', nor a key of the run summary (summary.json)")
        return v

    @model_validator(mode="after")
    def _expectation(self) -> Pattern:
        e = self.expect.strip()
        if len(self.arms) == 1:
            raise ValueError("arms: give none (one run: the scenario) or at least two to compare")
        if self.arms:
            if e not in _DIRECTIONS:
                raise ValueError(f"expect = {self.expect!r}: with arms, expected one of "
                                 f"{list(_DIRECTIONS)}")
            labels = [a.label for a in self.arms]
            if len(set(labels)) != len(labels):
                raise ValueError("arms: labels must be unique")
        else:
            m = _IN.match(e)
            if not (_CMP.match(e) or (m and float(m.group(1)) <= float(m.group(2)))):
                raise ValueError(f"expect = {self.expect!r}: without arms, expected '> x', '>= x', "
                                 "'< x', '<= x' or 'in [a, b]' with a <= b")
        if self.counterpart is not None and not self.mechanism:
            raise ValueError("counterpart: name the `mechanism` it switches off")
        if self.counterpart_shrink is not None and self.counterpart is None:
            raise ValueError("counterpart_shrink: give the `counterpart` run it applies to")
        if self.counterpart_shrink is not None and not self.arms:
            raise ValueError("counterpart_shrink: only for patterns with arms (an effect to shrink)")
        if self.metric in ("days_to_close_window",) and self.window is None:
            raise ValueError(f"metric {self.metric} needs window = [first_day, last_day]")
        return self


class Defaults(_Strict):
    """``[defaults]`` of the patterns file."""

    seeds: int | list[int] = 3
    days: int = Field(365, ge=1, le=36500)


class PatternFile(_Strict):
    """The whole patterns file."""

    defaults: Defaults = Field(default_factory=Defaults)
    patterns: list[Pattern] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> PatternFile:
        ids = [p.id for p in self.patterns]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"pattern ids must be unique; repeated: {dup}")
        return self


def _loc(loc: tuple, data: dict) -> str:
    parts: list[str] = []
    node: Any = data
    for item in loc:
        if isinstance(item, int) and isinstance(node, list) and 0 <= item < len(node):
            node = node[item]
            name = node.get("id") or node.get("label") if isinstance(node, dict) else None
            parts[-1] = f"{parts[-1]}[{name or item}]" if parts else f"[{item}]"
        else:
            parts.append(str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return ".".join(parts)


def load_patterns(path: str | Path | None = None) -> PatternFile:
    """Read and validate a patterns file (default: ``calibration/patterns.toml``).

    Raises
    ------
    CalibrationError
        Naming the pattern, the field, the value and what was expected.
    """
    path = Path(path) if path is not None else PATTERNS_FILE
    data = read_toml(path, "patterns", CalibrationError)
    try:
        pf = PatternFile.model_validate(data)
    except ValidationError as exc:
        msgs = []
        for e in exc.errors()[:5]:
            where = _loc(tuple(e.get("loc", ())), data) or "(file)"
            val = e.get("input")
            hide = isinstance(val, (dict, list)) or e.get("type") == "missing"
            shown = "" if hide else f" = {val!r}"
            msg = "unknown field" if e.get("type") == "extra_forbidden" else e.get("msg", "invalid")
            msgs.append(f"`{where}`{shown}: {msg}")
        more = len(exc.errors()) - 5
        raise CalibrationError(f"patterns file '{path}': " + "; ".join(msgs)
                               + (f" (and {more} more)" if more > 0 else "")) from None
    from reformabm.scenario import scenario_path

    for p in pf.patterns:
        try:
            scenario_path(p.scenario)
        except ReformabmError as exc:
            raise CalibrationError(f"pattern '{p.id}': {exc}") from None
    return pf


def select_patterns(pf: PatternFile, which: str | None = None, *,
                    full: bool = False) -> list[Pattern]:
    """Select the patterns about ``which``, fast ones only unless ``full``.

    ``which`` is a case, scenario, paper number or pattern id; None selects all.
    """
    pats = [p for p in pf.patterns if full or p.fast]
    if which:
        keys = lambda p: {p.case, p.scenario, p.paper, p.id, Path(p.scenario).stem}  # noqa: E731
        chosen = [p for p in pats if which in keys(p)]
        if not chosen:
            everything = sorted({k for p in pf.patterns for k in (p.case, p.paper)})
            hint = "" if full else " (add --full to include the slow full-scale patterns)"
            raise CalibrationError(f"no {'' if full else 'fast '}pattern is about '{which}'{hint}; "
                                   "expected a case, scenario, paper or pattern id, e.g. "
                                   f"{everything}")
        pats = chosen
    return pats


# ---- running -----------------------------------------------------------------------------------

def _freeze(overrides: dict[str, Any]) -> str:
    """Write overrides as canonical JSON (hashable; ``json.loads`` reads them back)."""
    return json.dumps(overrides, sort_keys=True, ensure_ascii=False)


@dataclass(frozen=True)
class _RunKey:
    scenario: str
    days: int
    seed: int
    overrides: str  # canonical JSON
    reforms: tuple[str, ...]


def _run_one(key: _RunKey, wanted: tuple[tuple[str, tuple[int, int] | None], ...]) -> dict:
    """Run one configuration and compute the wanted (metric, window) values (picklable)."""
    from reformabm.model import ReformModel

    overrides = json.loads(key.overrides)
    t0 = time.perf_counter()
    model = ReformModel(key.scenario, rng=key.seed, days=key.days, overrides=overrides,
                        reforms=list(key.reforms),
                        collect_daily=any(metric.startswith("ts:") for metric, _ in wanted))
    ctx_staff = government_staff(model.org)
    model.run()
    out = {}
    for metric, window in wanted:
        out[(metric, window)] = _metric_value(model, metric, RunContext(ctx_staff, window))
    out["_seconds"] = time.perf_counter() - t0
    return out


def _seeds_of(p: Pattern, defaults: Defaults, n_seeds: int | None) -> list[int]:
    if n_seeds is not None:
        return list(range(1, n_seeds + 1))
    s = p.seeds if p.seeds is not None else defaults.seeds
    return list(range(1, s + 1)) if isinstance(s, int) else list(s)


def _scenario_reforms(p: Pattern, overrides: dict[str, Any], drop: list[str],
                      params: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Override the scenario's ``[[reforms]]``: ``drop`` left out, ``params`` fields changed.

    (Reforms scheduled after a shortened run's last day are left out by the model itself.)
    """
    params = params or {}
    if not drop and not params:
        return overrides
    from reformabm.scenario import read_scenario_data

    listed = overrides.get("reforms")
    if listed is None:
        listed = read_scenario_data(p.scenario)[0].get("reforms", [])
    names = {r.get("name") for r in listed}
    unknown = sorted((set(drop) | set(params)) - names)
    if unknown:
        raise CalibrationError(f"pattern '{p.id}': drop_reforms/reform_params {unknown} are not "
                               f"among the scenario's reforms {sorted(n for n in names if n)}")
    kept = [{**r, **params.get(r.get("name"), {})} for r in listed if r.get("name") not in drop]
    return {**overrides, "reforms": kept}


def _arms(p: Pattern, counterpart: bool = False) -> list[tuple[str, dict, list[str]]]:
    """(label, overrides, extra reforms) of each arm; one unnamed arm without ``arms``.

    With ``counterpart``, every arm also carries the pattern's counterpart changes (the
    mechanism switched off), applied last.
    """
    c = p.counterpart if counterpart else None
    c_ov = c.overrides if c else {}
    c_rf = c.reforms if c else []
    c_drop = c.drop_reforms if c else []
    c_par = c.reform_params if c else {}
    out = []
    for a in p.arms or [Arm(label="")]:
        drop = [*p.drop_reforms, *a.drop_reforms, *c_drop]
        par = {n: {**a.reform_params.get(n, {}), **c_par.get(n, {})}
               for n in {*a.reform_params, *c_par}}
        ov = _scenario_reforms(p, {**p.overrides, **a.overrides, **c_ov}, drop, par)
        out.append((a.label, ov, [*p.reforms, *a.reforms, *c_rf]))
    return out


def _variants(p: Pattern) -> tuple[bool, ...]:
    """The pattern's runs: itself, and its counterpart if it has one."""
    return (False, True) if p.counterpart is not None else (False,)


def _plan(pats: list[Pattern], defaults: Defaults,
          n_seeds: int | None) -> dict[_RunKey, dict[str, set]]:
    """Every distinct run the patterns need, with the (metric, window) pairs and pattern ids."""
    plan: dict[_RunKey, dict[str, set]] = {}
    for p in pats:
        days = p.days or defaults.days
        for variant in _variants(p):
            for _, ov, rf in _arms(p, variant):
                for seed in _seeds_of(p, defaults, n_seeds):
                    key = _RunKey(p.scenario, days, seed, _freeze(ov), tuple(rf))
                    entry = plan.setdefault(key, {"wanted": set(), "ids": set()})
                    entry["wanted"].add((p.metric, p.window))
                    entry["ids"].add(p.id)
    return plan


def _fmt(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x:.3g}" if abs(x) >= 100 else f"{x:.3f}"


def _evaluate(p: Pattern, values: list[np.ndarray]) -> tuple[str, float, bool]:
    """Observed text, headline value and pass for a pattern given per-arm per-seed values."""
    e = p.expect.strip()
    if not p.arms:
        v = values[0]
        mean = float(np.nanmean(v)) if np.isfinite(v).any() else math.nan
        finite = np.isfinite(v).any()
        lo, hi = (float(np.nanmin(v)), float(np.nanmax(v))) if finite else (math.nan, math.nan)
        spread = f" (seeds {_fmt(lo)}..{_fmt(hi)})" if len(v) > 1 else ""
        obs = f"{_fmt(mean)}{spread}"
        if math.isnan(mean):
            return obs, mean, False
        m = _CMP.match(e)
        if m:
            op, x = m.group(1), float(m.group(2))
            ok = {">": mean > x, ">=": mean >= x, "<": mean < x, "<=": mean <= x}[op]
        else:
            m2 = _IN.match(e)
            ok = float(m2.group(1)) <= mean <= float(m2.group(2))
        return obs, mean, bool(ok)
    means = [float(np.nanmean(v)) if np.isfinite(v).any() else math.nan for v in values]
    ok = True
    diffs = []
    for a, b in zip(values, values[1:], strict=False):
        d = b - a
        dm = float(np.nanmean(d)) if np.isfinite(d).any() else math.nan
        diffs.append(dm)
        if math.isnan(dm):
            ok = False
            continue
        fin = d[np.isfinite(d)]
        if e == "increasing":
            ok &= dm > p.tolerance and (not p.all_seeds or bool((fin > 0).all()))
        elif e == "decreasing":
            ok &= dm < -p.tolerance and (not p.all_seeds or bool((fin < 0).all()))
        elif e == "not increasing":
            ok &= dm <= p.tolerance
        else:  # not decreasing
            ok &= dm >= -p.tolerance
    obs = " -> ".join(_fmt(m) for m in means)
    obs += " (paired diff " + ", ".join(("+" if d > 0 else "") + _fmt(d) for d in diffs) + ")"
    return obs, diffs[-1] if diffs else math.nan, bool(ok)


def _expected_text(p: Pattern) -> str:
    e = p.expect.strip()
    metric = p.metric + (f" d{p.window[0]}-{p.window[1]}" if p.window else "")
    if p.arms:
        tol = f" (tol {p.tolerance:g})" if p.tolerance else ""
        return f"{metric} {e}{tol} over " + " -> ".join(a.label for a in p.arms)
    return f"{metric} {e}"


def run_patterns(
    which: str | None = None, *, full: bool = False, seeds: int | None = None, workers: int = 1,
    path: str | Path | None = None, patterns: list[Pattern] | None = None,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Run the selected patterns over their seeds; one row per pattern.

    Parameters
    ----------
    which : str, optional
        A case (``z_city``), scenario, paper (``"003"``) or pattern id; None: all.
    full : bool
        Include the slow full-scale patterns (default: only those marked ``fast``).
    seeds : int, optional
        Run every pattern over seeds 1..``seeds`` instead of its own seeds.
    workers : int
        Parallel processes (each distinct run is one task).
    path : str or Path, optional
        Patterns file (default ``calibration/patterns.toml``).
    patterns : list of Pattern, optional
        Run these instead of reading a file (``which``/``full`` are then ignored).

    Returns
    -------
    pandas.DataFrame
        Columns ``pattern, paper, source, case, scenario, statement, expected, observed, value,
        holds, mechanism, counterpart, counterpart_pass, pass, seeds, days, seconds``;
        ``holds``: the expectation holds; ``pass``: it holds and the counterpart passes.
    """
    pf = load_patterns(path)
    defaults = pf.defaults
    pats = patterns if patterns is not None else select_patterns(pf, which, full=full)
    if not pats:
        raise CalibrationError("no pattern selected (patterns run by default are those with "
                               "fast = true; add --full for the others)")
    if seeds is not None and seeds < 1:
        raise CalibrationError(f"--seeds {seeds}: expected at least 1")
    plan = _plan(pats, defaults, seeds)
    say = progress or (lambda _msg: None)
    say(f"validate: {len(pats)} pattern(s), {len(plan)} distinct run(s)")
    results: dict[_RunKey, dict] = {}
    keys = sorted(plan, key=lambda k: (k.scenario, k.days, k.overrides, k.reforms, k.seed))

    def wanted(k: _RunKey) -> tuple:
        return tuple(sorted(plan[k]["wanted"], key=str))

    def go(k: _RunKey, job: Callable[[], dict]) -> None:
        try:
            res = job()
        except ReformabmError as exc:
            raise CalibrationError(f"pattern(s) {sorted(plan[k]['ids'])}: the run of "
                                   f"'{k.scenario}' (seed {k.seed}, {k.days} days) failed: "
                                   f"{exc}") from None
        results[k] = res
        say(f"  ran {k.scenario}, seed {k.seed}, {k.days} days ({res['_seconds']:.1f} s) for "
            f"{', '.join(sorted(plan[k]['ids']))}")

    if workers <= 1:
        for k in keys:
            go(k, lambda k=k: _run_one(k, wanted(k)))
    else:
        from reformabm.experiments.executors import make_executor  # stops at once on Ctrl-C

        with make_executor("local", workers=workers) as ex:
            futs = {k: ex.submit(_run_one, k, wanted(k)) for k in keys}
            for k in keys:
                go(k, futs[k].result)
    rows = []
    for p in pats:
        days = p.days or defaults.days
        sds = _seeds_of(p, defaults, seeds)
        secs = 0.0
        evaluated = []
        for variant in _variants(p):
            vals = []
            for _, ov, rf in _arms(p, variant):
                arm_vals = []
                for seed in sds:
                    res = results[_RunKey(p.scenario, days, seed, _freeze(ov), tuple(rf))]
                    arm_vals.append(res[(p.metric, p.window)])
                    secs += res["_seconds"]
                vals.append(np.asarray(arm_vals, dtype=float))
            evaluated.append((vals, *_evaluate(p, vals)))
        _, observed, value, holds = evaluated[0]
        if p.counterpart is not None:
            c_obs, c_ok = _counterpart_check(p, evaluated[0][0], evaluated[1][0], evaluated[1][3])
        else:
            c_obs, c_ok = "", True
        rows.append({
            "pattern": p.id, "paper": p.paper, "source": p.source, "case": p.case,
            "scenario": p.scenario, "statement": p.statement, "expected": _expected_text(p),
            "observed": observed, "value": value, "holds": holds, "mechanism": p.mechanism,
            "counterpart": c_obs, "counterpart_pass": c_ok, "pass": bool(holds and c_ok),
            "seeds": len(sds), "days": days, "seconds": round(secs, 2),
        })
    import pandas as pd

    return pd.DataFrame(rows)


def _effect(values: list[np.ndarray]) -> float:
    """Mean paired difference from the first arm to the last."""
    d = values[-1] - values[0]
    return float(np.nanmean(d)) if np.isfinite(d).any() else math.nan


def _counterpart_check(p: Pattern, on: list[np.ndarray], off: list[np.ndarray],
                       off_holds: bool) -> tuple[str, bool]:
    """Observed text and pass of the counterpart (the mechanism off).

    Without ``counterpart_shrink`` the counterpart passes when the expectation fails in it;
    with it, when the effect (first arm to last) shrinks by at least that share.
    """
    obs = _evaluate(p, off)[0]
    if p.counterpart_shrink is None:
        return f"{obs}: {'still holds' if off_holds else 'fails'}", not off_holds
    e_on, e_off = _effect(on), _effect(off)
    if math.isnan(e_on) or math.isnan(e_off) or e_on == 0:
        return f"{obs}: effect n/a", False
    kept = e_off / e_on  # share of the effect left, signed (< 0: reversed)
    ok = kept <= 1 - p.counterpart_shrink
    return f"{obs}: {kept:.0%} of the effect left (at most {1 - p.counterpart_shrink:.0%})", bool(ok)


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def format_table(df: pd.DataFrame, width: int = 60) -> str:
    """Format the validation table as aligned text, one row per pattern.

    Columns: pattern, source, expected, observed, the counterpart (mechanism off), result.
    """
    def cut(x: object) -> str:
        x = str(x)
        return x if len(x) <= width else x[: width - 1] + "…"

    rows = [["pattern", "source", "expected", "observed", "mechanism off", "result"]]
    for r in df.to_dict("records"):
        if r["pass"]:
            result = "PASS"
        elif r.get("holds", False):
            result = "FAIL (holds with its mechanism off)"
        else:
            result = "FAIL"
        rows.append([str(r["pattern"]), cut(r["source"]), cut(r["expected"]), cut(r["observed"]),
                     cut(r.get("counterpart", "") or "-"), result])
    widths = [max(_display_width(row[i]) for row in rows) for i in range(6)]
    lines = ["  ".join(c + " " * (w - _display_width(c)) for c, w in zip(row, widths, strict=True))
             for row in rows]
    return "\n".join(line.rstrip() for line in lines)
