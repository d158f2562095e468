"""The world as arrays: the department population, measurement and raters (docs/model.md, reference model).

Axes: ``(rep, dept, task)``, ``(rep, dept, indicator)``, ``(rep, dept, rater)``; every function is
vectorised over replications and departments.

- Ability ``a_d = exp(N(μ_c, s_c))``; productivity ``θ_dk = θ̄_ck · exp(N(0, s_θ))``.
- Output ``y_dk = θ_dk e_dk + ξ_t`` (ξ a common shock); value ``V_d = Σ_k v_k y_dk``.
- Indicator ``m_dj = offset_j + scale_j (Σ_k L_jk y_dk + κ_j g_dj + σ_j ε_dj)``, at most ``ceiling_j``.
- Rater r perceives ``q_dr = offset_r + scale_r · vis_c · ((1 − h_r) Σ_k S_rk y_dk + h_r ȳ_d)`` on a
  0–100 scale (vis_c only for surveys). A panel scores ``q + b_r + noise·η``; self-evaluation
  ``q + inflation + noise·η``; a survey of n respondents answers on the 4-level scale by an ordered
  probit (latent ``q + b_r + noise·u``, cut at ``cutpoints``) and scores the mean of ``points``.
- Cost ``½ eᵀ C e / a_d + ½ Σ_j c_gj g_dj²``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr

from ..fastreduce import along_last, matmul_t, mean_last
from ..scenario.schema import Scenario

_SQRT_2PI = np.sqrt(2 * np.pi)

#: Surveys with at least this many respondents per unit draw their mean score from the normal
#: approximation of the multinomial answers (exact mean and variance); smaller ones draw answers.
SURVEY_EXACT_BELOW = 50


def normal_pdf(z: NDArray) -> NDArray:
    """The standard normal density φ(z) (``exp(−0.5 z z) / √(2π)``, computed in one array)."""
    if np.ndim(z) == 0:
        return np.exp(-0.5 * z * z) / _SQRT_2PI
    out = np.multiply(z, -0.5)
    out *= z
    np.exp(out, out=out)
    out /= _SQRT_2PI
    return out


@dataclass(frozen=True)
class CompiledWorld:
    tasks: tuple[str, ...]
    value: NDArray[np.float64]  # (task,)
    cost: NDArray[np.float64]  # (task, task) C
    baseline: NDArray[np.float64]  # (task,)
    classes: tuple[str, ...]
    class_codes: NDArray[np.intp]  # (dept,)
    ability_mean: NDArray[np.float64]  # (class,)
    ability_sd: NDArray[np.float64]
    productivity: NDArray[np.float64]  # (class, task)
    productivity_sd: NDArray[np.float64]  # (class,)
    visibility: NDArray[np.float64]  # (class,)
    loadings: NDArray[np.float64]  # (indicator, task)
    offset: NDArray[np.float64]  # (indicator,)
    scale: NDArray[np.float64]
    noise: NDArray[np.float64]
    gameability: NDArray[np.float64]
    gaming_cost: NDArray[np.float64]
    ceiling: NDArray[np.float64]  # inf where none
    raters: tuple[str, ...]
    rater_kind: tuple[str, ...]
    sees: NDArray[np.float64]  # (rater, task)
    rater_offset: NDArray[np.float64]
    rater_scale: NDArray[np.float64]
    halo: NDArray[np.float64]
    leniency: NDArray[np.float64]  # includes self-evaluation inflation
    rater_noise: NDArray[np.float64]
    respondents: NDArray[np.int64]
    cutpoints: tuple[NDArray[np.float64], ...]
    points: tuple[NDArray[np.float64], ...]
    unit_cost: NDArray[np.float64]

    @property
    def n_dept(self) -> int:
        return self.class_codes.size


def class_counts(shares: NDArray[np.float64], n: int) -> NDArray[np.intp]:
    """Departments per class: largest-remainder rounding of ``shares · n`` (every class ≥ 1 when
    n allows)."""
    shares = shares / shares.sum()
    raw = shares * n
    counts = np.floor(raw).astype(np.intp)
    counts[np.argsort(-(raw - counts), kind="stable")[: n - counts.sum()]] += 1
    return counts


def _class_specs(scenario: Scenario) -> tuple[tuple[str, ...], list]:
    """The classes of units a simulation has (the rule's, else the world's, else one) and each
    one's specification (the default where the world does not describe it)."""
    from ..scenario.world import DepartmentClass

    w = scenario.world
    classes = tuple(scenario.rule.classes) or tuple(w.classes) or ("all",)
    return classes, [w.classes.get(c) or DepartmentClass() for c in classes]


