"""The whole evaluation regime as one pure function over batched arrays.

``compile_rule`` turns a validated :class:`~perfsim.scenario.Rule` into arrays once; ``evaluate``
applies it to indicator values of shape ``(..., dept, indicator)`` — a real table (no batch axes) or a
simulated batch ``(rep, dept, indicator)`` — and returns every intermediate score:

1. normalise each indicator (``normalize``), per its method, direction and scope;
2. weight the indicators within each component (fixed, per class, entropy, CRITIC or AHP);
3. aggregate each component (weighted sum, TOPSIS × 100 or Borda) — or take a column component
   (e.g. 社会评价 from surveys) rescaled from ``full_marks`` to 0–100;
4. mix the components with the rater-mix shares (weighted sum or share-weighted Borda);
5. add bonus and subtract deduction points with their caps (加减分);
6. rank (globally or within class), grade by quotas and thresholds, apply the veto (一票否决; a
   vetoed unit keeps its rank by score but takes no quota slot: the slot passes to the next unit);
7. look up the rewards of each grade.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from ..ranks import RankBounds
from ..scenario.rule_parts import NORMALIZE_DEFAULTS
from ..scenario.schema import Rule
from . import aggregate, checks, grade, normalize, reward, weights

REWARD_FIELDS = ("bonus", "budget_factor", "promotion_weight")


@dataclass(frozen=True)
class CompiledRule:
    """A rule as arrays, ready to be applied many times."""

    rule: Rule
    indicators: tuple[str, ...]
    benefit: NDArray[np.bool_]
    methods: tuple[str, ...]
    base: NDArray[np.float64]
    span: NDArray[np.float64]
    bad: NDArray[np.float64]
    good: NDArray[np.float64]
    target: NDArray[np.float64]
    cap: NDArray[np.float64]
    target_columns: tuple[str | None, ...]
    components: tuple[str, ...]
    shares: NDArray[np.float64]
    component_members: tuple[NDArray[np.intp], ...]
    component_methods: tuple[str, ...]
    column_components: tuple[str, ...]
    column_names: tuple[str, ...]
    full_marks: NDArray[np.float64]
    class_weights: NDArray[np.float64]
    classes: tuple[str, ...]
    adjustments: tuple[str, ...]
    adjustment_columns: tuple[str, ...]
    adjustment_sign: NDArray[np.float64]
    adjustment_caps: NDArray[np.float64]
    bands: tuple[str, ...]
    quotas: NDArray[np.float64]  # share per band, NaN = none
    quota_counts: NDArray[np.float64]  # number of departments per band, NaN = none
    rounding: str  # how a share becomes a count (perfsim.rules.grade.quota_count)
    thresholds: NDArray[np.float64]
    veto_columns: tuple[str, ...]
    veto_grade: int
    reward_table: NDArray[np.float64]

    def weights_by_class(self, classes) -> NDArray[np.float64]:
        """:func:`perfsim.rules.weights.per_class` of the rule's class weights for the department
        classes ``classes``, checked and computed once per classes (read-only; a best response
        asks for them twice in each of its iterations)."""
        memo = self.__dict__.get("_weights_by_class")  # (frozen: set through the instance dict)
        codes = np.asarray(classes)
        same = memo is not None and (memo[0].shape, memo[0].dtype) == (codes.shape, codes.dtype)
        if same and np.array_equal(memo[0], codes):
            return memo[1]
        w = weights.per_class(self.class_weights, codes)
        w.setflags(write=False)
        self.__dict__["_weights_by_class"] = (codes.copy(), w)
        return w

    @property
    def uses_classes(self) -> bool:
        r = self.rule
        return bool(
            r.grading.scope == "within_class"
            or r.normalize.scope == "within_class"
            or r.weights.by_class
        )


@dataclass(frozen=True)
class Evaluation:
    """Every stage of an evaluation; arrays share the leading batch axes of the input."""

    normalized: NDArray[np.float64]  # (..., dept, indicator) indicator scores
    components: NDArray[np.float64]  # (..., dept, component) component scores, 0-100
    mixed: NDArray[np.float64]  # (..., dept) rater-mix score before adjustments
    adjustment: NDArray[np.float64]  # (..., dept) net bonus/deduction points
    total: NDArray[np.float64]  # (..., dept)
    rank: NDArray[np.int64] | None  # (..., dept) 1 = best (within class when graded within class)
    grade: NDArray[np.int64] | None  # (..., dept) 0 = best band
    reward: NDArray[np.float64] | None  # (..., dept, 3) bonus, budget factor, promotion weight
    #: ``perfsim.ranks.rank_bounds(total)`` when grading computed it (to rank the totals again
    #: without sorting), else None
    total_bounds: RankBounds | None = field(default=None, repr=False, compare=False)


def compile_rule(rule: Rule) -> CompiledRule:
    """Turn a validated rule into arrays (raises ValueError for inconsistent AHP judgements)."""
    names = tuple(rule.indicators)
    inds = [rule.indicators[n] for n in names]
    methods = tuple(i.normalize or rule.normalize.method for i in inds)
    base = np.array(
        [
            i.base if i.base is not None else NORMALIZE_DEFAULTS[m][0]
            for i, m in zip(inds, methods, strict=True)
        ]
    )
    span = np.array(
        [
            i.span if i.span is not None else NORMALIZE_DEFAULTS[m][1]
            for i, m in zip(inds, methods, strict=True)
        ]
    )

    comps = rule.resolved_components()
    comp_names = tuple(comps)
    total_share = sum(c.share for c in comps.values())
    shares = np.array([comps[c].share / total_share for c in comp_names])
    members = tuple(
        np.array([k for k, n in enumerate(names) if rule.component_of(n) == c], dtype=np.intp)
        for c in comp_names
    )
    comp_methods = tuple(comps[c].aggregate or rule.aggregate.indicators for c in comp_names)
    column_components = tuple(c for c in comp_names if comps[c].source == "column")

    classes = tuple(rule.classes)
    class_weights = _fixed_weights(rule, names, classes, members)

    bands = tuple(rule.grading.bands)
    quotas = np.array([rule.grading.quota.get(b, np.nan) for b in bands])
    counts = np.array([rule.grading.quota_count.get(b, np.nan) for b in bands], dtype=float)
    thresholds = np.array([rule.grading.thresholds.get(b, np.nan) for b in bands])
    table = np.array(
        [[getattr(rule.rewards.get(b) or _zero_reward(), f) for f in REWARD_FIELDS] for b in bands]
    )
    adj = rule.adjustments
    return CompiledRule(
        rule=rule,
        indicators=names,
        benefit=np.array([i.direction == "benefit" for i in inds], dtype=bool),
        methods=methods,
        base=base,
        span=span,
        bad=np.array([np.nan if i.bad is None else i.bad for i in inds]),
        good=np.array([np.nan if i.good is None else i.good for i in inds]),
        target=np.array([np.nan if i.target is None else i.target for i in inds]),
        cap=np.array([np.inf if i.cap is None else i.cap for i in inds]),
        target_columns=tuple(i.target_column for i in inds),
        components=comp_names,
        shares=shares,
        component_members=members,
        component_methods=comp_methods,
        column_components=column_components,
        column_names=tuple(comps[c].column or c for c in column_components),
        full_marks=np.array([comps[c].full_marks for c in column_components]),
        class_weights=class_weights,
        classes=classes,
        adjustments=tuple(adj),
        adjustment_columns=tuple(a.column or n for n, a in adj.items()),
        adjustment_sign=np.array([1.0 if a.kind == "bonus" else -1.0 for a in adj.values()]),
        adjustment_caps=np.array([np.inf if a.cap is None else a.cap for a in adj.values()]),
        bands=bands,
        quotas=quotas,
        quota_counts=counts,
        rounding=rule.grading.rounding,
        thresholds=thresholds,
        veto_columns=tuple(rule.veto.columns),
        veto_grade=bands.index(rule.veto.grade) if rule.veto.grade else len(bands) - 1,
        reward_table=table,
    )


def _zero_reward():
    from ..scenario.rule_parts import Reward

    return Reward()


def _fixed_weights(
    rule: Rule, names: tuple[str, ...], classes: tuple[str, ...], members: tuple[NDArray, ...]
) -> NDArray[np.float64]:
    """Weights per class × indicator (one row when there are no class weights), summing to 1 within
    each component. Data-driven methods fill these in at evaluation time."""
    n = len(names)
    if rule.weights.method == "ahp":
        common = weights.ahp(
            np.array(rule.weights.pairwise, dtype=float),
            allow_inconsistent=rule.weights.allow_inconsistent,
        ).weights
    elif rule.weights.method == "fixed":
        common = np.array([rule.weights.values.get(k, 1.0) for k in names], dtype=float)
    else:
        common = np.ones(n)
    rows = [common]
    if rule.weights.by_class:
        rows = []
        for cls in classes:
            table = rule.weights.by_class.get(cls, {})
            rows.append(
                np.array([table.get(k, common[j]) for j, k in enumerate(names)], dtype=float)
            )
    out = np.array(rows, dtype=float).reshape(len(rows), n)
    for idx in members:
        if idx.size:
            sums = out[:, idx].sum(axis=1, keepdims=True)
            out[:, idx] = np.divide(
                out[:, idx], sums, out=np.full_like(out[:, idx], 1.0 / idx.size), where=sums > 0
            )
    return out


def evaluate(
    compiled: CompiledRule,
    indicators: NDArray[np.float64],
    *,
    classes: NDArray[np.intp] | None = None,
    columns: NDArray[np.float64] | None = None,
    adjustments: NDArray[np.float64] | None = None,
    veto: NDArray[np.bool_] | None = None,
    targets: NDArray[np.float64] | None = None,
    grading: bool = True,
) -> Evaluation:
    """Apply a compiled rule (``grading=False`` stops after the total score: rank, grade and reward
    are then None; the simulation's inner loop needs totals only).

    Parameters
    ----------
    indicators : ``(..., dept, indicator)`` raw indicator values, in ``compiled.indicators`` order.
    classes : ``(dept,)`` class codes (index into ``compiled.classes``); needed for class rules.
    columns : ``(..., dept, len(column_components))`` column component scores, in their full marks.
    adjustments : ``(..., dept, len(adjustments))`` bonus/deduction points (non-negative).
    veto : ``(..., dept)`` True where a one-vote veto applies.
    targets : ``(..., dept, indicator)`` per-department targets (NaN where the rule's target is used).

    Every array must hold finite numbers (ValueError naming it otherwise; NaN only in ``targets``).
    """
    x = _checked_indicators(compiled, indicators)
    columns, adjustments, targets = _checked(columns, adjustments, targets)
    vetoed = None if veto is None else checks.flags(veto, "veto")
    with checks.checked_inputs():  # the stages pass finite arrays on: no check again
        return _stages(compiled, x, classes, columns, adjustments, vetoed, targets, grading)


def _stages(c: CompiledRule, x, classes, columns, adjustments, vetoed, targets, grading):
    """The stages of :func:`evaluate` on checked inputs."""
    n_dept = x.shape[-2]
    batch = x.shape[:-2]
    if c.uses_classes and classes is None:
        raise ValueError("this rule ranks, normalises or weights by class: pass `classes`")
    norm_groups = classes if c.rule.normalize.scope == "within_class" else None
    grade_groups = classes if c.rule.grading.scope == "within_class" else None

    z = _normalize(c, x, norm_groups, targets)
    w = indicator_weights(c, x, classes)

    comp_scores = np.empty(batch + (n_dept, len(c.components)))
    col = 0
    for k, (name, idx) in enumerate(zip(c.components, c.component_members, strict=True)):
        if name in c.column_components:
            if columns is None:
                raise ValueError(f"component {name} is read from a column: pass `columns`")
            into = comp_scores[..., k]  # (a view: the products go straight into it)
            np.multiply(np.asarray(columns, dtype=float)[..., col], 100.0, out=into)
            into /= c.full_marks[col]
            col += 1
            continue
        wk = _columns_of(w, idx)
        method = c.component_methods[k]
        if method == "weighted_sum":
            comp_scores[..., k] = aggregate.weighted_sum(_columns_of(z, idx), wk)
        elif method == "topsis":
            comp_scores[..., k] = 100.0 * aggregate.topsis(x[..., idx], wk, benefit=c.benefit[idx])
        else:
            comp_scores[..., k] = aggregate.borda(_columns_of(z, idx), wk)

    if c.rule.aggregate.components == "borda":
        mixed = aggregate.borda(comp_scores, c.shares)
    else:
        mixed = aggregate.weighted_sum(comp_scores, c.shares)

    if c.adjustments and adjustments is not None:
        total = aggregate.bonus_deduction(
            mixed,
            np.asarray(adjustments, dtype=float),
            sign=c.adjustment_sign,
            caps=c.adjustment_caps,
            net_cap=c.rule.net_adjustment_cap,
        )
    else:
        total = mixed
    if not grading:
        return Evaluation(z, comp_scores, mixed, total - mixed, total, None, None, None)
    grading_args = dict(
        n_bands=len(c.bands),
        quotas=c.quotas,
        counts=c.quota_counts,
        rounding=c.rounding,
        thresholds=c.thresholds,
        groups=grade_groups,
        ties=c.rule.grading.ties,
    )
    bounds: list = []
    if vetoed is None or not vetoed.any():
        ranks, grades = grade.rank_and_grade(total, bounds=bounds, **grading_args)
    else:
        ranks = grade.rank(total, groups=grade_groups)
        # A vetoed unit takes no quota slot: it is graded as if it scored lowest, then given the
        # veto grade.
        grades = grade.assign_grades(total, excluded=vetoed, **grading_args)
        grades = grade.apply_veto(grades, vetoed, veto_grade=c.veto_grade)
    return Evaluation(
        normalized=z,
        components=comp_scores,
        mixed=mixed,
        adjustment=total - mixed,
        total=total,
        rank=ranks,
        grade=grades,
        reward=reward.payoff(grades, c.reward_table),
        total_bounds=bounds[0] if bounds else None,
    )


def _checked_indicators(c: CompiledRule, indicators) -> NDArray[np.float64]:
    """Finite indicator values with at least one department (and one indicator, unless the rule
    has none: every component is then read from a column)."""
    if c.indicators:
        return checks.matrix(indicators, "indicators")
    x = np.asarray(indicators, dtype=float)
    if x.ndim < 2 or x.shape[-1] != 0 or 0 in x.shape[:-1]:
        raise ValueError(
            f"indicators must have shape (..., dept, 0) with at least one department (the rule has "
            f"no indicators), got shape {x.shape}"
        )
    return x


def _checked(columns, adjustments, targets) -> tuple:
    """The optional inputs of :func:`evaluate`, checked for NaN, ±inf and emptiness."""
    if columns is not None:
        columns = checks.finite(columns, "columns")
    if adjustments is not None:
        adjustments = checks.finite(adjustments, "adjustments")
    if targets is not None:
        targets = checks.finite(targets, "targets", nan="the rule's target")
    return columns, adjustments, targets


def _columns_of(a: NDArray, idx: NDArray[np.intp]) -> NDArray:
    """``a[..., idx]``, without a copy when ``idx`` is every column in order."""
    if idx.size == a.shape[-1] and (idx == np.arange(idx.size)).all():
        return a
    return a[..., idx]


def _normalize(c: CompiledRule, x, groups, targets) -> NDArray[np.float64]:
    methods = dict.fromkeys(c.methods)
    z = np.empty_like(x) if len(methods) != 1 else None  # one method: its output is z
    for method in methods:
        idx = np.array([k for k, m in enumerate(c.methods) if m == method], dtype=np.intp)
        common = dict(benefit=c.benefit[idx], base=c.base[idx], span=c.span[idx], groups=groups)
        xs = _columns_of(x, idx)
        if method == "efficacy":
            zs = normalize.efficacy_coefficient(
                xs, bad=c.bad[idx], good=c.good[idx], clip=c.rule.normalize.clip, **common
            )
        elif method in ("target", "linear"):
            target = indicator_targets(c, idx, xs.shape, targets)
            if method == "target":
                zs = normalize.target_attainment(xs, target=target, cap=c.cap[idx], **common)
            else:
                zs = normalize.linear(xs, target=target, **common)
        else:
            zs = normalize.NORMALIZERS[method](xs, **common)
        if z is None:
            return np.asarray(zs, dtype=float)
        z[..., idx] = zs
    return z


def indicator_targets(c: CompiledRule, idx, shape, targets) -> NDArray[np.float64]:
    """The rule's targets of indicators ``idx`` (0 for linear scoring without one), replaced by
    per-department ``targets`` where those are not NaN."""
    target = np.broadcast_to(np.nan_to_num(c.target[idx], nan=0.0), shape)
    if targets is not None:
        given = np.asarray(targets, dtype=float)[..., idx]
        target = np.where(np.isnan(given), target, given)
    return target


def indicator_weights(c: CompiledRule, x, classes) -> NDArray[np.float64]:
    """Indicator weights, broadcastable to ``(..., dept, indicator)``, summing to 1 per component."""
    method = c.rule.weights.method
    if method in ("entropy", "critic"):
        fn = weights.entropy if method == "entropy" else weights.critic
        w = np.empty(x.shape[:-2] + (x.shape[-1],))
        for idx in c.component_members:
            if idx.size:
                w[..., idx] = fn(x[..., idx], benefit=c.benefit[idx])
        return w[..., None, :]
    if c.class_weights.shape[0] > 1:
        return c.weights_by_class(classes)
    return c.class_weights[0]
