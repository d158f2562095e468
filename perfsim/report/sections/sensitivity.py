"""The report of a sensitivity folder (:class:`perfsim.results.SensitivityRecord`): inputs, the
leading indices of every metric with their confidence, notes, the rule-space region, the figures."""

from __future__ import annotations

import json
from collections.abc import Mapping

from ...plotting.style import SavedFigure
from ...results import SensitivityRecord
from ..document import Document, Table
from ..numbers import num

__all__ = ["sensitivity_document"]

_REPRODUCE = (
    "perfsim_version",
    "method",
    "n",
    "seed",
    "reps",
    "scenario",
    "uncertain_source",
    "hash",
)


def _spread(inp: Mapping) -> str:
    """An uncertain input's range or distribution in words."""
    if inp.get("kind") == "choice":
        return "choices: " + ", ".join(map(str, inp["choices"]))
    if "low" in inp:
        return f"{inp['kind']} [{num(inp['low'])}, {num(inp['high'])}]"
    params = (f"{k} {num(v)}" for k, v in inp.items() if k not in ("name", "path", "kind"))
    return inp.get("kind", "") + " " + ", ".join(params)


def _inputs_section(doc: Document, meta: Mapping) -> None:
    doc.add("h2", "Uncertain inputs", "inputs")
    rows = [
        [str(inp.get("name", "")), str(inp.get("path", "")), _spread(inp)]
        for inp in meta.get("inputs", [])
    ]
    if rows:
        doc.add("table", Table(["input", "scenario key", "range or distribution"], rows))


def _indices_section(doc: Document, record: SensitivityRecord) -> None:
    indices, main = record.indices, record.main_index
    doc.add("h2", f"Which inputs matter ({main})", "indices")
    doc.add(
        "p",
        f"For each metric the three inputs with the largest {main}, with its 95 % confidence "
        "half-width. Indices whose interval is wider than the index are not yet reliable.",
    )
    rows = []
    for metric, group in indices[indices["index"] == main].groupby("metric", sort=False):
        top = group.sort_values("value", ascending=False).head(3)
        cells = [f"{r.input}: {num(r.value, 3)} ± {num(r.confidence, 3)}" for r in top.itertuples()]
        rows.append([str(metric), *cells, *[""] * (3 - len(cells))])
    doc.add("table", Table(["metric", "first", "second", "third"], rows))


def sensitivity_document(record: SensitivityRecord) -> Document:
    """The report of a sensitivity folder (``perfsim sensitivity``)."""
    meta = record.metadata
    name = meta.get("scenario_name") or meta.get("scenario") or "model"
    doc = Document(title=f"perfsim sensitivity analysis: {name}")
    doc.add("h1", doc.title)
    doc.add(
        "subtitle",
        f"{meta['method']} (N = {meta['n']}, {meta.get('reps', '')} replications per "
        f"sample, seed {meta['seed']}); finished {meta.get('finished', '')}.",
    )
    _inputs_section(doc, meta)
    _indices_section(doc, record)
    if meta.get("notes"):
        doc.add("h2", "Notes", "notes")
        doc.add("ul", [str(n) for n in meta["notes"]])
    if record.region is not None:
        doc.add("h2", "Rule-space region that meets the bounds", "region")
        doc.add("pre", record.region)
    if record.figures:
        doc.add("h2", "Figures", "figures")
        for png in record.figures:
            title = png.stem.replace("-", " ")
            svg = png.with_suffix(".svg")
            doc.add("figure", SavedFigure(png.stem, title, "", title, png, svg))
    doc.add("h2", "Reproducibility", "reproducibility")
    reproduce = {k: meta.get(k) for k in _REPRODUCE}
    doc.add("pre", json.dumps(reproduce, ensure_ascii=False, indent=2))
    return doc
