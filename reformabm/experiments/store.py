"""A sweep's results store (结果库): a directory of Parquet parts that survives being killed.

Layout of an output directory::

    DIR/
      manifest.json              sweep fingerprint, design summary, package version, sessions
      sweep.toml                 a copy of the sweep file (provenance)
      points.parquet             the design: point_id, each lever's value, u:<lever>
      runs/part-<first>-<last>[-a<attempt>].parquet
                                 one row per run: run_id, point_id, replication, seed, attempt,
                                 status ("ok" | "failed"), error, traceback, wall_time, and
                                 every summary metric
      timeseries/part-....parquet  (optional) run_id, day and the thinned daily metrics

Every file is written to a temporary name and renamed into place (``os.replace`` is atomic),
and a chunk's time-series part is renamed before its runs part: a runs part is the commit
record of its chunk. The runs parts are the single source of truth for what is done, so a
sweep killed at any moment (SIGKILL included) loses at most the chunks it had not yet
renamed, and a resume skips every stored run. A run is identified by
``run_id = point_id * replications + replication``.

Only the sweep's driver process writes here (workers return their chunks to it); a lock file
keeps a second driver out of the same directory.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from reformabm.experiments.design import SweepError

if TYPE_CHECKING:
    from reformabm.experiments.design import Sweep

__all__ = ["RunStore", "load", "load_points", "load_runs", "load_timeseries", "read_manifest"]

FORMAT = 1
MANIFEST = "manifest.json"
POINTS = "points.parquet"
RUNS = "runs"
TIMESERIES = "timeseries"
_ID_COLUMNS = ["run_id", "point_id", "replication", "seed", "attempt", "status"]


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def _atomic_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _atomic_parquet(path: Path, df: pd.DataFrame) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    df.to_parquet(tmp, index=False)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def read_manifest(out: str | Path) -> dict[str, Any]:
    """Return the manifest of the store in ``out`` (a :class:`SweepError` if none)."""
    path = Path(out) / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SweepError(f"'{out}' is not a sweep store (no {MANIFEST}); run `reformabm sweep "
                         "FILE --out DIR` first") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise SweepError(f"'{path}' cannot be read: {exc}") from None


class RunStore:
    """The results store of one sweep in one directory.

    Parameters
    ----------
    out : str or Path
        The output directory.

    Use :meth:`open` to create the store or resume into it; the functions :func:`load`,
    :func:`load_runs`, :func:`load_points` read a store without opening it for writing.
    """

    def __init__(self, out: str | Path) -> None:
        self.out = Path(out)
        self.manifest_: dict[str, Any] = {}
        self._lock: Any = None

    # ---- opening ----------------------------------------------------------------------------
    @classmethod
    def open(cls, out: str | Path, sweep: Sweep, *, sweep_text: str | None = None) -> RunStore:
        """Create the store for ``sweep`` in ``out``, or reopen it to resume.

        Raises
        ------
        SweepError
            If ``out`` holds another sweep's results (a different fingerprint), holds files that
            are not a store, or another process is writing to it.
        """
        store = cls(out)
        try:
            store.out.mkdir(parents=True, exist_ok=True)
            store._acquire_lock()
            store._open(sweep, sweep_text)
        except OSError as exc:
            store.close()
            raise SweepError(f"cannot write the sweep store '{out}': {exc}") from None
        except BaseException:
            store.close()
            raise
        return store

    def _open(self, sweep: Sweep, sweep_text: str | None) -> None:
        fp = sweep.fingerprint()
        mpath = self.out / MANIFEST
        if mpath.exists():
            self.manifest_ = read_manifest(self.out)
            if self.manifest_.get("fingerprint") != fp:
                raise SweepError(
                    f"'{self.out}' holds the results of a different sweep (sweep "
                    f"'{self.manifest_.get('design', {}).get('name')}' from "
                    f"{self.manifest_.get('sweep_file')}; its design, seed or base scenario "
                    "differ from this one's); refusing to mix them: use a new --out directory")
        else:
            ours = (".lock", POINTS, RUNS, TIMESERIES)
            foreign = [p.name for p in self.out.iterdir()
                       if p.name not in ours and not p.name.endswith(".tmp")]
            if foreign:
                raise SweepError(f"'{self.out}' is not empty and is not a sweep store (found "
                                 f"{sorted(foreign)[:5]}); use a new or empty --out directory")
            from reformabm import __version__

            self.manifest_ = {
                "format": FORMAT, "fingerprint": fp, "sweep_file": sweep.source,
                "package_version": __version__, "created": _now(), "design": sweep.summary(),
                "sessions": [],
            }
            if sweep_text is not None:
                _atomic_bytes(self.out / "sweep.toml", sweep_text.encode("utf-8"))
            self._write_manifest()
        (self.out / RUNS).mkdir(exist_ok=True)
        (self.out / TIMESERIES).mkdir(exist_ok=True)
        if not (self.out / POINTS).exists():
            _atomic_parquet(self.out / POINTS, sweep.points())
        self._cleanup()

    def _acquire_lock(self) -> None:
        try:
            import fcntl
        except ImportError:  # Windows: no advisory lock
            return
        fh = open(self.out / ".lock", "a+")  # noqa: SIM115 (held open while the store is open)
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            raise SweepError(f"another sweep is writing to '{self.out}' (it holds "
                             f"{self.out}/.lock); wait for it or use another --out directory"
                             ) from None
        self._lock = fh

    def close(self) -> None:
        """Release the directory's lock."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _cleanup(self) -> None:
        """Remove temporary files of killed writes and uncommitted time-series parts.

        A time-series part whose runs part was never renamed belongs to runs that will run again.
        """
        for d in (self.out, self.out / RUNS, self.out / TIMESERIES):
            for p in d.glob(".*.tmp"):
                p.unlink(missing_ok=True)
        committed = {p.name for p in (self.out / RUNS).glob("part-*.parquet")}
        for p in (self.out / TIMESERIES).glob("part-*.parquet"):
            if p.name not in committed:
                p.unlink(missing_ok=True)

    def _write_manifest(self) -> None:
        text = json.dumps(self.manifest_, indent=2, default=str)
        _atomic_bytes(self.out / MANIFEST, text.encode("utf-8"))

    # ---- sessions ----------------------------------------------------------------------------
    def start_session(self, **info: Any) -> None:
        """Record the start of a sweep session (backend, workers ...) in the manifest."""
        self.manifest_.setdefault("sessions", []).append({"started": _now(), **info})
        self._write_manifest()

    def end_session(self, **info: Any) -> None:
        """Record the end of the current session (counts) in the manifest."""
        sessions = self.manifest_.setdefault("sessions", [{}])
        sessions[-1].update({"finished": _now(), **info})
        self._write_manifest()

    # ---- reading and writing runs ------------------------------------------------------------
    def points(self) -> pd.DataFrame:
        """Return the design's points table."""
        return pd.read_parquet(self.out / POINTS)

    def status(self) -> pd.DataFrame:
        """``run_id``, ``status``, ``attempt`` and ``part`` of every stored run (latest attempt)."""
        return _status(self.out)

    def part_name(self, run_ids: list[int], attempt: int) -> str:
        """Return a chunk's file name (from its first and last run and its attempt)."""
        name = f"part-{min(run_ids):08d}-{max(run_ids):08d}"
        name += f"-a{attempt}" if attempt > 1 else ""
        final, i = name, 1
        while (self.out / RUNS / f"{final}.parquet").exists():
            i += 1
            final = f"{name}-{i}"
        return f"{final}.parquet"

    def write_chunk(self, runs: pd.DataFrame, timeseries: pd.DataFrame | None = None) -> str:
        """Store one finished chunk atomically; return its part name."""
        attempt = int(runs["attempt"].max()) if len(runs) else 1
        name = self.part_name([int(x) for x in runs["run_id"]], attempt)
        if timeseries is not None and len(timeseries):
            _atomic_parquet(self.out / TIMESERIES / name, timeseries)
        _atomic_parquet(self.out / RUNS / name, runs)
        return name

    def drop_superseded(self) -> int:
        """Rewrite parts so that each run is stored once (its latest attempt); return rows dropped.

        Only needed after ``retry_failed``; until it has run, readers keep the latest attempt.
        """
        st = _status(self.out, keep_all=True)
        if st.empty:
            return 0
        latest = st.groupby("run_id")["attempt"].transform("max")
        stale = st[st["attempt"] < latest]
        for part, rows in stale.groupby("part"):
            for sub in (RUNS, TIMESERIES):
                path = self.out / sub / str(part)
                if not path.exists():
                    continue
                df = pd.read_parquet(path)
                df = df[~df["run_id"].isin(rows["run_id"])]
                if df.empty:
                    path.unlink()
                else:
                    _atomic_parquet(path, df)
        return len(stale)


