"""The scenario language: loading, typed objects, located errors, overrides."""

from __future__ import annotations

import re

import pytest

from perfsim.scenario import ScenarioError, apply_overrides, load_scenario, scenario_hash
from perfsim.scenario.overrides import parse_value, split_path


def test_minimal_rule_loads_into_typed_objects(minimal_file):
    s = load_scenario(minimal_file)
    rule = s.rule
    assert list(rule.indicators) == ["职责履行", "公共服务"]
    assert rule.indicators["公共服务"].direction == "cost"
    comps = rule.resolved_components()
    assert comps["目标考核"].source == "indicators"
    assert comps["社会评价"].source == "column"
    assert rule.weights.values == {"职责履行": 30.0, "公共服务": 70.0}
    assert rule.grading.bands == ["优秀", "良好", "合格", "不合格"]
    assert s.world is None


def test_rule_without_components_gets_one_implicit_component(tmp_path):
    f = tmp_path / "r.toml"
    f.write_text('[rule.indicators."a"]\n[rule.indicators."b"]\n', encoding="utf-8")
    comps = load_scenario(f).rule.resolved_components()
    assert list(comps) == ["综合"] and comps["综合"].share == 1.0


def test_override_sets_value_and_rescales_siblings(minimal_file):
    s = load_scenario(minimal_file, ["rule.components.社会评价.share=0.4"])
    shares = {k: c.share for k, c in s.rule.components.items()}
    assert shares["社会评价"] == pytest.approx(0.4)
    assert shares["目标考核"] == pytest.approx(0.6 * 0.45 / 0.5)
    assert shares["领导考评"] == pytest.approx(0.6 * 0.05 / 0.5)
    assert sum(shares.values()) == pytest.approx(1.0)


def test_override_of_weights_given_in_points(minimal_file):
    s = load_scenario(minimal_file, ["rule.weights.公共服务=0.2"])
    assert s.rule.weights.values == pytest.approx({"职责履行": 0.8, "公共服务": 0.2})


def test_two_pinned_members_both_keep_their_values(minimal_file):
    s = load_scenario(
        minimal_file, ["rule.components.社会评价.share=0.3", "rule.components.领导考评.share=0.2"]
    )
    shares = {k: c.share for k, c in s.rule.components.items()}
    assert shares == pytest.approx({"目标考核": 0.5, "社会评价": 0.3, "领导考评": 0.2})


def test_pinned_shares_above_one_are_refused(minimal_file):
    with pytest.raises(ScenarioError, match="sum to more than 1"):
        load_scenario(
            minimal_file,
            ["rule.components.社会评价.share=0.7", "rule.components.领导考评.share=0.6"],
        )
    with pytest.raises(ScenarioError) as one:  # the key and the number, not a dict
        load_scenario(minimal_file, ["rule.components.社会评价.share=1.5"])
    assert "rule.components.社会评价.share = 1.5: more than 1" in str(one.value)
    assert "{" not in str(one.value)


def test_override_of_non_weight_keys_does_not_touch_anything_else(minimal_file):
    s = load_scenario(
        minimal_file, ["rule.grading.quota.优秀=0.15", 'rule.grading.scope="within_class"']
    )
    assert s.rule.grading.quota == {"优秀": 0.15}
    assert s.rule.grading.scope == "within_class"
    assert s.rule.weights.values == {"职责履行": 30.0, "公共服务": 70.0}


def test_override_does_not_mutate_the_original_table():
    raw = {"rule": {"components": {"a": {"share": 0.5}, "b": {"share": 0.5}}}}
    out = apply_overrides(raw, ["rule.components.a.share=0.2"])
    assert raw["rule"]["components"]["a"]["share"] == 0.5
    assert out["rule"]["components"]["b"]["share"] == pytest.approx(0.8)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0.3", 0.3),
        ("3", 3),
        ("true", True),
        ('"zscore"', "zscore"),
        ("zscore", "zscore"),
        ("[1, 2]", [1, 2]),
        ("优秀", "优秀"),
    ],
)
def test_override_values_are_read_as_toml(text, value):
    assert parse_value(text) == value


