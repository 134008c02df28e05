"""The organisation graph, its routing tables, GraphML export and structural measures."""

from __future__ import annotations

import math
from collections import Counter

import networkx as nx
import numpy as np
import pytest
from conftest import TINY_COUNTS, tiny_data

from reformabm import load_scenario
from reformabm.org.export import exportable, write_graphml
from reformabm.org.graph import (
    TERRITORIAL,
    EdgeKind,
    NodeKind,
    build_org_graph,
    command_parent,
    dispatching_centre,
    territorial_children,
)
from reformabm.org.measures import (
    centre_betweenness,
    n_layers,
    span_of_control,
    span_of_control_max,
    staff_total,
)
from reformabm.org.tables import KIND_CODES, routing_tables
from reformabm.scenario import LEVEL_RANK, validate_scenario


@pytest.fixture(scope="module")
def teaching():
    sc = load_scenario("teaching")
    return sc, build_org_graph(sc, np.random.default_rng(1))


def _kinds(g):
    return Counter(d["kind"] for _, d in g.nodes(data=True))


def _chain(g, u):
    """Territorial units from ``u`` up to the top along command parents."""
    out = [u]
    while (p := command_parent(g, out[-1])) is not None:
        out.append(p)
        assert len(out) < 20, "cycle in the chain of command"
    return out


# ---- the graph built from a scenario ---------------------------------------------------------

def test_node_counts_per_kind_equal_the_scenario(teaching):
    sc, g = teaching
    kinds = _kinds(g)
    for lv in sc.levels:
        assert kinds[str(lv.name)] == lv.count
    n_centres = sum(lv.count for lv in sc.levels if lv.centre)
    assert kinds[NodeKind.CENTRE] == n_centres == 1
    assert kinds[NodeKind.LEADER] == n_centres
    assert kinds[NodeKind.SUPERVISION] == n_centres
    assert kinds[NodeKind.DISCIPLINE] == n_centres
    assert kinds[NodeKind.DEPARTMENT] == len(sc.departments) * n_centres
    assert set(kinds) <= {k.value for k in NodeKind}
    assert g.number_of_nodes() == sum(kinds.values())
    # ids are 0..n-1 and next_id points past them
    assert sorted(g.nodes) == list(range(g.number_of_nodes()))
    assert g.graph["next_id"] == g.number_of_nodes()


def test_node_attributes(teaching):
    sc, g = teaching
    for u, d in g.nodes(data=True):
        assert {"kind", "level", "rank", "name", "label_zh", "staff"} <= set(d), u
        if d["kind"] in TERRITORIAL:
            assert d["rank"] == LEVEL_RANK[d["level"]]
            assert d["staff"] == sc.level(d["level"]).staff
    depts = [d for _, d in g.nodes(data=True) if d["kind"] == NodeKind.DEPARTMENT]
    assert sorted(d["dept"] for d in depts) == sorted(x.name for x in sc.departments)
    by_name = {x.name: x for x in sc.departments}
    for d in depts:
        assert d["domains"].split(",") == by_name[d["dept"]].domains
        assert d["staff"] == by_name[d["dept"]].staff
    centre = next(d for _, d in g.nodes(data=True) if d["kind"] == NodeKind.CENTRE)
    assert centre["authority"] == sc.centre.authority


def test_grid_populations_sum_to_the_population(teaching):
    sc, g = teaching
    pops = [d["population"] for _, d in g.nodes(data=True) if d["kind"] == NodeKind.GRID]
    assert len(pops) == sc.level("grid").count
    assert sum(pops) == sc.residents.population
    assert min(pops) >= 0
    assert np.std(pops) > 0  # grid_population_cv > 0 varies them


def test_grid_populations_equal_when_cv_is_zero():
    sc = validate_scenario(tiny_data(residents={"grid_population_cv": 0.0, "population": 4000}))
    g = build_org_graph(sc, np.random.default_rng(0))
    pops = [d["population"] for _, d in g.nodes(data=True) if d["kind"] == NodeKind.GRID]
    assert pops == [500.0] * 8


def test_every_grid_has_a_chain_of_command_to_the_top(teaching):
    sc, g = teaching
    top = [u for u, d in g.nodes(data=True)
           if d["kind"] in TERRITORIAL and command_parent(g, u) is None]
    assert len(top) == 1
    levels_bottom_up = [str(lv.name) for lv in sc.levels]
    for u, d in g.nodes(data=True):
        if d["kind"] != NodeKind.GRID:
            continue
        chain = _chain(g, u)
        assert chain[-1] == top[0]
        assert [g.nodes[x]["kind"] for x in chain] == levels_bottom_up
        ranks = [g.nodes[x]["rank"] for x in chain]
        assert ranks == sorted(ranks) and len(set(ranks)) == len(ranks)


