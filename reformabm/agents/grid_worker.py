"""Grid workers (网格员): patrol, discover, solve on the spot, report, confirm closure (闭环).

They patrol their grid, discover problems, solve level-1 ones on the spot, report the rest,
and confirm closure of the issues of their grid ("one port in, one port out").

One :class:`GridWorker` agent stands for the team of one grid ("1+1+1+N" staffing in Kaifeng,
002); its staff is ``levels[grid].staff``. Its working day: rules' reporting, tasks pushed
down by departments (职责错位) and campaigns' footwork come first (see ``reformabm.workload``),
then the issues it handles and confirms, and patrol (巡查) takes the rest of the day. The share
of the day left for patrol sets how many unknown problems it discovers, so push-down and
paperwork cost discovery.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from reformabm.agents.resident import resident_reports
from reformabm.agents.territorial import TerritorialUnit
from reformabm.issues import Channel, EventKind, Stage
from reformabm.org.graph import NodeKind
from reformabm.org.tables import KIND_CODES
from reformabm.routing import close, make_known, move, withdraw

if TYPE_CHECKING:
    from reformabm.model import ReformModel

__all__ = ["GridWorker", "latent_phase", "patrol_phase", "to_ledger", "confirm_work", "confirm_act"]


class GridWorker(TerritorialUnit):
    """The grid team of one grid (网格员)."""

    @property
    def population(self) -> float:
        """People living in the grid."""
        return float(self.model.org.nodes[self.unit]["population"])

    @property
    def patrol_share(self) -> float:
        """Share of the team's time left for patrol (巡查)."""
        return float(self.model.patrol_share()[self.unit])


def latent_phase(model: ReformModel) -> None:
    """Unknown problems get discovered, reported, solved by residents, or given up.

    Per latent issue and day, as competing chances in this order: discovered on patrol with
    ``grid.patrol_discovery`` times the grid team's patrol share; brought in by three-line
    contacts with ``grid.contact_discovery``; (level 1 only) solved by residents themselves
    with ``grid.self_resolution``; reported via hotline/app with ``report_propensity * trust``;
    given up with ``give_up_rate`` (withdrawn). With the secretary's ledger, ``ledger_share``
    of the reports of issues above village level enter the ledger track instead.
    """
    s = model.issues
    ids = s.open_ids[s.stage[s.open_ids] == Stage.LATENT]
    if len(ids) == 0:
        return
    g = model.spec.grid
    u = model.rng.random(len(ids))
    p_patrol = g.patrol_discovery * model.patrol_share()[s.grid[ids]]
    p_contact = (1 - p_patrol) * g.contact_discovery
    p_self = np.where(s.level[ids] == 1, (1 - p_patrol - p_contact) * g.self_resolution, 0.0)
    lo_contact, lo_self, lo_report = p_patrol, p_patrol + p_contact, p_patrol + p_contact + p_self
    found = ids[u < lo_contact]
    contact = ids[(u >= lo_contact) & (u < lo_self)]
    self_solved = ids[(u >= lo_self) & (u < lo_report)]
    reported, given_up = resident_reports(model, ids, u, lo_report, model.day)
    if len(found):
        make_known(model, found, Channel.PATROL)
        move(model, found, s.grid[found], Stage.AT_UNIT, EventKind.DISCOVERED, hop=False)
        model.metrics.discovered += len(found)
    if len(contact):
        make_known(model, contact, Channel.CONTACT)
        move(model, contact, s.grid[contact], Stage.AT_UNIT, EventKind.DISCOVERED, hop=False)
        model.metrics.contact_found += len(contact)
    if len(self_solved):
        make_known(model, self_solved, Channel.CONTACT)
        s.solver[self_solved] = s.grid[self_solved]
        model.metrics.self_resolved += len(self_solved)
        close(model, self_solved)
    if len(reported):
        make_known(model, reported, Channel.HOTLINE)
        model.metrics.reported += len(reported)
        ledger = np.zeros(len(reported), bool)
        if model.spec.leaders.ledger:
            ledger = (s.level[reported] >= 3) & (model.rng.random(len(reported)) < model.spec.leaders.ledger_share)
        to_ledger(model, reported[ledger])
        rest = reported[~ledger]
        move(model, rest, model.tables.intake[s.grid[rest]], Stage.AT_CENTRE, EventKind.REPORTED,
             hop=True, delay=0)
    withdraw(model, given_up)


def patrol_phase(model: ReformModel) -> None:
    """Grid teams patrol with what is left of their day (``model.patrol_days``; metric ``patrol_share``)."""
    grid = model.tables.kind == KIND_CODES[NodeKind.GRID]
    patrol = np.where(grid, np.maximum(model.capacity_left, 0.0), 0.0)
    model.capacity_left -= patrol
    model.patrol_days = patrol


def to_ledger(model: ReformModel, ids: np.ndarray) -> None:
    """Enter issues in the secretary's ledger: the leader of the grid's intake centre reviews them.

    Each case's claim exceeds what the county can grant with ``leaders.ledger_unsettled_share``
    (issue column ``unsettleable``; drawn only when the share is above 0): it will be
    answered but never settled (:func:`reformabm.routing.answer_unsettled`).
    """
    if len(ids) == 0:
        return
    s, t = model.issues, model.tables
    s.channel[ids] = Channel.LEDGER
    share = model.spec.leaders.ledger_unsettled_share
    if share > 0:
        beyond = ids[model.rng.random(len(ids)) < share]
        s.unsettleable[beyond] = True
        model.has_unsettleable |= len(beyond) > 0
    leader = t.leader[t.intake[s.grid[ids]]]
    move(model, ids, leader, Stage.AT_LEADER, EventKind.TO_LEADER, hop=True, delay=0)
    model.metrics.ledger_entries += len(ids)


def confirm_work(model: ReformModel, ids: np.ndarray) -> np.ndarray:
    """Staff-days for the grid worker to check a closure."""
    return np.full(len(ids), model.spec.process.confirm_work)


def confirm_act(model: ReformModel, ids: np.ndarray) -> None:
    """Confirm closure, or send back a solution that did not hold.

    A real solution that did not hold is caught with probability ``confirm_detect``, a closure
    on paper (made to pass the check) with ``formal_detect``; the secretary checks every ledger
    case himself and catches both. What is caught goes back to its solver.
    """
    s = model.issues
    # the secretary checks every ledger case himself (003: step 7 of the ledger's process)
    ledger = s.channel[ids] == Channel.LEDGER
    p = model.spec.process
    detect = np.where(s.formal_closure[ids], p.formal_detect, p.confirm_detect)
    caught = s.failed[ids] & ((s.draw[ids] < detect) | ledger)
    back = ids[caught]
    if len(back):
        s.bounces[back] += 1
        s.failed[back] = False
        s.formal_closure[back] = False
        move(model, back, s.solver[back], None, EventKind.REJECTED_AT_CONFIRM)
        model.metrics.rejected_at_confirm += len(back)
    close(model, ids[~caught])
