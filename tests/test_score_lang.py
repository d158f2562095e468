"""perfsim score --lang zh prints the scored table with Chinese headers, the grade counts and the
quota warning in Chinese, with the same numbers as in English; the CSV it writes is the same file in
either language (its columns are codes other tools read)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from perfsim.cli import main

ROOT = Path(__file__).resolve().parents[1]
UNITS = ROOT / "scenarios" / "data" / "hangzhou-2011-units.csv"
RULE = ROOT / "scenarios" / "hangzhou-2011.toml"


def _score(capsys, tmp_path, lang: str, *extra: str) -> tuple[str, str, bytes]:
    out = tmp_path / f"scored-{lang}.csv"
    args = ["score", str(UNITS), "--rule", str(RULE), "--out", str(out), "--lang", lang, *extra]
    assert main(args) == 0
    printed = capsys.readouterr()
    return printed.out, printed.err, out.read_bytes()


def test_score_in_chinese_says_the_same_numbers_and_writes_the_same_file(capsys, tmp_path):
    en, _, en_csv = _score(capsys, tmp_path, "en")
    zh, _, zh_csv = _score(capsys, tmp_path, "zh")
    assert en_csv == zh_csv
    header = zh.splitlines()[0].split()
    for label in ("单位", "类别", "总分", "排名", "等次", "一票否决", "加减分"):
        assert label in header
    assert not {"department", "total", "grade", "vetoed"} & set(header)
    assert {"department", "total", "grade", "vetoed"} <= set(en.splitlines()[0].split())
    table = pd.read_csv(tmp_path / "scored-en.csv", encoding="utf-8-sig")
    rows = zh.splitlines()[1 : len(table) + 1]
    vetoed = [row.split()[header.index("一票否决")] for row in rows]
    assert vetoed == ["是" if v else "否" for v in table["vetoed"]]
    # the closing line: the same counts per grade, in Chinese words
    en_line = next(x for x in en.splitlines() if "departments scored with" in x)
    zh_line = next(x for x in zh.splitlines() if "家单位评分" in x)
    assert sorted(re.findall(r"\d+", en_line)) == sorted(re.findall(r"\d+", zh_line))
    counts = table["grade"].value_counts()
    assert f"优秀 {counts['优秀']}、良好 {counts['良好']}" in zh_line
    assert "一票否决" in zh_line and "已写入" in zh


def test_the_quota_warning_is_said_in_chinese(capsys, tmp_path):
    quota = ("--set", "rule.grading.quota={}", "--set", "rule.grading.quota.优秀=1")
    en, _, _ = _score(capsys, tmp_path, "en", *quota)
    zh, _, _ = _score(capsys, tmp_path, "zh", *quota)
    en_line = next(x for x in en.splitlines() if "has a quota but no threshold" in x)
    zh_line = next(x for x in zh.splitlines() if "设了比例但没有分数线" in x)
    assert zh_line.startswith("警告：")
    assert re.findall(r"\d+(?:\.\d+)?", en_line) == re.findall(r"\d+(?:\.\d+)?", zh_line)


def test_an_xlsx_out_is_a_workbook_for_people_with_the_headers_in_the_language(capsys, tmp_path):
    """``--out FILE.xlsx`` writes a workbook of the same numbers as the CSV, its headers in
    --lang (codes in English, Chinese words under zh; the veto as 是/否); --force replaces a
    workbook perfsim wrote, never one that was changed or that perfsim did not write; another
    suffix is refused, naming both kinds, in the language asked for."""
    from perfsim.scoring import is_scored_table

    _score(capsys, tmp_path, "en")
    csv = pd.read_csv(tmp_path / "scored-en.csv", encoding="utf-8-sig")
    books = {}
    for lang in ("en", "zh"):
        out = tmp_path / f"scored-{lang}.xlsx"
        args = ["score", str(UNITS), "--rule", str(RULE), "--out", str(out), "--lang", lang]
        assert main([*args, "--quiet"]) == 0
        books[lang] = pd.read_excel(out)
        assert is_scored_table(out)
        assert main([*args, "--quiet"]) == 2  # exists: not without --force
        assert main([*args, "--quiet", "--force"]) == 0  # perfsim's own, unchanged: replaced
    en, zh = books["en"], books["zh"]
    sheets = {
        lang: pd.read_excel(tmp_path / f"scored-{lang}.xlsx", sheet_name=None) for lang in books
    }
    assert list(sheets["en"]) == ["scores", "about"] and list(sheets["zh"]) == ["评分结果", "说明"]
    about = dict(sheets["zh"]["说明"].itertuples(index=False))  # which rule graded it, and how
    assert (
        about["等次评定"]
        == "优秀（比例至多 15 %） > 良好（90 分及以上） > 合格（82 分及以上） > 不合格"
    )
    assert about["命令"].startswith("perfsim score ") and "scored-zh.xlsx" in about["命令"]
    assert "社会评价：原表满分 50" in about["按满分折算的得分"]
    assert about["各等次单位数"].startswith(f"优秀 {(csv['grade'] == '优秀').sum()}、")
    from openpyxl import load_workbook

    cell = load_workbook(tmp_path / "scored-zh.xlsx")["评分结果"]["H2"]  # a total: every digit,
    assert cell.number_format == "0.00" and cell.value == csv["total"].iloc[0]  # shown to 2
    assert list(en.columns) == list(csv.columns)
    assert {"单位", "总分", "排名", "等次", "一票否决"} <= set(zh.columns)
    assert not {"department", "total", "grade"} & set(zh.columns)
    pd.testing.assert_series_equal(zh["总分"], csv["total"], check_names=False)
    assert list(zh["等次"]) == list(csv["grade"])
    assert list(zh["一票否决"]) == ["是" if v else "否" for v in csv["vetoed"]]
    capsys.readouterr()
    # a workbook changed after perfsim wrote it, or the user's own: never replaced
    theirs = tmp_path / "scored-zh.xlsx"
    zh.assign(备注="checked").to_excel(theirs, index=False)
    before = theirs.read_bytes()
    args = ["score", str(UNITS), "--rule", str(RULE), "--out", str(theirs), "--force"]
    assert main([*args, "--lang", "zh"]) == 2
    assert theirs.read_bytes() == before
    assert "从不覆盖您的文件" in capsys.readouterr().err
    assert main(["score", str(UNITS), "--rule", str(RULE), "--out", str(tmp_path / "s.txt")]) == 2
    assert "name it s.csv or s.xlsx" in capsys.readouterr().err
    bad = ["score", str(UNITS), "--rule", str(RULE), "--out", str(tmp_path / "s.txt")]
    assert main([*bad, "--lang", "zh"]) == 2
    assert "请命名为 s.csv 或 s.xlsx" in capsys.readouterr().err


def test_a_workbook_with_notes_first_is_scored_and_the_sheet_warning_precedes_an_error(
    capsys, tmp_path
):
    """A 说明 sheet before the data: the data sheet is scored, and the warning says which sheet
    was read; a workbook whose first sheet is a table without the id column: the warning (which
    sheet was read, which others there are) is shown before the error, not swallowed by it."""
    units = pd.read_csv(UNITS, encoding="utf-8-sig")
    notes_first = tmp_path / "说明在前.xlsx"
    with pd.ExcelWriter(notes_first) as book:
        pd.DataFrame({"说明": ["2011 年度", "社会评价满分 50"]}).to_excel(
            book, sheet_name="说明", index=False
        )
        units.to_excel(book, sheet_name="得分", index=False)
    assert main(["score", str(notes_first), "--rule", str(RULE), "--lang", "zh"]) == 0
    printed = capsys.readouterr()
    assert (
        "第一个工作表 '说明' 是说明而不是数据表，perfsim 读取的是另一个工作表 '得分'" in printed.err
    )
    assert "66 家单位评分" in printed.out
    wrong_first = tmp_path / "别的表在前.xlsx"
    with pd.ExcelWriter(wrong_first) as book:
        units.rename(columns={"department": "单位"}).to_excel(book, sheet_name="汇总", index=False)
        units.to_excel(book, sheet_name="得分", index=False)
    args = ["score", str(wrong_first), "--rule", str(RULE), "--id-column", "单位名称"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.index("perfsim reads the first, '汇总' (the others: '得分')") < err.index("error")


def test_an_xlsx_keeps_text_as_written_and_stores_no_formula(tmp_path):
    """A workbook keeps a unit named ``-中心`` as it is (the CSV's defusing apostrophe became part
    of the name in a workbook) and stores a cell beginning with ``=`` as text, not a formula."""
    from openpyxl import load_workbook

    from perfsim.workbook import write_excel

    frame = pd.DataFrame({"单位": ["-中心", "=1+1", "+x", "@y"], "总分": [1.5, 2.0, 3.0, 4.0]})
    path = write_excel(frame, tmp_path / "t.xlsx")
    assert pd.read_excel(path)["单位"].tolist() == frame["单位"].tolist()
    cells = load_workbook(path)["perfsim"]["A"]
    assert [c.data_type for c in cells] == ["s"] * 5 and cells[2].quotePrefix
