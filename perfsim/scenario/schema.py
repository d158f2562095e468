"""The scenario language: typed, validated objects for the ``[meta]``, ``[rule]`` and ``[world]`` parts.

Every field carries a description (unit, range, meaning); ``scenarios/README.md`` documents the same
keys. Cross-field checks raise :class:`LocatedValueError` so that the loader can name the exact key.
"""

from __future__ import annotations

import contextlib
import difflib
from fractions import Fraction
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import ConfigDict, Field, PrivateAttr, field_validator, model_validator

from ..ahp import ahp
from .errors import LocatedValueError
from .paths import RESERVED_WEIGHT_KEYS, split_path
from .schema_base import Strict
from .world import World

NormalizeMethod = Literal["efficacy", "minmax", "zscore", "percentile", "target", "linear"]
WeightMethod = Literal["fixed", "equal", "entropy", "critic", "ahp"]
IndicatorAggregation = Literal["weighted_sum", "topsis", "borda"]
ComponentAggregation = Literal["weighted_sum", "borda"]
Scope = Literal["global", "within_class"]

NonNegative = Annotated[float, Field(ge=0)]
Share = Annotated[float, Field(ge=0, le=1)]

#: Default (base, span) of each normalisation method: score = base + span * (unit score).
NORMALIZE_DEFAULTS: dict[str, tuple[float, float]] = {
    "efficacy": (60.0, 40.0),
    "minmax": (0.0, 100.0),
    "zscore": (50.0, 10.0),
    "percentile": (0.0, 100.0),
    "target": (0.0, 100.0),
    "linear": (0.0, 1.0),
}

#: The implicit component of a rule that declares none: every indicator feeds it, share 1.
DEFAULT_COMPONENT = "综合"


class Meta(Strict):
    name: str = Field("", description="Short name of the scenario, shown in tables and reports.")
    description: str = Field("", description="What the scenario represents, in words.")
    sources: list[str] = Field(
        default_factory=list, description="Documents the scenario is taken from (citations)."
    )
    assumptions: list[str] = Field(
        default_factory=list,
        description="Choices that are assumptions rather than documented facts (listed in reports).",
    )


class NormalizeDefaults(Strict):
    method: NormalizeMethod = Field(
        "efficacy",
        description="Default normalisation of indicators: efficacy (功效系数法), minmax, zscore, "
        "percentile, target (attainment of a target) or linear (base + span·(x − target), points "
        "per unit; target 0 when not given).",
    )
    scope: Scope = Field(
        "global",
        description="Take group statistics (min, max, mean) over all departments or within each class.",
    )
    clip: bool = Field(False, description="Efficacy: clip scores to [base, base + span].")


class Indicator(Strict):
    label: str = Field("", description="Readable name (e.g. an English translation).")
    component: str | None = Field(
        None,
        description="The rater component (e.g. 目标考核) that this indicator feeds; may be omitted "
        "when the rule has a single indicator-based component.",
    )
    direction: Literal["benefit", "cost"] = Field(
        "benefit", description="benefit: higher is better; cost: lower is better."
    )
    normalize: NormalizeMethod | None = Field(
        None, description="Normalisation method of this indicator (default: rule.normalize.method)."
    )
    base: float | None = Field(
        None, description="Score at the bad end (efficacy default 60, minmax 0, zscore 50)."
    )
    span: float | None = Field(
        None, description="Score range above base (efficacy default 40, minmax 100, zscore 10)."
    )
    bad: float | None = Field(
        None,
        description="Efficacy: not-allowed value (不允许值), indicator units; default: group worst.",
    )
    good: float | None = Field(
        None,
        description="Efficacy: satisfactory value (满意值), indicator units; default: group best.",
    )
    target: float | None = Field(
        None,
        description="Target value, indicator units: target attainment divides by it (must be > 0); "
        "linear scores the gap x − target. In simulations it is the initial target (ratchet).",
    )
    target_column: str | None = Field(
        None, description="Target attainment: data column holding each department's target."
    )
    cap: float | None = Field(
        None, gt=0, description="Target attainment: cap on the attainment ratio (e.g. 1.2)."
    )
    gameable: bool = Field(
        True,
        description="Whether the indicator can be inflated without real work (used by the world).",
    )

    @model_validator(mode="after")
    def _check(self) -> Indicator:
        if self.bad is not None and self.good is not None and self.bad == self.good:
            raise LocatedValueError(
                "good", self.good, "must differ from bad (the not-allowed value)"
            )
        if self.bad is not None and self.good is not None:
            if self.direction == "benefit" and self.good < self.bad:
                raise LocatedValueError(
                    "good", self.good, f"a benefit indicator needs good > bad (= {self.bad})"
                )
            if self.direction == "cost" and self.good > self.bad:
                raise LocatedValueError(
                    "good", self.good, f"a cost indicator needs good < bad (= {self.bad})"
                )
        if self.span is not None and self.span <= 0:
            raise LocatedValueError("span", self.span, "must be > 0")
        return self


