"""Every notebook under notebooks/ runs top to bottom in quick mode, and is committed clean.

Quick mode (``PERFSIM_QUICK=1``) lowers replications and sample sizes so that each notebook runs in
well under two minutes. The notebooks are executed with nbclient in a python3 kernel with
``notebooks/`` as the working directory (as when a user opens them in JupyterLab); whatever they
write goes under the git-ignored ``results/``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from helpers import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
TIMEOUT = 300  # seconds per cell; the issue asks for < 2 minutes per notebook in quick mode
BUDGET = 120  # seconds per notebook


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks/*.ipynb found"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_is_clean(path: Path):
    """Committed without outputs and execution counts (regenerate nothing by hand)."""
    book = json.loads(path.read_text(encoding="utf-8"))
    dirty = [
        i
        for i, cell in enumerate(book["cells"])
        if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count"))
    ]
    assert not dirty, f"{path.name}: cells {dirty} have outputs or execution counts; clear them"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_runs_in_quick_mode(path: Path, monkeypatch: pytest.MonkeyPatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    monkeypatch.setenv("PERFSIM_QUICK", "1")
    monkeypatch.setenv("PYTHONIOENCODING", "utf-8")
    book = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        book,
        timeout=TIMEOUT,
        kernel_name="python3",
        allow_errors=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    started = time.perf_counter()
    client.execute()  # raises CellExecutionError on the first failing cell
    elapsed = time.perf_counter() - started
    errors = [
        out
        for cell in book.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]
    assert not errors
    assert elapsed < BUDGET, f"{path.name} took {elapsed:.0f} s in quick mode (budget {BUDGET} s)"
