"""Memory guard: estimate what a run needs before it starts, and refuse one that cannot fit.

A simulation holds, at once (``perfsim.engine``; replications run in blocks of ``B`` reps):

- the working arrays of one block per worker, ``B × D × (J + K + R + C)`` cells (departments D,
  indicators J, tasks K, rater groups R, components C), about 5 arrays of each;
- for the best-response and adaptive policies, the common-random-number samples and the rule
  evaluated on them, ``S × B × D × (J + R)`` cells (S = ``world.samples``), about 8 arrays;
- the per-department sums of every block until the blocks are combined, and the departments table
  of the result: ``D × (2J + K + C + bands + 6)`` cells per block, and twice that once.

There is no ``D²`` term: Kendall's τ-b counts pairs in bounded chunks or by merge sort
(:func:`perfsim.metrics.kendall_tau_b`). Periods cost time, not memory (each period overwrites
the last). The factors were measured with ``ru_maxrss`` on the Hangzhou 2011 scenario (naive:
100,000-400,000 departments; best response: 66-20,000 departments, 32-128 samples) and the
estimate lies 10-60 % above the measured peak.

:func:`check` compares the estimate with the memory available (``MemAvailable`` of
``/proc/meminfo``, the cgroup's ``memory.max`` if lower, else ``os.sysconf``) and raises
:class:`~perfsim.scenario.ScenarioError` naming the key to lower. The environment variable
:data:`LIMIT_VARIABLE` overrides the limit (``64G``, ``500M``, a number of bytes) or turns the
check off (``off``). Without it, a run whose arrays need less than :data:`UNCHECKED_BELOW` (64 MB)
is not checked: reading the system's memory would cost a noticeable share of such a run.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from .scenario import PerfsimError, Problem, Scenario, ScenarioError, scenario_source
from .scenario.errors import error
from .scenario.loader import scenario_label
from .scenario.world import World

__all__ = [
    "LIMIT_VARIABLE",
    "UNCHECKED_BELOW",
    "Estimate",
    "available_memory",
    "check",
    "estimate",
    "memory_limit",
]

#: Environment variable that sets the memory limit of a run (or ``off``).
LIMIT_VARIABLE = "PERFSIM_MEMORY_LIMIT"

#: Bytes per cell (float64) times the arrays of each kind that are alive at the peak.
WORKING_BYTES = 8 * 5
SAMPLE_BYTES = 8 * 8
KEPT_BYTES = 8
#: Interpreter, numpy, scipy, pandas and the scenario: the resident size before a run.
BASE_BYTES = 256 * 2**20

#: A run whose arrays need less than this (beyond :data:`BASE_BYTES`) is not checked against the
#: system's available memory unless :data:`LIMIT_VARIABLE` is set: reading ``/proc/meminfo`` costs
#: about 0.2 ms of CPU, a fortieth of a 200-replication naive run, and a run that adds a quarter
#: of what the interpreter already holds fits wherever the interpreter did
UNCHECKED_BELOW = 64 * 2**20

#: Largest number of sample values a block holds (``perfsim.engine``'s block budget).
BLOCK_BUDGET = 4_000_000
MAX_BLOCK = 256

#: What each blamed key is reset to when looking for the one that makes the run too big.
_DEFAULTS = {
    "world.departments": 50,
    "world.samples": World.model_fields["samples"].default,
    "reps": 100,
}

_UNITS = {"": 1, "B": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


@dataclass(frozen=True)
class Estimate:
    """Bytes a run needs, by part (exact Python integers: no overflow for absurd sizes)."""

    working: int
    samples: int
    kept: int
    base: int = BASE_BYTES

    @property
    def total(self) -> int:
        return self.working + self.samples + self.kept + self.base


def estimate(
    scenario: Scenario, reps: int, jobs: int = 1, *, departments=None, samples=None
) -> Estimate:
    """Memory a simulation of ``reps`` replications of ``scenario`` needs, in bytes.

    ``departments`` and ``samples`` replace the scenario's values (to ask what would fit)."""
    w, r = scenario.world, scenario.rule
    d = int(w.departments if departments is None else departments)
    s = int(w.samples if samples is None else samples) if w.policy != "naive" else 0
    reps = max(1, int(reps))
    n_ind, n_rat, n_task = len(r.indicators), len(w.raters), len(w.tasks)
    n_comp = len(r.resolved_components())
    n_bands = len(r.grading.bands)
    per_rep = max(1, s) * d * max(1, n_ind + n_rat)  # as engine.Model.block_size
    block = max(1, min(MAX_BLOCK, BLOCK_BUDGET // per_rep, reps))
    n_blocks = -(-reps // block)
    workers = max(1, min(int(jobs), n_blocks))
    per_dept = 2 * n_ind + n_task + n_comp + n_bands + 6
    return Estimate(
        working=workers * WORKING_BYTES * block * d * (n_ind + n_task + n_rat + n_comp),
        samples=workers * SAMPLE_BYTES * s * block * d * (n_ind + n_rat),
        kept=KEPT_BYTES * d * per_dept * (n_blocks + 2) + 150 * d,
    )


def _limit_setting() -> str:
    """The value of :data:`LIMIT_VARIABLE`, stripped ('' when unset)."""
    return os.environ.get(LIMIT_VARIABLE, "").strip()


def memory_limit() -> tuple[int | None, str]:
    """The memory a run may use, in bytes, and where that number comes from; None = no check."""
    text = _limit_setting()
    if text:
        if text.lower() in ("off", "none", "0"):
            return None, f"{LIMIT_VARIABLE}={text}"
        number, unit = text.upper().rstrip("IB"), ""
        if number and number[-1] in _UNITS:
            number, unit = number[:-1], number[-1]
        try:
            value = int(float(number) * _UNITS[unit])
        except (ValueError, OverflowError):
            value = 0
        if value <= 0:
            raise PerfsimError(
                error("memory_size", variable=LIMIT_VARIABLE, value=repr(text))
            ) from None
        return value, error("memory_allowed", variable=LIMIT_VARIABLE, value=text)
    return available_memory()


def available_memory() -> tuple[int | None, str]:
    """Memory available to this process: ``MemAvailable`` (or ``os.sysconf``), capped by the
    cgroup's ``memory.max``; None when neither can be read."""
    found, where = None, ""
    with contextlib.suppress(OSError, ValueError, IndexError):  # not Linux: try sysconf below
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                found, where = int(line.split()[1]) * 1024, error("memory_available")
    if found is None:
        try:
            found = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
            where = error("memory_sysconf")
        except (AttributeError, ValueError, OSError):
            return None, "unknown"
    with contextlib.suppress(OSError, ValueError):  # no cgroup limit ("max") or no cgroup v2
        cg = Path("/sys/fs/cgroup")
        cap = int((cg / "memory.max").read_text()) - int((cg / "memory.current").read_text())
        if cap < found:
            found, where = cap, error("memory_cgroup")
    return found, where


def check(scenario: Scenario, reps: int, jobs: int = 1) -> Estimate:
    """Raise :class:`ScenarioError` when a run would not fit in memory; return the estimate.

    The error names the key that makes the run too big (the one whose reset to a usual value
    shrinks the estimate most: ``world.departments``, ``world.samples`` or ``reps``), its value,
    the estimate and the limit, and how to override the limit."""
    if scenario.world is None:  # nothing to simulate; engine.build says so
        return Estimate(0, 0, 0, 0)
    need = estimate(scenario, reps, jobs)
    if need.total - need.base < UNCHECKED_BELOW and not _limit_setting():
        return need  # a small run: not worth the system's memory reading (module docstring)
    limit, where = memory_limit()
    if limit is None or need.total <= limit:
        return need
    w = scenario.world
    values = {"world.departments": w.departments, "world.samples": w.samples, "reps": reps}
    shrunk = {
        "world.departments": estimate(
            scenario, reps, jobs, departments=_DEFAULTS["world.departments"]
        ),
        "world.samples": estimate(scenario, reps, jobs, samples=_DEFAULTS["world.samples"]),
        "reps": estimate(scenario, _DEFAULTS["reps"], jobs),
    }
    if w.policy == "naive":
        del shrunk["world.samples"]
    key = min(shrunk, key=lambda k: shrunk[k].total)
    path = "--reps" if key == "reps" else key
    message = error(
        "memory_need",
        need=_size(need.total),
        memory=_size(limit),
        limit_source=where,
        option=path,
        variable=LIMIT_VARIABLE,
    )
    # (the world's departments, say: named with the world and the --set it was loaded with)
    source = scenario_label(scenario) if key.startswith("world.") else scenario_source(scenario)
    raise ScenarioError([Problem(source, path, values[key], message)])


def _size(n: int) -> str:
    if n >= 2**60:
        return f"2^{n.bit_length() - 1} bytes"
    for unit, scale in (("TB", 2**40), ("GB", 2**30), ("MB", 2**20)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n:,} bytes"
