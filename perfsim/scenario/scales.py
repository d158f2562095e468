"""Groups of shares and weights that are rescaled to sum to 1: the slips their scale gives away.

Component shares (``rule.components.*.share``), indicator weights (``rule.weights``, each
``rule.weights.by_class.<class>``) and class shares (``world.classes.*.share``) are rescaled to
sum to 1, so a group may be written in fractions (0.5/0.3/0.2) or in points (50/30/20). A group
that mixes the two is a slip:

- a member of :data:`PERCENT` or more beside a fraction (``社会评价 = 40`` among 0.3 and 0.2:
  40 % typed as 40, which would count 99 %) is an error (:func:`mixed_scale`), as the same value
  given with ``--set`` is;
- so is a smaller one above 1 that makes the group sum to 1 once read as a percentage or a tenth
  (5 beside 0.5 and 0.45: 5 %; 1.5 beside 0.5 and 0.35: 0.15);
- another member between 1 and :data:`PERCENT` beside fractions (relative weights 0.5/1/2) and
  fractions that do not sum to 1 (a source's rounded shares) are possible on purpose, so
  :func:`scale_notes` says how they count, for ``perfsim validate`` to print and ``perfsim
  run``, ``compare`` and ``score`` to warn about.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..phrases import N_, Phrase
from .errors import error

__all__ = ["PERCENT", "ScaleWarning", "groups", "mixed_scale", "scale_notes"]


class ScaleWarning(UserWarning):
    """A group of shares or weights whose scale a reader should check (:func:`scale_notes`)."""


PERCENT = 10.0
"""A member this large beside a fraction is a percentage typed as a whole number."""


def mixed_scale(values: Mapping[str, float]) -> tuple[str, float, str] | None:
    """``(name, value, message)`` of the first member of ``values`` that is a percentage typed
    beside fractions, else None: :data:`PERCENT` or more while another member lies in (0, 1), or
    above 1 where the group sums to 1 once it is read as a percentage (5 beside 0.5 and 0.45)."""
    fractions = {n: v for n, v in values.items() if 0 < v < 1}
    if not fractions:
        return None
    total = sum(values.values())
    for name, value in values.items():
        fits = [m for m in (value / 100, value / 10) if value > 1 and _sums_to_one(values, name, m)]
        if value >= PERCENT or fits:
            others = ", ".join(f"{n} {v:g}" for n, v in fractions.items())
            meant = fits[0] if fits else value / 100 if value <= 100 else None
            said = dict(value=f"{value:g}", others=others, counts=f"{value / total:.0%}")
            if meant is None:
                return name, value, error("mixed_scale", **said)
            return (
                name,
                value,
                error("mixed_scale_meant", pct=f"{100 * meant:g}", share=f"{meant:g}", **said),
            )
    return None


def _sums_to_one(values: Mapping[str, float], name: str, meant: float) -> bool:
    """Whether the group sums to 1 (within 0.005) with ``name`` read as ``meant``."""
    rest = sum(v for n, v in values.items() if n != name)
    return abs(rest + meant - 1.0) <= 0.005


def groups(rule, world=None) -> dict[str, dict[str, float]]:
    """The groups of a validated rule (and world) that are rescaled to sum to 1, by key:
    component shares, the indicator weights of each component (``rule.weights``, and each
    ``rule.weights.by_class.<class>``: weights sum to 1 within a component, so each component's
    are a group, named by the component when there are several), and class shares."""
    out: dict[str, dict[str, float]] = {
        "rule.components.*.share": {n: c.share for n, c in rule.components.items()}
    }
    comps: dict[str, list[str]] = {}
    for name in rule.indicators:
        comps.setdefault(rule.component_of(name) or "", []).append(name)
    tables = [("rule.weights", rule.weights.values)]
    tables += [(f"rule.weights.by_class.{c}", t) for c, t in rule.weights.by_class.items()]
    for key, table in tables:
        for comp, members in comps.items():
            where = f"{key} (component {comp})" if len(comps) > 1 else key
            out[where] = {i: float(table[i]) for i in members if i in table}
    if world is not None:
        out["world.classes.*.share"] = {n: c.share for n, c in world.classes.items()}
    return {k: v for k, v in out.items() if len(v) > 1}


#: the notes' templates (:class:`perfsim.phrases.Phrase`: said again in a terminal's language)
NOT_ONE = N_(
    "{key} are fractions that sum to {total}, not 1; they are rescaled to sum to 1, so they count "
    "{counts}. If a source gives them, check the numbers"
)
MIXED = N_(
    "{key} mixes fractions with {name} = {value}; they are rescaled to sum to 1, so {name} counts "
    "{share}. If you meant {meant}, write that"
)


def scale_notes(rule, world=None) -> list[Phrase]:
    """What a reader should check in the groups rescaled to sum to 1 (:func:`groups`): fractions
    that do not sum to 1 (how each then counts) and a member between 1 and :data:`PERCENT`
    beside fractions (:func:`mixed_scale` makes larger ones an error)."""
    notes = []
    for key, shares in groups(rule, world).items():
        total = sum(shares.values())
        if total <= 0:
            continue
        big = {n: v for n, v in shares.items() if v > 1}
        fractions = any(0 < v < 1 for v in shares.values())  # (all 1: relative weights)
        if not big and fractions and abs(total - 1) > 1e-6:
            counts = ", ".join(f"{n} {v / total:.1%}" for n, v in shares.items())
            notes.append(Phrase(NOT_ONE, {"key": key, "total": f"{total:g}", "counts": counts}))
        elif big and fractions:
            name, value = next(iter(big.items()))
            meant = value / 10 if value < 10 else value / 100  # 1.5 for 0.15
            share, value, meant = f"{value / total:.0%}", f"{value:g}", f"{meant:g}"
            notes.append(
                Phrase(
                    MIXED,
                    {"key": key, "name": name, "value": value, "share": share, "meant": meant},
                )
            )
    return notes
