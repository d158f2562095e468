"""perfsim's naive engine against an idiomatic Mesa 3 port of the same model (target: ≥ 100× faster
per replication at 200 replications).

The port (``benchmarks/mesa_port.py``) runs the Hangzhou 2011 scenario with the naive policy:
departments as Mesa agents, one model step per period, replications by ``mesa.batch_run``. This
script first checks that the port is the same model (each metric's mean over replications from
both, with its Monte Carlo standard error, and z = difference / combined SE), then times both in
this process, each as the best of a few runs (the timeit convention: the least disturbed), at 10 and
200 replications, in CPU time (and wall time). Mesa is a benchmark-only extra: ``pip install "perfsim[bench]"``.

    python benchmarks/bench_mesa.py [--reps 10 200] [--check-reps 400] [--repeat 3]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "hangzhou-2011.toml"
NAIVE = ['world.policy="naive"', "world.events={}"]  # the port models neither responses nor events


def load_port():
    """The module ``benchmarks/mesa_port.py`` (it imports mesa)."""
    spec = importlib.util.spec_from_file_location(
        "mesa_port", Path(__file__).with_name("mesa_port.py")
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def agreement(
    port, scenario, reps: int, seed: int = 1
) -> list[tuple[str, float, float, float, float]]:
    """Per metric of the port: (name, perfsim mean, its SE, Mesa mean, its SE) over ``reps``
    replications of each."""
    import perfsim

    result = perfsim.simulate(scenario, reps=reps, seed=seed).metrics.set_index("metric")
    rows = port.run(port.params_from_scenario(scenario), reps, seed=seed * 1_000_000)
    out = []
    for name in port.METRICS:
        v = np.array([row[name] for row in rows], dtype=float)
        out.append(
            (
                name,
                float(result.loc[name, "mean"]),
                float(result.loc[name, "se"]),
                float(v.mean()),
                float(v.std(ddof=1) / np.sqrt(v.size)),
            )
        )
    return out


def best_of(fn, repeat: int) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of ``fn()``, each the least of ``repeat`` runs."""
    cpu, wall = [], []
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        fn()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return min(cpu), min(wall)


def timing(port, scenario, reps: int, repeat: int) -> dict[str, tuple[float, float]]:
    """Seconds per replication, (CPU, wall), of perfsim and of the Mesa port, each the best of
    ``repeat`` runs (perfsim: of 5 × ``repeat``, as its runs are short)."""
    import perfsim

    params = port.params_from_scenario(scenario)
    fast = best_of(lambda: perfsim.simulate(scenario, reps=reps, seed=0), 5 * repeat)
    slow = best_of(lambda: port.run(params, reps, seed=0), repeat)
    return {"perfsim": (fast[0] / reps, fast[1] / reps), "mesa": (slow[0] / reps, slow[1] / reps)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, nargs="+", default=[10, 200])
    parser.add_argument("--check-reps", type=int, default=400, help="replications of the check")
    parser.add_argument("--repeat", type=int, default=3, help="Mesa runs per timing (best of)")
    args = parser.parse_args(argv)
    if importlib.util.find_spec("mesa") is None:
        print('mesa is not installed: pip install "mesa>=3" (or pip install -e ".[bench]")')
        return 0
    import perfsim

    port = load_port()
    scenario = perfsim.load_scenario(SCENARIO, NAIVE)
    import mesa

    print(f"scenario: {SCENARIO.relative_to(ROOT)} (naive policy, {scenario.world.departments} "
          f"departments, {scenario.world.periods} period(s)); mesa {mesa.__version__}")  # fmt: skip
    print(f"same model? means over {args.check_reps} replications each (± Monte Carlo SE):")
    worst = 0.0
    for name, m1, s1, m2, s2 in agreement(port, scenario, args.check_reps):
        z = (m2 - m1) / np.hypot(s1, s2) if np.hypot(s1, s2) > 0 else 0.0
        worst = max(worst, abs(z))
        print(
            f"  {name:<13} perfsim {m1:9.4f} ± {s1:.4f}   mesa {m2:9.4f} ± {s2:.4f}   z = {z:+.1f}"
        )
    verdict = "agree within Monte Carlo error" if worst < 3 else "DISAGREE (some |z| ≥ 3)"
    print(f"  largest |z| = {worst:.1f}: the two models {verdict}")
    print(
        "time per replication, best of runs in this process: CPU time (the ratio; on a shared "
        "machine wall time also counts waiting for a core), wall time in brackets:"
    )
    for reps in args.reps:
        t = timing(port, scenario, reps, args.repeat)
        (fast, fast_wall), (slow, slow_wall) = t["perfsim"], t["mesa"]
        target = "   (target ≥ 100×)" if reps == 200 else ""
        print(
            f"  {reps:>4} replications: perfsim {fast * 1e3:7.3f} ms [{fast_wall * 1e3:7.3f}]   "
            f"mesa {slow * 1e3:7.3f} ms [{slow_wall * 1e3:7.3f}]   mesa / perfsim = "
            f"{slow / fast:5.1f}× [{slow_wall / fast_wall:5.1f}×]{target}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
