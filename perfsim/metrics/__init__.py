"""Outcome metrics of an evaluation rule: fidelity, misclassification, fairness, gaming, stability,
inequality, cost and rater reliability.

Every metric takes arrays whose leading axis is the replication ``rep`` and whose second axis is the
department ``dept`` (then ``task``, ``indicator``, ``rater`` as in docs/model.md "Array shapes"), and
returns one value per replication, shape ``(rep,)``, so that a caller can report the mean with its
Monte Carlo standard error (:func:`summarize`). Functions are pure and vectorised over replications;
the only loops are over memory chunks (:func:`kendall_tau_b`) and over replications in
:func:`krippendorff_alpha`, whose reference implementation is not batched. Rater agreement
(ICC, Krippendorff's α) lives in :mod:`perfsim.metrics.agreement` and is re-exported here.

:data:`METRIC_DIRECTIONS`, :data:`METRIC_DESCRIPTIONS` and :func:`describe` are re-exported from
:mod:`perfsim.metric_registry`, which holds every metric's name, formula, unit, better direction,
labels and description.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from ..fastreduce import zero_view
from ..metric_registry import METRIC_DESCRIPTIONS, METRIC_DIRECTIONS, describe
from ..ranks import RankBounds, best_first_order, pair_counts, rank_bounds, signed_pairs
from .agreement import icc, krippendorff_alpha, krippendorff_alpha_interval

__all__ = [
    "METRIC_DESCRIPTIONS",
    "METRIC_DIRECTIONS",
    "class_bias",
    "systematic_class_bias",
    "class_gaps",
    "describe",
    "evaluation_cost",
    "gaming_share",
    "gini",
    "grade_persistence",
    "icc",
    "inflation",
    "kendall_tau_b",
    "krippendorff_alpha",
    "krippendorff_alpha_interval",
    "misclassification",
    "rank_fidelity",
    "rank_fidelity_from_bounds",
    "rank_stability",
    "rater_costs",
    "spearman_rho",
    "summarize",
    "summary_columns",
    "welfare_loss",
    "year_links",
]


def _as_batch(a: ArrayLike, name: str) -> NDArray[np.float64]:
    x = np.asarray(a, dtype=float)
    if x.ndim != 2:
        raise ValueError(f"{name} must have shape (rep, dept), got shape {x.shape}")
    return x


def kendall_tau_b(x: ArrayLike, y: ArrayLike) -> NDArray[np.float64]:
    """Kendall's τ-b between ``x[r]`` and ``y[r]`` for each replication r; shape ``(rep,)``.

    With ``s^x_ij = sign(x_i − x_j)`` and ``s^y_ij = sign(y_i − y_j)`` over all pairs::

        τ_b = Σ_ij s^x_ij s^y_ij / sqrt(Σ_ij |s^x_ij| · Σ_ij |s^y_ij|)
            = (n_c − n_d) / sqrt((n_0 − n_1)(n_0 − n_2))

    (Kendall 1945, "The treatment of ties in ranking problems"; ``n_c``/``n_d`` concordant/discordant
    pairs, ``n_0`` all pairs, ``n_1``/``n_2`` pairs tied in x/y). Equal to
    ``scipy.stats.kendalltau(x[r], y[r]).statistic``. NaN where undefined, as in scipy: a constant
    row (all pairs tied), fewer than 2 departments, or a NaN in the row.

    Computed from one sort of each row (:func:`perfsim.ranks.rank_bounds`): with ``L^x_i`` the set
    of departments below i in x (and ``L^y_i``, ``LE^y_i`` those below, or at or below, i in y),
    ``n_c − n_d = Σ_i |L^x_i ∩ L^y_i| − |L^x_i − LE^y_i|`` (− the set difference) and
    ``n_0 − n_1 = Σ_i |L^x_i|``. The sets are bit sets (:func:`perfsim.ranks.signed_pairs`), so the
    pair count costs ``rep × dept² / 64`` word operations, in chunks of replications that bound the
    memory. Above :data:`TAU_MERGE_ABOVE` departments the same integer ``n_c − n_d`` is counted
    instead as ``(n_0 − n_1) + (n_0 − n_2) − n_0 + n_3 − 2 n_d`` (``n_3`` pairs tied in both) from
    a merge sort (:func:`perfsim.ranks.pair_counts`), in memory and time ``dept · log dept`` per
    replication: the same numbers, bit for bit, for any number of departments.
    """
    xa, ya = _as_batch(x, "x"), _as_batch(y, "y")
    if xa.shape != ya.shape:
        raise ValueError(f"x and y must have the same shape, got {xa.shape} and {ya.shape}")
    return _kendall_from_bounds(xa, ya, rank_bounds(xa), rank_bounds(ya))


#: Largest number of 64-bit words in one bit-set array of :func:`kendall_tau_b` (8 MB).
_TAU_CHUNK_WORDS = 1 << 20

#: Departments above which :func:`kendall_tau_b` counts pairs by merge sort, not by bit sets (the
#: bit sets take ``dept² / 8`` bytes per replication and ``dept² / 64`` word operations).
TAU_MERGE_ABOVE = 1024


def _nan_rows(xa: NDArray, ya: NDArray) -> NDArray[np.bool_]:
    """Rows where ``xa`` or ``ya`` has a NaN (their rank correlations are NaN)."""
    return np.isnan(xa).any(axis=1) | np.isnan(ya).any(axis=1)


def _kendall_from_bounds(
    xa: NDArray, ya: NDArray, bx: RankBounds, by: RankBounds, nan_rows: NDArray | None = None
) -> NDArray[np.float64]:
    n_rep, n = xa.shape
    s = np.zeros(n_rep)
    if n > TAU_MERGE_ABOVE:
        n_pairs = n * (n - 1) // 2
        tx = bx.lt.sum(axis=1, dtype=np.int64)
        ty = by.lt.sum(axis=1, dtype=np.int64)
        discordant, joint = pair_counts(bx, by)
        s[:] = tx + ty - n_pairs + joint - 2 * discordant
    elif n >= 2:
        words = -(-n // 64)
        step = max(1, _TAU_CHUNK_WORDS // ((n + 1) * words))
        for lo in range(0, n_rep, step):
            rows = slice(lo, min(n_rep, lo + step))
            s[rows] = signed_pairs(
                RankBounds(*(a[rows] for a in bx)), RankBounds(*(a[rows] for a in by))
            )
    tx = bx.lt.sum(axis=1, dtype=np.int64).astype(float)  # pairs not tied in x
    ty = by.lt.sum(axis=1, dtype=np.int64).astype(float)
    denom = np.sqrt(tx) * np.sqrt(ty)
    tau = np.full(n_rep, np.nan)
    np.divide(s, denom, out=tau, where=denom > 0)
    tau[_nan_rows(xa, ya) if nan_rows is None else nan_rows] = np.nan
    return tau


def spearman_rho(x: ArrayLike, y: ArrayLike) -> NDArray[np.float64]:
    """Spearman's ρ between ``x[r]`` and ``y[r]`` for each replication r; shape ``(rep,)``.

    ``ρ = corr(R(x), R(y))``, the Pearson correlation of the ranks, ties given their average rank
    (Spearman 1904; equal to ``scipy.stats.spearmanr(x[r], y[r]).statistic``). NaN where undefined:
    a constant row, fewer than 2 departments, or a NaN in the row.
    """
    xa, ya = _as_batch(x, "x"), _as_batch(y, "y")
    if xa.shape != ya.shape:
        raise ValueError(f"x and y must have the same shape, got {xa.shape} and {ya.shape}")
    return _spearman_from_bounds(xa, ya, rank_bounds(xa), rank_bounds(ya))


#: Departments up to which :func:`spearman_rho` sums the squared and crossed ranks as integers: every
#: partial sum is then a multiple of ¼ below 2⁵¹, so the float sums it replaces were exact too.
_SPEARMAN_EXACT_UP_TO = 50_000


def _spearman_from_bounds(
    xa: NDArray, ya: NDArray, bx: RankBounds, by: RankBounds, nan_rows: NDArray | None = None
) -> NDArray[np.float64]:
    n = xa.shape[1]
    if n <= _SPEARMAN_EXACT_UP_TO:
        # twice the centred average rank, lt + le + 1 − (n + 1), is an integer; the mean of the
        # average ranks is exactly (n + 1) / 2, so these are the float sums below, exactly
        dx = bx.lt + bx.le - n
        dy = by.lt + by.le - n
        sxx = np.einsum("ij,ij->i", dx, dx) / 4
        syy = np.einsum("ij,ij->i", dy, dy) / 4
        num = np.einsum("ij,ij->i", dx, dy) / 4
        denom = np.sqrt(sxx * syy)
    else:
        rx = 0.5 * (bx.lt + bx.le + 1)  # average ranks, as rankdata(method="average")
        ry = 0.5 * (by.lt + by.le + 1)
        rx -= rx.mean(axis=1, keepdims=True)
        ry -= ry.mean(axis=1, keepdims=True)
        denom = np.sqrt(np.sum(rx * rx, axis=1) * np.sum(ry * ry, axis=1))
        num = np.sum(rx * ry, axis=1)
    rho = np.full(xa.shape[0], np.nan)
    np.divide(num, denom, out=rho, where=denom > 0)
    rho[_nan_rows(xa, ya) if nan_rows is None else nan_rows] = np.nan
    return np.clip(rho, -1.0, 1.0)


def rank_fidelity(true_value: ArrayLike, score: ArrayLike) -> dict[str, NDArray[np.float64]]:
    """Rank fidelity of the final score to the true value V, per replication.

    Returns ``{"kendall_tau": τ_b(V, S), "spearman_rho": ρ(V, S)}``, each of shape ``(rep,)``
    (docs/model.md "Metrics"; see :func:`kendall_tau_b` and :func:`spearman_rho`; both rank each row
    of V and S once).
    """
    v, s = _as_batch(true_value, "true_value"), _as_batch(score, "score")
    if v.shape != s.shape:
        raise ValueError(f"x and y must have the same shape, got {v.shape} and {s.shape}")
    return rank_fidelity_from_bounds(v, s, rank_bounds(v), rank_bounds(s))


def rank_fidelity_from_bounds(
    v: NDArray, s: NDArray, bv: RankBounds, bs: RankBounds
) -> dict[str, NDArray[np.float64]]:
    """:func:`rank_fidelity` from the :func:`perfsim.ranks.rank_bounds` of both rows."""
    nan_rows = _nan_rows(v, s)
    return {
        "kendall_tau": _kendall_from_bounds(v, s, bv, bs, nan_rows),
        "spearman_rho": _spearman_from_bounds(v, s, bv, bs, nan_rows),
    }


def group_size(share: float, n: int, name: str = "share") -> int:
    """How many of ``n`` departments a share of them counts: ``max(1, floor(share · n))`` (with a
    1e-9 tolerance, as grade quotas are), at most ``n``."""
    if not 0.0 < share <= 1.0:
        raise ValueError(f"{name} must be in (0, 1], got {share}")
    return min(n, max(1, int(np.floor(share * n + 1e-9))))


def misclassification(
    true_value: ArrayLike,
    grade: ArrayLike,
    *,
    top_share: float,
    bottom_share: float | None = None,
    top_grade: int = 0,
    bottom_grade: int,
    order: NDArray[np.intp] | None = None,
) -> dict[str, NDArray[np.float64]]:
    """Misclassification of the true top and bottom departments, per replication.

    Grades are int codes, 0 = best. With ``n`` departments, the true top-q set T holds the
    ``q = max(1, floor(top_share · n))`` departments of highest true value and the true bottom set B
    the ``max(1, floor(bottom_share · n))`` of lowest (``bottom_share`` defaults to ``top_share``;
    the floor is taken with a 1e-9 tolerance, as grade quotas are). Ties in true value are broken
    by department order: of two departments with equal V the one with the lower index counts as
    better, so membership of T and B is always of exactly q departments. Returns, shape ``(rep,)``::

        top_missed    = #{d ∈ T : grade_d > top_grade} / |T|
        bottom_missed = #{d ∈ B : grade_d < bottom_grade} / |B|
        top_in_bottom = #{d ∈ T : grade_d ≥ bottom_grade} / |T|

    (docs/model.md "Metrics": share of the true top not graded top, of the true bottom graded above
    bottom, and of the true top landing in the bottom grade; all three NaN when the rule has a
    single band, so that the top grade is the bottom grade and a grade tells nothing). ``order`` may pass
    :func:`perfsim.ranks.best_first_order` of ``true_value`` when the caller has it already.
    """
    v = _as_batch(true_value, "true_value")
    g = np.asarray(grade)
    if g.shape != v.shape:
        raise ValueError(f"grade must have the shape of true_value {v.shape}, got {g.shape}")
    n = v.shape[1]
    q_top = group_size(top_share, n, "top_share")
    q_bot = group_size(top_share if bottom_share is None else bottom_share, n, "bottom_share")
    if order is None:
        order = best_first_order(v)  # best first; equal V keep department order
    flat, rows = g.ravel(), (np.arange(v.shape[0], dtype=np.intp) * n)[:, None]
    g_top = flat[order[:, :q_top] + rows]  # np.take_along_axis, by flat index (faster)
    g_bot = flat[order[:, n - q_bot :] + rows]
    if bottom_grade <= top_grade:  # a single band: every unit is graded top and bottom alike
        return dict.fromkeys(("top_missed", "bottom_missed", "top_in_bottom"), _undefined(v))
    return {
        "top_missed": np.mean(g_top > top_grade, axis=1),
        "bottom_missed": np.mean(g_bot < bottom_grade, axis=1),
        "top_in_bottom": np.mean(g_top >= bottom_grade, axis=1),
    }


def _undefined(v: NDArray) -> NDArray[np.float64]:
    return np.full(v.shape[0], np.nan)


def _class_intercepts(
    score: ArrayLike, true_value: ArrayLike, classes: ArrayLike, n_classes: int = 0
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """OLS class intercepts ``β_c`` of ``S = β_c + b·V + ε``, shape ``(rep, C)`` with C at least
    ``n_classes``; and which classes are present (absent codes get NaN)."""
    s = _as_batch(score, "score")
    v = _as_batch(true_value, "true_value")
    if s.shape != v.shape:
        raise ValueError(f"score and true_value must have the same shape, got {s.shape}, {v.shape}")
    c = np.asarray(classes)
    if c.shape != (s.shape[1],) or not np.issubdtype(c.dtype, np.integer) or (c < 0).any():
        raise ValueError(f"classes must be (dept,) = ({s.shape[1]},) non-negative int codes")
    n_classes = max(int(c.max()) + 1 if c.size else 0, n_classes)
    onehot = (c[:, None] == np.arange(n_classes)).astype(float)  # (dept, C)
    count = onehot.sum(axis=0)
    present = count > 0
    safe = np.where(present, count, 1.0)
    v_bar = (v @ onehot) / safe  # (rep, C) class means
    s_bar = (s @ onehot) / safe
    v_dev = v - v_bar[:, c]
    s_dev = s - s_bar[:, c]
    sxx = np.sum(v_dev * v_dev, axis=1)
    sxy = np.sum(v_dev * s_dev, axis=1)
    slope = np.full(s.shape[0], np.nan)
    # identified unless V is constant within every class (up to rounding)
    np.divide(sxy, sxx, out=slope, where=sxx > 1e-24 * np.sum(v * v, axis=1))
    beta = s_bar - slope[:, None] * v_bar
    beta[:, ~present] = np.nan
    return beta, present


def class_gaps(
    score: ArrayLike, true_value: ArrayLike, classes: ArrayLike, n_classes: int = 0
) -> NDArray[np.float64]:
    """Class intercepts at equal true value, relative to class 0; shape ``(rep, C)``, with C at
    least ``n_classes`` (the classes of a world, some of which may have no department).

    Per replication, the OLS regression of score on true value with one indicator per class and no
    common intercept, ``S_d = β_{c(d)} + b·V_d + ε_d``, returns ``β_c − β_0`` (column 0 is 0): the
    score gap of class c over class 0 at equal V (docs/model.md "Metrics", class bias). ``classes`` is
    a ``(dept,)`` array of int codes ``0 … C−1``; a code with no department gets NaN.

    The regression is solved in closed form rather than by a linear solve: by Frisch–Waugh–Lovell
    the slope is the within-class slope ``b = Σ_d (V_d − V̄_c)(S_d − S̄_c) / Σ_d (V_d − V̄_c)²`` and
    ``β_c = S̄_c − b·V̄_c`` (Greene, *Econometric Analysis*, fixed-effects / LSDV estimator). This is
    exactly OLS, vectorised over replications, and better conditioned than the normal equations.
    NaN when b is not identified (V constant within every class).
    """
    beta, _ = _class_intercepts(score, true_value, classes, n_classes)
    return beta - beta[:, :1]


def class_bias(score: ArrayLike, true_value: ArrayLike, classes: ArrayLike) -> NDArray[np.float64]:
    """The class gap at equal true value between the most and the least favoured class, per
    replication; shape ``(rep,)`` (:func:`systematic_class_bias` of :func:`class_gaps`; docs/model.md
    "Metrics"). 0 with a single class; NaN where the slope b is not identified."""
    return systematic_class_bias(class_gaps(score, true_value, classes))


def systematic_class_bias(gaps: NDArray) -> NDArray[np.float64]:
    """``class_bias`` per replication r from every replication's class intercepts (or gaps)
    ``β_rc`` at equal true value (rep, C): ``β_r,hi − β_r,lo`` with ``hi`` and ``lo`` the classes
    of the highest and the lowest mean ``β_c`` over the replications (NaN columns: classes without
    departments). Its mean is the range of the mean intercepts, the *systematic* advantage of one
    class over another: noise moves a replication's intercepts both ways, so it averages out (the
    range within each replication, ``max_c β_rc − min_c β_rc``, does not: with two identical
    classes its mean is ``√(2/π)`` times the sd of their gap, not 0). With identical classes the
    mean is about ``√(2/π)`` of its own standard error: no detectable bias. 0 with fewer than two
    classes; NaN in a replication whose slope was not identified (no finite gap)."""
    g = np.asarray(gaps, dtype=float)
    known = np.isfinite(g)
    present = known.any(axis=0)
    if present.sum() <= 1:
        return np.where(known.any(axis=1), 0.0, np.nan)
    count = known.sum(axis=0)
    mean = np.where(present, np.where(known, g, 0.0).sum(axis=0) / np.maximum(count, 1), np.nan)
    hi, lo = int(np.nanargmax(mean)), int(np.nanargmin(mean))
    return g[:, hi] - g[:, lo]


def below_band_floor(total: ArrayLike, grade: ArrayLike, floors: ArrayLike) -> NDArray[np.float64]:
    """Share of departments whose total is below the floor of their grade, per replication; shape
    ``(rep,)``: ``mean_d [S_d < f_{grade_d}]`` with ``floors`` one per band (NaN = none). With the
    floors of :func:`perfsim.rules.grade.quota_band_floors` it counts the departments that a quota
    band without a threshold took although they miss a lower band's threshold."""
    s = _as_batch(total, "total")
    g = np.asarray(grade)
    if g.shape != s.shape:
        raise ValueError(f"grade must have the shape of total {s.shape}, got {g.shape}")
    return np.mean(s < np.asarray(floors, dtype=float)[g], axis=1)  # NaN floor: never below


