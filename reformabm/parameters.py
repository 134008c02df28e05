"""Behavioural parameters, declared once in the scenario schema and listed here by flat name.

Each scalar field of a scenario section (``[residents]``, ``[centre]``, ``[process]`` ...) is a
parameter with a dotted path (``centre.authority``) and a flat name (``centre_authority``).
The flat name is what :class:`~reformabm.ReformModel` accepts as a keyword, what sweeps vary
and what SALib problems list; a bare field name (``authority``) is accepted too when unique.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from reformabm.errors import OverrideError
from reformabm.scenario import Scenario

__all__ = ["ParameterSpec", "parameter_specs", "resolve_parameter", "scenario_values"]

_SECTIONS = [
    "scenario", "residents", "grid", "centre", "leaders", "process", "accountability", "workload",
]


@dataclass(frozen=True)
class ParameterSpec:
    """A behavioural parameter: flat name, dotted path, type, default, bounds, unit, source."""

    name: str
    path: str
    type: str
    default: Any
    lower: float | None
    upper: float | None
    unit: str
    source: str
    description: str


def _bounds(field: Any) -> tuple[float | None, float | None]:
    lo = hi = None
    for m in field.metadata:
        lo = getattr(m, "ge", None) if getattr(m, "ge", None) is not None else lo
        lo = getattr(m, "gt", None) if getattr(m, "gt", None) is not None else lo
        hi = getattr(m, "le", None) if getattr(m, "le", None) is not None else hi
        hi = getattr(m, "lt", None) if getattr(m, "lt", None) is not None else hi
    return lo, hi


def _type_name(ann: Any) -> str:
    if isinstance(ann, types.GenericAlias) or typing.get_origin(ann) is not None:
        return str(ann).replace("typing.", "")
    return getattr(ann, "__name__", str(ann))


def parameter_specs() -> list[ParameterSpec]:
    """List every scalar behavioural parameter of the scenario schema.

    Returns
    -------
    list of ParameterSpec
        In section order; ``name`` is ``<section>_<field>``.
    """
    specs = []
    for section in _SECTIONS:
        model: type[BaseModel] = Scenario.model_fields[section].default_factory  # type: ignore[assignment]
        for fname, field in model.model_fields.items():
            extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
            lo, hi = _bounds(field)
            specs.append(
                ParameterSpec(
                    name=f"{section}_{fname}",
                    path=f"{section}.{fname}",
                    type=_type_name(field.annotation),
                    default=field.get_default(call_default_factory=True),
                    lower=lo,
                    upper=hi,
                    unit=str(extra.get("unit", "")),
                    source=str(extra.get("source", "")),
                    description=field.description or "",
                )
            )
    return specs


def _alias_table() -> dict[str, str]:
    specs = parameter_specs()
    table = {s.name: s.path for s in specs}
    bare: dict[str, list[str]] = {}
    for s in specs:
        bare.setdefault(s.path.split(".", 1)[1], []).append(s.path)
    for k, paths in bare.items():
        if len(paths) == 1 and k not in table:
            table[k] = paths[0]
    return table


_ALIASES: dict[str, str] | None = None


def resolve_parameter(name: str) -> str:
    """Map a parameter's flat name (or unique bare field name, or dotted path) to its path.

    Examples
    --------
    >>> resolve_parameter("centre_authority")
    'centre.authority'
    >>> resolve_parameter("people_per_agent")
    'residents.people_per_agent'
    """
    global _ALIASES
    if _ALIASES is None:
        _ALIASES = _alias_table()
    if name in _ALIASES:
        return _ALIASES[name]
    if "." in name or "[" in name:
        return name
    close = sorted(k for k in _ALIASES if name in k or k in name)[:6]
    hint = f"; did you mean one of {close}?" if close else "; see `reformabm params` for the list"
    raise OverrideError(f"parameter `{name}` is not a scenario parameter{hint}")


def scenario_values(spec: Any) -> list[tuple[ParameterSpec, Any]]:
    """Each parameter with its value in the scenario ``spec`` (a validated :class:`Scenario`)."""
    out = []
    for p in parameter_specs():
        section, field = p.path.split(".", 1)
        out.append((p, getattr(getattr(spec, section), field)))
    return out
