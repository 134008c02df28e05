"""Time-limited supervision (限时督办; Kaifeng, 002).

"135710" deadlines, yellow and red lights, supervision bureau, then discipline commission
(see ``reformabm.agents.accountability``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reformabm.errors import ReformError
from reformabm.reforms.base import Reform, set_spec
from reformabm.scenario import Scenario

__all__ = ["TimeLimitedSupervision"]


@dataclass
class TimeLimitedSupervision(Reform):
    """Switch on deadlines with lights, supervision and discipline."""

    name = "supervision"
    label_zh = "限时督办（135710）"
    seed_paper = "002"

    deadline_days: list[int] = field(default_factory=lambda: [1, 3, 5, 7, 10])
    extension_cap_days: int = 15
    blame_rule: str = "lowest"

    def validate(self) -> None:
        """Five positive deadlines; a known blame rule."""
        if len(self.deadline_days) != 5 or any(int(d) <= 0 for d in self.deadline_days):
            raise ReformError(f"supervision: deadline_days = {self.deadline_days}: expected 5 positive days")
        if self.blame_rule not in ("lowest", "last_holder"):
            raise ReformError(f"supervision: blame_rule = '{self.blame_rule}': expected 'lowest' or 'last_holder'")

    def update_spec(self, spec: Scenario) -> None:
        """Set the accountability parameters."""
        set_spec(spec, self.name, {
            "process.deadline_days": [int(d) for d in self.deadline_days],
            "accountability.supervision": True,
            "accountability.extension_cap_days": self.extension_cap_days,
            "accountability.blame_rule": self.blame_rule,
        })
