"""Scoring real tables: the pipeline end to end, and located errors for bad data."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from perfsim import score
from perfsim.cli import main
from perfsim.rules.pipeline import compile_rule, evaluate
from perfsim.scenario import DataError, load_scenario


def _table(n: int = 8, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "department": [f"d{i}" for i in range(n)],
            "class": ["A", "B"] * (n // 2),
            "职责履行": rng.uniform(60, 100, n).round(2),
            "公共服务": rng.uniform(1, 10, n).round(2),
            "社会评价": rng.uniform(35, 45, n).round(2),
            "领导考评": rng.uniform(70, 100, n).round(2),
        }
    )


def test_total_is_the_share_weighted_mix_of_hand_computed_components(minimal_file):
    t = _table()
    out = score(t, minimal_file).set_index("department").loc[t["department"]]
    x1, x2 = t["职责履行"].to_numpy(), t["公共服务"].to_numpy()
    z1 = 60 + 40 * (x1 - x1.min()) / (x1.max() - x1.min())
    z2 = 60 + 40 * (x2.max() - x2) / (x2.max() - x2.min())  # cost indicator
    target = 0.3 * z1 + 0.7 * z2
    social = t["社会评价"].to_numpy() * 100 / 50
    total = 0.45 * target + 0.5 * social + 0.05 * t["领导考评"].to_numpy()
    np.testing.assert_allclose(out["目标考核"], target)
    np.testing.assert_allclose(out["社会评价"], social)
    np.testing.assert_allclose(out["total"], total)
    order = np.argsort(-total, kind="stable")
    assert list(out.index[order]) == list(score(t, minimal_file)["department"])


def test_quota_and_threshold_grades(minimal_file):
    out = score(_table(8), minimal_file)
    assert (out["grade"] == "优秀").sum() == 2  # floor(0.25 * 8)
    assert set(out.loc[out["total"] < 60, "grade"]) <= {"不合格"}
    assert list(out["rank"]) == sorted(out["rank"])


def test_within_class_grading_ranks_each_class_separately(minimal_file):
    rule = load_scenario(minimal_file, ['rule.grading.scope="within_class"']).rule
    out = score(_table(12), rule)
    for _, group in out.groupby("class"):
        assert sorted(group["rank"]) == list(range(1, 7))
        assert (group["grade"] == "优秀").sum() == 1  # floor(0.25 * 6)


def test_batch_evaluation_equals_one_table_at_a_time(minimal_file):
    compiled = compile_rule(load_scenario(minimal_file).rule)
    rng = np.random.default_rng(3)
    x = rng.uniform(1, 100, size=(4, 10, 2))
    cols = rng.uniform(30, 50, size=(4, 10, 2))
    batch = evaluate(compiled, x, columns=cols)
    for r in range(4):
        one = evaluate(compiled, x[r], columns=cols[r])
        np.testing.assert_allclose(batch.total[r], one.total)
        np.testing.assert_array_equal(batch.grade[r], one.grade)


def test_veto_and_capped_bonus(minimal_file, tmp_path, capsys):
    text = (
        minimal_file.read_text(encoding="utf-8")
        + """
