"""What a sensitivity analysis evaluates: a scenario's ``[uncertain]`` inputs on the unit
hypercube, or a Python callable with a SALib problem. The models are picklable: they travel to
worker processes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ...metric_registry import MAXIMA
from ...scenario import (
    PerfsimError,
    Problem,
    Scenario,
    ScenarioError,
    WorldSpec,
    coverage,
    no_world_error,
    resolve_scenario,
    scenario_from_dict,
    scenario_raw,
    scenario_source,
    without_translations,
)
from ...scenario.arguments import given
from ...scenario.errors import error
from ...scenario.uncertain import translated_names
from .errors import SampleError, SensitivityError
from .inputs import Input, load_uncertain, scenario_inputs


@dataclass
class ScenarioModel:
    """Evaluate unit-interval samples on a scenario: each row → overrides → a simulation → one row
    of metric means. Every row uses the same ``seed`` (common random numbers).

    The simulation is :func:`metric_means`: the engine run and metric means of
    :func:`perfsim.simulate` (the same numbers, a test checks it) without the per-department,
    per-period and confusion tables that a sample does not need — a third of simulate's time.
    """

    raw: dict
    source: str
    inputs: tuple[Input, ...]
    reps: int
    seed: int

    def overrides(self, rows: NDArray[np.float64]) -> list[list[str]]:
        """``PATH=VALUE`` assignments of each row."""
        columns = [inp.values(rows[:, i]) for i, inp in enumerate(self.inputs)]
        return [
            [inp.assignment(col[r]) for inp, col in zip(self.inputs, columns, strict=True)]
            for r in range(len(rows))
        ]

    def __call__(self, rows: NDArray[np.float64]) -> pd.DataFrame:
        means = []
        for assignments in self.overrides(np.atleast_2d(rows)):
            try:
                scenario = scenario_from_dict(self.raw, source=self.source, overrides=assignments)
                means.append(metric_means(scenario, self.reps, self.seed))
            except PerfsimError as exc:
                raise SampleError(f"sample {', '.join(assignments)}: {exc}") from None
        return pd.DataFrame(means).reset_index(drop=True)


def metric_means(scenario: Scenario, reps: int, seed: int) -> pd.Series:
    """Mean of every metric over ``reps`` replications: ``simulate(scenario, reps=reps,
    seed=seed).metrics["mean"]``, computed from the engine's blocks alone."""
    from ... import budget, engine
    from ...simulation import quiet_overflow

    budget.check(scenario, reps)  # ScenarioError naming the key when a point cannot fit
    model = engine.build(scenario)
    with quiet_overflow():  # (as simulate: numpy's warnings would print source lines)
        columns = engine.joined_metrics(engine.run_blocks(model, seed, reps))
    means = {}
    for k, v in columns.items():  # the mean over finite replications, as metrics.summarize does
        v = v[np.isfinite(v)]
        means[k] = float(v.mean()) if v.size else np.nan
    for k in MAXIMA & set(means):  # a maximum over replications, as simulate reports it
        means[k] = float(columns[k].max())
    out = pd.Series(means, name="mean")
    out.index.name = "metric"
    return out


@dataclass
class ArrayModel:
    """A callable ``f(X) → (n,) or (n, k)`` with named outputs."""

    function: Callable[[NDArray], NDArray]
    outputs: tuple[str, ...] | None = None

    def __call__(self, rows: NDArray[np.float64]) -> pd.DataFrame:
        y = np.asarray(self.function(np.atleast_2d(rows)), dtype=float)
        if y.ndim == 1:
            y = y[:, None]
        if y.ndim != 2 or y.shape[0] != len(rows):
            raise SensitivityError(
                f"the model returned shape {y.shape} for {len(rows)} samples; expected "
                f"({len(rows)},) or ({len(rows)}, k)"
            )
        names = self.outputs or (
            ("y",) if y.shape[1] == 1 else tuple(f"y{j}" for j in range(y.shape[1]))
        )
        if len(names) != y.shape[1]:
            raise SensitivityError(
                f"the model returned {y.shape[1]} outputs but {len(names)} names"
            )
        bad = ~np.isfinite(y)
        if bad.any():  # (SALib's estimators have no answer for NaN: an IndexError later)
            i, j = np.argwhere(bad)[0]
            shown = ", ".join(f"{v:.6g}" for v in np.atleast_2d(rows)[i])
            raise SensitivityError(
                f"the model returned {y[i, j]} for output {names[j]!r} at the inputs ({shown}) "
                f"({int(bad.any(axis=1).sum())} of the {len(y)} samples of its batch); a sensitivity "
                "analysis needs a finite number for every sample: return one (e.g. a bound for "
                "an outcome that is undefined there), or narrow the input ranges"
            )
        return pd.DataFrame(y, columns=list(names))


