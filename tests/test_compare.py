"""Rule comparison: common random numbers, paired intervals, verdicts, robustness, run folder."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT, run_cli

from perfsim.experiments.compare import (
    compare,
    paired_difference,
    parse_across,
    parse_min_diff,
    parse_variant,
    smallest_difference,
    split_top_level,
    unpaired_difference,
    verdict,
)
from perfsim.scenario import ScenarioError, parse_assignment

V5 = ROOT / "scenarios" / "theory" / "v5-visibility.toml"


@pytest.fixture(scope="module")
def comparison():
    return compare([V5], variants=["survey30:rule.components.survey.share=0.3"], reps=60, seed=4)


def test_paired_interval_is_narrower_than_the_unpaired_one(comparison):
    ref, other = (comparison.results[("base", r)] for r in comparison.rules)
    for metric in ("kendall_tau", "class_bias", "spearman_rho"):
        a, b = ref.per_rep[metric].to_numpy(), other.per_rep[metric].to_numpy()
        _, paired_se, low, high, _ = paired_difference(a, b)
        _, unpaired_se, ulow, uhigh = unpaired_difference(a, b)
        assert paired_se < 0.5 * unpaired_se, metric
        assert high - low < uhigh - ulow


def test_a_rule_compared_with_itself_shows_no_detectable_difference():
    comp = compare([V5, V5], reps=30, seed=1)
    t = comp.table[(comp.table["rule"] == comp.rules[1]) & (comp.table["direction"] != "")]
    assert len(t) > 5
    # identical numbers: within any smallest difference that matters (or none to detect)
    assert set(t["verdict"]) <= {"no practical difference", "no detectable difference"}
    assert "no practical difference" in set(t["verdict"])
    assert (t["diff"] == 0).all()


def test_verdicts_honour_each_metrics_direction(comparison):
    t = comparison.table.set_index(["metric", "rule"])
    # A smaller survey share means less visibility bias (lower is better) and a truer ranking.
    assert t.loc[("class_bias", "survey30"), "verdict"] == "better"
    assert t.loc[("class_bias", "survey30"), "diff"] < 0
    assert t.loc[("kendall_tau", "survey30"), "verdict"] == "better"
    assert verdict("class_bias", 1.0, 2.0, 0.0, 1.5) == "worse"
    assert verdict("kendall_tau", 1.0, 2.0, 0.0, 1.5) == "better"
    assert verdict("kendall_tau", -1.0, 2.0, 0.0, 0.5) == "no detectable difference"


def test_the_most_iterations_differ_by_the_difference_of_the_maxima():
    tournament = ROOT / "scenarios" / "teaching" / "tournament.toml"
    comp = compare([tournament], variants=["q20:rule.grading.quota.优秀=0.2"], reps=8, seed=2)
    t = comp.table.set_index(["metric", "rule"])
    most = {r: comp.results[("base", r)].per_rep["iterations_max"].max() for r in comp.rules}
    row = t.loc[("iterations_max", "q20")]
    assert (
        row["mean"] == most["q20"]
        and t.loc[("iterations_max", comp.rules[0]), "mean"] == most[comp.rules[0]]
    )
    assert row["diff"] == most["q20"] - most[comp.rules[0]]
    assert np.isnan(row["diff_low"]) and np.isnan(row["diff_high"])  # a maximum: no interval
    # before, it showed the paired mean difference, the same as iterations_mean's
    assert row["diff"] != t.loc[("iterations_mean", "q20"), "diff"]


def test_robustness_reports_worst_case_and_regret():
    comp = compare(
        [V5],
        variants=["s20:rule.components.survey.share=0.2"],
        across=["world.classes.back.visibility=0.3,0.9"],
        reps=20,
        seed=0,
    )
    assert comp.worlds == ["world.classes.back.visibility=0.3", "world.classes.back.visibility=0.9"]
    r = comp.robustness.set_index(["metric", "rule"])
    assert (comp.robustness["max_regret"] >= 0).all()
    # Class bias: the smaller survey share is best in every world, so its regret is zero.
    assert r.loc[("class_bias", "s20"), "max_regret"] == 0
    ref = comp.rules[0]
    means = comp.table[(comp.table.metric == "class_bias") & (comp.table.rule == ref)]["mean"]
    assert r.loc[("class_bias", ref), "worst"] == pytest.approx(means.max())


def test_a_rule_not_comparable_on_a_metric_has_no_regret_on_it():
    """A rule that grades another share of units 优秀 is "not comparable" on top_missed, so the
    robustness table does not judge it there (NaN regret) nor measure the others' regret from it;
    on Kendall τ it is judged as before."""
    v2q = ROOT / "scenarios" / "theory" / "v2q-quota.toml"
    comp = compare(
        [v2q],
        variants=["q30:rule.grading.quota.优秀=0.3"],
        across=["world.indicators.output.noise=0.5,1"],
        overrides=["world.samples=16", "world.departments=40"],
        reps=12,
    )
    ref = comp.rules[0]
    t = comp.table[comp.table.metric == "top_missed"].set_index(["world", "rule"])
    assert (t.xs("q30", level="rule")["verdict"] == "not comparable").all()
    r = comp.robustness.set_index(["metric", "rule"])
    assert np.isnan(r.loc[("top_missed", "q30"), "max_regret"])
    assert np.isnan(r.loc[("top_missed", "q30"), "worst"])
    assert r.loc[("top_missed", ref), "max_regret"] == 0  # the only rule judged: the best
    tau = comp.table[comp.table.metric == "kendall_tau"].pivot(
        index="world", columns="rule", values="mean"
    )
    regret = (tau.max(axis=1) - tau["q30"]).max()
    assert r.loc[("kendall_tau", "q30"), "max_regret"] == pytest.approx(regret, abs=1e-12)


@pytest.mark.parametrize(
    ("text", "name", "overrides"),
    [
        (
            "social40:rule.components.社会评价.share=0.4",
            "social40",
            ["rule.components.社会评价.share=0.4"],
        ),
        ("two:a.b=1,c.d=[1, 2]", "two", ["a.b=1", "c.d=[1, 2]"]),
        ('q:rule.grading.bands=["a", "b"],x=1', "q", ['rule.grading.bands=["a", "b"]', "x=1"]),
    ],
)
def test_variant_parsing(text, name, overrides):
    assert parse_variant(text) == (name, overrides)


def test_separators_typed_on_a_chinese_keyboard_read_as_ascii():
    """A Chinese keyboard types ： ＝ ， (full width); they separate as : = , do, and the same
    characters inside a quoted value stay as written."""
    typed = "社会40：rule.components.社会评价.share＝0.4，rule.audit.probability=0.2"
    ascii_ = "社会40:rule.components.社会评价.share=0.4,rule.audit.probability=0.2"
    name, sets = parse_variant(typed)
    assert name == "社会40" and len(sets) == 2
    resolved = [parse_assignment(x) for x in sets]
    assert resolved == [parse_assignment(x) for x in parse_variant(ascii_)[1]]
    assert resolved[0] == (["rule", "components", "社会评价", "share"], 0.4)
    assert parse_across("world.x＝0.5，1，2") == ("world.x", ["0.5", "1", "2"])
    assert parse_min_diff("kendall_tau＝0.05") == ("kendall_tau", 0.05)
    assert parse_variant('t:meta.title="杭州，2011"')[1] == ['meta.title="杭州，2011"']
    assert parse_assignment('meta.title="a＝b"') == (["meta", "title"], "a＝b")
    # a share typed as a percentage, as perfsim score reads "88.5%" in a cell
    assert parse_assignment("rule.components.社会评价.share=40%")[1] == 0.4
    assert parse_assignment("rule.grading.quota.优秀＝15％")[1] == 0.15
    assert parse_assignment('meta.title="40%"')[1] == "40%"  # a quoted string stays a string
    # full-width digits (an input method left in full-width mode) and the enumeration comma 、
    assert parse_assignment("rule.components.社会评价.share=０.６")[1] == 0.6
    assert parse_assignment("world.departments=１２")[1] == 12
    assert parse_assignment('meta.title="０.６"')[1] == "０.６"  # a quoted string stays as written
    assert parse_assignment("meta.title=（１）")[1] == "（１）"  # not a number: as written
    # a list typed with full-width commas; its quoted items stay as written
    assert parse_assignment('rule.grading.bands=["优秀"，"合格"]')[1] == ["优秀", "合格"]
    assert parse_assignment('meta.sources=["《办法》（2011）"，"Ａ，乙"]')[1] == [
        "《办法》（2011）",
        "Ａ，乙",
    ]
    assert parse_across("world.x=0.5、1、2") == ("world.x", ["0.5", "1", "2"])
    assert parse_variant("a:rule.x=1、rule.y=2")[1] == ["rule.x=1", "rule.y=2"]


def test_bad_variant_and_across_are_user_errors():
    with pytest.raises(ScenarioError, match="NAME:PATH=VALUE"):
        parse_variant("no-colon")
    with pytest.raises(ScenarioError, match="PATH=V1,V2"):
        parse_across("world.x")
    assert parse_across("a.b=0.5,1,[1,2]") == ("a.b", ["0.5", "1", "[1,2]"])
    assert split_top_level("a={x = 1, y = 2},b") == ["a={x = 1, y = 2}", "b"]


@pytest.mark.parametrize(
    ("value", "said"),
    [("1.5", "15 % is 0.15, 1.5 % is 0.015"), ("40", "40 % is 0.4)")],
)
def test_a_bad_variant_value_names_the_variant_and_the_share_meant(value, said):
    """The error names the --variant (not a --set the user never typed) and, for a share above
    1, what it is as a percentage: 15 % for 1.5 (or 1.5 %), 40 % for 40."""
    goodhart = ROOT / "scenarios" / "teaching" / "goodhart.toml"
    text = f"a:rule.audit.probability={value}"
    with pytest.raises(ScenarioError) as err:
        compare([goodhart], variants=[text], overrides=["world.departments=20"], reps=2)
    message = str(err.value)
    assert f"{goodhart} (--set world.departments=20 --variant {text}): " in message
    assert f"rule.audit.probability = {value}" in message and said in message
    assert "with --set" not in message
    with pytest.raises(ScenarioError) as err:
        compare([goodhart], variants=["a:rule.audit.probability=0.2", "a:rule.pay.per_point=1"])
    assert "the rule name 'a' is taken already" in str(err.value)
    with pytest.raises(ScenarioError) as err:  # a share is rescaled with its group: its own error
        compare([goodhart], variants=["w:rule.weights.上报数据=40"], reps=2)
    assert f"{goodhart} (--variant w:rule.weights.上报数据=40): rule.weights" in str(err.value)
    assert "--set" not in str(err.value)


def test_compare_command_writes_a_rerunnable_folder(tmp_path):
    out = tmp_path / "cmp"
    r = run_cli(
        "compare",
        str(V5),
        "--variant",
        "s20:rule.components.survey.share=0.2",
        "--reps",
        "20",
        "--out",
        str(out),
    )
    assert r.returncode == 0, r.stderr
    assert "class_bias" in r.stdout and "better" in r.stdout
    table = pd.read_csv(out / "comparison.csv", encoding="utf-8-sig")
    assert set(table["rule"]) == {"V5 survey visibility bias", "s20"}
    meta = json.loads((out / "metadata.json").read_text(encoding="utf-8"))
    assert meta["seed"] == 0 and meta["reps"] == 20
    shares = meta["resolved_scenarios"]["s20"]["rule"]["components"]
    assert shares["survey"]["share"] == pytest.approx(0.2)
    assert shares["target"]["share"] == pytest.approx(0.8)
    assert sorted(p.name for p in (out / "runs").iterdir()) == ["w0-r0", "w0-r1"]


def test_compare_needs_two_rules(tmp_path):
    r = run_cli("compare", str(V5), "--reps", "5", "--out", str(tmp_path / "x"))
    assert r.returncode == 2 and "give two scenarios" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "x").exists()


def test_same_world_means_same_departments(comparison):
    ref, other = (comparison.results[("base", r)] for r in comparison.rules)
    np.testing.assert_allclose(ref.departments["true_value"], other.departments["true_value"])


def test_paired_intervals_are_narrower_on_the_bundled_hangzhou_comparison():
    comp = compare(
        [ROOT / "scenarios" / "hangzhou-2011.toml"],
        variants=["social40:rule.components.社会评价.share=0.4"],
        overrides=["world.samples=8", "world.max_iterations=40"],
        reps=12,
        seed=0,
    )
    ref, other = (comp.results[("base", r)] for r in comp.rules)
    narrower = []
    for metric in ("kendall_tau", "class_bias", "welfare_loss", "gaming_share"):
        a, b = ref.per_rep[metric].to_numpy(), other.per_rep[metric].to_numpy()
        paired = paired_difference(a, b)
        unpaired = unpaired_difference(a, b)
        narrower.append(paired[3] - paired[2] < unpaired[3] - unpaired[2])
    assert all(narrower)


def test_misclassification_is_not_judged_between_rules_that_grade_otherwise():
    """top_missed counts the rule's own true top group: 0.4 of 30 units is 12, 0.41 is 12 too,
    0.2 is 6 and 1.0 is all 30. And a rule that gives a grade to more units scores better on
    missing it for that alone: at quota 1 nobody misses the top grade. So a misclassification
    metric is judged only where the true top group and the share given the grade it counts
    (top or bottom) agree with the reference's, to 2 points; checked here against the groups and
    the grade shares read off each run."""
    from perfsim.report.summary import comparison_summary

    tournament = ROOT / "scenarios" / "teaching" / "tournament.toml"
    variants = [
        "same12:rule.grading.quota.优秀=0.41",
        "q20:rule.grading.quota.优秀=0.2",
        "all:rule.grading.quota.优秀=1",
    ]
    comp = compare([tournament], variants=variants, overrides=['world.policy="naive"'], reps=12)
    t = comp.table.set_index(["metric", "rule"])["verdict"]
    given = {r: comp.results[("base", r)].confusion.sum(axis=0).to_numpy() for r in comp.rules}
    group = {comp.rules[0]: 12, "same12": 12, "q20": 6, "all": 30}
    ref = comp.rules[0]
    for rule in variants:
        rule = rule.split(":")[0]
        top, bottom = (abs(given[rule][k] - given[ref][k]) >= 0.02 for k in (0, -1))
        other = group[rule] != group[ref]
        assert (t[("top_missed", rule)] == "not comparable") == (other or top)
        assert (t[("top_in_bottom", rule)] == "not comparable") == (other or bottom)
        assert (t[("bottom_missed", rule)] == "not comparable") == bottom
        assert t[("kendall_tau", rule)] != "not comparable"
    assert t[("top_missed", "same12")] not in ("not comparable", "reference", "")
    assert t[("top_missed", "q20")] == t[("top_missed", "all")] == "not comparable"
    assert comp.results[("base", "all")].metrics.set_index("metric").loc["top_missed", "mean"] == 0
    summary = comparison_summary(comp.table, comp.rules, comp.worlds, 12)
    notes = [n for n in summary.warnings if "is not judged on" in n]  # (an "In short" box)
    assert [n.split(" ")[0] for n in notes] == ["q20", "all"]
    assert not any("true top units missing the top grade" in s for s in summary.key[2:])


def test_a_score_line_that_gives_more_units_the_top_grade_is_not_judged_on_missing_it():
    """No quota and a line at 91 points: 31 % of Hangzhou's units are 优秀 against 14 % under the
    15 % quota, and the same 9 units count as the true top; it would "miss" fewer of them."""
    hangzhou = ROOT / "scenarios" / "hangzhou-2011.toml"
    comp = compare(
        [hangzhou],
        variants=["线91:rule.grading.quota={},rule.grading.thresholds.优秀=91"],
        reps=8,
    )
    t = comp.table.set_index(["metric", "rule"])["verdict"]
    top = [comp.results[("base", r)].confusion.sum(axis=0).iloc[0] for r in comp.rules]
    assert top[1] > top[0] + 0.1
    assert t[("top_missed", "线91")] == "not comparable"


def test_a_quota_taken_within_each_class_counts_the_same_true_top_as_the_global_one():
    hangzhou = ROOT / "scenarios" / "hangzhou-2011.toml"
    comp = compare(
        [hangzhou],
        variants=["classes:rule.grading.scope=within_class"],  # 3 + 2 + 3 places, 9 globally
        overrides=['world.policy="naive"'],
        reps=6,
    )
    t = comp.table.set_index(["metric", "rule"])["verdict"]
    assert t[("top_missed", "classes")] not in ("not comparable", "reference", "")


@pytest.mark.parametrize("level", [0.0005, 0.002, 0.015, 0.05, 0.3])
def test_a_cut_in_gaming_matters_relative_to_the_reference_when_gaming_is_small(level):
    """δ for the gaming share is half a point, or a tenth of the reference's gaming when smaller:
    at 1.5 % gaming, a cut to 1.1 % (−29 %, interval clear of 0) is "better", not "no practical
    difference" (a new user's audit comparison); at 30 % gaming, half a point still decides."""
    rng = np.random.default_rng(1)
    reference = level * (1 + 0.01 * rng.standard_normal(200))
    delta = smallest_difference("gaming_share", reference, {})
    assert delta == pytest.approx(min(0.005, max(0.1 * reference.mean(), 0.001)))
    cut = -0.29 * level  # the new user's cut, with an interval ± 5 % of it
    said = verdict("gaming_share", cut * 1.05, cut * 0.95, delta, cut)
    # (with almost no gaming, δ stops at 0.1 point: a cut of 29 % of 0.05 % is no practical one)
    assert said == ("better" if abs(cut) >= delta else "no practical difference")
    assert smallest_difference("gaming_share", reference, {"gaming_share": 0.01}) == 0.01


