"""Figure style shared by every figure perfsim draws: CJK fonts, sizes, atomic saving, and the
figure class (:class:`~.display.Figure`) that Jupyter displays inline without pyplot.

Below the experiments and the report (it imports only :mod:`perfsim.io`), so that the sensitivity
and empirical figures and the report's figures look alike."""

from .display import Figure
from .fonts import font_context, use_cjk_font, warn_if_missing

__all__ = ["Figure", "font_context", "use_cjk_font", "warn_if_missing"]