def gaming_share(effort: ArrayLike, gaming: ArrayLike) -> NDArray[np.float64]:
    """Gaming as a share of all effort, per replication; shape ``(rep,)``.

    ``Σ_{d,j} g_dj / (Σ_{d,k} e_dk + Σ_{d,j} g_dj)`` with real effort ``e`` of shape
    ``(rep, dept, task)`` and gaming ``g`` of shape ``(rep, dept, indicator)`` (docs/model.md
    "Metrics"; effort and gaming in the same effort units). 0 when nobody exerts any effort.
    """
    e = np.asarray(effort, dtype=float)
    g = np.asarray(gaming, dtype=float)
    if e.ndim != 3 or g.ndim != 3 or e.shape[:2] != g.shape[:2]:
        raise ValueError(
            "effort must be (rep, dept, task) and gaming (rep, dept, indicator), "
            f"got {e.shape} and {g.shape}"
        )
    num = np.zeros(g.shape[0]) if zero_view(g) else g.sum(axis=(1, 2))
    den = e.sum(axis=(1, 2)) + num
    out = np.zeros_like(num)
    np.divide(num, den, out=out, where=den != 0)
    return out


def inflation(
    measured: ArrayLike, true: ArrayLike, benefit: ArrayLike | None = None
) -> NDArray[np.float64]:
    """Mean indicator inflation, per replication; shape ``(rep,)``.

    ``mean_{d,j} s_j (m_dj − y_dj)``, measured minus true indicator value over departments and
    indicators, arrays of shape ``(rep, dept, indicator)``, signed so that a report that looks
    better than the truth counts as inflation: ``s_j = −1`` for a cost indicator (``benefit``
    False: gaming lowers its report), +1 otherwise (every indicator without ``benefit``); in
    indicator units (docs/model.md "Metrics").
    """
    m = np.asarray(measured, dtype=float)
    t = np.asarray(true, dtype=float)
    if m.ndim != 3 or m.shape != t.shape:
        raise ValueError(
            f"measured and true must both be (rep, dept, indicator), got {m.shape} and {t.shape}"
        )
    sign = np.ones(m.shape[-1]) if benefit is None else np.where(benefit, 1.0, -1.0)
    return np.mean((m - t) * sign, axis=(1, 2))