[rule.adjustments."创新创优"]
kind = "bonus"
cap = 2
[rule.adjustments."扣分"]
kind = "deduction"
[rule.veto]
columns = ["一票否决"]
"""
    )
    f = tmp_path / "r.toml"
    f.write_text(text, encoding="utf-8")
    t = _table(8)
    t["创新创优"] = ["5", "1", "", "", "", "", "", ""]
    t["扣分"] = ["0", "0", "3", "", "", "", "", ""]
    t["一票否决"] = ["是", "", "false", "0", "no", "", "", ""]
    out = score(t, f).set_index("department")
    assert out.loc["d0", "adjustment"] == pytest.approx(2.0)  # capped at 2
    assert out.loc["d1", "adjustment"] == pytest.approx(1.0)
    assert out.loc["d2", "adjustment"] == pytest.approx(-3.0)
    assert out.loc["d0", "grade"] == "不合格"  # vetoed whatever its score
    assert out["vetoed"].tolist() == [d == "d0" for d in out.index]  # and the table says why
    assert list(out.columns).index("vetoed") == list(out.columns).index("grade") + 1
    data = tmp_path / "t.csv"
    t.to_csv(data, index=False)
    assert main(["score", str(data), "--rule", str(f), "--out", str(tmp_path / "s.csv")]) == 0
    assert "(1 of them by the one-vote veto, whatever the score)" in capsys.readouterr().out
    written = (tmp_path / "s.csv").read_text(encoding="utf-8-sig")
    assert not re.search(r"\.\d{11,}", written)  # no binary floating-point tails
    back = pd.read_csv(tmp_path / "s.csv", encoding="utf-8-sig").set_index("department")
    np.testing.assert_allclose(back["total"], out["total"], atol=1e-9)
    assert (out["grade"] == "优秀").sum() == 2  # the vetoed unit's quota slot passes on
    np.testing.assert_allclose(out["total"], out["mixed"] + out["adjustment"])


def test_rewards_follow_the_grade(minimal_file, tmp_path):
    f = tmp_path / "r.toml"
    f.write_text(
        minimal_file.read_text(encoding="utf-8")
        + '[rule.rewards."优秀"]\nbonus = 3\nbudget_factor = 1.1\n',
        encoding="utf-8",
    )
    out = score(_table(8), f)
    top = out["grade"] == "优秀"
    assert (out.loc[top, "bonus"] == 3).all() and (out.loc[~top, "bonus"] == 0).all()
    assert (out.loc[top, "budget_factor"] == 1.1).all() and (
        out.loc[~top, "budget_factor"] == 1
    ).all()


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda t: t.drop(columns=["公共服务"]), "missing column '公共服务'"),
        (lambda t: t.rename(columns={"公共服务": "公共服物"}), "did you mean '公共服物'"),
        (
            lambda t: t.assign(公共服务=["abc"] + list(t["公共服务"][1:])),
            "line 2, column '公共服务': 'abc' is not a number",
        ),
        (
            lambda t: t.assign(职责履行=list(t["职责履行"][:3]) + [""] + list(t["职责履行"][4:])),
            "line 5, column '职责履行': is empty",
        ),
        (
            lambda t: t.assign(department=["d0", "d1", "d0"] + list(t["department"][3:])),
            "line 4, column 'department': department 'd0' appears twice (also on line 2)",
        ),
        (lambda t: t.drop(columns=["department"]), "missing column 'department'"),
        (lambda t: t.iloc[:0], "no rows"),
    ],
)
def test_bad_tables_name_the_row_and_column(minimal_file, mutate, expected):
    with pytest.raises(DataError) as info:
        score(mutate(_table(8).astype(str)), minimal_file)
    assert expected in str(info.value)


def test_unknown_class_and_missing_class_column(minimal_file):
    rule = load_scenario(minimal_file, ['rule.grading.scope="within_class"']).rule
    t = _table(8).astype(str)
    t.loc[2, "class"] = "C"
    with pytest.raises(
        DataError, match="line 4, column 'class': 'C' is not a class of the rule; allowed: A, B"
    ):
        score(t, rule)
    with pytest.raises(DataError, match="column 'class' is missing"):
        score(_table(8).drop(columns=["class"]), rule)


def test_reads_csv_files_with_bom_and_names_the_file(minimal_file, tmp_path):
    f = tmp_path / "data.csv"
    _table(8).to_csv(f, index=False, encoding="utf-8-sig")
    assert len(score(f, minimal_file)) == 8
    bad = tmp_path / "bad.csv"
    _table(8).drop(columns=["公共服务"]).to_csv(bad, index=False)
    with pytest.raises(DataError, match=f"{bad}: missing column"):
        score(bad, minimal_file)


@pytest.mark.parametrize("n, slips", [(10, 1), (20, 2), (40, 3), (40, 4)])
def test_a_few_negative_values_among_positive_ones_are_named_and_still_scored(
    minimal_file, n, slips
):
    from perfsim.scoring import SuspectValueWarning

    t = _table(n, seed=n + slips)
    rows = np.random.default_rng(slips).choice(n, slips, replace=False)
    t.loc[rows, "公共服务"] = -t.loc[rows, "公共服务"]
    with pytest.warns(SuspectValueWarning) as caught:
        out = score(t, minimal_file)
    (message,) = [str(w.message) for w in caught if w.category is SuspectValueWarning]
    assert "column '公共服务'" in message and f"the other {n - slips} values" in message
    for row in sorted(rows)[:5]:
        assert f"line {row + 2} (" in message
    assert np.isfinite(out["total"]).all()


@pytest.mark.parametrize(
    "overrides, share",
    [
        ([], 0.2),  # many negatives: a variable that takes both signs, not a slip
        (["rule.indicators.公共服务.bad=-5"], 0.1),  # the rule itself expects negative values
    ],
)
def test_negative_values_the_rule_or_the_data_expect_raise_no_warning(
    minimal_file, overrides, share
):
    import warnings

    from perfsim.scoring import SuspectValueWarning

    rule = load_scenario(minimal_file, overrides).rule
    t = _table(20)
    t.loc[: int(share * 20) - 1, "公共服务"] *= -1
    with warnings.catch_warnings():
        warnings.simplefilter("error", SuspectValueWarning)
        score(t, rule)


@pytest.mark.parametrize("n, slips", [(10, 1), (30, 2), (40, 4)])
def test_a_percentage_typed_as_a_fraction_is_named_and_still_scored(minimal_file, n, slips):
    """职责履行 holds percentages (60–100); 0.995 for 99.5 % is an outlier that would stretch the
    min–max and move every department's score."""
    from perfsim.scoring import SuspectValueWarning

    t = _table(n, seed=n)
    rows = np.random.default_rng(slips).choice(n, slips, replace=False)
    t.loc[rows, "职责履行"] = t.loc[rows, "职责履行"] / 100
    with pytest.warns(SuspectValueWarning) as caught:
        score(t, minimal_file)
    (message,) = [str(w.message) for w in caught if w.category is SuspectValueWarning]
    assert "column '职责履行'" in message and "a percentage typed as a fraction" in message
    assert all(f"line {row + 2} (" in message for row in rows)


