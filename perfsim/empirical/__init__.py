"""Real score tables: reliability, rater effects, rank uncertainty, re-scoring and calibration.

>>> from perfsim.empirical import analyze
>>> result = analyze("scenarios/data/hangzhou-2011-pilot-ratings.csv.gz",
...                  rule="scenarios/hangzhou-2011.toml",
...                  units="scenarios/data/hangzhou-2011-pilot-units.csv")  # doctest: +SKIP
>>> result.write("results/pilot")  # doctest: +SKIP
"""

from .analysis import EmpiricalResult, analyze
from .calibrate import Calibration, calibrate, fit_ordered_probit
from .data import DEFAULT_SCALE, Ratings, Scale, read_ratings
from .effects import RaterEffects, rater_effects
from .reliability import icc
from .reliability import reliability as reliability_table
from .synthetic import Pilot, synthetic_pilot
from .uncertainty import RankUncertainty, bootstrap_ranks

__all__ = [
    "DEFAULT_SCALE",
    "Calibration",
    "EmpiricalResult",
    "Pilot",
    "RankUncertainty",
    "RaterEffects",
    "Ratings",
    "Scale",
    "analyze",
    "bootstrap_ranks",
    "calibrate",
    "fit_ordered_probit",
    "icc",
    "rater_effects",
    "read_ratings",
    "reliability_table",
    "synthetic_pilot",
]
