"""The `reformabm` command: outputs of `run` (the output contract) and clear errors."""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest
from conftest import run_model

from reformabm.cli import main
from reformabm.metrics import UTILISATION_KINDS

REFORMABM = Path(sys.executable).parent / "reformabm"

CONTRACT_FILES = ["summary.json", "timeseries.parquet", "issues.parquet", "org_graph.graphml"]

SUMMARY_KEYS = [
    "scenario", "seed", "days", "population", "issues_created", "issues_closed", "issues_open",
    "issues_withdrawn", "closure_rate", "on_time_rate", "days_to_close_mean", "days_to_close_p50",
    "days_to_close_p90", "coordination_dependence", "pushback_rate", "misdispatch_rate",
    "formal_closure_share", "involution_index", "satisfaction", "staff_total", "n_layers",
    "span_of_control_max", "centre_betweenness",
    *[f"on_time_rate_level_{k}" for k in range(1, 6)],
    *[f"blame_level_{k}" for k in range(1, 6)],
]

TIMESERIES_COLUMNS = ["day", "created_total", "closed_total", "withdrawn_total", "open"]

ISSUE_COLUMNS = [
    "issue_id", "created_day", "grid", "category", "required_level", "domains", "channel", "status",
    "end_day", "hops", "bounces", "needed_leader", "formal_closure", "reopened_from",
    "blamed_level",
]


def cli(argv, capsys):
    """Run the command in-process; return (exit status, stdout, stderr)."""
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse errors exit through SystemExit
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def _check_outputs(out: Path, days: int, seed: int) -> dict:
    for name in CONTRACT_FILES:
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    missing = [k for k in SUMMARY_KEYS if k not in summary]
    assert not missing, missing
    for kind in ("grid", "village", "township", "centre", "department", "leader"):
        assert f"utilisation_{kind}" in summary
    assert summary["scenario"] == "teaching" and summary["seed"] == seed
    assert summary["days"] == days and summary["population"] == 60_000
    # flat keys: scalars (or lists of names) only, JSON-clean (no NaN)
    for k, v in summary.items():
        assert not isinstance(v, dict), k
        assert not (isinstance(v, float) and not math.isfinite(v)), k
    assert summary["issues_created"] == (summary["issues_closed"] + summary["issues_open"]
                                         + summary["issues_withdrawn"])
    for k in ("closure_rate", "on_time_rate", "coordination_dependence", "pushback_rate",
              "misdispatch_rate"):
        assert summary[k] is None or 0.0 <= summary[k] <= 1.0, k
    assert summary["days_to_close_p50"] <= summary["days_to_close_p90"]
    assert summary["n_layers"] == 4 and summary["span_of_control_max"] >= 8

    ts = pd.read_parquet(out / "timeseries.parquet")
    assert len(ts) == days
    assert ts["day"].tolist() == list(range(1, days + 1))
    assert set(TIMESERIES_COLUMNS) <= set(ts.columns)
    assert (ts["created_total"] == ts["closed_total"] + ts["open"] + ts["withdrawn_total"]).all()
    assert ts["created_total"].iloc[-1] == summary["issues_created"]

    issues = pd.read_parquet(out / "issues.parquet")
    missing = [c for c in ISSUE_COLUMNS if c not in issues.columns]
    assert not missing, missing
    assert issues.columns[0] == "issue_id"
    assert len(issues) == summary["issues_created"]
    assert issues["issue_id"].is_unique
    assert set(issues["status"].astype(str)) <= {"closed", "open", "withdrawn"}
    assert (issues["status"] == "closed").sum() == summary["issues_closed"]
    assert issues.loc[issues["status"] == "open", "end_day"].isna().all()
    assert issues.loc[issues["status"] != "open", "end_day"].notna().all()
    assert issues["required_level"].between(1, 5).all()

    g = nx.read_graphml(out / "org_graph.graphml")
    kinds = {d["kind"] for _, d in g.nodes(data=True)}
    assert {"county", "township", "village", "grid", "centre", "department"} <= kinds
    assert all("kind" in d for _, _, d in g.edges(data=True))
    return summary


