# %% [markdown]
# # Exercise 1 · Design a reform for an overloaded county (为超负荷的县设计改革)
#
# The teaching county has had a hard year: residents bring **twice as many problems** as
# usual (0.4 instead of 0.2 issues per person a year), and nobody will add staff. The county
# party secretary asks you: *which organisational reform would help most, and at what cost?*
#
# You will diagnose the county (where are the queues?), choose a reform from the menu, predict
# its effect, test it with counterfactual twins (the same seeds with and without the reform)
# and judge the result against the seed papers. Work in pairs; write your answers in the
# markdown cells marked **Answer**.

# %% tags=["parameters"]
# Parameters (the tests run this notebook with smaller values)
SCENARIO = "teaching"
LOAD = 2.0             # issue rate relative to the teaching county's 0.2 per person-year
DAYS = 240
REFORM_DAY = 60
SEEDS = [1, 2, 3, 4, 5]
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
from reformabm.reforms import REGISTRY

OVERLOAD = {"residents.issues_per_person_year": load_scenario(SCENARIO).residents.issues_per_person_year * LOAD}
EX = ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("forkserver"))
M = ["closure_rate", "on_time_rate", "days_to_close_mean", "coordination_dependence", "pushback_rate",
     "utilisation_department", "satisfaction", "staff_total"]

# %% [markdown]
# ## Part A · Diagnosis
#
# One run of the overloaded county, no reform.

# %%
model = ReformModel(SCENARIO, rng=SEEDS[0], days=DAYS, overrides=OVERLOAD).run()
s = model.summary()
util = pd.Series({k: s[f"utilisation_{k}"] for k in ["grid", "village", "township", "centre", "department",
                                                    "leader"]}, name="utilisation")
fig, ax = plt.subplots(figsize=(6.5, 3))
sns.barplot(x=[T(plots.label(k), plots.label(k, "zh")) for k in util.index], y=util.to_numpy(), ax=ax,
            color="#8fb3d9")
ax.set(ylabel=T("utilisation", "负荷"), ylim=(0, 1))
ax.tick_params(axis="x", rotation=20);

# %%
plots.by_level(s, ["on_time_rate_level_", "holding_share_level_"], lang=LANG)

# %%
pd.Series({k: s[k] for k in M + ["dispatches", "pushbacks", "disputes_to_leader", "hops_mean"]}).to_frame("value")

# %% [markdown]
# **Q1.** Which kind of unit is overloaded? Which levels of issues miss their deadlines, and
# where are the issues held most of the time?
#
# **Answer:** …
#
# **Q2.** Is the bottleneck *capacity* (staff-days) or *coordination* (push-back, disputes
# waiting for the leader)? Which numbers tell you?
#
# **Answer:** …

# %% [markdown]
# ## Part B · The reform menu
#
# Every reform of the model, its Chinese name, the seed paper it comes from, and its
# parameters with their defaults. Write a reform as `name:param=value,...@day`, e.g.
# `empower_centre:authority=0.7@60` or
# `merge_departments:into=big_urban,members=urban_management+housing+transport@60`.
# `docs/ODD.md` section 7.18 says what each one changes.

# %%
import dataclasses

menu = pd.DataFrame([{"reform": name, "中文": cls.label_zh, "seed paper": cls.seed_paper,
                      "parameters (defaults)": ", ".join(f"{f.name}={f.default!r}" for f in dataclasses.fields(cls)
                                                         if f.default is not dataclasses.MISSING)}
                     for name, cls in sorted(REGISTRY.items())]).set_index("reform")
menu

# %% [markdown]
# **Q3.** Choose one reform (or two) and write it in `MY_REFORMS` below. *Before running*,
# predict: which metrics will improve, which will get worse, and why?
#
# **Answer (prediction):** …

# %%
MY_REFORMS = [f"empower_centre:authority=0.7@{REFORM_DAY}"]   # <- change this

# %% [markdown]
# ## Part C · Test it with counterfactual twins

# %%
mine = compare(SCENARIO, MY_REFORMS, seeds=SEEDS, days=DAYS, overrides=OVERLOAD, executor=EX)
display(effects_table(mine, M))
plots.effects(mine, M, lang=LANG)

# %% [markdown]
# **Q4.** Which effects are clearly different from zero (the 95 % interval excludes 0)?
# Was your prediction right? If not, which mechanism did you miss?
#
# **Answer:** …
#
# **Q5.** What does the reform cost, and who pays (staff, load on other units, the leader's
# attention)? Which seed paper supports your reform, and what does it warn about? (e.g.
# 000-17, 000-21, 002-20, 003-09, 004-18, 004-20 in `docs/sources.md`)
#
# **Answer:** …
#
# **Q6 (extension).** Combine two reforms. Is the effect of the pair the sum of the effects
# of each? Try one pair where you expect the answer to be no.
#
# **Answer:** …

# %%
EX.shutdown()
