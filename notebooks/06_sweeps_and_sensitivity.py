# %% [markdown]
# # 06 · Designed sweeps and sensitivity analysis (参数扫描与敏感性分析)
#
# Most magnitudes in the model are assumptions (docs/sources.md, last section), so results
# must be read with their sensitivity. `reformabm.experiments` runs designed experiments
# declared in a *sweep file* (`docs/sweeps.md`), on this machine's cores or on a Dask
# cluster, into a resumable Parquet store, and analyses them with SALib:
#
# * **Morris** screening (elementary effects): μ* ranks the levers by their mean absolute
#   effect; σ signals non-linearity or interaction. Cheap: r·(k+1) points.
# * **Sobol'** indices: S1 = share of output variance due to a lever alone; ST = including its
#   interactions. Expensive: N·(k+2) points, N a power of 2 (256 in the research sweep).
#
# This notebook runs a reduced version of `models/sweeps/teaching_sweep.toml` — a Morris
# design over centre authority (联动中心权威, 000), push-back propensity (推诿), township
# staff and the reform schedule (none / remove the township layer / remove it and merge
# departments, 004) — on the local backend and again on a Dask `LocalCluster`, checks that
# both give identical results, computes the indices and draws response surfaces. A small
# Sobol design follows.

# %% tags=["parameters"]
# Parameters (the tests run this notebook with smaller values)
TRAJECTORIES = 8      # Morris trajectories r (the shipped file has 20)
DAYS = 120            # days per run (the shipped file has 180; keep > 90, its reform day)
REPLICATIONS = 1      # seeds per design point (the shipped file has 2)
SOBOL_N = 16          # Sobol base sample N, a power of 2 (research: 256)
WORKERS = 2
RUN_DASK = True       # also run the sweep on a Dask LocalCluster
LANG = "en"

# %%
# %matplotlib inline

import pandas as pd
from IPython.display import display

from reformabm import plots

T = plots.setup_notebook(LANG)  # display options, figure style; T(en, zh): a label in LANG


# %%
import tempfile
import time
import tomllib
from pathlib import Path

from reformabm.experiments import load, make_executor, parse_sweep, sweep
from reformabm.experiments.sensitivity import analyze, format_table
from reformabm.scenario import MODELS_DIR

SWEEP_FILE = MODELS_DIR / "sweeps" / "teaching_sweep.toml"
WORKDIR = Path(tempfile.mkdtemp(prefix="reformabm_sweep_"))
print(SWEEP_FILE.read_text())

# %% [markdown]
# ## 1 The design, made smaller
#
# The file is read as TOML, a few numbers are changed, and `parse_sweep` validates it
# against the base scenario exactly as `reformabm sweep` would (a mistake is reported with
# the field, the value and what was expected).

# %%
data = tomllib.loads(SWEEP_FILE.read_text())
data["design"]["size"] = TRAJECTORIES
data["sweep"]["days"] = DAYS
data["sweep"]["replications"] = REPLICATIONS
design = parse_sweep(data, source=str(SWEEP_FILE), base_dir=SWEEP_FILE.parent)
print(f"{design.kind} design: {len(design.levers)} levers, {design.n_points} points, {design.n_runs} runs")
design.points().head()

# %% [markdown]
# ## 2 On the local backend
#
# `make_executor("local", workers=N)` is a process pool on this machine (what `reformabm
# sweep --workers N` uses). Runs travel in chunks; each finished chunk is written at once, so
# a killed sweep resumes where it stopped when run again.

# %%
t0 = time.perf_counter()
with make_executor("local", workers=WORKERS) as ex:
    report = sweep(design, WORKDIR / "local", ex)
print(f"local: {report.stored} runs stored, {report.failed_total} failed, {time.perf_counter() - t0:.1f} s")
runs = load(WORKDIR / "local")
runs[["run_id", "seed", *design.lever_names, "on_time_rate", "pushback_rate"]].head()

# %% [markdown]
# ## 3 The same sweep on a Dask cluster
#
# A `LocalCluster` stands in for a real cluster here (on SLURM or PBS use `dask-jobqueue`, see
# `docs/sweeps.md`): the sweep only needs an executor, `client.get_executor()`.
# `make_executor("dask", workers=N)` does the same in one line. The results are identical to
# the local ones: each run's seed depends only on the sweep file, never on the backend.

# %%
if RUN_DASK:
    import logging

    from distributed import Client, LocalCluster

    t0 = time.perf_counter()
    with LocalCluster(host="127.0.0.1", dashboard_address=None, n_workers=WORKERS, threads_per_worker=1,
                      processes=True, silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        report = sweep(design, WORKDIR / "dask", client.get_executor(pure=False))
    print(f"dask: {report.stored} runs stored, {time.perf_counter() - t0:.1f} s (with the cluster's start-up)")
    metrics = ["closure_rate", "on_time_rate", "pushback_rate", "coordination_dependence", "satisfaction"]
    a = load(WORKDIR / "local").sort_values("run_id").reset_index(drop=True)
    b = load(WORKDIR / "dask").sort_values("run_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(a[["run_id", "seed", *metrics]], b[["run_id", "seed", *metrics]])
    print("local and Dask results are identical")

# %% [markdown]
# ## 4 Morris indices
#
# `analyze` averages each point's replications and computes μ*, μ and σ per lever and
# metric (per unit of the lever's normalised range; the reform schedule is a categorical
# lever mapped to equal cells of [0, 1]).

# %%
METRICS = ["on_time_rate", "days_to_close_mean", "coordination_dependence", "pushback_rate"]
morris = analyze(WORKDIR / "local", METRICS)
print(format_table(morris))
plots.sensitivity(morris, lang=LANG, ncols=2)

# %% [markdown]
# ## 5 Response surfaces
#
# The same runs, read directly: one output against one or two levers.

# %%
display(plots.response_surface(runs, "centre.authority", "process.pushback_propensity", "pushback_rate",
                               lang=LANG, bins=4))
display(plots.response_surface(runs, "centre.authority", z="coordination_dependence", hue="reforms",
                               lang=LANG, bins=4))
plots.response_surface(runs, "reforms", z="days_to_close_mean", lang=LANG)

# %% [markdown]
# ## 6 A small Sobol design
#
# The same levers with Saltelli's sampling scheme: N·(k+2) points. With N = 16 the confidence
# intervals are wide — read the *ranking*, and see `models/sweeps/research_sweep.toml` (N =
# 256, about 45 CPU-minutes) for a real analysis.

# %%
sobol_data = tomllib.loads(SWEEP_FILE.read_text())
sobol_data["design"] = {"kind": "sobol", "size": SOBOL_N}
sobol_data["sweep"].update(days=DAYS, replications=1, common_random_numbers=True)
sobol_design = parse_sweep(sobol_data, source=str(SWEEP_FILE), base_dir=SWEEP_FILE.parent)
print(f"sobol: {sobol_design.n_runs} runs")
with make_executor("local", workers=WORKERS) as ex:
    sweep(sobol_design, WORKDIR / "sobol", ex)
sobol = analyze(WORKDIR / "sobol", ["on_time_rate", "coordination_dependence"])
print(format_table(sobol))
plots.sensitivity(sobol, lang=LANG, ncols=2)

# %% [markdown]
# ## On the command line
#
# ```sh
# reformabm sweep models/sweeps/teaching_sweep.toml --out out/teaching --workers 2
# reformabm sweep models/sweeps/teaching_sweep.toml --out out/teaching --backend dask
# reformabm sensitivity out/teaching
# ```

# %%
import shutil

shutil.rmtree(WORKDIR, ignore_errors=True)
