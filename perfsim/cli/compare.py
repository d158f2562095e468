"""perfsim compare: compare rules on the same simulated departments."""

from __future__ import annotations

import argparse

from ..results.names import ComparisonFiles
from .common import (
    add_force,
    add_numbers,
    add_set,
    add_world,
    default_out,
    positive,
    progress_context,
    run_stem,
)

HELP = "Compare rules on the same simulated departments (paired, common random numbers)."
EXAMPLES = """examples:
  perfsim compare scenarios/hangzhou-2011.toml \
      --variant social40:rule.components.社会评价.share=0.4 \
      --variant classes:rule.grading.scope=\"within_class\" \
      --variant audit20:rule.audit.probability=0.2
  perfsim compare a.toml b.toml --reps 400 --out results/a-vs-b
  perfsim compare hangzhou-2011 --variant q20:rule.grading.quota.优秀=0.2 \
      --across world.indicators.公共服务.gameability=0.5,1,2
  perfsim compare my-rule.toml hangzhou-2011 --world hangzhou-2011   # both rules, one world"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "scenarios",
        nargs="+",
        help="scenario or rule files, or bundled names (the first is the reference)",
    )
    add_world(p)
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
    from ..experiments.compare import compare

    add_numbers(
        p,
        compare,
        reps="replications per rule and world",
        seed="random seed",
        jobs="worker processes",
    )
    p.add_argument(
        "--out", help="run folder (default: results/compare-<first scenario>-seed<seed>)"
    )
    add_force(p, "the --out folder")
    p.add_argument("--quiet", action="store_true", help="no progress bar or table")
    add_set(p)


def handle(args: argparse.Namespace) -> int:
    from ..experiments.compare import compare, parse_across, write_comparison
    from ..io import claimed_folder

    positive("reps", args.reps)
    positive("jobs", args.jobs)
    n_worlds = 1
    for text in args.across:
        n_worlds *= len(parse_across(text)[1])
    n_rules = len(args.scenarios) + len(args.variant)
    stem = run_stem(args.scenarios[0], args.world)
    out = args.out or default_out(f"compare-{stem}", args.overrides, args.seed)
    with (
        claimed_folder(out, "comparison", force=args.force),
        progress_context(args.reps * n_worlds * n_rules, "replications", args.quiet) as progress,
    ):
        comp = compare(
            args.scenarios,
            variants=args.variant,
            across=args.across,
            overrides=args.overrides,
            reps=args.reps,
            seed=args.seed,
            jobs=args.jobs,
            progress=progress,
            world=args.world,
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
    names = ComparisonFiles
    print(f"\nrun folder: {out} ({names.COMPARISON}, {names.METADATA}, {names.RUNS}/)")
