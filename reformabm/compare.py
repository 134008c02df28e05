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

import pandas as pd
from scipy import stats

from reformabm.errors import OutputError
from reformabm.labels import NOT_RELATIVE, unit_kind

__all__ = ["Comparison", "compare", "effects_table", "effects_text", "relative_reason", "write_comparison",
           "run_pair"]

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
        m = ReformModel(scenario, rng=seed, days=days, overrides=overrides, reforms=schedule,
                        collect_daily=False).run()
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


def relative_reason(metric: str, baseline: pd.Series) -> str:
    """Why a relative change of ``metric`` is not shown ("" when it is meaningful).

    A change in % of the baseline is shown only where the baseline is meaningfully away from
    zero and of one sign: every seed's baseline value of the same strict sign, and the mean at
    least two standard deviations (across seeds) from zero; never for :data:`NOT_RELATIVE`
    indices. Otherwise dividing by the baseline flips or blows up the sign and size of the
    effect (an index rising from -0.054 to +0.159 is not "-393 %").

    Examples
    --------
    >>> relative_reason("on_time_rate", pd.Series([0.8, 0.82, 0.79]))
    ''
    >>> relative_reason("x", pd.Series([-0.05, 0.01, -0.06]))
    'baseline changes sign across seeds'
    >>> relative_reason("involution_index", pd.Series([0.1, 0.2]))
    'an index near zero: absolute only'
    """
    if metric in NOT_RELATIVE:
        return "an index near zero: absolute only"
    b = pd.to_numeric(baseline, errors="coerce").dropna()
    if b.empty:
        return "no baseline value"
    if (b == 0).any():
        return "baseline is zero in some seeds"
    if not ((b > 0).all() or (b < 0).all()):
        return "baseline changes sign across seeds"
    if len(b) > 1 and abs(b.mean()) < 2 * b.std(ddof=1):
        return "baseline within 2 SD of zero"
    return ""


def effects_table(result: Comparison, metrics: list[str] | None = None) -> pd.DataFrame:
    """Paired effect (reform - baseline) per metric: mean, 95 % CI, relative change, n.

    Columns: ``metric``, ``unit`` (:func:`reformabm.labels.unit_kind`), ``baseline`` and
    ``reform`` (means over seeds), ``baseline_sd`` (across seeds), ``effect`` (mean paired
    difference, in the metric's own unit), ``ci_low``/``ci_high`` (95 %, Student's t),
    ``standardised`` (effect / baseline SD), ``relative`` (effect / abs(baseline mean), so its
    sign is always the effect's; null where :func:`relative_reason` gives a reason, in
    ``relative_note``), ``n`` (paired seeds).
    """
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
        bsd = float(a.std(ddof=1)) if a.notna().sum() > 1 else math.nan
        reason = relative_reason(c, a) if n else "no paired seeds"
        out.append({
            "metric": c, "unit": unit_kind(c), "baseline": bmean, "baseline_sd": bsd,
            "reform": float(b.mean()) if b.notna().any() else math.nan,
            "effect": mean, "ci_low": mean - half, "ci_high": mean + half,
            "standardised": mean / bsd if bsd and not math.isnan(bsd) else math.nan,
            "relative": math.nan if reason else mean / abs(bmean),
            "relative_note": reason,
            "n": n,
        })
    return pd.DataFrame(out)


def effects_text(table: pd.DataFrame, *, relative: bool = False) -> str:
    """The effects table as printed by ``reformabm compare`` (absolute; ``relative`` adds %)."""
    cols = ["metric", "unit", "baseline", "reform", "effect", "ci_low", "ci_high", "n"]
    t = table.copy()
    if relative:
        t["relative_%"] = 100 * t["relative"]
        cols += ["relative_%", "relative_note"]
    return t[cols].to_string(index=False, float_format=lambda x: f"{x:.4g}", na_rep="-")


def write_comparison(result: Comparison, out: str | Path, *, relative: bool = False) -> Path:
    """Write effects.csv/.parquet, runs.parquet and a figure of the paired effects (effects.png).

    The figure shows the effects in their own units with 95 % CIs, one panel per unit kind
    (``relative=False``), or in % of the baseline where that is meaningful (``relative=True``);
    metric names in English and Chinese when a CJK font is installed.
    """
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        table = effects_table(result)
        table.to_csv(out / "effects.csv", index=False)
        table.to_parquet(out / "effects.parquet", index=False)
        result.runs.to_parquet(out / "runs.parquet", index=False)
        _figure(result, table, relative).savefig(out / "effects.png", dpi=120, bbox_inches="tight")
    except OSError as exc:
        raise OutputError(f"cannot write comparison to '{out}': {exc}") from None
    return out


def _figure(result: Comparison, table: pd.DataFrame, relative: bool):
    from reformabm import plots
    from reformabm.fonts import find_cjk_font

    lang = "both" if find_cjk_font() else "en"
    n = result.runs.seed.nunique()
    title = f"{result.scenario}: {' + '.join(result.reforms)} ({n} seeds)"
    return plots.effects(table, lang=lang, relative=relative, title=title)
