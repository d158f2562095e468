"""Figures of a run folder (``perfsim run``) or a comparison folder (``perfsim compare``).

Every figure function takes tidy tables (as read from the folder) and returns a
:class:`perfsim.plotting.Figure` (a matplotlib figure built without pyplot: no global state,
freed when dropped; a notebook cell that returns it shows it inline).
Figures are readable in black and white: rules, classes and verdicts are told apart by hatching,
marker shape and fill, never by colour alone. Chinese names are drawn with a CJK fallback font when
one is installed (:mod:`perfsim.plotting.fonts`).

:func:`save_figures` writes every figure that applies to a folder as PNG (120 dpi) and SVG into
``<run_dir>/figures/``:

========================  =====================================================================
``forest``                paired differences from the reference rule, per metric (comparison)
``confusion``             true band × assigned grade, per rule
``effort_gaming``         effort per task and gaming per indicator, per class and rule
``score_vs_value``        total score against true value, and rank by score against rank by value
``weights``               nominal against effective weight of each component, per rule
``robustness``            maximum regret per rule and metric (comparison with ``--across``)
========================  =====================================================================

A comparison's per-department figures show its first world (the ``base`` world, or the first
combination of ``--across`` values); the forest plot shows every world.
"""

from __future__ import annotations

from ... import metric_registry
from ...plotting.style import SavedFigure
from ..rules import DEFAULT_COMPONENT, nominal_shares, short_world
from ..runs import RunFolder, RunFolderError, load_run
from .comparison import forest_figure, robustness_figure
from .run import confusion_figure, effort_gaming_figure, score_value_figure, weights_figure
from .write import FIGURE_STEMS, save_figures, write_figures

__all__ = [
    "DEFAULT_COMPONENT",
    "FIGURE_STEMS",
    "RunFolder",
    "RunFolderError",
    "SavedFigure",
    "confusion_figure",
    "effort_gaming_figure",
    "forest_figure",
    "load_run",
    "metric_description",
    "nominal_shares",
    "robustness_figure",
    "save_figures",
    "score_value_figure",
    "short_world",
    "weights_figure",
    "write_figures",
]


def metric_description(metric: str) -> str:
    """One-line description of a metric (also for ``effective_weight:<component>``), from
    :mod:`perfsim.metric_registry`."""
    return metric_registry.describe(metric)
