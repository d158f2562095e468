"""The messages of result folders that are not (or no longer) complete ones (``perfsim report``
and the readers of :mod:`perfsim.results`): templates of :data:`perfsim.scenario.errors.ERRORS`,
which holds them with the others, so that a terminal says them again in its language."""

from __future__ import annotations

from ..phrases import N_

FOLDER_ERRORS: dict[str, str] = {
    # (before the "damaged" below, which its text would also match)
    "sensitivity_keys": N_("{file}: damaged (no {keys}); run perfsim sensitivity again"),
    "damaged": N_("{file}: damaged ({why}); {again}"),
    # what a damaged file lacks ({why})
    "no_column": N_("no column {columns}"),
    "cell_not_number": N_("{column} = {value} is not a number"),
    "metric_not_finite": N_("{metric}: {column} = {value} is not a finite number"),
    "pareto_no_rows": N_("no rows"),
    "values_not_finite": N_("a value of {names} that is not a finite number"),
    # what to do about it ({again})
    "again_run": N_("run the perfsim command again"),
    "again_optimize": N_(
        "run the same perfsim optimize command again (with --force to replace the folder)"
    ),
    "not_metadata": N_("{file}: not a perfsim metadata file (not a JSON object)"),
    "folder_incomplete": N_(
        "{path}: incomplete result folder: {files} missing (the run was interrupted, or files "
        "were deleted); run {command} again"
    ),
    "comparison_no_runs": N_(
        "{path}/metadata.json: a comparison without its list of runs; run perfsim compare again"
    ),
    "not_written_by_perfsim": N_(
        "{path}/metadata.json: not written by perfsim (no 'scenario' key); give a folder written "
        "by perfsim run, compare, sensitivity, empirical or optimize"
    ),
    "sensitivity_interrupted": N_(
        "{path}: an interrupted sensitivity analysis ({done} chunk file(s) done); finish it by "
        "running the same perfsim sensitivity command with --out {path} --resume, then perfsim "
        "report"
    ),
    "sensitivity_interrupted_missing": N_(
        "{path}: an interrupted sensitivity analysis ({done} chunk file(s) done; not yet written: "
        "{files}); finish it by running the same perfsim sensitivity command with --out {path} "
        "--resume, then perfsim report"
    ),
    "optimization_unfinished": N_(
        "{path}: an unfinished optimisation ({file} is missing): one stopped before its end "
        "(finish it by running the same perfsim optimize command with --resume, then perfsim "
        "report), or one in which no rule it evaluated met every --constraint (resuming says so "
        "again: loosen the constraints or widen the levers, with another --out)"
    ),
    "comparison_no_scenarios": N_(
        "{path}: a comparison across several worlds written by an older perfsim, without its "
        "rules' scenarios (resolved_scenarios): its runs hold each world's --across values, not "
        "the rules' own; run perfsim compare again"
    ),
    "not_run_or_comparison": N_(
        "{path}: not a perfsim run folder; give a folder written by `perfsim run` or "
        "`perfsim compare`"
    ),
    # a sensitivity analysis or an optimisation continued in its folder
    "other_revision": N_(
        "{out} was computed by another revision of the simulation model ({old}; this perfsim is "
        "revision {new}), whose numbers differ: choose another --out folder, or delete this one "
        "to start again"
    ),
    "other_sensitivity": N_(
        "{out} holds a different sensitivity analysis ({differences}); choose another --out "
        "folder, or delete this one to start again"
    ),
    "other_optimisation": N_(
        "{out} holds a different optimisation (another scenario, levers, objectives, worlds, "
        "budget, reps, seed or model revision: hash {old} ≠ {new}); choose another --out folder, "
        "or delete this one to start again"
    ),
    "nothing_to_resume": N_("nothing to resume: {out} has no {file} (check --out)"),
    "out_not_empty": N_("{out} exists and is not empty; choose another --out"),
    "not_sensitivity": N_("{out} exists and is not a sensitivity run folder; choose another --out"),
    "damaged_run_folder": N_("{path}: incomplete or damaged run folder: {detail}"),
    "damaged_sensitivity_folder": N_("{path}: incomplete or damaged sensitivity folder: {detail}"),
    "damaged_empirical_folder": N_("{path}: incomplete or damaged empirical folder: {detail}"),
    "damaged_optimization_folder": N_(
        "{path}: incomplete or damaged optimization folder: {detail}"
    ),
}
