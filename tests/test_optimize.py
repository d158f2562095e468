"""perfsim optimize: known optima, an analytic front, robustness across worlds, share groups,
determinism across workers, resume after kill -9, and user errors.

The closed forms are Baker's multitask model (scenarios/theory/v6-distortion.toml): value fᵀe,
measure gᵀe, linear pay b, cost ½|e|², so e = b·g and the welfare loss as a share of the first
best is L(b) = |f − b g|² / |f|², minimised at b* = f·g / |g|²; mean effort is b·mean(g). They
are derived here from the scenario's numbers, not from the engine. The engine's effort is exact in
this model (no Monte Carlo noise: the reported SE is 0), so the tolerance on b comes from a
tolerance on the loss, δ, through the curvature: L(b) − L(b*) = (b − b*)² |g|²/|f|².
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT, run_cli

from perfsim import optimize
from perfsim.experiments.optimize.front import Reevaluation, pareto_set, score
from perfsim.experiments.optimize.levers import (
    LeverSpace,
    Objective,
    current_values,
    parse_lever,
    parse_objective,
)
from perfsim.scenario import ScenarioError, load_scenario, scenario_raw

V6 = str(ROOT / "scenarios" / "theory" / "v6-distortion.toml")
F = np.array([1.0, 0.6])  # the scenario's task values
G = np.array([1.0, 0.2])  # its measure's loadings
DELTA = 1e-3  # loss resolution asked of the search (module doc)


def loss(b, f=F, g=G):
    b = np.asarray(b, dtype=float)[..., None]
    return ((f - b * g) ** 2).sum(axis=-1) / (f**2).sum()


def b_star(f=F, g=G) -> float:
    return float(f @ g / (g @ g))


@pytest.mark.parametrize(
    ("ga", "gb", "fb"),
    [(1.0, 0.2, 0.6), (1.0, 0.8, 0.6), (0.5, 1.0, 0.3)],
)
def test_recovers_the_optimal_pay_of_the_multitask_model(ga, gb, fb):
    f, g = np.array([1.0, fb]), np.array([ga, gb])
    sets = [
        f"world.indicators.measure.tasks.a={ga}",
        f"world.indicators.measure.tasks.b={gb}",
        f"world.tasks.b.value={fb}",
    ]
    res = optimize(
        V6,
        levers=["rule.pay.per_point=0:2.5"],
        objectives=["welfare_loss"],
        overrides=sets,
        budget=64,
        reps=3,
        final_reps=6,
    )
    best = res.pareto.iloc[0]
    b, se = best["rule.pay.per_point"], best["welfare_loss_se"]
    # the re-evaluated loss is the closed form at that b, and within δ + 3 SE of the minimum
    assert best["welfare_loss"] == pytest.approx(float(loss(b, f, g)), abs=1e-6 + 3 * se)
    assert best["welfare_loss"] - float(loss(b_star(f, g), f, g)) <= DELTA + 3 * se
    tolerance = np.sqrt((DELTA + 3 * se) * (f @ f) / (g @ g))
    assert abs(b - b_star(f, g)) <= tolerance
    # the reference (b = 0.8) is on the wrong side of b* or not: the nearest better rule says so
    near = res.metadata["nearest"]
    assert near["pareto_better"] == (abs(0.8 - b_star(f, g)) > tolerance)
    if near["pareto_better"]:
        verb = "raise" if b_star(f, g) > 0.8 else "lower"
        assert near["changes"][0].startswith(f"{verb} rule.pay.per_point 0.8 →")


def test_two_objective_front_is_the_analytic_one():
    """Loss against mean effort: the front is b ∈ [0, b*] (beyond b*, more effort buys more
    loss), on the curve (E, L) = (b·mean(g), |f − b g|²/|f|²)."""
    res = optimize(
        V6,
        levers=["rule.pay.per_point=0:2"],
        objectives=["welfare_loss", "mean_effort:min"],
        budget=80,
        reps=3,
        final_reps=3,
    )
    front = res.pareto
    b = front["rule.pay.per_point"].to_numpy()
    effort, lost = front["mean_effort"].to_numpy(), front["welfare_loss"].to_numpy()
    assert len(front) >= 8
    # within the best response's convergence tolerance (world.tolerance = 1e-4 on effort)
    np.testing.assert_allclose(effort, b * G.mean(), atol=1e-4)
    np.testing.assert_allclose(lost, loss(b), atol=1e-4)
    assert b.max() <= b_star() + 0.02  # nothing past b* is Pareto-optimal
    assert b.max() >= b_star() - 0.1 and b.min() <= 0.15  # and the front spans [0, b*]
    assert np.all(np.diff(lost[np.argsort(effort)]) < 0)  # a trade-off: more effort, less loss


@pytest.mark.parametrize("measure", ["worst", "mean", "regret"])
def test_robust_optimum_across_worlds(measure):
    """Worlds differ in the value of task b (f_b = 0.2 or 1.0): the worst-case optimum minimises
    max_w L_w(b), the mean optimum the average of L_w(b), the minimax-regret optimum
    max_w (L_w(b) − min L_w); each found on a grid of the closed forms."""
    values = (0.2, 1.0)
    res = optimize(
        V6,
        levers=["rule.pay.per_point=0:2"],
        objectives=["welfare_loss"],
        across=[f"world.tasks.b.value={values[0]},{values[1]}"],
        robustness=measure,
        budget=64,
        reps=3,
        final_reps=3,
    )
    grid = np.linspace(0, 2, 200001)
    curves = np.array([loss(grid, np.array([1.0, v])) for v in values])
    if measure == "regret":
        curves = curves - curves.min(axis=1, keepdims=True)
    robust = curves.mean(axis=0) if measure == "mean" else curves.max(axis=0)
    b_opt = grid[np.argmin(robust)]
    b = res.pareto["rule.pay.per_point"].iloc[0]
    assert abs(b - b_opt) < 0.03, (b, b_opt)
    assert res.pareto["welfare_loss"].iloc[0] <= robust.min() + 2 * DELTA
    singles = [b_star(np.array([1.0, v])) for v in values]
    if measure != "worst":  # the worlds' own optima lie on either side: the robust rule is neither
        assert min(singles) + 0.05 < b_opt < max(singles) - 0.05


def test_share_groups_stay_on_the_simplex():
    raw = scenario_raw(load_scenario("hangzhou-2011"))
    comps = list(raw["rule"]["components"])
    levers = [parse_lever(f"rule.components.{c}.share=0.05:0.9") for c in comps]
    space = LeverSpace.build(raw, levers)
    rng = np.random.default_rng(1)
    for u in rng.random((20, len(comps))):
        values = space.values(u)
        assert sum(values) == pytest.approx(1.0)
        assert all(v > 0 for v in values)
    # a subset of the group: scaled down only when it would exceed 1
    two = LeverSpace.build(raw, levers[:2])
    assert sum(two.values([1.0, 1.0])) == pytest.approx(1.0)
    assert two.values([0.0, 0.0]) == pytest.approx([0.05, 0.05])
    # the reference's shares are read as shares, whatever the file's units (points or shares)
    ref = current_values(raw, levers)
    assert sum(ref) == pytest.approx(1.0)


def test_noisy_dominance_needs_more_than_two_standard_errors():
    """Two objectives, both minimised; candidate 1 is better than 0 in the first objective by a
    chosen number of paired SEs and equal in the second."""
    rng = np.random.default_rng(0)
    reps = 400
    noise = rng.normal(0, 1, reps)
    other = rng.normal(0, 1, reps)  # independent noise of the second candidate
    objectives = [Objective("a", 1), Objective("b", 1)]

    def rev(shift):
        base = {"a": 5 + noise, "b": 3 + noise}
        moved = {"a": 5 + shift + other, "b": 3 + other}
        return Reevaluation([[base], [moved]], reps, 1)

    se = np.std(noise - other, ddof=1) / np.sqrt(reps)
    far, near_ = score(rev(-4 * se), objectives, "worst"), score(rev(-1 * se), objectives, "worst")
    assert far.dominates(1, 0) and not far.dominates(0, 1)
    assert not near_.dominates(1, 0) and not near_.dominates(0, 1)
    assert pareto_set(far, [0, 1]) == [1]
    assert pareto_set(near_, [0, 1]) == [0, 1]


#: a small search of the pay per point against two objectives (quick: 16 rules, 2 replications)
SMALL = dict(
    levers=["rule.pay.per_point=0:2"],
    objectives=["welfare_loss", "mean_effort:min"],
    budget=16,
    reps=2,
    final_reps=2,
    seed=3,
)


def test_same_front_with_one_or_two_workers():
    one = optimize(V6, jobs=1, **SMALL)
    two = optimize(V6, jobs=2, **SMALL)
    pd.testing.assert_frame_equal(one.pareto, two.pareto)
    pd.testing.assert_frame_equal(
        one.evaluations.sort_values("candidate").reset_index(drop=True),
        two.evaluations.sort_values("candidate").reset_index(drop=True),
    )


def test_front_reevaluation_reports_progress_rule_by_rule():
    search, front = [], []
    res = optimize(
        V6,
        **SMALL,
        progress=lambda done, total: search.append((done, total)),
        front_progress=lambda done, total: front.append((done, total)),
    )
    assert search[-1] == (17, 17)  # the search's rules and the reference
    total = res.metadata["front_searched"] + 1  # the front's rules and the reference
    assert front == [(k, total) for k in range(total + 1)]  # from 0, one rule at a time


def test_resume_after_kill_9_gives_the_same_front(tmp_path):
    args = [
        "optimize", V6, "--lever", "rule.pay.per_point=0:2", "--lever",
        "rule.indicators.measure.normalize=linear,zscore", "--objective", "welfare_loss",
        "--objective", "mean_effort:min", "--budget", "120", "--reps", "6", "--final-reps", "6",
        "--quiet",
    ]  # fmt: skip
    whole = tmp_path / "whole"
    assert run_cli(*args, "--out", str(whole)).returncode == 0
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "perfsim.cli", *args, "--out", str(out)]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not (out / "evaluations.parquet").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # a generation or two in
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (out / "pareto.csv").exists(), "the run finished before the kill: make it longer"
    done = run_cli(*args, "--out", str(out), "--resume")
    assert done.returncode == 0, done.stderr
    a = pd.read_csv(whole / "pareto.csv", encoding="utf-8-sig")
    b = pd.read_csv(out / "pareto.csv", encoding="utf-8-sig")
    pd.testing.assert_frame_equal(a, b)
    assert (
        pd.read_parquet(out / "evaluations.parquet").shape
        == pd.read_parquet(whole / "evaluations.parquet").shape
    )


def test_another_optimisation_in_the_folder_is_refused(tmp_path):
    out = tmp_path / "o"
    base = ["optimize", V6, "--lever", "rule.pay.per_point=0:2", "--objective", "welfare_loss",
            "--budget", "8", "--reps", "2", "--quiet", "--out", str(out)]  # fmt: skip
    assert run_cli(*base).returncode == 0
    other = run_cli(*base[:-2], "--seed", "5", "--out", str(out))
    assert other.returncode == 2 and "different optimisation" in other.stderr
    user = tmp_path / "mine"
    user.mkdir()
    (user / "notes.txt").write_text("keep me")
    refused = run_cli(*base[:-1], str(user))
    assert refused.returncode == 2 and (user / "notes.txt").read_text() == "keep me"


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--lever", "rule.pay.per_point=1:0", "--objective", "welfare_loss"], "LO < HI"),
        (["--lever", "rule.pay.per_point", "--objective", "welfare_loss"], "PATH=LO:HI"),
        (
            ["--lever", "world.departments=0:30:int", "--objective", "welfare_loss"],
            "--lever: world.departments = [0.0, 30.0]: the value 0 is not allowed",
        ),
        (["--lever", "rule.pay.per_point=0:2", "--objective", "mean_effort"], "METRIC:min or METRIC:max"),
        (["--lever", "rule.pay.per_point=0:2", "--objective", "nosuch:min"], "not a metric"),
        (
            ["--lever", "rule.pay.per_point=0:2", "--objective", "welfare_loss",
             "--constraint", "welfare_loss~3"],
            "METRIC<VALUE",
        ),
        (
            ["--lever", "rule.pay.per_point=0:2", "--objective", "welfare_loss",
             "--robustness", "best"],
            "invalid choice",
        ),
        (["--objective", "welfare_loss"], "at least one --lever"),
    ],
)  # fmt: skip
def test_user_errors_exit_2_naming_the_option(tmp_path, extra, words):
    done = run_cli("optimize", V6, *extra, "--budget", "8", "--reps", "2", "--out",
                   str(tmp_path / "o"))  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert words in done.stderr, done.stderr


def test_constraint_excludes_rules_in_every_world():
    """welfare_loss < 0.15: only b with |f − b g|²/|f|² < 0.15 (an interval around b*) may be on
    the front of mean effort (minimised), whose best is then the interval's lower end."""
    res = optimize(
        V6,
        levers=["rule.pay.per_point=0:2"],
        objectives=["mean_effort:min"],
        constraints=["welfare_loss<0.15"],
        budget=64,
        reps=2,
        final_reps=2,
    )
    grid = np.linspace(0, 2, 200001)
    low = grid[loss(grid) < 0.15].min()
    b = res.pareto["rule.pay.per_point"].to_numpy()
    assert (loss(b) < 0.15).all()
    assert abs(b.min() - low) < 0.03


