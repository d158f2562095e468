"""Calibrate the world's rater parameters from a ratings table, with their estimation uncertainty.

**Survey components** (answers on an ordered scale) get the ordered-probit model that the world
itself uses for surveys (``perfsim.world.model.survey_draw``)::

    P(answer ≤ l) = Φ((c_l − μ_u − b_g − δ_i) / σ_g)

with the scenario's cutpoints ``c`` held fixed (they anchor the latent 0–100 scale, as in the
world), unit latent means ``μ_u``, group leniency ``b_g`` (rating-share-weighted mean zero), item
offsets ``δ_i`` (mean zero) and group respondent noise ``σ_g``. Maximum likelihood on the counts of
each (unit, group, item, answer) cell with analytic gradients (L-BFGS-B); standard errors from the
cluster-robust sandwich ``H⁻¹ (Σ_r s_r s_rᵀ) H⁻¹`` with the respondent as the cluster (White 1982;
a respondent's answers on one unit share a general impression, so they are not independent), ``H``
the Hessian of the negative log likelihood by finite differences of the gradient.

**Panel components** (numeric scores) get the additive model of :mod:`perfsim.empirical.effects`.

**The world's parameters.** A world rater perceives ``q_u = offset + scale · visibility · seen_u``;
its survey respondents answer with noise ``noise``. From the fit:

* ``noise`` (survey): the respondent sd of the pooled survey, the mixture of the groups,
  ``√Σ_g π_g (σ_g² + b_g²)`` (π_g the group's share of ratings); (panel) the sd of the panel's
  mean score, ``σ / √k̄`` with ``k̄`` raters per unit;
* ``respondents`` (survey): mean respondents per unit;
* ``offset`` and ``scale``: chosen so that the base scenario's simulated perceived quality has the
  level ``mean μ_u`` and the between-unit spread ``√(var μ̂_u − mean se²(μ̂_u))`` of the data
  (the base world is simulated with ``reps`` replications under its own policy; the world's
  responses to a new scale are not iterated, a first-order calibration).

Visibility is not identified from ratings alone: a class's lower scores may be lower visibility or
lower true output. perfsim reports each class's mean and spread of ``μ_u`` and leaves
``world.classes.*.visibility`` as the base scenario has it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.linalg import null_space
from scipy.optimize import minimize
from scipy.special import ndtr

from .. import engine
from ..i18n import N_, template_fields
from ..scenario import DataError, Scenario
from ..scenario.world import Rater
from ..world.model import perceived_quality
from .data import Ratings
from .effects import fit_component
from .notes import note


def _pdf(z: NDArray) -> NDArray:
    with np.errstate(invalid="ignore"):
        out = np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)
    return np.where(np.isfinite(z), out, 0.0)


@dataclass
class ProbitFit:
    """Ordered-probit fit of one survey component."""

    component: str
    units: pd.Index
    groups: pd.Index
    items: pd.Index
    cutpoints: NDArray[np.float64]
    share: NDArray[np.float64]  # π_g, share of ratings
    theta: NDArray[np.float64]  # full parameters: μ (unit), b (group), δ (item), log σ (group)
    cov: NDArray[np.float64]  # cluster-robust covariance of theta
    loglik: float
    converged: bool
    respondents_per_unit: float

    def _slices(self) -> tuple[slice, slice, slice, slice]:
        u, g, i = len(self.units), len(self.groups), len(self.items)
        return (
            slice(0, u),
            slice(u, u + g),
            slice(u + g, u + g + i),
            slice(u + g + i, u + 2 * g + i),
        )

    def se(self) -> NDArray[np.float64]:
        return np.sqrt(np.maximum(np.diag(self.cov), 0.0))

    def groups_table(self) -> pd.DataFrame:
        _, sb, _, ss = self._slices()
        se = self.se()
        sigma = np.exp(self.theta[ss])
        return pd.DataFrame(
            {
                "rater_group": self.groups,
                "share": self.share,
                "leniency": self.theta[sb],
                "leniency_se": se[sb],
                "noise": sigma,
                "noise_se": sigma * se[ss],
            }
        )

    def items_table(self) -> pd.DataFrame:
        _, _, si, _ = self._slices()
        return pd.DataFrame(
            {"item": self.items, "offset": self.theta[si], "offset_se": self.se()[si]}
        )

    def unit_means(self) -> pd.DataFrame:
        su = self._slices()[0]
        return pd.DataFrame(
            {"unit": self.units, "latent": self.theta[su], "latent_se": self.se()[su]}
        )

    def derived(self, fn: Callable[[NDArray], float]) -> tuple[float, float]:
        """A function of the parameters and its delta-method standard error."""
        value = fn(self.theta)
        grad = np.zeros_like(self.theta)
        for k in range(self.theta.size):
            step = 1e-5 * max(1.0, abs(self.theta[k]))
            t = self.theta.copy()
            t[k] += step
            grad[k] = (fn(t) - value) / step
        return float(value), float(np.sqrt(max(grad @ self.cov @ grad, 0.0)))

    def mixture_noise(self) -> tuple[float, float]:
        _, sb, _, ss = self._slices()
        return self.derived(lambda t: float(np.sqrt(self.share @ (np.exp(2 * t[ss]) + t[sb] ** 2))))


class LevelsError(DataError):
    """The answers have more levels than the scenario's survey: its raters cannot be calibrated to
    them (the rest of an analysis does not need the survey)."""


@dataclass
class _ProbitData:
    """One component's categorical ratings, coded for the ordered-probit fit."""

    f: pd.DataFrame  # the answered ratings
    u: NDArray[np.intp]  # unit code of each rating
    g: NDArray[np.intp]  # group code
    i: NDArray[np.intp]  # item code
    r: NDArray[np.intp]  # respondent code
    lev: NDArray[np.int64]  # answer level
    units: pd.Index
    groups: pd.Index
    items: pd.Index
    counts: NDArray[np.int64]  # (unit, group, item, level) cell counts
    share: NDArray[np.float64]  # π_g, share of ratings
    edges: NDArray[np.float64]  # −∞, cutpoints, +∞

    @property
    def sizes(self) -> tuple[int, int, int]:
        """Number of units, groups and items."""
        return len(self.units), len(self.groups), len(self.items)