def class_sizes(scenario: Scenario) -> dict[str, int]:
    """How many of the world's departments each class of units has, as the simulation divides
    them (:func:`class_counts` of the classes' shares)."""
    classes, spec = _class_specs(scenario)
    counts = class_counts(np.array([s.share for s in spec]), scenario.world.departments)
    return dict(zip(classes, (int(c) for c in counts), strict=True))


def quota_places(scenario: Scenario) -> dict[str, list[tuple[str | None, int, int]]]:
    """Per grade band with a quota share (and no count), the places that share leaves under the
    rule's rounding: ``(class, places, units)`` per class when units are graded within their
    class, else one ``(None, places, departments)`` (15 % of 66 units: 9 places)."""
    from ..rules.grade import quota_count

    grading = scenario.rule.grading
    if grading.scope == "within_class":
        groups = [(name, n) for name, n in class_sizes(scenario).items() if n > 0]
    else:
        groups = [(None, scenario.world.departments)]
    return {
        band: [(name, int(quota_count(share, n, grading.rounding)), n) for name, n in groups]
        for band, share in grading.quota.items()
        # (a count given too: the count is the limit; the last band's quota is not enforced)
        if band not in grading.quota_count and band != grading.bands[-1]
    }


def compile_world(
    scenario: Scenario, rater_order: tuple[str, ...], indicator_order: tuple[str, ...]
) -> CompiledWorld:
    w = scenario.world
    assert w is not None
    tasks = tuple(w.tasks)
    k = {t: i for i, t in enumerate(tasks)}
    cost = np.diag([w.tasks[t].cost for t in tasks]).astype(float)
    for a, ta in w.tasks.items():
        for b, c in ta.substitutes.items():
            cost[k[a], k[b]] = cost[k[b], k[a]] = max(cost[k[a], k[b]], c)
    classes, spec = _class_specs(scenario)
    counts = class_counts(np.array([s.share for s in spec]), w.departments)
    inds = [w.indicators[j] for j in indicator_order]
    loadings = np.zeros((len(inds), len(tasks)))
    for j, m in enumerate(inds):
        for t, v in m.tasks.items():
            loadings[j, k[t]] = v
    raters = [w.raters[r] for r in rater_order]
    sees = np.zeros((len(raters), len(tasks)))
    for r, spec_r in enumerate(raters):
        for t, v in spec_r.sees.items():
            sees[r, k[t]] = v
    return CompiledWorld(
        tasks=tasks,
        value=np.array([w.tasks[t].value for t in tasks]),
        cost=cost,
        baseline=np.array([w.tasks[t].baseline_effort for t in tasks]),
        classes=classes,
        class_codes=np.repeat(np.arange(len(classes)), counts),
        ability_mean=np.array([s.ability_mean for s in spec]),
        ability_sd=np.array([s.ability_sd for s in spec]),
        productivity=np.array([[s.productivity.get(t, 1.0) for t in tasks] for s in spec]),
        productivity_sd=np.array([s.productivity_sd for s in spec]),
        visibility=np.array([s.visibility for s in spec]),
        loadings=loadings,
        offset=np.array([m.offset for m in inds]),
        scale=np.array([m.scale for m in inds]),
        noise=np.array([m.noise for m in inds]),
        gameability=np.array([m.gameability for m in inds]),
        gaming_cost=np.array([m.gaming_cost for m in inds]),
        ceiling=np.array([np.inf if m.ceiling is None else m.ceiling for m in inds]),
        raters=tuple(rater_order),
        rater_kind=tuple(r.kind for r in raters),
        sees=sees,
        rater_offset=np.array([r.offset for r in raters]),
        rater_scale=np.array([r.scale for r in raters]),
        halo=np.array([r.halo for r in raters]),
        leniency=np.array(
            [r.leniency + (r.self_inflation if r.kind == "self" else 0.0) for r in raters]
        ),
        rater_noise=np.array([r.noise for r in raters]),
        respondents=np.array(
            [r.respondents if r.kind == "survey" else 0 for r in raters], dtype=np.int64
        ),
        cutpoints=tuple(np.array(r.cutpoints, dtype=float) for r in raters),
        points=tuple(np.array(r.points, dtype=float) for r in raters),
        unit_cost=np.array([r.unit_cost for r in raters]),
    )


