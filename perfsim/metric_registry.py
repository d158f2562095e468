"""One record per outcome metric: name, formula, unit, better direction, labels and description.

This is the only place where a metric's metadata is written. The engine's metrics table
(``metrics.csv``, its ``direction`` column), the comparison verdicts, the CLI summary, the figures'
axis labels and the reports' tables and summaries all read it. It imports nothing from perfsim, so
every layer can use it.

:data:`METRICS` maps a metric name to its :class:`Metric`. A name of the form
``effective_weight:<component>`` (one per component of the rule) is described by the family record
:data:`EFFECTIVE_WEIGHT`, with the component filled in by :func:`metric_info`.

Translations: the English texts here are the message ids of the gettext catalogues in
``perfsim/i18n/locale/`` (:func:`perfsim.i18n.metric_label` and friends); no translation is
written in this module.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

__all__ = [
    "EFFECTIVE_WEIGHT",
    "METRICS",
    "METRIC_DESCRIPTIONS",
    "METRIC_DIRECTIONS",
    "Metric",
    "better",
    "describe",
    "label",
    "may_be_undefined",
    "metric_info",
    "unit",
]

Direction = Literal["higher", "lower", "none"]


@dataclass(frozen=True)
class Metric:
    """Metadata of one metric.

    ``direction`` is ``"higher"`` or ``"lower"`` (the better side) or ``"none"`` for a descriptive
    quantity; ``unit`` is what the number is measured in and ``scale`` its range (``""`` when
    unbounded), together the axis label :attr:`axis_label`; ``label`` is a short plain-language
    name for summaries and ``description`` a one-line meaning for tables; ``undefined_when`` says
    when the metric has no value (e.g. a rank correlation when all true values tie).
    """

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
    ),
    Metric(
        "top_missed",
        "true top units missing the top grade",
        "share of the true top-q departments not graded top",
        "#{d ∈ T : grade_d > top} / |T|",
        "share of top units",
        "0–1",
        "lower",
    ),
    Metric(
        "bottom_missed",
        "true bottom units graded above the bottom",
        "share of the true bottom-q departments graded above the bottom grade",
        "#{d ∈ B : grade_d < bottom} / |B|",
        "share of bottom units",
        "0–1",
        "lower",
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
    ),
    Metric(
        "class_bias",
        "class bias",
        "largest score gap between classes at equal true value (score points)",
        "max_c β_c − min_c β_c of S = β_c + b·V + ε",
        "score points",
        "",
        "lower",
        undefined_when="the rule has one class, or a class has too few departments to fit",
    ),
    Metric(
        "gaming_share",
        "gaming share of effort",
        "gaming effort as a share of all effort, sum g / sum(e + g)",
        "Σ g / Σ (e + g)",
        "share of effort",
        "0–1",
        "lower",
    ),
    Metric(
        "inflation",
        "indicator inflation",
        "mean measured minus true indicator value (indicator units)",
        "mean_{d,j} (m_dj − y_dj)",
        "indicator units",
        "",
        "lower",
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
    ),
    Metric(
        "evaluation_cost",
        "evaluation cost",
        "survey respondents x unit cost + audits x audit cost",
        "Σ_g n_g c_g + A · c_audit",
        "cost units",
        "",
        "lower",
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
    ),
    Metric(
        "iterations_mean",
        "best-response iterations (mean)",
        "mean over replications of the best-response iterations (the most in any period)",
        "mean_b n_b",
        "iterations",
        "",
        "none",
    ),
    Metric(
        "iterations_max",
        "best-response iterations (most)",
        "most best-response iterations of any replication (se empty: a maximum)",
        "max_b n_b",
        "iterations",
        "",
        "none",
    ),
    Metric(
        "fixed_point_residual",
        "best-response residual",
        "mean over replications of the final fixed-point residual max|BR(x) − x|",
        "mean_b max_d |BR(x)_d − x_d|",
        "effort and gaming units",
        "",
        "none",
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
        "rater reliability (ICC)",
        "ICC(2,k): reliability of the mean rating, two-way random raters",
        "(MSR − MSE) / (MSR + (MSC − MSE) / n)",
        "ICC",
        "≤ 1",
        "higher",
        undefined_when="fewer than two rater components, or no spread between departments",
    ),
    Metric(
        "krippendorff_alpha",
        "rater agreement (Krippendorff's α)",
        "Krippendorff's alpha across rater groups",
        "1 − D_o / D_e",
        "α",
        "≤ 1",
        "higher",
        undefined_when="fewer than two rater components, or no spread between departments",
    ),
]

METRICS: dict[str, Metric] = {m.name: m for m in _RECORDS}
"""Every metric the engine reports, by name (see :data:`EFFECTIVE_WEIGHT` for the per-component
``effective_weight:<component>``)."""

EFFECTIVE_WEIGHT = Metric(
    "effective_weight:{component}",
    "effective weight of {component}",
    "effective weight of component {component} (share of score spread)",
    "w_c · sd_d(S_c) / Σ_k w_k · sd_d(S_k)",
    "share of score spread",
    "0–1",
    "none",
)
"""Family record of ``effective_weight:<component>``; ``{component}`` is filled in by
:func:`metric_info`."""

METRIC_DIRECTIONS: dict[str, str] = {n: m.better for n, m in METRICS.items() if m.better}
"""The better direction of each metric that has one (``"higher"`` or ``"lower"``); read from
:data:`METRICS`."""

METRIC_DESCRIPTIONS: dict[str, str] = {n: m.description for n, m in METRICS.items()}
"""One-line description of each metric; read from :data:`METRICS`."""


def may_be_undefined(name: str) -> bool:
    """Whether ``name`` can legitimately be NaN (see :attr:`Metric.undefined_when`); unknown
    names can."""
    info = metric_info(name)
    return info is None or bool(info.undefined_when)


def metric_info(name: str) -> Metric | None:
    """The record of a metric, also of ``effective_weight:<component>``; None if unknown."""
    if name.startswith("effective_weight:"):
        component = name.split(":", 1)[1]
        family = EFFECTIVE_WEIGHT
        return replace(
            family,
            name=name,
            label=family.label.format(component=component),
            description=family.description.format(component=component),
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
