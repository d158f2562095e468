"""What simulate() computes once and reuses (the compiled model, the scenario hash, parsed TOML) is
never served for another scenario or a changed file, and gives the numbers a fresh computation
gives; the overflow check reads the department arrays as it read the table."""

from __future__ import annotations

import gc
import hashlib
import json
import pickle

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT

import perfsim
from perfsim import engine, metrics, simulation
from perfsim.scenario import load_scenario, read_toml, scenario_hash

SCENARIO = ROOT / "scenarios" / "hangzhou-2011.toml"
TEACHING = ROOT / "scenarios" / "teaching" / "goodhart.toml"


def _fresh_hash(scenario) -> str:
    """The hash as its definition says: the canonical JSON of the resolved scenario, its texts'
    translations (meta.translations) left out."""
    dumped = scenario.model_dump(mode="json")
    del dumped["meta"]["translations"]
    text = json.dumps(dumped, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_a_translation_of_the_texts_leaves_the_hash_as_it_was(tmp_path):
    text = SCENARIO.read_text(encoding="utf-8")
    start = text.index("[meta.translations.zh]")
    bare = tmp_path / "bare.toml"
    bare.write_text(text[:start] + text[text.index("\n[rule]\n", start) :], encoding="utf-8")
    with_zh, without = load_scenario(SCENARIO), load_scenario(bare)
    assert with_zh.meta.translations and not without.meta.translations
    assert scenario_hash(with_zh) == scenario_hash(without) == _fresh_hash(with_zh)
    changed = load_scenario(SCENARIO, ['meta.description="another"'])
    assert scenario_hash(changed) != scenario_hash(with_zh)  # the texts themselves count


def test_model_is_compiled_once_per_scenario_object():
    sc = load_scenario(SCENARIO, ['world.policy="naive"'])
    first = engine.model_of(sc)
    assert engine.model_of(sc) is first
    twin = load_scenario(SCENARIO, ['world.policy="naive"'])  # equal, but another object
    assert engine.model_of(twin) is not first
    assert engine.model_of(twin).scenario is twin


@pytest.mark.parametrize("departments", [5, 9, 14])
def test_cached_models_and_hashes_follow_each_new_scenario(departments):
    """Scenarios made and dropped in turn (their ids are often reused) each get their own model and
    hash, as a fresh compilation gives them."""
    for d in (departments, departments + 1, departments + 3, departments):
        sc = load_scenario(TEACHING, [f"world.departments={d}", "world.periods=1"])
        res = perfsim.simulate(sc, reps=2, seed=1)
        assert len(res.departments) == d
        assert engine.model_of(sc).world.n_dept == d
        assert scenario_hash(sc) == _fresh_hash(sc) == res.metadata["scenario_hash"]
        del sc, res
        gc.collect()


@pytest.mark.parametrize("seed", [0, 7])
def test_a_reused_model_gives_the_numbers_of_a_fresh_one(seed):
    sc = load_scenario(SCENARIO, ['world.policy="naive"'])
    first = perfsim.simulate(sc, reps=12, seed=seed)  # compiles
    again = perfsim.simulate(sc, reps=12, seed=seed)  # reuses the model
    fresh = perfsim.simulate(load_scenario(SCENARIO, ['world.policy="naive"']), reps=12, seed=seed)
    for res in (again, fresh):
        pd.testing.assert_frame_equal(res.per_rep, first.per_rep)
        pd.testing.assert_frame_equal(res.departments, first.departments)
        pd.testing.assert_frame_equal(res.metrics, first.metrics)


def test_a_changed_file_is_read_again(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(TEACHING.read_text(encoding="utf-8"), encoding="utf-8")
    before = load_scenario(path).world.departments
    text = path.read_text(encoding="utf-8").replace(
        f"departments = {before}", f"departments = {before + 7}", 1
    )
    assert text != path.read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    assert load_scenario(path).world.departments == before + 7


def test_each_read_gives_a_fresh_table():
    table = read_toml(SCENARIO)
    table["world"]["departments"] = -1
    table["rule"].pop("grading")
    again = read_toml(SCENARIO)
    assert again["world"]["departments"] == 66
    assert "grading" in again["rule"]


def test_overflow_check_reads_arrays_as_it_read_the_table():
    # kendall_tau may be undefined (NaN when all true values tie), mean_total may not
    summary = metrics.summarize({"kendall_tau": [np.nan] * 2, "mean_total": [np.inf] * 2})
    sc = load_scenario(SCENARIO)
    columns = {
        "department": ["d000", "d001"],
        "class": ["a", "b"],
        "true_value": np.array([1.0, np.nan]),
        "total": np.array([80.0, 81.0]),
        "reward": np.array([np.inf, 0.0]),
    }
    messages = []
    for deps in (columns, pd.DataFrame(columns)):
        with pytest.raises(simulation.SimulationError) as err:
            simulation.check_finite(sc, summary, deps)
        messages.append(str(err.value))
    assert messages[0] == messages[1]
    assert "(true_value, reward, mean_total not finite)" in messages[0]
    finite = {k: v for k, v in columns.items() if k in ("department", "class", "total")}
    simulation.check_finite(sc, metrics.summarize({"kendall_tau": [0.1, 0.2]}), finite)


@pytest.mark.parametrize("values", [[0.1, 0.3, 0.2], [0.1, np.nan, 0.2]])
def test_summary_extra_columns_follow_the_metrics(values):
    per_rep = {"kendall_tau": values, "mean_total": [80.0, 82.0, 81.0]}
    plain = metrics.summarize(per_rep)
    extra = metrics.summarize(per_rep, extra={"direction": ["higher", ""]})
    assert list(extra.columns) == ["metric", "mean", "se", "n", "direction"]
    pd.testing.assert_frame_equal(extra[plain.columns], plain)
    assert extra["direction"].tolist() == ["higher", ""]
    assert extra.loc[0, "n"] == np.isfinite(values).sum()


def test_caches_are_safe_from_threads():
    """Threads compiling and hashing different scenarios at once each get their own."""
    from concurrent.futures import ThreadPoolExecutor

    scenarios = [
        load_scenario(TEACHING, [f"world.departments={d}", 'world.policy="naive"'])
        for d in range(3, 27)
    ]

    def check(sc) -> bool:
        return (
            engine.model_of(sc).world.n_dept == sc.world.departments
            and scenario_hash(sc) == _fresh_hash(sc)
            and read_toml(TEACHING)["world"]["departments"] == 20
        )

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(check, scenarios * 3))


TABLES = ("metrics", "departments", "periods", "per_rep", "confusion", "period_effort")


@pytest.mark.parametrize(
    ("path", "overrides", "reps"),
    [
        (SCENARIO, ['world.policy="naive"'], 5),
        (TEACHING, ["world.periods=3"], 4),  # several periods; best response: convergence rows
        (ROOT / "scenarios" / "teaching" / "ratchet.toml", [], 3),
    ],
)
def test_tables_built_when_first_read_are_the_tables_of_the_run(path, overrides, reps):
    """Whichever table is read first, and however (attribute, pickle), each holds the numbers
    computed from the per-replication metrics of the same run."""
    sc = load_scenario(path, overrides)
    runs = [perfsim.simulate(sc, reps=reps, seed=2) for _ in range(3)]
    for name in reversed(TABLES):  # the second run: tables read in the other order
        getattr(runs[1], name)
    pickled = pickle.loads(pickle.dumps(runs[2]))  # builds every table first
    assert "_build" not in vars(pickled)
    for name in TABLES:
        first = getattr(runs[0], name)
        assert getattr(runs[0], name) is first  # built once
        for other in (runs[1], pickled):
            pd.testing.assert_frame_equal(getattr(other, name), first)
    res = runs[0]
    summary = res.metrics.set_index("metric")
    per_rep = res.per_rep
    assert list(summary.index) == list(per_rep.columns)
    means = summary["mean"].drop("iterations_max", errors="ignore")
    np.testing.assert_allclose(means, per_rep[means.index].mean(), rtol=1e-12)  # of finite values
    assert (summary["n"] == np.isfinite(per_rep).sum()).all() and (summary["n"] <= reps).all()
    assert per_rep.index.name == "replication" and len(per_rep) == reps
    if "iterations_max" in summary.index:  # the max over replications, not the mean
        assert summary.loc["iterations_max", "mean"] == per_rep["iterations_max"].max()
        assert res.metadata["iterations_max"] == per_rep["iterations_max"].max()
    assert len(res.periods) == sc.world.periods == res.period_effort.shape[1]
    assert res.confusion.to_numpy().sum() == pytest.approx(1.0)
    assert len(res.departments) == sc.world.departments


def test_a_deferred_field_is_built_once_on_first_read():
    calls = []

    def build():
        calls.append(1)
        return pd.DataFrame({"x": [1.0]})

    res = simulation.SimulationResult.deferred({"metadata": {"seed": 1}}, {"metrics": build})
    assert calls == [] and res.metadata == {"seed": 1}
    assert res.metrics is res.metrics and calls == [1]
    with pytest.raises(AttributeError, match="departments"):
        res.departments  # noqa: B018 (neither set nor deferred)


def test_a_translation_of_the_texts_leaves_a_sensitivity_analysis_the_same(tmp_path):
    """A sensitivity folder is resumed only by the same analysis (its identity); a typo fixed in
    a Chinese assumption must not make every such folder "a different analysis"."""
    import warnings

    from perfsim.experiments.sensitivity.models import model_spec

    text = SCENARIO.read_text(encoding="utf-8")
    edited = tmp_path / "edited.toml"
    edited.write_text(text.replace("领导考评占 5 %", "领导考评占 5%"), encoding="utf-8")
    uncertain = ROOT / "scenarios" / "hangzhou-2011-uncertain.toml"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        specs = [model_spec(p, None, None, uncertain, [], 2, 0) for p in (SCENARIO, edited)]
        other = model_spec(SCENARIO, None, None, uncertain, ['meta.description="x"'], 2, 0)
    assert specs[0].identity == specs[1].identity != other.identity
    assert "translations" not in specs[0].identity["scenario"]["meta"]