def test_report_of_an_optimisation_folder(tmp_path):
    """The folder's recommended rules are ready-to-use scenarios holding the Pareto rules' lever
    values, and the report (English and Chinese) names the nearest rule and draws the front."""
    from perfsim import build_report
    from perfsim.report.html import build_report as build_in

    out = tmp_path / "opt"
    res = optimize(
        V6,
        levers=["rule.pay.per_point=0:2"],
        objectives=["welfare_loss", "mean_effort:min"],
        across=["world.tasks.b.value=0.3,0.9"],
        budget=24,
        reps=2,
        out=out,
    )
    for rec in res.metadata["recommended"]:
        scenario = load_scenario(out / rec["file"])
        row = res.pareto[res.pareto["candidate"] == rec["candidate"]]
        searched = row["rule.pay.per_point"].iloc[0]
        # written to 6 significant digits (half a unit of the 6th: relative 5e-6 at most)
        assert scenario.rule.pay.per_point == pytest.approx(searched, rel=5e-6)
        text = (out / rec["file"]).read_text(encoding="utf-8")
        reference = load_scenario(V6).rule.pay.per_point
        assert f"#   rule.pay.per_point {reference:.4g} → {searched:.4g}" in text
        assert "Changed by perfsim optimize" in scenario.meta.description
        # each recommended rule has a name of its own (a report of them side by side tells
        # them apart)
        assert scenario.meta.name.endswith(f"perfsim optimize '{rec['name']}'")
        for number in re.findall(r"(?<![\w.])\d+\.\d+", text):  # none of 17 digits
            assert len(number.replace(".", "").lstrip("0")) <= 6, number
    verdicts = set(res.recommended["verdict"])
    said = {"better", "worse", "no practical difference", "no detectable difference"}
    assert verdicts <= said | {""}  # blank: no replication has the metric under both rules
    blank = res.recommended[res.recommended["verdict"] == ""]
    assert blank["diff"].isna().all(), blank
    html, md = build_report(out)
    text = md.read_text(encoding="utf-8")
    assert res.metadata["nearest"]["sentence"] in text
    assert "rules/nearest.toml" in text
    assert (out / "figures" / "pareto-front.png").is_file()
    assert (out / "figures" / "parallel-coordinates.png").is_file()
    # the recommended rules' rows name the metrics each does worse on (not a count across worlds)
    from perfsim.i18n import metric_name

    for rec in res.metadata["recommended"]:
        part = res.recommended[res.recommended["rule"] == rec["name"]]
        worse = set(part.loc[part["verdict"].isin(["worse", "slightly worse"]), "metric"])
        row = next(line for line in text.splitlines() if line.startswith(f"| {rec['name']} |"))
        worse_cell = row.strip("|").split("|")[-1]
        for metric in worse:
            assert metric_name(metric) in worse_cell
        if not worse:
            assert worse_cell.strip() == "–"
    # 24 rules of 8: 3 generations, a first look, said in the notes and the report
    assert res.metadata["generations"] < 5
    assert any("a short search" in n for n in res.notes) and "a short search" in text
    zh = build_in(out, "zh")[1].read_text(encoding="utf-8")
    assert "帕累托规则" in zh and "What was searched" not in zh
    # the nearest rule's levers and effects in Chinese, not the English sentence of the run
    near = res.metadata["nearest"]
    assert near["moves"] and near["moves"][0]["path"] == "rule.pay.per_point"
    verb = {"raise": "提高", "lower": "降低", "set": "设为"}[near["moves"][0]["verb"]]
    assert f"{verb} rule.pay.per_point" in zh and near["sentence"] not in zh
    # an unfinished folder is named as such by perfsim report
    half = tmp_path / "half"
    half.mkdir()
    (half / "optimization.json").write_text('{"kind": "optimization", "status": "running"}')
    done = run_cli("report", str(half))
    assert done.returncode == 2 and "--resume" in done.stderr


