"""Export of the organisation graph for Gephi / Cytoscape (GraphML, GEXF)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

__all__ = ["exportable", "write_graphml", "write_gexf", "graphml_text"]

_SAFE = (str, int, float, bool)
#: GraphML ``attr.type`` of the attribute types written, as networkx names them
_XML_TYPE = {str: "string", int: "long", float: "double", bool: "boolean", np.float64: "float"}
_NS = ('<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
       'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
       'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
       'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">')


def exportable(g: nx.DiGraph) -> nx.DiGraph:
    """A copy of ``g`` with only GraphML-safe attributes (agents and None values dropped).

    >>> g = nx.DiGraph(); g.add_node(0, kind="city", agent=object(), quasi=False)
    >>> sorted(exportable(g).nodes[0])
    ['kind', 'quasi']
    """
    h = nx.DiGraph()
    h.graph.update({k: v for k, v in g.graph.items() if isinstance(v, _SAFE)})
    for u, d in g.nodes(data=True):
        h.add_node(u, **{k: v for k, v in d.items() if isinstance(v, _SAFE)})
    for u, v, d in g.edges(data=True):
        h.add_edge(u, v, **{k: x for k, x in d.items() if isinstance(x, _SAFE)})
    return h


def _text(s: str) -> str:
    if "&" in s or "<" in s or ">" in s:
        s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return s


def _attr(s: str) -> str:
    s = _text(s)
    if '"' in s or "\n" in s or "\r" in s or "\t" in s:
        s = s.replace('"', "&quot;").replace("\r", "&#13;").replace("\n", "&#10;").replace("\t", "&#09;")
    return s


def graphml_text(g: nx.DiGraph) -> str:
    """GraphML of ``g``'s GraphML-safe attributes: the document ``nx.write_graphml(exportable(g))`` writes.

    The same bytes as networkx's writer (keys ``d0, d1, ...`` by first use, pretty-printed),
    built as text in one pass instead of an ElementTree (Kaifeng's 8,551 units: several times
    faster). ``tests/test_org.py`` checks the identity.

    >>> g = nx.DiGraph(); g.add_edge(0, 1, kind="command"); g.nodes[0]["kind"] = "city"
    >>> graphml_text(g).splitlines()[2]
    '  <key id="d1" for="edge" attr.name="kind" attr.type="string" />'
    """
    return "".join(_graphml_lines(g))


def _graphml_lines(g: nx.DiGraph) -> Iterator[str]:
    """The lines of :func:`graphml_text` (each with its newline), in two passes over ``g``.

    The first pass numbers the keys, which the document lists before the elements using them.
    """
    keys: dict[tuple[str, str, str], str] = {}

    def key(name: str, typ: type, scope: str) -> str:
        k = (name, _XML_TYPE[typ], scope)
        kid = keys.get(k)
        if kid is None:
            kid = keys[k] = f"d{len(keys)}"
        return kid

    def data(d: dict[Any, Any], scope: str, pad: str) -> list[str]:
        return [f'{pad}<data key="{key(str(k), type(v), scope)}">{_text(str(v))}</data>\n'
                for k, v in d.items() if isinstance(v, _SAFE)]

    # networkx appends every element's data once all nodes and edges exist, in the order graph,
    # nodes, edges (so keys are numbered in that order), and the graph's own data last
    graph_rows = data({k: v for k, v in g.graph.items() if k not in ("node_default", "edge_default", "id")},
                      "graph", "    ")
    for scope, items in (("node", g.nodes(data=True)), ("edge", g.edges(data=True))):
        for *_, d in items:
            for k, v in d.items():
                if isinstance(v, _SAFE):
                    key(str(k), type(v), scope)
    gid = g.graph.get("id")
    gid = gid if isinstance(gid, _SAFE) else None
    gopen = f'  <graph edgedefault="{"directed" if g.is_directed() else "undirected"}"'
    gopen += f' id="{_attr(str(gid))}">' if gid is not None else ">"
    yield "<?xml version='1.0' encoding='utf-8'?>\n"
    yield _NS + "\n"
    for (name, typ, scope), kid in reversed(keys.items()):
        yield f'  <key id="{kid}" for="{scope}" attr.name="{_attr(name)}" attr.type="{typ}" />\n'
    if not (g.number_of_nodes() or g.number_of_edges() or graph_rows):
        yield gopen[:-1] + " />\n"
        yield "</graphml>\n"
        return
    yield gopen + "\n"
    for tag, items in (("node", g.nodes(data=True)), ("edge", g.edges(data=True))):
        for *ends, d in items:
            rows = data(d, tag, "      ")
            if tag == "node":
                head = f'    <node id="{_attr(str(ends[0]))}"'
            else:
                head = f'    <edge source="{_attr(str(ends[0]))}" target="{_attr(str(ends[1]))}"'
            if rows:
                yield head + ">\n"
                yield from rows
                yield f"    </{tag}>\n"
            else:
                yield head + " />\n"
    yield from graph_rows
    yield "  </graph>\n"
    yield "</graphml>\n"


def write_graphml(g: nx.DiGraph, path: str | Path) -> None:
    """Write ``g`` as GraphML (node kinds, levels, names, staff; edge kinds); see :func:`graphml_text`.

    Streamed line by line: the document never exists as one string.
    """
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.writelines(_graphml_lines(g))


def write_gexf(g: nx.DiGraph, path: str | Path) -> None:
    """Write ``g`` as GEXF."""
    nx.write_gexf(exportable(g), str(path))
