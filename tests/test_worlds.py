"""A rule on a world from elsewhere (--world), starter files (perfsim new), the no-world message."""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
import warnings
from pathlib import Path

import pandas as pd
import pytest

import perfsim
from perfsim.cli import main
from perfsim.experiments.sensitivity import model_spec
from perfsim.scenario import ScenarioError, resolve_scenario, scenario_raw
from perfsim.scenario.bundled import bundled_worlds

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
HANGZHOU = SCENARIOS / "hangzhou-2011.toml"
EXAMPLE = SCENARIOS / "rules" / "my-first-rule.toml"
NAIVE = ["world.policy=naive"]  # the fitting, not the best response, is under test: quick runs


def _raw(path: Path) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _rule_only(tmp_path: Path, scenario: Path) -> Path:
    """The scenario's [meta] and [rule] alone, as a rule file (TOML written by hand: no writer)."""
    lines = scenario.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("[world"))
    return _write(tmp_path / f"{scenario.stem}-rule.toml", "\n".join(lines[:start]) + "\n")


@pytest.mark.parametrize("name", ["hangzhou-2011", "mlr-2011"])
def test_a_pilot_rule_on_its_own_bundled_world_gives_the_pilot_numbers(tmp_path, name):
    # every indicator, rater group and class of a pilot is used by its rule: fitting by name must
    # rebuild exactly the pilot's world, so the same seed gives the same numbers
    rule = _rule_only(tmp_path, SCENARIOS / f"{name}.toml")
    assert resolve_scenario(rule).world is None
    on_world = perfsim.simulate(rule, world=name, reps=12, seed=3, overrides=NAIVE)
    direct = perfsim.simulate(name, reps=12, seed=3, overrides=NAIVE)
    pd.testing.assert_frame_equal(on_world.metrics, direct.metrics)
    pd.testing.assert_frame_equal(on_world.departments, direct.departments)


def test_the_example_rule_is_fitted_to_hangzhou_by_name():
    scenario = resolve_scenario(EXAMPLE, world="hangzhou-2011")
    world, hz = scenario.world, _raw(HANGZHOU)["world"]
    assert list(world.indicators) == ["重点工作目标", "公共服务"]  # the rule's, in its order
    assert list(world.raters) == ["社会评价"]  # 领导考评 feeds no component of this rule: left out
    assert list(world.tasks) == list(hz["tasks"])  # the world's tasks and departments are whole
    assert world.departments == hz["departments"] and list(world.classes) == list(hz["classes"])
    assert world.indicators["公共服务"].offset == hz["indicators"]["公共服务"]["offset"]
    assert world.raters["社会评价"].respondents == hz["raters"]["社会评价"]["respondents"]
    assert len(EXAMPLE.read_text(encoding="utf-8").splitlines()) <= 30


