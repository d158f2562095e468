"""Quota rounding (floor / nearest / ceil), quotas as counts, and the empty-quota-table error."""

from __future__ import annotations

import math
import re
import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from perfsim import score, simulate
from perfsim.cli import main as cli
from perfsim.engine import build
from perfsim.rules.grade import assign_grades, band_counts, quota_band_floors, quota_count
from perfsim.scenario import DataError, ScenarioError, load_scenario
from perfsim.scoring import QuotaBandWarning
from perfsim.world.context import band_limits

ROOT = Path(__file__).resolve().parents[1]
UNITS = ROOT / "scenarios" / "data" / "hangzhou-2011-units.csv"
ROUNDINGS = ("floor", "nearest", "ceil")


def _exact(q: Fraction, n: int, rounding: str) -> int:
    """floor / round-half-up / ceil of the exact rational q·n (independent of the float code)."""
    x = q * n
    if rounding == "floor":
        return math.floor(x)
    if rounding == "ceil":
        return math.ceil(x)
    return math.floor(x + Fraction(1, 2))


# --- the count ----------------------------------------------------------------------------------


def test_66_units_at_015_give_9_10_10():
    assert [int(quota_count(0.15, 66, r)) for r in ROUNDINGS] == [9, 10, 10]
    # halves round up under nearest (四舍五入), in both directions of the float error
    assert int(quota_count(0.25, 6, "nearest")) == 2  # 1.5
    assert int(quota_count(0.15, 10, "nearest")) == 2  # 1.5, computed as 1.4999999999999998
    assert int(quota_count(0.15, 60, "floor")) == 9  # 8.999999999999998
    assert int(quota_count(0.1, 30, "ceil")) == 3  # 3.0000000000000004
    assert np.isnan(quota_count(np.nan, 10, "ceil"))
    with pytest.raises(ValueError, match="rounding"):
        quota_count(0.1, 10, "round")


@settings(max_examples=300, deadline=None)
@given(
    n=st.integers(1, 500),
    per_mille=st.integers(0, 1000),
    rounding=st.sampled_from(ROUNDINGS),
)
def test_count_is_the_exact_floor_round_half_up_or_ceil(n, per_mille, rounding):
    q = Fraction(per_mille, 1000)
    assert int(quota_count(per_mille / 1000, n, rounding)) == _exact(q, n, rounding)


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 400), k=st.integers(0, 400), rounding=st.sampled_from(ROUNDINGS))
def test_a_share_of_exactly_k_over_n_gives_k_whatever_the_rounding(n, k, rounding):
    k = min(k, n)
    assert int(quota_count(k / n, n, rounding)) == k


# --- grading with the count -----------------------------------------------------------------------


@st.composite
def graded(draw):
    n = draw(st.integers(1, 120))
    scores = draw(
        hnp.arrays(
            np.float64,
            (n,),
            elements=st.one_of(st.integers(0, 5).map(float), st.floats(-50, 50, allow_nan=False)),
        )
    )
    n_bands = draw(st.integers(2, 4))
    quotas = draw(st.lists(st.integers(0, 100), min_size=n_bands - 1, max_size=n_bands - 1))
    return scores, n_bands, np.array(quotas) / 100 / max(1, n_bands - 1)


def _tied_block_at(scores: np.ndarray, placed_mask: np.ndarray) -> int:
    """Size of the largest block of equal scores among the departments not yet placed."""
    rest = scores[~placed_mask]
    return int(np.unique(rest, return_counts=True)[1].max()) if rest.size else 0


@settings(max_examples=150, deadline=None)
@given(problem=graded(), rounding=st.sampled_from(ROUNDINGS))
def test_bands_never_exceed_the_count_and_fill_it_without_ties(problem, rounding):
    scores, n_bands, quotas = problem
    n = scores.size
    limits = [_exact(Fraction(q).limit_denominator(10_000), n, rounding) for q in quotas]
    g = assign_grades(scores, n_bands=n_bands, quotas=quotas, rounding=rounding)
    for band, lim in enumerate(limits):
        assert np.sum(g == band) <= lim
    # distinct scores: the best band holds exactly min(count, n)
    distinct = np.arange(n, dtype=float)[::-1]
    g = assign_grades(distinct, n_bands=n_bands, quotas=quotas, rounding=rounding)
    assert np.sum(g == 0) == min(limits[0], n)
    # ties="include": a band exceeds its count by less than the tied block straddling the cut-off
    inc = assign_grades(scores, n_bands=n_bands, quotas=quotas, rounding=rounding, ties="include")
    placed = np.zeros(n, dtype=bool)
    for band, lim in enumerate(limits):
        extra = max(0, _tied_block_at(scores, placed) - 1)
        assert np.sum(inc == band) <= lim + extra
        placed |= inc == band


