"""Metrics against scipy, pingouin, krippendorff and direct formulas; property tests."""

import warnings

import krippendorff
import numpy as np
import pandas as pd
import pingouin
import pytest
from helpers import ROOT
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats

from perfsim.metric_registry import EFFECTIVE_WEIGHT, METRICS, better, metric_info
from perfsim.metrics import (
    METRIC_DESCRIPTIONS,
    METRIC_DIRECTIONS,
    class_bias,
    class_gaps,
    evaluation_cost,
    gaming_share,
    gini,
    icc,
    inflation,
    kendall_tau_b,
    krippendorff_alpha,
    misclassification,
    rank_fidelity,
    rank_stability,
    spearman_rho,
    summarize,
    welfare_loss,
)

RNG = np.random.default_rng(20240611)


def _with_ties(rng: np.random.Generator, shape: tuple[int, ...], levels: int) -> np.ndarray:
    return rng.integers(0, levels, size=shape).astype(float)


def _scipy_rowwise(func, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.array([func(a, b).statistic for a, b in zip(x, y, strict=True)])


# --- rank correlations ------------------------------------------------------------------------


@pytest.mark.parametrize("levels", [3, 10, 1000])
def test_kendall_and_spearman_match_scipy_with_ties(levels):
    x = _with_ties(RNG, (12, 40), levels)
    y = x + _with_ties(RNG, (12, 40), levels)
    x[3] = 5.0  # a constant row: undefined, NaN as in scipy
    tau = kendall_tau_b(x, y)
    rho = spearman_rho(x, y)
    ref_tau = _scipy_rowwise(stats.kendalltau, x, y)
    ref_rho = _scipy_rowwise(stats.spearmanr, x, y)
    assert tau.shape == rho.shape == (12,)
    np.testing.assert_allclose(tau, ref_tau, rtol=0, atol=1e-10)
    np.testing.assert_allclose(rho, ref_rho, rtol=0, atol=1e-10)
    assert np.isnan(tau[3]) and np.isnan(rho[3])
    assert np.isfinite(np.delete(tau, 3)).all()


def test_kendall_nan_and_tiny_inputs():
    x = np.array([[1.0, 2.0, np.nan], [1.0, 2.0, 3.0]])
    y = np.array([[3.0, 2.0, 1.0], [3.0, 2.0, 1.0]])
    tau = kendall_tau_b(x, y)
    assert np.isnan(tau[0]) and tau[1] == pytest.approx(-1.0)
    assert np.isnan(kendall_tau_b([[1.0]], [[2.0]])).all()
    assert np.isnan(spearman_rho(x, y)[0])
    with pytest.raises(ValueError, match="same shape"):
        kendall_tau_b(np.zeros((2, 3)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"\(rep, dept\)"):
        spearman_rho(np.zeros(3), np.zeros(3))


def test_kendall_on_many_departments_matches_scipy():
    x = _with_ties(RNG, (2, 400), 50)
    y = x + _with_ties(RNG, (2, 400), 50)
    expected = [stats.kendalltau(x[r], y[r]).statistic for r in range(2)]
    np.testing.assert_allclose(kendall_tau_b(x, y), expected, rtol=0, atol=1e-12)


def test_rank_fidelity_and_stability():
    v = RNG.normal(size=(4, 25))
    s = v + RNG.normal(size=(4, 25))
    fid = rank_fidelity(v, s)
    assert set(fid) == {"kendall_tau", "spearman_rho"}
    np.testing.assert_array_equal(fid["kendall_tau"], kendall_tau_b(v, s))
    np.testing.assert_array_equal(fid["spearman_rho"], spearman_rho(v, s))
    np.testing.assert_array_equal(rank_stability(v, s), kendall_tau_b(v, s))


rows = hnp.arrays(
    np.float64,
    st.tuples(st.integers(1, 4), st.integers(2, 12)),
    elements=st.integers(-5, 5).map(float),
)


@settings(max_examples=60, deadline=None)
@given(rows, st.data())
def test_tau_symmetric_and_bounded(x, data):
    y = data.draw(hnp.arrays(np.float64, x.shape, elements=st.integers(-5, 5).map(float)))
    t_xy, t_yx = kendall_tau_b(x, y), kendall_tau_b(y, x)
    np.testing.assert_array_equal(np.isnan(t_xy), np.isnan(t_yx))
    np.testing.assert_allclose(t_xy, t_yx, atol=1e-12)
    finite = t_xy[np.isfinite(t_xy)]
    assert ((finite >= -1 - 1e-12) & (finite <= 1 + 1e-12)).all()
    np.testing.assert_allclose(kendall_tau_b(x, -y), -t_xy, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 4), st.integers(2, 15), st.randoms(use_true_random=False))
def test_tau_and_rho_of_self_is_one_without_ties(n_rep, n, rnd):
    x = np.array([rnd.sample(range(1000), n) for _ in range(n_rep)], dtype=float)
    np.testing.assert_allclose(kendall_tau_b(x, x), 1.0, atol=1e-12)
    np.testing.assert_allclose(spearman_rho(x, x), 1.0, atol=1e-12)
    np.testing.assert_allclose(kendall_tau_b(x, 2 * x + 3), 1.0, atol=1e-12)


# --- misclassification ------------------------------------------------------------------------


def test_misclassification_example_and_ties_by_order():
    v = np.array([[10.0, 9.0, 8.0, 7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0]])
    grade = np.array([[0, 1, 2, 2, 2, 2, 2, 2, 3, 0]])
    out = misclassification(v, grade, top_share=0.2, bottom_share=0.2, bottom_grade=3)
    # top-2 = depts 0, 1: dept 1 missed; bottom-2 = depts 8, 9: dept 9 graded above bottom
    np.testing.assert_allclose(out["top_missed"], [0.5])
    np.testing.assert_allclose(out["bottom_missed"], [0.5])
    np.testing.assert_allclose(out["top_in_bottom"], [0.0])
    # equal true values: the lower index counts as better
    tied = np.array([[1.0, 1.0, 1.0, 1.0]])
    g = np.array([[0, 2, 2, 2]])
    out = misclassification(tied, g, top_share=0.25, bottom_grade=2)
    np.testing.assert_allclose(out["top_missed"], [0.0])  # dept 0 is the top
    np.testing.assert_allclose(out["bottom_missed"], [0.0])  # dept 3 is the bottom
    g = np.array([[2, 0, 0, 0]])
    out = misclassification(tied, g, top_share=0.25, bottom_grade=2)
    np.testing.assert_allclose(out["top_missed"], [1.0])
    np.testing.assert_allclose(out["top_in_bottom"], [1.0])
    np.testing.assert_allclose(out["bottom_missed"], [1.0])


def test_misclassification_is_undefined_with_a_single_band():
    """One band: the top grade is the bottom grade and a grade says nothing of a unit, so none of
    the three has a meaning (the registry's undefined_when); 0 would read as a perfect rule."""
    from perfsim.metric_registry import may_be_undefined

    rng = np.random.default_rng(1)
    v = rng.normal(size=(3, 12))
    out = misclassification(v, np.zeros((3, 12), int), top_share=0.25, bottom_grade=0)
    for name in ("top_missed", "bottom_missed", "top_in_bottom"):
        assert np.isnan(out[name]).all() and may_be_undefined(name)
    two = misclassification(v, np.ones((3, 12), int), top_share=0.25, bottom_grade=1)
    np.testing.assert_array_equal(two["top_in_bottom"], 1.0)  # two bands: all in the bottom
    np.testing.assert_array_equal(two["top_missed"], 1.0)
    np.testing.assert_array_equal(two["bottom_missed"], 0.0)


def test_misclassification_batch_matches_direct_loop():
    v = RNG.normal(size=(6, 23))
    g = RNG.integers(0, 4, size=(6, 23))
    out = misclassification(v, g, top_share=0.15, bottom_share=0.3, bottom_grade=3)
    q_top, q_bot = max(1, int(0.15 * 23)), max(1, int(0.3 * 23))
    for r in range(6):
        order = np.argsort(-v[r])
        top, bot = order[:q_top], order[-q_bot:]
        assert out["top_missed"][r] == pytest.approx(np.mean(g[r, top] != 0))
        assert out["bottom_missed"][r] == pytest.approx(np.mean(g[r, bot] < 3))
        assert out["top_in_bottom"][r] == pytest.approx(np.mean(g[r, top] == 3))
    # a tiny share still takes one department
    one = misclassification(v, g, top_share=0.01, bottom_grade=3)
    np.testing.assert_allclose(one["top_missed"], g[np.arange(6), v.argmax(axis=1)] != 0)
    with pytest.raises(ValueError, match="top_share"):
        misclassification(v, g, top_share=0.0, bottom_grade=3)


# --- class bias -------------------------------------------------------------------------------


def test_class_gaps_match_lstsq_per_replication():
    n_rep, n = 5, 30
    classes = RNG.integers(0, 3, size=n)
    classes[:3] = [0, 1, 2]
    v = RNG.normal(size=(n_rep, n))
    s = 2.0 + 0.7 * v + RNG.normal(size=(n_rep, n))
    gaps = class_gaps(s, v, classes)
    bias = class_bias(s, v, classes)
    assert gaps.shape == (n_rep, 3) and bias.shape == (n_rep,)
    design = np.column_stack([(classes[:, None] == np.arange(3)).astype(float), np.zeros(n)])
    for r in range(n_rep):
        design[:, 3] = v[r]
        beta = np.linalg.lstsq(design, s[r], rcond=None)[0][:3]
        np.testing.assert_allclose(gaps[r], beta - beta[0], atol=1e-10)
    # the pair of classes is the one of the highest and lowest mean gap over the replications
    hi, lo = gaps.mean(axis=0).argmax(), gaps.mean(axis=0).argmin()
    np.testing.assert_allclose(bias, gaps[:, hi] - gaps[:, lo], atol=1e-12)


def test_class_bias_single_class_absent_code_and_unidentified():
    v = RNG.normal(size=(3, 10))
    s = v + RNG.normal(size=(3, 10))
    np.testing.assert_array_equal(class_bias(s, v, np.zeros(10, dtype=int)), 0.0)
    # code 1 is unused: its column is NaN and the bias uses classes 0 and 2 only
    classes = np.array([0] * 5 + [2] * 5)
    gaps = class_gaps(s, v, classes)
    assert np.isnan(gaps[:, 1]).all()
    sign = np.sign(gaps[:, 2].mean())
    np.testing.assert_allclose(class_bias(s, v, classes), sign * gaps[:, 2])
    # V constant within each class: the slope is not identified
    v_flat = np.repeat([[1.0] * 5 + [3.0] * 5], 3, axis=0)
    assert np.isnan(class_bias(s, v_flat, classes)).all()
    with pytest.raises(ValueError, match="classes"):
        class_bias(s, v, np.zeros(9, dtype=int))


@settings(max_examples=50, deadline=None)
@given(
    st.floats(-10, 10),
    st.floats(-5, 5),
    st.floats(-3, 3),
    st.integers(0, 2**32 - 1),
)
def test_class_bias_zero_without_gap_and_recovers_added_gap(a, b, gap, seed):
    rng = np.random.default_rng(seed)
    classes = np.array([0, 1] * 6)
    v = rng.normal(size=(3, 12))
    s = a + b * v
    np.testing.assert_allclose(class_bias(s, v, classes), 0.0, atol=1e-9)
    gaps = class_gaps(s + gap * classes, v, classes)
    np.testing.assert_allclose(gaps[:, 1], gap, atol=1e-9)
    np.testing.assert_allclose(class_bias(s + gap * classes, v, classes), abs(gap), atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    st.floats(0.0, 2.0),  # the true gap of class 1 over class 0 at equal value
    st.floats(0.3, 3.0),  # score noise sd
    st.sampled_from([2, 3, 5]),  # classes
    st.integers(0, 2**32 - 1),
)
def test_class_bias_estimates_the_systematic_gap_not_the_noise(gap, noise, n_classes, seed):
    """S = 1 + 0.8 V + gap·[class 1] + ε. Over 400 replications the mean class_bias is the true
    range of class intercepts, |gap|, within 4 Monte Carlo standard errors plus the winner's-curse
    term of choosing the pair from the same data (about the expected range of the class means'
    errors: 2.33 times the sd of one class mean's error for 5 classes, so 2.4 × here). The range
    within each replication, max_c β − min_c β, is not: with identical classes its mean is about
    √(2/π) times the sd of one replication's gap, √reps times more."""
    rng = np.random.default_rng(seed)
    reps, n = 400, 40
    classes = np.arange(n) % n_classes
    v = rng.normal(size=(reps, n))
    s = 1.0 + 0.8 * v + gap * (classes == 1) + noise * rng.normal(size=(reps, n))
    bias = class_bias(s, v, classes)
    gaps = class_gaps(s, v, classes)
    se = bias.std(ddof=1) / np.sqrt(reps)
    se_class = gaps.std(axis=0, ddof=1).max() / np.sqrt(reps)  # one class mean's error
    assert abs(bias.mean() - gap) < 4 * se + 1.2 * se_class * 2
    realised_range = np.nanmax(gaps, axis=1) - np.nanmin(gaps, axis=1)
    if gap == 0.0:  # identical classes: no detectable bias, though every realised range is > 0
        assert bias.mean() < 4 * se
        assert realised_range.mean() > 10 * se


# --- gaming, inflation, welfare ---------------------------------------------------------------


def test_gaming_share_inflation_welfare():
    e = RNG.uniform(size=(4, 6, 3))
    g = RNG.uniform(size=(4, 6, 2))
    g[1] = 0.0
    e[2] = 0.0
    g[2] = 0.0
    share = gaming_share(e, g)
    for r in range(4):
        total = e[r].sum() + g[r].sum()
        assert share[r] == pytest.approx(g[r].sum() / total if total else 0.0)
    assert share[1] == 0.0 and share[2] == 0.0
    m = RNG.normal(size=(4, 6, 2))
    y = RNG.normal(size=(4, 6, 2))
    np.testing.assert_allclose(inflation(m, y), [np.mean(m[r] - y[r]) for r in range(4)])
    # a cost indicator looks better reported lower: its gap counts with the opposite sign
    signed = [
        np.mean(np.c_[m[r, :, :1] - y[r, :, :1], y[r, :, 1:] - m[r, :, 1:]]) for r in range(4)
    ]
    np.testing.assert_allclose(inflation(m, y, benefit=[True, False]), signed)
    v = RNG.uniform(1, 2, size=(4, 6))
    fb = v + RNG.uniform(0, 1, size=(4, 6))
    np.testing.assert_allclose(welfare_loss(v, fb), 1 - v.sum(axis=1) / fb.sum(axis=1))
    np.testing.assert_allclose(welfare_loss(v, fb[0]), 1 - v.sum(axis=1) / fb[0].sum())
    np.testing.assert_array_equal(welfare_loss(fb, fb), 0.0)
    assert np.isnan(welfare_loss(v, np.zeros(6))).all()
    with pytest.raises(ValueError, match="effort"):
        gaming_share(e[0], g[0])


# --- Gini -------------------------------------------------------------------------------------


def _gini_direct(x: np.ndarray) -> float:
    n = x.size
    if x.sum() == 0:
        return 0.0
    return np.abs(x[:, None] - x[None, :]).sum() / (2 * n * n * x.mean())


def test_gini_direct_formula_and_negative_shift():
    x = RNG.exponential(size=(5, 17))
    np.testing.assert_allclose(gini(x), [_gini_direct(row) for row in x], atol=1e-12)
    assert gini([[0.0, 0.0, 0.0, 1.0]])[0] == pytest.approx(0.75)
    neg = np.array([[-2.0, 0.0, 3.0], [1.0, 2.0, 3.0]])
    np.testing.assert_allclose(gini(neg), [_gini_direct(neg[0] + 2.0), _gini_direct(neg[1])])
    np.testing.assert_array_equal(gini([[-1.0, -1.0], [0.0, 0.0]]), 0.0)


@settings(max_examples=60, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 4), st.integers(1, 20)),
        elements=st.floats(0, 1e6, allow_subnormal=False),
    ),
    st.floats(0, 1e3),
)
def test_gini_in_unit_interval_and_zero_for_equal(x, c):
    g = gini(x)
    assert g.shape == (x.shape[0],)
    assert ((g >= -1e-12) & (g < 1)).all()
    np.testing.assert_allclose(g, [_gini_direct(row) for row in x], atol=1e-9)
    np.testing.assert_allclose(gini(np.full(x.shape, c)), 0.0, atol=1e-12)


