"""The figures of a sensitivity folder, redrawn from its ``indices.csv`` for the report (in the
report's language, and with the heatmap of this perfsim version), without rerunning a sample."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ...experiments.sensitivity.figures import write_figures
from ...experiments.sensitivity.result import SensitivityResult
from ...i18n import current_language
from ...results import SensitivityRecord
from ...results.names import figure_folder

__all__ = ["redraw_sensitivity_figures"]


def redraw_sensitivity_figures(record: SensitivityRecord) -> list[Path]:
    """Redraw the figures of a sensitivity folder into its ``figures/`` (replacing those the
    analysis drew); return the PNGs written. A folder whose metadata lacks what the figures need
    (method, analysed metrics) keeps its figures."""
    meta = record.metadata
    outputs = list(meta.get("outputs") or dict.fromkeys(record.indices["metric"]))
    if record.path is None or not meta.get("method") or not len(record.indices):
        return record.figures
    result = SensitivityResult(
        method=str(meta["method"]),
        indices=record.indices,
        samples=pd.DataFrame(),
        problem=dict(meta.get("problem") or {}),
        inputs=list(dict.fromkeys(record.indices["input"])),
        outputs=[m for m in outputs if m in set(record.indices["metric"])],
        n=int(meta.get("n", 0)),
        notes=[],
        convergence=pd.DataFrame(),
        metadata=meta,
    )
    folder = Path(record.path) / figure_folder(current_language())
    folder.mkdir(parents=True, exist_ok=True)
    return write_figures(result, folder)
