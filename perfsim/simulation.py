"""``perfsim.simulate``: run a scenario and return tidy DataFrames; ``write_run`` writes a run folder."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from . import budget, engine, metrics
from .csvsafe import to_csv
from .i18n import N_
from .io import atomic_dir
from .metric_registry import MAXIMA, better, may_be_undefined
from .phrases import Phrase
from .results.names import RunFiles
from .rules.checks import NonFiniteError
from .scenario import (
    PerfsimError,
    Scenario,
    WorldSpec,
    arguments,
    coverage,
    resolve_scenario,
    scenario_hash,
    scenario_raw,
    scenario_source,
    scenario_world,
)


@dataclass
class SimulationResult:
    """What a run produces (all DataFrames tidy).

    A result of :func:`simulate` builds each table when it is first read (a caller that reads
    the metrics only, as a sweep or a benchmark does, never pays for the others); its numbers are
    fixed when the run ends, so a table read later is the table built at once."""

    metrics: pd.DataFrame  # metric, mean, se, n
    departments: pd.DataFrame  # one row per department, averaged over replications (final period)
    periods: pd.DataFrame  # period, mean effort, gaming, total score, gaming share
    per_rep: pd.DataFrame  # replication × metric (final period)
    confusion: pd.DataFrame  # true band × assigned grade, share of department-replications
    metadata: dict
    #: replication × period: the mean effort of each replication in each period (not written to
    #: the run folder; ``periods`` has its mean)
    period_effort: pd.DataFrame | None = field(default_factory=lambda: None)  # no class attribute,
    # so that a deferred result's period_effort is looked up by __getattr__

    def metric(self, name: str) -> float:
        """The mean of metric ``name`` over the replications."""
        table = self.metrics.set_index("metric")
        arguments.one_of("metric", name, table.index)
        return float(table.loc[name, "mean"])

    @classmethod
    def deferred(
        cls, ready: dict[str, object], build: dict[str, Callable[[], object]]
    ) -> SimulationResult:
        """A result with the fields of ``ready`` set, and each field of ``build`` made by its
        function when first read (once)."""
        result = cls.__new__(cls)
        result.__dict__.update(ready)
        result.__dict__["_build"] = dict(build)
        return result

    def __getattr__(self, name: str) -> object:
        # reached only for a field not set yet: one that deferred() builds on first read
        build = self.__dict__.get("_build")
        if not build or name not in build:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        with _BUILD_LOCK:
            if name not in self.__dict__:
                self.__dict__[name] = build[name]()
                del build[name]
        return self.__dict__[name]

    def __getstate__(self) -> dict[str, object]:
        """Every field, built (a pickled result holds tables, not functions)."""
        for name in list(self.__dict__.get("_build", ())):
            getattr(self, name)
        return {k: v for k, v in self.__dict__.items() if k != "_build"}


_BUILD_LOCK = threading.Lock()


OVERFLOW = (
    "the simulation overflowed: some input is far outside a realistic range; check abilities, "
    "productivities, costs, scales, pay and the budget's factors and elasticity against the units "
    "in scenarios/README.md (e.g. ability_mean is a log: 1 means e¹ ≈ 2.7 times the baseline)"
)

#: a real-valued input at least this large in size is named when the simulation overflows
LARGE_INPUT = 1e3


def overflowed(scenario: Scenario, detail: str) -> str:
    """The message of a simulation that overflowed: :data:`OVERFLOW`, naming the scenario's
    real-valued inputs of at least :data:`LARGE_INPUT` in size (the largest three), the likely
    cause, and ``detail``."""
    found: list[tuple[float, str]] = []

    def walk(node, key: str) -> None:
        if isinstance(node, dict):
            for name, value in node.items():
                walk(value, f"{key}.{name}" if key else str(name))
        elif isinstance(node, list | tuple):
            for i, value in enumerate(node):
                walk(value, f"{key}[{i}]")
        elif isinstance(node, float) and abs(node) >= LARGE_INPUT:
            found.append((abs(node), f"{key} = {node:g}"))

    walk(scenario.model_dump(include={"world", "rule"}), "")
    large = [text for _, text in sorted(found, reverse=True)[:3]]
    named = f"; the largest inputs: {', '.join(large)}" if large else ""
    return f"{scenario_source(scenario)}: {OVERFLOW}{named} ({detail})"


class SimulationError(PerfsimError):
    """A simulation whose results would not be finite (an input far outside a realistic range)."""


def simulate(
    scenario: Scenario | str | Path,
    *,
    reps: int = 100,
    seed: int = 0,
    overrides: Iterable[str] = (),
    jobs: int = 1,
    progress: Callable[[int], None] | None = None,
    world: WorldSpec | None = None,
) -> SimulationResult:
    """Simulate ``reps`` replications of a scenario (same seed ⇒ same numbers, whatever ``jobs``).

    ``jobs > 1`` spreads the blocks over worker processes started with the *spawn* method
    (:class:`~perfsim.experiments.executors.ProcessExecutor`): a script that calls this must keep
    its work under ``if __name__ == "__main__":``.

    ``world``: run the scenario's rule on this world (a bundled name such as ``"hangzhou-2011"``,
    a file with a [world], or that table), fitted to the rule by name
    (:mod:`perfsim.scenario.worlds`)."""
    reps, seed = arguments.whole("reps", reps), arguments.seed(seed)
    jobs = arguments.whole("jobs", jobs)
    scenario = resolve_scenario(scenario, overrides, world)
    budget.check(scenario, reps, jobs)  # ScenarioError naming the key when it cannot fit
    started = datetime.now(UTC)
    model = engine.model_of(scenario)
    try:
        blocks = run_blocks(model, seed, reps, jobs=jobs, progress=progress)
    except NonFiniteError as exc:  # an input so large that the model's numbers overflowed
        raise SimulationError(overflowed(scenario, str(exc))) from None
    columns = engine.joined_metrics(blocks)
    summary = metrics.summary_columns(columns)
    convergence = _convergence(scenario, columns, summary, model.rule.methods)
    dropped = _not_simulated(scenario)  # warned about after the run, as convergence
    coverage.warn_not_simulated(scenario_source(scenario), dropped)
    dep_columns = _departments(model, blocks, reps)
    check_finite(scenario, summary, dep_columns)  # before any table is built from them
    meta = _metadata(scenario, model, blocks, convergence, dropped, seed=seed, reps=reps, jobs=jobs)
    meta["started"] = started.isoformat(timespec="seconds")
    meta["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    return SimulationResult.deferred(
        {"metadata": meta},
        {
            "metrics": lambda: _summary_table(summary),
            # all columns at once: inserting column by column is slow
            "departments": lambda: pd.DataFrame({**_labels(model), **dep_columns}),
            "periods": lambda: _periods(blocks, reps),
            "per_rep": lambda: _table(columns, index="replication"),
            "confusion": lambda: _confusion(model, blocks, reps),
            "period_effort": lambda: _period_effort(blocks),
        },
    )


#: ``coverage.not_simulated`` of the scenarios simulated last, by ``id(scenario)`` (as
#: ``engine.model_of``: each entry holds its scenario, so an id is not reused while it is kept).
_DROPPED: dict[int, tuple[Scenario, tuple]] = {}
_DROPPED_KEPT = 8
_DROPPED_LOCK = threading.Lock()


def _not_simulated(scenario: Scenario) -> list:
    """``coverage.not_simulated(scenario)``, found once per scenario object (it is immutable)."""
    hit = _DROPPED.get(id(scenario))
    if hit is None or hit[0] is not scenario:
        hit = (scenario, tuple(coverage.not_simulated(scenario)))
        with _DROPPED_LOCK:
            if len(_DROPPED) >= _DROPPED_KEPT:
                _DROPPED.pop(next(iter(_DROPPED)), None)
            _DROPPED[id(scenario)] = hit
    return list(hit[1])


def _metadata(
    scenario: Scenario,
    model: engine.Model,
    blocks: list[engine.BlockResult],
    convergence: dict[str, float],
    dropped: list,
    *,
    seed: int,
    reps: int,
    jobs: int,
) -> dict:
    """The run's metadata (``metadata.json``), but its start and end times; ``dropped``: what
    ``coverage.not_simulated`` found."""
    from . import __version__
    from .model_revision import MODEL_REVISION

    return {
        "perfsim_version": __version__,
        "model_revision": MODEL_REVISION,
        "scenario": scenario_source(scenario),
        **({"world": fitted_to} if (fitted_to := scenario_world(scenario)) else {}),
        "scenario_name": scenario.name,
        "scenario_hash": scenario_hash(scenario),
        "resolved_scenario": scenario_raw(scenario),
        "seed": seed,
        "reps": reps,
        "jobs": jobs,
        "block_size": model.block_size,
        "policy": scenario.world.policy,
        "best_response_iterations": max(b.diagnostics.get("iterations", 0) for b in blocks),
        "best_response_residual": max(b.diagnostics.get("residual", 0) for b in blocks),
        **convergence,
        "not_simulated": [d.as_dict() for d in dropped],
    }


def _summary_table(summary: dict) -> pd.DataFrame:
    """The metrics table: :func:`metrics.summary_columns` and each metric's better direction."""
    return pd.DataFrame({**summary, "direction": [better(k) for k in summary["metric"]]})


