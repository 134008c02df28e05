"""Scenario discovery (情景发现): the combinations of levers under which a reform fails.

After a sweep, mark each run as a *case of interest* (a metric above or below a threshold:
on-time rate below 0.6, push-back above 0.3 ...) and find simple boxes in lever space — a few
levers restricted to ranges or to some of their categories — that hold many of the cases
(*coverage*: the share of all cases that fall in the box) and few others (*density*: the share
of the box's runs that are cases). The search is EMA workbench's (Kwakkel 2017):

- ``prim``: the Patient Rule Induction Method (Friedman & Fisher 1999; Bryant & Lempert 2010),
  :class:`ema_workbench.analysis.prim.Prim`. Each box is the point of its peeling trajectory
  with the highest coverage among those with at least ``min_density`` density; the trajectory
  is the trade-off between the two.
- ``cart``: a classification tree (scikit-learn's, the one EMA workbench's ``CART`` wraps,
  fitted on one dummy column per category so that the boxes do not depend on hash order);
  its leaves at least ``min_density`` dense are the boxes.

Every lever takes part, the categorical reform schedule included (a box may keep some of its
options). Each stored ``ok`` run is one experiment (replications are not averaged: a box that
fails in most seeds has density below 1). :func:`to_ema` gives a store to EMA workbench's own
tools as the ``(experiments, outcomes)`` pair they expect.

>>> from reformabm.experiments.discovery import discover      # doctest: +SKIP
>>> result = discover("out/teaching", "on_time_rate", below=0.6)  # doctest: +SKIP
>>> result.boxes[0]["limits"]   # {"centre.authority": [0.1, 0.34], "reforms": ["flat"]}  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reformabm.experiments.design import SweepError
from reformabm.experiments.store import load, read_manifest

__all__ = ["to_ema", "discover", "Discovery", "write_discovery", "plot_tradeoff", "plot_boxes",
           "METHODS"]

METHODS = ("prim", "cart")


def _ema() -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "ipyparallel not installed" and the like
            import ema_workbench
            from ema_workbench.analysis import cart, prim  # noqa: F401
    except ImportError:
        raise SweepError("scenario discovery needs EMA workbench: pip install "
                         "'reformabm[discovery]'") from None
    logging.getLogger("EMA").setLevel(logging.WARNING)
    return ema_workbench


def _levers(out: str | Path) -> list[dict[str, Any]]:
    return list(read_manifest(out)["design"]["levers"])


def _experiments(df: pd.DataFrame, levers: list[dict[str, Any]]) -> pd.DataFrame:
    """Lever columns as EMA wants them: categorical levers as pandas categoricals."""
    cols = {}
    for lv in levers:
        s = df[lv["name"]]
        if lv["kind"] in ("options", "values") and lv["dtype"] in ("schedule", "str", "bool"):
            s = s.astype(str).astype("category")
        elif lv["dtype"] == "int":
            s = s.astype("int64")
        else:
            s = s.astype(float)
        cols[lv["name"]] = s.reset_index(drop=True)
    return pd.DataFrame(cols)


def to_ema(out: str | Path) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """A sweep store as EMA workbench's ``(experiments, outcomes)`` pair.

    Parameters
    ----------
    out : str or Path
        A sweep's output directory.

    Returns
    -------
    experiments : pandas.DataFrame
        One row per stored ``ok`` run: each lever (column named by its path, ``reforms`` for
        the schedule; categorical levers as pandas categoricals), then ``scenario`` (the
        design point), ``policy`` (the reform schedule's option, or ``"none"``), ``model``
        (``"reformabm"``), and ``run_id``, ``seed``.
    outcomes : dict of str to numpy.ndarray
        Every numeric summary metric, one value per row of ``experiments``.

    Examples
    --------
    >>> experiments, outcomes = to_ema("out/teaching")           # doctest: +SKIP
    >>> from ema_workbench.analysis import prim                   # doctest: +SKIP
    >>> p = prim.Prim(experiments.iloc[:, :4], outcomes["on_time_rate"] < 0.6)  # doctest: +SKIP
    """
    from reformabm.experiments.sensitivity import numeric_metrics

    df = load(out)
    df = df[df["status"] == "ok"].reset_index(drop=True)
    levers = _levers(out)
    ex = _experiments(df, levers)
    ex["scenario"] = df["point_id"].to_numpy()
    ex["policy"] = (df["reforms"].astype(str).to_numpy() if "reforms" in ex.columns
                    else np.full(len(df), "none"))
    ex["model"] = "reformabm"
    ex["run_id"] = df["run_id"].to_numpy()
    ex["seed"] = df["seed"].to_numpy()
    names = {lv["name"] for lv in levers}
    outcomes = {m: df[m].to_numpy(float) for m in numeric_metrics(df) if m not in names}
    return ex, outcomes


@dataclass
class Discovery:
    """The result of :func:`discover`.

    Attributes
    ----------
    boxes : list of dict
        ``{"limits": {lever: [lo, hi] or [categories]}, "coverage", "density", "n", "mass",
        "cases"}`` per box, restricted levers only, in the order found.
    trajectory : pandas.DataFrame
        PRIM: the first box's peeling trajectory (``coverage``, ``density``, ``res_dim``,
        ``n``); CART: one row per leaf.
    """

    method: str
    metric: str
    rule: str
    n_runs: int
    n_cases: int
    boxes: list[dict[str, Any]]
    trajectory: pd.DataFrame
    chosen: list[int] = field(default_factory=list)
    ranges: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> list[dict[str, Any]]:
        """The boxes, as written to ``boxes.json``."""
        return self.boxes


def _limits(lims: pd.DataFrame, init: pd.DataFrame, x: pd.DataFrame) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for col in x.columns:
        lo, hi = lims.loc[0, col], lims.loc[1, col]
        if isinstance(lo, (set, frozenset)):
            if set(lo) != set(init.loc[0, col]):
                out[col] = sorted(map(str, lo))
        elif not (math.isclose(float(lo), float(init.loc[0, col]))
                  and math.isclose(float(hi), float(init.loc[1, col]))):
            cast = int if pd.api.types.is_integer_dtype(x[col]) else float
            out[col] = [cast(lo), cast(hi)]
    return out


def _box_record(limits: dict[str, Any], x: pd.DataFrame, y: np.ndarray) -> dict[str, Any]:
    inside = np.ones(len(x), dtype=bool)
    for col, lim in limits.items():
        if isinstance(lim[0], str):
            inside &= x[col].astype(str).isin(lim).to_numpy()
        else:
            inside &= ((x[col] >= lim[0]) & (x[col] <= lim[1])).to_numpy()
    n, k = int(inside.sum()), int(y[inside].sum())
    return {"limits": limits, "coverage": k / max(int(y.sum()), 1), "density": k / max(n, 1),
            "n": n, "cases": k, "mass": n / max(len(x), 1)}


def _prim(x: pd.DataFrame, y: np.ndarray, max_boxes: int, min_density: float, mass_min: float,
          peel_alpha: float) -> tuple[list[dict[str, Any]], pd.DataFrame, list[int]]:
    from ema_workbench.analysis import prim

    p = prim.Prim(x, y, peel_alpha=peel_alpha, mass_min=mass_min)
    boxes, chosen, first = [], [], None
    base = y.mean()
    for _ in range(max_boxes):
        box = p.find_box()
        if box is None:
            break
        traj = box.peeling_trajectory.reset_index(drop=True)
        if first is None:
            first = traj
        ok = traj[traj["density"] >= min_density]
        # the most covering box dense enough; of equally covering ones, the densest
        i = (int(ok.sort_values(["coverage", "density"], ascending=False).index[0]) if len(ok)
             else int(traj["density"].idxmax()))
        if traj.loc[i, "density"] <= base or traj.loc[i, "k"] == 0:
            break
        box.select(i)
        limits = _limits(box.box_lims[i], p.box_init, x)
        if not limits:
            break
        boxes.append(_box_record(limits, x, y))
        chosen.append(i)
    return boxes, first if first is not None else pd.DataFrame(), chosen


def _cart(x: pd.DataFrame, y: np.ndarray, max_boxes: int, min_density: float,
          mass_min: float) -> tuple[list[dict[str, Any]], pd.DataFrame, list[int]]:
    """The leaves of scikit-learn's classification tree as boxes.

    EMA workbench's ``CART`` wraps the same tree, but its box limits for categorical levers
    depend on set iteration order (they change with ``PYTHONHASHSEED``), so the tree is fitted
    here on one dummy column per category (sorted, ``random_state=0``: deterministic) and each
    leaf's path is read back as ranges and kept categories.
    """
    from sklearn.tree import DecisionTreeClassifier

    cats = {c: sorted(map(str, x[c].astype(str).unique())) for c in x.columns
            if isinstance(x[c].dtype, pd.CategoricalDtype) or x[c].dtype == object}
    cols, owner = [], []
    for c in x.columns:
        if c in cats:
            for k in cats[c]:
                cols.append((x[c].astype(str) == k).to_numpy(float))
                owner.append((c, k))
        else:
            cols.append(x[c].to_numpy(float))
            owner.append((c, None))
    xm = np.column_stack(cols)
    clf = DecisionTreeClassifier(min_samples_leaf=max(1, int(round(mass_min * len(x)))),
                                 random_state=0).fit(xm, y)
    t = clf.tree_
    leaves: list[dict[str, Any]] = []

    def walk(node: int, lims: dict[str, Any]) -> None:
        if t.children_left[node] == -1:
            rec = _box_record(_restricted(lims, x, cats), x, y)
            leaves.append({"coverage": rec["coverage"], "density": rec["density"],
                           "res_dim": len(rec["limits"]), "n": rec["n"], "record": rec})
            return
        col, cat = owner[t.feature[node]]
        thr = float(t.threshold[node])
        left, right = dict(lims), dict(lims)
        if cat is not None:  # dummy <= 0.5: the category is out; > 0.5: only it is in
            keep = lims.get(col, set(cats[col]))
            left[col], right[col] = keep - {cat}, keep & {cat}
        else:
            lo, hi = lims.get(col, (float(x[col].min()), float(x[col].max())))
            left[col], right[col] = (lo, min(hi, thr)), (max(lo, np.nextafter(thr, np.inf)), hi)
        walk(int(t.children_left[node]), left)
        walk(int(t.children_right[node]), right)

    walk(0, {})
    traj = pd.DataFrame([{k: v for k, v in lf.items() if k != "record"} for lf in leaves])
    good = sorted((lf for lf in leaves if lf["density"] >= min_density and lf["n"]),
                  key=lambda lf: (-lf["coverage"], -lf["density"]))
    if not good:  # no leaf dense enough: the densest with cases
        good = sorted((lf for lf in leaves if lf["record"]["cases"]), key=lambda lf: -lf["density"])[:1]
    chosen = [leaves.index(lf) for lf in good[:max_boxes]]
    return [lf["record"] for lf in good[:max_boxes]], traj, chosen


def _restricted(lims: dict[str, Any], x: pd.DataFrame, cats: dict[str, list[str]]) -> dict[str, Any]:
    """A leaf's limits, the levers it actually restricts only (as in PRIM's boxes)."""
    out: dict[str, Any] = {}
    for col, lim in lims.items():
        if col in cats:
            if set(lim) != set(cats[col]):
                out[col] = sorted(lim)
        elif not (math.isclose(lim[0], float(x[col].min())) and math.isclose(lim[1], float(x[col].max()))):
            cast = int if pd.api.types.is_integer_dtype(x[col]) else float
            out[col] = [cast(lim[0]), cast(lim[1])]
    return out


def discover(out: str | Path, metric: str, *, above: float | None = None,
             below: float | None = None, method: str = "prim", max_boxes: int = 2,
             min_density: float = 0.8, mass_min: float = 0.05,
             peel_alpha: float = 0.05) -> Discovery:
    """Find boxes of lever space where ``metric`` is above (or below) a threshold.

    Parameters
    ----------
    out : str or Path
        A sweep's output directory (any design kind).
    metric : str
        A numeric summary metric of the store.
    above, below : float
        Exactly one: a run is a case of interest when ``metric > above`` (or ``< below``).
    method : {"prim", "cart"}
    max_boxes : int
        PRIM: boxes to find one after the other (each on the runs the earlier ones left);
        CART: the densest leaves to keep.
    min_density : float
        A box's density must reach this (PRIM picks the most covering such box on its
        trajectory; CART keeps leaves at least this dense).
    mass_min : float
        Smallest share of all runs a box may hold.
    peel_alpha : float
        PRIM's peeling step (share of the box's runs peeled off at each step).

    Returns
    -------
    Discovery

    Raises
    ------
    SweepError
        Not a store, an unknown metric, a bad threshold, or no (or only) cases of interest.
    """
    _ema()
    if method not in METHODS:
        raise SweepError(f"--method {method!r}: expected one of {list(METHODS)}")
    if (above is None) == (below is None):
        raise SweepError("give exactly one of --above X and --below X (the runs that count as "
                         "cases of interest)")
    for name, v in (("--above", above), ("--below", below)):
        if v is not None and not math.isfinite(v):
            raise SweepError(f"{name} {v}: expected a finite number")
    if not 0 < min_density <= 1:
        raise SweepError(f"--min-density {min_density}: expected a share in (0, 1]")
    if max_boxes < 1:
        raise SweepError(f"--boxes {max_boxes}: expected at least 1")
    ex, outcomes = to_ema(out)
    if metric not in outcomes:
        raise SweepError(f"--metric {metric!r}: not a numeric summary metric of this sweep; "
                         f"expected one of {sorted(outcomes)}")
    names = [lv["name"] for lv in _levers(out)]
    y_raw = outcomes[metric]
    keep = ~np.isnan(y_raw)
    x = ex.loc[keep, names].reset_index(drop=True)
    y = (y_raw[keep] > above) if above is not None else (y_raw[keep] < below)
    rule = f"{metric} > {above:g}" if above is not None else f"{metric} < {below:g}"
    if len(y) == 0:
        raise SweepError(f"'{out}' has no ok run with a value of {metric}: nothing to discover")
    if not y.any() or y.all():
        share = "no" if not y.any() else "every"
        raise SweepError(f"{share} run of the {len(y)} has {rule}: nothing to tell apart; "
                         f"choose a threshold inside the range [{np.nanmin(y_raw):.4g}, "
                         f"{np.nanmax(y_raw):.4g}] of {metric}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if method == "prim":
            boxes, traj, chosen = _prim(x, y, max_boxes, min_density, mass_min, peel_alpha)
        else:
            boxes, traj, chosen = _cart(x, y, max_boxes, min_density, mass_min)
    ranges = {c: (sorted(map(str, x[c].cat.categories)) if isinstance(x[c].dtype, pd.CategoricalDtype)
                  else [float(x[c].min()), float(x[c].max())]) for c in x.columns}
    return Discovery(method=method, metric=metric, rule=rule, n_runs=int(len(y)),
                     n_cases=int(y.sum()), boxes=boxes, trajectory=traj, chosen=chosen,
                     ranges=ranges)


# ---- plots -------------------------------------------------------------------------------------


def plot_tradeoff(result: Discovery, *, lang: str = "en") -> Any:
    """Coverage against density: PRIM's peeling trajectory (CART: its leaves), boxes marked."""
    import matplotlib.pyplot as plt  # noqa: F401 (the backend)
    import seaborn as sns
    from matplotlib.figure import Figure

    from reformabm.plots import resolve_language
    from reformabm.plots._base import _apply_font

    lang, fam = resolve_language(lang)
    zh = lang == "zh"
    fig = Figure(figsize=(5.6, 4.4))
    ax = fig.add_subplot()
    t = result.trajectory
    if len(t):
        sns.scatterplot(data=t, x="coverage", y="density", hue="res_dim", palette="viridis",
                        ax=ax, s=28, legend="full")
        if result.method == "prim":
            ax.plot(t["coverage"], t["density"], color="grey", linewidth=0.6, zorder=0)
        leg = ax.get_legend()
        if leg is not None:
            leg.set_title("受限杠杆数" if zh else "restricted levers")
    for j, i in enumerate(result.chosen[:1] if result.method == "prim" else result.chosen):
        if i < len(t):
            ax.scatter([t.loc[i, "coverage"]], [t.loc[i, "density"]], s=140, facecolors="none",
                       edgecolors="crimson", linewidths=1.5, gid=f"box:{j}")
            ax.annotate(f"{'盒' if zh else 'box'} {j + 1}", (t.loc[i, "coverage"],
                        t.loc[i, "density"]), textcoords="offset points", xytext=(6, 6),
                        color="crimson")
    ax.set_xlabel("覆盖率 coverage" if zh else "coverage (share of cases in the box)")
    ax.set_ylabel("密度 density" if zh else "density (share of the box's runs that are cases)")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    what = "PRIM 剥离轨迹" if zh and result.method == "prim" else (
        "CART 叶节点" if zh else ("PRIM peeling trajectory" if result.method == "prim"
                                  else "CART leaves"))
    ax.set_title(f"{what}: {result.rule}", fontsize=10)
    return _apply_font(fig, fam)


