"""Leaders and leading groups (领导 / 领导小组): finite attention for coordination (高位协调).

Each unit running a centre has a leader whose attention is ``leaders.attention_per_day``
disputes a day; disputes beyond it wait in the leader's queue. A coordinated issue is
assigned to a lead department which must take it (no further push-back).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from reformabm.agents.base import UnitAgent
from reformabm.agents.linkage_center import lead_department
from reformabm.agents.territorial import responsible_unit, route_onwards
from reformabm.issues import Channel, EventKind, Stage
from reformabm.routing import move

if TYPE_CHECKING:
    from reformabm.model import ReformModel

__all__ = ["Leader", "leader_work", "leader_act"]


class Leader(UnitAgent):
    """A leader / leading group (领导小组) with a daily attention budget."""

    @property
    def attention(self) -> float:
        """Disputes it can coordinate per day."""
        return self.capacity


def leader_work(model: ReformModel, ids: np.ndarray) -> np.ndarray:
    """Each dispute takes one unit of attention."""
    return np.ones(len(ids))


def leader_act(model: ReformModel, ids: np.ndarray) -> None:
    """Coordinate: name the lead department, which must take the issue.

    Ledger issues (书记民情三本账) are reviewed rather than disputed: an issue of the leader's
    own level goes to the lead department; a lower one is assigned down to the unit of its
    level; either way with a named owner (no push-back) and pressed like a supervised case.
    """
    s, t = model.issues, model.tables
    home = t.home[s.holder[ids]]
    centres = t.centre[home]
    s.needed_leader[ids] = True
    s.forced[ids] = True
    model.events.record(EventKind.COORDINATED, ids, model.day, s.holder[ids])
    ledger = s.channel[ids] == Channel.LEDGER
    if np.count_nonzero(ledger):
        led = ids[ledger]
        s.supervised[led] = True  # pressed until closed; discipline only after its own deadline
        s.supervision_deadline[led] = np.maximum(s.deadline_day[led], model.day) + (
            model.spec.accountability.supervision_days)
    target = responsible_unit(model, ids)
    down = ledger & (target != home)
    if np.count_nonzero(down):
        route_onwards(model, ids[down], home[down])
    go = ~down
    model.metrics.dispatches += int(go.sum())
    move(model, ids[go], lead_department(model, ids[go], centres[go]), Stage.AT_DEPT, EventKind.DISPATCHED)
