"""The run: plan → model → sample → evaluation in chunks (resumable) → analysis → run folder."""

from __future__ import annotations

import contextlib
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ...interrupts import is_interrupt
from ...io import folder_lock, rewriting_outputs, write_manifest
from ...phrases import Named, Phrase, Phrases
from ...results.names import SensitivityFiles
from ...scenario import Scenario, WorldSpec, resolve_path
from ...scenario.arguments import texts
from ...scenario.errors import error
from ...world.convergence import GAP_WARNING, ConvergenceWarning
from ..executors import Executor, make_executor, single_blas_thread
from .analysis import (
    analyse_outputs,
    choose_metrics,
    convergence,
    reliability_notes,
    summary_notes,
)
from .checkpoint import Chunks, digest, recorded_chunk_size, write_json
from .errors import SensitivityError
from .methods import labels
from .models import ModelSpec, model_spec
from .notes import CONVERGED, WITHIN, phrase
from .output import write_outputs
from .plan import SensitivityPlan, default_chunk_size
from .result import SensitivityResult


def run_sensitivity(
    model: Scenario | str | Path | Callable[[NDArray], NDArray],
    plan: SensitivityPlan | None = None,
    *,
    problem: Mapping | None = None,
    outputs: Sequence[str] | None = None,
    uncertain: str | Path | Mapping | None = None,
    overrides: Iterable[str] = (),
    executor: Executor | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    figures: bool = True,
    progress: Callable[[int, int], None] | None = None,
    estimate: Callable[[float, int], None] | None = None,
    world: WorldSpec | None = None,
    **options: Any,
) -> SensitivityResult:
    """Global sensitivity analysis of a scenario's ``[uncertain]`` inputs, or of a callable.

    ``model``: a scenario (object, file or bundled name) with ``[uncertain]`` inputs (or give
    ``uncertain``: a TOML file or a mapping with the same table; it replaces the scenario's), or a
    callable ``f(X: (n, d)) → (n,) | (n, k)`` together with a SALib ``problem`` dict (names,
    bounds, optional dists and groups) and optional ``outputs`` names.
    ``plan``: a :class:`SensitivityPlan` (method, n, reps, seed, second_order, metrics, bounds,
    jobs, scheduler, chunk_size); its fields may also be given as keywords (``method="morris",
    n=20``), which replace the plan's.
    ``executor``: where samples run (default: from the plan's ``jobs`` and ``scheduler``).
    ``out``: the run folder (chunks, tables, figures); ``resume``: insist on continuing a run there.
    ``progress(done, total)`` is called with numbers of samples as chunks finish;
    ``estimate(seconds, workers, pilots)``, when given, once before the evaluation starts, with
    the expected wall time of the samples left and the seconds of each pilot sample it is taken
    from (up to three, spread over the design, timed in this process first).
    ``world``: run the scenario's rule on this world (a bundled name, a file with a [world], or
    that table), fitted to the rule by name (:mod:`perfsim.scenario.worlds`).
    """
    # Long: a run's table of contents (each step a function) and what sensitivity.json holds.
    started, started_at = time.perf_counter(), datetime.now(UTC)
    plan = SensitivityPlan.from_options(plan, **options)
    bounds = plan.parsed_bounds()
    if not callable(model) and outputs is None:  # a scenario's metrics: known before any run
        _check_metric_names([*(plan.metrics or ()), *(bounds or {})])
    sets = texts("overrides", overrides)  # (a string is one override)
    spec = model_spec(model, problem, outputs, uncertain, sets, plan.reps, plan.seed, world)
    sample = _Sample.draw(plan, spec)
    x, notes = sample.x, sample.notes
    folder = Path(out) if out is not None else None
    # one writer per folder: a second run into the same --out stops at once
    with (
        folder_lock(folder) if folder is not None else contextlib.nullcontext(),
        _runner(plan, executor) as runner,
        _opened(folder) as leave,  # (the files the user added there)
    ):
        chunks, hash_ = _open_chunks(plan, sample, folder, runner.workers, resume)
        try:
            run = _evaluate(spec, chunks, runner, progress, estimate)
        except BaseException as exc:
            if is_interrupt(exc):  # (also Ctrl-C inside a compiled loop: perfsim.interrupts)
                chunks.mark_stopped()
            raise
        analysis_started = time.perf_counter()
        table = chunks.table()
        inputs = spec.samples(x)
        names = spec.info.get("input_names")  # (the warnings name inputs in --lang)
        notes += convergence_notes(table, inputs, names) + choice_gap_notes(table, inputs, names)
        available = [c for c in table.columns if c != "sample"]
        chosen = choose_metrics(available, plan.metrics, spec.input_names)
        indices, analysed, reliability, conv_table, conv = _analyse(
            plan, spec, sample, table[chosen]
        )
        samples = pd.concat([spec.samples(x), table[available].reset_index(drop=True)], axis=1)
        region = _region(spec, samples, available, bounds) if bounds else None
        run["seconds_analysis"] = time.perf_counter() - analysis_started

        metadata = {
            "kind": "sensitivity",
            "status": "complete",
            "hash": hash_,
            **sample.key,
            "n_requested": plan.size,
            "runs": int(len(x)),
            "outputs": analysed,
            "main_index": plan.record.main_index,
            "notes": notes,
            "reliability": list(reliability.values()),
            "convergence": conv,
            **run,
            "bounds": {k: list(v) for k, v in (bounds or {}).items()},
            **({"region": _region_counts(region)} if region is not None else {}),
            "started": started_at.isoformat(timespec="seconds"),
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            **spec.info,
        }
        result = SensitivityResult(
            method=plan.method,
            indices=indices,
            samples=samples,
            problem=dict(spec.problem),
            inputs=spec.input_names,
            outputs=analysed,
            n=sample.n,
            notes=notes,
            convergence=conv_table,
            metadata=metadata,
            region=region,
            out=folder,
        )
        if folder is not None:
            write_outputs(result, folder, figures=figures)
        metadata["seconds"] = time.perf_counter() - started
        if folder is not None:
            write_json(folder / SensitivityFiles.METADATA, metadata)
            write_manifest(folder, "sensitivity", leave)  # complete: its files are perfsim's
    return result


