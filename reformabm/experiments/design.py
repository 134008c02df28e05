"""Sweep files (实验设计): the experiment, declared apart from the model.

A *sweep file* is TOML. It names a base scenario, the *levers* to vary (any scenario
parameter by dotted path, or the reform schedule as a categorical lever), a *design* that
chooses the points of lever space, how many *replications* (seeds) each point gets, the run
length, and which outputs to keep::

    [sweep]
    name = "authority_and_layers"
    scenario = "teaching"        # a shipped scenario or a path (relative to this file)
    days = 180
    replications = 2
    seed = 42                    # root seed: design sampling and every run's seed

    [design]
    kind = "morris"              # grid | lhs | sobol | morris | random | finite_diff
    size = 10                    # trajectories (morris), base samples N (sobol),
                                 # points (lhs, random), levels per continuous lever (grid)

    [levers]
    "centre.authority" = { range = [0.1, 0.9] }
    "levels[township].staff" = { values = [1.0, 2.0, 4.0] }
    "process.distortion_per_hop" = { distribution = { name = "normal", mean = 0.06, sd = 0.02 } }

    [levers.reforms.options]     # the reform schedule: named options, each a list of reforms
    none = []
    remove_township = ["remove_layer:layer=township@90"]

    [outputs]
    timeseries = true            # the summary metrics are always kept
    every = 10                   # keep every 10th day of the time series

Every design is drawn first in the unit hypercube (one coordinate in [0, 1] per lever) and
then mapped to lever values: a range linearly (integers uniformly over ``lo..hi``), a
distribution through its quantile function, a list of values or options by cutting [0, 1] into
equal cells. The unit coordinates are kept with the points, so SALib analyses run on them.

Seeds (种子): run ``(point, replication)`` gets the seed
``SeedSequence(seed, spawn_key=(point, replication))`` (with ``common_random_numbers = true``:
``spawn_key=(replication,)``, the same seeds at every point), so a run's numbers do not depend
on the backend, the worker count, the chunking or the order in which runs finish.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from reformabm.errors import ReformabmError
from reformabm.scenario import Scenario
from reformabm.tomlfile import read_toml

__all__ = [
    "SweepError",
    "DesignKind",
    "Lever",
    "Sweep",
    "SweepFile",
    "load_sweep",
    "parse_sweep",
    "unit_sample",
    "run_seed",
    "salib_problem",
    "REFORMS_LEVER",
    "DISTRIBUTIONS",
]

#: Name of the categorical lever that varies the reform schedule.
REFORMS_LEVER = "reforms"

#: Distributions a lever may follow, with the parameters each one needs.
DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "uniform": ("lower", "upper"),
    "loguniform": ("lower", "upper"),
    "normal": ("mean", "sd"),
    "truncnorm": ("mean", "sd", "lower", "upper"),
    "lognormal": ("mean", "sigma"),  # of the logarithm, as numpy's lognormal
    "triangular": ("lower", "mode", "upper"),
}
_UNBOUNDED = {"normal", "lognormal"}
#: Unbounded distributions are cut at these quantiles (a Morris level of 0 or 1 stays finite).
_TAIL = 0.005


class SweepError(ReformabmError, ValueError):
    """A sweep file, a sweep store or a sweep's executor is wrong; the message names the field."""


class DesignKind(StrEnum):
    """How the points of lever space are chosen."""

    GRID = "grid"  # full factorial
    LHS = "lhs"  # Latin hypercube
    SOBOL = "sobol"  # Saltelli's extension of the Sobol' sequence (SALib), for Sobol indices
    MORRIS = "morris"  # Morris trajectories (SALib), for elementary effects
    RANDOM = "random"  # independent uniform draws
    FINITE_DIFF = "finite_diff"  # base points and one step per lever, for DGSM (SALib)


# ---- the file schema ---------------------------------------------------------------------------


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SweepMeta(_Table):
    """``[sweep]``: base scenario, run length, replications, root seed."""

    name: str = Field("sweep", description="Short name of the sweep.")
    description: str = ""
    scenario: str = Field(min_length=1, description="Shipped scenario name or .toml path.")
    days: int | None = Field(None, ge=1, le=36500, description="Run length (default: scenario's).")
    replications: int = Field(1, ge=1, le=100_000, description="Runs (seeds) per design point.")
    seed: int = Field(0, ge=0, le=2**63 - 1, description="Root seed of the design and the runs.")
    common_random_numbers: bool = Field(
        False, description="Use the same seeds at every point (replication r: same seed)."
    )
    chunk_size: int = Field(0, ge=0, description="Runs per task (0: chosen from the sweep size).")


