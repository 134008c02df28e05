"""Functional departments (职能部门, 条): solve, return misdispatches, push back (推诿).

They solve what they own, return what was misdispatched, and may push back what they do not
fully own.

A department pushes back an ambiguous issue, or a cross-boundary one spanning domains it does
not own, with probability ``pushback_propensity * (1 - centre authority) *
(1 - collaboration_weight)``; an issue assigned after coordination (forced) cannot be
pushed back. Departments merged into a big department (大部制) own the union of domains, so
no push-back happens between them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from reformabm.agents.base import UnitAgent
from reformabm.issues import EventKind, Stage
from reformabm.routing import move, solution_work, solve

if TYPE_CHECKING:
    from reformabm.model import ReformModel

__all__ = ["Department", "pushback_probability", "department_work", "department_act"]


class Department(UnitAgent):
    """A functional department (职能部门, 条)."""

    @property
    def domains(self) -> list[str]:
        """Problem domains it owns."""
        return str(self.model.org.nodes[self.unit].get("domains", "")).split(",")


def pushback_probability(model: ReformModel, depts: np.ndarray) -> np.ndarray:
    """Probability that ``depts`` push back an issue they do not fully own."""
    t = model.tables
    p = model.spec.process
    return p.pushback_propensity * (1 - t.authority[t.dept_centre[depts]]) * (1 - p.collaboration_weight)


def _verdict(model: ReformModel, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    s, t = model.issues, model.tables
    d = s.holder[ids]
    misrouted = s.misrouted[ids]
    foreign = (s.domain_mask[ids] & ~t.dept_mask[d]) != 0
    eligible = ~misrouted & ~s.forced[ids] & (s.ambiguous[ids] | foreign)
    pushback = eligible & (s.draw[ids] < pushback_probability(model, d))
    return misrouted, pushback


def department_work(model: ReformModel, ids: np.ndarray) -> np.ndarray:
    """Staff-days: a look to send it back, or the full solve work."""
    misrouted, pushback = _verdict(model, ids)
    back = misrouted | pushback
    work = np.full(len(ids), model.spec.process.handle_work)
    if np.count_nonzero(back) < len(ids):
        work[~back] = solution_work(model, ids[~back])
    return work


def department_act(model: ReformModel, ids: np.ndarray) -> None:
    """Return misdispatched issues, push back some, solve the rest."""
    s, t = model.issues, model.tables
    misrouted, pushback = _verdict(model, ids)
    back = ids[misrouted]
    if len(back):
        s.misrouted[back] = False
        s.bounces[back] += 1
        s.misdispatches[back] += 1
        model.metrics.misdispatches += len(back)
        move(model, back, t.dept_centre[s.holder[back]], Stage.AT_CENTRE, EventKind.MISDISPATCHED)
    pb = ids[pushback]
    if len(pb):
        s.bounces[pb] += 1
        s.pushbacks[pb] += 1
        model.metrics.pushbacks += len(pb)
        move(model, pb, t.dept_centre[s.holder[pb]], Stage.AT_CENTRE, EventKind.PUSHED_BACK)
    solve(model, ids[~(misrouted | pushback)])
