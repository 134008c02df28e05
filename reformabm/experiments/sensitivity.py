"""Global sensitivity analysis (敏感性分析) of a sweep's store with SALib.

A ``sobol`` design gives Sobol' indices (first-order ``S1`` and total ``ST``, each with a
confidence half-width, Saltelli 2002 / Jansen estimators as implemented in SALib); a
``morris`` design gives Morris elementary effects (``mu``, ``mu_star`` = mean absolute
effect, ``sigma`` = their spread, interactions or non-linearity, Campolongo et al. 2007).

Both are computed on the *unit* coordinates the design was drawn in (``u:<lever>`` of the
points table), so a categorical lever (the reform schedule) and a distribution's quantiles
take part like a range. An output is averaged over the replications of each point first
(the stochastic noise then shrinks with more replications); a metric that is missing at any
point (a failed run, an undefined rate) is skipped and listed in ``table.attrs["skipped"]``.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reformabm.experiments.design import SweepError, _salib
from reformabm.experiments.store import load_points, load_runs, read_manifest

__all__ = ["sobol_indices", "morris_indices", "analyze", "point_means", "plot_indices",
           "format_table", "DEFAULT_METRICS", "numeric_metrics"]

#: Metrics analysed when none are named (those present in the store).
DEFAULT_METRICS = [
    "closure_rate", "on_time_rate", "days_to_close_mean", "coordination_dependence",
    "pushback_rate", "misdispatch_rate", "formal_closure_share", "satisfaction",
    "involution_index", "utilisation_department", "utilisation_centre", "staff_total",
]
_NOT_METRICS = {"run_id", "point_id", "replication", "seed", "attempt", "wall_time", "days",
                "population", "people_per_agent"}


def sobol_indices(names: list[str], Y: np.ndarray, *, second_order: bool = False,
                  conf_level: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """First-order and total Sobol' indices of outputs ``Y`` from a Saltelli sample.

    Parameters
    ----------
    names : list of str
        The inputs, in the sample's column order.
    Y : array of shape (N * (k + 2),) or (N * (2k + 2),)
        Outputs in the order of the sample (``SALib.sample.sobol.sample``).
    second_order : bool
        Whether the sample was drawn for second-order indices.

    Returns
    -------
    pandas.DataFrame
        One row per input: ``lever``, ``S1``, ``S1_conf``, ``ST``, ``ST_conf``.
    """
    salib = _salib()
    problem = {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        res = salib.analyze.sobol.analyze(problem, np.asarray(Y, dtype=float),
                                          calc_second_order=second_order,
                                          conf_level=conf_level, seed=seed)
    return pd.DataFrame({"lever": list(names), "S1": res["S1"], "S1_conf": res["S1_conf"],
                         "ST": res["ST"], "ST_conf": res["ST_conf"]})


def morris_indices(names: list[str], X: np.ndarray, Y: np.ndarray, *, levels: int = 4,
                   conf_level: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Morris elementary-effect statistics of outputs ``Y`` at trajectory points ``X``.

    Parameters
    ----------
    names : list of str
    X : array of shape (r * (k + 1), k)
        The trajectories in unit coordinates (``SALib.sample.morris.sample`` on ``[0, 1]^k``).
    Y : array of shape (r * (k + 1),)
    levels : int
        The grid levels the trajectories were drawn on.

    Returns
    -------
    pandas.DataFrame
        One row per input: ``lever``, ``mu``, ``mu_star``, ``sigma``, ``mu_star_conf``
        (effects per unit of the normalised [0, 1] lever range).
    """
    salib = _salib()
    problem = {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        res = salib.analyze.morris.analyze(problem, np.asarray(X, dtype=float),
                                           np.asarray(Y, dtype=float), num_levels=levels,
                                           conf_level=conf_level, seed=seed)
    return pd.DataFrame({"lever": list(names), "mu": np.asarray(res["mu"], float),
                         "mu_star": np.asarray(res["mu_star"], float),
                         "sigma": np.asarray(res["sigma"], float),
                         "mu_star_conf": np.asarray(res["mu_star_conf"], float)})


def numeric_metrics(runs: pd.DataFrame) -> list[str]:
    """Return the numeric summary-metric columns of a runs table."""
    return [c for c in runs.columns if c not in _NOT_METRICS
            and pd.api.types.is_numeric_dtype(runs[c]) and not pd.api.types.is_bool_dtype(runs[c])]


def point_means(runs: pd.DataFrame, metrics: list[str], n_points: int) -> pd.DataFrame:
    """Mean of each metric over the ``ok`` replications of each point (NaN where none)."""
    ok = runs[runs["status"] == "ok"]
    means = ok.groupby("point_id")[metrics].mean()
    return means.reindex(pd.RangeIndex(n_points, name="point_id"))


def analyze(out: str | Path, metrics: list[str] | None = None, *, conf_level: float = 0.95,
            seed: int = 0) -> pd.DataFrame:
    """Sensitivity indices of a ``sobol`` or ``morris`` sweep, per output metric.

    Parameters
    ----------
    out : str or Path
        The sweep's output directory.
    metrics : list of str, optional
        Summary metrics to analyse (default: :data:`DEFAULT_METRICS` present in the store;
        ``["all"]`` for every numeric metric).

    Returns
    -------
    pandas.DataFrame
        One row per (metric, lever): Sobol ``S1, S1_conf, ST, ST_conf`` or Morris ``mu,
        mu_star, sigma, mu_star_conf``. ``attrs`` holds ``method``, ``replications``,
        ``n_points`` and ``skipped`` ({metric: reason}).

    Raises
    ------
    SweepError
        If the store is not from a sobol or morris design, or a named metric is unknown.
    """
    manifest = read_manifest(out)
    design = manifest["design"]
    method = design["kind"]
    if method not in ("sobol", "morris"):
        raise SweepError(f"'{out}' holds a {method} design; Sobol and Morris indices need "
                         "[design] kind = \"sobol\" or \"morris\"")
    runs = load_runs(out)
    points = load_points(out)
    names = [lv["name"] for lv in design["levers"]]
    available = numeric_metrics(runs)
    if not metrics:
        metrics = [m for m in DEFAULT_METRICS if m in available]
    elif metrics == ["all"]:
        metrics = available
    unknown = [m for m in metrics if m not in available]
    if unknown:
        raise SweepError(f"--metric {unknown}: not a numeric summary metric of this sweep; "
                         f"expected one of {available}")
    Ymeans = point_means(runs, metrics, len(points))
    X = points[[f"u:{n}" for n in names]].to_numpy(float)
    tables, skipped = [], {}
    for m in metrics:
        y = Ymeans[m].to_numpy(float)
        missing = int(np.isnan(y).sum())
        if missing:
            skipped[m] = f"undefined at {missing} of {len(y)} points (failed runs or no data)"
            continue
        if method == "sobol":
            t = sobol_indices(names, y, second_order=design["second_order"],
                              conf_level=conf_level, seed=seed)
        else:
            t = morris_indices(names, X, y, levels=design["levels"], conf_level=conf_level,
                               seed=seed)
        t.insert(0, "metric", m)
        tables.append(t)
    table = (pd.concat(tables, ignore_index=True) if tables
             else pd.DataFrame(columns=["metric", "lever"]))
    table.attrs.update(method=method, replications=design["replications"], n_points=len(points),
                       skipped=skipped, runs=int(len(runs)),
                       failed=int((runs["status"] == "failed").sum()) if len(runs) else 0)
    return table


def plot_indices(table: pd.DataFrame, path: str | Path) -> Path:
    """Draw the indices as seaborn bars (ST or mu_star per lever, a panel per metric)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    method = table.attrs.get("method", "sobol")
    value, err = ("ST", "ST_conf") if method == "sobol" else ("mu_star", "mu_star_conf")
    metrics = list(dict.fromkeys(table["metric"]))
    ncol = min(3, max(1, len(metrics)))
    nrow = -(-len(metrics) // ncol) if metrics else 1
    levers = list(dict.fromkeys(table["lever"]))
    height = (0.35 * len(levers) + 1.4) * nrow
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.2 * ncol, height), squeeze=False)
    for ax, m in zip(axes.flat, metrics, strict=False):
        t = table[table["metric"] == m]
        sns.barplot(data=t, y="lever", x=value, ax=ax, color="#4C72B0", order=levers)
        ax.errorbar(t[value], np.arange(len(t)), xerr=t[err].fillna(0).abs(), fmt="none",
                    ecolor="k", capsize=2)
        ax.set_title(m, fontsize=9)
        ax.set_ylabel("")
        ax.set_xlabel({"ST": "total Sobol index ST", "mu_star": "Morris mu*"}[value])
    for ax in list(axes.flat)[len(metrics):]:
        ax.set_visible(False)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


def format_table(table: pd.DataFrame) -> str:
    """Format the indices as plain text, one block per metric."""
    lines: list[str] = []
    method = table.attrs.get("method", "")
    cols = ["S1", "S1_conf", "ST", "ST_conf"] if method == "sobol" else \
        ["mu_star", "mu_star_conf", "mu", "sigma"]
    width = max([len(str(x)) for x in table.get("lever", [])] + [5])
    for m, t in table.groupby("metric", sort=False):
        lines.append(f"{m}")
        lines.append(f"  {'lever':<{width}}  " + "  ".join(f"{c:>12}" for c in cols))
        order = t.sort_values(cols[2] if method == "sobol" else cols[0], ascending=False)
        for _, r in order.iterrows():
            vals = "  ".join(f"{_num(r[c]):>12}" for c in cols)
            lines.append(f"  {r['lever']:<{width}}  {vals}")
    for m, why in table.attrs.get("skipped", {}).items():
        lines.append(f"{m}: skipped, {why}")
    return "\n".join(lines)


def _num(v: Any) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    return "n/a" if np.isnan(f) else f"{f:.4g}"
