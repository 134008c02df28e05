"""Run metrics: daily reporters and run summary (DESIGN §3.4).

Counters are updated as issues move (``on_closed`` and the handlers' increments), so a day's
metrics cost O(units + histogram), never a scan of all issues. Definitions (see docs/ODD.md):

- ``closure_rate``: closed / created.
- ``on_time_rate``: share of closed issues closed by their deadline (``process.deadline_days``
  by required level, counted from the day the issue became known).
- ``days_to_close_*``: days from becoming known to closure, over closed issues.
- ``coordination_dependence`` (高位协调依赖): share of department-track issues that needed the
  leader's coordination: (closed by departments after the leader + now waiting for or coming
  from the leader) / (closed by departments + open on the department track or at the leader).
  Issues stuck in the leader's queue count, so a scarce leader does not flatter it.
- ``pushback_rate``: push-backs per dispatch to a department; ``misdispatch_rate``:
  misdispatched returns per dispatch.
- ``utilisation_<kind>``: staff-days worked / staff-days available, by unit kind.

- ``formal_closure_share`` (形式化办结): share of closures that were closures on paper.
- ``satisfaction`` (满意度, as in a reply survey 回访): mean score of the experiences of the
  residents served so far — each closure scored 1 on time, 0.1 less per day late (at least
  0.2), and 0 for a problem that comes back after a closure on paper.
  ``resident_satisfaction``: population-weighted mean of residents' satisfaction state
  (moves slowly: most people have no issue in a given month).
- ``blame_level_<k>``: share of accountability cases whose blamed unit is of rank ``k``
  (null when supervision is off or no case arose).
- ``involution_index`` (内卷化指数): with window ``W`` = ``workload.involution_window_days``,
  effort ``E`` = staff-days spent (issue work + rule overhead + campaigns + push-down) and
  outcome ``O`` = issues closed and held (not on paper, not failed), both summed over the
  trailing ``W`` days, ``I(t) = ln(E(t)/E0) - ln(O(t)/O0)`` where ``E0, O0`` are the sums over
  the reference window (days ``W+1 .. 2W``, after the warm-up). ``I > 0``: effort grew faster
  than outcomes. Null before day ``2W``.
"""

from __future__ import annotations

import math
from functools import partial
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from reformabm.issues import Stage
from reformabm.org.graph import NodeKind
from reformabm.org.tables import KIND_CODES

if TYPE_CHECKING:
    from reformabm.model import ReformModel

__all__ = ["Metrics", "UTILISATION_KINDS", "DAILY_KEYS", "model_reporters", "DailyCollector"]

UTILISATION_KINDS = [
    NodeKind.GRID, NodeKind.VILLAGE, NodeKind.AREA, NodeKind.TOWNSHIP, NodeKind.COUNTY,
    NodeKind.CITY, NodeKind.CENTRE, NodeKind.DEPARTMENT, NodeKind.LEADER,
]
_MAX_DAYS = 4000
LEVELS = range(1, 6)

DAILY_KEYS = [
    "day", "created_total", "closed_total", "withdrawn_total", "open", "latent", "in_process",
    "created", "closed", "withdrawn", "overdue", "leader_queue",
    "closure_rate", "on_time_rate", "days_to_close_mean", "coordination_dependence",
    "pushback_rate", "misdispatch_rate", "formal_closure_share", "involution_index",
    "satisfaction", "resident_satisfaction", "staff_total", "n_layers", "span_of_control_max",
    "yellow", "red", "supervision_cases", "discipline_cases", "extensions", "formal_closures",
    "reopened", "held_closures", "effort_staff_days", "rules", "rule_overhead_share",
    "campaign_active", "grid_time_lost_share", "pressure_mean", "strain_mean", "trust",
    "reform", "closed_by_departments",
    # run metrics of summary.json that are cheap to keep daily (so mesa.batch_run rows carry them)
    "issues_created", "issues_closed", "issues_open", "issues_withdrawn", "days_to_close_p50",
    "days_to_close_p90", "centre_betweenness", "population",
    *[f"on_time_rate_level_{k}" for k in range(1, 6)], *[f"blame_level_{k}" for k in range(1, 6)],
    *[f"utilisation_{k.value}" for k in UTILISATION_KINDS],
]