def welfare_loss(value: ArrayLike, first_best_value: ArrayLike) -> NDArray[np.float64]:
    """Loss of true value against the first best, per replication; shape ``(rep,)``.

    ``1 − Σ_d V_d / Σ_d V^fb_d`` with V under the rule and ``V^fb`` under the first-best allocation
    (docs/model.md "Metrics"; Baker 2002). ``value`` is ``(rep, dept)``; ``first_best_value`` is
    ``(rep, dept)`` or ``(dept,)``. NaN when the first-best total is 0.
    """
    v = _as_batch(value, "value")
    fb = np.broadcast_to(np.asarray(first_best_value, dtype=float), v.shape)
    total_fb = fb.sum(axis=1)
    ratio = np.full(v.shape[0], np.nan)
    np.divide(v.sum(axis=1), total_fb, out=ratio, where=total_fb != 0)
    return 1.0 - ratio


def rank_stability(prev_score: ArrayLike, score: ArrayLike) -> NDArray[np.float64]:
    """Stability of the ranking between consecutive periods; shape ``(rep,)``.

    ``τ_b(S_{t−1}, S_t)``, Kendall's τ-b between the previous and the current period's scores of
    the same departments (docs/model.md "Metrics"; see :func:`kendall_tau_b`).
    """
    return kendall_tau_b(prev_score, score)


