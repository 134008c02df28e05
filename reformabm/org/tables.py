"""Routing tables derived from the org graph: numpy arrays indexed by unit id.

The graph is the source of truth; :func:`routing_tables` turns it into the arrays the
day's vectorised process reads (who is whose parent, which centre a unit reports to,
which department owns which domain). It is re-derived whenever a reform changes the graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import networkx as nx
import numpy as np

from reformabm.org.graph import TERRITORIAL, EdgeKind, NodeKind, command_parent, dispatching_centre

__all__ = ["KIND_CODES", "RoutingTables", "routing_tables", "MAX_RANK"]

#: Integer code of each node kind, used in the arrays.
KIND_CODES: dict[NodeKind, int] = {k: i for i, k in enumerate(NodeKind)}
MAX_RANK = 7


@dataclass
class RoutingTables:
    """Arrays over unit ids (``-1`` = none). Built by :func:`routing_tables`."""

    n: int
    active: np.ndarray  # bool: unit exists
    kind: np.ndarray  # int8 kind code
    rank: np.ndarray  # int8
    quasi: np.ndarray  # bool: quasi-layer unit (no solving)
    staff: np.ndarray  # float64 staff (leaders: attention per day)
    parent: np.ndarray  # territorial superior
    centre: np.ndarray  # for a territorial unit with a centre: that centre
    home: np.ndarray  # for centres/departments/leaders: the territorial unit they belong to
    leader: np.ndarray  # for a centre: its leader
    intake: np.ndarray  # for a grid: the lowest centre above it (hotline/app intake)
    solver: np.ndarray  # [unit, level 1..MAX_RANK]: lowest non-quasi ancestor-or-self of rank >= level
    dept_mask: np.ndarray  # int64 domain bitmask of a department
    dept_centre: np.ndarray  # the centre dispatching to a department
    dept_group: np.ndarray  # big-department group id (departments merged share it)
    owner: np.ndarray  # [centre, domain] -> department owning the domain (or -1)
    centre_depts: dict[int, np.ndarray]  # centre -> its departments
    residual: np.ndarray  # [centre] -> department receiving coordinated residual matters
    authority: np.ndarray  # [centre] -> authority 0-1
    dept_table: np.ndarray  # [centre, j] -> j-th department of the centre (padded -1)
    n_depts: np.ndarray  # [centre] -> number of departments
    counterparts: np.ndarray  # [department] -> upper-level counterparts it reports to (对口)
    bureau: np.ndarray  # [territorial unit with centre] -> its supervision bureau 督察局
    commission: np.ndarray  # [territorial unit with centre] -> its discipline commission 纪委监委
    cadre_share: np.ndarray  # [village] -> share of the township's level-3 work its stationed cadres take
    _masks: dict[tuple[NodeKind, ...], np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    @cached_property
    def has_cadres(self) -> bool:
        """Whether any village has stationed township cadres (``cadre_share > 0``)."""
        return bool(np.count_nonzero(self.cadre_share))

    def of_kind(self, *kinds: NodeKind) -> np.ndarray:
        """Read-only mask of the units of ``kinds`` (cached: the tables do not change once built).

        >>> from reformabm import ReformModel
        >>> t = ReformModel("teaching", rng=1, days=1).tables
        >>> int(t.of_kind(NodeKind.GRID).sum()) == int((t.kind == KIND_CODES[NodeKind.GRID]).sum())
        True
        """
        mask = self._masks.get(kinds)
        if mask is None:
            mask = np.isin(self.kind, [KIND_CODES[k] for k in kinds])
            mask.flags.writeable = False
            self._masks[kinds] = mask
        return mask

    def entry(self, units: np.ndarray) -> np.ndarray:
        """Where an issue handed to territorial ``units`` lands: the unit's centre if it has one."""
        c = self.centre[units]
        return np.where(c >= 0, c, units)


