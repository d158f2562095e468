"""Builders of test tables for tests/test_bad_inputs.py and tests/test_spreadsheet_tables.py: the
bundled Hangzhou units table with edited cells, a small long ratings table, Excel and zip files."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
UNITS = ROOT / "scenarios" / "data" / "hangzhou-2011-units.csv"
UNITS_TEXT = UNITS.read_text(encoding="utf-8-sig")
HEADER = UNITS_TEXT.splitlines()[0].split(",")

# ---------------------------------------------------------------------------------------------
# Builders: each case writes its files under tmp and returns (argv, fragments the error must hold)

Case = Callable[[Path], tuple[list[str], list[str]]]


def units_text(*edits: tuple[int, str, str]) -> str:
    """The bundled Hangzhou units table with cells replaced: (data row, column, new text)."""
    lines = UNITS_TEXT.splitlines()
    rows = [line.split(",") for line in lines]
    for row, col, value in edits:
        rows[row][HEADER.index(col)] = value
    return "\n".join(",".join(r) for r in rows) + "\n"


def write(tmp: Path, name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
    path = tmp / name
    if isinstance(content, str):
        content = content.encode(encoding)
    path.write_bytes(content)
    return path


def score_argv(tmp: Path, path: Path, *extra: str) -> list[str]:
    return ["score", str(path), "--rule", "hangzhou-2011", "--out", str(tmp / "out.csv"), *extra]


def score_cell(col: str, value: str, *must: str) -> Case:
    def build(tmp: Path):
        path = write(tmp, "单位表.csv", units_text((1, col, value)))
        return score_argv(tmp, path), ["line 2", col, *must]

    return build


def score_file(name: str, content: Callable[[Path], str | bytes], *must: str, extra=()) -> Case:
    def build(tmp: Path):
        path = write(tmp, name, content(tmp))
        return score_argv(tmp, path, *extra), list(must)

    return build


def xlsx_bytes(frame: pd.DataFrame) -> bytes:
    pytest.importorskip("openpyxl")
    buf = io.BytesIO()
    frame.to_excel(buf, index=False)
    return buf.getvalue()


def xlsx_from_text(text: str) -> bytes:
    """A workbook with the CSV text's cells as they are (duplicate header names included)."""
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    for line in text.splitlines():
        book.active.append(line.split(","))
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "not a table")
    return buf.getvalue()


def percent_xlsx(mixed: bool = False) -> bytes:
    """The units table as Excel, 职能工作目标 stored as fractions shown as percents (1.0 → 100%)."""
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    frame = units_frame()
    sheet.append(list(frame.columns))
    j = list(frame.columns).index("职能工作目标")
    for r, row in enumerate(frame.itertuples(index=False), start=2):
        values: list[object] = list(row)
        for k, v in enumerate(values):
            if k > 1 and v not in ("", "false", "true"):
                values[k] = float(v)
        values[j] = float(row[j]) / 100
        sheet.append(values)
        if not (mixed and r == 5):
            sheet.cell(r, j + 1).number_format = "0.0%"
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def units_frame(*edits: tuple[int, str, str]) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(units_text(*edits)), dtype=str, keep_default_na=False)


RATING_COLUMNS = [
    "unit",
    "unit_class",
    "component",
    "rater_group",
    "rater",
    "item",
    "answer",
    "score",
]


def rating_rows() -> list[list[str]]:
    """3 units × (3 citizens answering, 3 deputies scoring) × 2 items; each rater rates each unit."""
    rows = []
    answers = ["满意", "比较满意", "基本满意"]
    for u, (unit, cls) in enumerate([("甲局", "A"), ("乙局", "A"), ("丙局", "B")]):
        for r in range(3):
            for i, item in enumerate(("服务", "效率")):
                rows.append(
                    [unit, cls, "社会评价", "市民", f"c{r}", item, answers[(u + r + i) % 3], ""]
                )
                rows.append(
                    [unit, cls, "社会评价", "代表", f"d{r}", item, "", f"{70 + 5 * u + r + i}"]
                )
    return rows


def ratings_text(
    edit: Callable[[list[list[str]]], None] | None = None, header=RATING_COLUMNS
) -> str:
    rows = rating_rows()
    if edit:
        edit(rows)
    return "\n".join(",".join(r) for r in [list(header), *rows]) + "\n"


def empirical_argv(tmp: Path, path: Path | str, *extra: str) -> list[str]:
    return ["empirical", str(path), "--reps", "2", "--out", str(tmp / "out"), "--quiet", *extra]


def ratings_case(edit, *must: str, header=RATING_COLUMNS, extra=(), encoding="utf-8") -> Case:
    def build(tmp: Path):
        path = write(tmp, "评分.csv", ratings_text(edit, header), encoding)
        return empirical_argv(tmp, path, *extra), ["评分.csv", *must]

    return build


def cell(row: int, col: str, value: str):
    def edit(rows):
        rows[row][RATING_COLUMNS.index(col)] = value

    return edit


def flag_case(*flags: str, must: list[str]) -> Case:
    def build(tmp: Path):
        path = write(tmp, "评分.csv", ratings_text())
        return empirical_argv(tmp, path, *flags), must

    return build


def rename(old: str, new: str) -> list[str]:
    return [new if c == old else c for c in RATING_COLUMNS]


def drop_units_column(col: str) -> str:
    frame = units_frame().drop(columns=[col])
    return frame.to_csv(index=False)
