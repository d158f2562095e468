"""The report of an optimisation folder (:class:`perfsim.results.OptimizationRecord`): what was
searched, the trade-off in words, the reference rule's position and the nearest Pareto rule to it,
the Pareto rules, the recommended rules (ready-to-use scenario files) each compared with the
reference, the figures, and how to reproduce the search."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ...experiments.optimize.front import nearest_said
from ...experiments.optimize.output import metric_list, said_again, verdict_metrics
from ...i18n import N_, metric_name
from ...i18n import gettext as _
from ...plotting.style import SavedFigure
from ...results import OptimizationRecord
from ..document import Document, Table
from ..numbers import num, pm, pm_parts
from ..rerun import format_command, given_args, report_command, scenario_arg

__all__ = ["optimization_document", "recommended_label", "rerun_args"]


def _lever_text(lever: Mapping) -> str:
    if lever.get("kind") == "choice":
        return ", ".join(map(str, lever.get("choices", [])))
    text = f"{num(lever['low'])} – {num(lever['high'])}"
    return text + (" " + _("(whole numbers)") if lever.get("integer") else "")


#: how the objectives were summarised across worlds (``--robustness``), as the report says it
_ROBUSTNESS = {"worst": N_("worst"), "mean": N_("mean"), "regret": N_("regret")}


def recommended_label(name: str) -> str:
    """A recommended rule as the report's table names it: its file stem in English
    (``nearest``, ``balanced``, ``best-<metric>``), in another language what the stem says."""
    if name in ("nearest", "balanced"):
        return _({"nearest": N_("nearest"), "balanced": N_("balanced")}[name])
    if name.startswith("best-"):
        return _("best-{metric}").format(metric=metric_name(name[len("best-") :]))
    return name


def _searched_section(doc: Document, meta: Mapping) -> None:
    doc.add("h2", _("What was searched"), "searched")
    rows = [[lv["path"], _lever_text(lv)] for lv in meta.get("levers", [])]
    doc.add("table", Table([_("lever"), _("range or choices")], rows))
    goals = {"min": _("lower is better"), "max": _("higher is better")}
    items = [f"{metric_name(o['metric'])}: {goals[o['goal']]}" for o in meta["objectives"]]
    items += [_("constraint in every world: {c}").format(c=c) for c in meta.get("constraints", [])]
    doc.add("ul", items)
    doc.add(
        "p",
        _(
            "{evaluated} rules evaluated ({generations} generations of NSGA-II/III), each with "
            "{reps} replications in each of {worlds} world(s) ({robustness} across worlds); the "
            "front was re-evaluated with {final} replications on a fresh seed. {rule}."
        ).format(
            evaluated=meta.get("evaluated"),
            generations=meta.get("generations"),
            reps=meta.get("reps"),
            worlds=len(meta.get("worlds") or []),
            robustness=_(_ROBUSTNESS.get(str(meta.get("robustness")), str(meta.get("robustness")))),
            final=meta.get("final_reps"),
            rule=_(
                "Noisy dominance: a rule dominates another only if it is better by more than "
                "{z} paired standard errors in one objective and not worse by more than {z} in "
                "any"
            ).format(z=2),
        ),
    )
    if len(meta.get("worlds") or []) > 1:
        doc.add("ul", [str(w) for w in meta["worlds"]])
    if meta.get("notes"):
        doc.add("p", _("Notes of the run:"))
        doc.add("ul", [said_again(str(n)) for n in meta["notes"]])


def trade_off_sentences(record: OptimizationRecord) -> list[str]:
    """The trade-off in words: for each objective, its best Pareto rule and what that rule gives
    in the other objectives."""
    front, objs = record.pareto, [o["metric"] for o in record.metadata["objectives"]]
    goals = {o["metric"]: o["goal"] for o in record.metadata["objectives"]}
    out = []
    for metric in objs:
        col = front[metric]
        row = front.loc[col.idxmin() if goals[metric] == "min" else col.idxmax()]
        others = _(", ").join(
            _("{metric} {value}").format(metric=metric_name(m), value=num(row[m], digits=3))
            for m in objs
            if m != metric
        )
        text = _("The Pareto rule best in {metric} reaches {value} ± {se}").format(
            metric=metric_name(metric), **_value_and_se(row[metric], row[f"{metric}_se"])
        )
        out.append(text + (_(", at {others}").format(others=others) if others else "") + _("."))
    return out


def _value_and_se(value, se) -> dict[str, str]:
    text, error = pm_parts(value, se)
    return {"value": text, "se": error or "–"}


def _reference_section(doc: Document, meta: Mapping) -> None:
    ref, near = meta.get("reference", {}), meta.get("nearest") or {}
    doc.add("h2", _("The reference rule and the nearest Pareto rule"), "reference")
    values = ", ".join(
        f"{metric_name(m)} {pm(v, ref.get('se', {}).get(m))}"
        for m, v in ref.get("objectives", {}).items()
    )
    doc.add("p", _("The reference rule (the scenario as given): {values}.").format(values=values))
    doc.add(
        "p",
        _("{n} Pareto rule(s) are better than the reference beyond noise.").format(
            n=ref.get("dominated_by", 0)
        ),
    )
    if near:
        lead = (
            _("Nearest Pareto-better rule")
            if near.get("pareto_better")
            else _("Nearest Pareto rule (not better in every objective)")
        )
        doc.add("p", _("{lead}: {text}").format(lead=lead, text=nearest_said(near, metric_name)))


def _pareto_section(doc: Document, record: OptimizationRecord) -> None:
    doc.add("h2", _("Pareto rules"), "pareto")
    levers = [lv["path"] for lv in record.metadata.get("levers", [])]
    objs = [o["metric"] for o in record.metadata["objectives"]]
    rows = []
    for _i, r in record.pareto.iterrows():
        cells = [num(r[p], 3) if isinstance(r[p], float) else str(r[p]) for p in levers]
        cells += [pm(r[m], r[f"{m}_se"]) for m in objs]
        rows.append(cells)
    doc.add("table", Table(levers + [metric_name(m) for m in objs], rows))


def _recommended_section(doc: Document, record: OptimizationRecord) -> None:
    meta, table = record.metadata, record.recommended
    doc.add("h2", _("Recommended rules"), "recommended")
    doc.add(
        "p",
        _(
            "Each recommended rule is a ready-to-use scenario file in the folder; the verdicts "
            "compare it with the reference on the re-evaluation's replications (paired, as "
            "perfsim compare does)."
        ),
    )
    rows, where = [], _(" ({k} of {n} worlds)")
    for rec in meta.get("recommended", []):
        found = verdict_metrics(table, rec["name"])
        cells = [metric_list(found[key], metric_name, where) for key in ("better", "worse")]
        rows.append([recommended_label(rec["name"]), rec["file"], *cells])
    header = [_("rule"), _("file"), _("better than the reference"), _("worse than the reference")]
    doc.add("table", Table(header, rows))


def rerun_args(meta: Mapping, folder: Path | None) -> list[str]:
    """The ``perfsim optimize`` command line that the recorded settings give."""
    args = ["perfsim", "optimize", scenario_arg(meta.get("scenario")), *given_args(meta)]
    for lever in meta.get("levers", []):
        if lever.get("kind") == "choice":
            spec = ",".join(map(str, lever["choices"]))
        else:
            spec = f"{lever['low']}:{lever['high']}" + (":int" if lever.get("integer") else "")
        args += ["--lever", f"{lever['path']}={spec}"]
    for o in meta.get("objectives", []):
        args += ["--objective", f"{o['metric']}:{o['goal']}"]
    for c in meta.get("constraints", []):
        args += ["--constraint", c]
    for world in meta.get("across_given", []):
        args += ["--across", world]
    args += ["--robustness", str(meta.get("robustness")), "--budget", str(meta.get("budget"))]
    args += ["--reps", str(meta.get("reps")), "--final-reps", str(meta.get("final_reps"))]
    args += ["--seed", str(meta.get("seed"))]
    if folder is not None:
        args += ["--out", str(folder)]
    return args


def optimization_document(record: OptimizationRecord, figures: Mapping[str, Path]) -> Document:
    """The report of an optimisation folder (``perfsim optimize``)."""
    meta = record.metadata
    name = meta.get("scenario_name") or meta.get("scenario") or "scenario"
    doc = Document(title=_("perfsim optimisation: {name}").format(name=name))
    doc.add("h1", doc.title)
    doc.add("subtitle", _("Finished {finished}.").format(finished=meta.get("finished", "")))
    _searched_section(doc, meta)
    doc.add("h2", _("The trade-off"), "trade-off")
    doc.add("ul", trade_off_sentences(record))
    _reference_section(doc, meta)
    _pareto_section(doc, record)
    _recommended_section(doc, record)
    captions = {
        "pareto-front": (
            _("Pareto front, two objectives at a time"),
            _(
                "Grey: every rule the search evaluated; circles: the Pareto rules after "
                "re-evaluation; star: the reference rule."
            ),
        ),
        "parallel-coordinates": (
            _("Pareto rules: levers and objectives"),
            _(
                "One line per Pareto rule; each axis runs between the values printed at its ends, "
                "objectives turned so that up is better; dashed: the reference rule."
            ),
        ),
    }
    if figures:
        doc.add("h2", _("Figures"), "figures")
        for stem, png in figures.items():
            title, caption = captions.get(stem, (stem, ""))
            doc.add(
                "figure", SavedFigure(stem, title, caption, title, png, png.with_suffix(".svg"))
            )
    doc.add("h2", _("Reproducibility"), "reproducibility")
    doc.add(
        "pre",
        format_command(rerun_args(meta, record.path)) + "\n" + report_command(record.path or "."),
    )
    return doc
