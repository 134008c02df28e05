# %% [markdown]
# # 02 · The linkage centre (联动中心): authority, coordination dependence, load and campaigns
#
# **Case: Z city (苏南Z市), seed paper 000 (刘成良《县域联动治理的实践逻辑》).** Z is a rich
# county-level city in southern Jiangsu (000-01). Its grid-management linkage centre
# (社会综合治理网格化联动中心) is a public institution at section-chief rank (正科级) directly
# under the city government (000-05); its director also heads the party committee's general
# office and may report to the principal leaders at any time (000-06). The centre absorbed
# digital city management (数字化城管) and the 12345 hotline (000-08), classifies matters and
# routes them to the responsible department (分类和归口处理), and keeps a closed loop (000-16).
#
# The paper names four problems (in its abstract; the section evidencing them is missing
# from the seed text): the centre lacks authority and depends on **high-level coordination**
# (高位协调依赖, 000-17); **governance load** (治理负荷) grows faster than response capacity
# (回应能力, 000-18); departments are frequently mobilised for the government's **central
# work** (中心工作, 000-19, 000-20); and ever more elaborate rules risk an **involution trap**
# (000-21; notebook 05). The paper gives no sizes or case volumes (000-22): every size in
# the `z_city` scenario is an assumption.
#
# **In the model** (docs/ODD.md 7.7–7.8). A department pushes back (推诿) a cross-boundary
# or ambiguous issue with probability `pushback_propensity × (1 − authority)`. The pushed-back
# issue becomes a dispute at the centre, which settles it itself with probability
# `authority`; otherwise it waits for the leader, who settles `attention_per_day` disputes a
# day. Coordination dependence = share of department closures that needed the leader.
# Whether authority lowers dependence is built into these rules; what the model adds is how
# the leader's queue, delays and deadlines follow from it.

# %% tags=["parameters"]
# Parameters (the tests run this notebook with smaller values)
SCENARIO = "z_city"            # falls back to the teaching county if not shipped
DAYS = 120                     # days of the illustrated runs
SWEEP_DAYS = 90                # days of each run of the sweep
SEEDS = [1, 2]                 # replications per setting
AUTHORITY = [0.2, 0.5, 0.8]    # centre.authority values of the sweep
LOAD = [0.8, 1.0, 1.25]        # issue rate relative to the scenario's
WORKERS = 2                    # worker processes
LANG = "en"

# %%
# %matplotlib inline

import numpy as np
import pandas as pd
from IPython.display import display

from reformabm import ReformModel, plots

T = plots.setup_notebook(LANG)  # display options, figure style; T(en, zh): a label in LANG


# %%
from reformabm import load_scenario
from reformabm.scenario import available_scenarios

if SCENARIO not in available_scenarios():
    print(f"scenario {SCENARIO!r} is not shipped in this version; using the teaching county")
    SCENARIO = "teaching"
spec = load_scenario(SCENARIO)
print(spec.scenario.description)
print("centre authority:", spec.centre.authority, "| leader attention/day:", spec.leaders.attention_per_day,
      "| issues per person-year:", spec.residents.issues_per_person_year,
      "| campaign every", spec.workload.campaign_interval_days, "days")


# %% [markdown]
# ## 1 One run: disputes, the leader's queue and campaigns
#
# Central-work campaigns (中心工作动员) divert a share of department capacity for a month
# (000-19); the grey bands mark them. Watch the leader's queue (disputes waiting for the
# leaders, 待领导协调) and the departments' load.

# %%
model = ReformModel(SCENARIO, rng=SEEDS[0], days=DAYS).run()
ts = model.timeseries()
fig = plots.timeseries(ts, ["coordination_dependence", "leader_queue", "utilisation_department",
                            "on_time_rate"], lang=LANG, rolling=7)
on = ts["campaign_active"].to_numpy(bool)
for ax in fig.axes:
    for start, end in zip(np.flatnonzero(np.diff(np.r_[0, on.astype(int)]) == 1),
                          np.flatnonzero(np.diff(np.r_[on.astype(int), 0]) == -1), strict=True):
        ax.axvspan(ts.day.iloc[start], ts.day.iloc[end], color="grey", alpha=0.15, lw=0)