def test_more_than_three_objectives_use_nsga3_and_keep_a_mutual_front():
    objectives = ["welfare_loss", "mean_effort:min", "reward_gini", "mean_total:max"]
    res = optimize(
        V6,
        levers=["rule.pay.per_point=0:2", "world.indicators.measure.noise=0.05:0.5"],
        objectives=objectives,
        budget=40,
        reps=3,
    )
    assert res.metadata["algorithm"] == "NSGA-III"
    assert res.metadata["population"] >= 20  # das-dennis directions of 4 objectives, 3 partitions
    names = [o.split(":")[0] for o in objectives]
    signs = np.array([1, 1, 1, -1])
    loss_ = res.pareto[names].to_numpy() * signs
    se = res.pareto[[f"{n}_se" for n in names]].to_numpy()
    # b is not on the front if some a is no worse anywhere and better somewhere by more than
    # 2 (se_a + se_b) ≥ 2 paired SE: a would dominate b by the noisy rule
    for a in range(len(loss_)):
        for b in range(len(loss_)):
            clear = 2 * (se[a] + se[b]) + 1e-9
            assert not ((loss_[a] <= loss_[b]).all() and (loss_[a] < loss_[b] - clear).any()), (
                a,
                b,
            )


def test_verdict_metrics_name_each_metric_once_with_its_worlds():
    from perfsim.experiments.optimize.output import verdict_metrics
    from perfsim.experiments.optimize.run import short_search_note

    rows = [
        ("nearest", w, m, v)
        for w, verdicts in (
            ("w1", {"a": "better", "b": "worse", "c": "no practical difference"}),
            ("w2", {"a": "slightly better", "b": "slightly worse", "c": "worse"}),
            ("w3", {"a": "better", "b": "no detectable difference", "c": "better"}),
        )
        for m, v in verdicts.items()
    ]
    rows.append(("balanced", "w1", "a", "worse"))
    table = pd.DataFrame(rows, columns=["rule", "world", "metric", "verdict"])
    found = verdict_metrics(table, "nearest")
    assert found["better"] == [("a", 3, 3), ("c", 1, 3)]
    assert found["worse"] == [("b", 2, 3), ("c", 1, 3)]
    assert verdict_metrics(table, "balanced") == {"better": [], "worse": [("a", 1, 1)]}
    assert verdict_metrics(table.iloc[:0], "nearest") == {"better": [], "worse": []}
    assert short_search_note(5, 8) == []
    assert "--budget 40" in short_search_note(2, 8)[0]


