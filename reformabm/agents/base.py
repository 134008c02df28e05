"""Common base of the agents that stand for organisational units (组织单元)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from reformabm.model import ReformModel

__all__ = ["UnitAgent"]


class UnitAgent(mesa.Agent):
    """A Mesa agent that owns one node (``unit``) of the organisation graph.

    The unit's state lives in the model's arrays (staff, capacity, work done, issues held);
    the agent's properties are views of its slice, so Mesa's view of the model stays true
    while the day's process works on whole arrays at once.
    """

    model: ReformModel

    def __init__(self, model: ReformModel, unit: int) -> None:
        super().__init__(model)
        self.unit = int(unit)

    @property
    def name(self) -> str:
        """English name of the unit."""
        return self.model.org.nodes[self.unit]["name"]

    @property
    def label_zh(self) -> str:
        """Chinese label of the unit."""
        return self.model.org.nodes[self.unit].get("label_zh", "")

    @property
    def staff(self) -> float:
        """Staff of the unit (for leaders: attention per day)."""
        return float(self.model.tables.staff[self.unit])

    @property
    def capacity(self) -> float:
        """Staff-days available today (after rule overhead, campaigns and effort)."""
        return float(self.model.capacity[self.unit])

    @property
    def work_today(self) -> float:
        """Staff-days of issue work done today."""
        return float(self.model.work_today[self.unit])

    @property
    def utilisation(self) -> float:
        """Share of today's capacity used (0 when capacity is 0)."""
        cap = self.capacity
        return self.work_today / cap if cap > 0 else 0.0

    @property
    def open_issues(self) -> int:
        """Number of open issues this unit holds now."""
        return int(self.model.held_counts()[self.unit])

    def held_issue_ids(self) -> np.ndarray:
        """Ids of the open issues this unit holds now."""
        s = self.model.issues
        ids = s.open_ids
        return ids[s.holder[ids] == self.unit]

    def step(self) -> None:
        """Units act through the model's vectorised day (see ``ReformModel.step``)."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} unit={self.unit} {self.name!r}>"