def test_a_wrong_across_value_stops_before_any_run_and_names_across(monkeypatch):
    """The second value of --across was read only after the first world's runs, and its error
    said '(with --set …)'."""
    import perfsim.experiments.compare as module

    ran = []
    monkeypatch.setattr(module, "simulate", lambda *a, **k: ran.append(a))
    with pytest.raises(ScenarioError) as err:
        compare(
            [V5],
            variants=["more:rule.components.survey.share=0.6"],
            across=["world.indicators.output.noise=0.5,abc"],
            reps=2,
        )
    said = str(err.value)
    assert "(with --across world.indicators.output.noise=abc)" in said and "--set" not in said
    assert "must be a number" in said and ran == []


def test_a_variant_takes_its_changes_from_a_fragment_file(tmp_path, monkeypatch):
    """``--variant NAME:@FRAGMENT.toml``: a reform designer writes the changed keys in a small file
    (copying and editing the 600-line scenario changed an event's probability by accident); the
    variant is the same rule as the same keys given with PATH=VALUE."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "改革.toml").write_text(
        '[rule.components."社会评价"]\nshare = 0.4\n[rule.grading]\nscope = "within_class"\n',
        encoding="utf-8",
    )
    assert parse_variant("改革：@改革.toml") == ("改革", ["@改革.toml"])
    with pytest.raises(ScenarioError, match="NAME:@FRAGMENT.toml"):
        parse_variant("改革:@")
    from perfsim.scenario import load_scenario

    by_file = load_scenario("hangzhou-2011", parse_variant("改革:@改革.toml")[1])
    by_keys = load_scenario(
        "hangzhou-2011", ["rule.components.社会评价.share=0.4", "rule.grading.scope=within_class"]
    )
    assert by_file.rule == by_keys.rule and by_file.rule.grading.scope == "within_class"
    with pytest.raises(ScenarioError, match="fragment file not found"):
        load_scenario("hangzhou-2011", parse_variant("改革:@没有.toml")[1])


def test_a_quota_that_rounds_to_the_same_places_within_class_is_the_same_rule():
    """The ministry's classes of 14, 9 and 7 units get ⌊0.15 n⌋ = ⌊0.2 n⌋ = 2, 1, 1 places: a 20 %
    quota is the 15 % rule. The comparison called it "not comparable" on the true-top metrics
    (their true top was the nominal share of all 30 units: 4 against 6) and said it "recorded no
    metric". Now every metric is equal in every replication, and the summary says so."""
    from perfsim.i18n import language
    from perfsim.report.summary import comparison_sentences

    mlr = ROOT / "scenarios" / "mlr-2011.toml"
    comp = compare(
        [mlr],
        variants=["q20:rule.grading.quota.优秀=0.2", "q30:rule.grading.quota.优秀=0.3"],
        overrides=['world.policy="naive"'],
        reps=6,
    )  # fmt: skip (q30: 4 + 2 + 2)
    rows = comp.table[comp.table["rule"] == "q20"]
    assert "not comparable" not in set(rows["verdict"].astype(str))
    spans = rows[["diff", "diff_low", "diff_high"]].to_numpy(float)
    assert (spans[np.isfinite(spans)] == 0).all()
    said = comparison_sentences(comp.table, comp.rules, ["base"], 6)
    assert any(s.startswith("q20 gives the same results as") for s in said), said
    assert not any(s.startswith("q30 gives the same") for s in said), said  # (another rule)
    with language("zh"):
        said = comparison_sentences(comp.table, comp.rules, ["base"], 6)
    assert any("的结果完全相同" in s for s in said), said
    # with q30 the verdicts are explained; with q20 alone there is no verdict to explain, and no
    # metric to single out as the same under every rule (the sentence says every one is)
    assert any("A rule is called better or worse" in s for s in said_en(comp)), said
    alone = compare([mlr], variants=["q20:rule.grading.quota.优秀=0.2"],
                    overrides=['world.policy="naive"'], reps=6)  # fmt: skip
    said = said_en(alone)
    assert len(said) == 2 and said[1].startswith("q20 gives the same results as"), said


