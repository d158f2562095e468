"""The grade cut-off each department faces in a common-random-number sample (the K-th best score
among the *others* of its group), against its definition written out department by department, on
both of the engine's ways to find it (a sort for small groups, a partial selection for large)."""

from __future__ import annotations

import numpy as np
import pytest

from perfsim.world import profile


def _by_definition(totals, limit, groups):
    out = np.full(totals.shape, -np.inf)
    codes = np.zeros(totals.shape[-1], dtype=int) if groups is None else groups
    for d in range(totals.shape[-1]):
        mates = np.flatnonzero((codes == codes[d]) & (np.arange(totals.shape[-1]) != d))
        k = limit[codes[d]] if limit.size > 1 else limit[0]
        if np.isfinite(k) and k <= 0:
            out[..., d] = np.inf
        elif np.isfinite(k) and k <= mates.size:
            best_first = -np.sort(-totals[..., mates], axis=-1)
            out[..., d] = best_first[..., int(k) - 1]
    return out


@pytest.mark.parametrize("n", [7, 66, 600])
@pytest.mark.parametrize("grouped", [False, True])
@pytest.mark.parametrize("sort_up_to", [0, 10**6])  # always select / always sort
def test_cut_offs_are_the_kth_best_of_the_others(n, grouped, sort_up_to, monkeypatch):
    monkeypatch.setattr(profile, "_SORT_UP_TO", sort_up_to)
    rng = np.random.default_rng(n)
    totals = rng.normal(80, 5, (3, 2, n)).round(1)  # rounded: ties
    groups = rng.integers(0, 3, n) if grouped else None
    sizes = np.bincount(groups, minlength=3) if grouped else np.array([n])
    limits = [
        np.maximum(1, (0.15 * sizes).round()),  # a quota of 15 %
        np.minimum(sizes, 2),
        np.full(sizes.shape, np.inf),  # no quota
        np.zeros(sizes.shape),  # none may have it
        sizes.astype(float),  # everybody may
    ]
    found = profile.kth_of_others_many(totals, limits, groups)
    for limit, got in zip(limits, found, strict=True):
        np.testing.assert_array_equal(got, _by_definition(totals, limit, groups))
