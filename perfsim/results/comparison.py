"""A comparison folder (``perfsim compare``): :class:`ComparisonRecord`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..experiments.compare import Comparison, comparison_metadata, write_comparison_folder
from .files import ResultFolderError, read_csv, read_csv_if, read_json
from .names import ComparisonFiles
from .run import RunRecord


@dataclass
class ComparisonRecord:
    """What a comparison folder holds: ``metadata.json`` (rules, worlds, resolved scenarios and
    their hashes), ``comparison.csv``, ``robustness.csv`` (with ``--across``) and one run folder
    per world × rule under ``runs/``.

    ``runs`` maps (world, rule) to the sub-run, or (read back) to its folder until
    :meth:`run` reads it."""

    metadata: dict
    table: pd.DataFrame  # world, metric, rule, mean, se, diff, …, verdict, direction
    robustness: pd.DataFrame | None = None
    runs: dict[tuple[str, str], RunRecord | Path] = field(default_factory=dict)
    path: Path | None = None

    @property
    def rules(self) -> list[str]:
        """Rule names; the first is the reference."""
        return list(self.metadata["rules"])

    @property
    def worlds(self) -> list[str]:
        return list(self.metadata["worlds"])

    @classmethod
    def from_comparison(cls, comp: Comparison, *, seed: int, reps: int) -> ComparisonRecord:
        metadata = comparison_metadata(comp, seed=seed, reps=reps)
        runs = {key: RunRecord.from_simulation(r) for key, r in comp.results.items()}
        return cls(metadata, comp.table, comp.robustness, runs)

    def run(self, world: str, rule: str) -> RunRecord:
        """The sub-run of a world and a rule (read from its folder the first time)."""
        sub = self.runs[(world, rule)]
        if not isinstance(sub, RunRecord):
            sub = self.runs[(world, rule)] = RunRecord.read(sub)
        return sub

    def write(self, folder: str | Path, force: bool = False) -> Path:
        """Write the folder atomically (:func:`~perfsim.experiments.compare.write_comparison_folder`;
        see :mod:`perfsim.io`); ``metadata.json`` gets the list of sub-run folders and the time
        written."""
        runs = {
            (world, rule): self.run(world, rule).to_simulation()
            for world in self.worlds
            for rule in self.rules
        }
        return write_comparison_folder(
            self.metadata, self.table, self.robustness, runs, folder, force=force
        )

    @classmethod
    def read(cls, folder: str | Path) -> ComparisonRecord:
        """Read a comparison folder (the sub-runs when first asked for, by :meth:`run`)."""
        path = Path(folder)
        meta = read_json(path / ComparisonFiles.METADATA)
        if meta.get("kind") != "comparison":
            raise ResultFolderError(f"{path}: not a perfsim comparison folder")
        text = {"verdict": str, "direction": str}
        table = read_csv(path / ComparisonFiles.COMPARISON, dtype=text)
        for col in text:
            table[col] = table[col].fillna("")
        robustness = read_csv_if(path / ComparisonFiles.ROBUSTNESS, dtype={"direction": str})
        runs: dict[tuple[str, str], RunRecord | Path] = {
            (r["world"], r["rule"]): path / r["folder"] for r in meta["runs"]
        }
        return cls(meta, table, robustness, runs, path)
