"""Levers, objectives and constraints of an optimisation, parsed from their command-line text.

A lever is an :class:`~perfsim.experiments.sensitivity.inputs.Input` (the ``[uncertain]``
machinery): the optimiser works on the unit cube u ∈ [0, 1]ᵈ and each lever maps its u to a value
by :meth:`Input.values` — a continuous range, a whole-number range, or one of a list of choices
(a normalisation, a ranking scope). Levers that set members of one sum-to-one group (component
shares, fixed weights, the weights of one class) stay on the simplex: when they name every member
of the group their values are divided by their sum; when they name some members and their sum is
above 1 they are scaled down to sum to 1; the other members are then rescaled by the override
machinery (:mod:`perfsim.scenario.overrides`). The values recorded are those after this projection.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ...i18n import metric_named
from ...metric_registry import FAMILIES, METRICS, better, metric_info
from ...scenario import Problem, ScenarioError, parse_assignment
from ...scenario.errors import error
from ...scenario.names import nearest
from ...scenario.overrides import (
    ascii_comparison,
    bound_number,
    parse_value,
    rescaled_group,
    split_path,
)
from ...scenario.paths import repeated_paths
from ..compare import split_top_level
from ..sensitivity.inputs import Input, check_inputs, group_members, toml_value

ROBUSTNESS = ("worst", "mean", "regret")
"""How an objective is summarised across the assumed worlds (``--robustness``)."""

_LEVER_HELP = error(
    "lever_form",
    example="rule.components.社会评价.share=0.3:0.6",
    another="rule.normalize.method=zscore,percentile",
)


def parse_lever(text: str) -> Input:
    """``PATH=LO:HI``, ``PATH=LO:HI:int`` or ``PATH=A,B[,C]`` → an :class:`Input`."""
    path, sep, spec = text.partition("=")
    path, spec = path.strip(), spec.strip()
    if not sep or not path or not spec:
        raise ScenarioError([Problem("--lever", text, text, _LEVER_HELP, False)])
    parts = spec.split(":")
    if len(parts) in (2, 3) and "," not in spec:
        integer = len(parts) == 3
        if integer and parts[2].strip() != "int":
            raise ScenarioError([Problem("--lever", path, spec, _LEVER_HELP)])
        # (a percentage is the share it means, 0:40% is 0 to 0.4, as --set reads it)
        low, high = (parse_value(p) for p in parts[:2])
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (low, high)):
            raise ScenarioError([Problem("--lever", path, spec, _LEVER_HELP)])
        low, high = float(low), float(high)
        if not (np.isfinite(low) and np.isfinite(high) and low < high):
            raise ScenarioError([Problem("--lever", path, spec, error("lever_range"))])
        return Input(name=path, path=path, kind="uniform", low=low, high=high, integer=integer)
    choices = [_value(v) for v in split_top_level(spec)]
    if len(choices) < 2:
        raise ScenarioError([Problem("--lever", path, spec, _LEVER_HELP)])
    keys = [(type(c) is bool, c) if isinstance(c, int | float | str) else repr(c) for c in choices]
    if len(set(keys)) < len(choices):  # (drawn twice as often, unseen; 100 and 100.0 too)
        raise ScenarioError([Problem("--lever", path, spec, error("choice_twice"))])
    return Input(name=path, path=path, kind="choice", choices=tuple(choices))


def _value(text: str) -> Any:
    return parse_assignment(f"x={text}")[1]


@dataclass(frozen=True)
class Objective:
    """A metric to minimise (``sense = 1``) or maximise (``sense = -1``)."""

    metric: str
    sense: int

    @property
    def goal(self) -> str:
        return "min" if self.sense == 1 else "max"


def parse_objective(text: str) -> Objective:
    """``METRIC``, ``METRIC:min`` or ``METRIC:max``; without a suffix the registry's direction."""
    metric, _, goal = text.strip().rpartition(":") if ":" in text else (text.strip(), "", "")
    if goal not in ("", "min", "max") and metric.strip() in FAMILIES:  # (class_gap:社会服务类)
        metric, goal = text.strip(), ""
    metric = metric_named(metric)  # (or its label: 类别偏差)
    if goal not in ("", "min", "max") or not metric:
        raise ScenarioError([Problem("--objective", text, text, error("objective_form"))])
    if metric_info(metric) is None:  # (a family's member, class_gap:X, is a metric too)
        said = _not_a_metric(metric)
        raise ScenarioError([Problem("--objective", metric, metric, said)])
    if not goal:
        direction = better(metric)
        if not direction:
            raise ScenarioError(
                [
                    Problem(
                        "--objective",
                        metric,
                        metric,
                        "this metric has no better side: say METRIC:min or METRIC:max",
                    )
                ]
            )
        goal = "max" if direction == "higher" else "min"
    return Objective(metric, 1 if goal == "min" else -1)


