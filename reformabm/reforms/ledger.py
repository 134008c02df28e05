"""The secretary's ledger (书记民情三本账; Shiquan, 003): a leader-reviewed track.

Claims and complaints enter the ledger: ``leaders.ledger_share`` of residents' reports of
issues above the village level, and every complaint of an unsatisfied reporter (a closure
scored below ``residents.complaint_threshold``). A ledger issue is reviewed by the leader
(attention), then assigned with a named owner who cannot push it back, and pressed like a
supervised case until it closes — unless its claim exceeds what the county can grant
(``leaders.ledger_unsettled_share``): then it is answered and stays open, never closed.
"""

from __future__ import annotations

from dataclasses import dataclass

from reformabm.errors import ReformError
from reformabm.reforms.base import Reform, set_spec
from reformabm.scenario import Scenario

__all__ = ["SecretaryLedger"]


@dataclass
class SecretaryLedger(Reform):
    """Switch the secretary's ledger on."""

    name = "secretary_ledger"
    label_zh = "书记民情三本账"
    seed_paper = "003"

    share: float = 0.2

    def validate(self) -> None:
        """Share in 0..1."""
        if not 0 <= self.share <= 1:
            raise ReformError(f"secretary_ledger: share = {self.share}: expected 0..1")

    def update_spec(self, spec: Scenario) -> None:
        """Set the ledger parameters."""
        set_spec(spec, self.name, {"leaders.ledger": True, "leaders.ledger_share": self.share})
