"""Global sensitivity analysis: which rule choices and which assumptions drive each metric.

``run_sensitivity(scenario)`` (``perfsim.sensitivity``) reads the scenario's ``[uncertain]`` inputs,
builds a SALib problem, draws a sample, evaluates every sample through the engine and analyses
every output metric with SALib (Herman & Usher 2017, Iwanaga et al. 2022), confidence intervals
included. Any Python callable ``f(X: (n, d)) → (n,) or (n, k)`` with a SALib problem dict can be the
model instead of a scenario (that is how SALib's test functions validate the machinery).

Methods (what ``n`` means; model runs for d inputs, or d groups):

=========  ==============================================  ===================  ===================
method     sample → analysis                               n                    runs
=========  ==============================================  ===================  ===================
sobol      Saltelli/Sobol' (``SALib.sample.sobol``) →      base sample N,       N(d+2), or N(2d+2)
           ``sobol.analyze``: S1, ST (and S2)              a power of two       with second order
morris     Morris trajectories, 4 levels → μ*, μ, σ        trajectories r       r(d+1)
fast       extended FAST (M = 4) → S1, ST                  per input, > 64      N·d
delta      Latin hypercube → δ (Borgonovo) and S1          sample size          N
lhs        Latin hypercube → δ and S1, as ``delta``; the   sample size          N
           name for a space-filling sample meant for
           rule-space exploration (``bounds``)
=========  ==============================================  ===================  ===================

Sobol' indices (Sobol' 2001; Saltelli et al. 2010): ``S1_i = V[E(Y|X_i)] / V(Y)`` is the share of
the variance of a metric explained by input i alone, ``ST_i = E[V(Y|X_~i)] / V(Y)`` the share that
disappears when only i is fixed (alone and in interactions); ``ST − S1`` measures interactions.
Morris (1991; Campolongo et al. 2007): μ* is the mean absolute elementary effect — the change of
the metric (in its own unit) when the input moves 2/3 of its range (on the quantile scale below),
divided by 2/3 — and σ its spread across the trajectories (non-linearity or interaction).
Borgonovo's δ (2007) is moment-independent: half the expected L1 distance between the
unconditional density of the metric and its density given the input. Confidence intervals are 95 %
bootstrap intervals (``*_conf`` in SALib, ``confidence`` here: the half-width).

**Inputs.** ``[uncertain."<dotted path>"]`` declares a uniform ``range``, a distribution (normal,
lognormal, triangular; normal and lognormal may be truncated to ``range``) or ``choices``. perfsim
samples every input on the unit interval u ∈ [0, 1] (the SALib problem has unit bounds) and maps u
through the input's quantile function; unbounded distributions are truncated at their 0.1 % and
99.9 % quantiles, so that Morris's grid ends (u = 0 and 1) are finite. ``integer = true`` rounds
(uniform integer ranges give every whole number the same probability).

**Categorical inputs** (``choices = [a, b, c]``: a normalisation method, global vs within-class
ranking) are sampled as a uniform index on [0, k), floored to a choice: choice ``min(⌊k·u⌋, k − 1)``.
Each choice therefore has probability 1/k, and a Sobol' or δ index of a categorical input measures
the effect of switching among the listed choices with equal probability — not of any one switch,
and it changes if choices are added, dropped or repeated. For Morris and FAST the order of the list
matters: an elementary effect moves u by 2/3, so with three choices it compares the first with the
third and the second with the third, never the first with the second, and FAST's search curve
visits the choices in list order; read their categorical indices as screening only.

**Weights and shares on the simplex.** Declaring ``rule.components.<c>.share``,
``rule.weights.<indicator>`` or ``rule.weights.by_class.<class>.<indicator>`` uses the override
mechanism's *vary one, rescale the rest*: the sampled value is the member's share of 1 and the other
members of its group keep their proportions. The index of such a share therefore measures moving
weight to (or from) that member *at the expense of the others in proportion* — a substitution, not
the effect of the member in isolation. Declaring several members of one group sets them all and
rescales the rest into what is left (their upper ends must then sum to at most 1); declaring every
member of a group lets the engine rescale them to sum to 1.

**Common random numbers.** Every sample is simulated with the same ``seed`` (and ``reps``
replications): two samples see the same departments and the same noise, so differences between
samples come from the inputs, not from Monte Carlo noise, and indices need far fewer replications.

**Run folder** (``out``): ``sensitivity.json`` (method, N, seed, reps, problem, inputs, notes,
convergence, perfsim version, and a hash of problem and sample), ``chunks/chunk-00000.parquet`` (numbered) (or
``.csv`` without pyarrow; one file per finished chunk of samples, written atomically as it
finishes), ``indices.csv`` (tidy: metric, input, index, value, confidence), ``samples.parquet``
(every sample's inputs and outputs), ``convergence.csv``, ``figures/`` and, with ``bounds``,
``region.csv`` and ``region.txt`` (:mod:`perfsim.experiments.discovery`). Rerunning into the same
folder (or ``resume=True``) skips the chunks already there, after checking the hash; results are
identical whatever the executor, the number of workers or the interruptions.

**Safeguards.** Sobol' N is rounded up to a power of two (Sobol' sequences are balanced only
there); the second-order setting of the analysis is the one used for sampling; notes flag indices
that are negative beyond their interval and intervals wider than their index; a convergence check
recomputes the indices on the first N/4 and N/2 of the sample (nested for Sobol', Morris and the
Latin hypercube; not available for FAST) and reports the largest change, with the N that would
bring it under 0.05 (Monte Carlo error falls as 1/√N).
"""

