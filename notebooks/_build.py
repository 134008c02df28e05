"""Build the teaching and research notebooks from the cell lists below (生成教学与研究笔记本).

The notebooks in this folder are generated: edit the cells here, then run

    .venv/bin/python notebooks/_build.py             # write every notebook (no outputs)
    .venv/bin/python notebooks/_build.py --check     # exit 1 if a notebook differs or has outputs
    .venv/bin/python notebooks/_build.py --execute   # run them all (nbclient) and print timings
    .venv/bin/python notebooks/_build.py --execute 04_abolishing_the_township --keep /tmp/out

so that the code of every notebook can be reviewed as plain Python, the repository holds
notebooks without outputs, and CI can check both. Each notebook has one cell tagged
``parameters`` (papermill's convention): the tests insert a cell after it with smaller
settings (fewer days and seeds) and execute the notebook top to bottom.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
import time
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def md(text: str) -> tuple[str, str]:
    """Make a markdown cell."""
    return ("markdown", textwrap.dedent(text).strip("\n"))


def code(text: str) -> tuple[str, str]:
    """Make a code cell."""
    return ("code", textwrap.dedent(text).strip("\n"))


def params(text: str) -> tuple[str, str]:
    """Make the code cell tagged ``parameters`` (the tests override its values)."""
    return ("parameters", textwrap.dedent(text).strip("\n"))


SETUP = code("""
    %matplotlib inline
    import warnings

    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd
    import seaborn as sns
    from IPython.display import display

    from reformabm import ReformModel, plots

    pd.set_option("display.precision", 3)
    pd.set_option("display.max_columns", 30)
    pd.set_option("display.width", 160)
    sns.set_theme(style="whitegrid", context="notebook", font_scale=0.9)
    if LANG == "zh" and plots.find_cjk_font():   # Chinese labels in the notebook's own figures too
        plt.rcParams["font.sans-serif"] = [plots.find_cjk_font(), "DejaVu Sans"]


    def T(en, zh):
        # a label for this notebook's own figures: Chinese if LANG is "zh" and a CJK font exists
        return zh if LANG == "zh" and plots.find_cjk_font() else en
