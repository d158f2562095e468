"""perfsim sensitivity: global sensitivity analysis of a scenario's uncertain inputs."""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path

from ..interrupts import is_interrupt
from ..results.names import FIGURES, SensitivityFiles
from .common import (
    KEPT,
    add_lang,
    add_set,
    add_world,
    folder_line,
    given,
    next_report,
    pad,
    positive,
    progress_bar,
    seed_number,
    stopped,
    width,
)

#: --uncertain's help
UNCERTAIN_HELP = (
    "TOML file (or bundled scenario name, e.g. hangzhou-2011-uncertain) with the [uncertain] "
    "table to use instead of the scenario's"
)
HELP = "Global sensitivity analysis (SALib) of a scenario's [uncertain] inputs; write a run folder."
EXAMPLES = """examples:
  perfsim sensitivity scenarios/teaching/sensitivity-demo.toml --method sobol --n 64 --reps 5
  perfsim sensitivity teaching/sensitivity-demo --method morris --n 20 --jobs 2 \\
      --bound "class_bias<8" --bound "gaming_share<0.1"
  perfsim sensitivity hangzhou-2011 --uncertain my-inputs.toml --method sobol --n 1024 --jobs 2
  perfsim sensitivity hangzhou-2011 --uncertain my-inputs.toml --scheduler tcp://10.0.0.5:8786
  perfsim sensitivity teaching/sensitivity-demo --out results/sa-demo --resume   # after a stop"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..experiments.sensitivity import (
        CHUNK_SIZE,
        CHUNKS_PER_WORKER,
        METHODS,
        SensitivityPlan,
        methods_help,
        sizes_help,
    )

    plan = SensitivityPlan()  # the defaults
    p.add_argument("scenario", help="scenario TOML file with [world] and [uncertain] (or a name)")
    add_world(p)
    p.add_argument(
        "--method",
        choices=METHODS,
        default=plan.method,
        help=f"{methods_help()} (default: {plan.method})",
    )
    p.add_argument("--n", type=int, help=sizes_help())
    p.add_argument(
        "--reps",
        type=int,
        default=plan.reps,
        help=f"replications per sample (default: {plan.reps})",
    )
    p.add_argument(
        "--seed",
        type=seed_number,
        default=plan.seed,
        help=f"random seed of the sample and of every run (default: {plan.seed})",
    )
    p.add_argument(
        "--jobs", type=int, default=plan.jobs, help=f"worker processes (default: {plan.jobs})"
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on a Dask cluster, e.g. tcp://10.0.0.5:8786, or 'local' for a LocalCluster of "
        "--jobs workers",
    )
    default = "results/sensitivity-<scenario>-<method>-seed<seed>"
    p.add_argument("--out", type=given, help=f"run folder (default: {default})")
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue an interrupted run in --out (finished chunks are kept; rerunning into the "
        "same folder does this too)",
    )
    p.add_argument(
        "--uncertain",
        metavar="FILE",
        help=UNCERTAIN_HELP,
    )
    p.add_argument(
        "--bound",
        action="append",
        default=[],
        metavar="EXPR",
        help='designer bound on a metric (repeatable), e.g. --bound "class_bias<5": report the '
        "ranges of the rule inputs that keep every bounded metric within bounds",
    )
    p.add_argument(
        "--metric",
        action="append",
        default=[],
        help="analyse only this metric (repeatable; default: every metric)",
    )
    p.add_argument(
        "--second-order", action="store_true", help="sobol: also second-order indices S2"
    )
    p.add_argument(
        "--chunk-size",
        type=int,
        help=f"samples per chunk file (default: automatic, ≥ {CHUNKS_PER_WORKER} chunks per worker "
        f"and ≤ {CHUNK_SIZE} samples each; a resumed run keeps its folder's)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    add_lang(p)
    add_set(p)


def handle(args: argparse.Namespace) -> int:
    from ..experiments.sensitivity import SensitivityPlan, default_out, run_sensitivity

    positive("reps", args.reps)
    positive("jobs", args.jobs)
    if args.chunk_size is not None:
        positive("chunk-size", args.chunk_size)
    if args.n is not None:
        positive("n", args.n)
    out = args.out or default_out(args.scenario, args.method, args.seed, args.world)
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = progress_bar(total, "samples", args.quiet)
            if bar is not None:
                bar.n = bar.initial = done  # resumed samples do not count towards the rate
                bar.refresh()
        else:
            bar.update(done - bar.n)

    try:
        plan = SensitivityPlan(
            method=args.method,
            n=args.n,
            reps=args.reps,
            seed=args.seed,
            second_order=args.second_order,
            metrics=args.metric or None,
            bounds=args.bound or None,
            jobs=args.jobs,
            scheduler=args.scheduler,
            chunk_size=args.chunk_size,
        )
        result = run_sensitivity(
            args.scenario,
            plan,
            uncertain=args.uncertain,
            overrides=args.overrides,
            world=args.world,
            out=out,
            resume=args.resume,
            progress=None if args.quiet else progress,
            estimate=None if args.quiet else functools.partial(_print_estimate, lang=args.lang),
        )
    except BaseException as exc:
        if is_interrupt(exc):  # (also Ctrl-C inside a compiled loop: perfsim.interrupts)
            chunks = Path(out) / SensitivityFiles.CHUNKS
            kept = len(list(chunks.glob("chunk-*"))) if chunks.is_dir() else 0
            stopped(KEPT[1 if kept == 1 else 2].format(count=kept, out=out), args.lang)
        raise
    finally:
        if bar is not None:
            bar.close()
    if not args.quiet:
        from ..i18n import language

        with language(args.lang):
            _print_sensitivity(result)
    return 0


def _print_estimate(seconds: float, workers: int, pilots=(), lang: str = "en") -> None:
    """``about 12 min on 2 workers`` (from timed pilot samples), before the samples run; and,
    when the pilots' costs differ more than three-fold, that a few slow samples can take most of
    the time (a Morris run of the Hangzhou inputs: pilots of 0.05 to 0.43 s, an estimate of 3 s,
    29 s taken)."""
    from ..i18n import gettext as _
    from ..i18n import language, ngettext

    with language(lang):
        time = (
            _("{n} min").format(n=f"{seconds / 60:.0f}")
            if seconds >= 90
            else f"{max(seconds, 1):.0f} s"
        )
        on = ngettext("{n} worker", "{n} workers", workers).format(n=workers)
        print(
            _(
                "about {time} on {workers} for the samples (timed on a few pilot samples: the "
                "samples' rules differ in cost, so take it as a rough guide), then the analysis "
                "and figures (usually 5 to 10 s more: the figures of many metrics take a few "
                "seconds)"
            ).format(time=time, workers=on),
            file=sys.stderr,
        )
        if len(pilots) > 1 and max(pilots) > 3 * min(pilots):
            print(
                _(
                    "  the pilot samples took {low} to {high} s each: the samples differ much in "
                    "cost, and a few slow ones can take most of the time (the progress bar's "
                    "estimate firms up as samples finish)"
                ).format(low=_seconds(min(pilots)), high=_seconds(max(pilots))),
                file=sys.stderr,
            )


def _seconds(seconds: float) -> str:
    """A pilot's seconds as a person reads them: 0.048, 0.43, 3.1, 150 (not 1.5e+02)."""
    return f"{seconds:.2g}" if seconds < 10 else f"{seconds:.0f}"


