"""Dotted key paths into a scenario, and the keys of ``[rule.weights]`` that are not indicators.

The ground floor of the scenario package: the schema and the overrides both read it, and it
imports nothing of perfsim.
"""

from __future__ import annotations

#: Keys of [rule.weights] that are not indicator names.
RESERVED_WEIGHT_KEYS = frozenset({"method", "by_class", "pairwise", "allow_inconsistent"})


def split_path(path: str) -> list[str]:
    """Split a dotted path; a segment may be quoted to contain dots: ``rule.indicators."a.b".weight``."""
    parts: list[str] = []
    buf = ""
    quote = None
    for ch in path:
        if quote:
            if ch == quote:
                quote = None
            else:
                buf += ch
        elif ch in "\"'":
            quote = ch
        elif ch == ".":
            parts.append(buf)
            buf = ""
        else:
            buf += ch
    parts.append(buf)
    return [p.strip() for p in parts]


def repeated_paths(paths) -> list[str]:
    """The ``paths`` that name an entry another of them names too (``rule.audit."probability"``
    and ``rule.audit.probability`` are one entry), in their order."""
    keys = [tuple(split_path(p)) for p in paths]
    return [p for p, key in zip(paths, keys, strict=True) if keys.count(key) > 1]
