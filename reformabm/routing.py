"""The handling engine: finite staff-days, queues, hand-overs, solving and closing.

Each day every unit has a capacity in staff-days (leaders: disputes per day). The issues
ready at a unit form its queue (oldest arrival first, pressed issues first once
accountability ranks them); :func:`allocate_capacity` grants work in queue order until the
capacity is spent, so an overloaded unit builds a backlog instead of solving more. Issues
whose work is done are acted upon by their holder's kind (see ``reformabm.agents``).
A day has ``process.rounds_per_day`` rounds, so that hand-overs without delay (a platform)
can move an issue several times in one day.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from reformabm.issues import NEVER, Channel, EventKind, Stage

if TYPE_CHECKING:
    from reformabm.model import ReformModel

__all__ = ["allocate_capacity", "move", "solve", "answer_unsettled", "close", "withdraw", "run_handling_rounds"]

_EPS = 1e-9


def allocate_capacity(
    holders: np.ndarray, work: np.ndarray, capacity_left: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grant work to queued items, in order, until each holder's capacity is spent.

    Parameters
    ----------
    holders : ndarray of int
        Holder of each item, items already sorted by holder and then queue order.
    work : ndarray of float
        Work each item still needs (>= 0).
    capacity_left : ndarray of float
        Capacity left per holder id (not modified).

    Returns
    -------
    done : ndarray of bool
        Items whose work is completed today.
    granted : ndarray of float
        Work granted to each item today (its full need when done; partial progress for the
        first item that does not fit; 0 for those behind it).
    used : ndarray of float
        Capacity used per holder id (same shape as ``capacity_left``).

    Examples
    --------
    >>> done, granted, used = allocate_capacity(np.array([0, 0, 0, 1]),
    ...     np.array([1.0, 1.0, 1.0, 0.5]), np.array([2.5, 1.0]))
    >>> done.tolist(), granted.tolist(), used.tolist()
    ([True, True, False, True], [1.0, 1.0, 0.5, 0.5], [2.5, 0.5])
    """
    if len(holders) == 0:
        return np.zeros(0, bool), np.zeros(0), np.zeros(len(capacity_left))
    # ndarray methods and ufuncs, not numpy's Python wrappers: this runs a few times a day
    cs = work.cumsum()
    start = np.empty(len(holders), bool)
    start[0] = True
    np.not_equal(holders[1:], holders[:-1], out=start[1:])
    grp = start.cumsum() - 1
    base = (cs - work)[start]
    cum = cs - base[grp]
    before = cum - work
    cap = capacity_left[holders]
    done = cum <= cap + _EPS
    granted = np.where(done, work, np.maximum(cap - before, 0.0))  # = np.clip(.., 0.0, None)
    # per holder, summed in item order from zero (as np.add.at would)
    used = np.bincount(holders, weights=granted, minlength=len(capacity_left))
    return done, granted, used


def move(
    model: ReformModel, ids: np.ndarray, to: np.ndarray | int, stage: Stage | None,
    event: EventKind | None, *, hop: bool = True, delay: int | None = None,
) -> None:
    """Hand issues ``ids`` over to units ``to`` in ``stage``, recording ``event``.

    ``stage`` None: the stage follows from the receiving unit's kind (:func:`stage_at`).
    A hand-over (``hop``) costs the hop delay and risks distortion (信息失真) of the issue's
    description, which later makes the centre misclassify it. ``delay`` overrides the delay.
    """
    if len(ids) == 0:
        return
    s = model.issues
    day = model.day
    k = len(ids)
    s.holder[ids] = to
    if stage is None:
        new_stage = stage_at(model, to if np.ndim(to) else np.full(k, to))
        s.stage[ids] = new_stage
        at_unit = new_stage == Stage.AT_UNIT
        track = ids[at_unit] if np.count_nonzero(at_unit) else None
    else:
        s.stage[ids] = stage
        track = ids if stage == Stage.AT_UNIT else None
    s.work_left[ids] = -1.0
    s.formal_planned[ids] = False  # a new holder makes its own plan
    s.arrival[ids] = model.next_arrivals(k)
    p = model.distortion_per_hop if hop else 0.0
    # one call for the draws of the hand-over (the same numbers as one call for each)
    u = model.rng.random(3 * k if p > 0 else 2 * k)
    s.draw[ids] = u[:k]
    s.draw2[ids] = u[k:2 * k]
    if delay is None:
        delay = model.hop_delay if hop else 0
    s.ready_day[ids] = day + delay
    if track is not None:
        _track_lowest(model, track)
    if hop:
        s.hops[ids] += 1
        if p > 0:
            s.distorted[ids] |= u[2 * k:] < p
    if event is not None:
        model.events.record(event, ids, day, to)


