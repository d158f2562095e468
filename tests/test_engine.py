"""The simulation engine: theory rows at several parameter sets, the smooth expected reward against
brute-force Monte Carlo, determinism across worker counts, and the run folder."""

from __future__ import annotations

import dataclasses
import functools
import json

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT, run_cli

import perfsim
from perfsim import engine
from perfsim.rules import normalize, slopes
from perfsim.rules.pipeline import evaluate
from perfsim.verify import run_suite
from perfsim.world import profile, response
from perfsim.world.context import Context

THEORY = ROOT / "scenarios" / "theory"

# Each row at its shipped parameters and at another valid set (the closed forms follow --set).
ROWS = [
    ("V1", []),
    (
        "V1",
        [
            "world.tasks.measured.substitutes.unmeasured=0.3",
            "rule.pay.per_point=0.8",
            "world.motivation=0.7",
        ],
    ),
    ("V2", []),
    (
        "V2",
        [
            "world.indicators.output.noise=1.2",
            "rule.rewards.win.bonus=3",
            "world.tasks.work.cost=2",
        ],
    ),
    ("V2q", ["world.samples=32"]),
    (
        "V2q",
        ["world.samples=32", "rule.grading.quota.优秀=0.3", "world.indicators.output.noise=1.0"],
    ),
    ("V2c", []),
    ("V2c", ["world.promotion_value=0.8", "world.indicators.output.noise=0.9"]),
    ("V7", []),
    (
        "V7",
        [
            "world.budget_elasticity=0.5",
            "world.indicators.output.noise=0.3",
            "world.tasks.work.baseline_effort=0.7",
        ],
    ),
    ("V3", []),
    (
        "V3",
        [
            "rule.audit.probability=0.6",
            "rule.audit.fine_per_unit=0.5",
            "world.indicators.reported.gaming_cost=2",
        ],
    ),
    ("V3", ["rule.audit.probability=0.8"]),  # full deterrence: m* = 0
    ("V4", []),
    ("V4", ["rule.targets.ratchet=0.2", "world.discount=0.5", "rule.pay.per_point=2"]),
    ("V5", []),
    ("V5", ["world.classes.back.visibility=0.6"]),
    ("V6", []),
    (
        "V6",
        [
            "rule.pay.per_point=0.4",
            "world.indicators.measure.tasks.b=0.9",
            "world.tasks.b.value=1.5",
        ],
    ),
]


@pytest.mark.parametrize(
    ("row", "overrides"), ROWS, ids=[f"{r}-{i}" for i, (r, _) in enumerate(ROWS)]
)
def test_theory_rows_hold_at_several_parameter_sets(row, overrides):
    checks = run_suite([row], overrides, reps=40, seed=3)
    assert checks
    for c in checks:
        assert c.passed, f"{c.id}: theory {c.theory}, simulated {c.simulated}, error {c.error}"


def test_full_deterrence_gives_zero_manipulation():
    (check,) = run_suite(["V3"], ["rule.audit.probability=0.8"], reps=20)
    assert check.theory == 0 and abs(check.simulated) < 1e-6


def _small_tournament_context(effort):
    sc = perfsim.load_scenario(
        THEORY / "v2q-quota.toml",
        [
            "world.departments=10",
            "world.samples=4000",
            "world.indicators.output.noise=0.5",
            "rule.grading.quota.优秀=0.3",
            'rule.grading.bands=["优秀", "良好", "其他"]',
            "rule.grading.quota.良好=0.3",
            'rule.rewards={"优秀" = {bonus = 2.0}, "良好" = {bonus = 0.5}}',
        ],
    )
    model = engine.build(sc)
    reps, n = 1, 10
    rng = np.random.default_rng(0)
    ctx = Context.build(
        model.scenario,
        model.rule,
        model.world,
        ability=np.ones((reps, n)),
        theta=np.ones((reps, n, 1)),
        eps=rng.standard_normal((4000, reps, n, 1)),
        eta=np.zeros((4000, reps, n, 0)),
    )
    ctx = dataclasses.replace(ctx, motivation=0.0, per_point=0.0)
    return model, ctx


