import pytest

from reformabm.calibration import CalibrationError
from reformabm.calibration.targets import check_params, load_targets, metric_range, parse_param, shipped_targets
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
