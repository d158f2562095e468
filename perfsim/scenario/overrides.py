"""Dotted-path overrides: the one mechanism behind ``--set``, rule variants and sensitivity samples.

``rule.weights.公共服务=0.3`` sets one key of the raw scenario table; ``@FRAGMENT.toml`` sets every
key of a scenario fragment (e.g. the rater parameters that ``perfsim empirical`` calibrates). Values are read as TOML
(``0.3``, ``true``, ``"zscore"``, ``[1, 2]``), a percentage as the share it means (``40%`` is
0.4); anything that is not valid TOML is taken as a string.

Shares and weights keep summing to one the way a designer means it: when an override sets a member of
a group that is rescaled to sum to 1 (``rule.components.*.share``, the fixed weights in
``rule.weights`` and in each ``rule.weights.by_class.<class>``), the group is first rescaled to sum to
1, the overridden members take their new values, and the *other* members are rescaled so that the
group sums to 1 again ("vary one, rescale the rest"). Setting ``rule.components.社会评价.share=0.4``
in the Hangzhou rule (50/45/5) gives 40/54/6.
"""

from __future__ import annotations

import math
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ..metric_registry import metric_info
from .errors import Problem, ScenarioError, error, percent_hint
from .names import nearest
from .paths import RESERVED_WEIGHT_KEYS, split_path

#: the forms a Chinese keyboard types for the separators of ``PATH=VALUE``, ``NAME:…`` and lists
#: (``a,b``; also the enumeration comma 、): read as their ASCII forms where they separate
FULL_WIDTH = {"=": "＝", ":": "：", ",": "，、"}

#: a comparison as a Chinese keyboard (or a maths font) types it: ``class_bias＜５`` and
#: ``class_bias≤5`` read as ``class_bias<5`` and ``class_bias<=5`` (:func:`ascii_comparison`)
_COMPARISON = str.maketrans(
    {"＜": "<", "＞": ">", "＝": "=", "≤": "<=", "≥": ">=", "．": ".", "－": "-"}
    | {chr(0xFF10 + d): str(d) for d in range(10)}
)


def ascii_comparison(text: str) -> str:
    """``METRIC<VALUE`` with full-width signs and digits (and ≤, ≥) in their ASCII forms."""
    return text.translate(_COMPARISON)


def separators(sep: str) -> str:
    """``sep`` and the forms a Chinese keyboard types for it (:data:`FULL_WIDTH`)."""
    return sep + FULL_WIDTH.get(sep, "")


def partition_any(text: str, sep: str) -> tuple[str, str, str]:
    """``text.partition(sep)`` at the first ``sep`` or its full-width form (:data:`FULL_WIDTH`),
    so that ``share＝0.4`` typed on a Chinese keyboard reads as ``share=0.4``."""
    cut = [i for i in (text.find(s) for s in separators(sep)) if i >= 0]
    if not cut:
        return text, "", ""
    i = min(cut)
    return text[:i], sep, text[i + 1 :]


#: a percentage as typed (``40%``, ``40 ％``): the share it means is the number / 100
PERCENT = re.compile(r"\s*([+-]?(?:\d+\.?\d*|\.\d+))\s*[%％]\s*")


def parse_value(text: str) -> Any:
    """Read an override value as TOML, falling back to the plain string; a percentage
    (``40%``, ``40％``) is the share it means (0.4), as ``perfsim score`` reads a cell; a number
    in full-width digits (``０.６``, an input method left in full-width mode) is the number, and a
    list with full-width commas (``["优秀"，"合格"]``) the list."""
    percent = PERCENT.fullmatch(text)
    if percent:
        return float(percent.group(1)) / 100.0
    read, value = _toml(text)
    if read:
        return value
    read, number = _toml(_ascii_outside_quotes(text))
    if read and isinstance(number, int | float | list | dict) and not isinstance(number, bool):
        return number  # (also a list or table typed with full-width commas and brackets)
    return text.strip()