def test_smooth_expected_reward_matches_brute_force_monte_carlo():
    effort = np.linspace(0.2, 1.4, 10)[None, :, None]
    model, ctx = _small_tournament_context(effort)
    targets = np.zeros((1, 10, 1))
    smooth = profile.evaluate_profile(ctx, effort, np.zeros_like(effort), targets)["reward"][0]
    rng = np.random.default_rng(1)
    draws = 20000
    measured = effort[0] + 0.5 * rng.standard_normal((draws, 10, 1))
    ev = evaluate(model.rule, measured)
    brute = ev.reward[..., 0].mean(axis=0)
    se = ev.reward[..., 0].std(axis=0) / np.sqrt(draws)
    assert np.all(np.abs(smooth - brute) < 4 * se + 0.02), (smooth, brute)
    assert np.all(np.diff(smooth) > 0)  # more effort, more expected reward


def test_smooth_marginal_reward_matches_finite_differences_of_brute_force():
    effort = np.full((1, 10, 1), 0.8)
    model, ctx = _small_tournament_context(effort)
    targets = np.zeros((1, 10, 1))
    marginal = profile.evaluate_profile(ctx, effort, np.zeros_like(effort), targets)["marginal"][
        0, 0
    ]
    rng = np.random.default_rng(2)
    draws, h = 200000, 0.1
    noise = 0.5 * rng.standard_normal((draws, 10, 1))
    rewards = []
    for bump in (-h, h):
        e = effort[0].copy()
        e[0] += bump
        rewards.append(evaluate(model.rule, e + noise).reward[:, 0, 0].mean())
    assert marginal == pytest.approx((rewards[1] - rewards[0]) / (2 * h), rel=0.1)


@pytest.mark.parametrize("method", ["efficacy", "minmax", "zscore", "linear", "target"])
def test_normalisation_slopes_match_finite_differences(method):
    rng = np.random.default_rng(0)
    x = rng.uniform(10, 20, size=(3, 400, 1))
    kw = dict(
        benefit=np.array([True]),
        base=np.array([0.0]),
        span=np.array([100.0]),
        bad=np.array([np.nan]),
        good=np.array([np.nan]),
        target=np.full(x.shape, 15.0),
        cap=np.array([np.inf]),
    )
    from perfsim.rules.normalize import NORMALIZERS

    f = NORMALIZERS[method]
    params = {"base": 0.0, "span": 100.0}
    if method in ("target", "linear"):
        params["target"] = 15.0
    d = 7  # not an extreme of the group
    x[:, d, 0] = 15.0
    h = 1e-4
    up, down = x.copy(), x.copy()
    up[:, d, 0] += h
    down[:, d, 0] -= h
    numeric = (f(up, **params)[:, d, 0] - f(down, **params)[:, d, 0]) / (2 * h)
    analytic = slopes.slope(method, x, **kw)[:, d, 0]
    np.testing.assert_allclose(analytic, numeric, rtol=0.02)


@pytest.mark.parametrize("n", [3, 5, 12, 66])
@pytest.mark.parametrize("benefit", [True, False])
def test_z_score_slope_counts_the_departments_own_effect_on_mean_and_sd(n, benefit):
    """∂z_d/∂x_d = (1 − (1 + z_d²)/n)/sd, checked against central differences of the z-score itself
    for every department of small groups, outliers included (an outlier dominates the group's sd:
    at z_d² = n − 1, all the others equal, its score cannot move at all). Holding mean and sd fixed
    would be off by (1 + z²)/n: 40 % for a department 5 sd below 65 others."""
    rng = np.random.default_rng(n)
    x = rng.normal(0.0, 1.0, size=(4, n, 2))
    x[0, 0, 0] = -6.0  # an outlier
    x[1, :, 1] = 1.0
    x[1, 0, 1] = 0.0  # alone below a group at one value: z² = n − 1
    kw = dict(benefit=np.array([benefit, benefit]), base=np.zeros(2), span=np.array([10.0, 3.0]))
    analytic = slopes.slope("zscore", x, **kw)
    h = 1e-6
    for d in range(n):
        up, down = x.copy(), x.copy()
        up[:, d] += h
        down[:, d] -= h
        f = functools.partial(normalize.z_score, benefit=benefit, base=0.0, span=[10.0, 3.0])
        numeric = (f(up)[:, d] - f(down)[:, d]) / (2 * h)
        np.testing.assert_allclose(analytic[:, d], numeric, rtol=1e-5, atol=1e-6)
    assert abs(analytic[1, 0, 1]) < 1e-9


