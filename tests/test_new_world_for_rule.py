"""perfsim new world FILE --rule RULE: a starter world fitted to a rule by name."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest

import perfsim
from perfsim.cli import main
from perfsim.engine import build
from perfsim.scenario import load_scenario, resolve_scenario
from perfsim.scenario.loader import scenario_raw

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
RULES = sorted(
    p for p in [*SCENARIOS.glob("*.toml"), *SCENARIOS.glob("*/*.toml")] if "uncertain" not in p.name
)


def _new_world(tmp_path: Path, rule: Path, name: str = "world.toml") -> Path:
    target = tmp_path / name
    assert main(["new", "world", str(target), "--rule", str(rule)]) == 0
    return target


@pytest.mark.parametrize("rule", RULES, ids=lambda p: p.relative_to(SCENARIOS).as_posix())
def test_every_bundled_rule_gets_a_world_that_fits_it_by_name(tmp_path, rule):
    world = _new_world(tmp_path, rule)
    table = tomllib.loads(world.read_text(encoding="utf-8"))["world"]
    spec = load_scenario(rule).rule
    columns = [n for n, c in spec.resolved_components().items() if c.source == "column"]
    assert sorted(table["indicators"]) == sorted(spec.indicators)
    assert sorted(table.get("raters", {})) == sorted(columns)
    assert sorted(table["classes"]) == sorted(spec.classes or ["单位"])
    scenario = resolve_scenario(rule, world=world)  # validates, or raises naming the problem
    c, w = build(scenario).rule, build(scenario).world
    # at output 1 each indicator lies inside the range the rule scores, on its better side for
    # its direction: more output is better for benefit and cost indicators alike
    at_one = w.offset + w.scale * w.loadings.sum(axis=1)
    at_two = w.offset + 2 * w.scale * w.loadings.sum(axis=1)
    better = np.where(c.benefit, at_two > at_one, at_two < at_one)
    assert better.all(), dict(zip(c.indicators, at_one, strict=True))


@pytest.mark.parametrize(
    "rule",
    [
        SCENARIOS / "hangzhou-2011.toml",
        SCENARIOS / "mlr-2011.toml",
        SCENARIOS / "rules" / "my-first-rule.toml",
        SCENARIOS / "theory" / "v2q-quota.toml",
        SCENARIOS / "teaching" / "promotion.toml",
    ],
    ids=lambda p: p.stem,
)
def test_a_rule_runs_on_its_world_and_the_departments_settle(tmp_path, rule):
    world = _new_world(tmp_path, rule)
    result = perfsim.simulate(rule, world=str(world), reps=8, seed=3)
    assert result.metric("converged_share") == 1.0
    assert result.metric("mean_effort") > 0  # departments work for the rule
    assert 0 <= result.metric("gaming_share") < 0.5


def test_the_starter_rule_with_its_own_partial_world_runs_on_a_world_written_for_it(
    tmp_path, capsys, monkeypatch
):
    # the starter rule's own [world.indicators."按时办结率"] names Hangzhou's task 公共服务: the
    # world written for it must have that task, or the merged world would not validate
    monkeypatch.chdir(tmp_path)
    assert main(["new", "rule", "rule.toml"]) == 0
    assert main(["new", "world", "world.toml", "--rule", "rule.toml"]) == 0
    out = capsys.readouterr().out
    assert "perfsim run rule.toml --world world.toml" in out
    assert (
        "公共服务"
        in tomllib.loads(Path("world.toml").read_text(encoding="utf-8"))["world"]["tasks"]
    )
    assert main(["run", "rule.toml", "--world", "world.toml", "--reps", "3", "--quiet"]) == 0
    # the report says the world is placeholders (the world file's own assumption), and of a
    # bundled scenario's world where its assumptions are, not its rule's assumptions
    out = "results/" + next(p.name for p in Path("results").iterdir())
    assert main(["report", out]) == 0
    html = Path(out, "report.html").read_text(encoding="utf-8")
    assumptions = html[html.index('id="assumptions"') :]
    assert "World world.toml (--world): Every number is a placeholder" in assumptions
    assert "The scenario lists no assumptions" not in assumptions
    assert "world (--world)</th><td>world.toml</td>" in html  # in Reproducibility
    on_hangzhou = resolve_scenario("rule.toml", world="hangzhou-2011")
    listed = scenario_raw(on_hangzhou)["meta"]["assumptions"]
    assert any(
        a.startswith("World hangzhou-2011 (--world): its departments, tasks, measurements")
        for a in listed
    )
    assert listed[-1].endswith("not the world's: world.indicators.按时办结率")  # (its own [world])
    assert not any("领导考评 share" in a for a in listed)  # an assumption of Hangzhou's rule


@pytest.mark.parametrize("name", ['a "quoted" name', "back\\slash", "点.分 隔", "tab\there"])
def test_odd_names_are_written_as_valid_toml(tmp_path, name):
    rule = tmp_path / "rule.toml"
    key = name.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t")
    rule.write_text(
        f'[rule.indicators."{key}"]\ncomponent = "综合"\nbad = 0\ngood = 10\n'
        f'[rule.components."综合"]\nshare = 0.7\n[rule.components."{key} 调查"]\nshare = 0.3\n',
        encoding="utf-8",
    )
    world = _new_world(tmp_path, rule)
    table = tomllib.loads(world.read_text(encoding="utf-8"))["world"]
    assert list(table["indicators"]) == [name] and list(table["raters"]) == [f"{name} 调查"]
    resolve_scenario(rule, world=world)


def test_rule_is_for_worlds_only_and_a_bad_rule_writes_nothing(tmp_path, capsys):
    target = tmp_path / "x.toml"
    assert main(["new", "rule", str(target), "--rule", str(SCENARIOS / "hangzhou-2011.toml")]) == 2
    assert "only a world is fitted to a rule" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text('[rule.indicators."a"]\ndirection = "upward"\n', encoding="utf-8")
    assert main(["new", "world", str(target), "--rule", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.toml" in err and "direction" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]


@pytest.mark.parametrize("rule", RULES, ids=lambda p: p.relative_to(SCENARIOS).as_posix())
def test_a_survey_of_the_world_written_for_a_rule_is_not_at_the_top_of_its_scale(tmp_path, rule):
    """Each rater group sees the tasks in shares that sum to 1, so that a department working at
    output 2 to 3 on every task is perceived below 100 (with weight 1 a task, a group that saw
    Hangzhou's five tasks perceived 60 + 8 · 12.5 = 160 and every survey answer was the top one)."""
    world = _new_world(tmp_path, rule)
    raters = tomllib.loads(world.read_text(encoding="utf-8"))["world"].get("raters", {})
    for name, rater in raters.items():
        assert sum(rater["sees"].values()) == pytest.approx(1.0, abs=0.01), name
        assert rater["offset"] + rater["scale"] * 3.0 < 100, name


@pytest.mark.parametrize(("direction", "cap"), [("benefit", 1.2), ("cost", 1.2), ("benefit", 3.0)])
def test_a_capped_target_is_reached_past_where_departments_work(tmp_path, direction, cap):
    """The value whose attainment ratio reaches the cap lies at output 4 or beyond (departments
    working for the rule reach output 2 to 3), and the target itself within output 1 to 4."""
    rule = tmp_path / "rule.toml"
    rule.write_text(
        '[meta]\nname = "caps"\n'
        f'[rule.indicators."完成率"]\nnormalize = "target"\ntarget = 50\ncap = {cap}\n'
        f'direction = "{direction}"\n'
        '[rule.grading]\nbands = ["优秀", "合格"]\n[rule.grading.quota]\n"优秀" = 0.2\n',
        encoding="utf-8",
    )
    world = tomllib.loads(_new_world(tmp_path, rule).read_text(encoding="utf-8"))["world"]
    ind = world["indicators"]["完成率"]
    at_cap = 50 * cap if direction == "benefit" else 50 / cap
    output_at_cap = (at_cap - ind["offset"]) / ind["scale"]
    output_at_target = (50 - ind["offset"]) / ind["scale"]
    assert output_at_cap >= 4 - 1e-9
    assert 1 <= output_at_target <= 4


WORLDS = [p for p in RULES if "theory" not in p.parts and "rules" not in p.parts]


@pytest.mark.parametrize("world", WORLDS, ids=lambda p: p.relative_to(SCENARIOS).as_posix())
def test_every_bundled_world_gets_a_rule_that_fits_it_by_name(tmp_path, world, capsys):
    """``perfsim new rule FILE --world WORLD``: the starter rule names Hangzhou's indicators and
    raters, so on the ministry's world it failed at once. A rule fitted to a world names every
    indicator it measures and a component per rater group, and runs as written."""
    target = tmp_path / "rule.toml"
    assert main(["new", "rule", str(target), "--world", str(world)]) == 0
    assert f"perfsim run {target} --world {world}" in capsys.readouterr().out
    table = tomllib.loads(target.read_text(encoding="utf-8"))["rule"]
    spec = perfsim.load_scenario(world).world
    assert sorted(table["indicators"]) == sorted(spec.indicators)
    assert sorted(set(table["components"]) - {"目标考核"}) == sorted(spec.raters)
    scenario = resolve_scenario(target, world=world)
    assert scenario.rule.indicators.keys() == spec.indicators.keys()
    for name, ind in table["indicators"].items():  # scored where the world's departments stand
        m = spec.indicators[name]
        assert ind["bad"] == pytest.approx(m.offset - 4 * m.scale)
        assert ind["good"] == pytest.approx(min(m.offset + 4 * m.scale, m.ceiling or np.inf))
    naive = resolve_scenario(target, ['world.policy="naive"'], world)
    assert np.isfinite(perfsim.simulate(naive, reps=3, seed=0).metric("mean_total"))


@pytest.mark.parametrize("world", ["mlr-2011", "hangzhou-2011"])
def test_a_rule_fitted_to_a_pilot_world_settles(tmp_path, world):
    target = tmp_path / "rule.toml"
    assert main(["new", "rule", str(target), "--world", world]) == 0
    result = perfsim.simulate(resolve_scenario(target, world=world), reps=10, seed=0)
    assert result.metric("converged_share") == 1.0
    assert result.metric("choice_gap") <= 0.01


def test_a_world_is_fitted_to_a_rule_and_a_rule_to_a_world_only(tmp_path, capsys):
    assert main(["new", "world", str(tmp_path / "w.toml"), "--world", "mlr-2011"]) == 2
    assert "only a rule is fitted to a world" in capsys.readouterr().err
    assert not (tmp_path / "w.toml").exists()


@pytest.mark.parametrize("raters", [1, 3, 6, 7])
def test_a_rule_fitted_to_a_world_has_shares_that_sum_to_one(tmp_path, raters):
    """With three rater groups the shares were 0.6 + 3 × 0.1333 = 0.9999, and validate told the
    reader to check the numbers (the bundled worlds have 2 and 4 groups)."""
    from perfsim.scenario.scales import scale_notes
    from perfsim.scenario.templates import rule_for_world

    world = perfsim.load_scenario(SCENARIOS / "hangzhou-2011.toml").world
    extra = {f"组{i}": world.raters["社会评价"] for i in range(raters)}
    world = world.model_copy(update={"raters": extra})
    target = tmp_path / "rule.toml"
    target.write_text(rule_for_world(world, "w", str(target)), encoding="utf-8")
    shares = [
        c["share"]
        for c in tomllib.loads(target.read_text(encoding="utf-8"))["rule"]["components"].values()
    ]
    assert sum(shares) == pytest.approx(1, abs=1e-12) and len(shares) == raters + 1
    rule = perfsim.load_scenario(target).rule
    assert scale_notes(rule) == [], scale_notes(rule)


@pytest.mark.parametrize("kind", ["rule", "world"])
def test_a_folder_or_another_suffix_is_told_the_file_name_to_give(tmp_path, capsys, kind):
    """'new world FOLDER' suggested FOLDER/my-rule.toml, 'new world w3.txt' w3.txt.toml and
    'new world w3.toml.txt' w3.toml.toml."""
    assert main(["new", kind, str(tmp_path)]) == 2
    assert f"e.g. {tmp_path / f'my-{kind}.toml'}" in capsys.readouterr().err
    assert main(["new", kind, str(tmp_path / "w3.txt")]) == 2
    assert "name it w3.toml" in capsys.readouterr().err
    assert main(["new", kind, str(tmp_path / "hangzhou.v2")]) == 2  # (a dot in the name)
    assert "name it hangzhou.v2.toml" in capsys.readouterr().err
    assert main(["new", kind, str(tmp_path / ".toml")]) == 2  # (said: name it .toml)
    assert f"the file name is empty; give one, e.g. {tmp_path / f'my-{kind}.toml'}" in (
        capsys.readouterr().err
    )
    assert main(["new", kind, str(tmp_path / "w3.toml.txt")]) == 2  # (saved by an editor as text)
    assert "name it w3.toml\n" in capsys.readouterr().err  # (was w3.toml.toml)
    assert not (tmp_path / "w3.txt").exists() and list(tmp_path.iterdir()) == []


def test_a_chinese_report_says_the_worlds_assumption_in_chinese(tmp_path, monkeypatch):
    """The one English sentence left in a Chinese report: "World hangzhou-2011: its departments,
    tasks, measurements and raters, as that scenario's meta.assumptions state them" (a rule run
    on a bundled world), under 假设. The world's line is now in the report's language; the
    English report keeps it, and a world file's own assumption stays its file's text."""
    from perfsim.scenario.worlds import world_assumption_in

    monkeypatch.chdir(tmp_path)
    rule = str(ROOT / "scenarios/rules/my-first-rule.toml")
    naive = ["--set", 'world.policy="naive"', "--reps", "2", "--quiet", "--out", "r"]
    assert main(["run", rule, "--world", "hangzhou-2011", *naive]) == 0
    assert main(["report", "r", "--lang", "zh"]) == 0 and main(["report", "r"]) == 0
    zh = Path("r/report.zh.md").read_text(encoding="utf-8")
    en = Path("r/report.md").read_text(encoding="utf-8")
    assert "模拟世界 hangzhou-2011（--world）：其部门、任务、测量和评价主体" in zh
    assert "meta.assumptions state them" not in zh
    assert "World hangzhou-2011 (--world): its departments, tasks, measurements and raters" in en
    # a world file's own assumption is its text, whatever the language; other lines as they are
    zh_ = {"World {world} (--world): {assumption}": "世界 {world}：{assumption}"}.get
    said = world_assumption_in("World w.toml (--world): 每个数都是占位", lambda t: zh_(t, t))
    assert said == "世界 w.toml：每个数都是占位"
    own = "World Bank governance indicators: used as the class shares"  # (the author's own)
    assert world_assumption_in(own, lambda t: "X") == own
    # a folder written before "(--world)": perfsim's own sentence is still said in Chinese
    from perfsim.i18n import gettext as _
    from perfsim.i18n import language

    old = "World hangzhou-2011: its departments, tasks, measurements and raters, as that scenario's meta.assumptions state them"
    with language("zh"):
        assert world_assumption_in(old, _).startswith("模拟世界 hangzhou-2011（--world）：其部门")
    assert world_assumption_in("领导考评 share is 5 %", lambda t: "X") == "领导考评 share is 5 %"


def test_a_rule_files_own_world_entries_are_listed_as_its_assumptions(tmp_path, monkeypatch):
    """The starter rule measures an indicator of its own (按时办结率: gameability, noise, offset,
    ceiling in its own [world]); a comparison's gaming verdict rested on those placeholder
    numbers, which the report never showed. The report's assumptions now name the entries, in
    its language."""
    monkeypatch.chdir(tmp_path)
    assert main(["new", "rule", "r.toml"]) == 0
    naive = ["--set", 'world.policy="naive"', "--reps", "2", "--quiet", "--out", "o"]
    assert main(["run", "r.toml", "--world", "hangzhou-2011", *naive]) == 0
    assert main(["report", "o"]) == 0 and main(["report", "o", "--lang", "zh"]) == 0
    en = " ".join(Path("o/report.md").read_text(encoding="utf-8").split())
    zh = Path("o/report.zh.md").read_text(encoding="utf-8")
    assert (
        "World hangzhou-2011 (--world): the rule file's own [world] entries, with the rule file's numbers, "
        "not the world's: world.indicators.按时办结率" in en
    )
    assert (
        "规则文件自带的 [world] 条目，其数值来自规则文件而非该模拟世界：world.indicators.按时办结率"
        in zh
    )
    mine = resolve_scenario(ROOT / "scenarios/rules/my-first-rule.toml", world="hangzhou-2011")
    assert not any("own [world]" in a for a in scenario_raw(mine)["meta"]["assumptions"])
