"""Before a folder is read: is it a complete perfsim result folder? If not, say what is missing."""

from __future__ import annotations

import json
from pathlib import Path

from ..scenario.errors import error
from .files import ResultFolderError as RunFolderError
from .names import ComparisonFiles, EmpiricalFiles, OptimizationFiles, RunFiles, SensitivityFiles

_WRITERS = "perfsim run, compare, sensitivity, empirical or optimize"


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
                f"{path}: an unfinished optimisation ({OptimizationFiles.PARETO} is missing): "
                "one stopped before its end (finish it by running the same perfsim optimize "
                "command with --resume, then perfsim report), or one in which no rule it "
                "evaluated met every --constraint (resuming says so again: loosen the "
                "constraints or widen the levers, with another --out)"
            )
        _need(path, [OptimizationFiles.PARETO], "perfsim optimize")
        return "optimization"
    raise RunFolderError(error("not_a_run_folder", path=path))


def _json(file: Path) -> dict:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise RunFolderError(f"{file}: damaged ({exc}); run the perfsim command again") from None
    if not isinstance(data, dict):
        raise RunFolderError(f"{file}: not a perfsim metadata file (not a JSON object)")
    return data


def _need(path: Path, files: list[str], command: str) -> None:
    missing = [f for f in files if not (path / f).is_file()]
    if missing:
        raise RunFolderError(
            f"{path}: incomplete result folder: {', '.join(missing)} missing (the run was "
            f"interrupted, or files were deleted); run {command} again"
        )


def _check_run(path: Path, meta: dict) -> str:
    if meta.get("kind") == "comparison":
        runs = meta.get("runs")
        if not isinstance(runs, list) or not all(isinstance(r, dict) for r in runs):
            raise RunFolderError(
                f"{path}/metadata.json: a comparison without its list of runs; run perfsim "
                "compare again"
            )
        files = [ComparisonFiles.COMPARISON]
        files += [f"{r.get('folder', '?')}/{RunFiles.METRICS}" for r in runs]
        _need(path, files, "perfsim compare")
        return "comparison"
    if "resolved_scenario" not in meta and "scenario" not in meta:
        raise RunFolderError(
            f"{path}/metadata.json: not written by perfsim (no 'scenario' key); give a folder "
            f"written by {_WRITERS}"
        )
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
        gone += ["the figures"] if not (path / "figures").is_dir() else []
        what = f"; not yet written: {' and '.join(gone)}" if gone else ""
        raise RunFolderError(
            f"{path}: an interrupted sensitivity analysis ({done} chunk file(s) done{what}); "
            "finish it by running the same perfsim sensitivity command with "
            f"--out {path} --resume, then perfsim report"
        )
    missing = [k for k in ("method", "n", "seed") if k not in meta]
    if missing:
        raise RunFolderError(
            f"{path}/sensitivity.json: damaged (no {', '.join(missing)}); run perfsim "
            "sensitivity again"
        )
    return "sensitivity"
