"""``build_report(run_dir)``: a self-contained HTML report and a Markdown report of a run folder.

The report is written for the people who decide on a rule, not for the simulation: it states the
scenario in words, sets the compared rules side by side, gives every metric with its Monte Carlo
uncertainty (for comparisons: the paired difference from the reference, its 95 % interval and a
verdict), sums the verdicts up in plain language, shows the figures of :mod:`.figures`, lists the
assumptions, and ends with what is needed to reproduce the numbers.

``report.html`` needs nothing but the file: CSS is inline, every figure is a base64 PNG, there is
no script and no link outside the page. ``report.md`` links the PNGs in ``figures/``. Both are
written to a temporary name and renamed into place. All text from the folder is escaped.
"""

from __future__ import annotations

import base64
import html
import json
import math
import re
import shlex
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import metric_registry
from ..io import atomic_write
from .figures import (
    RunFolder,
    SavedFigure,
    load_run,
    metric_description,
    nominal_shares,
    short_world,
    write_figures,
)
from .folder_check import check_result_folder

__all__ = ["build_report", "rerun_command"]

_STRONG = {"differs", "better", "best"}  # cell classes shown in bold in Markdown
_RESERVED_WEIGHT_KEYS = {"method", "by_class", "pairwise", "allow_inconsistent"}


# ---------------------------------------------------------------------------------------------
# A small document model, rendered to HTML and to Markdown


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


_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK SC",
  "Microsoft YaHei", "PingFang SC", sans-serif; color: #111; background: #fff; margin: 0;
  line-height: 1.45; }
