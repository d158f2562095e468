"""Writing an empirical folder (``perfsim empirical``): its tables, ``calibrated.toml``,
``empirical.json`` and figures, atomically. :class:`perfsim.results.EmpiricalRecord` reads it back.

The report is a layer above (:mod:`perfsim.report`), so this module never imports it: a writer
that should leave ``report.html`` in the folder is given the report function (``finish``), and
:func:`report_writer` is the one the package lends when it is imported (``perfsim.build_report``,
:data:`perfsim.lazy.LENT`), which ``EmpiricalResult.write(report=True)`` uses."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from .. import lazy
from ..csvsafe import to_csv
from ..io import atomic_dir
from ..results.names import FIGURES, EmpiricalFiles

EmpiricalResult = Any  # perfsim.empirical.analysis.EmpiricalResult (which imports this module)


def report_writer() -> Callable[[Path], object] | None:
    """The report writer of a folder, lent by ``perfsim/__init__.py`` (the package's entry wires
    the layers together: this layer cannot name the report); None before the package is
    imported."""
    return lazy.LENT.get("report")


def result_tables(result: EmpiricalResult) -> dict[str, pd.DataFrame]:
    """File name → table of every table of an analysis that has rows, in the order written."""
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
    if result.calibration:
        tables |= {
            names.CALIBRATION: result.calibration.parameters,
            names.CALIBRATION_GROUPS: result.calibration.groups,
            names.CALIBRATION_ITEMS: result.calibration.items,
            names.CALIBRATION_CLASSES: result.calibration.classes,
        }
    return {k: t for k, t in tables.items() if t is not None and len(t)}


def calibrated_fragment(result: EmpiricalResult) -> str | None:
    """``calibrated.toml``: the scenario fragment of the calibration (None without one)."""
    if not result.calibration:
        return None
    meta = result.metadata
    return result.calibration.fragment(meta.get("data", ""), meta.get("rule", ""))


def write_folder(
    out: str | Path,
    *,
    metadata: Mapping,
    tables: Mapping[str, pd.DataFrame],
    calibrated: str | None = None,
    draw: Callable[[Path], object] | None = None,
    finish: Callable[[Path], object] | None = None,
    force: bool = False,
) -> Path:
    """Write an empirical folder atomically (see :mod:`perfsim.io`): ``calibrated.toml``, the
    tables, ``empirical.json`` (with the time finished), then ``draw(figures folder)`` and
    ``finish(folder)`` (e.g. the report) on the complete temporary folder before it is swapped
    into place."""
    target = Path(out)
    with atomic_dir(target, "empirical", force=force) as tmp:
        if calibrated is not None:
            (tmp / EmpiricalFiles.CALIBRATED).write_text(calibrated, encoding="utf-8")
        for name, table in tables.items():
            to_csv(table, tmp / name)
        meta = {**metadata, "finished": time.strftime("%Y-%m-%d %H:%M:%S")}
        (tmp / EmpiricalFiles.METADATA).write_text(
            json.dumps(meta, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
        )
        if draw is not None:
            draw(tmp / FIGURES)
        if finish is not None:
            finish(tmp)
    return target


def draw_figures(result: EmpiricalResult, folder: Path) -> None:
    """The figures of an analysis: rank intervals, rank changes between rules, rater effects."""
    from . import figures as figs  # matplotlib only when figures are drawn

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
