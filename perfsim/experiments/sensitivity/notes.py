"""The notes a sensitivity analysis records, each written from one template here.

A run records its notes in English (``sensitivity.json``, the terminal). A report in another
language says them again with :func:`said_again`: a note made from a template of :data:`NOTES` is
matched back to it and the translated template filled in with the same values (metric names,
numbers); any other note is translated whole when the catalogue has it, else shown as recorded.
"""

from __future__ import annotations

from ...i18n import N_, template_fields
from ...i18n import gettext as _

__all__ = ["NOTES", "note", "said_again"]

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
}


def note(key: str, **values: object) -> str:
    """The note ``key`` of :data:`NOTES` with its values, in English (what a run records)."""
    return NOTES[key].format(**values)


def said_again(text: str) -> str:
    """A recorded note in the current language (module docstring)."""
    found = template_fields(text, NOTES.values())
    return _(found[0]).format(**found[1]) if found else _(text)
