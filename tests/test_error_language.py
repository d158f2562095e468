"""``--lang zh``: a user error is said in Chinese, with the file, the key and the value as they are.

An error is raised in English (what a log, a test or an English terminal reads); the command line
says it again in its language when the message was written from a template of
:data:`perfsim.scenario.errors.ERRORS`. Checked for every template, and end to end on the errors a
new user meets first: a misspelt key, a share written as a percentage, a misspelt choice, a file
that is not there, a table cell that is not a number.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import ROOT

from perfsim.cli import main, said_error
from perfsim.i18n import gettext as _
from perfsim.i18n import language
from perfsim.scenario import DataError, Problem, ScenarioError
from perfsim.scenario.errors import ERRORS, WORDS, error

HANGZHOU = str(ROOT / "scenarios" / "hangzhou-2011.toml")
#: English words that a Chinese error must not keep outside the values it quotes
ENGLISH = re.compile(r"\b(must|unknown|file|found|allowed|share|number|write|mean|is|of)\b")


def _values(template: str) -> dict[str, str]:
    """A distinct value per field of ``template``; a ``{message}`` is a message of its own."""
    names = dict.fromkeys(re.findall(r"\{(\w+)\}", template))
    numbers = ("bound", "line", "more")  # (a bound, a line: numbers, as the code writes them)
    sizes = ("memory",)  # (a memory size: a number and its unit)
    return {
        n: error("number")
        if n == "message"
        else str(10 + i)
        if n in numbers
        else f"{10 + i}.5 GB"
        if n in sizes
        else f"'v{i}x'"
        for i, n in enumerate(names)
    }


@pytest.mark.parametrize("key", list(ERRORS))
def test_every_error_template_is_said_again_in_chinese_with_its_values(key):
    values = _values(ERRORS[key])
    english = error(key, **values)
    problem = ScenarioError([Problem("my.toml", "rule.x", 1.5, english)])
    assert said_error("run", problem) == f"perfsim run: error: my.toml: rule.x = 1.5: {english}"
    said = said_error("run", problem, "zh")
    assert said.startswith("perfsim run：错误：my.toml：rule.x = 1.5：")
    message = said.split("rule.x = 1.5：", 1)[1]
    with language("zh"):
        inner = {k: _(v) if k == "message" else v for k, v in values.items()}
        assert message == _(ERRORS[key]).format(**inner)
    assert all(v in message for k, v in values.items() if k != "message")
    assert not ENGLISH.search(re.sub(r"'v\d+x'", "", message)), message


def test_a_kind_and_the_top_level_are_said_in_chinese_and_a_key_path_is_not():
    for word in WORDS:
        english = error("no_name_none", kind=word)
        said = said_error("validate", DataError(english), "zh")
        assert word not in said and said.startswith("perfsim validate：错误：没有这个名称的")
    at_top = error("unknown", where="the top level", allowed="rule, world")
    assert "文件顶层" in said_error("run", DataError(at_top), "zh")
    in_rule = error("unknown", where="rule", allowed="name")
    assert "rule 中允许的键：name" in said_error("run", DataError(in_rule), "zh")


def test_a_message_from_no_template_stays_english():
    said = said_error("run", DataError("something new went wrong"), "zh")
    assert said == "perfsim run：错误：something new went wrong"
    # (a template of a damaged file's parts once caught any "no …": "缺少 indicator names …")
    for text in ("no indicator names this component", "run perfsim again"):
        assert said_error("run", DataError(text), "zh") == f"perfsim run：错误：{text}"
    # pydantic's other "should be" messages are not a list of choices
    other = error("choices", choices="a valid integer, unable to parse string as an integer")
    assert said_error("run", DataError(other), "zh") == f"perfsim run：错误：{other}"
    listed = error("choices", choices="'lhs', 'mc' or 'antithetic'")
    assert "须为以下之一：'lhs'" in said_error("run", DataError(listed), "zh")


def _errors(capsys, *args):
    assert main(list(args)) == 2
    return capsys.readouterr().err


def _said_both(capsys, args: list[str], chinese: list[str]) -> tuple[str, str]:
    """The error of command ``args`` in English and with ``--lang zh`` (checked: one line each,
    no traceback, the Chinese holding each of ``chinese``)."""
    english = _errors(capsys, *args)
    said = _errors(capsys, *args, "--lang", "zh")
    assert english.startswith(f"perfsim {args[0]}: error: ") and "Traceback" not in english
    assert said.startswith(f"perfsim {args[0]}：错误：") and "Traceback" not in said
    assert all(c in said for c in chinese), said
    return english, said


def test_a_new_users_first_errors_are_said_in_chinese_and_the_same_in_english(tmp_path, capsys):
    bad = tmp_path / "规则.toml"
    text = (ROOT / "scenarios" / "teaching" / "goodhart.toml").read_text(encoding="utf-8")
    bad.write_text(text.replace("[rule.grading]", "[rule.grading]\ntresholds = {}", 1), "utf-8")
    cases = [
        (["validate", str(bad)], ["rule.grading.tresholds：未知的键（是否想写 'thresholds'？）"]),
        (
            ["validate", HANGZHOU, "--set", "rule.grading.quota.优秀=15"],
            [
                "hangzhou-2011.toml（使用 --set rule.grading.quota.优秀=15）：",
                "rule.grading.quota.优秀 = 15：须 ≤ 1（这里要写比例，不是百分数：15 % 写作 0.15）",
            ],
        ),
        (
            ["validate", HANGZHOU, "--set", 'world.sampling="lhss"'],
            ["world.sampling = 'lhss'：须为以下之一：", "（是否想写 'lhs'？）"],
        ),
        (["run", str(tmp_path / "无.toml")], ["找不到文件；perfsim scenarios 列出全部自带情景"]),
        (
            ["run", "hangzhou2011", "--reps", "2"],
            ["找不到文件（是否想用自带情景 'hangzhou-2011'？）"],
        ),
    ]
    for args, chinese in cases:
        english, said = _said_both(capsys, args, chinese)
        message = said.split("：错误：", 1)[1].replace(str(tmp_path), "")
        assert not ENGLISH.search(message.replace("perfsim scenarios", "")), said
        assert (
            said_error(args[0], DataError(english.split(": error: ", 1)[1].strip()))
            == english.strip()
        )


def test_a_table_cell_that_is_not_a_number_is_said_in_chinese(tmp_path, capsys):
    table = tmp_path / "表.csv"
    rows = (ROOT / "scenarios" / "data" / "hangzhou-2011-units.csv").read_text(encoding="utf-8")
    lines = rows.splitlines()
    cells = lines[1].split(",")
    numeric = next(i for i, c in enumerate(cells) if re.fullmatch(r"\d+(\.\d+)?", c))
    cells[numeric] = "九十九"
    table.write_text("\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n", encoding="utf-8")
    said = _errors(capsys, "score", str(table), "--rule", HANGZHOU, "--lang", "zh")
    column = lines[0].split(",")[numeric].lstrip("\ufeff")
    where = f"{table}：第 2 行，“{column}”列："
    assert f"{where}'九十九' 不是数字；请填写普通数字，例如 88.5" in said, said
    assert not ENGLISH.search(said.replace(str(table), "")), said
    english = _errors(capsys, "score", str(table), "--rule", HANGZHOU)
    assert f"{table}: line 2, column '{column}': '九十九' is not a number" in english


def test_the_first_errors_of_a_rule_without_a_world_are_said_in_chinese(capsys):
    said = _errors(capsys, "run", "rules/my-first-rule", "--lang", "zh")
    assert "缺少模拟世界：模拟一套规则需要一个模拟世界：请加上 --world hangzhou-2011" in said
    said = _errors(capsys, "validate", "hangzhou-2011-uncertain", "--lang", "zh")
    assert (
        "缺少规则：情景文件需要一个 [rule] 表；这个文件只有敏感性分析的 [uncertain] 不确定输入"
        in said
    )
    said = _errors(capsys, "validate", HANGZHOU, "--set", "world.raters.社会评价.sees.不存在=0.5",
                   "--lang", "zh")  # fmt: skip
    assert "没有这个名称的任务；可用的名称：" in said and "task" not in said


def test_a_bound_with_an_explanation_and_pydantics_choices_are_said_right():
    explained = error("le", bound="1000 output units per unit of effort (1 = the baseline)")
    assert said_error("run", DataError(explained), "zh") == f"perfsim run：错误：{explained}"
    listed = error("choices", choices="'lhs', 'mc' or 'antithetic'")
    assert said_error("run", DataError(listed), "zh").endswith(
        "须为以下之一：'lhs'、'mc'、'antithetic'"
    )


def test_a_value_with_its_own_colon_or_and_is_not_cut_there():
    from perfsim.empirical.notes import said_again
    from perfsim.phrases import Phrase
    from perfsim.scoring import MORE
    from perfsim.tables import at_cell

    cell = at_cell("t.csv", 0, "id: 单位", "is empty; give a number")
    said = said_error("score", DataError(cell), "zh")
    assert said == "perfsim score：错误：t.csv：第 2 行，“id: 单位”列：为空；请填一个数字"
    names = "Housing and Urban Development (70.10), Land and Resources (71.00)"
    note = str(Phrase(MORE, {"names": names, "more": 2}))
    with language("zh"):
        assert said_again(note) == _(MORE).format(names=names, more=2)


@pytest.mark.parametrize(
    ("column", "row", "value", "chinese"),
    [
        ("社会评价", 0, "88%", "88% 超出 0–50，即考评部分 社会评价 的满分"),
        ("社会评价", 0, "500", "500 超出 0–50，即考评部分 社会评价 的满分"),
        ("class", 1, "未知类", "'未知类' 不是规则中的类别；可用的类别："),
        ("department", 2, "市教育局", "单位 '市教育局' 出现了两次（另见第 2 行）"),
        ("department", 2, "", "单位编号为空"),
        ("一票否决", 3, "也许", "'也许' 不是一票否决标记"),
    ],
)
def test_a_real_tables_cell_errors_are_said_in_chinese(
    tmp_path, capsys, column, row, value, chinese
):
    import pandas as pd

    data = ROOT / "scenarios" / "data" / "hangzhou-2011-units.csv"
    table = pd.read_csv(data, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    table.loc[row, column] = value
    path = tmp_path / "表.csv"
    path.write_text(table.to_csv(index=False), encoding="utf-8")
    english = _errors(capsys, "score", str(path), "--rule", HANGZHOU)
    said = _errors(capsys, "score", str(path), "--rule", HANGZHOU, "--lang", "zh")
    assert f"{path}: line {row + 2}, column '{column}': " in english
    assert f"{path}：第 {row + 2} 行，“{column}”列：" in said and chinese in said, said
    rest = said.replace(str(path), "").split("：错误：", 1)[1]
    assert not ENGLISH.search(re.sub(r"rule\.components\.\S+", "", rest)), said


def test_a_new_users_errors_with_worlds_files_and_folders_are_said_in_chinese(tmp_path, capsys):
    """The errors a new user met next in English under ``--lang zh`` (a walkthrough on
    2026-12-06): a rule's indicator the world lacks, a misspelt world, a TOML syntax error, a
    table file that is not there, ``perfsim new`` onto an existing file, and ``--out`` onto a
    folder of the user's own (kept untouched)."""
    rule = (ROOT / "scenarios" / "rules" / "my-first-rule.toml").read_text(encoding="utf-8")
    mine = tmp_path / "我的规则.toml"
    mine.write_text(rule.replace('"公共服务"', '"公共服务2"'), "utf-8")
    broken = tmp_path / "坏.toml"
    broken.write_text("[rule\nx = 1\n", "utf-8")
    own = tmp_path / "我的文件夹"
    own.mkdir()
    (own / "笔记.txt").write_text("mine", "utf-8")
    cases = [
        (
            ["validate", str(mine), "--world", "hangzhou-2011"],
            ["模拟世界 hangzhou-2011 没有这个指标"],
        ),
        (
            ["validate", str(mine), "--world", "hangzhou2011"],
            ["没有这个名称的自带模拟世界", "（是否指 'hangzhou-2011'？）"],
        ),
        (["validate", str(broken)], ["TOML 格式错误："]),
        (["empirical", str(tmp_path / "无.csv")], ["无.csv：找不到文件"]),
        (["new", "rule", str(mine)], ["已存在；perfsim new 从不替换文件"]),
        (
            ["run", "teaching/goodhart", "--reps", "2", "--out", str(own)],
            ["且不是 perfsim 写的", "perfsim 从不删除这样的文件夹"],
        ),
    ]
    for args, chinese in cases:
        _said_both(capsys, args, chinese)
    assert [p.name for p in own.iterdir()] == ["笔记.txt"]


