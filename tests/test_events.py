"""Events in simulation (perfsim/world/events.py): claimable bonus items, deduction incidents, veto
events and force-majeure relief, in the pilot scenarios.

Paired comparisons run the same seed under two settings: the same population, common random
numbers and draws, block by block; each block's difference is one observation, and the sign is
asserted where mean ± 3 standard errors of the differences excludes 0."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import ROOT

from perfsim import engine
from perfsim.scenario import ScenarioError, load_scenario
from perfsim.world.events import compile_events, probabilities

MLR = ROOT / "scenarios" / "mlr-2011.toml"
HANGZHOU = ROOT / "scenarios" / "hangzhou-2011.toml"
HZ_EVENTS = [
    'world.events.创新创优={probability=0.1, points=3, task="创新", effect=0.5}',
    'world.events.一票否决={probability=0.1, task="服务作风", effect=1.0, gaming=0.5}',
]
BLOCKS, PER_BLOCK = 8, 4


def _blocks(path, overrides, blocks=BLOCKS, reps=PER_BLOCK):
    model = engine.build(load_scenario(path, overrides))
    return model, [engine.run_block(model, 7, b, reps, keep_state=True) for b in range(blocks)]


def _stats(model, result) -> dict[str, float]:
    """Per block: effort per task, gaming share, mean total, the worst band's share."""
    tasks = model.world.tasks
    effort = result.state["effort"].mean(axis=(0, 1))
    counts = result.departments["grade_counts"].sum(0)
    out = {f"effort:{t}": float(effort[k]) for k, t in enumerate(tasks)}
    out["gaming_share"] = float(result.metrics["gaming_share"].mean())
    out["mean_total"] = float(result.metrics["mean_total"].mean())
    out["worst"] = float(counts[-1] / counts.sum())
    return out


def paired(path, base, low, high) -> dict[str, tuple[float, float]]:
    """Mean and standard error over blocks of (high − low), same seed and blocks."""
    m_lo, lo = _blocks(path, [*base, *low])
    m_hi, hi = _blocks(path, [*base, *high])
    diffs: dict[str, list[float]] = {}
    for a, b in zip(lo, hi, strict=True):
        sa, sb = _stats(m_lo, a), _stats(m_hi, b)
        for k in sa:
            diffs.setdefault(k, []).append(sb[k] - sa[k])
    return {
        k: (float(np.mean(v)), float(np.std(v, ddof=1) / np.sqrt(len(v)))) for k, v in diffs.items()
    }


def assert_sign(effects, key, sign):
    mean, se = effects[key]
    assert sign * mean - 3 * se > 0, (
        f"{key}: difference {mean:.4g} ± {3 * se:.2g}, expected sign {sign}"
    )


def test_ministry_simulates_fail_grades_at_the_rate_of_its_veto_events():
    model, results = _blocks(MLR, [], blocks=6, reps=5)
    ev = compile_events(model.scenario, model.rule, model.world)
    veto = list(ev.names).index("违纪违法")
    worst, expected, n = 0.0, 0.0, 0
    for r in results:
        s = r.state
        q, _, _ = probabilities(ev, s["productivity"], s["effort"], s["gaming"].sum(-1))
        worst += r.departments["grade_counts"][:, -1].sum()
        expected += q[..., veto].sum()
        n += q[..., veto].size
    assert worst > 0
    rate, p = worst / n, expected / n
    assert 0.005 < p < 0.1  # a realistic rate of serious violations
    assert abs(rate - p) < 4 * np.sqrt(p * (1 - p) / n)  # vetoes happen at the anticipated rate
    # without the events nobody is graded 不合格 in this world
    _, plain = _blocks(MLR, ["world.events={}"], blocks=2, reps=5)
    assert sum(r.departments["grade_counts"][:, -1].sum() for r in plain) == 0


@pytest.mark.parametrize(
    ("path", "base", "event", "task"),
    [(MLR, [], "违纪违法", "作风建设"), (HANGZHOU, HZ_EVENTS, "一票否决", "服务作风")],
    ids=["ministry", "hangzhou"],
)
def test_a_likelier_veto_raises_groundwork_and_fail_grades_and_deters_gaming(
    path, base, event, task
):
    effects = paired(
        path,
        base,
        [f"world.events.{event}.probability=0.05"],
        [f"world.events.{event}.probability=0.3"],
    )
    assert_sign(effects, f"effort:{task}", +1)  # departments anticipate the veto
    assert_sign(effects, "gaming_share", -1)  # gaming raises the veto's chance
    assert_sign(effects, "worst", +1)  # more units vetoed into the worst band


