"""perfsim.empirical: reading ratings, rater effects, bootstrap ranks, calibration, CLI.

The synthetic pilot (perfsim.empirical.synthetic) is generated from the Hangzhou scenario with known
rater parameters; the tests check that the analysis recovers them.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT

import perfsim
from perfsim.empirical import (
    Scale,
    analyze,
    bootstrap_ranks,
    calibrate,
    rater_effects,
    read_ratings,
    synthetic_pilot,
)
from perfsim.empirical.scores import RuleScorer, pooled_points, rater_sums
from perfsim.empirical.uncertainty import bootstrap_counts
from perfsim.scenario import DataError

HANGZHOU = ROOT / "scenarios" / "hangzhou-2011.toml"
PILOT = ROOT / "scenarios" / "data" / "hangzhou-2011-pilot-ratings.csv.gz"
PILOT_UNITS = ROOT / "scenarios" / "data" / "hangzhou-2011-pilot-units.csv"


@pytest.fixture(scope="module")
def pilot():
    return synthetic_pilot(HANGZHOU, seed=5)


@pytest.fixture(scope="module")
def ratings(pilot):
    return read_ratings(pilot.ratings)


def _scorer(pilot, ratings):
    return RuleScorer(pilot.scenario.rule, pilot.units, ratings.units)


# ---- reading ---------------------------------------------------------------------------------


def _table(**changes) -> pd.DataFrame:
    rows = {
        "unit": ["A", "A", "B", "B"],
        "unit_class": ["x", "x", "y", "y"],
        "rater_group": ["citizens"] * 4,
        "rater": ["1", "2", "1", "2"],
        "answer": ["满意", "不满意", "比较满意", "基本满意"],
    }
    rows.update(changes)
    return pd.DataFrame(rows)


def test_read_ratings_maps_answers_and_scores_to_points():
    r = read_ratings(_table())
    assert r.frame["points"].tolist() == [100.0, 0.0, 80.0, 60.0]
    assert r.frame["level"].tolist() == [3, 0, 2, 1]
    assert set(r.frame["component"]) == {"citizens"} and set(r.frame["item"]) == {"overall"}
    scored = _table(answer=["", "", "", ""], score=["5", "2.5", "0", "4"])
    r = read_ratings(scored, score_max=5)
    assert r.frame["points"].tolist() == [100.0, 50.0, 0.0, 80.0]
    assert (r.frame["level"] == -1).all()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"answer": ["满意", "很好", "满意", "满意"]},
            "line 3, column 'answer': '很好' is not on the scale",
        ),
        (
            {"answer": ["", "", "", ""], "score": ["1", "x", "2", "3"]},
            "line 3, column 'score': 'x'",
        ),
        ({"answer": ["", "", "", ""], "score": ["1", "101", "2", "3"]}, "outside 0-100"),
        ({"score": ["1", "", "", ""]}, "line 2: both a score and an answer"),
        ({"rater": ["1", "1", "1", "2"]}, "rates unit 'A' on item 'overall' twice"),
        ({"unit_class": ["x", "z", "y", "y"]}, "unit 'A' has unit_class 'z' here but 'x' above"),
        ({"rater": ["1", "", "1", "2"]}, "line 3, column 'rater': empty"),
    ],
)
def test_read_ratings_errors_name_line_column_and_value(changes, message):
    with pytest.raises(DataError, match=message.replace("(", r"\(")):
        read_ratings(_table(**changes))


def test_ratings_with_the_column_names_a_chinese_office_writes_read_alike():
    zh = {
        "unit": "被考评单位", "rater_group": "评价主体", "rater": "评价人编号",
        "answer": "评价结果", "unit_class": "单位类别",
    }  # fmt: skip
    table = _table()
    same = read_ratings(table.rename(columns={k: v for k, v in zh.items() if k in table}))
    pd.testing.assert_frame_equal(same.frame, read_ratings(table).frame)


@pytest.mark.parametrize("blank", [[1], [0, 3], [0, 1, 2]])
def test_blank_ratings_are_left_out_with_a_warning_naming_their_lines(blank):
    from perfsim.empirical.data import RatingsWarning

    answers = ["满意", "不满意", "比较满意", "基本满意"]
    table = _table(answer=["" if i in blank else a for i, a in enumerate(answers)])
    with pytest.warns(RatingsWarning) as caught:
        r = read_ratings(table)
    (message,) = [str(w.message) for w in caught]
    assert f"{len(blank)} of 4 ratings left blank" in message
    assert all(f"line {i + 2}" in message for i in blank)
    kept = [a for i, a in enumerate(answers) if i not in blank]
    assert r.frame["points"].tolist() == [{"满意": 100.0, "不满意": 0.0, "比较满意": 80.0,
                                          "基本满意": 60.0}[a] for a in kept]  # fmt: skip
    with pytest.raises(DataError, match="every rating is blank"):
        read_ratings(_table(answer=["", "", "", ""]))


@pytest.mark.parametrize(("top", "warned"), [(9.5, True), (10, True), (10.5, False), (95, False)])
def test_scores_all_in_the_bottom_tenth_of_the_scale_are_questioned(top, warned):
    import warnings

    from perfsim.empirical.data import RatingsWarning

    scores = [str(top), str(top / 2), "3", str(top * 0.8)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = read_ratings(_table(answer=["", "", "", ""], score=scores))
    said = [str(w.message) for w in caught if w.category is RatingsWarning]
    assert bool(said) == warned and r.frame["points"].max() == top  # read as given
    assert not said or f"at most {top:g} on a scale of 0-100" in said[0]


def test_missing_column_suggests_the_close_name():
    with pytest.raises(DataError, match=r"missing column 'rater_group' \(did you mean 'rater_grp'"):
        read_ratings(_table().rename(columns={"rater_group": "rater_grp"}))


def test_excel_ratings_read_like_csv(tmp_path):
    path = tmp_path / "ratings.xlsx"
    _table().to_excel(path, index=False)
    pd.testing.assert_frame_equal(read_ratings(path).frame, read_ratings(_table()).frame)


def test_scale_parse_orders_by_points_and_rejects_bad_text():
    s = Scale.parse("好=100, 差=0 ,中=50")
    assert s.labels == ("差", "中", "好") and s.points == (0.0, 50.0, 100.0)
    with pytest.raises(DataError, match="not LABEL=POINTS"):
        Scale.parse("good:100,bad=0")
    with pytest.raises(DataError, match="same points"):
        Scale.parse("a=1,b=1")


# ---- scores and bootstrap ----------------------------------------------------------------------


def test_pooled_points_equal_the_mean_of_rater_means(ratings):
    sums = rater_sums(ratings, "社会评价", ratings.units)
    got = pooled_points(sums)
    f = ratings.frame[ratings.frame["component"] == "社会评价"]
    want = f.groupby(["unit", "rater"])["points"].mean().groupby("unit").mean()
    np.testing.assert_allclose(got, want.reindex(ratings.units).to_numpy(), rtol=1e-12)


def test_rule_scorer_agrees_with_perfsim_score(pilot, ratings):
    scorer = _scorer(pilot, ratings)
    pts = np.stack(
        [pooled_points(rater_sums(ratings, k, ratings.units)) for k in scorer.rated_components], -1
    )
    wide = pilot.units.set_index("department").loc[ratings.units].reset_index()
    c = scorer.rule
    for k, comp in enumerate(scorer.rated_components):
        wide[c.column_names[c.column_components.index(comp)]] = pts[:, k] * c.full_marks[k] / 100
    table = perfsim.score(wide, pilot.scenario).set_index("department").loc[ratings.units]
    ev = scorer.evaluate(pts)
    np.testing.assert_allclose(ev.total, table["total"].to_numpy(), rtol=1e-12)
    np.testing.assert_array_equal(ev.rank, table["rank"].to_numpy())


def test_bootstrap_counts_redraw_each_stratum_to_its_size():
    rng = np.random.default_rng(0)
    strata = rng.integers(0, 5, 200)
    w = bootstrap_counts(strata, 50, rng)
    for s in range(5):
        np.testing.assert_array_equal(w[:, strata == s].sum(1), (strata == s).sum())
    assert w.std() > 0.5  # not the identity


def test_bootstrap_is_reproducible_and_brackets_the_observed_rank(pilot, ratings):
    scorer = _scorer(pilot, ratings)
    comps = {k: k for k in scorer.rated_components}
    a = bootstrap_ranks(ratings, scorer, comps, reps=200, seed=3)
    b = bootstrap_ranks(ratings, scorer, comps, reps=200, seed=3)
    pd.testing.assert_frame_equal(a.table, b.table)
    t = a.table
    assert (t["rank_low"] <= t["rank_high"]).all()
    assert ((t["rank_low"] <= t["rank"] + 3) & (t["rank"] - 3 <= t["rank_high"])).all()
    bands = [c for c in t.columns if c.startswith("p:")]
    np.testing.assert_allclose(t[bands].sum(axis=1), 1.0)
    off = a.outranks.to_numpy()
    np.testing.assert_allclose((off + off.T)[~np.eye(len(off), dtype=bool)], 1.0)
    assert a.strata == "group"


def test_rank_intervals_cover_the_true_ranks_near_the_nominal_rate():
    """Coverage of the generator's true ranks by 90 % intervals over 4 synthetic pilots.

    The full measurement (benchmarks/bench_empirical.py) gives about 0.93 for nominal 0.95; the
    percentile bootstrap of ranks undercovers a little because a rank is a non-smooth statistic.
    """
    hits = []
    for seed in range(4):
        p = synthetic_pilot(HANGZHOU, seed=100 + seed)
        r = read_ratings(p.ratings)
        scorer = _scorer(p, r)
        u = bootstrap_ranks(r, scorer, {k: k for k in scorer.rated_components}, reps=300, level=0.9)
        true = p.truth.rank.reindex(u.table["unit"]).to_numpy()
        hits.append(((u.table["rank_low"] <= true) & (true <= u.table["rank_high"])).mean())
    assert 0.75 <= np.mean(hits) <= 0.99, hits


# ---- rater effects -----------------------------------------------------------------------------


def test_rater_effects_recover_the_order_of_group_leniency_and_the_leaders(pilot, ratings):
    fx = rater_effects(ratings)
    g = fx.groups.set_index("rater_group")
    truth = pilot.truth.survey_groups.set_index("group")["leniency"]
    est = g.loc[truth.index, "leniency"]
    assert np.corrcoef(est, truth)[0, 1] > 0.9
    leaders = fx.raters.set_index("rater").loc[pilot.truth.leaders["rater"], "leniency"]
    true_leaders = pilot.truth.leaders["leniency"].to_numpy()
    np.testing.assert_allclose(
        leaders.to_numpy() - leaders.mean(), true_leaders - true_leaders.mean(), atol=1.5
    )
    assert 0.15 < g.loc[truth.index, "halo"].mean() < 0.6  # generator halo 0.5 on the latent scale


def test_a_components_only_group_has_leniency_zero_and_no_standard_error(pilot, ratings):
    """市领导 is 领导考评's only group: its leniency is 0 by the centring, not an estimate with
    an interval; the survey's groups share a component and keep theirs."""
    g = rater_effects(ratings).groups
    alone = g.groupby("component")["rater_group"].transform("nunique") == 1
    assert alone.any() and (~alone).any()
    assert (g.loc[alone, "leniency"] == 0).all() and g.loc[alone, "leniency_se"].isna().all()
    assert np.isfinite(g.loc[~alone, "leniency_se"]).all()


