"""Robust multi-objective design of evaluation rules (``perfsim optimize``).

Levers (:mod:`.levers`) span the candidate rules; each candidate is simulated in every assumed
world on common random numbers (:mod:`.evaluate`); its objectives are summarised across the worlds
(:mod:`.robust`); pymoo's NSGA-II (NSGA-III beyond three objectives) searches, one generation at a
time, with a checkpoint after each (:mod:`.search`); the final front is re-evaluated with more
replications and filtered by a stated rule for noisy dominance, the reference rule placed on it and
the nearest Pareto rule to it described (:mod:`.front`); :mod:`.run` ties them together and
:mod:`.output` writes the folder.
"""

from .output import OptimizationError
from .run import OptimizationResult, optimize

__all__ = ["OptimizationError", "OptimizationResult", "optimize"]
