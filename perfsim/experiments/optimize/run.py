"""``perfsim.optimize``: the run, from the user's levers and objectives to the optimisation folder."""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ...io import folder_lock
from ...results.names import OptimizationFiles
from ...scenario import (
    PerfsimError,
    Problem,
    Scenario,
    ScenarioError,
    WorldSpec,
    arguments,
    no_world_error,
    resolve_scenario,
    scenario_from_dict,
    scenario_raw,
    scenario_source,
)
from ...scenario.errors import error
from ...world.model import quota_places
from ..compare import parse_acrosses
from ..executors import Executor, make_executor
from ..sensitivity.checkpoint import digest
from .evaluate import CandidateModel
from .front import (
    Scores,
    Z,
    comparison_rows,
    effect_items,
    effect_phrase,
    lever_moves,
    move_phrase,
    nearest,
    nearest_sentence,
    pareto_set,
    reevaluate,
    score,
)
from .levers import (
    ROBUSTNESS,
    LeverSpace,
    check_levers,
    check_metrics,
    check_names,
    current_values,
    parse_constraint,
    parse_lever,
    parse_objective,
)
from .output import (
    EDGE,
    OptimizationError,
    finish_folder,
    lever_columns,
    note,
    opened_folder,
    rule_name,
)
from .robust import UNDEFINED, constraint_excess, in_units
from .search import REFERENCE, Search, archive_front, population_size

MAX_FRONT = 30
"""At most this many candidates of the search's front are re-evaluated (spread along the first
objective)."""


@dataclass
class OptimizationResult:
    """What :func:`optimize` returns (and writes to ``out``)."""

    pareto: pd.DataFrame  # the Pareto rules: levers, objectives ± SE, per world
    evaluations: pd.DataFrame  # every evaluated candidate (u, means and SE per world)
    recommended: pd.DataFrame  # each recommended rule against the reference, per world and metric
    rules: dict[str, dict]  # name → resolved scenario table of each recommended rule
    metadata: dict
    out: Path | None = None
    notes: list[str] = field(default_factory=list)


@contextlib.contextmanager
def _removed_on_user_error(folder: Path | None, search: Search):
    """The files a run writes into a folder it creates are removed when it stops on a user error
    before its search (an objective undefined in the scenario, a metric it does not write):
    their half-written state would stop the corrected command ("holds a different
    optimisation"). Only perfsim's own files go, and the folder only when that leaves it empty;
    a folder that was there before (a run resumed), a finished search's evaluations (constraints
    no rule met: the error says so) and Ctrl-C (to resume) keep everything."""
    fresh = folder is not None and not folder.exists()
    try:
        yield
    except PerfsimError:
        if fresh and folder.is_dir() and len(search.archive.table()) <= 1:  # (the reference)
            names = [OptimizationFiles.METADATA, *(f"{OptimizationFiles.EVALUATIONS}{suffix}"
                     for suffix in (".parquet", ".csv"))]  # fmt: skip
            for name in names:
                (folder / name).unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                folder.rmdir()  # (only if nothing else is left in it)
        raise


def _worlds(
    across: Iterable[str], levers: Iterable
) -> tuple[list[str], tuple[tuple[str, ...], ...]]:
    axes = parse_acrosses(across, [lever.path for lever in levers])
    combos = list(itertools.product(*[[f"{p}={v}" for v in vals] for p, vals in axes]))
    names = [", ".join(c) if c else "base" for c in combos]
    return names, tuple(tuple(c) for c in combos)


def _check_options(objs, cons, budget, reps, final_reps, measure: str) -> None:
    """The objectives' and constraints' names (:func:`check_names`), the search's numbers
    (``final_reps`` None: not given, 4 × reps) and its robustness, before anything runs."""
    check_names(objs, cons)
    n_obj = len(objs)
    problems = []
    given = [("--budget", budget, 8), ("--reps", reps, 2)]
    if final_reps is not None:
        given.append(("--final-reps", final_reps, 2))
    for option, value, least in given:
        if not arguments.is_whole(value) or value < least:
            problems.append(Problem(option, option, value, error("whole_at_least", least=least)))
    if measure not in ROBUSTNESS:
        problems.append(
            Problem("--robustness", measure, measure, f"one of {', '.join(ROBUSTNESS)}")
        )
    if n_obj < 1:
        problems.append(Problem("--objective", "", None, error("objective_missing"), False))
    if problems:
        raise ScenarioError(problems)


