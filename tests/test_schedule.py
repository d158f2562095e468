"""The asynchronous best-response iteration (``response.Schedule``): a department that has settled
is not recomputed until its replication's next full iteration, the departments that are computed
get the same responses (to rounding) as when every department is, and a replication converges
only on a full iteration."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

import perfsim
from perfsim.world import response

SC = str(Path(__file__).resolve().parents[1] / "scenarios") + "/"

CASES = [
    (SC + "hangzhou-2011.toml", []),  # veto events, audits with a detection rate, a quota
    (SC + "hangzhou-2011.toml", ["rule.audit.veto=true", "rule.audit.probability=0.4"]),
    (SC + "mlr-2011.toml", []),
    (SC + "teaching/audit.toml", []),
    (SC + "theory/v7e-events.toml", []),
    # group statistics: a department's marginal scores depend on the others' (not local)
    (SC + "hangzhou-2011.toml", ['rule.normalize.method="percentile"']),
    (SC + "hangzhou-2011.toml", ['rule.normalize.method="minmax"']),
]


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize(
    ("path", "overrides"), CASES, ids=lambda x: Path(x).stem if isinstance(x, str) else "-".join(x)
)
def test_responses_of_some_departments_equal_those_of_all(monkeypatch, path, overrides):
    """At every iteration of a short run, ``_respond`` on a random 30 % of the departments gives
    those departments' effort, gaming and pick of the call on all of them, and leaves the others
    where they were (pick −1)."""
    respond = response._respond
    checked = []

    def both(ctx, e, g, targets, learned, held=None, due=None):
        full = respond(ctx, e, g, targets, learned, held)
        mask = np.random.default_rng(len(checked)).random(e.shape[:2]) < 0.3
        part = respond(ctx, e, g, targets, learned, held, due=mask)
        for x_full, x_part, x_old in zip(full[:2], part[:2], (e, g), strict=True):
            np.testing.assert_allclose(x_part[mask], x_full[mask], rtol=1e-12, atol=1e-12)
            np.testing.assert_array_equal(x_part[~mask], x_old[~mask])
        np.testing.assert_array_equal(part[2][mask], full[2][mask])
        np.testing.assert_allclose(part[3][mask], full[3][mask], rtol=1e-9, atol=1e-12)
        assert (part[2][~mask] == -1).all() and (part[3][~mask] == 0).all()
        checked.append(mask.sum())
        return full

    monkeypatch.setattr(response, "_respond", both)
    sc = perfsim.load_scenario(path, [*overrides, "world.max_iterations=8"])
    perfsim.simulate(sc, reps=4, seed=5, overrides=['world.policy="best_response"'])
    assert len(checked) >= 2 and sum(checked) > 0


def _record(monkeypatch, overrides, reps=12, seed=2):
    """The run's Response and, per iteration, {replication: (full, departments due)}."""
    plan_due, iterate = response.Schedule.due, response._iterate
    log, out = [], []

    def due(self, active, last):
        full, mask = plan_due(self, active, last)
        log.append(
            {int(b): (bool(f), int(m.sum())) for b, f, m in zip(active, full, mask, strict=True)}
        )
        return full, mask

    def keep(*args, **kwargs):
        out.append(iterate(*args, **kwargs))
        return out[-1]

    monkeypatch.setattr(response.Schedule, "due", due)
    monkeypatch.setattr(response, "_iterate", keep)
    sc = perfsim.load_scenario(SC + "hangzhou-2011.toml", overrides)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = perfsim.simulate(sc, reps=reps, seed=seed)
    return out[-1], log, result


@pytest.mark.parametrize(
    "overrides",
    [["world.departments=200"], ["world.departments=40", "rule.audit.probability=0.3"]],
    ids=["200-departments", "40-with-audits"],
)
def test_a_replication_converges_only_on_a_full_iteration(monkeypatch, overrides):
    resp, log, _ = _record(monkeypatch, overrides)
    n = 200 if "world.departments=200" in overrides else 40
    skipped = sum(n - due for it in log for full, due in it.values())
    assert skipped > 0  # the schedule did skip settled departments
    assert resp.converged.all()
    for b, its in enumerate(resp.iterations):
        full, due = log[its - 1][b]
        assert full and due == n, f"replication {b} converged at a partial iteration"
        assert resp.residual[b] <= 1e-3


