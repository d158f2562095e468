"""Rewards: what each grade band pays (bonus, budget factor, promotion weight)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import checks

__all__ = ["payoff"]


def payoff(grades: ArrayLike, table: ArrayLike) -> NDArray[np.float64]:
    """Look up the payoff of each grade: ``payoff_d = table[grade_d]``.

    ``table`` is ``(n_bands,)`` or ``(n_bands, k)`` (one row per band, e.g. bonus, budget factor,
    promotion weight); ``grades`` are int band codes of any shape. Returns
    ``grades.shape + table.shape[1:]``.
    """
    t = checks.finite(table, "table")
    g = np.asarray(grades)
    checks.nonempty(g, "grades")
    if g.dtype.kind in "fc":
        checks.finite(g, "grades")
    if g.size and (g.min() < 0 or g.max() >= t.shape[0]):
        raise ValueError(f"grades must lie in 0..{t.shape[0] - 1} (one table row per band)")
    return np.take(t, g, axis=0)  # t[g], faster
