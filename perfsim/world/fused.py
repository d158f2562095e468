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
rules take the pipeline. The loop is :func:`perfsim.world.fused_loop.sampled_totals` (numba is
imported by the first best response, not by ``import perfsim``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ..rules import checks, pipeline
from ..rules.pipeline import CompiledRule

#: the weighting methods whose weights are given, not computed from the data
_FIXED_WEIGHTS = ("fixed", "equal", "ahp")

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
        and c.rule.weights.method in _FIXED_WEIGHTS
        and all(m == "weighted_sum" for m in c.component_methods)
        and c.rule.aggregate.components == "weighted_sum"
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
    draws: tuple[NDArray, NDArray],
    ceiling: NDArray,
    raters: tuple[NDArray, NDArray, NDArray],
    rater_names: tuple[str, ...],
    points: NDArray | None,
) -> NDArray:
    """The totals ``(S, B, D)`` of the pipeline for noise-free indicators ``m_bar`` (B, D, J) and
    measurement draws ``draws = (ε, rows)``: ``ε`` laid out (S, J, B′, D), replication b's draws
    at ``rows[b]`` along B′ (:attr:`perfsim.world.context.Context.crn_by_column`), reported up to
    ``ceiling`` (J,); ``raters`` the rater scores' draws (laid out and indexed as ``ε``), sd and
    mean, ``(η (S, R, B′, D), sd (B, D, R), mean (B, D, R))`` (a sample's rater score is
    ``η sd + mean``), in the order of ``rater_names``; ``points`` (B, D) added to every sample
    (None: nothing). ``classes``: the departments' classes, for class weights. Only for a rule
    that :func:`fits`."""
    draws, rows = draws
    s, j, _, d = draws.shape
    b = len(rows)
    n_comp = len(c.components)
    lo, hi = np.minimum(c.base, c.base + c.span), np.maximum(c.base, c.base + c.span)
    if m_bar.shape != (b, d, j) or (points is not None and points.shape != (b, d)):
        raise ValueError(f"shapes do not match: m_bar {m_bar.shape}, draws {draws.shape}")
    checks.finite(m_bar, "indicators")  # (as the pipeline: no NaN reaches a total)
    w = pipeline.indicator_weights(c, m_bar, classes)
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
    eta, sd, mean = raters
    if mean.size:  # (a rule without raters has none)
        checks.finite(mean, "columns")
    from .fused_loop import sampled_totals  # (numba: imported by the first best response)

    out = sampled_totals(
        np.ascontiguousarray(np.moveaxis(m_bar, -1, 0), dtype=float).reshape(j, b * d),
        np.ascontiguousarray(draws, dtype=float),
        np.ascontiguousarray(rows, dtype=np.intp),
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
        np.ascontiguousarray(eta, dtype=float),
        np.ascontiguousarray(np.moveaxis(sd, -1, 0), dtype=float).reshape(-1, b * d),
        np.ascontiguousarray(np.moveaxis(mean, -1, 0), dtype=float).reshape(-1, b * d),
        np.zeros(b * d) if points is None else np.ascontiguousarray(points, dtype=float).ravel(),
        points is not None,
    )
    return out.reshape(s, b, d)
