"""The figure class of every perfsim figure: a matplotlib figure that Jupyter displays.

perfsim builds its figures without pyplot: nothing global holds them, so a script that draws
hundreds of figures frees each one when it drops it, and the output does not depend on pyplot's
backend. But Jupyter (JupyterLab, Notebook, VS Code, nbconvert/nbclient) draws a bare
:class:`matplotlib.figure.Figure` only after matplotlib's inline backend has registered its
display formatter (``import matplotlib.pyplot`` or ``%matplotlib inline``); otherwise a cell
that returns a figure prints ``<Figure size 1320x608 with 12 Axes>``.

:class:`Figure` adds IPython's rich-display hook ``_repr_png_`` (a PNG at the report's
resolution, cropped as in the saved figures), so the figure displays wherever IPython runs,
whatever the backend. When the inline backend is active, IPython prefers its own formatter (then
``%config InlineBackend`` settings apply); either way the figure is drawn once. Outside IPython
nothing calls the hook: plain scripts are unchanged.

Every drawing (display, ``savefig``, the report's files) happens inside
:func:`perfsim.plotting.fonts.font_context` and with the style settings (the keys of
:data:`~.style.RC`) that were in force when the figure was built, so a figure looks the same however
it is drawn, Chinese labels use the CJK fallback font and, without one, matplotlib's per-glyph
warnings stay silent (:func:`~.fonts.warn_if_missing` says it once).
"""

from __future__ import annotations

import io

import matplotlib as mpl
import matplotlib.figure

from .fonts import font_context
from .style import DPI, RC

__all__ = ["Figure", "png_bytes"]


class Figure(matplotlib.figure.Figure):
    """A :class:`matplotlib.figure.Figure` that shows itself in Jupyter (``_repr_png_``) and is
    always drawn with perfsim's CJK fallback font and style. Build it exactly as a matplotlib figure:
    ``Figure(figsize=(8, 4), layout="constrained")``; it is not registered with pyplot."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # the style in force when the figure is built (the report's RC inside figure_function),
        # restored whenever it is drawn: tick labels, for one, are made only at draw time
        self._built_rc = {key: mpl.rcParams[key] for key in RC}

    def draw(self, renderer) -> None:
        with font_context(), mpl.rc_context(self._built_rc):
            super().draw(renderer)

    def _repr_png_(self) -> bytes:
        return png_bytes(self)


def png_bytes(fig: matplotlib.figure.Figure, dpi: float = DPI) -> bytes:
    """The figure as PNG bytes, cropped to its content as the saved figures are."""
    buffer = io.BytesIO()
    with font_context():
        fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", pad_inches=0.15)
    return buffer.getvalue()