def test_z_score_marginal_score_at_a_ceiling_matches_finite_differences_of_the_pipeline():
    """Under z-scores of a capped indicator the group's sd in a sample depends on who is below the
    ceiling there; a department's marginal score is the slope of the samples where its *own* value
    is below it. Checked against central differences of the expected total of the real scoring
    pipeline (the same 4000 draws), for departments far below, around and far above the ceiling.
    The mean slope over all samples times P(below) overstated it by up to a quarter."""
    sc = perfsim.load_scenario(
        THEORY / "v2q-quota.toml",
        [
            "world.departments=10",
            "world.samples=4000",
            "world.indicators.output.noise=0.5",
            "world.indicators.output.ceiling=1.0",
            'rule.indicators.output.normalize="zscore"',
        ],
    )
    model = engine.build(sc)
    n = 10
    rng = np.random.default_rng(0)
    ctx = Context.build(
        model.scenario,
        model.rule,
        model.world,
        ability=np.ones((1, n)),
        theta=np.ones((1, n, 1)),
        eps=rng.standard_normal((4000, 1, n, 1)),
        eta=np.zeros((4000, 1, n, 0)),
    )
    effort = np.array([0.2, 0.6, 0.9, 1.4, 1.5, 1.6, 1.8, 2.0, 2.2, 2.5])[None, :, None]
    gaming, targets = np.zeros_like(effort), np.zeros_like(effort)
    prof = profile.evaluate_profile(ctx, effort, gaming, targets)
    analytic = prof["d_s_dm"][0, :, 0] * model.world.scale[0]
    h, numeric = 0.02, []
    for d in range(n):
        up, down = effort.copy(), effort.copy()
        up[0, d, 0] += h
        down[0, d, 0] -= h
        totals = [
            profile.evaluate_profile(ctx, x, gaming, targets)["totals"].mean(axis=0)[0, d]
            for x in (up, down)
        ]
        numeric.append((totals[0] - totals[1]) / (2 * h))
    np.testing.assert_allclose(analytic, numeric, rtol=0.08, atol=0.15)


def test_same_seed_same_numbers_whatever_the_number_of_processes():
    sc = perfsim.load_scenario(THEORY / "v5-visibility.toml")
    model = engine.build(sc)
    reps = 3 * model.block_size - 5  # several blocks, the last one partial
    one = perfsim.simulate(sc, reps=reps, seed=11, jobs=1)
    two = perfsim.simulate(sc, reps=reps, seed=11, jobs=2)
    pd.testing.assert_frame_equal(one.metrics, two.metrics)
    pd.testing.assert_frame_equal(one.departments, two.departments)
    other = perfsim.simulate(sc, reps=reps, seed=12, jobs=1)
    assert not one.metrics["mean"].equals(other.metrics["mean"])


@pytest.mark.parametrize("seed", [3, 4])
def test_class_bias_is_the_systematic_gap_not_the_noise(seed):
    """V5: the survey sees the back office at visibility 0.3 of the front line's. With equal
    visibility the two classes are identical: class_bias is not detectably above 0 (its mean
    within 3 standard errors), though noise gives every replication a gap; with 0.3 it is
    detectably positive. Each replication's class_bias is the gap between the classes of highest
    and lowest mean gap over all blocks of the run."""
    same = perfsim.simulate(
        THEORY / "v5-visibility.toml",
        reps=300,
        seed=seed,
        overrides=["world.classes.back.visibility=1.0"],
    )
    m = same.metrics.set_index("metric")
    assert abs(m.loc["class_bias", "mean"]) < 3 * m.loc["class_bias", "se"]
    per_rep = same.per_rep
    gaps = per_rep[["class_gap:front", "class_gap:back"]].to_numpy()
    assert np.abs(gaps[:, 0] - gaps[:, 1]).mean() > 10 * m.loc["class_bias", "se"]  # the noise
    seen = perfsim.simulate(THEORY / "v5-visibility.toml", reps=300, seed=seed).metrics
    seen = seen.set_index("metric")
    assert seen.loc["class_bias", "mean"] > 5 * seen.loc["class_bias", "se"]
    hi, lo = gaps.mean(axis=0).argmax(), gaps.mean(axis=0).argmin()
    np.testing.assert_allclose(per_rep["class_bias"], gaps[:, hi] - gaps[:, lo], atol=1e-12)


