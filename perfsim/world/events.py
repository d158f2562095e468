"""Bonus and deduction points, veto events and force-majeure relief in a simulated year.

Events (``[world.events."<name>"]``, one per rule adjustment or veto column). With ``y_d`` the
department's output on the event's task (``θ_dt e_dt``, without the common shock) and ``G_d`` its
total gaming effort, event k happens in a year with probability

* a bonus item (加分, 创新创优), claimed:  ``q_k = 1 − (1 − p₀) exp(−r y)``;
* a deduction item (减分) or a veto column (一票否决), an incident:
  ``q_k = Λ(logit p₀ − r y + γ G)``, Λ the logistic function,

independently across items, departments and years. A bonus or deduction item then brings its
``points`` (at most the rule's cap; the rule's net cap applies to the realised points), a veto
column vetoes the grade (the veto grade's bonus, no pay per point, as the audit veto).

What departments anticipate (the best response, :mod:`perfsim.world.response`). Expected points
``E[P] = Σ_k s_k P_k q_k`` (s = +1 bonus, −1 deduction) shift the department's expected score and,
through the common-random-number totals, everybody's cut-offs; their variance ``Σ_k P_k² q_k(1−q_k)``
widens its own score noise σ_d. Not anticipated (approximations): the rule's net cap on the
points, the quota slot another department's veto frees, and, when gaming candidates are compared,
the points an effort change brings. The veto events join the audit
veto: a department is vetoed with ``P_v = 1 − (1 − P_audit(G)) Π_k (1 − q_k(G))``, and
:mod:`perfsim.world.payoff` weighs it exactly as the audit veto, ``U = (1 − P_v) R(S̄) + P_v W_v``.
Effort on an event's task therefore pays three ways, added to the first-order conditions at the
current profile (the iteration to the fixed point solves them jointly):

    ∂E[U]/∂e_t ∋ (1 − P_v) R′(S̄) Σ_k s_k P_k ∂q_k/∂e_t      (points)
                 + (1 − P_v) Σ_veto r_k q_k θ_t (R(S̄) − W_v)  (fewer vetoes; ∂P_v/∂e_t)

with ``∂q/∂e_t = θ_t r (1 − q)`` for a claim and ``−θ_t r q(1 − q)`` for an incident. Gaming raises
deduction incidents (score slope ``−Σ P_k γ_k q_k(1 − q_k)`` per unit, added to every gameable
indicator's slope in the gaming choice) and veto events (exactly, through ``P_v(G)``).

Closed form (``perfsim verify`` row V7E): one claimable item on a task of no other use, linear pay
β per point, cost ½ c e²/a, success ``1 − exp(−r θ e)``: the first-order condition
``c e / a = β P r θ exp(−r θ e)`` gives ``e* = W(a β P r² θ² / c) / (r θ)``, W the Lambert
function.

Force majeure (不可抗力予以调整, ``rule.targets.force_majeure``). The year's common shock ξ moves
indicator j by ``Δ_j = scale_j Σ_k L_jk ξ``. The rule nets ``α_d Δ_j`` out of the assessed value
(``m − α_d Δ``: for a target-based indicator, the same as moving the target by ``α_d Δ``):
``none`` α = 0; ``full`` α = 1; ``partial`` α = ``force_majeure_share``; ``discretionary`` only where
the shock lowered the score, and only for departments whose claim is granted, with probability
``min(1, grant + lobbying · G_d)`` (``world.relief_lobbying``: gaming departments lobby), α =
``force_majeure_share``. Relief is applied when the year is scored; the best response does not
anticipate it (its sampled scores carry no common shock).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit, logit

from ..fastreduce import sum_last, take_departments
from ..rules.pipeline import CompiledRule, evaluate
from ..scenario.schema import Scenario
from .model import CompiledWorld

BONUS, DEDUCTION, VETO = 1, -1, 0


@dataclass(frozen=True)
class CompiledEvents:
    """The world's events as arrays, one entry per event (``E``)."""

    names: tuple[str, ...]
    sign: NDArray[np.float64]  # +1 bonus item (claimed), −1 deduction item, 0 veto column
    column: NDArray[np.intp]  # index of the item among the rule's adjustments (−1: a veto)
    points: NDArray[np.float64]  # points of an item, capped by the rule (0 for a veto)
    p0: NDArray[np.float64]
    task: NDArray[np.intp]  # index of the task (−1: none)
    effect: NDArray[np.float64]  # r
    gaming: NDArray[np.float64]  # γ

    # derived once (the best response asks for them dozens of times an iteration)
    @cached_property
    def items(self) -> NDArray[np.bool_]:
        return self.sign != VETO

    @cached_property
    def vetoes(self) -> NDArray[np.bool_]:
        return self.sign == VETO

    @cached_property
    def claim(self) -> NDArray[np.bool_]:
        return self.sign == BONUS

    @cached_property
    def any_veto(self) -> bool:
        return bool(self.vetoes.any())

    @cached_property
    def veto_gaming(self) -> bool:
        """Whether gaming raises a veto event's chance."""
        return bool((self.gaming[self.vetoes] > 0).any())

    @cached_property
    def any_gaming(self) -> bool:
        return bool((self.gaming > 0).any())

    def task_matrix(self, per_event: NDArray, chosen: NDArray, n_tasks: int) -> NDArray:
        """(E, K): ``per_event[k]`` at (k, task of k) for the ``chosen`` events with a task, 0
        elsewhere; ``x @ task_matrix`` sums ``x_k per_event[k]`` per task (as adding them one
        by one: with one event per task every other product is an exact zero)."""
        key = (per_event.tobytes(), chosen.tobytes(), n_tasks)
        memo = self.__dict__.setdefault("_task_matrices", {})
        if key in memo:
            return memo[key]
        out = memo[key] = np.zeros((len(self.sign), n_tasks))
        for k in np.flatnonzero(chosen & (self.task >= 0)):
            out[k, self.task[k]] = per_event[k]
        return out


