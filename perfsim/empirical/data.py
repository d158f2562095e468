"""Read a long table of ratings: one row per rater × unit × item.

Columns (header names as below; order free; other columns are ignored):

``unit``         the unit (department) rated — required
``unit_class``   its class (分类), e.g. 社会服务类 — optional (``class`` is accepted too)
``rater_group``  the rater group, e.g. 市民, 人大代表, 市领导 — required
``rater``        the rater's id within the group (a respondent, a form number) — required
``component``    the rule component the rating feeds, e.g. 社会评价 — optional, default: the group
``item``         the item or indicator rated, e.g. 服务态度和效率 — optional, default ``overall``
``score``        a numeric score on ``0 … score_max`` — one of score / answer per row
``answer``       an answer on the stated scale, e.g. 满意 / 比较满意 / 基本满意 / 不满意

A score becomes ``points = 100 · score / score_max``; an answer becomes the points of its level on
the scale (default the 4-level 满意 scale of Hangzhou's social evaluation: 不满意 0, 基本满意 60,
比较满意 80, 满意 100, as in ``scenarios/hangzhou-2011.toml``). Everything downstream works on points
(0–100) and, for answers, on the level code (0 = lowest).
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..scenario import DataError
from ..scenario.errors import error
from ..scoring import CLASS_NAMES, UNIT_NAMES
from ..tables import (
    MAX_MAGNITUDE,
    at_cell,
    check_unique_columns,
    missing_columns,
    number_problem,
    parse_numbers,
    read_frame,
    reading_note,
    refuse_excel_errors,
    row_name,
)
from .notes import lines, phrase

#: Hangzhou's social-evaluation answers, lowest first, with their points (0-100).
SATISFACTION_SCALE: dict[str, float] = {
    "不满意": 0.0,
    "基本满意": 60.0,
    "比较满意": 80.0,
    "满意": 100.0,
}

REQUIRED = ("unit", "rater_group", "rater")
OPTIONAL = ("unit_class", "component", "item", "score", "answer")
ALIASES = {
    "class": "unit_class",
    "group": "rater_group",
    "rater_id": "rater",
    "indicator": "item",
    # the column names a Chinese office writes (被考评单位, 评价主体, 评价人编号, 测评项目, 得分, 评价结果)
    **dict.fromkeys(UNIT_NAMES, "unit"),
    **dict.fromkeys(CLASS_NAMES, "unit_class"),
    **dict.fromkeys(("考评部分", "考评内容"), "component"),
    **dict.fromkeys(("评价主体", "测评主体", "评价群体", "评价人类别"), "rater_group"),
    **dict.fromkeys(("评价人", "评价人编号", "评分人", "测评人", "评委"), "rater"),
    **dict.fromkeys(("测评项目", "评价项目", "项目", "指标"), "item"),
    **dict.fromkeys(("得分", "分数", "评分"), "score"),
    **dict.fromkeys(("评价结果", "评价等级", "选项", "答案", "回答"), "answer"),
}
"""Other names of the columns of a ratings table: English ones and those a Chinese office writes."""


class RatingsWarning(UserWarning):
    """Something in a ratings table that is read as given but is probably not meant: ratings left
    blank (skipped), a rater group whose scores all sit at the bottom tenth of the scale."""


COLUMNS = ("unit", "unit_class", "component", "rater_group", "rater", "item", "points", "level")


@dataclass(frozen=True)
class Scale:
    """An ordered answer scale: labels lowest first, with their points on 0–100."""

    labels: tuple[str, ...]
    points: tuple[float, ...]

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, float], source: str = "scale") -> Scale:
        if len(mapping) < 2:
            raise DataError(error("scale_two", source=source, got=dict(mapping)))
        bad = [k for k, v in mapping.items() if not np.isfinite(float(v))]
        if bad:
            raise DataError(
                error("scale_points", source=source, answer=repr(bad[0]), points=mapping[bad[0]])
            )
        items = sorted(mapping.items(), key=lambda kv: kv[1])
        pts = [float(v) for _, v in items]
        if len(set(pts)) != len(pts):
            raise DataError(error("scale_same", source=source, got=dict(mapping)))
        if pts[0] < 0 or pts[-1] > 100:
            raise DataError(error("scale_range", source=source, got=dict(mapping)))
        return cls(tuple(k for k, _ in items), tuple(pts))

    @classmethod
    def parse(cls, text: str) -> Scale:
        """``"不满意=0,基本满意=60,比较满意=80,满意=100"`` → a scale (as typed with a Chinese
        keyboard too: full-width commas, 、, ＝ and digits)."""
        mapping: dict[str, float] = {}
        for part in re.split("[,，、]", text):
            label, sep, value = part.replace("＝", "=").partition("=")
            value = unicodedata.normalize("NFKC", value)  # (the label as the answers write it)
            if label.strip() in mapping:
                raise DataError(error("scale_repeated", answer=repr(label.strip())))
            try:
                if not sep or not label.strip():
                    raise ValueError
                mapping[label.strip()] = float(value)
            except ValueError:
                raise DataError(error("scale_syntax", part=repr(part.strip()))) from None
        return cls.from_mapping(mapping, "--scale")


DEFAULT_SCALE = Scale.from_mapping(SATISFACTION_SCALE)


@dataclass
class Ratings:
    """A validated ratings table (``frame`` has the columns of :data:`COLUMNS`)."""

    frame: pd.DataFrame
    scale: Scale
    source: str = "<table>"
    score_max: float = 100.0
    notes: list[str] = field(default_factory=list)

    @property
    def units(self) -> list[str]:
        return list(dict.fromkeys(self.frame["unit"]))

    @property
    def groups(self) -> list[str]:
        return list(dict.fromkeys(self.frame["rater_group"]))

    @property
    def components(self) -> list[str]:
        return list(dict.fromkeys(self.frame["component"]))

    def unit_classes(self) -> pd.Series:
        """Class of each unit (first seen), indexed by unit."""
        return self.frame.drop_duplicates("unit").set_index("unit")["unit_class"]

    def group_component(self) -> dict[str, str]:
        return dict(self.frame.drop_duplicates("rater_group")[["rater_group", "component"]].values)

    def categorical(self, group: str) -> bool:
        """Whether the group answered on the scale (rather than with scores)."""
        return bool((self.frame.loc[self.frame["rater_group"] == group, "level"] >= 0).all())


def rating_columns(frame: pd.DataFrame) -> set[str]:
    """Which of the unit, rater, rater group, answer and score columns a table has, by their
    standard names (:data:`ALIASES`)."""
    cols = {ALIASES.get(str(c).strip(), str(c).strip()) for c in frame.columns}
    return {"unit", "rater", "rater_group", "answer", "score"} & cols


def is_long(frame: pd.DataFrame) -> bool:
    """Whether a table looks like a long ratings table (a unit column and a rater, rater group,
    answer or score column; a table missing the others is then told what it lacks)."""
    cols = rating_columns(frame)
    return "unit" in cols and len(cols) > 1


def read_ratings(
    data: pd.DataFrame | str | Path,
    *,
    scale: Scale | Mapping[str, float] | None = None,
    score_max: float = 100.0,
    encoding: str = "auto",
    source: str | None = None,
) -> Ratings:
    """Read and validate a long ratings table (CSV, CSV.GZ or Excel path, or a DataFrame).

    ``encoding``: of a CSV path (see :func:`perfsim.tables.read_table`); ``source``: the name used
    in errors (default: the path, or ``<table>``). Scores are numbers as :mod:`perfsim.tables` reads
    them (``88.5%`` = 88.5).

    Raises :class:`perfsim.scenario.DataError` naming the file, line, column, value and what is
    allowed for: a missing column, an empty unit/group/rater, a row with both a score and an
    answer, a score that is not a number or outside ``0 … score_max``, an answer not on the
    scale, a rater who rates one unit's item twice, a unit given two classes, a rater group that
    feeds two components. A rating left blank (neither score nor answer: a skipped question) is
    left out, and a :class:`RatingsWarning` says how many and where; so is a rater group whose
    scores all lie in the bottom tenth of the scale (a 0–10 scale read as 0–100?).
    Columns may carry the names a Chinese office writes (:data:`ALIASES`: 被考评单位, 评价主体,
    评价人编号, 测评项目, 得分, 评价结果, …).
    """
    if source is None:
        source = str(data) if isinstance(data, str | Path) else "<table>"
    raw = read_frame(data, encoding)
    if isinstance(scale, Mapping):
        scale = Scale.from_mapping(scale)
    scale = scale or DEFAULT_SCALE
    if not 0 < score_max <= MAX_MAGNITUDE:
        raise DataError(error("score_max", value=score_max))
    try:
        frame = _validated(raw, scale, score_max, source)
    except DataError as exc:  # (with what may explain it: a wrong encoding or a title row)
        raise DataError(reading_note(raw, str(exc))) from None
    return Ratings(frame, scale, source, score_max)


def _validated(raw: pd.DataFrame, scale: Scale, score_max: float, source: str) -> pd.DataFrame:
    frame = _renamed(raw, source)
    refuse_excel_errors(frame, source, READ, lambda col: _header(frame, col))
    out = _text_columns(frame, source)
    points, level = _points(frame, scale, score_max, source)
    out["points"] = points
    out["level"] = level
    out["rater"] = out["rater_group"] + "/" + out["rater"]
    dup = out.duplicated(["rater", "unit", "item"]).to_numpy()
    if dup.any():
        row = int(np.argmax(dup))
        r = out.iloc[row]
        raise DataError(
            error("rated_twice", source=source, row=row_name(source, row), rater=repr(r["rater"]),
                  unit=repr(r["unit"]), item=repr(r["item"]))
        )  # fmt: skip
    _one_value_each(out, "unit", "unit_class", source)
    _one_value_each(out, "rater_group", "component", source)
    blank = np.isnan(out["points"].to_numpy())
    if blank.all():  # (a misspelt answer or score column: say which, and the nearest name)
        absent = [c for c in ("answer", "score") if c not in frame.columns]
        if absent:
            missing = missing_columns(absent, [_header(frame, c) for c in frame.columns], READ)
            raise DataError(error("all_blank_column", source=source, missing=missing))
        raise DataError(error("all_blank", source=source))
    if blank.any():  # a skipped question: left out, as a survey's analysis leaves it out
        rows = np.flatnonzero(blank)
        where = lines(source, rows)
        said = phrase("blank", source=source, count=rows.size, total=blank.size, where=where)
        warnings.warn_explicit(RatingsWarning(said), RatingsWarning, "perfsim", 0)
        out = out[~blank]
    _warn_low_scores(out, score_max, source)
    return out[list(COLUMNS)].reset_index(drop=True)


#: a rater group whose every score is at most this share of the scale gets a RatingsWarning
LOW_SCALE = 0.1


def _warn_low_scores(out: pd.DataFrame, score_max: float, source: str) -> None:
    """Warn about a rater group that gave scores (not answers) all within the bottom
    :data:`LOW_SCALE` of ``0 … score_max``: most likely scores on a 0–10 scale read as 0–100."""
    scored = out[out["level"] < 0]
    for group, points in scored.groupby("rater_group", sort=False)["points"]:
        top = float(points.max()) * score_max / 100.0
        if len(points) > 1 and top <= LOW_SCALE * score_max and top > 0:
            scale = next(s for s in (5, 10, 20, 50, 100, 1000, top) if s >= top)  # a round one
            said = phrase("low_scale", source=source, group=repr(group), top=f"{top:g}",
                          most=f"{score_max:g}", scale=f"{scale:g}")  # fmt: skip
            warnings.warn_explicit(RatingsWarning(said), RatingsWarning, "perfsim", 0)


def _standard_name(column: object) -> str:
    name = str(column).strip()
    return ALIASES.get(name, name)


def _renamed(raw: pd.DataFrame, source: str) -> pd.DataFrame:
    """The table with its columns renamed to the standard names, once they are all there."""
    check_unique_columns(raw, REQUIRED + OPTIONAL, source, _standard_name)
    frame = raw.rename(columns=_standard_name)
    have = list(frame.columns)
    missing = [c for c in REQUIRED if c not in have]
    if missing:
        given = ", ".join(str(c).strip() for c in raw.columns)  # (as the file names them)
        missing = missing_columns(missing, have, REQUIRED + OPTIONAL)
        raise DataError(error("ratings_missing", source=source, missing=missing, have=given))
    if "score" not in have and "answer" not in have:
        raise DataError(
            error("no_score", source=source, have=", ".join(str(c).strip() for c in raw.columns))
        )
    if len(frame) == 0:
        raise DataError(error("no_rows", source=source))
    frame.attrs["headers"] = {_standard_name(c): str(c).strip() for c in raw.columns}
    return frame


def _header(frame: pd.DataFrame, col: str) -> str:
    """The column ``col`` as the file names it (得分 for score), for a cell's error."""
    return frame.attrs.get("headers", {}).get(col, col)


