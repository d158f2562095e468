"""Sections of the report of a run folder, and those a comparison's report shares: scenario,
rules, results, assumptions, reproducibility."""

from __future__ import annotations

from collections.abc import Mapping

from ...i18n import current_language, join_sentences, metric_description, metric_name, value
from ...i18n import gettext as _
from ...scenario.worlds import world_assumption_in
from ..document import Document, Table
from ..numbers import finite, num, pct, pm
from ..phrases import say
from ..rerun import differences, report_command, rerun_command, toml_value
from ..rules import nominal_shares, rule_summary, shares_rescaled, term
from ..runs import RunFolder
from ..summary import (
    convergence_sentence,
    graded_within_class,
    repeated_totals,
    run_sentences,
    run_warnings,
)

__all__ = [
    "add_not_simulated",
    "assumptions_section",
    "reproducibility_section",
    "rules_section",
    "run_metrics_section",
    "scenario_meta",
    "scenario_section",
    "weights_sentence",
]


def scenario_meta(scenario: Mapping) -> dict:
    """A resolved scenario's ``meta``, with its texts in the report's language where the
    scenario translates them (``meta.translations``)."""
    meta = dict(scenario.get("meta") or {})
    own = (meta.get("translations") or {}).get(current_language()) or {}
    meta.update({key: text for key, text in own.items() if text})
    return meta


def scenario_section(doc: Document, run: RunFolder) -> None:
    doc.add("h2", _("Scenario"), "scenario")
    seen = set()
    for rule in run.rules:
        meta = scenario_meta(run.scenarios.get(rule, {}))
        key = (meta.get("name"), meta.get("description"), tuple(meta.get("sources") or ()))
        if key in seen:
            continue
        seen.add(key)
        doc.add("h3", meta.get("name") or rule)
        doc.add("p", meta.get("description") or _("The scenario gives no description."))
        if meta.get("sources"):
            doc.add("p", _("Sources:"))
            doc.add("ul", list(meta["sources"]))
    if run.kind == "comparison":
        doc.add("h3", _("Rules compared"))
        items = [_("{rule} — the reference").format(rule=run.reference)]
        for rule in run.rules[1:]:
            changed, _removed = differences(run.scenarios[run.reference], run.scenarios[rule])
            changed = [(p, v) for p, v in changed if p[0] != "meta"]  # texts, not settings
            if changed and len(changed) <= 8:
                items.append(
                    _("{rule} — differs from the reference in {settings}").format(
                        rule=rule,
                        settings="; ".join(f"{'.'.join(p)} = {_shown(v)}" for p, v in changed),
                    )
                )
            else:
                items.append(
                    _("{rule} — a separate scenario ({n} settings differ)").format(
                        rule=rule, n=len(changed)
                    )
                )
        doc.add("ul", items)
        if run.worlds != ["base"]:
            doc.add(
                "p",
                _(
                    "Every rule was simulated in each of these assumed worlds (combinations of "
                    "--across values):"
                ),
            )
            doc.add("ul", list(run.worlds))


def rules_section(doc: Document, run: RunFolder) -> None:
    doc.add("h2", _("Rules"), "rules")
    summaries = {r: rule_summary(run.scenarios.get(r, {})) for r in run.rules}
    labels = list(dict.fromkeys(k for s in summaries.values() for k in s))
    ref = summaries[run.reference]
    rows, classes = [], []
    for label in labels:
        row = [label] + [summaries[r].get(label, "—") for r in run.rules]
        cls = [""] + [
            "differs" if k > 0 and summaries[r].get(label, "—") != ref.get(label, "—") else ""
            for k, r in enumerate(run.rules)
        ]
        rows.append(row)
        classes.append(cls)
    header = [_("setting")] + [
        _("{rule} (reference)").format(rule=r) if k == 0 and len(run.rules) > 1 else r
        for k, r in enumerate(run.rules)
    ]
    notes = []
    if any(shares_rescaled(run.scenarios.get(r, {})) for r in run.rules):
        notes.append(_("Rater-mix shares are rescaled to sum to 100 %."))
    if len(run.rules) > 1:
        notes.append(_("Highlighted (bold, shaded) cells differ from the reference."))
    caption = " ".join(notes)
    doc.add("table", Table(header, rows, classes, caption, "rules"))


