"""How a fixed-point policy's iterations ended, and the warning when they did not converge.

:func:`convergence_metrics` turns a policy's record into per-replication metrics;
:func:`warn_unconverged` gives one warning line naming the scenario (and the :func:`run_label` of a
comparison's variant) when a replication stopped at ``world.max_iterations``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np
from numpy.typing import NDArray

__all__ = ["ConvergenceWarning", "convergence_metrics", "run_label", "warn_unconverged"]


def convergence_metrics(policy) -> dict[str, NDArray]:
    """Per replication, how a fixed-point policy's iterations ended (``converged_share``: 1 or 0,
    ``iterations_mean`` and ``iterations_max``: its iterations, the most in any period — a run
    summarises the first by the mean and the second by the max over replications —
    ``fixed_point_residual``); nothing for other policies."""
    conv = getattr(policy, "convergence", None)
    if conv is None:
        return {}
    return {
        "converged_share": conv["converged"].astype(float),
        "iterations_mean": np.asarray(conv["iterations"], dtype=float),
        "iterations_max": np.asarray(conv["iterations"], dtype=float),  # summarised by the max
        "fixed_point_residual": np.asarray(conv["residual"], dtype=float),
    }


class ConvergenceWarning(UserWarning):
    """A best response that stopped at ``world.max_iterations`` in some replication."""


_WARNED: dict = {}  # warnings' registry: one warning per message and process
_RUN_LABEL: ContextVar[str] = ContextVar("perfsim_run_label", default="")


@contextmanager
def run_label(label: str) -> Iterator[None]:
    """Within the block, a convergence warning names ``label`` (e.g. a compare rule and world)
    beside the scenario file."""
    token = _RUN_LABEL.set(label)
    try:
        yield
    finally:
        _RUN_LABEL.reset(token)


def warn_unconverged(
    source: str, converged: NDArray, *, max_iterations: int, hint: str | None = None
) -> None:
    """Warn (one line naming the scenario, and the :func:`run_label` if any) when a replication's
    best response did not converge; ``hint`` replaces the advice on iterations and damping."""
    converged = np.asarray(converged, dtype=bool)
    missed = int((~converged).sum())
    if not missed:
        return
    label = _RUN_LABEL.get()
    where = f"{source} ({label})" if label else source
    message = (
        f"{where}: the best response did not converge in {missed} of {converged.size} "
        f"replications (world.max_iterations = {max_iterations}); their choices are not an "
        f"equilibrium ({hint or 'raise world.max_iterations or lower world.damping'})"
    )
    # lineno 0: no source line is printed, so the warning is one line on stderr
    warnings.warn_explicit(message, ConvergenceWarning, "perfsim", 0, registry=_WARNED)
