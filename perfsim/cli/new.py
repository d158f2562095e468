"""perfsim new: write a commented starter rule or world file (never over an existing file)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..scenario.templates import TEMPLATES

HELP = "Write a commented starter file: a rule (perfsim new rule FILE) or a world (new world FILE)."
EXAMPLES = """examples:
  perfsim new rule my-rule.toml && perfsim run my-rule.toml --world hangzhou-2011
  perfsim new world my-world.toml && perfsim run my-rule.toml --world my-world.toml
  perfsim new world my-world.toml --rule my-rule.toml   (a world named after your rule's
      indicators, survey components and classes: perfsim run my-rule.toml --world my-world.toml)"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..i18n import LANGUAGES, language_code

    p.add_argument(
        "kind",
        choices=list(TEMPLATES),
        help="rule: indicators, components, grades (runs on --world hangzhou-2011 as written); "
        "world: departments, tasks, measurement, raters (its names match the starter rule)",
    )
    p.add_argument("file", help="the TOML file to write (an existing file is never replaced)")
    p.add_argument(
        "--rule",
        metavar="RULE",
        help="world only: fit the world to this rule file by name (a measurement per indicator, a "
        "rater group per survey or panel component, the rule's classes), numbers as placeholders",
    )
    p.add_argument(
        "--world",
        metavar="NAME|FILE",
        help="rule only: fit the rule to this world by name (its indicators, scored where its "
        "departments stand, and a component per rater group), numbers as placeholders",
    )
    p.add_argument(
        "--lang",
        type=language_code,
        choices=LANGUAGES,
        default="en",
        help="language of the starter file's comments, names and labels and of what is printed "
        "(zh: 中文注释的起步文件; the keys and numbers are the same; a world fitted to --rule and "
        "a rule fitted to --world are commented in English, 按 --rule/--world 生成的文件注释为英文)",
    )


def handle(args: argparse.Namespace) -> int:
    from ..i18n import language
    from ..i18n.files import translated_file
    from ..io import OutputError, atomic_write
    from ..outfile import check_output_file
    from ..scenario import Problem, ScenarioError, load_scenario, load_world
    from ..scenario.errors import error
    from ..scenario.loader import is_partial_world, read_toml, resolve_path
    from ..scenario.templates import rule_for_world, starter, world_for_rule
    from ..scenario.world import World

    target = Path(args.file)
    if args.rule is not None and args.kind != "world":
        message = error("new_rule_world")
        raise ScenarioError([Problem("command line", "--rule", args.rule, message)])
    if args.world is not None and args.kind != "rule":
        message = error("new_world_rule")
        raise ScenarioError([Problem("command line", "--world", args.world, message)])
    example = f"my-{args.kind}.toml"  # (my-rule.toml, my-world.toml)
    if target.is_dir():
        raise OutputError(error("new_is_folder", path=target, example=target / example))
    if target.name.lower() in (".toml", ".toml.txt") or not target.name.strip("."):
        raise OutputError(error("new_no_name", path=target, example=target.parent / example))
    if target.suffix.lower() != ".toml":  # (w3.txt: w3.toml; hangzhou.v2: hangzhou.v2.toml)
        text = target.suffix.lower() in (".txt", ".json", ".ini", ".cfg", ".yaml", ".yml")
        stem = target.stem if text else target.name.rstrip(".")
        name = stem if stem.lower().endswith(".toml") else f"{stem}.toml"  # (w3.toml.txt: w3.toml)
        raise OutputError(error("new_not_toml", path=target, name=name))
    if target.exists() or target.is_symlink():
        raise OutputError(error("new_exists", target=target))
    check_output_file(target)  # not a folder or a link; its parent folder can be made
    if args.world is not None:
        table, _ = load_world(args.world)  # a bad world: its errors, before anything is written
        text = rule_for_world(World.model_validate(table), args.world, str(target))
    elif args.rule is not None:
        rule = load_scenario(args.rule).rule  # a bad rule: its errors, before anything is written
        world = read_toml(resolve_path(args.rule)).get("world")
        partial = world if is_partial_world(world) else None  # a complete one is replaced
        text = world_for_rule(rule, args.rule, str(target), partial)
    else:
        with language(args.lang):  # (comments and texts from the catalogue: perfsim.i18n.files)
            text = starter(args.kind, target.name, translated_file)
    atomic_write(target, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    with language(args.lang):
        _print_next(args, target)
    return 0


def _print_next(args: argparse.Namespace, target: Path) -> None:
    """What ``perfsim new`` wrote and the commands that use it, in the current language."""
    from ..i18n import gettext as _

    lang = "" if args.lang == "en" else f" --lang {args.lang}"
    kind = _("a starter rule") if args.kind == "rule" else _("a starter world")
    print(
        _("wrote {file}: {kind}, valid as written; edit every number").format(
            file=target, kind=kind
        )
    )
    if args.kind == "rule":
        world = args.world or "hangzhou-2011"
        on = f" --world {args.world}" if args.world else ""
        print(f"  perfsim validate {target}{on}{lang}")
        print(f"  perfsim run {target} --world {world} --reps 20{lang}")
    elif args.rule is not None:
        print(f"  perfsim run {args.rule} --world {target} --reps 20{lang}")
    else:
        rule = _("my-rule.toml")
        made = _("perfsim new rule {file}").format(file=f"{rule}{lang}")
        print(f"  perfsim run {rule} --world {target}{lang}   ({made})")
