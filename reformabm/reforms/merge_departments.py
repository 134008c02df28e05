"""Big-department merger (大部制; Longgang, 004).

At every centre, the member departments become one department: staff summed (times
``efficiency``), domains united (so no push-back between former members and no misdispatch
among them), upper-level counterparts (对口) summed — each counterpart beyond the first
costs reporting overhead (``workload.counterpart_overhead``), the load Longgang's merged
sections feel facing ten or more upper-level counterparts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx

from reformabm.errors import ReformError
from reformabm.org.graph import EdgeKind, NodeKind
from reformabm.reforms.base import Reform, copy_graph, record_provenance
from reformabm.scenario import Scenario

__all__ = ["MergeDepartments", "merge_departments"]


def _centre_members(g: nx.DiGraph, members: list[str]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for c, k in g.nodes(data="kind"):
        if k != NodeKind.CENTRE:
            continue
        mine = [d for d in g.successors(c) if g.edges[c, d]["kind"] == EdgeKind.DISPATCH
                and g.nodes[d].get("dept") in members]
        if len(mine) >= 2:
            out[c] = mine
    return out


def merge_departments(
    g: nx.DiGraph, into: str, members: list[str], efficiency: float = 1.0, label_zh: str = "",
) -> tuple[nx.DiGraph, dict[int, int]]:
    """Merge departments named ``members`` at each centre into one called ``into``.

    Examples
    --------
    >>> g = nx.DiGraph(next_id=3)
    >>> g.add_node(0, kind="centre", name="c")
    >>> g.add_node(1, kind="department", dept="a", staff=2.0, domains="x", name="a")
    >>> g.add_node(2, kind="department", dept="b", staff=1.0, domains="y", name="b")
    >>> for d in (1, 2): g.add_edge(0, d, kind="dispatch"); g.add_edge(d, 0, kind="report")
    >>> h, succ = merge_departments(g, "ab", ["a", "b"])
    >>> h.nodes[3]["domains"], h.nodes[3]["staff"], h.nodes[3]["counterparts"], succ
    ('x,y', 3.0, 2, {1: 3, 2: 3})
    """
    h = copy_graph(g)
    next_id = int(h.graph.get("next_id", max(h.nodes) + 1))
    successors: dict[int, int] = {}
    for c, mine in _centre_members(h, members).items():
        new = next_id
        next_id += 1
        domains: list[str] = []
        for d in mine:
            for dom in str(h.nodes[d].get("domains", "")).split(","):
                if dom and dom not in domains:
                    domains.append(dom)
        first = h.nodes[mine[0]]
        h.add_node(new, kind=NodeKind.DEPARTMENT.value, level=first.get("level", ""), rank=first.get("rank", 0),
                   name=f"{into} of {h.nodes[c]['name'].removeprefix('linkage centre of ')}",
                   label_zh=label_zh or into, dept=into,
                   staff=float(sum(h.nodes[d]["staff"] for d in mine) * efficiency),
                   domains=",".join(domains),
                   counterparts=int(sum(h.nodes[d].get("counterparts", 1) for d in mine)),
                   merged_from=",".join(str(h.nodes[d].get("dept")) for d in mine))
        h.add_edge(c, new, kind=EdgeKind.DISPATCH.value)
        h.add_edge(new, c, kind=EdgeKind.REPORT.value)
        for d in mine:
            for other in list(h.successors(d)):
                if h.edges[d, other]["kind"] == EdgeKind.COUNTERPART and other not in mine:
                    h.add_edge(new, other, kind=EdgeKind.COUNTERPART.value)
                    h.add_edge(other, new, kind=EdgeKind.COUNTERPART.value)
            successors[int(d)] = new
            h.remove_node(d)
    h.graph["next_id"] = next_id
    record_provenance(h, {"reform": "merge_departments", "into": into, "members": "+".join(members)})
    return h, successors


@dataclass
class MergeDepartments(Reform):
    """Merge named departments into one big department (大部制)."""

    name = "merge_departments"
    label_zh = "大部制改革"
    seed_paper = "004"

    into: str = "big_department"
    members: list[str] = field(default_factory=list)
    efficiency: float = 1.0
    label_zh_name: str = ""

    def validate(self) -> None:
        """At least two members; a positive efficiency."""
        if len(self.members) < 2:
            raise ReformError(f"merge_departments: members = {self.members}: expected at least two "
                              "department names (e.g. members=civil_affairs+human_resources)")
        if not 0 < self.efficiency <= 2:
            raise ReformError(f"merge_departments: efficiency = {self.efficiency}: expected 0 < x <= 2")

    def check(self, g: nx.DiGraph, spec: Scenario) -> None:
        """Every member must exist, and at least one centre must have two of them."""
        names = {d for _, d in g.nodes(data="dept") if d}
        missing = [m for m in self.members if m not in names]
        if missing:
            raise ReformError(f"merge_departments: no department named {missing}; departments are "
                              f"{sorted(names)}")
        if not _centre_members(g, self.members):
            raise ReformError("merge_departments: no centre has two of the members to merge")

    def transform_graph(self, g: nx.DiGraph, spec: Scenario) -> tuple[nx.DiGraph, dict[int, int]]:
        """Merge."""
        return merge_departments(g, self.into, self.members, self.efficiency, self.label_zh_name)
