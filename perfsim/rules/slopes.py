"""Marginal scores: how a department's normalised score moves with its own indicator value.

``slope(method, values, ...)`` returns ``∂z_d/∂x_d`` for every department, holding the group
statistics (min, max, mean, standard deviation) fixed: a department takes the others' values as
given and neglects its own effect on the group's statistics (a Nash assumption that is exact as the
group grows). Same call shape as the normalisers; ``values`` may carry extra leading axes (e.g.
common-random-number samples), over which the caller averages.

- efficacy coefficient: ``span / (good − bad)``; with ``clip`` the slope is zero outside the band
  (the caller smooths this with the measurement noise).
- min-max: ``± span / (max − min)``, and 0 for the department that is the group's min or max
  (its own value moves that bound: its score stays 0 or 1); with ``own``, the slope in the
  department's noise-free level with its own noise integrated (:func:`minmax_in_level`).
- z-score: ``± span (1 − (1 + z_d²)/n) / sd``, the exact derivative with the department's own
  effect on the group's mean and sd (n departments in the group): holding them fixed would be off
  by ``(1 + z²)/n``, which is not small for an outlier (at ``z² = n − 1``, all the others equal,
  its score cannot move at all).
- percentile rank: ``± span · f(x_d)`` with ``f`` the density of the group's values, approximated by
  a normal density with the group's mean and standard deviation; the best response takes instead
  the expected rank in the department's noise-free level, its own noise integrated exactly
  (:func:`percentile_in_level`).
- target attainment: ``span / target`` (benefit) or ``span · target / x²`` (cost), zero above the cap.
- linear: ``± span``.
Degenerate groups (zero spread) get slope 0: no department can move its score by its own value.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr

from .normalize import by_group


def slope(
    method: str,
    values: NDArray[np.float64],
    *,
    benefit: NDArray[np.bool_],
    base: NDArray[np.float64],
    span: NDArray[np.float64],
    bad: NDArray[np.float64] | None = None,
    good: NDArray[np.float64] | None = None,
    target: NDArray[np.float64] | None = None,
    cap: NDArray[np.float64] | None = None,
    groups: NDArray[np.intp] | None = None,
    own: tuple[NDArray, NDArray] | None = None,
) -> NDArray[np.float64]:
    """``∂z_d / ∂x_d`` of normaliser ``method`` at ``values`` (…, dept, indicator). Min-max with
    ``own = (level, sd)``: the slope in the department's noise-free ``level`` (…, dept, indicator),
    its own measurement noise (sd per indicator) integrated exactly (:func:`minmax_in_level`)."""
    del base  # a level, not a slope
    x = np.asarray(values, dtype=float)
    sign = np.where(benefit, 1.0, -1.0)
    if method == "minmax" and own is not None:
        level, sd = np.broadcast_to(own[0], x.shape), own[1]
        return by_group(lambda v, m: minmax_in_level(v, m, sign * span, sd), x, groups, -2, level)
    if method == "linear":
        return np.broadcast_to(sign * span, x.shape).copy()
    if method == "target":
        t = np.broadcast_to(target, x.shape)
        ratio = np.where(benefit, x / t, t / np.maximum(x, 1e-12))
        d = np.where(benefit, span / t, -span * t / np.maximum(x, 1e-12) ** 2)
        return np.where(ratio < cap, d, 0.0)

    def one(v: NDArray) -> NDArray:
        if method == "efficacy":
            lo, hi = v.min(axis=-2, keepdims=True), v.max(axis=-2, keepdims=True)
            b = (
                np.where(benefit, lo, hi)
                if bad is None
                else np.where(np.isnan(bad), np.where(benefit, lo, hi), bad)
            )
            g = (
                np.where(benefit, hi, lo)
                if good is None
                else np.where(np.isnan(good), np.where(benefit, hi, lo), good)
            )
            denom = g - b
            return np.where(
                denom == 0, 0.0, span / np.where(denom == 0, 1.0, denom)
            ) * np.ones_like(v)
        if method == "minmax":
            # (x_d − min)/(max − min) does not move with the department's own value where it is
            # the group's min or max (its own value moves that bound with it)
            top, bottom = v.max(axis=-2, keepdims=True), v.min(axis=-2, keepdims=True)
            rng = top - bottom
            slope = np.where(rng == 0, 0.0, sign * span / np.where(rng == 0, 1.0, rng))
            return np.where((v == top) | (v == bottom), 0.0, slope)
        sd = v.std(axis=-2, keepdims=True)
        safe = np.where(sd == 0, 1.0, sd)
        if method == "zscore":
            # z_d = (x_d − mean)/sd moves its own mean and sd: ∂z_d/∂x_d = (1 − (1 + z_d²)/n)/sd
            n = v.shape[-2]
            z = (v - v.mean(axis=-2, keepdims=True)) / safe
            return np.where(sd == 0, 0.0, sign * span * (1.0 - (1.0 + z * z) / n) / safe)
        if method == "percentile":
            from scipy.stats import norm  # (a second to import: percentile slopes only)

            density = norm.pdf(v, loc=v.mean(axis=-2, keepdims=True), scale=safe)
            return np.where(sd == 0, 0.0, sign * span * density)
        raise ValueError(f"no slope for normalisation {method!r}")

    return by_group(one, x, groups, axis=-2)


#: elements of the largest (…, own, other, indicator) array :func:`percentile_in_level` builds
PAIR_CHUNK = 2**21


def percentile_in_level(
    values: NDArray, level: NDArray, sd: NDArray, benefit: NDArray, ceiling: NDArray
) -> tuple[NDArray, NDArray]:
    """A department's expected percentile rank and its slope in its noise-free ``level`` m, its own
    measurement noise ε ~ N(0, sd²) integrated exactly, the others' reported ``values`` fixed
    (…, dept, indicator; the department's own entry of ``values`` is not used; reports are capped
    at ``ceiling``). The rank share is ``(#others reported worse + ½ #tied) / (n − 1)`` (the
    percentile score is ``base + span ·`` share), so with ``t_j = (m − x_j)/sd`` and ``s = ±1``
    (benefit or cost):

        share = Σ_{j≠d} P_j / (n − 1),   P_j = Φ(s t_j)  (x_j below the ceiling),
                                         P_j = ½ [cost] + ½ Φ(s t_j)  (x_j at it: a tie when the
                                         department's own report reaches it),
        ∂share/∂m = Σ_{j≠d} s c_j φ(t_j) / sd / (n − 1),   c_j = 1, or ½ at the ceiling.

    Smooth in m: the percentile of the sampled value jumps by 1/(n − 1) whenever the department
    passes another's sampled value, and a best response averaged over a few samples jumped with
    it (Hangzhou under percentile ranks: 35 % of replications settled). Built in chunks of own
    departments so that no array exceeds :data:`PAIR_CHUNK` elements."""
    x = np.asarray(values, dtype=float)
    n = x.shape[-2]
    share, slope = np.full(x.shape, 0.5), np.zeros(x.shape)
    if n < 2:
        return share, slope
    m = np.broadcast_to(level, x.shape)
    sign = np.where(benefit, 1.0, -1.0)
    weight = np.where(x >= ceiling, 0.5, 1.0)[..., None, :, :]  # (…, 1, other, J)
    offset = np.where(x >= ceiling, np.where(benefit, 0.0, 0.5), 0.0)[..., None, :, :]
    per_own = max(1, PAIR_CHUNK // max(1, x[..., 0, :].size * n))
    for lo in range(0, n, per_own):
        hi = min(n, lo + per_own)
        t = (m[..., lo:hi, None, :] - x[..., None, :, :]) / sd  # (…, own, other, J)
        own = np.arange(lo, hi)
        cdf = offset + weight * ndtr(sign * t)
        pdf = weight * np.exp(-0.5 * t * t) * (sign / (sd * np.sqrt(2 * np.pi)))
        for a in (cdf, pdf):
            a[..., np.arange(hi - lo), own, :] = 0.0  # not against its own sampled value
        share[..., lo:hi, :] = cdf.sum(axis=-2) / (n - 1)
        slope[..., lo:hi, :] = pdf.sum(axis=-2) / (n - 1)
    return share, slope


def minmax_in_level(values: NDArray, level: NDArray, span, sd) -> NDArray:
    """``∂/∂m E_ε z_d`` of min-max scores (…, dept, indicator) at the department's noise-free level
    ``m`` (``level``), its own noise ``ε ~ N(0, sd²)`` integrated exactly and the others' values
    in ``values`` fixed (the department's own entry of ``values`` is not used). With ``M`` and
    ``L`` the largest and smallest of the *others*, its score is ``span · clip((x − L)/(M − L), 0,
    1)`` (above M it is the max, at 1; below L the min, at 0), so

        ∂/∂m E_ε score(m + ε) = span/(M − L) · (Φ((M − m)/sd) − Φ((L − m)/sd)).

    Smooth in m: the slope at the sampled value (0 where the department is a sample's max or
    min) made a best response averaged over a few samples jump by 1/S of the slope whenever one
    sample's extreme changed hands, and Hangzhou under min-max never settled."""
    n = values.shape[-2]
    if n < 2:
        return np.zeros(values.shape)
    part = np.partition(values, [0, 1, n - 2, n - 1], axis=-2)  # the two smallest and largest
    top, bottom = part[..., n - 1 :, :], part[..., :1, :]
    high = np.where(values >= top, part[..., n - 2 : n - 1, :], top)  # M: the largest of the others
    low = np.where(values <= bottom, part[..., 1:2, :], bottom)  # L: the smallest of the others
    rng = high - low
    inside = ndtr((high - level) / sd) - ndtr((low - level) / sd)
    return np.where(rng > 0, span * inside / np.where(rng > 0, rng, 1.0), 0.0)
