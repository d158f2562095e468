"""Score a real table with a rule: ``perfsim.score(table, rule) -> DataFrame``.

The table has one row per department: an id column (default ``department``), a class column
(default ``class``) when the rule uses classes, one column per indicator, one per column component
(e.g. ``社会评价``, in its full marks), one per bonus/deduction item (blank = 0), one per veto column
(true/false, 1/0, yes/no, 是/否; blank = false), and a target column per indicator that names one.

Numbers are read as :mod:`perfsim.tables` says (``1,234.5`` and ``88.5%`` = 88.5 are accepted);
every number must be finite, and a column component's values must lie in ``0 … full_marks`` (a
slipped decimal point, 412.9 for 41.29 out of 50, is an error, not a unit ranked first).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .phrases import N_, Phrase
from .rules.grade import quota_band_floors
from .rules.pipeline import REWARD_FIELDS, CompiledRule, compile_rule, evaluate
from .scenario import DataError, Rule, Scenario, load_scenario
from .scenario.errors import error
from .tables import (
    MAX_MAGNITUDE,
    at_cell,
    check_unique_columns,
    missing_columns,
    number_problem,
    parse_numbers,
    read_frame,
    read_table,
    reading_note,
    refuse_excel_errors,
    row_name,
    titled,
)

__all__ = ["QuotaBandWarning", "SuspectValueWarning", "read_table", "score"]

_TRUE = {"true", "1", "yes", "y", "是", "t", "1.0"}
_FALSE = {"false", "0", "no", "n", "否", "f", "", "nan", "0.0"}


#: the columns of a scored table after the components (then ``vetoed`` with a veto, and the reward
#: columns), in the order :func:`score` writes them; they tell its tables (:func:`is_scored_table`)
SCORED = ("mixed", "adjustment", "total", "rank", "grade")

#: the names a Chinese office gives a table's unit and class columns (a ratings table's too:
#: :data:`perfsim.empirical.data.ALIASES`), taken when the column given is not there
UNIT_NAMES = ("单位", "单位名称", "被考评单位", "被评单位", "被评价单位")
CLASS_NAMES = ("单位类别", "类别", "分类")


def resolved_columns(frame: pd.DataFrame, id_column: str, class_column: str) -> tuple[str, str]:
    """The unit and class columns of ``frame``: those given, or when one is the default
    (``department``, ``class``) and not there, the one column of its other names (``unit`` or
    单位名称 …; ``unit_class`` or 单位类别 …). A column the user named is never replaced."""
    have = {str(c).strip() for c in frame.columns}

    def pick(given: str, default: str, names: tuple[str, ...]) -> str:
        found = [n for n in names if n in have]
        return found[0] if given == default and given not in have and len(found) == 1 else given

    return (
        pick(id_column, "department", ("unit", *UNIT_NAMES)),
        pick(class_column, "class", ("unit_class", *CLASS_NAMES)),
    )


#: what the columns of a scored table that are not the rule's own names say, as a reader of
#: another language sees them printed (``perfsim score --lang zh``; the CSV keeps these codes)
COLUMN_LABELS = {
    "department": N_("unit"),
    "class": N_("class"),
    "mixed": N_("score of the parts"),
    "adjustment": N_("bonus and deduction points"),
    "total": N_("total score"),
    "rank": N_("rank"),
    "grade": N_("grade"),
    "vetoed": N_("one-vote veto"),
    "bonus": N_("bonus award"),
    "budget_factor": N_("budget factor"),
    "promotion_weight": N_("promotion weight"),
}


def shown_table(table: pd.DataFrame) -> pd.DataFrame:
    """A scored table as a reader of the current language sees it (:mod:`perfsim.i18n`): the
    headers of :data:`COLUMN_LABELS` and the veto's yes/no translated; the numbers, names and
    grades as they are. English: the table itself (its headers are the codes)."""
    from .i18n import current_language
    from .i18n import gettext as _

    if current_language() == "en":
        return table
    shown = table.copy()
    if "vetoed" in shown:
        shown["vetoed"] = shown["vetoed"].map({True: _("yes"), False: _("no")})
    shown.columns = [_(COLUMN_LABELS[c]) if c in COLUMN_LABELS else c for c in shown.columns]
    return shown


def _header(path: Path) -> list[str]:
    """The first row of a CSV file or of an ``.xlsx`` workbook's first sheet, each label said
    back as its code (:data:`COLUMN_LABELS` in any language of the catalogue); [] when unreadable."""
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        try:
            book = load_workbook(path, read_only=True)
            row = next(book.worksheets[0].iter_rows(max_row=1, values_only=True), ())
            book.close()
        except Exception:  # not a workbook (a renamed file): not a scored table
            return []
        from .i18n import LANGUAGES, translations

        codes = {
            translations(lang).gettext(label): code
            for lang in LANGUAGES
            for code, label in COLUMN_LABELS.items()
        }
        return [codes.get(str(cell), str(cell)) for cell in row]
    try:
        with open(path, encoding="utf-8-sig") as handle:
            return handle.readline().strip().split(",")
    except (OSError, UnicodeDecodeError):
        return []


def is_scored_table(path: str | Path) -> bool:
    """Whether the file at ``path`` (CSV or ``.xlsx``) looks like a table that ``perfsim score
    --out`` wrote (its header has the scored columns and ends with the reward columns);
    ``--force`` replaces it only if perfsim also recorded it unchanged
    (:func:`perfsim.outfile.file_unchanged`)."""
    header = _header(Path(path))
    if not header:
        return False
    at = [header.index(c) if c in header else -1 for c in SCORED]
    in_order = -1 not in at and at == sorted(at)
    return in_order and header[-len(REWARD_FIELDS) :] == list(REWARD_FIELDS)


def _as_rule(rule: Rule | Scenario | str | Path) -> Rule:
    if isinstance(rule, Rule):
        return rule
    if isinstance(rule, Scenario):
        return rule.rule
    return load_scenario(rule).rule


def score(
    table: pd.DataFrame | str | Path,
    rule: Rule | Scenario | str | Path,
    *,
    id_column: str = "department",
    class_column: str = "class",
    encoding: str = "auto",
    source: str | None = None,
) -> pd.DataFrame:
    """Apply ``rule`` to a table of departments.

    ``table`` is a path (CSV, CSV.GZ or Excel; ``encoding`` as in :func:`perfsim.tables.read_table`)
    or a DataFrame; ``source`` names it in errors (default: the path, or ``<table>``).

    Returns one row per department, best first: the id, the class, each component score (0–100),
    the rater-mix score ``mixed``, net bonus/deduction points ``adjustment``, ``total``, ``rank``
    (1 = best; within class when the rule grades within class), ``grade`` (band name), with veto
    columns ``vetoed`` (True: graded by the one-vote veto, whatever its rank), and the reward
    columns ``bonus``, ``budget_factor``, ``promotion_weight``.
    """
    if source is None:
        source = str(table) if isinstance(table, str | Path) else "<table>"
    frame = read_frame(table, encoding)
    compiled = compile_rule(_as_rule(rule))
    id_column, class_column = resolved_columns(frame, id_column, class_column)
    inputs = table_inputs(frame, compiled, source, id_column, class_column)
    _check_counts(compiled, len(inputs["ids"]), source)
    ev = evaluate(compiled, **inputs["arrays"])
    _check_finite(ev, inputs["ids"], source)
    out = pd.DataFrame({id_column: _given_ids(table, id_column, inputs["ids"])})
    if inputs["class_names"] is not None:
        out[class_column] = inputs["class_names"]
    for k, name in enumerate(compiled.components):
        out[name] = ev.components[:, k]
    grades = np.array(compiled.bands, dtype=object)[ev.grade]
    for name, values in zip(
        SCORED, (ev.mixed, ev.adjustment, ev.total, ev.rank, grades), strict=True
    ):
        out[name] = values
    if "veto" in inputs["arrays"]:  # why a unit of a good rank has the veto grade
        out["vetoed"] = inputs["arrays"]["veto"]
    for k, name in enumerate(REWARD_FIELDS):
        out[name] = ev.reward[:, k]
    keys = [class_column, "rank"] if compiled.rule.grading.scope == "within_class" else ["rank"]
    out = out.sort_values(keys, kind="stable").reset_index(drop=True)
    for message in quota_band_messages(compiled, out, id_column, source):
        # lineno 0: no source line is printed, so the warning is one line on stderr
        warnings.warn_explicit(QuotaBandWarning(message), QuotaBandWarning, "perfsim", 0)
    return out


class QuotaBandWarning(UserWarning):
    """A band with a quota but no threshold went to a department below a lower band's threshold."""


