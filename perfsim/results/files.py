"""Reading and writing the JSON and CSV files of a result folder (shared by every kind)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from ..scenario import PerfsimError
from ..scenario.errors import error


class ResultFolderError(PerfsimError, FileNotFoundError):
    """A folder that is not (or no longer) a complete perfsim result folder of the kind read."""


def write_json(path: Path, data: Any) -> None:
    """``data`` as indented UTF-8 JSON (non-JSON values as text)."""
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str), encoding="utf-8")


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


#: what a damaged result file's message advises
AGAIN = error("again_run")


def damaged(file: Path, why: str, again: str = AGAIN) -> ResultFolderError:
    """The error of a result file that perfsim did not write so (emptied, edited, cut short)."""
    return ResultFolderError(error("damaged", file=file, why=why, again=again))


def checked(
    table: pd.DataFrame | None, file: Path, columns=(), numbers=(), again: str = AGAIN
) -> pd.DataFrame | None:
    """``table`` (None: a file not there) when it has ``columns`` and the cells of ``numbers``
    are numbers (or empty); else :func:`damaged`: a report of an edited file would fail half-way
    (a traceback) or show what perfsim did not compute."""
    if table is None:
        return None
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise damaged(file, error("no_column", columns=", ".join(map(str, missing))), again)
    for column in numbers:
        values = pd.to_numeric(table[column], errors="coerce")
        bad = table[column][values.isna() & table[column].notna()]
        if len(bad):
            why = error("cell_not_number", column=column, value=repr(bad.iloc[0]))
            raise damaged(file, why, again)
    return table


def read_csv(path: Path, **kwargs: Any) -> pd.DataFrame:
    """A CSV that perfsim wrote (BOM or none; an empty cell is missing, text such as "NA" is not)."""
    return pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, na_values=[""], **kwargs)


def read_csv_if(path: Path, **kwargs: Any) -> pd.DataFrame | None:
    """:func:`read_csv`, or None when the file is not there (an optional table)."""
    return read_csv(path, **kwargs) if path.is_file() else None


def read_text_if(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.is_file() else None


def pngs(folder: Path) -> list[Path]:
    """The PNG figures in ``folder``, sorted by name (none if there is no such folder)."""
    return sorted(folder.glob("*.png")) if folder.is_dir() else []


def read_table_if(path: Path) -> pd.DataFrame | None:
    """A CSV with pandas' default missing values ("NA", "nan"… too), or None when not there: how
    the sensitivity and empirical tables have always been read back."""
    if not path.is_file():
        return None
    try:
        return pd.read_csv(path, encoding="utf-8-sig")
    except pd.errors.EmptyDataError:  # an empty table (e.g. no convergence check for a small n)
        return pd.DataFrame()
