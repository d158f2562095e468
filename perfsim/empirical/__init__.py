"""Real score tables: reliability, rater effects, rank uncertainty, re-scoring and calibration.

>>> from perfsim.empirical import analyze
>>> result = analyze("scenarios/data/hangzhou-2011-pilot-ratings.csv.gz",
...                  rule="scenarios/hangzhou-2011.toml",
...                  units="scenarios/data/hangzhou-2011-pilot-units.csv")  # doctest: +SKIP
>>> result.write("results/pilot")  # doctest: +SKIP
"""

from typing import TYPE_CHECKING

from .. import lazy

if TYPE_CHECKING:  # (imported on first use: _LAZY)
    from .analysis import EmpiricalResult, analyze
    from .calibration import Calibration, calibrate, fit_ordered_probit
    from .data import DEFAULT_SCALE, Ratings, Scale, read_ratings
    from .effects import RaterEffects, rater_effects
    from .reliability import icc
    from .reliability import reliability as reliability_table
    from .synthetic import Pilot, synthetic_pilot
    from .uncertainty import RankUncertainty, bootstrap_ranks

#: name → (module, name there), imported when first asked for, so that ``perfsim.empirical.folder``
#: (which the package imports) does not load the analysis
_LAZY = {
    "EmpiricalResult": (".analysis", "EmpiricalResult"),
    "analyze": (".analysis", "analyze"),
    "Calibration": (".calibration", "Calibration"),
    "calibrate": (".calibration", "calibrate"),
    "fit_ordered_probit": (".calibration", "fit_ordered_probit"),
    "DEFAULT_SCALE": (".data", "DEFAULT_SCALE"),
    "Ratings": (".data", "Ratings"),
    "Scale": (".data", "Scale"),
    "read_ratings": (".data", "read_ratings"),
    "RaterEffects": (".effects", "RaterEffects"),
    "rater_effects": (".effects", "rater_effects"),
    "icc": (".reliability", "icc"),
    "reliability_table": (".reliability", "reliability"),
    "Pilot": (".synthetic", "Pilot"),
    "synthetic_pilot": (".synthetic", "synthetic_pilot"),
    "RankUncertainty": (".uncertainty", "RankUncertainty"),
    "bootstrap_ranks": (".uncertainty", "bootstrap_ranks"),
}


__getattr__, __dir__ = lazy.names(__name__, _LAZY, globals())


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
