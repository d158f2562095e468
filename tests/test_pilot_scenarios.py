"""The two pilot scenarios simulate, and Hangzhou's world reproduces the 2005/2010 stylised facts.

The facts (docs/model.md, "Calibration facts") describe one realised evaluation year, so every spread
is taken *within* a replication (first and last of the 66 units of that year) and then averaged
over replications. The department-level numbers of each replication are not in the API
(``SimulationResult.departments`` averages over replications), so the tests run the engine's
blocks directly and keep what ``engine._realise`` realised in each block.

Calibration run (reps = 200, seed 0) against the facts, for reference:
social evaluation 37.2-42.7 of 50 (fact 37.12-42.61); first-last gap 6.1 (5.95) of which 5.3 from
social evaluation (5.49); 78 % of units at full marks on key targets (50 of 66 = 76 %); survey
answers 28.2 % 满意 (27.83 %) and 94.7 % top three (94.66 %); 48 % of units with 创新创优 points
(31 of 66 = 47 %). The tolerances below are wider than
the Monte Carlo error of the small runs here.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from helpers import ROOT, run_cli
from scipy.special import ndtr

import perfsim
from perfsim import engine
from perfsim.scenario import load_scenario
from perfsim.world.model import perceived_quality

HANGZHOU = ROOT / "scenarios" / "hangzhou-2011.toml"
MLR = ROOT / "scenarios" / "mlr-2011.toml"
REPS = 20

# Facts (docs/model.md, "Calibration facts").
SOCIAL_MIN, SOCIAL_MAX = 37.12, 42.61  # 2005, points of 50
TOTAL_GAP, SOCIAL_GAP = 5.95, 5.49  # 2005, first-last gap in total points and its social part
KEY_FULL = 50 / 66  # 2005, share of units at full marks on key targets
SATISFIED, TOP_THREE = 0.2783, 0.9466  # 2010, shares of survey answers
FORMS_RETURNED = 14_458  # 2005, for 66 units
INNOVATING = 31 / 66  # 2005, share of units with innovation points


def realised_years(path: Path, reps: int, monkeypatch: pytest.MonkeyPatch, seed: int = 0):
    """Run the engine on ``path`` and return the model and what each block realised."""
    model = engine.build(load_scenario(path))
    realised = []
    original = engine._realise

    def keep(*args, **kwargs):
        out = original(*args, **kwargs)
        realised.append(out)
        return out

    monkeypatch.setattr(engine, "_realise", keep)
    engine.run_blocks(model, seed, reps)
    return model, realised


@pytest.fixture(scope="module")
def hangzhou_facts():
    """Per-replication stylised facts of the Hangzhou world (20 replications, seed 0)."""
    with pytest.MonkeyPatch.context() as mp:
        model, realised = realised_years(HANGZHOU, REPS, mp)
    c, w = model.rule, model.world
    social = c.components.index("社会评价")
    target = c.components.index("目标考核")
    key = c.indicators.index("重点工作目标")
    survey = w.raters.index("社会评价")
    rows: dict[str, list] = {}
    for out in realised:
        ev = out.evaluation
        points = ev.components[..., social] * c.shares[social]  # points of 50
        total = ev.total
        rep = np.arange(total.shape[0])
        first, last = total.argmax(-1), total.argmin(-1)
        gap = total[rep, first] - total[rep, last]
        latent = perceived_quality(w, out.output)[..., survey] + w.leniency[survey]
        below = ndtr((w.cutpoints[survey] - latent[..., None]) / w.rater_noise[survey])
        for name, value in {
            "social_min": points.min(-1),
            "social_max": points.max(-1),
            "social_mean": points.mean(-1),
            "gap": gap,
            "social_share": (points[rep, first] - points[rep, last]) / gap,
            "target_median": np.median(ev.components[..., target], axis=-1),
            "key_full": (out.measured[..., key] >= w.ceiling[key] - 1e-9).mean(-1),
            "satisfied": 1 - below[..., -1].mean(-1),
            "top_three": 1 - below[..., 0].mean(-1),
            "innovation": (ev.adjustment > 0).mean(-1),  # units with 创新创优 points
        }.items():
            rows.setdefault(name, []).extend(np.asarray(value).tolist())
    return model, {k: np.array(v) for k, v in rows.items()}


def test_hangzhou_social_evaluation_range(hangzhou_facts):
    _, f = hangzhou_facts
    assert f["social_min"].size == REPS
    assert f["social_min"].min() >= 35 and f["social_max"].max() <= 45  # of 50, every year
    assert abs(f["social_min"].mean() - SOCIAL_MIN) < 1.0
    assert abs(f["social_max"].mean() - SOCIAL_MAX) < 1.0
    assert 38.9 < f["social_mean"].mean() < 40.9  # the middle of the 2005 range


def test_hangzhou_social_evaluation_decides_the_gap(hangzhou_facts):
    _, f = hangzhou_facts
    assert abs(f["gap"].mean() - TOTAL_GAP) < 1.0
    assert f["social_share"].mean() > 0.8  # 2005: 5.49 / 5.95 = 0.92
    assert np.quantile(f["social_share"], 0.1) > 0.6


def test_hangzhou_target_scores_near_ceiling(hangzhou_facts):
    _, f = hangzhou_facts
    assert f["target_median"].min() > 95
    assert f["key_full"].mean() >= 0.6
    assert abs(f["key_full"].mean() - KEY_FULL) < 0.1


def test_hangzhou_survey_answers(hangzhou_facts):
    model, f = hangzhou_facts
    assert abs(f["top_three"].mean() - TOP_THREE) < 0.05
    assert abs(f["satisfied"].mean() - SATISFIED) < 0.05
    survey = model.world.raters.index("社会评价")
    forms = model.world.respondents[survey] * model.world.n_dept
    assert abs(forms - FORMS_RETURNED) / FORMS_RETURNED < 0.01


def test_hangzhou_innovation_points(hangzhou_facts):
    """World events: 创新创优 points are claimed by about as many units as in 2005 (31 of 66)."""
    _, f = hangzhou_facts
    se = np.sqrt(INNOVATING * (1 - INNOVATING) / f["innovation"].size / 66)
    assert abs(f["innovation"].mean() - INNOVATING) < 0.03 + 4 * se


def test_hangzhou_world_design():
    """Valued work that no indicator measures; front-line classes visible, back offices not."""
    w = load_scenario(HANGZHOU).world
    measured = {t for m in w.indicators.values() for t, load in m.tasks.items() if load > 0}
    unmeasured = [t for t, task in w.tasks.items() if task.value > 0 and t not in measured]
    assert "基础工作" in unmeasured and "服务作风" in unmeasured
    assert w.classes["社会服务类"].visibility > w.classes["综合管理类"].visibility
    assert all(m.gameability > 0 for m in w.indicators.values())


def test_audits_deter_gaming():
    """Spot checks lower gaming, and the inflation of reported values by more than 3 paired
    standard errors (same seed; leaders who value promotion game more, so the checks deter a
    smaller share of a larger gaming than with bonuses alone)."""
    audited = perfsim.simulate(HANGZHOU, reps=10, seed=1)
    unaudited = perfsim.simulate(HANGZHOU, reps=10, seed=1, overrides=["rule.audit.probability=0"])
    with_checks = audited.metric("gaming_share")
    without = unaudited.metric("gaming_share")
    assert 0 < with_checks < without
    drop = (unaudited.per_rep["inflation"] - audited.per_rep["inflation"]).to_numpy()
    assert drop.mean() > 3 * drop.std(ddof=1) / np.sqrt(drop.size)


def test_mlr_runs_with_finite_metrics():
    r = perfsim.simulate(MLR, reps=10, seed=0)
    assert r.metadata["policy"] == "best_response"
    assert np.isfinite(r.metrics["mean"]).all()
    assert len(r.departments) == 30
    assert set(r.departments["class"]) == {"部机关司局", "督察局", "直属单位"}
    assert r.metric("gaming_share") > 0
    assert 60 < r.metric("mean_total") < 100


@pytest.mark.parametrize(
    ("table", "rule"),
    [("hangzhou-2011-units.csv", HANGZHOU), ("mlr-2011-units.csv", MLR)],
)
def test_world_does_not_break_scoring(table, rule):
    result = run_cli("score", str(ROOT / "scenarios" / "data" / table), "--rule", str(rule))
    assert result.returncode == 0, result.stderr


KEY = re.compile(r'^("[^"]+"|[A-Za-z0-9_-]+)\s*=')


@pytest.mark.parametrize("path", [HANGZHOU, MLR])
def test_every_key_cites_its_source(path):
    """Every key is preceded by a comment tagged FACT, SEED or ASSUMPTION."""
    lines = path.read_text(encoding="utf-8").splitlines()
    untagged, in_value = [], False
    for i, line in enumerate(lines):
        text = line.strip()
        if in_value:  # inside a multi-line array or string
            in_value = not (text.startswith("]") or text.endswith('"""'))
            continue
        if not KEY.match(text):
            continue
        before = lines[i - 1].strip()
        if not (before.startswith("#") and re.search(r"\b(FACT|SEED|ASSUMPTION)", before)):
            untagged.append(f"{path.name}:{i + 1}: {text[:50]}")
        in_value = text.endswith("[") or text.count('"""') == 1
    assert not untagged, "\n".join(untagged)
