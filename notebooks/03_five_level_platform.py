# %% [markdown]
# # 03 · Five levels, one platform: escalation, "135710", lights and blame
#
# **Case: Kaifeng (开封), "one centre, four platforms" (一中心四平台), seed paper 002; blame,
# seed paper 001 (覃宇冰、张勤).** Five tiers are connected (五层贯通, 002-04): the grid worker
# solves level-1 events on the spot (002-05); what the grid cannot solve goes to the village
# research room (研判室, level 2), then the township command room (指挥室, level 3, 002-06),
# the county/district command centre (level 4) and the city centre (level 5), which dispatch
# to departments (002-07). Events must close in **1/3/5/7/10 days** by level ("135710",
# 002-14); cross-department cases may get an extension to at most 15 days (002-15). A
# **yellow light** (黄灯) shows one day before the deadline, a **red light** (红灯) when it
# passes; red cases go to the **supervision bureau** (督察局), which sets its own limit, and
# then to the **discipline commission** (纪委监委), which holds the unit accountable (002-16).
# Paper 001 adds that failures arise at every level, yet accountability tends to punish the
# grassroots (001-12), and proposes blame by stage instead (同系统问责, 001-13).
#
# The scenario `kaifeng_small` is Kaifeng at about 1/20 scale (2 districts, 6 townships, 120
# villages, 290 grids, 34 departments; 002-01, 002-12), with the platform and time-limited
# supervision on. Volumes and staff are assumptions (002-25).

# %% tags=["parameters"]
# Parameters (the tests run this notebook with smaller values)
SCENARIO = "kaifeng_small"
DAYS = 180
SEEDS = [1, 2, 3, 4]
BUSY = 1.5          # issue-rate multiplier of the "busy year" used for blame (section 5)
WORKERS = 2
LANG = "en"

# %%
# %matplotlib inline

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from IPython.display import display

from reformabm import ReformModel, plots

T = plots.setup_notebook(LANG)  # display options, figure style; T(en, zh): a label in LANG


# %%
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from reformabm import load_scenario
from reformabm.compare import compare, effects_table
from reformabm.scenario import available_scenarios

if SCENARIO not in available_scenarios():
    print(f"scenario {SCENARIO!r} is not shipped; using the teaching county with supervision on")
    SCENARIO = "teaching"
spec = load_scenario(SCENARIO)
BASE = {} if spec.accountability.supervision else {"accountability.supervision": True}
EX = ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("forkserver"))
print(spec.scenario.description)


# %% [markdown]
# ## 1 One run: lights, supervision and discipline
#
# `yellow` and `red` count the issues under each light today; `supervision_cases` and
# `discipline_cases` are cumulative. `extensions` counts the deadlines extended at the yellow
# light (at most once, up to 15 days in all). In an ordinary year few cases, if any, get as
# far as the discipline commission; section 5 makes the year busier.

# %%
model = ReformModel(SCENARIO, rng=SEEDS[0], days=DAYS, overrides=BASE).run()
plots.timeseries(model, ["open", "yellow", "red", "extensions", "supervision_cases", "discipline_cases"],
                 lang=LANG, ncols=3)

# %% [markdown]
# ## 2 Escalation: who solves what
#
# Each issue has a required level (the lowest level able to solve it). The table shows the
# kind of unit that finally solved the issues of each level: grid teams solve level 1,
# research rooms level 2, command rooms level 3, and departments dispatched by the county or
# city centre levels 4 and 5.

# %%
issues = model.issue_frame()
done = issues[(issues.status == "closed") & (issues.solver >= 0)].copy()
kind = dict(model.org.nodes(data="kind"))
level = dict(model.org.nodes(data="level"))
done["solved by"] = [f"{plots.label(kind.get(u, 'removed'))}" + (f" ({level[u]})" if kind.get(u) == "department" else "")
                     for u in done.solver]
pd.crosstab(done["solved by"], done["required_level"], normalize="columns").round(2)

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
sns.barplot(data=done, x="required_level", y="hops", ax=axes[0], color="#8fb3d9")
axes[0].set(xlabel=T("required level", "事件层级"), ylabel=T("hand-overs per issue", "流转次数"))
sns.barplot(data=done, x="required_level", y="days_to_close", ax=axes[1], color="#8fb3d9")
axes[1].scatter(range(5), [1, 3, 5, 7, 10], marker="_", s=700, color="#d62728", label='"135710"')
axes[1].set(xlabel=T("required level", "事件层级"), ylabel=T("days to close", "办结天数"))
axes[1].legend();