def _parse_judgement(value: object) -> float:
    if isinstance(value, bool):
        raise ValueError("a judgement must be a number such as 3 or a fraction such as '1/3'")
    if isinstance(value, int | float):
        if not np.isfinite(value):
            raise ValueError("a judgement must be a finite number")
        return float(value)
    if isinstance(value, str):
        with contextlib.suppress(ValueError, ZeroDivisionError):
            return float(Fraction(value.strip()))
    raise ValueError(f"{value!r} is not a number or a fraction such as '1/3'")


class Weights(Strict):
    """Indicator weights: reserved keys plus one ``<indicator> = weight`` entry per indicator."""

    model_config = ConfigDict(extra="allow", frozen=True)

    method: WeightMethod = Field(
        "fixed",
        description="fixed (the values given here), equal, entropy (熵权法), critic (CRITIC) or ahp "
        "(层次分析法, from `pairwise`). Data-driven methods are computed within each component.",
    )
    by_class: dict[str, dict[str, NonNegative]] = Field(
        default_factory=dict,
        description="差别权重: per-class weights, {class = {indicator = weight}}; unnamed indicators "
        "keep the common weight.",
    )
    pairwise: list[list[float]] | None = Field(
        None,
        description="AHP pairwise comparison matrix in the order of [rule.indicators]; entries are "
        "numbers or fractions such as '1/3'.",
    )
    allow_inconsistent: bool = Field(
        False, description="AHP: accept a pairwise matrix with consistency ratio CR > 0.1."
    )

    @field_validator("pairwise", mode="before")
    @classmethod
    def _fractions(cls, value: object) -> object:
        if isinstance(value, list):
            return [
                [_parse_judgement(v) for v in row] if isinstance(row, list) else row
                for row in value
            ]
        return value

    @model_validator(mode="after")
    def _check_values(self) -> Weights:
        for name, value in (self.model_extra or {}).items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise LocatedValueError(
                    name, value, "a weight must be a number ≥ 0 (weights are rescaled to sum to 1)"
                )
            if not np.isfinite(value):
                raise LocatedValueError(name, value, "a weight must be a finite number ≥ 0")
            if value < 0:
                raise LocatedValueError(
                    name, value, "weights must be ≥ 0 (and are rescaled to sum to 1)"
                )
        return self

    @property
    def values(self) -> dict[str, float]:
        """The fixed weights given per indicator (the non-reserved keys)."""
        return {k: float(v) for k, v in (self.model_extra or {}).items()}


class Component(Strict):
    share: NonNegative = Field(
        description="Share of this component in the total (rater mix); shares are rescaled to sum to 1."
    )
    label: str = Field("", description="Readable name.")
    source: Literal["indicators", "column"] | None = Field(
        None,
        description="indicators: computed from the indicators that name this component; column: "
        "read from a data column (or, in simulations, from the rater groups). Default: indicators "
        "if any indicator names the component, else column.",
    )
    column: str | None = Field(
        None, description="Data column of a column component (default: the component's name)."
    )
    full_marks: float = Field(
        100.0,
        gt=0,
        description="Points that a column's values are out of; they are rescaled to 0-100.",
    )
    aggregate: IndicatorAggregation | None = Field(
        None, description="How this component combines its indicators (default: rule.aggregate)."
    )


class Aggregate(Strict):
    indicators: IndicatorAggregation = Field(
        "weighted_sum",
        description="How normalised indicators combine within a component: weighted_sum, topsis "
        "(closeness × 100, on raw values) or borda (rank sum, 0-100).",
    )
    components: ComponentAggregation = Field(
        "weighted_sum",
        description="How component scores combine into the total: weighted_sum (rater-mix shares) or "
        "borda (share-weighted rank sum, 0-100).",
    )


