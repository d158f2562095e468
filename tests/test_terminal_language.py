"""``--lang zh``: the summary a command prints is in Chinese, and nothing else changes.

- The run folder written with ``--lang zh`` holds the same files, byte for byte, as with English:
  the language is the terminal's only.
- The Chinese summary says in Chinese what the English one says: the same numbers, each metric under
  its Chinese label with its name, the verdicts of a comparison translated, and the next command
  asking for the Chinese report.
- Chinese text is wrapped by terminal columns (two for each Chinese character), never inside a
  number or a metric's name, never before closing punctuation or after an opening bracket: checked
  on random mixtures of Chinese and Latin text.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from helpers import ROOT
from hypothesis import example, given, settings
from hypothesis import strategies as st

from perfsim.cli import main
from perfsim.cli.common import NO_LINE_END, NO_LINE_START, width, wrap
from perfsim.i18n import language, metric_label

SCENARIO = str(ROOT / "scenarios" / "teaching" / "goodhart.toml")
NUMBER = re.compile(r"[−+-]?\d[\d,]*\.?\d*")


def _run(capsys, out, *extra):
    code = main(["run", SCENARIO, "--reps", "8", "--seed", "3", "--out", str(out), *extra])
    assert code == 0
    return capsys.readouterr().out


def test_a_chinese_summary_says_the_same_numbers_and_writes_the_same_files(tmp_path, capsys):
    english = _run(capsys, tmp_path / "en")
    chinese = _run(capsys, tmp_path / "zh", "--lang", "zh")
    for name in ("metrics.csv", "departments.csv", "periods.csv"):
        assert (tmp_path / "en" / name).read_bytes() == (tmp_path / "zh" / name).read_bytes()

    # the metrics table: the same rows in the same order with the same numbers, each metric
    # under its Chinese label (its name in metrics.csv: --explain)
    def table(text):
        return [
            (m.group(1).strip(), m.group(2))
            for m in re.finditer(r"^  (\S.*?)\s+(\S+ ± \S+)  ", text, re.M)
            if "±" not in m.group(1)
        ][1:]  # (not the header)

    en_rows, zh_rows = table(english), table(chinese)
    assert en_rows and [v for _, v in en_rows] == [v for _, v in zh_rows]
    with language("zh"):
        assert [n for n, _ in zh_rows] == [metric_label(n) for n, _ in en_rows]
    assert "排名保真度（Kendall τ）" in chinese
    assert "越高越好" in chinese and "higher" not in chinese
    assert "结果文件夹：" in chinese and "run folder:" not in chinese
    assert f"perfsim report {tmp_path / 'zh'} --lang zh" in chinese
    assert "run folder:" in english and "越高越好" not in english
    # the sentences above the table: Chinese, with the English numbers
    head_en = english.split("\n\n")[1]
    head_zh = chinese.split("\n\n")[1]
    assert "按得分的排名" in head_zh and "the ranking by score" in head_en
    assert "the ranking by score" not in head_zh
    assert "τ = " in head_zh
    tau = re.search(r"τ = ([\d.]+)", head_en).group(1)
    assert f"τ = {tau}" in head_zh


def test_a_chinese_comparison_translates_verdicts_and_keeps_the_numbers(tmp_path, capsys):
    args = [
        "compare",
        SCENARIO,
        "--variant",
        "w8:rule.weights.上报数据=0.8",
        "--reps",
        "8",
        "--quiet",
    ]
    assert main([*args, "--out", str(tmp_path / "q")]) == 0
    args.remove("--quiet")
    assert main([*args, "--out", str(tmp_path / "en")]) == 0
    english = capsys.readouterr().out
    assert main([*args, "--out", str(tmp_path / "zh"), "--lang", "zh"]) == 0
    chinese = capsys.readouterr().out
    assert (tmp_path / "en" / "comparison.csv").read_bytes() == (
        tmp_path / "zh" / "comparison.csv"
    ).read_bytes()
    verdicts = {"better": "更好", "worse": "更差", "no detectable difference": "无可检出差异"}
    rows_en = [line for line in english.splitlines() if line.startswith("      w8")]
    rows_zh = [line for line in chinese.splitlines() if line.startswith("      w8")]
    assert rows_en and len(rows_en) == len(rows_zh)
    for en, zh in zip(rows_en, rows_zh, strict=True):
        assert NUMBER.findall(en) == NUMBER.findall(zh)  # the same differences and intervals
        said = en.rsplit("  ", 1)[1].strip()
        if said in verdicts:
            assert zh.rstrip().endswith(verdicts[said])
    assert "配对差异" in chinese and "paired differences" not in chinese
    assert english.rstrip().splitlines()[-1].startswith(f"next: perfsim report {tmp_path / 'en'}")
    assert f"perfsim report {tmp_path / 'zh'} --lang zh" in chinese.rstrip().splitlines()[-1]


def test_english_text_naming_chinese_things_breaks_only_between_words():
    """An English sentence with Chinese names wraps at spaces: "(优秀);" stays whole."""
    text = "Of the truly best units, 54 % do not get the top grade (优秀); of the weakest, 97 %."
    for columns in range(30, 90, 3):
        lines = wrap(text, columns, "  ").split("\n")
        assert [w for line in lines for w in line.split()] == text.split()
        assert all(width(line) <= columns for line in lines)


def test_a_chinese_sensitivity_summary_says_the_region_and_notes_in_chinese(tmp_path, capsys):
    demo = str(ROOT / "scenarios" / "teaching" / "sensitivity-demo.toml")
    args = ["sensitivity", demo, "--method", "morris", "--n", "4", "--reps", "3"]
    assert (
        main([*args, "--bound", "class_bias<8", "--out", str(tmp_path / "s"), "--lang", "zh"]) == 0
    )
    captured = capsys.readouterr()
    chinese = captured.out
    assert "各指标影响最大的输入" in chinese and "most influential" not in chinese
    assert "结果文件夹：" in chinese and f"perfsim report {tmp_path / 's'} --lang zh" in chinese
    assert "样本计算约需" in captured.err
    region = (tmp_path / "s" / "region.txt").read_text(encoding="utf-8")  # (English, as written)
    said = chinese.split("规则空间中满足约束的区域：", 1)[1].split("结果文件夹", 1)[0]
    assert "最佳区域" in said or "没有" in said or "每个抽样规则" in said
    assert sorted(NUMBER.findall(said)) == sorted(NUMBER.findall(region))


CHINESE = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x4E80), min_size=1)
LATIN = st.from_regex(r"[A-Za-z_]{1,12}|[0-9]{1,4}\.[0-9]{1,3}|kendall_tau", fullmatch=True)
PUNCT = st.sampled_from(list("，。；：、（）“”‘’") + [" "])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(CHINESE, LATIN, PUNCT), min_size=1, max_size=40), st.integers(20, 100))
@example(["A_", "一一一一一一一一一"], 20)  # a name kept whole, wider than the line
def test_chinese_text_wraps_by_columns_and_never_inside_a_word(parts, columns):
    text = "中" + "".join(parts)  # (Chinese, so wrapped by columns)
    with language("zh"):
        lines = wrap(text, columns, "  ").split("\n")
    # nothing lost or added but the spaces at the breaks
    assert "".join(line[2:] for line in lines).replace(" ", "") == text.replace(" ", "")
    latin = set(LATIN_RUN.findall(text))
    for line in lines:
        body = line[2:]
        assert line.startswith("  ") and body == body.strip()
        if body:
            assert body[0] not in NO_LINE_START or line is lines[0]
            assert body[-1] not in NO_LINE_END or line is lines[-1]
        # a line is longer than the columns only when it holds a word longer than a line (with
        # the brackets and punctuation that may not leave it); a Latin run ending in ":" or "_"
        # and a Chinese name is one word (``rater_cost:社会评价``)
        words = re.findall(r"[^\s\u3000-\u9fff]+[:_][\u4e00-\u9fff]+|[^\s\u3000-\u9fff]+", body)
        longest = max((width(w) for w in words), default=0)
        assert width(line) <= columns or longest + 2 + 8 > columns
    for run in LATIN_RUN.findall("\n".join(lines)):  # a run of Latin text is never cut in two
        assert run in latin or any(run in word for word in latin)
    for word in latin:
        assert any(word in line for line in lines)


LATIN_RUN = re.compile(r"[A-Za-z0-9_.]+")


def test_the_terminal_says_when_a_variant_moves_the_grades(tmp_path, capsys):
    """社会评价 at 30 % with 良好 ≥ 90 kept puts most units in 良好: the terminal says the grades
    move and what that means for the verdicts, as the report does; a variant that moves no grade
    that far gets neither sentence."""
    base = ["compare", "hangzhou-2011", "--reps", "6", "--set", "world.departments=30"]
    moved = [*base, "--variant", "社评30:rule.components.社会评价.share=0.3"]
    assert main([*moved, "--out", str(tmp_path / "a"), "--lang", "zh"]) == 0
    said = capsys.readouterr().out.replace("\n  ", "")
    assert "在 社评30 下，良好 由" in said and "各单位会针对等次分数线所在的位置作出反应" in said
    calm = [*base, "--variant", "抽查12:rule.audit.probability=0.12"]
    assert main([*calm, "--out", str(tmp_path / "b")]) == 0
    said = capsys.readouterr().out
    assert "The grades move" not in said and "Departments respond" not in said


def test_a_class_named_with_its_own_unit_word_is_not_said_twice(tmp_path, capsys):
    """The ministry's class 直属单位 in a Chinese sentence that adds 单位: 直属单位, not 直属单位单位."""
    out = tmp_path / "m"
    assert main(["run", "mlr-2011", "--reps", "5", "--out", str(out), "--lang", "zh"]) == 0
    said = capsys.readouterr().out.replace("\n  ", "")
    assert "优秀等次的获得比例" in said and "直属单位" in said and "直属单位单位" not in said


