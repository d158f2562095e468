"""The rows V1–V6 of the validation suite (docs/model.md) but the ratchet's (:mod:`.ratchet`), and
what every row shares: :class:`Check`, loading a theory scenario, the score slope.

Each check loads its scenario from ``scenarios/theory/`` (with any overrides), computes the closed
form from the scenario's own parameters, runs the real engine and compares. Theory scenarios use
unit ability and productivity (``ability_sd = productivity_sd = 0``), which the closed forms assume.

Closed forms are derived independently of the engine's code: V2q's marginal probability is the
expected density of the K-th best of the other D − 1 scores, integrated numerically
(:func:`kth_cutoff_density`, exact for finite D); V3F (a fixed penalty F: no gaming when p F
exceeds the net gain of gaming) and V3V (a veto: gaming against working for the full pay) compare
the department's utility in closed form with and without gaming. Their tolerances are
``MC_SES`` Monte Carlo standard errors (plus the fixed point's own tolerance), printed with the row.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from ..engine import build
from ..rules.grade import band_counts
from ..scenario import Problem, ScenarioError, load_scenario
from ..scenario.loader import BUNDLED_SCENARIOS, scenario_source
from ..simulation import simulate

THEORY = BUNDLED_SCENARIOS / "theory"


@dataclass(frozen=True)
class Check:
    id: str
    description: str
    theory: float
    simulated: float
    tolerance: float  # relative, or absolute when `absolute`
    absolute: bool = False

    @property
    def error(self) -> float:
        diff = abs(self.simulated - self.theory)
        return diff if self.absolute else diff / max(abs(self.theory), 1e-12)

    @property
    def passed(self) -> bool:
        return bool(np.isfinite(self.simulated) and self.error <= self.tolerance)


def load_theory(name: str, overrides: Iterable[str]):
    return load_scenario(THEORY / name, list(overrides))


def score_slope(model) -> np.ndarray:
    """Score points per unit of effort on each task through the (linear) indicators:
    Σ_j share_c(j) w_j span_j sign_j scale_j L_jk (unit productivity)."""
    c, w = model.rule, model.world
    weights = np.asarray(c.class_weights[0])
    comp = np.zeros(len(c.indicators))
    for k, idx in enumerate(c.component_members):
        comp[idx] = c.shares[k]
    sign = np.where(c.benefit, 1.0, -1.0)
    per_indicator = comp * weights * c.span * sign * w.scale
    return per_indicator @ w.loadings


def qp_nonneg(cost: np.ndarray, r: np.ndarray) -> np.ndarray:
    """argmax rᵀe − ½ eᵀCe over e ≥ 0, by enumerating supports (few tasks)."""
    k = r.size
    best, best_val = np.zeros(k), 0.0
    for size in range(1, k + 1):
        for support in itertools.combinations(range(k), size):
            s = list(support)
            e = np.zeros(k)
            e[s] = np.linalg.solve(cost[np.ix_(s, s)], r[s])
            if (e >= -1e-12).all():
                val = r @ e - 0.5 * e @ cost @ e
                if val > best_val:
                    best, best_val = np.maximum(e, 0.0), val
    return best


def task_effort(result, task: str) -> float:
    return float(result.departments[f"effort:{task}"].mean())


def v1(overrides, reps, seed) -> list[Check]:
    sc = load_theory("v1-multitask-linear.toml", overrides)
    model = build(sc)
    w = model.world
    b = sc.rule.pay.per_point
    lam = sc.world.motivation

    def theory(b_, lam_):
        return qp_nonneg(w.cost, b_ * score_slope(model) + lam_ * w.value)

    res = simulate(sc, reps=reps, seed=seed)
    e = theory(b, lam)
    checks = [
        Check(
            f"V1 effort {t}",
            f"Holmström–Milgrom effort on {t}: argmax of bᵀe + λvᵀe − ½eᵀCe",
            e[k],
            task_effort(res, t),
            0.02,
            absolute=e[k] == 0,
        )
        for k, t in enumerate(w.tasks)
    ]
    unmeasured = int(np.argmin(np.abs(score_slope(model))))
    name = w.tasks[unmeasured]
    higher = simulate(sc, reps=reps, seed=seed, overrides=[f"rule.pay.per_point={2 * b}"])
    falls_theory = theory(2 * b, lam)[unmeasured] - e[unmeasured]
    falls_sim = task_effort(higher, name) - task_effort(res, name)
    checks.append(
        Check(
            f"V1 Δeffort {name} (b→2b)",
            "unmeasured effort falls as b rises (C₁₂ > 0)",
            falls_theory,
            falls_sim,
            0.05 * max(abs(falls_theory), 1e-3) + 1e-9 if falls_theory else 1e-6,
            absolute=True,
        )
    )
    selfish = simulate(sc, reps=reps, seed=seed, overrides=["world.motivation=0"])
    checks.append(
        Check(
            f"V1 effort {name} (λ=0)",
            "no effort on the unmeasured task without motivation",
            theory(b, 0.0)[unmeasured],
            task_effort(selfish, name),
            1e-6,
            absolute=True,
        )
    )
    return checks


def _tournament_parts(sc):
    model = build(sc)
    c, w = model.rule, model.world
    spread = c.reward_table[0, 0] - c.reward_table[1, 0]
    slope = float(score_slope(model)[0])
    sigma = float(abs(c.span[0]) * w.scale[0] * w.noise[0])
    need_noise(sc, c.indicators[0])
    return model, spread, slope, sigma, float(w.cost[0, 0])


#: the tournament rows' closed forms divide by the score noise σ
NO_NOISE = "must be > 0 for this row: its closed form divides by the score noise σ (noise × scale)"


def need_noise(sc, indicator: str) -> None:
    """A :class:`ScenarioError` naming the key when the indicator's score noise σ is zero (a row
    whose closed form divides by σ: a tournament without noise has no equilibrium in pure effort)."""
    m = sc.world.indicators[indicator]
    for key in ("noise", "scale"):
        value = getattr(m, key)
        if not value > 0:
            where = f"world.indicators.{indicator}.{key}"
            raise ScenarioError([Problem(scenario_source(sc), where, value, NO_NOISE)])


def _tournament_check(file, overrides, reps, seed, check_id, description, tolerance, theory):
    """Simulated effort against ``theory(model, ΔW, score slope, σ, c)`` for a tournament row."""
    sc = load_theory(file, overrides)
    model, spread, slope, sigma, cost = _tournament_parts(sc)
    expected = theory(model, spread, slope, sigma, cost)
    res = simulate(sc, reps=reps, seed=seed)
    return [
        Check(check_id, description, expected, task_effort(res, model.world.tasks[0]), tolerance)
    ]


def v2(overrides, reps, seed) -> list[Check]:
    return _tournament_check(
        "v2-tournament.toml",
        overrides,
        reps,
        seed,
        "V2 tournament effort",
        "Lazear–Rosen: e* = ΔW / (2σ√π c)",
        0.03,
        lambda m, dw, s, sigma, c: dw * s / (2 * sigma * np.sqrt(np.pi) * c),
    )


def kth_cutoff_density(n_others: int, k: int, sigma: float) -> float:
    """``E[f_τ(σ ε)]``: the expected density, at a department's own noisy score, of the cut-off
    τ = the k-th best of ``n_others`` iid N(0, σ²) scores, by numerical integration of

        ∫ f_(k:n)(t) φ(t/σ)/σ dt,   f_(k:n)(t) = n!/((k−1)!(n−k)!) F(t)^(n−k) (1 − F(t))^(k−1) f(t)

    (F, f the N(0, σ²) distribution and density; the k-th largest of n). This is the marginal
    probability of beating the cut-off per point of own expected score in a symmetric equilibrium:
    exact for finite D, unlike the large-D limit φ(Φ⁻¹(1 − q))/σ."""
    from scipy.integrate import quad
    from scipy.special import gammaln

    n = n_others
    log_coef = gammaln(n + 1) - gammaln(k) - gammaln(n - k + 1)

    def integrand(t: float) -> float:
        z = t / sigma
        log_f = (
            log_coef
            + (n - k) * norm.logcdf(z)
            + (k - 1) * norm.logsf(z)
            + 2 * (norm.logpdf(z) - np.log(sigma))
        )
        return float(np.exp(log_f))

    value, _ = quad(integrand, -12 * sigma, 12 * sigma, points=[0.0], limit=200)
    return float(value)


def mc_mean(res, metric: str = "mean_effort") -> tuple[float, float]:
    """A metric's mean over replications (mean effort by default) and its Monte Carlo standard
    error."""
    x = res.per_rep[metric].to_numpy(dtype=float)
    return float(x.mean()), float(x.std(ddof=1) / np.sqrt(x.size)) if x.size > 1 else np.nan


#: Monte Carlo standard errors a simulated value may sit from an exact closed form
MC_SES = 4.0


def v2q(overrides, reps, seed) -> list[Check]:
    checks = []
    for label, extra in (("", []), (" (D=40, q=0.25)", _V2Q_SWEEP)):
        sc = load_theory("v2q-quota.toml", [*extra, *overrides] if extra else overrides)
        model, spread, slope, sigma, cost = _tournament_parts(sc)
        n = model.world.n_dept
        c = model.rule
        k = int(band_counts(c.quotas, c.quota_counts, n, c.rounding)[0])
        theory = spread * slope * slope * kth_cutoff_density(n - 1, k, sigma) / cost
        res = simulate(sc, reps=reps, seed=seed)
        mean, se = mc_mean(res)
        tol = MC_SES * se + 1e-9
        checks.append(
            Check(
                f"V2q quota effort{label}",
                f"c e* = ΔW E[f_τ] (τ the {k}-th best of {n - 1} others, numerical integration); "
                f"tolerance {MC_SES:g} MC s.e. = {tol:.3g} (s.e. {se:.2g}); large-D limit "
                f"{spread * slope * norm.pdf(norm.ppf(1 - k / n)) / (sigma * cost):.4g}",
                theory,
                mean,
                tol,
                absolute=True,
            )
        )
    return checks


#: parameters of the second V2q row, not those of the bundled scenario
_V2Q_SWEEP = [
    "world.departments=40",
    'rule.grading.quota={"优秀"=0.25}',
    "world.indicators.output.noise=1.1",
]


def v3(overrides, reps, seed) -> list[Check]:
    sc = load_theory("v3-audit.toml", overrides)
    model = build(sc)
    c, w = model.rule, model.world
    gain = sc.rule.pay.per_point * abs(c.span[0]) * w.scale[0] * w.gameability[0]
    audit = sc.rule.audit
    theory = max(0.0, (gain - audit.probability * audit.fine_per_unit) / w.gaming_cost[0])
    res = simulate(sc, reps=reps, seed=seed)
    sim = float(res.departments[f"gaming:{c.indicators[0]}"].mean())
    return [
        Check(
            "V3 manipulation",
            "Becker: m* = max(0, (b − pφ)/k)",
            theory,
            sim,
            0.03,
            absolute=theory == 0,
        )
    ]


def _gaming_check(check_id, description, sc, theory, reps, seed) -> Check:
    """Simulated gaming of the V3 indicator against ``theory``; tolerance: ``MC_SES`` Monte Carlo
    standard errors (over departments) plus the fixed point's own tolerance."""
    res = simulate(sc, reps=reps, seed=seed)
    name = f"gaming:{build(sc).rule.indicators[0]}"
    per_dept = res.departments[name].to_numpy(dtype=float)
    se = float(per_dept.std(ddof=1) / np.sqrt(per_dept.size))
    tol = MC_SES * se + sc.world.tolerance
    return Check(
        check_id,
        f"{description}; tolerance {MC_SES:g} MC s.e. + fixed-point tolerance = {tol:.3g}",
        theory,
        float(per_dept.mean()),
        tol,
        absolute=True,
    )