class DesignTable(_Table):
    """``[design]``: the kind of design and its size."""

    kind: DesignKind
    size: int | None = Field(None, ge=1)
    levels: int = Field(4, ge=2, le=1000, description="Morris: number of grid levels (even).")
    second_order: bool = Field(False, description="Sobol: also sample for second-order indices.")
    step: float | None = Field(None, gt=0, le=0.5,
                               description="finite_diff: the step in unit coordinates (0.05).")

    @field_validator("levels")
    @classmethod
    def _even(cls, v: int) -> int:
        if v % 2:
            raise ValueError("Morris needs an even number of levels (e.g. 4)")
        return v


class DistributionTable(_Table):
    """``distribution = {name = ..., ...}`` of a lever."""

    name: str
    lower: float | None = None
    upper: float | None = None
    mean: float | None = None
    sd: float | None = None
    sigma: float | None = None
    mode: float | None = None

    @model_validator(mode="after")
    def _params(self) -> DistributionTable:
        if self.name not in DISTRIBUTIONS:
            raise ValueError(f"name = '{self.name}': unknown distribution; expected one of "
                             f"{sorted(DISTRIBUTIONS)}")
        need = DISTRIBUTIONS[self.name]
        given = {k for k in ("lower", "upper", "mean", "sd", "sigma", "mode")
                 if getattr(self, k) is not None}
        missing = [k for k in need if k not in given]
        extra = sorted(given - set(need))
        if missing or extra:
            raise ValueError(f"'{self.name}' takes {list(need)}; missing {missing}, "
                             f"unexpected {extra}")
        if "lower" in need and not self.lower < self.upper:  # type: ignore[operator]
            raise ValueError(f"lower = {self.lower} must be below upper = {self.upper}")
        if self.name == "loguniform" and self.lower <= 0:  # type: ignore[operator]
            raise ValueError(f"loguniform needs lower > 0, got {self.lower}")
        if self.name == "triangular" and not self.lower <= self.mode <= self.upper:  # type: ignore[operator]
            raise ValueError(f"mode = {self.mode} must lie in [lower, upper]")
        for k in ("sd", "sigma"):
            if k in need and not getattr(self, k) > 0:
                raise ValueError(f"{k} = {getattr(self, k)} must be > 0")
        return self

    def frozen(self) -> Any:
        """Return the scipy.stats frozen distribution."""
        from scipy import stats

        p = self
        if p.name == "uniform":
            return stats.uniform(p.lower, p.upper - p.lower)
        if p.name == "loguniform":
            return stats.loguniform(p.lower, p.upper)
        if p.name == "normal":
            return stats.norm(p.mean, p.sd)
        if p.name == "truncnorm":
            a, b = (p.lower - p.mean) / p.sd, (p.upper - p.mean) / p.sd
            return stats.truncnorm(a, b, loc=p.mean, scale=p.sd)
        if p.name == "lognormal":
            return stats.lognorm(s=p.sigma, scale=math.exp(p.mean))
        c = (p.mode - p.lower) / (p.upper - p.lower)
        return stats.triang(c, loc=p.lower, scale=p.upper - p.lower)


class LeverTable(_Table):
    """One lever: exactly one of ``range``, ``values``, ``distribution`` or ``options``."""

    range: list[float] | None = None
    values: list[bool | int | float | str] | None = None
    distribution: DistributionTable | None = None
    options: dict[str, list[str]] | None = None

    @field_validator("range")
    @classmethod
    def _range(cls, v: list[float] | None) -> list[float] | None:
        if v is None:
            return v
        if len(v) != 2:
            raise ValueError(f"expected [lo, hi], got {len(v)} numbers")
        if not all(math.isfinite(x) for x in v):
            raise ValueError("range ends must be finite numbers")
        if not v[0] < v[1]:
            raise ValueError("empty range; expected [lo, hi] with lo < hi")
        return v

    @field_validator("values")
    @classmethod
    def _values(cls, v: list[Any] | None) -> list[Any] | None:
        if v is None:
            return v
        if not v:
            raise ValueError("empty list; expected at least one value")
        kinds = {"bool" if isinstance(x, bool) else "str" if isinstance(x, str) else "number"
                 for x in v}
        if len(kinds) > 1:
            raise ValueError(f"mixed value types {sorted(kinds)}; use one type per lever")
        if len(set(map(repr, v))) != len(v):
            raise ValueError("values must be distinct")
        return v

    @field_validator("options")
    @classmethod
    def _options(cls, v: dict[str, list[str]] | None) -> dict[str, list[str]] | None:
        if v is not None and not v:
            raise ValueError("empty table; expected at least one named option, e.g. none = []")
        return v

    @model_validator(mode="after")
    def _one(self) -> LeverTable:
        kinds = ("range", "values", "distribution", "options")
        given = [k for k in kinds if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of range, values, distribution, options "
                             f"(got {given or 'none'})")
        return self


