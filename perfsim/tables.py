"""Read the tables users bring (CSV, CSV.GZ, Excel) and the numbers in them, with clear errors.

Every error is a :class:`perfsim.scenario.DataError` that names the file (and line, column and cell
where there is one) and says what is allowed — never a traceback.

**Encodings.** ``encoding="auto"`` (the default) reads UTF-8 with or without a byte-order mark, then
GB18030 (a superset of GBK and GB2312, the encodings of Chinese Excel's "CSV" on Windows); a file
with a UTF-16 byte-order mark (Excel's "Unicode text") is read as UTF-16. Any Python codec name can
be given instead (``gbk``, ``big5``, ``utf-16`` …).

**Numbers.** Cells are plain numbers (``88.5``, ``-3``, ``1e3``). Two spreadsheet habits are read
too: thousands separators (``1,234.5`` → 1234.5) and a trailing percent sign (``88.5%`` → 88.5).
The percent sign is dropped, not divided by 100: in a column of points or marks (the columns perfsim
reads) ``88.5%`` almost always means 88.5 points out of 100. An Excel column formatted as percents
is read as Excel shows it (the value 0.885 shown as ``88.5%`` → 88.5), like the same cell saved as
CSV. Full-width digits and signs (``８８.５``,
``％``) are read as their ASCII forms. Every number must be finite and at most ``1e15`` in size.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import gzip
import io
import re
import unicodedata
import warnings
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from .phrases import N_, Phrase
from .scenario import DataError
from .scenario.errors import GB18030, error

#: Largest number accepted in a table (anything larger is a typo or a wrong column).
from .scenario.schema_base import MAX_MAGNITUDE, SHOWN_MAX  # (one for scenarios and tables)

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
AUTO_ENCODINGS = ("utf-8-sig", "gb18030")
_SHOWN = {"utf-8-sig": "UTF-8", "gb18030": GB18030, "utf-16": "UTF-16"}  # (as messages say)
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")


def read_table(path: str | Path, encoding: str = "auto") -> pd.DataFrame:
    """Read a CSV (``.csv``, ``.csv.gz``) or Excel (``.xlsx``, ``.xls``) table, all cells as text.

    ``encoding``: ``"auto"`` (UTF-8 with or without BOM, then GB18030) or a codec name. The
    encoding used is kept in ``frame.attrs["encoding"]`` (for CSV)."""
    p = Path(path)
    if not p.exists():
        raise DataError(error("table_not_found", path=p))
    if p.is_dir():
        raise DataError(error("table_folder", source=p))
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise DataError(error("table_unreadable", source=p, why=exc.strerror or exc)) from None
    kind = _kind(data)
    excel_name = p.suffix.lower() in EXCEL_SUFFIXES
    if excel_name or kind in ("xlsx", "xls"):
        if not excel_name:
            new = ".xlsx" if kind == "xlsx" else ".xls"
            raise DataError(
                error("excel_suffix", source=p, kind=new, suffix=p.suffix or '""',
                      renamed=f"{p.stem}{new}")
            )  # fmt: skip
        return _check_text(p, _read_excel(p, kind))
    if kind == "gzip":
        data = _gunzip(p, data)
    elif p.suffix.lower() == ".gz":
        raise DataError(error("gz_not_gzip", source=p))
    elif kind == "zip":
        raise DataError(error("zip_archive", source=p))
    text, used = _decode(p, data, encoding)
    # (Excel's "CSV (Macintosh)" ends lines with CR alone: read as line ends; a CR alone in a
    # file whose lines end otherwise splits its line, and is refused naming it)
    if "\n" not in text:
        text = text.replace("\r", "\n")
    stray = re.search(r"\r(?!\n)", text)
    if stray and '"' not in text[: stray.start()].rsplit("\n", 1)[-1]:
        line = text.count("\n", 0, stray.start()) + 1
        raise DataError(error("stray_cr", source=p, line=line))
    frame = _parse_csv(p, text, used)
    frame.attrs["encoding"] = used
    frame.attrs["header"] = next(csv.reader(io.StringIO(text), delimiter=_separator(text)), [])
    return _check_text(p, frame)


def read_frame(table, encoding: str = "auto") -> pd.DataFrame:
    """A table given as a file (:func:`read_table`) or as a caller's :class:`pandas.DataFrame`, in
    the same form: every cell text, a missing value (NaN, None, ``pd.NA``, NaT) a blank cell, as
    in a file. (``astype(str)`` alone keeps NaN as NaN under pandas 3 and writes "nan" under
    pandas 2: a blank cell that read as a value.)"""
    if isinstance(table, str | Path):
        return read_table(table, encoding)
    if not isinstance(table, pd.DataFrame):
        raise DataError(
            f"expected a table: a CSV or Excel file's path or a pandas DataFrame, got "
            f"{type(table).__name__}"
        )
    cells = table.astype(object)
    return cells.where(table.notna(), "").astype(str)


MAX_CELL = 500
"""Longest text cell (characters): a unit's name or a rater's id, not a pasted document."""


def _check_text(p: Path, frame: pd.DataFrame) -> pd.DataFrame:
    """Refuse a cell longer than :data:`MAX_CELL` characters, naming its line and column; drop
    the rows at the end whose every cell is blank (a spreadsheet's export writes ``,,,,`` for
    rows once used; the rows before keep their line numbers). Refuse lines whose cells are
    separated by full-width commas (``，``, typed with a Chinese input method): read as one cell
    and blanks, they were refused as an empty column."""
    if len(frame.columns) == 1 and str(frame.columns[0]).count("，") >= 2:  # (and the rows too)
        raise DataError(error("full_width_header", source=p))
    if len(frame) and len(frame.columns):
        cells = frame.apply(lambda c: c.astype("string").fillna("").str.strip())
        blank = (cells == "").to_numpy()
        filled = np.flatnonzero(~blank.all(axis=1))
        frame = frame.iloc[: filled[-1] + 1 if len(filled) else 0]
        parts = cells.iloc[:, 0].str.count("，").to_numpy() + 1
        typed = _full_width_line(parts, len(frame.columns)) & blank[:, 1:].all(axis=1)
        if len(frame.columns) > 1 and typed[: len(frame)].any():
            row = int(np.argmax(typed))
            why = error("full_width_commas", count=int(typed.sum()))
            raise DataError(at_cell(p, row, frame.columns[0], why))
    for column in frame.columns:
        lengths = frame[column].astype("string").str.len().fillna(0).to_numpy()
        if len(lengths) and lengths.max() > MAX_CELL:
            row = int(np.argmax(lengths))
            raise DataError(
                at_cell(
                    p,
                    row,
                    column,
                    f"a cell of {int(lengths[row]):,} characters; names and ids "
                    f"are at most {MAX_CELL} (a misplaced paste or a broken quote?)",
                )
            )
    return frame


def _full_width_line(parts, columns: int):
    """Whether a line read as one cell that splits into ``parts`` at its full-width commas (an
    int or an array) was typed with them: as many parts as the table has ``columns``, give or
    take one empty one (a footnote "注：数据来源，市考评办", or a title with a "，", is not)."""
    return parts >= max(3, columns - 1)


def _kind(data: bytes) -> str:
    """What the bytes look like: ``xlsx``, ``xls``, ``zip``, ``gzip`` or ``text``."""
    if data.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            return "xlsx"  # a damaged workbook, most likely; reported by _read_excel
        return "xlsx" if any(n.startswith("xl/") for n in names) else "zip"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    if data.startswith(b"\x1f\x8b"):
        return "gzip"
    return "text"


def _read_excel(p: Path, kind: str) -> pd.DataFrame:
    if kind not in ("xlsx", "xls"):
        if kind == "text":
            raise DataError(
                error("not_excel_text", source=p, suffix=p.suffix, renamed=f"{p.stem}.csv")
            )
        looks = "gzip" if kind == "gzip" else "zip"
        raise DataError(error("not_excel", source=p, suffix=p.suffix, looks=looks))
    try:  # pandas reads the format (xlsx or xls) from the content, whatever the extension says
        with pd.ExcelFile(p) as book:  # (opened once: its first sheet and the others' names)
            frame = pd.read_excel(book, sheet_name=0, dtype=str, keep_default_na=False)
            sheets, used = book.sheet_names, 0
            if len(sheets) > 1 and _notes_sheet(sheets[0], frame):  # 说明 before the data
                for i in range(1, len(sheets)):
                    other = pd.read_excel(book, sheet_name=i, dtype=str, keep_default_na=False)
                    if other.shape[1] >= 2:
                        frame, used = other, i
                        break
    except ImportError:
        need = "xlrd" if kind == "xls" else "openpyxl"
        raise DataError(
            f"{p}: reading this Excel file needs the {need} package (pip install {need}); or save "
            "it from Excel as .xlsx or as CSV UTF-8"
        ) from None
    except Exception as exc:  # noqa: BLE001 - a damaged workbook breaks the parser in many ways
        why = f"{type(exc).__name__}: {exc}"
        raise DataError(error("excel_damaged", source=p, why=why)) from None
    _other_sheets(p, sheets, used)
    # an error cell (#DIV/0!, #N/A) is the one cell pandas reads as NaN here (a blank one: "")
    frame = frame.where(frame.notna(), EXCEL_ERROR)
    if kind != "xlsx":
        return frame
    return _shown_percents(p, _unstored_formulas(p, frame, used), used)


#: the text an Excel error cell (#DIV/0!, #N/A, #VALUE!, …) is read as: no value of any column
EXCEL_ERROR = "#ERROR"
#: the text a formula cell without a stored result is read as (it read as a blank cell: 0 points
#: in a bonus column, "is empty" in an indicator's)
EXCEL_FORMULA = "#FORMULA"


def _unstored_formulas(p: Path, frame: pd.DataFrame, sheet: int) -> pd.DataFrame:
    """Mark (:data:`EXCEL_FORMULA`) the blank cells of ``frame`` that are formulas in the
    workbook without a stored result: a workbook written by a program (openpyxl, a script) holds
    its formulas so until Excel or WPS opens and saves it. A formula whose stored result is the
    empty text (``=IF(…, "", …)``, saved by Excel) stays blank. Only read when a cell is blank."""
    blank = frame.to_numpy(dtype=object) == ""
    if not blank.any():
        return frame
    try:
        formulas = _cell_types(p, sheet, frame.shape, data_only=False)
        stored = _cell_types(p, sheet, frame.shape, data_only=True)
    except Exception:  # noqa: BLE001 - pandas read the file; this is a refinement
        return frame
    out = frame.copy()
    for (row, j), kind in formulas.items():
        if kind == "f" and blank[row, j] and stored.get((row, j)) != "str":
            out.iat[row, j] = EXCEL_FORMULA
    return out


def _cell_types(p: Path, sheet: int, shape: tuple[int, int], data_only: bool) -> dict:
    """The type openpyxl gives each cell of the table read (row 0: the first under the header,
    the first row with a value): "f" a formula (``data_only=False``); with ``data_only``, "str"
    a formula's stored text result."""
    import openpyxl

    book = openpyxl.load_workbook(p, read_only=True, data_only=data_only)
    types, row = {}, -1  # -1: the header row not met yet
    try:
        for cells in book.worksheets[sheet].iter_rows():
            if row < 0 and not any(c.value is not None for c in cells):
                continue
            if 0 <= row < shape[0]:
                types.update({(row, j): c.data_type for j, c in enumerate(cells[: shape[1]])})
            row += 1
    finally:
        book.close()
    return types


