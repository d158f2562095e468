"""Reliability of real ratings tables against pingouin, statsmodels and krippendorff."""

import warnings

import krippendorff
import numpy as np
import pandas as pd
import pingouin
import pytest
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.stats.anova import anova_lm

from perfsim.empirical import reliability as rel
from perfsim.empirical.reliability import (
    ICC_FORMS,
    RELIABILITY_COLUMNS,
    icc,
    icc_oneway,
    rating_matrix,
    reliability,
)

RNG = np.random.default_rng(20240611)
FORMS = list(ICC_FORMS)


@pytest.fixture
def unrounded_pingouin():
    """pingouin rounds its CI95 column to 2 decimals by default; compare at full precision."""
    old = pingouin.options.get("round.column.CI95")
    pingouin.options["round.column.CI95"] = None
    yield
    pingouin.options["round.column.CI95"] = old


def _pingouin(long: pd.DataFrame, targets: str, raters: str, ratings: str) -> pd.DataFrame:
    with warnings.catch_warnings():  # pandas deprecations inside pingouin
        warnings.simplefilter("ignore")
        res = pingouin.intraclass_corr(long, targets=targets, raters=raters, ratings=ratings)
    assert list(res["Type"]) in (
        ["ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k"],
        ["ICC(1,1)", "ICC(A,1)", "ICC(C,1)", "ICC(1,k)", "ICC(A,k)", "ICC(C,k)"],
    )
    return res


def _long(table: np.ndarray) -> pd.DataFrame:
    n, k = table.shape
    return pd.DataFrame(
        {
            "target": np.repeat(np.arange(n), k),
            "rater": np.tile(np.arange(k), n),
            "rating": table.ravel(),
        }
    )


