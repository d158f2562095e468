"""Sections of the report of a comparison folder: the verdicts in words, the metrics table of each
world, robustness across assumed worlds."""

from __future__ import annotations

import pandas as pd

from ... import metric_registry
from ...i18n import gettext as _
from ...i18n import metric_description, metric_name, metric_unit, ngettext, value
from ..document import Document, Table
from ..numbers import diff_interval, finite, num, pcts, pm
from ..rules import short_world
from ..runs import RunFolder
from ..summary import comparison_summary
from .run import weights_sentence

__all__ = [
    "comparison_metrics_section",
    "grade_distribution",
    "grade_sentences",
    "reweighted",
    "robustness_section",
]


def _summary(doc: Document, run: RunFolder) -> None:
    """The sentences of ``perfsim compare`` (:mod:`..summary`): verdicts and warnings in the
    "In short" boxes, then how verdicts are made, notes and a sentence on effective weights."""
    parts = comparison_summary(
        run.comparison, run.rules, run.worlds, run.metadata.get("reps"), run.own_worlds
    )
    weighted = reweighted(run.rules, run.scenarios)
    for para in parts.key + grade_sentences(run.rules, run.confusion, weighted) + parts.warnings:
        doc.add("summary", para)
    for para in [parts.method, *parts.notes, weights_sentence(run, run.reference)]:
        if para:
            doc.add("p", para)


def _caption(run: RunFolder) -> str:
    """The metrics table's caption: how the replications are paired."""
    if run.own_worlds:
        return _(
            "Difference = rule − reference, paired over replications (each rule in its own "
            "plan's world); verdict by the metric's better direction (▲ better, ▼ worse)."
        )
    return _(
        "Difference = rule − reference, paired over replications (common random numbers); "
        "verdict by the metric's better direction (▲ better, ▼ worse)."
    )


def comparison_metrics_section(doc: Document, run: RunFolder) -> None:
    t = run.comparison
    ref = run.reference
    doc.add("h2", _("Results"), "results")
    _summary(doc, run)
    for i, world in enumerate(run.worlds):
        if len(run.worlds) > 1:
            doc.add(
                "h3",
                _("Metrics in world {world}").format(world=short_world(world)),
                f"metrics-w{i}",
            )
        sub = t[t["world"] == world]
        header = [
            _("metric"),
            _("unit"),
            _("better side"),
            _("{rule} (reference): mean ± se").format(rule=ref),
        ]
        # with three or more other rules, each one's mean, difference and verdict share a cell
        # (one line each), so that the table keeps to a page's width
        compact = len(run.rules) > 3
        for rule in run.rules[1:]:
            header += (
                [_("{rule}: mean ± se; difference [95 % interval]; verdict").format(rule=rule)]
                if compact
                else [
                    _("{rule}: mean ± se").format(rule=rule),
                    _("{rule}: difference [95 % interval]").format(rule=rule),
                    _("verdict"),
                ]
            )
        rows, classes = [], []
        for metric in dict.fromkeys(sub["metric"]):
            g = sub[sub["metric"] == metric].set_index("rule")
            if ref not in g.index:
                continue
            direction = str(g.loc[ref, "direction"] or metric_registry.better(str(metric)))
            row = [
                metric_name(str(metric)),
                metric_unit(str(metric), "") or "–",
                value(direction),
                pm(g.loc[ref, "mean"], g.loc[ref, "se"]),
            ]
            cls = ["", "", "", "num"]
            for rule in run.rules[1:]:
                if rule not in g.index:
                    row += ["–"] if compact else ["–", "–", "–"]
                    cls += ["num"] if compact else ["num", "num", ""]
                    continue
                r = g.loc[rule]
                verdict = str(r["verdict"] or "")
                mark = verdict if verdict in ("better", "worse") else ""
                cells = [
                    pm(r["mean"], r["se"]),
                    diff_interval(r["diff"], r["diff_se"], r["diff_low"], r["diff_high"]),
                    value(verdict),
                ]
                if compact:
                    row.append("\n".join(c for c in cells if c))
                    cls.append(f"num {mark}".strip())
                else:
                    row += cells
                    cls += ["num", "num", mark]
            rows.append(row)
            classes.append(cls)
        doc.add("table", Table(header, rows, classes, _caption(run), "metrics"))
    grade_distribution(doc, run)
    metrics = list(dict.fromkeys(t["metric"]))
    doc.add("h3", _("What the metrics mean"))
    doc.add("ul", [f"{metric_name(str(m))}: {metric_description(str(m)) or '—'}" for m in metrics])


