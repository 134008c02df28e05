# %% [markdown]
# # 01 · Quickstart: the teaching county (教学县)
#
# `reformabm` is an agent-based model of how the **structure** of Chinese local government
# decides what happens to residents' problems (诉求/事件): which are found, how they are routed,
# whether they are solved on time, pushed around (推诿) or lost. Structure means the levels
# (层级), the functional departments (条), the territorial blocks (块), the linkage centre
# (联动中心) and grid management (网格化管理).
#
# This notebook runs the **teaching county**: one county with a linkage centre, a leader, a
# supervision bureau and a discipline commission; 5 townships, 40 villages, 120 grids and 13
# departments for 60,000 people. Its sizes and rates are *assumptions* made for class use,
# shaped after the seed cases: a county linkage centre under a leading group (000, Z city),
# township command rooms and village research rooms (002, Kaifeng), grids with grid workers
# (002, 003). The model is described in `docs/ODD.md`, the terms in `docs/glossary.md`, the
# facts from the five seed papers in `docs/sources.md`.
#
# You will
# 1. run the model for a simulated year;
# 2. read its outputs: the **summary**, the daily **time series** and the **issue log**;
# 3. draw the **organisation network**;
# 4. **follow one issue** through the organisation;
# 5. schedule a **reform** inside the run;
# 6. open the **live view** (SolaraViz) in a cell.

# %% tags=["parameters"]
# Parameters (the tests run this notebook with smaller values)
DAYS = 365          # simulated days; one step of the model is one day
SEED = 7            # the run's random seed: same seed, same run
LANG = "en"         # "zh": Chinese labels in the figures (drawn with the font reformabm ships)
LIVE_VIEW = True    # show the SolaraViz live view at the end

# %%
# %matplotlib inline

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from IPython.display import display

from reformabm import ReformModel, plots
from reformabm.terminal import summary_table

T = plots.setup_notebook(LANG)  # display options, figure style; T(en, zh): a label in LANG


# %% [markdown]
# ## 1 Build and run the model
#
# `ReformModel(scenario, rng=seed, days=...)` builds the organisation graph from the scenario
# file `models/teaching.toml`. Every organisational unit is a node of a networkx graph
# (`model.org`) and carries a Mesa agent. Residents (居民) are agents too, one per 100 people.

# %%
model = ReformModel("teaching", rng=SEED, days=DAYS)
kinds = pd.Series(dict(model.org.nodes(data="kind"))).value_counts().rename("units").to_frame()
kinds["中文"] = [plots.label(k, "zh") for k in kinds.index]
kinds


# %%
# %time _ = model.run()   # or model.step() for one day at a time

# %% [markdown]
# ## 2 The summary
#
# `model.summary()` is a flat dict of run metrics (the keys of `summary.json` written by
# `reformabm run`). The main ones:
#
# | metric | 中文 | meaning |
# |---|---|---|
# | `closure_rate` | 办结率 | issues closed / issues created |
# | `on_time_rate` | 按时办结率 | closed within the original deadline of their level, 1/3/5/7/10 days for levels 1–5 (Kaifeng's "135710", 002-14), over all issues whose deadline has passed: an issue still open past its deadline counts as late |
# | `on_time_rate_closed_only` | 按时办结率（仅计办结件） | the figure governments report: closed on time (extensions included) / closed; a backlog flatters it |
# | `days_to_close_mean`, `_p50`, `_p90`, `_p99` | 办结时长 | days from creation to closure, Kaplan–Meier with open issues counted as not closed yet (`_closed_only`: closed issues only) |
# | `coordination_dependence` | 高位协调依赖 | share of department closures that needed the leader to settle a dispute (000-17) |
# | `pushback_rate` | 推诿率 | push-backs per dispatch to a department (000-14, 001-10) |
# | `misdispatch_rate` | 错派率 | wrong dispatches per dispatch (information islands, 000-15) |
# | `formal_closure_share` | 形式化办结占比 | closures on paper that did not solve the problem |
# | `utilisation_<kind>` | 负荷 | staff-days worked / staff-days available, by kind of unit |

# %%
def table(summaries, keys):
    """Summary metrics side by side, with their Chinese names (counts as integers, shares in %)."""
    return summary_table(summaries, keys)


# %%
summary = model.summary()
KEYS = ["issues_created", "closure_rate", "on_time_rate", "days_to_close_mean",
        "coordination_dependence", "pushback_rate", "misdispatch_rate", "formal_closure_share",
        "satisfaction", "utilisation_department", "utilisation_township", "utilisation_village",
        "utilisation_grid", "n_layers", "span_of_control_max"]
table({"teaching": summary}, KEYS)

# %% [markdown]
# ## 3 The daily time series
#
# `model.timeseries()` has one row per day (Mesa's DataCollector): stocks such as open issues,
# flows such as issues closed today, running rates, and a `reform` column that names the
# reforms applied that day (empty here). `plots.timeseries` draws any of its columns.

# %%
ts = model.timeseries()
ts[["day", "open", "in_process", "closed", "closure_rate", "on_time_rate",
    "coordination_dependence", "utilisation_department", "reform"]].tail()

# %%
plots.timeseries(ts, ["open", "on_time_rate", "coordination_dependence", "utilisation_department"],
                 lang=LANG, rolling=7)

