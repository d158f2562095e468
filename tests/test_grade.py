"""Ranking, grading by quotas and thresholds, veto and payoff lookup."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from perfsim.rules.grade import apply_veto, assign_grades, rank
from perfsim.rules.reward import payoff

# --- examples ---------------------------------------------------------------------------------


def test_rank_competition_ties_groups_batch():
    np.testing.assert_array_equal(rank([9.0, 8.0, 8.0, 7.0]), [1, 2, 2, 4])
    np.testing.assert_array_equal(rank([7.0, 8.0, 9.0, 8.0], groups=[0, 1, 0, 1]), [2, 1, 1, 1])
    batch = np.array([[1.0, 2.0, 3.0], [3.0, 3.0, 1.0]])
    np.testing.assert_array_equal(rank(batch), [[3, 2, 1], [1, 1, 3]])
    assert rank(batch).dtype == np.int64


def test_quota_tie_policies():
    s = np.array([10.0, 9.0, 9.0, 8.0, 7.0])
    # band 0 quota 40 % of 5 = 2 units; the tied 9s straddle the cutoff
    ex = assign_grades(s, n_bands=3, quotas=[0.4, 0.4], ties="exclude")
    np.testing.assert_array_equal(ex, [0, 1, 1, 2, 2])
    inc = assign_grades(s, n_bands=3, quotas=[0.4, 0.4], ties="include")
    np.testing.assert_array_equal(inc, [0, 0, 0, 1, 1])
    # a quota of 1 slot below a tied block: the band stays empty under "exclude"
    np.testing.assert_array_equal(
        assign_grades([5.0, 5.0, 1.0], n_bands=2, quotas=[0.34]), [1, 1, 1]
    )
    with pytest.raises(ValueError, match="ties"):
        assign_grades(s, n_bands=2, quotas=[0.2], ties="random")
    with pytest.raises(ValueError, match="entries"):
        assign_grades(s, n_bands=3, quotas=[0.2])


def test_thresholds_and_quotas_together():
    s = np.array([95.0, 91.0, 88.0, 85.0, 70.0, 59.0])
    # 优秀 ≥ 90 and ≤ 1/3; 良好 ≥ 80 (no quota); 合格 ≥ 60; 不合格 the rest
    g = assign_grades(
        s, n_bands=4, quotas=[1 / 3, np.nan, np.nan, np.nan], thresholds=[90.0, 80.0, 60.0, np.nan]
    )
    np.testing.assert_array_equal(g, [0, 0, 1, 1, 2, 3])
    g = assign_grades(s, n_bands=4, quotas=[0.2, np.nan, np.nan], thresholds=[90.0, 80.0, 60.0])
    np.testing.assert_array_equal(g, [0, 1, 1, 1, 2, 3])
    np.testing.assert_array_equal(assign_grades(s, n_bands=3), 0)  # no rule: everyone best


def test_grades_within_groups_and_batch():
    s = np.array([[10.0, 1.0, 9.0, 2.0, 8.0, 3.0], [1.0, 10.0, 2.0, 9.0, 3.0, 8.0]])
    groups = np.array([0, 1, 0, 1, 0, 1])
    g = assign_grades(s, n_bands=2, quotas=[0.34], groups=groups)
    np.testing.assert_array_equal(g, [[0, 1, 1, 1, 1, 0], [1, 0, 1, 1, 0, 1]])
    for i in range(2):
        np.testing.assert_array_equal(
            g[i], assign_grades(s[i], n_bands=2, quotas=[0.34], groups=groups)
        )


def test_veto_and_payoff():
    grades = np.array([[0, 1, 2], [2, 0, 1]])
    veto = np.array([[True, False, False], [False, False, True]])
    np.testing.assert_array_equal(apply_veto(grades, veto, veto_grade=2), [[2, 1, 2], [2, 0, 2]])
    table = np.array([[3.0, 1.1, 1.0], [1.0, 1.0, 0.5], [0.0, 0.9, 0.0]])
    got = payoff(grades, table)
    assert got.shape == (2, 3, 3)
    np.testing.assert_allclose(got[0, 0], [3.0, 1.1, 1.0])
    np.testing.assert_allclose(payoff(grades, table[:, 0]), [[3, 1, 0], [0, 3, 1]])
    with pytest.raises(ValueError):
        payoff([3], table)


# --- properties -------------------------------------------------------------------------------

scores_st = st.one_of(st.integers(0, 6).map(float), st.floats(-100, 100, allow_nan=False))
quota_st = st.one_of(st.just(np.nan), st.floats(0, 1))


@st.composite
def grading_problem(draw, max_n=300):
    n = draw(st.integers(1, max_n))
    scores = draw(hnp.arrays(np.float64, (n,), elements=scores_st))
    n_bands = draw(st.integers(1, 5))
    quotas = draw(st.lists(quota_st, min_size=n_bands - 1, max_size=n_bands - 1))
    groups = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, 3)))
    return scores, n_bands, np.array(quotas, dtype=float), groups


@settings(max_examples=80, deadline=None)
@given(problem=grading_problem(), grouped=st.booleans())
def test_quotas_hold_with_exclude(problem, grouped):
    scores, n_bands, quotas, groups = problem
    codes = groups if grouped else np.zeros_like(groups)
    g = assign_grades(
        scores, n_bands=n_bands, quotas=quotas, groups=groups if grouped else None, ties="exclude"
    )
    assert g.min() >= 0 and g.max() <= n_bands - 1
    for c in np.unique(codes):
        members = g[codes == c]
        n = members.size
        for band, q in enumerate(quotas):
            if not np.isnan(q):
                assert np.sum(members == band) <= np.floor(q * n + 1e-9)


@settings(max_examples=60, deadline=None)
@given(
    problem=grading_problem(max_n=40),
    ties=st.sampled_from(["exclude", "include"]),
    grouped=st.booleans(),
    data=st.data(),
)
def test_rank_and_grades_permutation_equivariant(problem, ties, grouped, data):
    scores, n_bands, quotas, groups = problem
    perm = np.array(data.draw(st.permutations(range(scores.size))), dtype=np.intp)
    gr = groups if grouped else None
    gr_p = groups[perm] if grouped else None
    np.testing.assert_array_equal(rank(scores[perm], groups=gr_p), rank(scores, groups=gr)[perm])
    kw = {"n_bands": n_bands, "quotas": quotas, "ties": ties}
    np.testing.assert_array_equal(
        assign_grades(scores[perm], groups=gr_p, **kw), assign_grades(scores, groups=gr, **kw)[perm]
    )


@settings(max_examples=80, deadline=None)
@given(
    problem=grading_problem(max_n=40),
    ties=st.sampled_from(["exclude", "include"]),
    who=st.integers(0, 1000),
    new=scores_st,
    grouped=st.booleans(),
    thresholds=st.lists(st.one_of(st.just(np.nan), scores_st), min_size=4, max_size=4),
)
def test_raising_a_score_never_worsens_rank_or_grade(problem, ties, who, new, grouped, thresholds):
    scores, n_bands, quotas, groups = problem
    d = who % scores.size
    higher = scores.copy()
    higher[d] = max(new, scores[d])
    if ties == "exclude" and np.any(np.delete(scores, d) == higher[d]) and higher[d] != scores[d]:
        # under "exclude" a unit that rises INTO a tied block can fall with the block (documented);
        # monotonicity is claimed when the new score ties with no one
        higher[d] = np.nextafter(higher[d], np.inf)
        if np.any(np.delete(scores, d) == higher[d]):
            return
    gr = groups if grouped else None
    assert rank(higher, groups=gr)[d] <= rank(scores, groups=gr)[d]
    kw = {
        "n_bands": n_bands,
        "quotas": quotas,
        "thresholds": thresholds[: n_bands - 1] or None,
        "groups": gr,
        "ties": ties,
    }
    assert assign_grades(higher, **kw)[d] <= assign_grades(scores, **kw)[d]


def test_exclude_tie_join_can_lower_grade():
    # the documented exception to monotonicity under "exclude": joining a tied block
    kw = {"n_bands": 3, "quotas": [0.25, 0.25]}
    assert assign_grades([10.0, 5.0, 1.0, 0.0], **kw)[1] == 1
    assert assign_grades([10.0, 10.0, 1.0, 0.0], **kw)[1] == 2
    assert assign_grades([10.0, 10.0, 1.0, 0.0], ties="include", **kw)[1] == 0
