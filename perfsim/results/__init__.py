"""Result folders: one typed record per experiment kind, with ``write(folder, force=False)`` and
``read(folder)``, and every file name of a result folder written once (:mod:`.names`).

=====================  ===============================  ======================================
kind                   record                           built from
=====================  ===============================  ======================================
``run``                :class:`RunRecord`               :class:`perfsim.SimulationResult`
``comparison``         :class:`ComparisonRecord`        :class:`~perfsim.experiments.compare.Comparison`
``sensitivity``        :class:`SensitivityRecord`       :class:`~perfsim.experiments.sensitivity.SensitivityResult`
``empirical``          :class:`EmpiricalRecord`         :class:`~perfsim.empirical.EmpiricalResult`
=====================  ===============================  ======================================

:func:`read_result` reads any of them (by the folder's kind); :mod:`perfsim.report` renders what it
returns and never opens a result file itself.

**Why records and not the experiments' own classes.** The layers are scenario → rules/world →
engine → experiments/empirical → results → report → cli. The in-memory results
(``SimulationResult``, ``Comparison``, ``SensitivityResult``, ``EmpiricalResult``) are made by the
layers below and stay there: ``simulate`` returns a ``SimulationResult`` and the sensitivity run
checkpoints its folder while it runs, so moving those classes up here would make the lower layers
import upwards. A record is what a *folder* holds (tables and metadata, as written and as read
back); it is built from the in-memory result (``from_simulation``, ``from_comparison``,
``from_result``) and imports it, never the reverse. The old entry points (``write_run``,
``write_comparison``, ``EmpiricalResult.write``) are thin wrappers over the records.

:mod:`.names` imports nothing, so the layers below (``perfsim.io``, the sensitivity checkpoint) can
use the file names without a cycle; for the same reason this package imports its records lazily.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .comparison import ComparisonRecord
    from .empirical import EmpiricalRecord
    from .files import ResultFolderError
    from .read import read_result
    from .run import RunRecord
    from .sensitivity import SensitivityRecord

__all__ = [
    "ComparisonRecord",
    "EmpiricalRecord",
    "ResultFolderError",
    "RunRecord",
    "SensitivityRecord",
    "read_result",
]

_WHERE = {
    "ComparisonRecord": "comparison",
    "EmpiricalRecord": "empirical",
    "ResultFolderError": "files",
    "RunRecord": "run",
    "SensitivityRecord": "sensitivity",
    "read_result": "read",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
