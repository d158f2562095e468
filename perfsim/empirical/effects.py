"""Rater effects: leniency/severity and noise of each rater group, and the halo between items.

An additive many-facet model (Linacre's facets in their linear form; Wolfe & Dobria 2008) is fitted
separately for each component, on points (0–100), because groups that rate different instruments
(a survey's items, a leader's overall score) cannot be compared on one scale::

    x_rui = μ_u + β_i + ρ_r + e_rui,      ρ_r = b_g(r) + d_r

``μ_u`` the unit, ``β_i`` the item (sum zero), ``ρ_r`` the rater: the group's leniency ``b_g`` (the
rating-weighted mean of its raters' ρ, centred to rating-weighted mean zero over the component's
groups, so a group's leniency is how many points above the component's average rater it rates the
same units on the same items) plus the rater's own deviation ``d_r``. The fixed effects are the
least-squares solution (``scipy.sparse.linalg.lsqr`` on the sparse design; the design must connect
units through shared raters). Then, per group:

* ``leniency`` ``b_g`` with standard error ``sd(ρ_r) / √R_g`` over the group's ``R_g`` raters
  (the only group of a component: 0 by the centring, with no standard error);
* ``rater_sd`` ``τ_g``: the spread of individual leniency,
  ``√max(0, var(ρ_r) − mean σ_g² (1 + (m − 1) h_g) / n_r)`` — the variance of the rater effects less
  what their estimation noise adds (method of moments), where ``n_r`` ratings come in blocks of
  ``m`` items of one unit whose residuals correlate by the halo ``h_g`` (design effect
  ``1 + (m − 1) h``; Kish 1965);
* ``noise`` ``σ_g``: the residual standard deviation of one rating, ``√(Σ e² / (N_g − df_g))`` with
  the group's share of the fitted parameters as ``df_g``;
* ``halo``: the mean correlation, across a rater's items of one unit, of the residuals ``e_rui``
  (0 when the items are judged independently; a general impression of the unit makes it positive;
  Thorndike 1920, Cooper 1981). Needs two or more items.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix, hstack
from scipy.sparse.linalg import lsqr

from .data import Ratings


@dataclass
class RaterEffects:
    groups: (
        pd.DataFrame
    )  # component, rater_group, raters, ratings, leniency, leniency_se, rater_sd, noise, halo
    raters: pd.DataFrame  # component, rater_group, rater, ratings, leniency (ρ_r centred)
    items: pd.DataFrame  # component, item, effect (β_i)
    units: pd.DataFrame  # component, unit, effect (μ_u, the unit's fair score in points)


def _codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    codes, uniques = pd.factorize(values, sort=False)
    return codes, pd.Index(uniques)


def fit_component(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Fit the additive model to one component's ratings (see the module docstring)."""
    x = frame["points"].to_numpy(float)
    n_obs = x.size
    u, units = _codes(frame["unit"])
    i, items = _codes(frame["item"])
    r, raters = _codes(frame["rater"])
    rows = np.arange(n_obs)

    def block(codes: np.ndarray, k: int) -> csr_matrix:
        return csr_matrix((np.ones(n_obs), (rows, codes)), shape=(n_obs, k))

    design = hstack([block(u, len(units)), block(i, len(items)), block(r, len(raters))]).tocsr()
    grand = x.mean()
    sol = lsqr(design, x - grand, atol=1e-12, btol=1e-12, iter_lim=10_000)[0]
    mu, beta, rho = np.split(sol, [len(units), len(units) + len(items)])
    fitted = design @ sol + grand
    resid = x - fitted
    n_r = np.bincount(r, minlength=len(raters)).astype(float)
    # identify: β sums to zero, ρ has rating-weighted mean zero; the constants go into μ
    shift_b, shift_r = beta.mean(), (rho * n_r).sum() / n_r.sum()
    beta, rho, mu = beta - shift_b, rho - shift_r, mu + grand + shift_b + shift_r
    group_of_rater = (
        frame.drop_duplicates("rater").set_index("rater")["rater_group"].reindex(raters)
    )
    n_par = len(units) + len(items) + len(raters) - 2
    rows_out = []
    alone = group_of_rater.nunique() == 1  # the component's only group: its leniency is 0
    for name in dict.fromkeys(group_of_rater):
        in_g = (group_of_rater == name).to_numpy()
        obs = in_g[r]
        n_g, rho_g, nr_g = int(obs.sum()), rho[in_g], n_r[in_g]
        df_g = n_par * n_g / n_obs
        noise = float(np.sqrt((resid[obs] ** 2).sum() / max(n_g - df_g, 1.0)))
        lenient = float((rho_g * nr_g).sum() / nr_g.sum())
        spread = float(rho_g.var(ddof=1)) if in_g.sum() > 1 else np.nan
        halo = _halo(frame[obs], resid[obs])
        per_unit = n_g / frame[obs].groupby(["rater", "unit"]).ngroups
        deff = 1 + (per_unit - 1) * (halo if np.isfinite(halo) else 0.0)
        rows_out.append(
            {
                "rater_group": name,
                "raters": int(in_g.sum()),
                "ratings": n_g,
                "leniency": 0.0 if alone else lenient,  # (by the centring, to rounding)
                "leniency_se": float(np.sqrt(spread / in_g.sum()))
                if in_g.sum() > 1 and not alone
                else np.nan,
                "rater_sd": float(np.sqrt(max(0.0, spread - np.mean(noise**2 * deff / nr_g))))
                if in_g.sum() > 1
                else np.nan,
                "noise": noise,
                "halo": halo,
            }
        )
    groups = pd.DataFrame(rows_out)
    return {
        "groups": groups,
        "raters": pd.DataFrame(
            {
                "rater_group": group_of_rater.to_numpy(),
                "rater": raters,
                "ratings": n_r.astype(int),
                "leniency": rho,
            }
        ),
        "items": pd.DataFrame({"item": items, "effect": beta}),
        "units": pd.DataFrame({"unit": units, "effect": mu}),
    }


def _halo(frame: pd.DataFrame, resid: np.ndarray) -> float:
    """Mean within rater × unit correlation of item residuals (NaN with fewer than 2 items whose
    residuals vary, or fewer than 3 rater × unit pairs that rated every item)."""
    if frame["item"].nunique() < 2:
        return np.nan
    wide = (
        pd.DataFrame(
            {"key": frame["rater"] + "\x1f" + frame["unit"], "item": frame["item"], "e": resid}
        )
        .pivot(index="key", columns="item", values="e")
        .dropna()
    )
    if len(wide) < 3:
        return np.nan
    values = wide.to_numpy()
    varies = values.std(axis=0) > 1e-12 * (1.0 + np.abs(values).max(initial=0.0))
    if varies.sum() < 2:  # (an item whose residuals are all equal has no correlation)
        return np.nan
    corr = np.corrcoef(values[:, varies].T)
    off = corr[~np.eye(corr.shape[0], dtype=bool)]
    return float(np.mean(off))


def rater_effects(ratings: Ratings) -> RaterEffects:
    """Fit the additive model per component; see the module docstring."""
    parts: dict[str, list[pd.DataFrame]] = {"groups": [], "raters": [], "items": [], "units": []}
    for comp in ratings.components:
        fitted = fit_component(ratings.frame[ratings.frame["component"] == comp])
        for key, table in fitted.items():
            parts[key].append(table.assign(component=comp))
    out = {}
    for key, tables in parts.items():
        t = pd.concat(tables, ignore_index=True)
        out[key] = t[["component", *[c for c in t.columns if c != "component"]]]
    return RaterEffects(**out)
