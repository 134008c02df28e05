"""Calibration throughput (issues 15 and 18): simulations per second of `calibrate` vs in-process runs.

    .venv/bin/python benchmarks/calibration_throughput.py            # SMM and ABC, 200 runs each
    .venv/bin/python benchmarks/calibration_throughput.py --teaching # + a 2,000-run teaching calibration
    .venv/bin/python benchmarks/calibration_throughput.py --only teaching

1. `calibrate(..., backend="local", workers=2)` of a teaching county (365-day runs, two
   parameters, one replication, synthetic targets) with SMM and with ABC-SMC, each from a
   cold process pool: runs and wall time, start-up included.
2. The in-process rate of **the same simulations**: after each calibration, a random sample of
   the runs it made is replayed one after another in this process. Every run's parameters are
   logged where it runs (a :class:`LoggedProblem`, whose ``theta`` appends them to a file per
   process); the seeds follow from them (SMM: ``smm.db`` holds each run's seed; ABC: a
   particle's seeds derive from its values). Replaying the calibration's own runs matters: a
   run's cost depends on its parameters (more issues, more work), and a search spends most of
   its runs where the fit is good.
3. Efficiency = calibration rate / (workers x in-process rate of its runs); target >= 85 %.
4. `--teaching`: a 2,000-run ABC calibration (a year per run, the same two parameters) of
   synthetic targets: the mean of 4 runs at known values (issues per person-year 0.25, formal
   closure propensity 0.3); target <= 10 minutes on this 2-core machine. The report says
   whether the intervals hold the known values.

Wall-clock figures: check `uptime` first; other processes on a 2-core machine distort them.
Figures go to ``benchmarks/out/calibration_throughput.json``.
"""

import argparse
import dataclasses
import json
import os
import sqlite3
import tempfile
import time
from pathlib import Path

import numpy as np

from reformabm.calibration.calibrate import Problem, _particle_seeds, calibrate, problem_from_targets, simulate

HERE = Path(__file__).resolve().parent
PARAMS = ["residents.issues_per_person_year=0.1:0.4", "accountability.formal_closure_propensity=0.05:0.6"]


TRUTH = [0.25, 0.3]


def _targets(d: Path, days: int, closure: float = 0.8, reopened: float = 0.3, name: str = "bench") -> Path:
    p = d / f"{name}.toml"
    p.write_text(f'[calibration]\nscenario = "teaching"\ndays = {days}\nreplications = 1\n'
                 f'[[target]]\nmetric = "closure_rate"\nvalue = {closure}\ntolerance = 0.02\nsource = "benchmark"\n'
                 f'[[target]]\nmetric = "reopened_rate"\nvalue = {reopened}\ntolerance = 0.05\n'
                 'source = "benchmark"\n', encoding="utf-8")
    return p


@dataclasses.dataclass(frozen=True)
class LoggedProblem(Problem):
    """A problem that logs every run's parameter values, in the process that runs it."""

    log_dir: str = ""

    def theta(self, values):  # noqa: D102 (Problem.theta, plus a log line)
        with open(Path(self.log_dir) / f"{os.getpid()}.jsonl", "a", encoding="utf-8") as f:
            f.write(json.dumps([float(v) for v in np.asarray(values, float)]) + "\n")
        return super().theta(values)


def logged(prob: Problem, log_dir: Path) -> LoggedProblem:
    log_dir.mkdir(parents=True, exist_ok=True)
    return LoggedProblem(**{f.name: getattr(prob, f.name) for f in dataclasses.fields(prob)}, log_dir=str(log_dir))


def _logged_values(log_dir: Path) -> list[list[float]]:
    return [json.loads(line) for f in sorted(log_dir.glob("*.jsonl")) for line in f.read_text().splitlines()]


def _smm_runs(out: Path) -> list[tuple[list[float], int]]:
    """Every simulation of an SMM calibration: (parameter values, seed), from ``smm.db``."""
    con = sqlite3.connect(out / "smm.db")
    keys = [json.loads(k) for (k,) in con.execute("SELECT key FROM sims ORDER BY rowid")]
    con.close()
    return [(k[:-1], int(k[-1])) for k in keys]


def _abc_runs(prob: Problem, log_dir: Path) -> list[tuple[list[float], int]]:
    """Every simulation of an ABC calibration: each logged particle with its replication seeds."""
    particles = {tuple(v) for v in _logged_values(log_dir)}
    return [(list(v), s) for v in sorted(particles) for s in _particle_seeds(prob, v)]