from __future__ import annotations

import hashlib
import json
import math
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import field_validator
from scipy import stats

from ..io import atomic_write, write_csv
from ..scenario import (
    PerfsimError,
    Problem,
    Scenario,
    ScenarioError,
    load_scenario,
    read_toml,
    resolve_path,
    scenario_from_dict,
    scenario_raw,
    scenario_source,
)
from ..scenario.overrides import _rescaled_group, split_path
from ..scenario.schema import UncertainInput, check_uncertain_paths
from ..scenario.schema_base import Strict
from .executors import Executor, make_executor, single_blas_thread

METHODS = ("sobol", "morris", "fast", "delta", "lhs")
DEFAULT_N = {"sobol": 256, "morris": 20, "fast": 256, "delta": 512, "lhs": 512}
#: The index that ranks inputs for each method (tables, heatmap, convergence, CLI summary).
MAIN_INDEX = {"sobol": "ST", "morris": "mu_star", "fast": "ST", "delta": "delta", "lhs": "delta"}
MORRIS_LEVELS = 4
FAST_M = 4
TAIL = 1e-3
CHUNK_SIZE = 64
RESAMPLES = 100
CONFIDENCE = 0.95
TOLERANCE = 0.05


class SensitivityError(PerfsimError, ValueError):
    """A sensitivity analysis that cannot run as asked (bad method, size, folder or bound)."""


class SampleError(PerfsimError):
    """A sample whose scenario cannot be simulated (raised in a worker; carries the message)."""


