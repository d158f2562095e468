"""Checking names against the names a scenario declares, with a "did you mean" hint."""

from __future__ import annotations

import difflib

from .errors import LocatedValueError


def check_names(needed, given, path: str, kind: str, missing: str) -> None:
    """Every name the rule uses has a world entry at ``path``, and every entry there is used."""
    needed, given = list(needed), list(given)
    for name in needed:
        if name not in given:
            raise LocatedValueError(path, given, missing.format(name=name), has_value=False)
    for name in given:
        if name not in needed:
            raise LocatedValueError(f"{path}.{name}", name, unknown_name(kind, name, needed), False)


def nearest(name: str, allowed, cutoff: float = 0.5) -> str | None:
    """The name of ``allowed`` nearest to ``name`` (difflib's ratio at least ``cutoff``), or
    None: the "did you mean" of every message."""
    close = difflib.get_close_matches(str(name), [str(a) for a in allowed], n=1, cutoff=cutoff)
    return close[0] if close else None


def unknown_name(kind: str, name: str, allowed) -> str:
    allowed = [str(a) for a in allowed]
    if not allowed:
        return f"no {kind} of that name (none is declared)"
    close = nearest(name, allowed)
    hint = f" (did you mean {close!r}?)" if close else ""
    return f"no {kind} of that name{hint}; allowed: {', '.join(allowed)}"
