"""Normalisers: worked examples, degenerate groups, groups/batches, and property tests."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from perfsim.rules import normalize
from perfsim.rules.normalize import (
    NORMALIZERS,
    efficacy_coefficient,
    min_max,
    percentile_rank,
    target_attainment,
    z_score,
)

# --- efficacy coefficient (功效系数法) -------------------------------------------------------


def test_efficacy_worked_example_benefit():
    # bad (不允许值) = 50, good (满意值) = 90: score = 60 + 40 (x - 50) / 40
    x = np.array([[80.0], [50.0], [90.0], [40.0], [100.0]])
    got = efficacy_coefficient(x, bad=50.0, good=90.0)
    np.testing.assert_allclose(got[:, 0], [90.0, 60.0, 100.0, 50.0, 110.0])
    clipped = efficacy_coefficient(x, bad=50.0, good=90.0, clip=True)
    np.testing.assert_allclose(clipped[:, 0], [90.0, 60.0, 100.0, 60.0, 100.0])


def test_efficacy_worked_example_cost():
    # cost indicator: bad = 30 (too high), good = 10; x = 15 → 60 + 40 (15 - 30)/(10 - 30) = 90
    x = np.array([[15.0], [30.0], [10.0], [20.0]])
    got = efficacy_coefficient(x, benefit=False, bad=30.0, good=10.0)
    np.testing.assert_allclose(got[:, 0], [90.0, 60.0, 100.0, 80.0])


def test_efficacy_data_driven_bounds():
    x = np.array([[2.0, 2.0], [4.0, 4.0], [6.0, 6.0]])
    got = efficacy_coefficient(x, benefit=[True, False])
    np.testing.assert_allclose(got[:, 0], [60.0, 80.0, 100.0])  # bad = min 2, good = max 6
    np.testing.assert_allclose(got[:, 1], [100.0, 80.0, 60.0])  # bad = max 6, good = min 2


def test_efficacy_nan_entries_take_bounds_from_data():
    x = np.array([[2.0, 2.0], [4.0, 4.0], [6.0, 6.0]])
    got = efficacy_coefficient(x, bad=[0.0, np.nan], good=[np.nan, 10.0])
    # column 0: bad 0 (given), good 6 (data max): 60 + 40 x / 6
    np.testing.assert_allclose(got[:, 0], 60 + 40 * np.array([2, 4, 6]) / 6)
    # column 1: bad 2 (data min), good 10 (given): 60 + 40 (x - 2) / 8
    np.testing.assert_allclose(got[:, 1], [60.0, 70.0, 80.0])


def test_efficacy_custom_base_span_per_indicator():
    x = np.array([[0.0, 0.0], [1.0, 1.0]])
    got = efficacy_coefficient(x, base=[0.0, 50.0], span=[100.0, 50.0])
    np.testing.assert_allclose(got, [[0.0, 50.0], [100.0, 100.0]])


def test_efficacy_degenerate_group():
    x = np.array([[7.0, 1.0], [7.0, 2.0], [7.0, 3.0]])
    got = efficacy_coefficient(x)
    np.testing.assert_allclose(got[:, 0], 80.0)  # all equal: base + span / 2
    np.testing.assert_allclose(efficacy_coefficient(x[:1]), 80.0)  # single department
    # a singleton group is degenerate, the other group is not
    got = efficacy_coefficient(x[:, 1:], groups=[0, 1, 1])
    np.testing.assert_allclose(got[:, 0], [80.0, 60.0, 100.0])


# --- other normalisers: examples ------------------------------------------------------------


def test_min_max_example_and_degenerate():
    x = np.array([[1.0, 1.0, 3.0], [3.0, 3.0, 3.0], [5.0, 5.0, 3.0]])
    got = min_max(x, benefit=[True, False, True])
    np.testing.assert_allclose(got, [[0, 100, 50], [50, 50, 50], [100, 0, 50]])


def test_z_score_example_and_degenerate():
    x = np.array([[1.0, 1.0, 2.0], [3.0, 3.0, 2.0]])  # mean 2, population sd 1
    got = z_score(x, benefit=[True, False, True])
    np.testing.assert_allclose(got, [[40, 60, 50], [60, 40, 50]])
    np.testing.assert_allclose(z_score(x[:1]), 50.0)


def test_percentile_rank_example():
    x = np.array([[10.0], [30.0], [20.0], [20.0], [40.0]])
    # ascending average ranks 1, 4, 2.5, 2.5, 5 → (r - 1) / 4
    np.testing.assert_allclose(percentile_rank(x)[:, 0], [0, 75, 37.5, 37.5, 100])
    np.testing.assert_allclose(percentile_rank(x, benefit=False)[:, 0], [100, 25, 62.5, 62.5, 0])
    np.testing.assert_allclose(percentile_rank(x[:1]), 50.0)
    np.testing.assert_allclose(percentile_rank(np.ones((4, 1))), 50.0)


def test_target_attainment():
    x = np.array([[50.0, 5.0], [120.0, 20.0], [100.0, 0.0]])
    got = target_attainment(x, target=[100.0, 10.0], benefit=[True, False], cap=[np.inf, 1.5])
    # benefit: x / 100 uncapped; cost: min(10 / x, 1.5), x <= 0 → cap
    np.testing.assert_allclose(got, [[50, 150], [120, 50], [100, 150]])
    capped = target_attainment(x[:, :1], target=100.0, cap=1.1)
    np.testing.assert_allclose(capped[:, 0], [50, 110, 100])
    per_dept = target_attainment(x[:, :1], target=[[50.0], [60.0], [100.0]])
    np.testing.assert_allclose(per_dept[:, 0], [100, 200, 100])
    with pytest.raises(ValueError, match="cap"):
        target_attainment(x, target=10.0, benefit=False)
    # groups are accepted and unused
    np.testing.assert_allclose(
        target_attainment(x, target=1.0, cap=9e9, groups=[0, 1, 1]),
        target_attainment(x, target=1.0, cap=9e9),
    )


def test_one_dimensional_input_rejected():
    with pytest.raises(ValueError, match="dept, indicator"):
        min_max(np.arange(3.0))


# --- groups and batches ---------------------------------------------------------------------

KWARGS = {"target": {"target": 2.0, "cap": 3.0}}


@pytest.mark.parametrize("name", sorted(NORMALIZERS))
def test_groups_equal_separate_normalisation(name):
    f = NORMALIZERS[name]
    kw = KWARGS.get(name, {})
    rng = np.random.default_rng(1)
    x = rng.uniform(1, 10, size=(2, 9, 3))
    groups = np.array([2, 0, 0, 1, 2, 0, 1, 1, 2])
    got = f(x, benefit=[True, False, True], groups=groups, **kw)
    for g in range(3):
        m = groups == g
        np.testing.assert_allclose(got[:, m], f(x[:, m], benefit=[True, False, True], **kw))


@pytest.mark.parametrize("name", sorted(NORMALIZERS))
def test_batch_equals_loop(name):
    f = NORMALIZERS[name]
    kw = KWARGS.get(name, {})
    x = np.random.default_rng(2).uniform(1, 10, size=(2, 3, 7, 4))
    got = f(x, benefit=[True, False, False, True], **kw)
    for i in range(2):
        for j in range(3):
            np.testing.assert_allclose(
                got[i, j], f(x[i, j], benefit=[True, False, False, True], **kw)
            )


# --- properties -----------------------------------------------------------------------------

values = st.one_of(st.integers(-5, 5).map(float), st.floats(-1e3, 1e3, allow_nan=False))


@st.composite
def matrix_and_groups(draw, max_dept=12):
    n = draw(st.integers(1, max_dept))
    k = draw(st.integers(1, 3))
    x = draw(hnp.arrays(np.float64, (n, k), elements=values))
    groups = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, 2)))
    benefit = draw(hnp.arrays(np.bool_, (k,)))
    perm = draw(st.permutations(range(n)))
    return x, groups, benefit, np.array(perm, dtype=np.intp)


def _call(name, x, **kw):
    if name == "target":
        return target_attainment(np.abs(x) + 1.0, target=3.0, cap=4.0, **kw)
    return NORMALIZERS[name](x, **kw)


@pytest.mark.parametrize("name", sorted(NORMALIZERS))
@settings(max_examples=60, deadline=None)
@given(data=matrix_and_groups())
def test_permutation_equivariance(name, data):
    x, groups, benefit, perm = data
    ref = _call(name, x, benefit=benefit)
    np.testing.assert_allclose(
        _call(name, x[perm], benefit=benefit), ref[perm], rtol=1e-9, atol=1e-9
    )
    ref_g = _call(name, x, benefit=benefit, groups=groups)
    got_g = _call(name, x[perm], benefit=benefit, groups=groups[perm])
    np.testing.assert_allclose(got_g, ref_g[perm], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("name", sorted(NORMALIZERS))
@settings(max_examples=60, deadline=None)
@given(data=matrix_and_groups(), const=values)
def test_never_nan(name, data, const):
    x, groups, benefit, _ = data
    assert np.all(np.isfinite(_call(name, x, benefit=benefit, groups=groups)))
    flat = np.full_like(x, const)  # every group degenerate
    out = _call(name, flat, benefit=benefit, groups=groups)
    assert np.all(np.isfinite(out))


@pytest.mark.parametrize("name", ["efficacy", "minmax", "percentile"])
@settings(max_examples=80, deadline=None)
@given(
    data=matrix_and_groups(), who=st.integers(0, 100), rise=st.floats(0, 1e3), grouped=st.booleans()
)
def test_monotone_in_own_benefit_value(name, data, who, rise, grouped):
    x, groups, _, _ = data
    d = who % x.shape[0]
    higher = x.copy()
    higher[d, 0] += rise
    kw = {"benefit": True, "groups": groups if grouped else None}
    before = NORMALIZERS[name](x, **kw)[d, 0]
    after = NORMALIZERS[name](higher, **kw)[d, 0]
    assert after >= before - 1e-12


def test_linear_scores_the_gap_to_the_target():
    x = np.array([[3.0, 1.0], [5.0, 4.0]])
    out = normalize.linear(x, benefit=[True, False], span=[2.0, 1.0], base=10.0, target=[1.0, 2.0])
    np.testing.assert_allclose(out, [[10 + 2 * 2, 10 + 1], [10 + 2 * 4, 10 - 2]])
    np.testing.assert_allclose(normalize.linear(x), x)  # a piece rate on the raw value