# ----------------------------------------------------------------------------------------------
# Inputs


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
        if self.kind == "uniform":
            x = self.low + u * (self.high - self.low)
        elif self.kind == "triangular":
            c = (self.mode - self.low) / (self.high - self.low)
            x = stats.triang.ppf(u, c, loc=self.low, scale=self.high - self.low)
        else:
            loc, scale = (
                (self.mean, self.sd) if self.kind == "normal" else (self.log_mean, self.log_sd)
            )
            if self.low is None:
                x = stats.norm.ppf(TAIL + (1 - 2 * TAIL) * u, loc=loc, scale=scale)
            else:
                lo, hi = self.low, self.high
                if self.kind == "lognormal":
                    lo, hi = (np.log(lo) if lo > 0 else -np.inf), np.log(hi)
                x = stats.truncnorm.ppf(u, (lo - loc) / scale, (hi - loc) / scale, loc, scale)
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
    the path keys at its top level) or a mapping. Returns (table, source label)."""
    from pydantic import ValidationError

    from ..scenario.loader import _problems

    if isinstance(source, Mapping):
        raw, label = dict(source), "uncertain"
    else:
        label = str(source)
        raw = read_toml(source)
    wrapped = {"uncertain": raw["uncertain"] if "uncertain" in raw else raw}
    try:
        parsed = UncertainTable.model_validate(wrapped)
    except ValidationError as exc:
        raise ScenarioError(_problems(exc, wrapped, label)) from None
    if not parsed.uncertain:
        raise ScenarioError([Problem(label, "uncertain", {}, "declares no inputs", False)])
    return parsed.uncertain, label


def check_inputs(raw: Mapping, source: str, inputs: Sequence[Input], label: str) -> None:
    """Validate, before any run, that every input's extreme and inner values (every choice) give a
    valid scenario, and that the upper ends of shares declared together leave room for the rest."""
    problems = []
    for inp in inputs:
        for value in inp.probe_values():
            try:
                scenario_from_dict(raw, source=source, overrides=[inp.assignment(value)])
            except ScenarioError as exc:
                first = exc.problems[0]
                hint = ""
                if "integer" in first.message and not inp.integer:
                    hint = " (declare integer = true to round the sampled values)"
                where = f"{first.path} = {first.value!r}: " if first.path else ""
                problems.append(
                    Problem(
                        label,
                        f"uncertain.{inp.path}",
                        inp.spec_text(),
                        f"the value {value!r} is not allowed: {where}{first.message}{hint}",
                    )
                )
                break
    groups: dict[tuple[str, ...], list[Input]] = {}
    for inp in inputs:
        group = _rescaled_group(split_path(inp.path))
        if group is not None and inp.kind != "choice":
            groups.setdefault(group[0], []).append(inp)
    for members in groups.values():
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


# ----------------------------------------------------------------------------------------------
# Models (picklable: they travel to worker processes)


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
    from .. import budget, engine

    budget.check(scenario, reps)  # ScenarioError naming the key when a point cannot fit
    model = engine.build(scenario)
    blocks = engine.run_blocks(model, seed, reps)
    names = list(blocks[-1].metrics)
    means = {}
    for k in names:  # the mean over finite replications, as metrics.summarize computes it
        v = np.concatenate([b.metrics[k] for b in blocks])
        v = v[np.isfinite(v)]
        means[k] = float(v.mean()) if v.size else np.nan
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
        return pd.DataFrame(y, columns=list(names))


# ----------------------------------------------------------------------------------------------
# SALib: problem, sample, analysis


def unit_problem(inputs: Sequence[Input]) -> dict:
    """The SALib problem of scenario inputs: every input on [0, 1] (mapped by :meth:`Input.values`)."""
    problem: dict[str, Any] = {
        "num_vars": len(inputs),
        "names": [i.name for i in inputs],
        "bounds": [[0.0, 1.0]] * len(inputs),
    }
    if any(i.group for i in inputs):
        problem["groups"] = [i.group or i.name for i in inputs]
    return problem


def _check_problem(problem: Mapping) -> dict:
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


def _labels(problem: Mapping) -> list[str]:
    """Names of what gets an index: the groups (in order of appearance) or the inputs."""
    groups = problem.get("groups")
    return list(dict.fromkeys(groups)) if groups else list(problem["names"])


def _ungrouped(problem: Mapping) -> dict:
    return {k: v for k, v in problem.items() if k != "groups"}


def draw_sample(
    method: str, problem: Mapping, n: int, seed: int, second_order: bool
) -> tuple[NDArray[np.float64], int, list[str]]:
    """SALib sample for a method; returns (rows, the n actually used, notes)."""
    notes: list[str] = []
    if method == "sobol":
        from SALib.sample import sobol as sampler

        used = 1 << max(0, math.ceil(math.log2(n)))
        if used != n:
            notes.append(
                f"Sobol' N rounded up from {n} to {used}, a power of two (Sobol' sequences are "
                "balanced only at powers of two)."
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            x = sampler.sample(dict(problem), used, calc_second_order=second_order, seed=seed)
        return x, used, notes
    if method == "morris":
        from SALib.sample import morris as sampler

        return sampler.sample(dict(problem), n, num_levels=MORRIS_LEVELS, seed=seed), n, notes
    if problem.get("groups"):
        notes.append(f"{method} gives one index per input: the groups are not used.")
    if method == "fast":
        from SALib.sample import fast_sampler

        notes.append(
            "FAST intervals come from a bootstrap of the search curve that SALib marks as "
            "indicative only (SALib issue 649)."
        )

        used = max(n, 4 * FAST_M**2 + 1)
        if used != n:
            notes.append(f"FAST needs N > 4M² = {4 * FAST_M**2}: N raised from {n} to {used}.")
        return fast_sampler.sample(_ungrouped(problem), used, M=FAST_M, seed=seed), used, notes
    from SALib.sample import latin

    return latin.sample(_ungrouped(problem), n, seed=seed), n, notes


def analyze(
    method: str,
    problem: Mapping,
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    *,
    second_order: bool = False,
    seed: int = 0,
    resamples: int = RESAMPLES,
) -> pd.DataFrame:
    """Indices of one output with the method's SALib analyser: a tidy frame (input, index, value,
    confidence), confidence = half-width of the 95 % interval (NaN where SALib gives none)."""
    rows: list[tuple[str, str, float, float]] = []
    analysis_seed = seed + 1  # SALib treats seed 0 as "no seed"
    labels = _labels(problem)
    # record=True keeps SALib's warnings out of the output even after delta.analyze resets the
    # filters; one BLAS thread, because SALib's δ solves thousands of 1×1 systems (kernel density
    # estimates) that a multi-threaded BLAS only slows down, badly so on a busy machine.
    with warnings.catch_warnings(record=True), single_blas_thread():
        warnings.simplefilter("ignore")
        if method == "sobol":
            from SALib.analyze import sobol

            si = sobol.analyze(
                dict(problem),
                y,
                calc_second_order=second_order,
                num_resamples=resamples,
                conf_level=CONFIDENCE,
                seed=analysis_seed,
            )
            for key in ("S1", "ST"):
                rows += [(n, key, si[key][i], si[f"{key}_conf"][i]) for i, n in enumerate(labels)]
            if second_order:
                for i, a in enumerate(labels):
                    for j in range(i + 1, len(labels)):
                        rows.append(
                            (f"{a} × {labels[j]}", "S2", si["S2"][i, j], si["S2_conf"][i, j])
                        )
        elif method == "morris":
            from SALib.analyze import morris

            si = morris.analyze(
                dict(problem),
                x,
                y,
                num_resamples=resamples,
                conf_level=CONFIDENCE,
                num_levels=MORRIS_LEVELS,
                seed=analysis_seed,
            )
            for i, n in enumerate(si["names"]):
                rows.append((n, "mu_star", si["mu_star"][i], si["mu_star_conf"][i]))
                rows.append((n, "mu", si["mu"][i], np.nan))
                rows.append((n, "sigma", si["sigma"][i], np.nan))
        elif method == "fast":
            from SALib.analyze import fast

            si = fast.analyze(
                _ungrouped(problem),
                y,
                M=FAST_M,
                num_resamples=resamples,
                conf_level=CONFIDENCE,
                seed=analysis_seed,
            )
            for key in ("S1", "ST"):
                rows += [
                    (n, key, si[key][i], si[f"{key}_conf"][i])
                    for i, n in enumerate(problem["names"])
                ]
        else:
            from SALib.analyze import delta

            generic = {"num_vars": problem["num_vars"], "names": [f"x{i}" for i in range(len(problem["names"]))], "bounds": problem["bounds"]}  # fmt: skip
            formatter = warnings.formatwarning  # delta.analyze replaces it
            try:
                si = delta.analyze(
                    generic,
                    x,
                    y,
                    num_resamples=resamples,
                    conf_level=CONFIDENCE,
                    seed=analysis_seed,
                )
            finally:
                warnings.formatwarning = formatter
            for i, n in enumerate(problem["names"]):
                rows.append((n, "delta", si["delta_raw"][i], si["delta_raw_conf"][i]))
                rows.append((n, "S1", si["S1"][i], si["S1_conf"][i]))
    frame = pd.DataFrame(rows, columns=["input", "index", "value", "confidence"])
    frame[["value", "confidence"]] = frame[["value", "confidence"]].astype(float)
    return frame


def _prefix(
    method: str, problem: Mapping, x: NDArray, y: NDArray, n: int, part: int, second_order: bool
):
    """The first n/part of a sample that is itself a valid sample of the method (None for FAST)."""
    size = n // part
    if method == "fast":
        return None
    if method == "sobol":
        d = len(_labels(problem))
        per = 2 * d + 2 if second_order else d + 2
        return (x[: size * per], y[: size * per], size) if size >= 2 else None
    if method == "morris":
        per = len(_labels(problem)) + 1
        return (x[: size * per], y[: size * per], size) if size >= 2 else None
    return (x[:size], y[:size], size) if size >= 20 else None


# ----------------------------------------------------------------------------------------------
# Checks: reliability of the indices, convergence


def reliability_notes(indices: pd.DataFrame, method: str) -> dict[str, str]:
    """Per metric, a note on indices negative beyond their interval and on intervals wider than
    their index (those wider than 0.05, or 5 % of the largest μ*: noise around a zero index is
    expected)."""
    notes = {}
    keys = ["mu_star"] if method == "morris" else ["S1", "ST", "delta"]
    for metric, group in indices[indices["index"].isin(keys)].groupby("metric", sort=False):
        scale = group["value"].abs().max() if method == "morris" else 1.0
        negative = group[group["value"] + group["confidence"] < 0]
        wide = group[
            (group["confidence"] > group["value"].abs()) & (group["confidence"] > 0.05 * scale)
        ]
        parts = []
        if len(negative):
            cells = ", ".join(
                f"{r.index} of {r.input} = {r.value:.3g} ± {r.confidence:.2g}"
                for r in negative.itertuples()
            )
            parts.append(f"negative beyond the interval: {cells}")
        if len(wide):
            cells = ", ".join(f"{r.index} of {r.input}" for r in wide.itertuples())
            parts.append(f"interval wider than the index: {cells}")
        if parts:
            notes[metric] = (
                f"{metric}: {'; '.join(parts)} — increase n (or reps) before reading these."
            )
    return notes


def convergence(
    method: str,
    problem: Mapping,
    x: NDArray,
    outputs: pd.DataFrame,
    n: int,
    second_order: bool,
    seed: int,
    tolerance: float = TOLERANCE,
) -> tuple[pd.DataFrame, dict]:
    """Indices on the first N/4, N/2 and all N of the sample; the largest change between N/2 and N
    of the main index (ST, μ* relative to the largest μ*, or δ), and advice on N."""
    key = MAIN_INDEX[method]
    parts = {
        4: _prefix(method, problem, x, outputs.to_numpy(), n, 4, second_order),
        2: None,
        1: None,
    }
    if parts[4] is None:
        reason = (
            "FAST samples cannot be cut into smaller valid samples"
            if method == "fast"
            else "n is too small to cut the sample into quarters"
        )
        return pd.DataFrame(), {"available": False, "reason": reason, "index": key}
    rows = []
    for part in (4, 2, 1):
        cut = _prefix(method, problem, x, outputs.to_numpy(), n, part, second_order)
        xs, ys, size = cut
        for j, metric in enumerate(outputs.columns):
            frame = analyze(
                method, problem, xs, ys[:, j], second_order=second_order, seed=seed, resamples=10
            )
            frame = frame[frame["index"] == key]
            for r in frame.itertuples():
                rows.append((metric, r.input, key, size, r.value))
    table = pd.DataFrame(rows, columns=["metric", "input", "index", "n", "value"])
    sizes = sorted(table["n"].unique())
    wide = table.pivot_table(index=["metric", "input"], columns="n", values="value", sort=False)
    if method == "morris":
        scale = wide.abs().groupby(level="metric").transform("max").replace(0, np.nan)
        wide = wide / scale
    change_half = (wide[sizes[2]] - wide[sizes[1]]).abs()
    change_quarter = (wide[sizes[1]] - wide[sizes[0]]).abs()
    summary: dict[str, Any] = {
        "available": True,
        "index": key,
        "relative": method == "morris",
        "sizes": [int(s) for s in sizes],
        "tolerance": tolerance,
    }
    if change_half.notna().any():
        (metric, name), largest = change_half.idxmax(), float(change_half.max())
        summary.update(
            largest_change=largest,
            largest_change_quarter_half=float(change_quarter.max()),
            metric=metric,
            input=name,
        )
        unit = "N" if method in ("sobol", "fast", "delta", "lhs") else "r"
        if largest <= tolerance:
            summary["advice"] = (
                f"stable: the largest change of {key} between {unit} = {sizes[1]} and {sizes[2]} is "
                f"{largest:.3f} (≤ {tolerance}) ({metric}, {name})."
            )
        else:
            needed = math.ceil(sizes[2] * (largest / tolerance) ** 2)
            if method == "sobol":
                needed = 1 << math.ceil(math.log2(needed))
            summary["n_needed"] = needed
            summary["advice"] = (
                f"not converged: {key} of {name} for {metric} changed by {largest:.3f} between "
                f"{unit} = {sizes[1]} and {sizes[2]} (tolerance {tolerance}); the error falls as "
                f"1/√{unit}, so about {unit} = {needed} is needed."
            )
    else:
        summary["advice"] = "no index could be computed on the smaller samples."
    return table, summary


# ----------------------------------------------------------------------------------------------
# The result


@dataclass
class SensitivityResult:
    """What :func:`run_sensitivity` returns (DataFrames tidy)."""

    method: str
    indices: pd.DataFrame  # metric, input, index, value, confidence
    samples: pd.DataFrame  # sample, inputs…, outputs…
    problem: dict
    inputs: list[str]  # names of the sampled inputs (columns of samples)
    outputs: list[str]  # analysed outputs (metrics)
    n: int
    notes: list[str]
    convergence: pd.DataFrame
    metadata: dict
    region: Any = None  # discovery.Region when bounds were given
    out: Path | None = None
    figures: list[Path] = field(default_factory=list)

    @property
    def main_index(self) -> str:
        return MAIN_INDEX[self.method]

    def table(self, index: str | None = None) -> pd.DataFrame:
        """Inputs × metrics table of one index (default: ST, μ* or δ)."""
        t = self.indices[self.indices["index"] == (index or self.main_index)]
        return t.pivot(index="input", columns="metric", values="value").reindex(
            index=list(dict.fromkeys(t["input"])), columns=self.outputs
        )

    def top(self, metric: str, k: int = 3) -> pd.DataFrame:
        """The k inputs with the largest main index for a metric."""
        t = self.indices[
            (self.indices["metric"] == metric) & (self.indices["index"] == self.main_index)
        ]
        return t.sort_values("value", ascending=False, key=lambda s: s.fillna(-np.inf)).head(k)


# ----------------------------------------------------------------------------------------------
# The run


def _callable_name(function: Callable) -> str:
    """``module.qualname`` of a function, or of the class of a callable object (stable across
    sessions, unlike its repr), to recognise the model of a run folder."""
    name = getattr(function, "__qualname__", None) or type(function).__qualname__
    module = getattr(function, "__module__", None) or type(function).__module__
    return f"{module}.{name}"


def _fail(message: str) -> SensitivityError:
    return SensitivityError(message)


def _digest(obj: Any, x: NDArray) -> str:
    h = hashlib.sha256(json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str).encode())
    h.update(np.ascontiguousarray(x, dtype=float).tobytes())
    return h.hexdigest()


def _parquet() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def _write_table(frame: pd.DataFrame, path: Path) -> Path:
    """Parquet when pyarrow is installed, else CSV (UTF-8 with BOM); atomic."""
    if _parquet():
        return atomic_write(
            path.with_suffix(".parquet"), lambda tmp: frame.to_parquet(tmp, index=False)
        )
    return write_csv(frame, path.with_suffix(".csv"))


def _read_table(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, encoding="utf-8-sig")


def _write_json(path: Path, data: Mapping) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=2, default=_json_default)
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def _existing_chunks(
    folder: Path, chunks: Sequence[tuple[int, NDArray]], starts: Sequence[int]
) -> dict[int, Path]:
    """Finished chunk files that hold exactly the rows of their chunk."""
    found = {}
    for chunk_id, rows in chunks:
        for suffix in (".parquet", ".csv"):
            path = folder / f"chunk-{chunk_id:05d}{suffix}"
            if path.exists():
                try:
                    frame = _read_table(path)
                except Exception:  # an unreadable file is recomputed  # noqa: BLE001
                    continue
                expected = np.arange(starts[chunk_id], starts[chunk_id] + len(rows))
                if "sample" in frame and np.array_equal(frame["sample"].to_numpy(), expected):
                    found[chunk_id] = path
                    break
    return found


def _prepare_folder(out: Path, digest: str, resume: bool, meta: dict) -> None:
    meta_path = out / "sensitivity.json"
    if meta_path.exists():
        try:
            old = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = {}
        if old.get("hash") != digest:
            raise _fail(
                f"{out} holds a different sensitivity analysis (another scenario, inputs, method, "
                f"n, seed, reps or chunk size: hash {str(old.get('hash'))[:12]} ≠ {digest[:12]}); "
                "choose another --out folder, or delete this one to start again"
            )
        return
    if resume:
        raise _fail(f"nothing to resume: {out} has no sensitivity.json (check --out)")
    if out.exists() and any(out.iterdir()):
        raise _fail(f"{out} exists and is not a sensitivity run folder; choose another --out")
    _write_json(meta_path, meta)


@dataclass
class _ModelSpec:
    evaluate: Callable[[NDArray], pd.DataFrame]
    problem: dict
    inputs: tuple[Input, ...]
    identity: dict  # what identifies the model in the run folder's hash
    info: dict  # scenario metadata for sensitivity.json


def _model_spec(model, problem, outputs, uncertain, overrides, reps, seed) -> _ModelSpec:
    """The model to evaluate and its SALib problem: a callable with its problem, or a scenario's
    [uncertain] inputs (validated here, at the edge) on the unit hypercube."""
    if callable(model) and not isinstance(model, Scenario | str | Path):
        if problem is None:
            raise _fail("a callable model needs a SALib problem dict (problem=...)")
        names = tuple(outputs) if outputs else None
        return _ModelSpec(
            ArrayModel(model, names),
            _check_problem(problem),
            (),
            {"callable": _callable_name(model), "outputs": list(names or [])},
            {},
        )
    scenario = model if isinstance(model, Scenario) else load_scenario(model, overrides)
    if isinstance(model, Scenario) and overrides:
        scenario = scenario_from_dict(
            scenario_raw(scenario), source=scenario_source(scenario), overrides=overrides
        )
    source = scenario_source(scenario)
    if scenario.world is None:
        message = "a sensitivity analysis simulates: the scenario needs a [world]"
        raise ScenarioError([Problem(source, "world", None, message, False)])
    if uncertain is not None:
        table, label = load_uncertain(uncertain)
    elif scenario.uncertain:
        table, label = scenario.uncertain, source
    else:
        message = (
            "no uncertain inputs: add an [uncertain] table (see scenarios/README.md) or give one "
            "in a separate file (--uncertain FILE)"
        )
        raise ScenarioError([Problem(source, "uncertain", None, message, False)])
    inputs = tuple(Input.from_spec(path, spec) for path, spec in table.items())
    raw = {k: v for k, v in scenario_raw(scenario).items() if k != "uncertain"}
    check_inputs(raw, source, inputs, label)
    return _ModelSpec(
        ScenarioModel(raw, source, inputs, reps, seed),
        unit_problem(inputs),
        inputs,
        {"scenario": raw},
        {
            "scenario": source,
            "scenario_name": scenario.name,
            "resolved_scenario": raw,
            "uncertain_source": label,
        },
    )


def _analyse_outputs(
    method: str,
    problem: Mapping,
    x: NDArray,
    outputs: pd.DataFrame,
    second_order: bool,
    seed: int,
    notes: list[str],
) -> tuple[pd.DataFrame, list[str]]:
    """Indices of every output that is defined in every sample and not constant (notes say why
    an output is left out). Returns (tidy indices, analysed outputs)."""
    parts, analysed = [], []
    for metric in outputs.columns:
        y = outputs[metric].to_numpy(dtype=float)
        if not np.isfinite(y).all():
            bad = int((~np.isfinite(y)).sum())
            notes.append(f"{metric}: undefined in {bad} samples; not analysed.")
        elif np.ptp(y) <= 1e-12 * max(1.0, float(np.abs(y).max())):
            notes.append(
                f"{metric}: constant across the samples; no index (it does not respond to these "
                "inputs)."
            )
        else:
            frame = analyze(method, problem, x, y, second_order=second_order, seed=seed)
            frame.insert(0, "metric", metric)
            parts.append(frame)
            analysed.append(metric)
    columns = ["metric", "input", "index", "value", "confidence"]
    indices = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    return indices, analysed


def run_sensitivity(
    model: Scenario | str | Path | Callable[[NDArray], NDArray],
    *,
    method: str = "sobol",
    n: int | None = None,
    reps: int = 20,
    seed: int = 0,
    problem: Mapping | None = None,
    outputs: Sequence[str] | None = None,
    uncertain: str | Path | Mapping | None = None,
    overrides: Iterable[str] = (),
    metrics: Sequence[str] | None = None,
    second_order: bool = False,
    executor: Executor | None = None,
    jobs: int = 1,
    scheduler: str | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    chunk_size: int = CHUNK_SIZE,
    bounds: Mapping[str, tuple[str, float]] | Sequence[str] | None = None,
    figures: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> SensitivityResult:
    """Global sensitivity analysis of a scenario's ``[uncertain]`` inputs, or of a callable.

    ``model``: a scenario (object, file or bundled name) with ``[uncertain]`` inputs (or give
    ``uncertain``: a TOML file or a mapping with the same table; it replaces the scenario's), or a
    callable ``f(X: (n, d)) → (n,) | (n, k)`` together with a SALib ``problem`` dict (names,
    bounds, optional dists and groups) and optional ``outputs`` names.
    ``method``: sobol, morris, fast, delta or lhs; ``n``: see the module doc (default per method).
    ``reps``/``seed``: replications per sample and the common seed of every sample.
    ``metrics``: analyse only these outputs (default: every metric of the scenario).
    ``executor`` (or ``jobs`` > 1 for local processes, ``scheduler`` for Dask): where samples run.
    ``out``: the run folder (chunks, tables, figures); ``resume``: insist on continuing a run there.
    ``bounds``: designer bounds (``{"class_bias": ("<", 5)}`` or ``["class_bias<5"]``) for the
    rule-space region (:func:`perfsim.experiments.discovery.find_region`).
    ``progress(done, total)`` is called with numbers of samples as chunks finish.
    """
    from .. import __version__

    started = time.perf_counter()
    started_at = datetime.now(UTC)
    if method not in METHODS:
        raise _fail(f"method = {method!r}: allowed: {', '.join(METHODS)}")
    n = DEFAULT_N[method] if n is None else int(n)
    for name, value, low in (
        ("n", n, 1),
        ("reps", reps, 1),
        ("chunk_size", chunk_size, 1),
        ("seed", seed, 0),
    ):
        if value < low:
            raise _fail(f"{name} = {value}: must be ≥ {low}")
    parsed_bounds = None
    if bounds:
        from .discovery import parse_bounds

        parsed_bounds = parse_bounds(bounds)

    spec = _model_spec(model, problem, outputs, uncertain, list(overrides), reps, seed)
    problem, inputs = spec.problem, spec.inputs

    if method == "sobol" and second_order and len(_labels(problem)) < 2:
        second_order = False
    x, n_used, notes = draw_sample(method, problem, n, seed, second_order)
    notes = list(notes)
    key = {
        "method": method,
        "n": n_used,
        "seed": seed,
        "reps": reps if inputs else None,
        "second_order": second_order if method == "sobol" else None,
        "chunk_size": chunk_size,
        "problem": problem,
        "inputs": [i.describe() for i in inputs],
        "model": spec.identity,
        "perfsim_version": __version__,
    }
    digest = _digest(key, x)
    starts = list(range(0, len(x), chunk_size))
    chunks = [(c, x[s : s + chunk_size]) for c, s in enumerate(starts)]
    folder = Path(out) if out is not None else None
    results: dict[int, pd.DataFrame] = {}
    done_paths: dict[int, Path] = {}
    if folder is not None:
        meta = {"kind": "sensitivity", "status": "running", "hash": digest, **key}
        _prepare_folder(folder, digest, resume, meta)
        done_paths = _existing_chunks(folder / "chunks", chunks, starts)
        if done_paths:
            notes.append(f"resumed: {len(done_paths)} of {len(chunks)} chunks were already done.")
    todo = [c for c in chunks if c[0] not in done_paths]
    total = len(x)
    done = sum(len(rows) for c, rows in chunks if c in done_paths)
    if progress:
        progress(done, total)
    own = executor is None
    runner = make_executor(jobs, scheduler) if own else executor
    eval_started = time.perf_counter()
    try:
        for chunk_id, frame in runner.map(spec.evaluate, todo):
            frame = frame.reset_index(drop=True)
            frame.insert(0, "sample", np.arange(starts[chunk_id], starts[chunk_id] + len(frame)))
            if folder is not None:
                path = folder / "chunks" / f"chunk-{chunk_id:05d}"
                done_paths[chunk_id] = _write_table(frame, path)
            else:
                results[chunk_id] = frame
            done += len(frame)
            if progress:
                progress(done, total)
    finally:
        where = runner.describe()
        if own:
            runner.close()
    eval_seconds = time.perf_counter() - eval_started
    evaluated = sum(len(rows) for _, rows in todo)

    frames = [_read_table(done_paths[c]) if folder is not None else results[c] for c, _ in chunks]
    table = pd.concat(frames, ignore_index=True)
    available = [c for c in table.columns if c != "sample"]
    if metrics:
        unknown = [m for m in metrics if m not in available]
        if unknown:
            raise _fail(
                f"unknown metric(s) {', '.join(unknown)}; available: {', '.join(available)}"
            )
        chosen = list(metrics)
    else:
        chosen = available
    names = [i.name for i in inputs] if inputs else list(problem["names"])
    clash = sorted(set(names) & set(available))
    if clash:
        raise _fail(f"input names {clash} are also output names; rename the inputs (name = ...)")

    indices, analysed = _analyse_outputs(
        method, problem, x, table[chosen], second_order, seed, notes
    )
    reliability = reliability_notes(indices, method)
    if len(reliability) <= 3:
        notes += reliability.values()
    else:
        notes.append(
            f"{len(reliability)} of {len(analysed)} metrics have indices whose interval is wider "
            "than the index, or that are negative beyond it: increase n (or reps) before reading "
            f"them ({', '.join(reliability)}; details in sensitivity.json)."
        )
    conv_table, conv = convergence(method, problem, x, table[analysed], n_used, second_order, seed)
    if conv["available"]:
        notes.append(f"convergence: {conv['advice']}")
    else:
        notes.append(f"convergence check not available: {conv['reason']}.")

    samples = pd.DataFrame({"sample": np.arange(len(x))})
    if inputs:
        for j, inp in enumerate(inputs):
            samples[inp.name] = [inp.label(v) for v in inp.values(x[:, j])]
    else:
        for j, name in enumerate(problem["names"]):
            samples[name] = x[:, j]
    samples = pd.concat([samples, table[available].reset_index(drop=True)], axis=1)

    region = None
    if parsed_bounds:
        from .discovery import find_region

        rule_inputs = [i.name for i in inputs if i.is_rule] or names
        region = find_region(samples[rule_inputs], samples[available], parsed_bounds)

    metadata = {
        "kind": "sensitivity",
        "status": "complete",
        "hash": digest,
        **key,
        "n_requested": n,
        "runs": int(len(x)),
        "outputs": analysed,
        "main_index": MAIN_INDEX[method],
        "notes": notes,
        "reliability": list(reliability.values()),
        "convergence": conv,
        "executor": where,
        "evaluated_now": evaluated,
        "seconds_per_sample": eval_seconds / evaluated if evaluated else None,
        "bounds": {k: list(v) for k, v in (parsed_bounds or {}).items()},
        "started": started_at.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        **spec.info,
    }
    result = SensitivityResult(
        method=method,
        indices=indices,
        samples=samples,
        problem=dict(problem),
        inputs=names,
        outputs=analysed,
        n=n_used,
        notes=notes,
        convergence=conv_table,
        metadata=metadata,
        region=region,
        out=folder,
    )
    if folder is not None:
        write_outputs(result, folder, figures=figures)
    metadata["seconds"] = time.perf_counter() - started
    if folder is not None:
        _write_json(folder / "sensitivity.json", metadata)
    return result


def write_outputs(result: SensitivityResult, folder: Path, *, figures: bool = True) -> None:
    """Write the tables, figures and region of a finished analysis into its run folder (each file
    atomically; ``sensitivity.json`` is written last by :func:`run_sensitivity`)."""
    write_csv(result.indices, folder / "indices.csv")
    _write_table(result.samples, folder / "samples")
    write_csv(result.convergence, folder / "convergence.csv")
    if result.region is not None:
        from .discovery import write_region

        write_region(result.region, folder)
    if figures and len(result.indices):
        result.figures = write_figures(result, folder / "figures")


# ----------------------------------------------------------------------------------------------
# Figures


def _cjk_font(texts: Iterable[str]):
    """The report package's CJK font context (labels may be Chinese), when it is available."""
    try:
        from ..report.fonts import font_context, warn_if_missing
    except ImportError:
        import contextlib

        return contextlib.nullcontext()
    warn_if_missing(texts)
    return font_context()


def write_figures(result: SensitivityResult, folder: Path) -> list[Path]:
    """Index bars with intervals per metric (Sobol'/FAST: S1 and ST; δ methods: δ and S1), the
    Morris μ*–σ plane per metric, and a heatmap of the main index, inputs × metrics."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    with _cjk_font(list(result.indices["input"]) + result.outputs):
        if result.method == "morris":
            written.append(_save(plt, _morris_figure(plt, result), folder / "morris-mu-sigma.png"))
        else:
            pair = ("S1", "ST") if result.method in ("sobol", "fast") else ("S1", "delta")
            written.append(
                _save(plt, _bars_figure(plt, result, pair), folder / f"{result.method}-indices.png")
            )
        written.append(_save(plt, _heatmap(plt, result), folder / "heatmap.png"))
    return written


def _save(plt, fig, path: Path) -> Path:
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=120, bbox_inches="tight", format="png"))
    plt.close(fig)
    return path


def _grid(plt, count: int, rows_per_panel: int):
    cols = min(3, count)
    nrows = math.ceil(count / cols)
    fig, axes = plt.subplots(
        nrows, cols, figsize=(4.6 * cols, (0.32 * rows_per_panel + 1.3) * nrows), squeeze=False
    )
    for ax in axes.flat[count:]:
        ax.set_visible(False)
    return fig, list(axes.flat)


def _tight(fig) -> None:
    """Tight layout that leaves room for the figure's title."""
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.45 / fig.get_figheight()))


