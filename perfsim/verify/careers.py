"""Rows V2c (career concern in a tournament) and V7 (budget feedback between two departments).

**V2c.** A leader values band g at ``W_g + κ_P p_g`` (bonus, ``world.promotion_value`` κ_P times the
band's ``promotion_weight``; :mod:`perfsim.world.careers`). In Lazear and Rosen's two-department
tournament (linear score s per unit of effort, score noise σ per department, cost ½ c e²) the
first-order condition ``c e = ΔΠ s φ_{√2σ}(0)`` gives

    e* = (ΔW + κ_P Δp) s / (2 σ √π c),

and gaming with score a per unit (``scale κ``) and cost ½ k g² ``g* = (ΔW + κ_P Δp) a / (2 σ √π k)``

and with D departments and a top quota of k the marginal probability is the expected density of
the k-th best of the others (:func:`perfsim.verify.rows.kth_cutoff_density`). Both are computed
from the scenario's reward table as the user wrote it, not from the engine's prizes.

**V7.** Two departments, one winner a year; the winner's budget is multiplied by ``f_w``, the
loser's by ``f_l``: ``ln B_{t+1} = ρ ln B_t + ln f_g``; productivity ``θ B^η``; fixed effort e;
measurement noise σ. Department 1 wins with probability ``P(B) = Φ(θ e (B₁^η − B₂^η)/(σ√2))``.
Since exactly one department wins each year, ``ln B₁ + ln B₂`` tends to ``(ln f_w + ln f_l)/(1 − ρ)``
whatever happens, and ``D = ln B₁ − ln B₂ = Δ Σ_n ρⁿ s_n`` (``Δ = ln f_w − ln f_l``, ``s_n = ±1``:
who won n years ago). The chain on the last K winners (K = 16: the rest moves D by at most
``Δ ρ^K/(1 − ρ)``) has a stationary distribution π, found by iterating its transition; the row
compares the simulated last year's grade persistence (P(the last winner wins again)) and budget
Gini with their expectations under π. With ρ = 0 the chain has two states and the persistence is
``Φ(θ e (f_w^η − f_l^η)/(σ√2))``. Tolerances: ``MC_SES`` Monte Carlo standard errors.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

from ..scenario.rule_parts import Reward
from ..simulation import simulate
from .rows import MC_SES, Check, kth_cutoff_density, load_theory, mc_mean, need_noise

#: V2c: overrides of the V2 and V2q scenarios — part bonus, part promotion
_V2C_CASES = (
    (
        "v2-tournament.toml",
        "",
        ["rule.rewards.win.bonus=0.4", "rule.rewards.win.promotion_weight=1.5"],
        0.4,
    ),
    (
        "v2q-quota.toml",
        " (D=200, q=0.15, promotion only)",
        ['rule.rewards."优秀".bonus=0', 'rule.rewards."优秀".promotion_weight=2'],
        0.5,
    ),
)


#: V2c gaming: the two-department case with a gameable indicator (κ = 1, gaming cost k = 2)
_V2C_GAMING = ["world.indicators.output.gameability=1", "world.indicators.output.gaming_cost=2"]


def _band_prize(sc, band: str) -> tuple[float, float]:
    reward = sc.rule.rewards.get(band, Reward())
    return float(reward.bonus), float(reward.promotion_weight)


def v2c(overrides, reps, seed) -> list[Check]:
    checks = []
    for file, label, extra, value in _V2C_CASES:
        sc = load_theory(file, [*extra, f"world.promotion_value={value}", *overrides])
        top, rest = sc.rule.grading.bands[0], sc.rule.grading.bands[-1]
        (w0, p0), (w1, p1) = _band_prize(sc, top), _band_prize(sc, rest)
        kappa = sc.world.promotion_value
        spread = (w0 - w1) + kappa * (p0 - p1)
        out = sc.world.indicators["output"]
        need_noise(sc, "output")
        sigma, cost = out.noise * out.scale, sc.world.tasks["work"].cost
        slope = out.scale * out.tasks["work"]
        n = sc.world.departments
        k = int(round(sc.rule.grading.quota[top] * n))
        density = kth_cutoff_density(n - 1, k, sigma)  # 1/(2σ√π) for n = 2, k = 1
        theory = spread * slope * density / cost  # score = measured value (linear, 1 per unit)
        res = simulate(sc, reps=reps, seed=seed)
        mean, se = mc_mean(res)
        tol = MC_SES * se + 0.01 * abs(theory)
        if n == 2:
            checks.append(_gaming_row(sc, spread, density, res, se / max(theory, 1e-12)))
        checks.append(
            Check(
                f"V2c career tournament{label}",
                f"c e* = (ΔW + κ_P Δp) s E[f_τ] = ({w0 - w1:g} + {kappa:g}·{p0 - p1:g}) "
                f"s E[f_τ]; tolerance {MC_SES:g} MC s.e. + 1 % = {tol:.3g} (s.e. {se:.2g})",
                theory,
                mean,
                tol,
                absolute=True,
            )
        )
    return checks


def _gaming_row(sc, spread: float, density: float, res, relative_se: float) -> Check:
    """The gaming of the two-department case with :data:`_V2C_GAMING`: ``k g* = ΔΠ κ s E[f_τ]``
    (the same marginal probability as effort's, so its Monte Carlo error is effort's, relative)."""
    out = sc.world.indicators["output"]
    kappa, k = 1.0, 2.0  # the values of _V2C_GAMING
    theory = spread * out.scale * kappa * density / k
    gaming = simulate(
        sc, reps=res.metadata["reps"], seed=res.metadata["seed"], overrides=_V2C_GAMING
    )
    simulated = float(gaming.departments["gaming:output"].mean())
    tol = MC_SES * relative_se * theory + 0.01 * theory
    return Check(
        "V2c career tournament gaming",
        f"k g* = (ΔW + κ_P Δp) a E[f_τ], a = scale·κ, κ = {kappa:g}, k = {k:g}; tolerance {MC_SES:g} MC s.e. "
        f"(relative, as effort's) + 1 % = {tol:.3g}",
        theory,
        simulated,
        tol,
        absolute=True,
    )


def budget_chain(
    f_win: float, f_lose: float, rho: float, eta: float, pull: float, memory: int = 16
) -> dict[str, float]:
    """Stationary grade persistence and budget Gini of the V7 chain (module docstring);
    ``pull = θ e/(σ√2)``."""
    k = memory if rho > 0 else 1
    states = np.arange(2**k)
    bits = (states[:, None] >> np.arange(k)[None, :]) & 1  # bit n: department 1 won n years ago
    delta = np.log(f_win) - np.log(f_lose)
    d = delta * ((2 * bits - 1) * rho ** np.arange(k)).sum(axis=1)
    s = (np.log(f_win) + np.log(f_lose)) / (1 - rho)
    b1, b2 = np.exp((s + d) / 2), np.exp((s - d) / 2)
    p1 = norm.cdf(pull * (b1**eta - b2**eta))  # department 1 wins next year
    shifted = (states << 1) & (2**k - 1)
    pi = np.full(states.size, 1.0 / states.size)
    for _ in range(10_000):
        new = np.zeros_like(pi)
        np.add.at(new, shifted | 1, pi * p1)
        np.add.at(new, shifted, pi * (1 - p1))
        if np.abs(new - pi).max() < 1e-14:
            break
        pi = new
    last = bits[:, 0] == 1
    persistence = float((pi * np.where(last, p1, 1 - p1)).sum())
    gini = float((pi * np.abs(b1 - b2) / (2 * (b1 + b2))).sum())
    return {"grade_persistence": persistence, "budget_gini": gini}


#: V7: (budget_persistence ρ, periods, f_win, f_lose); ρ = 0 is in steady state from year 2
_V7_CASES = ((0.0, 2, 1.5, 0.6), (0.5, 40, 1.15, 0.9))
#: V7 uses this many times the row's replications (two departments, fixed effort: cheap)
_V7_REPS = 10


def v7(overrides, reps, seed) -> list[Check]:
    checks = []
    for rho, periods, win, lose in _V7_CASES:
        extra = [
            f"world.budget_persistence={rho}",
            f"world.periods={periods}",
            f"rule.rewards.win.budget_factor={win}",
            f"rule.rewards.lose.budget_factor={lose}",
        ]
        sc = load_theory("v7-budget.toml", [*extra, *overrides])
        w = sc.world
        out = w.indicators["output"]
        need_noise(sc, "output")
        e = w.tasks["work"].baseline_effort * out.tasks["work"]
        pull = e / (out.noise * np.sqrt(2))
        f_w = sc.rule.rewards["win"].budget_factor
        f_l = sc.rule.rewards["lose"].budget_factor
        theory = budget_chain(f_w, f_l, w.budget_persistence, w.budget_elasticity, pull)
        res = simulate(sc, reps=_V7_REPS * reps, seed=seed)
        for name, label in (("grade_persistence", "grade persistence"), ("budget_gini", "Gini")):
            mean, se = mc_mean(res, name)
            tol = MC_SES * se + 1e-9
            checks.append(
                Check(
                    f"V7 budget feedback {label} (ρ={rho:g})",
                    f"stationary chain of the last winners, f = {f_w:g}/{f_l:g}, η = "
                    f"{w.budget_elasticity:g}, year {periods}; tolerance {MC_SES:g} MC s.e. = "
                    f"{tol:.3g} ({len(res.per_rep)} replications)",
                    theory[name],
                    mean,
                    tol,
                    absolute=True,
                )
            )
    return checks
