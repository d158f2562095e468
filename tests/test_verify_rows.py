"""The closed forms behind the new verify rows, checked independently of the engine, and the rows
themselves at parameter values that are not those of the bundled theory scenarios."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from perfsim.verify import kth_cutoff_density, run_suite


@pytest.mark.parametrize(("n", "k", "sigma"), [(9, 2, 0.7), (39, 10, 1.3), (24, 6, 0.5)])
def test_cutoff_density_matches_brute_force_monte_carlo(n, k, sigma):
    """E[φ(τ/σ)/σ] with τ the k-th largest of n N(0, σ²) draws, by simulation."""
    rng = np.random.default_rng(11)
    draws = rng.standard_normal((200_000, n)) * sigma
    tau = -np.partition(-draws, k - 1, axis=1)[:, k - 1]
    sample = norm.pdf(tau / sigma) / sigma
    se = sample.std(ddof=1) / np.sqrt(sample.size)
    assert abs(kth_cutoff_density(n, k, sigma) - sample.mean()) < 4 * se


def test_cutoff_density_tends_to_the_large_d_limit():
    q, sigma = 0.2, 1.0
    exact = [kth_cutoff_density(n - 1, int(q * n), sigma) for n in (50, 400, 3200)]
    limit = norm.pdf(norm.ppf(1 - q)) / sigma
    gaps = [abs(e - limit) for e in exact]
    assert gaps[0] > gaps[1] > gaps[2]


SWEEPS = [
    ("V2q", []),
    ("V2q", ["world.departments=30", "world.indicators.output.noise=1.4"]),
    ("V3F", []),
    ("V3F", ["world.indicators.reported.gaming_cost=0.6", "rule.pay.per_point=1.3"]),
    ("V3V", []),
    ("V3V", ["rule.audit.fine_per_unit=0.2", "world.indicators.reported.gaming_cost=1.7"]),
    ("V7E", []),
    ("V7E", ["rule.pay.per_point=0.8", "world.events.violation.effect=1.5"]),
]


@pytest.mark.parametrize(
    ("row", "overrides"), SWEEPS, ids=[f"{r}-{i}" for i, (r, _) in enumerate(SWEEPS)]
)
def test_new_rows_hold_at_other_parameters(row, overrides):
    checks = run_suite([row], overrides, reps=30, seed=5)
    assert checks
    for c in checks:
        assert c.passed, f"{c.id}: theory {c.theory}, simulated {c.simulated}, tol {c.tolerance}"


def test_fixed_penalty_and_veto_rows_cover_both_sides_of_deterrence():
    checks = run_suite(["V3F", "V3V"], reps=10, seed=0)
    theory = [c.theory for c in checks]
    assert theory.count(0.0) == 2 and all(t > 0 for t in theory if t != 0.0)


def test_the_engine_pays_a_vetoed_unit_no_pay_per_point():
    """Every department games (the veto does not deter at c = 4), so a unit is vetoed exactly when
    audited: its expected pay is (1 − p) b S − p φ G, as the best response assumes."""
    import perfsim
    from perfsim.verify import THEORY

    p, fine = 0.3, 0.4
    sc = perfsim.load_scenario(
        THEORY / "v3-audit.toml",
        [
            f"rule.audit.probability={p}",
            f"rule.audit.fine_per_unit={fine}",
            "rule.audit.veto=true",
            "world.tasks.work.cost=4.0",
            "rule.indicators.reported.base=0",
        ],
    )
    res = perfsim.simulate(sc, reps=60, seed=2)
    d = res.departments
    gaming = d["gaming:reported"].to_numpy()
    assert (gaming > 0.1).all()
    expected = (1 - p) * d["total"].to_numpy() - p * fine * gaming
    gap = d["reward"].to_numpy() - expected
    se = gap.std(ddof=1) / np.sqrt(gap.size)
    assert abs(gap.mean()) < 4 * se + 1e-9
    paid_anyway = p * d["total"].to_numpy().mean()  # what paying vetoed units would add
    assert paid_anyway > 10 * se


def test_a_department_far_below_a_sharp_pass_line_jumps_it():
    """A pass line at score 1 with bonus 2, score noise 0.1, effort and gaming each moving the
    score one for one at cost ½x²: from zero the first-order conditions see no slope (the line is
    10 σ away), so a local best response stays at zero (utility 0; the old engine did). The best
    of the candidates (a cut-off among them) reaches the line: utility near the joint optimum
    max_s 2Φ((s − 1)/0.1) − s²/4 (e = g = s/2) ≈ 1.60."""
    import perfsim
    from perfsim.scenario import scenario_from_dict

    raw = {
        "meta": {"name": "kink"},
        "rule": {
            "indicators": {"reported": {"normalize": "linear"}},
            "grading": {"bands": ["pass", "fail"], "thresholds": {"pass": 1.0}},
            "rewards": {"pass": {"bonus": 2.0}},
        },
        "world": {
            "departments": 12,
            "policy": "best_response",
            "samples": 16,
            "tasks": {"work": {"cost": 1.0, "baseline_effort": 0.0}},
            "indicators": {
                "reported": {
                    "tasks": {"work": 1.0},
                    "gameability": 1.0,
                    "gaming_cost": 1.0,
                    "noise": 0.1,
                }
            },
        },
    }
    res = perfsim.simulate(scenario_from_dict(raw, source="kink"), reps=10)
    e = res.departments["effort:work"].to_numpy()
    g = res.departments["gaming:reported"].to_numpy()
    achieved = 2 * norm.cdf((e + g - 1.0) / 0.1) - 0.5 * (e**2 + g**2)
    s = np.linspace(0, 3, 30001)
    best = (2 * norm.cdf((s - 1.0) / 0.1) - s**2 / 4).max()
    assert achieved.min() > 0.9 * best


def test_claim_effort_closed_form_solves_its_first_order_condition():
    """``e* = W(bP(1−p₀)r²/c)/r`` satisfies ``c e = b P (1 − p₀) r e^(−r e)`` and maximises the
    expected pay less the cost (a grid search, independent of the Lambert function)."""
    from perfsim.verify.events import claim_effort

    for b, points, p0, r, c in [(0.5, 2, 0, 0.8, 1), (1.3, 1, 0.2, 1.5, 0.5), (0.2, 3, 0.6, 3, 2)]:
        e = claim_effort(b, points, p0, r, c)
        assert np.isclose(c * e, b * points * (1 - p0) * r * np.exp(-r * e), rtol=1e-10)
        grid = np.linspace(0, 5, 200_001)
        u = b * points * (1 - (1 - p0) * np.exp(-r * grid)) - 0.5 * c * grid**2
        assert abs(grid[u.argmax()] - e) < 1e-4


@pytest.mark.xfail(strict=True, reason="known limitation, perfsim/verify/events.py GAMING_CASES")
def test_gaming_covered_by_groundwork_under_a_steep_veto_is_missed():
    """With a likely veto that gaming raises steeply (p_v = 0.3, γ = 3, k = 0.5) and b = 1.2, the
    optimum games (g ≈ 0.6) and works on conduct (e_v ≈ 1.3); the iteration stops at no gaming.
    Strict: this test fails (and must be updated) once the best response finds the optimum."""
    from perfsim.verify.events import gaming_checks

    overrides = ["rule.pay.per_point=1.2", "world.events.violation.effect=2.5"]
    checks = gaming_checks(overrides, reps=4, seed=0, cases=((0.3, 3.0, 0.5),))
    assert all(c.passed for c in checks)


@pytest.mark.parametrize(
    ("row", "key"),
    [
        ("V2", "world.indicators.output.noise=0"),
        ("V2q", "world.indicators.output.noise=0"),
        ("V2c", "world.indicators.output.scale=0"),
        ("V7", "world.indicators.output.noise=0"),
    ],
)
def test_a_row_whose_closed_form_divides_by_the_noise_refuses_none(row, key):
    """Noise 0 made V2's closed form infinite and its error 'nan%'; now an error naming the key."""
    from perfsim.scenario import ScenarioError

    with pytest.raises(ScenarioError) as caught:
        run_suite([row], [f"{row}:{key}"], reps=2)
    said = str(caught.value)
    assert key.split("=")[0] in said and "must be > 0" in said
    assert "nan" not in said and "inf" not in said


def test_identical_units_leave_the_effective_weight_undefined_not_an_overflow():
    """Noise 0 and unit ability: every unit scores the same, so no component has a spread to
    share. The effective weight is undefined (n = 0), not 'the simulation overflowed'."""
    from helpers import ROOT

    import perfsim

    result = perfsim.simulate(
        ROOT / "scenarios" / "theory" / "v1-multitask-linear.toml",
        reps=4,
        overrides=["world.indicators.measured.noise=0", "world.motivation=0"],
    )
    row = result.metrics.set_index("metric").loc["effective_weight:综合"]
    assert row["n"] == 0 and np.isnan(row["mean"])
    assert np.isfinite(result.metric("mean_effort"))
