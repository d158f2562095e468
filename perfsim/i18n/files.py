"""Commented TOML files (the starter files of ``perfsim new``) in another language.

A starter file is written once, in English (:mod:`perfsim.scenario.templates`); its keys and numbers
are the model and are never translated. What a reader reads is: the comments, and the texts of
``name``, ``description``, ``label`` and ``assumptions``. :func:`file_messages` lists them as
messages of the catalogue (:mod:`perfsim.i18n.catalogue` adds them to each ``.po`` file, the only
place where their translations are written) and :func:`translated_file` puts the translations in
place:

* a paragraph of whole-line comments (``# …`` lines up to a bare ``#`` or a code line) is one
  message, its lines joined by spaces; its translation may hold line breaks, each line written as
  a comment of its own (an untranslated paragraph keeps its lines);
* a comment line indented in its comment (``#   perfsim run …``, a command with its explanation)
  is a message of its own, as is a comment after a key (``scale = 4   # …``), whose translation
  stays on that line;
* the quoted text of a ``name``, ``description`` or ``label`` key, and each of ``assumptions``.

A text the catalogue lacks stays English. Templates keep their ``{file}`` and ``{{ }}`` fields:
translate first, then fill them in.
"""

from __future__ import annotations

import json
import re

from . import gettext as _

__all__ = ["file_messages", "translated_file"]

#: keys whose quoted text is read by people (translated)
_TEXT_KEYS = ("name", "description", "label")
_TEXT = re.compile(r'^(?P<key>\w+)(?P<eq>\s*=\s*)"(?P<text>[^"]*)"(?P<rest>.*)$')
_LIST = re.compile(r"^(?P<key>assumptions)(?P<eq>\s*=\s*)\[(?P<items>.*)\](?P<rest>.*)$")
#: a comment after code: two or more spaces, then ``# `` (not a ``#`` inside a quoted key)
_INLINE = re.compile(r"^(?P<code>[^#]*?\S)(?P<gap>\s{2,})# (?P<text>.+)$")


def _is_paragraph_line(line: str) -> bool:
    """A whole-line comment that belongs to a paragraph (not a bare ``#``, not indented)."""
    return line.startswith("# ") and not line.startswith("#  ")


def file_messages(text: str) -> list[str]:
    """The messages of a commented TOML file (module docstring), in order."""
    found: list[str] = []

    def record(message: str) -> str:
        found.append(message)
        return message

    _walk(text, record)
    return list(dict.fromkeys(found))


def translated_file(text: str) -> str:
    """The file with its comments and texts in the current language (module docstring)."""
    return _walk(text, _)


def _walk(text: str, say) -> str:
    """The file with each message replaced by ``say(message)``."""
    out: list[str] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if _is_paragraph_line(line):
            start = i
            while i < len(lines) and _is_paragraph_line(lines[i]):
                i += 1
            message = " ".join(part[2:].strip() for part in lines[start:i])
            said = say(message)
            if said == message:  # (untranslated: the lines as written)
                out += lines[start:i]
            else:
                out += [f"# {part}".rstrip() for part in said.split("\n")]
            continue
        if line.startswith("#  "):
            out.append(f"#   {say(line[1:].strip())}")
        else:
            out.append(_line(line, say))
        i += 1
    return "\n".join(out)


def _line(line: str, say) -> str:
    """A code line with its text value and its comment said again."""
    code, comment = line, ""
    inline = _INLINE.match(line)
    if inline and '"' not in inline["text"]:
        code, comment = inline["code"], f"{inline['gap']}# {say(inline['text'])}"
    text = _TEXT.match(code)
    if text and text["key"] in _TEXT_KEYS and text["text"]:
        said = json.dumps(say(text["text"]), ensure_ascii=False)
        code = f"{text['key']}{text['eq']}{said}{text['rest']}"
    listed = _LIST.match(code)
    if listed:
        items = [json.loads(item) for item in re.findall(r'"[^"]*"', listed["items"])]
        said = ", ".join(json.dumps(say(item), ensure_ascii=False) for item in items)
        code = f"{listed['key']}{listed['eq']}[{said}]{listed['rest']}"
    return code + comment
