"""A corpus of bad tables, ratings, TOML files, folders and flags (issue 14): every one exits 2 via
the CLI with one message that names the file (or the flag), never a traceback, never an output."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from table_cases import (
    HEADER,
    RATING_COLUMNS,
    ROOT,
    UNITS_TEXT,
    Case,
    cell,
    drop_units_column,
    empirical_argv,
    flag_case,
    percent_xlsx,
    ratings_case,
    ratings_text,
    rename,
    score_argv,
    score_cell,
    score_file,
    units_frame,
    units_text,
    write,
    xlsx_bytes,
    xlsx_from_text,
    zip_bytes,
)

from perfsim.cli import main

# ---------------------------------------------------------------------------------------------
# The corpus

SCORE_CELLS = {
    "slipped-decimal": ("社会评价", "412.9", "412.9", "0-50", "full_marks"),
    "survey-1e308": ("社会评价", "1e308", "too large"),
    "survey-negative": ("社会评价", "-1", "0-50"),
    "survey-just-over": ("社会评价", "50.01", "0-50"),
    "leader-over-5": ("领导考评", "5.5", "0-5"),
    "indicator-inf": ("职能工作目标", "inf", "finite"),
    "indicator-nan": ("职能工作目标", "nan", "finite"),
    "indicator-minus-inf": ("职能工作目标", "-inf", "finite"),
    "indicator-1e400": ("职能工作目标", "1e400", "too large"),
    "indicator-1e16": ("职能工作目标", "1e16", "too large"),
    "indicator-text": ("职能工作目标", "abc", "not a number", "88.5%"),
    "indicator-decimal-comma": ("职能工作目标", '"41,29"', "41.29"),
    "indicator-empty": ("职能工作目标", "", "empty"),
    "indicator-na": ("职能工作目标", "N/A", "finite"),
    "indicator-chinese-number": ("职能工作目标", "一百", "not a number"),
    "indicator-double-percent": ("职能工作目标", "88.5%%", "not a number"),
    "indicator-double-minus": ("职能工作目标", "--5", "not a number"),
    "indicator-hex": ("职能工作目标", "0x10", "not a number"),
    "name-50000-characters": ("department", "x" * 50000, "50,000 characters"),
    "indicator-underscore": ("职能工作目标", "1_000", "not a number"),
    "bonus-negative": ("创新创优", "-1", "negative"),
    "bonus-inf": ("创新创优", "inf", "finite"),
    "bonus-text": ("创新创优", "加分", "not a number"),
    "veto-maybe": ("一票否决", "maybe", "veto flag"),
    "class-unknown": ("class", "未知类", "not a class"),
    "id-empty": ("department", "", "empty"),
}


def _extra_column(name: str) -> str:
    """The units table with one more column at the end: ``name``, holding 1 in every row."""
    lines = UNITS_TEXT.splitlines()
    return "\n".join([lines[0] + f",{name}"] + [line + ",1" for line in lines[1:]]) + "\n"


def _gbk_slip(tmp: Path) -> bytes:
    return units_text((1, "社会评价", "412.9")).encode("gbk")


def _truncated_gz(tmp: Path) -> bytes:
    return gzip.compress(UNITS_TEXT.encode("utf-8"))[:60]


def _ragged(tmp: Path) -> str:
    lines = UNITS_TEXT.splitlines()
    lines[3] += ",1,2"
    return "\n".join(lines) + "\n"


def _unquoted_comma(tmp: Path) -> str:
    return units_text((1, "社会评价", "41,29"))


def _tabbed_bad(tmp: Path) -> str:
    return units_text((1, "社会评价", "abc")).replace(",", "\t")


SCORE_FILES: dict[str, Case] = {
    "duplicate-id": score_file(
        "单位表.csv",
        lambda t: units_text((2, "department", units_text().splitlines()[1].split(",")[0])),
        "单位表.csv",
        "appears twice",
    ),
    "missing-survey-column": score_file(
        "单位表.csv", lambda t: drop_units_column("社会评价"), "单位表.csv", "missing column"
    ),
    "missing-id-column": score_file(
        "单位表.csv",
        lambda t: units_text().replace("department", "名称", 1),  # (单位 is read as the id)
        "单位表.csv",
        "--id-column",
    ),
    "empty-file": score_file("单位表.csv", lambda t: b"", "单位表.csv", "empty"),
    "header-only": score_file(
        "单位表.csv", lambda t: UNITS_TEXT.splitlines()[0] + "\n", "单位表.csv", "no rows"
    ),
    "corrupt-xlsx": score_file(
        "单位表.xlsx", lambda t: b"PK\x03\x04" + b"\x00junk" * 50, "单位表.xlsx"
    ),
    "csv-named-xlsx": score_file(
        "单位表.xlsx", lambda t: UNITS_TEXT, "单位表.xlsx", "not an Excel workbook", "单位表.csv"
    ),
    "zip-named-xlsx": score_file(
        "单位表.xlsx", lambda t: zip_bytes(), "单位表.xlsx", "not an Excel workbook"
    ),
    "xlsx-named-csv": score_file(
        "单位表.csv", lambda t: xlsx_bytes(units_frame()), "单位表.csv", "Excel workbook", ".xlsx"
    ),
    "xls-garbage": score_file(
        "单位表.xls", lambda t: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "单位表.xls"
    ),
    "xlsx-bad-cell": score_file(
        "单位表.xlsx",
        lambda t: xlsx_bytes(units_frame((1, "社会评价", "412.9"))),
        "单位表.xlsx",
        "row 2,",  # a spreadsheet's row number (the header is row 1), not a "line"
        "0-50",
    ),
    "truncated-gz": score_file("单位表.csv.gz", _truncated_gz, "单位表.csv.gz", "damaged gzip"),
    "text-named-gz": score_file("单位表.csv.gz", lambda t: UNITS_TEXT, "单位表.csv.gz", "not gzip"),
    "gz-bad-cell": score_file(
        "单位表.csv.gz",
        lambda t: gzip.compress(units_text((1, "社会评价", "412.9")).encode()),
        "单位表.csv.gz",
        "0-50",
    ),
    "zip-named-csv": score_file("单位表.csv", lambda t: zip_bytes(), "单位表.csv", "zip archive"),
    "binary-garbage": score_file(
        "单位表.csv",
        lambda t: bytes(range(128, 256)) * 4,
        "单位表.csv",
        "UTF-8",
        "GB18030",
        "--encoding",
    ),
    "nul-bytes": score_file(
        "单位表.csv", lambda t: UNITS_TEXT.encode("utf-16-le"), "单位表.csv", "NUL"
    ),
    "gbk-slipped-decimal": score_file("单位表.csv", _gbk_slip, "单位表.csv", "412.9", "0-50"),
    "gbk-read-as-utf8": score_file(
        "单位表.csv",
        lambda t: UNITS_TEXT.encode("gbk"),
        "单位表.csv",
        "UTF-8",
        extra=("--encoding", "utf-8"),
    ),
    "chinese-read-as-ascii": score_file(
        "单位表.csv", lambda t: UNITS_TEXT, "单位表.csv", "ascii", extra=("--encoding", "ascii")
    ),
    "unknown-encoding": score_file(
        "单位表.csv", lambda t: UNITS_TEXT, "--encoding", "unknown", extra=("--encoding", "gbk2")
    ),
    "ragged-rows": score_file("单位表.csv", _ragged, "单位表.csv", "line 4", "cells"),
    "unquoted-comma": score_file("单位表.csv", _unquoted_comma, "line 2", "quote such cells"),
    "unterminated-quote": score_file(
        "单位表.csv", lambda t: UNITS_TEXT + '"open,1,2\n', "单位表.csv", "cannot read"
    ),
    "xlsx-mixed-percent-column": score_file(
        "单位表.xlsx", lambda t: percent_xlsx(mixed=True), "单位表.xlsx", "职能工作目标", "percents"
    ),
    "title-row-above-header": score_file(
        "单位表.csv",
        lambda t: "2011年度市直单位综合考评结果" + "," * (len(HEADER) - 1) + "\n" + UNITS_TEXT,
        "单位表.csv",
        "missing column",
        "title",
    ),
    # (a title alone on the first line, the rows wider: "12 cells but the header has 1 names")
    "title-line-alone-above-header": score_file(
        "单位表.csv",
        lambda t: "2011年度市直单位综合考评结果\n" + UNITS_TEXT,
        "单位表.csv",
        "the first line holds one name (2011年度市直单位综合考评结果)",
        "a title above the table",
    ),
    # (typed with a Chinese input method: "line 4, column 'class': empty" before)
    "full-width-commas-in-rows": score_file(
        "单位表.csv",
        lambda t: "\n".join(
            line.replace(",", "，") if i in (3, 5) else line
            for i, line in enumerate(UNITS_TEXT.splitlines())
        ),
        "单位表.csv: line 4",
        "full-width commas (，)",
        "2 such line(s)",
    ),
    # (not full-width commas: a footnote with a "，" in it, a title with one)
    "footnote-with-a-full-width-comma": score_file(
        "单位表.csv",
        lambda t: UNITS_TEXT + "注：数据来源，市考评办" + "," * (len(HEADER) - 1) + "\n",
        "单位表.csv: line 68, column '职能工作目标': is empty",
    ),
    "title-with-a-full-width-comma": score_file(
        "单位表.csv",
        lambda t: "2011年度综合考评结果（单位：分，排名不分先后）\n" + UNITS_TEXT,
        "the first line holds one name (2011年度综合考评结果（单位：分，排名不分先后）)",
    ),
    # (a column appended to a CRLF file: a traceback, then a misleading "id is empty")
    "stray-carriage-return": score_file(
        "单位表.csv",
        lambda t: UNITS_TEXT.replace("\n", "\r,x\n", 3),
        "单位表.csv: line 1 holds a carriage return (CR) in the middle of the line",
    ),
    "full-width-commas-in-header": score_file(
        "单位表.csv",
        lambda t: UNITS_TEXT.replace(",", "，", len(HEADER) - 1),
        "单位表.csv: the column names of the first line are separated by full-width commas",
    ),
    "percent-over-full-marks": score_file(
        "单位表.csv",
        lambda t: units_text((1, "社会评价", "77.4%")),
        "line 2",
        "0-50",
        "a percent is read as points",
    ),
    "duplicate-column": score_file(
        "单位表.csv",
        lambda t: _extra_column("社会评价"),
        "单位表.csv",
        "'社会评价' appears 2 times",
    ),
    "duplicate-column-with-space": score_file(
        "单位表.csv", lambda t: _extra_column(" 社会评价 "), "单位表.csv", "appears 2 times"
    ),
    "duplicate-column-xlsx": score_file(
        "单位表.xlsx",
        lambda t: xlsx_from_text(_extra_column("社会评价")),
        "单位表.xlsx",
        "appears 2 times",
    ),
    "tab-separated-bad-cell": score_file(
        "单位表.csv", _tabbed_bad, "单位表.csv", "line 2", "not a number"
    ),
}


def _folder(tmp: Path) -> tuple[list[str], list[str]]:
    (tmp / "表格.csv").mkdir()
    return score_argv(tmp, tmp / "表格.csv"), ["表格.csv", "folder"]


def _missing(tmp: Path) -> tuple[list[str], list[str]]:
    return score_argv(tmp, tmp / "没有.csv"), ["没有.csv", "not found"]


def _wide(edits, *must: str, extra=()) -> Case:
    def build(tmp: Path):
        path = write(tmp, "宽表.csv", units_text(*edits))
        argv = empirical_argv(tmp, path, "--rule", "hangzhou-2011", *extra)
        return argv, ["宽表.csv", *must]

    return build


def _strata(tmp: Path):
    path = write(tmp, "评分.csv", ratings_text())
    return empirical_argv(tmp, path, "--strata", "group×unit"), ["评分.csv", "--strata"]


def _units_missing_unit(tmp: Path):
    ratings = write(tmp, "评分.csv", ratings_text())
    units = write(tmp, "单位.csv", "department,class\n甲局,A\n乙局,A\n")
    return empirical_argv(tmp, ratings, "--units", str(units)), ["单位.csv", "丙局"]


def _units_not_found(tmp: Path):
    ratings = write(tmp, "评分.csv", ratings_text())
    return empirical_argv(tmp, ratings, "--units", str(tmp / "无.csv")), ["无.csv", "not found"]


def _units_corrupt(tmp: Path):
    ratings = write(tmp, "评分.csv", ratings_text())
    units = write(tmp, "单位.xlsx", b"PK\x03\x04broken")
    return empirical_argv(tmp, ratings, "--units", str(units)), ["单位.xlsx"]


def _rule_needs_units(tmp: Path):
    rule = ROOT / "scenarios" / "hangzhou-2011.toml"
    text = ratings_text().replace("代表", "人大代表")
    path = write(tmp, "评分.csv", text)
    return empirical_argv(tmp, path, "--rule", str(rule)), ["评分.csv", "--units"]


EMPIRICAL: dict[str, Case] = {
    "wide-slipped-decimal": _wide([(1, "社会评价", "412.9")], "0-50"),
    "wide-text-cell": _wide([(3, "公共服务", "优")], "line 4", "not a number"),
    "wide-compare-missing-columns": _wide([], "missing column", extra=("--compare", "mlr-2011")),
    "ratings-no-rater": ratings_case(None, "missing column", header=rename("rater", "人员")),
    "ratings-no-group": ratings_case(None, "rater_group", header=rename("rater_group", "grp")),
    "ratings-no-score-or-answer": ratings_case(
        None, "no score or answer column", header=rename("answer", "反馈")[:-1] + ["打分"]
    ),
    "ratings-empty-unit": ratings_case(cell(0, "unit", ""), "line 2", "empty"),
    "ratings-empty-rater": ratings_case(cell(4, "rater", ""), "line 6", "empty"),
    "ratings-both": ratings_case(cell(0, "score", "80"), "both"),
    "ratings-score-text": ratings_case(cell(1, "score", "良"), "line 3", "not a number"),
    "ratings-score-1e308": ratings_case(cell(1, "score", "1e308"), "too large"),
    "ratings-score-inf": ratings_case(cell(1, "score", "inf"), "finite"),
    "ratings-score-nan": ratings_case(cell(1, "score", "NaN"), "finite"),
    "ratings-score-negative": ratings_case(cell(1, "score", "-5"), "0-100"),
    "ratings-score-over-max": ratings_case(cell(1, "score", "101"), "0-100", "--score-max"),
    "ratings-score-slipped": ratings_case(cell(1, "score", "825.8"), "0-100"),
    "ratings-answer-off-scale": ratings_case(cell(0, "answer", "很好"), "not on the scale"),
    "ratings-duplicate": ratings_case(lambda rows: rows.append(list(rows[0])), "twice"),
    "ratings-two-classes": ratings_case(cell(2, "unit_class", "B"), "unit_class"),
    "ratings-two-components": ratings_case(cell(2, "component", "领导考评"), "component"),
    "ratings-group-overall": ratings_case(
        lambda rows: [r.__setitem__(3, "overall") for r in rows if r[3] == "代表"], "reserved"
    ),
    "ratings-class-and-unit-class": ratings_case(
        None, "'unit_class' appears 2 times", header=rename("component", "class")
    ),
    "ratings-gb18030-as-utf8": ratings_case(
        None, "UTF-8", encoding="gb18030", extra=("--encoding", "utf-8")
    ),
    "ratings-empty-file": lambda tmp: (
        empirical_argv(tmp, write(tmp, "评分.csv", b"")),
        ["评分.csv", "empty"],
    ),
    "ratings-header-only": lambda tmp: (
        empirical_argv(tmp, write(tmp, "评分.csv", ",".join(RATING_COLUMNS) + "\n")),
        ["评分.csv", "no rows"],
    ),
    "ratings-corrupt-gz": lambda tmp: (
        empirical_argv(tmp, write(tmp, "评分.csv.gz", gzip.compress(ratings_text().encode())[:50])),
        ["评分.csv.gz", "damaged gzip"],
    ),
    "ratings-folder": lambda tmp: (
        (tmp / "评分").mkdir() or empirical_argv(tmp, tmp / "评分"),
        ["评分", "folder"],
    ),
    "ratings-strata-group-unit": _strata,
    "units-missing-a-unit": _units_missing_unit,
    "units-not-found": _units_not_found,
    "units-corrupt-xlsx": _units_corrupt,
    "rule-needs-units": _rule_needs_units,
}

FLAGS: dict[str, Case] = {
    "reps-0": flag_case("--reps", "0", must=["--reps 0"]),
    "reps-1": flag_case("--reps", "1", must=["--reps 1", "≥ 2"]),
    "reps-negative": flag_case("--reps", "-3", must=["--reps -3"]),
    "score-max-inf": flag_case("--score-max", "inf", must=["--score-max inf", "finite"]),
    "score-max-nan": flag_case("--score-max", "nan", must=["--score-max nan"]),
    "score-max-0": flag_case("--score-max", "0", must=["--score-max 0"]),
    "score-max-negative": flag_case("--score-max", "-1", must=["--score-max -1"]),
    "scale-nan": flag_case("--scale", "a=nan,b=1", must=["--scale", "finite"]),
    "scale-inf": flag_case("--scale", "a=inf,b=1", must=["--scale", "finite"]),
    "scale-one-answer": flag_case("--scale", "a=1", must=["--scale", "two answers"]),
    "scale-garbage": flag_case("--scale", "满意", must=["--scale", "LABEL=POINTS"]),
    "scale-negative": flag_case("--scale", "a=-1,b=50", must=["--scale", "0-100"]),
    "scale-over-100": flag_case("--scale", "a=0,b=200", must=["--scale", "0-100"]),
    "scale-ties": flag_case("--scale", "a=1,b=1", must=["--scale", "same points"]),
    "scale-label-twice": flag_case("--scale", "a=0,b=50,a=100", must=["--scale", "twice"]),
    "level-1": flag_case("--level", "1", must=["--level"]),
    "level-nan": flag_case("--level", "nan", must=["--level"]),
    "seed-negative": flag_case("--seed", "-1", must=["--seed", "-1", "≥ 0"]),
    "empirical-encoding-unknown": flag_case("--encoding", "utf-9", must=["--encoding", "utf-9"]),
}


def _toml(name: str, text: str, *must: str, command=("validate",)) -> Case:
    def build(tmp: Path):
        path = write(tmp, name, text)
        if command[0] == "score":
            table = write(tmp, "单位表.csv", UNITS_TEXT)
            return ["score", str(table), "--rule", str(path)], [name, *must]
        return [*command, str(path)], [name, *must]

    return build


def _set_fragment(name: str, content: str | None, *must: str) -> Case:
    def build(tmp: Path):
        frag = tmp / name
        if content is None:
            frag.mkdir()
        else:
            frag.write_text(content, encoding="utf-8")
        return ["validate", "hangzhou-2011", "--set", f"@{frag}"], [name, *must]

    return build


DEEP = "x = " + "[" * 3000 + "]" * 3000 + "\n"
TOML: dict[str, Case] = {
    "deep-arrays": _toml("深.toml", DEEP, "nested too deeply"),
    "deep-inline-tables": _toml("深.toml", "x = " + "{a = " * 3000 + "1" + "}" * 3000, "deeply"),
    "deep-rule-for-score": _toml("深.toml", DEEP, "nested", command=("score",)),
    "uncertain-fragment-run": _toml(
        "不确定.toml",
        '[uncertain."rule.audit.rate"]\nrange = [0, 0.3]\n',
        "[uncertain]",
        "--uncertain",
        command=("run",),
    ),
    "toml-is-folder": lambda tmp: (
        (tmp / "规则.toml").mkdir() or ["validate", str(tmp / "规则.toml")],
        ["规则.toml", "folder"],
    ),
    "set-at-folder": _set_fragment("片段", None, "folder"),
    "set-at-deep-fragment": _set_fragment("片段.toml", DEEP, "nested too deeply"),
    "set-at-deep-keys": _set_fragment("片段.toml", "a" + ".a" * 3000 + " = 1\n", "nested"),
}


def _report(make: Callable[[Path], Path], *must: str) -> Case:
    def build(tmp: Path):
        folder = make(tmp)
        return ["report", str(folder)], [folder.name, *must]

    return build


def _folder_with(files: dict[str, str]) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        folder = tmp / "结果"
        for name, text in files.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(text, encoding="utf-8")
        folder.mkdir(exist_ok=True)
        return folder

    return make


RUNNING = json.dumps({"kind": "sensitivity", "status": "running", "hash": "ab", "method": "sobol"})
REPORT: dict[str, Case] = {
    "report-missing-folder": _report(lambda tmp: tmp / "没有", "not found"),
    "report-a-file": _report(lambda tmp: write(tmp, "结果.csv", "a,b\n"), "not a folder"),
    "report-empty-folder": _report(_folder_with({}), "not a perfsim run folder"),
    "report-foreign-metadata": _report(_folder_with({"metadata.json": '{"a": 1}'}), "scenario"),
    "report-metadata-list": _report(_folder_with({"metadata.json": "[1]"}), "JSON object"),
    "report-metadata-broken": _report(_folder_with({"metadata.json": "{"}), "damaged"),
    "report-run-without-metrics": _report(
        _folder_with({"metadata.json": '{"scenario": "x.toml"}'}), "metrics.csv"
    ),
    "report-interrupted-sensitivity": _report(
        _folder_with({"sensitivity.json": RUNNING, "chunks/chunk-00000.parquet": ""}),
        "interrupted",
        "--resume",
    ),
    "report-comparison-without-runs": _report(
        _folder_with({"metadata.json": '{"kind": "comparison", "runs": [{"folder": "runs/a"}]}'}),
        "comparison.csv",
        "runs/a/metrics.csv",
    ),
    "report-empirical-without-scores": _report(
        _folder_with({"empirical.json": '{"kind": "empirical"}'}), "scores.csv"
    ),
}

CASES: dict[str, Case] = {
    **{f"score-{k}": score_cell(*v) for k, v in SCORE_CELLS.items()},
    **{f"score-{k}": v for k, v in SCORE_FILES.items()},
    "score-folder": _folder,
    "score-missing-file": _missing,
    **EMPIRICAL,
    **FLAGS,
    **TOML,
    **REPORT,
}


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 60


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_exits_2_with_one_message_naming_it(name, tmp_path, capsys):
    argv, must = CASES[name](tmp_path)
    try:
        code = main(argv)
    except SystemExit as stop:  # argparse's own usage errors (a bad --seed) also exit 2
        code = stop.code
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    assert "Traceback" not in err and "Traceback" not in out
    message = err.strip().splitlines()[-1]
    assert message.startswith(f"perfsim {argv[0]}: error: "), err
    for fragment in must:
        assert fragment in err, (fragment, err)
    assert "<table>" not in err and "<units>" not in err
    assert "----" not in err and "\\ufeff" not in err and "\ufeff" not in err
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("name", "chinese"),
    [
        ("score-title-row-above-header", ["缺少列 'department'", "第一行是不是标题？请删除列名上方的行"]),
        ("score-title-line-alone-above-header", ["第一行本应是列名", "这看起来是表格上方的标题"]),
        ("score-full-width-commas-in-rows", ["第 4 行", "全角逗号（，）", "共 2 行如此"]),
        ("ratings-no-score-or-answer", ["没有 得分 或 评价结果 列"]),
    ],
)  # fmt: skip
def test_a_table_error_is_said_in_chinese_with_its_hints(name, chinese, tmp_path, capsys):
    """The title-row and --id-column hints (and the missing-column message) were English under
    --lang zh."""
    argv, _ = CASES[name](tmp_path)
    assert main([*argv, "--lang", "zh"]) == 2
    err = capsys.readouterr().err
    assert all(text in err for text in chinese), err
    said = err.replace(str(tmp_path), "")  # (a path may hold any word)
    assert not re.search(r"\b(missing|title|needs|column names|cells|line)\b", said), err
    # (below a title row the names are blank: the --id-column hint led the wrong way)
    assert "--id-column" not in err
