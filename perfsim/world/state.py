"""What links one year to the next besides ratcheted targets: budgets and reputation.

**Budgets** (预算绩效). Every department starts with budget ``B_{d,1} = 1``; after year t its grade
g sets

    ln B_{d,t+1} = ρ ln B_{d,t} + ln f_g                                               (1)

(``f_g`` the grade's ``budget_factor``, ``ρ = world.budget_persistence``: 1 compounds, 0 lasts a
year), and the budget buys productivity,

    θ_{dk,t} = θ_dk B_{d,t}^η                                                          (2)

(``η = world.budget_elasticity``), so a department graded 优秀 produces more per unit of effort
next year, is more likely to be graded 优秀 again, and budgets concentrate (rich get richer). The
metrics ``budget_gini`` (Gini of ``B_{T+1}``, the budgets the last grades give) and
``grade_persistence`` (share of departments graded as in the year before) measure it.

**Reputation**. Raters' perceived quality (0–100) of a department in year t > 1 moves by

    ρ_R (1 − 2 g_{d,t−1}/(G − 1))                                                       (3)

points (``ρ_R = world.reputation``; G bands, g = 0 the best): + ρ_R after the best grade, − ρ_R
after the worst. Departments know it when they respond (it is part of their expected rating), but
they do not value the reputation this year's grade builds for next year (not in the prize of
:mod:`perfsim.world.careers`).

``periods.csv`` records the budget Gini after each year (``budget_gini``).

A two-department steady state of (1)–(2) has a closed form (``perfsim verify`` row V7): with ρ = 0
the winner's budget is ``f_win`` and the loser's ``f_lose`` every year after the first, and under
fixed effort the last winner wins again with probability ``Φ(s θ e (f_win^η − f_lose^η)/(σ√2))``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from ..rules.pipeline import CompiledRule
from ..scenario.schema import Scenario
from .careers import log_factors


@dataclass
class YearState:
    """Budgets and last grades of a block of replications, ``(rep, dept)``."""

    log_factor: NDArray  # (bands,) ln f_g
    persistence: float  # ρ
    elasticity: float  # η
    reputation_points: float  # ρ_R
    n_bands: int
    log_budget: NDArray  # (B, D) ln B_t
    grade: NDArray | None = None  # (B, D) last year's grade
    previous_grade: NDArray | None = None  # (B, D) the grade of the year before that
    _theta: tuple[NDArray, NDArray] | None = field(default=None, repr=False)

    @classmethod
    def start(cls, sc: Scenario, c: CompiledRule, shape: tuple[int, int]) -> YearState:
        w = sc.world
        return cls(
            log_factor=log_factors(c),
            persistence=float(w.budget_persistence),
            elasticity=float(w.budget_elasticity),
            reputation_points=float(w.reputation),
            n_bands=len(c.bands),
            log_budget=np.zeros(shape),
        )

    @property
    def budget(self) -> NDArray:
        """``B_t`` (B, D)."""
        return np.exp(self.log_budget)

    def productivity(self, theta: NDArray) -> NDArray:
        """``θ B^η`` of equation (2), (B, D, K); ``theta`` itself while every budget is 1 or the
        budget buys nothing (so that a period whose problem did not change is recognised), and the
        same array again while the budgets stay the same."""
        if self.elasticity == 0 or not self.log_budget.any():
            return theta
        if self._theta is not None and np.array_equal(self._theta[0], self.log_budget):
            return self._theta[1]
        scaled = theta * np.exp(self.elasticity * self.log_budget)[..., None]
        self._theta = (self.log_budget.copy(), scaled)
        return scaled

    def reputation(self) -> NDArray | None:
        """Equation (3): rating points per (B, D), or None (the first year, or ρ_R = 0)."""
        if self.grade is None or self.reputation_points == 0 or self.n_bands < 2:
            return None
        return self.reputation_points * (1.0 - 2.0 * self.grade / (self.n_bands - 1))

    def advance(self, grade: NDArray) -> None:
        """After a year graded ``grade`` (B, D): equation (1), and the grades kept."""
        self.log_budget = self.persistence * self.log_budget + self.log_factor[grade]
        self.previous_grade, self.grade = self.grade, np.asarray(grade)

    def context(self, ctx, base_theta: NDArray, prizes: NDArray):
        """The period's context: ``ctx`` with this year's productivity (2), reputation (3) and
        prizes (``perfsim.world.careers``); ``ctx`` itself when none of them differs."""
        theta, reputation = self.productivity(base_theta), self.reputation()
        if theta is ctx.theta and reputation is None and np.array_equal(prizes, ctx.prizes):
            return ctx
        return replace(ctx, theta=theta, reputation=reputation, prizes=prizes)
