"""Per-run overhead of the sweep machinery (issue 7): a trivial model through `sweep`.

A run function that does nothing is swept 5,000 times, sequentially and on 2 local
workers; the time per run is what the machinery (design, seeds, chunks, executor, Parquet
store) costs on top of a model run. Target: <= 5 ms per run.

    .venv/bin/python benchmarks/sweep_overhead.py
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path


def trivial(scenario, days, run, every=0, columns=None):
    """A stand-in for a model run: returns two numbers at once."""
    return {"x": float(run.seed % 7), "y": 1.0}, None


def main() -> None:
    from reformabm.experiments import SweepOptions, make_executor, parse_sweep, sweep

    data = {"sweep": {"name": "overhead", "scenario": "teaching", "days": 20, "replications": 10, "seed": 1},
            "design": {"kind": "random", "size": 500},
            "levers": {"centre.authority": {"range": [0.1, 0.9]}}}
    design = parse_sweep(data)
    n = design.n_runs
    tmp = Path(tempfile.mkdtemp(prefix="sweep-overhead-"))
    try:
        t = time.perf_counter()
        for _ in range(n):
            trivial(None, 20, type("R", (), {"seed": 1})())
        loop = time.perf_counter() - t
        print(f"plain loop: {n} trivial runs in {loop:.3f} s")
        for backend, workers in (("sequential", 1), ("local", 2)):
            with make_executor(backend, workers=workers) as ex:
                t = time.perf_counter()
                sweep(design, tmp / backend, ex, SweepOptions(run_fn=trivial, progress=False))
                el = time.perf_counter() - t
            print(f"{backend:>10}, {workers} worker(s): {n} trivial runs in {el:.2f} s -> "
                  f"{1000 * (el - loop) / n:.2f} ms per run of sweep overhead")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
