"""The min-max slope in a department's noise-free level (``slopes.minmax_in_level``), checked
against central differences of the expected min-max score itself: the bundled normaliser run on the
whole group with the department's value moved by its own noise, integrated by the trapezoid rule
(not the formula under test), across group sizes, directions, noise levels and positions from below
the group's min to above its max, with and without class groups."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from perfsim.rules import slopes
from perfsim.rules.normalize import NORMALIZERS

NODES = np.linspace(-9.0, 9.0, 36_001)  # trapezoid nodes of the own noise, in sd units
WEIGHTS = np.exp(-0.5 * NODES**2)
WEIGHTS /= np.trapezoid(WEIGHTS, NODES)


def expected_score(x: np.ndarray, d: int, level: float, sd: float, benefit: bool) -> float:
    """E_u score_d when department d reports ``level + sd u``, u ~ N(0, 1), the others ``x``."""
    values = np.repeat(x[None], NODES.size, axis=0)  # (node, dept)
    values[:, d] = level + sd * NODES
    scores = NORMALIZERS["minmax"](values[..., None], benefit=benefit, base=0.0, span=100.0)
    return float(np.trapezoid(scores[:, d, 0] * WEIGHTS, NODES))


CASES = list(
    itertools.product(
        [3, 5, 66],  # group size
        [True, False],  # benefit or cost indicator
        [0.2, 1.5, 6.0],  # own noise sd, against others spread over [10, 20]
        [8.0, 10.5, 15.0, 19.7, 22.0],  # own level: below the min … above the max
    )
)


@pytest.mark.parametrize(("n", "benefit", "sd", "level"), CASES)
def test_minmax_slope_in_level_is_the_derivative_of_the_expected_score(n, benefit, sd, level):
    rng = np.random.default_rng(n)
    x = rng.uniform(10.0, 20.0, size=n)
    x[0], x[1] = 10.0, 20.0  # the others' min and max (department d is the last)
    d = n - 1
    h = 1e-3
    numeric = (
        expected_score(x, d, level + h, sd, benefit) - expected_score(x, d, level - h, sd, benefit)
    ) / (2 * h)
    level_arr = np.full((1, n, 1), level)
    values = x[None, :, None].copy()
    values[0, d, 0] = level + 3.0 * sd  # the sampled own value: must not matter
    got = slopes.slope(
        "minmax",
        values,
        benefit=np.array([benefit]),
        base=np.array([0.0]),
        span=np.array([100.0]),
        own=(level_arr, np.array([sd])),
    )[0, d, 0]
    assert got == pytest.approx(numeric, rel=1e-4, abs=1e-6)


def test_minmax_slope_in_level_is_taken_within_each_group():
    """With class groups, the others are the department's own group: the slope equals the one of
    that group alone."""
    rng = np.random.default_rng(3)
    x = rng.uniform(0.0, 10.0, size=(2, 9, 3))
    level = x + rng.normal(0.0, 0.5, size=x.shape)
    groups = np.array([0, 1, 0, 2, 1, 0, 1, 2, 2])
    kw = dict(benefit=np.array([True, False, True]), base=np.zeros(3), span=np.full(3, 100.0))
    sd = np.array([0.3, 1.0, 2.0])
    together = slopes.slope("minmax", x, groups=groups, own=(level, sd), **kw)
    for g in np.unique(groups):
        idx = np.flatnonzero(groups == g)
        alone = slopes.slope("minmax", x[:, idx], own=(level[:, idx], sd), **kw)
        np.testing.assert_array_equal(together[:, idx], alone)


def test_minmax_slope_in_level_is_smooth_where_the_sampled_slope_jumps():
    """Averaged over 16 samples, the sampled slope (0 where the department is a sample's max)
    jumps as the department's level moves past the others' max; the slope in its level moves by a
    small fraction of that jump over the same step."""
    rng = np.random.default_rng(0)
    others = rng.normal(15.0, 2.0, size=(16, 40))  # 16 samples of 40 others
    sd = 1.0
    eps = rng.normal(0.0, sd, size=16)
    kw = dict(benefit=np.array([True]), base=np.zeros(1), span=np.array([100.0]))

    def both(level):
        values = np.concatenate([others, (level + eps)[:, None]], axis=1)[..., None]
        sampled = slopes.slope("minmax", values, **kw)[:, -1, 0].mean()
        smooth = slopes.slope(
            "minmax", values, own=(np.full((16, 41, 1), level), np.array([sd])), **kw
        )[:, -1, 0].mean()
        return sampled, smooth

    levels = np.linspace(15.0, 25.0, 2001)
    sampled, smooth = np.array([both(m) for m in levels]).T
    largest_jump = np.abs(np.diff(sampled)).max()
    assert largest_jump > 0.2 * np.abs(sampled).max() / 16  # a whole sample changes hands
    assert np.abs(np.diff(smooth)).max() < 0.05 * largest_jump
