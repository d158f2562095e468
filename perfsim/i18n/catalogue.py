"""Keeping the message catalogues in step with the code: every message the code marks with
``_``/``N_``/``ngettext`` (found by Babel's extractor), every text of
:mod:`perfsim.metric_registry` (label, description, unit, scale, plain meaning, when undefined)
and every comment and text of the starter files (:mod:`perfsim.i18n.files`) must be in each
``.po`` file.

``python -m perfsim.i18n.catalogue`` adds the messages that are missing to every catalogue (with an
empty translation, to be filled in), drops those the code no longer has, and lists what still needs a translation; the
test suite fails while any message has none."""

from __future__ import annotations

import sys
from pathlib import Path

from .. import metric_registry
from . import DOMAIN, LANGUAGES, po_path

__all__ = [
    "Message",
    "code_messages",
    "file_messages",
    "messages",
    "registry_messages",
    "untranslated",
    "update",
]

PACKAGE = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "gettext": None, "N_": None, "ngettext": (1, 2)}

Message = tuple[str, str | None]
"""(msgid, plural msgid or None)."""


def code_messages() -> list[Message]:
    """Every message marked in perfsim's code, in the order of the files."""
    from babel.messages.extract import extract_from_dir

    found: dict[str, str | None] = {}
    for _file, _line, msg, _comments, _context in extract_from_dir(
        str(PACKAGE), method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        if isinstance(msg, tuple):
            found.setdefault(msg[0], msg[1])
        else:
            found.setdefault(msg, None)
    return list(found.items())


def registry_messages() -> list[Message]:
    """The texts of every metric record and family record (label, description, unit, scale, plain
    meaning, when it is undefined): the catalogue translates them, no second registry."""
    texts: dict[str, None] = {}
    for m in [*metric_registry.METRICS.values(), *metric_registry.FAMILIES.values()]:
        for text in (m.label, m.description, m.unit, m.scale, m.plain, m.undefined_when):
            if text:
                texts.setdefault(text, None)
    return list(texts.items())


def file_messages() -> list[Message]:
    """The comments and texts of the starter files (:mod:`perfsim.scenario.templates`), which
    ``perfsim new --lang`` writes translated (:mod:`perfsim.i18n.files`)."""
    from ..scenario.templates import TEMPLATES
    from .files import file_messages as messages_of

    return [(m, None) for text in TEMPLATES.values() for m in messages_of(text)]


def messages() -> list[Message]:
    found = dict(code_messages())
    for msgid, plural in [*registry_messages(), *file_messages()]:
        found.setdefault(msgid, plural)
    return list(found.items())


def _read(lang: str):
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po

    path = po_path(lang)
    if not path.exists():
        return Catalog(locale=lang, domain=DOMAIN, project="perfsim")
    with path.open("rb") as f:
        return read_po(f, locale=lang, domain=DOMAIN)


def untranslated(lang: str) -> list[str]:
    """The messages of the code and the registry that ``lang``'s catalogue does not translate."""
    catalog = _read(lang)
    missing = []
    for msgid, plural in messages():
        entry = catalog.get(msgid if plural is None else msgid)
        strings = entry.string if entry is not None else None
        if isinstance(strings, tuple | list):
            ok = all(strings)
        else:
            ok = bool(strings)
        if entry is None or not ok or entry.fuzzy:
            missing.append(msgid)
    return missing


def update(lang: str) -> list[str]:
    """Add the missing messages to ``lang``'s catalogue (untranslated) and drop those the code no
    longer has; return the messages without a translation."""
    from babel.messages.pofile import write_po

    catalog = _read(lang)
    current = messages()
    wanted = {msgid for msgid, _plural in current}
    for entry in list(catalog):
        key = entry.id[0] if isinstance(entry.id, tuple) else entry.id
        if key and key not in wanted:  # no longer in the code
            catalog.delete(entry.id)
    for msgid, plural in current:
        if catalog.get(msgid) is None:
            catalog.add((msgid, plural) if plural else msgid, ("", "") if plural else "")
    path = po_path(lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, catalog, width=100, omit_header=False, no_location=True, sort_output=False)
    return untranslated(lang)


def main(argv: list[str] | None = None) -> int:
    status = 0
    for lang in argv or [x for x in LANGUAGES if x != "en"]:
        missing = update(lang)
        print(f"{po_path(lang)}: {len(missing)} message(s) without a translation")
        for msgid in missing:
            print(f"  {msgid}")
        status = status or int(bool(missing))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