def test_units_without_ratings_are_named_and_left_out(pilot, ratings):
    from perfsim.empirical.data import RatingsWarning

    extra = pilot.units.iloc[[0, 1]].assign(department=["市新设局", "市另设局"])
    units = pd.concat([pilot.units, extra], ignore_index=True)
    with pytest.warns(RatingsWarning, match="2 unit\\(s\\) of the units table have no ratings"):
        scorer = RuleScorer(pilot.scenario.rule, units, ratings.units)
    assert list(scorer.unit_ids) == list(ratings.units)


def test_halo_is_near_zero_when_items_are_judged_independently():
    p = synthetic_pilot(HANGZHOU, seed=7, halo=0.0)
    fx = rater_effects(read_ratings(p.ratings))
    survey = fx.groups[fx.groups["component"] == "社会评价"]
    assert survey["halo"].abs().max() < 0.06


# ---- calibration -------------------------------------------------------------------------------


def test_calibration_recovers_the_generator_rater_parameters(pilot, ratings):
    """Tolerance: every group leniency and noise, item offset and the pooled survey noise within
    4 standard errors of the truth, and at least 80 % of the group parameters within 2 SE."""
    cal = calibrate(ratings, pilot.scenario, reps=5)
    g = cal.groups[cal.groups["component"] == "社会评价"].set_index("rater_group")
    truth = pilot.truth.survey_groups.set_index("group")
    z = np.concatenate(
        [
            (g.loc[truth.index, "leniency"] - truth["leniency"])
            / g.loc[truth.index, "leniency_se"],
            (g.loc[truth.index, "noise"] - truth["noise"]) / g.loc[truth.index, "noise_se"],
        ]
    )
    assert np.abs(z).max() < 4, z
    assert (np.abs(z) < 2).mean() >= 0.8, z
    items = cal.items.set_index("item")
    for name, delta in pilot.truth.items.items():
        assert abs(items.loc[name, "offset"] - delta) < 4 * items.loc[name, "offset_se"]
    par = cal.parameters.set_index(["rater", "key"])
    share, b, s = truth["share"], truth["leniency"], truth["noise"]
    mixture = float(np.sqrt(share @ (s**2 + b**2)))
    got = par.loc[("社会评价", "noise")]
    assert abs(got["value"] - mixture) < 4 * got["se"]
    leader = par.loc[("领导考评", "noise")]
    true_panel = pilot.truth.leader_noise / np.sqrt(len(pilot.truth.leaders))
    assert abs(leader["value"] - true_panel) < 4 * leader["se"]
    assert abs(par.loc[("社会评价", "respondents"), "value"] - 219) < 5
    # the generator's world is the base scenario: offset and scale come back near its values
    for key, base in (("offset", 65.75), ("scale", 4.0)):
        row = par.loc[("社会评价", key)]
        assert abs(row["value"] - base) < 4 * row["se"], (key, row["value"], row["se"])


