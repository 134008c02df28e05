"""Grid workers (网格员): patrol their grid, discover problems, solve level-1 ones on the spot,
report the rest, and confirm closure of the issues of their grid (闭环, "one port in, one port out").

One :class:`GridWorker` agent stands for the team of one grid ("1+1+1+N" staffing in Kaifeng,
002); its staff is ``levels[grid].staff``. Time spent handling issues is time not spent on
patrol, so a busy team discovers less.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from reformabm.agents.resident import resident_reports
from reformabm.agents.territorial import TerritorialUnit
from reformabm.issues import Channel, EventKind, Stage
from reformabm.routing import close, make_known, move, withdraw

if TYPE_CHECKING:
    from reformabm.model import ReformModel

__all__ = ["GridWorker", "latent_phase", "confirm_work", "confirm_act"]


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
    """Unknown problems get discovered on patrol, reported by residents, or given up.

    Per latent issue and day: discovered with probability ``grid.patrol_discovery`` times the
    grid team's patrol share; else reported via hotline/app with ``report_propensity * trust``;
    else given up with ``give_up_rate`` (withdrawn).
    """
    s = model.issues
    ids = s.open_ids[s.stage[s.open_ids] == Stage.LATENT]
    if len(ids) == 0:
        return
    u = model.rng.random(len(ids))
    p_d = model.spec.grid.patrol_discovery * model.patrol_share()[s.grid[ids]]
    found = ids[u < p_d]
    reported, given_up = resident_reports(model, ids, u, p_d, model.day)
    day = model.day
    if len(found):
        make_known(model, found, Channel.PATROL)
        move(model, found, s.grid[found], Stage.AT_UNIT, EventKind.DISCOVERED, hop=False)
        model.metrics.discovered += len(found)
    if len(reported):
        make_known(model, reported, Channel.HOTLINE)
        intake = model.tables.intake[s.grid[reported]]
        move(model, reported, intake, Stage.AT_CENTRE, EventKind.REPORTED, hop=True, delay=0)
        model.metrics.reported += len(reported)
    withdraw(model, given_up)
    del day


def confirm_work(model: ReformModel, ids: np.ndarray) -> np.ndarray:
    """Staff-days for the grid worker to check a closure."""
    return np.full(len(ids), model.spec.process.confirm_work)


def confirm_act(model: ReformModel, ids: np.ndarray) -> None:
    """Confirm closure; a solution that did not hold is caught (with ``confirm_detect``) and sent back."""
    s = model.issues
    caught = s.failed[ids] & (s.draw[ids] < model.spec.process.confirm_detect)
    back = ids[caught]
    if len(back):
        s.bounces[back] += 1
        s.failed[back] = False
        s.formal_closure[back] = False
        move(model, back, s.solver[back], None, EventKind.REJECTED_AT_CONFIRM)
        model.metrics.rejected_at_confirm += len(back)
    close(model, ids[~caught])
