"""Export of the organisation graph for Gephi / Cytoscape (GraphML, GEXF)."""

from __future__ import annotations

from pathlib import Path

import networkx as nx

__all__ = ["exportable", "write_graphml", "write_gexf"]


def exportable(g: nx.DiGraph) -> nx.DiGraph:
    """A copy of ``g`` with only GraphML-safe attributes (agents and None values dropped).

    >>> g = nx.DiGraph(); g.add_node(0, kind="city", agent=object(), quasi=False)
    >>> sorted(exportable(g).nodes[0])
    ['kind', 'quasi']
    """
    h = nx.DiGraph()
    h.graph.update({k: v for k, v in g.graph.items() if isinstance(v, (str, int, float, bool))})
    for u, d in g.nodes(data=True):
        h.add_node(u, **{k: v for k, v in d.items() if isinstance(v, (str, int, float, bool))})
    for u, v, d in g.edges(data=True):
        h.add_edge(u, v, **{k: x for k, x in d.items() if isinstance(x, (str, int, float, bool))})
    return h


def write_graphml(g: nx.DiGraph, path: str | Path) -> None:
    """Write ``g`` as GraphML (node kinds, levels, names, staff; edge kinds)."""
    nx.write_graphml(exportable(g), str(path))


def write_gexf(g: nx.DiGraph, path: str | Path) -> None:
    """Write ``g`` as GEXF."""
    nx.write_gexf(exportable(g), str(path))
