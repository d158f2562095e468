"""The audit and veto terms of a department's payoff from gaming (:mod:`perfsim.world.payoff`):
the chance that an audit finds its gaming, the expected sanction and the veto probability, with
their derivatives in total gaming G."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from . import events
from .context import Context


def detection(ctx: Context, gaming_total: NDArray) -> tuple[NDArray, NDArray]:
    """P(detected | audited) and its derivative in total gaming G (0 without a detection rate)."""
    rate = ctx.audit.detection_rate
    if rate is None:
        return (gaming_total > 1e-12).astype(float), np.zeros_like(gaming_total)
    e = np.exp(-rate * gaming_total)
    return 1.0 - e, rate * e


def sanction(ctx: Context, gaming_total: NDArray) -> tuple[NDArray, NDArray]:
    """Expected sanction ``p · P_det(G) · (F + φ G)`` and its derivative in G where G > 0."""
    audit_p, fine, penalty = ctx.audit.probability, ctx.audit.fine_per_unit, ctx.audit.penalty
    pd_, dpd = detection(ctx, gaming_total)
    level = audit_p * pd_ * (penalty + fine * gaming_total)
    if ctx.audit.detection_rate is None:  # every gaming found when audited: slope p φ for G > 0
        return level, np.full_like(gaming_total, audit_p * fine)
    slope = audit_p * (dpd * (penalty + fine * gaming_total) + pd_ * fine)
    return level, slope


def veto_probability(ctx: Context, gaming_total: NDArray, base=None) -> tuple[NDArray, NDArray]:
    """``P_v(G) = p P_det(G)`` and its derivative (zeros without a veto), joined by the world's
    veto events (:func:`perfsim.world.events.veto_probability`; ``base``: their log-odds in the
    shape of ``gaming_total``, when not the profile's)."""
    if not ctx.audit.veto:
        zero = np.zeros_like(gaming_total)
        return events.veto_probability(ctx, gaming_total, zero, zero, base)
    p_det, dp_det = detection(ctx, gaming_total)
    p, dp = ctx.audit.probability * p_det, ctx.audit.probability * dp_det
    return events.veto_probability(ctx, gaming_total, p, dp, base)


def vetoes(ctx: Context) -> bool:
    """Whether a department can be vetoed: the audit veto or a veto event."""
    return ctx.audit.veto or events.has_veto(ctx)
