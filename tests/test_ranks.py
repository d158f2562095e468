"""Hand-written rank kernels against scipy: tie counts, bit sets, popcount, chunked Kendall τ-b."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats

from perfsim import metrics, ranks
from perfsim.rules.grade import assign_grades, rank, rank_and_grade

RNG = np.random.default_rng(7)


def _rowwise(func, *arrays):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.array([func(*row).statistic for row in zip(*arrays, strict=True)])


@pytest.mark.parametrize("shape", [(5,), (3, 9), (2, 4, 66), (6, 130), (1, 1)])
@pytest.mark.parametrize("levels", [2, 7, None])
def test_rank_bounds_match_rankdata(shape, levels):
    v = RNG.normal(size=shape) if levels is None else RNG.integers(0, levels, shape).astype(float)
    v.flat[0] = -np.inf  # infinities are ordinary values
    b = ranks.rank_bounds(v)
    np.testing.assert_array_equal(b.lt + 1, stats.rankdata(v, "min", axis=-1))
    np.testing.assert_array_equal(b.le, stats.rankdata(v, "max", axis=-1))
    np.testing.assert_array_equal(0.5 * (b.lt + b.le + 1), stats.rankdata(v, "average", axis=-1))
    n = shape[-1]
    np.testing.assert_array_equal(n - b.le + 1, stats.rankdata(-v, "min", axis=-1))
    np.testing.assert_array_equal(n - b.lt, stats.rankdata(-v, "max", axis=-1))
    np.testing.assert_array_equal(np.take_along_axis(v, b.order, -1), np.sort(v, axis=-1))


def test_rank_bounds_empty_and_scalar():
    assert ranks.rank_bounds(np.zeros((3, 0))).lt.shape == (3, 0)
    with pytest.raises(ValueError):
        ranks.rank_bounds(1.0)


@pytest.mark.parametrize("n", [1, 5, 64, 65, 130])
def test_prefix_sets_are_the_sets_below(n):
    v = RNG.integers(0, max(2, n // 3), (4, n)).astype(float)
    b = ranks.rank_bounds(v)
    sets = ranks.prefix_sets(b.order)
    assert sets.shape == (4, n + 1, -(-n // 64))
    bits = np.unpackbits(sets.view(np.uint8), axis=-1, bitorder="little")[..., :n].astype(bool)
    for r in range(4):
        for d in range(n):
            np.testing.assert_array_equal(bits[r, b.lt[r, d]], v[r] < v[r, d])
            np.testing.assert_array_equal(bits[r, b.le[r, d]], v[r] <= v[r, d])


@pytest.mark.parametrize("n", [1, 2, 5, 63, 64, 65, 130])
@pytest.mark.parametrize("ties", ["none", "x", "y", "both"])
def test_signed_pairs_is_the_sum_of_sign_products(n, ties):
    x = RNG.normal(size=(6, n))
    y = x + RNG.normal(size=(6, n))
    if ties in ("x", "both"):
        x = np.round(x)
    if ties in ("y", "both"):
        y = np.round(2 * y)
    sx = np.sign(x[:, :, None] - x[:, None, :])
    sy = np.sign(y[:, :, None] - y[:, None, :])
    expected = (sx * sy).sum(axis=(1, 2)) // 2  # each pair counted twice, never on the diagonal
    got = ranks.signed_pairs(ranks.rank_bounds(x), ranks.rank_bounds(y))
    np.testing.assert_array_equal(got, expected.astype(np.int64))


def test_popcount_table_fallback_matches():
    words = RNG.integers(0, 2**63, (50, 3), dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    words[0, 0] = np.uint64(2**64 - 1)
    expected = np.array([[bin(int(w)).count("1") for w in row] for row in words])
    np.testing.assert_array_equal(ranks._popcount_table(words), expected)
    np.testing.assert_array_equal(ranks.popcount(words), expected)


@pytest.mark.parametrize("n", [2, 3, 63, 64, 65, 66, 200])
@pytest.mark.parametrize("levels", [2, 5, None])
def test_kendall_and_spearman_match_scipy_across_word_boundaries(n, levels):
    shape = (9, n)
    if levels is None:
        x = RNG.normal(size=shape)
        y = x + RNG.normal(size=shape)
    else:
        x = RNG.integers(0, levels, shape).astype(float)
        y = x + RNG.integers(0, levels, shape)
    x[1] = 3.0  # constant row: NaN
    y[2, 0] = np.nan  # NaN in a row: NaN
    tau = metrics.kendall_tau_b(x, y)
    np.testing.assert_allclose(tau, _rowwise(stats.kendalltau, x, y), rtol=0, atol=1e-12)
    rho = metrics.spearman_rho(x, y)
    np.testing.assert_allclose(rho, _rowwise(stats.spearmanr, x, y), rtol=0, atol=1e-12)
    fid = metrics.rank_fidelity(x, y)
    np.testing.assert_array_equal(fid["kendall_tau"], tau)
    np.testing.assert_array_equal(fid["spearman_rho"], rho)


def test_kendall_chunks_agree(monkeypatch):
    x = RNG.integers(0, 6, (23, 70)).astype(float)
    y = x + RNG.normal(size=x.shape)
    whole = metrics.kendall_tau_b(x, y)
    monkeypatch.setattr(metrics, "_TAU_CHUNK_WORDS", 150)  # one replication per chunk
    np.testing.assert_array_equal(metrics.kendall_tau_b(x, y), whole)
    monkeypatch.setattr(metrics, "_TAU_CHUNK_WORDS", 700)  # several per chunk, a partial last one
    np.testing.assert_array_equal(metrics.kendall_tau_b(x, y), whole)
    np.testing.assert_allclose(whole, _rowwise(stats.kendalltau, x, y), rtol=0, atol=1e-12)


scores = hnp.arrays(
    np.float64,
    st.tuples(st.integers(1, 3), st.integers(1, 12)),
    elements=st.one_of(st.integers(0, 4).map(float), st.floats(-50, 50, allow_nan=False)),
)


@settings(max_examples=80, deadline=None)
@given(scores, st.sampled_from(["exclude", "include"]), st.booleans())
def test_rank_and_grade_equal_the_separate_functions(s, ties, grouped):
    n = s.shape[-1]
    groups = np.arange(n) % 2 if grouped else None
    kw = dict(n_bands=4, quotas=[0.2, 0.3, np.nan], thresholds=[1.0, np.nan, 0.0], ties=ties)
    r, g = rank_and_grade(s, groups=groups, **kw)
    np.testing.assert_array_equal(r, rank(s, groups=groups))
    np.testing.assert_array_equal(g, assign_grades(s, groups=groups, **kw))
    if groups is None:
        np.testing.assert_array_equal(r, stats.rankdata(-s, "min", axis=-1))


# --- Kendall τ-b for many departments: merge-sort pair counts ------------------------------------


def _brute_pair_counts(x: np.ndarray, y: np.ndarray) -> tuple[int, int]:
    """Discordant pairs and pairs tied in both, from every pair (the definitions)."""
    dx = np.sign(x[:, None] - x[None, :])
    dy = np.sign(y[:, None] - y[None, :])
    upper = np.triu(np.ones(dx.shape, dtype=bool), 1)
    return int(((dx * dy < 0) & upper).sum()), int(((dx == 0) & (dy == 0) & upper).sum())


@settings(max_examples=80, deadline=None)
@given(
    hnp.arrays(np.float64, st.tuples(st.integers(1, 3), st.integers(1, 40)),
               elements=st.integers(-4, 4).map(float)),
    st.data(),
)  # fmt: skip
def test_pair_counts_match_the_definition(x, data):
    y = data.draw(hnp.arrays(np.float64, x.shape, elements=st.integers(-4, 4).map(float)))
    discordant, joint = ranks.pair_counts(ranks.rank_bounds(x), ranks.rank_bounds(y))
    expected = [_brute_pair_counts(a, b) for a, b in zip(x, y, strict=True)]
    np.testing.assert_array_equal(discordant, [d for d, _ in expected])
    np.testing.assert_array_equal(joint, [j for _, j in expected])


@pytest.mark.parametrize("n", [2, 3, 7, 64, 65, 129, 300])
@pytest.mark.parametrize("levels", [2, 9, None])
def test_merge_path_equals_bit_sets_and_scipy(monkeypatch, n, levels):
    shape = (6, n)
    if levels is None:
        x = RNG.normal(size=shape)
        y = x + RNG.normal(size=shape)
    else:
        x = RNG.integers(0, levels, shape).astype(float)
        y = x + RNG.integers(0, levels, shape)
    x[1] = 3.0  # constant row: NaN
    y[2, -1] = np.nan  # NaN in a row: NaN
    bits = metrics.kendall_tau_b(x, y)
    monkeypatch.setattr(metrics, "TAU_MERGE_ABOVE", 1)
    merged = metrics.kendall_tau_b(x, y)
    np.testing.assert_array_equal(merged, bits)  # the same integers, the same formula
    np.testing.assert_allclose(merged, _rowwise(stats.kendalltau, x, y), rtol=0, atol=1e-12)
    assert np.isnan(merged[1]) and np.isnan(merged[2])


@pytest.mark.parametrize("levels", [30, None])
def test_kendall_for_many_departments_matches_scipy(levels):
    n = metrics.TAU_MERGE_ABOVE * 5 + 3
    if levels is None:
        x = RNG.normal(size=(2, n))
        y = x + RNG.normal(size=(2, n))
    else:
        x = RNG.integers(0, levels, (2, n)).astype(float)
        y = x + RNG.integers(0, levels, (2, n))
    tau = metrics.kendall_tau_b(x, y)
    np.testing.assert_allclose(tau, _rowwise(stats.kendalltau, x, y), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(metrics.rank_fidelity(x, y)["kendall_tau"], tau)
    x[0, 5] = np.nan
    assert np.isnan(metrics.kendall_tau_b(x, y)[0])
