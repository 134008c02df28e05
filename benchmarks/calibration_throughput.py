"""Calibration throughput (issue 15): simulations per second of `calibrate` vs in-process runs.

    .venv/bin/python benchmarks/calibration_throughput.py            # efficiency on 2 workers
    .venv/bin/python benchmarks/calibration_throughput.py --teaching # + a 2,000-run teaching calibration

1. The in-process single-run rate: N runs of `simulate` one after another in this process.
2. `calibrate(..., method="smm", backend="local", workers=2)` on the same runs: its rate over
   (2 x the single-run rate) is the parallel efficiency of calibration (target >= 85 %).
   The same for ABC-SMC (pyabc's ConcurrentFutureSampler on the sweeps' process pool).
3. `--teaching`: a 2,000-run ABC calibration of the teaching county (a year per run, two
   parameters, synthetic targets from a run at known values); target <= 10 minutes on 2 cores.

Wall-clock figures: check `uptime` first; other processes on a 2-core machine distort them.
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

from reformabm.calibration.calibrate import calibrate, problem_from_targets, simulate

PARAMS = ["residents.issues_per_person_year=0.1:0.4", "accountability.formal_closure_propensity=0.05:0.6"]


def _targets(d: Path, days: int) -> Path:
    p = d / "bench.toml"
    p.write_text(f'[calibration]\nscenario = "teaching"\ndays = {days}\nreplications = 1\n'
                 '[[target]]\nmetric = "closure_rate"\nvalue = 0.8\ntolerance = 0.02\nsource = "benchmark"\n'
                 '[[target]]\nmetric = "reopened_rate"\nvalue = 0.3\ntolerance = 0.05\nsource = "benchmark"\n',
                 encoding="utf-8")
    return p


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--runs", type=int, default=60)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--teaching", action="store_true")
    a = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    d = Path(tempfile.mkdtemp(prefix="reformabm_calbench_"))
    tf = _targets(d, a.days)
    prob = problem_from_targets(tf, PARAMS)
    simulate(prob, [0.2, 0.3], 0)  # warm-up (imports, caches)
    n1 = max(5, a.runs // 4)
    t0 = time.perf_counter()
    for s in range(n1):
        simulate(prob, [0.1 + 0.3 * s / n1, 0.3], s + 1)
    single = n1 / (time.perf_counter() - t0)
    print(f"in-process: {single:.2f} runs/s ({a.days}-day teaching runs)")
    for method in ("smm", "abc"):
        t0 = time.perf_counter()
        res = calibrate(prob, method=method, budget=a.runs, out=d / method, workers=a.workers,
                        backend="local", figures=False, population=max(10, a.runs // 5))
        wall = time.perf_counter() - t0
        rate = res.runs / wall
        print(f"{method}: {res.runs} runs in {wall:.1f} s = {rate:.2f} runs/s on {a.workers} workers; "
              f"efficiency {rate / (a.workers * single):.0%} of {a.workers} x in-process (target >= 85 %)")
    if a.teaching:
        tf = _targets(d, 365)
        t0 = time.perf_counter()
        res = calibrate(tf, PARAMS, method="abc", budget=2000, out=d / "teaching", workers=a.workers,
                        backend="local", quiet=False)
        wall = time.perf_counter() - t0
        print(f"teaching calibration: {res.runs} runs of 365 days in {wall / 60:.1f} min (target <= 10 min)")


if __name__ == "__main__":
    main()
