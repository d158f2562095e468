"""Sections of the report of a comparison folder: the verdicts in words, the metrics table of each
world, robustness across assumed worlds."""

from __future__ import annotations

from ... import metric_registry
from ...i18n import N_, join, metric_description, metric_label, metric_name, ngettext, value
from ...i18n import gettext as _
from ..document import Document, Table
from ..numbers import decimals, diff_interval, finite, num, pm
from ..rules import short_world
from ..runs import RunFolder
from .run import weights_sentence

__all__ = ["comparison_metrics_section", "robustness_section"]


def _comparison_summary(run: RunFolder) -> list[str]:
    t = run.comparison
    ref = run.reference
    paragraphs = []
    many = len(run.worlds) > 1
    for rule in run.rules[1:]:
        sub = t[(t["rule"] == rule) & (t["direction"].astype(str) != "")]
        groups: dict[str, list[str]] = {}
        for metric, g in sub.groupby("metric", sort=False):
            verdicts = set(g["verdict"].astype(str))
            name = metric_label(str(metric))
            spans = g[["diff", "diff_low", "diff_high"]].to_numpy(float)
            if verdicts == {"no detectable difference"} and (spans == 0).all():
                groups.setdefault(N_("exactly the same on {metrics}"), []).append(name)
                continue
            if not many and verdicts & {"better", "worse"}:
                row = g.iloc[0]
                unit = num(row["diff"], decimals(float(row["diff_se"])), True)
                name = f"{name} ({unit})"
            if verdicts == {"better"}:
                key = (
                    N_("better in every world on {metrics}") if many else N_("better on {metrics}")
                )
            elif verdicts == {"worse"}:
                key = N_("worse in every world on {metrics}") if many else N_("worse on {metrics}")
            elif {"better", "worse"} <= verdicts:
                key = N_("better in some worlds and worse in others on {metrics}")
            elif "better" in verdicts:
                key = N_(
                    "better in some worlds (no detectable difference in the others) on {metrics}"
                )
            elif "worse" in verdicts:
                key = N_(
                    "worse in some worlds (no detectable difference in the others) on {metrics}"
                )
            else:
                key = N_("no detectable difference on {metrics}")
            groups.setdefault(key, []).append(name)
        order = sorted(groups, key=lambda k: ("better" not in k, "worse" not in k, "same" in k, k))
        clauses = [_(k).format(metrics=join(groups[k])) for k in order]
        paragraphs.append(
            _("Compared with the reference {reference}, {rule} is {clauses}.").format(
                reference=ref, rule=rule, clauses=_("; ").join(clauses)
            )
            if clauses
            else _("{rule}: no metric with a better side was recorded.").format(rule=rule)
        )
    paragraphs.append(
        _(
            "Each rule ran {reps} replications on the same simulated departments and noise "
            "(common random numbers); a rule is called better or worse on a metric only when the "
            "95 % interval of its paired difference from the reference excludes zero."
        ).format(reps=run.metadata.get("reps"))
    )
    w = weights_sentence(run, ref)
    if w:
        paragraphs.append(w)
    return paragraphs


def comparison_metrics_section(doc: Document, run: RunFolder) -> None:
    t = run.comparison
    ref = run.reference
    doc.add("h2", _("Results"), "results")
    for k, para in enumerate(_comparison_summary(run)):
        doc.add("summary" if k < len(run.rules) - 1 else "p", para)
    for i, world in enumerate(run.worlds):
        if len(run.worlds) > 1:
            doc.add(
                "h3",
                _("Metrics in world {world}").format(world=short_world(world)),
                f"metrics-w{i}",
            )
        sub = t[t["world"] == world]
        header = [
            _("metric"),
            _("better side"),
            _("{rule} (reference): mean ± se").format(rule=ref),
        ]
        for rule in run.rules[1:]:
            header += [
                _("{rule}: mean ± se").format(rule=rule),
                _("{rule}: difference [95 % interval]").format(rule=rule),
                _("verdict"),
            ]
        rows, classes = [], []
        for metric in dict.fromkeys(sub["metric"]):
            g = sub[sub["metric"] == metric].set_index("rule")
            if ref not in g.index:
                continue
            direction = str(g.loc[ref, "direction"] or metric_registry.better(str(metric)))
            row = [
                metric_name(str(metric)),
                value(direction),
                pm(g.loc[ref, "mean"], g.loc[ref, "se"]),
            ]
            cls = ["", "", "num"]
            for rule in run.rules[1:]:
                if rule not in g.index:
                    row += ["–", "–", "–"]
                    cls += ["num", "num", ""]
                    continue
                r = g.loc[rule]
                verdict = str(r["verdict"] or "")
                row += [
                    pm(r["mean"], r["se"]),
                    diff_interval(r["diff"], r["diff_se"], r["diff_low"], r["diff_high"]),
                    value(verdict),
                ]
                cls += ["num", "num", verdict if verdict in ("better", "worse") else ""]
            rows.append(row)
            classes.append(cls)
        caption = _(
            "Difference = rule − reference, paired over replications (common random numbers); "
            "verdict by the metric's better direction (▲ better, ▼ worse)."
        )
        doc.add("table", Table(header, rows, classes, caption, "metrics"))
    metrics = list(dict.fromkeys(t["metric"]))
    doc.add("h3", _("What the metrics mean"))
    doc.add("ul", [f"{metric_name(str(m))}: {metric_description(str(m)) or '—'}" for m in metrics])


def robustness_section(doc: Document, run: RunFolder) -> None:
    r = run.robustness
    if r is None or not len(r):
        return
    doc.add("h2", _("Robustness across assumptions"), "robustness")
    doc.add(
        "p",
        _(
            "Every rule ran in every assumed world. Worst case: the rule's worst mean over the "
            "worlds; regret in a world: its distance from the best rule there (in the metric's "
            "units). A robust rule has a small maximum regret; the smallest in each metric is "
            "underlined."
        ),
    )
    rows, classes = [], []
    wins: dict[str, int] = dict.fromkeys(run.rules, 0)
    for metric, g in r.groupby("metric", sort=False):
        best, differs = g["max_regret"].min(), g["max_regret"].max() > 0
        for row in g.itertuples(index=False):
            is_best = bool(differs and finite(row.max_regret) and row.max_regret == best)
            wins[row.rule] = wins.get(row.rule, 0) + int(is_best)
            rows.append(
                [
                    metric_name(str(metric)),
                    str(row.rule),
                    value(str(row.direction)),
                    num(row.worst),
                    num(row.max_regret),
                    num(row.mean_regret),
                ]
            )
            classes.append(["", "", "", "num", "num best" if is_best else "num", "num"])
    doc.add(
        "table",
        Table(
            [
                _("metric"),
                _("rule"),
                _("better side"),
                _("worst case"),
                _("max regret"),
                _("mean regret"),
            ],
            rows,
            classes,
            "",
            "robustness",
        ),
    )
    ranked = [(rule, n) for rule, n in sorted(wins.items(), key=lambda kv: -kv[1]) if n > 0]
    if ranked:
        doc.add(
            "p",
            _("Smallest maximum regret (on metrics where the rules differ): {rules}.").format(
                rules=_(", ").join(
                    ngettext("{rule} on {n} metric", "{rule} on {n} metrics", n).format(
                        rule=rule, n=n
                    )
                    for rule, n in ranked
                )
            ),
        )
