"""A rule on a world from elsewhere: ``perfsim run RULE.toml --world hangzhou-2011``.

The world is a bundled name (``hangzhou-2011``, ``mlr-2011``, ``teaching/goodhart``) or a TOML file
with a complete ``[world]`` (``perfsim new world FILE`` writes one); only its ``[world]`` is used.
It is fitted to the rule by name (scenarios/README.md, "Your rule on a bundled world"):

- each rule indicator uses the world's measurement ``[world.indicators."<same name>"]``;
- each column component (a survey, a panel) uses the world's rater group of the same name;
- the rule's classes, if it has any, must be the world's classes; a rule without classes runs on
  the world's departments as they are (their classes shape them, ranking is global);
- the world's tasks, departments and behaviour are kept whole; the world's indicators and rater
  groups that the rule does not use are left out (they would measure nothing the rule scores),
  and so are its events (``[world.events]``) of bonus/deduction items and veto columns the rule
  does not have.

A rule file may hold a *partial* ``[world]``: entries that the world lacks or that it changes
(``[world.indicators."按时办结率"] tasks = { "公共服务" = 1.0 }`` for the rule's own indicator, or
``[world.indicators."公共服务"] gameability = 2``). They are merged into the given world leaf by
leaf, as ``--set @FRAGMENT.toml`` is; a complete ``[world]`` in the rule file (one with ``tasks``)
is replaced by the given world. A name the world cannot fit is an error that lists the world's
names and says what to add. ``--set`` overrides apply to the fitted scenario. The scenario's
``meta.assumptions`` gain the world's (:func:`with_world_assumptions`), which its report lists.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..phrases import N_, Phrase
from . import arguments
from .bundled import bundled_worlds
from .coverage import NotSimulatedWarning
from .errors import Problem, ScenarioError, error
from .loader import (
    is_partial_world,
    load_scenario,
    read_toml,
    resolve_path,
    scenario_from_dict,
    scenario_raw,
    scenario_source,
    scenario_world,
    validation_problems,
)
from .names import nearest
from .overrides import apply_overrides
from .schema import Rule, Scenario
from .schema_base import Strict
from .world import World

WorldSpec = str | Path | Mapping[str, Any]
"""A world: a bundled name, a TOML file with a complete [world], or that table as a mapping."""


class _WorldFile(Strict):
    """The part of a world file that is used (validated alone, errors located at ``world.…``)."""

    world: World


def worlds_hint() -> str:
    """What to do when a rule has no world: the option, and the bundled worlds by name."""
    names = bundled_worlds()
    example = names[0] if names else "NAME"
    listed = ", ".join(names) or "none"
    return error("worlds_hint", example=example, quoted=repr(example), names=listed)


def no_world_error(scenario: Scenario) -> ScenarioError:
    """The error of a simulation asked of a scenario without a world (a rule file alone)."""
    world = scenario_raw(scenario).get("world")
    if is_partial_world(world):
        message = error("partial_world", entries=", ".join(sorted(world)), hint=worlds_hint())
    else:
        message = error("no_world", hint=worlds_hint())
    return ScenarioError([Problem(scenario_source(scenario), "world", None, message, False)])


def load_world(world: WorldSpec) -> tuple[dict, str]:
    """The validated raw ``[world]`` table of a bundled name, a file or a mapping, and its label."""
    table, source, _ = _load_world(world)
    return table, source


def _load_world(world: WorldSpec) -> tuple[dict, str, list[str]]:
    """:func:`load_world`, and the world's assumptions: those its file lists (``meta.assumptions``)
    when it holds a world alone, one line pointing to them when it is a whole scenario (its
    assumptions are about its rule too)."""
    raw: Mapping = world if isinstance(world, Mapping) else {}
    if isinstance(world, Mapping):
        table, source = dict(world.get("world", world)), "<world>"
    else:
        path = resolve_path(world)
        if path.is_dir():  # (it said "no such file" of a folder that is there)
            message = error("world_folder", names=", ".join(bundled_worlds()))
            raise ScenarioError([Problem("command line", "--world", str(world), message)])
        if not path.is_file():
            names = bundled_worlds()
            close = nearest(str(world).removesuffix(".toml"), names, cutoff=0.7)
            listed = ", ".join(names) or "none"
            message = (
                error("no_such_world_close", close=repr(close), names=listed)
                if close
                else error("no_such_world", names=listed)
            )
            raise ScenarioError([Problem("command line", "--world", str(world), message)])
        raw, source = read_toml(path), str(path)
        table = raw.get("world")
        if not isinstance(table, dict) or "tasks" not in table:
            message = error("world_file", names=", ".join(bundled_worlds()))
            raise ScenarioError([Problem(source, "world", None, message, False)])
    try:
        _WorldFile.model_validate({"world": table})
    except ValidationError as exc:
        raise ScenarioError(validation_problems(exc, {"world": table}, source)) from None
    meta = raw.get("meta")
    assumptions = meta.get("assumptions") if isinstance(meta, Mapping) else None
    if "rule" in raw:  # a whole scenario: its assumptions are about its rule as well
        return table, source, [WHOLE_WORLD] if assumptions else []
    return table, source, [str(a) for a in assumptions or [] if str(a).strip()]


def merge(base: Mapping, extra: Mapping) -> dict:
    """``base`` with ``extra`` merged in leaf by leaf (tables merged, other values replaced)."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def _names(table: Mapping, key: str) -> list[str]:
    entries = table.get(key)
    return list(entries) if isinstance(entries, Mapping) else []


