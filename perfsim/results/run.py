"""A simulation run folder (``perfsim run``): :class:`RunRecord`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..scenario.errors import error
from ..simulation import SimulationResult, write_run
from .files import ResultFolderError, checked, damaged, read_csv, read_csv_if, read_json
from .names import RunFiles


@dataclass
class RunRecord:
    """What a run folder holds: ``metadata.json`` and the tables of a :class:`SimulationResult`.

    Read back, the optional tables of an older folder may be None."""

    metadata: dict
    metrics: pd.DataFrame  # metric, mean, se, n, direction ("" = descriptive)
    departments: pd.DataFrame | None = None
    periods: pd.DataFrame | None = None
    replications: pd.DataFrame | None = None
    confusion: pd.DataFrame | None = None
    path: Path | None = None

    @classmethod
    def from_simulation(cls, result: SimulationResult) -> RunRecord:
        return cls(
            metadata=result.metadata,
            metrics=result.metrics,
            departments=result.departments,
            periods=result.periods,
            replications=result.per_rep,
            confusion=result.confusion,
        )

    @property
    def name(self) -> str:
        """The rule's name: the scenario's name, else its rule or meta name, else the file's stem."""
        meta = self.metadata
        resolved = meta.get("resolved_scenario") or {}
        return (
            meta.get("scenario_name")
            or (resolved.get("rule") or {}).get("name")
            or (resolved.get("meta") or {}).get("name")
            or Path(str(meta.get("scenario", "run"))).stem
        )

    def to_simulation(self) -> SimulationResult:
        """The run as a :class:`SimulationResult` (a table the folder lacked is empty)."""
        empty = pd.DataFrame()
        return SimulationResult(
            metrics=self.metrics,
            departments=self.departments if self.departments is not None else empty,
            periods=self.periods if self.periods is not None else empty,
            per_rep=self.replications if self.replications is not None else empty,
            confusion=self.confusion if self.confusion is not None else empty,
            metadata=self.metadata,
        )

    def write(self, folder: str | Path, force: bool = False) -> Path:
        """Write the folder atomically (:func:`perfsim.simulation.write_run`; see
        :mod:`perfsim.io` for when an existing folder is replaced and when ``force`` is needed)."""
        return write_run(self.to_simulation(), folder, force=force)

    @classmethod
    def read(cls, folder: str | Path) -> RunRecord:
        """Read a run folder; :class:`ResultFolderError` if it is not a complete one."""
        path = Path(folder)
        if not (path / RunFiles.METADATA).is_file():
            raise ResultFolderError(f"{path}: not a perfsim run folder (no {RunFiles.METADATA})")
        metrics = read_csv(path / RunFiles.METRICS, dtype={"direction": str})
        _check_metrics(metrics, path / RunFiles.METRICS)
        return cls(
            metadata=read_json(path / RunFiles.METADATA),
            metrics=metrics.fillna({"direction": ""}),
            departments=checked(
                read_csv_if(path / RunFiles.DEPARTMENTS, dtype={"class": str}),
                path / RunFiles.DEPARTMENTS,
                DEPARTMENT_COLUMNS,
                ("true_value", "total", "rank"),
            ),
            periods=read_csv_if(path / RunFiles.PERIODS),
            replications=read_csv_if(path / RunFiles.REPLICATIONS, index_col=0),
            confusion=_confusion(path / RunFiles.CONFUSION),
            path=path,
        )


#: the columns of departments.csv that every run writes (and a report reads)
DEPARTMENT_COLUMNS = ("department", "class", "true_value", "total", "rank", "grade")


def _confusion(file: Path) -> pd.DataFrame | None:
    """confusion.csv (bands × bands of shares), checked: every cell a number."""
    table = read_csv_if(file, index_col=0)
    return checked(table, file, numbers=list(table.columns) if table is not None else ())


def _check_metrics(metrics: pd.DataFrame, file: Path) -> None:
    """A metrics table as perfsim writes it: a name, a mean and a standard error per row, the
    numbers numbers (an empty cell where a metric is undefined); else the file was damaged or
    edited, and a report of it would fail half-way or show what perfsim did not compute."""
    checked(metrics, file, ("metric", "mean", "se"))
    for column in ("mean", "se"):
        values = pd.to_numeric(metrics[column], errors="coerce")
        bad = metrics[column][values.isna() & metrics[column].notna()]
        if len(bad) or np.isinf(values).any():
            row = bad.index[0] if len(bad) else int(np.flatnonzero(np.isinf(values))[0])
            why = error(
                "metric_not_finite",
                metric=metrics["metric"][row],
                column=column,
                value=repr(metrics[column][row]),
            )
            raise damaged(file, why)
