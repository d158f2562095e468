"""One record per outcome metric: name, formula, unit, better direction, labels and description.

This is the only place where a metric's metadata is written. The engine's metrics table
(``metrics.csv``, its ``direction`` column), the comparison verdicts, the CLI summary, the figures'
axis labels and the reports' tables and summaries all read it. It imports nothing from perfsim, so
every layer can use it.

:data:`METRICS` maps a metric name to its :class:`Metric`. A name of the form
``effective_weight:<component>`` (one per component of the rule) is described by the family record
:data:`EFFECTIVE_WEIGHT`, with the component filled in by :func:`metric_info`.

Translations: the English texts here are the message ids of the gettext catalogues in
``perfsim/i18n/locale/`` (:func:`perfsim.i18n.metric_label` and friends).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

__all__ = [
    "CLASS_GAP",
    "EFFECTIVE_WEIGHT",
    "FAMILIES",
    "METRICS",
    "METRIC_DESCRIPTIONS",
    "RATER_COST",
    "RATER_RELIABILITY",
    "METRIC_DIRECTIONS",
    "Metric",
    "better",
    "describe",
    "label",
    "explain",
    "may_be_undefined",
    "metric_info",
    "min_difference",
    "unit",
]

Direction = Literal["higher", "lower", "none"]

SPREAD_SHARE = 0.2
"""A metric without a natural scale: the smallest difference that matters is this share of its sd
across the reference's replications (a "small" effect, Cohen's d)."""


@dataclass(frozen=True)
class Metric:
    """Metadata of one metric.

    ``direction``: ``"higher"``, ``"lower"`` (the better side) or ``"none"``; ``unit`` and
    ``scale`` (its range, ``""`` when unbounded) make the axis label :attr:`axis_label`; ``label``:
    a short name for summaries; ``description``: a one-line meaning for tables."""

    name: str
    label: str
    description: str
    formula: str
    unit: str
    scale: str
    direction: Direction
    undefined_when: str = ""
    """When the metric is undefined in a replication (NaN, written as an empty cell with ``n = 0``
    when it is undefined in every one); ``""``: always defined, so NaN means the run overflowed."""
    plain: str = ""
    """What the number means, in plain words, for ``--explain`` and the reports' glossary (``""``:
    the description says it)."""
    min_diff: float | None = None
    """Smallest difference that matters, in the metric's own units, for the comparison's verdicts
    ("no practical difference" below it); None: :data:`SPREAD_SHARE` of the metric's spread."""
    min_rel: float | None = None
    """With ``min_diff``: this share of the reference's value matters when smaller, down to a fifth
    of ``min_diff`` (a tenth of 1.5 % gaming matters, though below half a point)."""
    per_quota: bool = False
    """Counted over the true top units, as many as the top grade's places (within class: summed);
    a comparison does not judge rules whose true tops differ by 2 % of the units or more."""
    graded_band: str = ""
    """``"top"`` or ``"bottom"``: the metric counts units given that grade, so a rule that gives it
    to more units scores better or worse for that alone, whatever its scores; a comparison does
    not judge two rules that give it to different shares of units."""

    @property
    def better(self) -> str:
        """``"higher"``, ``"lower"`` or ``""`` (no better side), as written in metrics tables."""
        return "" if self.direction == "none" else self.direction

    @property
    def axis_label(self) -> str:
        """Unit and scale for an axis, e.g. ``"share of effort, 0–1"``."""
        return ", ".join(p for p in (self.unit, self.scale) if p)


