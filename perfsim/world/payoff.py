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
2. the interior point of the first-order conditions, ``g_j = max(0, (1 − P_v) R′(S̄) a_j(g_j)
   − ∂E[sanction]/∂g_j − ∂P_v/∂g_j · (R(S̄) − W_v)) / c_j``, with ``P_v`` at G > 0 (``p`` without
   a detection rate, where the sanction's slope is ``p φ``) and the marginal score ``a_j(g_j)`` at
   the candidate's own indicator level (:class:`Kinks`; it falls past the ceiling). The conditions
   are coupled through G; they are solved by Newton steps over all departments at once from the
   previous iterate, with a safeguarded fallback (:func:`perfsim.world.interior.interior`);
3. for each band's cut-off, the cheapest gaming that raises the expected score to the median cut-off
   plus ``k σ_d`` (k = 0, 1): ``g_j = Δ (a_j / c_j) / Σ_i a_i² / c_i`` (the kinks of a sharp
   threshold, which the interior point misses when ``R`` is locally convex),

and takes the best. Candidates 1 and 3 are computed only for the departments where they differ
from the interior point (:func:`rows_of`: those rows, effort and utility, in one call), and their
expected reward only where a cheap upper bound beats the interior point's utility: the same picks,
to the last bit, as computing every candidate everywhere. A candidate's score shift follows the reported indicators through the clip of
the efficacy coefficient and the reporting ceiling (:class:`Kinks`): gaming past the ceiling earns
nothing. It is otherwise linear in gaming (the own effect on group statistics is neglected, as in
the first-order conditions).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from ..fastreduce import median_first, sum_last, take_departments
from . import events, normal, regimes
from .audits import sanction, veto_probability, vetoes
from .context import Context
from .interior import interior

#: multiples of σ_d past a band's median cut-off tried as candidates
_PAST_CUTOFF = (0.0, 1.0)


def expected_reward(ctx: Context, prof: dict, score: NDArray, mask=None) -> NDArray:
    """``R(S)`` at expected own score ``score`` (B, D), against the profile's cut-offs (with a
    boolean ``mask`` (B, D): ``score`` holds the masked departments only, and so does the result)."""
    bonus = ctx.prizes
    sigma = prof["sigma"] if mask is None else prof["sigma"][mask]
    reward = bonus[-1] + ctx.per_point * score
    for g, tau in enumerate(prof["cutoffs"]):
        step = bonus[g] - bonus[g + 1]
        if step:
            cdf, _ = normal.band_means(score, tau if mask is None else tau[:, mask], sigma)
            reward = reward + step * cdf
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
            bound = bound + step * normal.ndtr((score - low) / prof["sigma"])
    return bound + 1e-9 * (1.0 + np.abs(bound))  # no pruning by rounding


@dataclass
class EffortChoice:
    """How effort answers a gaming candidate: the veto scales the reward's pull on effort by
    ``m = 1 − P_v(G)``, so each candidate has its own effort ``e(m)`` (``solve``), and its utility
    counts ``λ V(e) − ½ eᵀCe/a_d`` and the score the effort change brings."""

    e0: NDArray  # (B, D, K) current effort
    per_effort: NDArray  # (B, D, K) score points per unit of effort
    solve: Callable[..., NDArray]  # m (B, D)[, candidate's total gaming (B, D), its P_v] → effort
    # (idx, ctx, prof) → the choice of the departments ``idx`` alone (flat indices), given
    # :func:`rows_of`'s context and profile of them (None: candidates solved for all departments)
    restrict: Callable[..., EffortChoice] | None = None

    def own(self, ctx: Context, e: NDArray) -> tuple[NDArray, NDArray]:
        """Score shift from ``e0`` to ``e`` and ``λ V(e) − ½ eᵀCe/a_d``, (B, D) each."""
        w = ctx.world
        shift = sum_last(self.per_effort * (e - self.e0))
        value = ctx.motivation * ((ctx.theta * e) @ w.value)
        cost = 0.5 * sum_last((e @ w.cost) * e) / ctx.ability
        return shift, value - cost


def effort_choice(ctx: Context, prof: dict, e, per_effort, pull, own, total, project):
    """The :class:`EffortChoice` of the first-order conditions' reward pull and own value
    (B, D, K) without the events' terms (:func:`perfsim.world.events.effort_terms`, added at the
    profile's gaming ``total`` or at a candidate's); ``project(rhs, start)``: the effort solving
    ``C e = rhs``, ``e ≥ 0``."""
    terms = functools.partial(events.effort_terms, ctx, prof, pull=pull, own=own)
    at = []  # the terms at the profile's gaming, once asked for

    def solve(m: NDArray, total_g: NDArray | None = None, p_v: NDArray | None = None) -> NDArray:
        """Effort given ``m = 1 − P_v`` (a veto voids the reward and the pay per point), with
        the events' terms at a gaming candidate's total ``total_g`` when given (``p_v``: its
        veto probability, when the caller has it)."""
        if total_g is None and not at:
            at.append(terms(total))
        p, o = at[0] if total_g is None else terms(total_g, p_v=p_v)
        return project(m[..., None] * p + o, e)

    def restrict(idx: NDArray, small: Context, sub: dict) -> EffortChoice:
        rows = [take_departments(x, idx) for x in (e, per_effort, pull, own, total)]
        return effort_choice(small, sub, *rows, project)

    return EffortChoice(e0=e, per_effort=per_effort, solve=solve, restrict=restrict)


def rows_of(ctx: Context, prof: dict, idx: NDArray) -> tuple[Context, dict]:
    """The context and profile of the departments ``idx`` alone (flat indices over (B, D), as one
    replication: :func:`perfsim.fastreduce.take_departments`), for a gaming candidate's effort
    and :func:`utility` (elementwise the same numbers as on all departments)."""
    small = replace(
        ctx,
        ability=take_departments(ctx.ability, idx),
        theta=take_departments(ctx.theta, idx),
        event_state=events.state_rows(ctx.event_state, idx),
    )
    sub = {key: take_departments(prof[key], idx) for key in ("mean", "sigma", "marginal", "reward")}
    sub["cutoffs"] = [tau.reshape(len(tau), -1)[:, idx][:, None] for tau in prof["cutoffs"]]
    sub["cutoff_floor"] = [take_departments(low, idx) for low in prof["cutoff_floor"]]
    if prof.get("kinks") is not None:
        sub["kinks"] = prof["kinks"].rows(idx)
    return small, sub


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
    at: tuple[NDArray, NDArray] | None = None,
) -> NDArray:
    """``U(g)`` of the module docstring, plus ``own`` (the effort terms) with the expected score
    moved by ``shift`` (the effort change). With ``above``, only where an upper bound of ``U``
    exceeds ``above``, and ``valid`` (−∞ elsewhere): the reward against the cut-offs, the costly
    part, is then computed for those departments alone. ``at``: ``g``'s total gaming and its veto
    probability, when the caller has them."""
    w = ctx.world
    total = sum_last(g) if at is None else at[0]
    kinks = prof.get("kinks")
    if kinks is None:
        score = prof["mean"] + sum_last(a * (g - g0)) + shift
    else:  # the clip and the ceiling: the score of a large change is not linear
        gain = np.where(w.gameability > 0, w.scale * w.gameability, 0.0)
        score = prof["mean"] + kinks.shift(gain * (g - g0)) + shift
        score = score - events.deduction_slope(ctx) * (total - sum_last(g0))  # 减分 incidents
    p_v = veto_probability(ctx, total)[0] if at is None else at[1]
    veto_reward = ctx.prizes[ctx.rule.veto_grade]
    level, _ = sanction(ctx, total)
    cost = 0.5 * sum_last(np.where(w.gameability > 0, w.gaming_cost, 0.0) * g**2)
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


