"""The figures of an empirical folder, redrawn from its tables (``scores.csv``,
``rank_changes.csv``, ``rater_groups.csv``) for the report, in the report's language."""

from __future__ import annotations

from pathlib import Path

from ...empirical import figures as figs
from ...i18n import current_language
from ...results import EmpiricalRecord
from ...results.names import EmpiricalFiles, figure_folder

__all__ = ["redraw_empirical_figures"]


def redraw_empirical_figures(record: EmpiricalRecord) -> dict[str, Path]:
    """Redraw the figures whose tables the folder holds into its ``figures/`` (replacing those the
    analysis drew); return stem → PNG of every figure the folder now has."""
    found = dict(record.figures)
    if record.path is None:
        return found
    folder = Path(record.path) / figure_folder(current_language())
    scores = record.table(EmpiricalFiles.SCORES)
    if scores is not None and {"rank_low", "rank_high", "rank_median"} <= set(scores.columns):
        level = float(record.metadata.get("level") or 0.95)
        fig = figs.caterpillar_figure(scores, level)
        found["rank-intervals"] = figs.save(fig, folder, "rank-intervals", "", "").png
    ranks = record.table(EmpiricalFiles.RANK_CHANGES)
    if ranks is not None:
        rules = [c for c in ranks.columns if c not in ("unit", "unit_class") and ":" not in str(c)]
        if len(rules) > 1 and any(str(c).startswith("change:") for c in ranks.columns):
            fig = figs.rank_change_figure(ranks, rules)
            found["rank-changes"] = figs.save(fig, folder, "rank-changes", "", "").png
    groups = record.table(EmpiricalFiles.RATER_GROUPS)
    if groups is not None and {"leniency", "leniency_se"} <= set(groups.columns):
        fig = figs.rater_effects_figure(groups)
        found["rater-effects"] = figs.save(fig, folder, "rater-effects", "", "").png
    return found
