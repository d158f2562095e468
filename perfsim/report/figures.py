"""Figures of a run folder (``perfsim run``) or a comparison folder (``perfsim compare``).

Every figure function takes tidy tables (as read from the folder) and returns a
:class:`matplotlib.figure.Figure`, built without pyplot (no global state; PNG through Agg).
Figures are readable in black and white: rules, classes and verdicts are told apart by hatching,
marker shape and fill, never by colour alone. Chinese names are drawn with a CJK fallback font when
one is installed (:mod:`perfsim.report.fonts`).

:func:`save_figures` writes every figure that applies to a folder as PNG (120 dpi) and SVG into
``<run_dir>/figures/``:

========================  =====================================================================
``forest``                paired differences from the reference rule, per metric (comparison)
``confusion``             true band × assigned grade, per rule
``effort_gaming``         effort per task and gaming per indicator, per class and rule
``score_vs_value``        total score against true value, and rank by score against rank by value
``weights``               nominal against effective weight of each component, per rule
``robustness``            maximum regret per rule and metric (comparison with ``--across``)
========================  =====================================================================

A comparison's per-department figures show its first world (the ``base`` world, or the first
combination of ``--across`` values); the forest plot shows every world.
"""

from __future__ import annotations

import json
import math
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import MaxNLocator

from .. import metric_registry
from ..scenario import PerfsimError
from .fonts import font_context
from .style import DPI, RC, atomic_savefig, figure_function, footnote

__all__ = [
    "FIGURE_STEMS",
    "RunFolder",
    "RunFolderError",
    "SavedFigure",
    "confusion_figure",
    "effort_gaming_figure",
    "forest_figure",
    "load_run",
    "nominal_shares",
    "robustness_figure",
    "save_figures",
    "score_value_figure",
    "weights_figure",
    "write_figures",
]

FIGURE_STEMS = ("forest", "confusion", "effort_gaming", "score_vs_value", "weights", "robustness")
DEFAULT_COMPONENT = "综合"

# Black-and-white styles: (face colour, hatch) of bar series, and marker shapes of classes.
_BAR_STYLES = [
    ("0.3", ""),
    ("white", "///"),
    ("0.75", ""),
    ("white", "..."),
    ("0.55", "xx"),
    ("white", "\\\\\\"),
    ("0.9", "++"),
    ("white", "oo"),
]
_MARKERS = ["o", "s", "^", "D", "v", "P", "X", "<", ">", "h"]
_LINESTYLES = ["-", "--", ":", "-."]
_VERDICT_STYLE = {  # marker, face colour, label
    "better": ("o", "black", "better (95 % interval excludes 0)"),
    "worse": ("s", "white", "worse (95 % interval excludes 0)"),
    "no detectable difference": ("D", "0.65", "no detectable difference"),
    "": ("x", "black", "descriptive (no better side)"),
}


# ---------------------------------------------------------------------------------------------
# Reading a folder


class RunFolderError(PerfsimError, FileNotFoundError):
    """A folder that is not (or no longer) a complete perfsim run or comparison folder."""


@dataclass
class RunFolder:
    """What the figures and the report need from a run or comparison folder.

    ``rules`` are the rule names (the first is the reference of a comparison), ``worlds`` the
    world names; the per-department tables (``departments``, ``confusion``, ``metrics``) are those
    of the first world, keyed by rule."""

    path: Path
    kind: str  # "run" or "comparison"
    metadata: dict
    rules: list[str]
    worlds: list[str]
    scenarios: dict[str, dict]  # rule → resolved scenario (raw dict)
    runs: dict[tuple[str, str], Path]  # (world, rule) → single-run folder
    metrics: dict[str, pd.DataFrame] = field(default_factory=dict)
    departments: dict[str, pd.DataFrame] = field(default_factory=dict)
    confusion: dict[str, pd.DataFrame] = field(default_factory=dict)
    comparison: pd.DataFrame | None = None
    robustness: pd.DataFrame | None = None

    @property
    def reference(self) -> str:
        return self.rules[0]

    def run_metadata(self, world: str, rule: str) -> dict:
        return _read_json(self.runs[(world, rule)] / "metadata.json")


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _read_csv(path: Path, **kwargs) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, na_values=[""], **kwargs)


