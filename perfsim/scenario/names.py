"""Checking names against the names a scenario declares, with a "did you mean" hint."""

from __future__ import annotations

import difflib

from .errors import LocatedValueError, error


def check_names(needed, given, path: str, kind: str, missing: str) -> None:
    """Every name the rule uses has a world entry at ``path``, and every entry there is used;
    ``missing``: the key of :data:`~perfsim.scenario.errors.ERRORS` saying what a name lacks
    (``{name}``, ``{path}``). A missing name near an entry the rule does not use is said as the
    slip it is (社会评估 in the rule, 社会评价 in the world)."""
    needed, given = list(needed), list(given)
    for name in needed:
        if name not in given:
            near = nearest(name, [g for g in given if g not in needed])
            said = (
                error("misspelt_name", kind=kind, name=repr(name), near=repr(near), path=path)
                if near
                else error(missing, name=repr(name), path=f'{path}."{name}"')
            )
            raise LocatedValueError(path, given, said, has_value=False)
    for name in given:
        if name not in needed:
            raise LocatedValueError(f"{path}.{name}", name, unknown_name(kind, name, needed), False)


def no_blank_names(data, paths: tuple[str, ...]):
    """``data`` (a table as read, before validation) when every name its tables at ``paths``
    (``grading.bands``: a table's list) declare has a visible character: a blank name ('' or
    spaces) would give output columns such as ``effort:`` that name nothing."""
    for path in paths:
        names = data
        for part in path.split("."):
            names = names.get(part) if isinstance(names, dict) else None
        for name in names if isinstance(names, dict | list) else ():
            if isinstance(name, str) and not name.strip():
                raise LocatedValueError(f'{path}."{name}"', name, error("blank_name"), False)
    return data


def nearest(name: str, allowed, cutoff: float = 0.5) -> str | None:
    """The name of ``allowed`` nearest to ``name`` (difflib's ratio at least ``cutoff``), or
    None: the "did you mean" of every message."""
    close = difflib.get_close_matches(str(name), [str(a) for a in allowed], n=1, cutoff=cutoff)
    return close[0] if close else None


#: Chinese words for the spelled-out choices of a rule or world file (``kind = "加分"``): an error
#: on such a value says which English word the file takes
CHINESE_CHOICES = {
    "加分": "bonus",
    "减分": "deduction",
    "扣分": "deduction",
    "四舍五入": "nearest",
    "向下取整": "floor",
    "去尾法": "floor",
    "向上取整": "ceil",
    "进一法": "ceil",
    "效益型": "benefit",
    "正向": "benefit",
    "正向指标": "benefit",
    "成本型": "cost",
    "逆向": "cost",
    "逆向指标": "cost",
    "负向指标": "cost",
    "全局": "global",
    "统一排名": "global",
    "分类": "within_class",
    "分类考评": "within_class",
    "分类排名": "within_class",
    "问卷": "survey",
    "问卷调查": "survey",
    "满意度调查": "survey",
    "专家": "panel",
    "专家评议": "panel",
    "评审组": "panel",
    "自评": "self",
    "固定": "fixed",
    "等权": "equal",
    "熵权": "entropy",
    "熵权法": "entropy",
    "层次分析": "ahp",
    "层次分析法": "ahp",
    "加权求和": "weighted_sum",
    "加权和": "weighted_sum",
    "功效系数": "efficacy",
    "功效系数法": "efficacy",
    "目标值": "target",
    "目标完成率": "target",
    "百分位": "percentile",
    "标准分": "zscore",
    "极差": "minmax",
    "棘轮": "ratchet",
}


def choice_hint(value, allowed) -> str:
    """A hint for a value that is not one of the ``allowed`` spelled-out choices: the English word
    of a Chinese one (``"加分"`` → ``'bonus'``), else the nearest allowed spelling; or ""."""
    allowed = [str(a) for a in allowed]
    word = CHINESE_CHOICES.get(str(value).strip())
    if word in allowed:
        return error("write", message="", word=repr(word), value=str(value).strip())
    close = nearest(str(value).strip().lower(), allowed, cutoff=0.6)
    return error("close", message="", close=repr(close)) if close else ""


def unknown_name(kind: str, name: str, allowed) -> str:
    allowed = [str(a) for a in allowed]
    if not allowed:
        return error("no_name_none", kind=kind)
    close = nearest(name, allowed)
    listed = ", ".join(allowed)
    if close:
        return error("no_name_close", kind=kind, close=repr(close), allowed=listed)
    return error("no_name", kind=kind, allowed=listed)
