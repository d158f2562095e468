"""The messages of a scenario's own checks and of the commands' options (``--set``, compare,
optimize, an output folder): templates of :data:`perfsim.scenario.errors.ERRORS`, which holds
them with the others, so that a terminal says them again in its language."""

from __future__ import annotations

from ..phrases import N_

OPTION_ERRORS: dict[str, str] = {
    "lt": N_("must be < {bound}"),
    "set_form": N_("expected PATH=VALUE, e.g. rule.grading.quota.优秀=0.15"),
    "empty_key": N_("empty key in the dotted path"),
    "good_is_bad": N_("must differ from bad (the not-allowed value)"),
    "weights_ignored": N_(
        "weights are given per indicator ({names}) but method = {method} ignores them; use "
        "method = 'fixed' or remove the weights"
    ),
    "quota_sum": N_("quotas must sum to at most 1"),
    "threshold_order": N_("must not exceed the better band's threshold ({band} = {threshold})"),
    "classes_distinct": N_("class names must be distinct"),
    "bands_distinct": N_("band names must be distinct"),
    "rule_empty": N_("a rule needs at least one indicator or one component"),
    "compare_two": N_("give two scenarios, or one and a --variant"),
    "min_diff_form": N_("expected METRIC=VALUE, e.g. kendall_tau=0.05"),
    "min_diff_value": N_("must be a number ≥ 0, in the metric's units"),
    "objective_missing": N_("give at least one --objective"),
    "lever_missing": N_("give at least one --lever"),
    "objective_form": N_("expected METRIC, METRIC:min or METRIC:max"),
    "constraint_form": N_("expected METRIC<VALUE or METRIC>VALUE, e.g. gaming_share<0.02"),
    "objective_twice": N_("an objective is given twice"),
    "percent_not_share": N_(
        "{value} is a percentage, which means a share (2% is 0.02), but {metric} is not a share: "
        "give it in its own units, as metrics.csv shows it"
    ),
    "bound_form": N_(
        '--bound {text}: expected METRIC<VALUE (or <=, >, >=), e.g. --bound "class_bias<5"'
    ),
    "bound_not_finite": N_("{where}: {value} is not a finite number; give one, e.g. 5"),
    "bound_twice": N_("--bound: {metrics} is bounded twice; give one bound for each metric"),
    "uncertain_missing": N_("has no [uncertain] table (a scenario without uncertain inputs)"),
    "out_is_file": N_("{path} is a file, not a folder: give --out a folder name"),
    "new_not_toml": N_("{path}: a scenario file is TOML; name it {name}"),
    "new_rule_world": N_("only a world is fitted to a rule: perfsim new world FILE --rule RULE"),
    "new_world_rule": N_("only a rule is fitted to a world: perfsim new rule FILE --world WORLD"),
    "new_is_folder": N_("{path} is a folder: give a file name, e.g. {example}"),
    "new_no_name": N_("{path}: the file name is empty; give one, e.g. {example}"),
}
