"""Shared fixtures and helpers of the reformabm test suite.

The *tiny* scenario is a 4-level chain county -> township -> village -> grid (1/2/4/8 units)
with a county linkage centre and two departments; it is small enough to run hundreds of
short simulations in a few seconds. It is kept as a Python mapping (``TINY``) so that tests
can derive broken or varied copies of it, and written to TOML with :func:`dump_toml`.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from reformabm import ReformModel

# ---- the tiny scenario ---------------------------------------------------------------------

TINY: dict[str, Any] = {
    "scenario": {"name": "tiny", "description": "tiny test chain", "days": 60, "seed": 3},
    "residents": {
        "population": 4000,
        "people_per_agent": 10,
        "issues_per_person_year": 1.0,
        "report_propensity": 0.15,
        "initial_trust": 0.7,
        "give_up_rate": 0.02,
    },
    "levels": [
        {"name": "county", "count": 1, "centre": True},
        {"name": "township", "count": 2, "staff": 1.0},
        {"name": "village", "count": 4, "staff": 0.5},
        {"name": "grid", "count": 8, "staff": 1.0},
    ],
    "centre": {"authority": 0.3, "staff": 2.0, "residual_department": "works"},
    "leaders": {"attention_per_day": 1.0},
    "departments": [
        {"name": "police", "label_zh": "公安局", "domains": ["order"], "staff": 1.0},
        {"name": "works", "label_zh": "城管局", "domains": ["streets"], "staff": 1.0},
    ],
    "categories": [
        {"name": "disorder", "share": 0.5, "domains": ["order", "streets"], "cross_boundary": 0.3,
         "level_mix": [0.3, 0.2, 0.2, 0.2, 0.1]},
        {"name": "potholes", "share": 0.4, "domains": ["streets"],
         "level_mix": [0.3, 0.2, 0.2, 0.2, 0.1]},
        {"name": "leftover", "share": 0.1, "domains": ["residual"], "ambiguous": True},
    ],
}

#: Number of units per territorial level of TINY.
TINY_COUNTS = {"county": 1, "township": 2, "village": 4, "grid": 8}


def tiny_data(**sections: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of TINY with some sections' fields updated (``residents={"population": 50}``)."""
    data = copy.deepcopy(TINY)
    for name, fields in sections.items():
        data.setdefault(name, {}).update(fields)
    return data


# ---- a minimal TOML writer (only what scenario files use) -----------------------------------

def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        if isinstance(v, float) and not math.isfinite(v):
            raise ValueError(f"cannot write {v!r} to TOML")
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def _is_table_array(v: Any) -> bool:
    return isinstance(v, list) and len(v) > 0 and all(isinstance(x, dict) for x in v)


def dump_toml(data: dict[str, Any]) -> str:
    """Write a scenario mapping (tables, arrays of tables, scalars, lists) as TOML text."""
    lines: list[str] = []
    for k, v in data.items():
        if not isinstance(v, dict) and not _is_table_array(v):
            lines.append(f"{k} = {_toml_value(v)}")
    for k, v in data.items():
        if isinstance(v, dict):
            lines.append(f"\n[{k}]")
            lines.extend(f"{kk} = {_toml_value(vv)}" for kk, vv in v.items())
        elif _is_table_array(v):
            for item in v:
                lines.append(f"\n[[{k}]]")
                lines.extend(f"{kk} = {_toml_value(vv)}" for kk, vv in item.items())
    return "\n".join(lines) + "\n"


# ---- running models --------------------------------------------------------------------------

def run_model(scenario: Any = "teaching", *, days: int = 60, seed: int = 1,
              overrides: dict[str, Any] | None = None, **params: Any) -> ReformModel:
    """Build a model and run it for ``days`` days."""
    model = ReformModel(scenario, rng=seed, days=days, overrides=overrides, **params)
    model.run()
    return model


def seed_mean(fn: Callable[[ReformModel], float], seeds: Iterable[int], scenario: Any = "teaching",
              *, days: int = 120, overrides: dict[str, Any] | None = None, **params: Any) -> float:
    """Mean of ``fn(model)`` over runs with the given seeds (NaNs ignored)."""
    vals = [fn(run_model(scenario, days=days, seed=s, overrides=overrides, **params))
            for s in seeds]
    return float(np.nanmean(np.asarray(vals, dtype=float)))


def arm(scenario: Any = "teaching", seeds: Iterable[int] = (101, 102, 103, 104, 105), *,
        days: int = 120, overrides: dict[str, Any] | None = None,
        **params: Any) -> list[ReformModel]:
    """One arm of a paired comparison: the same scenario and parameters run with each seed."""
    return [run_model(scenario, days=days, seed=s, overrides=overrides, **params) for s in seeds]


def avg(models: list[ReformModel], metric: str | Callable[[ReformModel], float]) -> float:
    """Mean over the runs of an arm of a summary key or of ``metric(model)`` (NaNs ignored)."""
    fn = summary_key(metric) if isinstance(metric, str) else metric
    return float(np.nanmean(np.asarray([fn(m) for m in models], dtype=float)))


def summary_key(key: str) -> Callable[[ReformModel], float]:
    """A metric function reading ``model.summary()[key]``."""
    def fn(model: ReformModel) -> float:
        v = model.summary()[key]
        return math.nan if v is None else float(v)
    fn.__name__ = key
    return fn


# ---- fixtures --------------------------------------------------------------------------------

@pytest.fixture
def write_scenario(tmp_path: Path) -> Callable[..., Path]:
    """Write a scenario mapping (default: TINY) or raw text to ``tmp_path/<name>.toml``."""
    def write(data: dict[str, Any] | str | None = None, name: str = "tiny") -> Path:
        path = tmp_path / f"{name}.toml"
        text = data if isinstance(data, str) else dump_toml(TINY if data is None else data)
        path.write_text(text, encoding="utf-8")
        return path
    return write


@pytest.fixture(scope="session")
def tiny_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The TINY scenario written once per session (safe inside hypothesis tests)."""
    path = tmp_path_factory.mktemp("scenarios") / "tiny.toml"
    path.write_text(dump_toml(TINY), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def teaching_run() -> ReformModel:
    """The teaching county run for 90 days with seed 7 (shared, read-only)."""
    return run_model("teaching", days=90, seed=7)


@pytest.fixture(scope="session")
def tiny_run(tiny_path: Path) -> ReformModel:
    """The tiny scenario run for 60 days with seed 5 (shared, read-only)."""
    return run_model(tiny_path, days=60, seed=5)