def _probit_data(frame: pd.DataFrame, cuts: NDArray[np.float64], component: str) -> _ProbitData:
    """Code the answered ratings and count them per (unit, group, item, level) cell."""
    n_levels = cuts.size + 1
    f = frame[frame["level"] >= 0]
    if int(f["level"].max()) >= n_levels:
        raise LevelsError(
            note(
                "levels",
                component=component,
                levels=int(f["level"].max()) + 1,
                survey=n_levels,
            )
        )
    u, units = pd.factorize(f["unit"])
    g, groups = pd.factorize(f["rater_group"])
    i, items = pd.factorize(f["item"])
    r, _ = pd.factorize(f["rater"])
    lev = f["level"].to_numpy()
    nu, ng, ni = len(units), len(groups), len(items)
    cell = ((u * ng + g) * ni + i) * n_levels + lev
    counts = np.bincount(cell, minlength=nu * ng * ni * n_levels).reshape(nu, ng, ni, n_levels)
    share = counts.sum(axis=(0, 2, 3)) / counts.sum()
    edges = np.concatenate([[-np.inf], cuts, [np.inf]])
    return _ProbitData(f, u, g, i, r, lev, units, groups, items, counts, share, edges)


def _free_basis(d: _ProbitData) -> NDArray[np.float64]:
    """The map from free to full parameters: b = Nb θb (π·b = 0), δ = Nd θd (Σ δ = 0)."""
    nu, ng, ni = d.sizes
    nb = null_space(d.share[None, :])
    nd = null_space(np.ones((1, ni)))
    n_full = nu + 2 * ng + ni
    a = np.zeros((n_full, nu + nb.shape[1] + nd.shape[1] + ng))
    a[:nu, :nu] = np.eye(nu)
    a[nu : nu + ng, nu : nu + nb.shape[1]] = nb
    c0 = nu + nb.shape[1]
    a[nu + ng : nu + ng + ni, c0 : c0 + nd.shape[1]] = nd
    a[nu + ng + ni :, c0 + nd.shape[1] :] = np.eye(ng)
    return a


