"""The report's small document model (headings, paragraphs, lists, code, tables, figures) and its
two renderers: self-contained HTML (inline CSS, figures as base64 PNGs, no script, no outside link;
all text escaped) and Markdown (figures linked in ``figures/``; ``<`` escaped)."""

from __future__ import annotations

import base64
import html
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..i18n import gettext as _
from ..i18n import html_lang
from ..plotting.style import SavedFigure

__all__ = ["Block", "Document", "Table", "render_html", "render_markdown"]

_STRONG = {"differs", "better", "best"}  # cell classes shown in bold in Markdown


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    classes: list[list[str]] | None = None  # CSS class per cell ("" = none); bold in Markdown
    caption: str = ""
    css: str = ""


@dataclass
class Block:
    kind: str  # h1 h2 h3 p ul pre table figure
    content: Any
    ident: str = ""


@dataclass
class Document:
    title: str
    blocks: list[Block] = field(default_factory=list)

    def add(self, kind: str, content: Any, ident: str = "") -> None:
        self.blocks.append(Block(kind, content, ident))


#: the mark before a verdict cell of these classes (the HTML style sheet's ::before, and Markdown)
_MARKS = {"better": "▲ ", "worse": "▼ "}

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK SC",
  "Microsoft YaHei", "PingFang SC", sans-serif; color: #111; background: #fff; margin: 0;
  line-height: 1.45; }
