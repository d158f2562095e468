"""User errors in scenarios and data: each names the file, the key path, the bad value and what is allowed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One located problem: ``source: path = value: message``."""

    source: str
    path: str
    value: object
    message: str
    has_value: bool = True

    def __str__(self) -> str:
        where = f"{self.source}: " if self.source else ""
        if not self.path:
            return f"{where}{self.message}"
        if self.has_value:
            return f"{where}{self.path} = {_show(self.value)}: {self.message}"
        return f"{where}{self.path}: {self.message}"


def _show(value: object) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 80 else text[:77] + "..."


class PerfsimError(Exception):
    """Base class of the errors that perfsim reports to users without a traceback."""


class ScenarioError(PerfsimError, ValueError):
    """A scenario (or override) that cannot be used; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class DataError(PerfsimError, ValueError):
    """A data table that cannot be scored: names the file, row and column."""


class LocatedValueError(ValueError):
    """Raised inside schema validators to point at a key below the model being validated."""

    def __init__(self, path: str, value: object, message: str, has_value: bool = True):
        self.path = path
        self.value = value
        self.has_value = has_value
        super().__init__(message)
