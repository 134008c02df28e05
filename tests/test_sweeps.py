"""Parameter sweeps: sweep files, backends, the resumable store, failures, sensitivity.

Designs here are tiny (a handful of points, 20-30 days of the teaching county) so the whole
file runs in well under a minute; the slowest tests start a Dask LocalCluster and kill a
sweep subprocess several times.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from reformabm.cli import main
from reformabm.experiments import (
    SweepError,
    SweepOptions,
    load,
    load_runs,
    load_sweep,
    make_executor,
    parse_sweep,
    run_seed,
    sweep,
)
from reformabm.experiments.design import unit_sample
from reformabm.experiments.runner import run_one
from reformabm.experiments.sensitivity import analyze, morris_indices, sobol_indices
from reformabm.experiments.store import RunStore, load_timeseries

ROOT = Path(__file__).resolve().parent.parent
FLAT = "remove_layer:layer=township@10"


def tiny(**sections: dict[str, Any]) -> dict[str, Any]:
    """A tiny LHS sweep of the teaching county: 4 points x 2 replications, 20 days."""
    data: dict[str, Any] = {
        "sweep": {"name": "tiny", "scenario": "teaching", "days": 20, "replications": 2, "seed": 7},
        "design": {"kind": "lhs", "size": 4},
        "levers": {
            "centre.authority": {"range": [0.1, 0.9]},
            "reforms": {"options": {"none": [], "flat": [FLAT]}},
        },
        "outputs": {"timeseries": True, "every": 5, "columns": ["open", "closed"]},
    }
    for name, fields in sections.items():
        data[name] = fields if name == "levers" else {**data.get(name, {}), **fields}
    return data


def toml_text(data: dict[str, Any]) -> str:
    """Write a sweep mapping as TOML (tables of scalars, lists and inline tables)."""
    def val(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{json.dumps(k)} = {val(x)}" for k, x in v.items()) + "}"
        if isinstance(v, list):
            return "[" + ", ".join(val(x) for x in v) + "]"
        return json.dumps(v)
    lines = []
    for section, table in data.items():
        lines.append(f"[{section}]")
        lines += [f"{json.dumps(k)} = {val(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


def results(out: Path) -> pd.DataFrame:
    """Stored runs without what legitimately differs between sessions (wall time)."""
    df = load(out).drop(columns=["wall_time"])
    return df.sort_values("run_id").reset_index(drop=True)


# ---- failing runs (module-level: picklable) ---------------------------------------------------


def flaky_run(scenario, days, run, every=0, columns=None):
    """A run function that fails at point 1 (both replications) and runs normally elsewhere."""
    if run.point_id == 1:
        raise RuntimeError(f"boom at point {run.point_id}")
    return run_one(scenario, days, run, every, columns)


# ---- sweep files ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"levers": {"centre.authorty": {"range": [0.1, 0.9]}}},
         ["levers.\"centre.authorty\"", "authorty"]),
        ({"levers": {"centre.authority": {"range": [0.5, 0.5]}}},
         ["levers.\"centre.authority\".range", "[0.5, 0.5]", "empty range"]),
        ({"levers": {"centre.authority": {"range": [0.1, 1.5]}}},
         ["levers.\"centre.authority\".range", "1.5", "bounds"]),
        ({"design": {"kind": "sobol", "size": 100}}, ["design.size", "100", "power of 2"]),
        ({"design": {"kind": "lhs", "size": 0}}, ["design.size", "0"]),
        ({"design": {"kind": "latin"}}, ["design.kind", "'latin'", "grid"]),
        ({"design": {"kind": "lhs", "size": None}}, ["design.size", "required"]),
        ({"sweep": {"replications": 0}}, ["sweep.replications", "0"]),
        ({"sweep": {"scenario": "atlantis"}}, ["sweep.scenario", "atlantis"]),
        ({"sweep": {"speed": 3}}, ["sweep.speed", "unknown field"]),
        ({"levers": {"centre.authority": {"values": [0.2, "high"]}}},
         ["levers.\"centre.authority\".values", "mixed"]),
        ({"levers": {"process.platform": {"range": [0, 1]}}},
         ["levers.\"process.platform\"", "bool", "values"]),
        ({"levers": {"levels[township].staff": {"distribution": {"name": "normal", "mean": 2.0}}}},
         ["levers.\"levels[township].staff\".distribution", "sd"]),
        ({"levers": {"centre.authority": {"options": {"a": []}}}},
         ["levers.\"centre.authority\".options", "reforms"]),
        ({"levers": {"reforms": {"options": {"bad": ["remove_layer:layer=city@10"]}}}},
         ["levers.reforms.options.bad", "city"]),
        ({"levers": {"reforms": {"options": {"bad": ["abolish_everything@10"]}}}},
         ["levers.reforms.options.bad", "abolish_everything"]),
        ({"levers": {"centre.authority": {}}}, ["levers.\"centre.authority\"", "exactly one"]),
    ],
)
def test_bad_sweep_files_name_the_field(tmp_path, capsys, change, expected):
    data = tiny()
    for section, fields in change.items():
        if section == "levers":
            data["levers"] = fields
        else:
            data[section] = {k: v for k, v in {**data[section], **fields}.items() if v is not None}
    path = tmp_path / "bad.toml"
    path.write_text(toml_text(data))
    assert main(["sweep", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for text in expected:
        assert text in err, (text, err)
    assert not (tmp_path / "out").exists()


def test_unreadable_and_non_toml_sweep_files(tmp_path, capsys):
    assert main(["sweep", str(tmp_path / "missing.toml"), "--out", str(tmp_path / "o")]) == 2
    assert "cannot be read" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text("[sweep\nname = 1")
    assert main(["sweep", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "not valid TOML" in capsys.readouterr().err


def test_flat_names_and_paths_resolve_with_the_parameters_types():
    sw = parse_sweep(tiny(levers={
        "centre_authority": {"values": [0.2, 0.8]},
        "levels[township].count": {"range": [3, 5]},
        "process.platform": {"values": [True, False]},
    }, design={"kind": "grid", "size": 3}))
    assert sw.lever_names == ["centre.authority", "levels[township].count", "process.platform"]
    assert [lv.dtype for lv in sw.levers] == ["float", "int", "bool"]
    pts = sw.points()
    assert len(pts) == sw.n_points == 2 * 3 * 2
    assert sorted(pts["levels[township].count"].unique()) == [3, 4, 5]
    overrides, reforms = sw.point_settings(pts.iloc[0].to_dict())
    assert overrides == {"centre.authority": 0.2, "levels[township].count": 3,
                         "process.platform": True}
    assert reforms == []


@pytest.mark.parametrize(("kind", "size", "n"), [("morris", 3, 3 * 3), ("sobol", 4, 4 * 4),
                                                  ("random", 5, 5), ("lhs", 6, 6)])
def test_design_sizes_and_determinism(kind, size, n):
    sw = parse_sweep(tiny(design={"kind": kind, "size": size}))
    pts = sw.points()
    assert len(pts) == sw.n_points == n
    assert sw.n_runs == 2 * n
    pd.testing.assert_frame_equal(pts, sw.points())
    assert set(pts["reforms"]) <= {"none", "flat"}
    assert pts["centre.authority"].between(0.1, 0.9).all()
    u = pts["u:centre.authority"].to_numpy()
    np.testing.assert_allclose(pts["centre.authority"], 0.1 + 0.8 * u)


def test_distribution_levers_map_quantiles():
    sw = parse_sweep(tiny(levers={
        "process.pushback_propensity": {"distribution": {"name": "triangular", "lower": 0.2,
                                                         "mode": 0.5, "upper": 0.8}},
        "levels[township].staff": {"distribution": {"name": "lognormal", "mean": 0.7,
                                                    "sigma": 0.3}},
    }, design={"kind": "random", "size": 200}))
    pts = sw.points()
    assert pts["process.pushback_propensity"].between(0.2, 0.8).all()
    assert abs(pts["process.pushback_propensity"].mean() - 0.5) < 0.03
    assert (pts["levels[township].staff"] > 0).all()
    assert abs(np.log(pts["levels[township].staff"]).median() - 0.7) < 0.08


def test_run_seeds_derive_from_root_and_identity():
    seeds = {run_seed(7, p, r) for p in range(50) for r in range(4)}
    assert len(seeds) == 200 and all(0 <= s < 2**63 for s in seeds)
    assert run_seed(7, 3, 1) == run_seed(7, 3, 1) != run_seed(8, 3, 1)
    assert run_seed(7, 3, 1, common=True) == run_seed(7, 9, 1, common=True)


def test_shipped_sweep_files_validate():
    teaching = load_sweep(ROOT / "models/sweeps/teaching_sweep.toml")
    assert teaching.kind == "morris" and teaching.days == 180 and len(teaching.levers) == 4
    assert 100 <= teaching.n_runs <= 600
    research = load_sweep(ROOT / "models/sweeps/research_sweep.toml")
    assert research.kind == "sobol" and research.n_runs >= 1000


# ---- backends give the same numbers --------------------------------------------------------------


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """The tiny sweep run in this process (sequential backend)."""
    out = tmp_path_factory.mktemp("ref") / "out"
    report = sweep(parse_sweep(tiny()), out, options=SweepOptions(chunk_size=3))
    assert report.stored == report.total == 8 and report.failed_total == 0
    return out


def test_store_layout_and_load(reference):
    df = load(reference)
    assert len(df) == 8 and df["run_id"].tolist() == list(range(8))
    assert {"point_id", "replication", "seed", "status", "centre.authority", "reforms",
            "closure_rate", "issues_created", "wall_time"} <= set(df.columns)
    assert (df["status"] == "ok").all()
    assert df.groupby("point_id")["replication"].apply(list).tolist() == [[0, 1]] * 4
    flat = df[df["reforms"] == "flat"]
    assert (flat["n_layers"] < df[df["reforms"] == "none"]["n_layers"].max()).all()
    manifest = json.loads((reference / "manifest.json").read_text())
    assert manifest["design"]["n_runs"] == 8 and manifest["fingerprint"]
    assert manifest["package_version"] and manifest["sessions"][0]["finished"]
    parts = sorted(p.name for p in (reference / "runs").glob("*.parquet"))
    assert parts == ["part-00000000-00000002.parquet", "part-00000003-00000005.parquet",
                     "part-00000006-00000007.parquet"]
    ts = load_timeseries(reference)
    assert set(ts.columns) == {"run_id", "day", "open", "closed"}
    assert sorted(ts["day"].unique()) == [5, 10, 15, 20]
    assert ts.groupby("run_id").size().eq(4).all()


@pytest.mark.parametrize("workers", [1, 2])
def test_local_pool_matches_sequential(reference, tmp_path, workers):
    with make_executor("local", workers=workers) as ex:
        sweep(parse_sweep(tiny()), tmp_path / "out", ex, SweepOptions(chunk_size=workers + 1))
    pd.testing.assert_frame_equal(results(tmp_path / "out"), results(reference))


def test_guided_chunks_cover_every_run_once_and_shrink_to_single_runs():
    from reformabm.experiments.runner import MAX_AUTO_CHUNK, _guided_chunks

    for n, workers in ((200, 2), (1, 2), (7, 1), (5000, 8)):
        ids = list(range(100, 100 + n))
        chunks = list(_guided_chunks(ids, workers))
        assert [i for c in chunks for i in c] == ids
        sizes = [len(c) for c in chunks]
        assert sizes == sorted(sizes, reverse=True) and 1 <= min(sizes) and max(sizes) <= MAX_AUTO_CHUNK
        assert sizes[-1] == 1 and sizes[0] == min(MAX_AUTO_CHUNK, -(-n // (4 * workers)))


def test_default_guided_chunking_matches_sequential(reference, tmp_path):
    with make_executor("local", workers=2) as ex:
        report = sweep(parse_sweep(tiny()), tmp_path / "out", ex)  # chunk_size 0: guided sizes
    assert report.chunks > 1
    pd.testing.assert_frame_equal(results(tmp_path / "out"), results(reference))
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["sessions"][0]["chunk_size"] == "guided"


def test_dask_local_cluster_matches_sequential(reference, tmp_path):
    pytest.importorskip("distributed")
    with make_executor("dask", workers=2) as ex:
        sweep(parse_sweep(tiny()), tmp_path / "out", ex, SweepOptions(chunk_size=2))
    pd.testing.assert_frame_equal(results(tmp_path / "out"), results(reference))


def test_dask_missing_scheduler_is_a_clear_error(tmp_path, capsys):
    pytest.importorskip("distributed")
    import dask

    path = tmp_path / "s.toml"
    path.write_text(toml_text(tiny()))
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        code = main(["sweep", str(path), "--out", str(tmp_path / "o"), "--backend", "dask",
                     "--scheduler", "tcp://127.0.0.1:1"])
    assert code == 2
    assert "cannot connect to the Dask scheduler at tcp://127.0.0.1:1" in capsys.readouterr().err


def test_scheduler_needs_dask_backend(tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text(toml_text(tiny()))
    assert main(["sweep", str(path), "--out", str(tmp_path / "o"), "--scheduler", "tcp://x:1"]) == 2
    assert "--backend dask" in capsys.readouterr().err


# ---- resume ------------------------------------------------------------------------------------


def test_interrupted_sweep_resumes_without_duplicates(reference, tmp_path):
    out = tmp_path / "out"

    def stop_after_two(report):
        if report.chunks == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sweep(parse_sweep(tiny()), out, options=SweepOptions(chunk_size=2, on_chunk=stop_after_two))
    assert sorted(load_runs(out)["run_id"]) == [0, 1, 2, 3]
    report = sweep(parse_sweep(tiny()), out, options=SweepOptions(chunk_size=3))
    assert (report.already, report.done_now, report.stored) == (4, 4, 8)
    raw = pd.concat([pd.read_parquet(p) for p in (out / "runs").glob("*.parquet")])
    assert sorted(raw["run_id"]) == list(range(8))  # every run stored exactly once
    pd.testing.assert_frame_equal(results(out), results(reference))
    again = sweep(parse_sweep(tiny()), out)
    assert again.done_now == 0 and again.stored == 8
    manifest = json.loads((out / "manifest.json").read_text())
    assert [s.get("interrupted", False) for s in manifest["sessions"]] == [True, False, False]


@pytest.mark.slow
def test_sigkilled_sweep_resumes_to_the_uninterrupted_result(tmp_path):
    """Kill a sweep subprocess (and its whole process group) at random moments, resume."""
    data = tiny(sweep={"days": 30, "replications": 3}, design={"kind": "lhs", "size": 6})
    path = tmp_path / "s.toml"
    path.write_text(toml_text(data))
    ref = tmp_path / "ref"
    sweep(parse_sweep(data), ref, options=SweepOptions(chunk_size=2))
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "reformabm.cli", "sweep", str(path), "--out", str(out),
           "--backend", "sequential", "--chunk-size", "1", "--quiet"]
    rng = random.Random(11)
    stored = []

    def sessions() -> int:
        try:
            return len(json.loads((out / "manifest.json").read_text())["sessions"])
        except (OSError, ValueError, KeyError):
            return 0

    def parts() -> int:
        return len(list((out / "runs").glob("*.parquet")))

    for i in range(4):
        proc = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # wait until this process has opened the store (imports take a while) and stored a
        # random number of chunks (0-3), then kill it (and any process it started) at a random
        # moment of its next chunk
        t0 = time.monotonic()
        while sessions() <= i and proc.poll() is None and time.monotonic() - t0 < 60:
            time.sleep(0.01)
        target = parts() + rng.randint(0, 3)
        while parts() < target and proc.poll() is None and time.monotonic() - t0 < 60:
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.05))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        stored.append(len(load_runs(out)) if (out / "runs").exists() else 0)
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert stored == sorted(stored)  # a kill never loses a stored run
    assert any(0 < n < 18 for n in stored), stored  # the kills did land mid-sweep
    raw = pd.concat([pd.read_parquet(p) for p in (out / "runs").glob("*.parquet")])
    assert sorted(raw["run_id"]) == list(range(18))
    pd.testing.assert_frame_equal(results(out), results(ref))
    ts_raw = pd.concat([pd.read_parquet(p) for p in (out / "timeseries").glob("*.parquet")])
    assert ts_raw.groupby("run_id").size().eq(load_timeseries(ref).groupby("run_id").size()).all()
    assert not list(out.rglob("*.tmp"))


def test_foreign_and_non_store_directories_are_refused(reference, tmp_path, capsys):
    other = tiny(sweep={"seed": 8})
    with pytest.raises(SweepError, match="different sweep"):
        sweep(parse_sweep(other), reference)
    path = tmp_path / "other.toml"
    path.write_text(toml_text(other))
    assert main(["sweep", str(path), "--out", str(reference)]) == 2
    assert "different sweep" in capsys.readouterr().err
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "notes.txt").write_text("mine")
    with pytest.raises(SweepError, match="not a sweep store"):
        sweep(parse_sweep(tiny()), junk)
    # chunking is not part of a sweep's identity: a different chunk size resumes fine
    assert sweep(parse_sweep(tiny(sweep={"chunk_size": 5})), reference).done_now == 0


def test_a_second_writer_is_locked_out(reference):
    with RunStore.open(reference, parse_sweep(tiny())):
        with pytest.raises(SweepError, match="another sweep is writing"):
            RunStore.open(reference, parse_sweep(tiny()))


# ---- failures ----------------------------------------------------------------------------------


def test_failed_runs_are_data_and_can_be_retried(reference, tmp_path):
    out = tmp_path / "out"
    report = sweep(parse_sweep(tiny()), out, options=SweepOptions(chunk_size=3, run_fn=flaky_run))
    assert report.stored == 8 and report.failed_total == 2
    df = load(out)
    failed = df[df["status"] == "failed"]
    assert failed["point_id"].tolist() == [1, 1]
    assert failed["error"].str.contains("RuntimeError: boom at point 1").all()
    assert failed["traceback"].str.contains("flaky_run").all()
    assert failed["closure_rate"].isna().all()
    assert (df[df["status"] == "ok"]["closure_rate"].notna()).all()
    # resuming does not rerun failures; --retry-failed does, and each run stays stored once
    assert sweep(parse_sweep(tiny()), out).done_now == 0
    retry = sweep(parse_sweep(tiny()), out, options=SweepOptions(retry_failed=True))
    assert retry.done_now == 2 and retry.failed_total == 0
    raw = pd.concat([pd.read_parquet(p) for p in (out / "runs").glob("*.parquet")])
    assert sorted(raw["run_id"]) == list(range(8))
    after = results(out)
    assert after.loc[after["point_id"] == 1, "attempt"].tolist() == [2, 2]
    pd.testing.assert_frame_equal(after.drop(columns=["attempt"]),
                                  results(reference).drop(columns=["attempt"]))


def test_failed_runs_in_a_process_pool(tmp_path):
    with make_executor("local", workers=2) as ex:
        report = sweep(parse_sweep(tiny()), tmp_path / "o", ex,
                       SweepOptions(chunk_size=1, run_fn=flaky_run))
    assert report.failed_total == 2 and report.stored == 8


# ---- sensitivity -------------------------------------------------------------------------------


def ishigami(X: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.sin(X[:, 0]) + a * np.sin(X[:, 1]) ** 2 + b * X[:, 2] ** 4 * np.sin(X[:, 0])


def test_sobol_plumbing_recovers_ishigami_indices():
    pytest.importorskip("SALib")
    U = unit_sample("sobol", 3, 2048, seed=3)
    Y = ishigami(-np.pi + 2 * np.pi * U)
    t = sobol_indices(["x1", "x2", "x3"], Y).set_index("lever")
    np.testing.assert_allclose(t["S1"], [0.3139, 0.4424, 0.0], atol=0.04)
    np.testing.assert_allclose(t["ST"], [0.5576, 0.4424, 0.2437], atol=0.04)
    assert (t["S1_conf"] > 0).all()


def test_morris_plumbing_ranks_a_toy_function():
    pytest.importorskip("SALib")
    U = unit_sample("morris", 3, 20, seed=1, levels=4)
    Y = 5 * U[:, 0] + 1 * U[:, 1] + 0 * U[:, 2]
    t = morris_indices(["a", "b", "c"], U, Y, levels=4).set_index("lever")
    np.testing.assert_allclose(t["mu_star"], [5, 1, 0], atol=1e-9)
    np.testing.assert_allclose(t["sigma"], [0, 0, 0], atol=1e-9)


def test_sensitivity_of_a_tiny_morris_sweep(tmp_path, capsys):
    pytest.importorskip("SALib")
    data = tiny(design={"kind": "morris", "size": 3}, sweep={"replications": 1},
                levers={"centre.authority": {"range": [0.1, 0.9]},
                        "process.pushback_propensity": {"range": [0.2, 0.8]},
                        "reforms": {"options": {"none": [], "flat": [FLAT]}}})
    out = tmp_path / "out"
    sweep(parse_sweep(data), out)
    table = analyze(out, ["closure_rate", "pushback_rate", "staff_total"])
    assert table.shape == (3 * 3, 6)
    assert list(table.columns) == ["metric", "lever", "mu", "mu_star", "sigma", "mu_star_conf"]
    assert table.attrs["method"] == "morris" and table.attrs["n_points"] == 12
    staff = table[table["metric"] == "staff_total"].set_index("lever")["mu_star"]
    assert staff["reforms"] > 0 and staff["centre.authority"] == 0  # only flattening cuts staff
    assert main(["sensitivity", str(out), "--metric", "closure_rate"]) == 0
    text = capsys.readouterr().out
    assert "morris indices" in text and "centre.authority" in text and "mu_star" in text
    assert (out / "sensitivity_morris.png").stat().st_size > 0
    assert main(["sensitivity", str(out), "--metric", "no_such_metric"]) == 2
    assert "no_such_metric" in capsys.readouterr().err


def test_sensitivity_needs_a_sobol_or_morris_store(reference, tmp_path, capsys):
    assert main(["sensitivity", str(reference)]) == 2
    assert "lhs design" in capsys.readouterr().err
    assert main(["sensitivity", str(tmp_path)]) == 2
    assert "not a sweep store" in capsys.readouterr().err


# ---- Mesa users --------------------------------------------------------------------------------


def test_mesa_batch_run_keeps_working():
    import mesa

    from reformabm import ReformModel

    before = multiprocessing.get_start_method(allow_none=True)
    try:
        rows = mesa.batch_run(ReformModel, parameters={"scenario": "teaching", "days": 10,
                                                       "centre_authority": [0.2, 0.8]},
                              rng=[1, 2], max_steps=10, number_processes=1, display_progress=False)
    finally:  # batch_run forces the 'spawn' start method process-wide
        multiprocessing.set_start_method(before, force=True)
    df = pd.DataFrame(rows)
    assert len(df) == 4 and set(df["centre_authority"]) == {0.2, 0.8}
    assert (df["Step"] == 10).all() and (df["created_total"] > 0).all()


# ---- more SALib methods (delta, PAWN, RBD-FAST, DGSM) --------------------------------------------


def ishigami_run(scenario, days, run, every=0, columns=None):
    """A stand-in for the model: Ishigami's function of three [0, 1] levers mapped to [-pi, pi]."""
    x = np.array([[run.overrides[k] for k in ISHIGAMI_LEVERS]])
    return {"y": float(ishigami(-np.pi + 2 * np.pi * x)[0]), "days": days}, None


