"""The "In short" of an empirical report: what a pilot report would say first, read from the
folder's tables — how sure each unit's grade and rank are over the bootstrap, how reliable each
rater group's mean rating is, which groups rate more leniently or strictly, what the alternative
rules change, and which units the veto took out of the ranking."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...empirical.notes import listed
from ...i18n import gettext as _
from ...i18n import join_sentences, say
from ...results import EmpiricalRecord
from ...results.names import WITHIN_CLASS, EmpiricalFiles
from ..numbers import num, pct
from .reliability import MEASURES

__all__ = ["in_short"]

#: a unit gets its grade "for sure" at least this often over the bootstrap replicates …
SURE = 0.9
#: … and its grade is a toss-up below this
TOSS_UP = 2 / 3
#: a rater group's mean rating is mostly its raters, not the unit, below this reliability
RELIABLE = 0.5
#: the reliability of a group's mean rating, in this order of preference (reliability.csv)
_GROUP_MEASURES = ("icc2k", "icc1k")


def _names(names: list[str]) -> str:
    """The first five names and how many more, in the current language."""
    return say(listed(names, quoted=False))


def _grades(scores: pd.DataFrame) -> list[str]:
    bands = [c for c in scores.columns if c.startswith("p:")]
    if not bands or "grade" not in scores:
        return []
    own = np.full(len(scores), np.nan)  # each unit's chance of its own grade
    for column in bands:
        mine = (scores["grade"].astype(str) == column[2:]).to_numpy()
        own[mine] = pd.to_numeric(scores.loc[mine, column], errors="coerce")
    if not np.isfinite(own).any():
        return []
    sure = int((own >= SURE).sum())
    order = np.argsort(own, kind="stable")
    unsure = [str(scores["unit"].iloc[i]) for i in order if own[i] < TOSS_UP]
    fill = dict(sure=sure, units=len(scores), share=pct(SURE, 2), toss=pct(TOSS_UP, 2))
    if not unsure:
        return [
            _(
                "{sure} of {units} units get the same grade in at least {share} of the bootstrap "
                "replicates (other raters of the same groups), and no unit's grade is a toss-up "
                "(each gets its own in at least {toss})."
            ).format(**fill)
        ]
    return [
        _(
            "{sure} of {units} units get the same grade in at least {share} of the bootstrap "
            "replicates (other raters of the same groups); {count} could as well get another "
            "(their own in less than {toss}): {names}."
        ).format(count=len(unsure), names=_names(unsure), **fill)
    ]


def _ranks(scores: pd.DataFrame, level: object) -> list[str]:
    if not {"rank_low", "rank_high", "unit"} <= set(scores.columns) or not len(scores):
        return []
    width = pd.to_numeric(scores["rank_high"]) - pd.to_numeric(scores["rank_low"]) + 1
    widest = int(width.to_numpy().argmax())
    row = scores.iloc[widest]
    return [
        _(
            "The median unit's {level} bootstrap rank interval spans {median} places (from its "
            "lowest rank to its highest); the widest is {unit}'s, ranks {low}–{high}."
        ).format(
            median=num(float(width.median())),
            level=pct(float(level), 2) if isinstance(level, int | float) else "95 %",
            unit=row["unit"],
            low=int(row["rank_low"]),
            high=int(row["rank_high"]),
        )
    ]


def _reliability(frame: pd.DataFrame | None) -> list[str]:
    if frame is None or not len(frame):
        return []
    frame = frame.assign(estimate=pd.to_numeric(frame["estimate"], errors="coerce"))
    found = []  # (estimate, group, measure): each group's first defined measure
    for scope, rows in frame[frame["scope"].astype(str) != "overall"].groupby("scope", sort=False):
        for measure in _GROUP_MEASURES:
            value = rows.loc[rows["measure"] == measure, "estimate"].dropna()
            if len(value):
                found.append((float(value.iloc[0]), str(scope), MEASURES[measure]))
                break
    if not found:
        return []
    found.sort(key=lambda f: f[0])
    (low, worst, low_m), (high, best, high_m) = found[0], found[-1]
    said = _(
        "The mean rating of a rater group is as reliable as {low} ({worst}, {low_measure}) to "
        "{high} ({best}, {high_measure}): the share of the spread of its mean ratings that lies "
        "between the units, not between its raters."
    ).format(
        low=num(low, 2), worst=worst, low_measure=low_m,
        high=num(high, 2), best=best, high_measure=high_m,
    )  # fmt: skip
    if round(low, 2) < 0:  # (an ANOVA estimate below 0 is no share of anything)
        said = join_sentences(
            [
                said,
                _(
                    "A negative reliability means that a group's raters disagree about a unit "
                    "more than its mean ratings differ between units: read it as none."
                ),
            ]
        )
    weak = [group for value, group, _m in found if round(value, 2) < RELIABLE]
    if weak:
        below = _(
            "Below {reliable} ({groups}), more of a group's verdict on a unit comes from which "
            "raters it had than from the unit."
        ).format(reliable=num(RELIABLE), groups=_names(weak))
        said = join_sentences([said, below])
    return [said]


def _leniency(groups: pd.DataFrame | None) -> list[str]:
    if groups is None or not {"leniency", "leniency_se", "rater_group"} <= set(groups.columns):
        return []
    value = pd.to_numeric(groups["leniency"], errors="coerce")
    se = pd.to_numeric(groups["leniency_se"], errors="coerce")
    if not se.notna().any():  # (each group alone in its component: 0 by definition, no SE)
        return [
            _(
                "The rater groups' leniency cannot be compared: no two groups rate the same "
                "component (without a component column each group's ratings are a component of "
                "their own)."
            )
        ]
    clear = groups[(value.abs() > 1.96 * se) & se.notna()]
    if not len(clear):
        return [_("No rater group rates clearly more leniently or strictly than its component's "
                  "average rater (every 95 % interval includes 0).")]  # fmt: skip
    clear = clear.assign(leniency=pd.to_numeric(clear["leniency"]))
    up, down = clear[clear["leniency"] > 0], clear[clear["leniency"] < 0]
    parts = []
    if len(up):
        top = up.sort_values("leniency").iloc[-1]
        parts.append(
            _("{group} rate {points} points above their component's average rater").format(
                group=top["rater_group"], points=num(float(top["leniency"]), 2)
            )
        )
    if len(down):
        low = down.sort_values("leniency").iloc[0]
        parts.append(
            _("{group} rate {points} points below it").format(
                group=low["rater_group"], points=num(-float(low["leniency"]), 2)
            )
        )
    return [
        _(
            "Rater groups differ in leniency ({count} of {groups} clearly, 95 % intervals that "
            "exclude 0): {parts}."
        ).format(count=len(clear), groups=len(groups), parts=_("; ").join(parts))
    ]


def _variants(changes: pd.DataFrame | None, recorded: str | None) -> list[str]:
    if changes is None or "unit" not in changes:
        return []
    out = []
    for column in [c for c in changes.columns if c.startswith("change:")]:
        rule = column.split(":", 1)[1]
        change = pd.to_numeric(changes[column], errors="coerce")
        moved = int((change != 0).sum())
        within = any(  # one of the two ranks within class: a rule that ranks globally has
            str(c).endswith(WITHIN_CLASS)
            for c in changes.columns  # its within-class ranks
        ) and not all(f"{r}{WITHIN_CLASS}" in changes for r in (recorded, rule))  # beside it
        said = (
            _("Under {rule}, {moved} of {units} units change rank within their class")
            if within
            else _("Under {rule}, {moved} of {units} units change rank")
        ).format(rule=rule, moved=moved, units=len(changes))
        if moved:
            most = int(change.abs().to_numpy().argmax())
            said += _(" (by up to {places} places: {unit})").format(
                places=int(abs(change.iloc[most])), unit=changes["unit"].iloc[most]
            )
        grades = [f"grade:{r}" for r in (recorded, rule)]
        if recorded != rule and all(g in changes for g in grades):
            before, after = (changes[g].astype(str) for g in grades)
            moves = (before + " → " + after)[before != after]
            said += _(" and {regraded} change grade").format(regraded=len(moves))
            if len(moves):
                common = moves.value_counts()
                said += _(" ({count} of them {move})").format(
                    count=int(common.iloc[0]), move=common.index[0]
                )
        out.append(said + _("."))
    return out


def _vetoed(scores: pd.DataFrame) -> list[str]:
    if "vetoed" not in scores:
        return []
    vetoed = scores["vetoed"].astype(str).str.lower().isin(("true", "1", "1.0"))
    names = [str(u) for u in scores.loc[vetoed, "unit"]]
    if not names:
        return []
    return [
        _(
            "{count} units are vetoed (one-vote veto): they get the veto's grade whatever their "
            "ratings: {names}."
        ).format(count=len(names), names=_names(names))
    ]


def in_short(record: EmpiricalRecord) -> list[str]:
    """The sentences of the report's "In short", in the current language (empty: none to say)."""
    scores = record.table(EmpiricalFiles.SCORES)
    items: list[str] = []
    if scores is not None and len(scores):
        if record.metadata.get("graded", True):
            items += _grades(scores)
        else:  # (no quota, no threshold: one grade for all, which says nothing)
            items.append(
                _(
                    "The rule grades every unit alike (it has no quota and no threshold): its "
                    "grades say nothing about the units."
                )
            )
        items += _ranks(scores, record.metadata.get("level"))
    items += _reliability(record.table(EmpiricalFiles.RELIABILITY))
    items += _leniency(record.table(EmpiricalFiles.RATER_GROUPS))
    changes = record.table(EmpiricalFiles.RANK_CHANGES)
    recorded = None
    if changes is not None:
        rules = [c for c in changes.columns if c.startswith("grade:")]
        recorded = rules[0].split(":", 1)[1] if rules else None
    items += _variants(changes, recorded)
    if scores is not None:
        items += _vetoed(scores)
    return items
