"""The ``reformabm calibrate`` and ``reformabm ingest`` commands (wiring only).

Registered by :func:`reformabm.cli.build_parser` through :func:`add_parsers`; the work is in
:mod:`reformabm.calibration.calibrate` and :mod:`reformabm.calibration.ingest`. Errors are
``ReformabmError``s: ``reformabm.cli.main`` turns them into exit status 2 and a message.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_parsers", "cmd_calibrate", "cmd_ingest"]


def _fmt(v: Any) -> str:
    return "n/a" if v is None or v != v else f"{v:.4g}"


def cmd_calibrate(args: argparse.Namespace) -> int:
    """``reformabm calibrate TARGETS --param PATH=LO:HI ...``."""
    from reformabm.calibration.calibrate import calibrate
    from reformabm.calibration.targets import parse_param

    params = [parse_param(p) for p in (args.param or [])]
    out = args.out or Path("runs") / f"calibration_{Path(str(args.targets)).stem}"
    try:
        res = calibrate(args.targets, params or None, method=args.method, budget=args.budget,
                        out=out, replications=args.replications, workers=args.workers,
                        backend=args.backend, scheduler=args.scheduler, seed=args.seed,
                        population=args.population, quiet=args.quiet)
    except KeyboardInterrupt:
        print(f"reformabm: interrupted; finished work is kept in {out}/; run the same command "
              "again to resume", file=sys.stderr)
        return 130
    if args.quiet:
        return 0
    rep = res.report()
    print(f"{rep['method']} on '{rep['scenario']}': {rep['runs']} runs in {rep['seconds']:.0f} s")
    print(f"{'parameter':<42} {'best':>9} {'90% lo':>9} {'90% hi':>9}  identified")
    for path, p in rep["params"].items():
        print(f"{path:<42} {_fmt(p['best']):>9} {_fmt(p['lo']):>9} {_fmt(p['hi']):>9}  "
              f"{'yes' if p['identified'] else 'no'}")
    print(f"{'target':<42} {'observed':>9} {'simulated':>9} {'tol':>9}  within")
    for t in rep["targets"]:
        print(f"{t['metric']:<42} {_fmt(t['observed']):>9} {_fmt(t['simulated']):>9} "
              f"{_fmt(t['tolerance']):>9}  {'yes' if t['within_tolerance'] else 'NO'}")
    print(f"written {out}/report.json, posterior.parquet, fit.png, posterior.png")
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    """``reformabm ingest LOG --out TARGETS``."""
    from reformabm.calibration.ingest import ingest, write_targets
    from reformabm.scenario import load_scenario

    population = args.population
    if population is None and args.scenario:
        population = load_scenario(args.scenario).residents.population
    res = ingest(args.log, args.columns, as_of=args.as_of, population=population)
    out = write_targets(res, args.out, scenario=args.scenario or "teaching", tolerance=args.tolerance,
                        metrics=args.metric)
    if not args.quiet:
        print(res.source)
        for line, why in res.rejected[:20]:
            print(f"  rejected: {'line' if str(args.log).endswith(('.csv', '.tsv', '.txt')) else 'row'} "
                  f"{line}: {why}", file=sys.stderr)
        if len(res.rejected) > 20:
            print(f"  ... {len(res.rejected) - 20} more rejected rows (listed in {out})", file=sys.stderr)
        print(f"written {out}; fit it with: reformabm calibrate {out} --param PATH=LO:HI")
    return 0


def add_parsers(sub: Any) -> None:
    """Register ``calibrate`` (and ``ingest``) on the ``reformabm`` subparsers."""
    ca = sub.add_parser("calibrate", help="fit parameters to a targets file (ABC-SMC or SMM)")
    ca.add_argument("targets", help="targets file (.toml) or a shipped name (shiquan, kaifeng, field)")
    ca.add_argument("--param", action="append", metavar="PATH=LO:HI",
                    help="parameter and prior range, e.g. leaders.attention_per_day=4:12 "
                         "(repeatable; default: the targets file's [[param]])")
    ca.add_argument("--method", choices=["abc", "smm"], default="abc",
                    help="abc: ABC-SMC with pyabc (default); smm: simulated method of moments")
    ca.add_argument("--budget", type=int, default=200, metavar="RUNS",
                    help="model runs to spend (default 200)")
    ca.add_argument("--replications", type=int, default=None, metavar="R",
                    help="seeds averaged per simulation (default: the targets file's)")
    ca.add_argument("--workers", type=int, default=None, help="worker processes (default: cores)")
    ca.add_argument("--backend", choices=["local", "dask", "sequential"], default="local",
                    help="local processes (default), Dask, or this process")
    ca.add_argument("--scheduler", metavar="ADDRESS", default=None,
                    help="Dask scheduler address (dask backend)")
    ca.add_argument("--population", type=int, default=None, metavar="N",
                    help="ABC particles per generation (default: budget/10, 10..200)")
    ca.add_argument("--out", type=Path, default=None,
                    help="output directory (rerun with the same --out to resume)")
    ca.add_argument("--seed", type=int, default=None, help="base seed (default: the targets file's)")
    ca.add_argument("--quiet", action="store_true", help="print nothing but errors")
    ca.set_defaults(func=cmd_calibrate)
    ig = sub.add_parser("ingest", help="turn a ticket log (12345 / grid platform) into a targets file")
    ig.add_argument("log", type=Path, help="ticket log: .csv (UTF-8 or GB18030) or .parquet, one row per ticket")
    ig.add_argument("--out", type=Path, required=True, help="targets file to write (.toml)")
    ig.add_argument("--columns", type=Path, default=None, metavar="MAP.toml",
                    help="column map (default: the model's issues.parquet columns); "
                         "calibration/examples/12345_columns.toml for a 12345 export")
    ig.add_argument("--scenario", default=None,
                    help="scenario the targets are for (also gives the population); default teaching")
    ig.add_argument("--population", type=float, default=None, help="residents served (issues per 1,000)")
    ig.add_argument("--as-of", type=float, default=None, metavar="DAY",
                    help="the log's end in days from its first ticket (default: its latest time)")
    ig.add_argument("--tolerance", action="append", metavar="X|METRIC=X",
                    help="absolute tolerance for every target, or for one (repeatable)")
    ig.add_argument("--metric", action="append", metavar="NAME", help="write only these targets (repeatable)")
    ig.add_argument("--quiet", action="store_true", help="print nothing but errors")
    ig.set_defaults(func=cmd_ingest)
