"""Agreement between raters or components: the intraclass correlations and Krippendorff's α.

Every function takes ratings shaped ``(rep, unit, rater)`` and returns one value per replication,
like the other metrics of :mod:`perfsim.metrics`, which re-exports them.
"""

from __future__ import annotations

from typing import Literal

import krippendorff
import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..fastreduce import mean_dept, mean_last, var_last

__all__ = ["icc", "krippendorff_alpha", "krippendorff_alpha_interval"]


def icc(ratings: ArrayLike) -> dict[str, NDArray[np.float64]]:
    """Shrout–Fleiss intraclass correlations from complete ratings ``(rep, target, rater)``.

    Two-way ANOVA per replication on an n × k table (n targets, k raters), with row (target)
    means ``x̄_i``, column (rater) means ``x̄_j``, grand mean ``x̄``::

        MSR = k Σ_i (x̄_i − x̄)² / (n − 1)                     between targets
        MSC = n Σ_j (x̄_j − x̄)² / (k − 1)                     between raters
        MSE = Σ_ij (x_ij − x̄_i − x̄_j + x̄)² / ((n − 1)(k − 1))  residual
        MSW = (SSC + SSE) / (n (k − 1))                         within targets

        ICC1  = (MSR − MSW) / (MSR + (k − 1) MSW)
        ICC2  = (MSR − MSE) / (MSR + (k − 1) MSE + k (MSC − MSE) / n)
        ICC3  = (MSR − MSE) / (MSR + (k − 1) MSE)
        ICC1k = (MSR − MSW) / MSR
        ICC2k = (MSR − MSE) / (MSR + (MSC − MSE) / n)
        ICC3k = (MSR − MSE) / MSR

    (Shrout & Fleiss 1979, "Intraclass correlations: uses in assessing rater reliability"; McGraw &
    Wong 1996; as ``pingouin.intraclass_corr``). Returns ``{"icc1", "icc2", "icc3", "icc1k",
    "icc2k", "icc3k"}``, each ``(rep,)``; NaN where a denominator is 0. Needs n ≥ 2, k ≥ 2 and no
    missing ratings.
    """
    x = np.asarray(ratings, dtype=float)
    if x.ndim != 3 or x.shape[1] < 2 or x.shape[2] < 2:
        raise ValueError(
            f"ratings must have shape (rep, target, rater) with ≥ 2 targets and raters, got {x.shape}"
        )
    n, k = x.shape[1], x.shape[2]
    grand = x.mean(axis=(1, 2), keepdims=True)
    row = mean_last(x, keepdims=True)  # x.mean(axis=2, keepdims=True), faster
    col = mean_dept(x, keepdims=True)  # x.mean(axis=1, keepdims=True), faster
    ssr = k * np.sum((row[..., 0] - grand[..., 0]) ** 2, axis=1)
    ssc = n * np.sum((col - grand) ** 2, axis=(1, 2))
    resid = np.empty_like(x)  # x − row − col + grand, one rater at a time (long loops)
    for j in range(k):
        r = resid[..., j]
        np.subtract(x[..., j], row[..., 0], out=r)
        r -= col[..., j]
        r += grand[..., 0]
    sse = np.sum(np.multiply(resid, resid, out=resid), axis=(1, 2))
    msr = ssr / (n - 1)
    msc = ssc / (k - 1)
    mse = sse / ((n - 1) * (k - 1))
    msw = (ssc + sse) / (n * (k - 1))

    def ratio(num: NDArray, den: NDArray) -> NDArray[np.float64]:
        out = np.full(num.shape, np.nan)
        np.divide(num, den, out=out, where=den != 0)
        return out

    return {
        "icc1": ratio(msr - msw, msr + (k - 1) * msw),
        "icc2": ratio(msr - mse, msr + (k - 1) * mse + k * (msc - mse) / n),
        "icc3": ratio(msr - mse, msr + (k - 1) * mse),
        "icc1k": ratio(msr - msw, msr),
        "icc2k": ratio(msr - mse, msr + (msc - mse) / n),
        "icc3k": ratio(msr - mse, msr),
    }


def krippendorff_alpha(
    ratings: ArrayLike,
    level: Literal["nominal", "ordinal", "interval", "ratio"] = "interval",
) -> NDArray[np.float64]:
    """Krippendorff's α across raters, per replication; shape ``(rep,)``.

    ``α = 1 − D_o / D_e``, observed over expected disagreement with the distance of the
    measurement ``level`` (Krippendorff 2011, "Computing Krippendorff's alpha-reliability"),
    computed by the ``krippendorff`` package on ``ratings[r].T`` (raters × units) for each
    replication. ``ratings`` is ``(rep, target, rater)``; NaN marks a missing rating. This loops
    over replications in Python because the reference implementation is not batched. NaN for a
    replication where α is undefined: fewer than two distinct values, or no target rated by two
    raters.
    """
    x = np.asarray(ratings, dtype=float)
    if x.ndim != 3:
        raise ValueError(f"ratings must have shape (rep, target, rater), got {x.shape}")
    if level not in ("nominal", "ordinal", "interval", "ratio"):
        raise ValueError(f"level must be nominal, ordinal, interval or ratio, got {level!r}")
    out = np.full(x.shape[0], np.nan)
    for r, table in enumerate(x):
        rated = ~np.isnan(table)
        if np.unique(table[rated]).size < 2 or not (rated.sum(axis=1) >= 2).any():
            continue
        out[r] = krippendorff.alpha(reliability_data=table.T, level_of_measurement=level)
    return out


def krippendorff_alpha_interval(ratings: ArrayLike) -> NDArray[np.float64]:
    """Krippendorff's interval α for complete data, vectorised over replications; ``(rep,)``.

    With every one of n units rated by all m raters (N = n·m pairable values), the squared-difference
    metric gives ``D_o = Σ_u Σ_{i≠j} (x_ui − x_uj)² / (N (m − 1))`` and
    ``D_e = Σ_{v≠v'} (x_v − x_v')² / (N (N − 1))`` over all values, and ``α = 1 − D_o / D_e``
    (Krippendorff 2011). Using ``Σ_{i≠j}(x_i − x_j)² = 2 m² var(x)`` (population variance) keeps it
    O(n·m). Equals :func:`krippendorff_alpha` (the ``krippendorff`` package) on complete tables;
    NaN where all values are equal.
    """
    x = np.asarray(ratings, dtype=float)
    if x.ndim != 3:
        raise ValueError(f"ratings must have shape (rep, target, rater), got {x.shape}")
    _, n, m = x.shape
    big_n = n * m
    observed = (2 * m * m * var_last(x)).sum(axis=1) / (big_n * (m - 1))
    expected = 2 * big_n * big_n * x.reshape(x.shape[0], -1).var(axis=1) / (big_n * (big_n - 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(expected > 0, 1.0 - observed / expected, np.nan)
