"""Linkage centre (联动中心 / 综合指挥中心): classification, dispatch (分类归口, 受理交办), disputes.

The centre classifies each issue it receives: issues of its own level are dispatched (派单)
to the department owning the issue's primary domain; issues of a lower level are assigned
down to the unit of that level; higher ones go up. A distorted description (from earlier
hand-overs) makes it dispatch to a wrong department, which sends the issue back.
A pushed-back issue, or a residual matter no department owns (剩余事务), is a dispute: the
centre settles it itself (names a lead department) with a probability equal to its authority,
otherwise it needs the leader (高位协调). A centre's settlement binds only as far as its
authority goes: the named department may still push the issue back, and a second dispute
goes to the leader, whose assignment cannot be refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from reformabm.agents.base import UnitAgent
from reformabm.agents.territorial import responsible_unit, route_onwards
from reformabm.issues import EventKind, Stage
from reformabm.routing import move

if TYPE_CHECKING:
    from reformabm.model import ReformModel

__all__ = ["LinkageCenter", "centre_work", "centre_act", "lead_department", "settle_disputes"]


class LinkageCenter(UnitAgent):
    """A linkage centre 联动中心 with its authority (rank, director's concurrent post)."""

    @property
    def authority(self) -> float:
        """Authority of the centre (0-1)."""
        return float(self.model.tables.authority[self.unit])


def centre_work(model: ReformModel, ids: np.ndarray) -> np.ndarray:
    """Staff-days to classify one issue."""
    return np.full(len(ids), model.spec.centre.classify_work)


def lead_department(model: ReformModel, ids: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """The department that must take an issue: owner of its primary domain, else the residual one."""
    t = model.tables
    owner = t.owner[centres, model.issues.primary_domain[ids]]
    return np.where(owner >= 0, owner, t.residual[centres])


def settle_disputes(model: ReformModel, ids: np.ndarray, centres: np.ndarray) -> None:
    """Settle disputes at the centre or refer them to the leader.

    The centre settles with probability equal to its authority, at most once per issue.
    """
    if len(ids) == 0:
        return
    s, t = model.issues, model.tables
    by_centre = ~s.centre_settled[ids] & (s.draw[ids] < t.authority[centres])
    own = ids[by_centre]
    if len(own):
        s.centre_settled[own] = True
        model.events.record(EventKind.COORDINATED, own, model.day, centres[by_centre])
        model.metrics.settled_by_centre += len(own)
        dispatch(model, own, centres[by_centre], coordinated=True)
    up = ids[~by_centre]
    if len(up):
        move(model, up, t.leader[centres[~by_centre]], Stage.AT_LEADER, EventKind.TO_LEADER, hop=False)
        model.metrics.to_leader += len(up)


def dispatch(model: ReformModel, ids: np.ndarray, centres: np.ndarray, *, coordinated: bool = False) -> None:
    """Dispatch to departments (派单); a distorted description sends the issue to a wrong one."""
    s, t = model.issues, model.tables
    lead = lead_department(model, ids, centres)
    wrong = s.distorted[ids] & ~np.asarray(coordinated) & (t.n_depts[centres] > 1)
    if np.count_nonzero(wrong):
        c = centres[wrong]
        nd = t.n_depts[c]
        right = (t.dept_table[c] == lead[wrong][:, None]).argmax(axis=1)
        has_right = (t.dept_table[c] == lead[wrong][:, None]).any(axis=1)
        # a uniformly chosen department other than the right one
        others = np.where(has_right, nd - 1, nd)
        j = np.minimum((model.rng.random(len(c)) * others).astype(np.int64), others - 1)
        j = np.where(has_right & (j >= right), j + 1, j)
        lead[wrong] = t.dept_table[c, j]
    s.misrouted[ids] = wrong
    s.distorted[ids] = False
    model.metrics.dispatches += len(ids)
    move(model, ids, lead, Stage.AT_DEPT, EventKind.DISPATCHED)


def centre_act(model: ReformModel, ids: np.ndarray) -> None:
    """Classify and route issues at centres."""
    s, t = model.issues, model.tables
    c = s.holder[ids].astype(np.int64)
    home = t.home[c]
    dispute = (s.pushbacks[ids] > 0) & ~s.forced[ids]
    target = responsible_unit(model, ids)
    here = ~dispute & (target == home)
    owned = t.owner[c, s.primary_domain[ids]] >= 0
    residual = here & ~owned
    settle_disputes(model, ids[dispute | residual], c[dispute | residual])
    go = here & owned
    dispatch(model, ids[go], c[go])
    rest = ~(dispute | here)
    route_onwards(model, ids[rest], home[rest])