def said_en(comp) -> list[str]:
    from perfsim.report.summary import comparison_sentences

    return comparison_sentences(comp.table, comp.rules, ["base"], 6)


def test_compare_prints_no_table_of_differences_when_every_rule_is_the_same(tmp_path, capsys):
    from perfsim.cli import main

    mlr = str(ROOT / "scenarios" / "mlr-2011.toml")
    args = ["compare", mlr, "--variant", "q20:rule.grading.quota.优秀=0.2", "--reps", "6",
            "--set", 'world.policy="naive"']  # fmt: skip
    assert main([*args, "--out", str(tmp_path / "same")]) == 0
    out = capsys.readouterr().out
    assert "q20 gives the same results" in out and "paired differences" not in out
    assert "A rule is called better" not in out and "Identical under every rule" not in out
    across = [*args, "--across", "world.raters.上级评价.noise=3,6"]
    assert main([*across, "--out", str(tmp_path / "across")]) == 0
    out = capsys.readouterr().out  # (nor an empty table of robustness across the worlds)
    assert "q20 gives the same results" in out and "Robustness across" not in out
    args[3] = "q30:rule.grading.quota.优秀=0.3"
    assert main([*args, "--out", str(tmp_path / "other")]) == 0
    assert "paired differences from the reference" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("scenario", "sets", "places"),
    [
        ("hangzhou-2011", ["rule.grading.scope=within_class"], 3 + 2 + 3),  # 24, 18, 24 units
        ("hangzhou-2011", [], 9),  # ⌊0.15 · 66⌋
        ("hangzhou-2011", ["rule.grading.scope=within_class", 'rule.grading.rounding="nearest"'],
         4 + 3 + 4),  # ⌊3.6 + ½⌋, ⌊2.7 + ½⌋
        ("mlr-2011", ["rule.grading.quota.优秀=0.2"], 2 + 1 + 1),  # 14, 9, 7 units
        ("mlr-2011", ["rule.grading.quota.优秀=0.25"], 3 + 2 + 1),
    ],
)  # fmt: skip
def test_the_true_top_is_the_places_the_quota_admits(scenario, sets, places):
    """Hand-counted places (classes of the bundled worlds) against the engine's true top group,
    and against the units the rule actually grades 优秀 in a naive run."""
    import perfsim
    from perfsim import engine

    sc = perfsim.load_scenario(scenario, [*sets, 'world.policy="naive"'])
    model = engine.build(sc)
    n = sc.world.departments
    assert round(model.fixed["top_share"] * n) == places
    given = perfsim.simulate(sc, reps=4, seed=0).confusion.sum(axis=0).iloc[0]
    assert given == pytest.approx(places / n, abs=1e-9)  # (a quota that binds: ties are rare)