def _parts(out: Path, sub: str) -> list[Path]:
    return sorted((Path(out) / sub).glob("part-*.parquet"))


def _status(out: str | Path, *, keep_all: bool = False) -> pd.DataFrame:
    import pyarrow.parquet as pq

    frames = []
    for p in _parts(Path(out), RUNS):
        t = pq.read_table(p, columns=["run_id", "attempt", "status"]).to_pandas()
        t["part"] = p.name
        frames.append(t)
    if not frames:
        return pd.DataFrame({"run_id": pd.Series(dtype="int64"),
                             "attempt": pd.Series(dtype="int64"),
                             "status": pd.Series(dtype="str"), "part": pd.Series(dtype="str")})
    st = pd.concat(frames, ignore_index=True)
    if keep_all:
        return st
    return st.sort_values(["run_id", "attempt"]).drop_duplicates("run_id", keep="last")


def _concat(paths: Iterable[Path], columns: list[str] | None = None) -> Iterator[pd.DataFrame]:
    for p in paths:
        yield pd.read_parquet(p, columns=columns)


def load_runs(out: str | Path) -> pd.DataFrame:
    """Every stored run (its latest attempt), one row per run, sorted by ``run_id``."""
    frames = [f for f in _concat(_parts(Path(out), RUNS)) if len(f)]
    if not frames:
        return pd.DataFrame(columns=_ID_COLUMNS)
    df = pd.concat(frames, ignore_index=True)
    df = df.sort_values(["run_id", "attempt"]).drop_duplicates("run_id", keep="last")
    return df.reset_index(drop=True)