ISHIGAMI_LEVERS = ["centre.authority", "residents.initial_trust", "residents.initial_satisfaction"]
ISHIGAMI_S1 = [0.3139, 0.4424, 0.0]
ISHIGAMI_ST = [0.5576, 0.4424, 0.2437]
# E[(df/dx_i)^2] on [-pi, pi]^3: cos^2 x1 (1 + b x3^4)^2, a^2 sin^2(2 x2), 16 b^2 x3^6 sin^2 x1
ISHIGAMI_VI = [0.5 * (1 + 0.2 * np.pi**4 / 5 + 0.01 * np.pi**8 / 9), 7.0**2 / 2,
               8 * 0.01 * np.pi**6 / 7]


def ishigami_store(tmp_path, kind: str, size: int, **design) -> Path:
    data = tiny(design={"kind": kind, "size": size, **design}, sweep={"replications": 1},
                levers={k: {"range": [0.0, 1.0]} for k in ISHIGAMI_LEVERS})
    out = tmp_path / kind
    sweep(parse_sweep(data), out, options=SweepOptions(run_fn=ishigami_run, chunk_size=256))
    return out


def test_delta_recovers_first_order_indices_of_a_linear_function():
    pytest.importorskip("SALib")
    from reformabm.experiments.sensitivity import delta_indices

    U = unit_sample("lhs", 3, 512, seed=2)
    t = delta_indices(["a", "b", "c"], U, 4 * U[:, 0] + 2 * U[:, 1], num_resamples=10)
    t = t.set_index("lever")
    np.testing.assert_allclose(t["S1"], [16 / 20, 4 / 20, 0.0], atol=0.08)  # variance shares
    assert t["delta"]["a"] > t["delta"]["b"] > t["delta"]["c"]  # c does not matter at all
    assert (t["delta_conf"] > 0).all()


