"""Ctrl-C as it surfaces: a ``KeyboardInterrupt``, or an error raised because of one.

Ctrl-C while numba loads or calls a compiled loop surfaces as ``SystemError: CPUDispatcher(...)
returned a result with an exception set``, the interrupt as its context. A command treats both
alike (:func:`is_interrupt`): it keeps what it finished, says how to continue, and exits 130."""

from __future__ import annotations


def is_interrupt(exc: BaseException | None) -> bool:
    """Whether ``exc`` is a KeyboardInterrupt or was raised while handling (or because of) one."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False
