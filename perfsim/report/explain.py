"""``--explain``: each metric's better side, smallest difference that matters and meaning, in
plain words (all from :mod:`perfsim.metric_registry`), for the summaries of ``perfsim run`` and
``perfsim compare``."""

from __future__ import annotations

from collections.abc import Sequence

from .. import metric_registry
from ..i18n import metric_name, metric_plain
from .numbers import finite, num, pct
from .phrases import say

__all__ = ["explain_lines"]


def explain_lines(metrics: Sequence[str]) -> list[str]:
    """For ``--explain``: each metric's better side, smallest difference that matters and meaning
    in plain words (all from :mod:`perfsim.metric_registry`), under the metric's name as
    :func:`perfsim.i18n.metric_name` gives it (in Chinese its label with the name, so that a line
    is found by the label the table shows)."""
    lines = []
    for metric in metrics:
        side = metric_registry.better(metric) or "none"
        meaning = metric_plain(metric)
        if side == "none":
            lines.append(say("explain.line_plain", metric=metric_name(metric),
                             side=say("explain.none"), meaning=meaning))  # fmt: skip
            continue
        fixed = metric_registry.min_difference(metric)
        delta = (
            num(fixed)
            if finite(fixed)
            else say("explain.spread", share=num(metric_registry.SPREAD_SHARE))
        )
        info = metric_registry.metric_info(metric)
        if info is not None and info.min_rel is not None:
            floor = num(info.min_diff / 5) if info.min_diff else "0"
            delta = say("explain.relative", fixed=delta, share=pct(info.min_rel), floor=floor)
        lines.append(
            say(
                "explain.line",
                metric=metric_name(metric),  # (another language: its label, as the table shows)
                side=say(f"explain.{side}"),
                delta=delta,
                meaning=meaning,
            )
        )
    return lines