def _missing_indicator(name: str, world: Mapping, label: str, source: str) -> Problem:
    have = ", ".join(_names(world, "indicators")) or "none"
    tasks = ", ".join(_names(world, "tasks"))
    example = f'[world.indicators."{name}"] tasks = {{ "<task>" = 1.0 }}'
    message = error(
        "world_no_indicator", world=label, have=have, source=source, example=example, tasks=tasks
    )
    return Problem(source, f"rule.indicators.{name}", None, message, False)


def _missing_rater(name: str, world: Mapping, label: str, source: str) -> Problem:
    raters = world.get("raters") or {}
    have = ", ".join(f"{r} ({(raters[r] or {}).get('kind', 'panel')})" for r in raters) or "none"
    tasks = ", ".join(_names(world, "tasks"))
    example = f'[world.raters."{name}"] kind = "survey" (or "panel"), sees = {{ "<task>" = 1.0 }}'
    message = error("world_no_rater", world=label, have=have, source=source, example=example,
                    tasks=tasks)  # fmt: skip
    return Problem(source, f"rule.components.{name}", None, message, False)


def fit_world(resolved: Mapping, rule: Rule, label: str, source: str) -> dict:
    """The scenario ``resolved`` (a rule and a merged world) with the world fitted to the rule by
    name: unused indicators, rater groups and events left out, every missing name a located
    problem."""
    world = dict(resolved["world"])
    problems = [
        _missing_indicator(name, world, label, source)
        for name in rule.indicators
        if name not in _names(world, "indicators")
    ]
    columns = [n for n, c in rule.resolved_components().items() if c.source == "column"]
    problems += [
        _missing_rater(name, world, label, source)
        for name in columns
        if name not in _names(world, "raters")
    ]
    classes = _names(world, "classes")
    if rule.classes and sorted(rule.classes) != sorted(classes):
        message = (
            f"the world {label} has the classes {', '.join(classes) or '(none)'}: name the same "
            "classes, or leave rule.classes out (the world's classes then still shape the "
            f'departments, ranked together), or add [world.classes."<class>"] tables to {source}'
        )
        problems.append(Problem(source, "rule.classes", rule.classes, message))
    if problems:
        raise ScenarioError(problems)
    world["indicators"] = {n: world.get("indicators", {})[n] for n in rule.indicators}
    world["raters"] = {n: world.get("raters", {})[n] for n in columns}
    used = [*rule.adjustments, *rule.veto.columns]  # events of items the rule has (events.py)
    events = world.get("events") or {}
    _warn_near_events(
        label, [n for n in events if n not in used], [n for n in used if n not in events]
    )
    world["events"] = {n: e for n, e in events.items() if n in used}
    return {**resolved, "world": world}


