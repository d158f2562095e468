"""The run folder as a checkpoint: numbered chunk files written as they finish, a digest of the
run's settings and sample, resuming, and the folder's first ``sensitivity.json``."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ...csvsafe import write_csv
from ...io import atomic_write, check_output_folder, read_json
from ...results.names import SensitivityFiles
from ...scenario.errors import error
from .errors import SensitivityError


def digest(key: Any, x: NDArray) -> str:
    """SHA-256 of the run's settings (canonical JSON) and of its sample."""
    h = hashlib.sha256(json.dumps(key, sort_keys=True, ensure_ascii=False, default=str).encode())
    h.update(np.ascontiguousarray(x, dtype=float).tobytes())
    return h.hexdigest()


def _parquet() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def write_table(frame: pd.DataFrame, path: Path) -> Path:
    """Parquet when pyarrow is installed, else CSV (UTF-8 with BOM); atomic. ``path`` has no
    suffix; returns the path written."""
    if _parquet():
        return atomic_write(
            path.with_suffix(".parquet"), lambda tmp: frame.to_parquet(tmp, index=False)
        )
    return write_csv(frame, path.with_suffix(".csv"))


def read_table(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, encoding="utf-8-sig")


def write_json(path: Path, data: Mapping) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=2, default=_json_default)
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def recorded_chunk_size(out: Path | None) -> int | None:
    """The chunk size recorded in a run folder's ``sensitivity.json`` (None: no folder, no file, or
    no size): a resumed run keeps the chunks it started with, whatever its number of workers."""
    if out is None:
        return None
    try:
        size = json.loads((out / "sensitivity.json").read_text(encoding="utf-8")).get("chunk_size")
    except (OSError, ValueError, AttributeError):
        return None
    return size if isinstance(size, int) and size >= 1 else None


#: settings of a run named by value when a folder holds another run, and those named only
_BY_VALUE = ("method", "n", "seed", "reps", "second_order", "chunk_size")
_BY_NAME = {
    "problem": "the uncertain inputs' ranges",
    "inputs": "the uncertain inputs",
    "model": "the scenario or model",
    "perfsim_version": "the perfsim version",
}


def _differences(old: Mapping, new: Mapping) -> str:
    """What differs between a folder's recorded run (``old``) and this one, in words: ``n 64
    there, 32 now; the uncertain inputs``."""

    def plain(value: Any) -> Any:  # as sensitivity.json holds it
        return json.loads(json.dumps(value, default=_json_default))

    def word(value: Any) -> Any:  # (it said "second_order None there, False now")
        if value is None or isinstance(value, bool):  # (not by ==: seed 0 would be "no")
            return {None: "not applicable", True: "yes", False: "no"}[value]
        return value

    said = [
        f"{key} {word(old.get(key))} there, {word(plain(new.get(key)))} now"
        for key in _BY_VALUE
        if old.get(key) != plain(new.get(key))
    ]
    said += [what for key, what in _BY_NAME.items() if old.get(key) != plain(new.get(key))]
    return "; ".join(said) or f"hash {str(old.get('hash'))[:12]}"


def prepare_folder(out: Path, hash_: str, resume: bool, meta: dict) -> None:
    """Check that ``out`` is this run's folder (same hash) or new; write the first metadata."""
    meta_path = out / SensitivityFiles.METADATA
    if meta_path.exists():
        old = read_json(meta_path) or {}
        if old.get("hash") != hash_:
            if meta.get("model_revision") != old.get("model_revision"):
                raise SensitivityError(
                    error(
                        "other_revision",
                        out=out,
                        old=old.get("model_revision", "before revision 2"),
                        new=meta.get("model_revision"),
                    )
                )
            raise SensitivityError(
                error("other_sensitivity", out=out, differences=_differences(old, meta))
            )
        return
    if resume:
        raise SensitivityError(error("nothing_to_resume", out=out, file=SensitivityFiles.METADATA))
    if out.exists() and any(out.iterdir()):
        check_output_folder(out, "sensitivity", force_option=False)  # names what the folder holds
        raise SensitivityError(error("not_sensitivity", out=out))
    write_json(meta_path, meta)


def existing_chunks(
    folder: Path, chunks: Sequence[tuple[int, NDArray]], starts: Sequence[int]
) -> dict[int, Path]:
    """Finished chunk files that hold exactly the rows of their chunk."""
    found = {}
    for chunk_id, rows in chunks:
        for suffix in (".parquet", ".csv"):
            path = folder / f"{SensitivityFiles.chunk(chunk_id)}{suffix}"
            if path.exists():
                try:
                    frame = read_table(path)
                except Exception:  # an unreadable file is recomputed  # noqa: BLE001
                    continue
                expected = np.arange(starts[chunk_id], starts[chunk_id] + len(rows))
                if "sample" in frame and np.array_equal(frame["sample"].to_numpy(), expected):
                    found[chunk_id] = path
                    break
    return found


@dataclass
class Chunks:
    """A sample cut into numbered chunks; finished chunks are kept in memory or, with a run
    folder, in ``<folder>/chunks/chunk-00000.parquet`` (which is what makes a run resumable)."""

    x: NDArray
    chunk_size: int
    folder: Path | None = None
    starts: list[int] = field(init=False)
    chunks: list[tuple[int, NDArray]] = field(init=False)
    paths: dict[int, Path] = field(default_factory=dict, init=False)
    frames: dict[int, pd.DataFrame] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.starts = list(range(0, len(self.x), self.chunk_size))
        self.chunks = [(c, self.x[s : s + self.chunk_size]) for c, s in enumerate(self.starts)]

    def open(self, hash_: str, resume: bool, meta: dict) -> list[str]:
        """Prepare the run folder and find the chunks already done; returns notes."""
        if self.folder is None:
            return []
        prepare_folder(self.folder, hash_, resume, meta)
        self.paths = existing_chunks(
            self.folder / SensitivityFiles.CHUNKS, self.chunks, self.starts
        )
        if self.paths:
            return [f"resumed: {len(self.paths)} of {len(self.chunks)} chunks were already done."]
        return []

    @property
    def todo(self) -> list[tuple[int, NDArray]]:
        return [c for c in self.chunks if c[0] not in self.paths]

    @property
    def done(self) -> int:
        """Samples already done."""
        return sum(len(rows) for c, rows in self.chunks if c in self.paths)

    def store(self, chunk_id: int, frame: pd.DataFrame) -> int:
        """Keep a finished chunk (numbering its samples); returns its number of samples."""
        frame = frame.reset_index(drop=True)
        start = self.starts[chunk_id]
        frame.insert(0, "sample", np.arange(start, start + len(frame)))
        if self.folder is not None:
            path = self.folder / SensitivityFiles.CHUNKS / SensitivityFiles.chunk(chunk_id)
            self.paths[chunk_id] = write_table(frame, path)
        else:
            self.frames[chunk_id] = frame
        return len(frame)

    def mark_stopped(self) -> None:
        """Record in the run folder's metadata that the run was stopped, with the chunks kept
        (``--resume`` continues from them)."""
        if self.folder is None:
            return
        meta_path = self.folder / SensitivityFiles.METADATA
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        meta.update(status="interrupted", chunks_done=len(self.paths), chunks=len(self.chunks))
        write_json(meta_path, meta)

    def table(self) -> pd.DataFrame:
        """Every sample's outputs, in sample order."""
        frames = [
            read_table(self.paths[c]) if self.folder is not None else self.frames[c]
            for c, _ in self.chunks
        ]
        return pd.concat(frames, ignore_index=True)
