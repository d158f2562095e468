"""User errors in scenarios and data: each names the file, the key path, the bad value and what is allowed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..phrases import N_
from .folder_errors import FOLDER_ERRORS
from .option_errors import OPTION_ERRORS
from .table_errors import TABLE_ERRORS


@dataclass(frozen=True)
class Problem:
    """One located problem: ``source: path = value: message``."""

    source: str
    path: str
    value: object
    message: str
    has_value: bool = True

    def __str__(self) -> str:
        return self.said()

    def said(self, say: Callable[[str], str] = str, colon: str = ": ") -> str:
        """The problem with its source and message as ``say`` gives them (a terminal's language:
        said again, :data:`ERRORS`) and ``colon`` after the file and the key."""
        where = f"{say(self.source)}{colon}" if self.source else ""
        message = say(self.message)
        if not self.path:
            return f"{where}{message}"
        if self.has_value:
            return f"{where}{self.path} = {_show(self.value)}{colon}{message}"
        return f"{where}{self.path}{colon}{message}"


def _show(value: object) -> str:
    """A value as the user wrote it: a string quoted, true and false as TOML writes them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 80 else text[:77] + "..."


class PerfsimError(Exception):
    """Base class of the errors that perfsim reports to users without a traceback."""


class ScenarioError(PerfsimError, ValueError):
    """A scenario (or override) that cannot be used; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class DataError(PerfsimError, ValueError):
    """A data table that cannot be scored: names the file, row and column."""


class LocatedValueError(ValueError):
    """Raised inside schema validators to point at a key below the model being validated."""

    def __init__(self, path: str, value: object, message: str, has_value: bool = True):
        self.path = path
        self.value = value
        self.has_value = has_value
        super().__init__(message)


#: the messages of the errors a user meets most (a scenario's keys and values, a missing file, a
#: table's cells), each from one template: an error is raised in English, and the command line
#: says it again in its ``--lang`` (:func:`perfsim.cli.said_error`); the "{message} (…)" ones
#: are the hints added to another message, said again in turn. Order matters: the first template
#: that matches a message is its own (``must be {choices}`` last among the "must be").
ERRORS: dict[str, str] = {
    # (wrappers first: a message with a note added matches its wrapper, not the message)
    "title_row": N_(
        "{message} (most column names are blank: is the first row a title? delete the rows above "
        "the column names)"
    ),
    "read_as": N_(
        "{message} (the file was read as {encoding}; if the names look garbled, name the file's "
        "encoding with --encoding)"
    ),
    "id_hint": N_("{message} (name the id column with --id-column)"),
    "unknown_close": N_("unknown key (did you mean {close}?); allowed in {where}: {allowed}"),
    "unknown": N_("unknown key; allowed in {where}: {allowed}"),
    "unknown_none_close": N_("unknown key (did you mean {close}?); {where} takes no keys yet"),
    "unknown_none": N_("unknown key; {where} takes no keys yet"),
    "unknown_bare": N_("unknown key"),
    "no_world": N_("missing: simulating a rule needs a world: {hint}"),
    "partial_world": N_(
        "this [world] only adds {entries} entries to a world given with --world; {hint}"
    ),
    "worlds_hint": N_(
        "add --world {example} (in Python: world={quoted}) or a [world] table (perfsim new world "
        "FILE writes a starter); bundled worlds: {names} (perfsim scenarios lists every scenario)"
    ),
    "world_file": N_(
        "missing: a world file needs a complete [world] table with [world.tasks]; bundled worlds: "
        "{names}"
    ),
    "no_rule_table": N_("missing: a scenario needs a [rule] table"),
    # the memory check of a run (perfsim.budget); {limit_source}: one of the memory_* below
    "memory_need": N_(
        "this run would need about {need} of memory, more than the {memory} {limit_source}; "
        "lower {option}, or set the environment variable {variable} (e.g. {variable}=64G, or "
        "{variable}=off to skip this check) if the estimate is wrong for this machine"
    ),
    "memory_available": N_("available (MemAvailable)"),
    "memory_sysconf": N_("available (os.sysconf)"),
    "memory_cgroup": N_("left under this container's memory.max (cgroup)"),
    "memory_allowed": N_("allowed by {variable}={value}"),
    "memory_size": N_(
        "{variable}={value}: not a memory size; give bytes or a size such as 500M, 64G or 1T, "
        "or off to skip the memory check"
    ),
    "uncertain_only": N_(
        "{message}; this file holds only [uncertain] inputs of a sensitivity analysis: use it as "
        "perfsim sensitivity SCENARIO.toml --uncertain {file}"
    ),
    "missing": N_("missing: {what}"),
    "not_found_close": N_(
        "file not found (did you mean the bundled scenario {close}?); perfsim scenarios lists "
        "the bundled ones"
    ),
    "not_found": N_("file not found; perfsim scenarios lists the bundled ones"),
    "own_not_found_close": N_(
        "file not found (did you mean the bundled scenario {close}?) (relative paths start in "
        "{cwd})"
    ),
    "own_not_found": N_("file not found (relative paths start in {cwd})"),
    "no_name_none": N_("no {kind} of that name (none is declared)"),
    "no_name_close": N_("no {kind} of that name (did you mean {close}?); allowed: {allowed}"),
    "no_name": N_("no {kind} of that name; allowed: {allowed}"),
    "no_name_new_close": N_(
        "no {kind} of that name (did you mean {close}?); a new {kind} needs a name unlike the "
        "others ({allowed})"
    ),
    "shares_over_one": N_(
        "more than 1: give shares between 0 and 1 that sum to at most 1 (the other members of "
        "{group}, {others}, are rescaled to fill the rest)"
    ),
    "shares_sum_over_one": N_(
        "the overridden shares sum to more than 1: give shares between 0 and 1 that sum to at "
        "most 1 (the other members of {group}, {others}, are rescaled to fill the rest)"
    ),
    "mixed_scale": N_(
        "{value} beside fractions ({others}) would count {counts} once the group is rescaled to "
        "sum to 1: write every member as a fraction, or every member in points (such as 50/30/20)"
    ),
    "mixed_scale_meant": N_(
        "{value} beside fractions ({others}) would count {counts} once the group is rescaled to "
        "sum to 1: if you meant {pct} %, write {share}; write every member as a fraction, or "
        "every member in points (such as 50/30/20)"
    ),
    "share_pct2": N_(
        "{message} (a share, not a percentage: {pct10} % is {share10}, {pct} % is {share})"
    ),
    "share_pct": N_("{message} (a share, not a percentage: {pct} % is {share})"),
    "share_file": N_("{message} (a share is written as a number in the file: {share} for {value})"),
    "slipped": N_("{message}; a slipped decimal point?"),
    "percent_points": N_(
        "{message}; a percent is read as points ({cell} = {points}): give the value out of {most}"
    ),
    "close": N_("{message} (did you mean {close}?)"),
    "write": N_("{message} (write {word} for {value})"),
    "ge": N_("must be ≥ {bound}"),
    "le": N_("must be ≤ {bound}"),
    "gt": N_("must be > {bound}"),
    "number": N_("must be a number"),
    "finite": N_("must be a finite number"),
    "toml_not_utf8": N_(
        "not UTF-8 text ({reason} at byte {start}); save the file as UTF-8 (Notepad or WPS on "
        "Chinese Windows may save it as GBK or GB18030)"
    ),
    "toml_folder": N_("is a folder; give a scenario TOML file"),
    "integer": N_("must be a whole number"),
    "integer_decimal": N_("must be a whole number, written without a decimal point (e.g. 3)"),
    "string": N_("must be a string"),
    "boolean": N_("must be true or false"),
    "table": N_("must be a table"),
    "list": N_("must be a list"),
    "empty": N_("must not be empty"),
    "choices": N_("must be {choices}"),
    "with_set": N_("{source} (with --set {sets})"),
    "scored_with": N_("{source} (scored with the rule {rule})"),
    "with_across": N_("{source} (with --across {sets})"),
    "variant_form": N_(
        "expected NAME:PATH=VALUE[,PATH=VALUE] or NAME:@FRAGMENT.toml (a file of the changed "
        "keys), e.g. {example}"
    ),
    "across_form": N_("expected PATH=V1,V2[,V3], e.g. {example}"),
    "on_world": N_("{source} on world {world}"),
    "at_cell": N_("{source}: {row}, column '{column}': {message}"),
    "missing_column": N_("missing column {columns}"),
    "missing_columns": N_("missing columns {columns}"),
    "rule_missing": N_("{source}: {missing}; the rule needs: {needed}; the table has: {have}"),
    "ratings_missing": N_(
        "{source}: {missing}; a ratings table needs unit, rater_group and rater (or 被考评单位, "
        "评价主体, 评价人编号) and score or answer (得分 or 评价结果; optional: unit_class, "
        "component, item); the table has: {have}"
    ),
    "no_score": N_("{source}: no score or answer column (得分 or 评价结果); the table has: {have}"),
    "both_given": N_(
        "{source}: {row}: both a score and an answer given; give exactly one per rating"
    ),
    "outside_scores": N_("{cell} is outside 0-{most} (--score-max: what a score is out of)"),
    "no_id_column": N_(
        "{source}: no '{column}' column (the unit ids; name it with --id-column); the table has: "
        "{have}"
    ),
    "misnamed_component": N_(
        "{source}: the rule's component {absent} gets no ratings (nor a column of the units "
        "table), and the ratings rate {unused}, which the rule does not have; name the ratings' "
        "components as the rule does: {components}"
    ),
    "not_in_units": N_(
        "{source}: {count} rated unit(s) not in the units table, e.g. {units}; every rated unit "
        "needs a row"
    ),
    "line": N_("line {line}"),
    "row": N_("row {line}"),
    "cell_empty": N_("is empty; give a number"),
    "text_empty": N_("empty"),
    "id_empty": N_("the department id is empty"),
    "cell_excel_error": N_(
        "holds an Excel error value (such as #DIV/0!, #N/A or #VALUE!), not a value: correct "
        "the formula or the cell in the workbook"
    ),
    "weight_by_class": N_(
        "changes nothing: every class of the rule has its own weights (rule.weights.by_class: "
        "{classes}), so the common weights are not used; set the weight in each class's table, "
        "e.g. rule.weights.by_class.{first}.{name}, or remove the class tables first with "
        "{clear}"
    ),
    "cell_formula_unstored": N_(
        "holds a formula whose result the workbook does not store (it was written by a program "
        "that does not compute formulas): open the workbook in Excel or WPS and save it, or type "
        "the value"
    ),
    "id_twice": N_("department {id} appears twice (also on {row})"),
    "not_class": N_("{value} is not a class of the rule; allowed: {allowed}"),
    "veto_flag": N_(
        "{value} is not a veto flag; allowed: true/false, 1/0, yes/no, 是/否, or blank (false)"
    ),
    "target_positive": N_("a target must be > 0"),
    "negative_points": N_(
        "{points} is negative; bonus and deduction points are given as non-negative numbers (the "
        "rule's `kind` says whether they add or subtract)"
    ),
    "outside_marks": N_(
        "{cell} is outside 0-{most}, the full marks of component {component} "
        "(rule.components.{component}.full_marks)"
    ),
    "not_on_scale": N_(
        "{answer} is not on the scale; allowed: {allowed} (state another scale with --scale)"
    ),
    "world_no_indicator": N_(
        "the world {world} has no measurement for this indicator (its indicators: {have}). "
        "Rename the indicator to one of those, or add to {source}: {example} with offset, scale "
        "and noise in the indicator's units (tasks of the world: {tasks})"
    ),
    "world_no_rater": N_(
        "a column component needs a rater group of the same name, and the world {world} has none "
        "(its rater groups: {have}). Rename the component to one of those, or add to {source}: "
        "{example} (tasks of the world: {tasks})"
    ),
    "name_taken": N_(
        "the rule name {name} is taken already (by a scenario or an earlier --variant); give each "
        "rule its own name"
    ),
    "no_such_world_close": N_(
        "no bundled world of that name and no such file (did you mean {close}?): give a bundled "
        "world ({names}) or a TOML file with a [world] table (perfsim new world FILE writes a "
        "starter)"
    ),
    "world_folder": N_(
        "a folder, not a file: give a bundled world ({names}) or a TOML file with a [world] "
        "table (perfsim new world FILE writes a starter)"
    ),
    "no_such_world": N_(
        "no bundled world of that name and no such file: give a bundled world ({names}) or a TOML "
        "file with a [world] table (perfsim new world FILE writes a starter)"
    ),
    "toml_too_deep": N_(
        "invalid TOML: arrays or tables nested too deeply for the parser; a scenario needs only a "
        "few levels"
    ),
    "invalid_toml_hint": N_("invalid TOML: {detail}. {hint}"),
    "invalid_toml": N_("invalid TOML: {detail}"),
    "lever_form": N_(
        "expected PATH=LO:HI (a range), PATH=LO:HI:int (whole numbers) or PATH=A,B,C (choices), "
        "e.g. {example} or {another}"
    ),
    "lever_range": N_("the range needs finite LO < HI"),
    "not_metric": N_("not a metric; the metrics with a better side: {judged}"),
    "not_metric_near": N_(
        "not a metric; did you mean {close}? The metrics with a better side: {judged}"
    ),
    "not_metric_of": N_("not a metric; one of {allowed}"),
    "whole_at_least": N_("must be a whole number ≥ {least}"),
    "choice_twice": N_("a choice is given twice"),
    "lever_twice": N_("a lever path is given twice"),
    "across_twice": N_("the path is given twice; give its values in one --across"),
    "across_lever": N_("is also a --lever: the assumed values would replace the lever's"),
    "entry_twice": N_(
        "the same entry is given twice ({paths}: a quoted and an unquoted key are one path)"
    ),
    "integer_range": N_("an integer input's range holds no whole number; widen it or drop integer"),
    "whole_group": N_(
        "every member of the sum-to-one group {group} is uncertain ({paths}): their values are "
        "rescaled to sum to 1, so the values sampled would not be the ones the runs use; declare "
        "all but one of them (the last takes up the rest)"
    ),
    "metric_undefined": N_(
        "undefined in this scenario (the reference rule's run has no value of it); choose another"
    ),
    "metric_undefined_classes": N_(
        "undefined in this scenario (the reference rule's run has no value of it: it needs two "
        "classes of departments); choose another"
    ),
    "unknown_metrics": N_(
        "unknown metric(s) {unknown}; the metrics: {metrics} (and the families {families})"
    ),
    "toml_twice": N_(
        "Line {line} gives the key {name} a second value in the same table: keep one of the two"
    ),
    "toml_unclosed": N_("Line {line} opens a quote it does not close: {text}"),
    "toml_table_twice": N_("Line {line} declares the table {table} a second time: merge the two"),
    "toml_full_digits": N_(
        "Line {line} writes a number with full-width characters ({value}, a Chinese keyboard's): "
        "write {fixed}"
    ),
    "toml_percent": N_(
        "Line {line} writes a percentage ({value}): a TOML number has no per cent sign; write "
        "{share} for a share, a quota or a probability ({number} % is {share}), or {number} for "
        "a score in points"
    ),
    "toml_semicolon": N_(
        "Line {line} ends with {mark}: TOML needs nothing at the end of a line; delete it: {text}"
    ),
    "toml_full_width": N_(
        "Line {line} has the full-width {mark} (a Chinese keyboard's) outside quotes, where TOML "
        "needs {needed}: {text}"
    ),
    "toml_english_key": N_(
        "Line {line}: the keys of this table are English words; write {english} for {name}"
    ),
    "toml_quote_key": N_(
        'Keys with Chinese characters must be quoted in TOML: write "{name}" (e.g. '
        '[rule.indicators."{name}"] or "{name}" = 0.3)'
    ),
    "new_exists": N_("{target} exists; perfsim new never replaces a file: choose another name"),
    "locked": N_(
        "another perfsim process is writing {target} (lock {lock}); wait for it to finish, or "
        "write elsewhere"
    ),
    "cannot_enter": N_(
        "{target} cannot be opened (no permission to enter it), so perfsim cannot tell whose files "
        "it holds and will not replace it: make it enterable again, or choose another --out"
    ),
    "not_ours": N_(
        "{target} exists and was not written by perfsim (it has no {manifest}); perfsim never "
        "deletes such a folder. Choose another --out, or empty or remove it yourself"
    ),
    "foreign_files": N_(
        "{target} is a perfsim {found} folder but also holds files perfsim did not write, or that "
        "were changed after perfsim wrote them ({listed}); move them out first, or choose another "
        "--out"
    ),
    "inside_result": N_(
        "{target} is inside the perfsim {found} folder {parent}: a result written there would "
        "replace part of that one and leave it inconsistent; choose an --out outside it"
    ),
    "read_only": N_(
        "{target} is a perfsim folder you made read-only ({listed} cannot be changed); perfsim "
        "will not replace it: make it writable again, or choose another --out"
    ),
    "changed_outputs": N_(
        "{target}: files perfsim wrote there were changed since ({listed}); a rerun would "
        "overwrite them: move or rename them first, or choose another --out"
    ),
    "no_file_list": N_(
        "{target} has no file list ({manifest}): it was written by an older perfsim, or copied "
        "without that file, so perfsim cannot tell which files in it are yours and never "
        "replaces it, even with --force; choose another --out, or remove it yourself"
    ),
    "no_file_list_plain": N_(
        "{target} has no file list ({manifest}): it was written by an older perfsim, or copied "
        "without that file, so perfsim cannot tell which files in it are yours and never "
        "replaces it; choose another --out, or remove it yourself"
    ),
    "unfinished_run": N_(
        "{target} holds an unfinished perfsim {found} run (its file list comes when it "
        "completes): finish it with the same command and --resume, or choose another --out"
    ),
    "report_no_file_list": N_(
        "{folder} has no file list ({manifest}): it was written by an older perfsim, or copied "
        "without that file, so perfsim cannot tell whether {listed} are yours and never "
        "overwrites them; move or rename them first"
    ),
    "blank_name": N_(
        "a name needs at least one visible character; a blank name would label results (such "
        "as the effort:<task> columns) with nothing"
    ),
    "loads_nothing": N_(
        "every loading is 0, so the indicator measures no work; give at least one task a "
        "loading other than 0"
    ),
    "class_shares_zero": N_(
        "the class shares (the share of departments in each class) are all 0: give at least one "
        "class a share > 0"
    ),
    "table_not_found": N_("{path}: file not found"),
    "folder_not_found": N_(
        "{path}: folder not found; give a folder written by perfsim run, compare, sensitivity, "
        "empirical or optimize"
    ),
    "no_feasible": N_(
        "none of the {count} rules evaluated meets every --constraint in every world (the "
        "nearest: {closest}); loosen the constraints, widen the levers' ranges or raise --budget"
    ),
    "no_feasible_kept": N_(
        "none of the {count} rules evaluated meets every --constraint in every world (the "
        "nearest: {closest}); loosen the constraints, widen the levers' ranges or raise --budget, "
        "with another --out: {folder} "
        "keeps these evaluations, and a search with other settings does not reuse it (delete it "
        "to use the name again)"
    ),
    "other_kind": N_(
        "{target} holds a perfsim {found} folder, not one of kind {kind}; choose another --out, "
        "or give --force to replace it"
    ),
    "other_kind_plain": N_(
        "{target} holds a perfsim {found} folder, not one of kind {kind}; choose another --out"
    ),
    "folder_is_file": N_(
        "{path}: is a file, not a folder; give the folder written by perfsim run, compare, "
        "sensitivity, empirical or optimize"
    ),
    "not_a_run_folder": N_(
        "{path}: not a perfsim run folder: it has none of metadata.json (written by perfsim run "
        "and compare), sensitivity.json (perfsim sensitivity), empirical.json (perfsim "
        "empirical) or optimization.json (perfsim optimize); give a folder written by perfsim "
        "run, compare, sensitivity, empirical or optimize"
    ),
    "report_not_ours": N_(
        "{folder}: perfsim report writes {reports} and figures into {figures}/, where {listed} "
        "is not perfsim's (a file you put there, or one changed after perfsim wrote it: your "
        "notes?); perfsim never overwrites your files: move or rename them first"
    ),
    "is_input": N_("{target} is the input table; give --out another file name"),
    "file_exists": N_("{target} exists; give --force to replace it, or choose another name"),
    "file_not_ours": N_(
        "{target} exists and is not a file perfsim wrote (or was changed after perfsim wrote "
        "it); perfsim never overwrites your files, even with --force: choose another name"
    ),
    "csv_or_xlsx": N_(
        "{target}: perfsim writes a .csv file (UTF-8 with BOM, which Excel and WPS open) or an "
        ".xlsx workbook here; name it {csv} or {xlsx}"
    ),
    # an uncertain input's value that the scenario refuses (the scenario's own message inside)
    "edge_integer": N_(
        "the value {value} is not allowed: {path} = {given}: {message} (declare integer = true to "
        "round the sampled values)"
    ),
    "edge": N_("the value {value} is not allowed: {path} = {given}: {message}"),
    "edge_plain_integer": N_(
        "the value {value} is not allowed: {message} (declare integer = true to round the "
        "sampled values)"
    ),
    "edge_plain": N_("the value {value} is not allowed: {message}"),
    "low_high": N_("must be [low, high] with low < high (two numbers)"),
    "no_uncertain_for": N_(
        "no uncertain inputs: add an [uncertain] table (see scenarios/README.md) or give one in a "
        "separate file (--uncertain FILE); for this scenario: --uncertain {name}"
    ),
    "no_uncertain": N_(
        "no uncertain inputs: add an [uncertain] table (see scenarios/README.md) or give one in a "
        "separate file (--uncertain FILE)"
    ),
    "misspelt_name": N_(
        "{name}, a {kind} of the rule, has no entry in {path}, where {near}, which the rule does "
        "not use, is near it: is one of the two misspelt?"
    ),
    "needs_measurement": N_("rule indicator {name} needs a measurement model [{path}]"),
    "needs_rater": N_("column component {name} needs a rater group [{path}]"),
    "needs_class": N_("rule class {name} needs [{path}]"),
    "fragment_missing": N_("fragment file not found (write @PATH.toml)"),
    "fragment_folder": N_("is a folder; write @PATH.toml (a fragment file)"),
    "cost_floor": N_(
        "must be ≥ {floor}: a department's effort is about value / cost, so a smaller cost makes "
        "it astronomically large and overflows the model (the bundled scenarios use 0.5 to 1)"
    ),
    "log_scale": N_(
        "is on the log scale (ability = exp(N(mean, sd))); keep |{name}| ≤ {limit} (e^{limit} ≈ "
        "{times} times the baseline), beyond which the model's numbers overflow"
    ),
    # the reading of a table file and of ratings: .table_errors
    **TABLE_ERRORS,
    **FOLDER_ERRORS,
    **OPTION_ERRORS,  # (no key of one is a key of another: tests/test_error_language.py)
}


#: the words an error's ``{kind}`` and ``{where}`` take that are said again in another language
#: (a key's path is kept as it is)
#: GB18030 as the tables' messages name the encoding a file was read as (an ``{encoding}``)
GB18030 = N_("GB18030 (covers GBK)")

WORDS = (
    GB18030,
    N_("band"),
    N_("component"),
    N_("indicator"),
    N_("class"),
    N_("column component"),
    N_("bonus/deduction item or veto column"),
    N_("the top level"),
    N_("task"),
    N_("command line"),
    # the kinds of result folder ({found}, {kind} of the output checks: perfsim.io)
    N_("run"),
    N_("comparison"),
    N_("sensitivity"),
    N_("empirical"),
    N_("optimization"),
)


def error(key: str, **values: object) -> str:
    """The message ``key`` of :data:`ERRORS` with its values, in English."""
    return ERRORS[key].format(**values)


def percent_hint(message: str, value: float) -> str:
    """``message`` about a share ``value`` in (1, 100], with what a percentage would be as a
    share (60 → 0.6; below 10 also the tenth it may be: 1.5 → 0.15 or 0.015)."""
    pct, share = f"{value:g}", f"{value / 100:g}"
    if value >= 10:
        return error("share_pct", message=message, pct=pct, share=share)
    return error(
        "share_pct2", message=message, pct10=f"{value * 10:g}", share10=f"{value / 10:g}",
        pct=pct, share=share,
    )  # fmt: skip