_RECORDS = [
    Metric(
        "kendall_tau",
        "rank fidelity (Kendall τ)",
        "Kendall tau-b between true value and final score (rank fidelity)",
        "τ_b(V, S)",
        "Kendall τ-b",
        "−1 to 1",
        "higher",
        undefined_when="all true values (or all scores) tie",
        plain="Does the ranking by score agree with the ranking by true performance? 1: perfectly;"
        " 0: no better than drawing lots; below 0: the ranking is reversed.",
        min_diff=0.02,
    ),
    Metric(
        "spearman_rho",
        "rank fidelity (Spearman ρ)",
        "Spearman rho between true value and final score (rank fidelity)",
        "ρ(V, S)",
        "Spearman ρ",
        "−1 to 1",
        "higher",
        undefined_when="all true values (or all scores) tie",
        plain="Like Kendall τ, on the ranks' squared differences: 1 means the score ranks units "
        "exactly as their true value does.",
        min_diff=0.02,
    ),
    Metric(
        "top_missed",
        "true top units missing the top grade",
        "share of the true top-q departments not graded top (q: the rule's own top-grade quota)",
        "#{d ∈ T : grade_d > top} / |T|",
        "share of top units",
        "0–1",
        "lower",
        undefined_when="the rule has fewer than two grade bands",
        plain="Of the units that are truly among the best, the share the rule does not give the "
        "top grade (0: every best unit is recognised). The truly best are as many units as the "
        "places of the rule's top-grade quota (15 % without one), so rules with other places "
        "count other groups: a comparison does not judge such rules on it (read kendall_tau).",
        graded_band="top",
        min_diff=0.02,
        per_quota=True,
    ),
    Metric(
        "bottom_missed",
        "true bottom units graded above the bottom",
        "share of the true bottom 10 % of departments graded above the bottom grade",
        "#{d ∈ B : grade_d < bottom} / |B|",
        "share of bottom units",
        "0–1",
        "lower",
        undefined_when="the rule has fewer than two grade bands",
        plain="Of the units that are truly among the weakest 10 %, the share the rule grades "
        "above the bottom grade (1: the rule never names a weak unit, e.g. when nobody gets the "
        "bottom grade).",
        graded_band="bottom",
        min_diff=0.02,
    ),
    Metric(
        "top_in_bottom",
        "true top units graded bottom",
        "share of the true top-q departments graded in the bottom grade",
        "#{d ∈ T : grade_d = bottom} / |T|",
        "share of top units",
        "0–1",
        "lower",
        undefined_when="the rule has fewer than two grade bands",
        plain="Of the units that are truly among the best, the share the rule puts in the bottom "
        "grade: the worst kind of error.",
        graded_band="bottom",
        min_diff=0.02,
        per_quota=True,
    ),
    Metric(
        "class_bias",
        "class bias",
        "score gap at equal true value between the classes favoured most and least on average "
        "(score points)",
        "β_hi − β_lo of S = β_c + b·V + ε; hi, lo: the classes of highest and lowest mean β_c",
        "score points",
        "",
        "lower",
        undefined_when="the rule has one class, or a class has too few departments to fit",
        plain="How many score points the most favoured class of units gets above the least "
        "favoured one for the same true performance, on average over the replications (0: no "
        "class is favoured; chance gaps between classes, which go either way, average out).",
    ),
    Metric(
        "gaming_share",
        "gaming share of effort",
        "gaming effort as a share of all effort, sum g / sum(e + g)",
        "Σ g / Σ (e + g)",
        "share of effort",
        "0–1",
        "lower",
        plain="The share of departments' effort that goes into making indicators look better "
        "rather than into real work.",
        min_diff=0.005,
        min_rel=0.1,
    ),
    Metric(
        "quota_below_threshold",
        "quota grade below a lower threshold",
        "share of departments graded into a band that has a quota but no threshold although "
        "their total misses the threshold of a band below it (e.g. 优秀 by quota at 83 while "
        "良好 needs 90)",
        "mean_d [S_d < max_{h below g_d} threshold_h], g_d a quota band without a threshold",
        "share of departments",
        "0–1",
        "lower",
        plain="The share of units that get a band by quota although their score misses the score "
        "line of a lower band (e.g. 优秀 by quota with a score that 良好 would not accept).",
        min_diff=0.01,
    ),
    Metric(
        "inflation",
        "indicator inflation",
        "mean of how far reports look better than the truth: measured minus true value, sign "
        "flipped for cost indicators (indicator units)",
        "mean_{d,j} s_j (m_dj − y_dj), s_j = +1 benefit, −1 cost",
        "indicator units",
        "",
        "none",
        plain="How much better the reported indicators look than honest reports would show, in "
        "indicator units: higher than the truth for an indicator where more is better, lower "
        "for a cost indicator (below 0: reports look worse, e.g. capped at a ceiling). It mixes "
        "two things that pull opposite ways, gaming (which raises it) and a reporting ceiling "
        "(which lowers it), so it has no better side: read gaming_share for the gaming.",
    ),
    Metric(
        "welfare_loss",
        "welfare loss",
        "1 - net welfare (true value - effort and gaming costs) / its first-best level; "
        "> 1 when the rule destroys value",
        "1 − W / W_first-best",
        "share of first-best value",
        "0–1",
        "lower",
        plain="The share of the best achievable net value (true value minus the cost of effort and"
        " gaming) that is lost under this rule.",
        min_diff=0.005,
    ),
    Metric(
        "rank_stability",
        "rank stability",
        "Kendall tau-b between consecutive periods' scores",
        "τ_b(S_{t−1}, S_t)",
        "Kendall τ-b",
        "−1 to 1",
        "higher",
        undefined_when="only one period is simulated",
        plain="How much this period's ranking resembles the last one (1: identical).",
        min_diff=0.02,
    ),
    Metric(
        "shock_grades",
        "grades moved by the common shock",
        "Share of departments whose grade differs from the grade they would get if the common "
        "shock (不可抗力) were fully netted out of their indicators",
        "mean_d 1[grade_d ≠ grade_d(m − Δ)]",
        "share",
        "0–1",
        "lower",
        undefined_when="the world has no common shock (world.common_shock = 0)",
        plain="How many grades a year's force majeure decided: 0 when the rule nets the shock "
        "out in full (rule.targets.force_majeure = full).",
        min_diff=0.02,
    ),
    Metric(
        "reward_gini",
        "reward inequality",
        "Gini coefficient of rewards across departments",
        "Σ_ij |x_i − x_j| / (2 n² x̄)",
        "Gini",
        "0–1",
        "lower",
        undefined_when="nobody earns a reward",
        plain="How unequally the rewards are spread over the units (0: equal, 1: one unit gets "
        "everything).",
        min_diff=0.02,
    ),
    Metric(
        "budget_gini",
        "budget concentration",
        "Gini coefficient of the budgets the last grades give for the next year",
        "Σ_ij |B_i − B_j| / (2 n² B̄), ln B_{t+1} = ρ ln B_t + ln f_g",
        "Gini",
        "0–1",
        "none",
        plain="How unequal departments' budgets have become through the budget factors of their "
        "grades (0: equal budgets; it grows when the same units are graded well year after year).",
        min_diff=0.01,
    ),
    Metric(
        "grade_persistence",
        "grade persistence",
        "Share of departments graded the same as in the year before",
        "(1/n) Σ_d 1[g_{d,T} = g_{d,T−1}]",
        "share",
        "0–1",
        "none",
        undefined_when="only one period is simulated",
        plain="How often a unit keeps last year's grade (1: every grade repeats).",
        min_diff=0.02,
    ),
    Metric(
        "evaluation_cost",
        "evaluation cost",
        "cost of the evaluation per period (year): rater groups of the rule (survey respondents x "
        "unit cost, or departments rated x unit cost) + audits x audit cost",
        "Σ_g D n_g c_g + (A / T) · c_audit",
        "cost units per year",
        "",
        "lower",
        plain="What running the evaluation costs a year: survey forms, ratings and spot checks, in "
        "cost units. A rater group whose share in the rule is 0 is not run and costs nothing.",
    ),
    Metric(
        "audit_cost",
        "cost of spot checks",
        "cost of the audits (spot checks) per period (year): audits x audit cost",
        "(A / T) · c_audit",
        "cost units per year",
        "",
        "none",  # a part of evaluation_cost, which carries the verdict
        plain="The part of the yearly evaluation cost spent on spot checks.",
    ),
    Metric(
        "evaluation_cost_total",
        "evaluation cost over all years",
        "cost of the evaluation summed over the simulated periods (years)",
        "T Σ_g D n_g c_g + A · c_audit",
        "cost units",
        "",
        "none",  # evaluation_cost (per year) carries the verdict
        plain="What running the evaluation costs over all simulated years together.",
    ),
    Metric(
        "mean_effort",
        "mean effort",
        "mean real effort per department and task (effort units)",
        "mean_{d,k} e_dk",
        "effort units",
        "",
        "none",
    ),
    Metric(
        "converged_share",
        "best response converged",
        "share of replications whose best-response fixed point converged (residual ≤ tolerance)"
        " in every period",
        "mean_b 1[r_b ≤ tol]",
        "share of replications",
        "0–1",
        "none",  # a numerical diagnostic of the run, not an outcome of the rule
        plain="The share of replications in which the departments' best responses settled down (an"
        " equilibrium was found). Below 1, some results are not an equilibrium.",
    ),
    Metric(
        "iterations_mean",
        "best-response iterations (mean)",
        "mean over replications of the best-response iterations (the most in any period)",
        "mean_b n_b",
        "iterations",
        "",
        "none",
        plain="How many rounds of adjusting to each other the departments needed, on average, before"
        " their choices settled (each round every department answers the others' last choices).",
    ),
    Metric(
        "iterations_max",
        "best-response iterations (most)",
        "most best-response iterations of any replication (se empty: a maximum)",
        "max_b n_b",
        "iterations",
        "",
        "none",
        plain="The most rounds of adjusting any replication needed; at world.max_iterations it did"
        " not settle.",
    ),
    Metric(
        "fixed_point_residual",
        "best-response residual",
        "how far any department still moved its effort or gaming in the last round of"
        " adjusting to the others (max|BR(x) − x|), mean over replications",
        "mean_b max_d |BR(x)_d − x_d|",
        "effort and gaming units",
        "",
        "none",
        plain="How far any department still wanted to move its effort or gaming in the last round;"
        " at most world.tolerance where the choices settled.",
    ),
    Metric(
        "choice_gap",
        "best-response gap",
        "most expected reward any department gives up by keeping the way of gaming it chose"
        " rather than its best one, as a share of the prize range (se empty: a maximum)",
        "max_b max_d (U*_bd − U_bd) / (W_max − W_min)",
        "share of the prize range",
        "0–1",
        "none",
        plain="How far from its best any department's choice is, in expected reward, as a share of"
        " the gap between the best and the worst grade's prize. Near indifference a department"
        " keeps the gaming it chose unless another choice is better by 0.1 % of that range, so"
        " about 0.001 is normal; more means some departments flip between two choices and hold"
        " one that is worse by that much.",
    ),
    Metric(
        "mean_total",
        "mean total score",
        "mean total score (points)",
        "mean_d S_d",
        "score points",
        "",
        "none",
    ),
    Metric(
        "icc2k",
        "agreement between components (ICC)",
        "ICC(2,k) of the rule's components (surveys, targets, leaders …) as if they rated one "
        "quality; they measure different things, so this is not a rater group's reliability",
        "(MSR − MSE) / (MSR + (MSC − MSE) / n)",
        "ICC",
        "≤ 1",
        "none",  # components measure different things: their disagreement is no flaw of the rule
        undefined_when="fewer than two rater components, or no spread between departments",
        plain="Agreement between the rule's components (surveys, targets, leaders) about which "
        "units are good. The components measure different things, so low agreement is "
        "expected and is not a reliability problem of any rater group.",
    ),
    Metric(
        "krippendorff_alpha",
        "agreement between components (Krippendorff's α)",
        "Krippendorff's alpha of the rule's components as if they were raters of one quality; "
        "they measure different things, so a low or negative α is no reliability problem",
        "1 − D_o / D_e",
        "α",
        "≤ 1",
        "none",  # as icc2k
        undefined_when="fewer than two rater components, or no spread between departments",
        plain="Agreement between the rule's components, as Krippendorff's α. The components "
        "measure different things, so a low or negative α is expected and is not a "
        "reliability problem of any rater group.",
    ),
]

