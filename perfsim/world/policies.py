"""Behaviour policies as objects: how departments choose real effort ``e`` and gaming ``g``.

A policy answers two calls each period (:class:`Policy`): ``respond`` chooses this period's effort
and gaming given the block's :class:`~perfsim.world.context.Context`, last period's choices and the
targets; ``observe`` learns from the period's evaluation. The scenario names the policy
(``world.policy``); :data:`POLICIES` resolves the name (:func:`policy_class`, :func:`make_policy`).

``naive``: baseline effort, no gaming (what the rule would measure if nobody reacted).

``best_response``: each department maximises

    U_d = E[reward] + λ V_d − ½ eᵀCe/a_d − ½ Σ c_gj g_j² − E[sanction]

taking the others' choices as given, iterated with damping to a fixed point (Nash) each period
(the equations are in :mod:`perfsim.world.response`).

``adaptive``: departments start at the baseline and learn each band's cut-off from realised results,

    τ̂_g,t+1 = (1 − α) τ̂_g,t + α τ_g,t,     τ̂_g,1 = τ_g,0,

where ``τ_g,t`` is the realised boundary score (the K_g-th best total among the others of the
department's group, raised to the band's threshold) and ``α`` the ``learning_rate``; each period
they move the share ``α`` of the way to the best response against the learned cut-offs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, NamedTuple, Protocol

import numpy as np
from numpy.typing import NDArray

from ..rules.pipeline import Evaluation
from ..scenario import PerfsimError
from ..scenario.world import World
from . import profile, response
from .context import Context


class Choice(NamedTuple):
    """A period's choices of every department."""

    effort: NDArray  # (B, D, K)
    gaming: NDArray  # (B, D, J)


class Policy(Protocol):
    """How departments respond to a rule; one object per block of replications."""

    name: ClassVar[str]
    #: whether ``respond`` estimates expected rewards from the context's common random numbers
    #: (``world.samples`` draws; a policy that does not gets none)
    uses_samples: ClassVar[bool]
    diagnostics: dict[str, float]  # e.g. the best response's iterations and residual

    def __init__(self, settings: World) -> None: ...

    def respond(self, ctx: Context, effort: NDArray, gaming: NDArray, targets: NDArray) -> Choice:
        """This period's effort and gaming, given last period's and the targets."""
        ...

    def observe(self, ctx: Context, evaluation: Evaluation) -> None:
        """Learn from the period's evaluation (``evaluation.total``: (B, D))."""
        ...


#: Registered policies by the name a scenario gives (``world.policy``).
POLICIES: dict[str, type[Policy]] = {}


class UnknownPolicyError(PerfsimError, ValueError):
    """A policy name no policy is registered under."""


def register(name: str) -> Callable[[type], type]:
    """Class decorator: register a policy under ``name``."""

    def decorate(cls: type) -> type:
        cls.name = name
        POLICIES[name] = cls
        return cls

    return decorate


def policy_class(name: str) -> type[Policy]:
    """The policy registered under ``name``."""
    try:
        return POLICIES[name]
    except KeyError:
        known = ", ".join(repr(k) for k in POLICIES)
        raise UnknownPolicyError(
            f"world.policy = {name!r}: no such policy (registered policies: {known})"
        ) from None


def make_policy(settings: World) -> Policy:
    """A fresh policy object for one block of the world ``settings`` (``settings.policy``)."""
    return policy_class(settings.policy)(settings)


class _Stateless:
    """Shared defaults: no learning, no diagnostics beyond zeros."""

    uses_samples: ClassVar[bool] = True

    def __init__(self, settings: World) -> None:
        self.settings = settings
        self.diagnostics = {"iterations": 0.0, "residual": 0.0}

    def observe(self, ctx: Context, evaluation: Evaluation) -> None:
        """Nothing to learn."""


@register("naive")
class Naive(_Stateless):
    """Baseline effort, no gaming: the choices never change."""

    uses_samples: ClassVar[bool] = False

    def respond(self, ctx, effort, gaming, targets) -> Choice:
        return Choice(effort, gaming)


