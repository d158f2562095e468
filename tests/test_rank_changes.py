"""Rank changes between rules compare rankings of the same scope (within class vs over all units)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from perfsim.empirical import analyze
from perfsim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "scenarios" / "data"
UNITS = DATA / "hangzhou-2011-units.csv"
BASE = "杭州 2011 综合考评 (市直单位)"


def _within_class_ranks(totals: pd.Series, classes: pd.Series) -> pd.Series:
    """Competition ranks (1 = best, ties share the smallest) within each class, by pandas."""
    return totals.groupby(classes).rank(method="min", ascending=False).astype(int)


def _wide(*variants: list[str]) -> pd.DataFrame:
    rules = [load_scenario("hangzhou-2011", v) for v in variants]
    return analyze(UNITS, rule="hangzhou-2011", compare=rules, id_column="department").rank_changes


def test_a_scope_change_alone_moves_nobody_and_the_bottom_unit_cannot_leap():
    """Ranking within class with the same totals keeps every unit's place within its class: the
    last unit of all (66th) is compared by its rank within its class, not by 66 − class rank."""
    changes = _wide(["rule.grading.scope=within_class"])
    name = next(c for c in changes.columns if c.startswith("change:"))
    np.testing.assert_array_equal(changes[name], 0)
    bottom = changes.loc[changes[BASE].idxmax()]
    assert bottom[BASE] == 66
    assert bottom[name.removeprefix("change:")] < 66  # its own (within-class) rank
    assert bottom[name] == 0


@pytest.mark.filterwarnings("ignore::perfsim.scoring.QuotaBandWarning")
@pytest.mark.parametrize("share", [0.3, 0.4, 0.6])
def test_changes_between_scopes_are_within_class_rank_differences(share):
    """A within-class alternative that also reweights the components: each change is the
    difference of the two rules' within-class ranks (computed here by pandas from the totals), so
    it never exceeds the class size − 1."""
    alt = [f"rule.components.社会评价.share={share}", "rule.grading.scope=within_class"]
    changes = _wide(alt).set_index("unit")
    name = next(c for c in changes.columns if c.startswith("change:"))
    alt_name = name.removeprefix("change:")
    units = pd.read_csv(UNITS, encoding="utf-8-sig").set_index("department")
    base = analyze(UNITS, rule="hangzhou-2011", id_column="department").scores.set_index("unit")
    classes = units["class"].reindex(changes.index)
    base_within = _within_class_ranks(base["total"].reindex(changes.index), classes)
    np.testing.assert_array_equal(changes[BASE + " (within class)"], base_within)
    np.testing.assert_array_equal(changes[name], base_within - changes[alt_name])
    sizes = classes.map(classes.value_counts())
    assert (changes[name].abs() <= sizes - 1).all()
    assert changes[name].abs().max() > 0  # the reweighting does move units within their class


def test_changes_between_global_rankings_are_global():
    changes = _wide(["rule.components.社会评价.share=0.4"])
    assert not any(c.endswith("(within class)") for c in changes.columns)
    np.testing.assert_array_equal(
        changes["change:杭州 2011 综合考评 (市直单位) (2)"],
        changes[BASE] - changes["杭州 2011 综合考评 (市直单位) (2)"],
    )


def test_long_ratings_table_compares_within_class():
    result = analyze(
        DATA / "hangzhou-2011-pilot-ratings.csv.gz",
        rule="hangzhou-2011",
        units=DATA / "hangzhou-2011-pilot-units.csv",
        compare=[load_scenario("hangzhou-2011", ["rule.grading.scope=within_class"])],
        reps=5,
        calibrate_world=False,
    )
    changes = result.rank_changes
    name = next(c for c in changes.columns if c.startswith("change:"))
    np.testing.assert_array_equal(changes[name], 0)
    within = _within_class_ranks(
        result.scores.set_index("unit")["total"].reindex(changes["unit"]).reset_index(drop=True),
        changes["unit_class"],
    )
    np.testing.assert_array_equal(changes[BASE + " (within class)"], within)


def test_the_quota_band_note_of_an_analysis():
    """A 优秀 quota of 50 % without a threshold grades units under the 良好 threshold 优秀: the
    analysis of the ratings says so in its notes, naming them."""
    result = analyze(
        DATA / "hangzhou-2011-pilot-ratings.csv.gz",
        rule=load_scenario("hangzhou-2011", ["rule.grading.quota.优秀=0.5"]),
        units=DATA / "hangzhou-2011-pilot-units.csv",
        reps=5,
        calibrate_world=False,
    )
    s = result.scores
    below = s[(s["grade"] == "优秀") & (s["total"] < 90)]
    assert len(below) > 0
    (note,) = [n for n in result.notes if "has a quota but no threshold" in n]
    assert f"{len(below)} department(s) graded 优秀" in note
    assert all(u in note for u in below["unit"].head(10))
