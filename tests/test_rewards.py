"""Rewards that act (perfsim/world/careers.py, perfsim/world/state.py): promotion weights and budget
factors change what departments do, paired comparisons (same seed) on the pilot scenarios, years
linked by budgets and reputation, and the prize's budget horizon against backward induction."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import ROOT

import perfsim
from perfsim.engine import build
from perfsim.world import careers
from perfsim.world.state import YearState

HANGZHOU = ROOT / "scenarios" / "hangzhou-2011.toml"
MLR = ROOT / "scenarios" / "mlr-2011.toml"
TOURNAMENT = ROOT / "scenarios" / "teaching" / "tournament.toml"

#: standard errors a paired mean difference must stay away from 0 (a ~99.7 % interval)
SES = 3.0


def paired(scenario, base, change, metrics, reps=12, seed=1):
    """Per metric, the mean paired difference (change − base, same seed) and its standard error."""
    a = perfsim.simulate(scenario, reps=reps, seed=seed, overrides=base).per_rep
    b = perfsim.simulate(scenario, reps=reps, seed=seed, overrides=[*base, *change]).per_rep
    out = {}
    for m in metrics:
        d = (b[m] - a[m]).to_numpy(dtype=float)
        out[m] = (float(d.mean()), float(d.std(ddof=1) / np.sqrt(d.size)))
    return out


def assert_positive(effects):
    for name, (mean, se) in effects.items():
        assert mean - SES * se > 0, f"{name}: {mean:.4g} ± {SES:g}·{se:.3g} does not exclude 0"


@pytest.mark.parametrize(
    ("scenario", "metrics"),
    [
        (HANGZHOU, ["mean_effort", "mean_total"]),
        # not gaming_share: in the ministry gaming raises the 违纪违法 veto event's chance, so a larger
        # prize also makes a veto dearer and gaming's share of effort no longer rises with it
        (MLR, ["mean_effort", "mean_total"]),  # nor inflation, which follows gaming
    ],
    ids=["hangzhou", "mlr"],
)
def test_promotion_weight_raises_effort_gaming_and_scores(scenario, metrics):
    effects = paired(scenario, [], ['rule.rewards."优秀".promotion_weight=10'], metrics)
    assert_positive(effects)


@pytest.mark.parametrize(
    ("scenario", "metrics"),
    [
        (HANGZHOU, ["mean_effort", "mean_total", "budget_gini"]),
        (MLR, ["mean_effort", "mean_total", "budget_gini"]),  # gaming_share: see above
    ],
    ids=["hangzhou", "mlr"],
)
def test_budget_factor_spread_raises_effort_gaming_and_scores(scenario, metrics):
    change = ['rule.rewards."优秀".budget_factor=3', 'rule.rewards."不合格".budget_factor=0.5']
    assert_positive(paired(scenario, [], change, metrics))


def test_budget_feedback_over_years_makes_grades_persist_in_hangzhou():
    """Three years with budget factors 1.5/0.5: when the budget buys productivity (η = 1 against
    η = 0), the same units keep their grades and budgets concentrate more."""
    base = [
        "world.periods=3",
        'rule.rewards."优秀".budget_factor=1.5',
        'rule.rewards."不合格".budget_factor=0.5',
        "world.budget_elasticity=0",
    ]
    effects = paired(HANGZHOU, base, ["world.budget_elasticity=1"], ["grade_persistence"])
    assert_positive(effects)
    effects = paired(HANGZHOU, base, ["world.budget_elasticity=1"], ["budget_gini"])
    assert_positive(effects)


def test_reputation_makes_grades_persist():
    effects = paired(HANGZHOU, ["world.periods=2"], ["world.reputation=5"], ["grade_persistence"])
    assert_positive(effects)


def test_a_promotion_weight_acts_as_its_value_in_bonus_but_is_not_paid():
    """Behaviour under (bonus W, promotion p, value κ) is behaviour under bonus W + κ p: the same
    effort, gaming and scores; only the money paid differs (W, not W + κ p)."""
    promoted = perfsim.simulate(
        TOURNAMENT,
        reps=8,
        seed=2,
        overrides=['rule.rewards."优秀".promotion_weight=2', "world.promotion_value=0.25"],
    )
    paid = perfsim.simulate(TOURNAMENT, reps=8, seed=2, overrides=['rule.rewards."优秀".bonus=1.0'])
    for m in ("mean_effort", "mean_total", "kendall_tau"):
        np.testing.assert_allclose(promoted.per_rep[m], paid.per_rep[m], rtol=1e-9, atol=1e-12)
    money = [float(r.departments["reward"].sum()) for r in (promoted, paid)]
    assert money[0] == pytest.approx(0.5 * money[1], rel=1e-12)  # bonus 0.5 against 1.0


def test_without_values_and_elasticity_the_reward_table_is_bonus_only():
    """With promotion_value = budget_value = budget_elasticity = 0, promotion weights and budget
    factors change no number (what the engine did before they acted)."""
    off = ["world.promotion_value=0", "world.budget_value=0", "world.budget_elasticity=0"]
    plain = perfsim.simulate(TOURNAMENT, reps=6, seed=4, overrides=off).per_rep
    loaded = perfsim.simulate(
        TOURNAMENT,
        reps=6,
        seed=4,
        overrides=[
            *off,
            'rule.rewards."优秀".promotion_weight=5',
            'rule.rewards."优秀".budget_factor=2',
        ],
    ).per_rep
    for m in ("mean_effort", "mean_total", "reward_gini"):
        np.testing.assert_array_equal(plain[m], loaded[m])


@pytest.mark.parametrize("discount", [0.0, 0.3, 0.9])
@pytest.mark.parametrize("persistence", [0.0, 0.5, 1.0])
def test_budget_years_by_backward_induction(discount, persistence):
    """H_t from careers.budget_years against backward induction of the leader's value
    V_t(ln B) = κ ln B + δ V_{t+1}(ρ ln B + x) over T = 3 years (the marginal value now of a change
    in next year's ln B, per unit of κ), and the stationary limit at 400 years."""
    periods = 3

    def marginal_value(t: int) -> float:
        # ∂/∂ln B_{t+1} of Σ_{s>t} δ^{s−t−1} κ ln B_s, following ln B_{s+1} = ρ ln B_s + ...
        slope, total = 1.0, 0.0  # ∂ ln B_s / ∂ ln B_{t+1}
        for s in range(t + 1, periods + 1):
            total += discount ** (s - t - 1) * slope
            slope *= persistence
        return total

    for t in range(1, periods + 1):
        got = careers.budget_years(discount, persistence, periods - t)
        assert float(got) == pytest.approx(marginal_value(t), rel=1e-12, abs=1e-12)
    long = careers.budget_years(discount, persistence, 400)
    stationary = careers.budget_years(discount, persistence, np.inf)
    assert float(long) == pytest.approx(1 / (1 - discount * persistence), rel=1e-9)
    assert float(stationary) == pytest.approx(float(long), rel=1e-9)


def test_prizes_follow_the_horizon():
    """Finite horizon: the budget's value is counted in every year but the last; promotion always."""
    sc = perfsim.load_scenario(
        TOURNAMENT,
        [
            "world.periods=3",
            'world.horizon="finite"',
            "world.discount=0.5",
            "world.budget_value=2",
            "world.promotion_value=0.5",
            'rule.rewards."优秀".budget_factor=1.2',
            'rule.rewards."优秀".promotion_weight=1',
        ],
    )
    prize = careers.prizes(sc, build(sc).rule)
    bonus_and_career = 0.5 + 0.5 * 1.0
    h = np.array([1 + 0.5, 1.0, 0.0])  # ρ = 1, δ = 0.5: 2, 1 and 0 years to come
    np.testing.assert_allclose(prize[:, 0], bonus_and_career + 2 * np.log(1.2) * h)
    np.testing.assert_allclose(prize[:, 1], 0.0)


def test_year_state_budget_and_reputation():
    sc = perfsim.load_scenario(
        TOURNAMENT,
        [
            'rule.rewards."优秀".budget_factor=1.5',
            'rule.rewards."其他".budget_factor=0.8',
            "world.budget_persistence=0.5",
            "world.budget_elasticity=2",
            "world.reputation=3",
        ],
    )
    state = YearState.start(sc, build(sc).rule, (1, 2))
    theta = np.ones((1, 2, 1))
    assert state.productivity(theta) is theta and state.reputation() is None
    state.advance(np.array([[0, 1]]))
    state.advance(np.array([[0, 0]]))
    # ln B = 0.5 ln 1.5 + ln 1.5 and 0.5 ln 0.8 + ln 1.5
    expected = np.exp([[1.5 * np.log(1.5), 0.5 * np.log(0.8) + np.log(1.5)]])
    np.testing.assert_allclose(state.budget, expected)
    np.testing.assert_allclose(state.productivity(theta)[..., 0], expected**2)
    np.testing.assert_allclose(state.reputation(), [[3.0, 3.0]])
    state.advance(np.array([[1, 0]]))
    np.testing.assert_allclose(state.reputation(), [[-3.0, 3.0]])
    assert state.previous_grade.tolist() == [[0, 0]]
