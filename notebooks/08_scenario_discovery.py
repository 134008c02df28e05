# %% [markdown]
# # 08 · Where does a reform fail? Shards, scenario discovery and more sensitivity methods (情景发现)
#
# Sensitivity indices (notebook 06) answer *which lever matters*. A reformer also asks
# *under which combinations of conditions the reform fails*: **scenario discovery**, as
# EMA workbench made it standard (Bryant & Lempert 2010; Kwakkel 2017). This notebook
#
# 1. runs a small Latin-hypercube sweep of the teaching county **in shards**, the way a
#    SLURM job array would (`reformabm sweep FILE --out DIR --shard I/N`), and checks that
#    a final plain sweep finds nothing left to run;
# 2. marks the runs where the on-time rate (按时办结率) is poor and lets **PRIM** and **CART**
#    find the boxes of lever space that hold them: centre authority (联动中心权威, the
#    "insufficient authority" of 000), push-back (推诿, 001) and whether the township layer is
#    removed (撤乡镇, the Longgang reform of 004);
# 3. reads **Borgonovo's delta** and **PAWN** (they look at the whole distribution of an
#    output, not only its variance) next to **Sobol'** on a small Sobol design.
#
# The sweeps are tiny, so read the boxes and rankings, not the decimals.

# %% tags=["parameters"]
# Parameters (the tests run this notebook with smaller values)
POINTS = 120          # Latin-hypercube points of the discovery sweep
DAYS = 120            # days per run (the reform applies on REFORM_DAY)
REFORM_DAY = 30
SHARDS = 3            # job-array tasks, run one after another here
SOBOL_N = 16          # Sobol base sample N, a power of 2
WORKERS = 2
LANG = "en"

# %%
# %matplotlib inline

import pandas as pd
from IPython.display import display

from reformabm import plots

T = plots.setup_notebook(LANG)  # display options, figure style; T(en, zh): a label in LANG


# %%
import json
import tempfile
from pathlib import Path

from reformabm.experiments import Shard, SweepOptions, load, make_executor, parse_sweep, sweep, to_ema
from reformabm.experiments.discovery import discover, plot_boxes, plot_tradeoff
from reformabm.experiments.sensitivity import analyze, format_table

WORKDIR = Path(tempfile.mkdtemp(prefix="reformabm_discovery_"))
LEVERS = {
    "centre.authority": {"range": [0.1, 0.9]},
    "process.pushback_propensity": {"range": [0.2, 0.8]},
    "reforms": {"options": {"none": [], "remove_township": [f"remove_layer:layer=township@{REFORM_DAY}"]}},
}
data = {
    "sweep": {"name": "discovery", "scenario": "teaching", "days": DAYS, "replications": 1, "seed": 8},
    "design": {"kind": "lhs", "size": POINTS},
    "levers": LEVERS,
}
design = parse_sweep(data)
print(f"{design.kind} design: {design.n_points} points, {design.n_runs} runs of {design.days} days")

# %% [markdown]
# ## 1 A sweep in shards (分片)
#
# Shard *I* of *N* runs the runs whose `run_id` is *I* − 1 modulo *N*: disjoint parts that
# together make the whole design. On a cluster each is one array task, all writing into the
# same directory at once (`reformabm sweep FILE --out DIR --slurm N` writes the script). Here
# they run one after the other; a last plain sweep then has nothing left to do.

# %%
OUT = WORKDIR / "lhs"
with make_executor("local", workers=WORKERS) as ex:
    for i in range(1, SHARDS + 1):
        r = sweep(design, OUT, ex, SweepOptions(shard=Shard(i, SHARDS)))
        print(f"shard {r.shard}: {r.done_now} runs now, {r.stored} of its {r.total} stored")
final = sweep(design, OUT)
print(f"plain sweep afterwards: {final.done_now} runs to do, {final.stored} of {final.total} stored")
print(sorted(p.name for p in (OUT / "runs").glob("*.parquet"))[:4], "...")

# %% [markdown]
# ## 2 Which runs fail?
#
# A run is a *case of interest* when its on-time rate is in the worst quarter of the sweep
# (a threshold you would set from a policy target, e.g. 0.8).