# %% [markdown]
# On-time rate by level (**pattern P4**): the deadlines are inputs; how often each level
# meets them is an output.

# %%
plots.by_level(model.summary(), ["on_time_rate_level_"], lang=LANG)

# %% [markdown]
# The journey of one level-5 issue, from the grid to the city centre and its departments:

# %%
top = done[done.required_level == done.required_level.max()].sort_values(["hops", "issue_id"])
plots.issue_journey(model, int(top.issue_id.iloc[-1]), lang=LANG)

# %% [markdown]
# ## 3 What does the platform do? (counterfactual twins)
#
# The twin arm switches the platform on from day 1 (`platform@1`), the baseline has it off
# (`process.platform = false` in both arms' scenario). Same seeds, so the paired differences
# are the platform's effect (**pattern P2**: fewer levels to pass, less distortion, 001-08).

# %%
M = ["closure_rate", "on_time_rate", "days_to_close_mean", "misdispatch_rate", "hops_mean",
     "utilisation_department", "satisfaction"]
platform = compare(SCENARIO, ["platform@1"], seeds=SEEDS, days=DAYS,
                   overrides={**BASE, "process.platform": False}, executor=EX)
display(effects_table(platform, M))
plots.effects(platform, M, lang=LANG)

# %% [markdown]
# ## 4 Time-limited supervision (限时督办) on and off
#
# The twin arm switches supervision on from day 1; the baseline has lights counted but no
# extensions, supervision or discipline. Supervision raises the priority of yellow and red
# cases in every queue and the pressure on the units that hold them (more effort, but also
# more closures on paper, 形式化办结).

# %%
M2 = ["on_time_rate", "days_to_close_mean", "formal_closure_share", "closure_rate", "satisfaction"]
supervision = compare(SCENARIO, ["supervision@1"], seeds=SEEDS, days=DAYS,
                      overrides={"accountability.supervision": False}, executor=EX)
display(effects_table(supervision, M2))
plots.effects(supervision, M2, lang=LANG)

# %% [markdown]
# ## 5 Who takes the blame? (追责下沉, pattern P3)
#
# In a busy year (issue rate ×`BUSY`, supervision bureau limit of one day) enough cases reach
# the discipline commission to count them by level. `blame_level_k` is the share of
# accountability cases blamed on a unit of rank k (1 grid … 5 city); `holding_share_level_k`
# is the share of issue-days held at rank k. Two rules: **lowest** blames the lowest unit
# that handled the issue, **last_holder** the unit holding it when it failed. With `lowest`
# the bottom takes the blame although the issues sit mostly higher up — partly *by
# construction*; the comparison of the two rules is the informative part (docs/ODD.md 7.11).

# %%
import tempfile
from pathlib import Path

from reformabm.experiments import grid_sweep

WORKDIR = Path(tempfile.mkdtemp(prefix="reformabm_nb_"))  # temporary sweep stores


# %%
busy = {"residents.issues_per_person_year": [spec.residents.issues_per_person_year * BUSY],
        "accountability.supervision": [True], "accountability.supervision_days": [1]}
blame = grid_sweep({**busy, "accountability.blame_rule": ["lowest", "last_holder"]},
                 WORKDIR / "blame", scenario=SCENARIO, workers=WORKERS, days=DAYS, replications=len(SEEDS))
blame["blame rule"] = blame["accountability.blame_rule"]
blame[["blame rule", "seed", "discipline_cases", *[f"blame_level_{k}" for k in range(1, 6)]]]

# %%
if blame[[f"blame_level_{k}" for k in range(1, 6)]].notna().any().any():
    display(plots.by_level(blame, ["blame_level_", "holding_share_level_"], hue="blame rule", lang=LANG))
else:
    print("No case reached the discipline commission in these runs: run longer or busier.")

# %% [markdown]
# ## Questions
#
# 1. Which levels miss their deadlines most often, and is it because of the deadline (1 day
#    for level 1) or because of the queue (departments)?
# 2. The platform shortens hand-overs and distortion. Which of its effects would you expect
#    to hold in a county with a weak centre (notebook 02)?
# 3. 001 proposes blame by stage (前端/中端/末端, 001-13). How would you implement that rule in
#    the model, and what would you compare it with?

# %%
EX.shutdown()
import shutil

shutil.rmtree(WORKDIR, ignore_errors=True)
