"""Rule comparison under common random numbers: paired differences, verdicts, robustness.

Every rule is simulated with the same seed. Rules that share a world (variants of one scenario, or
files with the same departments, tasks, indicators and raters) then see the *same* departments and
the *same* noise draws, replication by replication, so the difference of a metric between two rules
is computed per replication (paired) and its standard error is that of the paired differences:

    d_r = m_{B,r} − m_{A,r},   d̄ ± t_{0.975, n−1} · sd(d) / √n.

A verdict honours each metric's direction (higher or lower is better) and the smallest difference
that matters, δ (per metric: :func:`perfsim.metric_registry.min_difference`, a fixed amount in the
metric's units or a share of its spread across the reference's replications; ``min_differences``
overrides it):

- *no practical difference* when the whole 95 % interval lies within [−δ, δ] (shown too small to
  matter);
- *better* or *worse* when the interval excludes 0 and the estimated difference reaches δ;
- *slightly better* or *slightly worse* when the interval excludes 0 but the estimated difference
  is smaller than δ (detectable; the interval leaves open whether it matters);
- otherwise *no detectable difference* (the interval holds 0 and differences that would matter);
- no verdict (blank) where no replication has the metric under both rules (a rater group's
  reliability that the reference's rater mix does not have): no difference was estimated;
- *not comparable* for a misclassification metric when the two rules do not grade alike: the
  metric counts the rule's own true top group (:attr:`perfsim.metric_registry.Metric.per_quota`:
  as many units as the top grade's quota admits) and that group is a share of units
  :data:`BAND_TOLERANCE` or more away from the reference's, or it counts units given the
  top or bottom grade (:attr:`~perfsim.metric_registry.Metric.graded_band`) and the rule gives
  that grade to a share of units :data:`BAND_TOLERANCE` or more away from the reference's. A rule
  that makes 31 % of units 优秀 misses fewer of the true top than one that makes 14 % 优秀,
  whatever its scores.

Robustness (``across``): every rule runs in every combination of assumed world parameters; per
metric, a rule's *worst case* is its worst mean over those worlds and its *regret* in a world is its
distance from the best rule there; a robust rule has a small maximum regret.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from ..engine import model_of
from ..metric_registry import MAXIMA, better, metric_info, min_difference
from ..scenario import (
    Problem,
    Scenario,
    ScenarioError,
    WorldSpec,
    arguments,
    coverage,
    resolve_scenario,
    scenario_raw,
    scenario_source,
)
from ..scenario import worlds as worlds_mod
from ..scenario.errors import error
from ..scenario.loader import scenario_from_dict
from ..scenario.overrides import partition_any, separators
from ..scenario.paths import repeated_paths
from ..simulation import SimulationResult, simulate
from ..world.convergence import run_label


@dataclass
class Comparison:
    """The result of :func:`compare`."""

    table: (
        pd.DataFrame
    )  # world, metric, rule, mean, se, diff, diff_se, diff_low, diff_high, min_diff, verdict
    results: dict[tuple[str, str], SimulationResult]  # (world, rule) → result
    rules: list[str]
    worlds: list[str]
    robustness: pd.DataFrame | None = None  # metric, rule, worst, max_regret, mean_regret
    scenarios: dict[str, Scenario] = field(default_factory=dict)
    started: str = ""  # UTC, ISO 8601
    finished: str = ""

    def verdicts(self, world: str | None = None) -> pd.DataFrame:
        """metric × rule table of verdicts against the first rule."""
        if world is not None:
            arguments.one_of("world", world, self.worlds)
        t = self.table[self.table["world"] == (world or self.worlds[0])]
        return t.pivot(index="metric", columns="rule", values="verdict")[self.rules[1:]]


def direction(metric: str) -> str:
    """'higher', 'lower' or '' (a descriptive quantity without a better side); from
    :mod:`perfsim.metric_registry`."""
    return better(metric)


def paired_difference(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float, float, int]:
    """Mean and standard error of b − a over replications where both are finite, and the 95 % t
    interval. Returns (mean, se, low, high, n)."""
    ok = np.isfinite(a) & np.isfinite(b)
    d = b[ok] - a[ok]
    n = d.size
    if n == 0:
        return (np.nan,) * 4 + (0,)
    mean = float(d.mean())
    if n < 2:
        return mean, np.nan, np.nan, np.nan, n
    se = float(d.std(ddof=1) / np.sqrt(n))
    half = float(stats.t.ppf(0.975, n - 1) * se)
    return mean, se, mean - half, mean + half, n


def unpaired_difference(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float, float]:
    """Welch interval of mean(b) − mean(a) as if the runs were independent (for comparison)."""
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = float(np.sqrt(va + vb))
    dof = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1)) if se > 0 else 1.0
    half = float(stats.t.ppf(0.975, dof) * se)
    mean = float(b.mean() - a.mean())
    return mean, se, mean - half, mean + half


BETTER, WORSE = "better", "worse"
SLIGHTLY_BETTER, SLIGHTLY_WORSE = "slightly better", "slightly worse"
NO_PRACTICAL = "no practical difference"
NOT_DETECTED = "no detectable difference"
NOT_COMPARABLE = "not comparable"
VERDICTS = (
    BETTER,
    WORSE,
    SLIGHTLY_BETTER,
    SLIGHTLY_WORSE,
    NO_PRACTICAL,
    NOT_DETECTED,
    NOT_COMPARABLE,
)
"""Every verdict of a rule against the reference ("reference" for the reference itself, "" for a
metric without a better side)."""


def verdict(metric: str, low: float, high: float, min_diff: float, diff: float) -> str:
    """The verdict of a paired difference ``diff`` with 95 % interval [low, high] (see the
    module's docstring); ``min_diff``: the smallest difference that matters (NaN or 0: any
    difference). None (blank) for a quantity without a better side, and where ``diff`` is NaN:
    no replication has the metric under both rules (a rater group the reference does not have)."""
    d = direction(metric)
    if not d or not np.isfinite(diff):  # (no replication has the metric under both rules)
        return ""
    if not np.isfinite(low) or not np.isfinite(high):
        return NOT_DETECTED
    delta = float(min_diff) if np.isfinite(min_diff) else 0.0
    if delta > 0 and -delta <= low and high <= delta:
        return NO_PRACTICAL
    if low <= 0 <= high:
        return NOT_DETECTED
    mid = float(diff) if np.isfinite(diff) else (low + high) / 2
    good = (low > 0) == (d == "higher")
    if abs(mid) < delta:  # detectable, but the interval reaches past ±δ: it may or may not matter
        return SLIGHTLY_BETTER if good else SLIGHTLY_WORSE
    return BETTER if good else WORSE


def check_min_differences(min_differences: Mapping[str, float], known: Iterable[str]) -> None:
    """Each key a metric of the run (``known``), each value a finite number ≥ 0; else a
    :class:`ScenarioError` naming the option, the metric and what is allowed."""
    names = list(known)
    problems = []
    for metric, value in min_differences.items():
        if metric not in names:
            allowed = "one of " + ", ".join(n for n in names if better(n))
            problems.append(Problem("--min-diff", metric, metric, f"not a metric; {allowed}"))
        elif not (isinstance(value, int | float) and np.isfinite(value) and value >= 0):
            problems.append(Problem("--min-diff", metric, value, error("min_diff_value")))
    if problems:
        raise ScenarioError(problems)


def parse_min_diff(text: str) -> tuple[str, float]:
    """``METRIC=VALUE`` → (metric, value) (checked against the run's metrics later)."""
    metric, sep, value = partition_any(text, "=")
    try:
        number = float(value)
    except ValueError:
        number = None
    if not sep or not metric.strip() or number is None:
        raise ScenarioError([Problem("--min-diff", text, text, error("min_diff_form"), False)])
    return metric.strip(), number


def split_top_level(text: str, sep: str = ",") -> list[str]:
    """Split on ``sep`` (or its full-width forms, :func:`perfsim.scenario.overrides.separators`)
    outside brackets, braces and quotes (values may be TOML lists)."""
    parts, depth, quote, buf = [], 0, None, ""
    for ch in text:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch in separators(sep) and depth == 0:
            parts.append(buf)
            buf = ""
            continue
        buf += ch
    parts.append(buf)
    return [p.strip() for p in parts if p.strip()]


def parse_variant(text: str) -> tuple[str, list[str]]:
    """``NAME:PATH=VALUE[,PATH=VALUE]`` (or ``NAME:@FRAGMENT.toml``, the changed keys in a file,
    as ``--set @FRAGMENT.toml`` takes them) → (name, overrides)."""
    name, sep, rest = partition_any(text, ":")
    fragment = rest.strip().startswith("@") and len(rest.strip()) > 1
    if not sep or not name.strip() or not (fragment or partition_any(rest, "=")[1]):
        raise ScenarioError(
            [
                Problem(
                    "--variant",
                    text,
                    text,
                    error("variant_form", example="social40:rule.components.社会评价.share=0.4"),
                    False,
                )
            ]
        )
    return name.strip(), split_top_level(rest)


def parse_across(text: str) -> tuple[str, list[str]]:
    """``PATH=V1,V2,V3`` → (path, [values])."""
    path, sep, values = partition_any(text, "=")
    items = split_top_level(values)
    if not sep or not path.strip() or not items:
        raise ScenarioError(
            [
                Problem(
                    "--across",
                    text,
                    text,
                    error("across_form", example="world.indicators.公共服务.gameability=0.5,1,2"),
                    False,
                )
            ]
        )
    return path.strip(), items


def parse_acrosses(texts: Iterable[str], levers: Iterable[str] = ()) -> list[tuple[str, list[str]]]:
    """Every ``--across`` (:func:`parse_across`), refusing a path given twice (its worlds were
    labelled with values the second overrode) or that is also a ``--lever`` of an optimisation
    (the world's value silently replaced the lever's)."""
    axes = [parse_across(t) for t in texts]
    paths, levers = [p for p, _ in axes], list(levers)
    twice = repeated_paths(paths)
    on_lever = [p for p in repeated_paths(paths + levers) if p in paths]
    for bad, key in ((twice, "across_twice"), (on_lever, "across_lever")):
        if bad:
            raise ScenarioError([Problem("--across", bad[0], None, error(key), False)])
    return axes


def _rule_name(s: Scenario, fallback: str) -> str:
    return s.name or fallback


def _named(scenarios, overrides: list[str], world) -> dict[str, Scenario]:
    """The scenarios given (one alone, a list or a mapping name → scenario) by rule name."""
    named: dict[str, Scenario] = {}
    if isinstance(scenarios, str | Path | Scenario):  # one scenario alone: a list of one
        scenarios = [scenarios]
    items = scenarios.items() if isinstance(scenarios, Mapping) else [(None, s) for s in scenarios]
    for key, item in items:
        sc = resolve_scenario(item, overrides, world)
        name = key or _rule_name(sc, Path(scenario_source(sc)).stem)
        if name in named:
            name = f"{name} ({Path(scenario_source(sc)).stem})"
        named[name] = sc
    if not named:
        raise ScenarioError([Problem("compare", "", None, "give at least one scenario", False)])
    return named


def compare(
    scenarios: Sequence[Scenario | str | Path] | Mapping[str, Scenario | str | Path],
    *,
    variants: Iterable[str] = (),
    across: Iterable[str] = (),
    overrides: Iterable[str] = (),
    reps: int = 100,
    seed: int = 0,
    jobs: int = 1,
    progress: Callable[[int], None] | None = None,
    min_differences: Mapping[str, float] | None = None,
    world: WorldSpec | None = None,
) -> Comparison:
    """Compare rules on the same simulated departments (common random numbers).

    ``scenarios``: files or Scenario objects (the first is the reference), or a mapping name →
    scenario. ``variants``: ``NAME:PATH=VALUE[,PATH=VALUE]`` variants of the *first* scenario.
    ``across``: ``PATH=V1,V2`` assumptions (repeatable; every combination is a world).
    ``overrides`` apply to every rule. ``world``: run every rule on this world (a bundled name,
    a file with a [world], or that table), fitted to each rule by name. ``min_differences``:
    metric → smallest difference that matters, in the metric's units, instead of the registry's
    default (see the module docstring).
    """
    overrides = arguments.texts("overrides", overrides)
    variants = arguments.texts("variants", variants)
    across = arguments.texts("across", across)
    reps, seed = arguments.whole("reps", reps), arguments.seed(seed)
    jobs = arguments.whole("jobs", jobs)
    named = _named(scenarios, overrides, world)
    if world is None:  # (the scenarios given; a --variant that changes the world is meant to)
        worlds_mod.warn_other_worlds(named)
    base = next(iter(named.values()))
    for text in variants:
        name, extra = parse_variant(text)
        if name in named:
            taken = error("name_taken", name=repr(name))
            raise ScenarioError([Problem("--variant", text, None, taken, False)])
        source = scenario_source(base)
        given = " ".join(["--set", *overrides]) + " " if overrides else ""
        named[name] = scenario_from_dict(
            scenario_raw(base),
            source=source,
            overrides=overrides + extra,
            label=f"{source} ({given}--variant {text})",
        )
    if len(named) < 2:
        raise ScenarioError([Problem("compare", "", None, error("compare_two"), False)])

    axes = parse_acrosses(across)
    worlds: dict[str, list[str]] = {}
    for combo in itertools.product(*[[f"{p}={v}" for v in vals] for p, vals in axes]):
        worlds[", ".join(combo) if combo else "base"] = list(combo)

    from datetime import UTC, datetime

    started = datetime.now(UTC).isoformat(timespec="seconds")
    results: dict[tuple[str, str], SimulationResult] = {}
    # every world's scenarios before any run: a value of --across that is wrong stops the
    # comparison at once, not after the runs of the worlds before it
    runs = {(w, r): _in_world(sc, sets) for w, sets in worlds.items() for r, sc in named.items()}
    with coverage.collected() as dropped:  # one warning for all runs, after them
        for wname in worlds:
            for rname in named:
                scw = runs[(wname, rname)]
                label = f"rule {rname}" + ("" if wname == "base" else f", world {wname}")
                with run_label(label):  # a convergence warning names the variant, not the file
                    results[(wname, rname)] = simulate(
                        scw, reps=reps, seed=seed, jobs=jobs, progress=progress
                    )
    sources = dict.fromkeys(scenario_source(sc) for sc in named.values())
    coverage.warn_not_simulated(", ".join(sources), coverage.merged(dropped))
    rules, world_names = list(named), list(worlds)
    min_differences = dict(min_differences or {})
    check_min_differences(min_differences, results[(world_names[0], rules[0])].per_rep.columns)
    groups = {r: _top_group(sc) for r, sc in named.items()}
    table = _table(results, rules, world_names, min_differences, groups)
    robust = _robustness(table, rules) if len(world_names) > 1 else None
    return Comparison(
        table=table,
        results=results,
        rules=rules,
        worlds=world_names,
        robustness=robust,
        scenarios=named,
        started=started,
        finished=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def _in_world(sc: Scenario, sets: list[str]) -> Scenario:
    """The scenario under one combination of ``--across`` assumptions (an error names them)."""
    if not sets:
        return sc
    source = scenario_source(sc)
    label = error("with_across", source=source, sets=" ".join(sets))
    return scenario_from_dict(scenario_raw(sc), source=source, overrides=sets, label=label)


def smallest_difference(metric: str, reference: np.ndarray, given: Mapping[str, float]) -> float:
    """The smallest difference of ``metric`` that matters: ``given`` (the user's), else the
    registry's default, whose spread is the sd of the ``reference`` rule's replications and whose
    level their mean."""
    if metric in given:
        return float(given[metric])
    finite = reference[np.isfinite(reference)]
    spread = float(finite.std(ddof=1)) if finite.size > 1 else np.nan
    level = float(finite.mean()) if finite.size else np.nan
    return min_difference(metric, spread, level) if metric_info(metric) else np.nan


def _table(
    results,
    rules: list[str],
    worlds: list[str],
    min_differences: Mapping[str, float],
    groups: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """The comparison's table; ``groups``: the share of units each rule counts as the true top
    (:func:`_top_group`), which with each run's grade shares decides :data:`NOT_COMPARABLE`."""
    groups = groups or {}
    rows = []
    for wname in worlds:
        ref = results[(wname, rules[0])]
        grading = {r: _grading(results[(wname, r)], groups.get(r)) for r in rules}
        for rname in rules:
            res = results[(wname, rname)]
            summary = res.metrics.set_index("metric")
            for metric in summary.index:
                a = (
                    ref.per_rep[metric].to_numpy(float)
                    if metric in ref.per_rep
                    else np.full(len(res.per_rep), np.nan)
                )
                b = res.per_rep[metric].to_numpy(float)
                mean, se, low, high, _ = (
                    paired_difference(a, b) if len(a) == len(b) else (np.nan,) * 5
                )
                if metric in MAXIMA:  # the difference of the maxima: no paired mean, no interval
                    top = ref.metrics.set_index("metric")["mean"].get(metric, np.nan)
                    mean, se, low, high = summary.loc[metric, "mean"] - top, np.nan, np.nan, np.nan
                delta = smallest_difference(metric, a, min_differences)
                rows.append(
                    {
                        "world": wname,
                        "metric": metric,
                        "rule": rname,
                        "mean": summary.loc[metric, "mean"],
                        "se": summary.loc[metric, "se"],
                        "direction": direction(metric),
                        "diff": mean if rname != rules[0] else 0.0,
                        "diff_se": se if rname != rules[0] else 0.0,
                        "diff_low": low if rname != rules[0] else 0.0,
                        "diff_high": high if rname != rules[0] else 0.0,
                        "min_diff": delta,
                        "verdict": (
                            "reference"
                            if rname == rules[0]
                            else NOT_COMPARABLE
                            if _graded_otherwise(metric, grading[rname], grading[rules[0]])
                            else verdict(metric, low, high, delta, mean)
                        ),
                    }
                )
    return pd.DataFrame(rows)


def _top_group(sc: Scenario) -> float:
    """The share of departments the misclassification metrics count as the true top under a
    rule: the engine's own (:func:`perfsim.engine.top_group_share`, of the model it ran)."""
    return float(model_of(sc).fixed["top_share"])


#: two rules whose shares of units in the top (or bottom) grade differ by this much or more are
#: not judged on the metrics that count that grade (2 points: one unit of 50)
BAND_TOLERANCE = 0.02


def _grading(result: SimulationResult, top_group: float | None) -> dict:
    """How a rule grades in a run: the share of units in its true top group and the shares of units it
    gives the top and the bottom grade (its grade confusion's column sums)."""
    given = result.confusion.sum(axis=0).to_numpy(dtype=float)
    return {"per_quota": top_group, "top": float(given[0]), "bottom": float(given[-1])}


def _graded_otherwise(metric: str, rule: dict, reference: dict) -> bool:
    """Whether ``metric`` is not comparable between a rule and the reference (of :func:`_grading`):
    a true top group, or a share of units in the grade the metric counts, :data:`BAND_TOLERANCE`
    or more away from the reference's."""
    info = metric_info(metric)
    if info is None:
        return False
    if info.per_quota and abs(rule["per_quota"] - reference["per_quota"]) >= BAND_TOLERANCE - 1e-12:
        return True
    band = info.graded_band
    return bool(band) and abs(rule[band] - reference[band]) >= BAND_TOLERANCE - 1e-12


def _robustness(table: pd.DataFrame, rules: list[str]) -> pd.DataFrame:
    """Per metric with a better side and rule: the worst mean over the worlds and the largest and
    mean regret. A rule :data:`NOT_COMPARABLE` with the reference on a metric in any world is not
    judged on it (NaN), and is not the best rule another's regret is measured from."""
    rows = []
    for metric, group in table.groupby("metric", sort=False):
        d = direction(metric)
        if not d:
            continue
        judged = group["verdict"] != NOT_COMPARABLE
        judged = judged.groupby(group["rule"]).transform("all")  # (in every world)
        means = group.assign(mean=group["mean"].where(judged))
        # (reindexed: a metric one rule's world has not, a rater group's, is NaN for it)
        means = means.pivot(index="world", columns="rule", values="mean").reindex(columns=rules)
        best = means.max(axis=1) if d == "higher" else means.min(axis=1)
        regret = (best.to_numpy()[:, None] - means.to_numpy()) * (1 if d == "higher" else -1)
        worst = means.min(axis=0) if d == "higher" else means.max(axis=0)
        for k, rule in enumerate(rules):
            rows.append(
                {
                    "metric": metric,
                    "rule": rule,
                    "direction": d,
                    "worst": worst[rule],
                    "max_regret": regret[:, k].max() + 0.0,  # (NaN when not judged)
                    "mean_regret": regret[:, k].mean() + 0.0,
                }
            )
    return pd.DataFrame(rows)


def comparison_metadata(comp: Comparison, *, seed: int, reps: int) -> dict:
    """What a comparison folder's ``metadata.json`` says (``runs`` and ``written`` are filled in
    when it is written)."""
    from .. import __version__
    from ..scenario import scenario_hash

    return {
        "kind": "comparison",
        "perfsim_version": __version__,
        "seed": seed,
        "reps": reps,
        "rules": comp.rules,
        "worlds": comp.worlds,
        "runs": [],
        "scenario_hashes": {n: scenario_hash(s) for n, s in comp.scenarios.items()},
        "resolved_scenarios": {n: scenario_raw(s) for n, s in comp.scenarios.items()},
        "started": comp.started,
        "finished": comp.finished,
    }


def write_comparison(
    comp: Comparison, out: str | Path, *, seed: int, reps: int, force: bool = False
) -> Path:
    """Write a comparison run folder atomically: ``metadata.json``, ``comparison.csv``,
    ``robustness.csv`` (with ``across``) and one sub-run per world × rule under ``runs/``."""
    meta = comparison_metadata(comp, seed=seed, reps=reps)
    return write_comparison_folder(
        meta, comp.table, comp.robustness, comp.results, out, force=force
    )


def write_comparison_folder(
    metadata: Mapping,
    table: pd.DataFrame,
    robustness: pd.DataFrame | None,
    runs: Mapping[tuple[str, str], SimulationResult],
    out: str | Path,
    *,
    force: bool = False,
) -> Path:
    """Write a comparison folder from its parts (:func:`comparison_metadata`, the comparison and
    robustness tables, the run of each (world, rule)); :func:`write_comparison` and
    :class:`perfsim.results.ComparisonRecord` write through here."""
    import json
    from datetime import UTC, datetime

    from ..csvsafe import to_csv
    from ..io import atomic_dir
    from ..results.names import ComparisonFiles
    from ..simulation import write_run

    with atomic_dir(out, "comparison", force=force) as tmp:
        folders = []
        for i, world in enumerate(metadata["worlds"]):
            for j, rule in enumerate(metadata["rules"]):
                folder = ComparisonFiles.run(i, j)
                write_run(runs[(world, rule)], tmp / folder)
                folders.append({"folder": folder, "world": world, "rule": rule})
        meta = {**metadata, "runs": folders}
        meta["written"] = datetime.now(UTC).isoformat(timespec="seconds")
        (tmp / ComparisonFiles.METADATA).write_text(
            json.dumps(meta, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
        )
        to_csv(table, tmp / ComparisonFiles.COMPARISON)
        if robustness is not None:
            to_csv(robustness, tmp / ComparisonFiles.ROBUSTNESS)
    return Path(out)