def _bars_figure(plt, result: SensitivityResult, pair: tuple[str, str]):
    labels = list(dict.fromkeys(result.indices[result.indices["index"] == pair[0]]["input"]))
    fig, axes = _grid(plt, len(result.outputs), len(labels))
    styles = {pair[0]: "white", pair[1]: "0.45"}
    pos = np.arange(len(labels))
    for ax, metric in zip(axes, result.outputs, strict=False):
        t = result.indices[result.indices["metric"] == metric].set_index(["index", "input"])
        for k, key in enumerate(pair):
            vals = [t["value"].get((key, n), np.nan) for n in labels]
            errs = [t["confidence"].get((key, n), np.nan) for n in labels]
            ax.barh(pos + (k - 0.5) * 0.4, vals, height=0.4, xerr=errs, color=styles[key],
                    edgecolor="black", capsize=2, label=key)  # fmt: skip
        ax.set_yticks(pos, labels)
        ax.invert_yaxis()
        ax.axvline(0, color="black", linewidth=0.6)
        ax.set_title(metric, fontsize=10)
        ax.set_xlabel("index (share of the metric's variance)" if "delta" not in pair else "index")
    axes[0].legend(loc="lower right", fontsize=8)
    fig.suptitle(f"{result.method}: first-order and {pair[1]} indices, 95 % intervals", fontsize=11)
    _tight(fig)
    return fig


