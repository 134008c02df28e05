"""The full ablation (issue 14): every mechanism off and on over paired seeds, as a report.

Not a test: it runs every entry of ``reformabm.ablation.MECHANISMS`` at its scenario's shipped
defaults and its own run length over 10 paired seeds (common random numbers), prints the table
and writes ``benchmarks/out/ablation/ablation.csv`` and ``ablation.md``. It exits 1 when an
outcome does not move in the seed papers' direction (the same as ``reformabm ablate``).

    .venv/bin/python benchmarks/ablation_report.py                  # all, 10 seeds, 2 workers
    .venv/bin/python benchmarks/ablation_report.py --seeds 20 supervision formal_closure

About 190 distinct runs with 6 seeds (runs shared by several mechanisms, such as a scenario's
defaults, run once): ~6 minutes on 2 idle cores, 10 seeds ~10 minutes.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out" / "ablation"


def main(argv: list[str] | None = None) -> int:
    from reformabm.ablation import ablate, format_markdown, format_text, write_table

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help="mechanisms, scenarios or papers (default: all)")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    df = ablate(args.names or None, seeds=args.seeds, workers=args.workers,
                progress=lambda msg: print(msg, file=sys.stderr, flush=True))
    wall = time.perf_counter() - t0
    print(format_text(df))
    write_table(df, args.out)
    bad = df[~df["direction_ok"]]
    print(f"\n{len(df) - len(bad)} of {len(df)} outcomes in the papers' direction; {args.seeds} paired "
          f"seeds, {wall:.0f} s; table in {args.out}/ablation.md")
    for r in bad.itertuples():
        print(f"  NOT HOLDING: {r.mechanism} ({r.scenario}, {r.days} d): {r.metric} {r.direction}, "
              f"diff {r.diff:+.4g} [{r.ci_low:+.4g}, {r.ci_high:+.4g}]")
    (args.out / "ablation.md").write_text(format_markdown(df) + f"\n\n{args.seeds} paired seeds, "
                                          f"{wall:.0f} s wall.\n", encoding="utf-8")
    return 1 if len(bad) else 0


if __name__ == "__main__":
    sys.exit(main())
