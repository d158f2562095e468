"""How the report and the terminal write numbers: a mean ± its standard error to the digits the
error allows, a paired difference with its interval, a share as a percentage (a minus sign is
U+2212). Never in E notation (``1.545e+04`` is written ``15,450``) and never hundreds of digits:
magnitudes from 10⁻⁹ to 10¹⁵ are written out, others as ``1.5 × 10¹⁸``."""

from __future__ import annotations

import math
from typing import Any

__all__ = [
    "decimals",
    "diff_interval",
    "finite",
    "num",
    "pct",
    "pcts",
    "pm",
    "pm_parts",
    "rounding",
]

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
_WRITTEN_OUT = (-9, 15)  # decimal exponents written out in full; outside: a × 10ⁿ


def finite(x: Any) -> bool:
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def decimals(se: float) -> int:
    if not finite(se) or se <= 0:
        return -1
    return int(min(6, max(0, -math.floor(math.log10(se)) + 1)))


def num(x: Any, decimals: int = -1, sign: bool = False, digits: int = 4) -> str:
    """``x`` to ``decimals`` decimal places, or (``decimals < 0``) to ``digits`` significant
    digits without trailing zeros; thousands grouped by commas; "–" when not finite."""
    if not finite(x):
        return "–"
    x = float(x)
    if x == 0:
        return "0"
    exponent = math.floor(math.log10(abs(x)))
    plus = "+" if sign else ""
    if not _WRITTEN_OUT[0] <= exponent < _WRITTEN_OUT[1]:
        mantissa = f"{x / 10**exponent:{plus}.{max(digits - 1, 0)}f}".rstrip("0").rstrip(".")
        text = f"{mantissa} × 10{str(exponent).translate(_SUPERSCRIPT)}"
    elif decimals < 0:
        places = max(0, digits - 1 - exponent)
        text = f"{x:{plus},.{places}f}"
        if places:
            text = text.rstrip("0").rstrip(".")
    else:
        text = f"{x:{plus},.{decimals}f}"
    if not text.strip("+-0.,"):  # rounded to zero: no sign ("−0.00" was a bound of −0.0004)
        text = text.lstrip("+-")
    return text.replace("-", "−")


def rounding(error: Any, scale: Any) -> bool:
    """Whether a (finite) standard error or half-width ``error`` is floating-point rounding, not
    Monte Carlo error: at most 1e-12 of ``scale`` (the value it belongs to, at least 1), as
    the sums of a value that is the same in every replication leave it."""
    return finite(error) and abs(float(error)) <= 1e-12 * max(1.0, abs(float(scale)))


def pm_parts(mean: Any, se: Any) -> tuple[str, str | None]:
    """``mean`` and ``se`` written to the decimals the error supports (the error None when it is
    not finite; "0" when it is 0, or below 1e-12 of the mean: floating-point rounding of a value
    that is the same in every replication, not Monte Carlo error)."""
    if not finite(se):
        return num(mean), None
    if finite(mean) and rounding(se, mean):
        return num(mean), "0"
    d = decimals(float(se))
    return (num(mean), "0") if d < 0 else (num(mean, d), num(se, d))


def pm(mean: Any, se: Any) -> str:
    value, error = pm_parts(mean, se)
    return value if error is None else f"{value} ± {error}"


def diff_interval(diff: Any, se: Any, low: Any, high: Any) -> str:
    """A paired difference and its interval, to the places its standard error allows; a
    difference that rounds to zero there is written 0 (a metric equal in every replication
    differs by rounding, e.g. 1.11e-18, which is no difference, not 1.11 × 10⁻¹⁸)."""
    d = decimals(float(se) if finite(se) else float("nan"))
    if d < 0:
        return num(diff, sign=True)
    if finite(diff) and abs(float(diff)) < 0.5 * 10.0**-d:
        diff = 0.0
    return f"{num(diff, d, True)} [{num(low, d, True)}, {num(high, d, True)}]"


def pct(x: float, digits: int = 3) -> str:
    return f"{num(100 * x, digits=digits)} %"


def pcts(values: list[float], digits: int = 3) -> list[str]:
    """Shares side by side as percentages to the same places: ``digits`` significant digits of
    the largest (31.5 %, 7.0 % and 0.7 %, not 31.5 %, 7 % and 0.708 %)."""
    top = max((abs(100 * float(v)) for v in values if finite(v)), default=0.0)
    places = 0 if top == 0 else max(0, digits - 1 - math.floor(math.log10(top)))
    return [f"{num(100 * float(v), places)} %" for v in values]
