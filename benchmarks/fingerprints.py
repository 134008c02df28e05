"""Same-seed fingerprints of a few runs, to prove that a speed-up changed no result (issue 18).

A fingerprint is the SHA-256 of everything a run produces: its ``summary()`` (as JSON), its
daily time series, and every column of its issue store and event log. Two runs with equal
fingerprints made the same random draws and the same decisions.

    .venv/bin/python benchmarks/fingerprints.py            # check against fingerprints.json
    .venv/bin/python benchmarks/fingerprints.py --update   # regenerate fingerprints.json

``tests/test_fingerprints.py`` checks (1) that the same seed gives the same fingerprint twice,
and (2) that the runs still match ``benchmarks/fingerprints.json``. A change of the model's
mechanisms (or of its random stream) legitimately changes the fingerprints: then rerun this
script with ``--update`` and commit the new file with the change. A pure speed-up must leave
the file unchanged.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
FILE = HERE / "fingerprints.json"

#: The runs fingerprinted: name -> ReformModel arguments. Small, so that the test stays fast;
#: together they pass every phase of a day, a reform that rebuilds the organisation, and a
#: scenario with a platform, supervision and the ledger.
CASES: dict[str, dict[str, Any]] = {
    "teaching_seed1_365d": {"scenario": "teaching", "rng": 1, "days": 365},
    "teaching_seed2_remove_layer": {"scenario": "teaching", "rng": 2, "days": 150,
                                    "reforms": ["remove_layer:layer=township@60"]},
    "kaifeng_small_seed3_60d": {"scenario": "kaifeng_small", "rng": 3, "days": 60},
}


def _digest_array(h: Any, name: str, a: np.ndarray) -> None:
    a = np.ascontiguousarray(a)
    h.update(f"{name}:{a.dtype.str}:{a.shape}".encode())
    h.update(a.tobytes())


def fingerprint(model: Any) -> dict[str, Any]:
    """Fingerprint of a finished model: hashes of its summary, time series, issues and events."""
    from reformabm.outputs import json_ready

    summary = json_ready(model.summary())
    out: dict[str, Any] = {
        "issues_created": summary["issues_created"],
        "issues_closed": summary["issues_closed"],
        "summary": hashlib.sha256(json.dumps(summary, sort_keys=True).encode()).hexdigest(),
    }
    h = hashlib.sha256()
    ts = model.timeseries()
    for col in ts.columns:
        v = ts[col].to_numpy()
        _digest_array(h, col, v.astype(str) if v.dtype == object else v)
    out["timeseries"] = h.hexdigest()
    h = hashlib.sha256()
    s = model.issues
    for col in s.columns:
        _digest_array(h, col, getattr(s, col)[: len(s)])
    _digest_array(h, "open_ids", s.open_ids)
    out["issues"] = h.hexdigest()
    h = hashlib.sha256()
    ev = model.events.frame()
    for col in ev.columns:
        v = ev[col]
        _digest_array(h, col, v.cat.codes.to_numpy() if hasattr(v, "cat") else v.to_numpy())
    out["events"] = h.hexdigest()
    return out


def run_case(name: str) -> dict[str, Any]:
    """Run case ``name`` of :data:`CASES` and return its fingerprint."""
    from reformabm import ReformModel

    kw = dict(CASES[name])
    scenario = kw.pop("scenario")
    return fingerprint(ReformModel(scenario, **kw).run())


def load() -> dict[str, Any]:
    """The stored fingerprints (``benchmarks/fingerprints.json``)."""
    return json.loads(FILE.read_text(encoding="utf-8"))["cases"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--update", action="store_true", help="regenerate benchmarks/fingerprints.json")
    args = parser.parse_args(argv)
    got = {name: run_case(name) for name in CASES}
    if args.update:
        import subprocess

        try:
            commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True,
                                    text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            commit = "unknown"
        doc = {"note": "regenerate with: .venv/bin/python benchmarks/fingerprints.py --update",
               "generated_at_commit": commit, "cases": got}
        FILE.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {FILE.relative_to(HERE.parent)} ({len(got)} cases, at commit {commit})")
        return 0
    want = load()
    bad = [n for n in CASES if want.get(n) != got[n]]
    for n in CASES:
        print(f"{n:<32} {'same' if n not in bad else 'DIFFERENT'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
