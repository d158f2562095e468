"""``perfsim empirical``: everything about a real score table in one call, and its result folder.

``analyze(data, rule=..., units=..., compare=[...])`` reads a long ratings table (or the wide table
of ``perfsim score``) and returns an :class:`EmpiricalResult`: the observed scores with bootstrap
rank intervals and grade probabilities, the probability that one unit outranks another, rater
reliability (ICC, Krippendorff's α), rater-group leniency/noise/halo, the ranks under alternative
rules, and — when the rule file has a ``[world]`` — the world's rater parameters calibrated to the
data, as a scenario fragment. ``result.write(out)`` writes the tables, figures and ``report.html``.
"""

from __future__ import annotations

import contextlib
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..results.names import WITHIN_CLASS
from ..rules.pipeline import compile_rule
from ..scenario import DataError, Rule, Scenario, load_scenario
from ..scenario.errors import error
from ..scoring import quota_band_messages, resolved_columns
from ..tables import read_frame
from .calibration import Calibration, LevelsError, calibrate
from .data import Ratings, RatingsWarning, Scale, is_long, rating_columns, read_ratings
from .effects import RaterEffects, rater_effects
from .notes import listed, note
from .reliability import reliability
from .scores import RuleScorer, comparable_column, default_rule
from .uncertainty import RankUncertainty, bootstrap_ranks


