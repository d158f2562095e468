"""Rank uncertainty: bootstrap over raters, stratified as the survey was.

Each bootstrap replicate redraws, within every stratum, as many raters as the stratum has, with
replacement (Efron & Tibshirani 1993, ch. 6; the stratified bootstrap of Davison & Hinkley 1997,
§3.7). A rater is drawn with all of his or her ratings, so halo and rater leniency travel with the
rater. Strata are the rater groups; when every rater of a group rated a single unit (respondents
sampled unit by unit) the strata are group × unit, so each unit keeps its number of respondents.
The replicate's component points are recomputed (:func:`perfsim.empirical.scores.pooled_points`)
and scored by the rule, and from ``B`` replicates come:

* each unit's **rank interval**: the ``(1 − level)/2`` and ``(1 + level)/2`` quantiles of its
  bootstrap ranks (percentile method; inverted-CDF quantiles, so the ends are ranks that occurred);
* the **probability of each grade band**: the share of replicates giving the unit that band;
* the **probability that A outranks B**: the share of replicates in which A's total exceeds B's
  (ties count one half).

Other data (indicators, bonus points) are held fixed: the interval is about who happened to rate.
The whole bootstrap is vectorised: rater counts ``W (B, rater)`` times the per-rater sums.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ..scenario import DataError
from ..scenario.errors import error
from .data import Ratings
from .scores import RaterSums, RuleScorer, pooled_points, rater_sums

#: Bootstrap replicates evaluated at once (bounds memory: chunk × raters counts).
CHUNK = 250


@dataclass
class RankUncertainty:
    """Bootstrap results; ``table`` has one row per unit in the order of the scorer's units."""

    table: pd.DataFrame  # unit, unit_class, total, rank, rank_low, rank_median, rank_high, p:<band>
    outranks: pd.DataFrame  # unit × unit: P(row unit's total > column unit's total)
    reps: int
    level: float
    strata: str
    seed: int
    filled: int  # unit-replicates with no rater drawn, given the observed points


def strata_of(ratings: Ratings, sums: RaterSums, strata: str) -> tuple[NDArray[np.intp], str]:
    """Stratum code of each rater of ``sums`` and the strata used (``group`` or ``group×unit``)."""
    per_rater = sums.rated.sum(axis=1)
    if strata == "auto":
        strata = "group×unit" if np.all(per_rater == 1) else "group"
    if strata == "group":
        return sums.groups.copy(), strata
    if strata in ("group×unit", "group_unit"):
        if not np.all(per_rater == 1):
            raise DataError(error("strata_unit", source=ratings.source))
        unit = sums.rated.argmax(axis=1)
        return sums.groups * sums.rated.shape[1] + unit, "group×unit"
    raise ValueError(f"strata must be auto, group or group×unit, got {strata!r}")


def bootstrap_counts(
    strata: NDArray[np.intp], reps: int, rng: np.random.Generator
) -> NDArray[np.float64]:
    """Counts ``(reps, rater)``: each stratum redraws its own size with replacement."""
    order = np.argsort(strata, kind="stable")
    sorted_strata = strata[order]
    starts = np.searchsorted(sorted_strata, sorted_strata, side="left")
    sizes = np.searchsorted(sorted_strata, sorted_strata, side="right") - starts
    n = strata.size
    picks = starts + np.floor(rng.random((reps, n)) * sizes).astype(np.intp)
    flat = (np.arange(reps)[:, None] * n + order[picks]).ravel()
    return np.bincount(flat, minlength=reps * n).reshape(reps, n).astype(float)


def bootstrap_ranks(
    ratings: Ratings,
    scorer: RuleScorer,
    components: Mapping[str, str],
    *,
    reps: int = 1000,
    level: float = 0.95,
    seed: int = 0,
    strata: str = "auto",
    group_weights: Mapping[str, float] | None = None,
    progress: Callable[[int], None] | None = None,
) -> RankUncertainty:
    """Bootstrap the rule's ranking over raters.

    ``components`` maps each rule component filled from ratings (``scorer.rated_components``) to
    the ratings' ``component`` value. Same ``seed`` ⇒ same result.
    """
    if reps < 2:
        raise ValueError(f"reps = {reps}: the bootstrap needs at least 2 replicates")
    if not 0 < level < 1:
        raise ValueError(f"level = {level}: must lie strictly between 0 and 1")
    units = scorer.unit_ids
    n = len(units)
    sums = [rater_sums(ratings, components[k], units) for k in scorer.rated_components]
    codes, used = [], "group"
    offset = 0
    for s in sums:
        code, used = strata_of(ratings, s, strata)
        codes.append(code + offset)
        offset = int(code.max()) + offset + 1 if code.size else offset
    all_strata = np.concatenate(codes)
    bounds = np.cumsum([0] + [s.points.shape[0] for s in sums])
    observed = np.stack([pooled_points(s, None, group_weights) for s in sums], axis=-1)
    base = scorer.evaluate(observed)
    bands = scorer.rule.bands
    ranks = np.empty((reps, n), dtype=np.int64)
    grade_counts = np.zeros((n, len(bands)))
    outranks = np.zeros((n, n))
    filled = 0
    rng = np.random.default_rng(seed)
    for start in range(0, reps, CHUNK):
        b = min(CHUNK, reps - start)
        w = bootstrap_counts(all_strata, b, rng)
        pts = np.stack(
            [
                pooled_points(s, w[:, bounds[k] : bounds[k + 1]], group_weights)
                for k, s in enumerate(sums)
            ],
            axis=-1,
        )
        missing = ~np.isfinite(pts)
        filled += int(missing.any(-1).sum())
        pts = np.where(missing, observed, pts)
        ev = scorer.evaluate(pts)
        ranks[start : start + b] = ev.rank
        grade_counts += (ev.grade[..., None] == np.arange(len(bands))).sum(0)
        t = ev.total
        outranks += (t[:, :, None] > t[:, None, :]).sum(0) + 0.5 * (
            t[:, :, None] == t[:, None, :]
        ).sum(0)
        if progress:
            progress(b)
    alpha = 1 - level
    low = np.quantile(ranks, alpha / 2, axis=0, method="inverted_cdf")
    high = np.quantile(ranks, 1 - alpha / 2, axis=0, method="inverted_cdf")
    table = pd.DataFrame({"unit": units})
    if scorer.class_names is not None:
        table["unit_class"] = scorer.class_names
    table["total"] = base.total
    table["rank"] = base.rank
    table["grade"] = np.array(bands, dtype=object)[base.grade]
    if "veto" in scorer.arrays:  # why a unit of a good score has the veto grade
        table["vetoed"] = np.asarray(scorer.arrays["veto"], dtype=bool)
    table["rank_low"] = low.astype(int)
    table["rank_median"] = np.median(ranks, axis=0)
    table["rank_high"] = high.astype(int)
    for g, band in enumerate(bands):
        table[f"p:{band}"] = grade_counts[:, g] / reps
    share = outranks / reps
    np.fill_diagonal(share, np.nan)
    pair = pd.DataFrame(share, index=units, columns=units)
    return RankUncertainty(table, pair, reps, level, used, seed, filled)