def _periods(blocks: list[engine.BlockResult], reps: int) -> pd.DataFrame:
    """Period, then the mean over replications of each per-period sum of the blocks."""
    return pd.DataFrame(
        {
            "period": np.arange(1, _n_periods(blocks) + 1),
            **{k: sum(b.periods[k] for b in blocks) / reps for k in blocks[0].periods},
        }
    )


def _confusion(model: engine.Model, blocks: list[engine.BlockResult], reps: int) -> pd.DataFrame:
    """True band × assigned grade, as shares of department-replications."""
    bands = list(model.rule.bands)
    confusion = pd.DataFrame(
        sum(b.confusion for b in blocks) / (reps * model.world.n_dept), index=bands, columns=bands
    )
    confusion.index.name = "true band"
    return confusion


def _table(columns: dict[str, NDArray], index: str | None = None) -> pd.DataFrame:
    """``pd.DataFrame(columns)``, its index named ``index``; float columns of one length go in as
    one 2-D block, which pandas takes several times faster than column by column (the same table)."""
    arrays = list(columns.values())
    if arrays and all(a.dtype == np.float64 and a.shape == arrays[0].shape for a in arrays):
        table = pd.DataFrame(np.column_stack(arrays), columns=list(columns))
    else:
        table = pd.DataFrame(columns)
    table.index.name = index
    return table