def _text(frame: pd.DataFrame, col: str, default: str = "") -> pd.Series:
    if col not in frame.columns:
        return pd.Series(default, index=frame.index)
    return frame[col].astype(str).str.strip()


#: the columns of a ratings table that are read
READ = ("unit", "unit_class", "rater_group", "rater", "item", "component", "score", "answer")


def _text_columns(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "unit": _text(frame, "unit"),
            "unit_class": _text(frame, "unit_class"),
            "rater_group": _text(frame, "rater_group"),
            "rater": _text(frame, "rater"),
            "item": _text(frame, "item", "overall").replace("", "overall"),
        }
    )
    comp = _text(frame, "component")
    out["component"] = comp.where(comp != "", out["rater_group"])
    for col in ("unit", "rater_group", "rater"):
        blank = (out[col] == "").to_numpy()
        if blank.any():
            row = int(np.argmax(blank))
            raise DataError(at_cell(source, row, _header(frame, col), error("text_empty")))
    reserved = (out["rater_group"] == "overall").to_numpy()
    if reserved.any():
        raise DataError(
            at_cell(
                source,
                int(np.argmax(reserved)),
                _header(frame, "rater_group"),
                "'overall' is reserved (it "
                "names all groups pooled in the reliability table); rename the group",
            )
        )
    return out


