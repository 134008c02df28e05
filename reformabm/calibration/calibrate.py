"""Fitting parameters to a targets file: ABC-SMC (pyabc) and the simulated method of moments.

Both methods see the model through one picklable function, :func:`simulate` (one run at a
parameter vector and seed, returning the targets' metrics), and compare replication-averaged
metrics with the observed values in units of the targets' tolerances.

``abc`` (default; approximate Bayesian computation by sequential Monte Carlo, Del Moral et al.
2012, with pyabc, Schälte et al. 2022): uniform priors on the ``[lo, hi]`` ranges; a particle
is one parameter vector, simulated with ``replications`` seeds derived from its values; its
distance is the largest target deviation in tolerances, ``max_k d_k`` with
``d_k = |sim_k - obs_k| / tol_k`` (a one-sided target, ``kind = "at_least"`` or ``"at_most"``,
counts only the shortfall beyond its bound: :func:`~reformabm.calibration.targets.deviation`), so
``epsilon <= 1`` means every target is within its tolerance; epsilon falls by the median
distance of the previous generation. The history is pyabc's SQLite database ``DIR/abc.db``:
a killed calibration resumes from the last finished generation (earlier generations, with all
their simulations, are kept). Intervals: weighted 5 % and 95 % quantiles of the last
generation (90 % credible interval); ``best`` is the weighted median.

``smm`` (simulated method of moments, McFadden 1989; Gouriéroux & Monfort 1996): common random
numbers (every evaluation uses the same ``replications`` seeds), objective
``J(θ) = Σ_k d_k(θ)²`` (the same deviations ``d_k``); a Latin-hypercube design over the ranges (a third
of the budget), then a compass search from its best point (:func:`_pattern_search`: the ``2 P``
points around the centre run as one batch, so the workers stay busy; Nelder–Mead, used before,
ran one point at a time). Every simulation is stored in
``DIR/smm.db`` (SQLite) under its parameters and seed, so a killed calibration re-runs only
what had not finished (the optimiser is deterministic and retraces its path). Intervals: the
tolerance is read as the observed figure's standard error; with ``G`` the Jacobian of the
moments (central differences on common random numbers) and ``Σ = diag(tol²) + S/R`` (``S``
the covariance of the moments over replications), ``Var(θ) ≈ (Gᵀ Σ⁻¹ G + diag(12/span²))⁻¹``; the 90 %
interval is ``best ± 1.645 sd``, clipped to the range (the ranges' own variance enters as a
weak prior, so a parameter the targets do not inform gets about its whole range; a one-sided
target met with room to spare at ``best`` has no local slope: it does not narrow the interval).
``posterior.parquet`` holds draws from that normal approximation (equal weights).

A parameter is ``identified`` when its 90 % interval covers less than half of its range.
After the fit, ``replications`` runs at ``best`` (fresh seeds) give each target's simulated
mean; ``within_tolerance`` is :func:`~reformabm.calibration.targets.within` (``d_k <= 1``:
``|simulated - observed| <= tolerance``, or one-sided ``simulated >= observed - tolerance`` /
``<= observed + tolerance``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reformabm.calibration import METRICS, CalibrationError, RunContext, government_staff
from reformabm.calibration.targets import ParamRange, TargetsFile, check_params, deviation, load_targets, within

__all__ = [
    "Problem", "CalibrationResult", "simulate", "calibrate", "problem_from_targets", "METHODS",
    "IDENTIFIED_SHARE",
]

METHODS = ("abc", "smm")
#: A parameter is identified when its 90 % interval covers less than this share of its range.
IDENTIFIED_SHARE = 0.5
_Z90 = 1.6448536269514722
#: SMM's first compass step and the Jacobian's step, in units of each range: equal, so that the
#: Jacobian's points around an unmoved best are the search's first batch (already stored).
_STEP = 0.15


# ---- the problem ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    """What is fitted: scenario and run length, targets, parameter ranges, replications, seed."""

    scenario: str
    days: int
    metrics: tuple[str, ...]
    observed: tuple[float, ...]
    tolerance: tuple[float, ...]
    params: tuple[ParamRange, ...]
    integer: tuple[bool, ...]
    replications: int = 2
    seed: int = 1
    overrides: dict[str, Any] = field(default_factory=dict)
    name: str = ""
    #: each target's kind (``"equal"``, ``"at_least"``, ``"at_most"``); empty: all ``"equal"``
    kinds: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        kinds = tuple(self.kinds) or ("equal",) * len(self.metrics)
        if len(kinds) != len(self.metrics):
            raise CalibrationError(f"{len(kinds)} target kinds for {len(self.metrics)} targets")
        object.__setattr__(self, "kinds", kinds)

    def deviations(self, sim: Any) -> np.ndarray:
        """Each target's deviation in tolerances (:func:`~reformabm.calibration.targets.deviation`)."""
        return np.asarray(deviation(np.asarray(sim, float), np.array(self.observed),
                                    np.array(self.tolerance), np.array(self.kinds)), float)

    @property
    def lo(self) -> np.ndarray:
        """Lower ends of the parameter ranges."""
        return np.array([p.lo for p in self.params])

    @property
    def hi(self) -> np.ndarray:
        """Upper ends of the parameter ranges."""
        return np.array([p.hi for p in self.params])

    @property
    def keys(self) -> list[str]:
        """Column-safe parameter names (used by pyabc and as DataFrame columns)."""
        return [p.key for p in self.params]

    def theta(self, values: Any) -> dict[str, float]:
        """Dotted-path overrides for parameter ``values`` (ints rounded for int parameters)."""
        out = {}
        for p, is_int, v in zip(self.params, self.integer, np.asarray(values, float), strict=True):
            out[p.path] = int(round(v)) if is_int else float(v)
        return out

    def fingerprint(self) -> str:
        """A hash of everything that changes the simulations (to refuse a mismatched resume)."""
        d = asdict(self)
        d.pop("name")
        if all(k == "equal" for k in self.kinds):
            d.pop("kinds")  # two-sided targets only: the fingerprint of before kinds existed
        return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _as_range(p: ParamRange | dict | str) -> ParamRange:
    """A parameter range from a ParamRange, a mapping (path, lo, hi) or ``"PATH=LO:HI"``."""
    from pydantic import ValidationError

    from reformabm.calibration.targets import parse_param

    if isinstance(p, ParamRange):
        return p
    if isinstance(p, str):
        return parse_param(p)
    try:
        return ParamRange(**p)
    except (TypeError, ValidationError) as exc:
        raise CalibrationError(f"parameter {p!r}: expected path, lo, hi with lo < hi ({exc})") from None


