"""Indicator normalisation: raw indicator values → comparable scores.

Every normaliser has the same call shape::

    f(values, *, benefit=True, groups=None, base=..., span=..., **params) -> scores

``values`` is a decision matrix of shape ``(..., dept, indicator)``; leading axes are batch axes
(e.g. replications) and every statistic (min, max, mean, std, ranks) is taken along the ``dept``
axis (axis -2), separately for each batch entry. The result has the shape of ``values`` and is
float. ``benefit`` is a bool or a per-indicator bool array (``False`` = cost indicator: lower is
better). ``base`` and ``span`` (scalars or per-indicator arrays) place the unit score on the
reporting scale: ``score = base + span * unit``. ``groups`` is an optional ``(dept,)`` array of
integer class codes; when given, the statistics are computed within each class separately
(分类考评: each department is compared with its own class only).

For finite input no normaliser returns NaN: a degenerate group (a single department, or all values
equal) gets the score stated in each docstring. NaN, ±inf and empty input are refused with a
ValueError naming the argument (:mod:`perfsim.rules.checks`); NaN is allowed only where it means
something (``bad``/``good`` of the efficacy coefficient: "take it from the data"), inf only for a
``cap`` ("uncapped").
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .. import fastreduce
from ..fastreduce import along_last
from . import checks

__all__ = [
    "NORMALIZERS",
    "efficacy_coefficient",
    "linear",
    "min_max",
    "percentile_rank",
    "target_attainment",
    "z_score",
]


def _as_matrix(values: ArrayLike) -> NDArray[np.float64]:
    return checks.matrix(values, "values")


def _per_indicator(
    param: ArrayLike, n_ind: int, name: str, dtype=float, nan: str | None = None, inf=None
) -> NDArray:
    """Broadcast a scalar or per-indicator parameter to shape ``(indicator,)``, checked: finite
    (NaN or ±inf only where ``nan`` or ``inf`` says what they mean)."""
    if dtype is bool:
        arr = checks.flags(param, name)
    else:
        arr = checks.finite(param, name, nan=nan, inf=inf)
    if arr.shape == (n_ind,):
        return arr
    try:
        return np.broadcast_to(arr, (n_ind,))
    except ValueError:
        raise ValueError(
            f"{name} must be a scalar or have one entry per indicator ({n_ind}), got shape {arr.shape}"
        ) from None


def by_group(
    func: Callable[..., NDArray],
    x: NDArray,
    groups: ArrayLike | None,
    axis: int,
    *more: NDArray,
) -> NDArray:
    """Apply ``func`` (which maps an array to one of the same shape, with statistics along ``axis``)
    to each group of departments separately; ``groups`` has one integer code per department.
    Arrays ``more`` of ``x``'s shape are split the same way and passed after it."""
    if groups is None:
        return func(x, *more)
    codes = _checked_codes(groups, x.shape[axis])
    out: NDArray | None = None
    for g in np.unique(codes):
        idx = np.flatnonzero(codes == g)
        res = func(*(np.take(a, idx, axis=axis) for a in (x, *more)))
        if out is None:
            out = np.empty(x.shape, dtype=res.dtype)
        where = [slice(None)] * x.ndim
        where[axis] = idx
        out[tuple(where)] = res
    if out is None:  # no departments at all
        return func(x, *more)
    return out


def _checked_codes(groups: ArrayLike, n_dept: int) -> NDArray:
    """``groups`` as an array of one finite code per department (ValueError otherwise)."""
    codes = np.asarray(groups)
    if codes.dtype.kind in "fc":
        checks.finite(codes, "groups")
    if codes.shape != (n_dept,):
        raise ValueError(
            f"groups must have shape ({n_dept},) (one code per department), got {codes.shape}"
        )
    return codes