def _morris_figure(plt, result: SensitivityResult):
    fig, axes = _grid(plt, len(result.outputs), 8)
    markers = "osD^v<>ph*"
    for ax, metric in zip(axes, result.outputs, strict=False):
        rows = result.indices[result.indices["metric"] == metric]
        order = list(dict.fromkeys(rows["input"]))
        t = rows.pivot(index="input", columns="index", values="value").reindex(order)
        conf = rows[rows["index"] == "mu_star"].set_index("input")["confidence"]
        for k, name in enumerate(t.index):
            ax.errorbar(t.loc[name, "mu_star"], t.loc[name, "sigma"], xerr=conf.get(name, np.nan),
                        fmt=markers[k % len(markers)], color="black", mfc="white", capsize=2, label=name)  # fmt: skip
        top = np.nanmax(t[["mu_star", "sigma"]].to_numpy()) if len(t) else 1.0
        ax.plot([0, top], [0, top], color="0.6", linestyle="--", linewidth=0.8)
        ax.set_xlabel("μ* (metric units per input range)")
        ax.set_ylabel("σ")
        ax.set_title(metric, fontsize=10)
    axes[0].legend(fontsize=7, loc="upper left")
    fig.suptitle(
        "Morris screening: μ* (importance) against σ (non-linearity, interactions)", fontsize=11
    )
    _tight(fig)
    return fig


