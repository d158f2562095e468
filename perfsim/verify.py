"""The validation suite V1–V6 (DESIGN.md): the engine against what theory proves.

Each check loads its scenario from ``scenarios/theory/`` (with any overrides), computes the closed
form from the scenario's own parameters, runs the real engine and compares. Theory scenarios use
unit ability and productivity (``ability_sd = productivity_sd = 0``), which the closed forms assume.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.stats import norm

from .engine import build
from .scenario import load_scenario
from .scenario.loader import BUNDLED_SCENARIOS
from .simulation import simulate

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


def _load(name: str, overrides: Iterable[str]):
    return load_scenario(THEORY / name, list(overrides))


def _score_slope(model) -> np.ndarray:
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


def _qp_nonneg(cost: np.ndarray, r: np.ndarray) -> np.ndarray:
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


def _effort(result, task: str) -> float:
    return float(result.departments[f"effort:{task}"].mean())


def v1(overrides, reps, seed) -> list[Check]:
    sc = _load("v1-multitask-linear.toml", overrides)
    model = build(sc)
    w = model.world
    b = sc.rule.pay.per_point
    lam = sc.world.motivation

    def theory(b_, lam_):
        return _qp_nonneg(w.cost, b_ * _score_slope(model) + lam_ * w.value)

    res = simulate(sc, reps=reps, seed=seed)
    e = theory(b, lam)
    checks = [
        Check(
            f"V1 effort {t}",
            f"Holmström–Milgrom effort on {t}: argmax of bᵀe + λvᵀe − ½eᵀCe",
            e[k],
            _effort(res, t),
            0.02,
            absolute=e[k] == 0,
        )
        for k, t in enumerate(w.tasks)
    ]
    unmeasured = int(np.argmin(np.abs(_score_slope(model))))
    name = w.tasks[unmeasured]
    higher = simulate(sc, reps=reps, seed=seed, overrides=[f"rule.pay.per_point={2 * b}"])
    falls_theory = theory(2 * b, lam)[unmeasured] - e[unmeasured]
    falls_sim = _effort(higher, name) - _effort(res, name)
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
            _effort(selfish, name),
            1e-6,
            absolute=True,
        )
    )
    return checks


def _tournament_parts(sc):
    model = build(sc)
    c, w = model.rule, model.world
    spread = c.reward_table[0, 0] - c.reward_table[1, 0]
    slope = float(_score_slope(model)[0])
    sigma = float(abs(c.span[0]) * w.scale[0] * w.noise[0])
    return model, spread, slope, sigma, float(w.cost[0, 0])


def _tournament_check(file, overrides, reps, seed, check_id, description, tolerance, theory):
    """Simulated effort against ``theory(model, ΔW, score slope, σ, c)`` for a tournament row."""
    sc = _load(file, overrides)
    model, spread, slope, sigma, cost = _tournament_parts(sc)
    expected = theory(model, spread, slope, sigma, cost)
    res = simulate(sc, reps=reps, seed=seed)
    return [Check(check_id, description, expected, _effort(res, model.world.tasks[0]), tolerance)]


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


def v2q(overrides, reps, seed) -> list[Check]:
    return _tournament_check(
        "v2q-quota.toml",
        overrides,
        reps,
        seed,
        "V2q quota effort",
        "c e* = ΔW φ(Φ⁻¹(1−q)) / σ_d",
        0.05,
        lambda m, dw, s, sigma, c: dw * s * norm.pdf(norm.ppf(1 - m.rule.quotas[0])) / (sigma * c),
    )


def v3(overrides, reps, seed) -> list[Check]:
    sc = _load("v3-audit.toml", overrides)
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


def v4(overrides, reps, seed) -> list[Check]:
    sc = _load("v4-ratchet.toml", overrides)
    model = build(sc)
    w = model.world
    beta, lam, delta = sc.rule.pay.per_point, sc.rule.targets.ratchet, sc.world.discount
    theory = beta * (1 - delta) / (1 - delta + delta * lam)
    res = simulate(sc, reps=reps, seed=seed)
    slope = float(_score_slope(model)[0])
    simulated = _effort(res, w.tasks[0]) * w.cost[0, 0] / slope
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
            _effort(res2, w.tasks[0]) * w.cost[0, 0] / slope,
            0.03,
        )
    )
    return checks


def v5(overrides, reps, seed) -> list[Check]:
    sc = _load("v5-visibility.toml", overrides)
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
    sc = _load("v6-distortion.toml", overrides)
    model = build(sc)
    w = model.world
    f = w.value
    e = np.maximum(sc.rule.pay.per_point * _score_slope(model), 0.0)
    surplus = f @ e - 0.5 * e @ w.cost @ e
    e_fb = _qp_nonneg(w.cost, f)
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
    sc_b = _load("v6b-gameable-weight.toml", [o for o in overrides if o.startswith("V6b:")])
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


ROWS: dict[str, Callable[..., list[Check]]] = {
    "V1": v1,
    "V2": v2,
    "V2q": v2q,
    "V3": v3,
    "V4": v4,
    "V5": v5,
    "V6": v6,
}


def run_suite(
    only: Iterable[str] | None = None,
    overrides: Iterable[str] = (),
    reps: int = 200,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> list[Check]:
    """Run the rows (all by default). Overrides are ``ROW:PATH=VALUE`` (or ``PATH=VALUE`` for all)."""
    overrides = list(overrides)
    wanted = list(only) if only else list(ROWS)
    unknown = [r for r in wanted if r not in ROWS]
    if unknown:
        from .scenario import Problem, ScenarioError

        raise ScenarioError(
            [
                Problem(
                    "--only",
                    ",".join(unknown),
                    None,
                    f"no such row; allowed: {', '.join(ROWS)}",
                    False,
                )
            ]
        )
    checks: list[Check] = []
    for row in wanted:
        if progress:
            progress(row)
        mine = [
            o.split(":", 1)[1] if ":" in o.split("=", 1)[0] else o
            for o in overrides
            if ":" not in o.split("=", 1)[0] or o.split(":", 1)[0] == row
        ]
        checks.extend(ROWS[row](mine, reps, seed))
    return checks


__all__ = ["Check", "ROWS", "THEORY", "Path", "run_suite"]
