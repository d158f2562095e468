"""Every public rules function refuses NaN, ±inf and empty arrays with a ValueError that names the
argument, and keeps working where NaN means something (missing bounds, no quota, uncapped)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from helpers import ROOT
from hypothesis import given, settings
from hypothesis import strategies as st

import perfsim
from perfsim.rules import aggregate, checks, grade, normalize, reward, weights
from perfsim.rules.pipeline import compile_rule, evaluate

RNG = np.random.default_rng(3)
X = RNG.uniform(1.0, 20.0, size=(3, 5, 2))  # (rep, dept, indicator), positive (entropy)
T = RNG.normal(70.0, 10.0, size=(3, 5))  # (rep, dept) scores
P = RNG.uniform(0.0, 3.0, size=(3, 5, 2))  # bonus/deduction points
G = RNG.integers(0, 3, size=(3, 5))  # grades

# (name, function, valid keyword arguments, numeric arguments that must be finite)
CASES = [
    ("efficacy", normalize.efficacy_coefficient,
     dict(values=X, bad=[0.0, 30.0], good=[20.0, 0.0], benefit=[True, False], base=60.0, span=40.0),
     ["values", "base", "span"]),
    ("minmax", normalize.min_max, dict(values=X, base=[0.0, 1.0], span=100.0,
                                       groups=np.array([0.0, 1, 0, 1, 0])),
     ["values", "base", "span", "groups"]),
    ("zscore", normalize.z_score, dict(values=X, base=50.0, span=10.0), ["values", "base", "span"]),
    ("percentile", normalize.percentile_rank, dict(values=X), ["values"]),
    ("target", normalize.target_attainment,
     dict(values=X, target=[5.0, 8.0], cap=[2.0, 1.5], base=0.0, span=100.0),
     ["values", "target", "base", "span"]),
    ("linear", normalize.linear, dict(values=X, target=[5.0, 8.0], span=2.0),
     ["values", "target", "span"]),
    ("fixed", weights.fixed, dict(matrix=X, weights=[1.0, 3.0]), ["matrix", "weights"]),
    ("equal", weights.equal, dict(matrix=X), ["matrix"]),
    ("entropy", weights.entropy, dict(matrix=X, benefit=[True, False]), ["matrix"]),
    ("critic", weights.critic, dict(matrix=X, benefit=[True, False]), ["matrix"]),
    ("per_class", weights.per_class,
     dict(class_weights=[[1.0, 2.0], [2.0, 1.0]], classes=np.array([0, 1, 0, 1, 0])),
     ["class_weights", "classes"]),
    ("ahp", weights.ahp, dict(pairwise=[[1.0, 3.0], [1 / 3, 1.0]]), ["pairwise"]),
    ("weighted_sum", aggregate.weighted_sum, dict(scores=X, weights=[1.0, 2.0]),
     ["scores", "weights"]),
    ("topsis", aggregate.topsis, dict(matrix=X, weights=[1.0, 2.0], benefit=[True, False]),
     ["matrix", "weights"]),
    ("borda", aggregate.borda, dict(scores=X, weights=[1.0, 2.0]), ["scores", "weights"]),
    ("bonus_deduction", aggregate.bonus_deduction,
     dict(total=T, points=P, sign=[1.0, -1.0], caps=[2.0, np.nan], net_cap=2.5),
     ["total", "points", "sign"]),
    ("rank", grade.rank, dict(scores=T), ["scores"]),
    ("assign_grades", grade.assign_grades,
     dict(scores=T, n_bands=3, quotas=[0.2, np.nan], thresholds=[60.0, np.nan]),
     ["scores", "quotas", "thresholds"]),
    ("rank_and_grade", grade.rank_and_grade,
     dict(scores=T, n_bands=3, quotas=[0.4, 0.4], thresholds=[np.nan, 50.0]),
     ["scores", "quotas", "thresholds"]),
    ("apply_veto", grade.apply_veto, dict(grades=G, veto=G == 1, veto_grade=2), ["grades"]),
    ("payoff", reward.payoff, dict(grades=G, table=np.ones((3, 3))), ["grades", "table"]),
]  # fmt: skip
NAN_OK = {"quotas", "thresholds"}  # NaN = no quota, no threshold
IDS = [c[0] for c in CASES]
PARAMS = [(f, kw, arg) for _, f, kw, args in CASES for arg in args]
PARAM_IDS = [f"{name}-{arg}" for name, _, _, args in CASES for arg in args]


def _corrupt(value, bad: float) -> np.ndarray:
    """``value`` as a float array with ``bad`` in its last entry."""
    arr = np.array(value, dtype=float)
    arr.flat[-1] = bad
    return arr


def _raises_naming(arg: str, func, **kwargs) -> str:
    with pytest.raises(ValueError, match=rf"^{re.escape(arg)}\b") as info:
        func(**kwargs)
    return str(info.value)


@pytest.mark.parametrize("func, kwargs", [(c[1], c[2]) for c in CASES], ids=IDS)
def test_valid_arguments_give_finite_results(func, kwargs):
    out = func(**kwargs)
    out = out.weights if isinstance(out, weights.AHPResult) else out
    out = np.concatenate([np.ravel(o) for o in out]) if isinstance(out, tuple) else out
    assert np.isfinite(np.asarray(out, dtype=float)).all()


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf], ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize("func, kwargs, arg", PARAMS, ids=PARAM_IDS)
def test_nan_and_inf_are_refused_naming_the_argument(func, kwargs, arg, bad):
    if arg in NAN_OK and np.isnan(bad):
        func(**{**kwargs, arg: _corrupt(kwargs[arg], bad)})
        return
    message = _raises_naming(arg, func, **{**kwargs, arg: _corrupt(kwargs[arg], bad)})
    if arg not in ("classes", "pairwise"):  # these say what they are in their own words
        assert ("NaN" if np.isnan(bad) else "inf") in message and "finite" in message


@pytest.mark.parametrize("func, kwargs, arg", PARAMS, ids=PARAM_IDS)
def test_empty_arrays_are_refused_naming_the_argument(func, kwargs, arg):
    shape = np.shape(kwargs[arg])
    empty = np.empty((0,) * max(1, len(shape)), dtype=np.asarray(kwargs[arg]).dtype)
    _raises_naming(arg, func, **{**kwargs, arg: empty})


MATRIX_FUNCTIONS = [(f, kw, args[0]) for _, f, kw, args in CASES if args[0] in ("values", "matrix",
                                                                                  "scores")]  # fmt: skip


@pytest.mark.parametrize(
    "func, kwargs, arg", MATRIX_FUNCTIONS, ids=lambda v: getattr(v, "__name__", "")
)
def test_no_departments_or_no_indicators_is_a_value_error(func, kwargs, arg):
    value = np.asarray(kwargs[arg])
    for empty in (value[..., :0, :], value[..., :0]) if value.ndim >= 3 else (value[..., :0],):
        _raises_naming(arg, func, **{**kwargs, arg: empty})


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(PARAMS),
    st.sampled_from([np.nan, np.inf, -np.inf]),
    st.integers(0, 10**6),
)
def test_a_bad_entry_anywhere_is_found(case, bad, where):
    func, kwargs, arg = case
    if arg in NAN_OK and np.isnan(bad):
        bad = np.inf
    arr = np.array(kwargs[arg], dtype=float)
    if arr.ndim == 0:
        arr = arr[None] if arg not in ("base", "span", "net_cap") else arr
    arr.flat[where % arr.size] = bad
    message = _raises_naming(arg, func, **{**kwargs, arg: arr})
    if arr.ndim and arg not in ("classes", "pairwise"):  # the message shows the index
        index = np.unravel_index(where % arr.size, arr.shape)
        assert f"[{', '.join(map(str, index))}]" in message


def test_nan_and_inf_where_they_mean_something():
    """bad/good NaN = from the data, cap inf = uncapped, quota/threshold NaN = none, caps
    NaN/inf = uncapped: still accepted, and refused where they mean nothing."""
    got = normalize.efficacy_coefficient(X, bad=[np.nan, 0.0], good=[np.nan, 30.0])
    ref = normalize.efficacy_coefficient(X, bad=[X[..., 0].min(), 0.0], good=[30.0, 30.0])
    np.testing.assert_allclose(got[..., 1], ref[..., 1])
    _raises_naming("bad", normalize.efficacy_coefficient, values=X, bad=[np.inf, 0.0])
    assert np.isfinite(normalize.target_attainment(X, target=5.0, cap=np.inf)).all()
    _raises_naming("cap", normalize.target_attainment, values=X, target=5.0, cap=np.nan)
    assert np.isfinite(aggregate.bonus_deduction(T, P, sign=[1, -1], caps=[np.inf, np.nan])).all()
    _raises_naming("net_cap", aggregate.bonus_deduction, total=T, points=P, sign=[1, -1],
                   net_cap=np.nan)  # fmt: skip
    _raises_naming("quotas", grade.assign_grades, scores=T, n_bands=2, quotas=[np.inf])
    _raises_naming("thresholds", grade.assign_grades, scores=T, n_bands=2, thresholds=[-np.inf])
    _raises_naming("benefit", normalize.z_score, values=X, benefit=[True, np.nan])
    _raises_naming("veto", grade.apply_veto, grades=G, veto=_corrupt(G == 1, np.nan), veto_grade=2)


def test_excluded_units_take_no_quota_slot():
    """``excluded`` grades a unit as if it scored below everyone (the veto), compared with the
    same scores where the excluded units are moved below the lowest score by hand."""
    s = np.array([[90.0, 88.0, 85.0, 80.0, 70.0, 60.0, 95.0, 50.0, 40.0, 30.0]])
    excluded = np.zeros(s.shape, dtype=bool)
    excluded[0, [0, 6]] = True  # the two best are vetoed
    kw = dict(n_bands=3, quotas=[0.2, 0.3], thresholds=[np.nan, np.nan])
    lowered = np.where(excluded, s.min() - 100.0, s)
    got = grade.assign_grades(s, excluded=excluded, **kw)
    np.testing.assert_array_equal(got, grade.assign_grades(lowered, **kw))
    np.testing.assert_array_equal(got[0, [1, 2]], [0, 0])  # their slots pass to the next two


def _hangzhou_inputs(n: int = 12):
    sc = perfsim.load_scenario(ROOT / "scenarios" / "hangzhou-2011.toml")
    c = compile_rule(sc.rule)
    rng = np.random.default_rng(0)
    return c, dict(
        indicators=rng.uniform(60.0, 100.0, (n, len(c.indicators))),
        classes=np.arange(n) % len(c.classes),
        columns=rng.uniform(1.0, 5.0, (n, len(c.column_components))),
        adjustments=rng.uniform(0.0, 2.0, (n, len(c.adjustments))),
        veto=np.arange(n) == 3,
        targets=np.full((n, len(c.indicators)), np.nan),  # NaN: the rule's own target
    )


@pytest.mark.parametrize("arg", ["indicators", "columns", "adjustments", "targets", "veto"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf], ids=["nan", "inf", "-inf"])
def test_evaluate_refuses_bad_inputs_naming_them(arg, bad):
    c, inputs = _hangzhou_inputs()
    ev = evaluate(c, **inputs)
    assert np.isfinite(ev.total).all() and ev.grade[3] == c.veto_grade
    if arg == "targets" and np.isnan(bad):
        return  # NaN targets are the rule's targets: accepted above
    value = inputs[arg] if arg != "targets" else np.full_like(inputs[arg], 90.0)
    _raises_naming(arg, evaluate, compiled=c, **{**inputs, arg: _corrupt(value, bad)})


def test_evaluate_refuses_no_departments():
    c, inputs = _hangzhou_inputs()
    _raises_naming("indicators", evaluate, compiled=c,
                   **{**inputs, "indicators": inputs["indicators"][:0]})  # fmt: skip


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("shape", [(4, 5, 3), (1, 5, 3), (3,)])
def test_a_broadcast_view_is_checked_as_the_full_array(bad, shape):
    """The check reads a broadcast row once; it finds what a check of the copied array finds."""
    row = np.array([1.0, 2.0, 3.0])
    assert checks.finite(np.broadcast_to(row, shape), "targets").shape == shape
    row[1] = bad
    view = np.broadcast_to(row, shape)
    messages = []
    for x in (view, view.copy()):
        with pytest.raises(ValueError) as err:
            checks.finite(x, "targets")
        messages.append(str(err.value))
    assert messages[0] == messages[1]
    if np.isnan(bad):  # allowed NaN: accepted from the view as from the copy
        assert checks.finite(view, "targets", nan="the rule's target").shape == shape