class Adjustment(Strict):
    kind: Literal["bonus", "deduction"] = Field(
        description="bonus (加分, e.g. 创新创优) adds points; deduction (减分) subtracts them."
    )
    column: str | None = Field(None, description="Data column with the points (default: the name).")
    cap: float | None = Field(None, ge=0, description="Most points this item can add or subtract.")
    label: str = Field("", description="Readable name.")


class Grading(Strict):
    bands: list[str] = Field(
        default_factory=lambda: ["优秀", "良好", "合格", "不合格"],
        min_length=1,
        description="Grade bands (等次), best first.",
    )
    quota: dict[str, Share] = Field(
        default_factory=dict,
        description="Largest share of units (of the group) in a band, e.g. 优秀 = 0.15.",
    )
    thresholds: dict[str, float] = Field(
        default_factory=dict,
        description="Smallest total score (points) for a band, e.g. 合格 = 82.",
    )
    scope: Scope = Field(
        "global",
        description="Rank and apply quotas over all units or within each class (分类考评).",
    )
    ties: Literal["exclude", "include"] = Field(
        "exclude",
        description="Tied scores at a quota cutoff: exclude (the whole tied block goes to the lower "
        "band; quotas always hold) or include (it goes to the upper band; a quota may be exceeded).",
    )

    @model_validator(mode="after")
    def _check(self) -> Grading:
        if len(set(self.bands)) != len(self.bands):
            raise LocatedValueError("bands", self.bands, "band names must be distinct")
        for key in ("quota", "thresholds"):
            for band in getattr(self, key):
                if band not in self.bands:
                    raise LocatedValueError(
                        f"{key}.{band}",
                        getattr(self, key)[band],
                        _unknown("band", band, self.bands),
                    )
        if sum(self.quota.values()) > 1 + 1e-9:
            raise LocatedValueError("quota", self.quota, "quotas must sum to at most 1")
        ordered = [(b, self.thresholds[b]) for b in self.bands if b in self.thresholds]
        for (b1, t1), (b2, t2) in zip(ordered, ordered[1:], strict=False):
            if t2 > t1:
                raise LocatedValueError(
                    f"thresholds.{b2}",
                    t2,
                    f"must not exceed the better band's threshold ({b1} = {t1})",
                )
        return self


class Veto(Strict):
    columns: list[str] = Field(
        default_factory=list,
        description="一票否决: data columns (true/false or 1/0); a true value sets the grade to "
        "`grade`. A vetoed unit keeps its rank by score but takes no quota slot.",
    )
    grade: str | None = Field(None, description="The grade a veto gives (default: the worst band).")


class Reward(Strict):
    bonus: float = Field(0.0, description="Payoff of the grade (bonus, in reward units).")
    budget_factor: float = Field(
        1.0, ge=0, description="Budget multiplier (预算绩效), 1 = unchanged."
    )
    promotion_weight: float = Field(
        0.0, ge=0, description="Weight in leaders' promotion decisions."
    )


class Audit(Strict):
    probability: Share = Field(
        0.0, description="定期抽查: chance that a department is audited in a period (0-1)."
    )
    detection_rate: float | None = Field(
        None,
        ge=0,
        description="When audited, a department's gaming effort G (summed over its indicators) is "
        "detected with probability 1 − exp(−rate·G); omitted: any gaming is found when audited.",
    )
    fine_per_unit: NonNegative = Field(
        0.0, description="Sanction per unit of detected gaming (reward units)."
    )
    penalty: NonNegative = Field(0.0, description="Fixed sanction on detection (reward units).")
    veto: bool = Field(False, description="Detected gaming triggers the one-vote veto (一票否决).")
    cost: NonNegative = Field(0.0, description="Evaluation cost of one audit (cost units).")


class Targets(Strict):
    mode: Literal["fixed", "ratchet"] = Field(
        "fixed",
        description="fixed targets, or ratchet: after each period a department's target moves "
        "`ratchet` of the way to its measured value (targets rise after a good year).",
    )
    ratchet: Share = Field(0.5, description="Ratchet speed λ in T_{t+1} = T_t + λ(m_t − T_t).")


