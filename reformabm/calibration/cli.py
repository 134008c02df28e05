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

__all__ = ["add_parsers", "cmd_calibrate"]


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