def test_a_recommended_rule_file_says_what_changed_in_each_language():
    """The rule file's translated description keeps the reference's text and adds, in its
    language, what optimize changed (a Chinese reader saw the reference's 50 % and nothing
    else); a language without that sentence loses its description, as the English one says it."""
    import tomllib

    from perfsim.experiments.optimize.output import rule_file

    raw = {
        "meta": {
            "name": "某市考评",
            "description": "Social share 50 %.",
            "translations": {
                "zh": {"description": "社会评价占 50 %。"},
                "fr": {"description": "Part sociale 50 %."},
            },
        },
        "rule": {"components": {"社会评价": {"share": 0.311111111111}}},
    }
    changes = [("rule.components.社会评价.share", 0.5, 0.311111111111)]
    meta = tomllib.loads(rule_file(raw, "nearest", changes, "rule.toml"))["meta"]
    assert meta["name"] == "某市考评 — perfsim optimize 'nearest'"
    zh = meta["translations"]["zh"]["description"]
    assert zh.startswith("社会评价占 50 %。") and "推荐规则“nearest”" in zh
    assert "rule.components.社会评价.share 0.5 → 0.3111" in zh
    assert "description" not in meta["translations"]["fr"]
    assert "Changed by perfsim optimize (rule 'nearest')" in meta["description"]