def plot_boxes(result: Discovery, *, lang: str = "en") -> Any:
    """Each box's restricted levers, as a share of the lever's sampled range (categories named)."""
    from matplotlib.figure import Figure

    from reformabm.plots import label, resolve_language
    from reformabm.plots._base import _apply_font

    lang, fam = resolve_language(lang)
    zh = lang == "zh"
    n = max(1, len(result.boxes))
    rows = [len(b["limits"]) for b in result.boxes] or [1]
    fig = Figure(figsize=(6.4, 1.1 + 0.55 * sum(max(r, 1) for r in rows) + 0.4 * n))
    axes = fig.subplots(n, 1, squeeze=False,
                        gridspec_kw={"height_ratios": [max(r, 1) for r in rows]})[:, 0]
    for ax, j in zip(axes, range(n), strict=True):
        if not result.boxes:
            ax.text(0.5, 0.5, "没有找到盒子" if zh else "no box found", ha="center", va="center")
            ax.set_axis_off()
            continue
        box = result.boxes[j]
        levers = list(box["limits"])
        for r, lv in enumerate(levers):
            lim, full = box["limits"][lv], result.ranges.get(lv)
            ax.barh(r, 1, left=0, color="#e8e8e8", height=0.6)
            if isinstance(lim[0], str):
                cats = list(full) if full else lim
                w = 1 / max(len(cats), 1)
                for c_i, c in enumerate(cats):
                    inside = c in lim
                    ax.barh(r, w * 0.96, left=c_i * w, height=0.6, gid=f"cat:{lv}:{c}",
                            color="#4C72B0" if inside else "#e8e8e8")
                    ax.text(c_i * w + w / 2, r, c, ha="center", va="center", fontsize=8,
                            color="white" if inside else "#555555")
            else:
                lo, hi = full if full else lim
                span = (hi - lo) or 1.0
                a, b = (lim[0] - lo) / span, (lim[1] - lo) / span
                ax.barh(r, b - a, left=a, height=0.6, color="#4C72B0", gid=f"range:{lv}")
                ax.text(a, r + 0.42, f"{lim[0]:.3g}", ha="left", fontsize=7)
                ax.text(b, r + 0.42, f"{lim[1]:.3g}", ha="right", fontsize=7)
        ax.set_yticks(range(len(levers)), [label(lv, lang) for lv in levers])
        ax.set_ylim(len(levers) - 0.3, -0.7)
        ax.set_xlim(0, 1)
        ax.set_xticks([0, 0.5, 1], ["min", "", "max"] if not zh else ["最小", "", "最大"])
        head = (f"盒 {j + 1}：覆盖率 {box['coverage']:.2f}，密度 {box['density']:.2f}，"
                f"{box['n']} 次运行" if zh else
                f"box {j + 1}: coverage {box['coverage']:.2f}, density {box['density']:.2f}, "
                f"{box['n']} runs")
        ax.set_title(head, fontsize=9)
    fig.suptitle(("情景发现" if zh else "scenario discovery") + f" ({result.method}): "
                 f"{result.rule}", fontsize=10)
    fig.tight_layout()
    return _apply_font(fig, fam)


def write_discovery(result: Discovery, out: str | Path, *, lang: str = "en") -> list[Path]:
    """Write ``boxes.json``, ``tradeoff.png`` and ``boxes.png`` into ``out``; return the paths."""
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SweepError(f"--out {out}: cannot create it: {exc}") from None
    path = out / "boxes.json"
    path.write_text(json.dumps(result.to_json(), indent=2, ensure_ascii=False), encoding="utf-8")
    paths = [path]
    for name, fn in (("tradeoff.png", plot_tradeoff), ("boxes.png", plot_boxes)):
        fig = fn(result, lang=lang)
        fig.savefig(out / name, dpi=110, bbox_inches="tight")
        paths.append(out / name)
    return paths