#: what a convergence warning adds when an indicator is normalised by percentile rank
PERCENTILE_HINT = N_(
    "under percentile ranks the grade cut-offs jump as units pass each other, so some best "
    "responses do not settle whatever the iterations (docs/model.md); read these numbers as "
    "approximate or score those indicators another way"
)


def _convergence(scenario: Scenario, columns: dict, summary: dict, methods) -> dict[str, float]:
    """For a fixed-point policy: make the ``iterations_max`` row of ``summary`` (the columns of
    :func:`metrics.summary_columns`) the max over replications (in place; se empty), warn
    when a replication did not converge (with a hint when the rule ranks by percentile,
    ``methods`` its indicators' normalisations) or a department's choice is far from its best,
    and return the run metadata's convergence entries."""
    if "converged_share" not in columns:
        return {}
    iterations, converged = columns["iterations_max"], columns["converged_share"] > 0.5
    for name in MAXIMA & set(summary["metric"]):
        row = summary["metric"].index(name)
        summary["mean"][row], summary["se"][row] = float(np.max(columns[name])), np.nan
    hint = Phrase(PERCENTILE_HINT) if "percentile" in methods else None
    engine.warn_unconverged(
        scenario_source(scenario),
        converged,
        max_iterations=scenario.world.max_iterations,
        hint=hint,
        residual=columns.get("fixed_point_residual"),
        tolerance=scenario.world.tolerance,
    )
    gap = float(np.max(columns["choice_gap"]))
    engine.warn_gap(scenario_source(scenario), gap)
    return {
        "converged_share": float(converged.mean()),
        "iterations_mean": float(iterations.mean()),
        "iterations_max": float(iterations.max()),
        "choice_gap": gap,
    }