# %% [markdown]
# *Reading it.* `open` counts every unsolved problem, including those nobody has found yet
# (latent); the rates are cumulative since day 1, so they settle after a few weeks. The
# departments (职能部门) are the busiest units: most level-4 and level-5 issues need them.

# %% [markdown]
# ## 4 The issue log
#
# `model.issue_frame()` has one row per issue: where and when it arose, its category and
# required level (the lowest level able to solve it), how it became known (`channel`: patrol
# by the grid worker 网格员, a resident's hotline call 12345, ...), where it ended, how many
# hand-overs (`hops`) and returns (`bounces`) it took, whether it needed the leader.

# %%
issues = model.issue_frame()
issues.head()

# %%
issues.groupby(["channel", "status"], observed=True).size().unstack(fill_value=0)

# %%
closed = issues[issues.status == "closed"]
fig, ax = plt.subplots(figsize=(7, 3.6))
sns.boxplot(data=closed, x="required_level", y="days_to_close", showfliers=False, ax=ax, color="#8fb3d9")
ax.scatter(range(5), [1, 3, 5, 7, 10], marker="_", s=900, color="#d62728",
           label=T('"135710" deadline (002-14)', "“135710”时限"))
ax.set_xlabel(T("required level of the issue", "事件层级"))
ax.set_ylabel(T("days to close", "办结天数"))
ax.legend(loc="upper left");

# %% [markdown]
# ## 5 The organisation network
#
# `plots.org_network` draws the organisation graph in rows by level: the leaders (领导小组)
# with the supervision bureau (督察局) and discipline commission (纪委监委), the linkage centre
# with its departments beside it (条), then the territorial units (块) from the county down to
# the grids. Colour = today's utilisation, size = open issues held.

# %%
plots.org_network(model, lang=LANG)

# %% [markdown]
# ## 6 Follow one issue
#
# Every issue's history is kept (`model.issue_history(issue_id)`): one row per event
# (`created`, `discovered`, `escalated` 逐级上报, `dispatched` 派单, `misdispatched` 错派,
# `pushed_back` 推诿退回, `to_leader`, `coordinated` 领导协调, `solved`, `closed` 办结, ...)
# with the day and the unit. Here is an issue that needed the leader to settle a dispute
# between departments (高位协调): the one with the most hand-overs.

# %%
# a closed issue that needed the leader (高位协调), the one with the most hand-overs
pool = closed[closed.needed_leader] if closed.needed_leader.any() else closed
iid = int(pool.sort_values(["hops", "bounces", "issue_id"]).issue_id.iloc[-1])
issues.set_index("issue_id").loc[iid, ["category", "required_level", "channel", "hops", "bounces",
                                        "needed_leader", "days_to_close", "on_time"]]

# %%
history = model.issue_history(iid)
history["unit_name"] = [model.org.nodes[u]["name"] if u in model.org else "(removed)" for u in history.unit]
history

# %%
plots.issue_journey(model, iid, lang=LANG)

# %% [markdown]
# ## 7 A reform inside the run
#
# Reforms are scheduled as `name:param=value,...@day` (the same text as the command line's
# `--reform`). Here the digital platform of Kaifeng (数字平台, 五层贯通, 002) is switched on
# half-way through the year. The dashed red line marks the reform day. Because the same
# seed is used, the run is identical to the one above until that day — the *counterfactual
# twin* (反事实对照) that `reformabm.compare` turns into effects with confidence intervals
# (notebook 04). `reformabm reforms` in a terminal lists every reform.

# %%
reformed = ReformModel("teaching", rng=SEED, days=DAYS, reforms=[f"platform@{DAYS // 2}"]).run()
plots.timeseries(reformed, ["open", "days_to_close_mean", "misdispatch_rate", "on_time_rate"],
                 lang=LANG, rolling=7)

# %%
table({"baseline": summary, "platform": reformed.summary()}, KEYS)

# %% [markdown]
# ## 8 The live view
#
# The SolaraViz app of `reformabm viz` (Play / Step / Reset, parameter sliders, reforms to
# apply now, English / 中文) also runs inside a notebook cell: run the cell below in
# JupyterLab. It needs the `viz` extra (`pip install 'reformabm[viz]'`). In a terminal the
# same app opens in the browser with `reformabm viz teaching`.

# %%
if LIVE_VIEW:
    try:
        from reformabm.viz.app import Page
    except ImportError as exc:
        print(f"The live view is not available here ({exc}).\n"
              "Install the visualisation extra: pip install 'reformabm[viz]'")
    else:
        display(Page())

# %% [markdown]
# ## Where next
#
# * `02_linkage_centre` — centre authority and coordination dependence (Z city, 000)
# * `03_five_level_platform` — escalation, deadlines, lights and blame (Kaifeng, 002, 001)
# * `04_abolishing_the_township` — flattening with counterfactual twins (Longgang, 004)
# * `05_involution_trap` — rule growth and involution (000, 003)
# * `06_sweeps_and_sensitivity` — designed sweeps and sensitivity analysis
# * `07_calibration` — fitting parameters to the papers' figures and to a ticket log
# * `08_scenario_discovery` — shards, where a reform fails (PRIM, CART), delta and PAWN
# * `classroom/` — two exercises with answer notebooks
