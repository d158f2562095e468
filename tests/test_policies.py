"""Policies as objects: the registry agrees with the scenario schema, unknown names are clear
errors, and each policy answers the protocol (respond, observe)."""

from __future__ import annotations

import typing

import numpy as np
import pytest
from helpers import ROOT

import perfsim
from perfsim import engine
from perfsim.scenario.world import World
from perfsim.world import policies
from perfsim.world.context import Context

THEORY = ROOT / "scenarios" / "theory"


def test_registry_names_are_the_policies_a_scenario_may_name():
    allowed = typing.get_args(World.model_fields["policy"].annotation)
    assert set(policies.POLICIES) == set(allowed)
    for name, cls in policies.POLICIES.items():
        assert cls.name == name and policies.policy_class(name) is cls


def test_unknown_policy_lists_the_registered_ones():
    with pytest.raises(policies.UnknownPolicyError) as err:
        policies.policy_class("clairvoyant")
    message = str(err.value)
    assert "'clairvoyant'" in message
    assert all(repr(name) in message for name in policies.POLICIES)
    assert isinstance(err.value, perfsim.PerfsimError)


def _context(sc, reps=3, samples=8):
    model = engine.build(sc)
    w = model.world
    rng = np.random.default_rng(0)
    n, j, r = w.n_dept, len(model.rule.indicators), len(w.raters)
    ctx = Context.build(
        sc,
        model.rule,
        w,
        ability=np.ones((reps, n)),
        theta=np.ones((reps, n, len(w.tasks))),
        eps=rng.standard_normal((samples, reps, n, j)),
        eta=rng.standard_normal((samples, reps, n, r)),
    )
    effort = np.broadcast_to(w.baseline, (reps, n, len(w.tasks))).copy()
    gaming = np.zeros((reps, n, j))
    targets = np.zeros((reps, n, j))
    return model, ctx, effort, gaming, targets


@pytest.mark.parametrize("name", ["naive", "best_response", "adaptive"])
def test_every_policy_answers_the_protocol(name):
    sc = perfsim.load_scenario(THEORY / "v2q-quota.toml", [f'world.policy="{name}"'])
    model, ctx, effort, gaming, targets = _context(sc)
    policy = policies.make_policy(sc.world)
    assert isinstance(policy, policies.POLICIES[name])
    choice = policy.respond(ctx, effort, gaming, targets)
    assert choice.effort.shape == effort.shape and choice.gaming.shape == gaming.shape
    ev = perfsim.rules.pipeline.evaluate(model.rule, np.asarray(choice.effort)[..., :1])
    policy.observe(ctx, ev)
    assert set(policy.diagnostics) == {"iterations", "residual"}


def test_naive_keeps_the_baseline_and_needs_no_samples():
    sc = perfsim.load_scenario(THEORY / "v2q-quota.toml", ['world.policy="naive"'])
    _, ctx, effort, gaming, targets = _context(sc)
    policy = policies.make_policy(sc.world)
    assert not policy.uses_samples
    choice = policy.respond(ctx, effort, gaming, targets)
    assert choice.effort is effort and choice.gaming is gaming


def test_adaptive_waits_a_period_then_learns_an_exponential_average_of_the_cutoffs():
    sc = perfsim.load_scenario(
        THEORY / "v2q-quota.toml", ['world.policy="adaptive"', "world.learning_rate=0.25"]
    )
    model, ctx, effort, gaming, targets = _context(sc)
    policy = policies.make_policy(sc.world)
    first = policy.respond(ctx, effort, gaming, targets)
    assert first.effort is effort  # nothing learned yet
    scores = np.random.default_rng(1).normal(0.5, 0.5, effort.shape[:2] + (1,))
    ev = perfsim.rules.pipeline.evaluate(model.rule, scores)
    policy.observe(ctx, ev)
    learned = [t.copy() for t in policy.learned]
    assert len(learned) == len(model.rule.bands) - 1
    ev2 = perfsim.rules.pipeline.evaluate(model.rule, scores + 0.4)
    policy.observe(ctx, ev2)
    for old, new in zip(learned, policy.learned, strict=True):
        finite = np.abs(old) < 1e8
        np.testing.assert_allclose(new[finite], old[finite] + 0.25 * 0.4)
    moved = policy.respond(ctx, effort, gaming, targets)
    assert not np.array_equal(moved.effort, effort)


@pytest.mark.parametrize("cached", [True, False])
def test_a_context_of_some_replications_is_the_one_built_for_them(cached):
    """Context.replications takes the draws its context has computed for the replications kept
    (the best response drops settled replications): the same numbers as a context built for those
    replications alone, whether or not the draws were computed before."""
    from dataclasses import replace

    sc = perfsim.load_scenario(ROOT / "scenarios" / "hangzhou-2011.toml")
    _, ctx, *_ = _context(sc, reps=5, samples=6)
    ctx = replace(ctx, ability=np.arange(1.0, 6.0)[:, None] * np.ones(ctx.ability.shape))
    if cached:
        _ = ctx.measurement_draws, ctx.draw_means, ctx.quality_slope
    idx = np.array([4, 1])
    small = ctx.replications(idx)
    assert ("measurement_draws" in small.__dict__) == cached  # taken, not computed, when cached
    built = replace(ctx, ability=ctx.ability[idx], theta=ctx.theta[idx], eps=ctx.eps[:, idx],
                    eta=ctx.eta[:, idx])  # fmt: skip
    np.testing.assert_array_equal(small.ability, built.ability)
    np.testing.assert_array_equal(small.measurement_draws, built.measurement_draws)
    for a, b in zip(small.draw_means, built.draw_means, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(small.quality_slope, built.quality_slope)
