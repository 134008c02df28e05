"""Residents (居民): raise problems and demands (诉求/事件) and report some of them.

One :class:`Resident` agent stands for ``residents.people_per_agent`` people of one grid.
Issues are generated per grid from the grid's population (Poisson by category mix), and
then attributed to a resident agent in proportion to the people it stands for, so
per-capita results do not depend on how many people an agent stands for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from reformabm.issues import Channel, EventKind, Stage

if TYPE_CHECKING:
    from reformabm.model import ReformModel

__all__ = ["Resident", "generate_issues", "resident_reports", "lateness_score", "overdue_calls"]


class Resident(mesa.Agent):
    """A group of residents of one grid (居民)."""

    model: ReformModel

    def __init__(self, model: ReformModel, grid: int, population: int, index: int) -> None:
        super().__init__(model)
        self.grid = int(grid)
        self.population = int(population)
        self.index = int(index)

    @property
    def trust(self) -> float:
        """Trust in government (0-1): scales the propensity to report."""
        return float(self.model.trust[self.index])

    def step(self) -> None:
        """Residents act through the model's vectorised day (see ``ReformModel.step``)."""


def generate_issues(model: ReformModel, day: int) -> np.ndarray:
    """Create today's new (latent) issues in every grid; return their ids.

    Counts are Poisson with mean ``population * issues_per_person_year / 365`` per grid, each
    issue's category drawn by the categories' shares (so per grid and category they are
    Poisson with mean ``... * share``); required level, extra domains and the resident are
    drawn per issue.
    """
    cat = model.categories
    rng = model.rng
    # a Poisson total per grid, split over categories by their shares: the same law as one
    # Poisson per grid and category, with one draw per grid instead of one per pair
    counts = rng.poisson(model.grid_population * (model.issue_rate / 365.0))
    k = int(counts.sum())
    if k == 0:
        return np.zeros(0, np.int64)
    grid_idx = np.repeat(np.arange(len(counts)), counts)
    c = np.minimum(np.searchsorted(cat.share_cdf, rng.random(k), side="right"), len(cat.share) - 1)
    level = (rng.random(k)[:, None] > cat.level_cdf[c]).sum(axis=1).astype(np.int8) + 1
    extra = rng.random((k, cat.secondary_bits.shape[1])) < cat.cross_boundary[c][:, None]
    bits = np.where(extra, cat.secondary_bits[c], 0)
    mask = np.bitwise_or.reduce(bits, axis=1) | cat.primary_bit[c]
    n_dom = np.bitwise_count(mask.astype(np.uint64)).astype(np.int8)
    u = rng.random(k)
    person = np.floor(u * model.grid_population[grid_idx]).astype(np.int64)
    resident = model.grid_first_resident[grid_idx] + person // model.people_per_agent
    ids = model.issues.add(
        k,
        created_day=day,
        grid=model.grid_units[grid_idx],
        resident=resident,
        category=c,
        level=level,
        domain_mask=mask,
        primary_domain=cat.primary_domain[c],
        n_domains=n_dom,
        severity=cat.severity[c],
        ambiguous=cat.ambiguous[c],
        stage=Stage.LATENT,
        holder=model.grid_units[grid_idx],
    )
    model.events.record(EventKind.CREATED, ids, day, model.grid_units[grid_idx])
    return ids


def resident_reports(model: ReformModel, ids: np.ndarray, u: np.ndarray, p_discovered: np.ndarray,
                     day: int) -> tuple[np.ndarray, np.ndarray]:
    """Split undiscovered latent issues into reported (hotline/app) and given up.

    ``u`` are the issues' uniform draws of today, ``p_discovered`` the patrol's chance; an
    issue is reported with probability ``report_propensity * trust`` and otherwise given up
    with probability ``give_up_rate``. Returns ``(reported, withdrawn)`` ids.
    """
    s = model.issues
    trust = model.trust[s.resident[ids]]
    p_r = model.spec.residents.report_propensity * trust
    p_w = model.spec.residents.give_up_rate
    lo = p_discovered
    hi = lo + (1 - lo) * p_r
    reported = ids[(u >= lo) & (u < hi)]  # lo: the chances tried before reporting
    withdrawn = ids[(u >= hi) & (u < hi + (1 - hi) * p_w)]
    return reported, withdrawn


