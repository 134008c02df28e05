"""The model behind the browser app and its controls (no solara import here).

:class:`VizModel` is a :class:`~reformabm.model.ReformModel` whose constructor takes only flat
keyword parameters, so Mesa's SolaraViz can rebuild it on Reset from its parameter panel:
the scenario name, the seed, behavioural parameters by flat name, and reform toggles
(``reform_<key>=True``, ``reform_<key>_day=60``) that become the ``reforms`` schedule. A
toggle that cannot apply (e.g. town–village integration after the township layer is gone)
is dropped with a message instead of failing the Reset. :meth:`VizModel.apply_now` applies a
reform live, between two days, under the same lock as :meth:`VizModel.step`, and
:meth:`VizModel.snapshot` copies what the drawings need under that lock.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from reformabm.errors import ReformabmError
from reformabm.model import ReformModel
from reformabm.parameters import resolve_parameter
from reformabm.reforms import check_schedule, parse_reform, schedule_from_scenario
from reformabm.scenario import LEVEL_RANK, Scenario, available_scenarios, load_scenario

__all__ = [
    "VizModel",
    "ReformChoice",
    "BEHAVIOUR_SLIDERS",
    "reform_choices",
    "model_params",
    "scenario_names",
    "default_scenario",
    "reforms_from_toggles",
    "model_class",
]


def default_scenario() -> str:
    """Return the scenario the app opens with: ``$REFORMABM_VIZ_SCENARIO`` (``reformabm viz``)."""
    return os.environ.get("REFORMABM_VIZ_SCENARIO", "") or "teaching"


def scenario_names() -> list[str]:
    """Shipped scenarios, small ones first, plus the launch scenario if it is a path."""
    names = sorted(available_scenarios(), key=lambda n: (n != "teaching", "small" not in n, n))
    start = default_scenario()
    if start not in names:
        names.insert(0, start)
    return names


# ---- behavioural parameters --------------------------------------------------------------------

#: Sliders of the main behavioural parameters: flat name, label, min, max (None: 3x default), step.
BEHAVIOUR_SLIDERS: list[tuple[str, str, float, float | None, float]] = [
    ("centre_authority", "centre authority 中心权威", 0.0, 1.0, 0.05),
    ("leaders_attention_per_day", "leaders' attention, issues/day 领导注意力", 0.0, None, 0.5),
    ("process_distortion_per_hop", "distortion per hand-over 每次转办失真", 0.0, 0.5, 0.01),
    ("process_pushback_propensity", "push-back propensity 推诿倾向", 0.0, 1.0, 0.05),
    ("residents_issues_per_person_year", "issues per person-year 人均年事件数", 0.0, 1.0, 0.01),
    ("residents_report_propensity", "residents report, 1/day 居民上报倾向", 0.0, 1.0, 0.01),
    ("grid_patrol_discovery", "grid patrol discovery 网格巡查发现率", 0.0, 1.0, 0.05),
    ("accountability_formal_closure_propensity", "closure on paper 形式化办结倾向", 0.0, 1.0, 0.05),
]


def _spec_value(spec: Scenario, flat: str) -> Any:
    section, _, field = resolve_parameter(flat).partition(".")
    return getattr(getattr(spec, section), field)


# ---- reforms -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReformChoice:
    """A reform the app offers: key, labels, the ``--reform`` text (without day), default day."""

    key: str
    label_en: str
    label_zh: str
    text: str
    day: int
    toggle: bool = True  # shown as a toggle with a day (else only in "apply now")

    def label(self, lang: str) -> str:
        """Label in ``lang``."""
        return self.label_zh if lang == "zh" else self.label_en


_SOCIAL = [
    "civil_affairs",
    "human_resources",
    "health",
    "civil_affairs_county",
    "health_services_county",
]


def _merge_members(spec: Scenario) -> list[str]:
    names = [d.name for d in spec.departments]
    members = [m for m in _SOCIAL if m in names]
    if len(members) >= 2:
        return members
    by_level: dict[str, list[Any]] = {}
    for d in spec.departments:
        by_level.setdefault(str(d.level), []).append(d)
    best = max(by_level.values(), key=len, default=[])
    return [d.name for d in sorted(best, key=lambda d: d.staff)[:3]]


def reform_choices(spec: Scenario) -> list[ReformChoice]:
    """List the reforms offered for ``spec`` (only those that can apply to its structure)."""
    levels = {str(lv.name): lv for lv in spec.levels}
    out: list[ReformChoice] = []
    if "township" in levels:
        out.append(
            ReformChoice(
                "remove_township",
                "remove the township layer",
                "撤销乡镇层级",
                "remove_layer:layer=township",
                60,
            )
        )
    members = _merge_members(spec)
    if len(members) >= 2:
        out.append(
            ReformChoice(
                "merge_departments",
                "merge departments (big department)",
                "大部制合并部门",
                f"merge_departments:into=social_affairs,members={'+'.join(members)},"
                "label_zh_name=社会事务局",
                60,
            )
        )
    above = sorted(
        (lv for lv in spec.levels if LEVEL_RANK[lv.name] > LEVEL_RANK[levels["township"].name])
        if "township" in levels
        else (lv for lv in spec.levels if lv.centre),
        key=lambda lv: LEVEL_RANK[lv.name],
    )
    if above:
        out.append(
            ReformChoice(
                "areas",
                "areas re-emerge (片区 quasi-layer)",
                "片区（中间层再生）",
                f"middle_layer:under={above[0].name},count=3,label=area",
                120,
            )
        )
    out += [
        ReformChoice(
            "empower_centre",
            "empower the linkage centre",
            "联动中心赋权",
            "empower_centre:authority=0.8",
            30,
        ),
        ReformChoice("platform", "digital platform", "数字平台（五层贯通）", "platform", 30),
        ReformChoice(
            "supervision", "time-limited supervision", "限时督办（135710）", "supervision", 30
        ),
    ]
    if "township" in levels:
        out.append(
            ReformChoice(
                "town_village",
                "town–village integration",
                "镇村工作一体化",
                "town_village_integration",
                60,
            )
        )
    out += [
        ReformChoice("contacts", "three-line contacts", "三线联系", "three_line_contacts", 30),
        ReformChoice(
            "middle_layer_rule",
            "areas emerge when overloaded (rule)",
            "中间层再生规则",
            "middle_layer_rule",
            30,
            toggle=False,
        ),
        ReformChoice("campaigns", "campaigns", "中心工作动员", "campaigns", 30, toggle=False),
        ReformChoice(
            "rule_growth", "adaptive rule growth", "规则自适应增长", "rule_growth", 30, toggle=False
        ),
        ReformChoice(
            "ledger", "secretary's ledger", "书记民情三本账", "secretary_ledger", 30, toggle=False
        ),
        ReformChoice(
            "collaboration",
            "collaboration assessment",
            "协同绩效考核",
            "collaboration_assessment",
            30,
            toggle=False,
        ),
    ]
    return out


def reforms_from_toggles(spec: Scenario, params: dict[str, Any]) -> list[str]:
    """Pop ``reform_<key>`` / ``reform_<key>_day`` from ``params``; return ``--reform`` strings."""
    out = []
    choices = {c.key: c for c in reform_choices(spec)}
    for name in [k for k in params if k.startswith("reform_") and not k.endswith("_day")]:
        key = name.removeprefix("reform_")
        on = bool(params.pop(name))
        day = int(params.pop(f"reform_{key}_day", choices[key].day if key in choices else 1))
        if on and key in choices:
            out.append(f"{choices[key].text}@{max(day, 1)}")
    for name in [k for k in params if k.startswith("reform_") and k.endswith("_day")]:
        params.pop(name)
    return out


def model_params(scenario: str) -> dict[str, Any]:
    """SolaraViz ``model_params`` for ``scenario``: its values as the sliders' defaults."""
    spec = load_scenario(scenario)
    out: dict[str, Any] = {
        "scenario_name": scenario,
        "rng": {
            "type": "SliderInt",
            "value": int(spec.scenario.seed),
            "min": 0,
            "max": 99,
            "step": 1,
            "label": "seed 随机种子",
        },
    }
    for flat, label, lo, hi, step in BEHAVIOUR_SLIDERS:
        v = float(_spec_value(spec, flat))
        top = hi if hi is not None else max(10.0, 3.0 * v)
        out[flat] = {
            "type": "SliderFloat",
            "value": v,
            "min": lo,
            "max": max(top, v),
            "step": step,
            "label": label,
        }
    days = int(spec.scenario.days)
    for c in reform_choices(spec):
        if not c.toggle:
            continue
        out[f"reform_{c.key}"] = {
            "type": "Checkbox",
            "value": False,
            "label": f"{c.label_en} {c.label_zh}",
        }
        out[f"reform_{c.key}_day"] = {
            "type": "SliderInt",
            "value": min(c.day, days),
            "min": 1,
            "max": days,
            "step": 1,
            "label": f"  ↳ day 第几天: {c.key.replace('_', ' ')}",
        }
    out["extra_reforms"] = {
        "type": "InputText",
        "value": "",
        "label": "more reforms (name:k=v@day; ...) 其他改革",
    }
    return out


