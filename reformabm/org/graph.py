"""Build the organisation graph (组织网络) from a scenario: a typed networkx ``DiGraph``.

Nodes are organisational units with integer ids (stable for the life of a run; reforms add
new ids and never reuse old ones). Node attributes: ``kind`` (:class:`NodeKind`), ``level``
(territorial level name or ``""``), ``rank`` (highest required issue level it can solve),
``name``, ``label_zh``, ``staff``, and kind-specific ones (``domains`` for departments,
``population`` for grids, ``quasi`` for quasi-layer units, ``authority`` for centres).
Edges carry ``kind`` (:class:`EdgeKind`).
"""

from __future__ import annotations

from enum import StrEnum

import networkx as nx
import numpy as np

from reformabm.scenario import LEVEL_RANK, LevelName, Scenario

__all__ = [
    "NodeKind", "EdgeKind", "TERRITORIAL", "KIND_LABELS", "build_org_graph", "territorial_children",
    "command_parent", "dispatching_centre",
]


class NodeKind(StrEnum):
    """Kinds of organisational units."""

    GRID = "grid"  # 网格 (with its grid workers 网格员)
    VILLAGE = "village"  # 村/社区 (研判室)
    AREA = "area"  # 片区/治理单元 (quasi-layer)
    TOWNSHIP = "township"  # 乡镇/街道 (指挥室)
    COUNTY = "county"  # 县/区
    CITY = "city"  # 市
    PROVINCE = "province"  # 省
    CENTRAL = "central"  # 中央
    CENTRE = "centre"  # 联动中心 / 综合指挥中心
    DEPARTMENT = "department"  # 职能部门 (条)
    LEADER = "leader"  # 领导 / 领导小组
    SUPERVISION = "supervision"  # 督察局
    DISCIPLINE = "discipline"  # 纪委监委


TERRITORIAL = {
    NodeKind.GRID, NodeKind.VILLAGE, NodeKind.AREA, NodeKind.TOWNSHIP, NodeKind.COUNTY,
    NodeKind.CITY, NodeKind.PROVINCE, NodeKind.CENTRAL,
}


class EdgeKind(StrEnum):
    """Kinds of relations between units."""

    COMMAND = "command"  # 领导/指挥: superior -> subordinate
    REPORT = "report"  # 报告/上报: subordinate -> superior
    DISPATCH = "dispatch"  # 派单: centre -> department
    COUNTERPART = "counterpart"  # 对口: department <-> upper-level department
    CONTACT = "contact"  # 联系: stationed cadres, three-line contacts
    MEMBERSHIP = "membership"  # 隶属: department -> big department (大部制)


#: English and Chinese label of every node kind (figures, the browser view).
KIND_LABELS: dict[str, tuple[str, str]] = {
    "central": ("central", "中央"),
    "province": ("province", "省"),
    "city": ("city", "市"),
    "county": ("county", "县/区"),
    "area": ("area (quasi-layer)", "片区（准层级）"),
    "township": ("township", "乡镇/街道"),
    "village": ("village", "村/社区"),
    "grid": ("grid", "网格"),
    "centre": ("linkage centre", "联动中心"),
    "leader": ("leaders", "领导小组"),
    "supervision": ("supervision bureau", "督察局"),
    "discipline": ("discipline commission", "纪委监委"),
    "department": ("department", "职能部门"),
}

LEVEL_ZH = {
    "grid": "网格", "village": "村/社区", "area": "片区", "township": "乡镇/街道",
    "county": "县/区", "city": "市", "province": "省", "central": "中央",
}


def _spread(n_child: int, n_parent: int) -> np.ndarray:
    """Assign ``n_child`` children to ``n_parent`` parents in contiguous, balanced blocks.

    >>> _spread(5, 2).tolist()
    [0, 0, 0, 1, 1]
    """
    return (np.arange(n_child) * n_parent) // n_child


def _link(g: nx.DiGraph, superior: int, subordinate: int) -> None:
    g.add_edge(superior, subordinate, kind=EdgeKind.COMMAND.value)
    g.add_edge(subordinate, superior, kind=EdgeKind.REPORT.value)


