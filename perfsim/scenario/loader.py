"""Load TOML scenarios into validated :class:`Scenario` objects, with located errors."""

from __future__ import annotations

import contextlib
import copy
import difflib
import hashlib
import json
import re
import threading
import tomllib
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from .bundled import BUNDLED_SCENARIOS
from .errors import LocatedValueError, Problem, ScenarioError, error, percent_hint
from .names import choice_hint, nearest
from .overrides import PERCENT, apply_overrides
from .schema import Scenario


def resolve_path(path: str | Path) -> Path:
    """A scenario path as given, or the name of a bundled scenario (``hangzhou-2011``,
    ``teaching/goodhart``); a path ``scenarios/…`` that does not exist here (the README's
    commands, run outside a checkout) is looked up among the bundled scenarios too, and so is
    a bundled data file (``scenarios/data/hangzhou-2011-units.csv``)."""
    p = Path(path)
    if p.exists():
        return p
    names = [p]
    if p.parts and p.parts[0] == "scenarios" and len(p.parts) > 1:
        names.append(Path(*p.parts[1:]))
    for name in names:
        for candidate in (BUNDLED_SCENARIOS / name, BUNDLED_SCENARIOS / f"{name}.toml"):
            if candidate.is_file():
                return candidate
    return p


def _not_found(p: Path, bundled: bool = True, table: str = "") -> str:
    """ "file not found", with the bundled scenario of the nearest name (``hangzhou2011``); of
    those that hold ``[table]`` when given (``杭州`` for an ``[uncertain]`` table: its file
    ``hangzhou-2011-uncertain``, not the scenario)."""
    files = sorted(BUNDLED_SCENARIOS.rglob("*.toml"))
    names = [q.relative_to(BUNDLED_SCENARIOS).with_suffix("").as_posix() for q in files]
    typed = p.with_suffix("").as_posix() if p.suffix == ".toml" else p.as_posix()
    close = _bundled_like(typed.removeprefix("scenarios/"), names)
    if table:  # the one holding the table, or a variant of the scenario meant that holds it
        heading = re.compile(rf"^\[{re.escape(table)}[\].]", re.M)
        held = [heading.search(q.read_text("utf-8")) for q in files]
        holding = [n for n, h in zip(names, held, strict=True) if h]
        close = _bundled_like(typed.removeprefix("scenarios/"), holding) or (
            close and _only([n for n in holding if n.startswith(close)])
        )
    key = ("not_found" if bundled else "own_not_found") if not close else None
    if not bundled:  # (a file of the user's own, such as an [uncertain] table)
        return error(key or "own_not_found_close", close=repr(close), cwd=Path.cwd())
    return error(key or "not_found_close", close=repr(close))


def _bundled_like(typed: str, names: list[str]) -> str | None:
    """The bundled scenario a name not found probably meant: the nearest name (``hangzhou2011``),
    or, for three letters or two Chinese characters and more, the one whose last part it begins
    (``goodhart`` for ``teaching/goodhart``, ``mlr`` for ``mlr-2011``) or whose English or
    Chinese name holds it (``杭州``, ``国土资源部``), when that one is the only such (or the others
    are its variants: ``hangzhou-2011-uncertain`` beside ``hangzhou-2011``)."""
    close = nearest(typed, names, cutoff=0.7)
    chinese = sum(1 for ch in typed if "\u4e00" <= ch <= "\u9fff")
    if close or (len(typed.strip()) < 3 and chinese < 2):
        return close
    ordered = sorted(names, key=lambda n: (n.count("/"), len(n), n))  # (the plainest first)
    found = _only([n for n in ordered if n.rsplit("/", 1)[-1].startswith(typed)])
    return found or _only([n for n in ordered if _named(n, typed)])


def _only(found: list[str]) -> str | None:
    """The first of ``found`` when every other one is a variant of it (its name and more)."""
    if found and all(n.startswith(found[0]) for n in found[1:]):
        return found[0]
    return None


def _named(name: str, typed: str) -> bool:
    """Whether the bundled scenario ``name``'s English or Chinese name holds ``typed``."""
    try:
        meta = read_toml(BUNDLED_SCENARIOS / f"{name}.toml").get("meta", {})
    except (OSError, ScenarioError):
        return False
    said = [str(meta.get("name", ""))]
    said += [str(t.get("name", "")) for t in (meta.get("translations") or {}).values()]
    return any(typed.casefold() in text.casefold() for text in said if text)


