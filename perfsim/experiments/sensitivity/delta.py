"""Borgonovo's δ and the S1 that comes with it: SALib's estimator (``SALib.analyze.delta``,
Plischke, Borgonovo & Smith 2013), with its bootstrap vectorised over the resamples.

SALib 1.6 computes three bootstrapped δ per input (``balanced``, ``raw``, ``step``) with a Python
loop of ``scipy.stats.gaussian_kde`` fits: 1 + M density estimates on a 100-point grid per
resample (M ≤ 48 classes of the input), 100 resamples. perfsim reports only the ``raw`` δ and S1,
yet that loop took 98 % of a 64-sample δ run. Here:

- the random draws are SALib's, in SALib's order, from the same seed (the ``balanced`` and
  ``step`` subsets are drawn as SALib draws them and thrown away, so that the ``raw`` and S1
  draws that follow are the ones SALib makes); an input on which SALib gives up (too few samples
  to bin) gets NaN here too;
- each resample's class densities are Gaussian kernel estimates with Silverman's bandwidth, as
  ``gaussian_kde(…, bw_method="silverman")`` computes them, on all resamples at once (the classes
  of the ranked input are contiguous runs of the sorted sample).

Indices and intervals equal SALib's to rounding (a test compares them); only the time changes.
One difference: a resample whose outputs are all equal, where SALib's kernel fit raises a
singular-matrix error and stops the analysis, gives δ = NaN for that input.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray
from scipy.stats import norm

#: Kernel values (resamples × points × grid) computed at once: 2 MB, near a core's cache, in place
#: (2.7× faster than allocating whole-array temporaries).
BLOCK = 250_000
GRID = 100


def delta_indices(
    problem: Mapping, x: NDArray, y: NDArray, resamples: int, conf_level: float, seed: int
) -> dict[str, NDArray]:
    """``delta_raw``, ``delta_raw_conf``, ``S1``, ``S1_conf`` per input, as
    ``SALib.analyze.delta.analyze(problem, x, y, num_resamples, conf_level, seed=seed)``."""
    from SALib.analyze.delta import obtain_resampled_subset, sobol_first

    if seed:
        np.random.seed(seed)  # SALib's global stream, as delta.analyze seeds it
    n, d = x.shape
    exp = 2.0 / (7.0 + np.tanh((1500.0 - n) / 500.0))
    classes = int(np.round(min(int(np.ceil(n**exp)), 48)))
    m = np.linspace(0, n, classes + 1)
    grid = np.linspace(np.min(y), np.max(y), GRID)
    out = {k: np.full(d, np.nan) for k in ("delta_raw", "delta_raw_conf", "S1", "S1_conf")}
    z = norm.ppf(0.5 + conf_level / 2)
    for i in range(d):
        xi = x[:, i]
        smallest = max(int(n * 0.005), 10)
        edges = np.linspace(xi.min(), xi.max(), 11)
        try:
            for mode in ("balanced", "raw", "step"):
                if mode == "step" and min((xi <= 0).sum(), (xi > 0).sum()) < smallest:
                    continue  # SALib skips the step δ (and draws nothing)
                if mode == "balanced":
                    _balanced_draws(xi, edges, smallest, resamples + 1)
                    continue
                draws = np.array(
                    [
                        obtain_resampled_subset(xi, n, mode, edges, str(i), smallest)
                        for _ in range(resamples + 1)
                    ]
                )
                if mode == "raw":  # bias-reduced: 2 δ̂ − δ of each resample (SALib's)
                    each = deltas(y, grid, xi, m, draws)
                    values = 2.0 * each[0] - each[1:]
                    out["delta_raw"][i] = values.mean()
                    out["delta_raw_conf"][i] = z * values.std(ddof=1)
            ind = np.random.randint(n, size=n)
            out["S1"][i] = sobol_first(y[ind], xi[ind], m)
            boot = np.random.choice(n, size=(resamples, n), replace=True)
            out["S1_conf"][i] = z * first_order(y[boot], xi[boot], m).std(ddof=1)
        except Exception:  # noqa: BLE001 - SALib leaves such an input's indices NaN, with a note
            continue
    return out


def _balanced_draws(x: NDArray, edges: NDArray, smallest: int, times: int) -> None:
    """Advance the random stream as SALib's ``balanced`` δ does (``times`` subsets, one
    ``np.random.choice`` per class of the input), raising where it raises; the δ itself is not
    reported, so only the draws matter (they decide the ``raw`` and S1 draws that follow)."""
    from SALib.analyze.delta import obtain_bins_indices

    classes = obtain_bins_indices(edges, x, smallest)[1]
    each, extra = divmod(len(x), len(classes))
    if len(classes) < 2 or each < smallest:
        raise ValueError("too few samples to bin the input")  # SALib gives up on this input
    # np.random.choice(members, k) draws randint(0, len(members), k): one call with an array of
    # upper bounds draws the same numbers, in the same order, as the call per class (a test
    # compares the indices that follow with SALib's)
    highs = [
        (len(members), each + (1 if i < extra else 0))
        for i, members in enumerate(classes)
        if len(members)
    ]
    bounds = np.repeat([h for h, _ in highs], [k for _, k in highs])
    np.random.randint(0, np.tile(bounds, times))


def _classes(m: NDArray, n: int) -> list[tuple[int, int]]:
    """The classes of the ranked input as [start, stop) runs of positions in the sorted sample:
    rank r (1…n) is in class j when m[j] < r ≤ m[j + 1] (SALib's rule)."""
    which = np.searchsorted(m, np.arange(1, n + 1), side="left") - 1
    runs = []
    for j in np.unique(which):
        positions = np.flatnonzero(which == j)
        runs.append((int(positions[0]), int(positions[-1]) + 1))
    return runs


def _sorted_by_input(y: NDArray, x: NDArray, draws: NDArray) -> NDArray:
    """Each resample's outputs in the order of its inputs' ordinal ranks (ties: first drawn
    first, as ``rankdata(method="ordinal")``)."""
    order = np.argsort(x[draws], axis=1, kind="stable")
    return np.take_along_axis(y[draws], order, axis=1)


def _kde_sums(ys: NDArray, h: NDArray, grid: NDArray) -> NDArray:
    """Σ_k φ((g − y_k)/h) / h over the points of each row (rows: resamples), at every grid g,
    in blocks of rows that keep the kernel array under :data:`BLOCK` values, in place."""
    rows, points = ys.shape
    out = np.empty((rows, grid.size))
    step = max(1, BLOCK // max(1, points * grid.size))
    for a in range(0, rows, step):
        b = min(rows, a + step)
        u = grid[None, None, :] - ys[a:b, :, None]
        u /= h[a:b, None, None]
        np.square(u, out=u)
        u *= -0.5
        np.exp(u, out=u)
        np.sum(u, axis=1, out=out[a:b])
    out *= 1.0 / (math.sqrt(2.0 * math.pi) * h[:, None])
    return out


def _silverman(ys: NDArray) -> NDArray:
    """Silverman's bandwidth of each row in one dimension: sd · (3n/4)^(−1/5)."""
    n = ys.shape[1]
    sd = ys.std(axis=1, ddof=1) if n > 1 else np.zeros(len(ys))
    return sd * (n * 3.0 / 4.0) ** (-0.2)


def deltas(y: NDArray, grid: NDArray, x: NDArray, m: NDArray, draws: NDArray) -> NDArray:
    """δ of each resample (rows of ``draws``: indices into the sample), as SALib's
    ``calc_delta(y[r], grid, x[r], m)`` computes it for one resample r."""
    n = draws.shape[1]
    ys = _sorted_by_input(y, x, draws)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = _silverman(ys)
        density = _kde_sums(ys, h, grid) / n
        result = np.zeros(len(draws))
        for a, b in _classes(m, n):
            part = ys[:, a:b]
            nm = b - a
            varies = np.ptp(part, axis=1) != 0.0  # SALib skips a class of equal outputs
            if nm < 2 or not varies.any():
                continue
            local = _kde_sums(part[varies], _silverman(part[varies]), grid) / nm
            gap = np.trapezoid(np.abs(density[varies] - local), grid, axis=1)
            result[varies] += nm / (2 * n) * gap
    result[h == 0] = np.nan  # all outputs equal: no density (SALib raises)
    return result


def first_order(ys: NDArray, xs: NDArray, m: NDArray) -> NDArray:
    """SALib's S1 estimate (``sobol_first``) of each row of ``ys`` against ``xs``: the variance
    of the class means of y, classes of the ranked x, over the variance of y."""
    n = ys.shape[1]
    order = np.argsort(xs, axis=1, kind="stable")
    sorted_y = np.take_along_axis(ys, order, axis=1)
    mean = ys.mean(axis=1)
    between = np.zeros(len(ys))
    for a, b in _classes(m, n):
        between += (b - a) / n * (sorted_y[:, a:b].mean(axis=1) - mean) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        s1 = between / ys.var(axis=1)
    return np.where(np.ptp(ys, axis=1) == 0.0, 0.0, s1)
