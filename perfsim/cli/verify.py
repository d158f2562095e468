"""perfsim verify: the engine against theory (closed forms, and backward induction for V4F)."""

from __future__ import annotations

import argparse
import sys

from .common import add_numbers, given

HELP = "Run the validation suite V1–V7: the engine against closed forms and backward induction."
EXAMPLES = """examples:
  perfsim verify
  perfsim verify --reps 400 --only V2,V2q
  perfsim verify --only V4F --set V4F:world.periods=5 --set V4F:world.discount=0.9
  perfsim verify --set V2:world.indicators.output.noise=0.3 --set V3:rule.audit.probability=0.1"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..verify import run_suite

    add_numbers(p, run_suite, reps="replications per check", seed="random seed")
    p.add_argument("--only", type=given, help="comma-separated rows, e.g. V1,V2q (default: all)")
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


def handle(args: argparse.Namespace) -> int:
    from ..verify import run_suite

    # (--reps below 2 is refused by run_suite, with why: "≥ 1" here said otherwise for 0)
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
