"""A department's payoff from gaming, and its *global* best choice of gaming.

With its effort fixed, department d's expected utility from gaming ``g = (g_1, …, g_J) ≥ 0``
(total ``G = Σ_j g_j``) is

    U(g) = (1 − P_v(G)) · R(S̄ + aᵀ(g − g⁰)) + P_v(G) · W_v − ½ Σ_j c_j g_j² − E[sanction](G)

with

* ``R(S) = W_last + Σ_g ΔW_g P_g(S) + b S``: the expected evaluation reward at expected score S —
  the bands' prizes (``ΔW_g`` the step from band g+1 to band g; ``ctx.prizes``: the bonus plus the
  career and budget value of :mod:`perfsim.world.careers`) plus the pay ``b`` per point, where
  ``P_g(S) = E_s Φ((S − τ_gs)/σ_d)`` is the probability of band g or better (``τ_gs`` the cut-off in
  common-random-number sample s, :mod:`perfsim.world.response`);
* ``a_j = ∂S̄/∂m_j · scale_j · κ_j``: score points per unit of gaming on indicator j; ``S̄`` the
  expected score at the current gaming ``g⁰``;
* audits: a department is audited with probability ``p``; an audit finds its gaming with probability
  ``P_det(G) = 1 − exp(−r G)`` (``rule.audit.detection_rate`` r), or ``1[G > 0]`` without one;
* ``E[sanction](G) = p · P_det(G) · (F + φ G)``: the fixed penalty F (``penalty``) and the fine φ
  per unit (``fine_per_unit``) when gaming is found;
* the veto (``rule.audit.veto``): ``P_v(G) = p · P_det(G)``. A vetoed department gets the veto
  grade's bonus ``W_v`` and *no* pay per point: the veto voids the whole evaluation reward. The
  engine pays the same (``perfsim.engine``: vetoed units are paid ``W_v`` less sanctions).

U is not concave: without a detection rate the fixed penalty and the veto jump at G = 0, and R is
S-shaped around every cut-off. So the best response does not stop at a first-order condition: it
compares, by U itself, the candidates

1. no gaming, ``g = 0``;
2. the interior point of the first-order conditions, ``g_j = max(0, (1 − P_v) R′(S̄) a_j
   − ∂E[sanction]/∂g_j − ∂P_v/∂g_j · (R(S̄) − W_v)) / c_j``, with ``P_v`` at G > 0 (``p`` without
   a detection rate, where the sanction's slope is ``p φ``);
3. for each band's cut-off, the cheapest gaming that raises the expected score to the median cut-off
   plus ``k σ_d`` (k = 0, 1): ``g_j = Δ (a_j / c_j) / Σ_i a_i² / c_i`` (the kinks of a sharp
   threshold, which the interior point misses when ``R`` is locally convex),

and takes the best. Score shifts are linear in gaming (the own effect on group statistics is
neglected, as in the first-order conditions).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr

from .context import Context

#: multiples of σ_d past a band's median cut-off tried as candidates
_PAST_CUTOFF = (0.0, 1.0)


def detection(ctx: Context, gaming_total: NDArray) -> tuple[NDArray, NDArray]:
    """P(detected | audited) and its derivative in total gaming G (0 without a detection rate)."""
    rate = ctx.audit.detection_rate
    if rate is None:
        return (gaming_total > 1e-12).astype(float), np.zeros_like(gaming_total)
    e = np.exp(-rate * gaming_total)
    return 1.0 - e, rate * e


def sanction(ctx: Context, gaming_total: NDArray) -> tuple[NDArray, NDArray]:
    """Expected sanction ``p · P_det(G) · (F + φ G)`` and its derivative in G where G > 0."""
    audit_p, fine, penalty = ctx.audit.probability, ctx.audit.fine_per_unit, ctx.audit.penalty
    pd_, dpd = detection(ctx, gaming_total)
    level = audit_p * pd_ * (penalty + fine * gaming_total)
    if ctx.audit.detection_rate is None:  # every gaming found when audited: slope p φ for G > 0
        return level, np.full_like(gaming_total, audit_p * fine)
    slope = audit_p * (dpd * (penalty + fine * gaming_total) + pd_ * fine)
    return level, slope


def veto_probability(ctx: Context, gaming_total: NDArray) -> tuple[NDArray, NDArray]:
    """``P_v(G) = p P_det(G)`` and its derivative (zeros without a veto)."""
    if not ctx.audit.veto:
        zero = np.zeros_like(gaming_total)
        return zero, zero
    p_det, dp_det = detection(ctx, gaming_total)
    return ctx.audit.probability * p_det, ctx.audit.probability * dp_det


def expected_reward(ctx: Context, prof: dict, score: NDArray, mask=None) -> NDArray:
    """``R(S)`` at expected own score ``score`` (B, D), against the profile's cut-offs (with a
    boolean ``mask`` (B, D): ``score`` holds the masked departments only, and so does the result)."""
    bonus = ctx.prizes
    sigma = prof["sigma"] if mask is None else prof["sigma"][mask]
    reward = bonus[-1] + ctx.per_point * score
    for g, tau in enumerate(prof["cutoffs"]):
        step = bonus[g] - bonus[g + 1]
        if step:
            tau = tau if mask is None else tau[:, mask]
            reward = reward + step * ndtr((score[None] - tau) / sigma[None]).mean(axis=0)
    return reward


def _reward_bound(ctx: Context, prof: dict, score: NDArray) -> NDArray:
    """An upper bound of ``R(S)``, cheap to compute: each positive bonus step won with the
    probability ``Φ((S − min_s τ_gs)/σ_d)`` of its lowest cut-off over the samples (exact for a
    cut-off without samples), each negative step never."""
    bonus = ctx.prizes
    bound = bonus[-1] + ctx.per_point * score
    for g, low in enumerate(prof["cutoff_floor"]):
        step = bonus[g] - bonus[g + 1]
        if step > 0:
            bound = bound + step * ndtr((score - low) / prof["sigma"])
    return bound + 1e-9 * (1.0 + np.abs(bound))  # no pruning by rounding


@dataclass
class EffortChoice:
    """How effort answers a gaming candidate: the veto scales the reward's pull on effort by
    ``m = 1 − P_v(G)``, so each candidate has its own effort ``e(m)`` (``solve``), and its utility
    counts ``λ V(e) − ½ eᵀCe/a_d`` and the score the effort change brings."""

    e0: NDArray  # (B, D, K) current effort
    per_effort: NDArray  # (B, D, K) score points per unit of effort
    solve: Callable[[NDArray], NDArray]  # multiplier m (B, D) → effort (B, D, K)

    def own(self, ctx: Context, e: NDArray) -> tuple[NDArray, NDArray]:
        """Score shift from ``e0`` to ``e`` and ``λ V(e) − ½ eᵀCe/a_d``, (B, D) each."""
        w = ctx.world
        shift = (self.per_effort * (e - self.e0)).sum(-1)
        value = ctx.motivation * ((ctx.theta * e) @ w.value)
        cost = 0.5 * ((e @ w.cost) * e).sum(-1) / ctx.ability
        return shift, value - cost


def utility(
    ctx: Context,
    prof: dict,
    g0: NDArray,
    g: NDArray,
    a: NDArray,
    shift=0.0,
    own=0.0,
    above: NDArray | None = None,
    valid: NDArray | None = None,
) -> NDArray:
    """``U(g)`` of the module docstring, plus ``own`` (the effort terms) with the expected score
    moved by ``shift`` (the effort change). With ``above``, only where an upper bound of ``U``
    exceeds ``above``, and ``valid`` (−∞ elsewhere): the reward against the cut-offs, the costly
    part, is then computed for those departments alone."""
    w = ctx.world
    total = g.sum(-1)
    score = prof["mean"] + (a * (g - g0)).sum(-1) + shift
    p_v, _ = veto_probability(ctx, total)
    veto_reward = ctx.prizes[ctx.rule.veto_grade]
    level, _ = sanction(ctx, total)
    cost = 0.5 * (np.where(w.gameability > 0, w.gaming_cost, 0.0) * g**2).sum(-1)
    rest = np.broadcast_to(p_v * veto_reward - cost - level + own, score.shape)
    if above is None and valid is None:
        return (1 - p_v) * expected_reward(ctx, prof, score) + rest
    out = np.full(score.shape, -np.inf)
    mask = np.ones(score.shape, dtype=bool)
    if above is not None:
        mask = (1 - p_v) * _reward_bound(ctx, prof, score) + rest > above
    if valid is not None:
        mask &= valid
    if mask.any():
        reward = expected_reward(ctx, prof, score[mask], mask)
        out[mask] = (1 - p_v[mask]) * reward + rest[mask]
    return out


def interior(ctx: Context, prof: dict, g0: NDArray, a: NDArray, sweeps: int = 12) -> NDArray:
    """Candidate 2: the first-order conditions, with the veto and sanction slopes at the candidate's
    own G > 0. With a detection rate these slopes depend on G, so the conditions are solved by
    damped sweeps from the current gaming (the score and R′ stay those of the profile); without one
    they are the constants of G > 0 (P_det = 1: slopes p φ and 0)."""
    w = ctx.world
    veto_reward = ctx.prizes[ctx.rule.veto_grade]
    smooth = ctx.audit.detection_rate is not None
    gameable = w.gameability > 0
    inverse_cost = np.where(gameable, 1.0 / np.where(gameable, w.gaming_cost, 1.0), 0.0)
    pull = prof["marginal"][..., None] * a  # (1 − P_v) R′(S̄) a_j without a veto
    g = g0
    for sweep in range(sweeps if smooth else 1):
        total = g.sum(-1) if smooth else np.ones(g0.shape[:-1])
        _, s_slope = sanction(ctx, total)
        if ctx.audit.veto:
            p_v, dp_v = veto_probability(ctx, total)
            gain = (1 - p_v)[..., None] * pull
            gain -= (s_slope + dp_v * (prof["reward"] - veto_reward))[..., None]
        else:
            gain = pull - s_slope[..., None]
        new = np.maximum(gain, 0.0, out=gain)
        new *= inverse_cost
        g = new if sweep == 0 or not smooth else 0.5 * (g + new)
    return g


def choose(
    ctx: Context, prof: dict, g0: NDArray, d_s_dm: NDArray, effort: EffortChoice
) -> tuple[NDArray, NDArray, NDArray]:
    """Effort and the gaming of highest ``U`` among the candidates of the module docstring, and
    which candidate it is (0 interior, 1 none, 2… a cut-off), (B, D). With a veto each candidate's
    effort is re-optimised for its veto probability (gaming lowers the pull on effort, so a
    department may be better off working and not gaming at all)."""
    w = ctx.world
    gameable = w.gameability > 0
    a = np.where(gameable, d_s_dm * w.scale * w.gameability, 0.0)
    p_now, _ = veto_probability(ctx, g0.sum(-1))
    e_now = effort.solve(1 - p_now)
    candidates = [interior(ctx, prof, g0, a)]
    if not gameable.any():
        return e_now, candidates[0], np.zeros(g0.shape[:-1], dtype=np.intp)
    candidates.append(np.zeros_like(g0))
    valid = [None, (candidates[0] > 0).any(-1)]  # no gaming differs from the interior point
    cost = np.where(gameable, w.gaming_cost, np.inf)
    reach = np.where(a > 1e-9, a, 0.0) / cost  # gaming per unit of the cheapest score gain
    per_point = (a * reach).sum(-1)  # Σ a²/c
    base = prof["mean"] - (a * g0).sum(-1)  # the expected score without gaming
    bonus = ctx.prizes
    most = float(bonus.max() - bonus.min())
    for tau in prof["cutoffs"]:
        middle = np.median(tau, axis=0)
        for k in _PAST_CUTOFF:
            need = middle + k * prof["sigma"] - base
            ok = np.isfinite(need) & (need > 0) & (per_point > 1e-9)
            # a candidate whose cost ½ Δ²/Σ(a²/c) exceeds any reward it could bring is no candidate
            ok &= 0.5 * need**2 < (most + abs(ctx.per_point) * need) * per_point
            scale = np.where(ok, need / np.where(ok, per_point, 1.0), 0.0)
            candidates.append(scale[..., None] * reach)
            valid.append(ok)
    efforts, utilities = [], []
    best = None
    shift, own = effort.own(ctx, e_now)  # without a veto, every candidate's effort is e_now
    for i, cand in enumerate(candidates):
        e = e_now
        if ctx.audit.veto:
            p_v, _ = veto_probability(ctx, cand.sum(-1))
            e = effort.solve(1 - p_v)
            shift, own = effort.own(ctx, e)
        efforts.append(e)
        # the interior point everywhere; the others where they differ from it and might do better
        u = utility(ctx, prof, g0, cand, a, shift, own, above=best, valid=valid[i])
        utilities.append(u)
        best = u if best is None else np.maximum(best, u)
    pick = np.stack(utilities).argmax(axis=0)  # ties: the interior point, then no gaming
    e_out, g_out = np.zeros_like(e_now), np.zeros_like(g0)
    for i, (e, cand) in enumerate(zip(efforts, candidates, strict=True)):
        chosen = (pick == i)[..., None]
        e_out = np.where(chosen, e, e_out)
        g_out = np.where(chosen, cand, g_out)
    return e_out, g_out, pick