def _filled(template: str) -> tuple[str, dict[str, str]]:
    """A template filled with a distinct value per field (as a run records it, in English)."""
    values = {
        name: f"v{i}x" for i, name in enumerate(dict.fromkeys(re.findall(r"\{(\w+)\}", template)))
    }
    return template.format(**values), values


@pytest.mark.parametrize("module", ["optimize", "empirical"])
def test_every_recorded_note_is_said_again_in_chinese_with_its_values(module):
    from perfsim.empirical import notes as empirical_notes
    from perfsim.experiments.optimize import output as optimize_notes
    from perfsim.i18n import gettext as _

    notes = {"optimize": optimize_notes, "empirical": empirical_notes}[module]
    for key, template in notes.NOTES.items():
        english, values = _filled(template)
        assert notes.note(key, **values) == english
        assert notes.said_again(english) == english  # (English: as recorded)
        with language("zh"):
            said = notes.said_again(english)
            assert said == _(template).format(**values) and said != english, key
            assert all(v in said for v in values.values())
            assert not re.search(r"\b(the|of|and|are|were)\b", said), said


def test_a_chinese_optimisation_summary_and_report_say_the_notes_in_chinese(tmp_path, capsys):
    v6 = str(ROOT / "scenarios" / "theory" / "v6-distortion.toml")
    out = tmp_path / "o"
    args = ["optimize", v6, "--lever", "rule.pay.per_point=0:2", "--objective", "welfare_loss",
            "--budget", "8", "--reps", "2", "--out", str(out), "--lang", "zh"]  # fmt: skip
    assert main(args) == 0
    chinese = capsys.readouterr().out
    meta = json.loads((out / "optimization.json").read_text(encoding="utf-8"))
    head = chinese.splitlines()[0]
    assert f"共评估 {meta['evaluated']} 条规则" in head and f"{meta['generations']} 代" in head
    assert "帕累托规则（" in chinese and "Pareto rules" not in chinese
    assert "说明：搜索较短" in chinese and "a short search" not in chinese
    assert any(n.startswith("a short search") for n in meta["notes"])  # recorded in English
    assert "结果文件夹：" in chinese and f"perfsim report {out} --lang zh" in chinese
    assert main(["report", str(out), "--lang", "zh"]) == 0
    assert capsys.readouterr().out.startswith(f"已写出 {out / 'report.zh.html'} 和 ")
    report = (out / "report.zh.md").read_text(encoding="utf-8")
    assert "搜索较短" in report and "a short search" not in report
    assert "（跨模拟世界取最差值）" in report and "取 worst" not in report
    assert "| 最接近参照规则 | rules/nearest.toml |" in report
    trade_off = [line for line in report.splitlines() if "最优的帕累托规则达到" in line]
    assert trade_off and all(line.endswith("。") and ". " not in line for line in trade_off)


