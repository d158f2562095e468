"""Translations of what perfsim writes for people (reports, figure labels, metric names).

Every sentence, heading, caption and label is written in English in the code, wrapped in
:func:`gettext` imported as ``_`` (or marked with :func:`N_` where it is looked up later), and translated through a
gettext message catalogue: ``perfsim/i18n/locale/<lang>/LC_MESSAGES/perfsim.po``. The ``.po``
file is the only place where a translation is written; it is compiled in memory the first time a
language is used (Babel's ``.po`` reader and ``.mo`` writer, then :class:`gettext.GNUTranslations`),
so a fresh install needs no build step and there is no ``.mo`` file to go stale.

The language is a context (:func:`language`), not an argument threaded through every function::

    with language("zh"):
        doc = build_document(...)   # every _() inside reads the Chinese catalogue

English is the source language: ``en`` needs no catalogue. A message missing from a catalogue is
shown in English (``tests/test_i18n.py`` checks that the Chinese catalogue has every message of the
code and of :mod:`perfsim.metric_registry`).
"""

from __future__ import annotations

import contextvars
import gettext as _gettext
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from .. import metric_registry
from ..phrases import N_, Named, Phrase, Phrases
from ..scenario import PerfsimError

__all__ = [
    "DOMAIN",
    "LANGUAGES",
    "LOCALE_DIR",
    "N_",
    "CJK_CHARS",
    "current_language",
    "gettext",
    "has_cjk",
    "html_lang",
    "join_sentences",
    "language",
    "metric_description",
    "metric_label",
    "metric_name",
    "metric_plain",
    "metric_undefined",
    "metric_unit",
    "ngettext",
    "po_path",
    "said_again",
    "say",
    "template_fields",
    "translations",
    "value",
]

DOMAIN = "perfsim"
LOCALE_DIR = Path(__file__).with_name("locale")
LANGUAGES = ("en", "zh")
"""Languages a report can be written in (``perfsim report --lang``); ``en`` is the source."""

#: what else a user may type for a language of :data:`LANGUAGES` (compared in lower case)
LANGUAGE_ALIASES = {
    "cn": "zh", "zh-cn": "zh", "zh_cn": "zh", "zh-hans": "zh", "zh_hans": "zh", "chinese": "zh",
    "中文": "zh", "汉语": "zh", "简体中文": "zh", "english": "en", "en-us": "en", "en_us": "en",
    "en-gb": "en", "英文": "en", "英语": "en",
}  # fmt: skip


def language_code(text: str) -> str:
    """A language as typed (``cn``, ``zh-CN``, ``中文``) as its code in :data:`LANGUAGES` (``zh``);
    anything else as it is (for the caller to refuse)."""
    said = str(text).strip()
    low = said.lower()
    return LANGUAGE_ALIASES.get(low) or (low if low in LANGUAGES else said)


_HTML_LANG = {"en": "en", "zh": "zh-CN"}
_state: contextvars.ContextVar[tuple[str, _gettext.NullTranslations] | None] = (
    contextvars.ContextVar("perfsim_language", default=None)
)


