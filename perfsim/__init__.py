"""perfsim: test government performance-evaluation rules on simulated departments before adoption."""

import importlib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

from .empirical import folder as empirical_folder

if TYPE_CHECKING:  # (imported on first use: see __getattr__)
    from .experiments.compare import compare
    from .experiments.optimize import optimize
    from .experiments.sensitivity import SensitivityPlan
    from .experiments.sensitivity import run_sensitivity as sensitivity
    from .scenario import PerfsimError, ScenarioError, load_scenario
    from .scoring import score
    from .simulation import SimulationResult, simulate

#: the package's names → (module, name there), each imported when first asked for: a command
#: (or a worker process) loads only what it uses; every module also loaded scipy.stats, pymoo
#: and the empirical analysis, about 1.5 s of a command's start on a slow machine
_LAZY = {
    "compare": (".experiments.compare", "compare"),
    "optimize": (".experiments.optimize", "optimize"),
    "SensitivityPlan": (".experiments.sensitivity", "SensitivityPlan"),
    "sensitivity": (".experiments.sensitivity", "run_sensitivity"),
    "PerfsimError": (".scenario", "PerfsimError"),
    "ScenarioError": (".scenario", "ScenarioError"),
    "load_scenario": (".scenario", "load_scenario"),
    "score": (".scoring", "score"),
    "SimulationResult": (".simulation", "SimulationResult"),
    "simulate": (".simulation", "simulate"),
}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'perfsim' has no attribute {name!r}")
    module, attribute = _LAZY[name]
    value = getattr(importlib.import_module(module, __name__), attribute)
    globals()[name] = value  # (once)
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


try:
    __version__ = version("perfsim")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"


def build_report(folder: str | Path) -> tuple[Path, Path]:
    """Write ``report.html`` and ``report.md`` of a result folder: :func:`perfsim.report.build_report`
    (imported when first called, so that ``import perfsim`` does not load matplotlib)."""
    from .report import build_report as build

    return build(folder)


# The package's entry wires the layers: an empirical folder written with its report
# (EmpiricalResult.write(report=True)) gets it from here, as the empirical layer cannot name the
# report layer above it.
empirical_folder.REPORT = build_report


__all__ = [
    "PerfsimError",
    "ScenarioError",
    "SensitivityPlan",
    "SimulationResult",
    "__version__",
    "build_report",
    "compare",
    "load_scenario",
    "optimize",
    "score",
    "sensitivity",
    "simulate",
]