def run_metrics_section(doc: Document, run: RunFolder) -> None:
    rule = run.reference
    m = run.metrics[rule]
    meta = run.metadata
    doc.add("h2", _("Results"), "results")
    for warning in run_warnings(meta):  # before the sentences they qualify, where they stand out
        doc.add("summary", warning)
    doc.add("summary", _run_summary(run))
    converged = convergence_sentence(m, where=str(meta.get("scenario", "")))
    if converged:
        share = m.set_index("metric")["mean"].get("converged_share", 1.0)
        doc.add("summary" if float(share) < 1 else "p", converged)  # a warning stands out
    doc.add(
        "p",
        _(
            "{reps} replications, seed {seed}, behaviour policy {policy}. Each metric is the mean "
            "over replications ± its Monte Carlo standard error."
        ).format(
            reps=meta.get("reps"), seed=meta.get("seed"), policy=term(meta.get("policy", "—"))
        ),
    )
    rows, classes = [], []
    repeated = repeated_totals(m)  # (a one-year run's cost over all years: its yearly cost)
    for r in m.itertuples(index=False):
        if str(r.metric) in repeated:
            continue
        better = value(str(r.direction or ""))
        rows.append(
            [
                metric_name(str(r.metric)),
                metric_description(str(r.metric)),
                better,
                pm(r.mean, r.se),
                str(r.n),
            ]
        )
        classes.append(["", "", "", "num", "num"])
    doc.add(
        "table",
        Table(
            [_("metric"), _("meaning"), _("better side"), _("mean ± se"), "n"],
            rows,
            classes,
            _(
                "se: Monte Carlo standard error of the mean; n: replications in which the metric "
                "is defined; better: the side of the metric that is better for the rule. The se "
                "measures how far the simulation's own chance moves the mean (more replications "
                "shrink it), not how uncertain the scenario's assumptions are: for that, a "
                "sensitivity analysis (perfsim sensitivity) or a comparison across assumptions "
                "(perfsim compare --across)."
            ),
            "metrics",
        ),
    )


def weights_sentence(run: RunFolder, rule: str) -> str:
    m = run.metrics.get(rule)
    if m is None:
        return ""
    return effective_weights_sentence(rule, m, nominal_shares(run.scenarios.get(rule, {})))


def effective_weights_sentence(rule: str, m, nominal: dict) -> str:
    """Where a component's effective weight (its share of the score spread, metrics ``m``)
    strays from its ``nominal`` share by 10 points or more, a sentence saying so; else ``""``
    (the report's In short and ``perfsim run``'s summary)."""
    eff = {
        str(k).split(":", 1)[1]: float(v)
        for k, v in zip(m["metric"], m["mean"], strict=True)
        if str(k).startswith("effective_weight:") and finite(v)
    }
    gaps = [
        (c, nominal[c], eff[c]) for c in nominal if c in eff and abs(eff[c] - nominal[c]) >= 0.1
    ]
    if not gaps:
        return ""
    parts = [
        _("{component} carries {effective} of the score spread for a nominal {nominal}").format(
            component=c, effective=pct(e), nominal=pct(n)
        )
        for c, n, e in gaps
    ]
    return _(
        "Under {rule}, {parts} (a component on which departments hardly differ counts for "
        "little, whatever its nominal share)."
    ).format(rule=rule, parts=_("; ").join(parts))