def _track_lowest(model: ReformModel, ids: np.ndarray) -> None:
    """Remember the lowest territorial unit that held each issue for handling (for blame)."""
    s, t = model.issues, model.tables
    low = s.lowest_unit[ids]
    h = s.holder[ids]
    better = (low < 0) | (t.rank[h] < t.rank[np.maximum(low, 0)])
    s.lowest_unit[ids[better]] = h[better]


def paper_closure_chance(model: ReformModel, ids: np.ndarray) -> np.ndarray:
    """Daily chance that the holders of ``ids`` close them on paper (形式化办结).

    The holder's pressure (plus ``supervision_pressure`` for an issue under supervision)
    times ``formal_closure_propensity``; never for ledger cases, which the secretary checks
    himself (003), nor for an issue already planned for a paper closure.
    """
    s = model.issues
    a = model.spec.accountability
    pressure = model.workload.unit_pressure()[s.holder[ids]]
    pressure = np.minimum(1.0, pressure + np.where(s.supervised[ids], a.supervision_pressure, 0.0))
    p = a.formal_closure_propensity * pressure
    return np.where((s.channel[ids] != Channel.LEDGER) & ~s.formal_planned[ids], p, 0.0)


def solution_work(model: ReformModel, ids: np.ndarray) -> np.ndarray:
    """Staff-days the holders need to solve ``ids`` (a paper closure takes only ``handle_work``)."""
    s = model.issues
    return np.where(s.formal_planned[ids], model.spec.process.handle_work, model.solve_work(ids))


def misses_deadline(model: ReformModel, ids: np.ndarray, queue: np.ndarray | None = None) -> np.ndarray:
    """Whether the holders of ``ids`` (working on them) would miss their deadlines.

    Each holder looks at its queue (``queue``: the open issues to count, default ``ids``; ``ids``
    must be among them): the staff-days of the work queued ahead of an issue, in queue order
    (:meth:`ReformModel.queue_rank`, then arrival), and its own, at today's capacity of the unit
    whose staff do the work (the township's for stationed cadres), plus the hand-over to the
    confirming grid worker, against the issue's current deadline. Only issues their holder
    would solve itself can be late *there*; others (passed on, misdispatched) are False.
    """
    from reformabm.agents.territorial import capacity_unit, solves_here

    s = model.issues
    queue = ids if queue is None else queue
    st = s.stage[queue]
    at_dept = st == Stage.AT_DEPT
    at_unit = st == Stage.AT_UNIT
    solving = np.zeros(len(queue), bool)
    solving[at_dept] = ~s.misrouted[queue[at_dept]]
    solving[at_unit] = solves_here(model, queue[at_unit])
    late = np.zeros(len(queue), bool)
    sel = queue[solving]
    if len(sel):
        need = np.where(s.work_left[sel] >= 0, s.work_left[sel], model.solve_work(sel))
        unit = capacity_unit(model, sel)
        order = queue_order(unit, model.queue_rank(sel), s.arrival[sel], stable=True)
        u, w = unit[order], need[order]
        cum = w.cumsum()
        first = np.empty(len(u), bool)  # first issue of each unit's queue
        first[0] = True
        np.not_equal(u[1:], u[:-1], out=first[1:])
        start = first.nonzero()[0]
        before = (cum[start] - w[start])[first.cumsum() - 1]
        ahead = np.empty(len(sel))
        ahead[order] = cum - before
        days = np.ceil(ahead / np.maximum(model.capacity[unit], 1e-9))
        late[solving] = model.day + days + model.hop_delay > s.deadline_day[sel]
    if queue is ids:
        return late
    full = np.zeros(len(s), bool)
    full[queue] = late
    return full[ids]


