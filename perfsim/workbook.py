"""Excel output for people: a table as an ``.xlsx`` workbook that reads at once when opened
(``perfsim score --out FILE.xlsx``), written atomically and formula-safe, as
:mod:`perfsim.io` writes CSV."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .io import atomic_write

__all__ = ["write_excel"]


def write_excel(
    frame: pd.DataFrame,
    path: str | Path,
    sheet: str = "perfsim",
    about: pd.DataFrame | None = None,
    about_sheet: str = "about",
) -> Path:
    """Write a DataFrame as a formula-safe ``.xlsx`` workbook, atomically: the header row
    frozen, each column as wide as its longest cell (a Chinese character counts two) and decimals
    shown to two places (the cells keep every digit), so that the table reads at once when
    opened; ``about``, when given, on a second sheet (what the table is and how it was made)."""

    def write(tmp: Path) -> None:
        with pd.ExcelWriter(tmp, engine="openpyxl") as book:
            _excel_sheet(book, frame, sheet)
            if about is not None:
                _excel_sheet(book, about, about_sheet)

    return atomic_write(path, write)


def _excel_sheet(book: pd.ExcelWriter, frame: pd.DataFrame, name: str) -> None:
    """``frame`` as the sheet ``name`` of ``book`` (:func:`write_excel`). A text cell that begins
    with ``=`` (which the writer would store as a formula) is stored as text with Excel's quote
    prefix; every other text as it is (a CSV's defusing apostrophe would become part of the
    text in a workbook: a unit ``-中心`` would read back as ``'-中心``)."""
    frame.to_excel(book, sheet_name=name, index=False)
    sheet = book.sheets[name]
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":  # (written from text: the frame holds no formulas)
                cell.data_type, cell.quotePrefix = "s", True
    sheet.freeze_panes = "A2"
    for i, column in enumerate(frame.columns):
        cells = [str(column), *(str(v) for v in frame[column].head(500))]
        wide = max(sum(2 if ord(ch) > 0x2E7F else 1 for ch in c) for c in cells)
        letter = sheet.cell(row=1, column=i + 1).column_letter
        sheet.column_dimensions[letter].width = min(wide + 2, 80)
        if pd.api.types.is_float_dtype(frame[column].dtype):
            for (cell,) in sheet.iter_rows(min_row=2, min_col=i + 1, max_col=i + 1):
                cell.number_format = "0.00"
