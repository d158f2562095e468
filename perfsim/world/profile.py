"""The profile a best response answers (:mod:`perfsim.world.response`): everybody's scores in
every common-random-number sample (:func:`scores`), each band's cut-off among the *other*
departments (:func:`cutoffs`), and what each department's choice needs of them (:func:`terms`):
its expected score, the score's noise, the expected reward and its marginal, the marginal scores of
its indicators and raters.

The scores take the rule's pipeline (:func:`perfsim.rules.pipeline.evaluate`) on every sample, or,
for the rules whose stages take each department on its own, one compiled pass that gives the same
totals to the last bit (:mod:`perfsim.world.fused`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .. import fastreduce
from ..fastreduce import along_last, sum_last
from ..rules import pipeline
from . import events, fused, normal
from .context import Context
from .marginals import classes_of, indicator_marginals
from .model import expected_indicators, perceived_quality, survey_moments


def rater_scores(ctx: Context, output: NDArray) -> tuple[NDArray, NDArray, NDArray]:
    """Expected rater scores (0–100), their slope in perceived quality, and their variance."""
    w = ctx.world
    latent = perceived_quality(w, output) + w.leniency
    if ctx.reputation is not None:  # last year's grade (state.py)
        latent += ctx.reputation[..., None]
    mean = np.empty_like(latent)
    deriv = np.ones_like(latent)
    var = np.broadcast_to(w.rater_noise**2, latent.shape).copy()
    for r, kind in enumerate(w.rater_kind):
        if kind == "survey":
            m, d, v1 = survey_moments(w, r, latent[..., r])
            mean[..., r], deriv[..., r], var[..., r] = m, d, v1 / w.respondents[r]
        else:
            mean[..., r] = latent[..., r]
    return mean, deriv, var


def cutoffs(ctx: Context, totals: NDArray, learned=None) -> list[NDArray]:
    """Each band's (but the last) cut-off per CRN sample, raised to the band's threshold:
    (S, B, D) each, or (1, B, D) from learned cut-offs."""
    c = ctx.rule
    if learned is not None:
        raw = [t[None] for t in learned]
    else:
        # a band without a quota has no sample-dependent cut-off: one (1, B, D) array of −∞ (then
        # raised to its threshold) instead of one per sample
        n_bands = len(c.bands) - 1
        quota = [g for g in range(n_bands) if np.isfinite(ctx.limits[g]).any()]
        raw = [np.full((1, *totals.shape[1:]), -np.inf) for _ in range(n_bands)]
        found = kth_of_others_many(totals, [ctx.limits[g] for g in quota], ctx.group_codes)
        for g, tau in zip(quota, found, strict=True):
            raw[g] = tau
    out = []
    for g, tau in enumerate(raw[: len(c.bands) - 1]):
        thr = c.thresholds[g]
        out.append(np.maximum(tau, thr) if not np.isnan(thr) else tau)
    return out


def _cutoff_probabilities(taus: list[NDArray], mean: NDArray, sigma: NDArray):
    """P(band ≤ g) and its density for each band but the last: (band, B, D) each."""
    probs, dens = [], []
    for tau in taus:
        cdf, pdf = normal.band_means(mean, tau, sigma, density=True)
        dens.append(pdf / sigma)
        probs.append(cdf)
    n = len(taus)
    if not n:
        return np.zeros((0, *mean.shape)), np.zeros((0, *mean.shape))
    return np.array(probs), np.array(dens)


def kth_of_others(totals: NDArray, limit: NDArray, groups: NDArray | None) -> NDArray:
    """For each department, the limit-th best score among the others of its group, per sample.

    ``totals`` (S, B, D); ``limit`` per group (inf = no quota → −∞ cut-off; 0 → +∞)."""
    return kth_of_others_many(totals, [limit], groups)[0]


#: groups of at most this many departments find their cut-offs by a sort, larger ones by a
#: partial selection (the faster of the two on either side, measured with numpy 2)
_SORT_UP_TO = 512


def kth_of_others_many(
    totals: NDArray, limits: list[NDArray], groups: NDArray | None
) -> list[NDArray]:
    """:func:`kth_of_others` for several limits, one partial selection per group."""
    outs: list[NDArray | None] = [None] * len(limits)
    n_all = totals.shape[-1]

    def put(i: int, idx: NDArray, value) -> None:
        """Department ``idx``'s cut-offs of limit ``i``: a group of every department (one group,
        no grouping) takes ``value`` as its array, without a copy into a filled one."""
        if idx.size == n_all:  # (indices in order: all of them)
            outs[i] = value if isinstance(value, np.ndarray) else np.full(totals.shape, value)
            return
        if outs[i] is None:
            outs[i] = np.full(totals.shape, -np.inf)
        outs[i][..., idx] = value

    codes = np.zeros(n_all, dtype=np.intp) if groups is None else groups
    for grp in np.unique(codes):
        idx = np.flatnonzero(codes == grp)
        n = idx.size
        ks = [lim[grp] if lim.size > 1 else lim[0] for lim in limits]
        if not any(np.isfinite(k) and k < n for k in ks):
            for i, k in enumerate(ks):
                if np.isfinite(k) and k <= 0:
                    put(i, idx, np.inf)
            continue
        sub = totals if n == n_all else totals[..., idx]
        # the k-th and (k+1)-th best of the group: a department among the k best faces the
        # (k+1)-th, the others the k-th (ties give the same value either way). Up to a few
        # hundred departments a full sort: numpy's vectorised sort is there several times faster
        # than its selection of two order statistics (the same values); a selection beyond
        wanted = sorted({j for k in ks if np.isfinite(k) and 0 < k < n for j in (n - k, n - k - 1)})
        if wanted and n <= _SORT_UP_TO:
            asc = np.sort(sub, axis=-1)
        else:
            asc = np.partition(sub, [int(j) for j in wanted], axis=-1) if wanted else sub
        for i, k in enumerate(ks):
            if not np.isfinite(k) or k >= n:
                continue
            k = int(k)
            if k <= 0:
                put(i, idx, np.inf)
                continue
            kth, next_ = asc[..., n - k : n - k + 1], asc[..., n - k - 1 : n - k]
            put(i, idx, np.where(sub >= kth, next_, kth))
    return [np.full(totals.shape, -np.inf) if out is None else out for out in outs]


@dataclass
class Scores:
    """Everybody's sampled scores at a profile, and what :func:`terms` needs of them."""

    totals: NDArray  # (S, B, D) each department's total in each sample, with its expected points
    output: NDArray  # (B, D, K)
    m_bar: NDArray  # (B, D, J) noise-free indicators
    samples: NDArray | None  # (S, B, D, J) reported indicators (None: not kept, :mod:`fused`)
    normalized: NDArray | None  # (S, B, D, J) their normalised scores, kept where a percentile
    # rank's own noise is integrated exactly (:class:`perfsim.world.marginals.Exact`), else None
    r_deriv: NDArray  # (B, D, R) rater scores' slope in perceived quality
    r_var: NDArray  # (B, D, R) and their variance
    points_var: NDArray | float  # (B, D) the variance of the events' item points (0: none)
    chances: tuple | None  # the events' chances at this profile (None without items)


