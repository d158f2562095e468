"""The base model of every scenario table."""

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from .errors import error

#: The largest number (in size) a scenario or a table may hold: anything larger is a slipped
#: decimal point or a wrong unit, and would overflow the model's arithmetic (1e308 weights sum to
#: ∞) rather than say so.
MAX_MAGNITUDE = 1e15
SHOWN_MAX = "1e15"
"""How :data:`MAX_MAGNITUDE` is written in messages."""


class Strict(BaseModel):
    """Base model: unknown keys are errors; objects are immutable; numbers are finite (TOML's
    ``nan`` and ``inf`` are refused everywhere) and at most :data:`MAX_MAGNITUDE` in size."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False
    )

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