def test_units_are_spread_evenly_over_their_superiors(teaching):
    sc, g = teaching
    for upper, lower in (("county", "township"), ("township", "village"), ("village", "grid")):
        n_up, n_low = sc.level(upper).count, sc.level(lower).count
        spans = [len(territorial_children(g, u))
                 for u, d in g.nodes(data=True) if d["kind"] == upper]
        assert sum(spans) == n_low
        assert max(spans) - min(spans) <= 1
        assert min(spans) >= 1 and len(spans) == n_up


def test_every_department_has_a_dispatching_centre(teaching):
    _, g = teaching
    for u, d in g.nodes(data=True):
        if d["kind"] == NodeKind.DEPARTMENT:
            c = dispatching_centre(g, u)
            assert c is not None and g.nodes[c]["kind"] == NodeKind.CENTRE
            assert g.nodes[c]["level"] == d["level"]


def test_every_centre_has_a_home_unit_and_a_leader(teaching):
    _, g = teaching
    for u, d in g.nodes(data=True):
        if d["kind"] != NodeKind.CENTRE:
            continue
        home = command_parent(g, u)
        assert home is not None and g.nodes[home]["kind"] in TERRITORIAL
        leaders = [p for p in g.predecessors(u) if g.nodes[p]["kind"] == NodeKind.LEADER
                   and g.edges[p, u]["kind"] == EdgeKind.COMMAND]
        assert len(leaders) == 1


def test_edge_kinds_come_from_edgekind(teaching):
    _, g = teaching
    kinds = {k for _, _, k in g.edges(data="kind")}
    assert kinds <= {k.value for k in EdgeKind}
    assert {"command", "report", "dispatch"} <= kinds


def test_each_command_edge_has_a_matching_report_edge(teaching):
    _, g = teaching
    n_command = 0
    for u, v, k in g.edges(data="kind"):
        if k == EdgeKind.COMMAND:
            n_command += 1
            assert g.has_edge(v, u) and g.edges[v, u]["kind"] == EdgeKind.REPORT, (u, v)
        if k == EdgeKind.DISPATCH:
            assert g.edges[v, u]["kind"] == EdgeKind.REPORT
        if k == EdgeKind.REPORT:  # and every report edge answers a command or a dispatch
            assert g.edges[v, u]["kind"] in (EdgeKind.COMMAND, EdgeKind.DISPATCH)
    assert n_command >= 1 + 5 + 40 + 120 - 1


def _two_centre_levels():
    """TINY with township centres and a township-level copy of the police department."""
    data = tiny_data()
    data["levels"][1]["centre"] = True  # townships run linkage centres too
    data["departments"].append({"name": "police", "domains": ["order"], "staff": 0.5,
                                "level": "township"})
    return data


def test_counterpart_edges_link_the_same_department_across_centre_levels():
    sc = validate_scenario(_two_centre_levels())
    g = build_org_graph(sc, np.random.default_rng(0))
    assert _kinds(g)[NodeKind.CENTRE] == 1 + 2
    cp = [(u, v) for u, v, k in g.edges(data="kind") if k == EdgeKind.COUNTERPART]
    # each township police department <-> the county police department, both ways
    assert len(cp) == 2 * 2
    for u, v in cp:
        assert g.nodes[u]["dept"] == g.nodes[v]["dept"] == "police"
        assert {g.nodes[u]["level"], g.nodes[v]["level"]} == {"township", "county"}


def test_departments_at_several_centre_levels():
    data = _two_centre_levels()
    data["departments"][-1]["name"] = "police_township"
    sc = validate_scenario(data)
    g = build_org_graph(sc, np.random.default_rng(0))
    kinds = _kinds(g)
    assert kinds[NodeKind.CENTRE] == kinds[NodeKind.LEADER] == 3
    assert kinds[NodeKind.DEPARTMENT] == 2 + 2 * 1
    t = routing_tables(g, len(sc.domains), sc.centre.residual_department)
    for u, d in g.nodes(data=True):
        if d["kind"] == NodeKind.DEPARTMENT:
            c = dispatching_centre(g, u)
            assert g.nodes[c]["level"] == d["level"]
            assert t.dept_centre[u] == c
    # the intake of a grid is the lowest centre above it: its township's
    for u, d in g.nodes(data=True):
        if d["kind"] == NodeKind.GRID:
            township = _chain(g, u)[2]
            assert t.intake[u] == t.centre[township] >= 0


