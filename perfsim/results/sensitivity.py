"""A sensitivity folder (``perfsim sensitivity``): :class:`SensitivityRecord`.

The run itself (:func:`perfsim.sensitivity`) writes its folder while it runs (numbered chunks as
they finish, so that it can resume; then the tables, figures and ``sensitivity.json``), under the
folder's lock, with the names of :mod:`.names`. This record reads such a folder back, and writes
one atomically from a finished :class:`SensitivityResult` that was run without a folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from ..experiments.sensitivity import SensitivityResult, write_outputs
from ..experiments.sensitivity.checkpoint import read_table, write_json
from ..io import atomic_dir
from .files import ResultFolderError, checked, pngs, read_json, read_table_if, read_text_if
from .names import FIGURES, SensitivityFiles


@dataclass
class SensitivityRecord:
    """What a sensitivity folder holds: ``sensitivity.json`` (method, N, seed, inputs, notes…),
    ``indices.csv``, ``convergence.csv``, ``region.txt`` (with bounds) and the figures."""

    metadata: dict
    indices: pd.DataFrame  # metric, input, index, value, confidence
    convergence: pd.DataFrame | None = None
    region: str | None = None  # region.txt: the rule-space region that meets the bounds
    region_table: pd.DataFrame | None = None  # region.csv: its box, input by input
    figures: list[Path] = field(default_factory=list)  # PNGs in figures/, by name
    path: Path | None = None
    source: SensitivityResult | None = None  # the run's result, when built from one
    samples: pd.DataFrame | None = None  # each sample's inputs and metrics (None: not kept)

    @classmethod
    def from_result(cls, result: SensitivityResult) -> SensitivityRecord:
        region = result.region.summary + "\n" if result.region is not None else None
        return cls(
            result.metadata,
            result.indices,
            result.convergence,
            region,
            region_table=result.region.table if result.region is not None else None,
            source=result,
            samples=result.samples,
        )

    @property
    def main_index(self) -> str:
        """The index the report leads with (ST, μ* or δ; else the first in the table)."""
        found = list(dict.fromkeys(self.indices["index"]))
        return self.metadata.get("main_index") or ("ST" if "ST" in found else found[0])

    def named_in(self, lang: str) -> SensitivityRecord:
        """The record with each input called by its name in ``lang`` where its ``[uncertain]``
        table gives one (``translations.<lang>.name``; sensitivity.json's ``input_names``): in
        the inputs, the indices, the samples and the region's box, for a report in that language
        (the record itself is left as it is)."""
        names = (self.metadata.get("input_names") or {}).get(lang) or {}
        if not names:
            return self
        rename = {str(k): str(v) for k, v in names.items()}
        meta = dict(self.metadata)
        meta["inputs"] = [
            {**inp, "name": rename.get(str(inp.get("name")), inp.get("name"))}
            for inp in meta.get("inputs", [])
        ]

        def renamed(frame: pd.DataFrame | None, column: str) -> pd.DataFrame | None:
            if frame is None or column not in frame:
                return frame
            return frame.assign(**{column: frame[column].map(lambda x: rename.get(x, x))})

        samples = None if self.samples is None else self.samples.rename(columns=rename)
        return replace(
            self,
            metadata=meta,
            indices=renamed(self.indices, "input"),
            region_table=renamed(self.region_table, "input"),
            samples=samples,
        )

    def write(self, folder: str | Path, force: bool = False) -> Path:
        """Write the folder atomically (see :mod:`perfsim.io`) from the result it was built
        from: tables, samples, figures, region and, last, ``sensitivity.json``."""
        if self.source is None:
            raise ValueError("only a record built by from_result(…) can be written")
        with atomic_dir(folder, "sensitivity", force=force) as tmp:
            write_outputs(self.source, tmp)
            write_json(tmp / SensitivityFiles.METADATA, self.metadata)
        return Path(folder)

    @classmethod
    def read(cls, folder: str | Path) -> SensitivityRecord:
        path = Path(folder)
        if not (path / SensitivityFiles.METADATA).is_file():
            raise ResultFolderError(
                f"{path}: not a perfsim sensitivity folder (no {SensitivityFiles.METADATA})"
            )
        indices = checked(
            read_table_if(path / SensitivityFiles.INDICES),
            path / SensitivityFiles.INDICES,
            ("metric", "input", "index", "value"),
            ("value",),
        )
        if indices is None:
            raise ResultFolderError(
                f"{path}: an unfinished sensitivity analysis (no {SensitivityFiles.INDICES}); "
                "rerun it with --resume"
            )
        return cls(
            metadata=read_json(path / SensitivityFiles.METADATA),
            indices=indices,
            convergence=read_table_if(path / SensitivityFiles.CONVERGENCE),
            region=read_text_if(path / SensitivityFiles.REGION_TXT),
            region_table=read_table_if(path / SensitivityFiles.REGION_CSV),
            figures=pngs(path / FIGURES),
            path=path,
            samples=_samples(path),
        )


def _samples(path: Path) -> pd.DataFrame | None:
    """The folder's samples table (``samples.parquet`` or ``samples.csv``), None if absent."""
    for found in sorted(path.glob(f"{SensitivityFiles.SAMPLES}.*")):
        if found.suffix in (".parquet", ".csv"):
            return read_table(found)
    return None