@settings(max_examples=150, deadline=None)
@given(
    problem=graded(),
    rounding=st.sampled_from(ROUNDINGS),
    ties=st.sampled_from(["exclude", "include"]),
)
def test_counts_grade_as_the_shares_they_round_to(problem, rounding, ties):
    scores, n_bands, quotas = problem
    counts = band_counts(quotas, None, scores.size, rounding)
    by_share = assign_grades(scores, n_bands=n_bands, quotas=quotas, rounding=rounding, ties=ties)
    by_count = assign_grades(scores, n_bands=n_bands, counts=counts, ties=ties)
    np.testing.assert_array_equal(by_share, by_count)


@pytest.mark.parametrize("rounding", ROUNDINGS)
def test_rounding_applies_per_class(rounding):
    rng = np.random.default_rng(3)
    sizes = [14, 9, 7, 3]
    codes = np.repeat(np.arange(len(sizes)), sizes)
    s = rng.normal(size=(5, codes.size))
    g = assign_grades(s, n_bands=2, quotas=[0.15], groups=codes, rounding=rounding)
    for c, size in enumerate(sizes):
        want = _exact(Fraction(15, 100), size, rounding)
        np.testing.assert_array_equal((g[:, codes == c] == 0).sum(axis=1), want)


def test_counts_are_checked():
    with pytest.raises(ValueError, match="whole numbers"):
        assign_grades([1.0, 2.0], n_bands=2, counts=[1.5])
    with pytest.raises(ValueError, match="whole numbers"):
        assign_grades([1.0, 2.0], n_bands=2, counts=[-1])


# --- the same count in the scored table and in the simulated world ----------------------------------


@pytest.mark.parametrize(("rounding", "want"), [("floor", 9), ("nearest", 10), ("ceil", 10)])
def test_the_66_unit_hangzhou_table(rounding, want):
    sc = load_scenario("hangzhou-2011", [f"rule.grading.rounding={rounding}"])
    out = score(UNITS, sc)
    assert len(out) == 66
    assert (out["grade"] == "优秀").sum() == want
    # the count form grades identically
    counted = load_scenario(
        "hangzhou-2011", ["rule.grading.quota={}", f"rule.grading.quota_count.优秀={want}"]
    )
    assert score(UNITS, counted)["grade"].tolist() == out["grade"].tolist()


@pytest.mark.parametrize("rounding", ROUNDINGS)
def test_best_response_cut_offs_use_the_grading_count(rounding):
    """The cut-off ranks K_g of the best response equal the number graded into the bands, per
    class (mlr-2011 grades within class: 14, 9 and 7 units)."""
    model = build(load_scenario("mlr-2011", [f"rule.grading.rounding={rounding}"]))
    c, w = model.rule, model.world
    limits = band_limits(c, w)
    rng = np.random.default_rng(0)
    totals = rng.normal(size=(4, w.n_dept))
    g = assign_grades(
        totals,
        n_bands=len(c.bands),
        quotas=c.quotas,
        counts=c.quota_counts,
        rounding=c.rounding,
        groups=w.class_codes,
    )
    sizes = np.bincount(w.class_codes)
    assert sorted(sizes.tolist()) == [7, 9, 14]
    for k, size in enumerate(sizes):
        graded_top = (g[:, w.class_codes == k] == 0).sum(axis=1)
        np.testing.assert_array_equal(graded_top, limits[0][k])
        assert limits[0][k] == _exact(Fraction(15, 100), int(size), rounding)


def test_best_response_cut_off_with_a_count():
    model = build(
        load_scenario("hangzhou-2011", ["rule.grading.quota={}", "rule.grading.quota_count.优秀=7"])
    )
    assert band_limits(model.rule, model.world)[0].tolist() == [7.0]


# --- errors -------------------------------------------------------------------------------------


def _error(overrides: list[str], name: str = "hangzhou-2011") -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario(name, overrides)
    return str(info.value)