def _single_rule_name(meta: dict) -> str:
    resolved = meta.get("resolved_scenario") or {}
    return (
        meta.get("scenario_name")
        or (resolved.get("rule") or {}).get("name")
        or (resolved.get("meta") or {}).get("name")
        or Path(str(meta.get("scenario", "run"))).stem
    )


def load_run(run_dir: str | Path) -> RunFolder:
    """Read a run folder or a comparison folder (see :class:`RunFolder`); a folder that is not
    one raises :class:`RunFolderError` (a :class:`~perfsim.PerfsimError`)."""
    path = Path(run_dir)
    if not (path / "metadata.json").is_file():
        raise RunFolderError(
            f"{path}: not a perfsim run folder (no metadata.json); give a folder written by "
            "`perfsim run` or `perfsim compare`"
        )
    try:
        return _load(path)
    except (OSError, KeyError, ValueError) as exc:
        if isinstance(exc, PerfsimError):
            raise
        raise RunFolderError(f"{path}: incomplete or damaged run folder: {exc}") from exc


def _load(path: Path) -> RunFolder:
    meta = _read_json(path / "metadata.json")
    if meta.get("kind") == "comparison":
        rules, worlds = list(meta["rules"]), list(meta["worlds"])
        runs = {(r["world"], r["rule"]): path / r["folder"] for r in meta["runs"]}
        folder = RunFolder(
            path=path,
            kind="comparison",
            metadata=meta,
            rules=rules,
            worlds=worlds,
            scenarios=dict(meta.get("resolved_scenarios", {})),
            runs=runs,
            comparison=_read_csv(path / "comparison.csv", dtype={"verdict": str, "direction": str}),
        )
        if (path / "robustness.csv").is_file():
            folder.robustness = _read_csv(path / "robustness.csv", dtype={"direction": str})
        if folder.comparison is not None:
            for col in ("verdict", "direction"):
                folder.comparison[col] = folder.comparison[col].fillna("")
    else:
        name = _single_rule_name(meta)
        folder = RunFolder(
            path=path,
            kind="run",
            metadata=meta,
            rules=[name],
            worlds=["base"],
            scenarios={name: meta.get("resolved_scenario", {})},
            runs={("base", name): path},
        )
    for rule in folder.rules:
        sub = folder.runs[(folder.worlds[0], rule)]
        folder.metrics[rule] = _read_csv(sub / "metrics.csv", dtype={"direction": str}).fillna(
            {"direction": ""}
        )
        if (sub / "departments.csv").is_file():
            folder.departments[rule] = _read_csv(sub / "departments.csv", dtype={"class": str})
        if (sub / "confusion.csv").is_file():
            folder.confusion[rule] = _read_csv(sub / "confusion.csv", index_col=0)
    return folder


def nominal_shares(scenario: Mapping) -> dict[str, float]:
    """Nominal share of each component of a resolved scenario, rescaled to sum to 1 (a rule
    without components has one component, 综合, with share 1)."""
    comps = (scenario.get("rule") or {}).get("components") or {}
    shares = {name: float((c or {}).get("share", 0.0)) for name, c in comps.items()}
    total = sum(shares.values())
    if not shares or total <= 0:
        return {DEFAULT_COMPONENT: 1.0}
    return {name: s / total for name, s in shares.items()}


def short_world(world: str) -> str:
    """``world.classes.back.visibility=0.3`` → ``back.visibility=0.3`` (each assumption)."""
    parts = []
    for item in world.split(", "):
        path, sep, value = item.partition("=")
        segs = path.split(".")
        parts.append(".".join(segs[-2:]) + sep + value if sep else item)
    return ", ".join(parts)


# ---------------------------------------------------------------------------------------------
# Helpers


def _grid(n: int, ncols: int) -> tuple[int, int]:
    ncols = max(1, min(ncols, n))
    return math.ceil(n / ncols), ncols


def _hide_unused(axes: np.ndarray, used: int) -> None:
    for ax in axes.flat[used:]:
        ax.set_visible(False)


def _direction(metric: str, table_direction: str = "") -> str:
    return table_direction or metric_registry.better(metric)


def _wrap(text: str, width: int = 16) -> str:
    return "\n".join(textwrap.wrap(str(text), width)) or str(text)


