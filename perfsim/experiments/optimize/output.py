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
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ...io import atomic_write, check_output_folder, read_json, write_csv, write_manifest
from ...results.names import OptimizationFiles
from ...scenario import PerfsimError
from ..sensitivity.checkpoint import write_json
from ..sensitivity.inputs import toml_value


class OptimizationError(PerfsimError, ValueError):
    """An optimisation that cannot run as asked (its folder, budget or sizes)."""


def prepare_folder(out: Path, hash_: str, resume: bool, meta: dict) -> bool:
    """Check that ``out`` is this optimisation's folder (same hash) or new, and write the first
    metadata; returns whether the folder holds an earlier start of this run."""
    meta_path = out / OptimizationFiles.METADATA
    if meta_path.exists():
        old = read_json(meta_path) or {}
        if old.get("hash") != hash_:
            raise OptimizationError(
                f"{out} holds a different optimisation (another scenario, levers, objectives, "
                f"worlds, budget, reps, seed or model revision: hash {str(old.get('hash'))[:12]} ≠ "
                f"{hash_[:12]}); choose another --out folder, or delete this one to start again"
            )
        return True
    if resume:
        raise OptimizationError(
            f"nothing to resume: {out} has no {OptimizationFiles.METADATA} (check --out)"
        )
    if out.exists() and any(out.iterdir()):
        check_output_folder(out, "optimization")  # names what the folder holds
        raise OptimizationError(f"{out} exists and is not empty; choose another --out")
    write_json(meta_path, meta)
    return False


def finish_folder(
    out: Path,
    metadata: Mapping,
    pareto: pd.DataFrame,
    recommended: pd.DataFrame,
    rules: Mapping[str, dict],
) -> None:
    """Write the final tables, the recommended rules' scenario files, the metadata and the
    manifest (each file atomically)."""
    write_csv(pareto, out / OptimizationFiles.PARETO)
    write_csv(recommended, out / OptimizationFiles.RECOMMENDED)
    for name, raw in rules.items():
        text = toml_document(raw)
        atomic_write(
            out / OptimizationFiles.rule(name), lambda tmp, t=text: tmp.write_text(t, "utf-8")
        )
    write_json(out / OptimizationFiles.METADATA, dict(metadata))
    write_manifest(out, "optimization")


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
