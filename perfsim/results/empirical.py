"""An empirical folder (``perfsim empirical``): :class:`EmpiricalRecord`."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..empirical.analysis import EmpiricalResult
from ..io import atomic_dir, to_csv
from .files import ResultFolderError, pngs, read_json, read_table_if, read_text_if, write_json
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
        names = EmpiricalFiles
        tables = {
            names.SCORES: result.scores,
            names.RANK_CHANGES: result.rank_changes,
            names.RELIABILITY: result.reliability,
            names.OUTRANKS: result.uncertainty.outranks.reset_index(names="unit")
            if result.uncertainty
            else None,
        }
        if result.effects:
            tables |= {
                names.RATER_GROUPS: result.effects.groups,
                names.RATERS: result.effects.raters,
                names.ITEMS: result.effects.items,
            }
        calibrated = None
        if result.calibration:
            c = result.calibration
            tables |= {
                names.CALIBRATION: c.parameters,
                names.CALIBRATION_GROUPS: c.groups,
                names.CALIBRATION_ITEMS: c.items,
                names.CALIBRATION_CLASSES: c.classes,
            }
            meta = result.metadata
            calibrated = c.fragment(meta.get("data", ""), meta.get("rule", ""))
        kept = {k: t for k, t in tables.items() if t is not None and len(t)}
        metadata = {**result.metadata, "notes": result.notes}
        return cls(metadata, kept, calibrated, source=result)

    def table(self, name: str) -> pd.DataFrame | None:
        return self.tables.get(name)

    def write(
        self,
        folder: str | Path,
        force: bool = False,
        *,
        finish: Callable[[Path], object] | None = None,
    ) -> Path:
        """Write the folder atomically (see :mod:`perfsim.io`): tables, ``calibrated.toml``,
        ``empirical.json`` (with the time finished) and, from the analysis it was built from, the
        figures; ``finish`` (e.g. :func:`perfsim.build_report`) runs on the complete temporary
        folder before it is swapped into place."""
        target = Path(folder)
        with atomic_dir(target, "empirical", force=force) as tmp:
            if self.calibrated is not None:
                (tmp / EmpiricalFiles.CALIBRATED).write_text(self.calibrated, encoding="utf-8")
            for name, table in self.tables.items():
                to_csv(table, tmp / name)
            meta = {**self.metadata, "finished": time.strftime("%Y-%m-%d %H:%M:%S")}
            write_json(tmp / EmpiricalFiles.METADATA, meta)
            if self.source is not None:
                draw_figures(self.source, tmp / FIGURES)
            if finish is not None:
                finish(tmp)
        return target

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


def draw_figures(result: EmpiricalResult, folder: Path) -> None:
    """The figures of an analysis: rank intervals, rank changes between rules, rater effects."""
    from ..empirical import figures as figs  # matplotlib only when figures are drawn

    if result.uncertainty is not None:
        figs.save(
            figs.caterpillar_figure(result.uncertainty.table, result.uncertainty.level),
            folder,
            "rank-intervals",
            "Rank intervals",
            f"Each unit's rank and its {result.uncertainty.level:.0%} interval when the "
            "raters are redrawn within their groups.",
        )
    if result.rank_changes is not None and len(result.rules) > 1:
        figs.save(
            figs.rank_change_figure(result.rank_changes, result.rules),
            folder,
            "rank-changes",
            "Rank changes between rules",
            "Each unit's rank under each rule, on the same data.",
        )
    if result.effects is not None:
        figs.save(
            figs.rater_effects_figure(result.effects.groups),
            folder,
            "rater-effects",
            "Rater-group leniency",
            "Leniency (+) or severity (−) of each rater group, with 95 % intervals.",
        )
