"""perfsim compare: compare rules on the same simulated departments."""

from __future__ import annotations

import argparse

from ..results.names import ComparisonFiles
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
    pad,
    positive,
    print_sentences,
    progress_context,
    replaced_note,
    run_stem,
    said_in_summary,
    terminal_columns,
    warn_scales,
    width,
    wrap,
)

HELP = "Compare rules on the same simulated departments (paired, common random numbers)."
EXAMPLES = """examples:
  perfsim compare scenarios/hangzhou-2011.toml \\
      --variant social40:rule.components.社会评价.share=0.4 \\
      --variant classes:rule.grading.scope=\"within_class\" \\
      --variant audit20:rule.audit.probability=0.2
  perfsim compare a.toml b.toml --reps 400 --out results/a-vs-b
  perfsim compare hangzhou-2011 --variant q20:rule.grading.quota.优秀=0.2 \\
      --across world.indicators.公共服务.gameability=0.5,1,2
  perfsim compare my-rule.toml hangzhou-2011 --world hangzhou-2011   # both rules, one world"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "scenarios",
        nargs="+",
        help="scenario or rule files, or bundled names (the first is the reference)",
    )
    add_world(p)
    p.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME:PATH=VALUE[,PATH=VALUE]",
        help="a variant of the first scenario (repeatable); NAME:@FRAGMENT.toml takes the keys "
        "of a small file that holds the changes only",
    )
    p.add_argument(
        "--across",
        action="append",
        default=[],
        metavar="PATH=V1,V2,...",
        help="run every rule under each of these assumptions (repeatable: all combinations)",
    )
    from ..experiments.compare import compare

    add_numbers(
        p,
        compare,
        reps="replications per rule and world",
        seed="random seed",
        jobs="worker processes",
    )
    p.add_argument(
        "--out",
        type=given,
        help="run folder (default: results/compare-<first scenario>-seed<seed>)",
    )
    add_force(p, "the --out folder")
    p.add_argument(
        "--min-diff",
        action="append",
        default=[],
        metavar="METRIC=VALUE",
        help="smallest difference of a metric that matters, in its units (repeatable), e.g. "
        "--min-diff kendall_tau=0.05; a detectable difference estimated below it is "
        "'slightly better' or 'slightly worse', an interval within ± it 'no practical difference' "
        "(default: the metric's own, see --explain)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar or table")
    add_explain(p)
    add_lang(p)
    add_set(p)


def handle(args: argparse.Namespace) -> int:
    from ..experiments.compare import compare, parse_across, parse_min_diff, write_comparison
    from ..io import claimed_folder, folder_kind, has_report

    min_differences = dict(parse_min_diff(text) for text in args.min_diff)
    positive("reps", args.reps)
    positive("jobs", args.jobs)
    n_worlds = 1
    for text in args.across:
        n_worlds *= len(parse_across(text)[1])
    n_rules = len(args.scenarios) + len(args.variant)
    stem = run_stem(args.scenarios[0], args.world)
    out = args.out or default_out(f"compare-{stem}", args.overrides, args.seed)
    earlier, had_report = folder_kind(out), has_report(out)
    with (
        claimed_folder(out, "comparison", force=args.force),
        progress_context(args.reps * n_worlds * n_rules, "replications", args.quiet) as progress,
        said_in_summary(args.quiet),
    ):
        comp = compare(
            args.scenarios,
            variants=args.variant,
            across=args.across,
            overrides=args.overrides,
            reps=args.reps,
            seed=args.seed,
            jobs=args.jobs,
            progress=progress,
            min_differences=min_differences,
            world=args.world,
        )
        out = write_comparison(comp, out, seed=args.seed, reps=args.reps, force=args.force)
    for name, scenario in comp.scenarios.items():
        warn_scales(scenario, f"rule {name}")
    if not args.quiet:
        from ..i18n import language

        with language(args.lang):
            _print_comparison(
                comp, out, args.explain, world=args.world, note=replaced_note(earlier, had_report)
            )
    return 0


def _mix_lines(rules, names, raw) -> list[str]:
    """A line for each rule whose components (the reference's) have other shares: all of them,
    rescaled to sum to 1 (a --set on one share rescales the others, and nothing said how)."""
    from ..i18n import gettext as _
    from ..report.rules import nominal_shares

    reference = nominal_shares(raw[rules[0]])
    out = []
    for rule in rules[1:]:
        shares = nominal_shares(raw[rule])
        if shares.keys() != reference.keys():  # (another scenario's components: its own mix)
            continue
        if all(abs(shares[k] - reference[k]) < 1e-9 for k in shares):
            continue
        mix = _(", ").join(f"{k} {v * 100:.3g} %" for k, v in shares.items())
        out.append(_("  {rule}: rater mix {mix}").format(rule=names.get(rule, rule), mix=mix))
    return out


def _own_worlds(comp) -> bool:
    """Whether the compared rules ran each in a world of its own (other departments)."""
    from ..scenario.worlds import other_worlds

    return bool(other_worlds({n: s.world for n, s in comp.scenarios.items()}))


def _differences_header(comp) -> str:
    """The head of the terminal's table of differences: how the replications are paired."""
    from ..i18n import gettext as _

    if _own_worlds(comp):
        return _(
            "paired differences from the reference [95 % interval], each rule in its own world;"
        )
    return _("paired differences from the reference [95 % interval], common random numbers;")


def _shown_world(comp, world) -> str:
    """The world whose tables the terminal prints: the first of --across's (the report has every
    one), else the scenario's own or --world's."""
    from ..i18n import gettext as _

    shown = comp.worlds[0]
    if shown == "base":  # no --across assumption: the scenario's own world, or --world's
        return f"{world} (--world)" if world else _("the scenario's own")
    if len(comp.worlds) > 1:
        return _("{world}, the first of {n} (the report shows every world)").format(
            world=shown, n=len(comp.worlds)
        )
    return shown


def _print_comparison(comp, out, explain: bool = False, world=None, note: str = "") -> None:
    """The terminal's summary of a comparison, in the current language (a rule named after its
    scenario under the scenario's name in that language)."""
    from ..i18n import gettext as _
    from ..i18n import metric_name
    from ..report.numbers import diff_interval, num, pm
    from ..report.phrases import say
    from ..report.runs import renamed_rows, shown_names
    from ..report.summary import (
        all_alike,
        comparison_sentences,
        explain_lines,
        identical_metrics,
        not_simulated_sentence,
    )
    from ..scenario.loader import scenario_raw

    raw = {n: scenario_raw(s) for n, s in comp.scenarios.items()}
    names = shown_names(comp.rules, raw)
    rules = [names.get(r, r) for r in comp.rules]
    table = renamed_rows(comp.table, names)
    ref = rules[0]
    said = _("reference: {ref}; {n} other rule(s); world: {world}").format(
        ref=ref, n=len(rules) - 1, world=_shown_world(comp, world)
    )
    print(wrap(said, terminal_columns(), ""))
    for line in _mix_lines(comp.rules, names, raw):
        print(wrap(line, terminal_columns(), "  "))
    print()
    entries = [e for r in comp.results.values() for e in r.metadata.get("not_simulated") or []]
    left_out = not_simulated_sentence(entries)
    print_sentences(
        ([left_out] if left_out else [])
        + comparison_sentences(table, rules, comp.worlds, _reps(comp), _own_worlds(comp))
        + _grade_moves(comp, names, raw)
    )
    same = set(identical_metrics(table, ref))
    t = table[(table["world"] == comp.worlds[0]) & (table["direction"] != "")]
    alike = all_alike(table, same)  # every rule the same as the reference: nothing to show
    if not alike:
        print()
        print(_differences_header(comp))
        print(_("δ: the smallest difference that matters") + "\n")
    column = max(width(r) for r in rules[1:]) + 2
    for metric, group in t.groupby("metric", sort=False):
        # (a metric of the reference alone, or of the others alone: no difference to show)
        if metric in same or not (group["rule"] == ref).any() or len(group) < 2:
            continue
        base = group[group["rule"] == ref].iloc[0]
        head = _("{metric} ({better}; {ref}: {value}; δ {delta})").format(
            metric=metric_name(str(metric)),
            better=_("higher is better") if base["direction"] == "higher" else _("lower is better"),
            ref=ref,
            value=pm(base["mean"], base["se"]),
            delta=num(base.get("min_diff", float("nan")), digits=2),
        )
        print(wrap(head, terminal_columns(), "  "))
        for row in group[group["rule"] != ref].itertuples():
            interval = diff_interval(row.diff, row.diff_se, row.diff_low, row.diff_high)
            verdict = _(str(row.verdict)) if row.verdict else ""
            print(f"      {pad(str(row.rule), column)}{pad(interval, 34, True)}  {verdict}")
    if comp.robustness is not None and not alike:
        print()
        print_sentences([say("robust.head")])
        for metric, group in renamed_rows(comp.robustness, names).groupby("metric", sort=False):
            if metric in same:
                continue
            print(f"  {metric_name(str(metric))}")
            for r in group.itertuples():
                cell = say("robust.cell", rule=r.rule, worst=num(r.worst), regret=num(r.max_regret))
                print(f"      {cell}")
    print()
    if explain:
        print_sentences(explain_lines(list(dict.fromkeys(t["metric"]))))
    else:
        print_sentences([say("note.explain")])
    files = ComparisonFiles
    print()
    folder_line(out, (files.COMPARISON, files.METADATA, f"{files.RUNS}/"), note)
    next_report(out)


def _grade_moves(comp, names: dict[str, str], raw: dict[str, dict]) -> list[str]:
    """The report's sentences on grades that move (by 10 points, or by 3 points and a quarter of
    the band: ``comparison.BAND_SHIFT``), and what that means for
    the verdicts (:func:`perfsim.report.sections.comparison.grade_sentences`), for the first
    world's runs (``raw``: each rule's resolved scenario, as the caller read them)."""
    from ..report.sections.comparison import grade_sentences, reweighted

    world = comp.worlds[0]
    confusion = {names.get(r, r): comp.results[(world, r)].confusion for r in comp.rules}
    shown = [names.get(r, r) for r in comp.rules]
    scenarios = {names.get(r, r): scenario for r, scenario in raw.items()}
    return grade_sentences(shown, confusion, reweighted(shown, scenarios))


def _reps(comp) -> int:
    first = next(iter(comp.results.values()))
    return int(first.metadata["reps"])
