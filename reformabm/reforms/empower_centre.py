"""Empower the linkage centre (中心赋权; Z city 000, Kaifeng 002).

Raises the authority of the centres (rank, the director's concurrent post as head of the
party-committee office, political empowerment under the political-legal committee). Higher
authority damps departments' push-back and lets the centre settle disputes without the
leader, so coordination dependence (高位协调依赖) falls.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from reformabm.errors import ReformError
from reformabm.org.graph import NodeKind
from reformabm.reforms.base import Reform, copy_graph, record_provenance
from reformabm.scenario import Scenario

__all__ = ["EmpowerCentre"]


@dataclass
class EmpowerCentre(Reform):
    """Set the centres' authority (optionally only at one level)."""

    name = "empower_centre"
    label_zh = "联动中心赋权"
    seed_paper = "000, 002"

    authority: float = 0.8
    level: str = ""
    concurrent_post: bool = True

    def validate(self) -> None:
        """Authority in 0..1."""
        if not 0 <= self.authority <= 1:
            raise ReformError(f"empower_centre: authority = {self.authority}: expected 0..1")

    def check(self, g: nx.DiGraph, spec: Scenario) -> None:
        """There must be a centre (at ``level``, if given)."""
        if not any(d["kind"] == NodeKind.CENTRE and (not self.level or d.get("level") == self.level)
                   for _, d in g.nodes(data=True)):
            raise ReformError(f"empower_centre: no linkage centre{' at level ' + self.level if self.level else ''}")

    def transform_graph(self, g: nx.DiGraph, spec: Scenario) -> tuple[nx.DiGraph, dict[int, int]]:
        """Set the authority attribute of the centres."""
        h = copy_graph(g)
        for _, d in h.nodes(data=True):
            if d["kind"] == NodeKind.CENTRE and (not self.level or d.get("level") == self.level):
                d["authority_before"] = d.get("authority", 0.0)
                d["authority"] = float(self.authority)
                d["director_concurrent_post"] = bool(self.concurrent_post)
        record_provenance(h, {"reform": "empower_centre", "authority": self.authority})
        return h, {}