@contextlib.contextmanager
def _opened(folder: Path | None) -> Iterator[frozenset[str]]:
    """A run's folder, held while it runs (under its lock): the files the user added there
    (:func:`perfsim.io.resumed_folder`), with the run's outputs rewritten in place there
    (:func:`perfsim.io.rewriting_outputs`: if it stops, by Ctrl-C or an error, they stay
    perfsim's; its metadata is rewritten when it stops)."""
    if folder is None:
        yield frozenset()
        return
    with rewriting_outputs(folder, SensitivityFiles.written) as leave:
        yield leave


def _check_metric_names(names: Sequence[str]) -> None:
    """A ``--metric`` or ``--bound`` that names no metric perfsim writes stops the run before it
    simulates anything (it stopped after the whole run, leaving its chunks behind)."""
    from ...i18n import metric_named
    from ...metric_registry import FAMILIES, METRICS, metric_info

    unknown = [m for m in names if metric_info(metric_named(m)) is None]  # (or its label)
    if unknown:
        families = ", ".join(f"{prefix}:NAME" for prefix in FAMILIES)
        raise SensitivityError(
            error("unknown_metrics", unknown=", ".join(unknown), metrics=", ".join(METRICS),
                  families=families)
        )  # fmt: skip


@dataclass
class _Sample:
    """The drawn sample, the n actually used, its notes, and the settings that the run folder's
    hash covers (with the sample itself)."""

    x: NDArray
    n: int
    second_order: bool
    notes: list[str]
    key: dict

    @classmethod
    def draw(cls, plan: SensitivityPlan, spec: ModelSpec) -> _Sample:
        from ... import __version__
        from ...model_revision import MODEL_REVISION

        record = plan.record
        # S2 needs two inputs (or groups), and only Sobol' gives it
        second_order = plan.second_order and record.second_order and len(labels(spec.problem)) > 1
        x, n_used, notes = record.sample(spec.problem, plan.size, plan.seed, second_order)
        key = {
            "method": plan.method,
            "n": n_used,
            "seed": plan.seed,
            "reps": plan.reps if spec.inputs else None,
            "second_order": second_order if record.second_order else None,
            "chunk_size": None,  # set by the run: the plan's, the folder's or the default
            "problem": spec.problem,
            "inputs": [i.describe() for i in spec.inputs],
            "model": spec.identity,
            "perfsim_version": __version__,
            "model_revision": MODEL_REVISION,
        }
        return cls(x, n_used, second_order, list(notes), key)


def _open_chunks(
    plan: SensitivityPlan, sample: _Sample, folder: Path | None, workers: int, resume: bool
) -> tuple[Chunks, str]:
    """The sample's chunks, with the run folder prepared (or resumed), and the run's hash. The
    chunk size: the plan's, else the folder's (a resumed run keeps its chunks, whatever its number
    of workers), else :func:`default_chunk_size` (enough chunks to keep every worker busy)."""
    size = plan.chunk_size or recorded_chunk_size(folder)
    sample.key["chunk_size"] = size or default_chunk_size(len(sample.x), workers)
    hash_ = digest(sample.key, sample.x)
    chunks = Chunks(sample.x, sample.key["chunk_size"], folder)
    running = {"kind": "sensitivity", "status": "running", "hash": hash_, **sample.key}
    sample.notes += chunks.open(hash_, resume, running)
    return chunks, hash_