def _run_summary(run: RunFolder) -> str:
    """The "In short" text: the sentences of ``perfsim run`` (:mod:`..summary`) and, where the
    effective weights stray from the nominal shares, a sentence on them."""
    rule = run.reference
    scenario = run.scenarios.get(rule, {})
    shares = nominal_shares(scenario)
    within = graded_within_class(scenario)
    sentences = run_sentences(rule, run.metrics[rule], run.departments.get(rule), shares, within)
    text = say("report.in_short", text=join_sentences(sentences)) if sentences else ""
    return join_sentences([text, weights_sentence(run, rule)]) or say("report.no_metric")


def assumptions_section(doc: Document, run: RunFolder) -> None:
    doc.add("h2", _("Assumptions"), "assumptions")
    items = list(
        dict.fromkeys(
            world_assumption_in(str(a).strip(), _)  # (a world's lines in the report's language)
            for rule in run.rules
            for a in (scenario_meta(run.scenarios.get(rule, {})).get("assumptions") or [])
            if str(a).strip()
        )
    )
    if items:
        doc.add(
            "p", _("Choices in the scenario(s) that are assumptions rather than documented facts:")
        )
        doc.add("ul", items)
    else:
        doc.add("p", _("The scenario lists no assumptions (meta.assumptions is empty)."))
    changed = rerun_command(run).settings
    if changed:  # --set options: the texts quoted above are the file's, written before them
        doc.add(
            "p",
            _(
                "This run changed {n} setting(s) of the scenario file: {settings}. The scenario's "
                "description and assumptions above are the file's own text and do not reflect "
                "these changes."
            ).format(n=len(changed), settings="; ".join(changed)),
        )
    not_simulated_section(doc, run)
    if run.worlds != ["base"]:
        doc.add(
            "p",
            _("The comparison also varied these assumptions: {worlds}.").format(
                worlds="; ".join(run.worlds)
            ),
        )


def not_simulated_section(doc: Document, run: RunFolder) -> None:
    """The parts of the rule(s) that the simulation did not realise (the run metadata's
    ``not_simulated``, :mod:`perfsim.scenario.coverage`), with the scenario's reason if it gives
    one; nothing when every part was simulated."""
    entries = [
        entry
        for rule in run.rules
        for entry in run.run_metadata(run.worlds[0], rule).get("not_simulated") or []
    ]
    add_not_simulated(doc, entries, "h3")


def add_not_simulated(doc: Document, entries: list[dict], heading: str) -> None:
    """A heading and a list of the parts of a rule left out of the simulation (metadata entries
    ``{part, what, keys, reason}``); nothing when there are none."""
    items: dict[str, None] = {}
    for entry in entries:
        keys = [k for k in entry.get("keys") or [] if k != entry.get("part")]
        text = _("{what} ({part})").format(what=_(entry["what"]), part=entry["part"])
        if keys:
            text = _("{part}, set in {keys}").format(part=text, keys=", ".join(keys))
        reason = entry.get("reason") or _("no reason given (meta.not_simulated)")
        items[_("{part}: {reason}").format(part=text, reason=reason)] = None
    if items:
        doc.add(heading, _("Not simulated"))
        doc.add(
            "p",
            _(
                "These parts of the rule are not realised by the simulation: the simulated "
                "departments do not respond to them and no simulated number depends on them."
            ),
        )
        doc.add("ul", list(items))


def _run_rows(run: RunFolder) -> list[list[str]]:
    """The Reproducibility table's rows of a single run: its files, behaviour and times."""
    meta = run.metadata
    return [
        [_("scenario file"), str(meta.get("scenario", "—"))],
        *([[_("world (--world)"), str(meta["world"])]] if meta.get("world") else []),
        [_("behaviour policy"), term(meta.get("policy", "—"))],
        [
            _("best response"),
            _("≤ {n} iterations, largest residual {residual}").format(
                n=num(meta.get("best_response_iterations")),
                residual=num(meta.get("best_response_residual")),
            ),
        ],
        *_converged_rows(run),
        [
            _("started / finished (UTC)"),
            f"{meta.get('started', '—')} / {meta.get('finished', '—')}",
        ],
        [_("scenario hash (SHA-256)"), str(meta.get("scenario_hash", "—"))],
    ]