@pytest.mark.parametrize(
    ("path", "base", "item", "task"),
    [(MLR, [], "创先争优", "改革创新"), (HANGZHOU, HZ_EVENTS, "创新创优", "创新")],
    ids=["ministry", "hangzhou"],
)
def test_more_bonus_points_draw_effort_towards_the_claimable_item(path, base, item, task):
    effects = paired(
        path, base, [f"world.events.{item}.points=0.5"], [f"world.events.{item}.points=2"]
    )
    assert_sign(effects, f"effort:{task}", +1)
    assert_sign(effects, "mean_total", +1)


def test_deduction_incidents_deter_gaming_and_reward_groundwork(tmp_path):
    """A deduction item (减分) whose incidents gaming makes likelier: more points at stake, less
    gaming and more groundwork (Hangzhou with a 通报批评 deduction item)."""
    base = [
        'rule.adjustments.通报批评={kind="deduction", cap=3}',
        'world.events.通报批评={probability=0.2, task="基础工作", effect=0.5, gaming=1.0}',
    ]
    effects = paired(
        HANGZHOU, base, ["world.events.通报批评.points=0.2"], ["world.events.通报批评.points=3"]
    )
    assert_sign(effects, "gaming_share", -1)
    assert_sign(effects, "effort:基础工作", +1)


def _shock(mode: str, extra=()):
    over = [
        "world.common_shock=1.0",
        f'rule.targets.force_majeure="{mode}"',
        "rule.targets.force_majeure_share=0.5",
        *extra,
    ]
    model, results = _blocks(HANGZHOU, over, blocks=4, reps=5)
    return np.concatenate([r.metrics["shock_grades"] for r in results])


def test_force_majeure_relief_takes_the_shock_out_of_grades():
    none, partial, full = _shock("none"), _shock("partial"), _shock("full")
    assert np.all(full == 0)  # the shock fully netted out decides no grade
    assert none.mean() > 0.05  # a year's shock moves grades across the pass line and 良好
    diff = none - partial
    assert diff.mean() - 3 * diff.std(ddof=1) / np.sqrt(diff.size) > 0
    # discretionary relief that is never granted is no relief; always granted is relief in bad years
    never = _shock("discretionary", ["rule.targets.force_majeure_grant=0"])
    assert np.array_equal(never, none)
    always = _shock("discretionary", ["rule.targets.force_majeure_grant=1"])
    assert np.all(always <= none + 1e-12) and always.mean() < none.mean()


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (
            "world.events.创新={probability=0.1, points=1}",
            "world.events.创新: no bonus/deduction item",
        ),
        (
            "world.events.创先争优={probability=0.1, gaming=1}",
            "world.events.创先争优.gaming = 1.0: a bonus item is claimed",
        ),
        (
            'world.events.违纪违法={probability=0.1, task="调研"}',
            "world.events.违纪违法.task: no task of that name; allowed: 职责履行",
        ),
        ("world.events.违纪违法.probability=1.5", "probability"),
    ],
)
def test_bad_events_name_the_key_and_what_is_allowed(override, message):
    with pytest.raises(ScenarioError, match=message.replace("(", r"\(").replace(".", r"\.")):
        load_scenario(MLR, [override])


def test_an_item_without_cap_needs_its_points():
    with pytest.raises(ScenarioError, match="world.events.奖励.points: give the points"):
        load_scenario(
            MLR,
            ['rule.adjustments.奖励={kind="bonus"}', "world.events.奖励={probability=0.2}"],
        )


def test_discretionary_relief_goes_to_the_departments_that_lobby():
    """Relief never granted by itself (grant 0) but won by gaming (lobbying): some grades are
    corrected, only for departments that game, so fewer than under partial relief for all."""
    none = _shock("discretionary", ["rule.targets.force_majeure_grant=0"])
    lobby = _shock(
        "discretionary", ["rule.targets.force_majeure_grant=0", "world.relief_lobbying=2"]
    )
    partial = _shock("partial")
    assert lobby.mean() < none.mean()
    assert lobby.mean() > partial.mean()


