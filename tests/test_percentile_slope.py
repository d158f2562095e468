"""A department's expected percentile rank in its noise-free level, its own noise integrated
(slopes.percentile_in_level), against a Monte Carlo of the library's own percentile_rank, its
slope against a finite difference (the best response that settles: test_convergence.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perfsim.rules import normalize, slopes


@settings(max_examples=25, deadline=None)
@given(
    st.integers(3, 12),  # departments in the group
    st.booleans(),  # benefit indicator
    st.floats(0.2, 3.0),  # own noise sd
    st.floats(-4.0, 4.0),  # own level, relative to the others' middle
    st.integers(0, 2**32 - 1),
)
def test_expected_rank_is_the_monte_carlo_mean_of_percentile_rank(n, benefit, sd, level, seed):
    """E over the department's own noise of its percentile score (normalize.percentile_rank, ties
    at a ceiling sharing their ranks), by 20,000 draws: within 4 Monte Carlo standard errors, plus
    10/draws for an event too rare to be drawn (its standard error estimated as 0)."""
    rng = np.random.default_rng(seed)
    ceiling = 3.0
    x = np.minimum(rng.normal(0.0, 2.0, size=n), ceiling)
    x[0] = ceiling  # one of the others reported at the ceiling: a tie when d reaches it
    d = n - 1
    share, _ = slopes.percentile_in_level(
        x[None, :, None], np.full((1, n, 1), level), np.array([sd]), np.array([benefit]),
        np.array([ceiling]),
    )  # fmt: skip
    draws = 20_000
    table = np.repeat(x[None, :], draws, axis=0)
    table[:, d] = np.minimum(level + sd * rng.normal(size=draws), ceiling)
    score = normalize.percentile_rank(table.T, benefit=benefit, base=0.0, span=1.0)  # (n, draws)
    mc = score[d]
    assert abs(share[0, d, 0] - mc.mean()) <= 4 * mc.std(ddof=1) / np.sqrt(draws) + 10 / draws


@pytest.mark.parametrize("benefit", [True, False])
@pytest.mark.parametrize("level", [-1.0, 0.3, 2.95, 3.5])  # 2.95, 3.5: at and past the ceiling
def test_slope_is_the_derivative_of_the_expected_rank(benefit, level):
    rng = np.random.default_rng(7)
    n, sd, ceiling = 9, 0.7, 3.0
    x = np.minimum(rng.normal(1.0, 1.5, size=(4, n, 1)), ceiling)  # 4 samples
    x[:, 0] = ceiling
    args = (np.array([sd]), np.array([benefit]), np.array([ceiling]))

    def share(m):
        return slopes.percentile_in_level(x, np.full((n, 1), m), *args)[0][:, n - 1, 0]

    h = 1e-5
    numeric = (share(level + h) - share(level - h)) / (2 * h)
    got = slopes.percentile_in_level(x, np.full((n, 1), level), *args)[1][:, n - 1, 0]
    np.testing.assert_allclose(got, numeric, rtol=1e-5, atol=1e-8)
    assert (
        np.sign(got) == (1 if benefit else -1)
    ).all()  # a higher level ranks better (cost: worse)


def test_chunks_give_the_same_numbers(monkeypatch):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 2, 30, 2))
    level = x + rng.normal(0.0, 0.3, size=x.shape)
    args = (np.array([0.5, 1.0]), np.array([True, False]), np.array([np.inf, 1.0]))
    whole = slopes.percentile_in_level(x, level, *args)
    monkeypatch.setattr(slopes, "PAIR_CHUNK", 7 * 30 * 12)  # a few own departments at a time
    parts = slopes.percentile_in_level(x, level, *args)
    for a, b in zip(whole, parts, strict=True):
        np.testing.assert_array_equal(a, b)
