"""Issue records (事件) in columnar storage, and their event history.

Every issue is one row of :class:`IssueStore` (numpy columns that grow by doubling), never a
Python object: the day's process reads and writes whole columns for the issues it touches.
:class:`EventLog` keeps each issue's history (holders, hops, bounces, days) as an
append-only columnar log.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import IntEnum

import numpy as np
import pandas as pd

__all__ = ["Stage", "Channel", "EventKind", "IssueStore", "EventLog", "OPEN_STAGES", "NEVER"]


class Stage(IntEnum):
    """Where an issue is in its lifecycle."""

    LATENT = 0  # exists, not yet known to any unit (undiscovered, unreported)
    AT_UNIT = 1  # held by a territorial unit or grid team: solve or pass on
    AT_CENTRE = 2  # at a linkage centre: classify and dispatch (分类归口, 受理交办)
    AT_DEPT = 3  # at a functional department: solve or push back (推诿)
    AT_LEADER = 4  # waiting for a leader's coordination (高位协调)
    CONFIRM = 5  # solved, waiting for the grid worker's confirmation (闭环)
    CLOSED = 6
    WITHDRAWN = 7


OPEN_STAGES = (Stage.LATENT, Stage.AT_UNIT, Stage.AT_CENTRE, Stage.AT_DEPT, Stage.AT_LEADER, Stage.CONFIRM)


class Channel(IntEnum):
    """How an issue became known (or will)."""

    NONE = 0  # not yet known
    PATROL = 1  # grid worker's patrol (网格巡查)
    HOTLINE = 2  # 12345 hotline / app, reported by a resident
    LEDGER = 3  # secretary's ledger (书记民情三本账)
    REOPENED = 4  # a formally closed issue that came back
    CONTACT = 5  # three-line contacts (三线联系) brought it
    REPEAT = 6  # a repeat call to the 12345 hotline about a badly handled issue (重复来电)


class EventKind(IntEnum):
    """Kinds of entries in an issue's history."""

    CREATED = 0
    DISCOVERED = 1  # found on patrol
    REPORTED = 2  # reported by a resident (hotline/app)
    ESCALATED = 3  # passed up to a higher level (上报)
    ASSIGNED_DOWN = 4  # centre assigns to a lower level (交办)
    DISPATCHED = 5  # centre dispatches to a department (派单)
    MISDISPATCHED = 6  # department returns a misclassified issue (退单)
    PUSHED_BACK = 7  # department refuses ownership (推诿)
    TO_LEADER = 8  # dispute referred to the leader
    COORDINATED = 9  # leader (or centre) settles the dispute, assigns a lead department
    SOLVED = 10
    REJECTED_AT_CONFIRM = 11  # confirmation found it not solved: sent back
    CLOSED = 12
    WITHDRAWN = 13
    HANDED_OVER = 14  # its holder was abolished or merged by a reform
    ANSWERED = 15  # a claim beyond what the county can grant, answered but not settled (stays open)


#: ``ready_day`` of an issue nobody will work on again (an answered claim that cannot be settled)
NEVER = np.iinfo(np.int32).max


_COLUMNS: dict[str, tuple[type, object]] = {
    "created_day": (np.int32, -1),
    "known_day": (np.int32, -1),
    "end_day": (np.int32, -1),
    "deadline_day": (np.int32, -1),  # current deadline (extensions included)
    "deadline0": (np.int32, -1),  # original deadline by level, before any extension
    "ready_day": (np.int32, 0),
    "arrival": (np.int64, 0),  # queue order at the current holder
    "grid": (np.int32, -1),
    "resident": (np.int32, -1),
    "category": (np.int16, -1),
    "level": (np.int8, 1),
    "domain_mask": (np.int64, 0),
    "primary_domain": (np.int16, 0),
    "n_domains": (np.int8, 1),
    "severity": (np.float32, 1.0),
    "ambiguous": (np.bool_, False),
    "channel": (np.int8, 0),
    "stage": (np.int8, 0),
    "holder": (np.int32, -1),
    "solver": (np.int32, -1),
    "work_left": (np.float32, 0.0),
    "hops": (np.int16, 0),
    "bounces": (np.int16, 0),
    "pushbacks": (np.int16, 0),
    "misdispatches": (np.int16, 0),
    "needed_leader": (np.bool_, False),
    "forced": (np.bool_, False),  # assigned by the leader: cannot be pushed back
    "centre_settled": (np.bool_, False),  # the centre already named a lead department once
    "distorted": (np.bool_, False),
    "misrouted": (np.bool_, False),
    "draw": (np.float32, 0.0),  # uniform drawn on arrival at a holder, for its decision
    "failed": (np.bool_, False),
    "formal_closure": (np.bool_, False),
    "reopened_from": (np.int32, -1),
    "complaint_of": (np.int32, -1),  # a ledger complaint about this earlier issue
    "unsettleable": (np.bool_, False),  # a ledger claim beyond what the county can grant: never settled
    "called_again": (np.bool_, False),  # the reporter called again while it was open and overdue (催办)
    "blamed_level": (np.int8, -1),
    "formal_planned": (np.bool_, False),  # the holder plans to close it on paper
    "draw2": (np.float32, 0.0),  # second uniform drawn on arrival (formal-closure decision)
    "extended": (np.bool_, False),
    "supervised": (np.bool_, False),  # red light: taken by the supervision bureau
    "supervision_deadline": (np.int32, -1),
    "disciplined": (np.bool_, False),  # the discipline commission held a unit accountable
    "lowest_unit": (np.int32, -1),  # lowest territorial unit that held it for handling
}


