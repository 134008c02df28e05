"""Running a sweep: chunks of runs on any ``concurrent.futures.Executor``, into a store.

The per-chunk function :func:`run_chunk` is module-level and takes one picklable
:class:`ChunkTask`, so it runs the same in this process, in a process pool and on a Dask
cluster. Each task carries its runs' seeds (and run ids), so no two tasks are equal and Dask's
``pure=True`` could never merge two of them. A run that raises is returned as a row with
``status = "failed"`` and its error; the sweep goes on.

The driver (:func:`sweep`) keeps a bounded window of chunks in flight, writes each finished
chunk to the :class:`~reformabm.experiments.store.RunStore` at once and forgets it, so memory
is bounded by the chunk size and the number of workers, never by the size of the sweep.
"""

from __future__ import annotations

import math
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reformabm.experiments.design import Sweep, SweepError, run_seed
from reformabm.experiments.executors import SequentialExecutor, executor_workers
from reformabm.experiments.shards import Shard
from reformabm.experiments.store import RunStore
from reformabm.scenario import Scenario

__all__ = [
    "RunSpec", "ChunkTask", "ChunkResult", "SweepOptions", "SweepReport", "run_one", "run_chunk",
    "sweep", "grid_sweep",
]


@dataclass(frozen=True)
class RunSpec:
    """One run: its identity, seed and settings (the overrides and reforms of its point)."""

    run_id: int
    point_id: int
    replication: int
    seed: int
    attempt: int
    overrides: dict[str, Any]
    reforms: tuple[str, ...]


@dataclass(frozen=True)
class ChunkTask:
    """Many runs of one sweep, sent to a worker as one task."""

    scenario: Scenario
    days: int
    runs: tuple[RunSpec, ...]
    timeseries_every: int = 0  # 0: no time series
    timeseries_columns: tuple[str, ...] | None = None
    run_fn: Callable[..., tuple[dict[str, Any], pd.DataFrame | None]] | None = None


@dataclass
class ChunkResult:
    """What a worker returns: one row per run, and the thinned time series (or None)."""

    runs: pd.DataFrame
    timeseries: pd.DataFrame | None


def run_one(scenario: Scenario, days: int, run: RunSpec, timeseries_every: int = 0,
            timeseries_columns: tuple[str, ...] | None = None
            ) -> tuple[dict[str, Any], pd.DataFrame | None]:
    """Run one model; return its summary metrics and (optionally) its thinned time series.

    Module-level and picklable. Raises whatever the model raises (the caller records it).
    """
    from reformabm.model import ReformModel

    model = ReformModel(scenario, rng=run.seed, days=days, overrides=run.overrides,
                        reforms=list(run.reforms), collect_daily=bool(timeseries_every))
    model.run()
    summary = model.summary()
    ts = None
    if timeseries_every:
        df = model.timeseries()
        keep = (df["day"] % timeseries_every == 0) | (df["day"] == df["day"].max())
        df = df[keep]
        if timeseries_columns:
            df = df[["day", *[c for c in timeseries_columns if c != "day" and c in df.columns]]]
        ts = df.reset_index(drop=True)
    return summary, ts


def _metric_value(v: Any) -> Any:
    if v is None or isinstance(v, bool):
        return float("nan") if v is None else float(v)
    if isinstance(v, (int, float, np.integer, np.floating)):
        return float(v)
    if isinstance(v, (list, tuple)):
        return " + ".join(map(str, v))
    return str(v)


def run_chunk(task: ChunkTask) -> ChunkResult:
    """Run every run of ``task``; a run that raises becomes a ``failed`` row, never an exception.

    Module-level and picklable (the unit of work of every backend).
    """
    fn = task.run_fn or run_one
    rows: list[dict[str, Any]] = []
    series: list[pd.DataFrame] = []
    for run in task.runs:
        ident = {"run_id": run.run_id, "point_id": run.point_id, "replication": run.replication,
                 "seed": run.seed, "attempt": run.attempt}
        t0 = time.perf_counter()
        try:
            summary, ts = fn(task.scenario, task.days, run, task.timeseries_every,
                             task.timeseries_columns)
        except Exception as exc:  # a failed run is data
            rows.append({**ident, "status": "failed", "error": f"{type(exc).__name__}: {exc}",
                         "traceback": traceback.format_exc(limit=-8),
                         "wall_time": time.perf_counter() - t0})
            continue
        metrics = {k: _metric_value(v) for k, v in summary.items() if k != "seed"}
        rows.append({**ident, "status": "ok", "error": None, "traceback": None,
                     "wall_time": time.perf_counter() - t0, **metrics})
        if ts is not None:
            ts = ts.copy()
            ts.insert(0, "run_id", run.run_id)
            series.append(ts)
    df = pd.DataFrame(rows)
    for col in ("run_id", "point_id", "replication", "seed", "attempt"):
        df[col] = df[col].astype("int64")
    for col in ("error", "traceback"):
        df[col] = df[col].astype("string")
    return ChunkResult(runs=df, timeseries=pd.concat(series, ignore_index=True) if series else None)


