"""The evaluation regime: pure, deterministic array functions (no randomness, no I/O).

``normalize`` (indicator scores), ``weights`` (fixed, equal, per class, entropy, CRITIC, AHP),
``aggregate`` (weighted sum, TOPSIS, Borda, bonus/deduction), ``grade`` (rank, quotas, thresholds,
veto) and ``reward`` (grade → payoff). Arrays have shape ``(..., dept, indicator)`` or
``(..., dept)``; leading axes are batch axes (e.g. replications).
"""
