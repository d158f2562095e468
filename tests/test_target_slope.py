"""Target attainment's marginal score in a department's own level (perfsim.world.marginals): the
cap smoothed in the department's own noise, against the expected slope derived independently
(benefit: span/T · Φ((cap T − m)/σ); cost: the integral of span T/x² over the reports below the
cap's value, by quadrature), and without the steps that a cut at the cap left in a mean over a few
common-random-number samples."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate
from scipy.stats import norm

from perfsim.rules import slopes
from perfsim.world.draws import crn_normals
from perfsim.world.marginals import target_slope

CASES = [  # (benefit, target, cap, sd, span)
    (True, 100.0, 1.2, 5.0, 100.0),
    (True, 2.0, 1.5, 0.04, 40.0),
    (True, 50.0, 1.05, 10.0, 100.0),
    (False, 2.0, 1.2, 0.15, 100.0),
    (False, 30.0, 1.5, 2.0, 60.0),
]


def _levels(benefit, target, cap, sd, n):
    """Own noise-free levels from 3 σ on one side of the cap's value to 3 σ on the other."""
    at_cap = target * cap if benefit else target / cap
    return at_cap + np.linspace(-3.0, 3.0, n) * sd


def _mean_slope(levels, draws, benefit, target, cap, sd, span):
    """The slope averaged over the samples at each level (levels along the department axis)."""
    values = (levels[None, :] + sd * draws[:, : levels.size])[..., None]  # (S, n, 1)
    one = lambda v: np.array([v])  # noqa: E731
    out = target_slope(values, target, one(sd), benefit=one(benefit), span=one(span), cap=one(cap))
    return out.mean(axis=0)[:, 0]


def _expected(m, benefit, target, cap, sd, span):
    """d/dm E[score(m + ε)], ε ~ N(0, σ²), from first principles: the score is span · min(ratio,
    cap) with ratio = x/T (benefit) or T/x (cost, the cap also for x ≤ 0)."""
    if benefit:
        return span / target * norm.cdf((target * cap - m) / sd)
    at_cap = target / cap  # ratio below the cap where x > T/cap

    def integrand(x):
        return -span * target / x**2 * norm.pdf((x - m) / sd) / sd

    return integrate.quad(integrand, at_cap, m + 12 * sd, limit=200)[0]


@pytest.mark.parametrize(("benefit", "target", "cap", "sd", "span"), CASES)
def test_the_smoothed_slope_matches_the_expected_slope_with_many_samples(
    benefit, target, cap, sd, span
):
    """With S = 4,096 Latin-hypercube samples the kernel's bandwidth is 0.2 σ: the smoothed
    slope is within 1 % of the slope's scale (span/T; span·cap²/T for a cost) of the exact
    expectation at every level (the bandwidth's bias: √(1 + 0.2²) widens the edge by 2 %, at most
    ~0.5 % of the scale, as measured; LHS error below 0.1 %)."""
    draws = crn_normals(np.random.default_rng(0), "lhs", 4096, (41,))
    levels = _levels(benefit, target, cap, sd, 41)
    got = _mean_slope(levels, draws, benefit, target, cap, sd, span)
    want = np.array([_expected(m, benefit, target, cap, sd, span) for m in levels])
    scale = span / target * (1.0 if benefit else cap**2)
    assert np.abs(got - want).max() < 0.01 * scale


@pytest.mark.parametrize(("benefit", "target", "cap", "sd", "span"), CASES)
def test_with_16_samples_the_slope_has_no_steps_at_the_cap(benefit, target, cap, sd, span):
    """The department's own level moving by σ/200 across the cap's value: the cut slope
    (perfsim.rules.slopes.slope, zero past the cap in each sample) jumps by a sample's share,
    1/16 of the slope, where a sample crosses the cap; the smoothed one moves by far less."""
    draws = crn_normals(np.random.default_rng(1), "lhs", 16, (1201,))
    draws = np.broadcast_to(draws[:, :1], (16, 1201))  # the same 16 draws at every level
    levels = _levels(benefit, target, cap, sd, 1201)
    smooth = _mean_slope(levels, draws, benefit, target, cap, sd, span)
    values = (levels[None, :] + sd * draws)[..., None]
    one = lambda v: np.array([v])  # noqa: E731
    cut = slopes.slope(
        "target", values, benefit=one(benefit), base=one(0.0), span=one(span),
        target=np.full(values.shape, target), cap=one(cap),
    ).mean(axis=0)[:, 0]  # fmt: skip
    scale = span / target * (1.0 if benefit else cap**2)
    assert np.abs(np.diff(cut)).max() > 0.9 * scale / 16  # the steps the smoothing removes
    assert np.abs(np.diff(smooth)).max() < 0.1 * scale / 16
