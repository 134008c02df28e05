"""Run metrics: daily reporters and run summary (DESIGN §3.4).

Counters are updated as issues move (``on_closed`` and the handlers' increments), so a day's
metrics cost O(units + histogram), never a scan of all issues. Definitions (see docs/ODD.md):

- ``closure_rate``: closed / created.
- ``on_time_rate`` (censoring-aware): issues closed by their *original* deadline
  (``process.deadline_days`` by required level, counted from the day the issue became known),
  over every issue whose outcome is decided: the closed ones plus the open ones whose deadline
  has passed (an open issue past its deadline is late). ``on_time_rate_extended``: the same
  against the deadline after extensions. ``on_time_rate_closed_only``: closed by the
  (extended) deadline / closed — the figure governments report, kept under a name that says
  so; the gap between it and ``on_time_rate`` is what a backlog hides. By level:
  ``on_time_rate_level_<k>`` and ``on_time_rate_closed_only_level_<k>``.
- ``days_to_close_<stat>`` (``mean``, ``p50``, ``p90``, ``p99``): Kaplan–Meier estimate of the
  days from creation to closure, open issues right-censored at their age (withdrawn issues,
  which government never learned of, are left out); ``days_known_to_close_<stat>`` from first
  knowledge; ``days_to_close_<stat>_closed_only``: closed issues only, from first knowledge
  (the reported figure). See :mod:`reformabm.survival`.
- ``reopened_rate``: problems that came back after a closure that did not hold, per closure.
- ``coordination_dependence`` (高位协调依赖): share of department-track issues that needed the
  leader's coordination: (closed by departments after the leader + now waiting for or coming
  from the leader) / (closed by departments + open on the department track or at the leader).
  Issues stuck in the leader's queue count, so a scarce leader does not flatter it.
- ``pushback_rate``: push-backs per dispatch to a department; ``misdispatch_rate``:
  misdispatched returns per dispatch.
- ``utilisation_<kind>``: staff-days worked on issues / staff-days available for them, by unit
  kind; ``patrol_share``: share of grid teams' gross working time that is left for patrol after
  rules, pushed-down tasks, campaigns and issue work (the rest of their day); in the summary
  its mean over the run's days.

- ``formal_closure_share`` (形式化办结): share of closures that were closures on paper.
- ``satisfaction`` (满意度, as in a reply survey 回访): mean score of the experiences of the
  residents served so far — each closure scored 1 on time, 0.1 less per day late (at least
  0.2), and 0 for a problem that comes back after a closure on paper or for a ledger claim
  answered as beyond what the county can grant (never settled: it stays open).
  ``resident_satisfaction``: population-weighted mean of residents' satisfaction state
  (moves slowly: most people have no issue in a given month).
- ``blame_level_<k>``: share of accountability cases whose blamed unit is of rank ``k``
  (null when supervision is off or no case arose).
- ``involution_index`` (内卷化指数): growth of the rules' input that bought no improvement of
  the outcome the rules target. With window ``W`` = ``workload.involution_window_days``, ``R``
  the mean rule-overhead share of the trailing ``W`` days and ``R0`` of the reference window
  (days ``W+1 .. 2W``, after the warm-up), ``g_R = ln((R + e)/(R0 + e))`` (``e``: one rule's
  share), and ``g_O = ln(O/O0)`` the growth of the censoring-aware on-time rate of the same
  windows: ``I = g_R - min(g_R, max(0, g_O))`` when rules grew (``g_R > 0``), else 0. ``I = 0``
  when the rules do not change, whatever the load; ``I = g_R`` when rules grew and on-time did
  not improve (the involution trap). Null before day ``2W``.
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
from reformabm.survival import QUANTILES, km_summary_from_counts

if TYPE_CHECKING:
    from reformabm.model import ReformModel
    from reformabm.org.tables import RoutingTables

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
    "closure_rate", "on_time_rate", "on_time_rate_extended", "on_time_rate_closed_only",
    "days_to_close_mean", "days_known_to_close_mean", "days_to_close_mean_closed_only",
    "days_known_to_close_p50", "days_known_to_close_p90", "days_to_close_p99", "reopened_rate",
    "coordination_dependence",
    "pushback_rate", "misdispatch_rate", "formal_closure_share", "involution_index",
    "satisfaction", "resident_satisfaction", "staff_total", "n_layers", "span_of_control_max",
    "yellow", "red", "supervision_cases", "discipline_cases", "extensions", "formal_closures",
    "reopened", "held_closures", "effort_staff_days", "rules", "rule_overhead_share",
    "campaign_active", "patrol_share", "grid_time_lost_share", "pressure_mean", "strain_mean", "trust",
    "reform", "closed_by_departments",
    # run metrics of summary.json that are cheap to keep daily (so mesa.batch_run rows carry them)
    "issues_created", "issues_closed", "issues_open", "issues_withdrawn", "days_to_close_p50",
    "days_to_close_p90", "centre_betweenness", "population",
    *[f"on_time_rate_level_{k}" for k in range(1, 6)],
    *[f"on_time_rate_closed_only_level_{k}" for k in range(1, 6)], *[f"blame_level_{k}" for k in range(1, 6)],
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
        self.on_time = 0  # closed by the original deadline
        self.on_time_ext = 0  # closed by the extended deadline
        self.closed_level = np.zeros(6, np.int64)
        self.on_time_level = np.zeros(6, np.int64)
        self.on_time_ext_level = np.zeros(6, np.int64)
        # open issues already late (deadline passed), by level: original / extended deadline
        self.open_late_level = np.zeros(6, np.int64)
        self.open_late_ext_level = np.zeros(6, np.int64)
        # days to close of closed issues, from first knowledge and from creation
        self.ttc_hist = np.zeros(_MAX_DAYS + 1, np.int64)
        self.ttc_created_hist = np.zeros(_MAX_DAYS + 1, np.int64)
        # ages of the open issues today (censored durations), from knowledge and from creation
        self.open_known_age = np.zeros(_MAX_DAYS + 1, np.int64)
        self.open_created_age = np.zeros(_MAX_DAYS + 1, np.int64)
        self._hist_len = 1  # the four histograms are zero from this day of duration on
        self._weights_of: RoutingTables | None = None  # the tables _unit_weights was computed for
        self._weights: tuple[np.ndarray, np.ndarray, float] = (np.zeros(0, np.int8), np.zeros(0), 1e-9)
        self.pressure_sum = 0.0
        self.days_counted = 0
        self.patrol_sum = 0.0  # grid teams' patrol share, summed over days (run mean in the summary)
        self.patrol_days_counted = 0
        self.work_by_kind = np.zeros(len(KIND_CODES))
        self.capacity_by_kind = np.zeros(len(KIND_CODES))
        self._today: dict[str, Any] | None = None
        self._day: dict[str, Any] = {}  # the part of ``today`` only the end of the day gives
        self._work_cap = (np.zeros(0), np.zeros(0))  # the day's issue work and capacity by kind
        self._model: ReformModel | None = None  # the model of the last day ended
        self._ages_current = True
        self._prev = (0, 0, 0)
        self.experience_score = 0.0  # sum of residents' experience scores
        self.experiences = 0
        self.contact_found = 0
        self.handed_over = 0
        self.self_resolved = 0
        self.ledger_entries = 0
        self.unsettled_answered = 0  # ledger claims beyond what the county can grant, answered (stay open)
        self.complaints = 0
        self.overdue_calls = 0  # repeat calls about open overdue issues (催办)
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
        self.daily_overhead: list[float] = []  # rule overhead share per day
        self.daily_open_late: list[int] = []  # open issues past their original deadline, per day
        self.rule_unit_share = 0.005  # overhead share of one rule (set by the model)
        self._closed_today = self._on_time_today = self._held_today = 0
        self._dept_closed_today = 0
        self.window = 30
        # daily entries recorded before the last structural reform (org-graph change): the
        # windows of endogenous rules count only the days after it (issue 17)
        self.structure_mark = 0

    # ---- updates ----------------------------------------------------------------------------
    def on_closed(self, model: ReformModel, ids: np.ndarray) -> None:
        """Count closures of ``ids`` (called by :func:`reformabm.routing.close`)."""
        s = model.issues
        n = len(ids)
        self.closed += n
        lvl = s.level[ids]
        end = s.end_day[ids]
        ok = end <= s.deadline0[ids]
        ok_ext = end <= s.deadline_day[ids]
        n_ok = int(np.count_nonzero(ok))
        self.on_time += n_ok
        self.on_time_ext += int(np.count_nonzero(ok_ext))
        self.on_time_ext_level += np.bincount(lvl[ok_ext], minlength=6)
        held = n - int(np.count_nonzero(s.failed[ids]))
        self.formal_closures += int(np.count_nonzero(s.formal_closure[ids]))
        self.held_closures += held
        self._closed_today += n
        self._on_time_today += n_ok
        self._held_today += held
        self.closed_level += np.bincount(lvl, minlength=6)
        self.on_time_level += np.bincount(lvl[ok], minlength=6)
        ttc = np.bincount(np.minimum(np.maximum(end - s.known_day[ids], 0), _MAX_DAYS))
        self.ttc_hist[: len(ttc)] += ttc
        ttc = np.bincount(np.minimum(np.maximum(end - s.created_day[ids], 0), _MAX_DAYS))
        self.ttc_created_hist[: len(ttc)] += ttc
        self._hist_len = min(model.day, _MAX_DAYS) + 1  # durations end today at the latest
        by_dept = model.tables.of_kind(NodeKind.DEPARTMENT)[s.solver[ids]]
        n_dept = int(np.count_nonzero(by_dept))
        self.closed_by_dept += n_dept
        self._dept_closed_today += n_dept
        self.closed_by_dept_leader += int(np.count_nonzero(by_dept & s.needed_leader[ids]))

    def end_day(self, model: ReformModel) -> None:
        """Close the day's counters; the day's metrics (``self.today``) follow from them.

        What later days need (utilisation, closures, late issues, pressure, the daily lists of
        the rule windows) is recorded now. The full ``today`` dict, with its Kaplan–Meier
        estimates and rates, is computed now when the model's ``collect_daily`` is on (the DataCollector
        reads it every day), else only when read, between this day and the next (a summary at
        the end of a run): the same values either way, at a tenth less time a small run.
        """
        s = model.issues
        t = model.tables
        kind_active, w_staff, w_staff_sum = self._unit_weights(t)
        cap = np.bincount(kind_active, weights=model.capacity[t.active], minlength=len(KIND_CODES))
        work = np.bincount(kind_active, weights=model.work_today[t.active], minlength=len(KIND_CODES))
        self.capacity_by_kind += cap
        self.work_by_kind += work
        self.daily_util.append(np.divide(work, cap, out=np.full(len(cap), np.nan), where=cap > 0))
        ids = s.open_ids
        st = s.stage[ids]
        known = ids[st != Stage.LATENT]
        latent = len(ids) - len(known)
        overdue = int(np.count_nonzero(s.deadline_day[known] < model.day))
        # at the end of the day, an open issue whose deadline is today or earlier is late
        lvl_known = s.level[known]
        self.open_late_level = np.bincount(lvl_known[s.deadline0[known] <= model.day], minlength=6)
        self.open_late_ext_level = np.bincount(lvl_known[s.deadline_day[known] <= model.day], minlength=6)
        self._ages_current = False  # the open issues' ages: computed when the estimates are wanted
        self._hist_len = min(model.day, _MAX_DAYS) + 1
        self.holding_by_rank += np.bincount(t.rank[s.holder[known]], minlength=8)[:8]
        wl = model.workload
        effort = float(model.work_today.sum()) + wl.effort_days()
        self.daily_closed.append(self._closed_today)
        self.daily_on_time.append(self._on_time_today)
        self.daily_held.append(self._held_today)
        self.daily_effort.append(effort)
        self.daily_overhead.append(wl.overhead_share)
        self.daily_open_late.append(int(self.open_late_level.sum()))
        # staff-weighted: the pressure the average staff member works under
        pressure_mean = float((wl.unit_pressure() * w_staff).sum() / w_staff_sum)
        self.pressure_sum += pressure_mean
        self.days_counted += 1
        self._closed_today = self._on_time_today = self._held_today = 0
        grid = t.of_kind(NodeKind.GRID)
        gross_grid = float(wl.gross[grid].sum())
        patrol = _nan_div(float(model.patrol_days[grid].sum()), gross_grid)
        if patrol == patrol:  # not NaN
            self.patrol_sum += patrol
            self.patrol_days_counted += 1
        created = len(s)
        prev_created, prev_closed, prev_withdrawn = self._prev
        self._prev = (created, self.closed, self.withdrawn)
        # what only today's state gives (the pressure and strain change before the next day)
        self._day = {
            "day": model.day, "created_total": created, "closed_total": self.closed,
            "withdrawn_total": self.withdrawn, "open": len(ids), "latent": latent,
            "in_process": len(ids) - latent, "created": created - prev_created,
            "closed": self.closed - prev_closed, "withdrawn": self.withdrawn - prev_withdrawn,
            "overdue": overdue, "leader_queue": int((st == Stage.AT_LEADER).sum()),
            # the state-based figure (open issues at the leader count), not the counters' in rates()
            "coordination_dependence": self._coordination_dependence(s, ids, st),
            **model.structure_metrics(), "yellow": self.yellow_today, "red": self.red_today,
            "supervision_cases": self.supervision_cases, "discipline_cases": self.discipline_cases,
            "extensions": self.extensions, "formal_closures": self.formal_closures,
            "reopened": self.reopened, "held_closures": self.held_closures, "effort_staff_days": effort,
            "rules": wl.rules, "rule_overhead_share": wl.overhead_share,
            "campaign_active": wl.campaign_active(model.day), "patrol_share": patrol,
            "grid_time_lost_share": _nan_div(
                float((wl.pushdown_days[grid] + wl.campaign_days[grid]).sum()), gross_grid),
            "pressure_mean": pressure_mean, "strain_mean": float(wl.strain[t.active].mean()),
            "reform": "+".join(model._reforms_today), "closed_by_departments": self._dept_closed_today,
            "issues_created": created, "issues_closed": self.closed, "issues_open": len(ids),
            "issues_withdrawn": self.withdrawn, "population": model.spec.residents.population,
        }
        self._work_cap = (work, cap)
        self._dept_closed_today = 0
        self._model = model
        self._today = None
        if model.collect_daily:
            self._today = self._complete_today()

    @property
    def today(self) -> dict[str, Any]:
        """The metrics of the last day ended (the DataCollector's row; empty before the first day)."""
        if self._today is None:
            self._today = self._complete_today() if self._model is not None else {}
        return self._today

    def _complete_today(self) -> dict[str, Any]:
        """The full ``today`` dict: the day's record with the estimates of the state now."""
        model = self._model
        pop = model.resident_population
        pop_total = pop.sum()
        work, cap = self._work_cap
        today = {
            **self.rates(self._day["created_total"]),
            **self._day,
            "involution_index": self.involution_index(),
            "satisfaction": _nan_div(self.experience_score, self.experiences),
            "resident_satisfaction": float((model.satisfaction * pop).sum() / pop_total),
            "trust": float((model.trust * pop).sum() / pop_total),
            "centre_betweenness": model.centre_betweenness(),
            **self.level_rates(),
            **{f"blame_level_{k}": (math.nan if v is None else v)
               for k, v in self.blame_shares(model.spec.accountability.supervision).items()},
        }
        for k in UTILISATION_KINDS:
            code = KIND_CODES[k]
            today[f"utilisation_{k.value}"] = _nan_div(work[code], cap[code])
        return today

    def _ensure_ages(self) -> None:
        """Histograms of the open issues' ages at the end of the last day (censored durations)."""
        if self._ages_current or self._model is None:
            return
        model = self._model
        s = model.issues
        ids = s.open_ids
        known = ids[s.stage[ids] != Stage.LATENT]
        self.open_known_age = np.bincount(np.minimum(np.maximum(model.day - s.known_day[known], 0), _MAX_DAYS),
                                          minlength=_MAX_DAYS + 1)
        self.open_created_age = np.bincount(np.minimum(np.maximum(model.day - s.created_day[ids], 0), _MAX_DAYS),
                                            minlength=_MAX_DAYS + 1)
        self._ages_current = True

    def _unit_weights(self, t: RoutingTables) -> tuple[np.ndarray, np.ndarray, float]:
        """Kind codes of the active units, staff weights of pressure and their sum (cached per tables)."""
        if self._weights_of is not t:
            w_staff = t.staff * t.active * ~t.of_kind(NodeKind.LEADER)
            self._weights = (t.kind[t.active], w_staff, max(w_staff.sum(), 1e-9))
            self._weights_of = t
        return self._weights

    # ---- derived ----------------------------------------------------------------------------
    def rates(self, created: int) -> dict[str, float]:
        """Cumulative rates so far, given the number of issues created (censoring-aware)."""
        late = int(self.open_late_level.sum())
        late_ext = int(self.open_late_ext_level.sum())
        return {
            "closure_rate": _nan_div(self.closed, created),
            "on_time_rate": _nan_div(self.on_time, self.closed + late),
            "on_time_rate_extended": _nan_div(self.on_time_ext, self.closed + late_ext),
            "on_time_rate_closed_only": _nan_div(self.on_time_ext, self.closed),
            **self.days_to_close(),
            "coordination_dependence": _nan_div(self.closed_by_dept_leader, self.closed_by_dept),
            "pushback_rate": _nan_div(self.pushbacks, self.dispatches),
            "misdispatch_rate": _nan_div(self.misdispatches, self.dispatches),
            "formal_closure_share": _nan_div(self.formal_closures, self.closed),
            "reopened_rate": _nan_div(self.reopened, self.closed),
        }

    def level_rates(self) -> dict[str, float]:
        """On-time rates by required level: censoring-aware and closed-only (see ``rates``)."""
        out = {}
        for k in LEVELS:
            out[f"on_time_rate_level_{k}"] = _nan_div(
                self.on_time_level[k], self.closed_level[k] + self.open_late_level[k])
            out[f"on_time_rate_closed_only_level_{k}"] = _nan_div(self.on_time_ext_level[k], self.closed_level[k])
        return out

    def days_to_close(self) -> dict[str, float]:
        """Days to close, Kaplan–Meier with open issues censored, from the duration histograms.

        ``days_to_close_*`` from creation, ``days_known_to_close_*`` from first knowledge,
        ``days_to_close_*_closed_only`` over closed issues only, from first knowledge (what
        governments report). Equal to :func:`reformabm.survival.km_summary` on the issues.
        """
        self._ensure_ages()
        out = {}
        n = self._hist_len  # every duration so far is shorter: the rest of the histograms is zero
        created = km_summary_from_counts(self.ttc_created_hist[:n], self.open_created_age[:n])
        known = km_summary_from_counts(self.ttc_hist[:n], self.open_known_age[:n])
        closed_only = km_summary_from_counts(self.ttc_hist[:n], None)
        for key in ("mean", *[q for q, _ in QUANTILES]):
            out[f"days_to_close_{key}"] = created[key]
            out[f"days_known_to_close_{key}"] = known[key]
            out[f"days_to_close_{key}_closed_only"] = closed_only[key]
        return out

    def _coordination_dependence(self, s: Any, ids: np.ndarray, st: np.ndarray) -> float:
        at_leader = st == Stage.AT_LEADER
        dept_track = (st == Stage.AT_DEPT) | at_leader
        open_led = int((dept_track & (s.needed_leader[ids] | at_leader)).sum())
        return _nan_div(self.closed_by_dept_leader + open_led, self.closed_by_dept + int(dept_track.sum()))

    def involution_index(self) -> float:
        """Involution index now (内卷化指数; see the module docstring); NaN before day ``2W``."""
        w = self.window
        r, oc, ok, late = self.daily_overhead, self.daily_closed, self.daily_on_time, self.daily_open_late
        if len(r) < 2 * w:
            return math.nan
        eps = self.rule_unit_share or 1e-9  # rules that cost nothing: no growth of overhead (0/0)
        g_rules = math.log((sum(r[-w:]) / w + eps) / (sum(r[w:2 * w]) / w + eps))
        if g_rules <= 1e-12:
            return 0.0
        o0 = _nan_div(sum(ok[w:2 * w]), sum(oc[w:2 * w]) + late[2 * w - 1])
        o1 = _nan_div(sum(ok[-w:]), sum(oc[-w:]) + late[-1])
        if not (o0 > 0 and o1 > 0):
            return g_rules
        g_outcome = math.log(o1 / o0)
        return float(g_rules - min(g_rules, max(0.0, g_outcome)))

    def days_since_structure(self) -> int:
        """Recorded days since the last structural reform (all recorded days if none)."""
        return len(self.daily_util) - self.structure_mark

    def recent_utilisation(self, kind_code: int, days: int) -> float | None:
        """Mean daily utilisation of a unit kind over the last ``days`` days (None if unknown).

        None as well until ``days`` days have been recorded since the last structural reform:
        a window that reached back into the old organisation would judge the new one by the old
        one's load (a rule firing days after a flattening on pre-reform days).
        """
        if self.days_since_structure() < days:
            return None
        vals = [u[kind_code] for u in self.daily_util[-days:] if not np.isnan(u[kind_code])]
        return float(np.mean(vals)) if vals else None

    def window_on_time_rate(self, days: int) -> float | None:
        """On-time rate of the last ``days`` days as a review sees it (None if nothing to judge).

        Closures of the period by their original deadline, over those closures plus the issues
        open and already late now (so a backlog cannot flatter the review). None until ``days``
        days have been recorded since the last structural reform (see ``recent_utilisation``).
        """
        if self.days_since_structure() < days:
            return None
        judged = sum(self.daily_closed[-days:]) + (self.daily_open_late[-1] if self.daily_open_late else 0)
        return sum(self.daily_on_time[-days:]) / judged if judged else None

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
