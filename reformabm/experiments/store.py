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

Only a sweep's driver process writes here (workers return their chunks to it); a lock file
keeps a second driver out of the same directory.

**Shards** (:mod:`.shards`): many drivers, each running one shard ``I/N`` of the design, may
write into the same directory at once, on one machine or on the nodes of a cluster sharing a
file system. That is safe without relying on file locks (which network file systems do not
always honour): the shards' runs are disjoint, every file a shard writes carries its tag
(``runs/part-<first>-<last>-s<I>of<N>.parquet``, temporary names also the host and the process
id), a shard cleans up only its own leftovers, the manifest is created once with an exclusive
link (the first shard wins, the others check its fingerprint) and never rewritten by shards,
and each shard session is recorded in a file of its own (``sessions/``). Where locks work,
shards hold the directory's lock shared and their own ``.lock-s<I>of<N>`` exclusively, so the
same shard twice, a shard next to another sharding (a different N) or next to a plain sweep is
refused; a plain sweep takes the directory's lock exclusively.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import json
import os
import socket
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from reformabm.experiments.design import SweepError

if TYPE_CHECKING:
    from reformabm.experiments.design import Sweep
    from reformabm.experiments.shards import Shard

__all__ = ["RunStore", "load", "load_points", "load_runs", "load_timeseries", "read_manifest"]

FORMAT = 1
MANIFEST = "manifest.json"
POINTS = "points.parquet"
RUNS = "runs"
TIMESERIES = "timeseries"
SESSIONS = "sessions"
SLURM = ("slurm.sh", "slurm")
_ID_COLUMNS = ["run_id", "point_id", "replication", "seed", "attempt", "status"]


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def _tmp(path: Path) -> Path:
    """A temporary name next to ``path``, unique across the processes and hosts of a cluster."""
    host = socket.gethostname().split(".")[0] or "host"
    return path.with_name(f".{path.name}.{host}.{os.getpid()}.tmp")


def _write_tmp(path: Path, data: bytes) -> Path:
    tmp = _tmp(path)
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return tmp


def _atomic_bytes(path: Path, data: bytes) -> None:
    os.replace(_write_tmp(path, data), path)


def _exclusive_bytes(path: Path, data: bytes) -> bool:
    """Create ``path`` with ``data`` unless it exists (atomic, also over NFS); True if created."""
    tmp = _write_tmp(path, data)
    try:
        os.link(tmp, path)
    except FileExistsError:
        return False
    except OSError:  # a file system without hard links: O_EXCL (atomic on local disks, NFSv3+)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
        except FileExistsError:
            return False
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    finally:
        tmp.unlink(missing_ok=True)
    return True


