"""Tests of reformabm.plots: every figure function returns a Figure with the expected axes and
labels in English and Chinese, reform markers sit on the reform days, and Chinese without a
CJK font falls back to English with a clear warning."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import matplotlib.text
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import reformabm.fonts
from reformabm import ReformModel, plots
from reformabm.compare import compare, effects_table

REFORM_DAYS = (12, 20)


@pytest.fixture(scope="module")
def reformed() -> ReformModel:
    """The teaching county for 30 days with two reforms (platform, then the township removed)."""
    return ReformModel(
        "teaching",
        rng=3,
        days=30,
        reforms=[f"platform@{REFORM_DAYS[0]}", f"remove_layer:layer=township@{REFORM_DAYS[1]}"],
    ).run()


@pytest.fixture(scope="module")
def comparison():
    return compare("teaching", ["empower_centre:authority=0.9@5"], seeds=[1, 2, 3, 4], days=60)


@pytest.fixture
def zh(monkeypatch):
    """Pretend a CJK font is installed (DejaVu lacks the glyphs, but labels are what we test)."""
    monkeypatch.setattr(reformabm.fonts, "find_cjk_font", lambda: "DejaVu Sans")


@pytest.fixture
def no_cjk(monkeypatch):
    monkeypatch.setattr(reformabm.fonts, "find_cjk_font", lambda: None)


def texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text) if t.get_text()]


def visible_axes(fig: Figure) -> list:
    return [ax for ax in fig.axes if ax.get_visible()]


def has_cjk(strings: list[str]) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for s in strings for ch in s)


# ---- language ---------------------------------------------------------------------------------


def test_label_vocabulary():
    assert plots.label("on_time_rate") == "on-time rate"
    assert plots.label("on_time_rate", "zh") == "按时办结率"
    assert plots.label("centre.authority", "zh") == "联动中心权威"
    assert plots.label("blame_level_3") == "blame share (3 township)"
    assert plots.label("not_a_metric", "zh") == "not a metric"


def test_resolve_language(zh):
    assert plots.resolve_language("en") == ("en", None)
    assert plots.resolve_language("zh") == ("zh", ["DejaVu Sans", "DejaVu Sans"])
    with pytest.raises(ValueError, match="expected 'en'"):
        plots.resolve_language("fr")


def test_chinese_without_font_warns_and_falls_back_to_english(no_cjk, reformed):
    with pytest.warns(plots.CJKFontWarning, match="no CJK font"):
        fig = plots.timeseries(reformed, ["on_time_rate"], lang="zh")
    assert "on-time rate" in texts(fig)
    assert not has_cjk(texts(fig))


def test_find_cjk_font_is_a_string_or_none():
    plots.find_cjk_font.cache_clear()
    font = plots.find_cjk_font()
    assert font is None or isinstance(font, str)


def test_agg_backend_without_display():
    env = {
        k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "MPLBACKEND")
    }
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import reformabm.plots, matplotlib; print(matplotlib.get_backend())",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if sys.platform.startswith("linux"):
        assert out.strip().lower() == "agg"


# ---- time series ------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_timeseries_panels_labels_and_reform_marks(reformed, lang, zh):
    metrics = ["open", "on_time_rate", "n_layers"]
    fig = plots.timeseries(reformed, metrics, lang=lang, ncols=2)
    assert isinstance(fig, Figure)
    axes = visible_axes(fig)
    assert len(axes) == 3
    titles = [ax.get_title() for ax in axes]
    assert titles == [plots.label(m, lang) for m in metrics]
    assert axes[-1].get_xlabel() == plots.label("day", lang)
    assert fig.reform_marks == [(REFORM_DAYS[0], "platform"), (REFORM_DAYS[1], "remove_layer")]
    for ax in axes:  # every panel has a dashed line on each reform day
        xs = sorted(line.get_xdata()[0] for line in ax.lines if line.get_gid() == "reform-mark")
        assert xs == list(REFORM_DAYS)
    labels = [t.get_text() for t in fig.findobj(matplotlib.text.Text) if t.get_gid() == "reform-label"]
    if lang == "zh":
        assert labels == ["第 12 天：数字平台（五层贯通）", "第 20 天：撤销层级（扁平化）"]
        assert all("DejaVu Sans" in t.get_fontfamily() for t in fig.findobj(matplotlib.text.Text))
    else:
        assert labels == ["day 12: platform", "day 20: remove layer"]


def test_marks_follow_the_reform_column(reformed):
    ts = reformed.timeseries()
    days = ts.loc[ts["reform"] != "", "day"].tolist()
    assert days == list(REFORM_DAYS)
    # several runs stacked: each mark once; seaborn draws the mean and a band
    stacked = pd.concat(
        [
            ts.assign(seed=1, arm="reform"),
            ts.assign(seed=2, arm="reform"),
            ts.assign(seed=1, arm="baseline", reform=""),
        ]
    )
    fig = plots.timeseries(stacked, ["open"], hue="arm", rolling=3)
    assert fig.reform_marks == [(12, "platform"), (20, "remove_layer")]
    legend = visible_axes(fig)[0].get_legend()
    assert {t.get_text() for t in legend.get_texts()} == {"with reform", "baseline (no reform)"}
    # explicit marks override the column
    fig = plots.timeseries(ts, ["open"], reforms=[(5, "campaigns")])
    assert [
        line.get_xdata()[0] for line in fig.axes[0].lines if line.get_gid() == "reform-mark"
    ] == [5]


def _twins(reform_day=15, days=40):
    """Two arms identical before ``reform_day``; the reform arm jumps on that day."""
    day = np.arange(1, days + 1)
    base = pd.DataFrame({"day": day, "on_time_rate": 0.8 + 0.01 * np.sin(day), "n_layers": 4,
                         "span_of_control_max": 8, "reform": ""})
    ref = base.copy()
    after = ref["day"] >= reform_day
    ref.loc[after, "on_time_rate"] += 0.1
    ref.loc[after, "n_layers"] = 3
    ref.loc[after, "span_of_control_max"] = 40
    ref.loc[ref["day"] == reform_day, "reform"] = "remove_layer"
    return pd.concat([base.assign(arm="baseline", seed=1), ref.assign(arm="reform", seed=1)], ignore_index=True)


def test_smoothing_is_trailing_so_no_effect_shows_before_the_reform_day():
    twins = _twins()
    fig = plots.timeseries(twins, ["on_time_rate", "n_layers", "span_of_control_max"], hue="arm", rolling=7)
    data = fig.timeseries_data
    arms = {a: g.set_index("day") for a, g in data.groupby("arm")}
    diff = arms["reform"]["on_time_rate"] - arms["baseline"]["on_time_rate"]
    assert (diff[diff.index < 15].abs() < 1e-12).all()  # nothing before the reform day
    assert diff.loc[15] > 0 and diff.loc[21] == pytest.approx(0.1)  # ramps up after it
    # the smoothed panel says how on its axis; counts and structure are drawn as they are
    assert fig.smoothed == ["on_time_rate"]
    ax = visible_axes(fig)
    assert ax[0].get_ylabel() == "7-day trailing mean" and ax[1].get_ylabel() == ""
    assert set(data["n_layers"]) == {3, 4} and set(data["span_of_control_max"]) == {8, 40}
    assert not plots.smoothable(twins, "open") and plots.smoothable(twins, "on_time_rate")


def _overlaps(boxes):
    return [(i, j) for i in range(len(boxes)) for j in range(i + 1, len(boxes)) if boxes[i].overlaps(boxes[j])]


@pytest.mark.parametrize("days", [(10, 11, 12), (10, 10, 30), (5, 6, 7, 8, 9, 40)])
def test_reform_labels_never_overlap(reformed, days):
    ts = reformed.timeseries()
    names = ["platform", "remove_layer", "supervision", "campaigns", "empower_centre", "rule_growth"]
    marks = [(d, names[i]) for i, d in enumerate(days)]
    fig = plots.timeseries(ts, ["open", "on_time_rate", "n_layers"], reforms=marks)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    texts_ = [t for t in fig.findobj(matplotlib.text.Text) if t.get_gid() == "reform-label"]
    assert len(texts_) == len(set(days))  # one label per reform day, naming that day's reforms
    boxes = [t.get_window_extent(renderer) for t in texts_]
    assert _overlaps(boxes) == []
    # nor do they overprint the panels' titles, tick labels or axis labels
    others = [t.get_window_extent(renderer) for ax in visible_axes(fig)
              for t in [ax.title, ax.xaxis.label, ax.yaxis.label, *ax.get_xticklabels(), *ax.get_yticklabels()]
              if t.get_text() and t.get_visible()]
    assert not any(b.overlaps(o) for b in boxes for o in others)


def test_timeseries_unknown_metric(reformed):
    with pytest.raises(KeyError, match="not columns of the time series"):
        plots.timeseries(reformed, ["no_such_metric"])


# ---- effects ----------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_effects_forest_plot(comparison, lang, zh):
    metrics = ["coordination_dependence", "pushback_rate", "on_time_rate"]
    fig = plots.effects(comparison, metrics, lang=lang)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == [plots.label(m, lang) for m in metrics]
    assert ("% of baseline" in ax.get_xlabel()) if lang == "en" else ("基线" in ax.get_xlabel())
    data = fig.effects_data.set_index("metric")
    table = effects_table(comparison, metrics).set_index("metric")
    expected = 100 * table["effect"] / table["baseline"].abs()
    np.testing.assert_allclose(data.loc[metrics, "x"], expected.loc[metrics])
    # empowering the centre removes disputes: a clear fall in coordination dependence
    assert data.loc["coordination_dependence", "significant"]
    assert data.loc["coordination_dependence", "hi"] < 0
    assert "teaching" in ax.get_title()


def test_effects_absolute_and_several_reforms(comparison):
    table = effects_table(comparison)
    fig = plots.effects(table, ["pushback_rate", "closure_rate"], relative=False)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == [
        "push-back rate",
        "closure rate",
    ]
    assert "reform − baseline" in fig.axes[0].get_xlabel()
    np.testing.assert_allclose(
        fig.effects_data["x"],
        table.set_index("metric").loc[["pushback_rate", "closure_rate"], "effect"],
    )
    made_up = pd.DataFrame(
        {
            "metric": ["involution_index", "closure_rate", "rules"],
            "baseline": [0.01, 0.9, 0.0],
            "effect": [0.2, -0.1, 3.0],
            "ci_low": [0.1, -0.2, 2.0],
            "ci_high": [0.3, 0.0, 4.0],
        }
    )
    fig = plots.effects(made_up)  # relative: a log ratio and a zero baseline are left out
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["closure rate"]
    fig = plots.effects({"a": comparison, "b": table}, ["pushback_rate", "on_time_rate"])
    assert set(fig.effects_data["group"]) == {"a", "b"}
    assert {t.get_text() for t in fig.axes[0].get_legend().get_texts()} == {"a", "b"}
    with pytest.raises(KeyError, match="needs columns"):
        plots.effects(pd.DataFrame({"metric": ["x"]}))


# ---- response surfaces ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sweep_frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "centre.authority": rng.uniform(0.1, 0.9, 120),
            "levels[township].staff": rng.choice([1.0, 2.0, 4.0], 120),
            "reforms": rng.choice(["none", "remove_township"], 120),
            "status": "ok",
        }
    )
    df["coordination_dependence"] = 0.3 - 0.25 * df["centre.authority"] + rng.normal(0, 0.01, 120)
    return df


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_response_surface_heatmap(sweep_frame, lang, zh):
    fig = plots.response_surface(
        sweep_frame,
        "centre.authority",
        "levels[township].staff",
        "coordination_dependence",
        lang=lang,
        bins=4,
    )
    ax = fig.axes[0]
    assert ax.get_xlabel() == plots.label("centre.authority", lang)
    assert ax.get_ylabel() == plots.label("levels[township].staff", lang)
    assert fig.surface.shape == (3, 4)  # 3 staff values, 4 authority bins
    # higher authority, lower dependence, in every row
    assert (np.diff(fig.surface.to_numpy(), axis=1) < 0).all()
    assert fig.axes[1].get_ylabel() == plots.label("coordination_dependence", lang)  # colour bar


def test_response_surface_lines_and_categories(sweep_frame):
    fig = plots.response_surface(
        sweep_frame, "centre.authority", z="coordination_dependence", hue="reforms"
    )
    ax = fig.axes[0]
    assert ax.get_ylabel() == "coordination dependence"
    assert ax.get_legend().get_title().get_text() == "reform schedule"
    fig = plots.response_surface(sweep_frame, "reforms", z="coordination_dependence")
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["none", "remove_township"]
    with pytest.raises(KeyError, match="not in the frame"):
        plots.response_surface(sweep_frame, "nope", z="coordination_dependence")


# ---- sensitivity ------------------------------------------------------------------------------

SOBOL = pd.DataFrame(
    {
        "metric": ["on_time_rate"] * 2 + ["pushback_rate"] * 2,
        "lever": ["centre.authority", "reforms"] * 2,
        "S1": [0.1, 0.6, 0.7, 0.05],
        "S1_conf": [0.05] * 4,
        "ST": [0.2, 0.7, 0.8, 0.1],
        "ST_conf": [0.05] * 4,
    }
)
MORRIS = pd.DataFrame(
    {
        "lever": ["centre.authority", "reforms", "levels[township].staff"],
        "mu": [0.1, -0.2, 0.0],
        "mu_star": [0.1, 0.2, 0.01],
        "sigma": [0.05, 0.1, 0.01],
        "mu_star_conf": [0.02, 0.03, 0.01],
    }
)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_sensitivity_sobol(lang, zh):
    fig = plots.sensitivity(SOBOL, lang=lang)
    axes = visible_axes(fig)
    assert [ax.get_title() for ax in axes] == [
        plots.label("on_time_rate", lang),
        plots.label("pushback_rate", lang),
    ]
    assert [t.get_text() for t in axes[0].get_yticklabels()] == [
        plots.label("centre.authority", lang),
        plots.label("reforms", lang),
    ]
    bars = {p.get_gid() for p in axes[0].patches}
    assert bars == {"bars:S1", "bars:ST"}
    widths = [p.get_width() for p in axes[0].patches if p.get_gid() == "bars:ST"]
    assert widths == [0.2, 0.7]
    legend = {t.get_text() for t in axes[0].get_legend().get_texts()}
    assert legend == {plots.label("S1", lang), plots.label("ST", lang)}


def test_sensitivity_morris_single_metric():
    fig = plots.sensitivity(MORRIS)
    axes = visible_axes(fig)
    assert len(axes) == 1
    assert {p.get_gid() for p in axes[0].patches} == {"bars:mu_star", "bars:sigma"}
    assert "Morris" in fig.get_suptitle()
    with pytest.raises(ValueError, match="Sobol columns"):
        plots.sensitivity(pd.DataFrame({"lever": ["a"], "x": [1]}))


@pytest.mark.parametrize(("method", "bars"), [
    ("delta", {"bars:delta", "bars:S1"}), ("pawn", {"bars:median"}),
    ("rbd_fast", {"bars:S1"}), ("dgsm", {"bars:dgsm"}),
])
def test_sensitivity_other_salib_methods(method, bars):
    t = pd.DataFrame({"lever": ["a", "b"], "delta": [0.3, 0.1], "delta_conf": [0.02, 0.02],
                      "S1": [0.4, 0.1], "S1_conf": [0.05, 0.05], "median": [0.3, 0.1],
                      "median_conf": [0.03, 0.03], "dgsm": [1.2, 0.2], "dgsm_conf": [0.1, 0.1]})
    t.attrs["method"] = method
    fig = plots.sensitivity(t)
    assert {p.get_gid() for p in visible_axes(fig)[0].patches} == bars
    assert fig.get_suptitle()


# ---- org network, levels, one issue ------------------------------------------------------------


def test_org_network(reformed):
    fig = plots.org_network(reformed)
    assert isinstance(fig, Figure)
    drawn = fig.drawn
    assert "township" not in drawn  # removed on day 20
    assert {"grid", "village", "county", "centre", "department"} <= set(drawn)
    assert sum(len(v) for v in drawn.values()) == fig.org_view.number_of_nodes()


def test_org_network_is_the_viz_drawing_in_chinese(reformed, zh):
    from reformabm.viz.drawing import draw_org

    fig = plots.org_network(reformed.org, lang="zh")
    ref = draw_org(reformed.org, lang="zh")
    assert fig.drawn == ref.drawn
    assert "职能部门" in " ".join(texts(fig))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_by_level(lang, zh):
    s = ReformModel("teaching", rng=1, days=30, accountability_supervision=True).run().summary()
    fig = plots.by_level(s, ["on_time_rate_level_", "holding_share_level_"], lang=lang)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        plots.RANK_LABELS[k][lang == "zh"] for k in range(1, 6)
    ]
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {
        plots.label("on_time_rate_level_", lang),
        plots.label("holding_share_level_", lang),
    }
    frame = pd.DataFrame([{**s, "arm": "baseline"}, {**s, "arm": "reform"}])
    fig = plots.by_level(
        frame, ["on_time_rate_level_", "holding_share_level_"], hue="arm", lang=lang
    )
    assert len(fig.axes) == 2
    with pytest.raises(KeyError, match="no columns"):
        plots.by_level(s, ["nothing_level_"])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_issue_journey(reformed, lang, zh):
    issues = reformed.issue_frame()
    iid = int(issues.sort_values(["hops", "issue_id"]).issue_id.iloc[-1])
    fig = plots.issue_journey(reformed, iid, lang=lang)
    ax = fig.axes[0]
    assert str(iid) in ax.get_title()
    h = fig.history
    assert len(h) == len(reformed.issue_history(iid))
    assert set(h.columns) >= {"day", "event", "unit", "kind", "rank"}
    events = [plots.label(f"event:{e}", lang) for e in h["event"]]
    assert all(any(t.startswith(e) for t in texts(fig)) for e in events)


def test_no_warnings_in_english(reformed, comparison):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plots.timeseries(reformed)
        plots.effects(comparison)
        plots.sensitivity(SOBOL)
