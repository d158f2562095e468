"""The ``perfsim`` command line. User errors print one clear message and exit with status 2.

One module per subcommand, each with its ``HELP``, ``EXAMPLES``, ``add_arguments(parser)`` (the
options, with defaults read from the library's own constants and registries) and ``handle(args)``;
``common`` holds what they share. To add a subcommand: write its module and list it in
:data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType

from .. import __version__
from ..interrupts import is_interrupt
from ..phrases import N_
from ..rules.checks import NonFiniteError
from ..scenario import PerfsimError
from . import (
    compare,
    empirical,
    new,
    optimize,
    report,
    run,
    scenarios,
    score,
    sensitivity,
    validate,
    verify,
)
from .parsing import Parser, lang_given

#: The subcommands, in the order ``perfsim --help`` lists them.
COMMANDS: dict[str, ModuleType] = {
    "validate": validate,
    "score": score,
    "scenarios": scenarios,
    "new": new,
    "run": run,
    "compare": compare,
    "sensitivity": sensitivity,
    "optimize": optimize,
    "empirical": empirical,
    "report": report,
    "verify": verify,
}


#: options that belong to another command than the one they were given to: a hint for each
_BELONGS = {
    "--lang": N_(
        "--lang belongs to perfsim run, compare, sensitivity, optimize, empirical, score, "
        "validate and scenarios (the language of what they print), to perfsim new (the starter "
        "file's) and to perfsim report (the report's: perfsim report FOLDER --lang zh, after the "
        "run; 中文报告)"
    ),
}


#: the Chinese lines of ``perfsim --help`` (argparse's own help is English): where the Chinese
#: output is and the first commands
ZH_HELP = """中文：在命令之后加 --lang zh，终端输出即为中文；报告：perfsim report 结果文件夹 --lang zh。
  perfsim scenarios --lang zh                          自带情景（中文名称）
  perfsim run hangzhou-2011 --lang zh                  模拟杭州 2011 年综合考评
  perfsim new rule 我的规则.toml --lang zh             写出中文注释的起步规则
  perfsim COMMAND --help                               各命令的选项（英文）"""

#: what ``perfsim --lang zh …`` is told (the language is an option of each command, given after
#: it; otherwise ``zh`` was read as the command)
LANG_FIRST = (
    "perfsim: --lang goes after the command, e.g. perfsim run hangzhou-2011 --lang zh "
    "(--lang 写在命令之后，例如 perfsim run hangzhou-2011 --lang zh)"
)


#: what a command given an argument it does not take prints (``{close}``: the nearest option)
UNRECOGNIZED = N_("unrecognized arguments: {given}; perfsim {command} --help lists its options")
UNRECOGNIZED_CLOSE = N_(
    "unrecognized arguments: {given} (did you mean {close}?); perfsim {command} --help lists its "
    "options"
)


def _unrecognized(parser: argparse.ArgumentParser, command: str, extra: list[str], lang: str):
    """The error of arguments ``extra`` that command ``command`` does not take, in its ``--lang``:
    the nearest of its options to a misspelt one (``--sed`` → ``--seed``), where an option of
    another command belongs (:data:`_BELONGS`), and where the command's options are listed."""
    import difflib

    from ..i18n import gettext as _
    from ..i18n import language

    usage = parser.format_usage()  # (argparse lists every option of the command in its usage)
    options = sorted(set(re.findall(r"(?<![\w-])--?[A-Za-z][\w-]*", usage)) - {"-h", "--help"})
    named = [word.split("=", 1)[0] for word in extra if word.startswith("-")]
    hints = [option for option in _BELONGS if option in named]
    close = None
    for word in (w for w in named if w not in _BELONGS):  # (those have a hint of their own)
        near = difflib.get_close_matches(word, options, n=1, cutoff=0.75)
        close = close or (near[0] if near else None)
    given = " ".join(extra)
    with language(lang):
        if close:
            message = _(UNRECOGNIZED_CLOSE).format(given=given, close=close, command=command)
        else:
            message = _(UNRECOGNIZED).format(given=given, command=command)
        text = _("perfsim {command}: error: {message}").format(command=command, message=message)
        hints = [_(_BELONGS[option]) for option in hints]
        return _("; ").join([text, *hints])


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command; with ``command``, only that command's arguments are added
    (the others are listed, by name and help; ``""``: none, for ``perfsim --help`` and a word
    that is no command): a command's arguments read their defaults from its module, and
    importing every command's modules (scipy.stats, pymoo, the empirical analysis) took seconds
    of each command's start."""
    parser = Parser(
        prog="perfsim",
        description="Test performance-evaluation rules for government units before adopting them.",
        epilog=ZH_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"perfsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands: dict[str, argparse.ArgumentParser] = {}
    for name, module in COMMANDS.items():
        p = sub.add_parser(
            name,
            help=module.HELP,
            description=module.HELP,
            epilog=module.EXAMPLES,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if command is None or name == command:
            module.add_arguments(p)
        commands[name] = p
    parser.commands = commands  # (each command's parser: its usage and options)
    return parser


@contextmanager
def _warnings_as_lines(command: str, lang: str = "en") -> Iterator[None]:
    """perfsim's own warnings as one line each, ``perfsim run: warning: …``, like its errors
    (Python's default prints ``perfsim:0: ConvergenceWarning: …``), in the language ``lang``
    (a warning given as a :class:`perfsim.phrases.Phrase` is said again in it); other
    libraries' warnings as Python prints them."""
    from ..i18n import N_, language, say
    from ..i18n import gettext as _

    original = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if not category.__module__.startswith("perfsim"):
            return original(message, category, filename, lineno, file, line)
        said = message.args[0] if isinstance(message, Warning) and message.args else message
        with language(lang):
            text = _(N_("perfsim {command}: warning: {message}"))
            print(text.format(command=command, message=say(said)), file=file or sys.stderr)

    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = original


def main(argv: Sequence[str] | None = None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    if given and (given[0] == "--lang" or given[0].startswith("--lang=")):  # before the command
        print(LANG_FIRST, file=sys.stderr)
        return 2
    # the command is the first word not an option (perfsim's own options take no value)
    command = next((word for word in given if not word.startswith("-")), None)
    typed = Parser.lang = lang_given(given)  # argparse's own errors in the command's --lang
    parser = build_parser(command if command in COMMANDS else "")
    try:
        args, extra = parser.parse_known_args(argv)
    finally:
        Parser.lang = "en"  # (a parser built later, in this process, speaks English again)
    if extra:  # (arguments no command takes: said by the command, with its usage)
        lang = getattr(args, "lang", typed)  # (a command without --lang: as typed)
        sub = parser.commands[args.command]
        print(sub.format_usage().rstrip(), file=sys.stderr)
        print(_unrecognized(sub, args.command, extra, lang), file=sys.stderr)
        raise SystemExit(2)
    args.argv = given
    try:
        with _warnings_as_lines(args.command, getattr(args, "lang", "en")):
            return COMMANDS[args.command].handle(args)
    except PerfsimError as exc:
        print(said_error(args.command, exc, getattr(args, "lang", "en")), file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `perfsim score ... | head`
        sys.stderr.close()
        return 0
    except OSError as exc:  # the machine, not the input: a full disk, no permission, ...
        where = f": {exc.filename}" if exc.filename else ""
        print(f"perfsim {args.command}: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, SystemError) as exc:  # (numba wraps Ctrl-C in a SystemError)
        if not is_interrupt(exc):
            raise
        print(_interrupted(getattr(args, "lang", "en")), file=sys.stderr)
        return 130
    except Warning as exc:  # a warning made an error (python -W error, PYTHONWARNINGS=error)
        print(_warning_as_error(args.command, exc, getattr(args, "lang", "en")), file=sys.stderr)
        return 2
    except NonFiniteError as exc:  # the numbers of a far-fetched input overflowed (past the checks)
        from ..simulation import OVERFLOW

        print(f"perfsim {args.command}: error: {OVERFLOW} ({exc})", file=sys.stderr)
        return 2


#: the line a command interrupted by Ctrl-C (or SIGTERM, SIGHUP) prints
INTERRUPTED = N_("perfsim: interrupted")


def _interrupted(lang: str) -> str:
    """:data:`INTERRUPTED` in the command's ``--lang``."""
    from ..i18n import gettext as _
    from ..i18n import language

    with language(lang):
        return _(INTERRUPTED)


#: the line of a warning that the Python warning filter made an error
WARNING_AS_ERROR = N_(
    "perfsim {command}: error: {message} (a warning, stopped as an error by the Python warning "
    "filter 'error': python -W error or PYTHONWARNINGS=error)"
)


def _warning_as_error(command: str, exc: Warning, lang: str) -> str:
    """The one line of a perfsim warning raised as an error, in the command's ``--lang``."""
    from ..i18n import gettext as _
    from ..i18n import language, say

    said = exc.args[0] if exc.args else exc
    with language(lang):
        return _(WARNING_AS_ERROR).format(command=command, message=say(said))


def said_error(command: str, exc: PerfsimError, lang: str = "en") -> str:
    """The line a user error prints: ``perfsim COMMAND: error: …``, in the command's ``--lang``.
    An error is raised in English; in another language each of its messages written from a
    template of :data:`perfsim.scenario.errors.ERRORS` is said again (the file, the key and the
    value as they are), any other message stays English."""
    if lang == "en":
        return f"perfsim {command}: error: {exc}"
    from ..i18n import gettext as _
    from ..i18n import language
    from ..scenario import ScenarioError

    with language(lang):
        if isinstance(exc, ScenarioError):
            text = "\n".join(p.said(_said_message, _(": ")) for p in exc.problems)
        else:
            text = _said_message(str(exc))
        return _("perfsim {command}: error: {message}").format(command=command, message=text)


def _said_message(text: str) -> str:
    """An error's message in the current language (:func:`said_error`); a ``{message}`` inside a
    template (a hint added to a message) and a ``{source}`` (a file run with ``--set`` or on a
    world) are said again in turn, a ``{kind}`` or ``{where}`` of
    :data:`~perfsim.scenario.errors.WORDS` translated, the other values kept."""
    from ..i18n import gettext as _
    from ..i18n import template_fields
    from ..scenario.errors import ERRORS, WORDS

    found = template_fields(text, ERRORS.values())
    if found is None:
        return _(text) if text in WORDS else text  # (a word such as the source "command line")
    template, values = found
    said = {k: _said_message(v) if k in _SAID_AGAIN else v for k, v in values.items()}
    said |= {
        k: _(v.strip("'"))  # (a folder's kind may come quoted: 'run')
        for k, v in values.items()
        if k in ("kind", "where", "found", "encoding") and v.strip("'") in WORDS
    }
    if "choices" in said:  # pydantic's list: 'a', 'b' or 'c'
        said["choices"] = _(", ").join(re.findall(r"'[^']*'", values["choices"]))
    return _(template).format(**said)


#: the fields of an error's template that hold text of their own, said again in turn (a hint
#: added to a message, a file run with --set or on a world, a table's line or row, the missing
#: columns of a table, where a run's memory limit comes from, what a damaged result file lacks
#: and what to do about it)
_SAID_AGAIN = ("message", "source", "hint", "row", "missing", "limit_source", "why", "again")


def run() -> None:
    """The ``perfsim`` command: :func:`main`, then exit with its code. After Ctrl-C the process
    ends at once (``os._exit``, the streams flushed): everything perfsim holds was released when
    the interrupt unwound (folder locks, chunk files, workers terminated), but the interpreter's
    own exit joins the worker pool's manager thread, and a worker terminated while it was sending
    a result can leave that thread reading a message that never ends (seen once in four CI runs:
    the command printed "interrupted" and then hung)."""
    stopped_by = _stop_on_termination()
    try:
        code = main()
    except KeyboardInterrupt:  # (while the command's options were built: nothing to release)
        print(_interrupted("en"), file=sys.stderr)
        code = 130
    if code != 130:
        sys.exit(code)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(128 + stopped_by[0] if stopped_by else 130)


def _stop_on_termination() -> list[int]:
    """SIGTERM (``kill``, a batch scheduler's time limit) and SIGHUP (the terminal closed) stop
    the command as Ctrl-C does: its workers are terminated, a sensitivity run keeps its finished
    chunks and says how to resume, and nothing half-written is left. Without this the process
    died on the spot. The command then exits with 128 + the signal's number, as a shell reports a
    process the signal ended (143 for SIGTERM). Returns the list that records the signal. A
    signal this process was started ignoring (``nohup``) stays ignored."""
    received: list[int] = []

    def stop(signum: int, frame: object) -> None:
        received.append(signum)
        raise KeyboardInterrupt

    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)  # Windows has no SIGHUP
        if number is not None and signal.getsignal(number) is signal.SIG_DFL:
            signal.signal(number, stop)
    return received


__all__ = ["COMMANDS", "build_parser", "main", "run", "said_error"]