def gini(x: ArrayLike) -> NDArray[np.float64]:
    """Gini coefficient of rewards across departments, per replication; shape ``(rep,)``.

    ``G = Σ_i Σ_j |x_i − x_j| / (2 n² x̄)``, the mean absolute difference (over all n² ordered
    pairs) over twice the mean (Gini 1912), computed from the sorted values as
    ``G = Σ_i (2i − n − 1) x_(i) / (n Σ_i x_i)``, i = 1 … n. In [0, 1 − 1/n]; 0 for equal rewards
    (including all zero).

    The Gini coefficient is defined for non-negative x. A replication with a negative value (a
    sanction larger than the reward) is first shifted by its own minimum, ``x − min_d x_d``, so the
    result measures the spread of rewards relative to the worst-off department; rows without
    negatives are used as they are.
    """
    xa = _as_batch(x, "x")
    row_min = xa.min(axis=1, keepdims=True)
    if (row_min < 0).any():
        xa = np.where(row_min < 0, xa - row_min, xa)
    xs = np.sort(xa, axis=1)
    n = xa.shape[1]
    coef = 2.0 * np.arange(1, n + 1) - n - 1
    total = xs.sum(axis=1)
    out = np.zeros(xa.shape[0])
    np.divide(xs @ coef, n * total, out=out, where=total > 0)
    return out


