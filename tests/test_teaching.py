"""The teaching scenarios (scenarios/teaching/): each validates, runs quickly, and shows its effect.

Each effect is a direction test: the scenario as written against a ``--set`` variant on the same
seed (common random numbers), with few replications — the effects are large by design.
"""

from __future__ import annotations

import time

import pytest
from helpers import ROOT

import perfsim
from perfsim.cli import main

TEACHING = ROOT / "scenarios" / "teaching"
CASES = [
    "goodhart",
    "tournament",
    "ratchet",
    "threshold",
    "audit",
    "visibility",
    "effective-weights",
    "force-majeure",
    "promotion",
    "budget",
]
REPS = 10


def sim(name: str, *overrides: str, reps: int = REPS) -> perfsim.SimulationResult:
    return perfsim.simulate(TEACHING / f"{name}.toml", reps=reps, seed=0, overrides=list(overrides))


def extra_effort(name: str, zero_prize: str, *overrides: str) -> dict[str, float]:
    """Effort per ability group with the incentive minus effort without it."""
    with_it = sim(name, *overrides).departments.groupby("class")["effort:work"].mean()
    without = sim(name, *overrides, zero_prize).departments.groupby("class")["effort:work"].mean()
    return (with_it - without).to_dict()


def test_every_case_is_present():
    found = {p.stem for p in TEACHING.glob("*.toml")} - {"sensitivity-demo"}
    assert found == set(CASES)