class OutputsTable(_Table):
    """``[outputs]``: the summary metrics are always kept; the daily time series optionally."""

    timeseries: bool = False
    every: int = Field(1, ge=1, description="Keep every n-th day of the series (and the last).")
    columns: list[str] | None = Field(None, description="Series columns to keep (default all).")


class SweepFile(_Table):
    """A whole sweep file, validated (before its levers are checked against the scenario)."""

    sweep: SweepMeta
    design: DesignTable
    levers: dict[str, LeverTable] = Field(min_length=1)
    outputs: OutputsTable = Field(default_factory=OutputsTable)


# ---- resolved levers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Lever:
    """A lever resolved against the base scenario.

    Attributes
    ----------
    name : str
        The scenario path (``centre.authority``) or ``"reforms"``; the column of the points table.
    kind : str
        ``range``, ``values``, ``distribution`` or ``options``.
    dtype : str
        Type of the parameter: ``float``, ``int``, ``bool``, ``str`` or ``schedule``.
    """

    name: str
    kind: str
    dtype: str
    low: float | None = None
    high: float | None = None
    values: tuple[Any, ...] = ()
    distribution: DistributionTable | None = None
    options: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def categorical(self) -> bool:
        """Whether the lever takes one of a finite list of values."""
        return self.kind in ("values", "options")

    @property
    def categories(self) -> tuple[Any, ...]:
        """The values (or option names) of a categorical lever."""
        return tuple(self.options) if self.kind == "options" else self.values

    def from_unit(self, u: np.ndarray) -> list[Any]:
        """Map unit coordinates in [0, 1] to lever values (native Python types)."""
        u = np.asarray(u, dtype=float)
        if self.categorical:
            cats = self.categories
            idx = np.minimum(np.floor(u * len(cats)).astype(int), len(cats) - 1)
            return [cats[i] for i in idx]
        if self.kind == "range":
            if self.dtype == "int":
                lo, hi = int(self.low), int(self.high)  # type: ignore[arg-type]
                return [int(v) for v in np.minimum(np.floor(lo + u * (hi - lo + 1)), hi)]
            x = self.low + u * (self.high - self.low)  # type: ignore[operator]
        else:
            assert self.distribution is not None
            if self.distribution.name in _UNBOUNDED:
                u = np.clip(u, _TAIL, 1 - _TAIL)
            x = self.distribution.frozen().ppf(u)
        if self.dtype == "int":
            return [int(round(v)) for v in x]
        return [float(v) for v in x]

    def grid(self, size: int | None) -> tuple[list[Any], np.ndarray]:
        """Values of this lever in a full-factorial grid, with their unit coordinates."""
        if self.categorical:
            n = len(self.categories)
            return list(self.categories), (np.arange(n) + 0.5) / n
        assert size is not None
        if self.kind == "range":
            u = np.linspace(0.0, 1.0, size)
            if self.dtype == "int":
                vals = sorted({int(round(v)) for v in np.linspace(self.low, self.high, size)})
                span = self.high - self.low  # type: ignore[operator]
                return vals, (np.asarray(vals, dtype=float) - self.low) / span
            return self.from_unit(u), u
        u = (np.arange(size) + 0.5) / size
        return self.from_unit(u), u

    def extremes(self) -> list[Any]:
        """Return the values to check against the scenario before running (ends, categories)."""
        if self.categorical:
            return list(self.categories)
        return self.from_unit(np.array([0.0, 1.0]))

    def overrides(self, value: Any) -> dict[str, Any]:
        """Return the scenario override for one value (none for the reforms lever)."""
        return {} if self.kind == "options" else {self.name: value}

    def reforms(self, value: Any) -> list[str]:
        """Return the reform strings of one option of the reforms lever (others: empty)."""
        return list(self.options[value]) if self.kind == "options" else []


# ---- the sweep ---------------------------------------------------------------------------------


