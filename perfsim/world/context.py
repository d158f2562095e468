"""What a policy sees in one block of replications: the :class:`Context`, built once per block.

The context gathers the compiled rule and world, the block's population (ability ``a_d`` and
productivity ``θ_dk``), the common random numbers from which expected rewards are estimated, and
what the rule implies for a department's incentives: the prize of each band (bonus, career and
budget, :mod:`perfsim.world.careers`), the cumulative quota counts ``K_g`` of each grading group,
the component of each indicator and rater, and the discount of the marginal reward through
ratcheted targets (:func:`ratchet_factors`, one per period).

Ratcheted targets (docs/model.md, "Ratcheted targets"). A target-based indicator scores
``s(m_t − T_t)`` (linear scoring: slope s per unit; pay β per point), and after each period the
target moves ``T_{t+1} = T_t + λ (m_t − T_t)``. A department discounting by δ maximises
``Σ_t δ^t [β s (m_t − T_t) − cost_t]``. Let ``W_t = ∂V_t/∂T_t`` be the slope of its value from
period t on in its target. A higher T_t lowers this period's reward by β s and raises next period's
target by (1 − λ), so, by the envelope theorem,

    W_T = −β s,        W_t = −β s + δ (1 − λ) W_{t+1}            (t < T, periods 1 … T)

and the marginal value of measured output in period t is ``β s + δ λ W_{t+1}`` = ``β s · f_t`` with

    f_t = 1 − δ λ Σ_{i=0}^{n−1} q^i = 1 − δ λ (1 − qⁿ)/(1 − q),   q = δ (1 − λ),   n = T − t,

the number of periods still to come (``world.horizon = "finite"``). In the last period f_T = 1
(no ratchet follows); f_t falls with n towards the stationary factor

    f_∞ = 1 − δ λ/(1 − δ + δ λ) = (1 − δ)/(1 − δ + δ λ)     (Weitzman 1980),

which ``world.horizon = "stationary"`` uses in every period (an evaluation that goes on beyond the
simulated periods). The factor multiplies the marginal score of the indicator's measured value, so
it discounts both effort and gaming. It is exact when the score is linear in the target and the
pay linear in the score, ``k₁ (min(m, ceiling) − T)`` (then the value is linear in the target and a
department's later choices do not depend on it); for other rules (target attainment ``m/T``, a
capped score, grade bands) the same factor is an approximation: it takes the marginal score of a
later target to be that of today's measured value.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from ..rules.grade import band_counts
from ..rules.pipeline import CompiledRule
from ..scenario.rule_parts import Audit
from ..scenario.schema import Scenario
from . import careers
from .events import CompiledEvents, compile_events
from .model import CompiledWorld, quality_slope


@dataclass(frozen=True)
class Context:
    """Everything fixed within one block of replications (the early warning is per period: a
    period's context is ``dataclasses.replace(ctx, warning=...)``)."""

    rule: CompiledRule
    world: CompiledWorld
    audit: Audit  # the rule's audits: probability, detection_rate, fine_per_unit, penalty, veto
    ability: NDArray  # (B, D)
    theta: NDArray  # (B, D, K)
    eps: NDArray  # (S, B, D, J) CRN measurement draws
    eta: NDArray  # (S, B, D, R) CRN rater draws
    motivation: float  # λ: utility per unit of true value
    per_point: float  # pay per point of total score
    ratchet_factor: NDArray  # (J,) this period's discount through ratcheted targets
    comp_of_indicator: NDArray  # (J,) component index
    rater_component: NDArray  # (R,) component index
    limits: list[NDArray]  # per band (< last): cumulative quota count per class group, or inf
    group_codes: NDArray | None  # grading groups (dept,)
    prizes: NDArray  # (bands,) what each band is worth to a leader this period (careers.py)
    reputation: NDArray | None = None  # (B, D) rating points from last year's grade (state.py)
    warning_share: float = 0.0  # ρ: share of the measurement-noise variance revealed
    warning: NDArray | None = None  # (B, D, J) the part of its own measurement noise (in units of
    # σ) a department has seen at the mid-period early warning (预警提示); None without warnings
    events: CompiledEvents | None = None  # bonus/deduction items and veto events (events.py)
    event_state: tuple | None = None  # the events' chances at the current profile (events.py)

    @functools.cached_property
    def measurement_draws(self) -> NDArray:
        """``scale_j σ_j ε_sdj``: the CRN measurement noise in indicator units, (S, B, D, J)."""
        return self.measurement_sd * self.eps

    @functools.cached_property
    def measurement_sd(self) -> NDArray:
        """``scale_j σ_j`` (at least 1e-12): each indicator's measurement noise sd in its units."""
        return np.maximum(self.world.scale * self.world.noise, 1e-12)

    @functools.cached_property
    def crn_by_column(self) -> tuple[NDArray, NDArray, NDArray]:
        """:attr:`measurement_draws` laid out ``(S, J, B′, D)`` and ``eta`` laid out ``(S, R, B′,
        D)``, C-contiguous (the layout :func:`perfsim.world.fused.totals` reads; the same numbers),
        and the index (B,) of each of this context's replications along their B′ axis: the
        contexts of :meth:`replications` share the arrays of the block instead of copying them."""
        draws = np.ascontiguousarray(np.moveaxis(self.eps, -1, 1), dtype=float)
        draws *= self.measurement_sd[None, :, None, None]
        eta = np.ascontiguousarray(np.moveaxis(self.eta, -1, 1), dtype=float)
        for x in (draws, eta):  # (shared by the contexts of replications())
            x.setflags(write=False)
        return draws, eta, np.arange(self.eps.shape[1])

    @functools.cached_property
    def draw_means(self) -> tuple[NDArray, NDArray]:
        """The mean over samples of ``eps`` and of ``eta``: (B, D, J) and (B, D, R)."""
        return self.eps.mean(axis=0), self.eta.mean(axis=0)

    @functools.cached_property
    def quality_slope(self) -> NDArray:
        """The world's ``∂q_dr/∂y_dk`` (:func:`perfsim.world.model.quality_slope`), once a block."""
        return quality_slope(self.world)

    def replications(self, idx: NDArray) -> Context:
        """The context of the replications ``idx`` alone, with the draws it has computed already
        taken for them rather than computed again (the same numbers: each entry depends on its
        own replication's draws alone). ``idx``: integer indices (a boolean mask is converted)."""
        idx = np.asarray(idx)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        small = replace(
            self,
            ability=self.ability[idx],
            theta=self.theta[idx],
            eps=np.take(self.eps, idx, axis=1),  # (C-contiguous, unlike self.eps[:, idx])
            eta=np.take(self.eta, idx, axis=1),
            warning=None if self.warning is None else self.warning[idx],
            reputation=None if self.reputation is None else self.reputation[idx],
        )
        cached, kept = self.__dict__, small.__dict__  # (functools.cached_property's store)
        if "measurement_draws" in cached:
            kept["measurement_draws"] = np.take(cached["measurement_draws"], idx, axis=1)
        if "crn_by_column" in cached:
            draws, eta, rows = cached["crn_by_column"]
            kept["crn_by_column"] = (draws, eta, rows[idx])
        if "draw_means" in cached:
            kept["draw_means"] = tuple(m[idx] for m in cached["draw_means"])
        if "quality_slope" in cached:  # of the world alone
            kept["quality_slope"] = cached["quality_slope"]
        return small

    @classmethod
    def build(
        cls,
        scenario: Scenario,
        rule: CompiledRule,
        world: CompiledWorld,
        *,
        ability: NDArray,
        theta: NDArray,
        eps: NDArray,
        eta: NDArray,
        fixed: dict | None = None,
    ) -> Context:
        """The context of a block of the scenario's world with this population and these draws;
        ``fixed``: :meth:`fixed_parts` of the same scenario, rule and world, when the caller has
        them (the engine keeps them per model)."""
        parts = fixed if fixed is not None else cls.fixed_parts(scenario, rule, world)
        return cls(**parts, ability=ability, theta=theta, eps=eps, eta=eta)

    @staticmethod
    def fixed_parts(scenario: Scenario, rule: CompiledRule, world: CompiledWorld) -> dict:
        """The fields of a context that depend on the scenario, rule and world alone (the same in
        every block)."""
        sc = scenario
        return dict(
            rule=rule,
            world=world,
            audit=sc.rule.audit,
            motivation=sc.world.motivation,
            per_point=sc.rule.pay.per_point,
            ratchet_factor=ratchet_factor(sc, rule),
            comp_of_indicator=component_of_indicator(rule),
            rater_component=np.array(
                [rule.components.index(r) for r in world.raters], dtype=np.intp
            ),
            limits=band_limits(rule, world),
            group_codes=world.class_codes if sc.rule.grading.scope == "within_class" else None,
            warning_share=sc.world.early_warning,
            events=compile_events(sc, rule, world),
            prizes=careers.prizes(sc, rule)[0],
        )


def ratchet_factor(sc: Scenario, c: CompiledRule) -> NDArray:
    """Per indicator, the discount of the marginal reward through a ratcheted target in the first
    period (1 for indicators without one, or without ratcheting): ``ratchet_factors(sc, c)[0]``."""
    return ratchet_factors(sc, c)[0]


def ratchet_factors(sc: Scenario, c: CompiledRule) -> NDArray:
    """Per period and indicator, ``(periods, J)``, the discount of the marginal reward through a
    ratcheted target: ``(1 − δ)/(1 − δ + δ λ)`` in every period (``world.horizon =
    "stationary"``), or :func:`horizon_factors` (``"finite"``); 1 for indicators without a target,
    or without ratcheting."""
    periods = sc.world.periods
    if sc.rule.targets.mode != "ratchet":
        return np.ones((periods, len(c.indicators)))
    d, lam = sc.world.discount, sc.rule.targets.ratchet
    if sc.world.horizon == "finite":
        factor = horizon_factors(d, lam, periods)[:, None]
    else:
        factor = np.full((periods, 1), (1 - d) / (1 - d + d * lam))
    return np.where(uses_target(c)[None, :], factor, 1.0)


def horizon_factors(discount: float, ratchet: float, periods: int) -> NDArray:
    """``f_t = 1 − δλ(1 − qⁿ)/(1 − q)``, ``q = δ(1 − λ)``, ``n = T − t`` periods to come, for
    t = 1 … T (the module docstring derives it): 1 in the last period, falling with n towards
    ``(1 − δ)/(1 − δ + δλ)``."""
    d, lam = float(discount), float(ratchet)
    q = d * (1 - lam)
    to_come = np.arange(periods - 1, -1, -1, dtype=float)
    return 1.0 - d * lam * (1.0 - q**to_come) / (1.0 - q)


def uses_target(c: CompiledRule) -> NDArray:
    """Per indicator, whether its score is measured against a target (which a ratchet moves)."""
    return np.array(
        [
            m in ("target", "linear") and not np.isnan(t)
            for m, t in zip(c.methods, c.target, strict=True)
        ]
    )


def component_of_indicator(c: CompiledRule) -> NDArray:
    """Per indicator, the index of its component."""
    out = np.zeros(len(c.indicators), dtype=np.intp)
    for k, idx in enumerate(c.component_members):
        out[idx] = k
    return out


def band_limits(c: CompiledRule, w: CompiledWorld) -> list[NDArray]:
    """Cumulative quota counts per band (but the last), per grading group; inf without a quota."""
    within = c.rule.grading.scope == "within_class"
    sizes = np.bincount(w.class_codes, minlength=len(w.classes)) if within else np.array([w.n_dept])
    # the counts the grading uses: shares rounded per group as the rule says, or given counts
    per_band = band_counts(c.quotas, c.quota_counts, sizes, c.rounding)
    return list(np.cumsum(per_band[: len(c.bands) - 1], axis=0))