main { max-width: 1320px; margin: 0 auto; padding: 1.5rem 1.25rem 4rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.25rem; border-bottom: 2px solid #111; padding-bottom: .15rem; margin-top: 2.2rem; }
h3 { font-size: 1.05rem; margin-top: 1.4rem; }
.subtitle { color: #444; margin-top: 0; }
nav ul { columns: 2; padding-left: 1.2rem; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: .88rem; }
caption { caption-side: bottom; text-align: left; font-size: .8rem; color: #444; padding-top: .3rem; }
th, td { border: 1px solid #999; padding: .25rem .5rem; vertical-align: top; text-align: left;
  overflow-wrap: anywhere; }
thead th { background: #e8e8e8; min-width: 5em; }
tbody th { font-weight: 600; background: #f6f6f6; min-width: 7em; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table:not(.wide) td.num { white-space: nowrap; }
table.wide td.num { overflow-wrap: normal; }
td.differs { background: #fff0b3; font-weight: 700; box-shadow: inset 4px 0 0 #111; }
td.better { font-weight: 700; }
td.worse { font-style: italic; }
td.best { font-weight: 700; text-decoration: underline; }
td.mono, table.repro td { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .82rem; }
figure { margin: 1rem 0 2rem; break-inside: avoid; }
figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { font-size: .88rem; color: #333; margin-top: .35rem; }
pre { background: #f4f4f4; border: 1px solid #ccc; padding: .6rem .8rem; overflow-x: auto;
  font-size: .82rem; white-space: pre; }
.summary { background: #f4f4f4; border-left: 4px solid #111; padding: .5rem .9rem; }
@media print {
  @page { size: A4 landscape; margin: 12mm; }
  body { font-size: 10pt; }
  nav { display: none; }
  main { max-width: none; margin: 0; padding: 0; }
  h2, h3 { break-after: avoid; }
  .scroll { overflow: visible; }
  table { width: 100%; table-layout: auto; font-size: 7.5pt; }
  th, td { padding: 1pt 3pt; overflow-wrap: anywhere; }
  thead th { min-width: 0; }
  tbody th { min-width: 8em; overflow-wrap: normal; word-break: break-all; }
  table:not(.wide) td.num { white-space: normal; }
  td.num { overflow-wrap: normal; }
  table.metrics td:nth-child(3) { white-space: nowrap; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
  pre { white-space: pre-wrap; overflow-wrap: anywhere; overflow: visible; }
  figure img { max-height: 140mm; width: auto; max-width: 100%; }
}
""" + "".join(f'td.{k}::before {{ content: "{m}"; }}\n' for k, m in _MARKS.items())


def _figure_label(n: int, title: str) -> str:
    """``Figure 3. Grade confusion.`` in the current language."""
    return _("Figure {n}. {title}.").format(n=n, title=title)


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _png_size(data: bytes) -> tuple[int, int] | None:
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        return struct.unpack(">II", data[16:24])
    return None


def _html_table(t: Table) -> str:
    css = f"{t.css} wide".strip() if len(t.header) > 6 else t.css  # cells of a wide table wrap
    out = [f'<div class="scroll"><table class="{_esc(css)}">']
    if t.caption:
        out.append(f"<caption>{_esc(t.caption)}</caption>")
    out.append("<thead><tr>" + "".join(f'<th scope="col">{_esc(h)}</th>' for h in t.header))
    out.append("</tr></thead><tbody>")
    for i, row in enumerate(t.rows):
        cells = []
        for j, cell in enumerate(row):
            cls = t.classes[i][j] if t.classes else ""
            attr = f' class="{_esc(cls)}"' if cls else ""
            tag = "th" if j == 0 else "td"
            scope = ' scope="row"' if j == 0 else ""
            text = _esc(cell).replace("\n", "<br>")  # (a cell of several lines)
            cells.append(f"<{tag}{scope}{attr}>{text}</{tag}>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table></div>")
    return "\n".join(out)


def render_html(doc: Document) -> str:
    heads = [b for b in doc.blocks if b.kind == "h2" and b.ident]
    nav = "".join(f'<li><a href="#{_esc(b.ident)}">{_esc(b.content)}</a></li>' for b in heads)
    parts = []
    n_fig = 0
    for b in doc.blocks:
        ident = f' id="{_esc(b.ident)}"' if b.ident else ""
        if b.kind in ("h1", "h2", "h3"):
            parts.append(f"<{b.kind}{ident}>{_esc(b.content)}</{b.kind}>")
            if b.kind == "h1" and nav:
                parts.append("__NAV__")
        elif b.kind == "p":
            parts.append(f"<p{ident}>{_esc(b.content)}</p>")
        elif b.kind == "summary":
            parts.append(f'<p class="summary"{ident}>{_esc(b.content)}</p>')
        elif b.kind == "subtitle":
            parts.append(f'<p class="subtitle"{ident}>{_esc(b.content)}</p>')
        elif b.kind == "ul":
            items = "".join(f"<li>{_esc(x)}</li>" for x in b.content)
            parts.append(f"<ul{ident}>{items}</ul>")
        elif b.kind == "pre":
            parts.append(f"<pre{ident}><code>{_esc(b.content)}</code></pre>")
        elif b.kind == "table":
            parts.append(_html_table(b.content))
        elif b.kind == "figure":
            n_fig += 1
            f: SavedFigure = b.content
            data = f.png.read_bytes()
            size = _png_size(data)
            dims = f' width="{size[0]}" height="{size[1]}"' if size else ""
            src = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
            parts.append(
                f'<figure id="fig-{_esc(f.stem)}"><img src="{src}" alt="{_esc(f.alt)}"{dims}>'
                f"<figcaption><strong>{_esc(_figure_label(n_fig, f.title))}</strong> "
                f"{_esc(f.caption)}</figcaption></figure>"
            )
    contents = _esc(_("Contents"))
    body = "\n".join(parts).replace("__NAV__", f'<nav aria-label="{contents}"><ul>{nav}</ul></nav>')
    return (
        f'<!DOCTYPE html>\n<html lang="{html_lang()}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="perfsim">\n'
        f"<title>{_esc(doc.title)}</title>\n<style>{_CSS}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def _md_text(text: object) -> str:
    """Markdown text: ``<`` is escaped so that no text from the folder becomes HTML."""
    return str(text).replace("<", "&lt;")


def _md_cell(text: object, strong: bool, classes: str = "") -> str:
    cell = _md_text(text).replace("|", "\\|").replace("\n", " ").strip()
    mark = next((m for k, m in _MARKS.items() if k in classes.split()), "") if cell else ""
    return f"**{mark}{cell}**" if strong and cell else f"{mark}{cell}"


def render_markdown(doc: Document, folder: Path | None = None) -> str:
    """The Markdown report; each figure linked by its path relative to ``folder`` (the result
    folder the report is written into; None: ``figures/<name>``)."""
    out: list[str] = []
    n_fig = 0
    for b in doc.blocks:
        if b.kind == "h1":
            out.append(f"# {_md_text(b.content)}")
        elif b.kind == "h2":
            out.append(f"## {_md_text(b.content)}")
        elif b.kind == "h3":
            out.append(f"### {_md_text(b.content)}")
        elif b.kind in ("p", "subtitle"):
            out.append(_md_text(b.content))
        elif b.kind == "summary":
            out.append("> " + _md_text(b.content))
        elif b.kind == "ul":
            out.append("\n".join(f"- {_md_text(x)}" for x in b.content))
        elif b.kind == "pre":
            out.append(f"```sh\n{b.content}\n```")
        elif b.kind == "table":
            t: Table = b.content
            lines = ["| " + " | ".join(_md_cell(h, False) for h in t.header) + " |"]
            lines.append("|" + "---|" * len(t.header))
            for i, row in enumerate(t.rows):
                cls = t.classes[i] if t.classes else [""] * len(row)
                cells = [
                    _md_cell(c, j > 0 and bool(_STRONG & set(k.split())), k)
                    for j, (c, k) in enumerate(zip(row, cls, strict=True))
                ]
                lines.append("| " + " | ".join(cells) + " |")
            if t.caption:
                lines.append("")
                lines.append(f"*{_md_text(t.caption)}*")
            out.append("\n".join(lines))
        elif b.kind == "figure":
            n_fig += 1
            f: SavedFigure = b.content
            svg = f" ([SVG]({_link(f.svg, folder)}))" if f.svg and Path(f.svg).is_file() else ""
            out.append(
                f"![{_md_text(f.alt)}]({_link(f.png, folder)})\n\n"
                f"*{_md_text(_figure_label(n_fig, f.title))}* {_md_text(f.caption)}{svg}"
            )
    return "\n\n".join(out) + "\n"


def _link(path: Path, folder: Path | None) -> str:
    """A figure file's link from a report in ``folder`` (``figures/<name>`` when the figure is
    not inside it, or no folder is given)."""
    where = Path(path).resolve()
    if folder is not None and where.is_relative_to(Path(folder).resolve()):
        return where.relative_to(Path(folder).resolve()).as_posix()
    return f"figures/{where.name}"
