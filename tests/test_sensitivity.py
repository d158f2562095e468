"""Global sensitivity analysis: SALib validation, [uncertain] inputs, executors, resume, discovery, CLI."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT, run_cli
from SALib.test_functions import Ishigami

import perfsim
from perfsim.experiments.discovery import find_region, parse_bound
from perfsim.experiments.executors import ExecutorError, ProcessExecutor, SerialExecutor
from perfsim.experiments.sensitivity import (
    Input,
    SensitivityError,
    load_uncertain,
    run_sensitivity,
    toml_value,
)
from perfsim.experiments.sensitivity.notes import said_again
from perfsim.i18n import language
from perfsim.scenario import ScenarioError, load_scenario, read_toml, scenario_from_dict
from perfsim.scenario.uncertain import UncertainInput
from perfsim.world.convergence import ConvergenceWarning

DEMO = ROOT / "scenarios" / "teaching" / "sensitivity-demo.toml"
V5 = ROOT / "scenarios" / "theory" / "v5-visibility.toml"
ISHIGAMI = {"names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Analytic S1 and ST of f = sin x1 + a sin² x2 + b x3⁴ sin x1 on [−π, π]³ (Ishigami 1990)."""
    v1 = 0.5 * (1 + b * np.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * np.pi**8 * (1 / 18 - 1 / 50)
    var = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / var, np.array([v1 + v13, v2, v13]) / var


def linear(x: np.ndarray) -> np.ndarray:
    """y = x1 + 2 x2 + 0 x3, and a second output x1 alone."""
    return np.column_stack([x[:, 0] + 2 * x[:, 1], x[:, 0]])


# ---------------------------------------------------------------------------------------------
# SALib bridge on test functions


def test_sobol_on_ishigami_matches_the_analytic_indices():
    result = perfsim.sensitivity(Ishigami.evaluate, problem=ISHIGAMI, method="sobol", n=4096)
    s1, st = ishigami_indices()
    assert np.abs(result.table("S1")["y"].to_numpy() - s1).max() < 0.02
    assert np.abs(result.table("ST")["y"].to_numpy() - st).max() < 0.02
    row = result.indices.query("input == 'x1' and index == 'ST'").iloc[0]
    assert 0 < row.confidence < 0.1  # intervals are kept
    assert result.metadata["convergence"]["largest_change"] < 0.05


def test_sobol_second_order_matches_the_sampling_and_finds_the_x1_x3_interaction():
    result = run_sensitivity(
        Ishigami.evaluate, problem=ISHIGAMI, method="sobol", n=1024, second_order=True
    )
    assert len(result.samples) == 1024 * (2 * 3 + 2)
    s2 = result.indices[result.indices["index"] == "S2"].set_index("input")["value"]
    _, st = ishigami_indices()
    assert s2["x1 × x3"] == pytest.approx(st[2], abs=0.05)
    assert abs(s2["x1 × x2"]) < 0.05


@pytest.mark.parametrize("method", ["morris", "fast", "delta", "lhs"])
def test_every_method_ranks_the_inputs_of_a_linear_model(method):
    n = {"morris": 20, "fast": 129, "delta": 400, "lhs": 400}[method]
    problem = {"names": ["x1", "x2", "x3"], "bounds": [[0, 1]] * 3}
    result = run_sensitivity(linear, problem=problem, method=method, n=n, outputs=["y", "x1_only"])
    table = result.table()["y"]
    assert table["x2"] > table["x1"] > table["x3"]
    assert result.table()["x1_only"].idxmax() == "x1"


@pytest.mark.parametrize("n", [64, 150])
def test_the_vectorised_delta_equals_salibs_own(n):
    """Same estimator, same draws from the same seed: SALib's numbers to rounding (step mode
    too: these bounds straddle 0)."""
    from SALib.analyze import delta
    from SALib.sample import latin

    from perfsim.experiments.sensitivity.delta import delta_indices

    problem = {**ISHIGAMI, "num_vars": 3}
    x = latin.sample(problem, n, seed=1)
    for y in (Ishigami.evaluate(x), np.round(Ishigami.evaluate(x))):
        with warnings.catch_warnings(record=True):
            salib = delta.analyze(problem, x, y, num_resamples=20, seed=5)
        mine = delta_indices(problem, x, y, 20, 0.95, 5)
        for key, values in mine.items():
            np.testing.assert_allclose(values, salib[key], rtol=1e-9, atol=1e-12)


def test_sobol_n_is_rounded_up_to_a_power_of_two_with_a_note():
    result = run_sensitivity(Ishigami.evaluate, problem=ISHIGAMI, method="sobol", n=100)
    assert result.n == 128 and len(result.samples) == 128 * 5
    assert any("rounded up from 100 to 128" in note for note in result.notes)


def test_negative_and_wide_intervals_and_poor_convergence_are_flagged():
    result = run_sensitivity(Ishigami.evaluate, problem=ISHIGAMI, method="sobol", n=8)
    text = " ".join(result.notes)
    assert "interval wider than the index" in text or "negative beyond" in text
    conv = result.metadata["convergence"]
    assert conv["largest_change"] > 0.05 and conv["n_needed"] > 8
    assert conv["n_needed"] & (conv["n_needed"] - 1) == 0  # advice is a power of two
    assert "not converged" in text


def test_solver_diagnostics_do_not_size_the_sample():
    """An index of the solver's residual is noise at every N: the advice on N follows the
    outcomes (here a smooth, converged one), and names no diagnostic."""
    rng = np.random.default_rng(0)

    def model(x):
        return np.column_stack([x[:, 0] + 0.1 * x[:, 1], rng.normal(size=len(x)) * 1e-9])

    names = ["mean_effort", "fixed_point_residual"]
    result = run_sensitivity(model, problem=ISHIGAMI, method="sobol", n=256, outputs=names)
    conv = result.metadata["convergence"]
    assert conv["metric"] == "mean_effort"
    assert "fixed_point_residual" not in conv["advice"]
    assert "n_needed" not in conv and conv["advice"].startswith("stable")
    noisy = run_sensitivity(model, problem=ISHIGAMI, method="sobol", n=256, outputs=names[::-1])
    assert noisy.metadata["convergence"]["metric"] == "mean_effort"  # order does not matter


def test_user_errors_are_clear():
    with pytest.raises(SensitivityError, match="method = 'sobl'"):
        run_sensitivity(Ishigami.evaluate, problem=ISHIGAMI, method="sobl")
    with pytest.raises(SensitivityError, match="needs a SALib problem"):
        run_sensitivity(Ishigami.evaluate)
    with pytest.raises(SensitivityError, match="unknown metric"):
        run_sensitivity(Ishigami.evaluate, problem=ISHIGAMI, n=8, metrics=["nope"])


def test_a_plan_or_its_fields_as_keywords_give_the_same_analysis():
    plan = perfsim.SensitivityPlan(method="morris", n=4, seed=2)
    with_plan = perfsim.sensitivity(Ishigami.evaluate, plan, problem=ISHIGAMI)
    with_keywords = run_sensitivity(
        Ishigami.evaluate, problem=ISHIGAMI, method="morris", n=4, seed=2
    )
    pd.testing.assert_frame_equal(with_plan.indices, with_keywords.indices, check_exact=True)
    assert with_plan.metadata["hash"] == with_keywords.metadata["hash"]
    replaced = run_sensitivity(Ishigami.evaluate, plan, problem=ISHIGAMI, n=6)  # keywords win
    assert replaced.n == 6 and replaced.method == "morris"
    assert plan.size == 4 and perfsim.SensitivityPlan(method="fast").size == 256


def test_a_plan_is_checked_when_it_is_made():
    with pytest.raises(SensitivityError, match="method = 'sobl'"):
        perfsim.SensitivityPlan(method="sobl")
    with pytest.raises(SensitivityError, match="reps = 0"):
        perfsim.SensitivityPlan(reps=0)
    with pytest.raises(perfsim.PerfsimError, match="expected METRIC<VALUE"):
        perfsim.SensitivityPlan(bounds=["no operator"])  # before any sample runs
    with pytest.raises(TypeError, match="unexpected option"):
        run_sensitivity(Ishigami.evaluate, problem=ISHIGAMI, metod="sobol")


def test_the_cli_takes_methods_and_defaults_from_the_registry():
    from perfsim.experiments.sensitivity import REGISTRY, SensitivityPlan

    text = " ".join(run_cli("sensitivity", "--help").stdout.split())
    assert "{" + ",".join(REGISTRY) + "}" in text
    for name, record in REGISTRY.items():
        assert f"{name}: {record.n_help}, default {record.default_n}" in text
    assert SensitivityPlan().chunk_size is None
    assert "samples per chunk file (default: automatic, ≥ 16 chunks per worker" in text


def test_the_library_never_switches_the_matplotlib_backend():
    sources = (ROOT / "perfsim").rglob("*.py")
    assert not [p for p in sources if "matplotlib.use(" in p.read_text(encoding="utf-8")]


# ---------------------------------------------------------------------------------------------
# [uncertain] inputs


def _with_uncertain(table: dict):
    raw = read_toml(V5)
    return scenario_from_dict({**raw, "uncertain": table}, source="v5.toml")


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        (
            {"rule.audit.probability": {"range": [0.3, 0.1]}},
            "v5.toml: uncertain.rule.audit.probability.range = [0.3, 0.1]: must be [low, high]",
        ),
        (
            {"rule.audit.probability": {"rnage": [0, 1]}},
            "uncertain.rule.audit.probability.rnage: unknown key (did you mean 'range'?)",
        ),
        (
            {"rule.audit.probability": {"distribution": "normal", "mean": 0.1}},
            "uncertain.rule.audit.probability.sd: distribution = 'normal' needs sd",
        ),
        (
            {"rule.audit.probability": {"distribution": "uniform", "range": [0, 1], "sd": 1}},
            "uncertain.rule.audit.probability.sd = 1.0: a parameter of distribution = 'normal'",
        ),
        (
            {"rule.normalize.method": {"choices": ["zscore"]}},
            "uncertain.rule.normalize.method.choices = ['zscore']: give at least two choices",
        ),
        (
            {"rule.normalize.method": {"choices": ["a", "b"], "range": [0, 1]}},
            "a categorical input (choices) takes no range",
        ),
        ({"meta.name": {"choices": ["a", "b"]}}, "uncertain.meta.name: an uncertain input is"),
        ({"rule.audit.probability": {}}, "give range = [low, high], a distribution"),
        (
            {
                "rule.audit.probability": {"range": [0, 1], "name": "x"},
                "rule.pay.per_point": {"range": [0, 1], "name": "x"},
            },
            "uncertain.rule.pay.per_point.name = 'x': the name is taken",
        ),
        (
            {"rule.audit.probability": {"range": [0, 1], "translations": {"ZH": {"name": "抽查"}}}},
            "uncertain.rule.audit.probability.translations.ZH = 'ZH': a language code",
        ),
        (
            {"rule.audit.probability": {"range": [0, 1], "translations": {"zh": {"name": " "}}}},
            "uncertain.rule.audit.probability.translations.zh.name = ' ': give the name",
        ),
        (
            {"rule.audit.probability": {"range": [0, 1], "translations": {"zh": {}}}},
            "uncertain.rule.audit.probability.translations.zh.name: missing",
        ),
        (
            {
                "rule.audit.probability": {"range": [0, 1], "translations": {"zh": {"name": "甲"}}},
                "rule.pay.per_point": {"range": [0, 1], "translations": {"zh": {"name": "甲"}}},
            },
            "uncertain.rule.pay.per_point.translations.zh.name = '甲': the name is taken",
        ),
        (  # in Chinese an input without a Chinese name keeps its own, which a translation took
            {
                "rule.audit.probability": {"range": [0, 1], "name": "rate"},
                "rule.pay.per_point": {"range": [0, 1], "translations": {"zh": {"name": "rate"}}},
            },
            "the name is taken by rule.audit.probability",
        ),
    ],
)
def test_uncertain_table_errors_are_located(table, expected):
    with pytest.raises(ScenarioError) as info:
        _with_uncertain(table)
    assert expected in str(info.value)


