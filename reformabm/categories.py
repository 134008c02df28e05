"""Issue categories (事项分类) as arrays for fast generation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reformabm.scenario import Scenario

__all__ = ["CategoryTable"]


@dataclass(frozen=True)
class CategoryTable:
    """Per-category arrays: shares, level distributions, domain bits, severity, ambiguity."""

    names: list[str]
    share: np.ndarray  # normalised frequency
    share_cdf: np.ndarray  # cumulative shares (last = 1)
    level_cdf: np.ndarray  # [category, 5] cumulative probability of required level 1..5
    primary_domain: np.ndarray  # domain index
    primary_bit: np.ndarray  # int64 bit of the primary domain
    secondary_bits: np.ndarray  # [category, k] int64 bits of secondary domains (0 = none)
    cross_boundary: np.ndarray  # probability of spanning each secondary domain
    severity: np.ndarray
    ambiguous: np.ndarray

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> CategoryTable:
        """Build the table from a scenario's ``[[categories]]``."""
        dom = {d: i for i, d in enumerate(scenario.domains)}
        cats = scenario.categories
        share = np.array([c.share for c in cats], float)
        mix = np.array([c.level_mix for c in cats], float)
        mix /= mix.sum(axis=1, keepdims=True)
        cdf = np.cumsum(mix, axis=1)
        cdf[:, -1] = 1.0
        width = max(1, max(len(c.domains) - 1 for c in cats))
        sec = np.zeros((len(cats), width), np.int64)
        for i, c in enumerate(cats):
            for j, d in enumerate(c.domains[1:]):
                sec[i, j] = 1 << dom[d]
        prim = np.array([dom[c.domains[0]] for c in cats], np.int16)
        return cls(
            names=[c.name for c in cats],
            share=share / share.sum(),
            share_cdf=np.concatenate([np.cumsum(share / share.sum())[:-1], [1.0]]),
            level_cdf=cdf,
            primary_domain=prim,
            primary_bit=(np.int64(1) << prim.astype(np.int64)),
            secondary_bits=sec,
            cross_boundary=np.array([c.cross_boundary for c in cats], float),
            severity=np.array([c.severity for c in cats], np.float32),
            ambiguous=np.array([c.ambiguous for c in cats], bool),
        )
