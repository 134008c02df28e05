import numpy as np
import pytest

from reformabm.calibration import CalibrationError
from reformabm.calibration.calibrate import Problem, _distance
from reformabm.calibration.targets import (
    check_params,
    deviation,
    load_targets,
    metric_range,
    parse_param,
    shipped_targets,
    within,
)
from reformabm.cli import main


def _write(tmp_path, body, name="t.toml"):
    p = tmp_path / name
    p.write_text(body, encoding="utf-8")
    return p


HEAD = '[calibration]\nscenario = "teaching"\ndays = 20\n'
GOOD = '[[target]]\nmetric = "closure_rate"\nvalue = 0.9\ntolerance = 0.05\nsource = "test"\n'


def test_shipped_targets_load_with_sources():
    assert {"shiquan", "kaifeng", "field"} <= set(shipped_targets())
    for name in shipped_targets():
        tf = load_targets(name)
        assert tf.target and all(t.source.strip() for t in tf.target)
        for t in tf.target:
            lo, hi = metric_range(t.metric)
            assert lo <= t.value <= hi


def _t(metric="closure_rate", value="0.5", tol="0.1", source='"x"'):
    body = f'[[target]]\nmetric = "{metric}"\nvalue = {value}\ntolerance = {tol}\n'
    return body + (f"source = {source}\n" if source is not None else "")


@pytest.mark.parametrize("body, field", [
    (_t(metric="no_such_metric"), "target[no_such_metric].metric"),
    (_t(source='"  "'), "target[closure_rate].source"),
    (_t(source=None), "target[closure_rate].source"),
    (_t(value="1.5"), "target[closure_rate]"),
    (_t(tol="0"), "target[closure_rate].tolerance"),
    (GOOD + '[[param]]\npath = "centre.authority"\nlo = 0.5\nhi = 0.2\n', "param[centre.authority]"),
    (GOOD + '[[param]]\npath = "centre.authority"\nlo = 0.0\nhi = 2.0\n', "centre.authority"),
    (GOOD + '[[param]]\npath = "centre.no_such"\nlo = 0.0\nhi = 1.0\n', "centre.no_such"),
    (GOOD + 'colour = "red"\n', "colour"),
    (_t() + 'kind = "about"\n', "target[closure_rate].kind"),
])
def test_bad_targets_exit_2_naming_the_field(tmp_path, capsys, body, field):
    p = _write(tmp_path, HEAD + body)
    with pytest.raises(CalibrationError, match=field.replace("[", r"\[").replace("]", r"\]")):
        load_targets(p)
    assert main(["calibrate", str(p), "--budget", "4"]) == 2
    err = capsys.readouterr().err
    assert field in err and "Traceback" not in err


def test_bad_scenario_and_missing_file(tmp_path):
    with pytest.raises(CalibrationError, match="no targets file"):
        load_targets("no_such_targets")
    p = _write(tmp_path, '[calibration]\nscenario = "atlantis"\n' + GOOD)
    with pytest.raises(CalibrationError, match="calibration.scenario"):
        load_targets(p)


def test_param_parsing_and_bounds():
    assert parse_param("leaders_attention_per_day=1:3").path == "leaders_attention_per_day"
    (p,) = check_params([parse_param("leaders_attention_per_day=1:3")], "teaching")
    assert p.path == "leaders.attention_per_day" and p.key == "leaders_attention_per_day"
    for bad in ("centre.authority", "centre.authority=0.2", "centre.authority=a:b", "=0:1"):
        with pytest.raises(CalibrationError, match="PATH=LO:HI"):
            parse_param(bad)
    with pytest.raises(CalibrationError, match="declared bounds"):
        check_params([parse_param("centre.authority=-0.5:0.5")], "teaching")
    with pytest.raises(CalibrationError, match="cannot be fitted"):
        check_params([parse_param("process.platform=0:1")], "teaching")


@pytest.mark.parametrize("sim, kind, dev, ok", [
    (0.985, "equal", 0.0, True), (0.99, "equal", 1.0, True), (0.9901, "equal", 1.02, False),
    (0.98, "equal", 1.0, True),
    (1.0, "at_least", 0.0, True), (0.985, "at_least", 0.0, True), (0.98, "at_least", 1.0, True),
    (0.9799, "at_least", 1.02, False), (0.97, "at_least", 3.0, False),
    (0.5, "at_most", 0.0, True), (0.99, "at_most", 1.0, True), (0.9901, "at_most", 1.02, False),
])
def test_deviation_and_within_by_kind(sim, kind, dev, ok):
    assert deviation(sim, 0.985, 0.005, kind) == pytest.approx(dev, abs=1e-6)
    assert within(sim, 0.985, 0.005, kind) is ok


def test_deviation_broadcasts_kinds_and_keeps_nan():
    d = deviation([1.0, 1.0, np.nan], [0.9, 0.9, 0.9], [0.05, 0.05, 0.05], ["equal", "at_least", "at_least"])
    assert d[0] == pytest.approx(2.0) and d[1] == 0.0 and np.isnan(d[2])
    with pytest.raises(ValueError, match="about"):
        deviation(1.0, 0.9, 0.05, "about")


def test_one_sided_target_in_file_and_in_the_fit_distance(tmp_path):
    p = _write(tmp_path, HEAD + _t(value="0.9", tol="0.05") + 'kind = "at_least"\n'
               + _t(metric="on_time_rate", value="0.5", tol="0.1"))
    tf = load_targets(p)
    assert [t.kind for t in tf.target] == ["at_least", "equal"]
    prob = Problem(scenario="teaching", days=20, metrics=("closure_rate", "on_time_rate"), observed=(0.9, 0.5),
                   tolerance=(0.05, 0.1), params=(), integer=(), kinds=("at_least", "equal"))
    # above the one-sided bound costs nothing; the two-sided target still counts both ways
    assert _distance(prob, np.array([1.0, 0.55])) == pytest.approx(0.5)
    assert _distance(prob, np.array([0.8, 0.5])) == pytest.approx(2.0)
    two_sided = Problem(scenario="teaching", days=20, metrics=("closure_rate", "on_time_rate"), observed=(0.9, 0.5),
                        tolerance=(0.05, 0.1), params=(), integer=())
    assert _distance(two_sided, np.array([1.0, 0.55])) == pytest.approx(2.0)
    assert two_sided.kinds == ("equal", "equal")


def test_shiquan_satisfaction_is_one_sided():
    t = {t.metric: t for t in load_targets("shiquan").target}["ledger_satisfaction"]
    assert (t.kind, t.value, t.tolerance) == ("at_least", 0.985, 0.005) and "003-07" in t.source
