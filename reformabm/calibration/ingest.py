"""Ticket-log ingest (工单导入): a county's 12345 / grid-platform log as calibration targets.

A ticket log has one row per ticket (工单). :func:`ingest` reads it (CSV or Parquet), maps its
columns onto the fields below with a column map (``--columns MAP.toml``; default: the model's
own ``issues.parquet``), and computes **the metrics of** ``summary.json`` **with the model's
definitions** (see :mod:`reformabm.metrics`): the censoring-aware on-time rates (open tickets
past their deadline are late), the closed-only rates governments report, Kaplan–Meier days to
close with open tickets censored at the log's end, repeat and formal-closure shares.
:func:`write_targets` writes them as a targets file that ``reformabm calibrate`` accepts.

Fields (all optional but ``created``; ``docs/calibration.md`` has the table):

=================  =================================================================  ==================
field              meaning                                                            issues.parquet
=================  =================================================================  ==================
``id``             ticket number (工单编号)                                             ``issue_id``
``created``        when the problem was registered (受理时间)                            ``created_day``
``known``          when government first knew of it (default: ``created``)            ``known_day``
``closed``         when it was closed (办结时间); empty while open                        ``end_day``
``deadline``       deadline after extensions (办理时限: a time, or days from ``known``)   ``deadline_day``
``deadline0``      original deadline, before extensions (default: ``deadline``)       ``deadline0_day``
``overdue``        overdue flag (是否超期), used when there is no deadline              —
``level``          required level 1-5                                                 ``required_level``
``unit``           handling unit (承办单位); a level through ``[values.unit_level]``       —
``status``         closed / open / withdrawn (through ``[values.status]``)            ``status``
``formal_closure`` closed on paper (形式办结)                                             ``formal_closure``
``reopened_from``  the earlier ticket this one repeats (重复件)                           ``reopened_from``
``complaint_of``   the ticket this complains about                                    ``complaint_of``
``called_again``   the reporter called again while it was overdue (催办)                  ``called_again``
``satisfaction``   reply-survey result (满意度), through ``[values.satisfaction]``      —
``hops``, ``bounces``, ``pushbacks``, ``misdispatches``  counts per ticket            same names
=================  =================================================================  ==================

Times are day numbers (``format.time = "day"``) or text dates (``"date"``, optional
``format.date_format``); dates count whole days from the earliest ``created`` date. The log
ends (censoring time) at ``as_of``: default the latest time in the log. Rows that cannot be
read (no or unreadable ``created``, unreadable ``closed``, unknown status, closed before
created) are reported with their line number and counted, never silently dropped.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reformabm.calibration import CalibrationError
from reformabm.tomlfile import read_toml

__all__ = ["IngestError", "FIELDS", "DEFAULT_COLUMNS", "ColumnMap", "IngestResult", "load_columns",
           "ingest", "write_targets", "EXAMPLES_DIR"]

EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"


class IngestError(CalibrationError):
    """A ticket log or column map cannot be read (the message names the column or field)."""


FIELDS = ("id", "created", "known", "closed", "deadline", "deadline0", "overdue", "level", "unit",
          "status", "formal_closure", "reopened_from", "complaint_of", "called_again", "satisfaction", "hops",
          "bounces", "pushbacks", "misdispatches")

#: The model's own ``issues.parquet`` columns.
DEFAULT_COLUMNS = {
    "id": "issue_id", "created": "created_day", "known": "known_day", "closed": "end_day",
    "deadline": "deadline_day", "deadline0": "deadline0_day", "level": "required_level",
    "status": "status", "formal_closure": "formal_closure", "reopened_from": "reopened_from",
    "complaint_of": "complaint_of", "called_again": "called_again", "hops": "hops", "bounces": "bounces",
    "pushbacks": "pushbacks", "misdispatches": "misdispatches",
}
_STATUS = ("closed", "open", "withdrawn")
_TRUE = {"1", "true", "yes", "y", "t", "是", "已", "有"}
_FALSE = {"0", "false", "no", "n", "f", "否", "未", "无", ""}


@dataclass
class ColumnMap:
    """Which log column holds each field, how times are written, and how values map."""

    columns: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_COLUMNS))
    time: str = "day"  # "day" numbers or "date" text
    date_format: str | None = None
    deadline: str = "time"  # "time" (like created) or "days" (from known)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    name: str = "issues.parquet (the model's own)"
    strict: bool = False  # every mapped column must exist (True for a user's map)


def load_columns(path: str | Path | None) -> ColumnMap:
    """Read a column map (``[columns]``, ``[format]``, ``[values.<field>]``); None: the default.

    Raises
    ------
    IngestError
        Unknown field or format, naming it.
    """
    if path is None:
        return ColumnMap()
    data = read_toml(path, "column map", IngestError)
    unknown = sorted(set(data) - {"columns", "format", "values", "description"})
    if unknown:
        raise IngestError(f"column map '{path}': unknown table(s) {unknown}; expected [columns], "
                          "[format], [values.<field>]")
    cols = data.get("columns", {})
    bad = sorted(set(cols) - set(FIELDS))
    if bad:
        raise IngestError(f"column map '{path}': `columns.{bad[0]}` is not a field; expected one of "
                          f"{list(FIELDS)}")
    if "created" not in cols:
        raise IngestError(f"column map '{path}': `columns.created` is required (the column with the "
                          "time each ticket was registered, e.g. 受理时间)")
    fmt = data.get("format", {})
    bad = sorted(set(fmt) - {"time", "date_format", "deadline"})
    if bad:
        raise IngestError(f"column map '{path}': `format.{bad[0]}` is unknown; expected time, "
                          "date_format, deadline")
    if fmt.get("time", "day") not in ("day", "date"):
        raise IngestError(f"column map '{path}': `format.time` = {fmt['time']!r}: expected 'day' or 'date'")
    if fmt.get("deadline", "time") not in ("time", "days"):
        raise IngestError(f"column map '{path}': `format.deadline` = {fmt['deadline']!r}: expected "
                          "'time' (a time like created) or 'days' (days from known)")
    vals = data.get("values", {})
    bad = sorted(set(vals) - {"status", "satisfaction", "overdue", "formal_closure", "unit_level"})
    if bad:
        raise IngestError(f"column map '{path}': `values.{bad[0]}` is unknown; expected status, "
                          "satisfaction, overdue, formal_closure, unit_level")
    for k, v in vals.get("status", {}).items():
        if v not in _STATUS:
            raise IngestError(f"column map '{path}': `values.status.{k}` = {v!r}: expected one of {list(_STATUS)}")
    for k, v in vals.get("satisfaction", {}).items():
        if not isinstance(v, (int, float)) or not 0 <= v <= 1:
            raise IngestError(f"column map '{path}': `values.satisfaction.{k}` = {v!r}: expected a "
                              "number in [0, 1]")
    return ColumnMap(columns=dict(cols), time=fmt.get("time", "day"), date_format=fmt.get("date_format"),
                     deadline=fmt.get("deadline", "time"), values=vals, name=Path(path).name, strict=True)


@dataclass
class IngestResult:
    """What a log gave: the metrics, the rows read and rejected, the log's span."""

    metrics: dict[str, float]
    rows: int
    rejected: list[tuple[int, str]]
    days: int
    source: str
    derived: dict[str, str] = field(default_factory=dict)  # metric -> how it was derived


