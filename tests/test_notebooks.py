"""The notebooks: jupytext pairs, a percent-format ``.py`` source (reviewed and linted by ruff)
beside each ``.ipynb`` stored without outputs; each runs top to bottom (nbclient) with small
settings injected after its ``parameters`` cell.

Executing them takes a few minutes in all, so those tests are marked ``slow``; the check that
the pairs agree and the stored notebooks are clean is fast. Both need the ``notebooks`` extra
(jupytext, nbclient, ipykernel).
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"

#: Small settings per notebook (inserted after its parameters cell): short runs, two seeds.
SMALL: dict[str, str] = {
    "01_quickstart": "DAYS = 60",
    "02_linkage_centre": (
        "DAYS = 40\nSWEEP_DAYS = 30\nSEEDS = [1, 2]\nAUTHORITY = [0.2, 0.8]\nLOAD = [1.0, 1.25]"
    ),
    "03_five_level_platform": "DAYS = 40\nSEEDS = [1, 2]",
    "04_abolishing_the_township": "LONGGANG_DAYS = 100\nDAYS = 70\nREFORM_DAY = 35\nSEEDS = [1, 2]",
    "05_involution_trap": (
        "DAYS = 100\nSEEDS = [1, 2]\nTARGETS = [0.9, 0.96]\nOVERHEADS = [0.005, 0.01]"
    ),
    # the sweep file's reforms apply on day 90, so its runs need more days
    "06_sweeps_and_sensitivity": "TRAJECTORIES = 2\nDAYS = 95\nSOBOL_N = 4",
    "07_calibration": "DAYS = 30\nBUDGET = 12\nLOG_BUDGET = 8\nWORKERS = 1",
    "08_scenario_discovery": "POINTS = 24\nDAYS = 40\nREFORM_DAY = 20\nSHARDS = 2\nSOBOL_N = 4",
    "classroom/exercise_overloaded_county": "DAYS = 60\nREFORM_DAY = 20\nSEEDS = [1, 2]",
    "classroom/answers_overloaded_county": "DAYS = 60\nREFORM_DAY = 20\nSEEDS = [1, 2]",
    "classroom/exercise_middle_layer": "DAYS = 70\nREFORM_DAY = 35\nSEEDS = [1, 2]",
    "classroom/answers_middle_layer": "DAYS = 70\nREFORM_DAY = 35\nSEEDS = [1, 2]",
}
CELL_TIMEOUT = 600  # seconds per cell


def source_of(name: str) -> Path:
    return NOTEBOOKS / f"{name}.py"


def read_source(name: str):
    jupytext = pytest.importorskip("jupytext", reason="the notebooks need the 'notebooks' extra (jupytext)")
    return jupytext.read(source_of(name))


def _cells(nb) -> list[tuple[str, str, tuple]]:
    return [(c.cell_type, c.source.strip(), tuple(c.metadata.get("tags", []))) for c in nb.cells]


def test_every_notebook_has_a_source_and_small_settings():
    sources = {str(p.relative_to(NOTEBOOKS).with_suffix("")) for p in NOTEBOOKS.rglob("*.py")}
    stored = {str(p.relative_to(NOTEBOOKS).with_suffix("")) for p in NOTEBOOKS.rglob("*.ipynb")
              if ".ipynb_checkpoints" not in p.parts}
    assert sources == stored == set(SMALL)


@pytest.mark.parametrize("name", list(SMALL))
def test_stored_notebook_matches_its_source_and_has_no_outputs(name):
    import nbformat

    src = read_source(name)
    stored = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    assert _cells(stored) == _cells(src), f"{name}.ipynb differs from {name}.py: run `make notebooks`"
    assert all(not c.get("outputs") and c.get("execution_count") is None
               for c in stored.cells if c.cell_type == "code"), f"{name}.ipynb has outputs"
    meta = stored.metadata
    assert meta["jupytext"]["formats"] == "ipynb,py:percent"
    assert meta["kernelspec"]["name"] == "python3" and meta["language_info"]["name"] == "python"


def test_each_notebook_has_one_parameters_cell_and_cites_seed_papers():
    for name in SMALL:
        nb = read_source(name)
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, name
        text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        assert any(f"00{k}" in text for k in range(5)), name


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SMALL))
def test_notebook_runs(name):
    pytest.importorskip(
        "nbclient", reason="executing notebooks needs the 'notebooks' extra (nbclient)"
    )
    pytest.importorskip(
        "ipykernel", reason="executing notebooks needs the 'notebooks' extra (ipykernel)"
    )
    import nbformat
    from nbclient import NotebookClient

    nb = read_source(name)
    i = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    nb.cells.insert(i + 1, nbformat.v4.new_code_cell(SMALL[name], id="injected-parameters"))
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(source_of(name).parent)}},
    )
    client.execute()  # raises CellExecutionError, with the cell and the traceback, on any error
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert images, f"{name}: no figure was displayed"
    tracebacks = [o.text for o in outputs if o.output_type == "stream" and "Traceback" in o.text]
    assert not tracebacks, tracebacks[0]
