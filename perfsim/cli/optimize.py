"""perfsim optimize: robust multi-objective search for the best evaluation rules."""

from __future__ import annotations

import argparse

from ..interrupts import is_interrupt
from ..results.names import OptimizationFiles
from .common import (
    KEPT,
    add_lang,
    add_set,
    add_world,
    default_out,
    given,
    next_report,
    positive,
    progress_bar,
    run_stem,
    seed_number,
    stopped,
)

HELP = "Search the rules spanned by --lever for the best trade-offs between --objective metrics."
EXAMPLES = """examples:
  perfsim optimize theory/v6-distortion --lever rule.pay.per_point=0:2 --objective welfare_loss
  perfsim optimize hangzhou-2011 --lever rule.components.社会评价.share=0.3:0.6 \\
      --lever rule.grading.quota.优秀=0.1:0.3 --objective kendall_tau --objective gaming_share \\
      --objective class_bias --constraint "gaming_share<0.02" \\
      --across world.indicators.公共服务.gameability=0.5,2 --robustness worst --budget 200 --jobs 2
  perfsim optimize hangzhou-2011 ... --out results/opt-hz --resume   # after a stop"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    import inspect

    from ..experiments.optimize import optimize
    from ..experiments.optimize.levers import ROBUSTNESS

    defaults = {k: v.default for k, v in inspect.signature(optimize).parameters.items()}
    p.add_argument("scenario", help="scenario TOML file with a [world] (or a bundled name)")
    add_world(p)
    p.add_argument(
        "--lever",
        action="append",
        default=[],
        metavar="PATH=LO:HI|PATH=LO:HI:int|PATH=A,B",
        help="a rule setting the search may change (repeatable): a range, whole numbers, or "
        "choices; shares and weights of one group stay summing to 1",
    )
    p.add_argument(
        "--objective",
        action="append",
        default=[],
        metavar="METRIC[:min|:max]",
        help="a metric to optimise (repeatable; its better side from the metric registry unless "
        ":min or :max is given)",
    )
    p.add_argument(
        "--constraint",
        action="append",
        default=[],
        metavar="METRIC<VALUE",
        help="a bound that must hold in every world (repeatable), e.g. gaming_share<0.02",
    )
    p.add_argument(
        "--across",
        action="append",
        default=[],
        metavar="PATH=V1,V2",
        help="an assumption to be robust to (repeatable; every combination is a world)",
    )
    p.add_argument(
        "--robustness",
        choices=ROBUSTNESS,
        default=defaults["robustness"],
        help="objective across worlds: the worst world, the mean, or the largest regret against "
        f"the best rule found (default: {defaults['robustness']})",
    )
    p.add_argument(
        "--budget",
        type=int,
        default=defaults["budget"],
        help=f"candidate rules the search evaluates (default: {defaults['budget']})",
    )
    p.add_argument(
        "--reps",
        type=int,
        default=defaults["reps"],
        help=f"replications per candidate and world (default: {defaults['reps']})",
    )
    p.add_argument(
        "--final-reps",
        type=int,
        help="replications of the re-evaluated front (default: 4 × --reps)",
    )
    p.add_argument("--seed", type=seed_number, default=defaults["seed"], help="random seed")
    p.add_argument("--jobs", type=int, default=defaults["jobs"], help="worker processes")
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on a Dask cluster (tcp://host:8786), or 'local' for a LocalCluster of --jobs",
    )
    p.add_argument(
        "--out", type=given, help="folder (default: results/optimize-<scenario>-seed<seed>)"
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue a stopped run in --out (rerunning into the same folder does this too)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    add_lang(p)
    add_set(p)


def handle(args: argparse.Namespace) -> int:
    from ..experiments.optimize import optimize

    positive("jobs", args.jobs)  # (--budget and --reps: their own least values, in optimize)
    out = args.out or default_out(
        f"optimize-{run_stem(args.scenario, args.world)}", args.overrides, args.seed
    )
    bars: dict[str, object] = {}
    from ..i18n import gettext as _
    from ..i18n import language

    with language(args.lang):  # the bars' labels in the summary's language
        stages = {"search": _("search"), "front": _("re-evaluating the front"), "unit": _("rules")}

    def follow(stage: str, unit: str):
        """A progress callback drawing the bar of ``stage`` (the search's closed when the front's
        re-evaluation starts)."""

        def progress(done: int, total: int) -> None:
            if stage not in bars:
                for other in bars.values():
                    other.close()
                bars[stage] = progress_bar(total, unit, args.quiet, desc=stage)
            bars[stage].update(done - bars[stage].n)

        return progress

    try:
        result = optimize(
            args.scenario,
            levers=args.lever,
            objectives=args.objective,
            constraints=args.constraint,
            across=args.across,
            robustness=args.robustness,
            budget=args.budget,
            reps=args.reps,
            final_reps=args.final_reps,
            seed=args.seed,
            jobs=args.jobs,
            scheduler=args.scheduler,
            overrides=args.overrides,
            world=args.world,
            out=out,
            resume=args.resume,
            progress=None if args.quiet else follow(stages["search"], stages["unit"]),
            front_progress=None if args.quiet else follow(stages["front"], stages["unit"]),
        )
    except BaseException as exc:
        if is_interrupt(exc):  # (also Ctrl-C inside a compiled loop: perfsim.interrupts)
            stopped(KEPT[0].format(out=out), args.lang)
        raise
    finally:
        for bar in bars.values():
            bar.close()
    if not args.quiet:
        with language(args.lang):
            _print(result)
    return 0


def _print(result) -> None:
    """The terminal's summary of a search, in the current language."""
    from ..experiments.optimize.front import nearest_said
    from ..experiments.optimize.output import metric_list, said_again, verdict_metrics
    from ..i18n import gettext as _
    from ..i18n import metric_name
    from ..report.numbers import rounding

    meta, names = result.metadata, OptimizationFiles
    print(
        _(
            "{name}: {evaluated} rules evaluated in {generations} generations × {worlds} "
            "world(s), {reps} replications each; front re-evaluated with {final}"
        ).format(
            name=meta.get("scenario_name") or meta["scenario"],
            evaluated=meta["evaluated"],
            generations=meta["generations"],
            worlds=len(meta["worlds"]),
            reps=meta["reps"],
            final=meta["final_reps"],
        )
    )
    print("\n" + _("Pareto rules ({n}):").format(n=len(result.pareto)))
    columns = [lv["path"] for lv in meta["levers"]]
    for o in meta["objectives"]:
        columns += [o["metric"], f"{o['metric']}_se"]
    shown = result.pareto[columns].copy()
    for o in meta["objectives"]:  # a standard error of rounding (3e-18 beside 0.11) is 0
        pairs = zip(shown[f"{o['metric']}_se"], shown[o["metric"]], strict=True)
        shown[f"{o['metric']}_se"] = [0.0 if rounding(e, v) else e for e, v in pairs]
    print(shown.to_string(index=False, max_colwidth=40, float_format="{:.4g}".format))
    near = meta.get("nearest") or {}
    if near:
        lead = (
            _("Pareto-better rule nearest the reference: {sentence}")
            if near["pareto_better"]
            else _(
                "no rule found is better than the reference in every objective beyond noise; the "
                "front's rule nearest the reference: {sentence}"
            )
        )
        print("\n" + lead.format(sentence=nearest_said(near, metric_name)))
        worse = verdict_metrics(result.recommended, "nearest")["worse"]
        if worse:
            listed = metric_list(worse, metric_name, _(" ({k} of {n} worlds)"))
            print(
                _("  it is worse than the reference in: {metrics} ({file})").format(
                    metrics=listed, file=names.RECOMMENDED
                )
            )
    for note in result.notes:
        print(_("note: {note}").format(note=said_again(note)))
    files = (names.PARETO, f"{names.EVALUATIONS}.*", names.RECOMMENDED, f"{names.RULES}/")
    print(
        "\n"
        + _("folder: {out} ({files})").format(
            out=result.out, files=_(", ").join([*files, names.METADATA])
        )
    )
    next_report(result.out)
