"""Uncertain inputs: the ``[uncertain]`` table, each input's distribution, and the edge checks.

Every input is sampled on the unit interval u ∈ [0, 1] and mapped through the quantile function of
its scipy distribution (:attr:`Input.distribution`); see :mod:`perfsim.experiments.sensitivity`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydantic import ValidationError, field_validator
from scipy import stats

from ...scenario import Problem, ScenarioError, read_toml, resolve_path, scenario_from_dict
from ...scenario.errors import error
from ...scenario.loader import validation_problems
from ...scenario.overrides import rescaled_group, split_path
from ...scenario.paths import RESERVED_WEIGHT_KEYS, repeated_paths
from ...scenario.schema_base import Strict
from ...scenario.uncertain import UncertainInput, check_uncertain_paths

#: The source label of an [uncertain] table given as a mapping in Python (no file to name).
GIVEN_TABLE = "uncertain"

#: Unbounded distributions are cut at their TAIL and 1 − TAIL quantiles (finite Morris grid ends).
TAIL = 1e-3


def toml_value(value: Any) -> str:
    """A Python value as TOML text, so that an override ``PATH=VALUE`` reads it back unchanged."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        v = float(value)
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        items = (
            f"{json.dumps(str(k), ensure_ascii=False)} = {toml_value(v)}" for k, v in value.items()
        )
        return "{" + ", ".join(items) + "}"
    raise TypeError(f"cannot write {value!r} as TOML")


def distribution(
    kind: str,
    low: float | None = None,
    high: float | None = None,
    *,
    mean: float | None = None,
    sd: float | None = None,
    log_mean: float | None = None,
    log_sd: float | None = None,
    mode: float | None = None,
) -> Any:
    """The frozen scipy distribution that u is mapped through: of the value itself, or of ln x for
    a lognormal input; ``range`` truncates a normal or lognormal one (None for choices)."""
    if kind == "choice":
        return None
    if kind == "uniform":
        return stats.uniform(loc=low, scale=high - low)
    if kind == "triangular":
        return stats.triang((mode - low) / (high - low), loc=low, scale=high - low)
    loc, scale = (mean, sd) if kind == "normal" else (log_mean, log_sd)
    if low is None:
        return stats.norm(loc=loc, scale=scale)
    lo, hi = low, high
    if kind == "lognormal":
        lo, hi = (np.log(lo) if lo > 0 else -np.inf), np.log(hi)
    return stats.truncnorm((lo - loc) / scale, (hi - loc) / scale, loc, scale)


