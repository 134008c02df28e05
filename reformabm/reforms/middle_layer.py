"""Middle-layer re-emergence (逆扁平化; Longgang, 004): quasi-units above the communities.

After the township layer is abolished, a span of control of a hundred communities overloads
the city; Longgang first created 9 areas (片区), which drifted into acting like townships,
then replaced them with 26 governance units (治理单元) — neither with staff, money or
authority of their own. Here a quasi-unit solves nothing: it is one more hand-over (delay,
distortion) on the way up; its only capacity is ``seconded_staff`` taken from the
departments above ("two jobs").

:class:`AddMiddleLayer` inserts such units by hand; :class:`MiddleLayerRule` is the
endogenous rule: once applied, it inserts them under any unit whose span of control exceeds
``max_span`` while its departments are overloaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np

from reformabm.errors import ReformError
from reformabm.org.graph import EdgeKind, NodeKind, territorial_children
from reformabm.org.tables import KIND_CODES
from reformabm.reforms.base import Reform, copy_graph, record_provenance
from reformabm.reforms.remove_layer import _departments_of
from reformabm.scenario import LEVEL_RANK, LevelName, Scenario

if TYPE_CHECKING:
    from reformabm.model import ReformModel

__all__ = ["AddMiddleLayer", "MiddleLayerRule", "insert_middle_layer"]


def insert_middle_layer(
    g: nx.DiGraph, parents: list[int], count: int, seconded_staff: float, label: str,
) -> tuple[nx.DiGraph, dict[int, int]]:
    """Insert ``count`` quasi-units under each of ``parents``, grouping their children.

    Existing quasi-units under a parent are dissolved first (their children regrouped), so
    re-applying replaces areas by governance units. Returns the new graph and successors.

    Examples
    --------
    >>> g = nx.DiGraph(next_id=5)
    >>> g.add_nodes_from([(0, {"kind": "city", "staff": 0.0, "name": "city 0"})] +
    ...                  [(i, {"kind": "village", "staff": 1.0}) for i in range(1, 5)])
    >>> for i in range(1, 5):
    ...     g.add_edge(0, i, kind="command"); g.add_edge(i, 0, kind="report")
    >>> h, _ = insert_middle_layer(g, [0], 2, 0.0, "area")
    >>> territorial_children(h, 0), [sorted(territorial_children(h, a)) for a in (5, 6)]
    ([5, 6], [[1, 2], [3, 4]])
    """
    h = copy_graph(g)
    next_id = int(h.graph.get("next_id", max(h.nodes) + 1))
    successors: dict[int, int] = {}
    for p in parents:
        depts = _departments_of(h, p)
        for a in [v for v in territorial_children(h, p) if h.nodes[v].get("quasi")]:
            back = float(h.nodes[a].get("staff", 0.0))  # seconded staff return to their departments
            total = sum(h.nodes[d]["staff"] for d in depts)
            for d in depts:
                share = h.nodes[d]["staff"] / total if total else 1 / len(depts)
                h.nodes[d]["staff"] = float(h.nodes[d]["staff"] + back * share)
            for child in territorial_children(h, a):
                h.add_edge(p, child, kind=EdgeKind.COMMAND.value)
                h.add_edge(child, p, kind=EdgeKind.REPORT.value)
            successors[int(a)] = int(p)
            h.remove_node(a)
        kids = sorted(territorial_children(h, p))
        k = max(1, min(count, len(kids)))
        groups = (np.arange(len(kids)) * k) // max(1, len(kids))
        total_staff = sum(h.nodes[d]["staff"] for d in depts)
        take = min(seconded_staff * k, 0.5 * total_staff)
        for d in depts:
            h.nodes[d]["staff"] = float(h.nodes[d]["staff"] * (1 - take / total_staff)) if total_staff else 0.0
        for j in range(k):
            a = next_id
            next_id += 1
            h.add_node(a, kind=NodeKind.AREA.value, level=LevelName.AREA.value,
                       rank=LEVEL_RANK[LevelName.AREA], name=f"{label} {j} of {h.nodes[p]['name']}",
                       label_zh=("治理单元" if "governance" in label else "片区") + f" {j}",
                       staff=float(take / k), quasi=True, population=0.0, created_by=label)
            h.add_edge(p, a, kind=EdgeKind.COMMAND.value)
            h.add_edge(a, p, kind=EdgeKind.REPORT.value)
            for child, grp in zip(kids, groups, strict=True):
                if grp == j:
                    h.remove_edge(p, child)
                    h.remove_edge(child, p)
                    h.add_edge(a, child, kind=EdgeKind.COMMAND.value)
                    h.add_edge(child, a, kind=EdgeKind.REPORT.value)
    h.graph["next_id"] = next_id
    record_provenance(h, {"reform": "middle_layer", "label": label, "per_parent": count,
                          "parents": len(parents)})
    return h, successors


def _parents_at(g: nx.DiGraph, level: str) -> list[int]:
    return sorted(u for u, k in g.nodes(data="kind") if k == level)


@dataclass
class AddMiddleLayer(Reform):
    """Insert quasi-units (片区 areas / 治理单元 governance units) under every unit of ``under``."""

    name = "middle_layer"
    label_zh = "中间层（片区/治理单元）"
    seed_paper = "004"

    under: str = "city"
    count: int = 9
    seconded_staff: float = 0.0
    label: str = "area"

    def validate(self) -> None:
        """Count must be positive, staff non-negative."""
        if self.count < 1:
            raise ReformError(f"middle_layer: count = {self.count}: expected >= 1")
        if self.seconded_staff < 0:
            raise ReformError(f"middle_layer: seconded_staff = {self.seconded_staff}: expected >= 0")

    def check(self, g: nx.DiGraph, spec: Scenario) -> None:
        """Units of ``under`` must exist and command territorial units."""
        parents = _parents_at(g, self.under)
        if not parents:
            raise ReformError(f"middle_layer: no units of level '{self.under}' in the organisation")
        if not any(territorial_children(g, p) for p in parents):
            raise ReformError(f"middle_layer: '{self.under}' units command no territorial units")

    def transform_graph(self, g: nx.DiGraph, spec: Scenario) -> tuple[nx.DiGraph, dict[int, int]]:
        """Insert the quasi-layer."""
        return insert_middle_layer(g, _parents_at(g, self.under), self.count, self.seconded_staff, self.label)


@dataclass
class MiddleLayerRule(Reform):
    """Endogenous re-emergence: quasi-units appear under an overloaded unit with a wide span."""

    name = "middle_layer_rule"
    label_zh = "中间层再生规则"
    seed_paper = "004"
    persistent = True

    max_span: int = 30
    overload: float = 0.85
    children_per_unit: int = 12
    seconded_staff: float = 0.0
    window_days: int = 14

    def validate(self) -> None:
        """Positive thresholds."""
        if self.max_span < 2 or self.children_per_unit < 1 or not 0 < self.overload <= 2:
            raise ReformError("middle_layer_rule: expected max_span >= 2, children_per_unit >= 1, "
                              "0 < overload <= 2")

    def daily(self, model: ReformModel) -> dict[str, Any] | None:
        """Insert quasi-units under units with span > max_span and overloaded departments."""
        if model.day % self.window_days:
            return None
        g = model.org
        util = model.metrics.recent_utilisation(KIND_CODES[NodeKind.DEPARTMENT], self.window_days)
        if util is None or util < self.overload:
            return None
        wide = [u for u in g.nodes if g.nodes[u]["kind"] not in (NodeKind.GRID, NodeKind.AREA)
                and g.nodes[u]["kind"] in {lv.value for lv in LevelName}
                and len([c for c in territorial_children(g, u) if not g.nodes[c].get("quasi")]) > self.max_span]
        if not wide:
            return None
        n_kids = max(len(territorial_children(g, u)) for u in wide)
        count = max(2, int(np.ceil(n_kids / self.children_per_unit)))
        h, succ = insert_middle_layer(g, wide, count, self.seconded_staff, "area")
        model.replace_org(h, succ)
        return {"name": "middle_layer_emerged", "day": model.day, "params": {
            "parents": len(wide), "per_parent": count, "department_utilisation": round(util, 3)}}

