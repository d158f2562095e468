"""Every file name of a perfsim result folder, written once.

The writers (``simulation.write_run``, ``experiments.compare``, ``empirical.folder``, the
sensitivity run and its checkpoint), the readers (:mod:`perfsim.results`), the folder check,
:mod:`perfsim.report`, :mod:`perfsim.io` (which marker file tells a folder's kind) and the CLI's
summary lines all take their names from here. This module imports nothing and sits in the lowest
layer, so that every layer may use it.
"""

from __future__ import annotations

FIGURES = "figures"
"""Sub-folder of PNG and SVG figures (every kind); a report in another language than English
draws its figures into ``figures/<lang>/`` (:func:`figure_folder`)."""
REPORT_HTML = "report.html"
REPORT_MD = "report.md"


def report_files(lang: str = "en") -> tuple[str, str]:
    """The HTML and Markdown report of a folder in the language ``lang``: ``report.html`` and
    ``report.md`` in English, ``report.<lang>.html`` and ``report.<lang>.md`` in another, so that
    a report in one language never replaces one in another."""
    if lang == "en":
        return REPORT_HTML, REPORT_MD
    return f"report.{lang}.html", f"report.{lang}.md"


def figure_folder(lang: str = "en") -> str:
    """The sub-folder (relative, with ``/``) of the figures a report in ``lang`` draws:
    ``figures`` in English, ``figures/<lang>`` in another language."""
    return FIGURES if lang == "en" else f"{FIGURES}/{lang}"


class RunFiles:
    """A simulation run folder (``perfsim run``)."""

    METADATA = "metadata.json"
    METRICS = "metrics.csv"
    DEPARTMENTS = "departments.csv"
    PERIODS = "periods.csv"
    REPLICATIONS = "replications.csv"
    CONFUSION = "confusion.csv"
    #: the tables a run may write, in the order the CLI's summary line names those it wrote
    TABLES = (METRICS, DEPARTMENTS, PERIODS, REPLICATIONS, CONFUSION)


class ComparisonFiles:
    """A comparison folder (``perfsim compare``): one run folder per world × rule under ``runs/``."""

    METADATA = RunFiles.METADATA
    COMPARISON = "comparison.csv"
    ROBUSTNESS = "robustness.csv"
    RUNS = "runs"

    @staticmethod
    def run(world: int, rule: int) -> str:
        """The sub-run folder (relative) of the ``world``-th world and ``rule``-th rule."""
        return f"{ComparisonFiles.RUNS}/w{world}-r{rule}"


class SensitivityFiles:
    """A sensitivity folder (``perfsim sensitivity``)."""

    METADATA = "sensitivity.json"
    INDICES = "indices.csv"
    CONVERGENCE = "convergence.csv"
    SAMPLES = "samples"  # stem: samples.parquet, or samples.csv without pyarrow
    CHUNKS = "chunks"  # chunks/chunk-00000.parquet (or .csv), one per finished chunk
    REGION_CSV = "region.csv"
    REGION_TXT = "region.txt"

    @staticmethod
    def chunk(chunk_id: int) -> str:
        """A chunk's file stem in ``chunks/`` (the suffix says the format)."""
        return f"chunk-{chunk_id:05d}"

    @classmethod
    def written(cls, rel: str) -> bool:
        """Whether ``rel`` (a path in the folder, with ``/``) is a file the analysis writes
        (its report's files aside): what an analysis interrupted before its file list claims as
        its own when it resumes."""
        tables = (cls.METADATA, cls.INDICES, cls.CONVERGENCE, cls.REGION_CSV, cls.REGION_TXT)
        if rel in tables or rel in _stem_files(cls.SAMPLES):
            return True
        folder, _, name = rel.partition("/")
        stem = name.rsplit(".", 1)[0]
        chunk = stem.startswith("chunk-") and stem[6:].isdigit()
        return folder == cls.CHUNKS and chunk and name in _stem_files(stem)


class OptimizationFiles:
    """An optimisation folder (``perfsim optimize``)."""

    METADATA = "optimization.json"
    PARETO = "pareto.csv"
    EVALUATIONS = "evaluations"  # stem: evaluations.parquet, or evaluations.csv without pyarrow
    RECOMMENDED = "recommended.csv"  # each recommended rule against the reference
    RULES = "rules"  # rules/<name>.toml, ready-to-use scenario files

    @staticmethod
    def rule(name: str) -> str:
        """A recommended rule's scenario file (relative)."""
        return f"{OptimizationFiles.RULES}/{name}.toml"

    @classmethod
    def written(cls, rel: str) -> bool:
        """Whether ``rel`` (a path in the folder, with ``/``) is a file the optimisation writes
        (its report's files aside): :meth:`SensitivityFiles.written`."""
        tables = (cls.METADATA, cls.PARETO, cls.RECOMMENDED)
        if rel in tables or rel in _stem_files(cls.EVALUATIONS):
            return True
        folder, _, name = rel.partition("/")
        return folder == cls.RULES and "/" not in name and name.endswith(".toml")


def _stem_files(stem: str) -> tuple[str, str]:
    """A table's two files: Parquet, or CSV without pyarrow."""
    return f"{stem}.parquet", f"{stem}.csv"


class EmpiricalFiles:
    """An empirical folder (``perfsim empirical``)."""

    METADATA = "empirical.json"
    SCORES = "scores.csv"
    RANK_CHANGES = "rank_changes.csv"
    RELIABILITY = "reliability.csv"
    OUTRANKS = "outranks.csv"
    RATER_GROUPS = "rater_groups.csv"
    RATERS = "raters.csv"
    ITEMS = "items.csv"
    CALIBRATION = "calibration.csv"
    CALIBRATION_GROUPS = "calibration_groups.csv"
    CALIBRATION_ITEMS = "calibration_items.csv"
    CALIBRATION_CLASSES = "calibration_classes.csv"
    CALIBRATED = "calibrated.toml"


MARKERS = {
    RunFiles.METADATA: "run",
    SensitivityFiles.METADATA: "sensitivity",
    EmpiricalFiles.METADATA: "empirical",
    OptimizationFiles.METADATA: "optimization",
}
"""Marker file → kind, for folders written before ``.perfsim.json`` (a comparison's
``metadata.json`` says ``"kind": "comparison"``)."""


WITHIN_CLASS = " (within class)"
"""Suffix of a ``rank_changes.csv`` column that ranks a rule's totals within each class (beside a
rule that grades within class)."""
