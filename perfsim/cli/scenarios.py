"""perfsim scenarios: list the bundled scenarios."""

from __future__ import annotations

import argparse

from ..scenario import read_toml
from ..scenario.loader import BUNDLED_SCENARIOS

HELP = "List the bundled scenarios."
EXAMPLES = """examples:
  perfsim scenarios"""


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
        print(f"{f.relative_to(BUNDLED_SCENARIOS.parent)}  {label}")
    return 0