#: the warning's template (:class:`perfsim.phrases.Phrase`: said again in a terminal's language)
NEAR_EVENT = N_(
    "{label}: world.events.{name}: the rule has no bonus or deduction item or veto column of that "
    "name, so the event is left out, and the rule's {close} has no event (not simulated): did you "
    "mean to name the event {close}?"
)


def _warn_near_events(label: str, unused: list[str], without: list[str]) -> None:
    """A world's events that the rule names no item or veto column for are left out (a bundled
    world's events for its own rule); one whose name is near an item or column of the rule that
    has no event is most likely mistyped, so that item goes unsimulated: a warning says so."""
    for name in unused:
        close = nearest(name, without, cutoff=0.6)
        if close is None:
            continue
        message = Phrase(NEAR_EVENT, {"label": label, "name": name, "close": repr(close)})
        warnings.warn_explicit(
            NotSimulatedWarning(message), NotSimulatedWarning, "perfsim", 0, registry=_WARNED
        )


_WARNED: dict = {}  # warnings' registry: one warning per message and process


def on_world(raw: Mapping, world: Mapping) -> dict:
    """The raw scenario ``raw`` with the world table ``world``: a partial ``[world]`` of ``raw``
    merged into it, a complete one replaced."""
    own = raw.get("world")
    merged = merge(world, own) if isinstance(own, Mapping) and "tasks" not in own else dict(world)
    return {**raw, "world": merged}


#: a world's assumption as a rule on it lists it (:func:`with_world_assumptions`), and the one
#: listed for a world taken from a whole scenario; a report shows them in its language
#: (:func:`world_assumption_in`)
WORLD_ASSUMPTION = N_("World {world} (--world): {assumption}")
WHOLE_WORLD = N_(
    "its departments, tasks, measurements and raters, as that scenario's meta.assumptions state "
    "them"
)
# ("(--world)": an assumption of the author's own, "World Bank data: …", is not one of them;
# a folder written before it was added has perfsim's own sentences without it)
_WORLD_LINE = re.compile(r"World (?P<world>.+?)(?P<mark> \(--world\))?: (?P<assumption>.*)", re.S)


OWN_ENTRIES = N_(
    "the rule file's own [world] entries, with the rule file's numbers, not the world's: {entries}"
)
_OWN_LINE = re.compile(re.escape(OWN_ENTRIES).replace(re.escape("{entries}"), "(?P<entries>.*)"))


def _own_entries(raw: Mapping) -> list[str]:
    """The assumption that a rule file's partial ``[world]`` adds to or changes the world it runs
    on (its measurement of an indicator of its own, from ``perfsim new rule``'s placeholders): the
    gaming and scores of that indicator rest on the file's numbers, which a report must show."""
    own = raw.get("world")
    if not isinstance(own, Mapping) or "tasks" in own or not own:
        return []
    entries = []
    for key, table in own.items():
        named = list(table) if isinstance(table, Mapping) else []
        entries += [f"world.{key}.{name}" for name in named] or [f"world.{key}"]
    return [OWN_ENTRIES.format(entries=", ".join(entries))]


def world_assumption_in(text: str, translate: Callable[[str], str]) -> str:
    """``text``, one of a scenario's ``meta.assumptions``, in the language of ``translate`` (a
    gettext) when it is a world's line of :func:`with_world_assumptions` (the world's own
    assumptions are its file's text, in its language); any other text as it is."""
    match = _WORLD_LINE.fullmatch(text)
    said = match["assumption"] if match else ""
    own = _OWN_LINE.fullmatch(said)
    if match is None or (match["mark"] is None and said != WHOLE_WORLD and own is None):
        return text
    if said == WHOLE_WORLD:
        said = translate(WHOLE_WORLD)
    elif own is not None:
        said = translate(OWN_ENTRIES).format(entries=own["entries"])
    return translate(WORLD_ASSUMPTION).format(world=match["world"], assumption=said)


