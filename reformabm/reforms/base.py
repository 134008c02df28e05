"""Reforms as first-class objects: a common base, a registry, parsing and schedules.

A reform is data (its parameters, stored by the constructor) plus ``apply(model)``. Its graph
part is a pure function ``transform_graph(g, spec) -> (new_graph, successors)`` that returns
a new graph with provenance recorded in node attributes and ``graph["reforms"]``;
``successors`` maps every removed unit to the unit that takes over its pending issues.
Its parameter part, ``update_spec(spec)``, changes behavioural parameters. Because both parts
can run on copies, a whole schedule is checked before the run starts.
"""

from __future__ import annotations

import copy
import dataclasses
import tomllib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import networkx as nx

from reformabm.errors import ReformError
from reformabm.reforms.plugins import is_class_path
from reformabm.scenario import Scenario

if TYPE_CHECKING:
    from reformabm.model import ReformModel

__all__ = [
    "Reform", "REGISTRY", "make_reform", "parse_reform", "schedule_from_scenario", "check_schedule",
    "record_provenance", "set_spec", "copy_graph",
]

REGISTRY: dict[str, type[Reform]] = {}


@dataclass
class Reform:
    """Base class of reforms. Subclasses are dataclasses with a class attribute ``name``."""

    name: ClassVar[str] = ""
    label_zh: ClassVar[str] = ""
    seed_paper: ClassVar[str] = ""
    #: Persistent reforms (rules) act every day after they are applied, through ``daily``.
    persistent: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name:
            REGISTRY[cls.name] = cls

    # ---- the parts ---------------------------------------------------------------------------
    def validate(self) -> None:
        """Check the parameter values themselves; raise :class:`ReformError`."""

    def check(self, g: nx.DiGraph, spec: Scenario) -> None:
        """Raise :class:`ReformError` if the reform cannot apply to ``g``/``spec``."""

    def transform_graph(self, g: nx.DiGraph, spec: Scenario) -> tuple[nx.DiGraph, dict[int, int]]:
        """Return the reformed graph (a new one) and the successor of each removed unit."""
        return g, {}

    def update_spec(self, spec: Scenario) -> None:
        """Change behavioural parameters of ``spec`` in place."""

    def daily(self, model: ReformModel) -> dict[str, Any] | None:
        """For persistent reforms: act on ``model`` at the end of a day; return a record or None."""
        return None

    # ---- application ---------------------------------------------------------------------------
    def params(self) -> dict[str, Any]:
        """The reform's parameters."""
        return dataclasses.asdict(self)

    def apply(self, model: ReformModel) -> dict[str, Any]:
        """Apply the reform to ``model`` now; return the record kept in the run's outputs."""
        self.check(model.org, model.spec)
        before = dict(model.structure_metrics())
        g, successors = self.transform_graph(model.org, model.spec)
        self.update_spec(model.spec)
        if g is not model.org:
            model.replace_org(g, successors)
        after = model.structure_metrics()
        return {
            "name": self.name,
            "day": model.day,
            "params": self.params(),
            "units_removed": len(successors),
            **{f"{k}_before": v for k, v in before.items()},
            **{f"{k}_after": v for k, v in after.items()},
        }

    def describe(self) -> str:
        """``name:param=value,...`` as on the command line."""
        ps = ",".join(f"{k}={_literal(v)}" for k, v in self.params().items())
        return f"{self.name}:{ps}" if ps else self.name


def _literal(v: Any) -> str:
    if isinstance(v, list):
        return "+".join(map(str, v))
    if isinstance(v, bool):
        return str(v).lower()
    return str(v)


def record_provenance(g: nx.DiGraph, entry: dict[str, Any]) -> None:
    """Append a reform's provenance entry to ``g.graph['reforms']`` (a string for GraphML)."""
    prev = g.graph.get("reforms", "")
    text = ";".join(f"{k}={v}" for k, v in entry.items())
    g.graph["reforms"] = f"{prev} | {text}" if prev else text


def make_reform(name: str, params: dict[str, Any] | None = None) -> Reform:
    """Instantiate the reform called ``name`` with ``params``, with clear errors."""
    from reformabm.reforms.plugins import find_reform_class

    cls = find_reform_class(name)
    if cls is None:
        raise ReformError(f"reform '{name}' is unknown; expected one of {sorted(REGISTRY)} or a class of "
                          "your own as module:Class")
    params = dict(params or {})
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(params) - set(fields))
    if unknown:
        raise ReformError(f"reform '{name}': unknown parameter(s) {unknown}; it takes {sorted(fields)}")
    for k, v in list(params.items()):
        want = fields[k].type if isinstance(fields[k].type, str) else getattr(fields[k].type, "__name__", "")
        if "list" in str(want) and isinstance(v, str):
            params[k] = [x for x in v.split("+") if x]
    try:
        reform = cls(**params)
    except TypeError as exc:
        raise ReformError(f"reform '{name}': {exc}") from None
    reform.validate()
    return reform


