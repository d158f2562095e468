"""The report of a sensitivity folder (:class:`perfsim.results.SensitivityRecord`): inputs, the
leading indices of every metric with their confidence, notes, the rule-space region, the figures
with captions that say how to read them, and how to reproduce the analysis."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ...experiments.discovery import region_summary
from ...experiments.sensitivity import method
from ...experiments.sensitivity.analysis import too_wide
from ...experiments.sensitivity.inputs import GIVEN_TABLE
from ...experiments.sensitivity.notes import said_again
from ...i18n import N_, current_language, join_sentences, metric_name
from ...i18n import gettext as _
from ...metric_registry import NUMERICAL_DIAGNOSTICS, better, metric_info
from ...plotting.style import SavedFigure
from ...results import SensitivityRecord
from ..document import Document, Table
from ..numbers import num, pct
from ..rerun import format_command, given_args, report_command, scenario_arg
from ..rules import term
from .run import add_not_simulated

__all__ = ["figure_text", "sensitivity_document"]

_FIGURES = {  # stem (or its ending) → title, caption; {main}: the main index, {method}
    "heatmap": (
        N_("Main index of each input for each metric"),
        N_(
            "The {main} index of each uncertain input for each metric (a row per metric when "
            "there are more metrics than inputs, else a row per input): the share "
            "of the metric's variance that the input explains, alone and through its "
            "interactions (μ* for Morris: relative to the metric's largest). Darker = more "
            "important. The shading stops at 1, the largest value possible; an estimate outside "
            "0–1 (possible only through sampling error at this N) is outlined and its number "
            "shown as estimated."
        ),
    ),
    "-indices": (
        N_("Indices with 95 % intervals, per metric"),
        N_(
            "For each metric, each input's first-order index (its effect alone) beside its "
            "{main} index (with interactions), with 95 % bootstrap intervals. An index whose "
            "interval includes 0 or is wider than the index itself is not yet reliable: increase "
            "N."
        ),
    ),
    "morris-mu-sigma": (
        N_("Morris screening: importance against non-linearity"),
        N_(
            "For each metric, each input's μ* (mean absolute elementary effect: its importance) "
            "against σ (their spread: non-linearity or interaction with other inputs), with the "
            "95 % interval of μ*. Inputs near the origin can be fixed at any value in their range."
        ),
    ),
}


#: the heatmap of a method whose index has no scale of its own (Morris: shown relative)
_RELATIVE_HEATMAP = N_(
    "The {main} of each uncertain input for each metric, divided by the largest {main} of that "
    "metric (a row per metric when there are more metrics than inputs, else a row per input): 1 "
    "is the input that moves the metric most. μ* is the mean absolute change of the metric when "
    "the input moves across its range, not a share of its variance. Darker = more important."
)


def figure_text(stem: str, meta: Mapping) -> tuple[str, str]:
    """Title and caption of a sensitivity figure in the current language."""
    fill = {"main": meta.get("main_index") or "ST", "method": meta.get("method", "")}
    if stem == "heatmap" and _relative(str(meta.get("method", ""))):
        return _(_FIGURES["heatmap"][0]).format(**fill), _(_RELATIVE_HEATMAP).format(**fill)
    for key, (title, caption) in _FIGURES.items():
        if stem == key or (key.startswith("-") and stem.endswith(key)):
            return _(title).format(**fill), _(caption).format(**fill)
    return stem.replace("-", " "), ""


def _relative(name: str) -> bool:
    """Whether the method's heatmap shows its index relative to each metric's largest."""
    from ...experiments.sensitivity import method

    try:
        return bool(method(name).relative)
    except Exception:  # noqa: BLE001 - a folder of a method this version does not know
        return False


def _spread(inp: Mapping) -> str:
    """An uncertain input's range or distribution in words."""
    kind = str(inp.get("kind", ""))
    if kind == "choice":
        return _("choices: {values}").format(values=_(", ").join(map(term, inp["choices"])))
    said = term(kind)  # (uniform, normal …: glossed as the rule language's code words are)
    if "low" in inp:
        return f"{said} [{num(inp['low'])}, {num(inp['high'])}]"
    params = (f"{k} {num(v)}" for k, v in inp.items() if k not in ("name", "path", "kind"))
    return said + " " + _(", ").join(params)