def problem_from_targets(targets: TargetsFile | str | Path, params: list[ParamRange] | None = None,
                         *, replications: int | None = None, seed: int | None = None,
                         days: int | None = None) -> Problem:
    """Build a :class:`Problem` from a targets file and parameter ranges.

    ``params`` (ParamRange, ``{"path", "lo", "hi"}`` or ``"PATH=LO:HI"`` items) replaces the
    file's ``[[param]]`` list; ``replications``, ``seed`` and
    ``days`` replace the file's values.

    Raises
    ------
    CalibrationError
        No parameters, a bad range, or bad numbers.
    """
    from reformabm.parameters import parameter_specs

    tf = targets if isinstance(targets, TargetsFile) else load_targets(targets)
    cal = tf.calibration
    params = [_as_range(p) for p in params or []]
    if params:
        params = check_params(params, cal.scenario)
    else:
        params = tf.param
    if not params:
        raise CalibrationError("no parameter to fit: give --param PATH=LO:HI (repeatable) or "
                               "[[param]] entries in the targets file")
    if replications is not None and replications < 1:
        raise CalibrationError(f"--replications {replications}: expected at least 1")
    if seed is not None and seed < 0:
        raise CalibrationError(f"--seed {seed}: expected at least 0")
    types = {s.path: s.type for s in parameter_specs()}
    name = tf.file.stem if tf.file is not None else cal.scenario
    return Problem(
        scenario=cal.scenario, days=days or cal.days, metrics=tuple(t.metric for t in tf.target),
        observed=tuple(t.value for t in tf.target), tolerance=tuple(t.tolerance for t in tf.target),
        kinds=tuple(t.kind for t in tf.target), params=tuple(params),
        integer=tuple(types.get(p.path) == "int" for p in params),
        replications=replications or cal.replications, seed=cal.seed if seed is None else seed,
        overrides=dict(cal.overrides), name=name,
    )


# ---- one simulation ---------------------------------------------------------------------------

def simulate(problem: Problem, values: Any, seed: int) -> list[float]:
    """Run the model once at parameter ``values`` with ``seed``; return the targets' metrics.

    Module-level and picklable: the unit of work of every backend. A metric that cannot be
    computed (no ledger case, say) is NaN.
    """
    from reformabm.model import ReformModel

    model = ReformModel(problem.scenario, rng=int(seed), days=problem.days,
                        overrides={**problem.overrides, **problem.theta(values)}, collect_daily=False)
    ctx = RunContext(government_staff(model.org), None)
    model.run()
    summary = model.summary()
    out = []
    for m in problem.metrics:
        v = METRICS[m](model, ctx) if m in METRICS else summary.get(m)
        out.append(math.nan if v is None else float(v))
    return out