def compile_events(sc: Scenario, rule: CompiledRule, world: CompiledWorld) -> CompiledEvents | None:
    """The scenario's ``world.events`` as arrays (None without events)."""
    events = sc.world.events if sc.world is not None else {}
    if not events:
        return None
    names = tuple(events)
    sign, column, points = [], [], []
    for name, ev in events.items():
        item = sc.rule.adjustments.get(name)
        if item is None:
            sign.append(VETO)
            column.append(-1)
            points.append(0.0)
            continue
        sign.append(BONUS if item.kind == "bonus" else DEDUCTION)
        column.append(rule.adjustments.index(name))
        pts = item.cap if ev.points is None else ev.points
        points.append(min(pts, item.cap) if item.cap is not None else pts)
    tasks = list(world.tasks)
    return CompiledEvents(
        names=names,
        sign=np.array(sign, dtype=float),
        column=np.array(column, dtype=np.intp),
        points=np.array(points, dtype=float),
        p0=np.array([ev.probability for ev in events.values()], dtype=float),
        task=np.array([-1 if ev.task is None else tasks.index(ev.task) for ev in events.values()]),
        effect=np.array([ev.effect for ev in events.values()], dtype=float),
        gaming=np.array([ev.gaming for ev in events.values()], dtype=float),
    )


def probabilities(ev: CompiledEvents, theta: NDArray, effort: NDArray, gaming_total: NDArray):
    """Each event's chance ``q`` and its slopes in output on its task and in total gaming:
    ``(q, ∂q/∂y, ∂q/∂G)``, (B, D, E) each."""
    return chances(ev, theta, effort, gaming_total)[:3]