def grade_persistence(previous: ArrayLike, grade: ArrayLike) -> NDArray[np.float64]:
    """Share of departments graded as in the year before, per replication; shape ``(rep,)``:
    ``(1/n) Σ_d 1[g_{d,t} = g_{d,t−1}]`` (1: every grade repeats)."""
    a, b = np.asarray(previous), np.asarray(grade)
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(f"grades must be (rep, dept) of one shape, got {a.shape} and {b.shape}")
    return (a == b).mean(axis=1)


def year_links(budget: ArrayLike, previous: ArrayLike | None, grade: ArrayLike) -> dict:
    """How the last year links to the next (``perfsim.world.state``): ``budget_gini``, the Gini
    (:func:`gini`) of the budgets ``B_{T+1}`` the last grades give, and ``grade_persistence``
    (:func:`grade_persistence`) when there is a year before the last."""
    out = {"budget_gini": gini(budget)}
    if previous is not None:
        out["grade_persistence"] = grade_persistence(previous, grade)
    return out


def evaluation_cost(
    survey_sizes: ArrayLike,
    unit_cost: ArrayLike,
    audits: ArrayLike,
    audit_cost: float,
) -> float | NDArray[np.float64]:
    """Cost of running the evaluation: ``Σ_g n_g · c_g + A · c_audit``.

    ``survey_sizes`` are respondents per survey group, shape ``(..., group)`` (the last axis is
    summed); ``unit_cost`` is the cost per respondent, a scalar or ``(group,)``; ``audits`` is the
    number of audits A, a scalar or broadcastable to the leading shape (e.g. ``(rep,)``; pass
    ``audited.sum(axis=-1)`` for a ``(rep, dept)`` audit mask); ``audit_cost`` is the cost of one
    audit (docs/model.md "Metrics"). Returns a float when every input is scalar or ``(group,)``, else an
    array of the leading shape. :func:`rater_costs` gives the ``n_g c_g`` of a simulated rule.
    """
    sizes = np.asarray(survey_sizes, dtype=float)
    if sizes.ndim == 0:
        sizes = sizes[None]
    cost = np.sum(sizes * np.asarray(unit_cost, dtype=float), axis=-1) + np.asarray(
        audits, dtype=float
    ) * float(audit_cost)
    return float(cost) if np.ndim(cost) == 0 else cost


