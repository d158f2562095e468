"""The scenario language: typed, validated objects for the ``[meta]``, ``[rule]`` and ``[world]`` parts.

Every field carries a description (unit, range, meaning); ``scenarios/README.md`` documents the same
keys. Cross-field checks raise :class:`LocatedValueError` so that the loader can name the exact key.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field, PrivateAttr, field_validator, model_validator

from ..ahp import ahp
from .errors import LocatedValueError, error
from .names import check_names, no_blank_names, unknown_name
from .paths import RESERVED_WEIGHT_KEYS
from .rule_parts import (
    DEFAULT_COMPONENT,
    Adjustment,
    Aggregate,
    Audit,
    Component,
    Grading,
    Indicator,
    Meta,
    NormalizeDefaults,
    Pay,
    Reward,
    Targets,
    Veto,
    Weights,
)
from .scales import groups, mixed_scale
from .schema_base import Strict
from .uncertain import UncertainInput, check_uncertain_paths
from .world import World


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

    @model_validator(mode="before")
    @classmethod
    def _names(cls, data):
        named = ("indicators", "components", "classes", "adjustments", "rewards", "grading.bands")
        return no_blank_names(data, named)

    @model_validator(mode="after")
    def _check(self) -> Rule:
        """Cross-field checks of the rule, in order: the first that fails raises."""
        components = self._check_components()
        indicator_components = [n for n, c in components.items() if c.source == "indicators"]
        for name, ind in self.indicators.items():
            self._check_indicator_component(name, ind, components, indicator_components)
            self._check_indicator_target(name, ind)
        for comp_name in indicator_components:
            if not any(self.component_of(i) == comp_name for i in self.indicators):
                raise LocatedValueError(
                    f"components.{comp_name}.source",
                    "indicators",
                    "no indicator names this component",
                )
        self._check_weights()
        self._check_scales()
        self._check_classes_given()
        self._check_bands()
        return self

    def _check_scales(self) -> None:
        """No group rescaled to sum to 1 mixes a percentage with fractions (:mod:`.scales`)."""
        for key, values in groups(self).items():
            found = mixed_scale(values)
            if found is not None:
                name, value, message = found
                path = key.removeprefix("rule.").split(" (")[0].replace("*", name)
                path = path if "*" in key else f"{path}.{name}"
                raise LocatedValueError(path, value, message)

    def _check_components(self) -> dict[str, Component]:
        """Distinct classes, at least one component and a positive total share."""
        if len(set(self.classes)) != len(self.classes):
            raise LocatedValueError("classes", self.classes, error("classes_distinct"))
        components = self.resolved_components()
        if not components:
            raise LocatedValueError("components", {}, error("rule_empty"), False)
        if sum(c.share for c in components.values()) <= 0:
            raise LocatedValueError(
                "components",
                {k: c.share for k, c in components.items()},
                "at least one component share must be > 0",
            )
        return components

    def _check_indicator_component(
        self,
        name: str,
        ind: Indicator,
        components: dict[str, Component],
        indicator_components: list[str],
    ) -> None:
        """The indicator's component is named (if needed), known and holds indicators."""
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
                f"indicators.{name}.component",
                comp,
                unknown_name("component", comp, components),
            )
        if components[comp].source == "column":
            raise LocatedValueError(
                f"indicators.{name}.component",
                comp,
                f"component {comp} has source = 'column' and cannot hold indicators",
            )

    def _check_indicator_target(self, name: str, ind: Indicator) -> None:
        """Target normalisation has a positive target (or a target column) and caps costs."""
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

    def _check_classes_given(self) -> None:
        """Settings that work within classes need rule.classes."""
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

    def _check_bands(self) -> None:
        """The veto grade and the reward bands are grading bands."""
        bands = self.grading.bands
        if self.veto.grade is not None and self.veto.grade not in bands:
            raise LocatedValueError(
                "veto.grade", self.veto.grade, unknown_name("band", self.veto.grade, bands)
            )
        for band in self.rewards:
            if band not in bands:
                raise LocatedValueError(
                    f"rewards.{band}", band, unknown_name("band", band, bands), False
                )

    def _check_weights(self) -> None:
        """The weights: per indicator, per class, the AHP matrix, no all-zero component."""
        self._check_indicator_weights()
        self._check_class_weights()
        if self.weights.method == "ahp":
            self._check_pairwise()
        if self.weights.method == "fixed":
            self._check_component_weights()

    def _check_indicator_weights(self) -> None:
        """Per-indicator weights: known indicators, only with method 'fixed', all or none."""
        names = list(self.indicators)
        for name in self.weights.values:
            if name not in self.indicators:
                raise LocatedValueError(
                    f"weights.{name}",
                    self.weights.values[name],
                    unknown_name("indicator", name, names + sorted(RESERVED_WEIGHT_KEYS)),
                )
        given = self.weights.values
        method = self.weights.method
        if given and method != "fixed":
            raise LocatedValueError(
                "weights.method",
                method,
                error("weights_ignored", names=", ".join(given), method=repr(method)),
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

    def _check_class_weights(self) -> None:
        """Per-class weight tables: known classes, known indicators, every indicator weighted."""
        names = list(self.indicators)
        for cls, table in self.weights.by_class.items():
            if cls not in self.classes:
                raise LocatedValueError(
                    f"weights.by_class.{cls}", cls, unknown_name("class", cls, self.classes), False
                )
            for name, value in table.items():
                if name not in self.indicators:
                    raise LocatedValueError(
                        f"weights.by_class.{cls}.{name}",
                        value,
                        unknown_name("indicator", name, names),
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

    def _check_pairwise(self) -> None:
        """Method 'ahp': an n×n pairwise matrix that AHP accepts."""
        names = list(self.indicators)
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

    def _check_component_weights(self) -> None:
        """Method 'fixed': no component's indicator weights are all zero."""
        names = list(self.indicators)
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
    _world: str | None = PrivateAttr(None)  # the --world it was fitted to (perfsim.scenario.worlds)
    _label: str | None = PrivateAttr(None)  # the source as messages name it (world, --set)

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
        _check_counts(rule.grading.quota_count, world.departments, "world.departments")
        columns = [n for n, c in rule.resolved_components().items() if c.source == "column"]
        check_names(
            rule.indicators,
            world.indicators,
            "world.indicators",
            "indicator",
            "needs_measurement",
        )
        check_names(
            columns,
            world.raters,
            "world.raters",
            "column component",
            "needs_rater",
        )
        if rule.classes:
            check_names(
                rule.classes,
                world.classes,
                "world.classes",
                "class",
                "needs_class",
            )
        _check_events(rule, world)
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


def _check_events(rule: Rule, world: World) -> None:
    """Each world event names a rule adjustment or veto column and has its points."""
    allowed = [*rule.adjustments, *rule.veto.columns]
    for name, ev in world.events.items():
        where = f"world.events.{name}"
        if name not in allowed:
            raise LocatedValueError(
                where,
                name,
                unknown_name("bonus/deduction item or veto column", name, allowed),
                False,
            )
        item = rule.adjustments.get(name)
        if item is None:
            continue
        if item.kind == "bonus" and ev.gaming:
            raise LocatedValueError(
                f"{where}.gaming",
                ev.gaming,
                "a bonus item is claimed, not incurred: gaming does not act on it; allowed: 0",
            )
        if ev.points is None and item.cap is None:
            raise LocatedValueError(
                f"{where}.points",
                None,
                f"give the points the item brings (rule.adjustments.{name} has no cap to default to)",
                False,
            )


def _check_counts(counts: dict[str, int], n_units: int, where: str) -> None:
    """Quota counts fit the units: each band's count, and their sum, at most ``n_units``."""
    for band, count in counts.items():
        if count > n_units:
            raise LocatedValueError(
                f"rule.grading.quota_count.{band}",
                count,
                f"more than the {n_units} units ({where}); allowed: a whole number 0–{n_units}",
            )
    if sum(counts.values()) > n_units:
        raise LocatedValueError(
            "rule.grading.quota_count",
            counts,
            f"the counts add up to {sum(counts.values())}, more than the {n_units} units ({where})",
        )
