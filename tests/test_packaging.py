"""The package as a user gets it: a wheel built from the source, installed elsewhere, run from elsewhere."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import reformabm
from reformabm.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _can_build_wheels() -> str | None:
    """Why a wheel cannot be built here (None when it can)."""
    if importlib.util.find_spec("pip") is None:
        return "pip is not installed in this Python"
    if importlib.util.find_spec("setuptools") is None:
        return "setuptools (the build backend, in the dev extra) is not installed"
    return None


@pytest.fixture(scope="module")
def wheel_install(tmp_path_factory) -> tuple[Path, Path]:
    why = _can_build_wheels()
    if why:
        pytest.skip(f"cannot build a wheel: {why}")
    src = tmp_path_factory.mktemp("src")  # a clean copy: no build/ or egg-info of the clone leaks in
    shutil.copytree(ROOT, src, dirs_exist_ok=True, symlinks=True,
                    ignore=shutil.ignore_patterns(".venv", ".git", "runs", "build", "*.egg-info", "__pycache__",
                                                  ".pytest_cache", "notebooks", "benchmarks", "docs"))
    dist = tmp_path_factory.mktemp("dist")
    res = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                          "-w", str(dist), str(src)], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    (whl,) = dist.glob("reformabm-*.whl")
    target = tmp_path_factory.mktemp("site")
    res = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
                          str(whl)], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    return whl, target


def _run_installed(target: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(target)}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_wheel_holds_data_and_licence(wheel_install):
    whl, _ = wheel_install
    names = zipfile.ZipFile(whl).namelist()
    for must in ["reformabm/models/teaching.toml", "reformabm/models/shiquan.toml",
                 "reformabm/models/sweeps/teaching_sweep.toml", "reformabm/calibration/patterns.toml",
                 "reformabm/py.typed", "reformabm/public/fonts/NotoSansCJKsc-Regular-subset.otf",
                 "reformabm/public/fonts/OFL.txt"]:
        assert must in names, must
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names), names[-8:]
    meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(whl).read(meta).decode()
    assert f"Version: {reformabm.__version__}" in text
    assert "Requires-Dist: tqdm" in text


def test_installed_wheel_runs_a_shipped_scenario_from_elsewhere(wheel_install, tmp_path):
    _, target = wheel_install
    res = _run_installed(target, tmp_path, "-c",
                         "import reformabm; from reformabm import ReformModel; print(reformabm.__file__); "
                         "m = ReformModel('shiquan', days=5); m.run(); print(m.summary()['issues_created'])")
    assert res.returncode == 0, res.stderr
    where, created = res.stdout.split()
    assert Path(where).is_relative_to(target)  # the installed copy, not the clone
    assert int(created) > 0
    res = _run_installed(target, tmp_path, "-m", "reformabm", "run", "teaching", "--days", "20", "--out", "out")
    assert res.returncode == 0, res.stderr
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["days"] == 20
    res = _run_installed(target, tmp_path, "-m", "reformabm", "validate", "--list")
    assert res.returncode == 0 and "003-" in res.stdout, res.stderr


def test_version_option(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"reformabm {reformabm.__version__} (Mesa 3.5")
