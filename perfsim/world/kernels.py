"""Compiled loops (numba) for the parts of the best response whose batch shapes numpy serves badly.

:func:`joint_root` is the Newton iteration of the interior gaming point
(:func:`perfsim.world.interior.joint_root_reference`, the numpy formulation it is tested
against): per row (one replication's department) a handful of indicators and up to a dozen
steps. numpy runs each step as some forty whole-array operations over every row that has not
settled, so late in the best response, when a few departments of a few replications are
computed, the step costs its Python overhead, not its arithmetic; and early on every row pays
for the rows that need the most steps. Compiled, each row steps to its own root in registers.
The arithmetic is the reference's, operation for operation; only the last bits of ``Φ``, ``exp``
and the logistic function can differ (libm against numpy's and scipy's own implementations),
so the roots agree to about 1e-15 relative (``tests/test_kernels.py`` checks 1e-9 and the same
rows settled, over a sweep of audits, veto events, clips and noise and on the rows four bundled
scenarios hand it).

:func:`anderson` is the Anderson mixing step of the iteration
(:meth:`perfsim.world.mixing.Anderson.step_reference`, its numpy formulation): per replication a
least-squares fit over its last few steps. numpy gathered each replication's history into copies
and solved a batch of tiny systems; compiled, each replication's history is read and updated in
place. The mixed iterates agree to about 1e-13 (rounding of the sums).

:func:`track` is the iteration's bookkeeping after each best response
(:func:`perfsim.world.mixing.track_reference`): the step, each department's largest move, its
damping and the damped step, in one pass instead of some twenty numpy operations over
(replication, department, choice) arrays; the same numbers to the last bit (its sums add in
numpy's order, :func:`pairwise_sum`).

:func:`normal_cdf` and :func:`normal_cdf_pdf` are the loops of :mod:`perfsim.world.normal`'s Φ
and φ: Cephes' ``ndtr`` (:func:`cephes_ndtr`) written so that the compiler vectorises it, given
the exponential that numpy takes vectorised.

numba compiles the loops on their first use on a machine (about 7 s of CPU with those of
:mod:`perfsim.world.fused_loop` and :mod:`perfsim.rules.kernels`) and caches them on disk
(beside this file, or in the user's cache folder where the package's is read-only): a later
process loads them in about 0.4 s. Only a best response imports numba."""

from __future__ import annotations

import math

import numba
import numpy as np
from numpy.typing import NDArray

_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


@numba.njit(cache=True, inline="always")
def expit(x):
    if x < 0:
        e = math.exp(x)
        return e / (1.0 + e)
    return 1.0 / (1.0 + math.exp(-x))


# The standard normal distribution of perfsim.world.normal: Cephes' ndtr, vectorisable
_MAXLOG = 7.09782712893383996843e2  # exp(−x²) underflows to 0 beyond x² > MAXLOG (Cephes)

# Cephes' erfc for 1 ≤ x < 8: exp(−x²) P(x)/Q(x); for x ≥ 8: exp(−x²) R(x)/S(x) (Q, S monic)
_P = (2.46196981473530512524e-10, 5.64189564831068821977e-1, 7.46321056442269912687e0,
      4.86371970985681366614e1, 1.96520832956077098242e2, 5.26445194995477358631e2,
      9.34528527171957607540e2, 1.02755188689515710272e3, 5.57535335369399327526e2)  # fmt: skip
_Q = (1.32281951154744992508e1, 8.67072140885989742329e1, 3.54937778887819891062e2,
      9.75708501743205489753e2, 1.82390916687909736289e3, 2.24633760818710981792e3,
      1.65666309194161350182e3, 5.57535340817727675546e2)  # fmt: skip
_R = (5.64189583547755073984e-1, 1.27536670759978104416e0, 5.01905042251180477414e0,
      6.16021097993053585195e0, 7.40974269950448939160e0, 2.97886665372100240670e0)  # fmt: skip
