"""The standard normal distribution function Φ (and its density φ), vectorised, for the best
response's hot loops.

The best response evaluates Φ some seven million times a run at 66 departments and thirty
million at 1,000 (the probability of each band against each common-random-number sample of its
cut-off, a candidate's expected reward, the kinks' expected indicators). ``scipy.special.ndtr``
is Cephes' ``ndtr``, one element at a time. This is the same algorithm, Cephes' rational
approximations of ``erf`` (``|z| < √2``) and ``erfc`` (beyond), with the exponential
``exp(−z²/2)`` taken by numpy's vectorised ``exp`` and the rational functions in a compiled loop
the compiler vectorises. It agrees with scipy's to 4 units in the last place (5.6e-16 relative)
wherever Φ exceeds 1e-290, and absolutely below; the last bits differ from scipy's in about 1 % of
arguments, where numpy's ``exp`` rounds otherwise than the C library's (``tests/test_normal.py``).
Against a 50-digit reference the two are equally accurate: within 4 units in the last place for
z ≥ −1, and in the lower tail both lose what the rounding of z² costs the exponential (up to
about 2,000 units at z = −36, a relative error of 4e-13).
The density comes from the same exponential (:func:`ndtr_pdf`), so Φ and φ together cost one
``exp``; and :func:`band_means` averages a band's chance over the samples in one pass.
``benchmarks/bench_normal.py`` times them: Φ of a million arguments 1.8 times as fast as scipy's,
a band's chance and density over 16 samples about 5 times as fast as numpy and scipy.

The compiled loops are :mod:`perfsim.world.kernels`' (``cephes_ndtr``; numba is imported by the
first call, as by the first best response).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def _exponential(z: NDArray):
    """``z`` as a flat contiguous array, ``exp(−z²/2)`` of it (``kernels.exponent``, then numpy's
    vectorised ``exp`` in place), and the compiled loops."""
    from . import kernels  # (numba: imported by the first call)

    flat = np.ascontiguousarray(z, dtype=float).reshape(-1)
    e = np.empty_like(flat)
    kernels.normal_exponent(flat, e)
    np.exp(e, out=e)
    return flat, e, kernels


def ndtr(z, out: NDArray | None = None) -> NDArray:
    """Φ(z) elementwise (NaN where ``z`` is NaN; 0 and 1 at ∓∞), as ``scipy.special.ndtr`` to 4
    units in the last place; ``out``: an array of ``z``'s shape to write into (``z`` itself, or
    one that does not overlap it; cast as ``np.copyto`` casts)."""
    z = np.asarray(z, dtype=float)
    if out is not None and out.shape != z.shape:
        raise ValueError(f"ndtr: out has shape {out.shape}, the arguments {z.shape}")
    flat, e, kernels = _exponential(z)
    direct = out is not None and out.dtype == np.float64 and out.flags.c_contiguous
    if direct and (out is z or not np.may_share_memory(out, z)):
        kernels.normal_cdf(flat, e, out.reshape(-1))
        return out
    kernels.normal_cdf(flat, e, e)  # (each element read before it is written)
    if out is not None:
        np.copyto(out, e.reshape(z.shape))
        return out
    return e.reshape(z.shape) if z.ndim else e[0]


def ndtr_pdf(z) -> tuple[NDArray, NDArray]:
    """Φ(z) and the density φ(z) = exp(−z²/2)/√(2π), from one exponential."""
    z = np.asarray(z, dtype=float)
    flat, e, kernels = _exponential(z)
    cdf = np.empty_like(flat)
    kernels.normal_cdf_pdf(flat, e, cdf)
    return cdf.reshape(z.shape), e.reshape(z.shape)


def band_means(score: NDArray, tau: NDArray, sigma: NDArray, density: bool = False):
    """The means over the first axis of ``tau`` (samples, …) of Φ(z) (and of φ(z) with
    ``density``), ``z = (score − tau)/sigma``: a department's chance of reaching a band whose
    cut-off is ``tau`` in each common-random-number sample (:mod:`perfsim.world.response`), in one
    pass without the (samples, …) arrays of ``z``, Φ and φ (the same numbers as ``ndtr`` of them
    and numpy's mean). Returns (mean Φ, mean φ or None), of ``score``'s shape."""
    from . import kernels  # (numba: imported by the first call)

    if not len(tau):
        raise ValueError("band_means: no samples of the cut-off")
    shape = np.shape(score)
    flat = np.ascontiguousarray(score, dtype=float).reshape(-1)
    if np.shape(tau)[1:] != shape:  # (np.broadcast_to costs microseconds: only where needed)
        tau = np.broadcast_to(tau, (len(tau), *shape))
    taus = np.ascontiguousarray(tau, dtype=float).reshape(len(tau), -1)
    if np.shape(sigma) != shape:
        sigma = np.broadcast_to(sigma, shape)
    sd = np.ascontiguousarray(sigma, dtype=float).reshape(-1)
    e = np.empty(taus.shape)
    kernels.band_exponent(flat, taus, sd, e)
    np.exp(e, out=e)
    cdf = np.empty(flat.shape)
    pdf = np.empty(flat.shape if density else 0)
    kernels.band_means(flat, taus, sd, e, cdf, pdf)
    return cdf.reshape(shape), pdf.reshape(shape) if density else None