def test_a_component_share_slip_is_said_in_chinese_with_what_to_write(tmp_path, capsys):
    """The shares a trainer changes most (rule.components.*.share): a percentage typed with
    --set or in a file, and a misspelt component, each said in Chinese with the fix."""
    cases = [
        (
            ["validate", HANGZHOU, "--set", "rule.components.社会评价.share=60"],
            ["大于 1：请写 0 到 1 之间", "（这里要写比例，不是百分数：60 % 写作 0.6）"],
        ),
        (
            ["validate", HANGZHOU, "--set", "rule.components.社会评论.share=0.6"],
            ["没有这个名称的考评部分（是否想写 '社会评价'？）"],
        ),
    ]
    copy = tmp_path / "杭州.toml"
    text = (ROOT / "scenarios" / "hangzhou-2011.toml").read_text(encoding="utf-8")
    copy.write_text(text.replace("share = 0.50", "share = 50", 1), encoding="utf-8")
    cases.append((["validate", str(copy)], ["如果本意是 50 %，请写 0.5；请把各项都写成小数"]))
    for args, chinese in cases:
        english, said = _said_both(capsys, args, chinese)
        message = said.split("：错误：", 1)[1].replace(str(tmp_path), "")
        assert not ENGLISH.search(message.replace(".share", "")), said  # (the key's own name)
    assert "(a share, not a percentage: 60 % is 0.6)" in _errors(capsys, *cases[0][0])


