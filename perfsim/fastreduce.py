"""Small reductions that numpy does slowly on batched arrays.

numpy reduces a short last axis (a handful of tasks, indicators or raters per department) one output
element at a time, which on ``(rep, dept, k)`` arrays costs far more than the additions themselves.
:func:`sum_last` adds the k slices instead: below 8 terms numpy's own reduction adds the terms one by
one from the first, so the result is the same number (checked by the tests); from 8 terms on numpy's
pairwise summation is used as it is.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

#: Below this many terms numpy sums sequentially (its pairwise summation blocks by 8).
_SEQUENTIAL_BELOW = 8
#: Below this many values numpy's own reduction is the faster (the slices' fixed cost dominates).
_SLICES_FROM = 2_000
#: Arrays of at least this many values go to the compiled loops of :mod:`perfsim.rules.kernels`
#: and :func:`perfsim.world.kernels.capped_samples` (the best response's samples: 0.53 million
#: values at 66 departments and 100 replications); below, numpy's passes stay in the processor's
#: caches, and a naive run or a scored table does not import numba.
COMPILED_FROM = 1 << 17


def sum_last(x: NDArray) -> NDArray:
    """``x.sum(axis=-1)`` for a float array, as k − 1 additions of slices when the axis is short."""
    k = x.shape[-1]
    if k == 0 or k >= _SEQUENTIAL_BELOW or x.ndim < 2 or x.size < _SLICES_FROM:
        return x.sum(axis=-1)
    out = np.array(x[..., 0], dtype=float)  # a copy
    for i in range(1, k):
        out += x[..., i]
    return out


def max_abs_last(x: NDArray) -> NDArray:
    """``np.abs(x).max(axis=-1, initial=0.0)`` for a float array, as a running maximum over the
    slices of the last axis (several times faster on a short axis; a maximum is exact, so the
    same numbers)."""
    if x.ndim < 2 or x.shape[-1] == 0 or x.size < _SLICES_FROM:
        return np.abs(x).max(axis=-1, initial=0.0)
    out = np.abs(x[..., 0])
    for i in range(1, x.shape[-1]):
        np.maximum(out, np.abs(x[..., i]), out=out)
    return out  # (|x| ≥ +0 already: ``initial=0.0`` changes nothing on a non-empty axis)


def mean_last(x: NDArray, keepdims: bool = False) -> NDArray:
    """``x.mean(axis=-1)`` (the sum over the count, as numpy computes it) via :func:`sum_last`."""
    out = sum_last(x) / x.shape[-1]
    return out[..., None] if keepdims else out


def dept_first(x: NDArray) -> NDArray:
    """A ``(rep, dept, k)`` array as a C-contiguous ``(dept, rep, k)`` copy. With a short k the copy
    runs one k-column at a time (long strided loops instead of k values per department)."""
    if x.shape[2] > 4:
        return np.ascontiguousarray(np.moveaxis(x, 1, 0))
    out = np.empty((x.shape[1], x.shape[0], x.shape[2]), dtype=x.dtype)
    for j in range(x.shape[2]):
        out[:, :, j] = x[:, :, j].T
    return out


def sum_dept(x: NDArray, keepdims: bool = False) -> NDArray:
    """``x.sum(axis=1)`` for a ``(rep, dept, k)`` float array.

    numpy adds the department slices one after the other there, with an inner loop over the k
    trailing values only; with the department axis moved first (a copy, :func:`dept_first`) the
    same additions run over all ``rep × k`` values at once, so the result is the same number,
    several times faster.
    """
    if x.ndim != 3:
        return x.sum(axis=1, keepdims=keepdims)
    out = dept_first(x).sum(axis=0)
    return out[:, None, :] if keepdims else out


def mean_dept(x: NDArray, keepdims: bool = False) -> NDArray:
    """``x.mean(axis=1)`` via :func:`sum_dept`."""
    return sum_dept(x, keepdims=keepdims) / x.shape[1]


def std_dept(x: NDArray) -> NDArray:
    """``x.std(axis=1)`` (population) via :func:`sum_dept`, as numpy computes it: the deviations
    are taken in the department-first copy, where the mean broadcasts over whole rows."""
    if x.ndim != 3:
        return x.std(axis=1)
    xt = dept_first(x)
    d = xt - xt.sum(axis=0) / x.shape[1]
    np.multiply(d, d, out=d)
    return np.sqrt(d.sum(axis=0) / x.shape[1])


def var_last(x: NDArray) -> NDArray:
    """``x.var(axis=-1)`` (population) via :func:`sum_last`, as numpy computes it."""
    if x.ndim < 2:
        d = x - mean_last(x, keepdims=True)
    else:  # x − mean, one column at a time (long loops, not k values per row)
        mean, d = mean_last(x), np.empty(x.shape)
        for j in range(x.shape[-1]):
            np.subtract(x[..., j], mean, out=d[..., j])
    np.multiply(d, d, out=d)
    return sum_last(d) / x.shape[-1]


def along_last(ufunc: np.ufunc, x: NDArray, v: NDArray, out: NDArray | None = None) -> NDArray:
    """``ufunc(x, v, out=out)`` for ``x`` of shape ``(..., n, k)`` and ``v`` of shape ``(k,)``
    (one value per task, indicator or rater) or ``(n, k)``.

    Broadcasting a ``(k,)`` vector makes numpy's inner loop run over the k values of one department
    at a time; with the last two axes viewed as one (``n·k`` values) and ``v`` tiled to match, the
    same element-wise operations run in long loops. Falls back to the plain call for other shapes
    or non-contiguous arrays.
    """
    v = np.asarray(v)
    if x.ndim < 2 or v.ndim not in (1, 2) or not x.flags.c_contiguous:
        return ufunc(x, v, out=out)
    n, k = x.shape[-2:]
    if v.shape not in ((k,), (n, k)) or (out is not None and not out.flags.c_contiguous):
        return ufunc(x, v, out=out)
    if out is not None and out.shape != x.shape:
        return ufunc(x, v, out=out)
    flat = x.shape[:-2] + (n * k,)
    if v.ndim == 1:  # the vector once per department (np.repeat: no Python-level broadcasting)
        tiled = np.repeat(v[None, :], n, axis=0).reshape(n * k)
    else:
        tiled = v.reshape(n * k)
    res = ufunc(x.reshape(flat), tiled, out=None if out is None else out.reshape(flat))
    return res.reshape(x.shape) if out is None else out


def matmul_t(x: NDArray, m: NDArray) -> NDArray:
    """``x @ m.T`` for ``x`` of shape ``(..., n, k)`` and a matrix ``m`` of shape ``(j, k)``.

    numpy's batched matmul runs several times faster with a C-contiguous right operand than with
    the transposed view ``m.T``, with the same numbers (the tests check); with one row per batch
    (``n == 1``) numpy takes its vector path, whose numbers may differ in the last bit, so that
    case is left as it was."""
    if x.ndim < 3 or x.shape[-2] < 2:
        return x @ m.T
    return x @ np.ascontiguousarray(m.T)


def take_departments(x: NDArray, idx: NDArray) -> NDArray:
    """The departments ``idx`` (flat indices over the leading (replication, department) axes) of a
    ``(rep, dept, ...)`` array, as one replication: ``(1, len(idx), ...)`` (a copy; ``np.take``
    where each department has several values: twice as fast as indexing, the same numbers)."""
    flat = x.reshape(-1, *x.shape[2:])
    return (np.take(flat, idx, axis=0) if flat.ndim > 1 else flat[idx])[None]


def zero_view(x: NDArray) -> bool:
    """Whether ``x`` is a broadcast view of a single +0.0 (every stride 0, as the engine's gaming
    before any policy games): every sum of it is then +0.0, whatever the number of terms, so a
    caller may skip reading it."""
    return x.size > 0 and not any(x.strides) and x.flat[0] == 0 and not np.signbit(x.flat[0])


def count_values(x: NDArray, k: int) -> NDArray[np.intp]:
    """How often each value ``0 … k−1`` occurs in each row of a 2-D int array: ``(row, k)``, as
    ``np.stack([(x == v).sum(-1) for v in range(k)], -1)`` (one count, not one per value)."""
    rows = x.shape[0]
    flat = (x + (np.arange(rows) * k)[:, None]).ravel()
    return np.bincount(flat, minlength=rows * k).reshape(rows, k)


def median_first(x: NDArray) -> NDArray:
    """``np.median(x, axis=0)`` of a finite array, the same numbers (the middle order statistic,
    or the mean of the two middle ones) from a sort along the first axis: for the 16 or so
    samples of a cut-off five times faster than numpy's selection there."""
    n = x.shape[0]
    ordered = np.sort(x, axis=0)
    if n % 2:
        return ordered[n // 2]
    return (ordered[n // 2 - 1] + ordered[n // 2]) / 2.0