def _assert_matches_pingouin(out: pd.DataFrame, ref: pd.DataFrame) -> None:
    assert list(out["form"]) == FORMS
    np.testing.assert_allclose(out["estimate"], ref["ICC"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(out["F"], ref["F"], rtol=1e-10)
    np.testing.assert_array_equal(out["df1"], ref["df1"])
    np.testing.assert_array_equal(out["df2"], ref["df2"])
    np.testing.assert_allclose(out["p_value"], ref["pval"], rtol=1e-8, atol=1e-300)
    ci = np.vstack(ref["CI95"].to_numpy())
    np.testing.assert_allclose(out["ci_low"], ci[:, 0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(out["ci_high"], ci[:, 1], rtol=1e-9, atol=1e-12)


# --- icc --------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(6, 3), (10, 4), (30, 2), (66, 7), (12, 15)])
@pytest.mark.parametrize("rounded", [False, True])
def test_icc_matches_pingouin(shape, rounded, unrounded_pingouin):
    n, k = shape
    table = RNG.normal(size=(n, 1)) * 1.5 + RNG.normal(size=(1, k)) * 0.7 + RNG.normal(size=shape)
    if rounded:  # ties, as with answer categories
        table = np.round(table)
    out = icc(table)
    assert list(out.columns) == [
        "form",
        "description",
        "estimate",
        "ci_low",
        "ci_high",
        "F",
        "df1",
        "df2",
        "p_value",
        "k",
    ]
    assert (out["k"] == k).all()
    _assert_matches_pingouin(out, _pingouin(_long(table), "target", "rater", "rating"))


def test_icc_matches_pingouin_on_bundled_dataset(unrounded_pingouin):
    data = pingouin.read_dataset("icc")  # 8 wines × 4 judges (Shrout & Fleiss style example)
    table = data.pivot(index="Wine", columns="Judge", values="Scores").to_numpy(dtype=float)
    out = icc(table)
    _assert_matches_pingouin(out, _pingouin(data, "Wine", "Judge", "Scores"))
    assert out.loc[out["form"] == "icc1", "estimate"].item() == pytest.approx(0.728, abs=1e-3)


def test_icc_confidence_level_nests():
    table = RNG.normal(size=(20, 4)) + RNG.normal(size=(20, 1))
    wide, narrow = icc(table, confidence=0.99), icc(table, confidence=0.8)
    assert (wide["ci_low"] < narrow["ci_low"]).all()
    assert (wide["ci_high"] > narrow["ci_high"]).all()
    assert (narrow["ci_low"] < narrow["estimate"]).all()
    assert (narrow["estimate"] < narrow["ci_high"]).all()
    # ICC1 bound by hand: F_L = F / F_{0.9}(df1, df2), bound (F_L - 1) / (F_L + k - 1)
    row = narrow.iloc[0]
    f_low = row["F"] / stats.f.ppf(0.9, row["df1"], row["df2"])
    assert row["ci_low"] == pytest.approx((f_low - 1) / (f_low + 3))


def test_icc_rejects_degenerate_input():
    with pytest.raises(ValueError, match="NaN"):
        icc(np.array([[1.0, 2.0], [np.nan, 3.0], [2.0, 2.0]]))
    with pytest.raises(ValueError, match="at least 2 units and 2 raters"):
        icc(np.ones((1, 5)))
    with pytest.raises(ValueError, match="at least 2 units and 2 raters"):
        icc(np.ones((5, 1)))
    with pytest.raises(ValueError, match="units × raters"):
        icc(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match="confidence"):
        icc(np.eye(3), confidence=95)


def test_icc_constant_table_is_nan():
    out = icc(np.full((5, 3), 7.0))
    assert out["estimate"].isna().all()


# --- one-way unbalanced ICC ---------------------------------------------------------------------


def test_icc_oneway_balanced_equals_two_way_icc1(unrounded_pingouin):
    table = RNG.normal(size=(15, 5)) + RNG.normal(size=(15, 1)) * 2
    one = icc_oneway(table)
    full = icc(table).set_index("form").loc[["icc1", "icc1k"]].reset_index()
    cols = ["estimate", "ci_low", "ci_high", "F", "df1", "df2", "p_value", "k"]
    np.testing.assert_allclose(one[cols].to_numpy(float), full[cols].to_numpy(float), rtol=1e-12)
    ref = _pingouin(_long(table), "target", "rater", "rating").iloc[[0, 3]]
    np.testing.assert_allclose(one["estimate"], ref["ICC"], rtol=1e-10)
    np.testing.assert_allclose(np.vstack(ref["CI95"].to_numpy())[:, 0], one["ci_low"], rtol=1e-9)


def test_icc_oneway_unbalanced_matches_statsmodels_anova():
    n_units, n_raters = 25, 12
    table = RNG.normal(size=(n_units, 1)) * 1.3 + RNG.normal(size=(n_units, n_raters))
    table[RNG.random(table.shape) < 0.55] = np.nan
    table[0, :] = np.nan  # an unrated unit is dropped
    table[1, :] = np.nan
    table[1, 3] = 0.4  # a unit with a single rating still counts in MSB
    out = icc_oneway(table).set_index("form")

    unit, _ = np.nonzero(np.isfinite(table))
    long = pd.DataFrame({"unit": unit.astype(str), "y": table[np.isfinite(table)]})
    aov = anova_lm(smf.ols("y ~ C(unit)", data=long).fit())
    msb, msw = aov["mean_sq"].iloc[0], aov["mean_sq"].iloc[1]
    df1, df2 = aov["df"].iloc[0], aov["df"].iloc[1]
    n_i = long.groupby("unit").size().to_numpy()
    big_n, n = n_i.sum(), n_i.size
    k0 = (big_n - (n_i**2).sum() / big_n) / (n - 1)
    assert n == n_units - 1 and df1 == n - 1 and df2 == big_n - n
    assert k0 < big_n / n  # unbalanced: k0 below the mean raters per unit
    var_unit = (msb - msw) / k0  # ANOVA variance components
    assert out.loc["icc1", "estimate"] == pytest.approx(var_unit / (var_unit + msw), rel=1e-10)
    assert out.loc["icc1k", "estimate"] == pytest.approx((msb - msw) / msb, rel=1e-10)
    assert out.loc["icc1", "F"] == pytest.approx(aov["F"].iloc[0], rel=1e-10)
    assert out.loc["icc1", "p_value"] == pytest.approx(aov["PR(>F)"].iloc[0], rel=1e-8)
    assert out.loc["icc1", "k"] == pytest.approx(k0)
    assert (out["df1"] == df1).all() and (out["df2"] == df2).all()
    f_high = out.loc["icc1", "F"] * stats.f.ppf(0.975, df2, df1)
    assert out.loc["icc1", "ci_high"] == pytest.approx((f_high - 1) / (f_high + k0 - 1))
    assert out.loc["icc1k", "ci_high"] == pytest.approx(1 - 1 / f_high)


def test_icc_oneway_rejects_unusable_tables():
    table = np.full((4, 3), np.nan)
    table[np.arange(3), np.arange(3)] = [1.0, 2.0, 3.0]  # nobody rated a unit twice
    with pytest.raises(ValueError, match="2 or more ratings"):
        icc_oneway(table)
    with pytest.raises(ValueError, match="2 rated units"):
        icc_oneway(np.array([[1.0, 2.0, 3.0]]))


# --- synthetic ratings frames --------------------------------------------------------------------


def _frame(
    groups: dict[str, tuple[int, int]],
    n_units: int = 30,
    items: tuple[str, ...] = ("a", "b"),
    signal: float = 1.0,
    noise: float = 1.0,
    levels: int | None = 5,
    seed: int = 0,
) -> pd.DataFrame:
    """groups: name -> (raters, units per rater); units per rater == n_units is a panel."""
    rng = np.random.default_rng(seed)
    truth = rng.normal(size=n_units)
    rows = []
    for g, (n_raters, per) in groups.items():
        for r in range(n_raters):
            for u in rng.choice(n_units, per, replace=False):
                for item in items:
                    z = signal * truth[u] + noise * rng.normal()
                    if levels is None:
                        points, level = float(np.clip(60 + 12 * z, 0, 100)), -1
                    else:
                        level = int(np.clip(np.round((levels - 1) / 2 + z), 0, levels - 1))
                        points = 100.0 * level / (levels - 1)
                    rows.append((f"u{u:03d}", "", g, g, f"{g}-{r}", item, points, level))
    columns = ["unit", "unit_class", "component", "rater_group", "rater", "item", "points"]
    return pd.DataFrame(rows, columns=[*columns, "level"])


def test_rating_matrix_means_items_and_marks_missing():
    frame = pd.DataFrame(
        {
            "unit": ["A", "A", "B", "A", "C"],
            "rater_group": ["g", "g", "g", "h", "h"],
            "rater": ["g1", "g1", "g1", "h1", "h1"],
            "item": ["x", "y", "x", "x", "x"],
            "points": [10.0, 30.0, 50.0, 70.0, 90.0],
            "level": -1,
        }
    )
    units, raters, m = rating_matrix(frame)
    assert list(units) == ["A", "B", "C"] and list(raters) == ["g1", "h1"]
    np.testing.assert_array_equal(m, [[20.0, 70.0], [50.0, np.nan], [np.nan, 90.0]])
    units, raters, m = rating_matrix(frame, group="h")
    assert list(units) == ["A", "C"] and list(raters) == ["h1"]
    np.testing.assert_array_equal(m, [[70.0], [90.0]])
    with pytest.raises(ValueError, match="no ratings for rater group"):
        rating_matrix(frame, group="nobody")


def test_reliability_rows_for_every_group_and_overall():
    frame = _frame({"experts": (6, 30), "citizens": (200, 5), "deputies": (8, 30)})
    out = reliability(frame, n_boot=200)
    assert list(out.columns) == RELIABILITY_COLUMNS
    measures = [*FORMS, "alpha_interval", "alpha_ordinal"]
    for scope in ("experts", "citizens", "deputies", "overall"):
        assert list(out.loc[out["scope"] == scope, "measure"]) == measures
    assert list(pd.unique(out["scope"])) == ["experts", "citizens", "deputies", "overall"]
    by = out.set_index(["scope", "measure"])
    # panels: complete design, all six forms; survey and overall: one-way only
    assert by.loc[("experts", "icc2"), "design"].startswith("two-way ANOVA, complete design")
    assert by.loc[("experts", "icc3k"), ["n_units", "n_raters", "n_ratings"]].tolist() == [
        30,
        6,
        360,
    ]
    for scope in ("citizens", "overall"):
        assert by.loc[(scope, "icc1"), "design"].startswith("one-way random-effects ANOVA")
        assert np.isfinite(by.loc[(scope, "icc1k"), ["estimate", "ci_low", "ci_high"]]).all()
        for form in ("icc2", "icc3", "icc2k", "icc3k"):
            assert np.isnan(by.loc[(scope, form), "estimate"])
            assert by.loc[(scope, form), "design"].startswith("undefined")
    assert by.loc[("overall", "icc1"), "n_raters"] == 214
    assert by.loc[("overall", "alpha_interval"), "n_ratings"] == len(frame)
    finite = out[["estimate", "ci_low", "ci_high"]].dropna()
    assert (finite["ci_low"] <= finite["estimate"] + 1e-12).all()
    assert (finite["estimate"] <= finite["ci_high"] + 1e-12).all()


def test_reliability_noise_versus_agreement():
    groups = {"panel": (8, 40), "survey": (400, 6)}
    noise = reliability(_frame(groups, n_units=40, signal=0.0, levels=None), n_boot=200)
    agree = reliability(_frame(groups, n_units=40, signal=1.0, noise=0.05, levels=None), n_boot=0)
    for scope in ("panel", "survey", "overall"):
        est = noise[noise["scope"] == scope].set_index("measure")["estimate"]
        assert abs(est["icc1"]) < 0.08, scope
        assert abs(est["alpha_interval"]) < 0.08, scope
        ci = noise.set_index(["scope", "measure"]).loc[(scope, "icc1"), ["ci_low", "ci_high"]]
        assert ci["ci_low"] < 0 < ci["ci_high"] + 0.02
        est = agree[agree["scope"] == scope].set_index("measure")["estimate"]
        assert est["icc1"] > 0.95 and est["icc1k"] > 0.99, scope
        assert est["alpha_interval"] > 0.95, scope
        assert np.isnan(est["alpha_ordinal"])  # numeric scores only
    panel = agree[agree["scope"] == "panel"].set_index("measure")["estimate"]
    assert (panel[FORMS] > 0.95).all()
    assert agree["ci_low"].isna().sum() >= 3 * 3  # n_boot=0: no α CI (ordinal NaN anyway)


def test_reliability_complete_case_raters():
    frame = _frame({"panel": (7, 20)}, n_units=20, seed=3)
    # panel-0 missed 3 units: dropping the rater keeps 6 × 20 cells, dropping units 17 × 7
    drop = (frame["rater"] == "panel-0") & frame["unit"].isin(["u005", "u006", "u010"])
    out = reliability(frame[~drop], n_boot=0).set_index(["scope", "measure"])
    row = out.loc[("panel", "icc2")]
    assert row["design"].startswith("complete-case raters: the 6 of 7 raters")
    assert (row["n_units"], row["n_raters"]) == (20, 6)
    kept = frame[frame["rater"] != "panel-0"]
    _, _, m = rating_matrix(kept)
    expected = icc(m).set_index("form")
    for form in FORMS:
        assert out.loc[("panel", form), "estimate"] == pytest.approx(expected.loc[form, "estimate"])
        assert out.loc[("panel", form), "ci_high"] == pytest.approx(expected.loc[form, "ci_high"])


def test_reliability_complete_case_units():
    frame = _frame({"panel": (6, 20)}, n_units=20, seed=4)
    drop = (frame["unit"] == "u007") & frame["rater"].isin(["panel-0", "panel-1", "panel-2"])
    drop |= (frame["unit"] == "u011") & frame["rater"].isin(["panel-3", "panel-4", "panel-5"])
    out = reliability(frame[~drop], n_boot=0).set_index(["scope", "measure"])
    row = out.loc[("panel", "icc3")]
    assert row["design"].startswith("complete-case units: the 18 of 20 units")
    assert (row["n_units"], row["n_raters"]) == (18, 6)


# --- Krippendorff's alpha ------------------------------------------------------------------------


def _package_alpha(frame: pd.DataFrame, value: str, level: str) -> float:
    """krippendorff.alpha on raters × (unit, item) with NaN, built independently."""
    wide = frame.pivot_table(index="rater", columns=["unit", "item"], values=value, aggfunc="first")
    return krippendorff.alpha(
        reliability_data=wide.to_numpy(dtype=float), level_of_measurement=level
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_alpha_matches_krippendorff_package_with_missing(seed):
    frame = _frame({"experts": (5, 12), "citizens": (60, 4)}, n_units=12, seed=seed)
    frame = frame.drop(frame.sample(frac=0.1, random_state=seed).index)  # more holes
    numeric = _frame({"leaders": (4, 12)}, n_units=12, levels=None, seed=seed + 10)
    frame = pd.concat([frame, numeric], ignore_index=True)
    out = reliability(frame, n_boot=100).set_index(["scope", "measure"])
    for scope in ("experts", "citizens", "leaders", "overall"):
        sub = frame if scope == "overall" else frame[frame["rater_group"] == scope]
        got = out.loc[(scope, "alpha_interval"), "estimate"]
        assert got == pytest.approx(_package_alpha(sub, "points", "interval"), abs=1e-12)
        categorical = sub[sub["level"] >= 0]
        got = out.loc[(scope, "alpha_ordinal"), "estimate"]
        if len(categorical):
            assert got == pytest.approx(_package_alpha(categorical, "level", "ordinal"), abs=1e-12)
        else:
            assert np.isnan(got)
            assert out.loc[(scope, "alpha_ordinal"), "design"].startswith("not applicable")
    assert "krippendorff package" in out.loc[("overall", "alpha_interval"), "design"]


def test_alpha_closed_form_for_large_value_domains(monkeypatch):
    frame = _frame({"experts": (6, 15), "citizens": (80, 4)}, n_units=15, levels=None, seed=5)
    frame = frame.drop(frame.sample(frac=0.1, random_state=5).index)
    frame["points"] = frame["points"].round()  # fewer distinct values: a fast reference
    monkeypatch.setattr(rel, "_MAX_COINCIDENCE_CELLS", 0)
    out = reliability(frame, n_boot=0).set_index(["scope", "measure"])
    for scope in ("experts", "citizens", "overall"):
        sub = frame if scope == "overall" else frame[frame["rater_group"] == scope]
        row = out.loc[(scope, "alpha_interval")]
        assert "closed form" in row["design"]
        assert row["estimate"] == pytest.approx(
            _package_alpha(sub, "points", "interval"), abs=1e-10
        )


def test_ordinal_alpha_helper_matches_package():
    counts = RNG.integers(0, 4, size=(20, 5))  # (unit, value) counts, some units unpairable
    counts[0] = [1, 0, 0, 0, 0]
    m = counts.sum(axis=1)
    pair = m >= 2
    c = counts[pair]
    o = (c[:, :, None] * c[:, None, :] - c[:, None, :] * np.eye(5)) / (m[pair] - 1)[:, None, None]
    ref = krippendorff.alpha(value_counts=counts, level_of_measurement="ordinal")
    assert rel._ordinal_alpha(o.sum(axis=0)) == pytest.approx(ref, abs=1e-12)


def test_alpha_bootstrap_is_seeded_and_brackets_estimate():
    frame = _frame({"citizens": (150, 5)}, n_units=25, seed=7)
    a = reliability(frame, n_boot=300, seed=1).set_index(["scope", "measure"])
    b = reliability(frame, n_boot=300, seed=1).set_index(["scope", "measure"])
    c = reliability(frame, n_boot=300, seed=2).set_index(["scope", "measure"])
    for measure in ("alpha_interval", "alpha_ordinal"):
        row = a.loc[("citizens", measure)]
        assert row["ci_low"] < row["estimate"] < row["ci_high"]
        assert row["ci_high"] - row["ci_low"] < 0.5
        assert "bootstrap" in row["design"]
        assert row["ci_low"] == b.loc[("citizens", measure), "ci_low"]
        assert row["ci_low"] != c.loc[("citizens", measure), "ci_low"]


# --- validation -----------------------------------------------------------------------------------


def test_reliability_degenerate_scopes_give_nan_with_reason():
    frame = _frame({"solo": (1, 10), "panel": (3, 10)}, n_units=10)
    one_unit = _frame({"few": (5, 1)}, n_units=1, seed=2)
    out = reliability(pd.concat([frame, one_unit], ignore_index=True), n_boot=0)
    by = out.set_index(["scope", "measure"])
    for scope in ("solo", "few"):
        assert by.loc[(scope, "icc1"), "design"].startswith("undefined")
        assert by.loc[scope, "estimate"].loc[FORMS].isna().all()
    assert by.loc[("solo", "alpha_interval"), "design"].startswith("undefined")
    assert np.isfinite(by.loc[("panel", "icc2"), "estimate"])


def test_reliability_rejects_bad_frames():
    frame = _frame({"g": (3, 5)}, n_units=5)
    with pytest.raises(ValueError, match="lacks column"):
        reliability(frame.drop(columns="points"))
    with pytest.raises(ValueError, match="empty"):
        reliability(frame.iloc[:0])
    with pytest.raises(ValueError, match="duplicate"):
        reliability(pd.concat([frame, frame.iloc[:1]]))
    with pytest.raises(ValueError, match="missing points"):
        reliability(frame.assign(points=np.where(np.arange(len(frame)) == 0, np.nan, 50.0)))
    with pytest.raises(ValueError, match="overall"):
        reliability(frame.assign(rater_group="overall"))
    clash = frame.copy()
    clash.loc[clash.index[:2], "rater_group"] = "h"
    with pytest.raises(ValueError, match="two rater groups"):
        reliability(clash)
    with pytest.raises(ValueError, match="confidence"):
        reliability(frame, confidence=1.5)