def test_a_report_of_a_missing_folder_or_over_edited_notes_is_refused_in_chinese(tmp_path, capsys):
    missing = tmp_path / "不存在"
    english, said = _said_both(capsys, ["report", str(missing)], ["找不到这个文件夹；请给出由"])
    assert f"{missing}: folder not found; give a folder written by perfsim run" in english
    _said_both(capsys, ["report", str(tmp_path)], ["不是 perfsim 的结果文件夹"])
    out = tmp_path / "run"
    assert main(["run", HANGZHOU, "--reps", "2", "--set", "world.departments=12", "--out",
                 str(out), "--quiet"]) == 0  # fmt: skip
    assert main(["report", str(out)]) == 0 and main(["report", str(out), "--lang", "zh"]) == 0
    notes = [out / "report.md", out / "report.zh.md"]  # (each language's report its own)
    for file in notes:
        file.write_text(file.read_text(encoding="utf-8") + "\n我的笔记\n", encoding="utf-8")
    capsys.readouterr()
    _english, said = _said_both(capsys, ["report", str(out)], ["perfsim 从不覆盖您的文件"])
    assert all("我的笔记" in file.read_text(encoding="utf-8") for file in notes)
    message = said.split("：错误：", 1)[1].replace(str(tmp_path), "")
    assert not ENGLISH.search(message.replace("perfsim report", "")), said


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("杭州", "hangzhou-2011"), ("国土资源部", "mlr-2011"), ("mlr", "mlr-2011"),
     ("goodhart", "teaching/goodhart"), ("hangzou-2011", "hangzhou-2011")],
)  # fmt: skip
def test_a_scenario_named_in_chinese_or_in_short_gets_the_bundled_one(capsys, typed, meant):
    """perfsim scenarios --lang zh lists the Chinese names, and a name without its folder is
    what a new user types: each gets the bundled scenario it means."""
    _said_both(capsys, ["run", typed, "--reps", "2"], [f"（是否想用自带情景 '{meant}'？）"])


