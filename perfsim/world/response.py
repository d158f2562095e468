"""Responses to a rule: the computations behind the behaviour policies (``perfsim.world.policies``)
of how departments choose real effort ``e`` and gaming ``g``.

``naive``: baseline effort, no gaming (what the rule would measure if nobody reacted).

``best_response``: each department maximises
``U_d = E[reward] + λ V_d − ½ eᵀCe/a_d − ½ Σ c_gj g_j² − E[sanction]`` taking the others' choices as
given; all departments are iterated with damping to a fixed point (Nash). Noise makes the expected
reward smooth (docs/model.md, "Computing responses"): with the department's own score noise σ_d,

    P(d in band g or better) = E_s Φ((S̄_d − τ_gds) / σ_d),

where the cut-off τ_gds is, in common-random-number sample s of everybody's noisy scores, the K_g-th
best score among the *other* departments of its group (K_g the cumulative quota; −∞ without one),
raised to the band's threshold. Its gradient flows through the rule: normalisation slope (own effect
on group statistics neglected) × weight × component share × indicator loading × productivity, and
through raters: share × survey-probit slope × visibility. Effort solves its first-order conditions

    effort:  (1 − P_veto) R'(S̄_d) ∂S̄_d/∂e_dk + λ v_k θ_dk = (C e_d)_k / a_d          (e ≥ 0)

in closed form per department (exact supports for coupled effort costs); a veto voids the reward
and the pay per point, so it scales the whole marginal reward. These conditions hold at a local
optimum only; effort candidates (no effort for the reward, the peak on a threshold's stretch) are
compared with them by expected utility (:mod:`perfsim.world.payoff`). Gaming is the *global* best among
candidate points (no gaming, the interior first-order point, the cheapest gaming that reaches each
cut-off), compared by the department's expected utility with fixed penalties, vetoes and the
S-shaped reward (:mod:`perfsim.world.payoff`, which states the payoff with its equations).

The fixed point is iterated per replication (:func:`best_response`): each department has its own
damping, shrunk when its step turns back, and the steps are combined by Anderson mixing
(:mod:`perfsim.world.mixing`); a replication stops when its residual ``max |BR(x) − x|`` is within
the tolerance, and drops out of the computation. A department that has settled is not recomputed
until its replication's next full iteration (:class:`Schedule`); a replication converges only on a
full one.
Forward-looking departments facing ratcheted targets (T_{t+1} = T_t + λ_r (m_t − T_t)) discount
the marginal reward through target-based indicators by the period's factor ``ctx.ratchet_factor``
(:mod:`perfsim.world.context`: ``(1 − δ)/(1 − δ + δ λ_r)`` in every period (Weitzman 1980), or
over a finite horizon a factor rising to 1 in the last period).

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

from ..fastreduce import along_last, matmul_t, sum_last, take_departments
from . import events, mixing, payoff, profile, regimes
from .context import Context
from .model import CompiledWorld


@dataclass
class Response:
    """The choices at the fixed point, and per replication how it was reached."""

    effort: NDArray  # (B, D, K)
    gaming: NDArray  # (B, D, J)
    iterations: NDArray  # (B,) best-response steps taken
    residual: NDArray  # (B,) last max |BR(x) − x| over departments and choices
    converged: NDArray  # (B,) bool: residual ≤ tolerance
    gap: NDArray  # (B,) the most expected utility a department's choice forgoes (Regimes), as a
    # share of the prize range

    @property
    def converged_share(self) -> float:
        return float(self.converged.mean()) if self.converged.size else 1.0


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
    depth: int = 3,
    warm: bool = False,
) -> Response:
    """Iterate damped, mixed best responses to a fixed point, each replication on its own (or one
    damped step when ``learned`` is given).

    Replication b's residual is ``r_b = max |BR(x_b) − x_b|`` over its departments, efforts and
    gaming; it has converged when ``r_b ≤ tolerance`` and then drops out of the computation (the
    replications of a block share nothing but their arrays). Each department has its own damping
    ``α_bd``: ``x_bd ← x_bd + α_bd (BR(x)_bd − x_bd)``, starting at ``damping``. When its step turns
    back (the inner product of two successive steps ``BR(x) − x`` is negative: it oscillates, as a
    department whose own score moves the group's normalisation or a cut-off does), ``α_bd`` shrinks
    by 30 % (down to 0.02); otherwise it grows by 10 % back up to ``damping`` (details, for
    departments that cycle or creep, in :func:`perfsim.world.mixing.next_damping`). A step that turns back
    means the best response falls with slope below −1 in that department's own choices, and the
    damping that removes the oscillation is about ``1/(1 − slope)``. The damped steps are combined
    with the last ``depth`` by Anderson mixing (:mod:`perfsim.world.mixing`; 0: none; ``warm``: the
    start is the last period's fixed point, so mixing starts at once); only the
    path changes: convergence is decided by the residual of the undamped, unmixed step. A
    replication whose residual grew :data:`perfsim.world.mixing.CREEP` iterations running pauses
    mixing for :data:`~perfsim.world.mixing.PAUSE` iterations (a department creeping away from a
    fixed point its damped steps cannot reach: mixing restarted every step and the department
    cycled for hundreds of iterations; stopping mixing for good left a few departments contesting
    one quota place spiralling on damped steps for ever)."""
    if learned is not None:
        return _iterate(ctx, effort, gaming, targets, learned, damping, 0.0, 1, 0)
    return _iterate(
        ctx, effort, gaming, targets, None, damping, tolerance, max_iterations, depth, warm
    )


def _iterate(
    ctx: Context,
    effort: NDArray,
    gaming: NDArray,
    targets: NDArray,
    learned,
    damping: float,
    tolerance: float,
    steps: int,
    depth: int,
    warm: bool = False,
) -> Response:
    """The iteration of :func:`best_response`, at most ``steps`` steps, mixing ``depth`` deep."""
    e, g = effort.copy(), gaming.copy()
    reps, n, k = e.shape
    alpha = np.full((reps, n), float(damping))
    turns = np.zeros((reps, n), dtype=np.intp)  # how often each department's step turned back
    last = np.zeros((reps, n, k + g.shape[-1]))  # the previous step
    regime = regimes.Regimes(reps, n, regimes.prize_range(ctx))
    gap = np.zeros((reps, n))  # the expected utility each department's choice forgoes
    size = n * (k + g.shape[-1])
    mixer = mixing.Anderson(reps, size, depth, calm=not warm) if depth > 0 else None
    residual = np.full(reps, np.inf)
    growing = np.zeros(reps, dtype=np.intp)  # successive iterations the residual grew
    paused = np.full(reps, -1)  # the iteration a replication paused mixing (creeping), or −1
    iterations = np.zeros(reps, dtype=np.intp)
    converged = np.zeros(reps, dtype=bool)
    active = np.arange(reps)
    sub = (ctx, targets, learned)
    plan = Schedule(reps, n)
    for it in range(1, steps + 1):
        e_a, g_a = e[active], g[active]
        full, due = plan.due(active, it == steps)
        held = regime.held(active, full)
        e_new, g_new, pick, forgone = _respond(sub[0], e_a, g_a, sub[1], sub[2], held, due)
        regime.update(active, pick)
        gap[active] = np.where(due, forgone, gap[active])
        # the step (b, D, K + J), each department's largest move (b, D), its damping
        x, step, damped, moved, a = mixing.track(
            active, e_a, g_a, e_new, g_new, due, alpha, last, turns, damping, it > 1
        )
        change = moved.max(axis=-1, initial=0.0)
        plan.update(active, due, moved, full, change, tolerance)
        done = (change <= tolerance) & full
        if mixer is not None:  # a settled replication takes the damped step (within tolerance)
            growing[active] = np.where(change > residual[active], growing[active] + 1, 0)
            plain = mixing.pause(paused, growing, active, it)
            x = mixer.step(active, x, step, a, change)
            x = np.where((done | plain)[:, None, None], damped, x)
        else:
            x = damped
        e[active], g[active] = x[..., :k], x[..., k:]
        residual[active], iterations[active] = change, it
        converged[active[done]] = True
        if done.all():
            break
        if done.any():  # the settled replications drop out
            active = active[~done]
            sub = _subset(ctx, targets, learned, active)
    forgone = gap.max(axis=-1, initial=0.0) / regime.spread
    return Response(e, g, iterations, residual, converged, forgone)


class Schedule:
    """Which departments' responses an iteration computes (an asynchronous iteration).

    A department whose last :data:`QUIET_RUN` computed steps were each within :data:`QUIET` of
    the tolerance is not computed until its replication's next *full* iteration (every
    department computed): its step is zero, though Anderson mixing may still move its choices a
    little by its replication's recent history (20 replications of 1,000 units, seed 0: of the
    departments in the iterations that computed fewer than half, 59 % changed, 19 % were
    computed). A replication iterates fully every :data:`REFRESH` iterations, at the last allowed
    one, and after any iteration whose residual was within
    :data:`NEAR` times the tolerance; it converges only on a full iteration, so its residual
    ``max |BR(x) − x|`` is over every department, as without the schedule. The profile (scores
    and cut-offs) is always the whole one; only the departments' choices are skipped, which late
    in the iteration, when most departments have settled and a few contest a cut-off, is most of
    the work (``benchmarks/bench_engine.py`` prints the share of responses skipped).

    From :data:`LARGE` departments a full iteration costs about twice a partial one (every
    department's choice and effort candidates; at a few dozen departments an iteration's cost is
    mostly fixed), and late in a replication its few moving departments hover a few tolerances
    from settling for many iterations, each of which called for a full one. There a replication
    iterates fully only once its computed departments' residual is within the tolerance
    (:data:`NEAR_LARGE`) and every :data:`REFRESH_LARGE` iterations: 11–22 % less CPU at 1,000
    departments (100 replications, seeds 0–2), 7–13 % at 200, the same iterations within 7 %;
    at 66 departments it gained 5 % on average over seeds 0–4 but let one replication take 276
    iterations against 170, so smaller worlds keep the settings above."""

    QUIET, QUIET_RUN, REFRESH, NEAR = 0.25, 2, 8, 3.0
    LARGE, REFRESH_LARGE, NEAR_LARGE = 200, 16, 1.0

    def __init__(self, reps: int, n: int) -> None:
        self.quiet = np.zeros((reps, n), dtype=np.intp)  # successive quiet computed steps
        self.since = np.zeros(reps, dtype=np.intp)  # iterations since the last full one
        self.near = np.zeros(reps, dtype=bool)  # the last residual was near the tolerance
        large = n >= self.LARGE
        self.refresh = self.REFRESH_LARGE if large else self.REFRESH
        self.near_by = self.NEAR_LARGE if large else self.NEAR

    def due(self, active: NDArray, last: bool) -> tuple[NDArray, NDArray]:
        """Whether each replication of ``active`` iterates fully (b,), and the departments due
        (b, D); ``last``: the last allowed iteration (full)."""
        full = self.near[active] | (self.since[active] >= self.refresh - 1) | last
        return full, (self.quiet[active] < self.QUIET_RUN) | full[:, None]

    def update(self, active, due, moved, full, change, tolerance: float) -> None:
        """Count quiet steps after an iteration whose departments moved by ``moved`` (b, D: the
        largest entry of each one's step, zero where it was not due) with residuals ``change``
        (b,)."""
        quiet = self.quiet[active]
        small = moved <= self.QUIET * tolerance
        self.quiet[active] = np.where(due, np.where(small, quiet + 1, 0), quiet)
        self.since[active] = np.where(full, 0, self.since[active] + 1)
        self.near[active] = change <= self.near_by * tolerance


def _subset(ctx: Context, targets: NDArray, learned, idx: NDArray):
    """The context, targets and learned cut-offs of the replications ``idx`` only."""
    small = ctx.replications(idx)
    return small, targets[idx], None if learned is None else [t[idx] for t in learned]


def _respond(
    ctx: Context, e: NDArray, g: NDArray, targets: NDArray, learned, held=None, due=None
) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """One best response to the profile (e, g): effort from its first-order conditions, gaming the
    global best of :func:`perfsim.world.payoff.choose` (which candidate that is, and the expected
    utility the choice forgoes). ``held``: the candidates the departments hold (:class:`perfsim.world.regimes.Regimes`).
    ``due`` (B, D): the departments whose response is computed (None: all); the others keep ``(e, g)``, pick −1
    and forgo 0. The profile (everybody's scores, the cut-offs) is always the whole one, and a due
    department's response is the same as with every department due (to rounding)."""
    w = ctx.world
    prof = profile.evaluate_profile(ctx, e, g, targets, learned)
    d_s_dm, d_s_dq = prof["d_s_dm"], prof["d_s_dq"]
    # ∂S/∂y_k = Σ_j ∂S/∂m_j scale_j L_jk + Σ_r ∂S/∂q_r ∂q_r/∂y_k
    d_s_dy = (d_s_dm * w.scale) @ w.loadings + _through_raters(d_s_dq, ctx.quality_slope)
    pull = prof["marginal"][..., None] * d_s_dy * ctx.theta * ctx.ability[..., None]
    own = ctx.motivation * w.value * ctx.theta * ctx.ability[..., None]
    ctx = events.at_profile(ctx, e, g, prof["event_chances"])  # items and veto events
    parts = (e, g, d_s_dm, d_s_dy * ctx.theta, pull, own)
    if due is None or due.all():
        return _choose(ctx, prof, *parts, held)
    idx = np.flatnonzero(due)
    small, sub = payoff.rows_of(ctx, prof, idx)
    rows = [take_departments(x, idx) for x in parts]
    e_sub, g_sub, pick_sub, gap_sub = _choose(
        small, sub, *rows, None if held is None else held.rows(idx)
    )
    e_out, g_out = e.copy(), g.copy()
    pick, gap = np.full(due.shape, -1, dtype=np.intp), np.zeros(due.shape)
    e_out.reshape(-1, e.shape[-1])[idx] = e_sub[0]
    g_out.reshape(-1, g.shape[-1])[idx] = g_sub[0]
    pick.reshape(-1)[idx] = pick_sub[0]
    gap.reshape(-1)[idx] = gap_sub[0]
    return e_out, g_out, pick, gap


def _through_raters(d_s_dq: NDArray, slope: NDArray) -> NDArray:
    """``Σ_r ∂S/∂q_r ∂q_r/∂y_k``: ``np.einsum("bdr,drk->bdk", d_s_dq, slope)`` (B, D, K) as one
    product a rater, added in einsum's order from +0 (the same numbers, signs of zero included;
    two to three times as fast for the blocks of a 66-department best response). With a single
    task einsum adds three or more raters in another order: einsum itself there."""
    if slope.shape[-1] == 1:
        return np.einsum("bdr,drk->bdk", d_s_dq, slope)
    out = np.zeros((*d_s_dq.shape[:-1], slope.shape[-1]))
    for r in range(d_s_dq.shape[-1]):
        out += d_s_dq[..., r, None] * slope[:, r]
    return out


def _choose(ctx: Context, prof: dict, e, g, d_s_dm, per_effort, pull, own, held):
    """:func:`_respond` once the profile's terms are known (of all departments, or of some as
    one replication: :func:`perfsim.world.payoff.rows_of`)."""
    project = functools.partial(_projected_solve, ctx.world.cost)
    effort = payoff.effort_choice(ctx, prof, e, per_effort, pull, own, sum_last(g), project)
    return payoff.choose(ctx, prof, g, d_s_dm, effort, held)


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
    diag, inverse = _inverse(np.ascontiguousarray(cost, dtype=float).tobytes(), k)
    if inverse is None:
        return np.maximum(rhs / diag, 0.0)
    e = matmul_t(rhs, inverse)
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
def _inverse(key: bytes, k: int) -> tuple[NDArray, NDArray | None]:
    """The diagonal of the cost matrix (``key``, k × k) and its inverse (None: diagonal), once."""
    cost = np.frombuffer(key).reshape(k, k)
    diag = np.diag(cost).copy()
    inverse = None if np.count_nonzero(cost - np.diag(diag)) == 0 else np.linalg.inv(cost)
    for x in (diag, inverse):  # shared by every caller
        if x is not None:
            x.setflags(write=False)
    return diag, inverse


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