def test_a_rule_without_a_world_says_what_to_add(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(EXAMPLE), "--reps", "2", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "--world hangzhou-2011" in err and "[world] table" in err
    assert f"bundled worlds: {', '.join(bundled_worlds())}" in err
    assert "Traceback" not in err and not (tmp_path / "results").exists()  # nothing written
    with pytest.raises(ScenarioError, match="world='hangzhou-2011'"):
        perfsim.simulate(EXAMPLE, reps=2)


def test_bundled_worlds_are_the_top_level_scenarios_with_a_world():
    expected = [
        p.stem for p in sorted(SCENARIOS.glob("*.toml")) if "tasks" in _raw(p).get("world", {})
    ]
    assert bundled_worlds() == expected and "hangzhou-2011" in expected
    assert "hangzhou-2011-uncertain" not in bundled_worlds()


RULE_WITH = """
[rule.indicators."{indicator}"]
component = "目标考核"
[rule.components."目标考核"]
share = 0.5
[rule.components."{column}"]
share = 0.5
{extra}
"""


def _rule(tmp_path, indicator="公共服务", column="社会评价", extra="") -> Path:
    text = RULE_WITH.format(indicator=indicator, column=column, extra=extra)
    return _write(tmp_path / "rule.toml", text)


def test_an_indicator_the_world_does_not_measure_is_an_error_listing_its_names(tmp_path):
    rule = _rule(tmp_path, indicator="按时办结率")
    with pytest.raises(ScenarioError) as info:
        resolve_scenario(rule, world="hangzhou-2011")
    text = str(info.value)
    assert str(rule) in text and "rule.indicators.按时办结率" in text
    for name in _raw(HANGZHOU)["world"]["indicators"]:  # the world's indicators ...
        assert name in text
    for task in _raw(HANGZHOU)["world"]["tasks"]:  # ... and its tasks, for a loading
        assert task in text
    assert '[world.indicators."按时办结率"]' in text


def test_a_column_component_without_a_rater_group_is_an_error_listing_the_groups(tmp_path):
    rule = _rule(tmp_path, column="上级评价")
    with pytest.raises(ScenarioError) as info:
        resolve_scenario(rule, world="hangzhou-2011")
    text = str(info.value)
    assert "rule.components.上级评价" in text and "社会评价 (survey)" in text
    assert "领导考评 (panel)" in text and '[world.raters."上级评价"]' in text


def test_both_mismatches_are_reported_at_once_and_the_cli_exits_2(tmp_path, capsys):
    rule = _rule(tmp_path, indicator="按时办结率", column="上级评价")
    assert main(["validate", str(rule), "--world", "hangzhou-2011"]) == 2
    err = capsys.readouterr().err
    assert "rule.indicators.按时办结率" in err and "rule.components.上级评价" in err
    assert "Traceback" not in err


def test_rule_classes_must_be_the_worlds(tmp_path):
    rule = _rule(tmp_path, extra='[rule]\nclasses = ["窗口类", "机关类"]')
    with pytest.raises(ScenarioError, match="社会服务类, 执法监管类, 综合管理类"):
        resolve_scenario(rule, world="hangzhou-2011")
    same = _rule(tmp_path, extra='[rule]\nclasses = ["综合管理类", "社会服务类", "执法监管类"]')
    assert resolve_scenario(same, world="hangzhou-2011").rule.classes[0] == "综合管理类"


def test_a_partial_world_in_the_rule_file_adds_and_changes_entries(tmp_path):
    extra = """
[world.indicators."按时办结率"]
tasks = { "公共服务" = 1.0 }
offset = 88
[world.indicators."公共服务"]
gameability = 2.0
"""
    text = RULE_WITH.format(indicator="按时办结率", column="社会评价", extra=extra)
    text += '[rule.indicators."公共服务"]\ncomponent = "目标考核"\n'
    rule = _write(tmp_path / "rule.toml", text)
    assert resolve_scenario(rule).world is None  # alone: the entries wait for a world
    world = resolve_scenario(rule, world="hangzhou-2011").world
    hz = _raw(HANGZHOU)["world"]["indicators"]["公共服务"]
    assert world.indicators["按时办结率"].offset == 88
    assert world.indicators["公共服务"].gameability == 2.0  # changed by the rule file ...
    assert world.indicators["公共服务"].offset == hz["offset"]  # ... leaf by leaf
    # --set applies after the fit, to the fitted world
    over = resolve_scenario(rule, ["world.indicators.按时办结率.noise=0.7"], "hangzhou-2011")
    assert over.world.indicators["按时办结率"].noise == 0.7


def test_a_complete_world_in_the_file_is_replaced_by_the_given_world(tmp_path):
    raw_world = _raw(HANGZHOU)["world"]
    other = tmp_path / "small-world.toml"
    lines = HANGZHOU.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("[world]"))
    text = "\n".join(lines[start:]).replace(
        f"departments = {raw_world['departments']}", "departments = 30", 1
    )
    _write(other, text)
    scenario = resolve_scenario("hangzhou-2011", world=other)
    assert scenario.world.departments == 30
    assert scenario_raw(scenario)["world"]["departments"] == 30


def test_a_world_that_is_not_one_is_a_clear_error(tmp_path, capsys):
    assert main(["validate", str(EXAMPLE), "--world", "no-such-world"]) == 2
    err = capsys.readouterr().err
    assert "no-such-world" in err and "hangzhou-2011, mlr-2011" in err
    assert main(["validate", str(EXAMPLE), "--world", str(EXAMPLE)]) == 2
    assert "needs a complete [world]" in capsys.readouterr().err


