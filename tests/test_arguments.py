"""The Python API's plain arguments: a slip is an error naming the argument, the value and what is
allowed (not numpy's TypeError or pandas' KeyError), and one text where a list is asked for is a
list of one (not a list of its characters)."""

from __future__ import annotations

import numpy as np
import pytest

import perfsim
from perfsim.experiments.compare import compare
from perfsim.experiments.sensitivity.plan import SensitivityPlan
from perfsim.scenario.arguments import ArgumentError

SCENARIO = "hangzhou-2011"


@pytest.mark.parametrize(
    "kwargs, said",
    [
        ({"seed": None}, "seed must be a whole number ≥ 0"),
        ({"seed": 1.5}, "seed must be a whole number ≥ 0; got 1.5 (float)"),
        ({"seed": -1}, "seed must be a whole number ≥ 0; got -1"),
        ({"seed": True}, "seed must be a whole number ≥ 0; got True (bool)"),
        ({"reps": 2.5}, "reps must be a whole number ≥ 1; got 2.5 (float)"),
        ({"reps": "5"}, "reps must be a whole number ≥ 1; got '5' (str)"),
        ({"reps": 0}, "reps must be a whole number ≥ 1; got 0"),
        ({"jobs": 0}, "jobs must be a whole number ≥ 1; got 0"),
        ({"overrides": [1]}, "overrides must be a list of texts such as"),
    ],
)
@pytest.mark.parametrize("run", ["simulate", "compare"])
def test_a_bad_argument_is_named_with_its_value(run, kwargs, said):
    with pytest.raises(ArgumentError) as caught:
        if run == "simulate":
            perfsim.simulate(SCENARIO, **{"reps": 2, **kwargs})
        else:
            compare([SCENARIO], **{"reps": 2, **kwargs})
    assert str(caught.value).startswith(said)


def test_a_numpy_integer_is_a_whole_number():
    a = perfsim.simulate(SCENARIO, reps=np.int64(3), seed=np.uint32(7))
    b = perfsim.simulate(SCENARIO, reps=3, seed=7)
    assert a.metrics.equals(b.metrics)


def test_one_text_is_a_list_of_one():
    one = "rule.components.社会评价.share=0.4"
    a = perfsim.simulate(SCENARIO, reps=3, overrides=one)
    b = perfsim.simulate(SCENARIO, reps=3, overrides=[one])
    assert a.metrics.equals(b.metrics)
    c = compare(SCENARIO, variants="audit:rule.audit.probability=0.2", reps=3)
    assert c.rules[1] == "audit" and len(c.rules) == 2
    assert SensitivityPlan(method="morris", metrics="kendall_tau").metrics == ["kendall_tau"]
    with pytest.raises(ArgumentError, match="seed must be a whole number"):
        SensitivityPlan(seed=None)
    for field, value in (("jobs", 1.5), ("n", 2.5), ("n", "8"), ("reps", None)):
        with pytest.raises(ArgumentError, match=f"{field} must be a whole number ≥ 1; got"):
            SensitivityPlan(**{field: value})


def test_an_unknown_metric_or_world_says_what_there_is():
    result = perfsim.simulate(SCENARIO, reps=2)
    assert result.metric("kendall_tau") == pytest.approx(
        result.metrics.set_index("metric").loc["kendall_tau", "mean"]
    )
    with pytest.raises(ArgumentError, match=r"'kendal_tau' .*did you mean 'kendall_tau'"):
        result.metric("kendal_tau")
    c = compare([SCENARIO], variants=["a:rule.audit.probability=0.2"], reps=2)
    with pytest.raises(ArgumentError, match="world 'nowhere' is not in this result; it has: base"):
        c.verdicts("nowhere")