def test_quoted_path_segments_may_contain_dots():
    assert split_path('rule.indicators."a.b".weight') == ["rule", "indicators", "a.b", "weight"]


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("rule.grading.quotas.优秀=0.1", "did you mean 'quota'"),
        ("rule.weights.公共服=0.3", "did you mean '公共服务'"),
        ("rule.grading.quota.优秀=1.5", "rule.grading.quota.优秀 = 1.5: must be ≤ 1"),
        (
            'rule.indicators.职责履行.normalize="foo"',
            "'efficacy', 'minmax', 'zscore', 'percentile', 'target' or 'linear'",
        ),
        ("rule.weights.职责履行=-1", "weights must be ≥ 0"),
        ("rule.grading=3", "rule.grading = 3: must be a table"),
        ("rule.components.社会评价.share.x=1", "is a value, not a table"),
        ("nonsense", "expected PATH=VALUE"),
    ],
)
def test_bad_overrides_give_located_errors(minimal_file, override, expected):
    with pytest.raises(ScenarioError) as info:
        load_scenario(minimal_file, [override])
    message = str(info.value)
    assert expected in message
    assert "Traceback" not in message


def test_every_problem_is_reported_with_the_file(minimal_file):
    with pytest.raises(ScenarioError) as info:
        load_scenario(minimal_file, ['rule.grading.ties="maybe"', 'rule.normalize.method="x"'])
    assert len(info.value.problems) == 2
    assert all(str(minimal_file) in str(p) for p in info.value.problems)


def test_hash_changes_with_the_rule_and_not_with_the_path(minimal_file, tmp_path):
    copy = tmp_path / "copy.toml"
    copy.write_text(minimal_file.read_text(encoding="utf-8"), encoding="utf-8")
    h = scenario_hash(load_scenario(minimal_file))
    assert h == scenario_hash(load_scenario(copy))
    assert h != scenario_hash(load_scenario(minimal_file, ["rule.grading.quota.优秀=0.1"]))


def test_ahp_weights_are_checked_on_load(minimal_file):
    consistent = 'rule.weights={method = "ahp", pairwise = [[1, 3], ["1/3", 1]]}'
    s = load_scenario(minimal_file, [consistent])
    assert s.rule.weights.pairwise == [[1.0, 3.0], [pytest.approx(1 / 3), 1.0]]
    with pytest.raises(ScenarioError, match="rule.weights.pairwise"):
        load_scenario(minimal_file, ['rule.weights={method = "ahp", pairwise = [[1, 3], [3, 1]]}'])


def test_weights_must_be_all_or_none_and_match_the_method(minimal_file):
    with pytest.raises(ScenarioError, match="method = 'entropy' ignores them"):
        load_scenario(minimal_file, ['rule.weights.method="entropy"'])
    with pytest.raises(ScenarioError, match="missing: 公共服务"):
        load_scenario(minimal_file, ['rule.weights={"职责履行" = 1}'])


@pytest.mark.parametrize(
    ("override", "said"),
    [
        (
            "rule.components.社会评估.share=0.4",
            "no component of that name (did you mean '社会评价'?)",
        ),
        (
            "rule.indicators.职责履形.cap=1.2",
            "no indicator of that name (did you mean '职责履行'?)",
        ),
    ],
)
def test_an_override_of_a_mistyped_entry_names_the_nearest_one(minimal_file, override, said):
    """A mistyped component in --set or --variant used to become a new component (validate said
    'valid'; a later run blamed the world); it is an error naming the nearest entry."""
    with pytest.raises(ScenarioError) as err:
        load_scenario(minimal_file, [override])
    assert said in str(err.value)
    good = override.replace("社会评估", "社会评价").replace("职责履形", "职责履行")
    if "share" in good:  # the entry it meant is overridden as before
        assert load_scenario(minimal_file, [good]).rule.components["社会评价"].share == 0.4
    # a name unlike every entry makes a new one, as before
    new = load_scenario(minimal_file, ["rule.components.群众满意度.share=0.1"])
    assert "群众满意度" in new.rule.components


@pytest.mark.parametrize(
    ("override", "said"),
    [
        ('rule.grading.quota.优秀="20%"', "0.2 for '20%'"),
        ('rule.grading.quota.优秀="12.5 ％"', "0.125 for '12.5 ％'"),
        ("rule.grading.quota.优秀=20", "a share, not a percentage: 20 % is 0.2"),
    ],
)
def test_a_share_written_as_a_percentage_says_the_number_to_write(minimal_file, override, said):
    with pytest.raises(ScenarioError) as err:
        load_scenario(minimal_file, [override])
    assert said in str(err.value)


