# %% [markdown]
# # 04 · Abolishing the township (撤销乡镇): flattening, big departments and the middle layer
#
# **Case: Longgang (龙港), "the city directly governs communities" (市直管社区), seed paper 004
# (刘柯、陈宝胜).** In 2019 Longgang town became a county-level city and the township layer
# was abolished entirely, under the slogan "大部制、扁平化、市社一体、条抓块统" (004-01,
# 004-02). The staff quota was capped (004-03): agencies and quota are about 40 % of a
# comparable county (004-06). Departments were merged into big bureaus (大部制): four into a
# natural-resources-and-planning-construction bureau, nine livelihood departments into a
# social-affairs bureau (004-04). Between the city and its 102 communities, nine **areas**
# (片区) appeared — no administrative level, no quota, no legal status (004-10) — drifted into
# acting like townships (乡镇化) and were replaced in 2021 by 26 **governance units**
# (基层治理单元, 004-11): a middle layer without personnel, finance or property powers (004-15),
# "reverse flattening" (逆扁平化, 004-14). And: cutting a layer adds work to the two levels
# next to it (004-20).
#
# Section 0 runs the **Longgang scenario itself** (`models/longgang.toml`: 400,000 residents,
# 102 communities, the township layer removed with staff at about 40 % on day 91, big
# departments, 9 areas, then 26 governance units on day 274), before and after in one run.
# The rest of the notebook asks the classroom question *"what happens if we abolish the
# township layer in the (small, fast) teaching county?"* with a Longgang-like package of
# reforms: before/after in one run; where the work goes; counterfactual twins with 95 %
# confidence intervals; does the middle layer come back?

# %% tags=["parameters"]
# Parameters (the tests run this notebook with smaller values)
LONGGANG_DAYS = 365  # the Longgang run of section 0 (its reforms fall on days 91 and 274)
SCENARIO = "teaching"
DAYS = 300
REFORM_DAY = 120
SEEDS = list(range(1, 9))
OVERLOAD = 0.55      # department utilisation above which quasi-units appear (middle_layer_rule);
                     # the working teaching county runs its departments at ~0.42, ~0.57 after flattening
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

FLATTEN = [f"remove_layer:layer=township@{REFORM_DAY}"]
BIG_DEPARTMENTS = [
    f"merge_departments:into=social_affairs,members=civil_affairs+human_resources+health,"
    f"label_zh_name=社会事业局@{REFORM_DAY}",
    f"merge_departments:into=planning_construction,members=natural_resources+housing+transport+environment,"
    f"label_zh_name=自然资源与规划建设局@{REFORM_DAY}",
]
MIDDLE_LAYER = [f"middle_layer_rule:overload={OVERLOAD}@{REFORM_DAY}"]
PACKAGE = FLATTEN + BIG_DEPARTMENTS + MIDDLE_LAYER
EX = ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("forkserver"))
PACKAGE

# %% [markdown]
# ## 0 Longgang itself (龙港), before and after in one run
#
# The scenario carries its own reform schedule (`[[reforms]]` in `models/longgang.toml`); the
# reform days are marked in the figure. Watch the layers drop from 4 to 3 and come back with
# the areas (片区), and department utilisation rise when the townships' work moves up (004-20).

# %%
longgang = ReformModel("longgang", rng=1, days=LONGGANG_DAYS).run()
lg = longgang.summary()
print("reforms applied:", [(r.get("name"), r.get("day")) for r in longgang.reforms_applied],
      "| not reached in this run:", longgang.reforms_not_reached)
display(pd.Series({k: lg[k] for k in ["population", "issues_created", "on_time_rate", "coordination_dependence",
                                      "utilisation_department", "staff_total", "n_layers"]}, name="longgang"))
plots.timeseries(longgang, ["open", "on_time_rate", "utilisation_department", "n_layers"], lang=LANG, rolling=7)

# %% [markdown]
# ## 1 Before and after, in one run
#
# `remove_layer` attaches the villages to the county (span of control 8 → 40); a quarter of
# the township staff goes to the county departments, 15 % down to the villages, the rest is
# cut (the quota cap, 004-03). Pending issues of the townships are handed over, never lost.
# Two big departments are formed the same day. The persistent rule `middle_layer_rule` then
# inserts quasi-units (片区) under any unit with a span above 30 whose departments are
# overloaded (utilisation ≥ `OVERLOAD` over two weeks).

# %%
model = ReformModel(SCENARIO, rng=SEEDS[0], days=DAYS, reforms=PACKAGE)
model.run(REFORM_DAY - 1)
display(plots.org_network(model, lang=LANG, title=f"day {model.day}: before the reform"))
model.run()
display(plots.org_network(model, lang=LANG, title=f"day {model.day}: after the reform"))
model.summary()["reforms_applied"]