def _cell_terms(full: NDArray, d: _ProbitData) -> tuple[NDArray, NDArray, NDArray]:
    """Each cell's probability and the derivatives of its log in η and in log σ."""
    nu, ng, ni = d.sizes
    mu, b, dl, s = full[:nu], full[nu : nu + ng], full[nu + ng : nu + ng + ni], full[nu + ng + ni :]
    eta = mu[:, None, None] + b[None, :, None] + dl[None, None, :]
    sigma = np.exp(s)[None, :, None, None]
    z = (d.edges[None, None, None, :] - eta[..., None]) / sigma  # (u, g, i, L + 1)
    cdf, pdf = ndtr(z), _pdf(z)
    p = np.maximum(cdf[..., 1:] - cdf[..., :-1], 1e-300)
    with np.errstate(invalid="ignore"):
        zp = np.where(np.isfinite(z), z * pdf, 0.0)
    d_eta = -(pdf[..., 1:] - pdf[..., :-1]) / sigma / p
    d_s = -(zp[..., 1:] - zp[..., :-1]) / p
    return p, d_eta, d_s


def _nll_grad(free: NDArray, d: _ProbitData, a: NDArray) -> tuple[float, NDArray]:
    """Negative log likelihood and its gradient in the free parameters."""
    full = a @ free
    p, d_eta, d_s = _cell_terms(full, d)
    ge, gs = (d.counts * d_eta).sum(-1), (d.counts * d_s).sum(-1)
    grad = np.concatenate([ge.sum((1, 2)), ge.sum((0, 2)), ge.sum((0, 1)), gs.sum((0, 2))])
    return -(d.counts * np.log(p)).sum(), -(a.T @ grad)


def _probit_start(d: _ProbitData, cuts: NDArray, n_free: int) -> NDArray:
    """Start: unit means of the answered levels' latent midpoints, σ = spacing of the cutpoints."""
    nu, ng, _ = d.sizes
    spacing = float(np.mean(np.diff(cuts))) if cuts.size > 1 else 10.0
    mids = np.concatenate([[cuts[0] - spacing], (cuts[:-1] + cuts[1:]) / 2, [cuts[-1] + spacing]])
    start_mu = np.bincount(d.u, weights=mids[d.lev], minlength=nu) / np.bincount(d.u, minlength=nu)
    return np.concatenate([start_mu, np.zeros(n_free - nu - ng), np.full(ng, np.log(spacing))])


def _hessian(grad: Callable[[NDArray], NDArray], free: NDArray) -> NDArray:
    """Hessian by central differences of the analytic gradient."""
    k = free.size
    hess = np.empty((k, k))
    for j in range(k):
        step = 1e-4 * max(1.0, abs(free[j]))
        up, down = free.copy(), free.copy()
        up[j] += step
        down[j] -= step
        hess[:, j] = (grad(up) - grad(down)) / (2 * step)
    return (hess + hess.T) / 2


def _cluster_meat(d: _ProbitData, a: NDArray, full: NDArray) -> NDArray:
    """Σ_r s_r s_rᵀ over respondents r of the per-respondent scores (free parameters)."""
    nu, ng, ni = d.sizes
    _, d_eta, d_s = _cell_terms(full, d)
    u, g, i, r, lev = d.u, d.g, d.i, d.r, d.lev
    obs_eta = d_eta[u, g, i, lev]
    obs_s = d_s[u, g, i, lev]
    nr = int(r.max()) + 1
    scores = np.zeros((nr, a.shape[0]))
    np.add.at(scores, (r, u), obs_eta)
    np.add.at(scores, (r, nu + g), obs_eta)
    np.add.at(scores, (r, nu + ng + i), obs_eta)
    np.add.at(scores, (r, nu + ng + ni + g), obs_s)
    free_scores = scores @ a
    return free_scores.T @ free_scores


