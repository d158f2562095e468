"""The report of an empirical folder (:class:`perfsim.results.EmpiricalRecord`): scores with rank
intervals and grade probabilities, reliability (one compact row per rater group), rater effects,
rank changes between rules, calibration, and how to reproduce the analysis."""

from __future__ import annotations

import numbers
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ...empirical.calibration import how_fields
from ...empirical.notes import said_again
from ...empirical.scores import rank_column_label
from ...i18n import N_
from ...i18n import gettext as _
from ...plotting.style import SavedFigure
from ...results import EmpiricalRecord
from ...results.names import EmpiricalFiles
from ..document import Document, Table
from ..numbers import num
from ..rerun import format_command, report_command
from ..rules import term
from .empirical_short import in_short
from .reliability import reliability_section

__all__ = ["column_label", "empirical_document", "frame_table"]

_COLUMNS = {
    "unit": N_("unit"),
    "unit_class": N_("class of unit"),
    "total": N_("total score"),
    "rank": N_("rank"),
    "grade": N_("grade"),
    "vetoed": N_("one-vote veto"),
    "rank_low": N_("rank, low"),
    "rank_median": N_("rank, median"),
    "rank_high": N_("rank, high"),
    "component": N_("component"),
    "rater_group": N_("rater group"),
    "rater": N_("rater"),
    "raters": N_("raters"),
    "ratings": N_("ratings"),
    "leniency": N_("leniency"),
    "leniency_se": N_("leniency se"),
    "rater_sd": N_("rater sd"),
    "noise": N_("noise"),
    "noise_se": N_("noise se"),
    "halo": N_("halo"),
    "share": N_("share"),
    "key": N_("parameter"),
    "value": N_("estimate"),
    "se": N_("se"),
    "base": N_("scenario value"),
    "how": N_("how estimated"),
}
"""Display names of the columns of an empirical folder's tables (translated where shown)."""

_WORDS = (  # words of calibration.csv's key and how columns (translated where shown)
    N_("respondents"),
    N_("offset"),
    N_("scale"),
    N_("ordered probit, mixture of the groups' respondent sd and leniency"),
    N_("mean respondents per unit"),
)
_PREFIXES = {
    "p:": N_("P({band})"),
    "change:": N_("rank change under {rule}"),
    "grade:": N_("grade under {rule}"),
}


def column_label(column: str) -> str:
    """A column of an empirical table in the current language (``p:优秀`` → ``P(优秀)``); a
    rule's name (a column of ``rank_changes.csv``) unchanged."""
    if column in _COLUMNS:
        return _(_COLUMNS[column])
    for prefix, template in _PREFIXES.items():
        if column.startswith(prefix):
            name = column[len(prefix) :]
            return _(template).format(band=name, rule=name)
    return rank_column_label(column) or column


_TRANSLATED = {"key", "how"}  # columns whose cells are perfsim's words, not the user's names
_RANKS = {"rank_median"}  # ranks, written as 12 or 12.5, not 12.000


def _said(text: str) -> str:
    """perfsim's words in a table cell, in the current language (a calibration's "how" with its
    numbers: :func:`perfsim.empirical.calibration.how_fields`)."""
    fields = how_fields(text)
    return _(fields[0]).format(**fields[1]) if fields else _(text)


def frame_table(frame, columns: list[str], caption: str = "", limit: int = 200) -> Table:
    rows, classes = [], []
    for rec in frame[columns].head(limit).itertuples(index=False):
        rows.append(
            [
                (_("yes") if v else _("no"))  # (a column of blanks read as missing values)
                if isinstance(v, bool | np.bool_)
                else (num(v) if c in _RANKS else num(v, 3))
                if isinstance(v, float)
                else _said(str(v))
                if c in _TRANSLATED
                else str(v)
                for c, v in zip(columns, rec, strict=True)
            ]
        )
        classes.append(["num" if isinstance(v, numbers.Real) else "" for v in rec])
    return Table([column_label(c) for c in columns], rows, classes, caption=caption)


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
        N_("Scores, rank intervals and grade probabilities"),
        "scores",
        lambda c: (
            c in ("unit", "unit_class", "total", "rank", "grade", "vetoed")
            or c.startswith(("rank_", "p:"))
        ),
        N_(
            "Rank low–high: bootstrap interval of the rank over raters (resampled within rater "
            "groups); P(band): share of bootstrap replicates in which the unit gets that grade."
        ),
        (
            "rank-intervals",
            N_("Rank intervals"),
            N_(
                "Each unit's observed rank (dot) with its bootstrap interval (bar): a unit whose "
                "bar is long could stand at many places on other raters; overlapping bars do not "
                "by themselves say two units cannot be told apart (outranks.csv gives the "
                "probability that one outscores the other)."
            ),
        ),
    ),
    _TableSection(
        EmpiricalFiles.RATER_GROUPS,
        N_("Rater effects: leniency, noise and halo"),
        "effects",
        None,
        N_("Points on 0–100; leniency relative to the component's average rater."),
        (
            "rater-effects",
            N_("Rater-group leniency"),
            N_(
                "Mean leniency of each rater group (points above or below the component's "
                "average rater) with 95 % intervals over the group's raters: a group whose "
                "interval excludes 0 rates systematically higher or lower than the others."
            ),
        ),
    ),
    _TableSection(
        EmpiricalFiles.RANK_CHANGES,
        N_("Counterfactual re-scoring: ranks under other rules"),
        "rank-changes",
        None,
        N_(
            "Rank change: + = the unit moves up under the alternative rule; when one of the two "
            "rules ranks within class, both are compared within class (columns '(within class)')."
        ),
        (
            "rank-changes",
            N_("Rank changes between rules"),
            N_(
                "Each unit's rank under the recorded rule and under each alternative, on the "
                "same ratings: long lines are units whose place depends on the rule, not on "
                "their ratings."
            ),
        ),
    ),
)


