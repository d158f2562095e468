"""Plain-language summaries (perfsim.report.summary), practical significance in comparisons, numbers
for users (perfsim.report.numbers) and convergence warnings that name the compared rule."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT, run_cli

import perfsim
from perfsim import metric_registry
from perfsim.experiments.compare import compare, verdict
from perfsim.i18n import language, metric_label
from perfsim.report.numbers import diff_interval, num, pct, pcts
from perfsim.report.summary import (
    comparison_sentences,
    explain_lines,
    run_sentences,
    shown_metrics,
)
from perfsim.world.convergence import ConvergenceWarning

V5 = ROOT / "scenarios" / "theory" / "v5-visibility.toml"
HANGZHOU = ROOT / "scenarios" / "hangzhou-2011.toml"
GOODHART = ROOT / "scenarios" / "teaching" / "goodhart.toml"
TOURNAMENT = ROOT / "scenarios" / "teaching" / "tournament.toml"

NUMBER = r"[−+]?[\d,]+(?:\.\d+)?"


def _parse(text: str) -> tuple[float, int]:
    """A number as written by perfsim.report.numbers, and its decimal places."""
    text = text.replace("−", "-").replace(",", "")
    places = len(text.split(".")[1]) if "." in text else 0
    return float(text), places


def _close(text: str, value: float) -> bool:
    """``text`` is ``value`` rounded to the places it shows."""
    parsed, places = _parse(text)
    return abs(parsed - value) <= 0.5 * 10**-places + 1e-12


def _sentence(sentences: list[str], word: str) -> str:
    found = [s for s in sentences if word in s]
    assert len(found) == 1, (word, sentences)
    return found[0]


# ---- run summaries -------------------------------------------------------------------------------


@pytest.mark.parametrize("survey_share", [0.0, 0.5])
def test_v5_summary_names_the_visible_class_only_when_the_survey_counts(survey_share):
    """Front-line units are more visible to survey raters (visibility 1.0 vs 0.3): with a survey
    share they score above back offices at equal true value; without one, no class gap is
    detectable (the total no longer depends on visibility)."""
    result = perfsim.simulate(
        V5, reps=30, seed=3, overrides=[f"rule.components.survey.share={survey_share}"]
    )
    m = result.metrics.set_index("metric")
    shares = {"target": 1 - survey_share, "survey": survey_share}
    sentences = run_sentences("V5", result.metrics, result.departments, shares)
    assert 3 <= len(sentences) <= 7
    tau = _sentence(sentences, "Kendall τ")
    assert _close(re.search(rf"τ = ({NUMBER})", tau).group(1), m.loc["kendall_tau", "mean"])
    gap = m.loc["class_gap:front", "mean"] - m.loc["class_gap:back", "mean"]
    assert m.loc["class_gap:front", "mean"] == pytest.approx(-m.loc["class_gap:back", "mean"])
    if survey_share > 0:
        text = _sentence(sentences, "units of equal true value")
        assert text.startswith("front units score") and "above back units" in text
        assert _close(re.search(rf"score ({NUMBER}) points", text).group(1), gap)
        assert gap > 0
        # the classes differ only in how visible they are to the survey: the gap comes through it
        assert "comes through survey" in text
    else:
        text = _sentence(sentences, "No class of units scores detectably")
        se = m.loc["class_gap:back", "se"] + m.loc["class_gap:front", "se"]
        assert abs(gap) < 2 * se  # what the sentence claims, from the metrics themselves
    assert "Departments put no effort into gaming the indicators." in sentences
    assert m.loc["gaming_share", "mean"] == 0  # naive departments do not game


def test_hangzhou_summary_gaming_grades_and_class_gap_match_the_tables():
    result = perfsim.simulate(HANGZHOU, reps=12, seed=2)
    m = result.metrics.set_index("metric")
    deps = result.departments
    sentences = run_sentences("杭州", result.metrics, deps)
    gaming = _sentence(sentences, "into gaming")
    assert pct(m.loc["gaming_share", "mean"]) in gaming
    columns = [c for c in deps.columns if c.startswith("gaming:")]
    top = deps[columns].sum().idxmax().split(":", 1)[1]
    assert f"mostly on {top} (" in gaming
    grades = _sentence(sentences, "truly best units")
    assert f"{pct(m.loc['top_missed', 'mean'])} do not get the top grade (优秀)" in grades
    assert f"{pct(m.loc['bottom_missed', 'mean'])} are graded above the bottom grade" in grades
    # the scenario's assumptions: surveys see 社会服务类 best (visibility 1.0) and 综合管理类 least
    # (0.7), so front-line units score above back offices of equal true value
    gaps = {k.split(":", 1)[1]: v for k, v in m["mean"].items() if k.startswith("class_gap:")}
    text = _sentence(sentences, "units of equal true value")
    assert text.startswith("社会服务类 units score") and "above 综合管理类 units" in text
    expected = gaps["社会服务类"] - gaps["综合管理类"]
    assert _close(re.search(rf"score ({NUMBER}) points", text).group(1), expected)
    assert max(gaps, key=gaps.get) == "社会服务类" and min(gaps, key=gaps.get) == "综合管理类"
    loss = _sentence(sentences, "best achievable net value")
    assert pct(m.loc["welfare_loss", "mean"]) in loss and "loses" in loss
    # who gets 优秀, by class: the mean over each class's units of their share of replications
    top = _sentence(sentences, "优秀 goes to")
    by_class = deps.groupby("class", sort=False)["share:优秀"].mean()
    for cls, share in zip(by_class.index, pcts(list(by_class)), strict=True):
        assert f"{share} of {cls} units" in top  # to the same places: 31.6 %, 6.5 %, 1.0 %
    assert len(deps["class"].unique()) == 3 and top.count(" units") == 3


@pytest.mark.parametrize("method", ["zscore", "efficacy"])
def test_a_rule_that_grades_most_units_lowest_is_said_so(method):
    """z-scores (mean 50) under score lines of 82 and 90 points graded 86 % of units 不合格 and
    the summary said only that no weak unit escaped the bottom grade; the share graded lowest is
    said, with the mean total, when it is more than half of all units (not under the bundled
    efficacy scores)."""
    result = perfsim.simulate(
        HANGZHOU, reps=4, seed=1, overrides=[f'rule.normalize.method="{method}"']
    )
    deps = result.departments
    lowest = float(deps["share:不合格"].mean())
    grades = _sentence(run_sentences("杭州", result.metrics, deps), "truly best units")
    said = f"But the rule grades {pct(lowest)} of all units 不合格, the lowest grade"
    assert (said in grades) == (lowest > 0.5), grades
    assert (lowest > 0.5) == (method == "zscore")
    if method == "zscore":
        total = result.metrics.set_index("metric").loc["mean_total", "mean"]
        assert f"(mean total {num(total, 3)})" in grades


def test_goodhart_summary_drops_grades_of_a_single_band_and_says_value_is_destroyed():
    result = perfsim.simulate(GOODHART, reps=6, seed=0)
    m = result.metrics.set_index("metric")
    sentences = run_sentences("g", result.metrics, result.departments)
    assert not [s for s in sentences if "top grade" in s]  # one band: nobody is graded apart
    loss = m.loc["welfare_loss", "mean"]
    text = _sentence(sentences, "best achievable net value")
    assert ("destroys value" in text) == (loss > 1)
    shown = shown_metrics(result.metrics)
    assert "top_in_bottom" not in shown.rows  # undefined with one band: left out, with why
    assert any("top_in_bottom (the rule has fewer than two grade bands)" in n for n in shown.notes)
    assert not set(shown.rows) & {"converged_share", "iterations_max"}


# ---- practical significance ----------------------------------------------------------------------


def test_verdicts_with_a_smallest_difference_that_matters():
    # detectable and large enough: better / worse by the metric's direction
    assert verdict("kendall_tau", 0.03, 0.05, 0.02, 0.04) == "better"
    assert verdict("class_bias", 0.03, 0.05, 0.02, 0.04) == "worse"
    # detectable, the estimate below the threshold, the interval reaching past it: it may matter
    assert verdict("kendall_tau", 0.001, 0.03, 0.02, 0.015) == "slightly better"
    assert verdict("top_missed", -0.0321, -0.0048, 0.02, -0.0185) == "slightly better"
    assert verdict("class_bias", 0.001, 0.03, 0.02, 0.015) == "slightly worse"
    # detectable, but the whole interval within ±δ: shown too small to matter
    assert verdict("kendall_tau", 0.001, 0.015, 0.02, 0.008) == "no practical difference"
    # the whole interval within ±δ, even around 0: no difference that matters
    assert verdict("welfare_loss", -0.004, 0.003, 0.005, 0.0) == "no practical difference"
    # not detectable and not excluded from mattering
    assert verdict("welfare_loss", -0.004, 0.009, 0.005, 0.002) == "no detectable difference"
    # δ = 0 or unknown: the verdict of the interval alone
    assert verdict("kendall_tau", 0.001, 0.003, 0.0, 0.002) == "better"
    assert verdict("kendall_tau", 0.001, 0.003, math.nan, 0.002) == "better"
    assert verdict("mean_total", 1.0, 2.0, 0.1, 1.5) == ""  # no better side
    # one replication: no interval, so nothing detected
    assert verdict("kendall_tau", math.nan, math.nan, 0.02, 0.01) == "no detectable difference"


def test_no_verdict_for_a_metric_the_reference_does_not_have():
    """The ministry's rater groups have no reliability under Hangzhou's rater mix: no difference
    is estimated, so no verdict ("no detectable difference" before), while the metrics both have
    keep theirs."""
    c = compare(["hangzhou-2011", "mlr-2011"], reps=10, seed=1)
    t = c.table[c.table["rule"] == c.rules[1]]
    missing = t[t["diff"].isna()]
    assert missing["metric"].str.startswith("rater_reliability:").sum() >= 2
    assert (missing["verdict"] == "").all(), missing[["metric", "verdict"]]
    both = t[t["diff"].notna() & (t["direction"] != "")]
    assert len(both) > 10 and (both["verdict"] != "").all()


@pytest.fixture(scope="module")
def v5_survey30():
    return compare([V5], variants=["survey30:rule.components.survey.share=0.3"], reps=40, seed=4)


def test_a_detectable_difference_below_the_threshold_is_no_practical_difference(v5_survey30):
    row = v5_survey30.table.set_index(["metric", "rule"]).loc[("class_bias", "survey30")]
    assert row["verdict"] == "better" and row["diff_high"] < 0
    assert row["min_diff"] == pytest.approx(
        metric_registry.SPREAD_SHARE
        * v5_survey30.results[("base", v5_survey30.rules[0])].per_rep["class_bias"].std(ddof=1)
    )
    big = 2 * abs(row["diff"])  # twice the effect: it no longer matters
    again = compare(
        [V5],
        variants=["survey30:rule.components.survey.share=0.3"],
        reps=40,
        seed=4,
        min_differences={"class_bias": big},
    )
    t = again.table.set_index(["metric", "rule"])
    assert t.loc[("class_bias", "survey30"), "verdict"] == "no practical difference"
    assert t.loc[("class_bias", "survey30"), "min_diff"] == big
    assert (
        t.loc[("kendall_tau", "survey30"), "verdict"]
        == (
            v5_survey30.table.set_index(["metric", "rule"]).loc[
                ("kendall_tau", "survey30"), "verdict"
            ]
        )
    )  # the other metrics keep their default thresholds
    words = comparison_sentences(again.table, again.rules, again.worlds, 40)
    rule = _sentence(words, "survey30")
    assert re.search(r"makes no practical difference on [^;]*class bias", rule)
    before = _sentence(comparison_sentences(v5_survey30.table, v5_survey30.rules, ["base"], 40),
                       "survey30")  # fmt: skip
    diff = re.search(rf"class bias \(({NUMBER}) points\)", before).group(1)
    assert _close(diff, row["diff"]) and diff.startswith("−")
    assert re.search(r"is better on [^;]*class bias", before)


def test_identical_metrics_are_left_out_of_the_comparison_sentences(v5_survey30):
    t = v5_survey30.table
    same = t[(t["rule"] == "survey30") & (t["diff"] == 0) & (t["diff_low"] == 0)]
    assert len(same)  # e.g. the evaluation cost: the same surveys under both rules
    sentences = comparison_sentences(t, v5_survey30.rules, v5_survey30.worlds, 40)
    for metric in same["metric"]:
        if metric_registry.better(metric):
            assert metric in _sentence(sentences, "Identical under every rule")
            assert metric_registry.label(metric) not in _sentence(sentences, "survey30 ")


def test_min_differences_are_checked():
    with pytest.raises(perfsim.ScenarioError, match="nosuch"):
        compare([V5, V5], reps=2, min_differences={"nosuch": 1.0})
    with pytest.raises(perfsim.ScenarioError, match="≥ 0"):
        compare([V5, V5], reps=2, min_differences={"kendall_tau": -1.0})


def test_every_metric_with_a_better_side_has_a_meaning_and_a_threshold():
    names = [*metric_registry.METRICS, "effective_weight:A", "class_gap:B"]
    for name in names:
        assert metric_registry.explain(name)
        if metric_registry.better(name):
            fixed = metric_registry.min_difference(name)
            scaled = metric_registry.min_difference(name, spread=10.0)
            assert (fixed > 0) or scaled == pytest.approx(metric_registry.SPREAD_SHARE * 10)
    lines = explain_lines(["kendall_tau", "mean_total"])
    assert "higher is better" in lines[0] and "0.02" in lines[0]
    assert "no better side" in lines[1]
    assert lines[0].startswith("kendall_tau") and lines[1].startswith("mean_total")
    with language("zh"):  # the label the Chinese table shows, with the name
        said = explain_lines(["kendall_tau", "mean_total"])
    for line, name in zip(said, ["kendall_tau", "mean_total"], strict=True):
        with language("zh"):
            label = metric_label(name)
        assert label != name and line.startswith(f"{label}（{name}）"), line


# ---- numbers -------------------------------------------------------------------------------------


@pytest.mark.parametrize("sign", [1, -1])
def test_numbers_are_never_in_e_notation_and_round_trip(sign):
    for exponent in np.arange(-12, 300, 0.37):
        x = sign * 10.0**exponent
        text = num(x)
        assert "e" not in text.lower() and len(text) < 30, text
        if "×" in text:
            mantissa, power = text.split(" × 10")
            power = power.translate(str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789"))
            value = _parse(mantissa)[0] * 10.0 ** int(power)
        else:
            value = _parse(text)[0]
        assert value == pytest.approx(x, rel=5e-4), (x, text)
    assert num(15449.6) == "15,450" and num(-0.0000485) == "−0.0000485"


@pytest.mark.parametrize("tiny", [1.11e-18, -3e-17, 4e-5, -0.000049])
def test_a_difference_that_rounds_to_zero_is_written_as_zero(tiny):
    """A paired difference of a metric equal in every replication comes out of the mean as
    rounding (1.11e-18); at the places its interval is written it is zero, not 1.11 × 10⁻¹⁸."""
    assert diff_interval(tiny, 0.0053, -0.0105, 0.0105) == "0 [−0.0105, +0.0105]"
    assert diff_interval(-0.00006, 0.0053, -0.0106, 0.0104) == "−0.0001 [−0.0106, +0.0104]"


@pytest.mark.parametrize(
    ("x", "places", "sign"),
    [(-0.0004, 2, False), (0.0004, 2, True), (-0.4, 0, False), (-0.00049, 3, True)],
)
def test_a_number_that_rounds_to_zero_has_no_sign(x, places, sign):
    """The pilot's reliability table printed an interval bound of −0.00."""
    assert num(x, places, sign) == ("0." + "0" * places if places else "0")
    assert num(-0.006, 2) == "−0.01" and num(0.006, 2, sign=True) == "+0.01"


