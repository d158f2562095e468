"""The base model of every scenario table."""

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """Base model: unknown keys are errors; objects are immutable; numbers are finite (TOML's
    ``nan`` and ``inf`` are refused everywhere)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False
    )
