"""Every sentence of the plain-language summaries, in one place: whole sentences as format strings
with named placeholders, marked for the gettext catalogue (``perfsim/i18n``): :func:`say`
translates a sentence into the current language before filling it in.

:mod:`perfsim.report.summary` fills them in for the terminal (``perfsim run``, ``perfsim compare``)
and for the reports' "In short" text. A placeholder's value is already formatted (numbers with
their unit, lists joined by :func:`join`); a translation may reorder the placeholders freely.
"""

from __future__ import annotations

from ..i18n import N_, has_cjk
from ..i18n import gettext as _

__all__ = ["ENGLISH", "join", "say"]

ENGLISH: dict[str, str] = {
    # how closely the ranking by score follows true performance (by Kendall τ)
    "fidelity.close": N_("closely"),
    "fidelity.fair": N_("fairly well"),
    "fidelity.moderate": N_("only moderately"),
    "fidelity.weak": N_("weakly"),
    "fidelity.none": N_("hardly at all"),
    "fidelity.reversed": N_("in reverse"),
    "run.ranking": N_(
        "Under {rule}, the ranking by score agrees with true performance {how} "
        "(Kendall τ = {tau}; 1 is perfect agreement, 0 no better than drawing lots)."
    ),
    "run.grades": N_(
        "Of the truly best units, {top_missed} do not get {top_grade}; of the truly weakest, "
        "{bottom_missed} are graded above {bottom_grade}."
    ),
    "run.nobody_bottom": N_("No unit is ever graded {band}, so every weak unit escapes it."),
    "run.top_within_class": N_(
        "(The truly best are the best of all units, while the rule gives its places within each "
        "class: a class's best units beyond its places miss the top grade however well they are "
        "scored.)"
    ),
    "run.rare_bottom": N_(
        "Only {share} of all units are graded {band}, which the rule gives only for a veto or a "
        "total below its score line: most of the truly weakest escape it by the rule's design, "
        "not by scoring error."
    ),
    "run.most_bottom": N_(
        "But the rule grades {share} of all units {band}, the lowest grade (mean total {total}): "
        "if that is not meant, check that the grade score lines are on the scale of the rule's "
        "totals (a z-score gives each indicator a mean of 50, not of a completed target)."
    ),
    "run.gaming": N_(
        "Departments put {share} of their effort into gaming the indicators rather than into "
        "real work, mostly on {indicator} ({indicator_share} of all gaming)."
    ),
    "run.gaming_plain": N_(
        "Departments put {share} of their effort into gaming the indicators rather than into "
        "real work."
    ),
    "run.no_gaming": N_("Departments put no effort into gaming the indicators."),
    "run.class_gap": N_(
        "{high} units score {gap} points above {low} units of equal true value "
        "(the largest gap between classes)."
    ),
    "run.no_class_gap": N_(
        "No class of units scores detectably above another at equal true value "
        "(largest estimated gap {gap} points, between {high} and {low})."
    ),
    "run.class_gap_source": N_("Most of it comes through {component} ({share} of the gap)."),
    "run.class_gap_source_all": N_("It comes through {component}; the other components narrow it."),
    "run.class_top": N_("{band} goes to {items}."),
    "run.class_top_item": N_("{share} of {cls} units"),
    "run.welfare": N_(
        "The rule loses {loss} of the best achievable net value (true value minus the cost of "
        "effort and gaming)."
    ),
    "run.welfare_destroyed": N_(
        "The rule destroys value: the cost of effort and gaming exceeds the value they create "
        "(welfare loss {loss} of the best achievable net value)."
    ),
    "run.raters": N_(
        "Within each rater group, members agree on which units are better with reliability "
        "{items} (1: a second group of the same kind would score the units the same)."
    ),
    "run.rater_item": N_("{group} {value}"),
    "run.converged": N_(
        "Best responses settled in every replication ({iterations} iterations on average, at "
        "most {most})."
    ),
    "run.choice_gap": N_(
        "Each department's choice is within {gap} of the prize range of the best it could do "
        "against the others' choices."
    ),
    "warn.choice_gap": N_(
        "Warning: some departments kept switching between two ways of gaming and were left "
        "holding one; it earns them up to {gap} of the prize range less than their best choice, "
        "so how much they game is not pinned down."
    ),
    "report.in_short": N_("In short: {text}"),
    "report.no_metric": N_("No metric was recorded."),
    "warn.unconverged": N_(
        "Warning: the departments' best responses did not settle in {missed} of {reps} "
        "replications ({where}); those results are not an equilibrium (raise "
        "world.max_iterations or lower world.damping; when that does not help, read 'When the best "
        "response does not settle' in the scenario guide, scenarios/README.md)."
    ),
    "warn.one_rep": N_(
        "Warning: one replication is one draw of the simulated world: no Monte Carlo error can be "
        "shown, and every number and sentence may change with the seed; use 20 replications or "
        "more (--reps 20) before drawing conclusions."
    ),
    "warn.few_reps": N_(
        "Warning: {reps} replications give rough Monte Carlo errors (themselves uncertain); use "
        "20 or more (--reps 20) before drawing conclusions."
    ),
    "warn.not_simulated": N_(
        "Not simulated: {items}. The simulated departments ignore these parts of the rule, and "
        "every number and sentence of this run (grades and rewards too) is as if the rule had "
        "none of them."
    ),
    "warn.not_simulated_item": N_("{what} ({part})"),
    "warn.unconverged_rules": N_(
        "Warning: the departments' best responses did not settle in every replication under "
        "{items}; those results are not an equilibrium (raise world.max_iterations or lower "
        "world.damping; when that does not help, read 'When the best response does not settle' in "
        "the scenario guide, scenarios/README.md)."
    ),
    "warn.unconverged_item": N_("{rule} ({share} converged)"),
    "warn.rule_world": N_("{rule}, world {world}"),
    "warn.some": N_("some"),
    "warn.all": N_("all"),
    "note.undefined": N_("Not shown, undefined in this run: {items}."),
    "note.undefined_item": N_("{metric} ({why})"),
    "note.no_value": N_("no value"),
    "note.constant": N_(
        "Not shown, the same in every replication and without a better side: {items}."
    ),
    "note.rater_reliability": N_(
        "A rater group's reliability moves with how far apart the units' scores are, which a rule "
        "changes through the units' behaviour: a verdict on it says the rule separates the units "
        "more or less for those raters, not that the raters became better or worse."
    ),
    "note.not_comparable": N_(
        "{rule} is not judged on {items}: it grades otherwise than the reference (another number "
        "of units counted as the true top, or another share of units given the top or bottom "
        "grade), and a rule that gives the top grade to more units misses fewer of the true top "
        "whatever its scores; compare the rules on rank fidelity instead."
    ),
    "note.same_everywhere": N_(
        "Identical under every rule, so left out of the sentences above: {items}."
    ),
    "note.undefined_everywhere": N_(
        "Undefined under every rule, so left out of the sentences above: {items}."
    ),
    "note.explain": N_("What each metric means and which direction is better: add --explain."),
    # the terminal's folder line, when a command replaced an earlier folder of perfsim's
    "note.replaces": N_("; it replaces the earlier {kind} folder there, and its report"),
    "note.replaces_folder": N_("; it replaces the earlier {kind} folder there"),
    "kind.run": N_("run"),
    "kind.comparison": N_("comparison"),
    "kind.empirical": N_("empirical analysis"),
    "note.agreement": N_(
        "icc2k and krippendorff_alpha measure how far the rule's components agree with each "
        "other; the components measure different things, so a low or negative value is "
        "expected, not a sign of a broken survey (rater_reliability is the agreement within "
        "each rater group)."
    ),
    "cmp.rule": N_("Compared with {reference}, {rule} {clauses}."),
    "cmp.rule_none": N_("{rule}: no metric with a better side was recorded."),
    "cmp.rule_same": N_(
        "{rule} gives the same results as {reference}: every metric is equal in every "
        "replication, so the two rules grade these departments alike (a quota that rounds to the "
        "same number of places does: perfsim validate shows the places)."
    ),
    "cmp.clause": N_("{verdict} on {metrics}"),
    "cmp.metric_diff": N_("{metric} ({diff})"),
    "cmp.better": N_("is better"),
    "cmp.worse": N_("is worse"),
    "cmp.better_all": N_("is better in every world"),
    "cmp.worse_all": N_("is worse in every world"),
    "cmp.mixed": N_("is better in some worlds and worse in others"),
    "cmp.better_some": N_("is better in some worlds (no clear difference in the others)"),
    "cmp.worse_some": N_("is worse in some worlds (no clear difference in the others)"),
    "cmp.slightly_better": N_("is slightly better (less than what matters, as estimated)"),
    "cmp.slightly_worse": N_("is slightly worse (less than what matters, as estimated)"),
    "cmp.no_practical": N_("makes no practical difference"),
    "cmp.not_detected": N_("shows no detectable difference"),
    "cmp.method": N_(
        "Each rule ran {reps} replications on the same simulated departments and noise (common "
        "random numbers). A rule is called better or worse on a metric only when the 95 % "
        "interval of its paired difference from the reference excludes zero and the difference "
        "reaches the smallest difference that matters (e.g. {example}); slightly better or worse "
        "when the interval excludes zero but the difference is smaller; no practical difference "
        "only when the whole interval lies within that smallest difference."
    ),
    "cmp.method_worlds": N_(
        "Each rule ran {reps} replications in its own plan's world (their departments, tasks or "
        "classes differ), so each difference is between the plans as a whole, rule and world "
        "together. A rule is called better or worse on a metric only when the 95 % interval of "
        "its paired difference from the reference excludes zero and the difference reaches the "
        "smallest difference that matters (e.g. {example}); slightly better or worse when the "
        "interval excludes zero but the difference is smaller; no practical difference only "
        "when the whole interval lies within that smallest difference."
    ),
    "grade.top": N_("the top grade"),
    "grade.top_named": N_("the top grade ({band})"),
    "grade.bottom": N_("the bottom grade"),
    "grade.bottom_named": N_("the bottom grade ({band})"),
    "list.pair": N_("{first} and {last}"),
    "list.many": N_("{first}, {rest} and {last}"),
    "cmp.example": N_("{amount} for {metric}"),
    "explain.line": N_("{metric} ({side}; smallest difference that matters: {delta}): {meaning}"),
    "explain.line_plain": N_("{metric} ({side}): {meaning}"),
    "explain.higher": N_("higher is better"),
    "explain.lower": N_("lower is better"),
    "explain.none": N_("no better side"),
    "explain.relative": N_(
        "{fixed}, or {share} of the reference rule's value when that is smaller (at least {floor})"
    ),
    "explain.spread": N_(
        "{share} × its standard deviation across the reference rule's replications"
    ),
    "robust.head": N_(
        "Robustness across the assumed worlds: each rule's worst mean over the worlds, and its "
        "largest regret (distance from the best rule in a world; 0: the best rule in every world)."
    ),
    "robust.cell": N_("{rule}: worst {worst}, largest regret {regret}"),
    "unit.points": N_("{value} points"),
    "unit.pp": N_("{value} percentage points"),
}
"""The English sentences, by key (marked for the catalogue: :func:`say` translates them)."""


