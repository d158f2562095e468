"""Figures of an empirical analysis: rank intervals, rank changes between rules, rater effects."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd

from ..i18n import gettext as _
from ..plotting.display import Figure
from ..plotting.fonts import font_context
from ..plotting.style import DPI, RC, SavedFigure, atomic_savefig, figure_function, footnote
from .scores import comparable_column, rank_column_label


@figure_function
def caterpillar_figure(table: pd.DataFrame, level: float = 0.95) -> Figure:
    """Each unit's observed rank (dot) and bootstrap rank interval (bar), best at the top."""
    t = table.sort_values(["rank", "rank_median"]).reset_index(drop=True)
    n = len(t)
    fig = Figure(figsize=(7.5, max(3.0, 0.16 * n + 1.2)), layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(n)
    markers = {
        c: m for c, m in zip(dict.fromkeys(t.get("unit_class", [""] * n)), "osD^v<>", strict=False)
    }
    ax.hlines(y, t["rank_low"], t["rank_high"], color="0.35", lw=2)
    for cls, m in markers.items():
        sel = (t["unit_class"] == cls).to_numpy() if "unit_class" in t else np.ones(n, bool)
        ax.plot(t.loc[sel, "rank"], y[sel], m, color="black", ms=4, label=cls or None, ls="none")
    ax.set_yticks(y, t["unit"], fontsize=6 if n > 40 else 8)
    ax.invert_yaxis()
    ax.set_xlabel(_("rank (1 = best)"))
    ax.set_title(_("Ranks with {level:.0%} bootstrap intervals over raters").format(level=level))
    ax.grid(axis="x", color="0.85")
    if len(markers) > 1:
        ax.legend(loc="upper right", fontsize=8, title=_("class"))
    footnote(
        fig,
        _(
            "Bar: the range of ranks the unit takes when the raters are redrawn within their "
            "groups (stratified bootstrap); dot: the rank on the observed data."
        ),
        100,
    )
    return fig


@figure_function
def rank_change_figure(ranks: pd.DataFrame, rules: Sequence[str], highlight: int = 8) -> Figure:
    """Slope chart: each unit's rank under each rule; the units that move most are labelled.
    When some rule ranks within class, every rule's ranks within class are drawn (comparable
    rankings only: a unit last of all but first of its class does not leap), one panel per class
    (on one axis the classes' first places lay over each other), each ranking once (a rule's
    ranks within class are also a column of their own: drawn twice, they made two identical
    columns)."""
    within = any(comparable_column(ranks, r, True) != r for r in rules)
    columns = list(dict.fromkeys(comparable_column(ranks, k, within) for k in rules))
    r = ranks[columns].to_numpy(float)
    move = np.nanmax(r, axis=1) - np.nanmin(r, axis=1)
    order = np.argsort(-move, kind="stable")[:highlight]
    top = set(order[move[order] > 0])
    panels = _class_panels(ranks) if within else [("", np.arange(len(r)))]
    heights = [max(1.6, 0.11 * len(rows) + 0.7) for _, rows in panels]
    size = (max(5.0, 2.2 * len(columns) + 2), 7.5 if len(panels) == 1 else sum(heights) + 1.0)
    fig = Figure(figsize=size, layout="constrained")
    axes = fig.subplots(len(panels), 1, squeeze=False, sharex=True, height_ratios=heights)[:, 0]
    x = np.arange(len(columns))
    for ax, (title, rows), inches in zip(axes, panels, heights, strict=True):
        _slopes(ax, r, rows, top, list(ranks["unit"].astype(str)), inches)
        if title:
            ax.set_title(title, fontsize=10, loc="left")
    axes[-1].set_xticks(x, [rank_column_label(str(c)) or str(c) for c in columns], fontsize=8)
    axes[-1].set_xlim(-0.3, len(columns) - 0.4)
    label = _("rank within class (1 = best)") if within else _("rank (1 = best)")
    if len(panels) == 1:
        axes[0].set_ylabel(label)
    else:
        fig.supylabel(label, fontsize=10)
    fig.suptitle(_("How units move between rules (same data)"), fontsize=12)
    note = _("Black: the {n} units whose rank changes most; grey: the others.").format(n=len(top))
    footnote(fig, note, 90)
    return fig


def _class_panels(ranks: pd.DataFrame) -> list[tuple[str, np.ndarray]]:
    """(class, row positions) of each class in order of appearance; one untitled panel when the
    table has no classes or only one."""
    if "unit_class" not in ranks.columns:
        return [("", np.arange(len(ranks)))]
    classes = ranks["unit_class"].astype(str).to_numpy()
    names = list(dict.fromkeys(classes))
    if len(names) < 2:
        return [("", np.arange(len(ranks)))]
    return [(c, np.flatnonzero(classes == c)) for c in names]


def _slopes(ax, r: np.ndarray, rows: np.ndarray, top: set, units: list[str], inches: float):
    """One panel of the slope chart: rows ``rows`` of the ranks ``r`` (unit × ranking), the units
    in ``top`` black and named at the right end, apart where they end on the same or near ranks
    (a panel ``inches`` high)."""
    x = np.arange(r.shape[1])
    for k in rows:
        strong = k in top
        ax.plot(x, r[k], "-o", color="black" if strong else "0.75", lw=1.6 if strong else 0.7,
                ms=3, zorder=3 if strong else 1)  # fmt: skip
    labelled = sorted(
        (k for k in rows if k in top and np.isfinite(r[k, -1])), key=lambda k: (r[k, -1], k)
    )
    part = r[rows]
    span = np.nanmax(part) - np.nanmin(part) + 1 if np.isfinite(part).any() else 1.0
    gap = span * 9 / (72 * max(inches - 0.4, 0.5))  # about 9 points a label
    for k, y in zip(labelled, _spread([r[k, -1] for k in labelled], gap), strict=True):
        ax.annotate(units[k], (x[-1], r[k, -1]), xytext=(x[-1] + 0.08, y),
                    textcoords="data", va="center", fontsize=7,
                    arrowprops={"arrowstyle": "-", "color": "0.5", "lw": 0.5})  # fmt: skip
    if np.isfinite(part).any():  # whole ranks, best at the top
        ax.set_ylim(np.nanmax(part) + 0.7, np.nanmin(part) - 0.7)
    else:
        ax.invert_yaxis()
    ax.yaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))