# %%
ts = model.timeseries()
plots.timeseries(ts, ["n_layers", "span_of_control_max", "open", "days_to_close_mean",
                      "utilisation_department", "utilisation_village"], lang=LANG, ncols=3, rolling=7)

# %% [markdown]
# ## 2 Where does the work go? (004-20)
#
# Mean utilisation by kind of unit in the two months before the reform and in the last two
# months of the run. The levels next to the removed one — the county's departments above,
# the villages below — are the ones to watch.

# %%
kinds = ["grid", "village", "area", "township", "centre", "department", "leader"]
window = min(60, REFORM_DAY - 1)
before = ts[(ts.day < REFORM_DAY) & (ts.day >= REFORM_DAY - window)]
after = ts[ts.day > DAYS - window]
util = pd.DataFrame({"before": before[[f"utilisation_{k}" for k in kinds]].mean().to_numpy(),
                     "after": after[[f"utilisation_{k}" for k in kinds]].mean().to_numpy()},
                    index=[T(plots.label(k, "en"), plots.label(k, "zh")) for k in kinds])
long = util.reset_index(names="unit").melt(id_vars="unit", var_name="period", value_name="utilisation")
fig, ax = plt.subplots(figsize=(8, 3.4))
sns.barplot(data=long.dropna(), x="unit", y="utilisation", hue="period", ax=ax)
ax.set(xlabel="", ylabel=T("utilisation", "负荷"));

# %% [markdown]
# ## 3 Counterfactual twins with 95 % confidence intervals
#
# Each seed is run twice: without reforms and with them; until `REFORM_DAY` the two runs are
# identical (common random numbers), so the paired difference at the end is the effect of
# the reform for that seed. `compare` averages it over the seeds with a 95 % CI from
# Student's t. Three packages: flattening alone, with big departments, and with the middle
# layer rule as well.

# %%
M = ["closure_rate", "on_time_rate", "days_to_close_mean", "hops_mean", "pushback_rate",
     "utilisation_department", "satisfaction", "staff_total"]
packages = {"flatten": FLATTEN, "+ big departments": FLATTEN + BIG_DEPARTMENTS, "+ middle layer": PACKAGE}
comparisons = {name: compare(SCENARIO, reforms, seeds=SEEDS, days=DAYS, executor=EX)
               for name, reforms in packages.items()}
effects = pd.concat({name: effects_table(c, M).set_index("metric") for name, c in comparisons.items()})
effects[["baseline", "reform", "effect", "ci_low", "ci_high", "n"]]

# %%
plots.effects(comparisons, M, lang=LANG, title=f"{SCENARIO}: reforms on day {REFORM_DAY}, {len(SEEDS)} seeds")

# %% [markdown]
# The same twins over time (mean of the first three seeds and a 95 % band): the arms
# coincide until the reform day, then part.

# %%
frames = []
for seed in SEEDS[:3]:
    for arm, reforms in [("baseline", []), ("reform", PACKAGE)]:
        t = ReformModel(SCENARIO, rng=seed, days=DAYS, reforms=reforms).run().timeseries()
        frames.append(t.assign(seed=seed, arm=arm))
twins = pd.concat(frames, ignore_index=True)
plots.timeseries(twins, ["open", "days_to_close_mean", "on_time_rate", "utilisation_department"],
                 hue="arm", lang=LANG, rolling=7)

# %% [markdown]
# ## 4 Does the middle layer come back?
#
# With the rule on, a seed whose departments stay overloaded after the flattening grows a
# fourth layer again (`n_layers` back to 4). Share of seeds in which it happened:

# %%
runs = comparisons["+ middle layer"].runs
layers = runs[runs.arm == "reform"].set_index("seed")["n_layers"]
print(f"middle layer re-emerged in {int((layers > 3).sum())} of {len(layers)} seeds (n_layers at the end: "
      f"{layers.to_dict()})")

# %% [markdown]
# ## Questions
#
# 1. Which outcome does flattening worsen most, and through which mechanism (span of
#    control, staff cut, level-3 issues now solved by county departments)?
# 2. Do big departments help? Look at push-back and at department utilisation: what does the
#    counterpart overhead (对口, 10+ upper-level counterparts, 004-18) cost?
# 3. The model's quasi-units solve nothing: they are one more hand-over. Why then do they come
#    back in the model — and in Longgang? (See `classroom/exercise_middle_layer`.)
# 4. What would "digital tools instead of people" (数字换人, 004-21) look like here? Try adding
#    `platform@REFORM_DAY` to the package.

# %%
EX.shutdown()
