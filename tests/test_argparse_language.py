"""argparse's own errors in the command's ``--lang``: the slips a new user makes first (a word where
a number goes, a missing scenario, an option without its value, an unknown choice) were answered in
English under ``--lang zh``; in English the lines are argparse's own, unchanged."""

from __future__ import annotations

import re

import pytest

from perfsim.cli import main
from perfsim.cli.parsing import ARGPARSE, lang_given, said
from perfsim.i18n import template_fields

CASES = [
    (["run", "hangzhou-2011", "--reps", "abc"], "argument --reps: invalid int value: 'abc'",
     "参数 --reps：'abc' 不是有效的整数"),
    (["run", "hangzhou-2011", "--jobs", "1.5"], "argument --jobs: invalid int value: '1.5'",
     "参数 --jobs：'1.5' 不是有效的整数"),
    (["run"], "the following arguments are required: scenario", "缺少必需的参数：scenario"),
    (["run", "hangzhou-2011", "--reps"], "argument --reps: expected one argument",
     "参数 --reps：需要一个值"),
    (["run", "hangzhou-2011", "--out="], "argument --out: empty; give a name",
     "参数 --out：为空；请给出名称"),
    (["run", "hangzhou-2011", "--seed", "1.5"], "argument --seed: '1.5' is not a whole number",
     "参数 --seed：'1.5' 不是整数"),
    (["run", "hangzhou-2011", "--seed", "-1"], "argument --seed: -1: a seed must be ≥ 0",
     "参数 --seed：-1：随机种子须 ≥ 0"),
    (["sensitivity", "hangzhou-2011", "--method", "sobl"],
     "argument --method: invalid choice: 'sobl' (choose from", "参数 --method：无效的选择 'sobl'（可选："),
]  # fmt: skip


@pytest.mark.parametrize(("argv", "english", "chinese"), CASES)
def test_argparse_errors_speak_the_commands_language(capsys, argv, english, chinese):
    command = argv[0]
    for lang, line in (("en", f"perfsim {command}: error: {english}"),
                       ("zh", f"perfsim {command}：错误：{chinese}")):  # fmt: skip
        with pytest.raises(SystemExit) as stop:
            main([*argv, "--lang", lang] if lang == "zh" else argv)
        err = capsys.readouterr().err
        assert stop.value.code == 2 and line in err, err
        assert err.startswith("usage: perfsim")  # the usage line, as argparse prints it
    assert not re.search(r"\b(argument|invalid|expected|required)\b", err)


def test_a_word_that_is_no_command_is_said_in_the_language_asked_for(capsys):
    with pytest.raises(SystemExit):
        main(["nosuch", "--lang", "zh"])
    assert (
        "perfsim：错误：参数 COMMAND：无效的选择 'nosuch'（可选：'validate'"
        in capsys.readouterr().err
    )


@pytest.mark.parametrize(
    ("argv", "lang"),
    [
        (["run", "x", "--lang", "zh"], "zh"),
        (["run", "x", "--lang=zh"], "zh"),
        (["run", "x", "--lang", "de"], "en"),  # (argparse says --lang's choices, in English)
        (["run", "x", "--lang"], "en"),
        (["run", "x"], "en"),
    ],
)
def test_the_language_is_read_from_the_command_line_before_parsing(argv, lang):
    assert lang_given(argv) == lang


def test_every_argparse_template_has_its_placeholders_in_chinese():
    """Each template said again in Chinese keeps every value it was given."""
    for template in ARGPARSE:
        names = re.findall(r"\{(\w+)\}", template)
        values = {n: f"'x{n}'" for n in names} | {"type": "int"}
        english = template.format(**values)
        assert template_fields(english, ARGPARSE)[0] == template
        chinese = said(english, "zh")
        kept = [v for n, v in values.items() if n in names and n != "type"]
        assert chinese != english and all(v in chinese for v in kept), chinese
        assert not re.search(r"[A-Za-z]{4,}", re.sub(r"'x\w+'", "", chinese)), chinese


def test_a_message_argparse_words_otherwise_stays_as_it_is():
    assert said("something argparse may say one day", "zh") == "something argparse may say one day"


def test_a_parser_built_after_a_chinese_command_speaks_english(capsys):
    from perfsim.cli import build_parser

    with pytest.raises(SystemExit):
        main(["run", "--lang", "zh"])
    assert "缺少必需的参数" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        build_parser("run").parse_args(["run"])
    assert "the following arguments are required: scenario" in capsys.readouterr().err


@pytest.mark.parametrize("typed", ["zh", "ZH", "cn", "CN", "zh-CN", "zh_cn", "中文", "Chinese"])
def test_chinese_is_taken_as_a_user_types_it(capsys, typed):
    """``--lang cn``, ``zh-CN`` or ``中文`` (what a Chinese user is likely to type) was refused in
    English; each is ``zh``, for the command and for argparse's own errors."""
    assert lang_given(["run", "--lang", typed]) == "zh"
    assert lang_given([f"--lang={typed}", "run"]) == "zh"
    assert main(["scenarios", "--lang", typed]) == 0
    assert "（位于 " in capsys.readouterr().out  # the list of bundled scenarios, in Chinese
    with pytest.raises(SystemExit):
        main(["run", "--lang", typed, "--reps", "x"])
    assert "参数 --reps：'x' 不是有效的整数" in capsys.readouterr().err


def test_a_language_perfsim_has_not_is_refused_naming_the_choices(capsys):
    assert lang_given(["--lang", "fr"]) == "en"
    with pytest.raises(SystemExit) as stop:
        main(["scenarios", "--lang", "fr"])
    assert stop.value.code == 2
    assert "invalid choice: 'fr' (choose from 'en', 'zh')" in capsys.readouterr().err