def test_graphml_round_trip_keeps_kinds(teaching, tmp_path):
    _, g = teaching
    g = g.copy()
    g.nodes[0]["agent"] = object()  # agents are not exported
    path = tmp_path / "org.graphml"
    write_graphml(g, path)
    h = nx.read_graphml(path, node_type=int)
    assert h.is_directed()
    assert h.number_of_nodes() == g.number_of_nodes()
    assert h.number_of_edges() == g.number_of_edges()
    for u, d in g.nodes(data=True):
        assert h.nodes[u]["kind"] == d["kind"]
        assert h.nodes[u]["name"] == d["name"]
        assert h.nodes[u]["label_zh"] == d["label_zh"]  # Chinese labels survive
        assert math.isclose(h.nodes[u]["staff"], d["staff"])
        assert "agent" not in h.nodes[u]
    for u, v, k in g.edges(data="kind"):
        assert h.edges[u, v]["kind"] == k


def test_exportable_drops_unsafe_attributes():
    g = nx.DiGraph(note="x", obj=object())
    g.add_node(0, kind="city", agent=object(), none=None, quasi=False)
    g.add_edge(0, 0, kind="command", extra=[1, 2])
    h = exportable(g)
    assert h.graph == {"note": "x"}
    assert h.nodes[0] == {"kind": "city", "quasi": False}
    assert h.edges[0, 0] == {"kind": "command"}


# ---- routing tables --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tables(teaching):
    sc, g = teaching
    return routing_tables(g, len(sc.domains), sc.centre.residual_department)


def test_solver_is_an_ancestor_of_sufficient_rank(teaching, tables):
    _, g = teaching
    t = tables
    grids = [u for u, d in g.nodes(data=True) if d["kind"] == NodeKind.GRID]
    for u in grids:
        chain = _chain(g, u)
        for level in range(1, 6):
            s = int(t.solver[u, level])
            assert s in chain, (u, level)
            assert t.rank[s] >= level or s == chain[-1]
            # ... and the lowest such ancestor
            below = chain[: chain.index(s)]
            assert all(t.rank[x] < level for x in below)
        assert t.solver[u, 1] == u
        assert g.nodes[int(t.solver[u, 2])]["kind"] == "village"
        assert g.nodes[int(t.solver[u, 3])]["kind"] == "township"
        assert g.nodes[int(t.solver[u, 4])]["kind"] == "county"
        assert t.solver[u, 5] == chain[-1]  # the top unit solves what is above its rank


def test_tables_mirror_the_graph(teaching, tables):
    sc, g = teaching
    t = tables
    assert t.n == g.number_of_nodes()
    assert t.active.all()
    for u, d in g.nodes(data=True):
        assert t.kind[u] == KIND_CODES[NodeKind(d["kind"])]
        assert t.staff[u] == d["staff"]
        if d["kind"] in TERRITORIAL:
            p = command_parent(g, u)
            assert t.parent[u] == (-1 if p is None else p)
    centre = next(u for u, d in g.nodes(data=True) if d["kind"] == NodeKind.CENTRE)
    county = command_parent(g, centre)
    assert t.centre[county] == centre and t.home[centre] == county
    assert t.authority[centre] == sc.centre.authority
    assert g.nodes[int(t.leader[centre])]["kind"] == NodeKind.LEADER
    # hotline/app intake of every grid is the county centre
    grids = np.flatnonzero(t.kind == KIND_CODES[NodeKind.GRID])
    assert (t.intake[grids] == centre).all()
    # entry(): issues handed to the county land at its centre, others at the unit itself
    assert t.entry(np.array([county, grids[0]])).tolist() == [centre, grids[0]]
    # domain owners
    dom = {name: i for i, name in enumerate(sc.domains)}
    for u, d in g.nodes(data=True):
        if d["kind"] == NodeKind.DEPARTMENT:
            assert t.dept_centre[u] == centre
            for name in d["domains"].split(","):
                assert t.owner[centre, dom[name]] == u
                assert (int(t.dept_mask[u]) >> dom[name]) & 1
    assert t.owner[centre, dom["residual"]] == -1  # nobody owns residual matters
    assert g.nodes[int(t.residual[centre])]["dept"] == sc.centre.residual_department
    assert t.n_depts[centre] == len(sc.departments)
    assert sorted(t.dept_table[centre, : t.n_depts[centre]].tolist()) == sorted(
        u for u, d in g.nodes(data=True) if d["kind"] == NodeKind.DEPARTMENT)


def test_tiny_scenario_graph(tiny_path):
    sc = load_scenario(tiny_path)
    g = build_org_graph(sc, np.random.default_rng(3))
    kinds = _kinds(g)
    for k, n in TINY_COUNTS.items():
        assert kinds[k] == n
    assert kinds[NodeKind.DEPARTMENT] == 2
    assert n_layers(g) == 4
    assert span_of_control_max(g) == 2
    assert staff_total(g) == pytest.approx(2 * 1.0 + 4 * 0.5 + 8 * 1.0 + 2.0 + 2 * 1.0 + 5 + 5)