def unit_problem(inputs: Sequence[Input]) -> dict:
    """The SALib problem of scenario inputs: every input on [0, 1] (mapped by
    :meth:`Input.values`)."""
    problem: dict[str, Any] = {
        "num_vars": len(inputs),
        "names": [i.name for i in inputs],
        "bounds": [[0.0, 1.0]] * len(inputs),
    }
    if any(i.group for i in inputs):
        problem["groups"] = [i.group or i.name for i in inputs]
    return problem


def check_problem(problem: Mapping) -> dict:
    """A SALib problem given by the caller, checked, with lists and ``num_vars``."""
    names, bounds = problem.get("names"), problem.get("bounds")
    if not names or not bounds or len(names) != len(bounds):
        raise SensitivityError(
            "a SALib problem needs 'names' and 'bounds' of the same length, e.g. "
            "{'names': ['x1', 'x2'], 'bounds': [[0, 1], [0, 1]]}"
        )
    if len(set(names)) != len(names):
        raise SensitivityError("the names of a SALib problem must be distinct")
    out = {k: (list(v) if isinstance(v, list | tuple) else v) for k, v in problem.items()}
    out["num_vars"] = len(names)
    return out


def callable_name(function: Callable) -> str:
    """``module.qualname`` of a function, or of the class of a callable object (stable across
    sessions, unlike its repr), to recognise the model of a run folder."""
    name = getattr(function, "__qualname__", None) or type(function).__qualname__
    module = getattr(function, "__module__", None) or type(function).__module__
    return f"{module}.{name}"


@dataclass
class ModelSpec:
    """A model ready to evaluate, with its SALib problem."""

    evaluate: Callable[[NDArray], pd.DataFrame]
    problem: dict
    inputs: tuple[Input, ...]  # empty for a callable
    identity: dict  # what identifies the model in the run folder's hash
    info: dict  # scenario metadata for sensitivity.json

    @property
    def input_names(self) -> list[str]:
        """Names of the sampled inputs (columns of the samples table)."""
        return [i.name for i in self.inputs] if self.inputs else list(self.problem["names"])

    def samples(self, x: NDArray) -> pd.DataFrame:
        """The sample number and every sampled input's value (as the model sees it)."""
        samples = pd.DataFrame({"sample": np.arange(len(x))})
        if self.inputs:
            for j, inp in enumerate(self.inputs):
                samples[inp.name] = [inp.label(v) for v in inp.values(x[:, j])]
        else:
            for j, name in enumerate(self.problem["names"]):
                samples[name] = x[:, j]
        return samples


def model_spec(
    model: Scenario | str | Path | Callable[[NDArray], NDArray],
    problem: Mapping | None,
    outputs: Sequence[str] | None,
    uncertain: str | Path | Mapping | None,
    overrides: list[str],
    reps: int,
    seed: int,
    world: WorldSpec | None = None,
) -> ModelSpec:
    """The model to evaluate and its SALib problem: a callable with its problem, or a scenario's
    [uncertain] inputs (validated here, at the edge) on the unit hypercube."""
    if callable(model) and not isinstance(model, Scenario | str | Path):
        if problem is None:
            raise SensitivityError("a callable model needs a SALib problem dict (problem=...)")
        names = tuple(outputs) if outputs else None
        return ModelSpec(
            ArrayModel(model, names),
            check_problem(problem),
            (),
            {"callable": callable_name(model), "outputs": list(names or [])},
            {},
        )
    scenario = resolve_scenario(model, overrides, world)
    source = scenario_source(scenario)
    if scenario.world is None:
        raise no_world_error(scenario)
    if uncertain is not None:
        table, label = load_uncertain(uncertain)
    elif scenario.uncertain:
        table, label = scenario.uncertain, source
    else:
        if Path(source).stem == "hangzhou-2011":  # its bundled inputs
            message = error("no_uncertain_for", name="hangzhou-2011-uncertain")
        else:
            message = error("no_uncertain")
        raise ScenarioError([Problem(source, "uncertain", None, message, False)])
    inputs, raw = scenario_inputs(scenario_raw(scenario), source, table, label)
    # the rule's parts the simulation does not realise, also those only an uncertain input sets
    dropped = coverage.not_simulated(scenario, tuple(table))
    coverage.warn_not_simulated(source, dropped)
    return ModelSpec(
        ScenarioModel(raw, source, inputs, reps, seed),
        unit_problem(inputs),
        inputs,
        {"scenario": without_translations(raw)},  # (a translation changes no number)
        {
            "scenario": source,
            "scenario_name": scenario.name,
            "resolved_scenario": raw,
            "uncertain_source": label,
            **given(overrides, world),
            "not_simulated": [d.as_dict() for d in dropped],
            # each input's name in other languages, for reports in them (no part of the hash)
            **({"input_names": names} if (names := translated_names(table)) else {}),
        },
    )