# --- cost -------------------------------------------------------------------------------------


def test_evaluation_cost():
    assert evaluation_cost([100, 50], [2.0, 3.0], 4, 25.0) == pytest.approx(450.0)
    assert isinstance(evaluation_cost([100, 50], 2.0, 0, 25.0), float)
    sizes = np.array([[100, 50], [200, 0]])
    audits = np.array([1, 3])
    np.testing.assert_allclose(evaluation_cost(sizes, [2.0, 3.0], audits, 10.0), [360.0, 430.0])


# --- reliability ------------------------------------------------------------------------------


def _pingouin_icc(table: np.ndarray) -> dict[str, float]:
    n, k = table.shape
    long = pd.DataFrame(
        {
            "target": np.repeat(np.arange(n), k),
            "rater": np.tile(np.arange(k), n),
            "rating": table.ravel(),
        }
    )
    with warnings.catch_warnings():  # pandas deprecations inside pingouin
        warnings.simplefilter("ignore")
        res = pingouin.intraclass_corr(long, targets="target", raters="rater", ratings="rating")
    # rows in Shrout-Fleiss order; pingouin >= 0.6 labels them ICC(1,1), ICC(A,1), ICC(C,1), ...
    assert list(res["Type"]) in (
        ["ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k"],
        ["ICC(1,1)", "ICC(A,1)", "ICC(C,1)", "ICC(1,k)", "ICC(A,k)", "ICC(C,k)"],
    )
    keys = ["icc1", "icc2", "icc3", "icc1k", "icc2k", "icc3k"]
    return dict(zip(keys, res["ICC"], strict=True))