def efficacy_coefficient(
    values: ArrayLike,
    *,
    benefit: ArrayLike = True,
    bad: ArrayLike | None = None,
    good: ArrayLike | None = None,
    base: ArrayLike = 60.0,
    span: ArrayLike = 40.0,
    clip: bool = False,
    groups: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Efficacy coefficient method (功效系数法).

    ``score = base + span * (x - bad) / (good - bad)``

    with ``bad`` the not-allowed value (不允许值) and ``good`` the satisfactory value (满意值); with the
    defaults a department at the not-allowed value scores 60 and one at the satisfactory value 100
    (e.g. bad = 50, good = 90, x = 80 → 60 + 40·30/40 = 90). Source: 《中央企业综合绩效评价实施细则》
    (国资委, 2006) and the standard Chinese performance-evaluation texts (功效系数法).

    ``bad`` and ``good`` are scalars or per-indicator arrays. ``None``, or a NaN entry, means "take it
    from the data of the group": ``bad = min, good = max`` for a benefit indicator and
    ``bad = max, good = min`` for a cost indicator. Given values are used as they are (for a cost
    indicator give ``bad > good``; the formula is the same and rewards lower values).
    ``clip=True`` clips the score to ``[base, base + span]``.

    Degenerate case: where ``good == bad`` (e.g. all departments of a group equal, or a single
    department, with data-driven bounds) every department scores ``base + span / 2``.
    """
    x = _as_matrix(values)
    n_ind = x.shape[-1]
    is_benefit = _per_indicator(benefit, n_ind, "benefit", bool)
    from_data = "take it from the data"
    bad_given = None if bad is None else _per_indicator(bad, n_ind, "bad", nan=from_data)
    good_given = None if good is None else _per_indicator(good, n_ind, "good", nan=from_data)
    base_a = _per_indicator(base, n_ind, "base")
    span_a = _per_indicator(span, n_ind, "span")

    given = (
        bad_given is not None
        and good_given is not None
        and not (np.isnan(bad_given).any() or np.isnan(good_given).any())
    )

    def one(v: NDArray) -> NDArray:
        if given:  # both bounds given for every indicator: no group statistic needed
            b, g = bad_given, good_given
        else:
            lo = v.min(axis=-2, keepdims=True)
            hi = v.max(axis=-2, keepdims=True)
            b = np.where(is_benefit, lo, hi)
            g = np.where(is_benefit, hi, lo)
            if bad_given is not None:
                b = np.where(np.isnan(bad_given), b, bad_given)
            if good_given is not None:
                g = np.where(np.isnan(good_given), g, good_given)
        denom = g - b
        degenerate = denom == 0
        unit = _along(np.subtract, v, b)  # base + span · (v − b) / (g − b), computed in place
        _along(np.divide, unit, np.where(degenerate, 1.0, denom), out=unit)
        if degenerate.any():
            unit = np.where(degenerate, 0.5, unit)
        _along(np.multiply, unit, span_a, out=unit)
        _along(np.add, unit, base_a, out=unit)
        return unit

    if x.size >= fastreduce.COMPILED_FROM and x.ndim >= 2:  # one pass, the same numbers
        return _compiled_efficacy(
            x, groups, is_benefit, bad_given, good_given, base_a, span_a, clip
        )
    out = by_group(one, x, groups, axis=-2)
    if clip:  # np.clip, as a maximum then a minimum (faster with per-indicator bounds)
        _along(np.maximum, out, np.minimum(base_a, base_a + span_a), out=out)
        _along(np.minimum, out, np.maximum(base_a, base_a + span_a), out=out)
    return out


def _compiled_efficacy(x, groups, benefit, bad, good, base, span, clip: bool) -> NDArray:
    """:func:`efficacy_coefficient` by the compiled loop :func:`perfsim.rules.kernels.efficacy`
    (checked arguments; ``bad``/``good`` None: every bound from the data)."""
    from . import kernels  # (numba: imported by the first large batch)

    n_dept, n_ind = x.shape[-2:]
    checked = None if groups is None else _checked_codes(groups, n_dept)
    codes, n_groups = kernels.group_codes(checked, n_dept)
    nan = np.full(n_ind, np.nan)
    bounds = [np.ascontiguousarray(nan if v is None else v, dtype=float) for v in (bad, good)]
    flat = np.ascontiguousarray(x).reshape(-1, n_dept, n_ind)
    args = (np.ascontiguousarray(benefit, dtype=bool), *bounds)
    params = [np.ascontiguousarray(v, dtype=float) for v in (base, span)]
    out = kernels.efficacy(flat, codes, n_groups, *args, *params, bool(clip))
    return out.reshape(x.shape)


def _along(ufunc, x: NDArray, v, out: NDArray | None = None) -> NDArray:
    """``ufunc(x, v)`` with a per-indicator ``v`` of shape ``(indicator,)`` or ``(1, indicator)``."""
    v = np.asarray(v)
    if v.ndim == 2 and v.shape[0] == 1:
        v = v[0]
    return along_last(ufunc, x, v, out=out)


def min_max(
    values: ArrayLike,
    *,
    benefit: ArrayLike = True,
    base: ArrayLike = 0.0,
    span: ArrayLike = 100.0,
    groups: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Min-max (range) normalisation.

    ``score = base + span * (x - min) / (max - min)`` for a benefit indicator and
    ``base + span * (max - x) / (max - min)`` for a cost indicator, min and max over the departments
    of the group (Hwang & Yoon 1981, linear scale transformation).

    Degenerate case: ``max == min`` (all equal, or a single department) → ``base + span / 2``.
    """
    x = _as_matrix(values)
    n_ind = x.shape[-1]
    is_benefit = _per_indicator(benefit, n_ind, "benefit", bool)
    base_a = _per_indicator(base, n_ind, "base")
    span_a = _per_indicator(span, n_ind, "span")

    def one(v: NDArray) -> NDArray:
        lo = v.min(axis=-2, keepdims=True)
        hi = v.max(axis=-2, keepdims=True)
        rng = hi - lo
        degenerate = rng == 0
        up = (v - lo) / np.where(degenerate, 1.0, rng)
        unit = np.where(is_benefit, up, 1.0 - up)
        unit = np.where(degenerate, 0.5, unit)
        return base_a + span_a * unit

    return by_group(one, x, groups, axis=-2)


def z_score(
    values: ArrayLike,
    *,
    benefit: ArrayLike = True,
    base: ArrayLike = 50.0,
    span: ArrayLike = 10.0,
    groups: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Standard score (z-score), reported on a T-score-like scale.

    ``score = base + span * s * (x - mean) / std`` with the population standard deviation
    (``ddof = 0``) over the departments of the group, and ``s = +1`` for a benefit indicator,
    ``-1`` for a cost indicator. With the defaults this is the T score (mean 50, sd 10).

    Degenerate case: all values of the group equal (or a single department) → ``base``.
    """
    x = _as_matrix(values)
    n_ind = x.shape[-1]
    sign = np.where(_per_indicator(benefit, n_ind, "benefit", bool), 1.0, -1.0)
    base_a = _per_indicator(base, n_ind, "base")
    span_a = _per_indicator(span, n_ind, "span")

    def one(v: NDArray) -> NDArray:
        degenerate = v.max(axis=-2, keepdims=True) == v.min(axis=-2, keepdims=True)
        mean = v.mean(axis=-2, keepdims=True)
        std = v.std(axis=-2, keepdims=True)
        z = (v - mean) / np.where(degenerate | (std == 0), 1.0, std)
        z = np.where(degenerate, 0.0, z)
        return base_a + span_a * sign * z

    return by_group(one, x, groups, axis=-2)


def percentile_rank(
    values: ArrayLike,
    *,
    benefit: ArrayLike = True,
    base: ArrayLike = 0.0,
    span: ArrayLike = 100.0,
    groups: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Percentile rank.

    ``score = base + span * (r - 1) / (n - 1)`` where ``r`` is the average rank (ties share the mean
    of their ranks) of ``x`` in ascending order for a benefit indicator (of ``-x`` for a cost
    indicator) among the ``n`` departments of the group: the worst scores ``base``, the best
    ``base + span``.

    Degenerate cases: ``n == 1`` → ``base + span / 2``; all values equal → every ``r = (n + 1) / 2``,
    hence also ``base + span / 2``.
    """
    x = _as_matrix(values)
    n_ind = x.shape[-1]
    sign = np.where(_per_indicator(benefit, n_ind, "benefit", bool), 1.0, -1.0)
    base_a = _per_indicator(base, n_ind, "base")
    span_a = _per_indicator(span, n_ind, "span")

    def one(v: NDArray) -> NDArray:
        n = v.shape[-2]
        if n == 1:
            return np.broadcast_to(base_a + span_a * 0.5, v.shape).astype(float)
        from scipy.stats import rankdata  # (scipy.stats takes a second to import: rank rules only)

        r = rankdata(sign * v, method="average", axis=-2)
        return base_a + span_a * (r - 1.0) / (n - 1)

    return by_group(one, x, groups, axis=-2)


def target_attainment(
    values: ArrayLike,
    *,
    target: ArrayLike,
    benefit: ArrayLike = True,
    base: ArrayLike = 0.0,
    span: ArrayLike = 100.0,
    cap: ArrayLike | None = None,
    groups: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Target attainment (目标完成率).

    ``ratio = x / target`` for a benefit indicator, ``target / x`` for a cost indicator;
    ``score = base + span * min(ratio, cap)``.

    ``target`` (> 0) is a scalar, a per-indicator array or an array broadcastable to ``values``
    (per-department targets, e.g. ratcheted from last year). ``cap`` is a scalar or per-indicator
    array; ``None`` or ``inf`` means uncapped. A cost indicator must have a finite cap (ValueError
    otherwise), and a cost value ``x <= 0`` (nothing left to reduce) gets ``ratio = cap``.

    ``groups`` is accepted for the common call shape and unused: each department is compared with
    its own target, not with the others, so there are no group statistics and no degenerate case.
    """
    del groups  # attainment of a target involves no group statistic
    x = _as_matrix(values)
    n_ind = x.shape[-1]
    is_benefit = _per_indicator(benefit, n_ind, "benefit", bool)
    cap_a = _per_indicator(np.inf if cap is None else cap, n_ind, "cap", inf="uncapped")
    if np.any(~is_benefit & ~np.isfinite(cap_a)):
        raise ValueError(
            "target attainment of a cost indicator (ratio = target / x) needs a finite cap"
        )
    base_a = _per_indicator(base, n_ind, "base")
    span_a = _per_indicator(span, n_ind, "span")
    t = np.broadcast_to(checks.finite(target, "target"), x.shape)
    positive = x > 0
    cost_ratio = np.where(positive, t / np.where(positive, x, 1.0), cap_a)
    ratio = np.where(is_benefit, x / t, cost_ratio)
    ratio = np.where(np.isfinite(cap_a), np.minimum(ratio, cap_a), ratio)
    return base_a + span_a * ratio


def linear(
    values: ArrayLike,
    *,
    benefit: ArrayLike = True,
    base: ArrayLike = 0.0,
    span: ArrayLike = 1.0,
    target: ArrayLike = 0.0,
    groups: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Linear scoring of the gap to a target (计分: points per unit).

    ``score = base + span * (x - target)`` for a benefit indicator and
    ``base + span * (target - x)`` for a cost indicator. With ``target = 0`` this is a piece rate
    on the raw value (Holmström & Milgrom 1991's linear contract); with a ratcheted target it is
    Weitzman's (1980) bonus per unit above target. ``target`` broadcasts like in
    :func:`target_attainment`. No group statistic, so ``groups`` is unused and nothing degenerates.
    """
    del groups  # no group statistic
    x = _as_matrix(values)
    n_ind = x.shape[-1]
    sign = np.where(_per_indicator(benefit, n_ind, "benefit", bool), 1.0, -1.0)
    t = np.broadcast_to(checks.finite(target, "target"), x.shape)
    return _per_indicator(base, n_ind, "base") + _per_indicator(span, n_ind, "span") * sign * (
        x - t
    )


#: Normalisers by the name a scenario uses (``rule.normalize.method``).
NORMALIZERS: dict[str, Callable[..., NDArray[np.float64]]] = {
    "efficacy": efficacy_coefficient,
    "minmax": min_max,
    "zscore": z_score,
    "percentile": percentile_rank,
    "target": target_attainment,
    "linear": linear,
}
