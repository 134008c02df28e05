"""Parallel efficiency of `reformabm sweep` on the local backend (issue 8).

Runs a 200-run sweep (kaifeng_small by default, issue 8; `--sweep teaching` for issue 7's
200 teaching runs) with 1 worker and with 2 workers (fresh output directories) and reports:
wall time of each, the sum of single-run times recorded by the store, per-run overhead, and
parallel efficiency = (sum of run times) / (workers x wall).

    .venv/bin/python benchmarks/sweep_efficiency.py [--sweep kaifeng_small|teaching]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SWEEPS = {"kaifeng_small": HERE / "sweeps" / "kaifeng_small_200.toml",
          "teaching": HERE / "sweeps" / "teaching_200.toml"}
SWEEP = SWEEPS["kaifeng_small"]


def run(workers: int, out: Path) -> float:
    cmd = [str(Path(sys.executable).with_name("reformabm")), "sweep", str(SWEEP), "--out", str(out),
           "--workers", str(workers), "--quiet"]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - t0


def run_seconds(out: Path) -> float:
    from reformabm.experiments.store import load_runs

    runs = load_runs(out)
    for col in ("wall_time", "wall_s", "run_s"):
        if col in runs.columns:
            return float(runs[col].sum())
    raise SystemExit(f"no per-run time column in the store: {list(runs.columns)}")


def main() -> None:
    global SWEEP
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sweep", choices=sorted(SWEEPS), default="kaifeng_small")
    SWEEP = SWEEPS[parser.parse_args().sweep]
    tmp = Path(tempfile.mkdtemp(prefix="sweep-eff-"))
    out = {}
    try:
        for w in (1, 2):
            d = tmp / f"w{w}"
            wall = run(w, d)
            busy = run_seconds(d)
            out[w] = {"wall_s": wall, "sum_run_s": busy, "efficiency": busy / (w * wall),
                      "overhead_per_run_ms": 1000 * (w * wall - busy) / 200}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{'workers':>7} {'wall s':>8} {'sum of runs s':>14} {'efficiency':>10} {'overhead/run ms':>16}")
    for w, r in out.items():
        print(f"{w:>7} {r['wall_s']:>8.1f} {r['sum_run_s']:>14.1f} {r['efficiency']:>10.1%} "
              f"{r['overhead_per_run_ms']:>16.1f}")
    env = {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    print(f"speed-up 1 -> 2 workers: {out[1]['wall_s'] / out[2]['wall_s']:.2f}x; environment {env}")
    (HERE / "out").mkdir(exist_ok=True)
    (HERE / "out" / f"sweep_efficiency_{SWEEP.stem}.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
