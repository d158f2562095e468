"""The ``[uncertain]`` table of a scenario: inputs of a sensitivity analysis, as dotted paths into
the rule or the world with a range, a distribution or a list of choices."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from .errors import LocatedValueError, error
from .paths import split_path
from .schema_base import Strict, check_language_code

__all__ = [
    "DISTRIBUTION_PARAMETERS",
    "Distribution",
    "UncertainInput",
    "UncertainText",
    "check_uncertain_paths",
    "translated_names",
]

Distribution = Literal["uniform", "normal", "lognormal", "triangular"]


#: The parameters (besides `range`) that each distribution of an uncertain input takes.
DISTRIBUTION_PARAMETERS: dict[str, tuple[str, ...]] = {
    "uniform": (),
    "normal": ("mean", "sd"),
    "lognormal": ("log_mean", "log_sd"),
    "triangular": ("mode",),
}


class UncertainText(Strict):
    """An uncertain input's name in another language (``translations.zh.name``)."""

    name: str = Field(description="The input's name in this language, in reports in it.")


class UncertainInput(Strict):
    """One uncertain input of a sensitivity analysis (``[uncertain."<dotted path>"]``)."""

    name: str = Field(
        "", description="Short name in tables and figures (default: the dotted path)."
    )
    translations: dict[str, UncertainText] = Field(
        default_factory=dict,
        description="The name in other languages, by language code (zh: Chinese), for reports "
        'in that language (perfsim report --lang zh), e.g. translations.zh.name = "社会评价权重". '
        "It changes no number and is left out of the analysis's hash.",
    )
    range: list[float] | None = Field(
        None,
        description="[low, high]: the range of a uniform input (range alone means uniform), the "
        "ends of a triangular one, the truncation of a normal or lognormal one.",
    )
    distribution: Distribution | None = Field(
        None,
        description="uniform (range), normal (mean, sd), lognormal (log_mean, log_sd: ln x is "
        "normal) or triangular (range, mode).",
    )
    mean: float | None = Field(None, description="Normal: mean, in the unit of the key.")
    sd: float | None = Field(None, gt=0, description="Normal: standard deviation (> 0).")
    log_mean: float | None = Field(None, description="Lognormal: mean of ln x.")
    log_sd: float | None = Field(None, gt=0, description="Lognormal: standard deviation of ln x.")
    mode: float | None = Field(None, description="Triangular: the most likely value.")
    integer: bool = Field(
        False, description="Round sampled values to whole numbers (e.g. survey respondents)."
    )
    choices: list[Any] | None = Field(
        None,
        description='Categorical input: the values it takes (TOML values, e.g. ["efficacy", '
        '"zscore"]), each with probability 1/k.',
    )
    group: str | None = Field(
        None, description="SALib group: inputs of one group get one joint index (Sobol, Morris)."
    )

    @model_validator(mode="after")
    def _check(self) -> UncertainInput:
        for lang, text in self.translations.items():
            check_language_code(f"translations.{lang}", lang)
            if not text.name.strip():
                raise LocatedValueError(
                    f"translations.{lang}.name", text.name, "give the name in this language"
                )
        params = {k: getattr(self, k) for k in ("mean", "sd", "log_mean", "log_sd", "mode")}
        given = [k for k, v in params.items() if v is not None]
        if self.choices is not None:
            extra = given + [k for k in ("range", "distribution") if getattr(self, k) is not None]
            if extra or self.integer:
                key = extra[0] if extra else "integer"
                raise LocatedValueError(
                    key,
                    getattr(self, key),
                    "a categorical input (choices) takes no range, distribution or parameters",
                )
            if len(self.choices) < 2:
                raise LocatedValueError("choices", self.choices, "give at least two choices")
            seen = [repr(c) for c in self.choices]
            if len(set(seen)) < len(seen):
                raise LocatedValueError("choices", self.choices, "choices must be distinct")
            return self
        dist = self.distribution or ("uniform" if self.range is not None else None)
        if dist is None:
            raise LocatedValueError(
                "",
                None,
                "give range = [low, high], a distribution with its parameters, or choices = [...]",
                has_value=False,
            )
        for key in given:
            if key not in DISTRIBUTION_PARAMETERS[dist]:
                owner = next(d for d, ps in DISTRIBUTION_PARAMETERS.items() if key in ps)
                raise LocatedValueError(
                    key, params[key], f"a parameter of distribution = {owner!r}, not {dist!r}"
                )
        missing = [k for k in DISTRIBUTION_PARAMETERS[dist] if params[k] is None]
        if missing:
            raise LocatedValueError(
                missing[0], None, f"distribution = {dist!r} needs {' and '.join(missing)}", False
            )
        if self.range is None and dist in ("uniform", "triangular"):
            raise LocatedValueError(
                "range", None, f"distribution = {dist!r} needs range = [low, high]", False
            )
        if self.range is not None:
            low_high = self.range
            if len(low_high) != 2 or not low_high[0] < low_high[1]:
                raise LocatedValueError("range", low_high, error("low_high"))
            if dist == "lognormal" and low_high[0] < 0:
                raise LocatedValueError(
                    "range", low_high, "a lognormal input is positive: the low end must be ≥ 0"
                )
            if dist == "triangular" and not low_high[0] <= self.mode <= low_high[1]:
                raise LocatedValueError("mode", self.mode, f"must lie in the range {low_high}")
        return self


def check_uncertain_paths(
    table: dict[str, UncertainInput] | None,
) -> dict[str, UncertainInput] | None:
    """Every key of ``[uncertain]`` is a dotted path into the rule or the world; names are unique."""
    names: dict[str, str] = {}
    for path, spec in (table or {}).items():
        segments = split_path(path)
        if segments[0] not in ("rule", "world") or len(segments) < 2 or not all(segments):
            raise LocatedValueError(
                path,
                path,
                "an uncertain input is a dotted path into the rule or the world, e.g. "
                "rule.audit.probability or world.indicators.output.noise",
                False,
            )
        name = spec.name or path
        if name in names:
            raise LocatedValueError(f"{path}.name", name, f"the name is taken by {names[name]}")
        names[name] = path
    # in a report in another language each input shows its name there, or else its own name
    for lang in sorted({lang for spec in (table or {}).values() for lang in spec.translations}):
        said: dict[str, str] = {}
        for path, spec in (table or {}).items():
            text = spec.translations.get(lang)
            label = text.name if text is not None else spec.name or path
            if label in said:
                where = f"{path}.translations.{lang}.name" if text else f"{path}.name"
                raise LocatedValueError(where, label, f"the name is taken by {said[label]}")
            said[label] = path
    return table


def translated_names(table: dict[str, UncertainInput] | None) -> dict[str, dict[str, str]]:
    """Each language's names of the inputs, by the input's own name: ``{"zh": {name: 名称}}``
    (the inputs without a name in that language are left out)."""
    out: dict[str, dict[str, str]] = {}
    for path, spec in (table or {}).items():
        for lang, text in spec.translations.items():
            out.setdefault(lang, {})[spec.name or path] = text.name
    return out