def test_event_chances_and_their_slopes_agree_with_finite_differences():
    from dataclasses import dataclass
    from types import SimpleNamespace

    from perfsim.world import events
    from perfsim.world.events import CompiledEvents

    ev = CompiledEvents(
        names=("claim", "cut", "veto"),
        sign=np.array([1.0, -1.0, 0.0]),
        column=np.array([0, 1, -1]),
        points=np.array([2.0, 1.0, 0.0]),
        p0=np.array([0.1, 0.3, 0.05]),
        task=np.array([0, 1, 1]),
        effect=np.array([0.7, 0.4, 1.2]),
        gaming=np.array([0.0, 0.8, 0.6]),
    )
    rng = np.random.default_rng(3)
    theta, effort = rng.uniform(0.5, 1.5, (4, 5, 2)), rng.uniform(0, 2, (4, 5, 2))
    gaming = rng.uniform(0, 1, (4, 5))
    q, dq_dy, dq_dg = probabilities(ev, theta, effort, gaming)
    h = 1e-6
    for k in range(3):
        t = ev.task[k]
        bumped = effort.copy()
        bumped[..., t] += h / theta[..., t]  # output on the task up by h
        num = (probabilities(ev, theta, bumped, gaming)[0][..., k] - q[..., k]) / h
        assert np.allclose(num, dq_dy[..., k], atol=1e-5)
        num_g = (probabilities(ev, theta, effort, gaming + h)[0][..., k] - q[..., k]) / h
        assert np.allclose(num_g, dq_dg[..., k], atol=1e-5)

    # the combined veto probability with an audit veto, and its slope in G
    @dataclass(frozen=True)
    class Ctx:  # the part of a Context the events read
        events: object
        theta: np.ndarray
        audit: object
        event_state: tuple | None = None

    audit = SimpleNamespace(veto=True, probability=0.3, detection_rate=1.5)
    ctx = events.at_profile(Ctx(ev, theta, audit), effort, gaming[..., None])
    p_a = 0.3 * (1 - np.exp(-1.5 * gaming))
    dp_a = 0.3 * 1.5 * np.exp(-1.5 * gaming)
    p_v, dp_v = events.veto_probability(ctx, gaming, p_a, dp_a)
    assert np.allclose(p_v, 1 - (1 - p_a) * (1 - q[..., 2]))
    p_a2 = 0.3 * (1 - np.exp(-1.5 * (gaming + h)))
    num = (events.veto_probability(ctx, gaming + h, p_a2, dp_a)[0] - p_v) / h
    assert np.allclose(num, dp_v, atol=1e-5)


@pytest.mark.parametrize("seed", range(6))
def test_event_chances_event_by_event_equal_the_formulas_over_all_events(seed):
    """``chances`` works event by event (a claim without the logistic, an incident without the
    exponential): bit-equal to the module docstring's formulas taken over all events at once,
    with and without slopes, for events with and without a task, at drawn parameters."""
    from scipy.special import expit, logit

    from perfsim.world.events import CompiledEvents, chances

    rng = np.random.default_rng(seed)
    e, k = int(rng.integers(1, 6)), 3
    sign = rng.choice([1.0, -1.0, 0.0], e)
    ev = CompiledEvents(
        names=tuple(f"e{i}" for i in range(e)),
        sign=sign,
        column=np.where(sign == 0.0, -1, 0),
        points=np.ones(e),
        p0=rng.choice([0.0, 0.02, 0.3, 0.9], e),
        task=rng.integers(-1, k, e),
        effect=rng.uniform(0, 2, e),
        gaming=rng.uniform(0, 1, e),
    )
    theta, effort = rng.uniform(0.2, 3, (3, 7, k)), rng.uniform(0, 4, (3, 7, k))
    gaming = rng.uniform(0, 2, (3, 7))
    y = np.where(ev.task >= 0, (theta * effort)[..., np.maximum(ev.task, 0)], 0.0)
    claim = ev.sign == 1.0
    with np.errstate(divide="ignore"):
        base = logit(ev.p0) - ev.effect * y
    incident = expit(base + ev.gaming * gaming[..., None])
    kept = np.exp(-ev.effect * y)
    spread = incident * (1.0 - incident)
    want = (
        np.where(claim, 1.0 - (1.0 - ev.p0) * kept, incident),
        np.where(claim, ev.effect * (1.0 - ev.p0) * kept, -ev.effect * spread),
        np.where(claim, 0.0, ev.gaming * spread),
        base,
    )
    got = chances(ev, theta, effort, gaming)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)
    alone = chances(ev, theta, effort, gaming, slopes=False)
    np.testing.assert_array_equal(alone[0], want[0])
    assert alone[1:] == (None, None, None)