@pytest.mark.parametrize("shape", [(6, 3), (10, 4), (25, 2)])
def test_icc_matches_pingouin(shape):
    n_rep = 4
    truth = RNG.normal(size=(n_rep, shape[0], 1))
    ratings = truth + 0.8 * RNG.normal(size=(n_rep, *shape)) + RNG.normal(size=(n_rep, 1, shape[1]))
    ratings[1] = np.round(ratings[1])  # ties
    out = icc(ratings)
    assert set(out) == {"icc1", "icc2", "icc3", "icc1k", "icc2k", "icc3k"}
    for r in range(n_rep):
        ref = _pingouin_icc(ratings[r])
        for key, value in ref.items():
            assert out[key].shape == (n_rep,)
            assert out[key][r] == pytest.approx(value, abs=1e-8), key


def test_icc_constant_table_and_bad_shape():
    out = icc(np.ones((2, 4, 3)))
    assert all(np.isnan(v).all() for v in out.values())
    with pytest.raises(ValueError, match="target, rater"):
        icc(np.ones((4, 3)))


def test_krippendorff_alpha_matches_package_with_missing():
    ratings = RNG.normal(size=(4, 12, 3)) + RNG.normal(size=(4, 12, 1)) * 2
    ratings[0, 2, 1] = np.nan
    ratings[2, :5, 0] = np.nan
    ordinal = np.round(ratings)
    for level, data in (("interval", ratings), ("ordinal", ordinal), ("nominal", ordinal)):
        out = krippendorff_alpha(data, level=level)
        ref = [krippendorff.alpha(reliability_data=t.T, level_of_measurement=level) for t in data]
        np.testing.assert_allclose(out, ref, atol=1e-12)