def check_finite(
    scenario: Scenario, summary: pd.DataFrame | dict, deps: pd.DataFrame | dict[str, NDArray]
) -> None:
    """Raise :class:`SimulationError` when the simulation overflowed: a department's state is not
    finite, or a metric is ±inf, or NaN where the metric registry says it is always defined. (A
    metric that can be undefined, such as a rank correlation when all true values tie, is NaN with
    ``n = 0`` when undefined in every replication, and is written as an empty cell.) ``deps``: the
    departments table, or its columns as arrays (only the numeric ones are checked); ``summary``:
    the metrics table, or its columns (:func:`metrics.summary_columns`)."""
    if isinstance(deps, pd.DataFrame):
        deps = {c: deps[c].to_numpy() for c in deps.select_dtypes("number")}
    numeric = {c: v for c, v in deps.items() if isinstance(v, np.ndarray) and v.dtype.kind in "iuf"}
    arrays = list(numeric.values())
    if arrays and len({a.shape for a in arrays}) == 1 and np.isfinite(np.stack(arrays)).all():
        bad = []  # the usual case, found in one pass
    else:
        bad = [c for c, v in numeric.items() if not np.isfinite(v).all()]
    means = np.asarray(summary["mean"], dtype=float)
    for i in np.flatnonzero(~np.isfinite(means)):  # usually none: no loop over the metrics
        name = summary["metric"][i]
        if np.isinf(means[i]) or not may_be_undefined(name):
            bad.append(name)
    if bad:
        raise SimulationError(overflowed(scenario, f"{', '.join(bad[:6])} not finite"))


@dataclass(frozen=True)
class _BlockTask:
    """An executor's model (``perfsim.experiments.executors``) that runs blocks of a model: each
    chunk is one block, whose rows are ``[block index, replications]``."""

    model: engine.Model
    seed: int

    def __call__(self, rows: NDArray) -> engine.BlockResult:
        block, reps = (int(x) for x in rows)
        with quiet_overflow():
            return engine.run_block(self.model, self.seed, block, reps)


def run_blocks(
    model: engine.Model,
    seed: int,
    reps: int,
    *,
    jobs: int = 1,
    progress: Callable[[int], None] | None = None,
) -> list[engine.BlockResult]:
    """Every block of ``reps`` replications, in block order: in this process, or spread over
    ``jobs`` worker processes (a :class:`~perfsim.experiments.executors.ProcessExecutor`; each
    worker primes its allocator once, in its first block). A block's numbers depend only on the
    seed and its index, so ``jobs`` never changes them."""
    from .experiments.executors import ProcessExecutor, single_blas_thread

    todo = engine.blocks(model, reps)
    if jobs <= 1 or len(todo) == 1:  # one BLAS thread, as in the workers (the same numbers)
        with quiet_overflow(), single_blas_thread():
            return engine.run_blocks(model, seed, reps, progress=progress)

    sizes = dict(todo)
    done: dict[int, engine.BlockResult] = {}
    chunks = ((b, np.array([b, n])) for b, n in todo)
    # closing(): an interrupt that lands here rather than in the executor (in progress(), say)
    # still stops the workers now, not whenever the generator is collected
    with (
        ProcessExecutor(jobs) as executor,
        contextlib.closing(executor.map(_BlockTask(model, seed), chunks)) as finished,
    ):
        for b, result in finished:
            done[b] = result
            if progress:
                progress(sizes[b])
    return [done[b] for b, _ in todo]