def reproducibility_section(doc: Document, run: RunFolder) -> None:
    from ... import __version__

    meta = run.metadata
    doc.add("h2", _("Reproducibility"), "reproducibility")
    rows = [
        [_("perfsim version of the run"), str(meta.get("perfsim_version", "—"))],
        [_("perfsim version of this report"), __version__],
        [_("seed"), str(meta.get("seed", "—"))],
        [_("replications"), str(meta.get("reps", "—"))],
    ]
    if run.kind == "run":
        rows += _run_rows(run)
    else:
        rows += [[_("written (UTC)"), str(meta.get("written", "—"))], *_converged_rows(run)]
        shown = {key: rule for rule, key in run.keys.items()}  # the folder's names as shown
        for rule, h in (meta.get("scenario_hashes") or {}).items():
            rule = shown.get(rule, rule)
            rows.append([_("scenario hash of {rule} (SHA-256)").format(rule=rule), str(h)])
    doc.add("table", Table([_("item"), _("value")], rows, None, "", "repro"))
    rerun = rerun_command(run)
    doc.add(
        "p",
        _(
            "To rerun (from the folder where the run was made; same seed ⇒ same numbers, "
            "whatever the number of --jobs):"
        ),
    )
    doc.add("pre", rerun.command + "\n" + report_command(run.path))
    if rerun.file_changes:
        doc.add(
            "p",
            _(
                "The --set options re-apply the {n} setting(s) where the run's scenario differs "
                "from the scenario file as it is now (the run's own --set options, or later edits "
                "of the file)."
            ).format(n=rerun.file_changes),
        )
    if not rerun.rebuilds:
        doc.add(
            "p",
            _(
                "Warning: this command does not rebuild the recorded scenarios from the scenario "
                "files as they are now. The exact inputs are the resolved scenarios in "
                "metadata.json."
            ),
        )
    elif rerun.same_hash:
        doc.add(
            "p",
            _(
                "Checked: applied to the scenario files as they are now, this command rebuilds "
                "every recorded scenario, with the recorded scenario hashes."
            ),
        )
    else:
        doc.add(
            "p",
            _(
                "Checked: applied to the scenario files as they are now, this command rebuilds "
                "every recorded rule and world, but the scenario hashes differ (the files' "
                "descriptive meta part changed, or this perfsim version fills in different "
                "defaults, in which case its numbers may differ from the run's)."
            ),
        )
    for note in rerun.notes:
        doc.add("p", note)


def _converged_rows(run: RunFolder) -> list[list[str]]:
    """ "best response converged" rows: the share of replications (``converged_share``) of the run,
    or of each rule and world of a comparison; none for a policy without a fixed point."""
    rows = []
    for world in run.worlds:
        for rule in run.rules:
            meta = run.run_metadata(world, rule)
            if "converged_share" not in meta:
                continue
            if run.kind == "run":
                item = _("best response converged")
            elif world == "base":
                item = _("best response converged ({rule})").format(rule=rule)
            else:
                item = _("best response converged ({rule}, world {world})").format(
                    rule=rule, world=world
                )
            text = _(
                "{share} of replications, {iterations} iterations on average, at most {most}"
            ).format(
                share=pct(float(meta["converged_share"])),
                iterations=num(meta.get("iterations_mean"), 0),
                most=num(meta.get("iterations_max"), 0),
            )
            rows.append([item, text])
    return rows


def _shown(value) -> str:
    """A setting as the reader should see it: a share rescaled to 0.31111111111111 shows as
    0.3111, to four significant digits (the rerun command keeps the exact value, which
    reproduces the run)."""
    if isinstance(value, float) and abs(value) < 1e4:
        value = float(f"{value:.4g}")
    return toml_value(value)