# ---- the driver --------------------------------------------------------------------------------


@dataclass
class SweepOptions:
    """How a sweep runs (never what it computes: results do not depend on these).

    Attributes
    ----------
    chunk_size : int
        Runs per task; 0 chooses guided sizes: each chunk takes ``ceil(runs left / (4 * workers))``
        runs, from 50 down to 1 at the end (:func:`_guided_chunks`).
    retry_failed : bool
        Also rerun the stored runs whose status is ``failed`` (a new attempt, same seed).
    max_in_flight : int
        Chunks submitted but not finished; 0 means ``2 * workers + 1``.
    progress : bool
        Show a progress bar on stderr (runs done / total, rate, ETA).
    on_chunk : callable, optional
        Called as ``on_chunk(report)`` after each chunk is stored (e.g. a custom progress view).
    run_fn : callable, optional
        Replacement for :func:`run_one` (module-level, picklable), e.g. a test's failing run.
    shard : Shard, optional
        Run only this shard's runs (:class:`~reformabm.experiments.shards.Shard`), next to the
        other shards writing into the same store.
    """

    chunk_size: int = 0
    retry_failed: bool = False
    max_in_flight: int = 0
    progress: bool = False
    on_chunk: Callable[[SweepReport], None] | None = None
    run_fn: Callable[..., Any] | None = None
    shard: Shard | None = None


@dataclass
class SweepReport:
    """Counts of a sweep session (of a shard's runs only, for a shard)."""

    out: Path
    total: int
    already: int = 0
    todo: int = 0
    done_now: int = 0
    failed_now: int = 0
    failed_total: int = 0
    chunks: int = 0
    wall_time: float = 0.0
    parts: list[str] = field(default_factory=list)
    shard: str | None = None

    @property
    def stored(self) -> int:
        """Runs stored now (before this session and during it)."""
        return self.already + self.done_now


#: Largest automatic chunk (runs per task).
MAX_AUTO_CHUNK = 50