def _read(path: Path) -> tuple[pd.DataFrame, str]:
    """The log as a DataFrame and how its rows are numbered (CSV lines or Parquet rows)."""
    if not path.is_file():
        raise IngestError(f"ticket log '{path}' does not exist")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(path), "row"
        if path.suffix.lower() in (".csv", ".txt", ".tsv"):
            sep = "\t" if path.suffix.lower() == ".tsv" else ","
            for enc in ("utf-8-sig", "gb18030"):
                try:
                    return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, encoding=enc), "line"
                except UnicodeDecodeError:
                    continue
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise IngestError(f"ticket log '{path}' cannot be read: {exc}") from None
    raise IngestError(f"ticket log '{path}': expected a .csv or .parquet file")


def _blank(s: pd.Series) -> np.ndarray:
    if s.dtype == object or pd.api.types.is_string_dtype(s):
        return s.isna().to_numpy() | (s.astype(str).str.strip() == "").to_numpy()
    return s.isna().to_numpy()


def _times(s: pd.Series, cmap: ColumnMap) -> pd.Series:
    """Times as float days (NaN where blank or unreadable) — dates still as Timestamps."""
    if cmap.time == "day":
        return pd.to_numeric(s, errors="coerce").astype(float)
    txt = s.astype("string").str.strip()
    return pd.to_datetime(txt, format=cmap.date_format or "mixed", errors="coerce")


def _bool(s: pd.Series, table: dict[str, Any] | None) -> np.ndarray:
    if s.dtype == bool or str(s.dtype) == "boolean":
        return s.fillna(False).to_numpy(bool)
    if table:
        return s.astype(str).str.strip().map(lambda v: bool(table.get(v, False))).to_numpy(bool)
    return s.astype(str).str.strip().str.lower().isin(_TRUE).to_numpy()


