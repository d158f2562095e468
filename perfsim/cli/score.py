"""perfsim score: score a real table with a rule."""

from __future__ import annotations

import argparse
import sys
import warnings

from ..scenario import resolve_path, scenario_from_dict
from ..scenario.loader import read_toml
from .common import add_encoding, add_lang, add_set, given, warn_scales

HELP = "Score a real table (one row per department) with a rule."
EXAMPLES = """examples:
  perfsim score scenarios/data/hangzhou-2011-units.csv --rule scenarios/hangzhou-2011.toml
  perfsim score last_year.csv --rule hangzhou-2011 --set rule.grading.quota.优秀=0.2 --out ranked.csv
  perfsim score units.xlsx --rule my-rule.toml --id-column 单位 --class-column 类别
  perfsim score last_year.csv --rule hangzhou-2011 --lang zh   # 中文表头和摘要 (the CSV is the same)
  perfsim score 2024.xlsx --rule hangzhou-2011 --lang zh --out 2024-结果.xlsx   # 中文表头的工作簿"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "data", help="CSV or Excel table: id, class, indicator, component and bonus columns"
    )
    p.add_argument("--rule", required=True, help="rule or scenario TOML file (or a bundled name)")
    p.add_argument(
        "--out",
        type=given,
        help="write the scored table to this file: .csv (column codes, for other programs) or "
        ".xlsx (a workbook with the headers in --lang, for people); default: print only",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="replace the --out file if it exists and is a table perfsim score wrote, unchanged since",
    )
    p.add_argument(
        "--id-column", default="department", help="column of department ids (default: department)"
    )
    p.add_argument(
        "--class-column", default="class", help="column of department classes (default: class)"
    )
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    add_lang(
        p,
        "language of the table printed here and of an .xlsx --out's headers (default: en; zh, "
        "also cn or 中文: 中文表头); a .csv --out is the same in either (column codes)",
    )
    add_encoding(p)
    add_set(p)


#: the kind of file ``perfsim score --out`` writes (its record beside it: perfsim.outfile.record_file)
SCORED_KIND = "scored table"


def _ours(path) -> bool:
    """Whether ``--force`` may replace the file: a scored table perfsim wrote, unchanged since."""
    from ..outfile import file_unchanged
    from ..scoring import is_scored_table

    return is_scored_table(path) and file_unchanged(path, SCORED_KIND)


def handle(args: argparse.Namespace) -> int:
    from ..csvsafe import write_csv
    from ..outfile import check_output_file, record_file
    from ..scoring import QuotaBandWarning, score, shown_table
    from ..workbook import write_excel

    args.data = str(resolve_path(args.data))  # scenarios/data/… outside a checkout: bundled
    if args.out:
        suffixes = (".csv", ".xlsx")
        check_output_file(
            args.out, force=args.force, inputs=[args.data], suffix=suffixes, ours=_ours
        )
    scenario = _rule_alone(args.rule, args.overrides)
    warn_scales(scenario)  # (a slip in the weights grades the real table as it stands)
    caught: list = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", QuotaBandWarning)
            table = score(
                args.data,
                scenario,
                id_column=args.id_column,
                class_column=args.class_column,
                encoding=args.encoding,
            )
    finally:  # the others as Python would show them, also before an error (which sheet of a
        for w in caught:  # workbook was read, say)
            if not issubclass(w.category, QuotaBandWarning):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    quota_warnings = [w.message for w in caught if issubclass(w.category, QuotaBandWarning)]
    from ..i18n import gettext as _
    from ..i18n import language

    if args.out:  # to 10 decimals: 80.64, not the 80.64000000000001 of binary floating point
        if args.out.lower().endswith(".xlsx"):  # for people: the headers in their language
            with language(args.lang):
                write_excel(
                    shown_table(table.round(10)),
                    args.out,
                    sheet=_("scores"),
                    about=_about(args, scenario, table),
                    about_sheet=_("about"),
                )
        else:  # for programs: the column codes, whatever the language
            write_csv(table.round(10), args.out)
        record_file(args.out, SCORED_KIND)

    with language(args.lang):
        if not args.quiet:
            _print_scored(table, scenario.name or args.rule, scenario.rule, args.out)
        for message in quota_warnings:
            print(_warning_line(message), file=sys.stdout if not args.quiet else sys.stderr)
    return 0


def _about(args: argparse.Namespace, scenario, table):
    """The second sheet of an .xlsx --out, in the current language: which rule graded the table
    and how (each band's quota and score line as ``perfsim validate`` says them, the scope), the
    column components' full marks (their scores are shown on 0–100), the grade counts, and when
    and with what command it was made (shell-quoted, as given)."""
    import shlex
    from datetime import datetime

    import pandas as pd

    from .. import __version__
    from ..i18n import gettext as _
    from ..i18n import translated_name
    from ..report.rules import band_rules, term
    from ..scenario import scenario_raw

    g, rule = scenario.rule.grading, scenario.rule
    counts = table["grade"].value_counts()
    marks = _full_marks(rule, table)
    name = translated_name(scenario_raw(scenario).get("meta")) or scenario.name or args.rule
    command = ["perfsim", *(getattr(args, "argv", None) or sys.argv[1:])]  # as it was given
    rows = [
        (_("rule"), name),
        (_("rule (scenario file)"), str(args.rule)),
        (_("scored table"), str(args.data)),
        (_("grading"), " > ".join(band_rules(g))),
        (_("ranked"), term(g.scope)),
        (_("grades"), _(", ").join(f"{b} {counts.get(b, 0)}" for b in g.bands)),
        (_("scores out of full marks"), _("; ").join(marks) or "—"),
        (_("written"), datetime.now().astimezone().isoformat(timespec="seconds")),
        (_("perfsim version"), __version__),
        (_("command"), shlex.join(command)),
    ]
    return pd.DataFrame(rows, columns=[_("item"), _("value")])


def _full_marks(rule, table) -> list[str]:
    """For each column component not scored out of 100, that the table shows it on 0–100, in
    the current language."""
    from ..i18n import gettext as _

    return [
        _("{name}: out of {marks} in the table, shown on 0–100 (value ÷ {marks} × 100)").format(
            name=name, marks=f"{c.full_marks:g}"
        )
        for name, c in rule.components.items()
        if name in table.columns and c.full_marks != 100
    ]


def _print_scored(table, name: str, rule, out: str | None) -> None:
    """The scored table, what its columns are (components shown on 0–100, the score of the
    parts, the bonus and deduction points) and a line of grade counts, in the current language
    (headers and yes/no translated; the numbers, names and grades as in the table)."""

    from ..i18n import gettext as _
    from ..scoring import shown_table
    from .common import table_text, terminal_columns, wrap

    shown = shown_table(table)
    print(table_text(shown))
    combined = (  # (what the score of the parts is)
        _("the components' Borda score")
        if rule.aggregate.components == "borda"
        else _("the components' weighted sum")
    )
    columns = _(
        "{mixed}: {combined}; {adjustment}: points added or taken off; {total}: the two together"
    ).format(
        combined=combined,
        **{c: shown.columns[table.columns.get_loc(c)] for c in ("mixed", "adjustment", "total")},
    )
    print("\n" + wrap(_("; ").join([*_full_marks(rule, table), columns]), terminal_columns(), ""))
    counts = table["grade"].value_counts()
    bands = rule.grading.bands
    grades = _(", ").join(f"{b} {counts.get(b, 0)}" for b in bands)
    vetoed = int(table["vetoed"].sum()) if "vetoed" in table else 0
    why = _(" ({vetoed} of them by the one-vote veto, whatever the score)") if vetoed else ""
    line = _("{n} departments scored with {name}; grades: {grades}{why}")
    print("\n" + line.format(n=len(table), name=name, grades=grades, why=why.format(vetoed=vetoed)))
    if out:
        print(_("written to {out}").format(out=out))


def _warning_line(warning: Warning) -> str:
    """A warning about the real table (its message a :class:`perfsim.phrases.Phrase` or text),
    in the current language."""
    from ..i18n import gettext as _
    from ..i18n import say

    said = warning.args[0] if warning.args else warning
    return _("warning: {message}").format(message=say(said))


def _rule_alone(rule: str, overrides: list[str]):
    """The scenario of ``rule`` without its ``[world]`` (and without ``--set world.…``): scoring a
    real table uses the rule alone. With the world, checks that concern the simulation stopped
    a valid rule (TOPSIS or Borda aggregation under a best-response world; one department)."""
    path = resolve_path(rule)
    raw = {key: value for key, value in read_toml(path).items() if key != "world"}
    kept = [o for o in overrides if not o.strip().startswith("world.")]
    return scenario_from_dict(raw, source=str(path), overrides=kept)