@dataclass(frozen=True)
class Population:
    ability: NDArray[np.float64]  # (rep, dept)
    productivity: NDArray[np.float64]  # (rep, dept, task)


def draw_population(world: CompiledWorld, rng: np.random.Generator, reps: int) -> Population:
    c = world.class_codes
    n, k = c.size, len(world.tasks)
    ability = rng.standard_normal((reps, n))  # exp(μ_c + s_c z), computed in place
    ability *= world.ability_sd[c]
    ability += world.ability_mean[c]
    np.exp(ability, out=ability)
    theta = rng.standard_normal((reps, n, k))  # θ̄_ck exp(s_θ z), computed in place
    along_last(
        np.multiply, theta, np.broadcast_to(world.productivity_sd[c][:, None], (n, k)), theta
    )
    np.exp(theta, out=theta)
    theta *= world.productivity[c]
    return Population(ability=ability, productivity=theta)


def expected_indicators(world: CompiledWorld, output: NDArray, gaming: NDArray | None) -> NDArray:
    """Noise-free indicator values ``offset + scale (L y + κ g)`` (no ceiling; ``gaming=None``
    for no gaming)."""
    m = matmul_t(output, world.loadings)
    if gaming is not None:
        m += world.gameability * gaming
    along_last(np.multiply, m, world.scale, out=m)
    along_last(np.add, m, world.offset, out=m)
    return m


def perceived_quality(world: CompiledWorld, output: NDArray) -> NDArray:
    """``q_dr`` on the 0–100 scale (before leniency and noise)."""
    seen = matmul_t(output, world.sees)
    along_last(np.multiply, seen, 1 - world.halo, out=seen)
    mean = mean_last(output)  # + h_r ȳ_d, one rater at a time (long loops over departments)
    for r, h in enumerate(world.halo):
        if h:
            seen[..., r] += h * mean
    vis = np.array([k == "survey" for k in world.rater_kind])
    factor = np.where(vis, world.visibility[world.class_codes][:, None], 1.0)
    along_last(np.multiply, seen, world.rater_scale * factor, out=seen)
    along_last(np.add, seen, world.rater_offset, out=seen)
    return seen


def quality_slope(world: CompiledWorld) -> NDArray:
    """``∂q_dr / ∂y_dk``: (dept, rater, task)."""
    k = len(world.tasks)
    vis = np.array([kind == "survey" for kind in world.rater_kind])
    factor = np.where(vis, world.visibility[world.class_codes][:, None], 1.0)  # (dept, rater)
    per_task = (1 - world.halo)[:, None] * world.sees + (world.halo / k)[:, None]  # (rater, task)
    return (world.rater_scale * factor)[:, :, None] * per_task


def survey_moments(
    world: CompiledWorld, r: int, latent_mean: NDArray, *, slope: bool = True
) -> tuple[NDArray, NDArray | None, NDArray]:
    """Ordered-probit survey of rater ``r``: expected mean points, its derivative with respect to the
    latent mean (None when ``slope`` is False), and the variance of one respondent's points."""
    cuts, pts = world.cutpoints[r], world.points[r]
    sd = max(world.rater_noise[r], 1e-9)
    z = np.empty(latent_mean.shape + cuts.shape)  # (..., cut): (cut − latent) / sd
    for i, cut in enumerate(cuts):  # one cut-point at a time (long loops over departments)
        np.divide(cut - latent_mean, sd, out=z[..., i])
    probs = _level_probabilities(ndtr(z) if slope else ndtr(z, out=z))
    mean = probs @ pts
    var = probs @ (pts**2)  # second moment − mean², at least 0
    var -= mean**2
    np.maximum(var, 0.0, out=var)
    deriv = (normal_pdf(z) / sd) @ np.diff(pts) if slope else None
    return mean, deriv, var


def rated_survey_moments(
    world: CompiledWorld, latent: NDArray
) -> dict[int, tuple[NDArray, NDArray]]:
    """``(mean, var1)`` of :func:`survey_moments` for each survey rater whose moments both
    :func:`group_reliability` (of ``latent``, before leniency) and :func:`survey_draw` (of
    ``latent`` + leniency) would compute from the same numbers: leniency 0 and a survey drawn from
    its normal approximation. Passing them to both computes them once (the same numbers)."""
    return {
        r: survey_moments(world, r, latent[..., r], slope=False)[::2]
        for r, kind in enumerate(world.rater_kind)
        if kind == "survey"
        and world.leniency[r] == 0
        and int(world.respondents[r]) >= SURVEY_EXACT_BELOW
    }


