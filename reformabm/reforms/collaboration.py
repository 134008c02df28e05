"""Collaboration-weighted performance assessment (协同考核; 001).

Joint work counts in the assessment, so departments push back less.
"""

from __future__ import annotations

from dataclasses import dataclass

from reformabm.errors import ReformError
from reformabm.reforms.base import Reform, set_spec
from reformabm.scenario import Scenario

__all__ = ["CollaborationAssessment"]


@dataclass
class CollaborationAssessment(Reform):
    """Set the weight of collaboration in assessment."""

    name = "collaboration_assessment"
    label_zh = "协同绩效考核"
    seed_paper = "001"

    weight: float = 0.5

    def validate(self) -> None:
        """Weight in 0..1."""
        if not 0 <= self.weight <= 1:
            raise ReformError(f"collaboration_assessment: weight = {self.weight}: expected 0..1")

    def update_spec(self, spec: Scenario) -> None:
        """Set ``process.collaboration_weight``."""
        set_spec(spec, self.name, {"process.collaboration_weight": self.weight})