@pytest.mark.parametrize("name", CASES)
def test_validates_and_documents_itself(name, capsys):
    path = TEACHING / f"{name}.toml"
    assert main(["validate", str(path)]) == 0
    scenario = perfsim.load_scenario(path)
    assert scenario.meta.name and scenario.meta.description and scenario.meta.assumptions
    assert f"perfsim run scenarios/teaching/{name}.toml" in path.read_text(encoding="utf-8")
    assert f"scenarios/teaching/{name}.toml" in (TEACHING / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", CASES)
def test_runs_quickly_with_finite_metrics(name):
    started = time.perf_counter()
    result = sim(name)
    assert time.perf_counter() - started < 5
    for metric in ("gaming_share", "mean_effort", "welfare_loss", "inflation"):
        assert result.metrics.set_index("metric").loc[metric, "mean"] == pytest.approx(
            result.metric(metric)
        )
        assert result.metric(metric) == result.metric(metric)  # not NaN
    if result.metadata["policy"] == "best_response":
        assert result.metadata["best_response_residual"] < 0.05


def test_goodhart_weight_on_gameable_indicator_buys_gaming_and_inflation():
    low = sim("goodhart", "rule.weights.上报数据=0.2")
    high = sim("goodhart", "rule.weights.上报数据=0.8")
    assert high.metric("inflation") > low.metric("inflation") + 0.5
    assert high.metric("gaming_share") > low.metric("gaming_share") + 0.1
    assert high.metric("kendall_tau") < low.metric("kendall_tau")


def test_tournament_effort_peaks_near_the_cutoff():
    # 40 % quota: the cut-off lies between the middle groups, and they gain the most effort;
    # the sure winners (5很强) and sure losers (1很弱) gain less.
    extra = extra_effort("tournament", "rule.rewards.优秀.bonus=0")
    peak = max(extra, key=extra.get)
    assert peak in {"3中等", "4较强"}
    assert extra[peak] > extra["5很强"] + 0.1
    assert extra[peak] > extra["1很弱"] + 0.3
    # A tighter quota (20 %) moves the contest, and the peak, to the top group.
    tight = extra_effort("tournament", "rule.rewards.优秀.bonus=0", "rule.grading.quota.优秀=0.2")
    assert max(tight, key=tight.get) == "5很强"


def test_ratchet_lowers_effort():
    fixed = sim("ratchet", "rule.targets.mode=fixed")
    slow = sim("ratchet", "rule.targets.ratchet=0.2")
    fast = sim("ratchet", "rule.targets.ratchet=0.9")
    assert fixed.metric("mean_effort") > slow.metric("mean_effort") > fast.metric("mean_effort")
    # Weitzman: marginal reward β(1 − δ)/(1 − δ + δλ); with λ = 0.9, δ = 0.8 it is under a quarter.
    assert fast.metric("mean_effort") < 0.35 * fixed.metric("mean_effort")


def test_threshold_units_far_from_the_line_ease_off():
    extra = extra_effort("threshold", "rule.rewards.不合格.bonus=0")
    peak = max(extra, key=extra.get)
    assert peak in {"2较弱", "3中等", "4较强"}
    assert extra[peak] > extra["1很弱"] + 0.1
    assert extra[peak] > extra["5很强"] + 0.1
    # A pass line far above almost everyone: only the strongest group still tries.
    high = extra_effort(
        "threshold", "rule.rewards.不合格.bonus=0", "rule.grading.thresholds.合格=2.5"
    )
    assert max(high, key=high.get) == "5很强"
    assert max(high[g] for g in ("1很弱", "2较弱", "3中等")) < 0.05


def test_audit_deters_gaming():
    none = sim("audit", "rule.audit.probability=0")
    some = sim("audit", "rule.audit.probability=0.1")
    more = sim("audit", "rule.audit.probability=0.3")
    assert none.metric("gaming_share") > some.metric("gaming_share") > more.metric("gaming_share")
    assert more.metric("inflation") < 0.25 * none.metric("inflation")
    assert more.metric("evaluation_cost") > some.metric("evaluation_cost")


def test_survey_share_raises_class_bias():
    low = sim("visibility", "rule.components.社会评价.share=0.2")
    high = sim("visibility", "rule.components.社会评价.share=0.8")
    assert high.metric("class_bias") > 2 * low.metric("class_bias")
    # The bias favours the visible front line.
    deps = high.departments
    by_class = deps.groupby("class")["total"].mean()
    assert by_class["窗口类"] > by_class["机关类"]


def test_component_near_its_ceiling_counts_for_little():
    near = sim("effective-weights")
    demanding = sim("effective-weights", "world.indicators.目标完成率.offset=85")
    nominal = 0.45
    assert near.metric("effective_weight:目标考核") < nominal / 3
    assert near.metric("effective_weight:社会评价") > 0.8
    assert demanding.metric("effective_weight:目标考核") > 2 * near.metric(
        "effective_weight:目标考核"
    )
    # Extra work on targets barely moves a score at its ceiling: departments put less into it.
    effort = "effort:targets"
    assert demanding.departments[effort].mean() > near.departments[effort].mean()


def test_force_majeure_relief_takes_the_year_out_of_the_grades():
    none = sim("force-majeure")
    partial = sim("force-majeure", "rule.targets.force_majeure=partial")
    full = sim("force-majeure", "rule.targets.force_majeure=full")
    assert none.metric("shock_grades") > partial.metric("shock_grades") + 0.03
    assert partial.metric("shock_grades") > 0.02 and full.metric("shock_grades") == 0
    assert full.metric("reward_gini") < none.metric("reward_gini")
    assert full.metric("kendall_tau") == none.metric("kendall_tau")  # ranks move alike


def test_promotion_by_rank_buys_effort_and_gaming():
    none = sim("promotion", "rule.rewards.优秀.promotion_weight=0")
    some = sim("promotion")
    keen = sim("promotion", "world.promotion_value=1.5")
    for run in (none, some, keen):  # equilibria: every department within 1 % of its best
        assert run.metric("converged_share") == 1 and run.metric("choice_gap") < 0.01
    for metric in ("mean_effort", "gaming_share", "inflation"):
        assert none.metric(metric) < some.metric(metric) < keen.metric(metric), metric
    assert none.metric("gaming_share") < 0.01 < 0.2 < some.metric("gaming_share")


def test_a_fierce_promotion_contest_is_flagged():
    """At twice the promotion value the contest for the top 20 % has no equilibrium in pure
    choices that the best response finds: departments at the cut-off flip between gaming hard and
    not. The run says so (the choices held forgo more than 1 % of the prize range, or a replication
    does not settle) rather than reporting a stale state as an equilibrium, as model revision 10
    did (60 % of the departments then forwent more than 0.3 % of the prize range, up to 84 %)."""
    with pytest.warns(perfsim.engine.ConvergenceWarning):
        keen = sim("promotion", "world.promotion_value=2")
    assert keen.metric("choice_gap") > 0.01 or keen.metric("converged_share") < 1


def test_budget_feedback_makes_grades_persist_and_budgets_concentrate():
    flat = sim(
        "budget", "rule.rewards.优秀.budget_factor=1", "rule.rewards.基本合格.budget_factor=1"
    )
    feedback = sim("budget")
    one_year = sim("budget", "world.budget_persistence=0")
    assert flat.metric("budget_gini") == 0
    assert feedback.metric("budget_gini") > 0.3 > 0.1 > one_year.metric("budget_gini") > 0
    assert feedback.metric("grade_persistence") > flat.metric("grade_persistence") + 0.1
    # identical units: without feedback the ranking is luck; with it, budgets make true values differ
    assert feedback.metric("kendall_tau") > flat.metric("kendall_tau") + 0.2