def _styled_bars(
    ax, centers, values, k: int, n: int, width: float, label: str, style: int | None = None, **kw
):
    face, hatch = _BAR_STYLES[(k if style is None else style) % len(_BAR_STYLES)]
    offset = (k - (n - 1) / 2) * width
    return ax.bar(
        np.asarray(centers) + offset,
        values,
        width=width,
        color=face,
        hatch=hatch,
        edgecolor="black",
        linewidth=0.6,
        label=label,
        **kw,
    )


def _class_order(frames: Sequence[pd.DataFrame]) -> list[str]:
    return list(dict.fromkeys(c for f in frames for c in f["class"].astype(str)))


# ---------------------------------------------------------------------------------------------
# Figures


@figure_function
def forest_figure(
    comparison: pd.DataFrame, *, reference: str | None = None, ncols: int | None = None
) -> Figure:
    """Forest plot: for each metric, each non-reference rule's paired difference from the
    reference with its 95 % interval (``comparison.csv``), one panel per metric and one row per
    rule (× world). The better side of 0 (by the metric's direction) is shaded and labelled; the
    marker says the verdict. Metrics whose value is the same under every rule in every world are
    listed under the figure instead of drawn; ``effective_weight:*`` has its own figure."""
    ref_rows = comparison[comparison["verdict"] == "reference"]
    reference = reference or (str(ref_rows["rule"].iloc[0]) if len(ref_rows) else "reference")
    others = comparison[comparison["rule"] != reference]
    rules = list(dict.fromkeys(others["rule"]))
    worlds = list(dict.fromkeys(others["world"]))
    metrics = [
        m for m in dict.fromkeys(comparison["metric"]) if not str(m).startswith("effective_weight:")
    ]
    flat, shown = [], []
    for m in metrics:
        vals = others.loc[others["metric"] == m, ["diff", "diff_low", "diff_high"]].to_numpy(float)
        finite = vals[np.isfinite(vals)]
        (flat if finite.size == 0 or np.all(finite == 0) else shown).append(m)
    rows = [(r, w) for r in rules for w in worlds]
    labels = [
        _wrap(r, 24) if len(worlds) == 1 else f"{_wrap(r, 24)}\n{short_world(w)}" for r, w in rows
    ]
    n_panels = max(1, len(shown))
    nrow, ncol = _grid(n_panels, ncols or (3 if n_panels > 6 else 2))
    panel_h = 0.9 + 0.32 * len(rows) * (1.4 if len(worlds) > 1 else 1)
    fig = Figure(figsize=(4.0 * ncol + 1.2, panel_h * nrow + 1.2), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrow, ncol, sharey=True, squeeze=False))
    y = np.arange(len(rows))[::-1]
    for ax, metric in zip(axes.flat, shown, strict=False):
        sub = others[others["metric"] == metric].set_index(["rule", "world"])
        direction = _direction(metric, str(sub["direction"].iloc[0]) if len(sub) else "")
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
            marker, face, _ = _VERDICT_STYLE.get(str(row["verdict"]), _VERDICT_STYLE[""])
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
                "better →" if direction == "higher" else "← better",
                transform=ax.transAxes,
                ha="right" if direction == "higher" else "left",
                va="bottom",
                fontsize=8,
                style="italic",
            )
        ax.set_xlim(lo, hi)
        ax.xaxis.set_major_locator(MaxNLocator(5))
        ax.set_title(metric, loc="left", fontsize=9.5, fontweight="bold", pad=12)
        ax.set_xlabel(f"difference from reference ({metric_registry.unit(metric, 'metric units')})")
        ax.set_yticks(y, labels)
        ax.set_ylim(-0.7, len(rows) - 0.3)
        ax.tick_params(axis="y", length=0)
    if not shown:
        axes.flat[0].text(0.5, 0.5, "no metric differs between the rules", ha="center", va="center")
        axes.flat[0].set_axis_off()
    _hide_unused(axes, n_panels)
    handles = [
        Line2D([], [], ls="none", marker=m, mfc=f, mec="black", color="black", ms=7, label=lab)
        for key, (m, f, lab) in _VERDICT_STYLE.items()
        if key in set(others["verdict"].astype(str))
    ] + [Patch(facecolor="0.9", label="better side of 0 (by the metric's direction)")]
    title = (
        f"Paired differences from the reference rule “{reference}” "
        "(mean and 95 % interval over replications, common random numbers)"
    )
    fig.legend(  # the title heads the legend: an outside legend and a suptitle would overlap
        handles=handles,
        loc="outside upper center",
        ncols=min(3, len(handles)),
        frameon=False,
        title=_wrap(title, int(11 * fig.get_figwidth())),
        title_fontproperties={"size": 10},
    )
    if flat:
        footnote(fig, "Same value under every rule (not drawn): " + ", ".join(flat) + ".")
    return fig