@pytest.mark.parametrize(
    "override, said",
    [
        ('rule.grading.rounding="四舍五入"', "(write 'nearest' for 四舍五入)"),
        ('rule.grading.scope="分类考评"', "(write 'within_class' for 分类考评)"),
        ('world.policy="best-response"', "(did you mean 'best_response'?)"),
        ('rule.aggregate.indicators="weigted_sum"', "(did you mean 'weighted_sum'?)"),
    ],
)
def test_a_choice_in_chinese_or_misspelt_says_the_word_to_write(minimal_file, override, said):
    with pytest.raises(ScenarioError) as err:
        load_scenario(minimal_file, [override])
    assert said in str(err.value)


def test_a_far_choice_gets_no_hint_and_every_chinese_word_maps_to_a_real_choice():
    import typing

    from perfsim.scenario import rule_parts, world
    from perfsim.scenario.names import CHINESE_CHOICES, choice_hint

    assert choice_hint("任意", ["exclude", "include"]) == ""
    assert choice_hint("加分", ["floor", "nearest"]) == ""  # a word for another field: no hint
    spelled = set()
    for module in (rule_parts, world):
        for model in vars(module).values():
            fields = getattr(model, "model_fields", {})
            for field in fields.values():
                ann = field.annotation
                union = typing.get_origin(ann) is not typing.Literal and typing.get_args(ann)
                for arg in union or [ann]:
                    if typing.get_origin(arg) is typing.Literal:
                        spelled.update(typing.get_args(arg))
    spelled.update(typing.get_args(rule_parts.NormalizeMethod))
    assert set(CHINESE_CHOICES.values()) <= spelled, set(CHINESE_CHOICES.values()) - spelled


def test_other_errors_get_no_percentage_hint(minimal_file):
    with pytest.raises(ScenarioError) as err:
        load_scenario(minimal_file, ['rule.grading.quota.优秀="many"', "world.departments=0"])
    assert "percentage" not in str(err.value) and "for '" not in str(err.value)


