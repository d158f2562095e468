"""perfsim: test government performance-evaluation rules on simulated departments before adoption."""

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

from . import lazy

if TYPE_CHECKING:  # (imported on first use: _LAZY)
    from .experiments.compare import compare
    from .experiments.optimize import optimize
    from .experiments.sensitivity import SensitivityPlan
    from .experiments.sensitivity import run_sensitivity as sensitivity
    from .plotting.fonts import use_cjk_font
    from .scenario import PerfsimError, ScenarioError, load_scenario
    from .scoring import score
    from .simulation import SimulationResult, simulate

#: the package's names → (module, name there), each imported when first asked for
#: (:mod:`perfsim.lazy`): a command, or a worker process, loads only what it uses (importing any
#: module of the package used to load scipy.stats, pymoo and the empirical analysis too: 2 s of a
#: command's start on a slow machine)
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
    "use_cjk_font": (".plotting.fonts", "use_cjk_font"),
}


__getattr__, __dir__ = lazy.names(__name__, _LAZY, globals())


try:
    __version__ = version("perfsim")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"


def build_report(folder: str | Path, lang: str = "en") -> tuple[Path, Path]:
    """Write ``report.html`` and ``report.md`` of a result folder (in another language ``lang``,
    ``report.<lang>.html``): :func:`perfsim.report.build_report` (imported when first called, so
    that ``import perfsim`` does not load matplotlib)."""
    from .report import build_report as build

    return build(folder, lang)


# The package's entry wires the layers: an empirical folder written with its report
# (EmpiricalResult.write(report=True)) gets it from here, as the empirical layer cannot name the
# report layer above it. (Lent, not set on the empirical module: importing that loads pandas, and
# ``import perfsim`` loads nothing heavy, so that the command can catch an early Ctrl-C.)
lazy.LENT["report"] = build_report


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
    "use_cjk_font",
]
