"""Effort is a global best response under grade thresholds (payoff.effort_candidates).

One indicator that is effort plus noise, a bonus W for a score of at least τ, cost ½ e²: a
department's expected utility is ``U(e) = W Φ((e − τ)/σ) − e²/2`` (the threshold is the band's
one cut-off, and the department's own score noise σ smooths it; docs/model.md). Its maximum is
found here by a grid over e, independently of the engine. Before the effort candidates the
engine solved the first-order condition at the department's current score only: from a low
start it stayed at no effort (U = 0 against 1.12 at τ = 1, σ = 0.15, W = 2), and from a high one
it could keep working at a loss (U(1.72) = −0.06 < U(0) at τ = 1.5, σ = 0.4)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import norm

import perfsim
from perfsim.scenario import scenario_from_dict


def _scenario(tau, sigma, bonus, start, motivation=0.0, gameable=None):
    indicator = {"tasks": {"work": 1.0}, "noise": sigma}
    if gameable is not None:
        indicator.update(gameability=1.0, gaming_cost=gameable)
    table = {
        "meta": {"name": "threshold"},
        "rule": {
            "indicators": {"m": {"normalize": "linear"}},
            "grading": {"bands": ["pass", "fail"], "thresholds": {"pass": tau}},
            "rewards": {"pass": {"bonus": bonus}},
        },
        "world": {
            "departments": 3,
            "policy": "best_response",
            "motivation": motivation,
            "tolerance": 1e-7,
            "max_iterations": 400,
            "tasks": {"work": {"cost": 1.0, "baseline_effort": start}},
            "indicators": {"m": indicator},
        },
    }
    return scenario_from_dict(table, source="threshold.toml")


def _engine(scenario):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = perfsim.simulate(scenario, reps=2, seed=0)
    return res


def _best(tau, sigma, bonus):
    """The global maximum of U over a fine grid of e ≥ 0 (and U there)."""
    e = np.linspace(0.0, tau + 8 * sigma + bonus, 400_001)
    u = bonus * norm.cdf((e - tau) / sigma) - e**2 / 2
    return e[u.argmax()], u.max()


@pytest.mark.parametrize(
    ("tau", "sigma", "bonus"),
    [(1.0, 0.15, 2.0), (0.6, 0.15, 2.0), (1.5, 0.4, 2.0), (0.9, 0.25, 1.0), (2.0, 0.3, 3.5)],
)
@pytest.mark.parametrize("start", [0.0, 3.0])
def test_effort_under_a_threshold_is_the_global_best_from_any_start(tau, sigma, bonus, start):
    res = _engine(_scenario(tau, sigma, bonus, start))
    assert res.metric("converged_share") == 1.0
    effort = res.per_rep["mean_effort"].to_numpy()
    best_e, best_u = _best(tau, sigma, bonus)
    u = bonus * norm.cdf((effort - tau) / sigma) - effort**2 / 2
    # what the department gets is the best it can get, to the hysteresis margin between two
    # candidates (0.1 % of the prize range) and the grid's step
    assert (u >= best_u - 1e-3 * bonus - 1e-6).all(), (effort, best_e, u, best_u)
    if best_u - bonus * norm.cdf(-tau / sigma) > 1e-2:  # (a clear peak: the effort itself)
        np.testing.assert_allclose(effort, best_e, atol=2e-4)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tau=st.floats(0.3, 2.5),
    sigma=st.floats(0.08, 0.6),
    bonus=st.floats(0.5, 4.0),
    start=st.sampled_from([0.0, 1.0, 4.0]),
)
def test_threshold_effort_sweep(tau, sigma, bonus, start):
    """Drawn thresholds, noise and prizes, started low, middling or high."""
    res = _engine(_scenario(tau, sigma, bonus, start))
    effort = res.per_rep["mean_effort"].to_numpy()
    _, best_u = _best(tau, sigma, bonus)
    u = bonus * norm.cdf((effort - tau) / sigma) - effort**2 / 2
    assert (u >= best_u - 1e-3 * bonus - 1e-5).all(), (effort, u, best_u)


def test_threshold_with_gaming_reaches_the_joint_optimum_from_no_effort():
    """Gameable indicator (gaming cost k): ``U = W Φ((e + g − τ)/σ) − e²/2 − k g²/2``. The engine
    held the candidate that games to τ + σ (U 0.35 against 0.62), and from no effort stayed at
    none."""
    tau, sigma, bonus, k = 1.5, 0.3, 2.0, 2.0
    e, g = np.meshgrid(np.linspace(0, 3, 1501), np.linspace(0, 3, 1501), indexing="ij")
    u = bonus * norm.cdf((e + g - tau) / sigma) - e**2 / 2 - k * g**2 / 2
    i = np.unravel_index(u.argmax(), u.shape)
    for start in (0.0, 2.0):
        res = _engine(_scenario(tau, sigma, bonus, start, gameable=k))
        got_e = float(res.departments["effort:work"].mean())
        got_g = float(res.departments["gaming:m"].mean())
        got_u = bonus * norm.cdf((got_e + got_g - tau) / sigma) - got_e**2 / 2 - k * got_g**2 / 2
        assert got_u >= u[i] - 1e-4, (start, got_e, got_g, got_u, u[i])
        assert abs(got_e - e[i]) < 4e-3 and abs(got_g - g[i]) < 4e-3
