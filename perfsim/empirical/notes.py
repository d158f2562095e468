"""The notes an empirical analysis records (``empirical.json``, in English), each written from one
template here, and said again in a terminal's or a report's language (:func:`said_again`)."""

from __future__ import annotations

from .. import i18n
from ..i18n import N_
from ..scoring import MORE, QUOTA_BAND

NOTES: dict[str, str] = {
    "no_world": N_("no calibration: the rule file has no [world] to calibrate (use a scenario)"),
    "no_rule": N_("no calibration: give --rule a scenario with a [world] (e.g. hangzhou-2011)"),
    "unused": N_("ratings of {components} are not used by the rule {rule}"),
    "filled": N_(
        "{count} unit-replicates drew no rater of a component; they kept the observed points"
    ),
    "wide": N_(
        "wide table: counterfactual re-scoring only; reliability, rater effects, rank "
        "intervals and calibration need the long ratings table (one row per rating)"
    ),
}

#: every template a recorded note can come from (the rule's quota-band message too)
TEMPLATES = (*NOTES.values(), QUOTA_BAND, MORE)


def note(key: str, **values: object) -> str:
    """The note ``key`` of :data:`NOTES` with its values, in English (what an analysis records)."""
    return NOTES[key].format(**values)


def said_again(text: str) -> str:
    """A recorded note in the current language (from its template when it has one)."""
    return i18n.said_again(text, TEMPLATES)