def test_pawn_ranks_ishigami_and_bootstraps_its_interval():
    pytest.importorskip("SALib")
    from reformabm.experiments.sensitivity import pawn_indices

    U = unit_sample("lhs", 3, 512, seed=2)
    t = pawn_indices(["x1", "x2", "x3"], U, ishigami(-np.pi + 2 * np.pi * U), num_resamples=10)
    t = t.set_index("lever")
    assert t["median"]["x2"] > t["median"]["x1"] > 2 * t["median"]["x3"] > 0
    assert (t["median_conf"] > 0).all() and (t["maximum"] >= t["median"]).all()


def test_rbd_fast_recovers_ishigami_first_order_indices():
    pytest.importorskip("SALib")
    from reformabm.experiments.sensitivity import rbd_fast_indices

    U = unit_sample("lhs", 3, 1024, seed=3)
    t = rbd_fast_indices(["x1", "x2", "x3"], U, ishigami(-np.pi + 2 * np.pi * U)).set_index("lever")
    np.testing.assert_allclose(t["S1"], ISHIGAMI_S1, atol=0.06)
    assert (t["S1_conf"] > 0).all()
    with pytest.raises(SweepError, match="more than 20 points"):
        rbd_fast_indices(["x1", "x2", "x3"], U[:20], U[:20, 0])


