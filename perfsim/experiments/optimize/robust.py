"""Objectives across assumed worlds, as the optimiser minimises them.

Each objective is turned into a loss ``ℓ_w = sense · mean_w`` in each world w (sense 1 to minimise
a metric, −1 to maximise it), then summarised across the worlds, as ``perfsim compare --across``
does for a handful of rules:

- ``worst``: max_w ℓ_w (the rule's worst world);
- ``mean``: the average of ℓ_w over the worlds (equally likely);
- ``regret``: max_w (ℓ_w − ℓ*_w), with ℓ*_w the best loss of any candidate evaluated so far in
  world w (the reference included): how far the rule falls behind the best rule found, in its
  least favourable world.

A constraint ``METRIC<VALUE`` must hold in every world (its highest mean across worlds below
VALUE); ``METRIC>VALUE`` likewise with the lowest mean.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .evaluate import column
from .levers import Constraint, Objective

#: The loss given to an objective that the run leaves undefined (NaN), so that such a candidate is
#: dominated rather than breaking the sorting.
UNDEFINED = 1e9


def losses(evals: pd.DataFrame, objectives: Sequence[Objective], n_worlds: int) -> np.ndarray:
    """(candidate, objective, world) array of losses ``sense · mean``."""
    out = np.empty((len(evals), len(objectives), n_worlds))
    for j, obj in enumerate(objectives):
        for w in range(n_worlds):
            out[:, j, w] = obj.sense * evals[column(obj.metric, w)].to_numpy(float)
    return out


def best_per_world(loss: np.ndarray) -> np.ndarray:
    """(objective, world): the lowest loss among the candidates (NaN ignored)."""
    with np.errstate(all="ignore"):
        finite = np.where(np.isfinite(loss), loss, np.inf)
        best = finite.min(axis=0)
    return np.where(np.isfinite(best), best, np.nan)


def robust(loss: np.ndarray, measure: str, best: np.ndarray | None = None) -> np.ndarray:
    """(candidate, objective) summary of the losses across worlds (module doc); NaN stays NaN."""
    with np.errstate(all="ignore"):
        if measure == "worst":
            return _nan_if_any(loss, loss.max(axis=2))
        if measure == "mean":
            return loss.mean(axis=2)
        if measure == "regret":
            if best is None:
                best = best_per_world(loss)
            return _nan_if_any(loss, (loss - best[None]).max(axis=2))
    raise ValueError(f"unknown robustness measure {measure!r}")


def _nan_if_any(loss: np.ndarray, value: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(loss).any(axis=2), np.nan, value)


def deciding_world(loss: np.ndarray, measure: str, best: np.ndarray | None = None) -> np.ndarray:
    """(candidate, objective): the world that decides the worst case or the regret (−1 for
    ``mean``, where every world counts)."""
    if measure == "mean":
        return np.full(loss.shape[:2], -1)
    ref = loss if measure == "worst" else loss - best[None]
    return np.nanargmax(np.where(np.isnan(ref), -np.inf, ref), axis=2)


def for_optimiser(values: np.ndarray) -> np.ndarray:
    """The robust losses with an undefined value replaced by :data:`UNDEFINED`."""
    return np.where(np.isfinite(values), values, UNDEFINED)


def constraint_excess(
    evals: pd.DataFrame, constraints: Sequence[Constraint], n_worlds: int
) -> np.ndarray:
    """(candidate, constraint) array, ≤ 0 where the constraint holds in every world."""
    out = np.empty((len(evals), len(constraints)))
    for j, con in enumerate(constraints):
        means = np.column_stack(
            [evals[column(con.metric, w)].to_numpy(float) for w in range(n_worlds)]
        )
        with np.errstate(all="ignore"):
            low, high = means.min(axis=1), means.max(axis=1)
        out[:, j] = [con.excess(lo, hi) for lo, hi in zip(low, high, strict=True)]
    return np.where(np.isfinite(out), out, UNDEFINED)


def in_units(values: np.ndarray, objectives: Sequence[Objective], measure: str) -> np.ndarray:
    """Robust losses back in each metric's units: a worst case or mean as the metric's value; a
    regret stays a distance (≥ 0, lower is better)."""
    if measure == "regret":
        return values
    return values * np.array([o.sense for o in objectives])[None]
