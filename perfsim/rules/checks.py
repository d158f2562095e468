"""Argument checks of the rules API: NaN, ±inf and empty arrays are refused with a ValueError that
names the argument and says what is allowed.

A check costs one ``np.isfinite(x).all()`` pass (the location of a bad entry is looked up only
when there is one). :func:`perfsim.rules.pipeline.evaluate`, which the simulation engine calls in
its inner loop, checks its own inputs once and runs the stages inside :func:`checked_inputs`, so
the arrays it passes from stage to stage (finite by construction) are not checked again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["NonFiniteError", "checked_inputs", "finite", "flags", "matrix", "nonempty"]

_TRUSTED: ContextVar[bool] = ContextVar("perfsim_rules_trusted", default=False)


@contextmanager
def checked_inputs() -> Iterator[None]:
    """Within this block the NaN/inf checks of :func:`finite` are skipped: for a caller that has
    checked its inputs and passes arrays computed from them (shape checks still apply)."""
    token = _TRUSTED.set(True)
    try:
        yield
    finally:
        _TRUSTED.reset(token)


FINITE = "finite numbers (no NaN or ±inf)"


def _first_bad(x: NDArray, bad: NDArray[np.bool_]) -> str:
    where = np.unravel_index(int(np.argmax(bad)), x.shape)
    value = x[where]
    shown = "NaN" if np.isnan(value) else ("inf" if value > 0 else "-inf")
    index = ", ".join(str(int(i)) for i in where)
    return f"{shown} at [{index}]" if x.ndim else shown


class NonFiniteError(ValueError):
    """An array that holds NaN or ±inf where finite numbers are needed."""


def _all_finite(x: NDArray) -> bool:
    """``np.isfinite(x).all()``, reading each distinct value of a broadcast view once (the
    engine's targets are one row broadcast over replications and departments)."""
    if x.size and 0 in x.strides:
        x = x[tuple(slice(0, 1) if step == 0 else slice(None) for step in x.strides)]
    return bool(np.isfinite(x).all())


def finite(
    value: ArrayLike,
    name: str,
    *,
    nan: str | None = None,
    inf: str | None = None,
    empty: bool = False,
) -> NDArray[np.float64]:
    """``value`` as a float array; ValueError naming ``name`` if it holds NaN or ±inf, or is
    empty. ``nan`` (``inf``) allows NaN (±inf) and says what it means, e.g. ``nan="no quota"``;
    ``empty=True`` allows an empty array."""
    try:
        x = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must hold {FINITE}, got {value!r}") from None
    if not empty and x.size == 0:
        raise ValueError(f"{name} is empty (shape {x.shape}); it needs at least one entry")
    if _TRUSTED.get() or _all_finite(x):
        return x
    bad = ~np.isfinite(x)
    if nan is not None:
        bad &= ~np.isnan(x)
    if inf is not None:
        bad &= ~np.isinf(x)
    if bad.any():
        allowed = [FINITE if nan is None and inf is None else "finite numbers"]
        if nan is not None:
            allowed.append(f"NaN ({nan})")
        if inf is not None:
            allowed.append(f"±inf ({inf})")
        raise NonFiniteError(f"{name} must hold {' or '.join(allowed)}; got {_first_bad(x, bad)}")
    return x


def matrix(value: ArrayLike, name: str, what: str = "(..., dept, indicator)") -> NDArray:
    """A finite, non-empty decision matrix of shape ``what`` (at least 2-D)."""
    x = np.asarray(value, dtype=float)
    if x.ndim < 2:
        raise ValueError(
            f"{name} must be a decision matrix of shape {what}, got shape {x.shape}; "
            "pass a single column as values[..., None]"
        )
    nonempty(x, name, what)
    return finite(x, name)


def nonempty(x: NDArray, name: str, what: str = "(..., dept)") -> None:
    """ValueError naming ``name`` if any axis of ``x`` has length 0."""
    if x.size == 0:
        raise ValueError(
            f"{name} is empty (shape {x.shape}, expected {what}); it needs at least one "
            "department" + (" and one column" if x.ndim >= 2 and "indicator" in what else "")
        )


def flags(value: ArrayLike, name: str) -> NDArray[np.bool_]:
    """``value`` as a bool array; a float array must hold only finite numbers (NaN is no flag)."""
    arr = np.asarray(value)
    if arr.dtype.kind in "fc" and not _TRUSTED.get():
        finite(arr, name, empty=True)
    return arr.astype(bool, copy=False)