def test_a_translated_name_changes_no_hash_and_reaches_the_analysis_metadata():
    """``translations.zh.name`` of an uncertain input leaves the scenario's hash (and so a run's
    or an analysis's identity) as without it, and sensitivity.json gets it as ``input_names``."""
    from perfsim.experiments.sensitivity.models import model_spec
    from perfsim.scenario import scenario_hash

    plain = {"rule.audit.probability": {"range": [0.0, 0.3], "name": "audit rate"}}
    named = {k: {**v, "translations": {"zh": {"name": "抽查概率"}}} for k, v in plain.items()}
    other = {k: {**v, "range": [0.0, 0.4]} for k, v in plain.items()}
    hashes = [scenario_hash(_with_uncertain(t)) for t in (plain, named, other)]
    assert hashes[0] == hashes[1] != hashes[2]
    spec = model_spec(_with_uncertain(named), None, None, None, [], 1, 0)
    assert spec.info["input_names"] == {"zh": {"audit rate": "抽查概率"}}
    assert "input_names" not in model_spec(_with_uncertain(plain), None, None, None, [], 1, 0).info
    assert spec.identity == model_spec(_with_uncertain(plain), None, None, None, [], 1, 0).identity


def test_values_outside_what_the_scenario_allows_are_reported_before_any_run(tmp_path):
    bad = {
        "rule.audit.probability": {"range": [0.0, 1.5]},
        "world.raters.survey.respondents": {"range": [20, 200]},
        "rule.grading.scope": {"choices": ["global", "everywhere"]},
        "rule.normalize.method": {"choices": ["efficacy", "zscore"]},
    }
    with pytest.raises(ScenarioError) as info:
        run_sensitivity(_with_uncertain(bad), n=2, reps=1)
    text = str(info.value)
    assert "uncertain.rule.audit.probability = [0.0, 1.5]: the value 1.5 is not allowed" in text
    assert "must be ≤ 1" in text
    assert "declare integer = true" in text
    assert "uncertain.rule.grading.scope = ['global', 'everywhere']" in text
    assert "rule.normalize.method" not in text


def test_a_separate_uncertain_file_is_validated_with_its_own_name(tmp_path):
    f = tmp_path / "inputs.toml"
    f.write_text('[uncertain."rule.audit.probability"]\nrnage = [0, 1]\n', encoding="utf-8")
    with pytest.raises(
        ScenarioError, match=re.escape(f"{f}: uncertain.rule.audit.probability.rnage")
    ):
        load_uncertain(f)
    f.write_text('"rule.audit.probability" = { range = [0, 0.5] }\n', encoding="utf-8")
    table, label = load_uncertain(f)
    assert table["rule.audit.probability"].range == [0.0, 0.5] and label == str(f)