def _table_section(doc: Document, record: EmpiricalRecord, s: _TableSection) -> None:
    frame = record.table(s.table)
    if frame is None or (
        s.ident == "rank-changes" and not any(c.startswith("change:") for c in frame.columns)
    ):
        return
    doc.add("h2", _(s.title), s.ident)
    if s.intro:
        doc.add("p", _(s.intro))
    cols = [c for c in frame.columns if s.columns is None or s.columns(c)]
    doc.add("table", frame_table(frame, cols, _(s.caption)))
    if s.figure and s.figure[0] in record.figures:
        stem, title, caption = s.figure
        png = record.figures[stem]
        doc.add(
            "figure",
            SavedFigure(stem, _(title), _(caption), _(title), png, png.with_suffix(".svg")),
        )


def _calibration_section(doc: Document, record: EmpiricalRecord) -> None:
    calib = record.table(EmpiricalFiles.CALIBRATION)
    if calib is None:
        return
    doc.add("h2", _("Calibration of the simulation's raters"), "calibration")
    caption = _(
        "Each parameter of the simulation's raters estimated from the ratings, with its standard "
        "error and the scenario's value."
    )
    doc.add(
        "table",
        frame_table(calib, ["component", "rater", "key", "value", "se", "base", "how"], caption),
    )
    groups: pd.DataFrame | None = record.table(EmpiricalFiles.CALIBRATION_GROUPS)
    if groups is not None:
        caption = _(
            "Latent-scale estimates per rater group (ordered probit for surveys; additive model "
            "for panels). A survey group's leniency here is on the survey's latent scale, fitted "
            "to its answers' levels; the rater groups' table above gives it in points of the "
            "component's score, from the additive model, so the two numbers differ."
        )
        doc.add("table", frame_table(groups, list(groups.columns), caption))
    if record.calibrated is not None:
        doc.add(
            "p",
            _("The scenario fragment (apply with perfsim run SCENARIO.toml --set @{file}):").format(
                file=EmpiricalFiles.CALIBRATED
            ),
        )
        doc.add("pre", record.calibrated)


def _reproducibility_section(doc: Document, record: EmpiricalRecord) -> None:
    from ... import __version__

    meta = record.metadata
    doc.add("h2", _("Reproducibility"), "reproducibility")
    rows = [
        [_("perfsim version of the analysis"), str(meta.get("perfsim_version", "—"))],
        [_("perfsim version of this report"), __version__],
        [_("ratings file"), str(meta.get("data", "—"))],
        [_("rule (scenario file)"), str(meta.get("rule") or _("mean of the ratings"))],
        [_("units table"), str(meta.get("units_table") or "—")],
        [_("seed"), str(meta.get("seed", "—"))],
        [_("bootstrap replicates"), str(meta.get("reps", "—"))],
        [_("bootstrap strata"), term(meta.get("strata", "—"))],
        [_("confidence level"), str(meta.get("level", "—"))],
        [_("started / finished"), f"{meta.get('started', '—')} / {meta.get('finished', '—')}"],
    ]
    doc.add("table", Table([_("item"), _("value")], rows, None, "", "repro"))
    doc.add(
        "p", _("To rerun (from the folder where the analysis was made; same seed ⇒ same numbers):")
    )
    command = str(meta.get("command") or "")
    report = report_command(record.path or ".")
    doc.add("pre", (format_command(shlex.split(command)) + "\n" if command else "") + report)
    if not command:
        doc.add("p", _("The folder does not record the command; the inputs are listed above."))


def empirical_document(record: EmpiricalRecord) -> Document:
    """The report of an empirical folder (``perfsim empirical``)."""
    meta = record.metadata
    data = Path(str(meta.get("data", ""))).name
    doc = Document(title=_("perfsim empirical analysis: {data}").format(data=data))
    doc.add("h1", doc.title)
    doc.add(
        "subtitle",
        _(
            "{units} units, {raters} raters, {ratings} ratings; rule {rule}; {reps} bootstrap "
            "replicates (strata: {strata}), seed {seed}; finished {finished}."
        ).format(
            units=meta.get("units", "?"),
            raters=meta.get("raters", "–"),
            ratings=meta.get("ratings", "–"),
            rule=meta.get("rule") or _("mean of the ratings"),
            reps=meta.get("reps"),
            strata=term(meta.get("strata", "–")),
            seed=meta.get("seed"),
            finished=meta.get("finished", ""),
        ),
    )
    items = in_short(record)
    if items:
        doc.add("h2", _("In short"), "in-short")
        doc.add("ul", items)
    scores, *others = _SECTIONS
    _table_section(doc, record, scores)
    reliability_section(doc, record.table(EmpiricalFiles.RELIABILITY))
    for section in others:
        _table_section(doc, record, section)
    _calibration_section(doc, record)
    if meta.get("notes"):
        doc.add("h2", _("Notes"), "notes")
        doc.add("p", _("Notes recorded by the analysis when it ran:"))
        doc.add("ul", [said_again(str(n)) for n in meta["notes"]])
    _reproducibility_section(doc, record)
    return doc
