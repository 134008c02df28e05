"""ReformModel: the Mesa model of a local-government organisation and its issues.

One step is one day. The order of a day (documented in docs/ODD.md, "Process overview"):

1. reforms scheduled for today are applied;
2. campaigns start or end; every unit's capacity for issues is set (staff-days after rule
   overhead, campaigns and push-down; more with pressure-driven effort);
3. problems closed on paper earlier come back as new linked issues (re-reported);
4. residents' new problems arise (latent);
5. latent problems are discovered on patrol, reported by residents, or given up;
6. handling rounds: each unit works through its queue with its capacity; finished work
   solves, forwards, dispatches, pushes back, coordinates or confirms;
7. grid teams patrol with the rest of their working day;
8. deadline lights: paper closures of issues a holder would miss, extensions, red lights to
   supervision, late cases to discipline (blame);
9. the day's metrics are computed and collected;
10. pressure decays, strain accumulates, rules are reviewed (adaptive rule growth).
"""

from __future__ import annotations

import os
from typing import Any

import mesa
import networkx as nx
import numpy as np
from mesa.experimental.scenarios import Scenario as MesaScenario

from reformabm.agents import AGENT_CLASS, Resident
from reformabm.agents.accountability import deadline_urgency, lights_phase
from reformabm.agents.grid_worker import latent_phase, patrol_phase
from reformabm.agents.resident import comebacks_phase, generate_issues
from reformabm.categories import CategoryTable
from reformabm.errors import OverrideError
from reformabm.issues import EventKind, EventLog, IssueStore, Stage
from reformabm.metrics import LEVELS, DailyCollector, Metrics, model_reporters
from reformabm.org.graph import NodeKind, build_org_graph
from reformabm.org.measures import centre_betweenness, n_layers, span_of_control_max, staff_total
from reformabm.org.tables import KIND_CODES, RoutingTables, routing_tables
from reformabm.parameters import resolve_parameter
from reformabm.routing import run_handling_rounds
from reformabm.scenario import Scenario, load_scenario
from reformabm.workload import Workload

__all__ = ["ReformModel", "ReformScenario"]

#: solve work's factor by an issue's number of domains (int8): 1 + 0.5 per domain beyond the first
_DOMAIN_FACTOR = 1.0 + 0.5 * (np.arange(128) - 1)


class ReformScenario(MesaScenario):
    """Mesa's scenario of a run (``mesa.experimental.scenarios.Scenario``): the case and its parameters.

    Mesa 3.5's ``Model`` takes a ``scenario=`` keyword holding a run's seed and parameters, and
    SolaraViz and batch runs build models from one. Here ``case`` is the reformabm scenario (a
    shipped name or a TOML path); every other field is a behavioural parameter by flat name, or
    ``days``, ``reforms`` or ``overrides``, as keywords of :class:`ReformModel`:

    >>> m = ReformModel(scenario=ReformScenario(rng=1, case="teaching", days=5, centre_authority=0.9))
    >>> m.scenario.case, m.spec.centre.authority, m.days
    ('teaching', 0.9, 5)
    """

    case: str = "teaching"