fig

# %%
s = model.summary()
pd.Series({k: s[k] for k in ["issues_created", "dispatches", "pushbacks", "disputes_to_leader",
                             "disputes_settled_by_centre", "coordination_dependence", "campaigns",
                             "campaign_staff_days"]}).to_frame(SCENARIO)

# %% [markdown]
# ## 2 Authority × load: a small grid sweep
#
# The sweep runs every combination of centre authority (联动中心权威) and load (issue rate
# ×0.8, ×1, ×1.25) for each seed, in parallel on the local cores (`reformabm.experiments`, see
# `docs/sweeps.md`).

# %%
import tempfile
from pathlib import Path

from reformabm.experiments import grid_sweep

WORKDIR = Path(tempfile.mkdtemp(prefix="reformabm_nb_"))  # temporary sweep stores


# %%
base_rate = spec.residents.issues_per_person_year
runs = grid_sweep({"centre.authority": AUTHORITY,
                 "residents.issues_per_person_year": [round(base_rate * x, 4) for x in LOAD]},
                WORKDIR / "authority_load", scenario=SCENARIO, workers=WORKERS, days=SWEEP_DAYS, replications=len(SEEDS))
runs["load"] = (runs["residents.issues_per_person_year"] / base_rate).round(2)
runs[["centre.authority", "load", "seed", "coordination_dependence", "pushback_rate",
      "on_time_rate", "utilisation_department"]].head()

# %% [markdown]
# **Pattern P1** (docs/ODD.md 1.2): coordination dependence falls as the centre's authority
# rises. A politically empowered centre (政治赋权, Kaifeng's city centre is one grade higher,
# 正处级, 002-17) settles disputes itself and meets less push-back.

# %%
plots.response_surface(runs, "centre.authority", z="coordination_dependence", hue="load", lang=LANG)

# %%
plots.response_surface(runs, "centre.authority", z="pushback_rate", hue="load", lang=LANG)

# %% [markdown]
# **Load against capacity** (000-18). The same staff facing more issues: on-time performance
# and department utilisation over the grid of authority and load. Authority removes disputes;
# it does not add staff-days.

# %%
display(plots.response_surface(runs, "centre.authority", "load", "on_time_rate", lang=LANG))
plots.response_surface(runs, "centre.authority", "load", "utilisation_department", lang=LANG, cmap="rocket_r")

# %% [markdown]
# ## 3 Central work: campaigns on and off (paired seeds)
#
# The twin of each run has no periodic campaigns (`workload.campaign_interval_days = 0`), all
# else equal, with the same seeds (`common_random_numbers` in the sweep: replication r uses
# the same seed in both arms). The paired differences show what the campaigns cost the
# routine work of the departments (000-19).

# %%
interval = spec.workload.campaign_interval_days or 60
camp = grid_sweep({"workload.campaign_interval_days": [0, interval]},
                WORKDIR / "campaigns", scenario=SCENARIO, workers=WORKERS, days=DAYS, replications=len(SEEDS))
METRICS = ["on_time_rate", "days_to_close_mean", "utilisation_department", "coordination_dependence",
           "campaigns"]
on = camp[camp["workload.campaign_interval_days"] == interval].set_index("replication")[METRICS]
off = camp[camp["workload.campaign_interval_days"] == 0].set_index("replication")[METRICS]
(on - off).agg(["mean", "min", "max"])   # paired differences over the seeds (same seed in both arms)

# %% [markdown]
# ## Questions
#
# 1. The model makes push-back proportional to `1 − authority`. Which facts of 000 and 002
#    support a *monotone* relation, and which would suggest a threshold (e.g. the centre's
#    rank relative to the departments', 002-23)?
# 2. At high load, does more authority still help on-time performance? Why not, in terms of
#    where the queue sits (departments, not the leader)?
# 3. Campaigns take capacity from departments for a month. Which outputs recover after a
#    campaign and which do not (look at the time series)?

# %%
import shutil

shutil.rmtree(WORKDIR, ignore_errors=True)   # the sweep stores were temporary