#: the warning of :func:`quota_band_messages` (a :class:`perfsim.phrases.Phrase`: said again in a
#: terminal's language)
QUOTA_BAND = N_(
    "{source}: rule.grading: band {band} has a quota but no threshold, and {count} department(s) "
    "graded {band} score below the {lower} threshold {floor}: {names}; give {band} a threshold "
    "(rule.grading.thresholds.{band}) if that is not intended"
)
MORE = N_("{names} and {more} more")


def _given_ids(table, id_column: str, ids: np.ndarray):
    """The ids as the caller gave them: a DataFrame's own numbers (an id 1001 stays the integer
    1001, so that the scores merge back onto the caller's table); text ids (a file's, or a
    frame's) stripped of spaces, as read."""
    if not isinstance(table, pd.DataFrame):
        return ids
    given = table.rename(columns=lambda s: str(s).strip())[id_column]
    if pd.api.types.is_string_dtype(given) or given.dtype == object:  # text: as a file's, stripped
        return ids
    return given.reset_index(drop=True)


def quota_band_messages(
    c: CompiledRule, scored: pd.DataFrame, id_column: str, source: str
) -> list[Phrase]:
    """One message per band that has a quota but no threshold and went to departments whose total
    misses the threshold of a band below it (:func:`perfsim.rules.grade.quota_band_floors`)."""
    floors, lower = quota_band_floors(c.quotas, c.quota_counts, c.thresholds)
    messages = []
    for g, band in enumerate(c.bands):
        below = scored[(scored["grade"] == band) & (scored["total"] < floors[g])]
        if below.empty:
            continue
        shown = below.head(10)
        names: str | Phrase = ", ".join(
            f"{u} ({t:.2f})" for u, t in zip(shown[id_column], shown["total"], strict=True)
        )
        if len(below) > len(shown):
            names = Phrase(MORE, {"names": names, "more": len(below) - len(shown)})
        values = {"source": source, "band": band, "count": len(below), "names": names}
        values.update(lower=c.bands[lower[g]], floor=f"{floors[g]:g}")
        messages.append(Phrase(QUOTA_BAND, values))
    return messages


