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

from ..phrases import N_, Phrase

__all__ = [
    "GAP_WARNING",
    "ConvergenceWarning",
    "convergence_metrics",
    "run_label",
    "warn_gap",
    "warn_unconverged",
]

GAP_WARNING = 0.01
"""A ``choice_gap`` above this share of the prize range is warned about (:func:`warn_gap`)."""


def convergence_metrics(policy) -> dict[str, NDArray]:
    """Per replication, how a fixed-point policy's iterations ended (``converged_share``: 1 or 0,
    ``iterations_mean`` and ``iterations_max``: its iterations, the most in any period — a run
    summarises the first by the mean and the second by the max over replications —
    ``fixed_point_residual``, and ``choice_gap``: the most expected utility a department's choice
    forgoes, as a share of the prize range, summarised by the max); nothing for other policies."""
    conv = getattr(policy, "convergence", None)
    if conv is None:
        return {}
    return {
        "converged_share": conv["converged"].astype(float),
        "iterations_mean": np.asarray(conv["iterations"], dtype=float),
        "iterations_max": np.asarray(conv["iterations"], dtype=float),  # summarised by the max
        "fixed_point_residual": np.asarray(conv["residual"], dtype=float),
        "choice_gap": np.asarray(conv["gap"], dtype=float),  # summarised by the max
    }


#: a department that still moved its effort or gaming by more than this in the last of at
#: least FAR_AFTER rounds is not settling slowly: more rounds will not help (:data:`FAR_ADVICE`;
#: in a new user's rule with target caps the departments still moved by 5 to 50 after 200 and
#: after 1,000 rounds, while slow settling leaves a few times the tolerance)
FAR, FAR_AFTER = 0.1, 50
FAR_ADVICE = N_(
    "more iterations will not help at that distance: the departments contest a grade in a way "
    "that has no settled answer, for example where their score stops rising (an indicator at its "
    "cap, a survey near 100); see 'When the best response does not settle' in the scenario "
    "guide, scenarios/README.md"
)
ADVICE = N_("raise world.max_iterations or lower world.damping")

#: the warnings' templates (:class:`perfsim.phrases.Phrase`: said again in a terminal's language)
UNCONVERGED = N_(
    "{where}: the best response did not converge in {missed} of {total} replications "
    "(world.max_iterations = {max_iterations}){moved}, so those results are not a settled "
    "equilibrium ({advice})"
)
MOVED = N_(
    "; when it stopped, a department still moved its effort or gaming by up to {worst} a round "
    "(world.tolerance = {tolerance})"
)
GAP = N_(
    "{where}: some departments kept switching between two ways of gaming and were left holding "
    "one, which earns them up to {gap} of the prize range less than their best choice; how much "
    "they game is not pinned down (choice_gap in metrics.csv)"
)


class ConvergenceWarning(UserWarning):
    """A best response that stopped at ``world.max_iterations`` in some replication, or whose
    departments hold choices far from their best (:func:`warn_gap`)."""


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


def _where(source: str) -> str:
    """The scenario file, with the :func:`run_label` if any, that a warning names."""
    label = _RUN_LABEL.get()
    return f"{source} ({label})" if label else source


def warn_unconverged(
    source: str,
    converged: NDArray,
    *,
    max_iterations: int,
    hint: Phrase | None = None,
    residual: NDArray | None = None,
    tolerance: float | None = None,
) -> None:
    """Warn (one line naming the scenario, and the :func:`run_label` if any) when a replication's
    best response did not converge, saying how far its departments still moved when it stopped
    (``residual``, per replication, against ``tolerance``); ``hint`` replaces the advice on
    iterations and damping."""
    converged = np.asarray(converged, dtype=bool)
    missed = int((~converged).sum())
    if not missed:
        return
    moved, advice = "", Phrase(ADVICE) if hint is None else hint
    if residual is not None and tolerance is not None:
        worst = float(np.max(np.asarray(residual, dtype=float)[~converged]))
        moved = Phrase(MOVED, {"worst": f"{worst:.2g}", "tolerance": f"{tolerance:g}"})
        if worst > FAR and max_iterations >= FAR_AFTER and hint is None:
            advice = Phrase(FAR_ADVICE)
    message = Phrase(
        UNCONVERGED,
        {
            "where": _where(source),
            "missed": missed,
            "total": converged.size,
            "max_iterations": max_iterations,
            "moved": moved,
            "advice": advice,
        },
    )
    # lineno 0: no source line is printed, so the warning is one line on stderr
    warnings.warn_explicit(
        ConvergenceWarning(message), ConvergenceWarning, "perfsim", 0, registry=_WARNED
    )


def warn_gap(source: str, gap: float) -> None:
    """Warn (one line naming the scenario) when a department's choice at the fixed point forgoes
    more than :data:`GAP_WARNING` of the prize range against its best choice."""
    if not gap > GAP_WARNING:
        return
    message = Phrase(GAP, {"where": _where(source), "gap": f"{gap:.1%}"})
    warnings.warn_explicit(
        ConvergenceWarning(message), ConvergenceWarning, "perfsim", 0, registry=_WARNED
    )