def _audit_parts(sc):
    """b, score per unit of effort s, per unit of gaming κ, effort cost c, gaming cost k, λ v."""
    model = build(sc)
    c, w = model.rule, model.world
    weights = np.asarray(c.class_weights[0])
    share = c.shares[0]
    kappa = float(share * weights[0] * abs(c.span[0]) * w.scale[0] * w.gameability[0])
    return (
        sc.rule.pay.per_point,
        float(score_slope(model)[0]),
        kappa,
        float(w.cost[0, 0]),
        float(w.gaming_cost[0]),
        sc.world.motivation * float(w.value[0]),
    )


#: V3F: (p, φ, F) — the second deters by the fixed penalty alone
_V3F_CASES = ((0.5, 1.0, 0.1), (0.5, 1.0, 0.4))


def v3f(overrides, reps, seed) -> list[Check]:
    checks = []
    for p, fine, penalty in _V3F_CASES:
        extra = [
            f"rule.audit.probability={p}",
            f"rule.audit.fine_per_unit={fine}",
            f"rule.audit.penalty={penalty}",
        ]
        sc = load_theory("v3-audit.toml", [*extra, *overrides])
        b, _, kappa, _, k, _ = _audit_parts(sc)
        a = sc.rule.audit
        interior = max(0.0, (b * kappa - a.probability * a.fine_per_unit) / k)
        gain = 0.5 * k * interior**2  # net gain of gaming before the fixed penalty
        theory = interior if gain > a.probability * a.penalty else 0.0
        checks.append(
            _gaming_check(
                f"V3F fixed penalty (pF={a.probability * a.penalty:g})",
                f"games (bκ − pφ)/k = {interior:.3g} iff its gain (bκ − pφ)²/2k = {gain:.3g} "
                f"exceeds pF = {a.probability * a.penalty:.3g}",
                sc,
                theory,
                reps,
                seed,
            )
        )
    return checks


