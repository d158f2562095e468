"""The notes a sensitivity analysis records, each written from one template here.

A run records its notes in English (``sensitivity.json``, the terminal). A report in another
language says them again with :func:`said_again`: a note made from a template of :data:`NOTES` is
matched back to it and the translated template filled in with the same values (metric names,
numbers); any other note is translated whole when the catalogue has it, else shown as recorded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ... import i18n
from ...i18n import N_, template_fields
from ...i18n import gettext as _
from ...phrases import Phrase

__all__ = [
    "CONVERGED",
    "NO_SMALLER_INDEX",
    "NOTES",
    "NOT_CUT",
    "WITHIN",
    "note",
    "phrase",
    "said_again",
]

NOTES: dict[str, str] = {
    "undefined": N_("{metric}: undefined in {bad} samples; not analysed."),
    "constant": N_(
        "{metric}: constant across the samples; no index (it does not respond to these inputs)."
    ),
    "unreliable": N_(
        "{count} of {analysed} metrics have indices whose interval is wider than the index, or "
        "that are negative beyond it: increase n (or reps) before reading them ({metrics}; "
        "details in {file})."
    ),
    "sobol_n": N_(
        "Sobol' N rounded up from {n} to {used}, a power of two (Sobol' sequences are balanced "
        "only at powers of two)."
    ),
    "fast_n": N_("FAST needs N > 4M² = {least}: N raised from {n} to {used}."),
    "no_groups": N_("{method} gives one index per input: the groups are not used."),
    # a metric's unreliable indices (both kinds first: a field matches as little as it can)
    "unreliable_both": N_(
        "{metric}: negative beyond the interval: {negative}; interval wider than the index: "
        "{wide} — increase n (or reps) before reading these."
    ),
    "unreliable_negative": N_(
        "{metric}: negative beyond the interval: {negative} — increase n (or reps) before "
        "reading these."
    ),
    "unreliable_wide": N_(
        "{metric}: interval wider than the index: {wide} — increase n (or reps) before reading "
        "these."
    ),
    # the convergence of the indices with N: the note says the advice recorded in the metadata
    "convergence": N_("convergence: {advice}"),
    "stable": N_(
        "stable: the largest change of {index} between {unit} = {small} and {large} is "
        "{change} (≤ {tolerance}) ({metric}, {input})."
    ),
    "needed": N_(
        "not converged: {index} of {input} for {metric} changed by {change} between {unit} = "
        "{small} and {large} (tolerance {tolerance}); the error falls as 1/√{unit}, so about "
        "{unit} = {needed} is needed."
    ),
    "no_convergence_check": N_("convergence check not available: {reason}."),
    # best responses that did not settle at some samples (also a ConvergenceWarning)
    "unsettled_where": N_(
        "the best response did not converge in every replication at {bad} of {samples} samples "
        "(replications converged: {share}); least often with {where}; the converged_share "
        "column of the samples table shows where. Their outputs are not equilibria: raise "
        "world.max_iterations or lower world.damping, or narrow those inputs' ranges (when "
        "neither helps, read 'When the best response does not settle' in the scenario guide, "
        "scenarios/README.md)."
    ),
    "unsettled": N_(
        "the best response did not converge in every replication at {bad} of {samples} samples "
        "(replications converged: {share}); the converged_share column of the samples table "
        "shows where. Their outputs are not equilibria: raise world.max_iterations or lower "
        "world.damping, or narrow those inputs' ranges (when neither helps, read 'When the best "
        "response does not settle' in the scenario guide, scenarios/README.md)."
    ),
    "choice_gap_where": N_(
        "at {bad} of {samples} samples some departments kept switching between two ways of "
        "gaming and were left holding one that earns them more than {limit} of the prize range "
        "less than their best choice (up to {largest}); most often with {where}; the choice_gap "
        "column of the samples table shows where. How much they game is not pinned down there."
    ),
    "choice_gap": N_(
        "at {bad} of {samples} samples some departments kept switching between two ways of "
        "gaming and were left holding one that earns them more than {limit} of the prize range "
        "less than their best choice (up to {largest}); the choice_gap column of the samples "
        "table shows where. How much they game is not pinned down there."
    ),
    # where (along which input) the two notes above happen most: the half or the choice
    "hint_low": N_("low {input} ({worse} {what} in that half, against {better} in the other)"),
    "hint_high": N_("high {input} ({worse} {what} in that half, against {better} in the other)"),
    "hint_choice": N_(
        "{input} = {value} ({worse} {what} with it, against {better} with its best value)"
    ),
    # the same hints as folders written before 2026-12-07 recorded them ("(50% within, against
    # 100%)"), so that a report of such a folder still says them again in its language
    "hint_low_before": N_("low {input} ({worse} {what}, against {better})"),
    "hint_high_before": N_("high {input} ({worse} {what}, against {better})"),
    "hint_choice_before": N_("{input} = {value} ({worse} {what}, against {better})"),
}

#: what a hint's shares count: replications that converged, samples within the choice-gap limit
CONVERGED = N_("of the replications converged")
WITHIN = N_("of the samples within the limit")
_BEFORE = N_("converged"), N_("within")  # (what the hints of older folders counted)

#: why the convergence of the indices cannot be checked (said again in a report's language)
NOT_CUT = N_("n is too small to cut the sample into quarters")
NO_SMALLER_INDEX = N_("no index could be computed on the smaller samples.")


def note(key: str, **values: object) -> str:
    """The note ``key`` of :data:`NOTES` with its values, in English (what a run records)."""
    return str(phrase(key, **values))


def phrase(key: str, **values: object) -> Phrase:
    """The note ``key`` of :data:`NOTES` as a :class:`perfsim.phrases.Phrase` (a warning, said
    again in a terminal's language; ``str`` of it is :func:`note`)."""
    return Phrase(NOTES[key], values)


def said_again(text: str, names: Mapping[str, str] | None = None) -> str:
    """A recorded note in the current language (module docstring). The values filled into a
    template are said again too: a note can hold another (``convergence: {advice}``); an input's
    name is said as ``names`` has it in this language (the uncertain inputs' translations)."""
    if names and text in names:
        return names[text]
    # a list of hints, each ending in its shares (before the whole: a field would swallow the
    # rest of the list)
    items = re.split(r"(?<=\)), ", text)
    if len(items) > 1 and all(template_fields(i, NOTES.values()) for i in items):
        return _(", ").join(said_again(i, names) for i in items)
    return i18n.said_again(text, NOTES.values(), inner=lambda v: said_again(v, names))