def _analyse(
    plan: SensitivityPlan, spec: ModelSpec, sample: _Sample, outputs: pd.DataFrame
) -> tuple[pd.DataFrame, list[str], dict[str, str], pd.DataFrame, dict]:
    """Indices, analysed outputs, reliability notes, convergence table and summary; the notes of
    the sample get what the reader should know."""
    x, notes, second_order = sample.x, sample.notes, sample.second_order
    indices, analysed = analyse_outputs(
        plan.method, spec.problem, x, outputs, second_order, plan.seed, notes
    )
    reliability = reliability_notes(indices, plan.method)
    conv_table, conv = convergence(
        plan.method, spec.problem, x, outputs[analysed], sample.n, second_order, plan.seed
    )
    notes += summary_notes(reliability, analysed, conv)
    return indices, analysed, reliability, conv_table, conv


def convergence_notes(
    outputs: pd.DataFrame, samples: pd.DataFrame, names: Mapping | None = None
) -> list[str]:
    """One note, and one warning (not one per sample), when best responses did not converge in
    some replications of some samples: how many samples, and the inputs along which the share of
    converged replications changes by 20 points or more (a choice's worst value; for a number,
    its lower or upper half)."""
    if "converged_share" not in outputs or not (outputs["converged_share"] < 1).any():
        return []
    share = outputs["converged_share"].reset_index(drop=True)
    hints = _where_worse(share, samples, CONVERGED, names)
    bad = int((share < 1).sum())
    return _warned("unsettled", hints, bad=bad, samples=len(share), share=f"{share.mean():.1%}")


def _warned(key: str, hints: list[Phrase], **values: object) -> list[str]:
    """The note ``key`` (``<key>_where`` naming the inputs of ``hints``), given as a
    ConvergenceWarning too."""
    if hints:
        said = phrase(f"{key}_where", where=Phrases(tuple(hints)), **values)
    else:
        said = phrase(key, **values)
    warnings.warn_explicit(ConvergenceWarning(said), ConvergenceWarning, "perfsim", 0)
    return [str(said)]


def _where_worse(
    share: pd.Series, samples: pd.DataFrame, what: str, names: Mapping | None = None
) -> list[Phrase]:
    """The inputs along which ``share`` (per sample, higher is better) changes by 20 points or
    more, each as its worse value (a choice's worst value; for a number, its lower or upper half)
    with both shares; an input named as ``names`` (language → input → name) has it in each
    language (:class:`perfsim.phrases.Named`)."""
    hints = []
    for name in samples.columns.drop("sample"):
        called = Named(name, {lang: m[name] for lang, m in (names or {}).items() if name in m})
        values = samples[name].reset_index(drop=True)
        numeric = pd.api.types.is_numeric_dtype(values)
        if numeric:
            values = (values > values.median()).map({True: "high", False: "low"})
        by = share.groupby(values.astype(str)).mean()
        if len(by) > 1 and by.max() - by.min() >= 0.2:
            shares = dict(worse=f"{by.min():.0%}", what=Phrase(what), better=f"{by.max():.0%}")
            if numeric:  # (an input's name is said again where the catalogue knows it)
                hints.append(phrase(f"hint_{by.idxmin()}", input=called, **shares))
            else:
                value = Phrase(by.idxmin())
                hints.append(phrase("hint_choice", input=called, value=value, **shares))
    return hints


def choice_gap_notes(
    outputs: pd.DataFrame, samples: pd.DataFrame, names: Mapping | None = None
) -> list[str]:
    """One note, and one warning, when at some samples a department's choice at the fixed point
    forgoes more than :data:`~perfsim.world.convergence.GAP_WARNING` of the prize range against
    its best (``choice_gap``): departments flip between gaming choices there; with the inputs
    along which that happens most (as :func:`convergence_notes`)."""
    if "choice_gap" not in outputs:
        return []
    gap = outputs["choice_gap"].reset_index(drop=True).astype(float)
    bad = int((gap > GAP_WARNING).sum())
    if not bad:
        return []
    hints = _where_worse((gap <= GAP_WARNING).astype(float), samples, WITHIN, names)
    largest = f"{gap.max():.0%}"
    return _warned(
        "choice_gap", hints, bad=bad, samples=len(gap), limit=f"{GAP_WARNING:.0%}", largest=largest
    )


