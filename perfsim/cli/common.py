"""What every perfsim subcommand shares: option helpers, default folders, checks, progress bars."""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from ..phrases import N_
from .parsing import EMPTY, NEGATIVE_SEED, NOT_WHOLE


def library_default(function: Callable, name: str):
    """The default of ``function``'s keyword ``name``: the CLI states no default of its own."""
    import inspect

    return inspect.signature(function).parameters[name].default


def add_numbers(p: argparse.ArgumentParser, function: Callable, **helps: str) -> None:
    """``--reps``, ``--seed``, ``--jobs`` … with the defaults of the library ``function``; ``helps``
    maps each option (``reps="replications"``) to its help text, to which the default is added."""
    for name, text in helps.items():
        default = library_default(function, name)
        p.add_argument(
            f"--{name.replace('_', '-')}",
            type=seed_number if name == "seed" else type(default),
            default=default,
            help=f"{text} (default: {default:g})",
        )


def seed_number(text: str) -> int:
    """``--seed``: a whole number ≥ 0 (numpy's seeds are non-negative)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(NOT_WHOLE.format(value=repr(text))) from None
    if value < 0:
        raise argparse.ArgumentTypeError(NEGATIVE_SEED.format(value=value))
    return value


def add_set(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override one scenario key by dotted path (repeatable), e.g. "
        "--set rule.grading.quota.优秀=0.15; shares and weights: vary one, rescale the rest; "
        "--set @FRAGMENT.toml sets every key of a fragment (e.g. perfsim empirical's calibrated.toml)",
    )


def add_world(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--world",
        metavar="NAME|FILE",
        help="simulate the rule on this world: a bundled name (hangzhou-2011, mlr-2011, "
        "teaching/goodhart ...) or a TOML file with a [world]; indicators, column components "
        "and classes are matched by name (scenarios/README.md)",
    )


def run_stem(scenario: str, world: str | None) -> str:
    """The name of a run's default folder: the scenario's file stem, ``-on-<world>`` with --world."""
    from ..scenario import resolve_path

    stem = resolve_path(scenario).stem
    return stem if world is None else f"{stem}-on-{resolve_path(world).stem}"


def given(text: str) -> str:
    """An option's value that may not be empty (``--out ""`` wrote to the default folder as if
    no --out were given)."""
    if not text.strip():
        raise argparse.ArgumentTypeError(EMPTY)
    return text


def add_force(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument(
        "--force",
        action="store_true",
        help=f"replace {what} even if it is a perfsim folder of another kind (a folder perfsim "
        "did not write, one holding your own files, or one without perfsim's file list "
        ".perfsim.json, is never touched)",
    )


def default_out(name: str, overrides: Sequence[str], seed: int | None = None) -> str:
    """``results/<name>-seed<seed>``, with ``-set<hash>`` (a short hash of the ``--set`` texts)
    when there are overrides, so that a variant never lands in the plain run's folder."""
    if overrides:
        import hashlib

        name += "-set" + hashlib.sha256("\n".join(overrides).encode("utf-8")).hexdigest()[:6]
    return f"results/{name}" + ("" if seed is None else f"-seed{seed}")


@contextmanager
def said_in_summary(quiet: bool) -> Iterator[None]:
    """Within it, the one-line warning about parts of the rule the simulation leaves out is not
    printed unless ``quiet``: the summary that follows says it in its first sentence."""
    import warnings

    from ..scenario.coverage import NotSimulatedWarning

    with warnings.catch_warnings():
        if not quiet:
            warnings.simplefilter("ignore", NotSimulatedWarning)
        yield


def warn_scales(scenario, label: str = "") -> None:
    """A warning for each note of :func:`perfsim.scenario.scales.scale_notes` on the scenario's
    shares and weights (what ``perfsim validate`` prints as "check:"), naming its file and
    ``label`` (a comparison's rule)."""
    import warnings

    from ..i18n import N_
    from ..phrases import Phrase
    from ..scenario import scenario_source
    from ..scenario.scales import ScaleWarning, scale_notes

    where = scenario_source(scenario) + (f" ({label})" if label else "")
    for note in scale_notes(scenario.rule, scenario.world):
        said = Phrase(N_("{where}: {note}"), {"where": where, "note": note})
        warnings.warn(ScaleWarning(said), stacklevel=2)


def add_lang(p: argparse.ArgumentParser, help: str | None = None) -> None:
    """``--lang``: the language of the summary a command prints (its files are the same in any,
    unless ``help`` says otherwise); ``cn``, ``zh-CN`` or ``中文`` are taken for ``zh``."""
    from ..i18n import LANGUAGES, language_code

    p.add_argument(
        "--lang",
        type=language_code,
        choices=LANGUAGES,
        default="en",
        help=help
        or "language of the summary printed here (default: en; zh, also cn or 中文: 中文摘要); "
        "the files written are the same in either, and the report's language is perfsim "
        "report's --lang",
    )