def routing_tables(g: nx.DiGraph, n_domains: int, residual_name: str = "") -> RoutingTables:
    """Derive :class:`RoutingTables` from an organisation graph.

    Parameters
    ----------
    g : networkx.DiGraph
        Organisation graph (see :func:`reformabm.org.graph.build_org_graph`).
    n_domains : int
        Number of problem domains (bit positions of the domain masks).
    residual_name : str
        Department name (``dept`` attribute) that receives coordinated residual matters;
        empty: the department with the most staff.
    """
    n = int(g.graph.get("next_id", max(g.nodes, default=-1) + 1))
    neg = lambda: np.full(n, -1, dtype=np.int64)  # noqa: E731
    t = RoutingTables(
        n=n, active=np.zeros(n, bool), kind=np.full(n, -1, np.int8), rank=np.zeros(n, np.int8),
        quasi=np.zeros(n, bool), staff=np.zeros(n), parent=neg(), centre=neg(), home=neg(),
        leader=neg(), intake=neg(), solver=np.full((n, MAX_RANK + 1), -1, np.int64),
        dept_mask=np.zeros(n, np.int64), dept_centre=neg(), dept_group=neg(),
        owner=np.full((n, max(n_domains, 1)), -1, np.int64), centre_depts={}, residual=neg(),
        authority=np.zeros(n), dept_table=np.zeros((n, 0), np.int64), n_depts=np.zeros(n, np.int64),
        counterparts=np.zeros(n), bureau=neg(), commission=neg(), cadre_share=np.zeros(n),
    )
    domains = g.graph.get("domains", "").split(",") if g.graph.get("domains") else []
    dom_index = {d: i for i, d in enumerate(domains)}
    for u, d in g.nodes(data=True):
        t.active[u] = True
        kind = NodeKind(d["kind"])
        t.kind[u] = KIND_CODES[kind]
        t.rank[u] = int(d.get("rank", 0))
        t.quasi[u] = bool(d.get("quasi", False))
        t.staff[u] = float(d.get("staff", 0.0))
        if kind in TERRITORIAL:
            p = command_parent(g, u)
            t.parent[u] = -1 if p is None else p
    for u, d in g.nodes(data=True):
        kind = d["kind"]
        if kind == NodeKind.CENTRE:
            t.authority[u] = float(d.get("authority", 0.0))
            home = command_parent(g, u)
            t.home[u] = home
            t.centre[home] = u
            for p in g.predecessors(u):
                if g.nodes[p]["kind"] == NodeKind.LEADER and g.edges[p, u]["kind"] == EdgeKind.COMMAND:
                    t.leader[u] = p
                    t.home[p] = home
        elif kind in (NodeKind.SUPERVISION, NodeKind.DISCIPLINE):
            home = command_parent(g, u)
            t.home[u] = home
            (t.bureau if kind == NodeKind.SUPERVISION else t.commission)[home] = u
        elif kind == NodeKind.DEPARTMENT:
            c = dispatching_centre(g, u)
            if c is not None:
                t.dept_centre[u] = c
            mask = 0
            for dom in str(d.get("domains", "")).split(","):
                if dom in dom_index:
                    mask |= 1 << dom_index[dom]
            t.dept_mask[u] = mask
            t.dept_group[u] = int(d.get("group", u))
            t.counterparts[u] = float(d.get("counterparts", 1))
    # solver table, filled top-down through parents
    terr = [u for u, d in g.nodes(data=True) if d["kind"] in TERRITORIAL]
    depth = {}

    def _depth(u: int) -> int:
        if u not in depth:
            p = t.parent[u]
            depth[u] = 0 if p < 0 else _depth(int(p)) + 1
        return depth[u]

    for u in sorted(terr, key=_depth):
        p = t.parent[u]
        t.cadre_share[u] = float(g.nodes[u].get("cadre_share", 0.0))
        for lvl in range(1, MAX_RANK + 1):
            if not t.quasi[u] and t.rank[u] >= lvl:
                t.solver[u, lvl] = u
            elif p >= 0:
                t.solver[u, lvl] = t.solver[p, lvl]
        # the top unit solves everything above its rank too
        if p < 0:
            t.solver[u, t.rank[u] + 1:] = u
    # intake centre of every territorial unit: lowest centre at or above it
    for u in sorted(terr, key=_depth, reverse=False):
        p = t.parent[u]
        t.intake[u] = t.centre[u] if t.centre[u] >= 0 else (t.intake[p] if p >= 0 else -1)
    # domain owners per centre (most staff wins a shared domain)
    depts = np.flatnonzero(t.kind == KIND_CODES[NodeKind.DEPARTMENT])
    for c in np.flatnonzero(t.kind == KIND_CODES[NodeKind.CENTRE]):
        mine = depts[t.dept_centre[depts] == c]
        mine = mine[np.argsort(-t.staff[mine], kind="stable")]
        t.centre_depts[int(c)] = mine
        for dept in mine[::-1]:
            for b in range(n_domains):
                if (int(t.dept_mask[dept]) >> b) & 1:
                    t.owner[c, b] = dept
        named = [x for x in mine if g.nodes[int(x)].get("dept") == residual_name]
        t.residual[c] = named[0] if named else (mine[0] if len(mine) else -1)
        t.n_depts[c] = len(mine)
    width = int(t.n_depts.max(initial=0))
    t.dept_table = np.full((n, max(width, 1)), -1, np.int64)
    for c, mine in t.centre_depts.items():
        t.dept_table[c, : len(mine)] = mine
    return t