def refuse_excel_errors(frame: pd.DataFrame, source: str, columns, header=str) -> None:
    """Refuse (:class:`DataError`, naming its row and column, ``header(column)`` as the file has
    it) an Excel error cell (:data:`EXCEL_ERROR`) or a formula without its stored result
    (:data:`EXCEL_FORMULA`) in any of the ``columns`` a reader uses: as text it became a
    department, a class, a rater or a group called "#ERROR". (A number column says so too when
    parsed: :func:`number_problem`.)"""
    for col in (c for c in dict.fromkeys(columns) if c in frame.columns):
        text = frame[col].astype(str).str.strip()
        for mark, key in (
            (EXCEL_ERROR, "cell_excel_error"),
            (EXCEL_FORMULA, "cell_formula_unstored"),
        ):
            bad = (text == mark).to_numpy()
            if bad.any():
                raise DataError(at_cell(source, int(np.argmax(bad)), header(col), error(key)))


#: the names a workbook gives a sheet of notes before its data (compared without case and spaces)
NOTES_SHEETS = ("说明", "填表说明", "填报说明", "备注", "封面", "目录", "readme", "notes",
                "instructions", "about")  # fmt: skip


def _notes_sheet(name: object, frame: pd.DataFrame) -> bool:
    """Whether a workbook's first sheet is notes rather than the table: one of
    :data:`NOTES_SHEETS` by name, or a single column (lines of text)."""
    plain = re.sub(r"\s+", "", str(name)).lower()
    return plain in NOTES_SHEETS or frame.shape[1] <= 1