def _spread(ys: list[float], gap: float) -> list[float]:
    """Label heights from sorted ``ys``, each at least ``gap`` below the one before (a rank axis
    grows downwards), centred on where the labels want to be."""
    out = list(ys)
    for i in range(1, len(out)):
        out[i] = max(out[i], out[i - 1] + gap)
    shift = (sum(out) - sum(ys)) / len(out) if out else 0.0
    return [y - shift for y in out]


@figure_function
def rater_effects_figure(groups: pd.DataFrame) -> Figure:
    """Leniency (+) or severity (−) of each rater group with 95 % intervals, per component."""
    comps = list(dict.fromkeys(groups["component"]))
    heights = [max(1.2, 0.3 * (groups["component"] == c).sum() + 0.8) for c in comps]
    fig = Figure(figsize=(7.0, sum(heights) + 0.8), layout="constrained")
    axes = fig.subplots(len(comps), 1, squeeze=False, height_ratios=heights)[:, 0]
    for ax, comp in zip(axes, comps, strict=True):
        g = groups[groups["component"] == comp].reset_index(drop=True)
        y = np.arange(len(g))
        half = 1.96 * g["leniency_se"].fillna(0).to_numpy()
        ax.errorbar(g["leniency"], y, xerr=half, fmt="o", color="black", capsize=3, ms=4)
        ax.axvline(0, color="0.5", lw=0.8, ls="--")
        ax.set_yticks(y, g["rater_group"], fontsize=8)
        ax.invert_yaxis()
        ax.set_title(str(comp), fontsize=10, loc="left")
        ax.grid(axis="x", color="0.9")
    axes[-1].set_xlabel(_("leniency (points of 0-100 above the component's average rater)"))
    footnote(
        fig,
        _(
            "Additive many-facet model per component: rating = unit + item + rater group + rater "
            "+ noise. Bars: 95 % intervals over the group's raters."
        ),
        100,
    )
    return fig


def save(fig: Figure, folder: Path, stem: str, title: str, caption: str) -> SavedFigure:
    folder.mkdir(parents=True, exist_ok=True)
    png, svg = folder / f"{stem}.png", folder / f"{stem}.svg"
    with font_context(), mpl.rc_context(RC):
        atomic_savefig(fig, png, dpi=DPI, format="png")
        atomic_savefig(fig, svg, format="svg")
    return SavedFigure(stem, title, caption, title, png, svg)