def test_run_in_process_writes_the_contract_files(tmp_path, capsys):
    out = tmp_path / "run"
    code, stdout, err = cli(["run", "teaching", "--days", "20", "--seed", "4", "--out", str(out)],
                            capsys)
    assert code == 0, err
    assert "Traceback" not in err
    summary = _check_outputs(out, days=20, seed=4)
    assert str(out) in stdout
    # the same run from Python gives the same numbers
    m = run_model("teaching", days=20, seed=4)
    assert m.summary()["issues_created"] == summary["issues_created"]
    assert m.summary()["issues_closed"] == summary["issues_closed"]


def test_run_via_the_installed_command(tmp_path):
    """Once through the console script, in a fresh process (hash seed differs): same results."""
    out = tmp_path / "sub"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG", "REFORMABM_LANG"))}
    env.update(PYTHONHASHSEED="12345", LANG="zh_CN.UTF-8")  # the language follows the locale
    proc = subprocess.run(
        [str(REFORMABM), "run", "teaching", "--days", "20", "--seed", "9", "--out", str(out),
         "--set", "centre.authority=0.6"],
        capture_output=True, text=True, env=env, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    summary = _check_outputs(out, days=20, seed=9)
    # the readable table names the key results in one language
    assert "办结率" in proc.stdout and "closure rate" not in proc.stdout
    assert f"{summary['issues_created']:,}" in proc.stdout
    m = run_model("teaching", days=20, seed=9, centre_authority=0.6)
    mine = m.summary()
    for k in ("issues_created", "issues_closed", "issues_open", "issues_withdrawn", "pushback_rate",
              "days_to_close_mean", "centre_betweenness"):
        assert summary[k] == pytest.approx(mine[k], nan_ok=True), k


def test_summary_table_follows_redirected_stdout(tmp_path):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["run", "teaching", "--days", "2", "--out", str(tmp_path)])
    assert code == 0
    assert "outputs written" in buf.getvalue()
    assert "closure rate" in buf.getvalue()


def test_run_defaults_to_the_scenarios_seed_and_quiet_prints_nothing(tmp_path, capsys):
    argv = ["run", "teaching", "--days", "3", "--quiet", "--out", str(tmp_path)]
    code, stdout, _ = cli(argv, capsys)
    assert code == 0 and stdout == ""
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["seed"] == 1  # [scenario] seed of teaching.toml
    assert summary["days"] == 3


def test_run_writes_graphml_and_events_by_default_and_opts_out(tmp_path, capsys):
    code, stdout, _ = cli(["run", "teaching", "--days", "4", "--out", str(tmp_path / "a")], capsys)
    assert code == 0
    assert (tmp_path / "a" / "org_graph.graphml").exists() and (tmp_path / "a" / "events.parquet").exists()
    assert "org_graph.graphml" in stdout
    code, stdout, _ = cli(["run", "teaching", "--days", "4", "--out", str(tmp_path / "b"), "--no-events",
                           "--no-graphml"], capsys)
    assert code == 0
    assert not (tmp_path / "b" / "org_graph.graphml").exists() and not (tmp_path / "b" / "events.parquet").exists()
    assert "org_graph.graphml" not in stdout and "events.parquet" not in stdout
    a, b = (pd.read_parquet(tmp_path / d / "issues.parquet") for d in "ab")
    assert a.equals(b)


def test_an_output_file_that_cannot_be_written_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "events.parquet").mkdir()  # the events cannot be written there
    code, _, err = cli(["run", "teaching", "--days", "5", "--quiet", "--out", str(tmp_path)], capsys)
    assert code == 2 and "Traceback" not in err
    assert "cannot write run outputs" in err and "events.parquet" in err
    assert len(pd.read_parquet(tmp_path / "issues.parquet")) > 0  # what came before it is kept


