"""Three-line contacts and participatory governance (“321”模式, 三线联系; Shiquan, 003).

Party members, people's-congress deputies and central household heads keep in touch with
households: problems are found earlier (``grid.contact_discovery``, channel ``contact``) and
some small ones are solved by residents themselves (``grid.self_resolution``).
"""

from __future__ import annotations

from dataclasses import dataclass

from reformabm.errors import ReformError
from reformabm.reforms.base import Reform, set_spec
from reformabm.scenario import Scenario

__all__ = ["ThreeLineContacts"]


@dataclass
class ThreeLineContacts(Reform):
    """Switch on three-line contacts."""

    name = "three_line_contacts"
    label_zh = "三线联系（321模式）"
    seed_paper = "003"

    contact_discovery: float = 0.15
    self_resolution: float = 0.05

    def validate(self) -> None:
        """Probabilities in 0..1."""
        if not (0 <= self.contact_discovery <= 1 and 0 <= self.self_resolution <= 1):
            raise ReformError("three_line_contacts: probabilities must be in 0..1")

    def update_spec(self, spec: Scenario) -> None:
        """Set the participation parameters."""
        set_spec(spec, self.name, {
            "grid.contact_discovery": self.contact_discovery,
            "grid.self_resolution": self.self_resolution,
        })