class ReformModel(mesa.Model):
    """Agent-based model of a Chinese local-government organisation (条块, 联动中心, 网格化).

    Parameters
    ----------
    scenario : str, Path, Scenario or ReformScenario
        A shipped scenario's name (``"teaching"``), a TOML path, a validated scenario, or Mesa's
        scenario object (:class:`ReformScenario`, whose ``case`` names one of the former and
        whose other fields are keywords below). ``model.scenario`` is always Mesa's scenario of
        the run (its ``case``, ``rng`` and parameters); the validated reformabm scenario is
        ``model.spec``.
    rng : int, optional
        Seed of the run's single random source (None: drawn from the OS and recorded in
        ``model.seed``).
    days : int, optional
        Run length; the model stops (``running = False``) after it. Default: the scenario's.
    overrides : dict, optional
        Dotted-path overrides of any scenario field (``{"levels[township].staff": 4}``).
    reforms : list of (day, Reform) or str, optional
        Reforms to apply on given days, in addition to the scenario's ``[[reforms]]``; a string
        is parsed like the CLI's ``--reform`` (``"remove_layer:layer=township@180"``).
    collect_daily : bool, default True
        Collect the daily metrics (``model.datacollector``, :meth:`timeseries`). False for runs
        whose summary alone is wanted (sweeps without time series, calibration, twins): the
        same results, about a tenth less time on a small scenario; :meth:`timeseries` then
        raises. ``mesa.batch_run`` and SolaraViz read the collector: keep it on for them.
    **params
        Behavioural parameters by flat name (``centre_authority=0.8``), bare field name when
        unique (``people_per_agent=50``) or dotted path. See ``reformabm params``.

    Examples
    --------
    >>> m = ReformModel("teaching", rng=1, days=10)
    >>> for _ in range(10): m.step()
    >>> m.summary()["issues_created"] > 0
    True
    """

    def __init__(
        self,
        scenario: str | os.PathLike | Scenario = "teaching",
        *,
        rng: int | None = None,
        days: int | None = None,
        overrides: dict[str, Any] | None = None,
        reforms: list[Any] | None = None,
        collect_daily: bool = True,
        **params: Any,
    ) -> None:
        if "seed" in params:  # Mesa's older keyword (Model(seed=...)): the same as rng
            seed = params.pop("seed")
            if rng is not None and seed != rng:
                raise OverrideError(f"seed = {seed!r} and rng = {rng!r}: give one of them")
            rng = seed
        mesa_scenario = scenario if isinstance(scenario, MesaScenario) else None
        if mesa_scenario is not None:  # Mesa's way (SolaraViz, batch runs): the case and parameters inside
            fields = {k: v for k, v in mesa_scenario if k != "rng"}
            scenario = fields.pop("case", None) or ReformScenario.case
            days = fields.pop("days", days)
            reforms = fields.pop("reforms", reforms)
            overrides = fields.pop("overrides", overrides)
            collect_daily = fields.pop("collect_daily", collect_daily)
            params = {**fields, **params}
            if mesa_scenario.rng is not None:
                if rng is not None and rng != mesa_scenario.rng:
                    raise OverrideError(f"rng = {rng!r} and scenario.rng = {mesa_scenario.rng!r}: give one seed")
                rng = mesa_scenario.rng
        if rng is None:
            rng = int(np.random.SeedSequence().entropy % (2**63))  # recorded for reproduction
        elif not isinstance(rng, (int, np.integer)):
            raise OverrideError(f"rng = {rng!r}: expected an integer seed")
        if mesa_scenario is None:
            case = scenario if isinstance(scenario, (str, os.PathLike)) else getattr(
                getattr(scenario, "scenario", None), "name", "(in memory)")
            mesa_scenario = ReformScenario(rng=int(rng), case=str(case), **params)
        else:
            mesa_scenario.__dict__["rng"] = int(rng)
        super().__init__(rng=int(rng), scenario=mesa_scenario)
        self.seed = int(rng)
        all_overrides = dict(overrides or {})
        for name, value in params.items():
            all_overrides[resolve_parameter(name)] = value
        self.spec: Scenario = load_scenario(scenario, all_overrides)
        self.scenario_name = self.spec.scenario.name
        self.days = int(days if days is not None else self.spec.scenario.days)
        self.day = 0
        self.categories = CategoryTable.from_scenario(self.spec)
        self.issues = IssueStore(capacity=max(4096, int(self.spec.residents.population
                                                      * self.spec.residents.issues_per_person_year
                                                      * min(self.days, 400) / 365 * 1.2)))
        self.events = EventLog(enabled=self.spec.process.record_history)
        #: some ledger case's claim exceeds what the county can grant (issue column
        #: ``unsettleable``, marked on entry by ``leaders.ledger_unsettled_share``)
        self.has_unsettleable = False
        self._arrival_counter = 0
        self.reforms_applied: list[dict[str, Any]] = []
        self.last_structural_day: int | None = None  # day of the last org-graph change (reform)

        self.org: nx.DiGraph = build_org_graph(self.spec, self.rng)
        self._create_unit_agents()
        self._refresh_tables()
        self._create_residents()
        self.workload = Workload(self)
        self.metrics = Metrics(self.tables.n)
        self.metrics.window = self.spec.workload.involution_window_days
        self.metrics.rule_unit_share = self.spec.workload.rule_overhead_per_rule
        self.collect_daily = bool(collect_daily)  # Metrics.end_day reads it
        self.schedule = self._build_schedule(reforms)
        self.active_rules: list[Any] = []
        self._reforms_today: list[str] = []
        self.datacollector = DailyCollector(model_reporters=model_reporters())

    # ---- construction ----------------------------------------------------------------------
    def _build_schedule(self, reforms: list[Any] | None) -> list[tuple[int, Any]]:
        from reformabm.reforms import check_schedule, parse_reform, schedule_from_scenario

        # reforms of the scenario file beyond a shortened run are not reached (and reported);
        # reforms asked for explicitly must fall inside the run
        schedule = []
        self.reforms_not_reached: list[str] = []
        for day, reform in schedule_from_scenario(self.spec):
            if day > self.days:
                self.reforms_not_reached.append(f"{reform.name}@{day}")
            else:
                schedule.append((day, reform))
        for item in reforms or []:
            if isinstance(item, str):
                schedule.append(parse_reform(item))
            else:
                day, reform = item
                schedule.append((int(day), reform))
        schedule.sort(key=lambda x: x[0])
        check_schedule(schedule, self.org, self.spec, self.days)
        return schedule

    def _create_unit_agents(self, units: list[int] | None = None) -> None:
        nodes = self.org.nodes
        todo = units if units is not None else list(nodes)
        by_kind: dict[NodeKind, list[int]] = {}
        for u in todo:
            by_kind.setdefault(NodeKind(nodes[u]["kind"]), []).append(u)
        for kind, us in by_kind.items():
            agents = AGENT_CLASS[kind].create_agents(self, len(us), unit=us)
            for a in agents:
                nodes[a.unit]["agent"] = a

    def _create_residents(self) -> None:
        ppa = self.spec.residents.people_per_agent
        t = self.tables
        grids = np.flatnonzero(t.kind == KIND_CODES[NodeKind.GRID])
        pops = np.array([self.org.nodes[int(g)]["population"] for g in grids], dtype=np.float64)
        n_agents = np.ceil(pops / ppa).astype(np.int64)
        first = np.concatenate([[0], np.cumsum(n_agents)[:-1]])
        total = int(n_agents.sum())
        grid_of = np.repeat(grids, n_agents)
        offset = np.arange(total) - np.repeat(first, n_agents)
        pop_of = np.minimum(ppa, np.repeat(pops, n_agents) - offset * ppa).astype(np.int64)
        Resident.create_agents(self, total, grid=grid_of.tolist(), population=pop_of.tolist(),
                               index=list(range(total)))
        self.people_per_agent = ppa
        self.grid_units = grids
        self.grid_population = pops
        self.grid_first_resident = first
        self.resident_grid = np.repeat(np.arange(len(grids)), n_agents)  # grid index of each agent
        self.issue_rate = self.spec.residents.issues_per_person_year
        self.resident_population = pop_of.astype(np.float64)
        self.trust = np.full(total, self.spec.residents.initial_trust)
        self.satisfaction = np.full(total, self.spec.residents.initial_satisfaction)
        self.comeback_ids = np.zeros(0, np.int64)
        self.comeback_due = np.zeros(0, np.int64)

    #: per-unit state arrays that outlive a reform of the organisation (name -> dtype), indexed
    #: by unit id; :meth:`_resize_unit_state` keeps them the size of the routing tables
    UNIT_STATE: dict[str, type] = {"work_today": np.float64, "patrol_days": np.float64,
                                   "_work_yesterday": np.float64, "accountability_cases": np.int64}

    def _resize_unit_state(self, n: int) -> None:
        """Resize every per-unit state array (here and the workload's) to ``n`` units, keeping values."""
        for name, dtype in self.UNIT_STATE.items():
            old = getattr(self, name, None)
            new = np.zeros(n, dtype)
            if old is not None:
                new[: min(len(old), n)] = old[:n]
            setattr(self, name, new)
        if hasattr(self, "workload"):
            self.workload.resize(n)

    def _refresh_tables(self) -> None:
        """Re-derive routing arrays and structure metrics after the org graph changed."""
        self.tables: RoutingTables = routing_tables(
            self.org, len(self.spec.domains), self.spec.centre.residual_department
        )
        n = self.tables.n
        self.events.set_units(n)
        self.capacity = self.tables.staff.copy()
        self.capacity_left = self.capacity.copy()
        self._resize_unit_state(n)
        self._structure = {
            "staff_total": staff_total(self.org),
            "n_layers": n_layers(self.org),
            "span_of_control_max": span_of_control_max(self.org),
        }
        self._betweenness: float | None = None

    # ---- quantities the submodels read ---------------------------------------------------------
    @property
    def platform(self) -> bool:
        """Whether the digital platform (level pass-through, 002) is on."""
        return self.spec.process.platform

    @property
    def hop_delay(self) -> int:
        """Days one hand-over takes."""
        p = self.spec.process
        return p.platform_hop_delay_days if p.platform else p.hop_delay_days

    @property
    def distortion_per_hop(self) -> float:
        """Probability that one hand-over distorts the issue's description."""
        p = self.spec.process
        return p.distortion_per_hop * (p.platform_distortion_factor if p.platform else 1.0)

    @property
    def deadline_days(self) -> np.ndarray:
        """Deadline in days by required level (index level - 1)."""
        return np.asarray(self.spec.process.deadline_days, dtype=np.int32)

    def solve_work(self, ids: np.ndarray) -> np.ndarray:
        """Staff-days to solve issues ``ids``: by level, times severity, more for more domains."""
        s = self.issues
        base = np.asarray(self.spec.process.solve_work)[s.level[ids] - 1]
        return base * s.severity[ids] * _DOMAIN_FACTOR[s.n_domains[ids]]

    def queue_rank(self, ids: np.ndarray) -> np.ndarray:
        """Queue rank of issues at their holders (lower first; ties by arrival).

        Earliest binding deadline first under supervision (unless ``deadline_priority`` is
        off), else all equal (first come, first served); see
        :func:`reformabm.agents.accountability.deadline_urgency`.
        """
        a = self.spec.accountability
        if a.supervision and a.deadline_priority:
            return deadline_urgency(self, ids)
        return np.zeros(len(ids), np.int64)

    def patrol_share(self) -> np.ndarray:
        """Share of each grid team's time left for patrol.

        What rules, campaigns, pushed-down tasks and yesterday's issue work leave of its gross
        capacity (its working day: see :func:`reformabm.agents.grid_worker.patrol_phase`).
        """
        gross = self.workload.gross
        share = np.divide(self.capacity - self._work_yesterday, gross, out=np.zeros(len(gross)), where=gross > 0)
        return np.clip(share, 0.0, 1.0)

    def next_arrivals(self, k: int) -> np.ndarray:
        """Queue-order stamps for ``k`` arrivals."""
        a = np.arange(self._arrival_counter, self._arrival_counter + k, dtype=np.int64)
        self._arrival_counter += k
        return a

    def held_counts(self) -> np.ndarray:
        """Known open issues held per unit id."""
        s = self.issues
        ids = s.open_ids
        ids = ids[s.stage[ids] != Stage.LATENT]
        return np.bincount(s.holder[ids], minlength=self.tables.n)

    def structure_metrics(self) -> dict[str, float]:
        """Staff total, number of layers and largest span of control of the current graph."""
        return self._structure

    def agent_of(self, unit: int) -> mesa.Agent:
        """The Mesa agent of unit ``unit``."""
        return self.org.nodes[unit]["agent"]

    # ---- reforms -------------------------------------------------------------------------------
    def apply_reform(self, reform: Any) -> dict[str, Any]:
        """Apply ``reform`` now (between days or at the start of today) and record it."""
        record = reform.apply(self)
        self.reforms_applied.append(record)
        self._reforms_today.append(reform.name)
        if getattr(reform, "persistent", False):
            self.active_rules.append(reform)
        return record

    def replace_org(self, g: nx.DiGraph, successors: dict[int, int]) -> None:
        """Install a reformed org graph, handing over the issues of removed units.

        Agents are created for new units and removed with their units, routing tables are
        re-derived, and every open issue held by a removed unit is handed over to its
        successor (never lost). A change of units or relations (not of attributes only) is a
        *structural* reform: it sets ``last_structural_day``, from which the windows of
        endogenous rules count (``Metrics.days_since_structure``).
        """
        old = self.org
        removed = [u for u in old.nodes if u not in g]
        added = [u for u in g.nodes if u not in old]
        if removed or added or old.number_of_edges() != g.number_of_edges() or set(old.edges) != set(g.edges):
            self.last_structural_day = self.day
            self.metrics.structure_mark = len(self.metrics.daily_util)
        for u in removed:
            old.nodes[u]["agent"].remove()
        for u in g.nodes:
            if u in old:
                g.nodes[u]["agent"] = old.nodes[u]["agent"]
        self.org = g
        self._create_unit_agents(sorted(added))
        self._refresh_tables()
        n = self.tables.n
        succ = np.arange(n)
        for u, v in successors.items():
            succ[u] = v
        for _ in range(8):  # follow chains of successors
            nxt = succ[succ]
            if np.array_equal(nxt, succ):
                break
            succ = nxt
        s = self.issues
        ids = s.open_ids
        handed = ids[np.isin(s.holder[ids], removed)] if removed else ids[:0]
        for col in ("holder", "solver", "lowest_unit"):
            vals = getattr(s, col)[ids]
            ok = vals >= 0
            vals[ok] = succ[vals[ok]]
            getattr(s, col)[ids] = vals
        if len(handed):
            from reformabm.routing import move

            st = s.stage[handed]
            worked = (st != Stage.LATENT) & (st != Stage.CONFIRM)
            handed = handed[worked]
            move(self, handed, s.holder[handed], None, EventKind.HANDED_OVER, hop=False)
            self.metrics.handed_over += len(handed)

    # ---- the day -----------------------------------------------------------------------------
    def step(self) -> None:
        """Advance one day (see the module docstring for the order)."""
        self.day = self.steps
        self._reforms_today = []
        while self.schedule and self.schedule[0][0] <= self.day:
            _, reform = self.schedule.pop(0)
            self.apply_reform(reform)
        self._work_yesterday = self.work_today
        self.workload.start_day(self)
        self.capacity_left = self.capacity.copy()
        self.work_today = np.zeros(self.tables.n)
        comebacks_phase(self)
        generate_issues(self, self.day)
        latent_phase(self)
        run_handling_rounds(self)
        patrol_phase(self)
        lights_phase(self)
        for rule in self.active_rules:
            record = rule.daily(self)
            if record:
                self.reforms_applied.append(record)
                self._reforms_today.append(record["name"])
        self.issues.compact_open()
        self.metrics.end_day(self)
        self.workload.end_day(self)
        if self.collect_daily:
            self.datacollector.collect(self)
        if self.day >= self.days:
            self.running = False

    def run(self, days: int | None = None) -> ReformModel:
        """Step until ``days`` (default: the run length) have passed; return self."""
        end = self.days if days is None else self.day + days
        while self.day < end:
            self.step()
        return self

    # ---- outputs -------------------------------------------------------------------------------
    def centre_betweenness(self) -> float:
        """Betweenness of the top centre in the current org graph (cached per graph)."""
        if self._betweenness is None:
            self._betweenness = centre_betweenness(self.org)
        return self._betweenness

    def summary(self) -> dict[str, Any]:
        """Run metrics so far as a flat dict (the keys of ``summary.json``)."""
        m = self.metrics
        s = self.issues
        created = len(s)
        ids = s.open_ids
        out: dict[str, Any] = {
            "scenario": self.scenario_name,
            "seed": self.seed,
            "days": self.day,
            "population": int(self.spec.residents.population),
            "people_per_agent": int(self.people_per_agent),
            "issues_created": created,
            "issues_closed": m.closed,
            "issues_open": int(len(ids)),
            "issues_withdrawn": m.withdrawn,
            "issues_per_1000_people": 1000 * created / self.spec.residents.population,
            **m.rates(created),
            **self._survival_summary(),
            "coordination_dependence": m.today.get("coordination_dependence", m.rates(created)[
                "coordination_dependence"]),
            **self.structure_metrics(),
            "centre_betweenness": self.centre_betweenness(),
            **m.utilisation(),
            "discovered_by_patrol": m.discovered,
            "reported_by_residents": m.reported,
            "dispatches": m.dispatches,
            "pushbacks": m.pushbacks,
            "misdispatches": m.misdispatches,
            "disputes_to_leader": m.to_leader,
            "disputes_settled_by_centre": m.settled_by_centre,
            "rejected_at_confirmation": m.rejected_at_confirm,
            "hops_mean": float(s.hops[:created].mean()) if created else float("nan"),
            "bounces_mean": float(s.bounces[:created].mean()) if created else float("nan"),
            "issue_events": self.events.count,
            "found_by_contacts": m.contact_found,
            "self_resolved": m.self_resolved,
            "ledger_entries": m.ledger_entries,
            "complaints": m.complaints,
            "overdue_calls": m.overdue_calls,
            "handed_over": m.handed_over,
            "reforms_applied": [f"{r['name']}@{r['day']}" for r in self.reforms_applied],
            "reforms_not_reached": list(self.reforms_not_reached),
        }
        out.update(m.level_rates())
        for k in LEVELS:
            out[f"closed_level_{k}"] = int(m.closed_level[k])
        today = m.today
        out["involution_index"] = m.involution_index()
        out["satisfaction"] = today.get("satisfaction")
        out["resident_satisfaction"] = today.get("resident_satisfaction")
        out["trust"] = today.get("trust")
        for k, v in m.blame_shares(self.spec.accountability.supervision).items():
            out[f"blame_level_{k}"] = v
        for k, v in m.holding_shares().items():
            out[f"holding_share_level_{k}"] = v
        out.update({
            "formal_closures": m.formal_closures,
            "held_closures": m.held_closures,
            "reopened": m.reopened,
            "extensions": m.extensions,
            "supervision_cases": m.supervision_cases,
            "discipline_cases": m.discipline_cases,
            "rules": self.workload.rules,
            "rules_added": self.workload.rules_added_total,
            "rule_overhead_share": self.workload.overhead_share,
            "campaigns": self.workload.campaigns_started,
            "campaign_staff_days": self.workload.campaign_work,
            "grid_time_lost_share": today.get("grid_time_lost_share"),
            "patrol_share": m.patrol_sum / m.patrol_days_counted if m.patrol_days_counted else None,
            "pressure_mean": m.pressure_sum / m.days_counted if m.days_counted else None,
        })
        for key in ("formal_closure_share", "involution_index", "satisfaction"):
            if isinstance(out[key], float) and np.isnan(out[key]):
                out[key] = None
        return out

    def _survival_summary(self) -> dict[str, float]:
        """Kaplan–Meier days to close over the issues (scipy), as documented in ``metrics``."""
        from reformabm.survival import km_summary

        s = self.issues
        n = len(s)
        st = s.stage[:n]
        closed = st == Stage.CLOSED
        keep = st != Stage.WITHDRAWN
        end = np.where(closed, s.end_day[:n], self.day)
        created = km_summary((end - s.created_day[:n])[keep], closed[keep])
        known = st != Stage.LATENT
        known &= keep
        k = km_summary((end - s.known_day[:n])[known], closed[known])
        out = {f"days_to_close_{key}": v for key, v in created.items()}
        out.update({f"days_known_to_close_{key}": v for key, v in k.items()})
        return out

    def timeseries(self):
        """The daily metrics as a DataFrame, one row per day."""
        if not self.collect_daily:
            from reformabm.errors import ReformabmError

            raise ReformabmError("this run did not collect its daily metrics (collect_daily=False): "
                                 "run it again with collect_daily=True for its time series")
        df = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        return df

    @property
    def unsettleable(self) -> np.ndarray:
        """Ids of the ledger cases whose claim exceeds what the county can grant (never settled)."""
        s = self.issues
        return np.flatnonzero(s.unsettleable[: len(s)])

    def issue_frame(self):
        """One row per issue, the contract's columns first."""
        from reformabm.outputs import issue_frame

        return issue_frame(self)

    def issue_history(self, issue_id: int):
        """The full event history of one issue (holders, hops, bounces, days)."""
        return self.events.history(issue_id)