@figure_function
def confusion_figure(confusions: Mapping[str, pd.DataFrame], *, ncols: int = 3) -> Figure:
    """Grade confusion matrix per rule: rows are the *true* band (the band a department would get
    if departments were ranked by true value, with the band sizes the rule produced), columns the
    grade the rule assigned; each cell is the share of department-replications (written in the
    cell, in %). The diagonal is the share graded as deserved."""
    names = list(confusions)
    nrow, ncol = _grid(len(names), ncols)
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
        ax.set_xlabel("assigned grade")
        if k % ncol == 0:
            ax.set_ylabel("true band (by true value)")
        diag = float(np.trace(values)) if values.shape[0] == values.shape[1] else float("nan")
        ax.set_title(f"{name}\n{100 * diag:.0f} % graded as deserved", fontsize=9)
        for spine in ax.spines.values():
            spine.set_visible(True)
    _hide_unused(axes, len(names))
    if image is not None:
        fig.colorbar(
            image,
            ax=axes.ravel().tolist(),
            shrink=0.8,
            label="share of department-replications (%)",
        )
    fig.suptitle("Grade confusion: true band × assigned grade (bold: graded as deserved)")
    return fig


@figure_function
def effort_gaming_figure(departments: Mapping[str, pd.DataFrame]) -> Figure:
    """Mean real effort per task (``effort:<task>``) and gaming effort per gameable indicator
    (``gaming:<indicator>``) of ``departments.csv``, as grouped bars. With one rule, bars are the
    department classes; with several rules, one row of panels per class and bars are the rules, so
    that what a rule changes in each class reads side by side."""
    names = list(departments)
    frames = list(departments.values())
    classes = _class_order(frames)
    tasks = [c.split(":", 1)[1] for c in frames[0].columns if c.startswith("effort:")]
    gamed = [c.split(":", 1)[1] for c in frames[0].columns if c.startswith("gaming:")]
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
            [("effort", tasks, "task"), ("gaming", gamed, "gameable indicator")]
        ):
            ax = axes[p, col]
            x = np.arange(len(items))
            width = 0.8 / max(1, len(series))
            for k, s in enumerate(series):
                frame = departments[rule if rule else s]
                rows = frame[frame["class"].astype(str) == (cls if cls else s)]
                vals = [rows[f"{prefix}:{i}"].mean() if len(rows) else np.nan for i in items]
                _styled_bars(ax, x, vals, k, len(series), width, str(s))
                any_gaming |= prefix == "gaming" and bool(np.nansum(np.abs(vals)) > 0)
            ax.set_xticks(
                x,
                items,
                rotation=30 if len(items) > 4 else 0,
                ha="right" if len(items) > 4 else "center",
            )
            ax.set_xlabel(what)
            what_y = "real effort" if prefix == "effort" else "gaming effort"
            ax.set_ylabel(f"{what_y} (effort units,\nmean per department)")
            where = f" — class {cls}" if cls else ""
            ax.set_title(f"{'Real effort' if prefix == 'effort' else 'Gaming'}{where}", loc="left")
            if not items:
                ax.text(
                    0.5,
                    0.5,
                    "no gameable indicator",
                    ha="center",
                    va="center",
                    transform=ax.transAxes,
                )
            ax.axhline(0, color="black", lw=0.6)
    if not any_gaming:
        for ax in axes[:, 1]:
            ax.set_ylim(0, 1)
            ax.text(
                0.5, 0.5, "no gaming (all zero)", ha="center", va="center", transform=ax.transAxes
            )
    handles = [
        Patch(
            facecolor=_BAR_STYLES[k % 8][0],
            hatch=_BAR_STYLES[k % 8][1],
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
        title="class" if len(names) == 1 else "rule",
    )
    title = "What departments do: effort per task and gaming per indicator"
    fig.suptitle(title + (f" — rule {names[0]}" if len(names) == 1 else ""))
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
    classes = _class_order(list(departments.values()))
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
            marker = _MARKERS[k % len(_MARKERS)]
            face = ["white", "0.2", "0.6"][k % 3]
            style = {"marker": marker, "mfc": face, "mec": "black", "ls": "none", "ms": 5}
            ax.plot(value[sel], total[sel], label=str(cls), **style)
            if sel.sum() >= 2 and np.ptp(value[sel]) > 0:
                slope, icpt = np.polyfit(value[sel], total[sel], 1)
                xs = np.array([value[sel].min(), value[sel].max()])
                ax.plot(xs, icpt + slope * xs, color="black", lw=1, ls=_LINESTYLES[k % 4])
            bx.plot(rank_value[sel], rank_score[sel], **style)
        n = len(frame)
        bx.plot([1, n], [1, n], color="black", lw=0.8, ls="--", label="ranked as deserved")
        shift = float(np.mean(np.abs(rank_score - rank_value)))
        ax.set_xlabel("true value V (value units, mean over replications)")
        ax.set_ylabel("total score (points)")
        ax.set_title(f"{name}\nscore against true value", loc="left")
        bx.set_xlabel("rank by true value (1 = highest)")
        bx.set_ylabel("rank by total score (1 = highest)")
        bx.set_title(f"ranks (mean shift {shift:.1f} places)", loc="left")
        bx.set_xlim(0, n + 1)
        bx.set_ylim(0, n + 1)
        bx.set_aspect("equal", adjustable="box")
        if r == 0:
            ax.legend(title="class (line: least squares)", frameon=False, loc="best")
            bx.legend(frameon=False, loc="upper left")
    fig.suptitle("Measured against true: total score and rank of each department")
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
        b1 = _styled_bars(ax, x, nom, 0, 2, 0.38, "nominal share", style=1)
        b2 = _styled_bars(ax, x, eff, 1, 2, 0.38, "effective weight", style=0)
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
        ax.set_xlabel("component")
        ax.set_title(_wrap(name, 40), loc="left")
        ax.set_ylim(0, 1.12)
        if k == 0:
            ax.set_ylabel("weight (share of the total, 0–1)")
    fig.legend(handles=[b1, b2], loc="outside lower center", ncols=2, frameon=False)
    fig.suptitle("Nominal against effective weight of each component")
    return fig


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
    fig = Figure(
        figsize=(2.2 + 1.6 * len(rules), 1.4 + 0.42 * max(1, len(table))), layout="constrained"
    )
    ax = fig.subplots()
    if len(table):
        values = table.to_numpy(float)
        rel = values / np.nanmax(values, axis=1, keepdims=True)
        image = ax.imshow(rel, cmap="Greys", vmin=0, vmax=1, aspect="auto")
        for i in range(values.shape[0]):
            best = int(np.nanargmin(values[i]))
            for j in range(values.shape[1]):
                ax.text(
                    j,
                    i,
                    f"{values[i, j]:.3g}",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if rel[i, j] > 0.55 else "black",
                    fontweight="bold" if j == best else "normal",
                )
            ax.add_patch(Rectangle((best - 0.5, i - 0.5), 1, 1, fill=False, ec="black", lw=1.6))
        ax.set_xticks(range(len(rules)), [_wrap(r) for r in rules])
        ax.set_yticks(range(len(table)), [f"{m} ({metric_registry.unit(m)})" for m in table.index])
        fig.colorbar(image, ax=ax, label="max regret / largest in row")
    else:
        ax.text(0.5, 0.5, "no rule has any regret", ha="center", va="center")
        ax.set_axis_off()
    fig.suptitle(
        "Maximum regret across assumed worlds\n(0 = best in every world; box = most robust)"
    )
    if zero:
        footnote(fig, "No regret for any rule (not drawn): " + ", ".join(zero) + ".", width=80)
    return fig


# ---------------------------------------------------------------------------------------------
# Writing


@dataclass
class SavedFigure:
    """A figure written to ``figures/``: stem, PNG and SVG paths, a caption and alt text."""

    stem: str
    title: str
    caption: str
    alt: str
    png: Path
    svg: Path


def _specs(run: RunFolder) -> list[tuple[str, str, str, str, Callable[[], Figure]]]:
    """(stem, title, caption, alt, builder) of each figure that applies to the folder."""
    ref = run.reference
    first = run.worlds[0]
    where = (
        f" Shown for the first world ({short_world(first)})."
        if run.kind == "comparison" and len(run.worlds) > 1
        else ""
    )
    specs = []
    if run.comparison is not None and len(run.rules) > 1:
        specs.append(
            (
                "forest",
                "Paired differences from the reference",
                f"Each non-reference rule's difference from “{ref}” on each metric, with its 95 % "
                "interval over replications (common random numbers: the rules see the same "
                "departments and noise). The shaded side of the dashed zero line is the better "
                "side; a filled circle is a better verdict, an open square a worse one.",
                f"Forest plot of the paired differences of each metric from the reference rule "
                f"{ref}, one panel per metric.",
                lambda: forest_figure(run.comparison, reference=ref),
            )
        )
    if run.confusion:
        specs.append(
            (
                "confusion",
                "Grade confusion",
                "Share of department-replications (%) by true band (the band each department "
                "would get if ranked by true value, with the same band sizes) and assigned grade; "
                "the diagonal is graded as deserved." + where,
                "Heatmaps of true band against assigned grade, one per rule, shares in the cells.",
                lambda: confusion_figure(run.confusion),
            )
        )
    if run.departments:
        specs.append(
            (
                "effort_gaming",
                "Effort and gaming",
                "Mean real effort per task and gaming effort per gameable indicator, by class "
                "of department" + (" and rule." if len(run.rules) > 1 else ".") + where,
                "Grouped bar charts of effort per task and gaming per indicator.",
                lambda: effort_gaming_figure(run.departments),
            )
        )
        specs.append(
            (
                "score_vs_value",
                "Score against true value",
                "Left: each department's total score against its true value, with a "
                "least-squares line per class (parallel lines at different heights = class "
                "bias). Right: rank by score against rank by true value; the dashed diagonal is "
                "a faithful ranking. Each point averages a department slot over replications "
                "(departments are drawn afresh in each), so the points show systematic effects; "
                "per-replication fidelity is kendall_tau in the metrics table." + where,
                "Scatter plots of total score against true value and of rank by score against "
                "rank by true value, markers by class.",
                lambda: score_value_figure(run.departments),
            )
        )
    eff = {
        r: m
        for r, m in run.metrics.items()
        if m["metric"].astype(str).str.startswith("effective_weight:").any()
    }
    if eff:
        specs.append(
            (
                "weights",
                "Nominal and effective weights",
                "Nominal share of each component against its effective weight (nominal share × "
                "spread of its scores across departments, normalised), with 95 % intervals. A "
                "component near its ceiling counts for little, whatever its nominal share." + where,
                "Paired bars of nominal and effective weight per component and rule.",
                lambda: weights_figure(eff, {r: nominal_shares(run.scenarios[r]) for r in eff}),
            )
        )
    if run.robustness is not None and len(run.robustness):
        specs.append(
            (
                "robustness",
                "Robustness across assumptions",
                "Maximum regret of each rule on each metric across the worlds "
                + "; ".join(short_world(w) for w in run.worlds)
                + " (regret = distance from the best rule in that world, in the metric's units; "
                "the boxed rule is the most robust).",
                "Heatmap of maximum regret per rule and metric.",
                lambda: robustness_figure(run.robustness, rules=run.rules),
            )
        )
    return specs


def write_figures(run: RunFolder) -> list[SavedFigure]:
    """Write every figure that applies to ``run`` into ``<run>/figures/`` (PNG and SVG, each
    written to a temporary name and renamed); remove stale figures of the known names that no
    longer apply. Returns what was written, in report order."""
    import matplotlib as mpl

    out = run.path / "figures"
    out.mkdir(exist_ok=True)
    saved = []
    for stem, title, caption, alt, build in _specs(run):
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
    paths written (for each figure its PNG, then its SVG)."""
    return [p for f in write_figures(load_run(run_dir)) for p in (f.png, f.svg)]


def metric_description(metric: str) -> str:
    """One-line description of a metric (also for ``effective_weight:<component>``), from
    :mod:`perfsim.metric_registry`."""
    return metric_registry.describe(metric)