@dataclass(frozen=True)
class Input:
    """One uncertain input: where it goes (dotted path) and how u ∈ [0, 1] maps to its value."""

    name: str
    path: str
    kind: str  # uniform, normal, lognormal, triangular or choice
    low: float | None = None
    high: float | None = None
    mean: float | None = None
    sd: float | None = None
    log_mean: float | None = None
    log_sd: float | None = None
    mode: float | None = None
    integer: bool = False
    choices: tuple = ()
    group: str | None = None
    #: The scipy distribution of the value (of ln x when lognormal); None for choices.
    distribution: Any = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        params = ("mean", "sd", "log_mean", "log_sd", "mode")
        rv = distribution(self.kind, self.low, self.high, **{k: getattr(self, k) for k in params})
        object.__setattr__(self, "distribution", rv)

    @classmethod
    def from_spec(cls, path: str, spec: UncertainInput) -> Input:
        kind = "choice" if spec.choices is not None else (spec.distribution or "uniform")
        low, high = spec.range if spec.range is not None else (None, None)
        return cls(
            name=spec.name or path,
            path=path,
            kind=kind,
            low=low,
            high=high,
            mean=spec.mean,
            sd=spec.sd,
            log_mean=spec.log_mean,
            log_sd=spec.log_sd,
            mode=spec.mode,
            integer=spec.integer,
            choices=tuple(spec.choices or ()),
            group=spec.group,
        )

    @property
    def is_rule(self) -> bool:
        return self.path.startswith("rule.")

    @property
    def unbounded(self) -> bool:
        """A normal or lognormal input without a range (cut at its TAIL quantiles)."""
        return self.kind in ("normal", "lognormal") and self.low is None

    def describe(self) -> dict:
        """The input as a JSON-able dict (only the keys that apply)."""
        keys = ("low", "high", "mean", "sd", "log_mean", "log_sd", "mode", "group")
        out: dict[str, Any] = {"name": self.name, "path": self.path, "kind": self.kind}
        out.update({k: getattr(self, k) for k in keys if getattr(self, k) is not None})
        if self.integer:
            out["integer"] = True
        if self.choices:
            out["choices"] = list(self.choices)
        return out

    def spec_text(self) -> list | str:
        """What the scenario file says (for error messages)."""
        if self.choices:
            return list(self.choices)
        if self.kind == "uniform":
            return [self.low, self.high]
        return self.kind

    def values(self, u: NDArray[np.float64]) -> list:
        """Map unit-interval samples to values: the quantile function (module doc)."""
        u = np.asarray(u, dtype=float)
        if self.kind == "choice":
            k = len(self.choices)
            index = np.minimum(np.floor(u * k).astype(int), k - 1).clip(0)
            return [self.choices[i] for i in index]
        if self.kind == "uniform" and self.integer:
            lo, hi = math.ceil(self.low), math.floor(self.high)
            return [int(v) for v in np.minimum(np.floor(lo + u * (hi - lo + 1)), hi)]
        x = self.distribution.ppf(TAIL + (1 - 2 * TAIL) * u if self.unbounded else u)
        if self.kind == "lognormal":
            x = np.exp(x)
        if self.integer:
            return [int(v) for v in np.rint(x)]
        return [float(v) for v in x]

    def probe_values(self) -> list:
        """Values that the edge check validates: the ends, the median and the 1/π quantile (not a
        round number, so that a whole-number key shows up), or every choice."""
        if self.choices:
            return list(self.choices)
        return list(dict.fromkeys(self.values(np.array([0.0, 1.0, 0.5, 1 / math.pi]))))

    def assignment(self, value: Any) -> str:
        return f"{self.path}={toml_value(value)}"

    def label(self, value: Any) -> Any:
        """A sampled value as shown in the samples table (choices that are not text as TOML)."""
        if self.kind != "choice" or all(isinstance(c, str) for c in self.choices):
            return value
        return toml_value(value)


class UncertainTable(Strict):
    """A separate ``--uncertain`` file: the ``[uncertain]`` table of a scenario, on its own."""

    uncertain: dict[str, UncertainInput]

    @field_validator("uncertain")
    @classmethod
    def _check_paths(cls, table: dict[str, UncertainInput]) -> dict[str, UncertainInput]:
        return check_uncertain_paths(table)


def load_uncertain(source: str | Path | Mapping) -> tuple[dict[str, UncertainInput], str]:
    """Read and validate an ``[uncertain]`` table: a TOML file (with an ``[uncertain]`` table, or
    the path keys at its top level; a bundled scenario's name, as ``hangzhou-2011-uncertain``,
    names its file) or a mapping. Returns (table, source label)."""
    if isinstance(source, Mapping):
        raw, label = dict(source), GIVEN_TABLE
    else:
        label = str(source)
        raw = read_toml(resolve_path(source), bundled=False, table="uncertain")
        # (no [uncertain] table, and no top-level key that is a path: [meta] alone, a scenario)
        if "uncertain" not in raw and not any("." in str(k) for k in raw):
            message = error("uncertain_missing")
            raise ScenarioError([Problem(label, "uncertain", None, message, False)])
    wrapped = {"uncertain": raw["uncertain"] if "uncertain" in raw else raw}
    try:
        parsed = UncertainTable.model_validate(wrapped)
    except ValidationError as exc:
        raise ScenarioError(validation_problems(exc, wrapped, label)) from None
    if not parsed.uncertain:
        raise ScenarioError([Problem(label, "uncertain", {}, "declares no inputs", False)])
    return parsed.uncertain, label


def scenario_inputs(
    scenario_table: Mapping, source: str, table: Mapping, label: str
) -> tuple[tuple[Input, ...], dict]:
    """The inputs of an ``[uncertain]`` ``table`` on a resolved scenario table, checked by
    :func:`check_inputs`, and the scenario table without its ``uncertain`` key."""
    inputs = tuple(Input.from_spec(path, spec) for path, spec in table.items())
    raw = {k: v for k, v in scenario_table.items() if k != "uncertain"}
    _check_whole_groups(raw, inputs, label)
    check_inputs(raw, source, inputs, label)
    return inputs, raw


