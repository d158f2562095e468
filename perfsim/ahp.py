"""The Analytic Hierarchy Process (AHP, 层次分析法): weights from a pairwise comparison matrix.

A leaf module (numpy only), so that the scenario layer can check a rule's judgements for
consistency when it is loaded, and the rule engine can compute the weights
(:mod:`perfsim.rules.weights` re-exports it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["RANDOM_INDEX", "AHPResult", "InconsistentJudgementsError", "ahp"]


#: Saaty's random consistency index RI(n) (Saaty 1980, The Analytic Hierarchy Process).
RANDOM_INDEX: dict[int, float] = {
    1: 0.0,
    2: 0.0,
    3: 0.58,
    4: 0.90,
    5: 1.12,
    6: 1.24,
    7: 1.32,
    8: 1.41,
    9: 1.45,
    10: 1.49,
}


class InconsistentJudgementsError(ValueError):
    """A pairwise comparison matrix whose consistency ratio exceeds 0.1."""


@dataclass(frozen=True)
class AHPResult:
    """Result of the AHP: weights (sum 1), principal eigenvalue, consistency index and ratio."""

    weights: NDArray[np.float64]
    lambda_max: float
    ci: float
    cr: float


def ahp(pairwise: ArrayLike, *, allow_inconsistent: bool = False) -> AHPResult:
    """Analytic Hierarchy Process weights (Saaty 1977, J. Math. Psych. 15, 234-281; Saaty 1980).

    ``pairwise`` is an ``n × n`` positive reciprocal matrix, ``a_ij`` = how much more important
    indicator i is than j, ``a_ji = 1 / a_ij`` (checked within 1e-6; ValueError naming the cell
    otherwise). The weights are the principal right eigenvector ``A w = λ_max w`` (the real
    eigenvalue of largest modulus), normalised to sum 1. Consistency index
    ``CI = (λ_max - n) / (n - 1)``, consistency ratio ``CR = CI / RI(n)`` with Saaty's random index
    :data:`RANDOM_INDEX` (n ≤ 2: CR = 0; defined up to n = 10). ``CR > 0.1`` raises
    :class:`InconsistentJudgementsError` unless ``allow_inconsistent=True``.
    """
    a = np.asarray(pairwise, dtype=float)
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] == 0:
        raise ValueError(
            f"pairwise must be a square comparison matrix (n × n, n ≥ 1), got shape {a.shape}"
        )
    n = a.shape[0]
    if n > max(RANDOM_INDEX):
        raise ValueError(
            f"AHP with {n} indicators: Saaty's random index is tabulated up to {max(RANDOM_INDEX)}; "
            "group the indicators hierarchically"
        )
    bad = np.argwhere(~np.isfinite(a) | (a <= 0))
    if bad.size:
        i, j = bad[0]
        raise ValueError(
            f"pairwise[{i}, {j}] = {a[i, j]}: judgements must be positive finite numbers"
        )
    off = np.argwhere(np.abs(a.T - 1.0 / a) > 1e-6)
    if off.size:
        i, j = off[0]
        raise ValueError(
            f"pairwise[{j}, {i}] = {a[j, i]:g} but 1 / pairwise[{i}, {j}] = {1.0 / a[i, j]:g}: "
            "a pairwise comparison matrix must be reciprocal (a_ji = 1 / a_ij, a_ii = 1)"
        )
    values, vectors = np.linalg.eig(a)
    k = int(np.argmax(np.abs(values)))
    lam = float(values[k].real)
    v = np.abs(vectors[:, k].real)
    w = v / v.sum()
    ci = (lam - n) / (n - 1) if n > 1 else 0.0
    cr = ci / RANDOM_INDEX[n] if n > 2 else 0.0
    if cr > 0.1 and not allow_inconsistent:
        raise InconsistentJudgementsError(
            f"the pairwise judgements are inconsistent: consistency ratio CR = {cr:.3f} > 0.1 "
            f"(CI = {ci:.3f}, RI({n}) = {RANDOM_INDEX[n]}); revise the judgements or pass "
            "allow_inconsistent=True to use them anyway"
        )
    return AHPResult(weights=w, lambda_max=lam, ci=float(ci), cr=float(cr))