# ---- the model -----------------------------------------------------------------------------


class VizModel(ReformModel):
    """A :class:`ReformModel` built from flat keyword parameters (see the module doc).

    Parameters
    ----------
    scenario_name : str
        Shipped scenario name or TOML path (default: :func:`default_scenario`).
    scenario : optional
        Ignored unless a name or path: Mesa 3.5's SolaraViz passes a
        ``mesa.experimental.scenarios.Scenario`` here on Reset.
    rng : int, optional
        Seed.
    extra_reforms : str
        More reforms as ``--reform`` strings separated by ``;``.
    **params
        Behavioural parameters by flat name, ``reform_<key>`` toggles and their
        ``reform_<key>_day``, and any other keyword of :class:`ReformModel` (``days``).
    """

    #: Scenario used when none is given (set by :func:`model_class`).
    default_scenario_name: ClassVar[str | None] = None

    def __init__(
        self,
        scenario_name: str | None = None,
        *,
        scenario: Any = None,
        rng: int | None = None,
        extra_reforms: str = "",
        **params: Any,
    ) -> None:
        if scenario_name is None:
            if isinstance(scenario, (str, os.PathLike)):
                scenario_name = str(scenario)
            else:
                scenario_name = type(self).default_scenario_name or default_scenario()
        spec = load_scenario(scenario_name)
        params = dict(params)
        reforms = reforms_from_toggles(spec, params)
        reforms += [t.strip() for t in str(extra_reforms or "").split(";") if t.strip()]
        self._lock = threading.RLock()
        self.viz_messages: list[str] = []
        self.viz_params = {
            "scenario_name": str(scenario_name),
            "rng": rng,
            **params,
            "reforms": reforms,
        }
        super().__init__(scenario_name, rng=rng, reforms=reforms, **params)

    def _build_schedule(self, reforms: list[Any] | None) -> list[tuple[int, Any]]:
        """Schedule the scenario's reforms plus ``reforms``.

        Those that can apply are kept in day order; the others are reported in
        ``viz_messages`` instead of raising.
        """
        schedule = schedule_from_scenario(self.spec)
        check_schedule(schedule, self.org, self.spec, self.days)
        candidates: list[tuple[str, tuple[int, Any]]] = []
        for item in reforms or []:
            try:
                candidates.append(
                    (str(item), parse_reform(item) if isinstance(item, str) else item)
                )
            except ReformabmError as exc:
                self.viz_messages.append(f"{item}: {exc}")
        for text, entry in sorted(candidates, key=lambda x: x[1][0]):
            try:
                check_schedule([*schedule, entry], self.org, self.spec, self.days)
            except ReformabmError as exc:
                self.viz_messages.append(f"{text}: {exc}")
                continue
            schedule.append(entry)
        schedule.sort(key=lambda x: x[0])
        return schedule

    def step(self) -> None:
        """Advance one day (under the model's lock)."""
        with self._lock:
            super().step()

    def apply_now(self, text: str) -> dict[str, Any]:
        """Apply the reform ``text`` (``name[:k=v,...]``, any ``@day`` ignored) now, between days.

        Raises :class:`~reformabm.errors.ReformabmError` if it cannot apply.
        """
        _, reform = parse_reform(text.partition("@")[0], default_day=max(self.day, 1))
        with self._lock:
            return self.apply_reform(reform)

    def org_view(self, max_nodes: int = 1500) -> Any:
        """Copy the org graph with today's values (folded above ``max_nodes``) under the lock."""
        from reformabm.viz.drawing import model_view

        with self._lock:
            return model_view(self, max_nodes)

    def series(self) -> tuple[Any, list[tuple[int, str]]]:
        """``(timeseries frame, reform marks)`` copied under the lock."""
        from reformabm.viz.drawing import reform_marks

        with self._lock:
            return self.timeseries(), reform_marks(self)

    def snapshot(self, max_nodes: int = 1500) -> tuple[Any, Any, list[tuple[int, str]]]:
        """``(org view, timeseries frame, reform marks)`` copied under the lock."""
        from reformabm.viz.drawing import model_view, reform_marks

        with self._lock:
            return model_view(self, max_nodes), self.timeseries(), reform_marks(self)


_CLASSES: dict[str, type[VizModel]] = {}


def model_class(scenario: str) -> type[VizModel]:
    """Return a :class:`VizModel` subclass whose default scenario is ``scenario``.

    Mesa's Reset rebuilds the model as ``type(model)(**params)``; when its parameter panel
    has lost the parameters (after SolaraViz was remounted for another scenario, Mesa 3.5.1
    resets with none), the class still knows the scenario.

    >>> model_class("teaching").default_scenario_name
    'teaching'
    """
    if scenario not in _CLASSES:
        name = "VizModel_" + re.sub(r"\W", "_", Path(scenario).stem)
        _CLASSES[scenario] = type(
            name, (VizModel,), {"default_scenario_name": scenario, "__module__": __name__}
        )
    return _CLASSES[scenario]