METRICS: dict[str, Metric] = {m.name: m for m in _RECORDS}
"""Every metric the engine reports, by name (see :data:`FAMILIES` for the per-component
``effective_weight:<component>`` and per-class ``class_gap:<class>``)."""

EFFECTIVE_WEIGHT = Metric(
    "effective_weight:{component}",
    "effective weight of {component}",
    "effective weight of component {component} (share of score spread)",
    "w_c · sd_d(S_c) / Σ_k w_k · sd_d(S_k)",
    "share of score spread",
    "0–1",
    "none",
    undefined_when="every unit has the same score on every component (no spread to share)",
    plain="How much of the differences between units' total scores comes from component "
    "{component}: a component on which units hardly differ counts for little, whatever its "
    "nominal share.",
    min_diff=0.02,
)
"""Family record of ``effective_weight:<component>`` (``{component}``: :func:`metric_info`)."""

CLASS_GAP = Metric(
    "class_gap:{component}",
    "score gap of {component} at equal true value",
    "score of class {component} minus the average class's at equal true value (score points)",
    "β_c − mean_k β_k of S = β_c + b·V + ε",
    "score points",
    "",
    "none",
    undefined_when="the slope b is not identified (true value constant within every class)",
    plain="How many score points units of class {component} get above (below 0: under) the "
    "average class for the same true performance.",
)
"""Family record of ``class_gap:<class>`` (one per class of the world when it has several; they
sum to 0): which classes ``class_bias`` lies between."""

