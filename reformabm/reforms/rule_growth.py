"""Adaptive rule growth (规则膨胀 → 内卷化; 000, 003).

When performance disappoints, the centre adds rules and indicators; their overhead and
pressure can lower outcomes — the trap.
"""

from __future__ import annotations

from dataclasses import dataclass

from reformabm.errors import ReformError
from reformabm.reforms.base import Reform, set_spec
from reformabm.scenario import Scenario

__all__ = ["RuleGrowth"]


@dataclass
class RuleGrowth(Reform):
    """Switch adaptive rule growth on (or off with ``enabled=false``).

    ``target`` (the on-time rate below which rules are added) defaults to the scenario's
    ``workload.performance_target``, so a county whose target sits above what it attains (the
    teaching county: 0.95) shows the trap with the reform's defaults.
    """

    name = "rule_growth"
    label_zh = "规则自适应增长"
    seed_paper = "000, 003"

    enabled: bool = True
    review_days: int = 30
    rules_added: int = 3
    target: float | None = None  # None: keep workload.performance_target

    def validate(self) -> None:
        """Positive review period; target in 0..1."""
        if self.review_days < 1 or self.rules_added < 0 or not (self.target is None or 0 <= self.target <= 1):
            raise ReformError("rule_growth: expected review_days >= 1, rules_added >= 0, 0 <= target <= 1")

    def update_spec(self, spec: Scenario) -> None:
        """Set the rule-growth parameters."""
        values = {
            "workload.rule_growth": self.enabled,
            "workload.rule_review_days": self.review_days,
            "workload.rules_added": self.rules_added,
        }
        if self.target is not None:
            values["workload.performance_target"] = self.target
        set_spec(spec, self.name, values)
