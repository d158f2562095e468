"""perfsim.results: every kind of result folder is written and read back by its record."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from helpers import ROOT

from perfsim import PerfsimError, compare, simulate
from perfsim.results import (
    ComparisonRecord,
    EmpiricalRecord,
    ResultFolderError,
    RunRecord,
    SensitivityRecord,
    read_result,
)
from perfsim.results.names import ComparisonFiles, RunFiles
from perfsim.simulation import write_run

V5 = ROOT / "scenarios" / "theory" / "v5-visibility.toml"
EXAMPLES = ROOT / "results" / "examples"


def test_a_run_is_read_back_as_written(tmp_path):
    result = simulate(V5, reps=5, seed=3)
    out = write_run(result, tmp_path / "run")
    record = read_result(out)
    assert isinstance(record, RunRecord) and record.path == out
    assert record.metadata["seed"] == 3
    pd.testing.assert_frame_equal(record.metrics, result.metrics, check_dtype=False)
    pd.testing.assert_frame_equal(record.departments, result.departments, check_dtype=False)
    assert record.confusion.shape == result.confusion.shape
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == sorted(
        [RunFiles.METADATA, RunFiles.METRICS, RunFiles.DEPARTMENTS, RunFiles.PERIODS]
        + [RunFiles.REPLICATIONS, RunFiles.CONFUSION]
    )


def test_a_comparison_is_read_back_with_its_runs(tmp_path):
    comp = compare([V5], variants=["v:world.classes.back.visibility=0.3"], reps=4, seed=0)
    out = ComparisonRecord.from_comparison(comp, seed=0, reps=4).write(tmp_path / "cmp")
    record = read_result(out)
    assert isinstance(record, ComparisonRecord)
    assert record.rules == comp.rules and record.worlds == comp.worlds
    assert (out / ComparisonFiles.run(0, 1)).is_dir()
    sub = record.run(comp.worlds[0], comp.rules[1])
    assert isinstance(sub, RunRecord) and len(sub.metrics) == len(comp.table) // 2


@pytest.mark.parametrize(
    ("name", "kind"),
    [("hangzhou-sobol", SensitivityRecord), ("hangzhou-pilot", EmpiricalRecord)],
)
def test_curated_examples_are_read(name, kind):
    record = read_result(EXAMPLES / name)
    assert isinstance(record, kind) and record.metadata
    assert record.figures


def test_a_folder_that_is_not_a_result(tmp_path):
    with pytest.raises(ResultFolderError, match="not a perfsim run folder"):
        read_result(tmp_path)
    broken = tmp_path / "sobol"
    shutil.copytree(EXAMPLES / "hangzhou-sobol", broken)
    (broken / "indices.csv").unlink()
    with pytest.raises(PerfsimError, match="interrupted"):
        read_result(broken)


def test_records_read_back_write_the_same_tables(tmp_path):
    pilot = read_result(EXAMPLES / "hangzhou-pilot")
    out = pilot.write(tmp_path / "pilot")
    again = EmpiricalRecord.read(out)
    assert again.tables.keys() == pilot.tables.keys() and again.calibrated == pilot.calibrated
    for name, table in pilot.tables.items():
        pd.testing.assert_frame_equal(again.tables[name], table)
    run = RunRecord.read(write_run(simulate(V5, reps=3, seed=1), tmp_path / "run"))
    copy = RunRecord.read(run.write(tmp_path / "copy"))
    pd.testing.assert_frame_equal(copy.metrics, run.metrics)
    pd.testing.assert_frame_equal(copy.replications, run.replications)


def test_a_sensitivity_result_without_a_folder_is_written_by_its_record(tmp_path):
    from perfsim.experiments.sensitivity import run_sensitivity

    demo = ROOT / "scenarios" / "teaching" / "sensitivity-demo.toml"
    result = run_sensitivity(demo, method="sobol", n=4, reps=2, seed=3)
    out = SensitivityRecord.from_result(result).write(tmp_path / "sa")
    record = read_result(out)
    assert isinstance(record, SensitivityRecord) and record.main_index == "ST"
    pd.testing.assert_frame_equal(record.indices, result.indices, check_dtype=False)
    assert record.figures


@pytest.mark.parametrize(
    "name", ["hangzhou-reform", "hangzhou-sobol", "hangzhou-optimize", "hangzhou-pilot"]
)
def test_a_curated_example_is_all_perfsims_own(name):
    """Every file of a curated example is the one its manifest lists (so that `perfsim report` on
    it rewrites the report; a figure restored from git after a regeneration left the reform
    example refusing to)."""
    from perfsim.io import foreign_files

    folder = ROOT / "results" / "examples" / name
    assert foreign_files(folder) == []
