"""The figure style shared by the report figures (:mod:`perfsim.report.figures`) and the empirical
figures (:mod:`perfsim.empirical.figures`): resolution, matplotlib settings, the decorator that
builds a figure in that style, the footnote and the atomic save."""

from __future__ import annotations

import functools
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.text import Text

from ..io import atomic_write
from .fonts import font_context, warn_if_missing

__all__ = ["DPI", "RC", "SavedFigure", "atomic_savefig", "figure_function", "footnote"]

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
    with mpl.rc_context(rc):
        atomic_write(
            path, lambda tmp: fig.savefig(tmp, bbox_inches="tight", pad_inches=0.15, **kwargs)
        )


@dataclass
class SavedFigure:
    """A figure written to ``figures/``: stem, PNG and SVG paths, a caption and alt text."""

    stem: str
    title: str
    caption: str
    alt: str
    png: Path
    svg: Path
