"""Global sensitivity analysis (敏感性分析) of a sweep's store with SALib.

Six of SALib's analyses, each on the design it needs:

=============  ==========================================  ==================================
method         indices (each with a confidence half-width)  design (``[design] kind``)
=============  ==========================================  ==================================
``sobol``      ``S1`` first order, ``ST`` total              ``sobol`` (Saltelli's scheme)
``morris``     ``mu_star`` mean absolute elementary effect,  ``morris`` (trajectories)
               ``mu``, ``sigma``
``delta``      ``delta`` moment-independent (Borgonovo       any sample: ``lhs``, ``random``,
               2007), ``S1`` first order                     ``sobol``
``pawn``       ``median`` of the KS distances between the    any sample: ``lhs``, ``random``,
               conditional and unconditional output CDFs     ``sobol``
               (Pianosi & Wagener 2015), ``mean``, ``min``,
               ``max``, ``CV``; the half-width by bootstrap
``rbd_fast``   ``S1`` first order (Tarantola et al. 2006)    any sample: ``lhs``, ``random``,
                                                             ``sobol``
``dgsm``       ``dgsm`` (an upper bound of ``ST``), ``vi``   ``finite_diff`` (base points and
               mean squared derivative (Sobol' &             one step per lever)
               Kucherenko 2009)
=============  ==========================================  ==================================

Asking a method of a store whose design it cannot use is a :class:`SweepError` naming the
design it needs. All are computed on the *unit* coordinates the design was drawn in
(``u:<lever>`` of the points table), so a categorical lever (the reform schedule) and a
distribution's quantiles take part like a range (DGSM's derivatives are meaningful for
continuous levers only). An output is averaged over the replications of each point first
(the stochastic noise then shrinks with more replications); a metric that is missing at any
point (a failed run, an undefined rate) is skipped and listed in ``table.attrs["skipped"]``.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reformabm.experiments.design import SweepError, _salib
from reformabm.experiments.store import load_points, load_runs, read_manifest

__all__ = ["sobol_indices", "morris_indices", "delta_indices", "pawn_indices",
           "rbd_fast_indices", "dgsm_indices", "analyze", "point_means", "plot_indices",
           "format_table", "DEFAULT_METRICS", "METHODS", "Method", "numeric_metrics"]

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
    with warnings.catch_warnings(), np.errstate(all="ignore"), _seeded(seed):
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
    with warnings.catch_warnings(), np.errstate(all="ignore"), _seeded(seed):
        warnings.simplefilter("ignore", RuntimeWarning)
        res = salib.analyze.morris.analyze(problem, np.asarray(X, dtype=float),
                                           np.asarray(Y, dtype=float), num_levels=levels,
                                           conf_level=conf_level, seed=seed)
    return pd.DataFrame({"lever": list(names), "mu": np.asarray(res["mu"], float),
                         "mu_star": np.asarray(res["mu_star"], float),
                         "sigma": np.asarray(res["sigma"], float),
                         "mu_star_conf": np.asarray(res["mu_star_conf"], float)})


def _problem(names: list[str]) -> dict[str, Any]:
    # SALib sees x0..xk (some analyses forbid names such as "..._conf"); rows keep the order
    k = len(names)
    return {"num_vars": k, "names": [f"x{j}" for j in range(k)], "bounds": [[0.0, 1.0]] * k}


@contextlib.contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Seed numpy's legacy global generator for one SALib analysis, and restore it afterwards.

    SALib's analyses seed that generator only ``if seed:``, so seed 0 (our default) would leave
    their bootstrap resamples unseeded: different indices from run to run.
    """
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def _quiet() -> Any:
    """Silence SALib's warnings and run BLAS on one thread.

    SALib's delta method makes thousands of tiny triangular solves (scipy's KDE); a BLAS that
    spreads each over all cores spends most of its time waiting for them (40x slower on two busy
    cores), so the analyses run with BLAS limited to one thread (threadpoolctl).
    """

    @contextlib.contextmanager
    def ctx() -> Any:
        fmt = warnings.formatwarning  # SALib's delta replaces it process-wide; put it back
        with contextlib.ExitStack() as stack:
            stack.callback(setattr, warnings, "formatwarning", fmt)
            # record=True: SALib's own simplefilter("once") cannot make its notices print
            stack.enter_context(warnings.catch_warnings(record=True))
            stack.enter_context(np.errstate(all="ignore"))
            warnings.simplefilter("ignore", RuntimeWarning)
            warnings.simplefilter("ignore", UserWarning)
            try:
                from threadpoolctl import threadpool_limits
            except ImportError:  # pragma: no cover (installed with the sa extra)
                pass
            else:
                stack.enter_context(threadpool_limits(limits=1, user_api="blas"))
            yield

    return ctx()