def test_run_command_writes_the_run_folder_and_jobs_do_not_change_metrics(tmp_path):
    outs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"run{jobs}"
        r = run_cli(
            "run",
            str(THEORY / "v2-tournament.toml"),
            "--reps",
            "600",
            "--seed",
            "5",
            "--jobs",
            jobs,
            "--out",
            str(out),
            "--quiet",
        )
        assert r.returncode == 0, r.stderr
        outs.append(out)
    a, b = (pd.read_csv(o / "metrics.csv") for o in outs)
    pd.testing.assert_frame_equal(a, b)
    meta = json.loads((outs[0] / "metadata.json").read_text(encoding="utf-8"))
    assert meta["seed"] == 5 and meta["reps"] == 600 and len(meta["scenario_hash"]) == 64
    assert meta["resolved_scenario"]["world"]["departments"] == 2
    deps = pd.read_csv(outs[0] / "departments.csv", encoding="utf-8-sig")
    assert {"true_value", "total", "rank", "grade", "effort:work", "gaming:output"} <= set(
        deps.columns
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run1", "run2"]  # nothing half-written


def test_run_without_world_is_a_located_user_error(tmp_path, minimal_file):
    r = run_cli("run", str(minimal_file), "--reps", "2", "--quiet", "--out", str(tmp_path / "x"))
    assert r.returncode == 2 and "world" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "x").exists()


def test_verify_command_prints_every_row_and_exits_0():
    r = run_cli("verify", "--reps", "20", "--only", "V1,V3,V4", "--quiet")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "V1 effort measured" in r.stdout and "V3 manipulation" in r.stdout
    assert "0 failed" in r.stdout


def test_verify_exits_nonzero_on_a_failure():
    # An override that breaks the row's assumption (unit ability) makes the closed form wrong.
    r = run_cli(
        "verify",
        "--reps",
        "20",
        "--only",
        "V2",
        "--quiet",
        "--set",
        "V2:world.classes.all.ability_mean=1.0",
    )
    assert r.returncode == 1
    assert "FAIL" in r.stdout and "1 failed" in r.stdout


def test_early_warning_makes_effort_respond_to_the_warned_signal(monkeypatch):
    """With a pass threshold (departments independent), a department warned that it lags near the
    threshold works harder than one warned it is far above it."""
    seen = {}
    original = response.best_response

    def record(ctx, effort, gaming, targets, **kw):
        resp = original(ctx, effort, gaming, targets, **kw)
        seen["warning"], seen["effort"] = ctx.warning, resp.effort
        return resp

    monkeypatch.setattr(response, "best_response", record)
    overrides = [
        "world.samples=16",
        "world.departments=40",
        "rule.grading.quota={}",
        "rule.grading.thresholds.优秀=0.5",
        "world.early_warning=0.6",
    ]
    sc = perfsim.load_scenario(THEORY / "v2q-quota.toml", overrides)
    engine.run_block(engine.build(sc), 0, 0, 5)
    signal, effort = seen["warning"][..., 0].ravel(), seen["effort"][..., 0].ravel()
    assert effort.std() > 0.01
    near = np.abs(effort * 1 + signal * 0.8 - 0.5)  # expected score distance to the threshold
    assert np.corrcoef(near, effort)[0, 1] < -0.5  # closer to the cut-off → more effort

    sc0 = perfsim.load_scenario(THEORY / "v2q-quota.toml", overrides[:-1])
    engine.run_block(engine.build(sc0), 0, 0, 5)
    assert seen["warning"] is None and seen["effort"].std() < 1e-3


def test_grade_confusion_compares_true_and_assigned_bands():
    value = np.array([[4.0, 3.0, 2.0, 1.0]])
    grade = np.array([[0, 1, 0, 1]])  # the third-best unit took the top band from the second-best
    conf = engine.grade_confusion(value, grade, 2)
    np.testing.assert_array_equal(conf, [[1, 1], [1, 1]])
    perfect = engine.grade_confusion(value, np.array([[0, 0, 1, 1]]), 2)
    np.testing.assert_array_equal(perfect, [[2, 0], [0, 2]])


