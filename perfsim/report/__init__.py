"""Figures and reports of run folders: ``save_figures(run_dir)`` and ``build_report(run_dir)``."""

from .figures import save_figures
from .html import build_report

__all__ = ["build_report", "save_figures"]