def _column(n: int, dtype: type, fill: object) -> np.ndarray:
    """Room for ``n`` rows, not written: memory is mapped only as rows are used.

    Zero columns are zeros (calloc); the others are filled row by row in :meth:`IssueStore.add`,
    so a store sized for a year holds no memory for rows it never uses.
    """
    return np.zeros(n, dtype=dtype) if fill == 0 else np.empty(n, dtype=dtype)


_FILLED = {name: fill for name, (_, fill) in _COLUMNS.items() if fill != 0}  # columns add() fills


class IssueStore:
    """Columnar store of all issues of a run; row index = ``issue_id``.

    Columns are attributes (``store.stage``, ``store.holder`` ...) holding full-capacity numpy
    arrays; only the first ``len(store)`` rows are issues (the rows beyond are unset). ``open_ids`` lists the ids of
    issues not yet closed or withdrawn, so the day's work scales with open issues.
    """

    columns = tuple(_COLUMNS)

    def __init__(self, capacity: int = 4096) -> None:
        self.n = 0
        self._cap = max(16, int(capacity))
        for name, (dtype, fill) in _COLUMNS.items():
            setattr(self, name, _column(self._cap, dtype, fill))
        self.open_ids = np.zeros(0, dtype=np.int64)

    def __len__(self) -> int:
        return self.n

    def _grow(self, need: int) -> None:
        cap = self._cap
        while cap < need:
            cap *= 2
        if cap == self._cap:
            return
        for name, (dtype, fill) in _COLUMNS.items():
            old = getattr(self, name)
            new = _column(cap, dtype, fill)
            new[: self.n] = old[: self.n]
            setattr(self, name, new)
        self._cap = cap

    def add(self, k: int, **values: np.ndarray | int | float) -> np.ndarray:
        """Append ``k`` issues with the given column values; return their ids."""
        self._grow(self.n + k)
        rows = slice(self.n, self.n + k)
        ids = np.arange(self.n, self.n + k, dtype=np.int64)
        for name, fill in _FILLED.items():
            if name not in values:
                getattr(self, name)[rows] = fill
        for name, v in values.items():
            getattr(self, name)[rows] = v
        self.n += k
        self.open_ids = np.concatenate([self.open_ids, ids])
        return ids

    def compact_open(self) -> None:
        """Drop closed and withdrawn issues from ``open_ids``."""
        st = self.stage[self.open_ids]
        self.open_ids = self.open_ids[st < Stage.CLOSED]

    def frame(self, columns: list[str] | None = None) -> pd.DataFrame:
        """The issues as a DataFrame (copies), one row per issue."""
        cols = columns or list(self.columns)
        return pd.DataFrame({c: getattr(self, c)[: self.n].copy() for c in cols})


class EventLog:
    """Append-only history of issue events: (issue, day, kind, unit) rows in chunks."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.count = 0
        self._chunks: list[tuple[np.ndarray, int, int, np.ndarray]] = []
        #: dtype the units are kept in: the model narrows it to int16 while every unit id fits
        #: (:meth:`set_units`); frames always give int32
        self.unit_dtype: type = np.int32

    def set_units(self, n: int) -> None:
        """Unit ids are below ``n`` from now on: keep them in the narrowest dtype that holds them."""
        self.unit_dtype = np.int16 if n <= np.iinfo(np.int16).max else np.int32

    def record(self, kind: EventKind, ids: np.ndarray, day: int, units: np.ndarray | int) -> None:
        """Record that ``kind`` happened to issues ``ids`` on ``day`` at ``units``."""
        k = len(ids)
        if k == 0:
            return
        self.count += k
        if self.enabled:
            u = np.array(units, dtype=self.unit_dtype)  # a copy: the caller's arrays change later
            if u.ndim == 0:
                u = np.full(k, u, self.unit_dtype)
            self._chunks.append((np.array(ids, dtype=np.int32), int(day), int(kind), u))

    def frame(self) -> pd.DataFrame:
        """All events as a DataFrame ``issue_id, day, event, unit`` in the order they happened."""
        return self._frame(self._chunks)

    def frames(self, rows: int) -> Iterator[pd.DataFrame]:
        """The events of :meth:`frame` in consecutive pieces of about ``rows`` rows (at least one piece)."""
        piece: list[tuple[np.ndarray, int, int, np.ndarray]] = []
        k = 0
        for c in self._chunks:
            piece.append(c)
            k += len(c[0])
            if k >= rows:
                yield self._frame(piece)
                piece, k = [], 0
        if piece or not self._chunks:
            yield self._frame(piece)

    @staticmethod
    def _frame(chunks: list[tuple[np.ndarray, int, int, np.ndarray]]) -> pd.DataFrame:
        names = [e.name.lower() for e in EventKind]
        if not chunks:
            return pd.DataFrame({"issue_id": np.zeros(0, np.int32), "day": np.zeros(0, np.int32),
                                 "event": pd.Categorical([], categories=names),
                                 "unit": np.zeros(0, np.int32)})
        ids = np.concatenate([c[0] for c in chunks])
        sizes = np.array([len(c[0]) for c in chunks])
        day = np.repeat(np.array([c[1] for c in chunks], np.int32), sizes)
        kind = np.repeat(np.array([c[2] for c in chunks], np.int8), sizes)
        unit = np.concatenate([c[3] for c in chunks]).astype(np.int32, copy=False)
        return pd.DataFrame({
            "issue_id": ids, "day": day,
            "event": pd.Categorical.from_codes(kind, categories=names), "unit": unit,
        })

    def history(self, issue_id: int) -> pd.DataFrame:
        """The history of one issue."""
        f = self.frame()
        return f[f["issue_id"] == issue_id].reset_index(drop=True)
