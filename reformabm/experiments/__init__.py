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

from typing import Any

#: public name -> defining module; imported on first use (PEP 562), so that ``reformabm --help``
#: does not import pandas and pydantic through the sweep commands' registration
_LAZY = {
    **dict.fromkeys(["DesignKind", "Lever", "Sweep", "SweepError", "load_sweep", "parse_sweep", "run_seed",
                     "salib_problem"], "reformabm.experiments.design"),
    **dict.fromkeys(["discover", "to_ema"], "reformabm.experiments.discovery"),
    **dict.fromkeys(["SequentialExecutor", "make_executor"], "reformabm.experiments.executors"),
    **dict.fromkeys(["SweepOptions", "SweepReport", "grid_sweep", "run_chunk", "sweep"],
                    "reformabm.experiments.runner"),
    **dict.fromkeys(["Shard", "slurm_script"], "reformabm.experiments.shards"),
    **dict.fromkeys(["RunStore", "load", "load_points", "load_runs", "load_timeseries"],
                    "reformabm.experiments.store"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'reformabm.experiments' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "DesignKind", "Lever", "Sweep", "SweepError", "load_sweep", "parse_sweep", "run_seed",
    "salib_problem", "SequentialExecutor", "make_executor", "SweepOptions", "SweepReport",
    "run_chunk", "sweep", "grid_sweep", "discover", "to_ema",
    "Shard", "slurm_script", "RunStore", "load", "load_points", "load_runs", "load_timeseries",
]
