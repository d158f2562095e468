"""Row V7E of the validation suite: events anticipated by the best response
(:mod:`perfsim.world.events`), on ``scenarios/theory/v7e-events.toml``.

* A claimable bonus item (加分): with linear pay b per point, P points claimed with probability
  ``1 − (1 − p₀) e^(−r θ e)`` and effort cost ``½ c e²/a``, the first-order condition
  ``c e / a = b P (1 − p₀) r θ e^(−r θ e)`` gives ``e* = W(a b P (1 − p₀) r² θ² / c) / (r θ)``
  (W the Lambert function; unit a and θ here). The realised claim rate is checked against
  ``1 − (1 − p₀) e^(−r e*)`` within Monte Carlo error.
* A veto event: the department maximises ``(1 − q(e_v)) b e_m + λ e_m − ½ c_m e_m² − ½ c_v e_v²``
  with ``q = Λ(logit p_v − r_v e_v)``, solved here by a generic numerical optimiser (not the
  engine's first-order conditions), at two veto probabilities; and with gaming that raises the
  veto's chance (``+ γ g`` in its log-odds), at two settings (``GAMING_CASES`` notes where the
  iteration misses the optimum).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit, lambertw, logit

from ..simulation import simulate
from .rows import MC_SES, Check, load_theory, task_effort

FILE = "v7e-events.toml"
#: (points, p₀, r, cost of the claim task)
_CLAIM_CASES = ((2.0, 0.0, 0.8, 1.0), (1.0, 0.2, 1.5, 0.5))
#: veto probabilities at zero conduct output
_VETO_CASES = (0.2, 0.6)


def claim_effort(b: float, points: float, p0: float, rate: float, cost: float) -> float:
    """``e* = W(b P (1 − p₀) r² / c) / r`` (unit ability and productivity)."""
    return float(np.real(lambertw(b * points * (1 - p0) * rate**2 / cost))) / rate


def veto_efforts(b: float, lam: float, c_m: float, c_v: float, p_v: float, r_v: float):
    """``(e_m, e_v)`` maximising the veto row's utility, by Nelder–Mead from the no-veto effort."""

    def loss(x):
        e_m, e_v = np.maximum(x, 0.0)
        q = expit(logit(p_v) - r_v * e_v)
        return -((1 - q) * b * e_m + lam * e_m - 0.5 * c_m * e_m**2 - 0.5 * c_v * e_v**2)

    start = np.array([(b + lam) / c_m, 0.5])
    res = minimize(loss, start, method="Nelder-Mead", options=dict(xatol=1e-10, fatol=1e-14))
    return np.maximum(res.x, 0.0)


def ve(overrides, reps, seed) -> list[Check]:
    checks = []
    for points, p0, rate, cost in _CLAIM_CASES:
        extra = [
            f"world.events.claim.points={points}",
            f"world.events.claim.probability={p0}",
            f"world.events.claim.effect={rate}",
            f"world.tasks.claiming.cost={cost}",
        ]
        sc = load_theory(FILE, [*extra, *overrides])
        b = sc.rule.pay.per_point
        theory = claim_effort(b, points, p0, rate, cost)
        res = simulate(sc, reps=reps, seed=seed)
        checks.append(
            Check(
                f"V7E claim effort (P={points:g}, p₀={p0:g}, r={rate:g}, c={cost:g})",
                "claimable bonus item: e* = W(bP(1−p₀)r²/c)/r",
                theory,
                task_effort(res, "claiming"),
                1e-3,
            )
        )
        # every department's total is its measured output plus its claimed points
        d = res.departments
        claimed = float((d["total"] - d["measured:measured"]).mean()) / points
        rate_theory = 1 - (1 - p0) * np.exp(-rate * theory)
        se = np.sqrt(rate_theory * (1 - rate_theory) / (reps * sc.world.departments))
        checks.append(
            Check(
                f"V7E claim rate (P={points:g}, p₀={p0:g}, r={rate:g}, c={cost:g})",
                f"share claimed 1 − (1 − p₀)e^(−r e*); tolerance {MC_SES:g} binomial s.e. "
                f"({se:.2g})",
                rate_theory,
                claimed,
                MC_SES * se,
                absolute=True,
            )
        )
    return checks + _veto_checks(overrides, reps, seed) + gaming_checks(overrides, reps, seed)


