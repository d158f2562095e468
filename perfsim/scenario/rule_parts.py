"""The tables a ``[rule]`` is made of: indicators, weights, components, aggregation, grading,
veto, rewards, audits, targets and pay. :mod:`perfsim.scenario.schema` assembles them into a
:class:`~perfsim.scenario.schema.Rule` and checks them against each other."""

from __future__ import annotations

import contextlib
from fractions import Fraction
from typing import Annotated, Literal

import numpy as np
from pydantic import ConfigDict, Field, field_validator, model_serializer, model_validator

from .errors import LocatedValueError, error
from .names import unknown_name
from .schema_base import Strict, check_language_code

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


class MetaText(Strict):
    """The scenario's texts in another language (``[meta.translations.zh]``): a report in that
    language shows them instead of the texts of ``[meta]`` (what is not given stays as it is)."""

    name: str = Field("", description="meta.name in this language (the rule's name in reports).")
    description: str = Field("", description="meta.description in this language.")
    sources: list[str] = Field(default_factory=list, description="meta.sources in this language.")
    assumptions: list[str] = Field(
        default_factory=list, description="meta.assumptions in this language, in the same order."
    )


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
    translations: dict[str, MetaText] = Field(
        default_factory=dict,
        description="The name, description, sources and assumptions in other languages, by language "
        "code (zh: Chinese), for reports in that language (perfsim report --lang zh). They change "
        "no number and are left out of the scenario's hash.",
    )
    not_simulated: dict[str, str] = Field(
        default_factory=dict,
        description="Why a part of the rule that the simulation does not realise is left out, keyed "
        "by the part's path as the run's warning names it (e.g. \"rule.rewards.*.budget_factor\") "
        "or by one of its keys; a part given here is not warned about, and reports show the reason.",
    )

    @model_validator(mode="after")
    def _reasons(self) -> Meta:
        for lang, text in self.translations.items():
            check_language_code(f"translations.{lang}", lang)
            if text.assumptions and len(text.assumptions) != len(self.assumptions):
                raise LocatedValueError(
                    f"translations.{lang}.assumptions",
                    f"{len(text.assumptions)} items",
                    f"one for each of meta.assumptions ({len(self.assumptions)}), in their order",
                )
        for key, reason in self.not_simulated.items():
            if not reason.strip():
                raise LocatedValueError(
                    f"not_simulated.{key}",
                    reason,
                    "give the reason why this part is left out of the simulation (a sentence)",
                )
        return self


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
            raise LocatedValueError("good", self.good, error("good_is_bad"))
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
        description="Largest share of units (of the group) in a band, e.g. 优秀 = 0.15; the number "
        "of units is the share times the group size, rounded as `rounding` says.",
    )
    quota_count: dict[str, Annotated[int, Field(ge=0, strict=True)]] = Field(
        default_factory=dict,
        description="Largest number of units in a band, e.g. 优秀 = 9 (a whole number, in place of "
        "a share in `quota`; needs scope = global and at most as many as there are units).",
    )
    rounding: Literal["floor", "nearest", "ceil"] = Field(
        "floor",
        description="How a quota share becomes a number of units: floor ⌊q·n⌋ (0.15 of 66 is 9), "
        "nearest (四舍五入, halves round up: 0.15 of 66 is 10, 0.25 of 6 is 2) or ceil ⌈q·n⌉.",
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
            raise LocatedValueError("bands", self.bands, error("bands_distinct"))
        for key in ("quota", "quota_count", "thresholds"):
            for band in getattr(self, key):
                if band not in self.bands:
                    raise LocatedValueError(
                        f"{key}.{band}",
                        getattr(self, key)[band],
                        unknown_name("band", band, self.bands),
                    )
        if sum(self.quota.values()) > 1 + 1e-9:
            raise LocatedValueError("quota", self.quota, error("quota_sum"))
        self._check_counts()
        self._check_open_bands()
        ordered = [(b, self.thresholds[b]) for b in self.bands if b in self.thresholds]
        for (b1, t1), (b2, t2) in zip(ordered, ordered[1:], strict=False):
            if t2 > t1:
                raise LocatedValueError(
                    f"thresholds.{b2}",
                    t2,
                    error("threshold_order", band=b1, threshold=t1),
                )
        return self

    @model_serializer(mode="wrap")
    def _dump(self, handler):
        """Leave out a quota table that was never given, so that a dumped scenario validates
        again as written (an explicitly empty table is an error when it leaves a band open)."""
        data = handler(self)
        if not self.quota and "quota" not in self.model_fields_set:
            data.pop("quota", None)
        return data

    def _check_counts(self) -> None:
        """A band's quota is a share or a count, not both; counts are global only."""
        for band, count in self.quota_count.items():
            if band in self.quota:
                raise LocatedValueError(
                    f"quota_count.{band}",
                    count,
                    f"band {band} has a share too (quota.{band} = {self.quota[band]}); give its "
                    "quota either as a share (quota) or as a number of units (quota_count)",
                )
        if self.quota_count and self.scope == "within_class":
            raise LocatedValueError(
                "quota_count",
                self.quota_count,
                "a number of units is ambiguous when quotas apply within each class (scope = "
                "within_class); give the quota as a share (quota), which applies to each class",
            )

    def _check_open_bands(self) -> None:
        """An explicitly empty quota table that leaves a band above the last with neither a quota
        nor a threshold (so that it takes every unit left) is an error: ``quota = {}`` set by
        ``--set`` would otherwise grade everyone 优秀. A rule that never names quotas is read as
        written."""
        if "quota" not in self.model_fields_set or self.quota or self.quota_count:
            return
        open_bands = [b for b in self.bands[:-1] if b not in self.thresholds]
        if not open_bands:
            return
        band = open_bands[0]
        everyone = "every unit" if band == self.bands[0] else "every unit not in a better band"
        raise LocatedValueError(
            "quota",
            self.quota,
            f"an empty quota table leaves band {band} with neither a quota nor a threshold, so "
            f"{everyone} would be graded {band}; give {band} a quota (a share in quota, or "
            f"quota_count) or a threshold, or say so explicitly with quota.{band} = 1",
        )


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
    force_majeure: Literal["none", "full", "partial", "discretionary"] = Field(
        "none",
        description="不可抗力予以调整: how the common shock (world.common_shock) is netted out of the "
        "assessed indicators, as if the targets moved with it: none; full; partial (the share "
        "`force_majeure_share`); discretionary (in adverse years only, granted to each department "
        "with probability `force_majeure_grant`, raised by lobbying, world.relief_lobbying).",
    )
    force_majeure_share: Share = Field(
        0.5,
        description="Share of the shock's effect netted out by partial and discretionary relief.",
    )
    force_majeure_grant: Share = Field(
        0.5, description="Discretionary relief: chance that a department's claim is granted."
    )


class Pay(Strict):
    per_point: float = Field(
        0.0,
        description="Linear incentive: reward units per point of total score, added to the grade's "
        "bonus (a piece rate; 0 = rewards by grade only).",
    )