def _replay(prob, runs: list[tuple[list[float], int]]) -> float:
    """In-process runs per second of ``runs``, one after another."""
    t0 = time.perf_counter()
    for values, seed in runs:
        simulate(prob, values, seed)
    return len(runs) / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--runs", type=int, default=200, help="budget of each calibration (200)")
    ap.add_argument("--replay", type=int, default=60, help="runs replayed in-process per calibration (60)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--teaching", action="store_true", help="also the 2,000-run teaching calibration")
    ap.add_argument("--only", action="append", choices=("smm", "abc", "teaching"), help="only this case (repeatable)")
    a = ap.parse_args()
    cases = a.only or ["smm", "abc", *(["teaching"] if a.teaching else [])]
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    d = Path(tempfile.mkdtemp(prefix="reformabm_calbench_"))
    prob = problem_from_targets(_targets(d, a.days), PARAMS)
    simulate(prob, [0.2, 0.3], 0)  # warm-up of this process (imports, caches) for the replays
    rng = np.random.default_rng(7)
    results = {"meta": {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "nproc": os.cpu_count(),
                        "loadavg_at_start": os.getloadavg()[0], "days": a.days, "budget": a.runs,
                        "workers": a.workers}}
    for method in [c for c in cases if c != "teaching"]:
        log_dir = d / f"{method}_log"
        t0 = time.perf_counter()
        res = calibrate(logged(prob, log_dir), method=method, budget=a.runs, out=d / method, workers=a.workers,
                        backend="local", figures=False, population=max(10, a.runs // 5))
        wall = time.perf_counter() - t0
        rate = res.runs / wall
        runs = _smm_runs(d / method) if method == "smm" else _abc_runs(prob, log_dir)
        logged_n = len(_logged_values(log_dir))
        runs = [runs[i] for i in sorted(rng.choice(len(runs), size=min(a.replay, len(runs)), replace=False))]
        single = _replay(prob, runs)
        eff = rate / (a.workers * single)
        results[method] = {"runs": res.runs, "runs_logged": logged_n, "wall_s": wall, "rate": rate,
                           "replayed": len(runs), "in_process_rate": single, "efficiency": eff}
        print(f"{method}: {res.runs} runs ({logged_n} logged) in {wall:.1f} s = {rate:.2f} runs/s on {a.workers} "
              f"workers; the same runs in-process {single:.2f} runs/s ({len(runs)} replayed); efficiency {eff:.0%} "
              f"of {a.workers} x in-process (target >= 85 %)", flush=True)
    if "teaching" in cases:
        probe = problem_from_targets(_targets(d, 365), PARAMS)
        obs = np.mean([simulate(probe, TRUTH, s) for s in range(901, 905)], axis=0)
        tf = _targets(d, 365, *[round(float(x), 4) for x in obs], name="teaching")
        t0 = time.perf_counter()
        res = calibrate(tf, PARAMS, method="abc", budget=2000, out=d / "teaching", workers=a.workers,
                        backend="local", quiet=False)
        wall = time.perf_counter() - t0
        rep = res.report()
        held = {p: bool(v["lo"] <= t <= v["hi"]) for (p, v), t in zip(rep["params"].items(), TRUTH, strict=True)}
        results["teaching"] = {"runs": res.runs, "wall_s": wall, "generations": res.extra.get("generations"),
                               "epsilon": res.extra.get("epsilon"), "targets": [float(x) for x in obs],
                               "params": rep["params"], "truth_in_interval": held,
                               "all_within_tolerance": rep["all_within_tolerance"]}
        print(f"teaching calibration: {res.runs} runs of 365 days in {wall / 60:.1f} min (target <= 10 min); "
              f"{res.extra.get('generations')} generations, final epsilon {res.extra.get('epsilon'):.3g}; "
              f"targets within tolerance: {rep['all_within_tolerance']}")
        for (path, v), t in zip(rep["params"].items(), TRUTH, strict=True):
            print(f"  {path}: best {v['best']:.3f}, 90 % {v['lo']:.3f}-{v['hi']:.3f} (truth {t}), "
                  f"identified {v['identified']}")
    results["meta"]["loadavg_at_end"] = os.getloadavg()[0]
    (HERE / "out").mkdir(exist_ok=True)
    f = HERE / "out" / "calibration_throughput.json"
    old = json.loads(f.read_text()) if f.exists() else {}
    f.write_text(json.dumps({**old, **results}, indent=2))


if __name__ == "__main__":
    main()
