"""The interior gaming point with the marginal score at the candidate's own indicator level
(perfsim.world.payoff): the safeguarded Newton root of one indicator's first-order condition
against a bisection written here (the engine's former solver, kept only as this reference), and
the joint Newton root of the conditions coupled through total gaming against damped sweeps of
bisections run to their fixed point, over sweeps of the parameters (ceilings, clips, noise,
audits, vetoes)."""

from __future__ import annotations

import dataclasses
import itertools
from types import SimpleNamespace

import numpy as np
import pytest

from perfsim.world import audits, interior
from perfsim.world.kinks import Kinks, own_level_root


def _bisect(kinks, g0, multiplier, offset, inverse_cost, per_gaming, steps: int = 80):
    """The root of ``c g = max(0, M s(m̄ + k (g − g⁰)) k + offset)`` by bisection on ``[0, bound]``."""

    def excess(g):
        m = kinks.m_bar + per_gaming * (g - g0)
        rhs = multiplier * kinks.marginal(m) * per_gaming + offset
        return np.maximum(rhs, 0.0) * inverse_cost - g

    high = np.maximum(multiplier * np.abs(kinks.slope) * per_gaming + offset, 0.0) * inverse_cost
    low = np.zeros_like(high)
    for _ in range(steps):
        mid = 0.5 * (low + high)
        up = excess(mid) > 0
        low, high = np.where(up, mid, low), np.where(up, high, mid)
    return 0.5 * (low + high), excess


SD = (0.2, 1.0, 5.0)
CLIPS = ((-np.inf, np.inf), (60.0, 100.0), (95.0, 99.0))


@pytest.mark.parametrize("sd, clip", list(itertools.product(SD, CLIPS)))
def test_own_level_root_matches_bisection(sd, clip):
    """Over a grid of the profile's distance to the ceiling (100), the free slope, the reward's
    multiplier, the sanction offset, the gaming cost and yield, the current gaming and the warm
    start, the Newton root equals the bisection root to 1e-6 wherever the first-order condition
    has one root (checked on a fine grid; most of the grid), and is a root everywhere."""
    grid = np.array(
        list(
            itertools.product(
                (-6 * sd, -1.5 * sd, -0.3 * sd, 0.0, 0.8 * sd, 3 * sd),  # m̄ − ceiling
                (0.4, 2.0, 9.0),  # free slope
                (0.3, 1.5),  # multiplier (1 − P_v) R′
                (-0.6, 0.0, 0.3),  # offset
                (1 / 0.005, 1 / 0.03, 1 / 0.5),  # 1 / gaming cost
                (0.5, 2.5),  # indicator units per unit of gaming
                (0.0, 1.5),  # current gaming
                (0.0, 1.0, 3.0),  # warm start: none (0), the bound's fraction
            )
        )
    )
    n = len(grid)
    col = [grid[:, i].reshape(n, 1, 1) for i in range(grid.shape[1])]
    dist, slope, mult, offset, inv_cost, per_gaming, g0, start_frac = col
    kinks = Kinks(
        slope,
        np.array([clip[0]]),
        np.array([clip[1]]),
        100.0 + dist,
        np.array([sd]),
        np.array([100.0]),
    )
    reference, excess = _bisect(kinks, g0, mult, offset, inv_cost, per_gaming)
    high = np.maximum(mult * slope * per_gaming + offset, 0.0) * inv_cost
    start = np.where(start_frac == 0, g0, start_frac / 3.0 * high)
    root = own_level_root(kinks, g0, mult, offset, inv_cost, per_gaming, start=start)
    # a root everywhere (the excess changes sign within 1e-7 of it, or is 0 at 0)
    scale = 1e-7 * (1 + root)
    assert ((excess(root) == 0) | (excess(root - scale) * excess(root + scale) <= 0)).all()
    # one root: a single sign change of the excess on a fine grid of [0, bound] (below the clip's
    # lower end the excess may rise again: a second root, where either is a first-order point)
    fractions = np.union1d(np.linspace(0.0, 1.0, 401), np.geomspace(1e-8, 1.0, 400))
    values = np.stack([excess(high * t) for t in fractions], -1)
    unique = (np.diff(np.sign(values), axis=-1) != 0).sum(-1) <= 1
    assert unique.mean() > 0.8
    np.testing.assert_allclose(root[unique], reference[unique], atol=1e-6, rtol=1e-6)


def _ctx(probability, rate, fine, penalty, veto, n_ind):
    audit = SimpleNamespace(
        probability=probability, detection_rate=rate, fine_per_unit=fine, penalty=penalty, veto=veto
    )
    rule = SimpleNamespace(reward_table=np.array([[2.0], [0.5], [0.0]]), veto_grade=2)
    world = SimpleNamespace(
        gameability=np.array([1.0, 0.5, 0.0, 2.0][:n_ind]),
        scale=np.full(n_ind, 2.5),
        gaming_cost=np.array([0.03, 0.02, 0.03, 0.1][:n_ind]),
    )
    return SimpleNamespace(audit=audit, rule=rule, world=world, events=None, event_state=None)


