"""Rule-space exploration: which ranges of the rule inputs keep every metric within bounds.

A designer gives bounds on metrics, e.g. ``class_bias < 5`` and ``gaming_share < 0.1``. Every sample
of a sensitivity analysis is labelled *good* when all its metrics meet the bounds (a metric that is
undefined fails). A classification tree (scikit-learn's ``DecisionTreeClassifier``, CART: Breiman
et al. 1984) is fitted to the labels on the rule inputs — the inputs a designer controls (dotted
paths under ``rule.``); the world's uncertain assumptions vary inside every box, so a box's density
averages over them. Each leaf of the tree is a box (a range per numeric input, a set of allowed
choices per categorical one, one-hot encoded so that the order of the choices does not matter);
perfsim reports the leaf with the highest density among those that cover at least ``min_coverage``
of the good samples (scenario discovery, Bryant & Lempert 2010):

    coverage = good samples in the box / all good samples,
    density  = good samples in the box / all samples in the box.

Why a tree and not PRIM (Friedman & Fisher 1999): scikit-learn is already a dependency, is well
kept and deterministic (``random_state``), and a shallow tree gives the same kind of answer — boxes
with few restricted inputs — while also handling categorical inputs; the ``prim`` package on PyPI is
a small single-maintainer project, and the EMA Workbench, which has a maintained PRIM, is a large
dependency for one step.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..csvsafe import write_csv
from ..i18n import metric_named
from ..io import atomic_write
from ..results.names import SensitivityFiles
from ..scenario import PerfsimError
from ..scenario.errors import error
from ..scenario.overrides import ascii_comparison, bound_number

OPERATORS = ("<=", ">=", "<", ">")
#: fewer samples meeting the bounds than this: the region is said to be a first look
FEW_GOOD = 30
_BOUND = re.compile(r"^\s*(?P<metric>[^<>=]+?)\s*(?P<op><=|>=|<|>)\s*(?P<value>[^<>=]+?)\s*$")


class BoundError(PerfsimError, ValueError):
    """A bound that cannot be read, or that names no metric of the run."""


def parse_bound(text: str) -> tuple[str, str, float]:
    """``"class_bias<5"`` → ``("class_bias", "<", 5.0)``; operators <, <=, >, >=; a share's value
    may be a percentage (``"gaming_share<2%"``)."""
    match = _BOUND.match(ascii_comparison(text))
    number, metric = None, match["metric"].strip() if match else ""  # (its label: in meets)
    if match:
        try:
            number = bound_number(match["value"], metric_named(metric))
        except ValueError as exc:
            raise BoundError(f"--bound {text!r}: {exc}") from None
    if number is not None:
        return metric, match["op"], _finite(number, f"--bound {text!r}")
    raise BoundError(error("bound_form", text=repr(text)))


def _finite(value, where: str) -> float:
    """A bound's value: a finite number (a bound of NaN or ∞ is met by no sample, or by all)."""
    number = float(value)
    if not np.isfinite(number):
        raise BoundError(error("bound_not_finite", where=where, value=value))
    return number


def parse_bounds(
    bounds: Mapping[str, tuple[str, float]] | Sequence[str],
) -> dict[str, tuple[str, float]]:
    """Bounds as ``{metric: (operator, value)}``, from a mapping or from ``METRIC<VALUE`` strings."""
    if isinstance(bounds, Mapping):
        out = {}
        for metric, (op, value) in bounds.items():
            if op not in OPERATORS:
                raise BoundError(
                    f"bound on {metric}: operator {op!r}; allowed: {', '.join(OPERATORS)}"
                )
            out[str(metric)] = (op, _finite(value, f"bound on {metric}"))
        return out
    parsed = [parse_bound(t) for t in bounds]
    metrics = [m for m, _, _ in parsed]
    twice = sorted({m for m in metrics if metrics.count(m) > 1})
    if twice:  # (the last one alone was kept, without a word)
        raise BoundError(error("bound_twice", metrics=", ".join(twice)))
    return {m: (op, v) for m, op, v in parsed}


def _named(bounds: Mapping[str, tuple[str, float]], columns) -> dict[str, tuple[str, float]]:
    """The bounds keyed by the metrics they name (a label, ``类别偏差``, is its metric's), unless
    an output is called so."""
    return {metric_named(m, list(columns)): bound for m, bound in bounds.items()}


