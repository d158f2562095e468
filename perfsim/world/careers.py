"""What a grade is worth to a department's leader: bonus, career and next year's budget.

The rule's reward table gives each band g a bonus ``W_g`` (money), a ``promotion_weight`` ``p_g``
and a ``budget_factor`` ``f_g``. A best-responding leader values band g at the *prize*

    Π_g = W_g + κ_P p_g + κ_B H_t ln f_g                                            (1)

and the expected reward of :mod:`perfsim.world.payoff` and :mod:`perfsim.world.response` is taken
over the prizes instead of the bonuses alone (the money paid, ``metrics.reward_gini``, stays the
bonus).

* **Career concern** (干部选拔任用), ``κ_P = world.promotion_value``: the bands are ranks by quota
  (the top k are 优秀), so ``p_g`` is a rank-based promotion chance; one unit of promotion weight is
  worth ``κ_P`` reward units to the leader. A tournament with prize spread ``ΔW`` and promotion
  spread ``Δp`` is a Lazear–Rosen tournament with spread ``ΔW + κ_P Δp``: effort
  ``e* = (ΔW + κ_P Δp) s² E[f_τ]/c`` (``perfsim verify`` row V2c).
* **Budget** (预算绩效): next year's budget is ``ln B_{t+1} = ρ ln B_t + ln f_g``
  (``ρ = world.budget_persistence``; :mod:`perfsim.world.state` realises it), and a leader's
  utility from a year's budget is ``κ_B ln B`` (``κ_B = world.budget_value``, counted now for next
  year). The change ``ln f_g`` of ``ln B_{t+1}`` is still ``ρⁿ ln f_g`` n years later, so its value
  now is ``κ_B ln f_g Σ_{n=0}^{N−1} (δρ)ⁿ``:

      H_t = (1 − (δρ)^N)/(1 − δρ),   N = T − t years after this one   (``horizon = "finite"``),
      H   = 1/(1 − δρ)                                                 (``"stationary"``).

  ``H = 1`` for a myopic department (δ = 0) and 0 in the last year of a finite horizon. This is
  exact for the direct value ``κ_B ln B`` (additive and independent of later choices, like the
  ratchet factor of :mod:`perfsim.world.context`); what a bigger budget later brings through
  productivity (``world.budget_elasticity``) is realised by the engine but not separately
  anticipated: ``κ_B`` stands for it. A factor below 0.01 counts as 0.01 (ln 0 is −∞).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ..rules.pipeline import CompiledRule
from ..scenario.schema import Scenario

#: columns of ``CompiledRule.reward_table`` (``rules.pipeline.REWARD_FIELDS``)
BONUS, BUDGET, PROMOTION = 0, 1, 2

#: smallest budget factor whose logarithm is taken
_SMALLEST_FACTOR = 0.01


def budget_years(discount: float, persistence: float, to_come: NDArray | float) -> NDArray:
    """``H = Σ_{n=0}^{N−1} (δρ)ⁿ = (1 − (δρ)^N)/(1 − δρ)`` for ``N = to_come`` years after this one
    (``np.inf``: the stationary ``1/(1 − δρ)``); δρ < 1 since δ < 1."""
    q = float(discount) * float(persistence)
    n = np.asarray(to_come, dtype=float)
    if q == 0.0:
        return np.where(n > 0, 1.0, 0.0)
    return (1.0 - np.power(q, n)) / (1.0 - q)


def log_factors(c: CompiledRule) -> NDArray:
    """``ln f_g`` per band (factors below 0.01 count as 0.01)."""
    return np.log(np.maximum(c.reward_table[:, BUDGET], _SMALLEST_FACTOR))


def prizes(sc: Scenario, c: CompiledRule) -> NDArray:
    """``Π_g`` of equation (1) per period and band, ``(periods, bands)``."""
    w = sc.world
    periods = w.periods
    if w.horizon == "finite":
        to_come = np.arange(periods - 1, -1, -1, dtype=float)
    else:
        to_come = np.full(periods, np.inf)
    h = budget_years(w.discount, w.budget_persistence, to_come)  # (periods,)
    table = c.reward_table
    per_band = table[:, BONUS] + w.promotion_value * table[:, PROMOTION]
    return per_band[None, :] + w.budget_value * h[:, None] * log_factors(c)[None, :]


def acts(sc: Scenario, c: CompiledRule) -> dict[str, bool]:
    """Which of the reward table's non-money parts change anything in this world: promotion
    (a non-zero weight valued by the leader) and budgets (a factor other than 1 that is valued or
    buys productivity)."""
    w = sc.world
    table = c.reward_table
    promotion = bool(np.any(table[:, PROMOTION] != 0) and w.promotion_value > 0)
    moves = bool(np.any(table[:, BUDGET] != 1))
    budget = moves and (w.budget_value > 0 or (w.budget_elasticity > 0 and w.periods > 1))
    return {"promotion": promotion, "budget": budget}
