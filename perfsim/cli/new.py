"""perfsim new: write a commented starter rule or world file (never over an existing file)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..scenario.templates import TEMPLATES

HELP = "Write a commented starter file: a rule (perfsim new rule FILE) or a world (new world FILE)."
EXAMPLES = """examples:
  perfsim new rule my-rule.toml && perfsim run my-rule.toml --world hangzhou-2011
  perfsim new world my-world.toml && perfsim run my-rule.toml --world my-world.toml"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "kind",
        choices=list(TEMPLATES),
        help="rule: indicators, components, grades (runs on --world hangzhou-2011 as written); "
        "world: departments, tasks, measurement, raters (its names match the starter rule)",
    )
    p.add_argument("file", help="the TOML file to write (an existing file is never replaced)")


def handle(args: argparse.Namespace) -> int:
    from ..io import OutputError, atomic_write, check_output_file
    from ..scenario.templates import starter

    target = Path(args.file)
    if target.is_dir():
        raise OutputError(f"{target} is a folder: give a file name, e.g. {target / 'my-rule.toml'}")
    if target.suffix.lower() != ".toml":
        raise OutputError(f"{target}: a scenario file is TOML; name it {target.name}.toml")
    if target.exists() or target.is_symlink():
        raise OutputError(
            f"{target} exists; perfsim new never replaces a file: choose another name"
        )
    check_output_file(target)  # not a folder or a link; its parent folder can be made
    text = starter(args.kind, target.name)
    atomic_write(target, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    print(f"wrote {target}: a starter {args.kind}, valid as written; edit every number")
    if args.kind == "rule":
        print(f"  perfsim validate {target}")
        print(f"  perfsim run {target} --world hangzhou-2011 --reps 20")
    else:
        print(f"  perfsim run my-rule.toml --world {target}   (perfsim new rule my-rule.toml)")
    return 0