def with_world_assumptions(raw: Mapping, shown: str, assumed: list[str]) -> dict:
    """``raw`` whose ``meta.assumptions`` also list those of the world it runs on (each prefixed
    with the world's name), so that a report of a rule on ``--world`` states the world's
    assumptions (a world from ``perfsim new world`` says that every number is a placeholder)."""
    if not assumed:
        return dict(raw)
    meta = dict(raw.get("meta") or {})
    own = list(meta.get("assumptions") or [])
    added = [WORLD_ASSUMPTION.format(world=shown, assumption=a) for a in assumed]
    meta["assumptions"] = own + added
    translations = meta.get("translations")
    if isinstance(translations, Mapping):  # the world's assumptions as they are, in each language
        meta["translations"] = {
            lang: {**text, "assumptions": list(text["assumptions"]) + added}
            if isinstance(text, Mapping) and text.get("assumptions")
            else text
            for lang, text in translations.items()
        }
    return {**raw, "meta": meta}


def resolve_scenario(
    scenario: Scenario | str | Path,
    overrides: Iterable[str] = (),
    world: WorldSpec | None = None,
) -> Scenario:
    """A scenario object, a file path or a bundled name, with ``PATH=VALUE`` overrides applied,
    on ``world`` if given (a bundled name, a file or a mapping: see the module docstring): the one
    way every experiment turns what a user gives into a validated :class:`Scenario`."""
    overrides = arguments.texts("overrides", overrides)
    if world is None:
        if not isinstance(scenario, Scenario):
            return load_scenario(scenario, overrides)
        if not overrides:
            return scenario
        variant = scenario_from_dict(
            scenario_raw(scenario), source=scenario_source(scenario), overrides=overrides
        )
        variant._world = scenario_world(scenario)
        return variant
    if isinstance(scenario, Scenario):
        raw, source = scenario_raw(scenario), scenario_source(scenario)
    else:
        path = resolve_path(scenario)
        raw, source = read_toml(path), str(path)
    table, world_source, assumed = _load_world(world)
    shown = world_source if isinstance(world, Mapping) else str(world)  # as the user named it
    label = error("on_world", source=source, world=shown)
    assumed = assumed + _own_entries(raw)
    resolved = with_world_assumptions(on_world(raw, table), shown, assumed)
    if overrides:
        resolved = apply_overrides(resolved, overrides, f"{source} --set")
        label = error("with_set", source=label, sets=" ".join(overrides))
    rule_only = {k: v for k, v in resolved.items() if k != "world"}
    rule = scenario_from_dict(rule_only, source=source, label=label).rule
    fitted = fit_world(resolved, rule, shown, source)
    scenario = scenario_from_dict(fitted, source=source, label=label)
    scenario._world = "<world>" if isinstance(world, Mapping) else str(world)
    return scenario


class WorldsWarning(UserWarning):
    """Compared rules that each ran in a world of their own (other departments, tasks or
    classes): their differences are the plans', rule and world together."""


OTHER_WORLDS = N_(
    "the rules ran in different worlds ({worlds}: their departments, tasks or classes differ): "
    "each difference is between the plans as a whole, rule and world together, not the rules "
    "alone; to compare the rules on the same departments and noise, give --world and a world "
    "whose indicators they can all measure (a bundled name or a file with a [world])"
)


def other_worlds(worlds: Mapping[str, Any]) -> list[str]:
    """The names of ``worlds`` (rule → its world: a scenario's world, its table as in a run
    folder's resolved scenario, or None) when they differ in their departments, tasks or classes,
    so that the rules did not see the same departments; [] when they are alike (a rule without a
    world is left out: it is refused when it runs)."""

    def shape(world: Any) -> tuple:
        get = world.get if isinstance(world, Mapping) else lambda key: getattr(world, key, None)
        return (
            repr(get("departments")),
            *(tuple(sorted(get(k) or ())) for k in ("tasks", "classes")),
        )

    shapes = {name: shape(w) for name, w in worlds.items() if w is not None}
    return list(shapes) if len(set(shapes.values())) > 1 else []


def warn_other_worlds(named: Mapping[str, Scenario]) -> None:
    """Warn (:class:`WorldsWarning`) when the rules' worlds differ in their departments, tasks
    or classes (:func:`other_worlds`), so that the rules do not see the same departments (a world
    fitted to each rule, ``--world``, keeps them and measures only the rule's indicators and
    raters)."""
    names = other_worlds({name: sc.world for name, sc in named.items()})
    if names:
        said = Phrase(OTHER_WORLDS, {"worlds": "; ".join(names)})
        warnings.warn_explicit(WorldsWarning(said), WorldsWarning, "perfsim", 0)