def _sandwich(hess: NDArray, meat: NDArray) -> NDArray:
    """The cluster-robust covariance ``H⁻¹ M H⁻¹`` (pseudo-inverse if H is singular)."""
    try:
        inv = np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        inv = np.linalg.pinv(hess)
    return inv @ meat @ inv


def fit_ordered_probit(
    frame: pd.DataFrame, cutpoints: NDArray[np.float64], component: str = ""
) -> ProbitFit:
    """Fit the ordered-probit model (module docstring) to one component's categorical ratings."""
    cuts = np.asarray(cutpoints, dtype=float)
    d = _probit_data(frame, cuts, component)
    a = _free_basis(d)
    start = _probit_start(d, cuts, a.shape[1])
    res = minimize(
        _nll_grad,
        start,
        args=(d, a),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": 5000, "gtol": 1e-8},
    )
    free = res.x
    hess = _hessian(lambda x: _nll_grad(x, d, a)[1], free)
    full = a @ free
    cov_free = _sandwich(hess, _cluster_meat(d, a, full))
    per_unit = d.f.groupby("unit")["rater"].nunique().mean()
    return ProbitFit(
        component=component,
        units=pd.Index(d.units),
        groups=pd.Index(d.groups),
        items=pd.Index(d.items),
        cutpoints=cuts,
        share=d.share,
        theta=full,
        cov=a @ cov_free @ a.T,
        loglik=float(-res.fun),
        converged=bool(res.success),
        respondents_per_unit=float(per_unit),
    )


@dataclass
class Calibration:
    """Estimated world parameters per calibrated component, with standard errors."""

    parameters: pd.DataFrame  # component, rater, key, value, se, base, how
    groups: pd.DataFrame  # component, rater_group, leniency, leniency_se, noise, noise_se
    items: pd.DataFrame  # component, item, offset, offset_se
    classes: pd.DataFrame  # component, unit_class, units, latent_mean, latent_sd
    fits: dict[str, ProbitFit]

    def fragment(self, source: str = "", scenario: str = "") -> str:
        """A scenario fragment (TOML) with the estimates; apply with ``--set @FILE``."""
        lines = [
            "# perfsim calibration fragment: world rater parameters estimated from "
            f"{source or 'a ratings table'}",
            f"# Use: perfsim run {scenario or 'SCENARIO.toml'} --set @THIS_FILE.toml",
            "# Each key: ESTIMATE ± standard error (how it was estimated); base = the scenario's value.",
        ]
        for (_, rater), rows in self.parameters.groupby(["component", "rater"], sort=False):
            lines += ["", f'[world.raters."{rater}"]']
            for row in rows.itertuples():
                se = f" ± {row.se:.3g}" if np.isfinite(row.se) else ""
                lines.append(f"# ESTIMATE {row.value:.4g}{se} (base {row.base:.4g}): {row.how}")
                value = int(round(row.value)) if row.key == "respondents" else round(row.value, 4)
                lines.append(f"{row.key} = {value}")
        return "\n".join(lines) + "\n"


def _base_quality(scenario: Scenario, rater: str, reps: int, seed: int) -> tuple[float, float]:
    """Mean and mean between-unit sd of the base world's perceived quality for ``rater``."""
    model = engine.build(scenario)
    w = model.world
    k = w.raters.index(rater)
    res = engine.run_block(model, seed, 0, reps, keep_state=True)
    q = perceived_quality(w, res.state["output"])[..., k] + w.leniency[k]
    return float(q.mean()), float(q.std(axis=1, ddof=1).mean())


_PARAMETER_COLUMNS = ["component", "rater", "key", "value", "se", "base", "how"]

#: how a calibrated value was found, with its numbers (``calibration.csv``'s column ``how``, in
#: English); a report says it in its own language (:func:`how_fields`)
HOW = {
    "panel_noise": N_("additive model: rating sd {sd} / √{k} raters per unit"),
    "offset": N_("level of the unit means {level} (base world {base})"),
    "scale": N_("between-unit sd {sd} (base world {base}; se from {n} units)"),
}