def experience(model: ReformModel, residents: np.ndarray, scores: np.ndarray) -> None:
    """Residents update satisfaction (满意度) and trust (信任) from experiences scored 0-1.

    Satisfaction is personal: an experience moves the experiencing person's satisfaction
    towards its score by ``satisfaction_rate``; an agent standing for ``P`` people holds their
    average, which therefore moves by the rate divided by ``P`` (several experiences of one
    agent on one day compound). Trust travels by word of mouth (口碑): an experience moves the
    trust of ``trust_reach`` people of the grid (the resident and those who hear of it) by
    ``trust_rate``, i.e. every resident agent of the grid by ``trust_rate * trust_reach / N``
    (``N`` the grid's population). Both keep per-capita dynamics independent of
    ``people_per_agent``.
    """
    if len(residents) == 0:
        return
    model.metrics.experience_score += float(np.add.reduce(scores))
    model.metrics.experiences += len(scores)
    r = model.spec.residents
    n = len(model.trust)
    cnt = np.bincount(residents, minlength=n)
    hit = (cnt != 0).nonzero()[0]  # (nonzero of a boolean array is several times faster)
    k = cnt[hit]
    mean = np.bincount(residents, weights=scores, minlength=n)[hit] / k
    people = np.maximum(model.resident_population[hit], 1.0)
    a_s = 1.0 - (1.0 - r.satisfaction_rate / people) ** k
    model.satisfaction[hit] += a_s * (mean - model.satisfaction[hit])
    if r.trust_rate > 0:
        g = model.resident_grid[residents]
        n_g = len(model.grid_population)
        cnt_g = np.bincount(g, minlength=n_g)
        touched = cnt_g > 0
        gi = touched.nonzero()[0]
        k_g = cnt_g[gi]
        mean_g = np.bincount(g, weights=scores, minlength=n_g)[gi] / k_g
        reach = np.minimum(r.trust_reach / np.maximum(model.grid_population[gi], 1.0), 1.0)
        a_t = 1.0 - (1.0 - r.trust_rate * reach) ** k_g
        # every agent of a touched grid moves towards the grid's mean experience of today
        rate_g = np.zeros(n_g)
        target_g = np.zeros(n_g)
        rate_g[gi] = a_t
        target_g[gi] = mean_g
        agents = touched[model.resident_grid].nonzero()[0]
        ga = model.resident_grid[agents]
        model.trust[agents] += rate_g[ga] * (target_g[ga] - model.trust[agents])


def lateness_score(late_days: np.ndarray) -> np.ndarray:
    """A resident's score of waiting ``late_days`` past the deadline: 1 on time, 0.1 less a day, at least 0.2.

    >>> lateness_score(np.array([0, 3, 20])).round(2).tolist()
    [1.0, 0.7, 0.2]
    """
    return np.maximum(0.2, 1.0 - 0.1 * np.maximum(late_days, 0))


def closure_experience(model: ReformModel, ids: np.ndarray) -> None:
    """Score closures by :func:`lateness_score`; a score below the threshold makes a complaint."""
    s = model.issues
    scores = lateness_score(s.end_day[ids] - s.deadline_day[ids])
    experience(model, s.resident[ids], scores)
    # ledger cases are already the secretary's; a complaint is not itself complained about; a
    # reporter who already called about it while it was overdue has complained once
    unhappy = ids[(scores < model.spec.residents.complaint_threshold) & (s.complaint_of[ids] < 0)
                  & (s.channel[ids] != Channel.LEDGER) & ~s.called_again[ids]]
    if len(unhappy):
        complain(model, unhappy)


def overdue_calls(model: ReformModel, ids: np.ndarray) -> None:
    """Reporters of overdue open issues call again (催办, 重复来电) once the wait scores below the threshold.

    ``ids``: the known open issues. A reporter whose problem is still open so far past its
    deadline that :func:`lateness_score` falls below ``residents.complaint_threshold`` (the
    same bar as a late closure) calls the hotline once more. The call is merged into the open
    ticket (并单: no new issue) and counts against the unit holding it, which is pressed by
    ``complaint_pressure``; such a reporter does not complain again when it closes. Ledger
    cases and complaints themselves are excluded, as for closures.
    """
    threshold = model.spec.residents.complaint_threshold
    if threshold <= 0.2 or len(ids) == 0:  # lateness_score never falls below 0.2
        return
    s = model.issues
    ids = ids[s.deadline_day[ids] < model.day]
    if len(ids) == 0:
        return
    calls = ids[(lateness_score(model.day - s.deadline_day[ids]) < threshold) & ~s.called_again[ids]
                & (s.complaint_of[ids] < 0) & (s.channel[ids] != Channel.LEDGER)
                & (s.stage[ids] != Stage.CONFIRM)]
    if len(calls) == 0:
        return
    s.called_again[calls] = True
    model.workload.press(s.holder[calls], model.spec.residents.complaint_pressure)
    model.metrics.overdue_calls += len(calls)


