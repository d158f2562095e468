"""benchmarks/trace_best_response.py reads the best response's rounds without changing them: as many
rounds as the block iterated, the same equilibrium as an untraced run, and every department that
still moves is one whose response was computed that round (its pick is known)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

import perfsim
from perfsim import engine

ROOT = Path(__file__).resolve().parents[1]


def _trace_module():
    spec = importlib.util.spec_from_file_location(
        "trace_best_response", ROOT / "benchmarks" / "trace_best_response.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_trace_counts_the_rounds_of_the_block_and_changes_nothing():
    sc = perfsim.load_scenario(ROOT / "scenarios" / "hangzhou-2011.toml", ["world.departments=40"])
    tolerance = sc.world.tolerance
    rows, traced = _trace_module().trace(sc, reps=3, seed=2, moving=10 * tolerance)
    plain = engine.run_block(engine.build(sc), 2, 0, 3, keep_state=True)
    assert len(rows) == plain.diagnostics["iterations"]
    assert rows[0]["active"] == 3 and rows[0]["moving"] > 0
    assert rows[-1]["moving"] == 0  # it stopped because every step was within the tolerance
    for r in rows:
        assert r["interior"] + r["none"] + r["cut-off"] == r["moving"]
    for key in ("effort", "gaming"):  # the traced run is the plain one
        np.testing.assert_array_equal(traced.state[key], plain.state[key])
    # and the hooks are undone: the engine's functions are its own again
    from perfsim.world import profile, regimes, response

    assert response.Schedule.update.__module__ == "perfsim.world.response"
    assert profile.cutoffs.__module__ == "perfsim.world.profile"
    assert regimes.Regimes.update.__module__ == "perfsim.world.regimes"
