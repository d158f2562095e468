"""The method registry: one :class:`Method` record per SALib method, holding its sampler, its
analyser, the indices it reports, its default sample size and its sample-size rules and notes.

Every switch over the method name goes through :data:`REGISTRY` (:func:`method`); adding a method
is adding a record. SALib is imported only when a sample is drawn or analysed.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ...i18n import N_
from ..executors import single_blas_thread
from .delta import delta_indices
from .errors import SensitivityError
from .notes import note

MORRIS_LEVELS = 4
FAST_M = 4
RESAMPLES = 100
CONFIDENCE = 0.95

#: One row of an analysis: (input or group, index, value, half-width of the 95 % interval).
Row = tuple[str, str, float, float]


def labels(problem: Mapping) -> list[str]:
    """Names of what gets an index: the groups (in order of appearance) or the inputs."""
    groups = problem.get("groups")
    return list(dict.fromkeys(groups)) if groups else list(problem["names"])


def ungrouped(problem: Mapping) -> dict:
    """The problem without its groups (for methods that give one index per input)."""
    return {k: v for k, v in problem.items() if k != "groups"}


def _as_given(n: int) -> tuple[int, list[str]]:
    return n, []


def _power_of_two(n: int) -> tuple[int, list[str]]:
    used = 1 << max(0, math.ceil(math.log2(n)))
    if used == n:
        return n, []
    return used, [note("sobol_n", n=n, used=used)]


def _fast_minimum(n: int) -> tuple[int, list[str]]:
    used = max(n, 4 * FAST_M**2 + 1)
    if used == n:
        return n, []
    return used, [note("fast_n", least=4 * FAST_M**2, n=n, used=used)]


# ----------------------------------------------------------------------------------------------
# Samplers: (problem, n used, seed, second order) → rows on the problem's bounds


def _sample_sobol(problem: Mapping, n: int, seed: int, second_order: bool) -> NDArray:
    from SALib.sample import sobol

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sobol.sample(dict(problem), n, calc_second_order=second_order, seed=seed)


def _sample_morris(problem: Mapping, n: int, seed: int, second_order: bool) -> NDArray:
    from SALib.sample import morris

    return morris.sample(dict(problem), n, num_levels=MORRIS_LEVELS, seed=seed)


def _sample_fast(problem: Mapping, n: int, seed: int, second_order: bool) -> NDArray:
    from SALib.sample import fast_sampler

    return fast_sampler.sample(ungrouped(problem), n, M=FAST_M, seed=seed)


def _sample_latin(problem: Mapping, n: int, seed: int, second_order: bool) -> NDArray:
    from SALib.sample import latin

    return latin.sample(ungrouped(problem), n, seed=seed)


# ----------------------------------------------------------------------------------------------
# Analysers: (problem, x, y, second order, SALib seed, resamples) → rows


def _analyse_sobol(problem, x, y, second_order, seed, resamples) -> list[Row]:
    from SALib.analyze import sobol

    si = sobol.analyze(
        dict(problem),
        y,
        calc_second_order=second_order,
        num_resamples=resamples,
        conf_level=CONFIDENCE,
        seed=seed,
    )
    names = labels(problem)
    rows: list[Row] = []
    for key in ("S1", "ST"):
        rows += [(n, key, si[key][i], si[f"{key}_conf"][i]) for i, n in enumerate(names)]
    if second_order:
        for i, a in enumerate(names):
            for j in range(i + 1, len(names)):
                rows.append((f"{a} × {names[j]}", "S2", si["S2"][i, j], si["S2_conf"][i, j]))
    return rows


def _analyse_morris(problem, x, y, second_order, seed, resamples) -> list[Row]:
    from SALib.analyze import morris

    si = morris.analyze(
        dict(problem),
        x,
        y,
        num_resamples=resamples,
        conf_level=CONFIDENCE,
        num_levels=MORRIS_LEVELS,
        seed=seed,
    )
    rows: list[Row] = []
    for i, n in enumerate(si["names"]):
        rows.append((n, "mu_star", si["mu_star"][i], si["mu_star_conf"][i]))
        rows.append((n, "mu", si["mu"][i], np.nan))
        rows.append((n, "sigma", si["sigma"][i], np.nan))
    return rows


def _analyse_fast(problem, x, y, second_order, seed, resamples) -> list[Row]:
    from SALib.analyze import fast

    si = fast.analyze(
        ungrouped(problem), y, M=FAST_M, num_resamples=resamples, conf_level=CONFIDENCE, seed=seed
    )
    rows: list[Row] = []
    for key in ("S1", "ST"):
        rows += [(n, key, si[key][i], si[f"{key}_conf"][i]) for i, n in enumerate(problem["names"])]
    return rows


def _analyse_delta(problem, x, y, second_order, seed, resamples) -> list[Row]:
    # SALib's estimator and draws with a vectorised bootstrap (module .delta): SALib's own loop
    # also computes two δ variants that perfsim does not report, and took 98 % of a δ run
    si = delta_indices(problem, x, y, resamples, CONFIDENCE, seed)
    rows: list[Row] = []
    for i, n in enumerate(problem["names"]):
        rows.append((n, "delta", si["delta_raw"][i], si["delta_raw_conf"][i]))
        rows.append((n, "S1", si["S1"][i], si["S1_conf"][i]))
    return rows


# ----------------------------------------------------------------------------------------------
# Nested prefixes: rows per unit of n, so that the first n/4 and n/2 are valid samples


def _sobol_rows(problem: Mapping, second_order: bool) -> int:
    d = len(labels(problem))
    return 2 * d + 2 if second_order else d + 2


def _morris_rows(problem: Mapping, second_order: bool) -> int:
    return len(labels(problem)) + 1


def _one_row(problem: Mapping, second_order: bool) -> int:
    return 1


@dataclass(frozen=True)
class Method:
    """Everything perfsim knows about one method (module doc of the package for the maths)."""

    name: str
    summary: str  # what it reports, for help texts
    n_help: str  # what n means and how many runs it gives
    default_n: int
    unit: str  # the symbol of n: N or r (Morris trajectories)
    indices: tuple[str, ...]  # every index it reports
    main_index: str  # the index that ranks inputs (tables, heatmap, convergence, CLI)
    main_label: str  # the main index in words
    checked: tuple[str, ...]  # the indices whose intervals the reliability notes check
    sampler: Callable[[Mapping, int, int, bool], NDArray]
    analyser: Callable[..., list[Row]]
    size_rule: Callable[[int], tuple[int, list[str]]] = _as_given  # n → (n used, notes)
    notes: tuple[str, ...] = ()  # always said when the method is used
    uses_groups: bool = False  # one index per SALib group (else per input, with a note)
    second_order: bool = False  # can give S2
    relative: bool = False  # the main index is in the metric's unit: compare it to the largest
    bars: tuple[str, str] | None = None  # the index pair of the bars figure (None: μ*–σ plane)
    # rows per unit of n of a nested prefix, and the smallest n of a valid prefix; None: the
    # sample cannot be cut (no convergence check)
    prefix_rows: Callable[[Mapping, bool], int] | None = None
    min_prefix: int = 2
    uncut_reason: str = ""

    def size(self, n: int) -> tuple[int, list[str]]:
        """The sample size actually used for a requested n, and the notes that say why."""
        return self.size_rule(n)

    def sample(
        self, problem: Mapping, n: int, seed: int, second_order: bool
    ) -> tuple[NDArray[np.float64], int, list[str]]:
        """SALib sample; returns (rows, the n actually used, notes)."""
        notes: list[str] = []
        if problem.get("groups") and not self.uses_groups:
            notes.append(note("no_groups", method=self.name))
        notes += self.notes
        used, size_notes = self.size(n)
        notes += size_notes
        return self.sampler(problem, used, seed, second_order), used, notes

    def analyse(
        self,
        problem: Mapping,
        x: NDArray[np.float64],
        y: NDArray[np.float64],
        *,
        second_order: bool = False,
        seed: int = 0,
        resamples: int = RESAMPLES,
    ) -> pd.DataFrame:
        """Indices of one output: a tidy frame (input, index, value, confidence), confidence =
        half-width of the 95 % interval (NaN where SALib gives none)."""
        # record=True keeps SALib's warnings out of the output even after delta.analyze resets the
        # filters; one BLAS thread, because SALib's δ solves thousands of 1×1 systems (kernel
        # density estimates) that a multi-threaded BLAS only slows down, badly so on a busy machine.
        with warnings.catch_warnings(record=True), single_blas_thread():
            warnings.simplefilter("ignore")
            # seed + 1: SALib treats seed 0 as "no seed"
            rows = self.analyser(problem, x, y, second_order, seed + 1, resamples)
        frame = pd.DataFrame(rows, columns=["input", "index", "value", "confidence"])
        frame[["value", "confidence"]] = frame[["value", "confidence"]].astype(float)
        return frame

    def prefix(
        self, problem: Mapping, x: NDArray, y: NDArray, n: int, part: int, second_order: bool
    ) -> tuple[NDArray, NDArray, int] | None:
        """The first n/part of a sample that is itself a valid sample (None if there is none)."""
        if self.prefix_rows is None:
            return None
        size = n // part
        rows = size * self.prefix_rows(problem, second_order)
        return (x[:rows], y[:rows], size) if size >= self.min_prefix else None


_LATIN = {
    "n_help": "samples",
    "default_n": 512,
    "unit": "N",
    "indices": ("delta", "S1"),
    "main_index": "delta",
    "main_label": "Borgonovo delta",
    "checked": ("delta", "S1"),
    "sampler": _sample_latin,
    "analyser": _analyse_delta,
    "bars": ("S1", "delta"),
    "prefix_rows": _one_row,
    "min_prefix": 20,
}

#: Every method, by name, in the order of help texts.
REGISTRY: dict[str, Method] = {
    m.name: m
    for m in (
        Method(
            name="sobol",
            summary="S1, ST",
            n_help="base sample N (a power of two; runs N(d+2))",
            default_n=256,
            unit="N",
            indices=("S1", "ST", "S2"),
            main_index="ST",
            main_label="total-order ST",
            checked=("S1", "ST"),
            sampler=_sample_sobol,
            analyser=_analyse_sobol,
            size_rule=_power_of_two,
            uses_groups=True,
            second_order=True,
            bars=("S1", "ST"),
            prefix_rows=_sobol_rows,
        ),
        Method(
            name="morris",
            summary="mu*, sigma",
            n_help="trajectories (runs r(d+1))",
            default_n=20,
            unit="r",
            indices=("mu_star", "mu", "sigma"),
            main_index="mu_star",
            main_label="Morris mu*",
            checked=("mu_star",),
            sampler=_sample_morris,
            analyser=_analyse_morris,
            uses_groups=True,
            relative=True,
            prefix_rows=_morris_rows,
        ),
        Method(
            name="fast",
            summary="S1, ST",
            n_help=f"samples per input (> {4 * FAST_M**2})",
            default_n=256,
            unit="N",
            indices=("S1", "ST"),
            main_index="ST",
            main_label="total-order ST",
            checked=("S1", "ST"),
            sampler=_sample_fast,
            analyser=_analyse_fast,
            size_rule=_fast_minimum,
            notes=(
                "FAST intervals come from a bootstrap of the search curve that SALib marks as "
                "indicative only (SALib issue 649).",
            ),
            bars=("S1", "ST"),
            uncut_reason=N_("FAST samples cannot be cut into smaller valid samples"),
        ),
        Method(name="delta", summary="delta, S1", **_LATIN),
        Method(name="lhs", summary="delta, S1, a space-filling sample", **_LATIN),
    )
}
METHODS = tuple(REGISTRY)
DEFAULT_N = {name: m.default_n for name, m in REGISTRY.items()}
#: The index that ranks inputs for each method (tables, heatmap, convergence, CLI summary).
MAIN_INDEX = {name: m.main_index for name, m in REGISTRY.items()}


def method(name: str) -> Method:
    """The record of a method, or a :class:`SensitivityError` that lists the methods."""
    try:
        return REGISTRY[name]
    except (KeyError, TypeError):
        raise SensitivityError(f"method = {name!r}: allowed: {', '.join(METHODS)}") from None


def draw_sample(
    name: str, problem: Mapping, n: int, seed: int, second_order: bool
) -> tuple[NDArray[np.float64], int, list[str]]:
    """SALib sample for a method; returns (rows, the n actually used, notes)."""
    return method(name).sample(problem, n, seed, second_order)


def analyze(
    name: str,
    problem: Mapping,
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    *,
    second_order: bool = False,
    seed: int = 0,
    resamples: int = RESAMPLES,
) -> pd.DataFrame:
    """Indices of one output with the method's SALib analyser (:meth:`Method.analyse`)."""
    return method(name).analyse(
        problem, x, y, second_order=second_order, seed=seed, resamples=resamples
    )


def methods_help() -> str:
    """What each method reports, for help texts: ``sobol (S1, ST), morris (mu*, sigma), …``."""
    return ", ".join(f"{m.name} ({m.summary})" for m in REGISTRY.values())


def sizes_help() -> str:
    """What n means for each method, with its default, for help texts."""
    return "; ".join(f"{m.name}: {m.n_help}, default {m.default_n}" for m in REGISTRY.values())