def _atomic_parquet(path: Path, df: pd.DataFrame) -> None:
    tmp = _tmp(path)
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

    def __init__(self, out: str | Path, shard: Shard | None = None) -> None:
        self.out = Path(out)
        self.shard = shard
        self.manifest_: dict[str, Any] = {}
        self._locks: list[Any] = []
        self._session: dict[str, Any] | None = None
        self._session_path: Path | None = None

    # ---- opening ----------------------------------------------------------------------------
    @classmethod
    def open(cls, out: str | Path, sweep: Sweep, *, sweep_text: str | None = None,
             shard: Shard | None = None) -> RunStore:
        """Create the store for ``sweep`` in ``out``, or reopen it to resume.

        Parameters
        ----------
        shard : Shard, optional
            Open it to write one shard's runs, next to the other shards' writers.

        Raises
        ------
        SweepError
            If ``out`` holds another sweep's results (a different fingerprint), holds files that
            are not a store, or another process is writing to it (for a shard: the same shard,
            another sharding of the design or a plain sweep).
        """
        store = cls(out, shard)
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
        created = False
        if not mpath.exists():
            self._refuse_foreign()
            from reformabm import __version__

            manifest = {
                "format": FORMAT, "fingerprint": fp, "sweep_file": sweep.source,
                "package_version": __version__, "created": _now(), "design": sweep.summary(),
                "sessions": [],
            }
            text = json.dumps(manifest, indent=2, default=str).encode("utf-8")
            created = _exclusive_bytes(mpath, text)  # a concurrent shard may have won
            if created:
                self.manifest_ = manifest
                if sweep_text is not None:
                    _atomic_bytes(self.out / "sweep.toml", sweep_text.encode("utf-8"))
        if not created:
            self.manifest_ = read_manifest(self.out)
            if self.manifest_.get("fingerprint") != fp:
                raise SweepError(
                    f"'{self.out}' holds the results of a different sweep (sweep "
                    f"'{self.manifest_.get('design', {}).get('name')}' from "
                    f"{self.manifest_.get('sweep_file')}; its design, seed or base scenario "
                    "differ from this one's); refusing to mix them: use a new --out directory")
        for sub in (RUNS, TIMESERIES, SESSIONS):
            (self.out / sub).mkdir(exist_ok=True)
        if not (self.out / POINTS).exists():  # the same table from every writer
            _atomic_parquet(self.out / POINTS, sweep.points())
        self._cleanup()

    def _refuse_foreign(self) -> None:
        ours = {POINTS, RUNS, TIMESERIES, SESSIONS, *SLURM}
        foreign = [p.name for p in self.out.iterdir()
                   if p.name not in ours and not p.name.startswith(".lock")
                   and not p.name.endswith(".tmp")]
        # a concurrent shard may have created the store meanwhile (sweep.toml follows manifest)
        if foreign and not (self.out / MANIFEST).exists():
            raise SweepError(f"'{self.out}' is not empty and is not a sweep store (found "
                             f"{sorted(foreign)[:5]}); use a new or empty --out directory")

    def _acquire_lock(self) -> None:
        """Lock out writers that would clash (best effort: correctness does not rely on it)."""
        try:
            import fcntl
        except ImportError:  # Windows: no advisory lock
            return
        busy = (f"another sweep is writing to '{self.out}' (it holds {self.out}/.lock); wait "
                "for it or use another --out directory")
        if self.shard is None:
            self._lock_file(".lock", fcntl.LOCK_EX, busy)
            return
        tag = self.shard.tag
        self._lock_file(".lock", fcntl.LOCK_SH,
                        f"a plain sweep (no --shard) is writing to '{self.out}'; wait for it to "
                        "finish before starting shards")
        self._lock_file(f".lock-{tag}", fcntl.LOCK_EX,
                        f"shard {self.shard} is already being written to '{self.out}' by another "
                        f"process (it holds {self.out}/.lock-{tag}); each shard runs once at a time")
        from reformabm.experiments.shards import SHARD_TAG

        for p in self.out.glob(".lock-s*of*"):
            m = SHARD_TAG.fullmatch(p.name.removeprefix(".lock"))
            if m is None or int(m.group(2)) == self.shard.count:
                continue
            probe = self._lock_file(p.name, fcntl.LOCK_EX, (
                f"shards of another sharding ({m.group(1)}/{m.group(2)}) are writing to "
                f"'{self.out}'; run --shard I/{m.group(2)} there, or wait for them to finish"),
                keep=False)
            if probe is not None:
                probe.close()

    def _lock_file(self, name: str, how: int, busy: str, *, keep: bool = True) -> Any:
        import fcntl

        fh = open(self.out / name, "a+")  # noqa: SIM115 (held open while the store is open)
        try:
            fcntl.flock(fh.fileno(), how | fcntl.LOCK_NB)
        except OSError as exc:
            fh.close()
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise SweepError(busy) from None
            return None  # the file system has no locks (some Lustre/NFS mounts): go on without
        if keep:
            self._locks.append(fh)
        return fh

    def close(self) -> None:
        """Release the directory's locks."""
        for fh in self._locks:
            fh.close()
        self._locks = []

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _cleanup(self) -> None:
        """Remove temporary files of killed writes and uncommitted time-series parts.

        A time-series part whose runs part was never renamed belongs to runs that will run again.
        A shard removes only its own (the other shards may be writing theirs right now).
        """
        mine = f"-{self.shard.tag}.parquet" if self.shard else ""
        for d in (self.out, self.out / RUNS, self.out / TIMESERIES):
            for p in d.glob(f".*{mine}.*tmp" if mine else ".*.tmp"):
                if p.name.endswith(".tmp"):
                    p.unlink(missing_ok=True)
        committed = {p.name for p in (self.out / RUNS).glob("part-*.parquet")}
        for p in (self.out / TIMESERIES).glob(f"part-*{mine}" if mine else "part-*.parquet"):
            if p.name not in committed:
                p.unlink(missing_ok=True)

    def _write_manifest(self) -> None:
        text = json.dumps(self.manifest_, indent=2, default=str)
        _atomic_bytes(self.out / MANIFEST, text.encode("utf-8"))

    # ---- sessions ----------------------------------------------------------------------------
    def start_session(self, **info: Any) -> None:
        """Record the start of a sweep session (backend, workers ...) in the manifest.

        A shard's session goes to a file of its own, ``sessions/<shard>.<host>.<pid>.json``
        (shards never rewrite the manifest, which the others read).
        """
        if self.shard is None:
            self.manifest_.setdefault("sessions", []).append({"started": _now(), **info})
            self._write_manifest()
            return
        host = socket.gethostname().split(".")[0] or "host"
        stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%S%f")
        self._session = {"started": _now(), "shard": str(self.shard), "host": host,
                         "pid": os.getpid(), **info}
        self._session_path = self.out / SESSIONS / f"{self.shard.tag}.{stamp}.{host}.{os.getpid()}.json"
        self._write_session()

    def end_session(self, **info: Any) -> None:
        """Record the end of the current session (counts) in the manifest."""
        if self.shard is not None and self._session is not None:
            self._session.update({"finished": _now(), **info})
            self._write_session()
            return
        sessions = self.manifest_.setdefault("sessions", [{}])
        sessions[-1].update({"finished": _now(), **info})
        self._write_manifest()

    def _write_session(self) -> None:
        assert self._session_path is not None
        text = json.dumps(self._session, indent=2, default=str)
        _atomic_bytes(self._session_path, text.encode("utf-8"))

    # ---- reading and writing runs ------------------------------------------------------------
    def points(self) -> pd.DataFrame:
        """Return the design's points table."""
        return pd.read_parquet(self.out / POINTS)

    def status(self) -> pd.DataFrame:
        """``run_id``, ``status``, ``attempt`` and ``part`` of every stored run (latest attempt)."""
        return _status(self.out)

    def part_name(self, run_ids: list[int], attempt: int) -> str:
        """Return a chunk's file name (its first and last run, its attempt, its shard)."""
        name = f"part-{min(run_ids):08d}-{max(run_ids):08d}"
        name += f"-a{attempt}" if attempt > 1 else ""
        tag = f"-{self.shard.tag}" if self.shard else ""
        final, i = name, 1
        while (self.out / RUNS / f"{final}{tag}.parquet").exists():
            i += 1
            final = f"{name}-{i}"
        return f"{final}{tag}.parquet"

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
        A shard drops only its own runs' stale rows.
        """
        st = _status(self.out, keep_all=True)
        if st.empty:
            return 0
        latest = st.groupby("run_id")["attempt"].transform("max")
        stale = st[st["attempt"] < latest]
        if self.shard is not None:
            stale = stale[(stale["run_id"] % self.shard.count) == self.shard.index - 1]
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
        try:
            t = pq.read_table(p, columns=["run_id", "attempt", "status"]).to_pandas()
        except FileNotFoundError:  # emptied by a shard's drop_superseded since it was listed
            continue
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
        try:
            yield pd.read_parquet(p, columns=columns)
        except FileNotFoundError:  # emptied by a shard's drop_superseded since it was listed
            continue


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
