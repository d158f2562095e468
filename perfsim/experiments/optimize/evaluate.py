"""Evaluating candidate rules: every candidate in every assumed world, on common random numbers.

A candidate is a point u of the lever cube. :class:`CandidateModel` turns each row u into
overrides, and simulates the scenario with them in each world (the world's overrides applied on
top, as ``perfsim compare --across`` does) with the *same* seed: every candidate meets the same
departments and the same noise, replication by replication, so that a difference between two
candidates is a difference of rules, not of luck. The model is picklable: it travels to the worker
processes of :mod:`perfsim.experiments.executors`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...scenario import PerfsimError, scenario_from_dict
from ..sensitivity.errors import SampleError
from .levers import LeverSpace


def replications(
    scenario, reps: int, seed: int, metrics: Sequence[str] | None = None
) -> dict[str, np.ndarray]:
    """Every replication's value of each of ``metrics`` (all the run's metrics if None; NaN where
    the run has no such metric): the engine's blocks, as :func:`perfsim.simulate` runs them."""
    from ... import budget, engine
    from ...simulation import quiet_overflow

    budget.check(scenario, reps)
    model = engine.build(scenario)
    with quiet_overflow():  # (as simulate: numpy's warnings would print source lines)
        columns = engine.joined_metrics(engine.run_blocks(model, seed, reps))
    out = {}
    for m in metrics if metrics is not None else list(columns):
        if m in columns:
            out[m] = np.asarray(columns[m], dtype=float)
        else:
            out[m] = np.full(reps, np.nan)
    return out


def column(metric: str, world: int, stat: str = "mean") -> str:
    """The column of a metric's mean (or ``se``) in world number ``world``."""
    return f"{metric}@w{world}" + ("" if stat == "mean" else f":{stat}")


@dataclass
class CandidateModel:
    """rows (n, d) of the lever cube → one row per candidate: the mean and Monte Carlo standard
    error of each metric in each world. With ``keep_reps`` (re-evaluation of the front) the result
    is instead one row per candidate × world × replication."""

    raw: dict
    source: str
    space: LeverSpace
    worlds: tuple[tuple[str, ...], ...]
    metrics: tuple[str, ...] | None  # None: every metric of the run
    reps: int
    seed: int
    keep_reps: bool = False

    def runs(self, u: np.ndarray | None) -> list[dict[str, np.ndarray]]:
        """Per world, the replications of each metric; ``u`` None: the reference rule."""
        assignments = [] if u is None else self.space.assignments(u)
        out = []
        for overrides in self.worlds:
            try:
                scenario = scenario_from_dict(
                    self.raw, source=self.source, overrides=assignments + list(overrides)
                )
                out.append(replications(scenario, self.reps, self.seed, self.metrics))
            except PerfsimError as exc:
                raise SampleError(f"candidate {', '.join(assignments)}: {exc}") from None
        return out

    def __call__(self, rows: np.ndarray) -> pd.DataFrame:
        frames = []
        for k, row in enumerate(np.atleast_2d(rows)):
            u = None if np.isnan(row).all() else row  # a row of NaN: the reference rule
            per_world = self.runs(u)
            if self.keep_reps:
                for w, values in enumerate(per_world):
                    frame = pd.DataFrame(values)
                    frame.insert(0, "rep", np.arange(self.reps))
                    frame.insert(0, "world", w)
                    frame.insert(0, "row", k)
                    frames.append(frame)
            else:
                frames.append(pd.DataFrame([summarise(per_world)]))
        return pd.concat(frames, ignore_index=True)


def summarise(per_world: Sequence[Mapping[str, np.ndarray]]) -> dict[str, float]:
    """Mean and standard error over finite replications of each metric in each world."""
    out = {}
    for w, values in enumerate(per_world):
        for metric, v in values.items():
            v = v[np.isfinite(v)]
            out[column(metric, w)] = float(v.mean()) if v.size else np.nan
            out[column(metric, w, "se")] = (
                float(v.std(ddof=1) / np.sqrt(v.size)) if v.size > 1 else np.nan
            )
    return out
