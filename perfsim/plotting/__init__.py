"""Figure style shared by every figure perfsim draws: CJK fonts, sizes, atomic saving.

Below the experiments and the report (it imports only :mod:`perfsim.io`), so that the sensitivity
and empirical figures and the report's figures look alike."""

from .fonts import font_context, use_cjk_font, warn_if_missing

__all__ = ["font_context", "use_cjk_font", "warn_if_missing"]