# ---- structural measures on hand-made graphs --------------------------------------------------

def _g(nodes, edges, kind="command"):
    g = nx.DiGraph()
    g.add_nodes_from(nodes)
    g.add_edges_from(edges, kind=kind)
    return g


def test_n_layers():
    g = _g([(0, {"kind": "city"}), (1, {"kind": "county"}), (2, {"kind": "area", "quasi": True}),
            (3, {"kind": "village"}), (4, {"kind": "grid"}), (5, {"kind": "grid"}),
            (6, {"kind": "centre"}), (7, {"kind": "department"})], [])
    assert n_layers(g) == 5
    assert n_layers(g, include_quasi=False) == 4
    assert n_layers(nx.DiGraph()) == 0


def test_span_of_control():
    g = _g([(0, {"kind": "county"}), (1, {"kind": "township"}), (2, {"kind": "township"}),
            (3, {"kind": "township"}), (4, {"kind": "village"}), (5, {"kind": "centre"}),
            (6, {"kind": "department"})],
           [(0, 1), (0, 2), (0, 3), (1, 4), (0, 5), (5, 6)])
    g.add_edge(1, 0, kind="report")  # report edges do not count
    assert span_of_control(g) == {0: 3, 1: 1}
    assert span_of_control_max(g) == 3
    assert span_of_control_max(_g([(0, {"kind": "city"})], [])) == 0


def test_staff_total_excludes_leaders():
    g = _g([(0, {"kind": "county", "staff": 1.5}), (1, {"kind": "leader", "staff": 9.0}),
            (2, {"kind": "department", "staff": 2.0}), (3, {"kind": "grid"})], [])
    assert staff_total(g) == 3.5


def test_centre_betweenness_path():
    # county -> centre -> department: the centre lies on 1 of the 2 ordered pairs (n-1)(n-2)
    g = _g([(0, {"kind": "county", "rank": 4}), (1, {"kind": "centre", "rank": 4}),
            (2, {"kind": "department", "rank": 4})], [(0, 1), (1, 2)])
    assert centre_betweenness(g) == 0.5


def test_centre_betweenness_star_and_top_centre():
    # a centre linked both ways to a county and two departments lies on every path: 1.0
    g = nx.DiGraph()
    g.add_nodes_from([(0, {"kind": "county", "rank": 4}), (1, {"kind": "centre", "rank": 4}),
                      (2, {"kind": "department", "rank": 4}),
                      (3, {"kind": "department", "rank": 4})])
    for v in (0, 2, 3):
        g.add_edge(1, v)
        g.add_edge(v, 1)
    assert centre_betweenness(g) == 1.0
    # a lower-ranked centre hanging off the county is not "the" centre, and lies on no path
    g.add_node(4, kind="centre", rank=3)
    g.add_edge(0, 4)
    # 12 ordered pairs of other nodes; 4 reaches nobody, 0 reaches 4 directly: 8 through 1
    assert centre_betweenness(g) == pytest.approx(8 / 12)
    # the pendant-folding computation equals networkx's on a whole organisation
    from reformabm import ReformModel

    org = ReformModel("teaching", rng=1, days=1).org
    top = min((-d["rank"], u) for u, d in org.nodes(data=True) if d["kind"] == "centre")[1]
    assert centre_betweenness(org) == pytest.approx(nx.betweenness_centrality(org)[top], rel=1e-9)


def test_centre_betweenness_without_centre_is_nan():
    assert math.isnan(centre_betweenness(_g([(0, {"kind": "county"})], [])))


def test_graphml_writer_writes_networkx_bytes(tmp_path):
    # the one-pass GraphML writer writes exactly what networkx's writer writes
    from reformabm import ReformModel

    odd = nx.DiGraph(id="x&y", a=1.5)
    odd.add_node("a<b", s='q"uo\nte & <x>', f=np.float64(2.5), b=True, i=3, agent=object())
    odd.add_node(2)
    odd.add_edge("a<b", 2)
    odd.add_edge(2, 3, w=1)
    reformed = ReformModel("teaching", rng=1, days=3, reforms=["remove_layer:layer=township@2"]).run().org
    for g in (reformed, odd, nx.DiGraph()):
        write_graphml(g, tmp_path / "ours.graphml")
        nx.write_graphml(exportable(g), tmp_path / "nx.graphml")
        assert (tmp_path / "ours.graphml").read_bytes() == (tmp_path / "nx.graphml").read_bytes()
    back = nx.read_graphml(tmp_path / "ours.graphml")
    assert back.number_of_nodes() == 0
