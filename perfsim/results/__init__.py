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

**Why records, and why the writers stay below.** The layers are scenario → rules/world → engine →
experiments/empirical → results → report → cli (``tests/test_architecture.py`` checks them). The
in-memory results (``SimulationResult``, ``Comparison``, ``SensitivityResult``,
``EmpiricalResult``) are made by the layers below and stay there: ``simulate`` returns a
``SimulationResult``, and the sensitivity run checkpoints its folder while it runs, so neither can
call up into this package. Their writers therefore stay beside them (``simulation.write_run``,
``experiments.compare.write_comparison_folder``, ``empirical.folder.write_folder``, the sensitivity
checkpoint), and every one of them takes its file names from :mod:`.names`, a leaf that imports
nothing and sits in the lowest layer. A record is what a *folder* holds (tables and metadata, as
written and as read back); it is built from the in-memory result (``from_simulation``,
``from_comparison``, ``from_result``), writes through those writers, and reads the folder back;
it imports the layers below, never the reverse. :mod:`perfsim.report` renders records and never
opens a result file itself. Records are imported lazily here, so that importing :mod:`.names`
from a lower layer loads nothing else.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .comparison import ComparisonRecord
    from .empirical import EmpiricalRecord
    from .files import ResultFolderError
    from .optimization import OptimizationRecord
    from .read import read_result
    from .run import RunRecord
    from .sensitivity import SensitivityRecord

__all__ = [
    "ComparisonRecord",
    "EmpiricalRecord",
    "OptimizationRecord",
    "ResultFolderError",
    "RunRecord",
    "SensitivityRecord",
    "read_result",
]

_WHERE = {
    "ComparisonRecord": "comparison",
    "EmpiricalRecord": "empirical",
    "OptimizationRecord": "optimization",
    "ResultFolderError": "files",
    "RunRecord": "run",
    "SensitivityRecord": "sensitivity",
    "read_result": "read",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