_S = (2.26052863220117276590e0, 9.39603524938001434673e0, 1.20489539808096656605e1,
      1.70814450747565897222e1, 9.60896809063285878198e0, 3.36907645100081516050e0)  # fmt: skip
# Cephes' erf for |x| < 1: x T(x²)/U(x²) (U monic)
_T = (9.60497373987051638749e0, 9.00260197203842689217e1, 2.23200534594684319226e3,
      7.00332514112805075473e3, 5.55923013010394962768e4)  # fmt: skip
_U = (3.35617141647503099647e1, 5.21357949780152679795e2, 4.59432382970980127987e3,
      2.26290000613890934246e4, 4.92673942608635921086e4)  # fmt: skip


@numba.njit(cache=True, inline="always")
def exponent(z):
    """``−x²`` with ``x = z/√2`` rounded first: the argument of the exponential that
    :func:`cephes_ndtr` takes (as Cephes computes it), ``−z²/2`` up to rounding."""
    x = z * _SQRT_HALF
    return -(x * x)


@numba.njit(cache=True, error_model="numpy")
def normal_exponent(z, out):
    """``out = exponent(z)`` (numpy then takes ``exp`` in place)."""
    for i in range(z.size):
        out[i] = exponent(z[i])


@numba.njit(cache=True, inline="always")
def cephes_ndtr(z, e):
    """Φ(z) given ``e = exp(exponent(z))``: Cephes' ``ndtr`` (``scipy.special.ndtr``) with its
    branches as selects, so that a loop of it vectorises (:mod:`perfsim.world.normal`)."""
    p0, p1, p2, p3, p4, p5, p6, p7, p8 = _P
    q0, q1, q2, q3, q4, q5, q6, q7 = _Q
    r0, r1, r2, r3, r4, r5 = _R
    s0, s1, s2, s3, s4, s5 = _S
    t0, t1, t2, t3, t4 = _T
    u0, u1, u2, u3, u4 = _U
    x = z * _SQRT_HALF
    a = abs(x)
    xx = x * x
    small = 0.5 + 0.5 * (
        x
        * ((((t0 * xx + t1) * xx + t2) * xx + t3) * xx + t4)
        / (((((xx + u0) * xx + u1) * xx + u2) * xx + u3) * xx + u4)
    )
    if a < 8.0:
        p = (((((((p0 * a + p1) * a + p2) * a + p3) * a + p4) * a + p5) * a + p6) * a + p7) * a + p8
        q = (((((((a + q0) * a + q1) * a + q2) * a + q3) * a + q4) * a + q5) * a + q6) * a + q7
    else:
        p = ((((r0 * a + r1) * a + r2) * a + r3) * a + r4) * a + r5
        q = (((((a + s0) * a + s1) * a + s2) * a + s3) * a + s4) * a + s5
    tail = 0.5 * ((e * p) / q)
    if xx > _MAXLOG:
        tail = 0.0
    if x > 0:
        tail = 1.0 - tail
    return small if a < 1.0 else tail


@numba.njit(cache=True, error_model="numpy")
def normal_cdf(z, e, out):
    for i in range(z.size):
        out[i] = cephes_ndtr(z[i], e[i])


@numba.njit(cache=True, error_model="numpy")
def normal_cdf_pdf(z, e, cdf):
    """Φ into ``cdf``, and φ into ``e`` (in place of the exponential)."""
    for i in range(z.size):
        cdf[i] = cephes_ndtr(z[i], e[i])
        e[i] = e[i] * _INV_SQRT_2PI


@numba.njit(cache=True, error_model="numpy")
def band_exponent(score, tau, sigma, out):
    """``out[s, r] = exponent(z)`` with ``z = (score[r] − tau[s, r]) / sigma[r]``."""
    for s in range(tau.shape[0]):
        for r in range(tau.shape[1]):
            out[s, r] = exponent((score[r] - tau[s, r]) / sigma[r])


