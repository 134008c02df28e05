"""The SolaraViz app: ``reformabm viz [SCENARIO]`` or ``solara run reformabm/viz/app.py``.

Layout: Mesa's :func:`~mesa.visualization.SolaraViz` provides the app bar and the sidebar
cards (Step / Play / Reset, the model parameters: seed, behavioural sliders, reform toggles
with their day); this module adds a "view" card (scenario, English / 中文, labels, folding),
an "apply a reform now" card, and the main area: the organisation network and the daily
metrics, both redrawn after every step.

Mesa 3.5.1 limitations worked around here:

* its network drawer needs a spring layout computed once and ignores later graph changes,
  so the org graph is drawn by :class:`reformabm.viz.drawing.OrgPlot` (rows by level, O(n)),
  rebuilt whenever a reform changes the graph;
* its component area (``ComponentsView``) is a draggable grid whose JavaScript library is
  fetched from a CDN (it stays blank offline, e.g. in a classroom without internet) and
  whose cards start at half width and 300 px high; so SolaraViz gets no components and the
  views are rendered beside it, reading the same reactive model (Reset replaces it and the
  views follow);
* on Reset it rebuilds the model as ``type(model)(**params, scenario=<mesa Scenario>)``:
  :class:`~reformabm.viz.controls.VizModel` takes the scenario name as ``scenario_name`` and
  ignores a Mesa ``Scenario``;
* its parameter panel keeps its state after the first render, so a change of scenario
  remounts SolaraViz (``key``) with that scenario's values as the sliders' defaults; after
  such a remount its Reset passes no parameters at all (the panel's defaults are not set
  again), so the model class itself carries the scenario
  (:func:`~reformabm.viz.controls.model_class`)
  and every parameter not passed keeps the scenario's value;
* its parameter panel changes nothing until Reset (a ticked scheduled reform included): the
  view card says so, and "apply a reform now" changes the running model;
* its headings and buttons are English literals and its sliders hide their value:
  :mod:`reformabm.viz.mesa_text` translates them and keeps the values shown.
"""

from __future__ import annotations

import warnings
from typing import Any

import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import force_update, update_counter

from reformabm.errors import ReformabmError
from reformabm.i18n import resolve_lang
from reformabm.viz import mesa_text
from reformabm.viz.controls import (
    VizModel,
    default_scenario,
    model_class,
    model_params,
    reform_choices,
    scenario_names,
)
from reformabm.viz.drawing import (
    KIND_LABELS,
    OrgPlot,
    TimeseriesPlot,
    cjk_font,
    figure_png,
    kind_counts,
)

__all__ = ["Page", "page", "language", "FOLD_ABOVE", "font_css"]

#: Fold grids (then villages) into their parent unit above this many units.
FOLD_ABOVE = 1500
NO_FOLD = 10**9

language = solara.reactive(resolve_lang())  # per browser session (solara scopes reactives per kernel)
mesa_text.install(language)  # Mesa's own headings and buttons follow EN / 中文; slider values shown
# solara warns on every page load over http://127.0.0.1 that its cookie falls back to samesite=lax;
# that is right for a local classroom server and says nothing the user can act on
warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")
show_labels = solara.reactive(True)
fold_large = solara.reactive(True)

TEXT: dict[str, tuple[str, str]] = {
    "view": ("View", "视图"),
    "scenario": ("Scenario", "情景"),
    "labels": ("Labels", "标签"),
    "fold": (f"Fold large graphs (> {FOLD_ABOVE} units)", f"大图折叠（> {FOLD_ABOVE} 个单位）"),
    "network": ("Organisation network", "组织网络"),
    "metrics": ("Daily metrics", "每日指标"),
    "apply": ("Apply a reform now", "立即实施改革"),
    "reform": ("Reform", "改革"),
    "apply_button": ("Apply now", "立即实施"),
    "applied": ("Reforms applied", "已实施改革"),
    "none": ("none yet", "暂无"),
    "day": ("day", "第"),
    "units": ("units drawn", "个单位"),
    "no_cjk": (
        "No CJK font on the server: drawings keep English labels (install fonts-noto-cjk).",
        "服务器无中文字体：图中标签使用英文（可安装 fonts-noto-cjk）。",
    ),
    "dropped": ("Reform toggles that could not apply (dropped):", "无法实施的改革（已忽略）："),
    "on_reset": (
        "Sliders and scheduled-reform toggles take effect on RESET (a new run from day 0); "
        "to change the running model now, use “Apply a reform now”.",
        "滑块和改革开关在点击“重置”后生效（从第 0 天重新运行）；要改变正在运行的模型，请用“立即实施改革”。",
    ),
}


def font_css() -> str:
    """CSS that serves the shipped Chinese font to the browser (``@font-face``) and uses it.

    Solara serves the ``public/`` folder beside the app's package (``reformabm/public/``) at
    ``static/public/``; the font is the one matplotlib uses (:mod:`reformabm.fonts`), so
    Chinese renders in the page on a machine without any CJK font.
    """
    from reformabm.fonts import SHIPPED_FAMILY, shipped_font_path

    name = shipped_font_path().name
    return (
        f"@font-face {{ font-family: 'reformabm {SHIPPED_FAMILY}'; font-display: swap; "
        f"src: url('static/public/fonts/{name}') format('opentype'); "
        "unicode-range: U+2000-206F, U+2460-24FF, U+3000-303F, U+4E00-9FFF, U+FF00-FFEF; }\n"
        f".v-application, .v-application .v-label, .v-application .v-btn, .v-application .v-card__title "
        f"{{ font-family: Roboto, 'reformabm {SHIPPED_FAMILY}', '{SHIPPED_FAMILY}', sans-serif !important; }}"
    )


