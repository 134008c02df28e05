"""Never-settled ledger claims (超出政策或县级权限的诉求; 003-07: 215 of 8,812 cases not closed)."""

from pathlib import Path

import numpy as np
import pytest

from reformabm import ReformModel
from reformabm.calibration import METRICS, RunContext
from reformabm.errors import ScenarioError
from reformabm.issues import NEVER, Channel, Stage
from reformabm.scenario import MODELS_DIR, load_scenario

CTX = RunContext(0.0, None)
LEDGER = dict(reforms=["secretary_ledger:share=0.5@1"], leaders_attention_per_day=10)


def run(share: float, seed: int = 1, days: int = 200, **kw) -> ReformModel:
    return ReformModel("teaching", rng=seed, days=days, leaders_ledger_unsettled_share=share,
                       **{**LEDGER, **kw}).run()


@pytest.fixture(scope="module")
def pair() -> tuple[ReformModel, ReformModel]:
    return run(0.0), run(0.2)


def test_closure_share_falls_by_the_unsettled_share(pair):
    settled, unsettled = pair
    base = METRICS["ledger_closure_share"](settled, CTX)
    low = METRICS["ledger_closure_share"](unsettled, CTX)
    marked = METRICS["ledger_unsettled_share"](unsettled, CTX)
    assert METRICS["ledger_unsettled_share"](settled, CTX) == 0 and len(settled.unsettleable) == 0
    assert abs(marked - 0.2) < 0.08  # binomial over ~270 ledger cases
    # closed share falls by about the marked share (the rest of the ledger closes as before)
    assert base - low == pytest.approx(marked, abs=0.05)
    assert low < base - 0.1


def test_unsettled_claims_stay_open_and_nothing_is_lost(pair):
    _, m = pair
    s = m.issues
    n = len(s)
    summ = m.summary()
    assert summ["issues_created"] == summ["issues_closed"] + summ["issues_open"] + summ["issues_withdrawn"] == n
    ids = m.unsettleable
    assert len(ids) > 0 and (ids == np.flatnonzero(s.unsettleable[:n])).all()
    assert (s.channel[ids] == Channel.LEDGER).all()
    assert np.isin(ids, s.open_ids).all()  # every one still open ...
    assert ((s.stage[ids] != Stage.CLOSED) & (s.stage[ids] != Stage.WITHDRAWN)).all()
    ev = m.events.frame()
    mine = ev[ev["issue_id"].isin(ids)]
    assert not (mine["event"] == "closed").any() and not (mine["event"] == "solved").any()
    answered = np.unique(mine.loc[mine["event"] == "answered", "issue_id"].to_numpy())
    assert len(answered) == m.metrics.unsettled_answered > 0.8 * len(ids)
    # ... answered ones parked with the unit that answered: nobody works on them again
    assert (s.ready_day[answered] == NEVER).all() and (s.solver[answered] == s.holder[answered]).all()
    assert np.isin(s.stage[answered], [Stage.AT_UNIT, Stage.AT_DEPT]).all()
    # the issues output shows them, open
    f = m.issue_frame()
    assert f["unsettleable"].sum() == len(ids)
    assert (f.loc[f["unsettleable"], "status"] == "open").all()


def test_open_unsettled_claims_count_as_late(pair):
    _, m = pair
    s = m.issues
    ids = np.unique(m.unsettleable)
    past = ids[s.deadline0[ids] <= m.day]
    assert len(past) > 0
    known_open = s.open_ids[s.stage[s.open_ids] != Stage.LATENT]
    late_open = known_open[s.deadline0[known_open] <= m.day]
    assert np.isin(past, late_open).all()
    assert m.metrics.open_late_level.sum() == len(late_open)
    summ = m.summary()
    assert summ["on_time_rate"] == pytest.approx(m.metrics.on_time / (m.metrics.closed + len(late_open)))


def test_reform_hands_unsettled_claims_over_without_loss():
    m = run(0.3, days=120, reforms=["secretary_ledger:share=0.5@1", "remove_layer:layer=township@60"])
    s = m.issues
    ids = np.unique(m.unsettleable)
    summ = m.summary()
    assert summ["issues_created"] == summ["issues_closed"] + summ["issues_open"] + summ["issues_withdrawn"]
    assert np.isin(ids, s.open_ids).all()
    ev = m.events.frame()
    handed = ev[(ev["event"] == "handed_over") & ev["issue_id"].isin(ids)]["issue_id"].unique()
    assert len(handed) > 0  # some were with an abolished township ...
    assert set(handed) <= set(ev[(ev["event"] == "answered")]["issue_id"])
    # ... their successors answered them again, and none was closed
    assert not ev[(ev["event"] == "closed") & ev["issue_id"].isin(ids)].shape[0]
    assert m.metrics.unsettled_answered == len(np.unique(ev[ev["event"] == "answered"]["issue_id"]))


@pytest.mark.parametrize("bad", [1.5, -0.1, "x"])
def test_bad_share_rejected_with_the_field_named(bad):
    with pytest.raises(ScenarioError, match=r"leaders\.ledger_unsettled_share"):
        ReformModel("teaching", rng=1, days=5, leaders_ledger_unsettled_share=bad)


def test_bad_share_in_a_scenario_file(tmp_path: Path):
    text = (MODELS_DIR / "teaching.toml").read_text(encoding="utf-8")
    assert "[leaders]" in text
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("[leaders]", "[leaders]\nledger_unsettled_share = 2.0", 1), encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"leaders\.ledger_unsettled_share.*less than or equal to 1"):
        load_scenario(bad)
