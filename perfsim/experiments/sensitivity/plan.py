"""What a sensitivity analysis computes and where it runs: :class:`SensitivityPlan`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

from ...scenario import arguments
from ..discovery import parse_bounds
from .errors import SensitivityError
from .methods import Method, method

#: The largest automatic chunk: samples per chunk file (and per task sent to a worker).
CHUNK_SIZE = 64
#: Automatic chunks per worker. A run ends with workers idle while the last chunks finish: about
#: half a chunk each, so 16 chunks per worker keep that tail near 1/32 of the run.
CHUNKS_PER_WORKER = 16


def default_chunk_size(samples: int, workers: int) -> int:
    """Samples per chunk when the plan gives none: at least :data:`CHUNKS_PER_WORKER` chunks per
    worker, and at most :data:`CHUNK_SIZE` samples a chunk (a checkpoint every few seconds)."""
    per_chunk = -(-samples // (max(1, workers) * CHUNKS_PER_WORKER))
    return int(min(CHUNK_SIZE, max(1, per_chunk)))


@dataclass(frozen=True)
class SensitivityPlan:
    """The settings of a sensitivity analysis, validated when the plan is made.

    ``method``: sobol, morris, fast, delta or lhs; ``n``: the method's sample size (None: its
    default, :attr:`size`); ``reps``/``seed``: replications per sample and the common seed of every
    sample; ``second_order``: Sobol' S2 too; ``metrics``: analyse only these outputs (None: all);
    ``bounds``: designer bounds (``{"class_bias": ("<", 5)}`` or ``["class_bias<5"]``) for the
    rule-space region; ``jobs`` (local processes) or ``scheduler`` (Dask): where samples run;
    ``chunk_size``: samples per chunk file (None: :func:`default_chunk_size` from the sample
    size and the number of workers, or the size recorded in the run folder). The fields that change the sample or its results
    (method, n, seed, reps, second order, chunk size) are part of a run folder's hash.
    """

    method: str = "sobol"
    n: int | None = None
    reps: int = 20
    seed: int = 0
    second_order: bool = False
    metrics: Sequence[str] | None = None
    bounds: Mapping[str, tuple[str, float]] | Sequence[str] | None = None
    jobs: int = 1
    scheduler: str | None = None
    chunk_size: int | None = None

    def __post_init__(self) -> None:
        method(self.method)  # a known method
        checks = (
            ("n", self.record.default_n if self.n is None else self.n, 1),
            ("reps", self.reps, 1),
            ("jobs", self.jobs, 1),
            ("chunk_size", 1 if self.chunk_size is None else self.chunk_size, 1),
            ("seed", self.seed, 0),
        )
        for name, value, low in checks:
            if name == "seed":
                arguments.seed(value)  # (not None, not a float: ArgumentError)
            elif not arguments.is_whole(value):
                arguments.whole(name, value, low)  # ArgumentError
            if value < low:
                raise SensitivityError(f"{name} = {value}: must be ≥ {low}")
        if self.metrics is not None:  # (one name alone: a list of one)
            names = arguments.texts("metrics", self.metrics)
            object.__setattr__(self, "metrics", names)
        if self.bounds:
            self.parsed_bounds()  # fail now, before any sample runs

    @classmethod
    def from_options(cls, plan: SensitivityPlan | None = None, **options) -> SensitivityPlan:
        """``plan`` (or the defaults) with some fields replaced by keyword options."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise TypeError(
                f"unexpected option(s) {', '.join(unknown)}; a plan has {', '.join(sorted(known))}"
            )
        base = {f.name: getattr(plan, f.name) for f in fields(cls)} if plan is not None else {}
        return cls(**{**base, **options})

    @property
    def record(self) -> Method:
        """The method's registry record."""
        return method(self.method)

    @property
    def size(self) -> int:
        """The requested sample size: ``n``, or the method's default."""
        return self.record.default_n if self.n is None else int(self.n)

    def parsed_bounds(self) -> dict[str, tuple[str, float]] | None:
        """The designer bounds as {metric: (operator, value)} (None without bounds)."""
        if not self.bounds:
            return None
        return parse_bounds(self.bounds)
