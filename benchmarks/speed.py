"""Speed of reformabm against Mesa's Boltzmann wealth model, timed in the same run (issue 18).

Every figure is reported as a ratio to the yardstick measured in the same run, so that a busy
or slow machine moves both sides alike:

- **yardstick**: Mesa's Boltzmann wealth model (``mesa.examples``), 2,000 agents on a 45 x 45
  torus, ``agents.shuffle_do("step")``, 100 steps after 5 warm-up steps: agent-steps per second.
  It is measured before and after each case (same process for in-process cases) and averaged.
- ``teaching`` (target 1): ``ReformModel("teaching", rng=1, days=365).run()`` in-process, after
  a warm-up run; median of 5. Figure: issues created per second of build+run. Also timed: the
  same year with ``collect_daily=False`` (summary only), the run a sweep without time series,
  a calibration or a twin makes.
- ``kaifeng`` (target 2): the whole process ``reformabm run kaifeng --out DIR --quiet`` under
  ``/usr/bin/time -v`` (imports, construction, the year and every output file): wall time,
  peak RSS, issues created per second of wall time.
- ``help``: wall time of ``reformabm --help`` (imports at start-up).
- ``sweep`` (target 3, opt-in: several minutes): ``reformabm sweep`` of 200 teaching years on 2
  local workers; efficiency = 200 x (in-process summary-only teaching year) / (2 x wall).
- ``peer`` (target 4, opt-in): the same 60 teaching years on 2 processes through
  ``reformabm sweep`` and through ``mesa.batch_run(..., data_collection_period=-1)``.

    .venv/bin/python benchmarks/speed.py                 # teaching, kaifeng, help
    .venv/bin/python benchmarks/speed.py --only teaching
    .venv/bin/python benchmarks/speed.py --only sweep --only peer

Figures go to ``benchmarks/out/speed.json``; RESULTS.md keeps the current ones.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out" / "speed.json"
BIN = Path(sys.executable).with_name("reformabm")
GROUPS = ("teaching", "kaifeng", "help", "sweep", "peer")
DEFAULT = ("teaching", "kaifeng", "help")
TARGETS = {"teaching_ratio": 0.6, "kaifeng_ratio": 2.5, "kaifeng_rss_mib": 400, "sweep_efficiency": 0.85,
           "peer_time_ratio": 1.0}


def boltzmann(steps: int = 100) -> float:
    """Agent-steps per second of Mesa's Boltzmann wealth model (``shuffle_do`` only)."""
    from mesa.examples.basic.boltzmann_wealth_model.model import BoltzmannScenario, BoltzmannWealth

    model = BoltzmannWealth(BoltzmannScenario(rng=42, n=2000, width=45, height=45))
    for _ in range(5):
        model.agents.shuffle_do("step")
    t0 = time.perf_counter()
    for _ in range(steps):
        model.agents.shuffle_do("step")
    return 2000 * steps / (time.perf_counter() - t0)


def boltzmann_subprocess() -> float:
    code = f"import sys; sys.path.insert(0, {str(HERE)!r}); import speed; print(speed.boltzmann())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def teaching_year(repeat: int = 5) -> dict[str, Any]:
    """In-process teaching years with the yardstick before and after."""
    from reformabm import ReformModel

    ReformModel("teaching", rng=1, days=5).run()  # warm imports and caches
    y0 = boltzmann()
    times, issues = [], 0
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        m = ReformModel("teaching", rng=1, days=365).run()
        times.append((time.perf_counter() - t0, time.process_time() - c0))
        issues = len(m.issues)
    quiet = []  # the runs a sweep without time series, a calibration or a twin makes
    for _ in range(repeat):
        t0 = time.perf_counter()
        ReformModel("teaching", rng=1, days=365, collect_daily=False).run()
        quiet.append(time.perf_counter() - t0)
    y1 = boltzmann()
    wall = statistics.median(t for t, _ in times)
    summary_only = statistics.median(quiet)
    yard = (y0 + y1) / 2
    return {"seconds": wall, "cpu_s": statistics.median(c for _, c in times), "issues": issues,
            "issues_per_s": issues / wall, "yardstick": yard, "yardstick_before_after": [y0, y1],
            "ratio": issues / wall / yard, "seconds_summary_only": summary_only,
            "ratio_summary_only": issues / summary_only / yard}


def timed_process(cmd: list[str]) -> dict[str, float]:
    """Wall time and peak RSS of ``cmd`` under ``/usr/bin/time -v``."""
    t0 = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t0
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1)) / 1024
    user = float(re.search(r"User time \(seconds\): ([\d.]+)", proc.stderr).group(1))
    sys_ = float(re.search(r"System time \(seconds\): ([\d.]+)", proc.stderr).group(1))
    return {"wall_s": wall, "peak_rss_mib": rss, "cpu_s": user + sys_}


def kaifeng_process(extra: list[str] | None = None) -> dict[str, Any]:
    """The whole ``reformabm run kaifeng --out DIR`` process, with the yardstick around it."""
    tmp = Path(tempfile.mkdtemp(prefix="speed-kaifeng-"))
    try:
        y0 = boltzmann_subprocess()
        r = timed_process([str(BIN), "run", "kaifeng", "--out", str(tmp / "run"), "--quiet", *(extra or [])])
        y1 = boltzmann_subprocess()
        summary = json.loads((tmp / "run" / "summary.json").read_text())
        sizes = {p.name: p.stat().st_size for p in (tmp / "run").iterdir()}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    yard = (y0 + y1) / 2
    issues = summary["issues_created"]
    return {**r, "issues": issues, "issues_per_s": issues / r["wall_s"], "yardstick": yard,
            "yardstick_before_after": [y0, y1], "ratio": issues / r["wall_s"] / yard,
            "output_bytes": sizes}