def test_krippendorff_alpha_undefined_is_nan():
    data = RNG.normal(size=(3, 5, 2))
    data[0] = 1.0  # one value only
    data[1, :, 1] = np.nan  # no unit rated twice
    out = krippendorff_alpha(data)
    assert np.isnan(out[:2]).all() and np.isfinite(out[2])
    with pytest.raises(ValueError, match="level"):
        krippendorff_alpha(data, level="bogus")


# --- summaries and tables ---------------------------------------------------------------------


def test_summarize():
    a = np.array([1.0, 2.0, 3.0, np.nan, np.inf])
    df = summarize({"a": a, "one": np.array([5.0]), "none": np.array([np.nan])})
    assert list(df.columns) == ["metric", "mean", "se", "n"]
    assert list(df["metric"]) == ["a", "one", "none"]
    row = df.iloc[0]
    assert row["mean"] == pytest.approx(2.0)
    assert row["se"] == pytest.approx(1.0 / np.sqrt(3))
    assert row["n"] == 3
    assert df.iloc[1]["mean"] == 5.0 and np.isnan(df.iloc[1]["se"]) and df.iloc[1]["n"] == 1
    assert np.isnan(df.iloc[2]["mean"]) and df.iloc[2]["n"] == 0


def test_directions_and_descriptions_cover_every_metric():
    expected = {
        "kendall_tau",
        "spearman_rho",
        "top_missed",
        "bottom_missed",
        "top_in_bottom",
        "class_bias",
        "gaming_share",
        "quota_below_threshold",
        "welfare_loss",
        "rank_stability",
        "reward_gini",
        "evaluation_cost",
        "shock_grades",
    }
    assert set(METRIC_DIRECTIONS) == expected
    # agreement between components that measure different things has no better side
    assert "icc2k" not in METRIC_DIRECTIONS and "krippendorff_alpha" not in METRIC_DIRECTIONS
    # inflation: gaming raises it, a reporting ceiling lowers it (a rule that caps more is no better)
    assert "inflation" not in METRIC_DIRECTIONS
    assert expected <= set(
        METRIC_DESCRIPTIONS
    )  # descriptive quantities (mean_total …) have no direction
    assert set(METRIC_DIRECTIONS.values()) <= {"higher", "lower"}
    assert all(isinstance(d, str) and d for d in METRIC_DESCRIPTIONS.values())