def scores(ctx: Context, effort: NDArray, gaming: NDArray, targets: NDArray) -> Scores:
    """Every department's scores in every sample at the profile (effort, gaming)."""
    c, w = ctx.rule, ctx.world
    output = ctx.theta * effort
    m_bar = expected_indicators(w, output, gaming)  # (B, D, J)
    r_mean, r_deriv, r_var = rater_scores(ctx, output)
    if fused.fits(c):  # the totals in one compiled pass (the same numbers)
        points, points_var, chances = events.item_points(ctx, effort, gaming)
        draws, eta, rows = ctx.crn_by_column
        raters = (eta, np.sqrt(r_var), r_mean)
        totals = fused.totals(
            c, classes_of(ctx), m_bar, (draws, rows), w.ceiling, raters, w.raters, points
        )
        return Scores(totals, output, m_bar, None, None, r_deriv, r_var, points_var, chances)
    samples = _capped_samples(m_bar, ctx.measurement_draws, w.ceiling)
    r_samples = ctx.eta * np.sqrt(r_var)[None]
    r_samples += r_mean[None]
    columns = _columns(ctx, r_samples)
    ev = pipeline.evaluate(
        c, samples, classes=classes_of(ctx), columns=columns, targets=targets[None], grading=False
    )
    totals, points_var, chances = events.with_points(ctx, ev.total, effort, gaming)  # (S, B, D)
    normalized = ev.normalized if "percentile" in c.methods else None  # (Exact's indicators)
    return Scores(totals, output, m_bar, samples, normalized, r_deriv, r_var, points_var, chances)


