"""Calibration (ABC-SMC and SMM) on tiny budgets: recovery, identification, resume, outputs."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pandas as pd
import pytest

from reformabm.calibration import CalibrationError
from reformabm.calibration.calibrate import calibrate, problem_from_targets, simulate
from reformabm.calibration.targets import parse_param

TRUTH = 0.3
PARAMS = ["residents.issues_per_person_year=0.1:0.6",  # sets the issue volume: influential
          "workload.campaign_diversion=0:1"]            # no campaigns in these runs: no effect


@pytest.fixture(scope="module")
def targets(tmp_path_factory):
    """Synthetic targets: the issue volume of runs at the known parameter value."""
    d = tmp_path_factory.mktemp("cal")
    head = ('[calibration]\nscenario = "teaching"\ndays = 15\nreplications = 1\n'
            'overrides = {"residents.population" = 20000}\n')
    probe = d / "probe.toml"
    probe.write_text(head + '[[target]]\nmetric = "issues_per_1000_people"\nvalue = 1\ntolerance = 1\n'
                     'source = "probe"\n', encoding="utf-8")
    prob = problem_from_targets(probe, [parse_param(p) for p in PARAMS])
    obs = sum(simulate(prob, [TRUTH, 0.5], s)[0] for s in range(101, 105)) / 4
    path = d / "synthetic.toml"
    path.write_text(head + f'[[target]]\nmetric = "issues_per_1000_people"\nvalue = {obs}\n'
                    'tolerance = 0.8\nsource = "synthetic: mean of 4 runs at issues_per_person_year = 0.3"\n',
                    encoding="utf-8")
    return path


def _params():
    return [parse_param(p) for p in PARAMS]


def _check_recovery(rep):
    infl = rep["params"]["residents.issues_per_person_year"]
    assert infl["lo"] <= TRUTH <= infl["hi"]
    assert infl["identified"] and (infl["hi"] - infl["lo"]) < 0.25 * 0.5
    assert not rep["params"]["workload.campaign_diversion"]["identified"]


def test_abc_recovers_known_parameter(targets, tmp_path):
    res = calibrate(targets, _params(), method="abc", budget=40, population=8, out=tmp_path,
                    backend="sequential")
    rep = json.loads((tmp_path / "report.json").read_text())
    _check_recovery(rep)
    assert set(rep) >= {"scenario", "method", "runs", "params", "targets"}
    assert set(rep["targets"][0]) >= {"metric", "observed", "simulated", "sim_lo", "sim_hi", "within_tolerance"}
    post = pd.read_parquet(tmp_path / "posterior.parquet")
    assert list(post.columns) == ["residents.issues_per_person_year", "workload.campaign_diversion", "weight"]
    assert len(post) == 8 and abs(post["weight"].sum() - 1) < 1e-9
    assert (tmp_path / "fit.png").stat().st_size > 0 and (tmp_path / "posterior.png").stat().st_size > 0
    assert rep["runs"] == res.runs >= 40


def test_smm_recovers_and_resumes_exactly(targets, tmp_path):
    kw = dict(method="smm", budget=24, backend="sequential")
    ref = calibrate(targets, _params(), out=tmp_path / "ref", **kw).report()
    _check_recovery(ref)
    calls = []

    def interrupt(runs, text, final=True):
        calls.append(runs)
        if len(calls) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        calibrate(targets, _params(), out=tmp_path / "cut", progress=interrupt, **kw)
    con = sqlite3.connect(tmp_path / "cut" / "smm.db")
    kept = con.execute("SELECT COUNT(*) FROM sims").fetchone()[0]
    con.close()
    assert kept > 0  # finished simulations survive the interruption
    again = calibrate(targets, _params(), out=tmp_path / "cut", **kw).report()
    assert again["params"] == ref["params"] and again["targets"] == ref["targets"]


def test_abc_resumes_after_kill(targets, tmp_path):
    out = tmp_path / "abc"
    cmd = [sys.executable, "-m", "reformabm.cli", "calibrate", str(targets), *sum((["--param", p] for p in PARAMS), []),
           "--budget", "400", "--population", "6", "--backend", "sequential", "--out", str(out), "--quiet"]
    proc = subprocess.Popen(cmd, start_new_session=True)
    deadline = time.time() + 60
    done = 0
    while time.time() < deadline and done < 1:
        time.sleep(0.3)
        try:
            con = sqlite3.connect(out / "abc.db")
            done = con.execute("SELECT COUNT(*) FROM populations WHERE t >= 0").fetchone()[0]
            con.close()
        except sqlite3.Error:
            pass
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert done >= 1, "no generation finished before the kill"
    con = sqlite3.connect(out / "abc.db")
    eps0 = con.execute("SELECT epsilon FROM populations WHERE t = 0").fetchone()[0]
    con.close()
    # the same command (smaller budget to keep the test short) continues the history
    res = calibrate(targets, _params(), method="abc", budget=24, population=6, out=out, backend="sequential")
    assert res.history["generation"].iloc[0] == 0 and res.history["epsilon"].iloc[0] == eps0
    assert len(res.history) > done


def test_resume_refuses_other_calibration(targets, tmp_path):
    calibrate(targets, _params(), method="smm", budget=8, out=tmp_path, backend="sequential", figures=False)
    with pytest.raises(CalibrationError, match="different calibration"):
        calibrate(targets, _params()[:1], method="smm", budget=8, out=tmp_path, backend="sequential")


def test_cli_bad_arguments_exit_2(targets, tmp_path, capsys):
    from reformabm.cli import main

    for args, field in ([["--param", "centre.authority=0:3"], "centre.authority"],
                        [["--param", "nonsense"], "PATH=LO:HI"],
                        [["--budget", "0", "--param", PARAMS[0]], "--budget"],
                        [["--scheduler", "tcp://x:1", "--param", PARAMS[0]], "--scheduler"]):
        assert main(["calibrate", str(targets), *args, "--out", str(tmp_path)]) == 2
        err = capsys.readouterr().err
        assert field in err and "Traceback" not in err
    assert main(["calibrate", str(targets), "--out", str(tmp_path)]) == 2
    assert "no parameter to fit" in capsys.readouterr().err


def test_smm_same_result_on_any_backend(targets, tmp_path):
    kw = dict(method="smm", budget=10, figures=False)
    seq = calibrate(targets, _params(), out=tmp_path / "seq", backend="sequential", **kw).report()
    loc = calibrate(targets, _params(), out=tmp_path / "loc", backend="local", workers=2, **kw).report()
    assert seq["params"] == loc["params"] and seq["targets"] == loc["targets"]


class _WaveExecutor:
    """Runs the submitted calls only when a result is first asked for; records each wave's size."""

    def __init__(self):
        self.queue, self.waves = [], []

    def submit(self, fn, *args):
        from concurrent.futures import Future

        fut = Future()
        self.queue.append((fut, fn, args))
        return _LazyResult(self, fut)

    def run_wave(self):
        self.waves.append(len(self.queue))
        for fut, fn, args in self.queue:
            fut.set_result(fn(*args))
        self.queue.clear()