def test_every_registry_record_is_complete():
    records = [*METRICS.values(), EFFECTIVE_WEIGHT]
    for m in records:
        assert m.direction in ("higher", "lower", "none"), m.name
        for field in ("label", "description", "formula", "unit"):
            assert isinstance(getattr(m, field), str) and getattr(m, field), (m.name, field)
    assert all(name == m.name for name, m in METRICS.items())
    w = metric_info("effective_weight:社会评价")
    assert w is not None and w.name == "effective_weight:社会评价" and "社会评价" in w.description
    assert metric_info("no_such_metric") is None and better("no_such_metric") == ""


def test_every_metric_in_metrics_csv_has_a_registry_record(tmp_path):
    from perfsim import simulate
    from perfsim.simulation import write_run

    result = simulate(
        ROOT / "scenarios" / "hangzhou-2011.toml",
        overrides=["world.periods=2", "world.departments=12"],
        reps=2,
        seed=0,
    )
    table = pd.read_csv(write_run(result, tmp_path / "run") / "metrics.csv", keep_default_na=False)
    names = list(table["metric"])
    assert {"rank_stability", "icc2k", "krippendorff_alpha"} <= set(names)  # every kind
    assert any(n.startswith("effective_weight:") for n in names)
    for name, direction in zip(names, table["direction"], strict=True):
        m = metric_info(name)
        assert m is not None, f"{name} has no record in perfsim.metric_registry"
        assert direction == m.better


