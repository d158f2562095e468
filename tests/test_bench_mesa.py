"""The Mesa port of benchmarks/bench_mesa.py is the same model as perfsim's naive engine: each metric's
mean over replications agrees within Monte Carlo error, at the Hangzhou scenario's parameters and at
others (skipped when mesa, a benchmark-only extra, is not installed)."""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest
from helpers import ROOT

import perfsim

pytest.importorskip("mesa")

REPS = 60


@pytest.fixture(scope="module")
def port():
    spec = importlib.util.spec_from_file_location("mesa_port", ROOT / "benchmarks" / "mesa_port.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "overrides",
    [
        [],
        # another rater mix and quota, a noisier leadership panel
        [
            "rule.components.社会评价.share=0.3",
            "rule.components.目标考核.share=0.6",
            "rule.grading.quota.优秀=0.3",
            "world.raters.领导考评.noise=5",
        ],
        # a small survey (every respondent's answer drawn) and noisier indicators
        ["world.raters.社会评价.respondents=20", "world.indicators.公共服务.noise=2"],
    ],
)
def test_port_agrees_with_perfsim(port, overrides):
    sc = perfsim.load_scenario(
        ROOT / "scenarios" / "hangzhou-2011.toml",
        ['world.policy="naive"', "world.events={}", *overrides],
    )
    ours = perfsim.simulate(sc, reps=REPS, seed=3).per_rep
    theirs = port.run(port.params_from_scenario(sc), REPS, seed=3_000)
    for name in port.METRICS:
        a = ours[name].to_numpy()
        b = np.array([row[name] for row in theirs])
        se = np.hypot(a.std(ddof=1), b.std(ddof=1)) / np.sqrt(REPS)
        assert abs(a.mean() - b.mean()) <= 4 * se + 1e-12, (name, a.mean(), b.mean(), se)


def test_port_refuses_what_it_does_not_model(port):
    sc = perfsim.load_scenario(ROOT / "scenarios" / "hangzhou-2011.toml")  # best_response
    with pytest.raises(ValueError, match="world.policy"):
        port.params_from_scenario(sc)
    sc = perfsim.load_scenario(ROOT / "scenarios" / "hangzhou-2011.toml", ['world.policy="naive"'])
    with pytest.raises(ValueError, match="world.events"):  # the 创新创优 item and the veto event
        port.params_from_scenario(sc)