def test_calibrated_fragment_runs_with_set_at(tmp_path, pilot, ratings):
    cal = calibrate(ratings, pilot.scenario, reps=5)
    frag = tmp_path / "calibrated.toml"
    frag.write_text(cal.fragment("pilot", str(HANGZHOU)), encoding="utf-8")
    sc = perfsim.load_scenario(HANGZHOU, [f"@{frag}"])
    noise = cal.parameters.set_index(["rater", "key"]).loc[("社会评价", "noise"), "value"]
    assert sc.world.raters["社会评价"].noise == pytest.approx(noise, abs=1e-3)
    assert sc.world.raters["社会评价"].cutpoints == [45.7, 53.1, 78.9]  # untouched keys stay


# ---- end to end --------------------------------------------------------------------------------


def test_analyze_writes_tables_figures_and_report(tmp_path):
    res = analyze(
        PILOT,
        rule=HANGZHOU,
        units=PILOT_UNITS,
        compare=[perfsim.load_scenario(HANGZHOU, ["rule.components.社会评价.share=0.4"])],
        reps=100,
        calibration_reps=3,
    )
    assert len(res.scores) == 66 and res.scores["rank"].is_monotonic_increasing
    assert set(res.reliability["scope"]) >= {"市领导", "overall"}
    changes = res.rank_changes
    assert len(res.rules) == 2 and f"change:{res.rules[1]}" in changes
    out = res.write(tmp_path / "emp")
    for name in (
        "scores.csv",
        "reliability.csv",
        "rater_groups.csv",
        "rank_changes.csv",
        "calibrated.toml",
        "report.html",
        "figures/rank-intervals.png",
        "figures/rank-changes.png",
        "figures/rater-effects.png",
    ):
        assert (out / name).is_file(), name
    html = (out / "report.html").read_text(encoding="utf-8")
    for section in ("Rater reliability", "Rank intervals", "Calibration", "Counterfactual"):
        assert section in html
    # the report is built in a temporary folder before it is swapped into place: its command
    # names the folder the user has (it named .emp.perfsim-tmp-…)
    md = (out / "report.md").read_text(encoding="utf-8")
    assert f"perfsim report {out}\n" in md and "perfsim-tmp" not in md + html


def test_wide_table_gets_counterfactual_rescoring_only():
    data = ROOT / "scenarios" / "data" / "hangzhou-2011-units.csv"
    alt = perfsim.load_scenario(HANGZHOU, ['rule.grading.scope="within_class"'])
    res = analyze(data, rule=HANGZHOU, compare=[alt])
    base = perfsim.score(data, HANGZHOU).set_index("department")["rank"]
    ranks = res.rank_changes.set_index("unit")
    np.testing.assert_array_equal(ranks[res.rules[0]], base.reindex(ranks.index))
    assert res.uncertainty is None and "wide table" in res.notes[0]
    # within class the ranks stay (the totals are the same), but the quota applies per class:
    # the grade columns say which units change grade, against perfsim score's grades
    name = res.rules[1]
    assert (ranks[f"change:{name}"] == 0).all()
    alt_grades = perfsim.score(data, alt).set_index("department")["grade"]
    pd.testing.assert_series_equal(
        ranks[f"grade:{name}"], alt_grades.reindex(ranks.index), check_names=False
    )
    assert (ranks[f"grade:{name}"] != ranks[f"grade:{res.rules[0]}"]).any()


def _cli(*args, cwd=ROOT):
    return subprocess.run(
        [sys.executable, "-m", "perfsim.cli", *args], capture_output=True, text=True, cwd=cwd
    )