def delta_indices(names: list[str], X: np.ndarray, Y: np.ndarray, *, conf_level: float = 0.95,
                  seed: int = 0, num_resamples: int = 100) -> pd.DataFrame:
    """Borgonovo's moment-independent ``delta`` and first-order ``S1`` from any sample.

    Parameters
    ----------
    names : list of str
    X : array of shape (n, k)
        Inputs in unit coordinates, from any (random, Latin hypercube, Sobol') sample.
    Y : array of shape (n,)

    Returns
    -------
    pandas.DataFrame
        ``lever``, ``delta``, ``delta_conf``, ``S1``, ``S1_conf``.
    """
    salib = _salib()
    with _quiet(), _seeded(seed):
        res = salib.analyze.delta.analyze(_problem(names), np.asarray(X, float),
                                          np.asarray(Y, float), num_resamples=num_resamples,
                                          conf_level=conf_level, seed=seed or None)
    key = "delta" if "delta" in res else "delta_raw"  # SALib 1.5 / 1.6 (Borgonovo's estimator)
    return pd.DataFrame({"lever": list(names), "delta": res[key],
                         "delta_conf": res[f"{key}_conf"], "S1": res["S1"],
                         "S1_conf": res["S1_conf"]})


def pawn_indices(names: list[str], X: np.ndarray, Y: np.ndarray, *, slices: int = 10,
                 conf_level: float = 0.95, seed: int = 0, num_resamples: int = 50
                 ) -> pd.DataFrame:
    """PAWN indices (statistics of Kolmogorov-Smirnov distances) from any sample.

    SALib's PAWN gives no confidence interval; ``median_conf`` is the half-width of a normal
    bootstrap interval over ``num_resamples`` resamples of the points.

    Parameters
    ----------
    slices : int
        Conditioning intervals per lever (SALib's ``S``).

    Returns
    -------
    pandas.DataFrame
        ``lever``, ``median``, ``median_conf``, ``mean``, ``minimum``, ``maximum``, ``CV``.
    """
    from scipy.stats import norm

    salib = _salib()
    X, Y = np.asarray(X, float), np.asarray(Y, float)
    problem = _problem(names)
    with _quiet(), _seeded(seed):
        res = salib.analyze.pawn.analyze(problem, X, Y, S=slices, seed=seed or None)
        rng = np.random.default_rng(seed)
        boot = np.empty((num_resamples, len(names)))
        for b in range(num_resamples):
            i = rng.integers(0, len(Y), len(Y))
            boot[b] = salib.analyze.pawn.analyze(problem, X[i], Y[i], S=slices)["median"]
    conf = norm.ppf(0.5 + conf_level / 2) * np.nanstd(boot, axis=0, ddof=1)
    return pd.DataFrame({"lever": list(names), "median": np.asarray(res["median"], float),
                         "median_conf": conf, "mean": np.asarray(res["mean"], float),
                         "minimum": np.asarray(res["minimum"], float),
                         "maximum": np.asarray(res["maximum"], float),
                         "CV": np.asarray(res["CV"], float)})