def test_help_is_light():
    # reformabm --help does not import the model's heavy dependencies
    code = ("import sys, reformabm.cli as c; c.build_parser(); "
            "print(sorted({'mesa', 'pandas', 'scipy'} & set(sys.modules)))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"


def test_set_overrides_reach_the_run(tmp_path, capsys, tiny_path):
    code, _, err = cli(["run", str(tiny_path), "--days", "5", "--quiet", "--out", str(tmp_path),
                        "--set", "centre.authority=0.9", "--set", "levels[township].staff=2.5",
                        "--set", "people_per_agent=20"], capsys)
    assert code == 0, err
    spec = json.loads((tmp_path / "scenario.json").read_text())
    assert spec["centre"]["authority"] == 0.9
    assert [lv["staff"] for lv in spec["levels"] if lv["name"] == "township"] == [2.5]
    assert spec["residents"]["people_per_agent"] == 20


@pytest.mark.parametrize("argv, needles", [
    (["run", "no_such_scenario_xyz"], ["no_such_scenario_xyz", "teaching"]),
    (["run", "teaching", "--set", "no.such.path=1"], ["no.such.path", "unknown field"]),
    (["run", "teaching", "--set", "centre.authority=abc"], ["centre.authority", "'abc'", "number"]),
    (["run", "teaching", "--set", "centre.authority=5"], ["centre.authority", "5", "less than"]),
    (["run", "teaching", "--set", "authority"], ["authority", "path=value"]),
    (["run", "teaching", "--set", "nonsense=1"], ["nonsense", "not a scenario parameter"]),
    (["run", "teaching", "--set", "levels[prefecture].staff=1"], ["prefecture"]),
    (["run", "teaching", "--days", "0"], ["--days", "0"]),
    (["run", "teaching", "--days", "many"], ["--days", "many"]),
    (["run", "teaching", "--seed", "-3"], ["--seed", "-3"]),
    (["frobnicate"], ["frobnicate"]),
])
def test_bad_input_exits_2_with_a_message(argv, needles, capsys, tmp_path):
    code, _, err = cli([*argv, "--out", str(tmp_path / "x")] if argv[0] == "run" else argv, capsys)
    assert code == 2
    assert "Traceback" not in err
    assert err.strip(), "a message on stderr"
    for n in needles:
        assert n in err, (n, err)
    assert not (tmp_path / "x" / "summary.json").exists()


def test_malformed_scenario_file_exits_2(tmp_path, capsys, write_scenario):
    path = write_scenario('[scenario\nname = "x"\n', name="broken")
    code, _, err = cli(["run", str(path), "--days", "2"], capsys)
    assert code == 2
    assert str(path) in err and "TOML" in err and "Traceback" not in err


def test_invalid_scenario_file_exits_2(capsys, write_scenario):
    from conftest import tiny_data

    path = write_scenario(tiny_data(residents={"population": -10}), name="neg")
    code, _, err = cli(["run", str(path), "--days", "2"], capsys)
    assert code == 2
    assert "residents.population" in err and "-10" in err


def test_output_directory_that_is_a_file_exits_2(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    code, _, err = cli(["run", "teaching", "--days", "2", "--quiet", "--out", str(blocker)], capsys)
    assert code == 2 and str(blocker) in err and "Traceback" not in err


@pytest.mark.parametrize("path", ["centre.authority.x", "levels.staff"])
def test_set_path_through_a_scalar_or_a_list_exits_2(path, capsys):
    code, _, err = cli(["run", "teaching", "--days", "2", "--set", f"{path}=1"], capsys)
    assert code == 2 and path in err


def test_scenarios_lists_the_shipped_scenarios(capsys):
    code, out, _ = cli(["scenarios"], capsys)
    assert code in (0, None)
    assert "teaching" in out


def test_params_lists_every_parameter(capsys):
    from reformabm.parameters import parameter_specs

    code, out, _ = cli(["params"], capsys)
    assert code in (0, None)
    for spec in parameter_specs():
        assert spec.name in out and spec.path in out
    assert "centre_authority" in out and "source" in out


def test_help_exits_0(capsys):
    code, out, _ = cli(["--help"], capsys)
    assert code == 0 and "run" in out


def test_utilisation_kinds_cover_the_teaching_units():
    kinds = {k.value for k in UTILISATION_KINDS}
    assert {"grid", "village", "township", "centre", "department", "leader"} <= kinds


# ---- terminal habits (issue 16) ---------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_summary_table_lines_up_by_display_width_in_one_language(lang, capsys):
    from reformabm.terminal import display_width

    assert main(["run", "teaching", "--days", "30", "--lang", lang, "--reform", "empower_centre@10"]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = [ln for ln in lines[1:] if ln.startswith("  ") and not ln.startswith("  day") and "第" not in ln]
    assert len(rows) >= 20
    # values are right-aligned: each number ends at the same display column
    ends = set()
    for ln in rows:
        m = re.search(r"(\d|n/a)(?=(\s+(%|days|天))?$)", ln)
        ends.add(display_width(ln[: m.end()]))
    assert len(ends) == 1, rows
    text = "\n".join(lines)
    has_zh = bool(re.search(r"[\u4e00-\u9fff]", text.split("\n", 1)[1]))
    assert has_zh == (lang == "zh")
    assert ("closure rate" in text) == (lang == "en")
    created = next(ln for ln in rows if ("issues created" in ln or "事件总数" in ln))
    assert re.search(r"\d,?\d*$", created) and "." not in created.split()[-1]  # counts as integers
    staff = next(ln for ln in rows if "staff-days/day" in ln or "人日/日" in ln)
    assert "编制人数" not in staff  # staff-days a day, not a head count
    words = {"en": ["median days", "90th", "99th", "mean days"], "zh": ["中位数", "90分位", "99分位", "平均办结"]}
    order = [next(i for i, ln in enumerate(rows) if w in ln) for w in words[lang]]
    assert order == sorted(order)  # p50, p90, p99, mean
    reform = [ln for ln in lines if "empower_centre" in ln]
    assert reform and ("day 10" in reform[0] or "第 10 天" in reform[0])


def test_bad_option_value_prints_the_subcommands_usage(capsys):
    assert main_exit(["run", "--days", "-5"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: reformabm run ") and "--days" in err and "Traceback" not in err
    assert main_exit(["compare", "teaching", "--reform", "platform@5", "--lang", "fr"]) == 2
    assert capsys.readouterr().err.startswith("usage: reformabm compare ")


def test_params_of_a_scenario_marks_its_own_values(capsys):
    assert main(["params", "shiquan"]) == 0
    out = capsys.readouterr().out
    pop = next(ln for ln in out.splitlines() if "residents.population " in ln)
    assert pop.startswith("*") and "182000" in pop and "(default 60000)" in pop
    same = next(ln for ln in out.splitlines() if "residents.people_per_agent" in ln)
    assert not same.startswith("*")
    assert main_exit(["params", "no_such_scenario"]) == 2


def main_exit(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code)


def test_ctrl_c_stops_a_parallel_compare_with_exit_130_and_no_workers_left(tmp_path):
    import signal
    import time

    proc = subprocess.Popen([str(REFORMABM), "compare", "teaching", "--reform", "platform@30", "--seeds", "1..400",
                             "--workers", "2", "--days", "120"], cwd=tmp_path, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(5)  # the pool is up and runs are in flight
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole process group
    try:
        _, err = proc.communicate(timeout=30)  # a hang guard, not a timing assertion
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    for _ in range(40):  # multiprocessing's forkserver and resource tracker exit once they see the driver gone
        left = subprocess.run(["pgrep", "-g", str(proc.pid)], capture_output=True, text=True).stdout.split()
        if not left:
            break
        time.sleep(0.5)
    assert left == [], f"processes left behind: {left}"
