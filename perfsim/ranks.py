"""Ranks of batched scores along the last axis, from one sort per row.

:func:`rank_bounds` gives, for every entry, how many entries of its row are strictly smaller and how
many are smaller or equal. Every tie-aware rank follows from these two counts (scipy's ``rankdata``
methods ``min``, ``max`` and ``average``, ascending or descending), so the rule pipeline and the
metrics sort each row once instead of once per rank method. :func:`prefix_sets` turns a row's sort
order into bit sets ("the departments below this one"), which lets Kendall's τ-b count concordant
pairs with word-wide AND and popcount instead of a loop over departments; that costs memory and
time in ``dept²``, so for many departments :func:`pair_counts` counts the discordant pairs by a
merge sort instead, in memory linear in ``dept`` and time ``dept · log² dept``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "RankBounds",
    "best_first_order",
    "pair_counts",
    "popcount",
    "prefix_sets",
    "rank_bounds",
    "signed_pairs",
]


class RankBounds(NamedTuple):
    """``lt = #{e : v_e < v_d}`` and ``le = #{e : v_e ≤ v_d}`` along the last axis, and the
    ascending ``order`` (an ``argsort``) they were read from; all int arrays of the input's shape."""

    lt: NDArray[np.intp]
    le: NDArray[np.intp]
    order: NDArray[np.intp]


def rank_bounds(values: ArrayLike) -> RankBounds:
    """Tie counts of each entry within its row (the last axis), from one ``argsort`` per row.

    With ``n`` entries per row: ascending ranks are ``min = lt + 1``, ``max = le`` and
    ``average = (lt + le + 1) / 2``; descending ranks (1 = largest) are ``min = n − le + 1`` and
    ``max = n − lt`` (as ``scipy.stats.rankdata(±v, method)``, which the tests check). NaN compares
    unequal to everything, so each NaN counts as its own value above every number; callers that
    must propagate NaN check for it themselves.
    """
    v = np.asarray(values, dtype=float)
    shape = v.shape
    if v.ndim == 0:
        raise ValueError("values must have at least one axis")
    n = shape[-1]
    if v.size == 0:
        return RankBounds(*(np.zeros(shape, dtype=np.intp) for _ in range(3)))
    v2 = v.reshape(-1, n)
    m = v2.shape[0]
    order = np.argsort(v2, axis=1)
    flat = order + (np.arange(m, dtype=np.intp) * n)[:, None]  # flat index of sorted position k
    s = v2.ravel()[flat]
    new = np.empty((m, n), dtype=bool)  # a new value starts at this sorted position
    new[:, 0] = True
    np.not_equal(s[:, 1:], s[:, :-1], out=new[:, 1:])
    lt = np.empty(m * n, dtype=np.intp)
    if new.all():  # no ties: the counts are the sorted positions
        lt[flat.ravel()] = _positions(m, n)
        le = lt + 1
    else:
        le = np.empty(m * n, dtype=np.intp)
        new_flat = new.ravel()
        group = (
            np.cumsum(new_flat) - 1
        )  # tie group of each sorted position (groups never span rows)
        starts = np.flatnonzero(new_flat)
        ends = np.append(starts[1:], m * n)
        row_base = np.repeat(np.arange(m, dtype=np.intp) * n, n)
        lt[flat.ravel()] = starts[group] - row_base
        le[flat.ravel()] = ends[group] - row_base
    return RankBounds(lt.reshape(shape), le.reshape(shape), order.reshape(shape))


@lru_cache(maxsize=8)
def _positions(m: int, n: int) -> NDArray[np.intp]:
    """``0 … n − 1`` repeated for m rows, flat (read-only: it is shared)."""
    out = np.tile(np.arange(n, dtype=np.intp), m)
    out.flags.writeable = False
    return out