@numba.njit(cache=True, error_model="numpy")
def band_means(score, tau, sigma, e, cdf, pdf):
    """The means over the samples s of Φ(z) and φ(z), ``z`` as in :func:`band_exponent`, given
    ``e = exp(exponent(z))`` (S, n); summed in the order of numpy's mean over the first axis. ``pdf``
    of length 0: the density is not wanted."""
    samples, n = tau.shape
    density = pdf.shape[0] > 0
    for r in range(n):
        cdf[r] = 0.0
        if density:
            pdf[r] = 0.0
    for s in range(samples):
        for r in range(n):
            cdf[r] += cephes_ndtr((score[r] - tau[s, r]) / sigma[r], e[s, r])
            if density:
                pdf[r] += e[s, r] * _INV_SQRT_2PI
    for r in range(n):
        cdf[r] /= samples
        if density:
            pdf[r] /= samples


@numba.njit(cache=True, inline="always")
def ndtr_phi(z):
    """Φ(z) and φ(z) of one argument, from one exponential (0 at ±∞); with the C library's
    ``exp``, as Cephes, Φ is scipy's to the last bit."""
    e = math.exp(exponent(z))
    return cephes_ndtr(z, e), e * _INV_SQRT_2PI


@numba.njit(cache=True, inline="always")
def veto_slope(total, audit, vetoes, gamma, base_row):
    """(P_v, P_v′) at total gaming ``total``: the audit veto joined by the veto events."""
    prob, rate, veto = audit[0], audit[3], audit[4]
    p = dp = 0.0
    if veto > 0:
        if math.isnan(rate):
            p = prob * (1.0 if total > 1e-12 else 0.0)
        else:
            e = math.exp(-rate * total)
            p, dp = prob * (1.0 - e), prob * (rate * e)
    survive, slope = 1.0 - p, -dp
    for k in range(vetoes.shape[0]):
        if vetoes[k]:
            q = expit(base_row[k] + gamma[k] * total)
            dq = gamma[k] * q * (1.0 - q)
            slope = slope * (1.0 - q) - survive * dq
            survive = survive * (1.0 - q)
    return 1.0 - survive, -slope


@numba.njit(cache=True, inline="always")
def coupling(total, stake, audit, events_on, vetoes, gamma, base_row):
    """(A, A′, B, B′) of :func:`perfsim.world.interior._coupling` at total gaming ``total``."""
    prob, fine, penalty, rate, veto = audit[0], audit[1], audit[2], audit[3], audit[4]
    audit_veto = veto > 0 and not events_on
    if math.isnan(rate):
        weight = 1.0 - (prob if audit_veto else 0.0)
        d_weight, loss, d_loss = 0.0, prob * fine, 0.0
    else:
        e = math.exp(-rate * total)
        found, d_found, d2_found = 1.0 - e, rate * e, -rate * rate * e
        loss = prob * (d_found * (penalty + fine * total) + found * fine)
        d_loss = prob * (d2_found * (penalty + fine * total) + 2.0 * d_found * fine)
        weight, d_weight = 1.0, 0.0
        if audit_veto:
            weight, d_weight = 1.0 - prob * found, -prob * d_found
            loss = loss + prob * d_found * stake
            d_loss = d_loss + prob * d2_found * stake
    if not events_on:
        return weight, d_weight, loss, d_loss
    p_v, dp_v = veto_slope(total, audit, vetoes, gamma, base_row)
    d2p_v = (veto_slope(total + 1e-6, audit, vetoes, gamma, base_row)[1] - dp_v) / 1e-6
    return 1.0 - p_v, -dp_v, loss + dp_v * stake, d_loss + d2p_v * stake