def _particle_seeds(problem: Problem, values: Any) -> list[int]:
    """Replication seeds of an ABC particle, derived from the problem's seed and its values."""
    words = np.frombuffer(np.asarray(values, np.float64).tobytes(), np.uint32)
    ss = np.random.SeedSequence([problem.seed, *words.tolist()])
    return [int(x) for x in ss.generate_state(problem.replications, np.uint32)]


def _crn_seeds(problem: Problem, stream: int = 0) -> list[int]:
    """Common random numbers: the seeds every SMM evaluation uses (stream 1: the check runs)."""
    ss = np.random.SeedSequence([problem.seed, 15, stream])
    return [int(x) for x in ss.generate_state(problem.replications, np.uint32)]


def _distance(problem: Problem, sim: np.ndarray) -> float:
    """Largest deviation from the targets, in tolerances (inf when a metric is NaN)."""
    d = problem.deviations(sim)
    return float(np.max(d)) if np.all(np.isfinite(d)) else math.inf


# ---- results ------------------------------------------------------------------------------------

@dataclass
class CalibrationResult:
    """A finished (or budget-limited) calibration; written by :meth:`write`."""

    problem: Problem
    method: str
    runs: int
    samples: pd.DataFrame  # one column per parameter key, plus "weight"
    predictive: pd.DataFrame | None  # ABC: accepted particles' metrics, plus "weight"
    best: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    check: np.ndarray  # replications x metrics at best
    history: pd.DataFrame  # per generation / per evaluation progress
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def identified(self) -> list[bool]:
        """Whether each parameter's 90 % interval covers less than half its range."""
        width = (self.hi - self.lo) / (self.problem.hi - self.problem.lo)
        return [bool(np.isfinite(w) and w < IDENTIFIED_SHARE) for w in width]

    def target_rows(self) -> list[dict[str, Any]]:
        """Observed vs simulated per target (the report's ``targets``)."""
        p = self.problem
        sim = np.nanmean(self.check, axis=0)
        rows = []
        for k, m in enumerate(p.metrics):
            if self.predictive is not None and len(self.predictive):
                w = self.predictive["weight"].to_numpy()
                lo, hi = _wquantile(self.predictive[m].to_numpy(float), w, [0.05, 0.95])
            else:
                sd = float(np.nanstd(self.check[:, k], ddof=1)) if len(self.check) > 1 else 0.0
                half = _Z90 * sd / math.sqrt(len(self.check))
                lo, hi = sim[k] - half, sim[k] + half
            rows.append({"metric": m, "observed": p.observed[k], "tolerance": p.tolerance[k],
                         "kind": p.kinds[k], "simulated": float(sim[k]), "sim_lo": float(lo),
                         "sim_hi": float(hi),
                         "within_tolerance": within(sim[k], p.observed[k], p.tolerance[k], p.kinds[k])})
        return rows

    def report(self) -> dict[str, Any]:
        """The ``report.json`` mapping."""
        p = self.problem
        ident = self.identified()
        return {
            "scenario": p.scenario, "method": self.method, "runs": int(self.runs),
            "targets_file": p.name, "days": p.days, "replications": p.replications,
            "seed": p.seed, "seconds": round(self.seconds, 1),
            "params": {
                prm.path: {"best": float(self.best[i]), "lo": float(self.lo[i]),
                           "hi": float(self.hi[i]), "identified": ident[i],
                           "prior_lo": prm.lo, "prior_hi": prm.hi}
                for i, prm in enumerate(p.params)
            },
            "targets": self.target_rows(),
            "all_within_tolerance": all(r["within_tolerance"] for r in self.target_rows()),
            **self.extra,
        }

    def posterior_frame(self) -> pd.DataFrame:
        """``posterior.parquet``: one row per accepted sample, a column per parameter path."""
        df = self.samples.rename(columns={prm.key: prm.path for prm in self.problem.params})
        return df.reset_index(drop=True)

    def write(self, out: str | Path, *, figures: bool = True) -> Path:
        """Write ``report.json``, ``posterior.parquet`` and (``figures``) ``fit.png``/``posterior.png``."""
        from reformabm.outputs import json_ready

        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "report.json").write_text(json.dumps(json_ready(self.report()), indent=2,
                                                    ensure_ascii=False), encoding="utf-8")
        self.posterior_frame().to_parquet(out / "posterior.parquet", index=False)
        self.history.to_csv(out / "progress.csv", index=False)
        if figures:
            from reformabm.calibration.figures import fit_figure, posterior_figure

            fit_figure(self.report()).savefig(out / "fit.png", dpi=110)
            posterior_figure(self.posterior_frame(), self.report()).savefig(out / "posterior.png", dpi=110)
        return out