# numpy's overflow warnings are not printed: a run whose numbers overflow ends in a SimulationError
# (check_finite, NonFiniteError) that names the scenario and what to change, instead.
def quiet_overflow() -> np.errstate:
    """A context in which numpy's overflow and invalid-value warnings are not printed."""
    return np.errstate(over="ignore", invalid="ignore")


def _period_effort(blocks: list[engine.BlockResult]) -> pd.DataFrame | None:
    """Replication × period mean effort, from the blocks in block order."""
    if any(b.period_effort is None for b in blocks):
        return None
    values = np.concatenate([b.period_effort for b in blocks], axis=1).T
    out = pd.DataFrame(values, columns=pd.Index(np.arange(1, values.shape[1] + 1), name="period"))
    out.index.name = "replication"
    return out


def _n_periods(blocks: list[engine.BlockResult]) -> int:
    """Number of periods recorded in the blocks' per-period sums."""
    return len(next(iter(blocks[0].periods.values()))) if blocks[0].periods else 0


def _labels(model: engine.Model) -> dict[str, list[str]]:
    """The first columns of the departments table: each department's label and class."""
    w = model.world
    return {
        "department": [f"d{i:03d}" for i in range(w.n_dept)],
        "class": [w.classes[k] for k in w.class_codes],
    }


def _departments(
    model: engine.Model, blocks: list[engine.BlockResult], reps: int
) -> dict[str, object]:
    """The numeric columns of the departments table (after :func:`_labels`): per-department
    means (arrays)."""
    c, w = model.rule, model.world
    sums = {k: sum(b.departments[k] for b in blocks) for k in blocks[0].departments}
    columns: dict[str, object] = {"true_value": sums["true_value"] / reps}
    for j, name in enumerate(c.indicators):
        columns[f"measured:{name}"] = sums["measured"][:, j] / reps
    for k, name in enumerate(c.components):
        columns[f"component:{name}"] = sums["components"][:, k] / reps
    columns["total"] = sums["total"] / reps
    columns["rank"] = sums["rank"] / reps
    columns["grade"] = sums["grade"] / reps
    for g, band in enumerate(c.bands):
        columns[f"share:{band}"] = sums["grade_counts"][:, g] / reps
    columns["reward"] = sums["reward"] / reps
    for k, task in enumerate(w.tasks):
        columns[f"effort:{task}"] = sums["effort"][:, k] / reps
    for j, name in enumerate(c.indicators):
        columns[f"gaming:{name}"] = sums["gaming"][:, j] / reps
    return columns


def write_run(result: SimulationResult, out: str | Path, *, force: bool = False) -> Path:
    """Write ``metadata.json``, ``metrics.csv``, ``departments.csv``, ``periods.csv``,
    ``replications.csv`` and ``confusion.csv`` to ``out``, atomically (a temporary folder swapped
    into place; see :mod:`perfsim.io` for when an existing folder is replaced and when ``force`` is
    needed). :class:`perfsim.results.RunRecord` reads such a folder back (and writes through here)."""
    target = Path(out)
    with atomic_dir(target, "run", force=force) as tmp:
        (tmp / RunFiles.METADATA).write_text(
            json.dumps(result.metadata, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
        )
        to_csv(result.metrics, tmp / RunFiles.METRICS, bom=False)
        to_csv(result.departments, tmp / RunFiles.DEPARTMENTS)
        to_csv(result.periods, tmp / RunFiles.PERIODS, bom=False)
        to_csv(result.per_rep, tmp / RunFiles.REPLICATIONS, bom=False, index=True)
        to_csv(result.confusion, tmp / RunFiles.CONFUSION, index=True)
    return target