def test_cli_empirical_end_to_end(tmp_path):
    out = tmp_path / "pilot"
    res = _cli(
        "empirical",
        str(PILOT),
        "--rule",
        str(HANGZHOU),
        "--units",
        str(PILOT_UNITS),
        "--variant",
        "social40:rule.components.社会评价.share=0.4",
        "--reps",
        "50",
        "--out",
        str(out),
        "--quiet",
    )
    assert res.returncode == 0, res.stderr
    assert (out / "calibrated.toml").is_file() and (out / "report.html").is_file()
    columns = list(pd.read_csv(out / "rank_changes.csv").columns)
    assert "change:social40" in columns and columns[-1] == "grade:social40"
    assert columns[-2].startswith("grade:")  # the recorded rule's grades, then the variant's
    meta = json.loads((out / "empirical.json").read_text(encoding="utf-8"))
    assert meta["command"].startswith("perfsim empirical ") and "--variant" in meta["command"]


def test_cli_bad_ratings_exit_2_without_traceback_or_output(tmp_path):
    bad = tmp_path / "bad.csv"
    _table(answer=["满意", "好", "满意", "满意"]).to_csv(bad, index=False)
    out = tmp_path / "never"
    res = _cli("empirical", str(bad), "--out", str(out), "--quiet")
    assert res.returncode == 2
    assert "Traceback" not in res.stderr and "line 3, column 'answer'" in res.stderr
    assert not out.exists()


def test_ordered_probit_matches_statsmodels_where_the_models_coincide():
    """With one rater group, one item and three answer levels, perfsim's probit (cutpoints fixed,
    unit means and σ free) is a reparametrisation of statsmodels' OrderedModel (thresholds free,
    unit dummies): the maximum log likelihoods and σ = (c₂ − c₁) / (t₂ − t₁) must agree."""
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    from perfsim.empirical import fit_ordered_probit

    rng = np.random.default_rng(4)
    cuts = np.array([40.0, 60.0])
    mu = rng.normal(55, 8, 12)
    unit = np.repeat(np.arange(12), 40)
    level = np.searchsorted(cuts, mu[unit] + rng.normal(0, 12, unit.size))
    frame = pd.DataFrame(
        {
            "unit": [f"u{u:02d}" for u in unit],
            "rater_group": "g",
            "rater": [f"r{k}" for k in range(unit.size)],
            "item": "overall",
            "level": level,
            "points": level * 50.0,
        }
    )
    fit = fit_ordered_probit(frame, cuts)
    dummies = pd.get_dummies(frame["unit"], drop_first=True, dtype=float)
    ref = OrderedModel(frame["level"].to_numpy(), dummies, distr="probit").fit(
        method="bfgs", disp=False, maxiter=2000
    )
    assert fit.loglik == pytest.approx(ref.llf, abs=1e-4)
    t1 = ref.params.iloc[-2]
    t2 = t1 + np.exp(ref.params.iloc[-1])  # statsmodels: t2 = t1 + exp(increment)
    sigma = float(fit.groups_table()["noise"].iloc[0])
    assert sigma == pytest.approx((cuts[1] - cuts[0]) / (t2 - t1), rel=1e-3)


def test_perfsim_report_rebuilds_an_empirical_folder(tmp_path):
    import shutil

    folder = tmp_path / "pilot"
    shutil.copytree(ROOT / "results" / "examples" / "hangzhou-pilot", folder)
    (folder / "report.html").unlink()
    res = _cli("report", str(folder))
    assert res.returncode == 0, res.stderr
    assert "Rater reliability" in (folder / "report.html").read_text(encoding="utf-8")


def test_without_a_rule_the_total_is_the_mean_of_the_component_points(ratings):
    res = analyze(ratings.frame.assign(answer="", score=ratings.frame["points"]), reps=20)
    frame = ratings.frame
    per_comp = (
        frame.groupby(["component", "unit", "rater"])["points"]
        .mean()
        .groupby(["component", "unit"])
        .mean()
    )
    want = per_comp.groupby("unit").mean()
    got = res.scores.set_index("unit")["total"]
    np.testing.assert_allclose(got.reindex(want.index), want, rtol=1e-9)
    assert res.calibration is None and any("give --rule a scenario" in n for n in res.notes)


def test_answers_on_more_levels_than_the_survey_skip_the_calibration_alone(pilot):
    """A five-level scale against the world's four-level survey stopped the whole analysis
    (exit 2, nothing written: "answers have 5 levels but the scenario's survey has 4 (cutpoints
    [np.float64(45.7), …])"); the ranks, reliability and rater effects need no survey, so the
    calibration alone is left out, with a note saying why."""
    frame = pilot.ratings.copy()
    some = frame.index[(frame["answer"] == "比较满意").to_numpy()][::7]
    frame.loc[some, "answer"] = "一般"
    five = Scale.parse("不满意=0, 一般=50, 基本满意=60, 比较满意=80, 满意=100")
    four = Scale.parse("不满意=0, 基本满意=60, 比较满意=80, 满意=100")
    res = analyze(frame, units=pilot.units, rule=HANGZHOU, scale=five, reps=10)
    said = [n for n in res.notes if n.startswith("no calibration: the answers of 社会评价")]
    assert res.calibration is None and said and "have 5 levels" in said[0], res.notes
    assert "has 4, so its raters cannot be calibrated" in said[0]
    assert len(res.scores) == pilot.units.shape[0] and res.effects is not None
    kept = frame.assign(answer=frame["answer"].replace("一般", "比较满意"))
    calibrated = analyze(kept, units=pilot.units, rule=HANGZHOU, scale=four, reps=10)
    assert calibrated.calibration is not None  # (the survey's levels: calibrated as before)


