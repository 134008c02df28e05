"""Scenario files: loading, validation errors, overrides, parameter names."""

from __future__ import annotations

import re
import tomllib

import pytest
from conftest import TINY, TINY_COUNTS, dump_toml, tiny_data

from reformabm import ReformModel, Scenario, load_scenario
from reformabm.errors import OverrideError, ScenarioError
from reformabm.parameters import parameter_specs, resolve_parameter
from reformabm.scenario import (
    MODELS_DIR,
    LevelName,
    apply_overrides,
    available_scenarios,
    scenario_path,
    validate_scenario,
)


def _error(path_or_data, overrides=None) -> str:
    """The message of the ScenarioError raised when loading."""
    with pytest.raises(ScenarioError) as info:
        if isinstance(path_or_data, dict):
            validate_scenario(path_or_data)
        else:
            load_scenario(path_or_data, overrides)
    msg = str(info.value)
    assert "Traceback" not in msg
    assert "\n" not in msg.strip(), "the message should be one paragraph"
    return msg


# ---- shipped scenarios -----------------------------------------------------------------------

def test_teaching_loads():
    sc = load_scenario("teaching")
    assert isinstance(sc, Scenario)
    assert sc.scenario.name == "teaching"
    counts = {str(lv.name): lv.count for lv in sc.levels}
    assert counts == {"grid": 120, "village": 40, "township": 5, "county": 1}
    assert len(sc.departments) == 13
    assert sc.residents.population == 60_000
    assert sc.residents.people_per_agent >= 1
    # levels are kept bottom-up
    assert [lv.name for lv in sc.levels][0] == LevelName.GRID
    assert sc.levels[-1].centre and sc.levels[-1].count == 1


def test_teaching_is_listed_and_resolves():
    names = available_scenarios()
    assert "teaching" in names and names["teaching"]
    assert scenario_path("teaching") == MODELS_DIR / "teaching.toml"


@pytest.mark.parametrize("name", sorted(available_scenarios()))
def test_every_shipped_scenario_validates(name):
    sc = load_scenario(name)
    assert sc.levels[-1].count == 1
    assert sum(1 for lv in sc.levels if lv.name == LevelName.GRID) == 1
    # a model can be built from it (org graph, tables, agents) and stepped once
    # (summary() is not called: its exact betweenness is slow on the big city scenarios)
    m = ReformModel(name, rng=1, days=1)
    m.step()
    assert m.day == 1 and not m.running
    ts = m.timeseries()
    assert len(ts) == 1
    row = ts.iloc[0]
    assert row["created_total"] == row["closed_total"] + row["open"] + row["withdrawn_total"]


def test_file_path_and_scenario_object_are_accepted(write_scenario):
    path = write_scenario()
    sc = load_scenario(path)
    assert sc.scenario.name == "tiny"
    assert load_scenario(str(path)) == sc
    assert load_scenario(sc) == sc  # an already validated scenario passes through
    assert {str(lv.name): lv.count for lv in sc.levels} == TINY_COUNTS


def test_levels_are_sorted_bottom_up_whatever_the_file_order(write_scenario):
    data = tiny_data()
    data["levels"] = list(reversed(data["levels"]))
    sc = load_scenario(write_scenario(data))
    assert [str(lv.name) for lv in sc.levels] == ["grid", "village", "township", "county"]


def test_dump_toml_round_trips_tiny():
    assert tomllib.loads(dump_toml(TINY)) == TINY


# ---- bad files -------------------------------------------------------------------------------

def _mut(fn):
    data = tiny_data()
    fn(data)
    return data


