"""Figures of a run (and of each rule of a comparison): grade confusion, effort and gaming,
score against true value, nominal against effective weights."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from ...i18n import gettext as _
from ...plotting.display import Figure
from ...plotting.style import figure_function
from .common import (
    BAR_STYLES,
    LINESTYLES,
    MARKERS,
    class_order,
    grid,
    hide_unused,
    styled_bars,
    wrap,
)

__all__ = ["confusion_figure", "effort_gaming_figure", "score_value_figure", "weights_figure"]


@figure_function
def confusion_figure(confusions: Mapping[str, pd.DataFrame], *, ncols: int = 3) -> Figure:
    """Grade confusion matrix per rule: rows are the *true* band (the band a department would get
    if departments were ranked by true value, with the band sizes the rule produced), columns the
    grade the rule assigned; each cell is the share of department-replications (written in the
    cell, in %). The diagonal is the share graded as deserved; the title sets it beside the share
    that grades drawn at random with the same band sizes would get right (Σ_g p_g²)."""
    names = list(confusions)
    nrow, ncol = grid(len(names), ncols)
    n_bands = max(len(c) for c in confusions.values())
    side = 1.3 + 0.55 * n_bands
    fig = Figure(figsize=(side * ncol + 1.0, side * nrow + 0.6), layout="constrained")
    axes = fig.subplots(nrow, ncol, squeeze=False)
    vmax = max(float(np.nanmax(c.to_numpy(float))) for c in confusions.values()) or 1.0
    image = None
    for k, (ax, name) in enumerate(zip(axes.flat, names, strict=False)):
        cm = confusions[name]
        values = cm.to_numpy(float)
        image = ax.imshow(values * 100, cmap="Greys", vmin=0, vmax=vmax * 100, aspect="equal")
        for i in range(values.shape[0]):
            for j in range(values.shape[1]):
                v = values[i, j]
                text = "0" if v == 0 else f"{100 * v:.1f}"
                ax.text(
                    j,
                    i,
                    text,
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if v > 0.55 * vmax else "black",
                    fontweight="bold" if i == j else "normal",
                )
        ax.set_xticks(range(values.shape[1]), [str(c) for c in cm.columns])
        ax.set_yticks(range(values.shape[0]), [str(i) for i in cm.index])
        ax.set_xlabel(_("assigned grade"))
        if k % ncol == 0:
            ax.set_ylabel(_("true band (by true value)"))
        square = values.shape[0] == values.shape[1]
        diag = float(np.trace(values)) if square else float("nan")
        # what grades drawn at random with these band sizes would get right: a rule that puts
        # most units in one band scores high on the diagonal for that alone
        chance = float(values.sum(axis=1) @ values.sum(axis=0)) if square else float("nan")
        said = _("{share:.0f} % graded as deserved (by chance: {chance:.0f} %)")
        ax.set_title(name + "\n" + said.format(share=100 * diag, chance=100 * chance), fontsize=9)
        for spine in ax.spines.values():
            spine.set_visible(True)
    hide_unused(axes, len(names))
    if image is not None:
        fig.colorbar(
            image,
            ax=axes.ravel().tolist(),
            shrink=0.8,
            label=_("share of department-replications (%)"),
        )
    fig.suptitle(_("Grade confusion: true band × assigned grade (bold: graded as deserved)"))
    return fig


def _label_effort_axes(ax, prefix: str, cls: str | None) -> None:
    ax.set_ylabel(
        _("real effort (effort units,\nmean per department)")
        if prefix == "effort"
        else _("gaming effort (effort units,\nmean per department)")
    )
    where = " — " + _("class {name}").format(name=cls) if cls else ""
    ax.set_title((_("Real effort") if prefix == "effort" else _("Gaming")) + where, loc="left")


@figure_function
def effort_gaming_figure(departments: Mapping[str, pd.DataFrame]) -> Figure:
    """Mean real effort per task (``effort:<task>``) and gaming effort per gameable indicator
    (``gaming:<indicator>``) of ``departments.csv``, as grouped bars. With one rule, bars are the
    department classes; with several rules, one row of panels per class and bars are the rules, so
    that what a rule changes in each class reads side by side."""
    names = list(departments)
    frames = list(departments.values())
    classes = class_order(frames)
    tasks, gamed = (_items(frames, prefix) for prefix in ("effort:", "gaming:"))
    if len(names) == 1:
        panels = [(None, names[0])]
        series = classes
    else:
        panels = [(cls, None) for cls in classes]
        series = names
    width_unit = max(len(tasks), len(gamed), 1) * max(1, len(series)) * 0.22 + 1.6
    fig = Figure(
        figsize=(min(16, max(9.0, 2 * width_unit + 1)), 2.9 * len(panels) + 1.0),
        layout="constrained",
    )
    axes = fig.subplots(len(panels), 2, squeeze=False, sharey="col")
    any_gaming = False
    for p, (cls, rule) in enumerate(panels):
        for col, (prefix, items, what) in enumerate(
            [("effort", tasks, _("task")), ("gaming", gamed, _("gameable indicator"))]
        ):
            ax = axes[p, col]
            x = np.arange(len(items))
            width = 0.8 / max(1, len(series))
            for k, s in enumerate(series):
                frame = departments[rule if rule else s]
                rows = frame[frame["class"].astype(str) == (cls if cls else s)]
                vals = [_column_mean(rows, f"{prefix}:{i}") for i in items]
                styled_bars(ax, x, vals, k, len(series), width, str(s))
                any_gaming |= prefix == "gaming" and bool(np.nansum(np.abs(vals)) > 0)
            ax.set_xticks(
                x,
                items,
                rotation=30 if len(items) > 4 else 0,
                ha="right" if len(items) > 4 else "center",
            )
            ax.set_xlabel(what)
            _label_effort_axes(ax, prefix, cls)
            if not items:
                ax.text(
                    0.5,
                    0.5,
                    _("no gameable indicator"),
                    ha="center",
                    va="center",
                    transform=ax.transAxes,
                )
            ax.axhline(0, color="black", lw=0.6)
    if not any_gaming:
        for ax in axes[:, 1]:
            ax.set_ylim(0, 1)
            ax.text(
                0.5,
                0.5,
                _("no gaming (all zero)"),
                ha="center",
                va="center",
                transform=ax.transAxes,
            )
    handles = [
        Patch(
            facecolor=BAR_STYLES[k % 8][0],
            hatch=BAR_STYLES[k % 8][1],
            edgecolor="black",
            label=str(s),
        )
        for k, s in enumerate(series)
    ]
    fig.legend(
        handles=handles,
        loc="outside lower center",
        ncols=min(4, len(handles)),
        frameon=False,
        title=_("class") if len(names) == 1 else _("rule"),
    )
    title = _("What departments do: effort per task and gaming per indicator")
    rule = " — " + _("rule {name}").format(name=names[0]) if len(names) == 1 else ""
    fig.suptitle(title + rule)
    return fig


@figure_function
def score_value_figure(departments: Mapping[str, pd.DataFrame]) -> Figure:
    """Total score against true value, per rule (left), and rank by score against rank by true
    value (right), one marker shape per class.

    Left: one line per class (least squares), so that parallel lines at different heights show a
    class bias: the same true value earns a different score. Right: ranks (1 = best) with the
    diagonal of a faithful ranking; a department above the diagonal is ranked worse than its true
    value deserves. The rank panel is chosen over lines joining two rank columns (a slope chart)
    because with 60–100 departments such lines cross into an unreadable mesh, whereas the distance
    from the diagonal reads at a glance.

    ``departments.csv`` averages each department slot over replications, and departments are
    drawn afresh in every replication: the points show the systematic part (class effects), and
    their spread shrinks as replications grow. Rank fidelity per replication is the metric
    ``kendall_tau`` of the metrics table."""
    names = list(departments)
    classes = class_order(list(departments.values()))
    fig = Figure(figsize=(10.5, 3.9 * len(names) + 0.8), layout="constrained")
    axes = fig.subplots(len(names), 2, squeeze=False)
    for r, name in enumerate(names):
        frame = departments[name]
        value = frame["true_value"].to_numpy(float)
        total = frame["total"].to_numpy(float)
        rank_value = pd.Series(value).rank(ascending=False, method="average").to_numpy()
        rank_score = pd.Series(total).rank(ascending=False, method="average").to_numpy()
        ax, bx = axes[r]
        for k, cls in enumerate(classes):
            sel = (frame["class"].astype(str) == cls).to_numpy()
            if not sel.any():
                continue
            marker = MARKERS[k % len(MARKERS)]
            face = ["white", "0.2", "0.6"][k % 3]
            style = {"marker": marker, "mfc": face, "mec": "black", "ls": "none", "ms": 5}
            ax.plot(value[sel], total[sel], label=str(cls), **style)
            if sel.sum() >= 2 and np.ptp(value[sel]) > 0:
                slope, icpt = np.polyfit(value[sel], total[sel], 1)
                xs = np.array([value[sel].min(), value[sel].max()])
                ax.plot(xs, icpt + slope * xs, color="black", lw=1, ls=LINESTYLES[k % 4])
            bx.plot(rank_value[sel], rank_score[sel], **style)
        n = len(frame)
        bx.plot([1, n], [1, n], color="black", lw=0.8, ls="--", label=_("ranked as deserved"))
        shift = float(np.mean(np.abs(rank_score - rank_value)))
        ax.set_xlabel(_("true value V (value units, mean over replications)"))
        ax.set_ylabel(_("total score (points)"))
        ax.set_title(name + "\n" + _("score against true value"), loc="left")
        bx.set_xlabel(_("rank by true value (1 = highest)"))
        bx.set_ylabel(_("rank by total score (1 = highest)"))
        bx.set_title(
            _("ranks of the averages over replications (mean shift {shift:.1f} places)").format(
                shift=shift
            ),
            loc="left",
        )
        bx.set_xlim(0, n + 1)
        bx.set_ylim(0, n + 1)
        bx.set_aspect("equal", adjustable="box")
        if r == 0:
            ax.legend(title=_("class (line: least squares)"), frameon=False, loc="best")
            bx.legend(frameon=False, loc="upper left")
    fig.suptitle(_("Measured against true: total score and rank of each department"))
    return fig


@figure_function
def weights_figure(
    metrics: Mapping[str, pd.DataFrame], nominal: Mapping[str, Mapping[str, float]]
) -> Figure:
    """Nominal share of each component (rescaled to sum to 1) beside its *effective* weight, per
    rule: effective weight = nominal share × spread of the component's scores across departments,
    normalised to sum to 1 (the metric ``effective_weight:<component>``, with a 95 % interval).
    A component on which every department scores near the ceiling counts for little whatever its
    nominal share (the Hangzhou lesson: target assessment at 45 % nominal decides little)."""
    names = list(metrics)
    fig = Figure(
        figsize=(max(5.5, 1.2 + sum(0.9 * len(nominal[n]) + 0.8 for n in names)), 4.2),
        layout="constrained",
    )
    axes = fig.subplots(1, len(names), squeeze=False, sharey=True)[0]
    for k, (ax, name) in enumerate(zip(axes, names, strict=True)):
        table = metrics[name].set_index("metric")
        comps = list(nominal[name])
        x = np.arange(len(comps))
        nom = np.array([nominal[name][c] for c in comps])
        eff = np.array(
            [table["mean"].get(f"effective_weight:{c}", np.nan) for c in comps], dtype=float
        )
        se = np.array(
            [table["se"].get(f"effective_weight:{c}", np.nan) for c in comps], dtype=float
        )
        b1 = styled_bars(ax, x, nom, 0, 2, 0.38, _("nominal share"), style=1)
        b2 = styled_bars(ax, x, eff, 1, 2, 0.38, _("effective weight"), style=0)
        ax.errorbar(
            x + 0.19,
            eff,
            yerr=1.96 * np.nan_to_num(se),
            fmt="none",
            ecolor="black",
            capsize=3,
            lw=0.8,
        )
        for bars, vals, err in ((b1, nom, 0 * nom), (b2, eff, 1.96 * np.nan_to_num(se))):
            for bar, v, e in zip(bars, vals, err, strict=True):
                if np.isfinite(v):
                    ax.text(
                        bar.get_x() + bar.get_width() / 2,
                        v + e + 0.015,
                        f"{100 * v:.0f}%",
                        ha="center",
                        va="bottom",
                        fontsize=7.5,
                    )
        ax.set_xticks(x, comps)
        ax.set_xlabel(_("component"))
        ax.set_title(wrap(name, 40), loc="left")
        ax.set_ylim(0, 1.12)
        if k == 0:
            ax.set_ylabel(_("weight (share of the total, 0–1)"))
    fig.legend(handles=[b1, b2], loc="outside lower center", ncols=2, frameon=False)
    fig.suptitle(_("Nominal against effective weight of each component"))
    return fig


def _items(frames: list[pd.DataFrame], prefix: str) -> list[str]:
    """Every rule's tasks (``effort:``) or gameable indicators (``gaming:``), in the order they
    first appear: a rule on a fitted world may add its own, which the first rule lacks."""
    columns = dict.fromkeys(c for frame in frames for c in frame.columns)
    return [c.split(":", 1)[1] for c in columns if c.startswith(prefix)]


def _column_mean(rows: pd.DataFrame, column: str) -> float:
    """The mean of ``column`` over ``rows``: NaN (no bar) without rows, or without that column (a
    rule run on another world, with other tasks)."""
    return float(rows[column].mean()) if len(rows) and column in rows else np.nan