def bound_number(text: str, metric: str) -> float | None:
    """The number of a bound on ``metric`` (``--constraint``, ``--bound``) as typed: ``0.02``,
    full-width digits, or a percentage (``2%``, ``2％``: 0.02) where the metric is a share (its
    scale 0–1); None when it is no number. A percentage of a metric in other units (``class_bias``
    in score points, or a model's own output) raises :class:`ValueError` with the message, rather than being read as a
    hundredth of its units."""
    value = parse_value(text.strip())
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    info = metric_info(metric)  # (a metric perfsim does not know is in units of its own)
    if PERCENT.fullmatch(text) and (info is None or info.scale != "0–1"):
        raise ValueError(error("percent_not_share", value=text.strip(), metric=metric))
    return float(value)


def _ascii_outside_quotes(text: str) -> str:
    """``text`` with its full-width digits and signs in their ASCII forms (NFKC), except inside
    quoted strings, which stay as written (``["《办法》（2011）"，"乙"]``)."""
    out, quote = [], None
    for ch in text:
        if quote:
            quote = None if ch == quote else quote
            out.append(ch)
            continue
        ch = unicodedata.normalize("NFKC", ch)
        quote = ch if ch in "\"'" else None
        out.append(ch)
    return "".join(out)


def _toml(text: str) -> tuple[bool, Any]:
    """(True, the TOML value of ``text``), or (False, None) when it is not one."""
    try:
        return True, tomllib.loads(f"v = {text}")["v"]
    except (tomllib.TOMLDecodeError, RecursionError):
        return False, None


def parse_assignment(text: str, source: str = "--set") -> tuple[list[str], Any]:
    """Parse ``PATH=VALUE`` (or ``PATH＝VALUE``) into (path segments, value)."""
    path, sep, value = partition_any(text, "=")
    if not sep:
        raise ScenarioError(
            [
                Problem(
                    source,
                    text,
                    text,
                    error("set_form"),
                    False,
                )
            ]
        )
    segments = split_path(path.strip())
    if not all(segments):
        raise ScenarioError([Problem(source, path, value, error("empty_key"), False)])
    return segments, parse_value(value)


def rescaled_group(segments: list[str]) -> tuple[tuple[str, ...], str] | None:
    """If the path names a member of a sum-to-one group: (group path, member key)."""
    if len(segments) == 4 and segments[:2] == ["rule", "components"] and segments[3] == "share":
        return ("rule", "components"), segments[2]
    if (
        len(segments) == 3
        and segments[:2] == ["rule", "weights"]
        and segments[2] not in RESERVED_WEIGHT_KEYS
    ):
        return ("rule", "weights"), segments[2]
    if len(segments) == 5 and segments[:3] == ["rule", "weights", "by_class"]:
        return ("rule", "weights", "by_class", segments[3]), segments[4]
    return None


def _group_values(raw: Mapping, group: tuple[str, ...]) -> dict[str, float] | None:
    node: Any = raw
    for key in group:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    if not isinstance(node, Mapping):
        return None
    if group == ("rule", "components"):
        return {
            k: v["share"]
            for k, v in node.items()
            if isinstance(v, Mapping) and _is_number(v.get("share"))
        }
    return {k: v for k, v in node.items() if k not in RESERVED_WEIGHT_KEYS and _is_number(v)}


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


class _CopyOnWrite:
    """A shallow copy of a nested table that copies each sub-table the first time it is written
    (the untouched parts stay shared with the original, which is never modified)."""

    def __init__(self, raw: Mapping):
        self.root = dict(raw)
        self._own = {id(self.root)}

    def table(self, segments: Iterable[str], source: str, full: list[str], value: Any) -> dict:
        """The writable table at ``segments`` (created where missing)."""
        node = self.root
        done: list[str] = []
        for key in segments:
            done.append(key)
            child = node.get(key)
            if child is None:
                child = {}
            elif not isinstance(child, dict):
                where = ".".join(done)
                raise ScenarioError(
                    [Problem(source, ".".join(full), value, f"{where} is a value, not a table")]
                )
            elif id(child) not in self._own:
                child = dict(child)
            self._own.add(id(child))
            node[key] = child
            node = child
        return node


def _set(tables: _CopyOnWrite, segments: list[str], value: Any, source: str) -> None:
    tables.table(segments[:-1], source, segments, value)[segments[-1]] = value