main { max-width: 1150px; margin: 0 auto; padding: 1.5rem 1.25rem 4rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.25rem; border-bottom: 2px solid #111; padding-bottom: .15rem; margin-top: 2.2rem; }
h3 { font-size: 1.05rem; margin-top: 1.4rem; }
.subtitle { color: #444; margin-top: 0; }
nav ul { columns: 2; padding-left: 1.2rem; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: .88rem; }
caption { caption-side: bottom; text-align: left; font-size: .8rem; color: #444; padding-top: .3rem; }
th, td { border: 1px solid #999; padding: .25rem .5rem; vertical-align: top; text-align: left; }
thead th { background: #e8e8e8; }
tbody th { font-weight: 600; background: #f6f6f6; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.differs { background: #fff0b3; font-weight: 700; box-shadow: inset 4px 0 0 #111; }
td.better { font-weight: 700; }
td.better::before { content: "▲ "; }
td.worse { font-style: italic; }
td.worse::before { content: "▼ "; }
td.best { font-weight: 700; text-decoration: underline; }
.scroll { overflow-x: auto; }
figure { margin: 1rem 0 2rem; break-inside: avoid; }
figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { font-size: .88rem; color: #333; margin-top: .35rem; }
pre { background: #f4f4f4; border: 1px solid #ccc; padding: .6rem .8rem; overflow-x: auto;
  font-size: .82rem; white-space: pre; }
.summary { background: #f4f4f4; border-left: 4px solid #111; padding: .5rem .9rem; }
@media print { nav { display: none; } h2 { break-after: avoid; } }
"""


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _png_size(data: bytes) -> tuple[int, int] | None:
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        return struct.unpack(">II", data[16:24])
    return None


def _html_table(t: Table) -> str:
    out = [f'<div class="scroll"><table class="{_esc(t.css)}">']
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
            cells.append(f"<{tag}{scope}{attr}>{_esc(cell)}</{tag}>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table></div>")
    return "\n".join(out)


def _render_html(doc: Document) -> str:
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
                f"<figcaption><strong>Figure {n_fig}. {_esc(f.title)}.</strong> "
                f"{_esc(f.caption)}</figcaption></figure>"
            )
    body = "\n".join(parts).replace("__NAV__", f'<nav aria-label="Contents"><ul>{nav}</ul></nav>')
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="perfsim">\n'
        f"<title>{_esc(doc.title)}</title>\n<style>{_CSS}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def _md_text(text: object) -> str:
    """Markdown text: ``<`` is escaped so that no text from the folder becomes HTML."""
    return str(text).replace("<", "&lt;")


def _md_cell(text: object, strong: bool) -> str:
    cell = _md_text(text).replace("|", "\\|").replace("\n", " ").strip()
    return f"**{cell}**" if strong and cell else cell


def _render_md(doc: Document) -> str:
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
                    _md_cell(c, j > 0 and bool(_STRONG & set(k.split())))
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
            out.append(
                f"![{_md_text(f.alt)}](figures/{f.png.name})\n\n"
                f"*Figure {n_fig}. {_md_text(f.title)}.* {_md_text(f.caption)} "
                f"([SVG](figures/{f.svg.name}))"
            )
    return "\n\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------
# Number formatting


def _finite(x: Any) -> bool:
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def _decimals(se: float) -> int:
    if not _finite(se) or se <= 0:
        return -1
    return int(min(6, max(0, -math.floor(math.log10(se)) + 1)))


def _num(x: Any, decimals: int = -1, sign: bool = False) -> str:
    if not _finite(x):
        return "–"
    x = float(x)
    if x == 0:
        return "0"
    if decimals < 0:
        text = f"{x:+.4g}" if sign else f"{x:.4g}"
    else:
        text = f"{x:+.{decimals}f}" if sign else f"{x:.{decimals}f}"
    return text.replace("-", "−")


def _pm(mean: Any, se: Any) -> str:
    d = _decimals(float(se) if _finite(se) else float("nan"))
    if d < 0:
        return _num(mean) + (" ± 0" if _finite(se) else "")
    return f"{_num(mean, d)} ± {_num(se, d)}"


def _diff(diff: Any, se: Any, low: Any, high: Any) -> str:
    d = _decimals(float(se) if _finite(se) else float("nan"))
    if d < 0:
        return _num(diff, sign=True)
    return f"{_num(diff, d, True)} [{_num(low, d, True)}, {_num(high, d, True)}]"


def _pct(x: float) -> str:
    return f"{100 * x:.3g} %"


# ---------------------------------------------------------------------------------------------
# Scenario → rule table and rerun command


def _complete(raw: Mapping) -> dict:
    """The scenario with every default filled in (validated); the raw table if it no longer
    validates (an older or newer perfsim)."""
    try:
        from ..scenario import scenario_from_dict

        return scenario_from_dict(raw).model_dump(mode="json")
    except Exception:  # the report must not fail on a scenario this version cannot validate
        return dict(raw)


def rule_summary(scenario: Mapping) -> dict[str, str]:
    """Row label → plain description of each rule setting of a resolved scenario."""
    full = _complete(scenario)
    rule = full.get("rule") or {}
    world = full.get("world") or {}
    rows: dict[str, str] = {}
    for name, share in nominal_shares(full).items():
        rows[f"rater mix: {name}"] = _pct(share)
    norm = rule.get("normalize") or {}
    text = f"{norm.get('method', 'efficacy')}, {norm.get('scope', 'global')}"
    if norm.get("clip"):
        text += ", clipped"
    own = [
        f"{i}: {ind['normalize']}"
        for i, ind in (rule.get("indicators") or {}).items()
        if isinstance(ind, Mapping) and ind.get("normalize")
    ]
    rows["normalisation"] = text + (f" ({'; '.join(own)})" if own else "")
    weights = rule.get("weights") or {}
    text = str(weights.get("method", "fixed"))
    fixed = {
        k: v
        for k, v in weights.items()
        if k not in _RESERVED_WEIGHT_KEYS and isinstance(v, int | float) and not isinstance(v, bool)
    }
    if text == "fixed" and fixed:
        total = sum(fixed.values()) or 1.0
        text += ": " + ", ".join(f"{k} {v / total:.2f}" for k, v in fixed.items())
    if weights.get("by_class"):
        text += f"; per class (差别权重) for {', '.join(weights['by_class'])}"
    rows["indicator weights"] = text
    agg = rule.get("aggregate") or {}
    rows["aggregation"] = (
        f"indicators: {agg.get('indicators', 'weighted_sum')}; "
        f"components: {agg.get('components', 'weighted_sum')}"
    )
    adjustments = rule.get("adjustments") or {}
    if adjustments:
        rows["bonus / deduction points"] = ", ".join(
            f"{n} ({a.get('kind', 'bonus')}"
            + (f", cap {a['cap']:g}" if a.get("cap") is not None else "")
            + ")"
            for n, a in adjustments.items()
        )
    grading = rule.get("grading") or {}
    bands = list(grading.get("bands") or ["优秀", "良好", "合格", "不合格"])
    rows["grade bands"] = " > ".join(bands)
    quota = grading.get("quota") or {}
    rows["quotas"] = ", ".join(f"{b} ≤ {_pct(q)}" for b, q in quota.items()) or "none"
    thresholds = grading.get("thresholds") or {}
    rows["thresholds"] = ", ".join(f"{b} ≥ {t:g} points" for b, t in thresholds.items()) or "none"
    rows["grading scope"] = (
        f"{grading.get('scope', 'global')} (ties at a quota: {grading.get('ties', 'exclude')})"
    )
    veto = (rule.get("veto") or {}).get("columns") or []
    rows["veto (一票否决)"] = ", ".join(veto) or "none"
    audit = rule.get("audit") or {}
    p = float(audit.get("probability", 0.0) or 0.0)
    if p > 0:
        text = f"probability {_pct(p)}"
        if audit.get("fine_per_unit"):
            text += f", fine {audit['fine_per_unit']:g} per unit of gaming"
        if audit.get("penalty"):
            text += f", penalty {audit['penalty']:g}"
        if audit.get("veto"):
            text += ", detection triggers the veto"
        rows["audit"] = text
    else:
        rows["audit"] = "none"
    targets = rule.get("targets") or {}
    rows["targets"] = (
        f"ratchet, λ = {targets.get('ratchet', 0.5):g}"
        if targets.get("mode") == "ratchet"
        else "fixed"
    )
    rewards = rule.get("rewards") or {}
    rows["rewards (bonus by grade)"] = (
        ", ".join(f"{b} {float(rewards[b].get('bonus', 0)):+g}" for b in bands if b in rewards)
        or "none"
    )
    per_point = (rule.get("pay") or {}).get("per_point", 0.0)
    if per_point:
        rows["pay per point"] = f"{per_point:g}"
    rows["behaviour policy"] = str(world.get("policy", "—"))
    if world.get("departments") is not None:
        rows["departments"] = str(world.get("departments"))
    return rows


def _leaves(d: Any, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    if isinstance(d, Mapping) and (d or not prefix):
        out: dict[tuple[str, ...], Any] = {}
        for k, v in d.items():
            out.update(_leaves(v, (*prefix, str(k))))
        return out
    return {prefix: d}


def _differences(a: Mapping, b: Mapping) -> tuple[list[tuple[tuple[str, ...], Any]], list[str]]:
    """(path, value) where ``b`` differs from ``a`` or adds a key; and paths only ``a`` has."""
    la, lb = _leaves(a), _leaves(b)
    changed = [(p, v) for p, v in lb.items() if p not in la or la[p] != v]
    removed = [".".join(p) for p in la if p not in lb]
    return changed, removed


def _toml(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        short = f"{v:.12g}"
        return short if float(short) == v and ("." in short or "e" in short) else repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, Sequence):
        return "[" + ", ".join(_toml(x) for x in v) + "]"
    if isinstance(v, Mapping):
        return "{" + ", ".join(f"{_key(k)} = {_toml(x)}" for k, x in v.items()) + "}"
    return json.dumps(str(v), ensure_ascii=False)


def _key(k: str) -> str:
    return k if re.fullmatch(r"[^\s.\"'=,:\[\]{}]+", k) else json.dumps(k, ensure_ascii=False)


def _assignment(path: tuple[str, ...], value: Any) -> str:
    return ".".join(_key(p) for p in path) + "=" + _toml(value)


@dataclass
class Rerun:
    """A command that reproduces a folder, and what checking it against the files found."""

    command: str
    rebuilds: bool  # the command rebuilds every recorded scenario (meta aside) from the files
    same_hash: bool  # ... and this perfsim version gives them the recorded scenario hashes
    file_changes: int  # settings where the run's scenario differs from the file as it is now
    notes: list[str]


def _file_raw(source: str) -> dict | None:
    try:
        from ..scenario import read_toml, resolve_path

        path = resolve_path(source)
        return read_toml(path) if path.is_file() else None
    except Exception:  # unreadable now: the report says so
        return None


def _without_meta(d: Mapping) -> dict:
    return {k: v for k, v in d.items() if k != "meta"}


def _rebuilds(raw: Mapping, overrides: list[str], resolved: Mapping) -> bool:
    """Do the overrides, applied to a file's table, give the recorded scenario (meta aside: it
    does not change the numbers)?"""
    try:
        from ..scenario import apply_overrides

        rebuilt = apply_overrides(raw, overrides) if overrides else dict(raw)
    except Exception:  # an override no longer applies
        return False
    canon = lambda d: json.dumps(_without_meta(d), sort_keys=True, default=str)  # noqa: E731
    return canon(rebuilt) == canon(resolved)


def _fewest(raw: Mapping, fixed: list[str], args: list[str], resolved: Mapping) -> list[str]:
    """Drop the assignments that the others imply: members of a group that sums to one are
    rescaled when another member is set, so ``survey.share=0.2`` alone gives back
    ``target.share=0.8``. Long (unrounded) values are dropped first, then later ones."""
    if not _rebuilds(raw, fixed + args, resolved):
        return args
    order = sorted(range(len(args)), key=lambda i: (-len(args[i].split("=", 1)[1]), -i))
    keep = list(args)
    for i in order:
        trial = [a for a in keep if a != args[i]]
        if _rebuilds(raw, fixed + trial, resolved):
            keep = trial
    return keep


def _hash_of(raw: Mapping, overrides: list[str]) -> str | None:
    try:
        from ..scenario import scenario_from_dict, scenario_hash

        return scenario_hash(scenario_from_dict(raw, overrides=overrides))
    except Exception:  # does not validate any more
        return None


def _format_command(args: list[str]) -> str:
    """Shell-quoted, one option (with its value) per continued line."""
    lines: list[str] = []
    for arg in args:
        q = shlex.quote(arg)
        if arg.startswith("--") or not lines:
            lines.append(q)
        elif lines[-1].startswith("--") and " " not in lines[-1]:
            lines[-1] += f" {q}"
        else:
            lines[0 if len(lines) == 1 else -1] += f" {q}"
    return " \\\n    ".join(lines)


def rerun_command(run: RunFolder) -> Rerun:
    """The ``perfsim run`` or ``perfsim compare`` command that reproduces a folder, rebuilt from
    the recorded resolved scenarios: ``--set`` for each setting (outside ``meta``) where the run's
    scenario differs from the file as it is now (the run's own ``--set``, or later edits of the
    file), ``--variant`` for each variant of the reference, ``--across`` from the world names.

    The command is checked by applying it to the files: ``rebuilds`` says that it gives back
    every recorded scenario, ``same_hash`` that this perfsim version also gives the recorded
    scenario hashes (a new default in the scenario schema, or an edited ``meta``, changes them)."""
    meta, notes = run.metadata, []
    seed, reps = str(meta.get("seed", 0)), str(meta.get("reps", 100))
    sources = {}
    for rule in run.rules:
        try:
            sources[rule] = str(run.run_metadata(run.worlds[0], rule).get("scenario", ""))
        except OSError:
            sources[rule] = ""
    ref = run.reference
    resolved = run.scenarios
    ref_raw = _file_raw(sources[ref])
    if ref_raw is None:
        notes.append(
            f"The scenario file {sources[ref] or '(unknown)'} is not readable from here; the exact "
            "input is the resolved scenario in metadata.json."
        )
    base = ref_raw if ref_raw is not None else resolved[ref]
    sets, removed = _differences(_without_meta(base), _without_meta(resolved[ref]))
    set_args = [_assignment(p, v) for p, v in sets]
    if ref_raw is not None:
        set_args = _fewest(ref_raw, [], set_args, resolved[ref])
    if removed:
        notes.append(
            "The scenario file now has settings the run did not have ("
            + ", ".join(removed[:5])
            + "); overrides cannot remove them."
        )
    hashes = meta.get("scenario_hashes") or {ref: meta.get("scenario_hash")}
    ok = ref_raw is not None and _rebuilds(ref_raw, set_args, resolved[ref])
    same = ref_raw is not None and _hash_of(ref_raw, set_args) == hashes.get(ref)
    files, variants = [sources[ref] or "SCENARIO.toml"], []
    for rule in run.rules[1:]:
        if sources[rule] == sources[ref]:
            extra, gone = _differences(resolved[ref], resolved[rule])
            if gone:
                notes.append(f"Variant {rule} removes settings ({', '.join(gone[:5])}).")
            extra_args = [_assignment(p, v) for p, v in extra]
            if ref_raw is not None:
                extra_args = _fewest(ref_raw, set_args, extra_args, resolved[rule])
            variants.append(f"{rule}:" + ",".join(extra_args))
            ok = ok and _rebuilds(ref_raw, set_args + extra_args, resolved[rule])
            same = same and _hash_of(ref_raw, set_args + extra_args) == hashes.get(rule)
        else:
            files.append(sources[rule] or f"{rule}.toml")
            raw = _file_raw(sources[rule])
            ok = ok and raw is not None and _rebuilds(raw, set_args, resolved[rule])
            same = same and raw is not None and _hash_of(raw, set_args) == hashes.get(rule)
    across: dict[str, list[str]] = {}
    for world in run.worlds if run.kind == "comparison" and run.worlds != ["base"] else []:
        for item in world.split(", "):
            path, _, value = item.partition("=")
            values = across.setdefault(path, [])
            if value not in values:
                values.append(value)
    args = ["perfsim", run.kind if run.kind == "run" else "compare", *files]
    for v in variants:
        args += ["--variant", v]
    for path, values in across.items():
        args += ["--across", f"{path}={','.join(values)}"]
    for s in set_args:
        args += ["--set", s]
    args += ["--seed", seed, "--reps", reps, "--out", str(run.path)]
    return Rerun(_format_command(args), bool(ok), bool(same), len(set_args), notes)


# ---------------------------------------------------------------------------------------------
# Sections


def _meta(scenario: Mapping) -> dict:
    return dict(scenario.get("meta") or {})


def _scenario_section(doc: Document, run: RunFolder) -> None:
    doc.add("h2", "Scenario", "scenario")
    seen = set()
    for rule in run.rules:
        meta = _meta(run.scenarios.get(rule, {}))
        key = (meta.get("name"), meta.get("description"), tuple(meta.get("sources") or ()))
        if key in seen:
            continue
        seen.add(key)
        doc.add("h3", meta.get("name") or rule)
        doc.add("p", meta.get("description") or "The scenario gives no description.")
        if meta.get("sources"):
            doc.add("p", "Sources:")
            doc.add("ul", list(meta["sources"]))
    if run.kind == "comparison":
        doc.add("h3", "Rules compared")
        items = [f"{run.reference} — the reference"]
        for rule in run.rules[1:]:
            changed, _ = _differences(run.scenarios[run.reference], run.scenarios[rule])
            if changed and len(changed) <= 8:
                items.append(
                    f"{rule} — differs from the reference in "
                    + "; ".join(f"{'.'.join(p)} = {_toml(v)}" for p, v in changed)
                )
            else:
                items.append(f"{rule} — a separate scenario ({len(changed)} settings differ)")
        doc.add("ul", items)
        if run.worlds != ["base"]:
            doc.add(
                "p",
                "Every rule was simulated in each of these assumed worlds (combinations of "
                "--across values):",
            )
            doc.add("ul", list(run.worlds))


def _rules_section(doc: Document, run: RunFolder) -> None:
    doc.add("h2", "Rules", "rules")
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
    header = ["setting"] + [
        f"{r} (reference)" if k == 0 and len(run.rules) > 1 else r for k, r in enumerate(run.rules)
    ]
    caption = "Rater-mix shares are rescaled to sum to 100 %."
    if len(run.rules) > 1:
        caption += " Highlighted (bold, shaded) cells differ from the reference."
    doc.add("table", Table(header, rows, classes, caption, "rules"))


def _run_metrics_section(doc: Document, run: RunFolder) -> None:
    rule = run.reference
    m = run.metrics[rule]
    meta = run.metadata
    doc.add("h2", "Results", "results")
    doc.add("summary", _run_summary(run))
    doc.add(
        "p",
        f"{meta.get('reps')} replications, seed {meta.get('seed')}, behaviour policy "
        f"{meta.get('policy', '—')}. Each metric is the mean over replications ± its Monte Carlo "
        "standard error.",
    )
    rows, classes = [], []
    for r in m.itertuples(index=False):
        better = str(r.direction or "") or "—"
        rows.append(
            [str(r.metric), metric_description(str(r.metric)), better, _pm(r.mean, r.se), str(r.n)]
        )
        classes.append(["", "", "", "num", "num"])
    doc.add(
        "table",
        Table(["metric", "meaning", "better", "mean ± se", "n"], rows, classes, "", "metrics"),
    )


def _weights_sentence(run: RunFolder, rule: str) -> str:
    m = run.metrics.get(rule)
    if m is None:
        return ""
    eff = {
        str(k).split(":", 1)[1]: float(v)
        for k, v in zip(m["metric"], m["mean"], strict=True)
        if str(k).startswith("effective_weight:") and _finite(v)
    }
    nominal = nominal_shares(run.scenarios.get(rule, {}))
    gaps = [
        (c, nominal[c], eff[c]) for c in nominal if c in eff and abs(eff[c] - nominal[c]) >= 0.1
    ]
    if not gaps:
        return ""
    parts = [
        f"{c} carries {_pct(e)} of the score spread for a nominal {_pct(n)}" for c, n, e in gaps
    ]
    return (
        f"Under {rule}, " + "; ".join(parts) + " (a component on which departments hardly differ "
        "counts for little, whatever its nominal share)."
    )


def _run_summary(run: RunFolder) -> str:
    m = run.metrics[run.reference].set_index("metric")
    parts = []
    for metric in ("kendall_tau", "class_bias", "gaming_share", "top_missed"):
        if metric in m.index and _finite(m.loc[metric, "mean"]):
            value = _pm(m.loc[metric, "mean"], m.loc[metric, "se"])
            info = metric_registry.METRICS[metric]
            unit = "" if info.scale else f" {info.unit}"  # a share or coefficient needs no unit
            parts.append(f"{info.label} {value}{unit}")
    text = f"In short: under {run.reference}, " + "; ".join(parts) + "." if parts else ""
    weights = _weights_sentence(run, run.reference)
    return (text + " " + weights).strip() or "No metric was recorded."


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


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
            name = metric_registry.label(str(metric))
            spans = g[["diff", "diff_low", "diff_high"]].to_numpy(float)
            if verdicts == {"no detectable difference"} and (spans == 0).all():
                groups.setdefault("exactly the same on", []).append(name)
                continue
            if not many and verdicts & {"better", "worse"}:
                row = g.iloc[0]
                unit = _num(row["diff"], _decimals(float(row["diff_se"])), True)
                name = f"{name} ({unit})"
            if verdicts == {"better"}:
                key = "better in every world on" if many else "better on"
            elif verdicts == {"worse"}:
                key = "worse in every world on" if many else "worse on"
            elif {"better", "worse"} <= verdicts:
                key = "better in some worlds and worse in others on"
            elif "better" in verdicts:
                key = "better in some worlds (no detectable difference in the others) on"
            elif "worse" in verdicts:
                key = "worse in some worlds (no detectable difference in the others) on"
            else:
                key = "no detectable difference on"
            groups.setdefault(key, []).append(name)
        order = sorted(groups, key=lambda k: ("better" not in k, "worse" not in k, "same" in k, k))
        clauses = [f"{k} {_join(groups[k])}" for k in order]
        paragraphs.append(
            f"Compared with the reference {ref}, {rule} is " + "; ".join(clauses) + "."
            if clauses
            else f"{rule}: no metric with a better side was recorded."
        )
    paragraphs.append(
        f"Each rule ran {run.metadata.get('reps')} replications on the same simulated departments "
        "and noise (common random numbers); a rule is called better or worse on a metric only "
        "when the 95 % interval of its paired difference from the reference excludes zero."
    )
    w = _weights_sentence(run, ref)
    if w:
        paragraphs.append(w)
    return paragraphs


def _comparison_metrics_section(doc: Document, run: RunFolder) -> None:
    t = run.comparison
    ref = run.reference
    doc.add("h2", "Results", "results")
    for k, para in enumerate(_comparison_summary(run)):
        doc.add("summary" if k < len(run.rules) - 1 else "p", para)
    for i, world in enumerate(run.worlds):
        if len(run.worlds) > 1:
            doc.add("h3", f"Metrics in world {short_world(world)}", f"metrics-w{i}")
        sub = t[t["world"] == world]
        header = ["metric", "better", f"{ref} (reference): mean ± se"]
        for rule in run.rules[1:]:
            header += [f"{rule}: mean ± se", f"{rule}: difference [95 % interval]", "verdict"]
        rows, classes = [], []
        for metric in dict.fromkeys(sub["metric"]):
            g = sub[sub["metric"] == metric].set_index("rule")
            if ref not in g.index:
                continue
            direction = str(g.loc[ref, "direction"] or metric_registry.better(str(metric)))
            row = [str(metric), direction or "—", _pm(g.loc[ref, "mean"], g.loc[ref, "se"])]
            cls = ["", "", "num"]
            for rule in run.rules[1:]:
                if rule not in g.index:
                    row += ["–", "–", "–"]
                    cls += ["num", "num", ""]
                    continue
                r = g.loc[rule]
                verdict = str(r["verdict"] or "")
                row += [
                    _pm(r["mean"], r["se"]),
                    _diff(r["diff"], r["diff_se"], r["diff_low"], r["diff_high"]),
                    verdict or "—",
                ]
                cls += ["num", "num", verdict if verdict in ("better", "worse") else ""]
            rows.append(row)
            classes.append(cls)
        caption = (
            "Difference = rule − reference, paired over replications (common random numbers); "
            "verdict by the metric's better direction (▲ better, ▼ worse)."
        )
        doc.add("table", Table(header, rows, classes, caption, "metrics"))
    metrics = list(dict.fromkeys(t["metric"]))
    doc.add("h3", "What the metrics mean")
    doc.add("ul", [f"{m}: {metric_description(str(m)) or '—'}" for m in metrics])


def _robustness_section(doc: Document, run: RunFolder) -> None:
    r = run.robustness
    if r is None or not len(r):
        return
    doc.add("h2", "Robustness across assumptions", "robustness")
    doc.add(
        "p",
        "Every rule ran in every assumed world. Worst case: the rule's worst mean over the worlds; "
        "regret in a world: its distance from the best rule there (in the metric's units). A "
        "robust rule has a small maximum regret; the smallest in each metric is underlined.",
    )
    rows, classes = [], []
    wins: dict[str, int] = dict.fromkeys(run.rules, 0)
    for metric, g in r.groupby("metric", sort=False):
        best, differs = g["max_regret"].min(), g["max_regret"].max() > 0
        for row in g.itertuples(index=False):
            is_best = bool(differs and _finite(row.max_regret) and row.max_regret == best)
            wins[row.rule] = wins.get(row.rule, 0) + int(is_best)
            rows.append(
                [
                    str(metric),
                    str(row.rule),
                    str(row.direction),
                    _num(row.worst),
                    _num(row.max_regret),
                    _num(row.mean_regret),
                ]
            )
            classes.append(["", "", "", "num", "num best" if is_best else "num", "num"])
    doc.add(
        "table",
        Table(
            ["metric", "rule", "better", "worst case", "max regret", "mean regret"],
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
            "Smallest maximum regret (on metrics where the rules differ): "
            + ", ".join(f"{rule} on {n} metric{'s' if n != 1 else ''}" for rule, n in ranked)
            + ".",
        )


def _assumptions_section(doc: Document, run: RunFolder) -> None:
    doc.add("h2", "Assumptions", "assumptions")
    items = list(
        dict.fromkeys(
            str(a).strip()
            for rule in run.rules
            for a in (_meta(run.scenarios.get(rule, {})).get("assumptions") or [])
            if str(a).strip()
        )
    )
    if items:
        doc.add(
            "p", "Choices in the scenario(s) that are assumptions rather than documented facts:"
        )
        doc.add("ul", items)
    else:
        doc.add("p", "The scenario lists no assumptions (meta.assumptions is empty).")
    if run.worlds != ["base"]:
        doc.add("p", "The comparison also varied these assumptions: " + "; ".join(run.worlds) + ".")


def _reproducibility_section(doc: Document, run: RunFolder) -> None:
    from .. import __version__

    meta = run.metadata
    doc.add("h2", "Reproducibility", "reproducibility")
    rows = [
        ["perfsim version of the run", str(meta.get("perfsim_version", "—"))],
        ["perfsim version of this report", __version__],
        ["seed", str(meta.get("seed", "—"))],
        ["replications", str(meta.get("reps", "—"))],
    ]
    if run.kind == "run":
        rows += [
            ["scenario file", str(meta.get("scenario", "—"))],
            ["behaviour policy", str(meta.get("policy", "—"))],
            [
                "best response",
                f"≤ {meta.get('best_response_iterations', '—')} iterations, largest residual "
                f"{_num(meta.get('best_response_residual'))}",
            ],
            [
                "started / finished (UTC)",
                f"{meta.get('started', '—')} / {meta.get('finished', '—')}",
            ],
            ["scenario hash (SHA-256)", str(meta.get("scenario_hash", "—"))],
        ]
    else:
        rows += [["written (UTC)", str(meta.get("written", "—"))]]
        for rule, h in (meta.get("scenario_hashes") or {}).items():
            rows.append([f"scenario hash of {rule} (SHA-256)", str(h)])
    doc.add("table", Table(["item", "value"], rows, None, "", "repro"))
    rerun = rerun_command(run)
    doc.add(
        "p",
        "To rerun (from the folder where the run was made; same seed ⇒ same numbers, "
        "whatever the number of --jobs):",
    )
    doc.add("pre", rerun.command + f"\nperfsim report {shlex.quote(str(run.path))}")
    if rerun.file_changes:
        doc.add(
            "p",
            f"The --set options re-apply the {rerun.file_changes} setting(s) where the run's "
            "scenario differs from the scenario file as it is now (the run's own --set options, "
            "or later edits of the file).",
        )
    if not rerun.rebuilds:
        doc.add(
            "p",
            "Warning: this command does not rebuild the recorded scenarios from the scenario "
            "files as they are now. The exact inputs are the resolved scenarios in metadata.json.",
        )
    elif rerun.same_hash:
        doc.add(
            "p",
            "Checked: applied to the scenario files as they are now, this command rebuilds every "
            "recorded scenario, with the recorded scenario hashes.",
        )
    else:
        doc.add(
            "p",
            "Checked: applied to the scenario files as they are now, this command rebuilds every "
            "recorded rule and world, but the scenario hashes differ (the files' descriptive "
            "meta part changed, or this perfsim version fills in different defaults, in which "
            "case its numbers may differ from the run's).",
        )
    for note in rerun.notes:
        doc.add("p", note)


def build_document(run: RunFolder, figures: Iterable[SavedFigure]) -> Document:
    """The report of a run folder as a :class:`Document` (rendered to HTML and Markdown)."""
    meta = run.metadata
    if run.kind == "comparison":
        title = f"perfsim comparison: {run.reference} against {', '.join(run.rules[1:])}"
        when = meta.get("written")
    else:
        title = f"perfsim report: {run.reference}"
        when = meta.get("finished")
    doc = Document(title)
    doc.add("h1", title)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    doc.add("subtitle", f"Run of {when or '—'} (UTC); report written {now}. Folder: {run.path}.")
    _scenario_section(doc, run)
    _rules_section(doc, run)
    if run.kind == "comparison":
        _comparison_metrics_section(doc, run)
    else:
        _run_metrics_section(doc, run)
    _robustness_section(doc, run)
    figures = list(figures)
    if figures:
        doc.add("h2", "Figures", "figures")
        for f in figures:
            doc.add("h3", f.title)
            doc.add("figure", f)
    _assumptions_section(doc, run)
    _reproducibility_section(doc, run)
    return doc


def _atomic_write(path: Path, text: str) -> None:
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def sensitivity_document(path: Path) -> Document:
    """The report of a sensitivity folder (``perfsim sensitivity``): inputs, the leading indices of
    every metric with their confidence, notes, the rule-space region and the figures."""
    import json

    import pandas as pd

    meta = json.loads((path / "sensitivity.json").read_text(encoding="utf-8"))
    name = meta.get("scenario_name") or meta.get("scenario") or "model"
    doc = Document(title=f"perfsim sensitivity analysis: {name}")
    doc.add("h1", doc.title)
    doc.add(
        "subtitle",
        f"{meta['method']} (N = {meta['n']}, {meta.get('reps', '')} replications per "
        f"sample, seed {meta['seed']}); finished {meta.get('finished', '')}.",
    )
    doc.add("h2", "Uncertain inputs", "inputs")
    rows = []
    for inp in meta.get("inputs", []):
        if inp.get("kind") == "choice":
            spread = "choices: " + ", ".join(map(str, inp["choices"]))
        elif "low" in inp:
            spread = f"{inp['kind']} [{_num(inp['low'])}, {_num(inp['high'])}]"
        else:
            spread = (
                inp.get("kind", "")
                + " "
                + ", ".join(
                    f"{k} {_num(v)}" for k, v in inp.items() if k not in ("name", "path", "kind")
                )
            )
        rows.append([str(inp.get("name", "")), str(inp.get("path", "")), spread])
    if rows:
        doc.add("table", Table(["input", "scenario key", "range or distribution"], rows))
    indices = pd.read_csv(path / "indices.csv", encoding="utf-8-sig")
    main = meta.get("main_index") or (
        "ST" if "ST" in set(indices["index"]) else indices["index"].iloc[0]
    )
    doc.add("h2", f"Which inputs matter ({main})", "indices")
    doc.add(
        "p",
        f"For each metric the three inputs with the largest {main}, with its 95 % confidence "
        "half-width. Indices whose interval is wider than the index are not yet reliable.",
    )
    rows = []
    for metric, group in indices[indices["index"] == main].groupby("metric", sort=False):
        top = group.sort_values("value", ascending=False).head(3)
        cells = [
            f"{r.input}: {_num(r.value, 3)} ± {_num(r.confidence, 3)}" for r in top.itertuples()
        ]
        rows.append([str(metric), *cells, *[""] * (3 - len(cells))])
    doc.add("table", Table(["metric", "first", "second", "third"], rows))
    if meta.get("notes"):
        doc.add("h2", "Notes", "notes")
        doc.add("ul", [str(n) for n in meta["notes"]])
    region = path / "region.txt"
    if region.is_file():
        doc.add("h2", "Rule-space region that meets the bounds", "region")
        doc.add("pre", region.read_text(encoding="utf-8"))
    figures = sorted((path / "figures").glob("*.png")) if (path / "figures").is_dir() else []
    if figures:
        doc.add("h2", "Figures", "figures")
        for png in figures:
            title = png.stem.replace("-", " ")
            doc.add(
                "figure",
                SavedFigure(
                    stem=png.stem,
                    title=title,
                    caption="",
                    alt=title,
                    png=png,
                    svg=png.with_suffix(".svg"),
                ),
            )
    doc.add("h2", "Reproducibility", "reproducibility")
    doc.add(
        "pre",
        json.dumps(
            {
                k: meta.get(k)
                for k in (
                    "perfsim_version",
                    "method",
                    "n",
                    "seed",
                    "reps",
                    "scenario",
                    "uncertain_source",
                    "hash",
                )
            },
            ensure_ascii=False,
            indent=2,
        ),
    )
    return doc


def _frame_table(frame, columns: list[str], caption: str = "", limit: int = 200) -> Table:
    rows = []
    for rec in frame[columns].head(limit).itertuples(index=False):
        rows.append([_num(v, 3) if isinstance(v, float) else str(v) for v in rec])
    return Table(columns, rows, caption=caption)


def empirical_document(path: Path) -> Document:
    """The report of an empirical folder (``perfsim empirical``): scores with rank intervals and
    grade probabilities, reliability, rater effects, rank changes between rules, calibration."""
    import json

    import pandas as pd

    meta = json.loads((path / "empirical.json").read_text(encoding="utf-8"))

    def table(name: str):
        f = path / name
        return pd.read_csv(f, encoding="utf-8-sig") if f.is_file() else None

    doc = Document(title=f"perfsim empirical analysis: {Path(str(meta.get('data', ''))).name}")
    doc.add("h1", doc.title)
    doc.add(
        "subtitle",
        f"{meta.get('units', '?')} units, {meta.get('raters', '–')} raters, "
        f"{meta.get('ratings', '–')} ratings; rule {meta.get('rule') or 'mean of the ratings'}; "
        f"{meta.get('reps')} bootstrap replicates (strata: {meta.get('strata', '–')}), seed "
        f"{meta.get('seed')}; finished {meta.get('finished', '')}.",
    )
    figures = (
        {p.stem: p for p in (path / "figures").glob("*.png")} if (path / "figures").is_dir() else {}
    )

    def figure(stem: str, title: str, caption: str) -> None:
        if stem in figures:
            png = figures[stem]
            doc.add(
                "figure", SavedFigure(stem, title, caption, title, png, png.with_suffix(".svg"))
            )

    def section(name, title, ident, columns, caption, fig=None, intro=""):
        frame = table(name)
        if frame is None or (
            ident == "rank-changes" and not any(c.startswith("change:") for c in frame.columns)
        ):
            return
        doc.add("h2", title, ident)
        if intro:
            doc.add("p", intro)
        cols = [c for c in frame.columns if columns is None or columns(c)]
        doc.add("table", _frame_table(frame, cols, caption))
        if fig:
            figure(*fig)

    section(
        "scores.csv",
        "Scores, rank intervals and grade probabilities",
        "scores",
        lambda c: (
            c in ("unit", "unit_class", "total", "rank", "grade") or c.startswith(("rank_", "p:"))
        ),
        "rank_low–rank_high: bootstrap interval over raters; p:band: share of replicates in the band.",
        ("rank-intervals", "Rank intervals", "Dot: observed rank; bar: bootstrap interval."),
    )
    section(
        "reliability.csv",
        "Rater reliability",
        "reliability",
        lambda c: c != "n_ratings",
        "",
        intro="Shrout–Fleiss ICC forms with F-based confidence intervals and Krippendorff's α, per "
        "rater group and overall.",
    )
    section(
        "rater_groups.csv",
        "Rater effects: leniency, noise and halo",
        "effects",
        None,
        "Points on 0–100; leniency relative to the component's average rater.",
        ("rater-effects", "Rater-group leniency", "95 % intervals over the group's raters."),
    )
    section(
        "rank_changes.csv",
        "Counterfactual re-scoring: ranks under other rules",
        "rank-changes",
        None,
        "change: + = the unit moves up under the alternative rule.",
        ("rank-changes", "Rank changes between rules", "Same data, different rules."),
    )
    calib = table("calibration.csv")
    if calib is not None:
        doc.add("h2", "Calibration of the simulation's raters", "calibration")
        doc.add(
            "table",
            _frame_table(calib, ["component", "rater", "key", "value", "se", "base", "how"]),
        )
        cg = table("calibration_groups.csv")
        if cg is not None:
            doc.add(
                "table",
                _frame_table(
                    cg,
                    list(cg.columns),
                    "Latent-scale estimates per rater group (ordered probit for surveys; additive model for panels).",
                ),
            )
        frag = path / "calibrated.toml"
        if frag.is_file():
            doc.add(
                "p",
                "The scenario fragment (apply with perfsim run SCENARIO.toml --set @calibrated.toml):",
            )
            doc.add("pre", frag.read_text(encoding="utf-8"))
    if meta.get("notes"):
        doc.add("h2", "Notes", "notes")
        doc.add("ul", [str(n) for n in meta["notes"]])
    doc.add("h2", "Reproducibility", "reproducibility")
    doc.add(
        "pre",
        json.dumps({k: v for k, v in meta.items() if k != "notes"}, ensure_ascii=False, indent=2),
    )
    return doc


def build_report(run_dir: str | Path) -> tuple[Path, Path]:
    """Write the figures, ``report.html`` (self-contained) and ``report.md`` of a run folder, a
    comparison folder, a sensitivity folder or an empirical folder; return the two reports' paths."""
    path = Path(run_dir)
    check_result_folder(path)  # names what is missing, before anything is read
    special = {"sensitivity.json": sensitivity_document, "empirical.json": empirical_document}
    kind = next((k for k in special if (path / k).is_file()), None)
    if kind and not (path / "metadata.json").is_file():
        doc = special[kind](path)
        html_path, md_path = path / "report.html", path / "report.md"
        _atomic_write(html_path, _render_html(doc))
        _atomic_write(md_path, _render_md(doc))
        return html_path, md_path
    run = load_run(run_dir)
    figures = write_figures(run)
    doc = build_document(run, figures)
    html_path, md_path = run.path / "report.html", run.path / "report.md"
    _atomic_write(html_path, _render_html(doc))
    _atomic_write(md_path, _render_md(doc))
    return html_path, md_path