#: a band whose share of units moves by this much against the reference is said in words, and
#: so is one that moves by :data:`BAND_SHIFT_SMALL` or more when that is a :data:`BAND_RELATIVE`
#: part of its share or more (a quota of 15 % cut to 10 %: 5 points, a third of the band)
BAND_SHIFT, BAND_SHIFT_SMALL, BAND_RELATIVE = 0.10, 0.03, 0.25
#: a band holding this share of units or more under a rule: the grades hardly tell units apart
CROWDED = 0.9


def grade_shares(rules: list[str], confusion: dict[str, pd.DataFrame]) -> tuple[dict, list]:
    """Each rule's share of units in each grade (the column sums of each run's grade
    ``confusion``, by rule; the first rule is the reference) and the bands, or ({}, []) when fewer
    than two rules have one."""
    shares = {r: confusion[r].sum(axis=0) for r in rules if r in confusion}
    if len(shares) < 2 or rules[0] not in shares:
        return {}, []
    return shares, list(dict.fromkeys(b for s in shares.values() for b in s.index))


def reweighted(rules: list[str], raw: dict[str, dict]) -> set[str]:
    """The rules (after the first, the reference) whose component shares or indicator weights
    differ from the reference's, from each rule's resolved scenario ``raw`` (by rule)."""

    def weights(rule: str) -> tuple:
        table = (raw.get(rule) or {}).get("rule", {})
        parts = table.get("components", {})
        shares = {k: v.get("share") for k, v in parts.items() if isinstance(v, dict)}
        return shares, table.get("weights")

    return {r for r in rules[1:] if r in raw and weights(r) != weights(rules[0])}


def _moved(old: float, new: float) -> bool:
    """Whether a band's share of units moved enough to be said (:data:`BAND_SHIFT`)."""
    change = abs(new - old) + 1e-9  # (shares are counts over a total: 0.2 − 0.15 may round down)
    small = change >= BAND_SHIFT_SMALL and change >= BAND_RELATIVE * max(old, new)
    return change >= BAND_SHIFT or small


def grade_sentences(
    rules: list[str], confusion: dict[str, pd.DataFrame], weighted: set[str] | None = None
) -> list[str]:
    """A sentence naming every band whose share of units moves enough against the reference
    (:data:`BAND_SHIFT`: raising one component's share can move the totals past a fixed
    threshold and empty a band, which no metric of the table says, and which makes more units
    "graded as deserved" in the confusion figure; a quota changed moves its band), and one per
    rule that puts :data:`CROWDED` of units or more in one band. They stand in the "In short"
    boxes: the verdicts rest on them. The advice to judge a change of weights under fixed score
    lines is given when a rule whose grades moved is in ``weighted`` (:func:`reweighted`; None:
    whenever grades move). ``rules`` and ``confusion`` as :func:`grade_shares` takes them."""
    shares, bands = grade_shares(rules, confusion)
    if not shares:
        return []
    ref, said, out, moved = shares[rules[0]], [], [], []
    for rule in rules[1:]:
        moves = []
        for band in bands:
            old, new = float(ref.get(band, 0.0)), float(shares.get(rule, ref).get(band, 0.0))
            if _moved(old, new):
                old_s, new_s = pcts([old, new], 2)  # (to the same places, as the table)
                moves.append(_("{band} {old} → {new}").format(band=band, old=old_s, new=new_s))
        if moves:
            said.append(_("under {rule}, {moves}").format(rule=rule, moves=_(", ").join(moves)))
            moved.append(rule)
    if said:
        out.append(
            _("The grades move, in shares of units against {ref}: {changes}.").format(
                ref=rules[0], changes=_("; ").join(said)
            )
        )
    if said and (weighted is None or weighted.intersection(moved)):
        out.append(
            _(
                "Departments respond to where the grade lines fall, so these verdicts include "
                "the move of the grades, not only the change the rule names; to judge a change "
                "of weights alone, add a variant whose score lines keep each grade's share "
                "(scenario guide, scenarios/README.md: 'Comparing weights under fixed score "
                "lines')."
            )
        )
    for rule, s in shares.items():
        band = s.idxmax() if len(s) > 1 else None
        if band is not None and float(s[band]) >= CROWDED:
            out.append(
                _(
                    "Under {rule}, {share} of units are graded {band}: the grades hardly tell "
                    "units apart, and metrics of grading (such as the share graded as deserved) "
                    "look good for that reason alone."
                ).format(rule=rule, share=pcts([float(s[band])], 2)[0], band=band)
            )
    return out


