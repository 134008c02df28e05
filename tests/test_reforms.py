"""Reforms (issue 5): API, pre-run validation, invariants across reform days, effects."""

import json

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reformabm import ReformModel
from reformabm.cli import main
from reformabm.errors import ReformError
from reformabm.issues import EventKind, Stage
from reformabm.org.graph import TERRITORIAL, EdgeKind, NodeKind, command_parent, dispatching_centre
from reformabm.org.tables import KIND_CODES
from reformabm.reforms import REGISTRY, RemoveLayer, make_reform, parse_reform

SEEDS = [1, 2, 3, 4]
DAYS = 150
DAY = 40


def paired(metric, reforms, seeds=SEEDS, days=DAYS, window=None, scenario="teaching", **params):
    """Mean paired difference (reform - baseline) of a summary metric, or of a daily column
    averaged over ``window`` days."""
    diffs = []
    for s in seeds:
        arms = []
        for sched in ([], reforms):
            m = ReformModel(scenario, rng=s, days=days, reforms=sched, **params).run()
            if window is None:
                arms.append(m.summary()[metric])
            else:
                arms.append(float(m.timeseries()[metric].iloc[window[0]:window[1]].mean()))
        diffs.append(arms[1] - arms[0])
    return float(np.mean(diffs))


# ---- API -----------------------------------------------------------------------------------

def test_registry_has_every_reform_of_the_design():
    for name in ["remove_layer", "middle_layer", "middle_layer_rule", "merge_departments", "empower_centre",
                 "platform", "supervision", "town_village_integration", "three_line_contacts",
                 "secretary_ledger", "collaboration_assessment", "campaigns", "rule_growth"]:
        assert name in REGISTRY


def test_parse_reform_and_describe_round_trip():
    day, r = parse_reform("merge_departments:into=big,members=housing+transport@30")
    assert day == 30 and r.members == ["housing", "transport"]
    day2, r2 = parse_reform(r.describe() + "@30")
    assert r2 == r and day2 == day
    day, r = parse_reform('merge_departments:into="x",members=["housing","water"]@5')
    assert r.members == ["housing", "water"]


@pytest.mark.parametrize("text, fragment", [
    ("no_such_reform@10", "unknown"),
    ("remove_layer:floor=township@10", "unknown parameter"),
    ("remove_layer:layer=township", "give the day"),
    ("remove_layer:layer=township@ten", "integer"),
    ("remove_layer:reassign_share=2@10", "reassign_share"),
    ("merge_departments:members=housing@10", "at least two"),
    ("empower_centre:authority=3@10", "authority"),
])
def test_bad_reform_specs_are_clear_errors(text, fragment):
    with pytest.raises(ReformError, match=fragment):
        parse_reform(text)


@pytest.mark.parametrize("reforms, fragment", [
    (["remove_layer:layer=area@10"], "not in the organisation"),
    (["remove_layer:layer=township@10", "remove_layer:layer=township@20"], "not in the organisation"),
    (["remove_layer:layer=county@10"], "top level"),
    (["remove_layer:layer=grid@10"], "grid"),
    (["merge_departments:into=x,members=housing+nonexistent@10"], "nonexistent"),
    (["empower_centre@400"], "outside the run"),
    (["town_village_integration@50", "remove_layer@20", "town_village_integration@60"], "no township"),
])
def test_impossible_schedules_fail_before_the_run(reforms, fragment):
    with pytest.raises(ReformError, match=fragment):
        ReformModel("teaching", rng=1, days=365, reforms=reforms)


def test_cli_bad_reform_exits_2(capsys):
    assert main(["run", "teaching", "--days", "5", "--reform", "remove_layer:layer=area@2"]) == 2
    err = capsys.readouterr().err
    assert "not in the organisation" in err and "Traceback" not in err


def test_scenario_reform_tables(tmp_path):
    from reformabm.scenario import MODELS_DIR

    text = (MODELS_DIR / "teaching.toml").read_text(encoding="utf-8")
    text += '\n[[reforms]]\nname = "remove_layer"\nday = 10\nlayer = "township"\n'
    p = tmp_path / "with_reform.toml"
    p.write_text(text, encoding="utf-8")
    m = ReformModel(str(p), rng=1, days=20).run()
    assert [r["name"] for r in m.reforms_applied] == ["remove_layer"]
    bad = tmp_path / "bad_reform.toml"
    bad.write_text(text.replace('day = 10', 'day = "soon"'), encoding="utf-8")
    with pytest.raises(ReformError, match="day"):
        ReformModel(str(bad), rng=1, days=20)


