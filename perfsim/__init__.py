"""perfsim: test government performance-evaluation rules on simulated departments before adoption."""

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from .empirical import folder as empirical_folder
from .experiments.compare import compare
from .experiments.optimize import optimize
from .experiments.sensitivity import SensitivityPlan
from .experiments.sensitivity import run_sensitivity as sensitivity
from .scenario import PerfsimError, ScenarioError, load_scenario
from .scoring import score
from .simulation import SimulationResult, simulate

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