@dataclass
class EmpiricalResult:
    scores: pd.DataFrame  # one row per unit, best first
    rank_changes: pd.DataFrame | None
    rules: list[str]
    ratings: Ratings | None = None
    uncertainty: RankUncertainty | None = None
    reliability: pd.DataFrame | None = None
    effects: RaterEffects | None = None
    calibration: Calibration | None = None
    metadata: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: the notes the analysis also gave as warnings (a terminal has shown them: its summary
    #: leaves them out); not written to the folder
    warned: list[str] = field(default_factory=list, repr=False)

    def write(
        self, out: str | Path, report: bool = True, *, force: bool = False, lang: str = "en"
    ) -> Path:
        """Write the result folder atomically (tables, ``calibrated.toml``, figures and, with
        ``report``, ``report.html`` and ``report.md``, and the report in ``lang`` too when it is
        not English); see :mod:`perfsim.io` for when an existing folder is replaced and when
        ``force`` is needed. :mod:`.folder` writes it (the report is
        :func:`.folder.report_writer`, which the package lends: :func:`perfsim.build_report`)."""
        from . import folder

        writer = folder.report_writer() if report else None
        finish = writer
        if writer is not None and lang != "en":

            def finish(path: Path) -> None:
                writer(path)
                writer(path, lang)

        return folder.write_folder(
            out,
            metadata={**self.metadata, "notes": self.notes},
            tables=folder.result_tables(self),
            calibrated=folder.calibrated_fragment(self),
            draw=lambda figures: folder.draw_figures(self, figures),
            finish=finish,
            force=force,
        )


def _load_rule(
    rule: Rule | Scenario | str | Path | None,
) -> tuple[Rule | None, Scenario | None, str]:
    if rule is None:
        return None, None, ""
    if isinstance(rule, Rule):
        return rule, None, rule.name or "rule"
    scenario = rule if isinstance(rule, Scenario) else load_scenario(rule)
    name = (
        scenario.rule.name
        or scenario.meta.name
        or (Path(rule).stem if not isinstance(rule, Scenario) else "rule")
    )
    return scenario.rule, scenario, name


def _rule_name(rule: Rule | Scenario | str | Path) -> str:
    return _load_rule(rule)[2]


def _rated_map(rule: Rule, components: Sequence[str]) -> dict[str, str]:
    """Rule column component → ratings component (by component name or column name)."""
    out = {}
    for name, comp in rule.resolved_components().items():
        if comp.source != "column":
            continue
        for candidate in (name, comp.column or name):
            if candidate in components:
                out[name] = candidate
                break
    return out


@dataclass
class _Units:
    """The rated units and the units table, from which each rule's scorer is built."""

    frame: pd.DataFrame | None
    ids: list[str]
    classes: list[str] | None
    id_column: str
    class_column: str
    source: str

    def scorer(self, rule: Rule, mapping: dict[str, str]) -> RuleScorer:
        """The scorer of ``rule`` on these units, rating ``mapping``'s components."""
        return RuleScorer(
            rule,
            self.frame,
            self.ids,
            unit_classes=self.classes,
            rated=list(mapping),
            id_column=self.id_column,
            class_column=self.class_column,
            source=self.source,
        )


def _metadata(
    source: str,
    rule: Rule | Scenario | str | Path | None,
    base_name: str,
    units: pd.DataFrame | str | Path | None,
    compare: Sequence[Rule | Scenario | str | Path],
    reps: int,
    level: float,
    seed: int,
) -> dict:
    """The run's metadata known before the data are read."""
    meta = {
        "kind": "empirical",
        "data": source,
        "rule": str(rule) if isinstance(rule, str | Path) else base_name,
        "units_table": str(units) if isinstance(units, str | Path) else None,
        "compare": [str(c) if isinstance(c, str | Path) else _rule_name(c) for c in compare],
        "reps": reps,
        "level": level,
        "seed": seed,
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    from .. import __version__

    meta["perfsim_version"] = __version__
    return meta


def _base_mapping(ratings: Ratings, base_rule: Rule, source: str) -> dict[str, str]:
    """The base rule's column components that the ratings rate (an error if there are none)."""
    mapping = _rated_map(base_rule, ratings.components)
    if not mapping:
        reads = [k for k, c in base_rule.resolved_components().items() if c.source == "column"]
        raise DataError(
            error("no_column_component", source=source, components=", ".join(ratings.components),
                  reads=", ".join(reads) or "-")
        )  # fmt: skip
    return mapping


def _misnamed(rule: Rule, mapping, unused: list[str], units: pd.DataFrame | None, source: str):
    """A :class:`DataError` when a column component of the rule gets no ratings nor a column of
    the units table while the ratings rate a component the rule does not have: a component
    named otherwise in the ratings (群众评议 for 社会评价). It was told as a column missing from
    the units table."""
    have = set() if units is None else {str(c).strip() for c in units.columns}
    columns = {
        n: c.column or n for n, c in rule.resolved_components().items() if c.source == "column"
    }
    absent = [n for n, col in columns.items() if n not in mapping and col not in have]
    if absent and unused:
        raise DataError(error("misnamed_component", source=source, absent=", ".join(absent),
                              unused=", ".join(unused), components=", ".join(columns)))  # fmt: skip


def _compare_ranks(
    ratings: Ratings,
    units: _Units,
    scores: pd.DataFrame,
    base_name: str,
    compare: Sequence[Rule | Scenario | str | Path],
    source: str,
    scoped: _Scoped,
) -> tuple[pd.DataFrame, list[str]]:
    """Each unit's rank under the base rule and under each alternative rule, and the rule names;
    ``scoped`` receives each rule's totals and ranking scope, and the unit classes (for
    :func:`_changes`)."""
    rules = [base_name]
    by_unit = scores.set_index("unit")
    ranks = pd.DataFrame(
        {"unit": units.ids, base_name: by_unit["rank"].reindex(units.ids).to_numpy()}
    )
    scoped.totals[base_name] = by_unit["total"].reindex(units.ids).to_numpy(dtype=float)
    scoped.grades[base_name] = by_unit["grade"].reindex(units.ids).to_numpy(dtype=object)
    if units.classes is not None:
        ranks.insert(1, "unit_class", units.classes)
    for alt in compare:
        alt_rule, _, alt_name = _load_rule(alt)
        alt_map = _rated_map(alt_rule, ratings.components)
        if not alt_map:
            raise DataError(
                error("rule_reads_none", source=source, rule=alt_name,
                      components=", ".join(ratings.components))
            )  # fmt: skip
        s = units.scorer(alt_rule, alt_map)
        pts = _observed_points(ratings, s, alt_map)
        name = alt_name if alt_name not in rules else f"{alt_name} ({len(rules) + 1})"
        ev = s.evaluate(pts)
        ranks[name] = ev.rank
        scoped.totals[name] = np.asarray(ev.total, dtype=float)
        scoped.grades[name] = np.asarray(s.rule.bands, dtype=object)[ev.grade]
        scoped.scopes[name] = alt_rule.grading.scope
        if scoped.classes is None and s.class_names is not None:
            scoped.classes = list(s.class_names)
        rules.append(name)
    return ranks, rules


def _calibration(
    ratings: Ratings,
    scenario: Scenario | None,
    rule: Rule | Scenario | str | Path | None,
    mapping: dict[str, str],
    calibrate_world: bool,
    reps: int,
    seed: int,
    notes: list[str],
) -> Calibration | None:
    """The world's rater parameters calibrated to the ratings, if asked and possible (else a note)."""
    calib = None
    if calibrate_world and scenario is not None and scenario.world is not None:
        world_map = {r: mapping[r] for r in scenario.world.raters if r in mapping}
        if world_map:
            try:
                calib = calibrate(ratings, scenario, world_map, reps=reps, seed=seed)
            except LevelsError as exc:  # (a 5-level scale against a 4-level survey, say)
                notes.append(str(exc))
    elif calibrate_world:
        notes.append(note("no_world" if rule is not None else "no_rule"))
    return calib


def graded(rule: Rule) -> bool:
    """Whether the rule's grades can differ between units (bar a veto): it has a quota or a
    threshold."""
    g = rule.grading
    return bool(g.quota or g.quota_count or g.thresholds)


def _grading_notes(rule: Rule, scores: pd.DataFrame, source: str) -> list[str]:
    """The notes on the grades given: a rule that gives one grade to all (no quota, no
    threshold: the mean of the ratings when no ``--rule`` is given), quota bands below their floor,
    the vetoed units."""
    notes = [str(m) for m in quota_band_messages(compile_rule(rule), scores, "unit", source)]
    if not graded(rule):
        notes.append(note("one_grade", grade=rule.grading.bands[0]))
    if "vetoed" in scores and scores["vetoed"].any():
        grade = scores.loc[scores["vetoed"], "grade"].iloc[0]
        notes.append(
            note("vetoed", units=listed(scores.loc[scores["vetoed"], "unit"]), grade=grade)
        )
    return notes


@contextlib.contextmanager
def noted(notes: list[str], warned: list[str]):
    """The :class:`RatingsWarning` s raised in the block, kept as ``notes`` (the folder's, which
    its report shows) and in ``warned``, and shown as warnings as before; other warnings shown as
    they were. ``warned`` is shared by the blocks of one analysis: a reading warning a later block
    repeats (each compared rule's scorer reads the units table again) is neither kept nor shown
    again."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield
    finally:  # (also when the block stops on an error: the warnings before it are shown)
        seen = set()
        for w in caught:
            text = str(w.message)
            key = (text, w.category)
            if key in seen:  # (said once, as outside the block)
                continue
            seen.add(key)
            if issubclass(w.category, RatingsWarning):
                if text in warned:
                    continue
                notes.append(text)
                warned.append(text)
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def analyze(
    data: pd.DataFrame | str | Path,
    *,
    rule: Rule | Scenario | str | Path | None = None,
    units: pd.DataFrame | str | Path | None = None,
    compare: Sequence[Rule | Scenario | str | Path] = (),
    scale: Scale | dict | str | None = None,
    score_max: float = 100.0,
    reps: int = 1000,
    level: float = 0.95,
    seed: int = 0,
    strata: str = "auto",
    calibrate_world: bool = True,
    calibration_reps: int = 20,
    id_column: str = "department",
    class_column: str = "class",
    encoding: str = "auto",
    progress=None,
) -> EmpiricalResult:
    """Analyse a real score table; see the module docstring. ``data`` is a long ratings table
    (columns unit, rater_group, rater, score or answer, …; :mod:`perfsim.empirical.data`) or the
    wide table of ``perfsim score`` (then only the counterfactual re-scoring applies).
    ``encoding`` is that of the CSV files (see :func:`perfsim.tables.read_table`)."""
    source = str(data) if isinstance(data, str | Path) else "<table>"
    raw = read_frame(data, encoding)
    base_rule, scenario, base_name = _load_rule(rule)
    units_frame = None if units is None else read_frame(units, encoding)
    units_source = str(units) if isinstance(units, str | Path) else "<units>"
    if units is None:
        units_source = source  # errors about missing unit columns name the ratings table
    meta = _metadata(source, rule, base_name, units, compare, reps, level, seed)
    notes: list[str] = []
    warned: list[str] = []  # (the notes also shown as warnings)
    if not is_long(raw):
        return _analyze_wide(
            raw, source, base_rule, base_name, compare, meta, id_column, class_column
        )
    if isinstance(scale, str):
        scale = Scale.parse(scale)
    with noted(notes, warned):  # (what the reading warns of, the report says too)
        ratings = read_ratings(raw, scale=scale, score_max=score_max, source=source)
    unit_ids = ratings.units
    classes = ratings.unit_classes().reindex(unit_ids)
    unit_classes = classes.tolist() if (classes != "").all() else None
    base_rule = base_rule or default_rule(ratings.components)
    base_name = base_name or base_rule.name
    mapping = _base_mapping(ratings, base_rule, source)
    unused = [c for c in ratings.components if c not in mapping.values()]
    _misnamed(base_rule, mapping, unused, units_frame, source)
    if unused:
        notes.append(note("unused", components=", ".join(unused), rule=base_name))
    if units_frame is not None:  # (its 单位名称 and 单位类别 columns, when not named)
        id_column, class_column = resolved_columns(units_frame, id_column, class_column)
    on = _Units(units_frame, unit_ids, unit_classes, id_column, class_column, units_source)
    with noted(notes, warned):
        scorer = on.scorer(base_rule, mapping)
    unc = bootstrap_ranks(
        ratings,
        scorer,
        mapping,
        reps=reps,
        level=level,
        seed=seed,
        strata=strata,
        progress=progress,
    )
    meta["strata"] = unc.strata
    if unc.filled:
        notes.append(note("filled", count=unc.filled))
    notes += _one_rater(ratings)
    scores = unc.table.sort_values(["rank", "total"], ascending=[True, False]).reset_index(
        drop=True
    )
    notes += _grading_notes(base_rule, scores, source)
    scoped = _Scoped({}, {base_name: base_rule.grading.scope}, unit_classes)
    with noted(notes, warned):  # (each rule's scorer reads the units table again)
        ranks, rules = _compare_ranks(ratings, on, scores, base_name, compare, source, scoped)
    rank_changes = _changes(ranks, rules, scoped)
    calib = _calibration(
        ratings, scenario, rule, mapping, calibrate_world, calibration_reps, seed, notes
    )
    meta |= {
        "graded": graded(base_rule),
        "units": len(unit_ids),
        "raters": int(ratings.frame["rater"].nunique()),
        "ratings": len(ratings.frame),
        "groups": ratings.groups,
        "components": mapping,
    }
    return EmpiricalResult(
        scores=scores,
        rank_changes=rank_changes,
        rules=rules,
        ratings=ratings,
        uncertainty=unc,
        reliability=reliability(ratings.frame),
        effects=rater_effects(ratings),
        calibration=calib,
        metadata=meta,
        notes=notes,
        warned=warned,
    )


def _observed_points(ratings: Ratings, scorer: RuleScorer, mapping: dict[str, str]) -> np.ndarray:
    from .scores import pooled_points, rater_sums

    return np.stack(
        [
            pooled_points(rater_sums(ratings, mapping[k], scorer.unit_ids))
            for k in scorer.rated_components
        ],
        axis=-1,
    )


@dataclass
class _Scoped:
    """What comparable rank changes need: each rule's totals and ranking scope, the unit classes."""

    totals: dict[str, np.ndarray]
    scopes: dict[str, str]
    classes: list[str] | None
    grades: dict[str, np.ndarray] = field(default_factory=dict)  # each rule's grade of each unit


def _changes(ranks: pd.DataFrame, rules: list[str], scoped: _Scoped) -> pd.DataFrame:
    """Rank changes between comparable rankings only: ``change:<alt> = rank_base − rank_alt``
    (+ = the unit moves up under the alternative) when both rules rank on the same scope; when
    one ranks within class (分类考评) and the other over all units, both are compared within
    class: the global rule's totals are ranked within each class in a column ``<rule> (within
    class)``, so a unit last of 66 but first of its class does not "leap" 65 places. Each rule's
    grade of each unit is in ``grade:<rule>`` (grading within class may leave every rank within
    class as it was and still move grades)."""
    from ..rules.grade import rank

    out, scopes = ranks.copy(), scoped.scopes
    if any(scopes[r] == "within_class" for r in rules) and scoped.classes is not None:
        codes = pd.Categorical(scoped.classes).codes
        for r in rules:
            if scopes[r] != "within_class":
                out[r + WITHIN_CLASS] = rank(scoped.totals[r], groups=codes)
    base = rules[0]
    for name in rules[1:]:
        pair_within = "within_class" in (scopes[base], scopes[name])
        a, b = (comparable_column(out, r, pair_within) for r in (base, name))
        out[f"change:{name}"] = out[a] - out[b]
    for name in rules if len(rules) > 1 else []:  # grades: what a quota within class changes
        out[f"grade:{name}"] = scoped.grades[name]
    return out.sort_values(base).reset_index(drop=True)


def _one_rater(ratings: Ratings) -> list[str]:
    """The note naming the units rated by a single rater in a component: resampling one rater
    gives that rater back, so their rank intervals show none of the raters' disagreement."""
    rated = ratings.frame.groupby(["unit", "component"])["rater"].nunique()
    alone = list(dict.fromkeys(rated[rated == 1].index.get_level_values("unit")))
    return [note("one_rater", units=listed(alone))] if alone else []


def _analyze_wide(raw, source, base_rule, base_name, compare, meta, id_column, class_column):
    from ..scoring import score

    if base_rule is None:
        if rating_columns(raw) - {"unit"}:  # a long table without its unit: the reader says so
            read_ratings(raw, source=source)
        raise DataError(error("wide_needs_rule", source=source))
    id_column, class_column = resolved_columns(raw, id_column, class_column)
    base = score(raw, base_rule, id_column=id_column, class_column=class_column, source=source)
    rules = [base_name]
    ranks = base[[id_column, "rank"]].rename(columns={id_column: "unit", "rank": base_name})
    classes = base[class_column].tolist() if class_column in base.columns else None
    scoped = _Scoped(
        {base_name: base["total"].to_numpy(dtype=float)},
        {base_name: base_rule.grading.scope},
        classes,
        {base_name: base["grade"].to_numpy(dtype=object)},
    )
    for alt in compare:
        alt_rule, _, alt_name = _load_rule(alt)
        said = error("scored_with", source=source, rule=alt_name)  # (which rule lacks a column)
        s = score(raw, alt_rule, id_column=id_column, class_column=class_column, source=said)
        name = alt_name if alt_name not in rules else f"{alt_name} ({len(rules) + 1})"
        by_unit = s.set_index(id_column)
        ranks[name] = ranks["unit"].map(by_unit["rank"])
        scoped.totals[name] = ranks["unit"].map(by_unit["total"]).to_numpy(dtype=float)
        scoped.grades[name] = ranks["unit"].map(by_unit["grade"]).to_numpy(dtype=object)
        scoped.scopes[name] = alt_rule.grading.scope
        if scoped.classes is None and class_column in s.columns:
            scoped.classes = ranks["unit"].map(by_unit[class_column]).tolist()
        rules.append(name)
    meta |= {"units": len(base)}
    return EmpiricalResult(
        scores=base.rename(columns={id_column: "unit"}),
        rank_changes=_changes(ranks, rules, scoped),
        rules=rules,
        metadata=meta,
        notes=[note("wide")],
    )