class Pay(Strict):
    per_point: float = Field(
        0.0,
        description="Linear incentive: reward units per point of total score, added to the grade's "
        "bonus (a piece rate; 0 = rewards by grade only).",
    )


class Rule(Strict):
    """The evaluation regime being designed."""

    name: str = Field("", description="Name of the rule (defaults to meta.name).")
    classes: list[str] = Field(
        default_factory=list, description="Department classes (分类), e.g. 综合管理类, 执法监管类."
    )
    indicators: dict[str, Indicator] = Field(
        default_factory=dict, description="Indicators, by name (data column names)."
    )
    normalize: NormalizeDefaults = Field(default_factory=NormalizeDefaults)
    weights: Weights = Field(default_factory=Weights)
    components: dict[str, Component] = Field(
        default_factory=dict,
        description="Rater components and their shares (the rater mix), e.g. 目标考核 / 社会评价 / "
        "领导考评. Omitted: one component 综合 holding every indicator.",
    )
    aggregate: Aggregate = Field(default_factory=Aggregate)
    adjustments: dict[str, Adjustment] = Field(
        default_factory=dict, description="Bonus and deduction items (加减分), by name."
    )
    net_adjustment_cap: float | None = Field(
        None, ge=0, description="Bound on the absolute net bonus/deduction points."
    )
    grading: Grading = Field(default_factory=Grading)
    veto: Veto = Field(default_factory=Veto)
    rewards: dict[str, Reward] = Field(
        default_factory=dict, description="Payoff per grade band; bands not named get zero bonus."
    )
    pay: Pay = Field(default_factory=Pay)
    audit: Audit = Field(default_factory=Audit)
    targets: Targets = Field(default_factory=Targets)

    @model_validator(mode="after")
    def _check(self) -> Rule:
        if len(set(self.classes)) != len(self.classes):
            raise LocatedValueError("classes", self.classes, "class names must be distinct")
        components = self.resolved_components()
        if not components:
            raise LocatedValueError(
                "components", {}, "a rule needs at least one indicator or one component", False
            )
        if sum(c.share for c in components.values()) <= 0:
            raise LocatedValueError(
                "components",
                {k: c.share for k, c in components.items()},
                "at least one component share must be > 0",
            )
        indicator_components = [n for n, c in components.items() if c.source == "indicators"]
        for name, ind in self.indicators.items():
            comp = self.component_of(name)
            if comp is None:
                raise LocatedValueError(
                    f"indicators.{name}.component",
                    ind.component,
                    "required when the rule has several components; allowed: "
                    + ", ".join(indicator_components or list(components)),
                    has_value=False,
                )
            if comp not in components:
                raise LocatedValueError(
                    f"indicators.{name}.component", comp, _unknown("component", comp, components)
                )
            if components[comp].source == "column":
                raise LocatedValueError(
                    f"indicators.{name}.component",
                    comp,
                    f"component {comp} has source = 'column' and cannot hold indicators",
                )
            method = ind.normalize or self.normalize.method
            if method == "target" and ind.target is not None and ind.target <= 0:
                raise LocatedValueError(
                    f"indicators.{name}.target", ind.target, "must be > 0 (attainment = x / target)"
                )
            if method == "target":
                if ind.target is None and ind.target_column is None:
                    raise LocatedValueError(
                        f"indicators.{name}",
                        name,
                        "target normalisation needs `target` or `target_column`",
                        False,
                    )
                if ind.direction == "cost" and ind.cap is None:
                    raise LocatedValueError(
                        f"indicators.{name}.cap",
                        None,
                        "a cost indicator normalised by target attainment needs a cap",
                        False,
                    )
        for comp_name in indicator_components:
            if not any(self.component_of(i) == comp_name for i in self.indicators):
                raise LocatedValueError(
                    f"components.{comp_name}.source",
                    "indicators",
                    "no indicator names this component",
                )
        self._check_weights()
        needs_classes = {
            "grading.scope": self.grading.scope == "within_class",
            "normalize.scope": self.normalize.scope == "within_class",
            "weights.by_class": bool(self.weights.by_class),
        }
        for path, needed in needs_classes.items():
            if needed and not self.classes:
                raise LocatedValueError(
                    path,
                    "within_class" if "scope" in path else "...",
                    "needs rule.classes to list the department classes",
                )
        bands = self.grading.bands
        if self.veto.grade is not None and self.veto.grade not in bands:
            raise LocatedValueError(
                "veto.grade", self.veto.grade, _unknown("band", self.veto.grade, bands)
            )
        for band in self.rewards:
            if band not in bands:
                raise LocatedValueError(
                    f"rewards.{band}", band, _unknown("band", band, bands), False
                )
        return self

    def _check_weights(self) -> None:
        names = list(self.indicators)
        for name in self.weights.values:
            if name not in self.indicators:
                raise LocatedValueError(
                    f"weights.{name}",
                    self.weights.values[name],
                    _unknown("indicator", name, names + sorted(RESERVED_WEIGHT_KEYS)),
                )
        given = self.weights.values
        method = self.weights.method
        if given and method != "fixed":
            raise LocatedValueError(
                "weights.method",
                method,
                f"weights are given per indicator ({', '.join(given)}) but method = {method!r} "
                "ignores them; use method = 'fixed' or remove the weights",
            )
        if self.weights.by_class and method in ("entropy", "critic"):
            raise LocatedValueError(
                "weights.by_class",
                "...",
                f"method = {method!r} computes weights from the data and "
                "cannot use per-class weights",
                has_value=False,
            )
        if given and len(given) < len(names):
            missing = [n for n in names if n not in given]
            raise LocatedValueError(
                "weights",
                dict(given),
                f"give a weight to every indicator or to none (equal "
                f"weights); missing: {', '.join(missing)}",
                has_value=False,
            )
        for cls, table in self.weights.by_class.items():
            if cls not in self.classes:
                raise LocatedValueError(
                    f"weights.by_class.{cls}", cls, _unknown("class", cls, self.classes), False
                )
            for name, value in table.items():
                if name not in self.indicators:
                    raise LocatedValueError(
                        f"weights.by_class.{cls}.{name}", value, _unknown("indicator", name, names)
                    )
            missing = [n for n in names if n not in table]
            if missing:
                raise LocatedValueError(
                    f"weights.by_class.{cls}",
                    dict(table),
                    "a class weight table must give every "
                    f"indicator a weight; missing: {', '.join(missing)}",
                    has_value=False,
                )
        if self.weights.method == "ahp":
            matrix = self.weights.pairwise
            n = len(names)
            if matrix is None:
                raise LocatedValueError(
                    "weights.pairwise", None, "method = 'ahp' needs a pairwise matrix", False
                )
            if len(matrix) != n or any(len(row) != n for row in matrix):
                raise LocatedValueError(
                    "weights.pairwise",
                    matrix,
                    f"must be a {n}×{n} matrix (one row and column per indicator: {', '.join(names)})",
                )

            try:
                ahp(
                    np.array(matrix, dtype=float),
                    allow_inconsistent=self.weights.allow_inconsistent,
                )
            except ValueError as exc:
                raise LocatedValueError("weights.pairwise", matrix, str(exc)) from None
        if self.weights.method == "fixed":
            for comp in self.resolved_components():
                members = [i for i in names if self.component_of(i) == comp]
                if members and sum(self.weights.values.get(i, 1.0) for i in members) <= 0:
                    raise LocatedValueError(
                        "weights",
                        {i: self.weights.values.get(i, 1.0) for i in members},
                        f"the weights of component {comp} are all zero",
                    )

    def resolved_components(self) -> dict[str, Component]:
        """Components with `source` filled in (the implicit 综合 when none are declared)."""
        if not self.components:
            if not self.indicators:
                return {}
            return {DEFAULT_COMPONENT: Component(share=1.0, source="indicators")}
        fed = {self.component_of(i) for i in self.indicators}
        return {
            name: comp
            if comp.source
            else comp.model_copy(update={"source": "indicators" if name in fed else "column"})
            for name, comp in self.components.items()
        }

    def component_of(self, indicator: str) -> str | None:
        """The component an indicator feeds: its own `component`, else the only candidate (or None)."""
        ind = self.indicators[indicator]
        if ind.component is not None:
            return ind.component
        if not self.components:
            return DEFAULT_COMPONENT
        candidates = [n for n, c in self.components.items() if c.source != "column"]
        return candidates[0] if len(candidates) == 1 else None


