"""perfsim validate: check a scenario or rule file."""

from __future__ import annotations

import argparse

from ..scenario import coverage, load_world, read_toml, resolve_path, resolve_scenario, scenario_raw
from ..scenario.loader import is_partial_world
from ..scenario.scales import scale_notes
from ..scenario.world import World
from .common import add_lang, add_set, add_world

HELP = "Check a scenario or rule file; exit 0 if valid, 2 if not."
EXAMPLES = """examples:
  perfsim validate scenarios/hangzhou-2011.toml
  perfsim validate hangzhou-2011 --set rule.components.社会评价.share=0.4
  perfsim validate my-rule.toml --world hangzhou-2011   # the rule fitted to a bundled world
  perfsim validate my-rule.toml --lang zh   # 中文检查结果"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="scenario TOML file, or the name of a bundled scenario")
    add_world(p)
    add_lang(p, help="language of what validate prints (default: en; zh, also cn or 中文: 中文)")
    add_set(p)


def handle(args: argparse.Namespace) -> int:
    from ..i18n import language

    with language(args.lang):
        if args.world is None and _is_world_file(args.file):
            return _validate_world(args.file)
        scenario = resolve_scenario(args.file, args.overrides, args.world)
        uncertain = _check_uncertain(scenario) if scenario.uncertain else 0  # before "valid"
        _print_valid(scenario, args.file, args.world, uncertain)
        if _is_fragment(args.file):
            print(_fragment_hint(args.file))
    return 0


def _is_fragment(file: str) -> bool:
    """Whether a rule file looks like a fragment of changed keys (for ``--set @FILE`` or
    ``--variant NAME:@FILE``) rather than a whole rule: no indicators, and components with no
    more than a share. It validates as a rule of one component at 100 %, which it is not."""
    try:
        rule = read_toml(resolve_path(file)).get("rule")
    except Exception:  # (a bundled name, or a file read otherwise: not a fragment)
        return False
    if not isinstance(rule, dict) or rule.get("indicators"):
        return False
    comps = rule.get("components") or {}
    return isinstance(comps, dict) and all(
        isinstance(c, dict) and set(c) <= {"share"} for c in comps.values()
    )


def _fragment_hint(file: str) -> str:
    from ..i18n import gettext as _

    return _(
        "  note: {file} looks like a fragment of changed keys, not a whole rule; check it on the "
        "rule it changes: perfsim validate SCENARIO --set @{file}"
    ).format(file=file)


def _print_valid(scenario, file: str, world_name: str | None, uncertain: int) -> None:
    """What ``perfsim validate`` says of a valid scenario or rule, in the current language."""
    from ..i18n import gettext as _
    from ..i18n import ngettext, say, translated_name
    from ..report.rules import band_rules, term
    from ..scenario.loader import scenario_raw

    rule = scenario.rule
    comps = rule.resolved_components()
    total = sum(c.share for c in comps.values())
    mix = _(", ").join(f"{n} {c.share / total:.0%}" for n, c in comps.items())
    n_ind = len(rule.indicators)
    print(_("{file}: valid").format(file=resolve_path(file)))
    shown = translated_name(scenario_raw(scenario).get("meta")) or scenario.name  # (its --lang)
    print(_("  rule: {name}").format(name=shown or _("(unnamed)")))
    indicators = ngettext("{n} indicator", "{n} indicators", n_ind).format(n=n_ind)
    print(_("  {indicators}; rater mix: {mix}").format(indicators=indicators, mix=mix))
    for note in scale_notes(rule, scenario.world):
        print(_("  check: {note}").format(note=say(note)))
    print(_("  grades: {bands}").format(bands=" > ".join(band_rules(rule.grading))))
    audit = rule.audit
    checks = (
        _("spot checks of {share} of units").format(share=f"{audit.probability:.0%}")
        if audit.probability
        else _("no spot checks")
    )
    print(
        _("  ranked: {scope}; normalised: {method}; {audit}").format(
            scope=term(rule.grading.scope), method=term(rule.normalize.method), audit=checks
        )
    )
    if uncertain:
        inputs = ngettext("{n} input", "{n} inputs", uncertain).format(n=uncertain)
        print(_("  uncertain: {inputs}, each valid across its range").format(inputs=inputs))
    world = scenario.world
    if world is not None:
        on = _(" (from {world})").format(world=world_name) if world_name else ""
        sizes = _(", ").join(_world_sizes(world))
        print(_("  world{on}: {sizes}").format(on=on, sizes=sizes))
        for line in places_lines(scenario):
            print(line)
        for dropped in coverage.not_simulated(scenario):
            print(
                _("  not simulated: {what} ({path})").format(
                    what=_(dropped.part.what), path=dropped.part.path
                )
            )
    elif is_partial_world(scenario_raw(scenario).get("world")):
        print(_("  world: entries to add to a world: check them with --world NAME or FILE"))
    else:
        print(_("  world: none (simulate with --world NAME or FILE, e.g. --world hangzhou-2011)"))


def places_lines(scenario) -> list[str]:
    """Per band with a quota share, the places it leaves the world's units (the count the rule's
    rounding gives, and that count as a share of the group: 15 % of 66 is 9 places, 13.6 %),
    per class when units are graded within their class; a line each, in the current language."""
    from ..i18n import gettext as _
    from ..report.rules import term
    from ..world.model import quota_places

    grading = scenario.rule.grading
    out = []
    for band, groups in quota_places(scenario).items():
        said = []
        for name, k, n in groups:
            text = _("{k} of {n} ({actual})").format(k=k, n=n, actual=f"{k / n * 100:.1f} %")
            said.append(text if name is None else _("{places} in {group}").format(
                places=text, group=name))  # fmt: skip
        line = _("  places: {band} at most {share}, {rounding}: {places}")
        share = f"{grading.quota[band] * 100:.4g} %"
        rounding = term(grading.rounding)
        out.append(
            line.format(band=band, share=share, rounding=rounding, places=_(", ").join(said))
        )
    return out


def _world_sizes(world) -> list[str]:
    """A world's departments, tasks, measured indicators and rater groups, counted."""
    from ..i18n import ngettext

    counts = (
        (world.departments, ngettext("{n} department", "{n} departments", world.departments)),
        (len(world.tasks), ngettext("{n} task", "{n} tasks", len(world.tasks))),
        (
            len(world.indicators),
            ngettext("{n} measured indicator", "{n} measured indicators", len(world.indicators)),
        ),
        (len(world.raters), ngettext("{n} rater group", "{n} rater groups", len(world.raters))),
    )
    return [text.format(n=n) for n, text in counts]


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
    from ..i18n import gettext as _

    table, source = load_world(file)
    world = World.model_validate(table)
    sizes = _(", ").join(_world_sizes(world)[:2])
    print(_("{source}: valid world: {sizes}").format(source=source, sizes=sizes))
    none = _("none")
    print(_("  indicators measured: {names}").format(names=_(", ").join(world.indicators) or none))
    print(_("  rater groups: {names}").format(names=_(", ").join(world.raters) or none))
    print(_("  run a rule on it: perfsim run RULE.toml --world {file}").format(file=file))
    return 0
