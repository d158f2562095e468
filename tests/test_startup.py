"""``import perfsim`` and a command's start load only what they use: the package's names are
imported on first use (``perfsim/__init__.py``, ``perfsim/empirical/__init__.py``), and the rule
engine imports scipy.stats only for rank rules and percentile slopes. Each of those libraries took
its part of the 3.6 s a command (or a parallel run's worker) spent starting on a slow machine."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
import types

import pytest
from helpers import ROOT

#: libraries a plain simulation never needs (scipy.stats: about a second to import)
HEAVY = (
    "scipy.stats",
    "pymoo",
    "matplotlib",
    "numba",
    "sklearn",
    "statsmodels",
    "SALib",
    "perfsim.empirical.analysis",
    "perfsim.experiments.optimize",
)


def _loaded_after(code: str) -> list[str]:
    probe = f"{code}\nimport sys\nprint('loaded:', *(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    return out.stdout.splitlines()[-1].split()[1:]


@pytest.mark.parametrize(
    "code",
    [
        "import perfsim",
        "import perfsim.cli",
        "import perfsim.simulation",
        "from perfsim.empirical import folder",
        # a command builds only its own arguments (each reads its defaults from its module)
        "from perfsim.cli import main; main(['validate', 'hangzhou-2011'])",
        # a scenario loaded and simulated (naive: the compiled loops are the best response's)
        "import perfsim; perfsim.simulate(perfsim.load_scenario('hangzhou-2011',"
        " ['world.policy=\"naive\"']), reps=2, seed=0)",
    ],
)
def test_a_start_loads_no_library_it_does_not_use(code):
    assert _loaded_after(code) == []


def test_the_rules_that_rank_still_find_scipy():
    """Percentile ranks, Borda points and the percentile slope import scipy.stats when they are
    computed (the same numbers as scipy's ranks and density)."""
    import numpy as np
    from scipy.stats import norm, rankdata

    from perfsim.rules import aggregate, normalize, slopes

    x = np.array([[3.0, 1.0], [1.0, 1.0], [2.0, 5.0]])
    ascending = rankdata(x, method="average", axis=0)
    ranks = normalize.percentile_rank(x, base=0.0, span=1.0)
    assert np.array_equal(ranks, (ascending - 1) / 2)
    assert np.allclose(aggregate.borda(x), 100 * ((ascending - 1) / 2).mean(-1))
    one = np.ones(2)
    slope = slopes.slope("percentile", x, benefit=np.ones(2, bool), base=0 * one, span=one)
    density = norm.pdf(x, loc=x.mean(axis=0), scale=x.std(axis=0))
    assert np.allclose(slope, density)


def _every_module() -> None:
    import perfsim

    for info in pkgutil.walk_packages(perfsim.__path__, "perfsim."):
        if ".cli" not in info.name and not info.name.endswith("__main__"):  # (they run it)
            importlib.import_module(info.name)


@pytest.mark.parametrize("package", ["perfsim", "perfsim.empirical"])
def test_every_public_name_is_the_object_its_module_defines(package):
    """Also once every module is loaded: a submodule of the same name as a function (the
    calibration module was ``calibrate``) would otherwise shadow it."""
    _every_module()
    pkg = importlib.import_module(package)
    for name in pkg.__all__:
        value = getattr(pkg, name)
        assert not isinstance(value, types.ModuleType), f"{package}.{name} is a module"
        if name in getattr(pkg, "_LAZY", {}):
            module, attribute = pkg._LAZY[name]
            assert value is getattr(importlib.import_module(module, package), attribute)
    assert set(pkg.__all__) <= set(dir(pkg))
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        pkg.nothing  # noqa: B018


def test_a_commands_own_parser_is_the_one_of_the_whole_cli():
    """The parser built for one command has that command's arguments exactly as the parser of
    every command has them."""
    from perfsim.cli import COMMANDS, build_parser

    def arguments(parser, name):
        sub = next(a for a in parser._actions if a.dest == "command").choices[name]
        return [(a.dest, tuple(a.option_strings), a.default, a.help) for a in sub._actions]

    everything = build_parser()
    for name in COMMANDS:
        assert arguments(build_parser(name), name) == arguments(everything, name), name
        assert len(arguments(build_parser(""), name)) == 1  # only -h


def test_import_perfsim_loads_neither_numpy_nor_pandas():
    """The command's entry (``perfsim.launch``) imports the package before it can catch Ctrl-C:
    the package must load nothing heavy for that window to be short (it loaded pandas through
    the empirical writer's report wiring: ~0.5 s)."""
    probe = "import perfsim, sys; print(*(m for m in ('numpy', 'pandas') if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("entry", ["from perfsim.launch import main", "import perfsim.__main__"])
def test_ctrl_c_while_the_command_loads_says_interrupted_without_a_traceback(entry):
    """Ctrl-C while the command line was still being imported (numpy, pandas: its first few
    tenths of a second) printed a traceback and ended with status 1; now it stops as a later
    interrupt does: one line, status 130. The interrupt is made to arrive while pandas loads
    (scoring a table loads it; ``perfsim scenarios`` no longer does)."""
    table = ROOT / "scenarios" / "data" / "hangzhou-2011-units.csv"
    argv = ["perfsim", "score", str(table), "--rule", "hangzhou-2011"]
    code = f"""
import sys
class Stop:
    def find_spec(self, name, path=None, target=None):
        if name == "pandas":
            raise KeyboardInterrupt
sys.meta_path.insert(0, Stop())
sys.argv = {argv!r}
{entry}
{"main()" if "launch" in entry else ""}
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 130 and done.stderr == "perfsim: interrupted\n", done.stderr
    assert done.stdout == ""