class _LazyResult:
    def __init__(self, executor, fut):
        self.executor, self.fut = executor, fut

    def result(self):
        if not self.fut.done():
            self.executor.run_wave()
        return self.fut.result()


def test_smm_local_search_keeps_two_workers_busy_with_one_replication(targets, tmp_path):
    """Every wave of SMM runs (design, pattern search, Jacobian) holds >= 2 runs.

    The last wave may hold the check runs at best alone (one, with one replication): the
    Jacobian's points around best were all stored already by the pattern search here.
    """
    from reformabm.calibration.calibrate import _Progress, _smm

    prob = problem_from_targets(targets, _params())
    assert prob.replications == 1
    ex = _WaveExecutor()
    res = _smm(prob, tmp_path, 24, executor=ex, progress=_Progress(24, True))
    assert set(res.history["stage"]) >= {"design", "pattern search", "Jacobian"}
    assert len(ex.waves) >= 3 and min(ex.waves[:-1]) >= 2, ex.waves
    assert sum(ex.waves) == res.runs


def test_abc_on_dask_gives_check_runs_equal_to_in_process_runs(targets, tmp_path):
    """The check runs at best, done on the Dask workers, are the runs this process would make."""
    pytest.importorskip("distributed")
    from reformabm.calibration.calibrate import _crn_seeds

    res = calibrate(targets, _params(), method="abc", budget=12, population=4, out=tmp_path, workers=2,
                    backend="dask", figures=False)
    assert res.check.shape == (1, 1) and res.runs >= 12
    here = [simulate(res.problem, res.best, s) for s in _crn_seeds(res.problem, 1)]
    assert res.check.tolist() == here
