"""Global sensitivity analysis: which rule choices and which assumptions drive each metric.

``run_sensitivity(scenario, plan)`` (``perfsim.sensitivity``) reads the scenario's ``[uncertain]``
inputs, builds a SALib problem, draws a sample, evaluates every sample through the engine and
analyses every output metric with SALib (Herman & Usher 2017, Iwanaga et al. 2022), confidence
intervals included. Any Python callable ``f(X: (n, d)) → (n,) or (n, k)`` with a SALib problem
dict can be the model instead of a scenario (that is how SALib's test functions validate the
machinery). A :class:`SensitivityPlan` holds what to compute (method, n, reps, seed, …); its
fields may also be given as keywords.

Methods (what ``n`` means; model runs for d inputs, or d groups):

=========  ==============================================  ===================  ===================
method     sample → analysis                               n                    runs
=========  ==============================================  ===================  ===================
sobol      Saltelli/Sobol' (``SALib.sample.sobol``) →      base sample N,       N(d+2), or N(2d+2)
           ``sobol.analyze``: S1, ST (and S2)              a power of two       with second order
morris     Morris trajectories, 4 levels → μ*, μ, σ        trajectories r       r(d+1)
fast       extended FAST (M = 4) → S1, ST                  per input, > 64      N·d
delta      Latin hypercube → δ (Borgonovo) and S1          sample size          N
lhs        Latin hypercube → δ and S1, as ``delta``; the   sample size          N
           name for a space-filling sample meant for
           rule-space exploration (``bounds``)
=========  ==============================================  ===================  ===================

Sobol' indices (Sobol' 2001; Saltelli et al. 2010): ``S1_i = V[E(Y|X_i)] / V(Y)`` is the share of
the variance of a metric explained by input i alone, ``ST_i = E[V(Y|X_~i)] / V(Y)`` the share that
disappears when only i is fixed (alone and in interactions); ``ST − S1`` measures interactions.
Morris (1991; Campolongo et al. 2007): μ* is the mean absolute elementary effect — the change of
the metric (in its own unit) when the input moves 2/3 of its range (on the quantile scale below),
divided by 2/3 — and σ its spread across the trajectories (non-linearity or interaction).
Borgonovo's δ (2007) is moment-independent: half the expected L1 distance between the
unconditional density of the metric and its density given the input. Confidence intervals are 95 %
bootstrap intervals (``*_conf`` in SALib, ``confidence`` here: the half-width).

**Inputs.** ``[uncertain."<dotted path>"]`` declares a uniform ``range``, a distribution (normal,
lognormal, triangular; normal and lognormal may be truncated to ``range``) or ``choices``. perfsim
samples every input on the unit interval u ∈ [0, 1] (the SALib problem has unit bounds) and maps u
through the input's quantile function; unbounded distributions are truncated at their 0.1 % and
99.9 % quantiles, so that Morris's grid ends (u = 0 and 1) are finite. ``integer = true`` rounds
(uniform integer ranges give every whole number the same probability).

**Categorical inputs** (``choices = [a, b, c]``: a normalisation method, global vs within-class
ranking) are sampled as a uniform index on [0, k), floored to a choice: choice ``min(⌊k·u⌋, k − 1)``.
Each choice therefore has probability 1/k, and a Sobol' or δ index of a categorical input measures
the effect of switching among the listed choices with equal probability — not of any one switch,
and it changes if choices are added, dropped or repeated. For Morris and FAST the order of the list
matters: an elementary effect moves u by 2/3, so with three choices it compares the first with the
third and the second with the third, never the first with the second, and FAST's search curve
visits the choices in list order; read their categorical indices as screening only.

**Weights and shares on the simplex.** Declaring ``rule.components.<c>.share``,
``rule.weights.<indicator>`` or ``rule.weights.by_class.<class>.<indicator>`` uses the override
mechanism's *vary one, rescale the rest*: the sampled value is the member's share of 1 and the other
members of its group keep their proportions. The index of such a share therefore measures moving
weight to (or from) that member *at the expense of the others in proportion* — a substitution, not
the effect of the member in isolation. Declaring several members of one group sets them all and
rescales the rest into what is left (their upper ends must then sum to at most 1); declaring every
member of a group lets the engine rescale them to sum to 1.

**Common random numbers.** Every sample is simulated with the same ``seed`` (and ``reps``
replications): two samples see the same departments and the same noise, so differences between
samples come from the inputs, not from Monte Carlo noise, and indices need far fewer replications.

**Run folder** (``out``): ``sensitivity.json`` (method, N, seed, reps, problem, inputs, notes,
convergence, perfsim version, and a hash of problem and sample), ``chunks/chunk-00000.parquet``
(numbered; ``.csv`` without pyarrow; one file per finished chunk of samples, written atomically as
it finishes; by default at least 16 chunks per worker, at most 64 samples each, and a resumed
folder keeps its own chunk size), ``indices.csv`` (tidy: metric, input, index, value, confidence), ``samples.parquet``
(every sample's inputs and outputs), ``convergence.csv``, ``figures/`` and, with ``bounds``,
``region.csv`` and ``region.txt`` (:mod:`perfsim.experiments.discovery`). Rerunning into the same
folder (or ``resume=True``) skips the chunks already there, after checking the hash; results are
identical whatever the executor, the number of workers or the interruptions.

**Safeguards.** Sobol' N is rounded up to a power of two (Sobol' sequences are balanced only
there); the second-order setting of the analysis is the one used for sampling; notes flag indices
that are negative beyond their interval and intervals wider than their index; a convergence check
recomputes the indices on the first N/4 and N/2 of the sample (nested for Sobol', Morris and the
Latin hypercube; not available for FAST) and reports the largest change, with the N that would
bring it under 0.05 (Monte Carlo error falls as 1/√N).

**Modules.** :mod:`.inputs` (``[uncertain]`` inputs and their distributions), :mod:`.methods` (the
registry: one record per method with its sampler, analyser, indices and sample-size rules),
:mod:`.delta` (SALib's δ estimator with its bootstrap vectorised),
:mod:`.plan` (:class:`SensitivityPlan`), :mod:`.models` (scenario or callable), :mod:`.checkpoint`
(chunk files, hash, resume), :mod:`.analysis` (indices, reliability notes, convergence),
:mod:`.figures`, :mod:`.result` and :mod:`.run` (:func:`run_sensitivity`).
"""