def test_dgsm_recovers_ishigami_derivatives_and_bounds_st():
    pytest.importorskip("SALib")
    from reformabm.experiments.sensitivity import dgsm_indices

    U = unit_sample("finite_diff", 3, 1024, seed=3, step=0.001)
    assert U.shape == (4096, 3) and U.min() >= 0 and U.max() <= 1
    t = dgsm_indices(["x1", "x2", "x3"], U, ishigami(-np.pi + 2 * np.pi * U)).set_index("lever")
    # vi is per unit of the [0, 1] coordinate: (2 pi)^2 times the derivative on [-pi, pi]
    np.testing.assert_allclose(t["vi"] / (2 * np.pi) ** 2, ISHIGAMI_VI, rtol=0.06)
    assert (t["dgsm"] >= np.array(ISHIGAMI_ST)).all()  # an upper bound of the total index
    assert (t["dgsm_conf"] > 0).all() and (t["dgsm_conf"] < t["dgsm"]).all()


def test_sensitivity_methods_on_stores_and_the_design_each_needs(tmp_path, capsys):
    pytest.importorskip("SALib")
    lhs = ishigami_store(tmp_path, "lhs", 256)
    rbd = analyze(lhs, ["y"], method="rbd_fast").set_index("lever")
    assert list(rbd.index) == ISHIGAMI_LEVERS and rbd.attrs["method"] == "rbd_fast"
    assert rbd["S1"].iloc[1] > rbd["S1"].iloc[0] > rbd["S1"].iloc[2]
    assert main(["sensitivity", str(lhs), "--metric", "y", "--method", "delta"]) == 0
    out = capsys.readouterr().out
    assert "delta indices from 256 points" in out and "delta_conf" in out
    assert (lhs / "sensitivity_delta.png").stat().st_size > 0
    for method, needs in [("sobol", 'kind = "sobol"'), ("morris", 'kind = "morris"'),
                          ("dgsm", 'kind = "finite_diff"'), ("fast99", "expected one of")]:
        assert main(["sensitivity", str(lhs), "--metric", "y", "--method", method]) == 2
        err = capsys.readouterr().err
        assert needs in err and "Traceback" not in err, err
    assert main(["sensitivity", str(lhs)]) == 2  # an lhs design has no default method
    assert "--method delta, pawn or rbd_fast" in capsys.readouterr().err
    fd = ishigami_store(tmp_path, "finite_diff", 64, step=0.01)
    assert json.loads((fd / "manifest.json").read_text())["design"]["n_points"] == 64 * 4
    dg = analyze(fd, ["y"])  # the design's own method
    assert dg.attrs["method"] == "dgsm" and (dg["dgsm"] > 0).all()
    with pytest.raises(SweepError, match="design.step"):
        parse_sweep(tiny(design={"kind": "lhs", "size": 4, "step": 0.1}))


