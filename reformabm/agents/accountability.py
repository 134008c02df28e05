"""Deadline lights, supervision bureau (督察局) and discipline commission (纪委监委).

With ``accountability.supervision`` on (Kaifeng's system, 002), every known open issue has a
deadline by its required level ("135710"), which every holder sees: queues are worked
earliest deadline first (:func:`deadline_urgency`). One day before it (``yellow_days_before``)
the issue shows a **yellow light**, and a complex one still in work may get one extension on
request (total time at most ``extension_cap_days``). Once overdue it shows a **red light**
and the supervision bureau of the responsible centre takes the case: the issue is pressed
(first in every queue, higher pressure on its holder). Still open ``supervision_days`` later,
the discipline commission holds a unit accountable — by ``blame_rule`` the lowest unit that
held the issue (001: accountability falls on the bottom level) or the last holder — which
raises that unit's pressure. Blame is recorded by the blamed unit's level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from reformabm.agents.base import UnitAgent
from reformabm.agents.resident import overdue_calls
from reformabm.issues import Stage
from reformabm.routing import misses_deadline, tempt_paper_closures

if TYPE_CHECKING:
    from reformabm.model import ReformModel

__all__ = ["SupervisionBureau", "DisciplineCommission", "lights_phase", "deadline_urgency"]


class SupervisionBureau(UnitAgent):
    """Supervision bureau 督察局: takes red-light (overdue) issues and presses their holders."""

    @property
    def cases(self) -> int:
        """Red-light cases taken so far."""
        return int(self.model.accountability_cases[self.unit])


class DisciplineCommission(UnitAgent):
    """Discipline commission 纪委监委: holds units accountable for issues overdue under supervision."""

    @property
    def cases(self) -> int:
        """Accountability cases so far."""
        return int(self.model.accountability_cases[self.unit])


def _known_open(model: ReformModel) -> np.ndarray:
    s = model.issues
    ids = s.open_ids
    st = s.stage[ids]
    return ids[(st >= Stage.AT_UNIT) & (st <= Stage.CONFIRM)]


def deadline_urgency(model: ReformModel, ids: np.ndarray) -> np.ndarray:
    """Queue rank under supervision (lower first): days to each issue's binding deadline.

    With the lights every holder sees each issue's time limit and works earliest deadline
    first: the issue's own deadline, or, once the supervision bureau has taken it (red light),
    the bureau's deadline before the discipline commission steps in. Without supervision
    nobody tracks the limits and queues are first come, first served (all ranks equal).
    """
    s = model.issues
    due = np.where(s.supervised[ids], s.supervision_deadline[ids], s.deadline_day[ids]).astype(np.int64)
    return np.minimum(np.maximum(due - model.day + _URGENCY_OFFSET, 0), 2 * _URGENCY_OFFSET - 1)


_URGENCY_OFFSET = 2048  # ranks span days -2048 .. +2047 from today (11 + 1 bits)


def lights_phase(model: ReformModel) -> None:
    """Count lights; grant extensions; hand red issues to supervision and late ones to discipline."""
    s, t = model.issues, model.tables
    a = model.spec.accountability
    m = model.metrics
    day = model.day
    ids = _known_open(model)
    if len(ids) == 0:
        m.yellow_today = m.red_today = 0
        return
    dl = s.deadline_day[ids]
    yellow = (dl - a.yellow_days_before <= day) & (dl >= day)
    red = dl < day
    m.yellow_today = int(yellow.sum())
    m.red_today = int(red.sum())
    tempt_paper_closures(model, ids)
    overdue_calls(model, ids)  # residents' repeat calls about overdue issues (催办), with or without lights
    if not a.supervision:
        return
    # extensions at the yellow light: requested by holders who would miss the deadline, granted
    # by the rule (all, or complex issues only), once per issue
    if a.extension_rule != "none" and a.extension_days > 0:
        cand = ids[yellow & ~s.extended[ids]]
        if a.extension_rule == "complex":
            cand = cand[(s.level[cand] >= 4) | (s.n_domains[cand] >= 2)]
        cand = cand[misses_deadline(model, cand, queue=ids)]
        if len(cand):
            cap = s.known_day[cand] + a.extension_cap_days
            new = np.minimum(s.deadline_day[cand] + a.extension_days, cap)
            ok = new > s.deadline_day[cand]
            cand = cand[ok]
            s.deadline_day[cand] = new[ok]
            s.extended[cand] = True
            m.extensions += len(cand)
    # a yellow light that its holder would miss presses it like the red light it will become
    warned = ids[yellow & ~s.supervised[ids]]
    warned = warned[misses_deadline(model, warned, queue=ids)]
    model.workload.press(s.holder[warned], a.red_pressure)
    # red light -> supervision bureau
    new_red = ids[red & ~s.supervised[ids]]
    if len(new_red):
        s.supervised[new_red] = True
        s.supervision_deadline[new_red] = day + a.supervision_days
        home = t.home[t.intake[s.grid[new_red]]]
        np.add.at(model.accountability_cases, t.bureau[home], 1)
        model.workload.press(s.holder[new_red], a.red_pressure)
        m.supervision_cases += len(new_red)
    # still open past the supervision deadline -> discipline commission
    late = ids[s.supervised[ids] & ~s.disciplined[ids] & (s.supervision_deadline[ids] < day)]
    if len(late):
        s.disciplined[late] = True
        if a.blame_rule == "lowest":
            blamed = np.where(s.lowest_unit[late] >= 0, s.lowest_unit[late], s.holder[late])
        else:  # the last unit that worked on it (not the grid merely waiting to confirm)
            confirming = (s.stage[late] == Stage.CONFIRM) & (s.solver[late] >= 0)
            blamed = np.where(confirming, s.solver[late], s.holder[late])
        rank = t.rank[blamed]
        s.blamed_level[late] = rank
        m.blame_by_rank += np.bincount(rank, minlength=len(m.blame_by_rank))[: len(m.blame_by_rank)]
        home = t.home[t.intake[s.grid[late]]]
        np.add.at(model.accountability_cases, t.commission[home], 1)
        model.workload.press(blamed, a.blame_pressure)
        m.discipline_cases += len(late)