def veto_gaming_choice(b, lam, c_m, c_v, k, p_v, r_v, gamma):
    """``(e_m, e_v, g)`` maximising ``(1 − Λ(logit p_v − r_v e_v + γ g)) b (e_m + g) + λ e_m
    − ½ c_m e_m² − ½ c_v e_v² − ½ k g²`` (a gameable indicator, κ = 1), by Nelder–Mead from
    several starting levels of gaming (the utility need not be concave in g)."""

    def loss(x):
        e_m, e_v, g = np.maximum(x, 0.0)
        q = expit(logit(p_v) - r_v * e_v + gamma * g)
        return -(
            (1 - q) * b * (e_m + g) + lam * e_m - 0.5 * (c_m * e_m**2 + c_v * e_v**2 + k * g**2)
        )

    options = dict(xatol=1e-10, fatol=1e-14, maxiter=20_000)
    runs = [
        minimize(loss, [(b + lam) / c_m, 0.3, g0], method="Nelder-Mead", options=options)
        for g0 in (0.0, 0.1, 0.3, 1.0)
    ]
    return np.maximum(min(runs, key=lambda r: r.fun).x, 0.0)


#: (p_v, γ, gaming cost k): gaming that raises the veto's chance. Known limitation: when the
#: veto is likely and gaming raises it steeply (p_v = 0.3, γ = 3) with a high pay per point
#: (b ≥ 0.8), the optimum games a little and covers it with more groundwork; the best-response
#: iteration, whose candidates move gaming with effort linearised at the current profile, settles
#: at no gaming instead (utility 0.3–9 % below the optimum; tests/test_verify_rows.py keeps it as
#: an expected failure).
GAMING_CASES = ((0.2, 1.5, 2.0), (0.05, 2.0, 1.0))


def gaming_checks(overrides, reps, seed, cases=GAMING_CASES) -> list[Check]:
    """The checks of gaming under a veto event raised by gaming, one pair per (p_v, γ, k)."""
    checks = []
    for p_v, gamma, k in cases:
        extra = [
            "world.events.claim.effect=0",
            f"world.events.violation.probability={p_v}",
            f"world.events.violation.gaming={gamma}",
            "world.indicators.measured.gameability=1",
            f"world.indicators.measured.gaming_cost={k}",
        ]
        sc = load_theory(FILE, [*extra, *overrides])
        w = sc.world
        c_m, c_v = w.tasks["measured"].cost, w.tasks["conduct"].cost
        r_v = w.events["violation"].effect
        theory = veto_gaming_choice(
            sc.rule.pay.per_point, w.motivation, c_m, c_v, k, p_v, r_v, gamma
        )
        res = simulate(sc, reps=reps, seed=seed)
        gaming = float(res.departments["gaming:measured"].mean())
        for name, t, s in (
            ("conduct", theory[1], task_effort(res, "conduct")),
            ("gaming", theory[2], gaming),
        ):
            checks.append(
                Check(
                    f"V7E veto raised by gaming: {name} (p_v={p_v:g}, γ={gamma:g}, k={k:g})",
                    "max (1 − Λ(logit p_v − r_v e_v + γg)) b (e_m + g) + λe_m − ½(c_m e_m² + "
                    "c_v e_v² + k g²) (numerical optimum)",
                    float(t),
                    s,
                    1e-3 if t > 1e-6 else 1e-6,
                    absolute=t <= 1e-6,
                )
            )
    return checks


def _veto_checks(overrides, reps, seed) -> list[Check]:
    checks = []
    for p_v in _VETO_CASES:
        extra = ["world.events.claim.effect=0", f"world.events.violation.probability={p_v}"]
        sc = load_theory(FILE, [*extra, *overrides])
        w = sc.world
        b, lam = sc.rule.pay.per_point, w.motivation
        c_m, c_v = w.tasks["measured"].cost, w.tasks["conduct"].cost
        e_m, e_v = veto_efforts(b, lam, c_m, c_v, p_v, w.events["violation"].effect)
        res = simulate(sc, reps=reps, seed=seed)
        for task, theory in (("conduct", e_v), ("measured", e_m)):
            checks.append(
                Check(
                    f"V7E veto anticipation {task} (p_v={p_v:g})",
                    "max (1 − Λ(logit p_v − r_v e_v)) b e_m + λe_m − ½c_m e_m² − ½c_v e_v² "
                    "(numerical optimum)",
                    float(theory),
                    task_effort(res, task),
                    1e-3,
                )
            )
    return checks


__all__ = [
    "GAMING_CASES",
    "MC_SES",
    "claim_effort",
    "gaming_checks",
    "ve",
    "veto_efforts",
    "veto_gaming_choice",
]