def test_salib_analyses_are_deterministic_at_the_default_seed():
    """SALib seeds its bootstrap only ``if seed:``; seed 0 must still give the same indices twice."""
    pytest.importorskip("SALib")
    from reformabm.experiments.sensitivity import delta_indices, pawn_indices

    U = unit_sample("lhs", 3, 256, seed=2)
    y = 4 * U[:, 0] + 2 * U[:, 1]
    for fn in (delta_indices, pawn_indices):
        a, b = fn(["a", "b", "c"], U, y, num_resamples=5), fn(["a", "b", "c"], U, y, num_resamples=5)
        pd.testing.assert_frame_equal(a, b)
    state = np.random.get_state()[1].copy()
    delta_indices(["a", "b", "c"], U, y, num_resamples=5)
    assert (np.random.get_state()[1] == state).all()  # the global generator is left as it was


def test_grid_sweep_runs_every_combination_once_and_resumes(tmp_path):
    from reformabm.experiments import grid_sweep

    levers = {"centre.authority": [0.2, 0.8], "residents.report_propensity": [0.1, 0.2]}
    df = grid_sweep(levers, tmp_path / "g", scenario="teaching", days=10, replications=2, workers=1)
    assert len(df) == 2 * 2 * 2
    pts = df[["centre.authority", "residents.report_propensity"]].drop_duplicates()
    assert len(pts) == 4 and set(df["centre.authority"]) == {0.2, 0.8}
    again = grid_sweep(levers, tmp_path / "g", scenario="teaching", days=10, replications=2, workers=1)
    pd.testing.assert_frame_equal(df.reset_index(drop=True), again.reset_index(drop=True))
