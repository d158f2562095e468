"""Figures of a comparison: paired differences from the reference (forest plot) and robustness
across assumed worlds (maximum regret)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import MaxNLocator

from ...i18n import N_, metric_name, metric_unit
from ...i18n import gettext as _
from ...plotting.display import Figure
from ...plotting.style import figure_function, footnote
from ..rules import short_world
from .common import VERDICT_STYLE, better_direction, grid, hide_unused, wrap

__all__ = ["forest_figure", "robustness_figure"]


def _forest_panel(ax, others: pd.DataFrame, metric: str, y, rows: list, labels: list) -> None:
    """One metric's panel of the forest plot: each rule's (× world's) difference and interval."""
    sub = others[others["metric"] == metric].set_index(["rule", "world"])
    direction = better_direction(metric, str(sub["direction"].iloc[0]) if len(sub) else "")
    lo_all, hi_all = [0.0], [0.0]
    for yi, key in zip(y, rows, strict=True):
        if key not in sub.index:
            continue
        row = sub.loc[key]
        diff, low, high = float(row["diff"]), float(row["diff_low"]), float(row["diff_high"])
        if np.isfinite(low) and np.isfinite(high):
            ax.plot([low, high], [yi, yi], color="black", lw=1.2, solid_capstyle="butt")
            ax.plot([low, high], [yi, yi], "|", color="black", ms=7)
            lo_all.append(low)
            hi_all.append(high)
        marker, face, _label = VERDICT_STYLE.get(str(row["verdict"]), VERDICT_STYLE[""])
        ax.plot(diff, yi, marker, mfc=face, mec="black", color="black", ms=7, zorder=3, mew=1.2)
        lo_all.append(diff)
        hi_all.append(diff)
    lo, hi = min(lo_all), max(hi_all)
    pad = 0.12 * (hi - lo) if hi > lo else max(abs(hi), 1.0) * 0.5
    lo, hi = lo - pad, hi + pad
    ax.axvline(0, color="black", lw=0.8, ls="--")
    if direction in ("higher", "lower"):
        better = (0, hi) if direction == "higher" else (lo, 0)
        ax.axvspan(*better, color="0.9", zorder=0, lw=0)
        ax.text(
            0.98 if direction == "higher" else 0.02,
            1.0,
            _("better →") if direction == "higher" else _("← better"),
            transform=ax.transAxes,
            ha="right" if direction == "higher" else "left",
            va="bottom",
            fontsize=8,
            style="italic",
        )
    ax.set_xlim(lo, hi)
    ax.xaxis.set_major_locator(MaxNLocator(5))
    ax.set_title(wrap(metric_name(metric), 34), loc="left", fontsize=9.5, fontweight="bold", pad=12)
    ax.set_xlabel(
        _("difference from reference ({unit})").format(unit=metric_unit(metric, N_("metric units")))
    )
    ax.set_yticks(y, labels)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.tick_params(axis="y", length=0)


@figure_function
def forest_figure(
    comparison: pd.DataFrame,
    *,
    reference: str | None = None,
    ncols: int | None = None,
    own_worlds: bool = False,
) -> Figure:
    """Forest plot: for each metric, each non-reference rule's paired difference from the
    reference with its 95 % interval (``comparison.csv``), one panel per metric and one row per
    rule (× world). The better side of 0 (by the metric's direction) is shaded and labelled; the
    marker says the verdict. Metrics whose value is the same under every rule in every world, and
    those no rule can be compared with the reference on (a rater group one rule does not have),
    are listed under the figure instead of drawn; ``effective_weight:*`` has its own figure and
    ``class_gap:*`` is summed up by ``class_bias``. ``own_worlds``: the rules ran each in its own
    plan's world (the title does not then say common random numbers)."""
    ref_rows = comparison[comparison["verdict"] == "reference"]
    reference = reference or (str(ref_rows["rule"].iloc[0]) if len(ref_rows) else "reference")
    others = comparison[comparison["rule"] != reference]
    rules = list(dict.fromkeys(others["rule"]))
    worlds = list(dict.fromkeys(others["world"]))
    metrics = [  # effective weights have their own figure; class gaps are in class_bias
        m
        for m in dict.fromkeys(comparison["metric"])
        if not str(m).startswith(("effective_weight:", "class_gap:"))
    ]
    flat, apart, shown = [], [], []  # the same everywhere; undefined for a rule; drawn
    for m in metrics:
        vals = others.loc[others["metric"] == m, ["diff", "diff_low", "diff_high"]].to_numpy(float)
        finite = vals[np.isfinite(vals)]
        (apart if finite.size == 0 else flat if np.all(finite == 0) else shown).append(m)
    rows = [(r, w) for r in rules for w in worlds]
    labels = [
        wrap(r, 24) if len(worlds) == 1 else f"{wrap(r, 24)}\n{short_world(w)}" for r, w in rows
    ]
    n_panels = max(1, len(shown))
    nrow, ncol = grid(n_panels, ncols or (3 if n_panels > 6 else 2))
    panel_h = 0.9 + 0.32 * len(rows) * (1.4 if len(worlds) > 1 else 1)
    fig = Figure(figsize=(4.0 * ncol + 1.2, panel_h * nrow + 1.2), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrow, ncol, sharey=True, squeeze=False))
    y = np.arange(len(rows))[::-1]
    for ax, metric in zip(axes.flat, shown, strict=False):
        _forest_panel(ax, others, metric, y, rows, labels)
    if not shown:
        axes.flat[0].text(
            0.5, 0.5, _("no metric differs between the rules"), ha="center", va="center"
        )
        axes.flat[0].set_axis_off()
    hide_unused(axes, n_panels)
    handles = [
        Line2D([], [], ls="none", marker=m, mfc=f, mec="black", color="black", ms=7, label=_(lab))
        for key, (m, f, lab) in VERDICT_STYLE.items()
        if key in set(others["verdict"].astype(str))
    ] + [Patch(facecolor="0.9", label=_("better side of 0 (by the metric's direction)"))]
    title = (
        _(
            "Paired differences from the reference rule “{reference}” (mean and 95 % interval "
            "over replications, each rule in its own plan's world)"
        )
        if own_worlds
        else _(
            "Paired differences from the reference rule “{reference}” (mean and 95 % interval "
            "over replications, common random numbers)"
        )
    ).format(reference=reference)
    fig.legend(  # the title heads the legend: an outside legend and a suptitle would overlap
        handles=handles,
        loc="outside upper center",
        ncols=min(3, len(handles)),
        frameon=False,
        title=wrap(title, int(11 * fig.get_figwidth())),
        title_fontproperties={"size": 10},
    )
    if flat or apart:
        footnote(fig, _undrawn(flat, apart))
    return fig


