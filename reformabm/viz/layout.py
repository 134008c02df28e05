"""Layout and aggregation of the organisation graph for drawing (pure functions, O(n + m)).

:func:`hierarchical_layout` places units in rows by level, top-down: for every territorial
level that has a linkage centre, a band of three rows — leaders with the supervision bureau
and the discipline commission, then the centre with its departments beside it (条), then the
territorial units themselves (块) — and one row for every other territorial level (area,
township, village, grid). Within the territorial tree, leaves are spread evenly and every
unit sits above the middle of its children, so a unit's departments spread over the width
of its own territory. No spring layout: one pass over the edges and one over the nodes.

:func:`aggregate_org` folds a large graph for drawing: grids into their village, and if the
graph is still above the threshold, villages (with their grids) into their territorial
parent, summing open issues, staff, work and capacity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import networkx as nx
import numpy as np

from reformabm.org.graph import EdgeKind, NodeKind

__all__ = [
    "TERRITORIAL_ROWS",
    "ATTACHED",
    "VALUE_KEYS",
    "hierarchical_layout",
    "layout_rows",
    "territorial_structure",
    "aggregate_org",
]

#: Territorial kinds in row order, top-down.
TERRITORIAL_ROWS: list[str] = [
    NodeKind.CENTRAL.value,
    NodeKind.PROVINCE.value,
    NodeKind.CITY.value,
    NodeKind.COUNTY.value,
    NodeKind.AREA.value,
    NodeKind.TOWNSHIP.value,
    NodeKind.VILLAGE.value,
    NodeKind.GRID.value,
]
#: Kinds of units attached to a territorial unit (drawn in the band above it).
ATTACHED: set[str] = {
    NodeKind.LEADER.value,
    NodeKind.CENTRE.value,
    NodeKind.SUPERVISION.value,
    NodeKind.DISCIPLINE.value,
    NodeKind.DEPARTMENT.value,
}
#: Per-unit quantities carried (and summed) by :func:`aggregate_org`.
VALUE_KEYS = ("open", "work", "capacity")

_TERR = set(TERRITORIAL_ROWS)
_ROW_INDEX = {k: i for i, k in enumerate(TERRITORIAL_ROWS)}


def territorial_structure(
    g: nx.DiGraph,
) -> tuple[dict[int, int], dict[int, list[int]], dict[int, int]]:
    """One pass over the edges: territorial parent, territorial children and home unit.

    Returns
    -------
    parent : dict
        Territorial unit -> its territorial superior (command edge).
    children : dict
        Territorial unit -> its territorial subordinates, sorted by id.
    home : dict
        Attached unit (leader, centre, supervision, discipline, department) -> the
        territorial unit it belongs to.

    Examples
    --------
    >>> g = nx.DiGraph()
    >>> g.add_nodes_from([(0, {"kind": "county"}), (1, {"kind": "township"}),
    ...                   (2, {"kind": "centre"}),
    ...                   (3, {"kind": "department"})])
    >>> g.add_edge(0, 1, kind="command"); g.add_edge(0, 2, kind="command")
    >>> g.add_edge(2, 3, kind="dispatch")
    >>> territorial_structure(g)
    ({1: 0}, {0: [1]}, {2: 0, 3: 0})
    """
    kind = dict(g.nodes(data="kind"))
    parent: dict[int, int] = {}
    children: dict[int, list[int]] = {}
    home: dict[int, int] = {}
    centre_of: dict[int, int] = {}
    for a, b, ek in g.edges(data="kind"):
        ka, kb = kind[a], kind[b]
        if ek == EdgeKind.COMMAND:
            if ka in _TERR and kb in _TERR:
                parent[b] = a
                children.setdefault(a, []).append(b)
            elif ka in _TERR and kb in ATTACHED:
                home[b] = a
            elif ka == NodeKind.LEADER and kb in _TERR:
                home[a] = b
        elif ek == EdgeKind.DISPATCH and ka == NodeKind.CENTRE and kb == NodeKind.DEPARTMENT:
            centre_of[b] = a
    for d, c in centre_of.items():
        if c in home:
            home[d] = home[c]
    for kids in children.values():
        kids.sort()
    return parent, children, home


def _band_rows(g: nx.DiGraph, home: dict[int, int]) -> tuple[dict[str, float], dict[str, float]]:
    """Y of each territorial row and of the band (leader row) above it, top-down."""
    present = {k for _, k in g.nodes(data="kind") if k in _TERR}
    homes_kinds = {g.nodes[h]["kind"] for h in home.values()}
    row_y: dict[str, float] = {}
    band_y: dict[str, float] = {}
    y = 0.0
    for k in TERRITORIAL_ROWS:
        if k not in present:
            continue
        if k in homes_kinds:
            band_y[k] = y
            y -= 2.0
        row_y[k] = y
        y -= 1.0
    return row_y, band_y


def layout_rows(g: nx.DiGraph) -> dict[str, float]:
    """Return the y of each territorial row present in ``g`` (kind -> y), top-down from 0.

    >>> g = nx.DiGraph()
    >>> g.add_nodes_from([(0, {"kind": "county"}), (1, {"kind": "village"})])
    >>> g.add_edge(0, 1, kind="command")
    >>> layout_rows(g)
    {'county': 0.0, 'village': -1.0}
    """
    _, _, home = territorial_structure(g)
    return _band_rows(g, home)[0]


def hierarchical_layout(g: nx.DiGraph, width: float = 1.0) -> dict[int, tuple[float, float]]:
    """Positions ``{unit: (x, y)}`` of every node of ``g`` in rows by level (see module doc).

    ``x`` runs over ``[0, width]``; ``y`` is 0 at the top row and decreases by one per row.
    Cost O(n + m): one pass over the edges, one depth-first walk of the territorial tree.

    Examples
    --------
    >>> g = nx.DiGraph()
    >>> g.add_nodes_from([(0, {"kind": "county"}), (1, {"kind": "village"}),
    ...                   (2, {"kind": "village"}),
    ...                   (3, {"kind": "centre"}), (4, {"kind": "leader"})])
    >>> for v in (1, 2, 3): g.add_edge(0, v, kind="command")
    >>> g.add_edge(4, 0, kind="command")
    >>> pos = hierarchical_layout(g)
    >>> pos[1], pos[2], pos[0], pos[3], pos[4]
    ((0.0, -3.0), (1.0, -3.0), (0.5, -2.0), (0.5, -1.0), (0.5, 0.0))
    """
    parent, children, home = territorial_structure(g)
    row_y, band_y = _band_rows(g, home)
    kind = dict(g.nodes(data="kind"))
    roots = sorted(u for u, k in kind.items() if k in _TERR and u not in parent)
    x: dict[int, float] = {}
    span: dict[int, tuple[float, float]] = {}
    slot = 0
    # iterative post-order walk: leaves get consecutive slots, parents the middle of their children
    for r in roots:
        stack: list[tuple[int, int]] = [(r, 0)]
        while stack:
            u, i = stack.pop()
            kids = children.get(u, [])
            if i < len(kids):
                stack.append((u, i + 1))
                stack.append((kids[i], 0))
                continue
            if kids:
                x[u] = 0.5 * (x[kids[0]] + x[kids[-1]])
                span[u] = (span[kids[0]][0], span[kids[-1]][1])
            else:
                x[u] = float(slot)
                span[u] = (float(slot), float(slot))
                slot += 1
    pos: dict[int, tuple[float, float]] = {u: (x[u], row_y[kind[u]]) for u in x}
    # attached units: band rows above their home unit
    by_home: dict[int, dict[str, list[int]]] = {}
    loose: list[int] = []
    for u, k in kind.items():
        if u in pos:
            continue
        h = home.get(u)
        if h is None or h not in pos:
            loose.append(u)
        else:
            by_home.setdefault(h, {}).setdefault(k, []).append(u)
    for h, groups in by_home.items():
        xh = x[h]
        top = band_y.get(kind[h], row_y[kind[h]] + 2.0)
        lo, hi = span[h]
        half = max(0.5 * (hi - lo), 1.0)
        d = max(min(0.15 * (hi - lo), 6.0), 1.0)
        for u in groups.get(NodeKind.LEADER.value, []):
            pos[u] = (xh, top)
        for u in groups.get(NodeKind.SUPERVISION.value, []):
            pos[u] = (xh - d, top)
        for u in groups.get(NodeKind.DISCIPLINE.value, []):
            pos[u] = (xh + d, top)
        for u in groups.get(NodeKind.CENTRE.value, []):
            pos[u] = (xh, top - 1.0)
        depts = sorted(groups.get(NodeKind.DEPARTMENT.value, []))
        if depts:
            n_left = len(depts) // 2
            left, right = depts[:n_left], depts[n_left:]
            gap = max(0.08 * half, 0.5)
            if left:
                xs = (
                    np.linspace(xh - half, xh - gap, len(left))
                    if len(left) > 1
                    else [xh - 0.5 * half]
                )
                pos.update({u: (float(v), top - 1.0) for u, v in zip(left, xs, strict=True)})
            xs = (
                np.linspace(xh + gap, xh + half, len(right))
                if len(right) > 1
                else [xh + 0.5 * half]
            )
            pos.update({u: (float(v), top - 1.0) for u, v in zip(right, xs, strict=True)})
    if loose:  # units with no territorial home: a row above everything
        y0 = max((p[1] for p in pos.values()), default=-1.0) + 1.0
        xs = np.linspace(0, max(slot - 1, 1), len(loose)) if len(loose) > 1 else [0.0]
        pos.update({u: (float(v), y0) for u, v in zip(sorted(loose), xs, strict=True)})
    # normalise x to [0, width]
    if pos:
        xs_all = np.array([p[0] for p in pos.values()])
        lo, hi = float(xs_all.min()), float(xs_all.max())
        scale = width / (hi - lo) if hi > lo else 0.0
        off = 0.5 * width if hi <= lo else 0.0
        pos = {u: ((p[0] - lo) * scale + off, p[1]) for u, p in pos.items()}
    return pos


def _value(values: Mapping[str, Any] | None, key: str, u: int) -> float:
    if not values or key not in values:
        return 0.0
    arr = values[key]
    if isinstance(arr, Mapping):
        return float(arr.get(u, 0.0))
    return float(arr[u]) if u < len(arr) else 0.0


def aggregate_org(
    g: nx.DiGraph,
    values: Mapping[str, Sequence[float] | np.ndarray | Mapping[int, float]] | None = None,
    *,
    max_nodes: int = 1500,
) -> nx.DiGraph:
    """Return a light copy of ``g`` for drawing, folded above ``max_nodes`` units.

    Grids are folded into their village (their territorial parent) when ``g`` has more than
    ``max_nodes`` nodes; if the result still has more, villages (with their grids) are folded
    into their territorial parent (township, area or county). A folded unit carries the sums
    of ``staff`` and of ``values`` (``open``, ``work``, ``capacity``: arrays indexed by unit id
    or mappings) over itself and the units folded into it, and ``members`` = how many original
    units it stands for. Edges are redirected to the representatives (self-loops dropped).

    Parameters
    ----------
    g : networkx.DiGraph
        The organisation graph (never modified).
    values : mapping, optional
        Per-unit quantities by name (missing: 0).
    max_nodes : int
        Fold above this many nodes.

    Returns
    -------
    networkx.DiGraph
        Nodes keep ``kind, level, name, label_zh, staff, quasi, dept`` and get ``open, work,
        capacity, members, folded`` (``""``, ``"grid"`` or ``"grid+village"``);
        ``graph["folded"]`` names what was folded.

    Examples
    --------
    >>> g = nx.DiGraph()
    >>> g.add_nodes_from([(0, {"kind": "township", "staff": 1.0}),
    ...                   (1, {"kind": "village", "staff": 1.0}),
    ...                   (2, {"kind": "grid", "staff": 2.0}), (3, {"kind": "grid", "staff": 2.0})])
    >>> for a, b in [(0, 1), (1, 2), (1, 3)]: g.add_edge(a, b, kind="command")
    >>> h = aggregate_org(g, {"open": [1, 2, 3, 4]}, max_nodes=3)
    >>> sorted(h.nodes), h.nodes[1]["open"], h.nodes[1]["staff"], h.nodes[1]["members"]
    ([0, 1], 9.0, 5.0, 3)
    """
    parent, _, _ = territorial_structure(g)
    kind = dict(g.nodes(data="kind"))
    rep: dict[int, int] = {}
    folded: list[str] = []
    n = g.number_of_nodes()
    if n > max_nodes:
        grids = [u for u, k in kind.items() if k == NodeKind.GRID and u in parent]
        rep.update({u: parent[u] for u in grids})
        folded.append("grid")
        n -= len(grids)
        if n > max_nodes:
            villages = [u for u, k in kind.items() if k == NodeKind.VILLAGE and u in parent]
            rep.update({u: parent[u] for u in villages})
            for u in grids:  # grid -> village -> its parent
                rep[u] = rep.get(rep[u], rep[u])
            folded.append("village")
    h = nx.DiGraph(**{k: v for k, v in g.graph.items() if isinstance(v, (str, int, float))})
    h.graph["folded"] = "+".join(folded)
    keep = ("kind", "level", "name", "label_zh", "quasi", "dept", "merged_from", "created_by")
    for u, d in g.nodes(data=True):
        if u in rep:
            continue
        attrs = {k: d[k] for k in keep if k in d}
        attrs.update(staff=float(d.get("staff", 0.0)), members=1, folded="")
        for key in VALUE_KEYS:
            attrs[key] = _value(values, key, u)
        h.add_node(u, **attrs)
    into: dict[int, set[str]] = {}
    for u, r in rep.items():
        a = h.nodes[r]
        a["staff"] += float(g.nodes[u].get("staff", 0.0))
        a["members"] += 1
        into.setdefault(r, set()).add(kind[u])
        for key in VALUE_KEYS:
            a[key] += _value(values, key, u)
    for r, kinds in into.items():
        h.nodes[r]["folded"] = "+".join(k for k in TERRITORIAL_ROWS[::-1] if k in kinds)
    for a, b, ek in g.edges(data="kind"):
        ra, rb = rep.get(a, a), rep.get(b, b)
        if ra != rb and not h.has_edge(ra, rb):
            h.add_edge(ra, rb, kind=ek)
    return h