def build_org_graph(scenario: Scenario, rng: np.random.Generator) -> nx.DiGraph:
    """Build the organisation graph of ``scenario``.

    Territorial units are created top-down; each level's units are spread over the units of
    the level above in balanced contiguous blocks. Every unit at a level with ``centre = true``
    gets a linkage centre, a leader (leading group), a supervision bureau, a discipline
    commission and one copy of each department declared at that level. Grid populations
    vary around the mean with ``residents.grid_population_cv`` (drawn from ``rng``).

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    rng : numpy.random.Generator
        The run's random source (used only for grid populations).

    Returns
    -------
    networkx.DiGraph
        The typed organisation graph; ``graph.graph`` holds the scenario name and domains.
    """
    g = nx.DiGraph(scenario=scenario.scenario.name, domains=",".join(scenario.domains))
    next_id = 0
    above: list[int] = []
    levels = list(reversed(scenario.levels))  # top-down
    for lv in levels:
        kind = NodeKind(lv.name.value)
        ids = list(range(next_id, next_id + lv.count))
        next_id += lv.count
        parents = _spread(lv.count, len(above)) if above else None
        for j, u in enumerate(ids):
            g.add_node(
                u,
                kind=kind.value,
                level=lv.name.value,
                rank=LEVEL_RANK[lv.name],
                name=f"{lv.name.value} {j}",
                label_zh=lv.label_zh or f"{LEVEL_ZH[lv.name.value]} {j}",
                staff=float(lv.staff),
                quasi=lv.name == LevelName.AREA,
                population=0.0,
            )
            if parents is not None:
                _link(g, above[parents[j]], u)
        above = ids

    # grid populations
    grids = [u for u, k in g.nodes(data="kind") if k == NodeKind.GRID]
    pop = scenario.residents.population
    cv = scenario.residents.grid_population_cv
    if cv > 0:
        sigma2 = np.log1p(cv**2)
        w = rng.lognormal(-sigma2 / 2, np.sqrt(sigma2), size=len(grids))
    else:
        w = np.ones(len(grids))
    share = w / w.sum()
    grid_pop = np.floor(share * pop).astype(np.int64)
    grid_pop[np.argsort(-share)[: pop - int(grid_pop.sum())]] += 1  # exact total
    for u, p in zip(grids, grid_pop, strict=True):
        g.nodes[u]["population"] = float(p)

    # centres, leaders, accountability units, departments
    centre_levels = {lv.name for lv in scenario.levels if lv.centre}
    for u, data in list(g.nodes(data=True)):
        lv = data["level"]
        if data["kind"] not in TERRITORIAL or LevelName(lv) not in centre_levels:
            continue
        where = data["name"]
        c = next_id
        leader, sup, disc = c + 1, c + 2, c + 3
        next_id += 4
        g.add_node(c, kind=NodeKind.CENTRE.value, level=lv, rank=data["rank"],
                   name=f"linkage centre of {where}", label_zh=f"{data['label_zh']} 联动中心",
                   staff=float(scenario.centre.staff), authority=float(scenario.centre.authority))
        g.add_node(leader, kind=NodeKind.LEADER.value, level=lv, rank=data["rank"],
                   name=f"leaders of {where}", label_zh=f"{data['label_zh']} 领导小组",
                   staff=float(scenario.leaders.attention_per_day))
        g.add_node(sup, kind=NodeKind.SUPERVISION.value, level=lv, rank=data["rank"],
                   name=f"supervision bureau of {where}", label_zh=f"{data['label_zh']} 督察局",
                   staff=float(scenario.accountability.supervision_staff))
        g.add_node(disc, kind=NodeKind.DISCIPLINE.value, level=lv, rank=data["rank"],
                   name=f"discipline commission of {where}", label_zh=f"{data['label_zh']} 纪委监委",
                   staff=float(scenario.accountability.discipline_staff))
        _link(g, u, c)
        _link(g, leader, u)
        _link(g, leader, c)
        _link(g, u, sup)
        _link(g, u, disc)
        for d in scenario.departments:
            if d.level != lv:
                continue
            g.add_node(next_id, kind=NodeKind.DEPARTMENT.value, level=lv, rank=data["rank"],
                       name=f"{d.name} of {where}", label_zh=d.label_zh or d.name,
                       dept=d.name, staff=float(d.staff), domains=",".join(d.domains))
            g.add_edge(c, next_id, kind=EdgeKind.DISPATCH.value)
            g.add_edge(next_id, c, kind=EdgeKind.REPORT.value)
            next_id += 1

    # counterparts: a department and the department of the same name at the unit above
    depts = [(u, d) for u, d in g.nodes(data=True) if d["kind"] == NodeKind.DEPARTMENT]
    centre_of_dept = {u: dispatching_centre(g, u) for u, _ in depts}
    by_unit_name: dict[tuple[int, str], int] = {}
    for u, d in depts:
        c = centre_of_dept[u]
        unit = command_parent(g, c)
        by_unit_name[(unit, d["dept"])] = u
    for u, d in depts:
        unit = command_parent(g, centre_of_dept[u])
        up = command_parent(g, unit)
        while up is not None:
            other = by_unit_name.get((up, d["dept"]))
            if other is not None:
                g.add_edge(u, other, kind=EdgeKind.COUNTERPART.value)
                g.add_edge(other, u, kind=EdgeKind.COUNTERPART.value)
                break
            up = command_parent(g, up)
    g.graph["next_id"] = next_id
    return g


def command_parent(g: nx.DiGraph, u: int) -> int | None:
    """Return the superior of ``u`` along command edges among territorial units (or None).

    >>> g = nx.DiGraph()
    >>> g.add_node(0, kind="county"); g.add_node(1, kind="township"); g.add_node(2, kind="centre")
    >>> g.add_edge(0, 1, kind="command"); g.add_edge(0, 2, kind="command")
    >>> command_parent(g, 1), command_parent(g, 0)
    (0, None)
    """
    for p in g.predecessors(u):
        if g.edges[p, u]["kind"] == EdgeKind.COMMAND and g.nodes[p]["kind"] in TERRITORIAL:
            return p
    return None


def dispatching_centre(g: nx.DiGraph, dept: int) -> int | None:
    """Return the centre that dispatches to department ``dept`` (or None).

    >>> g = nx.DiGraph(); g.add_edge(5, 9, kind="dispatch"); g.add_edge(9, 5, kind="report")
    >>> dispatching_centre(g, 9)
    5
    """
    for p in g.predecessors(dept):
        if g.edges[p, dept]["kind"] == EdgeKind.DISPATCH:
            return p
    return None


def territorial_children(g: nx.DiGraph, u: int) -> list[int]:
    """Territorial units directly commanded by ``u``.

    >>> g = nx.DiGraph()
    >>> for n, k in enumerate(["county", "township", "township", "centre"]): g.add_node(n, kind=k)
    >>> for v in (1, 2, 3): g.add_edge(0, v, kind="command")
    >>> territorial_children(g, 0)
    [1, 2]
    """
    return [v for v in g.successors(u)
            if g.edges[u, v]["kind"] == EdgeKind.COMMAND and g.nodes[v]["kind"] in TERRITORIAL]
