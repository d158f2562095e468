"""A resolved scenario in words: each rule setting as a row of the report's rule table, and the
nominal shares of the components."""

from __future__ import annotations

from collections.abc import Mapping

from .numbers import pct

__all__ = ["DEFAULT_COMPONENT", "nominal_shares", "rule_summary", "short_world"]

DEFAULT_COMPONENT = "综合"
_RESERVED_WEIGHT_KEYS = {"method", "by_class", "pairwise", "allow_inconsistent"}


def _complete(raw: Mapping) -> dict:
    """The scenario with every default filled in (validated); the raw table if it no longer
    validates (an older or newer perfsim)."""
    try:
        from ..scenario import scenario_from_dict

        return scenario_from_dict(raw).model_dump(mode="json")
    except Exception:  # the report must not fail on a scenario this version cannot validate
        return dict(raw)


def rule_summary(scenario: Mapping) -> dict[str, str]:
    """Row label → plain description of each rule setting of a resolved scenario."""
    full = _complete(scenario)
    rule = full.get("rule") or {}
    world = full.get("world") or {}
    rows: dict[str, str] = {}
    for name, share in nominal_shares(full).items():
        rows[f"rater mix: {name}"] = pct(share)
    norm = rule.get("normalize") or {}
    text = f"{norm.get('method', 'efficacy')}, {norm.get('scope', 'global')}"
    if norm.get("clip"):
        text += ", clipped"
    own = [
        f"{i}: {ind['normalize']}"
        for i, ind in (rule.get("indicators") or {}).items()
        if isinstance(ind, Mapping) and ind.get("normalize")
    ]
    rows["normalisation"] = text + (f" ({'; '.join(own)})" if own else "")
    weights = rule.get("weights") or {}
    text = str(weights.get("method", "fixed"))
    fixed = {
        k: v
        for k, v in weights.items()
        if k not in _RESERVED_WEIGHT_KEYS and isinstance(v, int | float) and not isinstance(v, bool)
    }
    if text == "fixed" and fixed:
        total = sum(fixed.values()) or 1.0
        text += ": " + ", ".join(f"{k} {v / total:.2f}" for k, v in fixed.items())
    if weights.get("by_class"):
        text += f"; per class (差别权重) for {', '.join(weights['by_class'])}"
    rows["indicator weights"] = text
    agg = rule.get("aggregate") or {}
    rows["aggregation"] = (
        f"indicators: {agg.get('indicators', 'weighted_sum')}; "
        f"components: {agg.get('components', 'weighted_sum')}"
    )
    adjustments = rule.get("adjustments") or {}
    if adjustments:
        rows["bonus / deduction points"] = ", ".join(
            f"{n} ({a.get('kind', 'bonus')}"
            + (f", cap {a['cap']:g}" if a.get("cap") is not None else "")
            + ")"
            for n, a in adjustments.items()
        )
    grading = rule.get("grading") or {}
    bands = list(grading.get("bands") or ["优秀", "良好", "合格", "不合格"])
    rows["grade bands"] = " > ".join(bands)
    quota = grading.get("quota") or {}
    counts = grading.get("quota_count") or {}
    limits = [f"{b} ≤ {pct(q)}" for b, q in quota.items()]
    limits += [f"{b} ≤ {k} units" for b, k in counts.items()]
    rows["quotas"] = ", ".join(limits) or "none"
    if quota:
        rows["quotas"] += f" (share × units rounded: {grading.get('rounding', 'floor')})"
    thresholds = grading.get("thresholds") or {}
    rows["thresholds"] = ", ".join(f"{b} ≥ {t:g} points" for b, t in thresholds.items()) or "none"
    rows["grading scope"] = (
        f"{grading.get('scope', 'global')} (ties at a quota: {grading.get('ties', 'exclude')})"
    )
    veto = (rule.get("veto") or {}).get("columns") or []
    rows["veto (一票否决)"] = ", ".join(veto) or "none"
    rows["audit"] = _audit_text(rule.get("audit") or {})
    targets = rule.get("targets") or {}
    rows["targets"] = (
        f"ratchet, λ = {targets.get('ratchet', 0.5):g}"
        if targets.get("mode") == "ratchet"
        else "fixed"
    )
    rewards = rule.get("rewards") or {}
    rows["rewards (bonus by grade)"] = (
        ", ".join(f"{b} {float(rewards[b].get('bonus', 0)):+g}" for b in bands if b in rewards)
        or "none"
    )
    per_point = (rule.get("pay") or {}).get("per_point", 0.0)
    if per_point:
        rows["pay per point"] = f"{per_point:g}"
    rows["behaviour policy"] = str(world.get("policy", "—"))
    if world.get("departments") is not None:
        rows["departments"] = str(world.get("departments"))
    return rows


def _audit_text(audit: Mapping) -> str:
    """An audit setting in words ("none" without audits)."""
    p = float(audit.get("probability", 0.0) or 0.0)
    if p <= 0:
        return "none"
    text = f"probability {pct(p)}"
    if audit.get("fine_per_unit"):
        text += f", fine {audit['fine_per_unit']:g} per unit of gaming"
    if audit.get("penalty"):
        text += f", penalty {audit['penalty']:g}"
    if audit.get("veto"):
        text += ", detection triggers the veto"
    return text


def nominal_shares(scenario: Mapping) -> dict[str, float]:
    """Nominal share of each component of a resolved scenario, rescaled to sum to 1 (a rule
    without components has one component, 综合, with share 1)."""
    comps = (scenario.get("rule") or {}).get("components") or {}
    shares = {name: float((c or {}).get("share", 0.0)) for name, c in comps.items()}
    total = sum(shares.values())
    if not shares or total <= 0:
        return {DEFAULT_COMPONENT: 1.0}
    return {name: s / total for name, s in shares.items()}


def short_world(world: str) -> str:
    """``world.classes.back.visibility=0.3`` → ``back.visibility=0.3`` (each assumption)."""
    parts = []
    for item in world.split(", "):
        path, sep, value = item.partition("=")
        segs = path.split(".")
        parts.append(".".join(segs[-2:]) + sep + value if sep else item)
    return ", ".join(parts)
