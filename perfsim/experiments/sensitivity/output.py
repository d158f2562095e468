"""Writing a finished sensitivity analysis into its run folder: tables, figures, region."""

from __future__ import annotations

from pathlib import Path

from ...csvsafe import write_csv
from ...results.names import FIGURES, SensitivityFiles
from .checkpoint import write_table
from .result import SensitivityResult


def write_outputs(result: SensitivityResult, folder: Path, *, figures: bool = True) -> None:
    """Write the tables, figures and region of a finished analysis into its run folder (each file
    atomically; ``sensitivity.json`` is written last by :func:`run_sensitivity`)."""
    write_csv(result.indices, folder / SensitivityFiles.INDICES)
    write_table(result.samples, folder / SensitivityFiles.SAMPLES)
    write_csv(result.convergence, folder / SensitivityFiles.CONVERGENCE)
    if result.region is not None:
        from ..discovery import write_region

        write_region(result.region, folder)
    if figures and len(result.indices):
        from .figures import write_figures  # matplotlib only when figures are drawn

        result.figures = write_figures(result, folder / FIGURES)
