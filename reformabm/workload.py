"""What takes units' time besides issues, and how pressure changes effort.

Each day every unit's *gross* capacity is its staff (leaders: attention) times its effort
``1 + effort``; from it are taken, in this order:

- **rule overhead** (规则/考核负担): ``min(overhead_max, rules * rule_overhead_per_rule)`` of
  every unit's capacity (not leaders');
- **central-work campaigns** (中心工作): while a campaign runs, ``campaign_diversion`` of each
  department's capacity, and ``campaign_pushdown`` more of grid teams' and villages' time;
- **task push-down** (职责错位): ``pushdown_share`` of grid teams' and villages' time.

What remains is the capacity for issues. **Pressure** (压力) per unit comes from assessment
(``assessment_pressure`` plus ``rule_pressure_per_rule`` per rule), red-light cases it holds
and blame it receives, and decays daily. Pressure raises **effort** (``effort_gain`` ×
pressure, damped by accumulated **strain**) and the chance of **formal closure** (形式化办结).
With **adaptive rule growth**, every ``rule_review_days`` the centre compares the on-time
rate of the period with ``performance_target`` and, when short, adds ``rules_added`` rules
— the involution trap (内卷化陷阱).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from reformabm.org.graph import NodeKind

if TYPE_CHECKING:
    from reformabm.model import ReformModel

__all__ = ["Workload"]

_GRASSROOTS = (NodeKind.GRID, NodeKind.VILLAGE)


class Workload:
    """Rules, campaigns, push-down, pressure, effort and strain of one run."""

    def __init__(self, model: ReformModel) -> None:
        self._spec = model.spec
        w = model.spec.workload
        self.rules = float(w.rules_initial)
        self.rules_added_total = 0
        self.campaign_until = 0  # last day of the running campaign (0: none)
        self.campaigns_started = 0
        self.campaign_work = 0.0  # staff-days diverted to campaigns so far
        self.resize(model.tables.n)

    def resize(self, n: int) -> None:
        """Keep per-unit arrays the size of the routing tables (units added by reforms)."""
        for name in ("pressure", "strain", "overhead_days", "campaign_days", "pushdown_days", "gross",
                     "effort"):
            old = getattr(self, name, np.zeros(0))
            new = np.zeros(n)
            new[: min(len(old), n)] = old[:n]
            setattr(self, name, new)
        self._pressure_cache = None

    # ---- state --------------------------------------------------------------------------
    @property
    def overhead_share(self) -> float:
        """Share of every unit's capacity the rules cost today."""
        w = self._spec.workload
        return float(min(w.overhead_max, self.rules * w.rule_overhead_per_rule))

    @property
    def base_pressure(self) -> float:
        """Pressure every unit feels from assessment and rules."""
        return float(min(1.0, self._spec.accountability.assessment_pressure
                         + self.rules * self._spec.workload.rule_pressure_per_rule))

    def campaign_active(self, day: int) -> bool:
        """Whether a central-work campaign runs on ``day``."""
        return day <= self.campaign_until

    def unit_pressure(self) -> np.ndarray:
        """Pressure per unit (0-1): base + the unit's own (cached until pressure changes)."""
        if self._pressure_cache is None:
            self._pressure_cache = np.minimum(1.0, self.base_pressure + self.pressure)
        return self._pressure_cache

    # ---- the day --------------------------------------------------------------------------
    def start_day(self, model: ReformModel) -> None:
        """Launch campaigns, and set every unit's capacity for issues today."""
        self._spec = model.spec
        self._pressure_cache = None
        w = model.spec.workload
        day = model.day
        starts = (w.campaign_interval_days > 0 and day % w.campaign_interval_days == 0) or (
            day in w.campaign_days)
        if starts:
            self.campaign_until = day + w.campaign_duration_days - 1
            self.campaigns_started += 1
        t = model.tables
        a = model.spec.accountability
        leader = t.of_kind(NodeKind.LEADER)
        effort = a.effort_gain * self.unit_pressure() * (1.0 - self.strain)
        effort[leader] = 0.0
        gross = t.staff * (1.0 + effort) * t.active
        self.effort = effort
        self.gross = gross
        share = self.overhead_share + model.spec.workload.counterpart_overhead * np.maximum(
            0.0, t.counterparts - 1.0)
        self.overhead_days = np.where(leader, 0.0, gross * np.minimum(share, w.overhead_max))
        grassroots = t.of_kind(*_GRASSROOTS)
        active = self.campaign_active(day)
        self.pushdown_days = np.where(grassroots, gross * w.pushdown_share, 0.0)
        dept = t.of_kind(NodeKind.DEPARTMENT)
        self.campaign_days = np.where(dept, gross * w.campaign_diversion, 0.0) if active else np.zeros_like(gross)
        if active:
            self.campaign_days[grassroots] = gross[grassroots] * w.campaign_pushdown
        self.campaign_work += float(self.campaign_days.sum())
        cap = gross - self.overhead_days - self.pushdown_days - self.campaign_days
        model.capacity = np.maximum(cap, 0.0)  # = np.clip(cap, 0.0, None), without its Python layer

    def end_day(self, model: ReformModel) -> None:
        """Decay pressure, accumulate strain, review rules."""
        a = model.spec.accountability
        self._pressure_cache = None
        self.pressure *= 1.0 - a.pressure_decay
        np.clip(self.pressure, 0.0, 1.0, out=self.pressure)
        self.strain = np.clip(self.strain * (1.0 - a.strain_recovery) + a.strain_rate * self.effort, 0.0, 0.95)
        w = model.spec.workload
        if w.rule_growth and model.day % w.rule_review_days == 0:
            rate = model.metrics.window_on_time_rate(w.rule_review_days)
            if rate is not None and rate < w.performance_target:
                self.rules += w.rules_added
                self._pressure_cache = None
                self.rules_added_total += w.rules_added

    def press(self, units: np.ndarray, amount: float) -> None:
        """Add pressure ``amount`` to each of ``units`` (repeated units add up)."""
        if len(units):
            self._pressure_cache = None
            np.add.at(self.pressure, units, amount)
            np.clip(self.pressure, 0.0, 1.0, out=self.pressure)

    def effort_days(self) -> float:
        """Staff-days spent today besides issue work: rules, campaigns, push-down."""
        return float(self.overhead_days.sum() + self.campaign_days.sum() + self.pushdown_days.sum())
