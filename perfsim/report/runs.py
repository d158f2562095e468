"""What the figures and the report of a run or a comparison need, in one shape
(:class:`RunFolder`), built from the records that :mod:`perfsim.results` reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..i18n import translated_name
from ..results import ComparisonRecord, ResultFolderError, RunRecord, read_result
from ..scenario.errors import error

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
    keys: dict[str, str] = field(default_factory=dict)  # shown rule name → name in the folder

    @property
    def reference(self) -> str:
        return self.rules[0]

    @property
    def own_worlds(self) -> bool:
        """Whether the rules ran each in a world of its own (other departments, tasks or
        classes), so that they did not see the same departments."""
        from ..scenario.worlds import other_worlds

        return bool(other_worlds({r: (sc or {}).get("world") for r, sc in self.scenarios.items()}))

    def run_metadata(self, world: str, rule: str) -> dict:
        """``metadata.json`` of the run of a rule (as shown) in a world."""
        if isinstance(self.record, ComparisonRecord):
            return self.record.run(world, self.keys.get(rule, rule)).metadata
        return self.record.metadata

    @classmethod
    def from_record(cls, record: RunRecord | ComparisonRecord) -> RunFolder:
        if isinstance(record, ComparisonRecord):
            rules, worlds = record.rules, record.worlds
            runs = {rule: record.run(worlds[0], rule) for rule in rules}
            scenarios = dict(record.metadata.get("resolved_scenarios", {}))
            if not scenarios:  # (an older perfsim's folder: each run keeps its own)
                scenarios = _run_scenarios(record, runs)
        else:
            rules, worlds = [record.name], ["base"]
            runs = {record.name: record}
            scenarios = {record.name: record.metadata.get("resolved_scenario", {})}
        is_comparison = isinstance(record, ComparisonRecord)
        shown = shown_names(rules, scenarios)
        return cls(
            path=Path(record.path or "."),
            kind="comparison" if is_comparison else "run",
            metadata=record.metadata,
            rules=[shown.get(r, r) for r in rules],
            worlds=worlds,
            scenarios=_renamed(scenarios, shown),
            record=record,
            metrics=_renamed({r: run.metrics for r, run in runs.items()}, shown),
            departments=_renamed(
                {r: t for r, run in runs.items() if (t := run.departments) is not None}, shown
            ),
            confusion=_renamed(
                {r: t for r, run in runs.items() if (t := run.confusion) is not None}, shown
            ),
            comparison=renamed_rows(record.table, shown) if is_comparison else None,
            robustness=renamed_rows(record.robustness, shown) if is_comparison else None,
            keys={new: old for old, new in shown.items()},
        )


def _run_scenarios(record: ComparisonRecord, runs: Mapping) -> dict[str, dict]:
    """Each rule's resolved scenario from its run, in a comparison folder without the table of
    them all (an older perfsim's); across several worlds a run's scenario holds its world's
    --across values and the rules' own cannot be told from them: refused."""
    if len(record.worlds) > 1:
        raise ResultFolderError(error("comparison_no_scenarios", path=record.path))
    return {r: s for r, run in runs.items() if (s := run.metadata.get("resolved_scenario"))}


def shown_names(rules: list[str], scenarios: dict[str, dict]) -> dict[str, str]:
    """Rule name → its name in the current language, for each rule named after its scenario
    (``meta.name``) whose scenario translates the name (:func:`translated_name`); a variant keeps
    the name the user gave it."""
    shown = {}
    for rule in rules:
        meta = scenarios.get(rule, {}).get("meta") or {}
        own = translated_name(meta)
        if own and rule == meta.get("name") and own not in rules:
            shown[rule] = own
    return shown


def _renamed(table: dict, shown: dict[str, str]) -> dict:
    return {shown.get(k, k): v for k, v in table.items()}


def renamed_rows(frame: pd.DataFrame | None, shown: dict[str, str]) -> pd.DataFrame | None:
    """``frame`` with its ``rule`` column's names as :func:`shown_names` gives them."""
    if frame is None or not shown or "rule" not in frame:
        return frame
    return frame.assign(rule=frame["rule"].replace(shown))


def load_run(run_dir: str | Path) -> RunFolder:
    """Read a run folder or a comparison folder (:func:`perfsim.results.read_result`); any other
    folder raises :class:`RunFolderError` (a :class:`~perfsim.PerfsimError`)."""
    record = read_result(run_dir)
    if not isinstance(record, RunRecord | ComparisonRecord):
        raise RunFolderError(error("not_run_or_comparison", path=run_dir))
    return RunFolder.from_record(record)