def test_small_values_that_fit_the_column_raise_no_warning(minimal_file):
    """公共服务 runs 1–10 here: a 0.5 among them is no fraction of a percentage."""
    import warnings

    from perfsim.scoring import SuspectValueWarning

    t = _table(20)
    t.loc[3, "公共服务"] = 0.5
    with warnings.catch_warnings():
        warnings.simplefilter("error", SuspectValueWarning)
        score(t, minimal_file)


def test_a_missing_column_is_never_told_to_be_one_the_rule_already_reads():
    from helpers import ROOT

    data = pd.read_csv(
        ROOT / "scenarios" / "data" / "hangzhou-2011-units.csv", encoding="utf-8-sig"
    )
    rule = str(ROOT / "scenarios" / "hangzhou-2011.toml")
    for col in data.columns:
        try:
            score(data.drop(columns=[col]), rule)
        except DataError as exc:
            text = str(exc)
            if "missing column" not in text:
                continue
            needed = text.split("the rule needs: ", 1)[1].split(";", 1)[0].split(", ")
            close = re.search(r"did you mean '([^']+)'", text)
            assert close is None or close[1] not in needed, text
    typo = data.rename(columns={data.columns[3]: data.columns[3] + "x"})
    with pytest.raises(DataError, match=f"did you mean '{re.escape(data.columns[3])}x'"):
        score(typo, rule)


def test_warnings_reach_a_user_whose_own_warning_filters_match_messages(minimal_file):
    """A filter on a message's text (``warnings.filterwarnings("ignore", message=…)``, as a notebook
    or pytest sets) is matched against each warning's text: the real table's warnings are warnings
    with a text, not a bare phrase the filter cannot read (a TypeError before)."""
    import warnings

    from helpers import ROOT

    from perfsim.scoring import QuotaBandWarning, SuspectValueWarning

    units = ROOT / "scenarios" / "data" / "hangzhou-2011-units.csv"
    alt = ["rule.components.社会评价.share=0.6", "rule.grading.scope=within_class"]
    t = _table(20, seed=3)
    t.loc[[2, 7], "公共服务"] *= -1
    for table, rule, category, named in [
        (units, load_scenario("hangzhou-2011", alt), QuotaBandWarning, units.name),
        (t, load_scenario(minimal_file), SuspectValueWarning, "column '公共服务'"),
    ]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            warnings.filterwarnings("ignore", message="some other library's warning")
            score(table, rule, id_column="department")
        said = [str(w.message) for w in caught if w.category is category]
        assert said and all(named in text for text in said), said


UNITS_CSV = "scenarios/data/hangzhou-2011-units.csv"


def _outcome(table, rule):
    """The scored table, or the error's message with its source left out."""
    try:
        return score(table, rule).reset_index(drop=True)
    except DataError as exc:
        return str(exc).split(": ", 1)[1]


@pytest.mark.parametrize(
    "cells",
    [
        {"公共服务": [3]},  # an indicator: an error naming its place
        {"创新创优": [3, 40]},  # a bonus column: blank is no bonus
        {"一票否决": [5]},  # a veto column: blank is no veto
        {"department": [3]},  # an id: empty
        {"department": [3, 4]},  # two empty ids: empty (not "appears twice")
        {"社会评价": [0], "创新创优": [1]},
    ],
)
def test_a_dataframe_with_missing_values_scores_as_the_file_with_blank_cells(tmp_path, cells):
    """A missing value of a pandas frame (NaN, None, pd.NA) is a blank cell: the same scores, or the
    same error, as the CSV file whose cells are left blank."""
    from helpers import ROOT

    frame = pd.read_csv(ROOT / UNITS_CSV, encoding="utf-8-sig")
    for column, rows in cells.items():
        frame[column] = frame[column].astype(object)
        frame.loc[rows, column] = [np.nan, None, pd.NA][: len(rows)]
    path = tmp_path / "units.csv"
    frame.to_csv(path, index=False)
    blank = pd.read_csv(path, dtype=str, keep_default_na=False) == ""
    assert blank.to_numpy().sum() == sum(len(rows) for rows in cells.values())
    rule = load_scenario("hangzhou-2011")
    from_file, from_frame = _outcome(path, rule), _outcome(frame, rule)
    if isinstance(from_file, str):
        assert from_frame == from_file
    else:
        pd.testing.assert_frame_equal(from_frame, from_file, check_dtype=False)


