"""Ratcheted targets over a finite horizon (``world.horizon = "finite"``): the period factors of
perfsim.world.context against independent solutions of the department's dynamic problem (backward
induction on value functions, direct optimisation of the whole effort path, the impulse response of
the targets), over sweeps of (λ_r, δ, T); the engine's per-period effort and gaming; the V4F row."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from helpers import ROOT
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

import perfsim
from perfsim.scenario import ScenarioError
from perfsim.verify import run_suite
from perfsim.verify.ratchet import (
    RatchetProblem,
    backward_induction,
    long_horizon,
    stationary_effort,
)
from perfsim.world.context import horizon_factors

TEACHING = ROOT / "scenarios" / "teaching" / "ratchet.toml"
V4 = ROOT / "scenarios" / "theory" / "v4-ratchet.toml"


def problem(ratchet: float, discount: float, periods: int, **kw) -> RatchetProblem:
    base = dict(
        pay=1.0,
        base=0.0,
        slope=1.0,
        offset=0.0,
        gain=1.0,
        sd=0.1,
        ceiling=np.inf,
        cost=1.0,
        intrinsic=0.0,
        ratchet=ratchet,
        discount=discount,
        target=1.0,
        periods=periods,
    )
    return RatchetProblem(**{**base, **kw})


def path_optimum(p: RatchetProblem) -> np.ndarray:
    """argmax over the whole effort path of the expected discounted utility (no ceiling: the
    utility is linear in m, so the expected target path carries all that matters), by L-BFGS-B."""

    def minus(e: np.ndarray) -> float:
        target, total = p.target, 0.0
        for t in range(p.periods):
            m = p.offset + p.gain * e[t]
            u = p.pay * (p.base + p.slope * (m - target)) + p.intrinsic * e[t]
            total += p.discount**t * (u - 0.5 * p.cost * e[t] ** 2)
            target = (1 - p.ratchet) * target + p.ratchet * m
        return -total

    res = minimize(
        minus,
        np.full(p.periods, 0.1),
        method="L-BFGS-B",
        bounds=[(0.0, None)] * p.periods,
        options={"ftol": 1e-15, "gtol": 1e-11, "maxiter": 10_000},
    )
    return res.x


def impulse_factors(discount: float, ratchet: float, periods: int) -> np.ndarray:
    """The marginal value of a unit of measured output in each period, by following a unit shock
    to m_t through the ratchet: every later target rises by what the update passes on, and each
    later reward falls by that, discounted (an accounting of the target path, not the value
    recursion of perfsim.world.context)."""
    out = np.empty(periods)
    for t in range(periods):
        shift, loss = 0.0, 0.0
        for s in range(t + 1, periods):
            shift = shift + ratchet * ((1.0 if s == t + 1 else 0.0) - shift)  # T ← T + λ(m − T)
            loss += discount ** (s - t) * shift
        out[t] = 1.0 - loss
    return out


SWEEP = [(lam, d, n) for lam in (0.2, 0.5, 0.9) for d in (0.3, 0.8, 0.95) for n in (1, 3, 6)]


@pytest.mark.parametrize(("ratchet", "discount", "periods"), SWEEP)
def test_backward_induction_gives_the_engines_period_factors(ratchet, discount, periods):
    p = problem(ratchet, discount, periods)
    effort = backward_induction(p, paths=10)  # effort does not depend on the target here
    myopic = p.pay * p.slope * p.gain / p.cost
    np.testing.assert_allclose(
        effort / myopic, horizon_factors(discount, ratchet, periods), atol=1e-7
    )


@pytest.mark.parametrize(("ratchet", "discount", "periods"), SWEEP)
def test_period_factors_match_the_impulse_response_of_the_targets(ratchet, discount, periods):
    np.testing.assert_allclose(
        horizon_factors(discount, ratchet, periods),
        impulse_factors(discount, ratchet, periods),
        rtol=0,
        atol=1e-12,
    )


@settings(max_examples=12, deadline=None)
@given(
    ratchet=st.floats(0.05, 1.0),
    discount=st.floats(0.3, 0.97),  # near δ = 0 the first year's planner barely weighs later years
    periods=st.integers(1, 5),
    pay=st.floats(0.2, 3.0),
    slope=st.sampled_from([1.0, 0.5, -0.7]),
    base=st.floats(-2.0, 2.0),
    intrinsic=st.floats(0.0, 1.0),
    cost=st.floats(0.5, 3.0),
)
def test_backward_induction_agrees_with_optimising_the_whole_path(
    ratchet, discount, periods, pay, slope, base, intrinsic, cost
):
    p = problem(
        ratchet, discount, periods, pay=pay, slope=slope, base=base, intrinsic=intrinsic, cost=cost
    )
    np.testing.assert_allclose(backward_induction(p, paths=10), path_optimum(p), atol=2e-5)


@settings(max_examples=60, deadline=None)
@given(ratchet=st.floats(0.0, 1.0), discount=st.floats(0.0, 0.99), periods=st.integers(1, 300))
def test_period_factors_rise_to_one_in_the_last_year_from_the_stationary_factor(
    ratchet, discount, periods
):
    f = horizon_factors(discount, ratchet, periods)
    stationary = (1 - discount) / (1 - discount + discount * ratchet)
    assert f[-1] == pytest.approx(1.0)
    assert np.all(np.diff(f) >= -1e-12)  # effort rises towards the last year
    assert np.all(f >= stationary - 1e-12) and np.all(f <= 1 + 1e-12)
    q = discount * (1 - ratchet)
    left = discount * ratchet * q ** (periods - 1) / (1 - q)  # the ratchet beyond the horizon
    assert f[0] - stationary == pytest.approx(left, abs=1e-12)


@pytest.mark.parametrize(("ratchet", "discount"), [(0.5, 0.8), (0.2, 0.9), (0.1, 0.95), (0.9, 0.5)])
def test_long_horizon_backward_induction_tends_to_weitzman(ratchet, discount):
    p = problem(ratchet, discount, 1)
    periods, left = long_horizon(p)
    first = backward_induction(dataclasses.replace(p, periods=periods), grid_points=5, paths=10)[0]
    assert abs(first - stationary_effort(p)) <= left + 1e-7
    short = backward_induction(dataclasses.replace(p, periods=3), paths=10)[0]
    assert short - stationary_effort(p) > 10 * (left + 1e-7)  # three years are not yet "long"


def test_engine_effort_per_year_follows_the_period_factors():
    """Departments of unequal productivity (teaching scenario): each year's mean effort is that
    year's factor times the effort without a ratchet; the last year's equals it (no ratchet
    follows); the stationary horizon discounts every year alike."""
    lam, d = 0.5, 0.8
    fixed = perfsim.simulate(TEACHING, reps=12, seed=1, overrides=["rule.targets.mode=fixed"])
    finite = perfsim.simulate(TEACHING, reps=12, seed=1, overrides=["world.horizon=finite"])
    stationary = perfsim.simulate(TEACHING, reps=12, seed=1)
    base = fixed.periods["effort"].to_numpy()
    f = horizon_factors(d, lam, 3)
    np.testing.assert_allclose(finite.periods["effort"].to_numpy(), f * base, rtol=1e-3)
    weitzman = (1 - d) / (1 - d + d * lam)
    np.testing.assert_allclose(stationary.periods["effort"].to_numpy(), weitzman * base, rtol=1e-3)
    # per-replication effort per period: its mean is the periods table's
    np.testing.assert_allclose(
        finite.period_effort.mean().to_numpy(), finite.periods["effort"].to_numpy(), rtol=1e-12
    )
    assert finite.period_effort.shape == (12, 3)


def test_gaming_is_discounted_by_the_same_period_factor():
    over = [
        "world.horizon=finite",
        "world.periods=4",
        "rule.targets.ratchet=0.3",
        "world.discount=0.9",
        "world.indicators.output.gameability=1.0",
        "world.indicators.output.gaming_cost=2.0",
    ]
    res = perfsim.simulate(V4, reps=8, seed=0, overrides=over)
    gaming = res.periods["gaming"].to_numpy()
    assert gaming[-1] == pytest.approx(0.5, rel=1e-3)  # β κ / k with no ratchet to come
    np.testing.assert_allclose(gaming / gaming[-1], horizon_factors(0.9, 0.3, 4), rtol=1e-3)


V4F_SWEEP = [
    [],
    ["rule.targets.ratchet=0.2", "world.discount=0.9", "rule.pay.per_point=2"],
    ["world.periods=5", "world.motivation=0.4", "world.indicators.output.noise=0.4"],
]


@pytest.mark.parametrize("overrides", V4F_SWEEP, ids=["bundled", "slow-patient", "T5-motivated"])
def test_v4f_rows_hold_at_several_parameter_sets(overrides):
    checks = run_suite(["V4F"], overrides, reps=12, seed=4)
    periods = next((int(o.split("=")[1]) for o in overrides if "periods" in o), 3)
    assert len(checks) == 3 * (periods + 1)  # linear, with a ceiling, unequal productivity
    for c in checks:
        assert c.passed, f"{c.id}: theory {c.theory}, simulated {c.simulated}, tol {c.tolerance}"


def test_v4f_fails_when_the_engine_ignores_the_horizon():
    checks = run_suite(["V4F"], ["world.horizon=stationary"], reps=8, seed=0)
    for case in (checks[:4], checks[4:8], checks[8:]):  # linear, ceiling, unequal productivity
        assert not case[0].passed and not case[1].passed  # years 1 and 2 of 3
        assert case[3].passed  # the long-horizon row compares with the stationary model anyway


def test_an_unknown_horizon_is_a_located_error():
    with pytest.raises(ScenarioError) as info:
        perfsim.load_scenario(V4, ["world.horizon=forever"])
    text = str(info.value)
    assert "horizon" in text and "forever" in text and "stationary" in text and "finite" in text


@pytest.mark.parametrize(
    ("overrides", "solves"),
    [
        (["rule.targets.mode=fixed"], 1),  # the same problem every year
        (["world.horizon=finite", "world.discount=0"], 4),  # same factor 1, but targets move
        (["world.horizon=finite"], 4),  # a new factor each year
        ([], 4),  # stationary factor, targets move
    ],
)
def test_the_best_response_is_solved_once_per_distinct_problem(monkeypatch, overrides, solves):
    from perfsim.world import response

    calls = []
    original = response.best_response

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(response, "best_response", counting)
    res = perfsim.simulate(TEACHING, reps=6, seed=0, overrides=["world.periods=4", *overrides])
    assert len(calls) == solves  # one block of replications
    effort = res.periods["effort"].to_numpy()
    if solves == 1:
        assert np.all(effort == effort[0])  # a repeated problem keeps its fixed point exactly
    else:
        assert res.period_effort.shape == (6, 4)


@pytest.mark.parametrize(("ceiling", "sd"), [(0.6, 0.3), (0.9, 0.1), (0.4, 0.5)])
def test_backward_induction_with_a_ceiling_solves_the_capped_first_order_conditions(ceiling, sd):
    """With a ceiling C the value stays linear in the target, so each year's effort solves
    c e = β k₁ γ f_t Φ((C − γe)/s): a root-finding of its own, against the value-function
    iteration (the quadrature at the kink is what this checks)."""
    from scipy.optimize import brentq
    from scipy.stats import norm

    p = problem(0.5, 0.8, 4, ceiling=ceiling, sd=sd, offset=0.0)
    got = backward_induction(p, paths=4000)
    for t, f in enumerate(horizon_factors(0.8, 0.5, 4)):
        e = brentq(lambda e, f=f: f * norm.cdf((ceiling - e) / sd) - e, 0.0, 2.0, xtol=1e-13)
        assert got[t] == pytest.approx(e, abs=1e-6)


def test_cli_user_errors_about_the_horizon_exit_2_naming_the_key():
    from helpers import run_cli

    r = run_cli("run", str(TEACHING), "--reps", "2", "--set", "world.horizon=forever", "--quiet")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "world.horizon" in r.stderr and "'stationary' or 'finite'" in r.stderr
    # V4F's backward induction assumes unit ability: it says so instead of comparing wrongly
    r = run_cli(
        "verify",
        "--only",
        "V4F",
        "--reps",
        "2",
        "--quiet",
        "--set",
        "V4F:world.classes.all.ability_sd=0.5",
    )
    assert r.returncode == 2 and "Traceback" not in r.stderr and "unit ability" in r.stderr