def test_pareto_rules_with_the_same_results_are_kept_once():
    """Two searched points that make one rule in effect (two 优秀 quotas that round to the same
    number of units) give the same numbers to the last digit: the front keeps the first, and the
    count left out is returned for the notes; rules that differ in any replication stay."""
    from perfsim.experiments.optimize import run as optimize_run
    from perfsim.experiments.optimize.front import Scores, pareto_set

    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(5, 2, 8))
    vectors[1, 0] -= 5.0  # 1 is far better on objective 0, 2 on objective 1
    vectors[2, 1] -= 5.0
    vectors[3] = vectors[1]  # candidate 3 is candidate 1 again
    vectors[4] = vectors[2]
    vectors[4, 0, 0] += 1e-12  # …and 4 differs from 2 in one replication
    scores = Scores(
        vectors.mean(axis=2), vectors.std(axis=2), vectors, vectors.mean(axis=2)[..., None]
    )
    front = pareto_set(scores, [1, 2, 3, 4])
    kept, same = optimize_run._distinct_results(scores, front)
    assert set(front) == {1, 2, 3, 4}
    assert kept == [1, 2, 4] and same == 1


def test_an_objective_is_a_metric_with_a_goal():
    """A known metric takes its registry direction; a name that is no metric gets the nearest one
    (not the advice to add :min, which would only lead to a second error); a metric without a
    better side needs :min or :max."""
    from perfsim.scenario import ScenarioError

    assert parse_objective("gaming_share") == Objective("gaming_share", 1)
    assert parse_objective("kendall_tau") == Objective("kendall_tau", -1)
    assert parse_objective("class_gap:社会服务类:max") == Objective("class_gap:社会服务类", -1)
    for typed, meant in (
        ("gaming", "gaming_share"),
        ("gaming:min", "gaming_share"),
        ("tau", "kendall_tau"),
    ):
        with pytest.raises(ScenarioError, match=f"not a metric; did you mean '{meant}'"):
            parse_objective(typed)
    with pytest.raises(ScenarioError, match="no better side: say METRIC:min or METRIC:max"):
        parse_objective("inflation")
    assert parse_objective("inflation:min") == Objective("inflation", 1)


@pytest.mark.parametrize(
    ("path", "en", "zh"),
    [
        ("rule.components.社会评价.share", "社会评价 share", "社会评价权重"),
        ("rule.grading.quota.优秀", "优秀 quota", "优秀名额比例"),
        ("rule.grading.thresholds.良好", "良好 score line", "良好分数线"),
        ('rule.weights."a.b"', "weight of a.b", "a.b的权重"),
        ("rule.audit.probability", "audit rate", "抽查比例"),
        ("rule.pay.per_point", "pay.per_point", "pay.per_point"),
        ("gaming_share", "gaming_share", "指标操纵占投入比例（gaming_share）"),
    ],
)
def test_the_parallel_figure_names_levers_in_words(path, en, zh):
    from perfsim.i18n import language
    from perfsim.report.figures.optimization import axis_name

    assert axis_name(path) == en
    with language("zh"):
        assert axis_name(path) == zh


@pytest.mark.parametrize(
    ("extra", "said", "kept"),
    [
        (["--objective", "class_bias"], "class_bias = 'class_bias': undefined in this scenario",
         False),
        (["--objective", "welfare_loss", "--constraint", "nope<1"], "--constraint: nope", False),
        (["--objective", "welfare_loss", "--objective", "welfare_loss"], "given twice", False),
        (["--objective", "welfare_loss", "--constraint", "welfare_loss<-100"],
         "none of the 8 rules evaluated meets every --constraint", True),
    ],
)  # fmt: skip
def test_a_user_error_leaves_no_half_written_optimisation(tmp_path, capsys, extra, said, kept):
    """An objective the one-class scenario cannot measure crashed (All-NaN slice, exit 1); these
    errors left optimization.json and evaluations.csv behind, and the corrected command was then
    refused ("holds a different optimisation"). Now: exit 2, one line, no folder; but a search
    that ran (constraints no rule met) keeps its evaluations."""
    from perfsim.cli import main

    out = tmp_path / "opt"
    args = ["optimize", "theory/v6-distortion", "--lever", "rule.pay.per_point=0:2",
            "--budget", "8", "--reps", "2", "--out", str(out), "--quiet", *extra]  # fmt: skip
    assert main(args) == 2
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err
    assert out.exists() == kept
    if kept:  # where the evaluations are, and that another --out is needed (it was not said)
        assert f"with another --out: {out} keeps these evaluations" in err
        # how near the rules came (a cost bound of 0.1 where costs run in the thousands: the
        # advice to raise --budget could not help, and nothing said so)
        nearest = re.search(r"\(the nearest: welfare_loss = (\S+) \(< -100\)\)", err)
        assert nearest is not None, err
        assert float(nearest.group(1).replace(",", "")) >= 0  # (a loss: never below 0)


