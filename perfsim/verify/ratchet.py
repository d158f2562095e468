"""V4 and V4F: ratcheted targets against theory (docs/model.md, "Ratcheted targets").

V4 (``world.horizon = "stationary"``): the marginal reward implied by the simulated effort against
Weitzman's (1980) ``β(1 − δ)/(1 − δ + δλ_r)``.

V4F (``world.horizon = "finite"``): the simulated mean effort in each period of a T-period horizon
against the department's dynamic problem solved by backward induction (:func:`backward_induction`),
which uses nothing of the engine's period factors. A department of the theory scenario (one task,
one indicator, unit ability and productivity) with target ``T_t`` solves

    V_t(T) = max_{e ≥ 0} E_ε[β (k₀ + k₁ (m − T)) + λ v e − ½ c e² + δ V_{t+1}((1 − λ_r) T + λ_r m)],
    m = min(offset + γ e + s ε, ceiling),     V_{T+1} ≡ 0,

(k₀, k₁ the score at the target and per indicator unit above it, γ the indicator units per unit of
effort, s the measurement noise in indicator units) numerically: from the last period back, for
each target of a grid, by Brent's method on the expected utility now plus the discounted
continuation value, the expectation over ε by quadrature (:func:`measured_nodes`: Gauss–Legendre
nodes under the normal density up to where the ceiling binds, and the mass at the ceiling) and
``V_{t+1}`` interpolated (linearly, extrapolated beyond the grid) between the grid's values. The expected effort of each
period then follows the policies forward from the initial target over fixed noise paths.

Three cases: the bundled scenario (linear), a binding ceiling (effort is then no longer the
period factor times one number), and departments of unequal productivity ``θ = θ̄ exp(N(0, s_θ))``
(the theory averages the backward induction over θ by Gauss–Hermite quadrature,
:meth:`RatchetProblem.departments`; the simulated mean effort has a real Monte Carlo error).

A second part of each case compares the first year's simulated effort under a long finite horizon (long enough
that what is left of the ratchet after it, ``δλ_r q^(L−1)/(1 − q)``, q = δ(1 − λ_r), is below
``LONG_HORIZON_GAP`` of the marginal reward) with Weitzman's stationary effort: the finite horizon
tends to the stationary model.

Tolerances (absolute, in effort units, printed with each row): ``MC_SES`` Monte Carlo standard
errors of the mean over replications + twice the fixed point's tolerance (the best response stops
within ``world.tolerance`` of its fixed point) + what is left of the ratchet (long horizon).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from numpy.polynomial.legendre import leggauss
from numpy.typing import NDArray
from scipy.interpolate import make_interp_spline
from scipy.optimize import brentq, minimize_scalar
from scipy.stats import norm

from ..engine import build
from ..scenario import PerfsimError, scenario_source
from ..simulation import simulate
from .rows import MC_SES, Check, load_theory, score_slope, task_effort

#: what may be left of the ratchet after the long horizon, as a share of the marginal reward
LONG_HORIZON_GAP = 1e-5
#: the longest horizon simulated for the long-horizon row
LONG_HORIZON_MAX = 200


def v4(overrides, reps, seed) -> list[Check]:
    sc = load_theory("v4-ratchet.toml", ["world.horizon=stationary", *overrides])
    model = build(sc)
    w = model.world
    beta, lam, delta = sc.rule.pay.per_point, sc.rule.targets.ratchet, sc.world.discount
    theory = beta * (1 - delta) / (1 - delta + delta * lam)
    res = simulate(sc, reps=reps, seed=seed)
    slope = float(score_slope(model)[0])
    simulated = task_effort(res, w.tasks[0]) * w.cost[0, 0] / slope
    checks = [
        Check("V4 ratchet marginal reward", "Weitzman: β(1−δ)/(1−δ+δλ)", theory, simulated, 0.03)
    ]
    faster = min(1.0, lam + 0.3)
    res2 = simulate(sc, reps=reps, seed=seed, overrides=[f"rule.targets.ratchet={faster}"])
    theory2 = beta * (1 - delta) / (1 - delta + delta * faster)
    checks.append(
        Check(
            f"V4 ratchet marginal reward (λ={faster:g})",
            "effort falls with λ",
            theory2,
            task_effort(res2, w.tasks[0]) * w.cost[0, 0] / slope,
            0.03,
        )
    )
    return checks


@dataclass(frozen=True)
class RatchetProblem:
    """One department's dynamic problem under a ratcheted target (the module docstring)."""

    pay: float  # β per point
    base: float  # k₀: points at m = T
    slope: float  # k₁: points per indicator unit above the target
    offset: float  # indicator at zero effort
    gain: float  # γ: indicator units per unit of effort
    sd: float  # s: measurement noise, indicator units
    ceiling: float  # largest reported value (inf: none)
    cost: float  # c in ½ c e²
    intrinsic: float  # λ v: utility per unit of effort through true value
    ratchet: float  # λ_r
    discount: float  # δ
    target: float  # T₁
    periods: int  # T
    productivity_sd: float = 0.0  # s_θ: departments' productivity θ = θ̄ exp(N(0, s_θ))

    @classmethod
    def from_scenario(cls, sc) -> RatchetProblem:
        """The problem of a department of a theory scenario with one task, one indicator, one
        class and unit ability (γ and λ v at the class's mean productivity θ̄)."""
        model = build(sc)
        c, w = model.rule, model.world
        if len(w.tasks) != 1 or len(c.indicators) != 1 or c.methods[0] != "linear":
            raise PerfsimError(
                f"{scenario_source(sc)}: the ratchet rows (V4F) need one task and one indicator "
                "scored linearly against its target"
            )
        if len(w.classes) != 1 or w.ability_mean[0] != 0 or w.ability_sd[0] != 0:
            raise PerfsimError(
                f"{scenario_source(sc)}: the ratchet rows (V4F) need one class of departments of "
                "unit ability (ability_mean = ability_sd = 0)"
            )
        comp = next(k for k, idx in enumerate(c.component_members) if 0 in list(idx))
        k = float(c.shares[comp] * np.asarray(c.class_weights[0])[0])
        theta = float(w.productivity[0, 0])
        return cls(
            pay=sc.rule.pay.per_point,
            base=k * float(c.base[0]),
            slope=k * float(c.span[0]) * (1.0 if c.benefit[0] else -1.0),
            offset=float(w.offset[0]),
            gain=float(w.scale[0] * w.loadings[0, 0]) * theta,
            sd=float(abs(w.scale[0]) * w.noise[0]),
            ceiling=float(w.ceiling[0]),
            cost=float(w.cost[0, 0]),
            intrinsic=sc.world.motivation * float(w.value[0]) * theta,
            ratchet=sc.rule.targets.ratchet,
            discount=sc.world.discount,
            target=float(np.nan_to_num(c.target[0], nan=0.0)),
            periods=sc.world.periods,
            productivity_sd=float(w.productivity_sd[0]),
        )

    def departments(self, nodes: int = 9) -> list[tuple[float, RatchetProblem]]:
        """(probability, problem) of departments of productivity ``θ̄ exp(s_θ z)``, z at the
        Gauss–Hermite nodes: expectations over departments (one problem when s_θ = 0)."""
        if self.productivity_sd == 0:
            return [(1.0, self)]
        z, w = hermegauss(nodes)
        theta = np.exp(self.productivity_sd * z)
        return [
            (
                float(wi / w.sum()),
                replace(
                    self, gain=self.gain * t, intrinsic=self.intrinsic * t, productivity_sd=0.0
                ),
            )
            for wi, t in zip(w, theta, strict=True)
        ]

    def effort_bound(self) -> float:
        """An effort no optimum exceeds: the one-period optimum with the whole reward, doubled."""
        return 2.0 * (abs(self.pay * self.slope * self.gain) + abs(self.intrinsic)) / self.cost + 1


