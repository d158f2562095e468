"""The figures of an optimisation folder, drawn from its tables for the report: the Pareto front in
2-D projections (every evaluated rule in grey, the re-evaluated Pareto rules marked, the reference
rule as a star), and a parallel-coordinates view of the Pareto rules' levers and objectives."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd

from ...experiments.optimize.levers import Objective
from ...experiments.optimize.robust import in_units, losses, robust
from ...experiments.optimize.search import REFERENCE
from ...i18n import N_, current_language, metric_name
from ...i18n import gettext as _
from ...plotting.display import Figure
from ...plotting.style import atomic_savefig, figure_function
from ...results import OptimizationRecord
from ...results.names import figure_folder
from ...scenario.paths import split_path
from .common import wrap

__all__ = ["front_figure", "parallel_figure", "write_optimization_figures"]


def _objectives(meta: dict) -> list[Objective]:
    return [Objective(o["metric"], 1 if o["goal"] == "min" else -1) for o in meta["objectives"]]


def searched_values(record: OptimizationRecord) -> pd.DataFrame | None:
    """Every evaluated rule's robust objective values in the metrics' units (the search's numbers,
    with ``reps`` replications), the reference marked; None without the evaluations table."""
    ev = record.evaluations
    if ev is None or not len(ev):
        return None
    objs, meta = _objectives(record.metadata), record.metadata
    loss = losses(ev, objs, len(meta.get("worlds") or [0]))
    values = in_units(robust(loss, meta["robustness"]), objs, meta["robustness"])
    out = pd.DataFrame(values, columns=[o.metric for o in objs])
    out["reference"] = (ev["candidate"] == REFERENCE).to_numpy()
    return out


@figure_function
def front_figure(record: OptimizationRecord) -> Figure:
    """Each pair of objectives (at most three pairs): every evaluated rule, the Pareto rules and
    the reference."""
    objs = _objectives(record.metadata)
    pairs = list(itertools.combinations(range(len(objs)), 2))[:3] or [(0, 0)]
    fig = Figure(figsize=(4.2 * len(pairs), 3.6), layout="constrained")
    axes = fig.subplots(1, len(pairs), squeeze=False)[0]
    searched = searched_values(record)
    ref = record.metadata.get("reference", {}).get("objectives", {})
    for ax, (i, j) in zip(axes, pairs, strict=True):
        a, b = objs[i].metric, objs[j].metric
        front = record.pareto.sort_values(a)
        if searched is not None:
            rest = searched[~searched["reference"]]
            ax.scatter(rest[a], rest[b], s=8, c="0.75", label=_("evaluated rules"))
            # far-off rules would squeeze the front into a corner: show the front's region
            ax.set_xlim(*_window(front[a], ref.get(a)))
            ax.set_ylim(*_window(front[b], ref.get(b)))
        # a line through the front only of two objectives: a projection of three or more is no
        # curve, and a line through it zigzagged like a broken front
        style = "o-" if len(objs) == 2 else "o"
        ax.plot(front[a], front[b], style, ms=5, mfc="white", c="C0", label=_("Pareto rules"))
        if a in ref and b in ref:
            ax.scatter([ref[a]], [ref[b]], marker="*", s=160, c="k", label=_("reference rule"))
        ax.set_xlabel(metric_name(a))
        ax.set_ylabel(metric_name(b))
    axes[0].legend(loc="best")
    return fig


def _window(values: pd.Series, reference: float | None) -> tuple[float, float]:
    """The front's range (and the reference's value), widened by half of it on each side."""
    v = [float(x) for x in values if np.isfinite(x)]
    v += [float(reference)] if isinstance(reference, int | float) and np.isfinite(reference) else []
    low, high = min(v), max(v)
    pad = 0.5 * (high - low) if high > low else max(abs(high), 1e-9) * 0.1
    return low - pad, high + pad


@figure_function
def parallel_figure(record: OptimizationRecord) -> Figure:
    """One line per Pareto rule across its numeric levers and objectives, the reference dashed.

    Each axis spans its own values: a lever its searched range, an objective the Pareto rules'
    and the reference's values, turned so that up is better; the values at either end are
    printed on the axis, so a line's height reads as a number."""
    meta, front = record.metadata, record.pareto
    ref = meta.get("reference", {})
    ref_row = {**ref.get("levers", {}), **ref.get("objectives", {})}
    axes_names, ends, names = [], [], []
    for lever in meta["levers"]:
        if lever.get("kind") != "choice" and lever["path"] in front:
            axes_names.append(lever["path"])
            ends.append((float(lever["low"]), float(lever["high"])))
            names.append(wrap(axis_name(lever["path"]), 14))
    for o in meta["objectives"]:
        values = list(front[o["metric"]].to_numpy(float))
        if isinstance(ref_row.get(o["metric"]), int | float):
            values.append(float(ref_row[o["metric"]]))
        low, high = float(np.nanmin(values)), float(np.nanmax(values))
        axes_names.append(o["metric"])
        ends.append((high, low) if o["goal"] == "min" else (low, high))  # (bottom, top)
        names.append(f"{wrap(axis_name(o['metric']), 14)}\n({_('better')} ↑)")
    bottom, top = (np.array(e) for e in zip(*ends, strict=True))
    span = np.where(top != bottom, top - bottom, 1.0)
    fig = Figure(figsize=(max(5.0, 1.7 * len(axes_names)), 4.0), layout="constrained")
    ax = fig.subplots()
    x = np.arange(len(axes_names))
    for k, (_row, row) in enumerate(front.iterrows()):
        y = (row[axes_names].to_numpy(float) - bottom) / span
        ax.plot(x, y, "-o", ms=3, lw=1, alpha=0.7, label=_("Pareto rules") if k == 0 else None)
    if all(isinstance(ref_row.get(n), int | float) for n in axes_names):
        y = (np.array([float(ref_row[n]) for n in axes_names]) - bottom) / span
        ax.plot(x, y, "k--", lw=2, label=_("reference rule"))
    for xi, (b, t) in enumerate(zip(bottom, top, strict=True)):
        ax.axvline(xi, c="0.85", lw=0.8, zorder=0)
        ax.annotate(
            f"{t:.3g}",
            (xi, 1.0),
            xytext=(0, 6),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=7,
            color="0.3",
        )
        ax.annotate(
            f"{b:.3g}",
            (xi, 0.0),
            xytext=(0, -6),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize=7,
            color="0.3",
        )
    ax.set_ylim(-0.12, 1.12)
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    ax.set_xticks(x, names)  # (wrapped, not slanted over the legend)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.06), ncol=2, frameon=False)
    return fig


