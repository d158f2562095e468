"""The memory guard: a run that cannot fit is refused with the key, its value and the limit."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT

import perfsim
from perfsim import budget
from perfsim.cli import main
from perfsim.scenario import PerfsimError, ScenarioError

HANGZHOU = str(ROOT / "scenarios" / "hangzhou-2011.toml")


def _run(capsys, tmp_path, *extra: str) -> tuple[int, str]:
    code = main(["run", HANGZHOU, "--out", str(tmp_path / "run"), "--quiet", *extra])
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    "key, value, said",
    [
        ("world.departments", "1000000000", "this run would need about"),
        ("world.departments", str(10**15), "this run would need about"),
        ("world.departments", str(10**30), "must be ≤ 1e15"),  # beyond int64: no OverflowError
    ],
)
def test_run_too_big_for_memory_exits_2_naming_the_key(
    capsys, tmp_path, monkeypatch, key, value, said
):
    monkeypatch.delenv(budget.LIMIT_VARIABLE, raising=False)
    code, err = _run(capsys, tmp_path, "--reps", "2", "--set", f"{key}={value}")
    assert code == 2
    assert f"{key} = {value}: {said}" in err and "Traceback" not in err
    if "would need" in said:
        assert "available" in err and budget.LIMIT_VARIABLE in err
    assert not (tmp_path / "run").exists()


def test_absurd_sample_counts_are_refused_by_the_schema(capsys, tmp_path):
    code, err = _run(capsys, tmp_path, "--reps", "2", "--set", f"world.samples={10**12}")
    assert code == 2 and "world.samples" in err and "Traceback" not in err


def test_too_many_replications_names_reps(capsys, tmp_path, monkeypatch):
    monkeypatch.delenv(budget.LIMIT_VARIABLE, raising=False)
    code, err = _run(capsys, tmp_path, "--reps", str(10**12), "--set", 'world.policy="naive"')
    assert code == 2 and f"--reps = {10**12}: this run would need" in err


def test_limit_from_the_environment(capsys, tmp_path, monkeypatch):
    sc = perfsim.load_scenario(HANGZHOU, ["world.departments=100000"])
    need = budget.estimate(sc, 10).total
    monkeypatch.setenv(budget.LIMIT_VARIABLE, str(need - 1))
    with pytest.raises(ScenarioError, match=r"world.departments = 100000: .* allowed by"):
        budget.check(sc, 10)
    monkeypatch.setenv(budget.LIMIT_VARIABLE, str(need))
    assert budget.check(sc, 10).total == need
    monkeypatch.setenv(budget.LIMIT_VARIABLE, "off")
    assert budget.check(perfsim.load_scenario(HANGZHOU, [f"world.departments={10**15}"]), 2)
    monkeypatch.setenv(budget.LIMIT_VARIABLE, "1.5G")
    assert budget.memory_limit()[0] == 3 * 2**29
    monkeypatch.setenv(budget.LIMIT_VARIABLE, "lots")
    code, err = _run(capsys, tmp_path, "--reps", "2")
    assert code == 2 and "PERFSIM_MEMORY_LIMIT='lots': not a memory size" in err
    with pytest.raises(PerfsimError):
        budget.memory_limit()


def test_only_runs_above_the_floor_read_the_system_memory(monkeypatch):
    """A run whose arrays need less than UNCHECKED_BELOW is not checked against the system's
    memory (reading it costs more than a small run is worth); a larger one is, and the
    environment's limit applies to both."""
    monkeypatch.delenv(budget.LIMIT_VARIABLE, raising=False)
    reads = []
    monkeypatch.setattr(budget, "available_memory", lambda: reads.append(1) or (2**20, "tiny"))
    small = perfsim.load_scenario(HANGZHOU)
    need = budget.estimate(small, 10)
    assert need.total - need.base < budget.UNCHECKED_BELOW
    assert budget.check(small, 10) == need and reads == []
    big = perfsim.load_scenario(HANGZHOU, ["world.departments=20000"])
    assert budget.estimate(big, 10).total - budget.BASE_BYTES >= budget.UNCHECKED_BELOW
    with pytest.raises(ScenarioError, match="tiny"):
        budget.check(big, 10)
    assert reads == [1]
    monkeypatch.setenv(budget.LIMIT_VARIABLE, str(need.total - 1))
    with pytest.raises(ScenarioError, match="allowed by"):
        budget.check(small, 10)


def test_estimate_grows_with_each_dimension():
    sc = perfsim.load_scenario(HANGZHOU, ["world.departments=20000"])
    e = budget.estimate(sc, 2)
    assert budget.estimate(sc, 2, departments=40000).total > e.total
    assert budget.estimate(sc, 2, samples=2 * sc.world.samples).samples == 2 * e.samples
    assert budget.estimate(sc, 200).kept > e.kept  # the blocks' sums are kept until combined
    naive = perfsim.load_scenario(HANGZHOU, ["world.departments=20000", 'world.policy="naive"'])
    assert budget.estimate(naive, 2).samples == 0