def _assignments(text: str, source: str) -> list[tuple[list[str], Any]]:
    """``PATH=VALUE`` → one assignment; ``@FRAGMENT.toml`` → one per leaf of the fragment."""
    if not text.startswith("@"):
        return [parse_assignment(text, source)]
    path = Path(text[1:])
    if path.is_dir():
        raise ScenarioError([Problem(source, text, None, error("fragment_folder"), False)])
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ScenarioError(
            [Problem(source, text, None, error("fragment_missing"), False)]
        ) from None
    except OSError as exc:
        raise ScenarioError(
            [Problem(str(path), "", None, f"cannot read: {exc.strerror or exc}", False)]
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError) as exc:
        why = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise ScenarioError(
            [Problem(str(path), "", None, f"not valid TOML: {why}", False)]
        ) from None
    try:
        return list(_leaves(data))
    except RecursionError:
        raise ScenarioError(
            [Problem(str(path), "", None, "keys nested too deeply for a scenario fragment", False)]
        ) from None


def _leaves(table: Mapping, prefix: tuple[str, ...] = ()) -> Iterator[tuple[list[str], Any]]:
    for key, value in table.items():
        if isinstance(value, Mapping) and value:
            yield from _leaves(value, (*prefix, key))
        else:
            yield [*prefix, key], value


def apply_overrides(raw: Mapping, assignments: Iterable[str], source: str = "--set") -> dict:
    """Return a copy of ``raw`` with every ``PATH=VALUE`` assignment applied (see the module doc).

    ``raw`` is not modified; tables that no assignment touches are shared with it."""
    tables = _CopyOnWrite(raw)
    pinned: dict[tuple[str, ...], dict[str, float]] = {}
    assigned: list[list[str]] = []
    for text in assignments:
        for segments, value in _assignments(text, source):
            assigned.append(segments)
            _check_member(raw, segments, value, source)
            group = rescaled_group(segments)
            if group is not None and _is_number(value):
                if not math.isfinite(float(value)):
                    raise ScenarioError(
                        [Problem(source, ".".join(segments), value, error("finite"))]
                    )
                pinned.setdefault(group[0], {})[group[1]] = float(value)
            _set(tables, segments, value, source)
    for group, members in pinned.items():
        _rescale(raw, tables, group, members, source)
    _check_new_components(raw, tables.root, source)
    _check_common_weights(raw, tables.root, assigned, source)
    return tables.root


def _check_common_weights(
    raw: Mapping, done: Mapping, assigned: list[list[str]], source: str
) -> None:
    """A :class:`ScenarioError` for a common weight (``rule.weights.<indicator>``) set where
    every class of the rule has its own weights (``rule.weights.by_class``): it changed nothing,
    and a comparison said only that the rules were the same (Hangzhou's plan weighs each class
    on its own). The error names the class tables to change instead. An indicator the overrides
    add (``--set @file``) needs its common weight, as every indicator does: not refused."""
    rule = done.get("rule")
    weights = rule.get("weights") if isinstance(rule, Mapping) else None
    if not isinstance(weights, Mapping):
        return
    classes, by_class = rule.get("classes") or [], weights.get("by_class") or {}
    if not (isinstance(classes, list) and classes and isinstance(by_class, Mapping)):
        return
    if not all(c in by_class for c in classes):
        return  # (a class without its own table takes the common weights)
    before = (
        (raw.get("rule") or {}).get("indicators") if isinstance(raw.get("rule"), Mapping) else None
    )
    known = set(before) if isinstance(before, Mapping) else set()
    for segments in assigned:
        if len(segments) == 3 and segments[:2] == ["rule", "weights"]:
            name = segments[2]
            if name in RESERVED_WEIGHT_KEYS or name not in known:
                continue
            said = error(
                "weight_by_class", name=name, first=classes[0], classes=", ".join(classes),
                clear="--set 'rule.weights.by_class={}'",
            )  # fmt: skip
            raise ScenarioError([Problem(source, ".".join(segments), weights.get(name), said)])


