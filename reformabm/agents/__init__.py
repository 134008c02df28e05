"""Agent kinds of the model, one module each, and the handler of each issue stage."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from reformabm.agents.accountability import DisciplineCommission, SupervisionBureau
from reformabm.agents.base import UnitAgent
from reformabm.agents.department import Department, department_act, department_work
from reformabm.agents.grid_worker import GridWorker, confirm_act, confirm_work
from reformabm.agents.leader import Leader, leader_act, leader_work
from reformabm.agents.linkage_center import LinkageCenter, centre_act, centre_work
from reformabm.agents.resident import Resident
from reformabm.agents.territorial import (
    Area,
    Central,
    City,
    County,
    Province,
    TerritorialUnit,
    Township,
    Village,
    handle_act,
    handle_work,
)
from reformabm.issues import Stage
from reformabm.org.graph import NodeKind

__all__ = [
    "UnitAgent", "Resident", "GridWorker", "TerritorialUnit", "Village", "Area", "Township",
    "County", "City", "Province", "Central", "LinkageCenter", "Department", "Leader",
    "SupervisionBureau", "DisciplineCommission", "AGENT_CLASS", "Handler", "handlers_by_stage",
]

#: The Mesa agent class of each node kind.
AGENT_CLASS: dict[NodeKind, type[UnitAgent]] = {
    NodeKind.GRID: GridWorker, NodeKind.VILLAGE: Village, NodeKind.AREA: Area,
    NodeKind.TOWNSHIP: Township, NodeKind.COUNTY: County, NodeKind.CITY: City,
    NodeKind.PROVINCE: Province, NodeKind.CENTRAL: Central, NodeKind.CENTRE: LinkageCenter,
    NodeKind.DEPARTMENT: Department, NodeKind.LEADER: Leader,
    NodeKind.SUPERVISION: SupervisionBureau, NodeKind.DISCIPLINE: DisciplineCommission,
}


@dataclass(frozen=True)
class Handler:
    """What the holder of an issue in a stage does: the work it needs, and the action after it."""

    work: Callable
    act: Callable


@cache
def handlers_by_stage() -> dict[Stage, Handler]:
    """The handler of each stage an issue can be worked on in."""
    return {
        Stage.AT_UNIT: Handler(handle_work, handle_act),
        Stage.AT_CENTRE: Handler(centre_work, centre_act),
        Stage.AT_DEPT: Handler(department_work, department_act),
        Stage.AT_LEADER: Handler(leader_work, leader_act),
        Stage.CONFIRM: Handler(confirm_work, confirm_act),
    }