def test_quota_errors_name_the_key_the_value_and_what_is_allowed():
    msg = _error(["rule.grading.quota_count.优秀=9"])
    assert "rule.grading.quota_count.优秀 = 9" in msg and "either as a share" in msg
    msg = _error(["rule.grading.quota={}", "rule.grading.quota_count.优秀=67"])
    assert "rule.grading.quota_count.优秀 = 67" in msg and "0–66" in msg
    msg = _error(["rule.grading.quota={}", 'rule.grading.quota_count={"优秀"=40, "良好"=30}'])
    assert "add up to 70" in msg
    msg = _error(["rule.grading.quota={}", "rule.grading.quota_count.优秀=2.0"])
    assert "rule.grading.quota_count.优秀 = 2.0: must be a whole number, written without" in msg
    msg = _error(["rule.grading.quota={}", "rule.grading.quota_count.优秀=2"], "mlr-2011")
    assert "rule.grading.quota_count" in msg and "within_class" in msg
    msg = _error(["rule.grading.rounding=round"])
    assert "rule.grading.rounding = 'round'" in msg and "'nearest'" in msg


def test_an_empty_quota_table_is_an_error_unless_explicit():
    msg = _error(["rule.grading.quota={}"])
    assert "rule.grading.quota = {}" in msg and "every unit would be graded 优秀" in msg
    assert "quota.优秀 = 1" in msg
    # said explicitly: everyone may be 优秀, and is
    sc = load_scenario("hangzhou-2011", ["rule.grading.quota={}", "rule.grading.quota.优秀=1"])
    with pytest.warns(QuotaBandWarning, match="graded 优秀 score below the 良好 threshold 90"):
        out = score(UNITS, sc).set_index("department")
    units = pd.read_csv(UNITS, encoding="utf-8-sig").set_index("department")
    vetoed = units["一票否决"].astype(str).str.lower() == "true"
    assert vetoed.sum() >= 1  # the veto still gives 不合格
    assert (out.loc[vetoed.index[~vetoed], "grade"] == "优秀").all()
    assert (out.loc[vetoed.index[vetoed], "grade"] == "不合格").all()
    # an empty table is fine when thresholds bound every band above the last
    sc = load_scenario(
        "hangzhou-2011", ["rule.grading.quota={}", "rule.grading.thresholds.优秀=95"]
    )
    assert (score(UNITS, sc)["grade"] == "优秀").sum() < 66


def test_a_rule_without_quotas_survives_a_dump_but_an_explicit_empty_table_does_not():
    """The default grading (no quota table, no thresholds: everyone in the first band) is read as
    written, also after a model dump (as compare and reports re-validate scenarios)."""
    from perfsim.scenario import scenario_from_dict

    sc = load_scenario("theory/v5-visibility")
    dumped = sc.model_dump(mode="json")
    assert "quota" not in dumped["rule"]["grading"]
    assert scenario_from_dict(dumped).rule.grading == sc.rule.grading
    dumped["rule"]["grading"]["quota"] = {}
    with pytest.raises(ScenarioError, match="an empty quota table"):
        scenario_from_dict(dumped)


def test_a_count_above_the_table_is_a_data_error_and_exit_2(tmp_path, capsys):
    rule = tmp_path / "rule.toml"
    text = (ROOT / "scenarios" / "hangzhou-2011.toml").read_text(encoding="utf-8")
    rule.write_text(re.split(r"^\[world\]", text, flags=re.M)[0], encoding="utf-8")  # no world
    small = tmp_path / "small.csv"
    small.write_text("\n".join(UNITS.read_text(encoding="utf-8-sig").splitlines()[:6]) + "\n")
    sc = load_scenario(rule, ["rule.grading.quota={}", "rule.grading.quota_count.优秀=6"])
    with pytest.raises(DataError, match=r"quota_count.优秀 = 6: more than the 5 units"):
        score(small, sc)
    code = cli(
        ["score", str(small), "--rule", str(rule), "--set", "rule.grading.quota={}",
         "--set", "rule.grading.quota_count.优秀=6"]
    )  # fmt: skip
    assert code == 2
    assert "allowed: a whole number 0–5" in capsys.readouterr().err


# --- a quota band without a threshold --------------------------------------------------------------


