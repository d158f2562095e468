"""perfsim validate: check a scenario or rule file."""

from __future__ import annotations

import argparse

from ..scenario import load_scenario, resolve_path
from .common import add_set

HELP = "Check a scenario or rule file; exit 0 if valid, 2 if not."
EXAMPLES = """examples:
  perfsim validate scenarios/hangzhou-2011.toml
  perfsim validate hangzhou-2011 --set rule.components.社会评价.share=0.4"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="scenario TOML file, or the name of a bundled scenario")
    add_set(p)


def handle(args: argparse.Namespace) -> int:
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
