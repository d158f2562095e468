"""The events' per-iteration caches (perfsim.world.events) give the numbers computed afresh."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
from scipy.special import expit

from perfsim.world import audits, events
from perfsim.world.events import CompiledEvents


@dataclass(frozen=True)
class Ctx:  # the part of a Context the events read
    events: object
    theta: np.ndarray
    audit: object
    ability: np.ndarray
    rule: object
    event_state: tuple | None = None


def _world(rate):
    # two items and a veto on task 1, a claim on task 0, an item without a task
    ev = CompiledEvents(
        names=("claim", "cut", "cut2", "veto", "free"),
        sign=np.array([1.0, -1.0, -1.0, 0.0, 1.0]),
        column=np.array([0, 1, 2, -1, 3]),
        points=np.array([2.0, 1.0, 0.5, 0.0, 1.5]),
        p0=np.array([0.1, 0.3, 0.2, 0.05, 0.4]),
        task=np.array([0, 1, 1, 1, -1]),
        effect=np.array([0.7, 0.4, 0.9, 1.2, 0.3]),
        gaming=np.array([0.0, 0.8, 0.2, 0.6, 0.0]),
    )
    rng = np.random.default_rng(7)
    theta, effort = rng.uniform(0.5, 1.5, (3, 4, 2)), rng.uniform(0, 2, (3, 4, 2))
    gaming = rng.uniform(0, 1, (3, 4, 1))
    audit = SimpleNamespace(veto=True, probability=0.3, detection_rate=rate)
    rule = SimpleNamespace(reward_table=np.array([[3.0], [1.0], [-1.0]]), veto_grade=2)
    ctx = Ctx(ev, theta, audit, rng.uniform(0.8, 1.2, (3, 4)), rule)
    return events.at_profile(ctx, effort, gaming), rng


def _reference_terms(ctx, prof, total, pull, own):
    """effort_terms written out event by event, from the module docstring."""
    ev = ctx.events
    _, _, _, base, _ = ctx.event_state
    gain, avoid = np.zeros(pull.shape), np.zeros(pull.shape)
    survive = 1.0 - ctx.audit.probability * (1 - np.exp(-ctx.audit.detection_rate * total))
    for k in range(len(ev.sign)):
        if ev.sign[k] == 1:
            q = ctx.event_state[0][..., k]
            dq = ctx.event_state[1][..., k]
        else:
            q = expit(base[..., k] + ev.gaming[k] * total)
            dq = -ev.effect[k] * q * (1 - q)
        if ev.sign[k] == 0:
            survive = survive * (1 - q)
            avoid[..., ev.task[k]] += ev.effect[k] * q
        elif ev.task[k] >= 0:
            gain[..., ev.task[k]] += ev.sign[k] * ev.points[k] * dq
    scale = ctx.theta * ctx.ability[..., None]
    loss = prof["reward"] - ctx.rule.reward_table[ctx.rule.veto_grade, 0]
    return (
        pull + prof["marginal"][..., None] * gain * scale,
        own + (survive * loss)[..., None] * avoid * scale,
    )


def test_effort_terms_match_the_event_by_event_sum_at_several_totals():
    ctx, rng = _world(rate=1.5)
    prof = {"marginal": rng.uniform(0.1, 1, (3, 4)), "reward": rng.uniform(0, 3, (3, 4))}
    pull, own = rng.normal(size=(3, 4, 2)), rng.normal(size=(3, 4, 2))
    for total in (np.zeros((3, 4)), rng.uniform(0, 2, (3, 4)), rng.uniform(0, 2, (3, 4))):
        got = events.effort_terms(ctx, prof, total, pull, own)
        want = _reference_terms(ctx, prof, total, pull, own)
        for a, b in zip(got, want, strict=True):
            assert np.allclose(a, b, rtol=1e-12, atol=1e-14)


def test_the_veto_memo_tells_totals_and_audit_chances_apart():
    ctx, rng = _world(rate=1.5)
    total = rng.uniform(0, 2, (3, 4))
    p_a, dp_a = 0.3 * (1 - np.exp(-1.5 * total)), 0.45 * np.exp(-1.5 * total)
    first = events.veto_probability(ctx, total, p_a, dp_a)
    again = events.veto_probability(ctx, total.copy(), p_a.copy(), dp_a.copy())
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    fresh, _ = _world(rate=1.5)  # an empty memo
    other = total + 0.1  # same shape, another total: not the remembered value
    p_o, dp_o = 0.3 * (1 - np.exp(-1.5 * other)), 0.45 * np.exp(-1.5 * other)
    cached = events.veto_probability(ctx, other, p_o, dp_o)
    computed = events.veto_probability(fresh, other, p_o, dp_o)
    assert all(np.array_equal(a, b) for a, b in zip(cached, computed, strict=True))
    assert not np.allclose(cached[0], first[0])
    # the same total with another audit chance (no audit veto): not the remembered value
    zero = np.zeros_like(total)
    no_audit, _ = events.veto_probability(ctx, total, zero, zero)
    assert (no_audit < first[0]).all()


def test_effort_terms_with_the_callers_veto_chance_are_the_same_numbers():
    """A gaming candidate passes its veto probability (computed once for its effort and its
    utility): with the audit veto's and the events' joint chance at that total, the terms are
    those the function computes itself, to the last bit; a wrong chance shows."""
    for rate in (1.5, None):
        ctx, rng = _world(rate=rate)
        fresh, _ = _world(rate=rate)  # the same world with a memo of its own, still empty
        prof = {"marginal": rng.uniform(0.1, 1, (3, 4)), "reward": rng.uniform(0, 3, (3, 4))}
        pull, own = rng.normal(size=(3, 4, 2)), rng.normal(size=(3, 4, 2))
        total = rng.uniform(0, 2, (3, 4))
        p_v = audits.veto_probability(ctx, total)[0]
        given = events.effort_terms(ctx, prof, total, pull, own, p_v=p_v)
        own_p = events.effort_terms(fresh, prof, total, pull, own)  # computed, not remembered
        for a, b in zip(given, own_p, strict=True):
            assert np.array_equal(a, b)
        off = events.effort_terms(ctx, prof, total, pull, own, p_v=p_v + 0.1)
        assert not np.allclose(off[1], own_p[1])