def _nan_div(a: float, b: float) -> float:
    return a / b if b else math.nan


class Metrics:
    """Counters of one run and the derived daily and summary metrics."""

    def __init__(self, n_units: int) -> None:
        self.closed = 0
        self.withdrawn = 0
        self.discovered = 0
        self.reported = 0
        self.dispatches = 0
        self.misdispatches = 0
        self.pushbacks = 0
        self.to_leader = 0
        self.settled_by_centre = 0
        self.rejected_at_confirm = 0
        self.closed_by_dept = 0
        self.closed_by_dept_leader = 0
        self.on_time = 0
        self.closed_level = np.zeros(6, np.int64)
        self.on_time_level = np.zeros(6, np.int64)
        self.ttc_hist = np.zeros(_MAX_DAYS + 1, np.int64)
        self.work_by_kind = np.zeros(len(KIND_CODES))
        self.capacity_by_kind = np.zeros(len(KIND_CODES))
        self.today: dict[str, Any] = {}
        self._prev = (0, 0, 0)
        self.experience_score = 0.0  # sum of residents' experience scores
        self.experiences = 0
        self.contact_found = 0
        self.handed_over = 0
        self.self_resolved = 0
        self.ledger_entries = 0
        self.complaints = 0
        self.daily_util: list[np.ndarray] = []
        self.formal_closures = 0
        self.held_closures = 0
        self.reopened = 0
        self.extensions = 0
        self.supervision_cases = 0
        self.discipline_cases = 0
        self.yellow_today = 0
        self.red_today = 0
        self.blame_by_rank = np.zeros(8, np.int64)
        self.holding_by_rank = np.zeros(8, np.int64)
        self.daily_closed: list[int] = []
        self.daily_on_time: list[int] = []
        self.daily_held: list[int] = []
        self.daily_effort: list[float] = []
        self._closed_today = self._on_time_today = self._held_today = 0
        self._dept_closed_today = 0
        self.window = 30

    # ---- updates ----------------------------------------------------------------------------
    def on_closed(self, model: ReformModel, ids: np.ndarray) -> None:
        """Count closures of ``ids`` (called by :func:`reformabm.routing.close`)."""
        s = model.issues
        self.closed += len(ids)
        lvl = s.level[ids]
        ok = s.end_day[ids] <= s.deadline_day[ids]
        n_ok = int(ok.sum())
        self.on_time += n_ok
        held = int((~s.failed[ids]).sum())
        self.formal_closures += int(s.formal_closure[ids].sum())
        self.held_closures += held
        self._closed_today += len(ids)
        self._on_time_today += n_ok
        self._held_today += held
        self.closed_level += np.bincount(lvl, minlength=6)
        self.on_time_level += np.bincount(lvl[ok], minlength=6)
        ttc = np.clip(s.end_day[ids] - s.known_day[ids], 0, _MAX_DAYS)
        self.ttc_hist += np.bincount(ttc, minlength=_MAX_DAYS + 1)
        by_dept = model.tables.kind[s.solver[ids]] == KIND_CODES[NodeKind.DEPARTMENT]
        self.closed_by_dept += int(by_dept.sum())
        self._dept_closed_today += int(by_dept.sum())
        self.closed_by_dept_leader += int((by_dept & s.needed_leader[ids]).sum())

    def end_day(self, model: ReformModel) -> None:
        """Compute the day's metrics into ``self.today`` (read by the DataCollector)."""
        s = model.issues
        t = model.tables
        cap = np.bincount(t.kind[t.active], weights=model.capacity[t.active], minlength=len(KIND_CODES))
        work = np.bincount(t.kind[t.active], weights=model.work_today[t.active], minlength=len(KIND_CODES))
        self.capacity_by_kind += cap
        self.work_by_kind += work
        with np.errstate(divide="ignore", invalid="ignore"):
            self.daily_util.append(np.where(cap > 0, work / np.where(cap > 0, cap, 1), np.nan))
        ids = s.open_ids
        st = s.stage[ids]
        latent = int((st == Stage.LATENT).sum())
        known = ids[st != Stage.LATENT]
        overdue = int((s.deadline_day[known] < model.day).sum())
        self.holding_by_rank += np.bincount(t.rank[s.holder[known]], minlength=8)[:8]
        wl = model.workload
        effort = float(model.work_today.sum()) + wl.effort_days()
        self.daily_closed.append(self._closed_today)
        self.daily_on_time.append(self._on_time_today)
        self.daily_held.append(self._held_today)
        self.daily_effort.append(effort)
        self._closed_today = self._on_time_today = self._held_today = 0
        grid = t.kind == KIND_CODES[NodeKind.GRID]
        gross_grid = float(wl.gross[grid].sum())
        pop = model.resident_population
        created = len(s)
        prev_created, prev_closed, prev_withdrawn = self._prev
        self._prev = (created, self.closed, self.withdrawn)
        today = {
            "day": model.day,
            "created_total": created,
            "closed_total": self.closed,
            "withdrawn_total": self.withdrawn,
            "open": len(ids),
            "latent": latent,
            "in_process": len(ids) - latent,
            "created": created - prev_created,
            "closed": self.closed - prev_closed,
            "withdrawn": self.withdrawn - prev_withdrawn,
            "overdue": overdue,
            "leader_queue": int((st == Stage.AT_LEADER).sum()),
            **self.rates(created),
            "coordination_dependence": self._coordination_dependence(s, ids, st),
            **model.structure_metrics(),
            "involution_index": self.involution_index(),
            "satisfaction": _nan_div(self.experience_score, self.experiences),
            "resident_satisfaction": float((model.satisfaction * pop).sum() / pop.sum()),
            "trust": float((model.trust * pop).sum() / pop.sum()),
            "yellow": self.yellow_today,
            "red": self.red_today,
            "supervision_cases": self.supervision_cases,
            "discipline_cases": self.discipline_cases,
            "extensions": self.extensions,
            "formal_closures": self.formal_closures,
            "reopened": self.reopened,
            "held_closures": self.held_closures,
            "effort_staff_days": effort,
            "rules": wl.rules,
            "rule_overhead_share": wl.overhead_share,
            "campaign_active": wl.campaign_active(model.day),
            "grid_time_lost_share": _nan_div(
                float((wl.pushdown_days[grid] + wl.campaign_days[grid]).sum()), gross_grid),
            "pressure_mean": float(wl.unit_pressure()[t.active].mean()),
            "strain_mean": float(wl.strain[t.active].mean()),
            "reform": "+".join(model._reforms_today),
            "closed_by_departments": self._dept_closed_today,
            "issues_created": created,
            "issues_closed": self.closed,
            "issues_open": len(ids),
            "issues_withdrawn": self.withdrawn,
            "days_to_close_p50": self.ttc_quantile(0.5),
            "days_to_close_p90": self.ttc_quantile(0.9),
            "centre_betweenness": model.centre_betweenness(),
            "population": model.spec.residents.population,
            **{f"on_time_rate_level_{k}": _nan_div(self.on_time_level[k], self.closed_level[k]) for k in LEVELS},
            **{f"blame_level_{k}": (math.nan if v is None else v)
               for k, v in self.blame_shares(model.spec.accountability.supervision).items()},
        }
        self._dept_closed_today = 0
        for k in UTILISATION_KINDS:
            code = KIND_CODES[k]
            today[f"utilisation_{k.value}"] = _nan_div(work[code], cap[code])
        self.today = today

    # ---- derived ----------------------------------------------------------------------------
    def rates(self, created: int) -> dict[str, float]:
        """Cumulative rates so far, given the number of issues created."""
        return {
            "closure_rate": _nan_div(self.closed, created),
            "on_time_rate": _nan_div(self.on_time, self.closed),
            "days_to_close_mean": self.ttc_quantile(None),
            "coordination_dependence": _nan_div(self.closed_by_dept_leader, self.closed_by_dept),
            "pushback_rate": _nan_div(self.pushbacks, self.dispatches),
            "misdispatch_rate": _nan_div(self.misdispatches, self.dispatches),
            "formal_closure_share": _nan_div(self.formal_closures, self.closed),
        }

    def _coordination_dependence(self, s: Any, ids: np.ndarray, st: np.ndarray) -> float:
        at_leader = st == Stage.AT_LEADER
        dept_track = (st == Stage.AT_DEPT) | at_leader
        open_led = int((dept_track & (s.needed_leader[ids] | at_leader)).sum())
        return _nan_div(self.closed_by_dept_leader + open_led, self.closed_by_dept + int(dept_track.sum()))

    def involution_index(self) -> float:
        """Involution index now (see the module docstring); NaN before day ``2W``."""
        w = self.window
        e, o = self.daily_effort, self.daily_held
        if len(e) < 2 * w:
            return math.nan
        e0, o0 = sum(e[w:2 * w]), sum(o[w:2 * w])
        e1, o1 = sum(e[-w:]), sum(o[-w:])
        if min(e0, o0, e1, o1) <= 0:
            return math.nan
        return float(math.log(e1 / e0) - math.log(o1 / o0))

    def recent_utilisation(self, kind_code: int, days: int) -> float | None:
        """Mean daily utilisation of a unit kind over the last ``days`` days (None if unknown)."""
        vals = [u[kind_code] for u in self.daily_util[-days:] if not np.isnan(u[kind_code])]
        return float(np.mean(vals)) if vals else None

    def window_on_time_rate(self, days: int) -> float | None:
        """On-time rate of the closures of the last ``days`` days (None if none closed)."""
        closed = sum(self.daily_closed[-days:])
        return sum(self.daily_on_time[-days:]) / closed if closed else None

    def blame_shares(self, supervision: bool) -> dict[int, float | None]:
        """Share of accountability cases by blamed unit's rank 1-5 (None when not applicable)."""
        total = int(self.blame_by_rank.sum())
        if not supervision or total == 0:
            return {k: None for k in LEVELS}
        return {k: float(self.blame_by_rank[k] / total) for k in LEVELS}

    def holding_shares(self) -> dict[int, float]:
        """Share of issue-days spent held by units of each rank 1-5."""
        total = max(1, int(self.holding_by_rank.sum()))
        return {k: float(self.holding_by_rank[k] / total) for k in LEVELS}

    def ttc_quantile(self, q: float | None) -> float:
        """Days-to-close quantile ``q`` (None: the mean) from the histogram."""
        n = self.ttc_hist.sum()
        if n == 0:
            return math.nan
        days = np.arange(len(self.ttc_hist))
        if q is None:
            return float((days * self.ttc_hist).sum() / n)
        cum = np.cumsum(self.ttc_hist)
        return float(np.searchsorted(cum, q * n, side="left"))

    def utilisation(self) -> dict[str, float]:
        """Run-average utilisation by unit kind (NaN where a kind has no capacity)."""
        return {
            f"utilisation_{k.value}": _nan_div(self.work_by_kind[KIND_CODES[k]],
                                               self.capacity_by_kind[KIND_CODES[k]])
            for k in UTILISATION_KINDS
        }


def _report(model: ReformModel, key: str) -> Any:
    return model.metrics.today.get(key, math.nan)


def model_reporters() -> dict[str, Any]:
    """DataCollector model reporters: one picklable reporter per daily key."""
    return {k: partial(_report, key=k) for k in DAILY_KEYS}


class DailyCollector(mesa.DataCollector):
    """Mesa's DataCollector, collecting the day's metrics straight from ``model.metrics.today``.

    The values are immutable scalars computed once a day, so the per-reporter call and deep
    copy of Mesa's generic ``collect`` are skipped; everything else (``model_vars``,
    ``get_model_vars_dataframe``, what ``mesa.batch_run`` reads) is Mesa's own.
    """

    def collect(self, model: ReformModel) -> None:
        """Append today's value of every daily key."""
        if hasattr(self, "_collection_steps"):
            self._collection_steps.append(model.time)
        today = model.metrics.today
        for var, values in self.model_vars.items():
            values.append(today.get(var, math.nan))
