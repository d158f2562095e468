"""argparse's own errors in the command's ``--lang``.

argparse writes its errors in English (``argument --reps: invalid int value: 'abc'``,
``the following arguments are required: scenario``) before perfsim has read ``--lang``. The
command line is therefore scanned for ``--lang`` first (:func:`lang_given`), and the commands'
parsers (:class:`Parser`) say argparse's messages again from the catalogue's templates
(:data:`ARGPARSE`; the file, option and value as given), as :func:`perfsim.cli.said_error` says
perfsim's own errors. A message argparse words differently in another Python version stays
English.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..phrases import N_

#: what an option that must not be empty says (``--out ""``: :func:`perfsim.cli.common.given`)
EMPTY = N_("empty; give a name (or leave the option out)")

#: what ``--seed`` says of a value that is no seed (:func:`perfsim.cli.common.seed_number`)
NOT_WHOLE = N_("{value} is not a whole number")
NEGATIVE_SEED = N_("{value}: a seed must be ≥ 0")

#: argparse's messages (as Python 3.11 words them; a message worded otherwise stays English) and
#: perfsim's own option checks, as templates
ARGPARSE = (
    N_("argument {argument}: {message}"),
    N_("invalid {type} value: {value}"),
    N_("invalid choice: {value} (choose from {choices})"),
    N_("the following arguments are required: {names}"),
    N_("one of the arguments {names} is required"),
    N_("expected one argument"),
    N_("expected at least one argument"),
    N_("expected at most one argument"),
    N_("ambiguous option: {option} could match {matches}"),
    N_("not allowed with argument {other}"),
    EMPTY,
    NOT_WHOLE,
    NEGATIVE_SEED,
)

#: the line of an error before a command (a word that is no command)
TOP = N_("perfsim: error: {message}")

#: the types argparse names in "invalid {type} value"
TYPES = {"int": N_("whole number"), "float": N_("number")}


def lang_given(argv: Sequence[str]) -> str:
    """The language of ``--lang X`` (or ``--lang=X``) on the command line, if perfsim has it;
    else ``"en"``."""
    from ..i18n import LANGUAGES, language_code

    words = list(argv)
    for i, word in enumerate(words):
        value = None
        if word == "--lang" and i + 1 < len(words):
            value = words[i + 1]
        elif word.startswith("--lang="):
            value = word.split("=", 1)[1]
        if value is not None and language_code(value) in LANGUAGES:
            return language_code(value)
    return "en"


def said(message: str, lang: str) -> str:
    """argparse's ``message`` in ``lang`` (unchanged in English, or when it is no template)."""
    if lang == "en":
        return message
    from ..i18n import language

    with language(lang):
        return _said(message)


def _said(text: str) -> str:
    from ..i18n import gettext as _
    from ..i18n import template_fields

    found = template_fields(text, ARGPARSE)
    if found is None:
        return text
    template, values = found
    if "message" in values:  # argument --reps: <argparse's or the type's message>
        values["message"] = _said(values["message"])
    if values.get("type") in TYPES:
        values["type"] = _(TYPES[values["type"]])
    return _(template).format(**values)


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are said in the language the command line asks for
    (:attr:`lang`, set by :func:`perfsim.cli.main` before parsing)."""

    lang = "en"

    def error(self, message: str):
        from ..i18n import gettext as _
        from ..i18n import language

        self.print_usage(sys.stderr)
        with language(self.lang):  # (perfsim itself, before a command: "perfsim: error: …")
            line = _("perfsim {command}: error: {message}") if " " in self.prog else _(TOP)
        command = self.prog.partition(" ")[2]
        self.exit(2, line.format(command=command, message=said(message, self.lang)) + "\n")
