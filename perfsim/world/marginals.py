"""The marginal scores of a best response (:mod:`perfsim.world.response`): how a department's
expected total moves with each of its noise-free indicators, through the rule's normalisation,
weights and shares, smoothed by its own measurement noise at the clip and the ceiling
(:func:`indicator_marginals`); the :class:`~perfsim.world.kinks.Kinks` of a large change; and the
indicators whose own noise is integrated exactly (percentile ranks: :class:`Exact`)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr

from ..rules import pipeline, slopes
from .context import Context
from .kinks import Kinks, lower_matters


def classes_of(ctx: Context) -> NDArray | None:
    return ctx.world.class_codes if ctx.rule.classes else None


class Exact(NamedTuple):
    """Indicators whose score :func:`_indicator_marginals` takes with the department's own noise
    integrated exactly (percentile ranks): which (``mask``, per indicator), and the change of the
    expected total from their sampled scores to those (``shift``, (B, D))."""

    mask: NDArray
    shift: NDArray | float


def indicator_marginals(ctx: Context, samples, m_bar, sd_m, targets, normalized=None):
    """∂S̄_d/∂m_dj: share × weight × mean normalisation slope × smoothing of clip and ceiling;
    the :class:`perfsim.world.kinks.Kinks` that give the score shift of a large change; and the
    :class:`Exact` indicators: a percentile rank's expected score and slope in the department's
    noise-free level, its own noise integrated (:func:`perfsim.rules.slopes.percentile_in_level`;
    with ``normalized``, the sampled scores (S, B, D, J) that they replace in the mean)."""
    c, w = ctx.rule, ctx.world
    groups = classes_of(ctx) if c.rule.normalize.scope == "within_class" else None
    out = np.zeros(m_bar.shape)
    free = np.zeros(m_bar.shape)  # the slope before the clip and the ceiling
    lo = np.full(m_bar.shape[-1], -np.inf)  # where the clip flattens the score
    hi = np.full(m_bar.shape[-1], np.inf)
    exact = np.zeros(m_bar.shape[-1], dtype=bool)
    expected = np.zeros(m_bar.shape)  # the exact indicators' expected scores
    below = []  # Φ((ceiling − m̄)/σ) of every indicator, once: a clip at the ceiling shares it

    def ceiling_share(idx):
        if not below:
            below.append(ndtr((w.ceiling - m_bar) / sd_m))
        return below[0][..., idx]

    for method in dict.fromkeys(c.methods):
        idx = np.array([j for j, m in enumerate(c.methods) if m == method], dtype=np.intp)
        sl = _constant_slope(c, method, idx)
        if sl is not None:  # the same in every sample: no need to compute it per sample
            sl = np.broadcast_to(sl, m_bar[..., idx].shape)
        elif method == "percentile":
            share, sl = _percentile_in_level(
                ctx, samples[..., idx], m_bar[..., idx], sd_m, idx, groups
            )
            expected[..., idx] = c.base[idx] + c.span[idx] * share
            sl = c.span[idx] * sl
            exact[idx] = True
        elif method == "target":
            t = pipeline.indicator_targets(c, idx, samples[..., idx].shape, targets[None])
            sl = target_slope(
                samples[..., idx],
                t,
                sd_m[idx],
                benefit=c.benefit[idx],
                span=c.span[idx],
                cap=c.cap[idx],
            )
            raw = m_bar[None, ..., idx] + ctx.measurement_draws[..., idx]  # before the ceiling
            sl = _below_ceiling_mean(sl, raw, w.ceiling[idx], sd_m[idx])
        else:
            t = pipeline.indicator_targets(c, idx, samples[..., idx].shape, targets[None])
            sl = slopes.slope(
                method,
                samples[..., idx],
                benefit=c.benefit[idx],
                base=c.base[idx],
                span=c.span[idx],
                bad=c.bad[idx],
                good=c.good[idx],
                target=t,
                cap=c.cap[idx],
                groups=groups,
                own=(m_bar[..., idx], sd_m[idx]) if method == "minmax" else None,
            )
            raw = m_bar[None, ..., idx] + ctx.measurement_draws[..., idx]  # before the ceiling
            sl = _below_ceiling_mean(sl, raw, w.ceiling[idx], sd_m[idx])
        free[..., idx] = sl
        if method == "efficacy" and c.rule.normalize.clip:
            lo_j = np.where(np.isnan(c.bad[idx]), -np.inf, np.minimum(c.bad[idx], c.good[idx]))
            hi_j = np.where(np.isnan(c.good[idx]), np.inf, np.maximum(c.bad[idx], c.good[idx]))
            at = m_bar[..., idx]
            inside = ceiling_share(idx) if np.array_equal(hi_j, w.ceiling[idx]) else None
            if inside is None:
                inside = ndtr((hi_j - at) / sd_m[idx])
            if lower_matters(lo_j, at, sd_m[idx]):  # (else its Φ is below 1e-32)
                inside = inside - ndtr((lo_j - at) / sd_m[idx])
            sl = sl * inside
            lo[idx], hi[idx] = lo_j, hi_j
        out[..., idx] = sl
    # reporting is capped at the ceiling (the exact indicators count it already)
    out *= np.where(exact, 1.0, ceiling_share(slice(None)))
    weights = np.broadcast_to(pipeline.indicator_weights(c, m_bar, classes_of(ctx)), m_bar.shape)
    factor = weights * c.shares[ctx.comp_of_indicator] * ctx.ratchet_factor
    shift = 0.0
    if exact.any() and normalized is not None:
        sampled = normalized[..., exact].mean(axis=0)
        shift = (factor[..., exact] * (expected[..., exact] - sampled)).sum(-1)
    kinks = Kinks(free * factor, lo, hi, m_bar, sd_m, w.ceiling)
    return out * factor, kinks, Exact(exact, shift)


def _percentile_in_level(ctx: Context, values, level, sd_m, idx, groups):
    """:func:`perfsim.rules.slopes.percentile_in_level` of the indicators ``idx`` within each
    normalisation group, averaged over the samples: (share, slope), (B, D, len(idx)) each."""
    c, w = ctx.rule, ctx.world
    codes = np.zeros(level.shape[-2], dtype=np.intp) if groups is None else groups
    share, slope = np.zeros(level.shape), np.zeros(level.shape)
    for grp in np.unique(codes):
        members = np.flatnonzero(codes == grp)
        s, d = slopes.percentile_in_level(
            values[..., members, :],
            level[..., members, :],
            sd_m[idx],
            c.benefit[idx],
            w.ceiling[idx],
        )
        share[..., members, :], slope[..., members, :] = s.mean(axis=0), d.mean(axis=0)
    return share, slope


def _below_ceiling_mean(per_sample: NDArray, raw: NDArray, ceiling, sd) -> NDArray:
    """The mean normalisation slope over the samples where the department's own value ``raw``
    (before the ceiling) is below the ceiling (all samples where it never is): at the ceiling its
    score does not move with its value, and the group statistics of those samples (a group bunched
    at the ceiling has a tiny sd) are not the ones its marginal score sees. The probability of
    being below the ceiling is applied, smoothly, by the caller.

    "Below" is a kernel weight ``Φ((ceiling − raw)/h)`` with the normal reference bandwidth
    ``h = 1.06 σ S^(−1/5)`` of the S samples, not an indicator: with an indicator the slope jumped
    whenever a sample crossed the ceiling as the department's own level moved, and its best
    response jumped with it (z-scores of indicators at a ceiling jittered for ever)."""
    bandwidth = 1.06 * np.asarray(sd) * per_sample.shape[0] ** -0.2
    below = ndtr((ceiling - raw) / bandwidth)
    count = below.sum(axis=0)
    inside = (below * per_sample).sum(axis=0) / np.maximum(count, 1e-300)
    return np.where(count > 1e-9, inside, per_sample.mean(axis=0))


def target_slope(values: NDArray, target: NDArray, sd, *, benefit, span, cap) -> NDArray:
    """Target attainment's slope per sample (S, …, J) at the department's own reported ``values``,
    its cap smoothed as :func:`_below_ceiling_mean` smooths the ceiling: the slope of
    :func:`perfsim.rules.slopes.slope` (``span / T``, or ``span · T / x²`` for a cost) weighted
    by ``Φ((x_cap − x)/h)`` (``Φ((x − x_cap)/h)`` for a cost), ``x_cap`` the value whose ratio
    reaches the cap (``cap · T``; ``T / cap``), ``h = 1.06 σ S^(−1/5)``, instead of cut to zero
    past it. With the cut, the slope averaged over the samples fell in S steps as the
    department's own level passed the cap, and its best response jumped at each: in a new user's
    rule with capped targets and a 20 % quota no replication settled. A cost's ``T / x²`` is
    taken at ``max(x, x_cap)``: past the cap it is weighted away, and it does not blow up at 0.
    ``values`` (S, …, J) and ``target`` broadcast; ``sd``, ``benefit``, ``span``, ``cap``: (J,)."""
    bandwidth = 1.06 * np.asarray(sd) * values.shape[0] ** -0.2
    at_cap = np.where(benefit, target * cap, target / cap)
    gap = np.where(benefit, at_cap - values, values - at_cap)  # > 0: below the cap
    x = np.where(benefit, values, np.maximum(values, at_cap))
    d = np.where(benefit, span / target, -span * target / np.maximum(x, 1e-12) ** 2)
    return np.where(np.isfinite(at_cap), ndtr(gap / bandwidth), 1.0) * d


def _constant_slope(c, method: str, idx: NDArray) -> NDArray | None:
    """The normalisation slope of indicators ``idx`` when it depends on no value (as
    :func:`perfsim.rules.slopes.slope` computes it): linear scoring, and the efficacy coefficient
    with both bounds fixed (``span / (good − bad)``; the clip is smoothed by the caller); else
    None."""
    if method == "linear":
        return np.where(c.benefit[idx], 1.0, -1.0) * c.span[idx]
    if method == "efficacy" and not (np.isnan(c.bad[idx]).any() or np.isnan(c.good[idx]).any()):
        denom = c.good[idx] - c.bad[idx]
        return np.where(denom == 0, 0.0, c.span[idx] / np.where(denom == 0, 1.0, denom))
    return None