class SuspectValueWarning(UserWarning):
    """A value in a real table that is probably a typing slip (it is scored as given)."""


#: a column's odd values are suspect when at most this share of its values is odd
LONE_SHARE = 0.1


def suspect_value_messages(values: np.ndarray, c: CompiledRule, source: str) -> list[str]:
    """One message per indicator column where a few values (at most :data:`LONE_SHARE`) look
    like typing slips, scored as given but outliers that stretch the group's range and move every
    department's score:

    - negative where every other value, and the rule's bad, good and target values for the
      indicator, are ≥ 0 (a stray minus sign);
    - at most 1 where every other value is above 10 and the value × 100 lies within the others'
      range (a percentage typed as a fraction: 0.995 for 99.5 %)."""
    messages = []
    for j, name in enumerate(c.indicators):
        col = values[:, j]
        spec = c.rule.indicators[name]
        refs = [v for v in (spec.bad, spec.good, spec.target) if v is not None]
        negative = col < 0
        if _lone(negative) and min(refs, default=0) >= 0:
            messages.append(
                f"{source}: column '{name}': {_rows(source, col, negative)} negative, where the "
                f"other {int((~negative).sum())} values are ≥ 0; a stray minus sign? (scored as "
                "given)"
            )
        small = (col >= 0) & (col <= 1)
        rest = col[~small]
        if _lone(small) and rest.size and rest.min() > 10:
            scaled = col[small] * 100
            if ((scaled >= rest.min()) & (scaled <= rest.max())).all():
                messages.append(
                    f"{source}: column '{name}': {_rows(source, col, small)}, where the other "
                    f"{rest.size} values are {rest.min():g}–{rest.max():g}; a percentage typed as "
                    f"a fraction (write {scaled[0]:g} for {col[small][0]:g})? (scored as given)"
                )
    return messages


def _lone(odd: np.ndarray) -> bool:
    return bool(odd.any()) and odd.mean() <= LONE_SHARE