def test_shares_declared_together_must_leave_room_for_the_rest():
    raw = read_toml(ROOT / "scenarios" / "hangzhou-2011.toml")
    assert len(raw["rule"]["components"]) >= 3
    names = list(raw["rule"]["components"])[:2]
    table = {f"rule.components.{c}.share": {"range": [0.1, 0.6]} for c in names}
    scenario = scenario_from_dict({**raw, "uncertain": table}, source="hz")
    with pytest.raises(ScenarioError, match="cannot all take their upper values together"):
        run_sensitivity(scenario, n=2, reps=1)


def test_categorical_inputs_take_each_choice_with_probability_one_over_k():
    spec = UncertainInput(choices=["efficacy", "zscore", "minmax"])
    inp = Input.from_spec("rule.normalize.method", spec)
    u = (np.arange(30_000) + 0.5) / 30_000
    values = inp.values(u)
    counts = pd.Series(values).value_counts(normalize=True)
    assert counts.to_dict() == pytest.approx({c: 1 / 3 for c in spec.choices}, abs=1e-4)
    assert inp.values(np.array([0.0, 0.34, 0.67, 1.0])) == [
        "efficacy",
        "zscore",
        "minmax",
        "minmax",
    ]


def test_categorical_input_switches_the_rule_in_every_sample():
    table = {
        "rule.normalize.method": {"choices": ["zscore", "minmax"], "name": "normalisation"},
        "rule.components.survey.share": {"range": [0.2, 0.8], "name": "survey share"},
    }
    result = run_sensitivity(
        _with_uncertain(table), method="lhs", n=40, reps=2, metrics=["class_bias"]
    )
    column = result.samples["normalisation"]
    assert set(column) == {"zscore", "minmax"} and 10 < (column == "zscore").sum() < 30
    # Same seed everywhere (common random numbers): equal inputs give equal outputs.
    first = result.samples.drop_duplicates(["normalisation", "survey share"])
    assert len(first) == len(result.samples)


def test_a_sample_gives_the_metric_means_of_simulate():
    from perfsim.experiments.sensitivity import metric_means

    scenario = load_scenario(DEMO, ["rule.normalize.method=zscore", "rule.audit.probability=0.3"])
    expected = perfsim.simulate(scenario, reps=7, seed=5).metrics.set_index("metric")["mean"]
    pd.testing.assert_series_equal(metric_means(scenario, 7, 5), expected, check_exact=True)


def test_distributions_map_the_unit_interval_through_their_quantiles():
    u = np.array([0.0, 0.5, 1.0])
    normal = Input.from_spec("world.x", UncertainInput(distribution="normal", mean=1.0, sd=0.5))
    assert normal.values(u)[1] == pytest.approx(1.0)
    assert np.isfinite(normal.values(u)).all()  # cut at the 0.1 % / 99.9 % quantiles
    lognormal = Input.from_spec(
        "world.x", UncertainInput(distribution="lognormal", log_mean=0.0, log_sd=0.5)
    )
    assert lognormal.values(u)[1] == pytest.approx(1.0) and min(lognormal.values(u)) > 0
    truncated = Input.from_spec(
        "world.x", UncertainInput(distribution="normal", mean=0.0, sd=1.0, range=[0.0, 2.0])
    )
    assert truncated.values(u) == pytest.approx([0.0, stats_median_halfnormal(2.0), 2.0])
    tri = Input.from_spec(
        "world.x", UncertainInput(distribution="triangular", range=[0, 2], mode=1)
    )
    assert tri.values(u) == pytest.approx([0.0, 1.0, 2.0])
    whole = Input.from_spec("world.n", UncertainInput(range=[1, 3], integer=True))
    counts = pd.Series(whole.values((np.arange(3000) + 0.5) / 3000)).value_counts(normalize=True)
    assert counts.to_dict() == pytest.approx({1: 1 / 3, 2: 1 / 3, 3: 1 / 3}, abs=1e-3)


def stats_median_halfnormal(high: float) -> float:
    from scipy import stats

    return float(stats.truncnorm.ppf(0.5, 0.0, high))


@pytest.mark.parametrize("value", [0.1, 1e-5, True, "zscore", "公共服务", [1, "a"], {"a": 1}])
def test_toml_values_round_trip_through_overrides(value):
    from perfsim.scenario.overrides import parse_value

    assert parse_value(toml_value(value)) == value


def test_every_uncertain_key_is_documented_in_the_scenario_readme():
    text = (ROOT / "scenarios" / "README.md").read_text(encoding="utf-8")
    keys = list(UncertainInput.model_fields) + ["uncertain"]
    missing = [k for k in keys if not re.search(r"[`.\[]" + k + r"[`.\]\" ]", text)]
    assert not missing


def test_the_demo_scenario_is_valid_and_declares_rule_and_world_inputs():
    scenario = load_scenario(DEMO)
    paths = list(scenario.uncertain)
    assert any(p.startswith("rule.") for p in paths) and any(p.startswith("world.") for p in paths)
    assert any(spec.choices for spec in scenario.uncertain.values())


# ---------------------------------------------------------------------------------------------
# Executors, chunks and resume


def _demo(**kw):
    return run_sensitivity(
        DEMO, method="sobol", n=4, reps=2, seed=3, chunk_size=8, figures=False, **kw
    )


@pytest.fixture(scope="module")
def serial_run():
    return _demo()


def test_unconverged_samples_give_one_warning_and_a_note_not_one_per_sample():
    from perfsim.world.convergence import ConvergenceWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = _demo(overrides=["world.max_iterations=2"])
    said = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    n = len(result.samples)
    assert len(said) == 1 and f"at {n} of {n} samples" in str(said[0].message)
    assert any(f"at {n} of {n} samples" in note for note in result.notes)
    assert (result.samples["converged_share"] < 1).all()


def test_the_convergence_note_names_the_inputs_where_responses_fail():
    from perfsim.experiments.sensitivity.run import convergence_notes

    rng = np.random.default_rng(5)
    n = 400
    samples = pd.DataFrame(
        {
            "sample": np.arange(n),
            "normalisation": rng.choice(["efficacy", "zscore"], n),
            "audit rate": rng.uniform(0, 0.4, n),
            "leniency": rng.uniform(-5, 5, n),
        }
    )
    share = np.where(samples["normalisation"] == "zscore", 0.0, 1.0 - 2 * samples["audit rate"])
    with pytest.warns(ConvergenceWarning) as caught:
        (note,) = convergence_notes(pd.DataFrame({"converged_share": share}), samples)
    assert len(caught) == 1 and "normalisation = zscore (0% of the replications converged" in note
    assert "high audit rate" in note and "leniency" not in note
    assert f"at {(share < 1).sum()} of {n} samples" in note
    assert convergence_notes(pd.DataFrame({"converged_share": np.ones(n)}), samples) == []
    # a Chinese report says the note again with every hint in Chinese, the numbers kept
    with language("zh"):
        said = said_again(note)
    assert "= zscore（收敛的重复模拟占 0%，最好的取值为" in said and "较高的一半（收敛" in said
    assert "converged" not in said.replace("converged_share", "") and "against" not in said
    assert sorted(re.findall(r"\d+(?:\.\d+)?%", said)) == sorted(
        re.findall(r"\d+(?:\.\d+)?%", note)
    )


