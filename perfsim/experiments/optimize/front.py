"""The final front: re-evaluation with more replications, the rule for noisy dominance, the
reference rule's position and the nearest Pareto rule to it.

**Re-evaluation.** The search's non-dominated candidates and the reference rule are simulated again
with ``final_reps`` replications and a *fresh* seed (the search's seed + 1), all on the same
departments and noise (common random numbers). A fresh seed removes the winner's curse: the search
kept candidates partly because their noise was lucky, and their new numbers do not share that luck.

**Robust value and its error.** For each candidate and objective the per-replication loss
``sense · metric`` is taken in the world that decides the robust value (the worst world, or the
world of largest regret; averaged over worlds for ``mean``), giving one number per replication:
its mean is the robust value, its standard deviation / √n the Monte Carlo standard error (SE).
Because every candidate runs on the same replications, the difference between two candidates is
computed replication by replication, and its SE is that of the paired differences.

**Noisy dominance.** Candidate A dominates B only if, objective by objective, with d = loss(A) −
loss(B) and s its paired SE,

- A is better than B by more than 2 s in at least one objective (d < −2 s), and
- A is not worse than B beyond noise in any objective (d ≤ 2 s).

A tolerance of 10⁻⁹ of the objective's scale stands in for s when the objective has no Monte Carlo
noise (s = 0), so that equal values never dominate. The Pareto set is the re-evaluated candidates
that no other re-evaluated candidate dominates in this sense.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from ...i18n import gettext as _
from ...metric_registry import better
from ..compare import paired_difference, smallest_difference, verdict
from ..executors import Executor
from .evaluate import CandidateModel
from .levers import LeverSpace, Objective
from .robust import best_per_world, deciding_world, robust

Z = 2.0
"""Differences within Z paired standard errors are noise (module doc)."""


@dataclass
class Reevaluation:
    """Per-replication values of every metric: ``values[k][w][metric]`` for candidate k (0: the
    reference) in world w."""

    values: list[list[dict[str, np.ndarray]]]
    reps: int
    seed: int


def reevaluate(
    model: CandidateModel,
    U: np.ndarray,
    final_reps: int,
    runner: Executor,
    progress: Callable[[int, int], None] | None = None,
) -> Reevaluation:
    """Simulate the reference and the rows of U with ``final_reps`` replications, fresh seed, one
    rule per chunk (each rule's numbers do not depend on the chunks); ``progress(done, total)``
    after each rule."""
    import contextlib

    final = replace(model, reps=final_reps, seed=model.seed + 1, keep_reps=True)
    X = np.vstack([np.full((1, U.shape[1]), np.nan), U])
    frames: dict[int, pd.DataFrame] = {}
    if progress:
        progress(0, len(X))
    with contextlib.closing(runner.map(final, [(k, X[k : k + 1]) for k in range(len(X))])) as done:
        for k, frame in done:
            frames[k] = frame
            if progress:
                progress(len(frames), len(X))
    values = []
    for k in range(len(X)):
        frame = frames[k]
        per_world = []
        for w in range(len(model.worlds)):
            part = frame[frame["world"] == w].sort_values("rep")
            per_world.append(
                {
                    c: part[c].to_numpy(float)
                    for c in part.columns
                    if c not in ("row", "world", "rep")
                }
            )
        values.append(per_world)
    return Reevaluation(values, final_reps, final.seed)


@dataclass
class Scores:
    """Robust values (in losses), their SE, and the per-replication vectors behind them."""

    value: np.ndarray  # (candidate, objective)
    se: np.ndarray
    vectors: np.ndarray  # (candidate, objective, rep)
    world_means: np.ndarray  # (candidate, objective, world), losses

    def differences(self, a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
        """Per objective, loss(a) − loss(b) and the noise threshold: Z paired standard errors
        (at least 10⁻⁹ of the objective's scale)."""
        d = self.vectors[a] - self.vectors[b]  # (objective, rep)
        with np.errstate(all="ignore"):
            diff = np.nanmean(d, axis=1)
            n = np.isfinite(d).sum(axis=1)
            s = np.nanstd(d, axis=1, ddof=1) / np.sqrt(np.maximum(n, 1))
        scale = np.nanmax(np.abs(self.value), axis=0)
        return diff, np.maximum(Z * np.nan_to_num(s), 1e-9 * np.maximum(scale, 1e-12))

    def dominates(self, a: int, b: int) -> bool:
        """Noisy dominance of candidate a over b (module doc)."""
        diff, tol = self.differences(a, b)
        if not np.isfinite(diff).all():
            return False
        return bool((diff <= tol).all() and (diff < -tol).any())


def score(rev: Reevaluation, objectives: Sequence[Objective], measure: str) -> Scores:
    """Robust values, SE and per-replication vectors of every re-evaluated candidate."""
    n_k, n_w, reps = len(rev.values), len(rev.values[0]), rev.reps
    L = np.empty((n_k, len(objectives), n_w, reps))
    for k in range(n_k):
        for j, obj in enumerate(objectives):
            for w in range(n_w):
                L[k, j, w] = obj.sense * rev.values[k][w][obj.metric]
    with np.errstate(all="ignore"):
        means = np.nanmean(L, axis=3)
    best = best_per_world(means) if measure == "regret" else None
    value = robust(means, measure, best)
    if measure == "mean":
        vectors = L.mean(axis=2)
    else:
        deciding = deciding_world(means, measure, best)
        vectors = np.take_along_axis(L, deciding[:, :, None, None], axis=2)[:, :, 0, :]
        if best is not None:
            vectors = vectors - np.take_along_axis(best[None], deciding[:, :, None], axis=2)
    with np.errstate(all="ignore"):
        n = np.isfinite(vectors).sum(axis=2)
        se = np.nanstd(vectors, axis=2, ddof=1) / np.sqrt(np.maximum(n, 1))
    return Scores(value, se, vectors, means)


def pareto_set(scores: Scores, candidates: Sequence[int]) -> list[int]:
    """The candidates that no other candidate of the list dominates (noisy dominance)."""
    return [a for a in candidates if not any(scores.dominates(b, a) for b in candidates if b != a)]


def nearest(
    space: LeverSpace, reference: Sequence[Any], U: np.ndarray, among: Sequence[int]
) -> int | None:
    """The row of U (one of ``among``) nearest to the reference's lever values in the lever cube
    (levers where the reference has no position are left out)."""
    if not among:
        return None
    ref = space.position(reference)
    use = np.isfinite(ref)
    positions = np.array([space.position(space.values(U[k])) for k in among])
    with np.errstate(over="ignore"):  # (a reference far outside a tiny range: infinitely far)
        dist = np.sqrt(((positions[:, use] - ref[use]) ** 2).sum(axis=1))
    return list(among)[int(np.argmin(dist))]


def _number(v: Any) -> str:
    return f"{v:.3g}" if isinstance(v, float) else str(v)


def lever_moves(
    space: LeverSpace, reference: Sequence[Any], values: Sequence[Any]
) -> list[dict[str, Any]]:
    """What to change, lever by lever, as records ``{verb, path, old, new}`` (verb ``raise``,
    ``lower`` or ``set``; :func:`move_phrase` says one in the current language): a number that
    moves by 1 % of its range or less is left out."""
    out: list[dict[str, Any]] = []
    for lever, old, new in zip(space.levers, reference, values, strict=True):
        if lever.kind == "choice" or old is None:
            if lever.kind != "choice" or old != new:
                out.append({"verb": "set", "path": lever.path, "old": old, "new": new})
            continue
        if abs(float(new) - float(old)) <= 0.01 * (lever.high - lever.low):
            continue
        verb = "raise" if new > old else "lower"
        out.append({"verb": verb, "path": lever.path, "old": float(old), "new": new})
    return out


def move_phrase(move: dict[str, Any]) -> str:
    """A :func:`lever_moves` record in words: "raise PATH 0.5 → 0.62", "set PATH to rank (was
    zscore)", in the current language."""
    path, old, new = move["path"], _number(move["old"]), _number(move["new"])
    if move["verb"] == "raise":
        return _("raise {path} {old} → {new}").format(path=path, old=old, new=new)
    if move["verb"] == "lower":
        return _("lower {path} {old} → {new}").format(path=path, old=old, new=new)
    if move["old"] is None:
        return _("set {path} to {new}").format(path=path, new=new)
    return _("set {path} to {new} (was {old})").format(path=path, new=new, old=old)


def effect_items(
    objectives: Sequence[Objective],
    ref: np.ndarray,
    new: np.ndarray,
    noise: Sequence[bool] | None = None,
) -> list[dict[str, Any]]:
    """Each objective's change, from the reference's value to the rule's with the percentage of
    the reference's (``0.096 → 0.22 (+129 %)``: a percentage alone alarmed where the reference's
    value was near 0; the change alone where it is 0), and whether ``noise`` says the change is
    within 2 paired standard errors: records ``{metric, change, noise}``."""
    out = []
    noise = noise if noise is not None else [False] * len(objectives)
    for obj, a, b, quiet in zip(objectives, ref, new, noise, strict=True):
        if not (np.isfinite(a) and np.isfinite(b)):
            continue
        if abs(a) > 1e-12:
            pct = 100 * (b - a) / abs(a)  # (what rounds to 0: a decimal, not "−0 %")
            shown = next((t for d in (0, 1) if float(t := f"{pct:+.{d}f}")), "0")
            change = f"{a:.3g} → {b:.3g} ({shown} %)"
        else:
            change = f"{a:.3g} → {b:.3g}"
        change = change.replace("-", "−")  # a minus sign, as the reports write
        out.append({"metric": obj.metric, "change": change, "noise": bool(quiet)})
    return out


def effect_phrase(item: dict[str, Any], name: Callable[[str], str] = str) -> str:
    """An :func:`effect_items` record in words, in the current language (the metric as ``name``
    gives it: a report passes the metric's display name)."""
    metric, change = name(item["metric"]), item["change"]
    if item["noise"]:
        return _("{metric} {change} (within noise)").format(metric=metric, change=change)
    return f"{metric} {change}"


def nearest_sentence(
    moves: list[dict[str, Any]], effects: list[dict[str, Any]], name: Callable[[str], str] = str
) -> str:
    """The nearest rule in one sentence: its lever moves, then their effects (metrics as ``name``
    gives them)."""
    said = _(", ").join(move_phrase(m) for m in moves) or _("no lever changes")
    return _("{lead}: {text}").format(
        lead=said, text=_(", ").join(effect_phrase(e, name) for e in effects)
    )


def nearest_said(near: Mapping[str, Any], name: Callable[[str], str] = str) -> str:
    """The recorded nearest rule (``optimization.json``'s ``nearest``) in the current language:
    from its lever moves and effects (recorded since 2026-12-05), metrics as ``name`` gives them;
    an older folder's sentence as it was written, in English."""
    if "moves" in near and "effect_items" in near:
        return nearest_sentence(near["moves"], near["effect_items"], name)
    return str(near.get("sentence", ""))


def _mean(v: np.ndarray) -> float:
    v = v[np.isfinite(v)]
    return float(v.mean()) if v.size else np.nan


def comparison_rows(rev: Reevaluation, k: int, rule: str, worlds: Sequence[str]) -> list[dict]:
    """Candidate k against the reference (k = 0), metric by metric and world by world: paired
    differences and verdicts as :func:`perfsim.compare` gives them."""
    rows = []
    for w, world in enumerate(worlds):
        ref, new = rev.values[0][w], rev.values[k][w]
        for metric in ref:
            if not better(metric):
                continue
            mean, se, low, high, _ = paired_difference(ref[metric], new[metric])
            delta = smallest_difference(metric, ref[metric], {})
            rows.append(
                {
                    "rule": rule,
                    "world": world,
                    "metric": metric,
                    "direction": better(metric),
                    "reference": _mean(ref[metric]),
                    "value": _mean(new[metric]),
                    "diff": mean,
                    "diff_se": se,
                    "diff_low": low,
                    "diff_high": high,
                    "verdict": verdict(metric, low, high, delta, mean),
                }
            )
    return rows