def _check_new_components(raw: Mapping, done: Mapping, source: str) -> None:
    """A :class:`ScenarioError` for a component that the overrides created with no more than a
    share and that nothing can feed: no indicator names it, and the (complete) world has no rater
    group of its name. ``--set rule.components.社会评价.share=0.6`` on a rule whose components are
    named otherwise made one, and the error then blamed the world; it now lists the names."""
    rule, old, world = done.get("rule") or {}, raw.get("rule") or {}, done.get("world")
    if not isinstance(rule, Mapping) or not isinstance(old, Mapping):
        return  # (what is not a table: the scenario's own check says so, naming the key)
    before, after = old.get("components") or {}, rule.get("components") or {}
    indicators = rule.get("indicators") or {}
    complete = isinstance(world, Mapping) and bool(world.get("tasks"))  # (not a --world's part)
    raters = (world.get("raters") or {}) if complete else None
    if not all(isinstance(x, Mapping) for x in (before, after, indicators, raters or {})):
        return
    named = {i.get("component") for i in indicators.values() if isinstance(i, Mapping)}
    for name, table in after.items():
        if name in before or not isinstance(table, Mapping) or set(table) - {"share"}:
            continue
        if name in named or raters is None or name in raters:
            continue
        allowed = ", ".join(map(str, before))
        message = error("no_name", kind="component", allowed=allowed)
        raise ScenarioError([Problem(source, f"rule.components.{name}", name, message, False)])


#: tables of named entries, and what an entry is called (:func:`_check_member`)
NAMED = {
    ("rule", "indicators"): "indicator",
    ("rule", "components"): "component",
    ("rule", "adjustments"): "bonus or deduction item",
    ("rule", "rewards"): "grade",
    ("world", "tasks"): "task",
    ("world", "indicators"): "indicator",
    ("world", "raters"): "rater group",
    ("world", "classes"): "class",
    ("world", "events"): "event",
}


def _check_member(raw: Mapping, segments: list[str], value: Any, source: str) -> None:
    """An override of a key inside a named entry (``rule.components.<name>.share``) whose name
    the scenario does not have but nearly has (``社会评估`` beside ``社会评价``) is a
    :class:`ScenarioError` naming the near one: such a typo silently became a new component, and a
    later error blamed the world. A name unlike every entry creates a new entry, as any missing
    key does (``--set world.events.通报批评.probability=0.1`` adds an event)."""
    if len(segments) < 4 or tuple(segments[:2]) not in NAMED:
        return
    table = raw.get(segments[0], {})
    table = table.get(segments[1]) if isinstance(table, Mapping) else None
    if not isinstance(table, Mapping) or segments[2] in table:
        return
    close = nearest(segments[2], table, cutoff=0.6)
    if close is None:
        return
    kind = NAMED[(segments[0], segments[1])]
    raise ScenarioError(
        [
            Problem(
                source,
                ".".join(segments[:3]),
                segments[2],
                error(
                    "no_name_new_close",
                    kind=kind,
                    close=repr(close),
                    allowed=", ".join(map(str, table)),
                ),
                False,
            )
        ]
    )


def _rescale(
    raw: Mapping,
    tables: _CopyOnWrite,
    group: tuple[str, ...],
    members: dict[str, float],
    source: str,
) -> None:
    before = _group_values(raw, group) or {}
    others = {k: float(v) for k, v in before.items() if k not in members}
    total_before = sum(float(v) for v in before.values())
    pinned_total = sum(members.values())
    if pinned_total > 1 + 1e-9 and others:
        suffix = ".share" if group == ("rule", "components") else ""
        paths = [f"{'.'.join(group)}.{k}{suffix}" for k in members]
        allowed = error(
            "shares_sum_over_one" if len(paths) > 1 else "shares_over_one",
            group=".".join(group),
            others=", ".join(others),
        )
        if len(paths) == 1 and pinned_total <= 100:  # 60 for 60 %: say what to write
            allowed = percent_hint(allowed, pinned_total)
        raise ScenarioError([Problem(source, " + ".join(paths), round(pinned_total, 12), allowed)])
    if not others or total_before <= 0:
        return
    # Rescale the group to sum to 1 first (files may use points), then fit the others into 1 - pinned.
    other_total = sum(others.values())
    room = max(0.0, 1.0 - pinned_total)
    for key, value in others.items():
        new = room * value / other_total if other_total > 0 else room / len(others)
        if group == ("rule", "components"):
            _set(tables, ["rule", "components", key, "share"], new, source)
        else:
            _set(tables, [*group, key], new, source)