# VmHWM, the peak resident size of this process image (ru_maxrss would carry over the peak of the
# pytest process that forked it)
CHILD = """
import sys
import perfsim
from perfsim import budget
sc = perfsim.load_scenario(sys.argv[1], ['world.policy="naive"', "world.departments=60000"])
perfsim.simulate(sc, reps=4, seed=0)
status = open("/proc/self/status").read().split("VmHWM:")[1].split()
print(int(status[0]) * 1024, budget.estimate(sc, 4).total)
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_estimate_bounds_the_measured_peak():
    """The estimate lies above the peak resident memory of a real run, but not far above."""
    out = subprocess.run(
        [sys.executable, "-c", CHILD, HANGZHOU], capture_output=True, text=True, check=True
    )
    peak, estimate = map(int, out.stdout.split())
    assert peak <= estimate <= 2.5 * peak


@pytest.mark.parametrize(
    "command",
    [
        ["compare", HANGZHOU, "--variant", 'b:rule.grading.scope="within_class"'],
        ["sensitivity", str(ROOT / "scenarios" / "teaching" / "sensitivity-demo.toml"),
         "--method", "sobol", "--n", "8"],
    ],
    ids=["compare", "sensitivity"],
)  # fmt: skip
def test_compare_and_sensitivity_refuse_before_running(capsys, tmp_path, monkeypatch, command):
    monkeypatch.delenv(budget.LIMIT_VARIABLE, raising=False)
    argv = [*command, "--reps", "2", "--out", str(tmp_path / "out"), "--quiet"]
    code = main([*argv, "--set", "world.departments=1000000000"])
    err = capsys.readouterr().err
    assert code == 2 and "world.departments = 1000000000: this run would need" in err
    assert "Traceback" not in err


def test_a_world_too_big_names_the_world_file_and_is_said_in_chinese(capsys, tmp_path, monkeypatch):
    """Departments that came from a ``--world`` file are named with that file (not the rule file
    alone), and under ``--lang zh`` the whole message is Chinese: the limit, where it comes from
    (the system's available memory, or the environment variable) and the advice."""
    monkeypatch.delenv(budget.LIMIT_VARIABLE, raising=False)
    text = Path(HANGZHOU).read_text(encoding="utf-8")
    world = tmp_path / "省.toml"
    world.write_text(text.replace("departments = 66", f"departments = {10**9}"), "utf-8")
    rule = str(ROOT / "scenarios" / "rules" / "my-first-rule.toml")
    args = ["run", rule, "--world", str(world), "--reps", "2", "--out", str(tmp_path / "o")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert f"my-first-rule.toml on world {world}: world.departments = {10**9}: " in err
    assert main([*args, "--lang", "zh"]) == 2
    err = capsys.readouterr().err
    assert f"my-first-rule.toml（模拟世界 {world}）：world.departments = {10**9}：" in err
    assert "这次运行约需" in err and "超过可用内存" in err and "请调低 world.departments" in err
    said = err.replace(str(ROOT), "").replace(str(tmp_path), "")  # (paths may hold any word)
    assert not re.search(r"\b(would|memory|available|lower|set|skip|check)\b", said), err
    monkeypatch.setenv(budget.LIMIT_VARIABLE, "1G")
    assert main([*args, "--lang", "zh"]) == 2
    err = capsys.readouterr().err
    assert f"超过{budget.LIMIT_VARIABLE}=1G 所允许的内存 1.0 GB" in err
    monkeypatch.setenv(budget.LIMIT_VARIABLE, "lots")
    assert main([*args, "--lang", "zh"]) == 2
    assert "PERFSIM_MEMORY_LIMIT='lots'：不是内存大小" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_departments_given_with_set_are_named_with_the_set(capsys, tmp_path, monkeypatch):
    """The memory message named the rule file (or its world) alone when the departments came
    from ``--set``: now with the ``--set`` it was loaded with, as a validation error does; a
    run too long by its replications names the file alone (``--reps`` is the key)."""
    monkeypatch.delenv(budget.LIMIT_VARIABLE, raising=False)
    rule = str(ROOT / "scenarios" / "rules" / "my-first-rule.toml")
    out = str(tmp_path / "o")
    for world in ([], ["--world", "hangzhou-2011"]):
        sets = ["--set", f"world.departments={10**9}"]
        assert main(["run", rule, *world, *sets, "--reps", "2", "--out", out]) == 2
        err = capsys.readouterr().err
        on = " on world hangzhou-2011" if world else ""
        assert f"my-first-rule.toml{on} (with --set world.departments={10**9}): world." in err
    assert main(["run", HANGZHOU, "--reps", str(10**9), "--out", out]) == 2
    err = capsys.readouterr().err
    assert f"hangzhou-2011.toml: --reps = {10**9}: this run would need" in err, err
    assert not (tmp_path / "o").exists()
