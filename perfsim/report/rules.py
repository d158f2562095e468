"""A resolved scenario in words: each rule setting as a row of the report's rule table, and the
nominal shares of the components."""

from __future__ import annotations

from collections.abc import Mapping

from ..i18n import N_
from ..i18n import gettext as _
from .numbers import pct

__all__ = [
    "DEFAULT_COMPONENT",
    "band_rules",
    "nominal_shares",
    "rule_summary",
    "short_world",
    "term",
]

DEFAULT_COMPONENT = "综合"
_RESERVED_WEIGHT_KEYS = {"method", "by_class", "pairwise", "allow_inconsistent"}
_ADJUSTMENT_KINDS = (N_("bonus"), N_("deduction"))  # translated where shown

#: The rule language's code words (``rule.normalize.method = "efficacy"`` …) with a gloss that a
#: catalogue translates. English shows the code word alone (the gloss is for translators); another
#: language shows the translated gloss with the code word after it, so a reader can still find the
#: key to change in the TOML file: 功效系数法（efficacy）.
_TERMS = {
    "efficacy": N_("efficacy coefficient method"),
    "minmax": N_("min-max scaling"),
    "zscore": N_("z-score standardisation"),
    "percentile": N_("percentile rank"),
    "target": N_("share of the target reached"),
    "linear": N_("linear points"),
    "global": N_("all units together"),
    "within_class": N_("within each class"),
    "fixed": N_("fixed weights"),
    "equal": N_("equal weights"),
    "entropy": N_("entropy weights"),
    "critic": N_("CRITIC weights"),
    "ahp": N_("analytic hierarchy process"),
    "weighted_sum": N_("weighted sum"),
    "topsis": N_("TOPSIS"),
    "borda": N_("Borda count"),
    "exclude": N_("the tied block goes to the lower band"),
    "include": N_("the tied block goes to the upper band"),
    "floor": N_("rounded down"),
    "nearest": N_("rounded to the nearest unit"),
    "ceil": N_("rounded up"),
    "naive": N_("departments do not respond to the rule"),
    "best_response": N_("departments best-respond to the rule"),
    "adaptive": N_("departments adapt by trial and error"),
    "survey": N_("survey of respondents"),
    "panel": N_("rating panel"),
    "self": N_("self-evaluation"),
    "uniform": N_("uniform"),  # the distributions of uncertain inputs (perfsim sensitivity)
    "normal": N_("normal"),
    "lognormal": N_("lognormal"),
    "triangular": N_("triangular"),
    "group": N_("rater groups"),  # bootstrap strata (perfsim empirical --strata)
    "group×unit": N_("rater group × unit"),
}


def term(code: object) -> str:
    """A code word of the rule language as a reader of the current language sees it."""
    code = str(code)
    gloss = _TERMS.get(code)
    if gloss is None:
        return code
    said = _(gloss)
    return code if said == gloss else _("{gloss} ({code})").format(gloss=said, code=code)


def band_rules(grading) -> list[str]:
    """Each band with its quota and threshold as the file was read (a share written ``15%`` is
    shown as 15 %), so that a user can check them: ``优秀 (at most 15 %)``."""
    from ..i18n import ngettext

    out = []
    for band in grading.bands:
        bits = []
        if band in grading.quota:
            bits.append(_("at most {share}").format(share=f"{grading.quota[band] * 100:.4g} %"))
        if band in grading.quota_count:
            n = grading.quota_count[band]
            bits.append(ngettext("at most {n} unit", "at most {n} units", n).format(n=n))
        if band in grading.thresholds:
            bits.append(_("from {points} points").format(points=f"{grading.thresholds[band]:g}"))
        out.append(band + (_(" ({rules})").format(rules=_(", ").join(bits)) if bits else ""))
    return out


def _complete(raw: Mapping) -> dict:
    """The scenario with every default filled in (validated); the raw table if it no longer
    validates (an older or newer perfsim)."""
    try:
        from ..scenario import scenario_from_dict

        return scenario_from_dict(raw).model_dump(mode="json")
    except Exception:  # the report must not fail on a scenario this version cannot validate
        return dict(raw)


def _quota_text(grading: Mapping) -> str:
    """Quotas as shares and as counts of units, and how a share × units is rounded."""
    quota = grading.get("quota") or {}
    counts = grading.get("quota_count") or {}
    limits = [f"{b} ≤ {pct(q)}" for b, q in quota.items()]
    limits += [_("{band} ≤ {k} units").format(band=b, k=k) for b, k in counts.items()]
    text = ", ".join(limits) or _("none")
    if quota:
        text += " " + _("(share × units rounded: {rounding})").format(
            rounding=term(grading.get("rounding", "floor"))
        )
    return text


def _shares(weights: Mapping) -> str:
    """``a 0.30, b 0.70``: weights as the shares they are rescaled to."""
    total = sum(weights.values()) or 1.0
    return ", ".join(f"{k} {v / total:.2f}" for k, v in weights.items())