def _inputs_section(doc: Document, meta: Mapping) -> None:
    doc.add("h2", _("Uncertain inputs"), "inputs")
    rows = [
        [str(inp.get("name", "")), str(inp.get("path", "")), _spread(inp)]
        for inp in meta.get("inputs", [])
    ]
    if rows:
        header = [_("input"), _("scenario key"), _("range or distribution")]
        caption = _("Each input is drawn independently from its range or distribution.")
        doc.add("table", Table(header, rows, None, caption))


def _indices_section(doc: Document, record: SensitivityRecord) -> None:
    indices, main = record.indices, record.main_index
    doc.add("h2", _("Which inputs matter ({main})").format(main=main), "indices")
    doc.add(
        "p",
        _(
            "For each metric the three inputs with the largest {main}, with its 95 % confidence "
            "half-width. Indices whose interval is wider than the index are not yet reliable."
        ).format(main=main),
    )
    rows, solver = [], []
    for metric, group in indices[indices["index"] == main].groupby("metric", sort=False):
        top = group.sort_values("value", ascending=False).head(3)
        cells = [
            _("{input}: {value} ± {half}").format(
                input=r.input, value=num(r.value, 3), half=num(r.confidence, 3)
            )
            for r in top.itertuples()
        ]
        row = [metric_name(str(metric)), *cells, *[""] * (3 - len(cells))]
        (solver if metric in NUMERICAL_DIAGNOSTICS else rows).append(row)
    header = [_("metric"), _("first"), _("second"), _("third")]
    doc.add("table", Table(header, rows))
    if solver:  # how the best response settled: not an outcome of the rule
        doc.add(
            "p",
            _(
                "How the departments' best responses settled (numerical diagnostics, not outcomes "
                "of the rule):"
            ),
        )
        doc.add("table", Table(header, solver))


#: what a metric counted over the units given the top or the bottom grade also says
_GRADED = {
    "top": N_(
        "It also moves when a rule gives the top grade to more or fewer units, whatever their "
        "scores: read it with the share of units in that grade."
    ),
    "bottom": N_(
        "It also moves when a rule gives the bottom grade to more or fewer units, whatever their "
        "scores: read it with the share of units in that grade."
    ),
    "bottom_missed": N_(
        "It also moves when a rule gives the bottom grade to more or fewer units, whatever their "
        "scores (a rule that fails most units lets no weak unit escape): read it with the share "
        "of units in that grade."
    ),
}

#: an index below this explains too little of a metric's variance to name one input as its driver
_WEAK = 0.1
#: a rank correlation below this in size: the input's effect has no clear direction
_FLAT = 0.1


def _in_short_section(doc: Document, record: SensitivityRecord) -> None:
    """ "In short": for each outcome metric with a better side, the input that drives it most and
    the direction of its effect, read from the samples (rank correlation for a number, the mean
    per choice for a choice), in plain words."""
    samples, main = record.samples, record.main_index
    if samples is None or not len(record.indices):
        return
    kinds = {str(i.get("name")): i.get("kind") for i in record.metadata.get("inputs", [])}
    table = record.indices[record.indices["index"] == main]
    items, loose = [], 0  # loose: findings whose leading index is not yet reliable
    relative = method(str(record.metadata.get("method", "sobol"))).relative
    for metric, group in table.groupby("metric", sort=False):
        metric = str(metric)
        side = better(metric)
        if not side or metric in NUMERICAL_DIAGNOSTICS or metric not in samples:
            continue
        top = group.sort_values("value", ascending=False).iloc[0]
        scale = group["value"].abs().max() if relative else 1.0  # (as the notes judge them)
        loose += top.value >= _WEAK and too_wide(top.value, top.confidence, scale)
        said = _driver_sentence(samples, metric, side, top, main, kinds.get(top.input))
        band = getattr(metric_info(metric), "graded_band", "")
        if band:  # better for giving the grade to more (or fewer) units, whatever the scores
            said = join_sentences([said, _(_GRADED.get(metric, _GRADED[band]))])
        items.append(said)
    if items:
        doc.add("h2", _("In short"), "in-short")
        if loose:  # (the notes say it of the indices; the findings rest on them)
            caveat = _(
                "{loose} of these {count} findings rest on an index whose 95 % interval is wider "
                "than the index: read them as a first screening, and raise n before relying on "
                "them (see the notes below)."
            )
            doc.add("summary", caveat.format(loose=loose, count=len(items)))
        doc.add("ul", items)