def test_a_user_error_removes_only_the_optimisations_own_files(tmp_path, monkeypatch):
    """A file the user puts into the folder while the run goes on stays, and so does the folder."""
    import perfsim
    from perfsim.experiments.optimize import search as searching

    out = tmp_path / "opt"
    real = searching.Search.evaluate

    def evaluate(self, *args, **kwargs):  # the user drops a note in while the run goes on
        result = real(self, *args, **kwargs)
        (out / "notes.txt").write_text("mine", encoding="utf-8")
        return result

    monkeypatch.setattr(searching.Search, "evaluate", evaluate)
    with pytest.raises(perfsim.PerfsimError, match="undefined in this scenario"):
        perfsim.optimize("theory/v6-distortion", levers=["rule.pay.per_point=0:2"],
                         objectives=["class_bias"], budget=8, reps=2, out=out)  # fmt: skip
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_evaluating_a_candidate_prints_no_numpy_warnings():
    """perfsim optimize printed numpy's RuntimeWarnings with source lines (payoff.py: invalid
    value encountered in multiply) about 11 times a search: its evaluation ran the engine outside
    the quiet context that perfsim run uses. So did a sensitivity point."""
    import warnings

    import perfsim
    from perfsim.experiments.optimize.evaluate import replications
    from perfsim.experiments.sensitivity.models import metric_means

    sets = ["rule.audit.probability=0.38", "rule.grading.quota.优秀=0.107"]
    scenario = perfsim.load_scenario("mlr-2011", sets)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        assert np.isfinite(replications(scenario, 10, 0)["kendall_tau"]).all()
        assert np.isfinite(metric_means(scenario, 10, 0)["kendall_tau"])


