"""Town–village integration (镇村工作一体化; Shiquan, 003).

Township cadres are stationed in villages full-time (Shiquan: 592 cadres in 164 villages,
003): town and villages work as one. Modelled as: in each village of a township, the
stationed cadres take ``share`` of the village- and township-level issues (levels 2-3)
where they arise — level-3 ones are solved in the village without the hand-over up to the
town (no escalation delay or distortion) — working with the township's staff-days, pooled
over its villages (they stay township staff: the staff totals do not change). Recorded as
``cadre_share`` and ``stationed_cadres`` (staff-days a day of the town's issue staff now
working in the village) on each village; a command edge already links them.
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
    """Station township cadres in their villages: they take ``share`` of the villages' level 2-3 issues."""

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
        """Record the stationed cadres and their share on every village."""
        h = copy_graph(g)
        moved = 0.0
        for t, k in list(h.nodes(data="kind")):
            if k != NodeKind.TOWNSHIP:
                continue
            villages = [v for v in territorial_children(h, t) if h.nodes[v]["kind"] == NodeKind.VILLAGE]
            if not villages:
                continue
            give = h.nodes[t]["staff"] * self.share
            moved += give
            for v in villages:
                h.nodes[v]["stationed_cadres"] = h.nodes[v].get("stationed_cadres", 0.0) + give / len(villages)
                prev = h.nodes[v].get("cadre_share", 0.0)  # compounding if applied twice
                h.nodes[v]["cadre_share"] = 1.0 - (1.0 - prev) * (1.0 - self.share)
        record_provenance(h, {"reform": "town_village_integration", "staff_stationed": round(moved, 3)})
        return h, {}