def _chunks(ids: list[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def _guided_chunks(ids: list[int], workers: int) -> Iterator[list[int]]:
    """Guided self-scheduling (Polychronopoulos & Kuck 1987): ``ceil(left / (4 workers))`` runs, 1..50.

    Chunks shrink as the sweep nears its end, down to single runs, so no worker idles for long
    while another finishes a large last chunk; early chunks are large, so per-task costs
    (pickling the scenario, a store write) stay few.
    """
    i = 0
    while i < len(ids):
        n = max(1, min(MAX_AUTO_CHUNK, math.ceil((len(ids) - i) / (4 * workers))))
        yield ids[i:i + n]
        i += n


def sweep(design: Sweep, out: str | Path, executor: Executor | None = None,
          options: SweepOptions | None = None, *, sweep_text: str | None = None) -> SweepReport:
    """Run (or resume) a sweep into the store in ``out``.

    Parameters
    ----------
    design : Sweep
        The validated sweep (:func:`~reformabm.experiments.load_sweep`).
    out : str or Path
        Output directory; created, or resumed if it holds this sweep's store.
    executor : concurrent.futures.Executor, optional
        Where chunks run: a ``ProcessPoolExecutor``, a Dask ``Client.get_executor()``, anything
        with ``submit``. Default: this process, one chunk after another.
    options : SweepOptions, optional
        Chunk size, retrying failed runs, progress display.
    sweep_text : str, optional
        The sweep file's text, copied to ``out/sweep.toml`` on creation.

    Returns
    -------
    SweepReport
        Counts: total, already stored, run now, failed.

    Raises
    ------
    SweepError
        If ``out`` holds another sweep, or the executor fails (the runs finished so far stay
        stored; run again to resume).
    """
    opts = options or SweepOptions()
    executor = executor or SequentialExecutor()
    t0 = time.perf_counter()
    store = RunStore.open(out, design, sweep_text=sweep_text, shard=opts.shard)
    try:
        return _run(design, store, executor, opts, t0)
    finally:
        store.close()


def grid_sweep(levers: dict[str, list[Any]], out: str | Path, *, scenario: str, days: int,
               replications: int, seed: int = 1, workers: int = 2,
               common_random_numbers: bool = True) -> pd.DataFrame:
    """Run every combination of the lever values (a grid sweep) into ``out``; one row per run.

    The notebooks' shortcut for a sweep file with ``design.kind = "grid"`` and explicit lever
    values: built with :func:`~reformabm.experiments.parse_sweep`, run on ``workers`` local
    processes (resumed if ``out`` holds it), read back with :func:`~reformabm.experiments.load`.
    """
    from reformabm.experiments.design import parse_sweep
    from reformabm.experiments.executors import make_executor
    from reformabm.experiments.store import load

    out = Path(out)
    design = parse_sweep({
        "sweep": {"name": out.name, "scenario": scenario, "days": days, "replications": replications,
                  "seed": seed, "common_random_numbers": common_random_numbers},
        "design": {"kind": "grid", "size": 3},
        "levers": {path: {"values": list(values)} for path, values in levers.items()},
    })
    with make_executor("local", workers=workers) as ex:
        sweep(design, out, ex)
    return load(out)


def _run(design: Sweep, store: RunStore, executor: Executor, opts: SweepOptions,
         t0: float) -> SweepReport:
    R = design.replications
    mine = opts.shard.runs(design.n_runs) if opts.shard else range(design.n_runs)
    total = len(mine)
    status = store.status()
    if opts.shard is not None:
        status = status[status["run_id"].map(opts.shard.owns).astype(bool)]
    done = set(status["run_id"].tolist())
    failed = status[status["status"] == "failed"]
    attempts = dict(zip(status["run_id"], status["attempt"], strict=True))
    todo = [i for i in mine if i not in done]
    if opts.retry_failed:
        todo = sorted(todo + failed["run_id"].astype(int).tolist())
    redo = len(failed) if opts.retry_failed else 0
    report = SweepReport(out=store.out, total=total, already=len(done) - redo, todo=len(todo),
                         failed_total=len(failed) - redo,
                         shard=str(opts.shard) if opts.shard else None)
    workers = executor_workers(executor)
    size = opts.chunk_size or design.spec.sweep.chunk_size  # 0: guided sizes
    sequential = isinstance(executor, SequentialExecutor)  # runs at submit: store each at once
    points = store.points()
    settings = _Settings(design, points)
    store.start_session(runs_to_do=len(todo), workers=workers, chunk_size=size or "guided",
                        executor=type(executor).__name__)
    bar = _progress(opts.progress, total, report.already)
    every = design.spec.outputs.every if design.spec.outputs.timeseries else 0
    cols = tuple(design.spec.outputs.columns) if design.spec.outputs.columns else None
    pending: dict[Future, int] = {}  # future -> submission order
    submitted = 0
    chunks = _chunks(todo, size) if size else _guided_chunks(todo, workers)
    try:
        while True:
            # re-read the worker count: a Dask cluster may still be scaling up
            window = opts.max_in_flight or (1 if sequential else 2 * executor_workers(executor) + 1)
            while len(pending) < window:
                ids = next(chunks, None)
                if ids is None:
                    break
                runs = tuple(settings.run(i, R, attempts.get(i, 0) + 1) for i in ids)
                task = ChunkTask(design.scenario, design.days, runs, every, cols, opts.run_fn)
                pending[executor.submit(run_chunk, task)] = submitted
                submitted += 1
            if not pending:
                break
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in sorted(finished, key=pending.__getitem__):  # store in submission order
                del pending[fut]
                exc = fut.exception()
                if exc is not None:
                    raise SweepError(
                        f"the executor failed ({type(exc).__name__}: {exc}); {report.stored} of "
                        f"{total} runs are stored in '{store.out}'; run the same command again "
                        "to resume") from exc
                res: ChunkResult = fut.result()
                report.parts.append(store.write_chunk(res.runs, res.timeseries))
                n_failed = int((res.runs["status"] == "failed").sum())
                report.done_now += len(res.runs)
                report.failed_now += n_failed
                report.failed_total += n_failed
                report.chunks += 1
                if bar is not None:
                    bar.update(len(res.runs))
                    bar.set_postfix(failed=report.failed_total, refresh=False)
                if opts.on_chunk is not None:
                    opts.on_chunk(report)
        store.drop_superseded()  # after a retry (even one killed earlier): each run once
    except BaseException:
        for fut in pending:
            fut.cancel()
        report.wall_time = time.perf_counter() - t0
        store.end_session(interrupted=True, runs_done=report.done_now, failed=report.failed_now)
        raise
    finally:
        if bar is not None:
            bar.close()
    report.wall_time = time.perf_counter() - t0
    store.end_session(runs_done=report.done_now, failed=report.failed_now,
                      wall_time=round(report.wall_time, 3))
    return report


class _Settings:
    """Per-point overrides and reforms, computed once per point and looked up per run."""

    def __init__(self, design: Sweep, points: pd.DataFrame) -> None:
        self.design = design
        self.rows = points.to_dict("records")
        self.common = design.spec.sweep.common_random_numbers
        self._cache: dict[int, tuple[dict[str, Any], tuple[str, ...]]] = {}

    def run(self, run_id: int, replications: int, attempt: int) -> RunSpec:
        point, rep = divmod(run_id, replications)
        if point not in self._cache:
            ov, rf = self.design.point_settings(self.rows[point])
            self._cache[point] = (ov, tuple(rf))
        ov, rf = self._cache[point]
        seed = run_seed(self.design.seed, point, rep, common=self.common)
        return RunSpec(run_id, point, rep, seed, attempt, ov, rf)


def _progress(show: bool, total: int, initial: int) -> Any:
    if not show:
        return None
    import sys

    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit="run", file=sys.stderr, dynamic_ncols=True,
                smoothing=0.1)