def chances(
    ev: CompiledEvents, theta: NDArray, effort: NDArray, gaming_total: NDArray, slopes: bool = True
):
    """:func:`probabilities` and the incidents' log-odds without their gaming term: what
    :func:`at_profile` keeps (computed once a profile: :func:`item_points` hands them on).
    ``slopes=False``: the chances ``q`` alone (what a year's draw needs), the rest None.

    Event by event, each with its own formula (a claim needs no logistic, an incident no
    exponential): the same numbers, element by element, as the formulas over all events at once."""
    rows = np.broadcast_shapes(theta.shape[:-1], effort.shape[:-1], np.shape(gaming_total))
    shape = (*rows, ev.p0.size)
    tasks = np.broadcast_shapes(theta.shape, effort.shape)  # (a task axis of 1 broadcasts)
    theta, effort = np.broadcast_to(theta, tasks), np.broadcast_to(effort, tasks)
    q = np.empty(shape)
    dq_dy, dq_dg, base = (np.empty(shape) for _ in range(3)) if slopes else (None, None, None)
    with np.errstate(divide="ignore"):
        logit_p0 = logit(ev.p0)
    for k, task in enumerate(ev.task):
        y = theta[..., task] * effort[..., task] if task >= 0 else 0.0  # output on its task
        r, p0 = ev.effect[k], ev.p0[k]
        if ev.claim[k]:  # claimed: 1 − (1 − p₀) e^{−r y}
            kept = np.exp(-r * y)
            q[..., k] = 1.0 - (1.0 - p0) * kept
            if slopes:
                dq_dy[..., k], dq_dg[..., k] = r * (1.0 - p0) * kept, 0.0
                base[..., k] = logit_p0[k] - r * y
            continue
        odds = logit_p0[k] - r * y  # an incident: Λ(logit p₀ − r y + γ G)
        incident = expit(odds + ev.gaming[k] * gaming_total)
        q[..., k] = incident
        if slopes:
            spread = incident * (1.0 - incident)
            dq_dy[..., k], dq_dg[..., k], base[..., k] = -r * spread, ev.gaming[k] * spread, odds
    return q, dq_dy, dq_dg, base


def has_veto(ctx) -> bool:
    """Whether the context's world has veto events."""
    return ctx.events is not None and ctx.events.any_veto


def gaming_raises_veto(ctx) -> bool:
    """Whether gaming raises a veto event's chance (its slope then depends on G)."""
    return ctx.events is not None and ctx.events.veto_gaming


def at_profile(ctx, effort: NDArray, gaming: NDArray, known: tuple | None = None):
    """The context with the events' chances at the profile (effort, gaming) (``ctx.event_state``:
    q, ∂q/∂y, ∂q/∂G, the logit of each incident without its gaming term, and a memo of the
    joint veto probability at the gaming totals asked for at this profile); ``known``: their
    :func:`chances` at this profile when the caller has them (:func:`item_points`)."""
    ev = ctx.events
    if ev is None:
        return ctx
    q, dq_dy, dq_dg, base = known or chances(ev, ctx.theta, effort, sum_last(gaming))
    return replace(ctx, event_state=(q, dq_dy, dq_dg, base, {}))


def state_rows(state: tuple | None, idx: NDArray) -> tuple | None:
    """The ``ctx.event_state`` of :func:`at_profile` for the departments ``idx``
    (:func:`perfsim.fastreduce.take_departments`), with a memo of its own."""
    if state is None:
        return None
    return (*(take_departments(x, idx) for x in state[:4]), {})


def with_points(ctx, totals: NDArray, effort: NDArray, gaming: NDArray):
    """The sampled totals (S, B, D) plus each department's expected item points, the points'
    variance (B, D) (0 without items), and the events' :func:`chances` at this profile (None
    without items: not computed)."""
    mean, var, known = item_points(ctx, effort, gaming)
    return (totals if mean is None else totals + mean[None]), var, known


def item_points(ctx, effort: NDArray, gaming: NDArray):
    """Each department's expected item points (B, D) (None without items), their variance (0
    without items), and the events' :func:`chances` at this profile (None without items)."""
    ev = ctx.events
    if ev is None or not ev.items.any():
        return None, 0.0, None
    known = chances(ev, ctx.theta, effort, sum_last(gaming))
    q = known[0]
    mean = sum_last(ev.sign * ev.points * q)
    var = sum_last(ev.points**2 * q * (1.0 - q))
    return mean, var, known


def veto_probability(ctx, gaming_total: NDArray, p_audit: NDArray, dp_audit: NDArray, base=None):
    """``P_v(G) = 1 − (1 − P_audit(G)) Π_k (1 − q_k(G))`` over the veto events, and its slope in
    G, at the effort of ``ctx.event_state`` (the audit veto alone without veto events). At the
    profile's own log-odds (``base`` None) the result is remembered per (G, P_audit, P_audit′):
    the gaming choice asks for the same candidates' totals several times an iteration."""
    if not has_veto(ctx) or ctx.event_state is None:
        return p_audit, dp_audit
    if base is not None:
        return _joint_veto(ctx.events, gaming_total, p_audit, dp_audit, base)
    memo = ctx.event_state[4]
    key = tuple(_key(np.asarray(x)) for x in (gaming_total, p_audit, dp_audit))
    if key not in memo:
        memo[key] = _joint_veto(ctx.events, gaming_total, p_audit, dp_audit, ctx.event_state[3])
    return memo[key]


