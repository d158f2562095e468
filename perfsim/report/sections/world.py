"""The report's section on the simulated world: the departments, their classes and the rater
groups that the run assumed (from the run's resolved scenario), so that a reader sees what a
class gap comes from (a class's visibility to surveys, its productivity) without opening the
scenario file."""

from __future__ import annotations

from collections.abc import Mapping

from ...i18n import gettext as _
from ...scenario.world import World
from ..document import Document, Table
from ..numbers import num, pct
from ..rules import term
from ..runs import RunFolder

__all__ = ["world_section"]


def world_section(doc: Document, run: RunFolder) -> None:
    """Departments, behaviour, classes and rater groups of the reference rule's world (nothing
    when the folder records no world)."""
    raw = (run.scenarios.get(run.reference) or {}).get("world")
    if not isinstance(raw, Mapping):
        return
    w = World.model_validate(raw)
    doc.add("h2", _("Simulated world"), "world")
    doc.add(
        "p",
        _(
            "{n} departments over {periods} year(s); behaviour: {policy}; a department values "
            "the social value of its own work at λ = {motivation}. These are assumptions, as "
            "the Assumptions below say, not facts."
        ).format(
            n=w.departments, periods=w.periods, policy=term(w.policy), motivation=num(w.motivation)
        ),
    )
    total = sum(c.share for c in w.classes.values()) or 1.0
    rows = [
        [
            name,
            pct(c.share / total),
            f"{num(c.ability_mean)} ± {num(c.ability_sd)}",
            ", ".join(f"{task} × {num(v)}" for task, v in c.productivity.items()) or "—",
            num(c.visibility),
        ]
        for name, c in w.classes.items()
    ]
    header = [
        _("class"),
        _("share of units"),
        _("log ability (mean ± sd)"),
        _("productivity"),
        _("visibility to surveys"),
    ]
    caption = _("Productivity: output per unit of effort in the tasks named (1 elsewhere).")
    doc.add("table", Table(header, rows, None, caption, "world-classes"))
    raters = [
        [
            name,
            term(r.kind),
            str(r.respondents) if r.kind == "survey" else "—",
            _leniency(r),
            num(r.noise),
            ", ".join(r.sees) or "—",
        ]
        for name, r in w.raters.items()
    ]
    if raters:
        header = [
            _("rater group"),
            _("kind"),
            _("respondents"),
            _("leniency (points)"),
            _("noise (points)"),
            _("sees the tasks"),
        ]
        doc.add("table", Table(header, raters, None, "", "world-raters"))


def _leniency(rater) -> str:
    """A rater group's leniency in the table, with a self-evaluation's inflation added (the
    points the engine adds: 0 + 8 for self-evaluation that inflates by 8)."""
    if rater.kind != "self" or not rater.self_inflation:
        return num(rater.leniency)
    said = _("{total} ({leniency} + {inflation} self-inflation)")
    total = rater.leniency + rater.self_inflation
    return said.format(total=num(total), leniency=num(rater.leniency),
                       inflation=num(rater.self_inflation))  # fmt: skip
