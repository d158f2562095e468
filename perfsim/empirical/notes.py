"""The notes an empirical analysis records (``empirical.json``, in English), each written from one
template here, and said again in a terminal's or a report's language (:func:`said_again`)."""

from __future__ import annotations

from .. import i18n
from ..i18n import N_
from ..phrases import Phrase, Phrases
from ..scenario.errors import ERRORS
from ..scoring import MORE, QUOTA_BAND
from ..tables import excel_name

NOTES: dict[str, str] = {
    "no_world": N_("no calibration: the rule file has no [world] to calibrate (use a scenario)"),
    "no_rule": N_("no calibration: give --rule a scenario with a [world] (e.g. hangzhou-2011)"),
    "levels": N_(
        "no calibration: the answers of {component} have {levels} levels but the scenario's "
        "survey has {survey}, so its raters cannot be calibrated to them (the rest of the analysis "
        "does not use the survey)"
    ),
    "unused": N_("ratings of {components} are not used by the rule {rule}"),
    "filled": N_(
        "{count} unit-replicates drew no rater of a component; they kept the observed points"
    ),
    "one_rater": N_(
        "{units}: rated by a single rater in a component, so the rank interval shows none of "
        "the raters' disagreement for them (narrower than it is)"
    ),
    "blank": N_(
        "{source}: {count} of {total} ratings left blank (neither score nor answer: {where}) are "
        "left out of the analysis"
    ),
    "unrated": N_(
        "{source}: {count} unit(s) of the units table have no ratings and are left out of the "
        "analysis (and of the quota's count): {units}"
    ),
    "low_scale": N_(
        "{source}: rater group {group}: every score is at most {top} on a scale of 0-{most} "
        "(--score-max); if its scores are out of {scale}, give --score-max {scale} (they are "
        "read as given)"
    ),
    "one_grade": N_(
        "the rule has no quota and no threshold, so it grades every unit {grade} (bar a veto): "
        "the grades and their chances (the p: columns of scores.csv) say nothing about the "
        "units; give --rule a plan with its grading (e.g. hangzhou-2011)"
    ),
    "vetoed": N_(
        "{units}: vetoed (一票否决) in the units table, and so graded {grade} whatever their "
        "score (the vetoed column of scores.csv)"
    ),
    "wide": N_(
        "wide table: counterfactual re-scoring only; reliability, rater effects, rank "
        "intervals and calibration need the long ratings table (one row per rating)"
    ),
}

#: the place of a row in a CSV file (a line) and in a spreadsheet (a row), and more of them
_LINE = {False: ERRORS["line"], True: ERRORS["row"]}
MORE_LINES = N_("{names} and {more} more lines")

#: every template a recorded note can come from (the rule's quota-band message too), and of the
#: values it holds (the lines of a table)
TEMPLATES = (*NOTES.values(), QUOTA_BAND, MORE, MORE_LINES, *_LINE.values())


def note(key: str, **values: object) -> str:
    """The note ``key`` of :data:`NOTES` with its values, in English (what an analysis records)."""
    return NOTES[key].format(**values)


def phrase(key: str, **values: object) -> Phrase:
    """The note ``key`` as a :class:`perfsim.phrases.Phrase`: a warning said again in a terminal's
    language (``str`` of it is :func:`note`; the analysis records it as a note too)."""
    return Phrase(NOTES[key], values)


def lines(source, rows, shown: int = 5) -> Phrases:
    """Where the first ``shown`` data ``rows`` of a table are ("line 7, line 9", a spreadsheet's
    "row 7"), and how many more: said again in a terminal's or report's language."""
    line = _LINE[excel_name(source)]
    return _first([Phrase(line, {"line": r + 2}) for r in rows[:shown]], len(rows), MORE_LINES)


def listed(names, shown: int = 5, quoted: bool = True) -> Phrases:
    """The first ``shown`` of ``names``, quoted (unless not ``quoted``), and how many more (said
    again in a terminal's or report's language)."""
    names = list(names)
    first = [repr(n) if quoted else str(n) for n in names[:shown]]
    return _first(first, len(names), MORE)


def _first(shown: list, count: int, more: str) -> Phrases:
    """The items ``shown`` of ``count``, and with ``more`` (``{names} and {more} more``) how
    many there are beside them."""
    first = Phrases(tuple(shown))
    if count <= len(shown):
        return first
    return Phrases((Phrase(more, {"names": first, "more": count - len(shown)}),))


def said_again(text: str) -> str:
    """A recorded note in the current language (from its template when it has one; a list of
    lines, "line 7, line 9", item by item)."""
    items = text.split(", ")
    if len(items) > 1 and all(i18n.template_fields(i, TEMPLATES) for i in items):
        return i18n.gettext(", ").join(said_again(i) for i in items)
    return i18n.said_again(text, TEMPLATES, inner=said_again)