def how_fields(text: str) -> tuple[str, dict[str, str]] | None:
    """The template of :data:`HOW` that ``text`` was written from, and its fields; None for any
    other text (:func:`perfsim.i18n.template_fields`)."""
    return template_fields(text, HOW.values())


@dataclass
class _ComponentFit:
    """One component's fitted unit means and its rows of the calibration tables."""

    means: pd.DataFrame  # unit, latent, ...
    mu: NDArray[np.float64]  # the unit means
    mu_se: NDArray[np.float64]  # their standard errors
    common: float  # se of a shift common to every unit (the panel raters' mean leniency)
    params: list[tuple]  # rows of Calibration.parameters
    groups: pd.DataFrame
    items: pd.DataFrame | None = None
    fit: ProbitFit | None = None


def _rater_components(
    ratings: Ratings, scenario: Scenario, components: Mapping[str, str] | None
) -> Mapping[str, str]:
    """The world raters to calibrate, each with its component of the ratings."""
    if scenario.world is None:
        raise DataError(
            "calibration needs a scenario with a [world] (e.g. scenarios/hangzhou-2011.toml)"
        )
    world = scenario.world
    if components is None:
        components = {r: r for r in world.raters if r in ratings.components}
    if not components:
        raise DataError(
            f"no world rater of the scenario ({', '.join(world.raters)}) matches a component of the "
            f"ratings ({', '.join(ratings.components)}); name the component column after the rater"
        )
    return components


def _survey_fit(
    frame: pd.DataFrame, spec: Rater, comp: str, rater: str, source: str
) -> _ComponentFit:
    """Ordered probit on a survey component: unit means, pooled noise, respondents per unit."""
    try:
        fit = fit_ordered_probit(frame, np.asarray(spec.cutpoints), comp)
    except LevelsError:
        raise  # (a note of the analysis, not a refusal: perfsim.empirical.analysis)
    except DataError as exc:
        raise DataError(f"{source}: {exc}") from None
    means = fit.unit_means()
    noise, noise_se = fit.mixture_noise()
    how = "ordered probit, mixture of the groups' respondent sd and leniency"
    params = [
        (comp, rater, "noise", noise, noise_se, spec.noise, how),
        (
            comp,
            rater,
            "respondents",
            fit.respondents_per_unit,
            np.nan,
            spec.respondents,
            "mean respondents per unit",
        ),
    ]
    return _ComponentFit(
        means=means,
        mu=means["latent"].to_numpy(),
        mu_se=means["latent_se"].to_numpy(),
        common=0.0,
        params=params,
        groups=fit.groups_table().assign(component=comp),
        items=fit.items_table().assign(component=comp),
        fit=fit,
    )


def _panel_fit(frame: pd.DataFrame, spec: Rater, comp: str, rater: str) -> _ComponentFit:
    """Additive model on a panel component: unit means and the noise of the panel's mean score."""
    fitted = fit_component(frame)
    means = fitted["units"].rename(columns={"effect": "latent"})
    mu = means["latent"].to_numpy()
    g = fitted["groups"]
    sigma = float(np.sqrt((g["noise"] ** 2 * g["ratings"]).sum() / g["ratings"].sum()))
    k_bar = frame.groupby("unit")["rater"].nunique().mean()
    mu_se = np.full(mu.size, sigma / np.sqrt(k_bar))
    # the panel's raters are a sample too: their mean leniency shifts every unit
    tau = float(
        np.sqrt(np.nan_to_num((g["rater_sd"] ** 2 * g["raters"]).sum() / g["raters"].sum()))
    )
    common = tau / np.sqrt(k_bar)
    df = max(int(g["ratings"].sum()) - len(mu) - int(g["raters"].sum()), 1)
    noise = sigma / np.sqrt(k_bar)
    how = HOW["panel_noise"].format(sd=f"{sigma:.3g}", k=f"{k_bar:.3g}")
    return _ComponentFit(
        means=means,
        mu=mu,
        mu_se=mu_se,
        common=common,
        params=[(comp, rater, "noise", noise, noise / np.sqrt(2 * df), spec.noise, how)],
        groups=g.assign(component=comp, noise_se=g["noise"] / np.sqrt(2 * df))[
            ["component", "rater_group", "leniency", "leniency_se", "noise", "noise_se"]
        ],
    )