def test_a_recommended_rules_rescaled_shares_sum_to_one_in_its_file(tmp_path):
    """A recommended rule's file rounds its numbers to 6 digits; the shares of a rescaled group
    then summed to 0.999999 and every use of the file warned its reader to check the numbers."""
    import warnings

    import perfsim
    from perfsim.experiments.optimize.output import rule_file
    from perfsim.scenario import read_toml
    from perfsim.scenario.scales import scale_notes

    raw = read_toml(ROOT / "scenarios" / "mlr-2011.toml")
    comps = raw["rule"]["components"]
    new = 0.1 + 0.0555555555555  # the lever's value; the others rescaled to fill the rest
    rest = {n: c["share"] for n, c in comps.items() if n != "管理相对人和服务对象评价"}
    for n, share in rest.items():
        comps[n]["share"] = share * (1 - new) / sum(rest.values())
    comps["管理相对人和服务对象评价"]["share"] = new
    assert abs(sum(c["share"] for c in comps.values()) - 1) < 1e-12
    path = tmp_path / "nearest.toml"
    path.write_text(rule_file(raw, "nearest", [], "mlr-2011.toml"), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scenario = perfsim.load_scenario(path)
    assert scale_notes(scenario.rule, scenario.world) == []
    written = read_toml(path)["rule"]["components"]
    assert all(len(repr(c["share"])) <= 10 for c in written.values())  # (still 6-7 digits)
    assert sum(c["share"] for c in written.values()) == pytest.approx(1, abs=1e-12)


def test_an_objectives_change_is_said_from_value_to_value_with_its_percentage():
    """ "class bias +133 % (within noise)" inside a "better" recommendation alarmed a reader: the
    reference's class bias was 0.096 points. The values are said too."""
    from perfsim.experiments.optimize.front import effect_items
    from perfsim.experiments.optimize.levers import Objective

    objs = [Objective("class_bias", 1), Objective("kendall_tau", -1),
            Objective("gaming_share", 1)]  # fmt: skip
    items = effect_items(objs, np.array([0.096, 0.5, 0.0]), np.array([0.22, 0.57, 0.01]),
                         [True, False, False])  # fmt: skip
    assert [i["change"] for i in items] == ["0.096 → 0.22 (+129 %)", "0.5 → 0.57 (+14 %)",
                                            "0 → 0.01"]  # fmt: skip
    assert [i["noise"] for i in items] == [True, False, False]
    # a change under half a percent: "1.45 → 1.44 (−0 %)" said nothing; a decimal does
    small = effect_items(objs, np.array([1.45, 0.5, 200]), np.array([1.446, 0.50001, 201]),
                         [False] * 3)  # fmt: skip
    assert [i["change"] for i in small] == ["1.45 → 1.45 (−0.3 %)", "0.5 → 0.5 (0 %)",
                                            "200 → 201 (+0.5 %)"]  # fmt: skip


def test_a_quota_that_leaves_the_same_places_is_no_change_to_make(tmp_path):
    """The ministry's classes of 14, 9 and 7 units get 2 + 1 + 1 places at any 优秀 quota from
    0.15 to 0.2 (floor): the search recommended "raise the quota 0.15 → 0.183", which changes
    nothing. Such a quota is left out of the changes and the rule files keep the reference's."""
    import json
    from types import SimpleNamespace

    from perfsim.experiments.optimize.run import idle_quotas
    from perfsim.scenario import read_toml

    path = "rule.grading.quota.优秀"

    def model(name, *worlds):
        raw = read_toml(ROOT / "scenarios" / f"{name}.toml")
        return SimpleNamespace(raw=raw, source=name, worlds=worlds or ((),))

    mlr, hangzhou = model("mlr-2011"), model("hangzhou-2011")
    assert idle_quotas(mlr, [f"{path}=0.183"]) == {path}
    assert idle_quotas(mlr, [f"{path}=0.25", "rule.audit.probability=0.3"]) == set()
    # 0.13 of 66 rounded to nearest is 9 places, the reference's 0.15 floored; but 0.15 with
    # the candidate's own rounding (nearest) is 10: not idle (judged against the candidate)
    assert idle_quotas(hangzhou, [f"{path}=0.13", 'rule.grading.rounding="nearest"']) == set()
    assert idle_quotas(hangzhou, [f"{path}=0.14"]) == {path}  # 9 of 66 both
    across = model("hangzhou-2011", (), ("world.departments=20",))  # 2 of 20 against 3
    assert idle_quotas(across, [f"{path}=0.14"]) == set()
    out = tmp_path / "opt"
    args = ["optimize", "mlr-2011", "--lever", f"{path}=0.15:0.2",
            "--lever", "rule.audit.probability=0:0.4", "--objective", "kendall_tau",
            "--objective", "gaming_share", "--set", 'world.policy="naive"',
            "--budget", "12", "--reps", "3", "--final-reps", "3", "--out", str(out), "--quiet"]  # fmt: skip
    from perfsim.cli import main

    assert main(args) == 0
    meta = json.loads((out / "optimization.json").read_text(encoding="utf-8"))
    assert meta["recommended"]
    for rec in meta["recommended"]:
        assert all(change[0] != path for change in rec["changes"]), rec
        rule = read_toml(out / rec["file"])
        assert rule["rule"]["grading"]["quota"]["优秀"] == pytest.approx(0.15)
    assert all(m["path"] != path for m in meta["nearest"].get("moves", []))
    if meta["nearest"]:
        assert meta["nearest"]["levers"][path] == pytest.approx(0.15)


def test_the_front_figure_joins_points_by_a_line_for_two_objectives_only():
    """A 2-D projection of a three-objective front is no curve: the line through it zigzagged
    and read as a broken front (the curated example has three objectives)."""
    import copy

    from perfsim.report.figures.optimization import front_figure
    from perfsim.results.optimization import OptimizationRecord

    record = OptimizationRecord.read(ROOT / "results" / "examples" / "hangzhou-optimize")
    assert len(record.metadata["objectives"]) == 3

    def styles(rec):
        fig = front_figure(rec)
        return {line.get_linestyle() for ax in fig.axes for line in ax.get_lines()}

    assert styles(record) == {"None"}
    two = copy.deepcopy(record)
    two.metadata["objectives"] = two.metadata["objectives"][:2]
    assert "-" in styles(two)


def test_a_lever_every_pareto_rule_sets_at_one_end_of_its_range_is_noted():
    """All 25 Pareto rules of a new user's search set the audit rate to 0.36–0.40 of a 0–0.4
    range, and nothing said that the best may lie beyond it."""
    from perfsim.experiments.optimize.levers import LeverSpace, parse_lever
    from perfsim.experiments.optimize.output import said_again
    from perfsim.experiments.optimize.run import _edge_notes
    from perfsim.i18n import language
    from perfsim.scenario import read_toml

    raw = read_toml(ROOT / "scenarios" / "mlr-2011.toml")
    levers = [
        parse_lever(t) for t in ("rule.audit.probability=0:0.4", "rule.grading.quota.优秀=0.1:0.3")
    ]
    space = LeverSpace.build(raw, levers)
    high = np.array([[0.96, 0.5], [0.99, 0.1], [1.0, 0.9]])
    assert _edge_notes(space, high) == [
        "every Pareto rule sets rule.audit.probability near the top of its range (0 to 0.4): "
        "better rules may lie beyond it; widen the lever's range to see."
    ]
    low = np.array([[0.5, 0.01], [0.2, 0.04]])
    (said,) = _edge_notes(space, low)
    assert "rule.grading.quota.优秀 near the bottom of its range (0.1 to 0.3)" in said
    with language("zh"):
        assert "上端附近" in said_again(_edge_notes(space, high)[0])
    assert _edge_notes(space, np.array([[0.5, 0.5], [0.97, 0.02]])) == []
    assert _edge_notes(space, np.array([[0.99, 0.01]])) == []  # (one rule: no pattern)


def test_a_rule_files_whole_counts_are_left_as_they_are():
    """Only shares are made to sum to 1: a quota_count of {优秀 = 1, 良好 = 0} (whole counts that
    sum to 1) became 1.0, which the strict count would refuse."""
    from perfsim.experiments.optimize.output import _rounded, _summing_to_one

    raw = {"rule": {"grading": {"quota_count": {"优秀": 1, "良好": 0}},
                    "components": {"a": {"share": 1 / 3}, "b": {"share": 2 / 3}}}}  # fmt: skip
    out = _summing_to_one(raw, _rounded(raw))
    assert out["rule"]["grading"]["quota_count"] == {"优秀": 1, "良好": 0}
    assert all(type(v) is int for v in out["rule"]["grading"]["quota_count"].values())
    assert sum(c["share"] for c in out["rule"]["components"].values()) == pytest.approx(
        1, abs=1e-12
    )


def test_the_lever_examples_the_error_gives_work():
    """A malformed lever's message gave rule.normalize=zscore,rank, which fails twice (the path
    needs .method; rank is no method): each example now parses and every value it names
    validates on Hangzhou."""
    from perfsim.experiments.optimize import levers
    from perfsim.experiments.sensitivity.inputs import check_inputs
    from perfsim.scenario import ScenarioError

    with pytest.raises(ScenarioError) as err:
        levers.parse_lever("rule.normalize")
    examples = str(err.value).split("e.g. ", 1)[1].split(" or ")
    assert len(examples) == 2
    inputs = [levers.parse_lever(e.strip()) for e in examples]
    raw = scenario_raw(load_scenario("hangzhou-2011"))
    check_inputs(raw, "hangzhou-2011", inputs, "--lever")  # raises on any value refused


@pytest.mark.parametrize("spec", ["0:40%", "0 : 40 %", "0:４０％", "0%:0.4"])
def test_a_lever_range_reads_a_percentage_as_set_does(spec):
    """--set, --variant and --across read 40% as 0.4; --lever refused it."""
    lever = parse_lever(f"rule.audit.probability={spec}")
    assert (lever.low, lever.high, lever.integer) == (0.0, 0.4, False)
    assert isinstance(lever.low, float) and isinstance(lever.high, float)
    assert parse_lever("rule.audit.probability=0:0.4") == lever
    with pytest.raises(ScenarioError, match="expected PATH=LO:HI"):
        parse_lever("rule.audit.probability=0:true")


def test_the_pareto_table_shows_a_standard_error_of_rounding_as_0(tmp_path, capsys):
    """V6's welfare loss is the same in every replication: its standard error printed as
    3.123e-18 (rounding in the sums)."""
    from perfsim.cli import main

    args = ["optimize", "theory/v6-distortion", "--lever", "rule.pay.per_point=0:2",
            "--objective", "welfare_loss", "--objective", "gaming_share", "--budget", "24"]  # fmt: skip
    assert main([*args, "--out", str(tmp_path / "o")]) == 0
    table = capsys.readouterr().out.split("Pareto rules")[1].split("\n\n")[0]
    assert "welfare_loss_se" in table and not re.search(r"\de-\d", table), table


def test_a_damaged_pareto_table_is_said_to_be_damaged_not_a_traceback(tmp_path, capsys):
    """``perfsim report`` on an optimisation folder whose pareto.csv was emptied, or had an
    objective's cell edited to NaN, ended in a KeyError or ValueError traceback (exit 1)."""
    import shutil

    from perfsim.cli import main

    out = tmp_path / "opt"
    optimize(V6, levers=["rule.pay.per_point=0:2"], objectives=["welfare_loss"], budget=8,
             reps=2, out=out)  # fmt: skip
    pareto = pd.read_csv(out / "pareto.csv", encoding="utf-8-sig")
    for name, damage in (
        ("empty", lambda p: p.write_text("")),
        ("nan", lambda p: pareto.assign(welfare_loss=np.nan).to_csv(p, index=False)),
        ("gone", lambda p: pareto.drop(columns="welfare_loss").to_csv(p, index=False)),
    ):
        copy = tmp_path / name
        shutil.copytree(out, copy)
        damage(copy / "pareto.csv")
        assert main(["report", str(copy)]) == 2
        err = capsys.readouterr().err
        assert f"{copy / 'pareto.csv'}: damaged (" in err and "Traceback" not in err, err
    assert main(["report", str(out)]) == 0


def test_a_world_lever_and_unsettled_responses_are_noted(tmp_path):
    """A lever on a fact of the world (its measurement noise) was recommended as if a rule
    change, and re-evaluated rules whose best response had not settled were shown without a
    word (the run's warning went to the terminal alone): both are notes of the search now, kept
    in optimization.json and said in the report, in Chinese too."""
    from perfsim.experiments.optimize.output import said_again
    from perfsim.i18n import language
    from perfsim.report import build_report

    result = optimize(
        str(ROOT / "scenarios" / "hangzhou-2011.toml"),
        levers=["rule.audit.probability=0:0.4", "world.indicators.公共服务.noise=0.1:1"],
        objectives=["kendall_tau"],
        budget=8,
        reps=2,
        final_reps=2,
        overrides=["world.departments=20", "world.max_iterations=2"],
        out=tmp_path / "opt",
    )
    notes = result.metadata["notes"]
    assert any(
        n.startswith("world.indicators.公共服务.noise is a fact about the world") for n in notes
    )
    assert not any(n.startswith("rule.audit.probability is a fact") for n in notes)
    unsettled = [n for n in notes if n.startswith("the best response did not converge")]
    assert len(unsettled) == 1 and "rules re-evaluated (the reference included" in unsettled[0]
    with language("zh"):
        said = [said_again(n) for n in notes]
    assert all("fact about" not in s and "did not converge" not in s for s in said)
    build_report(tmp_path / "opt")
    text = (tmp_path / "opt" / "report.md").read_text(encoding="utf-8")
    assert "is a fact about the world" in text and "did not converge in every replication" in text
