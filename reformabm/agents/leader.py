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
from reformabm.issues import EventKind, Stage
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
    """Coordinate: name the lead department, which must take the issue."""
    s, t = model.issues, model.tables
    centres = t.centre[t.home[s.holder[ids]]]
    s.needed_leader[ids] = True
    s.forced[ids] = True
    model.events.record(EventKind.COORDINATED, ids, model.day, s.holder[ids])
    model.metrics.dispatches += len(ids)
    move(model, ids, lead_department(model, ids, centres), Stage.AT_DEPT, EventKind.DISPATCHED)