def test_effective_weights_follow_spread_not_nominal_share(tmp_path):
    res = perfsim.simulate(THEORY / "v5-visibility.toml", reps=20, seed=0)
    eff = {m: res.metric(m) for m in ("effective_weight:target", "effective_weight:survey")}
    assert sum(eff.values()) == pytest.approx(1.0)
    assert 0 < eff["effective_weight:target"] < 1


@pytest.mark.parametrize("k", [2, 3, 5])
def test_effort_solve_is_the_exact_non_negative_optimum(k):
    from perfsim.verify import _qp_nonneg

    rng = np.random.default_rng(k)
    a = rng.normal(size=(k, k))
    cost = a @ a.T + 0.5 * np.eye(k)
    rhs = rng.normal(size=(200, k))
    fast = response._projected_solve(cost, rhs, np.zeros_like(rhs))
    exact = np.array([_qp_nonneg(cost, r) for r in rhs])
    np.testing.assert_allclose(fast, exact, atol=1e-10)


@pytest.mark.parametrize("raters", range(0, 12))
@pytest.mark.parametrize("tasks", [1, 2, 6])
def test_marginal_score_through_raters_is_einsums_to_the_last_bit(raters, tasks):
    """``Σ_r ∂S/∂q_r ∂q_r/∂y_k`` one rater at a time: the numbers of ``np.einsum``, signs of
    zero included (zero and negative-zero slopes mixed in), for 0-11 raters and 1, 2 or 6 tasks
    (with one task and three or more raters einsum adds in another order)."""
    b, d, r, k = shape = (20, 33, raters, tasks)
    rng = np.random.default_rng(sum(shape))
    d_s_dq = rng.normal(size=(b, d, r))
    d_s_dq[d_s_dq > 1.0], d_s_dq[d_s_dq < -1.5] = 0.0, -0.0
    slope = rng.normal(size=(d, r, k))
    slope[slope > 1.0], slope[slope < -1.4] = 0.0, -0.0
    want = np.einsum("bdr,drk->bdk", d_s_dq, slope)
    got = response._through_raters(d_s_dq, slope)
    assert got.shape == want.shape
    assert np.array_equal(got.view(np.int64), want.view(np.int64))


@pytest.mark.parametrize("benefit", [True, False])
def test_min_max_slope_is_zero_for_the_group_min_and_max(benefit):
    """(x_d − min)/(max − min): the department that is the group's min or max moves that bound
    with its own value, so its score does not move (0 or 1 for ever); the others move by
    span/(max − min). Central differences of min-max itself for every department of random
    groups (the slope of the range held fixed promised the lowest unit points it never earns)."""
    rng = np.random.default_rng(4)
    x = rng.uniform(0.0, 10.0, size=(5, 9, 2))
    kw = dict(benefit=np.array([benefit, benefit]), base=np.zeros(2), span=np.array([100.0, 40.0]))
    analytic = slopes.slope("minmax", x, **kw)
    f = functools.partial(normalize.min_max, benefit=benefit, base=0.0, span=[100.0, 40.0])
    h = 1e-6
    for d in range(x.shape[1]):
        up, down = x.copy(), x.copy()
        up[:, d] += h
        down[:, d] -= h
        numeric = (f(up)[:, d] - f(down)[:, d]) / (2 * h)
        np.testing.assert_allclose(analytic[:, d], numeric, rtol=1e-6, atol=1e-6)
    edges = (x == x.max(axis=1, keepdims=True)) | (x == x.min(axis=1, keepdims=True))
    assert (analytic[edges] == 0).all() and (analytic[~edges] != 0).all()


def test_an_in_process_run_uses_one_blas_thread(monkeypatch):
    """jobs = 1 runs its blocks with one BLAS thread, as the workers do (a second thread only
    waits on the engine's small products, and may sum in another order), and restores the
    caller's threads afterwards."""
    threadpoolctl = pytest.importorskip("threadpoolctl")

    def blas_threads():
        return {
            i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"
        }

    seen = []
    real = engine.run_blocks

    def spy(*args, **kwargs):
        seen.append(blas_threads())
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "run_blocks", spy)
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        perfsim.simulate(THEORY / "v1-multitask-linear.toml", reps=4, seed=0)
        after = blas_threads()
    assert seen == [{1}]
    assert after == {2}
