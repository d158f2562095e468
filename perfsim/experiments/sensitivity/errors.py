"""The errors of a sensitivity analysis."""

from __future__ import annotations

from ...scenario import PerfsimError


class SensitivityError(PerfsimError, ValueError):
    """A sensitivity analysis that cannot run as asked (bad method, size, folder or bound)."""


class SampleError(PerfsimError):
    """A sample whose scenario cannot be simulated (raised in a worker; carries the message)."""