def read_toml(path: str | Path, bundled: bool = True, table: str = "") -> dict:
    """Read a TOML file; a syntax error becomes a :class:`ScenarioError` naming the line. A missing
    file's error points to the bundled scenarios unless ``bundled`` is False, and suggests one
    that holds ``[table]`` when given."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([Problem(str(p), "", None, _not_found(p, bundled, table))]) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            [
                Problem(
                    str(p),
                    "",
                    None,
                    error("toml_not_utf8", reason=exc.reason, start=exc.start),
                )
            ]
        ) from None
    except IsADirectoryError:
        raise ScenarioError([Problem(str(p), "", None, error("toml_folder"))]) from None
    except OSError as exc:
        raise ScenarioError([Problem(str(p), "", None, f"cannot read: {exc.strerror}")]) from None
    return parse_toml(text.removeprefix("\ufeff"), str(p))


#: Tables of the TOML texts parsed last, by text (texts up to a megabyte). Parsing a long
#: commented scenario costs milliseconds (tomllib is pure Python), a deep copy of its table a tenth.
_TABLES: dict[str, dict] = {}
_TABLES_KEPT = 16
_TABLE_TEXT_MAX = 1 << 20
_CACHE_LOCK = threading.Lock()  # for the caches of this module


def parse_toml(text: str, source: str) -> dict:
    """Parse TOML text; errors (also nesting too deep for the parser) name ``source``. A text
    parsed before is not parsed again: the caller gets a fresh copy of its table."""
    with contextlib.suppress(KeyError, RecursionError):
        return copy.deepcopy(_TABLES[text])
    table = _parse_toml(text, source)
    if len(text) <= _TABLE_TEXT_MAX:
        with contextlib.suppress(RecursionError):  # too deep to copy: parse it each time
            kept = copy.deepcopy(table)
            with _CACHE_LOCK:
                if len(_TABLES) >= _TABLES_KEPT:
                    _TABLES.pop(next(iter(_TABLES)))
                _TABLES[text] = kept
    return table


def _parse_toml(text: str, source: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([Problem(source, "", None, _invalid_toml(text, exc))]) from None
    except RecursionError:
        raise ScenarioError([Problem(source, "", None, error("toml_too_deep"))]) from None


#: punctuation a Chinese keyboard types in place of TOML's own, and what TOML needs instead
_FULL_WIDTH_PUNCTUATION = {
    "，": ",",
    "＝": "=",
    "“": '"',
    "”": '"',
    "‘": "'",
    "’": "'",
    "［": "[",
    "］": "]",
    "｛": "{",
    "｝": "}",
    "。": ".",
    "．": ".",
    "：": "=",
    "＃": "#",
}


def _full_width_outside_strings(line: str) -> str | None:
    """The first full-width punctuation mark of ``line`` outside a quoted string or a comment
    (:data:`_FULL_WIDTH_PUNCTUATION`), or None."""
    quote = None
    for ch in line:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return None
        elif ch in _FULL_WIDTH_PUNCTUATION:
            return ch
    return None


_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９．－＋", "0123456789.-+")


def _typed_number_hint(line: str, line_no: int) -> str:
    """A hint for a value typed as a person would write it, not as TOML reads a number: with
    full-width digits (``０.５０``) or with a per cent sign (``40%``, ``40％``)."""
    key, sep, value = line.partition("=")
    value = value.split("#", 1)[0].strip()
    if not sep or not value or value[0] in "\"'[{":
        return ""
    percent = re.fullmatch(r"([+-]?\d+(?:\.\d+)?)\s*[%％]", value.translate(_FULL_WIDTH_DIGITS))
    if not percent and re.search("[０-９．－＋]", value):
        fixed = repr(value.translate(_FULL_WIDTH_DIGITS))
        return error("toml_full_digits", line=line_no, value=repr(value), fixed=fixed)
    if percent:
        number = float(percent.group(1))
        return error(
            "toml_percent", line=line_no, value=repr(value), number=f"{number:g}",
            share=f"{number / 100:g}",
        )  # fmt: skip
    return ""


#: Chinese words a user may write for the English keys of a table (a key of an [uncertain] entry
#: or of a rule), and the key TOML wants
_CHINESE_KEYS = {
    "名称": "name", "名字": "name", "范围": "range", "区间": "range", "分布": "distribution",
    "可选值": "choices", "选项": "choices", "整数": "integer", "均值": "mean", "标准差": "sd",
    "分组": "group", "满分": "full_marks", "标签": "label",
}  # fmt: skip


def _invalid_toml(text: str, exc: tomllib.TOMLDecodeError) -> str:
    """The error of a file that is no TOML: the parser's message and, for the common mistakes,
    a hint of its own (:func:`_toml_hint`), each from a template of the catalogue."""
    hint = _toml_hint(text, exc)
    if not hint:
        return error("invalid_toml", detail=str(exc))
    return error("invalid_toml_hint", detail=str(exc), hint=hint)


_HEADER = re.compile(r"\s*\[{1,2}[^\[\]=]+\]{1,2}\s*(#.*)?")
_KEY = re.compile(r"\s*(\"[^\"]*\"|'[^']*'|[^\s=#\[\]\"',]+)\s*=")


def _second_key(lines: list[str], stop: int) -> tuple[int, str] | None:
    """(line, key) of the first key written a second time in the table the parser stopped in
    (its second value may span lines: the parser stops at its end); keys compared without their
    quotes, lines inside a multi-line string skipped."""
    start = max((i for i in range(stop) if _HEADER.fullmatch(lines[i])), default=-1)
    seen: set[str] = set()
    inside = False  # within a multi-line string
    for i in range(start + 1, min(stop, len(lines))):
        key = None if inside else _KEY.match(lines[i])
        inside ^= (lines[i].count('"""') + lines[i].count("'''")) % 2 == 1
        name = key.group(1).strip("\"'") if key else None
        if name is not None and name in seen:
            return i + 1, key.group(1)
        if name is not None:
            seen.add(name)
    return None


