"""perfsim scenarios: list the bundled scenarios."""

from __future__ import annotations

import argparse

from ..scenario import read_toml
from ..scenario.bundled import BUNDLED_SCENARIOS

HELP = "List the bundled scenarios (any command takes the name shown, e.g. hangzhou-2011)."
EXAMPLES = """examples:
  perfsim scenarios
  perfsim run hangzhou-2011 --reps 20
  perfsim run my-rule.toml --world hangzhou-2011   # a bundled scenario's world under your rule"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """No options."""


def handle(args: argparse.Namespace) -> int:
    files = sorted(BUNDLED_SCENARIOS.rglob("*.toml"))
    if not files:
        print("no bundled scenarios found")
        return 0
    for f in files:
        raw = read_toml(f)
        label = raw.get("meta", {}).get("name", "")
        if "rule" not in raw and "uncertain" in raw:
            label = "[uncertain] inputs for perfsim sensitivity --uncertain"
        name = f.relative_to(BUNDLED_SCENARIOS).with_suffix("").as_posix()
        print(f"{name:<32}  {label}")
    print(f"\n(in {BUNDLED_SCENARIOS})")
    return 0
