"""The ``perfsim`` command line. User errors print one clear message and exit with status 2."""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from . import __version__
from .scenario import DataError, PerfsimError, load_scenario, read_toml, resolve_path
from .scenario.loader import _BUNDLED

EXAMPLES = {
    "validate": """examples:
  perfsim validate scenarios/hangzhou-2011.toml
  perfsim validate hangzhou-2011 --set rule.components.社会评价.share=0.4""",
    "score": """examples:
  perfsim score scenarios/data/hangzhou-2011-units.csv --rule scenarios/hangzhou-2011.toml
  perfsim score last_year.csv --rule hangzhou-2011 --set rule.grading.quota.优秀=0.2 --out ranked.csv
  perfsim score units.xlsx --rule my-rule.toml --id-column 单位 --class-column 类别""",
    "scenarios": """examples:
  perfsim scenarios""",
    "run": """examples:
  perfsim run scenarios/hangzhou-2011.toml
  perfsim run hangzhou-2011 --reps 500 --seed 7 --jobs 2 --out results/hz-500
  perfsim run hangzhou-2011 --set rule.components.社会评价.share=0.4 --set world.policy=\"naive\"""",
    "compare": """examples:
  perfsim compare scenarios/hangzhou-2011.toml \\
      --variant social40:rule.components.社会评价.share=0.4 \\
      --variant classes:rule.grading.scope=\\"within_class\\" \\
      --variant audit20:rule.audit.probability=0.2
  perfsim compare a.toml b.toml --reps 400 --out results/a-vs-b
  perfsim compare hangzhou-2011 --variant q20:rule.grading.quota.优秀=0.2 \\
      --across world.indicators.公共服务.gameability=0.5,1,2""",
    "sensitivity": """examples:
  perfsim sensitivity scenarios/teaching/sensitivity-demo.toml --method sobol --n 64 --reps 5
  perfsim sensitivity teaching/sensitivity-demo --method morris --n 20 --jobs 2 \\
      --bound "class_bias<8" --bound "gaming_share<0.1"
  perfsim sensitivity hangzhou-2011 --uncertain my-inputs.toml --method sobol --n 1024 --jobs 2
  perfsim sensitivity hangzhou-2011 --uncertain my-inputs.toml --scheduler tcp://10.0.0.5:8786
  perfsim sensitivity teaching/sensitivity-demo --out results/sa-demo --resume   # after a stop""",
    "empirical": """examples:
  perfsim empirical scenarios/data/hangzhou-2011-pilot-ratings.csv.gz \\
      --rule scenarios/hangzhou-2011.toml --units scenarios/data/hangzhou-2011-pilot-units.csv \\
      --variant social40:rule.components.社会评价.share=0.4 \\
      --variant classes:rule.grading.scope=\\"within_class\\"
  perfsim empirical ratings.xlsx --rule my-rule.toml --units units.xlsx --compare other-rule.toml
  perfsim empirical ratings.csv --scale "差=0,中=50,好=100" --reps 2000 --out results/pilot
  perfsim empirical last_year.csv --rule hangzhou-2011 --compare mlr-2011   # a wide table
then simulate with the calibrated raters:
  perfsim run scenarios/hangzhou-2011.toml --set @results/pilot/calibrated.toml""",
    "report": """examples:
  perfsim report results/compare-hangzhou-2011-seed0
  perfsim report results/hangzhou-2011-seed0
  perfsim report results/examples/hangzhou-pilot""",
    "verify": """examples:
  perfsim verify
  perfsim verify --reps 400 --only V2,V2q
  perfsim verify --set V2:world.indicators.output.noise=0.3 --set V3:rule.audit.probability=0.1""",
}


def _add_set(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override one scenario key by dotted path (repeatable), e.g. "
        "--set rule.grading.quota.优秀=0.15; shares and weights: vary one, rescale the rest; "
        "--set @FRAGMENT.toml sets every key of a fragment (e.g. perfsim empirical's calibrated.toml)",
    )