def tr(key: str, lang: str) -> str:
    """UI text ``key`` in ``lang``."""
    en, zh = TEXT[key]
    return zh if lang == "zh" else en


def _caption(view: Any, lang: str) -> str:
    counts = kind_counts(view)
    parts = " · ".join(
        f"{KIND_LABELS[k][1] if lang == 'zh' and k in KIND_LABELS else k} {v}"
        for k, v in sorted(counts.items())
    )
    day = view.graph.get("day", 0)
    if lang == "zh":
        return f"第 {day} 天 · {view.number_of_nodes()} 个单位: {parts}"
    return f"day {day} · {view.number_of_nodes()} units drawn: {parts}"


@solara.component
def NetworkView(model: VizModel, lang: str, labels: bool, fold: bool):
    """Show the org network, redrawn after every step (rebuilt when a reform changed it)."""
    counter = update_counter.value
    plot = solara.use_memo(lambda: OrgPlot(lang, labels=labels), [model, lang, labels])

    def render() -> tuple[bytes, str]:
        view = model.org_view(FOLD_ABOVE if fold else NO_FOLD)
        return figure_png(plot.update(view)), _caption(view, lang)

    png, caption = solara.use_memo(
        render, [plot, counter, fold, model.steps, len(model.reforms_applied)]
    )
    with solara.Card(tr("network", lang), classes=["reformabm-network"]):
        solara.Image(png, width="100%", classes=["reformabm-network-image"])
        solara.Text(caption, classes=["reformabm-network-caption"])


@solara.component
def TimeseriesView(model: VizModel, lang: str):
    """Show the daily metrics with reform markers, redrawn after every step."""
    counter = update_counter.value
    plot = solara.use_memo(lambda: TimeseriesPlot(lang), [model, lang])

    def render() -> bytes:
        df, marks = model.series()
        return figure_png(plot.update(df, marks))

    png = solara.use_memo(render, [plot, counter, model.steps, len(model.reforms_applied)])
    with solara.Card(tr("metrics", lang), classes=["reformabm-timeseries"]):
        solara.Image(png, width="100%", classes=["reformabm-timeseries-image"])


@solara.component
def ReformPanel(model: VizModel, lang: str):
    """Pick a reform and apply it now (between two days); list what was applied."""
    update_counter.get()
    choices = solara.use_memo(lambda: reform_choices(model.spec), [model])
    selected = solara.use_reactive(choices[0].key)
    message = solara.use_reactive(("", ""))
    solara.use_effect(lambda: message.set(("", "")), [model])  # a new model (Reset, scenario)
    by_label = {c.label(lang): c for c in choices}
    current = next((c for c in choices if c.key == selected.value), choices[0])

    def on_select(label: str) -> None:
        selected.set(by_label[label].key)

    def apply() -> None:
        try:
            rec = model.apply_now(current.text)
        except ReformabmError as exc:
            message.set(("error", str(exc)))
            return
        removed = rec.get("units_removed", 0)
        message.set(
            ("ok", f"{current.label(lang)} @ {rec['day']}" + (f" (−{removed})" if removed else ""))
        )
        force_update()

    with solara.Card(tr("apply", lang), classes=["reformabm-apply"]):
        solara.Select(
            label=tr("reform", lang),
            value=current.label(lang),
            values=list(by_label),
            on_value=on_select,
            classes=["reformabm-reform-select"],
        )
        solara.Button(
            tr("apply_button", lang),
            color="primary",
            on_click=apply,
            classes=["reformabm-apply-button"],
        )
        kind, text = message.value
        if kind == "error":
            solara.Error(text)
        elif kind == "ok":
            solara.Success(text)
        applied = [f"{r['day']}: {r['name']}" for r in model.reforms_applied]
        # plain text, not Markdown: solara's Markdown fetches mermaid.js from a CDN
        solara.Text(
            f"{tr('applied', lang)}: " + ("; ".join(applied) if applied else tr("none", lang)),
            classes=["reformabm-applied"],
        )
        if model.viz_messages:
            solara.Warning(tr("dropped", lang) + " " + "; ".join(model.viz_messages))


@solara.component
def Page():
    """Render the app: SolaraViz controls in the sidebar, network and metrics in the main area."""
    scenario = solara.use_reactive(default_scenario())
    initial = solara.use_memo(lambda: model_class(scenario.value)(scenario.value), [scenario.value])
    model = solara.use_reactive(initial)
    params = solara.use_memo(lambda: model_params(scenario.value), [scenario.value])
    lang = language.value
    names = solara.use_memo(scenario_names, [])

    solara.Style(solara.use_memo(font_css, []))
    with solara.Sidebar():
        with solara.Card(tr("view", lang), classes=["reformabm-view"]):
            solara.Select(label=tr("scenario", lang), value=scenario, values=names)
            solara.ToggleButtonsSingle(
                value="中文" if lang == "zh" else "EN",
                values=["EN", "中文"],
                on_value=lambda v: language.set("zh" if v == "中文" else "en"),
                classes=["reformabm-language"],
            )
            solara.Checkbox(label=tr("labels", lang), value=show_labels)
            solara.Checkbox(label=tr("fold", lang), value=fold_large)
            if lang == "zh" and cjk_font() is None:
                solara.Warning(tr("no_cjk", lang))
            solara.Info(tr("on_reset", lang), dense=True, classes=["reformabm-on-reset"])
        ReformPanel(model.value, lang)

    SolaraViz(model, components=[], model_params=params, name=f"reformabm · {scenario.value}").key(
        f"viz-{scenario.value}"
    )
    with solara.Column(style={"width": "100%", "padding": "8px"}):
        NetworkView(model.value, lang, show_labels.value, fold_large.value)
        TimeseriesView(model.value, lang)


page = Page
