"""Benchmark a very large world: 100,000 departments × 2 replications, naive policy.

The Hangzhou 2011 scenario with ``world.policy = "naive"`` and ``world.departments`` overridden,
run in a fresh process; prints the run time and the peak resident memory of that process
(``VmHWM``, else ``ru_maxrss``; target < 4 GB). Nothing in the naive path may hold a departments² array: Kendall's
τ-b by bit sets alone took 6.5 GB here, by merge sort it takes ``dept · log dept``.

    python benchmarks/bench_large.py [--departments 100000] [--reps 2] [--scenario ...]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_MB = 4096

CHILD = """
import resource, sys, time
import perfsim

scenario, departments, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
sc = perfsim.load_scenario(
    scenario, ['world.policy="naive"', f"world.departments={departments}"]
)
t0 = time.perf_counter()
res = perfsim.simulate(sc, reps=reps, seed=0)
seconds = time.perf_counter() - t0
tau = res.metric("kendall_tau")
try:  # the peak of this process image: ru_maxrss can carry over a forking parent's peak
    peak = int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024
except (OSError, IndexError):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(seconds, peak, tau)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--departments", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "hangzhou-2011.toml"))
    args = parser.parse_args()
    out = subprocess.run(
        [sys.executable, "-c", CHILD, args.scenario, str(args.departments), str(args.reps)],
        capture_output=True,
        text=True,
    )
    if out.returncode:
        print(out.stderr, file=sys.stderr)
        return out.returncode
    seconds, peak_mb, tau = map(float, out.stdout.split())
    print(
        f"large world: {args.scenario} with {args.departments:,} departments × {args.reps} "
        "replications, naive policy"
    )
    print(
        f"  {seconds:.1f} s (simulate), peak resident memory {peak_mb:,.0f} MB of the whole process "
        f"(target < {TARGET_MB:,} MB: {'met' if peak_mb < TARGET_MB else 'MISSED'}); "
        f"Kendall tau {tau:.4f}"
    )
    return 0 if peak_mb < TARGET_MB else 1


if __name__ == "__main__":
    sys.exit(main())
