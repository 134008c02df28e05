"""Calibration targets (校准目标): observed figures the model is fitted to, each with its source.

A targets file (``calibration/targets/<name>.toml``, documented in ``docs/calibration.md``)
names the scenario and run length, and lists targets: a metric (a key of ``summary.json`` or a
derived metric of :data:`reformabm.calibration.METRICS`), the observed value, an absolute
tolerance, the source of the figure and the target's ``kind``: ``"equal"`` (the default,
``value ± tolerance``), ``"at_least"`` or ``"at_most"`` (one-sided figures such as "98.5 % or
more"). :func:`deviation` and :func:`within` are the one place that reads a target's kind: the
ABC distance, the SMM objective, ``report.json``'s ``within_tolerance`` and ``fit.png`` all
use them. It may also list the parameters to fit
(``[[param]]`` with ``path``, ``lo``, ``hi``), so that ``reformabm calibrate shiquan`` needs
no ``--param``.

:func:`load_targets` validates a file; :func:`parse_param` and :func:`check_params` validate
parameter ranges against the parameters' declared bounds (``reformabm params``). Every error
is a :class:`~reformabm.calibration.CalibrationError` naming the file, the target or parameter
and the field (``reformabm`` exits with status 2).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from reformabm.calibration import METRICS, CalibrationError, _summary_keys
from reformabm.errors import ReformabmError
from reformabm.tomlfile import read_toml

__all__ = [
    "TARGETS_DIR", "KINDS", "Kind", "deviation", "within", "Target", "CalibrationSection", "ParamRange",
    "TargetsFile", "targets_path", "load_targets", "parse_param", "check_params", "metric_range", "shipped_targets",
]

#: Shipped targets files (``calibration/targets`` in the repository).
TARGETS_DIR = Path(__file__).resolve().parent / "targets"

_UNIT = re.compile(r"(_rate|_share|satisfaction|^trust$|^coordination_dependence$|^blame_level_\d$"
                   r"|^holding_share_level_\d$|^on_time_rate.*|^ledger_closure_share$"
                   r"|^cross_boundary_leader_share$|^min_escalated_on_time$|^blame_bottom$)")
_NEEDS_WINDOW = {"days_to_close_window"}
_REAL = {"involution_index", "blame_bottom_excess", "centre_betweenness"}


#: Kinds of target: two-sided ``value ± tolerance`` and the one-sided bounds.
KINDS = ("equal", "at_least", "at_most")
Kind = Literal["equal", "at_least", "at_most"]
#: Relative slack of :func:`within` at the tolerance's edge (floating-point rounding only).
_EDGE = 1e-9


def deviation(sim: Any, value: Any, tolerance: Any, kind: Any = "equal") -> Any:
    """Deviation of simulated ``sim`` from a target, in tolerances (the one definition used everywhere).

    ``"equal"``: ``|sim - value| / tolerance``. ``"at_least"``: 0 when ``sim >= value``, else
    ``(value - sim) / tolerance``. ``"at_most"``: 0 when ``sim <= value``, else
    ``(sim - value) / tolerance``. Array arguments broadcast (``kind`` too); NaN stays NaN.

    Examples
    --------
    >>> round(deviation(0.99, 0.976, 0.01), 6), float(deviation(0.97, 0.976, 0.01, "at_most"))
    (1.4, 0.0)
    >>> float(deviation(1.0, 0.985, 0.005, "at_least")), round(deviation(0.9825, 0.985, 0.005, "at_least"), 6)
    (0.0, 0.5)
    """
    sim, value, tol = (np.asarray(x, float) for x in (sim, value, tolerance))
    kind = np.asarray(kind)
    bad = ~np.isin(kind, KINDS)
    if np.any(bad):
        raise ValueError(f"kind {kind[bad].flat[0]!r}: expected one of {list(KINDS)}")
    diff = sim - value
    with np.errstate(invalid="ignore"):
        gap = np.where(kind == "at_least", np.maximum(-diff, 0.0),
                       np.where(kind == "at_most", np.maximum(diff, 0.0), np.abs(diff)))
    gap = np.where(np.isnan(diff), np.nan, gap)
    out = gap / tol
    return float(out) if out.ndim == 0 else out


def within(sim: Any, value: Any, tolerance: Any, kind: Any = "equal") -> Any:
    """Whether ``sim`` is within the target's tolerance: :func:`deviation` ``<= 1``.

    ``"equal"``: ``|sim - value| <= tolerance``; ``"at_least"``: ``sim >= value - tolerance``;
    ``"at_most"``: ``sim <= value + tolerance``. The edge itself is within (up to a relative
    1e-9 for floating-point rounding: ``0.985 - 0.98`` is not exactly ``0.005``). NaN is not within.

    >>> within(0.98, 0.985, 0.005, "at_least"), within(0.9799, 0.985, 0.005, "at_least")
    (True, False)
    """
    d = np.asarray(deviation(sim, value, tolerance, kind))
    with np.errstate(invalid="ignore"):
        ok = d <= 1.0 + _EDGE
    return bool(ok) if ok.ndim == 0 else ok


def metric_range(metric: str) -> tuple[float, float]:
    """The range a metric's values can take: ``[0, 1]`` for rates and shares, else ``[0, inf)``.

    Examples
    --------
    >>> metric_range("closure_rate"), metric_range("days_to_close_mean")
    ((0.0, 1.0), (0.0, inf))
    >>> metric_range("involution_index")
    (-inf, inf)
    """
    if metric in _REAL:
        return (-math.inf, math.inf) if metric != "centre_betweenness" else (0.0, 1.0)
    if _UNIT.search(metric) or metric.startswith("utilisation_"):
        return 0.0, 1.0
    return 0.0, math.inf


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _check_metric(v: str) -> str:
    if v in METRICS and v in _NEEDS_WINDOW:
        raise ValueError(f"'{v}' needs a day window, which targets do not take")
    if v in METRICS or v in _summary_keys():
        return v
    raise ValueError(f"'{v}' is neither a key of the run summary (summary.json; see "
                     "`reformabm run --out DIR`) nor a derived metric "
                     f"{sorted(METRICS)}")


class Target(_Strict):
    """One observed figure: metric, value, tolerance (absolute), its source and its kind."""

    metric: str
    value: float
    tolerance: float = Field(gt=0, description="absolute; within when |simulated mean - value| <= tolerance "
                             "(equal), >= value - tolerance (at_least), <= value + tolerance (at_most)")
    kind: Kind = Field("equal", description="equal: value ± tolerance; at_least / at_most: a one-sided figure "
                       "('98.5 % or more'), no deviation on the open side")
    source: str = Field(description="where the figure comes from (paper row, report, log)")
    note: str = ""

    @field_validator("metric")
    @classmethod
    def _metric(cls, v: str) -> str:
        return _check_metric(v)

    @field_validator("source")
    @classmethod
    def _source(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must not be empty: say where the figure comes from")
        return v

    @model_validator(mode="after")
    def _in_range(self) -> Target:
        lo, hi = metric_range(self.metric)
        if not (lo <= self.value <= hi) or not math.isfinite(self.value):
            raise ValueError(f"value = {self.value!r}: {self.metric} takes values in [{lo}, {hi}]")
        return self


class ParamRange(_Strict):
    """A parameter to fit: dotted path (or flat name) and prior range ``[lo, hi]``."""

    path: str
    lo: float
    hi: float
    note: str = ""

    @model_validator(mode="after")
    def _order(self) -> ParamRange:
        if not (math.isfinite(self.lo) and math.isfinite(self.hi) and self.lo < self.hi):
            raise ValueError(f"lo = {self.lo!r}, hi = {self.hi!r}: expected finite lo < hi")
        return self

    @property
    def key(self) -> str:
        """Column-safe name of the parameter (``centre.authority`` -> ``centre_authority``)."""
        return re.sub(r"[^A-Za-z0-9_]", "_", self.path).strip("_")


class CalibrationSection(_Strict):
    """``[calibration]``: what to run for each simulation."""

    scenario: str = Field(description="shipped scenario name or .toml path")
    days: int = Field(365, ge=1, le=36500)
    replications: int = Field(2, ge=1, le=1000, description="seeds averaged per simulation")
    seed: int = Field(1, ge=0)
    overrides: dict[str, Any] = Field(default_factory=dict, description="dotted-path overrides")
    description: str = ""


class TargetsFile(_Strict):
    """A whole targets file."""

    calibration: CalibrationSection
    target: list[Target] = Field(min_length=1)
    param: list[ParamRange] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> TargetsFile:
        for what, names in (("target", [t.metric for t in self.target]),
                            ("param", [p.path for p in self.param])):
            dup = sorted({n for n in names if names.count(n) > 1})
            if dup:
                raise ValueError(f"each {what} may appear once; repeated: {dup}")
        return self

    _file: Path | None = PrivateAttr(None)

    @property
    def file(self) -> Path | None:
        """The file this was read from (None when built in memory)."""
        return self._file


def shipped_targets() -> list[str]:
    """Names of the shipped targets files."""
    return sorted(p.stem for p in TARGETS_DIR.glob("*.toml"))


def targets_path(name_or_path: str | Path) -> Path:
    """Resolve a targets name (``"shiquan"``) or a file path to an existing file."""
    p = Path(name_or_path)
    if p.is_file():
        return p
    if p.suffix == ".toml" or len(p.parts) > 1:
        raise CalibrationError(f"targets file '{p}' does not exist")
    q = TARGETS_DIR / f"{p}.toml"
    if q.is_file():
        return q
    raise CalibrationError(f"no targets file '{p}': expected a path or one of {shipped_targets()}")


def _where(loc: tuple, data: dict) -> str:
    parts: list[str] = []
    node: Any = data
    for item in loc:
        if isinstance(item, int) and isinstance(node, list) and 0 <= item < len(node):
            node = node[item]
            name = (node.get("metric") or node.get("path")) if isinstance(node, dict) else None
            parts[-1] = f"{parts[-1]}[{name or item}]"
        else:
            parts.append(str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return ".".join(parts)


def load_targets(name_or_path: str | Path) -> TargetsFile:
    """Read and validate a targets file (shipped name or path), its scenario and its params.

    Raises
    ------
    CalibrationError
        Naming the file, the target (by metric) or parameter, the field and what was expected.
    """
    path = targets_path(name_or_path)
    data = read_toml(path, "targets", CalibrationError)
    try:
        tf = TargetsFile.model_validate(data)
    except ValidationError as exc:
        msgs = []
        for e in exc.errors()[:5]:
            where = _where(tuple(e.get("loc", ())), data) or "(file)"
            val = e.get("input")
            hide = isinstance(val, (dict, list)) or e.get("type") == "missing"
            msg = "unknown field" if e.get("type") == "extra_forbidden" else e.get("msg", "invalid")
            if e.get("type") == "literal_error" and where.endswith(".kind"):
                msg = f"unknown kind: expected one of {list(KINDS)}"
            msgs.append(f"`{where}`{'' if hide else f' = {val!r}'}: {msg.removeprefix('Value error, ')}")
        more = len(exc.errors()) - 5
        raise CalibrationError(f"targets file '{path}': " + "; ".join(msgs)
                               + (f" (and {more} more)" if more > 0 else "")) from None
    tf._file = path
    scen = tf.calibration.scenario
    if not Path(scen).is_absolute() and (path.parent / scen).is_file():
        tf.calibration.scenario = str(path.parent / scen)
    from reformabm.scenario import load_scenario

    try:
        load_scenario(tf.calibration.scenario, tf.calibration.overrides)
    except ReformabmError as exc:
        raise CalibrationError(f"targets file '{path}': `calibration.scenario`/`overrides`: {exc}") from None
    if tf.param:
        tf.param = check_params(tf.param, tf.calibration.scenario, where=f"targets file '{path}': param")
    return tf


def parse_param(text: str) -> ParamRange:
    """Parse ``--param PATH=LO:HI`` (``centre.authority=0.2:0.9``).

    >>> parse_param("centre.authority=0.2:0.9").hi
    0.9
    """
    path, eq, rng = text.partition("=")
    lo, colon, hi = rng.partition(":")
    try:
        if not (eq and colon and path.strip()):
            raise ValueError
        return ParamRange(path=path.strip(), lo=float(lo), hi=float(hi))
    except (ValueError, ValidationError):
        raise CalibrationError(f"--param `{text}`: expected PATH=LO:HI with numbers LO < HI, "
                               "e.g. --param leaders.attention_per_day=4:12") from None


@dataclass(frozen=True)
class _Declared:
    lower: float | None
    upper: float | None
    type: str


def _declared(path: str) -> _Declared | None:
    from reformabm.parameters import parameter_specs

    for s in parameter_specs():
        if s.path == path:
            return _Declared(s.lower, s.upper, s.type)
    return None


def check_params(params: list[ParamRange], scenario: str, *, where: str = "--param") -> list[ParamRange]:
    """Validate parameter ranges: known path, numeric, inside the parameter's declared bounds.

    Flat names (``leaders_attention_per_day``) are resolved to dotted paths. Paths that are
    not declared scalar parameters (``levels[township].staff``) are checked by loading the
    scenario with each end of the range.

    Raises
    ------
    CalibrationError
        Naming the parameter, the range and the declared bounds.
    """
    from reformabm.parameters import resolve_parameter
    from reformabm.scenario import load_scenario

    out = []
    for p in params:
        try:
            path = resolve_parameter(p.path)
        except ReformabmError as exc:
            raise CalibrationError(f"{where} `{p.path}`: {exc}") from None
        d = _declared(path)
        if d is not None:
            if d.type not in ("float", "int"):
                raise CalibrationError(f"{where} `{path}`: a {d.type} parameter cannot be fitted; "
                                       "expected a float or int parameter")
            if (d.lower is not None and p.lo < d.lower) or (d.upper is not None and p.hi > d.upper):
                raise CalibrationError(f"{where} `{path}` = {p.lo:g}:{p.hi:g}: outside the "
                                       f"parameter's declared bounds [{d.lower}, {d.upper}] "
                                       "(see `reformabm params`)")
        for v in (p.lo, p.hi):
            try:
                load_scenario(scenario, {path: v})
            except ReformabmError as exc:
                raise CalibrationError(f"{where} `{path}` = {p.lo:g}:{p.hi:g}: {exc}") from None
        out.append(p.model_copy(update={"path": path}))
    paths = [p.path for p in out]
    dup = sorted({x for x in paths if paths.count(x) > 1})
    if dup:
        raise CalibrationError(f"{where}: each parameter may be given once; repeated: {dup}")
    return out
