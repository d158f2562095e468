"""Benchmark multi-year best-response runs: a 10-period run against a 1-period run at the same
replications (target: at most 10 times as long), each timed as the best of ``--repeat`` runs,
alternating, in this one process (timings on a shared machine are noisy; the ratio is what counts).

1. ``scenarios/teaching/ratchet.toml`` with ``world.horizon = "finite"``: every year has its own
   factor and the targets move, so each year's best response is solved anew, warm-started at the
   last year's choices.
2. ``scenarios/hangzhou-2011.toml`` (fixed targets; budgets follow the grades, 1.05/0.95, and buy
   productivity, so every year's problem is new and solved warm-started at the last year's
   choices; with budget factors of 1 it is the first year's, solved once and kept,
   perfsim.world.policies.BestResponse).
3. ``scenarios/teaching/budget.toml``: budget feedback (±20 %) moves every year's productivity.

    python benchmarks/bench_horizon.py [--reps 200] [--hangzhou-reps 10] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 10.0


def timed(scenario: Path, reps: int, periods: int, extra: list[str]) -> tuple[float, dict]:
    import perfsim

    t0 = time.perf_counter()
    res = perfsim.simulate(
        scenario, reps=reps, seed=0, overrides=[f"world.periods={periods}", *extra]
    )
    return time.perf_counter() - t0, res.metadata


def ratio(label: str, scenario: Path, reps: int, extra: list[str], repeat: int) -> float:
    """Best-of-``repeat`` seconds of 1- and 10-period runs, and their ratio (printed)."""
    timed(scenario, min(reps, 2), 1, extra)  # imports and caches outside the timing
    one, ten = [], []
    for _ in range(repeat):
        one.append(timed(scenario, reps, 1, extra)[0])
        elapsed, meta = timed(scenario, reps, 10, extra)
        ten.append(elapsed)
    r = min(ten) / min(one)
    print(
        f"{label}: {reps} replications; 1 period {min(one):.3f} s, 10 periods {min(ten):.3f} s, "
        f"ratio {r:.2f} (target ≤ {TARGET:g}; best-response iterations at most "
        f"{meta['best_response_iterations']:g})"
    )
    return r


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--reps", type=int, default=200)
    p.add_argument("--hangzhou-reps", type=int, default=10)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    scenarios = ROOT / "scenarios"
    ratios = [
        ratio(
            "ratchet, finite horizon",
            scenarios / "teaching" / "ratchet.toml",
            args.reps,
            ["world.horizon=finite"],
            args.repeat,
        ),
        ratio(
            "Hangzhou 2011, fixed targets",
            scenarios / "hangzhou-2011.toml",
            args.hangzhou_reps,
            [],
            args.repeat,
        ),
        ratio(
            "budget feedback (teaching)",
            scenarios / "teaching" / "budget.toml",
            args.reps,
            [],
            args.repeat,
        ),
    ]
    return 0 if max(ratios) <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