def _print_sensitivity(result) -> None:
    """The terminal's summary of an analysis, in the current language."""
    from ..experiments.discovery import region_summary
    from ..experiments.executors import executor_said
    from ..experiments.sensitivity import method
    from ..experiments.sensitivity.notes import said_again
    from ..i18n import current_language, metric_name, translated_name
    from ..i18n import gettext as _

    meta = result.metadata
    record = method(result.method)
    # the inputs' names in this language (their translations in the [uncertain] table)
    called = (meta.get("input_names") or {}).get(current_language()) or {}
    print(
        _(
            "{name}: {method}, {unit} = {n}, {runs} samples × {reps} replications, seed {seed}; "
            "{inputs} inputs, {metrics} metrics"
        ).format(
            name=translated_name((meta.get("resolved_scenario") or {}).get("meta"))
            or meta.get("scenario_name")
            or meta.get("scenario"),
            method=result.method,
            unit=record.unit,
            n=result.n,
            runs=meta["runs"],
            reps=meta["reps"],
            seed=meta["seed"],
            inputs=len(result.inputs),
            metrics=len(result.outputs),
        )
    )
    if meta.get("seconds_per_sample"):
        print(
            _("evaluated {n} samples ({ms} ms each) on {executor}").format(
                n=meta["evaluated_now"],
                ms=f"{1000 * meta['seconds_per_sample']:.0f}",
                executor=executor_said(str(meta["executor"])),
            )
        )
    print()
    print(
        _("most influential inputs per metric ({index} ± 95 % half-width):").format(
            index=_(record.main_label)
        )
    )
    names = {m: metric_name(m) for m in result.outputs}
    column = max((width(n) for n in names.values()), default=10) + 2
    loose = False  # (an index whose interval is wider than itself was shown)
    for metric in result.outputs:
        cells, wide = _leading(result.top(metric, 3), called, record.relative)
        print(f"  {pad(names[metric], column)}" + cells)
        loose |= wide
    if loose:
        print(
            "  "
            + _(
                "(?) the 95 % interval is wider than the index itself: not pinned down by these "
                "samples (raise --n)"
            )
        )
    if result.notes:
        print("\n" + _("notes:"))
        for note in result.notes:
            print(f"  - {said_again(note, called)}")
    if result.region is not None:
        print("\n" + _("rule-space region:"))
        r = result.region
        table = r.table
        if called and "input" in table:
            table = table.assign(input=table["input"].map(lambda x: called.get(x, x)))
        said = region_summary(table, r.bounds, r.good, r.total, r.good_in_box, r.in_box)
        for line in said.splitlines():
            print(f"  {line}")
    samples = next(result.out.glob(f"{SensitivityFiles.SAMPLES}.*")).name
    files = SensitivityFiles
    written = [files.INDICES, samples, files.CONVERGENCE, files.METADATA, f"{FIGURES}/"]
    if result.region is not None:
        written += [files.REGION_CSV, files.REGION_TXT]
    print()
    folder_line(result.out, written)
    next_report(result.out)


