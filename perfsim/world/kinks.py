"""The score of a large change of a department's indicators through the clip of the efficacy
coefficient and the reporting ceiling (:class:`Kinks`), and the root of one indicator's first-order
condition for gaming with the marginal score at the candidate's own level (:func:`own_level_root`)
by a safeguarded Newton method (:func:`safeguarded_newton`), for every (replication, department,
indicator) at once. Used by :mod:`perfsim.world.payoff`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from ..fastreduce import sum_last, take_departments
from . import normal


@dataclass
class Kinks:
    """The score of a large change of the indicators: the clip of the efficacy coefficient and the
    reporting ceiling flatten the score, so a shift ``Δm`` of the noise-free indicators moves the
    expected score by ``Σ_j s_j (F_j(m̄_j + Δm_j) − F_j(m̄_j))`` rather than by the slope at ``m̄``
    times ``Δm``, with ``s_j`` the slope before clip and ceiling and

        F(m) = E clip(m + ε, lo, hi) = m − σ ψ((m − hi)/σ) + σ ψ((lo − m)/σ),  ψ(z) = z Φ(z) + φ(z),

    ε ~ N(0, σ²) the measurement noise (``F′(m) = Φ((hi − m)/σ) − Φ((lo − m)/σ)``, the smoothing
    of the first-order conditions). A gaming candidate past the ceiling then earns nothing for the
    part past it, and giving up gaming past it costs nothing but what lies below it."""

    slope: NDArray  # (B, D, J) score points per indicator unit before clip and ceiling
    clip_lo: NDArray  # (J,) the clip's lower bound of the reported value (−∞: none)
    clip_hi: NDArray  # (J,) its upper bound (∞: none)
    m_bar: NDArray  # (B, D, J) noise-free indicators at the profile
    sd: NDArray  # (J,) measurement noise sd
    ceiling: NDArray  # (J,) the reporting ceiling (∞: none)

    @property
    def lo(self) -> NDArray:
        return self.clip_lo

    @property
    def hi(self) -> NDArray:
        return np.minimum(self.clip_hi, self.ceiling)

    def marginal(self, m: NDArray) -> NDArray:
        """Score points per indicator unit at noise-free indicators ``m``, smoothed as in the
        first-order conditions of effort: ``s Φ((ceiling − m)/σ) (Φ((clip_hi − m)/σ) −
        Φ((clip_lo − m)/σ))``."""
        inside = normal.ndtr((self.clip_hi - m) / self.sd) - normal.ndtr(
            (self.clip_lo - m) / self.sd
        )
        return self.slope * normal.ndtr((self.ceiling - m) / self.sd) * inside

    def marginal_and_slope(self, m: NDArray) -> tuple[NDArray, NDArray]:
        """:meth:`marginal` and its derivative in ``m`` (Newton steps of the interior point). A clip
        bound more than 12 σ below every ``m`` is left out (its Φ is below 1e-32), and a clip's
        upper bound at the ceiling shares its Φ."""
        u_c = (self.ceiling - m) / self.sd
        below, dens = normal.ndtr_pdf(u_c)
        d_below = -dens / self.sd
        inside, d_inside = 1.0, 0.0
        hi_finite = np.isfinite(self.clip_hi)
        if hi_finite.any():
            if np.array_equal(self.clip_hi, self.ceiling):
                inside, d_inside = below, d_below
            else:
                u_h = np.where(hi_finite, (self.clip_hi - m) / self.sd, np.inf)
                inside, dens = normal.ndtr_pdf(u_h)
                d_inside = -dens / self.sd
        if lower_matters(self.clip_lo, m, self.sd):
            u_l = np.where(np.isfinite(self.clip_lo), (self.clip_lo - m) / self.sd, -np.inf)
            cdf, dens = normal.ndtr_pdf(u_l)
            inside, d_inside = inside - cdf, d_inside + dens / self.sd
        return self.slope * below * inside, self.slope * (d_below * inside + below * d_inside)

    def expected(self, m: NDArray) -> NDArray:
        """``F(m)`` per indicator (a lower clip bound more than 12 σ below every ``m`` is left out:
        its term is below 1e-34 σ)."""
        out = m - self.sd * _psi((m - self.hi) / self.sd)
        if lower_matters(self.lo, m, self.sd):
            out = out + self.sd * _psi(
                np.where(np.isfinite(self.lo), (self.lo - m) / self.sd, -np.inf)
            )
        return out

    @cached_property
    def _at_profile(self) -> NDArray:
        return self.expected(self.m_bar)

    def rows(self, idx: NDArray) -> Kinks:
        """The kinks of the departments ``idx`` (:func:`perfsim.fastreduce.take_departments`),
        with the profile's expected indicators taken from this one's where it has computed them
        (else the rows compute their own when asked: an iteration that computes a few
        departments' choices need not compute every department's)."""
        slope, m_bar = take_departments(self.slope, idx), take_departments(self.m_bar, idx)
        out = Kinks(slope, self.clip_lo, self.clip_hi, m_bar, self.sd, self.ceiling)
        if "_at_profile" in self.__dict__:  # (functools.cached_property's store)
            out.__dict__["_at_profile"] = take_departments(self._at_profile, idx)
        return out

    def shift(self, delta_m: NDArray) -> NDArray:
        """Expected score change (B, D) when the indicators move by ``delta_m`` (B, D, J)."""
        moved = self.expected(self.m_bar + delta_m) - self._at_profile
        return sum_last(self.slope * moved)


def lower_matters(lo: NDArray, m: NDArray, sd: NDArray) -> bool:
    """Whether a finite lower bound ``lo`` (J,) is within 12 σ of some ``m`` (..., J) (or, indicator-major,
    ``lo`` (J, 1) and ``m`` (J, rows)): the largest
    ``(lo − m)/σ`` is that at the smallest m of each indicator (both steps round monotonically), so
    the test needs no pass over every entry of ``(lo − m)/σ``; and when even the highest bound is
    12 σ (of the largest σ) below the smallest m of all, none matters (one fast reduction over all
    of ``m`` instead of one per indicator, which numpy does slowly)."""
    finite = np.isfinite(lo)
    if not finite.any() or not m.size:
        return False
    if (lo[finite].max() - m.min()) / np.broadcast_to(sd, lo.shape)[finite].max() < -12.5:
        return False
    if lo.ndim == 2:  # indicator-major: bounds (indicator, 1), levels (indicator, rows)
        low = m.min(axis=1, keepdims=True)
    else:
        low = m.reshape(-1, m.shape[-1]).min(axis=0)
    z = np.where(finite, (lo - low) / sd, -np.inf)
    return bool(z.max() > -12.0)


def _psi(z: NDArray) -> NDArray:
    """``z Φ(z) + φ(z)`` (``E (z + N(0, 1))⁺``), 0 at −∞ and ``z`` at +∞ without NaN."""
    if np.ndim(z) == 0:
        return _psi(np.asarray(z)[None])[0]
    if np.isfinite(z).all():  # (Φ and φ from one exponential: perfsim.world.normal)
        out, density = normal.ndtr_pdf(z)
        out *= z
        out += density
        return out
    zf = np.where(np.isfinite(z), z, 0.0)
    cdf, density = normal.ndtr_pdf(zf)  # (as above, so that an element's value is its own)
    val = zf * cdf + density
    return np.where(np.isneginf(z), 0.0, np.where(np.isposinf(z), np.inf, val))


def own_level_root(kinks, g0, multiplier, offset, inverse_cost, per_gaming, start=None):
    """Gaming solving ``c_j g_j = max(0, M s_j(m̄_j + k_j (g_j − g⁰_j)) k_j + offset_j)`` per
    indicator, with ``s_j(m)`` the smoothed marginal score at the candidate's *own* indicator level
    (:meth:`Kinks.marginal`, falling past the ceiling) rather than at the profile's. At the
    profile's level this is the plain first-order point; a department near the ceiling no longer
    overshoots it (its slope at the profile's level would make the step fall steeply in its own
    gaming).

    The excess ``h(g) = max(0, …)/c − g`` is positive at 0 and negative at the bound
    ``max(0, M |s| k + offset)/c``: the root is found for every (replication, department,
    indicator) at once by Newton steps from ``start`` (``g⁰`` without one), safeguarded by the
    bracket ``[0, bound]`` that each evaluation of ``h`` narrows, and a bisection wherever the
    Newton step leaves the bracket or ``h`` does not fall (:func:`safeguarded_newton`)."""

    def excess(g):
        marg, d_marg = kinks.marginal_and_slope(kinks.m_bar + per_gaming * (g - g0))
        rhs = multiplier * marg * per_gaming + offset
        slope = np.where(rhs > 0, multiplier * d_marg * per_gaming * per_gaming, 0.0)
        value = np.maximum(rhs, 0.0) * inverse_cost - g
        slope = slope * inverse_cost - 1.0
        return value, -value / np.where(slope < 0, slope, np.nan)

    high = np.maximum(multiplier * np.abs(kinks.slope) * per_gaming + offset, 0.0) * inverse_cost
    x0 = g0 if start is None else start
    return safeguarded_newton(excess, np.clip(x0, 0.0, high), np.zeros_like(high), high)[0]


def safeguarded_newton(f, x, low, high, tol: float = 1e-11, steps: int = 80, to_zero=True):
    """The root of ``f`` in ``[low, high]`` with ``f(low) ≥ 0 ≥ f(high)``, elementwise, for ``f``
    falling through its root: ``f(x) → (value, step)`` gives a Newton step (NaN where there is
    none). The bracket narrows by the sign of each value; its midpoint replaces a Newton step that
    leaves the open bracket or is more than half the step before last (a Newton step caught in a
    cycle around a kink; the rule of Numerical Recipes' ``rtsafe``). A step within the tolerance
    is taken as it is (rounding may leave the bracket), and a step to or below a lower end at 0
    goes to 0 once with ``to_zero`` (a root at 0 is common: no gaming, where ``f`` has a kink). Stops when every
    step is within ``tol`` times ``1 + |x|``; returns the root and where it converged."""
    tried_zero = np.full(x.shape, not to_zero)
    done = tried_zero
    dx = dx_old = high - low
    for _ in range(steps):
        value, step = f(x)
        up = value > 0
        low = np.where(up, x, low)
        high = np.where(up, high, x)
        tried_zero |= x == 0
        newton = x + step
        close = np.abs(step) <= tol * (1.0 + np.abs(x))
        inside = (newton > low) & (newton < high) & (np.abs(step) <= 0.5 * np.abs(dx_old))
        nxt = np.where(inside | close, newton, 0.5 * (low + high))  # False where step is NaN
        nxt = np.where((newton <= low) & (low == 0) & ~tried_zero, 0.0, nxt)
        nxt = np.where(value == 0, x, nxt)
        dx_old, dx = dx, nxt - x
        done = np.abs(dx) <= tol * (1.0 + np.abs(x))
        x = nxt
        if done.all():
            break
    return x, done
