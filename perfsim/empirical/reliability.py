"""Inter-rater reliability of a real ratings table: Shrout–Fleiss ICCs and Krippendorff's α.

Input is the tidy ratings frame of :mod:`perfsim.empirical.data` (one row per rater × unit × item,
columns ``unit, rater_group, rater, item, points, level``; ``level`` ≥ 0 for a categorical answer,
−1 for a numeric score). :func:`reliability` reports, for each rater group and for all raters
pooled (scope ``"overall"``):

* the six Shrout–Fleiss ICC forms (:func:`icc`) with F-based confidence intervals, on each rater's
  mean points over items for each unit (:func:`rating_matrix`). Missing ratings: a complete design
  uses all ratings; an incomplete one uses complete-case raters or units when they keep most of
  the data, else the unbalanced one-way ICC1 and ICC1k (:func:`icc_oneway`), leaving the two-way
  forms undefined;
* Krippendorff's α, interval (on points) and ordinal (on answer levels, categorical ratings only),
  computed by the ``krippendorff`` package with missing ratings allowed, with a bootstrap
  confidence interval over units.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import krippendorff
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy.stats import f as f_dist

from ..metrics import icc as icc_point

__all__ = ["ICC_FORMS", "RELIABILITY_COLUMNS", "icc", "icc_oneway", "rating_matrix", "reliability"]

#: The six Shrout–Fleiss forms, in Shrout–Fleiss (and pingouin) order, with a description.
ICC_FORMS: dict[str, str] = {
    "icc1": "one-way random, single rater, absolute agreement — ICC(1,1)",
    "icc2": "two-way random, single rater, absolute agreement — ICC(A,1)",
    "icc3": "two-way mixed, single rater, consistency — ICC(C,1)",
    "icc1k": "one-way random, mean of k raters, absolute agreement — ICC(1,k)",
    "icc2k": "two-way random, mean of k raters, absolute agreement — ICC(A,k)",
    "icc3k": "two-way mixed, mean of k raters, consistency — ICC(C,k)",
}

ICC_COLUMNS = ["form", "description", "estimate", "ci_low", "ci_high", "F", "df1", "df2"]
ICC_COLUMNS += ["p_value", "k"]

#: Columns of :func:`reliability`.
RELIABILITY_COLUMNS = [
    "scope",
    "measure",
    "estimate",
    "ci_low",
    "ci_high",
    "n_units",
    "n_raters",
    "n_ratings",
    "design",
]

_FRAME_COLUMNS = ("unit", "rater_group", "rater", "item", "points", "level")

#: Complete-case raters (or units) are used for the two-way ICCs only if they keep at least this
#: share of the (unit, rater) cells; otherwise the one-way ICC on all ratings is reported.
_MIN_COMPLETE_SHARE = 0.5

#: The package builds (units × V × V) coincidence arrays; above this many cells the interval α is
#: computed from the equivalent closed form instead.
_MAX_COINCIDENCE_CELLS = 5_000_000


# --- ICC on one units × raters matrix ---------------------------------------------------------


def _oneway_ci(
    F: float, df1: float, df2: float, k: float, alpha: float
) -> tuple[float, float, float, float]:
    """F-based CI of ``(F − 1)/(F + k − 1)`` and of ``1 − 1/F``; see :func:`icc`."""
    with np.errstate(divide="ignore", invalid="ignore"):
        f_low = F / f_dist.ppf(1 - alpha / 2, df1, df2)
        f_high = F * f_dist.ppf(1 - alpha / 2, df2, df1)
        single = (1 - k / (f_low + k - 1), 1 - k / (f_high + k - 1))
        mean_k = (1 - 1 / f_low, 1 - 1 / f_high)
    return single[0], single[1], mean_k[0], mean_k[1]


def icc(ratings: ArrayLike, confidence: float = 0.95) -> pd.DataFrame:
    """Shrout–Fleiss ICCs with F tests and confidence intervals for one complete n × k table.

    ``ratings`` is units (targets, rows) × raters (columns), no missing values. Mean squares of the
    two-way ANOVA (row means ``x̄_i``, column means ``x̄_j``, grand mean ``x̄``)::

        MSR = k Σ_i (x̄_i − x̄)² / (n − 1)        MSC = n Σ_j (x̄_j − x̄)² / (k − 1)
        MSE = Σ_ij (x_ij − x̄_i − x̄_j + x̄)² / ((n − 1)(k − 1))
        MSW = (SSC + SSE) / (n (k − 1))

    give the point estimates of :func:`perfsim.metrics.icc` (ICC1 = (MSR − MSW)/(MSR + (k − 1) MSW),
    …). F tests of ICC = 0: ``F = MSR/MSW`` on (n − 1, n(k − 1)) df for ICC1, ICC1k and
    ``F = MSR/MSE`` on (n − 1, (n − 1)(k − 1)) df for the two-way forms; ``p = P(F' > F)``.

    Confidence intervals at level ``1 − a`` (``F_q(d1, d2)`` the upper ``a/2`` quantile):

    * ICC1, ICC3: ``F_L = F / F_q(df1, df2)``, ``F_U = F · F_q(df2, df1)``, bounds
      ``(F_L − 1)/(F_L + k − 1)`` and ``(F_U − 1)/(F_U + k − 1)``; ICC1k, ICC3k: ``1 − 1/F_L``,
      ``1 − 1/F_U`` (Shrout & Fleiss 1979, Table 2 cases 1 and 3).
    * ICC2: with ``F_J = MSC/MSE`` and ``ρ`` = ICC2, Satterthwaite df
      ``v = (n−1)(k−1) (k ρ F_J + n(1 + (k−1)ρ) − k ρ)² / ((n−1) k² ρ² F_J² + (n(1 + (k−1)ρ) − k ρ)²)``,
      ``F* = F_q(n − 1, v)``, ``F** = F_q(v, n − 1)``,
      ``L = n (MSR − F* MSE) / (F* (k MSC + (kn − k − n) MSE) + n MSR)``,
      ``U = n (F** MSR − MSE) / (k MSC + (kn − k − n) MSE + n F** MSR)``; ICC2k by Spearman–Brown
      ``k b / (1 + (k − 1) b)`` of each bound (McGraw & Wong 1996, Table 7; Shrout & Fleiss 1979).

    These are the formulas of ``pingouin.intraclass_corr`` (which fixes ``confidence = 0.95``), and
    the results agree with it. Returns one row per form (:data:`ICC_FORMS` order) with columns
    ``form, description, estimate, ci_low, ci_high, F, df1, df2, p_value, k``. NaN where an
    estimate is undefined (e.g. all ratings equal).
    """
    x = np.asarray(ratings, dtype=float)
    if x.ndim != 2:
        raise ValueError(f"ratings must be a units × raters matrix, got shape {x.shape}")
    n, k = x.shape
    if n < 2 or k < 2:
        raise ValueError(f"icc needs at least 2 units and 2 raters, got {n} units × {k} raters")
    if not np.isfinite(x).all():
        raise ValueError(
            "icc needs a complete table without NaN; for missing ratings use icc_oneway or "
            "reliability (complete-case raters or the unbalanced one-way ICC)"
        )
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    a = 1 - confidence
    est = {form: float(v[0]) for form, v in icc_point(x[np.newaxis]).items()}

    grand = x.mean()
    row = x.mean(axis=1, keepdims=True)
    col = x.mean(axis=0, keepdims=True)
    ssc = n * np.sum((col - grand) ** 2)
    sse = np.sum((x - row - col + grand) ** 2)
    msr = k * np.sum((row - grand) ** 2) / (n - 1)
    msc = ssc / (k - 1)
    mse = sse / ((n - 1) * (k - 1))
    msw = (ssc + sse) / (n * (k - 1))
    df1, df2_one, df2_two = n - 1, n * (k - 1), (n - 1) * (k - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        f_one = msr / msw
        f_two = msr / mse
    p_one = float(f_dist.sf(f_one, df1, df2_one))
    p_two = float(f_dist.sf(f_two, df1, df2_two))

    l1, u1, l1k, u1k = _oneway_ci(f_one, df1, df2_one, k, a)
    l3, u3, l3k, u3k = _oneway_ci(f_two, df1, df2_two, k, a)
    rho = est["icc2"]
    with np.errstate(divide="ignore", invalid="ignore"):
        fj = msc / mse
        base = n * (1 + (k - 1) * rho) - k * rho
        v = df2_two * (k * rho * fj + base) ** 2 / (df1 * k**2 * rho**2 * fj**2 + base**2)
        f_star = f_dist.ppf(1 - a / 2, n - 1, v)
        f_2star = f_dist.ppf(1 - a / 2, v, n - 1)
        mixed = k * msc + (k * n - k - n) * mse
        l2 = n * (msr - f_star * mse) / (f_star * mixed + n * msr)
        u2 = n * (f_2star * msr - mse) / (mixed + n * f_2star * msr)
        l2k, u2k = l2 * k / (1 + l2 * (k - 1)), u2 * k / (1 + u2 * (k - 1))

    ci = {
        "icc1": (l1, u1),
        "icc2": (l2, u2),
        "icc3": (l3, u3),
        "icc1k": (l1k, u1k),
        "icc2k": (l2k, u2k),
        "icc3k": (l3k, u3k),
    }
    rows = []
    for form, description in ICC_FORMS.items():
        one_way = form.startswith("icc1")
        rows.append(
            [
                form,
                description,
                est[form],
                float(ci[form][0]),
                float(ci[form][1]),
                float(f_one if one_way else f_two),
                float(df1),
                float(df2_one if one_way else df2_two),
                p_one if one_way else p_two,
                float(k),
            ]
        )
    return pd.DataFrame(rows, columns=ICC_COLUMNS)


def icc_oneway(ratings: ArrayLike, confidence: float = 0.95) -> pd.DataFrame:
    """ICC1 and ICC1k of the unbalanced one-way random-effects ANOVA; missing ratings allowed.

    ``ratings`` is units × raters with NaN where a rater did not rate a unit; rater identity is
    ignored (the one-way model treats each unit's ratings as exchangeable), so unit i simply has
    ``n_i ≥ 0`` ratings ``x_ij``. Units with no rating are dropped; with ``n`` units left and
    ``N = Σ n_i`` ratings::

        MSB = Σ_i n_i (x̄_i − x̄)² / (n − 1)        MSW = Σ_i Σ_j (x_ij − x̄_i)² / (N − n)
        k0  = (N − Σ_i n_i² / N) / (n − 1)                 effective ratings per unit
        ICC1  = (MSB − MSW) / (MSB + (k0 − 1) MSW)
        ICC1k = (MSB − MSW) / MSB = k0 ICC1 / (1 + (k0 − 1) ICC1)

    (Searle 1971, *Linear Models*, §9; Donner 1986, "A review of inference procedures for the
    intraclass correlation coefficient in the one-way random effects model", Int. Stat. Rev. 54;
    Lessells & Boag 1987 for k0; as ``ICCest`` of the R package ICC by M. Wolak). ``k0 ≤ N/n``;
    ICC1k is thus the reliability of a mean of ``k0`` ratings (Spearman–Brown at k0); a unit with
    ``n_i`` ratings has reliability ``n_i ICC1 / (1 + (n_i − 1) ICC1)``. ``F = MSB/MSW`` on
    (n − 1, N − n) df; the confidence interval is the F-based one of :func:`icc` with these df and
    ``k0`` in place of k ("THD" interval of ``ICCest``: Searle 1971; Thomas & Hultquist 1978).
    With a balanced table (every unit rated by all k raters) k0 = k and the results equal the
    ICC1 and ICC1k rows of :func:`icc`. Returns those two rows with the columns of :func:`icc`
    (``k`` = k0).
    """
    x = np.asarray(ratings, dtype=float)
    if x.ndim != 2:
        raise ValueError(f"ratings must be a units × raters matrix, got shape {x.shape}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    rated = np.isfinite(x)
    n_i = rated.sum(axis=1)
    x, rated, n_i = x[n_i > 0], rated[n_i > 0], n_i[n_i > 0]
    n, big_n = n_i.size, int(n_i.sum())
    if n < 2 or big_n - n < 1:
        raise ValueError(
            "the one-way ICC needs at least 2 rated units and one unit with 2 or more ratings, "
            f"got {n} rated units with {big_n} ratings"
        )
    values = np.where(rated, x, 0.0)
    means = values.sum(axis=1) / n_i
    grand = values.sum() / big_n
    msb = np.sum(n_i * (means - grand) ** 2) / (n - 1)
    msw = np.sum(np.where(rated, x - means[:, np.newaxis], 0.0) ** 2) / (big_n - n)
    k0 = (big_n - np.sum(n_i.astype(float) ** 2) / big_n) / (n - 1)
    df1, df2 = n - 1, big_n - n
    with np.errstate(divide="ignore", invalid="ignore"):
        icc1 = (msb - msw) / (msb + (k0 - 1) * msw) if msb + (k0 - 1) * msw != 0 else np.nan
        icc1k = (msb - msw) / msb if msb != 0 else np.nan
        F = msb / msw if msw != 0 else (np.inf if msb > 0 else np.nan)
    p = float(f_dist.sf(F, df1, df2))
    low, high, low_k, high_k = _oneway_ci(F, df1, df2, k0, 1 - confidence)
    rows = [
        ["icc1", ICC_FORMS["icc1"], icc1, low, high, F, df1, df2, p, k0],
        ["icc1k", ICC_FORMS["icc1k"], icc1k, low_k, high_k, F, df1, df2, p, k0],
    ]
    out = pd.DataFrame(rows, columns=ICC_COLUMNS)
    return out.astype({c: float for c in ICC_COLUMNS[2:]})


# --- the ratings frame ------------------------------------------------------------------------


def _check_frame(frame: pd.DataFrame) -> None:
    missing = [c for c in _FRAME_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(
            f"ratings frame lacks column(s) {missing}; expected {list(_FRAME_COLUMNS)}"
        )
    if len(frame) == 0:
        raise ValueError("ratings frame is empty")
    if frame["points"].isna().any():
        raise ValueError("ratings frame has missing points; drop unanswered ratings first")
    dup = frame.duplicated(["rater", "unit", "item"])
    if dup.any():
        first = frame.loc[dup, ["rater", "unit", "item"]].iloc[0].tolist()
        raise ValueError(
            f"{int(dup.sum())} duplicate (rater, unit, item) rating(s), e.g. {first}; "
            "each rater rates each item of a unit at most once"
        )


def rating_matrix(
    frame: pd.DataFrame, group: str | None = None
) -> tuple[pd.Index, pd.Index, NDArray[np.float64]]:
    """Each rater's mean points over items for each unit: ``(units, raters, matrix)``.

    ``matrix[i, j]`` is the mean of ``points`` over the items rater ``raters[j]`` rated for unit
    ``units[i]``, NaN where the rater did not rate the unit. ``group`` restricts to one rater group
    (``None``: all raters). Units and raters are sorted; only units rated by at least one of the
    selected raters appear.
    """
    missing = [c for c in ("unit", "rater", "rater_group", "points") if c not in frame.columns]
    if missing:
        raise ValueError(f"ratings frame lacks column(s) {missing}")
    if group is not None:
        frame = frame[frame["rater_group"] == group]
        if len(frame) == 0:
            raise ValueError(f"no ratings for rater group {group!r}")
    means = frame.groupby(["unit", "rater"], sort=True)["points"].mean()
    units = pd.Index(sorted(frame["unit"].unique()), name="unit")
    raters = pd.Index(sorted(frame["rater"].unique()), name="rater")
    matrix = np.full((units.size, raters.size), np.nan)
    matrix[
        units.get_indexer(means.index.get_level_values("unit")),
        raters.get_indexer(means.index.get_level_values("rater")),
    ] = means.to_numpy(dtype=float)
    return units, raters, matrix


# --- reliability table --------------------------------------------------------------------------


def _row(scope, measure, estimate, low, high, n_units, n_raters, n_ratings, design) -> dict:
    return dict(
        zip(
            RELIABILITY_COLUMNS,
            [
                scope,
                measure,
                float(estimate),
                float(low),
                float(high),
                int(n_units),
                int(n_raters),
                int(n_ratings),
                design,
            ],
            strict=True,
        )
    )


def _icc_rows(scope: str, frame: pd.DataFrame, confidence: float) -> list[dict]:
    units, raters, m = rating_matrix(frame)
    rated = np.isfinite(m)
    per_cell = frame.groupby(["unit", "rater"]).size()
    counts = np.zeros(m.shape, dtype=int)
    counts[
        units.get_indexer(per_cell.index.get_level_values("unit")),
        raters.get_indexer(per_cell.index.get_level_values("rater")),
    ] = per_cell.to_numpy()
    mean_note = "each rater's mean points over items per unit"

    def nan_rows(forms, reason):
        sizes = (units.size, raters.size, len(frame))
        return [_row(scope, f, np.nan, np.nan, np.nan, *sizes, reason) for f in forms]

    if units.size < 2 or raters.size < 2:
        reason = f"undefined: {units.size} unit(s) × {raters.size} rater(s); ICC needs ≥ 2 of each"
        return nan_rows(ICC_FORMS, reason)

    if rated.all():
        table = icc(m, confidence)
        design = f"two-way ANOVA, complete design: {units.size} units × {raters.size} raters; "
        design += mean_note
        return _icc_table_rows(scope, table, units.size, raters.size, counts.sum(), design)

    # complete-case raters (all units) or complete-case units (all raters), whichever keeps more
    full_raters, full_units = rated.all(axis=0), rated.all(axis=1)
    options = []
    if full_raters.sum() >= 2:
        options.append(("raters", full_raters.sum() * units.size, slice(None), full_raters))
    if full_units.sum() >= 2:
        options.append(("units", full_units.sum() * raters.size, full_units, slice(None)))
    if options:
        kind, cells, keep_u, keep_r = max(options, key=lambda o: o[1])
        if cells >= _MIN_COMPLETE_SHARE * rated.sum():
            sub = m[keep_u][:, keep_r]
            nu, nr = sub.shape
            table = icc(sub, confidence)
            if kind == "raters":
                design = f"complete-case raters: the {nr} of {raters.size} raters who rated all "
                design += f"{nu} units"
            else:
                design = f"complete-case units: the {nu} of {units.size} units rated by all "
                design += f"{nr} raters"
            design += f" (two-way ANOVA, {cells} of {rated.sum()} unit × rater cells); {mean_note}"
            n_ratings = counts[keep_u][:, keep_r].sum()
            return _icc_table_rows(scope, table, nu, nr, n_ratings, design)

    n_i = rated.sum(axis=1)
    if (n_i >= 2).sum() < 1:
        reason = "undefined: incomplete design and no unit rated by 2 or more raters"
        return nan_rows(ICC_FORMS, reason)
    table = icc_oneway(m, confidence)
    k0 = table["k"].iloc[0]
    design = (
        f"one-way random-effects ANOVA, unbalanced: {units.size} units, {rated.sum()} "
        f"unit × rater cells ({n_i.min()}–{n_i.max()} raters per unit, mean "
        f"{rated.sum() / units.size:.2f}); ICC1k at k0 = {k0:.2f}; {mean_note}"
    )
    rows = _icc_table_rows(scope, table, units.size, raters.size, counts.sum(), design)
    reason = (
        "undefined: incomplete design and too few raters who rated every unit for a two-way "
        "ANOVA (see icc1 for the one-way estimate)"
    )
    two_way = nan_rows(["icc2", "icc3", "icc2k", "icc3k"], reason)
    by_form = {r["measure"]: r for r in rows + two_way}
    return [by_form[f] for f in ICC_FORMS]


def _icc_table_rows(scope, table, n_units, n_raters, n_ratings, design) -> list[dict]:
    return [
        _row(scope, r.form, r.estimate, r.ci_low, r.ci_high, n_units, n_raters, n_ratings, design)
        for r in table.itertuples()
    ]


def _interval_alpha(stats: NDArray[np.float64]) -> NDArray[np.float64]:
    """Interval α from additive sufficient statistics ``[..., (A, n, S1, S2)]``.

    Over the pairable values (units of analysis u with m_u ≥ 2 ratings),
    ``A = Σ_u Σ_{i≠j} (x_ui − x_uj)² / (m_u − 1) = Σ_u 2 m_u Σ_i (x_ui − x̄_u)² / (m_u − 1)``,
    ``n`` their number, ``S1 = Σ x``, ``S2 = Σ x²``; then ``n D_o = A`` and
    ``n D_e = Σ_{v≠v'} (x_v − x_v')² / (n − 1) = 2 (n S2 − S1²) / (n − 1)``, so
    ``α = 1 − A (n − 1) / (2 (n S2 − S1²))``: Krippendorff's ``1 − D_o/D_e`` with the interval
    metric (Krippendorff 2011), without the value-by-value coincidence matrix. All four statistics
    add over units, so a bootstrap replicate is a weighted sum of per-department statistics.
    """
    a, n, s1, s2 = np.moveaxis(stats, -1, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = 2 * (n * s2 - s1**2) / (n - 1)
        return np.where(expected > 1e-12 * np.abs(n * s2), 1 - a / expected, np.nan)


def _ordinal_alpha(coincidences: NDArray[np.float64]) -> NDArray[np.float64]:
    """Ordinal α from coincidence matrices ``[..., V, V]`` (values in increasing order).

    ``n_v = Σ_c o_vc``, ``n = Σ n_v``; ordinal distance
    ``δ²_vc = (Σ_{g=v..c} n_g − (n_v + n_c)/2)²``; expected coincidences
    ``e_vc = (n_v n_c − [v = c] n_v) / (n − 1)``; ``α = 1 − Σ o δ² / Σ e δ²`` (Krippendorff 2011).
    """
    o = coincidences
    n_v = o.sum(axis=-2)
    cum = np.cumsum(n_v, axis=-1)
    v = n_v.shape[-1]
    lo, hi = (
        np.minimum.outer(np.arange(v), np.arange(v)),
        np.maximum.outer(np.arange(v), np.arange(v)),
    )
    between = cum[..., hi] - cum[..., lo] + n_v[..., lo]
    delta = (between - (n_v[..., :, np.newaxis] + n_v[..., np.newaxis, :]) / 2) ** 2
    n = n_v.sum(axis=-1)
    e = n_v[..., :, np.newaxis] * n_v[..., np.newaxis, :] - n_v[..., np.newaxis, :] * np.eye(v)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = (e * delta).sum(axis=(-2, -1)) / (n - 1)
        observed = (o * delta).sum(axis=(-2, -1))
        return np.where(expected > 0, 1 - observed / expected, np.nan)


def _bootstrap_ci(
    statistic: Callable, dept_stats: NDArray, n_boot: int, seed: int | None, confidence: float
) -> tuple[float, float, str]:
    """Percentile bootstrap CI of α over departments, and its note (NaN and "no CI" if none)."""
    n_depts = dept_stats.shape[0]
    if n_boot > 0 and n_depts >= 2:
        rng = np.random.default_rng(seed)
        weights = rng.multinomial(n_depts, np.full(n_depts, 1 / n_depts), size=n_boot)
        boot = statistic(np.tensordot(weights.astype(float), dept_stats, axes=1))
        if np.isfinite(boot).sum() >= 2:
            a = 1 - confidence
            low, high = np.nanquantile(boot, [a / 2, 1 - a / 2])
            return low, high, f"percentile bootstrap CI over units ({n_boot} resamples)"
    return np.nan, np.nan, "no CI"


def _alpha_rows(
    scope: str,
    frame: pd.DataFrame,
    level: Literal["interval", "ordinal"],
    confidence: float,
    n_boot: int,
    seed: int | None,
) -> dict:
    measure = f"alpha_{level}"
    if level == "ordinal":
        frame = frame[frame["level"] >= 0]
        if len(frame) == 0:
            reason = "not applicable: no categorical ratings (level ≥ 0) in this scope"
            return _row(scope, measure, np.nan, np.nan, np.nan, 0, 0, 0, reason)
        values = frame["level"].to_numpy(dtype=float)
    else:
        values = frame["points"].to_numpy(dtype=float)
    unit_code, unit_names = pd.factorize(frame["unit"])
    item_code, item_names = pd.factorize(frame["item"])
    cases, case_keys = pd.factorize(unit_code * item_names.size + item_code)
    m_u = np.bincount(cases, minlength=case_keys.size)
    pairable = m_u[cases] >= 2
    used = frame[pairable]
    counts = (used["unit"].nunique(), used["rater"].nunique(), len(used))
    what = "Krippendorff's α over (unit, item) pairs as units of analysis"
    value_name = "answer levels" if level == "ordinal" else "points"
    x = values[pairable]
    domain, v = np.unique(x, return_inverse=True)
    if domain.size < 2:
        reason = "undefined: no (unit, item) rated by 2 or more raters, or only one distinct value"
        return _row(scope, measure, np.nan, np.nan, np.nan, *counts, reason)

    keep_cases = np.flatnonzero(m_u >= 2)
    case_map = np.full(case_keys.size, -1)
    case_map[keep_cases] = np.arange(keep_cases.size)
    c = case_map[cases[pairable]]
    n_cases, n_values = keep_cases.size, domain.size
    m = m_u[keep_cases].astype(float)
    # departments of the (unit, item) cases, for the bootstrap over units
    dept = case_keys[keep_cases] // item_names.size
    _, dept = np.unique(dept, return_inverse=True)
    n_depts = int(dept.max()) + 1
    use_package = level == "ordinal" or n_cases * n_values**2 <= _MAX_COINCIDENCE_CELLS
    if use_package:
        value_counts = np.bincount(c * n_values + v, minlength=n_cases * n_values)
        value_counts = value_counts.reshape(n_cases, n_values)

    if level == "interval":
        x = x - x.mean()  # α is shift invariant; centring keeps n S2 − S1² accurate
        s1 = np.bincount(c, weights=x, minlength=n_cases)
        s2 = np.bincount(c, weights=x * x, minlength=n_cases)
        within = np.bincount(c, weights=(x - (s1 / m)[c]) ** 2, minlength=n_cases)
        case_stats = np.column_stack([2 * m * within / (m - 1), m, s1, s2])
        dept_stats = np.zeros((n_depts, 4))
        np.add.at(dept_stats, dept, case_stats)
        statistic = _interval_alpha
    else:
        vc = value_counts
        o = vc[:, :, np.newaxis] * vc[:, np.newaxis, :] - vc[:, np.newaxis, :] * np.eye(n_values)
        o = o / (m - 1)[:, np.newaxis, np.newaxis]
        dept_stats = np.zeros((n_depts, n_values, n_values))
        np.add.at(dept_stats, dept, o)
        statistic = _ordinal_alpha

    if use_package:
        estimate = krippendorff.alpha(
            value_counts=value_counts, value_domain=domain, level_of_measurement=level
        )
        how = "krippendorff package"
    else:
        estimate = float(statistic(dept_stats.sum(axis=0)))
        how = "closed form (too many distinct values for the package's coincidence arrays)"

    low, high, ci_note = _bootstrap_ci(statistic, dept_stats, n_boot, seed, confidence)
    design = (
        f"{what} on {value_name}: {n_cases} pairs rated by ≥ 2 raters, "
        f"{n_values} distinct values; {how}; {ci_note}"
    )
    return _row(scope, measure, estimate, low, high, *counts, design)


def reliability(
    frame: pd.DataFrame,
    confidence: float = 0.95,
    n_boot: int = 1000,
    seed: int | None = 0,
) -> pd.DataFrame:
    """Reliability of the ratings per rater group and overall: ICCs and Krippendorff's α.

    ``frame`` is the tidy ratings frame (columns ``unit, rater_group, rater, item, points,
    level``; rater ids unique across groups). Scopes: each rater group (order of appearance), then
    ``"overall"`` (all raters pooled). Measures per scope, one row each:

    * ``icc1, icc2, icc3, icc1k, icc2k, icc3k`` (:data:`ICC_FORMS`) on the units × raters matrix of
      each rater's mean points over the items they rated for a unit (:func:`rating_matrix`), with
      F-based CIs. Design rules, stated in ``design``:

      - complete (every rater rated every unit): :func:`icc` on all ratings;
      - incomplete, but ≥ 2 raters rated every unit (or ≥ 2 units were rated by every rater) and
        those complete cases keep at least half of the unit × rater cells: :func:`icc` on the
        complete-case raters (or units), whichever keeps more cells;
      - otherwise (e.g. a survey where each respondent rates a few units): the two-way forms are
        undefined (NaN) and ICC1, ICC1k come from the unbalanced one-way ANOVA
        (:func:`icc_oneway`; ICC1k is the reliability of a mean of k0 ratings).

    * ``alpha_interval``: Krippendorff's α with the interval metric on ``points``;
      ``alpha_ordinal``: with the ordinal metric on answer ``level`` codes, from the categorical
      ratings only (``level ≥ 0``; NaN with a note when there are none). The units of analysis are
      the (unit, item) pairs and the values are single ratings — no averaging over items, and
      missing ratings are native to α. So α measures agreement on one item rating, whereas the ICCs
      above refer to a rater's item mean (item averaging removes item-specific noise, so ICC1 is
      usually above interval α). Items pooled in one ordinal α share the level codes, so they
      should share a scale. α is computed by the ``krippendorff`` package from the (unit, item) ×
      value counts (exactly what it computes from the raters × pairs matrix with NaN, without
      building that matrix); an interval α whose value domain is so large that the package's
      pairs × V × V coincidence arrays would exceed :data:`_MAX_COINCIDENCE_CELLS` uses the
      equivalent closed form of :func:`_interval_alpha`. Its CI is a percentile bootstrap over
      units (departments, with all their items and ratings; ``n_boot`` resamples, ``seed``;
      ``n_boot=0`` for no CI), since ratings of one department are not independent (Zapf et al.
      2016, "Measuring inter-rater reliability for nominal data", BMC Med. Res. Methodol. 16:93,
      bootstrap over subjects). Each replicate reweights per-department additive statistics, so it
      costs microseconds.

    Columns: ``scope, measure, estimate, ci_low, ci_high, n_units, n_raters, n_ratings, design``;
    the counts are the units, raters and frame rows (item ratings) that entered the computation.
    """
    _check_frame(frame)
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    groups = list(pd.unique(frame["rater_group"]))
    if "overall" in groups:
        raise ValueError('a rater group is named "overall", which is the name of the pooled scope')
    if frame.groupby("rater")["rater_group"].nunique().max() > 1:
        raise ValueError("a rater id appears in two rater groups; rater ids must be unique")
    scopes = [(g, frame[frame["rater_group"] == g]) for g in groups] + [("overall", frame)]
    rows = []
    for scope, sub in scopes:
        rows += _icc_rows(scope, sub, confidence)
        for level in ("interval", "ordinal"):
            rows.append(_alpha_rows(scope, sub, level, confidence, n_boot, seed))
    table = pd.DataFrame(rows, columns=RELIABILITY_COLUMNS)
    values = table[["estimate", "ci_low", "ci_high"]].astype(float)
    # an interval bound that runs off to ±inf (e.g. ICC(1,k) near ICC(1) = -1/(k-1)) is undefined
    table[["estimate", "ci_low", "ci_high"]] = values.where(np.isfinite(values))
    return table
