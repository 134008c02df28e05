# %% [markdown]
# # Exercise 2 · Why does the middle layer come back? (中间层为何再生)
#
# In Longgang the township layer was abolished (004-02). Soon nine **areas** (片区) stood
# between the city and its 102 communities — not an administrative level, without quota or
# legal status (004-10); they drifted into acting like townships (乡镇化) and were replaced by
# 26 **governance units** (004-11), still without personnel, finance or property powers
# (004-15). Scholars call this reverse flattening (逆扁平化, 004-14).
#
# In this exercise you abolish the township layer of the teaching county, watch what happens
# to the span of control and the load, and let the model's *re-emergence rule* decide whether a
# quasi-layer appears. Then you ask what the quasi-layer does — and what the model can and
# cannot say about why it comes back.

# %% tags=["parameters"]
# Parameters (the tests run this notebook with smaller values)
SCENARIO = "teaching"
DAYS = 300
REFORM_DAY = 120
SEEDS = [1, 2, 3, 4, 5, 6]
OVERLOAD = 0.55     # middle_layer_rule: department utilisation that triggers quasi-units
                    # (teaching county: ~0.42 before flattening, ~0.57 after)
MAX_SPAN = 30       # middle_layer_rule: span of control above which a unit is "too wide"
WORKERS = 2
LANG = "en"

# %%
# %matplotlib inline

from IPython.display import display

from reformabm import ReformModel, plots

T = plots.setup_notebook(LANG)  # display options, figure style; T(en, zh): a label in LANG


# %%
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from reformabm.compare import compare, effects_table

FLATTEN = [f"remove_layer:layer=township@{REFORM_DAY}"]
RULE = [f"middle_layer_rule:overload={OVERLOAD},max_span={MAX_SPAN}@{REFORM_DAY}"]
EX = ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("forkserver"))

def emergence(model):
    """Day on which quasi-units appeared, or None."""
    days = [r["day"] for r in model.reforms_applied if r["name"] == "middle_layer_emerged"]
    return days[0] if days else None


# %% [markdown]
# ## Part A · Flatten
#
# The township layer is removed on `REFORM_DAY`: villages report to the county directly.

# %%
flat = ReformModel(SCENARIO, rng=SEEDS[0], days=DAYS, reforms=FLATTEN).run()
plots.timeseries(flat, ["span_of_control_max", "utilisation_department", "utilisation_village",
                        "days_to_close_mean"], lang=LANG, rolling=14)

# %% [markdown]
# **Q1.** What happened to the county's span of control (管理幅度) and to the departments'
# load? Which two levels carry the work the townships did (004-20)?
#
# **Answer:** …

# %% [markdown]
# ## Part B · Let the rule decide
#
# `middle_layer_rule` (docs/ODD.md 7.18) checks every two weeks: if the departments' mean
# utilisation over the window is at least `OVERLOAD` **and** some unit commands more than
# `MAX_SPAN` subordinates, it inserts ⌈span / 12⌉ quasi-units (片区) under that unit. They
# have no staff and solve nothing; each is one more hand-over on the way up.

# %%
ruled = ReformModel(SCENARIO, rng=SEEDS[0], days=DAYS, reforms=FLATTEN + RULE).run()
print("quasi-units appeared on day", emergence(ruled))
plots.org_network(ruled, lang=LANG)

# %% [markdown]
# **Q2.** Which two conditions make quasi-units appear in the model? Which of them can you
# find in the Longgang paper (004-10, 004-11, 004-15, 004-18)?
#
# **Answer:** …
#
# **Q3.** Change `OVERLOAD` and `MAX_SPAN` in the parameters cell (or the share of township
# staff kept, `remove_layer:layer=township,reassign_share=0.5`) and run again. When does the
# middle layer *not* come back? Run several seeds: is it the same in every seed?

# %%
came_back = {}
for seed in SEEDS:
    m = ReformModel(SCENARIO, rng=seed, days=DAYS, reforms=FLATTEN + RULE).run()
    came_back[seed] = emergence(m)
came_back

# %% [markdown]
# **Answer:** …
#
# **Q4.** Do the quasi-units help? Compare a flattened county with and without three areas
# (片区) inserted by hand the day after the flattening. (Both arms start from the flattened
# county: the flattening is put into the scenario of both arms with `overrides`.)

# %%
flattened = {"reforms": [{"name": "remove_layer", "day": REFORM_DAY, "layer": "township"}]}
areas = compare(SCENARIO, [f"middle_layer:under=county,count=3@{REFORM_DAY + 1}"], seeds=SEEDS, days=DAYS,
                overrides=flattened, executor=EX)
M = ["closure_rate", "on_time_rate", "days_to_close_mean", "hops_mean", "utilisation_department"]
display(effects_table(areas, M))
plots.effects(areas, M, lang=LANG, title="three areas inserted into the flattened county")

# %% [markdown]
# **Answer:** …
#
# **Q5.** The model inserts quasi-units by a *rule*; it does not compute that they pay off.
# What does that mean for the question "why does the middle layer come back"? Name two
# things Longgang's areas did that the model's quasi-units do not (004-15, 004-16), and one
# reason outside the model's scope (legal status, personnel, promotion, 004-18).
#
# **Answer:** …

# %%
EX.shutdown()
