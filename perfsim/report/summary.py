"""The plain-language summary of a run or a comparison: the sentences that ``perfsim run`` and
``perfsim compare`` print before their table and that the reports show as "In short".

One builder for terminal and report: it reads only a run's metrics table (``metric, mean, se, n``)
and, when there is one, its departments table, or a comparison's table (``comparison.csv``), so the
in-memory results and the folders read back give the same words. The words are in
:mod:`.phrases`; what each metric means and its better side in :mod:`perfsim.metric_registry`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import metric_registry, metrics
from ..experiments.compare import BETTER, SLIGHTLY_BETTER, SLIGHTLY_WORSE, WORSE
from ..i18n import (
    current_language,
    join_sentences,
    metric_label,
    metric_name,
    metric_undefined,
)
from ..i18n import gettext as _
from ..world.convergence import GAP_WARNING
from .explain import explain_lines
from .numbers import decimals, finite, num, pct, pcts
from .phrases import join, say

__all__ = [
    "CONVERGENCE",
    "ComparisonSummary",
    "Shown",
    "comparison_sentences",
    "comparison_summary",
    "all_alike",
    "convergence_sentence",
    "not_simulated_sentence",
    "replications_sentence",
    "run_warnings",
    "explain_lines",
    "identical_metrics",
    "run_sentences",
    "shown_metrics",
]

CONVERGENCE = tuple(
    n for n in metric_registry.METRICS if n in metric_registry.NUMERICAL_DIAGNOSTICS
)
"""Numerical diagnostics of the best response: summed up in one sentence, not table rows."""

#: the verdicts that judge one rule better or worse than the reference
JUDGED = (BETTER, SLIGHTLY_BETTER, WORSE, SLIGHTLY_WORSE)

#: above this share of all units in the lowest grade: more than a rule means; below the second,
#: most weak units escape it by design
MOST_BOTTOM, RARE_BOTTOM = 0.5, 0.05

# Kendall τ at or above which the ranking agrees with true performance so (first match wins).
_FIDELITY = [
    (0.7, "fidelity.close"),
    (0.5, "fidelity.fair"),
    (0.3, "fidelity.moderate"),
    (0.1, "fidelity.weak"),
    (-0.1, "fidelity.none"),
    (-math.inf, "fidelity.reversed"),
]


def _value(m: pd.DataFrame, metric: str, column: str = "mean") -> float:
    if metric not in m.index or column not in m.columns:
        return math.nan
    return float(m.loc[metric, column])


def amount(
    metric: str, value: float, se: float = math.nan, difference: bool = False, sign: bool = False
) -> str:
    """A value (or a ``difference``) of ``metric`` in words: shares in percent (differences in
    percentage points), score points as points, others as they are; to the digits ``se`` allows."""
    info = metric_registry.metric_info(metric)
    share = info is not None and info.scale == "0–1" and info.unit.startswith("share")
    if share and not difference:
        return pct(value)
    scale = 100.0 if share else 1.0
    places = max(0, decimals(scale * se) - 1) if finite(se) and se > 0 else -1  # se's 1st digit
    if places >= 0 and finite(value) and value != 0:  # and at most 3 significant digits
        places = min(places, max(0, 2 - math.floor(math.log10(abs(scale * value)))))
    text = num(scale * value, places, sign, digits=3)
    if share:
        return say("unit.pp", value=text)
    if info is not None and info.unit == "score points":
        return say("unit.points", value=text)
    return text


def graded_within_class(scenario: Mapping) -> bool:
    """Whether a resolved scenario's rule gives its top grade's places within each of several
    classes of units (a quota on the top band, taken within class)."""
    rule = (scenario or {}).get("rule") or {}
    g = rule.get("grading") or {}
    top = (g.get("bands") or [None])[0]
    classes = rule.get("classes") or ((scenario or {}).get("world") or {}).get("classes") or {}
    quota = top in (g.get("quota") or {}) or top in (g.get("quota_count") or {})
    return g.get("scope") == "within_class" and quota and len(classes) > 1


def run_sentences(
    rule: str,
    metrics: pd.DataFrame,
    departments: pd.DataFrame | None = None,
    shares: Mapping[str, float] | None = None,
    within_class: bool = False,
) -> list[str]:
    """3–7 sentences on a rule's run: ranking, grades (``within_class``: the rule grades within
    each class, which the sentence on the truly best says), gaming, class gap (with the component
    it comes from, given the components' ``shares``), best band by class, agreement within rater
    groups, welfare loss (each where its metrics were recorded)."""
    m = metrics.set_index("metric")
    out = []
    tau = _value(m, "kendall_tau")
    if finite(tau):
        how = next(key for bound, key in _FIDELITY if tau >= bound)
        out.append(say("run.ranking", rule=rule, how=say(how), tau=num(tau, 2)))
    top, bottom = _value(m, "top_missed"), _value(m, "bottom_missed")
    bands = _bands(departments)
    if finite(top) and finite(bottom) and (departments is None or len(bands) > 1):
        out.append(
            say(
                "run.grades",
                top_missed=pct(top),
                bottom_missed=pct(bottom),
                top_grade=say("grade.top_named", band=bands[0]) if bands else say("grade.top"),
                bottom_grade=(
                    say("grade.bottom_named", band=bands[-1]) if bands else say("grade.bottom")
                ),
            )
        )
        if within_class:  # the truly best are the best of all units, places are per class
            out[-1] = join_sentences([out[-1], say("run.top_within_class")])
        if bands and len(bands) > 1 and departments[f"share:{bands[-1]}"].sum() == 0:
            out[-1] = join_sentences([out[-1], say("run.nobody_bottom", band=bands[-1])])
        elif bands and len(bands) > 1:  # most units failed: score lines off the totals' scale?
            lowest = float(departments[f"share:{bands[-1]}"].mean())
            total = _value(m, "mean_total")
            if lowest > MOST_BOTTOM and finite(total):
                out[-1] = join_sentences([out[-1], say("run.most_bottom", share=pct(lowest),
                                          band=bands[-1], total=num(total, 3))])  # fmt: skip
            elif lowest < RARE_BOTTOM:
                out[-1] = join_sentences([out[-1], say("run.rare_bottom", share=pct(lowest),
                                          band=bands[-1])])  # fmt: skip
    gaming = _value(m, "gaming_share")
    if finite(gaming):
        out.append(_gaming_sentence(gaming, departments))
    gap = _class_sentence(m, departments, shares)
    if gap:
        out.append(gap)
    by_class = _top_band_by_class(departments, bands)
    if by_class:
        out.append(by_class)
    raters = [
        say("run.rater_item", group=str(k).split(":", 1)[1], value=num(v, 2))
        for k, v in m["mean"].items()
        if str(k).startswith("rater_reliability:") and finite(v)
    ]
    if raters:
        out.append(say("run.raters", items=join(raters)))
    loss = _value(m, "welfare_loss")
    if finite(loss):
        out.append(say("run.welfare" if loss <= 1 else "run.welfare_destroyed", loss=pct(loss)))
    return out


def _bands(departments: pd.DataFrame | None) -> list[str]:
    """Grade bands, best first, from the departments table's ``share:<band>`` columns."""
    if departments is None:
        return []
    return [c.split(":", 1)[1] for c in departments.columns if str(c).startswith("share:")]


def _gaming_sentence(share: float, departments: pd.DataFrame | None) -> str:
    if share < 5e-4:  # less than 0.05 % of effort: none worth a word
        return say("run.no_gaming")
    columns = [c for c in (departments.columns if departments is not None else ()) if
               str(c).startswith("gaming:")]  # fmt: skip
    if columns:
        totals = departments[columns].sum()
        if totals.sum() > 0:
            top = totals.idxmax()
            return say(
                "run.gaming",
                share=pct(share),
                indicator=str(top).split(":", 1)[1],
                indicator_share=pct(totals[top] / totals.sum()),
            )
    return say("run.gaming_plain", share=pct(share))


def _top_band_by_class(departments: pd.DataFrame | None, bands: list[str]) -> str:
    """How often each class's units get the best band (the mean over its units of their share of
    replications in it), with two classes or more; else ``""``. What officials ask first: the
    class gap above is at equal true value, and classes may differ in true value as well."""
    if departments is None or not bands or "class" not in departments:
        return ""
    shares = departments.groupby("class", sort=False)[f"share:{bands[0]}"].mean()
    if len(shares) < 2:
        return ""
    items = [
        say("run.class_top_item", share=share, cls=_as_units(str(k)))
        for k, share in zip(shares.index, pcts(list(shares)), strict=True)
    ]
    return say("run.class_top", band=bands[0], items=join(items))


def _class_sentence(m: pd.DataFrame, departments: pd.DataFrame | None = None, shares=None) -> str:
    """Which class scores above which at equal true value (from ``class_gap:<class>``), and
    through which component when one carries most of the gap (:func:`_gap_source`)."""
    gaps = m[[str(k).startswith("class_gap:") for k in m.index]]
    gaps = gaps[[finite(v) for v in gaps["mean"]]]
    if len(gaps) < 2:
        return ""
    high, low = gaps["mean"].idxmax(), gaps["mean"].idxmin()
    gap = float(gaps.loc[high, "mean"] - gaps.loc[low, "mean"])
    se = float(gaps.loc[high, "se"] + gaps.loc[low, "se"])  # ≥ the se of the difference
    names = {"high": str(high).split(":", 1)[1], "low": str(low).split(":", 1)[1]}
    text = num(gap, max(0, decimals(se) - 1) if finite(se) and se > 0 else -1)
    said = {k: _as_units(v) for k, v in names.items()}
    if finite(se) and gap <= 2 * se:
        return say("run.no_class_gap", gap=text, **said)
    source = _gap_source(departments, shares, names["high"], names["low"])
    return join_sentences([say("run.class_gap", gap=text, **said), source])


def _as_units(cls: str) -> str:
    """A class's name where a sentence says "{cls} units": in Chinese without its own trailing
    单位, which the sentence adds (直属单位 units: 直属单位, not 直属单位单位)."""
    if current_language() == "zh" and cls.endswith("单位") and len(cls) > 2:
        return cls[: -len("单位")]
    return cls


def _gap_source(departments, shares, high: str, low: str) -> str:
    """The component that carries most (over half) of the score gap between classes ``high`` and
    ``low`` at equal true value, as a sentence, else ``""``. The total is the share-weighted sum of
    the components (plus bonus points), and the least-squares class intercepts are linear in the
    scored variable, so the gap of the total splits exactly into the components' gaps times their
    shares; here fitted to the departments' means over the replications."""
    if departments is None or not shares or "class" not in departments:
        return ""
    names = [c for c in shares if f"component:{c}" in departments]
    if len(names) < 2 or not {high, low} <= set(departments["class"]):
        return ""
    classes = sorted(set(departments["class"]))
    codes = np.array([classes.index(c) for c in departments["class"]])
    scored = np.stack([departments[f"component:{c}"].to_numpy(float) for c in names])  # (K, D)
    value = np.broadcast_to(departments["true_value"].to_numpy(float), scored.shape)
    gaps = metrics.class_gaps(scored, value, codes)  # one row per component
    part = gaps[:, classes.index(high)] - gaps[:, classes.index(low)]
    part = part * np.array([shares[c] for c in names])
    whole = part.sum()
    top = int(np.argmax(part))
    if not (whole > 0 and part[top] > 0.5 * whole):
        return ""
    if part[top] >= whole:  # the others narrow it
        return say("run.class_gap_source_all", component=names[top])
    return say("run.class_gap_source", component=names[top], share=pct(part[top] / whole))


#: fewer replications than this get a warning (their standard errors are themselves rough)
FEW_REPLICATIONS = 10


def replications_sentence(reps: object) -> str:
    """A warning when a run has too few replications for its Monte Carlo errors to mean much
    (fewer than :data:`FEW_REPLICATIONS`; one replication has none), else ``""``."""
    try:
        n = int(reps)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return ""
    if n == 1:
        return say("warn.one_rep")
    return say("warn.few_reps", reps=n) if 1 < n < FEW_REPLICATIONS else ""


def not_simulated_sentence(entries: Sequence[Mapping]) -> str:
    """A warning naming the parts of the rule that the simulation left out (the run metadata's
    ``not_simulated`` entries, :mod:`perfsim.scenario.coverage`), or ``""`` when there are none:
    the plain-language sentences would otherwise read as if the whole rule had been simulated."""
    items = {
        say("warn.not_simulated_item", what=_(str(e["what"])), part=str(e["part"])): None
        for e in entries
    }
    return say("warn.not_simulated", items=join(list(items))) if items else ""


def run_warnings(meta: Mapping) -> list[str]:
    """The warnings that open a run's sentences, from its metadata: the parts of the rule left out
    (:func:`not_simulated_sentence`) and too few replications (:func:`replications_sentence`)."""
    found = (
        not_simulated_sentence(meta.get("not_simulated") or []),
        replications_sentence(meta.get("reps")),
    )
    return [s for s in found if s]


def convergence_sentence(metrics: pd.DataFrame, where: str = "") -> str:
    """A warning when a replication's best response did not settle (naming ``where``), else how
    many iterations it took; ``""`` for a policy without a fixed point."""
    m = metrics.set_index("metric")
    share = _value(m, "converged_share")
    if not finite(share):
        return ""
    n = _value(m, "converged_share", "n")  # replications behind the share
    gap = _value(m, "choice_gap")
    if share < 1:
        reps = int(n) if finite(n) else 0
        missed = round((1 - share) * reps) if reps else say("warn.some")
        text = say("warn.unconverged", missed=missed, reps=reps or say("warn.all"), where=where)
        if finite(gap) and gap > GAP_WARNING:  # said too: the two warnings are different things
            text = join_sentences([text, say("warn.choice_gap", gap=pct(gap, digits=2))])
        return text
    text = say(
        "run.converged",
        iterations=num(_value(m, "iterations_mean"), 0),
        most=num(_value(m, "iterations_max"), 0),
    )
    if not finite(gap):
        return text
    key = "warn.choice_gap" if gap > GAP_WARNING else "run.choice_gap"
    return join_sentences([text, say(key, gap=pct(max(gap, 0.001), digits=2))])


@dataclass
class Shown:
    """Which metrics of a run a table shows (``rows``) and notes on those it leaves out."""

    rows: list[str]
    notes: list[str] = field(default_factory=list)


#: a sum over the years → its yearly metric (equal in a one-year run: shown once)
OVER_YEARS = {"evaluation_cost_total": "evaluation_cost"}


def repeated_totals(metrics: pd.DataFrame) -> set[str]:
    """The sums over the years (:data:`OVER_YEARS`) of a run's ``metrics`` that equal their yearly
    metric (a one-year run): a table shows the number once."""
    means = dict(zip(metrics["metric"].astype(str), metrics["mean"], strict=True))
    return {
        total
        for total, yearly in OVER_YEARS.items()
        if finite(means.get(total)) and finite(means.get(yearly)) and means[total] == means[yearly]
    }


def shown_metrics(metrics: pd.DataFrame) -> Shown:
    """Leave out undefined metrics (with why), constants without a better side (with their value),
    the convergence diagnostics (:func:`convergence_sentence` sums them up) and a sum over the
    years equal to its yearly metric (:func:`repeated_totals`)."""
    rows, constant = [], []
    undefined: dict[str, list[str]] = {}  # why → the metrics undefined for that reason
    repeated = repeated_totals(metrics)
    for r in metrics.itertuples(index=False):
        name = str(r.metric)
        if name in CONVERGENCE or name in repeated:
            continue
        if not finite(r.mean):
            why = metric_undefined(name) or say("note.no_value")
            undefined.setdefault(why, []).append(metric_name(name))
        elif not metric_registry.better(name) and finite(r.se) and float(r.se) == 0:
            constant.append(f"{metric_name(name)} = {num(r.mean)}")
        else:
            rows.append(name)
    notes = []
    if undefined:
        items = [
            say("note.undefined_item", metric=join(names), why=why)
            for why, names in undefined.items()
        ]
        notes.append(say("note.undefined", items=_("; ").join(items)))
    if constant:
        notes.append(say("note.constant", items=_(", ").join(constant)))
    if {"icc2k", "krippendorff_alpha"} & set(rows):  # negative values alarm a new reader
        notes.append(say("note.agreement"))
    return Shown(rows, notes)


def all_alike(table: pd.DataFrame, same: Sequence[str]) -> bool:
    """Whether every rule of a comparison gives the reference's results on every metric with a
    better side, in every world (``same``: :func:`identical_metrics`)."""
    return set(table.loc[table["direction"].astype(str) != "", "metric"]) <= set(same)


def identical_metrics(table: pd.DataFrame, reference: str) -> list[str]:
    """Metrics of a comparison table that every rule has exactly as the reference in every world
    (paired differences all 0), or that are undefined everywhere."""
    same = []
    for metric, g in table.groupby("metric", sort=False):
        others = g[g["rule"] != reference]
        spans = others[["diff", "diff_low", "diff_high"]].to_numpy(float)
        undefined = not any(finite(v) for v in g["mean"])
        if undefined or (len(others) and (spans == 0).all()):
            same.append(str(metric))
    return same


_ORDER = [
    "cmp.better",
    "cmp.better_all",
    "cmp.worse",
    "cmp.worse_all",
    "cmp.mixed",
    "cmp.better_some",
    "cmp.worse_some",
    "cmp.slightly_better",
    "cmp.slightly_worse",
    "cmp.no_practical",
    "cmp.not_detected",
]


def _verdict_key(verdicts: set[str], many: bool) -> str:
    if verdicts == {"better"}:
        return "cmp.better_all" if many else "cmp.better"
    if verdicts == {"worse"}:
        return "cmp.worse_all" if many else "cmp.worse"
    tiers = (
        ("better", "worse", "cmp.better_some", "cmp.worse_some"),
        ("slightly better", "slightly worse", "cmp.slightly_better", "cmp.slightly_worse"),
    )
    for up, down, up_key, down_key in tiers:  # the strongest verdicts present decide
        if {up, down} <= verdicts:
            return "cmp.mixed"
        if up in verdicts:
            return up_key
        if down in verdicts:
            return down_key
    if "no detectable difference" in verdicts:
        return "cmp.not_detected"
    return "cmp.no_practical"


def _rule_sentence(table: pd.DataFrame, reference: str, rule: str, many: bool, skip) -> str:
    sub = table[(table["rule"] == rule) & (table["direction"].astype(str) != "")]
    spans = sub[["diff", "diff_low", "diff_high"]].to_numpy(float)
    if np.isfinite(spans).any() and (spans[np.isfinite(spans)] == 0).all():
        return say("cmp.rule_same", rule=rule, reference=reference)  # (whatever other rules do)
    groups: dict[str, list[str]] = {}
    for metric, g in sub.groupby("metric", sort=False):
        if metric in skip or set(g["verdict"].astype(str)) == {"not comparable"}:
            continue  # (said in a note: :func:`_not_comparable`)
        if set(g["verdict"].astype(str)) == {""}:  # the reference has no value: no difference
            continue
        key = _verdict_key(set(g["verdict"].astype(str)), many)
        name = metric_label(str(metric))
        if key in ("cmp.better", "cmp.worse"):
            row = g.iloc[0]
            diff = amount(str(metric), row["diff"], row["diff_se"], difference=True, sign=True)
            name = say("cmp.metric_diff", metric=name, diff=diff)
        groups.setdefault(key, []).append(name)
    clauses = [
        say("cmp.clause", verdict=say(key), metrics=join(groups[key]))
        for key in _ORDER
        if key in groups
    ]
    if not clauses:
        return say("cmp.rule_none", rule=rule)
    return say("cmp.rule", reference=reference, rule=rule, clauses=_("; ").join(clauses))


@dataclass
class ComparisonSummary:
    """The parts of a comparison's summary: the verdict sentences (``key``: the reference's
    ranking and one per other rule), how verdicts are made, and warnings and notes."""

    key: list[str]
    method: str
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def sentences(self) -> list[str]:
        return [s for s in (*self.key, self.method, *self.warnings, *self.notes) if s]


def comparison_summary(
    table: pd.DataFrame,
    rules: Sequence[str],
    worlds: Sequence[str],
    reps: object,
    own_worlds: bool = False,
) -> ComparisonSummary:
    """The reference's ranking in a sentence, one sentence per other rule (its verdicts against
    the reference, over every world), how verdicts are made (``own_worlds``: each rule ran in a
    world of its own, :func:`perfsim.scenario.worlds.other_worlds`), a warning naming each rule whose
    best response did not always converge and one per rule not judged on the true-top metrics
    (another top-grade quota), and which metrics are left out."""
    reference, many = rules[0], len(worlds) > 1
    first = table[(table["world"] == worlds[0]) & (table["rule"] == reference)]
    same = identical_metrics(table, reference)
    key = run_sentences(reference, first)[:1]
    key += [_rule_sentence(table, reference, r, many, set(same)) for r in rules[1:]]
    # every rule the same as the reference: no verdict to explain, no metric to single out
    alike = all_alike(table, same)
    method = "cmp.method_worlds" if own_worlds else "cmp.method"
    out = ComparisonSummary(key, "" if alike else say(method, reps=reps, example=_example(table)))
    warning = _unconverged(table)
    if warning:
        out.warnings.append(warning)
    out.warnings += _not_comparable(table, rules[1:])
    judged = table["verdict"].astype(str).isin(JUDGED)
    if (judged & table["metric"].astype(str).str.startswith("rater_reliability:")).any():
        out.notes.append(say("note.rater_reliability"))
    defined = set(table.loc[[finite(v) for v in table["mean"]], "metric"])
    undefined = [m for m in same if metric_registry.better(m) and m not in defined]
    identical = [m for m in same if metric_registry.better(m) and m in defined]
    if undefined:
        out.notes.append(
            say("note.undefined_everywhere", items=_(", ").join(map(metric_name, undefined)))
        )
    if identical and not alike:
        out.notes.append(
            say("note.same_everywhere", items=_(", ").join(map(metric_name, identical)))
        )
    return out


def comparison_sentences(
    table: pd.DataFrame,
    rules: Sequence[str],
    worlds: Sequence[str],
    reps: object,
    own_worlds: bool = False,
) -> list[str]:
    """:func:`comparison_summary` as a list of sentences (for the terminal)."""
    return comparison_summary(table, rules, worlds, reps, own_worlds).sentences


def _example(table: pd.DataFrame) -> str:
    """ "0.02 for rank fidelity (Kendall τ)": a smallest difference that matters, for the method
    sentence."""
    for metric in ("kendall_tau", "welfare_loss", "gaming_share"):
        rows = table[table["metric"] == metric]
        value = float(rows["min_diff"].iloc[0]) if "min_diff" in rows and len(rows) else math.nan
        if not finite(value):
            value = metric_registry.min_difference(metric)
        if finite(value):
            return say(
                "cmp.example",
                amount=amount(metric, value, difference=True),
                metric=metric_label(metric),
            )
    return ""


def _not_comparable(table: pd.DataFrame, rules: Sequence[str]) -> list[str]:
    """A note per rule with metrics not judged against the reference because the rule's
    top-grade quota counts another group of true top units."""
    notes = []
    for rule in rules:
        rows = table[(table["rule"] == rule) & (table["verdict"].astype(str) == "not comparable")]
        if len(rows):
            items = join([metric_label(str(m)) for m in dict.fromkeys(rows["metric"])])
            notes.append(say("note.not_comparable", rule=rule, items=items))
    return notes


def _unconverged(table: pd.DataFrame) -> str:
    """A warning naming each rule (and world) whose best response did not always settle."""
    rows = table[(table["metric"] == "converged_share") & (table["mean"].astype(float) < 1)]
    if not len(rows):
        return ""
    many = table["world"].nunique() > 1
    items = [
        say(
            "warn.unconverged_item",
            rule=say("warn.rule_world", rule=r.rule, world=r.world) if many else str(r.rule),
            share=pct(float(r.mean)),
        )
        for r in rows.itertuples(index=False)
    ]
    return say("warn.unconverged_rules", items=join(items))