# ---- the CLI -------------------------------------------------------------------------------------


def test_cli_run_prints_sentences_before_the_table_and_explains_on_demand(tmp_path):
    r = run_cli("run", str(GOODHART), "--reps", "4", "--out", str(tmp_path / "a"))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    first = next(i for i, x in enumerate(lines) if "Kendall τ =" in x)
    header = next(i for i, x in enumerate(lines) if x.split()[:1] == ["metric"])
    assert first < header
    assert not re.search(r"\d[eE][+-]\d", r.stdout)
    said = " ".join(r.stdout.split())
    assert (
        "Not shown, undefined in this run: top_missed, bottom_missed and top_in_bottom (the" in said
    )
    assert "add --explain" in r.stdout
    r = run_cli("run", str(GOODHART), "--reps", "4", "--out", str(tmp_path / "b"), "--explain")
    assert "kendall_tau (higher is better" in r.stdout and "add --explain" not in r.stdout
    # the solver's diagnostics, summed up in a sentence and not in the table, are explained too
    for name in ("converged_share", "iterations_max", "fixed_point_residual", "choice_gap"):
        assert f"{name} (no better side)" in r.stdout, name


def test_cli_compare_says_no_practical_difference_below_min_diff(tmp_path):
    args = ["compare", str(V5), "--variant", "s30:rule.components.survey.share=0.3", "--reps", "8"]
    r = run_cli(*args, "--out", str(tmp_path / "a"), "--min-diff", "class_bias=1000")
    assert r.returncode == 0, r.stderr
    block = r.stdout.split("class_bias (", 1)[1].splitlines()
    assert "δ 1,000" in block[0] and "no practical difference" in block[1]
    r = run_cli(*args, "--out", str(tmp_path / "b"), "--min-diff", "nosuch=1")
    assert r.returncode == 2 and "nosuch" in r.stderr and "--min-diff" in r.stderr
    assert "Traceback" not in r.stderr
    r = run_cli(*args, "--out", str(tmp_path / "c"), "--min-diff", "kendall_tau=much")
    assert r.returncode == 2 and "METRIC=VALUE" in r.stderr