def _offset_and_scale(
    c: _ComponentFit, spec: Rater, comp: str, rater: str, base_mean: float, base_sd: float
) -> list[tuple]:
    """The rater's offset and scale that give the base world the data's level and spread."""
    mu, mu_se = c.mu, c.mu_se
    n = mu.size
    level = float(mu.mean())
    level_se = float(np.hypot(np.sqrt(np.sum(mu_se**2)) / n, c.common))
    spread = float(np.sqrt(max(mu.var(ddof=1) - np.mean(mu_se**2), 0.0)))
    spread_se = spread / np.sqrt(2 * (n - 1))
    scale = spec.scale * spread / base_sd if base_sd > 0 else spec.scale
    scale_se = spec.scale * spread_se / base_sd if base_sd > 0 else np.nan
    seen = (base_mean - spec.offset - spec.leniency) / spec.scale  # mean visibility · seen
    offset = level - spec.leniency - scale * seen
    offset_se = float(np.hypot(level_se, scale_se * abs(seen)))
    return [
        (
            comp,
            rater,
            "offset",
            offset,
            offset_se,
            spec.offset,
            HOW["offset"].format(level=f"{level:.4g}", base=f"{base_mean:.4g}"),
        ),
        (
            comp,
            rater,
            "scale",
            scale,
            scale_se,
            spec.scale,
            HOW["scale"].format(sd=f"{spread:.3g}", base=f"{base_sd:.3g}", n=n),
        ),
    ]


def _class_table(c: _ComponentFit, cls: pd.Series, comp: str) -> pd.DataFrame:
    """Each unit class's number of units, mean and sd of the unit means."""
    by_class = pd.DataFrame({"unit_class": cls.reindex(c.means["unit"]).to_numpy(), "mu": c.mu})
    return (
        by_class.groupby("unit_class", sort=False)["mu"]
        .agg(units="size", latent_mean="mean", latent_sd="std")
        .reset_index()
        .assign(component=comp)
    )


def _frame_of(tables: list[pd.DataFrame], first: str = "component") -> pd.DataFrame:
    """The tables stacked, with the ``first`` column first (empty if there are none)."""
    if not tables:
        return pd.DataFrame()
    t = pd.concat(tables, ignore_index=True)
    return t[[first, *[c for c in t.columns if c != first]]]


def calibrate(
    ratings: Ratings,
    scenario: Scenario,
    components: Mapping[str, str] | None = None,
    *,
    reps: int = 20,
    seed: int = 0,
) -> Calibration:
    """Estimate the rater parameters of ``scenario``'s world raters from ``ratings``.

    ``components`` maps each world rater to calibrate to the ratings' component (default: every
    world rater whose name is a component of the ratings).
    """
    components = _rater_components(ratings, scenario, components)
    params, groups, items, classes, fits = [], [], [], [], {}
    cls = ratings.unit_classes()
    for rater, comp in components.items():
        spec = scenario.world.raters[rater]
        frame = ratings.frame[ratings.frame["component"] == comp]
        categorical = bool((frame["level"] >= 0).all())
        base_mean, base_sd = _base_quality(scenario, rater, reps, seed)
        if spec.kind == "survey" and categorical:
            c = _survey_fit(frame, spec, comp, rater, ratings.source)
            fits[comp] = c.fit
            items.append(c.items)
        else:
            c = _panel_fit(frame, spec, comp, rater)
        groups.append(c.groups)
        params += c.params
        params += _offset_and_scale(c, spec, comp, rater, base_mean, base_sd)
        classes.append(_class_table(c, cls, comp))
    return Calibration(
        parameters=pd.DataFrame(params, columns=_PARAMETER_COLUMNS),
        groups=_frame_of(groups),
        items=_frame_of(items),
        classes=_frame_of(classes),
        fits=fits,
    )


def write_fragment(calibration: Calibration, path: str | Path, **kwargs) -> Path:
    from ..io import atomic_write

    text = calibration.fragment(**kwargs)
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))
