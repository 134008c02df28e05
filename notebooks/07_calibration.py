# %% [markdown]
# # 07 · Calibration against the papers and a ticket log (校准：论文数据与工单台账)
#
# Every behavioural number of a scenario starts as a schema default or an assumption.
# `reformabm.calibration` ties them to data:
#
# * a **targets file** lists observed figures, each with a tolerance and its source;
# * `calibrate` fits parameters to it: **ABC-SMC** (approximate Bayesian computation with
#   pyabc; a posterior over the parameters) or **SMM** (simulated method of moments with
#   scipy; a point estimate with a confidence interval);
# * `ingest` turns a county's 12345 / grid-platform ticket log (工单) into a targets file,
#   with the same metric definitions as the model's `summary.json`.
#
# The first fit is Shiquan county (003): its secretary's ledgers (书记民情三本账) closed
# 8,597 of 8,812 cases in 2016–2021 (97.6 %) with satisfaction of 98.5 % or more (003-07),
# about 8.1–8.9 cases per 1,000 residents a year. The notebook runs on a small budget; the
# worked calibration in `calibration/results/shiquan/` used the same command with more runs.

# %% tags=["parameters"]
# Parameters (the tests run this notebook with smaller values)
DAYS = 365            # days per simulation
BUDGET = 60           # model runs for the Shiquan fit (the worked calibration: 300)
LOG_BUDGET = 30       # model runs for the fit to the example ticket log
WORKERS = 2
BACKEND = "local"     # "local", "dask" or "sequential"
LANG = "en"

# %%
# %matplotlib inline

import pandas as pd
from IPython.display import display

from reformabm import plots

T = plots.setup_notebook(LANG)  # display options, figure style; T(en, zh): a label in LANG


# %%
import tempfile
from pathlib import Path

from reformabm.calibration.calibrate import calibrate, problem_from_targets
from reformabm.calibration.figures import fit_figure, posterior_figure
from reformabm.calibration.ingest import EXAMPLES_DIR, ingest, write_targets
from reformabm.calibration.targets import load_targets

WORKDIR = Path(tempfile.mkdtemp(prefix="reformabm_calibration_"))

# %% [markdown]
# ## 1 The targets
#
# `calibration/targets/shiquan.toml` holds the paper's figures with their sources, and the
# parameters to fit with their prior ranges (four: the share of ledger claims that can never
# be settled, and three that were assumptions in `models/shiquan.toml`). The population and
# the number of layers are inputs of the scenario, kept as checks.

# %%
tf = load_targets("shiquan")
display(pd.DataFrame([t.model_dump() for t in tf.target])[["metric", "value", "tolerance", "source"]])
display(pd.DataFrame([p.model_dump() for p in tf.param]))

# %% [markdown]
# ## 2 Fit by ABC-SMC
#
# Each simulation is one parameter vector run with `replications` seeds; its distance is the
# largest target deviation in tolerances, so a generation whose epsilon is below 1 has every
# accepted particle within every tolerance. The history is a SQLite file: interrupted, the
# same call continues from the last finished generation.

# %%
problem = problem_from_targets(tf, days=DAYS)
res = calibrate(problem, method="abc", budget=BUDGET, out=WORKDIR / "shiquan",
                workers=WORKERS, backend=BACKEND if WORKERS > 1 else "sequential", quiet=False)
report = res.report()
res.history

# %% [markdown]
# ## 3 Read the posterior
#
# `best` is the weighted median, `lo`–`hi` the 90 % credible interval; a parameter is
# *identified* when that interval covers less than half of its prior range. On a budget
# this small most parameters are not yet identified: the posterior is still close to the
# prior. The pair plot shows which combinations the targets allow.

# %%
display(pd.DataFrame(report["params"]).T)
display(posterior_figure(res.posterior_frame(), report))

# %% [markdown]
# ## 4 Check the fit
#
# Runs at `best` with fresh seeds give each target's simulated mean (the dot), with the 90 %
# interval of the accepted particles; the band is the observed value ± its tolerance.

# %%
display(pd.DataFrame(report["targets"]))
display(fit_figure(report))

# %% [markdown]
# ## 5 A ticket log
#
# `calibration/examples/12345_synthetic_log.csv` is a **synthetic** 12345 export (made up;
# no real place): 工单编号, 受理时间, 办结时间, 承办单位, 办理时限, 是否超期, 满意度, 办理状态,
# 重复件. The column map `12345_columns.toml` says which column is which field and how its
# values read. Two rows are broken on purpose: they are reported with their line numbers and
# counted, not dropped in silence. The metrics follow the model's definitions: the
# censoring-aware on-time rate counts open tickets past their time limit as late; the
# closed-only rate is what a bulletin would report.

# %%
log = ingest(EXAMPLES_DIR / "12345_synthetic_log.csv", EXAMPLES_DIR / "12345_columns.toml",
             population=60000)
print(log.source)
print("rejected:", log.rejected)
keys = ["closure_rate", "on_time_rate", "on_time_rate_closed_only", "days_to_close_mean",
        "days_to_close_p90", "reopened_rate", "satisfaction", "issues_per_1000_people"]
pd.Series({k: log.metrics[k] for k in keys}, name="log")

# %% [markdown]
# ## 6 Fit the log
#
# The log becomes a targets file for the teaching county (60,000 residents, the same length
# as the log). Here four of its figures are fitted by SMM: every evaluation uses the same
# seeds (common random numbers), a Latin-hypercube design is followed by a compass search, and
# the interval comes from the moments' local slopes. The teaching county is deliberately
# overloaded, so whether it *can* match a well-run hotline is itself a finding.

# %%
path = write_targets(log, WORKDIR / "log_targets.toml", scenario="teaching",
                     metrics=["closure_rate", "on_time_rate_closed_only", "reopened_rate",
                              "issues_per_1000_people"])
print(path.read_text())
log_fit = calibrate(path, [
    {"path": "residents.issues_per_person_year", "lo": 0.05, "hi": 0.3},
    {"path": "accountability.formal_closure_propensity", "lo": 0.0, "hi": 0.6},
], method="smm", budget=LOG_BUDGET, out=WORKDIR / "log_fit", workers=WORKERS,
    backend=BACKEND if WORKERS > 1 else "sequential")
display(pd.DataFrame(log_fit.report()["params"]).T)
display(fit_figure(log_fit.report()))

# %% [markdown]
# ## From the command line
#
# ```bash
# reformabm calibrate shiquan --budget 300 --workers 2 --out runs/cal_shiquan
# reformabm ingest calibration/examples/12345_synthetic_log.csv \
#     --columns calibration/examples/12345_columns.toml --scenario teaching --out runs/log.toml
# reformabm calibrate runs/log.toml --method smm --param residents.issues_per_person_year=0.05:0.3
# ```
#
# See `docs/calibration.md` for the file formats and the methods.