def choose(
    ctx: Context,
    prof: dict,
    g0: NDArray,
    d_s_dm: NDArray,
    effort: EffortChoice,
    held: regimes.Held | None = None,
) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """Effort and the gaming of highest ``U`` among the candidates of the module docstring (or the
    candidate a department holds, :class:`perfsim.world.regimes.Held`), which candidate it is (0
    interior, 1 none, 2… a cut-off), and how much ``U`` the choice forgoes against the best
    candidate, (B, D) each. With a veto each candidate's effort is re-optimised for its veto
    probability (gaming lowers the pull on effort, so a department may be better off working and
    not gaming at all)."""
    w = ctx.world
    gameable = w.gameability > 0
    a = np.where(gameable, d_s_dm * w.scale * w.gameability, 0.0)
    a = events.gaming_slope(ctx, a, gameable)  # expected deduction points from gaming
    candidates = [interior(ctx, prof, g0, a)]
    if not gameable.any():
        zero = np.zeros(g0.shape[:-1])
        return _effort_now(ctx, effort, g0), candidates[0], zero.astype(np.intp), zero
    candidates.append(np.zeros_like(g0))
    valid = [None, (candidates[0] > 0).any(-1)]  # no gaming differs from the interior point
    cost = np.where(gameable, w.gaming_cost, np.inf)
    reach = np.where(a > 1e-9, a, 0.0) / cost  # gaming per unit of the cheapest score gain
    per_point = sum_last(a * reach)  # Σ a²/c
    base = prof["mean"] - sum_last(a * g0)  # the expected score without gaming
    bonus = ctx.prizes
    most = float(bonus.max() - bonus.min())
    for tau in prof["cutoffs"]:
        middle = tau[0] if len(tau) == 1 else median_first(tau)  # (one sample: itself)
        for k in _PAST_CUTOFF:
            need = middle + k * prof["sigma"] - base
            ok = np.isfinite(need) & (need > 0) & (per_point > 1e-9)
            # a candidate whose cost ½ Δ²/Σ(a²/c) exceeds any reward it could bring is no candidate
            ok &= 0.5 * need**2 < (most + abs(ctx.per_point) * need) * per_point
            scale = np.where(ok, need / np.where(ok, per_point, 1.0), 0.0)
            candidates.append(scale[..., None] * reach)
            valid.append(ok)
    # the departments whose candidates' utilities are all computed, not pruned: those holding a
    # candidate other than the interior point (computed first), whose U must be exact
    exact = None if held is None else held.prefer >= 1
    if vetoes(ctx):  # each candidate has its own effort; ``now`` fills rows never picked
        now = (effort.e0, None, None)
    else:  # every candidate's effort is the one at the profile
        e_now = _effort_now(ctx, effort, g0)
        now = (e_now, *effort.own(ctx, e_now))
    e, u = _candidate(ctx, prof, g0, candidates[0], a, effort, now, None, None)
    efforts, utilities = [(None, e)], [u]
    # the others where they differ from the interior point and might do better than the
    # candidates before (with EffortChoice.restrict: than the interior point, all at once)
    n = len(candidates)
    for group in [range(1, n)] if effort.restrict else [[i] for i in range(1, n)]:
        best = functools.reduce(np.maximum, utilities)
        if exact is not None:
            best = np.where(exact, -np.inf, best)
        done = _candidates(ctx, prof, g0, a, effort, now, best, candidates, valid, group)
        efforts += done[0]
        utilities += done[1]
    table = np.stack(utilities)
    pick = table.argmax(axis=0)  # ties: the interior point, then no gaming
    gap = np.zeros(pick.shape)
    if held is not None:
        pick, gap = regimes.held_pick(table, pick, held)
    g_out = candidates[0].copy()  # (as np.choose(pick[..., None], candidates), faster)
    for i, cand in enumerate(candidates[1:], 1):
        chosen = pick == i
        if chosen.any():
            g_out[chosen] = cand[chosen]
    e_out = efforts[0][1].copy()
    flat, rows_out = pick.reshape(-1), e_out.reshape(-1, e_out.shape[-1])
    for i, (rows, e) in enumerate(efforts[1:], 1):  # a candidate is picked where it was computed
        if rows is None:
            chosen = pick == i
            e_out[chosen] = e[chosen]
        else:
            mine = flat[rows] == i
            rows_out[rows[mine]] = e[0, mine]
    return e_out, g_out, pick, gap


