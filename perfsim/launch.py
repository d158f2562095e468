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
    """The ``perfsim`` command (and ``python -m perfsim``): :func:`perfsim.cli.run`, which says an
    interrupt from then on (also while a command's options are built); one while the command
    line is imported stops here, with nothing to release."""
    try:
        from .cli import run
    except KeyboardInterrupt:
        print(EARLY_INTERRUPT, file=sys.stderr)
        sys.exit(130)
    run()