def grade_distribution(doc: Document, run: RunFolder) -> None:
    """The share of units in each grade under each rule (the sentences of
    :func:`grade_sentences` stand in the "In short" boxes above)."""
    shares, bands = grade_shares(run.rules, run.confusion)
    if not shares:
        return
    rows = [
        [rule, *pcts([float(s.get(b, 0.0)) for b in bands], digits=2)] for rule, s in shares.items()
    ]
    doc.add("h3", _("Grade distribution"), "grades")
    caption = _(
        "Share of department-replications given each grade under each rule{where}. The grade "
        "confusion figure compares each rule with its own band sizes: a rule that puts most units "
        "in one band grades most of them as deserved, so read the two together."
    ).format(
        where=_(" (world {world})").format(world=short_world(run.worlds[0]))
        if len(run.worlds) > 1
        else ""
    )
    doc.add("table", Table([_("rule"), *bands], rows, None, caption, "grades"))


def robustness_section(doc: Document, run: RunFolder) -> None:
    r = run.robustness
    if r is None or not len(r):
        return
    doc.add("h2", _("Robustness across assumptions"), "robustness")
    doc.add(
        "p",
        _(
            "Every rule ran in every assumed world. Worst case: the rule's worst mean over the "
            "worlds; regret in a world: its distance from the best rule there (in the metric's "
            "units). A robust rule has a small maximum regret; the smallest in each metric is "
            "underlined."
        ),
    )
    rows, classes = [], []
    wins: dict[str, int] = dict.fromkeys(run.rules, 0)
    for metric, g in r.groupby("metric", sort=False):
        best, differs = g["max_regret"].min(), g["max_regret"].max() > 0
        for row in g.itertuples(index=False):
            is_best = bool(differs and finite(row.max_regret) and row.max_regret == best)
            wins[row.rule] = wins.get(row.rule, 0) + int(is_best)
            rows.append(
                [
                    metric_name(str(metric)),
                    str(row.rule),
                    value(str(row.direction)),
                    num(row.worst),
                    num(row.max_regret),
                    num(row.mean_regret),
                ]
            )
            classes.append(["", "", "", "num", "num best" if is_best else "num", "num"])
    doc.add(
        "table",
        Table(
            [
                _("metric"),
                _("rule"),
                _("better side"),
                _("worst case"),
                _("max regret"),
                _("mean regret"),
            ],
            rows,
            classes,
            "",
            "robustness",
        ),
    )
    ranked = [(rule, n) for rule, n in sorted(wins.items(), key=lambda kv: -kv[1]) if n > 0]
    if ranked:
        doc.add(
            "p",
            _("Smallest maximum regret (on metrics where the rules differ): {rules}.").format(
                rules=_(", ").join(
                    ngettext("{rule} on {n} metric", "{rule} on {n} metrics", n).format(
                        rule=rule, n=n
                    )
                    for rule, n in ranked
                )
            ),
        )
