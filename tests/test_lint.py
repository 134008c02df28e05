"""The package follows the project's ruff rules (numpy docstrings, imports, bugbear)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_is_clean():
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    if not Path(ruff).exists():
        pytest.skip("ruff is not installed (dev extra)")
    p = subprocess.run([ruff, "check", "reformabm", "tests", "benchmarks", "notebooks", "scripts"], cwd=ROOT,
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