def test_floors_of_quota_bands_without_thresholds():
    nan = np.nan
    floors, src = quota_band_floors([0.15, nan, nan], None, [nan, 90, 82, nan])
    np.testing.assert_array_equal(floors, [90, nan, nan, nan])
    np.testing.assert_array_equal(src, [1, -1, -1, -1])
    floors, src = quota_band_floors([0.15, 0.3, nan], None, [nan, nan, 82, nan])
    np.testing.assert_array_equal(floors, [82, 82, nan, nan])
    # a count counts as a quota; a band with its own threshold, or only the last band's (not
    # enforced) threshold below, has no floor
    floors, _ = quota_band_floors([nan, nan], [3, nan], [nan, 40])
    assert np.isnan(floors).all()
    floors, _ = quota_band_floors([nan, nan, nan], [3, nan, nan], [95, 90, nan])
    assert np.isnan(floors).all()


@settings(max_examples=150, deadline=None)
@given(problem=graded(), data=st.data())
def test_flagged_departments_are_exactly_those_below_a_lower_enforced_threshold(problem, data):
    scores, n_bands, quotas = problem
    quotas = np.where(data.draw(hnp.arrays(bool, quotas.shape)), quotas, np.nan)
    thr = np.sort(data.draw(st.lists(st.integers(-50, 50), min_size=n_bands, max_size=n_bands)))
    thr = np.where(data.draw(hnp.arrays(bool, (n_bands,))), thr[::-1].astype(float), np.nan)
    g = assign_grades(scores, n_bands=n_bands, quotas=quotas, thresholds=thr)
    floors, _ = quota_band_floors(quotas, None, thr)
    flagged = scores < floors[g]
    for d in range(scores.size):
        b = g[d]
        quota_band = b < n_bands - 1 and not np.isnan(quotas[b]) and np.isnan(thr[b])
        misses = any(not np.isnan(thr[h]) and scores[d] < thr[h] for h in range(b + 1, n_bands - 1))
        assert flagged[d] == (quota_band and misses)


def test_perfsim_score_warns_naming_the_departments(capsys):
    sc = load_scenario("hangzhou-2011", ["rule.grading.quota.优秀=0.5"])
    with pytest.warns(QuotaBandWarning) as caught:
        out = score(UNITS, sc)
    message = str(caught[0].message)
    below = out[(out["grade"] == "优秀") & (out["total"] < 90)]
    assert len(below) > 0
    assert f"{len(below)} department(s) graded 优秀 score below the 良好 threshold 90" in message
    assert all(name in message for name in below["department"])
    # the bundled rule as written: no 优秀 below 90, no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error", QuotaBandWarning)
        out = score(UNITS, "hangzhou-2011")
    assert out.loc[out["grade"] == "优秀", "total"].min() >= 90
    # the CLI prints it with the table
    code = cli(
        ["score", str(UNITS), "--rule", "hangzhou-2011", "--set", "rule.grading.quota.优秀=0.5"]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "warning: " in printed and "below the 良好 threshold 90" in printed


@pytest.mark.parametrize(("rounding", "quota", "n_top"), [("floor", 0.25, 7), ("nearest", 0.25, 8)])
def test_simulations_count_it_in_a_metric(rounding, quota, n_top):
    """With the 合格 threshold above every total, each of the quota's departments is counted
    (n_top of 30, by the rule's rounding); with it below every total, none is."""
    base = [
        "world.policy=naive",
        'rule.grading.bands=["优秀", "合格", "其他"]',
        f"rule.grading.quota.优秀={quota}",
        f"rule.grading.rounding={rounding}",
    ]
    high = simulate(
        "teaching/tournament", reps=3, overrides=[*base, "rule.grading.thresholds.合格=1e6"]
    )
    np.testing.assert_allclose(high.per_rep["quota_below_threshold"], n_top / 30)
    low = simulate(
        "teaching/tournament", reps=3, overrides=[*base, "rule.grading.thresholds.合格=-1e6"]
    )
    np.testing.assert_array_equal(low.per_rep["quota_below_threshold"], 0.0)


def test_the_report_states_the_quota_rounding_and_counts():
    from perfsim.report.rules import rule_summary
    from perfsim.scenario import scenario_raw

    sc = load_scenario("hangzhou-2011", ["rule.grading.rounding=nearest"])
    assert (
        rule_summary(scenario_raw(sc))["quotas"] == "优秀 ≤ 15 % (share × units rounded: nearest)"
    )
    sc = load_scenario(
        "hangzhou-2011", ["rule.grading.quota={}", "rule.grading.quota_count.优秀=9"]
    )
    assert rule_summary(scenario_raw(sc))["quotas"] == "优秀 ≤ 9 units"