def replaced_note(earlier: str | None, had_report: bool = True) -> str:
    """What a run or comparison adds to its folder line when it replaced an earlier perfsim folder
    (``earlier``: :func:`perfsim.io.folder_kind` of the folder before the run; ``had_report``:
    whether that folder held a report), else ``""``; in the current language."""
    from ..report.phrases import say

    if earlier is None:
        return ""
    kind = say(f"kind.{earlier}") if f"kind.{earlier}" in KINDS else earlier
    return say("note.replaces" if had_report else "note.replaces_folder", kind=kind)


KINDS = ("kind.run", "kind.comparison", "kind.empirical")
"""The kinds of folder (:func:`perfsim.io.folder_kind`) that :func:`replaced_note` names."""


def folder_line(out, files: Sequence[str], note: str = "") -> None:
    """The line naming the folder a command wrote and its main files, in the current language."""
    from ..i18n import gettext as _

    print(
        _("run folder: {out} ({files}){note}").format(out=out, files=_(", ").join(files), note=note)
    )


def stopped(kept: str, lang: str = "en") -> None:
    """After Ctrl-C: on a line of its own (not glued to the terminal's ^C), what was kept (a
    sentence of the catalogue: said in ``lang``) and the command that continues (the same one:
    rerunning into the same folder resumes)."""
    from ..i18n import gettext as _
    from ..i18n import language, said_again

    command = shlex.join(["perfsim", *sys.argv[1:]])
    with language(lang):
        line = _("stopped: {kept}; rerun the same command to continue:").format(
            kept=said_again(kept, KEPT)
        )
    print(f"\n{line}\n  {command}", file=sys.stderr)


#: what a stopped command kept (:func:`stopped`)
KEPT = (
    N_("the evaluations so far are kept in {out}"),
    N_("{count} finished chunk kept in {out}"),
    N_("{count} finished chunks kept in {out}"),
)


def next_report(out) -> None:
    """The last line of a command that wrote a result folder: how to get its report (in the
    current language, when it is not English)."""
    from ..i18n import current_language
    from ..i18n import gettext as _

    lang = current_language()
    if lang == "en":
        print(
            f"next: perfsim report {out}   (report.html with figures, to read or circulate; "
            "add --lang zh for the Chinese report, 中文报告)"
        )
        return
    print(
        _(
            "next: perfsim report {out} --lang {lang}   (the report in this language, with "
            "figures, to read or circulate)"
        ).format(out=out, lang=lang)
    )


def add_encoding(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--encoding",
        default="auto",
        help="text encoding of CSV tables (default auto: UTF-8 with or without BOM, then GB18030, "
        "which covers GBK), e.g. --encoding gbk",
    )


def positive(name: str, value: int) -> None:
    from ..scenario import Problem, ScenarioError

    if value < 1:
        raise ScenarioError([Problem("command line", f"--{name}", value, "must be ≥ 1")])


def progress_bar(total: int, unit: str, quiet: bool, desc: str | None = None):
    if quiet:
        return None
    from tqdm import tqdm

    # disable=None: drawn on a terminal only (redirected to a file, a bar's carriage returns
    # would glue its last state to the next line)
    return tqdm(
        total=total,
        unit=f" {unit}",
        desc=desc,
        file=sys.stderr,
        mininterval=0.5,
        leave=False,
        disable=None,
    )


@contextmanager
def progress_context(
    total: int, unit: str, quiet: bool
) -> Iterator[Callable[[int], object] | None]:
    """A progress bar's ``update`` for the work inside the block (None when quiet); closed after."""
    bar = progress_bar(total, unit, quiet)
    try:
        yield bar.update if bar else None
    finally:
        if bar:
            bar.close()


def add_explain(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--explain",
        action="store_true",
        help="after the table, say what each metric means and which direction is better",
    )


