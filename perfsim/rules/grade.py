"""Ranking and grading: ranks, grade bands by quotas and thresholds, one-vote veto.

Scores have shape ``(..., dept)``; leading axes are batch axes. ``groups`` is an optional ``(dept,)``
array of integer class codes: ranks and quotas then apply within each class (分类考评). NaN,
±inf and empty arrays are refused with a ValueError naming the argument
(:mod:`perfsim.rules.checks`); a quota or threshold may be NaN ("none").
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..ranks import rank_bounds
from . import checks
from .normalize import by_group

__all__ = [
    "ROUNDINGS",
    "apply_veto",
    "assign_grades",
    "band_counts",
    "quota_band_floors",
    "quota_count",
    "rank",
    "rank_and_grade",
]

#: How a quota share becomes a number of departments (``rule.grading.rounding``).
ROUNDINGS = ("floor", "nearest", "ceil")
Rounding = Literal["floor", "nearest", "ceil"]

#: Tolerance of the rounding against floating-point error: 0.15 · 60 = 8.999… counts as 9.
_EPS = 1e-9


def quota_count(share: ArrayLike, n: ArrayLike, rounding: Rounding = "floor") -> NDArray:
    """The most departments that a quota share allows in a group of ``n``.

    ``floor``: ``⌊q·n⌋`` (0.15 of 66 is 9); ``nearest``: ``⌊q·n + ½⌋``, i.e. halves round *up*
    (四舍五入: 0.25 of 6 = 1.5 is 2; 0.15 of 66 = 9.9 is 10); ``ceil``: ``⌈q·n⌉``. Each is taken
    with a 1e-9 tolerance so that products such as 0.15 · 60 = 8.999… are read as the exact
    ``q·n``. NaN ("no quota") stays NaN. The one place where a share becomes a count: grading,
    the best response's cut-offs (:func:`band_counts`) and the verification use it."""
    x = np.asarray(share, dtype=float) * np.asarray(n, dtype=float)
    if rounding == "floor":
        return np.floor(x + _EPS)
    if rounding == "nearest":
        return np.floor(x + 0.5 + _EPS)
    if rounding == "ceil":
        return np.ceil(x - _EPS)
    raise ValueError(f"rounding must be one of {', '.join(ROUNDINGS)}, got {rounding!r}")


def band_counts(
    quotas: ArrayLike,
    counts: ArrayLike | None,
    n: ArrayLike,
    rounding: Rounding = "floor",
) -> NDArray:
    """Per band (first axis) and group size ``n`` (further axes), the most departments allowed in
    the band: the count where ``counts`` gives one, else :func:`quota_count` of the share, else
    inf (no quota)."""
    q = np.asarray(quotas, dtype=float)
    sizes = np.asarray(n, dtype=float)
    extra = (None,) * sizes.ndim
    limit = quota_count(q[(slice(None), *extra)], sizes, rounding)
    if counts is not None:
        k = np.asarray(counts, dtype=float)[(slice(None), *extra)]
        limit = np.where(np.isnan(k), limit, k)
    return np.where(np.isnan(limit), np.inf, limit)


def _as_scores(scores: ArrayLike, excluded: ArrayLike | None = None) -> NDArray[np.float64]:
    s = np.asarray(scores, dtype=float)
    if s.ndim < 1:
        raise ValueError("scores must have shape (..., dept)")
    checks.nonempty(s, "scores")
    s = checks.finite(s, "scores")
    if excluded is not None:  # graded as if they scored lowest
        s = np.where(checks.flags(excluded, "excluded"), -np.inf, s)
    return s


