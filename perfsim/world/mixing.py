"""How the best-response iteration moves towards its fixed point: per-department damping and
Anderson mixing, each replication on its own (:func:`perfsim.world.response.best_response`).

With ``x`` a replication's choices (every department's effort and gaming) and ``f(x) = BR(x) − x``
its step, the plain damped iteration is ``x ← x + α ⊙ f(x)`` with a damping ``α_d`` per department
(:func:`next_damping`). Anderson mixing (Walker & Ni 2011, "Anderson acceleration for fixed-point
iterations") takes instead

    x_{k+1} = x_k + α ⊙ f_k − Σ_i γ_i (Δx_i + α ⊙ Δf_i),   γ = argmin ‖f_k − Σ_i γ_i Δf_i‖,

over the last ``depth`` differences ``Δx_i = x_{i+1} − x_i`` and ``Δf_i = f_{i+1} − f_i``: the
combination of recent iterates whose linearised step is smallest. It removes the slow, smooth
modes of the iteration (departments whose own choices feed back on their marginal reward); the
best response is not smooth everywhere (a department may switch gaming candidate), so mixing
starts only once the residual has fallen to :data:`CALM` of its first value (from the first step
when the iteration starts warm, at the last period's fixed point, whose regimes are chosen), the
history is dropped whenever the residual grows, and the result is projected on ``x ≥ 0``. Mixing
changes only the path: a replication has converged when its residual ``max |f(x)|`` is within the
tolerance, as without it. The step runs row by row in a compiled loop
(:func:`perfsim.world.kernels.anderson`); :meth:`Anderson.step_reference` is its numpy
formulation, the reference of its tests.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .. import fastreduce

#: Anderson mixing starts once a replication's residual has fallen below this share of its first
#: (before, while departments still choose between regimes, it could carry a department past the
#: better of two self-consistent choices)
CALM = 0.1

#: smallest per-department damping
MIN_DAMPING = 0.02


#: the factor a department's damping is multiplied by when its step turns back, and otherwise
BACK, AHEAD = 0.7, 1.1
#: after this many turn-backs a department's damping grows only by :data:`AHEAD_LATE`, unless its
#: steps barely shrink (successive steps with ratio above :data:`CRAWL`)
TURNS, AHEAD_LATE, CRAWL = 3, 1.05, 0.9


def next_damping(
    alpha: NDArray, step: NDArray, last: NDArray, damping: float, turns: NDArray
) -> tuple[NDArray, NDArray]:
    """Each department's damping (B, D) after its step ``step`` (B, D, n) followed ``last``, and
    its count of turn-backs.

    The damping is multiplied by :data:`BACK` (down to :data:`MIN_DAMPING`) when the step turns
    back (negative inner product: it oscillates), else by :data:`AHEAD` (up to ``damping``). A
    department that has turned back :data:`TURNS` times grows its damping by :data:`AHEAD_LATE`
    only, so that one whose best response falls steeply in its own choices (at a cut-off) cannot
    cycle: over a cycle its damping shrinks. While its steps barely shrink
    (``⟨step, last⟩ / ‖last‖² > CRAWL``: it creeps towards a distant point, or away from an unstable
    one) it grows by :data:`AHEAD`, up to 1 (the undamped step) rather than ``damping``."""
    dot = (step * last).sum(-1)
    back = dot < 0
    turns = turns + back
    crawl = dot > CRAWL * (last * last).sum(-1)
    ahead = np.where((turns < TURNS) | crawl, AHEAD, AHEAD_LATE)
    top = np.where(crawl, 1.0, damping)
    alpha = np.where(back, np.maximum(MIN_DAMPING, BACK * alpha), np.minimum(top, ahead * alpha))
    return alpha, turns


def track(
    active: NDArray,
    e: NDArray,
    g: NDArray,
    e_new: NDArray,
    g_new: NDArray,
    due: NDArray,
    alpha: NDArray,
    last: NDArray,
    turns: NDArray,
    damping: float,
    update: bool,
) -> tuple[NDArray, NDArray, NDArray, NDArray, NDArray]:
    """:func:`track_reference` in one compiled pass over the departments
    (:func:`perfsim.world.kernels.track`, the same numbers: its sums add in numpy's order). The
    compiled pass checks no bounds: arrays that are not what :func:`perfsim.world.response.best_response`
    passes (float64 choices, dampings and steps; ``active`` increasing replication indices, one per
    row; shapes that match without broadcasting; more than ``kernels.PAIRWISE_UP_TO`` choices per
    department) take the numpy formulation."""
    from . import kernels  # (numba: imported by the first best response)

    if not _compiled_fits(active, e, g, e_new, g_new, due, alpha, last, turns):
        return track_reference(active, e, g, e_new, g_new, due, alpha, last, turns, damping, update)
    parts = [np.ascontiguousarray(v, dtype=float) for v in (e, g, e_new, g_new)]
    constants = (MIN_DAMPING, BACK, AHEAD, float(TURNS), AHEAD_LATE, CRAWL)
    return kernels.track(
        np.ascontiguousarray(active, dtype=np.intp), *parts, np.ascontiguousarray(due),
        alpha, last, turns, float(damping), update, constants,
    )  # fmt: skip


def _compiled_fits(active, e, g, e_new, g_new, due, alpha, last, turns) -> bool:
    """Whether :func:`track`'s arrays are what its compiled pass assumes (it checks no bounds)."""
    from . import kernels

    active = np.asarray(active)
    b, d, k = e.shape
    n = k + g.shape[-1]
    floats = all(np.asarray(v).dtype == np.float64 for v in (e, g, e_new, g_new, alpha, last))
    return (
        floats
        and n <= kernels.PAIRWISE_UP_TO
        and active.dtype.kind in "iu"
        and active.shape == (b,)
        and (b == 0 or (active[0] >= 0 and active[-1] < alpha.shape[0]))
        and bool((np.diff(active) > 0).all())
        and g.shape[:2] == (b, d)
        and e_new.shape == e.shape
        and g_new.shape == g.shape
        and np.shape(due) == (b, d)
        and np.asarray(due).dtype == bool
        and alpha.shape[1:] == (d,)
        and last.shape == (*alpha.shape, n)
        and turns.shape == alpha.shape
        and turns.dtype == np.intp
    )


def track_reference(active, e, g, e_new, g_new, due, alpha, last, turns, damping, update):
    """One iteration's bookkeeping for the replications ``active``: their choices ``x`` (b, D, n),
    the step ``BR(x) − x`` to the new choices (``e_new``, ``g_new``), each department's largest
    move (b, D), its damping (:func:`next_damping` where ``due`` and ``update``, else unchanged)
    and the damped step ``x + α step``. ``alpha``, ``last`` (the previous step, replaced where
    ``due``) and ``turns`` (all replications) are updated in place. Returns (x, step, damped,
    moved, damping (b, D))."""
    step = np.concatenate([e_new - e, g_new - g], axis=-1)
    moved = fastreduce.max_abs_last(step)
    a = alpha[active]
    if update:  # (a department not due keeps its damping and its last step)
        a_new, turned = next_damping(a, step, last[active], damping, turns[active])
        a, turns[active] = np.where(due, a_new, a), np.where(due, turned, turns[active])
    alpha[active], last[active] = a, np.where(due[..., None], step, last[active])
    x = np.concatenate([e, g], axis=-1)
    return x, step, x + a[..., None] * step, moved, a


#: after this many successive iterations with a growing residual a replication pauses Anderson
#: mixing (damped steps only) for :data:`PAUSE` iterations: it creeps away from a fixed point its
#: damped steps cannot reach, or spirals slowly around one with a few departments (a contest for
#: one quota place) that mixing resolves once it starts again
CREEP, PAUSE = 6, 10


def pause(paused: NDArray, growing: NDArray, active: NDArray, it: int) -> NDArray:
    """Whether each replication of ``active`` takes damped steps only at iteration ``it``: from
    :data:`CREEP` growing residuals for :data:`PAUSE` iterations (then it mixes again, its
    count of growing residuals restarted). ``paused`` and ``growing`` are updated in place."""
    since, grow = paused[active], growing[active]
    since = np.where((since < 0) & (grow >= CREEP), it, since)
    back = (since >= 0) & (it - since >= PAUSE)
    since, grow = np.where(back, -1, since), np.where(back, 0, grow)
    paused[active], growing[active] = since, grow
    return since >= 0


class Anderson:
    """Anderson mixing of depth ``depth`` for ``reps`` replications of ``size`` unknowns each."""

    def __init__(self, reps: int, size: int, depth: int = 3, calm: bool = True) -> None:
        self.depth = depth
        self.calm = calm  # wait for CALM (False: a warm start, mixing from the first step)
        self.dx = np.zeros((reps, depth, size))  # ring buffers of differences
        self.df = np.zeros((reps, depth, size))
        self.count = np.zeros(reps, dtype=np.intp)  # differences stored since the last restart
        self.x = np.zeros((reps, size))  # the last iterate and its step
        self.f = np.zeros((reps, size))
        self.residual = np.full(reps, np.inf)
        self.first = np.full(reps, np.inf)

    def step(
        self, active: NDArray, x: NDArray, f: NDArray, alpha: NDArray, residual: NDArray
    ) -> NDArray:
        """The next iterate of the replications ``active`` from ``x`` and its step ``f`` (b, D, n),
        with damping ``alpha`` (b, D) and residuals ``residual`` (b,): :meth:`step_reference`
        row by row in a compiled loop (:func:`perfsim.world.kernels.anderson`)."""
        from . import kernels  # (numba: imported by the first best response)

        b = len(active)
        out = kernels.anderson(
            np.ascontiguousarray(active, dtype=np.intp),
            np.ascontiguousarray(x.reshape(b, -1)),
            np.ascontiguousarray(f.reshape(b, -1)),
            np.ascontiguousarray(alpha, dtype=float),
            np.ascontiguousarray(residual, dtype=float),
            (self.dx, self.df, self.x, self.f),
            (self.count, self.residual, self.first),
            self.calm,
            self.depth,
            CALM,
        )
        return out.reshape(x.shape)

    def step_reference(
        self, active: NDArray, x: NDArray, f: NDArray, alpha: NDArray, residual: NDArray
    ) -> NDArray:
        """The numpy formulation of :meth:`step` (its reference in the tests)."""
        shape, b = x.shape, len(active)
        x, f = x.reshape(b, -1), f.reshape(b, -1)
        beta = np.broadcast_to(alpha[..., None], shape).reshape(b, -1)
        # a growing residual restarts the history (a kink of the best response was crossed)
        count = np.where(residual > self.residual[active], 0, self.count[active])
        first = np.where(np.isfinite(self.first[active]), self.first[active], residual)
        self.first[active] = first
        if self.calm:  # mixing only once settling
            count = np.where(residual <= CALM * first, count, 0)
        whole = active.size == self.count.size  # every replication: work on the buffers
        dx, df = (self.dx, self.df) if whole else (self.dx[active], self.df[active])
        rows = np.flatnonzero(count > 0)
        slot = (count[rows] - 1) % self.depth
        dx[rows, slot] = x[rows] - self.x[active[rows]]
        df[rows, slot] = f[rows] - self.f[active[rows]]
        gamma = _coefficients(df, f, np.minimum(count, self.depth))
        mixed = x + beta * f - (gamma[:, None, :] @ (dx + beta[:, None] * df))[:, 0]
        if not whole:  # (only the new differences: the rest of the buffers are unchanged)
            mine = active[rows]
            self.dx[mine, slot], self.df[mine, slot] = dx[rows, slot], df[rows, slot]
        self.count[active] = count + 1
        self.x[active], self.f[active], self.residual[active] = x, f, residual
        return np.maximum(mixed, 0.0).reshape(shape)


def _coefficients(df: NDArray, f: NDArray, used: NDArray) -> NDArray:
    """``γ = argmin ‖f − Σ_i γ_i Δf_i‖`` over the ``used`` stored differences of each replication
    (zero for the others), by the regularised normal equations."""
    b, depth = df.shape[:2]
    mask = np.arange(depth)[None] < used[:, None]  # (b, m)
    both = mask[:, :, None] & mask[:, None, :]
    gram = np.where(both, df @ df.transpose(0, 2, 1), 0.0)
    rhs = np.where(mask, (df @ f[..., None])[..., 0], 0.0)
    scale = np.trace(gram, axis1=1, axis2=2)
    eye = np.eye(depth)[None]
    # unused slots solve γ_i = 0; a tiny ridge keeps nearly parallel differences well posed
    gram = gram + eye * np.where(mask, 1e-10 * scale[:, None] + 1e-300, 1.0)[:, None, :]
    return np.linalg.solve(gram, rhs[..., None])[..., 0]
