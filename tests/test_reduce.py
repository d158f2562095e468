"""The fast reductions of perfsim.fastreduce against numpy's own, and the shared sorts of the engine."""

import numpy as np
import pytest

from perfsim import engine, fastreduce, metrics, ranks

RNG = np.random.default_rng(11)


def _data(shape):
    # values spread over many magnitudes, so that a different order of additions would show
    return RNG.standard_normal(shape) * 10.0 ** RNG.integers(-6, 6, shape)


@pytest.mark.parametrize(
    "shape",
    [(4, 7, 1), (256, 66, 3), (40, 66, 5), (20, 66, 7), (3, 5, 6), (2, 9, 7), (5, 4, 8), (3, 12)],
)
def test_last_axis_reductions_equal_numpy(shape):
    x = _data(shape)
    np.testing.assert_array_equal(fastreduce.sum_last(x), x.sum(axis=-1))
    np.testing.assert_array_equal(fastreduce.mean_last(x), x.mean(axis=-1))
    np.testing.assert_array_equal(fastreduce.mean_last(x, keepdims=True), x.mean(-1, keepdims=True))
    np.testing.assert_array_equal(fastreduce.var_last(x), x.var(axis=-1))


@pytest.mark.parametrize("shape", [(4, 7, 1), (100, 66, 11), (40, 66, 5), (3, 5, 6), (3, 12)])
@pytest.mark.parametrize("special", [None, np.nan, np.inf, -np.inf, -0.0])
def test_largest_absolute_value_over_the_last_axis_equals_numpy(shape, special):
    x = _data(shape)
    if special is not None:
        x.reshape(-1)[:: max(1, x.size // 7)] = special
    got = fastreduce.max_abs_last(x)
    np.testing.assert_array_equal(got, np.abs(x).max(axis=-1, initial=0.0))
    assert not np.signbit(got).any()


@pytest.mark.parametrize("shape", [(4, 7, 1), (256, 66, 3), (3, 500, 6), (6, 5)])
def test_department_axis_reductions_equal_numpy(shape):
    x = _data(shape)
    np.testing.assert_array_equal(fastreduce.sum_dept(x), x.sum(axis=1))
    np.testing.assert_array_equal(
        fastreduce.sum_dept(x, keepdims=True), x.sum(axis=1, keepdims=True)
    )
    np.testing.assert_array_equal(fastreduce.mean_dept(x, keepdims=True), x.mean(1, keepdims=True))
    np.testing.assert_array_equal(fastreduce.std_dept(x), x.std(axis=1))


@pytest.mark.parametrize("shape", [(16, 7, 66), (15, 3, 5), (2, 4, 9), (3, 10), (1, 6), (64, 2, 3)])
def test_median_over_the_first_axis_equals_numpy(shape):
    x = _data(shape)
    x[0, 0] = x[-1, 0]  # ties
    np.testing.assert_array_equal(fastreduce.median_first(x), np.median(x, axis=0))


def test_sum_last_of_a_broadcast_view():
    e = np.broadcast_to(np.array([1.0, 0.5, 2.0]), (4, 5, 3))
    np.testing.assert_array_equal(fastreduce.sum_last(e), e.sum(axis=-1))


@pytest.mark.parametrize("levels", [None, 3])
def test_best_first_order_is_a_stable_descending_argsort(levels):
    v = RNG.normal(size=(30, 66)) if levels is None else RNG.integers(0, levels, (30, 66)) * 1.0
    expected = np.argsort(-v, axis=-1, kind="stable")
    np.testing.assert_array_equal(ranks.best_first_order(v), expected)
    np.testing.assert_array_equal(ranks.best_first_order(v, ranks.rank_bounds(v)), expected)


def test_shared_orders_give_the_same_metrics():
    v = RNG.integers(0, 8, (20, 40)) * 1.0
    v[::2] += RNG.normal(size=(10, 40))  # rows with and without ties
    grade = RNG.integers(0, 4, v.shape)
    order = ranks.best_first_order(v, ranks.rank_bounds(v))
    kw = dict(top_share=0.15, bottom_share=0.1, bottom_grade=3)
    got = metrics.misclassification(v, grade, order=order, **kw)
    for k, ref in metrics.misclassification(v, grade, **kw).items():
        np.testing.assert_array_equal(got[k], ref)
    np.testing.assert_array_equal(
        engine.grade_confusion(v, grade, 4, order=order), engine.grade_confusion(v, grade, 4)
    )


def test_grade_confusion_matches_a_direct_count():
    v = RNG.normal(size=(6, 25))
    grade = RNG.integers(0, 3, v.shape)
    expected = np.zeros((3, 3))
    for r in range(v.shape[0]):
        counts = np.bincount(grade[r], minlength=3)
        rank = np.empty(25, dtype=int)
        rank[np.argsort(-v[r], kind="stable")] = np.arange(25)
        band = np.searchsorted(np.cumsum(counts), rank, side="right")
        for d in range(25):
            expected[band[d], grade[r, d]] += 1
    np.testing.assert_array_equal(engine.grade_confusion(v, grade, 3), expected)


@pytest.mark.parametrize("k", [1, 2, 5, 6])
def test_along_last_equals_broadcasting(k):
    x = _data((7, 9, k))
    for v in (_data((k,)), _data((9, k))):
        for ufunc in (np.add, np.subtract, np.multiply, np.divide, np.minimum, np.maximum):
            np.testing.assert_array_equal(fastreduce.along_last(ufunc, x, v), ufunc(x, v))
            out = x.copy()
            fastreduce.along_last(ufunc, out, v, out=out)
            np.testing.assert_array_equal(out, ufunc(x, v))
    strided = x[:, ::2]  # not contiguous: the plain call
    np.testing.assert_array_equal(
        fastreduce.along_last(np.add, strided, x[0, 0]), strided + x[0, 0]
    )


@pytest.mark.parametrize(
    ("shape", "j"),
    [
        ((256, 66, 6), 5),  # indicators from tasks
        ((200, 66, 6), 2),  # raters from tasks
        ((200, 66, 6), 6),  # C⁻¹ rhs
        ((7, 3, 2), 9),
        ((1, 40, 11), 1),
        ((4, 3, 66, 6), 5),  # CRN samples × replications
        ((13, 1, 6), 4),  # one department: numpy's vector path, left as it was
        ((66, 6), 3),  # no batch axis
    ],
)
def test_matmul_with_a_contiguous_transpose_equals_numpy(shape, j):
    for _ in range(3):
        x, m = _data(shape), _data((j, shape[-1]))
        np.testing.assert_array_equal(fastreduce.matmul_t(x, m), x @ m.T)


@pytest.mark.parametrize(("shape", "k"), [((200, 66), 4), ((3, 5), 1), ((7, 9), 6), ((1, 1), 2)])
def test_count_values_equals_one_comparison_per_value(shape, k):
    x = RNG.integers(0, k, size=shape)
    x[0, 0] = k - 1  # some value may be missing elsewhere: it counts 0
    expected = np.stack([(x == v).sum(axis=-1) for v in range(k)], axis=-1)
    counts = fastreduce.count_values(x, k)
    np.testing.assert_array_equal(counts, expected)
    np.testing.assert_array_equal(
        fastreduce.count_values(x.T, k), np.stack([(x == v).sum(axis=0) for v in range(k)], axis=-1)
    )
    assert counts.sum() == x.size


def test_zero_view_only_for_a_broadcast_of_positive_zero():
    assert fastreduce.zero_view(np.broadcast_to(0.0, (3, 4, 5)))
    assert not fastreduce.zero_view(np.broadcast_to(-0.0, (3, 4, 5)))  # its sums are -0.0
    assert not fastreduce.zero_view(np.broadcast_to(1e-300, (3, 4, 5)))
    assert not fastreduce.zero_view(np.zeros((3, 4, 5)))  # a real array: read as usual
    assert not fastreduce.zero_view(np.broadcast_to(np.zeros(5), (3, 4, 5)))  # one axis real
    assert not fastreduce.zero_view(np.broadcast_to(0.0, (3, 0, 5)))
    effort = _data((3, 4, 6)) ** 2
    zeros = np.broadcast_to(0.0, (3, 4, 5))
    np.testing.assert_array_equal(
        metrics.gaming_share(effort, zeros), metrics.gaming_share(effort, np.zeros((3, 4, 5)))
    )