def tempt_paper_closures(model: ReformModel, ids: np.ndarray) -> None:
    """Holders close on paper (形式化办结) issues they cannot solve by the deadline.

    Called at the end of each day for the known open issues: of those their holders would miss
    (:func:`misses_deadline`), each is closed on paper with :func:`paper_closure_chance` — a
    paper closure needs only ``handle_work`` and meets the indicator, unless the check catches it.
    """
    if len(ids) == 0 or model.spec.accountability.formal_closure_propensity <= 0:
        return
    s = model.issues
    ids = ids[~s.formal_planned[ids]]
    cand = ids[misses_deadline(model, ids)]
    if len(cand) == 0:
        return
    go = cand[model.rng.random(len(cand)) < paper_closure_chance(model, cand)]
    s.formal_planned[go] = True
    started = s.work_left[go] >= 0
    s.work_left[go[started]] = np.minimum(s.work_left[go[started]], model.spec.process.handle_work)


def solve(model: ReformModel, ids: np.ndarray) -> None:
    """The holders of ``ids`` have done the work: the issues are solved (or seem so).

    A real solution fails with probability ``process.solve_failure``; a formal closure never
    holds. With the closed loop (闭环) the issue goes to its grid's worker for confirmation;
    without it, it is closed at once. A closure that did not hold comes back later. A ledger
    claim beyond what the county can grant is answered instead (:func:`answer_unsettled`).
    """
    if len(ids) == 0:
        return
    if model.has_unsettleable:
        beyond = model.issues.unsettleable[ids]
        if beyond.any():
            answer_unsettled(model, ids[beyond])
            ids = ids[~beyond]
            if len(ids) == 0:
                return
    s = model.issues
    s.solver[ids] = s.holder[ids]
    formal = s.formal_planned[ids]
    s.formal_closure[ids] = formal
    s.failed[ids] = formal | (model.rng.random(len(ids)) < model.spec.process.solve_failure)
    model.events.record(EventKind.SOLVED, ids, model.day, s.holder[ids])
    if model.spec.process.closed_loop:
        # the grid worker checks at once what it fixed itself; others after a hand-over's delay
        own = s.holder[ids] == s.grid[ids]
        move(model, ids[own], s.grid[ids[own]], Stage.CONFIRM, None, hop=False, delay=0)
        far = ids[~own]
        move(model, far, s.grid[far], Stage.CONFIRM, None, hop=False, delay=model.hop_delay)
    else:
        close(model, ids)


def answer_unsettled(model: ReformModel, ids: np.ndarray) -> None:
    """Answer ledger claims that exceed what the county can grant (超出政策或县级权限的诉求).

    The responsible unit has done the work (looked into the claim, explained the policy: 结果
    反馈), but the secretary's check (书记把关, 003-05) cannot sign off a claim that was not
    settled, so it is never closed and archived (销号归档): it stays open with the unit that
    answered, which does no further work on it (``ready_day`` = ``NEVER``). Open, it counts as
    not closed in every metric, and as late once its deadline has passed. The reporter's first
    answer is an experience scored 0 (an unsatisfied resident; not in the reply survey of
    closed cases). A reform that abolishes the unit hands the case over, and the successor
    answers it again (no second experience).
    """
    if len(ids) == 0:
        return
    from reformabm.agents.resident import experience

    s = model.issues
    first = ids[s.solver[ids] < 0]
    s.solver[ids] = s.holder[ids]
    s.work_left[ids] = 0.0
    s.ready_day[ids] = NEVER
    model.events.record(EventKind.ANSWERED, ids, model.day, s.holder[ids])
    model.metrics.unsettled_answered += len(first)
    experience(model, s.resident[first], np.zeros(len(first)))


def close(model: ReformModel, ids: np.ndarray) -> None:
    """Close issues ``ids`` today (办结)."""
    if len(ids) == 0:
        return
    from reformabm.agents.resident import closure_experience, schedule_comebacks

    s = model.issues
    s.stage[ids] = Stage.CLOSED
    s.end_day[ids] = model.day
    model.metrics.on_closed(model, ids)
    model.events.record(EventKind.CLOSED, ids, model.day, s.holder[ids])
    closure_experience(model, ids)
    schedule_comebacks(model, ids[s.failed[ids]])


def withdraw(model: ReformModel, ids: np.ndarray) -> None:
    """Withdraw issues ``ids`` today: given up, never reported (沉默)."""
    if len(ids) == 0:
        return
    s = model.issues
    s.stage[ids] = Stage.WITHDRAWN
    s.end_day[ids] = model.day
    model.metrics.withdrawn += len(ids)
    model.events.record(EventKind.WITHDRAWN, ids, model.day, s.holder[ids])


