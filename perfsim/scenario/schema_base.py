"""The base model of every scenario table."""

import re
from collections.abc import Mapping
from types import UnionType
from typing import Annotated, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator, model_validator

from .errors import LocatedValueError, error

#: The largest number (in size) a scenario or a table may hold: anything larger is a slipped
#: decimal point or a wrong unit, and would overflow the model's arithmetic (1e308 weights sum to
#: ∞) rather than say so.
MAX_MAGNITUDE = 1e15
SHOWN_MAX = "1e15"
"""How :data:`MAX_MAGNITUDE` is written in messages."""


def check_language_code(key: str, lang: str) -> None:
    """A key of a ``translations`` table is a language code (``zh``): two or three lowercase
    letters; ``key`` is where it stands (``translations.<lang>``), for the error."""
    if not (lang.isascii() and lang.isalpha() and lang.islower() and 2 <= len(lang) <= 3):
        raise LocatedValueError(key, lang, "a language code, e.g. zh (Chinese)")


class Strict(BaseModel):
    """Base model: unknown keys are errors; objects are immutable; numbers are finite (TOML's
    ``nan`` and ``inf`` are refused everywhere) and at most :data:`MAX_MAGNITUDE` in size."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False
    )

    @field_validator("*", mode="before")
    @classmethod
    def _a_number_is_a_number(cls, value, info: ValidationInfo):
        """A number field takes a number: ``true`` was read as 1, and ``"0.5"`` (quoted) as 0.5,
        so a slip in the file passed unseen (a TOML ``true`` for a noise, a bonus or a count)."""
        found = _not_a_number(cls.model_fields[info.field_name].annotation, value)
        if found is not None:
            where, bad = found
            said = error("number")
            if isinstance(bad, str) and _PLAIN_NUMBER.fullmatch(bad.strip()):  # quoted: unquote
                said = error("write", message=said, word=bad.strip(), value=repr(bad))
            if not where:
                raise ValueError(said)
            raise LocatedValueError(where[1:], bad, said)
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _not_huge(cls, value):
        _check_magnitude(value, "")
        return value

    @model_validator(mode="after")
    def _extra_not_huge(self):
        """The same for a table's own named entries (``[rule.weights]`` indicator = weight)."""
        _check_magnitude(self.model_extra or {}, "")
        return self


def _not_a_number(annotation, value) -> tuple[str, object] | None:
    """Where ``value`` is ``true``/``false`` or text while ``annotation`` wants a number, also
    inside a table or a list of numbers (``[rule.grading.quota]``): the key below the field
    (``""``, ``".优秀"``) and the value there; None when every number is a number."""
    if get_origin(annotation) is Annotated:  # (a number with bounds: Share, Probability, …)
        return _not_a_number(get_args(annotation)[0], value)
    if _numeric(annotation):  # (other text is no number to pydantic either: its own message)
        return ("", value) if isinstance(value, bool) or _reads_as_number(value) else None
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (Union, UnionType):
        found = [_not_a_number(a, value) for a in args if a is not type(None)]
        return found[0] if found and all(f is not None for f in found) else None
    if origin in (dict, Mapping) and len(args) == 2 and isinstance(value, Mapping):
        for key, item in value.items():
            inner = _not_a_number(args[1], item)
            if inner is not None:
                return f".{key}{inner[0]}", inner[1]
    if origin in (list, tuple) and args and isinstance(value, list | tuple):
        for item in value:
            inner = _not_a_number(args[0], item)
            if inner is not None:
                return inner
    return None


#: a number as a file can hold it (finite, ASCII digits): what a quoted one is told to write
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


def _reads_as_number(value) -> bool:
    """Whether ``value`` is text that pydantic would read as a number (``"0.5"``, ``" 3 "``)."""
    if not isinstance(value, str):
        return False
    try:
        float(value)
    except ValueError:
        return False
    return True


def _numeric(annotation) -> bool:
    """Whether a field's type is a number (``int``, ``float``, or either or ``None``)."""
    kinds = (
        set(get_args(annotation)) if get_origin(annotation) in (Union, UnionType) else {annotation}
    )
    return bool(kinds) and kinds <= {int, float, type(None)} and kinds != {type(None)}


def _check_magnitude(value, where: str) -> None:
    """Refuse a number larger than :data:`MAX_MAGNITUDE` in ``value`` (a number, or a table or a
    list of them; ``where``: the key inside it, for the message)."""
    if isinstance(value, bool):
        return
    if isinstance(value, int | float):
        if abs(value) > MAX_MAGNITUDE:
            shown = f"{value:g}" if isinstance(value, float) else _whole(value)
            key = f" ({where} = {shown})" if where else ""
            bound = SHOWN_MAX if value > 0 else f"-{SHOWN_MAX}"
            raise ValueError(error("le" if value > 0 else "ge", bound=bound) + key)
    elif isinstance(value, Mapping):
        for k, v in value.items():
            _check_magnitude(v, f"{where}.{k}" if where else str(k))
    elif isinstance(value, list | tuple):
        for v in value:
            _check_magnitude(v, where)


def _whole(value: int) -> str:
    """A whole number as it reads (one too large for a float, or for ``str``: its size)."""
    if abs(value) < 10**20:
        return str(value)
    return f"about 1e{int(abs(value).bit_length() * 0.30103)}"
