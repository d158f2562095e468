"""From ratings to component points, and scoring units with a rule when some columns come from ratings.

A unit's **component points** (0–100) are the pooled mean over the raters who rated it for that
component: each rater's mean over the items he or she rated for the unit counts once (so a rater
who skipped an item still counts as one rater). With group weights ``w_g`` the pooled mean is
replaced by ``Σ_g w_g · mean_g / Σ_g w_g`` over the groups that rated the unit.

:class:`RuleScorer` joins those points to a units table (the wide table of ``perfsim score``: id,
class, indicators, bonus/deduction and veto columns) and applies a rule to a whole batch of point
tables at once (``(..., unit, component)``: the bootstrap evaluates 1,000 replicates in one call).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ..results.names import WITHIN_CLASS
from ..rules.pipeline import CompiledRule, Evaluation, compile_rule, evaluate
from ..scenario import DataError, Rule
from ..scenario.errors import error
from ..scenario.rule_parts import Component
from ..scoring import table_ids, table_inputs
from ..tables import RowsOf, read_frame, reading_note
from .data import Ratings, RatingsWarning
from .notes import listed, phrase


@dataclass(frozen=True)
class RaterSums:
    """Per rater × unit sums for one component: ``points[r, u]`` = the rater's mean points over
    items for the unit (0 where not rated), ``rated[r, u]`` = 1 where rated."""

    component: str
    raters: pd.Index
    groups: NDArray[np.intp]  # (rater,) index into group_names
    group_names: tuple[str, ...]
    points: NDArray[np.float64]  # (rater, unit)
    rated: NDArray[np.float64]  # (rater, unit)


def rater_sums(ratings: Ratings, component: str, units: Sequence[str]) -> RaterSums:
    f = ratings.frame[ratings.frame["component"] == component]
    per = f.groupby(["rater", "unit"], sort=False)["points"].mean()
    raters = pd.Index(per.index.get_level_values(0).unique())
    r = raters.get_indexer(per.index.get_level_values(0))
    u = pd.Index(units).get_indexer(per.index.get_level_values(1))
    points = np.zeros((len(raters), len(units)))
    rated = np.zeros_like(points)
    points[r, u] = per.to_numpy()
    rated[r, u] = 1.0
    group_of = f.drop_duplicates("rater").set_index("rater")["rater_group"].reindex(raters)
    names = tuple(dict.fromkeys(group_of))
    return RaterSums(
        component,
        raters,
        pd.Index(names).get_indexer(group_of).astype(np.intp),
        names,
        points,
        rated,
    )


def pooled_points(
    sums: RaterSums,
    weights: NDArray[np.float64] | None = None,
    group_weights: Mapping[str, float] | None = None,
) -> NDArray[np.float64]:
    """Component points of each unit, ``(..., unit)``, from rater counts ``weights (..., rater)``
    (1 for every rater when None: the observed data; bootstrap counts otherwise)."""
    w = np.ones(sums.points.shape[0]) if weights is None else np.asarray(weights, dtype=float)
    if not group_weights:
        num, den = w @ sums.points, w @ sums.rated
        with np.errstate(invalid="ignore", divide="ignore"):
            return num / den
    out = 0.0
    total = 0.0
    for g, name in enumerate(sums.group_names):
        gw = float(group_weights.get(name, 0.0))
        mask = sums.groups == g
        num, den = w[..., mask] @ sums.points[mask], w[..., mask] @ sums.rated[mask]
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = num / den
        have = np.isfinite(mean)
        out = out + np.where(have, gw * mean, 0.0)
        total = total + np.where(have, gw, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, out / np.where(total > 0, total, 1.0), np.nan)


def default_rule(components: Sequence[str]) -> Rule:
    """Equal shares of the rated components, each a column on 0–100; default grade bands without
    quotas or thresholds (everyone 优秀) — the plain mean of the ratings."""
    return Rule(
        name="mean of the rated components",
        components={c: Component(share=1.0, source="column", full_marks=100.0) for c in components},
    )


class RuleScorer:
    """A rule applied to units whose column components come (partly) from ratings."""

    def __init__(
        self,
        rule: Rule | CompiledRule,
        units: pd.DataFrame | None,
        unit_ids: Sequence[str],
        *,
        unit_classes: Sequence[str] | None = None,
        rated: Sequence[str] | None = None,
        id_column: str = "department",
        class_column: str = "class",
        source: str = "<units>",
    ):
        self.rule = rule if isinstance(rule, CompiledRule) else compile_rule(rule)
        c = self.rule
        self.unit_ids = list(unit_ids)
        by_name = dict(zip(c.column_components, c.column_names, strict=True))
        wanted = list(c.column_components) if rated is None else list(rated)
        #: the rule's column components filled from ratings, in ``c.column_components`` order
        self.rated_components = tuple(k for k in c.column_components if k in wanted)
        frame, rows = self._units_frame(units, unit_classes, id_column, class_column, source)
        for comp in self.rated_components:
            frame[by_name[comp]] = "0"
        self.source = source
        inputs = table_inputs(frame, c, rows, id_column, class_column)
        self.arrays = inputs["arrays"]
        self.class_names = inputs["class_names"]
        self._positions = np.array(
            [c.column_components.index(k) for k in self.rated_components], dtype=np.intp
        )
        self._marks = c.full_marks[self._positions] / 100.0 if len(self._positions) else None

    def _units_frame(self, units, unit_classes, id_column, class_column, source):
        """The units table's rows of the rated units, in the ratings' order, and the table's
        name knowing each row's line in the file (:class:`perfsim.tables.RowsOf`): an error is
        named at its line, not at its place in the reordered table (line 52 for line 11)."""
        ids = pd.Index(self.unit_ids)
        if units is None:
            frame = pd.DataFrame({id_column: self.unit_ids})
            if unit_classes is not None:
                frame[class_column] = list(unit_classes)
            indicators = [i for i in self.rule.indicators]
            if indicators:
                raise DataError(
                    error("needs_indicators", source=source, indicators=", ".join(indicators))
                )
            return frame.astype(str), source
        frame = read_frame(units).rename(columns=lambda s: str(s).strip())
        key = id_column if id_column in frame.columns else "unit"
        if key not in frame.columns:
            said = error(
                "no_id_column", source=source, column=id_column, have=", ".join(frame.columns)
            )
            raise DataError(reading_note(units, said))
        frame[key] = frame[key].str.strip()
        missing = [u for u in self.unit_ids if u not in set(frame[key])]
        if missing:
            raise DataError(
                error("not_in_units", source=source, count=len(missing), units=listed(missing))
            )
        table_ids(frame, source, key)  # (every row: an empty id, a unit given twice)
        unrated = [u for u in dict.fromkeys(frame[key]) if u not in set(ids)]
        if unrated:  # scored with the others, they would have no rating-based component
            said = phrase("unrated", source=source, count=len(unrated), units=listed(unrated))
            warnings.warn_explicit(RatingsWarning(said), RatingsWarning, "perfsim", 0)
        # the rated units' rows in the ratings' order, each error named at its line in the file
        rows = pd.Index(frame[key]).get_indexer(ids)
        frame = frame.iloc[rows].reset_index(drop=True)
        if key != id_column:
            frame = frame.rename(columns={key: id_column})
        if unit_classes is not None and class_column not in frame.columns:
            frame[class_column] = list(unit_classes)
        return frame, RowsOf(source, rows + 2)

    def evaluate(self, points: NDArray[np.float64], grading: bool = True) -> Evaluation:
        """Score ``points`` — ``(..., unit, len(rated_components))`` on 0–100 — with the rule."""
        p = np.asarray(points, dtype=float)
        batch = p.shape[:-2]
        a = self.arrays
        n = len(self.unit_ids)

        def widen(x):
            return None if x is None else np.broadcast_to(x, batch + np.shape(x))

        columns = a.get("columns")
        if columns is not None:
            columns = np.array(widen(columns), dtype=float)
            if len(self._positions):
                columns[..., self._positions] = p * self._marks
        indicators = np.broadcast_to(a["indicators"], batch + (n, a["indicators"].shape[-1]))
        return evaluate(
            self.rule,
            indicators,
            classes=a.get("classes"),
            columns=columns,
            adjustments=widen(a.get("adjustments")),
            veto=widen(a.get("veto")),
            targets=widen(a.get("targets")),
            grading=grading,
        )

    def table(self, points: NDArray[np.float64]) -> pd.DataFrame:
        """The ``perfsim score`` table (one row per unit, in the order of ``unit_ids``)."""
        c = self.rule
        ev = self.evaluate(points)
        out = pd.DataFrame({"unit": self.unit_ids})
        if self.class_names is not None:
            out["unit_class"] = self.class_names
        for k, name in enumerate(c.components):
            out[name] = ev.components[:, k]
        out["adjustment"] = ev.adjustment
        out["total"] = ev.total
        out["rank"] = ev.rank
        out["grade"] = np.array(c.bands, dtype=object)[ev.grade]
        return out


#: Suffix of a rank-changes column holding a global rule's ranks within each class.


def rank_column_label(column: str) -> str | None:
    """A rank-changes column of a rule's ranks within class, in the current language
    (``X (within class)``); None for any other column."""
    from ..i18n import gettext as _

    if not column.endswith(WITHIN_CLASS):
        return None
    return _("{rule} (within class)").format(rule=column.removesuffix(WITHIN_CLASS))


def comparable_column(ranks: pd.DataFrame, rule: str, within_class: bool) -> str:
    """The column of ``rule``'s ranks on the given scope in a rank-changes table: its within-class
    ranks when asked and the table has them (a rule that ranks over all units), else its own."""
    return rule + WITHIN_CLASS if within_class and rule + WITHIN_CLASS in ranks.columns else rule
