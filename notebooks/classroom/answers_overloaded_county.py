# %% [markdown]
# # Answers to exercise 1 · Design a reform for an overloaded county (为超负荷的县设计改革)
#
# The teaching county has had a hard year: residents bring **twice as many problems** as
# usual (0.4 instead of 0.2 issues per person a year), and nobody will add staff. The county
# party secretary asks you: *which organisational reform would help most, and at what cost?*
#
# You will diagnose the county (where are the queues?), choose a reform from the menu, predict
# its effect, test it with counterfactual twins (the same seeds with and without the reform)
# and judge the result against the seed papers. Work in pairs; write your answers in the
# markdown cells marked **Answer**.
#
# *This is the answer notebook: the same diagnosis, then every plausible reform tested side by
# side, with worked answers. Numbers printed below come from the runs; the text explains the
# mechanisms behind them.*

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

# %%
worst = pd.Series({k: s[f"on_time_rate_level_{k}"] for k in range(1, 6)}).idxmin()
busiest = util.idxmax()
print(f"busiest kind of unit: {busiest} (utilisation {util.max():.2f}); "
      f"lowest on-time rate: level {worst} ({s[f'on_time_rate_level_{worst}']:.2f})")

# %% [markdown]
# **A1.** The county's **departments** (职能部门) are the overloaded units: most level-4 and
# level-5 issues end there, and with twice the issues their utilisation (about 0.8 on
# average, more on busy days; about 0.42 in a normal year) is the highest of all, with the
# township command rooms, which solve level-3 issues, close behind. The
# issues of levels 4 and 5 miss their deadlines (7 and 10 days) most often, and they are
# where the issue-days are held (holding share at rank 4). Grid teams and villages have
# spare capacity — the load is in the wrong place for them to help.
#
# **A2.** Mostly **capacity**. Push-back and disputes exist (see `pushback_rate`,
# `coordination_dependence`), but they are a small share of the dispatches; the queue is the
# departments' queue of work. Reforms that only remove disputes will move coordination
# dependence a lot and on-time performance little.

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
# ## Every candidate, tested
#
# Each reform applied on `REFORM_DAY`, all with the same seeds (paired twins).

# %%
CANDIDATES = {
    "empower centre (000, 002)": [f"empower_centre:authority=0.8@{REFORM_DAY}"],
    "digital platform (002)": [f"platform@{REFORM_DAY}"],
    "big department (004)": [f"merge_departments:into=big_urban,members=urban_management+housing+transport"
                             f"@{REFORM_DAY}"],
    "collaboration assessment (001)": [f"collaboration_assessment:weight=0.5@{REFORM_DAY}"],
    "town-village integration (003)": [f"town_village_integration:share=0.4@{REFORM_DAY}"],
    "three-line contacts (003)": [f"three_line_contacts@{REFORM_DAY}"],
    "remove the township (004)": [f"remove_layer:layer=township@{REFORM_DAY}"],
}
results = {name: compare(SCENARIO, reforms, seeds=SEEDS, days=DAYS, overrides=OVERLOAD, executor=EX)
           for name, reforms in CANDIDATES.items()}
effects = pd.concat({name: effects_table(c, M).set_index("metric") for name, c in results.items()})
effects["relative"].unstack("metric")[["on_time_rate", "days_to_close_mean", "coordination_dependence",
                                        "pushback_rate", "utilisation_department", "closure_rate"]].mul(100).round(1)

# %%
plots.effects(results, ["on_time_rate", "days_to_close_mean", "closure_rate", "coordination_dependence",
                        "pushback_rate", "utilisation_department"], lang=LANG, width=8,
              title="paired effects, % of baseline (95 % CI)")

# %%
rel = effects["relative"].unstack("metric")
ci_low = effects["ci_low"].unstack("metric")
print("best for on-time rate:", rel["on_time_rate"].idxmax())
print("best for coordination dependence:", rel["coordination_dependence"].idxmin())
print("clearly worse on-time rate (CI below 0):", list(ci_low.index[effects["ci_high"].unstack("metric")["on_time_rate"] < 0]))

# %% [markdown]
# **A3/A4 — what each reform does here, and why.**
#
# * **Empowering the centre** (联动中心赋权) removes most push-back and most of the leader's
#   coordination, by construction: push-back scales with `1 − authority` and the centre
#   settles disputes itself with probability `authority` (ODD 7.7–7.8). Coordination
#   dependence falls steeply (the clearest effect of all) — but the departments still have
#   the same staff-days, so on-time performance hardly moves. It fixes *coordination*, and
#   the diagnosis said the problem is *capacity*.
# * **The digital platform** (五层贯通) cuts the hand-over delay to zero and distortion per hop
#   to 30 %, and passes issues straight to the level that can solve them: days to close fall
#   and the on-time rate rises, the best result on speed without adding staff.
# * **A big department** unites domains, so push-back between its former members vanishes,
#   but each merged department carries the upper-level counterparts (对口) of all its
#   members, and each beyond the first costs capacity: department utilisation *rises*
#   (004-18, ten or more counterparts per Longgang section).
# * **Collaboration in assessment** (001-11) lowers push-back, like authority, without
#   changing capacity.
# * **Town–village integration** (镇村一体化, 003-09) moves township staff down to the
#   villages, which were not the bottleneck, and takes it from the command rooms that solve
#   level-3 issues.
# * **Removing the township layer** removes staff (most of it is cut) and sends level-3 issues
#   to the already overloaded departments: clearly worse (004-20: the adjacent levels carry
#   the work).
#
# **A5 — costs.** None of these reforms adds staff (`staff_total` is unchanged except for the
# flattening, which cuts it). Empowerment costs political capital the model does not count
# (000-06: the director's concurrent post; 002-17: a higher rank); the platform costs money
# and a closed loop that must really be run (002-13); merging departments costs counterpart
# overhead. The seed papers warn that adding rules to enforce performance leads to the
# involution trap (000-21, notebook 05) and that empowerment without resources leaves
# "limited resources, comprehensive responsibility" at the bottom (002-22).
#
# **A6 — pairs.** Effects add when reforms act on different mechanisms (platform: delay;
# empowerment: disputes) and interact when they act on the same one (empowerment and
# collaboration assessment both scale push-back: the second has little left to remove).

# %%
pair = [f"empower_centre:authority=0.8@{REFORM_DAY}", f"collaboration_assessment:weight=0.5@{REFORM_DAY}"]
both = compare(SCENARIO, pair, seeds=SEEDS, days=DAYS, overrides=OVERLOAD, executor=EX)
one = effects[["effect"]].unstack("metric")["effect"]
pd.DataFrame({
    "empower": one.loc["empower centre (000, 002)", ["pushback_rate", "coordination_dependence"]],
    "collaboration": one.loc["collaboration assessment (001)", ["pushback_rate", "coordination_dependence"]],
    "both": effects_table(both, ["pushback_rate", "coordination_dependence"]).set_index("metric")["effect"],
})

# %%
EX.shutdown()
