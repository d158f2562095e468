"""The optimisation folder: the checkpointed metadata, and the final tables and rule files.

The folder is a checkpoint while the search runs (``optimization.json`` with status ``running`` and
the hash of the settings; ``evaluations.parquet`` after every generation), and a result folder when
it ends: ``pareto.csv``, ``recommended.csv`` and ``rules/*.toml`` are added, the status becomes
``complete`` and the manifest (``.perfsim.json``) lists every file. A folder that holds anything else
— another analysis, a user's files — is never written into.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ... import i18n
from ...csvsafe import write_csv
from ...i18n import N_
from ...io import (
    atomic_write,
    check_output_folder,
    read_json,
    rewriting_outputs,
    write_manifest,
)
from ...results.names import OptimizationFiles
from ...scenario import PerfsimError
from ...scenario.errors import error
from ..sensitivity.checkpoint import write_json
from ..sensitivity.inputs import toml_value


class OptimizationError(PerfsimError, ValueError):
    """An optimisation that cannot run as asked (its folder, budget or sizes)."""


#: the notes a search records (in English, ``optimization.json``), each from one template; the
#: terminal and the report say them again in their language (:func:`said_again`)
NOTES: dict[str, str] = {
    "resumed": N_("resumed: {count} evaluations were already done."),
    "short": N_(
        "a short search: {generations} generation(s) of {population} rules. Its front is a first "
        "look: another --seed or a larger --budget may recommend other rules (at least "
        "{least} generations: --budget {budget} or more)."
    ),
    "thinned": N_("the search's front was thinned to {count} rules for re-evaluation."),
    "same": N_(
        "{count} Pareto rule(s) gave exactly the results of another (lever values that differ "
        "by less than the rule can tell, such as two quotas that round to the same number of "
        "units) and are left out."
    ),
    "edge_high": N_(
        "every Pareto rule sets {lever} near the top of its range ({low} to {high}): better rules "
        "may lie beyond it; widen the lever's range to see."
    ),
    "world_lever": N_(
        "{lever} is a fact about the world, not a setting of the rule: a rule recommended with "
        "another value of it assumes that the world changes too (better measurement, say), "
        "which no rule decides by itself; to weigh rules against uncertainty about it, give it "
        "with --across instead."
    ),
    "unconverged": N_(
        "the best response did not converge in every replication for {count} of the {total} "
        "rules re-evaluated (the reference included; the lowest converged share {share}): those "
        "numbers are not settled equilibria; raise world.max_iterations or lower world.damping, "
        "and check a recommended rule with perfsim compare."
    ),
    "edge_low": N_(
        "every Pareto rule sets {lever} near the bottom of its range ({low} to {high}): better "
        "rules may lie beyond it; widen the lever's range to see."
    ),
}

#: a lever whose every Pareto rule lies within this share of its range from one end is noted
EDGE = 0.05


def note(key: str, **values: object) -> str:
    """The note ``key`` of :data:`NOTES` with its values, in English (what a search records)."""
    return NOTES[key].format(**values)


def said_again(text: str) -> str:
    """A recorded note in the current language (from its template when it has one)."""
    return i18n.said_again(text, NOTES.values())


def prepare_folder(out: Path, hash_: str, resume: bool, settings: dict) -> bool:
    """Check that ``out`` is this optimisation's folder (same hash) or new, and write the first
    metadata (a running optimisation's ``settings``); returns whether the folder holds an
    earlier start of this run."""
    meta = {"kind": "optimization", "status": "running", "hash": hash_, **settings}
    meta_path = out / OptimizationFiles.METADATA
    if meta_path.exists():
        old = read_json(meta_path) or {}
        if old.get("hash") != hash_:
            raise OptimizationError(
                error("other_optimisation", out=out, old=str(old.get("hash"))[:12], new=hash_[:12])
            )
        return True
    if resume:
        raise OptimizationError(
            error("nothing_to_resume", out=out, file=OptimizationFiles.METADATA)
        )
    if out.exists() and any(out.iterdir()):
        check_output_folder(out, "optimization", force_option=False)  # names what it holds
        raise OptimizationError(error("out_not_empty", out=out))
    write_json(meta_path, meta)
    return False


@contextmanager
def opened_folder(out: Path, hash_: str, resume: bool, settings: dict) -> Iterator[tuple]:
    """An optimisation's folder, held while it runs (under its lock): the files the user added
    there (:func:`perfsim.io.resumed_folder`), and whether it holds an earlier start of this run
    (:func:`prepare_folder`), whose outputs the run then rewrites in place
    (:func:`perfsim.io.rewriting_outputs`: stopped, they stay perfsim's)."""
    with rewriting_outputs(out, OptimizationFiles.written) as leave:
        yield leave, prepare_folder(out, hash_, resume, settings)


def finish_folder(out: Path, metadata: Mapping, result: Mapping, leave: Iterable[str] = ()) -> None:
    """Write the final tables (``result``'s ``pareto`` and ``recommended``), the recommended
    ``rules``' scenario files, the metadata and the manifest (each file atomically), which lists
    neither the user's files ``leave`` (:func:`perfsim.io.resumed_folder`)."""
    pareto, recommended, rules = result["pareto"], result["recommended"], result["rules"]
    write_csv(pareto, out / OptimizationFiles.PARETO)
    write_csv(recommended, out / OptimizationFiles.RECOMMENDED)
    changes = {r["name"]: r.get("changes", []) for r in metadata.get("recommended", [])}
    for name, raw in rules.items():
        text = rule_file(raw, name, changes.get(name, []), str(metadata.get("scenario", "")))
        atomic_write(
            out / OptimizationFiles.rule(name), lambda tmp, t=text: tmp.write_text(t, "utf-8")
        )
    write_json(out / OptimizationFiles.METADATA, dict(metadata))
    write_manifest(out, "optimization", leave)


#: significant digits of the numbers in a recommended rule's file (its lever values come out of
#: the search with 17; 6 keep every evaluated value to a millionth of itself)
DIGITS = 6


def rule_file(raw: Mapping, name: str, changes: list, reference: str) -> str:
    """A recommended rule's scenario file: a header naming what changed from the reference rule,
    the description saying so too (the rest of ``meta`` still describes the reference), and the
    scenario with every number to :data:`DIGITS` significant digits."""
    said = [f"{path} {_short(old)} → {_short(new)}" for path, old, new in changes]
    raw = _summing_to_one(dict(raw), _rounded(dict(raw)))
    meta = dict(raw.get("meta") or {})
    what = "; ".join(said) or "no lever changed"
    if meta.get("name"):  # three recommended rules under one name read as one rule in a report
        meta["name"] = f"{meta['name']} — perfsim optimize '{name}'"
    meta["description"] = (
        f"{meta.get('description', '')} Changed by perfsim optimize (rule '{name}'): {what}; the "
        "assumptions below describe the reference rule."
    ).strip()
    if isinstance(meta.get("translations"), dict):  # their descriptions are the reference's
        meta["translations"] = {
            lang: _changed(lang, text, name, what)
            for lang, text in meta["translations"].items()
            if isinstance(text, dict)
        }
    raw["meta"] = meta
    head = [
        f"# perfsim optimize: the recommended rule '{name}', the reference rule ({Path(reference).name})",
        "# with these changes (shares of a group: the others rescaled to fill the rest):",
        *[f"#   {line}" for line in said or ["(none)"]],
        f"# Numbers to {DIGITS} significant digits; its verdicts against the reference are in",
        "# recommended.csv, the values as searched in pareto.csv.",
        "",
    ]
    return "\n".join(head) + toml_document(raw)


#: the sentence :func:`rule_file` adds to a translated description, by language
CHANGED = {
    "zh": "（经 perfsim optimize 修改，推荐规则“{name}”：{what}；下列假设描述的是参照规则。）",
}


def _changed(lang: str, text: Mapping, name: str, what: str) -> dict:
    """A translation of ``meta`` whose description adds what optimize changed (the lever paths as
    they are); in a language without :data:`CHANGED` the description is dropped (the English one
    says it)."""
    out = {k: v for k, v in text.items() if k != "description"}
    if "description" in text and lang in CHANGED:
        out["description"] = str(text["description"]) + CHANGED[lang].format(name=name, what=what)
    return out


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _rounded(value: Any) -> Any:
    """``value`` with every float to :data:`DIGITS` significant digits (tables and lists too)."""
    if isinstance(value, float):
        return float(f"{value:.{DIGITS}g}") if np.isfinite(value) else value
    if isinstance(value, Mapping):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def _summing_to_one(exact: Any, rounded: Any) -> Any:
    """``rounded`` with each group of shares that summed to 1 in ``exact`` (the ``share`` of each
    member of a table, or a table of numbers such as a component's weights) summing to 1 again:
    the rounding's remainder added to its largest member (six 6-digit shares of a rescaled group
    summed to 0.999999, and the file then warned its reader to check the numbers)."""
    if not isinstance(exact, Mapping):
        return rounded
    out = {k: _summing_to_one(exact[k], v) for k, v in rounded.items()}
    for get, put in (
        (lambda v: v.get("share") if isinstance(v, Mapping) else None,
         lambda v, x: {**v, "share": x}),
        (lambda v: v, lambda v, x: x),
    ):  # fmt: skip
        values = {k: get(v) for k, v in exact.items()}
        # shares are floats (a table of whole counts, quota_count, is left as it is)
        if len(values) < 2 or not all(isinstance(x, float) for x in values.values()):
            continue
        if abs(sum(values.values()) - 1.0) > 1e-9:
            continue
        largest = max(values, key=lambda k: values[k])
        rest = sum(get(out[k]) for k in values if k != largest)
        out[largest] = put(out[largest], float(f"{1.0 - rest:.12g}"))
    return out


_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(key: str) -> str:
    return key if _BARE.match(key) else json.dumps(key, ensure_ascii=False)


def toml_document(raw: Mapping, header: str = "") -> str:
    """A scenario table as TOML text that reads back to the same table: scalars and arrays first,
    then each sub-table under its ``[dotted.header]``."""
    lines, tables = [], []
    for key, value in raw.items():
        if value is None:
            continue
        if isinstance(value, Mapping):
            tables.append((key, value))
        else:
            lines.append(f"{_key(str(key))} = {toml_value(value)}")
    parts = []
    if header and (lines or not tables):
        parts.append(f"[{header}]")
    parts.extend(lines)
    text = "\n".join(parts)
    for key, value in tables:
        sub = f"{header}.{_key(str(key))}" if header else _key(str(key))
        block = toml_document(value, sub)
        text = f"{text}\n\n{block}" if text else block
    return text + ("\n" if not header else "")


WORSE_VERDICTS = ("worse", "slightly worse")
BETTER_VERDICTS = ("better", "slightly better")


def verdict_metrics(recommended: pd.DataFrame, rule: str) -> dict[str, list[tuple[str, int, int]]]:
    """The metrics on which the recommended rule ``rule`` is better and worse than the reference
    (``recommended.csv``: one verdict per world and metric; "slightly" counts): ``{"better":
    [(metric, worlds, of), …], "worse": […]}``, in the table's order, ``worlds`` the number of the
    ``of`` assumed worlds with that verdict."""
    part = recommended[recommended["rule"] == rule] if len(recommended) else recommended
    out: dict[str, list[tuple[str, int, int]]] = {"better": [], "worse": []}
    if not len(part):
        return out
    of = part["world"].nunique()
    for key, verdicts in (("better", BETTER_VERDICTS), ("worse", WORSE_VERDICTS)):
        hits = part[part["verdict"].isin(verdicts)]
        for metric, rows in hits.groupby("metric", sort=False):
            out[key].append((str(metric), len(rows), of))
    return out


def metric_list(
    found: list[tuple[str, int, int]], name=str, where: str = " ({k} of {n} worlds)"
) -> str:
    """:func:`verdict_metrics`' list in words: each metric's ``name``, with ``where`` (``{k}``,
    ``{n}``) where it holds in some of the worlds only; ``–`` for none."""
    parts = [name(m) + (where.format(k=k, n=n) if k < n else "") for m, k, n in found]
    return i18n.gettext(", ").join(parts) or "–"


def rule_name(kind: str, index: int | None = None) -> str:
    """A recommended rule's file stem: ``nearest``, ``best-<metric>``, ``balanced``."""
    stem = re.sub(r"[^\w-]+", "-", kind).strip("-")
    return stem if index is None else f"{stem}-{index}"


def lever_columns(values: list[list[Any]], paths: list[str]) -> pd.DataFrame:
    """A table of lever values (choices that are not text as TOML, as the samples table shows)."""
    frame = pd.DataFrame(values, columns=paths)
    for c in frame.columns:
        if frame[c].map(lambda v: isinstance(v, list | dict)).any():
            frame[c] = frame[c].map(toml_value)
    return frame
