"""``perfsim.simulate``: run a scenario and return tidy DataFrames; ``write_run`` writes a run folder."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from . import budget, engine, metrics
from .io import atomic_dir
from .scenario import (
    Scenario,
    load_scenario,
    scenario_from_dict,
    scenario_hash,
    scenario_raw,
    scenario_source,
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

    def metric(self, name: str) -> float:
        return float(self.metrics.set_index("metric").loc[name, "mean"])


def simulate(
    scenario: Scenario | str | Path,
    *,
    reps: int = 100,
    seed: int = 0,
    overrides: Iterable[str] = (),
    jobs: int = 1,
    progress: Callable[[int], None] | None = None,
) -> SimulationResult:
    """Simulate ``reps`` replications of a scenario (same seed ⇒ same numbers, whatever ``jobs``)."""
    overrides = list(overrides)
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario, overrides)
    elif overrides:
        scenario = scenario_from_dict(
            scenario_raw(scenario), source=scenario_source(scenario), overrides=overrides
        )
    if reps < 1:
        raise ValueError("reps must be ≥ 1")
    budget.check(scenario, reps, jobs)  # ScenarioError naming the key when it cannot fit
    started = datetime.now(UTC)
    model = engine.build(scenario)
    blocks = engine.run_blocks(model, seed, reps, jobs=jobs, progress=progress)
    names = list(blocks[-1].metrics)
    columns = {k: np.concatenate([b.metrics[k] for b in blocks]) for k in names}
    per_rep = pd.DataFrame(columns)
    per_rep.index.name = "replication"
    summary = metrics.summarize(columns)
    summary["direction"] = [metrics.METRIC_DIRECTIONS.get(k, "") for k in summary["metric"]]
    deps = _departments(model, blocks, reps)
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

    meta = {
        "perfsim_version": __version__,
        "scenario": scenario_source(scenario),
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
    )


def _n_periods(blocks: list[engine.BlockResult]) -> int:
    """Number of periods recorded in the blocks' per-period sums."""
    return len(next(iter(blocks[0].periods.values()))) if blocks[0].periods else 0


def _departments(model: engine.Model, blocks: list[engine.BlockResult], reps: int) -> pd.DataFrame:
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
    return pd.DataFrame(columns)  # built at once: inserting column by column is slow


def write_run(result: SimulationResult, out: str | Path) -> Path:
    """Write ``metadata.json``, ``metrics.csv``, ``departments.csv`` and ``periods.csv`` to ``out``,
    atomically (a temporary folder renamed into place)."""
    target = Path(out)
    with atomic_dir(target) as tmp:
        (tmp / "metadata.json").write_text(
            json.dumps(result.metadata, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
        )
        result.metrics.to_csv(tmp / "metrics.csv", index=False)
        result.departments.to_csv(tmp / "departments.csv", index=False, encoding="utf-8-sig")
        result.periods.to_csv(tmp / "periods.csv", index=False)
        result.per_rep.to_csv(tmp / "replications.csv")
        result.confusion.to_csv(tmp / "confusion.csv", encoding="utf-8-sig")
    return target