class SheetWarning(UserWarning):
    """A workbook with several sheets, of which perfsim reads the first."""


#: what a workbook of several sheets is told
SHEETS = N_(
    "{path}: the workbook has {count} sheets and perfsim reads the first, {first} (the others: "
    "{others}); if the table is on another sheet, move it to the front or save that sheet as CSV"
)
#: … and one whose first sheet is notes (a 说明 sheet), the table read from a later sheet
NOTES_FIRST = N_(
    "{path}: the first sheet, {first}, holds notes, not a table, so perfsim reads the sheet "
    "{used} (the others: {others}); if the table is on another sheet, move it to the front or "
    "save that sheet as CSV"
)

NOTES_FIRST_ONLY = N_(
    "{path}: the first sheet, {first}, holds notes, not a table, so perfsim reads the other "
    "sheet, {used}"
)


def _other_sheets(p: Path, names: list[str], used: int = 0) -> None:
    """Warn when the workbook ``p`` has sheets (``names``) beside the one read, ``used`` (a 说明
    sheet before the data was read in silence, and its columns then reported missing)."""
    if len(names) < 2:
        return
    others = ", ".join(repr(n) for i, n in enumerate(names) if i not in (0, used)) or "—"
    if used:
        values = {"path": str(p), "first": repr(names[0]), "used": repr(names[used]),
                  "others": others}  # fmt: skip
        said = Phrase(NOTES_FIRST if len(names) > 2 else NOTES_FIRST_ONLY, values)
    else:
        said = Phrase(SHEETS, {"path": str(p), "count": len(names), "first": repr(names[0]),
                               "others": others})  # fmt: skip
    warnings.warn_explicit(SheetWarning(said), SheetWarning, "perfsim", 0)