def test_the_choice_gap_note_counts_the_samples_where_choices_are_held_far_from_the_best():
    from perfsim.experiments.sensitivity.run import choice_gap_notes

    gap = np.array([0.0005, 0.02, 0.009, 0.3, 0.0, 0.001])
    samples = pd.DataFrame(
        {"sample": np.arange(6), "normalisation": ["e", "z", "e", "z", "e", "e"], "n": np.arange(6)}
    )
    with pytest.warns(ConvergenceWarning) as caught:
        (note,) = choice_gap_notes(pd.DataFrame({"choice_gap": gap}), samples)
    assert len(caught) == 1 and "at 2 of 6 samples" in note and "up to 30%" in note
    assert (
        "normalisation = z (0% of the samples within the limit with it, against 100% with its best value)"
        in note
    )
    assert "high n" not in note
    assert choice_gap_notes(pd.DataFrame({"choice_gap": gap.clip(max=0.01)}), samples) == []
    assert choice_gap_notes(pd.DataFrame({"kendall_tau": gap}), samples) == []


def test_processes_and_a_local_dask_cluster_give_identical_indices(serial_run):
    assert len(serial_run.samples) == 4 * (6 + 2)
    processes = _demo(jobs=2)
    dask = _demo(jobs=2, scheduler="local")
    assert processes.metadata["executor"] == "processes (2 workers)"
    assert dask.metadata["executor"].startswith("dask (LocalCluster")
    for other in (processes, dask):
        pd.testing.assert_frame_equal(serial_run.indices, other.indices, check_exact=True)
        pd.testing.assert_frame_equal(serial_run.samples, other.samples, check_exact=True)


def test_an_interrupted_run_resumes_to_identical_results(serial_run, tmp_path):
    out = tmp_path / "run"
    first = _demo(out=out)
    pd.testing.assert_frame_equal(serial_run.indices, first.indices, check_exact=True)
    chunks = sorted((out / "chunks").iterdir())
    assert len(chunks) == 4 and all(re.fullmatch(r"chunk-\d{5}\.parquet", c.name) for c in chunks)
    for chunk in chunks[1::2]:  # "kill" the run: half of the chunks never finished
        chunk.unlink()
    (out / "indices.csv").unlink()
    seen = []
    resumed = _demo(out=out, resume=True, progress=lambda done, total: seen.append(done))
    assert seen[0] == 16 and seen[-1] == 32  # two chunks skipped, two evaluated
    assert resumed.metadata["evaluated_now"] == 16
    assert any("resumed: 2 of 4 chunks" in note for note in resumed.notes)
    pd.testing.assert_frame_equal(serial_run.indices, resumed.indices, check_exact=True)
    on_disk = pd.read_csv(out / "indices.csv", encoding="utf-8-sig")
    assert list(on_disk.columns) == ["metric", "input", "index", "value", "confidence"]
    assert np.allclose(on_disk["value"], resumed.indices["value"], equal_nan=True)
    # Rerunning into the folder without --resume also reuses every chunk.
    again = _demo(out=out)
    assert again.metadata["evaluated_now"] == 0


class Interrupted:
    """Ishigami that is "killed" (KeyboardInterrupt) after a number of chunks; ``in_numba``: as
    Ctrl-C inside a compiled loop surfaces, a SystemError with the interrupt as its context."""

    def __init__(self, chunks_before_kill: int | None = None, in_numba: bool = False):
        self.left, self.in_numba = chunks_before_kill, in_numba

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if self.left is not None:
            if self.left == 0:
                if not self.in_numba:
                    raise KeyboardInterrupt
                try:
                    raise KeyboardInterrupt
                except KeyboardInterrupt:
                    raise SystemError(
                        "CPUDispatcher(<function newton>) returned a result"
                    ) from None
            self.left -= 1
        return Ishigami.evaluate(x)


@pytest.mark.parametrize("in_numba", [False, True])
def test_a_killed_run_keeps_its_finished_chunks_and_resumes_identically(tmp_path, in_numba):
    kw = {"problem": ISHIGAMI, "n": 64, "chunk_size": 64, "figures": False}
    whole = run_sensitivity(Interrupted(), **kw)
    out = tmp_path / "run"
    with pytest.raises(SystemError if in_numba else KeyboardInterrupt):
        run_sensitivity(Interrupted(chunks_before_kill=2, in_numba=in_numba), out=out, **kw)
    assert len(list((out / "chunks").iterdir())) == 2
    stopped = json.loads((out / "sensitivity.json").read_text(encoding="utf-8"))
    assert (stopped["status"], stopped["chunks_done"], stopped["chunks"]) == ("interrupted", 2, 5)
    resumed = run_sensitivity(Interrupted(), out=out, resume=True, **kw)
    assert resumed.metadata["evaluated_now"] == 64 * 5 - 2 * 64
    pd.testing.assert_frame_equal(whole.indices, resumed.indices, check_exact=True)


def test_the_default_chunk_size_keeps_every_worker_busy_and_a_folder_keeps_its_own(tmp_path):
    from perfsim.experiments.sensitivity import CHUNK_SIZE, CHUNKS_PER_WORKER, default_chunk_size

    assert default_chunk_size(64, 2) == 2  # was one chunk of 64: the second worker sat idle
    assert default_chunk_size(64 * 5, 1) == 20 and default_chunk_size(10**6, 2) == CHUNK_SIZE
    assert default_chunk_size(3, 4) == 1
    assert -(-2048 // default_chunk_size(2048, 2)) >= 2 * CHUNKS_PER_WORKER
    kw = {"problem": ISHIGAMI, "n": 64, "figures": False}
    out = tmp_path / "run"
    first = run_sensitivity(Ishigami.evaluate, out=out, **kw)
    assert first.metadata["chunk_size"] == 20 and len(list((out / "chunks").iterdir())) == 16
    # resumed on 2 workers (default 10 a chunk): the folder's recorded size wins, same hash
    again = run_sensitivity(Ishigami.evaluate, out=out, resume=True, jobs=2, **kw)
    assert again.metadata["hash"] == first.metadata["hash"] and again.metadata["chunk_size"] == 20
    assert again.metadata["evaluated_now"] == 0


#: the Sobol base sample of the runs stopped by a signal: 16 × (6 inputs + 2) samples, one a
#: chunk (with 8, about 6 s of chunks on a fast machine, a loaded test process once saw its third
#: chunk only as the run ended, and the SIGTERM case found the run done: exit 0)
STOP_N, STOP_CHUNKS = 16, 128


def _default_signals() -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)