def _rows(source: str, col: np.ndarray, odd: np.ndarray) -> str:
    """``line 5 (-5), line 9 (-2)`` for the first five odd values, and how many more."""
    rows = np.flatnonzero(odd)
    where = ", ".join(f"{row_name(source, r)} ({col[r]:g})" for r in rows[:5])
    return where + (f" and {rows.size - 5} more" if rows.size > 5 else "")


def _check_counts(c: CompiledRule, n_units: int, source: str) -> None:
    """Quota counts (``rule.grading.quota_count``) fit the table's units."""
    counts = c.rule.grading.quota_count
    for band, count in counts.items():
        if count > n_units:
            raise DataError(
                error("quota_count_over", source=source, band=band, count=count, units=n_units,
                      most=n_units)
            )  # fmt: skip
    if sum(counts.values()) > n_units:
        raise DataError(
            error("quota_count_sum", source=source, counts=counts, total=sum(counts.values()),
                  units=n_units)
        )  # fmt: skip


def _check_finite(ev, ids: np.ndarray, source: str) -> None:
    """Refuse to print NaN or inf: name the first department whose score is not finite."""
    scores = np.column_stack([ev.components.reshape(len(ids), -1), ev.total, ev.reward])
    bad = ~np.isfinite(scores).all(axis=1)
    if bad.any():
        row = int(np.argmax(bad))
        raise DataError(
            error("no_finite_score", source=source, row=row_name(source, row), unit=repr(ids[row]))
        )


def table_inputs(
    frame: pd.DataFrame, c: CompiledRule, source: str, id_column: str, class_column: str
) -> dict:
    try:
        return _read_inputs(frame, c, source, id_column, class_column)
    except DataError as exc:  # (with what may explain it: a wrong encoding or a title row)
        raise DataError(reading_note(frame, str(exc))) from None


def _read_inputs(
    frame: pd.DataFrame, c: CompiledRule, source: str, id_column: str, class_column: str
) -> dict:
    needed = list(c.indicators) + list(c.column_names) + [t for t in c.target_columns if t]
    check_unique_columns(
        frame,
        [id_column, class_column, *needed, *c.adjustment_columns, *c.veto_columns],
        source,
    )
    frame = frame.rename(columns=lambda s: str(s).strip())
    read = [id_column, class_column, *c.adjustment_columns, *c.veto_columns, *needed]
    refuse_excel_errors(frame, source, read)
    ids = table_ids(frame, source, id_column)
    missing = [col for col in dict.fromkeys(needed) if col not in frame.columns]
    if missing:
        raise DataError(_missing_columns(source, missing, needed, list(frame.columns)))
    indicators = _numeric(frame, list(c.indicators), source)
    for message in suspect_value_messages(indicators, c, source):
        warnings.warn_explicit(SuspectValueWarning(message), SuspectValueWarning, "perfsim", 0)
    arrays: dict[str, np.ndarray | None] = {
        "indicators": indicators,
        "columns": _column_components(frame, c, source) if c.column_names else None,
    }
    class_names = None
    if c.classes and class_column in frame.columns:
        class_names = frame[class_column].str.strip().to_numpy()
        unknown = ~np.isin(class_names, c.classes)
        if unknown.any():
            row = int(np.argmax(unknown))
            raise DataError(
                at_cell(
                    source,
                    row,
                    class_column,
                    error("not_class", value=repr(class_names[row]), allowed=", ".join(c.classes)),
                )
            )
        arrays["classes"] = pd.Categorical(class_names, categories=list(c.classes)).codes.astype(
            np.intp
        )
    elif c.uses_classes:
        raise DataError(
            error("class_column", source=source, column=class_column, classes=", ".join(c.classes))
        )
    if c.adjustments:
        absent = [col for col in c.adjustment_columns if col not in frame.columns]
        if absent:
            raise DataError(
                _missing_columns(source, absent, list(c.adjustment_columns), list(frame.columns))
            )
        points = _numeric(frame, list(c.adjustment_columns), source, blank=0.0)
        if (points < 0).any():
            row, col = np.argwhere(points < 0)[0]
            raise DataError(
                at_cell(
                    source,
                    row,
                    c.adjustment_columns[col],
                    error("negative_points", points=f"{points[row, col]:g}"),
                )
            )
        arrays["adjustments"] = points
    if c.veto_columns:
        arrays["veto"] = _veto(frame, c.veto_columns, source)
    targets = [t for t in c.target_columns if t]
    if targets:
        tv = np.full((len(frame), len(c.indicators)), np.nan)
        for j, col in enumerate(c.target_columns):
            if col:
                tv[:, j] = _numeric(frame, [col], source)[:, 0]
                if (tv[:, j] <= 0).any():
                    row = int(np.argmax(tv[:, j] <= 0))
                    raise DataError(at_cell(source, row, col, error("target_positive")))
        arrays["targets"] = tv
    return {"ids": ids, "class_names": class_names, "arrays": arrays}


