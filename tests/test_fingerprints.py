"""Same seed, same results: determinism and the stored fingerprints of benchmarks/fingerprints.py.

A pure speed-up must leave ``benchmarks/fingerprints.json`` matching. A deliberate change of the
model's mechanisms or random stream changes it: regenerate it with
``.venv/bin/python benchmarks/fingerprints.py --update`` and commit it with the change.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from reformabm import ReformModel

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import fingerprints  # noqa: E402


def test_same_seed_twice_gives_identical_runs():
    a = fingerprints.fingerprint(ReformModel("teaching", rng=5, days=90).run())
    b = fingerprints.fingerprint(ReformModel("teaching", rng=5, days=90).run())
    assert a == b
    c = fingerprints.fingerprint(ReformModel("teaching", rng=6, days=90).run())
    assert c["issues"] != a["issues"]  # the fingerprint does see a different seed


@pytest.mark.parametrize("name", list(fingerprints.CASES))
def test_runs_match_stored_fingerprints(name):
    want = fingerprints.load()[name]
    got = fingerprints.run_case(name)
    assert got == want, (f"{name}: results changed for the same seed. If the model's mechanisms changed on "
                         "purpose, run `.venv/bin/python benchmarks/fingerprints.py --update` and commit "
                         "benchmarks/fingerprints.json")
