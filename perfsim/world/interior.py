"""Candidate 2 of the gaming choice (:mod:`perfsim.world.payoff`): the interior point of the
first-order conditions, for all departments at once (Newton steps with the kinks of the reported
indicators, run row by row in a compiled loop (:mod:`perfsim.world.kernels`) and tested against
their numpy formulation :func:`joint_root_reference`; a safeguarded fallback; or damped sweeps
when the score is linear in gaming)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from ..fastreduce import sum_last
from . import events
from .audits import sanction, veto_probability, vetoes
from .context import Context
from .kinks import Kinks, lower_matters, own_level_root, safeguarded_newton


def interior(ctx: Context, prof: dict, g0: NDArray, a: NDArray, sweeps: int = 12) -> NDArray:
    """Candidate 2: the first-order conditions, with the veto and sanction slopes at the candidate's
    own G > 0 (without a detection rate the constants of G > 0, P_det = 1: slopes p φ and 0) and,
    with the profile's :class:`Kinks`, the marginal score at the candidate's own indicator level.
    With kinks the conditions are solved jointly by Newton steps from the current gaming
    (:func:`_joint_root`) and, for the departments where those do not settle, by a safeguarded
    Newton method in total gaming around a safeguarded root per indicator (:func:`_nested_root`).
    Without kinks (a score linear in gaming) by ``sweeps`` damped sweeps in G from the current
    gaming (the score and R′ stay those of the profile)."""
    if prof.get("kinks") is None:
        return _interior_sweeps(ctx, prof, g0, a, sweeps)
    terms = {key: prof[key] for key in ("marginal", "reward", "kinks")}
    if events.has_veto(ctx) and ctx.event_state is not None:  # the veto events' log-odds, per row
        terms["event_base"] = ctx.event_state[3]
    rows = _rows(terms, g0)
    g, ok = _joint_root(ctx, rows)
    if not ok.all():
        g[~ok] = _nested_root(ctx, _rows(rows, keep=~ok))
    return g.reshape(g0.shape)


def _gaming_terms(ctx: Context, prof: dict) -> tuple[NDArray, NDArray, NDArray]:
    """Indicator units per unit of gaming k, 1/c (0 where not gameable), and the bound
    ``max(0, R′ k |s|)/c`` of the interior point, for the rows of :func:`_rows`."""
    w = ctx.world
    gameable = w.gameability > 0
    inverse_cost = np.where(gameable, 1.0 / np.where(gameable, w.gaming_cost, 1.0), 0.0)
    k = np.where(gameable, w.scale * w.gameability, 0.0)
    high = np.maximum(prof["marginal"][:, None] * np.abs(prof["kinks"].slope) * k, 0.0)
    return k, inverse_cost, high * inverse_cost


def _coupling(ctx: Context, prof: dict, total: NDArray) -> tuple[NDArray, ...]:
    """The terms of the first-order conditions that depend on total gaming G, and their slopes in
    G: the reward's weight ``A = 1 − P_v(G)`` and the marginal loss ``B = ∂E[sanction]/∂G +
    ∂P_v/∂G (R(S̄) − W_v)``; (A, A′, B, B′), (B, D) each. Without a detection rate they are the
    constants of G > 0. With veto events (:mod:`perfsim.world.events`) ``P_v`` is the joint veto
    probability, its second derivative a finite difference."""
    if not events.has_veto(ctx):
        return _audit_coupling(ctx, prof, total, ctx.audit.veto)
    _, _, loss, d_loss = _audit_coupling(ctx, prof, total, False)  # the sanctions alone
    base = prof.get("event_base")
    p_v, dp_v = veto_probability(ctx, total, base)
    step = 1e-6
    d2p_v = (veto_probability(ctx, total + step, base)[1] - dp_v) / step
    stake = prof["reward"] - ctx.rule.reward_table[ctx.rule.veto_grade, 0]
    return 1.0 - p_v, -dp_v, loss + dp_v * stake, d_loss + d2p_v * stake


def _audit_coupling(ctx: Context, prof: dict, total: NDArray, veto: bool) -> tuple[NDArray, ...]:
    """:func:`_coupling` of the audits alone (their veto when ``veto``)."""
    audit = ctx.audit
    p, fine, penalty, rate = (
        audit.probability,
        audit.fine_per_unit,
        audit.penalty,
        audit.detection_rate,
    )
    if rate is None:
        zero = np.zeros(total.shape)
        weight = 1.0 - (p if veto else 0.0) + zero
        return weight, zero, p * fine + zero, zero
    e = np.exp(-rate * total)
    found, d_found, d2_found = 1.0 - e, rate * e, -rate * rate * e
    loss = p * (d_found * (penalty + fine * total) + found * fine)
    d_loss = p * (d2_found * (penalty + fine * total) + 2.0 * d_found * fine)
    if not veto:
        return np.ones(total.shape), np.zeros(total.shape), loss, d_loss
    stake = prof["reward"] - ctx.rule.reward_table[ctx.rule.veto_grade, 0]
    return 1.0 - p * found, -p * d_found, loss + p * d_found * stake, d_loss + p * d2_found * stake


def _joint_root(ctx: Context, prof: dict, tol: float = 1e-10, steps: int = 12):
    """:func:`joint_root_reference` by the compiled loop of :func:`perfsim.world.kernels.joint_root`
    (the same steps, row by row; the reference where the kernel does not apply: veto events
    without their log-odds, or a measurement noise of zero). Returns the point and where it
    converged."""
    from . import kernels  # (numba: imported by the first best response with kinks)

    audit = ctx.audit
    events_on = events.has_veto(ctx)
    kinks = prof["kinks"]
    if (events_on and "event_base" not in prof) or not (np.asarray(kinks.sd) > 0).all():
        return joint_root_reference(ctx, prof, tol, steps)
    k, inverse_cost, top = _gaming_terms(ctx, prof)
    lo, hi = np.asarray(kinks.clip_lo, dtype=float), np.asarray(kinks.clip_hi, dtype=float)
    lower = _lower_counts(kinks, k, top, prof["g0"])
    n_ind = prof["g0"].shape[-1]
    bounds = np.stack([np.broadcast_to(np.asarray(v, dtype=float), (n_ind,))
                       for v in (lo, hi, kinks.sd, kinks.ceiling)])  # fmt: skip
    flags = (np.isfinite(hi).any(), np.array_equal(hi, kinks.ceiling), lower, events_on)
    rate = np.nan if audit.detection_rate is None else audit.detection_rate
    settings = (audit.probability, audit.fine_per_unit, audit.penalty, rate, float(audit.veto))
    stake = prof["reward"] - ctx.rule.reward_table[ctx.rule.veto_grade, 0]
    if events_on:
        ev = (ctx.events.vetoes, ctx.events.gaming, prof["event_base"])
    else:
        ev = (np.zeros(0, dtype=bool), np.zeros(0), np.zeros((len(stake), 0)))
    return kernels.joint_root(
        prof["g0"], kinks.slope, kinks.m_bar, prof["marginal"], stake, top, k, inverse_cost,
        bounds, flags, settings, ev, tol, steps,
    )  # fmt: skip


def _lower_counts(kinks: Kinks, k: NDArray, top: NDArray, g0: NDArray) -> bool:
    """Whether the clip's lower bound is within 12 σ of a level the steps can reach (gaming in
    ``[0, top]`` from ``g0``: the lowest levels), in either layout of :func:`lower_matters`."""
    reach = kinks.m_bar + np.minimum(k * -g0, k * (top - g0))
    return bool(np.isfinite(kinks.clip_lo).any() and lower_matters(kinks.clip_lo, reach, kinks.sd))


def joint_root_reference(ctx: Context, prof: dict, tol: float = 1e-10, steps: int = 12):
    """The interior point with kinks: the root of ``h_j(g) = max(0, A(G) R′ k_j s_j(m_j) − B(G))
    / c_j − g_j`` over all indicators at once (``m_j = m̄_j + k_j (g_j − g⁰_j)``, ``k_j`` indicator
    units per unit of gaming, ``s_j`` :meth:`Kinks.marginal`, A and B :func:`_coupling`), for the
    rows of :func:`_rows`. Its Jacobian is diagonal plus the rank one of the coupling through G,
    so a Newton step is Sherman–Morrison; steps start from the current gaming g⁰ (the previous
    iterate of the best response: near its fixed point a step or two suffice), are kept in
    ``[0, max(0, R′ k |s|)/c]``, and go on for the rows that have not settled only. Newton steps
    can cycle around the kinks (and the coupling through G can be strong, so no bracket per
    indicator holds): a row whose steps have not settled within ``steps`` is reported as not
    converged. Returns the point and where it converged.

    The steps run on the rows *indicator-major* (:func:`_by_indicator`: a handful of long rows
    instead of many rows of a handful), where numpy's per-indicator and per-row broadcasts run
    several times faster; the numbers are the same."""
    k, inverse_cost, top = _gaming_terms(ctx, prof)
    k, inverse_cost, top = k[:, None], inverse_cost[:, None], np.ascontiguousarray(top.T)
    sub = _by_indicator(prof)
    kinks = sub["kinks"]  # a lower clip bound 12 σ below every level the steps can reach (g in
    # [0, top]) is left out at every step anyway: drop it once instead of testing it at each
    if np.isfinite(kinks.clip_lo).any() and not _lower_counts(kinks, k, top, sub["g0"]):
        sub["kinks"] = replace(kinks, clip_lo=np.full(kinks.clip_lo.shape, -np.inf))
    g = x = np.clip(sub["g0"], 0.0, top)
    left = np.arange(g.shape[1])  # the rows still stepping
    for _ in range(steps):
        new, _, _, excess = _newton_step(ctx, sub, x, k, inverse_cost, axis=0)
        new = np.clip(new, 0.0, top)
        bound = tol * (1.0 + np.abs(x))  # a step clipped at 0 is no root: the excess must vanish
        moving = ((np.abs(new - x) > bound) | (np.abs(excess) > 1e3 * bound)).any(0)
        g[:, left] = new
        if moving.all():
            x = new
            continue
        keep = np.flatnonzero(moving)  # (indices: faster to take than a mask, the same rows)
        left = left[keep]
        if not len(left):
            break
        sub, x, top = _by_indicator(sub, keep=keep), new[:, keep], top[:, keep]
    converged = np.ones(g.shape[1], dtype=bool)
    converged[left] = False
    return np.ascontiguousarray(g.T), converged & np.isfinite(g).all(0)


def _by_indicator(prof: dict, keep: NDArray | None = None) -> dict:
    """The terms of :func:`_rows` (rows, indicator) indicator-major — the current gaming and the
    kinks' arrays (indicator, rows), their per-indicator bounds (indicator, 1) — or the rows
    ``keep`` of such terms."""
    if keep is not None:
        out = {key: prof[key][keep] for key in ("marginal", "reward")}
        out["g0"] = prof["g0"][:, keep]
        kinks = prof["kinks"]
        out["kinks"] = replace(kinks, slope=kinks.slope[:, keep], m_bar=kinks.m_bar[:, keep])
        if "event_base" in prof:
            out["event_base"] = prof["event_base"][keep]
        return out
    out = {key: prof[key] for key in ("marginal", "reward") if key in prof}
    out["g0"] = np.ascontiguousarray(prof["g0"].T)
    kinks = prof["kinks"]
    out["kinks"] = Kinks(
        np.ascontiguousarray(kinks.slope.T),
        *(np.asarray(v)[:, None] for v in (kinks.clip_lo, kinks.clip_hi)),
        np.ascontiguousarray(kinks.m_bar.T),
        *(np.asarray(v)[:, None] for v in (kinks.sd, kinks.ceiling)),
    )
    if "event_base" in prof:
        out["event_base"] = prof["event_base"]
    return out


def _nested_root(ctx: Context, prof: dict, tol: float = 1e-11) -> NDArray:
    """The interior point of :func:`_joint_root` for its rows that did not settle, by a safeguarded
    Newton method (:func:`perfsim.world.kinks.safeguarded_newton`) in total gaming G on
    ``Ψ(G) = Σ_j g_j(G) − G``, with ``g_j(G)`` each indicator's root at that G
    (:func:`perfsim.world.kinks.own_level_root`, warm-started from the last one) and
    ``Ψ′ = Σ_j dg_j/dG − 1`` by implicit differentiation. ``Ψ(0) ≥ 0 ≥ Ψ(Σ_j bound_j)``, so the
    bracket holds. Where Ψ has several roots (a detection chance that rises steeply deters the
    first units of gaming), the search starts from the current total and does not jump to G = 0
    (no gaming is a candidate of its own). Without a detection rate A and B do not depend on G:
    one root per indicator."""
    k, inverse_cost, high = _gaming_terms(ctx, prof)
    kinks, r_prime, g0 = prof["kinks"], prof["marginal"][:, None], prof["g0"]
    last = [np.clip(g0, 0.0, high)]

    def roots(total):
        weight, _, loss, _ = (t[:, None] for t in _coupling(ctx, prof, total))
        g = own_level_root(kinks, g0, weight * r_prime, -loss, inverse_cost, k, start=last[0])
        last[0] = g
        return g

    if ctx.audit.detection_rate is None and not events.gaming_raises_veto(ctx):
        return roots(np.ones(len(g0)))

    def psi(total):
        g = roots(total)
        _, diag, cross, _ = _newton_step(ctx, prof, g, k, inverse_cost, total)
        slope = sum_last(-cross / diag) - 1.0
        value = sum_last(g) - total
        return value, -value / np.where(slope < 0, slope, np.nan)

    top = sum_last(high)
    start = np.clip(sum_last(last[0]), 0.0, top)
    safeguarded_newton(psi, start, np.zeros_like(top), top, tol, to_zero=False)
    return last[0]


def _rows(prof: dict, g0: NDArray | None = None, keep: NDArray | None = None) -> dict:
    """The profile's terms of the interior point (R′, R, kinks) and the current gaming ``g0`` with
    the departments in one axis (rows), or the rows ``keep`` (a boolean mask or indices) of such
    terms."""
    kinks = prof["kinks"]
    if keep is None:
        n_ind = g0.shape[-1]
        out = {key: prof[key].reshape(-1) for key in ("marginal", "reward")}
        out["g0"] = g0.reshape(-1, n_ind)
        slope = np.broadcast_to(kinks.slope, g0.shape).reshape(-1, n_ind)
        m_bar = np.broadcast_to(kinks.m_bar, g0.shape).reshape(-1, n_ind)
    else:
        out = {key: prof[key][keep] for key in ("marginal", "reward", "g0")}
        slope, m_bar = kinks.slope[keep], kinks.m_bar[keep]
    out["kinks"] = Kinks(slope, kinks.clip_lo, kinks.clip_hi, m_bar, kinks.sd, kinks.ceiling)
    if "event_base" in prof:
        base = prof["event_base"]
        out["event_base"] = base.reshape(-1, base.shape[-1]) if keep is None else base[keep]
    return out


def _newton_step(ctx: Context, prof: dict, g: NDArray, k, inverse_cost, total=None, axis=-1):
    """One Newton step of :func:`_joint_root` from ``g`` (Sherman–Morrison for the rank one), and
    the Jacobian's diagonal ``∂h_j/∂g_j``, the coupling ``∂h_j/∂G`` (with G = ``total``, Σ g
    without one) and ``h`` itself. ``axis``: the indicators' axis of ``g`` (−1, or 0 for the
    indicator-major rows of :func:`_by_indicator`, with ``k`` and ``inverse_cost`` columns)."""
    each = (lambda t: t[..., None]) if axis == -1 else (lambda t: t[None])  # a value per row
    kinks, r_prime = prof["kinks"], each(prof["marginal"])
    total = _over_indicators(g, axis) if total is None else total
    weight, d_weight, loss, d_loss = (each(t) for t in _coupling(ctx, prof, total))
    marg, d_marg = kinks.marginal_and_slope(kinks.m_bar + k * (g - prof["g0"]))
    pull = weight * r_prime * k
    rhs = pull * marg - loss
    pos = (rhs > 0) & (inverse_cost > 0)
    h = np.where(pos, rhs, 0.0) * inverse_cost - g
    diag = np.where(pos, pull * k * d_marg * inverse_cost, 0.0) - 1.0
    cross = np.where(pos, (d_weight * r_prime * k * marg - d_loss) * inverse_cost, 0.0)
    u, v = h / diag, cross / diag
    shift = _over_indicators(u, axis) / (1.0 + _over_indicators(v, axis))
    return g - u + v * each(shift), diag, cross, h


def _over_indicators(x: NDArray, axis: int) -> NDArray:
    """The sum over the indicators' axis (−1 or 0), the terms added in order either way."""
    if axis == -1:
        return sum_last(x)
    out = x[0].copy()
    for row in x[1:]:
        out += row
    return out