def rule_summary(scenario: Mapping) -> dict[str, str]:
    """Row label → plain description of each rule setting of a resolved scenario."""
    full = _complete(scenario)
    rule = full.get("rule") or {}
    world = full.get("world") or {}
    rows: dict[str, str] = {}
    for name, share in nominal_shares(full).items():
        rows[_("rater mix: {component}").format(component=name)] = pct(share)
    norm = rule.get("normalize") or {}
    text = f"{term(norm.get('method', 'efficacy'))}, {term(norm.get('scope', 'global'))}"
    if norm.get("clip"):
        text += _(", clipped")
    own = [
        f"{i}: {term(ind['normalize'])}"
        for i, ind in (rule.get("indicators") or {}).items()
        if isinstance(ind, Mapping) and ind.get("normalize")
    ]
    rows[_("normalisation")] = text + (f" ({'; '.join(own)})" if own else "")
    weights = rule.get("weights") or {}
    method = str(weights.get("method", "fixed"))
    text = term(method)
    fixed = {
        k: v
        for k, v in weights.items()
        if k not in _RESERVED_WEIGHT_KEYS and isinstance(v, int | float) and not isinstance(v, bool)
    }
    by_class = weights.get("by_class") or {}
    # where every class has its own table the common weights are not used: the classes' shown
    every = bool(rule.get("classes")) and all(c in by_class for c in rule.get("classes") or [])
    if method == "fixed" and fixed and not every:
        text += ": " + _shares(fixed)
    if by_class:
        text += _("; per class (差别权重): {tables}").format(
            tables="; ".join(f"{c}: {_shares(t)}" for c, t in by_class.items())
        )
    rows[_("indicator weights")] = text
    agg = rule.get("aggregate") or {}
    rows[_("aggregation")] = _("indicators: {indicators}; components: {components}").format(
        indicators=term(agg.get("indicators", "weighted_sum")),
        components=term(agg.get("components", "weighted_sum")),
    )
    adjustments = rule.get("adjustments") or {}
    if adjustments:
        rows[_("bonus / deduction points")] = ", ".join(
            f"{n} ({_(a.get('kind', 'bonus'))}"
            + (_(", cap {cap:g}").format(cap=a["cap"]) if a.get("cap") is not None else "")
            + ")"
            for n, a in adjustments.items()
        )
    grading = rule.get("grading") or {}
    bands = list(grading.get("bands") or ["优秀", "良好", "合格", "不合格"])
    rows[_("grade bands")] = " > ".join(bands)
    rows[_("quotas")] = _quota_text(grading)
    thresholds = grading.get("thresholds") or {}
    rows[_("thresholds")] = ", ".join(
        _("{band} ≥ {t:g} points").format(band=b, t=t) for b, t in thresholds.items()
    ) or _("none")
    rows[_("grading scope")] = _("{scope} (ties at a quota: {ties})").format(
        scope=term(grading.get("scope", "global")), ties=term(grading.get("ties", "exclude"))
    )
    veto = (rule.get("veto") or {}).get("columns") or []
    rows[_("veto (一票否决) data columns")] = ", ".join(veto) or _("none")
    rows[_("audit")] = _audit_text(rule.get("audit") or {})
    targets = rule.get("targets") or {}
    rows[_("targets")] = (
        _("ratchet, λ = {ratchet:g}").format(ratchet=targets.get("ratchet", 0.5))
        if targets.get("mode") == "ratchet"
        else _("fixed")
    ) + _relief_text(targets)
    rewards = rule.get("rewards") or {}
    rows[_("rewards (bonus by grade)")] = ", ".join(
        f"{b} {float(rewards[b].get('bonus', 0)):+g}" for b in bands if b in rewards
    ) or _("none")
    per_point = (rule.get("pay") or {}).get("per_point", 0.0)
    if per_point:
        rows[_("pay per point")] = f"{per_point:g}"
    rows[_("behaviour policy")] = term(world.get("policy", "—"))
    if world.get("departments") is not None:
        rows[_("departments")] = str(world.get("departments"))
    return rows


def _relief_text(targets: Mapping) -> str:
    """Force-majeure relief (不可抗力, perfsim/world/events.py) in words; "" without it."""
    mode = targets.get("force_majeure", "none")
    share = pct(float(targets.get("force_majeure_share", 0.5)))
    if mode == "full":
        return _("; force majeure (不可抗力) netted out in full")
    if mode == "partial":
        return _("; force majeure (不可抗力): {share} netted out").format(share=share)
    if mode == "discretionary":
        grant = pct(float(targets.get("force_majeure_grant", 0.5)))
        return _(
            "; force majeure (不可抗力): {share} netted out in bad years, granted with "
            "probability {grant}"
        ).format(share=share, grant=grant)
    return ""


def _audit_text(audit: Mapping) -> str:
    """An audit setting in words ("none" without audits)."""
    p = float(audit.get("probability", 0.0) or 0.0)
    if p <= 0:
        return _("none")
    text = _("probability {p}").format(p=pct(p))
    if audit.get("fine_per_unit"):
        text += _(", fine {fine:g} per unit of gaming").format(fine=audit["fine_per_unit"])
    if audit.get("penalty"):
        text += _(", fixed penalty {penalty:g} when found").format(penalty=audit["penalty"])
    if audit.get("veto"):
        text += _(", detection triggers the veto")
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


def shares_rescaled(scenario: Mapping) -> bool:
    """Whether the component shares a scenario gives do not sum to 1 (the report's rule table
    shows them rescaled, :func:`nominal_shares`)."""
    comps = (scenario.get("rule") or {}).get("components") or {}
    total = sum(float((c or {}).get("share", 0.0)) for c in comps.values())
    return bool(comps) and abs(total - 1.0) > 1e-9


def short_world(world: str) -> str:
    """``world.classes.back.visibility=0.3`` → ``back.visibility=0.3`` (each assumption)."""
    parts = []
    for item in world.split(", "):
        path, sep, value = item.partition("=")
        segs = path.split(".")
        parts.append(".".join(segs[-2:]) + sep + value if sep else item)
    return ", ".join(parts)