""")


def metric_table() -> tuple[str, str]:
    return code("""
        def table(summaries, keys):
            \"\"\"Summary metrics side by side, with their Chinese names.\"\"\"
            df = pd.DataFrame({name: [s.get(k) for k in keys] for name, s in summaries.items()}, index=keys)
            df.insert(0, "中文", [plots.label(k, "zh") for k in keys])
            return df
    """)


# ---- 01 quickstart ----------------------------------------------------------------------------

NB01 = [
    md("""
        # 01 · Quickstart: the teaching county (教学县)

        `reformabm` is an agent-based model of how the **structure** of Chinese local government
        decides what happens to residents' problems (诉求/事件): which are found, how they are routed,
        whether they are solved on time, pushed around (推诿) or lost. Structure means the levels
        (层级), the functional departments (条), the territorial blocks (块), the linkage centre
        (联动中心) and grid management (网格化管理).

        This notebook runs the **teaching county**: one county with a linkage centre, a leader, a
        supervision bureau and a discipline commission; 5 townships, 40 villages, 120 grids and 13
        departments for 60,000 people. Its sizes and rates are *assumptions* made for class use,
        shaped after the seed cases: a county linkage centre under a leading group (000, Z city),
        township command rooms and village research rooms (002, Kaifeng), grids with grid workers
        (002, 003). The model is described in `docs/ODD.md`, the terms in `docs/glossary.md`, the
        facts from the five seed papers in `docs/sources.md`.

        You will
        1. run the model for a simulated year;
        2. read its outputs: the **summary**, the daily **time series** and the **issue log**;
        3. draw the **organisation network**;
        4. **follow one issue** through the organisation;
        5. schedule a **reform** inside the run;
        6. open the **live view** (SolaraViz) in a cell.
    """),
    params("""
        # Parameters (the tests run this notebook with smaller values)
        DAYS = 365          # simulated days; one step of the model is one day
        SEED = 7            # the run's random seed: same seed, same run
        LANG = "en"         # "zh": Chinese labels in the figures (needs a CJK font, else English + a warning)
        LIVE_VIEW = True    # show the SolaraViz live view at the end
    """),
    SETUP,
    md("""
        ## 1 Build and run the model

        `ReformModel(scenario, rng=seed, days=...)` builds the organisation graph from the scenario
        file `models/teaching.toml`. Every organisational unit is a node of a networkx graph
        (`model.org`) and carries a Mesa agent. Residents (居民) are agents too, one per 100 people.
    """),
    code("""
        model = ReformModel("teaching", rng=SEED, days=DAYS)
        kinds = pd.Series(dict(model.org.nodes(data="kind"))).value_counts().rename("units").to_frame()
        kinds["中文"] = [plots.label(k, "zh") for k in kinds.index]
        kinds
    """),
    code("""
        %time _ = model.run()   # or model.step() for one day at a time
    """),
    md("""
        ## 2 The summary

        `model.summary()` is a flat dict of run metrics (the keys of `summary.json` written by
        `reformabm run`). The main ones:

        | metric | 中文 | meaning |
        |---|---|---|
        | `closure_rate` | 办结率 | issues closed / issues created |
        | `on_time_rate` | 按时办结率 | closed within the original deadline of their level, 1/3/5/7/10 days for levels 1–5 (Kaifeng's "135710", 002-14), over all issues whose deadline has passed: an issue still open past its deadline counts as late |
        | `on_time_rate_closed_only` | 按时办结率（仅计办结件） | the figure governments report: closed on time (extensions included) / closed; a backlog flatters it |
        | `days_to_close_mean`, `_p50`, `_p90`, `_p99` | 办结时长 | days from creation to closure, Kaplan–Meier with open issues counted as not closed yet (`_closed_only`: closed issues only) |
        | `coordination_dependence` | 高位协调依赖 | share of department closures that needed the leader to settle a dispute (000-17) |
        | `pushback_rate` | 推诿率 | push-backs per dispatch to a department (000-14, 001-10) |
        | `misdispatch_rate` | 错派率 | wrong dispatches per dispatch (information islands, 000-15) |
        | `formal_closure_share` | 形式化办结占比 | closures on paper that did not solve the problem |
        | `utilisation_<kind>` | 负荷 | staff-days worked / staff-days available, by kind of unit |
    """),
    metric_table(),
    code("""
        summary = model.summary()
        KEYS = ["issues_created", "closure_rate", "on_time_rate", "days_to_close_mean",
                "coordination_dependence", "pushback_rate", "misdispatch_rate", "formal_closure_share",
                "satisfaction", "utilisation_department", "utilisation_township", "utilisation_village",
                "utilisation_grid", "n_layers", "span_of_control_max"]
        table({"teaching": summary}, KEYS)
    """),
    md("""
        ## 3 The daily time series

        `model.timeseries()` has one row per day (Mesa's DataCollector): stocks such as open issues,
        flows such as issues closed today, running rates, and a `reform` column that names the
        reforms applied that day (empty here). `plots.timeseries` draws any of its columns.
    """),
    code("""
        ts = model.timeseries()
        ts[["day", "open", "in_process", "closed", "closure_rate", "on_time_rate",
            "coordination_dependence", "utilisation_department", "reform"]].tail()
    """),
    code("""
        plots.timeseries(ts, ["open", "on_time_rate", "coordination_dependence", "utilisation_department"],
                         lang=LANG, rolling=7)
    """),
    md("""
        *Reading it.* `open` counts every unsolved problem, including those nobody has found yet
        (latent); the rates are cumulative since day 1, so they settle after a few weeks. The
        departments (职能部门) are the busiest units: most level-4 and level-5 issues need them.
    """),
    md("""
        ## 4 The issue log

        `model.issue_frame()` has one row per issue: where and when it arose, its category and
        required level (the lowest level able to solve it), how it became known (`channel`: patrol
        by the grid worker 网格员, a resident's hotline call 12345, ...), where it ended, how many
        hand-overs (`hops`) and returns (`bounces`) it took, whether it needed the leader.
    """),
    code("""
        issues = model.issue_frame()
        issues.head()
    """),
    code("""
        issues.groupby(["channel", "status"], observed=True).size().unstack(fill_value=0)
    """),
    code("""
        closed = issues[issues.status == "closed"]
        fig, ax = plt.subplots(figsize=(7, 3.6))
        sns.boxplot(data=closed, x="required_level", y="days_to_close", showfliers=False, ax=ax, color="#8fb3d9")
        ax.scatter(range(5), [1, 3, 5, 7, 10], marker="_", s=900, color="#d62728",
                   label=T('"135710" deadline (002-14)', "“135710”时限"))
        ax.set_xlabel(T("required level of the issue", "事件层级"))
        ax.set_ylabel(T("days to close", "办结天数"))
        ax.legend(loc="upper left");
    """),
    md("""
        ## 5 The organisation network

        `plots.org_network` draws the organisation graph in rows by level: the leaders (领导小组)
        with the supervision bureau (督察局) and discipline commission (纪委监委), the linkage centre
        with its departments beside it (条), then the territorial units (块) from the county down to
        the grids. Colour = today's utilisation, size = open issues held.
    """),
    code("""
        plots.org_network(model, lang=LANG)
    """),
    md("""
        ## 6 Follow one issue

        Every issue's history is kept (`model.issue_history(issue_id)`): one row per event
        (`created`, `discovered`, `escalated` 逐级上报, `dispatched` 派单, `misdispatched` 错派,
        `pushed_back` 推诿退回, `to_leader`, `coordinated` 领导协调, `solved`, `closed` 办结, ...)
        with the day and the unit. Here is an issue that needed the leader to settle a dispute
        between departments (高位协调): the one with the most hand-overs.
    """),
    code("""
        # a closed issue that needed the leader (高位协调), the one with the most hand-overs
        pool = closed[closed.needed_leader] if closed.needed_leader.any() else closed
        iid = int(pool.sort_values(["hops", "bounces", "issue_id"]).issue_id.iloc[-1])
        issues.set_index("issue_id").loc[iid, ["category", "required_level", "channel", "hops", "bounces",
                                                "needed_leader", "days_to_close", "on_time"]]
    """),
    code("""
        history = model.issue_history(iid)
        history["unit_name"] = [model.org.nodes[u]["name"] if u in model.org else "(removed)" for u in history.unit]
        history
    """),
    code("""
        plots.issue_journey(model, iid, lang=LANG)
    """),
    md("""
        ## 7 A reform inside the run

        Reforms are scheduled as `name:param=value,...@day` (the same text as the command line's
        `--reform`). Here the digital platform of Kaifeng (数字平台, 五层贯通, 002) is switched on
        half-way through the year. The dashed red line marks the reform day. Because the same
        seed is used, the run is identical to the one above until that day — the *counterfactual
        twin* (反事实对照) that `reformabm.compare` turns into effects with confidence intervals
        (notebook 04). `reformabm reforms` in a terminal lists every reform.
    """),
    code("""
        reformed = ReformModel("teaching", rng=SEED, days=DAYS, reforms=[f"platform@{DAYS // 2}"]).run()
        plots.timeseries(reformed, ["open", "days_to_close_mean", "misdispatch_rate", "on_time_rate"],
                         lang=LANG, rolling=7)
    """),
    code("""
        table({"baseline": summary, "platform": reformed.summary()}, KEYS)
    """),
    md("""
        ## 8 The live view

        The SolaraViz app of `reformabm viz` (Play / Step / Reset, parameter sliders, reforms to
        apply now, English / 中文) also runs inside a notebook cell: run the cell below in
        JupyterLab. It needs the `viz` extra (`pip install 'reformabm[viz]'`). In a terminal the
        same app opens in the browser with `reformabm viz teaching`.
    """),
    code("""
        if LIVE_VIEW:
            try:
                from reformabm.viz.app import Page
            except ImportError as exc:
                print(f"The live view is not available here ({exc}).\\n"
                      "Install the visualisation extra: pip install 'reformabm[viz]'")
            else:
                display(Page())
    """),
    md("""
        ## Where next

        * `02_linkage_centre` — centre authority and coordination dependence (Z city, 000)
        * `03_five_level_platform` — escalation, deadlines, lights and blame (Kaifeng, 002, 001)
        * `04_abolishing_the_township` — flattening with counterfactual twins (Longgang, 004)
        * `05_involution_trap` — rule growth and involution (000, 003)
        * `06_sweeps_and_sensitivity` — designed sweeps and sensitivity analysis
        * `07_calibration` — fitting parameters to the papers' figures and to a ticket log
        * `08_scenario_discovery` — shards, where a reform fails (PRIM, CART), delta and PAWN
        * `classroom/` — two exercises with answer notebooks
    """),
]


# ---- 02 linkage centre ------------------------------------------------------------------------

RUN_GRID = code("""
    import tempfile
    from pathlib import Path

    from reformabm.experiments import load, make_executor, parse_sweep, sweep

    WORKDIR = Path(tempfile.mkdtemp(prefix="reformabm_nb_"))

    def run_grid(name, levers, *, days, replications, scenario=None, workers=None):
        \"\"\"Run every combination of the lever values (a grid sweep) and return one row per run.\"\"\"
        design = parse_sweep({
            "sweep": {"name": name, "scenario": scenario or SCENARIO, "days": days,
                      "replications": replications, "seed": 1, "common_random_numbers": True},
            "design": {"kind": "grid", "size": 3},
            "levers": {path: {"values": list(values)} for path, values in levers.items()},
        })
        with make_executor("local", workers=workers or WORKERS) as ex:
            sweep(design, WORKDIR / name, ex)
        return load(WORKDIR / name)
""")

NB02 = [
    md("""
        # 02 · The linkage centre (联动中心): authority, coordination dependence, load and campaigns

        **Case: Z city (苏南Z市), seed paper 000 (刘成良《县域联动治理的实践逻辑》).** Z is a rich
        county-level city in southern Jiangsu (000-01). Its grid-management linkage centre
        (社会综合治理网格化联动中心) is a public institution at section-chief rank (正科级) directly
        under the city government (000-05); its director also heads the party committee's general
        office and may report to the principal leaders at any time (000-06). The centre absorbed
        digital city management (数字化城管) and the 12345 hotline (000-08), classifies matters and
        routes them to the responsible department (分类和归口处理), and keeps a closed loop (000-16).

        The paper names four problems (in its abstract; the section evidencing them is missing
        from the seed text): the centre lacks authority and depends on **high-level coordination**
        (高位协调依赖, 000-17); **governance load** (治理负荷) grows faster than response capacity
        (回应能力, 000-18); departments are frequently mobilised for the government's **central
        work** (中心工作, 000-19, 000-20); and ever more elaborate rules risk an **involution trap**
        (000-21; notebook 05). The paper gives no sizes or case volumes (000-22): every size in
        the `z_city` scenario is an assumption.

        **In the model** (docs/ODD.md 7.7–7.8). A department pushes back (推诿) a cross-boundary
        or ambiguous issue with probability `pushback_propensity × (1 − authority)`. The pushed-back
        issue becomes a dispute at the centre, which settles it itself with probability
        `authority`; otherwise it waits for the leader, who settles `attention_per_day` disputes a
        day. Coordination dependence = share of department closures that needed the leader.
        Whether authority lowers dependence is built into these rules; what the model adds is how
        the leader's queue, delays and deadlines follow from it.
    """),
    params("""
        # Parameters (the tests run this notebook with smaller values)
        SCENARIO = "z_city"            # falls back to the teaching county if not shipped
        DAYS = 120                     # days of the illustrated runs
        SWEEP_DAYS = 90                # days of each run of the sweep
        SEEDS = [1, 2]                 # replications per setting
        AUTHORITY = [0.2, 0.5, 0.8]    # centre.authority values of the sweep
        LOAD = [0.8, 1.0, 1.25]        # issue rate relative to the scenario's
        WORKERS = 2                    # worker processes
        LANG = "en"
    """),
    SETUP,
    code("""
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
    """),
    metric_table(),
    md("""
        ## 1 One run: disputes, the leader's queue and campaigns

        Central-work campaigns (中心工作动员) divert a share of department capacity for a month
        (000-19); the grey bands mark them. Watch the leader's queue (disputes waiting for the
        leaders, 待领导协调) and the departments' load.
    """),
    code("""
        model = ReformModel(SCENARIO, rng=SEEDS[0], days=DAYS).run()
        ts = model.timeseries()
        fig = plots.timeseries(ts, ["coordination_dependence", "leader_queue", "utilisation_department",
                                    "on_time_rate"], lang=LANG, rolling=7)
        on = ts["campaign_active"].to_numpy(bool)
        for ax in fig.axes:
            for start, end in zip(np.flatnonzero(np.diff(np.r_[0, on.astype(int)]) == 1),
                                  np.flatnonzero(np.diff(np.r_[on.astype(int), 0]) == -1)):
                ax.axvspan(ts.day.iloc[start], ts.day.iloc[end], color="grey", alpha=0.15, lw=0)
        fig
    """),
    code("""
        s = model.summary()
        pd.Series({k: s[k] for k in ["issues_created", "dispatches", "pushbacks", "disputes_to_leader",
                                     "disputes_settled_by_centre", "coordination_dependence", "campaigns",
                                     "campaign_staff_days"]}).to_frame(SCENARIO)
    """),
    md("""
        ## 2 Authority × load: a small grid sweep

        The sweep runs every combination of centre authority (联动中心权威) and load (issue rate
        ×0.8, ×1, ×1.25) for each seed, in parallel on the local cores (`reformabm.experiments`, see
        `docs/sweeps.md`).
    """),
    RUN_GRID,
    code("""
        base_rate = spec.residents.issues_per_person_year
        runs = run_grid("authority_load",
                        {"centre.authority": AUTHORITY,
                         "residents.issues_per_person_year": [round(base_rate * x, 4) for x in LOAD]},
                        days=SWEEP_DAYS, replications=len(SEEDS))
        runs["load"] = (runs["residents.issues_per_person_year"] / base_rate).round(2)
        runs[["centre.authority", "load", "seed", "coordination_dependence", "pushback_rate",
              "on_time_rate", "utilisation_department"]].head()
    """),
    md("""
        **Pattern P1** (docs/ODD.md 1.2): coordination dependence falls as the centre's authority
        rises. A politically empowered centre (政治赋权, Kaifeng's city centre is one grade higher,
        正处级, 002-17) settles disputes itself and meets less push-back.
    """),
    code("""
        plots.response_surface(runs, "centre.authority", z="coordination_dependence", hue="load", lang=LANG)
    """),
    code("""
        plots.response_surface(runs, "centre.authority", z="pushback_rate", hue="load", lang=LANG)
    """),
    md("""
        **Load against capacity** (000-18). The same staff facing more issues: on-time performance
        and department utilisation over the grid of authority and load. Authority removes disputes;
        it does not add staff-days.
    """),
    code("""
        display(plots.response_surface(runs, "centre.authority", "load", "on_time_rate", lang=LANG))
        plots.response_surface(runs, "centre.authority", "load", "utilisation_department", lang=LANG, cmap="rocket_r")
    """),
    md("""
        ## 3 Central work: campaigns on and off (paired seeds)

        The twin of each run has no periodic campaigns (`workload.campaign_interval_days = 0`), all
        else equal, with the same seeds (`common_random_numbers` in the sweep: replication r uses
        the same seed in both arms). The paired differences show what the campaigns cost the
        routine work of the departments (000-19).
    """),
    code("""
        interval = spec.workload.campaign_interval_days or 60
        camp = run_grid("campaigns", {"workload.campaign_interval_days": [0, interval]},
                        days=DAYS, replications=len(SEEDS))
        METRICS = ["on_time_rate", "days_to_close_mean", "utilisation_department", "coordination_dependence",
                   "campaigns"]
        on = camp[camp["workload.campaign_interval_days"] == interval].set_index("replication")[METRICS]
        off = camp[camp["workload.campaign_interval_days"] == 0].set_index("replication")[METRICS]
        (on - off).agg(["mean", "min", "max"])   # paired differences over the seeds (same seed in both arms)
    """),
    md("""
        ## Questions

        1. The model makes push-back proportional to `1 − authority`. Which facts of 000 and 002
           support a *monotone* relation, and which would suggest a threshold (e.g. the centre's
           rank relative to the departments', 002-23)?
        2. At high load, does more authority still help on-time performance? Why not, in terms of
           where the queue sits (departments, not the leader)?
        3. Campaigns take capacity from departments for a month. Which outputs recover after a
           campaign and which do not (look at the time series)?
    """),
    code("""
        import shutil
        shutil.rmtree(WORKDIR, ignore_errors=True)   # the sweep stores were temporary
    """),
]


# ---- 03 five-level platform -------------------------------------------------------------------

NB03 = [
    md("""
        # 03 · Five levels, one platform: escalation, "135710", lights and blame

        **Case: Kaifeng (开封), "one centre, four platforms" (一中心四平台), seed paper 002; blame,
        seed paper 001 (覃宇冰、张勤).** Five tiers are connected (五层贯通, 002-04): the grid worker
        solves level-1 events on the spot (002-05); what the grid cannot solve goes to the village
        research room (研判室, level 2), then the township command room (指挥室, level 3, 002-06),
        the county/district command centre (level 4) and the city centre (level 5), which dispatch
        to departments (002-07). Events must close in **1/3/5/7/10 days** by level ("135710",
        002-14); cross-department cases may get an extension to at most 15 days (002-15). A
        **yellow light** (黄灯) shows one day before the deadline, a **red light** (红灯) when it
        passes; red cases go to the **supervision bureau** (督察局), which sets its own limit, and
        then to the **discipline commission** (纪委监委), which holds the unit accountable (002-16).
        Paper 001 adds that failures arise at every level, yet accountability tends to punish the
        grassroots (001-12), and proposes blame by stage instead (同系统问责, 001-13).

        The scenario `kaifeng_small` is Kaifeng at about 1/20 scale (2 districts, 6 townships, 120
        villages, 290 grids, 34 departments; 002-01, 002-12), with the platform and time-limited
        supervision on. Volumes and staff are assumptions (002-25).
    """),
    params("""
        # Parameters (the tests run this notebook with smaller values)
        SCENARIO = "kaifeng_small"
        DAYS = 180
        SEEDS = [1, 2, 3, 4]
        BUSY = 1.5          # issue-rate multiplier of the "busy year" used for blame (section 5)
        WORKERS = 2
        LANG = "en"
    """),
    SETUP,
    code("""
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
    """),
    metric_table(),
    md("""
        ## 1 One run: lights, supervision and discipline

        `yellow` and `red` count the issues under each light today; `supervision_cases` and
        `discipline_cases` are cumulative. `extensions` counts the deadlines extended at the yellow
        light (at most once, up to 15 days in all). In an ordinary year few cases, if any, get as
        far as the discipline commission; section 5 makes the year busier.
    """),
    code("""
        model = ReformModel(SCENARIO, rng=SEEDS[0], days=DAYS, overrides=BASE).run()
        plots.timeseries(model, ["open", "yellow", "red", "extensions", "supervision_cases", "discipline_cases"],
                         lang=LANG, ncols=3)
    """),
    md("""
        ## 2 Escalation: who solves what

        Each issue has a required level (the lowest level able to solve it). The table shows the
        kind of unit that finally solved the issues of each level: grid teams solve level 1,
        research rooms level 2, command rooms level 3, and departments dispatched by the county or
        city centre levels 4 and 5.
    """),
    code("""
        issues = model.issue_frame()
        done = issues[(issues.status == "closed") & (issues.solver >= 0)].copy()
        kind = dict(model.org.nodes(data="kind"))
        level = dict(model.org.nodes(data="level"))
        done["solved by"] = [f"{plots.label(kind.get(u, 'removed'))}" + (f" ({level[u]})" if kind.get(u) == "department" else "")
                             for u in done.solver]
        pd.crosstab(done["solved by"], done["required_level"], normalize="columns").round(2)
    """),
    code("""
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
        sns.barplot(data=done, x="required_level", y="hops", ax=axes[0], color="#8fb3d9")
        axes[0].set(xlabel=T("required level", "事件层级"), ylabel=T("hand-overs per issue", "流转次数"))
        sns.barplot(data=done, x="required_level", y="days_to_close", ax=axes[1], color="#8fb3d9")
        axes[1].scatter(range(5), [1, 3, 5, 7, 10], marker="_", s=700, color="#d62728", label='"135710"')
        axes[1].set(xlabel=T("required level", "事件层级"), ylabel=T("days to close", "办结天数"))
        axes[1].legend();
    """),
    md("""
        On-time rate by level (**pattern P4**): the deadlines are inputs; how often each level
        meets them is an output.
    """),
    code("""
        plots.by_level(model.summary(), ["on_time_rate_level_"], lang=LANG)
    """),
    md("""
        The journey of one level-5 issue, from the grid to the city centre and its departments:
    """),
    code("""
        top = done[done.required_level == done.required_level.max()].sort_values(["hops", "issue_id"])
        plots.issue_journey(model, int(top.issue_id.iloc[-1]), lang=LANG)
    """),
    md("""
        ## 3 What does the platform do? (counterfactual twins)

        The twin arm switches the platform on from day 1 (`platform@1`), the baseline has it off
        (`process.platform = false` in both arms' scenario). Same seeds, so the paired differences
        are the platform's effect (**pattern P2**: fewer levels to pass, less distortion, 001-08).
    """),
    code("""
        M = ["closure_rate", "on_time_rate", "days_to_close_mean", "misdispatch_rate", "hops_mean",
             "utilisation_department", "satisfaction"]
        platform = compare(SCENARIO, ["platform@1"], seeds=SEEDS, days=DAYS,
                           overrides={**BASE, "process.platform": False}, executor=EX)
        display(effects_table(platform, M))
        plots.effects(platform, M, lang=LANG)
    """),
    md("""
        ## 4 Time-limited supervision (限时督办) on and off

        The twin arm switches supervision on from day 1; the baseline has lights counted but no
        extensions, supervision or discipline. Supervision raises the priority of yellow and red
        cases in every queue and the pressure on the units that hold them (more effort, but also
        more closures on paper, 形式化办结).
    """),
    code("""
        M2 = ["on_time_rate", "days_to_close_mean", "formal_closure_share", "closure_rate", "satisfaction"]
        supervision = compare(SCENARIO, ["supervision@1"], seeds=SEEDS, days=DAYS,
                              overrides={"accountability.supervision": False}, executor=EX)
        display(effects_table(supervision, M2))
        plots.effects(supervision, M2, lang=LANG)
    """),
    md("""
        ## 5 Who takes the blame? (追责下沉, pattern P3)

        In a busy year (issue rate ×`BUSY`, supervision bureau limit of one day) enough cases reach
        the discipline commission to count them by level. `blame_level_k` is the share of
        accountability cases blamed on a unit of rank k (1 grid … 5 city); `holding_share_level_k`
        is the share of issue-days held at rank k. Two rules: **lowest** blames the lowest unit
        that handled the issue, **last_holder** the unit holding it when it failed. With `lowest`
        the bottom takes the blame although the issues sit mostly higher up — partly *by
        construction*; the comparison of the two rules is the informative part (docs/ODD.md 7.11).
    """),
    RUN_GRID,
    code("""
        busy = {"residents.issues_per_person_year": [spec.residents.issues_per_person_year * BUSY],
                "accountability.supervision": [True], "accountability.supervision_days": [1]}
        blame = run_grid("blame", {**busy, "accountability.blame_rule": ["lowest", "last_holder"]},
                         days=DAYS, replications=len(SEEDS))
        blame["blame rule"] = blame["accountability.blame_rule"]
        blame[["blame rule", "seed", "discipline_cases", *[f"blame_level_{k}" for k in range(1, 6)]]]
    """),
    code("""
        if blame[[f"blame_level_{k}" for k in range(1, 6)]].notna().any().any():
            display(plots.by_level(blame, ["blame_level_", "holding_share_level_"], hue="blame rule", lang=LANG))
        else:
            print("No case reached the discipline commission in these runs: run longer or busier.")
    """),
    md("""
        ## Questions

        1. Which levels miss their deadlines most often, and is it because of the deadline (1 day
           for level 1) or because of the queue (departments)?
        2. The platform shortens hand-overs and distortion. Which of its effects would you expect
           to hold in a county with a weak centre (notebook 02)?
        3. 001 proposes blame by stage (前端/中端/末端, 001-13). How would you implement that rule in
           the model, and what would you compare it with?
    """),
    code("""
        EX.shutdown()
        import shutil
        shutil.rmtree(WORKDIR, ignore_errors=True)
    """),
]


# ---- 04 abolishing the township ---------------------------------------------------------------

NB04 = [
    md("""
        # 04 · Abolishing the township (撤销乡镇): flattening, big departments and the middle layer

        **Case: Longgang (龙港), "the city directly governs communities" (市直管社区), seed paper 004
        (刘柯、陈宝胜).** In 2019 Longgang town became a county-level city and the township layer
        was abolished entirely, under the slogan "大部制、扁平化、市社一体、条抓块统" (004-01,
        004-02). The staff quota was capped (004-03): agencies and quota are about 40 % of a
        comparable county (004-06). Departments were merged into big bureaus (大部制): four into a
        natural-resources-and-planning-construction bureau, nine livelihood departments into a
        social-affairs bureau (004-04). Between the city and its 102 communities, nine **areas**
        (片区) appeared — no administrative level, no quota, no legal status (004-10) — drifted into
        acting like townships (乡镇化) and were replaced in 2021 by 26 **governance units**
        (基层治理单元, 004-11): a middle layer without personnel, finance or property powers (004-15),
        "reverse flattening" (逆扁平化, 004-14). And: cutting a layer adds work to the two levels
        next to it (004-20).

        The teaching county is not Longgang: it is the classroom question *"what happens if we
        abolish the township layer here?"*, answered with a Longgang-like package of reforms.
        Notebook sections: before/after in one run; where the work goes; counterfactual twins with
        95 % confidence intervals; does the middle layer come back?
    """),
    params("""
        # Parameters (the tests run this notebook with smaller values)
        SCENARIO = "teaching"
        DAYS = 300
        REFORM_DAY = 120
        SEEDS = list(range(1, 9))
        OVERLOAD = 0.55      # department utilisation above which quasi-units appear (middle_layer_rule);
                             # the working teaching county runs its departments at ~0.42, ~0.57 after flattening
        WORKERS = 2
        LANG = "en"
    """),
    SETUP,
    code("""
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
    """),
    md("""
        ## 1 Before and after, in one run

        `remove_layer` attaches the villages to the county (span of control 8 → 40); a quarter of
        the township staff goes to the county departments, 15 % down to the villages, the rest is
        cut (the quota cap, 004-03). Pending issues of the townships are handed over, never lost.
        Two big departments are formed the same day. The persistent rule `middle_layer_rule` then
        inserts quasi-units (片区) under any unit with a span above 30 whose departments are
        overloaded (utilisation ≥ `OVERLOAD` over two weeks).
    """),
    code("""
        model = ReformModel(SCENARIO, rng=SEEDS[0], days=DAYS, reforms=PACKAGE)
        model.run(REFORM_DAY - 1)
        display(plots.org_network(model, lang=LANG, title=f"day {model.day}: before the reform"))
        model.run()
        display(plots.org_network(model, lang=LANG, title=f"day {model.day}: after the reform"))
        model.summary()["reforms_applied"]
    """),
    code("""
        ts = model.timeseries()
        plots.timeseries(ts, ["n_layers", "span_of_control_max", "open", "days_to_close_mean",
                              "utilisation_department", "utilisation_village"], lang=LANG, ncols=3, rolling=7)
    """),
    md("""
        ## 2 Where does the work go? (004-20)

        Mean utilisation by kind of unit in the two months before the reform and in the last two
        months of the run. The levels next to the removed one — the county's departments above,
        the villages below — are the ones to watch.
    """),
    code("""
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
    """),
    md("""
        ## 3 Counterfactual twins with 95 % confidence intervals

        Each seed is run twice: without reforms and with them; until `REFORM_DAY` the two runs are
        identical (common random numbers), so the paired difference at the end is the effect of
        the reform for that seed. `compare` averages it over the seeds with a 95 % CI from
        Student's t. Three packages: flattening alone, with big departments, and with the middle
        layer rule as well.
    """),
    code("""
        M = ["closure_rate", "on_time_rate", "days_to_close_mean", "hops_mean", "pushback_rate",
             "utilisation_department", "satisfaction", "staff_total"]
        packages = {"flatten": FLATTEN, "+ big departments": FLATTEN + BIG_DEPARTMENTS, "+ middle layer": PACKAGE}
        comparisons = {name: compare(SCENARIO, reforms, seeds=SEEDS, days=DAYS, executor=EX)
                       for name, reforms in packages.items()}
        effects = pd.concat({name: effects_table(c, M).set_index("metric") for name, c in comparisons.items()})
        effects[["baseline", "reform", "effect", "ci_low", "ci_high", "n"]]
    """),
    code("""
        plots.effects(comparisons, M, lang=LANG, title=f"{SCENARIO}: reforms on day {REFORM_DAY}, {len(SEEDS)} seeds")
    """),
    md("""
        The same twins over time (mean of the first three seeds and a 95 % band): the arms
        coincide until the reform day, then part.
    """),
    code("""
        frames = []
        for seed in SEEDS[:3]:
            for arm, reforms in [("baseline", []), ("reform", PACKAGE)]:
                t = ReformModel(SCENARIO, rng=seed, days=DAYS, reforms=reforms).run().timeseries()
                frames.append(t.assign(seed=seed, arm=arm))
        twins = pd.concat(frames, ignore_index=True)
        plots.timeseries(twins, ["open", "days_to_close_mean", "on_time_rate", "utilisation_department"],
                         hue="arm", lang=LANG, rolling=7)
    """),
    md("""
        ## 4 Does the middle layer come back?

        With the rule on, a seed whose departments stay overloaded after the flattening grows a
        fourth layer again (`n_layers` back to 4). Share of seeds in which it happened:
    """),
    code("""
        runs = comparisons["+ middle layer"].runs
        layers = runs[runs.arm == "reform"].set_index("seed")["n_layers"]
        print(f"middle layer re-emerged in {int((layers > 3).sum())} of {len(layers)} seeds (n_layers at the end: "
              f"{layers.to_dict()})")
    """),
    md("""
        ## Questions

        1. Which outcome does flattening worsen most, and through which mechanism (span of
           control, staff cut, level-3 issues now solved by county departments)?
        2. Do big departments help? Look at push-back and at department utilisation: what does the
           counterpart overhead (对口, 10+ upper-level counterparts, 004-18) cost?
        3. The model's quasi-units solve nothing: they are one more hand-over. Why then do they come
           back in the model — and in Longgang? (See `classroom/exercise_middle_layer`.)
        4. What would "digital tools instead of people" (数字换人, 004-21) look like here? Try adding
           `platform@REFORM_DAY` to the package.
    """),
    code("""
        EX.shutdown()
    """),
]


# ---- 05 involution trap -----------------------------------------------------------------------

NB05 = [
    md("""
        # 05 · The involution trap (内卷化陷阱): rules, overhead, effort and outcomes

        **Seed papers 000 and 003.** Z city's paper warns that ever more elaborate governance rules
        risk an *involution trap* of governance performance, and recommends empowering the centre
        while avoiding rule complexity (000-21). Shiquan's paper finds involution in public
        governance — much resource put in, little gain in efficacy (003-17) — under a
        pressure-type system (压力型体制) in which targets are passed down and raised level by level
        (003-03), and warns against innovations that stay formal (流于形式, 伪创新, 003-18).

        **In the model** (docs/ODD.md 7.13–7.15). With adaptive rule growth on, the centre reviews
        the on-time rate every 30 days (open issues past their deadline count as late) and adds 3
        rules and indicators when it is below the target (`workload.performance_target`: 0.96 in
        the teaching county, just above the ~0.95 it attains). Each rule costs every unit 0.5 % of its capacity (reporting, indicators, meetings)
        and adds assessment pressure. Pressure raises effort (more staff-days, accumulating
        strain) and the chance that a unit which would miss a deadline closes the case on paper
        (形式化办结), which comes back later.

        **Involution index** (内卷化指数; docs/ODD.md 7.16): the growth of the rules' input that
        bought no improvement of the outcome the rules target. With R the mean rule-overhead share
        of the trailing 30 days and R0 that of the reference window (days 31–60),
        `g_R = ln((R + e)/(R0 + e))` (e: one rule's share), and `g_O` the growth of the
        censoring-aware on-time rate between the same windows, `I = g_R − min(g_R, max(0, g_O))`
        when rules grew, else 0. I = 0 when the rules do not change, whatever the load; I = g_R
        when rules grew and on-time did not improve (**pattern P5**).
    """),
    params("""
        # Parameters (the tests run this notebook with smaller values)
        SCENARIO = "teaching"
        DAYS = 365
        RULES_FROM = 30            # day on which adaptive rule growth is switched on
        SEEDS = list(range(1, 7))
        TARGETS = [0.9, 0.93, 0.96]         # workload.performance_target values of the sweep (county attains ~0.95)
        OVERHEADS = [0.0025, 0.005, 0.01]   # workload.rule_overhead_per_rule values of the sweep
        WORKERS = 2
        LANG = "en"
    """),
    SETUP,
    code("""
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        from reformabm.compare import compare, effects_table

        RULES = [f"rule_growth@{RULES_FROM}"]
        EX = ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("forkserver"))
        # the scenario's own setting is switched off in both arms, so that only the reform differs
        BASE = {"workload.rule_growth": False}
    """),
    md("""
        ## 1 Twins over time: rules, overhead and effort

        Three seeds, each without and with rule growth from day `RULES_FROM` (dashed line).
    """),
    code("""
        frames = []
        for seed in SEEDS[:3]:
            for arm, reforms in [("baseline", []), ("reform", RULES)]:
                t = ReformModel(SCENARIO, rng=seed, days=DAYS, overrides=BASE, reforms=reforms).run().timeseries()
                frames.append(t.assign(seed=seed, arm=arm))
        twins = pd.concat(frames, ignore_index=True)
        plots.timeseries(twins, ["rules", "rule_overhead_share", "effort_staff_days", "pressure_mean",
                                 "on_time_rate", "involution_index"], hue="arm", lang=LANG, ncols=3, rolling=7)
    """),
    md("""
        ## 2 Effort against outcomes

        Each point is a 30-day window of one run: staff-days of effort against issues closed *and
        held* (closures that did not come back). Involution shows as the drift upwards — more
        effort for the same outcomes — rather than to the right. (The index itself looks at the
        rules' overhead against on-time, so campaigns or a heavier load alone do not move it.)
    """),
    code("""
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
    """),
    md("""
        ## 3 The effect with confidence intervals

        Paired over all seeds. Relative effects for the outcome metrics; absolute ones for the
        involution index (a log ratio near zero) and the overhead share.
    """),
    code("""
        involution = compare(SCENARIO, RULES, seeds=SEEDS, days=DAYS, overrides=BASE, executor=EX)
        M = ["closure_rate", "on_time_rate", "days_to_close_mean", "formal_closure_share", "satisfaction",
             "utilisation_department", "utilisation_township"]
        display(plots.effects(involution, M, lang=LANG))
        plots.effects(effects_table(involution, ["involution_index", "rule_overhead_share", "rules"]),
                      relative=False, lang=LANG, title="absolute effects")
    """),
    md("""
        ## 4 When is the trap deep? A small sweep

        With rule growth on, a grid over the performance target (how demanding the reviews are)
        and the overhead per rule (how costly each new indicator is). The heatmaps show the mean
        involution index and on-time rate at the end of the run.
    """),
    RUN_GRID,
    code("""
        grid = run_grid("involution", {"workload.rule_growth": [True], "workload.performance_target": TARGETS,
                                       "workload.rule_overhead_per_rule": OVERHEADS},
                        days=DAYS, replications=min(2, len(SEEDS)))
        display(plots.response_surface(grid, "workload.performance_target", "workload.rule_overhead_per_rule",
                                       "involution_index", lang=LANG, cmap="rocket_r"))
        plots.response_surface(grid, "workload.performance_target", "workload.rule_overhead_per_rule",
                               "on_time_rate", lang=LANG)
    """),
    md("""
        ## Questions

        1. The rule is "add rules when performance disappoints". Why can it not stop by itself once
           the overhead is what lowers performance? What would a stopping rule look like (000-21:
           "return to practical mass work")?
        2. Effort rises with pressure, and so do closures on paper. Neither enters the index
           directly: where do they show — in `effort_staff_days`, in the comebacks (`reopened`),
           in the gap between `on_time_rate` and `on_time_rate_closed_only`?
        3. Is the index's reference window (days 31–60) a fair baseline when rule growth starts on
           day 30? Try `RULES_FROM = 90`.
    """),
    code("""
        EX.shutdown()
        import shutil
        shutil.rmtree(WORKDIR, ignore_errors=True)
    """),
]


# ---- 06 sweeps and sensitivity ----------------------------------------------------------------

NB06 = [
    md("""
        # 06 · Designed sweeps and sensitivity analysis (参数扫描与敏感性分析)

        Most magnitudes in the model are assumptions (docs/sources.md, last section), so results
        must be read with their sensitivity. `reformabm.experiments` runs designed experiments
        declared in a *sweep file* (`docs/sweeps.md`), on this machine's cores or on a Dask
        cluster, into a resumable Parquet store, and analyses them with SALib:

        * **Morris** screening (elementary effects): μ* ranks the levers by their mean absolute
          effect; σ signals non-linearity or interaction. Cheap: r·(k+1) points.
        * **Sobol'** indices: S1 = share of output variance due to a lever alone; ST = including its
          interactions. Expensive: N·(k+2) points, N a power of 2 (256 in the research sweep).

        This notebook runs a reduced version of `models/sweeps/teaching_sweep.toml` — a Morris
        design over centre authority (联动中心权威, 000), push-back propensity (推诿), township
        staff and the reform schedule (none / remove the township layer / remove it and merge
        departments, 004) — on the local backend and again on a Dask `LocalCluster`, checks that
        both give identical results, computes the indices and draws response surfaces. A small
        Sobol design follows.
    """),
    params("""
        # Parameters (the tests run this notebook with smaller values)
        TRAJECTORIES = 8      # Morris trajectories r (the shipped file has 20)
        DAYS = 120            # days per run (the shipped file has 180; keep > 90, its reform day)
        REPLICATIONS = 1      # seeds per design point (the shipped file has 2)
        SOBOL_N = 16          # Sobol base sample N, a power of 2 (research: 256)
        WORKERS = 2
        RUN_DASK = True       # also run the sweep on a Dask LocalCluster
        LANG = "en"
    """),
    SETUP,
    code("""
        import tempfile
        import time
        import tomllib
        from pathlib import Path

        from reformabm.experiments import load, make_executor, parse_sweep, sweep
        from reformabm.experiments.sensitivity import analyze, format_table
        from reformabm.scenario import MODELS_DIR

        SWEEP_FILE = MODELS_DIR / "sweeps" / "teaching_sweep.toml"
        WORKDIR = Path(tempfile.mkdtemp(prefix="reformabm_sweep_"))
        print(SWEEP_FILE.read_text())
    """),
    md("""
        ## 1 The design, made smaller

        The file is read as TOML, a few numbers are changed, and `parse_sweep` validates it
        against the base scenario exactly as `reformabm sweep` would (a mistake is reported with
        the field, the value and what was expected).
    """),
    code("""
        data = tomllib.loads(SWEEP_FILE.read_text())
        data["design"]["size"] = TRAJECTORIES
        data["sweep"]["days"] = DAYS
        data["sweep"]["replications"] = REPLICATIONS
        design = parse_sweep(data, source=str(SWEEP_FILE), base_dir=SWEEP_FILE.parent)
        print(f"{design.kind} design: {len(design.levers)} levers, {design.n_points} points, {design.n_runs} runs")
        design.points().head()
    """),
    md("""
        ## 2 On the local backend

        `make_executor("local", workers=N)` is a process pool on this machine (what `reformabm
        sweep --workers N` uses). Runs travel in chunks; each finished chunk is written at once, so
        a killed sweep resumes where it stopped when run again.
    """),
    code("""
        t0 = time.perf_counter()
        with make_executor("local", workers=WORKERS) as ex:
            report = sweep(design, WORKDIR / "local", ex)
        print(f"local: {report.stored} runs stored, {report.failed_total} failed, {time.perf_counter() - t0:.1f} s")
        runs = load(WORKDIR / "local")
        runs[["run_id", "seed", *design.lever_names, "on_time_rate", "pushback_rate"]].head()
    """),
    md("""
        ## 3 The same sweep on a Dask cluster

        A `LocalCluster` stands in for a real cluster here (on SLURM or PBS use `dask-jobqueue`, see
        `docs/sweeps.md`): the sweep only needs an executor, `client.get_executor()`.
        `make_executor("dask", workers=N)` does the same in one line. The results are identical to
        the local ones: each run's seed depends only on the sweep file, never on the backend.
    """),
    code("""
        if RUN_DASK:
            import logging

            from distributed import Client, LocalCluster

            t0 = time.perf_counter()
            with LocalCluster(host="127.0.0.1", dashboard_address=None, n_workers=WORKERS, threads_per_worker=1,
                              processes=True, silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
                report = sweep(design, WORKDIR / "dask", client.get_executor(pure=False))
            print(f"dask: {report.stored} runs stored, {time.perf_counter() - t0:.1f} s (with the cluster's start-up)")
            metrics = ["closure_rate", "on_time_rate", "pushback_rate", "coordination_dependence", "satisfaction"]
            a = load(WORKDIR / "local").sort_values("run_id").reset_index(drop=True)
            b = load(WORKDIR / "dask").sort_values("run_id").reset_index(drop=True)
            pd.testing.assert_frame_equal(a[["run_id", "seed", *metrics]], b[["run_id", "seed", *metrics]])
            print("local and Dask results are identical")
    """),
    md("""
        ## 4 Morris indices

        `analyze` averages each point's replications and computes μ*, μ and σ per lever and
        metric (per unit of the lever's normalised range; the reform schedule is a categorical
        lever mapped to equal cells of [0, 1]).
    """),
    code("""
        METRICS = ["on_time_rate", "days_to_close_mean", "coordination_dependence", "pushback_rate"]
        morris = analyze(WORKDIR / "local", METRICS)
        print(format_table(morris))
        plots.sensitivity(morris, lang=LANG, ncols=2)
    """),
    md("""
        ## 5 Response surfaces

        The same runs, read directly: one output against one or two levers.
    """),
    code("""
        display(plots.response_surface(runs, "centre.authority", "process.pushback_propensity", "pushback_rate",
                                       lang=LANG, bins=4))
        display(plots.response_surface(runs, "centre.authority", z="coordination_dependence", hue="reforms",
                                       lang=LANG, bins=4))
        plots.response_surface(runs, "reforms", z="days_to_close_mean", lang=LANG)
    """),
    md("""
        ## 6 A small Sobol design

        The same levers with Saltelli's sampling scheme: N·(k+2) points. With N = 16 the confidence
        intervals are wide — read the *ranking*, and see `models/sweeps/research_sweep.toml` (N =
        256, about 45 CPU-minutes) for a real analysis.
    """),
    code("""
        sobol_data = tomllib.loads(SWEEP_FILE.read_text())
        sobol_data["design"] = {"kind": "sobol", "size": SOBOL_N}
        sobol_data["sweep"].update(days=DAYS, replications=1, common_random_numbers=True)
        sobol_design = parse_sweep(sobol_data, source=str(SWEEP_FILE), base_dir=SWEEP_FILE.parent)
        print(f"sobol: {sobol_design.n_runs} runs")
        with make_executor("local", workers=WORKERS) as ex:
            sweep(sobol_design, WORKDIR / "sobol", ex)
        sobol = analyze(WORKDIR / "sobol", ["on_time_rate", "coordination_dependence"])
        print(format_table(sobol))
        plots.sensitivity(sobol, lang=LANG, ncols=2)
    """),
    md("""
        ## On the command line

        ```sh
        reformabm sweep models/sweeps/teaching_sweep.toml --out out/teaching --workers 2
        reformabm sweep models/sweeps/teaching_sweep.toml --out out/teaching --backend dask
        reformabm sensitivity out/teaching
        ```
    """),
    code("""
        import shutil
        shutil.rmtree(WORKDIR, ignore_errors=True)
    """),
]


# ---- classroom: the overloaded county ---------------------------------------------------------

OVERLOADED_INTRO = """
    # Exercise 1 · Design a reform for an overloaded county (为超负荷的县设计改革)

    The teaching county has had a hard year: residents bring **twice as many problems** as
    usual (0.4 instead of 0.2 issues per person a year), and nobody will add staff. The county
    party secretary asks you: *which organisational reform would help most, and at what cost?*

    You will diagnose the county (where are the queues?), choose a reform from the menu, predict
    its effect, test it with counterfactual twins (the same seeds with and without the reform)
    and judge the result against the seed papers. Work in pairs; write your answers in the
    markdown cells marked **Answer**.
"""

OVERLOADED_PARAMS = params("""
    # Parameters (the tests run this notebook with smaller values)
    SCENARIO = "teaching"
    LOAD = 2.0             # issue rate relative to the teaching county's 0.2 per person-year
    DAYS = 240
    REFORM_DAY = 60
    SEEDS = [1, 2, 3, 4, 5]
    WORKERS = 2
    LANG = "en"
""")

OVERLOADED_SETUP = code("""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from reformabm import load_scenario
    from reformabm.compare import compare, effects_table
    from reformabm.reforms import REGISTRY

    OVERLOAD = {"residents.issues_per_person_year": load_scenario(SCENARIO).residents.issues_per_person_year * LOAD}
    EX = ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("forkserver"))
    M = ["closure_rate", "on_time_rate", "days_to_close_mean", "coordination_dependence", "pushback_rate",
         "utilisation_department", "satisfaction", "staff_total"]
""")

OVERLOADED_DIAGNOSIS = [
    md("""
        ## Part A · Diagnosis

        One run of the overloaded county, no reform.
    """),
    code("""
        model = ReformModel(SCENARIO, rng=SEEDS[0], days=DAYS, overrides=OVERLOAD).run()
        s = model.summary()
        util = pd.Series({k: s[f"utilisation_{k}"] for k in ["grid", "village", "township", "centre", "department",
                                                            "leader"]}, name="utilisation")
        fig, ax = plt.subplots(figsize=(6.5, 3))
        sns.barplot(x=[T(plots.label(k), plots.label(k, "zh")) for k in util.index], y=util.to_numpy(), ax=ax,
                    color="#8fb3d9")
        ax.set(ylabel=T("utilisation", "负荷"), ylim=(0, 1))
        ax.tick_params(axis="x", rotation=20);
    """),
    code("""
        plots.by_level(s, ["on_time_rate_level_", "holding_share_level_"], lang=LANG)
    """),
    code("""
        pd.Series({k: s[k] for k in M + ["dispatches", "pushbacks", "disputes_to_leader", "hops_mean"]}).to_frame("value")
    """),
]

OVERLOADED_MENU = [
    md("""
        ## Part B · The reform menu

        Every reform of the model, its Chinese name, the seed paper it comes from, and its
        parameters with their defaults. Write a reform as `name:param=value,...@day`, e.g.
        `empower_centre:authority=0.7@60` or
        `merge_departments:into=big_urban,members=urban_management+housing+transport@60`.
        `docs/ODD.md` section 7.18 says what each one changes.
    """),
    code("""
        import dataclasses
        menu = pd.DataFrame([{"reform": name, "中文": cls.label_zh, "seed paper": cls.seed_paper,
                              "parameters (defaults)": ", ".join(f"{f.name}={f.default!r}" for f in dataclasses.fields(cls)
                                                                 if f.default is not dataclasses.MISSING)}
                             for name, cls in sorted(REGISTRY.items())]).set_index("reform")
        menu
    """),
]

NB_EX1 = [
    md(OVERLOADED_INTRO),
    OVERLOADED_PARAMS,
    SETUP,
    OVERLOADED_SETUP,
    *OVERLOADED_DIAGNOSIS,
    md("""
        **Q1.** Which kind of unit is overloaded? Which levels of issues miss their deadlines, and
        where are the issues held most of the time?

        **Answer:** …

        **Q2.** Is the bottleneck *capacity* (staff-days) or *coordination* (push-back, disputes
        waiting for the leader)? Which numbers tell you?

        **Answer:** …
    """),
    *OVERLOADED_MENU,
    md("""
        **Q3.** Choose one reform (or two) and write it in `MY_REFORMS` below. *Before running*,
        predict: which metrics will improve, which will get worse, and why?

        **Answer (prediction):** …
    """),
    code("""
        MY_REFORMS = [f"empower_centre:authority=0.7@{REFORM_DAY}"]   # <- change this
    """),
    md("""
        ## Part C · Test it with counterfactual twins
    """),
    code("""
        mine = compare(SCENARIO, MY_REFORMS, seeds=SEEDS, days=DAYS, overrides=OVERLOAD, executor=EX)
        display(effects_table(mine, M))
        plots.effects(mine, M, lang=LANG)
    """),
    md("""
        **Q4.** Which effects are clearly different from zero (the 95 % interval excludes 0)?
        Was your prediction right? If not, which mechanism did you miss?

        **Answer:** …

        **Q5.** What does the reform cost, and who pays (staff, load on other units, the leader's
        attention)? Which seed paper supports your reform, and what does it warn about? (e.g.
        000-17, 000-21, 002-20, 003-09, 004-18, 004-20 in `docs/sources.md`)

        **Answer:** …

        **Q6 (extension).** Combine two reforms. Is the effect of the pair the sum of the effects
        of each? Try one pair where you expect the answer to be no.

        **Answer:** …
    """),
    code("""
        EX.shutdown()
    """),
]

NB_ANS1 = [
    md(OVERLOADED_INTRO.replace("# Exercise 1 ·", "# Answers to exercise 1 ·") + """
    *This is the answer notebook: the same diagnosis, then every plausible reform tested side by
    side, with worked answers. Numbers printed below come from the runs; the text explains the
    mechanisms behind them.*
    """),
    OVERLOADED_PARAMS,
    SETUP,
    OVERLOADED_SETUP,
    *OVERLOADED_DIAGNOSIS,
    code("""
        worst = pd.Series({k: s[f"on_time_rate_level_{k}"] for k in range(1, 6)}).idxmin()
        busiest = util.idxmax()
        print(f"busiest kind of unit: {busiest} (utilisation {util.max():.2f}); "
              f"lowest on-time rate: level {worst} ({s[f'on_time_rate_level_{worst}']:.2f})")
    """),
    md("""
        **A1.** The county's **departments** (职能部门) are the overloaded units: most level-4 and
        level-5 issues end there, and with twice the issues their utilisation (about 0.8 on
        average, more on busy days; about 0.42 in a normal year) is the highest of all, with the
        township command rooms, which solve level-3 issues, close behind. The
        issues of levels 4 and 5 miss their deadlines (7 and 10 days) most often, and they are
        where the issue-days are held (holding share at rank 4). Grid teams and villages have
        spare capacity — the load is in the wrong place for them to help.

        **A2.** Mostly **capacity**. Push-back and disputes exist (see `pushback_rate`,
        `coordination_dependence`), but they are a small share of the dispatches; the queue is the
        departments' queue of work. Reforms that only remove disputes will move coordination
        dependence a lot and on-time performance little.
    """),
    *OVERLOADED_MENU,
    md("""
        ## Every candidate, tested

        Each reform applied on `REFORM_DAY`, all with the same seeds (paired twins).
    """),
    code("""
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
    """),
    code("""
        plots.effects(results, ["on_time_rate", "days_to_close_mean", "closure_rate", "coordination_dependence",
                                "pushback_rate", "utilisation_department"], lang=LANG, width=8,
                      title="paired effects, % of baseline (95 % CI)")
    """),
    code("""
        rel = effects["relative"].unstack("metric")
        ci_low = effects["ci_low"].unstack("metric")
        print("best for on-time rate:", rel["on_time_rate"].idxmax())
        print("best for coordination dependence:", rel["coordination_dependence"].idxmin())
        print("clearly worse on-time rate (CI below 0):", list(ci_low.index[effects["ci_high"].unstack("metric")["on_time_rate"] < 0]))
    """),
    md("""
        **A3/A4 — what each reform does here, and why.**

        * **Empowering the centre** (联动中心赋权) removes most push-back and most of the leader's
          coordination, by construction: push-back scales with `1 − authority` and the centre
          settles disputes itself with probability `authority` (ODD 7.7–7.8). Coordination
          dependence falls steeply (the clearest effect of all) — but the departments still have
          the same staff-days, so on-time performance hardly moves. It fixes *coordination*, and
          the diagnosis said the problem is *capacity*.
        * **The digital platform** (五层贯通) cuts the hand-over delay to zero and distortion per hop
          to 30 %, and passes issues straight to the level that can solve them: days to close fall
          and the on-time rate rises, the best result on speed without adding staff.
        * **A big department** unites domains, so push-back between its former members vanishes,
          but each merged department carries the upper-level counterparts (对口) of all its
          members, and each beyond the first costs capacity: department utilisation *rises*
          (004-18, ten or more counterparts per Longgang section).
        * **Collaboration in assessment** (001-11) lowers push-back, like authority, without
          changing capacity.
        * **Town–village integration** (镇村一体化, 003-09) moves township staff down to the
          villages, which were not the bottleneck, and takes it from the command rooms that solve
          level-3 issues.
        * **Removing the township layer** removes staff (most of it is cut) and sends level-3 issues
          to the already overloaded departments: clearly worse (004-20: the adjacent levels carry
          the work).

        **A5 — costs.** None of these reforms adds staff (`staff_total` is unchanged except for the
        flattening, which cuts it). Empowerment costs political capital the model does not count
        (000-06: the director's concurrent post; 002-17: a higher rank); the platform costs money
        and a closed loop that must really be run (002-13); merging departments costs counterpart
        overhead. The seed papers warn that adding rules to enforce performance leads to the
        involution trap (000-21, notebook 05) and that empowerment without resources leaves
        "limited resources, comprehensive responsibility" at the bottom (002-22).

        **A6 — pairs.** Effects add when reforms act on different mechanisms (platform: delay;
        empowerment: disputes) and interact when they act on the same one (empowerment and
        collaboration assessment both scale push-back: the second has little left to remove).
    """),
    code("""
        pair = [f"empower_centre:authority=0.8@{REFORM_DAY}", f"collaboration_assessment:weight=0.5@{REFORM_DAY}"]
        both = compare(SCENARIO, pair, seeds=SEEDS, days=DAYS, overrides=OVERLOAD, executor=EX)
        one = effects[["effect"]].unstack("metric")["effect"]
        pd.DataFrame({
            "empower": one.loc["empower centre (000, 002)", ["pushback_rate", "coordination_dependence"]],
            "collaboration": one.loc["collaboration assessment (001)", ["pushback_rate", "coordination_dependence"]],
            "both": effects_table(both, ["pushback_rate", "coordination_dependence"]).set_index("metric")["effect"],
        })
    """),
    code("""
        EX.shutdown()
    """),
]


# ---- classroom: the middle layer --------------------------------------------------------------

MIDDLE_INTRO = """
    # Exercise 2 · Why does the middle layer come back? (中间层为何再生)

    In Longgang the township layer was abolished (004-02). Soon nine **areas** (片区) stood
    between the city and its 102 communities — not an administrative level, without quota or
    legal status (004-10); they drifted into acting like townships (乡镇化) and were replaced by
    26 **governance units** (004-11), still without personnel, finance or property powers
    (004-15). Scholars call this reverse flattening (逆扁平化, 004-14).

    In this exercise you abolish the township layer of the teaching county, watch what happens
    to the span of control and the load, and let the model's *re-emergence rule* decide whether a
    quasi-layer appears. Then you ask what the quasi-layer does — and what the model can and
    cannot say about why it comes back.
"""

MIDDLE_PARAMS = params("""
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
""")

MIDDLE_SETUP = code("""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from reformabm.compare import compare, effects_table

    FLATTEN = [f"remove_layer:layer=township@{REFORM_DAY}"]
    RULE = [f"middle_layer_rule:overload={OVERLOAD},max_span={MAX_SPAN}@{REFORM_DAY}"]
    EX = ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("forkserver"))

    def emergence(model):
        \"\"\"Day on which quasi-units appeared, or None.\"\"\"
        days = [r["day"] for r in model.reforms_applied if r["name"] == "middle_layer_emerged"]
        return days[0] if days else None
""")

MIDDLE_PART_A = [
    md("""
        ## Part A · Flatten

        The township layer is removed on `REFORM_DAY`: villages report to the county directly.
    """),
    code("""
        flat = ReformModel(SCENARIO, rng=SEEDS[0], days=DAYS, reforms=FLATTEN).run()
        plots.timeseries(flat, ["span_of_control_max", "utilisation_department", "utilisation_village",
                                "days_to_close_mean"], lang=LANG, rolling=14)
    """),
]

MIDDLE_PART_B = [
    md("""
        ## Part B · Let the rule decide

        `middle_layer_rule` (docs/ODD.md 7.18) checks every two weeks: if the departments' mean
        utilisation over the window is at least `OVERLOAD` **and** some unit commands more than
        `MAX_SPAN` subordinates, it inserts ⌈span / 12⌉ quasi-units (片区) under that unit. They
        have no staff and solve nothing; each is one more hand-over on the way up.
    """),
    code("""
        ruled = ReformModel(SCENARIO, rng=SEEDS[0], days=DAYS, reforms=FLATTEN + RULE).run()
        print("quasi-units appeared on day", emergence(ruled))
        plots.org_network(ruled, lang=LANG)
    """),
]

NB_EX2 = [
    md(MIDDLE_INTRO),
    MIDDLE_PARAMS,
    SETUP,
    MIDDLE_SETUP,
    *MIDDLE_PART_A,
    md("""
        **Q1.** What happened to the county's span of control (管理幅度) and to the departments'
        load? Which two levels carry the work the townships did (004-20)?

        **Answer:** …
    """),
    *MIDDLE_PART_B,
    md("""
        **Q2.** Which two conditions make quasi-units appear in the model? Which of them can you
        find in the Longgang paper (004-10, 004-11, 004-15, 004-18)?

        **Answer:** …

        **Q3.** Change `OVERLOAD` and `MAX_SPAN` in the parameters cell (or the share of township
        staff kept, `remove_layer:layer=township,reassign_share=0.5`) and run again. When does the
        middle layer *not* come back? Run several seeds: is it the same in every seed?
    """),
    code("""
        came_back = {}
        for seed in SEEDS:
            m = ReformModel(SCENARIO, rng=seed, days=DAYS, reforms=FLATTEN + RULE).run()
            came_back[seed] = emergence(m)
        came_back
    """),
    md("""
        **Answer:** …

        **Q4.** Do the quasi-units help? Compare a flattened county with and without three areas
        (片区) inserted by hand the day after the flattening. (Both arms start from the flattened
        county: the flattening is put into the scenario of both arms with `overrides`.)
    """),
    code("""
        flattened = {"reforms": [{"name": "remove_layer", "day": REFORM_DAY, "layer": "township"}]}
        areas = compare(SCENARIO, [f"middle_layer:under=county,count=3@{REFORM_DAY + 1}"], seeds=SEEDS, days=DAYS,
                        overrides=flattened, executor=EX)
        M = ["closure_rate", "on_time_rate", "days_to_close_mean", "hops_mean", "utilisation_department"]
        display(effects_table(areas, M))
        plots.effects(areas, M, lang=LANG, title="three areas inserted into the flattened county")
    """),
    md("""
        **Answer:** …

        **Q5.** The model inserts quasi-units by a *rule*; it does not compute that they pay off.
        What does that mean for the question "why does the middle layer come back"? Name two
        things Longgang's areas did that the model's quasi-units do not (004-15, 004-16), and one
        reason outside the model's scope (legal status, personnel, promotion, 004-18).

        **Answer:** …
    """),
    code("""
        EX.shutdown()
    """),
]

NB_ANS2 = [
    md(MIDDLE_INTRO.replace("# Exercise 2 ·", "# Answers to exercise 2 ·") + """
    *This is the answer notebook: the exercise's runs, a sweep over the rule's thresholds and the
    staff kept, the test of quasi-units with and without seconded staff, and worked answers.*
    """),
    MIDDLE_PARAMS,
    SETUP,
    MIDDLE_SETUP,
    *MIDDLE_PART_A,
    code("""
        t = flat.timeseries()
        pre, post = t[t.day < REFORM_DAY], t[t.day > REFORM_DAY + 14]
        pd.DataFrame({"before": pre[["span_of_control_max", "utilisation_department", "utilisation_village"]].mean(),
                      "after": post[["span_of_control_max", "utilisation_department", "utilisation_village"]].mean()})
    """),
    md("""
        **A1.** The largest span of control jumps from 8 (the villages of one township) to 40
        (every village, now directly under the county). Level-3 issues,
        which the township command rooms solved, now go up to the county centre and its
        departments; a quarter of the township staff went to the departments, 15 % down to the
        villages, the rest was cut. So the departments' load rises (and the leaders', who settle
        more disputes), while the villages' barely moves: in the model the townships' work can
        only go *up*, to a unit able to solve it. Longgang's paper says both adjacent levels
        carry more work (004-20); the model reproduces the upper half of that statement. The
        lower half would need the communities to take on tasks themselves (e.g. pushed-down
        tasks, `workload.pushdown_share`).
    """),
    *MIDDLE_PART_B,
    md("""
        **A2.** Two conditions, both in the rule: (a) a unit whose span of control exceeds
        `MAX_SPAN` and (b) departments overloaded (mean utilisation ≥ `OVERLOAD` over two
        weeks). Longgang has both: a city directly facing 102 communities (004-10) and a city
        government working with about 40 % of the usual staff, one section facing ten or more
        upper-level counterparts (004-06, 004-18). The paper describes the areas as a way to
        manage the span, not as a way to add capacity: they had no quota of their own (004-10).
    """),
    md("""
        **A3.** The threshold decides. Share of seeds in which quasi-units appeared, and when, for
        several thresholds:
    """),
    code("""
        def emerges(overload, seed, reassign=0.25):
            m = ReformModel(SCENARIO, rng=seed, days=DAYS,
                            reforms=[f"remove_layer:layer=township,reassign_share={reassign}@{REFORM_DAY}",
                                     f"middle_layer_rule:overload={overload},max_span={MAX_SPAN}@{REFORM_DAY}"]).run()
            return emergence(m)

        rows = [{"overload": ov, "reassign_share": ra, "seed": s, "day": emerges(ov, s, ra)}
                for ov in [0.45, 0.55, 0.65] for ra in [0.25, 0.6] for s in SEEDS[:3]]
        sweep_rule = pd.DataFrame(rows)
        sweep_rule.assign(came_back=sweep_rule.day.notna()).groupby(["overload", "reassign_share"]).agg(
            share_of_seeds=("came_back", "mean"), first_day=("day", "min"))
    """),
    md("""
        With a low threshold the layer comes back in every seed within weeks; with a high one,
        rarely or never; keeping more of the township staff (`reassign_share`) lowers the
        departments' load and so delays or prevents it. Because the departments' utilisation
        hovers around the threshold, seeds differ: whether the layer comes back is a *stochastic*
        outcome near the threshold.
    """),
    code("""
        flattened = {"reforms": [{"name": "remove_layer", "day": REFORM_DAY, "layer": "township"}]}
        M = ["closure_rate", "on_time_rate", "days_to_close_mean", "hops_mean", "utilisation_department"]
        variants = {
            "3 areas, no staff": [f"middle_layer:under=county,count=3@{REFORM_DAY + 1}"],
            "3 areas, seconded staff": [f"middle_layer:under=county,count=3,seconded_staff=0.5@{REFORM_DAY + 1}"],
        }
        area_results = {name: compare(SCENARIO, r, seeds=SEEDS, days=DAYS, overrides=flattened, executor=EX)
                        for name, r in variants.items()}
        display(pd.concat({k: effects_table(v, M).set_index("metric")[["baseline", "reform", "effect", "ci_low", "ci_high"]]
                           for k, v in area_results.items()}))
        plots.effects(area_results, M, lang=LANG, title="quasi-units in the flattened county (paired, 95 % CI)")
    """),
    md("""
        **A4.** In the model the quasi-units do **not** help: each issue going up passes one more
        unit (`hops_mean` rises clearly), nothing is solved there, and neither the days to close
        nor the on-time rate improve (their intervals include zero or lie below it). With
        seconded staff it is worse: the staff comes from the departments ("two jobs", 004-16),
        so the departments' utilisation rises and fewer issues are closed. This matches the paper's finding
        that the middle layer "can neither coordinate departments nor serve communities well"
        (004-15).

        **A5.** The model's answer to "why does it come back?" is *assumed*, not derived: the
        rule says that an overloaded organisation with a wide span inserts quasi-units. What the
        model shows is the *consequence* (more hops, no capacity) and the *conditions* under
        which the rule fires (how staff cuts and load make them likely). What Longgang's areas
        did that the model's do not: they received assessment tasks from departments and acted as
        a quasi-township ("社区吹哨、部门报到", 004-15); their staff kept jobs in their departments
        (004-16). Outside the model: the search for a body that upper levels can hold responsible
        (属地 responsibility), the lack of legal status and quota (004-10, 004-14), promotion and
        pay (004-18). A richer model would make re-emergence a *decision* with a payoff — e.g.
        leaders' attention saved versus hand-overs added.
    """),
    code("""
        EX.shutdown()
    """),
]


# ---- 07 calibration -----------------------------------------------------------------------------

NB07 = [
    md("""
        # 07 · Calibration against the papers and a ticket log (校准：论文数据与工单台账)

        Every behavioural number of a scenario starts as a schema default or an assumption.
        `reformabm.calibration` ties them to data:

        * a **targets file** lists observed figures, each with a tolerance and its source;
        * `calibrate` fits parameters to it: **ABC-SMC** (approximate Bayesian computation with
          pyabc; a posterior over the parameters) or **SMM** (simulated method of moments with
          scipy; a point estimate with a confidence interval);
        * `ingest` turns a county's 12345 / grid-platform ticket log (工单) into a targets file,
          with the same metric definitions as the model's `summary.json`.

        The first fit is Shiquan county (003): its secretary's ledgers (书记民情三本账) closed
        8,597 of 8,812 cases in 2016–2021 (97.6 %) with satisfaction of 98.5 % or more (003-07),
        about 8.1–8.9 cases per 1,000 residents a year. The notebook runs on a small budget; the
        worked calibration in `calibration/results/shiquan/` used the same command with more runs.
    """),
    params("""
        # Parameters (the tests run this notebook with smaller values)
        DAYS = 365            # days per simulation
        BUDGET = 60           # model runs for the Shiquan fit (the worked calibration: 300)
        LOG_BUDGET = 30       # model runs for the fit to the example ticket log
        WORKERS = 2
        BACKEND = "local"     # "local", "dask" or "sequential"
        LANG = "en"
    """),
    SETUP,
    code("""
        import json
        import tempfile
        from pathlib import Path

        from reformabm.calibration.calibrate import calibrate, problem_from_targets
        from reformabm.calibration.figures import fit_figure, posterior_figure
        from reformabm.calibration.ingest import EXAMPLES_DIR, ingest, write_targets
        from reformabm.calibration.targets import load_targets

        WORKDIR = Path(tempfile.mkdtemp(prefix="reformabm_calibration_"))
    """),
    md("""
        ## 1 The targets

        `calibration/targets/shiquan.toml` holds the paper's figures with their sources, and the
        parameters to fit with their prior ranges (all three were assumptions in
        `models/shiquan.toml`). The population and the number of layers are inputs of the
        scenario, kept as checks.
    """),
    code("""
        tf = load_targets("shiquan")
        display(pd.DataFrame([t.model_dump() for t in tf.target])[["metric", "value", "tolerance", "source"]])
        display(pd.DataFrame([p.model_dump() for p in tf.param]))
    """),
    md("""
        ## 2 Fit by ABC-SMC

        Each simulation is one parameter vector run with `replications` seeds; its distance is the
        largest target deviation in tolerances, so a generation whose epsilon is below 1 has every
        accepted particle within every tolerance. The history is a SQLite file: interrupted, the
        same call continues from the last finished generation.
    """),
    code("""
        problem = problem_from_targets(tf, days=DAYS)
        res = calibrate(problem, method="abc", budget=BUDGET, out=WORKDIR / "shiquan",
                        workers=WORKERS, backend=BACKEND if WORKERS > 1 else "sequential", quiet=False)
        report = res.report()
        res.history
    """),
    md("""
        ## 3 Read the posterior

        `best` is the weighted median, `lo`–`hi` the 90 % credible interval; a parameter is
        *identified* when that interval covers less than half of its prior range. On a budget
        this small most parameters are not yet identified: the posterior is still close to the
        prior. The pair plot shows which combinations the targets allow.
    """),
    code("""
        display(pd.DataFrame(report["params"]).T)
        display(posterior_figure(res.posterior_frame(), report))
    """),
    md("""
        ## 4 Check the fit

        Runs at `best` with fresh seeds give each target's simulated mean (the dot), with the 90 %
        interval of the accepted particles; the band is the observed value ± its tolerance.
    """),
    code("""
        display(pd.DataFrame(report["targets"]))
        display(fit_figure(report))
    """),
    md("""
        ## 5 A ticket log

        `calibration/examples/12345_synthetic_log.csv` is a **synthetic** 12345 export (made up;
        no real place): 工单编号, 受理时间, 办结时间, 承办单位, 办理时限, 是否超期, 满意度, 办理状态,
        重复件. The column map `12345_columns.toml` says which column is which field and how its
        values read. Two rows are broken on purpose: they are reported with their line numbers and
        counted, not dropped in silence. The metrics follow the model's definitions: the
        censoring-aware on-time rate counts open tickets past their time limit as late; the
        closed-only rate is what a bulletin would report.
    """),
    code("""
        log = ingest(EXAMPLES_DIR / "12345_synthetic_log.csv", EXAMPLES_DIR / "12345_columns.toml",
                     population=60000)
        print(log.source)
        print("rejected:", log.rejected)
        keys = ["closure_rate", "on_time_rate", "on_time_rate_closed_only", "days_to_close_mean",
                "days_to_close_p90", "reopened_rate", "satisfaction", "issues_per_1000_people"]
        pd.Series({k: log.metrics[k] for k in keys}, name="log")
    """),
    md("""
        ## 6 Fit the log

        The log becomes a targets file for the teaching county (60,000 residents, the same length
        as the log). Here four of its figures are fitted by SMM: every evaluation uses the same
        seeds (common random numbers), a Latin-hypercube design is followed by Nelder–Mead, and
        the interval comes from the moments' local slopes. The teaching county is deliberately
        overloaded, so whether it *can* match a well-run hotline is itself a finding.
    """),
    code("""
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
    """),
    md("""
        ## From the command line

        ```bash
        reformabm calibrate shiquan --budget 300 --workers 2 --out runs/cal_shiquan
        reformabm ingest calibration/examples/12345_synthetic_log.csv \\
            --columns calibration/examples/12345_columns.toml --scenario teaching --out runs/log.toml
        reformabm calibrate runs/log.toml --method smm --param residents.issues_per_person_year=0.05:0.3
        ```

        See `docs/calibration.md` for the file formats and the methods.
    """),
]


# ---- 08 scenario discovery ----------------------------------------------------------------------

NB08 = [
    md("""
        # 08 · Where does a reform fail? Shards, scenario discovery and more sensitivity methods (情景发现)

        Sensitivity indices (notebook 06) answer *which lever matters*. A reformer also asks
        *under which combinations of conditions the reform fails*: **scenario discovery**, as
        EMA workbench made it standard (Bryant & Lempert 2010; Kwakkel 2017). This notebook

        1. runs a small Latin-hypercube sweep of the teaching county **in shards**, the way a
           SLURM job array would (`reformabm sweep FILE --out DIR --shard I/N`), and checks that
           a final plain sweep finds nothing left to run;
        2. marks the runs where the on-time rate (按时办结率) is poor and lets **PRIM** and **CART**
           find the boxes of lever space that hold them: centre authority (联动中心权威, the
           "insufficient authority" of 000), push-back (推诿, 001) and whether the township layer is
           removed (撤乡镇, the Longgang reform of 004);
        3. reads **Borgonovo's delta** and **PAWN** (they look at the whole distribution of an
           output, not only its variance) next to **Sobol'** on a small Sobol design.

        The sweeps are tiny, so read the boxes and rankings, not the decimals.
    """),
    params("""
        # Parameters (the tests run this notebook with smaller values)
        POINTS = 120          # Latin-hypercube points of the discovery sweep
        DAYS = 120            # days per run (the reform applies on REFORM_DAY)
        REFORM_DAY = 30
        SHARDS = 3            # job-array tasks, run one after another here
        SOBOL_N = 16          # Sobol base sample N, a power of 2
        WORKERS = 2
        LANG = "en"
    """),
    SETUP,
    code("""
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
    """),
    md("""
        ## 1 A sweep in shards (分片)

        Shard *I* of *N* runs the runs whose `run_id` is *I* − 1 modulo *N*: disjoint parts that
        together make the whole design. On a cluster each is one array task, all writing into the
        same directory at once (`reformabm sweep FILE --out DIR --slurm N` writes the script). Here
        they run one after the other; a last plain sweep then has nothing left to do.
    """),
    code("""
        OUT = WORKDIR / "lhs"
        with make_executor("local", workers=WORKERS) as ex:
            for i in range(1, SHARDS + 1):
                r = sweep(design, OUT, ex, SweepOptions(shard=Shard(i, SHARDS)))
                print(f"shard {r.shard}: {r.done_now} runs now, {r.stored} of its {r.total} stored")
        final = sweep(design, OUT)
        print(f"plain sweep afterwards: {final.done_now} runs to do, {final.stored} of {final.total} stored")
        print(sorted(p.name for p in (OUT / "runs").glob("*.parquet"))[:4], "...")
    """),
    md("""
        ## 2 Which runs fail?

        A run is a *case of interest* when its on-time rate is in the worst quarter of the sweep
        (a threshold you would set from a policy target, e.g. 0.8).
    """),
    code("""
        runs = load(OUT)
        THRESHOLD = float(runs["on_time_rate"].quantile(0.25))
        print(f"on-time rate below {THRESHOLD:.3f}: {int((runs['on_time_rate'] < THRESHOLD).sum())} of {len(runs)} runs")
        plots.response_surface(runs, "centre.authority", "process.pushback_propensity", "on_time_rate",
                               lang=LANG, bins=4)
    """),
    md("""
        ## 3 PRIM boxes (EMA workbench)

        PRIM peels lever space step by step. Each step trades *coverage* (the share of all
        failing runs inside the box) for *density* (the share of the box's runs that fail). The box
        reported is the most covering one with density ≥ 0.8 (or the densest, if none gets there).
        `reformabm discover DIR --metric on_time_rate --below X` does the same from the command line
        and writes `boxes.json` and both figures.
    """),
    code("""
        result = discover(OUT, "on_time_rate", below=THRESHOLD)
        print(f"{result.n_cases} of {result.n_runs} runs have {result.rule}")
        for j, box in enumerate(result.boxes, 1):
            print(f"box {j}: coverage {box['coverage']:.2f}, density {box['density']:.2f}, {box['n']} runs")
            print("   ", json.dumps(box["limits"], ensure_ascii=False))
        display(plot_tradeoff(result, lang=LANG))
        plot_boxes(result, lang=LANG)
    """),
    md("""
        CART (a classification tree) answers the same question with axis-parallel splits; its
        dense leaves are boxes too. When both methods restrict the same levers, trust the finding
        more.
    """),
    code("""
        tree = discover(OUT, "on_time_rate", below=THRESHOLD, method="cart")
        for j, box in enumerate(tree.boxes, 1):
            print(f"CART box {j}: coverage {box['coverage']:.2f}, density {box['density']:.2f}:",
                  json.dumps(box["limits"], ensure_ascii=False))
    """),
    md("""
        EMA workbench users can take the store as the `(experiments, outcomes)` pair they know and
        use any of its tools (feature scoring, dimensional stacking, PRIM's own plots):
    """),
    code("""
        experiments, outcomes = to_ema(OUT)
        print(experiments.dtypes.to_string())
        print(sorted(outcomes)[:8], "...")
    """),
    md("""
        ## 4 Delta and PAWN next to Sobol'

        A small Sobol design (N·(k+2) points) gives Sobol' indices (S1, ST: shares of variance).
        The same runs also feed Borgonovo's **delta** and **PAWN**, which compare whole output
        distributions. They can rank a lever higher when it moves the tail (rare collapses of
        the on-time rate) more than the mean. `reformabm sensitivity DIR --method delta|pawn|rbd_fast`
        reads any LHS, random or Sobol store; asking a method for a design it cannot use names
        the design it needs.
    """),
    code("""
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
    """),
    md("""
        ## On the command line

        ```sh
        reformabm sweep FILE --out out/d --shard 1/3      # ... 2/3, 3/3, at the same time if you like
        reformabm sweep FILE --out out/d --slurm 64       # writes out/d/slurm.sh: sbatch it
        reformabm discover out/d --metric on_time_rate --below 0.6 [--method cart] [--lang zh]
        reformabm sensitivity out/d --method delta        # or pawn, rbd_fast; sobol/morris/dgsm need their designs
        ```
    """),
    code("""
        import shutil
        shutil.rmtree(WORKDIR, ignore_errors=True)
    """),
]


# ---- registry and writing ---------------------------------------------------------------------

NOTEBOOKS: dict[str, list[tuple[str, str]]] = {
    "01_quickstart": NB01,
    "02_linkage_centre": NB02,
    "03_five_level_platform": NB03,
    "04_abolishing_the_township": NB04,
    "05_involution_trap": NB05,
    "06_sweeps_and_sensitivity": NB06,
    "07_calibration": NB07,
    "08_scenario_discovery": NB08,
    "classroom/exercise_overloaded_county": NB_EX1,
    "classroom/answers_overloaded_county": NB_ANS1,
    "classroom/exercise_middle_layer": NB_EX2,
    "classroom/answers_middle_layer": NB_ANS2,
}


def build(name: str) -> nbformat.NotebookNode:
    """Build notebook ``name`` (no outputs, deterministic cell ids)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": dict(KERNELSPEC),
                   "language_info": {"name": "python", "pygments_lexer": "ipython3"}}
    slug = name.replace("/", "-")
    for i, (kind, text) in enumerate(NOTEBOOKS[name]):
        cid = f"{slug}-{i:02d}"[-64:]
        if kind == "markdown":
            cell = nbformat.v4.new_markdown_cell(text, id=cid)
        else:
            cell = nbformat.v4.new_code_cell(text, id=cid)
            if kind == "parameters":
                cell.metadata["tags"] = ["parameters"]
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def path_of(name: str) -> Path:
    """Where notebook ``name`` lives."""
    return HERE / f"{name}.ipynb"


def write_all(names: list[str]) -> None:
    """Write the notebooks."""
    for name in names:
        p = path_of(name)
        p.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(build(name), p)
        print(f"wrote {p.relative_to(HERE.parent)}")


def has_outputs(nb: nbformat.NotebookNode) -> bool:
    """Whether any code cell holds outputs or an execution count."""
    return any(c.cell_type == "code" and (c.get("outputs") or c.get("execution_count")) for c in nb.cells)


def _content(nb: nbformat.NotebookNode) -> list:
    """Return what must match between a stored notebook and this file (not nbformat's version)."""
    return [nb.metadata.get("kernelspec", {}).get("name")] + [
        (c.cell_type, c.source, c.get("id"), sorted(c.metadata.get("tags", []))) for c in nb.cells]


def check(names: list[str]) -> list[str]:
    """Problems: notebooks missing, differing from this file, or holding outputs."""
    problems = []
    for name in names:
        p = path_of(name)
        if not p.is_file():
            problems.append(f"{p.name}: missing (run notebooks/_build.py)")
            continue
        on_disk = nbformat.read(p, as_version=4)
        if has_outputs(on_disk):
            problems.append(f"{name}: has outputs (clear them: notebooks/_build.py rewrites it clean)")
        if _content(on_disk) != _content(build(name)):
            problems.append(f"{name}: differs from notebooks/_build.py (edit the cells there and rebuild)")
    return problems


def execute(name: str, overrides: str | None = None, timeout: int = 600, keep: Path | None = None) -> float:
    """Run notebook ``name`` top to bottom and return the wall time.

    ``overrides`` (code) is inserted after the parameters cell. Outputs are not written back,
    only to the folder ``keep`` if given.
    """
    from nbclient import NotebookClient

    nb = build(name)
    if overrides:
        i = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
        nb.cells.insert(i + 1, nbformat.v4.new_code_cell(overrides, id="injected-parameters"))
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path_of(name).parent)}})
    t0 = time.perf_counter()
    client.execute()
    dt = time.perf_counter() - t0
    if keep is not None:
        out = keep / f"{name}.ipynb"
        out.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, out)
    return dt


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("names", nargs="*", help="notebooks (default: all)")
    ap.add_argument("--check", action="store_true", help="check the notebooks are built and clean")
    ap.add_argument("--execute", action="store_true", help="execute them with nbclient and print timings")
    ap.add_argument("--keep", type=Path, help="with --execute: write executed copies into this folder")
    ap.add_argument("--set", dest="overrides", help="with --execute: code inserted after the parameters cell")
    args = ap.parse_args(argv)
    names = args.names or list(NOTEBOOKS)
    unknown = [n for n in names if n not in NOTEBOOKS]
    if unknown:
        ap.error(f"unknown notebooks {unknown}; expected some of {list(NOTEBOOKS)}")
    if args.check:
        problems = check(names)
        for p in problems:
            print(p, file=sys.stderr)
        return 1 if problems else 0
    if args.execute:
        total = 0.0
        for name in names:
            dt = execute(name, args.overrides, keep=args.keep)
            total += dt
            print(f"{name:45s} {dt:6.1f} s", flush=True)
        print(f"{'total':45s} {total:6.1f} s")
        return 0
    write_all(names)
    return 0


if __name__ == "__main__":
    sys.exit(main())
