"""No silent drops: the parts of a rule that the simulation does not realise.

A scenario can set a part of a rule that scoring a real table uses but the simulated world does not
act on (a grade's budget factor, bonus points read from a data column, …). :data:`UNREALISED`
lists every such part, once; :func:`not_simulated` says which of them a scenario sets. A run,
a comparison and a sensitivity analysis warn once (:class:`NotSimulatedWarning`) naming those
parts, record them in the run metadata (``not_simulated``), and the report lists them.

A scenario documents why a part is left out in ``meta.not_simulated``, keyed by the part's path
as the warning prints it (``"rule.rewards.*.budget_factor" = "why"``) or by one of its keys
(``"rule.rewards.优秀.budget_factor"``): it is then not warned about, and the report gives the
reason.

When a mechanism makes a part act in the simulation, delete the part's line from
:data:`UNREALISED` (and the reasons for it in the bundled scenarios' ``meta.not_simulated``):
``tests/test_coverage.py`` perturbs every field of a rule that uses every part of the language,
simulates it and scores a real table with it, and fails while a listed part moves a simulated
number, or a field that is not listed moves a scored number but no simulated one.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from ..phrases import N_, Phrase, Phrases
from .schema import Scenario


@dataclass(frozen=True)
class Part:
    """A part of a rule that the simulation does not realise.

    ``path``: dotted, with ``*`` for any key of a table (``rule.rewards.*.budget_factor``);
    ``neutral``: the value at which the part has no effect (a key holding it is not reported);
    ``what``: what the part is, in a few words (marked for translation); ``inert``: for a part
    whose effect also depends on the world, ``inert(scenario, key, value)`` says when a set key
    (its path as a tuple) still has no effect to lose (None: only ``neutral`` is inert)."""

    path: str
    neutral: Any
    what: str
    inert: Callable[[Scenario, tuple[str, ...], Any], bool] | None = None

    def covers(self, path: str) -> bool:
        """Whether the dotted ``path`` (e.g. an uncertain input's) is this part or inside it."""
        mine, theirs = self.path.split("."), path.split(".")
        return len(theirs) >= len(mine) and all(
            m in ("*", t) for m, t in zip(mine, theirs, strict=False)
        )


def _honest_anyway(scenario: Scenario, key: tuple[str, ...], value: Any) -> bool:
    """``gameable = false`` loses nothing when the world cannot game the indicator either."""
    name = key[2]
    world = scenario.world
    measure = world.indicators.get(name) if world is not None else None
    return bool(value) or measure is None or measure.gameability == 0


def _world_event(scenario: Scenario, key: tuple[str, ...], value: Any) -> bool:
    """An item or veto column the world makes happen (``world.events``, perfsim/world/events.py)
    is simulated; the net cap is, once an item is."""
    events = scenario.world.events if scenario.world is not None else {}
    if key[:2] == ("rule", "adjustments"):
        return key[2] in events
    if key == ("rule", "net_adjustment_cap"):
        return any(name in events for name in scenario.rule.adjustments)
    return all(column in events for column in value)  # rule.veto.columns


#: Every part of a rule that the simulation does not realise (one line each; delete the line when
#: the simulation makes the part act). Bonus and deduction items and veto columns act where the
#: world gives them an event (``world.events``).
UNREALISED: tuple[Part, ...] = (
    Part(
        "rule.adjustments.*",
        None,
        N_("bonus and deduction points (创新创优 加分, 减分)"),
        _world_event,
    ),
    Part(
        "rule.net_adjustment_cap",
        None,
        N_("cap on the net bonus and deduction points"),
        _world_event,
    ),
    Part("rule.veto.columns", [], N_("one-vote veto data columns (一票否决)"), _world_event),
    Part(
        "rule.indicators.*.target_column",
        None,
        N_("per-department targets read from a data column (every department gets `target`)"),
    ),
    Part(
        "rule.indicators.*.gameable",
        True,
        N_("an indicator declared not gameable (the world's gameability decides)"),
        _honest_anyway,
    ),
)


@dataclass(frozen=True)
class Dropped:
    """A part of :data:`UNREALISED` that a scenario sets: ``keys`` are the concrete keys (e.g.
    ``rule.rewards.优秀.budget_factor``), ``reason`` what ``meta.not_simulated`` says (``""``:
    undocumented)."""

    part: Part
    keys: tuple[str, ...]
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The run metadata's entry (``not_simulated``)."""
        return {
            "part": self.part.path,
            "what": self.part.what,
            "keys": list(self.keys),
            "reason": self.reason,
        }


class NotSimulatedWarning(UserWarning):
    """A scenario sets a part of the rule that the simulation does not realise, undocumented."""


def _matches(table: Any, parts: list[str], prefix: tuple) -> Iterator[tuple[tuple, Any]]:
    """(key path, value) of every key of ``table`` that the path ``parts`` names."""
    if not parts:
        yield prefix, table
        return
    head, rest = parts[0], parts[1:]
    if not isinstance(table, Mapping):
        return
    keys = list(table) if head == "*" else [head] if head in table else []
    for key in keys:
        yield from _matches(table[key], rest, (*prefix, str(key)))


def not_simulated(
    scenario: Scenario, varied: tuple[str, ...] = (), parts: tuple[Part, ...] = UNREALISED
) -> list[Dropped]:
    """The parts of ``parts`` that ``scenario`` sets to something other than their neutral value,
    or that a path of ``varied`` (a sensitivity analysis's uncertain inputs) names, in the order of
    ``parts``, each with its keys and the reason ``meta.not_simulated`` gives."""
    raw = {"rule": scenario.rule.model_dump(mode="python")}
    documented = scenario.meta.not_simulated
    found = []
    for part in parts:
        keys = tuple(
            ".".join(key)
            for key, value in _matches(raw, part.path.split("."), ())
            if value != part.neutral
            and not (part.inert is not None and part.inert(scenario, key, value))
        )
        keys += tuple(p for p in varied if part.covers(p) and p not in keys)
        if keys:
            reasons = [documented[k] for k in (part.path, *keys) if k in documented]
            found.append(Dropped(part, keys, "; ".join(dict.fromkeys(reasons))))
    return found


def undocumented(dropped: list[Dropped]) -> list[Dropped]:
    """The dropped parts whose scenario does not say why they are left out."""
    return [d for d in dropped if not d.reason]


#: the warning's templates (a :class:`perfsim.phrases.Phrase`, said again in a terminal's language)
NOT_SIMULATED = N_(
    "{where}: not simulated: {named}. The simulated departments do not respond to these parts of "
    'the rule and no simulated number depends on them; say why in meta.not_simulated (e.g. "'
    '{path}" = "reason") to silence this warning'
)
PART, PART_SET_IN = N_("{path}: {what}"), N_("{path}: {what} (set in {keys})")


def warning_text(where: str, dropped: list[Dropped]) -> Phrase | None:
    """One line naming the undocumented parts of ``dropped`` (None when there are none)."""
    todo = undocumented(dropped)
    if not todo:
        return None
    named = []
    for d in todo:
        values = {"path": d.part.path, "what": Phrase(d.part.what)}
        if d.keys == (d.part.path,):
            named.append(Phrase(PART, values))
        else:
            named.append(Phrase(PART_SET_IN, {**values, "keys": ", ".join(d.keys)}))
    return Phrase(
        NOT_SIMULATED,
        {"where": where, "named": Phrases(tuple(named), N_("; ")), "path": todo[0].part.path},
    )


_WARNED: dict = {}  # warnings' registry: one warning per message and process
_COLLECTING: ContextVar[list[tuple[str, list[Dropped]]] | None] = ContextVar(
    "perfsim_not_simulated", default=None
)


@contextmanager
def collected() -> Iterator[list[tuple[str, list[Dropped]]]]:
    """Within the block, :func:`warn_not_simulated` collects ``(where, dropped)`` in the list it
    yields instead of warning (a comparison warns once for all its runs)."""
    found: list[tuple[str, list[Dropped]]] = []
    token = _COLLECTING.set(found)
    try:
        yield found
    finally:
        _COLLECTING.reset(token)


def merged(found: list[tuple[str, list[Dropped]]]) -> list[Dropped]:
    """The dropped parts of several runs, one entry per part (keys and reasons joined)."""
    by_part: dict[str, Dropped] = {}
    for _where, dropped in found:
        for d in dropped:
            old = by_part.get(d.part.path)
            if old is None:
                by_part[d.part.path] = d
                continue
            keys = tuple(dict.fromkeys((*old.keys, *d.keys)))
            # undocumented in any run: undocumented
            reason = (
                "; ".join(dict.fromkeys((old.reason, d.reason))) if old.reason and d.reason else ""
            )
            by_part[d.part.path] = Dropped(d.part, keys, reason)
    return list(by_part.values())


def warn_not_simulated(where: str, dropped: list[Dropped]) -> None:
    """Warn once (one line, per message and process) about the undocumented parts of ``dropped``
    (inside :func:`collected`: collect them instead)."""
    collecting = _COLLECTING.get()
    if collecting is not None:
        collecting.append((where, dropped))
        return
    message = warning_text(where, dropped)
    if message is not None:
        # lineno 0: no source line is printed, so the warning is one line on stderr
        warnings.warn_explicit(
            NotSimulatedWarning(message), NotSimulatedWarning, "perfsim", 0, registry=_WARNED
        )