def rater_costs(
    respondents: ArrayLike, unit_cost: ArrayLike, shares: ArrayLike, departments: int
) -> NDArray[np.float64]:
    """Cost of each rater group in one period, shape ``(group,)``: ``D · n_g · c_g``.

    ``n_g`` is the group's ``respondents`` per department for a survey and 1 for a panel or a
    self-evaluation (pass 0 for those: a group that is not a survey is one rating per department);
    ``c_g`` its ``unit_cost``; ``D`` the departments rated. A group whose component has share 0 in
    the rule (``shares``) is not run, so it costs nothing (the evaluation's total cost is
    :func:`evaluation_cost` of these sizes and the period's audits).
    """
    n = np.asarray(respondents, dtype=float)
    per_unit = np.where(n > 0, n, 1.0) * np.asarray(unit_cost, dtype=float)
    return np.where(np.asarray(shares, dtype=float) > 0, departments * per_unit, 0.0)


def summarize(
    per_rep: Mapping[str, ArrayLike], *, extra: Mapping[str, list] | None = None
) -> pd.DataFrame:
    """Mean and Monte Carlo standard error of each metric over replications.

    For each metric, over its n finite per-replication values: ``mean``, ``se = s / √n`` with s the
    sample standard deviation (ddof = 1), and ``n``. ``se`` is NaN when n < 2 and ``mean`` when
    n = 0. Returns a DataFrame with columns ``metric, mean, se, n``, one row per metric in the
    order given, then the columns of ``extra`` (one value per metric each), if given.
    """
    if not per_rep:  # no metric: an empty table with the columns (of object dtype)
        table = pd.DataFrame([], columns=["metric", "mean", "se", "n"])
        for key, values in (extra or {}).items():
            table[key] = values
        return table
    return pd.DataFrame(summary_columns(per_rep, extra=extra))