def ingest(log: str | Path, columns: ColumnMap | str | Path | None = None, *,
           as_of: float | None = None, population: float | None = None) -> IngestResult:
    """Read a ticket log and compute the ``summary.json`` metrics it supports.

    Parameters
    ----------
    log : str or Path
        CSV (UTF-8 or GB18030, header row) or Parquet file, one row per ticket.
    columns : ColumnMap, str or Path, optional
        Column map (default: the model's ``issues.parquet`` columns).
    as_of : float, optional
        The log's end in days (default: the latest time in the log).
    population : float, optional
        Residents served, for ``issues_per_1000_people``.

    Returns
    -------
    IngestResult

    Raises
    ------
    IngestError
        A missing column, an unreadable file, or no readable row.
    """
    path = Path(log)
    cmap = columns if isinstance(columns, ColumnMap) else load_columns(columns)
    df, unit = _read(path)
    first = 2 if unit == "line" else 1
    present = {}
    for f, col in cmap.columns.items():
        if col in df.columns:
            present[f] = df[col]
        elif cmap.strict or f == "created":
            raise IngestError(f"ticket log '{path}': column '{col}' (field `{f}` of the column map "
                              f"{cmap.name}) is not in the log; its columns are {list(df.columns)[:20]}")
    n_all = len(df)
    reasons = np.full(n_all, "", dtype=object)

    def reject(mask: np.ndarray, why: str) -> None:
        reasons[mask & (reasons == "")] = why

    created = _times(present["created"], cmap)
    reject(_blank(present["created"]), f"no `created` ({cmap.columns['created']})")
    reject(created.isna().to_numpy(), f"unreadable `created` ({cmap.columns['created']})")
    times: dict[str, Any] = {"created": created}
    for f in ("known", "closed", "deadline", "deadline0"):
        if f in present and not (f.startswith("deadline") and cmap.deadline == "days"):
            t = _times(present[f], cmap)
            reject(~_blank(present[f]) & t.isna().to_numpy(), f"unreadable `{f}` ({cmap.columns[f]})")
            times[f] = t
    if cmap.time == "date":
        origin = created.min().normalize() if created.notna().any() else pd.Timestamp(0)
        for f, t in list(times.items()):
            times[f] = ((t.dt.normalize() - origin).dt.days).astype(float)
    for f in ("deadline", "deadline0"):
        if f in present and cmap.deadline == "days":
            n = pd.to_numeric(present[f].astype(str).str.extract(r"([-+]?\d+(?:\.\d+)?)")[0], errors="coerce")
            reject(~_blank(present[f]) & n.isna().to_numpy(), f"unreadable `{f}` ({cmap.columns[f]})")
            times[f] = n.astype(float)  # made absolute below, from known
    c = times["created"].to_numpy(float)
    known = times["known"].to_numpy(float) if "known" in times else c.copy()
    end = times["closed"].to_numpy(float) if "closed" in times else np.full(n_all, np.nan)
    for f in ("deadline", "deadline0"):
        if f in times and cmap.deadline == "days":
            times[f] = pd.Series(known + times[f].to_numpy(float))
    if "status" in present:
        raw = present["status"].astype(str).str.strip()
        table = cmap.values.get("status", {})
        status = raw.map(lambda v: table.get(v, v if v in _STATUS else None))
        bad = status.isna().to_numpy()
        reject(bad, f"unknown `status` ({cmap.columns['status']}); map it under [values.status]")
        status = status.fillna("open").to_numpy(object)
    else:
        status = np.where(np.isnan(end), "open", "closed").astype(object)
    closed = status == "closed"
    reject(closed & np.isnan(end), f"closed without `closed` time ({cmap.columns.get('closed', 'closed')})")
    reject(closed & (end < c), "closed before created")
    ok = reasons == ""
    rejected = [(int(i) + first, str(reasons[i])) for i in np.flatnonzero(~ok)]
    if not ok.any():
        raise IngestError(f"ticket log '{path}': none of its {n_all} rows can be read; first problems: "
                          + "; ".join(f"{unit} {ln}: {why}" for ln, why in rejected[:5]))
    c, known, end, status, closed = c[ok], known[ok], end[ok], status[ok], closed[ok]
    sub = {f: s[ok].reset_index(drop=True) for f, s in present.items()}
    all_times = [c, known, end] + [times[f].to_numpy(float)[ok] for f in ("deadline", "deadline0") if f in times]
    day = float(as_of) if as_of is not None else float(np.nanmax(np.concatenate([c, known, end])))
    dl = times["deadline"].to_numpy(float)[ok] if "deadline" in times else None
    dl0 = times["deadline0"].to_numpy(float)[ok] if "deadline0" in times else dl
    level = None
    if "level" in sub:
        level = pd.to_numeric(sub["level"], errors="coerce").to_numpy(float)
    elif "unit" in sub and cmap.values.get("unit_level"):
        level = sub["unit"].astype(str).str.strip().map(cmap.values["unit_level"]).astype(float).to_numpy()
    overdue = _bool(sub["overdue"], cmap.values.get("overdue")) if "overdue" in sub else None
    metrics, derived = _metrics(c, known, end, status, closed, dl, dl0, overdue, level, sub, cmap, day,
                                population)
    del all_times
    source = f"{path.name}: {int(ok.sum())} tickets read ({len(rejected)} rejected of {n_all} rows)"
    return IngestResult(metrics, int(ok.sum()), rejected, int(round(day)), source, derived)