def test_a_researchers_table_and_ratings_errors_are_said_in_chinese(tmp_path, capsys):
    """The errors of reading a table file and a ratings table were English under ``--lang zh``
    (each raised from its own English sentence): an empty file, a folder, a file that is not the
    encoding named, a rating given twice, a ``--scale`` that is not LABEL=POINTS, ``--reps 1``."""
    import pandas as pd

    units = ROOT / "scenarios" / "data" / "hangzhou-2011-units.csv"
    empty = tmp_path / "空.csv"
    empty.write_bytes(b"")
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(units.read_text(encoding="utf-8-sig").encode("gbk"))
    ratings = pd.read_csv(ROOT / "scenarios" / "data" / "hangzhou-2011-pilot-ratings.csv.gz",
                          dtype={"rater": str}, nrows=50)  # fmt: skip
    twice = tmp_path / "评分.csv"
    pd.concat([ratings, ratings.head(1)]).to_csv(twice, index=False)
    cases = [
        (["score", str(empty), "--rule", HANGZHOU], "：文件是空的；表格需要一行列名和若干数据行"),
        (["score", str(tmp_path), "--rule", HANGZHOU], "：这是一个文件夹，不是表格"),
        (["score", str(gbk), "--rule", HANGZHOU, "--encoding", "utf-8"], "无法解码（第 1 行的字节"),
        (["empirical", str(twice), "--out", str(tmp_path / "e")], "评了两次；每位评价者"),
        (["empirical", str(twice), "--scale", "满意:100", "--out", str(tmp_path / "e")],
         "--scale：'满意:100' 不是“选项=分值”的形式"),
        (["empirical", str(twice), "--reps", "1"], "--reps 1：须 ≥ 2（自助法重抽样次数"),
    ]  # fmt: skip
    for args, chinese in cases:
        english, said = _said_both(capsys, args, [chinese])
        rest = said.split("：错误：", 1)[1]
        for path in (str(tmp_path), HANGZHOU):
            rest = rest.replace(path, "")
        assert not ENGLISH.search(rest), said


