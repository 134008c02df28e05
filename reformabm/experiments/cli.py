"""The ``reformabm sweep`` and ``reformabm sensitivity`` commands (wiring only).

Registered by :func:`reformabm.cli.build_parser` through :func:`add_parsers`; the work is in
:mod:`reformabm.experiments`. Errors are ``ReformabmError``s: ``reformabm.cli.main`` turns them
into exit status 2 and a one-paragraph message.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_parsers", "cmd_sweep", "cmd_sensitivity", "cmd_discover"]


def cmd_sweep(args: argparse.Namespace) -> int:
    """``reformabm sweep FILE --out DIR``."""
    from reformabm.experiments.executors import default_workers, make_executor, prestart_local

    if args.backend == "local" and not args.dry_run and args.slurm is None:
        prestart_local()  # the workers' fork server imports the model while the sweep file is read
    from reformabm.experiments.design import SweepError, load_sweep
    from reformabm.experiments.runner import SweepOptions, sweep
    from reformabm.experiments.shards import Shard

    shard = Shard.parse(args.shard) if args.shard is not None else None
    if shard is not None and args.slurm is not None:
        raise SweepError("--shard and --slurm: give one (--slurm writes the script whose array "
                         "tasks run --shard 1/N .. N/N)")
    design = load_sweep(args.file)
    if args.chunk_size is not None and args.chunk_size < 1:
        raise SweepError(f"--chunk-size {args.chunk_size}: expected at least 1")
    say = (lambda *a: None) if args.quiet else (lambda *a: print(*a, flush=True))
    if args.slurm is not None:
        return _write_slurm(args, design, say)
    workers = args.workers or (1 if args.backend == "sequential" else default_workers())
    where = f"scheduler {args.scheduler}" if args.scheduler else f"{workers} worker(s)"
    part = f"; shard {shard}: {len(shard.runs(design.n_runs))} of its runs" if shard else ""
    say(f"sweep {design.name}: {design.kind} design, {design.n_points} points x "
        f"{design.replications} replication(s) = {design.n_runs} runs of {design.days} days on "
        f"scenario '{design.scenario.scenario.name}'{part}; {args.backend} backend, {where}")
    if args.dry_run:
        return 0
    opts = SweepOptions(chunk_size=args.chunk_size or 0, retry_failed=args.retry_failed,
                        progress=not args.quiet and sys.stderr.isatty(), shard=shard)
    from reformabm.experiments.design import sweep_path

    text = sweep_path(args.file).read_text(encoding="utf-8")
    try:
        with make_executor(args.backend, workers=None if args.scheduler else workers,
                           scheduler=args.scheduler) as ex:
            report = sweep(design, args.out, ex, opts, sweep_text=text)
    except KeyboardInterrupt:
        print(f"reformabm: interrupted; finished chunks are stored in {args.out}/; run the same "
              "command again to resume", file=sys.stderr)
        return 130
    whose = f"shard {shard}'s " if shard else ""
    say(f"{report.stored} of {whose}{report.total} runs stored in {args.out}/ "
        f"({report.already} before, {report.done_now} now in {report.wall_time:.1f} s); "
        f"{report.failed_total} failed")
    if report.failed_total:
        say("  failed runs keep status 'failed' and their error in the runs table; rerun them "
            "with --retry-failed")
    say(f"  load them with: reformabm.experiments.load('{args.out}')")
    return 0


def _write_slurm(args: argparse.Namespace, design: Any, say: Any) -> int:
    """``--slurm N``: create the store (so array tasks start on it) and write its array script."""
    from reformabm.experiments.design import SweepError, sweep_path
    from reformabm.experiments.shards import slurm_script
    from reformabm.experiments.store import RunStore

    if args.slurm < 1:
        raise SweepError(f"--slurm {args.slurm}: expected at least 1 array task")
    if args.workers is not None and args.workers < 1:
        raise SweepError(f"--workers {args.workers}: expected at least 1")
    text = sweep_path(args.file).read_text(encoding="utf-8")
    RunStore.open(args.out, design, sweep_text=text).close()
    (args.out / "slurm").mkdir(exist_ok=True)
    script = slurm_script(args.file, args.out, args.slurm, name=design.name,
                          cpus=args.workers or 1)
    path = args.out / "slurm.sh"
    path.write_text(script, encoding="utf-8")
    path.chmod(0o755)
    per = -(-design.n_runs // args.slurm)
    say(f"sweep {design.name}: {design.n_runs} runs in {args.slurm} shards of at most {per}; "
        f"store created in {args.out}/")
    say(f"written {path}: edit its #SBATCH lines (partition, account, time), then: sbatch {path}")
    return 0


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """``reformabm sensitivity DIR``."""
    from reformabm.experiments.sensitivity import analyze, format_table, plot_indices

    table = analyze(args.dir, args.metric or None, method=args.method)
    a = table.attrs
    print(f"{a['method']} indices from {a['n_points']} points x {a['replications']} "
          f"replication(s) ({a['runs']} runs stored, {a['failed']} failed); outputs averaged "
          "over replications")
    print(format_table(table))
    if not args.no_plot and len(table):
        out = Path(args.dir) / f"sensitivity_{a['method']}.png"
        table.to_csv(out.with_suffix(".csv"), index=False)
        plot_indices(table, out)
        print(f"written {out} and {out.with_suffix('.csv')}")
    return 0


def cmd_discover(args: argparse.Namespace) -> int:
    """``reformabm discover DIR --metric M (--above X | --below X)``."""
    from reformabm.experiments.discovery import discover, write_discovery

    result = discover(args.dir, args.metric, above=args.above, below=args.below,
                      method=args.method, max_boxes=args.boxes, min_density=args.min_density,
                      mass_min=args.mass_min)
    print(f"{result.method}: {result.n_cases} of {result.n_runs} runs have {result.rule}")
    for j, box in enumerate(result.boxes, 1):
        print(f"box {j}: coverage {box['coverage']:.3f}, density {box['density']:.3f}, "
              f"{box['n']} runs")
        for lever, lim in box["limits"].items():
            shown = (" | ".join(lim) if isinstance(lim[0], str)
                     else f"[{lim[0]:.4g}, {lim[1]:.4g}]")
            print(f"  {lever}: {shown}")
    if not result.boxes:
        print(f"no box reaches density {args.min_density}; try a lower --min-density")
    out = args.out or (args.dir / "discovery")
    paths = write_discovery(result, out, lang=args.lang)
    print("written " + ", ".join(str(p) for p in paths))
    return 0


def add_parsers(sub: Any) -> None:
    """Register ``sweep``, ``sensitivity`` and ``discover`` on the ``reformabm`` subparsers."""
    sw = sub.add_parser("sweep", help="run (or resume) a parameter sweep from a sweep file")
    sw.add_argument("file", type=Path, help="sweep file (.toml), see docs/sweeps.md")
    sw.add_argument("--out", type=Path, required=True,
                    help="output directory (rerun with the same --out to resume)")
    sw.add_argument("--workers", type=int, default=None,
                    help="worker processes (default: this machine's cores)")
    sw.add_argument("--backend", choices=["local", "dask", "sequential"], default="local",
                    help="local process pool (default), Dask, or this process")
    sw.add_argument("--scheduler", metavar="ADDRESS", default=None,
                    help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (dask backend)")
    sw.add_argument("--chunk-size", type=int, default=None,
                    help="runs per task (default: from the sweep size and workers)")
    sw.add_argument("--retry-failed", action="store_true", help="rerun the runs stored as failed")
    sw.add_argument("--shard", metavar="I/N", default=None,
                    help="run only the I-th of N disjoint parts of the design (I in 1..N), next "
                         "to the other shards writing into the same --out (job arrays)")
    sw.add_argument("--slurm", metavar="N", type=int, default=None,
                    help="create the store and write DIR/slurm.sh, a SLURM job array of N "
                         "shards (--workers sets each task's cpus), instead of running")
    sw.add_argument("--dry-run", action="store_true",
                    help="validate the sweep file and print the design's size only")
    sw.add_argument("--quiet", action="store_true", help="print nothing but errors")
    sw.set_defaults(func=cmd_sweep)
    se = sub.add_parser("sensitivity", help="sensitivity indices of a sweep's results (SALib): "
                        "sobol, morris, delta, pawn, rbd_fast, dgsm")
    se.add_argument("dir", type=Path, help="a sweep's output directory")
    se.add_argument("--method", default=None,
                    help="sobol | morris | delta | pawn | rbd_fast | dgsm (default: the design's "
                         "own: sobol, morris, or dgsm for finite_diff); delta, pawn and rbd_fast "
                         "read lhs, random and sobol designs")
    se.add_argument("--metric", action="append", metavar="NAME",
                    help="summary metric to analyse (repeatable; 'all' for every one)")
    se.add_argument("--no-plot", action="store_true", help="do not write the bar chart and CSV")
    se.set_defaults(func=cmd_sensitivity)
    di = sub.add_parser("discover", help="scenario discovery: boxes of lever space where a metric "
                        "is above/below a threshold (EMA workbench's PRIM or CART)")
    di.add_argument("dir", type=Path, help="a sweep's output directory")
    di.add_argument("--metric", required=True, help="summary metric that defines the cases")
    side = di.add_mutually_exclusive_group(required=True)
    side.add_argument("--above", type=float, help="a case of interest: metric > X")
    side.add_argument("--below", type=float, help="a case of interest: metric < X")
    di.add_argument("--method", choices=["prim", "cart"], default="prim")
    di.add_argument("--out", type=Path, default=None,
                    help="where boxes.json and the plots go (default DIR/discovery)")
    di.add_argument("--boxes", type=int, default=2, help="boxes to find (default 2)")
    di.add_argument("--min-density", type=float, default=0.8,
                    help="smallest density of a box (default 0.8)")
    di.add_argument("--mass-min", type=float, default=0.05,
                    help="smallest share of the runs in a box (default 0.05)")
    di.add_argument("--lang", choices=["en", "zh"], default="en", help="plot labels 图表语言")
    di.set_defaults(func=cmd_discover)