#: V3V: (p, φ, effort cost c) — with c = 1 the veto deters, with c = 4 it does not
_V3V_CASES = ((0.25, 0.5, 1.0), (0.25, 0.5, 4.0))


def v3v(overrides, reps, seed) -> list[Check]:
    checks = []
    for p, fine, cost in _V3V_CASES:
        extra = [
            f"rule.audit.probability={p}",
            f"rule.audit.fine_per_unit={fine}",
            "rule.audit.veto=true",
            f"world.tasks.work.cost={cost}",
            "rule.indicators.reported.base=0",
        ]
        sc = load_theory("v3-audit.toml", [*extra, *overrides])
        b, s_e, kappa, c, k, lv = _audit_parts(sc)
        a = sc.rule.audit
        honest = (b * s_e + lv) ** 2 / (2 * c)  # e = (b s + λv)/c, no gaming
        m = 1 - a.probability  # a vetoed unit is paid nothing: the pull of pay falls to (1 − p) b
        g = max(0.0, (m * b * kappa - a.probability * a.fine_per_unit) / k)
        gaming = (m * b * s_e + lv) ** 2 / (2 * c) + 0.5 * k * g**2 - a.probability * a.penalty
        theory = g if g > 0 and gaming > honest else 0.0
        checks.append(
            _gaming_check(
                f"V3V veto (c={c:g})",
                f"U(no gaming) = (bs + λv)²/2c = {honest:.4g} against U(gaming) = "
                f"((1−p)bs + λv)²/2c + ((1−p)bκ − pφ)²/2k − pF = {gaming:.4g}",
                sc,
                theory,
                reps,
                seed,
            )
        )
    return checks


