"""The evaluation cycle over periods, vectorised over replications and departments.

Replications are simulated in fixed blocks; block ``b`` draws from the ``b``-th child of
``SeedSequence(seed)``, and the block size depends only on the scenario, so results are the same
whatever the number of worker processes or how blocks are shared among them. The engine runs
blocks one at a time (:func:`run_block`, :func:`run_blocks`); running them in parallel is the
callers' business (``perfsim.simulate`` uses ``perfsim.experiments.executors``).

Each period: departments choose effort and gaming (the policy object named by ``world.policy``,
:mod:`perfsim.world.policies`, responds and then observes the period's evaluation), outputs and
indicators are realised with measurement noise and a common shock, raters score (surveys by multinomial draws on the 4-level
scale), audits detect gaming (sanctions, veto), the rule scores, ranks, grades and rewards
(``perfsim.rules.pipeline``), metrics are taken, and ratcheted targets move.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from . import metrics
from .fastreduce import along_last, count_values, std_dept, sum_last, zero_view
from .ranks import RankBounds, best_first_order, rank_bounds
from .rules.grade import band_counts, quota_band_floors
from .rules.pipeline import CompiledRule, Evaluation, compile_rule
from .scenario.schema import Scenario
from .world import events as world_events
from .world.careers import prizes as band_prizes
from .world.context import Context, ratchet_factors, uses_target
from .world.convergence import ConvergenceWarning as ConvergenceWarning  # public name kept here
from .world.convergence import convergence_metrics
from .world.convergence import warn_gap as warn_gap
from .world.convergence import warn_unconverged as warn_unconverged
from .world.draws import crn_normals
from .world.model import (
    CompiledWorld,
    compile_world,
    draw_population,
    expected_indicators,
    group_reliability,
    perceived_quality,
    rated_survey_moments,
    survey_draw,
)
from .world.policies import make_policy, policy_class
from .world.response import first_best
from .world.state import YearState

#: Largest number of sample values (samples × reps × depts × indicators) held at once.
_BLOCK_BUDGET = 4_000_000

_allocator_primed = False


def _prime_allocator() -> None:
    """Let the block's temporaries be recycled instead of faulted in afresh (once per process).

    A block allocates and frees a few megabytes of temporaries per step. With glibc's default
    thresholds, arrays above 128 KB are mapped and unmapped each time, and the heap is trimmed back
    as soon as 256 KB lie free, so every step faults its memory in again from the kernel: about a
    quarter of a naive run's time. glibc raises both thresholds by itself when a large mapped chunk
    is freed (mallopt(3), "dynamic mmap threshold"), so allocating and freeing one array of the
    block budget's size (never touched; 32 MB of address space) makes later temporaries up to that
    size come from, and go back to, the heap. This is what any session that has once freed a large
    array is already in; elsewhere than glibc it costs a few microseconds and changes nothing."""
    global _allocator_primed
    if not _allocator_primed:
        np.empty(_BLOCK_BUDGET)
        _allocator_primed = True


@dataclass
class BlockResult:
    """Per-replication metrics and per-department sums of one block."""

    metrics: dict[str, NDArray]
    departments: dict[str, NDArray]  # sums over the block's replications, (dept, ...)
    periods: dict[str, NDArray]  # (period,) sums over replications
    reps: int
    confusion: NDArray  # (band, band) counts: true band (by true value) × assigned grade
    diagnostics: dict[str, float] = field(default_factory=dict)
    state: dict[str, NDArray] | None = None  # final period's arrays, when asked for (keep_state)
    period_effort: NDArray | None = None  # (period, rep) mean effort of each replication


@dataclass(frozen=True)
class Model:
    scenario: Scenario
    rule: CompiledRule
    world: CompiledWorld

    @property
    def block_size(self) -> int:
        w = self.scenario.world
        samples = w.samples if policy_class(w.policy).uses_samples else 1
        per_rep = (
            samples * w.departments * max(1, len(self.rule.indicators) + len(self.world.raters))
        )
        return int(max(1, min(256, _BLOCK_BUDGET // per_rep)))

    @functools.cached_property
    def fixed(self) -> dict:
        """What every block takes from the scenario, rule and world alone, computed once (arrays
        read-only, as they are shared): the context's fixed parts, the first targets, the band
        prizes, the raters' costs, the top share and the quota band floors of the metrics."""
        sc, c, w = self.scenario, self.rule, self.world
        shares = [c.shares[c.components.index(r)] for r in w.raters]
        fixed = dict(
            context=Context.fixed_parts(sc, c, w),
            target=np.nan_to_num(c.target, nan=0.0),
            prizes=band_prizes(sc, c),
            rater_costs=metrics.rater_costs(w.respondents, w.unit_cost, shares, w.n_dept),
            top_share=top_group_share(c, np.bincount(w.class_codes)),
            floors=quota_band_floors(c.quotas, c.quota_counts, c.thresholds)[0],
        )
        for value in (*fixed.values(), *fixed["context"].values(), *fixed["context"]["limits"]):
            if isinstance(value, np.ndarray):
                value.flags.writeable = False
        return fixed