def quota_band_floors(
    quotas: ArrayLike, counts: ArrayLike | None, thresholds: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """For each band that has a quota (share or count) but no threshold, the highest threshold of
    the bands below it (but the last, whose threshold is not enforced), and that band's index;
    NaN and -1 elsewhere.

    A department graded into such a band with a total under this floor got the band by its rank
    although it misses a lower band's threshold (优秀 by quota at 83 while 良好 needs 90): the
    caller warns or counts ``total < floors[grade]``."""
    thr = np.asarray(thresholds, dtype=float)
    n_bands = thr.size
    q = _band_table(quotas, n_bands, "quotas")
    k = np.full(n_bands, np.nan) if counts is None else _band_table(counts, n_bands, "counts")
    floors, source = np.full(n_bands, np.nan), np.full(n_bands, -1, dtype=np.int64)
    for g in range(n_bands - 1):
        if np.isnan(q[g]) and np.isnan(k[g]) or not np.isnan(thr[g]):
            continue
        lower = [h for h in range(g + 1, n_bands - 1) if not np.isnan(thr[h])]
        if lower:
            h = max(lower, key=lambda b: thr[b])
            floors[g], source[g] = thr[h], h
    return floors, source


def rank(scores: ArrayLike, *, groups: ArrayLike | None = None) -> NDArray[np.int64]:
    """Competition ranking along the dept axis, 1 = highest score.

    ``rank_d = 1 + #{e : s_e > s_d}`` (within the department's group when ``groups`` is given), so
    ties share the smallest rank: scores 9, 8, 8, 7 rank 1, 2, 2, 4 (scipy ``rankdata(-s, "min")``).
    """
    s = _as_scores(scores)

    def one(v: NDArray) -> NDArray:
        return _descending_ranks(v)[0].astype(np.int64)

    return by_group(one, s, groups, axis=-1)


def _descending_ranks(v: NDArray) -> tuple[NDArray, NDArray]:
    """Competition ranks of each score, 1 = highest: ``(1 + #{e : s_e > s_d}, #{e : s_e ≥ s_d})``,
    i.e. ``rankdata(-v, "min")`` and ``rankdata(-v, "max")`` from one sort per row (the scores
    are checked: no NaN)."""
    bounds = rank_bounds(v)
    n = v.shape[-1]
    return n - bounds.le + 1, n - bounds.lt


def _band_table(table: ArrayLike | None, n_bands: int, name: str) -> NDArray[np.float64]:
    if table is None:
        return np.full(n_bands, np.nan)
    arr = checks.finite(table, name, nan="none", empty=True).ravel()
    if arr.size not in (n_bands - 1, n_bands):
        raise ValueError(
            f"{name} must have n_bands - 1 or n_bands = {n_bands} entries, got {arr.size}"
        )
    return np.concatenate([arr, np.full(n_bands - arr.size, np.nan)])


def assign_grades(
    scores: ArrayLike,
    *,
    n_bands: int,
    quotas: ArrayLike | None = None,
    thresholds: ArrayLike | None = None,
    groups: ArrayLike | None = None,
    ties: Literal["exclude", "include"] = "exclude",
    excluded: ArrayLike | None = None,
    counts: ArrayLike | None = None,
    rounding: Rounding = "floor",
) -> NDArray[np.int64]:
    """Grade bands by quotas (比例控制) and score thresholds; 0 = best band, ``n_bands - 1`` = worst.

    ``quotas`` (length ``n_bands - 1`` or ``n_bands``; NaN = no quota) are the largest share of the
    group allowed in each band: at most ``L_g = quota_count(q_g, n, rounding)`` departments, ``n``
    the group size (``floor``: ``⌊q_g·n⌋``; see :func:`quota_count`). ``counts`` (same lengths;
    NaN = none) give ``L_g`` directly as a number of departments, in place of the share. The
    number graded into band g never exceeds ``L_g`` with ``ties="exclude"``. ``thresholds`` (same lengths; NaN = none) are the minimum score of each band. Bands are
    filled from the best: with ``P_g`` the number of departments of the group already placed in
    bands better than g (always the top ``P_g`` scores), a department not yet placed goes to band g
    if ``s_d ≥ threshold_g`` and, when band g has a quota, it fits in it:

    - ``ties="exclude"`` (default): ``rank_max_d - P_g ≤ L_g``, with ``rank_max_d`` the number of
      departments scoring at least ``s_d``. A block of tied scores that would straddle the cutoff goes
      entirely to a lower band, so every quota always holds (a band may then stay below its quota,
      even empty). A consequence: a department that rises to join a tied block can fall with it.
    - ``ties="include"``: ``rank_min_d - P_g ≤ L_g``, with ``rank_min_d = 1 + #{e: s_e > s_d}``. The
      whole tied block goes to the better band, so a quota may be exceeded by the tied departments.

    The last band takes everyone else: its quota and threshold, if given, are not enforced. Without
    quotas or thresholds everyone is in band 0. ``excluded`` (bool, broadcastable to ``scores``)
    marks departments graded as if they scored below everyone, so that they take no quota slot
    (vetoed units; :func:`apply_veto` then gives them the veto grade). Returns int codes, shape of
    ``scores``.
    """
    _check_options(ties, n_bands, rounding)
    s = _as_scores(scores, excluded)
    q = _band_table(quotas, n_bands, "quotas")
    k = _count_table(counts, n_bands)
    thr = _band_table(thresholds, n_bands, "thresholds")

    def one(v: NDArray) -> NDArray:
        r_min, r_max = _descending_ranks(v)
        limits = band_counts(q, k, v.shape[-1], rounding)
        return _grade_rows(v, r_max if ties == "exclude" else r_min, n_bands, limits, thr)

    return by_group(one, s, groups, axis=-1)


def _check_options(ties: str, n_bands: int, rounding: str) -> None:
    if ties not in ("exclude", "include"):
        raise ValueError(f"ties must be 'exclude' or 'include', got {ties!r}")
    if n_bands < 1:
        raise ValueError(f"n_bands must be ≥ 1, got {n_bands}")
    if rounding not in ROUNDINGS:
        raise ValueError(f"rounding must be one of {', '.join(ROUNDINGS)}, got {rounding!r}")


def _count_table(counts: ArrayLike | None, n_bands: int) -> NDArray[np.float64] | None:
    """The quota counts per band (NaN = none), checked to be whole numbers ≥ 0."""
    if counts is None:
        return None
    k = _band_table(counts, n_bands, "counts")
    given = k[~np.isnan(k)]
    if (given < 0).any() or (given != np.round(given)).any():
        raise ValueError(f"counts must be whole numbers ≥ 0 (NaN = none), got {k.tolist()}")
    return k


def _grade_rows(
    v: NDArray, position: NDArray, n_bands: int, limits: NDArray, thr: NDArray
) -> NDArray:
    """The band filling of :func:`assign_grades` for one group, given each score's position and
    the most departments of each band (:func:`band_counts`, inf = no quota). Only what a later band
    reads is kept up to date: the departments not yet placed, and how many are placed while a
    later band has a quota."""
    grades = np.full(v.shape, n_bands - 1, dtype=np.int64)
    unplaced = None  # None: every department
    placed = np.zeros(v.shape[:-1] + (1,), dtype=np.int64)
    quota_after = np.isfinite(limits[: n_bands - 1])[::-1].cumsum()[::-1] > 0  # g or later
    for g in range(n_bands - 1):
        take = None if np.isnan(thr[g]) else v >= thr[g]
        if np.isfinite(limits[g]):
            fits = position - placed <= limits[g]
            take = fits if take is None else np.logical_and(take, fits, out=take)
        if take is None:  # neither a threshold nor a quota: the band takes everyone left
            take = np.ones(v.shape, dtype=bool)
        if unplaced is not None:
            take &= unplaced
        np.putmask(grades, take, g)  # grades[take] = g, faster
        if g == n_bands - 2:
            break
        unplaced = ~take if unplaced is None else np.greater(unplaced, take, out=unplaced)
        if quota_after[g + 1]:
            placed = placed + take.sum(axis=-1, keepdims=True)
    return grades


def rank_and_grade(
    scores: ArrayLike,
    *,
    n_bands: int,
    quotas: ArrayLike | None = None,
    thresholds: ArrayLike | None = None,
    groups: ArrayLike | None = None,
    ties: Literal["exclude", "include"] = "exclude",
    bounds: list | None = None,
    counts: ArrayLike | None = None,
    rounding: Rounding = "floor",
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """``(rank(scores, groups=groups), assign_grades(scores, ...))``, sorting each row once.

    Without groups, the :func:`perfsim.ranks.rank_bounds` of the scores are appended to
    ``bounds`` when a list is given (for callers that rank the same scores again)."""
    if groups is not None:
        return rank(scores, groups=groups), assign_grades(
            scores,
            n_bands=n_bands,
            quotas=quotas,
            thresholds=thresholds,
            groups=groups,
            ties=ties,
            counts=counts,
            rounding=rounding,
        )
    _check_options(ties, n_bands, rounding)
    s = _as_scores(scores)
    q = _band_table(quotas, n_bands, "quotas")
    k = _count_table(counts, n_bands)
    thr = _band_table(thresholds, n_bands, "thresholds")
    b = rank_bounds(s)
    r_min, r_max = s.shape[-1] - b.le + 1, s.shape[-1] - b.lt
    if bounds is not None:
        bounds.append(b)
    limits = band_counts(q, k, s.shape[-1], rounding)
    grades = _grade_rows(s, r_max if ties == "exclude" else r_min, n_bands, limits, thr)
    return r_min.astype(np.int64), grades


def apply_veto(grades: ArrayLike, veto: ArrayLike, *, veto_grade: int) -> NDArray[np.int64]:
    """One-vote veto (一票否决): where ``veto`` is True the grade becomes ``veto_grade`` (usually the
    worst band), whatever the score. Other grades are unchanged (no quota slot is refilled)."""
    g = np.asarray(grades)
    checks.nonempty(g, "grades")
    if g.dtype.kind in "fc":
        checks.finite(g, "grades")
    return np.where(checks.flags(veto, "veto"), veto_grade, g).astype(np.int64)