@pytest.mark.parametrize("ids", [range(1001, 1067), [f"U{i:03d}" for i in range(66)]])
def test_the_ids_come_back_as_given_so_the_scores_merge_onto_the_table(ids):
    """An integer id column stays integer (it read as text before: the merge failed), and each id
    keeps its own row's scores, whatever the frame's index."""
    from helpers import ROOT

    frame = pd.read_csv(ROOT / UNITS_CSV, encoding="utf-8-sig")
    frame.insert(0, "uid", list(ids))
    frame.index = np.arange(len(frame))[::-1] * 7  # not 0 … n − 1
    rule = load_scenario("hangzhou-2011")
    out = score(frame, rule, id_column="uid")
    assert out["uid"].dtype == frame["uid"].dtype
    merged = frame.merge(out[["uid", "total", "grade"]], on="uid", validate="one_to_one")
    by_name = score(ROOT / UNITS_CSV, rule).set_index("department")
    np.testing.assert_array_equal(
        merged["total"], by_name.loc[merged["department"], "total"].to_numpy()
    )


@pytest.mark.parametrize(
    ("unit", "kind"), [("单位名称", "单位类别"), ("被考评单位", "类别"), ("unit", "unit_class")]
)
def test_a_table_with_the_unit_and_class_columns_a_chinese_office_writes_scores_alike(unit, kind):
    """The ratings table took 单位名称 and 单位类别; a wide table stopped at "missing column
    'department'", then at "column 'class' is missing"."""
    from helpers import ROOT

    data = pd.read_csv(ROOT / UNITS_CSV, encoding="utf-8-sig")
    rule = str(ROOT / "scenarios" / "hangzhou-2011.toml")
    plain = score(data, rule)
    named = score(data.rename(columns={"department": unit, "class": kind}), rule)
    assert list(named.columns[:2]) == [unit, kind]  # the user's headers, kept
    pd.testing.assert_frame_equal(named.rename(columns={unit: "department", kind: "class"}), plain)
    both = data.rename(columns={"department": "单位"}).assign(单位名称=data["department"])
    with pytest.raises(DataError, match="missing column 'department'"):
        score(both, rule)  # two columns it could be: neither is guessed


def test_an_id_column_the_user_names_is_never_replaced_by_a_guess():
    """--id-column 编码 on a table with 单位名称 and no 编码 scored quietly by 单位名称."""
    from helpers import ROOT

    data = pd.read_csv(ROOT / UNITS_CSV, encoding="utf-8-sig").rename(
        columns={"department": "单位名称", "class": "单位类别"}
    )
    rule = str(ROOT / "scenarios" / "hangzhou-2011.toml")
    with pytest.raises(DataError, match="missing column '编码'"):
        score(data, rule, id_column="编码")
    with pytest.raises(DataError, match="column '组别' is missing"):
        score(data, load_scenario("hangzhou-2011", ["rule.grading.scope=within_class"]).rule,
              class_column="组别")  # fmt: skip


def test_score_uses_the_rule_alone_whatever_the_world_says(tmp_path, capsys):
    """The README says a scenario's [world] is ignored by perfsim score, yet a TOPSIS or Borda
    rule was refused because the world's departments respond by best response, and
    ``--set world.departments=1`` stopped the scoring of a real table."""
    from helpers import ROOT

    from perfsim.cli import main

    data = str(ROOT / "scenarios" / "data" / "hangzhou-2011-units.csv")
    for extra in (["rule.aggregate.indicators=topsis"], ["rule.aggregate.components=borda"],
                  ["world.departments=1"]):  # fmt: skip
        out = tmp_path / f"{extra[0].split('=')[1]}.csv"
        args = ["score", data, "--rule", "hangzhou-2011", "--quiet", "--out", str(out)]
        assert main([*args, *(x for o in extra for x in ("--set", o))]) == 0, (
            capsys.readouterr().err
        )
        assert out.exists()
