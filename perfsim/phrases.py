"""Sentences kept with the template they were written from, so that they can be said again in
another language.

A warning is written where it is found, in layers below the message catalogues
(:mod:`perfsim.i18n`). It is given as a :class:`Phrase`: its English text is ``str(phrase)``
(what a log, a test or an English terminal reads), and :func:`perfsim.i18n.say` fills the
translated template with the same values, saying again the values that are phrases themselves
(an advice inside a warning, the items of a list). A template is marked for the catalogues with
``N_`` where it is defined.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["N_", "Named", "Phrase", "Phrases"]


def N_(message: str) -> str:  # noqa: N802 (the gettext convention)
    """Mark a message for the catalogue without translating it now (``python -m
    perfsim.i18n.catalogue`` extracts every ``N_`` call; it is translated where it is shown)."""
    return message


@dataclass(frozen=True)
class Phrase:
    """``template`` (English, ``{name}`` fields) filled with ``values``: each a plain value (a
    number or a name from the user's files, said as it is), a :class:`Phrase` or a
    :class:`Phrases`. A phrase without values is a fixed text of the catalogue."""

    template: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        if not self.values:  # a fixed text (which may hold braces: a name from the user's files)
            return self.template
        return self.template.format(**{k: str(v) for k, v in self.values.items()})


@dataclass(frozen=True)
class Phrases:
    """Several phrases (or plain values) said one after the other, joined by ``sep`` (itself said
    again in the other language: ``"; "`` is ``"；"`` in Chinese)."""

    items: tuple[Any, ...]
    sep: str = ", "

    def __str__(self) -> str:
        return self.sep.join(str(item) for item in self.items)


@dataclass(frozen=True)
class Named:
    """A name from the user's files that has names in other languages (an uncertain input's
    ``translations.zh.name``): ``str`` is the name itself, :func:`perfsim.i18n.say` the name in
    the current language (else the name as the catalogue says it, else as it is)."""

    name: str
    names: Mapping[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.name