def _percent_flags(p: Path, sheet: int = 0) -> list[tuple[object, list[bool]]]:
    """For each column of the sheet read: its header and, per numeric cell below, whether Excel
    formats it as a percent (value 0.885 shown as 88.5%)."""
    import openpyxl

    book = openpyxl.load_workbook(p, read_only=True, data_only=True)
    try:
        header: list[object] | None = None
        flags: list[list[bool]] = []
        for row in book.worksheets[sheet].iter_rows():
            if header is None:
                if any(c.value is not None for c in row):
                    header = [c.value for c in row]
                    flags = [[] for _ in header]
                continue
            for j, c in enumerate(row[: len(flags)]):
                if isinstance(c.value, int | float) and not isinstance(c.value, bool):
                    flags[j].append("%" in str(getattr(c, "number_format", "") or ""))
        return list(zip(header or [], flags, strict=True))
    finally:
        book.close()


def _shown_percents(p: Path, frame: pd.DataFrame, sheet: int = 0) -> pd.DataFrame:
    """Read a column that Excel shows as percents as the numbers shown (0.885 → 88.5), the way a
    percent written in a CSV cell is read."""
    try:
        columns = _percent_flags(p, sheet)
    except Exception:  # noqa: BLE001 - pandas read the file; the formats are a refinement
        return frame
    if len(columns) != len(frame.columns):
        return frame
    frame.attrs["header"] = ["" if name is None else str(name) for name, _ in columns]
    for (name, flags), col in zip(columns, frame.columns, strict=True):
        if not any(flags) or str(name).strip() != str(col).strip():
            continue
        if not all(flags):
            raise DataError(error("percent_mixed", source=p, column=col))
        cells = frame[col].astype(str).str.strip()
        values = parse_numbers(cells)
        frame[col] = [
            f"{100 * v:.12g}" if np.isfinite(v) else t for v, t in zip(values, cells, strict=True)
        ]
    return frame


def _gunzip(p: Path, data: bytes) -> bytes:
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(error("gzip_damaged", source=p, why=exc)) from None


