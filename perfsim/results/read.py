""":func:`read_result`: the record of any result folder, by the folder's kind."""

from __future__ import annotations

from pathlib import Path

from ..scenario import PerfsimError
from ..scenario.errors import error
from .check import check_result_folder
from .comparison import ComparisonRecord
from .empirical import EmpiricalRecord
from .files import ResultFolderError
from .optimization import OptimizationRecord
from .run import RunRecord
from .sensitivity import SensitivityRecord

Record = RunRecord | ComparisonRecord | SensitivityRecord | EmpiricalRecord | OptimizationRecord


def read_result(folder: str | Path) -> Record:
    """The record of a result folder. A folder that is not one, or an incomplete or damaged one,
    raises :class:`ResultFolderError` (a :class:`~perfsim.PerfsimError`) that says what is
    missing (:func:`.check.check_result_folder`). A comparison's sub-runs
    of its first world are read at once (the report needs them), the others when asked for."""
    path = Path(folder)
    kind = check_result_folder(path)  # names what is missing, before anything is read
    try:
        if kind == "comparison":
            record = ComparisonRecord.read(path)
            for rule in record.rules:
                record.run(record.worlds[0], rule)
            return record
        reader = {
            "run": RunRecord,
            "sensitivity": SensitivityRecord,
            "empirical": EmpiricalRecord,
            "optimization": OptimizationRecord,
        }
        return reader[kind].read(path)
    except (OSError, KeyError, ValueError) as exc:
        if isinstance(exc, PerfsimError):
            raise
        what = kind if kind in ("sensitivity", "empirical", "optimization") else "run"
        raise ResultFolderError(error(f"damaged_{what}_folder", path=path, detail=exc)) from exc