def group_reliability(
    world: CompiledWorld, latent: NDArray, moments: dict | None = None
) -> NDArray:
    """Reliability of each rater group's score across departments, per replication: shape
    ``(rep, rater)``, from the exact moments of what the group's members say, not from a draw.

    A group's score of a department is the mean of what its members say about the same perceived
    quality (``latent``, ``(rep, dept, rater)``): ``n`` survey respondents answering on the levels,
    or one rater with noise σ. With ``B`` the variance across departments of the expected score and
    ``W`` the mean variance of the score around it (a respondent's variance / n, or σ²), the
    reliability is ``B / (B + W)``: the share of the spread of the group's scores that is agreement
    of its members on the units rather than the chance of who answered (the correlation of two
    parallel groups' scores; Spearman–Brown for n respondents). NaN when ``B + W = 0``.
    ``moments``: :func:`rated_survey_moments` of ``latent``, when the caller has them."""
    out = np.full((latent.shape[0], latent.shape[-1]), np.nan)
    for r, kind in enumerate(world.rater_kind):
        if moments and r in moments:
            mean, var1 = moments[r]
            within = var1.mean(axis=1) / max(int(world.respondents[r]), 1)
        elif kind == "survey":
            mean, _, var1 = survey_moments(world, r, latent[..., r], slope=False)
            within = var1.mean(axis=1) / max(int(world.respondents[r]), 1)
        else:
            mean = latent[..., r]
            within = np.full(latent.shape[0], float(world.rater_noise[r]) ** 2)
        between = mean.var(axis=1, ddof=1) if mean.shape[1] > 1 else np.zeros(mean.shape[0])
        total = between + within
        np.divide(between, total, out=out[:, r], where=total > 0)
    return out


def _level_probabilities(below: NDArray) -> NDArray:
    """P(level = l) from the cumulative ``below[..., i] = P(level ≤ i)``: the differences of
    ``[0, below, 1]`` along the last axis (as ``np.diff``, without the concatenated copy)."""
    probs = np.empty(below.shape[:-1] + (below.shape[-1] + 1,))
    probs[..., 0] = below[..., 0]
    for level in range(1, below.shape[-1]):
        np.subtract(below[..., level], below[..., level - 1], out=probs[..., level])
    np.subtract(1.0, below[..., -1], out=probs[..., -1])
    return probs


def survey_draw(
    world: CompiledWorld,
    r: int,
    latent_mean: NDArray,
    rng: np.random.Generator,
    moments: tuple[NDArray, NDArray] | None = None,
) -> NDArray:
    """Mean points of ``n`` respondents answering on the survey's levels.

    For ``n < SURVEY_EXACT_BELOW`` the answers are drawn exactly (multinomial counts, as conditional
    binomials); for larger surveys the mean is drawn from its normal approximation with the exact
    mean and variance of the ordered-probit answers (the central limit theorem; one draw per unit
    instead of one per level). ``moments``: ``(mean, var1)`` of :func:`survey_moments` of
    ``latent_mean`` when the caller has them (:func:`rated_survey_moments`; left unchanged)."""
    n = int(world.respondents[r])
    if n >= SURVEY_EXACT_BELOW:
        if moments is None:
            mean, _, var1 = survey_moments(world, r, latent_mean, slope=False)
        else:
            mean, var1 = moments[0], moments[1].copy()
        draw = rng.standard_normal(mean.shape)  # mean + sqrt(var1 / n) · draw, in place
        var1 /= n
        draw *= np.sqrt(var1, out=var1)
        draw += mean
        return draw
    cuts, pts = world.cutpoints[r], world.points[r]
    sd = max(world.rater_noise[r], 1e-9)
    probs = np.clip(_level_probabilities(ndtr((cuts - latent_mean[..., None]) / sd)), 0.0, 1.0)
    probs /= probs.sum(axis=-1, keepdims=True)
    # Multinomial counts by conditional binomials: n_l ~ Bin(n − Σ_{i<l} n_i, p_l / Σ_{i≥l} p_i).
    left = np.full(probs.shape[:-1], n, dtype=np.int64)
    tail = np.ones(probs.shape[:-1])
    total = np.zeros(probs.shape[:-1])
    for level in range(probs.shape[-1] - 1):
        p = np.clip(probs[..., level] / np.maximum(tail, 1e-300), 0.0, 1.0)
        count = rng.binomial(left, p)
        total += count * pts[level]
        left -= count
        tail -= probs[..., level]
    total += left * pts[-1]
    return total / n
