"""Remove a layer (撤销乡镇, 扁平化; Longgang, 004).

The units of the layer disappear; their subordinates (villages/communities) are attached to
the unit above; ``reassign_share`` of the layer's staff is reassigned to the departments of
the centre above and ``to_villages_share`` down to the subordinates (communities) it had;
the rest is cut (Longgang runs on about 40 % of a comparable county's staff, 004). Issues
the removed units held are handed over to the unit above.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np

from reformabm.errors import ReformError
from reformabm.org.graph import EdgeKind, NodeKind, command_parent, territorial_children
from reformabm.reforms.base import Reform, copy_graph, record_provenance
from reformabm.scenario import LevelName, Scenario

__all__ = ["RemoveLayer", "remove_layer"]


def _departments_of(g: nx.DiGraph, unit: int) -> list[int]:
    """Departments served by the centre of ``unit`` or, failing that, of the nearest unit above."""
    u: int | None = unit
    while u is not None:
        for c in g.successors(u):
            if g.nodes[c]["kind"] == NodeKind.CENTRE:
                return [d for d in g.successors(c) if g.edges[c, d]["kind"] == EdgeKind.DISPATCH]
        u = command_parent(g, u)
    return []


def remove_layer(
    g: nx.DiGraph, layer: str, reassign_share: float, to_villages_share: float = 0.0,
) -> tuple[nx.DiGraph, dict[int, int], float]:
    """Return ``g`` without ``layer`` (new graph), the successors, and the staff reassigned.

    Examples
    --------
    >>> g = nx.DiGraph()
    >>> g.add_nodes_from([(0, {"kind": "county", "staff": 0.0}), (1, {"kind": "township", "staff": 4.0}),
    ...                   (2, {"kind": "village", "staff": 1.0})])
    >>> g.add_edge(0, 1, kind="command"); g.add_edge(1, 0, kind="report")
    >>> g.add_edge(1, 2, kind="command"); g.add_edge(2, 1, kind="report")
    >>> h, succ, moved = remove_layer(g, "township", 0.5)
    >>> sorted(h.nodes), succ, h.edges[0, 2]["kind"], h.nodes[0]["staff"]
    ([0, 2], {1: 0}, 'command', 2.0)
    """
    h = copy_graph(g)
    victims = [u for u, k in h.nodes(data="kind") if k == layer]
    successors: dict[int, int] = {}
    moved = 0.0
    for v in victims:
        parent = command_parent(h, v)
        assert parent is not None
        kids = territorial_children(h, v)
        down = float(h.nodes[v].get("staff", 0.0)) * to_villages_share
        for child in kids:
            h.add_edge(parent, child, kind=EdgeKind.COMMAND.value)
            h.add_edge(child, parent, kind=EdgeKind.REPORT.value)
            h.nodes[child]["reparented_from"] = int(v)
            h.nodes[child]["staff"] = float(h.nodes[child].get("staff", 0.0) + down / len(kids))
        share = float(h.nodes[v].get("staff", 0.0)) * reassign_share
        moved += share
        depts = _departments_of(h, parent)
        if depts:
            w = np.array([h.nodes[d]["staff"] for d in depts], float)
            w = w / w.sum() if w.sum() > 0 else np.full(len(depts), 1 / len(depts))
            for d, x in zip(depts, w, strict=True):
                h.nodes[d]["staff"] = float(h.nodes[d]["staff"] + share * x)
        else:
            h.nodes[parent]["staff"] = float(h.nodes[parent].get("staff", 0.0) + share)
        successors[int(v)] = int(parent)
        h.remove_node(v)
    record_provenance(h, {"reform": "remove_layer", "layer": layer, "removed": len(victims),
                          "staff_reassigned": round(moved, 3)})
    return h, successors, moved


@dataclass
class RemoveLayer(Reform):
    """Remove a territorial layer (e.g. townships 乡镇), attaching its subordinates above."""

    name = "remove_layer"
    label_zh = "撤销层级（扁平化）"
    seed_paper = "004"

    layer: str = "township"
    reassign_share: float = 0.25
    to_villages_share: float = 0.15

    def validate(self) -> None:
        """Check the layer name and the share."""
        if self.layer not in {lv.value for lv in LevelName}:
            raise ReformError(f"remove_layer: layer = '{self.layer}' is not a level name; expected one of "
                              f"{[lv.value for lv in LevelName]}")
        if not (0.0 <= self.reassign_share and 0.0 <= self.to_villages_share
                and self.reassign_share + self.to_villages_share <= 1.0):
            raise ReformError(f"remove_layer: reassign_share = {self.reassign_share}, to_villages_share = "
                              f"{self.to_villages_share}: expected non-negative shares summing to at most 1")

    def check(self, g: nx.DiGraph, spec: Scenario) -> None:
        """The layer must exist, be neither grids nor the top, and run no centres."""
        kinds = [k for _, k in g.nodes(data="kind")]
        if self.layer not in kinds:
            present = sorted({k for k in kinds if k in {lv.value for lv in LevelName}})
            raise ReformError(f"remove_layer: layer '{self.layer}' is not in the organisation "
                              f"(layers present: {present})")
        if self.layer == NodeKind.GRID:
            raise ReformError("remove_layer: the grid layer cannot be removed")
        victims = [u for u, k in g.nodes(data="kind") if k == self.layer]
        if any(command_parent(g, v) is None for v in victims):
            raise ReformError(f"remove_layer: '{self.layer}' is the top level and cannot be removed")
        for v in victims:
            if any(g.nodes[c]["kind"] == NodeKind.CENTRE for c in g.successors(v)):
                raise ReformError(f"remove_layer: '{self.layer}' units run linkage centres; only layers "
                                  "without a centre can be removed")

    def transform_graph(self, g: nx.DiGraph, spec: Scenario) -> tuple[nx.DiGraph, dict[int, int]]:
        """Remove the layer."""
        h, succ, _ = remove_layer(g, self.layer, self.reassign_share, self.to_villages_share)
        return h, succ