def _decode(p: Path, data: bytes, encoding: str) -> tuple[str, str]:
    if encoding.strip().lower() == "auto":
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            tries: tuple[str, ...] = ("utf-16",)
        elif b"\x00" in data:
            raise DataError(error("nul_auto", source=p))
        else:
            tries = AUTO_ENCODINGS
    else:
        try:
            name = codecs.lookup(encoding.strip()).name
        except LookupError:
            raise DataError(error("unknown_encoding", encoding=repr(encoding))) from None
        tries = ("utf-8-sig",) if name == "utf-8" else (name,)
    failed: UnicodeDecodeError | None = None
    for enc in tries:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError as exc:
            failed = failed or exc
            continue
        if "\x00" in text:
            raise DataError(error("nul_as", source=p, encoding=_SHOWN.get(enc, enc)))
        return text, enc
    assert failed is not None
    line = data[: failed.start].count(b"\n") + 1
    byte = f"{data[failed.start]:02x}"
    if tuple(tries) == tuple(AUTO_ENCODINGS):
        raise DataError(error("cannot_decode_auto", source=p, byte=byte, line=line))
    tried = " / ".join(_SHOWN.get(e, e) for e in tries)
    raise DataError(error("cannot_decode", source=p, encoding=tried, byte=byte, line=line))


def _separator(text: str) -> str:
    """``,``, or tab or ``;`` when the header line has no comma but one of those."""
    header = text.split("\n", 1)[0]
    if "," not in header:
        return "\t" if "\t" in header else ";" if ";" in header else ","
    return ","


def _parse_csv(p: Path, text: str, encoding: str) -> pd.DataFrame:
    sep = _separator(text)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)  # a row longer than the header
            return pd.read_csv(
                io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, index_col=False
            )
    except pd.errors.EmptyDataError:
        raise DataError(error("table_empty", source=p)) from None
    except pd.errors.ParserWarning:
        raise DataError(_long_row(p, text, sep)) from None
    except (pd.errors.ParserError, ValueError) as exc:
        why = str(exc).strip()
        hint = _COMMA_HINT if "Expected" in why else ""
        if "EOF inside string" in why:
            hint = '; a quote (") that opens a cell is never closed'
        raise DataError(
            f"{p}: cannot read the table (read as {_SHOWN.get(encoding, encoding)}): {why}{hint}"
        ) from None


_COMMA_HINT = (
    "; a row with more cells than the header often holds an unquoted comma, as in 1,234.5: "
    'quote such cells ("1,234.5") or drop the thousands separator'
)


def _long_row(p: Path, text: str, sep: str) -> str:
    """The message for a row longer than the header: the header typed with full-width commas, a
    title above the column names (a first line of one name, the rows wider), or a row's unquoted
    comma."""
    rows = csv.reader(io.StringIO(text), delimiter=sep)
    header = next(rows, [])
    named = [h.strip() for h in header if h.strip()]
    for line, row in enumerate(rows, start=2):
        if len(row) > len(header):
            if len(header) == 1 and _full_width_line(header[0].count("，") + 1, len(row)):
                return error("full_width_header", source=p)  # (not a title with a "，" in it)
            if len(named) <= 1:
                title = named[0] if named else ""
                return error("title_line", source=p, title=title, line=line, cells=len(row))
            return error("long_row", source=p, line=line, cells=len(row), names=len(header))
    return error("long_row_any", source=p)


def check_unique_columns(
    frame: pd.DataFrame, used: Iterable[str], source: str, name: Callable[[str], str] = str.strip
) -> None:
    """Refuse a table in which a column that perfsim reads appears twice (``name`` maps a header
    cell to the column name perfsim uses): one copy would be silently ignored."""
    header = frame.attrs.get("header") or [str(c) for c in frame.columns]
    counts = Counter(name(str(h)) for h in header)
    for col in dict.fromkeys(used):
        if counts.get(col, 0) > 1:
            raise DataError(error("column_repeated", source=source, column=col, count=counts[col]))


def titled(frame: pd.DataFrame) -> bool:
    """Whether most of the table's column names are blank (pandas names them ``Unnamed: N``): a
    title row above the column names, most likely."""
    names = [str(c) for c in frame.columns]
    return bool(names) and sum(n.startswith("Unnamed: ") for n in names) * 2 >= len(names)


def reading_note(frame: pd.DataFrame, message: str) -> str:
    """An error ``message`` about a table, with what may explain it: most of its column names
    are blank (a title row above the column names?), or it was not read as UTF-8 (garbled
    names?); the message as it is when neither."""
    if titled(frame):
        message = error("title_row", message=message)
    used = frame.attrs.get("encoding")
    if used and used != "utf-8-sig":
        message = error("read_as", message=message, encoding=_SHOWN.get(used, used))
    return message