def _toml_hint(text: str, exc: tomllib.TOMLDecodeError) -> str:
    """A hint for the most common mistakes: full-width punctuation typed on a Chinese keyboard
    (``，`` for ``,``, ``＝`` for ``=``, ``“”`` for ``"``, a ``；`` at the end of a line), a
    Chinese word for an English key (名称 for name), and an unquoted Chinese key."""
    match = re.search(r"line (\d+), column (\d+)", str(exc))
    if not match:
        return ""
    lines = text.splitlines()
    line_no, col = int(match.group(1)), int(match.group(2))
    line = lines[line_no - 1] if 0 < line_no <= len(lines) else ""
    typed = _typed_number_hint(line, line_no)
    if typed:
        return typed
    said = str(exc)
    if said.startswith("Cannot overwrite a value"):  # (the parser does not name the key)
        found = _second_key(lines, line_no)
        return error("toml_twice", line=found[0], name=found[1]) if found else ""
    if said.startswith("Cannot declare"):
        return error("toml_table_twice", line=line_no, table=line.split("#")[0].strip())
    if said.startswith("Illegal character '\\n'") and line.count('"') % 2:
        return error("toml_unclosed", line=line_no, text=repr(line.strip()))
    if 0 < col <= len(line) and line[col - 1] in "；;":  # where the parser stopped
        return error(
            "toml_semicolon", line=line_no, mark=repr(line[col - 1]), text=repr(line.strip())
        )
    mark = _full_width_outside_strings(line)
    if mark is not None:
        needed = repr(_FULL_WIDTH_PUNCTUATION[mark])
        return error(
            "toml_full_width", line=line_no, mark=repr(mark), needed=needed,
            text=repr(line.strip()),
        )  # fmt: skip
    if col - 1 < len(line) and not line[col - 1].isascii():
        key = re.match(r"[^\s.=\]\"']+", line[col - 1 :])
        name = key.group(0) if key else line[col - 1]
        if name in _CHINESE_KEYS and "=" in line[col - 1 :]:
            return error("toml_english_key", line=line_no, name=name, english=_CHINESE_KEYS[name])
        return error("toml_quote_key", name=name)
    return ""


def load_scenario(path: str | Path, overrides: Iterable[str] = ()) -> Scenario:
    """Read, override and validate a scenario file.

    >>> s = load_scenario("scenarios/hangzhou-2011.toml", ["rule.grading.quota.优秀=0.15"])
    """
    p = resolve_path(path)
    raw = read_toml(p)
    return scenario_from_dict(raw, source=str(p), overrides=overrides)


