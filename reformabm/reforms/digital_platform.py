"""Digital platform with five-level pass-through (五层贯通, 一中心四平台; Kaifeng, 002).

Hand-overs go through the platform: shorter delay (``platform_hop_delay_days``) and less
distortion (``platform_distortion_factor``); an issue a unit cannot solve goes straight to
the unit of its level instead of one level at a time; closure is confirmed by the reporting
grid worker (closed loop).
"""

from __future__ import annotations

from dataclasses import dataclass

from reformabm.errors import ReformError
from reformabm.reforms.base import Reform, set_spec
from reformabm.scenario import Scenario

__all__ = ["DigitalPlatform"]


@dataclass
class DigitalPlatform(Reform):
    """Switch the digital platform on."""

    name = "platform"
    label_zh = "数字平台（五层贯通）"
    seed_paper = "002"

    hop_delay_days: int = 0
    distortion_factor: float = 0.3
    closed_loop: bool = True

    def validate(self) -> None:
        """Delay >= 0, factor in 0..1."""
        if self.hop_delay_days < 0 or not 0 <= self.distortion_factor <= 1:
            raise ReformError("platform: expected hop_delay_days >= 0 and 0 <= distortion_factor <= 1")

    def update_spec(self, spec: Scenario) -> None:
        """Set the platform parameters."""
        set_spec(spec, self.name, {
            "process.platform": True,
            "process.platform_hop_delay_days": self.hop_delay_days,
            "process.platform_distortion_factor": self.distortion_factor,
            "process.closed_loop": self.closed_loop,
        })
