"""Accountability, incentives and the involution trap (issue 4): each mechanism's effect."""

import numpy as np
import pytest

from reformabm import ReformModel
from reformabm.issues import Channel

SEEDS = [1, 2, 3, 4]


# The supervision chain needs late issues: the working teaching county has few (on-time ~0.95), so
# the tests of what supervision does use the overloaded county (issue 17).
OVERLOADED = "teaching_overloaded"


def run(seed, days=150, scenario="teaching", **params):
    return ReformModel(scenario, rng=seed, days=days, **params).run()


def mean_summary(key, seeds=SEEDS, **params):
    return float(np.mean([run(s, **params).summary()[key] for s in seeds]))


def test_supervision_raises_on_time_closure():
    off = mean_summary("on_time_rate", scenario=OVERLOADED, accountability_supervision=False)
    on = mean_summary("on_time_rate", scenario=OVERLOADED, accountability_supervision=True)
    assert on > off + 0.01


def test_supervision_records_cases_and_blame_only_when_on():
    m_off = run(1, scenario=OVERLOADED, accountability_supervision=False)
    m_on = run(1, scenario=OVERLOADED, accountability_supervision=True)
    s_off, s_on = m_off.summary(), m_on.summary()
    assert s_off["supervision_cases"] == 0 and s_off["blame_level_1"] is None
    assert s_on["supervision_cases"] > 0 and s_on["discipline_cases"] > 0
    assert abs(sum(s_on[f"blame_level_{k}"] for k in range(1, 6)) - 1.0) < 1e-9
    frame = m_on.issue_frame()
    assert frame["blamed_level"].notna().sum() == s_on["discipline_cases"]


def test_high_pressure_under_supervision_gives_more_formal_closures():
    # 000, 003: formalism grows with pressure (same supervision, so the same queues)
    low = mean_summary("formal_closure_share", accountability_supervision=True,
                       accountability_assessment_pressure=0.0)
    high = mean_summary("formal_closure_share", accountability_supervision=True,
                        accountability_assessment_pressure=0.6)
    assert high > 2 * low
    assert high > 0.02


def test_lowest_unit_blame_falls_on_the_bottom():
    shares_lowest, shares_last, holding = [], [], []
    for s in SEEDS:
        a = run(s, scenario=OVERLOADED, accountability_supervision=True, accountability_blame_rule="lowest").summary()
        b = run(s, scenario=OVERLOADED, accountability_supervision=True,
                accountability_blame_rule="last_holder").summary()
        shares_lowest.append(a["blame_level_1"] + a["blame_level_2"])
        shares_last.append(b["blame_level_1"] + b["blame_level_2"])
        holding.append(a["holding_share_level_1"] + a["holding_share_level_2"])
    # bottom (grids and villages) carries more blame than its share of holding time ...
    assert np.mean(shares_lowest) > np.mean(holding) + 0.1
    # ... and more than when the last holder is blamed
    assert np.mean(shares_lowest) > np.mean(shares_last)


def test_formal_closures_come_back_as_linked_issues_and_conservation_holds():
    m = run(3, days=200, accountability_supervision=True, accountability_assessment_pressure=0.6)
    f = m.issue_frame()
    back = f[f["reopened_from"].notna()]
    assert len(back) > 0
    origins = f.set_index("issue_id").loc[back["reopened_from"].astype(int)]
    # the origin stays closed, came back later, and was a closure that did not hold
    assert (origins["status"] == "closed").all()
    assert (back["created_day"].to_numpy() > origins["end_day"].to_numpy()).all()
    assert (back["channel"] == "reopened").all()
    ts = m.timeseries()
    assert (ts.created_total == ts.closed_total + ts.open + ts.withdrawn_total).all()


def test_problems_coming_back_cost_trust():
    low = mean_summary("trust", residents_trust_loss_reopen=0.0, accountability_assessment_pressure=0.6)
    high = mean_summary("trust", residents_trust_loss_reopen=0.5, accountability_assessment_pressure=0.6)
    assert high < low


def test_lower_trust_means_fewer_hotline_reports():
    hi = mean_summary("reported_by_residents", residents_initial_trust=0.9)
    lo = mean_summary("reported_by_residents", residents_initial_trust=0.3)
    assert lo < 0.7 * hi


def test_pushdown_reduces_patrol_discovery_and_is_reported_as_time_lost():
    m0 = [run(s, workload_pushdown_share=0.0) for s in SEEDS]
    m1 = [run(s, workload_pushdown_share=0.8) for s in SEEDS]
    d0 = np.mean([m.summary()["discovered_by_patrol"] for m in m0])
    d1 = np.mean([m.summary()["discovered_by_patrol"] for m in m1])
    assert d1 < 0.9 * d0
    assert m1[0].summary()["grid_time_lost_share"] == pytest.approx(0.8)
    assert m0[0].summary()["grid_time_lost_share"] == pytest.approx(0.0)