from __future__ import annotations

from pathlib import Path

from .analysis import TOLERANCE, analyse_outputs, convergence, reliability_notes
from .checkpoint import Chunks
from .errors import SampleError, SensitivityError
from .inputs import TAIL, Input, UncertainTable, check_inputs, load_uncertain, toml_value
from .methods import (
    CONFIDENCE,
    DEFAULT_N,
    FAST_M,
    MAIN_INDEX,
    METHODS,
    MORRIS_LEVELS,
    REGISTRY,
    RESAMPLES,
    Method,
    analyze,
    draw_sample,
    method,
    methods_help,
    sizes_help,
)
from .models import ArrayModel, ScenarioModel, metric_means, model_spec, unit_problem
from .output import write_outputs
from .plan import CHUNK_SIZE, CHUNKS_PER_WORKER, SensitivityPlan, default_chunk_size
from .result import SensitivityResult
from .run import default_out, run_sensitivity


def write_figures(result: SensitivityResult, folder: Path) -> list[Path]:
    """The run's figures (:func:`.figures.write_figures`; matplotlib is imported only here)."""
    from .figures import write_figures as write

    return write(result, folder)


__all__ = [
    "CHUNKS_PER_WORKER",
    "CHUNK_SIZE",
    "CONFIDENCE",
    "DEFAULT_N",
    "FAST_M",
    "MAIN_INDEX",
    "METHODS",
    "MORRIS_LEVELS",
    "REGISTRY",
    "RESAMPLES",
    "TAIL",
    "TOLERANCE",
    "ArrayModel",
    "Chunks",
    "Input",
    "Method",
    "SampleError",
    "ScenarioModel",
    "SensitivityError",
    "SensitivityPlan",
    "SensitivityResult",
    "UncertainTable",
    "analyse_outputs",
    "analyze",
    "check_inputs",
    "convergence",
    "default_chunk_size",
    "default_out",
    "draw_sample",
    "load_uncertain",
    "method",
    "metric_means",
    "methods_help",
    "model_spec",
    "reliability_notes",
    "run_sensitivity",
    "sizes_help",
    "toml_value",
    "unit_problem",
    "write_figures",
    "write_outputs",
]
