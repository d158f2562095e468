"""What the figures and the report of a run or a comparison need, in one shape
(:class:`RunFolder`), built from the records that :mod:`perfsim.results` reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..results import ComparisonRecord, ResultFolderError, RunRecord, read_result

__all__ = ["RunFolder", "RunFolderError", "load_run"]

RunFolderError = ResultFolderError
"""A folder that is not (or no longer) a complete perfsim run or comparison folder."""


@dataclass
class RunFolder:
    """A run or a comparison as the report shows it.

    ``rules`` are the rule names (the first is the reference of a comparison), ``worlds`` the
    world names; the per-department tables (``departments``, ``confusion``, ``metrics``) are those
    of the first world, keyed by rule."""

    path: Path
    kind: str  # "run" or "comparison"
    metadata: dict
    rules: list[str]
    worlds: list[str]
    scenarios: dict[str, dict]  # rule → resolved scenario (raw dict)
    record: RunRecord | ComparisonRecord
    metrics: dict[str, pd.DataFrame] = field(default_factory=dict)
    departments: dict[str, pd.DataFrame] = field(default_factory=dict)
    confusion: dict[str, pd.DataFrame] = field(default_factory=dict)
    comparison: pd.DataFrame | None = None
    robustness: pd.DataFrame | None = None

    @property
    def reference(self) -> str:
        return self.rules[0]

    def run_metadata(self, world: str, rule: str) -> dict:
        """``metadata.json`` of the run of a rule in a world."""
        if isinstance(self.record, ComparisonRecord):
            return self.record.run(world, rule).metadata
        return self.record.metadata

    @classmethod
    def from_record(cls, record: RunRecord | ComparisonRecord) -> RunFolder:
        if isinstance(record, ComparisonRecord):
            rules, worlds = record.rules, record.worlds
            runs = {rule: record.run(worlds[0], rule) for rule in rules}
            scenarios = dict(record.metadata.get("resolved_scenarios", {}))
        else:
            rules, worlds = [record.name], ["base"]
            runs = {record.name: record}
            scenarios = {record.name: record.metadata.get("resolved_scenario", {})}
        is_comparison = isinstance(record, ComparisonRecord)
        return cls(
            path=Path(record.path or "."),
            kind="comparison" if is_comparison else "run",
            metadata=record.metadata,
            rules=rules,
            worlds=worlds,
            scenarios=scenarios,
            record=record,
            metrics={r: run.metrics for r, run in runs.items()},
            departments={r: t for r, run in runs.items() if (t := run.departments) is not None},
            confusion={r: t for r, run in runs.items() if (t := run.confusion) is not None},
            comparison=record.table if is_comparison else None,
            robustness=record.robustness if is_comparison else None,
        )


def load_run(run_dir: str | Path) -> RunFolder:
    """Read a run folder or a comparison folder (:func:`perfsim.results.read_result`); any other
    folder raises :class:`RunFolderError` (a :class:`~perfsim.PerfsimError`)."""
    record = read_result(run_dir)
    if not isinstance(record, RunRecord | ComparisonRecord):
        raise RunFolderError(
            f"{run_dir}: not a perfsim run folder; give a folder written by `perfsim run` or "
            "`perfsim compare`"
        )
    return RunFolder.from_record(record)