def test_a_chinese_empirical_summary_says_its_lines_and_notes_in_chinese(tmp_path, capsys):
    hangzhou = str(ROOT / "scenarios" / "hangzhou-2011.toml")
    data = str(ROOT / "scenarios" / "data" / "hangzhou-2011-units.csv")
    out = tmp_path / "e"
    args = ["empirical", data, "--rule", hangzhou, "--variant",
            'classes:rule.grading.scope="within_class"', "--out", str(out), "--lang", "zh"]  # fmt: skip
    assert main(args) == 0
    chinese = capsys.readouterr().out
    assert "说明：宽表：只能做反事实的重新计分" in chinese and "wide table" not in chinese
    moved = re.search(r"按 classes：(\d+) 个单位中有 (\d+) 个名次变化，(\d+) 个等次变化", chinese)
    changes = pd.read_csv(out / "rank_changes.csv")
    assert moved and int(moved[1]) == len(changes)
    assert int(moved[3]) == int((changes["grade:classes"] != changes.iloc[:, -2]).sum()) > 0
    # (the table's columns as the report names them, aligned in terminal columns: a Chinese
    # unit name takes two a character, which pandas' table counted as one)
    lines = chinese.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("单位"))
    assert lines[head].split()[:3] == ["单位", "总分", "排名"] and "rank_low" not in chinese
    ends = {width(line[: line.index(".") + 3]) for line in lines[head + 1 : head + 6]}
    assert len(ends) == 1, lines[head : head + 6]  # (the totals end in one terminal column)
    # (the report in Chinese is written too, and named: the English report.html was named, and
    # the next line asked for the command that writes the Chinese one)
    assert f"已写入 {out}（report.zh.html）" in chinese and "下一步" not in chinese
    assert "反事实" in (out / "report.zh.html").read_text(encoding="utf-8")
    assert (out / "report.html").is_file()


