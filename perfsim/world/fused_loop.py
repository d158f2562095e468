"""The compiled loop of :func:`perfsim.world.fused.totals` (numba; imported by the first best
response, not by ``import perfsim``): every common-random-number sample's total score, with the
rule pipeline's arithmetic operation for operation (``tests/test_fused.py`` checks the numbers to
the last bit against the pipeline, on numpy's and on the compiled loops of
:mod:`perfsim.rules.kernels`)."""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def sampled_totals(m_bar, draws, rows, ceiling, bad, denom, span, base, lo, hi, clip, parts, mix,
                   eta, sd, mean, points, with_points):  # fmt: skip
    """The loop of :func:`perfsim.world.fused.totals`, indicator by indicator and component by
    component over the rows (replication, department) of one sample at a time, so that each inner loop runs over
    contiguous rows (the compiler vectorises it): ``m_bar`` (J, n), ``draws`` (S, J, B′, D),
    ``eta`` (S, R, B′, D), replication b's at ``rows[b]`` along B′, ``sd`` and ``mean`` (R, n),
    the weights (J, D) and weight sums (C, D) per department (row i = b D + d)."""
    members, starts, rater, marks = parts
    weights, sums, shares, share_sum = mix
    n_samples, k = draws.shape[:2]
    n_dept = weights.shape[1]
    reps = rows.size
    n = reps * n_dept
    out = np.empty((n_samples, n))
    z = np.empty((k, n))
    comp = np.empty(n)
    for s in range(n_samples):
        for j in range(k):  # the reported value and its efficacy coefficient
            cap, low, dj, sp, ba, lo_j, hi_j = (
                ceiling[j],
                bad[j],
                denom[j],
                span[j],
                base[j],
                lo[j],
                hi[j],
            )
            by = dj if dj != 0 else 1.0
            for b in range(reps):
                rb, row = rows[b], b * n_dept
                for d in range(n_dept):
                    v = m_bar[j, row + d] + draws[s, j, rb, d]
                    v = cap if v > cap else v
                    u = (v - low) / by
                    u = 0.5 if dj == 0 else u
                    u = u * sp
                    u = u + ba
                    if clip:
                        u = min(max(u, lo_j), hi_j)
                    z[j, row + d] = u
        acc = out[s]
        for c in range(rater.size):
            r = rater[c]
            if r >= 0:  # a rater component: its full marks and back to 0–100
                mk = marks[c]
                for b in range(reps):
                    rb, row = rows[b], b * n_dept
                    for d in range(n_dept):
                        val = eta[s, r, rb, d] * sd[r, row + d]
                        val = val + mean[r, row + d]
                        x = val * mk
                        x = x / 100.0
                        x = x * 100.0
                        comp[row + d] = x / mk
            else:
                first = members[starts[c]]
                for b in range(reps):
                    row = b * n_dept
                    for d in range(n_dept):
                        comp[row + d] = z[first, row + d] * weights[first, d]
                for t in range(starts[c] + 1, starts[c + 1]):
                    jt = members[t]
                    for b in range(reps):
                        row = b * n_dept
                        for d in range(n_dept):
                            comp[row + d] += z[jt, row + d] * weights[jt, d]
                for b in range(reps):
                    row = b * n_dept
                    for d in range(n_dept):
                        comp[row + d] = comp[row + d] / sums[c, d]
            if c == 0:
                for i in range(n):
                    acc[i] = comp[i] * shares[0]
            else:
                sh = shares[c]
                for i in range(n):
                    acc[i] += comp[i] * sh
        for i in range(n):
            total = acc[i] / share_sum
            if with_points:
                total = total + points[i]
            acc[i] = total
    return out