@functools.lru_cache(maxsize=4)
def _legendre(nodes: int) -> tuple[NDArray, NDArray]:
    return leggauss(nodes)


def measured_nodes(p: RatchetProblem, e: float, nodes: int = 48) -> tuple[NDArray, NDArray]:
    """Values of the reported indicator ``m = min(offset + γe + sε, ceiling)`` and their
    probabilities, for expectations over ε: Gauss–Legendre nodes on ε ∈ [−8, z_c] (z_c where the
    ceiling binds) weighted by the normal density, and the ceiling with probability P(ε > z_c)."""
    mu = p.offset + p.gain * e
    if p.sd == 0:
        return np.array([min(mu, p.ceiling)]), np.array([1.0])
    top = min((p.ceiling - mu) / p.sd, 8.0)
    if top <= -8.0:
        return np.array([p.ceiling]), np.array([1.0])
    x, w = _legendre(nodes)
    eps = 0.5 * (top + 8.0) * x + 0.5 * (top - 8.0)
    prob = 0.5 * (top + 8.0) * w * np.exp(-0.5 * eps * eps) / np.sqrt(2 * np.pi)
    m = mu + p.sd * eps
    if not np.isfinite(p.ceiling):
        return m, prob
    return np.append(m, p.ceiling), np.append(prob, norm.sf(top))