def test_the_terminal_says_how_a_share_set_on_one_component_rescales_the_others(capsys, tmp_path):
    """Raising one component's share to 0.3 rescales the others to fill the rest; the terminal
    said nothing of it (the report's rule table did). Now a line per rule whose shares differ:
    the ministry's other four shares (40, 25, 20 and 5 %) scaled by 0.7 / 0.9, hand-computed."""
    from perfsim.cli import main

    args = ["compare", "mlr-2011", "--variant", "s30:rule.components.管理相对人和服务对象评价.share=0.3",
            "--variant", "q20:rule.grading.quota.优秀=0.2", "--reps", "3",
            "--set", 'world.policy="naive"', "--out", str(tmp_path / "c")]  # fmt: skip
    assert main(args) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "s30: rater mix 有关职能部门评估 31.1 %, 上级评价 19.4 %, 考核组测评 15.6 %, " in out
    assert "管理相对人和服务对象评价 30 %, 本单位自评 3.89 %" in out
    assert "q20: rater mix" not in out  # (its shares are the reference's)


def test_rules_in_different_worlds_are_said_to_be_compared_with_their_worlds():
    """Hangzhou's plan against the ministry's ran each in its own world (66 and 30 units), and
    the comparison said the rules had run on the same departments and noise, with verdicts on
    the rules; it now warns that each difference is the plans' as a whole, and names --world."""
    with pytest.warns(UserWarning, match=r"different worlds \(.*: their departments, tasks or"):
        comp = compare(["hangzhou-2011", "mlr-2011"], across=["rule.pay.per_point=0,1"], reps=2)
    # (the robustness table: a rater group one world has not was a KeyError traceback)
    robust = comp.robustness.set_index(["metric", "rule"])["worst"]
    assert np.isnan(robust.loc[("rater_reliability:社会评价", comp.rules[1])])
    assert np.isfinite(robust.loc[("kendall_tau", comp.rules[1])])
    mine = ROOT / "scenarios/rules/my-first-rule.toml"
    with pytest.raises(ScenarioError, match="needs a world"):  # (no world: not an AttributeError)
        compare([mine, "hangzhou-2011"], reps=2, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.filterwarnings("ignore", message=".*not simulated.*")  # (the plans' own notes)
        warnings.filterwarnings("ignore", message=".*did not converge.*")
        compare(["hangzhou-2011", mine], reps=2, seed=1, world="hangzhou-2011")
        compare([V5], variants=["v:rule.components.survey.share=0.3"], reps=2, seed=1)


def test_plans_in_their_own_worlds_are_not_said_to_share_departments(tmp_path, capsys):
    """After the warning, the summary's method sentence (terminal and report) and the forest
    plot's caption still said each rule ran "on the same simulated departments and noise"; a
    comparison of two plans in their own worlds (66 and 30 units) now says so, and a variant of
    one plan (the same world) keeps the sentence."""
    from perfsim.cli import main
    from perfsim.scenario.worlds import other_worlds

    said = "in its own plan's world"
    same = "on the same simulated departments and noise"
    naive = ["--set", 'world.policy="naive"', "--reps", "2"]
    for plans, extra, own in (
        (["hangzhou-2011", "mlr-2011"], [], True),
        (["hangzhou-2011"], ["--variant", "paid:rule.pay.per_point=1"], False),
    ):
        out_dir = tmp_path / ("own" if own else "common")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert main(["compare", *plans, *naive, *extra, "--out", str(out_dir)]) == 0
        text = " ".join(capsys.readouterr().out.split())
        assert (said in text, same in text) == (own, not own), text
        assert main(["report", str(out_dir)]) == 0
        page = " ".join((out_dir / "report.md").read_text(encoding="utf-8").split())
        assert (said in page, same in page) == (own, not own)
        assert ("each rule in its own plan's world" in page) == own  # (the forest's caption)
        # nor does the table's header, the metrics table's caption or the forest's title say
        # common random numbers
        assert ("common random numbers" in text, "common random numbers" in page) == (not own,) * 2
        if own:
            from perfsim.report.figures.comparison import forest_figure

            table = pd.read_csv(out_dir / "comparison.csv", encoding="utf-8-sig")
            legend = forest_figure(table, own_worlds=True).legends[0].get_title().get_text()
            assert "each rule in its own plan's world" in " ".join(legend.split())
        meta = json.loads((out_dir / "metadata.json").read_text(encoding="utf-8"))
        worlds = {r: s["world"] for r, s in meta["resolved_scenarios"].items()}
        assert bool(other_worlds(worlds)) == own
    # the same shapes read off the scenarios and off their tables in a run folder
    assert other_worlds({"a": {"departments": 5, "tasks": {"x": 1}}, "b": None}) == []
    assert other_worlds({"a": {"departments": 5}, "b": {"departments": 6}}) == ["a", "b"]
    assert other_worlds({"a": {"classes": {"p": 1}}, "b": {"classes": {"q": 1}}}) == ["a", "b"]


def test_the_terminal_says_which_of_several_worlds_its_tables_show(tmp_path, capsys):
    """With --across the terminal prints the first world's tables alone; its header said only
    "world: world.departments=66", and a reader took the 1,000-unit world's numbers as missing.
    It says the first of how many, and that the report shows each."""
    from perfsim.cli import main

    args = ["compare", str(V5), "--variant", "v:rule.audit.probability=0.2", "--reps", "2",
            "--across", "world.classes.back.visibility=0.3,0.8", "--set",
            'world.policy="naive"']  # fmt: skip
    assert main([*args, "--out", str(tmp_path / "en")]) == 0
    out = " ".join(capsys.readouterr().out.split())  # (the terminal's lines wrapped)
    assert "world: world.classes.back.visibility=0.3, the first of 2 (the report shows" in out
    assert main([*args, "--out", str(tmp_path / "zh"), "--lang", "zh"]) == 0
    out = "".join(capsys.readouterr().out.split())
    assert "world.classes.back.visibility=0.3（2个模拟世界中的第一个；报告中列出每一个）" in out