def scenario_from_dict(
    raw: Mapping[str, Any],
    *,
    source: str = "<dict>",
    overrides: Iterable[str] = (),
    label: str | None = None,
) -> Scenario:
    """Validate a raw scenario table (as read from TOML) after applying ``PATH=VALUE`` overrides.

    A ``[world]`` of only ``indicators``, ``raters`` or ``classes`` entries (no ``tasks``) is a
    *partial world*: entries (an indicator's loadings, a rater group) to add to a world given
    with ``--world`` (:mod:`perfsim.scenario.worlds`). It is kept in the raw table but not
    validated here, and the scenario has no world of its own.
    ``label`` names the source in error messages (default: ``source`` and the overrides)."""
    overrides = list(overrides)
    where = f"{source} --set" if label is None else label  # (a --variant's error names it)
    resolved = apply_overrides(raw, overrides, where) if overrides else dict(raw)
    if "rule" not in resolved:
        why = error("no_rule_table")
        if "uncertain" in resolved:
            why = error("uncertain_only", message=why, file=source)
        raise ScenarioError([Problem(source, "rule", None, why, False)])
    if label is None:
        label = (
            source if not overrides else error("with_set", source=source, sets=" ".join(overrides))
        )
    checked = {k: v for k, v in resolved.items() if not (k == "world" and is_partial_world(v))}
    try:
        scenario = Scenario.model_validate(checked)
    except ValidationError as exc:
        raise ScenarioError(validation_problems(exc, checked, label)) from None
    scenario._source = source
    scenario._raw = resolved
    scenario._label = label
    return scenario


#: The tables a partial world may hold: entries to add to the world given with ``--world``.
PARTIAL_WORLD_KEYS = frozenset({"indicators", "raters", "classes"})


def is_partial_world(world: Any) -> bool:
    """A non-empty ``[world]`` table without ``tasks`` that holds only ``indicators``, ``raters``
    or ``classes`` entries: additions to a world given with ``--world``."""
    return isinstance(world, Mapping) and bool(world) and set(world) <= PARTIAL_WORLD_KEYS


def scenario_source(scenario: Scenario) -> str:
    return scenario._source


def scenario_label(scenario: Scenario) -> str:
    """The scenario's source as its messages name it: the rule file, the world it runs on
    (``--world``) and the ``--set`` overrides it was loaded with."""
    return scenario._label or scenario._source


def scenario_world(scenario: Scenario) -> str | None:
    """The world (``--world``: a bundled name or a file, as given) the scenario was fitted to."""
    return scenario._world


def scenario_raw(scenario: Scenario) -> dict:
    """The resolved raw table (after overrides) that the scenario was validated from."""
    return scenario._raw if scenario._raw is not None else scenario.model_dump(mode="json")


def without_translations(raw: Mapping) -> dict:
    """A raw scenario table without the translations of its texts (``meta.translations``, and
    the uncertain inputs' ``translations``), which change no number: what identifies a run or an
    analysis (:func:`scenario_hash`)."""
    out = dict(raw)
    meta = raw.get("meta")
    if isinstance(meta, Mapping) and "translations" in meta:
        out["meta"] = {k: v for k, v in meta.items() if k != "translations"}
    uncertain = raw.get("uncertain")
    if isinstance(uncertain, Mapping):
        out["uncertain"] = {
            path: {k: v for k, v in spec.items() if k != "translations"}
            if isinstance(spec, Mapping)
            else spec
            for path, spec in uncertain.items()
        }
    return out