# %%
runs = load(OUT)
THRESHOLD = float(runs["on_time_rate"].quantile(0.25))
print(f"on-time rate below {THRESHOLD:.3f}: {int((runs['on_time_rate'] < THRESHOLD).sum())} of {len(runs)} runs")
plots.response_surface(runs, "centre.authority", "process.pushback_propensity", "on_time_rate",
                       lang=LANG, bins=4)

# %% [markdown]
# ## 3 PRIM boxes (EMA workbench)
#
# PRIM peels lever space step by step. Each step trades *coverage* (the share of all
# failing runs inside the box) for *density* (the share of the box's runs that fail). The box
# reported is the most covering one with density ≥ 0.8 (or the densest, if none gets there).
# `reformabm discover DIR --metric on_time_rate --below X` does the same from the command line
# and writes `boxes.json` and both figures.

# %%
result = discover(OUT, "on_time_rate", below=THRESHOLD)
print(f"{result.n_cases} of {result.n_runs} runs have {result.rule}")
for j, box in enumerate(result.boxes, 1):
    print(f"box {j}: coverage {box['coverage']:.2f}, density {box['density']:.2f}, {box['n']} runs")
    print("   ", json.dumps(box["limits"], ensure_ascii=False))
display(plot_tradeoff(result, lang=LANG))
plot_boxes(result, lang=LANG)

# %% [markdown]
# CART (a classification tree) answers the same question with axis-parallel splits; its
# dense leaves are boxes too. When both methods restrict the same levers, trust the finding
# more.

# %%
tree = discover(OUT, "on_time_rate", below=THRESHOLD, method="cart")
for j, box in enumerate(tree.boxes, 1):
    print(f"CART box {j}: coverage {box['coverage']:.2f}, density {box['density']:.2f}:",
          json.dumps(box["limits"], ensure_ascii=False))

# %% [markdown]
# EMA workbench users can take the store as the `(experiments, outcomes)` pair they know and
# use any of its tools (feature scoring, dimensional stacking, PRIM's own plots):

# %%
experiments, outcomes = to_ema(OUT)
print(experiments.dtypes.to_string())
print(sorted(outcomes)[:8], "...")

# %% [markdown]
# ## 4 Delta and PAWN next to Sobol'
#
# A small Sobol design (N·(k+2) points) gives Sobol' indices (S1, ST: shares of variance).
# The same runs also feed Borgonovo's **delta** and **PAWN**, which compare whole output
# distributions. They can rank a lever higher when it moves the tail (rare collapses of
# the on-time rate) more than the mean. `reformabm sensitivity DIR --method delta|pawn|rbd_fast`
# reads any LHS, random or Sobol store; asking a method for a design it cannot use names
# the design it needs.

# %%
sobol_design = parse_sweep({**data, "design": {"kind": "sobol", "size": SOBOL_N},
                            "sweep": {**data["sweep"], "common_random_numbers": True}})
with make_executor("local", workers=WORKERS) as ex:
    sweep(sobol_design, WORKDIR / "sobol", ex)
METRICS = ["on_time_rate", "pushback_rate"]
tables = {m: analyze(WORKDIR / "sobol", METRICS, method=m) for m in ("sobol", "delta", "pawn")}
print(format_table(tables["sobol"]))
side = pd.concat({
    "Sobol ST": tables["sobol"].set_index(["metric", "lever"])["ST"],
    "delta": tables["delta"].set_index(["metric", "lever"])["delta"],
    "PAWN median": tables["pawn"].set_index(["metric", "lever"])["median"],
}, axis=1)
display(side)
display(plots.sensitivity(tables["delta"], lang=LANG, ncols=2))
plots.sensitivity(tables["pawn"], lang=LANG, ncols=2)

# %% [markdown]
# ## On the command line
#
# ```sh
# reformabm sweep FILE --out out/d --shard 1/3      # ... 2/3, 3/3, at the same time if you like
# reformabm sweep FILE --out out/d --slurm 64       # writes out/d/slurm.sh: sbatch it
# reformabm discover out/d --metric on_time_rate --below 0.6 [--method cart] [--lang zh]
# reformabm sensitivity out/d --method delta        # or pawn, rbd_fast; sobol/morris/dgsm need their designs
# ```

# %%
import shutil

shutil.rmtree(WORKDIR, ignore_errors=True)
