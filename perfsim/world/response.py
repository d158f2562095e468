"""Responses to a rule: the computations behind the behaviour policies (``perfsim.world.policies``)
of how departments choose real effort ``e`` and gaming ``g``.

``naive``: baseline effort, no gaming (what the rule would measure if nobody reacted).

``best_response``: each department maximises
``U_d = E[reward] + λ V_d − ½ eᵀCe/a_d − ½ Σ c_gj g_j² − E[sanction]`` taking the others' choices as
given; all departments are iterated with damping to a fixed point (Nash). Noise makes the expected
reward smooth (DESIGN.md, "Computing responses"): with the department's own score noise σ_d,

    P(d in band g or better) = E_s Φ((S̄_d − τ_gds) / σ_d),

where the cut-off τ_gds is, in common-random-number sample s of everybody's noisy scores, the K_g-th
best score among the *other* departments of its group (K_g the cumulative quota; −∞ without one),
raised to the band's threshold. Its gradient flows through the rule: normalisation slope (own effect
on group statistics neglected) × weight × component share × indicator loading × productivity, and
through raters: share × survey-probit slope × visibility. First-order conditions:

    effort:  (1 − P_veto) R'(S̄_d) ∂S̄_d/∂e_dk + λ v_k θ_dk = (C e_d)_k / a_d          (e ≥ 0)
    gaming:  (1 − P_veto) R'(S̄_d) ∂S̄_d/∂g_dj − ∂E[sanction]/∂g_dj − ∂P_veto/∂g_dj (R − W_veto)
             = c_gj g_dj                                                               (g ≥ 0)

solved in closed form per department (a projected Gauss–Seidel sweep for coupled effort costs),
with the damping reduced whenever the largest change grows (the sampled cut-offs move in steps).
Forward-looking departments facing ratcheted targets (T_{t+1} = T_t + λ_r (m_t − T_t)) discount
the marginal reward through target-based indicators by ``(1 − δ)/(1 − δ + δ λ_r)`` (Weitzman 1980).

Early warnings (预警提示, ``world.early_warning = ρ``): at mid-period each department learns the part
``√ρ ξ_dj`` of its own measurement noise ``ε_dj = √ρ ξ_dj + √(1 − ρ) ζ_dj`` and chooses effort and
gaming knowing it: its expected score shifts by ``Σ_j ∂S/∂m_j · scale_j σ_j √ρ ξ_dj`` and its own
measurement-noise variance shrinks by ``1 − ρ``. A lagging department near a cut-off then works
harder (or games), one far from any cut-off eases off.

``adaptive``: departments start at the baseline and learn the cut-offs from realised results (an
exponential average with ``learning_rate``), moving each period part of the way to the best response
against the learned cut-offs.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr

from ..fastreduce import along_last
from ..rules import pipeline, slopes
from .context import Context
from .model import (
    CompiledWorld,
    expected_indicators,
    normal_pdf,
    perceived_quality,
    quality_slope,
    survey_moments,
)


def detection(ctx: Context, gaming_total: NDArray) -> tuple[NDArray, NDArray]:
    """P(detected | audited) and its derivative in total gaming G."""
    rate = ctx.audit.detection_rate
    if rate is None:
        return (gaming_total > 1e-12).astype(float), np.zeros_like(gaming_total)
    e = np.exp(-rate * gaming_total)
    return 1.0 - e, rate * e


def sanction(ctx: Context, gaming_total: NDArray) -> tuple[NDArray, NDArray]:
    """Expected sanction ``p · P_det(G) · (F + φ G)`` and its derivative in G."""
    audit_p, fine, penalty = ctx.audit.probability, ctx.audit.fine_per_unit, ctx.audit.penalty
    pd_, dpd = detection(ctx, gaming_total)
    if ctx.audit.detection_rate is None:  # any gaming is found when audited: p φ G (+ F if G > 0)
        return audit_p * (fine * gaming_total + penalty * pd_), np.full_like(
            gaming_total, audit_p * fine
        )
    level = audit_p * pd_ * (penalty + fine * gaming_total)
    slope = audit_p * (dpd * (penalty + fine * gaming_total) + pd_ * fine)
    return level, slope


def rater_scores(ctx: Context, output: NDArray) -> tuple[NDArray, NDArray, NDArray]:
    """Expected rater scores (0–100), their slope in perceived quality, and their variance."""
    w = ctx.world
    latent = perceived_quality(w, output) + w.leniency
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


@dataclass
class Response:
    effort: NDArray
    gaming: NDArray
    iterations: int
    residual: float


def _cutoff_probabilities(
    ctx: Context, totals: NDArray, mean: NDArray, sigma: NDArray, learned=None
):
    """P(band ≤ g) and its density for each band but the last: (band, B, D) each."""
    c = ctx.rule
    n_bands = len(c.bands)
    probs, dens = [], []
    cutoffs = (
        [t[None] for t in learned]
        if learned is not None
        else kth_of_others_many(totals, ctx.limits, ctx.group_codes)
    )
    for g in range(n_bands - 1):
        tau = cutoffs[g]
        thr = c.thresholds[g]
        if not np.isnan(thr):
            tau = np.maximum(tau, thr)
        z = (mean[None] - tau) / sigma[None]
        probs.append(ndtr(z).mean(axis=0))
        dens.append((normal_pdf(z) / sigma[None]).mean(axis=0))
    return np.array(probs), np.array(dens)


def kth_of_others(totals: NDArray, limit: NDArray, groups: NDArray | None) -> NDArray:
    """For each department, the limit-th best score among the others of its group, per sample.

    ``totals`` (S, B, D); ``limit`` per group (inf = no quota → −∞ cut-off; 0 → +∞)."""
    return kth_of_others_many(totals, [limit], groups)[0]


def kth_of_others_many(
    totals: NDArray, limits: list[NDArray], groups: NDArray | None
) -> list[NDArray]:
    """:func:`kth_of_others` for several limits, sorting each group once."""
    outs = [np.full(totals.shape, -np.inf) for _ in limits]
    codes = np.zeros(totals.shape[-1], dtype=np.intp) if groups is None else groups
    for grp in np.unique(codes):
        idx = np.flatnonzero(codes == grp)
        n = idx.size
        ks = [lim[grp] if lim.size > 1 else lim[0] for lim in limits]
        if not any(np.isfinite(k) and k < n for k in ks):
            for out, k in zip(outs, ks, strict=True):
                if np.isfinite(k) and k <= 0:
                    out[..., idx] = np.inf
            continue
        sub = totals[..., idx]
        order = np.argsort(-sub, axis=-1, kind="stable")
        pos = np.empty_like(order)
        np.put_along_axis(pos, order, np.arange(n), axis=-1)
        desc = np.take_along_axis(sub, order, axis=-1)
        for out, k in zip(outs, ks, strict=True):
            if not np.isfinite(k) or k >= n:
                continue
            k = int(k)
            if k <= 0:
                out[..., idx] = np.inf
                continue
            out[..., idx] = np.where(pos >= k, desc[..., k - 1 : k], desc[..., k : k + 1])
    return outs


def evaluate_profile(
    ctx: Context, effort: NDArray, gaming: NDArray, targets: NDArray, learned=None
):
    """Expected reward, its marginal in the own score, and the score gradients for a profile."""
    c, w = ctx.rule, ctx.world
    output = ctx.theta * effort
    m_bar = expected_indicators(w, output, gaming)  # (B, D, J)
    sd_m = np.maximum(w.scale * w.noise, 1e-12)
    samples = np.minimum(m_bar[None] + sd_m * ctx.eps, w.ceiling)
    r_mean, r_deriv, r_var = rater_scores(ctx, output)
    r_samples = r_mean[None] + np.sqrt(r_var)[None] * ctx.eta
    columns = _columns(ctx, r_samples)
    ev = pipeline.evaluate(
        c, samples, classes=_classes(ctx), columns=columns, targets=targets[None], grading=False
    )
    totals = ev.total  # (S, B, D)

    d_s_dm = _indicator_marginals(ctx, samples, m_bar, sd_m, targets)  # (B, D, J)
    shares = c.shares
    d_s_dq = shares[ctx.rater_component] * r_deriv  # (B, D, R)
    # Own expected score: the sample mean less the (linearised) mean of the department's own noise
    # draws, so that a department's own common random numbers do not shift it off the cut-off.
    own_noise = (d_s_dm * sd_m * ctx.eps.mean(axis=0)).sum(-1) + (
        d_s_dq / np.maximum(r_deriv, 1e-12) * np.sqrt(r_var) * ctx.eta.mean(axis=0)
    ).sum(-1)
    mean = totals.mean(axis=0) - own_noise
    seen = 1.0
    if ctx.warning is not None:  # the warned department knows part of its own noise already
        mean = mean + (d_s_dm * sd_m * ctx.warning).sum(-1)
        seen = 1.0 - ctx.warning_share
    var = seen * ((d_s_dm * sd_m) ** 2).sum(-1) + ((shares[ctx.rater_component]) ** 2 * r_var).sum(
        -1
    )
    sigma = np.sqrt(np.maximum(var, 1e-12))

    probs, dens = _cutoff_probabilities(ctx, totals, mean, sigma, learned)
    bonus = c.reward_table[:, 0]
    spread = bonus[:-1] - bonus[1:]  # ΔW_g
    reward = bonus[-1] + np.tensordot(spread, probs, axes=(0, 0)) + ctx.per_point * mean
    marginal = np.tensordot(spread, dens, axes=(0, 0)) + ctx.per_point
    return dict(
        totals=totals, reward=reward, marginal=marginal, d_s_dm=d_s_dm, d_s_dq=d_s_dq, output=output
    )


def _columns(ctx: Context, rater_values: NDArray) -> NDArray | None:
    c = ctx.rule
    if not c.column_components:
        return None
    order = [ctx.world.raters.index(name) for name in c.column_components]
    return rater_values[..., order] * c.full_marks / 100.0


def _classes(ctx: Context) -> NDArray | None:
    return ctx.world.class_codes if ctx.rule.classes else None


def _indicator_marginals(ctx: Context, samples, m_bar, sd_m, targets) -> NDArray:
    """∂S̄_d/∂m_dj: share × weight × mean normalisation slope × smoothing of clip and ceiling."""
    c, w = ctx.rule, ctx.world
    groups = _classes(ctx) if c.rule.normalize.scope == "within_class" else None
    out = np.zeros(m_bar.shape)
    for method in dict.fromkeys(c.methods):
        idx = np.array([j for j, m in enumerate(c.methods) if m == method], dtype=np.intp)
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
        ).mean(axis=0)
        if method == "efficacy" and c.rule.normalize.clip:
            lo = np.where(np.isnan(c.bad[idx]), -np.inf, np.minimum(c.bad[idx], c.good[idx]))
            hi = np.where(np.isnan(c.good[idx]), np.inf, np.maximum(c.bad[idx], c.good[idx]))
            inside = ndtr((hi - m_bar[..., idx]) / sd_m[idx]) - ndtr(
                (lo - m_bar[..., idx]) / sd_m[idx]
            )
            sl = sl * inside
        out[..., idx] = sl
    out *= ndtr((w.ceiling - m_bar) / sd_m)  # reporting is capped at the ceiling
    weights = np.broadcast_to(pipeline.indicator_weights(c, m_bar, _classes(ctx)), m_bar.shape)
    return out * weights * c.shares[ctx.comp_of_indicator] * ctx.ratchet_factor


def best_response(
    ctx: Context,
    effort: NDArray,
    gaming: NDArray,
    targets: NDArray,
    *,
    damping: float,
    tolerance: float,
    max_iterations: int,
    learned=None,
) -> Response:
    """Iterate damped best responses to a fixed point (or one damped step when ``learned`` is given)."""
    w = ctx.world
    e, g = effort.copy(), gaming.copy()
    residual = np.inf
    iterations = 0
    steps = 1 if learned is not None else max_iterations
    for it in range(1, steps + 1):
        iterations = it
        e_new, g_new = _respond(ctx, e, g, targets, learned)
        change = max(np.abs(e_new - e).max(initial=0.0), np.abs(g_new - g).max(initial=0.0))
        if change > residual:  # overshooting (the sampled cut-offs move in steps): damp harder
            damping = max(0.05, 0.7 * damping)
        e = (1 - damping) * e + damping * e_new
        g = (1 - damping) * g + damping * g_new
        residual = change
        if damping * change < tolerance:
            break
    del w
    return Response(effort=e, gaming=g, iterations=iterations, residual=float(residual))


def _respond(
    ctx: Context, e: NDArray, g: NDArray, targets: NDArray, learned
) -> tuple[NDArray, NDArray]:
    w = ctx.world
    prof = evaluate_profile(ctx, e, g, targets, learned)
    total_gaming = g.sum(-1)
    s_level, s_slope = sanction(ctx, total_gaming)
    if ctx.audit.veto:
        p_det, dp_det = detection(ctx, total_gaming)
        p_veto, dp_veto = ctx.audit.probability * p_det, ctx.audit.probability * dp_det
    else:
        p_veto = dp_veto = np.zeros_like(total_gaming)
    veto_reward = ctx.rule.reward_table[ctx.rule.veto_grade, 0]
    mr = (1 - p_veto) * prof["marginal"]  # (B, D)
    d_s_dm, d_s_dq = prof["d_s_dm"], prof["d_s_dq"]
    # ∂S/∂y_k = Σ_j ∂S/∂m_j scale_j L_jk + Σ_r ∂S/∂q_r ∂q_r/∂y_k
    d_s_dy = (d_s_dm * w.scale) @ w.loadings + np.einsum("bdr,drk->bdk", d_s_dq, quality_slope(w))
    rhs = (mr[..., None] * d_s_dy + ctx.motivation * w.value) * ctx.theta * ctx.ability[..., None]
    e_new = _projected_solve(w.cost, rhs, e)
    gain = mr[..., None] * d_s_dm * w.scale * w.gameability
    gain = gain - s_slope[..., None] - (dp_veto * (prof["reward"] - veto_reward))[..., None]
    g_new = np.where(w.gameability > 0, np.maximum(gain, 0.0) / w.gaming_cost, 0.0)
    del s_level
    return e_new, g_new


def _projected_solve(
    cost: NDArray, rhs: NDArray, start: NDArray | None, sweeps: int = 50
) -> NDArray:
    """Solve ``C e = rhs`` with ``e ≥ 0`` (the first-order conditions of a concave quadratic).

    Diagonal C: ``max(rhs / c, 0)``. Otherwise the unconstrained solution ``C⁻¹ rhs`` where it is
    non-negative (the usual case); for the other departments the exact KKT point, found by trying
    the supports S of positive effort (``e_S = C_SS⁻¹ rhs_S ≥ 0`` and ``rhs_j ≤ (C e)_j`` off S;
    C is positive definite, checked when the scenario is loaded, so exactly one support fits), or,
    with more than ``_MAX_EXACT_TASKS`` tasks, projected Gauss–Seidel sweeps warm-started at
    ``start`` (``None``: ``max(rhs / diag C, 0)``)."""
    k = cost.shape[0]
    diag = np.diag(cost)
    if np.count_nonzero(cost - np.diag(diag)) == 0:
        return np.maximum(rhs / diag, 0.0)
    e = rhs @ np.linalg.inv(cost).T
    negative = e < 0
    if not negative.any():  # the usual case, without the per-department reduction
        return e
    corner = negative.any(axis=-1)
    r = rhs[corner]
    if k <= _MAX_EXACT_TASKS:
        sub = np.zeros_like(r)
        found = np.zeros(r.shape[:-1], dtype=bool)
        for support, inverse in _supports(cost):
            cand = np.zeros_like(r)
            cand[:, support] = r[:, support] @ inverse.T
            ok = (cand[:, support] >= -1e-12).all(axis=-1)
            ok &= (r - cand @ cost <= 1e-9 * (1 + np.abs(r))).all(axis=-1) | (len(support) == k)
            take = ok & ~found
            sub[take] = np.maximum(cand[take], 0.0)
            found |= take
        e[corner] = sub  # departments with rhs ≤ 0 everywhere keep zero effort (empty support)
        return e
    if start is None:
        start = rhs / diag
    sub = np.maximum(start[corner], 0.0)
    for _ in range(sweeps):
        for i in range(k):
            off = sub @ cost[i] - sub[..., i] * cost[i, i]
            sub[..., i] = np.maximum((r[..., i] - off) / cost[i, i], 0.0)
    e[corner] = sub
    return e


_MAX_EXACT_TASKS = 8


@functools.lru_cache(maxsize=32)
def _supports_cached(key: bytes, k: int) -> tuple[tuple[list[int], NDArray], ...]:
    cost = np.frombuffer(key).reshape(k, k)
    out = []
    for size in range(1, k + 1):
        for support in itertools.combinations(range(k), size):
            idx = list(support)
            out.append((idx, np.linalg.inv(cost[np.ix_(idx, idx)])))
    return tuple(out)


def _supports(cost: NDArray) -> tuple[tuple[list[int], NDArray], ...]:
    """Every non-empty support of positive effort with the inverse of its cost block (cached)."""
    c = np.ascontiguousarray(cost, dtype=float)
    return _supports_cached(c.tobytes(), c.shape[0])


def first_best(world: CompiledWorld, ability: NDArray, theta: NDArray) -> NDArray:
    """Effort maximising ``V − cost``: ``C e = a v θ`` with ``e ≥ 0``."""
    rhs = along_last(np.multiply, theta, world.value)
    rhs *= ability[..., None]
    return _projected_solve(world.cost, rhs, None, sweeps=200)
