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


HANDLERS = {"validate": _validate, "score": _score, "scenarios": _scenarios}


if __name__ == "__main__":
    sys.exit(main())