def stage_at(model: ReformModel, units: np.ndarray) -> np.ndarray:
    """The stage an issue is in when held by ``units`` (centre, department, leader or unit)."""
    return _STAGE_OF_KIND[model.tables.kind[units]]  # kind -1 (no unit): the last entry, AT_UNIT


def _stage_of_kind() -> np.ndarray:
    from reformabm.org.graph import NodeKind
    from reformabm.org.tables import KIND_CODES

    table = np.full(len(KIND_CODES) + 1, Stage.AT_UNIT, np.int8)
    table[KIND_CODES[NodeKind.CENTRE]] = Stage.AT_CENTRE
    table[KIND_CODES[NodeKind.DEPARTMENT]] = Stage.AT_DEPT
    table[KIND_CODES[NodeKind.LEADER]] = Stage.AT_LEADER
    return table


_STAGE_OF_KIND = _stage_of_kind()  # stage of an issue by its holder's kind code


def make_known(model: ReformModel, ids: np.ndarray, channel: Channel) -> None:
    """Mark issues as known to government today and set their deadlines."""
    s = model.issues
    s.channel[ids] = channel
    s.known_day[ids] = model.day
    s.deadline_day[ids] = model.day + model.deadline_days[s.level[ids] - 1]
    s.deadline0[ids] = s.deadline_day[ids]


def run_handling_rounds(model: ReformModel) -> None:
    """Run the day's handling rounds over all units' queues."""
    from reformabm.agents import handlers_by_stage
    from reformabm.agents.territorial import capacity_unit

    s = model.issues
    handlers = handlers_by_stage()
    for _ in range(model.spec.process.rounds_per_day):
        ids = s.open_ids
        st = s.stage[ids]
        ready = (st >= Stage.AT_UNIT) & (st <= Stage.CONFIRM) & (s.ready_day[ids] <= model.day)
        ids = ids[ready]
        if len(ids) == 0:
            return
        holders = capacity_unit(model, ids)
        need = s.work_left[ids]
        unset = need < 0
        if np.count_nonzero(unset):
            fresh = ids[unset]
            w = np.empty(len(fresh), np.float64)
            for handler, m in _by_stage(handlers, s.stage[fresh]):
                w[m] = handler.work(model, fresh[m])
            s.work_left[fresh] = w
            need = s.work_left[ids]
        order = queue_order(holders, model.queue_rank(ids), s.arrival[ids])
        ids, holders, need = ids[order], holders[order], need[order].astype(np.float64)
        done, granted, used = allocate_capacity(holders, need, model.capacity_left)
        model.capacity_left -= used
        model.work_today += used
        s.work_left[ids] = (need - granted).astype(np.float32)
        finished = ids[done]
        if len(finished) == 0:
            return
        for handler, m in _by_stage(handlers, s.stage[finished]):
            handler.act(model, finished[m])


def queue_order(units: np.ndarray, rank: np.ndarray, arrival: np.ndarray, *, stable: bool = False) -> np.ndarray:
    """Order of queued items by unit, then queue rank, then arrival (int64 arrays, >= 0).

    One int64 key (unit 20 bits, rank 12 bits, arrival 31 bits from the earliest) sorted once,
    instead of ``np.lexsort((arrival, rank, units))``; ``stable``: ties in index order, exactly
    as lexsort (arrival stamps are unique, so only ``stable`` callers could see a tie).

    >>> queue_order(np.array([1, 0, 1, 0]), np.array([0, 5, 0, 1]), np.array([7, 3, 2, 9])).tolist()
    [3, 1, 2, 0]
    """
    arrival = arrival - np.minimum.reduce(arrival)
    if np.maximum.reduce(units) < (1 << 20) and np.maximum.reduce(arrival) < (1 << 31):
        key = (units << 43) | (rank << 31) | arrival
        return key.argsort(kind="stable") if stable else key.argsort()
    return np.lexsort((arrival, rank, units))  # very large organisations or very long runs


def _by_stage(handlers: dict[Stage, Any], stages: np.ndarray) -> Iterator[tuple[Any, np.ndarray]]:
    """The handlers of the stages present in ``stages`` (in the handlers' order), with their masks."""
    counts = np.bincount(stages, minlength=len(Stage)).tolist()
    for stage, handler in handlers.items():
        if counts[stage]:
            yield handler, stages == stage
