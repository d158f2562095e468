"""``perfsim.simulate``: run a scenario and return tidy DataFrames; ``write_run`` writes a run folder."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from . import budget, engine, metrics
from .io import atomic_dir, to_csv
from .metric_registry import better, may_be_undefined
from .results.names import RunFiles
from .rules.checks import NonFiniteError
from .scenario import (
    PerfsimError,
    Scenario,
    WorldSpec,
    coverage,
    resolve_scenario,
    scenario_hash,
    scenario_raw,
    scenario_source,
    scenario_world,
)


@dataclass
class SimulationResult:
    """What a run produces (all DataFrames tidy)."""

    metrics: pd.DataFrame  # metric, mean, se, n
    departments: pd.DataFrame  # one row per department, averaged over replications (final period)
    periods: pd.DataFrame  # period, mean effort, gaming, total score, gaming share
    per_rep: pd.DataFrame  # replication × metric (final period)
    confusion: pd.DataFrame  # true band × assigned grade, share of department-replications
    metadata: dict
    #: replication × period: the mean effort of each replication in each period (not written to
    #: the run folder; ``periods`` has its mean)
    period_effort: pd.DataFrame | None = None

    def metric(self, name: str) -> float:
        return float(self.metrics.set_index("metric").loc[name, "mean"])


OVERFLOW = (
    "the simulation overflowed: some input is far outside a realistic range; check abilities, "
    "productivities, costs, scales and pay against the units in scenarios/README.md (e.g. "
    "ability_mean is a log: 1 means e¹ ≈ 2.7 times the baseline)"
)


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
    scenario = resolve_scenario(scenario, overrides, world)
    if reps < 1:
        raise ValueError("reps must be ≥ 1")
    budget.check(scenario, reps, jobs)  # ScenarioError naming the key when it cannot fit
    started = datetime.now(UTC)
    model = engine.model_of(scenario)
    try:
        blocks = run_blocks(model, seed, reps, jobs=jobs, progress=progress)
    except NonFiniteError as exc:  # an input so large that the model's numbers overflowed
        raise SimulationError(f"{scenario_source(scenario)}: {OVERFLOW} ({exc})") from None
    names = list(blocks[-1].metrics)
    columns = {k: np.concatenate([b.metrics[k] for b in blocks]) for k in names}
    per_rep = _table(columns)
    per_rep.index.name = "replication"
    summary = metrics.summarize(columns, extra={"direction": [better(k) for k in names]})
    convergence = _convergence(scenario, columns, summary)
    dropped = coverage.not_simulated(scenario)  # warned about after the run, as convergence
    coverage.warn_not_simulated(scenario_source(scenario), dropped)
    dep_columns = _departments(model, blocks, reps)
    check_finite(scenario, summary, dep_columns)  # before any table is built from them
    deps = pd.DataFrame(dep_columns)  # built at once: inserting column by column is slow
    periods = pd.DataFrame(
        {
            "period": np.arange(1, _n_periods(blocks) + 1),
            **{k: sum(b.periods[k] for b in blocks) / reps for k in blocks[0].periods},
        }
    )
    bands = list(model.rule.bands)
    confusion = pd.DataFrame(
        sum(b.confusion for b in blocks) / (reps * model.world.n_dept), index=bands, columns=bands
    )
    confusion.index.name = "true band"
    from . import __version__
    from .model_revision import MODEL_REVISION

    meta = {
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
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return SimulationResult(
        metrics=summary,
        departments=deps,
        periods=periods,
        per_rep=per_rep,
        confusion=confusion,
        metadata=meta,
        period_effort=_period_effort(blocks),
    )


def _table(columns: dict[str, NDArray]) -> pd.DataFrame:
    """``pd.DataFrame(columns)``; float columns of one length go in as one 2-D block, which pandas
    takes several times faster than column by column (the same table)."""
    arrays = list(columns.values())
    if arrays and all(a.dtype == np.float64 and a.shape == arrays[0].shape for a in arrays):
        return pd.DataFrame(np.column_stack(arrays), columns=list(columns))
    return pd.DataFrame(columns)


def _convergence(scenario: Scenario, columns: dict, summary: pd.DataFrame) -> dict[str, float]:
    """For a fixed-point policy: make the ``iterations_max`` row of ``summary`` the max over
    replications (in place; se empty), warn
    when a replication did not converge, and return the run metadata's convergence entries."""
    if "converged_share" not in columns:
        return {}
    iterations, converged = columns["iterations_max"], columns["converged_share"] > 0.5
    row = summary.index[summary["metric"] == "iterations_max"]
    summary.loc[row, ["mean", "se"]] = [float(iterations.max()), np.nan]
    engine.warn_unconverged(
        scenario_source(scenario), converged, max_iterations=scenario.world.max_iterations
    )
    return {
        "converged_share": float(converged.mean()),
        "iterations_mean": float(iterations.mean()),
        "iterations_max": float(iterations.max()),
    }


def check_finite(
    scenario: Scenario, summary: pd.DataFrame, deps: pd.DataFrame | dict[str, NDArray]
) -> None:
    """Raise :class:`SimulationError` when the simulation overflowed: a department's state is not
    finite, or a metric is ±inf, or NaN where the metric registry says it is always defined. (A
    metric that can be undefined, such as a rank correlation when all true values tie, is NaN with
    ``n = 0`` when undefined in every replication, and is written as an empty cell.) ``deps``: the
    departments table, or its columns as arrays (only the numeric ones are checked)."""
    if isinstance(deps, pd.DataFrame):
        deps = {c: deps[c].to_numpy() for c in deps.select_dtypes("number")}
    bad = [
        c
        for c, v in deps.items()
        if isinstance(v, np.ndarray) and v.dtype.kind in "iuf" and not np.isfinite(v).all()
    ]
    for name, mean in zip(summary["metric"], summary["mean"].to_numpy(dtype=float), strict=True):
        if np.isinf(mean) or (np.isnan(mean) and not may_be_undefined(name)):
            bad.append(name)
    if bad:
        raise SimulationError(
            f"{scenario_source(scenario)}: {OVERFLOW} ({', '.join(bad[:6])} not finite)"
        )


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
    todo = engine.blocks(model, reps)
    if jobs <= 1 or len(todo) == 1:
        with quiet_overflow():
            return engine.run_blocks(model, seed, reps, progress=progress)
    from .experiments.executors import ProcessExecutor

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


def _departments(
    model: engine.Model, blocks: list[engine.BlockResult], reps: int
) -> dict[str, object]:
    """The columns of the departments table: labels, then per-department means (arrays)."""
    c, w = model.rule, model.world
    sums = {k: sum(b.departments[k] for b in blocks) for k in blocks[0].departments}
    columns: dict[str, object] = {
        "department": [f"d{i:03d}" for i in range(w.n_dept)],
        "class": [w.classes[k] for k in w.class_codes],
        "true_value": sums["true_value"] / reps,
    }
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