def _add_force(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument(
        "--force",
        action="store_true",
        help=f"replace {what} even if it is a perfsim folder of another kind or from an older "
        "perfsim (a folder perfsim did not write, or one holding your own files, is never touched)",
    )


def _default_out(name: str, overrides: Sequence[str], seed: int | None = None) -> str:
    """``results/<name>-seed<seed>``, with ``-set<hash>`` (a short hash of the ``--set`` texts)
    when there are overrides, so that a variant never lands in the plain run's folder."""
    if overrides:
        import hashlib

        name += "-set" + hashlib.sha256("\n".join(overrides).encode("utf-8")).hexdigest()[:6]
    return f"results/{name}" + ("" if seed is None else f"-seed{seed}")


def _add_encoding(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--encoding",
        default="auto",
        help="text encoding of CSV tables (default auto: UTF-8 with or without BOM, then GB18030, "
        "which covers GBK), e.g. --encoding gbk",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="perfsim",
        description="Test performance-evaluation rules for government units before adopting them.",
    )
    parser.add_argument("--version", action="version", version=f"perfsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        return sub.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=EXAMPLES[name],
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    p = command("validate", "Check a scenario or rule file; exit 0 if valid, 2 if not.")
    p.add_argument("file", help="scenario TOML file, or the name of a bundled scenario")
    _add_set(p)

    p = command("score", "Score a real table (one row per department) with a rule.")
    p.add_argument(
        "data", help="CSV or Excel table: id, class, indicator, component and bonus columns"
    )
    p.add_argument("--rule", required=True, help="rule or scenario TOML file (or a bundled name)")
    p.add_argument("--out", help="write the scored table to this CSV file (default: print only)")
    p.add_argument("--force", action="store_true", help="replace the --out file if it exists")
    p.add_argument(
        "--id-column", default="department", help="column of department ids (default: department)"
    )
    p.add_argument(
        "--class-column", default="class", help="column of department classes (default: class)"
    )
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    _add_encoding(p)
    _add_set(p)

    command("scenarios", "List the bundled scenarios.")

    p = command("run", "Simulate a scenario: departments respond to the rule; write a run folder.")
    p.add_argument("scenario", help="scenario TOML file with a [world] part (or a bundled name)")
    p.add_argument("--reps", type=int, default=100, help="replications (default: 100)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--jobs", type=int, default=1, help="worker processes (default: 1)")
    p.add_argument(
        "--out",
        help="run folder (default: results/<scenario>-seed<seed>, with -set<hash> for --set variants)",
    )
    _add_force(p, "the --out folder")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    _add_set(p)

    p = command(
        "compare",
        "Compare rules on the same simulated departments (paired, common random numbers).",
    )
    p.add_argument("scenarios", nargs="+", help="scenario files (the first is the reference)")
    p.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME:PATH=VALUE[,PATH=VALUE]",
        help="a variant of the first scenario (repeatable)",
    )
    p.add_argument(
        "--across",
        action="append",
        default=[],
        metavar="PATH=V1,V2,...",
        help="run every rule under each of these assumptions (repeatable: all combinations)",
    )
    p.add_argument(
        "--reps", type=int, default=100, help="replications per rule and world (default: 100)"
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--jobs", type=int, default=1, help="worker processes (default: 1)")
    p.add_argument(
        "--out", help="run folder (default: results/compare-<first scenario>-seed<seed>)"
    )
    _add_force(p, "the --out folder")
    p.add_argument("--quiet", action="store_true", help="no progress bar or table")
    _add_set(p)

    p = command(
        "sensitivity",
        "Global sensitivity analysis (SALib) of a scenario's [uncertain] inputs; write a run folder.",
    )
    from .experiments.sensitivity import METHODS, SensitivityPlan, methods_help, sizes_help

    plan = SensitivityPlan()  # the defaults
    p.add_argument("scenario", help="scenario TOML file with [world] and [uncertain] (or a name)")
    p.add_argument(
        "--method",
        choices=METHODS,
        default=plan.method,
        help=f"{methods_help()} (default: {plan.method})",
    )
    p.add_argument("--n", type=int, help=sizes_help())
    p.add_argument(
        "--reps",
        type=int,
        default=plan.reps,
        help=f"replications per sample (default: {plan.reps})",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=plan.seed,
        help=f"random seed of the sample and of every run (default: {plan.seed})",
    )
    p.add_argument(
        "--jobs", type=int, default=plan.jobs, help=f"worker processes (default: {plan.jobs})"
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on a Dask cluster, e.g. tcp://10.0.0.5:8786, or 'local' for a LocalCluster of "
        "--jobs workers",
    )
    p.add_argument(
        "--out", help="run folder (default: results/sensitivity-<scenario>-<method>-seed<seed>)"
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue an interrupted run in --out (finished chunks are kept; rerunning into the "
        "same folder does this too)",
    )
    p.add_argument(
        "--uncertain",
        metavar="FILE",
        help="TOML file with the [uncertain] table to use instead of the scenario's",
    )
    p.add_argument(
        "--bound",
        action="append",
        default=[],
        metavar="EXPR",
        help='designer bound on a metric (repeatable), e.g. --bound "class_bias<5": report the '
        "ranges of the rule inputs that keep every bounded metric within bounds",
    )
    p.add_argument(
        "--metric",
        action="append",
        default=[],
        help="analyse only this metric (repeatable; default: every metric)",
    )
    p.add_argument(
        "--second-order", action="store_true", help="sobol: also second-order indices S2"
    )
    p.add_argument(
        "--chunk-size",
        type=int,
        default=plan.chunk_size,
        help=f"samples per chunk file (default: {plan.chunk_size})",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    _add_set(p)

    p = command(
        "empirical",
        "Analyse real ratings: reliability, rater effects, rank intervals, other rules, calibration.",
    )
    p.add_argument(
        "data",
        help="long ratings table (CSV, CSV.GZ or Excel: unit, unit_class, rater_group, rater, "
        "component, item, score or answer), or the wide table of perfsim score",
    )
    p.add_argument(
        "--rule",
        help="rule or scenario TOML (default: the mean of the rated components); a scenario with "
        "a [world] also gets its raters calibrated",
    )
    p.add_argument(
        "--units",
        help="wide units table with the indicator, bonus and veto columns the rule reads besides "
        "the ratings (the table of perfsim score)",
    )
    p.add_argument(
        "--compare",
        action="append",
        default=[],
        metavar="RULE.toml",
        help="re-score the same data with another rule (repeatable); adds a rank-change table",
    )
    p.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME:PATH=VALUE[,PATH=VALUE]",
        help="re-score with a variant of --rule (repeatable), e.g. "
        "social40:rule.components.社会评价.share=0.4",
    )
    p.add_argument(
        "--scale",
        help="answer scale as LABEL=POINTS, lowest first or not, e.g. "
        "'不满意=0,基本满意=60,比较满意=80,满意=100' (the default)",
    )
    p.add_argument(
        "--score-max", type=float, default=100.0, help="scores run 0..SCORE_MAX (default: 100)"
    )
    p.add_argument("--reps", type=int, default=1000, help="bootstrap replicates (default: 1000)")
    p.add_argument("--level", type=float, default=0.95, help="interval level (default: 0.95)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument(
        "--strata",
        default="auto",
        choices=["auto", "group", "group×unit"],
        help="bootstrap strata (default auto: group, or group×unit when each rater rated one unit)",
    )
    p.add_argument("--id-column", default="department", help="units table id column")
    p.add_argument("--class-column", default="class", help="units table class column")
    p.add_argument("--out", help="result folder (default: results/empirical-<data name>)")
    _add_force(p, "the --out folder")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    _add_encoding(p)
    _add_set(p)

    p = command("report", "Write report.html (self-contained) and report.md for a result folder.")
    p.add_argument(
        "run_dir", help="a folder written by perfsim run, compare, sensitivity or empirical"
    )
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")

    p = command("verify", "Run the validation suite V1-V6: the engine against closed-form theory.")
    p.add_argument("--reps", type=int, default=200, help="replications per check (default: 200)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--only", help="comma-separated rows, e.g. V1,V2q (default: all)")
    p.add_argument("--quiet", action="store_true", help="no progress messages")
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="[ROW:]PATH=VALUE",
        help="override a theory scenario's key, for one row (V2:PATH=VALUE) or all; the closed "
        "forms follow the new values",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return HANDLERS[args.command](args)
    except PerfsimError as exc:
        print(f"perfsim {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `perfsim score ... | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("perfsim: interrupted", file=sys.stderr)
        return 130


def _validate(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.file, args.overrides)
    rule = scenario.rule
    comps = rule.resolved_components()
    total = sum(c.share for c in comps.values())
    mix = ", ".join(f"{n} {c.share / total:.0%}" for n, c in comps.items())
    print(f"{resolve_path(args.file)}: valid")
    print(f"  rule: {scenario.name or '(unnamed)'}")
    print(f"  {len(rule.indicators)} indicators; rater mix: {mix}")
    print(f"  grades: {' > '.join(rule.grading.bands)}")
    return 0


def _score(args: argparse.Namespace) -> int:
    from .io import check_output_file, write_csv
    from .scoring import score

    if args.out:
        check_output_file(args.out, force=args.force)
    scenario = load_scenario(args.rule, args.overrides)
    table = score(
        args.data,
        scenario,
        id_column=args.id_column,
        class_column=args.class_column,
        encoding=args.encoding,
    )
    if args.out:
        write_csv(table, args.out)
    if not args.quiet:
        import pandas as pd

        with pd.option_context(
            "display.max_rows", 200, "display.width", 160, "display.float_format", "{:.2f}".format
        ):
            print(table.to_string(index=False))
        counts = table["grade"].value_counts()
        bands = ", ".join(f"{b} {counts.get(b, 0)}" for b in scenario.rule.grading.bands)
        print(
            f"\n{len(table)} departments scored with {scenario.name or args.rule}; grades: {bands}"
        )
        if args.out:
            print(f"written to {args.out}")
    return 0


def _scenarios(args: argparse.Namespace) -> int:
    files = sorted(_BUNDLED.rglob("*.toml"))
    if not files:
        print("no bundled scenarios found")
        return 0
    for f in files:
        raw = read_toml(f)
        label = raw.get("meta", {}).get("name", "")
        if "rule" not in raw and "uncertain" in raw:
            label = "[uncertain] inputs for perfsim sensitivity --uncertain"
        print(f"{f.relative_to(_BUNDLED.parent)}  {label}")
    return 0


def _positive(name: str, value: int) -> None:
    from .scenario import Problem, ScenarioError

    if value < 1:
        raise ScenarioError([Problem("command line", f"--{name}", value, "must be ≥ 1")])


def _run(args: argparse.Namespace) -> int:
    from .io import check_output_folder, folder_lock
    from .simulation import simulate, write_run

    _positive("reps", args.reps)
    _positive("jobs", args.jobs)
    scenario = load_scenario(args.scenario, args.overrides)
    stem = resolve_path(args.scenario).stem
    out = args.out or _default_out(stem, args.overrides, args.seed)
    with folder_lock(out):  # checked and locked before the work, so a refusal costs nothing
        check_output_folder(out, "run", force=args.force)
        with _progress(args.reps, "replications", args.quiet) as progress:
            result = simulate(
                scenario, reps=args.reps, seed=args.seed, jobs=args.jobs, progress=progress
            )
        out = write_run(result, out, force=args.force)
    if not args.quiet:
        _print_run_summary(result, out)
    return 0


def _progress_bar(total: int, unit: str, quiet: bool):
    if quiet:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit=f" {unit}", file=sys.stderr, mininterval=0.5, leave=False)


@contextmanager
def _progress(total: int, unit: str, quiet: bool) -> Iterator[Callable[[int], object] | None]:
    """A progress bar's ``update`` for the work inside the block (None when quiet); closed after."""
    bar = _progress_bar(total, unit, quiet)
    try:
        yield bar.update if bar else None
    finally:
        if bar:
            bar.close()


def _print_run_summary(result, out) -> None:
    from .metrics import describe

    meta = result.metadata
    print(
        f"{meta['scenario_name'] or meta['scenario']}: {meta['reps']} replications, policy "
        f"{meta['policy']}, seed {meta['seed']}"
    )
    if meta["policy"] == "best_response":
        print(
            f"  best response: ≤ {meta['best_response_iterations']} iterations, largest residual "
            f"{meta['best_response_residual']:.2g}"
        )
    print(f"\n  {'metric':<24}{'mean':>10}{'± se':>10}  better  meaning")
    for row in result.metrics.itertuples():
        print(
            f"  {row.metric:<24}{row.mean:>10.4g}{row.se:>10.2g}  {row.direction:<6}  {describe(row.metric)}"
        )
    print(f"\nrun folder: {out} (metadata.json, metrics.csv, departments.csv, periods.csv)")


def _compare(args: argparse.Namespace) -> int:
    from .experiments.compare import compare, parse_across, write_comparison
    from .io import check_output_folder, folder_lock

    _positive("reps", args.reps)
    _positive("jobs", args.jobs)
    n_worlds = 1
    for text in args.across:
        n_worlds *= len(parse_across(text)[1])
    n_rules = len(args.scenarios) + len(args.variant)
    stem = resolve_path(args.scenarios[0]).stem
    out = args.out or _default_out(f"compare-{stem}", args.overrides, args.seed)
    with (
        folder_lock(out),
        _progress(args.reps * n_worlds * n_rules, "replications", args.quiet) as progress,
    ):
        check_output_folder(out, "comparison", force=args.force)
        comp = compare(
            args.scenarios,
            variants=args.variant,
            across=args.across,
            overrides=args.overrides,
            reps=args.reps,
            seed=args.seed,
            jobs=args.jobs,
            progress=progress,
        )
        out = write_comparison(comp, out, seed=args.seed, reps=args.reps, force=args.force)
    if not args.quiet:
        _print_comparison(comp, out)
    return 0


def _print_comparison(comp, out) -> None:
    t = comp.table[(comp.table["world"] == comp.worlds[0]) & (comp.table["direction"] != "")]
    ref = comp.rules[0]
    print(f"reference: {ref}; {len(comp.rules) - 1} other rule(s); world: {comp.worlds[0]}")
    print("paired differences from the reference (95 % interval), common random numbers\n")
    for metric, group in t.groupby("metric", sort=False):
        base = group[group["rule"] == ref]["mean"].iloc[0]
        print(f"  {metric} ({group['direction'].iloc[0]} is better; {ref}: {base:.4g})")
        for row in group[group["rule"] != ref].itertuples():
            print(
                f"      {row.rule:<28} {row.diff:+10.4g}  [{row.diff_low:+.3g}, {row.diff_high:+.3g}]  {row.verdict}"
            )
    if comp.robustness is not None:
        print("\nrobustness across assumptions (worst case; largest regret against the best rule):")
        for metric, group in comp.robustness.groupby("metric", sort=False):
            cells = ", ".join(
                f"{r.rule}: {r.worst:.3g}/{r.max_regret:.3g}" for r in group.itertuples()
            )
            print(f"  {metric:<20} {cells}")
    print(f"\nrun folder: {out} (comparison.csv, metadata.json, runs/)")


def _sensitivity(args: argparse.Namespace) -> int:
    from .experiments.sensitivity import SensitivityPlan, default_out, run_sensitivity

    _positive("reps", args.reps)
    _positive("jobs", args.jobs)
    _positive("chunk-size", args.chunk_size)
    if args.n is not None:
        _positive("n", args.n)
    out = args.out or default_out(args.scenario, args.method, args.seed)
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = _progress_bar(total, "samples", args.quiet)
            if bar is not None:
                bar.n = bar.initial = done  # resumed samples do not count towards the rate
                bar.refresh()
        else:
            bar.update(done - bar.n)

    try:
        plan = SensitivityPlan(
            method=args.method,
            n=args.n,
            reps=args.reps,
            seed=args.seed,
            second_order=args.second_order,
            metrics=args.metric or None,
            bounds=args.bound or None,
            jobs=args.jobs,
            scheduler=args.scheduler,
            chunk_size=args.chunk_size,
        )
        result = run_sensitivity(
            args.scenario,
            plan,
            uncertain=args.uncertain,
            overrides=args.overrides,
            out=out,
            resume=args.resume,
            progress=None if args.quiet else progress,
        )
    except KeyboardInterrupt:
        print(
            f"finished chunks are kept in {out}; rerun with --resume to continue", file=sys.stderr
        )
        raise
    finally:
        if bar is not None:
            bar.close()
    if not args.quiet:
        _print_sensitivity(result)
    return 0


def _print_sensitivity(result) -> None:
    from .experiments.sensitivity import method

    meta = result.metadata
    record = method(result.method)
    unit = record.unit
    print(
        f"{meta.get('scenario_name') or meta.get('scenario')}: {result.method}, {unit} = "
        f"{result.n}, {meta['runs']} samples × {meta['reps']} replications, seed {meta['seed']}; "
        f"{len(result.inputs)} inputs, {len(result.outputs)} metrics"
    )
    if meta.get("seconds_per_sample"):
        print(
            f"evaluated {meta['evaluated_now']} samples ({1000 * meta['seconds_per_sample']:.0f} ms "
            f"each) on {meta['executor']}"
        )
    print(f"\nmost influential inputs per metric ({record.main_label} ± 95 % half-width):")
    width = max((len(m) for m in result.outputs), default=10) + 2
    for metric in result.outputs:
        top = result.top(metric, 3)
        cells = " · ".join(f"{r.input} {r.value:.3g} ±{r.confidence:.2g}" for r in top.itertuples())
        print(f"  {metric:<{width}}{cells}")
    if result.notes:
        print("\nnotes:")
        for note in result.notes:
            print(f"  - {note}")
    if result.region is not None:
        print("\nrule-space region:")
        for line in result.region.summary.splitlines():
            print(f"  {line}")
    samples = next(result.out.glob("samples.*")).name
    files = f"indices.csv, {samples}, convergence.csv, sensitivity.json, figures/"
    if result.region is not None:
        files += ", region.csv, region.txt"
    print(f"\nrun folder: {result.out} ({files})")


def _report(args: argparse.Namespace) -> int:
    from .report import build_report

    html_path, md_path = build_report(Path(args.run_dir))  # says what a folder lacks
    if not args.quiet:
        print(f"wrote {html_path} and {md_path}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from .verify import run_suite

    _positive("reps", args.reps)
    only = [r.strip() for r in args.only.split(",")] if args.only else None

    def say(row: str) -> None:
        if not args.quiet:
            print(f"running {row} ...", file=sys.stderr, flush=True)

    checks = run_suite(only, args.overrides, reps=args.reps, seed=args.seed, progress=say)
    print(f"{'check':<40}{'theory':>11} {'simulated':>10} {'error':>10}{'tol':>8} verdict")
    for c in checks:
        unit = "" if c.absolute else "%"
        err = c.error if c.absolute else 100 * c.error
        tol = c.tolerance if c.absolute else 100 * c.tolerance
        print(
            f"{c.id:<40}{c.theory:>11.4g} {c.simulated:>10.4g} {err:>9.3g}{unit:1}{tol:>7.3g}{unit:1} "
            f"{'PASS' if c.passed else 'FAIL'}"
        )
        print(f"    {c.description}")
    failed = [c.id for c in checks if not c.passed]
    print(f"\n{len(checks) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


def _empirical(args: argparse.Namespace) -> int:
    from .empirical.analysis import analyze
    from .experiments.compare import parse_variant
    from .io import check_output_folder, folder_lock

    if args.reps < 2:
        raise DataError(f"--reps {args.reps}: must be ≥ 2 (bootstrap replicates; default 1000)")
    if not 0 < args.level < 1:
        raise DataError(f"--level {args.level}: must lie strictly between 0 and 1")
    if not 0 < args.score_max < float("inf"):
        raise DataError(f"--score-max {args.score_max}: must be a finite number > 0")
    if args.seed < 0:
        raise DataError(f"--seed {args.seed}: must be ≥ 0")
    rule = load_scenario(args.rule, args.overrides) if args.rule else None
    compare = [load_scenario(c) for c in args.compare]
    if args.variant and not args.rule:
        raise DataError("--variant changes the --rule: give --rule too")
    for text in args.variant:
        name, sets = parse_variant(text)
        variant = load_scenario(args.rule, [*args.overrides, *sets, f'rule.name="{name}"'])
        compare.append(variant)
    stem = Path(args.data).name.split(".")[0]
    out = Path(args.out or _default_out(f"empirical-{stem}", args.overrides))
    with folder_lock(out), _progress(args.reps, "replicates", args.quiet) as progress:
        check_output_folder(out, "empirical", force=args.force)
        result = analyze(
            args.data,
            rule=rule,
            units=args.units,
            compare=compare,
            scale=args.scale,
            score_max=args.score_max,
            reps=args.reps,
            level=args.level,
            seed=args.seed,
            strata=args.strata,
            id_column=args.id_column,
            class_column=args.class_column,
            encoding=args.encoding,
            progress=progress,
        )
        if args.rule:
            result.metadata["rule"] = args.rule
        result.metadata["command"] = "perfsim " + shlex.join(args.argv)
        result.write(out, force=args.force)
    if not args.quiet:
        _print_empirical(result, out)
    return 0


def _print_empirical(result, out) -> None:
    import pandas as pd

    cols = [
        c
        for c in result.scores.columns
        if c in ("unit", "unit_class", "total", "rank", "grade", "rank_low", "rank_high")
    ]
    with pd.option_context("display.max_rows", 30, "display.width", 160, "display.precision", 2):
        print(result.scores[cols].head(15).to_string(index=False))
    if result.effects is not None:
        g = result.effects.groups
        print("\nrater groups (leniency in points, ± 1.96 SE):")
        for r in g.itertuples():
            print(
                f"  {r.component}/{r.rater_group}: {r.leniency:+.2f} ± {1.96 * r.leniency_se:.2f}, "
                f"noise {r.noise:.1f}, raters {r.raters}"
            )
    if result.rank_changes is not None and len(result.rules) > 1:
        for name in result.rules[1:]:
            moved = (result.rank_changes[f"change:{name}"] != 0).sum()
            print(f"\nunder {name}: {moved} of {len(result.rank_changes)} units change rank")
    for note in result.notes:
        print(f"note: {note}")
    if result.calibration is not None:
        print(
            f"\ncalibrated raters: {out / 'calibrated.toml'} (use with --set @{out / 'calibrated.toml'})"
        )
    print(f"written to {out} (report.html)")


HANDLERS = {
    "validate": _validate,
    "score": _score,
    "scenarios": _scenarios,
    "run": _run,
    "compare": _compare,
    "sensitivity": _sensitivity,
    "empirical": _empirical,
    "report": _report,
    "verify": _verify,
}


if __name__ == "__main__":
    sys.exit(main())
