"""The compiled loops of the rule's stages (perfsim.rules.kernels) and of the best response's
samples (perfsim.world.kernels.capped_samples) against numpy's formulation: the same numbers to
the last bit, over sweeps of shapes, groups, benefit and cost indicators, given and data-driven
bounds (with NaN entries), degenerate groups, the clip, and weights common or per department; and a
best-response run of the Hangzhou scenario with every array sent to the loops gives the same
metrics as with none."""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import perfsim
from perfsim import fastreduce
from perfsim.rules import aggregate, normalize
from perfsim.world import profile


@contextmanager
def _threshold(value: int):
    """``fastreduce.COMPILED_FROM`` set to ``value`` within the block."""
    saved = fastreduce.COMPILED_FROM
    fastreduce.COMPILED_FROM = value
    try:
        yield
    finally:
        fastreduce.COMPILED_FROM = saved


def _both(fn):
    """``fn()`` with no array sent to the compiled loops, then with every array."""
    with _threshold(1 << 62):
        reference = fn()
    with _threshold(0):
        return reference, fn()


def _same(a, b):
    assert a.shape == b.shape
    assert np.array_equal(a, b), np.abs(a - b).max()
    assert np.array_equal(np.signbit(a), np.signbit(b))


bounds = st.one_of(
    st.none(),
    st.lists(
        st.one_of(st.just(float("nan")), st.floats(-50, 150, allow_nan=False)),
        min_size=3,
        max_size=3,
    ),
)

seeds, departments = st.integers(0, 10_000), st.integers(1, 9)


@settings(max_examples=60, deadline=None)
@given(
    seed=seeds,
    lead=st.lists(st.integers(1, 4), min_size=0, max_size=2),
    n_dept=departments,
    n_groups=st.integers(0, 3),
    benefit=st.lists(st.booleans(), min_size=3, max_size=3),
    bad=bounds,
    good=bounds,
    clip=st.booleans(),
    ties=st.booleans(),
)
def test_efficacy_loop_is_numpys_to_the_last_bit(
    seed, lead, n_dept, n_groups, benefit, bad, good, clip, ties
):
    rng = np.random.default_rng(seed)
    x = rng.normal(80.0, 15.0, (*lead, n_dept, 3))
    if ties:  # equal departments: a degenerate (good == bad) group or indicator
        x[..., 1] = 70.0
    groups = None if n_groups == 0 else rng.integers(0, n_groups, n_dept) * 10 + 3
    kwargs = dict(benefit=benefit, bad=bad, good=good, base=[60.0, 0.0, 10.0], span=40.0)

    def run():
        return normalize.efficacy_coefficient(x, clip=clip, groups=groups, **kwargs)

    _same(*_both(run))


@settings(max_examples=40, deadline=None)
@given(
    seed=seeds,
    lead=st.lists(st.integers(1, 4), min_size=1, max_size=2),
    n_dept=departments,
    k=st.integers(1, 7),
    per_dept=st.booleans(),
)
def test_weighted_sum_loop_is_numpys_to_the_last_bit(seed, lead, n_dept, k, per_dept):
    rng = np.random.default_rng(seed)
    z = rng.normal(70.0, 20.0, (*lead, n_dept, k))
    w = rng.uniform(0.0, 1.0, (n_dept, k) if per_dept else k) + 0.01
    _same(*_both(lambda: aggregate.weighted_sum(z, w)))


@settings(max_examples=30, deadline=None)
@given(seed=seeds, ceiling=st.sampled_from([90.0, np.inf]))
def test_capped_samples_loop_is_numpys_to_the_last_bit(seed, ceiling):
    rng = np.random.default_rng(seed)
    m_bar = rng.normal(85.0, 10.0, (3, 5, 4))
    draws = rng.normal(0.0, 5.0, (6, 3, 5, 4))
    cap = np.array([ceiling, 100.0, ceiling, 95.0])
    _same(*_both(lambda: profile._capped_samples(m_bar, draws, cap)))


def test_a_nan_passes_the_ceiling_in_the_loop_as_in_numpy():
    m_bar = np.array([[[np.nan, 1.0]]])
    draws = np.zeros((2, 1, 1, 2))
    ref, got = _both(lambda: profile._capped_samples(m_bar, draws, np.array([0.5, 0.5])))
    assert np.isnan(got[:, 0, 0, 0]).all() and np.isnan(ref[:, 0, 0, 0]).all()
    assert (got[..., 1] == 0.5).all()


def test_bad_groups_are_refused_on_the_compiled_path_too():
    x = np.ones((2, 4, 3))
    with _threshold(0), pytest.raises(ValueError, match=r"groups must have shape \(4,\)"):
        normalize.efficacy_coefficient(x, groups=[0, 1])
    with _threshold(0), pytest.raises(ValueError, match="groups"):
        normalize.efficacy_coefficient(x, groups=[0.0, np.nan, 1.0, 1.0])


def test_a_best_response_run_is_the_same_with_the_loops():
    sc = perfsim.load_scenario("hangzhou-2011")
    plain, loops = _both(lambda: perfsim.simulate(sc, reps=4, seed=5))
    assert plain.metrics.equals(loops.metrics)
    assert plain.metadata["iterations_mean"] == loops.metadata["iterations_mean"]
