"""Evaluation cost honours the rule: a rater group with share 0 costs nothing; costs per rater
group, per audit and per year (perfsim/metrics.py ``rater_costs``, perfsim/engine.py
``cost_metrics``)."""

from __future__ import annotations

import numpy as np
import pytest

import perfsim
from perfsim.metrics import evaluation_cost, rater_costs
from perfsim.scenario import scenario_from_dict

D = 12
RESPONDENTS, SURVEY_COST, PANEL_COST, AUDIT_COST = 30, 2.0, 10.0, 7.0


def _scenario(survey_share=0.5, panel_share=0.2, probability=0.0, periods=1, **over):
    raw = {
        "rule": {
            "indicators": {"rate": {"component": "目标", "normalize": "linear"}},
            "components": {
                "目标": {"share": 0.3},
                "社会评价": {"share": survey_share},
                "领导考评": {"share": panel_share},
            },
            "grading": {"bands": ["all"]},
            "audit": {"probability": probability, "cost": AUDIT_COST},
        },
        "world": {
            "departments": D,
            "periods": periods,
            "policy": "naive",
            "tasks": {"work": {}},
            "indicators": {"rate": {"tasks": {"work": 1.0}, "noise": 0.1}},
            "raters": {
                "社会评价": {
                    "kind": "survey",
                    "sees": {"work": 1.0},
                    "respondents": RESPONDENTS,
                    "unit_cost": SURVEY_COST,
                },
                "领导考评": {"kind": "panel", "sees": {"work": 1.0}, "unit_cost": PANEL_COST},
            },
        },
    }
    raw["world"].update(over)
    return scenario_from_dict(raw)


def _metrics(scenario, reps=40, seed=0):
    res = perfsim.simulate(scenario, reps=reps, seed=seed)
    return res.metrics.set_index("metric"), res.per_rep


def test_rater_costs_closed_form():
    np.testing.assert_allclose(
        rater_costs([30, 0, 5], [2.0, 10.0, 1.0], [0.5, 0.2, 0.0], 12), [720.0, 120.0, 0.0]
    )
    # the parts add up to the total cost formula
    assert rater_costs([30, 0], [2.0, 10.0], [1, 1], 12).sum() + 3 * AUDIT_COST == pytest.approx(
        evaluation_cost([12 * 30, 12], [2.0, 10.0], 3, AUDIT_COST)
    )


@pytest.mark.parametrize(
    ("survey_share", "panel_share"), [(0.5, 0.2), (0.0, 0.2), (0.5, 0.0), (0.0, 0.0)]
)
def test_a_group_with_share_zero_costs_nothing(survey_share, panel_share):
    m, _ = _metrics(_scenario(survey_share, panel_share), reps=5)
    survey = D * RESPONDENTS * SURVEY_COST * (survey_share > 0)
    panel = D * PANEL_COST * (panel_share > 0)
    assert m.loc["rater_cost:社会评价", "mean"] == pytest.approx(survey)
    assert m.loc["rater_cost:领导考评", "mean"] == pytest.approx(panel)
    assert m.loc["audit_cost", "mean"] == 0.0
    assert m.loc["evaluation_cost", "mean"] == pytest.approx(survey + panel)


@pytest.mark.parametrize("probability", [0.1, 0.35, 0.8])
def test_audit_cost_scales_with_the_audit_probability(probability):
    m, per_rep = _metrics(_scenario(probability=probability), reps=200)
    expected = probability * D * AUDIT_COST
    mean, se = m.loc["audit_cost", ["mean", "se"]]
    assert se > 0 and abs(mean - expected) < 4 * se
    base = D * (RESPONDENTS * SURVEY_COST + PANEL_COST)
    np.testing.assert_allclose(per_rep["evaluation_cost"], base + per_rep["audit_cost"])


def test_every_department_audited_costs_exactly_its_audits():
    m, _ = _metrics(_scenario(probability=1.0), reps=3)
    assert m.loc["audit_cost", "mean"] == pytest.approx(D * AUDIT_COST)
    assert m.loc["audit_cost", "se"] == 0.0


@pytest.mark.parametrize("periods", [1, 3, 7])
def test_cost_scales_with_years(periods):
    m, per_rep = _metrics(_scenario(probability=0.25, periods=periods), reps=100)
    base = D * (RESPONDENTS * SURVEY_COST + PANEL_COST)
    # per year: the rater groups once, the audits averaged over the years
    mean, se = m.loc["evaluation_cost", ["mean", "se"]]
    assert abs(mean - (base + 0.25 * D * AUDIT_COST)) < 4 * se
    # over all years: T times a year's cost, exactly, replication by replication
    np.testing.assert_allclose(
        per_rep["evaluation_cost_total"], periods * per_rep["evaluation_cost"]
    )
    # the audits of every year count: the yearly mean of T years' binomial audits has sd
    # c √(p (1 − p) D / T) (the final year's alone would have √T times more)
    sd = per_rep["audit_cost"].std(ddof=1)
    assert sd == pytest.approx(AUDIT_COST * np.sqrt(0.25 * 0.75 * D / periods), rel=0.3)