# ---- convergence ---------------------------------------------------------------------------------


def test_compare_warning_and_report_name_the_unconverged_variant(tmp_path):
    from perfsim.experiments.compare import write_comparison
    from perfsim.report import build_report

    with pytest.warns(ConvergenceWarning) as caught:
        comp = compare([TOURNAMENT], variants=["few:world.max_iterations=3"], reps=4, seed=0)
    messages = [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert any("tournament.toml (rule few)" in m and "4 of 4" in m for m in messages)
    assert not any(comp.rules[0] in m for m in messages)  # the reference converged
    sentences = comparison_sentences(comp.table, comp.rules, comp.worlds, 4)
    warning = _sentence(sentences, "did not settle")
    assert "few (0 % converged)" in warning and comp.rules[0] not in warning
    out = write_comparison(comp, tmp_path / "cmp", seed=0, reps=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # figures of a tiny run
        _, md = build_report(out)
    text = md.read_text(encoding="utf-8")
    assert "few (0 % converged)" in text
    assert "| best response converged (few) | 0 % of replications" in text
    assert f"| best response converged ({comp.rules[0]}) | 100 % of replications" in text


# ---- agreement within rater groups ---------------------------------------------------------------


@pytest.mark.parametrize("respondents", [4, 200])  # exact multinomial answers; normal approximation
def test_group_reliability_is_the_correlation_of_two_parallel_groups(respondents):
    """Classical test theory: two independent groups of the same kind rating the same units
    correlate, across units, by the reliability of one group's score."""
    from perfsim import engine
    from perfsim.world.model import group_reliability, survey_draw

    scenario = perfsim.load_scenario(V5, [f"world.raters.survey.respondents={respondents}"])
    world = engine.build(scenario).world
    rng = np.random.default_rng(respondents)
    n = 6000
    spread = 8.0 if respondents < 50 else 4.0  # so that either survey is informative
    latent = rng.normal(40.0, spread, (1, n, 1))  # perceived quality of n units
    reliability = group_reliability(world, latent)[0, 0]
    assert 0.1 < reliability < 0.95  # informative: neither noise nor perfect
    first, second = (survey_draw(world, 0, latent[..., 0], rng)[0] for _ in range(2))
    r = np.corrcoef(first, second)[0, 1]
    assert abs(r - reliability) < 4 * (1 - reliability**2) / np.sqrt(n)


def test_rater_agreement_is_reported_within_groups_and_said_in_words():
    result = perfsim.simulate(HANGZHOU, reps=4, seed=1)
    m = result.metrics.set_index("metric")
    groups = list(result.metadata["resolved_scenario"]["world"]["raters"])
    for group in groups:
        assert metric_registry.better(f"rater_reliability:{group}") == "higher"
        assert 0 < m.loc[f"rater_reliability:{group}", "mean"] < 1
    text = _sentence(run_sentences("杭州", result.metrics, result.departments), "rater group")
    for group in groups:
        assert f"{group} {num(m.loc[f'rater_reliability:{group}', 'mean'], 2)}" in text


def test_an_error_that_is_rounding_noise_shows_as_zero():
    from perfsim.report.numbers import pm

    assert pm(0.132144, 2.79e-18) == "0.1321 ± 0"  # the same value in every replication
    assert pm(1234.5, 1e-10) == "1,234 ± 0"
    assert pm(0.132144, 0.0021) == "0.1321 ± 0.0021"  # a real error keeps its digits
    assert pm(2.0, 1.9e-12) == "2 ± 0"  # at most 1e-12 of the mean: rounding
    assert pm(2.0, 3e-12).endswith("± 3 × 10⁻¹²")  # above it: shown


@pytest.mark.parametrize(("reps", "warned"), [(1, "one replication"), (5, "5 replications"),
                                              (9, "9 replications"), (10, None), (100, None)])  # fmt: skip
def test_few_replications_are_warned_about(reps, warned, tmp_path):
    from helpers import run_cli

    from perfsim.report.summary import replications_sentence

    sentence = replications_sentence(reps)
    assert (warned in sentence) if warned else sentence == ""
    if reps in (1, 10):
        out = tmp_path / "run"
        r = run_cli("run", str(GOODHART), "--reps", str(reps), "--out", str(out))
        assert r.returncode == 0, r.stderr
        text = " ".join(r.stdout.split())
        assert ("Warning: one replication is one draw" in text) == (reps == 1)
        assert f"{reps} replication{'' if reps == 1 else 's'}," in text
        assert f"next: perfsim report {out}" in text


@pytest.mark.parametrize(
    ("verdicts", "said"),
    [
        (["slightly better"], "is slightly better"),
        (["slightly worse", "no practical difference"], "is slightly worse"),
        (["slightly better", "slightly worse"], "is better in some worlds and worse in others"),
        (["better", "slightly worse"], "is better in some worlds"),
    ],
)
def test_a_comparison_says_slightly_better_or_worse_in_words(verdicts, said):
    import pandas as pd

    from perfsim.report.summary import comparison_summary

    worlds = [f"w{k}" for k in range(len(verdicts))]
    rows = []
    for world, v in zip(worlds, verdicts, strict=True):
        for rule, verdict_ in (("ref", "reference"), ("new", v)):
            rows.append(dict(world=world, metric="kendall_tau", rule=rule, mean=0.5, se=0.01,
                             direction="higher", diff=0.01, diff_se=0.004, diff_low=0.002,
                             diff_high=0.018, min_diff=0.02, verdict=verdict_))  # fmt: skip
    text = " ".join(comparison_summary(pd.DataFrame(rows), ["ref", "new"], worlds, 10).key)
    assert said in text, text


def test_the_class_gap_splits_into_the_components_shares_of_it():
    """The least-squares class intercepts are linear in the scored variable, and the total is the
    share-weighted sum of the components (no bonus points in V5): the gap of the total between
    two classes at equal true value equals the shares times the components' gaps."""
    result = perfsim.simulate(V5, reps=20, seed=5, overrides=["rule.components.survey.share=0.3"])
    deps = result.departments
    design = np.column_stack(
        [(deps["class"] == c).to_numpy(float) for c in ("front", "back")]
        + [deps["true_value"].to_numpy(float)]
    )

    def gap(column):
        beta = np.linalg.lstsq(design, deps[column].to_numpy(float), rcond=None)[0]
        return beta[0] - beta[1]

    parts = 0.7 * gap("component:target") + 0.3 * gap("component:survey")
    assert gap("total") == pytest.approx(parts, rel=1e-9, abs=1e-9)
    assert 0.3 * gap("component:survey") > 0.5 * gap("total") > 0  # mostly the survey


def test_agreement_between_components_is_explained_where_shown():
    """A negative Krippendorff's α between components that measure different things alarmed a
    new reader: the table's notes say it is expected, only when those rows are shown."""
    from perfsim.report.summary import shown_metrics

    def table(names):
        return pd.DataFrame(
            {"metric": names, "mean": [-0.46] * len(names), "se": [0.01] * len(names)}
        )

    notes = " ".join(shown_metrics(table(["kendall_tau", "krippendorff_alpha"])).notes)
    assert "a low or negative value is expected" in notes
    assert "expected" not in " ".join(shown_metrics(table(["kendall_tau"])).notes)


def test_a_verdict_on_rater_reliability_comes_with_what_it_means():
    """Ranking within class was judged better on the leaders' reliability, which a reader took
    for better leaders; the comparison says once that the reliability moves with the spread of
    the units' scores. A comparison without such a verdict does not say it."""
    from perfsim.report.summary import comparison_summary

    table = pd.read_csv(
        ROOT / "results" / "examples" / "hangzhou-reform" / "comparison.csv", encoding="utf-8-sig"
    )
    rules = list(dict.fromkeys(table["rule"]))
    note = "A rater group's reliability moves with how far apart the units' scores are"
    said = comparison_summary(table, rules, ["base"], 100).sentences
    assert sum(note in s for s in said) == 1
    calm = table.copy()
    reliability = calm["metric"].str.startswith("rater_reliability:") & (
        calm["verdict"] != "reference"
    )
    calm.loc[reliability, "verdict"] = "no practical difference"
    assert not any(note in s for s in comparison_summary(calm, rules, ["base"], 100).sentences)


def test_a_one_year_runs_cost_over_all_years_is_not_shown_twice():
    """The ministry's one-year run showed 考核成本 1,543.0 ± 9.6 and 各年考评成本合计 1,543.0 ± 9.6
    one above the other; a run of three years shows both (the second three times the first)."""
    import perfsim
    from perfsim.report.summary import shown_metrics

    for periods, shown in ((1, False), (3, True)):
        sets = ['world.policy="naive"', f"world.periods={periods}"]
        result = perfsim.simulate(perfsim.load_scenario("mlr-2011", sets), reps=3, seed=0)
        rows = shown_metrics(result.metrics).rows
        assert "evaluation_cost" in rows
        assert ("evaluation_cost_total" in rows) is shown


def test_the_sentence_on_misgraded_units_says_what_the_rule_makes_inevitable():
    """The ministry's run said 33 % of the truly best miss 优秀 and 92 % of the truly weakest
    escape 不合格, without saying that its places are per class (the truly best are the best of
    all units) and that 不合格 comes only from a veto or a total below 60 (about 3 % of units)."""
    import perfsim
    from perfsim.report.summary import run_sentences

    result = perfsim.simulate(perfsim.load_scenario("mlr-2011", ['world.policy="naive"']),
                              reps=5, seed=0)  # fmt: skip
    lowest = result.departments["share:不合格"].mean()
    assert 0 < lowest < 0.05
    said = " ".join(run_sentences("r", result.metrics, result.departments, None, True))
    assert "the rule gives its places within each class" in said
    assert re.search(r"Only [\d.]+ % of all units are graded 不合格", said), said
    plain = " ".join(run_sentences("r", result.metrics, result.departments, None, False))
    assert "within each class" not in plain and "by the rule's design" in plain
    common = result.departments.assign(**{"share:不合格": 0.2})  # a lowest grade of 20 %
    said = " ".join(run_sentences("r", result.metrics, common, None, True))
    assert "by the rule's design" not in said


@pytest.mark.parametrize(
    ("scenario", "sets", "within"),
    [
        ("mlr-2011", [], True),
        ("hangzhou-2011", [], False),
        ("hangzhou-2011", ["rule.grading.scope=within_class"], True),
        ("hangzhou-2011", ["rule.grading.scope=within_class", "rule.grading.quota={}",
                           "rule.grading.thresholds.优秀=91"], False),  # a line, no places
    ],
)  # fmt: skip
def test_the_within_class_caveat_needs_places_given_within_class(scenario, sets, within):
    from perfsim.report.summary import graded_within_class
    from perfsim.scenario.loader import scenario_raw

    assert graded_within_class(scenario_raw(perfsim.load_scenario(scenario, sets))) is within


def test_the_chinese_note_on_agreement_names_the_metrics_as_the_chinese_table_does():
    """The note under ``perfsim run --lang zh``'s table names the rows it speaks of by the labels
    that table shows, not by English column names it never shows."""
    from perfsim.i18n import language, metric_label
    from perfsim.report.phrases import say

    english = say("note.agreement")
    with language("zh"):
        said = say("note.agreement")
        labels = [metric_label(m) for m in ("icc2k", "krippendorff_alpha")]
    assert "icc2k" in english and "rater_reliability" in english  # (the English table's names)
    for name in ("icc2k", "krippendorff_alpha", "rater_reliability"):
        assert name not in said, said
    assert all(label.split("（")[0] in said for label in labels) and "信度" in said
