"""Aggregation of indicator (or component) scores into one score per department.

Scores and decision matrices have shape ``(..., dept, column)`` (columns are indicators, raters or
components; leading axes are batch axes); every aggregator returns ``(..., dept)``. Weights follow
numpy broadcasting against ``(..., dept, column)``: ``(column,)`` for common weights,
``(dept, column)`` for per-department (per-class) weights, ``(..., 1, column)`` for weights that vary
over the batch (insert the dept axis into the output of a weighting method: ``w[..., None, :]``).

NaN, ±inf and empty arrays are refused with a ValueError naming the argument
(:mod:`perfsim.rules.checks`); only the caps of :func:`bonus_deduction` may be NaN or inf
("uncapped").
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .. import fastreduce
from ..fastreduce import sum_last
from . import checks

__all__ = ["bonus_deduction", "borda", "topsis", "weighted_sum"]


def _weighted_mean(values: NDArray, weights: ArrayLike) -> NDArray[np.float64]:
    w = checks.finite(weights, "weights")
    num = _dot_last(values, w)
    # the weights' own row sums (broadcast in the division), not a sum over a broadcast copy
    den = w.sum(axis=-1)
    if np.any(den <= 0):
        raise ValueError("weights must have a positive sum")
    return num / den


def _dot_last(values: NDArray, w: NDArray) -> NDArray:
    """``(values * w).sum(axis=-1)`` without the full product array when the last axis is short
    (the same products added in the same order; see ``perfsim.fastreduce.sum_last``)."""
    k = values.shape[-1]
    if values.ndim < 2 or w.ndim < 1 or not 0 < k < 8 or w.shape[-1] != k:
        return sum_last(values * w)
    n_dept = values.shape[-2]
    large = values.size >= fastreduce.COMPILED_FROM and values.dtype == np.float64
    if large and w.shape in ((k,), (n_dept, k)):
        from . import kernels  # (numba: imported by the first large batch)

        rows = np.ascontiguousarray(values).reshape(-1, n_dept, k)
        per_dept = np.ascontiguousarray(np.broadcast_to(w, (n_dept, k)), dtype=float)
        return kernels.dot_last(rows, per_dept).reshape(values.shape[:-1])
    shape = np.broadcast_shapes(values.shape, w.shape)[:-1]
    out = values[..., 0] * w[..., 0]
    if out.shape != shape:
        out = np.broadcast_to(out, shape).copy()
    for i in range(1, k):
        out += values[..., i] * w[..., i]
    return out


def weighted_sum(scores: ArrayLike, weights: ArrayLike) -> NDArray[np.float64]:
    """Weighted arithmetic mean (simple additive weighting): ``S_d = Σ_j w_j z_dj / Σ_j w_j``.

    ``scores`` ``(..., dept, column)``; ``weights`` non-negative, broadcastable to it (see the module
    docstring); the weights need not sum to 1. Returns ``(..., dept)``.
    """
    z = checks.matrix(scores, "scores", "(..., dept, column)")
    return _weighted_mean(z, weights)


def topsis(
    matrix: ArrayLike, weights: ArrayLike, *, benefit: ArrayLike = True
) -> NDArray[np.float64]:
    """TOPSIS closeness to the ideal solution (Hwang & Yoon 1981, Multiple Attribute Decision
    Making, Springer, pp. 128-140).

    Vector normalisation ``r_dj = x_dj / sqrt(Σ_d x_dj²)`` (``r = 0`` for an all-zero column),
    weighted ``v_dj = w_j r_dj``; ideal ``v⁺_j = max_d v_dj`` and anti-ideal ``v⁻_j = min_d v_dj``
    for a benefit indicator (swapped for a cost indicator);
    ``d⁺_d = ‖v_d - v⁺‖₂``, ``d⁻_d = ‖v_d - v⁻‖₂`` and closeness ``C_d = d⁻_d / (d⁺_d + d⁻_d)`` in
    [0, 1], 1 = best. Where ``d⁺ + d⁻ = 0`` (all departments identical) ``C = 0.5``. ``C`` does not
    change when the weights are rescaled.

    Agreement with pymcdm: ``pymcdm.methods.TOPSIS(vector_normalization)`` normalises a cost column
    to ``1 - r`` and then takes max/min as ideal/anti-ideal for every column; the reflection
    ``r → 1 - r`` preserves distances, so its closeness equals the standard form above (checked in
    the tests), except that pymcdm returns NaN where this returns 0.5.

    ``weights`` broadcast against ``(..., dept, indicator)`` (per-department weights are allowed).
    Returns ``(..., dept)``.
    """
    x = checks.matrix(matrix, "matrix")
    is_benefit = checks.flags(benefit, "benefit")
    if is_benefit.size not in (1, x.shape[-1]) or is_benefit.ndim > 1:
        raise ValueError(
            f"benefit must be a bool or one bool per indicator ({x.shape[-1]}), "
            f"got shape {is_benefit.shape}"
        )
    is_benefit = np.broadcast_to(is_benefit, (x.shape[-1],))
    w = checks.finite(weights, "weights")
    norm = np.sqrt((x**2).sum(axis=-2, keepdims=True))
    r = x / np.where(norm > 0, norm, 1.0)
    v = r * w
    hi = v.max(axis=-2, keepdims=True)
    lo = v.min(axis=-2, keepdims=True)
    ideal = np.where(is_benefit, hi, lo)
    anti = np.where(is_benefit, lo, hi)
    d_plus = np.sqrt(((v - ideal) ** 2).sum(axis=-1))
    d_minus = np.sqrt(((v - anti) ** 2).sum(axis=-1))
    den = d_plus + d_minus
    return np.where(den > 0, d_minus / np.where(den > 0, den, 1.0), 0.5)


def borda(scores: ArrayLike, weights: ArrayLike | None = None) -> NDArray[np.float64]:
    """Borda count (rank sum) across columns (raters or components); de Borda (1781).

    Each column j is ranked along the departments, ``r_dj`` = descending rank (1 = best; tied
    departments share the average of their ranks). Borda points ``b_dj = (n - r_dj) / (n - 1)``
    (1 for the best, 0 for the worst; ``0.5`` for everyone when ``n == 1``), and the score is
    ``100 · Σ_j w_j b_dj / Σ_j w_j`` (equal weights when ``weights`` is None). Returns ``(..., dept)``.
    """
    z = checks.matrix(scores, "scores", "(..., dept, column)")
    n = z.shape[-2]
    if n == 1:
        points = np.full(z.shape, 0.5)
    else:
        from scipy.stats import rankdata  # (scipy.stats takes a second to import: Borda only)

        ascending = rankdata(z, method="average", axis=-2)  # 1 = lowest score
        points = (ascending - 1.0) / (n - 1)  # = (n - r_desc) / (n - 1)
    w = np.ones(z.shape[-1]) if weights is None else weights
    return 100.0 * _weighted_mean(points, w)


def bonus_deduction(
    total: ArrayLike,
    points: ArrayLike,
    *,
    sign: ArrayLike,
    caps: ArrayLike | None = None,
    net_cap: float | None = None,
) -> NDArray[np.float64]:
    """Bonus and deduction points (加减分), e.g. 创新创优 bonus and 通报批评 deductions.

    ``total' = total + clip(Σ_k s_k · min(max(p_dk, 0), cap_k), -net_cap, net_cap)``

    ``points`` ``(..., dept, k)`` are non-negative point items (negative entries are treated as 0),
    ``sign`` ``(k,)`` is +1 for a bonus item and -1 for a deduction item, ``caps`` ``(k,)`` per-item
    caps (``None``, NaN or inf = uncapped) and ``net_cap`` an optional bound on the absolute net
    adjustment. ``total`` has shape ``(..., dept)``; so does the result.
    """
    t = checks.finite(total, "total")
    p = np.clip(checks.matrix(points, "points", "(..., dept, k)"), 0.0, None)
    s = checks.finite(sign, "sign")
    if caps is not None:
        c = checks.finite(caps, "caps", nan="uncapped", inf="uncapped")
        p = np.where(np.isfinite(c), np.minimum(p, np.where(np.isfinite(c), c, 0.0)), p)
    net = (s * p).sum(axis=-1)
    if net_cap is not None:
        cap = float(checks.finite(net_cap, "net_cap", inf="uncapped"))
        net = np.clip(net, -cap, cap)
    return t + net