def test_the_schedule_changes_the_path_not_the_equilibrium(monkeypatch):
    """With and without skipping settled departments: the same converged share and, replication by
    replication, the same mean effort and gaming within a few tolerances (the fixed points differ
    by where within the tolerance each iteration stops)."""
    over = ["world.departments=120"]
    with_plan, log, _ = _record(monkeypatch, over, reps=8, seed=4)
    monkeypatch.undo()
    monkeypatch.setattr(response.Schedule, "QUIET_RUN", 10**6)  # never skip
    monkeypatch.setattr(response.Schedule, "REFRESH", 1)  # every iteration full
    without, log_all, _ = _record(monkeypatch, over, reps=8, seed=4)
    assert all(full for it in log_all for full, _ in it.values())
    assert with_plan.converged.all() and without.converged.all()
    for a, b in [(with_plan.effort, without.effort), (with_plan.gaming, without.gaming)]:
        np.testing.assert_allclose(a.mean(axis=(1, 2)), b.mean(axis=(1, 2)), atol=3e-3)
    work = sum(d for it in log for _, d in it.values())
    work_all = sum(d for it in log_all for _, d in it.values())
    # (13,940 against 14,640 department-responses, model revision 16: the run without the
    # schedule weighs the effort candidates at every iteration, and took 15,600 before them)
    assert work < 0.97 * work_all


def test_quiet_departments_wait_for_the_next_full_iteration():
    plan = response.Schedule(reps=2, n=3)
    active = np.arange(2)
    tol = 1e-3
    loud = np.zeros((2, 3))  # each department's largest step
    loud[:, 0] = 10 * tol  # department 0 still moving in both replications
    residual = np.full(2, 10 * tol)
    for _ in range(2):  # two quiet steps of departments 1 and 2
        full, due = plan.due(active, last=False)
        assert due.all()
        plan.update(active, due, loud, full, residual, tol)
    full, due = plan.due(active, last=False)
    assert not full.any() and due.tolist() == [[True, False, False]] * 2
    plan.update(active, due, loud, full, np.array([10 * tol, 2 * tol]), tol)
    full, due = plan.due(active, last=False)  # replication 1 came near the tolerance: full
    assert full.tolist() == [False, True] and due[1].all() and not due[0, 1:].any()
    full, due = plan.due(active, last=True)  # the last allowed iteration is full
    assert full.all() and due.all()


@pytest.mark.parametrize("n", [response.Schedule.LARGE - 1, response.Schedule.LARGE])
def test_large_worlds_verify_less_often(n):
    """From ``Schedule.LARGE`` departments a replication iterates fully only once its residual is
    within the tolerance (not three tolerances) and every ``REFRESH_LARGE`` iterations (not
    ``REFRESH``); smaller worlds keep the earlier checks."""
    large = n >= response.Schedule.LARGE
    tol = 1e-3
    plan = response.Schedule(reps=3, n=n)
    active = np.arange(3)
    moved = np.full((3, n), 10 * tol)  # every department still moving: all due
    full, due = plan.due(active, last=False)
    plan.update(active, due, moved, full, np.array([2 * tol, 0.5 * tol, 10 * tol]), tol)
    full, _ = plan.due(active, last=False)
    assert full.tolist() == ([False, True, False] if large else [True, True, False])
    every = response.Schedule.REFRESH_LARGE if large else response.Schedule.REFRESH
    plan = response.Schedule(reps=1, n=n)
    fulls = []
    for _ in range(2 * every):
        full, due = plan.due(active[:1], last=False)
        fulls.append(bool(full[0]))
        plan.update(active[:1], due, moved[:1], full, np.array([10 * tol]), tol)
    assert [i + 1 for i, f in enumerate(fulls) if f] == [every, 2 * every]