def test_vectorised_interval_alpha_equals_the_krippendorff_package():
    from perfsim.metrics import krippendorff_alpha, krippendorff_alpha_interval

    rng = np.random.default_rng(5)
    for shape in [(4, 12, 3), (2, 30, 2), (3, 7, 5)]:
        x = rng.normal(size=shape) + rng.normal(size=shape[:2])[..., None]
        np.testing.assert_allclose(
            krippendorff_alpha_interval(x), krippendorff_alpha(x), atol=1e-10
        )
    assert np.isnan(krippendorff_alpha_interval(np.ones((1, 5, 3))))[0]


def test_gaming_a_cost_indicator_inflates_it(tmp_path):
    # complaints per 1,000 cases (lower is better): gaming lowers the report, which makes the
    # department look better; the engine's inflation counts it as inflation (it was negative)
    from perfsim.cli import main
    from perfsim.simulation import simulate

    rule = tmp_path / "rule.toml"
    rule.write_text(
        '[rule.indicators."办结率"]\ncomponent = "综合"\nbad = 80\ngood = 100\n'
        '[rule.indicators."投诉率"]\ncomponent = "综合"\ndirection = "cost"\nbad = 40\ngood = 20\n'
        '[rule.grading]\nbands = ["优秀", "合格"]\n[rule.grading.quota]\n"优秀" = 0.3\n'
        '[rule.rewards."优秀"]\nbonus = 1.0\n',
        encoding="utf-8",
    )
    world = tmp_path / "world.toml"
    assert main(["new", "world", str(world), "--rule", str(rule)]) == 0
    honest = ["world.indicators.办结率.gameability=0"]  # only the cost indicator can be gamed
    runs = {
        k: simulate(rule, world=str(world), reps=12, seed=1, overrides=[*honest, *extra])
        for k, extra in (("gamed", []), ("not", ["world.indicators.投诉率.gameability=0"]))
    }
    gamed = runs["gamed"].departments["gaming:投诉率"].mean()
    assert gamed > 0.05  # departments do game the complaints rate
    # the same seed draws the same measurement noise in both runs (no ceiling here), so the
    # runs' inflation differs by gaming alone: it lowers the report by scale·κ·g = 10 · 0.5 · g,
    # which counts +5 g for a cost indicator, averaged with the other (ungamed) indicator
    change = runs["gamed"].metric("inflation") - runs["not"].metric("inflation")
    assert change == pytest.approx(5.0 * gamed / 2, rel=1e-6)
