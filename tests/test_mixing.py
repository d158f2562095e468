"""The best response's iteration (``perfsim.world.mixing``): Anderson mixing finds the fixed point of
linear maps whose solution is known in closed form, in fewer steps than damping alone; the
per-department damping settles a department whose best response falls steeply in its own choices
(where a fixed damping cycles); and mixing changes the path, not the equilibrium."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
from helpers import ROOT
from scipy.special import ndtr

import perfsim
from perfsim import engine
from perfsim.world import mixing, response


def _linear_problem(rng, reps: int, depts: int, n: int, radius: float):
    """x = A x + c per replication: A symmetric with eigenvalues in [−radius, radius] (both signs:
    overshooting and creeping modes), solution x* > 0 known."""
    size = depts * n
    q = np.linalg.qr(rng.standard_normal((reps, size, size)))[0]
    lam = rng.uniform(-radius, radius, (reps, size))
    lam[:, 0] = radius  # the slowest mode present in every replication
    a = q @ (lam[..., None] * np.swapaxes(q, 1, 2))
    x_star = rng.uniform(1.0, 2.0, (reps, size))
    c = x_star - (a @ x_star[..., None])[..., 0]
    return a, c, x_star


def _solve(a, c, depts, n, depth, alpha0=0.5, tol=1e-9, steps=2000):
    reps = a.shape[0]
    x = np.zeros((reps, depts, n))
    mixer = mixing.Anderson(reps, depts * n, depth) if depth else None
    alpha = np.full((reps, depts), alpha0)
    active = np.arange(reps)
    for it in range(1, steps + 1):
        flat = x.reshape(reps, -1)
        f = ((a @ flat[..., None])[..., 0] + c - flat).reshape(x.shape)
        res = np.abs(f).reshape(reps, -1).max(-1)
        if (res <= tol).all():
            return x.reshape(reps, -1), it
        if mixer is None:
            x = x + alpha[..., None] * f
        else:
            x = mixer.step(active, x, f, alpha, res)
    return x.reshape(reps, -1), steps


@pytest.mark.parametrize("radius", [0.5, 0.9, 0.97])
def test_anderson_solves_linear_fixed_points_in_fewer_steps(radius):
    rng = np.random.default_rng(int(radius * 100))
    a, c, x_star = _linear_problem(rng, reps=4, depts=5, n=3, radius=radius)
    mixed, its_mixed = _solve(a, c, 5, 3, depth=3)
    plain, its_plain = _solve(a, c, 5, 3, depth=0)
    np.testing.assert_allclose(mixed, x_star, atol=1e-7)
    np.testing.assert_allclose(plain, x_star, atol=1e-7)
    assert its_mixed < its_plain
    if radius > 0.8:  # the slow modes are what mixing removes
        assert its_mixed * 3 < its_plain


def test_anderson_coefficients_vanish_for_unused_history():
    df = np.zeros((2, 3, 4))
    df[0, 0] = [1.0, 0.0, 0.0, 0.0]
    f = np.array([[2.0, 1.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
    gamma = mixing._coefficients(df, f, np.array([1, 0]))
    np.testing.assert_allclose(gamma, [[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]], atol=1e-8)


def _own_response(k: float, jump: float = 0.0, width: float = 1.0, alpha0: float = 0.5) -> int:
    """Iterate x ← x + α (BR(x) − x) from 0 with BR(x) − x = −k (x − 1) − jump (Φ((x − 1)/w) − ½)
    (fixed point 1; near it BR falls with slope 1 − k − jump φ(0)/w, as at a cut-off), the
    damping from :func:`mixing.next_damping`; the steps until |BR(x) − x| ≤ 1e-6 (or 300)."""
    x = np.zeros((1, 1, 1))
    alpha = np.full((1, 1), alpha0)
    turns = np.zeros((1, 1), dtype=np.intp)
    last = np.zeros_like(x)
    for it in range(1, 301):
        step = -k * (x - 1.0) - jump * (ndtr((x - 1.0) / width) - 0.5)
        if np.abs(step).max() <= 1e-6:
            return it
        if it > 1:
            alpha, turns = mixing.next_damping(alpha, step, last, alpha0, turns)
        x, last = x + alpha[..., None] * step, step
    return 300


@pytest.mark.parametrize(
    ("k", "jump", "width"),
    [(41.0, 0, 1), (16.0, 0, 1), (6.0, 0, 1), (2.0, 0, 1), (1.0, 0, 1), (0.4, 0, 1),
     (0.25, 3.0, 0.05), (0.25, 3.0, 0.02), (0.1, 1.0, 0.02)],
)  # fmt: skip
def test_damping_settles_steep_own_responses(k, jump, width):
    # stable only with α < 2 / (1 − slope): 0.05 at slope −40, far below the starting 0.5
    assert _own_response(k, jump, width) < 300


def test_mixing_changes_the_path_not_the_equilibrium(monkeypatch):
    """Where the equilibrium is unique (contests without gaming), the fixed point with and without
    mixing agrees to a few tolerances; mixing takes fewer steps."""
    original = response.best_response
    for name, reps in (("teaching/tournament.toml", 6), ("theory/v2q-quota.toml", 3)):
        sc = perfsim.load_scenario(ROOT / "scenarios" / name)
        model = engine.build(sc)
        out = {}
        for depth in (0, 3):
            monkeypatch.setattr(response, "best_response", partial(original, depth=depth))
            out[depth] = engine.run_block(model, 0, 0, reps, keep_state=True)
        tol = sc.world.tolerance
        diff = np.abs(out[0].state["effort"] - out[3].state["effort"]).max()
        assert diff <= 10 * tol, (name, diff)
        assert out[3].metrics["converged_share"].min() == 1.0
        its = {d: out[d].metrics["iterations_mean"].sum() for d in out}
        assert its[3] < its[0], (name, its)


@pytest.mark.parametrize("seed", [0, 3])
def test_a_warm_start_mixes_from_its_first_step(monkeypatch, seed):
    """A period started at the last period's fixed point (budgets moved productivity a little)
    starts close, so its first residual is small; waiting for the residual to fall to CALM of it
    before mixing made such a period slower than the cold first one. Warm periods now take fewer
    iterations than the first, and reach the same equilibrium as with the wait."""
    calls = []
    solve = response.best_response

    def record(*args, **kwargs):
        out = solve(*args, **kwargs)
        calls.append((kwargs.get("warm", False), out.iterations.mean()))
        return out

    monkeypatch.setattr(response, "best_response", record)
    path = ROOT / "scenarios" / "teaching" / "budget.toml"
    res = perfsim.simulate(path, reps=40, seed=seed, overrides=["world.periods=5"])
    cold = [it for warm, it in calls if not warm]
    warm = [it for warm, it in calls if warm]
    assert len(cold) == 1 and len(warm) == 4
    assert max(warm) < cold[0]
    calls.clear()
    init = mixing.Anderson.__init__

    def waiting(self, reps, size, depth=3, calm=True):  # the old rule: always wait for CALM
        init(self, reps, size, depth, calm=True)

    monkeypatch.setattr(mixing.Anderson, "__init__", waiting)
    waited = perfsim.simulate(path, reps=40, seed=seed, overrides=["world.periods=5"])
    assert np.mean([it for w, it in calls if w]) > np.mean(warm)  # the wait cost iterations
    for metric in ("mean_effort", "reward_gini", "budget_gini"):  # within the tolerance's reach
        assert abs(res.metric(metric) - waited.metric(metric)) < 1e-3 * (
            1 + abs(res.metric(metric))
        )


def _bits(x: np.ndarray) -> np.ndarray:
    """The bit patterns of a float array (NaN, −0.0 and every last bit compared exactly)."""
    return np.ascontiguousarray(x, dtype=float).view(np.int64)


@pytest.mark.parametrize("update", [True, False])
@pytest.mark.parametrize(
    ("tasks", "indicators"), [(1, 1), (3, 2), (6, 5), (4, 12), (60, 60), (64, 64), (70, 60)]
)
def test_track_is_the_reference_to_the_bit(tasks, indicators, update):
    """The compiled bookkeeping (``mixing.track``) gives the numpy formulation's numbers to the
    last bit: steps, moves, dampings, the damped step, and the damping, last steps and turn-backs
    it updates in place, for a subset of the replications, departments not due, turn-backs,
    crawls and NaN. (Up to 128 choices per department compiled; 130 take the numpy formulation.)"""
    rng = np.random.default_rng(tasks * 100 + indicators)
    reps, depts, n = 7, 9, tasks + indicators
    active = np.array([0, 2, 3, 6])
    b = len(active)
    e, g = rng.uniform(0, 2, (b, depts, tasks)), rng.uniform(0, 1, (b, depts, indicators))
    scale = 10.0 ** rng.uniform(-6, 1, (b, depts, 1))
    e_new = e + scale * rng.standard_normal(e.shape)
    g_new = np.maximum(g + scale * rng.standard_normal(g.shape), 0.0)
    due = rng.random((b, depts)) < 0.7
    alpha = rng.uniform(0.02, 1.0, (reps, depts))
    last = 10.0 ** rng.uniform(-6, 1, (reps, depts, n)) * rng.standard_normal((reps, depts, n))
    last[active[0], 1] = np.concatenate([e_new - e, g_new - g], -1)[0, 1]  # a crawl
    last[active[1], 2] = -np.concatenate([e_new - e, g_new - g], -1)[1, 2]  # a turn-back
    turns = rng.integers(0, 5, (reps, depts))
    e_new[2, 3, 0] = np.nan  # a department whose response failed
    last[active[3], 4, -1] = np.nan
    states = [(alpha.copy(), last.copy(), turns.copy()) for _ in range(2)]
    got = mixing.track(active, e, g, e_new, g_new, due, *states[0], 0.5, update)
    want = mixing.track_reference(active, e, g, e_new, g_new, due, *states[1], 0.5, update)
    for x, y in zip([*got, *states[0][:2]], [*want, *states[1][:2]], strict=True):
        assert x.shape == y.shape
        np.testing.assert_array_equal(_bits(x), _bits(y))
    np.testing.assert_array_equal(states[0][2], states[1][2])


def test_track_sums_in_numpys_order():
    """The compiled sums of the damping rule add in numpy's order (pairwise in blocks of 8 from 8
    terms on), to the last bit, at every length up to ``PAIRWISE_UP_TO``; adding one by one would
    differ (the check can fail)."""
    from perfsim.world import kernels

    rng = np.random.default_rng(5)
    differs = 0
    for n in range(1, kernels.PAIRWISE_UP_TO + 1):
        rows = rng.standard_normal((40, n)) * 10.0 ** rng.uniform(-8, 8, (40, n))
        want = rows.sum(-1)
        got = np.array([kernels.pairwise_sum(row, n) for row in rows])
        np.testing.assert_array_equal(_bits(got), _bits(want))
        one_by_one = np.array([sum(row.tolist(), 0.0) for row in rows])
        differs += int((one_by_one != want).sum())
    assert differs > 0


@pytest.mark.parametrize(
    ("step", "last", "alpha"),
    [
        # pairwise the inner product is −0.5 (a turn-back), added one by one +0.5
        ([1, 1e16, -1e16, 1, 0, 0, 0, 0, -0.5], [1.0] * 9, 0.5),
        ([0.0] * 9, [1.0] * 9, 0.5),  # no step: neither back nor crawling
        ([1.0] * 9, [0.0] * 9, 0.5),  # no last step
        ([0.9], [1.0], 0.5),  # a step 0.9 of the last: the crawl's boundary
        ([-0.9], [1.0], np.nan),  # a turn-back from a NaN damping
        ([0.1], [1.0], np.nan),  # growing a NaN damping
    ],
)
def test_track_decides_edge_cases_as_the_reference(step, last, alpha):
    """Where the damping rule's comparisons sit on an edge (the sign of a sum that depends on the
    order of its terms, a zero step, the crawl's boundary, a NaN damping), the compiled pass
    decides as the numpy formulation."""
    step, n = np.array(step, dtype=float), len(step)
    k = (n + 1) // 2
    e, g = np.zeros((1, 1, k)), np.zeros((1, 1, n - k))
    e_new, g_new = step[None, None, :k].copy(), step[None, None, k:].copy()
    due, active = np.ones((1, 1), dtype=bool), np.array([0])
    states = [
        (np.full((1, 1), alpha), np.array(last, dtype=float)[None, None], np.zeros((1, 1), np.intp))
        for _ in range(2)
    ]
    got = mixing.track(active, e, g, e_new, g_new, due, *states[0], 0.5, True)
    want = mixing.track_reference(active, e, g, e_new, g_new, due, *states[1], 0.5, True)
    for x, y in zip([*got, *states[0]], [*want, *states[1]], strict=True):
        np.testing.assert_array_equal(_bits(x), _bits(y))


def test_track_takes_the_numpy_formulation_for_arrays_it_does_not_expect():
    """The compiled pass checks no bounds: replication indices out of range, repeated or
    unordered, a damping of another dtype, or shapes that only broadcast take the numpy
    formulation (an index out of range raises there, as in numpy)."""
    rng = np.random.default_rng(3)
    b, d, k, j = 3, 4, 2, 3

    def args(active, alpha_dtype=float, due_shape=(b, d)):
        e, g = rng.random((b, d, k)), rng.random((b, d, j))
        due = np.ones(due_shape, dtype=bool)
        alpha = np.full((5, d), 0.5, dtype=alpha_dtype)
        last = rng.standard_normal((5, d, k + j))
        return (
            np.array(active),
            e,
            g,
            e + 0.1,
            g - 0.1,
            due,
            alpha,
            last,
            np.zeros((5, d), np.intp),
        )

    with pytest.raises(IndexError):
        mixing.track(*args([0, 2, 7]), 0.5, True)
    for case in (
        args([3, 3, 0]),
        args([2, 0, 1]),
        args([0, 1, 2], np.float32),
        args([0, 1, 2], float, (b, 1)),
    ):
        copies = [x.copy() if isinstance(x, np.ndarray) else x for x in case]
        got = mixing.track(*case, 0.5, True)
        want = mixing.track_reference(*copies, 0.5, True)
        for x, y in zip([*got, case[6], case[7]], [*want, copies[6], copies[7]], strict=True):
            np.testing.assert_array_equal(x, y)