def width(text: str) -> int:
    """Columns ``text`` takes in a terminal (CJK characters take two)."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, columns: int, right: bool = False) -> str:
    """``text`` padded with spaces to ``columns`` terminal columns (left-aligned unless ``right``)."""
    fill = " " * max(0, columns - width(text))
    return fill + text if right else text + fill


def table_text(frame, most: int = 200) -> str:
    """A table as the terminal prints it: without the index, numbers right-aligned to two
    decimals, text left-aligned, each column as wide as its widest cell in terminal columns (a
    Chinese character takes two, which pandas' ``to_string`` counts as one); of more than
    ``most`` rows the first and last halves, with ``...`` between (as pandas shows them)."""
    import pandas as pd

    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
    cells = [
        [f"{v:.2f}" if isinstance(v, float) else str(v) for v in r]
        for r in frame.itertuples(index=False)
    ]
    if len(cells) > most:
        cells = [*cells[: most // 2], ["..."] * len(numeric), *cells[-(most // 2) :]]
    rows = [[str(c) for c in frame.columns], *cells]
    widths = [max(width(r[j]) for r in rows) for j in range(len(numeric))]
    return "\n".join(
        "  ".join(pad(c, w, right) for c, w, right in zip(r, widths, numeric, strict=True)).rstrip()
        for r in rows
    )


def terminal_columns() -> int:
    """The terminal's width in columns, at most 100 (100 when not a terminal)."""
    import shutil

    return min(100, shutil.get_terminal_size((100, 24)).columns)


def print_sentences(sentences: Sequence[str], indent: str = "  ") -> None:
    """Sentences as a paragraph wrapped to the terminal (at most 100 columns)."""
    columns = terminal_columns()
    for sentence in sentences:
        print(wrap(sentence, columns, indent))


#: punctuation that does not begin a line of Chinese text (it stays at the end of the last)
NO_LINE_START = set("，。；：、）》」』”’！？,.;:)!?%")
#: nor ends one (it moves to the next)
NO_LINE_END = set("（《「『“‘(")


def wrap(text: str, columns: int, indent: str = "  ") -> str:
    """``text`` wrapped to ``columns`` terminal columns (two for a Chinese character,
    :func:`width`), each line starting with ``indent``. Text without CJK characters is wrapped
    at spaces (:func:`textwrap.fill`), and so is English text naming Chinese things; Chinese
    text, which has no spaces between words, between any two characters but never inside a run
    of Latin letters, digits and signs (a number, a metric's name such as ``rater_cost:社会评价``),
    never before closing punctuation or ``%`` (the last word moves down with it) and never after
    an opening bracket."""
    from ..i18n import current_language, has_cjk

    if not has_cjk(text):
        import textwrap

        # ("50 %" stays on one line: textwrap breaks at spaces, not at a no-break space)
        glued = text.replace(" %", "\u00a0%")
        out = textwrap.fill(glued, columns, initial_indent=indent, subsequent_indent=indent)
        return out.replace("\u00a0%", " %")
    lines: list[str] = []
    parts: list[str] = []  # the tokens on the line so far
    spaced = False  # a space was left out at the end of a full line
    for token in _tokens(text, current_language() == "zh"):
        token = " " if token.isspace() else token
        if not parts and token == " ":
            continue
        if width(indent + "".join(parts) + token) <= columns or not "".join(parts).strip():
            parts.append(token)
            spaced = False
            continue
        if token == " ":  # the break comes with the next token
            spaced = True
            continue
        cut = _cut(parts, token[:1] in NO_LINE_START)  # ("%;" a token too)
        if not "".join(parts[:cut]).strip():  # nothing would stay: an overlong word, kept
            parts.append(token)
            continue
        lines.append((indent + "".join(parts[:cut])).rstrip())
        moved = parts[cut:]
        while moved and moved[0] == " ":
            moved.pop(0)
        parts = [*moved, *([" "] if spaced and moved else []), token]
        spaced = False
    if "".join(parts).strip():
        lines.append((indent + "".join(parts)).rstrip())
    return "\n".join(lines)


def _cut(parts: list[str], closing: bool) -> int:
    """Where a full line breaks: before its trailing opening brackets, and, when the next token
    is closing punctuation (which may not begin a line), before its last word too, with any
    punctuation already after it."""
    cut = len(parts)
    if closing:
        while cut > 0 and (parts[cut - 1] in NO_LINE_START or parts[cut - 1] == " "):
            cut -= 1
        cut -= 1
    while cut > 0 and (parts[cut - 1] in NO_LINE_END or parts[cut - 1] == " "):
        cut -= 1
    return max(cut, 0)


def _tokens(text: str, chinese: bool) -> list[str]:
    """Words and spaces; in Chinese text also each Chinese character and punctuation mark, a run
    of Latin text with the Chinese name it ends in (``effective_weight:综合``) kept whole."""
    import re

    from ..i18n import CJK_CHARS

    if not chinese:
        return re.findall(r"\S+|\s+", text)
    latin = f"[^\\s{CJK_CHARS}“”‘’]+"
    return re.findall(f"[“”‘’]|{latin}[:_][\u4e00-\u9fff]+|{latin}|\\s+|.", text)


def print_metrics_table(metrics, explain: bool) -> None:
    """The rows of a run's metrics table worth showing (``report.summary.shown_metrics``: mean ± se
    and better side), the notes on the rows left out, and with ``explain`` each metric's meaning."""
    from ..i18n import current_language, metric_label
    from ..i18n import gettext as _
    from ..metric_registry import better
    from ..report.numbers import pm
    from ..report.phrases import say
    from ..report.summary import CONVERGENCE, explain_lines, shown_metrics

    shown = shown_metrics(metrics)
    rows = metrics.set_index("metric").loc[shown.rows]
    # in another language a metric's label alone, to keep rows within 80 columns (--explain
    # gives each label's name in metrics.csv)
    names = {n: n if current_language() == "en" else metric_label(n) for n in shown.rows}
    head = _("metric")
    name_width = max([width(head), *(width(n) for n in names.values())]) + 2
    print(f"  {pad(head, name_width)}{pad(_('mean ± se'), 20, True)}  {_('better')}")
    for name, row in rows.iterrows():
        side = _(better(str(name))) if better(str(name)) else "—"
        value = pad(pm(row["mean"], row["se"]), 20, True)
        print(f"  {pad(names[name], name_width)}{value}  {side}")
    print()
    print_sentences(shown.notes)
    if explain:
        print()
        solver = [m for m in CONVERGENCE if m in set(metrics["metric"])]  # said in a sentence
        print_sentences(explain_lines([*shown.rows, *solver]))
    else:
        print_sentences([say("note.explain")])