def load_points(out: str | Path) -> pd.DataFrame:
    """Return the design's points table of the store in ``out``."""
    path = Path(out) / POINTS
    if not path.exists():
        read_manifest(out)  # the clearer error when it is not a store at all
        raise SweepError(f"'{out}' has no {POINTS}; resume the sweep to rewrite it")
    return pd.read_parquet(path)


def load_timeseries(out: str | Path) -> pd.DataFrame:
    """Return the stored (thinned) time series: ``run_id``, ``day``, the daily metrics."""
    status = _status(out)
    frames = []
    for p in _parts(Path(out), TIMESERIES):
        df = pd.read_parquet(p)
        keep = status[status["part"] == p.name]["run_id"]
        frames.append(df[df["run_id"].isin(keep)])
    if not frames:
        return pd.DataFrame(columns=["run_id", "day"])
    df = pd.concat(frames, ignore_index=True)
    return df.sort_values(["run_id", "day"]).reset_index(drop=True)


def load(out: str | Path) -> pd.DataFrame:
    """Return the runs of a sweep joined with their design points, for notebooks.

    Parameters
    ----------
    out : str or Path
        A sweep's output directory.

    Returns
    -------
    pandas.DataFrame
        One row per stored run with ``run_id``, ``point_id``, ``replication``, ``seed``,
        ``status``, each lever's value (columns named by the lever's path, e.g.
        ``centre.authority``, and ``reforms`` for the schedule option) and every summary metric.
    """
    read_manifest(out)
    runs = load_runs(out)
    points = load_points(out)
    points = points[[c for c in points.columns if not c.startswith("u:")]]
    df = runs.merge(points, on="point_id", how="left")
    levers = [c for c in points.columns if c != "point_id"]
    first = ["run_id", "point_id", "replication", "seed", "status", *levers]
    rest = [c for c in df.columns if c not in first]
    return df[[c for c in first if c in df.columns] + rest]


@contextlib.contextmanager
def _opened(out: str | Path, sweep: Sweep, sweep_text: str | None = None) -> Iterator[RunStore]:
    store = RunStore.open(out, sweep, sweep_text=sweep_text)
    try:
        yield store
    finally:
        store.close()