@numba.njit(cache=True)
def newton(g0, slope, m_bar, r_prime, stake, top, k, inverse_cost, kinks, flags, audit,
           vetoes, gamma, base, tol, steps):  # fmt: skip
    rows, n_ind = g0.shape
    out = np.empty((rows, n_ind))
    converged = np.zeros(rows, dtype=np.bool_)
    lo, hi, sd, ceiling = kinks[0], kinks[1], kinks[2], kinks[3]
    hi_any, hi_is_ceiling, lower, events_on = flags[0], flags[1], flags[2], flags[3]
    x, new = np.empty(n_ind), np.empty(n_ind)
    u, v = np.empty(n_ind), np.empty(n_ind)
    for r in range(rows):
        for j in range(n_ind):
            x[j] = min(max(g0[r, j], 0.0), top[r, j])
        moving = True
        for _ in range(steps):
            total = x[0]
            for j in range(1, n_ind):
                total += x[j]
            weight, d_weight, loss, d_loss = coupling(
                total, stake[r], audit, events_on, vetoes, gamma, base[r]
            )
            su = sv = 0.0
            excess_big = False
            for j in range(n_ind):
                m = m_bar[r, j] + k[j] * (x[j] - g0[r, j])
                u_c = (ceiling[j] - m) / sd[j]
                below, dens = ndtr_phi(u_c)
                d_below = -dens / sd[j]
                inside, d_inside = 1.0, 0.0
                if hi_any:
                    if hi_is_ceiling:
                        inside, d_inside = below, d_below
                    else:
                        u_h = (hi[j] - m) / sd[j] if math.isfinite(hi[j]) else math.inf
                        inside, dens = ndtr_phi(u_h)
                        d_inside = -dens / sd[j]
                if lower and math.isfinite(lo[j]):
                    u_l = (lo[j] - m) / sd[j]
                    cdf, dens = ndtr_phi(u_l)
                    inside, d_inside = inside - cdf, d_inside + dens / sd[j]
                marg = slope[r, j] * below * inside
                d_marg = slope[r, j] * (d_below * inside + below * d_inside)
                pull = weight * r_prime[r] * k[j]
                rhs = pull * marg - loss
                pos = rhs > 0 and inverse_cost[j] > 0
                h = (rhs if pos else 0.0) * inverse_cost[j] - x[j]
                diag = (pull * k[j] * d_marg * inverse_cost[j] if pos else 0.0) - 1.0
                cross = 0.0
                if pos:
                    cross = (d_weight * r_prime[r] * k[j] * marg - d_loss) * inverse_cost[j]
                u[j], v[j] = h / diag, cross / diag
                su += u[j]
                sv += v[j]
                bound = tol * (1.0 + abs(x[j]))
                excess_big = excess_big or abs(h) > 1e3 * bound
            shift = su / (1.0 + sv)
            moving = excess_big
            for j in range(n_ind):
                step = x[j] - u[j] + v[j] * shift
                new[j] = min(max(step, 0.0), top[r, j])
                if abs(new[j] - x[j]) > tol * (1.0 + abs(x[j])):
                    moving = True
            for j in range(n_ind):
                x[j] = new[j]
            if not moving:
                break
        finite = True
        for j in range(n_ind):
            out[r, j] = x[j]
            finite = finite and math.isfinite(x[j])
        converged[r] = finite and not moving
    return out, converged


def joint_root(g0, slope, m_bar, r_prime, stake, top, k, inverse_cost, kinks, flags, audit,
               events, tol: float, steps: int) -> tuple[NDArray, NDArray]:  # fmt: skip
    """The interior point's Newton iteration for ``rows`` rows (see the module docstring).

    ``g0``, ``slope``, ``m_bar``, ``top`` (rows, J): the current gaming, the kinks' slope and
    noise-free level, the bound of the point; ``r_prime``, ``stake`` (rows,): R′ and the reward
    a veto takes; ``k``, ``inverse_cost`` (J,); ``kinks`` (4, J): the clip's bounds, the noise
    sd and the ceiling; ``flags``: (an upper clip bound is finite, it is the ceiling, the lower
    bound counts, veto events count); ``audit``: (probability, fine per unit, penalty, detection
    rate or NaN, veto 0/1); ``events``: (veto mask (E,), gaming slopes (E,), log-odds (rows, E)).
    Returns the point and where it converged (a row not settled within ``steps``, or not
    finite, has not)."""
    vetoes, gamma, base = events
    return newton(
        np.ascontiguousarray(g0, dtype=float),
        np.ascontiguousarray(slope, dtype=float),
        np.ascontiguousarray(m_bar, dtype=float),
        np.ascontiguousarray(r_prime, dtype=float),
        np.ascontiguousarray(stake, dtype=float),
        np.ascontiguousarray(top, dtype=float),
        np.ascontiguousarray(k, dtype=float),
        np.ascontiguousarray(inverse_cost, dtype=float),
        np.ascontiguousarray(kinks, dtype=float),
        np.asarray(flags, dtype=np.bool_),
        np.asarray(audit, dtype=float),
        np.ascontiguousarray(vetoes, dtype=np.bool_),
        np.ascontiguousarray(gamma, dtype=float),
        np.ascontiguousarray(base, dtype=float),
        float(tol),
        int(steps),
    )