@dataclass(frozen=True)
class Constraint:
    """``metric < value`` or ``metric > value``, to hold in every assumed world."""

    metric: str
    op: str
    value: float

    def excess(self, worst_low: float, worst_high: float) -> float:
        """pymoo's g ≤ 0 form from the lowest and highest mean across worlds."""
        return worst_high - self.value if self.op == "<" else self.value - worst_low

    def __str__(self) -> str:
        return f"{self.metric}{self.op}{self.value:g}"


def parse_constraint(text: str) -> Constraint:
    """``METRIC<VALUE`` or ``METRIC>VALUE`` (``<=``/``>=`` read the same; a share's value may be a
    percentage, ``gaming_share<2%``)."""
    match = re.fullmatch(r"\s*([^<>=]+?)\s*([<>])=?\s*(.+?)\s*", ascii_comparison(text))
    metric = metric_named(match.group(1)) if match else ""  # (or its label: 类别偏差)
    try:
        number = bound_number(match.group(3), metric) if match else None
    except ValueError as exc:
        raise ScenarioError([Problem("--constraint", text, text, str(exc))]) from None
    if match is None or number is None or not np.isfinite(number):
        raise ScenarioError([Problem("--constraint", text, text, error("constraint_form"))])
    return Constraint(metric, match.group(2), number)


def check_names(objectives: Sequence[Objective], constraints: Sequence[Constraint]) -> None:
    """Before anything runs or is written: every constraint names a metric perfsim knows, and no
    objective is given twice (:func:`check_metrics` checks them against the reference run)."""
    problems = [
        Problem("--constraint", c.metric, c.metric, _not_a_metric(c.metric))
        for c in constraints
        if metric_info(c.metric) is None
    ]
    if len({o.metric for o in objectives}) != len(objectives):
        problems.append(Problem("--objective", "", None, error("objective_twice"), False))
    if problems:
        raise ScenarioError(problems)


def _not_a_metric(metric: str) -> str:
    """The message for a name that is no metric: the metric it is part of (``tau``:
    kendall_tau) or the nearest, and the metrics with a better side."""
    judged = [m for m in METRICS if better(m)]
    inside = [m for m in judged if metric.lower() in m]
    close = inside[0] if len(inside) == 1 else nearest(metric, judged, cutoff=0.5)
    key = "not_metric_near" if close else "not_metric"
    return error(key, close=repr(close), judged=", ".join(judged))


def check_metrics(
    objectives: Sequence[Objective],
    constraints: Sequence[Constraint],
    known: Mapping[str, float],
) -> None:
    """Every objective and constraint names a metric that the reference run wrote (``known``:
    name → its value there), with a value: one undefined in the scenario (``class_bias`` with
    one class) cannot be optimised."""
    problems = []
    for option, metric in [("--objective", o.metric) for o in objectives] + [
        ("--constraint", c.metric) for c in constraints
    ]:
        if metric not in known:
            allowed = ", ".join(k for k in known if better(k))
            problems.append(
                Problem(option, metric, metric, error("not_metric_of", allowed=allowed))
            )
        elif not np.isfinite(known[metric]):
            problems.append(
                Problem(
                    option,
                    metric,
                    metric,
                    error(
                        "metric_undefined_classes"
                        if metric.startswith("class_")
                        else "metric_undefined"
                    ),  # fmt: skip
                )
            )
    if problems:
        raise ScenarioError(problems)


