"""``python -m perfsim``: the command line, as the ``perfsim`` command."""

from .cli import run

run()