Distribution = Literal["uniform", "normal", "lognormal", "triangular"]

#: The parameters (besides `range`) that each distribution of an uncertain input takes.
DISTRIBUTION_PARAMETERS: dict[str, tuple[str, ...]] = {
    "uniform": (),
    "normal": ("mean", "sd"),
    "lognormal": ("log_mean", "log_sd"),
    "triangular": ("mode",),
}


class UncertainInput(Strict):
    """One uncertain input of a sensitivity analysis (``[uncertain."<dotted path>"]``)."""

    name: str = Field(
        "", description="Short name in tables and figures (default: the dotted path)."
    )
    range: list[float] | None = Field(
        None,
        description="[low, high]: the range of a uniform input (range alone means uniform), the "
        "ends of a triangular one, the truncation of a normal or lognormal one.",
    )
    distribution: Distribution | None = Field(
        None,
        description="uniform (range), normal (mean, sd), lognormal (log_mean, log_sd: ln x is "
        "normal) or triangular (range, mode).",
    )
    mean: float | None = Field(None, description="Normal: mean, in the unit of the key.")
    sd: float | None = Field(None, gt=0, description="Normal: standard deviation (> 0).")
    log_mean: float | None = Field(None, description="Lognormal: mean of ln x.")
    log_sd: float | None = Field(None, gt=0, description="Lognormal: standard deviation of ln x.")
    mode: float | None = Field(None, description="Triangular: the most likely value.")
    integer: bool = Field(
        False, description="Round sampled values to whole numbers (e.g. survey respondents)."
    )
    choices: list[Any] | None = Field(
        None,
        description='Categorical input: the values it takes (TOML values, e.g. ["efficacy", '
        '"zscore"]), each with probability 1/k.',
    )
    group: str | None = Field(
        None, description="SALib group: inputs of one group get one joint index (Sobol, Morris)."
    )

    @model_validator(mode="after")
    def _check(self) -> UncertainInput:
        params = {k: getattr(self, k) for k in ("mean", "sd", "log_mean", "log_sd", "mode")}
        given = [k for k, v in params.items() if v is not None]
        if self.choices is not None:
            extra = given + [k for k in ("range", "distribution") if getattr(self, k) is not None]
            if extra or self.integer:
                key = extra[0] if extra else "integer"
                raise LocatedValueError(
                    key,
                    getattr(self, key),
                    "a categorical input (choices) takes no range, distribution or parameters",
                )
            if len(self.choices) < 2:
                raise LocatedValueError("choices", self.choices, "give at least two choices")
            seen = [repr(c) for c in self.choices]
            if len(set(seen)) < len(seen):
                raise LocatedValueError("choices", self.choices, "choices must be distinct")
            return self
        dist = self.distribution or ("uniform" if self.range is not None else None)
        if dist is None:
            raise LocatedValueError(
                "",
                None,
                "give range = [low, high], a distribution with its parameters, or choices = [...]",
                has_value=False,
            )
        for key in given:
            if key not in DISTRIBUTION_PARAMETERS[dist]:
                owner = next(d for d, ps in DISTRIBUTION_PARAMETERS.items() if key in ps)
                raise LocatedValueError(
                    key, params[key], f"a parameter of distribution = {owner!r}, not {dist!r}"
                )
        missing = [k for k in DISTRIBUTION_PARAMETERS[dist] if params[k] is None]
        if missing:
            raise LocatedValueError(
                missing[0], None, f"distribution = {dist!r} needs {' and '.join(missing)}", False
            )
        if self.range is None and dist in ("uniform", "triangular"):
            raise LocatedValueError(
                "range", None, f"distribution = {dist!r} needs range = [low, high]", False
            )
        if self.range is not None:
            low_high = self.range
            if len(low_high) != 2 or not low_high[0] < low_high[1]:
                raise LocatedValueError(
                    "range", low_high, "must be [low, high] with low < high (two numbers)"
                )
            if dist == "lognormal" and low_high[0] < 0:
                raise LocatedValueError(
                    "range", low_high, "a lognormal input is positive: the low end must be ≥ 0"
                )
            if dist == "triangular" and not low_high[0] <= self.mode <= low_high[1]:
                raise LocatedValueError("mode", self.mode, f"must lie in the range {low_high}")
        return self