def _effort_now(ctx: Context, effort: EffortChoice, g0: NDArray) -> NDArray:
    """The effort that answers the profile's own gaming ``g0`` (and its veto probability)."""
    return effort.solve(1 - veto_probability(ctx, sum_last(g0))[0])


def _candidates(ctx, prof, g0, a, effort: EffortChoice, now, best, candidates, valid, group):
    """The efforts and utilities of the candidates ``group`` (indices into ``candidates``) where
    they are ``valid`` and might beat ``best``: with :attr:`EffortChoice.restrict`, for those
    departments alone, all candidates of the group at once (one row per candidate and department:
    the pick is the same, as a candidate is compared with ``best`` only to save work). An effort
    is ``(None, (B, D, K))``, or ``(idx, (1, len(idx), K))``: the departments ``idx`` alone."""
    idx = [np.flatnonzero(valid[i]) for i in group]
    keep = np.concatenate(idx) if idx else np.zeros(0, dtype=np.intp)
    if effort.restrict is None or len(keep) < 2:  # (one row would take numpy's vector products)
        efforts, utilities = [], []
        for i, j in zip(group, idx, strict=True):
            e, u = now[0], np.full(g0.shape[:-1], -np.inf)
            if len(j) or effort.restrict is None:
                e, u = _candidate(ctx, prof, g0, candidates[i], a, effort, now, best, valid[i])
            efforts.append((None, e))
            utilities.append(u)
        return efforts, utilities
    small, sub = rows_of(ctx, prof, keep)
    rows = [None if x is None else take_departments(x, keep) for x in (*now, g0, a, best)]
    cand = np.concatenate(
        [take_departments(candidates[i], j) for i, j in zip(group, idx, strict=True)], axis=1
    )
    e_sub, u_sub = _candidate(
        small,
        sub,
        rows[3],
        cand,
        rows[4],
        effort.restrict(keep, small, sub),
        rows[:3],
        rows[5],
        None,
    )
    efforts, utilities = [], []
    starts = np.cumsum([0] + [len(j) for j in idx])[:-1]
    for j, start in zip(idx, starts, strict=True):
        u = np.full(g0.shape[:-1], -np.inf)
        u.reshape(-1)[j] = u_sub[0, start : start + len(j)]
        efforts.append((j, e_sub[:, start : start + len(j)]))
        utilities.append(u)
    return efforts, utilities


def _candidate(ctx, prof, g0, cand, a, effort: EffortChoice, now, best, valid):
    """A gaming candidate's effort and utility (−∞ where it is no candidate or cannot beat
    ``best``); ``now``: without a veto, the effort at the profile and its
    :meth:`EffortChoice.own`."""
    e, shift, own = now
    total = sum_last(cand)
    p_v, _ = veto_probability(ctx, total)
    if vetoes(ctx):
        e = effort.solve(1 - p_v, total, p_v)
        shift, own = effort.own(ctx, e)
    # the interior point everywhere; the others where they differ from it and might do better
    return e, utility(ctx, prof, g0, cand, a, shift, own, above=best, valid=valid, at=(total, p_v))
