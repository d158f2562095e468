"""Work that the engine computes once and hands to several steps (survey moments shared by the
reliability metric and the survey draw; one class regression for class_bias and the class gaps)
gives exactly the numbers that each step computes on its own, and is only shared where the inputs
are the same."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import ROOT

from perfsim import engine, metrics
from perfsim.scenario import load_scenario
from perfsim.world import model as world_model

HANGZHOU = ROOT / "scenarios" / "hangzhou-2011.toml"


def _world(overrides=()):
    return engine.build(load_scenario(HANGZHOU, list(overrides))).world


def _latent(world, reps: int, seed: int) -> np.ndarray:
    """Perceived quality of random outputs, (rep, dept, rater)."""
    rng = np.random.default_rng(seed)
    output = rng.gamma(2.0, 0.6, size=(reps, world.n_dept, len(world.tasks)))
    return world_model.perceived_quality(world, output)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("respondents", [60, 219, 5000])
def test_shared_survey_moments_give_the_same_reliability_and_draws(seed, respondents):
    w = _world([f"world.raters.社会评价.respondents={respondents}"])
    latent = _latent(w, reps=7, seed=seed)
    moments = world_model.rated_survey_moments(w, latent)
    survey = w.rater_kind.index("survey")
    assert list(moments) == [survey]
    alone = world_model.group_reliability(w, latent)
    shared = world_model.group_reliability(w, latent, moments)
    np.testing.assert_array_equal(shared, alone)
    assert np.isfinite(alone).all() and ((alone > 0) & (alone < 1)).all()
    kept = moments[survey][1].copy()
    draws = [
        world_model.survey_draw(
            w, survey, latent[..., survey], np.random.default_rng(seed + 10), given
        )
        for given in (None, moments[survey])
    ]
    np.testing.assert_array_equal(draws[0], draws[1])
    np.testing.assert_array_equal(moments[survey][1], kept)  # the shared variance is left alone


@pytest.mark.parametrize(
    "override",
    [
        "world.raters.社会评价.leniency=1.5",  # the draw sees latent + leniency: other numbers
        f"world.raters.社会评价.respondents={world_model.SURVEY_EXACT_BELOW - 1}",  # drawn exactly
    ],
)
def test_survey_moments_are_not_shared_when_the_draw_uses_other_numbers(override):
    w = _world([override])
    assert world_model.rated_survey_moments(w, _latent(w, reps=3, seed=0)) == {}


@pytest.mark.parametrize(
    "path, overrides",
    [
        (HANGZHOU, []),
        (HANGZHOU, ['rule.grading.scope="within_class"', "rule.audit.cost=3.0"]),
        (ROOT / "scenarios" / "teaching" / "ratchet.toml", []),
        (ROOT / "scenarios" / "mlr-2011.toml", []),
    ],
)
def test_per_model_constants_are_what_each_block_would_compute(path, overrides):
    """engine.Model.fixed is computed once per scenario and shared by every block, read-only."""
    from perfsim.rules.grade import quota_band_floors
    from perfsim.world.careers import prizes
    from perfsim.world.context import Context

    model = engine.build(load_scenario(path, overrides))
    sc, c, w = model.scenario, model.rule, model.world
    fresh = Context.fixed_parts(sc, c, w)
    shared = model.fixed["context"]
    assert shared.keys() == fresh.keys()
    for key in ("ratchet_factor", "comp_of_indicator", "rater_component", "prizes"):
        np.testing.assert_array_equal(shared[key], fresh[key])
    assert len(shared["limits"]) == len(fresh["limits"])
    for a, b in zip(shared["limits"], fresh["limits"], strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(model.fixed["prizes"], prizes(sc, c))
    np.testing.assert_array_equal(
        model.fixed["floors"], quota_band_floors(c.quotas, c.quota_counts, c.thresholds)[0]
    )
    np.testing.assert_array_equal(model.fixed["target"], np.nan_to_num(c.target, nan=0.0))
    audits = np.arange(4.0)
    costs = engine.cost_metrics(model, audits)
    shares = [c.shares[c.components.index(r)] for r in w.raters]
    groups = metrics.rater_costs(w.respondents, w.unit_cost, shares, w.n_dept)
    expected = groups.sum() + audits * sc.rule.audit.cost / sc.world.periods
    np.testing.assert_array_equal(costs["evaluation_cost"], expected)
    with pytest.raises(ValueError):  # shared by every block: no step may change it in place
        shared["ratchet_factor"][0] = 0.5
    assert model.fixed is model.fixed  # computed once
