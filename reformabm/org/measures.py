"""Structural measures of an organisation graph: pure functions (层级, 管理幅度, 中介中心性)."""

from __future__ import annotations

import networkx as nx
import numpy as np

from reformabm.org.graph import TERRITORIAL, EdgeKind, NodeKind

__all__ = ["n_layers", "span_of_control", "span_of_control_max", "centre_betweenness", "staff_total"]


def n_layers(g: nx.DiGraph, *, include_quasi: bool = True) -> int:
    """Number of distinct territorial levels present (层级数), grids included.

    Parameters
    ----------
    g : networkx.DiGraph
        Organisation graph.
    include_quasi : bool
        Count quasi-layers (片区/治理单元) as layers.

    Examples
    --------
    >>> g = nx.DiGraph()
    >>> g.add_nodes_from([(0, {"kind": "county"}), (1, {"kind": "township"}), (2, {"kind": "grid"}),
    ...                   (3, {"kind": "centre"})])
    >>> n_layers(g)
    3
    """
    kinds = {d["kind"] for _, d in g.nodes(data=True) if d["kind"] in TERRITORIAL}
    if not include_quasi:
        kinds.discard(NodeKind.AREA)
    return len(kinds)


def span_of_control(g: nx.DiGraph) -> dict[int, int]:
    """Number of territorial subordinates each territorial unit commands (管理幅度).

    Examples
    --------
    >>> g = nx.DiGraph()
    >>> g.add_nodes_from([(0, {"kind": "county"}), (1, {"kind": "village"}), (2, {"kind": "village"}),
    ...                   (3, {"kind": "grid"})])
    >>> g.add_edges_from([(0, 1), (0, 2), (1, 3)], kind="command")
    >>> span_of_control(g)
    {0: 2, 1: 1}
    """
    out: dict[int, int] = {}
    for u, v, k in g.edges(data="kind"):
        if k == EdgeKind.COMMAND and g.nodes[u]["kind"] in TERRITORIAL and g.nodes[v]["kind"] in TERRITORIAL:
            out[u] = out.get(u, 0) + 1
    return out


def span_of_control_max(g: nx.DiGraph) -> int:
    """Largest span of control over all territorial units (0 for a single unit).

    >>> g = nx.DiGraph(); g.add_nodes_from([(0, {"kind": "city"}), (1, {"kind": "grid"})])
    >>> g.add_edge(0, 1, kind="command"); span_of_control_max(g)
    1
    """
    spans = span_of_control(g)
    return max(spans.values(), default=0)


def staff_total(g: nx.DiGraph) -> float:
    """Total staff over all units (leaders' attention excluded).

    >>> g = nx.DiGraph(); g.add_nodes_from([(0, {"kind": "city", "staff": 3.0}),
    ...     (1, {"kind": "leader", "staff": 2.0}), (2, {"kind": "department", "staff": 4.5})])
    >>> staff_total(g)
    7.5
    """
    return float(sum(d.get("staff", 0.0) for _, d in g.nodes(data=True) if d["kind"] != NodeKind.LEADER))


def centre_betweenness(
    g: nx.DiGraph, *, exact_up_to: int = 800, samples: int = 64, seed: int | None = 0
) -> float:
    """Normalised betweenness centrality of the top linkage centre (联动中心) in ``g``.

    The top centre is the centre of highest rank (ties: lowest id). Graphs larger than
    ``exact_up_to`` nodes use ``samples`` sampled sources (``seed`` fixes them), as networkx's
    ``betweenness_centrality(k=...)`` does.

    Examples
    --------
    >>> g = nx.DiGraph()
    >>> g.add_nodes_from([(0, {"kind": "county", "rank": 4}), (1, {"kind": "centre", "rank": 4}),
    ...                   (2, {"kind": "department", "rank": 4})])
    >>> g.add_edges_from([(0, 1), (1, 2)])
    >>> centre_betweenness(g)
    0.5
    """
    centres = [(-d.get("rank", 0), u) for u, d in g.nodes(data=True) if d["kind"] == NodeKind.CENTRE]
    if not centres:
        return float("nan")
    top = min(centres)[1]
    n = g.number_of_nodes()
    if n <= exact_up_to:
        bc = nx.betweenness_centrality(g, normalized=True)
    else:
        bc = nx.betweenness_centrality(g, k=min(samples, n), normalized=True, seed=seed)
    return float(np.round(bc[top], 12))
