"""Shards of a sweep (job arrays): partition, equality with the unsharded sweep, concurrent
writers killed mid-write, locks, the SLURM array script.

The design is the tiny one of test_sweeps (4 points x 2 replications, 20 days of the teaching
county); the concurrent test runs three shard processes at once and SIGKILLs one of them.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from test_sweeps import results, tiny, toml_text

from reformabm.cli import main
from reformabm.experiments import Shard, SweepError, SweepOptions, load_runs, parse_sweep, sweep
from reformabm.experiments.shards import slurm_script
from reformabm.experiments.store import RunStore, load_timeseries

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def unsharded(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("unsharded") / "out"
    sweep(parse_sweep(tiny()), out, options=SweepOptions(chunk_size=3))
    return out


def raw_run_ids(out: Path) -> list[int]:
    """Every run id in every runs part (a duplicate would show twice)."""
    return sorted(pd.concat([pd.read_parquet(p) for p in (out / "runs").glob("*.parquet")])
                  ["run_id"].tolist())


# ---- the partition -----------------------------------------------------------------------------


@pytest.mark.parametrize(("total", "n"), [(8, 1), (8, 3), (8, 8), (5, 7), (1000, 64)])
def test_shards_are_a_deterministic_partition(total, n):
    parts = [Shard(i, n).runs(total) for i in range(1, n + 1)]
    flat = sorted(r for p in parts for r in p)
    assert flat == list(range(total))  # disjoint and complete
    assert max(map(len, parts)) - min(map(len, parts)) <= 1  # balanced
    assert parts == [Shard.parse(f"{i}/{n}").runs(total) for i in range(1, n + 1)]
    assert all(Shard(i, n).owns(r) for i, p in enumerate(parts, 1) for r in p)


@pytest.mark.parametrize(("text", "expected"), [
    ("0/4", "1..4"), ("5/4", "1..4"), ("2", "I/N"), ("a/b", "I/N"), ("1/0", "N must"),
    ("-1/4", "I/N"),
])
def test_bad_shard_is_a_clear_error(tmp_path, capsys, text, expected):
    path = tmp_path / "s.toml"
    path.write_text(toml_text(tiny()))
    assert main(["sweep", str(path), "--out", str(tmp_path / "o"), f"--shard={text}"]) == 2
    err = capsys.readouterr().err
    assert "--shard" in err and expected in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


# ---- sharded == unsharded ----------------------------------------------------------------------


def test_sharded_sweep_equals_the_unsharded_one(unsharded, tmp_path):
    out = tmp_path / "out"
    design = parse_sweep(tiny())
    for i in (3, 1, 2):  # any order
        report = sweep(design, out, options=SweepOptions(chunk_size=2, shard=Shard(i, 3)))
        assert report.shard == f"{i}/3"
        assert report.total == len(Shard(i, 3).runs(8)) == report.done_now
    parts = sorted(p.name for p in (out / "runs").glob("*.parquet"))
    assert all(p.endswith(("-s1of3.parquet", "-s2of3.parquet", "-s3of3.parquet")) for p in parts)
    assert raw_run_ids(out) == list(range(8))
    pd.testing.assert_frame_equal(results(out), results(unsharded))
    pd.testing.assert_frame_equal(load_timeseries(out), load_timeseries(unsharded))
    # a later plain sweep finds nothing left to run; resuming a shard neither
    assert sweep(design, out).done_now == 0
    assert sweep(design, out, options=SweepOptions(shard=Shard(2, 3))).done_now == 0
    sessions = sorted(p.name for p in (out / "sessions").glob("*.json"))
    assert [s.split(".")[0] for s in sessions].count("s2of3") == 2
    one = json.loads((out / "sessions" / sessions[0]).read_text())
    assert one["shard"] == "1/3" and one["finished"] and one["runs_done"] == 3


def test_shards_lock_out_clashing_writers_only(unsharded, tmp_path):
    out = tmp_path / "out"
    design = parse_sweep(tiny())
    with RunStore.open(out, design, shard=Shard(1, 2)):
        with RunStore.open(out, design, shard=Shard(2, 2)):  # other shards: welcome
            pass
        with pytest.raises(SweepError, match="shard 1/2 is already being written"):
            RunStore.open(out, design, shard=Shard(1, 2))
        with pytest.raises(SweepError, match="another sweep is writing"):
            RunStore.open(out, design)
        with pytest.raises(SweepError, match=r"another sharding \(1/2\)"):
            RunStore.open(out, design, shard=Shard(1, 3))
    with RunStore.open(out, design), pytest.raises(SweepError, match="plain sweep"):
        RunStore.open(out, design, shard=Shard(1, 2))
    with pytest.raises(SweepError, match="different sweep"):
        RunStore.open(unsharded, parse_sweep(tiny(sweep={"seed": 8})), shard=Shard(1, 2))


@pytest.mark.slow
def test_concurrent_shards_with_a_sigkill(unsharded, tmp_path, capsys):
    """Three shard processes start together on an empty directory; one is SIGKILLed mid-sweep.

    The others finish untouched, the killed shard resumes, and the store equals the unsharded
    sweep's: no run lost, none stored twice, no temporary file left.
    """
    path = tmp_path / "s.toml"
    path.write_text(toml_text(tiny()))
    out = tmp_path / "out"

    def cmd(i: int) -> list[str]:
        return [sys.executable, "-m", "reformabm.cli", "sweep", str(path), "--out", str(out),
                "--shard", f"{i}/3", "--backend", "sequential", "--chunk-size", "1", "--quiet"]

    procs = {i: subprocess.Popen(cmd(i), cwd=ROOT, start_new_session=True,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for i in (1, 2, 3)}
    victim = procs[2]

    def stored_by_victim() -> int:
        return len(list((out / "runs").glob("*-s2of3.parquet"))) if (out / "runs").exists() else 0

    t0 = time.monotonic()
    while stored_by_victim() < 1 and victim.poll() is None and time.monotonic() - t0 < 120:
        time.sleep(0.005)
    time.sleep(0.05)  # into its next run
    killed = victim.poll() is None
    if killed:
        os.killpg(victim.pid, signal.SIGKILL)
    victim.wait()
    for i in (1, 3):
        _, err = procs[i].communicate(timeout=300)
        assert procs[i].returncode == 0, err
    assert killed, "shard 2 finished before it could be killed"
    mine = Shard(2, 3).runs(8)
    stored = load_runs(out)["run_id"].tolist()
    assert 0 < len([r for r in stored if r in mine]) < len(mine)  # the kill landed mid-shard
    assert set(Shard(1, 3).runs(8)) | set(Shard(3, 3).runs(8)) <= set(stored)
    assert not [p for p in out.rglob("*.tmp") if "s2of3" not in p.name]
    assert main(cmd(2)[3:]) == 0  # the killed shard resumes (here, in this process)
    capsys.readouterr()
    assert main(cmd(2)[3:7]) == 0  # a plain sweep then finds nothing left to run
    text = capsys.readouterr().out
    assert "8 of 8 runs stored" in text and "0 now" in text
    assert raw_run_ids(out) == list(range(8))
    pd.testing.assert_frame_equal(results(out), results(unsharded))
    assert not list(out.rglob("*.tmp"))


# ---- SLURM -------------------------------------------------------------------------------------


def test_slurm_writes_an_array_script_and_the_store(tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text(toml_text(tiny()))
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--slurm", "4", "--workers", "2"]) == 0
    assert "sbatch" in capsys.readouterr().out
    script = (out / "slurm.sh").read_text()
    assert "#SBATCH --array=1-4" in script and "#SBATCH --cpus-per-task=2" in script
    assert '--shard "${SLURM_ARRAY_TASK_ID}/4"' in script and "--backend" in script
    assert str(path.resolve()) in script and f"--output={out.resolve()}/slurm/%A_%a.out" in script
    assert os.access(out / "slurm.sh", os.X_OK) and (out / "slurm").is_dir()
    assert subprocess.run(["bash", "-n", str(out / "slurm.sh")]).returncode == 0
    assert (out / "manifest.json").exists() and (out / "points.parquet").exists()
    assert load_runs(out).empty
    # the store is ready for the array's tasks (and the script's directory is not foreign)
    assert sweep(parse_sweep(tiny()), out, options=SweepOptions(shard=Shard(4, 4))).done_now == 2
    assert main(["sweep", str(path), "--out", str(out), "--slurm", "0"]) == 2
    assert main(["sweep", str(path), "--out", str(out), "--slurm", "2", "--shard", "1/2"]) == 2
    assert "--shard and --slurm" in capsys.readouterr().err


@pytest.mark.slow
def test_a_slurm_array_task_runs_its_shard(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(toml_text(tiny()))
    out = tmp_path / "out"
    script = slurm_script(path, out, 4, name="tiny")
    assert main(["sweep", str(path), "--out", str(out), "--slurm", "4", "--quiet"]) == 0
    env = {**os.environ, "SLURM_ARRAY_TASK_ID": "2", "SLURM_CPUS_PER_TASK": "1"}
    done = subprocess.run(["bash", str(out / "slurm.sh")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert sorted(load_runs(out)["run_id"]) == [1, 5]
    assert script == (out / "slurm.sh").read_text()
