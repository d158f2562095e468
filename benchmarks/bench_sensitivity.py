"""Benchmark the sensitivity-analysis machinery.

Prints, for a Sobol analysis of a bundled scenario:
1. the parallel speed-up of 2 worker processes over 1 (wall time of the whole analysis: sampling,
   evaluation, analysis; target ≥ 1.7 on 2 cores);
2. the share of wall time spent outside the engine (sampling, overrides and validation of each
   sample, chunk files, SALib analysis; target ≤ 10 %), measured in the serial run by timing every
   call of the engine (``perfsim.engine.run_blocks``).

    python benchmarks/bench_sensitivity.py [--n 256] [--reps 10] [--scenario scenarios/teaching/sensitivity-demo.toml]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(scenario: str, n: int, reps: int, jobs: int, out: Path) -> float:
    from perfsim.experiments.sensitivity import run_sensitivity

    t0 = time.perf_counter()
    run_sensitivity(scenario, method="sobol", n=n, reps=reps, jobs=jobs, out=out, figures=False)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=256)
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument(
        "--scenario", default=str(ROOT / "scenarios" / "teaching" / "sensitivity-demo.toml")
    )
    args = parser.parse_args()

    from perfsim import engine

    inside = 0.0
    originals = {name: getattr(engine, name) for name in ("build", "run_blocks")}

    def timed(function):
        def wrapper(*a, **k):
            nonlocal inside
            t0 = time.perf_counter()
            try:
                return function(*a, **k)
            finally:
                inside += time.perf_counter() - t0

        return wrapper

    with tempfile.TemporaryDirectory() as tmp:
        for name, function in originals.items():
            setattr(engine, name, timed(function))
        serial = run(args.scenario, args.n, args.reps, 1, Path(tmp) / "serial")
        for name, function in originals.items():
            setattr(engine, name, function)
        parallel = run(args.scenario, args.n, args.reps, 2, Path(tmp) / "parallel")
    print(f"scenario: {args.scenario}; Sobol, N = {args.n}, {args.reps} replications per sample")
    print(f"  1 process:   {serial:7.1f} s")
    print(f"  2 processes: {parallel:7.1f} s   speed-up {serial / parallel:.2f} (target ≥ 1.7)")
    print(
        f"  outside the engine (serial run): {1 - inside / serial:.1%} of wall time (target ≤ 10 %)"
    )


if __name__ == "__main__":
    main()