def meets(outputs: pd.DataFrame, bounds: Mapping[str, tuple[str, float]]) -> np.ndarray:
    """Boolean per sample: every bounded metric meets its bound (NaN fails); a metric may be
    named by its label (``类别偏差``), unless an output is called so."""
    bounds = _named(bounds, outputs.columns)
    missing = [m for m in bounds if m not in outputs.columns]
    if missing:
        raise BoundError(
            f"bound on unknown metric(s) {', '.join(missing)}; available: {', '.join(outputs.columns)}"
        )
    ok = np.ones(len(outputs), dtype=bool)
    for metric, (op, value) in bounds.items():
        y = outputs[metric].to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            ok &= {"<": y < value, "<=": y <= value, ">": y > value, ">=": y >= value}[op]
    return ok


@dataclass
class Region:
    """The box found: one row per input (low/high for numbers, allowed choices for categories)."""

    table: pd.DataFrame  # input, low, high, allowed, restricted, coverage, density
    bounds: dict[str, tuple[str, float]]
    good: int  # samples meeting every bound
    total: int
    in_box: int
    good_in_box: int
    summary: str

    @property
    def coverage(self) -> float:
        return self.good_in_box / self.good if self.good else float("nan")

    @property
    def density(self) -> float:
        return self.good_in_box / self.in_box if self.in_box else float("nan")


def _encode(inputs: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, list]]:
    """Numeric columns as they are; categorical ones one-hot (column ``name=choice``)."""
    parts, categories = [], {}
    for name in inputs.columns:
        col = inputs[name]
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            parts.append(col.astype(float).rename(name))
        else:
            levels = list(dict.fromkeys(col.astype(str)))
            categories[name] = levels
            for level in levels:
                parts.append((col.astype(str) == level).astype(float).rename(f"{name}={level}"))
    return pd.concat(parts, axis=1), categories


def _leaf_boxes(tree, features: pd.DataFrame) -> dict[int, dict[str, tuple[float, float]]]:
    """For each leaf, the interval of every feature on the path from the root. The tree cuts
    between two sampled values in single precision (0.550000011920929): each cut is taken as the
    midpoint of those two values, in double."""
    t = tree.tree_
    columns = list(features.columns)
    values = {c: np.unique(features[c].to_numpy()) for c in columns}

    def exact(name: str, cut: float) -> float:
        u = values[name]
        i = int(np.searchsorted(u, cut, side="right"))
        return float((u[i - 1] + u[i]) / 2) if 0 < i < len(u) else cut

    boxes: dict[int, dict[str, tuple[float, float]]] = {}
    stack = [(0, {})]
    while stack:
        node, box = stack.pop()
        if t.children_left[node] == -1:
            boxes[node] = box
            continue
        name = columns[t.feature[node]]
        cut = exact(name, float(t.threshold[node]))
        low, high = box.get(name, (-math.inf, math.inf))
        stack.append((t.children_left[node], {**box, name: (low, min(high, cut))}))
        stack.append((t.children_right[node], {**box, name: (max(low, cut), high)}))
    return boxes


def find_region(
    inputs: pd.DataFrame,
    outputs: pd.DataFrame,
    bounds: Mapping[str, tuple[str, float]] | Sequence[str],
    *,
    max_depth: int = 3,
    min_coverage: float = 0.1,
    min_leaf: float = 0.02,
    random_state: int = 0,
) -> Region:
    """The box of ``inputs`` (one row per sample) where ``outputs`` meet ``bounds``, from a shallow
    classification tree (module doc). ``min_leaf``: smallest leaf, as a share of the samples."""
    from sklearn.tree import DecisionTreeClassifier

    bounds = _named(parse_bounds(bounds), outputs.columns)
    ok = meets(outputs, bounds)
    features, categories = _encode(inputs.reset_index(drop=True))
    total, good = len(ok), int(ok.sum())
    full = {c: (-math.inf, math.inf) for c in features.columns}
    if 0 < good < total:
        tree = DecisionTreeClassifier(
            max_depth=max_depth,
            min_samples_leaf=max(5, math.ceil(min_leaf * total)),
            random_state=random_state,
        ).fit(features.to_numpy(), ok)
        leaves = tree.apply(features.to_numpy())
        best, best_key = full, None
        for leaf, box in _leaf_boxes(tree, features).items():
            mask = leaves == leaf
            hits = int(ok[mask].sum())
            coverage, density = hits / good, hits / max(1, int(mask.sum()))
            key = (coverage >= min_coverage, density, coverage)
            if best_key is None or key > best_key:
                best, best_key = box, key
        box = {**full, **best}
    else:
        box = full
    inside = np.ones(total, dtype=bool)
    for column, (low, high) in box.items():
        x = features[column].to_numpy()
        inside &= (x > low) & (x <= high)
    hits, count = int((ok & inside).sum()), int(inside.sum())
    coverage = hits / good if good else math.nan
    density = hits / count if count else math.nan
    rows = []
    for name in inputs.columns:
        if name in categories:
            allowed = [
                lvl for lvl in categories[name]
                if _allows(box.get(f"{name}={lvl}"), box, name, lvl, categories[name])
            ]  # fmt: skip
            rows.append(
                {
                    "input": name,
                    "low": np.nan,
                    "high": np.nan,
                    "allowed": ", ".join(allowed),
                    "restricted": len(allowed) < len(categories[name]),
                }  # fmt: skip
            )
        else:
            x = features[name].to_numpy()
            low, high = box[name]
            lo = float(x.min()) if not np.isfinite(low) else low
            hi = float(x.max()) if not np.isfinite(high) else high
            rows.append(
                {
                    "input": name,
                    "low": lo,
                    "high": hi,
                    "allowed": "",
                    "restricted": bool(np.isfinite(low) or np.isfinite(high)),
                }  # fmt: skip
            )
    table = pd.DataFrame(rows)
    table["coverage"], table["density"] = coverage, density
    summary = region_summary(table, bounds, good, total, hits, count)
    return Region(table, bounds, good, total, count, hits, summary)