@pytest.mark.parametrize("shape", [(3, 7), (2, 3, 7)])
def test_effort_terms_take_the_incidents_at_a_candidates_gaming_as_the_formulas_over_all_events(
    monkeypatch, shape
):
    """At a candidate's gaming total (the profile's shape, or one per candidate) ``effort_terms``
    recomputes the incidents alone, one at a time: the chances and slopes it hands to the
    per-task products are bit-equal to the formulas over all events at once (claims as at the
    profile, incidents at the candidate's total)."""
    from types import SimpleNamespace

    from scipy.special import expit

    from perfsim.world import events
    from perfsim.world.events import CompiledEvents, chances

    rng = np.random.default_rng(4)
    ev = CompiledEvents(
        names=("claim", "cut", "veto", "claim2"),
        sign=np.array([1.0, -1.0, 0.0, 1.0]),
        column=np.array([0, 1, -1, 0]),
        points=np.array([2.0, 1.0, 0.0, 0.5]),
        p0=np.array([0.1, 0.3, 0.05, 0.0]),
        task=np.array([0, 1, -1, 1]),
        effect=np.array([0.7, 0.4, 1.2, 0.3]),
        gaming=np.array([0.0, 0.8, 0.6, 0.0]),
    )
    b, d, k = 3, 7, 2
    theta, effort = rng.uniform(0.5, 1.5, (b, d, k)), rng.uniform(0, 2, (b, d, k))
    state = (*chances(ev, theta, effort, rng.uniform(0, 1, (b, d))), {})
    ctx = SimpleNamespace(
        events=ev,
        event_state=state,
        theta=theta,
        ability=np.ones((b, d)),
        audit=SimpleNamespace(veto=False, detection_rate=None, probability=0.0),
        rule=SimpleNamespace(reward_table=np.array([[1.0], [0.0]]), veto_grade=1),
    )
    prof = {"marginal": rng.uniform(0, 1, (b, d)), "reward": rng.uniform(0, 2, (b, d))}
    before = [x.copy() for x in state[:4]]
    seen, real = [], events._per_task
    monkeypatch.setattr(events, "_per_task", lambda x, m: seen.append(x.copy()) or real(x, m))
    total = rng.uniform(0, 2, shape)
    events.effort_terms(ctx, prof, total, np.zeros((b, d, k)), np.zeros((b, d, k)))
    q, dq_dy, _, base, _ = state
    incident = expit(base + ev.gaming * total[..., None])
    np.testing.assert_array_equal(
        seen[0], np.where(ev.claim, dq_dy, -ev.effect * incident * (1.0 - incident))
    )
    np.testing.assert_array_equal(seen[1], np.where(ev.claim, q, incident))
    for kept, was in zip(state[:4], before, strict=True):  # the profile's chances untouched
        np.testing.assert_array_equal(kept, was)


def test_a_rule_on_a_bundled_world_keeps_the_events_of_its_own_items(tmp_path):
    """Fitted to the Hangzhou world by name: the rule's 创新创优 item takes the world's event; the
    world's 一票否决 event is left out, as the rule has no such veto column."""
    from perfsim.scenario import resolve_scenario

    rule = tmp_path / "rule.toml"
    rule.write_text(
        '[rule.indicators."公共服务"]\n\n[rule.adjustments."创新创优"]\nkind = "bonus"\ncap = 1\n',
        encoding="utf-8",
    )
    scenario = resolve_scenario(rule, world="hangzhou-2011")
    assert list(scenario.world.events) == ["创新创优"]
    plain = tmp_path / "plain.toml"
    plain.write_text('[rule.indicators."公共服务"]\n', encoding="utf-8")
    assert resolve_scenario(plain, world="hangzhou-2011").world.events == {}


def test_the_report_states_the_force_majeure_relief():
    from perfsim.i18n import language
    from perfsim.report.rules import rule_summary

    def targets(**relief):
        return rule_summary({"rule": {"targets": relief}, "world": {}})["targets"]

    assert targets() == "fixed"
    assert targets(force_majeure="full").endswith("netted out in full")
    assert "30 % netted out" in targets(force_majeure="partial", force_majeure_share=0.3)
    with language("zh"):
        relief = {"force_majeure": "discretionary", "force_majeure_grant": 0.2}
        rows = rule_summary({"rule": {"targets": relief}, "world": {}})
    text = next(v for v in rows.values() if "不可抗力" in v)
    assert "20 %" in text and "netted" not in text  # in Chinese
