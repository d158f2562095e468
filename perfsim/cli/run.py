"""perfsim run: simulate a scenario and write a run folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..results.names import RunFiles
from ..scenario import no_world_error, resolve_scenario
from .common import (
    add_explain,
    add_force,
    add_lang,
    add_numbers,
    add_set,
    add_world,
    default_out,
    folder_line,
    given,
    next_report,
    positive,
    print_metrics_table,
    print_sentences,
    progress_context,
    replaced_note,
    run_stem,
    said_in_summary,
    terminal_columns,
    warn_scales,
    wrap,
)

HELP = "Simulate a scenario: departments respond to the rule; write a run folder."
EXAMPLES = """examples:
  perfsim run scenarios/hangzhou-2011.toml
  perfsim run hangzhou-2011 --reps 500 --seed 7 --jobs 2 --out results/hz-500
  perfsim run hangzhou-2011 --set rule.components.社会评价.share=0.4 --set world.policy="naive"
  perfsim run scenarios/rules/my-first-rule.toml --world hangzhou-2011   # your rule, a bundled world
  perfsim new rule my-rule.toml && perfsim run my-rule.toml --world hangzhou-2011
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "scenario",
        help="scenario TOML file with a [world] part, a rule file with --world, or a bundled name",
    )
    add_world(p)
    from ..simulation import simulate

    add_numbers(p, simulate, reps="replications", seed="random seed", jobs="worker processes")
    p.add_argument(
        "--out",
        type=given,
        help="run folder (default: results/<scenario>-seed<seed>, with -on-<world> for --world and "
        "-set<hash> for --set variants)",
    )
    add_force(p, "the --out folder")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    add_explain(p)
    add_lang(p)
    add_set(p)


def handle(args: argparse.Namespace) -> int:
    from ..io import claimed_folder, folder_kind, has_report
    from ..simulation import simulate, write_run

    positive("reps", args.reps)
    positive("jobs", args.jobs)
    scenario = resolve_scenario(args.scenario, args.overrides, args.world)
    if scenario.world is None:  # a rule file alone: say what to add before any folder is claimed
        raise no_world_error(scenario)
    warn_scales(scenario)
    stem = run_stem(args.scenario, args.world)
    out = args.out or default_out(stem, args.overrides, args.seed)
    earlier, had_report = folder_kind(out), has_report(out)
    with claimed_folder(out, "run", force=args.force):  # refused before the work, not after
        with (
            progress_context(args.reps, "replications", args.quiet) as progress,
            said_in_summary(args.quiet),
        ):
            result = simulate(
                scenario, reps=args.reps, seed=args.seed, jobs=args.jobs, progress=progress
            )
        out = write_run(result, out, force=args.force)
    if not args.quiet:
        from ..i18n import language

        with language(args.lang):
            note = replaced_note(earlier, had_report)
            _print_run_summary(result, out, args.explain, note, args.overrides)
    return 0


def _print_run_summary(result, out, explain: bool = False, note: str = "", sets=()) -> None:
    """The terminal's summary of a run, in the current language."""
    from ..i18n import gettext as _
    from ..i18n import ngettext, translated_name
    from ..report.rules import nominal_shares, term
    from ..report.sections.run import effective_weights_sentence
    from ..report.summary import (
        convergence_sentence,
        graded_within_class,
        run_sentences,
        run_warnings,
    )

    meta = result.metadata
    resolved = meta.get("resolved_scenario") or {}
    name = translated_name(resolved.get("meta")) or meta["scenario_name"] or meta["scenario"]
    n = meta["reps"]
    reps = ngettext("{n} replication", "{n} replications", n).format(n=n)
    changed = _("; --set {sets}").format(sets=" ".join(sets)) if sets else ""
    line = _("{name}: {reps}, policy {policy}, seed {seed}").format(
        name=name, reps=reps, policy=term(meta["policy"]), seed=meta["seed"]
    )
    print(wrap(f"{line}{changed}", terminal_columns(), "") + "\n")
    shares = nominal_shares(resolved)
    within = graded_within_class(resolved)
    sentences = run_sentences(name, result.metrics, result.departments, shares, within)
    weights = effective_weights_sentence(name, result.metrics, shares)
    sentences += [weights] if weights else []
    converged = convergence_sentence(result.metrics, where=meta["scenario"])
    print_sentences([*run_warnings(meta), *sentences, *([converged] if converged else [])])
    print()
    print_metrics_table(result.metrics, explain)
    print()
    written = [name for name in RunFiles.TABLES if (Path(out) / name).exists()]
    folder_line(out, (RunFiles.METADATA, *written), note)
    next_report(out)