def _allows(interval, box, name: str, level: str, levels: list[str]) -> bool:
    """A choice is allowed unless the box excludes it: its own indicator must be ≤ 0.5 (the choice
    excluded) or another choice's indicator must be > 0.5 (only that choice allowed)."""
    if interval is not None and interval[1] <= 0.5:
        return False
    for other in levels:
        if other != level:
            low, _ = box.get(f"{name}={other}", (-math.inf, math.inf))
            if low >= 0.5:
                return False
    return True


def region_summary(
    table: pd.DataFrame, bounds: Mapping, good: int, total: int, hits: int, count: int
) -> str:
    """What the region says, in the current language (:mod:`perfsim.i18n`): how many samples meet
    the ``bounds`` (metric → (operator, value)), and the box of the restricted inputs of ``table``
    with the samples it holds (``count``) and of them meet the bounds (``hits``). The run writes it
    in English (``region.txt``); a report says it again in its own language."""
    from ..i18n import gettext as _
    from ..i18n import ngettext

    wanted = _(" and ").join(f"{m} {op} {float(v):g}" for m, (op, v) in bounds.items())
    lines = [
        _("Samples meeting {wanted}: {good} of {total} ({share})."
          ).format(wanted=wanted, good=good, total=total, share=f"{good / total:.0%}")
    ]  # fmt: skip
    if good == 0:
        lines.append(_("No sampled rule meets every bound: relax the bounds or widen the inputs."))
        return "\n".join(lines)
    if good == total:
        lines.append(_("Every sampled rule meets the bounds: the whole sampled range is safe."))
        return "\n".join(lines)
    restricted = table[table["restricted"].astype(bool)]
    if restricted.empty:
        lines.append(_("No range of the rule inputs separates the rules that meet the bounds."))
        return "\n".join(lines)
    conditions = [
        f"{r.input} ∈ {{{r.allowed}}}"
        if isinstance(r.allowed, str) and r.allowed
        else f"{r.input} ∈ [{r.low:.4g}, {r.high:.4g}]"
        for r in restricted.itertuples()
    ]
    lines.append(
        _("Best region (a decision-tree leaf): {conditions}.").format(
            conditions=_("; ").join(conditions)
        )
    )
    lines.append(
        _(
            "It holds {count} samples; {density} of them meet the bounds (density) and it holds "
            "{coverage} of all the samples that do (coverage). Other inputs: any sampled value; "
            "uncertain world assumptions vary inside the region."
        ).format(count=count, density=f"{hits / count:.0%}", coverage=f"{hits / good:.0%}")
    )
    if good < FEW_GOOD:
        lines.append(
            ngettext(
                "Only {good} sample meets the bounds: a region drawn around so few is a first "
                "look, not a finding (a few more samples can move it); raise --n.",
                "Only {good} samples meet the bounds: a region drawn around so few is a first "
                "look, not a finding (a few more samples can move it); raise --n.",
                good,
            ).format(good=good)
        )
    return "\n".join(lines)


def write_region(region: Region, folder: str | Path) -> None:
    """``region.csv`` (input, low, high, allowed, restricted, coverage, density) and ``region.txt``."""
    folder = Path(folder)
    write_csv(region.table, folder / SensitivityFiles.REGION_CSV)
    atomic_write(
        folder / SensitivityFiles.REGION_TXT,
        lambda tmp: tmp.write_text(region.summary + "\n", encoding="utf-8"),
    )
