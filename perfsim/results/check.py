"""Before a folder is read: is it a complete perfsim result folder? If not, say what is missing."""

from __future__ import annotations

import json
from pathlib import Path

from ..scenario.errors import error
from .files import ResultFolderError as RunFolderError
from .files import damaged
from .names import (
    FIGURES,
    ComparisonFiles,
    EmpiricalFiles,
    OptimizationFiles,
    RunFiles,
    SensitivityFiles,
)


def check_result_folder(path: Path) -> str:
    """The kind of a complete result folder (``run``, ``comparison``, ``sensitivity``,
    ``empirical``); raise :class:`RunFolderError` naming what is missing otherwise."""
    if not path.exists():
        raise RunFolderError(error("folder_not_found", path=path))
    if not path.is_dir():
        raise RunFolderError(error("folder_is_file", path=path))
    if (path / RunFiles.METADATA).is_file():
        return _check_run(path, _json(path / RunFiles.METADATA))
    if (path / SensitivityFiles.METADATA).is_file():
        return _check_sensitivity(path, _json(path / SensitivityFiles.METADATA))
    if (path / EmpiricalFiles.METADATA).is_file():
        _json(path / EmpiricalFiles.METADATA)
        _need(path, [EmpiricalFiles.SCORES], "perfsim empirical")
        return "empirical"
    if (path / OptimizationFiles.METADATA).is_file():
        meta = _json(path / OptimizationFiles.METADATA)
        if meta.get("status") != "complete":
            raise RunFolderError(
                error("optimization_unfinished", path=path, file=OptimizationFiles.PARETO)
            )
        _need(path, [OptimizationFiles.PARETO], "perfsim optimize")
        return "optimization"
    raise RunFolderError(error("not_a_run_folder", path=path))


def _json(file: Path) -> dict:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise damaged(file, str(exc)) from None
    if not isinstance(data, dict):
        raise RunFolderError(error("not_metadata", file=file))
    return data


def _need(path: Path, files: list[str], command: str) -> None:
    missing = [f for f in files if not (path / f).is_file()]
    if missing:
        raise RunFolderError(
            error("folder_incomplete", path=path, files=", ".join(missing), command=command)
        )


def _check_run(path: Path, meta: dict) -> str:
    if meta.get("kind") == "comparison":
        runs = meta.get("runs")
        if not isinstance(runs, list) or not all(isinstance(r, dict) for r in runs):
            raise RunFolderError(error("comparison_no_runs", path=path))
        files = [ComparisonFiles.COMPARISON]
        files += [f"{r.get('folder', '?')}/{RunFiles.METRICS}" for r in runs]
        _need(path, files, "perfsim compare")
        return "comparison"
    if "resolved_scenario" not in meta and "scenario" not in meta:
        raise RunFolderError(error("not_written_by_perfsim", path=path))
    _need(path, [RunFiles.METRICS], "perfsim run")
    return "run"


def _check_sensitivity(path: Path, meta: dict) -> str:
    if (
        meta.get("status") in ("running", "interrupted")
        or not (path / SensitivityFiles.INDICES).is_file()
    ):
        chunks = path / SensitivityFiles.CHUNKS
        done = len(list(chunks.glob("chunk-*"))) if chunks.is_dir() else 0
        # (what is missing: it said indices.csv was, when the run stopped after writing it)
        gone = [n for n in (SensitivityFiles.INDICES,) if not (path / n).is_file()]
        gone += [f"{FIGURES}/"] if not (path / FIGURES).is_dir() else []
        if gone:
            message = error(
                "sensitivity_interrupted_missing", path=path, done=done, files=", ".join(gone)
            )
        else:
            message = error("sensitivity_interrupted", path=path, done=done)
        raise RunFolderError(message)
    missing = [k for k in ("method", "n", "seed") if k not in meta]
    if missing:
        file = path / SensitivityFiles.METADATA
        raise RunFolderError(error("sensitivity_keys", file=file, keys=", ".join(missing)))
    return "sensitivity"