def _wquantile(x: np.ndarray, w: np.ndarray, qs: list[float]) -> list[float]:
    """Weighted quantiles (inverse of the weighted empirical CDF, midpoint rule)."""
    ok = np.isfinite(x) & np.isfinite(w)
    x, w = x[ok], w[ok]
    if not len(x) or w.sum() <= 0:
        return [math.nan for _ in qs]
    order = np.argsort(x)
    x, w = x[order], w[order] / w.sum()
    cdf = np.cumsum(w) - 0.5 * w
    return [float(np.interp(q, cdf, x)) for q in qs]


# ---- progress --------------------------------------------------------------------------------

class _Progress:
    """Progress lines on stderr: runs done of the budget, acceptance, epsilon or objective."""

    def __init__(self, budget: int, quiet: bool) -> None:
        self.budget = budget
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self.t0 = time.perf_counter()

    def __call__(self, runs: int, text: str, *, final: bool = True) -> None:
        if self.quiet:
            return
        frac = min(1.0, runs / self.budget) if self.budget else 1.0
        bar = "#" * int(20 * frac) + "-" * (20 - int(20 * frac))
        line = f"[{bar}] {runs}/{self.budget} runs  {text}  ({time.perf_counter() - self.t0:.0f} s)"
        if self.tty and not final:
            print("\r" + line, end="", file=sys.stderr, flush=True)
        else:
            print(("\r" if self.tty else "") + line, file=sys.stderr, flush=True)


# ---- the state directory ------------------------------------------------------------------------