def _interior_sweeps(ctx: Context, prof: dict, g0: NDArray, a: NDArray, sweeps: int) -> NDArray:
    """The first-order conditions of a score linear in gaming (no kinks) by damped sweeps in G
    from the current gaming."""
    w = ctx.world
    veto_reward = ctx.prizes[ctx.rule.veto_grade]
    smooth = ctx.audit.detection_rate is not None or events.gaming_raises_veto(ctx)
    gameable = w.gameability > 0
    inverse_cost = np.where(gameable, 1.0 / np.where(gameable, w.gaming_cost, 1.0), 0.0)
    pull = prof["marginal"][..., None] * a  # (1 − P_v) R′(S̄) a_j without a veto
    g = g0
    for sweep in range(sweeps if smooth else 1):
        total = sum_last(g) if smooth else np.ones(g0.shape[:-1])
        _, s_slope = sanction(ctx, total)
        if vetoes(ctx):
            p_v, dp_v = veto_probability(ctx, total)
            gain = (1 - p_v)[..., None] * pull
            gain -= (s_slope + dp_v * (prof["reward"] - veto_reward))[..., None]
        else:
            gain = pull - s_slope[..., None]
        new = np.maximum(gain, 0.0, out=gain)
        new *= inverse_cost
        g = new if sweep == 0 or not smooth else 0.5 * (g + new)
    return g
