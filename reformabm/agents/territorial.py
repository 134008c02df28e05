"""Territorial units (块): village/community 村/社区, area 片区, township 乡镇/街道, county 县/区, city 市.

A territorial unit solves the issues whose required level its rank covers, with its own
staff-days, and passes the rest on: one level up at a time (上报), or, with the digital
platform's level pass-through (五层贯通), straight to the unit of the right level. A unit
running a linkage centre receives issues through its centre. Quasi-layer units (片区 /
治理单元) have no authority to solve: they only pass issues on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from reformabm.agents.base import UnitAgent
from reformabm.issues import EventKind
from reformabm.routing import move, solution_work, solve

if TYPE_CHECKING:
    from reformabm.model import ReformModel

__all__ = [
    "TerritorialUnit", "Village", "Area", "Township", "County", "City", "Province", "Central",
    "handle_work", "handle_act", "route_onwards",
]


class TerritorialUnit(UnitAgent):
    """A territorial unit (块) of the organisation."""


class Village(TerritorialUnit):
    """Village or community 村/社区 (its research room 研判室 handles level-2 issues)."""


class Area(TerritorialUnit):
    """Quasi-layer unit 片区 / 治理单元: no staff, money or authority of its own; passes issues on."""


class Township(TerritorialUnit):
    """Township or sub-district 乡镇/街道 (command room 指挥室, offices and stations)."""


class County(TerritorialUnit):
    """County or district 县/区; handles issues through its linkage centre when it runs one."""


class City(TerritorialUnit):
    """City 市; handles issues through its linkage centre."""


class Province(TerritorialUnit):
    """Province 省 (multi-level chain scenarios)."""


class Central(TerritorialUnit):
    """Central government 中央 (multi-level chain scenarios)."""


def _solves_here(model: ReformModel, ids: np.ndarray) -> np.ndarray:
    s, t = model.issues, model.tables
    h = s.holder[ids]
    return t.solver[h, s.level[ids]] == h


def handle_work(model: ReformModel, ids: np.ndarray) -> np.ndarray:
    """Staff-days a territorial holder needs for ``ids``: solve them, or forward them."""
    here = _solves_here(model, ids)
    t = model.tables
    h = model.issues.holder[ids]
    # a quasi-unit without seconded staff is a pure pass-through; with them, they do the forwarding
    work = np.where(t.quasi[h] & (t.staff[h] <= 0), 0.0, model.spec.process.handle_work)
    if here.any():
        work[here] = solution_work(model, ids[here])
    return work


def handle_act(model: ReformModel, ids: np.ndarray) -> None:
    """Solve what the holder's level covers; pass the rest on."""
    here = _solves_here(model, ids)
    solve(model, ids[here])
    route_onwards(model, ids[~here], model.issues.holder[ids[~here]])


def route_onwards(model: ReformModel, ids: np.ndarray, at_unit: np.ndarray) -> None:
    """Pass issues on from territorial unit ``at_unit`` towards the unit of their level.

    Upwards, one level at a time (or straight to the right level with the platform);
    downwards (受理交办), straight to the unit of the issue's level.
    """
    if len(ids) == 0:
        return
    s, t = model.issues, model.tables
    target = t.solver[s.grid[ids], s.level[ids]]
    up = t.rank[target] > t.rank[at_unit]
    ups, downs = ids[up], ids[~up]
    if len(ups):
        if model.platform:
            to = t.entry(target[up])
        else:
            to = t.entry(t.parent[at_unit[up]])
        move(model, ups, to, None, EventKind.ESCALATED)
    if len(downs):
        move(model, downs, t.entry(target[~up]), None, EventKind.ASSIGNED_DOWN)