def _same_problem(s, ids: np.ndarray) -> dict[str, np.ndarray]:
    """The columns describing the problems of issues ``ids`` (for a linked new issue)."""
    return {c: getattr(s, c)[ids].copy() for c in (
        "grid", "resident", "category", "level", "domain_mask", "primary_domain", "n_domains",
        "severity", "ambiguous")}


def complain(model: ReformModel, ids: np.ndarray) -> np.ndarray:
    """Unsatisfied reporters complain about issues ``ids``: a new issue linked by ``complaint_of``.

    With the secretary's ledger the complaint enters the ledger track (the leader reviews it,
    003); without, the reporter calls the hotline again (重复来电) and the complaint reaches the
    intake centre like a report. Either way the unit that handled the issue is pressed
    (``complaint_pressure``: complaints count against it). A complaint is not itself complained
    about. Returns the new issues' ids.
    """
    from reformabm.agents.grid_worker import to_ledger
    from reformabm.routing import make_known, move

    s = model.issues
    new = s.add(len(ids), created_day=model.day, complaint_of=ids, stage=Stage.LATENT,
                **_same_problem(s, ids))
    # the same problem, handled by the same chain: blame under the "lowest" rule goes where it went
    s.lowest_unit[new] = s.lowest_unit[ids]
    model.events.record(EventKind.CREATED, new, model.day, s.grid[new])
    handled = s.solver[ids]
    model.workload.press(handled[handled >= 0], model.spec.residents.complaint_pressure)
    model.metrics.complaints += len(new)
    if model.spec.leaders.ledger:
        make_known(model, new, Channel.LEDGER)
        to_ledger(model, new)
    else:
        make_known(model, new, Channel.REPEAT)
        move(model, new, model.tables.intake[s.grid[new]], Stage.AT_CENTRE, EventKind.REPORTED,
             hop=True, delay=0)
    return new


def schedule_comebacks(model: ReformModel, ids: np.ndarray) -> None:
    """A closure that did not hold will come back after a random delay (mean ``reopen_delay_days``)."""
    if len(ids) == 0:
        return
    mean = model.spec.accountability.reopen_delay_days
    due = model.day + model.rng.geometric(min(1.0, 1.0 / mean), size=len(ids))  # mean: `mean` days
    model.comeback_ids = np.concatenate([model.comeback_ids, ids])
    model.comeback_due = np.concatenate([model.comeback_due, due])


def comebacks_phase(model: ReformModel) -> np.ndarray:
    """Problems closed without being solved come back as new, linked issues (``reopened_from``).

    The resident reports it at once (channel ``reopened``) and scores the experience 0; the
    ``trust_reach`` people of the grid who see it come back lose ``trust_loss_reopen`` of their
    trust. Returns the new issues' ids.
    """
    due = model.comeback_due <= model.day
    if not np.count_nonzero(due):
        return np.zeros(0, np.int64)
    old = model.comeback_ids[due]
    model.comeback_ids = model.comeback_ids[~due]
    model.comeback_due = model.comeback_due[~due]
    s = model.issues
    ids = s.add(len(old), created_day=model.day, reopened_from=old, stage=Stage.LATENT,
                **_same_problem(s, old))
    # the same problem in the same territory: under the "lowest" rule blame goes where it went
    s.lowest_unit[ids] = s.lowest_unit[old]
    model.events.record(EventKind.CREATED, ids, model.day, s.grid[ids])
    res = s.resident[ids]
    r = model.spec.residents
    # the people who see it come back (the reach, in its grid) lose this share of their trust
    g = model.resident_grid[res]
    share = np.minimum(r.trust_reach / np.maximum(model.grid_population[g], 1.0), 1.0)
    keep = np.ones(len(model.grid_population))
    np.multiply.at(keep, g, 1.0 - r.trust_loss_reopen * share)
    model.trust *= keep[model.resident_grid]
    experience(model, res, np.zeros(len(ids)))
    model.metrics.reopened += len(ids)
    from reformabm.routing import make_known, move

    make_known(model, ids, Channel.REOPENED)
    move(model, ids, model.tables.intake[s.grid[ids]], Stage.AT_CENTRE, EventKind.REPORTED, hop=True, delay=0)
    return ids