RATER_RELIABILITY = Metric(
    "rater_reliability:{component}",
    "reliability of rater group {component}",
    "reliability of rater group {component}'s scores across units: between-unit variance / "
    "(between + within-group variance of the group's mean)",
    "B / (B + W)",
    "reliability",
    "0–1",
    "higher",
    undefined_when="the group's scores do not vary at all",
    plain="How far the members of rater group {component} agree on which units are better: the "
    "share of the spread of the group's scores that reflects the units rather than the chance of "
    "who answered (1: a second group of the same kind would score the units the same).",
    min_diff=0.02,
)
"""Family record of ``rater_reliability:<group>`` (one per rater group of the world): rater
agreement *within* a group, where the agreement between the rule's components (``icc2k``,
``krippendorff_alpha``) is no reliability."""

RATER_COST = Metric(
    "rater_cost:{component}",
    "cost of rater group {component}",
    "cost of rater group {component} per period (year): departments x respondents x unit cost "
    "for a survey, departments x unit cost otherwise; 0 when its share in the rule is 0",
    "D n_g c_g · 1[w_g > 0]",
    "cost units per year",
    "",
    "none",  # a part of evaluation_cost, which carries the verdict
    plain="The part of the yearly evaluation cost spent on rater group {component} (nothing when "
    "the rule gives the group no weight).",
)
"""Family record of ``rater_cost:<group>`` (one per rater group of the rule): the parts of
``evaluation_cost`` besides ``audit_cost``."""

