"""Reforms of the user's own: ``module:Class`` everywhere a built-in reform goes, and entry points."""

from __future__ import annotations

import json
import sys
import textwrap

import pytest

from reformabm import ReformModel
from reformabm.cli import main
from reformabm.errors import ReformError
from reformabm.reforms import REGISTRY, parse_reform, plugins

MODULE = textwrap.dedent('''
    """A reform of the user's own: residents report less for a while."""
    from dataclasses import dataclass

    from reformabm.reforms.base import Reform, set_spec


    @dataclass
    class QuietWeek(Reform):
        """Residents report less (a share of their propensity)."""

        label_zh = "安静周"
        share: float = 0.0

        def update_spec(self, spec):
            set_spec(spec, "quiet_week", {"residents.report_propensity": spec.residents.report_propensity * self.share})
''')


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    name = f"myreforms_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(MODULE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # imported from the working directory
    yield name
    sys.modules.pop(name, None)
    for k in [k for k, v in REGISTRY.items() if getattr(v, "__module__", "") == name]:
        REGISTRY.pop(k)


def test_class_path_parses_with_parameters_and_day(user_module):
    day, r = parse_reform(f"{user_module}:QuietWeek:share=0.25@10")
    assert day == 10 and type(r).__name__ == "QuietWeek" and r.share == 0.25
    day, r = parse_reform(f"{user_module}:QuietWeek@5")
    assert (day, r.share) == (5, 0.0)


def test_class_path_changes_a_run_and_is_recorded(user_module):
    quiet = ReformModel("teaching", rng=3, days=60, reforms=[f"{user_module}:QuietWeek@1"]).run()
    base = ReformModel("teaching", rng=3, days=60).run()
    assert quiet.summary()["reported_by_residents"] < base.summary()["reported_by_residents"]
    assert quiet.reforms_applied[0]["name"] == f"{user_module}:QuietWeek"


def test_class_path_from_the_cli_run_and_scenario_file(user_module, tmp_path, capsys):
    assert main(["run", "teaching", "--days", "20", "--reform", f"{user_module}:QuietWeek@3",
                 "--out", str(tmp_path / "o")]) == 0
    assert f"{user_module}:QuietWeek" in capsys.readouterr().out
    assert json.loads((tmp_path / "o" / "summary.json").read_text())["reforms_applied"] == \
        [f"{user_module}:QuietWeek@3"]
    from reformabm.resources import shipped

    text = shipped("models", "teaching.toml").read_text(encoding="utf-8")
    (tmp_path / "mine.toml").write_text(text + f'\n[[reforms]]\nname = "{user_module}:QuietWeek"\nday = 4\n'
                                        "share = 0.5\n", encoding="utf-8")
    m = ReformModel(str(tmp_path / "mine.toml"), rng=1, days=10).run()
    assert [r["day"] for r in m.reforms_applied] == [4]


def test_class_path_in_parallel_compare_workers(user_module, capsys):
    assert main(["compare", "teaching", "--reform", f"{user_module}:QuietWeek@2", "--seeds", "1..2",
                 "--days", "15", "--workers", "2", "--quiet"]) == 0


def test_bad_class_paths_are_clear_errors(user_module, capsys):
    with pytest.raises(ReformError, match="cannot import module 'no_such_mod'"):
        parse_reform("no_such_mod:Thing@3")
    with pytest.raises(ReformError, match="has no 'Nope'"):
        parse_reform(f"{user_module}:Nope@3")
    assert main(["run", "teaching", "--reform", "no_such_mod:Thing@3"]) == 2
    assert "no_such_mod" in capsys.readouterr().err


def test_entry_point_reforms_are_listed_and_usable(tmp_path, monkeypatch, capsys):
    (tmp_path / "epreforms.py").write_text(MODULE, encoding="utf-8")
    dist = tmp_path / "epreforms-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: epreforms\nVersion: 0.1\n", encoding="utf-8")
    (dist / "entry_points.txt").write_text("[reformabm.reforms]\nquiet_week = epreforms:QuietWeek\n",
                                           encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    plugins.load_entry_points.cache_clear()
    try:
        assert main(["reforms"]) == 0
        out = capsys.readouterr().out
        assert "quiet_week" in out and "安静周" in out
        day, r = parse_reform("quiet_week:share=0.5@7")
        assert (day, r.name, r.share) == (7, "quiet_week", 0.5)
    finally:
        REGISTRY.pop("quiet_week", None)
        sys.modules.pop("epreforms", None)
        plugins.load_entry_points.cache_clear()
