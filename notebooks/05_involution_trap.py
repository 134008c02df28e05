# %% [markdown]
# # 05 · The involution trap (内卷化陷阱): rules, overhead, effort and outcomes
#
# **Seed papers 000 and 003.** Z city's paper warns that ever more elaborate governance rules
# risk an *involution trap* of governance performance, and recommends empowering the centre
# while avoiding rule complexity (000-21). Shiquan's paper finds involution in public
# governance — much resource put in, little gain in efficacy (003-17) — under a
# pressure-type system (压力型体制) in which targets are passed down and raised level by level
# (003-03), and warns against innovations that stay formal (流于形式, 伪创新, 003-18).
#
# **In the model** (docs/ODD.md 7.13–7.15). With adaptive rule growth on, the centre reviews
# the on-time rate every 30 days (open issues past their deadline count as late) and adds 3
# rules and indicators when it is below the target (`workload.performance_target`: 0.96 in
# the teaching county, just above the ~0.95 it attains). Each rule costs every unit 0.5 % of its capacity (reporting, indicators, meetings)
# and adds assessment pressure. Pressure raises effort (more staff-days, accumulating
# strain) and the chance that a unit which would miss a deadline closes the case on paper
# (形式化办结), which comes back later.
#
# **Involution index** (内卷化指数; docs/ODD.md 7.16): the growth of the rules' input that
# bought no improvement of the outcome the rules target. With R the mean rule-overhead share
# of the trailing 30 days and R0 that of the reference window (days 31–60),
# `g_R = ln((R + e)/(R0 + e))` (e: one rule's share), and `g_O` the growth of the
# censoring-aware on-time rate between the same windows, `I = g_R − min(g_R, max(0, g_O))`
# when rules grew, else 0. I = 0 when the rules do not change, whatever the load; I = g_R
# when rules grew and on-time did not improve (**pattern P5**).

# %% tags=["parameters"]
# Parameters (the tests run this notebook with smaller values)
SCENARIO = "teaching"
DAYS = 365
RULES_FROM = 30            # day on which adaptive rule growth is switched on
SEEDS = list(range(1, 7))
TARGETS = [0.9, 0.93, 0.96]         # workload.performance_target values of the sweep (county attains ~0.95)
OVERHEADS = [0.0025, 0.005, 0.01]   # workload.rule_overhead_per_rule values of the sweep
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

from reformabm.compare import compare, effects_table

RULES = [f"rule_growth@{RULES_FROM}"]
EX = ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("forkserver"))
# the scenario's own setting is switched off in both arms, so that only the reform differs
BASE = {"workload.rule_growth": False}

# %% [markdown]
# ## 1 Twins over time: rules, overhead and effort
#
# Three seeds, each without and with rule growth from day `RULES_FROM` (dashed line).

# %%
frames = []
for seed in SEEDS[:3]:
    for arm, reforms in [("baseline", []), ("reform", RULES)]:
        t = ReformModel(SCENARIO, rng=seed, days=DAYS, overrides=BASE, reforms=reforms).run().timeseries()
        frames.append(t.assign(seed=seed, arm=arm))
twins = pd.concat(frames, ignore_index=True)
plots.timeseries(twins, ["rules", "rule_overhead_share", "effort_staff_days", "pressure_mean",
                         "on_time_rate", "involution_index"], hue="arm", lang=LANG, ncols=3, rolling=7)


# %% [markdown]
# ## 2 Effort against outcomes
#
# Each point is a 30-day window of one run: staff-days of effort against issues closed *and
# held* (closures that did not come back). Involution shows as the drift upwards — more
# effort for the same outcomes — rather than to the right. (The index itself looks at the
# rules' overhead against on-time, so campaigns or a heavier load alone do not move it.)

# %%
def windows(t, w=30):
    t = t.sort_values("day")
    held_per_day = t["held_closures"].diff().fillna(t["held_closures"])
    return pd.DataFrame({"day": t["day"], "effort": t["effort_staff_days"].rolling(w).sum(),
                         "held closures": held_per_day.rolling(w).sum()}).iloc[2 * w::w]

pts = pd.concat([windows(g).assign(arm=arm, seed=seed)
                 for (arm, seed), g in twins.groupby(["arm", "seed"])], ignore_index=True)
fig, ax = plt.subplots(figsize=(6.4, 4.2))
sns.scatterplot(data=pts, x="held closures", y="effort", hue="arm", size="day", sizes=(15, 120), ax=ax)
ax.set(xlabel=T("issues closed and held per 30 days", "30天内真实办结事件"),
       ylabel=T("effort, staff-days per 30 days", "30天投入（人日）"));

# %% [markdown]
# ## 3 The effect with confidence intervals
#
# Paired over all seeds. Relative effects for the outcome metrics; absolute ones for the
# involution index (a log ratio near zero) and the overhead share.

# %%
involution = compare(SCENARIO, RULES, seeds=SEEDS, days=DAYS, overrides=BASE, executor=EX)
M = ["closure_rate", "on_time_rate", "days_to_close_mean", "formal_closure_share", "satisfaction",
     "utilisation_department", "utilisation_township"]
display(plots.effects(involution, M, lang=LANG))
plots.effects(effects_table(involution, ["involution_index", "rule_overhead_share", "rules"]),
              relative=False, lang=LANG, title="absolute effects")

# %% [markdown]
# ## 4 When is the trap deep? A small sweep
#
# With rule growth on, a grid over the performance target (how demanding the reviews are)
# and the overhead per rule (how costly each new indicator is). The heatmaps show the mean
# involution index and on-time rate at the end of the run.

# %%
import tempfile
from pathlib import Path

from reformabm.experiments import grid_sweep

WORKDIR = Path(tempfile.mkdtemp(prefix="reformabm_nb_"))  # temporary sweep stores


# %%
grid = grid_sweep({"workload.rule_growth": [True], "workload.performance_target": TARGETS,
                               "workload.rule_overhead_per_rule": OVERHEADS},
                WORKDIR / "involution", scenario=SCENARIO, workers=WORKERS, days=DAYS, replications=min(2, len(SEEDS)))
display(plots.response_surface(grid, "workload.performance_target", "workload.rule_overhead_per_rule",
                               "involution_index", lang=LANG, cmap="rocket_r"))
plots.response_surface(grid, "workload.performance_target", "workload.rule_overhead_per_rule",
                       "on_time_rate", lang=LANG)

# %% [markdown]
# ## Questions
#
# 1. The rule is "add rules when performance disappoints". Why can it not stop by itself once
#    the overhead is what lowers performance? What would a stopping rule look like (000-21:
#    "return to practical mass work")?
# 2. Effort rises with pressure, and so do closures on paper. Neither enters the index
#    directly: where do they show — in `effort_staff_days`, in the comebacks (`reopened`),
#    in the gap between `on_time_rate` and `on_time_rate_closed_only`?
# 3. Is the index's reference window (days 31–60) a fair baseline when rule growth starts on
#    day 30? Try `RULES_FROM = 90`.

# %%
EX.shutdown()
import shutil

shutil.rmtree(WORKDIR, ignore_errors=True)
