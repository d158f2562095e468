"""``python -m perfsim``: the command line, as the ``perfsim`` command."""

from .cli import main

raise SystemExit(main())
