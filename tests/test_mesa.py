"""Mesa conventions: batch_run, agents for every unit and resident group, agent views."""

from __future__ import annotations

import math
import warnings
from collections import Counter

import mesa
import numpy as np
import pytest
from conftest import run_model

from reformabm import ReformModel
from reformabm.agents import AGENT_CLASS, Department, GridWorker, LinkageCenter, Resident, UnitAgent
from reformabm.issues import Stage
from reformabm.org.graph import NodeKind

RUN_METRICS = ["closure_rate", "on_time_rate", "days_to_close_mean", "coordination_dependence",
               "pushback_rate", "misdispatch_rate", "created_total", "closed_total", "open",
               "withdrawn_total", "staff_total", "n_layers", "span_of_control_max"]

#: summary.json metrics the contract says batch_run rows carry too
CONTRACT_RUN_METRICS = ["issues_created", "issues_closed", "issues_open", "issues_withdrawn",
                        "closure_rate", "on_time_rate", "days_to_close_mean", "days_to_close_p50",
                        "days_to_close_p90", "coordination_dependence", "pushback_rate",
                        "misdispatch_rate", "staff_total", "n_layers", "span_of_control_max",
                        "centre_betweenness"]


def _batch(**kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # `iterations` is deprecated in Mesa
        return mesa.batch_run(ReformModel, number_processes=1, display_progress=False, **kw)


@pytest.fixture(scope="module")
def batch_rows():
    return _batch(parameters={"scenario": "teaching"}, iterations=2, max_steps=30)


def test_batch_run_returns_rows_with_the_run_metrics(batch_rows):
    rows = batch_rows
    assert len(rows) == 2
    for row in rows:
        missing = [k for k in RUN_METRICS if k not in row]
        assert not missing, missing
        assert row["scenario"] == "teaching"
        assert row["Step"] == 30 or row["day"] == 30
        assert row["day"] == 30
        assert 0 < row["closure_rate"] <= 1
        dep = row["coordination_dependence"]
        assert 0 <= dep <= 1 or math.isnan(dep)
        assert row["created_total"] == row["closed_total"] + row["open"] + row["withdrawn_total"]
    # iterations without seeds draw different seeds
    a, b = rows
    assert (a["created_total"], a["closed_total"]) != (b["created_total"], b["closed_total"])


def test_batch_run_rows_carry_the_summary_metrics(batch_rows):
    missing = [k for k in CONTRACT_RUN_METRICS if k not in batch_rows[0]]
    assert not missing, missing


def test_batch_run_with_seeds_is_reproducible_and_sweeps_parameters():
    rows = _batch(parameters={"scenario": "teaching", "centre_authority": [0.0, 1.0]},
                  rng=[5, 5], max_steps=20)
    assert len(rows) == 4
    by = {}
    for r in rows:
        by.setdefault(r["centre_authority"], []).append(r)
    for a, (r1, r2) in by.items():
        assert {k: v for k, v in r1.items() if k not in ("RunId", "iteration")} == pytest.approx(
            {k: v for k, v in r2.items() if k not in ("RunId", "iteration")}, nan_ok=True), a
    # the parameter reached the model: with full authority the centre settles every dispute
    dep = by[1.0][0]["coordination_dependence"]
    assert dep == 0.0 or math.isnan(dep)
    assert by[0.0][0]["pushback_rate"] > by[1.0][0]["pushback_rate"]


def test_model_constructs_from_keywords_and_rng_only():
    m = ReformModel(scenario="teaching", rng=3)
    assert m.seed == 3 and m.days == 365 and m.running
    with pytest.raises(ValueError):
        ReformModel(scenario="teaching", rng="three")


def test_mesa_seed_keyword_seeds_like_rng():
    # Model(seed=...) is Mesa's older keyword: it must seed the run, not be dropped silently
    runs = [ReformModel("teaching", days=15, **kw).run().summary() for kw in
            ({"seed": 4}, {"seed": 4}, {"rng": 4})]
    assert runs[0]["seed"] == 4
    assert runs[0]["issues_created"] == runs[1]["issues_created"] == runs[2]["issues_created"]
    with pytest.raises(ValueError, match="give one of them"):
        ReformModel("teaching", seed=4, rng=5)


def test_an_agent_for_every_org_node(teaching_run):
    m = teaching_run
    units = [a for a in m.agents if isinstance(a, UnitAgent)]
    assert sorted(a.unit for a in units) == sorted(m.org.nodes)
    for u, d in m.org.nodes(data=True):
        a = d["agent"]
        assert a.unit == u and m.agent_of(u) is a
        assert type(a) is AGENT_CLASS[NodeKind(d["kind"])]
        assert a.name == d["name"] and a.label_zh == d["label_zh"]
    counts = Counter(d["kind"] for _, d in m.org.nodes(data=True))
    for kind, n in counts.items():
        cls = AGENT_CLASS[NodeKind(kind)]
        assert len(m.agents_by_type[cls]) == n, kind
    assert len(m.agents_by_type[GridWorker]) == 120
    assert len(m.agents_by_type[Department]) == 13
    assert len(m.agents_by_type[LinkageCenter]) == 1
    assert len({a.unique_id for a in m.agents}) == len(m.agents)


@pytest.mark.parametrize("ppa", [1, 37, 100, 5000])
def test_resident_agents_per_grid(ppa, tiny_path):
    m = ReformModel(tiny_path, rng=2, days=1, people_per_agent=ppa)
    residents = list(m.agents_by_type[Resident])
    by_grid = Counter(r.grid for r in residents)
    people = Counter()
    for r in residents:
        people[r.grid] += r.population
        assert 1 <= r.population <= ppa
    grids = [a for a in m.agents_by_type[GridWorker]]
    for g in grids:
        pop = g.population
        assert by_grid.get(g.unit, 0) == math.ceil(pop / ppa), (g.unit, pop)
        assert people.get(g.unit, 0) == pop
    assert sum(g.population for g in grids) == m.spec.residents.population
    assert len(residents) == sum(math.ceil(g.population / ppa) for g in grids)
    assert sorted(r.index for r in residents) == list(range(len(residents)))
    assert all(r.trust == m.spec.residents.initial_trust for r in residents)


def test_unit_agent_properties_agree_with_the_model_arrays(tiny_path):
    m = ReformModel(tiny_path, rng=6, days=30, overrides={"departments[police].staff": 0.2})
    m.run()
    f = m.issue_frame()
    known_open = f[(f["status"] == "open") & (f["stage"].astype(str) != Stage.LATENT.name.lower())]
    held = known_open.groupby("holder").size()
    units = [a for a in m.agents if isinstance(a, UnitAgent)]
    assert sum(a.open_issues for a in units) == len(known_open)
    for a in units:
        u = a.unit
        assert a.capacity == pytest.approx(float(m.capacity[u]))
        assert a.staff == pytest.approx(float(m.tables.staff[u]))
        assert a.work_today == pytest.approx(float(m.work_today[u]))
        if a.capacity > 0:
            assert a.utilisation == pytest.approx(a.work_today / a.capacity)
            assert 0.0 <= a.utilisation <= 1.0 + 1e-9
        else:
            assert a.utilisation == 0.0
        assert a.open_issues == int(held.get(u, 0))
        ids = a.held_issue_ids()
        assert (m.issues.holder[ids] == u).all()
        assert len(ids) >= a.open_issues  # plus latent issues of a grid
    # the overloaded police department holds a queue and works at capacity
    police = next(a for a in m.agents_by_type[Department] if "police" in a.name)
    assert police.open_issues > 0
    assert police.utilisation == pytest.approx(1.0, abs=0.05)
    assert police.domains == ["order"]
    centre = next(iter(m.agents_by_type[LinkageCenter]))
    assert centre.authority == m.spec.centre.authority


def test_datacollector_collects_one_row_per_day():
    m = run_model("teaching", days=7, seed=1)
    df = m.datacollector.get_model_vars_dataframe()
    assert len(df) == 7
    assert not m.running
    m.step()  # stepping past the end still works (one more day)
    assert len(m.timeseries()) == 8 and m.timeseries()["day"].iloc[-1] == 8
    assert np.isfinite(m.timeseries()["created_total"]).all()


# ---- Mesa 3.5's scenario keyword (issue 16) ----------------------------------------------------


def test_model_scenario_is_mesas_scenario_of_the_run():
    from mesa.experimental.scenarios import Scenario as MesaScenario

    from reformabm.model import ReformScenario

    m = ReformModel("teaching", rng=4, days=3, centre_authority=0.7)
    assert isinstance(m.scenario, MesaScenario) and m.scenario.model is m
    assert (m.scenario.case, m.scenario.rng, m.scenario.centre_authority) == ("teaching", 4, 0.7)
    m2 = ReformModel(scenario=ReformScenario(rng=4, case="teaching", days=3, centre_authority=0.7))
    assert m2.scenario.case == "teaching" and m2.spec.centre.authority == 0.7 and m2.days == 3
    m.run(), m2.run()
    assert m.summary()["issues_created"] == m2.summary()["issues_created"]  # the same run either way
    from reformabm.errors import ReformabmError

    with pytest.raises(ReformabmError, match="give one seed"):
        ReformModel(scenario=ReformScenario(rng=1, case="teaching"), rng=2)


def test_solaraviz_reset_rebuilds_the_model_from_its_mesa_scenario():
    from mesa.visualization.solara_viz import _build_model_init_kwargs

    m = ReformModel("teaching", rng=1, days=5)
    kwargs = _build_model_init_kwargs(m, {"case": "shiquan", "rng": 3, "days": 4},
                                      add_scenario_when_empty=True, require_model_accepts_scenario=True)
    rebuilt = ReformModel(**kwargs)
    assert (rebuilt.scenario_name, rebuilt.seed, rebuilt.days) == ("shiquan", 3, 4)
