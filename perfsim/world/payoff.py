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

Effort is not concave in its payoff either: the reward rises in an S around every threshold, and
effort's first-order conditions, taken at the department's current score, keep a department far
below a threshold where it is (no slope there) and can hold one on a stretch whose best point is
worth less than giving the reward up. So after the gaming candidates come the *effort
candidates* (:func:`effort_candidates`), each with the interior point's gaming:

4. the effort for no reward at all (the reward's slope μ = 0 in the effort's conditions);
5. for each band whose cut-off is a threshold, the peak of ``U`` on that band's stretch: along
   the efforts ``e(μ)`` that answer a reward slope μ, the score is ``S = S₀ + Π μ`` and
   ``U = (1 − P_v) (R(S) − (S − S₀)²/2Π) + const`` (the envelope theorem), whose peak solves
   ``R′(S) = (S − S₀)/Π`` (:func:`_effort_peak`).

Where a cut-off is a quota's, which moves with the other departments' choices, a department only
looks up to a threshold band above its score: contestants for a quota's places giving the contest
up, and all taking it up again once the cut-off fell, had no settled answer. The effort
candidates are weighed on an iteration that computes every department of a replication
(:class:`perfsim.world.response.Schedule`) and by the departments holding one; their score
follows the indicators through the kinks, and the events' points and veto chances are taken at
the candidate's effort.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from ..fastreduce import matmul_t, median_first, sum_last, take_departments
from . import events, normal, regimes
from .audits import sanction, veto_probability, vetoes
from .context import Context
from .interior import interior

#: multiples of σ_d past a band's median cut-off tried as candidates
_PAST_CUTOFF = (0.0, 1.0)
_INV_SQRT_2PI = 0.3989422804014327  # 1/√(2π), the normal density's factor


