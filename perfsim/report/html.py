"""``build_report(folder)``: a self-contained HTML report and a Markdown report of a result folder.

The report is written for the people who decide on a rule, not for the simulation: it states the
scenario in words, sets the compared rules side by side, gives every metric with its Monte Carlo
uncertainty (for comparisons: the paired difference from the reference, its 95 % interval and a
verdict), sums the verdicts up in plain language, shows the figures of :mod:`.figures`, lists the
assumptions, and ends with what is needed to reproduce the numbers.

This module only puts the report together: the folder is read by :func:`perfsim.results.read_result`,
the sections of each kind are in :mod:`.sections`, and :mod:`.document` renders them.
``report.html`` needs nothing but the file: CSS is inline, every figure is a base64 PNG, there is
no script and no link outside the page. ``report.md`` links the PNGs in ``figures/``. Both are
written to a temporary name and renamed into place. All text from the folder is escaped.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from ..i18n import current_language, language
from ..i18n import gettext as _
from ..io import atomic_write, folder_lock, rewriting_report
from ..plotting.fonts import boxed_figures
from ..plotting.style import SavedFigure
from ..results import (
    ComparisonRecord,
    EmpiricalRecord,
    OptimizationRecord,
    RunRecord,
    SensitivityRecord,
    read_result,
)
from ..results.names import report_files
from .document import Block, Document, render_html, render_markdown
from .figures import write_figures
from .figures.empirical import redraw_empirical_figures
from .figures.optimization import write_optimization_figures
from .figures.sensitivity import redraw_sensitivity_figures
from .rerun import Rerun, report_command, rerun_command
from .rules import rule_summary
from .runs import RunFolder
from .sections.comparison import comparison_metrics_section, robustness_section
from .sections.empirical import empirical_document
from .sections.optimization import optimization_document
from .sections.run import (
    assumptions_section,
    reproducibility_section,
    rules_section,
    run_metrics_section,
    scenario_section,
)
from .sections.sensitivity import sensitivity_document
from .sections.world import world_section

__all__ = [
    "Rerun",
    "build_document",
    "build_report",
    "empirical_document",
    "rerun_command",
    "rule_summary",
    "sensitivity_document",
]


def build_document(run: RunFolder, figures: Iterable[SavedFigure]) -> Document:
    """The report of a run folder as a :class:`Document` (rendered to HTML and Markdown)."""
    meta = run.metadata
    if run.kind == "comparison":
        title = _("perfsim comparison: {reference} against {rules}").format(
            reference=run.reference,
            rules=_("; ").join(run.rules[1:]),  # (a name may hold 、)
        )
        when = meta.get("written")
    else:
        title = _("perfsim report: {rule}").format(rule=run.reference)
        when = meta.get("finished")
    doc = Document(title)
    doc.add("h1", title)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    doc.add(
        "subtitle",
        _("Run of {when} (UTC); report written {now}. Folder: {folder}.").format(
            when=when or "—", now=now, folder=run.path
        ),
    )
    # the results first (what a reader came for), then what they rest on
    if run.kind == "comparison":
        comparison_metrics_section(doc, run)
    else:
        run_metrics_section(doc, run)
    robustness_section(doc, run)
    figures = list(figures)
    if figures:
        doc.add("h2", _("Figures"), "figures")
        for f in figures:
            doc.add("h3", f.title)
            doc.add("figure", f)
    scenario_section(doc, run)
    rules_section(doc, run)
    world_section(doc, run)
    assumptions_section(doc, run)
    reproducibility_section(doc, run)
    return doc


def document(
    record: RunRecord | ComparisonRecord | SensitivityRecord | EmpiricalRecord | OptimizationRecord,
) -> Document:
    """The report of a record as a :class:`Document` (drawing a run's or comparison's figures,
    redrawing a sensitivity or empirical folder's from its tables, in the current language)."""
    if isinstance(record, SensitivityRecord):
        record = record.named_in(current_language())  # the inputs' names in that language
        # the analysis's figures, each replaced by the one redrawn in the report's language
        figures = {p.name: p for p in [*record.figures, *redraw_sensitivity_figures(record)]}
        record.figures = [figures[name] for name in sorted(figures)]
        return sensitivity_document(record)
    if isinstance(record, OptimizationRecord):
        return optimization_document(record, write_optimization_figures(record))
    if isinstance(record, EmpiricalRecord):
        record.figures = redraw_empirical_figures(record)
        return empirical_document(record)
    run = RunFolder.from_record(record)
    return build_document(run, write_figures(run))


def build_report(run_dir: str | Path, lang: str = "en") -> tuple[Path, Path]:
    """Write the figures, ``report.html`` (self-contained) and ``report.md`` of a run folder, a
    comparison folder, a sensitivity folder or an empirical folder, in the language ``lang``
    (one of :data:`perfsim.i18n.LANGUAGES`: every heading, caption, label and sentence, and the
    figures drawn for the report); return the two reports' paths. A report in another language
    than English is written beside the English one, as ``report.<lang>.html`` and
    ``report.<lang>.md`` with its figures in ``figures/<lang>/``
    (:func:`perfsim.results.names.report_files`), so that neither replaces the other."""
    path = Path(run_dir)
    html_path, md_path = (path / name for name in report_files(lang))
    # an unknown language and a folder that is not a result are refused before anything is
    # written, and so is a report or figure the user edited or added (io.rewriting_report), and
    # a folder another perfsim process is writing (an analysis still running: its file list and
    # the report's would lose one another's entries)
    with language(lang):
        record = read_result(path)
        with folder_lock(path), rewriting_report(path, lang):
            boxed = boxed_figures()
            doc = document(record)
            if boxed_figures() > boxed:
                _font_notice(doc, path)
            html_text, md_text = render_html(doc), render_markdown(doc, path)
            atomic_write(html_path, lambda tmp: tmp.write_text(html_text, encoding="utf-8"))
            atomic_write(md_path, lambda tmp: tmp.write_text(md_text, encoding="utf-8"))
    return html_path, md_path


def _font_notice(doc: Document, folder: Path) -> None:
    """Say at the top of the report that its figures' Chinese shows as boxes (drawn without a CJK
    font, :mod:`perfsim.plotting.fonts`), and how to mend it: a reader who is sent the page sees
    it, not only whoever saw the terminal's warning."""
    text = _(
        "The Chinese characters in this report's figures show as boxes: no font with Chinese "
        "characters was found when they were drawn. Install one (pip install mplfonts, or the "
        'extra perfsim[cjk]: pip install -e ".[cjk]" in a checkout; or Debian\'s fonts-noto-cjk), '
        "then write the report again: {command}"
    ).format(command=report_command(folder))
    at = next((i + 1 for i, b in enumerate(doc.blocks) if b.kind == "subtitle"), 1)
    doc.blocks.insert(at, Block("summary", text))
