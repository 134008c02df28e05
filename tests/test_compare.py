"""``compare``: relative change only where meaningful, effects by unit kind (issue 17)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reformabm import plots
from reformabm.cli import main
from reformabm.compare import Comparison, effects_table, relative_reason
from reformabm.labels import unit_kind


def _comparison(values: dict[str, tuple[list[float], list[float]]]) -> Comparison:
    rows = []
    for i in range(len(next(iter(values.values()))[0])):
        for arm, k in (("baseline", 0), ("reform", 1)):
            rows.append({"seed": i + 1, "arm": arm, **{m: v[k][i] for m, v in values.items()}})
    return Comparison("made_up", ["x@1"], 10, pd.DataFrame(rows))


def test_relative_change_never_flips_the_sign_of_the_effect():
    c = _comparison({
        # the example: an index-like metric rising from about -0.054 to +0.159
        "negative_metric": ([-0.054, -0.05, -0.058], [0.159, 0.15, 0.17]),
        "involution_index": ([-0.054, -0.05, -0.058], [0.159, 0.15, 0.17]),
        "crossing": ([-0.01, 0.02, 0.005], [0.1, 0.12, 0.09]),
        "zero_baseline": ([0.0, 0.0, 0.0], [1.0, 2.0, 3.0]),
        "noisy": ([0.01, 0.5, 0.02], [0.2, 0.6, 0.1]),
        "on_time_rate": ([0.9, 0.92, 0.91], [0.8, 0.85, 0.83]),
    })
    t = effects_table(c, list(c.runs.columns[2:])).set_index("metric")
    assert t.loc["negative_metric", "relative"] > 0  # +393 %, not -393 %
    assert t.loc["negative_metric", "relative"] == pytest.approx(t.loc["negative_metric", "effect"] / 0.054, rel=0.01)
    assert t.loc["on_time_rate", "relative"] < 0 and t.loc["on_time_rate", "relative_note"] == ""
    for m, why in [("involution_index", "index"), ("crossing", "sign"), ("zero_baseline", "zero"),
                   ("noisy", "2 SD")]:
        assert np.isnan(t.loc[m, "relative"]) and why in t.loc[m, "relative_note"], m
    shown = t["relative"].notna()
    assert (np.sign(t.loc[shown, "relative"]) == np.sign(t.loc[shown, "effect"])).all()
    assert t.loc["on_time_rate", "unit"] == "share"


def test_sign_property_over_random_comparisons():
    rng = np.random.default_rng(4)
    for _ in range(50):
        b = rng.normal(rng.normal(0, 1), rng.uniform(0.01, 1), 5)
        r = b + rng.normal(rng.normal(0, 1), 0.3, 5)
        row = effects_table(_comparison({"m": (list(b), list(r))}), ["m"]).iloc[0]
        if not np.isnan(row["relative"]):
            assert np.sign(row["relative"]) == np.sign(row["effect"])
            assert relative_reason("m", pd.Series(b)) == ""


def test_effects_figure_relative_and_by_unit_kind():
    c = _comparison({
        "on_time_rate": ([0.9, 0.92, 0.91], [0.8, 0.85, 0.83]),
        "days_to_close_mean": ([4.0, 4.2, 4.1], [9.0, 9.5, 8.8]),
        "issues_open": ([100, 120, 110], [500, 560, 530]),
        "involution_index": ([-0.054, -0.05, -0.058], [0.159, 0.15, 0.17]),
    })
    table = effects_table(c, list(c.runs.columns[2:]))
    fig = plots.effects(table, relative=True)
    data = fig.effects_data.set_index("metric")
    assert "involution_index" not in data.index and "index" in fig.left_out["involution_index"]
    assert (np.sign(data["x"]) == np.sign(table.set_index("metric").loc[data.index, "effect"])).all()
    # absolute: one panel per unit kind, each in its own unit
    fig = plots.effects(table, relative=False)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == 4
    for ax in axes:
        shown = [t.get_text() for t in ax.get_yticklabels()]
        kinds = {unit_kind(m) for m in table["metric"] if plots.label(m) in shown}
        assert len(kinds) == 1
    assert "days" in axes[1].get_xlabel() and "count" in axes[2].get_xlabel()
    assert plots.label("on_time_rate", "both") == "on-time rate 按时办结率"


def test_cli_compare_relative_and_absolute(tmp_path, capsys):
    out = tmp_path / "cmp"
    rc = main(["compare", "teaching", "--reform", "empower_centre:authority=0.9@3", "--seeds", "1,2",
               "--days", "15", "--relative", "--out", str(out)])
    assert rc == 0
    text = capsys.readouterr().out
    assert "relative_%" in text and "relative_note" in text
    assert (out / "effects.png").stat().st_size > 0
    saved = pd.read_csv(out / "effects.csv")
    assert {"unit", "relative", "relative_note", "baseline_sd", "standardised"} <= set(saved.columns)
    assert main(["compare", "teaching", "--reform", "empower_centre@3", "--seeds", "1,2", "--days", "10"]) == 0
    assert "relative_%" not in capsys.readouterr().out
