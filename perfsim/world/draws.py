"""The common random numbers of the best response: how the S standard-normal draws per department
and noise source are generated (``world.sampling``).

A department's expected reward is a mean over S samples of everybody's noisy scores
(:mod:`perfsim.world.response`), and the cost of a best-response iteration is linear in S. The
schemes differ only in how the S draws of each coordinate (replication, department, indicator or
rater) are spread; every scheme gives each draw the standard normal distribution, so each estimate
is unbiased, and they differ in variance:

- ``mc``: independent draws (plain Monte Carlo; the error falls as 1/√S).
- ``antithetic``: S/2 independent draws and their negatives (Hammersley & Morton 1956); exact for
  the part of the reward that is odd in the noise, no better for the rest (S odd: the last draw
  has no partner).
- ``lhs``: Latin hypercube sampling (McKay, Beckman & Conover 1979; the algorithm of
  :class:`scipy.stats.qmc.LatinHypercube`, vectorised over coordinates): the S draws of each
  coordinate fall one in each of S equally likely strata, ``u = (π(s) + U_s)/S`` with π a random
  permutation per coordinate, and the normal draw is ``Φ⁻¹(u)``. Its variance is never
  more than that of S − 1 independent draws (Owen 1997) and it removes the additive part of the
  reward's dependence on the noise, which dominates here (a cut-off is the K-th best of many
  scores, each a sum of independent noise terms). It works for any S and any number of
  coordinates, unlike a Sobol' sequence (powers of two, at most 21,201 dimensions).

Same generator state ⇒ same draws; the draws of a block depend on nothing but its generator.
``benchmarks/bench_crn.py`` measures the error of each scheme against S.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtri

#: The sampling schemes, as ``world.sampling`` names them.
SCHEMES = ("mc", "antithetic", "lhs")


def crn_normals(
    rng: np.random.Generator, scheme: str, samples: int, shape: tuple[int, ...]
) -> NDArray:
    """``samples`` standard-normal draws of each coordinate of ``shape``: ``(samples, *shape)``.

    ``mc`` draws exactly what ``rng.standard_normal((samples, *shape))`` draws."""
    if scheme == "mc" or samples == 0:
        return rng.standard_normal((samples, *shape))
    if scheme == "antithetic":
        half = rng.standard_normal(((samples + 1) // 2, *shape))
        return np.concatenate([half, -half])[:samples]
    if scheme == "lhs":
        size = math.prod(shape)
        if size == 0:
            return np.zeros((samples, *shape))
        return ndtri(latin_hypercube(rng, samples, size)).reshape(samples, *shape)
    raise ValueError(f"unknown sampling scheme {scheme!r}; known: {', '.join(SCHEMES)}")


def latin_hypercube(rng: np.random.Generator, samples: int, size: int) -> NDArray:
    """``(samples, size)`` uniforms on (0, 1): column c holds one point in each stratum
    ``[i/S, (i+1)/S)``, the strata in a random order (argsort of uniform keys: a uniformly random
    permutation per column), the point uniform within its stratum."""
    rank = np.argsort(rng.random((size, samples)), axis=-1).T  # (samples, size)
    u = rng.random((samples, size))
    u += rank
    u /= samples
    return np.maximum(u, np.finfo(float).tiny)  # never exactly 0 (Φ⁻¹(0) = −∞)
