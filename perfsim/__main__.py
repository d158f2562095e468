"""``python -m perfsim``: the command line, as the ``perfsim`` command."""

from .launch import main

main()
