"""The vectorised Φ and φ of perfsim.world.normal against scipy's ndtr (Cephes, one element at a
time) and the C library's erfc (another implementation): to 4 units in the last place where Φ
exceeds 1e-290, over a dense grid, random arguments, the branch boundaries of the algorithm and
the special values; the density to its own rounding; shapes, ``out=`` and scalars."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import ndtr as scipy_ndtr
from scipy.stats import norm

from perfsim.world import normal

#: where the algorithm switches branches: |z|/√2 = 1 (erf → erfc), 8 (two erfc fits), and
#: exp(−z²/2) underflowing (z²/2 = 709.78)
BOUNDARIES = (math.sqrt(2.0), 8.0 * math.sqrt(2.0), math.sqrt(2.0 * 709.782712893384))


def _arguments() -> np.ndarray:
    rng = np.random.default_rng(11)
    edges = np.array(BOUNDARIES)
    near = (edges[:, None] * (1.0 + np.linspace(-1e-9, 1e-9, 41))[None]).ravel()
    return np.concatenate(
        [
            np.linspace(-40.0, 40.0, 200_001),
            rng.normal(0.0, 3.0, 200_000),
            rng.uniform(-45.0, 45.0, 100_000),
            near,
            -near,
            np.nextafter(np.array(BOUNDARIES), 0.0),
            [0.0, -0.0, 1e-300, -1e-300, 5e-324, 1e-8, -1e-8],
        ]
    )


def _ulps(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    return np.abs(got - want) / np.spacing(np.abs(want))


def test_phi_matches_scipy_to_four_ulps():
    z = _arguments()
    got, want = normal.ndtr(z), scipy_ndtr(z)
    normal_range = want > 1e-290
    assert _ulps(got[normal_range], want[normal_range]).max() <= 4.0
    assert np.abs(got[~normal_range] - want[~normal_range]).max() <= 1e-290
    assert (got[want == 0.0] == 0.0).all()  # past the underflow, 0 as Cephes (no subnormals)
    assert ((got >= 0.0) & (got <= 1.0)).all()


def test_phi_matches_the_c_librarys_erfc():
    """An independent implementation (glibc's erfc): the argument z/√2 rounds, so the reference
    itself carries a relative error of about z² units in the last place."""
    z = np.linspace(-37.0, 37.0, 20_001)
    want = np.array([0.5 * math.erfc(-v / math.sqrt(2.0)) for v in z])
    rel = np.abs(normal.ndtr(z) - want) / want
    assert (rel <= 4e-16 * (4.0 + z * z)).all()


def test_special_values():
    got = normal.ndtr(np.array([-np.inf, np.inf, np.nan, 0.0, -0.0, -38.6, 38.6, -37.5]))
    assert got[0] == 0.0 and got[1] == 1.0 and np.isnan(got[2])
    assert got[3] == got[4] == 0.5
    assert got[5] == 0.0 and got[6] == 1.0
    assert got[7] == pytest.approx(scipy_ndtr(-37.5), rel=1e-13)
    cdf, pdf = normal.ndtr_pdf(np.array([-np.inf, np.inf, 0.0]))
    assert list(cdf) == [0.0, 1.0, 0.5] and list(pdf) == [0.0, 0.0, 1.0 / math.sqrt(2 * math.pi)]


def test_symmetry_and_monotone():
    z = np.sort(_arguments())
    phi = normal.ndtr(z)
    assert (np.diff(phi) >= 0.0).all()
    upper = z > 0
    total = phi[upper] + normal.ndtr(-z[upper])
    assert np.abs(total - 1.0).max() <= 4e-16


def test_density_from_the_same_exponential():
    z = np.linspace(-38.0, 38.0, 40_001)
    cdf, pdf = normal.ndtr_pdf(z)
    assert np.array_equal(cdf, normal.ndtr(z))
    want = norm.pdf(z)
    keep = want > 1e-290
    # exp(−(z/√2)²) with z/√2 rounded: a relative error of about z² units in the last place
    rel = np.abs(pdf[keep] - want[keep]) / want[keep]
    assert (rel <= 4e-16 * (4.0 + z[keep] ** 2)).all()


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=True, width=64))
def test_any_float(z):
    got, want = float(normal.ndtr(z)), float(scipy_ndtr(z))
    if want > 1e-290:
        assert abs(got - want) <= 4 * np.spacing(want)
    else:
        assert abs(got - want) <= 1e-290


def test_shapes_out_and_scalars():
    rng = np.random.default_rng(3)
    z = rng.normal(0.0, 2.0, (3, 4, 5))
    want = normal.ndtr(z.copy())
    assert normal.ndtr(z).shape == (3, 4, 5)
    strided = z[:, ::2]  # not contiguous
    assert np.array_equal(normal.ndtr(strided), want[:, ::2])
    out = np.empty_like(z)
    assert normal.ndtr(z, out=out) is out and np.array_equal(out, want)
    inplace = z.copy()
    assert normal.ndtr(inplace, out=inplace) is inplace and np.array_equal(inplace, want)
    holder = np.empty((5, 4, 3)).transpose()  # an out that is not C-contiguous
    assert normal.ndtr(z, out=holder) is holder and np.array_equal(holder, want)
    assert (
        isinstance(normal.ndtr(1.5), float) and normal.ndtr(1.5) == normal.ndtr(np.array([1.5]))[0]
    )
    assert normal.ndtr(np.array([], dtype=float)).shape == (0,)


@pytest.mark.parametrize("samples", [1, 3, 16])
def test_band_means_as_the_mean_of_the_samples(samples):
    """A department's chance of each band, in one pass, against Φ and φ of every sample averaged
    by numpy (the cut-offs include ∓∞: a band without a quota, a quota of everybody)."""
    rng = np.random.default_rng(samples)
    score = rng.normal(60.0, 10.0, (4, 7))
    sigma = rng.uniform(0.3, 5.0, (4, 7))
    tau = rng.normal(60.0, 10.0, (samples, 4, 7))
    tau[0, 0, :3] = [-np.inf, np.inf, 60.0]
    z = (score[None] - tau) / sigma[None]
    cdf, pdf = normal.band_means(score, tau, sigma, density=True)
    assert cdf.shape == pdf.shape == (4, 7)
    # the same numbers as Φ and φ of every sample averaged by numpy (its order of summation)
    each_cdf, each_pdf = normal.ndtr_pdf(z)
    assert np.array_equal(cdf, each_cdf.mean(axis=0))
    assert np.array_equal(pdf, each_pdf.mean(axis=0))
    np.testing.assert_allclose(cdf, scipy_ndtr(z).mean(axis=0), rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(pdf, norm.pdf(z).mean(axis=0), rtol=1e-12, atol=1e-300)
    alone, none = normal.band_means(score, tau, sigma)
    assert none is None and np.array_equal(alone, cdf)
    # a cut-off shared by every department (one value per sample) broadcasts
    shared = normal.band_means(score, tau[:, :1, :1], sigma)[0]
    want = scipy_ndtr((score[None] - tau[:, :1, :1]) / sigma[None]).mean(axis=0)
    np.testing.assert_allclose(shared, want, rtol=1e-14)


def test_out_is_checked():
    """``out`` of another shape is refused (a compiled loop would write past its end), one that
    overlaps the arguments in part gets Φ of the arguments as they were, and one of another type
    is cast as numpy casts (an integer array is refused)."""
    z = np.linspace(-5.0, 5.0, 40)
    with pytest.raises(ValueError, match="shape"):
        normal.ndtr(z, out=np.empty(3))
    with pytest.raises(ValueError, match="shape"):
        normal.ndtr(z, out=np.empty((4, 10)))
    b = np.arange(10.0)
    want = normal.ndtr(b[:-2].copy())
    assert np.array_equal(normal.ndtr(b[:-2], out=b[2:]), want)
    with pytest.raises(TypeError):
        normal.ndtr(z, out=np.empty(40, dtype=np.int64))
    single = np.empty(40, dtype=np.float32)
    assert np.array_equal(normal.ndtr(z, out=single), normal.ndtr(z).astype(np.float32))
    with pytest.raises(ValueError, match="no samples"):
        normal.band_means(z, np.empty((0, 40)), np.ones(40))


def test_newton_kernels_phi_is_scipys():
    """The scalar Φ and φ of the interior point's Newton steps (kernels.ndtr_phi): with the C
    library's exponential, Φ is scipy's to the last bit, and φ the density to its rounding."""
    from perfsim.world import kernels

    z = np.concatenate([_arguments()[::7], [np.inf, -np.inf]])
    got = np.array([kernels.ndtr_phi(v) for v in z])
    assert np.array_equal(got[:, 0], scipy_ndtr(z))
    want = norm.pdf(z)
    keep = want > 1e-290
    rel = np.abs(got[keep, 1] - want[keep]) / want[keep]
    assert (rel <= 4e-16 * (4.0 + z[keep] ** 2)).all()
    assert got[-1, 1] == got[-2, 1] == 0.0
