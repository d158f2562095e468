"""Compiled loops (numba) for the rule's stages on large batches of samples.

The best response scores every common-random-number sample of every replication at once: arrays of
``(sample, replication, department, indicator)``, a few megabytes each, larger than the processor's
caches. numpy runs a stage such as the efficacy coefficient (功效系数法) as half a dozen whole-array
passes (subtract, divide, multiply, add, two clips), each reading and writing the whole array from
memory; :func:`efficacy` does them in one pass, and :func:`dot_last` adds a weighted sum over the
last axis without one strided pass per column.

Each loop does the numpy formulation's arithmetic operation for operation, in the same order (no
fused multiply-add: numba does not contract without ``fastmath``), so the numbers are the same to
the last bit (``tests/test_rule_kernels.py`` checks equality). Callers use them only for arrays of
at least :data:`perfsim.fastreduce.COMPILED_FROM` values: below, numpy's passes stay in the caches
and the call costs less than the import of numba (about 0.5 s on the first use in a process)."""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray


@numba.njit(cache=True)
def _row_bounds(row, codes, n_groups, benefit, bad, good, b_flat, denom_flat):
    """Fill ``b_flat`` and ``denom_flat`` (dept·indicator) with one row's (dept, indicator)
    efficacy bounds: ``bad`` and ``good − bad``, NaN entries of ``bad`` and ``good`` taken from
    the group's data (min and max over its departments)."""
    n, k = row.shape
    lo = np.full((n_groups, k), np.inf)
    hi = np.full((n_groups, k), -np.inf)
    for d in range(n):
        grp = codes[d]
        for j in range(k):
            v = row[d, j]
            if v < lo[grp, j]:
                lo[grp, j] = v
            if v > hi[grp, j]:
                hi[grp, j] = v
    for d in range(n):
        grp = codes[d]
        for j in range(k):
            low, high = lo[grp, j], hi[grp, j]
            b = bad[j] if not np.isnan(bad[j]) else (low if benefit[j] else high)
            g = good[j] if not np.isnan(good[j]) else (high if benefit[j] else low)
            b_flat[d * k + j] = b
            denom_flat[d * k + j] = g - b


@numba.njit(cache=True)
def efficacy(x, codes, n_groups, benefit, bad, good, base, span, clip):
    """:func:`perfsim.rules.normalize.efficacy_coefficient` of ``x`` (rows, dept, indicator),
    C-contiguous: ``base + span (x − bad)/(good − bad)`` (``base + span/2`` where ``good ==
    bad``), clipped to ``[base, base + span]`` with ``clip``; the bounds per group of departments
    (``codes``: each department's group, 0 … n_groups − 1), NaN entries of ``bad`` and ``good``
    taken from the group's data. The inner loop runs over a row's departments and indicators as
    one long loop, with the per-indicator terms tiled to match (vectorised: no per-indicator
    loop of five)."""
    rows, n, k = x.shape
    size = n * k
    flat = x.reshape(rows, size)
    out = np.empty((rows, size))
    b_flat, denom_flat = np.empty(size), np.empty(size)
    sp, ba, lo, hi = np.empty(size), np.empty(size), np.empty(size), np.empty(size)
    for i in range(size):
        j = i % k
        sp[i], ba[i] = span[j], base[j]
        lo[i] = min(base[j], base[j] + span[j])
        hi[i] = max(base[j], base[j] + span[j])
    from_data = False
    for j in range(k):
        from_data = from_data or np.isnan(bad[j]) or np.isnan(good[j])
    for r in range(rows):
        if r == 0 or from_data:
            _row_bounds(x[r], codes, n_groups, benefit, bad, good, b_flat, denom_flat)
        src, dst = flat[r], out[r]
        for i in range(size):
            denom = denom_flat[i]
            unit = (src[i] - b_flat[i]) / (denom if denom != 0 else 1.0)
            unit = 0.5 if denom == 0 else unit
            unit = unit * sp[i]
            unit = unit + ba[i]
            if clip:
                unit = min(max(unit, lo[i]), hi[i])
            dst[i] = unit
    return out.reshape(rows, n, k)


@numba.njit(cache=True)
def dot_last(values, w):
    """``Σ_j values[..., j] w[..., j]`` for ``values`` (rows, dept, k), C-contiguous, and weights
    ``w`` (dept, k) (a common row repeated by the caller), the products added from the first in
    order (:func:`perfsim.rules.aggregate._dot_last`'s order)."""
    rows, n, k = values.shape
    out = np.empty((rows, n))
    for r in range(rows):
        for d in range(n):
            s = values[r, d, 0] * w[d, 0]
            for j in range(1, k):
                s += values[r, d, j] * w[d, j]
            out[r, d] = s
    return out


def group_codes(groups, n_dept: int) -> tuple[NDArray, int]:
    """Each department's group as 0 … n − 1 (all 0 without groups), and the number of groups."""
    if groups is None:
        return np.zeros(n_dept, dtype=np.intp), 1
    _, codes = np.unique(np.asarray(groups), return_inverse=True)
    codes = codes.astype(np.intp).reshape(-1)
    return codes, int(codes.max()) + 1 if codes.size else 1
