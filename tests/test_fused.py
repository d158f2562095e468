"""The best response's totals in one compiled pass (perfsim.world.fused) against the rule's
pipeline, on numpy's passes and on its own compiled loops (perfsim.rules.kernels): the same
numbers to the last bit, over sweeps of the efficacy bounds (benefit and cost directions), the
score's base and span, the clip, the reporting ceiling, component shares and full marks, a second
indicator component with scattered members, class and common weights, normalisation within
classes, item points and profiles; the rules it does not serve take the pipeline; the replications
still iterating read the block's draws in place; and the bundled scenarios it serves give the
same runs either way."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import perfsim
from perfsim import engine, fastreduce
from perfsim.world import fused, profile
from perfsim.world.context import Context

SC = Path(__file__).resolve().parents[1] / "scenarios"
HANGZHOU = SC / "hangzhou-2011.toml"
INDICATORS = ("职能工作目标", "重点工作目标", "公共服务", "自主创新", "目标管理要素")


def _scores(model, seed: int, reps: int = 3, scale: float = 1.0):
    """Totals of a random profile of ``model``'s world: the compiled pass's, the pipeline's on
    numpy's passes and on its compiled loops, and whether the rule fits the compiled pass."""
    w = model.world
    n, k, j, r = w.n_dept, len(w.tasks), len(model.rule.indicators), len(w.raters)
    rng = np.random.default_rng(seed)
    samples = 6
    ctx = Context.build(
        model.scenario,
        model.rule,
        w,
        ability=rng.lognormal(0, 0.3, (reps, n)),
        theta=rng.lognormal(0, 0.2, (reps, n, k)),
        eps=rng.standard_normal((samples, reps, n, j)) * scale,
        eta=rng.standard_normal((samples, reps, n, r)),
    )
    effort = rng.uniform(0, 3, (reps, n, k))
    gaming = rng.exponential(0.5, (reps, n, j)) * (rng.random((reps, n, j)) < 0.5)
    targets = np.broadcast_to(model.fixed["target"], (reps, n, j))
    fast = profile.scores(ctx, effort, gaming, targets).totals
    fits = fused.fits(model.rule)
    slow = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fused, "fits", lambda c: False)
        for threshold in (1 << 62, 0):  # numpy's passes, then the rule's compiled loops
            mp.setattr(fastreduce, "COMPILED_FROM", threshold)
            slow.append(profile.scores(ctx, effort, gaming, targets).totals)
    return fast, slow, fits


def _same(a, b):
    if isinstance(b, list):  # against each of the pipeline's ways
        for x in b:
            _same(a, x)
        return
    assert a.shape == b.shape
    assert np.array_equal(a, b), np.abs(a - b).max()
    assert np.array_equal(np.signbit(a), np.signbit(b))


def _build(overrides):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sc = perfsim.load_scenario(HANGZHOU, [*overrides, "world.departments=13"])
    return engine.build(sc)


bound = st.floats(0, 130, allow_nan=False).map(lambda x: round(x, 3))


@settings(max_examples=40, deadline=None)
@given(
    bounds=st.lists(st.tuples(bound, bound), min_size=5, max_size=5),
    cost=st.lists(st.booleans(), min_size=5, max_size=5),
    scores=st.lists(st.tuples(st.floats(0, 80), st.floats(0.5, 60)), min_size=5, max_size=5),
    clip=st.booleans(),
    shares=st.lists(st.floats(0.01, 1.0), min_size=3, max_size=3),
    marks=st.tuples(st.floats(1, 200), st.floats(1, 200)),
    ceiling=st.booleans(),
    seed=st.integers(0, 10_000),
)
def test_compiled_totals_are_the_pipelines_to_the_last_bit(
    bounds, cost, scores, clip, shares, marks, ceiling, seed
):
    """Random efficacy bounds (benefit or cost direction), base and span, the clip, shares and
    full marks: the compiled pass gives the pipeline's totals exactly."""
    overrides = [f"rule.normalize.clip={str(clip).lower()}"]
    for name, (base, span) in zip(INDICATORS, scores, strict=True):
        overrides += [
            f'rule.indicators."{name}".base={base}',
            f'rule.indicators."{name}".span={span}',
        ]
    for name, (bad, good), down in zip(INDICATORS, bounds, cost, strict=True):
        bad, good = (max(bad, good), min(bad, good)) if down else (min(bad, good), max(bad, good))
        good = good + (-0.5 if down else 0.5) if good == bad else good
        direction = "cost" if down else "benefit"
        overrides += [
            f'rule.indicators."{name}".bad={bad}',
            f'rule.indicators."{name}".good={good}',
            f'rule.indicators."{name}".direction="{direction}"',
        ]
    for name, share in zip(("社会评价", "目标考核", "领导考评"), shares, strict=True):
        overrides.append(f'rule.components."{name}".share={share}')
    overrides += [
        f'rule.components."社会评价".full_marks={marks[0]}',
        f'rule.components."领导考评".full_marks={marks[1]}',
    ]
    if not ceiling:
        overrides.append('world.indicators."职能工作目标".ceiling=1e15')
    model = _build(overrides)
    fast, slow, fits = _scores(model, seed, scale=3.0)
    assert fits
    _same(fast, slow)


