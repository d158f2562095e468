"""Groups rescaled to sum to 1 (shares, weights): a percentage typed among fractions is an error,
other odd scales are said (``perfsim.scenario.scales``).

- Swept over random groups: :func:`mixed_scale` refuses a group exactly when a member is 10 or more
  while another lies in (0, 1), and names that member with the share it would have taken.
- Weights sum to 1 within each component, so each component's weights are a group of their own:
  points in one component beside fractions in another are fine.
- ``perfsim run`` warns (one line, naming the file) about what ``perfsim validate`` says under
  "check:", and a scenario file with such a slip gets the located error.
"""

from __future__ import annotations

import tomllib

import pytest
from helpers import ROOT
from hypothesis import given, settings
from hypothesis import strategies as st

from perfsim.cli import main
from perfsim.scenario import ScenarioError, scenario_from_dict
from perfsim.scenario.scales import PERCENT, groups, mixed_scale, scale_notes

VALUES = st.one_of(
    st.floats(0.01, 0.99), st.floats(1.0, 9.99), st.floats(10.0, 500.0), st.just(1.0)
)


def test_a_small_percentage_that_completes_the_group_is_refused_too():
    """5 beside 0.5 and 0.45 (5 %, as the two others leave room for) and 1.5 beside 0.5 and 0.35
    (0.15) are slips; 1.5 beside 0.5 and 0.45, which completes nothing, is left to the check."""
    assert mixed_scale({"a": 0.5, "b": 0.45, "c": 5})[2].count("if you meant 5 %, write 0.05")
    assert mixed_scale({"a": 0.5, "b": 0.35, "c": 1.5})[2].count("if you meant 15 %, write 0.15")
    assert mixed_scale({"a": 0.5, "b": 0.45, "c": 1.5}) is None
    assert mixed_scale({"a": 0.5, "b": 1, "c": 2}) is None  # relative weights


@settings(max_examples=300, deadline=None)
@given(st.lists(VALUES, min_size=2, max_size=6))
def test_a_group_is_refused_exactly_when_a_percentage_sits_among_fractions(values):
    table = {f"m{i}": v for i, v in enumerate(values)}
    found = mixed_scale(table)
    total = sum(values)
    # a percentage (or a tenth) typed as a whole number: it is 10 or more, or reading it as one
    # makes the group sum to 1
    read_as = [abs(total - v + v / k - 1) <= 0.005 for v in values if v > 1 for k in (100, 10)]
    slip = any(0 < v < 1 for v in values) and (any(v >= PERCENT for v in values) or any(read_as))
    assert (found is not None) == slip
    if found:
        name, value, message = found
        assert table[name] == value and value > 1
        assert f"would count {value / sum(values):.0%}" in message


def _rule(weights_a, weights_b, shares=(0.6, 0.4)):
    indicators = {"a1": "A", "a2": "A", "b1": "B", "b2": "B"}
    return {
        "indicators": {n: {"component": c} for n, c in indicators.items()},
        "weights": {"a1": weights_a[0], "a2": weights_a[1], "b1": weights_b[0], "b2": weights_b[1]},
        "components": {"A": {"share": shares[0]}, "B": {"share": shares[1]}},
    }


def test_each_components_weights_are_a_group_of_their_own():
    sc = scenario_from_dict({"rule": _rule((30, 70), (0.5, 0.5))})  # points, then fractions
    assert set(groups(sc.rule)) >= {"rule.weights (component A)", "rule.weights (component B)"}
    assert scale_notes(sc.rule) == []
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict({"rule": _rule((0.3, 70), (0.5, 0.5))})
    assert "weights.a2" in str(err.value) and "if you meant 70 %, write 0.7" in str(err.value)
    notes = scale_notes(scenario_from_dict({"rule": _rule((0.3, 0.6), (0.5, 0.5))}).rule)
    assert [str(n) for n in notes] == [
        "rule.weights (component A) are fractions that sum to 0.9, not 1; they are rescaled to "
        "sum to 1, so they count a1 33.3%, a2 66.7%. If a source gives them, check the numbers"
    ]


@pytest.mark.parametrize(
    ("line", "typed", "path"),
    [
        ('"职能工作目标" = 0.30', '"职能工作目标" = 30', "rule.weights.职能工作目标 = 30"),
        ("share = 24", "share = 0.24", "world.classes.执法监管类.share = 18"),  # (18/24 points)
    ],
)
def test_a_percentage_in_a_scenario_file_is_a_located_error(tmp_path, capsys, line, typed, path):
    text = (ROOT / "scenarios" / "hangzhou-2011.toml").read_text(encoding="utf-8")
    assert line in text
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace(line, typed, 1), encoding="utf-8")
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}: {path}" in err and "beside fractions" in err and "Traceback" not in err


def test_run_warns_about_what_validate_checks(tmp_path, capsys):
    text = (ROOT / "scenarios" / "teaching" / "goodhart.toml").read_text(encoding="utf-8")
    odd = tmp_path / "odd.toml"
    odd.write_text(text.replace('"上报数据" = 0.5', '"上报数据" = 0.6', 1), encoding="utf-8")
    assert main(["run", str(odd), "--reps", "3", "--out", str(tmp_path / "r"), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert err.count("perfsim run: warning:") == 1
    assert f"{odd}: rule.weights are fractions that sum to 1.1, not 1" in err
    assert main(["validate", str(odd)]) == 0
    assert "check: rule.weights are fractions that sum to 1.1" in capsys.readouterr().out


def test_the_report_says_shares_are_rescaled_only_when_they_are(tmp_path):
    from perfsim.report.rules import shares_rescaled

    hangzhou = (ROOT / "scenarios" / "hangzhou-2011.toml").read_text(encoding="utf-8")
    points = hangzhou.replace("share = 0.50", "share = 50", 1)
    points = points.replace("share = 0.45", "share = 45", 1).replace("share = 0.05", "share = 5", 1)
    for text, said in ((hangzhou, False), (points, True)):
        sc = scenario_from_dict(tomllib.loads(text))
        raw = {
            "rule": {"components": {n: {"share": c.share} for n, c in sc.rule.components.items()}}
        }
        assert shares_rescaled(raw) is said


def test_score_warns_about_the_weights_it_grades_a_real_table_with(tmp_path, capsys):
    text = (ROOT / "scenarios" / "hangzhou-2011.toml").read_text(encoding="utf-8")
    rule = tmp_path / "w.toml"
    rule.write_text(text.replace('"自主创新" = 0.10', '"自主创新" = 0.2', 1), encoding="utf-8")
    data = ROOT / "scenarios" / "data" / "hangzhou-2011-units.csv"
    assert main(["score", str(data), "--rule", str(rule)]) == 0
    err = capsys.readouterr().err
    assert f"perfsim score: warning: {rule}: rule.weights are fractions that sum to 1.1" in err
