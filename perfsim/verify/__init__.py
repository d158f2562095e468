"""The validation suite V1–V7 (docs/model.md): the engine against what theory proves.

Each check loads its scenario from ``scenarios/theory/`` (with any overrides), computes the theory
from the scenario's own parameters, runs the real engine and compares. The rows live in
:mod:`.rows` (V1–V3V, V5, V6, and what every row shares) and :mod:`.ratchet` (V4, and V4F: a
finite horizon solved by backward induction) and :mod:`.careers` (V2c, a career-concern
tournament, and V7, budget feedback between two departments); :func:`run_suite` runs them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from .careers import v2c, v7
from .events import ve
from .ratchet import v4, v4f
from .rows import (
    MC_SES,
    THEORY,
    Check,
    kth_cutoff_density,
    qp_nonneg,
    v1,
    v2,
    v2q,
    v3,
    v3f,
    v3v,
    v5,
    v6,
)

_qp_nonneg = qp_nonneg  # the name tests have used

ROWS: dict[str, Callable[..., list[Check]]] = {
    "V1": v1,
    "V2": v2,
    "V2q": v2q,
    "V2c": v2c,
    "V3": v3,
    "V3F": v3f,
    "V3V": v3v,
    "V4": v4,
    "V4F": v4f,
    "V5": v5,
    "V6": v6,
    "V7E": ve,
    "V7": v7,
}


#: the fewest replications a check takes: its tolerance counts Monte Carlo standard errors, which
#: need two replications at least (and a handful to mean much)
MIN_REPS = 2
WHY_MIN_REPS = "each row's tolerance counts Monte Carlo standard errors of the replications"


def _row_override(text: str) -> tuple[str | None, str]:
    """``ROW:PATH=VALUE`` → (ROW, PATH=VALUE); ``PATH=VALUE`` (every row) → (None, PATH=VALUE)."""
    if ":" in text.split("=", 1)[0]:
        row, rest = text.split(":", 1)
        return row, rest
    return None, text


def run_suite(
    only: Iterable[str] | None = None,
    overrides: Iterable[str] = (),
    reps: int = 200,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> list[Check]:
    """Run the rows (all by default). Overrides are ``ROW:PATH=VALUE`` (or ``PATH=VALUE`` for all)."""
    from ..scenario import Problem, ScenarioError

    split = [_row_override(o) for o in overrides]  # (row or None, PATH=VALUE)
    wanted = list(only) if only else list(ROWS)
    if reps < MIN_REPS:  # (a row's tolerance is a number of Monte Carlo standard errors)
        raise ScenarioError(
            [Problem("--reps", str(reps), None, f"must be ≥ {MIN_REPS}: {WHY_MIN_REPS}", False)]
        )
    # a row of --only, or of a ROW:PATH=VALUE override (ignored without a word before), unknown
    for option, rows in (("--only", wanted), ("--set", [r for r, _ in split if r is not None])):
        unknown = [r for r in dict.fromkeys(rows) if r not in ROWS]
        if unknown:  # (each named: an empty one, from two commas in a row, was not seen)
            allowed = f"no such row; allowed: {', '.join(ROWS)}"
            shown = ", ".join(map(repr, unknown))
            raise ScenarioError([Problem(option, shown, None, allowed, False)])
    checks: list[Check] = []
    for row in wanted:
        if progress:
            progress(row)
        mine = [text for r, text in split if r is None or r == row]
        checks.extend(ROWS[row](mine, reps, seed))
    return checks


__all__ = [
    "MC_SES",
    "Check",
    "ROWS",
    "THEORY",
    "Path",
    "kth_cutoff_density",
    "qp_nonneg",
    "run_suite",
]