def check_levers(raw: Mapping, source: str, levers: Sequence[Input]) -> None:
    """Distinct paths, and every lever's extreme and inner values (every choice) give a valid
    scenario (the check of the sensitivity inputs)."""
    if not levers:
        raise ScenarioError([Problem("--lever", "", None, error("lever_missing"), False)])
    seen = [lv.path for lv in levers]
    if repeated_paths(seen):  # ("优秀" and 优秀: one key)
        raise ScenarioError([Problem("--lever", "", seen, error("lever_twice"), False)])
    try:
        check_inputs(raw, source, levers, "--lever")
    except ScenarioError as exc:  # the sensitivity check names the [uncertain] table: not here
        problems = [
            replace(p, path=p.path.removeprefix("uncertain.")) if isinstance(p.path, str) else p
            for p in exc.problems
        ]
        raise ScenarioError(problems) from None


@dataclass(frozen=True)
class LeverSpace:
    """The levers and how a point u of the unit cube becomes ``PATH=VALUE`` overrides."""

    levers: tuple[Input, ...]
    groups: tuple[tuple[tuple[int, ...], bool], ...]  # (lever indices, whole group?)

    @classmethod
    def build(cls, raw: Mapping, levers: Sequence[Input]) -> LeverSpace:
        by_group: dict[tuple[str, ...], list[int]] = {}
        for i, lever in enumerate(levers):
            group = rescaled_group(split_path(lever.path))
            if group is not None and lever.kind != "choice":
                by_group.setdefault(group[0], []).append(i)
        groups = []
        for group, idx in by_group.items():
            named = {
                split_path(levers[i].path)[-1 if group != ("rule", "components") else 2]
                for i in idx
            }
            groups.append((tuple(idx), named >= group_members(raw, group)))
        return cls(tuple(levers), tuple(groups))

    @property
    def names(self) -> list[str]:
        return [lv.path for lv in self.levers]

    def values(self, u: Sequence[float]) -> list[Any]:
        """Each lever's value at ``u`` (share groups projected onto the simplex)."""
        values = [lv.values(np.array([x]))[0] for lv, x in zip(self.levers, u, strict=True)]
        for idx, whole in self.groups:
            total = sum(values[i] for i in idx)
            if total > 0 and (whole or total > 1):
                for i in idx:
                    values[i] = values[i] / total
        return values

    def assignments(self, u: Sequence[float]) -> list[str]:
        return [
            f"{lv.path}={toml_value(v)}" for lv, v in zip(self.levers, self.values(u), strict=True)
        ]

    def position(self, values: Sequence[Any]) -> np.ndarray:
        """The unit-cube coordinates of given lever values (a choice: the middle of its cell;
        values outside a range fall outside [0, 1])."""
        out = []
        for lever, v in zip(self.levers, values, strict=True):
            if lever.kind == "choice":
                k = len(lever.choices)
                i = lever.choices.index(v) if v in lever.choices else -1
                out.append((i + 0.5) / k if i >= 0 else np.nan)
            else:
                out.append((float(v) - lever.low) / (lever.high - lever.low))
        return np.array(out, dtype=float)


def current_values(raw: Mapping, levers: Sequence[Input]) -> list[Any]:
    """The value at each lever's path in a resolved scenario table (None where it has none)."""
    out = []
    for lever in levers:
        node: Any = raw
        for key in split_path(lever.path):
            node = node.get(key) if isinstance(node, Mapping) else None
        group = rescaled_group(split_path(lever.path))
        if group is not None and isinstance(node, int | float):
            total = _group_total(raw, group[0])
            node = node / total if total > 0 else node
        out.append(node)
    return out


def _group_total(raw: Mapping, group: tuple[str, ...]) -> float:
    node: Any = raw
    for key in group:
        node = node.get(key, {}) if isinstance(node, Mapping) else {}
    total = 0.0
    for key in group_members(raw, group):
        v = node[key]["share"] if group == ("rule", "components") else node[key]
        total += float(v) if isinstance(v, int | float) else 0.0
    return total
