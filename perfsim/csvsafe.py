"""Spreadsheet-safe CSV: text cells that a spreadsheet would run as a formula (starting with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return) get a leading apostrophe, as OWASP
recommends against CSV injection; numbers are never changed. UTF-8 with a BOM, so that
spreadsheet programs show Chinese."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .io import atomic_write

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _defuse(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with formula-leading text cells (``=``, ``+``, ``-``, ``@``, tab, CR) prefixed by an
    apostrophe, in text columns, the index and the column names; numbers untouched. Returns
    ``frame`` itself when nothing needs changing."""
    text_cols = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c].dtype)]
    needs = any(isinstance(c, str) and c.startswith(_FORMULA_START) for c in frame.columns)
    needs |= any(frame[c].map(lambda v: _defuse(v) is not v).any() for c in text_cols)
    index_text = not pd.api.types.is_numeric_dtype(frame.index.dtype)
    if index_text:
        needs |= bool(frame.index.map(lambda v: _defuse(v) is not v).any())
    if not needs:
        return frame
    out = frame.copy()
    for c in text_cols:
        out[c] = out[c].map(_defuse)
    if index_text:
        out.index = out.index.map(_defuse)
    out.columns = [_defuse(c) for c in out.columns]
    return out


def to_csv(frame: pd.DataFrame, path: str | Path, *, bom: bool = True, index: bool = False) -> Path:
    """Write ``frame`` as spreadsheet-safe UTF-8 CSV (with a BOM by default, so that spreadsheet
    programs show Chinese). Not atomic by itself: use inside :func:`atomic_dir` or via
    :func:`write_csv`."""
    encoding = "utf-8-sig" if bom else "utf-8"
    spreadsheet_safe(frame).to_csv(path, index=index, encoding=encoding)
    return Path(path)


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a DataFrame as spreadsheet-safe UTF-8 CSV with BOM, atomically."""
    return atomic_write(path, lambda tmp: to_csv(frame, tmp))
