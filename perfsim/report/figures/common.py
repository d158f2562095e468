"""Black-and-white styles and layout helpers shared by the report figures."""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ... import metric_registry
from ...i18n import CJK_CHARS, N_

# Black-and-white styles: (face colour, hatch) of bar series, and marker shapes of classes.
BAR_STYLES = [
    ("0.3", ""),
    ("white", "///"),
    ("0.75", ""),
    ("white", "..."),
    ("0.55", "xx"),
    ("white", "\\\\\\"),
    ("0.9", "++"),
    ("white", "oo"),
]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "<", ">", "h"]
LINESTYLES = ["-", "--", ":", "-."]
VERDICT_STYLE = {  # marker, face colour, label (translated where drawn)
    "better": ("o", "black", N_("better (95 % interval excludes 0; a difference that matters)")),
    "worse": ("s", "white", N_("worse (95 % interval excludes 0; a difference that matters)")),
    "slightly better": (
        "o",
        "0.6",
        N_("slightly better (95 % interval excludes 0; estimated below what matters)"),
    ),
    "slightly worse": (
        "s",
        "0.85",
        N_("slightly worse (95 % interval excludes 0; estimated below what matters)"),
    ),
    "no practical difference": (
        "d",
        "white",
        N_("no practical difference (the whole 95 % interval is below what matters)"),
    ),
    "no detectable difference": ("D", "0.65", N_("no detectable difference")),
    "not comparable": ("^", "white", N_("not comparable (the rules grade otherwise)")),
    "": ("x", "black", N_("descriptive (no better side)")),
}


def grid(n: int, ncols: int) -> tuple[int, int]:
    ncols = max(1, min(ncols, n))
    return math.ceil(n / ncols), ncols


def hide_unused(axes: np.ndarray, used: int) -> None:
    for ax in axes.flat[used:]:
        ax.set_visible(False)


def better_direction(metric: str, table_direction: str = "") -> str:
    return table_direction or metric_registry.better(metric)


_WIDE = CJK_CHARS
_OPEN, _CLOSE = "（《「【“", "）》」】”，。、：；！？"


class _Wrapper(textwrap.TextWrapper):
    """Lines break at spaces and between Chinese characters (which have no spaces), never
    inside a Latin word (a code word such as ``quota_below_threshold`` stays whole), before a
    closing bracket or mark, or after an opening bracket."""

    _CHUNK = re.compile(
        rf"\s+|[{_OPEN}]*(?:(?![{_OPEN}{_CLOSE}])[{_WIDE}]|[^\s{_WIDE}]+)[{_CLOSE}]*|."
    )

    def _split(self, text: str) -> list[str]:
        return self._CHUNK.findall(text)


def wrap(text: str, width: int = 16) -> str:
    """``text`` in lines of about ``width`` characters (a longer Latin word on a line of its own)."""
    lines = _Wrapper(width, break_long_words=False, break_on_hyphens=False).wrap(str(text))
    return "\n".join(lines) or str(text)


def styled_bars(
    ax, centers, values, k: int, n: int, width: float, label: str, style: int | None = None, **kw
):
    face, hatch = BAR_STYLES[(k if style is None else style) % len(BAR_STYLES)]
    offset = (k - (n - 1) / 2) * width
    return ax.bar(
        np.asarray(centers) + offset,
        values,
        width=width,
        color=face,
        hatch=hatch,
        edgecolor="black",
        linewidth=0.6,
        label=label,
        **kw,
    )


def class_order(frames: Sequence[pd.DataFrame]) -> list[str]:
    return list(dict.fromkeys(c for f in frames for c in f["class"].astype(str)))