@register("best_response")
class BestResponse(_Stateless):
    """Damped best responses iterated to a fixed point each period, each replication on its own.

    ``convergence`` records per replication, over the periods so far: ``iterations`` (the most in
    any period), ``residual`` (the largest final residual) and ``converged`` (in every period).

    A period whose problem is the last period's again (the same period factor through ratcheted
    targets, the same targets, no early warning: fixed targets, or a finite horizon's repeated
    factors) keeps the last period's fixed point instead of iterating again from it; a period
    whose targets moved is solved anew, warm-started at the last period's choices."""

    def __init__(self, settings: World) -> None:
        super().__init__(settings)
        self.convergence: dict[str, NDArray] | None = None
        self._last: tuple[Context, NDArray, Choice] | None = None  # ctx, targets, choice

    def _repeats(self, ctx: Context, targets: NDArray) -> Choice | None:
        """The last period's choice when this period's problem is the same, else None."""
        if self._last is None or ctx.warning is not None:
            return None
        last_ctx, last_targets, choice = self._last
        same = (
            last_ctx.eps is ctx.eps  # the same block and draws
            and np.array_equal(last_ctx.ratchet_factor, ctx.ratchet_factor)
            and np.array_equal(last_ctx.prizes, ctx.prizes)  # careers.py: budget value by year
            and last_ctx.theta is ctx.theta  # state.py: budgets move productivity
            and last_ctx.reputation is None
            and ctx.reputation is None
            and (last_targets is targets or np.array_equal(last_targets, targets))
        )
        return choice if same else None

    def respond(self, ctx, effort, gaming, targets) -> Choice:
        again = self._repeats(ctx, targets)
        if again is not None:
            return again
        if self._last is not None and self._last[0].theta is not ctx.theta:
            # budgets moved productivity (world/state.py): effort answers θ about in proportion,
            # so the last fixed point scaled by θ_new/θ_old is the nearer start (not the answer)
            effort = effort * (ctx.theta / self._last[0].theta)
        choice = self._solve(ctx, effort, gaming, targets, warm=self._last is not None)
        self._last = (ctx, targets, choice)
        return choice

    def _solve(self, ctx, effort, gaming, targets, warm: bool = False) -> Choice:
        s = self.settings
        resp = response.best_response(
            ctx,
            effort,
            gaming,
            targets,
            damping=s.damping,
            tolerance=s.tolerance,
            max_iterations=s.max_iterations,
            warm=warm,  # from the last period's fixed point: Anderson mixing from the first step
        )
        conv = self.convergence
        if conv is None:
            conv = self.convergence = dict(
                iterations=resp.iterations.astype(float),
                residual=resp.residual.copy(),
                converged=resp.converged.copy(),
                gap=resp.gap.copy(),
            )
        else:
            conv["iterations"] = np.maximum(conv["iterations"], resp.iterations)
            conv["residual"] = np.maximum(conv["residual"], resp.residual)
            conv["converged"] = conv["converged"] & resp.converged
            conv["gap"] = np.maximum(conv["gap"], resp.gap)
        diag = self.diagnostics
        diag["iterations"] = float(conv["iterations"].max(initial=0.0))
        diag["residual"] = float(conv["residual"].max(initial=0.0))
        return Choice(resp.effort, resp.gaming)


@register("adaptive")
class Adaptive(_Stateless):
    """One damped step (``learning_rate``) towards the best response to the learned cut-offs."""

    def __init__(self, settings: World) -> None:
        super().__init__(settings)
        self.learned: list[NDArray] | None = None  # τ̂_g per band but the last, (B, D) each

    def respond(self, ctx, effort, gaming, targets) -> Choice:
        if self.learned is None:  # nothing learned yet: keep the baseline
            return Choice(effort, gaming)
        resp = response.best_response(
            ctx,
            effort,
            gaming,
            targets,
            damping=self.settings.learning_rate,
            tolerance=0.0,
            max_iterations=1,
            learned=self.learned,
        )
        return Choice(resp.effort, resp.gaming)

    def observe(self, ctx: Context, evaluation: Evaluation) -> None:
        """Move the learned cut-offs towards the realised boundary scores."""
        c, total, rate = ctx.rule, evaluation.total, self.settings.learning_rate
        realised = []
        for g in range(len(c.bands) - 1):
            tau = profile.kth_of_others(total[None], ctx.limits[g], ctx.group_codes)[0]
            thr = c.thresholds[g]
            tau = np.maximum(tau, thr) if not np.isnan(thr) else tau
            realised.append(np.where(np.isfinite(tau), tau, np.where(tau > 0, 1e9, -1e9)))
        if self.learned is None:
            self.learned = realised
        else:
            self.learned = [
                (1 - rate) * old + rate * new
                for old, new in zip(self.learned, realised, strict=True)
            ]