def backward_induction(p: RatchetProblem, *, grid_points: int = 21, paths: int = 2000) -> NDArray:
    """The expected effort in each period, ``(periods,)``, of the problem solved backwards."""
    hi = p.effort_bound()
    half = abs(p.target) + abs(p.offset) + abs(p.gain) * hi + 6 * p.sd + 1.0
    grid = p.target + np.linspace(-half, half, grid_points)
    policies: list[NDArray] = []
    cont = None  # V_{t+1} as a function of the target (None after the last period)
    for _ in range(p.periods):

        def minus_value(e: float, target: float, cont=cont) -> float:
            m, prob = measured_nodes(p, e)
            u = p.pay * (p.base + p.slope * (m - target)) + p.intrinsic * e - 0.5 * p.cost * e * e
            if cont is not None:
                u = u + p.discount * cont((1 - p.ratchet) * target + p.ratchet * m)
            return -float(prob @ u)

        best = [
            minimize_scalar(
                minus_value, bounds=(0.0, hi), args=(t,), method="bounded", options={"xatol": 1e-11}
            )
            for t in grid
        ]
        policies.append(np.array([r.x for r in best]))
        cont = make_interp_spline(grid, -np.array([r.fun for r in best]), k=1)
    policies.reverse()
    rng = np.random.default_rng(0)
    target = np.full(paths, p.target)
    out = np.empty(p.periods)
    for t, policy in enumerate(policies):
        e = make_interp_spline(grid, policy, k=1)(target)
        out[t] = e.mean()
        m = np.minimum(p.offset + p.gain * e + p.sd * rng.standard_normal(paths), p.ceiling)
        target = (1 - p.ratchet) * target + p.ratchet * m
    return out


def stationary_effort(p: RatchetProblem) -> float:
    """Weitzman's effort: ``c e = β k₁ γ P(m < ceiling) (1 − δ)/(1 − δ + δλ_r) + λ v`` (at least
    0; ``P(m < ceiling) = Φ((ceiling − offset − γe)/s)``, 1 without a ceiling)."""
    d, lam = p.discount, p.ratchet
    factor = (1 - d) / (1 - d + d * lam)

    def excess(e: float) -> float:
        below = 1.0
        if np.isfinite(p.ceiling):
            gap = p.ceiling - p.offset - p.gain * e
            below = float(norm.cdf(gap / p.sd)) if p.sd > 0 else float(gap > 0)
        return p.pay * p.slope * p.gain * factor * below + p.intrinsic - p.cost * e

    if excess(0.0) <= 0:
        return 0.0
    return float(brentq(excess, 0.0, p.effort_bound(), xtol=1e-13))


