"""Ticket-log ingest: exact round trip on the model's own issues.parquet, a 12345 export, bad logs."""

import json
import math

import pandas as pd
import pytest

from reformabm import ReformModel
from reformabm.calibration.ingest import EXAMPLES_DIR, IngestError, ingest, load_columns
from reformabm.calibration.targets import load_targets
from reformabm.cli import main
from reformabm.outputs import write_run

MAP = EXAMPLES_DIR / "12345_columns.toml"
LOG = EXAMPLES_DIR / "12345_synthetic_log.csv"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("run")
    # supervision on: extensions make the original and the extended deadline differ
    m = ReformModel("teaching", rng=5, days=90, overrides={"accountability.supervision": True})
    m.run()
    write_run(m, d, history=False)
    return d


def test_round_trip_reproduces_summary(run_dir):
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["extensions"] > 0
    res = ingest(run_dir / "issues.parquet", population=summary["population"])
    assert res.rejected == [] and res.rows == summary["issues_created"]
    shared = [k for k in res.metrics if k in summary]
    assert len(shared) >= 40
    for k in shared:
        want, got = summary[k], res.metrics[k]
        if want is None:
            assert got is None or math.isnan(got), k
        else:
            assert got == pytest.approx(want, abs=1e-12), k
    assert summary["on_time_rate"] != summary["on_time_rate_extended"]


def test_cli_writes_targets_calibrate_accepts(run_dir, tmp_path, capsys):
    out = tmp_path / "t.toml"
    assert main(["ingest", str(run_dir / "issues.parquet"), "--out", str(out), "--scenario", "teaching"]) == 0
    tf = load_targets(out)
    summary = json.loads((run_dir / "summary.json").read_text())
    by = {t.metric: t for t in tf.target}
    assert by["closure_rate"].value == pytest.approx(summary["closure_rate"])
    assert "issues.parquet" in by["closure_rate"].source and str(summary["issues_created"]) in by["closure_rate"].source
    assert tf.calibration.days == summary["days"]


def test_12345_export_with_bad_rows(tmp_path, capsys):
    res = ingest(LOG, MAP, population=30000)
    assert res.rows + len(res.rejected) == len(pd.read_csv(LOG))
    lines = dict(res.rejected)
    assert any("受理时间" in why for why in lines.values()) and any("办理状态" in why for why in lines.values())
    assert all(ln >= 2 for ln in lines)  # CSV line numbers (header = line 1)
    m = res.metrics
    assert 0 < m["on_time_rate"] <= m["on_time_rate_closed_only"] <= 1
    assert 0 < m["satisfaction"] < 1 and m["reopened_rate"] > 0
    assert all(not math.isnan(m[f"on_time_rate_level_{k}"]) for k in range(1, 6))
    out = tmp_path / "t.toml"
    assert main(["ingest", str(LOG), "--columns", str(MAP), "--out", str(out), "--tolerance", "0.05",
                 "--tolerance", "days_to_close_mean=1"]) == 0
    err = capsys.readouterr().err
    assert "line" in err and "rejected" in err
    tf = load_targets(out)
    tols = {t.metric: t.tolerance for t in tf.target}
    assert tols["days_to_close_mean"] == 1 and tols["closure_rate"] == 0.05


@pytest.mark.parametrize("make, expect", [
    (lambda p: p.write_text("a,b\n1,2\n", encoding="utf-8"), "created"),
    (lambda p: p.write_text("受理时间,办结时间\nxx,\nyy,\n", encoding="utf-8"), "none of its 2 rows"),
])
def test_bad_logs(tmp_path, capsys, make, expect):
    log = tmp_path / "log.csv"
    make(log)
    cmap = tmp_path / "m.toml"
    cmap.write_text('[columns]\ncreated = "受理时间"\n[format]\ntime = "date"\n', encoding="utf-8")
    with pytest.raises(IngestError, match=expect):
        ingest(log, cmap)
    assert main(["ingest", str(log), "--columns", str(cmap), "--out", str(tmp_path / "o.toml")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err


@pytest.mark.parametrize("body, field", [
    ('[columns]\ncolour = "x"\ncreated = "t"\n', "columns.colour"),
    ('[columns]\nclosed = "t"\n', "columns.created"),
    ('[columns]\ncreated = "t"\n[format]\ntime = "week"\n', "format.time"),
    ('[columns]\ncreated = "t"\n[values.status]\n"完成" = "finished"\n', "values.status"),
    ('[columns]\ncreated = "t"\n[values.satisfaction]\n"满意" = 5\n', "values.satisfaction"),
])
def test_bad_column_maps(tmp_path, body, field):
    p = tmp_path / "m.toml"
    p.write_text(body, encoding="utf-8")
    with pytest.raises(IngestError, match=field.replace(".", r"\.")):
        load_columns(p)


def test_missing_mapped_column_named(tmp_path):
    with pytest.raises(IngestError, match="办结时间"):
        log = tmp_path / "l.csv"
        log.write_text("受理时间\n2024-01-01\n", encoding="utf-8")
        cmap = tmp_path / "m.toml"
        cmap.write_text('[columns]\ncreated = "受理时间"\nclosed = "办结时间"\n[format]\ntime = "date"\n',
                        encoding="utf-8")
        ingest(log, cmap)