def _parallel_run_stopped_by(sig: int, out: Path) -> tuple[subprocess.Popen, list, str, float]:
    """Start a parallel sensitivity run of the CLI; once 3 chunks are written, send ``sig`` to its
    process only (the workers must be stopped by it). Returns the run, its workers, its stderr
    and the seconds it took to end after the signal."""
    psutil = pytest.importorskip("psutil")
    args = [sys.executable, "-m", "perfsim.cli", "sensitivity", str(DEMO), "--n", str(STOP_N)]
    args += ["--reps", "10", "--jobs", "2", "--chunk-size", "1", "--out", str(out)]
    # The command starts with each signal at its default, whatever this process has: a shell runs
    # a background job (`pytest &`) with SIGINT ignored, its children inherit that, and Python
    # keeps an inherited SIG_IGN, so the command would then rightly ignore the SIGINT sent below.
    run = subprocess.Popen(
        args,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONIOENCODING="utf-8"),
        preexec_fn=_default_signals,
    )
    try:
        deadline = time.monotonic() + 120
        while len(list(out.glob("chunks/chunk-*"))) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        workers = psutil.Process(run.pid).children(recursive=True)
        run.send_signal(sig)
        sent = time.monotonic()
        _, stderr = run.communicate(timeout=60)
    finally:
        run.kill()
    return run, workers, stderr, time.monotonic() - sent


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_stops_a_parallel_run_within_seconds_and_keeps_its_chunks(tmp_path, sig):
    """SIGINT (Ctrl-C), and SIGTERM (kill, a batch scheduler's time limit) alike, exits in seconds
    with the resume hint and the signal's exit code, leaves no worker behind, and --resume
    continues from the kept chunks."""
    psutil = pytest.importorskip("psutil")
    out = tmp_path / "run"
    run, workers, stderr, took = _parallel_run_stopped_by(sig, out)
    assert took < 15, "the stop took too long"
    assert run.returncode == 128 + sig and "rerun the same command to continue" in stderr
    assert "Traceback" not in stderr
    kept = len(list(out.glob("chunks/chunk-*")))
    assert 3 <= kept < STOP_CHUNKS
    # on a line of its own (not after the terminal's ^C), with the count kept and the command
    said = re.search(r"\nstopped: (\d+) finished chunks? kept in (\S+); rerun", stderr)
    assert said and said.group(2) == str(out) and int(said.group(1)) <= kept
    assert "\n  perfsim sensitivity " in stderr
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive, f"workers left running: {alive}"
    if sig != signal.SIGINT:
        return
    # without --chunk-size: the folder's recorded size (1) wins over the default
    args = [str(DEMO), "--n", str(STOP_N), "--reps", "10", "--jobs", "2", "--out", str(out)]
    resumed = run_cli("sensitivity", *args, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert f"resumed: {kept} of {STOP_CHUNKS} chunks" in " ".join(resumed.stdout.split())


def test_the_workers_of_a_killed_run_end_with_it(tmp_path):
    """kill -9 gives the command no chance to stop its workers: they notice their parent is gone
    and end within seconds, instead of waiting for work forever."""
    psutil = pytest.importorskip("psutil")
    run, workers, _, _ = _parallel_run_stopped_by(signal.SIGKILL, tmp_path / "run")
    assert run.returncode == -signal.SIGKILL
    assert len(workers) >= 2  # the two workers (and multiprocessing's resource tracker)
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive, f"workers left running after their parent was killed: {alive}"


def test_groups_get_one_joint_index():
    problem = {**ISHIGAMI, "groups": ["x1 and x3", "x2", "x1 and x3"]}
    result = run_sensitivity(Ishigami.evaluate, problem=problem, method="sobol", n=2048)
    assert len(result.samples) == 2048 * (2 + 2)
    s1, st = ishigami_indices()
    # The closed index of {x1, x3} holds x1, x3 and their interaction: 1 − S1(x2).
    assert result.table("S1").loc["x1 and x3", "y"] == pytest.approx(1 - s1[1], abs=0.03)
    assert result.table("ST").loc["x2", "y"] == pytest.approx(st[1], abs=0.03)
    morris = run_sensitivity(Ishigami.evaluate, problem=problem, method="morris", n=10)
    assert set(morris.indices["input"]) == {"x1 and x3", "x2"}


def test_a_folder_of_another_analysis_is_a_clear_error(tmp_path):
    out = tmp_path / "run"
    run_sensitivity(Ishigami.evaluate, problem=ISHIGAMI, n=8, out=out, figures=False)
    # the error names the setting that differs, by value
    with pytest.raises(
        SensitivityError, match=r"different sensitivity analysis \(n 8 there, 16 now\)"
    ):
        run_sensitivity(Ishigami.evaluate, problem=ISHIGAMI, n=16, out=out, figures=False)
    with pytest.raises(SensitivityError, match=r"\(seed 0 there, 3 now\)"):
        run_sensitivity(Ishigami.evaluate, problem=ISHIGAMI, n=8, seed=3, out=out, figures=False)
    wider = {**ISHIGAMI, "bounds": [[-3.0, 3.0]] * 3}
    with pytest.raises(SensitivityError, match="the uncertain inputs' ranges"):
        run_sensitivity(Ishigami.evaluate, problem=wider, n=8, out=out, figures=False)
    with pytest.raises(SensitivityError, match="nothing to resume"):
        run_sensitivity(Ishigami.evaluate, problem=ISHIGAMI, out=tmp_path / "new", resume=True)


def test_a_folder_of_another_analysis_is_refused_in_chinese_too(tmp_path):
    """Under --lang zh the refusal to continue in a folder of another analysis (or to resume
    where there is nothing) was English."""
    from perfsim.cli import said_error

    out = tmp_path / "run"
    run_sensitivity(Ishigami.evaluate, problem=ISHIGAMI, n=8, out=out, figures=False)
    with pytest.raises(SensitivityError) as other:
        run_sensitivity(Ishigami.evaluate, problem=ISHIGAMI, n=16, out=out, figures=False)
    said = said_error("sensitivity", other.value, "zh")
    assert f"{out} 里是另一项敏感性分析（n 8 there, 16 now）" in said and "choose" not in said
    with pytest.raises(SensitivityError) as nothing:
        run_sensitivity(Ishigami.evaluate, problem=ISHIGAMI, out=tmp_path / "new", resume=True)
    said = said_error("sensitivity", nothing.value, "zh")
    assert f"没有可续算的内容：{tmp_path / 'new'} 中没有 sensitivity.json" in said


def test_a_folder_of_another_model_revision_is_not_resumed(tmp_path, monkeypatch):
    """Chunks computed by an earlier revision of the simulation model are never mixed with new ones:
    the revision is part of the folder's hash, and the error says why."""
    from perfsim import model_revision

    out = tmp_path / "run"
    first = run_sensitivity(Ishigami.evaluate, problem=ISHIGAMI, n=8, out=out, figures=False)
    assert first.metadata["model_revision"] == model_revision.MODEL_REVISION
    again = run_sensitivity(Ishigami.evaluate, problem=ISHIGAMI, n=8, out=out, resume=True)
    assert again.metadata["hash"] == first.metadata["hash"]
    monkeypatch.setattr(model_revision, "MODEL_REVISION", model_revision.MODEL_REVISION + 1)
    with pytest.raises(SensitivityError, match="another revision of the simulation model"):
        run_sensitivity(Ishigami.evaluate, problem=ISHIGAMI, n=8, out=out, resume=True)


def test_executors_share_one_interface():
    chunks = [(0, np.zeros((2, 3))), (1, np.ones((1, 3)))]
    with SerialExecutor() as ex:
        out = dict(ex.map(lambda rows: rows.sum(axis=1), chunks))
    assert out[1].tolist() == [3.0]
    with pytest.raises(ExecutorError):
        ProcessExecutor(0)


def test_the_process_executor_runs_from_a_spawned_interpreter(tmp_path):
    code = (
        "import perfsim\n"
        f"r = perfsim.sensitivity({str(DEMO)!r}, method='morris', n=2, reps=2, jobs=2,"
        " figures=False, metrics=['class_bias'])\n"
        "print(r.metadata['executor'], len(r.samples), r.top('class_bias', 1)['input'].iloc[0])\n"
    )
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "processes (2 workers) 14 survey share"


# ---------------------------------------------------------------------------------------------
# Rule-space exploration


def test_discovery_recovers_a_known_region():
    rng = np.random.default_rng(0)
    x = pd.DataFrame(rng.uniform(0, 1, size=(400, 3)), columns=["x1", "x2", "x3"])
    x["method"] = rng.choice(["a", "b", "c"], size=400)
    y = pd.DataFrame({"m": x["x1"], "other": x["x2"] + (x["method"] == "c")})
    region = find_region(x, y, ["m<0.3"])
    row = region.table.set_index("input").loc["x1"]
    assert row["high"] == pytest.approx(0.3, abs=0.02) and row["low"] == pytest.approx(0, abs=0.01)
    assert region.coverage == 1.0 and region.density == 1.0
    assert not region.table.set_index("input").loc[["x2", "x3", "method"], "restricted"].any()
    both = find_region(x, y, {"m": ("<", 0.3), "other": ("<", 1.0)})
    restricted = both.table[both.table["restricted"]].set_index("input")
    assert set(restricted.index) == {"x1", "method"}
    assert set(restricted.loc["method", "allowed"].split(", ")) == {"a", "b"}
    assert both.density > 0.9


@pytest.mark.parametrize("seed", range(4))
def test_a_region_edge_is_a_midpoint_of_two_samples_and_few_samples_are_said(seed):
    """The tree cuts in single precision, so region.csv showed 0.550000011920929: each edge is
    the midpoint of the two sampled values it falls between (in double), the box still holds the
    same samples; a region around fewer than 30 good samples is said to be a first look."""
    from perfsim.experiments.discovery import FEW_GOOD

    rng = np.random.default_rng(seed)
    n = int(rng.integers(60, 300))
    x = pd.DataFrame({"a": rng.uniform(0.1, 0.9, n), "b": rng.uniform(0, 1, n)})
    cut = float(rng.uniform(0.3, 0.7))
    region = find_region(x, pd.DataFrame({"m": x["a"]}), [f"m<{cut}"])
    high = region.table.set_index("input").loc["a", "high"]
    below, above = x["a"][x["a"] <= cut].max(), x["a"][x["a"] > cut].min()
    assert high == (below + above) / 2  # (exactly: no single-precision cut)
    assert region.good_in_box == region.good == int((x["a"] < cut).sum())
    few = region.good < FEW_GOOD
    assert ("a first look, not a finding" in region.summary) is few
    small = find_region(x.iloc[:40], pd.DataFrame({"m": x["a"].iloc[:40]}), ["m<0.4"])
    assert 0 < small.good < FEW_GOOD and "a first look, not a finding" in small.summary
    lowest = float(x["a"].iloc[:40].min())
    one = find_region(x.iloc[:40], pd.DataFrame({"m": x["a"].iloc[:40]}), [f"m<={lowest}"])
    assert one.good == 1 and "Only 1 sample meets the bounds" in one.summary  # (not "samples")


def test_bounds_parse_and_name_known_metrics():
    assert parse_bound("class_bias<5") == ("class_bias", "<", 5.0)
    assert parse_bound(" gaming_share >= 0.1 ") == ("gaming_share", ">=", 0.1)
    # as a Chinese keyboard types it, or with ≤ and ≥
    assert parse_bound("class_bias＜８") == ("class_bias", "<", 8.0)
    assert parse_bound("gaming_share ≥ ０.１") == ("gaming_share", ">=", 0.1)
    for typo in ("class_bias=5", "class_bias<<8", "class_bias<=<8", "class_bias>>0.1"):
        # ('class_bias<<8' was read as the unknown metric 'class_bias<')
        with pytest.raises(perfsim.PerfsimError, match="expected METRIC<VALUE"):
            parse_bound(typo)
    with pytest.raises(perfsim.PerfsimError, match="unknown metric"):
        find_region(pd.DataFrame({"x": [0.0, 1.0]}), pd.DataFrame({"m": [0.0, 1.0]}), ["q<1"])


# ---------------------------------------------------------------------------------------------
# Command line


def test_cli_end_to_end_on_the_demo_scenario(tmp_path):
    out = tmp_path / "sa"
    r = run_cli(
        "sensitivity", str(DEMO), "--method", "sobol", "--n", "3", "--reps", "2",
        "--metric", "class_bias", "--metric", "gaming_share", "--out", str(out),
        "--bound", "class_bias<9", "--bound", "gaming_share<0.1",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert re.search(
        r"about \d+ s on 1 worker for the samples \(timed on a few pilot samples: the samples' "
        r"rules differ in cost, so take it as a rough guide\), then the analysis and figures "
        r"\(usually 5 to 10 s more",
        r.stderr,
    )
    assert "rounded up from 3 to 4" in r.stdout
    assert re.search(r"class_bias\s+survey share", r.stdout)
    assert "rule-space region" in r.stdout and f"run folder: {out}" in r.stdout
    for name in ("indices.csv", "samples.parquet", "sensitivity.json", "region.csv", "region.txt"):
        assert (out / name).is_file(), name
    assert {p.name for p in (out / "figures").iterdir()} == {"sobol-indices.png", "heatmap.png"}
    meta = json.loads((out / "sensitivity.json").read_text(encoding="utf-8"))
    assert meta["status"] == "complete" and meta["n"] == 4 and meta["reps"] == 2
    assert meta["chunk_size"] == 2 and meta["seconds_estimated"] > 0  # 32 samples, 16 chunks
    assert len(meta["seconds_pilots"]) == 3  # (the first, middle and last sample)
    assert meta["seconds_analysis"] < meta["seconds"]
    assert meta["perfsim_version"] == perfsim.__version__ and meta["problem"]["num_vars"] == 6
    samples = pd.read_parquet(out / "samples.parquet")
    assert len(samples) == 4 * 8 and {"survey share", "class_bias"} <= set(samples.columns)
    assert not [p for p in out.rglob("*.tmp")]  # atomic writes leave no temporaries


def test_the_demo_estimates_its_time_and_lists_only_inputs_that_move_a_metric(tmp_path):
    """The pilot sample was timed once, in a fresh process: loading the compiled loops made it
    0.6 s against 52 ms a sample, and the demo's Morris run was estimated at 89 s for 7 s of
    samples. Now it is timed warm."""
    out = tmp_path / "sa"
    r = run_cli("sensitivity", str(DEMO), "--method", "morris", "--n", "10", "--out", str(out))
    assert r.returncode == 0, r.stderr
    meta = json.loads((out / "sensitivity.json").read_text(encoding="utf-8"))
    estimated, took = meta["seconds_estimated"], meta["seconds_evaluation"]
    assert took / 6 < estimated < 6 * took, (estimated, took)  # (it was 12 ×; a loaded machine)
    # the leading inputs leave out those with no influence ("survey share 0 ±0") and show no
    # rounding as a half-width ("survey size 36 ±2.2e-14" for the survey's cost)
    assert not re.search(r" 0 ±|e-1\d", r.stdout), r.stdout
    assert re.search(r"rater_cost:社会评价\s+survey size 36 ±0\n", r.stdout), r.stdout


def test_cli_in_chinese_calls_the_inputs_by_their_chinese_names(tmp_path):
    """The demo's inputs have Chinese names (translations.zh.name): under --lang zh the
    terminal's table of leading inputs uses them, and the folder keeps them for the report."""
    out = tmp_path / "sa"
    r = run_cli(
        "sensitivity", str(DEMO), "--method", "morris", "--n", "2", "--reps", "1",
        "--metric", "class_bias", "--out", str(out), "--lang", "zh",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert re.search(r"class_bias）\s+社会评价权重", r.stdout), r.stdout
    assert "survey share" not in r.stdout
    first, second = r.stdout.splitlines()[:2]
    assert first.startswith("敏感性分析示例（服务窗口与后台部门）：morris")  # its Chinese name
    assert second.endswith("执行方式：单进程依次计算（1 个进程）")
    meta = json.loads((out / "sensitivity.json").read_text(encoding="utf-8"))
    assert meta["input_names"]["zh"]["survey share"] == "社会评价权重"
    assert len(meta["input_names"]["zh"]) == len(load_scenario(DEMO).uncertain)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--n", "0"], "--n = 0: must be ≥ 1"),
        (["--bound", "class_bias=5"], "expected METRIC<VALUE"),
        (["--set", "rule.audit.probability=2"], "rule.audit.probability = 2: must be ≤ 1"),
    ],
)
def test_cli_user_errors_exit_2_without_traceback(tmp_path, args, expected):
    r = run_cli("sensitivity", str(DEMO), "--quiet", "--out", str(tmp_path / "x"), *args)
    assert r.returncode == 2
    assert expected in r.stderr and "Traceback" not in r.stderr


def test_cli_help_documents_every_option_with_examples(capsys):
    from perfsim.cli import main

    with pytest.raises(SystemExit) as info:
        main(["sensitivity", "--help"])
    text = capsys.readouterr().out
    assert info.value.code == 0 and "examples:" in text
    for option in ("--method", "--n", "--reps", "--jobs", "--scheduler", "--out", "--resume",
                   "--uncertain", "--bound", "--seed", "--quiet", "--set"):  # fmt: skip
        assert option in text


def test_cli_scenario_without_uncertain_inputs_exits_2(tmp_path):
    r = run_cli("sensitivity", str(V5), "--quiet", "--out", str(tmp_path / "x"))
    assert r.returncode == 2 and "no uncertain inputs" in r.stderr
    assert "Traceback" not in r.stderr


def test_a_killed_sobol_run_of_the_hangzhou_scenario_resumes_identically(tmp_path):
    """Done means of the issue: kill a Sobol run of the Hangzhou scenario half way, resume, and get
    the indices of an uninterrupted run (small N and cheap numerical settings)."""
    root = Path(__file__).resolve().parents[1]
    kw = {
        "uncertain": {
            "rule.components.社会评价.share": {"range": [0.3, 0.6]},
            "rule.audit.probability": {"range": [0.0, 0.4]},
            "rule.grading.scope": {"choices": ["global", "within_class"]},
        },
        "overrides": ["world.samples=4", "world.max_iterations=15", "world.departments=30"],
        "method": "sobol",
        "n": 4,
        "reps": 2,
        "chunk_size": 5,
        "figures": False,
        "metrics": ["kendall_tau", "class_bias", "gaming_share"],
    }
    scenario = root / "scenarios" / "hangzhou-2011.toml"
    whole = run_sensitivity(scenario, **kw)

    def kill_after_two_chunks(done: int, total: int) -> None:
        if done >= 10:
            raise KeyboardInterrupt

    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        run_sensitivity(scenario, out=out, progress=kill_after_two_chunks, **kw)
    assert len(list((out / "chunks").iterdir())) == 2
    resumed = run_sensitivity(scenario, out=out, resume=True, **kw)
    assert resumed.metadata["evaluated_now"] == 4 * 5 - 10
    pd.testing.assert_frame_equal(whole.indices, resumed.indices, check_exact=True)


def test_the_report_has_a_sensitivity_section(tmp_path):
    from perfsim.report import build_report

    out = tmp_path / "sa"
    run_sensitivity(DEMO, method="sobol", n=4, reps=2, seed=3, out=out)
    html_path, md_path = build_report(out)
    text = html_path.read_text(encoding="utf-8")
    pngs = sorted((out / "figures").glob("*.png"))
    assert pngs and text.count('<img src="data:image/png;base64,') == len(pngs)
    assert "Which inputs matter (ST)" in text and "survey share" in text
    assert "http://" not in text and "https://" not in text
    assert all(f"figures/{p.name}" in md_path.read_text(encoding="utf-8") for p in pngs)


def test_a_missing_uncertain_file_is_not_sent_to_the_bundled_scenarios(tmp_path):
    """The [uncertain] table is the user's own file: its error says where relative paths start,
    not that `perfsim scenarios` lists the bundled ones."""
    r = run_cli("sensitivity", "hangzhou-2011", "--uncertain", "不确定2.toml", cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert f"不确定2.toml: file not found (relative paths start in {tmp_path})" in r.stderr
    assert "perfsim scenarios" not in r.stderr


def test_a_bundled_uncertain_table_is_found_by_its_name(tmp_path, monkeypatch):
    """`--uncertain hangzhou-2011-uncertain` (the name `perfsim scenarios` lists) reads the bundled
    file from any folder, as a scenario's name does; its error named that very name as the
    bundled scenario one meant."""
    monkeypatch.chdir(tmp_path)
    table, label = load_uncertain("hangzhou-2011-uncertain")
    bundled, _ = load_uncertain(ROOT / "scenarios" / "hangzhou-2011-uncertain.toml")
    assert label == "hangzhou-2011-uncertain" and table == bundled and len(table) >= 2
    with pytest.raises(
        perfsim.ScenarioError, match="did you mean the bundled scenario .hangzhou-2011-unc"
    ):
        load_uncertain("hangzhou-2011-uncertan")


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("杭州", "hangzhou-2011-uncertain"),  # the scenario's Chinese name: its uncertain table
        ("hangzhou", "hangzhou-2011-uncertain"),
        ("sensitivity", "teaching/sensitivity-demo"),
        ("goodhart", None),  # a scenario without an [uncertain] table, nor a variant with one
    ],
)
def test_an_uncertain_table_not_found_suggests_a_bundled_one_that_holds_one(typed, meant):
    """`--uncertain 杭州` suggested the scenario hangzhou-2011, which has no [uncertain] table."""
    with pytest.raises(perfsim.ScenarioError) as err:
        load_uncertain(typed)
    said = str(err.value)
    assert (f"did you mean the bundled scenario {meant!r}" in said) == (meant is not None)