def _nan_div(a: float, b: float) -> float:
    return float(a) / float(b) if b else math.nan


def _metrics(c, known, end, status, closed, dl, dl0, overdue, level, sub, cmap, day, population):
    """The summary metrics with the model's definitions (reformabm.metrics / model.summary)."""
    from reformabm.survival import QUANTILES, km_summary

    n = len(c)
    withdrawn = status == "withdrawn"
    is_open = ~closed & ~withdrawn
    known_mask = ~np.isnan(known)
    open_known = is_open & known_mask
    m: dict[str, float] = {}
    derived: dict[str, str] = {}
    m["issues_created"] = n
    m["issues_closed"] = int(closed.sum())
    m["issues_open"] = int(is_open.sum())
    m["issues_withdrawn"] = int(withdrawn.sum())
    m["closure_rate"] = _nan_div(closed.sum(), n)
    if population:
        m["issues_per_1000_people"] = 1000 * n / population
    with np.errstate(invalid="ignore"):
        if dl is not None:
            ok0, ok_ext = closed & (end <= dl0), closed & (end <= dl)
            late0, late_ext = open_known & (dl0 <= day), open_known & (dl <= day)
        elif overdue is not None:
            ok0 = ok_ext = closed & ~overdue
            late0 = late_ext = open_known & overdue
            derived["on_time_rate"] = "from the overdue flag (no deadline column)"
        else:
            ok0 = ok_ext = late0 = late_ext = None
    if ok0 is not None:
        m["on_time_rate"] = _nan_div(ok0.sum(), closed.sum() + late0.sum())
        m["on_time_rate_extended"] = _nan_div(ok_ext.sum(), closed.sum() + late_ext.sum())
        m["on_time_rate_closed_only"] = _nan_div(ok_ext.sum(), closed.sum())
        if level is not None:
            for k in range(1, 6):
                lk = level == k
                m[f"on_time_rate_level_{k}"] = _nan_div((ok0 & lk).sum(), (closed & lk).sum() + (late0 & lk).sum())
                m[f"on_time_rate_closed_only_level_{k}"] = _nan_div((ok_ext & lk).sum(), (closed & lk).sum())
    if level is not None:
        for k in range(1, 6):
            m[f"closed_level_{k}"] = int((closed & (level == k)).sum())
    keep = ~withdrawn
    stop = np.where(closed, end, day)
    created_km = km_summary((stop - c)[keep], closed[keep])
    kk = keep & known_mask
    known_km = km_summary((stop - known)[kk], closed[kk])
    ttc = np.clip(end[closed] - known[closed], 0, None)
    closed_km = km_summary(ttc, np.ones(len(ttc), bool))
    for key in ("mean", *[q for q, _ in QUANTILES]):
        m[f"days_to_close_{key}"] = created_km[key]
        m[f"days_known_to_close_{key}"] = known_km[key]
        m[f"days_to_close_{key}_closed_only"] = closed_km[key]
    if "formal_closure" in sub:
        formal = _bool(sub["formal_closure"], cmap.values.get("formal_closure"))
        m["formal_closure_share"] = _nan_div((formal & closed).sum(), closed.sum())
    reopened = None
    if "reopened_from" in sub:
        reopened = ~_blank(sub["reopened_from"])
        m["reopened_rate"] = _nan_div(reopened.sum(), closed.sum())
    if "complaint_of" in sub:
        m["complaints"] = int((~_blank(sub["complaint_of"])).sum())
    if "called_again" in sub:
        m["overdue_calls"] = int(_bool(sub["called_again"], cmap.values.get("called_again")).sum())
    if "satisfaction" in sub:
        table = cmap.values.get("satisfaction", {})
        raw = sub["satisfaction"].astype(str).str.strip()
        v = raw.map(lambda x: table.get(x, np.nan)) if table else pd.to_numeric(raw, errors="coerce")
        v = pd.to_numeric(v, errors="coerce")
        v = v.where(v <= 1, v / 100)  # percentages
        m["satisfaction"] = float(v.mean()) if v.notna().any() else math.nan
        derived["satisfaction"] = "mean reply-survey score of the tickets that have one"
    elif dl is not None and reopened is not None:
        late = np.maximum(0, end[closed] - dl[closed])
        score = np.maximum(0.2, 1.0 - 0.1 * late)
        m["satisfaction"] = _nan_div(score.sum(), closed.sum() + reopened.sum())
        derived["satisfaction"] = ("the model's experience score (1 on time, 0.1 less a day late, at "
                                   "least 0.2; 0 for a problem that came back), no survey column")
    for f in ("hops", "bounces"):
        if f in sub:
            m[f"{f}_mean"] = float(pd.to_numeric(sub[f], errors="coerce").mean())
    for f in ("pushbacks", "misdispatches"):
        if f in sub:
            m[f] = int(pd.to_numeric(sub[f], errors="coerce").fillna(0).sum())
    return m, derived