def _convergence_warning(record: SensitivityRecord) -> str:
    """A warning, in the report's language, when some samples' best responses did not settle in
    every replication (the samples table's ``converged_share``); ``""`` otherwise."""
    samples = record.samples
    if samples is None or "converged_share" not in samples:
        return ""
    share = pd.to_numeric(samples["converged_share"], errors="coerce")
    bad = int((share < 1).sum())
    if not bad:
        return ""
    return _(
        "Warning: at {bad} of {n} samples the departments' best responses did not settle in every "
        "replication ({share} of the replications settled); those samples' outputs are not "
        "equilibria, and the statements below lean on them (the samples table's converged_share "
        "column shows which; when more iterations do not help, read 'When the best response does "
        "not settle' in the scenario guide, scenarios/README.md)."
    ).format(bad=bad, n=len(share), share=pct(float(share.mean())))


def _driver_sentence(samples, metric: str, side: str, top, main: str, kind) -> str:
    name, value, half = str(top.input), float(top.value), float(top.confidence)
    index = f"{main} {num(value, 2)} ± {num(half, 2)}"
    if value < _WEAK:
        return _(
            "{metric}: no input drives it much (the largest {main} is {value}, {input})."
        ).format(metric=metric_name(metric), main=main, value=num(value, 2), input=name)
    lead = _("{metric} depends most on {input} ({index})").format(
        metric=metric_name(metric), input=name, index=index
    )
    unsure = _(" — not yet reliable at this N") if half > value else ""
    if name not in samples:  # a group of inputs: no one column to read the direction from
        return lead + unsure + "."
    x, y = samples[name], pd.to_numeric(samples[metric], errors="coerce")
    if kind == "choice" or not pd.api.types.is_numeric_dtype(x):
        means = y.groupby(x.astype(str)).mean().dropna()
        if len(means) < 2:
            return lead + unsure + "."
        best = means.idxmax() if side == "higher" else means.idxmin()
        others = _(", ").join(f"{term(k)} {num(v, 3)}" for k, v in means.items() if k != best)
        return (
            lead
            + unsure
            + _(": {best} gives the best {metric} on average ({mean}; {others}).").format(
                best=term(best), metric=metric_name(metric), mean=num(means[best], 3), others=others
            )
        )
    rho = float(x.rank().corr(y.rank()))
    signed = f"{rho:+.2f}".replace("-", "−")
    if not np.isfinite(rho) or abs(rho) < _FLAT:
        return (
            lead
            + unsure
            + _(
                ", in no single direction (rank correlation {rho}: its effect turns or depends on the other inputs)."
            ).format(rho=signed)
        )
    up = rho > 0
    good = up == (side == "higher")
    text = (
        _(": the higher the {input}, the higher {metric}")
        if up
        else _(": the higher the {input}, the lower {metric}")
    ).format(input=name, metric=metric_name(metric))
    verdict = _("which is better") if good else _("which is worse")
    return (
        lead
        + unsure
        + text
        + _(" ({verdict}; rank correlation {rho}).").format(verdict=verdict, rho=signed)
    )


def rerun_args(meta: Mapping, folder: Path | None) -> list[str]:
    """The ``perfsim sensitivity`` command line that the recorded settings give."""
    args = ["perfsim", "sensitivity", scenario_arg(meta.get("scenario")), *given_args(meta)]
    args += ["--method", str(meta.get("method")), "--n", str(meta.get("n_requested") or meta["n"])]
    args += ["--reps", str(meta.get("reps")), "--seed", str(meta.get("seed"))]
    source = meta.get("uncertain_source")  # a file, a bundled name, or a mapping's label
    if source and source not in (meta.get("scenario"), GIVEN_TABLE):
        args += ["--uncertain", scenario_arg(source)]
    for metric, bound in (meta.get("bounds") or {}).items():
        text = "".join(map(str, bound)) if isinstance(bound, list | tuple) else str(bound)
        args += ["--bound", f"{metric}{text}"]
    if meta.get("second_order"):
        args.append("--second-order")
    if folder is not None:
        args += ["--out", str(folder)]
    return args


