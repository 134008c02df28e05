"""The ``reformabm`` command: run scenarios, list scenarios and parameters.

Bad input (a scenario file, a ``--set``, an argument) exits with status 2 and a one-paragraph
message on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

from reformabm.errors import ReformabmError
from reformabm.i18n import LANGS

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # exit 2 with a clear message (argparse's default)
        self.print_usage(sys.stderr)
        self.exit(2, f"reformabm: error: {message}\n")


def parse_sets(items: list[str]) -> dict[str, Any]:
    """Parse ``--set path=value`` items into dotted-path overrides (values as TOML literals)."""
    from reformabm.errors import OverrideError
    from reformabm.parameters import resolve_parameter
    from reformabm.scenario import _coerce

    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise OverrideError(f"--set `{item}`: expected dotted.path=value, e.g. centre.authority=0.8")
        key, _, raw = item.partition("=")
        key = key.strip()
        if not key:
            raise OverrideError(f"--set `{item}`: the path before '=' is empty")
        out[resolve_parameter(key)] = _coerce(raw.strip())
    return out


def _fmt(v: Any) -> str:  # bounds in `reformabm params`
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


def print_summary(summary: dict[str, Any], wall: float, file=None, lang: str = "en",
                  reforms: list[dict[str, Any]] | tuple = ()) -> None:
    """Print the readable summary table of a run (to ``file``, default: the current stdout)."""
    from reformabm.terminal import summary_lines

    print("\n".join(summary_lines(summary, wall, lang, reforms)), file=file or sys.stdout)


def cmd_run(args: argparse.Namespace) -> int:
    """``reformabm run``."""
    from reformabm.model import ReformModel
    from reformabm.outputs import write_run

    overrides = parse_sets(args.set or [])
    t0 = time.perf_counter()
    model = ReformModel(args.scenario, rng=args.seed_value(), days=args.days, overrides=overrides,
                        reforms=args.reform or [])
    if args.no_events:  # nobody will read the histories: do not keep them (counts stay)
        model.events.enabled = False
    show = not args.quiet and sys.stderr.isatty() and model.days * model.spec.residents.population > 5e7
    if show:
        from tqdm import tqdm

        with tqdm(total=model.days, unit="day", file=sys.stderr) as bar:
            while model.running:
                model.step()
                bar.update()
    else:
        while model.running:
            model.step()
    wall = time.perf_counter() - t0
    summary = model.summary()
    if args.out:
        write_run(model, args.out, history=not args.no_events, graphml=not args.no_graphml, summary=summary)
    if not args.quiet:
        from reformabm.i18n import msg

        print_summary(summary, wall, lang=args.lang, reforms=model.reforms_applied)
        if args.out:
            files = ["summary.json", "timeseries.parquet", "issues.parquet"]
            files += [] if args.no_events or not model.events.enabled else ["events.parquet"]
            files += [] if args.no_graphml else ["org_graph.graphml"]
            sep = "、" if args.lang == "zh" else ", "
            print(msg("run.written", args.lang, out=args.out, files=sep.join(files)))
    return 0


def parse_seeds(text: str) -> list[int]:
    """``"1..30"`` or ``"1,2,5"`` into a list of seeds."""
    from reformabm.errors import ReformabmError

    try:
        if ".." in text:
            a, b = text.split("..", 1)
            seeds = list(range(int(a), int(b) + 1))
        else:
            seeds = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ReformabmError(f"--seeds `{text}`: expected A..B or a comma-separated list of integers") from None
    if not seeds or min(seeds) < 0:
        raise ReformabmError(f"--seeds `{text}`: expected at least one seed >= 0")
    return seeds


def cmd_compare(args: argparse.Namespace) -> int:
    """``reformabm compare``: counterfactual twins with paired effects and 95 % CIs."""
    from reformabm.compare import compare, effects_table, effects_text

    overrides = parse_sets(args.set or [])
    seeds = parse_seeds(args.seeds)
    result = compare(args.scenario, args.reform, seeds=seeds, days=args.days, overrides=overrides,
                     workers=args.workers, progress=None if not args.quiet else False)
    from reformabm.i18n import msg

    table = effects_table(result)
    print(msg("compare.head", args.lang, scenario=args.scenario, reform=" + ".join(args.reform), n=len(seeds),
              days=result.days))
    print(effects_text(table, relative=args.relative))
    if args.out:
        from reformabm.compare import write_comparison

        write_comparison(result, args.out, relative=args.relative)
        print(msg("compare.written", args.lang, out=args.out))
    return 0


def cmd_reforms(args: argparse.Namespace) -> int:
    """``reformabm reforms``."""
    import dataclasses

    from reformabm.reforms import REGISTRY
    from reformabm.reforms.plugins import load_entry_points

    load_entry_points()  # installed packages' reforms (entry-point group reformabm.reforms)
    for name, cls in sorted(REGISTRY.items()):
        params = ", ".join(f"{f.name}={f.default if f.default is not dataclasses.MISSING else f.default_factory()!r}"
                           for f in dataclasses.fields(cls))
        print(f"{name:<26} {cls.label_zh}  [{cls.seed_paper}]  {params}")
        print(f"    {(cls.__doc__ or '').strip().splitlines()[0]}")
    return 0


def cmd_scenarios(args: argparse.Namespace) -> int:
    """``reformabm scenarios``."""
    from reformabm.scenario import available_scenarios

    for name, desc in available_scenarios().items():
        print(f"{name:<16} {desc}")
    return 0


def cmd_params(args: argparse.Namespace) -> int:
    """``reformabm params [SCENARIO]``: every parameter; with a scenario, its value beside the default."""
    from reformabm.parameters import parameter_specs

    if args.scenario:
        from reformabm.i18n import msg
        from reformabm.parameters import scenario_values
        from reformabm.scenario import load_scenario
        from reformabm.terminal import table

        rows, differ = [], 0
        def short(v: Any) -> str:
            text = repr(v)
            return text if len(text) <= 40 else text[:37] + "..."

        for p, value in scenario_values(load_scenario(args.scenario)):
            if p.path in ("scenario.name", "scenario.description"):
                continue
            mark = "*" if value != p.default else ""
            differ += bool(mark)
            rows.append((mark, p.path, short(value), f"(default {short(p.default)})", p.unit))
        print(msg("params.scenario_head", args.lang, scenario=args.scenario, n=differ))
        print("\n".join(table(rows, "<<<<<", indent="")))
        return 0
    for p in parameter_specs():
        bounds = f"[{_fmt(p.lower)}, {_fmt(p.upper)}]" if p.lower is not None or p.upper is not None else ""
        print(f"{p.name:<36} {p.path:<34} default={p.default!r} {bounds} {p.unit}".rstrip())
        print(f"    {p.description} (source: {p.source})")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """``reformabm validate``: pattern-oriented validation against the seed papers."""
    from reformabm.calibration import format_table, load_patterns, run_patterns, select_patterns

    if args.list:
        for p in select_patterns(load_patterns(args.patterns), args.scenario, full=args.full):
            print(f"{p.id:<40} [{p.source}] {'fast' if p.fast else 'slow'}  {p.scenario}: {p.statement}")
        return 0
    from reformabm.terminal import run_reporter

    t0 = time.perf_counter()
    with run_reporter("validate", quiet=args.quiet, verbose=args.verbose) as say:
        df = run_patterns(args.scenario, full=args.full, seeds=args.seeds, workers=args.workers,
                          path=args.patterns, progress=say)
    from reformabm.i18n import msg

    print(format_table(df))
    failed = ~df["pass"].astype(bool)
    without = failed & df["holds"].astype(bool)
    print(msg("validate.tail", args.lang, passed=int((~failed).sum()), n=len(df), failed=int(failed.sum()),
              without=int(without.sum()), secs=time.perf_counter() - t0))
    if args.out:
        df.to_csv(args.out, index=False)
        print(msg("validate.written", args.lang, out=args.out))
    return 1 if failed.any() else 0


def cmd_ablate(args: argparse.Namespace) -> int:
    """``reformabm ablate``: each mechanism off and on over paired seeds (reformabm.ablation)."""
    from reformabm import ablation
    from reformabm.i18n import msg

    if args.list:
        print(ablation.list_text(ablation.select_mechanisms(args.names)))
        return 0
    from reformabm.terminal import run_reporter

    t0 = time.perf_counter()
    with run_reporter("ablate", quiet=args.quiet, verbose=args.verbose) as say:
        df = ablation.ablate(args.names, seeds=args.seeds, workers=args.workers, days=args.days,
                             progress=say)
    print(ablation.format_text(df))
    bad = df[~df["direction_ok"]]
    names = ", ".join(bad["mechanism"] + ":" + bad["metric"])
    failing = msg("ablate.failing", args.lang, names=names) if len(bad) else ""
    print(msg("ablate.tail", args.lang, ok=len(df) - len(bad), n=len(df), secs=time.perf_counter() - t0,
              failing=failing))
    if args.out:
        ablation.write_table(df, args.out)
        print(msg("ablate.written", args.lang, out=args.out))
    return 1 if len(bad) else 0


def _version_text() -> str:
    import platform
    from importlib.metadata import PackageNotFoundError, version

    from reformabm import __version__

    try:
        mesa = version("mesa")
    except PackageNotFoundError:
        mesa = "?"
    return f"reformabm {__version__} (Mesa {mesa}, Python {platform.python_version()})"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``reformabm`` command."""
    parser = _Parser(prog="reformabm", description="Agent-based model of local-government reform.")
    parser.add_argument("--version", action="version", version=_version_text())
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = sub.add_parser("run", help="run one scenario and write its outputs")
    run.add_argument("scenario", nargs="?", default="teaching",
                     help="scenario name in models/ or path to a .toml file (default: teaching)")
    run.add_argument("--days", type=int, default=None, help="days to simulate (default: the scenario's)")
    run.add_argument("--seed", type=int, default=None, help="random seed (default: the scenario's)")
    run.add_argument("--out", type=Path, default=None, help="directory for the outputs")
    run.add_argument("--set", action="append", metavar="PATH=VALUE",
                     help="override a scenario parameter, e.g. --set centre.authority=0.8 (repeatable)")
    run.add_argument("--reform", action="append", metavar="NAME[:K=V,...]@DAY",
                     help="schedule a reform, e.g. --reform remove_layer:layer=township@180 (repeatable)")
    run.add_argument("--no-events", action="store_true",
                     help="do not record or write events.parquet (each issue's history)")
    run.add_argument("--no-graphml", action="store_true", help="do not write org_graph.graphml")
    run.add_argument("--quiet", action="store_true", help="print nothing")
    run.set_defaults(func=cmd_run)
    cmp_ = sub.add_parser("compare", help="paired with/without-reform runs on common random numbers")
    cmp_.add_argument("scenario", help="scenario name or .toml path")
    cmp_.add_argument("--reform", action="append", required=True, metavar="NAME[:K=V,...]@DAY",
                      help="the reform schedule to evaluate (repeatable)")
    cmp_.add_argument("--seeds", default="1..10", help="seeds, e.g. 1..30 or 1,2,5 (default 1..10)")
    cmp_.add_argument("--days", type=int, default=None, help="days per run (default: the scenario's)")
    cmp_.add_argument("--set", action="append", metavar="PATH=VALUE", help="override a parameter (both arms)")
    cmp_.add_argument("--workers", type=int, default=1, help="parallel processes (default 1)")
    cmp_.add_argument("--out", type=Path, default=None, help="directory for effects.csv/.parquet and a figure")
    cmp_.add_argument("--quiet", action="store_true", help="no progress bar")
    cmp_.add_argument("--relative", action="store_true",
                      help="also show effects in %% of the baseline, where the baseline is away from zero and of one "
                           "sign (else the reason); default: effects in their own units")
    cmp_.set_defaults(func=cmd_compare)
    rf = sub.add_parser("reforms", help="list the reforms and their parameters")
    rf.set_defaults(func=cmd_reforms)
    sc = sub.add_parser("scenarios", help="list the shipped scenarios")
    sc.set_defaults(func=cmd_scenarios)
    pa = sub.add_parser("params", help="list every behavioural parameter with unit and source "
                        "(with SCENARIO: its values beside the defaults)")
    pa.add_argument("scenario", nargs="?", default=None,
                    help="show this scenario's own values, marked * where they differ from the default")
    pa.set_defaults(func=cmd_params)
    va = sub.add_parser("validate", help="check the seed papers' patterns against model output "
                        "(calibration/patterns.toml)")
    va.add_argument("scenario", nargs="?", default=None,
                    help="only the patterns about this case, scenario, paper (003) or pattern id")
    va.add_argument("--full", action="store_true", help="also run the slow full-scale patterns")
    va.add_argument("--seeds", type=int, default=None, metavar="N",
                    help="run every pattern over seeds 1..N")
    va.add_argument("--workers", type=int, default=1, help="parallel processes (default 1)")
    va.add_argument("--patterns", type=Path, default=None,
                    help="patterns file (default calibration/patterns.toml)")
    va.add_argument("--out", type=Path, default=None, help="write the table as CSV")
    va.add_argument("--list", action="store_true", help="list the selected patterns, do not run")
    va.add_argument("--verbose", action="store_true", help="report each run on stderr")
    va.add_argument("--quiet", action="store_true", help="no progress bar")
    va.set_defaults(func=cmd_validate)
    ab = sub.add_parser("ablate", help="switch each mechanism off and on over paired seeds; exit 1 "
                        "if one does not move its outcome in the papers' direction")
    ab.add_argument("names", nargs="*", metavar="NAME",
                    help="mechanisms, or a scenario or paper selecting its mechanisms (default: all)")
    ab.add_argument("--seeds", type=int, default=None, metavar="N",
                    help="paired seeds 1..N (default: each mechanism's own, 10)")
    ab.add_argument("--days", type=int, default=None, help="days per run (default: each mechanism's)")
    ab.add_argument("--workers", type=int, default=1, help="parallel processes (default 1)")
    ab.add_argument("--out", type=Path, default=None, help="directory for ablation.csv and ablation.md")
    ab.add_argument("--list", action="store_true", help="list the mechanisms, do not run")
    ab.add_argument("--verbose", action="store_true", help="report each run on stderr")
    ab.add_argument("--quiet", action="store_true", help="no progress bar")
    ab.set_defaults(func=cmd_ablate)
    from reformabm.experiments.cli import add_parsers

    add_parsers(sub)  # sweep, sensitivity
    from reformabm.calibration.cli import add_parsers as add_calibration_parsers

    add_calibration_parsers(sub)  # calibrate, ingest
    from reformabm.viz.launch import add_viz_arguments, cmd_viz

    vz = sub.add_parser("viz", help="open the browser visualisation (SolaraViz; needs the viz extra)")
    add_viz_arguments(vz)
    vz.set_defaults(func=cmd_viz)
    for p in sub.choices.values():  # every command that prints or draws speaks English or Chinese
        if not any("--lang" in a.option_strings for a in p._actions):
            p.add_argument("--lang", choices=LANGS, default=None,
                           help="language of the output: en or zh (default: from the locale, e.g. LANG=zh_CN.UTF-8)")
    parser.set_defaults(_subparsers=sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``reformabm`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    command = args._subparsers.choices[args.command]  # errors show the sub-command's usage
    if getattr(args, "days", None) is not None and args.days < 1:
        command.error(f"argument --days: {args.days} is not a positive number of days")
    if getattr(args, "seed", None) is not None and args.seed < 0:
        command.error(f"argument --seed: {args.seed} must be >= 0")
    from reformabm.i18n import msg, resolve_lang

    try:
        args.lang = resolve_lang(getattr(args, "lang", None))
    except ReformabmError as exc:
        command.error(str(exc))

    def seed_value() -> int:
        if args.seed is not None:
            return args.seed
        from reformabm.scenario import load_scenario

        return load_scenario(args.scenario).scenario.seed

    args.seed_value = seed_value
    try:
        return int(args.func(args) or 0)
    except ReformabmError as exc:
        print(msg("error", args.lang, message=exc), file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `reformabm params | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print(msg("interrupted", args.lang), file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