@numba.njit(cache=True, inline="always")
def _solve_small(a, b):
    """``a⁻¹ b`` for a small system by Gaussian elimination with partial pivoting, as LAPACK's
    ``gesv`` does (``a`` and ``b`` are overwritten; numba's own ``np.linalg.solve`` takes several
    seconds more to compile)."""
    n = b.shape[0]
    for c in range(n):
        p = c
        for r in range(c + 1, n):
            if abs(a[r, c]) > abs(a[p, c]):
                p = r
        if p != c:
            for k in range(n):
                a[c, k], a[p, k] = a[p, k], a[c, k]
            b[c], b[p] = b[p], b[c]
        for r in range(c + 1, n):
            m = a[r, c] / a[c, c]
            for k in range(c, n):
                a[r, k] -= m * a[c, k]
            b[r] -= m * b[c]
    x = np.empty(n)
    for c in range(n - 1, -1, -1):
        s = b[c]
        for k in range(c + 1, n):
            s -= a[c, k] * x[k]
        x[c] = s / a[c, c]
    return x


@numba.njit(cache=True)
def anderson(active, x, f, alpha, residual, bufs, state, calm, depth, calm_share):
    """:meth:`perfsim.world.mixing.Anderson.step` row by row (see there), the buffers updated in
    place: ``bufs`` (dx, df, x, f), ``state`` (count, residual, first)."""
    dx_all, df_all, x_all, f_all = bufs
    count_all, res_all, first_all = state
    b, size = x.shape
    per = size // alpha.shape[1]
    out = np.empty((b, size))
    gram, rhs = np.empty((depth, depth)), np.empty(depth)
    for i in range(b):
        r = active[i]
        count = 0 if residual[i] > res_all[r] else count_all[r]
        if not math.isfinite(first_all[r]):
            first_all[r] = residual[i]
        if calm and not residual[i] <= calm_share * first_all[r]:
            count = 0
        if count > 0:
            slot = (count - 1) % depth
            for k in range(size):
                dx_all[r, slot, k] = x[i, k] - x_all[r, k]
                df_all[r, slot, k] = f[i, k] - f_all[r, k]
        used = min(count, depth)
        for p in range(depth):
            rhs[p] = 0.0
            for q in range(depth):
                gram[p, q] = 0.0
        for p in range(used):
            s = 0.0
            for k in range(size):
                s += df_all[r, p, k] * f[i, k]
            rhs[p] = s
            for q in range(used):
                s = 0.0
                for k in range(size):
                    s += df_all[r, p, k] * df_all[r, q, k]
                gram[p, q] = s
        scale = 0.0
        for p in range(depth):
            scale += gram[p, p]
        for p in range(depth):
            gram[p, p] += 1e-10 * scale + 1e-300 if p < used else 1.0
        gamma = _solve_small(gram, rhs)
        for k in range(size):
            beta = alpha[i, k // per]
            v = x[i, k] + beta * f[i, k]
            for p in range(used):
                v -= gamma[p] * (dx_all[r, p, k] + beta * df_all[r, p, k])
            out[i, k] = max(v, 0.0)
            x_all[r, k], f_all[r, k] = x[i, k], f[i, k]
        count_all[r] = count + 1
        res_all[r] = residual[i]
    return out


@numba.njit(cache=True, inline="always")
def pairwise_sum(a, n):
    """``a[:n].sum()`` as numpy sums a contiguous run of ``n ≤ 128`` values: one by one from
    zero below 8, else in 8 running sums combined pairwise, then the rest one by one."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[i]
        return res
    r0, r1, r2, r3, r4, r5, r6, r7 = a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]
    i = 8
    whole = n - n % 8
    while i < whole:
        r0 += a[i]
        r1 += a[i + 1]
        r2 += a[i + 2]
        r3 += a[i + 3]
        r4 += a[i + 4]
        r5 += a[i + 5]
        r6 += a[i + 6]
        r7 += a[i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[i]
        i += 1
    return 0.0 + res  # (as numpy: a sum of −0.0 terms is +0.0)


#: the longest choice vector (efforts and gaming of a department) :func:`track` sums as numpy
PAIRWISE_UP_TO = 128


@numba.njit(cache=True)
def track(active, e, g, e_new, g_new, due, alpha, last, turns, damping, update, constants):
    """:func:`perfsim.world.mixing.track_reference` department by department (see there), the
    damping, last steps and turn-backs updated in place; ``constants``: (MIN_DAMPING, BACK, AHEAD,
    TURNS, AHEAD_LATE, CRAWL). Returns (x, step, damped, moved, damping)."""
    low, back_by, ahead_by, turns_max, ahead_late, crawl_share = constants
    b, d, k = e.shape
    n = k + g.shape[2]
    x, step, damped = np.empty((b, d, n)), np.empty((b, d, n)), np.empty((b, d, n))
    moved, a_out = np.empty((b, d)), np.empty((b, d))
    prod, sq = np.empty(n), np.empty(n)
    for i in range(b):
        r = active[i]
        for q in range(d):
            for c in range(n):
                if c < k:
                    x[i, q, c], step[i, q, c] = e[i, q, c], e_new[i, q, c] - e[i, q, c]
                else:
                    x[i, q, c], step[i, q, c] = g[i, q, c - k], g_new[i, q, c - k] - g[i, q, c - k]
            m = 0.0
            for c in range(n):
                v = abs(step[i, q, c])
                if v > m or v != v:  # (a NaN stays, as through np.maximum)
                    m = v
            moved[i, q] = m
            a = alpha[r, q]
            if update and due[i, q]:
                for c in range(n):
                    prod[c] = step[i, q, c] * last[r, q, c]
                    sq[c] = last[r, q, c] * last[r, q, c]
                dot = pairwise_sum(prod, n)
                back = dot < 0
                t = turns[r, q] + (1 if back else 0)
                crawl = dot > crawl_share * pairwise_sum(sq, n)
                if back:
                    v = back_by * a
                    a = v if (v > low or v != v) else low
                else:
                    top = 1.0 if crawl else damping
                    v = (ahead_by if (t < turns_max or crawl) else ahead_late) * a
                    a = v if (v < top or v != v) else top
                turns[r, q] = t
            alpha[r, q] = a
            a_out[i, q] = a
            for c in range(n):
                if due[i, q]:
                    last[r, q, c] = step[i, q, c]
                damped[i, q, c] = x[i, q, c] + a * step[i, q, c]
    return x, step, damped, moved, a_out


@numba.njit(cache=True)
def capped_samples(m_bar, draws, ceiling):
    """Every common-random-number sample of the reported indicators, ``min(m̄ + draws,
    ceiling)``: ``m_bar`` (n,) and ``draws`` (S, n) flattened over (replication, department,
    indicator), ``ceiling`` tiled to (n,). One pass instead of numpy's two (the sum, then the
    ceiling), the same numbers (a NaN passes the ceiling, as through ``np.minimum``)."""
    samples, n = draws.shape
    out = np.empty((samples, n))
    for s in range(samples):
        for i in range(n):
            v = m_bar[i] + draws[s, i]
            out[s, i] = ceiling[i] if v > ceiling[i] else v
    return out