@pytest.mark.parametrize("option", [{"metrics": ["kendal_tau"]}, {"bounds": ["gaming<0.1"]}])
def test_a_metric_no_run_writes_stops_a_scenarios_analysis_before_it_runs(
    tmp_path, monkeypatch, option
):
    """A misspelt --metric or --bound stopped the analysis only after every sample had run,
    leaving its chunks behind; it is known from the metric registry before anything runs."""
    from perfsim.experiments.sensitivity import run as runner

    def never(*_args, **_kwargs):
        raise AssertionError("the samples ran")

    monkeypatch.setattr(runner, "_evaluate", never)
    with pytest.raises(SensitivityError, match="unknown metric"):
        run_sensitivity("teaching/sensitivity-demo", method="morris", n=2, reps=2,
                        out=tmp_path / "s", **option)  # fmt: skip
    assert not (tmp_path / "s").exists()


def test_a_warning_names_an_input_in_the_language_it_is_said_in():
    """The convergence and choice-gap warnings name the inputs along which they happen; under
    --lang zh by their Chinese names (translations.zh.name), where the note sensitivity.json
    keeps stays English (the report says it again with the names it records)."""
    from perfsim.experiments.sensitivity.run import convergence_notes
    from perfsim.i18n import say
    from perfsim.world.convergence import ConvergenceWarning

    samples = pd.DataFrame({"sample": range(8), "audit rate": np.linspace(0, 0.4, 8),
                            "normalisation": ["efficacy", "zscore"] * 4})  # fmt: skip
    outputs = pd.DataFrame({"converged_share": [1.0] * 4 + [0.5] * 4})
    names = {"zh": {"audit rate": "抽查概率"}}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        notes = convergence_notes(outputs, samples, names)
    said = [w.message for w in caught if w.category is ConvergenceWarning]
    assert len(said) == 1 and "audit rate" in notes[0] and "抽查概率" not in notes[0]
    message = said[0].args[0]
    assert "audit rate" in say(message)
    with language("zh"):
        chinese = say(message)
    assert "抽查概率" in chinese and "audit rate" not in chinese