def test_reform_is_recorded_in_outputs(tmp_path):
    out = tmp_path / "run"
    assert main(["run", "teaching", "--days", "30", "--quiet", "--out", str(out),
                 "--reform", "remove_layer:layer=township@12", "--reform", "empower_centre:authority=0.9@20"]) == 0
    s = json.loads((out / "summary.json").read_text())
    assert s["reforms_applied"] == ["remove_layer@12", "empower_centre@20"]
    import pandas as pd

    ts = pd.read_parquet(out / "timeseries.parquet")
    assert ts.loc[ts["day"] == 12, "reform"].item() == "remove_layer"
    assert ts.loc[ts["day"] == 20, "reform"].item() == "empower_centre"
    assert (ts.loc[~ts["day"].isin([12, 20]), "reform"] == "").all()
    g = nx.read_graphml(out / "org_graph.graphml")
    assert "remove_layer" in g.graph["reforms"] and "empower_centre" in g.graph["reforms"]
    assert not any(d["kind"] == "township" for _, d in g.nodes(data=True))


def test_graph_transforms_are_pure():
    m = ReformModel("teaching", rng=1, days=10)
    before = nx.to_dict_of_dicts(m.org)
    nodes_before = dict(m.org.nodes(data="staff"))
    RemoveLayer().transform_graph(m.org, m.spec)
    make_reform("merge_departments", {"into": "x", "members": ["housing", "water"]}).transform_graph(m.org, m.spec)
    assert nx.to_dict_of_dicts(m.org) == before
    assert dict(m.org.nodes(data="staff")) == nodes_before


# ---- invariants ------------------------------------------------------------------------------

def assert_structure_ok(m: ReformModel):
    g, t = m.org, m.tables
    top = [u for u, d in g.nodes(data=True) if d["kind"] in TERRITORIAL and command_parent(g, u) is None]
    assert len(top) == 1, "exactly one top unit"
    for u, d in g.nodes(data=True):
        if d["kind"] in TERRITORIAL and u != top[0]:
            assert command_parent(g, u) is not None, f"orphan unit {u} {d['name']}"
        if d["kind"] == NodeKind.DEPARTMENT:
            assert dispatching_centre(g, u) is not None, f"department {u} without a centre"
        assert "agent" in d and d["agent"].unit == u
    grids = np.flatnonzero(t.kind == KIND_CODES[NodeKind.GRID])
    for level in range(1, 6):
        solver = t.solver[grids, level]
        assert (solver >= 0).all() and t.active[solver].all(), f"level {level} unreachable"
        assert not t.quasi[solver].any()
    s = m.issues
    held = s.holder[s.open_ids]
    assert t.active[held].all(), "an open issue is held by a unit that no longer exists"
    for _u, _v, k in g.edges(data="kind"):
        assert k in {e.value for e in EdgeKind}


REFORM_CHOICES = [
    "remove_layer:layer=township", "middle_layer:under=county,count=3",
    "merge_departments:into=resources,members=natural_resources+housing+urban_management",
    "merge_departments:into=social,members=civil_affairs+human_resources+health",
    "empower_centre:authority=0.9", "platform", "supervision", "town_village_integration",
    "three_line_contacts", "secretary_ledger", "collaboration_assessment", "campaigns:interval_days=20",
    "rule_growth:review_days=10", "middle_layer_rule:max_span=10,overload=0.3,window_days=5",
]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(REFORM_CHOICES), st.integers(1, 40)), min_size=1, max_size=4),
       st.integers(0, 10_000))
def test_random_schedules_keep_the_invariants(schedule, seed):
    texts = [f"{r}@{d}" for r, d in schedule]
    try:
        m = ReformModel("teaching", rng=seed, days=45, reforms=texts)
    except ReformError:
        return  # an impossible combination (e.g. a layer removed twice) is refused before the run
    for _ in range(45):
        m.step()
        ts_row = m.metrics.today
        assert ts_row["created_total"] == ts_row["closed_total"] + ts_row["open"] + ts_row["withdrawn_total"]
    assert_structure_ok(m)