FAMILIES = {
    "effective_weight": EFFECTIVE_WEIGHT,
    "rater_cost": RATER_COST,
    "class_gap": CLASS_GAP,
    "rater_reliability": RATER_RELIABILITY,
}
"""Metric families by prefix: ``<prefix>:<member>`` is described by the record, with
``{component}`` filled in by :func:`metric_info`."""

METRIC_DIRECTIONS: dict[str, str] = {n: m.better for n, m in METRICS.items() if m.better}
"""The better direction of each metric that has one (``"higher"`` or ``"lower"``); read from
:data:`METRICS`."""

MAXIMA = frozenset({"iterations_max", "choice_gap"})
"""Metrics summarised by their maximum over replications, not a mean (no standard error; two
rules differ by the difference of their maxima, not by a paired mean)."""

NUMERICAL_DIAGNOSTICS = frozenset(
    {"converged_share", "iterations_mean", "iterations_max", "fixed_point_residual", "choice_gap"}
)
"""Metrics that describe the solver, not the rule's outcome: a sensitivity analysis reports their
indices but does not size its sample by them (their variance is rounding and tolerance noise, so
an index of it converges at no sample size)."""

METRIC_DESCRIPTIONS: dict[str, str] = {n: m.description for n, m in METRICS.items()}


def explain(name: str) -> str:
    """A metric's meaning in plain words (:attr:`Metric.plain`, else its description) or ``""``."""
    m = metric_info(name)
    return (m.plain or m.description) if m else ""


def min_difference(name: str, spread: float = float("nan"), level: float = float("nan")) -> float:
    """Smallest difference of metric ``name`` that matters (:attr:`Metric.min_diff`, or
    :attr:`Metric.min_rel` × ``level``, the reference's value, if smaller), else :data:`SPREAD_SHARE`
    × ``spread`` (its sd across replications); NaN when neither is known."""
    m = metric_info(name)
    if m is not None and m.min_diff is not None:
        fixed = float(m.min_diff)
        if m.min_rel is not None and math.isfinite(level) and level != 0:  # (≥ a fifth of it)
            return min(fixed, max(m.min_rel * abs(level), fixed / 5))
        return fixed
    return SPREAD_SHARE * float(spread)


def may_be_undefined(name: str) -> bool:
    """Whether ``name`` can be NaN (:attr:`Metric.undefined_when`); unknown names can."""
    info = metric_info(name)
    return info is None or bool(info.undefined_when)


def metric_info(name: str) -> Metric | None:
    """The record of a metric, also of a family member (``effective_weight:<component>``,
    ``class_gap:<class>``); None if unknown."""
    prefix, sep, component = name.partition(":")
    if sep and prefix in FAMILIES:
        family = FAMILIES[prefix]
        return replace(
            family,
            name=name,
            label=family.label.format(component=component),
            description=family.description.format(component=component),
            plain=family.plain.format(component=component),
        )
    return METRICS.get(name)


def better(name: str) -> str:
    """``"higher"``, ``"lower"`` or ``""`` (descriptive, or an unknown metric)."""
    m = metric_info(name)
    return m.better if m else ""


def describe(name: str) -> str:
    """One-line description of a metric; ``""`` if unknown."""
    m = metric_info(name)
    return m.description if m else ""


def label(name: str) -> str:
    """Short plain-language name of a metric, for summaries; the name itself if unknown."""
    m = metric_info(name)
    return m.label if m else name


def unit(name: str, default: str = "units") -> str:
    """Unit and scale of a metric for an axis label; ``default`` if unknown."""
    m = metric_info(name)
    return m.axis_label if m else default
