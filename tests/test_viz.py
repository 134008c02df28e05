"""Tests of the browser visualisation (issue 9): layout, aggregation, drawings, the model
behind the app, render tests without a browser (``solara.render``, as Mesa's own tests do),
the ``reformabm viz`` command, and one test in headless Chromium (marker ``browser``)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from collections import Counter
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from matplotlib.figure import Figure

import reformabm.fonts
from reformabm import ReformModel
from reformabm.reforms import parse_reform
from reformabm.scenario import MODELS_DIR
from reformabm.viz import drawing
from reformabm.viz.controls import VizModel, model_params, reform_choices
from reformabm.viz.drawing import (
    CJKFontWarning,
    OrgPlot,
    TimeseriesPlot,
    draw_org,
    draw_timeseries,
    figure_png,
    model_view,
)
from reformabm.viz.layout import TERRITORIAL_ROWS, aggregate_org, hierarchical_layout, layout_rows

HAS_KAIFENG_SMALL = (MODELS_DIR / "kaifeng_small.toml").is_file()


def kinds(g: nx.DiGraph) -> Counter:
    return Counter(k for _, k in g.nodes(data="kind"))


def stepped(scenario: str = "teaching", days: int = 5, **kw) -> ReformModel:
    m = ReformModel(scenario, rng=1, **kw)
    for _ in range(days):
        m.step()
    return m


# ---- layout -------------------------------------------------------------------------------------


def test_layout_places_every_node_in_rows_by_level():
    m = ReformModel("teaching", rng=1)
    g = m.org
    pos = hierarchical_layout(g)
    assert set(pos) == set(g.nodes)
    xs = np.array([p[0] for p in pos.values()])
    assert xs.min() >= 0 and xs.max() <= 1
    ys_by_kind: dict[str, set[float]] = {}
    for u, k in g.nodes(data="kind"):
        ys_by_kind.setdefault(k, set()).add(pos[u][1])
    for k in ("county", "township", "village", "grid", "leader", "centre", "department"):
        assert len(ys_by_kind[k]) == 1, k  # one row per kind here
    y = {k: next(iter(v)) for k, v in ys_by_kind.items()}
    # leaders and the centre on top, departments beside the centre, then the territorial rows
    assert y["leader"] > y["centre"] > y["county"] > y["township"] > y["village"] > y["grid"]
    assert y["department"] == y["centre"] and y["supervision"] == y["discipline"] == y["leader"]
    rows = layout_rows(g)
    assert list(rows) == [k for k in TERRITORIAL_ROWS if k in rows]
    # a parent sits above the middle of its children
    village = next(u for u, k in g.nodes(data="kind") if k == "village")
    kids = [v for v in g.successors(village) if g.nodes[v]["kind"] == "grid"]
    assert min(pos[v][0] for v in kids) <= pos[village][0] <= max(pos[v][0] for v in kids)


def test_layout_follows_reforms_rows_disappear_and_appear():
    m = ReformModel("teaching", rng=1)
    m.apply_reform(parse_reform("remove_layer:layer=township@1")[1])
    rows = layout_rows(m.org)
    assert "township" not in rows and list(rows) == ["county", "village", "grid"]
    m.apply_reform(parse_reform("middle_layer:under=county,count=3@1")[1])
    rows = layout_rows(m.org)
    assert list(rows) == ["county", "area", "village", "grid"]
    pos = hierarchical_layout(m.org)
    assert set(pos) == set(m.org.nodes)


def test_layout_is_linear_not_spring(monkeypatch):
    def boom(*a, **k):
        raise AssertionError("no spring layout")

    monkeypatch.setattr(nx, "spring_layout", boom)
    m = (
        ReformModel("kaifeng", rng=1)
        if (MODELS_DIR / "kaifeng.toml").is_file()
        else ReformModel("teaching", rng=1)
    )
    t = time.perf_counter()
    pos = hierarchical_layout(m.org)
    assert len(pos) == m.org.number_of_nodes()
    assert time.perf_counter() - t < 10.0  # ~0.1 s for 8,551 units


@pytest.mark.skipif(not HAS_KAIFENG_SMALL, reason="models/kaifeng_small.toml not present")
def test_aggregation_folds_and_keeps_totals():
    m = stepped("kaifeng_small", days=20)
    g = m.org
    vals = {"open": m.held_counts(), "work": m.work_today, "capacity": m.capacity}
    full = aggregate_org(g, vals, max_nodes=10**9)
    assert full.number_of_nodes() == g.number_of_nodes() and full.graph["folded"] == ""
    n_grids = kinds(g)["grid"]
    only_grids = aggregate_org(g, vals, max_nodes=g.number_of_nodes() - 1)
    assert only_grids.graph["folded"] == "grid"
    assert "grid" not in kinds(only_grids) and kinds(only_grids)["village"] == kinds(g)["village"]
    assert only_grids.number_of_nodes() == g.number_of_nodes() - n_grids
    both = aggregate_org(g, vals, max_nodes=100)
    assert both.graph["folded"] == "grid+village"
    assert "grid" not in kinds(both) and "village" not in kinds(both)
    for h in (full, only_grids, both):
        assert sum(d["members"] for _, d in h.nodes(data=True)) == g.number_of_nodes()
        assert sum(d["staff"] for _, d in h.nodes(data=True)) == pytest.approx(
            sum(d["staff"] for _, d in g.nodes(data=True))
        )
        for key in ("open", "work", "capacity"):
            assert sum(d[key] for _, d in h.nodes(data=True)) == pytest.approx(
                float(np.sum(vals[key][list(g.nodes)]))
            )
        assert not any(a == b for a, b in h.edges)
        assert set(hierarchical_layout(h)) == set(h.nodes)
    town = next(u for u, k in both.nodes(data="kind") if k == "township")
    assert both.nodes[town]["folded"] == "grid+village" and both.nodes[town]["members"] > 1


# ---- drawings -----------------------------------------------------------------------------------


def _gids(fig: Figure) -> set[str]:
    return {c.get_gid() for ax in fig.axes for c in ax.collections if c.get_gid()}


def test_draw_org_returns_figure_with_encodings():
    m = stepped(days=10)
    fig = draw_org(m)
    assert isinstance(fig, Figure)
    assert {
        "nodes:township",
        "nodes:village",
        "nodes:grid",
        "nodes:department",
        "nodes:centre",
        "edges:command",
        "edges:dispatch",
    } <= _gids(fig)
    assert set(fig.org_view.nodes) == set(m.org.nodes)
    assert figure_png(fig)[:8] == b"\x89PNG\r\n\x1a\n"
    # size = open issues, colour = utilisation
    scat = next(c for c in fig.axes[0].collections if c.get_gid() == "nodes:centre")
    assert scat.get_sizes()[0] > 60 and np.isfinite(scat.get_array()).all()
    texts = {t.get_text() for ax in fig.axes for t in ax.texts}
    assert "public security" in texts and "township 0" in texts


def test_drawing_after_remove_layer_has_no_townships():
    m = stepped(days=4, reforms=["remove_layer:layer=township@3"])
    fig = draw_org(m)
    assert "township" not in kinds(fig.org_view) and "township" not in fig.drawn
    assert "nodes:township" not in _gids(fig)
    assert kinds(fig.org_view)["village"] == 40


def test_drawing_after_merge_departments_has_fewer_departments():
    before = draw_org(stepped(days=2))
    m = stepped(
        days=3,
        reforms=["merge_departments:into=social,members=civil_affairs+human_resources+health@2"],
    )
    after = draw_org(m)
    assert len(after.drawn["department"]) == len(before.drawn["department"]) - 2
    assert "nodes:department:merged" in _gids(after)


def test_orgplot_redraws_values_and_rebuilds_on_reform():
    m = stepped(days=2)
    plot = OrgPlot()
    plot.update(model_view(m))
    for _ in range(3):
        m.step()
        fig = plot.update(model_view(m))
    assert plot.rebuilds == 1 and "day 5" in fig.get_suptitle()
    m.apply_reform(parse_reform("remove_layer:layer=township@5")[1])
    fig = plot.update(model_view(m))
    assert plot.rebuilds == 2 and "township" not in fig.drawn


def test_timeseries_plot_with_reform_markers():
    m = stepped(days=12, reforms=["platform@4", "supervision@8"])
    fig = draw_timeseries(m)
    assert isinstance(fig, Figure) and len(fig.axes) == 6
    assert [d for d, _ in fig.reform_marks] == [4, 8]
    marks = [ln for ax in fig.axes for ln in ax.lines if ln.get_gid() == "reform-mark"]
    assert len(marks) == 6 * 2
    titles = {ax.get_title() for ax in fig.axes}
    assert {
        "Open issues",
        "Closure and on-time rates",
        "Coordination dependence",
        "Involution index",
    } <= titles
    plot = TimeseriesPlot()
    f1 = plot.update(m.timeseries(), [])
    m.step()
    f2 = plot.update(m.timeseries(), [(13, "empower_centre")])
    assert f1 is f2 and len(f2.axes[0].lines[0].get_xdata()) == 13
    assert sum(ln.get_gid() == "reform-mark" for ln in f2.axes[0].lines) == 1


def test_chinese_labels_fall_back_to_english_without_a_cjk_font(monkeypatch):
    monkeypatch.setattr(drawing, "cjk_font", lambda: None)
    monkeypatch.setattr(reformabm.fonts, "find_cjk_font", lambda: None)
    m = stepped(days=1)
    with pytest.warns(CJKFontWarning):
        fig = draw_org(m, lang="zh")
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert "public security" in texts


def test_chinese_labels_with_a_cjk_font(monkeypatch):
    monkeypatch.setattr(drawing, "cjk_font", lambda: "DejaVu Sans")  # stands in for a CJK font
    monkeypatch.setattr(reformabm.fonts, "find_cjk_font", lambda: "DejaVu Sans")
    m = stepped(days=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DejaVu has no CJK glyphs
        fig = draw_org(m, lang="zh")
        ts = draw_timeseries(m, lang="zh")
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert "公安局" in texts and "乡镇/街道 0" in texts
    assert "未结事件" in {ax.get_title() for ax in ts.axes}


def test_frame_time_is_interactive():
    """Step + redraw of network and metrics on the teaching county (measured ~0.35 s)."""
    m = VizModel("teaching", rng=1)
    org, ts = OrgPlot(), TimeseriesPlot()
    for _ in range(30):
        m.step()
    times = []
    for _ in range(3):
        t = time.perf_counter()
        m.step()
        figure_png(org.update(m.org_view()))
        df, marks = m.series()
        figure_png(ts.update(df, marks))
        times.append(time.perf_counter() - t)
    assert min(times) < 5.0


# ---- the model behind the app ---------------------------------------------------------------


def test_model_params_use_the_scenario_values():
    p = model_params("teaching")
    assert p["scenario_name"] == "teaching"
    assert p["centre_authority"]["value"] == pytest.approx(0.3)
    assert p["reform_remove_township"] == {
        "type": "Checkbox",
        "value": False,
        "label": "remove the township layer 撤销乡镇层级",
    }
    assert p["reform_remove_township_day"]["type"] == "SliderInt"
    if HAS_KAIFENG_SMALL:
        assert model_params("kaifeng_small")["centre_authority"]["value"] == pytest.approx(0.5)


def test_vizmodel_builds_reforms_from_toggles_and_drops_impossible_ones():
    import mesa

    m = VizModel(
        "teaching",
        rng=2,
        reform_remove_township=True,
        reform_remove_township_day=3,
        reform_town_village=True,
        reform_town_village_day=5,
        reform_platform=False,
        reform_platform_day=9,
        extra_reforms="supervision@4; nosuch@2",
        centre_authority=0.6,
        scenario=mesa.experimental.scenarios.Scenario(),
    )
    assert [(d, r.name) for d, r in m.schedule] == [(3, "remove_layer"), (4, "supervision")]
    assert len(m.viz_messages) == 2 and any("town_village" in s for s in m.viz_messages)
    assert m.spec.centre.authority == pytest.approx(0.6) and m.scenario_name == "teaching"
    for _ in range(4):
        m.step()
    assert "township" not in kinds(m.org)
    rec = m.apply_now("merge_departments:into=x,members=civil_affairs+health")
    assert rec["name"] == "merge_departments" and rec["day"] == 4
    from reformabm.errors import ReformError

    with pytest.raises(ReformError):
        m.apply_now("remove_layer:layer=township")
    view, df, marks = m.snapshot()
    assert len(df) == 4 and [n for _, n in marks] == [
        "remove_layer",
        "supervision",
        "merge_departments",
    ]


def test_reform_choices_fit_the_scenario():
    from reformabm.scenario import load_scenario

    keys = {c.key for c in reform_choices(load_scenario("teaching"))}
    assert {
        "remove_township",
        "merge_departments",
        "areas",
        "empower_centre",
        "platform",
        "supervision",
    } <= keys
    for c in reform_choices(load_scenario("teaching")):
        ReformModel("teaching", rng=1, days=20, reforms=[f"{c.text}@5"])  # each one can apply


# ---- render tests without a browser (solara.render) -------------------------------------------


@pytest.fixture
def rendered():
    solara = pytest.importorskip("solara")
    import ipyvuetify as v
    import ipywidgets as w

    from reformabm.viz import app

    app.language.set("en")
    app.show_labels.set(True)
    app.fold_large.set(True)

    @solara.component
    def Root():
        with solara.AppLayout():
            app.Page()

    box, rc = solara.render(Root(), handle_error=False)

    class R:
        def caption(self) -> str:
            return rc.find(v.Html, class_="reformabm-network-caption").widget.children[0]

        def click(self, label: str) -> None:
            rc.find(v.Btn, children=[label]).widget.click()

        def images(self) -> list:
            return rc.find(w.Image).widgets

    r = R()
    r.rc, r.v, r.app = rc, v, app
    yield r
    app.language.set("en")
    rc.close()


def test_page_renders_network_plots_and_controls(rendered):
    r, v = rendered, rendered.v
    imgs = r.images()
    assert len(imgs) == 2 and all(bytes(i.value)[:4] == b"\x89PNG" for i in imgs)
    assert r.caption().startswith("day 0 · 183 units drawn") and "township 5" in r.caption()
    labels = [b.children[0] for b in r.rc.find(v.Btn).widgets if b.children]
    assert {"Reset", "Step", "Apply now"} <= set(labels)
    checkboxes = {c.label for c in r.rc.find(v.Checkbox).widgets}
    assert "remove the township layer 撤销乡镇层级" in checkboxes
    sliders = {s.label for s in r.rc.find(v.Slider).widgets}
    assert {"centre authority 中心权威", "push-back propensity 推诿倾向"} <= sliders


def test_page_steps_applies_a_reform_live_and_survives_reset(rendered):
    r = rendered
    net0 = bytes(r.images()[0].value)
    ts0 = bytes(r.images()[1].value)
    for _ in range(3):
        r.click("Step")
    assert r.caption().startswith("day 3")
    assert bytes(r.images()[1].value) != ts0
    r.rc.find(r.v.Select, label="Reform").widget.v_model = "remove the township layer"
    r.click("Apply now")
    assert "township" not in r.caption() and "village 40" in r.caption()
    assert bytes(r.images()[0].value) != net0
    assert "3: remove_layer" in r.rc.find(r.v.Html, class_="reformabm-applied").widget.children[0]
    r.click("Reset")
    assert r.caption().startswith("day 0") and "township 5" in r.caption()
    assert len(r.images()) == 2
    r.click("Step")
    assert r.caption().startswith("day 1") and "township 5" in r.caption()


def test_page_reform_toggle_with_day_applies_after_reset(rendered):
    r, v = rendered, rendered.v
    r.rc.find(
        v.Checkbox, label="merge departments (big department) 大部制合并部门"
    ).widget.v_model = True
    r.rc.find(v.Slider, label="  ↳ day 第几天: merge departments").widget.v_model = 2
    r.click("Reset")
    r.click("Step")
    assert "department 13" in r.caption()
    r.click("Step")
    assert r.caption().startswith("day 2") and "department 11" in r.caption()


def test_page_switches_language_and_scenario(rendered):
    r, v = rendered, rendered.v
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CJKFontWarning)
        r.rc.find(v.BtnToggle).widget.v_model = "中文"
        assert r.caption().startswith("第 0 天") and "乡镇/街道 5" in r.caption()
        assert r.rc.find(v.Btn, children=["立即实施"]).widget
        r.rc.find(v.BtnToggle).widget.v_model = "EN"
    assert r.caption().startswith("day 0")
    if HAS_KAIFENG_SMALL:
        r.rc.find(v.Select, label="Scenario").widget.v_model = "kaifeng_small"
        assert "465 units" in r.caption() and "city 1" in r.caption()
        r.click("Step")
        assert r.caption().startswith("day 1")
        r.click("Reset")
        assert r.caption().startswith("day 0") and "465 units" in r.caption()


def test_mesa_headings_follow_the_language_and_sliders_show_values(rendered):
    r, v = rendered, rendered.v
    assert r.rc.find(v.Btn, children=["Reset"]).widget and r.rc.find(v.Btn, children=["Step"]).widget
    sliders = r.rc.find(v.Slider).widgets
    assert sliders and all(s.thumb_label == "always" for s in sliders)
    assert "RESET" in r.rc.find(v.Alert, class_="reformabm-on-reset").widget.children[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CJKFontWarning)
        r.rc.find(v.BtnToggle).widget.v_model = "中文"
        assert r.rc.find(v.Btn, children=["重置"]).widget and r.rc.find(v.Btn, children=["单步"]).widget
        titles = {w.children[0] for w in r.rc.find(v.CardTitle).widgets if w.children}
        assert {"控制", "模型参数"} <= titles, titles
        assert "重置" in r.rc.find(v.Alert, class_="reformabm-on-reset").widget.children[0]
        r.click("单步")
        assert r.caption().startswith("第 1 天")
        r.rc.find(v.BtnToggle).widget.v_model = "EN"
    assert r.rc.find(v.Btn, children=["Step"]).widget


# ---- the command ------------------------------------------------------------------------------


def test_cli_viz_parses_and_launches_solara(monkeypatch):
    from reformabm.cli import build_parser, main
    from reformabm.viz import launch

    args = build_parser().parse_args(["viz"])
    assert (args.scenario, args.host, args.port) == ("teaching", "127.0.0.1", 8765)
    seen = {}

    class FakeProc:
        def __init__(self, cmd, env):
            seen["cmd"], seen["env"] = cmd, env

        def wait(self, timeout=None):
            return 0

    monkeypatch.setattr(launch.subprocess, "Popen", FakeProc)
    assert main(["viz", "teaching", "--port", "9999", "--no-open"]) == 0
    cmd = seen["cmd"]
    assert cmd[1:3] == ["run", str(launch.APP)] and cmd[cmd.index("--host") + 1] == "127.0.0.1"
    assert cmd[cmd.index("--port") + 1] == "9999" and "--no-open" in cmd
    assert seen["env"]["REFORMABM_VIZ_SCENARIO"] == "teaching"
    assert main(["viz", "no_such_scenario"]) == 2


def test_page_serves_the_shipped_chinese_font():
    pytest.importorskip("solara")
    import re

    from reformabm.viz import app

    css = app.font_css()
    (url,) = re.findall(r"url\('static/public/(.+?)'\)", css)
    served = Path(app.__file__).resolve().parent.parent / "public" / url  # solara: <app dir>/../public
    assert served.is_file() and served.stat().st_size > 1_000_000


def test_offline_assets_lists_solara_cdn_packages():
    pytest.importorskip("solara")
    from reformabm.viz.offline import needed_packages

    names = {p for p, _ in needed_packages()}
    assert "requirejs" in names and any("solara-vuetify" in p for p in names)


# ---- in a real browser ------------------------------------------------------------------------

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, proc: subprocess.Popen, timeout: float = 90.0) -> None:
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer in {timeout} s")


@pytest.mark.browser
def test_browser_app_steps_reforms_and_resets(tmp_path):
    chromium = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )
    if chromium is None:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium)")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install playwright)")
    pytest.importorskip("solara")
    from reformabm.viz.offline import missing_packages, prefetch_solara_assets

    if missing_packages():  # solara fetches its page's JS from a CDN; without internet, from npm
        try:
            prefetch_solara_assets()
        except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
            pytest.skip(f"solara's browser assets are missing and could not be fetched: {exc}")

    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    log = open(tmp_path / "server.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reformabm.cli",
            "viz",
            "teaching",
            "--port",
            str(port),
            "--no-open",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        cwd=str(tmp_path),
    )
    try:
        _wait_http(url, proc)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
            try:
                _drive(
                    browser.new_page(viewport={"width": 1400, "height": 1000}),
                    url,
                    tmp_path,
                    expect,
                )
            finally:
                browser.close()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        log.close()


def _drive(page, url: str, tmp_path: Path, expect) -> None:
    page.goto(url, wait_until="domcontentloaded")
    net = page.locator(".reformabm-network-image")
    plots = page.locator(".reformabm-timeseries-image")
    caption = page.locator(".reformabm-network-caption")
    net.wait_for(state="visible", timeout=90_000)
    plots.wait_for(state="visible", timeout=30_000)
    expect(caption).to_contain_text("day 0", timeout=30_000)
    expect(caption).to_contain_text("township 5")
    assert net.bounding_box()["width"] > 400 and plots.bounding_box()["height"] > 200
    net0, plots0 = net.get_attribute("src"), plots.screenshot()
    for day in (1, 2, 3):
        page.get_by_role("button", name="Step").click()
        expect(caption).to_contain_text(f"day {day} ", timeout=30_000)
    assert net.get_attribute("src") != net0
    assert plots.screenshot() != plots0  # the metrics grew
    # reforms chosen in the list and applied now: departments merge, the township row goes
    shot_before = net.screenshot()
    page.locator(".reformabm-reform-select").click()
    page.get_by_role("option", name="merge departments (big department)").click()
    page.get_by_role("button", name="Apply now").click()
    expect(caption).to_contain_text("department 11", timeout=30_000)
    page.locator(".reformabm-reform-select").click()
    page.get_by_role("option", name="remove the township layer").click()
    page.get_by_role("button", name="Apply now").click()
    expect(caption).not_to_contain_text("township", timeout=30_000)
    expect(page.locator(".reformabm-applied")).to_contain_text("remove_layer")
    assert net.screenshot() != shot_before
    page.screenshot(path=str(tmp_path / "viz-reformed.png"), full_page=True)
    # Reset: a new model, the drawing still there, townships back
    page.get_by_role("button", name="Reset").click()
    expect(caption).to_contain_text("day 0", timeout=30_000)
    expect(caption).to_contain_text("township 5")
    expect(net).to_be_visible()
    page.get_by_role("button", name="Step").click()
    expect(caption).to_contain_text("day 1 ", timeout=30_000)
    shot = tmp_path / "viz.png"
    page.screenshot(path=str(shot), full_page=True)
    # 中文: the page's own text uses the shipped font served by @font-face (no system CJK font)
    page.get_by_role("button", name="中文").click()
    expect(caption).to_contain_text("第 1 天", timeout=30_000)
    loaded = page.evaluate("document.fonts.load(\"16px 'reformabm Noto Sans CJK SC'\", '联动中心')"
                           ".then(f => f.length)")
    assert loaded >= 1
    assert page.evaluate("document.fonts.check(\"16px 'reformabm Noto Sans CJK SC'\", '联动中心')")
    assert shot.stat().st_size > 10_000