def parse_numbers(text: pd.Series) -> np.ndarray:
    """Cells → floats (NaN where a cell is not a number); see the module doc for what is read."""
    values = np.array(pd.to_numeric(text, errors="coerce"), dtype=float)
    retry = np.isnan(values)
    for i in np.flatnonzero(retry):
        values[i] = _lenient(str(text.iloc[i]))
    return values


def _lenient(cell: str) -> float:
    s = unicodedata.normalize("NFKC", cell).strip().replace(" ", "")
    if s.endswith("%"):
        s = s[:-1]
    if _THOUSANDS.fullmatch(s):
        s = s.replace(",", "")
    return float(s) if _NUMBER.fullmatch(s) else float("nan")


def excel_name(source) -> bool:
    """Whether ``source`` names a spreadsheet (its rows are "row N", a CSV file's "line N")."""
    return str(source).lower().endswith(EXCEL_SUFFIXES)


class RowsOf(str):
    """A table's name (a ``str``) that knows the line of each row of the part of the table read:
    its errors then name the lines of the whole file (``lines[row]``), not of the part."""

    lines: tuple[int, ...]

    def __new__(cls, source: str, lines) -> RowsOf:
        out = super().__new__(cls, source)
        out.lines = tuple(lines)
        return out

    def __getnewargs__(self) -> tuple[str, tuple[int, ...]]:  # (copied and pickled whole)
        return str(self), self.lines


def row_name(source, row: int) -> str:
    """Where data row ``row`` (0 = the first under the header) of a table is: "line N" of a CSV
    file, "row N" of a spreadsheet, as its program numbers them (the header is line or row 1;
    :class:`RowsOf`: the lines of a part of a table)."""
    line = source.lines[row] if isinstance(source, RowsOf) else row + 2
    return error("row" if excel_name(source) else "line", line=line)


def at_cell(source, row: int, column: str, message: str) -> str:
    """A problem in one cell of a table: ``{source}: line N, column 'X': {message}`` (a
    spreadsheet's "row N"; :func:`row_name`), from the template of
    :data:`perfsim.scenario.errors.ERRORS` that a terminal says again in its language."""
    return error(
        "at_cell", source=source, row=row_name(source, row), column=column, message=message
    )


def missing_columns(missing: list[str], have: list[str], read: Iterable[str]) -> str:
    """``missing column(s) 'X' (did you mean 'Y'?), …``: each missing column with the nearest
    column of the table that is not among those ``read`` (suggesting a column that is read too,
    as 创新创优 for a missing 自主创新 when a rule needs both, would only move the problem)."""
    read = set(read)
    spare = [c for c in have if c not in read]
    parts = []
    for col in missing:
        close = difflib.get_close_matches(col, spare, n=1, cutoff=0.5)
        parts.append(f"'{col}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
    return error(
        "missing_columns" if len(missing) > 1 else "missing_column", columns=", ".join(parts)
    )


def number_problem(cell: str, value: float) -> str | None:
    """Why a parsed cell is not an acceptable number (None if it is)."""
    if np.isfinite(value):
        if abs(value) > MAX_MAGNITUDE:
            return (
                f"{cell} is too large (more than {SHOWN_MAX} in size; a slipped decimal "
                "point or a wrong column?)"
            )
        return None
    if cell.strip() == "":
        return error("cell_empty")
    if cell == EXCEL_ERROR:
        return error("cell_excel_error")
    if cell == EXCEL_FORMULA:
        return error("cell_formula_unstored")
    s = cell.strip().lower()
    if s in ("nan", "inf", "-inf", "+inf", "infinity", "-infinity", "na", "n/a", "null", "none"):
        return error("cell_finite", cell=repr(cell))
    if _DECIMAL_COMMA.fullmatch(plain := unicodedata.normalize("NFKC", s)):  # (４，８ too)
        return error("cell_comma", cell=repr(cell), fixed=plain.replace(",", "."))
    if np.isinf(value) or _NUMBER.fullmatch(s):
        return error("cell_large", cell=repr(cell), most=SHOWN_MAX)
    return error("cell_number", cell=repr(cell))