def _heatmap(plt, result: SensitivityResult):
    table = result.table()
    label = result.main_index
    if result.method == "morris":
        table = table / table.abs().max(axis=0).replace(0, np.nan)
        label = "μ* / largest μ* of the metric"
    values = table.to_numpy(dtype=float)
    fig, ax = plt.subplots(figsize=(1.0 + 0.75 * len(table.columns), 1.2 + 0.4 * len(table.index)))
    image = ax.imshow(np.clip(values, 0, 1), cmap="Greys", vmin=0, vmax=1, aspect="auto")
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):
            ax.text(
                j,
                i,
                f"{v:.2f}",
                ha="center",
                va="center",
                fontsize=7,
                color="white" if v > 0.55 else "black",
            )
    ax.set_xticks(range(len(table.columns)), table.columns, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(table.index)), table.index, fontsize=8)
    fig.colorbar(image, ax=ax, label=label, shrink=0.8)
    ax.set_title(f"{result.method}: {label}, inputs × metrics", fontsize=10)
    fig.tight_layout()
    return fig


def default_out(scenario: str | Path, method: str, seed: int) -> str:
    """``results/sensitivity-<scenario>-<method>-seed<seed>``."""
    return f"results/sensitivity-{resolve_path(scenario).stem}-{method}-seed{seed}"
