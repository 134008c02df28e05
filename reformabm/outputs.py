"""Writing a run's outputs: summary.json, timeseries.parquet, issues.parquet, org_graph.graphml."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
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


def _domain_labels(masks: np.ndarray, domains: list[str]) -> tuple[np.ndarray, list[str]]:
    """The distinct domain bitmasks (sorted) and their names joined by ``+`` (``"housing+safety"``)."""
    uniq = np.zeros(0, masks.dtype)
    for start in range(0, len(masks), ROW_GROUP):  # piece by piece: no sorted copy of a million masks
        uniq = np.union1d(uniq, masks[start:start + ROW_GROUP])
    return uniq, ["+".join(d for b, d in enumerate(domains) if (int(m) >> b) & 1) for m in uniq]


def _nullable(values: np.ndarray, missing: np.ndarray, dtype: str) -> pd.arrays.IntegerArray:
    """Integer column with ``<NA>`` where ``missing``."""
    return pd.arrays.IntegerArray(np.where(missing, 0, values).astype(dtype.lower()), missing.copy())


def issue_frame(model: ReformModel, rows: slice | None = None, *,
                domains: tuple[np.ndarray, list[str]] | None = None, copy: bool = True) -> pd.DataFrame:
    """One row per issue: the model's own issue records (the ``issues.parquet`` columns).

    ``rows``: only these issues (a slice of issue ids; default all). ``domains``: the result of
    ``_domain_labels`` over all issues, so that slices share the ``domains`` categories.
    ``copy`` False: some columns are views of the issue store (for a frame written at once).
    """
    s = model.issues
    n = len(s)
    sl = slice(*(rows or slice(0, n)).indices(n))
    stage = s.stage[sl]
    status = np.where(stage == Stage.CLOSED, 0, np.where(stage == Stage.WITHDRAWN, 2, 1)).astype(np.int8)
    end = s.end_day[sl]
    known = s.known_day[sl]
    closed = stage == Stage.CLOSED
    channel_names = [c.name.lower() for c in Channel]
    stage_names = [st.name.lower() for st in Stage]
    masks = s.domain_mask[sl]
    uniq, labels = domains if domains is not None else _domain_labels(masks, model.spec.domains)
    df = pd.DataFrame({
        "issue_id": np.arange(sl.start, sl.stop, dtype=np.int64),
        "created_day": s.created_day[sl],
        "grid": s.grid[sl],
        "category": pd.Categorical.from_codes(s.category[sl].astype(np.int32),
                                              categories=model.categories.names),
        "required_level": s.level[sl],
        "domains": pd.Categorical.from_codes(np.searchsorted(uniq, masks).astype(np.int32), categories=labels),
        "channel": pd.Categorical.from_codes(s.channel[sl].astype(np.int32), categories=channel_names),
        "status": pd.Categorical.from_codes(status, categories=["closed", "open", "withdrawn"]),
        "end_day": _nullable(end, end < 0, "Int32"),
        "hops": s.hops[sl],
        "bounces": s.bounces[sl],
        "needed_leader": s.needed_leader[sl],
        "formal_closure": s.formal_closure[sl],
        "reopened_from": _nullable(s.reopened_from[sl], s.reopened_from[sl] < 0, "Int64"),
        "complaint_of": _nullable(s.complaint_of[sl], s.complaint_of[sl] < 0, "Int64"),
        "called_again": s.called_again[sl],  # the reporter called again while it was overdue (催办)
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
        # a ledger claim beyond what the county can grant: answered, never settled (stays open)
        "unsettleable": s.unsettleable[sl],
    }, copy=copy)
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


#: rows per Parquet row group when writing issues and events: bounds the memory the writing needs
ROW_GROUP = 65_536


def _write_parquet(frames: Iterable[pd.DataFrame], path: Path) -> None:
    """Write DataFrames of one schema as the row groups of one Parquet file (pandas metadata kept)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer = None
    pool = pa.default_memory_pool()
    try:
        for df in frames:
            table = pa.Table.from_pandas(df, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            writer.write_table(table, row_group_size=ROW_GROUP)
            del table
            pool.release_unused()  # give the row group's buffers back (mimalloc keeps them otherwise)
    finally:
        if writer is not None:
            writer.close()


def _issue_frames(model: ReformModel) -> Iterator[pd.DataFrame]:
    n = len(model.issues)
    domains = _domain_labels(model.issues.domain_mask[:n], model.spec.domains)
    for start in range(0, max(n, 1), ROW_GROUP):
        yield issue_frame(model, slice(start, start + ROW_GROUP), domains=domains, copy=False)


def write_run(model: ReformModel, out: str | Path, *, history: bool = True, graphml: bool = True,
              summary: dict[str, Any] | None = None) -> Path:
    """Write the run's outputs to directory ``out`` and return it.

    Files: ``summary.json`` (flat run metrics), ``scenario.json`` (the resolved scenario),
    ``timeseries.parquet`` (one row per day), ``issues.parquet`` (one row per issue),
    ``events.parquet`` (each issue's history, when recorded and ``history``) and
    ``org_graph.graphml`` (unless ``graphml`` is False). Issues and events are written in row
    groups of :data:`ROW_GROUP` rows, so a city's million issues never exist as one DataFrame.
    ``summary``: ``model.summary()`` when the caller has it already (computed otherwise).
    """
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        summary = model.summary() if summary is None else summary
        (out / "summary.json").write_text(json.dumps(json_ready(summary), indent=2,
                                                     ensure_ascii=False), encoding="utf-8")
        (out / "scenario.json").write_text(json.dumps(model.spec.model_dump(mode="json"), indent=2,
                                                      ensure_ascii=False), encoding="utf-8")
        model.timeseries().to_parquet(out / "timeseries.parquet", index=False)
        _write_parquet(_issue_frames(model), out / "issues.parquet")
        if history and model.events.enabled:
            _write_parquet(model.events.frames(ROW_GROUP), out / "events.parquet")
        if graphml:
            write_graphml(model.org, out / "org_graph.graphml")
    except OSError as exc:
        raise OutputError(f"cannot write run outputs to '{out}': {exc}") from None
    return out
