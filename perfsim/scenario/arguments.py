"""Checks of the Python API's plain arguments (``reps``, ``seed``, ``jobs``, lists of texts), so
that a slip there is said as a scenario's errors are: the argument, the value given and what is
allowed, not a ``TypeError`` from deep inside numpy or a list of single characters."""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from pathlib import Path

from .errors import PerfsimError
from .names import nearest


class ArgumentError(PerfsimError, ValueError):
    """An argument of a perfsim function that is not what the function takes."""


def is_whole(value) -> bool:
    """Whether ``value`` is a Python or numpy integer (not a bool, not a float)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def whole(name: str, value, minimum: int = 1) -> int:
    """``value`` as an int, if it is a whole number (:func:`is_whole`) of at least ``minimum``."""
    if not is_whole(value):
        raise ArgumentError(
            f"{name} must be a whole number ≥ {minimum}; got {value!r} ({type(value).__name__})"
        )
    if value < minimum:
        raise ArgumentError(f"{name} must be a whole number ≥ {minimum}; got {value!r}")
    return int(value)


def seed(value) -> int:
    """The seed of a run: a whole number ≥ 0. ``None`` (numpy's "a fresh random seed") is refused:
    a run could not be repeated from its record, and the rules of a comparison would no longer
    meet the same simulated departments."""
    if value is None:
        raise ArgumentError(
            "seed must be a whole number ≥ 0 (the same seed gives the same numbers, and every "
            "rule of a comparison the same simulated departments); got None. Give one, e.g. "
            "seed=0, or draw one with random.randrange(2**32) and keep it with the results"
        )
    return whole("seed", value, 0)


#: what one text of each list argument looks like (said in the error of a wrong one)
EXAMPLES = {
    "overrides": "rule.audit.probability=0.2",
    "variants": "audit20:rule.audit.probability=0.2",
    "across": "world.motivation=0.25,0.75",
    "levers": "rule.pay.per_point=0:2",
    "objectives": "kendall_tau",
    "constraints": "gaming_share<0.1",
    "metrics": "kendall_tau",
}


def given(overrides: Sequence[str], world) -> dict:
    """What a command gave besides its scenario, as a result folder records it for the report's
    rerun command (:func:`perfsim.report.rerun.given_args`): each ``--set`` and the ``--world``
    named by a file or bundled name (a world given as a table has none). No part of a folder's
    hash: the resolved scenario is what they made."""
    return {
        "overrides": list(overrides),
        "world_given": str(world) if isinstance(world, str | Path) else None,
    }


def texts(name: str, value: Iterable[str] | str) -> list[str]:
    """The list argument ``name`` (a key of :data:`EXAMPLES`) as a list of texts; one text alone
    counts as a list of one (``overrides="rule.x=1"``, not the characters of it)."""
    example = EXAMPLES[name]
    if isinstance(value, str):
        return [value]
    if value is None:
        return []
    try:
        items = list(value)
    except TypeError:
        raise ArgumentError(
            f"{name} must be a list of texts such as {example!r}; got {value!r}"
        ) from None
    for item in items:
        if not isinstance(item, str):
            raise ArgumentError(
                f"{name} must be a list of texts such as {example!r}; got {item!r} "
                f"({type(item).__name__}) in it"
            )
    return items


def one_of(name: str, value, allowed) -> None:
    """Refuse ``value`` unless it is one of ``allowed``, naming the nearest (a metric's name, a
    world's): an :class:`ArgumentError`, not pandas' ``KeyError``."""
    allowed = list(allowed)
    if value in allowed:
        return
    close = nearest(value, allowed)
    hint = f" (did you mean {close!r}?)" if close is not None else ""
    shown = ", ".join(map(str, allowed[:12])) + (", …" if len(allowed) > 12 else "")
    raise ArgumentError(f"{name} {value!r} is not in this result{hint}; it has: {shown}")
