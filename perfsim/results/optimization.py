"""An optimisation folder (``perfsim optimize``): :class:`OptimizationRecord`.

The optimisation itself (:func:`perfsim.optimize`) writes its folder while it runs (the evaluations
after every generation, so that it can resume; then the Pareto table, the recommended rules and
``optimization.json``), under the folder's lock, with the names of :mod:`.names`. This record reads
such a folder back, and writes a copy of one atomically.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..csvsafe import to_csv
from ..experiments.sensitivity.checkpoint import read_table, write_json
from ..io import atomic_dir
from ..scenario.errors import error
from .files import ResultFolderError, checked, damaged, read_json, read_table_if
from .names import OptimizationFiles


@dataclass
class OptimizationRecord:
    """What an optimisation folder holds: ``optimization.json`` (settings, reference, nearest
    Pareto rule, recommended rules), ``pareto.csv``, ``recommended.csv``, every evaluation, and
    the recommended rules' scenario files (name → TOML text)."""

    metadata: dict
    pareto: pd.DataFrame
    recommended: pd.DataFrame
    evaluations: pd.DataFrame | None = None
    rules: dict[str, str] = field(default_factory=dict)
    path: Path | None = None

    @classmethod
    def read(cls, folder: str | Path) -> OptimizationRecord:
        path = Path(folder)
        if not (path / OptimizationFiles.METADATA).is_file():
            raise ResultFolderError(
                f"{path}: not a perfsim optimisation folder (no {OptimizationFiles.METADATA})"
            )
        pareto = read_table_if(path / OptimizationFiles.PARETO)
        if pareto is None:
            raise ResultFolderError(
                f"{path}: an unfinished optimisation (no {OptimizationFiles.PARETO}); rerun the "
                "same perfsim optimize command with --resume"
            )
        metadata = read_json(path / OptimizationFiles.METADATA)
        _check_pareto(path / OptimizationFiles.PARETO, pareto, metadata)
        evaluations = None
        for suffix in (".parquet", ".csv"):
            file = path / f"{OptimizationFiles.EVALUATIONS}{suffix}"
            if file.is_file():
                evaluations = read_table(file)
                break
        rules_dir = path / OptimizationFiles.RULES
        rules = (
            {p.stem: p.read_text(encoding="utf-8") for p in sorted(rules_dir.glob("*.toml"))}
            if rules_dir.is_dir()
            else {}
        )
        recommended = checked(
            read_table_if(path / OptimizationFiles.RECOMMENDED),
            path / OptimizationFiles.RECOMMENDED,
            ("rule", "world", "metric", "verdict"),
            again=AGAIN_OPTIMIZE,
        )
        return cls(
            metadata=metadata,
            pareto=pareto,
            recommended=recommended if recommended is not None else pd.DataFrame(),
            evaluations=evaluations,
            rules=rules,
            path=path,
        )

    def write(self, folder: str | Path, force: bool = False) -> Path:
        """Write the folder atomically (see :mod:`perfsim.io`)."""
        with atomic_dir(folder, "optimization", force=force) as tmp:
            to_csv(self.pareto, tmp / OptimizationFiles.PARETO)
            to_csv(self.recommended, tmp / OptimizationFiles.RECOMMENDED)
            if self.evaluations is not None:
                to_csv(self.evaluations, tmp / f"{OptimizationFiles.EVALUATIONS}.csv")
            (tmp / OptimizationFiles.RULES).mkdir()
            for name, text in self.rules.items():
                (tmp / OptimizationFiles.rule(name)).write_text(text, encoding="utf-8")
            write_json(tmp / OptimizationFiles.METADATA, self.metadata)
        return Path(folder)


#: what a damaged file of an optimisation folder advises
AGAIN_OPTIMIZE = error("again_optimize")


def _check_pareto(file: Path, pareto: pd.DataFrame, metadata: dict) -> None:
    """Refuse (:class:`ResultFolderError`) a Pareto table without a finite value of every
    objective in every row: an emptied or edited ``pareto.csv`` made the report a traceback."""
    objectives = [o.get("metric") for o in metadata.get("objectives") or [] if isinstance(o, dict)]
    missing = [m for m in objectives if m not in pareto.columns]
    bad = [m for m in objectives if m in pareto.columns and not _finite(pareto[m])]
    if len(pareto) == 0 or missing or bad:
        why = (
            error("pareto_no_rows") if len(pareto) == 0
            else error("no_column", columns=", ".join(missing)) if missing
            else error("values_not_finite", names=", ".join(bad))
        )  # fmt: skip
        raise damaged(file, why, AGAIN_OPTIMIZE)


def _finite(column: pd.Series) -> bool:
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
    return bool(np.isfinite(values).all())