def _key(x: NDArray) -> tuple:
    return x.shape, x.dtype.str, x.tobytes()


def _joint_veto(ev: CompiledEvents, gaming_total, p_audit, dp_audit, base):
    """:func:`veto_probability` computed."""
    survive, slope = 1.0 - p_audit, -dp_audit  # Π (1 − ·) and its derivative in G
    for k in np.flatnonzero(ev.vetoes):
        q = expit(base[..., k] + ev.gaming[k] * gaming_total)
        dq = ev.gaming[k] * q * (1.0 - q)
        slope = slope * (1.0 - q) - survive * dq
        survive = survive * (1.0 - q)
    return 1.0 - survive, -slope


def effort_terms(ctx, prof: dict, total: NDArray, pull: NDArray, own: NDArray, p_v=None):
    """The first-order conditions' terms of the module docstring at total gaming ``total`` (the
    profile's, or a gaming candidate's): the points' pull (scaled by ``1 − P_v`` with the rest of
    the reward) and the veto avoidance (added to ``own``); ``p_v``: the veto probability at
    ``total`` (audit and events), when the caller has it."""
    ev = ctx.events
    if ev is None or ctx.event_state is None:
        return pull, own
    q, dq_dy, _, base, _ = ctx.event_state
    if ev.any_gaming:  # incidents at this gaming (claims do not depend on it), one at a time
        shape = (*np.broadcast_shapes(base.shape[:-1], np.shape(total)), q.shape[-1])
        q, dq_dy = np.array(np.broadcast_to(q, shape)), np.array(np.broadcast_to(dq_dy, shape))
        for k in np.flatnonzero(~ev.claim):
            incident = expit(base[..., k] + ev.gaming[k] * total)
            q[..., k] = incident
            dq_dy[..., k] = -ev.effect[k] * incident * (1.0 - incident)
    scale = ctx.ability[..., None]
    n_tasks = pull.shape[-1]
    gain = _per_task(dq_dy, ev.task_matrix(ev.sign * ev.points, ev.items, n_tasks))  # ∂E[P]/∂y_t
    pull = pull + prof["marginal"][..., None] * gain * ctx.theta * scale
    if has_veto(ctx):
        if p_v is None:
            p_v, _ = veto_probability(ctx, total, *_audit_veto(ctx, total))
        loss = prof["reward"] - ctx.rule.reward_table[ctx.rule.veto_grade, 0]
        # −∂P_v/∂y_t / (1 − P_v) = Σ r_k q_k
        avoid = _per_task(q, ev.task_matrix(ev.effect, ev.vetoes, n_tasks))
        own = own + ((1.0 - p_v) * loss)[..., None] * avoid * ctx.theta * scale
    return pull, own


def _per_task(x: NDArray, matrix: NDArray) -> NDArray:
    """``x @ matrix`` over the last axis as one product (no batched small products)."""
    return (x.reshape(-1, x.shape[-1]) @ matrix).reshape(*x.shape[:-1], matrix.shape[-1])


def _audit_veto(ctx, gaming_total: NDArray) -> tuple[NDArray, NDArray]:
    """The audit veto's ``p · P_det(G)`` and slope (zeros without one)."""
    if not ctx.audit.veto:
        zero = np.zeros_like(gaming_total)
        return zero, zero
    rate = ctx.audit.detection_rate
    if rate is None:
        return ctx.audit.probability * (gaming_total > 1e-12), np.zeros_like(gaming_total)
    e = np.exp(-rate * gaming_total)
    return ctx.audit.probability * (1.0 - e), ctx.audit.probability * rate * e


def deduction_slope(ctx) -> NDArray | float:
    """Expected deduction points per unit of total gaming at the profile, ``Σ P_k ∂q_k/∂G``."""
    ev = ctx.events
    if ev is None or ctx.event_state is None or not (ev.sign == DEDUCTION).any():
        return 0.0
    return sum_last(np.where(ev.sign == DEDUCTION, ev.points, 0.0) * ctx.event_state[2])