def v5(overrides, reps, seed) -> list[Check]:
    sc = load_theory("v5-visibility.toml", overrides)
    shares = (0.2, 0.5, 0.8)
    bias = [
        simulate(sc, reps=reps, seed=seed, overrides=[f"rule.components.survey.share={s}"])
        for s in shares
    ]
    values = [abs(r.metric("class_bias")) for r in bias]
    increasing = float(all(b > a for a, b in zip(values, values[1:], strict=False)))
    return [
        Check(
            "V5 class bias grows with survey share",
            "class bias at survey shares "
            + ", ".join(f"{s:.0%}: {v:.2f}" for s, v in zip(shares, values, strict=True)),
            1.0,
            increasing,
            0.0,
            absolute=True,
        )
    ]


def v6(overrides, reps, seed) -> list[Check]:
    sc = load_theory("v6-distortion.toml", overrides)
    model = build(sc)
    w = model.world
    f = w.value
    e = np.maximum(sc.rule.pay.per_point * score_slope(model), 0.0)
    surplus = f @ e - 0.5 * e @ w.cost @ e
    e_fb = qp_nonneg(w.cost, f)
    first_best = f @ e_fb - 0.5 * e_fb @ w.cost @ e_fb
    theory = first_best - surplus
    res = simulate(sc, reps=reps, seed=seed)
    simulated = res.metric("welfare_loss") * first_best
    checks = [
        Check(
            "V6 multitask loss",
            "Baker: loss = ½|f|² − (fᵀe − ½|e|²), e = b·g",
            theory,
            simulated,
            0.02,
        )
    ]
    sc_b = load_theory("v6b-gameable-weight.toml", [o for o in overrides if o.startswith("V6b:")])
    runs = [
        simulate(sc_b, reps=reps, seed=seed, overrides=[f"rule.weights.gameable={x}"])
        for x in (0.2, 0.5, 0.8)
    ]
    infl = [r.metric("inflation") for r in runs]
    loss = [r.metric("welfare_loss") for r in runs]
    ok = all(b > a for a, b in zip(infl, infl[1:], strict=False)) and all(
        b > a for a, b in zip(loss, loss[1:], strict=False)
    )
    checks.append(
        Check(
            "V6b weight on gameable indicator",
            "inflation "
            + "/".join(f"{x:.2f}" for x in infl)
            + ", welfare loss "
            + "/".join(f"{x:.2f}" for x in loss)
            + " at weight 0.2/0.5/0.8: both rise",
            1.0,
            float(ok),
            0.0,
            absolute=True,
        )
    )
    return checks
