"""Central-work campaigns (中心工作; Z city, 000).

The leaders periodically mobilise departments, diverting a share of their capacity, and grid
workers' footwork.
"""

from __future__ import annotations

from dataclasses import dataclass

from reformabm.errors import ReformError
from reformabm.reforms.base import Reform, set_spec
from reformabm.scenario import Scenario

__all__ = ["Campaigns"]


@dataclass
class Campaigns(Reform):
    """Switch on periodic campaigns: one starts on every day divisible by ``interval_days``."""

    name = "campaigns"
    label_zh = "中心工作动员"
    seed_paper = "000"

    interval_days: int = 90
    duration_days: int = 30
    diversion: float = 0.3
    pushdown: float = 0.1

    def validate(self) -> None:
        """Positive interval and duration; shares in 0..1."""
        if self.interval_days < 1 or self.duration_days < 1:
            raise ReformError("campaigns: interval_days and duration_days must be >= 1")
        if not (0 <= self.diversion <= 1 and 0 <= self.pushdown <= 0.9):
            raise ReformError("campaigns: expected 0 <= diversion <= 1 and 0 <= pushdown <= 0.9")

    def update_spec(self, spec: Scenario) -> None:
        """Set the campaign parameters."""
        set_spec(spec, self.name, {
            "workload.campaign_interval_days": self.interval_days,
            "workload.campaign_duration_days": self.duration_days,
            "workload.campaign_diversion": self.diversion,
            "workload.campaign_pushdown": self.pushdown,
        })