def gaming_slope(ctx, a: NDArray, gameable: NDArray) -> NDArray:
    """Score points per unit of gaming, less the expected deduction points gaming brings."""
    ev = ctx.events
    if ev is None or ctx.event_state is None or not (ev.sign == DEDUCTION).any():
        return a
    dq_dg = ctx.event_state[2]
    loss = sum_last(np.where(ev.sign == DEDUCTION, ev.points, 0.0) * dq_dg)  # (B, D)
    return np.where(gameable, a - loss[..., None], a)


def draw(ev: CompiledEvents | None, n_items: int, rng, theta, effort, gaming):
    """One year's events: the item points, ``(B, D, n_items)`` (None without items), and the
    veto events, ``(B, D)`` bool (None without veto events)."""
    if ev is None:
        return None, None
    q = chances(ev, theta, effort, gaming.sum(-1), slopes=False)[0]
    happened = rng.random(q.shape) < q
    points = None
    if ev.items.any():
        points = np.zeros((*q.shape[:-1], n_items))
        for k in np.flatnonzero(ev.items):
            points[..., ev.column[k]] += happened[..., k] * ev.points[k]
    veto = happened[..., ev.vetoes].any(-1) if ev.vetoes.any() else None
    return points, veto


def shock_effect(world: CompiledWorld, shock: NDArray) -> NDArray:
    """``Δ_j = scale_j Σ_k L_jk ξ``: what the common shock ξ (B, 1, 1) did to each indicator."""
    return shock * (world.scale * world.loadings.sum(-1))


def relief(sc: Scenario, rule: CompiledRule, delta: NDArray, gaming: NDArray, rng) -> NDArray:
    """``α_d Δ_j``, the part of the shock the rule nets out of each department's indicators
    (B, D, J) (module docstring)."""
    t, shape = sc.rule.targets, gaming.shape
    if t.force_majeure == "none":
        return np.zeros(shape)
    if t.force_majeure == "full":
        return np.broadcast_to(delta, shape)
    if t.force_majeure == "partial":
        return np.broadcast_to(t.force_majeure_share * delta, shape)
    adverse = np.where(rule.benefit, delta < 0, delta > 0)
    chance = np.minimum(1.0, t.force_majeure_grant + sc.world.relief_lobbying * gaming.sum(-1))
    granted = rng.random(chance.shape) < chance
    return np.where(adverse & granted[..., None], t.force_majeure_share * delta, 0.0)


def shock_grades(model, ev, measured, shock, args: dict, points, veto, final: bool):
    """The metric ``shock_grades`` (final period, with a common shock; None otherwise): per
    replication, the share of departments whose grade differs from the grade of their indicators
    with the whole shock netted out (the same ratings, targets, points and vetoes)."""
    if not final or not model.scenario.world.common_shock:
        return None
    fair = measured - shock_effect(model.world, shock)
    other = evaluate(model.rule, fair, **args, adjustments=points, veto=veto)
    return (other.grade != ev.grade).mean(axis=1)


def evaluate_year(model, ctx, rng, year: tuple, veto, args: dict, final: bool):
    """The engine's hook: the year's evaluation with its events and relief, the veto (the audit's
    joined by the events) and the metric ``shock_grades`` (None but in the final period with a
    shock). ``year``: effort, gaming, measured indicators and the common shock; ``args``: the
    rest of :func:`perfsim.rules.pipeline.evaluate`'s arguments."""
    effort, gaming, measured, shock = year
    netted, points, veto = realise(model, ctx, rng, effort, gaming, measured, shock, veto)
    ev = evaluate(model.rule, netted, **args, adjustments=points, veto=veto)
    return ev, veto, shock_grades(model, ev, measured, shock, args, points, veto, final)


def realise(model, ctx, rng, effort, gaming, measured, shock, veto):
    """A year's events and relief (the engine's hook): the indicators the rule assesses (less the
    relief), the item points (None without items) and the veto (the audit's ``veto``, or None,
    joined by the veto events)."""
    sc, c, w = model.scenario, model.rule, model.world
    points, event_veto = draw(ctx.events, len(c.adjustments), rng, ctx.theta, effort, gaming)
    if event_veto is not None:
        veto = event_veto if veto is None else veto | event_veto
    netted = measured
    if sc.world.common_shock and sc.rule.targets.force_majeure != "none":
        netted = measured - relief(sc, c, shock_effect(w, shock), gaming, rng)
    return netted, points, veto