def table_ids(frame: pd.DataFrame, source: str, id_column: str) -> np.ndarray:
    """The ids of a table's rows, refusing an empty one and one given twice (at their lines)."""
    if id_column not in frame.columns:
        missing = _missing_columns(source, [id_column], [id_column], list(frame.columns))
        # (below a title row the names are blank: the title's hint, not --id-column's, helps)
        raise DataError(missing if titled(frame) else error("id_hint", message=missing))
    ids = frame[id_column].str.strip().to_numpy()
    if len(ids) == 0:
        raise DataError(error("no_rows", source=source))
    blank = ids == ""
    if blank.any():
        row = int(np.argmax(blank))
        raise DataError(at_cell(source, row, id_column, error("id_empty")))
    repeated = pd.Series(ids).duplicated().to_numpy()
    if repeated.any():
        row = int(np.argmax(repeated))
        first = int(np.argmax(ids == ids[row]))
        raise DataError(
            at_cell(
                source,
                row,
                id_column,
                error("id_twice", id=repr(ids[row]), row=row_name(source, first)),
            )
        )
    return ids


def _numeric(
    frame: pd.DataFrame, cols: list[str], source: str, blank: float | None = None
) -> np.ndarray:
    out = np.empty((len(frame), len(cols)))
    for j, col in enumerate(cols):
        text = frame[col].astype(str).str.strip()
        if blank is not None:
            text = text.where(text != "", str(blank))
        values = parse_numbers(text)
        bad = ~(np.abs(values) <= MAX_MAGNITUDE)
        if bad.any():
            row = int(np.argmax(bad))
            what = number_problem(text.iloc[row], values[row])
            raise DataError(at_cell(source, row, col, what))
        out[:, j] = values
    return out


def _column_components(frame: pd.DataFrame, c: CompiledRule, source: str) -> np.ndarray:
    """Column component values, each within ``0 … full_marks`` of its component."""
    values = _numeric(frame, list(c.column_names), source)
    marks = np.asarray(c.full_marks, dtype=float)
    bad = (values < 0) | (values > marks * (1 + 1e-9))
    if bad.any():
        row, j = np.argwhere(bad)[0]
        comp, col = c.column_components[j], c.column_names[j]
        cell = frame[col].iloc[row].strip()
        most = f"{marks[j]:g}"
        message = error("outside_marks", cell=cell, most=most, component=comp)
        if cell.endswith(("%", "％")):
            points = f"{values[row, j]:g}"
            message = error("percent_points", message=message, cell=cell, points=points, most=most)
        elif values[row, j] > marks[j]:
            message = error("slipped", message=message)
        raise DataError(at_cell(source, row, col, message))
    return values


def _veto(frame: pd.DataFrame, cols: tuple[str, ...], source: str) -> np.ndarray:
    out = np.zeros(len(frame), dtype=bool)
    for col in cols:
        if col not in frame.columns:
            raise DataError(_missing_columns(source, [col], list(cols), list(frame.columns)))
        text = frame[col].astype(str).str.strip().str.lower()
        is_true = text.isin(_TRUE).to_numpy()
        is_false = text.isin(_FALSE).to_numpy()
        bad = ~(is_true | is_false)
        if bad.any():
            row = int(np.argmax(bad))
            raise DataError(
                at_cell(
                    source,
                    row,
                    col,
                    error("veto_flag", value=repr(frame[col].iloc[row])),
                )
            )
        out |= is_true
    return out


def _missing_columns(source: str, missing: list[str], needed: list[str], have: list[str]) -> str:
    """The error for columns the rule needs and the table lacks (:func:`perfsim.tables.missing_columns`)."""
    return error(
        "rule_missing",
        source=source,
        missing=missing_columns(missing, have, needed),
        needed=", ".join(dict.fromkeys(needed)),
        have=", ".join(have),
    )
