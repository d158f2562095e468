"""Which gaming candidate each department holds while the best response iterates (hysteresis).

A department's gaming is the best of a few candidates (:func:`perfsim.world.payoff.choose`). The
utility of a distant candidate is extrapolated from the current profile, and a department's choice
moves the others', so near indifference a department can flip between two candidates for ever.
:class:`Regimes` keeps each department on the candidate it picked unless another is better by a
margin (0.1 % of the prize range, doubled at each switch after the first four), and measures what
the held choice forgoes. Before (model revision 10 and earlier) a department that switched four
times kept the gaming *value* of its last pick for good: in the teaching promotion scenario 58 %
of the departments were frozen so, and some forwent 39 % of the prize range at the "equilibrium".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..fastreduce import take_departments
from .context import Context


def prize_range(ctx: Context) -> float:
    """The spread of the bands' prizes (1 where they are all equal): the scale of a department's
    stakes, against which :class:`Held`'s margin is set."""
    spread = float(np.ptp(ctx.prizes)) if np.size(ctx.prizes) else 0.0
    return spread if spread > 0 else 1.0


@dataclass
class Held:
    """The candidates departments hold (:class:`Regimes`; gaming candidates, then effort
    candidates: :func:`perfsim.world.payoff.choose`), (B, D):
    ``prefer`` a candidate index (−1: none), kept unless another candidate beats it by more than
    ``margin`` in ``U``."""

    prefer: NDArray
    margin: NDArray
    # (B, D) the departments whose effort candidates are computed besides those holding one
    # (:func:`perfsim.world.payoff.effort_candidates`; None: every department)
    check: NDArray | None = None

    def rows(self, idx: NDArray) -> Held:
        """The departments ``idx`` alone (:func:`perfsim.world.payoff.rows_of`)."""
        rows = [None if x is None else take_departments(x, idx) for x in (self.check,)]
        return Held(take_departments(self.prefer, idx), take_departments(self.margin, idx), *rows)


def held_pick(table: NDArray, pick: NDArray, held: Held) -> tuple[NDArray, NDArray]:
    """The pick where departments hold a candidate (``table``: the candidates' ``U``, (n, B, D)),
    and the ``U`` each choice forgoes against the best candidate."""
    best = table.max(axis=0)
    kept = np.take_along_axis(table, np.maximum(held.prefer, 0)[None], axis=0)[0]
    keep = (held.prefer >= 0) & (kept >= best - held.margin)
    return np.where(keep, held.prefer, pick), np.where(keep, best - kept, 0.0)


class Regimes:
    """Which gaming candidate (:func:`perfsim.world.payoff.choose`) each department holds.

    The utility of a distant candidate is extrapolated linearly from the current profile, and a
    department's choice moves the others', so a department near indifference can flip between two
    candidates for ever (each looks better from the other side). So a department keeps the
    candidate it picked (its gaming recomputed at each profile) unless another beats it by more
    than a margin: :data:`MARGIN` of the prize range, doubled at each switch after the first
    :data:`FREE` (hysteresis). At the fixed point each department's choice is within its margin
    of its best candidate; what it forgoes is measured
    (:attr:`perfsim.world.response.Response.gap`)."""

    MARGIN, FREE = 1e-3, 4

    def __init__(self, reps: int, n: int, spread: float) -> None:
        self.pick = np.full((reps, n), -1, dtype=np.intp)
        self.switches = np.zeros((reps, n), dtype=np.intp)
        self.spread, self.base = spread, self.MARGIN * spread

    def held(self, active: NDArray, full: NDArray | None = None) -> Held:
        """The candidates the replications ``active``'s departments hold; ``full`` (b,): the
        replications whose every department weighs its effort candidates (an iteration that
        computes every department: :class:`perfsim.world.response.Schedule`)."""
        extra = np.maximum(self.switches[active] - self.FREE, 0)
        pick = self.pick[active]
        check = None if full is None else np.repeat(full[:, None], pick.shape[1], axis=1)
        return Held(pick, self.base * np.exp2(extra), check)

    def update(self, active: NDArray, pick: NDArray) -> None:
        """Record the picks (−1: not computed) and count the switches."""
        old = self.pick[active]
        moved = pick >= 0
        self.switches[active] += moved & (old >= 0) & (pick != old)
        self.pick[active] = np.where(moved, pick, old)
