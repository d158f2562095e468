"""Weights: entropy and CRITIC against pymcdm, AHP against a direct eigenvector computation."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from pymcdm.weights import critic_weights, entropy_weights

from perfsim.rules.weights import (
    RANDOM_INDEX,
    WEIGHTING_METHODS,
    AHPResult,
    InconsistentJudgementsError,
    ahp,
    critic,
    entropy,
    equal,
    fixed,
    per_class,
)

SHAPES = [(3, 2), (5, 3), (8, 4), (12, 6), (30, 5), (4, 7)]


def _cases():
    rng = np.random.default_rng(20240501)
    for m, n in SHAPES:
        for _ in range(4):
            x = rng.uniform(0.5, 100.0, size=(m, n)) * rng.uniform(0.1, 10.0, size=n)
            benefit = rng.random(n) < 0.6
            yield x, benefit


# --- entropy (熵权法) ------------------------------------------------------------------------


@pytest.mark.parametrize("x,benefit", list(_cases()))
def test_entropy_matches_pymcdm(x, benefit):
    np.testing.assert_allclose(entropy(x), entropy_weights(x), rtol=0, atol=1e-9)
    # pymcdm ignores criterion types; our cost columns are mapped to 1/x first
    mapped = np.where(benefit, x, 1.0 / x)
    np.testing.assert_allclose(entropy(x, benefit=benefit), entropy_weights(mapped), atol=1e-9)


def test_entropy_degenerate():
    x = np.array([[1.0, 2.0, 5.0], [1.0, 4.0, 5.0], [1.0, 9.0, 5.0]])
    w = entropy(x)
    assert w[0] == 0.0 and w[2] == 0.0 and w[1] == pytest.approx(1.0)
    np.testing.assert_allclose(entropy(np.full((4, 3), 2.0)), 1 / 3)
    np.testing.assert_allclose(entropy(x[:1]), 1 / 3)  # a single department
    zeros = np.array([[0.0, 1.0], [0.0, 2.0], [0.0, 3.0]])
    np.testing.assert_allclose(entropy(zeros), [0.0, 1.0])
    with pytest.raises(ValueError, match="cost"):
        entropy(zeros, benefit=[False, True])


# --- CRITIC -----------------------------------------------------------------------------------


@pytest.mark.parametrize("x,benefit", list(_cases()))
def test_critic_matches_pymcdm(x, benefit):
    np.testing.assert_allclose(critic(x), critic_weights(x), rtol=0, atol=1e-9)
    # pymcdm ignores criterion types; negating a cost column orients it the textbook way
    oriented = np.where(benefit, x, -x)
    np.testing.assert_allclose(critic(x, benefit=benefit), critic_weights(oriented), atol=1e-9)


def test_critic_constant_column_is_ignored():
    rng = np.random.default_rng(3)
    x = rng.uniform(1, 5, size=(10, 3))
    with_const = np.column_stack([x[:, 0], np.full(10, 4.0), x[:, 1:]])
    w = critic(with_const, benefit=[True, True, False, True])
    assert np.all(np.isfinite(w)) and w[1] == 0.0
    np.testing.assert_allclose(w[[0, 2, 3]], critic(x, benefit=[True, False, True]), atol=1e-12)
    np.testing.assert_allclose(critic(np.full((5, 3), 1.0)), 1 / 3)
    np.testing.assert_allclose(critic(x[:1]), 1 / 3)


# --- batches ----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", [entropy, critic])
def test_batch_equals_loop(method):
    rng = np.random.default_rng(4)
    x = rng.uniform(1, 50, size=(3, 2, 9, 4))
    benefit = [True, False, True, False]
    got = method(x, benefit=benefit)
    assert got.shape == (3, 2, 4)
    for i in range(3):
        for j in range(2):
            np.testing.assert_allclose(got[i, j], method(x[i, j], benefit=benefit), atol=1e-14)


def test_fixed_equal_per_class():
    x = np.ones((2, 5, 3))
    np.testing.assert_allclose(fixed(x, weights=[2.0, 1.0, 1.0]), [[0.5, 0.25, 0.25]] * 2)
    np.testing.assert_allclose(equal(x), np.full((2, 3), 1 / 3))
    with pytest.raises(ValueError):
        fixed(x, weights=[-1.0, 1.0, 1.0])
    with pytest.raises(ValueError):
        fixed(x, weights=[0.0, 0.0, 0.0])
    w = per_class([[1.0, 1.0], [3.0, 1.0]], np.array([1, 0, 1]))
    np.testing.assert_allclose(w, [[0.75, 0.25], [0.5, 0.5], [0.75, 0.25]])
    with pytest.raises(ValueError, match="class codes"):
        per_class([[1.0, 1.0]], np.array([0, 1]))
    assert set(WEIGHTING_METHODS) == {"fixed", "equal", "entropy", "critic"}


@settings(max_examples=80, deadline=None)
@given(
    x=hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 15), st.integers(1, 5)),
        elements=st.one_of(st.integers(1, 4).map(float), st.floats(1e-3, 1e4)),
    ),
    data=st.data(),
)
def test_weights_sum_to_one_and_never_nan(x, data):
    benefit = data.draw(hnp.arrays(np.bool_, (x.shape[1],)))
    for name, method in WEIGHTING_METHODS.items():
        if name == "fixed":
            w = method(x, weights=np.arange(1.0, x.shape[1] + 1))
        elif name == "equal":
            w = method(x)
        else:
            w = method(x, benefit=benefit)
        assert w.shape == (x.shape[1],)
        assert np.all(np.isfinite(w)) and np.all(w >= 0)
        assert w.sum() == pytest.approx(1.0, abs=1e-12)


# --- AHP --------------------------------------------------------------------------------------


def _power_iteration(a, steps=2000):
    w = np.ones(a.shape[0]) / a.shape[0]
    for _ in range(steps):
        w = a @ w
        w /= w.sum()
    lam = float(np.mean((a @ w) / w))
    return w, lam


def test_ahp_consistent_matrix_gives_exact_weights():
    true = np.array([0.4, 0.3, 0.2, 0.1])
    a = true[:, None] / true[None, :]  # a_ij = w_i / w_j: perfectly consistent
    res = ahp(a)
    assert isinstance(res, AHPResult)
    np.testing.assert_allclose(res.weights, true, atol=1e-12)
    assert res.lambda_max == pytest.approx(4.0, abs=1e-10)
    assert abs(res.ci) < 1e-10 and abs(res.cr) < 1e-10


@pytest.mark.parametrize(
    "a",
    [
        # the classic 3 × 3 example of AHP tutorials: acceptable consistency (CR ≈ 0.033)
        [[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]],
        # a nearly consistent 4 × 4 matrix (CR < 0.1)
        [[1, 2, 4, 6], [1 / 2, 1, 2, 4], [1 / 4, 1 / 2, 1, 2], [1 / 6, 1 / 4, 1 / 2, 1]],
    ],
)
def test_ahp_against_power_iteration(a):
    a = np.array(a, dtype=float)
    n = a.shape[0]
    w, lam = _power_iteration(a)
    res = ahp(a)
    np.testing.assert_allclose(res.weights, w, atol=1e-10)
    assert res.lambda_max == pytest.approx(lam, abs=1e-9)
    ci = (lam - n) / (n - 1)
    assert res.ci == pytest.approx(ci, abs=1e-9)
    assert res.cr == pytest.approx(ci / RANDOM_INDEX[n], abs=1e-9)
    assert res.cr < 0.1


def test_ahp_three_by_three_reference_values():
    res = ahp([[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]])
    # principal eigenvector of this matrix: (0.6370, 0.2583, 0.1047), λ = 3.0385
    np.testing.assert_allclose(res.weights, [0.6370, 0.2583, 0.1047], atol=1e-4)
    assert res.lambda_max == pytest.approx(3.0385, abs=1e-4)
    assert res.cr == pytest.approx((3.0385 - 3) / 2 / 0.58, abs=1e-3)


def test_ahp_inconsistent_raises_unless_allowed():
    # intransitive judgements A > B > C > A: circulant, so w = 1/3 each and λ = 1 + 5 + 1/5
    cyclic = np.array([[1, 5, 1 / 5], [1 / 5, 1, 5], [5, 1 / 5, 1]])
    with pytest.raises(InconsistentJudgementsError, match="allow_inconsistent=True") as err:
        ahp(cyclic)
    assert isinstance(err.value, ValueError) and "CR" in str(err.value)
    res = ahp(cyclic, allow_inconsistent=True)
    np.testing.assert_allclose(res.weights, 1 / 3, atol=1e-12)
    assert res.lambda_max == pytest.approx(6.2, abs=1e-12)
    w, lam = _power_iteration(cyclic)
    np.testing.assert_allclose(res.weights, w, atol=1e-10)
    assert res.cr == pytest.approx((lam - 3) / 2 / 0.58, abs=1e-9) and res.cr > 0.1


def test_ahp_validation_errors():
    with pytest.raises(ValueError, match=r"pairwise\[1, 0\].*reciprocal"):
        ahp([[1, 2], [0.4, 1]])
    with pytest.raises(ValueError, match="square"):
        ahp([[1, 2, 3], [0.5, 1, 1]])
    with pytest.raises(ValueError, match=r"pairwise\[0, 1\] = -2.*positive"):
        ahp([[1, -2], [-0.5, 1]])
    with pytest.raises(ValueError, match="reciprocal"):
        ahp([[2.0]])
    assert ahp([[1.0]]).weights.tolist() == [1.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ahp([[1, 3], [1 / 3, 1]]).cr == 0.0


def test_a_rules_class_weights_follow_the_classes_it_is_given_each_time():
    """The compiled rule computes per-class weights once per classes array (the best response asks
    twice an iteration), yet a classes array changed in place, or of another dtype, is seen."""
    import perfsim
    from perfsim.rules.pipeline import compile_rule

    sc = perfsim.load_scenario("hangzhou-2011")
    c = compile_rule(sc.rule)
    assert c.class_weights.shape[0] > 1
    classes = np.zeros(6, dtype=np.intp)
    first = c.weights_by_class(classes)
    np.testing.assert_array_equal(first, per_class(c.class_weights, classes))
    assert c.weights_by_class(classes.copy()) is first  # the same classes: computed once
    classes[2] = 1  # changed in place
    again = c.weights_by_class(classes)
    np.testing.assert_array_equal(again, per_class(c.class_weights, classes))
    assert not np.array_equal(again, first)
    with pytest.raises(ValueError, match="integer"):
        c.weights_by_class(classes.astype(float))
    with pytest.raises(ValueError):
        again[0, 0] = 1.0  # shared: read-only