def _points(
    frame: pd.DataFrame, scale: Scale, score_max: float, source: str
) -> tuple[np.ndarray, np.ndarray]:
    """Points (0-100) and level codes (-1 for scores) of every rating."""
    score_text, answer_text = _text(frame, "score"), _text(frame, "answer")
    has_score, has_answer = (score_text != "").to_numpy(), (answer_text != "").to_numpy()
    both = has_score & has_answer
    if both.any():
        row = int(np.argmax(both))
        raise DataError(error("both_given", source=source, row=row_name(source, row)))
    points = np.full(len(frame), np.nan)
    level = np.full(len(frame), -1, dtype=np.int64)
    if has_score.any():
        values = parse_numbers(score_text.where(has_score, "0"))
        bad = has_score & ~((values >= 0) & (values <= score_max))
        if bad.any():
            row = int(np.argmax(bad))
            cell = score_text.iloc[row]
            what = number_problem(cell, values[row])
            if what is None:
                what = error("outside_scores", cell=cell, most=f"{score_max:g}")
                what = error("slipped", message=what) if values[row] > score_max else what
            raise DataError(at_cell(source, row, _header(frame, "score"), what))
        points[has_score] = 100.0 * values[has_score] / score_max
    if has_answer.any():
        codes = pd.Index(scale.labels).get_indexer(answer_text)
        bad = has_answer & (codes < 0)
        if bad.any():
            row = int(np.argmax(bad))
            raise DataError(
                at_cell(
                    source,
                    row,
                    _header(frame, "answer"),
                    error(
                        "not_on_scale",
                        answer=repr(answer_text.iloc[row]),
                        allowed=", ".join(scale.labels),
                    ),
                )
            )
        level[has_answer] = codes[has_answer]
        points[has_answer] = np.asarray(scale.points)[codes[has_answer]]
    return points, level


def _one_value_each(frame: pd.DataFrame, key: str, col: str, source: str) -> None:
    counts = frame.groupby(key, sort=False)[col].nunique()
    if (counts > 1).any():
        name = counts.index[int(np.argmax((counts > 1).to_numpy()))]
        values = list(dict.fromkeys(frame.loc[frame[key] == name, col]))
        first = frame.index[(frame[key] == name) & (frame[col] == values[1])][0]
        raise DataError(
            at_cell(
                source,
                first,
                col,
                f"{key} {name!r} has {col} {values[1]!r} here but "
                f"{values[0]!r} above; each {key} has one {col}",
            )
        )
