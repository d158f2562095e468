"""perfsim empirical: analyse real ratings."""

from __future__ import annotations

import argparse
import math
import shlex
from pathlib import Path

from ..results.names import report_files
from ..scenario import DataError, load_scenario, resolve_path
from ..scenario.errors import error
from .common import (
    add_encoding,
    add_force,
    add_lang,
    add_numbers,
    add_set,
    default_out,
    given,
    library_default,
    progress_context,
    replaced_note,
    table_text,
)

HELP = "Analyse real ratings: reliability, rater effects, rank intervals, other rules, calibration."
EXAMPLES = """examples:
  perfsim empirical scenarios/data/hangzhou-2011-pilot-ratings.csv.gz \\
      --rule scenarios/hangzhou-2011.toml --units scenarios/data/hangzhou-2011-pilot-units.csv \\
      --variant social40:rule.components.社会评价.share=0.4 \\
      --variant classes:rule.grading.scope=\"within_class\"
  perfsim empirical ratings.xlsx --rule my-rule.toml --units units.xlsx --compare other-rule.toml
  perfsim empirical ratings.csv --scale "差=0,中=50,好=100" --reps 2000 --out results/pilot
  perfsim empirical last_year.csv --rule hangzhou-2011 --variant classes:rule.grading.scope=\"within_class\"
      # (a wide table, as perfsim score reads: each rule compared needs its columns)
then simulate with the calibrated raters:
  perfsim run scenarios/hangzhou-2011.toml --set @results/pilot/calibrated.toml"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..empirical.analysis import analyze

    p.add_argument(
        "data",
        help="long ratings table (CSV, CSV.GZ or Excel: unit, unit_class, rater_group, rater, "
        "component, item, score or answer), or the wide table of perfsim score",
    )
    p.add_argument(
        "--rule",
        help="rule or scenario TOML (default: the mean of the rated components, which has no "
        "quota or threshold and so grades every unit alike); a scenario with a [world] also gets "
        "its raters calibrated",
    )
    p.add_argument(
        "--units",
        help="wide units table with the indicator, bonus and veto columns the rule reads besides "
        "the ratings (the table of perfsim score)",
    )
    p.add_argument(
        "--compare",
        action="append",
        default=[],
        metavar="RULE.toml",
        help="re-score the same data with another rule (repeatable); adds a rank-change table",
    )
    p.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME:PATH=VALUE[,PATH=VALUE]",
        help="re-score with a variant of --rule (repeatable), e.g. "
        "social40:rule.components.社会评价.share=0.4",
    )
    p.add_argument(
        "--scale",
        help="answer scale as LABEL=POINTS, lowest first or not, e.g. "
        "'不满意=0,基本满意=60,比较满意=80,满意=100' (the default)",
    )
    p.add_argument(
        "--score-max",
        type=float,
        default=library_default(analyze, "score_max"),
        help="scores run 0..SCORE_MAX (default: %(default)g)",
    )
    add_numbers(p, analyze, reps="bootstrap replicates", level="interval level", seed="random seed")
    p.add_argument(
        "--strata",
        default="auto",
        choices=["auto", "group", "group×unit"],
        help="bootstrap strata (default auto: group, or group×unit when each rater rated one unit)",
    )
    p.add_argument("--id-column", default="department", help="units table id column")
    p.add_argument("--class-column", default="class", help="units table class column")
    p.add_argument(
        "--out", type=given, help="result folder (default: results/empirical-<data name>)"
    )
    add_force(p, "the --out folder")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    add_lang(
        p,
        "language of the summary printed here (default: en; zh, also cn or 中文: 中文摘要); the "
        "tables are the same in either, and under another language than English the report is "
        "written in it too (report.zh.html beside report.html)",
    )
    add_encoding(p)
    add_set(p)


def handle(args: argparse.Namespace) -> int:
    from ..empirical.analysis import analyze
    from ..experiments.compare import parse_variant
    from ..io import claimed_folder, folder_kind, has_report

    if args.reps < 2:
        raise DataError(error("reps_min", value=args.reps))
    # the README's scenarios/data/… files, outside a checkout: the bundled copies
    args.data = str(resolve_path(args.data))
    args.units = args.units and str(resolve_path(args.units))
    if not 0 < args.level < 1:
        raise DataError(error("level_range", value=args.level))
    if not 0 < args.score_max < float("inf"):
        raise DataError(error("score_max", value=args.score_max))
    if args.seed < 0:
        raise DataError(error("seed_min", value=args.seed))
    rule = load_scenario(args.rule, args.overrides) if args.rule else None
    compare = [load_scenario(c) for c in args.compare]
    if args.variant and not args.rule:
        raise DataError(error("variant_rule"))
    for text in args.variant:
        name, sets = parse_variant(text)
        variant = load_scenario(args.rule, [*args.overrides, *sets, f'rule.name="{name}"'])
        compare.append(variant)
    stem = Path(args.data).name.split(".")[0]
    out = Path(args.out or default_out(f"empirical-{stem}", args.overrides))
    earlier, had_report = folder_kind(out), has_report(out)  # (said after: it replaces them)
    with (
        claimed_folder(out, "empirical", force=args.force),
        progress_context(args.reps, "replicates", args.quiet) as progress,
    ):
        result = analyze(
            args.data,
            rule=rule,
            units=args.units,
            compare=compare,
            scale=args.scale,
            score_max=args.score_max,
            reps=args.reps,
            level=args.level,
            seed=args.seed,
            strata=args.strata,
            id_column=args.id_column,
            class_column=args.class_column,
            encoding=args.encoding,
            progress=progress,
        )
        if args.rule:
            result.metadata["rule"] = args.rule
        result.metadata["command"] = "perfsim " + shlex.join(args.argv)
        result.write(out, force=args.force, lang=args.lang)
    if not args.quiet:
        from ..i18n import language

        with language(args.lang):
            _print_empirical(result, out, replaced_note(earlier, had_report))
    return 0


def _print_empirical(result, out, replaced: str = "") -> None:
    """The terminal's summary of an analysis, in the current language."""

    from ..empirical.notes import said_again
    from ..i18n import current_language
    from ..i18n import gettext as _
    from ..report.sections.empirical import column_label

    cols = [
        c
        for c in result.scores.columns
        if c in ("unit", "unit_class", "total", "rank", "grade", "rank_low", "rank_high")
    ]
    shown = result.scores[cols].head(15)
    if current_language() != "en":  # (the columns' names as the report gives them; else the files')
        shown = shown.rename(columns=column_label)
    print(table_text(shown))
    if result.effects is not None:
        g = result.effects.groups
        print("\n" + _("rater groups (leniency in points, ± 1.96 SE):"))
        for r in g.itertuples():
            half = f" ± {1.96 * r.leniency_se:.2f}" if math.isfinite(r.leniency_se) else ""
            alone = "" if half else _(" (the component's only group: 0 by definition)")
            print(
                _("  {group}: {leniency}{half}{alone}, noise {noise}, raters {raters}").format(
                    group=f"{r.component}/{r.rater_group}",
                    leniency=f"{r.leniency:+.2f}",
                    half=half,
                    alone=alone,
                    noise=f"{r.noise:.1f}",
                    raters=r.raters,
                )
            )
    if result.rank_changes is not None and len(result.rules) > 1:
        t, base = result.rank_changes, result.rules[0]
        for name in result.rules[1:]:
            moved = (t[f"change:{name}"] != 0).sum()
            graded = (t[f"grade:{name}"] != t[f"grade:{base}"]).sum()
            said = _("under {rule}: {moved} of {units} units change rank, {graded} change grade")
            print("\n" + said.format(rule=name, moved=moved, units=len(t), graded=graded))
    for note in result.notes:
        if note in result.warned:  # (shown as a warning above)
            continue
        print(_("note: {note}").format(note=said_again(note)))
    if result.calibration is not None:
        file = out / "calibrated.toml"
        print("\n" + _("calibrated raters: {file} (use with --set @{file})").format(file=file))
    report = report_files(current_language())[0]  # (the report in this language, written too)
    print(_("written to {out} ({file})").format(out=out, file=report) + replaced)
