"""The ``perfsim`` command line. User errors print one clear message and exit with status 2."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__
from .scenario import PerfsimError, load_scenario, read_toml, resolve_path
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
        "--set rule.grading.quota.优秀=0.15; shares and weights: vary one, rescale the rest",
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
    p.add_argument(
        "--id-column", default="department", help="column of department ids (default: department)"
    )
    p.add_argument(
        "--class-column", default="class", help="column of department classes (default: class)"
    )
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    _add_set(p)

    command("scenarios", "List the bundled scenarios.")

    p = command("run", "Simulate a scenario: departments respond to the rule; write a run folder.")
    p.add_argument("scenario", help="scenario TOML file with a [world] part (or a bundled name)")
    p.add_argument("--reps", type=int, default=100, help="replications (default: 100)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--jobs", type=int, default=1, help="worker processes (default: 1)")
    p.add_argument("--out", help="run folder (default: results/<scenario>-seed<seed>)")
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
    p.add_argument("--quiet", action="store_true", help="no progress bar or table")
    _add_set(p)

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
    from .io import write_csv
    from .scoring import score

    scenario = load_scenario(args.rule, args.overrides)
    table = score(args.data, scenario, id_column=args.id_column, class_column=args.class_column)
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
        meta = read_toml(f).get("meta", {})
        print(f"{f.relative_to(_BUNDLED.parent)}  {meta.get('name', '')}")
    return 0


def _positive(name: str, value: int) -> None:
    from .scenario import Problem, ScenarioError

    if value < 1:
        raise ScenarioError([Problem("command line", f"--{name}", value, "must be ≥ 1")])


def _run(args: argparse.Namespace) -> int:
    from .simulation import simulate, write_run

    _positive("reps", args.reps)
    _positive("jobs", args.jobs)
    scenario = load_scenario(args.scenario, args.overrides)
    bar = _progress_bar(args.reps, "replications", args.quiet)
    try:
        result = simulate(
            scenario,
            reps=args.reps,
            seed=args.seed,
            jobs=args.jobs,
            progress=bar.update if bar else None,
        )
    finally:
        if bar:
            bar.close()
    stem = resolve_path(args.scenario).stem
    out = write_run(result, args.out or f"results/{stem}-seed{args.seed}")
    if not args.quiet:
        _print_run_summary(result, out)
    return 0


def _progress_bar(total: int, unit: str, quiet: bool):
    if quiet:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit=f" {unit}", file=sys.stderr, mininterval=0.5, leave=False)


def _print_run_summary(result, out) -> None:
    from .metrics import METRIC_DESCRIPTIONS

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
    print(f"\n  {'metric':<18}{'mean':>10}{'± se':>10}  better  meaning")
    for row in result.metrics.itertuples():
        desc = METRIC_DESCRIPTIONS.get(row.metric, "")
        print(f"  {row.metric:<18}{row.mean:>10.4g}{row.se:>10.2g}  {row.direction:<6}  {desc}")
    print(f"\nrun folder: {out} (metadata.json, metrics.csv, departments.csv, periods.csv)")


def _compare(args: argparse.Namespace) -> int:
    from .experiments.compare import compare, parse_across, write_comparison

    _positive("reps", args.reps)
    _positive("jobs", args.jobs)
    n_worlds = 1
    for text in args.across:
        n_worlds *= len(parse_across(text)[1])
    n_rules = len(args.scenarios) + len(args.variant)
    bar = _progress_bar(args.reps * n_worlds * n_rules, "replications", args.quiet)
    try:
        comp = compare(
            args.scenarios,
            variants=args.variant,
            across=args.across,
            overrides=args.overrides,
            reps=args.reps,
            seed=args.seed,
            jobs=args.jobs,
            progress=bar.update if bar else None,
        )
    finally:
        if bar:
            bar.close()
    stem = resolve_path(args.scenarios[0]).stem
    out = write_comparison(
        comp, args.out or f"results/compare-{stem}-seed{args.seed}", seed=args.seed, reps=args.reps
    )
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


def _verify(args: argparse.Namespace) -> int:
    from .verify import run_suite

    _positive("reps", args.reps)
    only = [r.strip() for r in args.only.split(",")] if args.only else None

    def say(row: str) -> None:
        if not args.quiet:
            print(f"running {row} ...", file=sys.stderr, flush=True)

    checks = run_suite(only, args.overrides, reps=args.reps, seed=args.seed, progress=say)
    print(f"{'check':<40}{'theory':>11}{'simulated':>11}{'error':>9}{'tol':>8}  verdict")
    for c in checks:
        unit = "" if c.absolute else "%"
        err = c.error if c.absolute else 100 * c.error
        tol = c.tolerance if c.absolute else 100 * c.tolerance
        print(
            f"{c.id:<40}{c.theory:>11.4g}{c.simulated:>11.4g}{err:>8.3g}{unit:1}{tol:>7.3g}{unit:1} "
            f"{'PASS' if c.passed else 'FAIL'}"
        )
        print(f"    {c.description}")
    failed = [c.id for c in checks if not c.passed]
    print(f"\n{len(checks) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


HANDLERS = {
    "validate": _validate,
    "score": _score,
    "scenarios": _scenarios,
    "run": _run,
    "compare": _compare,
    "verify": _verify,
}


if __name__ == "__main__":
    sys.exit(main())