def test_pending_issues_of_removed_units_are_handed_over():
    m = ReformModel("teaching", rng=5, days=60, reforms=["remove_layer@30"],
                    **{"levels[township].staff": 0.3})
    for _ in range(29):
        m.step()
    s = m.issues
    townships = [u for u, k in m.org.nodes(data="kind") if k == NodeKind.TOWNSHIP]
    held = s.open_ids[np.isin(s.holder[s.open_ids], townships) & (s.stage[s.open_ids] != Stage.CONFIRM)]
    assert len(held) > 0
    m.step()
    assert m.metrics.handed_over == len(held)
    ev = m.events.frame()
    handed = ev[(ev["event"] == EventKind.HANDED_OVER.name.lower()) & (ev["day"] == 30)]
    assert set(handed["issue_id"]) == set(held.tolist())
    county = [u for u, k in m.org.nodes(data="kind") if k == NodeKind.COUNTY][0]
    centre = m.tables.centre[county]
    assert set(s.holder[held]) <= {county, centre}
    m.run()
    assert_structure_ok(m)


# ---- effects ---------------------------------------------------------------------------------

def test_remove_township_raises_span_load_and_time_to_close():
    reform = [f"remove_layer:layer=township@{DAY}"]
    # +0.9 days (was +1.04 before reporters called again about overdue issues, 催办: the calls
    # press the overloaded departments, which work part of the delay off)
    assert paired("days_to_close_mean", reform) > 0.6
    assert paired("utilisation_department", reform, window=(DAY + 10, DAYS)) > 0.0
    m = ReformModel("teaching", rng=1, days=DAY, reforms=reform).run()
    s = m.summary()
    assert s["n_layers"] == 3 and s["span_of_control_max"] == 40
    before = ReformModel("teaching", rng=1, days=1).structure_metrics()["staff_total"]
    assert s["staff_total"] < before  # part of the township staff is cut


def test_empower_centre_lowers_coordination_dependence_and_pushback():
    reform = ["empower_centre:authority=0.95@1"]
    assert paired("coordination_dependence", reform) < -0.03
    assert paired("pushback_rate", reform) < -0.01


def test_merger_ends_pushback_between_merged_departments():
    members = ["natural_resources", "housing", "urban_management"]
    reform = [f"merge_departments:into=resources,members={'+'.join(members)}@1"]
    within = []
    for s in SEEDS:
        arms = []
        for sched in ([], reform):
            m = ReformModel("teaching", rng=s, days=DAYS, reforms=sched).run()
            f = m.issue_frame()
            cat = f[f["category"] == "illegal_construction"]  # spans exactly these domains
            arms.append(cat["pushbacks"].mean())
        within.append(arms)
    base, merged = np.mean(within, axis=0)
    assert base > 0.01 and merged == 0.0


def test_merger_adds_counterpart_reporting_load():
    m = ReformModel("teaching", rng=1, days=5,
                    reforms=["merge_departments:into=social,members=civil_affairs+human_resources+health@1"]).run()
    t = m.tables
    merged = [u for u, d in m.org.nodes(data=True) if d.get("dept") == "social"]
    assert len(merged) == 1 and t.counterparts[merged[0]] == 3
    share = m.workload.overhead_days[merged[0]] / m.workload.gross[merged[0]]
    assert share == pytest.approx(m.workload.overhead_share + 2 * m.spec.workload.counterpart_overhead)


def test_platform_lowers_misdispatch_delay_and_hops():
    reform = ["platform@1"]
    assert paired("misdispatch_rate", reform) < -0.02
    assert paired("days_to_close_mean", reform) < -0.5
    assert paired("hops_mean", reform) < 0


def test_supervision_reform_switches_lights_on():
    # supervision needs late issues: the working teaching county has few (issue 17)
    assert paired("on_time_rate", ["supervision@1"], scenario="teaching_overloaded") > 0.01
    m = ReformModel("teaching", rng=1, days=60, reforms=["supervision@30"]).run()
    ts = m.timeseries()
    assert ts["supervision_cases"].iloc[28] == 0 and ts["supervision_cases"].iloc[-1] > 0