def _reproducibility_section(doc: Document, record: SensitivityRecord) -> None:
    from ... import __version__

    meta = record.metadata
    doc.add("h2", _("Reproducibility"), "reproducibility")
    rows = [
        [_("perfsim version of the analysis"), str(meta.get("perfsim_version", "—"))],
        [_("perfsim version of this report"), __version__],
        [_("method"), str(meta.get("method", "—"))],
        [_("N (base samples)"), str(meta.get("n", "—"))],
        [_("replications per sample"), str(meta.get("reps", "—"))],
        [_("seed"), str(meta.get("seed", "—"))],
        [_("scenario file"), str(meta.get("scenario", "—"))],
        [_("uncertain inputs from"), str(meta.get("uncertain_source", "—"))],
        [_("hash of the analysis (SHA-256)"), str(meta.get("hash", "—"))],
        [_("started / finished"), f"{meta.get('started', '—')} / {meta.get('finished', '—')}"],
    ]
    doc.add("table", Table([_("item"), _("value")], rows, None, "", "repro"))
    doc.add(
        "p",
        _(
            "To rerun (from the folder where the analysis was made; same seed ⇒ same numbers, "
            "whatever the number of --jobs):"
        ),
    )
    command = format_command(rerun_args(meta, record.path))
    report = report_command(record.path or ".")
    doc.add("pre", command + "\n" + report)


def _region_text(record: SensitivityRecord) -> str:
    """The region as the run wrote it (``region.txt``, English), said again in the report's
    language from ``region.csv``, the bounds and the counts when the folder has them."""
    meta, table = record.metadata, record.region_table
    counts = meta.get("region")
    if current_language() == "en" or table is None or not counts or not meta.get("bounds"):
        return str(record.region)
    bounds = {m: (op, v) for m, (op, v) in meta["bounds"].items()}
    return region_summary(
        table, bounds, counts["good"], counts["total"], counts["good_in_box"], counts["in_box"]
    )


def sensitivity_document(record: SensitivityRecord) -> Document:
    """The report of a sensitivity folder (``perfsim sensitivity``)."""
    meta = record.metadata
    name = meta.get("scenario_name") or meta.get("scenario") or "model"
    doc = Document(title=_("perfsim sensitivity analysis: {name}").format(name=name))
    doc.add("h1", doc.title)
    doc.add(
        "subtitle",
        _(
            "{method} (N = {n}, {reps} replications per sample, seed {seed}); finished {finished}."
        ).format(
            method=meta["method"],
            n=meta["n"],
            reps=meta.get("reps", ""),
            seed=meta["seed"],
            finished=meta.get("finished", ""),
        ),
    )
    unsettled = _convergence_warning(record)
    if unsettled:  # before the statements it qualifies, where it stands out
        doc.add("summary", unsettled)
    _in_short_section(doc, record)
    _inputs_section(doc, meta)
    _indices_section(doc, record)
    if meta.get("notes"):
        doc.add("h2", _("Notes"), "notes")
        doc.add("p", _("Notes recorded by the analysis when it ran:"))
        names = (meta.get("input_names") or {}).get(current_language())
        doc.add("ul", [said_again(str(n), names) for n in meta["notes"]])
    add_not_simulated(doc, meta.get("not_simulated") or [], "h2")
    if record.region is not None:
        doc.add("h2", _("Rule-space region that meets the bounds"), "region")
        doc.add("pre", _region_text(record))
    if record.figures:
        doc.add("h2", _("Figures"), "figures")
        for png in record.figures:
            title, caption = figure_text(png.stem, meta)
            svg = png.with_suffix(".svg")
            doc.add("figure", SavedFigure(png.stem, title, caption, title, png, svg))
    _reproducibility_section(doc, record)
    return doc