def test_a_scale_typed_with_a_chinese_keyboard_is_read():
    from perfsim.empirical.data import Scale

    typed = Scale.parse("不满意＝０，基本满意=60、比较满意=８０,满意（全部）=100")
    assert typed.labels == ("不满意", "基本满意", "比较满意", "满意（全部）")
    assert typed.points == (0.0, 60.0, 80.0, 100.0)


def test_a_scenario_saved_as_gbk_a_folder_and_an_infinite_share_are_said_in_chinese(
    tmp_path, capsys
):
    """Three errors a helper found still in English under --lang zh; a TOML file saved as GBK
    (Notepad or WPS on Chinese Windows) is the likeliest of them."""
    gbk = tmp_path / "规则.toml"
    gbk.write_bytes('[meta]\nname = "测试"\n'.encode("gbk"))
    english, said = _said_both(capsys, ["run", str(gbk)], ["不是 UTF-8 文本", "GBK 或 GB18030"])
    assert "not UTF-8 text" in english and "Notepad or WPS" in english
    _, said = _said_both(capsys, ["run", str(tmp_path)], ["是文件夹；请给出情景 TOML 文件"])
    english, said = _said_both(
        capsys, ["run", "hangzhou-2011", "--set", "rule.components.社会评价.share=inf"],
        ["社会评价.share = inf：须为有限的数"],
    )  # fmt: skip
    assert "must be a finite number" in english


@pytest.mark.parametrize(
    ("args", "chinese"),
    [
        (["validate", HANGZHOU, "--set", "world.discount=2"], "world.discount = 2：须 < 1"),
        (["validate", HANGZHOU, "--set", "rule.grading.quota.良好=0.9"], "名额比例之和须不超过 1"),
        (["validate", HANGZHOU, "--set", "rule.grading.thresholds.良好=70"], "不得高于更好等次"),
        (["validate", HANGZHOU, "--set", "rule.indicators.公共服务.bad=100"], "须不同于 bad"),
        (["validate", HANGZHOU, "--set", "rule.weights.method=ahp"], "不使用它们"),
        (["validate", HANGZHOU, "--set", "rule..x=1"], "点分路径中有空的键"),
        (["compare", HANGZHOU, "--reps", "2"], "请给出两个情景"),
        (["optimize", HANGZHOU, "--lever", "rule.audit.probability=0:0.3"], "请至少给出一个"),
        (
            ["optimize", HANGZHOU, "--objective", "kendall_tau", "--lever", "foo"],
            "zscore,percentile",
        ),
        (["sensitivity", HANGZHOU, "--bound", "foo"], "应写成 指标<值"),
        (["sensitivity", HANGZHOU, "--bound", "class_bias<nan"], "nan 不是有限的数字"),
        (["sensitivity", HANGZHOU, "--uncertain", HANGZHOU], "没有 [uncertain] 表"),
        (
            ["validate", HANGZHOU, "--set", 'rule.grading.bands=["优秀","优秀","不合格"]'],
            "等次名称不得重复",
        ),
    ],
    ids=lambda x: x[-1] if isinstance(x, list) else None,
)
def test_the_checks_a_new_user_meets_next_are_said_in_chinese(capsys, args, chinese):
    """What a fuzzing pass under --lang zh still found in English: a value above its bound,
    quotas, thresholds, an indicator's bounds, weights a method ignores, --set's form, and the
    options of compare and optimize."""
    said = _errors(capsys, *args, "--lang", "zh")
    assert chinese in said and "Traceback" not in said
    message = said.split("错误：", 1)[1]
    words = r"\b(must|expected|give|quotas|empty|differ|exceed|ignores|or|table|finite)\b"
    assert not re.search(words, message), message


