"""The gaming choice on the departments where a candidate is one (payoff.choose with
EffortChoice.restrict) picks the same gaming and effort, to the last bit, as on all departments."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

import perfsim
from perfsim.fastreduce import take_departments
from perfsim.world import kinks, payoff

SC = str(Path(__file__).resolve().parents[1] / "scenarios") + "/"

CASES = [
    (SC + "hangzhou-2011.toml", []),  # veto events, audits with a detection rate, a quota
    (SC + "hangzhou-2011.toml", ["rule.audit.veto=true", "rule.audit.probability=0.4"]),
    (SC + "hangzhou-2011.toml", ['rule.grading.scope="within_class"', "world.departments=30"]),
    (SC + "mlr-2011.toml", []),
    (SC + "teaching/audit.toml", []),
    (SC + "teaching/goodhart.toml", []),
    (SC + "theory/v7e-events.toml", []),
]


def _choices(monkeypatch, path, overrides, restrict: bool, reps: int):
    """Every best response's (effort, gaming, pick) of a short run, with or without the restricted
    candidates."""
    seen = []
    choose = payoff.choose

    def recording(ctx, prof, g0, d_s_dm, effort, held=None):
        if not restrict:
            effort = dataclasses.replace(effort, restrict=None)
        out = choose(ctx, prof, g0, d_s_dm, effort, held)
        seen.append(tuple(np.array(x, copy=True) for x in out))
        return out

    monkeypatch.setattr(payoff, "choose", recording)
    sc = perfsim.load_scenario(path, [*overrides, "world.max_iterations=6"])
    perfsim.simulate(sc, reps=reps, seed=3, overrides=['world.policy="best_response"'])
    monkeypatch.undo()
    return seen


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize(
    ("path", "overrides"), CASES, ids=lambda x: Path(x).stem if isinstance(x, str) else "-".join(x)
)
def test_restricted_candidates_give_the_same_choices_bit_for_bit(monkeypatch, path, overrides):
    full = _choices(monkeypatch, path, overrides, restrict=False, reps=5)
    rows = _choices(monkeypatch, path, overrides, restrict=True, reps=5)
    assert len(full) == len(rows) > 0
    picks = np.concatenate([p.ravel() for _, _, p, _ in full])
    for (e1, g1, p1, f1), (e2, g2, p2, f2) in zip(full, rows, strict=True):
        np.testing.assert_array_equal(p1, p2)
        np.testing.assert_array_equal(f1, f2)
        np.testing.assert_array_equal(g1, g2)
        np.testing.assert_array_equal(e1, e2)
    # the comparison must cover more than the interior point: some department picks another
    if path.endswith("hangzhou-2011.toml") and not overrides:
        assert (picks > 0).any()


def test_take_departments_keeps_the_order_and_the_trailing_axes():
    x = np.arange(2 * 3 * 4, dtype=float).reshape(2, 3, 4)
    idx = np.array([5, 0, 3, 3])
    out = take_departments(x, idx)
    assert out.shape == (1, 4, 4)
    for n, i in enumerate(idx):
        np.testing.assert_array_equal(out[0, n], x[i // 3, i % 3])
    assert take_departments(x[..., 0], idx).shape == (1, 4)


def _kinks(rng, lo):
    shape = (3, 5, 2)
    return kinks.Kinks(
        slope=rng.uniform(0.5, 2.0, shape),
        clip_lo=np.array([lo, -np.inf]),
        clip_hi=np.array([100.0, np.inf]),
        m_bar=rng.uniform(60.0, 101.0, shape),
        sd=np.array([0.5, 2.0]),
        ceiling=np.array([100.0, 110.0]),
    )


@pytest.mark.parametrize("lo", [-np.inf, 0.0, 58.0, 95.0])
@pytest.mark.parametrize("all_first", [True, False])
def test_kinks_of_some_departments_shift_as_those_of_all(lo, all_first):
    """The rows' score shift is that of all departments, whether the rows take the expected
    indicators at the profile from all departments' (computed first) or compute their own."""
    rng = np.random.default_rng(int(lo) if np.isfinite(lo) else 1)
    k = _kinks(rng, lo)
    delta = rng.normal(0.0, 3.0, k.m_bar.shape)
    idx = np.array([14, 2, 7])
    whole = k.shift(delta) if all_first else None
    sub = k.rows(idx)
    got = sub.shift(take_departments(delta, idx))
    np.testing.assert_array_equal(got, take_departments(k.shift(delta), idx))
    if whole is not None:
        np.testing.assert_array_equal(got, take_departments(whole, idx))


@pytest.mark.parametrize("lo", [-np.inf, 0.0, 58.0, 95.0])
def test_a_lower_clip_bound_is_left_out_only_where_it_is_12_sd_away(lo):
    """The shortcut (the smallest level per indicator) against the definition written out."""
    rng = np.random.default_rng(5)
    k = _kinks(rng, lo)
    for m in (k.m_bar, k.m_bar - 40.0, k.m_bar[:1, :1]):
        z = np.where(np.isfinite(k.clip_lo), (k.clip_lo - m) / k.sd, -np.inf)
        expected_out = bool(np.isfinite(k.clip_lo).any() and z.max() > -12.0)
        assert kinks.lower_matters(k.clip_lo, m, k.sd) == expected_out
        full = m - k.sd * kinks._psi((m - k.hi) / k.sd)
        if np.isfinite(k.lo).any():
            full = full + k.sd * kinks._psi(np.where(np.isfinite(k.lo), (k.lo - m) / k.sd, -np.inf))
        # where it is left out its term is below 1e-34 σ: no level changes
        np.testing.assert_array_equal(k.expected(m), full)
