"""Aggregators: TOPSIS against pymcdm, weighted sum, Borda, bonus/deduction points."""

import numpy as np
import pytest
from pymcdm.methods import TOPSIS
from pymcdm.normalizations import vector_normalization

from perfsim.rules.aggregate import bonus_deduction, borda, topsis, weighted_sum

SHAPES = [(3, 2), (5, 3), (8, 4), (12, 6), (40, 5), (4, 7)]


def _cases():
    rng = np.random.default_rng(7)
    for m, n in SHAPES:
        for _ in range(4):
            x = rng.uniform(0.5, 100.0, size=(m, n)) * rng.uniform(0.1, 10.0, size=n)
            w = rng.uniform(0.05, 1.0, size=n)
            benefit = rng.random(n) < 0.6
            yield x, w / w.sum(), benefit


@pytest.mark.filterwarnings("ignore:Alternatives with indices:UserWarning")
@pytest.mark.parametrize("x,w,benefit", list(_cases()))
def test_topsis_matches_pymcdm_vector_normalisation(x, w, benefit):
    # pymcdm maps a cost column to 1 - r and takes max/min as ideal/anti-ideal; distances are
    # the same as the textbook form (cost ideal = min r), so the closeness must agree exactly
    ref = TOPSIS(normalization_function=vector_normalization)(x, w, np.where(benefit, 1, -1))
    np.testing.assert_allclose(topsis(x, w, benefit=benefit), ref, rtol=0, atol=1e-9)
    # rescaling the weights changes nothing
    np.testing.assert_allclose(topsis(x, 3.0 * w, benefit=benefit), ref, atol=1e-9)


def test_topsis_batch_equals_loop_and_degenerate():
    rng = np.random.default_rng(8)
    x = rng.uniform(1, 10, size=(3, 2, 6, 4))
    w = rng.uniform(0.1, 1, size=(3, 2, 1, 4))  # batch weights, dept axis inserted
    benefit = [True, False, True, False]
    got = topsis(x, w, benefit=benefit)
    assert got.shape == (3, 2, 6)
    for i in range(3):
        for j in range(2):
            np.testing.assert_allclose(got[i, j], topsis(x[i, j], w[i, j, 0], benefit=benefit))
    flat = topsis(np.ones((4, 3)), [0.2, 0.3, 0.5])
    np.testing.assert_allclose(flat, 0.5)
    assert np.all(np.isfinite(topsis(np.zeros((3, 2)), [0.5, 0.5])))
    assert np.all((got >= 0) & (got <= 1))


def test_topsis_best_and_worst():
    x = np.array([[10.0, 1.0], [5.0, 5.0], [1.0, 10.0]])
    c = topsis(x, [0.5, 0.5], benefit=[True, False])
    np.testing.assert_allclose(c, [1.0, c[1], 0.0])
    assert 0 < c[1] < 1


def test_weighted_sum_shapes():
    z = np.array([[[80.0, 60.0], [70.0, 90.0]], [[50.0, 100.0], [0.0, 40.0]]])  # (2, 2, 2)
    np.testing.assert_allclose(weighted_sum(z, [3.0, 1.0]), [[75, 75], [62.5, 10]])
    per_dept = np.array([[1.0, 0.0], [0.0, 1.0]])  # (dept, ind), e.g. from weights.per_class
    np.testing.assert_allclose(weighted_sum(z, per_dept), [[80, 90], [50, 40]])
    batch = np.array([[[1.0, 1.0]], [[0.0, 1.0]]])  # (rep, 1, ind)
    np.testing.assert_allclose(weighted_sum(z, batch), [[70, 80], [100, 40]])
    np.testing.assert_allclose(weighted_sum(z[0], [1.0, 1.0]), [70, 80])
    with pytest.raises(ValueError):
        weighted_sum(z, [0.0, 0.0])


def test_borda():
    s = np.array([[3.0], [1.0], [2.0]])
    np.testing.assert_allclose(borda(s), [100, 0, 50])
    np.testing.assert_allclose(borda(np.array([[1.0], [1.0]])), [50, 50])  # ties share
    np.testing.assert_allclose(borda(np.array([[7.0, 2.0]])), [50])  # one department
    two = np.array([[3.0, 1.0], [2.0, 3.0], [1.0, 2.0]])
    # points: column 0 → 1, .5, 0; column 1 → 0, 1, .5
    np.testing.assert_allclose(borda(two), [50, 75, 25])
    np.testing.assert_allclose(borda(two, [3.0, 1.0]), [75, 62.5, 12.5])
    batch = np.stack([two, two[::-1]])
    np.testing.assert_allclose(borda(batch), [[50, 75, 25], [25, 75, 50]])


def test_bonus_deduction():
    total = np.array([80.0, 90.0, 70.0])
    points = np.array([[2.0, 1.0], [5.0, 0.0], [-1.0, 4.0]])  # bonus item, deduction item
    sign = np.array([1.0, -1.0])
    np.testing.assert_allclose(bonus_deduction(total, points, sign=sign), [81, 95, 66])
    capped = bonus_deduction(total, points, sign=sign, caps=[3.0, np.nan])
    np.testing.assert_allclose(capped, [81, 93, 66])
    capped = bonus_deduction(total, points, sign=sign, caps=[np.inf, 2.0], net_cap=1.5)
    np.testing.assert_allclose(capped, [81, 91.5, 68.5])
    batch = bonus_deduction(np.stack([total, total]), np.stack([points, 2 * points]), sign=sign)
    np.testing.assert_allclose(batch, [[81, 95, 66], [82, 100, 62]])