@dataclass
class Sweep:
    """A validated sweep: the file, the base scenario and the resolved levers.

    Build it with :func:`load_sweep` (a file) or :func:`parse_sweep` (a mapping).
    """

    spec: SweepFile
    scenario: Scenario
    levers: list[Lever]
    source: str = "(in memory)"

    @property
    def name(self) -> str:
        """The sweep's name."""
        return self.spec.sweep.name

    @property
    def kind(self) -> DesignKind:
        """The design kind."""
        return self.spec.design.kind

    @property
    def days(self) -> int:
        """Days per run."""
        return int(self.spec.sweep.days or self.scenario.scenario.days)

    @property
    def replications(self) -> int:
        """Runs per design point."""
        return self.spec.sweep.replications

    @property
    def seed(self) -> int:
        """Root seed."""
        return self.spec.sweep.seed

    @property
    def lever_names(self) -> list[str]:
        """Names of the levers, in file order."""
        return [lv.name for lv in self.levers]

    @property
    def n_points(self) -> int:
        """Number of design points (without generating them)."""
        d, k = self.spec.design, len(self.levers)
        if d.kind == DesignKind.SOBOL:
            return int(d.size) * (2 * k + 2 if d.second_order else k + 2)  # type: ignore[arg-type]
        if d.kind in (DesignKind.MORRIS, DesignKind.FINITE_DIFF):
            return int(d.size) * (k + 1)  # type: ignore[arg-type]
        if d.kind == DesignKind.GRID:
            return int(np.prod([len(lv.grid(d.size)[0]) for lv in self.levers]))
        return int(d.size)  # type: ignore[arg-type]

    @property
    def n_runs(self) -> int:
        """Number of runs (points times replications)."""
        return self.n_points * self.replications

    def fingerprint(self) -> str:
        """Hash of everything that determines the runs' results (not chunking, not file paths).

        Two sweep files with the same fingerprint produce the same runs; a store refuses to
        resume a sweep with a different fingerprint.
        """
        spec = self.spec.model_dump(mode="json")
        spec["sweep"].pop("chunk_size", None)
        spec["sweep"].pop("scenario", None)  # the scenario's content is hashed instead
        if spec["design"].get("step") is None:  # added later: stores made before keep their hash
            spec["design"].pop("step", None)
        blob = json.dumps({"sweep": spec, "scenario": self.scenario.model_dump(mode="json")},
                          sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()

    def points(self) -> pd.DataFrame:
        """Return the design: one row per point (``point_id``, lever values, ``u:<lever>``).

        Deterministic given the sweep file (the root seed seeds the sampler).
        """
        d = self.spec.design
        if d.kind == DesignKind.GRID:
            grids = [lv.grid(d.size) for lv in self.levers]
            combos = np.array(_product([range(len(g[0])) for g in grids]), dtype=int)
            columns = {lv.name: [g[0][i] for i in combos[:, j]]
                       for j, (lv, g) in enumerate(zip(self.levers, grids, strict=True))}
            ucols = {f"u:{lv.name}": np.asarray(g[1], float)[combos[:, j]]
                     for j, (lv, g) in enumerate(zip(self.levers, grids, strict=True))}
        else:
            U = unit_sample(d.kind, len(self.levers), int(d.size or 0), self.seed,
                            levels=d.levels, second_order=d.second_order, step=d.step)
            columns = {lv.name: lv.from_unit(U[:, j]) for j, lv in enumerate(self.levers)}
            ucols = {f"u:{lv.name}": U[:, j] for j, lv in enumerate(self.levers)}
        n = len(next(iter(ucols.values())))
        df = pd.DataFrame({"point_id": np.arange(n, dtype=np.int64), **columns, **ucols})
        return df

    def point_settings(self, row: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """Return the overrides and reform strings of one point (a row of :meth:`points`)."""
        overrides: dict[str, Any] = {}
        reforms: list[str] = []
        for lv in self.levers:
            value = _native(row[lv.name], lv.dtype)
            overrides.update(lv.overrides(value))
            reforms += lv.reforms(value)
        return overrides, reforms

    def summary(self) -> dict[str, Any]:
        """Return what a store's manifest records about the design (enough to analyse it)."""
        d = self.spec.design
        return {
            "name": self.name, "kind": str(d.kind), "size": d.size, "levels": d.levels,
            "second_order": d.second_order, "step": d.step, "replications": self.replications,
            "days": self.days, "seed": self.seed, "scenario": self.scenario.scenario.name,
            "levers": [{"name": lv.name, "kind": lv.kind, "dtype": lv.dtype} for lv in self.levers],
            "n_points": self.n_points, "n_runs": self.n_runs,
            "common_random_numbers": self.spec.sweep.common_random_numbers,
        }


def _product(lists: list[list[Any]]) -> list[tuple[Any, ...]]:
    import itertools

    return list(itertools.product(*lists))


def _native(v: Any, dtype: str) -> Any:
    """Convert a value read from a DataFrame back to the lever's Python type."""
    if dtype == "float":
        return float(v)
    if dtype == "int":
        return int(v)
    if dtype == "bool":
        return bool(v)
    return str(v)


# ---- sampling and seeds ------------------------------------------------------------------------


#: Default step of a ``finite_diff`` design, in unit coordinates (5 % of each lever's range).
FINITE_DIFF_STEP = 0.05


def unit_sample(kind: DesignKind | str, k: int, size: int, seed: int, *, levels: int = 4,
                second_order: bool = False, step: float | None = None) -> np.ndarray:
    """Draw a design in the unit hypercube ``[0, 1]^k``.

    Parameters
    ----------
    kind : DesignKind
        ``lhs``, ``random``, ``sobol`` (Saltelli's scheme, ``size * (k + 2)`` rows, or
        ``size * (2k + 2)`` with ``second_order``) or ``morris`` (``size`` trajectories of
        ``k + 1`` rows on a ``levels``-level grid) or ``finite_diff`` (``size`` scrambled
        Sobol' base points, each followed by ``k`` copies moved by ``step`` along one lever,
        backwards where forwards would leave [0, 1]; for DGSM). ``sobol`` and ``morris`` need
        SALib.
    k : int
        Number of levers.
    size : int
        Points (lhs, random), base samples (sobol) or trajectories (morris).
    seed : int
        Seed of the sampler.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_points, k)``.

    Examples
    --------
    >>> unit_sample("lhs", 2, 4, seed=1).shape
    (4, 2)
    """
    kind = DesignKind(kind)
    if kind == DesignKind.RANDOM:
        return np.random.default_rng(np.random.SeedSequence(seed)).random((size, k))
    if kind == DesignKind.LHS:
        from scipy.stats import qmc

        return qmc.LatinHypercube(d=k, rng=np.random.default_rng(seed)).random(size)
    if kind == DesignKind.FINITE_DIFF:
        from scipy.stats import qmc

        h = FINITE_DIFF_STEP if step is None else float(step)
        base = qmc.Sobol(d=k, scramble=True, rng=np.random.default_rng(seed)).random(size)
        out = np.repeat(base, k + 1, axis=0)
        for j in range(k):
            rows = np.arange(size) * (k + 1) + j + 1
            x = out[rows, j]
            out[rows, j] = np.where(x + h <= 1.0, x + h, x - h)
        return out
    problem = {"num_vars": k, "names": [f"x{j}" for j in range(k)], "bounds": [[0.0, 1.0]] * k}
    salib = _salib()
    if kind == DesignKind.SOBOL:
        return salib.sample.sobol.sample(problem, size, calc_second_order=second_order,
                                         scramble=True, seed=seed)
    if kind == DesignKind.MORRIS:
        return salib.sample.morris.sample(problem, size, num_levels=levels, seed=seed)
    raise SweepError(f"design kind '{kind}' has no unit sample (grid designs are enumerated)")


def _salib() -> Any:
    try:
        import SALib
        import SALib.analyze.delta
        import SALib.analyze.dgsm
        import SALib.analyze.morris
        import SALib.analyze.pawn
        import SALib.analyze.rbd_fast
        import SALib.analyze.sobol
        import SALib.sample.morris
        import SALib.sample.sobol
    except ImportError:
        raise SweepError("sensitivity analysis and sobol and morris designs need SALib: pip "
                         "install 'reformabm[sa]'") from None
    return SALib


def run_seed(root: int, point_id: int, replication: int, *, common: bool = False) -> int:
    """Return the seed of run ``(point_id, replication)`` of a sweep with root ``root``.

    ``numpy.random.SeedSequence(root, spawn_key=(point_id, replication))`` (or
    ``spawn_key=(replication,)`` with common random numbers) gives 64 bits, kept to 63 so the
    seed fits a signed 64-bit Parquet column.

    Examples
    --------
    >>> run_seed(1, 0, 0) == run_seed(1, 0, 0) != run_seed(1, 0, 1)
    True
    >>> run_seed(1, 3, 0, common=True) == run_seed(1, 5, 0, common=True)
    True
    """
    key = (int(replication),) if common else (int(point_id), int(replication))
    a, b = np.random.SeedSequence(int(root), spawn_key=key).generate_state(2, dtype=np.uint32)
    return int(((int(a) << 32) | int(b)) & (2**63 - 1))


def salib_problem(sweep: Sweep, *, unit: bool = False) -> dict[str, Any]:
    """Return the SALib problem of a sweep's levers.

    Parameters
    ----------
    sweep : Sweep
    unit : bool
        If True, every lever on ``[0, 1]`` (how reformabm samples and analyses: a categorical
        lever's cells and a distribution's quantiles are unit coordinates). If False, each lever
        in SALib's own parameterisation, so that SALib's samplers (``SALib.sample.*`` with this
        problem) draw from the declared distributions: a range's ends (``unif``), ``[0, n]`` for
        ``n`` categories (``unif``; cell ``floor(x)``), and per distribution the ``bounds`` SALib
        reads for its ``dists`` name (``SALib.util.scale_samples``):

        ============  ==========  ====================================================
        declared      SALib       ``bounds`` entry
        ============  ==========  ====================================================
        uniform       unif        ``[lower, upper]``
        loguniform    logunif     ``[lower, upper]``
        normal        norm        ``[mean, sd]``
        truncnorm     truncnorm   ``[lower, upper, mean, sd]``
        lognormal     lognorm     ``[mean, sigma]`` of the logarithm
        triangular    triang      ``[lower, upper, (mode - lower) / (upper - lower)]``
        ============  ==========  ====================================================

        SALib does not cut the tails of the unbounded ``normal`` and ``lognormal`` as
        reformabm's own sampling does (quantiles 0.005 and 0.995), nor round integer levers.

    Returns
    -------
    dict
        ``num_vars``, ``names``, ``bounds`` (and ``dists`` when not unit).

    Examples
    --------
    >>> from reformabm.experiments.design import parse_sweep
    >>> sw = parse_sweep({"sweep": {"scenario": "teaching"}, "design": {"kind": "lhs", "size": 4},
    ...     "levers": {"centre.authority": {"distribution": {"name": "triangular", "lower": 0.2,
    ...                                                      "mode": 0.3, "upper": 0.7}}}})
    >>> p = salib_problem(sw)
    >>> p["dists"], [round(v, 3) for v in p["bounds"][0]]
    (['triang'], [0.2, 0.7, 0.2])
    """
    names = sweep.lever_names
    if unit:
        return {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    bounds, dists = [], []
    for lv in sweep.levers:
        if lv.categorical:
            bounds.append([0.0, float(len(lv.categories))])
            dists.append("unif")
        elif lv.kind == "range":
            bounds.append([float(lv.low), float(lv.high)])  # type: ignore[arg-type]
            dists.append("unif")
        else:
            assert lv.distribution is not None
            dist, b = _salib_distribution(lv.distribution)
            bounds.append(b)
            dists.append(dist)
    return {"num_vars": len(names), "names": names, "bounds": bounds, "dists": dists}


def _salib_distribution(d: DistributionTable) -> tuple[str, list[float]]:
    """SALib's name and ``bounds`` entry of a declared distribution (see ``salib_problem``)."""
    f = float
    if d.name == "uniform":
        return "unif", [f(d.lower), f(d.upper)]  # type: ignore[arg-type]
    if d.name == "loguniform":
        return "logunif", [f(d.lower), f(d.upper)]  # type: ignore[arg-type]
    if d.name == "normal":
        return "norm", [f(d.mean), f(d.sd)]  # type: ignore[arg-type]
    if d.name == "truncnorm":
        return "truncnorm", [f(d.lower), f(d.upper), f(d.mean), f(d.sd)]  # type: ignore[arg-type]
    if d.name == "lognormal":
        return "lognorm", [f(d.mean), f(d.sigma)]  # type: ignore[arg-type]
    lo, hi = f(d.lower), f(d.upper)  # type: ignore[arg-type]
    return "triang", [lo, hi, (f(d.mode) - lo) / (hi - lo)]  # type: ignore[arg-type]


# ---- loading and validation --------------------------------------------------------------------


def sweep_path(path: str | Path) -> Path:
    """The file of a sweep: ``path`` itself, or the shipped sweep of that name (``teaching_sweep``)."""
    p = Path(path)
    if not p.is_file() and p.suffix == "" and len(p.parts) == 1:
        from reformabm.resources import shipped

        cand = shipped("models", "sweeps", f"{p.name}.toml")
        if cand.is_file():
            return cand
    return p


def load_sweep(path: str | Path) -> Sweep:
    """Read and validate a sweep file (a path, or the name of a shipped one: ``teaching_sweep``).

    Raises
    ------
    SweepError
        When the file cannot be read, is not TOML, or a field is wrong; the message names the
        field (``levers."centre.authority".range``), the value and what was expected.
    """
    p = sweep_path(path)
    data = read_toml(p, "sweep", SweepError)
    return parse_sweep(data, source=f"sweep file '{p}'", base_dir=p.resolve().parent)


def parse_sweep(data: dict[str, Any], *, source: str = "sweep (in memory)",
                base_dir: str | Path | None = None) -> Sweep:
    """Validate a sweep mapping (as read from TOML) against the schema and its base scenario."""
    try:
        spec = SweepFile.model_validate(data)
    except ValidationError as exc:
        raise SweepError(_format_errors(exc, source)) from None
    scenario = _load_base(spec.sweep.scenario, base_dir, source)
    days = int(spec.sweep.days or scenario.scenario.days)
    levers = [_resolve_lever(key, table, scenario, days, spec.sweep.seed, source)
              for key, table in spec.levers.items()]
    names = [lv.name for lv in levers]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise SweepError(f"{source}: field `levers`: {dup} given more than once (as a flat name "
                         "and a dotted path?)")
    _check_design(spec, levers, source)
    return Sweep(spec=spec, scenario=scenario, levers=levers, source=source)


def _quote(key: Any) -> str:
    key = str(key)
    return key if key.replace("_", "").replace("-", "").isalnum() else json.dumps(key)


def _field(*parts: Any) -> str:
    return ".".join(_quote(p) for p in parts)


_UNION_MEMBERS = {"bool", "int", "float", "str"}


def _format_errors(err: ValidationError, source: str) -> str:
    lines: dict[str, str] = {}
    for e in err.errors():
        loc = list(e.get("loc", ()))
        union = bool(loc) and loc[-1] in _UNION_MEMBERS
        if union:  # one message for a value that fits none of a union's types
            loc = loc[:-1]
        path = _field(*loc) if loc else "(file)"
        val = e.get("input")
        shown = "" if isinstance(val, dict) else f" = {val!r}"
        msg = str(e.get("msg", "invalid")).removeprefix("Value error, ")
        if union:
            msg, shown = "expected a number, a string or a boolean", f" = {val!r}"
        elif e.get("type") == "extra_forbidden":
            msg = "unknown field (check its spelling; see docs/sweeps.md)"
        elif e.get("type") == "missing":
            msg, shown = "required field is missing", ""
        elif e.get("type") == "enum":
            msg = f"expected one of {[k.value for k in DesignKind]}"
        lines.setdefault(path, f"field `{path}`{shown}: {msg}")
    shown_lines = list(lines.values())
    more = len(shown_lines) - 5
    return f"{source}: " + "; ".join(shown_lines[:5]) + (f" (and {more} more)" if more > 0 else "")


def _load_base(name: str, base_dir: str | Path | None, source: str) -> Scenario:
    from reformabm.scenario import load_scenario

    cand = Path(name)
    if base_dir is not None and not cand.is_absolute() and (Path(base_dir) / cand).is_file():
        cand = Path(base_dir) / cand
    try:
        return load_scenario(cand if cand.is_file() else name)
    except ReformabmError as exc:
        raise SweepError(f"{source}: field `sweep.scenario` = {name!r}: {exc}") from None


def _get_path(data: Any, path: str) -> Any:
    from reformabm.scenario import _split_path

    node = data
    for part in _split_path(path):
        if isinstance(part, str) and part.startswith("["):
            node = next(x for x in node if x.get("name") == part[1:-1])
        else:
            node = node[part]
    return node


def _resolve_lever(key: str, table: LeverTable, scenario: Scenario, days: int, seed: int,
                   source: str) -> Lever:
    from reformabm.parameters import parameter_specs, resolve_parameter
    from reformabm.scenario import apply_overrides

    where = _field("levers", key)
    if key == REFORMS_LEVER:
        if table.options is None:
            raise SweepError(f"{source}: field `{where}`: the reform schedule lever takes "
                             "options = {name = [\"reform@day\", ...], ...}")
        return _resolve_reforms(table.options, scenario, days, seed, source)
    if table.options is not None:
        raise SweepError(f"{source}: field `{_field('levers', key, 'options')}`: options are for "
                         f"the `{REFORMS_LEVER}` lever (reform schedules); use values = [...] for "
                         "a list of parameter values")
    try:
        path = resolve_parameter(key)
        data = scenario.model_dump(mode="json")
        apply_overrides(data, {path: None})  # raises when the path does not exist
        base = _get_path(data, path)
    except ReformabmError as exc:
        raise SweepError(f"{source}: field `{where}`: {exc}") from None
    except (KeyError, StopIteration, TypeError, IndexError):
        raise SweepError(f"{source}: field `{where}`: `{key}` is not a scenario parameter"
                         ) from None
    if isinstance(base, (list, dict)) or base is None:
        raise SweepError(f"{source}: field `{where}`: `{path}` is not a scalar parameter "
                         f"(its value is {base!r}); a lever sets one number, flag or name")
    dtype = ("bool" if isinstance(base, bool) else "int" if isinstance(base, int)
             else "float" if isinstance(base, float) else "str")
    if dtype in ("bool", "str") and table.values is None:
        raise SweepError(f"{source}: field `{where}`: `{path}` is a {dtype}; vary it with "
                         "values = [...]")
    if table.values is not None:
        where_values = _field("levers", key, "values")
        vals = [_cast_value(v, dtype, source, where_values) for v in table.values]
        lever = Lever(name=path, kind="values", dtype=dtype, values=tuple(vals))
    elif table.range is not None:
        lo, hi = table.range
        if dtype == "int" and not (float(lo).is_integer() and float(hi).is_integer()):
            raise SweepError(f"{source}: field `{_field('levers', key, 'range')}` = {table.range}: "
                             f"`{path}` is an integer; give integer ends")
        lever = Lever(name=path, kind="range", dtype=dtype, low=lo, high=hi)
    else:
        lever = Lever(name=path, kind="distribution", dtype=dtype, distribution=table.distribution)
    what = next(k for k in ("range", "values", "distribution") if getattr(table, k) is not None)
    field_name = _field("levers", key, what)
    spec = {s.path: s for s in parameter_specs()}.get(path)
    for v in lever.extremes():
        if spec is not None and isinstance(v, (int, float)) and not isinstance(v, bool):
            below = spec.lower is not None and v < spec.lower
            above = spec.upper is not None and v > spec.upper
            if below or above:
                raise SweepError(
                    f"{source}: field `{field_name}`: reaches {path} = {v!r}, outside the "
                    f"parameter's bounds [{spec.lower}, {spec.upper}] (see `reformabm params`)")
        _check_scenario(scenario, {path: v}, [], days, seed, source, field_name, build=False)
    return lever


def _cast_value(v: Any, dtype: str, source: str, where: str) -> Any:
    ok = (dtype == "bool" and isinstance(v, bool)
          or dtype == "str" and isinstance(v, str)
          or dtype == "int" and isinstance(v, (int, float)) and not isinstance(v, bool)
          and float(v).is_integer()
          or dtype == "float" and isinstance(v, (int, float)) and not isinstance(v, bool))
    if not ok:
        raise SweepError(f"{source}: field `{where}`: value {v!r} does not fit a {dtype} parameter")
    return _native(v, dtype)


def _resolve_reforms(options: dict[str, list[str]], scenario: Scenario, days: int, seed: int,
                     source: str) -> Lever:
    from reformabm.reforms import parse_reform

    for name, items in options.items():
        where = _field("levers", REFORMS_LEVER, "options", name)
        for item in items:
            try:
                parse_reform(item)
            except ReformabmError as exc:
                raise SweepError(f"{source}: field `{where}` = {items!r}: {exc}") from None
        _check_scenario(scenario, {}, items, days, seed, source, where, build=bool(items))
    return Lever(name=REFORMS_LEVER, kind="options", dtype="schedule",
                 options={k: tuple(v) for k, v in options.items()})


def _check_scenario(scenario: Scenario, overrides: dict[str, Any], reforms: list[str], days: int,
                    seed: int, source: str, where: str, *, build: bool) -> None:
    """Validate one lever value against the base scenario (building a model for schedules)."""
    try:
        if build:
            from reformabm.model import ReformModel

            ReformModel(scenario, rng=seed, days=days, overrides=overrides, reforms=reforms)
        else:
            from reformabm.scenario import load_scenario

            load_scenario(scenario, overrides)
    except ReformabmError as exc:
        shown = ", ".join(f"{k} = {v!r}" for k, v in overrides.items()) or " + ".join(reforms)
        why = str(exc).replace("field `(file)`: ", "").replace("Value error, ", "")
        prefix = "scenario (in memory) with overrides " + ", ".join(
            f"{k}={v!r}" for k, v in overrides.items()) + ": "
        why = why.removeprefix(prefix)
        raise SweepError(f"{source}: field `{where}`: {shown} does not fit scenario "
                         f"'{scenario.scenario.name}': {why}") from None


def _check_design(spec: SweepFile, levers: list[Lever], source: str) -> None:
    d = spec.design
    size = d.size
    continuous = [lv.name for lv in levers if not lv.categorical]
    need_size = d.kind != DesignKind.GRID or continuous
    if need_size and size is None:
        what = {"grid": "levels per continuous lever", "lhs": "number of points",
                "random": "number of points", "sobol": "base samples N (a power of 2)",
                "morris": "number of trajectories",
                "finite_diff": "number of base points"}[d.kind]
        raise SweepError(f"{source}: field `design.size`: required for a {d.kind} design ({what})")
    if d.step is not None and d.kind != DesignKind.FINITE_DIFF:
        raise SweepError(f"{source}: field `design.step` = {d.step}: only a finite_diff design "
                         "takes a step")
    if size is None:
        return
    if d.kind == DesignKind.SOBOL and (size < 2 or size & (size - 1)):
        lo = 1 << max(1, size.bit_length() - 1)
        raise SweepError(f"{source}: field `design.size` = {size}: a sobol design needs a power "
                         f"of 2 (e.g. {lo} or {lo * 2})")
    if d.kind in (DesignKind.MORRIS, DesignKind.LHS, DesignKind.GRID) and size < 2:
        raise SweepError(f"{source}: field `design.size` = {size}: a {d.kind} design needs at "
                         "least 2")
    if d.kind == DesignKind.GRID and any(lv.kind == "range" and lv.dtype == "int"
                                         and size > lv.high - lv.low + 1 for lv in levers):
        bad = next(lv for lv in levers if lv.kind == "range" and lv.dtype == "int"
                   and size > lv.high - lv.low + 1)
        raise SweepError(f"{source}: field `design.size` = {size}: more grid levels than the "
                         f"integers in {bad.name}'s range [{bad.low:g}, {bad.high:g}]")
    if d.kind in (DesignKind.SOBOL, DesignKind.MORRIS):
        _salib()
