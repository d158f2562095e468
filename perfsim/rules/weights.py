"""Indicator weights: fixed, equal, per class (差别权重), entropy (熵权法), CRITIC and AHP.

The matrix-based methods share one call shape, ``f(matrix, **params) -> weights``: ``matrix`` is a
decision matrix ``(..., dept, indicator)`` (leading axes are batch axes) and the result has shape
``matrix.shape[:-2] + (indicator,)``, non-negative and summing to 1 over the last axis. To combine
batch weights with scores of shape ``(..., dept, indicator)``, insert the dept axis:
``w[..., None, :]``.

NaN, ±inf and empty arrays are refused with a ValueError naming the argument
(:mod:`perfsim.rules.checks`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..ahp import RANDOM_INDEX, AHPResult, InconsistentJudgementsError, ahp
from . import checks

__all__ = [
    "AHPResult",
    "InconsistentJudgementsError",
    "RANDOM_INDEX",
    "WEIGHTING_METHODS",
    "ahp",
    "critic",
    "entropy",
    "equal",
    "fixed",
    "per_class",
]


def _as_matrix(matrix: ArrayLike) -> NDArray[np.float64]:
    return checks.matrix(matrix, "matrix")


def _benefit(benefit: ArrayLike, n_ind: int) -> NDArray[np.bool_]:
    arr = checks.flags(benefit, "benefit")
    try:
        return np.broadcast_to(arr, (n_ind,))
    except ValueError:
        raise ValueError(
            f"benefit must be a bool or one bool per indicator ({n_ind}), got shape {arr.shape}"
        ) from None


def _rescale(raw: NDArray[np.float64]) -> NDArray[np.float64]:
    """``raw / sum(raw)`` over the last axis; equal weights where the sum is zero."""
    total = raw.sum(axis=-1, keepdims=True)
    n = raw.shape[-1]
    return np.where(total > 0, raw / np.where(total > 0, total, 1.0), 1.0 / n)


def fixed(matrix: ArrayLike, *, weights: ArrayLike) -> NDArray[np.float64]:
    """Fixed (expert-set) weights ``w_j / Σ_k w_k``, broadcast to ``matrix.shape[:-2] + (indicator,)``.

    ``weights`` must be non-negative with a positive sum (ValueError otherwise); it may also carry
    batch axes broadcastable to ``matrix.shape[:-2]``.
    """
    x = _as_matrix(matrix)
    w = checks.finite(weights, "weights")
    if np.any(w < 0):
        raise ValueError(f"weights must be finite and ≥ 0, got {w}")
    total = w.sum(axis=-1, keepdims=True)
    if np.any(total <= 0):
        raise ValueError("weights must not all be zero (they are rescaled to sum to 1)")
    return np.broadcast_to(w / total, x.shape[:-2] + (x.shape[-1],)).copy()


def equal(matrix: ArrayLike) -> NDArray[np.float64]:
    """Equal weights ``1 / n_indicator``, shape ``matrix.shape[:-2] + (indicator,)``."""
    x = _as_matrix(matrix)
    return np.full(x.shape[:-2] + (x.shape[-1],), 1.0 / x.shape[-1])


def entropy(matrix: ArrayLike, *, benefit: ArrayLike = True) -> NDArray[np.float64]:
    """Entropy weight method (熵权法; Shannon 1948, Zeleny 1982; Hwang & Yoon 1981).

    With ``m`` departments, column shares ``p_ij = x_ij / Σ_i x_ij`` (sum normalisation),
    entropy ``E_j = -Σ_i p_ij ln p_ij / ln m`` (with ``0 · ln 0 = 0``), divergence
    ``d_j = 1 - E_j`` and weight ``w_j = d_j / Σ_k d_k``.

    Cost indicators (``benefit`` False) are first mapped to ``1 / x`` — i.e.
    ``p_ij = (1 / x_ij) / Σ_i (1 / x_ij)``, the cost form of pymcdm's ``sum_normalization`` — so that
    smaller is better. Benefit columns must be ≥ 0 and cost columns > 0 (ValueError otherwise).

    Agreement with pymcdm: on a positive matrix, ``entropy(X)`` equals
    ``pymcdm.weights.entropy_weights(X)`` (which applies the same sum normalisation). pymcdm's function
    takes no criterion types (it treats every column as a benefit), so with cost columns this equals
    ``entropy_weights`` applied to the matrix whose cost columns are replaced by ``1 / x``. On columns
    containing a zero pymcdm sets the whole column's entropy to 0; here the textbook convention
    ``0 · ln 0 = 0`` is used instead.

    Degenerate cases: a constant column (including an all-zero one) carries no information,
    ``d_j = 0`` exactly; if every column is constant (or there is a single department), the weights
    are equal.
    """
    x = _as_matrix(matrix)
    m, n_ind = x.shape[-2:]
    is_benefit = _benefit(benefit, n_ind)
    if np.any(x[..., is_benefit] < 0):
        raise ValueError("entropy weights need benefit indicator values ≥ 0")
    if np.any(x[..., ~is_benefit] <= 0):
        raise ValueError("entropy weights need cost indicator values > 0 (they are mapped to 1/x)")
    if m <= 1:
        return equal(x)
    y = np.where(is_benefit, x, 1.0 / np.where(is_benefit, 1.0, x))
    constant = y.max(axis=-2) == y.min(axis=-2)
    total = y.sum(axis=-2, keepdims=True)
    p = y / np.where(total > 0, total, 1.0)
    plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    e = -plogp.sum(axis=-2) / np.log(m)
    d = np.where(constant, 0.0, np.clip(1.0 - e, 0.0, None))
    return _rescale(d)


def critic(matrix: ArrayLike, *, benefit: ArrayLike = True) -> NDArray[np.float64]:
    """CRITIC weights (CRiteria Importance Through Intercriteria Correlation; Diakoulaki,
    Mavrotas & Papayannakis 1995, Computers & Operations Research 22(7), 763-770).

    Each column is min-max normalised towards its best value, ``r_ij = (x_ij - worst_j) /
    (best_j - worst_j)`` (best = max for a benefit, min for a cost indicator); with ``σ_j`` the
    sample standard deviation (``ddof = 1``) of column j and ``ρ_jk`` the Pearson correlation of
    columns j and k, the information content is ``C_j = σ_j Σ_k (1 - ρ_jk)`` and ``w_j = C_j / Σ_k C_k``.

    Agreement with pymcdm: ``pymcdm.weights.critic_weights`` takes no criterion types and min-max
    normalises every column as a benefit. Reversing a column leaves ``σ_j`` unchanged but flips the
    sign of its correlations, so with cost columns the textbook weights above differ from pymcdm's;
    they equal ``critic_weights`` applied to the matrix whose cost columns are negated (which is
    what the tests check). With benefit columns only, the two agree.

    Degenerate cases: a constant column has ``σ_j = 0`` (weight 0) and its correlations, undefined,
    are taken as ``ρ = 1`` so that it adds no conflict to the others (the other weights are those of
    the matrix without that column); if every ``C_j`` is 0 (all columns constant, a single
    department, or perfectly correlated columns), the weights are equal.
    """
    x = _as_matrix(matrix)
    m, n_ind = x.shape[-2:]
    is_benefit = _benefit(benefit, n_ind)
    if m <= 1:
        return equal(x)
    lo = x.min(axis=-2, keepdims=True)
    hi = x.max(axis=-2, keepdims=True)
    rng = hi - lo
    constant = (rng == 0)[..., 0, :]
    up = (x - lo) / np.where(rng == 0, 1.0, rng)
    r = np.where(is_benefit, up, 1.0 - up)
    r = np.where(rng == 0, 1.0, r)
    centred = r - r.mean(axis=-2, keepdims=True)
    sd0 = np.sqrt((centred**2).mean(axis=-2, keepdims=True))
    z = centred / np.where(sd0 > 0, sd0, 1.0)
    rho = np.einsum("...ij,...ik->...jk", z, z) / m
    either_constant = constant[..., :, None] | constant[..., None, :]
    rho = np.where(either_constant, 1.0, rho)
    sigma = np.where(constant, 0.0, r.std(axis=-2, ddof=1))
    c = sigma * (1.0 - rho).sum(axis=-1)
    return _rescale(np.clip(c, 0.0, None))


def per_class(class_weights: ArrayLike, classes: ArrayLike) -> NDArray[np.float64]:
    """Differentiated weights by class (差别权重): row ``c`` of ``class_weights``
    ``(n_class, indicator)``, rescaled to sum to 1, for each department of class ``c``.

    Returns ``(dept, indicator)``, which broadcasts against scores ``(..., dept, indicator)``.
    Rows must be non-negative with a positive sum (ValueError otherwise).
    """
    w = np.asarray(class_weights, dtype=float)
    if w.ndim != 2:
        raise ValueError(f"class_weights must have shape (n_class, indicator), got {w.shape}")
    checks.matrix(w, "class_weights", "(n_class, indicator)")
    if np.any(w < 0):
        raise ValueError("class_weights must be finite and ≥ 0")
    total = w.sum(axis=-1, keepdims=True)
    if np.any(total <= 0):
        bad = int(np.flatnonzero(total[:, 0] <= 0)[0])
        raise ValueError(f"class_weights[{bad}] are all zero (weights are rescaled to sum to 1)")
    codes = np.asarray(classes)
    if codes.ndim != 1 or not np.issubdtype(codes.dtype, np.integer):
        raise ValueError("classes must be a 1-d integer array of class codes, one per department")
    checks.nonempty(codes, "classes", "(dept,)")
    if codes.size and (codes.min() < 0 or codes.max() >= w.shape[0]):
        raise ValueError(f"class codes must lie in 0..{w.shape[0] - 1}")
    return (w / total)[codes]


#: Matrix-based weighting methods by the name a scenario uses (``rule.weights.method``).
WEIGHTING_METHODS: dict[str, Callable[..., NDArray[np.float64]]] = {
    "fixed": fixed,
    "equal": equal,
    "entropy": entropy,
    "critic": critic,
}