def mean_effort(p: RatchetProblem) -> NDArray:
    """Each period's effort by backward induction, averaged over departments' productivity."""
    return sum(w * backward_induction(q) for w, q in p.departments())


def mean_stationary_effort(p: RatchetProblem) -> float:
    """Weitzman's effort averaged over departments' productivity."""
    return float(sum(w * stationary_effort(q) for w, q in p.departments()))


def long_horizon(p: RatchetProblem) -> tuple[int, float]:
    """The horizon L after which what is left of the ratchet, ``δλ_r q^(L−1)/(1 − q)``, is below
    ``LONG_HORIZON_GAP`` (at most ``LONG_HORIZON_MAX``), and that remainder."""
    d, lam = p.discount, p.ratchet
    q = d * (1 - lam)
    if d * lam == 0 or q == 0:
        return 2, 0.0
    need = np.log(LONG_HORIZON_GAP * (1 - q) / (d * lam)) / np.log(q)
    periods = int(min(LONG_HORIZON_MAX, max(2, 1 + np.ceil(need))))
    return periods, d * lam * q ** (periods - 1) / (1 - q)


def _mean_se(res, period: int) -> tuple[float, float]:
    x = res.period_effort[period].to_numpy(dtype=float)
    return float(x.mean()), float(x.std(ddof=1) / np.sqrt(x.size)) if x.size > 1 else 0.0


#: the other V4F cases: a ceiling that binds, so that effort is not the factor times one number;
#: departments of unequal productivity, so that the mean effort has a Monte Carlo error
_V4F_CASES = (
    ("", []),
    (" (ceiling)", ["world.indicators.output.ceiling=0.6", "world.indicators.output.noise=0.3"]),
    (" (unequal θ)", ["world.classes.all.productivity_sd=0.4"]),
)


def v4f(overrides, reps, seed) -> list[Check]:
    checks = []
    for label, extra in _V4F_CASES:
        sc = load_theory("v4-ratchet.toml", ["world.horizon=finite", *extra, *overrides])
        checks += _v4f_case(sc, label, reps, seed)
    return checks


def _v4f_case(sc, label: str, reps: int, seed: int) -> list[Check]:
    """Each year against backward induction, and year 1 of a long horizon against Weitzman."""
    p = RatchetProblem.from_scenario(sc)
    theory = mean_effort(p)
    res = simulate(sc, reps=reps, seed=seed)
    fixed_point = 2 * sc.world.tolerance
    checks = []
    for t in range(p.periods):
        mean, se = _mean_se(res, t + 1)
        tol = MC_SES * se + fixed_point
        checks.append(
            Check(
                f"V4F effort, year {t + 1} of {p.periods}{label}",
                f"backward induction on V_t(T) (λ_r={p.ratchet:g}, δ={p.discount:g}, "
                + (f"ceiling {p.ceiling:g}" if math.isfinite(p.ceiling) else "no ceiling")
                + f"); tolerance {MC_SES:g} MC s.e. + 2 × fixed-point tolerance = "
                f"{tol:.3g} (s.e. {se:.2g})",
                float(theory[t]),
                mean,
                tol,
                absolute=True,
            )
        )
    periods, gap = long_horizon(p)
    long = simulate(sc, reps=reps, seed=seed, overrides=[f"world.periods={periods}"])
    mean, se = _mean_se(long, 1)
    left = gap * sum(w * abs(q.pay * q.slope * q.gain) / q.cost for w, q in p.departments())
    tol = MC_SES * se + fixed_point + left
    checks.append(
        Check(
            f"V4F year 1 of {periods} → stationary{label}",
            f"Weitzman's stationary effort, c e = β k₁ γ P(m < ceiling) (1−δ)/(1−δ+δλ_r); "
            f"tolerance {MC_SES:g} MC s.e. + 2 × fixed-point tolerance + ratchet left after "
            f"{periods} years ({left:.2g}) = {tol:.3g}",
            mean_stationary_effort(p),
            mean,
            tol,
            absolute=True,
        )
    )
    return checks
