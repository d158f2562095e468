"""Which figures apply to a run or comparison, and writing them into its ``figures/`` folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from matplotlib.figure import Figure

from ...i18n import current_language
from ...i18n import gettext as _
from ...plotting.fonts import font_context
from ...plotting.style import DPI, RC, SavedFigure, atomic_savefig
from ...results.names import figure_folder
from ..rules import nominal_shares, short_world
from ..runs import RunFolder, load_run
from .comparison import forest_figure, robustness_figure
from .run import confusion_figure, effort_gaming_figure, score_value_figure, weights_figure

__all__ = ["FIGURE_STEMS", "Spec", "figure_specs", "save_figures", "write_figures"]

FIGURE_STEMS = ("forest", "confusion", "effort_gaming", "score_vs_value", "weights", "robustness")


Spec = tuple[str, str, str, str, Callable[[], Figure]]
"""(stem, title, caption, alt, builder) of a figure."""


def figure_specs(run: RunFolder) -> list[Spec]:
    """Each figure that applies to the folder, in report order."""
    where = (
        " " + _("Shown for the first world ({world}).").format(world=short_world(run.worlds[0]))
        if run.kind == "comparison" and len(run.worlds) > 1
        else ""
    )
    return _forest_spec(run) + _run_specs(run, where) + _robustness_spec(run)


def _forest_spec(run: RunFolder) -> list[Spec]:
    ref = run.reference
    specs: list[Spec] = []
    if run.comparison is not None and len(run.rules) > 1:
        specs.append(
            (
                "forest",
                _("Paired differences from the reference"),
                (
                    _(
                        "Each non-reference rule's difference from “{reference}” on each metric, "
                        "with its 95 % interval over replications (each rule in its own plan's "
                        "world: the differences are the plans', rule and world together). The "
                        "shaded side of the dashed zero line is the better side; a filled circle "
                        "is a better verdict, an open square a worse one, grey ones slightly "
                        "better or worse."
                    )
                    if run.own_worlds
                    else _(
                        "Each non-reference rule's difference from “{reference}” on each metric, "
                        "with its 95 % interval over replications (common random numbers: the "
                        "rules see the same departments and noise). The shaded side of the dashed "
                        "zero line is the better side; a filled circle is a better verdict, an "
                        "open square a worse one, grey ones slightly better or worse."
                    )
                ).format(reference=ref),
                _(
                    "Forest plot of the paired differences of each metric from the reference "
                    "rule {reference}, one panel per metric."
                ).format(reference=ref),
                lambda: forest_figure(run.comparison, reference=ref, own_worlds=run.own_worlds),
            )
        )
    return specs


def _run_specs(run: RunFolder, where: str) -> list[Spec]:
    """The figures of each rule's run (of the first world): confusion, effort and gaming, score
    against value, weights."""
    specs: list[Spec] = []
    if run.confusion:
        specs.append(
            (
                "confusion",
                _("Grade confusion"),
                _(
                    "Share of department-replications (%) by true band (the band each department "
                    "would get if ranked by true value, with the same band sizes) and assigned "
                    "grade; the diagonal is graded as deserved."
                )
                + where,
                _(
                    "Heatmaps of true band against assigned grade, one per rule, shares in the "
                    "cells."
                ),
                lambda: confusion_figure(run.confusion),
            )
        )
    if run.departments:
        specs.append(
            (
                "effort_gaming",
                _("Effort and gaming"),
                (
                    _(
                        "Mean real effort per task and gaming effort per gameable indicator, by "
                        "class of department and rule."
                    )
                    if len(run.rules) > 1
                    else _(
                        "Mean real effort per task and gaming effort per gameable indicator, by "
                        "class of department."
                    )
                )
                + where,
                _("Grouped bar charts of effort per task and gaming per indicator."),
                lambda: effort_gaming_figure(run.departments),
            )
        )
        specs.append(
            (
                "score_vs_value",
                _("Score against true value"),
                _(
                    "Left: each department's total score against its true value, with a "
                    "least-squares line per class (parallel lines at different heights = class "
                    "bias). Right: rank by score against rank by true value; the dashed diagonal "
                    "is a faithful ranking. Each point averages a department slot over "
                    "replications (departments are drawn afresh in each), so the points show "
                    "systematic effects; per-replication fidelity is kendall_tau in the metrics "
                    "table."
                )
                + where,
                _(
                    "Scatter plots of total score against true value and of rank by score against "
                    "rank by true value, markers by class."
                ),
                lambda: score_value_figure(run.departments),
            )
        )
    return specs + _weights_spec(run, where)


def _weights_spec(run: RunFolder, where: str) -> list[Spec]:
    specs: list[Spec] = []
    eff = {
        r: m
        for r, m in run.metrics.items()
        if m["metric"].astype(str).str.startswith("effective_weight:").any()
    }
    if eff:
        specs.append(
            (
                "weights",
                _("Nominal and effective weights"),
                _(
                    "Nominal share of each component against its effective weight (nominal share × "
                    "spread of its scores across departments, normalised), with 95 % intervals. A "
                    "component near its ceiling counts for little, whatever its nominal share."
                )
                + where,
                _("Paired bars of nominal and effective weight per component and rule."),
                lambda: weights_figure(eff, {r: nominal_shares(run.scenarios[r]) for r in eff}),
            )
        )
    return specs


def _robustness_spec(run: RunFolder) -> list[Spec]:
    specs: list[Spec] = []
    if run.robustness is not None and len(run.robustness):
        specs.append(
            (
                "robustness",
                _("Robustness across assumptions"),
                _(
                    "Maximum regret of each rule on each metric across the worlds {worlds} "
                    "(regret = distance from the best rule in that world, in the metric's units; "
                    "the boxed rule is the most robust)."
                ).format(worlds="; ".join(short_world(w) for w in run.worlds)),
                _("Heatmap of maximum regret per rule and metric."),
                lambda: robustness_figure(run.robustness, rules=run.rules),
            )
        )
    return specs


def write_figures(run: RunFolder) -> list[SavedFigure]:
    """Write every figure that applies to ``run`` into ``<run>/figures/`` (PNG and SVG, each
    written to a temporary name and renamed); remove stale figures of the known names that no
    longer apply. Returns what was written, in report order."""
    import matplotlib as mpl

    out = run.path / figure_folder(current_language())
    out.mkdir(parents=True, exist_ok=True)
    saved = []
    for stem, title, caption, alt, build in figure_specs(run):
        fig = build()
        png, svg = out / f"{stem}.png", out / f"{stem}.svg"
        with font_context(), mpl.rc_context(RC):
            atomic_savefig(fig, png, dpi=DPI, format="png")
            atomic_savefig(fig, svg, format="svg")
        saved.append(SavedFigure(stem, title, caption, alt, png, svg))
    written = {s.stem for s in saved}
    for stem in FIGURE_STEMS:
        if stem not in written:
            for suffix in (".png", ".svg"):
                (out / f"{stem}{suffix}").unlink(missing_ok=True)
    return saved


def save_figures(run_dir: str | Path) -> list[Path]:
    """Write the figures of a run or comparison folder into ``<run_dir>/figures/`` and return the
    paths written (for each figure its PNG, then its SVG); a figure file the user put there or
    changed is refused, not replaced (:func:`perfsim.io.rewriting_report`)."""
    from ...io import rewriting_report

    run = load_run(run_dir)
    with rewriting_report(run_dir, current_language()):
        return [p for f in write_figures(run) for p in (f.png, f.svg)]
