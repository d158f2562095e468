"""Every notebook under notebooks/ runs top to bottom in quick mode, shows every figure it draws,
prints no warning, and is committed clean.

Quick mode (``PERFSIM_QUICK=1``) lowers replications and sample sizes so that each notebook runs in
well under two minutes. The notebooks are executed with nbclient in a python3 kernel with
``notebooks/`` as the working directory (as when a user opens them in JupyterLab); whatever they
write goes under the git-ignored ``results/``.

A cell *draws a figure* when, outside a function definition, it calls a perfsim figure function
(``*_figure``), a drawing helper of notebook 02 (``three_panels``, ``draw_*``) or
``plt.show``. Each such cell must have an image output (``image/png`` or ``image/svg+xml``), and
no other cell may have one (so the detection cannot miss a figure cell silently). Cells that only
build slider widgets are not figure cells: their figures exist only in a live front end.
"""

from __future__ import annotations

import ast
import json
import time
from pathlib import Path

import pytest
from helpers import ROOT, notebook_client

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
TIMEOUT = 300  # seconds per cell; the issue asks for < 2 minutes per notebook in quick mode
# The kernel's CPU seconds (and its finished children's) per notebook, as a multiple of the CPU
# seconds of a reference run in this test session (:func:`reference_seconds`): a ratio measured on
# the same machine, so that a slower machine does not fail a notebook and a faster one does not
# hide a slower notebook (in seconds, a budget of 120 s failed notebook 03 at 152 s on a shared
# machine that ran everything 3-4x slower; there the reference took 1.06 s, notebook 03, the
# heaviest, 144 references). On a shared machine the wall time measures the other users' load as
# much as the notebook (wall time when psutil is missing). The suite runs in one process per core
# (pytest-xdist), and a process's CPU seconds stretch while the other cores work: in CI on a
# clean clone notebook 03 took 195 references (105 s against 0.54 s), against 144 run alone.
# 240 until 2026-12-07, when the reference itself got 8-10 % faster (the best response's scores in
# one compiled pass) and notebook 03, little of it a best response, did not: it then took 262
# references in one clean-clone CI run (47 s against 0.18 s; 99-135 run alone). 280 until later
# that day, when the reference got faster again (up to 10 % at 1,000 departments, less at 66)
# and notebook 03 took 168 references run alone (42 s against 0.25 s): under the CPU stretch
# of a parallel run that could reach the budget. The budget is still well below the two
# minutes a notebook (360 references of 0.18-0.25 s: 65-90 s of CPU).
BUDGET_REFERENCES = 360


@pytest.fixture(scope="module")
def reference_seconds() -> float:
    """CPU seconds of the reference run: Hangzhou's best response, 20 replications, the best of
    three (the least disturbed)."""
    import perfsim

    scenario = perfsim.load_scenario(ROOT / "scenarios" / "hangzhou-2011.toml")
    times = []
    for _ in range(3):
        started = time.process_time()
        perfsim.simulate(scenario, reps=20, seed=0)
        times.append(time.process_time() - started)
    return min(times)


def _measure_kernel_cpu(client) -> list[float]:
    """A list that holds, after each executed cell, the kernel's CPU seconds so far (stays
    empty without psutil or a local kernel process)."""
    seconds: list[float] = []
    process = []

    def start(**_) -> None:
        try:
            import psutil

            process.append(psutil.Process(client.km.provisioner.pid))
        except Exception:  # no psutil, or a kernel that is not a local process
            pass

    def executed(**_) -> None:
        if process:
            t = process[0].cpu_times()
            seconds.append(t.user + t.system + t.children_user + t.children_system)

    client.on_notebook_start = start
    client.on_cell_executed = executed
    return seconds


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


IMAGES = ("image/png", "image/svg+xml")


def _called(func: ast.expr) -> str:
    """``name`` of ``name(...)`` and ``a.b.name(...)``; ``plt.show`` for pyplot's show."""
    if isinstance(func, ast.Attribute):
        return "plt.show" if ast.unparse(func) in ("plt.show", "pyplot.show") else func.attr
    return func.id if isinstance(func, ast.Name) else ""


def draws_figure(source: str) -> bool:
    """True if the cell, outside function definitions, calls something that draws a figure."""
    code = "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line for line in source.split("\n")
    )
    pending: list[ast.AST] = [ast.parse(code)]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if isinstance(node, ast.Call):
            name = _called(node.func)
            if name.endswith("_figure") or name.startswith("draw_"):
                return True
            if name in ("three_panels", "plt.show"):
                return True
        pending.extend(ast.iter_child_nodes(node))
    return False


def test_figure_cells_are_recognised():
    assert draws_figure("figures.forest_figure(t, reference='a')")
    assert draws_figure("x = 1\ndraw_tournament(0.4).round(3)")
    assert draws_figure("%matplotlib inline\nfig, ax = plt.subplots()\nplt.show()")
    assert not draws_figure("def draw(x):\n    three_panels(x)\n    plt.show()")
    assert not draws_figure("controls(draw_goodhart, weight=widgets.FloatSlider())")
    assert not draws_figure("from perfsim.empirical.figures import caterpillar_figure")


def _outputs(cell, kind: str) -> list:
    return [out for out in cell.get("outputs", []) if out.get("output_type") == kind]


def _has_image(cell) -> bool:
    return any(
        mime in out.get("data", {})
        for kind in ("display_data", "execute_result")
        for out in _outputs(cell, kind)
        for mime in IMAGES
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_runs_in_quick_mode(
    path: Path, monkeypatch: pytest.MonkeyPatch, reference_seconds: float
):
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    monkeypatch.setenv("PERFSIM_QUICK", "1")
    monkeypatch.setenv("PYTHONIOENCODING", "utf-8")
    book = nbformat.read(path, as_version=4)
    client = notebook_client(
        book,
        timeout=TIMEOUT,
        kernel_name="python3",
        allow_errors=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    cpu = _measure_kernel_cpu(client)
    started = time.perf_counter()
    client.execute()  # raises CellExecutionError on the first failing cell
    wall = time.perf_counter() - started
    elapsed = cpu[-1] if cpu else wall
    errors = [
        out
        for cell in book.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]
    assert not errors
    budget = BUDGET_REFERENCES * reference_seconds
    assert elapsed < budget, (
        f"{path.name} took {elapsed:.0f} s of kernel CPU ({wall:.0f} s wall) in quick mode, "
        f"{elapsed / reference_seconds:.0f} reference runs of {reference_seconds:.2f} s (budget "
        f"{BUDGET_REFERENCES}: {budget:.0f} s here)"
    )
    code = [(i, cell) for i, cell in enumerate(book.cells) if cell.cell_type == "code"]
    figure_cells = [i for i, cell in code if draws_figure(cell.source)]
    assert figure_cells, f"{path.name}: no cell draws a figure (has the detection broken?)"
    blank = [i for i in figure_cells if not _has_image(book.cells[i])]
    assert not blank, f"{path.name}: cells {blank} draw a figure but show no image"
    stray = [i for i, cell in code if _has_image(cell) and i not in figure_cells]
    assert not stray, f"{path.name}: cells {stray} show an image but are not known figure cells"
    printed = {
        i: out["text"]
        for i, cell in code
        for out in _outputs(cell, "stream")
        if out.get("name") == "stderr"
    }
    assert not printed, f"{path.name}: warnings or errors printed (cell: text): {printed}"
