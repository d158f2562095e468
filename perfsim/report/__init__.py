"""Figures and reports of result folders: ``save_figures(run_dir)`` and ``build_report(folder)``.

The report only renders: :func:`perfsim.results.read_result` reads the folder into a record,
:mod:`.sections` turns each kind of record into a :class:`~.document.Document`, and
:mod:`.document` renders it as HTML and as Markdown. The figures of runs and comparisons are in
:mod:`.figures` (by kind); :mod:`.style` and :mod:`.fonts` are shared with the empirical figures.
"""

from .figures import save_figures
from .html import build_report

__all__ = ["build_report", "save_figures"]
