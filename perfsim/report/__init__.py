"""Figures and reports of result folders: ``save_figures(run_dir)`` and ``build_report(folder)``.

The report only renders: :func:`perfsim.results.read_result` reads the folder into a record,
:mod:`.sections` turns each kind of record into a :class:`~.document.Document`, and
:mod:`.document` renders it as HTML and as Markdown. The figures of runs and comparisons are in
:mod:`.figures` (by kind); :mod:`.style` and :mod:`.fonts` are shared with the empirical figures.
"""

from __future__ import annotations

__all__ = ["build_report", "save_figures"]


def __getattr__(name: str):
    """``build_report`` and ``save_figures`` on first use: the terminal's summaries
    (:mod:`.summary`) need neither, nor the plotting libraries they import."""
    if name == "build_report":
        from .html import build_report

        return build_report
    if name == "save_figures":
        from .figures import save_figures

        return save_figures
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