BAD_FILES = {
    "unknown field": (
        lambda d: d["centre"].update(authoritty=0.5),
        ["centre.authoritty", "0.5", "unknown field"],
    ),
    "wrong type": (
        lambda d: d["centre"].update(authority="high"),
        ["centre.authority", "'high'", "number"],
    ),
    "negative population": (
        lambda d: d["residents"].update(population=-5),
        ["residents.population", "-5", "greater than 0"],
    ),
    "out of bounds": (
        lambda d: d["centre"].update(authority=1.5),
        ["centre.authority", "1.5", "less than or equal to 1"],
    ),
    "wrong-length deadline_days": (
        lambda d: d.setdefault("process", {}).update(deadline_days=[1, 3, 5]),
        ["process.deadline_days", "[1, 3, 5]", "expected 5"],
    ),
    "wrong-length level_mix": (
        lambda d: d["categories"][0].update(level_mix=[0.5, 0.5]),
        ["categories[disorder].level_mix", "[0.5, 0.5]", "expected 5"],
    ),
    "department at a level without centre": (
        lambda d: d["departments"][0].update(level="township"),
        ["departments", "police", "township", "centre"],
    ),
    "unknown level name": (
        lambda d: d["levels"][1].update(name="prefecture"),
        ["levels[prefecture].name", "'prefecture'", "grid"],
    ),
    "top level count != 1": (
        lambda d: d["levels"][0].update(count=2),
        ["levels", "county", "count = 1"],
    ),
    "top level without centre": (
        lambda d: d["levels"][0].update(centre=False),
        ["levels", "county", "centre"],
    ),
    "more units above than below": (
        lambda d: d["levels"][2].update(count=1),
        ["levels", "township", "2", "village", "1"],
    ),
    "unknown residual department": (
        lambda d: d["centre"].update(residual_department="nobody"),
        ["centre.residual_department", "'nobody'"],
    ),
    "duplicate department": (
        lambda d: d["departments"][1].update(name="police"),
        ["departments", "police", "declared twice"],
    ),
    "missing required field": (
        lambda d: d["departments"][0].pop("staff"),
        ["departments[police].staff", "missing"],
    ),
    "no grid level": (
        lambda d: d.update(levels=[lv for lv in d["levels"] if lv["name"] != "grid"]),
        ["levels", "grid"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_FILES), ids=list(BAD_FILES))
def test_bad_file_gives_clear_error(case, write_scenario):
    mutate, needles = BAD_FILES[case]
    path = write_scenario(_mut(mutate), name="bad")
    msg = _error(path)
    assert str(path) in msg, "the message should name the file"
    for needle in needles:
        assert needle in msg, f"{needle!r} not in {msg!r}"


def test_top_level_count_error_names_the_value(write_scenario):
    data = tiny_data()
    data["levels"][0]["count"] = 3
    data["levels"][1]["count"] = 3
    path = write_scenario(data, name="bad")
    msg = _error(path).replace(str(path), "<file>")
    assert re.search(r"(?<![\w.])3(?![\w.])", msg), msg


def test_malformed_toml(write_scenario):
    path = write_scenario('[scenario]\nname = "broken\n[[levels]\n', name="broken")
    msg = _error(path)
    assert str(path) in msg and "not valid TOML" in msg


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.toml"
    msg = _error(path)
    assert str(path) in msg and "does not exist" in msg


def test_unknown_scenario_name_lists_the_shipped_ones():
    msg = _error("no_such_scenario_xyz")
    assert "no_such_scenario_xyz" in msg
    assert "teaching" in msg


def test_errors_name_every_broken_field_up_to_five(write_scenario):
    data = tiny_data(centre={"authority": 7.0}, residents={"population": 0})
    msg = _error(write_scenario(data, name="bad"))
    assert "centre.authority" in msg and "residents.population" in msg


def test_directory_named_like_a_scenario_does_not_shadow_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "teaching").mkdir()
    assert load_scenario("teaching").scenario.name == "teaching"


# ---- overrides -------------------------------------------------------------------------------

def test_apply_overrides_by_dotted_path_index_and_name():
    data = tiny_data()
    out = apply_overrides(data, {
        "centre.authority": 0.9,
        "levels[1].staff": 4.0,
        "levels[village].staff": 0.75,
        "departments[works].staff": 2.5,
        "categories[0].level_mix": [1, 0, 0, 0, 0],
        "process.hop_delay_days": 0,  # a section absent from the file is created
    })
    assert out["centre"]["authority"] == 0.9
    assert out["levels"][1]["staff"] == 4.0
    assert out["levels"][2]["staff"] == 0.75
    assert out["departments"][1]["staff"] == 2.5
    assert out["categories"][0]["level_mix"] == [1, 0, 0, 0, 0]
    assert out["process"] == {"hop_delay_days": 0}
    # the input is not modified
    assert data == TINY
    sc = validate_scenario(out)
    assert sc.centre.authority == 0.9
    assert sc.level("township").staff == 4.0
    assert sc.level("village").staff == 0.75


def test_apply_overrides_element_of_a_list_of_scalars():
    out = apply_overrides(tiny_data(process={"deadline_days": [1, 3, 5, 7, 10]}),
                          {"process.deadline_days[4]": 15})
    assert out["process"]["deadline_days"] == [1, 3, 5, 7, 15]


