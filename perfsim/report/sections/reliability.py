"""The reliability section of an empirical report: one row per rater group (and overall), one
column per reliability measure that is defined somewhere, the reason for each undefined cell said
once below the table (``reliability.csv`` keeps every row, with its full design)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...i18n import N_
from ...i18n import gettext as _
from ...results.names import EmpiricalFiles
from ..document import Document, Table
from ..numbers import num

__all__ = ["MEASURES", "reliability_section", "reliability_table"]

MEASURES = {
    "icc1": "ICC(1)",
    "icc1k": "ICC(1,k)",
    "icc2": "ICC(2,1)",
    "icc2k": "ICC(2,k)",
    "icc3": "ICC(3,1)",
    "icc3k": "ICC(3,k)",
    "alpha_interval": N_("α (interval)"),
    "alpha_ordinal": N_("α (ordinal)"),
}
"""Display name of each measure of ``reliability.csv``, in display order."""

_DESIGNS = (  # the kind of ICC design, as reliability.csv's design text starts
    N_("two-way ANOVA, complete design"),
    N_("complete-case raters"),
    N_("complete-case units"),
    N_("one-way random-effects ANOVA, unbalanced"),
)
_REASONS = (  # why a measure is undefined, as reliability.csv writes it
    N_(
        "undefined: incomplete design and too few raters who rated every unit for a two-way "
        "ANOVA (see icc1 for the one-way estimate)"
    ),
    N_("undefined: incomplete design and no unit rated by 2 or more raters"),
    N_("not applicable: no categorical ratings (level ≥ 0) in this scope"),
    N_("undefined: no (unit, item) rated by 2 or more raters, or only one distinct value"),
)


def _design(text: str) -> str:
    for design in _DESIGNS:
        if text.startswith(design):
            return _(design)
    return text.split(":", 1)[0] or "—"


def _cell(row: pd.Series) -> str:
    if not np.isfinite(row["estimate"]):
        return "–"
    low, high = row["ci_low"], row["ci_high"]
    if np.isfinite(low) and np.isfinite(high):
        return f"{num(row['estimate'], 2)} [{num(low, 2)},\u00a0{num(high, 2)}]"  # one break
    return num(row["estimate"], 2)


def reliability_table(frame: pd.DataFrame) -> tuple[Table, list[str]]:
    """The compact table (rows: scopes; columns: the measures defined in some scope) and one
    sentence per reason a shown cell is undefined, naming the measures and scopes."""
    frame = frame.copy()
    frame["estimate"] = pd.to_numeric(frame["estimate"], errors="coerce")
    for col in ("ci_low", "ci_high"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce")
    known = [m for m in MEASURES if m in set(frame["measure"])]
    shown = [m for m in known if frame.loc[frame["measure"] == m, "estimate"].notna().any()]
    scopes = list(dict.fromkeys(frame["scope"].astype(str)))
    header = [_("rater group"), _("raters"), _("ratings"), _("ICC design")]
    header += [_(MEASURES[m]) for m in shown]
    rows, classes = [], []
    reasons: dict[str, dict[str, list[str]]] = {}  # reason → measure → scopes
    for scope in scopes:
        g = frame[frame["scope"].astype(str) == scope].set_index("measure")
        first = g.loc["icc1"] if "icc1" in g.index else g.iloc[0]
        name = _("overall") if scope == "overall" else scope
        row = [name, str(first["n_raters"]), str(first["n_ratings"]), _design(str(first["design"]))]
        for m in shown:
            if m not in g.index:
                row.append("")
                continue
            row.append(_cell(g.loc[m]))
            if not np.isfinite(g.loc[m, "estimate"]):
                by_measure = reasons.setdefault(str(g.loc[m, "design"]), {})
                by_measure.setdefault(_(MEASURES[m]), []).append(name)
        rows.append(row)
        classes.append(["", "num", "num", ""] + ["num"] * len(shown))
    notes = []
    names = [_("overall") if s == "overall" else s for s in scopes]
    for reason, by_measure in reasons.items():
        where = _("; ").join(
            _("{measures} for {scopes}").format(measures=m, scopes=_scopes(s, names))
            for m, s in _group(by_measure).items()
        )
        notes.append(_("{where} — {reason}.").format(reason=_(reason), where=where))
    return Table(header, rows, classes, "", "reliability"), notes


def _scopes(some: list[str], every: list[str]) -> str:
    """The scopes in words: the list, or "every row except …" when that is shorter."""
    if len(some) == len(every):
        return _("every row")
    if len(some) > len(every) / 2:
        rest = [s for s in every if s not in some]
        return _("every row except {scopes}").format(scopes=_(", ").join(rest))
    return _(", ").join(some)


def _group(by_measure: dict[str, list[str]]) -> dict[str, list[str]]:
    """Measures that are undefined for the same scopes, joined: ``ICC(2,1), ICC(3,1)`` → scopes."""
    out: dict[tuple[str, ...], list[str]] = {}
    for measure, scopes in by_measure.items():
        out.setdefault(tuple(scopes), []).append(measure)
    return {_(", ").join(ms): list(scopes) for scopes, ms in out.items()}


def reliability_section(doc: Document, frame: pd.DataFrame | None) -> None:
    if frame is None or not len(frame):
        return
    doc.add("h2", _("Rater reliability"), "reliability")
    doc.add(
        "p",
        _(
            "How far the raters agree on the units: Shrout–Fleiss intraclass correlations "
            "(ICC(·,1): one rater; ICC(·,k): the mean of the group's raters) with F-based 95 % "
            "intervals, and Krippendorff's α, per rater group and overall. 1 = perfect agreement; "
            "0 = no more than chance."
        ),
    )
    table, notes = reliability_table(frame)
    table.caption = _(
        "Estimate [95 % interval]; –: undefined (reasons below). The overall row pools every "
        "group's ratings on the 0–100 scale, across components: it is not the reliability of "
        "any score the rule computes, so quote a group's row. Every row, with its full design, "
        "is in {file}."
    ).format(file=EmpiricalFiles.RELIABILITY)
    doc.add("table", table)
    if notes:
        doc.add("ul", notes)