def say(key: str, **values: object) -> str:
    """The sentence ``key`` in the current language (:func:`perfsim.i18n.language`; English
    outside one, as on the terminal) with its placeholders filled in."""
    return _(ENGLISH[key]).format(**values)


def join(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c`` (the list separators are phrases too). Where a number
    or a Latin word meets a Chinese connective, a space parts them, as the report spaces numbers
    from Chinese elsewhere (``社会评价 0.71 和领导考评 0.62``, not ``0.71和领导考评``)."""
    items = [str(x) for x in items]
    if len(items) <= 1:
        return "".join(items)
    key = "list.pair" if len(items) == 2 else "list.many"
    values = {"first": items[0], "rest": _(", ").join(items[1:-1]), "last": items[-1]}
    marked = say(key, first="\x02", rest="\x03", last="\x04")  # where the connective is
    before = "rest" if key == "list.many" else "first"
    start = marked.rindex("\x03" if before == "rest" else "\x02") + 1
    word = marked[start : marked.index("\x04")]  # " and ", or 和
    if has_cjk(word[:1]) and _latin(items[-2][-1:]):
        values[before] += " "
    if has_cjk(word[-1:]) and _latin(values["last"][:1]):
        values["last"] = " " + values["last"]
    return say(key, **values)


def _latin(char: str) -> bool:
    return bool(char) and char.isascii() and not char.isspace()