def summary_columns(
    per_rep: Mapping[str, ArrayLike], *, extra: Mapping[str, list] | None = None
) -> dict[str, list | NDArray]:
    """The columns of :func:`summarize`'s table (``metric`` a list of names, ``mean``, ``se`` and
    ``n`` arrays, then ``extra``), without building the table."""
    extra = dict(extra or {})
    names = list(per_rep)
    arrays = [np.asarray(per_rep[k], dtype=float).ravel() for k in names]
    table = np.stack(arrays) if arrays and len({a.size for a in arrays}) == 1 else None
    if table is not None and np.isfinite(table).all():
        # the common case, every metric finite in every replication: all at once, row by row
        n = table.shape[1]
        mean = table.mean(axis=1) if n else np.full(len(names), np.nan)
        se = table.std(axis=1, ddof=1) / np.sqrt(n) if n >= 2 else np.full(len(names), np.nan)
        counts = np.full(len(names), n)
    else:
        mean, se = np.full(len(names), np.nan), np.full(len(names), np.nan)
        counts = np.zeros(len(names), dtype=np.int64)
        for i, v in enumerate(arrays):
            v = v[np.isfinite(v)]
            counts[i] = v.size
            if v.size:
                mean[i] = float(v.mean())
            if v.size >= 2:
                se[i] = float(v.std(ddof=1) / np.sqrt(v.size))
    return {"metric": names, "mean": mean, "se": se, "n": counts, **extra}