def _at_total(ctx, prof, g0, total, root=own_level_root):
    """Each indicator's root of its first-order condition with total gaming fixed at ``total``."""
    w, kinks = ctx.world, prof["kinks"]
    gameable = w.gameability > 0
    inverse_cost = np.where(gameable, 1.0 / w.gaming_cost, 0.0)
    k = np.where(gameable, w.scale * w.gameability, 0.0)
    veto_reward = ctx.rule.reward_table[ctx.rule.veto_grade, 0]
    _, loss = audits.sanction(ctx, total)
    p_v, dp_v = audits.veto_probability(ctx, total)
    loss = loss + dp_v * (prof["reward"] - veto_reward)
    mult = ((1 - p_v) * prof["marginal"])[..., None]
    out = root(kinks, g0, mult, -loss[..., None], inverse_cost, k)
    return out[0] if isinstance(out, tuple) else out


def _sweeps_reference(ctx, prof, g0, sweeps: int = 300):
    """Damped sweeps in total gaming, each indicator's condition solved by bisection."""
    g = g0
    for _ in range(sweeps):
        total = g.sum(-1) if ctx.audit.detection_rate is not None else np.ones(g.shape[:-1])
        g_next = 0.5 * (g + _at_total(ctx, prof, g0, total, root=_bisect))
        change = np.abs(g_next - g).max(-1)
        g = g_next
    return g, change


def _one_fixed_point(ctx, prof, g0, top):
    """Where ``Ψ(G) = Σ_j g_j(G) − G`` changes sign once on a grid of [0, top] and is positive
    at 0 (several first-order points otherwise: any is one)."""
    if ctx.audit.detection_rate is None:
        return np.ones(top.shape, dtype=bool)
    grid = [top * t for t in np.union1d(np.linspace(0.0, 1.0, 81), np.geomspace(1e-4, 1.0, 60))]
    psi = np.stack([_at_total(ctx, prof, g0, G).sum(-1) - G for G in grid], -1)
    return ((np.diff(np.sign(psi), axis=-1) != 0).sum(-1) == 1) & (psi[..., 0] > 1e-9)


@pytest.mark.parametrize(
    "probability, rate, fine, penalty, veto",
    [
        (0.1, 1.0, 0.1, 0.01, False),  # Hangzhou's spot checks
        (0.4, 1.0, 0.1, 0.01, False),
        (0.3, 0.3, 0.5, 0.2, False),
        (0.2, 3.0, 0.0, 0.5, True),
        (0.5, None, 0.2, 0.1, False),
        (0.25, None, 0.1, 0.0, True),
        (0.0, 1.0, 0.0, 0.0, False),  # no audits
    ],
)
def test_interior_point_solves_the_coupled_first_order_conditions(
    probability, rate, fine, penalty, veto
):
    """The joint Newton root (interior._joint_root) equals the fixed point of damped sweeps of
    bisections (compared where those have settled and the point is the only one) to 1e-6, over departments spread
    around the ceiling, for audits with and without a detection rate, fines, penalties and vetoes;
    the joint Newton steps settle at once from the point itself."""
    rng = np.random.default_rng(5)
    n_ind, shape = 4, (12, 10)
    ctx = _ctx(probability, rate, fine, penalty, veto, n_ind)
    m_bar = 100.0 + rng.uniform(-4, 3, (*shape, n_ind))
    kinks = Kinks(
        rng.uniform(0.2, 3.0, (*shape, n_ind)),
        np.full(n_ind, 60.0),
        np.full(n_ind, 100.0),
        m_bar,
        np.array([1.0, 0.5, 1.0, 2.0]),
        np.full(n_ind, 100.0),
    )
    prof = {
        "kinks": kinks,
        "marginal": rng.uniform(0.05, 0.6, shape),
        "reward": rng.uniform(0.2, 1.5, shape),
    }
    g0 = rng.uniform(0.0, 2.0, (*shape, n_ind)) * (ctx.world.gameability > 0)
    k_units = ctx.world.scale * ctx.world.gameability
    out = interior.interior(ctx, prof, g0, np.zeros_like(g0))
    # a first-order point everywhere: each indicator's root at the point's own total gaming
    total = out.sum(-1) if rate is not None else np.ones(shape)
    np.testing.assert_allclose(_at_total(ctx, prof, g0, total), out, atol=1e-7)
    reference, change = _sweeps_reference(ctx, prof, g0)
    top = (prof["marginal"][..., None] * kinks.slope * k_units / ctx.world.gaming_cost).sum(-1)
    settled = (change < 1e-12) & _one_fixed_point(ctx, prof, g0, top)
    assert settled.mean() > 0.5
    np.testing.assert_allclose(out[settled], reference[settled], atol=1e-6, rtol=1e-6)
    # from a cold start the joint Newton steps leave many departments to the nested root; from
    # the point itself (the best response's warm start near its fixed point) they settle at once
    _, cold = interior._joint_root(ctx, interior._rows(prof, g0))
    warm_prof = {**prof, "kinks": dataclasses.replace(kinks, m_bar=m_bar + k_units * (out - g0))}
    again, warm = interior._joint_root(ctx, interior._rows(warm_prof, out))
    assert warm.mean() > 0.99 and warm.mean() >= cold.mean()
    np.testing.assert_allclose(
        again.reshape(out.shape)[warm.reshape(shape)], out[warm.reshape(shape)], atol=1e-8
    )
