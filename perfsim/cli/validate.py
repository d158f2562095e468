"""perfsim validate: check a scenario or rule file."""

from __future__ import annotations

import argparse

from ..scenario import coverage, load_world, read_toml, resolve_path, resolve_scenario, scenario_raw
from ..scenario.loader import is_partial_world
from ..scenario.scales import scale_notes
from ..scenario.world import World
from .common import add_set, add_world, counted

HELP = "Check a scenario or rule file; exit 0 if valid, 2 if not."
EXAMPLES = """examples:
  perfsim validate scenarios/hangzhou-2011.toml
  perfsim validate hangzhou-2011 --set rule.components.社会评价.share=0.4
  perfsim validate my-rule.toml --world hangzhou-2011   # the rule fitted to a bundled world"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="scenario TOML file, or the name of a bundled scenario")
    add_world(p)
    add_set(p)


def handle(args: argparse.Namespace) -> int:
    if args.world is None and _is_world_file(args.file):
        return _validate_world(args.file)
    scenario = resolve_scenario(args.file, args.overrides, args.world)
    uncertain = _check_uncertain(scenario) if scenario.uncertain else 0  # before saying "valid"
    rule = scenario.rule
    comps = rule.resolved_components()
    total = sum(c.share for c in comps.values())
    mix = ", ".join(f"{n} {c.share / total:.0%}" for n, c in comps.items())
    print(f"{resolve_path(args.file)}: valid")
    print(f"  rule: {scenario.name or '(unnamed)'}")
    print(f"  {counted(len(rule.indicators), 'indicator')}; rater mix: {mix}")
    for note in scale_notes(rule, scenario.world):
        print(f"  check: {note}")
    print(f"  grades: {' > '.join(rule.grading.bands)}")
    if uncertain:
        print(f"  uncertain: {counted(uncertain, 'input')}, each valid across its range")
    world = scenario.world
    if world is not None:
        on = f" (from {args.world})" if args.world else ""
        print(
            f"  world{on}: {counted(world.departments, 'department')}, "
            f"{counted(len(world.tasks), 'task')}, "
            f"{counted(len(world.indicators), 'measured indicator')}, "
            f"{counted(len(world.raters), 'rater group')}"
        )
        for dropped in coverage.not_simulated(scenario):
            print(f"  not simulated: {dropped.part.what} ({dropped.part.path})")
    elif is_partial_world(scenario_raw(scenario).get("world")):
        print("  world: entries to add to a world: check them with --world NAME or FILE")
    else:
        print("  world: none (simulate with --world NAME or FILE, e.g. --world hangzhou-2011)")
    return 0


def _check_uncertain(scenario) -> int:
    """The ``[uncertain]`` table as ``perfsim sensitivity`` checks it before a run: every input's
    extreme and inner values give a valid scenario (a ScenarioError, exit 2, names the first that
    does not)."""
    from ..experiments.sensitivity.inputs import scenario_inputs
    from ..scenario import scenario_source

    source = scenario_source(scenario)
    inputs, _ = scenario_inputs(scenario_raw(scenario), source, scenario.uncertain, source)
    return len(inputs)


def _is_world_file(file: str) -> bool:
    """A file with a complete [world] and no [rule] (perfsim new world): checked as a world."""
    path = resolve_path(file)
    if not path.is_file():
        return False
    raw = read_toml(path)
    return "rule" not in raw and isinstance(raw.get("world"), dict) and "tasks" in raw["world"]


def _validate_world(file: str) -> int:
    table, source = load_world(file)
    world = World.model_validate(table)
    print(f"{source}: valid world: {world.departments} departments, {len(world.tasks)} tasks")
    print(f"  indicators measured: {', '.join(world.indicators) or 'none'}")
    print(f"  rater groups: {', '.join(world.raters) or 'none'}")
    print(f"  run a rule on it: perfsim run RULE.toml --world {file}")
    return 0