def gaming_cost(world, g: NDArray) -> NDArray:
    """``½ Σ_j c_j g_j²`` over the gameable indicators, (B, D)."""
    return 0.5 * sum_last(np.where(world.gameability > 0, world.gaming_cost, 0.0) * g**2)


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
    # total gaming (B, D) → a function of μ (B, D): the effort with the reward's slope μ (times
    # 1 − P_v) in place of R′(S̄), the first-order conditions of a department whose expected score
    # sat where the reward rises by μ a point (:func:`effort_candidates`)
    at_slope: Callable[[NDArray], Callable[[NDArray], NDArray]]
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

    def at_slope(total_g: NDArray) -> Callable[[NDArray], NDArray]:
        unit = {**prof, "marginal": np.ones_like(prof["marginal"])}  # the pull of R′ = 1
        p, o = events.effort_terms(ctx, unit, total_g, per_effort * ctx.ability[..., None], own)
        return lambda mu: project(mu[..., None] * p + o, e)

    def restrict(idx: NDArray, small: Context, sub: dict) -> EffortChoice:
        rows = [take_departments(x, idx) for x in (e, per_effort, pull, own, total)]
        return effort_choice(small, sub, *rows, project)

    return EffortChoice(e, per_effort, solve, at_slope, restrict)


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
    moved: NDArray | None = None,
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
        change = gain * (g - g0) if moved is None else gain * (g - g0) + moved
        score = prof["mean"] + kinks.shift(change) + shift
        score = score - events.deduction_slope(ctx) * (total - sum_last(g0))  # 减分 incidents
    p_v = veto_probability(ctx, total)[0] if at is None else at[1]
    veto_reward = ctx.prizes[ctx.rule.veto_grade]
    level, _ = sanction(ctx, total)
    cost = gaming_cost(w, g)
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
    interior; with gameable indicators 1 no gaming, 2… a cut-off's; then the effort candidates of
    :func:`effort_candidates`), and how much ``U`` the choice forgoes against the best
    candidate, (B, D) each. With a veto each candidate's effort is re-optimised for its veto
    probability (gaming lowers the pull on effort, so a department may be better off working and
    not gaming at all)."""
    w = ctx.world
    gameable = w.gameability > 0
    a = np.where(gameable, d_s_dm * w.scale * w.gameability, 0.0)
    a = events.gaming_slope(ctx, a, gameable)  # expected deduction points from gaming
    candidates = [interior(ctx, prof, g0, a)]
    middles = [tau[0] if len(tau) == 1 else median_first(tau) for tau in prof["cutoffs"]]
    if not gameable.any():  # the effort of the first-order conditions, or an effort candidate
        e_now = _effort_now(ctx, effort, g0)
        u_now = utility(ctx, prof, g0, candidates[0], a, *effort.own(ctx, e_now))
        done = [(None, e_now)], [u_now]
        return _pick(ctx, prof, g0, a, d_s_dm, effort, held, candidates, *done, middles)
    candidates.append(np.zeros_like(g0))
    valid = [None, (candidates[0] > 0).any(-1)]  # no gaming differs from the interior point
    cost = np.where(gameable, w.gaming_cost, np.inf)
    reach = np.where(a > 1e-9, a, 0.0) / cost  # gaming per unit of the cheapest score gain
    per_point = sum_last(a * reach)  # Σ a²/c
    base = prof["mean"] - sum_last(a * g0)  # the expected score without gaming
    bonus = ctx.prizes
    most = float(bonus.max() - bonus.min())
    for middle in middles:  # (one sample: itself)
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
    return _pick(ctx, prof, g0, a, d_s_dm, effort, held, candidates, efforts, utilities, middles)


def _pick(
    ctx, prof, g0, a, d_s_dm, effort: EffortChoice, held, candidates, efforts, utilities, middles
):
    """:func:`choose`'s pick among the gaming candidates (their ``efforts`` and ``utilities``)
    and the effort candidates (:func:`effort_candidates`, with the interior point's gaming),
    which come after them: effort, gaming, the candidate's index and the ``U`` the choice
    forgoes. The effort candidates are weighed by the departments of ``held.check`` and those
    holding one (all departments without ``held``), computed for those alone."""
    n, shape = len(candidates), g0.shape[:-1]
    best = functools.reduce(np.maximum, utilities)
    weigh = None if held is None or held.check is None else held.check | (held.prefer >= n)
    idx = np.arange(best.size) if weigh is None else np.flatnonzero(weigh)
    prefer = None if held is None else held.prefer
    if not len(idx):
        utilities += [np.full(shape, -np.inf)] * (1 + len(middles))
        efforts += [(None, efforts[0][1])] * (1 + len(middles))
    elif effort.restrict is None or len(idx) < 2:  # (one row would take numpy's vector products)
        arrays = (g0, candidates[0], a, d_s_dm, effort, middles, best, prefer)
        for e, u in _effort_utilities(ctx, prof, *arrays, n, weigh):
            efforts.append((None, e))
            utilities.append(u)
    else:
        small, sub = rows_of(ctx, prof, idx)
        rows = [take_departments(x, idx) for x in (g0, candidates[0], a, d_s_dm)]
        tiers = [take_departments(m, idx) for m in middles]
        mine = effort.restrict(idx, small, sub)
        limits = [None if x is None else take_departments(x, idx) for x in (best, prefer)]
        for e, u_sub in _effort_utilities(small, sub, *rows, mine, tiers, *limits, n):
            u = np.full(shape, -np.inf)
            u.reshape(-1)[idx] = u_sub[0]
            efforts.append((idx, e))
            utilities.append(u)
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


def effort_candidates(ctx: Context, prof: dict, g0, gc, a, effort: EffortChoice, middles, best, at):
    """The effort candidates of :func:`choose`, each with the gaming ``gc`` (whose total and veto
    probability are ``at``), and where each is one
    (B, D): the effort for no reward at all (``μ = 0`` below), and the best effort on the reward's
    rising stretches above the department's score (a department far below a threshold sees no
    slope there, so its first-order conditions at its own score keep it there).

    Effort at the reward's slope μ (:attr:`EffortChoice.at_slope`) maximises ``μ S + λ V − cost``,
    so along that curve, with the score ``S = S₀ + Π μ`` linear in μ (while the effort's support
    stays), ``U(S) = (1 − P_v) (R(S) − (S − S₀)² / 2Π) + const`` (the envelope theorem; ``S₀``
    the score without gaming at μ = 0). Its maximum on the stretch of each band whose median
    cut-off τ lies above ``S₀`` solves ``R′(S) = (S − S₀)/Π``: Newton steps from ``τ + σ_d``, a
    candidate a band (so that a department does not switch between two stretches unchecked,
    :class:`perfsim.world.regimes.Regimes`), where a bound of ``U`` (the top prize) could beat
    ``best``, and a candidate only where the peak lies on the band's own stretch (above ``τ − σ_d``:
    a peak lower down is another band's, or the interior point's)."""
    zero = np.zeros(g0.shape[:-1])
    total, m = at[0], 1 - at[1]  # a veto voids the reward's pull
    slope = effort.at_slope(total)
    low, one = slope(zero), slope(m)
    shift_low, own_low = effort.own(ctx, low)
    per_mu = sum_last(effort.per_effort * (one - effort.e0)) - shift_low  # Π
    base = prof["mean"] + sum_last(a * (gc - g0)) + shift_low  # S₀
    cost = gaming_cost(ctx.world, gc)
    rest = (1 - m) * ctx.prizes[ctx.rule.veto_grade] - sanction(ctx, total)[0] - cost
    top = float(np.max(ctx.prizes))
    # giving up the reward, or settling for a lower band: only where no cut-off moves with the
    # others' choices (contestants for a quota's places giving them up and taking them up again
    # had no settled answer: the ministry's plan, mlr-2011, settled in 70-78 % of replications)
    fixed = all(len(tau) == 1 for tau in prof["cutoffs"])
    efforts, valid = [low], [np.full(zero.shape, fixed)]
    ceilings = [np.full(zero.shape, np.inf), *middles][: len(middles)]  # the next band's stretch
    for middle, tau, ceiling in zip(middles, prof["cutoffs"], ceilings, strict=True):
        # the bound of U on the band's stretch, at its lowest score
        s = np.maximum(middle, base + ctx.per_point * per_mu)
        curve = top + ctx.per_point * s - (s - base) ** 2 / (2 * np.where(per_mu > 0, per_mu, 1))
        ok = (
            (len(tau) == 1)  # a threshold: a quota's cut-off moves with the others' choices
            & np.isfinite(middle)
            & (middle > base)
            & (fixed | (middle > base - shift_low))  # (with a quota: above the current score)
            & (per_mu > 1e-12)
            & (m * curve + own_low + rest > best)
        )
        if not ok.any():
            valid.append(ok)
            efforts.append(low)
            continue
        b, pi, sd = base[ok], per_mu[ok], prof["sigma"][ok]
        with np.errstate(invalid="ignore"):  # (a band without a cut-off: −∞, masked inside)
            s = _effort_peak(ctx, prof, middle[ok] + sd, b, pi, ok)
        mu = np.zeros(zero.shape)
        mu[ok] = np.maximum(s - b, 0.0) / pi
        # a peak on the band's own stretch, or none (in valid): not below it, nor up on the
        # next band's (a peak of the next band up, reached where this one has none, would make
        # the candidate jump between the two)
        ok[ok] = (s > middle[ok] - sd) & (s < ceiling[ok] - sd)
        valid.append(ok)
        efforts.append(slope(mu * m))
    return efforts, valid


def _effort_peak(ctx: Context, prof: dict, s, base, per_mu, mask, steps=8, walk=8, polish=2):
    """The peak of ``U`` on the stretch of the reward from ``s`` (:func:`effort_candidates`): a
    root of ``f(S) = R′(S) − (S − S₀)/Π`` where ``f`` falls through 0, for the departments of
    ``mask`` (``s``, ``base`` = S₀ and ``per_mu`` = Π of them alone): the nearest such root uphill
    of ``s`` (``f(S₀) = R′(S₀) ≥ 0``, and ``f < 0`` far enough above, as ``R′`` is bounded), found
    by walking a σ_d at a time to a bracket and Newton steps inside it (bisection where they
    would leave it), with each cut-off's samples taken as one normal (mean and variance:
    ``E_s φ((S − τ_s)/σ)/σ`` is then ``φ((S − τ̄)/s)/s``, ``s² = σ² + var τ``), then Newton steps
    on the samples themselves. Where the stretches of two bands overlap, ``U`` has two peaks of
    about the same height; the nearest one is a choice that moves continuously with the profile
    (the highest one would jump between them)."""
    sigma = prof["sigma"][mask]
    steps_w = [ctx.prizes[g] - ctx.prizes[g + 1] for g in range(len(prof["cutoffs"]))]
    exact = [(w, tau[:, mask]) for w, tau in zip(steps_w, prof["cutoffs"], strict=True) if w]
    if not exact:  # (no prize steps: the pay per point alone, a straight line)
        return np.maximum(base + per_mu * float(ctx.per_point), base)
    centre = np.stack([tau.mean(axis=0) for _, tau in exact])  # (band, rows)
    spread = np.stack([tau.var(axis=0) if len(tau) > 1 else 0 * sigma for _, tau in exact])
    known = np.isfinite(centre)  # (a band without a cut-off: −∞, no slope)
    weight = np.array([w for w, _ in exact])[:, None] * known
    centre = np.where(known, centre, 0.0)
    width = np.sqrt(sigma**2 + np.where(known, spread, 0.0))

    def smooth(x):  # f(x) and f′(x) with the cut-offs as normals (all bands in one pass)
        z = (x - centre) / width
        pdf = weight * np.exp(-0.5 * z * z) * (_INV_SQRT_2PI / width)
        slope = float(ctx.per_point) + pdf.sum(axis=0)
        return slope - (x - base) / per_mu, -(pdf * z / width).sum(axis=0) - 1.0 / per_mu

    def sampled(x):  # the same on the samples
        slope, curve = np.full(x.shape, float(ctx.per_point)), np.zeros(x.shape)
        for w, tau in exact:
            z = (x - tau) / sigma
            pdf = np.exp(-0.5 * z * z) * _INV_SQRT_2PI
            bend = np.where(np.isfinite(z), z * pdf, 0.0)  # (no cut-off: −∞)
            slope += w * pdf.mean(axis=0) / sigma
            curve -= w * bend.mean(axis=0) / sigma**2
        return slope - (x - base) / per_mu, curve - 1.0 / per_mu

    # the bracket: from s, a σ_d at a time uphill (where f ≥ 0: up, else down to S₀, where
    # f ≥ 0) until f changes sign, so that the peak is the nearest one uphill of s
    f, _ = smooth(s)
    way = np.where(f >= 0, 1.0, -1.0) * sigma
    lo, hi, open_ = s.copy(), s.copy(), np.ones(s.shape, dtype=bool)
    for _ in range(walk):
        x = np.where(way < 0, np.maximum(s + way, base), s + way)
        fx, _ = smooth(x)
        turned = open_ & (((way > 0) & (fx < 0)) | ((way < 0) & ((fx >= 0) | (x <= base))))
        lo = np.where(turned & (way < 0), x, np.where(turned, s, lo))
        hi = np.where(turned & (way > 0), x, np.where(turned, s, hi))
        open_ &= ~turned
        s = np.where(open_, x, s)
        if not open_.any():
            break
    lo, hi = np.where(open_, s, lo), np.where(open_, s, hi)  # (no bracket: where the walk ended)
    s = 0.5 * (lo + hi)
    for _ in range(steps):  # Newton inside the bracket, bisection where it would leave it
        f, fp = smooth(s)
        lo, hi = np.where(f >= 0, s, lo), np.where(f >= 0, hi, s)
        newton = s - f / np.where(fp < 0, fp, -np.inf)
        s = np.where((fp < 0) & (newton > lo) & (newton < hi), newton, 0.5 * (lo + hi))
    for _ in range(polish):  # on the samples themselves, steps of at most half a σ_d
        f, fp = sampled(s)
        move = np.where(fp < 0, -f / np.where(fp < 0, fp, -1.0), 0.0)
        s = np.maximum(s + np.clip(move, -0.5 * sigma, 0.5 * sigma), base)
    return s


def _effort_utilities(ctx, prof, g0, gc, a, d_s_dm, effort, middles, best, prefer, n, weigh=None):
    """(effort, U) of each effort candidate (:func:`effort_candidates`, index ``n`` on), ``U``
    computed only where it is a candidate (and in ``weigh``) and might beat ``best`` or the
    candidates before it, or is the candidate the department holds (``prefer``)."""
    at = (sum_last(gc), veto_probability(ctx, sum_last(gc))[0])
    extra, valid = effort_candidates(ctx, prof, g0, gc, a, effort, middles, best, at)
    out, top = [], best
    for i, (e, ok) in enumerate(zip(extra, valid, strict=True), n):
        ok = ok if weigh is None else ok & weigh
        if not ok.any():  # (no department has it: nothing to compute)
            out.append((e, np.full(ok.shape, -np.inf)))
            continue
        above = top if prefer is None else np.where(prefer == i, -np.inf, top)
        shift, own, moved, here = _effort_shift(ctx, prof, effort, e, d_s_dm, at)
        u = utility(ctx, prof, g0, gc, a, shift, own, above, ok, here, moved)
        top = np.maximum(top, u)
        out.append((e, u))
    return out


def _effort_shift(ctx: Context, prof: dict, effort: EffortChoice, e, d_s_dm, at):
    """An effort candidate's score shift, own value, the indicators' move ``Δm`` it brings (with
    the clip and the ceiling, :class:`Kinks`, else None) and its total gaming and veto
    probability (``at``: those at the current effort).

    ``Δm`` is taken through the kinks by :func:`utility` (the shift then holds the raters' part
    alone): the score is concave in effort where an indicator nears its cap, and a straight line
    from the current effort promised a department giving up effort, or taking up much more, more
    than it would get; it then went back and forth between the two for ever. The world's events
    are taken at the candidate's effort: the expected bonus and deduction points it brings (in
    the shift) and the chance of a veto event (a straight line would miss that effort is what
    claims a bonus item, and a department gave it up)."""
    shift, own = effort.own(ctx, e)
    ev, total = ctx.events, at[0]
    p_v = at[1]
    if ev is not None and ctx.event_state is not None:
        known = events.chances(ev, ctx.theta, e, total, slopes=True)
        if ev.items.any():
            now = events.chances(ev, ctx.theta, effort.e0, total, slopes=False)[0]
            shift = shift + sum_last(ev.sign * ev.points * (known[0] - now))
        if events.has_veto(ctx):
            p_v = veto_probability(ctx, total, base=known[3])[0]
    if prof.get("kinks") is None:
        return shift, own, None, (total, p_v)
    w = ctx.world
    moved = matmul_t(ctx.theta * (e - effort.e0), w.loadings) * w.scale  # (B, D, J)
    return shift - sum_last(d_s_dm * moved), own, moved, (total, p_v)


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
