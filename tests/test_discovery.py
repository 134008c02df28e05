"""Scenario discovery (EMA workbench's PRIM and CART) on a synthetic sweep whose failing region
is known: the "reform" fails where the centre's authority is below 0.3 and the township layer
is removed, whatever the residents' trust. The boxes must find exactly that.

The runs are a stand-in function (no model), so the sweep of 300 points takes a second.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_sweeps import FLAT, tiny

from reformabm.cli import main
from reformabm.experiments import SweepError, SweepOptions, parse_sweep, sweep

pytest.importorskip("ema_workbench")

from reformabm.experiments import to_ema  # noqa: E402
from reformabm.experiments.discovery import discover, plot_boxes, plot_tradeoff  # noqa: E402


def failing_region_run(scenario, days, run, every=0, columns=None):
    """on_time_rate 0.4 (a failure) inside the region, 0.8 outside, a little noise."""
    a = run.overrides["centre.authority"]
    flat = bool(run.reforms)
    noise = np.random.default_rng(run.seed).normal(0, 0.02)
    fails = a < 0.3 and flat
    return {"on_time_rate": (0.4 if fails else 0.8) + noise, "staff_total": 10.0 - 2 * flat}, None


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    data = tiny(design={"kind": "lhs", "size": 300}, sweep={"replications": 1},
                levers={"centre.authority": {"range": [0.0, 1.0]},
                        "residents.initial_trust": {"range": [0.0, 1.0]},
                        "reforms": {"options": {"none": [], "flat": [FLAT]}}})
    data["outputs"] = {"timeseries": False}
    out = tmp_path_factory.mktemp("disc") / "out"
    sweep(parse_sweep(data), out, options=SweepOptions(run_fn=failing_region_run, chunk_size=300))
    return out


def truth(store):
    ex, outcomes = to_ema(store)
    return ex, outcomes, (ex["centre.authority"] < 0.3) & (ex["reforms"] == "flat")


def test_to_ema_gives_experiments_and_outcomes(store):
    ex, outcomes, _ = truth(store)
    assert len(ex) == 300
    assert list(ex.columns[:3]) == ["centre.authority", "residents.initial_trust", "reforms"]
    assert {"scenario", "policy", "model"} <= set(ex.columns)
    assert str(ex["reforms"].dtype) == "category" and set(ex["reforms"]) == {"none", "flat"}
    assert (ex["policy"] == ex["reforms"].astype(str)).all()
    assert set(outcomes) >= {"on_time_rate", "staff_total"}
    assert all(len(v) == 300 for v in outcomes.values())


def test_prim_finds_the_known_failing_region(store, tmp_path, capsys):
    ex, outcomes, region = truth(store)
    res = discover(store, "on_time_rate", below=0.6)
    assert res.n_cases == int(region.sum()) > 20
    box = res.boxes[0]
    assert set(box["limits"]) == {"centre.authority", "reforms"}  # trust is not restricted
    assert box["limits"]["reforms"] == ["flat"]
    lo, hi = box["limits"]["centre.authority"]
    assert lo < 0.05 and 0.22 < hi <= 0.32
    assert box["coverage"] >= 0.8 and box["density"] >= 0.95
    assert box["n"] == box["cases"] / box["density"] or box["density"] == 1.0
    # the command: boxes.json as specified, and the two plots
    assert main(["discover", str(store), "--metric", "on_time_rate", "--below", "0.6",
                 "--out", str(tmp_path / "d")]) == 0
    text = capsys.readouterr().out
    assert "box 1" in text and "reforms: flat" in text
    boxes = json.loads((tmp_path / "d" / "boxes.json").read_text())
    assert isinstance(boxes, list) and boxes[0]["limits"]["reforms"] == ["flat"]
    assert {"limits", "coverage", "density", "n"} <= set(boxes[0])
    assert (tmp_path / "d" / "tradeoff.png").stat().st_size > 0
    assert (tmp_path / "d" / "boxes.png").stat().st_size > 0


def test_cart_finds_the_same_region(store):
    res = discover(store, "on_time_rate", below=0.6, method="cart")
    box = res.boxes[0]
    assert box["limits"]["reforms"] == ["flat"] and "residents.initial_trust" not in box["limits"]
    assert 0.22 < box["limits"]["centre.authority"][1] <= 0.32
    assert box["density"] >= 0.95 and box["coverage"] >= 0.8


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_discovery_plots_are_bilingual(store, lang):
    import warnings

    res = discover(store, "on_time_rate", below=0.6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no CJK font: English, with a warning
        fig = plot_tradeoff(res, lang=lang)
        ax = fig.axes[0]
        assert ax.get_xlabel() and "on_time_rate < 0.6" in ax.get_title()
        fig = plot_boxes(res, lang=lang)
    gids = {p.get_gid() for ax in fig.axes for p in ax.patches}
    assert {"range:centre.authority", "cat:reforms:flat"} <= gids


@pytest.mark.parametrize(("args", "expected"), [
    (["--metric", "nope", "--below", "0.6"], "--metric 'nope'"),
    (["--metric", "on_time_rate", "--below", "0.0"], "no run of the 300 has on_time_rate < 0"),
    (["--metric", "on_time_rate", "--above", "0.0"], "every run"),
    (["--metric", "on_time_rate"], "--above"),
    (["--metric", "on_time_rate", "--below", "0.6", "--above", "0.1"], "not allowed"),
    (["--metric", "on_time_rate", "--below", "0.6", "--min-density", "1.5"], "--min-density"),
    (["--metric", "on_time_rate", "--below", "0.6", "--method", "tree"], "--method"),
])
def test_bad_discovery_input_is_a_clear_error(store, capsys, args, expected):
    try:
        code = main(["discover", str(store), *args])
    except SystemExit as exc:  # argparse's own checks exit 2 the same way
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err, err


def test_discovery_needs_a_store(tmp_path):
    with pytest.raises(SweepError, match="not a sweep store"):
        discover(tmp_path, "on_time_rate", below=0.5)
