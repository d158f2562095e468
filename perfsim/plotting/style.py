"""The figure style shared by the report figures (:mod:`perfsim.report.figures`) and the empirical
figures (:mod:`perfsim.empirical.figures`): resolution, matplotlib settings, the decorator that
builds a figure in that style, the footnote and the atomic save."""

from __future__ import annotations

import functools
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.text import Text

from ..io import atomic_write
from .fonts import font_context, warn_if_missing

__all__ = [
    "DPI",
    "RC",
    "SavedFigure",
    "atomic_savefig",
    "figure_function",
    "footnote",
    "stable_svg_ids",
]

DPI = 120

#: matplotlib settings of every figure (``mpl.rc_context(RC)``).
RC = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "hatch.linewidth": 0.6,
}


def figure_function(fn: Callable[..., Figure]) -> Callable[..., Figure]:
    """Build the figure with the report style and the CJK fallback font; warn (once per process)
    if it has Chinese text but no CJK font is installed."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs) -> Figure:
        import matplotlib as mpl

        with font_context(), mpl.rc_context(RC):
            fig = fn(*args, **kwargs)
        warn_if_missing(t.get_text() for t in fig.findobj(Text))
        return fig

    return wrapper


def footnote(fig: Figure, text: str, width: int = 130) -> None:
    """A note at the bottom of the figure (the figure's x super-label, so that the constrained
    layout makes room for it)."""
    fig.supxlabel("\n".join(textwrap.wrap(text, width)), x=0.01, ha="left", fontsize=8)


def atomic_savefig(fig: Figure, path: Path, **kwargs) -> None:
    """``fig.savefig`` (tight bounding box) to a temporary file beside ``path``, renamed into place
    (:func:`perfsim.io.atomic_write`, which keeps the umask's permissions); the format is
    ``kwargs["format"]`` or else the suffix of ``path``. An SVG is the same bytes for the same
    figure: no date, and its element ids from a fixed salt (matplotlib's are random), so a
    regenerated curated example changes only where its figures do."""
    import matplotlib as mpl

    fmt = kwargs.setdefault("format", path.suffix.lstrip("."))
    rc = {}
    if fmt == "svg":
        kwargs.setdefault("metadata", {"Date": None})
        rc["svg.hashsalt"] = "perfsim"

    def save(tmp: Path) -> None:
        fig.savefig(tmp, bbox_inches="tight", pad_inches=0.15, **kwargs)
        if fmt == "svg":
            tmp.write_text(stable_svg_ids(tmp.read_text(encoding="utf-8")), encoding="utf-8")

    with mpl.rc_context(rc):
        atomic_write(path, save)


#: the ids matplotlib hashes for an SVG's clip paths and markers (a letter or two and ten hex
#: digits); the hash of a clip path takes the Python id of an object, so it changes from run to run
_HASHED_ID = re.compile(r'id="([a-z]{1,2})([0-9a-f]{10})"')


def stable_svg_ids(text: str) -> str:
    """An SVG of matplotlib's with its hashed element ids renumbered in order of first
    appearance (``p1``, ``m1``, …) and every reference to them (``#id``) likewise: the same
    figure gives the same bytes, whatever the process that drew it."""
    names: dict[str, str] = {}
    counts: dict[str, int] = {}
    for prefix, digits in _HASHED_ID.findall(text):
        old = prefix + digits
        if old not in names:
            counts[prefix] = counts.get(prefix, 0) + 1
            names[old] = f"{prefix}{counts[prefix]}"
    if not names:
        return text
    pattern = re.compile(
        r'(?<=id=")(' + "|".join(names) + r')(?=")|(?<=#)(' + "|".join(names) + r")\b"
    )
    return pattern.sub(lambda m: names[m.group(1) or m.group(2)], text)


@dataclass
class SavedFigure:
    """A figure written to ``figures/``: stem, PNG and SVG paths, a caption and alt text."""

    stem: str
    title: str
    caption: str
    alt: str
    png: Path
    svg: Path
