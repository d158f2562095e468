"""The search: pymoo's NSGA-II (NSGA-III beyond three objectives) asked and told one generation at a
time, every candidate evaluated on common random numbers, a checkpoint after every generation.

The checkpoint is the table of every evaluation so far (``evaluations.parquet``, or CSV without
pyarrow), written atomically after each generation. A resumed run replays the search from its seed:
pymoo draws the same candidates (its random generator is seeded, and what it is told is the same),
and a candidate already in the table is read back instead of simulated, so a run stopped at any
point — even by ``kill -9`` — and resumed ends with the same front as one that was never stopped.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..executors import Executor
from ..sensitivity.checkpoint import read_table, write_table
from .evaluate import CandidateModel
from .levers import Constraint, Objective
from .robust import best_per_world, constraint_excess, for_optimiser, losses, robust

REFERENCE = -1
"""The candidate number of the reference rule (the scenario as given) in the evaluations table."""


def population_size(budget: int, n_obj: int) -> int:
    """Candidates per generation: a tenth of the budget, between 8 and 40 (with NSGA-III at least
    the number of reference directions)."""
    size = max(8, min(40, budget // 10))
    if n_obj > 3:
        size = max(size, len(reference_directions(n_obj)))
    return size


def reference_directions(n_obj: int) -> np.ndarray:
    from pymoo.util.ref_dirs import get_reference_directions

    return get_reference_directions("das-dennis", n_obj, n_partitions=3 if n_obj <= 5 else 2)


def algorithm_for(n_obj: int, pop_size: int):
    """NSGA-II, or NSGA-III for more than three objectives (pymoo's defaults otherwise)."""
    if n_obj > 3:
        from pymoo.algorithms.moo.nsga3 import NSGA3

        return NSGA3(reference_directions(n_obj), pop_size=pop_size)
    from pymoo.algorithms.moo.nsga2 import NSGA2

    return NSGA2(pop_size=pop_size)


@dataclass
class Archive:
    """Every evaluated candidate, by its exact coordinates (the cache a resumed run replays from)."""

    n_var: int
    rows: dict[bytes, dict] = field(default_factory=dict)
    order: list[bytes] = field(default_factory=list)

    @staticmethod
    def key(u: np.ndarray) -> bytes:
        # NaN (the reference) as −1, outside the cube: one key whatever the NaN's bits
        return np.ascontiguousarray(np.nan_to_num(u, nan=-1.0), dtype=np.float64).tobytes()

    def __contains__(self, u: np.ndarray) -> bool:
        return self.key(u) in self.rows

    def add(self, u: np.ndarray, generation: int, outputs: dict) -> None:
        k = self.key(u)
        if k in self.rows:
            return
        taken = sum(1 for r in self.rows.values() if r["candidate"] != REFERENCE)
        number = REFERENCE if np.isnan(u).all() else taken
        row = {"candidate": number, "generation": generation}
        row.update({f"u{i}": float(x) for i, x in enumerate(u)})
        row.update(outputs)
        self.rows[k] = row
        self.order.append(k)

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([self.rows[k] for k in self.order])

    def outputs(self, X: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame([self.rows[self.key(u)] for u in X]).reset_index(drop=True)

    def load(self, frame: pd.DataFrame) -> None:
        for _, row in frame.iterrows():
            u = row[[f"u{i}" for i in range(self.n_var)]].to_numpy(float)
            k = self.key(u)
            self.rows[k] = row.to_dict()
            self.order.append(k)


def _coordinates(key: bytes) -> np.ndarray:
    u = np.frombuffer(key, dtype=np.float64).copy()
    return np.where(u < 0, np.nan, u)


@dataclass
class Search:
    """One optimisation's search state: the model, the archive and the checkpoint file."""

    model: CandidateModel
    objectives: tuple[Objective, ...]
    constraints: tuple[Constraint, ...]
    measure: str
    budget: int
    seed: int
    checkpoint: Path | None = None
    archive: Archive = field(init=False)

    def __post_init__(self) -> None:
        self.archive = Archive(len(self.model.space.levers))

    @property
    def n_worlds(self) -> int:
        return len(self.model.worlds)

    def resume(self) -> int:
        """Read the checkpoint's evaluations into the archive; returns how many."""
        if self.checkpoint is None:
            return 0
        for suffix in (".parquet", ".csv"):
            path = self.checkpoint.with_suffix(suffix)
            if path.exists():
                self.archive.load(read_table(path))
                return len(self.archive.order)
        return 0

    def save(self) -> None:
        if self.checkpoint is not None:
            write_table(self.archive.table(), self.checkpoint)

    def evaluate(
        self, X: np.ndarray, generation: int, runner: Executor, progress: Callable | None
    ) -> None:
        """Simulate the rows of X not yet in the archive (in chunks on ``runner``), then save."""
        todo = [u for u in dict.fromkeys(map(Archive.key, X)) if u not in self.archive.rows]
        rows = np.array([_coordinates(k) for k in todo])
        if len(rows):
            size = max(1, math.ceil(len(rows) / (2 * runner.workers)))
            chunks = [(c, rows[s : s + size]) for c, s in enumerate(range(0, len(rows), size))]
            frames: dict[int, pd.DataFrame] = {}
            with contextlib.closing(runner.map(self.model, chunks)) as finished:
                for chunk_id, frame in finished:
                    frames[chunk_id] = frame
                    if progress:
                        progress(len(frame))
            for chunk_id, chunk in chunks:  # in chunk order: the archive's order is the workers'
                for u, (_, out) in zip(chunk, frames[chunk_id].iterrows(), strict=True):
                    self.archive.add(u, generation, out.to_dict())
            self.save()

    def scores(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """pymoo's F (robust losses) and G (constraint excess) of the rows of X; a regret is
        measured from the best losses in the whole archive."""
        evals = self.archive.outputs(X)
        loss = losses(evals, self.objectives, self.n_worlds)
        best = None
        if self.measure == "regret":
            best = best_per_world(losses(self.archive.table(), self.objectives, self.n_worlds))
        F = for_optimiser(robust(loss, self.measure, best))
        G = constraint_excess(evals, self.constraints, self.n_worlds)
        return F, G

    def run(
        self,
        runner: Executor,
        progress: Callable[[int], None] | None = None,
        check: Callable[[dict[str, float]], None] | None = None,
    ) -> int:
        """The search, from the seed; returns the number of generations. The reference rule is
        evaluated first (a regret is measured against it too); ``check(metrics)`` is called with
        the metrics that its run wrote (name → mean), before the search starts."""
        from pymoo.core.problem import Problem

        from ..executors import SerialExecutor

        d = self.archive.n_var
        # in this process: one rule is not worth starting worker processes for
        self.evaluate(np.full((1, d), np.nan), REFERENCE, SerialExecutor(), progress)
        if check is not None:  # the metrics of the reference's run (in the first world)
            table = self.archive.table()
            first = table.iloc[0] if len(table) else None
            check(
                {
                    c[: -len("@w0")]: float(first[c]) if first is not None else float("nan")
                    for c in table.columns
                    if c.endswith("@w0")
                }
            )
        n_obj = len(self.objectives)
        pop_size = population_size(self.budget, n_obj)
        n_gen = max(1, self.budget // pop_size)
        problem = Problem(n_var=d, n_obj=n_obj, n_ieq_constr=len(self.constraints), xl=0.0, xu=1.0)
        algorithm = algorithm_for(n_obj, pop_size)
        algorithm.setup(problem, termination=("n_gen", n_gen), seed=self.seed, verbose=False)
        generation = 0
        while algorithm.has_next():
            infills = algorithm.ask()
            X = infills.get("X")
            self.evaluate(X, generation, runner, progress)
            self._tell(algorithm, infills, X)
            generation += 1
        return generation

    def _tell(self, algorithm, infills, X: np.ndarray) -> None:
        F, G = self.scores(X)
        infills.set("F", F)
        if self.constraints:
            infills.set("G", G)
        infills.apply(lambda ind: ind.evaluated.update(["F", "G"]))
        if self.measure == "regret" and algorithm.pop is not None and len(algorithm.pop):
            # the best losses moved: the survivors' regrets are measured from the new best
            survivors = algorithm.pop.get("X")
            algorithm.pop.set("F", self.scores(survivors)[0])
        algorithm.tell(infills=infills)


def nondominated(F: np.ndarray, feasible: np.ndarray) -> np.ndarray:
    """Indices of the feasible rows of F that no other feasible row dominates (pymoo's sorting)."""
    from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

    idx = np.flatnonzero(feasible)
    if idx.size == 0:
        return idx
    front = NonDominatedSorting().do(F[idx], only_non_dominated_front=True)
    return np.sort(idx[front])


def archive_front(search: Search) -> tuple[pd.DataFrame, Sequence[int]]:
    """The archive's table and the rows on its (feasible) non-dominated front, reference left out."""
    table = search.archive.table()
    loss = losses(table, search.objectives, search.n_worlds)
    F = for_optimiser(robust(loss, search.measure))
    G = constraint_excess(table, search.constraints, search.n_worlds)
    feasible = (G <= 0).all(axis=1) & (table["candidate"] != REFERENCE).to_numpy()
    return table, list(nondominated(F, feasible))