@pytest.mark.parametrize("name", ["gaming cost (key targets)", "audit rate", "优秀 quota（比例）"])
def test_a_sensitivity_hint_on_an_input_named_with_brackets_is_said_whole(name):
    """'low gaming cost (key targets) (61% within, against 94%)' was matched with the input
    'gaming cost' and said as '…（targets) (61% within，另一半为 94%）'."""
    from perfsim.experiments.sensitivity.notes import NOTES, said_again
    from perfsim.i18n import gettext as _

    values = {
        "input": name,
        "worse": "61%",
        "what": "of the samples within the limit",
        "better": "94%",
    }
    english = NOTES["hint_low"].format(**values)
    with language("zh"):
        said = said_again(english)
        assert said == _(NOTES["hint_low"]).format(**{k: _(v) for k, v in values.items()})
        assert _(name) in said and "61%" in said and "94%" in said


def test_the_run_summary_says_where_effective_weights_stray_from_the_nominal_shares(
    tmp_path, capsys
):
    """The report said that 社会评价 carries most of the score spread for a nominal 50 %; the
    terminal did not, though it is what a reform designer most needs. The sentence now closes
    the run's summary, with the effective weights of metrics.csv."""
    out = tmp_path / "r"
    assert main(["run", "hangzhou-2011", "--reps", "6", "--out", str(out), "--lang", "zh"]) == 0
    printed = re.sub(r"\s*\n\s*", "", capsys.readouterr().out)  # (wrapped lines joined)
    metrics = pd.read_csv(out / "metrics.csv", encoding="utf-8-sig").set_index("metric")
    share = metrics.loc["effective_weight:社会评价", "mean"]
    assert f"社会评价名义权重为 50 %，实际占得分差异的 {100 * share:.3g} %" in printed


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.from_regex(r"[a-z]{1,9}", fullmatch=True), min_size=1, max_size=12),
    st.lists(st.from_regex(r"[a-z]{1,9}", fullmatch=True), max_size=12),
    st.integers(12, 60),
)
@example(["xxxxxxxxxx", "a", "nominal"], ["of", "the", "units"], 25)  # it printed "50" / "%"
def test_a_percentage_keeps_its_sign_on_its_line(before, after, columns):  # fmt: skip
    """English text wraps at spaces, but never between a number and its " %"."""
    text = " ".join([*before, "50 %", *after])
    lines = wrap(text, columns, "  ").split("\n")
    assert " ".join(line.strip() for line in lines) == text
    assert any("50 %" in line for line in lines)


