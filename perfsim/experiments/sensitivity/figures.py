"""Figures of a sensitivity analysis: index bars with intervals, the Morris μ*–σ plane and a
heatmap of the main index. Built as :class:`matplotlib.figure.Figure` objects without pyplot (no
global state, no backend switch) and written as PNG through an explicit Agg canvas."""

from __future__ import annotations

import contextlib
import math
import textwrap
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.patches import Rectangle

from ...i18n import gettext as _
from ...i18n import metric_name
from ...io import atomic_write
from ...plotting.display import Figure
from .methods import method

if TYPE_CHECKING:
    from .result import SensitivityResult


def _cjk_font(texts: Iterable[str]):
    """The report package's CJK font context (labels may be Chinese), when it is available."""
    try:
        from ...plotting.fonts import font_context, warn_if_missing
    except ImportError:
        return contextlib.nullcontext()
    warn_if_missing(texts)
    return font_context()


def write_figures(result: SensitivityResult, folder: Path) -> list[Path]:
    """Index bars with intervals per metric (Sobol'/FAST: S1 and ST; δ methods: δ and S1), the
    Morris μ*–σ plane per metric, and a heatmap of the main index, inputs × metrics."""
    pair = method(result.method).bars
    written = []
    with _cjk_font(list(result.indices["input"]) + result.outputs):
        if pair is None:
            written.append(_save(morris_figure(result), folder / "morris-mu-sigma.png"))
        else:
            path = folder / f"{result.method}-indices.png"
            written.append(_save(bars_figure(result, pair), path))
        written.append(_save(heatmap_figure(result), folder / "heatmap.png"))
    return written


def _save(fig: Figure, path: Path) -> Path:
    FigureCanvasAgg(fig)  # PNG through Agg, whatever pyplot's backend is
    return atomic_write(
        path, lambda tmp: fig.savefig(tmp, dpi=120, bbox_inches="tight", format="png")
    )


def _grid(count: int, rows_per_panel: int) -> tuple[Figure, list]:
    cols = min(3, count)
    nrows = math.ceil(count / cols)
    # (at least 2.2 inches a row: a panel of one input left no room for the title and the
    # axes' labels, and tight_layout warned on the terminal)
    fig = Figure(figsize=(4.6 * cols, max(0.32 * rows_per_panel + 1.3, 2.2) * nrows))
    FigureCanvasAgg(fig)  # tight_layout measures text with the canvas's renderer
    axes = fig.subplots(nrows, cols, squeeze=False)
    for ax in axes.flat[count:]:
        ax.set_visible(False)
    return fig, list(axes.flat)


def _titled(fig: Figure, title: str) -> None:
    """The figure's title in the top 0.45 inch, and the panels laid out tightly below it (the
    title at matplotlib's default height, 2 % of the figure below its top, fell onto the first
    panels' titles in a figure of many metrics, 2 % being more than 0.45 inch there)."""
    height = fig.get_figheight()
    fig.suptitle(title, fontsize=11, y=1 - 0.1 / height, va="top")
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.45 / height))


def bars_figure(result: SensitivityResult, pair: tuple[str, str]) -> Figure:
    """Per metric, horizontal bars of two indices with their 95 % intervals."""
    labels = list(dict.fromkeys(result.indices[result.indices["index"] == pair[0]]["input"]))
    fig, axes = _grid(len(result.outputs), len(labels))
    styles = {pair[0]: "white", pair[1]: "0.45"}
    pos = np.arange(len(labels))
    for ax, metric in zip(axes, result.outputs, strict=False):
        t = result.indices[result.indices["metric"] == metric].set_index(["index", "input"])
        for k, key in enumerate(pair):
            vals = [t["value"].get((key, n), np.nan) for n in labels]
            errs = [t["confidence"].get((key, n), np.nan) for n in labels]
            ax.barh(pos + (k - 0.5) * 0.4, vals, height=0.4, xerr=errs, color=styles[key],
                    edgecolor="black", capsize=2, label=key)  # fmt: skip
        ax.set_yticks(pos, labels)
        ax.invert_yaxis()
        ax.axvline(0, color="black", linewidth=0.6)
        ax.set_title(textwrap.fill(metric_name(metric), 36), fontsize=10)
        ax.set_xlabel(
            _("index (share of the metric's variance)") if "delta" not in pair else _("index")
        )
    axes[0].legend(loc="lower right", fontsize=8)
    title = _("{method}: {first} and {second} indices, 95 % intervals")
    _titled(fig, title.format(method=result.method, first=pair[0], second=pair[1]))
    return fig