def test_run_and_compare_take_world_and_name_the_folder_after_it(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = ["--world", "hangzhou-2011", "--reps", "3", "--quiet", "--set", NAIVE[0]]
    assert main(["run", str(EXAMPLE), *args]) == 0
    runs = list((tmp_path / "results").iterdir())
    assert [p.name.startswith("my-first-rule-on-hangzhou-2011-set") for p in runs] == [True]
    comp = perfsim.compare(
        [EXAMPLE, "hangzhou-2011"], world="hangzhou-2011", reps=3, overrides=NAIVE
    )
    assert comp.rules == ["my first rule (example)", "杭州 2011 综合考评 (市直单位)"]
    direct = perfsim.simulate("hangzhou-2011", reps=3, overrides=NAIVE)
    pd.testing.assert_frame_equal(comp.results[("base", comp.rules[1])].metrics, direct.metrics)


def test_compare_names_the_world_it_ran_on(tmp_path, capsys):
    out = str(tmp_path / "cmp")
    args = ["--variant", "s:rule.components.社会评价.share=0.4", "--reps", "2", "--set", NAIVE[0]]
    assert main(["compare", str(EXAMPLE), "--world", "hangzhou-2011", *args, "--out", out]) == 0
    assert "world: hangzhou-2011 (--world)" in capsys.readouterr().out
    assert main(["compare", "hangzhou-2011", *args, "--out", out + "2"]) == 0
    printed = capsys.readouterr().out
    assert "world: the scenario's own" in printed and "replaces the earlier" not in printed
    assert main(["compare", "hangzhou-2011", *args, "--out", out + "2"]) == 0  # a second time
    printed = capsys.readouterr().out  # (no report was written there: none is said to be replaced)
    assert "; it replaces the earlier comparison folder there" in printed
    assert "and its report" not in printed


def test_sensitivity_takes_a_world():
    uncertain = {"rule.components.社会评价.share": {"range": [0.2, 0.6]}}
    spec = model_spec(EXAMPLE, None, None, uncertain, [], 2, 0, "hangzhou-2011")
    assert [i.path for i in spec.inputs] == ["rule.components.社会评价.share"]
    assert list(spec.evaluate.raw["world"]["indicators"]) == ["重点工作目标", "公共服务"]
    with pytest.raises(ScenarioError, match="--world"):
        model_spec(EXAMPLE, None, None, uncertain, [], 2, 0)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_starter_files_validate_and_run_as_written(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["new", "rule", "rule.toml"]) == 0
    assert main(["new", "world", "world.toml"]) == 0
    for args in (["rule.toml"], ["world.toml"], ["rule.toml", "--world", "world.toml"]):
        assert main(["validate", *args]) == 0, capsys.readouterr().err
    assert main(["validate", "rule.toml", "--world", "hangzhou-2011"]) == 0
    assert "valid world: 40 departments, 3 tasks" in capsys.readouterr().out
    for world in ("world.toml", "hangzhou-2011"):
        code = main(["run", "rule.toml", "--world", world, "--reps", "3", "--quiet"])
        assert code == 0, capsys.readouterr().err
    metrics = pd.read_csv(tmp_path / "results" / "rule-on-world-seed0" / "metrics.csv")
    assert metrics.set_index("metric").loc["converged_share", "mean"] == 1.0
    assert "# " in Path("rule.toml").read_text(encoding="utf-8")  # commented


def test_new_never_replaces_a_file(tmp_path, capsys):
    target = _write(tmp_path / "mine.toml", "# my own work\n")
    before = _digest(target)
    assert main(["new", "rule", str(target)]) == 2
    assert "never replaces" in capsys.readouterr().err and _digest(target) == before
    assert main(["new", "world", str(tmp_path)]) == 2  # a folder
    assert "is a folder" in capsys.readouterr().err
    assert main(["new", "rule", str(tmp_path / "rule.txt")]) == 2
    assert "name it rule.toml" in capsys.readouterr().err  # (not rule.txt.toml)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.toml"]


def test_a_run_on_a_world_records_it_and_the_rerun_command_gives_it_back(tmp_path, capsys):
    from perfsim.report.figures import load_run
    from perfsim.report.html import rerun_command

    out = tmp_path / "run"
    args = ["--world", "hangzhou-2011", "--reps", "3", "--quiet", "--set", NAIVE[0]]
    assert main(["run", str(EXAMPLE), *args, "--out", str(out)]) == 0
    meta = json.loads((out / "metadata.json").read_text(encoding="utf-8"))
    assert meta["world"] == "hangzhou-2011" and meta["scenario"] == str(EXAMPLE)
    rerun = rerun_command(load_run(out))
    assert "--world hangzhou-2011" in rerun.command
    assert rerun.rebuilds and rerun.same_hash and rerun.file_changes == 1  # only --set policy
    plain = tmp_path / "plain"
    assert main(["run", "hangzhou-2011", "--reps", "2", "--quiet", "--out", str(plain)]) == 0
    assert "world" not in json.loads((plain / "metadata.json").read_text(encoding="utf-8"))


def test_the_readme_example_converges_on_hangzhou(recwarn):
    # the first command a designer runs must not end with a convergence warning
    result = perfsim.simulate(EXAMPLE, world="hangzhou-2011", reps=30, seed=0)
    assert result.metric("converged_share") == 1.0
    assert not [w for w in recwarn if "did not converge" in str(w.message)]
    assert 0 < result.metric("gaming_share") < 0.5  # departments respond to the rule


@pytest.mark.parametrize(("event", "warned"), [("安全事故一票否决", True), ("防汛", False)])
def test_a_world_event_named_near_an_unsimulated_veto_column_is_warned_about(
    tmp_path, monkeypatch, event, warned
):
    """A world file's event whose name is near a veto column of the rule that has no event: the
    event is left out as any event the rule does not name, and a warning names the column it
    probably meant (the column's veto is otherwise silently not simulated); a far name is left
    out without a word (a bundled world's events for its own rule)."""
    from perfsim.scenario.coverage import NotSimulatedWarning

    monkeypatch.chdir(tmp_path)
    rule = tmp_path / "rule.toml"
    rule.write_text(
        '[meta]\nname = "veto"\n[rule.indicators."完成率"]\nbad = 60\ngood = 100\n'
        '[rule.grading]\nbands = ["优秀", "合格", "不合格"]\nquota = {"优秀" = 0.2}\n'
        '[rule.veto]\ncolumns = ["安全事故否决"]\ngrade = "不合格"\n',
        encoding="utf-8",
    )
    assert main(["new", "world", "world.toml", "--rule", "rule.toml"]) == 0
    world = tmp_path / "world.toml"
    task = next(iter(tomllib.loads(world.read_text(encoding="utf-8"))["world"]["tasks"]))
    with world.open("a", encoding="utf-8") as f:
        f.write(f'\n[world.events."{event}"]\nprobability = 0.05\ntask = "{task}"\neffect = 0.5\n')
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scenario = resolve_scenario(rule, world=str(world))
    near = [str(w.message) for w in caught if issubclass(w.category, NotSimulatedWarning)]
    assert scenario.world.events == {}  # left out either way
    if warned:
        assert len(near) == 1 and "did you mean to name the event '安全事故否决'?" in near[0]
        assert "world.toml" in near[0]  # the world file it comes from
    else:
        assert near == []


def test_chinese_starter_files_are_the_same_model_commented_in_chinese(
    tmp_path, capsys, monkeypatch
):
    import tomllib

    from perfsim.i18n import has_cjk
    from perfsim.i18n.files import translated_file
    from perfsim.scenario.templates import TEMPLATES

    monkeypatch.chdir(tmp_path)
    for kind in ("rule", "world"):
        assert main(["new", kind, f"{kind}.toml"]) == 0
        assert main(["new", kind, f"{kind}.zh.toml", "--lang", "zh"]) == 0
        english = TEMPLATES[kind]  # said again in English: the file as written, line for line
        assert translated_file(english) == english
        said = capsys.readouterr().out
        assert f"已写出 {kind}.zh.toml：起步" in said and "--lang zh" in said
        en, zh = (Path(f"{kind}{x}.toml").read_text(encoding="utf-8") for x in ("", ".zh"))
        a, b = tomllib.loads(en), tomllib.loads(zh)
        assert has_cjk(b["meta"]["name"]) and has_cjk(b["meta"]["description"])
        for raw in (a, b):  # the same model once the words are set aside
            raw.pop("meta")
            for ind in raw.get("rule", {}).get("indicators", {}).values():
                ind.pop("label", None)
        assert a == b
        comments = [line.split("#", 1)[1] for line in zh.splitlines() if "#" in line]
        english = [c for c in comments if re.search("[A-Za-z]{4}", c) and not has_cjk(c)]
        assert comments and not english, english  # every comment that has words is Chinese
    assert main(["validate", "rule.zh.toml", "--world", "world.zh.toml", "--lang", "zh"]) == 0
    code = main(["run", "rule.zh.toml", "--world", "world.zh.toml", "--reps", "3", "--quiet"])
    assert code == 0, capsys.readouterr().err


def test_a_folder_given_as_the_world_is_called_a_folder(tmp_path, capsys):
    """``--world adir`` said "no bundled world of that name and no such file" of a folder that
    is there."""
    from perfsim.cli import main

    (tmp_path / "adir").mkdir()
    assert main(["run", "teaching/goodhart", "--world", str(tmp_path / "adir"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "a folder, not a file" in err and "no such file" not in err