def test_campaign_lowers_department_work_on_issues_and_recovers():
    params = dict(workload_campaign_days=[61], workload_campaign_duration_days=30,
                  workload_campaign_diversion=0.7, workload_pushdown_share=0.0)
    before, during, after = [], [], []
    for s in SEEDS:
        ts = run(s, days=150, **params).timeseries()
        closed = ts["closed_by_departments"].to_numpy()
        before.append(closed[30:60].mean())
        during.append(closed[65:90].mean())
        after.append(closed[110:140].mean())
        assert ts["campaign_active"].to_numpy()[60:90].all() and not ts["campaign_active"].to_numpy()[95:].any()
    assert np.mean(during) < 0.9 * np.mean(before)
    assert np.mean(after) > np.mean(during)


def test_campaign_work_is_tracked():
    s = run(1, workload_campaign_days=[10]).summary()
    assert s["campaigns"] == 1 and s["campaign_staff_days"] > 0


def test_adaptive_rule_growth_is_an_involution_trap():
    grow = [run(s, days=300, workload_rule_growth=True) for s in SEEDS[:3]]
    flat = [run(s, days=300, workload_rule_growth=False) for s in SEEDS[:3]]
    for m in grow:
        ts = m.timeseries()
        assert ts["rule_overhead_share"].iloc[-1] > ts["rule_overhead_share"].iloc[0]
    for m in flat:
        ts = m.timeseries()
        assert ts["rules"].nunique() == 1
    ii_grow = np.mean([m.summary()["involution_index"] for m in grow])
    ii_flat = np.mean([m.summary()["involution_index"] for m in flat])
    assert ii_grow > ii_flat + 0.2
    assert abs(ii_flat) < 0.15
    # more effort, yet closure does not improve
    cl_grow = np.mean([m.summary()["closure_rate"] for m in grow])
    cl_flat = np.mean([m.summary()["closure_rate"] for m in flat])
    assert cl_grow <= cl_flat + 0.005


def test_collaboration_weighted_assessment_lowers_pushback():
    base = mean_summary("pushback_rate", process_collaboration_weight=0.0)
    collab = mean_summary("pushback_rate", process_collaboration_weight=0.8)
    assert collab < 0.5 * base


def test_pressure_raises_effort_and_strain():
    calm = run(1, accountability_assessment_pressure=0.0, workload_rules_initial=0)
    pressed = run(1, accountability_assessment_pressure=0.8)
    assert pressed.timeseries()["strain_mean"].iloc[-1] > calm.timeseries()["strain_mean"].iloc[-1]
    assert pressed.workload.gross.sum() > calm.workload.gross.sum()


def test_satisfaction_falls_when_service_is_slow():
    fast = mean_summary("satisfaction")
    slow = mean_summary("satisfaction", process_hop_delay_days=3)
    assert slow < fast


def test_ledger_takes_complaints_and_claims():
    m = run(2, days=150, reforms=["secretary_ledger:share=0.5@1"],
            accountability_assessment_pressure=0.5, process_hop_delay_days=2)
    f = m.issue_frame()
    ledger = f[f["channel"] == Channel.LEDGER.name.lower()]
    assert len(ledger) > 0
    # every ledger case the leader has reviewed is marked, and every closed one was reviewed
    closed = ledger[ledger["status"] == "closed"]
    assert len(closed) > 0 and closed["needed_leader"].all()
    assert m.metrics.ledger_entries == len(ledger)
    # unsatisfied reporters' complaints enter the ledger, linked to the issue they are about
    complaints = f[f["complaint_of"].notna()]
    assert m.metrics.complaints == len(complaints) > 0
    assert (complaints["channel"] == Channel.LEDGER.name.lower()).all()


def test_reporters_call_again_about_overdue_open_issues():
    """催办: a reporter whose issue is open well past its deadline calls once; it presses the holder."""
    m = run(1, scenario=OVERLOADED, days=90, residents_complaint_threshold=0.9)
    f = m.issue_frame()
    called = f[f["called_again"]]
    assert m.summary()["overdue_calls"] == len(called) > 50
    # only reporters of real issues (not complaints, not ledger cases) call
    assert called["complaint_of"].isna().all()
    assert (called["channel"] != Channel.LEDGER.name.lower()).all()
    # every call came at least two days past the deadline: still open then, or closed later
    late_enough = called["end_day"].isna() | (called["end_day"] >= called["deadline_day"] + 2)
    assert late_enough.all()
    # a caller does not complain again when its issue closes
    complained_about = set(f["complaint_of"].dropna().astype(int))
    assert not complained_about & set(called["issue_id"])
    # the calls press units: with the same seed and no calls, pressure is lower
    quiet = run(1, scenario=OVERLOADED, days=90, residents_complaint_threshold=0.0)
    assert quiet.summary()["overdue_calls"] == 0
    assert m.summary()["pressure_mean"] > quiet.summary()["pressure_mean"]


def test_overdue_calls_are_off_below_the_lowest_score():
    """The lateness score never falls below 0.2, so a threshold of 0.2 or less makes no calls."""
    m = run(1, scenario=OVERLOADED, days=60, residents_complaint_threshold=0.2)
    assert m.summary()["overdue_calls"] == 0 and m.summary()["complaints"] == 0