def rbd_fast_indices(names: list[str], X: np.ndarray, Y: np.ndarray, *, harmonics: int = 10,
                     conf_level: float = 0.95, seed: int = 0, num_resamples: int = 100
                     ) -> pd.DataFrame:
    """RBD-FAST first-order indices ``S1`` from any sample (at least ``2 * harmonics + 1``).

    Returns
    -------
    pandas.DataFrame
        ``lever``, ``S1``, ``S1_conf``.
    """
    if len(Y) <= 2 * harmonics:
        raise SweepError(f"rbd_fast needs more than {2 * harmonics} points (it reads "
                         f"{harmonics} harmonics), the sweep has {len(Y)}: raise design.size")
    salib = _salib()
    with _quiet(), _seeded(seed):
        res = salib.analyze.rbd_fast.analyze(_problem(names), np.asarray(X, float),
                                             np.asarray(Y, float), M=harmonics,
                                             num_resamples=num_resamples,
                                             conf_level=conf_level, seed=seed)
    return pd.DataFrame({"lever": list(names), "S1": res["S1"], "S1_conf": res["S1_conf"]})


def dgsm_indices(names: list[str], X: np.ndarray, Y: np.ndarray, *, conf_level: float = 0.95,
                 seed: int = 0, num_resamples: int = 100) -> pd.DataFrame:
    """Derivative-based global sensitivity measures from a ``finite_diff`` design.

    Parameters
    ----------
    X : array of shape (N * (k + 1), k)
        Base points, each followed by its ``k`` one-lever steps
        (:func:`~reformabm.experiments.design.unit_sample` with ``"finite_diff"``).

    Returns
    -------
    pandas.DataFrame
        ``lever``, ``dgsm`` (``vi`` / (pi^2 Var Y): bounds the total Sobol' index from above),
        ``dgsm_conf``, ``vi`` (mean squared derivative per unit range), ``vi_std``.
    """
    salib = _salib()
    with _quiet(), _seeded(seed):
        res = salib.analyze.dgsm.analyze(_problem(names), np.asarray(X, float),
                                         np.asarray(Y, float), num_resamples=num_resamples,
                                         conf_level=conf_level, seed=seed or None)
    dgsm, vi = np.asarray(res["dgsm"], float), np.asarray(res["vi"], float)
    # SALib's dgsm_conf is the bootstrap half-width of vi; dgsm is vi times a constant
    with np.errstate(all="ignore"):
        conf = np.asarray(res["dgsm_conf"], float) * np.where(vi > 0, dgsm / vi, 0.0)
    return pd.DataFrame({"lever": list(names), "dgsm": dgsm, "dgsm_conf": conf, "vi": vi,
                         "vi_std": res["vi_std"]})


@dataclass(frozen=True)
class Method:
    """One sensitivity method: the designs it reads, its headline index, its label."""

    name: str
    designs: tuple[str, ...]
    value: str
    err: str
    label: str
    columns: tuple[str, ...]


#: The methods of :func:`analyze`, by name.
METHODS: dict[str, Method] = {m.name: m for m in (
    Method("sobol", ("sobol",), "ST", "ST_conf", "total Sobol index ST",
           ("S1", "S1_conf", "ST", "ST_conf")),
    Method("morris", ("morris",), "mu_star", "mu_star_conf", "Morris mu*",
           ("mu_star", "mu_star_conf", "mu", "sigma")),
    Method("delta", ("lhs", "random", "sobol"), "delta", "delta_conf",
           "Borgonovo delta", ("delta", "delta_conf", "S1", "S1_conf")),
    Method("pawn", ("lhs", "random", "sobol"), "median", "median_conf",
           "PAWN median KS distance", ("median", "median_conf", "mean", "maximum")),
    Method("rbd_fast", ("lhs", "random", "sobol"), "S1", "S1_conf",
           "RBD-FAST first-order S1", ("S1", "S1_conf")),
    Method("dgsm", ("finite_diff",), "dgsm", "dgsm_conf", "DGSM (an upper bound of ST)",
           ("dgsm", "dgsm_conf", "vi", "vi_std")),
)}
#: The method used when none is named, by design kind.
DEFAULT_METHOD = {"sobol": "sobol", "morris": "morris", "finite_diff": "dgsm"}


