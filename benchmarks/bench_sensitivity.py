"""Benchmark the sensitivity-analysis machinery: parallel efficiency and the analysis's share.

Runs the same analysis (default: Sobol', N = 256, on the demo scenario) with 1 and with 2 worker
processes, in this one process, alternating the two ``--repeat`` times, and prints for each pair:

1. the parallel efficiency of 2 workers against 1: T(1) / (2 · T(2)), wall time of the whole
   analysis (sampling, evaluation, analysis, run folder; target ≥ 0.8);
2. the share of wall time spent in the analysis (indices, intervals, convergence check; from
   ``seconds_analysis`` in sensitivity.json; target ≤ 20 %), for each run;
3. the time estimate made from one pilot sample before the run, against the evaluation time;
4. CPU seconds (this process and its joined workers) and the load average: on a shared machine
   the efficiency falls when other processes take the cores, while the CPU ratio (2 workers / 1)
   shows what the parallel run itself costs (worker start-up, pickling, chunk files).

The machine may be shared: run ``--repeat 3`` and read the spread between repeats.

    python benchmarks/bench_sensitivity.py [--n 256] [--reps 10] [--method sobol] [--repeat 1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "scenarios" / "teaching" / "sensitivity-demo.toml"


def run(args: argparse.Namespace, jobs: int, out: Path) -> dict:
    """Wall time, evaluation, analysis and estimated seconds of one run."""
    from perfsim.experiments.sensitivity import run_sensitivity

    started, cpu = time.perf_counter(), os.times()
    result = run_sensitivity(
        args.scenario,
        method=args.method,
        n=args.n,
        reps=args.reps,
        jobs=jobs,
        out=out,
        figures=False,
        estimate=lambda seconds, workers: None,  # records seconds_estimated (one pilot sample)
    )
    wall, after = time.perf_counter() - started, os.times()
    meta = result.metadata
    # CPU seconds of this process and of its finished (joined) worker processes
    used = sum(after[:4]) - sum(cpu[:4])
    return {
        "wall": wall,
        "cpu": used,
        "load": os.getloadavg()[0],
        "evaluation": meta["seconds_evaluation"],
        "analysis": meta["seconds_analysis"],
        "estimated": meta["seconds_estimated"],
        "runs": meta["runs"],
        "chunk_size": meta["chunk_size"],
    }


def show(jobs: int, r: dict) -> None:
    print(
        f"  {jobs} worker{'s' if jobs > 1 else ' '}: {r['wall']:6.1f} s wall "
        f"(chunks of {r['chunk_size']}); evaluation {r['evaluation']:6.1f} s "
        f"(estimated {r['estimated']:.0f} s from a pilot sample); analysis {r['analysis']:.2f} s "
        f"= {r['analysis'] / r['wall']:.1%} of wall time (target ≤ 20 %); "
        f"{r['cpu']:.1f} CPU s, {r['cpu'] / r['wall']:.2f} cores busy; load average {r['load']:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=256)
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--method", default="sobol")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--scenario", default=str(DEMO))
    args = parser.parse_args()

    efficiencies = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.repeat):
            serial = run(args, 1, Path(tmp) / f"serial-{k}")
            parallel = run(args, 2, Path(tmp) / f"parallel-{k}")
            if k == 0:
                print(
                    f"{Path(args.scenario).name}: {args.method}, n = {args.n}, "
                    f"{serial['runs']} samples × {args.reps} replications"
                )
            efficiency = serial["wall"] / (2 * parallel["wall"])
            efficiencies.append(efficiency)
            print(
                f"repeat {k + 1}: parallel efficiency {efficiency:.2f} (target ≥ 0.8); CPU seconds "
                f"2 workers / 1: {parallel['cpu'] / serial['cpu']:.2f} (the parallel overhead; "
                "the rest is cores taken by other processes)"
            )
            show(1, serial)
            show(2, parallel)
    if len(efficiencies) > 1:
        print(
            f"parallel efficiency: median {statistics.median(efficiencies):.2f}, "
            f"range {min(efficiencies):.2f}–{max(efficiencies):.2f} over {len(efficiencies)} pairs"
        )


if __name__ == "__main__":
    main()