#: a lever's path (``*``: any name) → its name in words, the name at ``*`` filled in
_LEVER_WORDS = {
    "rule.components.*.share": N_("{name} share"),
    "rule.grading.quota.*": N_("{name} quota"),
    "rule.grading.thresholds.*": N_("{name} score line"),
    "rule.weights.*": N_("weight of {name}"),
    "rule.audit.probability": N_("audit rate"),
}


def axis_name(name: str) -> str:
    """An axis' name: a metric's in the report's language, a lever's in words where its path is
    one of :data:`_LEVER_WORDS` (``rule.components.社会评价.share`` → 社会评价 share), else the
    path's last two parts."""
    if "." not in name:
        return metric_name(name)
    parts = split_path(name)
    for pattern, words in _LEVER_WORDS.items():
        want = pattern.split(".")
        if len(want) == len(parts) and all(w in ("*", p) for w, p in zip(want, parts, strict=True)):
            filled = [p for w, p in zip(want, parts, strict=True) if w == "*"]
            return _(words).format(name=filled[0] if filled else "")
    return ".".join(parts[-2:])


def write_optimization_figures(record: OptimizationRecord) -> dict[str, Path]:
    """Draw the figures into the folder's ``figures/``; return stem → PNG."""
    if record.path is None or not len(record.pareto):
        return {}
    folder = Path(record.path) / figure_folder(current_language())
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for stem, draw in (("pareto-front", front_figure), ("parallel-coordinates", parallel_figure)):
        fig = draw(record)
        for suffix in (".png", ".svg"):
            atomic_savefig(fig, folder / f"{stem}{suffix}", dpi=120)
        out[stem] = folder / f"{stem}.png"
    return out
