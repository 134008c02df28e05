"""Writing a run's outputs: summary.json, timeseries.parquet, issues.parquet, org_graph.graphml."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from reformabm.errors import OutputError
from reformabm.issues import Channel, Stage
from reformabm.org.export import write_graphml

if TYPE_CHECKING:
    from reformabm.model import ReformModel

__all__ = ["issue_frame", "write_run", "json_ready"]


def _domain_names(masks: np.ndarray, domains: list[str]) -> pd.Categorical:
    """Domain bitmasks as categorical names joined by ``+`` (``"housing+safety"``)."""
    uniq, inv = np.unique(masks, return_inverse=True)
    labels = ["+".join(d for b, d in enumerate(domains) if (int(m) >> b) & 1) for m in uniq]
    return pd.Categorical.from_codes(inv.astype(np.int32), categories=labels)


def _nullable(values: np.ndarray, missing: np.ndarray, dtype: str) -> pd.arrays.IntegerArray:
    """Integer column with ``<NA>`` where ``missing``."""
    return pd.arrays.IntegerArray(np.where(missing, 0, values).astype(dtype.lower()), missing.copy())


def issue_frame(model: ReformModel) -> pd.DataFrame:
    """One row per issue: the model's own issue records (the ``issues.parquet`` columns)."""
    s = model.issues
    n = len(s)
    sl = slice(0, n)
    stage = s.stage[sl]
    status = np.where(stage == Stage.CLOSED, "closed", np.where(stage == Stage.WITHDRAWN, "withdrawn", "open"))
    end = s.end_day[sl]
    known = s.known_day[sl]
    closed = stage == Stage.CLOSED
    channel_names = [c.name.lower() for c in Channel]
    stage_names = [st.name.lower() for st in Stage]
    df = pd.DataFrame({
        "issue_id": np.arange(n, dtype=np.int64),
        "created_day": s.created_day[sl],
        "grid": s.grid[sl],
        "category": pd.Categorical.from_codes(s.category[sl].astype(np.int32),
                                              categories=model.categories.names),
        "required_level": s.level[sl],
        "domains": _domain_names(s.domain_mask[sl], model.spec.domains),
        "channel": pd.Categorical.from_codes(s.channel[sl].astype(np.int32), categories=channel_names),
        "status": pd.Categorical(status, categories=["closed", "open", "withdrawn"]),
        "end_day": _nullable(end, end < 0, "Int32"),
        "hops": s.hops[sl],
        "bounces": s.bounces[sl],
        "needed_leader": s.needed_leader[sl],
        "formal_closure": s.formal_closure[sl],
        "reopened_from": _nullable(s.reopened_from[sl], s.reopened_from[sl] < 0, "Int64"),
        "complaint_of": _nullable(s.complaint_of[sl], s.complaint_of[sl] < 0, "Int64"),
        "blamed_level": _nullable(s.blamed_level[sl], s.blamed_level[sl] < 0, "Int8"),
        "n_domains": s.n_domains[sl],
        "known_day": _nullable(known, known < 0, "Int32"),
        "deadline_day": _nullable(s.deadline_day[sl], s.deadline_day[sl] < 0, "Int32"),
        "deadline0_day": _nullable(s.deadline0[sl], s.deadline0[sl] < 0, "Int32"),  # before extensions
        "days_to_close": _nullable(end - known, ~closed, "Int32"),
        "on_time": _bool_nullable(end <= s.deadline_day[sl], ~closed),
        "stage": pd.Categorical.from_codes(stage.astype(np.int32), categories=stage_names),
        "holder": s.holder[sl],
        "solver": s.solver[sl],
        "pushbacks": s.pushbacks[sl],
        "misdispatches": s.misdispatches[sl],
        "resident": s.resident[sl],
    })
    return df


def _bool_nullable(values: np.ndarray, missing: np.ndarray) -> pd.arrays.BooleanArray:
    return pd.arrays.BooleanArray(values.astype(bool), missing.copy())


def json_ready(obj: Any) -> Any:
    """Convert numpy scalars and NaN to JSON (NaN -> null)."""
    if isinstance(obj, dict):
        return {k: json_ready(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_ready(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and (math.isnan(obj) or math.isinf(obj)):
        return None
    return obj


def write_run(model: ReformModel, out: str | Path, *, history: bool = True) -> Path:
    """Write the run's outputs to directory ``out`` and return it.

    Files: ``summary.json`` (flat run metrics), ``scenario.json`` (the resolved scenario),
    ``timeseries.parquet`` (one row per day), ``issues.parquet`` (one row per issue),
    ``events.parquet`` (each issue's history, when recorded) and ``org_graph.graphml``.
    """
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / "summary.json").write_text(json.dumps(json_ready(model.summary()), indent=2,
                                                     ensure_ascii=False), encoding="utf-8")
        (out / "scenario.json").write_text(json.dumps(model.spec.model_dump(mode="json"), indent=2,
                                                      ensure_ascii=False), encoding="utf-8")
        model.timeseries().to_parquet(out / "timeseries.parquet", index=False)
        issue_frame(model).to_parquet(out / "issues.parquet", index=False)
        if history and model.events.enabled:
            model.events.frame().to_parquet(out / "events.parquet", index=False)
        write_graphml(model.org, out / "org_graph.graphml")
    except OSError as exc:
        raise OutputError(f"cannot write run outputs to '{out}': {exc}") from None
    return out