def _method_for(out: Any, design: dict[str, Any], method: str | None) -> Method:
    kind = design["kind"]
    if method is None:
        if kind not in DEFAULT_METHOD:
            raise SweepError(
                f"'{out}' holds a {kind} design, which has no default method: give --method "
                "delta, pawn or rbd_fast (they read any sample); Sobol and Morris indices need "
                "[design] kind = \"sobol\" or \"morris\"")
        method = DEFAULT_METHOD[kind]
    if method not in METHODS:
        raise SweepError(f"--method {method!r}: expected one of {list(METHODS)}")
    m = METHODS[method]
    if kind not in m.designs:
        need = " or ".join(f'kind = "{d}"' for d in m.designs)
        raise SweepError(f"--method {method} cannot read '{out}', which holds a {kind} design: "
                         f"{method} needs [design] {need}"
                         + ("" if method in ("sobol", "morris", "dgsm") else
                            f" (also try --method {DEFAULT_METHOD.get(kind, 'delta')})"))
    return m


def numeric_metrics(runs: pd.DataFrame) -> list[str]:
    """Return the numeric summary-metric columns of a runs table."""
    return [c for c in runs.columns if c not in _NOT_METRICS
            and pd.api.types.is_numeric_dtype(runs[c]) and not pd.api.types.is_bool_dtype(runs[c])]


def point_means(runs: pd.DataFrame, metrics: list[str], n_points: int) -> pd.DataFrame:
    """Mean of each metric over the ``ok`` replications of each point (NaN where none)."""
    ok = runs[runs["status"] == "ok"]
    means = ok.groupby("point_id")[metrics].mean()
    return means.reindex(pd.RangeIndex(n_points, name="point_id"))


def analyze(out: str | Path, metrics: list[str] | None = None, *, method: str | None = None,
            conf_level: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Sensitivity indices of a sweep, per output metric.

    Parameters
    ----------
    out : str or Path
        The sweep's output directory.
    metrics : list of str, optional
        Summary metrics to analyse (default: :data:`DEFAULT_METRICS` present in the store;
        ``["all"]`` for every numeric metric).
    method : str, optional
        One of :data:`METHODS` (default: the design's own, ``sobol``, ``morris`` or ``dgsm``).

    Returns
    -------
    pandas.DataFrame
        One row per (metric, lever) with the method's indices (see the module's table), e.g.
        Sobol ``S1, S1_conf, ST, ST_conf`` or Morris ``mu, mu_star, sigma, mu_star_conf``.
        ``attrs`` holds ``method``, ``replications``, ``n_points`` and ``skipped``
        ({metric: reason}).

    Raises
    ------
    SweepError
        If the method cannot read the store's design (the message names the design it needs),
        or a named metric is unknown.
    """
    manifest = read_manifest(out)
    design = manifest["design"]
    method = _method_for(out, design, method).name
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
        elif method == "morris":
            t = morris_indices(names, X, y, levels=design["levels"], conf_level=conf_level,
                               seed=seed)
        elif np.nanstd(y) == 0:
            skipped[m] = "constant over the design (no variance to apportion)"
            continue
        else:
            fn = {"delta": delta_indices, "pawn": pawn_indices, "rbd_fast": rbd_fast_indices,
                  "dgsm": dgsm_indices}[method]
            t = fn(names, X, y, conf_level=conf_level, seed=seed)
        t.insert(0, "metric", m)
        tables.append(t)
    table = (pd.concat(tables, ignore_index=True) if tables
             else pd.DataFrame(columns=["metric", "lever"]))
    table.attrs.update(method=method, replications=design["replications"], n_points=len(points),
                       skipped=skipped, runs=int(len(runs)),
                       failed=int((runs["status"] == "failed").sum()) if len(runs) else 0)
    return table


def plot_indices(table: pd.DataFrame, path: str | Path) -> Path:
    """Draw the method's headline index per lever as seaborn bars, a panel per metric.

    Error bars are the confidence half-widths. English labels (the command line's chart);
    :func:`reformabm.plots.sensitivity` draws every method in English or Chinese.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    m_ = METHODS[table.attrs.get("method", "sobol")]
    value, err = m_.value, m_.err
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
        ax.set_xlabel(m_.label)
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
    meth = METHODS[table.attrs.get("method", "sobol")]
    cols = list(meth.columns)
    width = max([len(str(x)) for x in table.get("lever", [])] + [5])
    for m, t in table.groupby("metric", sort=False):
        lines.append(f"{m}")
        lines.append(f"  {'lever':<{width}}  " + "  ".join(f"{c:>12}" for c in cols))
        order = t.sort_values(meth.value, ascending=False)
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