@pytest.mark.parametrize("metrics", [2, 33])
def test_a_sensitivity_figures_title_clears_its_panels_titles(metrics):
    """With 33 metrics (the curated Sobol example) the title sat on the first panels' titles."""
    import matplotlib.text

    from perfsim.experiments.sensitivity.figures import bars_figure, morris_figure
    from perfsim.experiments.sensitivity.result import SensitivityResult

    names, inputs = [f"metric_{i}" for i in range(metrics)], ["a", "b", "c"]
    rows = [
        (m, x, k, 0.3, 0.1) for m in names for x in inputs for k in ("S1", "ST", "mu_star", "sigma")
    ]
    indices = pd.DataFrame(rows, columns=["metric", "input", "index", "value", "confidence"])
    result = SensitivityResult("sobol", indices, pd.DataFrame(), {}, inputs, names, 8, [],
                               pd.DataFrame(), {})  # fmt: skip
    for fig in (bars_figure(result, ("S1", "ST")), morris_figure(result)):
        renderer = fig.canvas.get_renderer()
        title = next(t for t in fig.findobj(matplotlib.text.Text) if "indices" in t.get_text()
                     or "Morris" in t.get_text())  # fmt: skip
        box = title.get_window_extent(renderer)
        for ax in fig.axes:
            if ax.get_visible():
                assert not box.overlaps(ax.title.get_window_extent(renderer)), ax.get_title()
                assert box.y0 >= ax.get_window_extent(renderer).y1