@pytest.mark.parametrize(
    "overrides",
    [
        [],  # class weights, three components (two from raters), item points (创新创优)
        ["rule.weights.by_class={}"],  # common weights
        ["world.events={}"],  # no item points
        ['rule.grading.scope="within_class"', 'rule.normalize.scope="within_class"'],
        [  # a second indicator component, its members scattered (indicators 0 and 3)
            'rule.components."创新考核"={share = 0.05}',
            'rule.indicators."自主创新".component="创新考核"',
            'rule.indicators."职能工作目标".component="创新考核"',
        ],
    ],
    ids=["hangzhou", "common-weights", "no-events", "within-class", "two-indicator-components"],
)
def test_hangzhou_variants_take_the_compiled_pass_with_the_same_totals(overrides):
    model = _build(overrides)
    for seed in range(3):
        fast, slow, fits = _scores(model, seed)
        assert fits
        _same(fast, slow)


def test_the_ministry_rule_takes_the_compiled_pass_with_the_same_totals():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = engine.build(perfsim.load_scenario(SC / "mlr-2011.toml"))
    fast, slow, fits = _scores(model, 1)
    assert fits
    _same(fast, slow)


@pytest.mark.parametrize(
    "overrides",
    [
        ['rule.normalize.method="zscore"'],  # group statistics
        ['rule.normalize.method="minmax"'],
        ['rule.normalize.method="percentile"'],
        ['rule.normalize.method="linear"'],  # department by department, not compiled
    ],
    ids=["zscore", "minmax", "percentile", "linear"],
)
def test_rules_with_group_statistics_take_the_pipeline(overrides):
    """A rule scored otherwise than by the efficacy coefficient with given bounds (group statistics
    among them) is not served by the compiled pass."""
    model = _build(overrides)
    assert not fused.fits(model.rule)
    fast, slow, _ = _scores(model, 2)
    _same(fast, slow)


def test_a_best_response_run_is_the_same_with_and_without_the_compiled_pass(monkeypatch):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sc = perfsim.load_scenario(HANGZHOU, ["world.departments=20"])
        fast = perfsim.simulate(sc, reps=4, seed=3)
        monkeypatch.setattr(fused, "fits", lambda c: False)
        slow = perfsim.simulate(sc, reps=4, seed=3)
    np.testing.assert_array_equal(
        fast.departments.select_dtypes("number").to_numpy(),
        slow.departments.select_dtypes("number").to_numpy(),
    )
    np.testing.assert_array_equal(
        fast.metrics.select_dtypes("number").to_numpy(),
        slow.metrics.select_dtypes("number").to_numpy(),
    )


def test_the_replications_of_a_block_share_its_draws_with_the_same_totals():
    """A context of some replications (those still iterating) reads the block's draws in place:
    its totals are those of a context built from their draws alone."""
    model = _build([])
    w, c = model.world, model.rule
    n, k, j, r = w.n_dept, len(w.tasks), len(c.indicators), len(w.raters)
    rng = np.random.default_rng(4)
    reps = 6
    parts = dict(
        ability=rng.lognormal(0, 0.3, (reps, n)),
        theta=rng.lognormal(0, 0.2, (reps, n, k)),
        eps=rng.standard_normal((5, reps, n, j)),
        eta=rng.standard_normal((5, reps, n, r)),
    )
    block = Context.build(model.scenario, c, w, **parts)
    drawn = block.crn_by_column[0]  # computed for the block, before replications drop out
    idx = np.array([1, 4, 5])
    shared = block.replications(np.array([0, 1, 3, 4, 5])).replications(np.array([1, 3, 4]))
    assert shared.crn_by_column[0] is drawn  # no copy, twice over
    alone = Context.build(
        model.scenario,
        c,
        w,
        ability=parts["ability"][idx],
        theta=parts["theta"][idx],
        eps=parts["eps"][:, idx],
        eta=parts["eta"][:, idx],
    )
    effort = rng.uniform(0, 3, (len(idx), n, k))
    gaming = rng.exponential(0.5, (len(idx), n, j))
    targets = np.broadcast_to(model.fixed["target"], (len(idx), n, j))
    _same(
        profile.scores(shared, effort, gaming, targets).totals,
        profile.scores(alone, effort, gaming, targets).totals,
    )