def _groups(inputs: Sequence[Input], choices: bool) -> dict[tuple[str, ...], list[Input]]:
    """The inputs of each sum-to-one group (``rule.components``, a weights table) they set
    (``choices``: those given as choices too)."""
    groups: dict[tuple[str, ...], list[Input]] = {}
    for inp in inputs:
        group = rescaled_group(split_path(inp.path))
        if group is not None and (choices or inp.kind != "choice"):
            groups.setdefault(group[0], []).append(inp)
    return groups


def _check_whole_groups(raw: Mapping, inputs: Sequence[Input], label: str) -> None:
    """Refuse uncertain shares (or weights) naming every member of their sum-to-one group: they
    are rescaled to sum to 1, so the values sampled and recorded are not the shares the runs use
    (0.633 and 0.9 ran as 0.41 and 0.59). With all but one declared, the last takes up the rest."""
    # (a member given as choices is rescaled with the others all the same)
    for group, members in _groups(inputs, choices=True).items():
        named = {split_path(m.path)[2 if group == ("rule", "components") else -1] for m in members}
        if len(members) > 1 and named >= group_members(raw, group):
            paths = ", ".join(m.path for m in members)
            said = error("whole_group", group=".".join(group), paths=paths)
            raise ScenarioError(
                [Problem(label, "uncertain", [m.path for m in members], said, False)]
            )


def check_inputs(raw: Mapping, source: str, inputs: Sequence[Input], label: str) -> None:
    """Validate, before any run, that no path is given twice (a quoted and an unquoted key name
    the same entry: the second value won, and the analysis had two inputs), that an integer
    input's range holds a whole number, that every input's extreme and inner values (every
    choice) give a valid scenario, and that the upper ends of shares declared together leave room
    for the rest."""
    twice = repeated_paths([inp.path for inp in inputs])
    if twice:
        said = error("entry_twice", paths=", ".join(twice))
        raise ScenarioError([Problem(label, "uncertain", twice, said, False)])
    for inp in inputs:
        if inp.integer and inp.low is not None and math.floor(inp.high) < math.ceil(inp.low):
            said = error("integer_range")
            raise ScenarioError(
                [Problem(label, f"uncertain.{inp.path}", [inp.low, inp.high], said)]
            )
    problems = [p for inp in inputs if (p := _edge_problem(raw, source, inp, label))]
    for members in _groups(inputs, choices=False).values():
        if len(members) < 2:
            continue
        tops = [m.assignment(m.values(np.array([1.0]))[0]) for m in members]
        try:
            scenario_from_dict(raw, source=source, overrides=tops)
        except ScenarioError as exc:
            problems.append(
                Problem(
                    label,
                    "uncertain",
                    [m.path for m in members],
                    "these members of one sum-to-one group cannot all take their upper values "
                    f"together ({exc.problems[0].message}); lower their ranges",
                    False,
                )
            )
    if problems:
        raise ScenarioError(problems)


def _edge_problem(raw: Mapping, source: str, inp: Input, label: str) -> Problem | None:
    """The first probe value of an input that gives an invalid scenario, as a problem."""
    for value in inp.probe_values():
        try:
            scenario_from_dict(raw, source=source, overrides=[inp.assignment(value)])
        except ScenarioError as exc:
            first = exc.problems[0]
            integer = first.message.startswith(error("integer")) and not inp.integer
            key = ("edge" if first.path else "edge_plain") + ("_integer" if integer else "")
            said = error(
                key, value=repr(value), path=first.path, given=repr(first.value),
                message=first.message,
            )  # fmt: skip
            return Problem(label, f"uncertain.{inp.path}", inp.spec_text(), said)
    return None


def group_members(raw: Mapping, group: tuple[str, ...]) -> set[str]:
    """The members of a sum-to-one group (``rule.components``: those with a share; a weights
    table: its indicators) in the scenario table ``raw``."""
    node: Any = raw
    for key in group:
        node = node.get(key, {}) if isinstance(node, Mapping) else {}
    if not isinstance(node, Mapping):
        return set()
    if group == ("rule", "components"):
        return {k for k, v in node.items() if isinstance(v, Mapping) and "share" in v}
    return {k for k, v in node.items() if k not in RESERVED_WEIGHT_KEYS and not isinstance(v, dict)}