def test_town_village_integration_stations_cadres_with_their_share():
    reform = ["town_village_integration:share=0.5@1"]
    m = ReformModel("teaching", rng=1, days=3, reforms=reform).run()
    t = m.tables
    vil = t.kind == KIND_CODES[NodeKind.VILLAGE]
    town = t.kind == KIND_CODES[NodeKind.TOWNSHIP]
    # the cadres stay township staff (staff totals unchanged) but are stationed in the villages
    assert t.staff[vil].sum() == pytest.approx(40 * 0.4)
    assert t.staff[town].sum() == pytest.approx(5 * 2.0)
    assert t.cadre_share[vil] == pytest.approx(np.full(int(vil.sum()), 0.5))
    stationed = sum(d.get("stationed_cadres", 0.0) for _, d in m.org.nodes(data=True))
    assert stationed == pytest.approx(5 * 2.0 * 0.5)
    # competence moves down in proportion: about half the township-level issues arising in villages
    # are solved there, the rest still by the township (not all-or-nothing)
    m60 = ReformModel("teaching", rng=1, days=60, reforms=reform).run()
    f = m60.issue_frame()
    lvl3 = f[(f["required_level"] == 3) & (f["status"] == "closed") & (f["channel"] == "patrol")]
    assert len(lvl3) > 50
    at_village = (t.kind[lvl3["solver"].to_numpy()] == KIND_CODES[NodeKind.VILLAGE]).mean()
    assert 0.35 < at_village < 0.65
    # and the township's pooled staff-days do that work: its utilisation rises, the villages' does not
    assert paired("utilisation_township", reform) > 0.02


def test_three_line_contacts_find_problems_earlier():
    reform = ["three_line_contacts:contact_discovery=0.3,self_resolution=0.1@1"]
    assert paired("issues_withdrawn", reform) < 0
    m = ReformModel("teaching", rng=1, days=60, reforms=reform).run()
    assert m.metrics.contact_found > 0 and m.metrics.self_resolved > 0


def test_middle_layer_adds_a_hop_and_rule_fires_when_overloaded():
    assert paired("hops_mean", [f"remove_layer@{DAY}", f"middle_layer:under=county,count=5@{DAY + 1}"],
                  seeds=SEEDS[:2]) > paired("hops_mean", [f"remove_layer@{DAY}"], seeds=SEEDS[:2])
    m = ReformModel("teaching", rng=1, days=120, reforms=[
        "remove_layer@20", "middle_layer_rule:max_span=20,overload=0.3,window_days=10@21"]).run()
    names = [r["name"] for r in m.reforms_applied]
    assert "middle_layer_emerged" in names
    areas = [u for u, d in m.org.nodes(data=True) if d["kind"] == NodeKind.AREA]
    assert len(areas) >= 2 and all(m.org.nodes[a]["quasi"] for a in areas)
    never = ReformModel("teaching", rng=1, days=120, reforms=[
        "middle_layer_rule:max_span=20,overload=0.3,window_days=10@21"]).run()
    assert "middle_layer_emerged" not in [r["name"] for r in never.reforms_applied]


def test_governance_units_replace_areas():
    m = ReformModel("teaching", rng=1, days=30, reforms=[
        "remove_layer@5", "middle_layer:under=county,count=9@10",
        "middle_layer:under=county,count=26,label=governance_unit@20"]).run()
    areas = [d for _, d in m.org.nodes(data=True) if d["kind"] == NodeKind.AREA]
    assert len(areas) == 26 and all(d["created_by"] == "governance_unit" for d in areas)


def test_collaboration_and_campaign_and_rule_reforms():
    assert paired("pushback_rate", ["collaboration_assessment:weight=0.9@1"]) < -0.01
    m = ReformModel("teaching", rng=1, days=100, reforms=["campaigns:interval_days=30,duration_days=10@1"]).run()
    assert m.summary()["campaigns"] == 3
    g = ReformModel("teaching", rng=1, days=200, reforms=["rule_growth:review_days=20@1"]).run()
    assert g.summary()["rules_added"] > 0
