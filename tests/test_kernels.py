"""The compiled Newton iteration of the interior gaming point (perfsim.world.kernels) against its
numpy formulation (interior.joint_root_reference): the same points to 1e-9 and the same rows
converged, over sweeps of the audit (detection rate or none, fines, penalties, the audit veto),
veto events (their log-odds and gaming slopes), the clip and ceiling (a lower clip bound that
counts or not, an upper bound at the ceiling or not, no clip), the noise and the starting
gaming; and on the rows the best response hands it in the bundled scenarios."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import perfsim
from perfsim.scenario import resolve_scenario
from perfsim.world import interior
from perfsim.world.kinks import Kinks

N_IND = 4


def _ctx(audit, events):
    """A context with what the interior point reads: the audit, veto events, the world's gaming
    terms and the veto grade's reward."""
    rule = SimpleNamespace(reward_table=np.array([[2.0], [0.5], [0.0]]), veto_grade=2)
    world = SimpleNamespace(
        gameability=np.array([1.0, 0.5, 0.0, 2.0]),
        scale=np.full(N_IND, 2.5),
        gaming_cost=np.array([0.03, 0.02, 0.03, 0.1]),
    )
    state = None if events is None else ()
    return SimpleNamespace(audit=audit, rule=rule, world=world, events=events, event_state=state)


def _rows(rng, n, clip, sd, spread):
    """``n`` rows of the interior point's terms around the ceiling (100)."""
    lo, hi, ceiling = clip
    m_bar = 100.0 + rng.uniform(-spread, spread, (n, N_IND))
    kinks = Kinks(
        rng.uniform(0.1, 3.0, (n, N_IND)),
        np.full(N_IND, lo),
        np.full(N_IND, hi),
        m_bar,
        np.full(N_IND, sd),
        np.full(N_IND, ceiling),
    )
    return {
        "kinks": kinks,
        "marginal": rng.uniform(0.02, 0.8, n),
        "reward": rng.uniform(0.0, 2.0, n),
        "g0": rng.uniform(0.0, 3.0, (n, N_IND)),
    }


def _agree(ctx, rows, kernel=interior._joint_root):
    got, ok = kernel(ctx, rows)
    ref, ref_ok = interior.joint_root_reference(ctx, rows)
    np.testing.assert_array_equal(ok, ref_ok)
    both = ok & ref_ok
    np.testing.assert_allclose(got[both], ref[both], rtol=1e-9, atol=1e-9)
    return ok.mean()


CLIPS = {
    "clip below, ceiling above": (60.0, 100.0, 100.0),
    "clip under the ceiling": (95.0, 99.0, 102.0),
    "lower clip within reach": (99.0, np.inf, 101.0),
    "no clip": (-np.inf, np.inf, 100.0),
}


@settings(max_examples=60, deadline=None)
@given(
    probability=st.sampled_from([0.0, 0.1, 0.35, 0.8]),
    rate=st.sampled_from([None, 0.3, 1.0, 4.0]),
    fine=st.sampled_from([0.0, 0.1, 0.6]),
    penalty=st.sampled_from([0.0, 0.05, 0.5]),
    veto=st.booleans(),
    n_events=st.integers(0, 3),
    clip=st.sampled_from(sorted(CLIPS)),
    sd=st.sampled_from([0.3, 1.0, 4.0]),
    spread=st.sampled_from([1.0, 6.0]),
    seed=st.integers(0, 2**16),
)
def test_kernel_matches_the_numpy_iteration(
    probability, rate, fine, penalty, veto, n_events, clip, sd, spread, seed
):
    rng = np.random.default_rng(seed)
    audit = SimpleNamespace(
        probability=probability, detection_rate=rate, fine_per_unit=fine, penalty=penalty, veto=veto
    )
    events = None
    rows = _rows(rng, 200, CLIPS[clip], sd, spread)
    if n_events:
        kind = rng.integers(0, 2, n_events).astype(bool)  # a veto event, or an item
        kind[0] = True
        events = SimpleNamespace(
            vetoes=kind, gaming=rng.uniform(0.0, 1.5, n_events), any_veto=True, veto_gaming=True
        )
        rows["event_base"] = rng.uniform(-7.0, 0.0, (200, n_events))
    _agree(_ctx(audit, events), rows)  # (its assertions: the same points and settled rows)


@pytest.mark.parametrize(
    "scenario",
    ["hangzhou-2011.toml", "mlr-2011.toml", "teaching/promotion.toml", "teaching/audit.toml"],
)
def test_kernel_matches_on_the_best_responses_rows(scenario, monkeypatch):
    """Every call the best response makes in a short run of a bundled scenario: the kernel's
    points equal the reference's, with the same rows settled (most of them)."""
    path = Path(__file__).resolve().parents[1] / "scenarios" / scenario
    sc = resolve_scenario(path, ['world.policy="best_response"'], None)
    seen = []
    kernel = interior._joint_root

    def both(ctx, prof, *args, **kwargs):
        seen.append(_agree(ctx, prof, kernel))
        return kernel(ctx, prof, *args, **kwargs)

    monkeypatch.setattr(interior, "_joint_root", both)
    perfsim.simulate(sc, reps=4, seed=3)
    assert len(seen) >= 5
    assert np.mean(seen) > 0.9


@settings(max_examples=40, deadline=None)
@given(
    reps=st.integers(1, 6),
    depts=st.integers(1, 8),
    per=st.integers(1, 3),
    depth=st.integers(1, 4),
    calm=st.booleans(),
    steps=st.integers(1, 12),
    seed=st.integers(0, 2**16),
)
def test_anderson_kernel_matches_the_numpy_step(reps, depts, per, depth, calm, steps, seed):
    """The compiled Anderson step and its numpy formulation, run side by side on the same
    sequence of iterates, steps and residuals (residuals that fall, then grow: the history
    restarts; subsets of the replications: some drop out), agree on every mixed iterate to 1e-9
    and leave the same history (counts exactly). With at least twice as many unknowns as stored
    differences (in the engine: hundreds against 3), else the least squares is singular up to
    its ridge and either formulation's rounding decides it."""
    from perfsim.world import mixing

    assume(depts * per >= 2 * depth)
    rng = np.random.default_rng(seed)
    compiled = mixing.Anderson(reps, depts * per, depth, calm=calm)
    numpy_one = mixing.Anderson(reps, depts * per, depth, calm=calm)
    active = np.arange(reps)
    scale = 1.0
    for _ in range(steps):
        b = len(active)
        x = rng.uniform(0.0, 3.0, (b, depts, per))
        f = rng.normal(0.0, scale, (b, depts, per))
        alpha = rng.uniform(0.02, 1.0, (b, depts))
        residual = np.abs(f).max(axis=(1, 2)) * rng.uniform(0.5, 1.5, b)
        got = compiled.step(active, x, f, alpha, residual)
        want = numpy_one.step_reference(active, x, f, alpha, residual)
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)
        np.testing.assert_array_equal(compiled.count, numpy_one.count)
        for name in ("dx", "df", "x", "f", "residual", "first"):
            np.testing.assert_allclose(getattr(compiled, name), getattr(numpy_one, name))
        scale *= 0.6
        if b > 1 and rng.random() < 0.3:  # some replications settle and drop out
            kept = active[rng.random(b) < 0.7]
            active = kept if len(kept) else active[:1]
