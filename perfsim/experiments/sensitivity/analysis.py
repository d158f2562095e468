"""Analysis of the evaluated samples: indices of every output, reliability notes on their
intervals, and a convergence check on nested parts of the sample."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ...i18n import metric_named
from ...metric_registry import NUMERICAL_DIAGNOSTICS
from ...results.names import SensitivityFiles
from .errors import SensitivityError
from .methods import Method, method
from .notes import NO_SMALLER_INDEX, NOT_CUT, note

TOLERANCE = 0.05
INDEX_COLUMNS = ["metric", "input", "index", "value", "confidence"]


def choose_metrics(
    available: Sequence[str], metrics: Sequence[str] | None, input_names: Sequence[str]
) -> list[str]:
    """The outputs to analyse (``metrics``, each once: one given twice made two columns of the same
    name and SALib's analysis a traceback; or every available one), checked against the inputs'
    names (a samples table holds both)."""
    if metrics:
        metrics = [metric_named(m, available) for m in metrics]  # (or their labels: 类别偏差)
        unknown = [m for m in metrics if m not in available]
        if unknown:
            raise SensitivityError(
                f"unknown metric(s) {', '.join(unknown)}; available: {', '.join(available)}"
            )
        chosen = list(dict.fromkeys(metrics))
    else:
        chosen = list(available)
    clash = sorted(set(input_names) & set(available))
    if clash:
        raise SensitivityError(
            f"input names {clash} are also output names; rename the inputs (name = ...)"
        )
    return chosen


def analyse_outputs(
    name: str,
    problem: Mapping,
    x: NDArray,
    outputs: pd.DataFrame,
    second_order: bool,
    seed: int,
    notes: list[str],
) -> tuple[pd.DataFrame, list[str]]:
    """Indices of every output that is defined in every sample and not constant (``notes`` get
    why an output is left out). Returns (tidy indices, analysed outputs)."""
    record = method(name)
    parts, analysed = [], []
    for metric in outputs.columns:
        y = outputs[metric].to_numpy(dtype=float)
        if not np.isfinite(y).all():
            bad = int((~np.isfinite(y)).sum())
            notes.append(note("undefined", metric=metric, bad=bad))
        elif np.ptp(y) <= 1e-12 * max(1.0, float(np.abs(y).max())):
            notes.append(note("constant", metric=metric))
        else:
            frame = record.analyse(problem, x, y, second_order=second_order, seed=seed)
            frame.insert(0, "metric", metric)
            parts.append(frame)
            analysed.append(metric)
    indices = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=INDEX_COLUMNS)
    return indices, analysed


def too_wide(value: float, confidence: float, scale: float) -> bool:
    """Whether an index is not yet reliable: its 95 % interval is wider than the index, and
    than 0.05 of ``scale`` (1, or the metric's largest μ* for Morris): noise around a zero index
    is expected."""
    return bool(confidence > abs(value) and confidence > 0.05 * scale)


def reliability_notes(indices: pd.DataFrame, method_name: str) -> dict[str, str]:
    """Per metric, a note on indices negative beyond their interval and on intervals wider than
    their index (those wider than 0.05, or 5 % of the largest μ*: noise around a zero index is
    expected)."""
    record = method(method_name)
    notes = {}
    checked = indices[indices["index"].isin(record.checked)]
    for metric, group in checked.groupby("metric", sort=False):
        scale = group["value"].abs().max() if record.relative else 1.0
        negative = group[group["value"] + group["confidence"] < 0]
        pairs = zip(group["value"], group["confidence"], strict=True)
        wide = group[[too_wide(v, c, scale) for v, c in pairs]]
        cells = {
            "negative": ", ".join(
                f"{r.index} of {r.input} = {r.value:.3g} ± {r.confidence:.2g}"
                for r in negative.itertuples()
            ),
            "wide": ", ".join(f"{r.index} of {r.input}" for r in wide.itertuples()),
        }
        found = [kind for kind, text in cells.items() if text]
        if found:
            key = "unreliable_" + ("both" if len(found) == 2 else found[0])
            notes[metric] = note(key, metric=metric, **{k: cells[k] for k in found})
    return notes


def summary_notes(reliability: Mapping[str, str], analysed: Sequence[str], conv: dict) -> list[str]:
    """The run's notes on reliability (each, or a count when there are many) and convergence."""
    if len(reliability) <= 3:
        notes = list(reliability.values())
    else:
        notes = [
            note(
                "unreliable",
                count=len(reliability),
                analysed=len(analysed),
                metrics=", ".join(reliability),
                file=SensitivityFiles.METADATA,
            )
        ]
    if conv["available"]:
        notes.append(note("convergence", advice=conv["advice"]))
    else:
        notes.append(note("no_convergence_check", reason=conv["reason"]))
    return notes


def convergence(
    method_name: str,
    problem: Mapping,
    x: NDArray,
    outputs: pd.DataFrame,
    n: int,
    second_order: bool,
    seed: int,
    tolerance: float = TOLERANCE,
) -> tuple[pd.DataFrame, dict]:
    """Indices on the first N/4, N/2 and all N of the sample; the largest change between N/2 and N
    of the main index (ST, μ* relative to the largest μ*, or δ), and advice on N."""
    record = method(method_name)
    key = record.main_index
    y = outputs.to_numpy()
    if record.prefix(problem, x, y, n, 4, second_order) is None:
        reason = record.uncut_reason or NOT_CUT
        return pd.DataFrame(), {"available": False, "reason": reason, "index": key}
    rows = []
    for part in (4, 2, 1):
        xs, ys, size = record.prefix(problem, x, y, n, part, second_order)
        for j, metric in enumerate(outputs.columns):
            frame = record.analyse(
                problem, xs, ys[:, j], second_order=second_order, seed=seed, resamples=10
            )
            frame = frame[frame["index"] == key]
            for r in frame.itertuples():
                rows.append((metric, r.input, key, size, r.value))
    table = pd.DataFrame(rows, columns=["metric", "input", "index", "n", "value"])
    return table, _convergence_summary(record, table, tolerance)


def _convergence_summary(record: Method, table: pd.DataFrame, tolerance: float) -> dict[str, Any]:
    key, unit = record.main_index, record.unit
    sizes = sorted(table["n"].unique())
    wide = table.pivot_table(index=["metric", "input"], columns="n", values="value", sort=False)
    if record.relative:
        scale = wide.abs().groupby(level="metric").transform("max").replace(0, np.nan)
        wide = wide / scale
    # the solver's own diagnostics do not size the sample (metric_registry.NUMERICAL_DIAGNOSTICS)
    outcome = ~wide.index.get_level_values("metric").isin(NUMERICAL_DIAGNOSTICS)
    change_half = (wide[sizes[2]] - wide[sizes[1]]).abs()[outcome]
    change_quarter = (wide[sizes[1]] - wide[sizes[0]]).abs()[outcome]
    summary: dict[str, Any] = {
        "available": True,
        "index": key,
        "relative": record.relative,
        "sizes": [int(s) for s in sizes],
        "tolerance": tolerance,
    }
    if not change_half.notna().any():
        summary["advice"] = NO_SMALLER_INDEX
        return summary
    (metric, name), largest = change_half.idxmax(), float(change_half.max())
    summary.update(
        largest_change=largest,
        largest_change_quarter_half=float(change_quarter.max()),
        metric=metric,
        input=name,
    )
    fields = dict(index=key, unit=unit, small=sizes[1], large=sizes[2], tolerance=tolerance)
    fields.update(metric=metric, input=name)
    if largest <= tolerance:
        summary["advice"] = note("stable", change=f"{largest:.3f}", **fields)
    else:
        # the error falls as 1/√N; the method's size rule rounds (Sobol': a power of two)
        needed, _ = record.size(math.ceil(sizes[2] * (largest / tolerance) ** 2))
        summary["n_needed"] = needed
        summary["advice"] = note("needed", change=f"{largest:.3f}", needed=needed, **fields)
    return summary
