"""Town–village integration (镇村工作一体化; Shiquan, 003).

Township cadres are stationed in villages full-time (Shiquan: 592 cadres, 003): a share of
each township's staff moves down to its villages (recorded as ``stationed_cadres`` on each
village; a command edge already links them, so no separate contact edge is drawn). Capacity
and competence move to where problems are found: a village with stationed cadres solves
township-level (level-3) issues itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from reformabm.errors import ReformError
from reformabm.org.graph import NodeKind, territorial_children
from reformabm.reforms.base import Reform, copy_graph, record_provenance
from reformabm.scenario import Scenario

__all__ = ["TownVillageIntegration"]


@dataclass
class TownVillageIntegration(Reform):
    """Move ``share`` of township staff down into their villages (stationed cadres)."""

    name = "town_village_integration"
    label_zh = "镇村工作一体化"
    seed_paper = "003"

    share: float = 0.4

    def validate(self) -> None:
        """Share in 0..1."""
        if not 0 <= self.share <= 1:
            raise ReformError(f"town_village_integration: share = {self.share}: expected 0..1")

    def check(self, g: nx.DiGraph, spec: Scenario) -> None:
        """Townships with villages must exist."""
        if not any(k == NodeKind.TOWNSHIP for _, k in g.nodes(data="kind")):
            raise ReformError("town_village_integration: the organisation has no township layer")

    def transform_graph(self, g: nx.DiGraph, spec: Scenario) -> tuple[nx.DiGraph, dict[int, int]]:
        """Move staff and add contact edges."""
        h = copy_graph(g)
        moved = 0.0
        for t, k in list(h.nodes(data="kind")):
            if k != NodeKind.TOWNSHIP:
                continue
            villages = [v for v in territorial_children(h, t) if h.nodes[v]["kind"] == NodeKind.VILLAGE]
            if not villages:
                continue
            give = h.nodes[t]["staff"] * self.share
            h.nodes[t]["staff"] -= give
            moved += give
            for v in villages:
                h.nodes[v]["staff"] += give / len(villages)
                h.nodes[v]["stationed_cadres"] = h.nodes[v].get("stationed_cadres", 0.0) + give / len(villages)
        record_provenance(h, {"reform": "town_village_integration", "staff_moved": round(moved, 3)})
        return h, {}
