"""perfsim: test government performance-evaluation rules on simulated departments before adoption."""

from importlib.metadata import PackageNotFoundError, version

from .experiments.compare import compare
from .experiments.sensitivity import SensitivityPlan
from .experiments.sensitivity import run_sensitivity as sensitivity
from .scenario import PerfsimError, ScenarioError, load_scenario
from .scoring import score
from .simulation import SimulationResult, simulate

try:
    __version__ = version("perfsim")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "PerfsimError",
    "ScenarioError",
    "SensitivityPlan",
    "SimulationResult",
    "__version__",
    "compare",
    "load_scenario",
    "score",
    "sensitivity",
    "simulate",
]