def evaluate_profile(
    ctx: Context, effort: NDArray, gaming: NDArray, targets: NDArray, learned=None
) -> dict:
    """Expected reward, its marginal in the own score, and the score gradients for a profile:
    :func:`terms` of every department."""
    s = scores(ctx, effort, gaming, targets)
    return terms(ctx, s, cutoffs(ctx, s.totals, learned), targets)


def terms(ctx: Context, s: Scores, taus: list[NDArray], targets: NDArray) -> dict:
    """What each department's choice needs of the profile: its expected score ``mean`` and its
    noise ``sigma``, the expected reward and its marginal against the cut-offs ``taus`` (one
    (S or 1, B, D) array a band), the marginal scores of its indicators and raters."""
    c = ctx.rule
    sd_m = ctx.measurement_sd
    d_s_dm, kinks, exact = indicator_marginals(ctx, s.samples, s.m_bar, sd_m, targets, s.normalized)
    shares = c.shares
    d_s_dq = shares[ctx.rater_component] * s.r_deriv  # (B, D, R)
    # Own expected score: the sample mean less the (linearised) mean of the department's own noise
    # draws, so that a department's own common random numbers do not shift it off the cut-off
    # (indicators whose own noise is integrated exactly: their sampled score replaced instead)
    eps_mean, eta_mean = ctx.draw_means
    # (sum_last: numpy's sums over a short last axis, the same numbers, faster)
    own_noise = sum_last(np.where(exact.mask, 0.0, d_s_dm) * sd_m * eps_mean) + sum_last(
        d_s_dq / np.maximum(s.r_deriv, 1e-12) * np.sqrt(s.r_var) * eta_mean
    )
    mean = s.totals.mean(axis=0) - own_noise + exact.shift
    seen = 1.0
    if ctx.warning is not None:  # the warned department knows part of its own noise already
        mean = mean + sum_last(d_s_dm * sd_m * ctx.warning)
        seen = 1.0 - ctx.warning_share
    var = seen * sum_last((d_s_dm * sd_m) ** 2) + sum_last(
        shares[ctx.rater_component] ** 2 * s.r_var
    )
    var = var + s.points_var
    sigma = np.sqrt(np.maximum(var, 1e-12))

    probs, dens = _cutoff_probabilities(taus, mean, sigma)
    bonus = ctx.prizes  # bonus, career and budget per band (careers.py)
    spread = bonus[:-1] - bonus[1:]  # ΔW_g
    reward = bonus[-1] + np.tensordot(spread, probs, axes=(0, 0)) + ctx.per_point * mean
    marginal = np.tensordot(spread, dens, axes=(0, 0)) + ctx.per_point
    return dict(
        totals=s.totals,
        reward=reward,
        marginal=marginal,
        d_s_dm=d_s_dm,
        d_s_dq=d_s_dq,
        output=s.output,
        cutoffs=taus,
        cutoff_floor=[tau.min(axis=0) for tau in taus],  # (B, D) each
        mean=mean,
        sigma=sigma,
        kinks=kinks,
        event_chances=s.chances,  # (events.at_profile takes them)
    )


def _capped_samples(m_bar: NDArray, draws: NDArray, ceiling: NDArray) -> NDArray:
    """The reported indicators of every sample, ``min(m̄ + draws, ceiling)`` (S, B, D, J): in one
    compiled pass (:func:`perfsim.world.kernels.capped_samples`) for a large batch."""
    if draws.size < fastreduce.COMPILED_FROM or not draws.flags.c_contiguous:
        samples = np.add(m_bar[None], draws)
        return along_last(np.minimum, samples, ceiling, out=samples)  # (long loops: fastreduce)
    from . import kernels

    flat = np.ascontiguousarray(m_bar).reshape(-1)
    tiled = np.ascontiguousarray(np.broadcast_to(ceiling, m_bar.shape), dtype=float).reshape(-1)
    out = kernels.capped_samples(flat, draws.reshape(draws.shape[0], -1), tiled)
    return out.reshape(draws.shape)


def _columns(ctx: Context, rater_values: NDArray) -> NDArray | None:
    c = ctx.rule
    if not c.column_components:
        return None
    order = [ctx.world.raters.index(name) for name in c.column_components]
    if order != list(range(rater_values.shape[-1])):  # (in order, all of them: no copy)
        rater_values = rater_values[..., order]
    out = along_last(np.multiply, rater_values, c.full_marks)  # (long loops: see fastreduce)
    out /= 100.0
    return out