def build(scenario: Scenario) -> Model:
    if scenario.world is None:
        from .scenario import no_world_error

        raise no_world_error(scenario)
    rule = compile_rule(scenario.rule)
    world = compile_world(scenario, rule.column_components, rule.indicators)
    return Model(scenario=scenario, rule=rule, world=world)


#: Models of the scenarios simulated last, by ``id(scenario)`` (:func:`model_of`). Each model holds
#: its scenario, so an id here cannot be reused by another scenario while its entry is kept.
_MODELS: dict[int, Model] = {}
_MODELS_KEPT = 8
_MODELS_LOCK = threading.Lock()


def model_of(scenario: Scenario) -> Model:
    """:func:`build` of a scenario, compiled once per scenario object (a scenario is immutable):
    a run of the same scenario object again, e.g. at another seed, skips compiling its rule and
    world. The model is shared, so callers must not change its arrays (the engine never does)."""
    model = _MODELS.get(id(scenario))
    if model is None or model.scenario is not scenario:
        model = build(scenario)
        with _MODELS_LOCK:
            if len(_MODELS) >= _MODELS_KEPT:
                _MODELS.pop(next(iter(_MODELS)))
            _MODELS[id(scenario)] = model
    return model


def blocks(model: Model, reps: int) -> list[tuple[int, int]]:
    """(block index, replications in the block) covering ``reps``."""
    size = model.block_size
    n = -(-reps // size)
    return [(b, min(size, reps - b * size)) for b in range(n)]


def run_block(
    model: Model, seed: int, block: int, reps: int, keep_state: bool = False
) -> BlockResult:
    """Simulate one block of replications (the unit of work of every executor).

    With ``keep_state`` the result also carries the final period's arrays (``output``, ``measured``,
    ``effort``, ``gaming``, ``ability``, ``productivity``; ``(rep, dept, ...)``), e.g. to generate
    synthetic rating data from the simulated departments."""
    _prime_allocator()
    ss = np.random.SeedSequence(seed).spawn(block + 1)[block]
    rng_pop, rng_crn, rng_real, rng_ev = (np.random.default_rng(s) for s in ss.spawn(4))
    sc, c, w = model.scenario, model.rule, model.world
    ws = sc.world
    policy = make_policy(ws)
    pop = draw_population(w, rng_pop, reps)
    n, n_ind, n_r = w.n_dept, len(c.indicators), len(w.raters)
    samples = ws.samples if policy.uses_samples else 0
    block_ctx = Context.build(
        sc,
        c,
        w,
        ability=pop.ability,
        theta=pop.productivity,
        eps=crn_normals(rng_crn, ws.sampling, samples, (reps, n, n_ind)),
        eta=crn_normals(rng_crn, ws.sampling, samples, (reps, n, n_r)),
        fixed=model.fixed["context"],
    )
    # read-only views (every update below makes a new array); effort is a real array, so that
    # its sums add in the same order whatever the policy
    targets = np.broadcast_to(model.fixed["target"], (reps, n, n_ind))
    effort = np.repeat(w.baseline[None, :], reps * n, axis=0).reshape(reps, n, len(w.tasks))
    gaming = np.broadcast_to(0.0, (reps, n, n_ind))  # nobody games until a policy responds
    years, prizes = YearState.start(sc, c, (reps, n)), model.fixed["prizes"]  # world/state.py
    prev_total = None
    per_period: dict[str, list[float]] = {
        k: [] for k in ("effort", "gaming", "total", "gaming_share", "budget_gini")
    }
    period_effort = np.empty((ws.periods, reps))
    audits = np.zeros(reps)  # departments audited, summed over the periods
    # a finite horizon: each period's own discount through ratcheted targets (context.py)
    factors = ratchet_factors(sc, c) if ws.horizon == "finite" else None
    for period in range(ws.periods):
        ctx, warning = years.context(block_ctx, pop.productivity, prizes[period]), None
        if factors is not None:
            ctx = replace(ctx, ratchet_factor=factors[period])
        if ws.early_warning > 0:
            warning = np.sqrt(ws.early_warning) * rng_real.standard_normal((reps, n, n_ind))
            ctx = replace(ctx, warning=warning)
        effort, gaming = policy.respond(ctx, effort, gaming, targets)
        final = period == ws.periods - 1
        out = _realise(model, ctx, rng_real, effort, gaming, targets, warning, final, rng_ev)
        audits += out.audited.sum(-1)
        ev = out.evaluation
        policy.observe(ctx, ev)
        years.advance(ev.grade)
        if final:  # the full metrics describe the final period
            per_rep = _final_metrics(model, ctx, out, (effort, gaming), pop.ability, prev_total)
            per_rep.update(convergence_metrics(policy))
            per_rep.update(cost_metrics(model, audits))
            per_rep.update(metrics.year_links(years.budget, years.previous_grade, years.grade))
        prev_total = ev.total
        _record_period(per_period, effort, gaming, ev.total, per_rep if final else None, reps)
        gini = per_rep["budget_gini"] if final else metrics.gini(years.budget)  # next year's
        per_period["budget_gini"].append(float(gini.sum()))
        period_effort[period] = per_rep["mean_effort"] if final else effort.mean(axis=(1, 2))
        targets = _next_targets(sc, c, targets, out.measured)
    return BlockResult(
        metrics=per_rep,
        departments=_department_sums(c, w, out, effort, gaming),
        periods={k: np.array(v) for k, v in per_period.items()},
        period_effort=period_effort,
        reps=reps,
        confusion=grade_confusion(out.value, ev.grade, len(c.bands), order=out.value_order),
        diagnostics=dict(policy.diagnostics),
        state=dict(
            output=out.output,
            measured=out.measured,
            effort=effort,
            gaming=gaming,
            ability=pop.ability,
            productivity=ctx.theta,  # the last year's: θ B^η with budgets (world/state.py)
        )
        if keep_state
        else None,
    )


def cost_metrics(model: Model, audits: NDArray) -> dict[str, NDArray]:
    """What the evaluation costs, per replication: ``evaluation_cost`` per period (year), its parts
    ``rater_cost:<group>`` (:func:`metrics.rater_costs`: a group whose share is 0 costs nothing) and
    ``audit_cost``, and ``evaluation_cost_total`` over all periods. ``audits``: departments
    audited in a replication, summed over the periods."""
    w, sc = model.world, model.scenario
    periods, groups = sc.world.periods, model.fixed["rater_costs"]
    audit_total = audits * sc.rule.audit.cost
    ones = np.ones_like(audits)
    return {
        "evaluation_cost": groups.sum() + audit_total / periods,
        **{f"rater_cost:{r}": ones * groups[k] for k, r in enumerate(w.raters)},
        "audit_cost": audit_total / periods,
        "evaluation_cost_total": periods * groups.sum() + audit_total,
    }


def _record_period(per_period: dict, effort, gaming, total, final: dict | None, reps: int) -> None:
    """Append the period's block sums of mean effort, gaming, total score and gaming share (in the
    final period, ``final``: its metrics, whose gaming share is the same numbers, taken once)."""
    share = metrics.gaming_share(effort, gaming) if final is None else final["gaming_share"]
    for k, v in (
        ("effort", effort.mean()),
        ("gaming", 0.0 if zero_view(gaming) else gaming.mean()),
        ("total", total.mean()),
        ("gaming_share", share.mean()),
    ):
        per_period[k].append(float(v) * reps)


@dataclass
class Realised:
    """One period's realisation (:func:`_realise`): what later steps of the period read."""

    evaluation: Evaluation
    measured: NDArray  # (rep, dept, indicator) reported indicators
    inflation: NDArray | None  # (rep,) metrics.inflation, in the final period only
    output: NDArray  # (rep, dept, task)
    value: NDArray  # (rep, dept) true value V
    gaming_any: bool  # whether any department games
    audited: NDArray  # (rep, dept) bool
    reward: NDArray  # (rep, dept) bonus + pay per point − sanctions
    value_bounds: RankBounds | None = None  # rank_bounds(value), set in the final period
    value_order: NDArray | None = None  # best_first_order(value), set in the final period
    rater_reliability: NDArray | None = None  # (rep, rater) group_reliability, final period only
    shock_grades: NDArray | None = None  # (rep,) metric shock_grades, final period with a shock


def _realise(
    model: Model,
    ctx: Context,
    rng: np.random.Generator,
    effort,
    gaming,
    targets,
    warning=None,
    final: bool = True,
    events: np.random.Generator | None = None,
) -> Realised:
    """One period's outputs, measurements, ratings, audits and evaluation. Arrays no later step
    reads are not returned (the block's memory peak sets its cost); the inflation metric, which
    needs the noiseless indicators, is taken here in the ``final`` period."""
    c, w, sc = model.rule, model.world, model.scenario
    reps, n, _ = effort.shape
    shock = sc.world.common_shock * rng.standard_normal((reps, 1, 1))
    output = ctx.theta * effort
    output += shock
    value = output @ w.value
    latent = perceived_quality(w, output)  # (rep, dept, rater), 0-100 scale
    if ctx.reputation is not None:  # last year's grade (world/state.py)
        latent += ctx.reputation[..., None]
    expected = expected_indicators(w, output, None)
    noise = rng.standard_normal(expected.shape)
    if warning is not None:  # ε = √ρ ξ (seen at the early warning) + √(1 − ρ) ζ
        noise *= np.sqrt(1 - model.scenario.world.early_warning)
        noise += warning
    along_last(np.multiply, noise, w.scale * w.noise, out=noise)
    gaming_any = not zero_view(gaming) and bool(gaming.any())
    if gaming_any:  # (expected + scale κ g) + noise
        measured = w.scale * w.gameability * gaming
        measured += expected
        measured += noise
    else:  # expected + noise, into the noise array
        measured = noise
        measured += expected
    along_last(np.minimum, measured, w.ceiling, out=measured)
    inflation = None
    if final:  # metrics.inflation against what an honest, noiseless report would say, in place
        honest = along_last(np.minimum, expected, w.ceiling, out=expected)
        gap = np.subtract(measured, honest, out=honest)
        if not c.benefit.all():  # a cost indicator looks better reported lower
            along_last(np.multiply, gap, np.where(c.benefit, 1.0, -1.0), out=gap)
        inflation = np.mean(gap, axis=(1, 2))
    del expected
    moments = rated_survey_moments(w, latent) if final else None  # shared by the next two
    reliability = group_reliability(w, latent, moments) if final and len(w.raters) else None
    raters = _rate(w, latent, rng, moments)
    audited = rng.random((reps, n)) < sc.rule.audit.probability
    total_gaming = np.zeros((reps, n)) if zero_view(gaming) else sum_last(gaming)
    if sc.rule.audit.detection_rate is None:
        found = total_gaming > 1e-12
    else:
        found = rng.random((reps, n)) < 1 - np.exp(-sc.rule.audit.detection_rate * total_gaming)
    detected = audited & found
    veto = detected if sc.rule.audit.veto else None
    columns = None
    if c.column_components:
        order = [w.raters.index(name) for name in c.column_components]
        columns = along_last(np.multiply, raters[..., order], c.full_marks)
        columns /= 100.0
    del latent, raters
    args = dict(classes=w.class_codes if c.classes else None, columns=columns, targets=targets)
    # item points, veto events, force-majeure relief and shock_grades (perfsim/world/events.py)
    year = (effort, gaming, measured, shock)
    ev, veto, luck = world_events.evaluate_year(model, ctx, events, year, veto, args, final)
    reward = _paid(sc, ev, detected, veto, total_gaming)
    return Realised(
        evaluation=ev,
        measured=measured,
        inflation=inflation,
        output=output,
        value=value,
        gaming_any=gaming_any,
        audited=audited,
        reward=reward,
        rater_reliability=reliability,
        shock_grades=luck,
    )


def _paid(sc: Scenario, ev: Evaluation, detected, veto, total_gaming) -> NDArray:
    """What each department is paid: its grade's bonus plus the pay per point, less sanctions
    ``F + φ G`` where gaming was detected. A vetoed unit gets the veto grade's bonus and *no* pay
    per point (the veto voids the evaluation's reward; :mod:`perfsim.world.payoff` assumes the
    same)."""
    audit = sc.rule.audit
    sanctions = np.where(detected, audit.penalty + audit.fine_per_unit * total_gaming, 0.0)
    pay = sc.rule.pay.per_point * ev.total
    if veto is not None and sc.rule.pay.per_point:
        pay = np.where(veto, 0.0, pay)
    return ev.reward[..., 0] + pay - sanctions


def _rate(w: CompiledWorld, latent: NDArray, rng: np.random.Generator, moments=None) -> NDArray:
    """Raters' scores (0-100) of perceived quality ``latent`` (rep, dept, rater), shifted by their
    leniency in place: surveys by answers on the 4-level scale, others with normal noise.
    ``moments``: ``rated_survey_moments`` of ``latent``, when the caller has them."""
    reps, n, _ = latent.shape
    along_last(np.add, latent, w.leniency, out=latent)
    raters = np.empty_like(latent)
    for r, kind in enumerate(w.rater_kind):
        if kind == "survey":
            raters[..., r] = survey_draw(w, r, latent[..., r], rng, (moments or {}).get(r))
        else:
            raters[..., r] = np.clip(
                latent[..., r] + w.rater_noise[r] * rng.standard_normal((reps, n)), 0.0, 100.0
            )
    return raters


def _first_best_welfare(w: CompiledWorld, ctx: Context, e_fb: NDArray) -> NDArray:
    """Net welfare of the first-best effort, ``V − ½ eᵀCe/a``, per (rep, dept)."""
    work = ctx.theta * e_fb
    value = work @ w.value
    np.matmul(e_fb, w.cost, out=work)  # the same work array for C e
    return value - 0.5 * sum_last(_times(work, e_fb)) / ctx.ability


def top_group_share(c: CompiledRule, class_sizes) -> float:
    """The share of departments the misclassification metrics call the true top: the places the
    best band's quota admits (at least one; 0.15 without a quota), within class summed over the
    classes (of ``class_sizes`` departments; 15 % and 20 % of classes of 14, 9, 7: 4 both)."""
    q, k = c.quotas[0], c.quota_counts[0]
    if not (np.isfinite(k) and k > 0) and not (np.isfinite(q) and q > 0):
        return 0.15
    sizes = np.asarray(class_sizes, dtype=float)
    n_dept = float(sizes.sum())
    groups = sizes if c.rule.grading.scope == "within_class" else np.array([n_dept])
    count = band_counts(c.quotas[:1], c.quota_counts[:1], groups, c.rounding)[0].sum()
    return min(max(float(count), 1.0), n_dept) / n_dept


def _period_metrics(
    model: Model, ctx: Context, out: Realised, effort, gaming, fb_welfare, prev_total
) -> dict[str, NDArray]:
    c, w = model.rule, model.world
    ev = out.evaluation
    value = out.value
    a = ctx.ability
    welfare = value - 0.5 * sum_last(_times(effort @ w.cost, effort)) / a
    if out.gaming_any:
        welfare -= 0.5 * sum_last(w.gaming_cost * gaming**2)
    top_q = model.fixed["top_share"]
    by_value = out.value_bounds
    gaps = (
        metrics.class_gaps(ev.total, value, w.class_codes, len(w.classes))
        if len(w.classes) > 1
        else None
    )
    result = {
        **metrics.rank_fidelity_from_bounds(
            value,
            ev.total,
            by_value,
            ev.total_bounds if ev.total_bounds is not None else rank_bounds(ev.total),
        ),
        **metrics.misclassification(
            value,
            ev.grade,
            top_share=top_q,
            bottom_share=0.1,
            bottom_grade=len(c.bands) - 1,
            order=out.value_order,
        ),
        "class_bias": np.full(value.shape[0], np.nan),  # from every block's gaps: joined_metrics
        "gaming_share": metrics.gaming_share(effort, gaming),
        "quota_below_threshold": metrics.below_band_floor(
            ev.total, ev.grade, model.fixed["floors"]
        ),
        "inflation": out.inflation,
        "welfare_loss": metrics.welfare_loss(welfare, fb_welfare),
        "reward_gini": metrics.gini(out.reward),
        "mean_effort": effort.mean(axis=(1, 2)),
        "mean_total": ev.total.mean(axis=1),
    }
    result.update({} if out.shock_grades is None else {"shock_grades": out.shock_grades})
    if prev_total is not None:
        result["rank_stability"] = metrics.rank_stability(prev_total, ev.total)
    # Effective weight of each component: nominal share × spread across departments, as a share of
    # the total spread (a component near its ceiling counts for little, whatever its share).
    spread = c.shares * std_dept(ev.components)
    total_spread = spread.sum(axis=-1, keepdims=True)
    effective = np.divide(
        spread, total_spread, out=np.full_like(spread, np.nan), where=total_spread > 0
    )
    for k, name in enumerate(c.components):
        result[f"effective_weight:{name}"] = effective[:, k]
    if gaps is not None:  # which classes class_bias is between, for the summaries
        known = np.isfinite(gaps)  # NaN: slope not identified, or a class without departments
        count = np.maximum(known.sum(axis=1, keepdims=True), 1)
        gaps -= np.where(known, gaps, 0.0).sum(axis=1, keepdims=True) / count  # vs the average
        for k, name in enumerate(w.classes):
            result[f"class_gap:{name}"] = gaps[:, k]
    if out.rater_reliability is not None:  # agreement within each rater group
        for r, name in enumerate(w.raters):
            result[f"rater_reliability:{name}"] = out.rater_reliability[:, r]
    if ev.components.shape[-1] >= 2:
        result["icc2k"] = metrics.icc(ev.components)["icc2k"]
        result["krippendorff_alpha"] = metrics.krippendorff_alpha_interval(ev.components)
    return result


def _department_sums(
    c: CompiledRule, w: CompiledWorld, out: Realised, effort, gaming
) -> dict[str, NDArray]:
    ev = out.evaluation
    return {
        "true_value": out.value.sum(0),
        "measured": out.measured.sum(0),
        "components": ev.components.sum(0),
        "total": ev.total.sum(0),
        "rank": ev.rank.sum(0).astype(float),
        "grade": ev.grade.sum(0).astype(float),
        "grade_counts": count_values(ev.grade.T, len(c.bands)).astype(float),  # (dept, band)
        "reward": out.reward.sum(0),
        "effort": effort.sum(0),
        "gaming": np.zeros(gaming.shape[1:]) if zero_view(gaming) else gaming.sum(0),
    }


def grade_confusion(
    value: NDArray, grade: NDArray, n_bands: int, order: NDArray | None = None
) -> NDArray:
    """Counts of (true band, assigned grade), summed over replications.

    The true band ranks departments by true value and gives band g to as many departments as the
    rule actually put in band g in that replication, so the matrix compares like with like.
    ``order``: ``best_first_order(value)`` when the caller has it already."""
    if order is None:
        order = best_first_order(value)
    # bands fill from the best: the department at sorted position p has the p-th smallest grade
    # of its replication as its true band (one sort of the grades, not a rank per department)
    true_band = np.sort(grade, axis=-1)
    assigned = grade.ravel()[order + (np.arange(grade.shape[0]) * grade.shape[1])[:, None]]
    flat = true_band.ravel() * n_bands + assigned.ravel()
    return np.bincount(flat, minlength=n_bands * n_bands).reshape(n_bands, n_bands).astype(float)


def _times(a: NDArray, b: NDArray) -> NDArray:
    """``a * b`` into ``a`` (a fresh temporary)."""
    np.multiply(a, b, out=a)
    return a


def _final_metrics(model, ctx, out, choice, ability, prev_total) -> dict:
    """The full metrics of the final period (``choice``: effort and gaming); ``out`` gains the
    sorted true values that every rank metric shares."""
    effort, gaming = choice
    w = model.world
    fb_welfare = _first_best_welfare(w, ctx, first_best(w, ability, ctx.theta))
    out.value_bounds = rank_bounds(out.value)  # one sort of V for all metrics
    out.value_order = best_first_order(out.value, out.value_bounds)
    return _period_metrics(model, ctx, out, effort, gaming, fb_welfare, prev_total)


def _next_targets(sc, c, targets, measured):
    """Next period's targets: ratcheted towards this period's measured values, or unchanged."""
    if sc.rule.targets.mode != "ratchet":
        return targets
    return np.where(
        uses_target(c), targets + sc.rule.targets.ratchet * (measured - targets), targets
    )


def joined_metrics(blocks: list[BlockResult]) -> dict[str, NDArray]:
    """Every replication's value of each metric, the blocks joined in block order; ``class_bias``
    from the class gaps of all replications (:func:`perfsim.metrics.systematic_class_bias`: its
    favoured and disfavoured class are those of the whole run, not of one block)."""
    names = list(blocks[-1].metrics)
    out = {
        k: blocks[0].metrics[k]
        if len(blocks) == 1
        else np.concatenate([b.metrics[k] for b in blocks])
        for k in names
    }
    gaps = [out[k] for k in names if k.startswith("class_gap:")]
    if "class_bias" in out:  # one class: no gap, no bias to measure (undefined, not 0)
        reps = len(out["class_bias"])
        out["class_bias"] = (
            metrics.systematic_class_bias(np.stack(gaps, 1)) if gaps else np.full(reps, np.nan)
        )
    return out


def run_blocks(
    model: Model,
    seed: int,
    reps: int,
    *,
    progress: Callable[[int], None] | None = None,
) -> list[BlockResult]:
    """Run every block in this process, in block order (``perfsim.simulate`` runs them in parallel
    with an executor of ``perfsim.experiments.executors``; the numbers are the same)."""
    results = []
    for b, n in blocks(model, reps):
        results.append(run_block(model, seed, b, n))
        if progress:
            progress(n)
    return results