def optimize(
    scenario: Scenario | str | Path,
    *,
    levers: Sequence[str],
    objectives: Sequence[str],
    constraints: Sequence[str] = (),
    across: Sequence[str] = (),
    robustness: str = "worst",
    budget: int = 200,
    reps: int = 20,
    final_reps: int | None = None,
    seed: int = 0,
    jobs: int = 1,
    scheduler: str | None = None,
    executor: Executor | None = None,
    overrides: Iterable[str] = (),
    world: WorldSpec | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    progress: Callable[[int, int], None] | None = None,
    front_progress: Callable[[int, int], None] | None = None,
) -> OptimizationResult:
    """Search the rules that ``levers`` span for the best trade-offs between ``objectives``.

    ``levers``: ``PATH=LO:HI``, ``PATH=LO:HI:int`` or ``PATH=A,B,C`` (any dotted path of the
    scenario; share-group members stay on the simplex). ``objectives``: ``METRIC``,
    ``METRIC:min`` or ``METRIC:max``. ``constraints``: ``METRIC<VALUE`` or ``METRIC>VALUE``, to
    hold in every world. ``across``: ``PATH=V1,V2`` assumptions (every combination is a world);
    ``robustness``: ``worst``, ``mean`` or ``regret`` across those worlds. ``budget``: candidate
    rules evaluated by the search (pymoo's NSGA-II, NSGA-III beyond three objectives), each with
    ``reps`` replications in every world, all on the same seed (common random numbers). The
    search's front is then re-evaluated with ``final_reps`` (default 4 × reps) on a fresh seed,
    and kept where no other rule dominates it beyond noise (see
    :mod:`perfsim.experiments.optimize.front`). ``out``: the folder (a checkpoint after every
    generation; ``resume`` continues a stopped run and gives the same front). Same seed ⇒ same
    front, whatever ``jobs``. ``progress(done, total)`` follows the search's rules,
    ``front_progress(done, total)`` the re-evaluation of its front (the reference and each rule).
    """
    started, started_at = time.perf_counter(), datetime.now(UTC)
    seed, jobs = arguments.seed(seed), arguments.whole("jobs", jobs)
    levers, across = arguments.texts("levers", levers), arguments.texts("across", across)
    objs = [parse_objective(o) for o in arguments.texts("objectives", objectives)]
    cons = [parse_constraint(c) for c in arguments.texts("constraints", constraints)]
    _check_options(objs, cons, budget, reps, final_reps, robustness)
    final_reps = int(final_reps) if final_reps is not None else 4 * int(reps)
    budget, reps = int(budget), int(reps)
    overrides = arguments.texts("overrides", overrides)  # (a string is one override)
    base = resolve_scenario(scenario, overrides, world)
    if base.world is None:
        raise no_world_error(base)
    raw = {k: v for k, v in scenario_raw(base).items() if k != "uncertain"}
    source = scenario_source(base)
    lever_inputs = [parse_lever(t) for t in levers]
    check_levers(raw, source, lever_inputs)
    space = LeverSpace.build(raw, lever_inputs)
    world_names, world_overrides = _worlds(across, lever_inputs)
    for wo in world_overrides:  # every world must be a valid scenario before anything runs
        scenario_from_dict(raw, source=source, overrides=list(wo))
    model = CandidateModel(raw, source, space, world_overrides, None, reps, seed)
    settings = _settings(
        raw, space, objs, cons, world_overrides, robustness, budget, reps, final_reps, seed
    )
    hash_ = digest(settings, np.zeros(0))
    folder = Path(out) if out is not None else None
    evaluations = folder / OptimizationFiles.EVALUATIONS if folder else None
    search = Search(model, tuple(objs), tuple(cons), robustness, budget, seed, evaluations)
    notes = [note("world_lever", lever=i.path) for i in lever_inputs if i.path.startswith("world.")]
    none = contextlib.nullcontext((frozenset(), False))
    opened = opened_folder(folder, hash_, resume, settings) if folder is not None else none
    with (
        folder_lock(folder) if folder is not None else contextlib.nullcontext(),
        _runner(jobs, scheduler, executor) as runner,
        _removed_on_user_error(folder, search),
        opened as (leave, earlier),  # (the user's files; an earlier start of this run)
    ):
        if earlier:
            notes.append(note("resumed", count=search.resume()))
        step = _counter(progress, budget + 1)
        generations = search.run(runner, step, check=lambda names: check_metrics(objs, cons, names))
        step(budget + 1)  # the search is done (duplicates were not simulated)
        searched = time.perf_counter()
        notes += short_search_note(generations, population_size(budget, len(objs)))
        table, front_rows = archive_front(search)
        result = _final(
            search, table, front_rows, runner, final_reps, world_names, notes, front_progress
        )
        meta = {
            "kind": "optimization",
            "status": "complete",
            "hash": hash_,
            **settings,
            "scenario": source,
            "scenario_name": base.name,
            "worlds": world_names,
            "across_given": list(across),
            **arguments.given(overrides, world),
            "algorithm": "NSGA-III" if len(objs) > 3 else "NSGA-II",
            "population": population_size(budget, len(objs)),
            "generations": generations,
            "evaluated": int((table["candidate"] != REFERENCE).sum()),
            "noisy_dominance": f"dominates only if better by > {Z:g} paired SE in one objective and "
            f"not worse by > {Z:g} paired SE in any",
            **result.pop("meta"),
            "notes": notes,
            "seconds_search": searched - started,
            "seconds": time.perf_counter() - started,
            "started": started_at.isoformat(timespec="seconds"),
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        if folder is not None:
            finish_folder(folder, meta, result, leave)
    return OptimizationResult(
        result["pareto"], table, result["recommended"], result["rules"], meta, folder, notes
    )


#: fewer generations than this make a first look, not a recommendation (:func:`short_search_note`)
FEW_GENERATIONS = 5


def short_search_note(generations: int, population: int) -> list[str]:
    """A caution when the search ran fewer than :data:`FEW_GENERATIONS` generations: NSGA-II
    needs several to move from its random first generation, so a short search's front, and the
    rule it recommends, can change with the seed or the budget."""
    if generations >= FEW_GENERATIONS:
        return []
    least, budget = FEW_GENERATIONS, FEW_GENERATIONS * population
    return [
        note("short", generations=generations, population=population, least=least, budget=budget)
    ]


def _counter(progress: Callable[[int, int], None] | None, total: int) -> Callable[[int], None]:
    """``step(n)``: ``n`` more rules evaluated, reported as ``progress(done, total)`` (done capped
    at total); reports 0 at once."""
    done = [0]

    def step(n: int) -> None:
        done[0] += n
        if progress:
            progress(min(done[0], total), total)

    step(0)
    return step


def _settings(raw, space, objs, cons, worlds, measure, budget, reps, final_reps, seed) -> dict:
    from ... import __version__
    from ...model_revision import MODEL_REVISION

    return {
        "levers": [lv.describe() for lv in space.levers],
        "objectives": [{"metric": o.metric, "goal": o.goal} for o in objs],
        "constraints": [str(c) for c in cons],
        "across": [list(w) for w in worlds],
        "robustness": measure,
        "budget": budget,
        "reps": reps,
        "final_reps": final_reps,
        "seed": seed,
        "resolved_scenario": raw,
        "perfsim_version": __version__,
        "model_revision": MODEL_REVISION,
    }


@contextlib.contextmanager
def _runner(jobs: int, scheduler: str | None, executor: Executor | None):
    if executor is not None:
        yield executor
        return
    runner = make_executor(jobs, scheduler)
    try:
        yield runner
    finally:
        runner.close()


def _closest(evals, search: Search) -> str:
    """The evaluated rule nearest to meeting every constraint (the least worst excess), each
    constraint with its value in the rule's worst world, in no language:
    ``evaluation_cost = 1,230 (< 0.1)``; a metric the rule leaves undefined: ``undefined``."""
    excess = constraint_excess(evals, search.constraints, search.n_worlds)
    if not len(excess):
        return "-"
    row = excess[int(np.argmin(excess.max(axis=1)))]
    said = []
    for con, over in zip(search.constraints, row, strict=True):
        reached = con.value + over if con.op == "<" else con.value - over
        value = "undefined" if over >= UNDEFINED else f"{reached:,.4g}"
        said.append(f"{con.metric} = {value} ({con.op} {con.value:g})")
    return "; ".join(said)


def _unconverged_notes(rev) -> list[str]:
    """A note when a re-evaluated rule's best response did not converge in every replication
    (the run's warning said so for each world; the folder and its report did not)."""
    shares = [
        min(float(np.mean(w["converged_share"])) for w in rule if "converged_share" in w)
        for rule in rev.values
        if any("converged_share" in w for w in rule)
    ]
    low = [x for x in shares if x < 1.0]
    if not low:
        return []
    return [note("unconverged", count=len(low), total=len(shares), share=f"{min(low):.0%}")]


def _final(
    search: Search, table, front_rows, runner, final_reps, world_names, notes, progress=None
) -> dict:
    """Re-evaluate the front, keep its noisy-Pareto set, place the reference, recommend rules."""
    space, objs, measure = search.model.space, search.objectives, search.measure
    if not front_rows:  # (a folder keeps the evaluations: the error says where)
        count, kept = int((table["candidate"] != REFERENCE).sum()), search.checkpoint
        key = "no_feasible_kept" if kept is not None else "no_feasible"
        closest = _closest(table[table["candidate"] != REFERENCE], search)
        raise OptimizationError(
            error(key, count=count, closest=closest, folder=kept and kept.parent)
        )
    if len(front_rows) > MAX_FRONT:
        order = np.argsort(table.loc[front_rows, f"{objs[0].metric}@w0"].to_numpy(float))
        keep = np.unique(np.linspace(0, len(order) - 1, MAX_FRONT).round().astype(int))
        front_rows = sorted(np.asarray(front_rows)[order[keep]].tolist())
        notes.append(note("thinned", count=MAX_FRONT))
    ucols = [f"u{i}" for i in range(len(space.levers))]
    front_rows = _distinct_rules(space, table, front_rows, ucols)
    U = table.loc[front_rows, ucols].to_numpy(float)
    rev = reevaluate(search.model, U, final_reps, runner, progress)
    notes += _unconverged_notes(rev)
    scores = score(rev, objs, measure)
    kept, same = _distinct_results(scores, pareto_set(scores, list(range(1, len(U) + 1))))
    if same:
        notes.append(note("same", count=same))
    notes += _edge_notes(space, U[np.asarray(kept) - 1])
    ref_values = current_values(search.model.raw, space.levers)
    better_rules = [k for k in kept if scores.dominates(k, 0)]
    near = nearest(
        space, ref_values, np.vstack([np.full(len(space.levers), np.nan), U]), better_rules or kept
    )
    pareto = _pareto_table(
        table, front_rows, kept, scores, space, objs, measure, world_names, U, better_rules
    )
    reference = _reference(scores, objs, measure, ref_values, space, better_rules)
    chosen = _recommend(scores, kept, near, objs)
    rules, rows, changes, idle = {}, [], {}, {}
    for name, k in chosen.items():
        sets = space.assignments(U[k - 1])
        idle[name] = idle_quotas(search.model, sets)
        if idle[name]:  # (the file keeps the reference's share: the same places, the same rule)
            sets = [s for s in sets if s.split("=", 1)[0] not in idle[name]]
        sc = scenario_from_dict(search.model.raw, source=search.model.source, overrides=sets)
        rules[name] = scenario_raw(sc)
        rows += comparison_rows(rev, k, name, world_names)
        changes[name] = [
            [lv.path, old, new]
            for lv, old, new in zip(space.levers, ref_values, space.values(U[k - 1]), strict=True)
            if old != new and lv.path not in idle[name]
        ]
    nearest_info = _nearest_info(
        near, scores, objs, measure, space, ref_values, U, table, front_rows, better_rules
    )
    if nearest_info:  # (a quota that leaves the same places is no change to make)
        paths = idle.get("nearest", set())
        same = {p: v for p, v in zip(space.names, ref_values, strict=True) if p in paths}
        nearest_info = _without_moves(nearest_info, paths, same)
    meta = {
        "reference": reference,
        "nearest": nearest_info,
        "final_seed": rev.seed,
        "front_searched": len(front_rows),
        "pareto_rules": len(kept),
        "recommended": [
            {
                "name": n,
                "file": OptimizationFiles.rule(n),
                "candidate": int(table.loc[front_rows[k - 1], "candidate"]),
                "changes": changes[n],  # [lever path, reference value, this rule's value]
            }
            for n, k in chosen.items()
        ],
    }
    return {"pareto": pareto, "recommended": pd.DataFrame(rows), "rules": rules, "meta": meta}


def _distinct_rules(space: LeverSpace, table, rows, ucols) -> list:
    """The rows whose lever values differ (points of one choice's cell, or rounded to the same
    whole number, are one rule): the first of each."""
    seen, out = set(), []
    for r in rows:
        key = repr(space.values(table.loc[r, ucols].to_numpy(float)))
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def _distinct_results(scores: Scores, kept: list[int]) -> tuple[list[int], int]:
    """The rules of ``kept`` whose per-replication results differ from every earlier one's (the
    first of each), and how many were left out: two searched points that make the same rule in
    effect give the same numbers to the last digit (common random numbers)."""
    out: list[int] = []
    for k in kept:
        if not any(
            np.array_equal(scores.vectors[k], scores.vectors[j], equal_nan=True) for j in out
        ):
            out.append(k)
    return out, len(kept) - len(out)


def _units(scores: Scores, objs, measure) -> tuple[np.ndarray, np.ndarray]:
    return in_units(scores.value, objs, measure), scores.se


def _pareto_table(
    table, front_rows, kept, scores, space, objs, measure, world_names, U, better_rules
) -> pd.DataFrame:
    values, se = _units(scores, objs, measure)
    frame = pd.DataFrame(
        {
            "candidate": [int(table.loc[front_rows[k - 1], "candidate"]) for k in kept],
            "generation": [int(table.loc[front_rows[k - 1], "generation"]) for k in kept],
        }
    )
    levers = lever_columns([space.values(U[k - 1]) for k in kept], space.names)
    frame = pd.concat([frame, levers], axis=1)
    for j, obj in enumerate(objs):
        frame[obj.metric] = values[kept, j]
        frame[f"{obj.metric}_se"] = se[kept, j]
        for w, world in enumerate(world_names):
            frame[f"{obj.metric} @ {world}"] = obj.sense * scores.world_means[kept, j, w]
    frame["dominates_reference"] = [k in better_rules for k in kept]
    return frame.sort_values(objs[0].metric).reset_index(drop=True)


def _reference(scores, objs, measure, ref_values, space, better_rules) -> dict:
    values, se = _units(scores, objs, measure)
    return {
        "levers": dict(zip(space.names, ref_values, strict=True)),
        "objectives": {o.metric: values[0, j] for j, o in enumerate(objs)},
        "se": {o.metric: se[0, j] for j, o in enumerate(objs)},
        "dominated_by": len(better_rules),
        "robustness": measure,
    }


def _recommend(scores: Scores, kept: list[int], near: int | None, objs) -> dict[str, int]:
    """The nearest rule to the reference, the best rule in each objective, and the balanced rule
    (nearest the ideal point, objectives scaled to the front's range)."""
    chosen: dict[str, int] = {}
    if near is not None:
        chosen["nearest"] = near
    sub = scores.value[kept]
    for j, obj in enumerate(objs):
        k = kept[int(np.nanargmin(sub[:, j]))]
        if k not in chosen.values():
            chosen[rule_name(f"best-{obj.metric}")] = k
    span = np.nanmax(sub, axis=0) - np.nanmin(sub, axis=0)
    scaled = (sub - np.nanmin(sub, axis=0)) / np.where(span > 0, span, 1)
    k = kept[int(np.nanargmin(np.sqrt((scaled**2).sum(axis=1))))]
    if len(objs) > 1 and k not in chosen.values():
        chosen["balanced"] = k
    return chosen


def _edge_notes(space, U: np.ndarray) -> list[str]:
    """A note for each number lever that every Pareto rule (rows of ``U``, the unit cube) sets
    within :data:`EDGE` of one end of its range (the curated search's audit rate at 0.36–0.40 of
    0–0.4: the best may lie beyond)."""
    out = []
    for i, lever in enumerate(space.levers):
        if lever.kind == "choice" or len(U) < 2 or lever.low is None or lever.high is None:
            continue
        values = {"lever": lever.path, "low": f"{lever.low:g}", "high": f"{lever.high:g}"}
        if (U[:, i] >= 1 - EDGE).all():
            out.append(note("edge_high", **values))
        elif (U[:, i] <= EDGE).all():
            out.append(note("edge_low", **values))
    return out


def idle_quotas(model, sets: list[str]) -> set[str]:
    """The quota levers (``rule.grading.quota.<band>``) among a candidate's assignments ``sets``
    that change nothing: reverting that one lever to the reference's share, with every other
    assignment kept, leaves every class's places the same in every world of the search. 0.15
    and 0.183 of classes of 14, 9 and 7 units both give 2 + 1 + 1, so a search's "raise the
    quota to 0.183" changes nothing; under another rounding, or in a world of other sizes, the
    same two shares may differ."""
    idle = set()
    for text in sets:
        path = text.split("=", 1)[0]
        if not path.startswith("rule.grading.quota."):
            continue
        others = [s for s in sets if s != text]
        alike = True
        for world in model.worlds:
            pair = [
                scenario_from_dict(model.raw, source=model.source, overrides=[*x, *world])
                for x in (sets, others)
            ]
            band = path.removeprefix("rule.grading.quota.")
            places = [quota_places(sc).get(band) for sc in pair]
            alike = alike and places[0] is not None and places[0] == places[1]
        if alike:
            idle.add(path)
    return idle


def _without_moves(info: dict[str, Any], paths: set[str], reference: dict) -> dict[str, Any]:
    """The nearest rule's record without the lever moves of ``paths``, whose values are the
    reference's (``reference``: lever name → value)."""
    if not paths:
        return info
    moves = [m for m in info["moves"] if m["path"] not in paths]
    return {
        **info,
        "levers": {k: v for k, v in info["levers"].items() if k not in paths} | reference,
        "moves": moves,
        "changes": [move_phrase(m) for m in moves],
        "sentence": nearest_sentence(moves, info["effect_items"]),
    }


def _nearest_info(
    near, scores, objs, measure, space, ref_values, U, table, front_rows, better_rules
) -> dict[str, Any]:
    if near is None:
        return {}
    values, _ = _units(scores, objs, measure)
    new_values = space.values(U[near - 1])
    moves = lever_moves(space, ref_values, new_values)
    diff, tol = scores.differences(near, 0)
    items = effect_items(objs, values[0], values[near], list(np.abs(diff) <= tol))
    pareto_better = near in better_rules
    return {
        "candidate": int(table.loc[front_rows[near - 1], "candidate"]),
        "pareto_better": pareto_better,
        "levers": dict(zip(space.names, new_values, strict=True)),
        "changes": [move_phrase(m) for m in moves],
        "effects": [effect_phrase(e) for e in items],
        "moves": moves,  # the report says them in its own language (nearest_sentence)
        "effect_items": items,
        "sentence": nearest_sentence(moves, items),
    }
