"""The best response's normal distribution function against scipy's, in this process.

``perfsim.world.normal.ndtr`` (Cephes' algorithm vectorised) against ``scipy.special.ndtr`` on a
million arguments of the spread the best response meets, and ``normal.band_means`` (a band's
chance and density averaged over 16 common-random-number samples, in one pass) against the numpy
formulation it replaced (z, Φ and φ of every sample, then their means), at 66 and 1,000
departments × 100 replications. Each timing is the best of ``--repeat`` runs.

    python benchmarks/bench_normal.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import time
from functools import partial

import numpy as np
from scipy.special import ndtr as scipy_ndtr


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def reference(score, tau, sigma):
    """The numpy formulation of ``normal.band_means`` (model revision 13)."""
    z = np.subtract(score[None], tau)
    z /= sigma[None]
    dens = np.exp(-0.5 * z * z).mean(axis=0) / np.sqrt(2 * np.pi)
    return scipy_ndtr(z, out=z).mean(axis=0), dens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    from perfsim.world import normal

    rng = np.random.default_rng(0)
    z = rng.normal(0.0, 2.0, 1_000_000)
    normal.ndtr(z[:10])  # (compiles or loads the loops)
    ours, theirs = (
        best(lambda: normal.ndtr(z), args.repeat),
        best(lambda: scipy_ndtr(z), args.repeat),
    )
    print(
        f"Φ of 1,000,000 arguments: perfsim {ours * 1e9 / z.size:.1f} ns, scipy "
        f"{theirs * 1e9 / z.size:.1f} ns an element: {theirs / ours:.1f}× faster"
    )
    for n in (66, 1000):
        score = rng.normal(60.0, 8.0, (100, n))
        sigma = rng.uniform(0.5, 3.0, (100, n))
        tau = rng.normal(62.0, 2.0, (16, 100, n))
        fused = best(partial(normal.band_means, score, tau, sigma, density=True), args.repeat)
        plain = best(partial(reference, score, tau, sigma), args.repeat)
        print(
            f"a band's chance and density, 16 samples × 100 × {n:,}: {fused * 1e3:.2f} ms "
            f"against {plain * 1e3:.2f} ms (numpy and scipy): {plain / fused:.1f}× faster"
        )


if __name__ == "__main__":
    main()