def po_path(lang: str) -> Path:
    """The message catalogue of a language."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def _check(lang: str) -> str:
    if lang not in LANGUAGES:
        raise PerfsimError(
            f"language {lang!r} is not available; choose one of {', '.join(LANGUAGES)}"
        )
    return lang


@cache
def translations(lang: str) -> _gettext.NullTranslations:
    """The translations of a language, compiled from its ``.po`` catalogue (cached)."""
    if _check(lang) == "en":
        return _gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po_path(lang).open("rb") as f:
        catalog = read_po(f, locale=lang, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


@contextmanager
def language(lang: str) -> Iterator[None]:
    """Translate every :func:`_` called inside the block into ``lang``."""
    token = _state.set((lang, translations(lang)))
    try:
        yield
    finally:
        _state.reset(token)


def current_language() -> str:
    state = _state.get()
    return state[0] if state else "en"


def html_lang() -> str:
    """The current language as an HTML ``lang`` attribute (``zh-CN`` for Chinese)."""
    return _HTML_LANG[current_language()]


def gettext(message: str) -> str:
    """``message`` in the current language (itself in English, or if not translated). Import it
    as ``_`` (``from perfsim.i18n import gettext as _``): the catalogue tools find ``_(...)``."""
    state = _state.get()
    return state[1].gettext(message) if state else message


_ = gettext


def ngettext(singular: str, plural: str, n: int) -> str:
    state = _state.get()
    if state:
        return state[1].ngettext(singular, plural, n)
    return singular if n == 1 else plural


#: CJK ideographs, kana, hangul and full-width forms, as the ranges of a regex character class
CJK_CHARS = "\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef"
_CJK_RE = re.compile(f"[{CJK_CHARS}]")


def translated_name(meta: Mapping | None) -> str | None:
    """A scenario's name in the current language (``meta.translations.<lang>.name`` of its
    ``meta`` table), or None when it has none."""
    translations = (meta or {}).get("translations") or {}
    return (translations.get(current_language()) or {}).get("name") or None


def has_cjk(text: str) -> bool:
    """True if ``text`` has a CJK ideograph, kana, hangul or full-width character."""
    return bool(_CJK_RE.search(text))


#: what a field of a template must hold when it has one of these names (:func:`template_fields`;
#: any other field: any text): a count or a line is a whole number, so that "{names} and {more}
#: more" does not end the names at a name's own " and "; a bound is a number, so that "must be ≤
#: {bound}" does not take "≤ 1000 output units …" for a bound; choices are a quoted list
#: ('a', 'b' or 'c'), not pydantic's other "must be a valid integer, …"
_FIELDS = {
    "more": r"\d+",
    "line": r"\d+",
    "bound": r"[-+]?\d[\d.]*(?:e[-+]?\d+)?",
    "choices": r"'.*'",
    # a sensitivity input's name may hold brackets ("gaming cost (key targets)"): balanced ones,
    # so that the bracket after it in a template is the template's
    "input": r"(?:[^()（）]|[(（][^()（）]*[)）])+",
    # a memory size (perfsim.budget): a number and its unit, so that the unit stays with it
    "memory": r"\S+ (?:TB|GB|MB|bytes)",
}


def template_fields(text: str, templates) -> tuple[str, dict[str, str]] | None:
    """The template of ``templates`` (``{name}`` placeholders) that ``text`` was written from in
    English, and the values it filled in; None for any other text. A record keeps a sentence in
    English; a report says it again in its own language: ``_(template).format(**fields)``."""
    for template in templates:
        parts = re.split(r"\{(\w+)\}", template)  # literal, name, literal, name, ..., literal
        pattern, named = "", set()
        for i, part in enumerate(parts):
            if i % 2 == 0:
                pattern += re.escape(part)
            else:  # a name given again holds the same value; a count or a line is a number
                value = _FIELDS.get(part, ".+?")
                pattern += f"(?P={part})" if part in named else f"(?P<{part}>{value})"
                named.add(part)
        found = re.fullmatch(pattern, text, re.S)
        if found:
            return template, found.groupdict()
    return None


def said_again(text: str, templates, inner=None) -> str:
    """A sentence a record keeps in English, in the current language: matched back to the
    template of ``templates`` it was written from (:func:`template_fields`) and the translated
    template filled with its values, each said again by ``inner`` (default: this function with
    the same templates; a value can hold another sentence); any other text translated whole
    when the catalogue has it, else as recorded (a name from the user's files)."""
    templates = list(templates)
    found = template_fields(text, templates)
    if found is None:
        return _(text)
    template, values = found
    again = inner or (lambda v: said_again(v, templates))
    return _(template).format(**{k: again(v) for k, v in values.items()})


def say(text: object) -> str:
    """A :class:`perfsim.phrases.Phrase` (or :class:`~perfsim.phrases.Phrases`) in the current
    language: its translated template filled with its values, each said again the same way; a
    plain value as it is (a number, a name from the user's files)."""
    if isinstance(text, Phrase):
        if not text.values:
            return _(text.template)
        return _(text.template).format(**{k: say(v) for k, v in text.values.items()})
    if isinstance(text, Phrases):
        return _(text.sep).join(say(item) for item in text.items)
    if isinstance(text, Named):
        return text.names.get(current_language()) or _(text.name)
    return str(text)


_SENTENCE_GAP = {"zh": ""}  # Chinese sentences end in 。 and need no space after it


def join_sentences(items: Sequence[str]) -> str:
    """Whole sentences as one paragraph: a space between them, none in Chinese."""
    return _SENTENCE_GAP.get(current_language(), " ").join(s.strip() for s in items if s.strip())


_VALUES = {
    "higher": N_("higher"),
    "lower": N_("lower"),
    "better": N_("better"),
    "worse": N_("worse"),
    "slightly better": N_("slightly better"),
    "slightly worse": N_("slightly worse"),
    "no detectable difference": N_("no detectable difference"),
    "no practical difference": N_("no practical difference"),
    "not comparable": N_("not comparable"),
    "reference": N_("reference"),
    "none": N_("none"),
}


def value(text: str) -> str:
    """A word that results tables write (a better direction, a verdict) in the current language;
    ``"—"`` for an empty cell; any other text unchanged (a name from the user's files)."""
    if not text:
        return "—"
    return _(_VALUES[text]) if text in _VALUES else text


def _family(name: str) -> tuple[metric_registry.Metric | None, dict[str, str]]:
    """The registry record behind a metric name, unformatted for a family such as
    ``effective_weight:<component>`` (:data:`perfsim.metric_registry.FAMILIES`), and the values
    to fill in."""
    prefix, sep, member = name.partition(":")
    if sep and prefix in metric_registry.FAMILIES:
        return metric_registry.FAMILIES[prefix], {"component": member}
    return metric_registry.METRICS.get(name), {}


def _text(text: str, fill: dict[str, str]) -> str:
    return _(text).format(**fill) if text else ""


def metric_label(name: str) -> str:
    """Short plain-language name of a metric in the current language; the name if unknown."""
    record, fill = _family(name)
    if record is None:
        return name
    return _(record.label).format(**fill) if fill else _(record.label)


def metric_name(name: str) -> str:
    """A metric as a table shows it: its name in English (the name is what files and the CLI
    use), its translated label and the name in another language (``排名保真度（Kendall τ）
    （kendall_tau）``)."""
    if current_language() == "en" or metric_label(name) == name:
        return name
    return gettext("{label} ({name})").format(label=metric_label(name), name=name)


def metric_description(name: str) -> str:
    """One-line meaning of a metric in the current language; ``""`` if unknown."""
    record, fill = _family(name)
    if record is None:
        return ""
    return _(record.description).format(**fill) if fill else _(record.description)


def metric_plain(name: str) -> str:
    """What a metric's number means in plain words (its ``plain`` text, else its description),
    in the current language; ``""`` if unknown."""
    record, fill = _family(name)
    if record is None:
        return ""
    return _text(record.plain or record.description, fill)


def metric_undefined(name: str) -> str:
    """When a metric has no value (its ``undefined_when``), in the current language; ``""`` when
    it is always defined or unknown."""
    record, fill = _family(name)
    return _text(record.undefined_when, fill) if record is not None else ""


def metric_unit(name: str, default: str = N_("units")) -> str:
    """Unit and scale of a metric for an axis label, in the current language."""
    record, _fill = _family(name)
    if record is None:
        return _(default)
    return ", ".join(_(p) for p in (record.unit, record.scale) if p)


@cache
def _metrics_by_label() -> dict[str, str]:
    """Each metric's label in every language perfsim speaks, and that label without its bracketed
    tail ("排名保真度" of "排名保真度（Kendall τ）") where no other metric shares it → its name."""
    found: dict[str, set[str]] = {}
    for lang in LANGUAGES:
        with language(lang):
            for name in metric_registry.METRICS:
                label = metric_label(name).strip()
                short = re.sub(r"\s*[(（][^()（）]*[)）]$", "", label)
                for text in {label, short}:
                    found.setdefault(text.casefold(), set()).add(name)
    return {text: next(iter(names)) for text, names in found.items() if len(names) == 1}


def metric_named(text: str, available: Sequence[str] = ()) -> str:
    """The metric a user named on the command line: its name (``class_bias``), or its label in
    a language perfsim speaks, as tables and summaries show it (``类别偏差``, ``class bias``); the
    text as given when it names none (the caller's check then says what the metrics are), or when
    it is one of ``available`` as it is (a model's own output called "evaluation cost")."""
    given = text.strip()
    if given in metric_registry.METRICS or ":" in given or given in available:
        return given
    return _metrics_by_label().get(given.casefold(), given)