#: Metrics written as targets (counts that scale with the county's size are left out).
_TARGET_KEYS = re.compile(r"^(closure_rate|on_time_rate.*|days_.*|formal_closure_share|reopened_rate|"
                          r"satisfaction|issues_per_1000_people|hops_mean|bounces_mean)$")


def _tolerance(metric: str, value: float, n: int, given: dict[str, float], default: float | None) -> float:
    from reformabm.calibration.targets import metric_range

    if metric in given:
        return given[metric]
    if default is not None:
        return default
    if metric_range(metric) == (0.0, 1.0):
        # two binomial standard errors, at least one point
        return round(max(0.01, 2 * math.sqrt(max(value * (1 - value), 1e-9) / max(n, 1))), 4)
    return round(max(0.5, 0.1 * abs(value)), 3)


def write_targets(res: IngestResult, out: str | Path, *, scenario: str = "teaching",
                  tolerance: list[str] | None = None, metrics: list[str] | None = None) -> Path:
    """Write the log's metrics as a targets file for ``reformabm calibrate``.

    Parameters
    ----------
    tolerance : list of str, optional
        ``"0.02"`` (every target) and/or ``"metric=value"`` items. Default: two binomial
        standard errors (at least 0.01) for rates, 10 % (at least 0.5) for days and others.
    metrics : list of str, optional
        Targets to write (default: every rate, share and duration the log supports).

    Raises
    ------
    IngestError
        A bad tolerance or an unknown metric.
    """
    given: dict[str, float] = {}
    default = None
    for item in tolerance or []:
        key, eq, val = item.rpartition("=")
        try:
            v = float(val)
            if not v > 0:
                raise ValueError
        except ValueError:
            raise IngestError(f"--tolerance {item!r}: expected a positive number, or metric=number") from None
        if eq:
            given[key.strip()] = v
        else:
            default = v
    vals = {k: v for k, v in res.metrics.items() if v is not None and not (isinstance(v, float) and math.isnan(v))}
    keys = metrics or [k for k in vals if _TARGET_KEYS.match(k)]
    missing = [k for k in keys if k not in vals]
    if missing:
        raise IngestError(f"--metric {missing[0]}: not computed from this log; it gives {sorted(vals)}")
    unknown = sorted(set(given) - set(keys))
    if unknown:
        raise IngestError(f"--tolerance {unknown[0]}=...: not among the targets written {keys}")
    lines = [
        f"# Targets computed from the ticket log {res.source}.",
        "# Written by `reformabm ingest`; metrics as in summary.json (docs/calibration.md).",
        *[f"# rejected {r[1]} at {r[0]}" for r in res.rejected[:20]],
        *(["# ... and more rejected rows"] if len(res.rejected) > 20 else []),
        "",
        "[calibration]",
        f"scenario = {_q(scenario)}",
        f"days = {max(1, res.days)}",
        "",
    ]
    for k in keys:
        v = float(vals[k])
        tol = _tolerance(k, v, res.rows, given, default)
        src = res.source + (f"; {res.derived[k]}" if k in res.derived else "")
        lines += ["[[target]]", f"metric = {_q(k)}", f"value = {v!r}", f"tolerance = {tol!r}",
                  f"source = {_q(src)}", ""]
    out = Path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("\n".join(lines), encoding="utf-8")
    except OSError as exc:
        raise IngestError(f"--out {out}: cannot write: {exc}") from None
    return out


def _q(s: str) -> str:
    """A TOML basic string."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'