def check_uncertain_paths(
    table: dict[str, UncertainInput] | None,
) -> dict[str, UncertainInput] | None:
    """Every key of ``[uncertain]`` is a dotted path into the rule or the world; names are unique."""
    names: dict[str, str] = {}
    for path, spec in (table or {}).items():
        segments = split_path(path)
        if segments[0] not in ("rule", "world") or len(segments) < 2 or not all(segments):
            raise LocatedValueError(
                path,
                path,
                "an uncertain input is a dotted path into the rule or the world, e.g. "
                "rule.audit.probability or world.indicators.output.noise",
                False,
            )
        name = spec.name or path
        if name in names:
            raise LocatedValueError(f"{path}.name", name, f"the name is taken by {names[name]}")
        names[name] = path
    return table


class Scenario(Strict):
    meta: Meta = Field(default_factory=Meta)
    rule: Rule
    world: World | None = None
    uncertain: dict[str, UncertainInput] | None = Field(
        None,
        description="Uncertain inputs of a sensitivity analysis (perfsim sensitivity), keyed by "
        'dotted path, e.g. [uncertain."rule.audit.probability"]; ignored by other commands.',
    )
    _source: str = PrivateAttr("<dict>")
    _raw: dict | None = PrivateAttr(None)

    @property
    def name(self) -> str:
        return self.rule.name or self.meta.name

    @field_validator("uncertain")
    @classmethod
    def _check_uncertain(
        cls, table: dict[str, UncertainInput] | None
    ) -> dict[str, UncertainInput] | None:
        return check_uncertain_paths(table)

    @model_validator(mode="after")
    def _check_world(self) -> Scenario:
        world, rule = self.world, self.rule
        if world is None:
            return self
        columns = [n for n, c in rule.resolved_components().items() if c.source == "column"]
        _match(
            rule.indicators,
            world.indicators,
            "world.indicators",
            "indicator",
            'rule indicator {name!r} needs a measurement model [world.indicators."{name}"]',
        )
        _match(
            columns,
            world.raters,
            "world.raters",
            "column component",
            'column component {name!r} needs a rater group [world.raters."{name}"]',
        )
        if rule.classes:
            _match(
                rule.classes,
                world.classes,
                "world.classes",
                "class",
                'rule class {name!r} needs [world.classes."{name}"]',
            )
        tasks = list(world.tasks)
        cost = np.array(
            [
                [
                    world.tasks[a].cost
                    if a == b
                    else max(
                        world.tasks[a].substitutes.get(b, 0.0),
                        world.tasks[b].substitutes.get(a, 0.0),
                    )
                    for b in tasks
                ]
                for a in tasks
            ]
        )
        if np.linalg.eigvalsh(cost).min() <= 0:
            raise LocatedValueError(
                "world.tasks",
                {t: world.tasks[t].substitutes for t in tasks},
                "the effort cost matrix (cost on the diagonal, substitutes off it) must be positive "
                "definite: make the substitutes smaller than the costs",
            )
        if (
            rule.aggregate.components != "weighted_sum"
            or any(c.aggregate not in (None, "weighted_sum") for c in rule.components.values())
            or rule.aggregate.indicators != "weighted_sum"
        ):
            if world.policy != "naive":
                raise LocatedValueError(
                    "world.policy",
                    world.policy,
                    "responding departments need weighted-sum aggregation (TOPSIS and Borda rules "
                    "can be simulated with policy = 'naive')",
                )
        return self


def _match(needed, given, path: str, kind: str, missing: str) -> None:
    """Every name the rule uses has a world entry at ``path``, and every entry there is used."""
    needed, given = list(needed), list(given)
    for name in needed:
        if name not in given:
            raise LocatedValueError(path, given, missing.format(name=name), has_value=False)
    for name in given:
        if name not in needed:
            raise LocatedValueError(f"{path}.{name}", name, _unknown(kind, name, needed), False)


def _unknown(kind: str, name: str, allowed) -> str:
    allowed = [str(a) for a in allowed]
    if not allowed:
        return f"no {kind} of that name (none is declared)"
    close = difflib.get_close_matches(str(name), allowed, n=1, cutoff=0.5)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"no {kind} of that name{hint}; allowed: {', '.join(allowed)}"