def test_apply_overrides_parses_strings_only_when_asked():
    raw = apply_overrides(tiny_data(), {"centre.authority": "0.8"})
    assert raw["centre"]["authority"] == "0.8"
    parsed = apply_overrides(tiny_data(), {"centre.authority": "0.8", "process.platform": "true",
                                           "categories[disorder].domains": '["order"]',
                                           "scenario.name": "plain words"},
                             parse_strings=True)
    assert parsed["centre"]["authority"] == 0.8
    assert parsed["process"]["platform"] is True
    assert parsed["categories"][0]["domains"] == ["order"]
    assert parsed["scenario"]["name"] == "plain words"


@pytest.mark.parametrize("path, needle", [
    ("no.such.path", "`no`"),
    ("centre.authoritty", "`authoritty`"),
    ("levels[7].staff", "out of range"),
    ("levels[prefecture].staff", "'prefecture'"),
    ("departments[police].budget", "`budget`"),
    ("centre..authority", "empty"),
    ("centre[0]", "not a list"),
])
def test_unknown_override_path_raises_override_error(path, needle):
    with pytest.raises(OverrideError) as info:
        apply_overrides(tiny_data(), {path: 1})
    assert path in str(info.value)
    assert needle in str(info.value)


def test_override_errors_are_scenario_errors():
    assert issubclass(OverrideError, ScenarioError)


def test_load_scenario_with_bad_override_value_names_field_and_value():
    msg = _error("teaching", {"centre.authority": 5})
    assert "centre.authority" in msg and "5" in msg and "less than or equal to 1" in msg


def test_model_keyword_parameters_override_the_scenario(tiny_path):
    m = ReformModel(tiny_path, rng=1, days=1, centre_authority=0.8, people_per_agent=7,
                    overrides={"levels[township].staff": 3.0})
    assert m.spec.centre.authority == 0.8
    assert m.spec.residents.people_per_agent == 7
    assert m.spec.level("township").staff == 3.0
    with pytest.raises(OverrideError):
        ReformModel(tiny_path, rng=1, days=1, no_such_parameter=1)
    with pytest.raises(ScenarioError):
        ReformModel(tiny_path, rng=1, days=1, centre_authority=-1)


# ---- parameter names -------------------------------------------------------------------------

def test_parameter_specs_are_complete_and_consistent():
    specs = parameter_specs()
    names = [s.name for s in specs]
    assert len(names) == len(set(names))
    by_name = {s.name: s for s in specs}
    for expected in ("centre_authority", "residents_people_per_agent", "process_platform",
                     "process_hop_delay_days", "leaders_attention_per_day",
                     "grid_patrol_discovery"):
        assert expected in by_name
    auth = by_name["centre_authority"]
    assert auth.path == "centre.authority"
    assert (auth.lower, auth.upper) == (0, 1)
    assert auth.source  # every parameter carries a source (a paper or "assumption")
    default = Scenario.model_validate(tiny_data())
    for s in specs:
        assert s.name == s.path.replace(".", "_", 1)
        section, field = s.path.split(".")
        assert getattr(getattr(default, section).__class__(), field) == s.default, s.name
        if s.lower is not None and isinstance(s.default, (int, float)):
            assert s.default >= s.lower, s.name
        if s.upper is not None and isinstance(s.default, (int, float)):
            assert s.default <= s.upper, s.name


def test_every_parameter_path_can_be_overridden_with_its_default():
    specs = parameter_specs()
    out = apply_overrides(tiny_data(), {s.path: s.default for s in specs})
    validate_scenario(out)


def test_resolve_parameter():
    assert resolve_parameter("centre_authority") == "centre.authority"  # flat name
    assert resolve_parameter("authority") == "centre.authority"  # bare field name
    assert resolve_parameter("people_per_agent") == "residents.people_per_agent"
    assert resolve_parameter("centre.authority") == "centre.authority"  # dotted path as is
    assert resolve_parameter("levels[township].staff") == "levels[township].staff"
    with pytest.raises(OverrideError) as info:
        resolve_parameter("centre_authority_x")
    assert "centre_authority_x" in str(info.value)
    assert "centre_authority" in str(info.value)  # a suggestion
    with pytest.raises(OverrideError):
        resolve_parameter("zzz_nothing")
