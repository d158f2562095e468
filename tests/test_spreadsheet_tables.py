"""Good tables in spreadsheet dress (GBK, UTF-16, gzip, Excel, percents, full-width digits, a BOM
before a TOML comment) read like the clean ones; numbers are read the way a spreadsheet shows them."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from table_cases import (
    HEADER,
    ROOT,
    UNITS,
    UNITS_TEXT,
    empirical_argv,
    percent_xlsx,
    ratings_text,
    units_frame,
    write,
    xlsx_bytes,
)

from perfsim.cli import main
from perfsim.tables import parse_numbers

# ---------------------------------------------------------------------------------------------
# Good inputs in spreadsheet dress give the same scores as the clean table


def _scored(tmp: Path, path: Path, *extra: str) -> str:
    out = tmp / f"scored-{path.name}.csv"
    assert (
        main(["score", str(path), "--rule", "hangzhou-2011", "--out", str(out), "--quiet", *extra])
        == 0
    )
    return out.read_text(encoding="utf-8-sig")


def _percent_and_full_width(text: str) -> str:
    """职能工作目标 written as percents (100.0%), 公共服务 with full-width digits (１００.０)."""
    rows = [line.split(",") for line in text.splitlines()]
    j, k = HEADER.index("职能工作目标"), HEADER.index("公共服务")
    wide = str.maketrans("0123456789", "０１２３４５６７８９")
    for r in rows[1:]:
        r[j] = r[j] + "%"
        r[k] = r[k].translate(wide)
    return "\n".join(",".join(r) for r in rows) + "\n"


DRESSES = {
    "gbk": lambda t: UNITS_TEXT.encode("gbk"),
    "gb18030": lambda t: UNITS_TEXT.encode("gb18030"),
    "utf8-no-bom": lambda t: UNITS_TEXT.encode("utf-8"),
    "utf16-excel-unicode-text": lambda t: ("\ufeff" + UNITS_TEXT.replace(",", "\t")).encode(
        "utf-16-le"
    ),
    "gzip": lambda t: gzip.compress(UNITS.read_bytes()),
    "percent-and-full-width": lambda t: _percent_and_full_width(UNITS_TEXT).encode("utf-8"),
    "crlf": lambda t: UNITS_TEXT.replace("\n", "\r\n").encode("utf-8"),
    # (Excel's "CSV (Macintosh)": a traceback before, from the header's reader)
    "cr-only-mac": lambda t: UNITS_TEXT.replace("\n", "\r").encode("gbk"),
    # (rows once used, exported as empty cells: "line 68: the department id is empty" before)
    "trailing-blank-rows": lambda t: (UNITS_TEXT + ",,,,,\n, ,,\n\n").encode("utf-8"),
}


@pytest.mark.parametrize("dress", list(DRESSES))
def test_a_table_in_spreadsheet_dress_scores_like_the_clean_one(dress, tmp_path):
    suffix = ".csv.gz" if dress == "gzip" else ".csv"
    path = write(tmp_path, f"dressed{suffix}", DRESSES[dress](tmp_path))
    assert _scored(tmp_path, path) == _scored(tmp_path, UNITS)


def test_an_excel_copy_scores_like_the_csv(tmp_path):
    path = write(tmp_path, "units.xlsx", xlsx_bytes(units_frame()))
    assert _scored(tmp_path, path) == _scored(tmp_path, UNITS)


def test_an_excel_percent_column_reads_as_shown(tmp_path):
    path = write(tmp_path, "units.xlsx", percent_xlsx())
    assert _scored(tmp_path, path) == _scored(tmp_path, UNITS)


def test_an_explicit_encoding_reads_gbk(tmp_path):
    path = write(tmp_path, "gbk.csv", UNITS_TEXT.encode("gbk"))
    assert _scored(tmp_path, path, "--encoding", "gbk") == _scored(tmp_path, UNITS)


def test_garbled_names_point_at_the_encoding(tmp_path, capsys):
    path = write(tmp_path, "big5.csv", UNITS_TEXT.encode("big5", errors="replace"))
    assert main(["score", str(path), "--rule", "hangzhou-2011"]) == 2
    err = capsys.readouterr().err
    assert "big5.csv" in err and "GB18030" in err and "--encoding" in err


def test_a_bom_before_a_toml_comment_is_ignored(tmp_path, capsys):
    text = (ROOT / "scenarios" / "hangzhou-2011.toml").read_text(encoding="utf-8")
    path = write(tmp_path, "notepad.toml", "\ufeff" + text)
    assert main(["validate", str(path)]) == 0
    assert "valid" in capsys.readouterr().out


def test_a_bom_fragment_is_read(tmp_path):
    path = write(tmp_path, "frag.toml", '\ufeff[rule.grading]\nscope = "within_class"\n')
    assert main(["validate", "hangzhou-2011", "--set", f"@{path}"]) == 0


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("88.5", 88.5),
        ("88.5%", 88.5),
        ("88.5％", 88.5),
        ("1,234.5", 1234.5),
        ("-1,234", -1234.0),
        ("１２.５", 12.5),
        (" 7 ", 7.0),
        ("1e3", 1000.0),
        ("1,2345", np.nan),
        ("12,34.5", np.nan),
        ("abc", np.nan),
        ("1_000", np.nan),
        ("%", np.nan),
        ("", np.nan),
    ],
)
def test_numbers_read_like_a_spreadsheet_shows_them(cell, value):
    got = parse_numbers(pd.Series([cell]))[0]
    assert (np.isnan(got) and np.isnan(value)) or got == value


def test_a_percent_score_in_ratings_means_points(tmp_path):
    from perfsim.empirical.data import read_ratings

    plain = write(tmp_path, "plain.csv", ratings_text())
    percent = write(
        tmp_path,
        "percent.csv",
        ratings_text(lambda rows: [r.__setitem__(7, r[7] + "%") for r in rows if r[7]]),
    )
    a, b = read_ratings(plain), read_ratings(percent)
    pd.testing.assert_frame_equal(a.frame, b.frame)


def test_the_base_ratings_table_is_valid(tmp_path):
    path = write(tmp_path, "评分.csv", ratings_text())
    assert main(empirical_argv(tmp_path, path)) == 0


def test_ratings_ended_by_cr_alone_or_by_blank_rows_are_read_like_the_clean_ones(tmp_path):
    """A ratings table saved with CR line endings ended in a traceback (csv: new-line character
    seen in unquoted field), and one with blank rows at its end was refused at them; both read
    like the clean table (a CR alone inside a line is refused naming its line: test_bad_inputs)."""
    clean = write(tmp_path, "clean.csv", ratings_text())
    mac = write(tmp_path, "mac.csv", ratings_text().replace("\n", "\r"))
    blank = write(tmp_path, "blank.csv", ratings_text() + ",,,,,,\n,,,,,,\n")  # (rows once used)
    tables = []
    for path in (clean, mac, blank):
        assert main([*empirical_argv(tmp_path, path)[:-1], "--force", "--quiet"]) == 0
        out = tmp_path / "out"
        tables.append([(out / f).read_text("utf-8-sig") for f in ("scores.csv", "raters.csv")])
    assert tables[0] == tables[1] == tables[2]


def test_degenerate_but_valid_ratings_write_no_inf(tmp_path):
    """Each rater rates one unit and the citizens disagree completely: ICC(1,k)'s interval is
    undefined, and is written as blank, not -inf."""
    path = write(
        tmp_path,
        "评分.csv",
        ratings_text(lambda rows: [r.__setitem__(4, r[4] + r[0]) for r in rows]),
    )
    assert main(empirical_argv(tmp_path, path)) == 0
    for table in (tmp_path / "out").glob("*.csv"):
        frame = pd.read_csv(table, encoding="utf-8-sig")
        numbers = frame.select_dtypes("number").to_numpy(dtype=float)
        assert not np.isinf(numbers).any(), table.name


@pytest.mark.parametrize(("cell", "fixed"), [("4,8", "4.8"), ("4，8", "4.8"), ("４，８", "4.8")])
def test_a_decimal_comma_is_told_the_number_with_a_point(cell, fixed):
    """A full-width comma was told to write 4，8 'with a point' (the raw text was fixed, not the
    normalised one)."""
    from perfsim.tables import number_problem

    said = number_problem(cell, float("nan"))
    assert said.endswith(f"write decimals with a point, e.g. {fixed}")


def test_a_workbook_of_several_sheets_says_which_one_is_read(tmp_path):
    """A 说明 sheet before the data was read in silence (and its columns then said missing); now
    a first sheet of notes (named so, or one column of text) is passed over for the first sheet
    that holds a table, and the warning says which was read. A first sheet that is a table is
    read, with the others named."""
    import warnings

    from perfsim.tables import SheetWarning, read_frame

    def read(path):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            frame = read_frame(path)
        return frame, [str(w.message) for w in caught if w.category is SheetWarning]

    path = tmp_path / "两个表.xlsx"
    with pd.ExcelWriter(path) as book:
        pd.DataFrame({"说明": ["本表为测评明细"]}).to_excel(book, sheet_name="说明", index=False)
        pd.DataFrame({"备注": ["x"]}).to_excel(book, sheet_name="附注", index=False)
        pd.DataFrame({"unit": ["A"], "score": ["1"]}).to_excel(book, sheet_name="明细", index=False)
    frame, said = read(path)
    assert list(frame.columns) == ["unit", "score"]  # the first sheet that holds a table
    assert said == [f"{path}: the first sheet, '说明', holds notes, not a table, so perfsim reads "
                    "the sheet '明细' (the others: '附注'); if the table is on another sheet, move "
                    "it to the front or save that sheet as CSV"]  # fmt: skip
    named = tmp_path / "填表说明在前.xlsx"  # notes by name, though in two columns
    with pd.ExcelWriter(named) as book:
        pd.DataFrame({"项目": ["单位"], "含义": ["被考评单位"]}).to_excel(
            book, sheet_name="填表 说明", index=False
        )
        pd.DataFrame({"unit": ["A"], "score": ["1"]}).to_excel(book, sheet_name="数据", index=False)
    assert list(read(named)[0].columns) == ["unit", "score"]
    table_first = tmp_path / "表在前.xlsx"
    with pd.ExcelWriter(table_first) as book:
        pd.DataFrame({"unit": ["A"], "score": ["1"]}).to_excel(book, sheet_name="明细", index=False)
        pd.DataFrame({"说明": ["x"]}).to_excel(book, sheet_name="说明", index=False)
    frame, said = read(table_first)
    assert list(frame.columns) == ["unit", "score"]
    assert said == [f"{table_first}: the workbook has 2 sheets and perfsim reads the first, "
                    "'明细' (the others: '说明'); if the table is on another sheet, move it to the "
                    "front or save that sheet as CSV"]  # fmt: skip
    one = tmp_path / "一个表.xlsx"
    pd.DataFrame({"unit": ["A"]}).to_excel(one, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SheetWarning)
        read_frame(one)  # one sheet: no warning