def test_a_hint_as_an_older_folder_recorded_it_is_still_said_in_chinese():
    """The hints now say what their shares count ("(5% of the replications converged with it,
    against 86% with its best value)"); a folder written before recorded "(5% converged,
    against 86%)", and its Chinese report still says that in Chinese."""
    from perfsim.experiments.sensitivity.notes import said_again

    before = "normalisation = zscore (5% converged, against 86%)"
    now = "normalisation = zscore (5% of the replications converged with it, against 86% with its best value)"
    with language("zh"):
        assert said_again(before) == "标准化方法 = zscore（收敛 5%，最好的取值为 86%）"
        assert said_again(now) == "标准化方法 = zscore（收敛的重复模拟占 5%，最好的取值为 86%）"


@pytest.mark.parametrize("columns", range(60, 111))
def test_a_percent_sign_followed_by_punctuation_stays_with_its_number(columns):
    """English text naming Chinese components is wrapped by the Chinese rules; a "%" followed by
    punctuation ("%;") was one token that the rule "no line starts with %" did not catch, so
    "nominal 50" ended a line and "%;" began the next."""
    text = (
        "Under 杭州 2011 综合考评 (市直单位), 社会评价 carries 83.7 % of the score spread for a "
        "nominal 50 %; 目标考核 carries 11.5 % of the score spread for a nominal 45 %."
    )
    lines = wrap(text, columns, "  ").split("\n")
    assert not any(line[2:].startswith("%") for line in lines), lines
    assert " ".join(line.strip() for line in lines) == text


def test_a_chinese_summary_joins_its_sentences_without_a_space(tmp_path, capsys):
    """ "……最低等次（不合格）。 没有任何单位被评为不合格": the sentence that nobody is graded
    the bottom band was added with a space, which Chinese text does not put between sentences."""
    rule = str(ROOT / "scenarios/rules/my-first-rule.toml")
    args = ["run", rule, "--world", "hangzhou-2011", "--reps", "4", "--lang", "zh"]
    assert main([*args, "--set", 'world.policy="naive"', "--out", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out.replace("\n  ", "")
    assert "没有任何单位被评为不合格" in out  # (the case: this rule grades nobody 不合格)
    assert "。 " not in out, out


@pytest.mark.parametrize(
    ("argv", "chinese"),
    [
        (["optimize", "theory/v6-distortion", "--lever", "rule.pay.per_point=2:1",
          "--objective", "welfare_loss"], "范围须为有限数且 LO < HI"),
        (["optimize", "theory/v6-distortion", "--lever", "rule.pay.per_point",
          "--objective", "welfare_loss"], "应写成 PATH=LO:HI（一个范围）"),
        (["optimize", "theory/v6-distortion", "--lever", "rule.pay.per_point=0:2",
          "--objective", "welfare_los"], "不是一个指标；是否想写 'welfare_loss'？有优劣方向的指标："),
        (["optimize", "theory/v6-distortion", "--lever", "rule.pay.per_point=0:2",
          "--objective", "welfare_loss", "--budget", "3"], "--budget = 3：须为 ≥ 8 的整数"),
        (["sensitivity", "teaching/sensitivity-demo", "--metric", "nosuch"], "未知指标 nosuch；"),
        (["optimize", "hangzhou-2011", "--lever", "rule.normalize.method=zscore,zscore",
          "--objective", "kendall_tau"], "有一个选项写了两次"),
        (["compare", "theory/v6-distortion", "--variant", "x:rule.pay.per_point=1",
          "--across", "world.indicators.measure.noise=0.1,0.5",
          "--across", 'world.indicators."measure".noise=0.2'], "同一路径给了两次"),
    ],
)  # fmt: skip
def test_optimisation_and_sensitivity_option_errors_are_said_in_chinese(argv, chinese, capsys):
    """These errors of the optimisation's and sensitivity analysis's options were English under
    --lang zh (plain strings, not templates of the catalogue)."""
    assert main([*argv, "--lang", "zh"]) == 2
    err = capsys.readouterr().err
    assert chinese in err, err