def _leading(top, called: dict, relative: bool = False) -> tuple[str, bool]:
    """A metric's leading inputs (``top``: their indices) as the terminal's table shows them,
    and whether one is marked ``(?)``: not yet reliable by the rule of the run's notes
    (:func:`~perfsim.experiments.sensitivity.analysis.too_wide`: an interval wider than the index
    and than 5 % of the scale, 1 or, ``relative``, the largest index; ``ST 2.21 ±5.1`` at a
    small N). An index of 0 is no influence, and one or a half-width of rounding against the
    largest is none either (``survey share 0 ±0``, ``±2.2e-14`` before)."""
    from ..experiments.sensitivity.analysis import too_wide
    from ..i18n import gettext as _
    from ..report.numbers import finite, rounding

    if not top["value"].notna().any():  # (undefined in the samples: no index to rank by)
        return _("no index (not defined in the samples)"), False
    scale = float(top["value"].abs().max())
    moved = top[[finite(v) and not rounding(v, scale) for v in top["value"]]]
    scale = scale if relative else 1.0
    wide = [
        finite(r.confidence) and too_wide(r.value, r.confidence, scale) for r in moved.itertuples()
    ]
    cells = " · ".join(
        f"{called.get(r.input, r.input)} {r.value:.3g} "
        f"±{0 if rounding(r.confidence, scale) else r.confidence:.2g}" + (" (?)" if loose else "")
        for r, loose in zip(moved.itertuples(), wide, strict=True)
    )
    return cells or _("no input moves it"), any(wide)
