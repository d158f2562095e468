"""Every sentence of the plain-language summaries, in one place: whole sentences as format strings
with named placeholders, so that a translation is one more catalogue of the same keys.

:mod:`perfsim.report.summary` fills them in for the terminal (``perfsim run``, ``perfsim compare``)
and for the reports' "In short" text. A placeholder's value is already formatted (numbers with
their unit, lists joined by :func:`join`); a translation may reorder the placeholders freely.
"""

from __future__ import annotations

__all__ = ["ENGLISH", "join", "say"]

ENGLISH: dict[str, str] = {
    # how closely the ranking by score follows true performance (by Kendall τ)
    "fidelity.close": "closely",
    "fidelity.fair": "fairly well",
    "fidelity.moderate": "only moderately",
    "fidelity.weak": "weakly",
    "fidelity.none": "hardly at all",
    "fidelity.reversed": "in reverse",
    "run.ranking": (
        "Under {rule}, the ranking by score agrees with true performance {how} "
        "(Kendall τ = {tau}; 1 is perfect agreement, 0 no better than drawing lots)."
    ),
    "run.grades": (
        "Of the truly best units, {top_missed} do not get {top_grade}; of the truly weakest, "
        "{bottom_missed} are graded above {bottom_grade}."
    ),
    "run.nobody_bottom": "No unit is ever graded {band}, so every weak unit escapes it.",
    "run.gaming": (
        "Departments put {share} of their effort into gaming the indicators rather than into "
        "real work, mostly on {indicator} ({indicator_share} of all gaming)."
    ),
    "run.gaming_plain": (
        "Departments put {share} of their effort into gaming the indicators rather than into "
        "real work."
    ),
    "run.no_gaming": "Departments put no effort into gaming the indicators.",
    "run.class_gap": (
        "{high} units score {gap} points above {low} units of equal true value "
        "(the largest gap between classes)."
    ),
    "run.no_class_gap": (
        "No class of units scores detectably above another at equal true value "
        "(largest estimated gap {gap} points, between {high} and {low})."
    ),
    "run.welfare": (
        "The rule loses {loss} of the best achievable net value (true value minus the cost of "
        "effort and gaming)."
    ),
    "run.welfare_destroyed": (
        "The rule destroys value: the cost of effort and gaming exceeds the value they create "
        "(welfare loss {loss} of the best achievable net value)."
    ),
    "run.raters": (
        "Within each rater group, members agree on which units are better with reliability "
        "{items} (1: a second group of the same kind would score the units the same)."
    ),
    "run.rater_item": "{group} {value}",
    "run.converged": (
        "Best responses settled in every replication ({iterations} iterations on average, at "
        "most {most})."
    ),
    "report.in_short": "In short: {text}",
    "report.no_metric": "No metric was recorded.",
    "warn.unconverged": (
        "Warning: the departments' best responses did not settle in {missed} of {reps} "
        "replications ({where}); those results are not an equilibrium (raise "
        "world.max_iterations or lower world.damping)."
    ),
    "warn.unconverged_rules": (
        "Warning: the departments' best responses did not settle in every replication under "
        "{items}; those results are not an equilibrium (raise world.max_iterations or lower "
        "world.damping)."
    ),
    "warn.unconverged_item": "{rule} ({share} converged)",
    "note.undefined": "Not shown, undefined in this run: {items}.",
    "note.undefined_item": "{metric} ({why})",
    "note.constant": "Not shown, the same in every replication and without a better side: {items}.",
    "note.same_everywhere": "Not shown, identical under every rule: {items}.",
    "note.undefined_everywhere": "Not shown, undefined under every rule: {items}.",
    "note.explain": "What each metric means and which direction is better: add --explain.",
    "cmp.rule": "Compared with {reference}, {rule} {clauses}.",
    "cmp.rule_none": "{rule}: no metric with a better side was recorded.",
    "cmp.clause": "{verdict} on {metrics}",
    "cmp.better": "is better",
    "cmp.worse": "is worse",
    "cmp.better_all": "is better in every world",
    "cmp.worse_all": "is worse in every world",
    "cmp.mixed": "is better in some worlds and worse in others",
    "cmp.better_some": "is better in some worlds (no clear difference in the others)",
    "cmp.worse_some": "is worse in some worlds (no clear difference in the others)",
    "cmp.no_practical": "makes no practical difference",
    "cmp.not_detected": "shows no detectable difference",
    "cmp.method": (
        "Each rule ran {reps} replications on the same simulated departments and noise (common "
        "random numbers). A rule is called better or worse on a metric only when the 95 % "
        "interval of its paired difference from the reference excludes zero and the difference "
        "reaches the smallest difference that matters (e.g. {example}); a smaller one is no "
        "practical difference."
    ),
    "grade.top": "the top grade",
    "grade.top_named": "the top grade ({band})",
    "grade.bottom": "the bottom grade",
    "grade.bottom_named": "the bottom grade ({band})",
    "list.pair": "{first} and {last}",
    "list.many": "{first}, {rest} and {last}",
    "cmp.example": "{amount} for {metric}",
    "explain.line": "{metric} ({side}; smallest difference that matters: {delta}): {meaning}",
    "explain.line_plain": "{metric} ({side}): {meaning}",
    "explain.higher": "higher is better",
    "explain.lower": "lower is better",
    "explain.none": "no better side",
    "explain.spread": "{share} × its standard deviation across the reference rule's replications",
    "robust.head": (
        "Robustness across the assumed worlds: each rule's worst mean over the worlds, and its "
        "largest regret (distance from the best rule in a world; 0: the best rule in every world)."
    ),
    "robust.cell": "{rule}: worst {worst}, largest regret {regret}",
    "unit.points": "{value} points",
    "unit.pp": "{value} percentage points",
}
"""The English sentences, by key."""


def say(key: str, **values: object) -> str:
    """The sentence ``key`` with its placeholders filled in."""
    return ENGLISH[key].format(**values)


def join(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c`` (the list separators are phrases too)."""
    if len(items) <= 1:
        return "".join(items)
    if len(items) == 2:
        return say("list.pair", first=items[0], last=items[1])
    return say("list.many", first=items[0], rest=", ".join(items[1:-1]), last=items[-1])