def _split_top(text: str) -> list[str]:
    """Split on commas outside brackets and quotes."""
    out, depth, quote, cur = [], 0, "", []
    for ch in text:
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
            cur.append(ch)
        elif ch in "[{":
            depth += 1
            cur.append(ch)
        elif ch in "]}":
            depth -= 1
            cur.append(ch)
        elif ch == "," and depth == 0:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    if cur:
        out.append("".join(cur))
    return [x.strip() for x in out if x.strip()]


def parse_reform(text: str, default_day: int | None = None) -> tuple[int, Reform]:
    """Parse ``name[:key=value,...][@day]`` (the CLI's ``--reform``) into ``(day, reform)``.

    Values are TOML literals; a list may also be written ``a+b+c``. ``name`` may be a reform
    class of the user's own, ``module:Class`` (then ``module:Class:key=value,...@day``).

    >>> day, r = parse_reform("remove_layer:layer=township,reassign_share=0.4@180")
    >>> day, r.name, r.layer, r.reassign_share
    (180, 'remove_layer', 'township', 0.4)
    """
    body, _, day_text = text.partition("@")
    if day_text:
        try:
            day = int(day_text)
        except ValueError:
            raise ReformError(f"--reform `{text}`: day after '@' must be an integer, got '{day_text}'") from None
    elif default_day is not None:
        day = default_day
    else:
        raise ReformError(f"--reform `{text}`: give the day it applies, e.g. `{text}@180`")
    name, _, rest = body.partition(":")
    if name.strip() not in REGISTRY and rest:  # module:Class[:key=value,...], a reform of the user's own
        head, _, tail = rest.partition(":")
        if "=" not in head and is_class_path(f"{name.strip()}:{head.strip()}"):
            name, rest = f"{name.strip()}:{head.strip()}", tail
    params: dict[str, Any] = {}
    for item in _split_top(rest):
        if "=" not in item:
            raise ReformError(f"--reform `{text}`: parameter `{item}` must be key=value")
        k, _, raw = item.partition("=")
        try:
            params[k.strip()] = tomllib.loads(f"v = {raw.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            params[k.strip()] = raw.strip()
    return day, make_reform(name.strip(), params)


def schedule_from_scenario(spec: Scenario) -> list[tuple[int, Reform]]:
    """The scenario's ``[[reforms]]`` tables (``name``, ``day``, parameters) as a schedule."""
    out = []
    for i, table in enumerate(spec.reforms):
        table = dict(table)
        name = table.pop("name", None)
        day = table.pop("day", None)
        if not isinstance(name, str):
            raise ReformError(f"reforms[{i}]: field `name` is missing or not a string")
        if not isinstance(day, int) or isinstance(day, bool):
            raise ReformError(f"reforms[{i}] ({name}): field `day` = {day!r}: expected an integer day")
        out.append((day, make_reform(name, table)))
    return out


def check_schedule(schedule: list[tuple[int, Reform]], g: nx.DiGraph, spec: Scenario, days: int) -> None:
    """Check a whole schedule before the run, applying each reform to copies in day order."""
    g = g.copy()
    spec = spec.model_copy(deep=True)
    for day, reform in sorted(schedule, key=lambda x: x[0]):
        if not 1 <= day <= days:
            raise ReformError(f"reform '{reform.name}' is scheduled on day {day}, outside the run (1..{days})")
        reform.check(g, spec)
        g, _ = reform.transform_graph(g, spec)
        reform.update_spec(spec)


def set_spec(spec: Scenario, reform: str, values: dict[str, Any]) -> None:
    """Set ``{"section.field": value}`` on ``spec`` with validation, as a reform's parameter part."""
    from pydantic import ValidationError

    for path, value in values.items():
        section, _, field_name = path.partition(".")
        try:
            setattr(getattr(spec, section), field_name, value)
        except ValidationError as exc:
            msg = exc.errors()[0].get("msg", "invalid")
            raise ReformError(f"{reform}: {path} = {value!r}: {msg}") from None


def copy_graph(g: nx.DiGraph) -> nx.DiGraph:
    """A copy of ``g`` whose attribute dicts are new (agents are shared, not copied)."""
    h = nx.DiGraph()
    h.graph.update(copy.copy(g.graph))
    h.add_nodes_from((u, dict(d)) for u, d in g.nodes(data=True))
    h.add_edges_from((u, v, dict(d)) for u, v, d in g.edges(data=True))
    return h

