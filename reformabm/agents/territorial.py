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
    "handle_work", "handle_act", "route_onwards", "solves_here", "responsible_unit", "capacity_unit",
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


def _cadre_take(model: ReformModel, ids: np.ndarray, villages: np.ndarray) -> np.ndarray:
    """Whether issues ``ids`` of levels 2-3 fall to the stationed cadres of ``villages``.

    Each village's stationed township cadres (镇村工作一体化) take the share ``cadre_share`` of
    its village- and township-level issues; which issues is fixed per issue (a stable hash of
    its id), so an issue's responsible unit does not change as it moves.
    """
    s, t = model.issues, model.tables
    share = np.where(villages >= 0, t.cadre_share[np.maximum(villages, 0)], 0.0)
    lvl = s.level[ids]
    return ((lvl == 2) | (lvl == 3)) & (share > 0) & ((ids * 0.6180339887498949) % 1.0 < share)


def capacity_unit(model: ReformModel, ids: np.ndarray) -> np.ndarray:
    """The unit whose staff-days the work on ``ids`` uses: the holder's, except for stationed cadres.

    Stationed cadres stay township staff: the issues they take in a village (see
    :func:`_cadre_take`) are worked with the township's staff-days, pooled over its villages.
    """
    s, t = model.issues, model.tables
    h = s.holder[ids].astype(np.int64)
    if not t.has_cadres:
        return h
    at_village = (t.rank[h] == 2) & (t.cadre_share[h] > 0)
    if not np.count_nonzero(at_village):
        return h
    take = at_village & _cadre_take(model, ids, np.where(at_village, h, -1))
    return np.where(take, t.solver[h, 3], h)


def responsible_unit(model: ReformModel, ids: np.ndarray) -> np.ndarray:
    """The territorial unit that must solve each issue: the lowest of its level above its grid.

    Level-3 issues of a village with stationed township cadres go to the village for the
    cadres' share (see :func:`_cadre_take`).
    """
    s, t = model.issues, model.tables
    target = t.solver[s.grid[ids], s.level[ids]]
    if t.has_cadres:
        village = t.solver[s.grid[ids], 2]
        take = _cadre_take(model, ids, village)
        target = np.where(take, village, target)
    return target


def solves_here(model: ReformModel, ids: np.ndarray) -> np.ndarray:
    """Whether the territorial holders of ``ids`` solve them themselves (else pass them on)."""
    return responsible_unit(model, ids) == model.issues.holder[ids]


def handle_work(model: ReformModel, ids: np.ndarray) -> np.ndarray:
    """Staff-days a territorial holder needs for ``ids``: solve them, or forward them."""
    here = solves_here(model, ids)
    t = model.tables
    h = model.issues.holder[ids]
    # a quasi-unit without seconded staff is a pure pass-through; with them, they do the forwarding
    work = np.where(t.quasi[h] & (t.staff[h] <= 0), 0.0, model.spec.process.handle_work)
    if np.count_nonzero(here):
        work[here] = solution_work(model, ids[here])
    return work


def handle_act(model: ReformModel, ids: np.ndarray) -> None:
    """Solve what the holder's level covers; pass the rest on."""
    here = solves_here(model, ids)
    solve(model, ids[here])
    route_onwards(model, ids[~here], model.issues.holder[ids[~here]])


def route_onwards(model: ReformModel, ids: np.ndarray, at_unit: np.ndarray) -> None:
    """Pass issues on from territorial unit ``at_unit`` towards the unit of their level.

    Upwards, one level at a time (or straight to the right level with the platform);
    downwards (受理交办), straight to the unit of the issue's level.
    """
    if len(ids) == 0:
        return
    t = model.tables
    target = responsible_unit(model, ids)
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
