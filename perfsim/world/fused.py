"""Every common-random-number sample's total score in one compiled pass, for the best response's
profile (:func:`perfsim.world.profile.scores`).

The profile scores each department in each sample: the reported indicators
``min(m̄ + σε, ceiling)``, their efficacy coefficients (功效系数法), the weighted sum of each
component, the rater components read from the sampled rater scores, and the weighted sum of the
components. Through the rule's pipeline (:func:`perfsim.rules.pipeline.evaluate`) these are some
twenty passes over arrays of (sample, replication, department, indicator), each larger than the
processor's caches; :func:`totals` does them in one pass per department and sample, and writes the
total alone.

It serves the rules whose stages take each department on its own (:func:`fits`): every indicator
scored by the efficacy coefficient with both bounds given (no group statistic), fixed weights,
and weighted sums of fewer than eight terms. The arithmetic is the pipeline's,
operation for operation and in the same order (no fused multiply-add: numba does not contract
without ``fastmath``), so the totals are the same to the last bit (``tests/test_fused.py``). Other
rules take the pipeline.
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

from ..rules.pipeline import CompiledRule

#: a weighted sum of this many terms or more adds them as numpy's pairwise sum does, not in order
_IN_ORDER_BELOW = 8


def fits(c: CompiledRule) -> bool:
    """Whether :func:`totals` computes the rule's totals: efficacy coefficients with given
    bounds, fixed weights, weighted sums of fewer than eight terms. (The profile's totals have
    no adjustments: the expected points of the events' items are added to them, ``points``.)"""
    if not c.indicators:
        return False
    given = np.isfinite(c.bad).all() and np.isfinite(c.good).all()
    return (
        all(m == "efficacy" for m in c.methods)
        and bool(given)
        and c.rule.weights.method not in ("entropy", "critic")
        and all(m == "weighted_sum" for m in c.component_methods)
        and c.rule.aggregate.components != "borda"
        and len(c.components) < _IN_ORDER_BELOW
        and all(
            0 < len(idx) < _IN_ORDER_BELOW
            for name, idx in zip(c.components, c.component_members, strict=True)
            if name not in c.column_components
        )
    )


def totals(
    c: CompiledRule,
    classes: NDArray | None,
    m_bar: NDArray,
    draws: NDArray,
    ceiling: NDArray,
    raters: tuple[NDArray, NDArray, NDArray] | None,
    rater_names: tuple[str, ...],
    points: NDArray | None,
) -> NDArray:
    """The totals ``(S, B, D)`` of the pipeline for noise-free indicators ``m_bar`` (B, D, J) and
    measurement draws ``draws`` laid out (S, J, B, D), reported up to ``ceiling`` (J,); ``raters``
    the rater scores' draws, sd and mean, ``(η (S, R, B, D), sd (B, D, R), mean (B, D, R))`` (a
    sample's rater score is ``η sd + mean``), in the order of ``rater_names``; ``points`` (B, D)
    added to every sample (None: nothing). ``classes``: the departments' classes, for class
    weights. Only for a rule that :func:`fits`."""
    s, j, b, d = draws.shape
    n_comp = len(c.components)
    lo, hi = np.minimum(c.base, c.base + c.span), np.maximum(c.base, c.base + c.span)
    w = c.weights_by_class(classes) if c.class_weights.shape[0] > 1 else c.class_weights[0]
    weights = np.ascontiguousarray(np.broadcast_to(w, (d, j)).T, dtype=float)  # (J, D)
    sums = np.ones((n_comp, d))  # each indicator component's weight sum, as the pipeline's
    rater = np.full(n_comp, -1, dtype=np.intp)
    marks = np.ones(n_comp)
    members, starts = [], [0]
    for k, (name, idx) in enumerate(zip(c.components, c.component_members, strict=True)):
        if name in c.column_components:
            col = c.column_components.index(name)
            rater[k], marks[k] = rater_names.index(name), c.full_marks[col]
        else:
            members.extend(int(i) for i in idx)
            sums[k] = np.asarray(w[..., idx], dtype=float).sum(axis=-1)
        starts.append(len(members))
    eta, sd, mean = (
        raters if raters is not None else (np.zeros((s, 0, b, d)),) + (np.zeros((b, d, 0)),) * 2
    )
    out = _totals(
        np.ascontiguousarray(np.moveaxis(m_bar, -1, 0), dtype=float).reshape(j, b * d),
        np.ascontiguousarray(draws, dtype=float).reshape(s, j, b * d),
        np.ascontiguousarray(np.broadcast_to(ceiling, (j,)), dtype=float),
        np.ascontiguousarray(c.bad, dtype=float),
        np.ascontiguousarray(c.good - c.bad, dtype=float),
        np.ascontiguousarray(c.span, dtype=float),
        np.ascontiguousarray(c.base, dtype=float),
        lo,
        hi,
        bool(c.rule.normalize.clip),
        (np.array(members, dtype=np.intp), np.array(starts, dtype=np.intp), rater, marks),
        (weights, sums, np.ascontiguousarray(c.shares, dtype=float), float(c.shares.sum())),
        np.ascontiguousarray(eta, dtype=float).reshape(s, -1, b * d),
        np.ascontiguousarray(np.moveaxis(sd, -1, 0), dtype=float).reshape(-1, b * d),
        np.ascontiguousarray(np.moveaxis(mean, -1, 0), dtype=float).reshape(-1, b * d),
        np.zeros(b * d) if points is None else np.ascontiguousarray(points, dtype=float).ravel(),
        points is not None,
    )
    return out.reshape(s, b, d)


@numba.njit(cache=True)
def _totals(m_bar, draws, ceiling, bad, denom, span, base, lo, hi, clip, parts, mix, eta, sd,
            mean, points, with_points):  # fmt: skip
    """The loop of :func:`totals`, indicator by indicator and component by component over the
    rows (replication, department) of one sample at a time, so that each inner loop runs over
    contiguous rows (the compiler vectorises it): ``m_bar`` (J, n), ``draws`` (S, J, n), ``eta``
    (S, R, n), ``sd`` and ``mean`` (R, n), the weights (J, D) and weight sums (C, D) per
    department (row i is department ``i mod D``)."""
    members, starts, rater, marks = parts
    weights, sums, shares, share_sum = mix
    n_samples, k, n = draws.shape
    n_dept = weights.shape[1]
    reps = n // n_dept
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
            for i in range(n):
                v = m_bar[j, i] + draws[s, j, i]
                v = cap if v > cap else v
                u = (v - low) / by
                u = 0.5 if dj == 0 else u
                u = u * sp
                u = u + ba
                if clip:
                    u = min(max(u, lo_j), hi_j)
                z[j, i] = u
        acc = out[s]
        for c in range(rater.size):
            r = rater[c]
            if r >= 0:  # a rater component: its full marks and back to 0–100
                mk = marks[c]
                for i in range(n):
                    val = eta[s, r, i] * sd[r, i]
                    val = val + mean[r, i]
                    x = val * mk
                    x = x / 100.0
                    x = x * 100.0
                    comp[i] = x / mk
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
