"""What a sensitivity analysis returns (written into its run folder by :mod:`.output`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .methods import method


@dataclass
class SensitivityResult:
    """What :func:`run_sensitivity` returns (DataFrames tidy)."""

    method: str
    indices: pd.DataFrame  # metric, input, index, value, confidence
    samples: pd.DataFrame  # sample, inputs…, outputs…
    problem: dict
    inputs: list[str]  # names of the sampled inputs (columns of samples)
    outputs: list[str]  # analysed outputs (metrics)
    n: int
    notes: list[str]
    convergence: pd.DataFrame
    metadata: dict
    region: Any = None  # discovery.Region when bounds were given
    out: Path | None = None
    figures: list[Path] = field(default_factory=list)

    @property
    def main_index(self) -> str:
        return method(self.method).main_index

    def table(self, index: str | None = None) -> pd.DataFrame:
        """Inputs × metrics table of one index (default: ST, μ* or δ)."""
        t = self.indices[self.indices["index"] == (index or self.main_index)]
        return t.pivot(index="input", columns="metric", values="value").reindex(
            index=list(dict.fromkeys(t["input"])), columns=self.outputs
        )

    def top(self, metric: str, k: int = 3) -> pd.DataFrame:
        """The k inputs with the largest main index for a metric."""
        t = self.indices[
            (self.indices["metric"] == metric) & (self.indices["index"] == self.main_index)
        ]
        return t.sort_values("value", ascending=False, key=lambda s: s.fillna(-np.inf)).head(k)
