"""Multi-year runs of 10 years cost at most 10 times one year at the same replications (issue 13,
"Done means"; benchmarks/bench_horizon.py measures the same with more replications). Timed in
this one process in CPU time (another process on the machine does not count; wall time made a
12 ms one-year run 30 % slower now and then, 10.4 × once), best of three alternating runs."""

from __future__ import annotations

import time
import warnings

from helpers import ROOT

import perfsim


def _seconds(scenario, periods: int, extra: list[str]) -> float:
    t0 = time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        perfsim.simulate(scenario, reps=30, seed=0, overrides=[f"world.periods={periods}", *extra])
    return time.process_time() - t0


def test_ten_years_cost_at_most_ten_times_one_year():
    # finite horizon: each year has its own ratchet factor and targets, so each year is solved anew
    scenario = ROOT / "scenarios" / "teaching" / "ratchet.toml"
    extra = ["world.horizon=finite"]
    _seconds(scenario, 1, extra)  # imports and caches outside the timing
    one, ten = [], []
    for _ in range(3):
        one.append(_seconds(scenario, 1, extra))
        ten.append(_seconds(scenario, 10, extra))
    assert min(ten) <= 10 * min(one), (min(one), min(ten))
    # and the ten years are really simulated: their runs take longer than one year's
    assert min(ten) > min(one)