def best_first_order(values: ArrayLike, bounds: RankBounds | None = None) -> NDArray[np.intp]:
    """``np.argsort(-values, axis=-1, kind="stable")``: highest first, ties in department order.

    With the :func:`rank_bounds` of ``values`` and no ties in a row set, this is their ascending
    order reversed (the order is then unique), which saves a sort; otherwise it sorts."""
    v = np.asarray(values, dtype=float)
    if bounds is not None and v.size and (bounds.le - bounds.lt == 1).all():
        return bounds.order[..., ::-1]
    return np.argsort(-v, axis=-1, kind="stable")


def prefix_sets(order: NDArray[np.intp]) -> NDArray[np.uint64]:
    """Bit sets of the entries before each sorted position, per row of a 2-D ``order`` (m, n).

    Returns ``P`` of shape ``(m, n + 1, ⌈n / 64⌉)``: ``P[r, k]`` has bit ``d`` (word ``d // 64``,
    bit ``d % 64``) set for each entry ``d`` at sorted positions ``0 … k − 1`` of row r. With
    :class:`RankBounds` of the same row, ``P[r, lt_d]`` is the set of entries strictly below entry d
    and ``P[r, le_d]`` the set of entries at or below it (ties are contiguous in any sort order).
    """
    m, n = order.shape
    words = max(1, -(-n // 64))
    sets = np.zeros((m, n + 1, words), dtype=np.uint64)
    k = np.arange(1, n + 1, dtype=np.intp)
    index = ((np.arange(m, dtype=np.intp) * (n + 1))[:, None] + k) * words + (order >> 6)
    sets.reshape(-1)[index] = np.left_shift(np.uint64(1), (order & 63).astype(np.uint64))
    np.bitwise_or.accumulate(sets, axis=1, out=sets)
    return sets


def signed_pairs(bx: RankBounds, by: RankBounds) -> NDArray[np.int64]:
    """``n_c − n_d = Σ_{i<j} sign(x_i − x_j) sign(y_i − y_j)`` per row of two 2-D
    :class:`RankBounds` ``(m, n)``, by bit sets: ``dept² / 64`` word operations per row.

    With ``p_e`` the position of department e in the sort of y, ``Q_k`` the set of ``p_e`` of the
    departments at positions ``0 … k − 1`` of the sort of x (:func:`prefix_sets`, one per row) and
    ``M_v`` the set ``{0 … v − 1}``: the departments below d in x and in y number
    ``c_d = |Q_{lt^x_d} ∩ M_{lt^y_d}|`` (ties are contiguous in any sort), those below in x and at
    or below in y ``c'_d = |Q_{lt^x_d} ∩ M_{le^y_d}|`` (= ``c_d`` when y has no ties), and
    ``n_c − n_d = Σ_d c_d − (lt^x_d − c'_d)``."""
    m, n = bx.lt.shape
    words = max(1, -(-n // 64))
    rows = (np.arange(m, dtype=np.intp) * n)[:, None]
    no_y_ties = bool((by.le - by.lt == 1).all())
    if no_y_ties:  # the positions in the sort of y are the counts below
        pos_y = by.lt
    else:
        pos_y = np.empty((m, n), dtype=np.intp)
        pos_y.reshape(-1)[(by.order + rows).ravel()] = _positions(m, n)
    sets = prefix_sets(np.take(pos_y, bx.order + rows)).reshape(-1, words)
    below_x = np.take(sets, (np.arange(m, dtype=np.intp) * (n + 1))[:, None] + bx.lt, axis=0)
    masks = _below_masks(n)
    c_lt = popcount(below_x & masks[by.lt]).sum(axis=(1, 2), dtype=np.int64)
    c_le = c_lt if no_y_ties else popcount(below_x & masks[by.le]).sum(axis=(1, 2), dtype=np.int64)
    return c_lt + c_le - bx.lt.sum(axis=1, dtype=np.int64)


@lru_cache(maxsize=16)
def _below_masks(n: int) -> NDArray[np.uint64]:
    """``M_v`` of :func:`signed_pairs` for ``v = 0 … n``: ``(n + 1, ⌈n / 64⌉)`` words, bits
    ``0 … v − 1`` set (read-only: it is shared)."""
    words = max(1, -(-n // 64))
    bits = np.arange(words * 64)[None, :] < np.arange(n + 1)[:, None]  # (v, bit)
    masks = np.packbits(bits, axis=-1, bitorder="little").view(np.uint64)
    masks.flags.writeable = False
    return masks


def pair_counts(bx: RankBounds, by: RankBounds) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Discordant pairs and pairs tied in both, per row of two 2-D :class:`RankBounds` ``(m, n)``.

    Returns ``(n_d, n_3)``, each ``(m,)`` int64: ``n_d = #{i, j : x_i < x_j, y_i > y_j}`` and
    ``n_3 = #{i < j : x_i = x_j, y_i = y_j}``. The departments are sorted by ``(x, y)`` (the keys
    ``lt``, which order and tie exactly as the values do) and the discordant pairs are the strict
    inversions of the sorted y, counted by a bottom-up merge sort vectorised over rows and blocks
    (Knight 1966, "A computer method for calculating Kendall's tau with ungrouped data"):
    ``O(m n)`` memory and ``O(m n log² n)`` time. Values must not be NaN (a NaN row's counts are
    meaningless; callers mask such rows).
    """
    m, n = bx.lt.shape
    rows = np.arange(m, dtype=np.int64)[:, None]
    key = bx.lt.astype(np.int64) * n + by.lt  # (x, y) order, ties exactly where both tie
    key.sort(axis=1)
    same = key[:, 1:] == key[:, :-1]
    joint = np.zeros(m, dtype=np.int64)
    if same.any():  # a run of t equal keys holds t (t − 1) / 2 pairs: Σ_k (position in run)
        run = np.cumsum(same, axis=1)
        run -= np.maximum.accumulate(np.where(same, 0, run), axis=1)
        joint = run.sum(axis=1, dtype=np.int64)
    values = key % n  # the y key of each department, in (x, y) order
    return _inversions(values, rows, n), joint


def _inversions(values: NDArray[np.int64], rows: NDArray[np.int64], n: int) -> NDArray[np.int64]:
    """Strict inversions ``#{i < j : v_i > v_j}`` of each row of ``values`` (entries in 0 … n−1),
    by merging sorted blocks of width 1, 2, 4, …; ``values`` is overwritten."""
    m = values.shape[0]
    count = np.zeros(m, dtype=np.int64)
    pos = np.arange(n, dtype=np.int64)
    width = 1
    while width < n:
        pair = pos // (2 * width)  # blocks 2p (left) and 2p + 1 (right) merge into pair p
        right = (pos // width) % 2 == 1
        n_pairs = -(-n // (2 * width))
        gkey = (rows * n_pairs + pair) * n + values  # sorted within each block, pairs ascending
        left_keys = gkey[:, ~right].ravel()  # globally ascending: sorted blocks in pair order
        r_keys = gkey[:, right]
        pair_end = (r_keys // n + 1) * n  # first key of the next pair
        greater = np.searchsorted(left_keys, pair_end) - np.searchsorted(
            left_keys, r_keys, side="right"
        )
        count += greater.sum(axis=1, dtype=np.int64)
        gkey.sort(axis=1, kind="stable")  # merge each pair (two sorted runs)
        values = gkey % n
        width *= 2
    return count


_POP8 = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def popcount(words: NDArray[np.uint64]) -> NDArray[np.uint8]:
    """Number of set bits of each uint64 word (``np.bitwise_count`` on numpy ≥ 2, else a byte table)."""
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(words)
    return _popcount_table(words)


def _popcount_table(words: NDArray[np.uint64]) -> NDArray[np.uint8]:
    w = np.ascontiguousarray(words, dtype=np.uint64)
    return _POP8[w.view(np.uint8)].reshape(w.shape + (8,)).sum(axis=-1, dtype=np.uint8)