def help_time(repeat: int = 3) -> dict[str, Any]:
    walls = [timed_process([str(BIN), "--help"])["wall_s"] for _ in range(repeat)]
    return {"wall_s": statistics.median(walls)}


def _sweep_file(tmp: Path, runs: int) -> Path:
    p = tmp / f"teaching_{runs}.toml"
    p.write_text(f"""[sweep]
name = "speed_teaching_{runs}"
scenario = "teaching"
days = 365
replications = {runs}
seed = 8

[design]
kind = "grid"

[levers.reforms.options]
none = []
""")
    return p


def sweep_efficiency(single_s: float, runs: int = 200, workers: int = 2) -> dict[str, Any]:
    """``reformabm sweep`` of ``runs`` teaching years on ``workers`` local workers."""
    tmp = Path(tempfile.mkdtemp(prefix="speed-sweep-"))
    try:
        f = _sweep_file(tmp, runs)
        r = timed_process([str(BIN), "sweep", str(f), "--out", str(tmp / "out"), "--workers", str(workers),
                           "--quiet"])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {**r, "runs": runs, "workers": workers, "single_run_s": single_s,
            "efficiency": runs * single_s / (workers * r["wall_s"])}


def _batch_run(runs: int) -> None:
    import mesa

    from reformabm import ReformModel

    mesa.batch_run(ReformModel, parameters={"scenario": "teaching"}, number_processes=2, max_steps=365,
                   data_collection_period=-1, display_progress=False, rng=list(range(1, runs + 1)))


def peer(runs: int = 60) -> dict[str, Any]:
    """The same ``runs`` teaching years on 2 processes: ``reformabm sweep`` vs ``mesa.batch_run``."""
    tmp = Path(tempfile.mkdtemp(prefix="speed-peer-"))
    try:
        f = _sweep_file(tmp, runs)
        ours = timed_process([str(BIN), "sweep", str(f), "--out", str(tmp / "out"), "--workers", "2", "--quiet"])
        code = (f"import sys; sys.path.insert(0, {str(HERE)!r}); import speed\n"
                f"if __name__ == '__main__': speed._batch_run({runs})")
        script = tmp / "batch.py"
        script.write_text(code)
        theirs = timed_process([sys.executable, str(script)])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {"runs": runs, "sweep_s": ours["wall_s"], "batch_run_s": theirs["wall_s"],
            "time_ratio": ours["wall_s"] / theirs["wall_s"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", choices=GROUPS, help="run only this group (repeatable)")
    parser.add_argument("--sweep-runs", type=int, default=200, help="teaching years in the sweep group (200)")
    parser.add_argument("--peer-runs", type=int, default=60, help="teaching years in the peer group (60)")
    args = parser.parse_args(argv)
    groups = args.only or list(DEFAULT)
    res: dict[str, Any] = json.loads(OUT.read_text()) if OUT.exists() else {}
    res["meta"] = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "nproc": os.cpu_count(),
                   "loadavg_at_start": os.getloadavg()[0], "groups": groups}
    say = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    if "teaching" in groups or "sweep" in groups:
        say("teaching year in-process ...")
        res["teaching"] = teaching_year()
        t = res["teaching"]
        print(f"teaching year: {t['seconds']:.3f} s, {t['issues']:,} issues, {t['issues_per_s']:,.0f} issues/s; "
              f"Boltzmann {t['yardstick']:,.0f} agent-steps/s; ratio {t['ratio']:.2f} "
              f"(target >= {TARGETS['teaching_ratio']}); summary only (collect_daily=False) "
              f"{t['seconds_summary_only']:.3f} s, ratio {t['ratio_summary_only']:.2f}")
    if "kaifeng" in groups:
        say("reformabm run kaifeng --out ... (whole process) ...")
        res["kaifeng"] = k = kaifeng_process()
        print(f"kaifeng process: {k['wall_s']:.2f} s wall, {k['peak_rss_mib']:.0f} MiB peak RSS, "
              f"{k['issues']:,} issues, {k['issues_per_s']:,.0f} issues/s; Boltzmann {k['yardstick']:,.0f}; "
              f"ratio {k['ratio']:.2f} (target >= {TARGETS['kaifeng_ratio']}, <= {TARGETS['kaifeng_rss_mib']} MiB)")
    if "help" in groups:
        res["help"] = h = help_time()
        print(f"reformabm --help: {h['wall_s']:.2f} s")
    if "sweep" in groups:
        say(f"reformabm sweep, {args.sweep_runs} teaching years, 2 workers ...")
        # the sweep's runs keep no time series: compare with the same summary-only runs in-process
        res["sweep"] = s = sweep_efficiency(res["teaching"]["seconds_summary_only"], runs=args.sweep_runs)
        print(f"sweep {s['runs']} teaching years on 2 workers: {s['wall_s']:.1f} s wall; in-process year "
              f"{s['single_run_s']:.3f} s; efficiency {s['efficiency']:.1%} (target >= 85 %)")
    if "peer" in groups:
        say(f"{args.peer_runs} teaching years: reformabm sweep vs mesa.batch_run, 2 processes ...")
        res["peer"] = p = peer(args.peer_runs)
        print(f"{p['runs']} teaching years, 2 processes: sweep {p['sweep_s']:.1f} s, "
              f"batch_run {p['batch_run_s']:.1f} s; "
              f"ratio {p['time_ratio']:.2f} (target <= 1.0)")
    res["meta"]["loadavg_at_end"] = os.getloadavg()[0]
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
