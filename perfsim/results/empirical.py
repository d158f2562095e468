"""An empirical folder (``perfsim empirical``): :class:`EmpiricalRecord`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..empirical import folder as empirical_folder
from ..empirical.analysis import EmpiricalResult
from .files import ResultFolderError, pngs, read_json, read_table_if, read_text_if
from .names import FIGURES, EmpiricalFiles

TABLES = (
    EmpiricalFiles.SCORES,
    EmpiricalFiles.RANK_CHANGES,
    EmpiricalFiles.RELIABILITY,
    EmpiricalFiles.OUTRANKS,
    EmpiricalFiles.RATER_GROUPS,
    EmpiricalFiles.RATERS,
    EmpiricalFiles.ITEMS,
    EmpiricalFiles.CALIBRATION,
    EmpiricalFiles.CALIBRATION_GROUPS,
    EmpiricalFiles.CALIBRATION_ITEMS,
    EmpiricalFiles.CALIBRATION_CLASSES,
)
"""Every table an empirical folder may hold, in the order written."""


@dataclass
class EmpiricalRecord:
    """What an empirical folder holds: ``empirical.json`` (data, rule, bootstrap settings, notes),
    the tables of :data:`TABLES` that apply (keyed by file name), ``calibrated.toml`` (with a
    calibration) and the figures (stem → PNG)."""

    metadata: dict
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    calibrated: str | None = None  # calibrated.toml: the scenario fragment
    figures: dict[str, Path] = field(default_factory=dict)
    path: Path | None = None
    source: EmpiricalResult | None = None  # the analysis, when built from one (draws figures)

    @classmethod
    def from_result(cls, result: EmpiricalResult) -> EmpiricalRecord:
        metadata = {**result.metadata, "notes": result.notes}
        tables = empirical_folder.result_tables(result)
        calibrated = empirical_folder.calibrated_fragment(result)
        return cls(metadata, tables, calibrated, source=result)

    def table(self, name: str) -> pd.DataFrame | None:
        return self.tables.get(name)

    def write(
        self,
        folder: str | Path,
        force: bool = False,
        *,
        finish: Callable[[Path], object] | None = None,
    ) -> Path:
        """Write the folder atomically (:func:`perfsim.empirical.folder.write_folder`): tables,
        ``calibrated.toml``, ``empirical.json`` (with the time finished) and, from the analysis
        it was built from, the figures; ``finish`` (e.g. :func:`perfsim.report.build_report`)
        runs on the complete temporary folder before it is swapped into place."""
        source = self.source
        draw = (
            None
            if source is None
            else (lambda figures: empirical_folder.draw_figures(source, figures))
        )
        return empirical_folder.write_folder(
            folder,
            metadata=self.metadata,
            tables=self.tables,
            calibrated=self.calibrated,
            draw=draw,
            finish=finish,
            force=force,
        )

    @classmethod
    def read(cls, folder: str | Path) -> EmpiricalRecord:
        path = Path(folder)
        if not (path / EmpiricalFiles.METADATA).is_file():
            raise ResultFolderError(
                f"{path}: not a perfsim empirical folder (no {EmpiricalFiles.METADATA})"
            )
        tables = {name: read_table_if(path / name) for name in TABLES}
        return cls(
            metadata=read_json(path / EmpiricalFiles.METADATA),
            tables={k: t for k, t in tables.items() if t is not None},
            calibrated=read_text_if(path / EmpiricalFiles.CALIBRATED),
            figures={p.stem: p for p in pngs(path / FIGURES)},
            path=path,
        )
