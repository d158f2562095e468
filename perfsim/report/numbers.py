"""How the report writes numbers: a mean ± its standard error to the digits the error allows, a
paired difference with its interval, a share as a percentage (a minus sign is U+2212)."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["decimals", "diff_interval", "finite", "num", "pct", "pm"]


def finite(x: Any) -> bool:
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def decimals(se: float) -> int:
    if not finite(se) or se <= 0:
        return -1
    return int(min(6, max(0, -math.floor(math.log10(se)) + 1)))


def num(x: Any, decimals: int = -1, sign: bool = False) -> str:
    if not finite(x):
        return "–"
    x = float(x)
    if x == 0:
        return "0"
    if decimals < 0:
        text = f"{x:+.4g}" if sign else f"{x:.4g}"
    else:
        text = f"{x:+.{decimals}f}" if sign else f"{x:.{decimals}f}"
    return text.replace("-", "−")


def pm(mean: Any, se: Any) -> str:
    d = decimals(float(se) if finite(se) else float("nan"))
    if d < 0:
        return num(mean) + (" ± 0" if finite(se) else "")
    return f"{num(mean, d)} ± {num(se, d)}"


def diff_interval(diff: Any, se: Any, low: Any, high: Any) -> str:
    d = decimals(float(se) if finite(se) else float("nan"))
    if d < 0:
        return num(diff, sign=True)
    return f"{num(diff, d, True)} [{num(low, d, True)}, {num(high, d, True)}]"


def pct(x: float) -> str:
    return f"{100 * x:.3g} %"