def _claim(out: Path, problem: Problem, method: str, extra: dict[str, Any]) -> bool:
    """Record the calibration in ``out/calibration.json``; True when resuming the same one.

    Raises
    ------
    CalibrationError
        When ``out`` holds a different calibration.
    """
    out.mkdir(parents=True, exist_ok=True)
    state = out / "calibration.json"
    me = {"fingerprint": problem.fingerprint(), "method": method, **extra}
    if state.is_file():
        try:
            old = json.loads(state.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            old = {}
        if old != me:
            raise CalibrationError(
                f"--out {out}: the directory holds a different calibration (other targets, "
                f"parameters, method, replications, seed or population: {old}); use another "
                "--out, or delete it to start again")
        return True
    state.write_text(json.dumps(me, indent=2), encoding="utf-8")
    return False


# ---- ABC-SMC with pyabc -------------------------------------------------------------------------

class _AbcModel:
    """pyabc model: a particle's replication-averaged metrics (picklable)."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem

    def __call__(self, par: dict[str, float]) -> dict[str, float]:
        p = self.problem
        values = [float(par[k]) for k in p.keys]
        sims = np.array([simulate(p, values, s) for s in _particle_seeds(p, values)], float)
        with np.errstate(all="ignore"), contextlib.suppress(RuntimeWarning):
            means = np.nanmean(sims, axis=0) if np.isfinite(sims).any() else sims[0]
        return {m: float(v) for m, v in zip(p.metrics, means, strict=True)}


class _AbcDistance:
    """pyabc distance: the largest target deviation in tolerances (picklable)."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem

    def __call__(self, x: dict[str, float], x0: dict[str, float]) -> float:
        return _distance(self.problem, [x[m] for m in self.problem.metrics])


@contextlib.contextmanager
def _abc_sampler(backend: str, workers: int, scheduler: str | None) -> Iterator[tuple[Any, Executor]]:
    """A pyabc sampler for the backend, and an executor on the same workers (for the check runs)."""
    from pyabc.sampler import ConcurrentFutureSampler, DaskDistributedSampler, SingleCoreSampler

    from reformabm.experiments.design import SweepError
    from reformabm.experiments.executors import SequentialExecutor, dask_client, make_executor

    if backend == "sequential" or (backend == "local" and workers <= 1):
        yield SingleCoreSampler(check_max_eval=True), SequentialExecutor()
    elif backend == "local":
        # the sweeps' process pool (forkserver workers that exit with the driver), not pyabc's
        # fork()-based multicore samplers: forking a threaded parent can deadlock
        with make_executor("local", workers=workers) as ex:
            yield ConcurrentFutureSampler(cfuture_executor=ex, client_max_jobs=2 * workers), ex
    else:
        with contextlib.ExitStack() as stack:
            try:
                client = stack.enter_context(dask_client(workers, scheduler))
            except SweepError as exc:  # no Dask, or no scheduler: the same words, as a calibration error
                raise CalibrationError(str(exc)) from None
            yield DaskDistributedSampler(dask_client=client, batch_size=1), client.get_executor(pure=False)


def _population_size(budget_sims: int) -> int:
    """Particles per generation: about a tenth of the simulation budget, 10..200."""
    return int(min(200, max(10, budget_sims // 10)))


def _abc(problem: Problem, out: Path, budget: int, *, backend: str, workers: int,
         scheduler: str | None, population: int | None, progress: _Progress) -> CalibrationResult:
    import pyabc

    for name in ("ABC", "pyabc", "Sampler", "ABC.Sampler", "ABC.History", "Epsilon", "Distance",
                 "ABC.Distance", "ABC.Epsilon", "ABC.Predictor", "ABC.Transition", "ABC.Population"):
        logging.getLogger(name).setLevel(logging.WARNING)
    t0 = time.perf_counter()
    r = problem.replications
    budget_sims = max(1, budget // r)
    pop = population or _population_size(budget_sims)
    resuming = _claim(out, problem, "abc", {"population": pop})
    prior = pyabc.Distribution(**{prm.key: pyabc.RV("uniform", prm.lo, prm.hi - prm.lo)
                                  for prm in problem.params})
    observed = {m: float(v) for m, v in zip(problem.metrics, problem.observed, strict=True)}
    db = out / "abc.db"
    rows: list[dict[str, Any]] = []
    url = f"sqlite:///{db.resolve()}"
    if not resuming:
        db.unlink(missing_ok=True)
    with _abc_sampler(backend, workers, scheduler) as (sampler, executor):
        def smc() -> Any:
            return pyabc.ABCSMC(_AbcModel(problem), prior, _AbcDistance(problem),
                                population_size=pop, sampler=sampler)

        # One generation per run() on a freshly loaded ABCSMC: pyabc re-reads epsilon, the
        # transition kernel and the weights from the history, exactly as when resuming after
        # a kill (a second run() on the same object would restart epsilon from its first value).
        abc = smc()
        if db.is_file():
            try:
                abc.load(url, 1)
            except Exception as exc:  # noqa: BLE001 (a database killed before its first generation)
                raise CalibrationError(f"cannot resume from {db}: {exc}; delete --out {out} and "
                                       "start again") from None
        else:
            abc.new(url, observed)
        h = abc.history
        while h.total_nr_simulations < budget_sims:
            np.random.seed([problem.seed, h.max_t + 2])  # pyabc draws from numpy's global RNG
            abc.run(max_nr_populations=1, max_total_nr_simulations=budget_sims)
            pops = h.get_all_populations()
            last = pops.iloc[-1]
            eps = float(last["epsilon"])
            acc = float(last["particles"]) / max(1.0, float(last["samples"]))
            progress(int(h.total_nr_simulations * r),
                     f"generation {int(last['t'])}: acceptance {acc:.0%}, epsilon {eps:.3g}")
            if eps <= 1e-9:
                break
            abc = smc()
            abc.load(url, 1)
            h = abc.history
        pops = h.get_all_populations()
        for rec in pops.itertuples():
            if rec.t >= 0:
                rows.append({"generation": int(rec.t), "samples": int(rec.samples),
                             "runs": int(rec.samples) * r, "accepted": int(rec.particles),
                             "acceptance": float(rec.particles) / max(1, int(rec.samples)),
                             "epsilon": float(rec.epsilon)})
        df, w = h.get_distribution(m=0, t=h.max_t)
        ws, stats = h.get_weighted_sum_stats(t=h.max_t)
        runs = int(h.total_nr_simulations * r)
        samples = df[problem.keys].reset_index(drop=True).copy()
        samples["weight"] = np.asarray(w, float)
        best, lo, hi = [], [], []
        for k in problem.keys:
            q5, q50, q95 = _wquantile(samples[k].to_numpy(float), samples["weight"].to_numpy(), [0.05, 0.5, 0.95])
            lo.append(q5)
            best.append(q50)
            hi.append(q95)
        best_arr = np.array(best)
        # the check runs at best, on the workers (in parallel) rather than one by one in this process
        futures = [executor.submit(simulate, problem, best_arr, s) for s in _crn_seeds(problem, 1)]
        check = np.array([f.result() for f in futures], float)
    pred = pd.DataFrame([{m: s.get(m, math.nan) for m in problem.metrics} for s in stats])
    pred["weight"] = np.asarray(ws, float)
    runs += len(check)
    return CalibrationResult(problem, "abc", runs, samples, pred, best_arr, np.array(lo), np.array(hi),
                             check, pd.DataFrame(rows), time.perf_counter() - t0,
                             extra={"population": pop, "generations": int(len(rows)),
                                    "epsilon": rows[-1]["epsilon"] if rows else None})


# ---- SMM with scipy -----------------------------------------------------------------------------

class _SimStore:
    """Finished simulations in SQLite, keyed by parameter values and seed (resume = re-use)."""

    def __init__(self, path: Path) -> None:
        self.con = sqlite3.connect(path)
        self.con.execute("CREATE TABLE IF NOT EXISTS sims (key TEXT PRIMARY KEY, metrics TEXT)")
        self.con.commit()

    @staticmethod
    def key(values: np.ndarray, seed: int) -> str:
        return json.dumps([float(f"{v:.12g}") for v in values] + [int(seed)])

    def get(self, key: str) -> list[float] | None:
        row = self.con.execute("SELECT metrics FROM sims WHERE key = ?", (key,)).fetchone()
        return None if row is None else [math.nan if v is None else v for v in json.loads(row[0])]

    def put(self, key: str, metrics: list[float]) -> None:
        vals = [None if not math.isfinite(v) else v for v in metrics]
        self.con.execute("INSERT OR REPLACE INTO sims VALUES (?, ?)", (key, json.dumps(vals)))
        self.con.commit()

    def __len__(self) -> int:
        return int(self.con.execute("SELECT COUNT(*) FROM sims").fetchone()[0])

    def close(self) -> None:
        self.con.close()


class _Evaluator:
    """Replication-averaged moments at points in the unit cube, run on an executor, stored."""

    def __init__(self, problem: Problem, store: _SimStore, executor: Executor, progress: _Progress) -> None:
        self.p = problem
        self.store = store
        self.ex = executor
        self.progress = progress
        self.seeds = _crn_seeds(problem)
        self.runs = len(store)  # distinct simulations stored (this session and before)
        self.best = (math.inf, None)
        self.trace: list[dict[str, Any]] = []
        self.points_u: list[np.ndarray] = []  # evaluated points (unit cube) and their mean moments
        self.points_m: list[np.ndarray] = []
        self._pending: dict[str, Any] = {}  # run key -> Future, submitted and not yet stored

    def values(self, u: np.ndarray) -> np.ndarray:
        u = np.clip(np.asarray(u, float), 0.0, 1.0)
        return self.p.lo + u * (self.p.hi - self.p.lo)

    def submit(self, points: list[np.ndarray], seeds: list[int] | None = None) -> list[list[str]]:
        """Send the runs at ``points`` (with ``seeds``, default the CRN seeds) that are not stored yet.

        Returns each point's run keys, for :meth:`collect`; runs submitted by several calls
        before a :meth:`collect` go to the executor together.
        """
        seeds = self.seeds if seeds is None else seeds
        keys = []
        for u in points:
            v = self.values(u)
            ks = [self.store.key(v, s) for s in seeds]
            keys.append(ks)
            for k, s in zip(ks, seeds, strict=True):
                if k not in self._pending and self.store.get(k) is None:
                    self._pending[k] = self.ex.submit(simulate, self.p, v, s)
        return keys

    def collect(self, keys: list[list[str]]) -> list[np.ndarray]:
        """Store every submitted run as it finishes; per-replication metrics (R x K) at each point."""
        for k, fut in self._pending.items():
            self.store.put(k, fut.result())
        self._pending.clear()
        self.runs = len(self.store)
        return [np.array([self.store.get(k) for k in ks], float) for ks in keys]

    def sims(self, points: list[np.ndarray]) -> list[np.ndarray]:
        """Per-replication metrics (R x K) at each point; new runs go to the executor together."""
        return self.collect(self.submit(points))

    def objective(self, sims: np.ndarray) -> float:
        with np.errstate(all="ignore"):
            m = np.nanmean(sims, axis=0)
        z = self.p.deviations(m)
        return float(np.sum(z ** 2)) if np.all(np.isfinite(z)) else 1e12

    def batch(self, points: list[np.ndarray], stage: str) -> list[float]:
        out = []
        for u, s in zip(points, self.sims(points), strict=True):
            j = self.objective(s)
            out.append(j)
            with np.errstate(all="ignore"):
                self.points_u.append(np.clip(np.asarray(u, float), 0, 1))
                self.points_m.append(np.nanmean(s, axis=0))
            if j < self.best[0]:
                self.best = (j, np.clip(np.asarray(u, float), 0, 1))
            self.trace.append({"stage": stage, "runs": self.runs, "objective": j,
                               **dict(zip(self.p.keys, self.values(u), strict=True))})
        self.progress(self.runs, f"{stage}: objective {self.best[0]:.3g} (best)", final=False)
        return out


def _smm(problem: Problem, out: Path, budget: int, *, executor: Executor,
         progress: _Progress) -> CalibrationResult:
    from scipy.stats import qmc

    t0 = time.perf_counter()
    _claim(out, problem, "smm", {})
    store = _SimStore(out / "smm.db")
    ev = _Evaluator(problem, store, executor, progress)
    npar, r = len(problem.params), problem.replications
    evals = max(4, budget // r)
    n_design = max(2 * npar + 2, evals // 3)
    n_jac = 2 * npar
    n_local = max(0, evals - n_design - n_jac)
    try:
        design = qmc.LatinHypercube(d=npar, seed=problem.seed).random(n_design)
        ev.batch(list(design), "design")
        if n_local > 0:
            _pattern_search(ev, n_local)
        u_best = ev.best[1]
        around = [np.clip(u_best + sign * _STEP * np.eye(npar)[i], 0, 1) for sign in (1, -1) for i in range(npar)]
        check_keys = ev.submit([u_best], _crn_seeds(problem, 1))  # fresh seeds, run beside the Jacobian's
        ev.batch(around, "Jacobian")
        at_best = ev.sims([u_best])[0]
        check = ev.collect(check_keys)[0]
        progress(ev.runs, f"done: objective {ev.best[0]:.3g}")
    finally:
        store.close()
    jac = _local_jacobian(np.array(ev.points_u), np.array(ev.points_m), u_best, problem.hi - problem.lo)
    tol = np.array(problem.tolerance)
    with np.errstate(all="ignore"):
        s_cov = np.cov(at_best.T) if r > 1 else np.zeros((len(tol), len(tol)))
    sigma = np.diag(tol ** 2) + np.nan_to_num(np.atleast_2d(s_cov)) / r
    span = problem.hi - problem.lo
    best = ev.values(u_best)
    jac = np.nan_to_num(jac)
    with np.errstate(all="ignore"):
        met = problem.deviations(np.nanmean(at_best, axis=0)) == 0
    slack = np.array([k != "equal" for k in problem.kinds]) & met
    jac[slack] = 0.0  # a one-sided target met at best: moving the parameters a little does not change its fit
    cov, sd = _sandwich(jac, sigma, span)
    lo = np.maximum(problem.lo, best - _Z90 * sd)
    hi = np.minimum(problem.hi, best + _Z90 * sd)
    rng = np.random.default_rng(problem.seed)
    finite = np.isfinite(sd)
    cov_f = np.where(np.outer(finite, finite), cov, 0.0)
    draws = np.clip(rng.multivariate_normal(best, cov_f, 1000), problem.lo, problem.hi)
    for i in np.flatnonzero(~finite):  # not identified at all: the prior range
        draws[:, i] = rng.uniform(problem.lo[i], problem.hi[i], len(draws))
    samples = pd.DataFrame(draws, columns=problem.keys)
    samples["weight"] = 1.0 / len(samples)
    trace = pd.DataFrame(ev.trace)
    return CalibrationResult(problem, "smm", ev.runs, samples, None, best, lo, hi, np.asarray(check),
                             trace, time.perf_counter() - t0,
                             extra={"objective": float(ev.best[0]), "sd": [float(x) for x in sd],
                                    "jacobian": jac.tolist()})


def _sandwich(jac: np.ndarray, sigma: np.ndarray, span: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Covariance of the estimates, ``(Gᵀ Σ⁻¹ G + P₀)⁻¹``, and their standard deviations.

    ``P₀ = diag(12 / span²)`` is the precision of the uniform prior ranges (a Gaussian with the
    uniform's variance): it keeps the covariance finite in the directions the targets do not
    inform (fewer targets than parameters, or a parameter without effect), where the interval
    then spans about the whole range, so such a parameter comes out not identified.
    """
    info = jac.T @ np.linalg.pinv(sigma) @ jac + np.diag(12.0 / span ** 2)
    cov = np.linalg.inv((info + info.T) / 2)
    return cov, np.sqrt(np.clip(np.diag(cov), 0, None))


def _local_jacobian(us: np.ndarray, ms: np.ndarray, u0: np.ndarray, span: np.ndarray,
                    radius: float = 0.3) -> np.ndarray:
    """Moments' Jacobian (K x P, per parameter unit) by least squares over evaluated points near ``u0``.

    A regression over every point within ``radius`` of ``u0`` (at least the ``3P + 2`` nearest)
    averages out the simulation noise that common random numbers do not remove (a parameter
    change reshuffles the model's random stream). An unidentified parameter gets a slope near
    zero, hence a wide interval.
    """
    npar = len(u0)
    ok = np.all(np.isfinite(ms), axis=1)
    us, ms = us[ok], ms[ok]
    dist = np.max(np.abs(us - u0), axis=1)
    near = dist <= radius
    if near.sum() < 3 * npar + 2:
        near = np.zeros(len(us), bool)
        near[np.argsort(dist)[:3 * npar + 2]] = True
    x = np.column_stack([np.ones(int(near.sum())), (us[near] - u0) * span])
    coef, *_ = np.linalg.lstsq(x, ms[near], rcond=None)
    return coef[1:].T


def _pattern_search(ev: _Evaluator, evaluations: int, step: float = _STEP, min_step: float = 1e-3) -> None:
    """Compass search from the best point so far, one batch of ``2 P`` points per iteration.

    A generating-set search (Kolda, Lewis & Torczon 2003) in the unit cube: each iteration
    evaluates ``centre ± step`` along every axis *together* (``2 P`` points x ``replications``
    runs, so every worker is busy whatever the number of replications), moves to the best of
    them if it improves on the centre, else halves the step; it stops when the step falls
    below ``min_step`` or ``evaluations`` points are spent (the last batch is cut to fit).
    The path depends only on the objective values, so it is the same on every backend and
    worker count, and a resumed calibration retraces it from ``smm.db``.
    """
    npar = len(ev.p.params)
    centre, f_centre = ev.best[1], ev.best[0]
    left = evaluations
    while left > 0 and step >= min_step:
        batch: list[np.ndarray] = []
        for i in range(npar):
            for sign in (1.0, -1.0):
                u = np.clip(centre + sign * step * np.eye(npar)[i], 0.0, 1.0)
                if not np.array_equal(u, centre) and not any(np.array_equal(u, b) for b in batch):
                    batch.append(u)
        if not batch:
            break
        batch = batch[:left]
        left -= len(batch)
        f = ev.batch(batch, "pattern search")
        k = int(np.argmin(f))
        if f[k] < f_centre:
            centre, f_centre = batch[k], f[k]
        else:
            step /= 2


# ---- entry point ----------------------------------------------------------------------------------

def calibrate(
    targets: TargetsFile | str | Path | Problem, params: list[ParamRange] | None = None, *,
    method: str = "abc", budget: int = 200, out: str | Path = "runs/calibration",
    replications: int | None = None, workers: int | None = None, backend: str = "local",
    scheduler: str | None = None, seed: int | None = None, population: int | None = None,
    quiet: bool = True, figures: bool = True, progress: Callable[[int, str], None] | None = None,
) -> CalibrationResult:
    """Fit parameters to a targets file; write the results to ``out``; resume if it is there.

    Parameters
    ----------
    targets : TargetsFile, str, Path or Problem
        A targets file (shipped name such as ``"shiquan"`` or a path), or a built problem.
    params : list of ParamRange, optional
        Parameters and prior ranges (default: the targets file's ``[[param]]``).
    method : {"abc", "smm"}
        ABC-SMC (pyabc) or the simulated method of moments (scipy).
    budget : int
        Model runs to spend (simulations x replications; the last generation or the
        interval's Jacobian may exceed it a little).
    out : str or Path
        Directory for ``report.json``, ``posterior.parquet``, ``fit.png``, ``posterior.png`` and
        the resumable state (``abc.db`` or ``smm.db``).
    replications, seed : int, optional
        Replace the targets file's values.
    workers : int, optional
        Worker processes (default: this machine's cores).
    backend : {"local", "dask", "sequential"}
    scheduler : str, optional
        Dask scheduler address (dask backend).
    population : int, optional
        ABC particles per generation (default: about a tenth of the simulations, 10..200).
    quiet : bool
        No progress lines on stderr.

    Returns
    -------
    CalibrationResult
    """
    from reformabm.experiments.executors import BACKENDS, default_workers, make_executor, prestart_local

    if method not in METHODS:
        raise CalibrationError(f"--method {method!r}: expected one of {list(METHODS)}")
    if backend not in BACKENDS:
        raise CalibrationError(f"--backend {backend!r}: expected one of {list(BACKENDS)}")
    if budget < 1:
        raise CalibrationError(f"--budget {budget}: expected at least 1 run")
    if workers is not None and workers < 1:
        raise CalibrationError(f"--workers {workers}: expected at least 1")
    if population is not None and population < 2:
        raise CalibrationError(f"--population {population}: expected at least 2")
    if scheduler and backend != "dask":
        raise CalibrationError(f"--scheduler {scheduler}: only the dask backend takes a scheduler")
    n = 1 if backend == "sequential" else (workers or default_workers())
    if backend == "local" and n > 1:  # the workers' fork server imports while the inputs are read
        prestart_local(("reformabm.calibration.calibrate", "pyabc") if method == "abc"
                       else ("reformabm.calibration.calibrate",))
    problem = targets if isinstance(targets, Problem) else problem_from_targets(
        targets, params, replications=replications, seed=seed)
    out = Path(out)
    bar = _Progress(budget, quiet)
    if progress is not None:
        bar = progress  # type: ignore[assignment]
    if method == "abc":
        res = _abc(problem, out, budget, backend=backend, workers=n, scheduler=scheduler,
                   population=population, progress=bar)
    else:
        with make_executor(backend, workers=None if scheduler else n, scheduler=scheduler) as ex:
            res = _smm(problem, out, budget, executor=ex, progress=bar)
    res.write(out, figures=figures)
    return res
