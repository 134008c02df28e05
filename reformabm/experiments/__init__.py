"""Experiments (实验): parameter sweeps at scale and their sensitivity analysis.

The experiment is declared apart from the model (a sweep file, :mod:`.design`), runs on any
``concurrent.futures.Executor`` (:mod:`.executors`: a local process pool or a Dask cluster)
in chunks (:mod:`.runner`), whole or in shards for job arrays (:mod:`.shards`), into a
resumable Parquet store (:mod:`.store`), and is analysed
with SALib (:mod:`.sensitivity`) and EMA workbench's scenario discovery (:mod:`.discovery`). See ``docs/sweeps.md``.

>>> from reformabm.experiments import load_sweep, sweep, make_executor, load  # doctest: +SKIP
>>> design = load_sweep("models/sweeps/teaching_sweep.toml")                 # doctest: +SKIP
>>> with make_executor("local", workers=2) as ex:                            # doctest: +SKIP
...     sweep(design, "out/teaching", ex)
>>> df = load("out/teaching")   # one row per run, with the levers' values    # doctest: +SKIP
"""

from reformabm.experiments.design import (
    DesignKind,
    Lever,
    Sweep,
    SweepError,
    load_sweep,
    parse_sweep,
    run_seed,
    salib_problem,
)
from reformabm.experiments.discovery import discover, to_ema
from reformabm.experiments.executors import SequentialExecutor, make_executor
from reformabm.experiments.runner import SweepOptions, SweepReport, run_chunk, sweep
from reformabm.experiments.shards import Shard, slurm_script
from reformabm.experiments.store import RunStore, load, load_points, load_runs, load_timeseries

__all__ = [
    "DesignKind", "Lever", "Sweep", "SweepError", "load_sweep", "parse_sweep", "run_seed",
    "salib_problem", "SequentialExecutor", "make_executor", "SweepOptions", "SweepReport",
    "run_chunk", "sweep", "discover", "to_ema",
    "Shard", "slurm_script", "RunStore", "load", "load_points", "load_runs", "load_timeseries",
]
