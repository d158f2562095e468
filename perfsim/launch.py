"""The ``perfsim`` command's entry point. It imports the command line (numpy, pandas, pydantic:
a few tenths of a second) inside its handling of Ctrl-C, so that an interrupt while the program
is still loading stops it as a later one does, with one line and exit status 130, not a
traceback. (``import perfsim`` itself loads nothing heavy: ``perfsim/__init__.py``.)"""

from __future__ import annotations

import sys

#: what an interrupt before the command line is loaded prints (in English: the translations are
#: not loaded yet; a later one is said in the command's --lang, perfsim.cli.INTERRUPTED)
EARLY_INTERRUPT = "perfsim: interrupted"


def main() -> None:
    """The ``perfsim`` command (and ``python -m perfsim``): :func:`perfsim.cli.run`. An interrupt
    that reaches here came before the command began its work (while the command line, or the
    modules a command's options name, were being imported): nothing to release."""
    try:
        from .cli import run

        run()
    except KeyboardInterrupt:
        print(EARLY_INTERRUPT, file=sys.stderr)
        sys.exit(130)