#: Hashes of the scenarios hashed last, by ``id(scenario)``: (scenario, hash); holding the scenario
#: keeps its id from being reused while the entry is kept.
_HASHES: dict[int, tuple[Scenario, str]] = {}
_HASHES_KEPT = 8


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of the resolved scenario (canonical JSON), to identify runs (computed once per
    scenario object: a scenario is immutable). The translations of its texts
    (``meta.translations``) are left out: they change no number, and a translation added to a
    scenario leaves the hashes of the runs made before it valid."""
    cached = _HASHES.get(id(scenario))
    if cached is not None and cached[0] is scenario:
        return cached[1]
    dumped = without_translations(scenario.model_dump(mode="json"))
    text = json.dumps(dumped, sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    with _CACHE_LOCK:
        if len(_HASHES) >= _HASHES_KEPT:
            _HASHES.pop(next(iter(_HASHES)))
        _HASHES[id(scenario)] = (scenario, digest)
    return digest


def validation_problems(exc: ValidationError, raw: Mapping, source: str) -> list[Problem]:
    """The errors of a pydantic validation as located problems of ``source``."""
    problems = []
    for err in exc.errors():
        loc = [str(x) for x in err["loc"]]
        ctx = err.get("ctx") or {}
        inner = ctx.get("error")
        if isinstance(inner, LocatedValueError):
            path = ".".join(loc + ([inner.path] if inner.path else []))
            problems.append(Problem(source, path, inner.value, str(inner), inner.has_value))
            continue
        path = ".".join(loc)
        kind = err["type"]
        if kind == "extra_forbidden":
            problems.append(Problem(source, path, err.get("input"), _unknown_key(loc), False))
        elif kind == "missing":
            problems.append(
                Problem(source, path, None, error("missing", what=_describe(loc)), False)
            )
        else:
            value = _lookup(raw, loc)
            problems.append(Problem(source, path, value, _message(err) + _value_hint(err, value)))
    return problems


def _value_hint(err: Mapping, value: Any) -> str:
    """What the value was probably meant to be: a share written as a percentage, or a choice
    written in Chinese or misspelt (:func:`perfsim.scenario.names.choice_hint`)."""
    if err["type"] == "literal_error" and isinstance(value, str):
        return choice_hint(value, re.findall(r"'([^']*)'", str(err.get("ctx", {}).get("expected"))))
    return _share_hint(err, value)


def _share_hint(err: Mapping, value: Any) -> str:
    """A hint when a share was written as a percentage: ``"20%"`` where a number is wanted, or
    ``20`` where a share at most 1 is (the command line's ``--set …=20%`` reads as 0.2; a file
    takes the number)."""
    message = _message(err)
    if isinstance(value, str) and message == error("number"):
        percent = PERCENT.fullmatch(value)
        if percent:
            share = float(percent.group(1)) / 100
            return _hint("share_file", share=f"{share:g}", value=repr(value.strip()))
    if (
        message.startswith(error("le", bound=1))
        and isinstance(value, int | float)
        and not isinstance(value, bool)
        and 1 < value <= 100
    ):
        return percent_hint("", value)
    return ""


def _hint(key: str, **values: object) -> str:
    """A hint added to a message: the template :data:`~perfsim.scenario.errors.ERRORS` ``key``
    without its ``{message}``."""
    return error(key, message="", **values)


def _message(err: Mapping) -> str:
    """pydantic's message in perfsim's words (:data:`~perfsim.scenario.errors.ERRORS`)."""
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    whole = {
        "Input should be a valid dictionary": "table",
        "Input should be a valid number": "number",
        "List should have at least 1 item": "empty",
    }
    bounds = {
        "Input should be greater than or equal to": "ge",
        "Input should be less than or equal to": "le",
        "Input should be greater than": "gt",
        "Input should be less than": "lt",
    }
    kinds = {
        "Input should be a valid string": "string",
        "Input should be a valid boolean": "boolean",
        "Input should be a valid list": "list",
    }
    if msg.startswith("Input should be a valid integer"):  # 2.0 or 2.5 where a count goes
        return error("integer_decimal" if isinstance(err.get("input"), float) else "integer")
    for old, key in whole.items():
        if msg.startswith(old):
            return error(key)
    for old, key in bounds.items():
        if msg.startswith(old):
            return error(key, bound=msg[len(old) :].strip())
    for old, key in kinds.items():
        if msg.startswith(old):
            return error(key) + msg[len(old) :]
    if msg.startswith("Input should be "):
        return error("choices", choices=msg[len("Input should be ") :])
    return msg


def _lookup(raw: Any, loc: list[str]) -> Any:
    node = raw
    for key in loc:
        if isinstance(node, Mapping) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return None
    return node


def _model_at(loc: list[str]) -> Any:
    """The schema type found at a location (models, dict values and list items are followed)."""
    node: Any = Scenario
    for key in loc:
        node = _unwrap(node)
        if isinstance(node, type) and issubclass(node, BaseModel):
            field = node.model_fields.get(key)
            if field is None:
                return None
            node = field.annotation
        elif typing.get_origin(node) is dict:
            node = typing.get_args(node)[1]
        elif typing.get_origin(node) is list:
            node = typing.get_args(node)[0]
        else:
            return None
    return _unwrap(node)


def _unwrap(tp: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _unwrap(args[0]) if len(args) == 1 else tp
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    return tp


def _unknown_key(loc: list[str]) -> str:
    parent = _model_at(loc[:-1])
    key = loc[-1]
    if isinstance(parent, type) and issubclass(parent, BaseModel):
        allowed = list(parent.model_fields)
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        where = ".".join(loc[:-1]) or "the top level"
        said = dict(close=repr(close[0]) if close else "", where=where, allowed=", ".join(allowed))
        kind = "unknown" if allowed else "unknown_none"
        return error(f"{kind}_close" if close else kind, **said)
    return error("unknown_bare")


def _describe(loc: list[str]) -> str:
    parent = _model_at(loc[:-1])
    if isinstance(parent, type) and issubclass(parent, BaseModel):
        field = parent.model_fields.get(loc[-1])
        if field is not None and field.description:
            return field.description
    return "this key is required"