def morris_figure(result: SensitivityResult) -> Figure:
    """Per metric, the Morris μ*–σ plane (μ* with its interval)."""
    fig, axes = _grid(len(result.outputs), 8)
    markers = "osD^v<>ph*"
    for ax, metric in zip(axes, result.outputs, strict=False):
        rows = result.indices[result.indices["metric"] == metric]
        order = list(dict.fromkeys(rows["input"]))
        t = rows.pivot(index="input", columns="index", values="value").reindex(order)
        conf = rows[rows["index"] == "mu_star"].set_index("input")["confidence"]
        for k, name in enumerate(t.index):
            ax.errorbar(t.loc[name, "mu_star"], t.loc[name, "sigma"], xerr=conf.get(name, np.nan),
                        fmt=markers[k % len(markers)], color="black", mfc="white", capsize=2, label=name)  # fmt: skip
        top = np.nanmax(t[["mu_star", "sigma"]].to_numpy()) if len(t) else 1.0
        ax.plot([0, top], [0, top], color="0.6", linestyle="--", linewidth=0.8)
        ax.set_xlabel(_("μ* (metric units per input range)"))
        ax.set_ylabel("σ")
        ax.set_title(textwrap.fill(metric_name(metric), 36), fontsize=10)
    axes[0].legend(fontsize=7, loc="upper left")
    _titled(fig, _("Morris screening: μ* (importance) against σ (non-linearity, interactions)"))
    return fig


def heatmap_figure(result: SensitivityResult) -> Figure:
    """The main index, inputs × metrics (μ* relative to the largest of its metric)."""
    table = result.table()
    label = result.main_index
    if method(result.method).relative:
        table = table / table.abs().max(axis=0).replace(0, np.nan)
        label = _("μ* / largest μ* of the metric")
    values = table.to_numpy(dtype=float)
    metrics = [metric_name(str(c)) for c in table.columns]
    # metrics as rows when they outnumber the inputs (31 metrics as columns made a strip whose
    # slanted labels were too small to read in a report), inputs as rows otherwise
    tall = len(metrics) > len(table.index)
    rows, columns = (metrics, list(table.index)) if tall else (list(table.index), metrics)
    values = values.T if tall else values
    columns = [textwrap.fill(str(c), 14) for c in columns] if tall else columns
    name_width = 0.07 * max((len(r) for r in rows), default=0)
    label_height = 0.0 if tall else 0.075 * max((len(c) for c in columns), default=0)
    fig = Figure(
        figsize=(
            1.6 + name_width + (1.1 if tall else 0.75) * len(columns),
            1.4 + (0.3 if tall else 0.4) * len(rows) + label_height,
        )
    )
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    image = ax.imshow(np.clip(values, 0, 1), cmap="Greys", vmin=0, vmax=1, aspect="auto")
    outside = 0
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):
            color = "white" if v > 0.55 else "black"
            beyond = v > 1 + 1e-9 or v < -1e-9  # an index is in 0–1: only sampling error exceeds
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7, color=color,
                    style="italic" if beyond else "normal")  # fmt: skip
            if beyond:
                outside += 1
                ax.add_patch(Rectangle((j - 0.45, i - 0.45), 0.9, 0.9, fill=False, ec="0.5",
                                       lw=1.2, ls="--"))  # fmt: skip
    if tall:
        ax.set_xticks(range(len(columns)), columns, fontsize=8)
        ax.xaxis.tick_top()
    else:
        ax.set_xticks(range(len(columns)), columns, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(rows)), rows, fontsize=8)
    fig.colorbar(image, ax=ax, label=label, shrink=0.8)
    title = (
        _("{method}: {index}, metrics × inputs")
        if tall
        else _("{method}: {index}, inputs × metrics")
    ).format(method=result.method, index=label)
    if outside:
        note = _(
            "dashed box: {n} estimate(s) outside 0–1 (sampling error; shading stops at 1)"
        ).format(n=outside)
        title += "\n" + textwrap.fill(note, max(30, int(14 * fig.get_figwidth())))
    ax.set_title(title, fontsize=10 if not outside else 9)
    fig.tight_layout()
    return fig
