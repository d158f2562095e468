"""The report of an empirical folder (:class:`perfsim.results.EmpiricalRecord`): scores with rank
intervals and grade probabilities, reliability, rater effects, rank changes between rules,
calibration."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ...plotting.style import SavedFigure
from ...results import EmpiricalRecord
from ...results.names import EmpiricalFiles
from ..document import Document, Table
from ..numbers import num

__all__ = ["empirical_document", "frame_table"]


def frame_table(frame, columns: list[str], caption: str = "", limit: int = 200) -> Table:
    rows = []
    for rec in frame[columns].head(limit).itertuples(index=False):
        rows.append([num(v, 3) if isinstance(v, float) else str(v) for v in rec])
    return Table(columns, rows, caption=caption)


@dataclass(frozen=True)
class _TableSection:
    """A section that shows one table of the folder (and the figure that goes with it)."""

    table: str  # file name
    title: str
    ident: str
    columns: Callable[[str], bool] | None  # which columns to show (None: all)
    caption: str
    figure: tuple[str, str, str] | None = None  # stem, title, caption
    intro: str = ""


_SECTIONS = (
    _TableSection(
        EmpiricalFiles.SCORES,
        "Scores, rank intervals and grade probabilities",
        "scores",
        lambda c: (
            c in ("unit", "unit_class", "total", "rank", "grade") or c.startswith(("rank_", "p:"))
        ),
        "rank_low–rank_high: bootstrap interval over raters; p:band: share of replicates in the band.",
        ("rank-intervals", "Rank intervals", "Dot: observed rank; bar: bootstrap interval."),
    ),
    _TableSection(
        EmpiricalFiles.RELIABILITY,
        "Rater reliability",
        "reliability",
        lambda c: c != "n_ratings",
        "",
        intro="Shrout–Fleiss ICC forms with F-based confidence intervals and Krippendorff's α, per "
        "rater group and overall.",
    ),
    _TableSection(
        EmpiricalFiles.RATER_GROUPS,
        "Rater effects: leniency, noise and halo",
        "effects",
        None,
        "Points on 0–100; leniency relative to the component's average rater.",
        ("rater-effects", "Rater-group leniency", "95 % intervals over the group's raters."),
    ),
    _TableSection(
        EmpiricalFiles.RANK_CHANGES,
        "Counterfactual re-scoring: ranks under other rules",
        "rank-changes",
        None,
        "change: + = the unit moves up under the alternative rule; when one of the two rules "
        "ranks within class, both are compared within class (columns '(within class)').",
        ("rank-changes", "Rank changes between rules", "Same data, different rules."),
    ),
)


def _table_section(doc: Document, record: EmpiricalRecord, s: _TableSection) -> None:
    frame = record.table(s.table)
    if frame is None or (
        s.ident == "rank-changes" and not any(c.startswith("change:") for c in frame.columns)
    ):
        return
    doc.add("h2", s.title, s.ident)
    if s.intro:
        doc.add("p", s.intro)
    cols = [c for c in frame.columns if s.columns is None or s.columns(c)]
    doc.add("table", frame_table(frame, cols, s.caption))
    if s.figure and s.figure[0] in record.figures:
        stem, title, caption = s.figure
        png = record.figures[stem]
        doc.add("figure", SavedFigure(stem, title, caption, title, png, png.with_suffix(".svg")))


def _calibration_section(doc: Document, record: EmpiricalRecord) -> None:
    calib = record.table(EmpiricalFiles.CALIBRATION)
    if calib is None:
        return
    doc.add("h2", "Calibration of the simulation's raters", "calibration")
    doc.add(
        "table",
        frame_table(calib, ["component", "rater", "key", "value", "se", "base", "how"]),
    )
    groups: pd.DataFrame | None = record.table(EmpiricalFiles.CALIBRATION_GROUPS)
    if groups is not None:
        caption = (
            "Latent-scale estimates per rater group (ordered probit for surveys; additive model "
            "for panels)."
        )
        doc.add("table", frame_table(groups, list(groups.columns), caption))
    if record.calibrated is not None:
        doc.add(
            "p",
            "The scenario fragment (apply with perfsim run SCENARIO.toml "
            f"--set @{EmpiricalFiles.CALIBRATED}):",
        )
        doc.add("pre", record.calibrated)


def empirical_document(record: EmpiricalRecord) -> Document:
    """The report of an empirical folder (``perfsim empirical``)."""
    meta = record.metadata
    doc = Document(title=f"perfsim empirical analysis: {Path(str(meta.get('data', ''))).name}")
    doc.add("h1", doc.title)
    doc.add(
        "subtitle",
        f"{meta.get('units', '?')} units, {meta.get('raters', '–')} raters, "
        f"{meta.get('ratings', '–')} ratings; rule {meta.get('rule') or 'mean of the ratings'}; "
        f"{meta.get('reps')} bootstrap replicates (strata: {meta.get('strata', '–')}), seed "
        f"{meta.get('seed')}; finished {meta.get('finished', '')}.",
    )
    for section in _SECTIONS:
        _table_section(doc, record, section)
    _calibration_section(doc, record)
    if meta.get("notes"):
        doc.add("h2", "Notes", "notes")
        doc.add("ul", [str(n) for n in meta["notes"]])
    doc.add("h2", "Reproducibility", "reproducibility")
    doc.add(
        "pre",
        json.dumps({k: v for k, v in meta.items() if k != "notes"}, ensure_ascii=False, indent=2),
    )
    return doc