def test_unquoted_chinese_key_gets_a_hint(tmp_path):
    f = tmp_path / "r.toml"
    f.write_text("[rule.indicators.公共服务]\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match='must be quoted in TOML: write "公共服务"'):
        load_scenario(f)


@pytest.mark.parametrize(
    ("line", "mark", "ascii_"),
    [
        ('classes = ["经济发展类"，"社会管理类"]', "，", ","),
        ("share ＝ 0.5", "＝", "="),
        ("kind = “bonus”", "“", '"'),
        ("range = [0.1，0.3]", "，", ","),
        ('[rule.indicators．"公共服务"]', "．", "."),
    ],
)
def test_full_width_punctuation_in_toml_is_named(tmp_path, line, mark, ascii_):
    """A Chinese keyboard's ，＝“ outside quotes: the error names the mark and TOML's own, not
    the advice to quote a Chinese key."""
    f = tmp_path / "r.toml"
    f.write_text(f'[meta]\nname = "一，二"  # 注：\n[rule]\n{line}\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_scenario(f)
    message = str(err.value)
    assert f"Line 4 has the full-width {mark!r}" in message
    assert f"where TOML needs {ascii_!r}" in message
    assert "must be quoted" not in message


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("40%", "write 0.4 for a share, a quota or a probability (40 % is 0.4), or 40 for a"),
        ("12.5 ％", "write 0.125 for a share"),
        ("８５", "with full-width characters ('８５', a Chinese keyboard's): write '85'"),
        ("０.５０", "write '0.50'"),
        ("５０％", "write 0.5 for a share"),
        ("－0.5", "write '-0.5'"),
    ],
)
def test_a_number_typed_as_a_person_writes_it_gets_the_number_to_write(tmp_path, value, said):
    """A per cent sign or full-width digits in a TOML value: the error says what to write, not
    to quote a Chinese key (the full-width digits' old, wrong hint)."""
    f = tmp_path / "r.toml"
    f.write_text(f'[rule]\nclasses = ["A"]\n[rule.grading]\nx = {value}\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_scenario(f)
    message = str(err.value)
    assert "Line 4 writes" in message and said in message
    assert "must be quoted" not in message


def test_every_schema_key_is_documented_in_the_scenario_readme():
    from helpers import ROOT

    from perfsim.scenario import events, rule_parts, schema, uncertain, world

    text = (ROOT / "scenarios" / "README.md").read_text(encoding="utf-8")
    models = [
        rule_parts.Meta,
        rule_parts.NormalizeDefaults,
        rule_parts.Indicator,
        rule_parts.Weights,
        rule_parts.Component,
        rule_parts.Aggregate,
        rule_parts.Adjustment,
        rule_parts.Grading,
        rule_parts.Veto,
        rule_parts.Reward,
        rule_parts.Audit,
        rule_parts.Targets,
        rule_parts.Pay,
        schema.Rule,
        uncertain.UncertainInput,
        world.World,
        world.DepartmentClass,
        world.Task,
        world.Measurement,
        world.Rater,
        events.Event,
    ]
    missing = [
        f"{m.__name__}.{k}"
        for m in models
        for k in m.model_fields
        if not re.search(r"[`.\[]" + k + r"[`.\]\" ]", text)
    ]
    assert not missing, f"undocumented keys: {missing}"


@pytest.mark.parametrize(
    ("line", "english", "chinese"),
    [
        ('"良好" = 90；', "Line 4 ends with '；': TOML needs nothing at the end of a line",
         "第 4 行末尾有 '；'：TOML 的行末不需要任何标点，请删去"),
        ('"良好" = 90;', "Line 4 ends with ';'", "第 4 行末尾有 ';'"),
        ("名称 = 90", "Line 4: the keys of this table are English words; write name for 名称",
         "请把 名称 写成 name"),
        ("范围 = [0.1, 0.3]", "write range for 范围", "请把 范围 写成 range"),
        ('名称 = "x";', "write name for 名称", "请把 名称 写成 name"),  # the key fails first
    ],
)  # fmt: skip
def test_a_toml_slip_of_a_chinese_keyboard_gets_the_right_advice_in_either_language(
    tmp_path, line, english, chinese
):
    """A 「；」 at the end of a line was told to be quoted as a key, and a Chinese word for an
    English key (名称 for name) to be quoted, which only led to an unknown key; each now says
    what to write, in English and (perfsim validate --lang zh) in Chinese."""
    from perfsim.cli import said_error

    f = tmp_path / "r.toml"
    f.write_text(f'[rule]\nclasses = ["A"]\n[rule.grading]\n{line}\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_scenario(f)
    assert english in str(err.value) and "must be quoted" not in str(err.value)
    said = said_error("validate", err.value, "zh")
    assert chinese in said and "TOML 格式错误：" in said and "Line" not in said


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('[meta]\nname = "一"\nname = "二"\n',
         "Line 3 gives the key name a second value in the same table: keep one of the two"),
        ('[rule.grading]\n"优秀" = 1\n"优秀" = 2\n', 'Line 3 gives the key "优秀" a second value'),
        ('[meta]\nname = "一\n', "Line 2 opens a quote it does not close: 'name = \"一'"),
        ('[rule.grading]\nbands = ["a", "b"]\nbands = [\n  "a",\n  "c",\n]\n',
         "Line 3 gives the key bands a second value"),  # (the parser stops at line 6)
        ('[meta]\nname = "a"\n[meta]\nx = 1\n', "Line 3 declares the table [meta] a second time"),
        ('[a]\nx = 1\n"x" = 2\n', 'Line 3 gives the key "x" a second value'),  # (quoted once)
        ("[x]\nb = 1\nm = [\n  [1, 2],\n]\nb = 2\n", "Line 6 gives the key b"),  # ([ in a value)
        ('[meta]\nd = """\nname = 1\n"""\nname = "a"\nname = "b"\n', "Line 6 gives the key name"),
        ("[meta] # again\nname = 'a'\n[meta] # again\n", "declares the table [meta] a second"),
    ],
)  # fmt: skip
def test_a_key_given_twice_or_an_unclosed_quote_is_named(tmp_path, text, said):
    """TOML's own messages, "Cannot overwrite a value" and "Illegal character '\\n'", named
    neither the key written twice nor the quote left open."""
    f = tmp_path / "r.toml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_scenario(f)
    assert said in str(err.value)