def test_what_a_stopped_command_kept_is_said_in_its_language(capsys):
    """After Ctrl-C an optimisation under --lang zh printed "stopped: the evaluations so far are
    kept in …; rerun the same command to continue:" in English."""
    from perfsim.cli.common import KEPT, stopped

    stopped(KEPT[0].format(out="结果/寻优"), "zh")
    err = capsys.readouterr().err
    assert "\n已停止：已完成的评估保存在 结果/寻优；重新运行同一条命令即可接续：\n  perfsim" in err
    stopped(KEPT[2].format(count=3, out="s1"), "zh")
    assert "已停止：3 个已完成的分块保存在 s1；" in capsys.readouterr().err
    stopped(KEPT[1].format(count=1, out="s1"))
    assert "\nstopped: 1 finished chunk kept in s1; rerun the same command to continue:\n" in (
        capsys.readouterr().err
    )


def test_no_template_key_is_given_twice():
    """ERRORS merges the templates of several modules: a key given in two (``no_rows`` of a
    table and of a damaged Pareto table) silently replaced the first one's message (a table
    without rows lost its file name)."""
    import ast

    from perfsim.scenario import errors, folder_errors, option_errors, table_errors

    seen: dict[str, str] = {}
    for module in (errors, table_errors, folder_errors, option_errors):
        tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict) and all(
                isinstance(k, ast.Constant) for k in node.keys if k is not None
            ):
                for key in node.keys:
                    if key is None or not isinstance(key.value, str) or key.value not in ERRORS:
                        continue
                    assert key.value not in seen, (key.value, seen[key.value], module.__name__)
                    seen[key.value] = module.__name__
    assert len(seen) == len(ERRORS)


def test_validate_names_a_rule_by_its_name_in_the_chosen_language(capsys):
    """``perfsim validate my-first-rule.toml --lang zh`` said "规则：my first rule (example)"
    though the file gives its Chinese name (``meta.translations.zh.name``), which run, score and
    scenarios use."""
    rule = str(ROOT / "scenarios" / "rules" / "my-first-rule.toml")
    assert main(["validate", rule, "--lang", "zh"]) == 0
    assert "  规则：我的第一套规则（示例）\n" in capsys.readouterr().out
    assert main(["validate", rule]) == 0
    assert "  rule: my first rule (example)\n" in capsys.readouterr().out


def test_a_folders_kind_is_said_in_chinese(tmp_path, capsys):
    """``--out`` onto a comparison folder under --lang zh said "c1 里是 perfsim 的 comparison 结果文件夹，
    不是 'run' 类的": the kinds are words of the catalogue."""
    out = tmp_path / "c1"
    naive = ["--set", 'world.policy="naive"', "--reps", "2", "--quiet"]
    args = ["compare", HANGZHOU, "--variant", "v:rule.audit.probability=0.1", *naive]
    assert main([*args, "--out", str(out)]) == 0
    capsys.readouterr()
    said = _errors(capsys, "run", HANGZHOU, *naive, "--out", str(out), "--lang", "zh")
    assert "perfsim 的 规则比较 结果文件夹，不是 模拟运行 类的" in said
