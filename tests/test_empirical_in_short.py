"""The "In short" of an empirical report: sentences read from the folder's tables, checked here
against counts made directly from synthetic tables (grades, rank intervals, reliability, leniency,
alternative rules, vetoes), in English and in Chinese."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from perfsim.i18n import language
from perfsim.report.document import render_markdown
from perfsim.report.sections.empirical import empirical_document
from perfsim.report.sections.empirical_short import in_short
from perfsim.results import EmpiricalRecord
from perfsim.results.names import EmpiricalFiles


def _record(seed: int, units: int = 30, within: bool = False) -> tuple[EmpiricalRecord, dict]:
    """Tables of ``units`` units with random grade chances, rank intervals, groups and two
    alternative rules; returns the record and what the sentences must say, counted here."""
    rng = np.random.default_rng(seed)
    bands = ["优秀", "良好", "合格"]
    p = rng.dirichlet([0.4, 0.4, 0.4], units)
    grade = [bands[i] for i in p.argmax(axis=1)]
    low = rng.integers(1, units // 2, units)
    high = low + rng.integers(0, units // 2, units)
    names = [f"单位{i:02d}" for i in range(units)]
    vetoed = np.zeros(units, dtype=bool)
    vetoed[[3, 7]] = True
    scores = pd.DataFrame(
        {"unit": names, "grade": grade, "vetoed": vetoed, "rank_low": low, "rank_high": high}
        | {f"p:{b}": p[:, i] for i, b in enumerate(bands)}
    )
    groups = pd.DataFrame(
        {
            "rater_group": ["甲组", "乙组", "丙组", "丁组"],
            "leniency": [2.5, -1.8, 0.3, -4.0],
            "leniency_se": [0.5, 0.5, 0.5, 3.0],  # 丙组 and 丁组 within 1.96 se of 0
        }
    )
    reliability = pd.DataFrame(
        {
            "scope": ["甲组", "甲组", "乙组", "乙组", "丙组", "overall"],
            "measure": ["icc1k", "icc2k", "icc1k", "icc2k", "icc1k", "icc1k"],
            "estimate": [0.7, np.nan, 0.2, 0.81, 0.45, 0.99],
            "ci_low": np.nan,
            "ci_high": np.nan,
            "n_units": units,
            "n_raters": 9,
            "n_ratings": 9 * units,
            "design": "one-way random-effects ANOVA, unbalanced",
        }
    )
    rec, alt = "规则", "变体"
    ranks = np.arange(1, units + 1)
    moved = rng.permutation(ranks)
    change = ranks - moved
    alt_grade = [bands[min(2, bands.index(g) + (i % 4 == 0))] for i, g in enumerate(grade)]
    changes = pd.DataFrame(
        {"unit": names, rec: ranks, alt: moved, f"change:{alt}": change,
         f"grade:{rec}": grade, f"grade:{alt}": alt_grade}
    )  # fmt: skip
    if within:
        changes[f"{rec} (within class)"] = ranks
    own = p[np.arange(units), p.argmax(axis=1)]
    moves = pd.Series([f"{a} → {b}" for a, b in zip(grade, alt_grade, strict=True) if a != b])
    expected = {
        "sure": int((own >= 0.9).sum()),
        "unsure": int((own < 2 / 3).sum()),
        "median": float(np.median(high - low + 1)),
        "moved": int((change != 0).sum()),
        "most": int(np.abs(change).max()),
        "regraded": len(moves),
        "common": (int(moves.value_counts().iloc[0]), moves.value_counts().index[0]),
    }
    tables = {
        EmpiricalFiles.SCORES: scores,
        EmpiricalFiles.RATER_GROUPS: groups,
        EmpiricalFiles.RELIABILITY: reliability,
        EmpiricalFiles.RANK_CHANGES: changes,
    }
    return EmpiricalRecord({"units": units, "level": 0.95}, tables), expected


@pytest.mark.parametrize("seed", range(6))
def test_in_short_says_what_the_tables_hold(seed):
    record, want = _record(seed, units=20 + 7 * seed)
    items = in_short(record)
    units = 20 + 7 * seed
    grades, ranks, reliable, lenient, variant, vetoed = items
    assert grades.startswith(f"{want['sure']} of {units} units get the same grade")
    if want["unsure"]:
        assert f"; {want['unsure']} could as well get another" in grades
    else:
        assert "no unit's grade is a toss-up" in grades
    assert f"rank interval spans {want['median']:g} places" in ranks
    # each group by its first defined measure of ICC(2,k), ICC(1,k): 乙组 0.81, 甲组 0.7, 丙组 0.45
    assert "0.45 (丙组, ICC(1,k)) to 0.81 (乙组, ICC(2,k))" in reliable
    assert "Below 0.5 (丙组)" in reliable and "overall" not in reliable
    assert lenient.startswith("Rater groups differ in leniency (2 of 4 clearly")
    assert "甲组 rate 2.50 points above" in lenient and "乙组 rate 1.80 points below" in lenient
    assert "丁组" not in lenient  # 4 points, but within its interval of 0
    assert f"Under 变体, {want['moved']} of {units} units change rank (" in variant
    assert f"by up to {want['most']} places" in variant
    assert f"and {want['regraded']} change grade" in variant
    count, move = want["common"]
    assert f"({count} of them {move})" in variant
    assert vetoed.startswith("2 units are vetoed") and "单位03, 单位07" in vetoed


def test_in_short_in_chinese_and_within_class_and_at_the_top_of_the_report():
    record, want = _record(1, within=True)
    items = in_short(record)
    assert " units change rank within their class" in items[4]
    text = render_markdown(empirical_document(record))
    assert text.index("## In short") < text.index("## Scores")
    with language("zh"):
        zh = in_short(record)
        report = render_markdown(empirical_document(record))
    assert report.index("## 要点") < report.index("## 得分")
    assert zh[0].startswith(f"30 家单位中有 {want['sure']} 家") and zh[0].endswith("。")
    assert "在本类别内的排名发生变化" in zh[4]
    assert "2 家单位被一票否决" in zh[5] and "单位03、单位07" in zh[5]
    for line in zh:
        assert not any(w in line for w in ("units", "grade", "rater", "Under", "places")), line


def test_no_tables_no_sentences_and_no_section():
    record = EmpiricalRecord({"units": 3}, {})
    assert in_short(record) == []
    assert "## In short" not in render_markdown(empirical_document(record))


def test_groups_that_share_no_component_are_not_said_to_agree():
    """A ratings table without a component column gives each rater group a component of its own,
    where its leniency is 0 by definition (no SE): the "In short" said that no group rates more
    leniently than another (every interval includes 0); it says they cannot be compared."""
    record, _want = _record(3)
    groups = record.tables[EmpiricalFiles.RATER_GROUPS]
    alone = groups.assign(leniency=0.0, leniency_se=np.nan)
    record.tables[EmpiricalFiles.RATER_GROUPS] = alone
    said = " ".join(in_short(record))
    assert "leniency cannot be compared" in said and "No rater group rates" not in said
    record.tables[EmpiricalFiles.RATER_GROUPS] = alone.assign(leniency_se=[np.nan, 1, 1, 1])
    said = " ".join(in_short(record))  # (three groups share one: compared as before)
    assert "No rater group rates clearly" in said and "cannot be compared" not in said
    with language("zh"):
        record.tables[EmpiricalFiles.RATER_GROUPS] = alone
        assert "无法比较各评价主体的宽严" in " ".join(in_short(record))


def test_a_negative_reliability_is_said_to_mean_none():
    """Negative ICCs were read as a share ("from −0.14 to −0.07: the share of the spread … between
    the units"); a negative one is now said to mean none."""
    record, _want = _record(1)
    table = record.tables[EmpiricalFiles.RELIABILITY]
    record.tables[EmpiricalFiles.RELIABILITY] = table.assign(estimate=-table["estimate"].abs())
    said = " ".join(in_short(record))
    assert "A negative reliability means" in said and "read it as none" in said
    record.tables[EmpiricalFiles.RELIABILITY] = table
    assert "A negative reliability" not in " ".join(in_short(record))  # (0.2 to 0.81)
    with language("zh"):
        record.tables[EmpiricalFiles.RELIABILITY] = table.assign(estimate=-table["estimate"].abs())
        assert "信度为负" in " ".join(in_short(record))