def test_the_leading_inputs_cell_leaves_out_undefined_indices_and_rounding():
    from perfsim.cli.sensitivity import _leading

    top = pd.DataFrame({"input": ["a", "b", "c"], "value": [0.4, np.nan, 0.0],
                        "confidence": [0.05, np.nan, 0.0]})  # fmt: skip
    assert _leading(top, {}) == ("a 0.4 ±0.05", False)
    assert _leading(top.assign(confidence=[2e-14, np.nan, 0.0]), {"a": "甲"}) == (
        "甲 0.4 ±0",
        False,
    )
    assert _leading(top.assign(value=np.nan), {})[0] == "no index (not defined in the samples)"
    assert _leading(top.assign(value=[0.0, 0.0, 0.0]), {})[0] == "no input moves it"
    # (ST 2.21 ±5.1 at a small N, shown as any other: marked, and the legend printed once)
    wide = pd.DataFrame({"input": ["a", "b"], "value": [2.21, 0.3], "confidence": [5.1, 0.1]})
    assert _leading(wide, {}) == ("a 2.21 ±5.1 (?) · b 0.3 ±0.1", True)
    # (the notes' rule: noise around a small index, within 5 % of the scale, is expected)
    small = pd.DataFrame({"input": ["a", "b"], "value": [21.1, 0.267], "confidence": [7.4, 0.36]})
    assert _leading(small, {}, relative=True) == ("a 21.1 ±7.4 · b 0.267 ±0.36", False)


def test_a_different_analysis_is_told_in_words():
    """The refusal said ``second_order None there, False now`` (Python's values)."""
    from perfsim.experiments.sensitivity.checkpoint import _differences as differences

    said = differences({"method": "morris", "second_order": None, "seed": 0},
                       {"method": "sobol", "second_order": False, "seed": 0})  # fmt: skip
    assert said == "method morris there, sobol now; second_order not applicable there, no now"


def test_report_on_an_interrupted_analysis_names_only_what_is_missing(tmp_path, capsys):
    """It said "indices.csv and the figures are missing" of a folder whose indices.csv was there
    (the run was stopped after writing it)."""
    import json as _json

    from perfsim.cli import main

    out = tmp_path / "s"
    (out / "chunks").mkdir(parents=True)
    (out / "sensitivity.json").write_text(_json.dumps({"kind": "sensitivity", "status": "running"}))
    (out / "indices.csv").write_text("metric,input,index,value,confidence\n", encoding="utf-8")
    assert main(["report", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "not yet written: figures/)" in err and "indices.csv" not in err


@pytest.mark.parametrize("method", ["morris", "sobol"])
def test_a_metric_asked_for_twice_is_analysed_once(tmp_path, method):
    """``--metric kendall_tau --metric kendall_tau`` made two output columns of one name, and
    SALib's analysis a traceback after every sample had run (exit 1, a folder left "running")."""
    res = run_sensitivity("teaching/sensitivity-demo", method=method, n=2, reps=2,
                          metrics=["kendall_tau", "kendall_tau"], out=tmp_path / "s")  # fmt: skip
    assert res.outputs == ["kendall_tau"]
    assert json.loads((tmp_path / "s" / "sensitivity.json").read_text())["status"] != "running"


def test_pilots_of_very_different_cost_are_said_to_make_a_rough_estimate(capsys):
    """One pilot sample's cost was a poor guide (a Morris run of the Hangzhou inputs was
    estimated at 1 s and took 40 s): the estimate is the mean of a few pilots spread over the
    design, and when they differ more than three-fold the terminal says so."""
    from perfsim.cli.sensitivity import _print_estimate

    _print_estimate(3.2, 2, [0.05, 0.048, 0.43])
    err = capsys.readouterr().err
    assert "about 3 s on 2 workers" in err and "took 0.048 to 0.43 s each" in err
    _print_estimate(3.2, 2, [0.05, 0.06, 0.1])
    assert "s each" not in capsys.readouterr().err  # (within three-fold: the estimate alone)
    _print_estimate(600, 2, [3.0, 150.0, 20.0])
    assert "took 3 to 150 s each" in capsys.readouterr().err  # (not 1.5e+02)