def _region_counts(region) -> dict[str, int]:
    """The counts a report needs to say the region again in its language (with ``region.csv``
    and the bounds: :func:`perfsim.experiments.discovery.region_summary`)."""
    return {
        "good": region.good,
        "total": region.total,
        "in_box": region.in_box,
        "good_in_box": region.good_in_box,
    }


def _region(spec: ModelSpec, samples: pd.DataFrame, available: list[str], bounds: dict) -> Any:
    """The rule-space region that keeps the bounded metrics within bounds (discovery)."""
    from ..discovery import find_region

    rule_inputs = [i.name for i in spec.inputs if i.is_rule] or spec.input_names
    return find_region(samples[rule_inputs], samples[available], bounds)


@contextlib.contextmanager
def _runner(plan: SensitivityPlan, executor: Executor | None) -> Iterator[Executor]:
    """``executor``, or one made from the plan's jobs and scheduler and closed afterwards."""
    if executor is not None:
        yield executor
        return
    runner = make_executor(plan.jobs, plan.scheduler)
    try:
        yield runner
    finally:
        runner.close()


def _evaluate(
    spec: ModelSpec,
    chunks: Chunks,
    runner: Executor,
    progress: Callable[[int, int], None] | None,
    estimate: Callable[[float, int], None] | None,
) -> dict[str, Any]:
    """Evaluate the chunks not done yet on ``runner``; returns what sensitivity.json says about
    the evaluation. An interrupt (Ctrl-C) stops the executor at once: finished chunks are kept."""
    todo = chunks.todo
    total, done = len(chunks.x), chunks.done
    evaluated = sum(len(rows) for _, rows in todo)
    started = time.perf_counter()
    expected, pilots = None, []
    if estimate is not None and evaluated > 1:
        rows = np.concatenate([r for _, r in todo])
        pilots = _pilot(spec, rows[np.unique(np.linspace(0, len(rows) - 1, PILOTS).astype(int))])
        expected = float(np.mean(pilots)) * evaluated / runner.workers
        estimate(expected, runner.workers, pilots)
    if progress:
        progress(done, total)
    # closing(): the executor's clean-up (cancel, terminate workers) runs now, not when the
    # generator is collected
    with contextlib.closing(runner.map(spec.evaluate, todo)) as finished:
        for chunk_id, frame in finished:
            done += chunks.store(chunk_id, frame)
            if progress:
                progress(done, total)
    seconds = time.perf_counter() - started
    return {
        "executor": runner.describe(),
        "evaluated_now": evaluated,
        "seconds_per_sample": seconds / evaluated if evaluated else None,
        "seconds_evaluation": seconds,
        "seconds_estimated": expected,
        "seconds_pilots": pilots,
    }


#: a pilot sample evaluated in less than this many seconds is evaluated again, and the second
#: time is the estimate's: the first pays what a process pays once (loading the compiled loops,
#: first calls), 0.6 s against 52 ms a sample for the teaching demo (an estimate of 89 s for
#: 7 s of samples); a slower first sample is taken as it is (what it pays once is then a small
#: part of it)
WARM_UP = 5.0


#: the pilot samples of a time estimate, spread over the design (the first, the middle and the
#: last sample left): one sample's cost was a poor guide where the rule's choices differ in cost
#: (Hangzhou's uncertain inputs include percentile ranks, some six times the efficacy
#: coefficient's cost: a Sobol run estimated at 10 min took 2, a Morris run at 1 s took 40 s);
#: no more pilots once they took :data:`PILOT_BUDGET` seconds
PILOTS, PILOT_BUDGET = 3, 20.0


def _pilot(spec: ModelSpec, rows: NDArray) -> list[float]:
    """Seconds to evaluate each of ``rows`` (pilot samples) in this process, warm
    (:data:`WARM_UP`), until they took :data:`PILOT_BUDGET` seconds."""
    with single_blas_thread():  # as the executors evaluate
        first = _seconds(spec.evaluate, rows[:1])
        times = [_seconds(spec.evaluate, rows[:1]) if first < WARM_UP else first]
        for row in range(1, len(rows)):
            if sum(times) >= PILOT_BUDGET:
                break
            times.append(_seconds(spec.evaluate, rows[row : row + 1]))
    return times


def _seconds(evaluate: Callable[[NDArray], object], rows: NDArray) -> float:
    started = time.perf_counter()
    evaluate(rows)
    return time.perf_counter() - started


def default_out(
    scenario: str | Path, method: str, seed: int, world: str | Path | None = None
) -> str:
    """``results/sensitivity-<scenario>[-on-<world>]-<method>-seed<seed>``."""
    stem = resolve_path(scenario).stem
    if world is not None and not isinstance(world, Mapping):
        stem += f"-on-{resolve_path(world).stem}"
    return f"results/sensitivity-{stem}-{method}-seed{seed}"
