"""Counterfactual twins (反事实对照): each seed run with and without a reform schedule.

Both arms of a pair use the same seed, so until the reform's day they are identical (common
random numbers); the paired difference of every summary metric is then averaged over seeds
with a 95 % confidence interval from Student's t. This is the figure a scholar cites.
"""

from __future__ import annotations

import contextlib
import math
from concurrent.futures import Executor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from reformabm.errors import OutputError

__all__ = ["Comparison", "compare", "effects_table", "write_comparison", "run_pair"]

#: Metrics shown by default (all numeric summary metrics are kept in the tables).
HEADLINE = [
    "closure_rate", "on_time_rate", "days_to_close_mean", "coordination_dependence", "pushback_rate",
    "misdispatch_rate", "formal_closure_share", "satisfaction", "involution_index",
    "utilisation_department", "utilisation_centre", "staff_total", "n_layers", "span_of_control_max",
]


@dataclass
class Comparison:
    """Paired runs: one row per (seed, arm) with the summary metrics."""

    scenario: str
    reforms: list[str]
    days: int
    runs: pd.DataFrame


def run_pair(scenario: str, reforms: list[str], seed: int, days: int | None,
             overrides: dict[str, Any]) -> list[dict[str, Any]]:
    """Run one seed without and with ``reforms``; return both summaries (module-level: picklable)."""
    from reformabm.model import ReformModel

    rows = []
    for arm, schedule in (("baseline", []), ("reform", reforms)):
        m = ReformModel(scenario, rng=seed, days=days, overrides=overrides, reforms=schedule).run()
        summary = {k: v for k, v in m.summary().items() if isinstance(v, (int, float)) or v is None}
        rows.append({"seed": seed, "arm": arm, "days": m.day, **summary})
    return rows


def compare(scenario: str, reforms: list[str], *, seeds: list[int], days: int | None = None,
            overrides: dict[str, Any] | None = None, workers: int = 1,
            executor: Executor | None = None, progress: bool | None = False) -> Comparison:
    """Run the paired twins for every seed (in parallel with ``workers`` processes or ``executor``).

    ``progress``: show a bar of the pairs done on stderr (None: when stderr is a terminal).
    """
    from reformabm.model import ReformModel
    from reformabm.terminal import progress as progress_bar

    overrides = overrides or {}
    probe = ReformModel(scenario, rng=seeds[0], days=days, overrides=overrides, reforms=reforms)
    rows: list[dict[str, Any]] = []
    with progress_bar(len(seeds), show=progress, unit="pair") as bar:
        if executor is None and workers <= 1:
            for seed in seeds:
                rows += run_pair(scenario, reforms, seed, days, overrides)
                bar.update()
        else:
            with contextlib.ExitStack() as stack:
                if executor is None:
                    from reformabm.experiments.executors import make_executor

                    executor = stack.enter_context(make_executor("local", workers=workers))
                futures = [executor.submit(run_pair, scenario, reforms, s, days, overrides) for s in seeds]
                for f in as_completed(futures):
                    rows += f.result()
                    bar.update()
    df = pd.DataFrame(rows).sort_values(["seed", "arm"]).reset_index(drop=True)
    return Comparison(scenario=probe.scenario_name, reforms=list(reforms), days=probe.days, runs=df)


def effects_table(result: Comparison, metrics: list[str] | None = None) -> pd.DataFrame:
    """Paired effect (reform - baseline) per metric: mean, 95 % CI, relative change, n."""
    runs = result.runs
    base = runs[runs.arm == "baseline"].set_index("seed")
    ref = runs[runs.arm == "reform"].set_index("seed")
    cols = metrics or [c for c in HEADLINE if c in runs.columns]
    out = []
    for c in cols:
        a = pd.to_numeric(base[c], errors="coerce")
        b = pd.to_numeric(ref[c], errors="coerce")
        d = (b - a).dropna()
        n = len(d)
        mean = float(d.mean()) if n else math.nan
        if n > 1:
            half = float(stats.t.ppf(0.975, n - 1) * d.std(ddof=1) / math.sqrt(n))
        else:
            half = math.nan
        bmean = float(a.mean()) if a.notna().any() else math.nan
        out.append({
            "metric": c, "baseline": bmean, "reform": float(b.mean()) if b.notna().any() else math.nan,
            "effect": mean, "ci_low": mean - half, "ci_high": mean + half,
            "relative": mean / bmean if bmean not in (0, math.nan) and not math.isnan(bmean) and bmean != 0
            else math.nan,
            "n": n,
        })
    return pd.DataFrame(out)


def write_comparison(result: Comparison, out: str | Path) -> Path:
    """Write effects.csv/.parquet, runs.parquet and a seaborn figure of the paired effects."""
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        table = effects_table(result)
        table.to_csv(out / "effects.csv", index=False)
        table.to_parquet(out / "effects.parquet", index=False)
        result.runs.to_parquet(out / "runs.parquet", index=False)
        _figure(result, table).savefig(out / "effects.png", dpi=120, bbox_inches="tight")
    except OSError as exc:
        raise OutputError(f"cannot write comparison to '{out}': {exc}") from None
    return out


def _figure(result: Comparison, table: pd.DataFrame):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    t = table.dropna(subset=["effect"]).copy()
    t["relative_pct"] = 100 * t["relative"]
    t["err"] = 100 * (t["ci_high"] - t["effect"]) / t["baseline"].abs().replace(0, np.nan)
    fig, ax = plt.subplots(figsize=(7, 0.4 * len(t) + 1.2))
    sns.barplot(data=t, y="metric", x="relative_pct", ax=ax, color="#4C72B0")
    ax.errorbar(t["relative_pct"], np.arange(len(t)), xerr=t["err"].fillna(0), fmt="none", ecolor="k", capsize=3)
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_xlabel("paired effect, % of baseline (95 % CI)")
    ax.set_ylabel("")
    ax.set_title(f"{result.scenario}: {' + '.join(result.reforms)} ({result.runs.seed.nunique()} seeds)")
    return fig