def _undrawn(flat: list[str], apart: list[str]) -> str:
    """The forest's footnote: the metrics the same under every rule, and those a rule cannot be
    compared on (a rater group it does not have), neither drawn."""
    notes = [
        text.format(metrics=_(", ").join(metric_name(m) for m in names))
        for text, names in (
            (_("Same value under every rule (not drawn): {metrics}."), flat),
            (
                _(
                    "Not comparable with the reference (a rater group or a quantity a rule does "
                    "not have; not drawn): {metrics}."
                ),
                apart,
            ),
        )
        if names
    ]
    return " ".join(notes)


@figure_function
def robustness_figure(robustness: pd.DataFrame, *, rules: Sequence[str] | None = None) -> Figure:
    """Maximum regret of each rule on each metric across the assumed worlds (``robustness.csv``):
    a rule's regret in a world is its distance from the best rule there, in the metric's units.
    Shading is the regret relative to the largest in the row (so rows in different units compare);
    the number is the regret itself; the most robust rule of each row is boxed. Metrics with no
    regret for any rule are listed under the figure."""
    rules = list(rules or dict.fromkeys(robustness["rule"]))
    table = robustness.pivot_table(index="metric", columns="rule", values="max_regret", sort=False)
    table = table.reindex(columns=rules)
    zero = [m for m in table.index if np.nanmax(np.abs(table.loc[m].to_numpy(float))) == 0]
    table = table.drop(index=zero)
    labels = [wrap(f"{metric_name(m)} ({metric_unit(m)})", 28) for m in table.index]
    row = 0.16 + 0.14 * max((label.count("\n") + 1 for label in labels), default=1)
    fig = Figure(
        figsize=(2.2 + 1.6 * len(rules), 1.4 + max(0.42, row) * max(1, len(table))),
        layout="constrained",
    )
    ax = fig.subplots()
    if len(table):
        values = table.to_numpy(float)
        rel = values / np.nanmax(values, axis=1, keepdims=True)
        image = ax.imshow(rel, cmap="Greys", vmin=0, vmax=1, aspect="auto")
        for i in range(values.shape[0]):
            best = int(np.nanargmin(values[i]))  # (a rule not judged on the metric: NaN, "—")
            for j in range(values.shape[1]):
                ax.text(
                    j,
                    i,
                    f"{values[i, j]:.3g}" if np.isfinite(values[i, j]) else "—",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if rel[i, j] > 0.55 else "black",
                    fontweight="bold" if j == best else "normal",
                )
            ax.add_patch(Rectangle((best - 0.5, i - 0.5), 1, 1, fill=False, ec="black", lw=1.6))
        ax.set_xticks(range(len(rules)), [wrap(r) for r in rules])
        ax.set_yticks(range(len(table)), labels)
        fig.colorbar(image, ax=ax, label=_("max regret / largest in row"))
    else:
        ax.text(0.5, 0.5, _("no rule has any regret"), ha="center", va="center")
        ax.set_axis_off()
    fig.suptitle(
        _("Maximum regret across assumed worlds\n(0 = best in every world; box = most robust)")
    )
    if zero:
        footnote(
            fig,
            _("No regret for any rule judged on it (not drawn): {metrics}.").format(
                metrics=_(", ").join(metric_name(m) for m in zero)
            ),
            width=80,
        )
    return fig