def test_a_rule_without_quota_or_threshold_is_said_to_grade_nobody_apart(ratings, pilot):
    """Without ``--rule`` every unit was graded 优秀 with a chance of 1, and the report's "In
    short" called every grade certain. A rule with no quota and no threshold is now noted as
    grading every unit alike, and the "In short" says its grades say nothing; the plan's rule
    (quotas and thresholds) is not."""
    from perfsim.report.sections.empirical_short import in_short
    from perfsim.results import EmpiricalRecord

    plain = analyze(ratings.frame.assign(answer="", score=ratings.frame["points"]), reps=20)
    planned = analyze(pilot.ratings, units=pilot.units, rule=HANGZHOU, reps=20)
    assert (plain.scores["grade"] == "优秀").all()  # (what the rule does: all alike)
    for res, graded in ((plain, False), (planned, True)):
        alike = [n for n in res.notes if "no quota and no threshold" in n]
        assert res.metadata["graded"] is graded and bool(alike) is not graded
        said = " ".join(in_short(EmpiricalRecord.from_result(res)))
        assert ("grades every unit alike" in said) is not graded
        assert ("get the same grade" in said) is graded, said
    assert any("grades every unit 优秀 (bar a veto)" in n for n in plain.notes)


def test_set_at_fragment_errors_name_the_file(tmp_path):
    from perfsim.scenario import ScenarioError

    with pytest.raises(ScenarioError, match="fragment file not found"):
        perfsim.load_scenario(HANGZHOU, [f"@{tmp_path / 'missing.toml'}"])
    bad = tmp_path / "bad.toml"
    bad.write_text("[world.raters\nnoise = 1\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"bad\.toml: not valid TOML"):
        perfsim.load_scenario(HANGZHOU, [f"@{bad}"])
    wrong = tmp_path / "wrong.toml"
    wrong.write_text('[world.raters."社会评价"]\nnoise = -1\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="noise"):
        perfsim.load_scenario(HANGZHOU, [f"@{wrong}"])


def test_a_median_rank_is_written_as_a_rank_and_other_numbers_to_three_places():
    from perfsim.report.sections.empirical import frame_table

    frame = pd.DataFrame({"unit": ["A", "B"], "rank_median": [12.0, 12.5], "total": [88.0, 87.25]})
    table = frame_table(frame, ["unit", "rank_median", "total"])
    assert [row[1:] for row in table.rows] == [["12", "88.000"], ["12.5", "87.250"]]


@pytest.mark.parametrize("key", ["panel_noise", "offset", "scale"])
def test_a_calibrations_how_is_said_in_the_reports_language(key):
    from perfsim.empirical.calibration import HOW, how_fields
    from perfsim.i18n import language
    from perfsim.report.sections.empirical import frame_table

    names = re.findall(r"\{(\w+)\}", HOW[key])
    fields = dict(zip(names, ["2.54", "69.94", "66"], strict=False))
    text = HOW[key].format(**fields)
    assert how_fields(text) == (HOW[key], fields)
    assert how_fields("mean respondents per unit") is None
    with language("zh"):
        cell = frame_table(pd.DataFrame({"how": [text]}), ["how"]).rows[0][0]
    assert cell != text and not re.search(r"[A-Za-z]{3,}", cell)
    assert all(v in cell for v in fields.values())


def test_a_units_table_under_a_title_row_is_told_so(pilot, ratings):
    units = pilot.units.astype(str)
    titled = pd.DataFrame([units.columns.tolist(), *units.to_numpy().tolist()])
    titled.columns = ["2011年度考评数据", *[f"Unnamed: {i}" for i in range(1, units.shape[1])]]
    with pytest.raises(DataError, match="is the first row a title"):
        RuleScorer(pilot.scenario.rule, titled, ratings.units)


def test_ratings_and_units_read_by_pandas_give_the_analysis_of_their_files():
    """Frames read by ``pd.read_csv`` (blank cells NaN, numbers as numbers) are the files: a
    rating with an answer and no score was "both 'score' and 'answer' given" under pandas 3."""
    frames = [pd.read_csv(p, encoding="utf-8-sig") for p in (PILOT, PILOT_UNITS)]
    assert frames[0]["score"].isna().any() and frames[0]["answer"].isna().any()
    kw = dict(rule=HANGZHOU, reps=30, calibrate_world=False)
    from_files = analyze(PILOT, units=PILOT_UNITS, **kw)
    from_frames = analyze(frames[0], units=frames[1], **kw)
    pd.testing.assert_frame_equal(from_frames.scores, from_files.scores)
    pd.testing.assert_frame_equal(from_frames.reliability, from_files.reliability)


def test_ratings_that_never_vary_give_no_halo_and_no_numpy_warning():
    """Every answer the same (a rater group that ticks 满意 throughout): the residuals of an item
    do not vary, so the halo (a correlation) is undefined, said as NaN, without numpy's "invalid
    value encountered in divide" and "Mean of empty slice" on the terminal. Real ratings keep
    their halo."""
    import warnings

    frame = pd.read_csv(PILOT, encoding="utf-8-sig", dtype=str, keep_default_na=False).head(199)
    frame["answer"] = np.where(frame["answer"] != "", "满意", "")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        effects = rater_effects(read_ratings(frame))
    assert effects.groups["halo"].isna().all()
    real = rater_effects(read_ratings(PILOT)).groups.set_index(["component", "rater_group"])
    assert real["halo"].notna().any() and np.isfinite(real["halo"].dropna()).all()


def test_what_the_reading_leaves_out_and_a_veto_are_in_the_folders_notes_and_report(tmp_path):
    """A unit of the units table without ratings, blank ratings and a vetoed unit were said on the
    terminal only (in English) or not at all: empirical.json had no notes, the report said '11
    units' and showed a vetoed unit at its score, graded 不合格, without a word why."""
    import warnings

    from perfsim.empirical.data import RatingsWarning
    from perfsim.report import build_report

    ratings = pd.read_csv(PILOT, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    blank = [3, 10]
    ratings.loc[blank, ["score", "answer"]] = ""
    units = pd.read_csv(PILOT_UNITS, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    vetoed = units["department"].iloc[2]
    units.loc[2, "一票否决"] = "true"
    extra = units.iloc[[0]].assign(department="市新设局", 一票否决="false")
    units = pd.concat([units, extra], ignore_index=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = analyze(ratings, units=units, rule=HANGZHOU, reps=20, calibrate_world=False)
    shown = [str(w.message) for w in caught if w.category is RatingsWarning]
    assert len(shown) == 2  # still warned, once each
    notes = res.notes
    assert any("2 of" in n and "ratings left blank" in n and "line 5, line 12" in n for n in notes)
    assert any(
        "1 unit(s) of the units table have no ratings" in n and "市新设局" in n for n in notes
    )
    row = res.scores.set_index("unit").loc[vetoed]
    assert row["vetoed"] and row["grade"] == "不合格" and res.scores["vetoed"].sum() == 1
    assert any(n.startswith(f"'{vetoed}': vetoed (一票否决)") for n in notes)
    res.write(tmp_path / "emp", report=False)
    _, md = build_report(tmp_path / "emp", lang="zh")
    text = md.read_text(encoding="utf-8")
    assert "条空白（既无得分也无评价结果：第 5 行、第 12 行）" in text
    assert "没有任何评分，未纳入分析" in text and "市新设局" in text
    assert f"'{vetoed}'：单位表中标记为一票否决，因此无论得分多少都评为不合格" in text


def test_a_units_table_with_chinese_unit_and_class_columns_is_read_without_options():
    """`--units 单位指标.csv` with 单位名称 and 单位类别 needed --id-column and --class-column."""
    units = pd.read_csv(PILOT_UNITS, encoding="utf-8-sig")
    kw = dict(rule=HANGZHOU, reps=10, calibrate_world=False)
    plain = analyze(PILOT, units=units, **kw)
    named = analyze(
        PILOT, units=units.rename(columns={"department": "单位名称", "class": "单位类别"}), **kw
    )
    pd.testing.assert_frame_equal(named.scores, plain.scores)


@pytest.mark.parametrize(
    ("changes", "english", "chinese"),
    [
        ({"answer": ["", "", "", ""], "score": ["1", "105", "2", "3"]},
         "line 3, column '得分': 105 is outside 0-100", "第 3 行，“得分”列：105 超出 0–100 的范围"),
        ({"answer": ["满意", "很好", "满意", "满意"]},
         "line 3, column '评价结果': '很好' is not on the scale", "第 3 行，“评价结果”列：'很好' 不在量表上"),
        ({"score": ["1", "", "", ""]}, "line 2: both a score and an answer given",
         "第 2 行：同时填了得分和评价结果"),
        ({"rater": ["1", "", "1", "2"]}, "line 3, column '评价人编号': empty", "第 3 行，“评价人编号”列"),
    ],
)  # fmt: skip
def test_a_ratings_error_names_the_files_own_column_and_is_said_in_chinese(
    changes, english, chinese
):
    """The cell errors of a table with a Chinese office's headers named the column 'score' (the
    file's is 得分), and several were English under --lang zh."""
    from perfsim.cli import said_error

    zh = {"unit": "被考评单位", "rater_group": "评价主体", "rater": "评价人编号",
          "answer": "评价结果", "score": "得分", "unit_class": "单位类别"}  # fmt: skip
    table = _table(**changes)
    with pytest.raises(DataError) as err:
        read_ratings(table.rename(columns=zh), source="评分.csv")
    assert english in str(err.value)
    assert chinese in said_error("empirical", err.value, "zh")


def test_a_component_named_otherwise_in_the_ratings_is_said_as_such():
    """社会评价 written 群众评议 in the ratings was told as "units table: missing column 社会评价"."""
    ratings = pd.read_csv(PILOT, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    ratings["component"] = ratings["component"].replace("社会评价", "群众评议")
    with pytest.raises(DataError) as err:
        analyze(ratings, units=PILOT_UNITS, rule=HANGZHOU, reps=5, calibrate_world=False)
    said = str(err.value)
    assert "the rule's component 社会评价 gets no ratings" in said and "rate 群众评议" in said
    assert "missing column" not in said


def test_warnings_of_the_reading_are_shown_once_also_when_an_error_follows():
    """noted() re-emitted the warnings after its block only: an error in the block dropped them
    (the unrated units' warning before a missing column); a warning repeated in it was shown
    each time."""
    import warnings

    from perfsim.empirical.analysis import noted
    from perfsim.empirical.data import RatingsWarning

    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(DataError), noted(notes, []):
            for _ in range(3):
                warnings.warn_explicit(RatingsWarning("left out: 'A'"), RatingsWarning, "x", 0)
            raise DataError("then an error")
    assert [str(w.message) for w in caught] == ["left out: 'A'"] and notes == ["left out: 'A'"]


def test_a_reading_warning_is_said_once_on_the_terminal_also_with_variants(tmp_path, capsys):
    """The terminal showed a reading's fact as a warning, then again as a note line at the end,
    and the units table's once more for each compared rule (each rule's scorer reads it again).
    Now once, as the warning; the folder keeps it as a note, once; a note that was no warning
    (a component the rule does not use) still ends the summary."""
    import json

    from perfsim.cli import main

    ratings = pd.read_csv(PILOT, dtype={"rater": str})
    ratings.loc[3, "answer"] = None  # one blank rating
    extra = ratings[ratings["component"] == "社会评价"].head(200).copy()
    extra["component"] = "额外评价"  # a component the rule does not use
    extra["rater_group"] = "额外组"
    data = tmp_path / "r.csv"
    pd.concat([ratings, extra]).to_csv(data, index=False)
    units = pd.read_csv(PILOT_UNITS)
    units = pd.concat([units, units.tail(1).assign(department="市测试局")])  # no ratings
    units.to_csv(tmp_path / "u.csv", index=False)
    out = tmp_path / "e"
    argv = ["empirical", str(data), "--rule", str(HANGZHOU), "--units", str(tmp_path / "u.csv"),
            "--reps", "5", "--out", str(out), "--variant", "s40:rule.components.社会评价.share=0.4",
            "--lang", "zh"]  # fmt: skip
    assert main(argv) == 0
    said = capsys.readouterr()
    text = said.out + said.err
    assert text.count("未纳入分析（也不计入等次比例的基数）") == 1, text  # the unrated unit
    assert text.count("条空白") == 1, text  # the blank rating
    assert "额外评价" in said.out  # the unused component, a note only
    notes = json.loads((out / "empirical.json").read_text(encoding="utf-8"))["notes"]
    assert sum("市测试局" in n for n in notes) == 1 and sum("left blank" in n for n in notes) == 1


def test_many_units_without_ratings_are_said_in_chinese_with_how_many_more():
    from perfsim.empirical.notes import listed, phrase
    from perfsim.i18n import language, say

    said = phrase("unrated", source="u.csv", count=8, units=listed([f"单位{i}" for i in range(8)]))
    assert str(said).endswith("'单位4' and 3 more")
    with language("zh"):
        assert say(said).endswith("'单位0'、'单位1'、'单位2'、'单位3'、'单位4' 等，另有 3 个")


def test_a_compared_rule_that_a_wide_table_lacks_columns_for_is_named():
    """The error listed what "the rule needs" without saying it was the compared rule (the
    ministry's) that needs it, not the table's own (Hangzhou's)."""
    data = ROOT / "scenarios" / "data" / "hangzhou-2011-units.csv"
    mlr = perfsim.load_scenario(ROOT / "scenarios" / "mlr-2011.toml")
    with pytest.raises(DataError) as err:
        analyze(data, rule=HANGZHOU, compare=[mlr])
    said = str(err.value)
    assert f"{data} (scored with the rule {mlr.rule.name}" in said and "'职责履行'" in said


def test_a_veto_column_says_no_rather_than_nothing():
    """The pilot's scores table showed an empty one-vote-veto column (no unit vetoed)."""
    from perfsim.i18n import language
    from perfsim.report.sections.empirical import frame_table

    frame = pd.DataFrame({"unit": ["a", "b"], "vetoed": [False, True]})
    assert [r[1] for r in frame_table(frame, ["unit", "vetoed"]).rows] == ["no", "yes"]
    with language("zh"):
        assert [r[1] for r in frame_table(frame, ["unit", "vetoed"]).rows] == ["否", "是"]


def test_the_rank_change_figure_draws_each_ranking_once_and_its_labels_apart():
    """The report passes every rank column: a rule's ranks within class were drawn twice (as
    the rule and as its within-class column), and units ending on one rank had their names
    printed over each other."""
    from perfsim.empirical.figures import rank_change_figure

    rc = pd.read_csv(
        ROOT / "results/examples/hangzhou-pilot/rank_changes.csv", encoding="utf-8-sig"
    )
    columns = [c for c in rc.columns if c not in ("unit", "unit_class") and ":" not in c]
    assert len(columns) == 5  # three rules, two of them with their ranks within class too
    fig = rank_change_figure(rc, columns)
    ticks = [t.get_text() for t in fig.axes[-1].get_xticklabels()]
    assert len(ticks) == 3 and len(set(ticks)) == 3, ticks
    assert all(t.endswith("(within class)") or t == "classes" for t in ticks)
    assert sum(len(ax.texts) for ax in fig.axes) == 8
    for ax in fig.axes:  # ranks apart (24 to a class)
        heights = sorted(a.xyann[1] for a in ax.texts)
        assert len(heights) < 2 or min(np.diff(heights)) > 0.5, heights


def test_the_rank_change_figure_draws_ranks_within_class_one_panel_a_class():
    """Ranks within class on one axis laid the classes' first places over each other (three
    lines through rank 1, each unit's line among another class's)."""
    from perfsim.empirical.figures import rank_change_figure

    rc = pd.DataFrame({"unit": list("abcdefg"), "unit_class": list("XXXXYYY"),
                       "A": [1, 2, 3, 4, 5, 6, 7], "B": [3, 1, 2, 4, 1, 2, 3],
                       "A (within class)": [1, 2, 3, 4, 1, 2, 3]})  # fmt: skip
    fig = rank_change_figure(rc, ["A", "B"])
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["X", "Y"]
    for ax, units in zip(fig.axes, ("abcd", "efg"), strict=True):
        lines = [line.get_ydata() for line in ax.get_lines()]
        assert len(lines) == len(units)  # one line a unit of the class, none of the other's
        assert sorted(float(y[0]) for y in lines) == list(range(1, len(units) + 1))
        assert ax.get_ylim()[0] > ax.get_ylim()[1]  # best at the top
    global_ranks = rank_change_figure(rc.drop(columns="A (within class)"), ["A", "B"])
    assert len(global_ranks.axes) == 1  # ranks over all units: one axis, as before


def test_a_unit_without_a_last_rank_loses_only_its_own_label_and_ticks_are_translated():
    from perfsim.empirical.figures import rank_change_figure
    from perfsim.i18n import language

    rc = pd.DataFrame({"unit": list("abcd"), "A": [1, 2, 3, 4], "B": [4, 3, 1, 2],
                       "C": [4, 3, np.nan, 1], "B (within class)": [2, 1, 1, 2]})  # fmt: skip
    labels = [t.get_text() for t in rank_change_figure(rc, ["A", "B", "C"]).axes[0].texts]
    assert sorted(labels) == ["a", "b", "d"]  # (c has no rank under C: a NaN blanked them all)
    with language("zh"):
        fig = rank_change_figure(rc, ["A", "B (within class)"])
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert ticks == ["A", "B（类别内）"], ticks  # (A ranks within class: it has no such column)


def test_empirical_says_when_it_replaces_its_earlier_folder(tmp_path, capsys):
    """run and compare say that they replaced an earlier folder (and its report); empirical said
    only "written to", and a report.zh.html added by perfsim report was gone without a word."""
    from perfsim.cli import main

    data = ROOT / "scenarios" / "data"
    args = ["empirical", str(data / "hangzhou-2011-pilot-ratings.csv.gz"),
            "--rule", str(ROOT / "scenarios" / "hangzhou-2011.toml"),
            "--units", str(data / "hangzhou-2011-pilot-units.csv"),
            "--reps", "10", "--out", str(tmp_path / "e")]  # fmt: skip
    assert main(args) == 0
    assert "replaces" not in capsys.readouterr().out
    assert main(args) == 0
    assert "it replaces the earlier empirical analysis folder there" in capsys.readouterr().out


def test_a_units_table_is_checked_at_its_own_lines_and_refuses_a_unit_twice(tmp_path):
    """``--units``: a bad cell on line 11 was named at line 52 (the table had been put in the
    ratings' order first), and a unit given twice with other numbers was taken from its first
    row without a word (``perfsim score`` refuses it)."""
    from perfsim.scenario import load_scenario

    rule = load_scenario(HANGZHOU).rule
    units = pd.read_csv(PILOT_UNITS, dtype=str)
    ids = sorted(units["department"], reverse=True)  # (the ratings' order is not the file's)
    first = units.columns[2]
    bad = units.copy()
    bad.loc[9, first] = "abc"  # line 11 of the file
    path = tmp_path / "bad.csv"
    bad.to_csv(path, index=False)
    with pytest.raises(DataError, match=f"line 11, column '{first}': 'abc' is not a number"):
        RuleScorer(rule, path, ids, source=str(path))
    twice = pd.concat([units, units.head(1).assign(**{first: "60"})])
    path = tmp_path / "twice.csv"
    twice.to_csv(path, index=False)
    line = len(twice) + 1
    said = f"line {line}, column 'department': department '{units['department'][0]}' appears twice"
    with pytest.raises(DataError, match=said):
        RuleScorer(rule, path, ids, source=str(path))
    scorer = RuleScorer(rule, PILOT_UNITS, ids, source=str(PILOT_UNITS))
    assert scorer.unit_ids == ids


def test_a_misspelt_answer_column_is_named_with_its_nearest_header(tmp_path):
    """A ratings table whose answer column was misspelt (answr) said only "every rating is blank
    (neither 'score' nor 'answer' given)"; it now names the missing column and the nearest
    header. 回答 is read as the answer column, as 答案 and 评价结果 are."""
    rows = [["甲局", "A类", "市民", f"r{i}", "服务", answer, ""]
            for i, answer in enumerate(["满意", "不满意", "基本满意"] * 2)]  # fmt: skip
    for header, said in (
        ("answr", "missing column 'answer' (did you mean 'answr'?)"),
        ("回答", None),
    ):
        path = tmp_path / f"{header}.csv"
        columns = ["unit", "unit_class", "rater_group", "rater", "item", header, "score"]
        pd.DataFrame(rows, columns=columns).to_csv(path, index=False)
        if said:
            with pytest.raises(DataError, match=re.escape(said)):
                read_ratings(path)
        else:
            assert read_ratings(path).frame["level"].notna().all()


def test_a_unit_rated_by_one_rater_is_said_to_have_too_narrow_a_rank_interval():
    """A unit rated by a single rater got a rank interval of 1-1 however many resamples: the
    resampled rater is always that one. The analysis now says which units this concerns."""
    rows = []
    for unit, raters in (("甲局", 4), ("乙局", 4), ("丙局", 1)):
        for r in range(raters):
            rows.append({"unit": unit, "rater_group": "市民", "rater": f"r{r}",
                         "item": "服务", "score": 60 + 10 * r + (5 if unit == "丙局" else 0)})  # fmt: skip
    res = analyze(pd.DataFrame(rows), reps=20)
    said = [n for n in res.notes if "rated by a single rater" in n]
    assert said == [
        "'丙局': rated by a single rater in a component, so the rank interval shows none of the "
        "raters' disagreement for them (narrower than it is)"
    ], res.notes
    row = res.scores.set_index("unit").loc["丙局"]
    assert row["rank_low"] == row["rank_high"]  # (the reason for the note)


def test_a_long_ratings_table_with_a_misnamed_unit_column_is_told_so(tmp_path):
    """A ratings table whose unit column was misspelt (unitx) was taken for a wide table and
    told it "needs --rule"; it is now told the column it lacks and the nearest header."""
    rows = [{"unitx": u, "rater_group": "市民", "rater": f"r{i}", "score": 60 + i}
            for i, u in enumerate(["甲局", "乙局"] * 3)]  # fmt: skip
    path = tmp_path / "r.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    with pytest.raises(DataError, match=re.escape("missing column 'unit' (did you mean 'unitx'?)")):
        analyze(path, reps=5)
    wide = tmp_path / "wide.csv"
    pd.DataFrame({"单位": ["甲局", "乙局"], "公共服务": [90, 80]}).to_csv(wide, index=False)
    with pytest.raises(DataError, match="a wide table"):  # (a wide table still needs --rule)
        analyze(wide, reps=5)


def test_a_units_table_row_of_a_unit_nobody_rated_is_not_checked(tmp_path):
    """Checking the units table in its file's order took in the rows of units nobody rated,
    which the analysis leaves out with a warning: an empty cell or another class there stopped
    the analysis. Those rows are left out of the check; a rated unit's row is still named at its
    own line after them."""
    from perfsim.scenario import load_scenario

    rule = load_scenario(HANGZHOU).rule
    units = pd.read_csv(PILOT_UNITS, dtype=str)
    first = units.columns[2]
    extra = units.head(2).assign(department=["市测试一局", "市测试二局"], **{first: ["", "abc"]})
    ids = sorted(units["department"])
    path = tmp_path / "u.csv"
    pd.concat([extra, units]).to_csv(path, index=False)
    scorer = RuleScorer(rule, path, ids, source=str(path))  # (the unrated rows: not a word)
    assert scorer.unit_ids == ids
    bad = pd.concat([extra, units.assign(**{first: ["x"] + list(units[first][1:])})])
    bad.to_csv(path, index=False)
    with pytest.raises(DataError, match=f"line 4, column '{first}': 'x' is not a number"):
        RuleScorer(rule, path, ids, source=str(path))
    # ids are checked on every row: an empty one, or an unrated unit given twice
    for extra_id, said in (("", "line 2, column 'department': the department id is empty"),
                           ("市测试二局", "line 3, column 'department': department '市测试二局' appears twice")):  # fmt: skip
        twice = pd.concat([extra.assign(department=[extra_id, "市测试二局"]), units])
        twice.to_csv(path, index=False)
        with pytest.raises(DataError, match=re.escape(said)):
            RuleScorer(rule, path, ids, source=str(path))
