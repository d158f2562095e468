"""No silent drops (perfsim/scenario/coverage.py): every part of a rule that the simulation does not
realise is listed, warned about once, recorded in the run metadata and shown in the report; the
list is complete (perturbing every other field of a rule moves some simulated number) and honest
(perturbing a listed part moves none)."""

from __future__ import annotations

import copy
import json
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT, run_cli

import perfsim
from perfsim import engine, scoring
from perfsim.scenario import (
    PerfsimError,
    ScenarioError,
    coverage,
    load_scenario,
    scenario_from_dict,
)
from perfsim.scenario.coverage import UNREALISED, NotSimulatedWarning

# A rule that uses every part of the language at a value where it can act (the thresholds bind,
# the quota is short of the units, departments game and are audited, targets ratchet over two
# years), on a small world.
PROBE = {
    "rule": {
        "classes": ["A", "B"],
        "indicators": {
            "eff": {"component": "目标", "label": "efficacy"},
            "cost": {"component": "目标", "direction": "cost", "normalize": "zscore"},
            "tgt": {
                "component": "目标",
                "normalize": "target",
                "target": 10.0,
                "cap": 1.05,
                "target_column": "tgt_target",
                "gameable": False,
            },
            "lin": {
                "component": "目标",
                "normalize": "linear",
                "target": 2.0,
                "span": 5.0,
                "target_column": "lin_target",
            },
        },
        "normalize": {"method": "efficacy", "scope": "global", "clip": False},
        "weights": {
            "method": "fixed",
            "eff": 0.4,
            "cost": 0.2,
            "tgt": 0.2,
            "lin": 0.2,
            "by_class": {"A": {"eff": 0.1, "cost": 0.5, "tgt": 0.2, "lin": 0.2}},
        },
        "components": {
            "目标": {"share": 0.5, "label": "targets"},
            "社会评价": {"share": 0.3, "full_marks": 50.0},
            "领导": {"share": 0.2},
        },
        "adjustments": {"创新": {"kind": "bonus", "cap": 2.0}},
        "net_adjustment_cap": 3.0,
        "grading": {
            "bands": ["优秀", "良好", "合格", "不合格"],
            "quota": {"优秀": 0.25},
            "thresholds": {"良好": 61.5, "合格": 52.5},
            "ties": "exclude",
            "rounding": "floor",
            "scope": "global",
        },
        "veto": {"columns": ["违纪"], "grade": "不合格"},
        "rewards": {
            "优秀": {"bonus": 1.0, "budget_factor": 1.1, "promotion_weight": 1.0},
            "良好": {"bonus": 0.5, "promotion_weight": 0.5},
            "不合格": {"bonus": -0.5, "budget_factor": 0.9},
        },
        "pay": {"per_point": 0.01},
        "audit": {
            "probability": 0.3,
            "detection_rate": 1.0,
            "fine_per_unit": 0.2,
            "penalty": 0.05,
            "veto": True,
            "cost": 5.0,
        },
        "targets": {
            "mode": "ratchet",
            "ratchet": 0.5,
            "force_majeure": "discretionary",  # relief of half the shock, granted to half
            "force_majeure_share": 0.5,
            "force_majeure_grant": 0.5,
        },
    },
    "world": {
        "departments": 10,
        "periods": 2,
        "common_shock": 0.5,  # 不可抗力, for the relief to act
        "policy": "best_response",
        "motivation": 0.3,
        "samples": 4,
        "max_iterations": 6,
        "classes": {"A": {"ability_sd": 0.3}, "B": {"ability_sd": 0.3, "productivity": {"b": 1.3}}},
        "tasks": {"a": {}, "b": {"cost": 1.5}},
        "indicators": {
            "eff": {"tasks": {"a": 1.0}, "noise": 0.3, "gameability": 1.0, "gaming_cost": 2.0},
            "cost": {"tasks": {"b": -1.0}, "offset": 5.0, "noise": 0.3},
            "tgt": {
                "tasks": {"a": 1.0, "b": 1.0},
                "offset": 8.0,
                "noise": 0.5,
                "gameability": 1.0,
                "gaming_cost": 2.0,
            },
            "lin": {"tasks": {"b": 1.0}, "noise": 0.2},
        },
        "raters": {
            "社会评价": {"kind": "survey", "sees": {"a": 1.0}, "respondents": 20, "unit_cost": 1.0},
            "领导": {"kind": "panel", "sees": {"b": 1.0}, "noise": 3.0, "unit_cost": 10.0},
        },
    },
}

# Fields that have no simulated effect by their nature: names and texts, and the name of the data
# column a component is read from (the simulated rater group is found by the component's name).
DESCRIPTIVE = {
    "rule.name",
    "rule.indicators.*.label",
    "rule.components.*.label",
    "rule.adjustments.*.label",
    "rule.components.*.column",
    # the simulated raters score on 0-100 and the rule rescales from full marks: a unit only
    "rule.components.*.full_marks",
}

# A validation switch: it accepts a matrix or refuses it, and has no effect on an accepted one.
DESCRIPTIVE.add("rule.weights.allow_inconsistent")


def _data_weights(raw):
    """The probe's weights without values (a method other than fixed computes them)."""
    weights = raw["rule"]["weights"]
    for key in ("eff", "cost", "tgt", "lin", "by_class"):
        weights.pop(key, None)


def _ahp(raw):
    _data_weights(raw)
    raw["rule"]["weights"]["method"] = "ahp"
    raw["rule"]["weights"]["pairwise"] = [
        [1, 2, 3, 4],
        ["1/2", 1, 2, 3],
        ["1/3", "1/2", 1, 2],
        ["1/4", "1/3", "1/2", 1],
    ]


def _naive(raw):
    raw["world"]["policy"] = "naive"


# Fields whose effect needs another setting than the probe's: the perturbation is made from it.
CONDITIONS = {
    "rule.weights.method": _data_weights,
    "rule.weights.pairwise": _ahp,
    "rule.components.*.aggregate": _naive,
    "rule.aggregate.indicators": _naive,
    "rule.aggregate.components": _naive,
}

# Values to try instead of the generic ones (a field whose change must respect other fields);
# an empty list: the field is tested through another (a component named by an indicator).
VALUES = {
    "rule.weights.pairwise": [
        [[1, 3, 5, 7], ["1/3", 1, 3, 5], ["1/5", "1/3", 1, 3], ["1/7", "1/5", "1/3", 1]]
    ],
    "rule.grading.quota_count": [{"良好": 3}],
    "rule.grading.bands": [["优秀", "良好", "合格", "不合格", "差"]],
    "rule.indicators.*.component": [],
    "rule.indicators.*.normalize": ["minmax", "zscore", "percentile"],
    "rule.indicators.*.target_column": ["tgt_target", "lin_target", None],
    "rule.components.*.aggregate": ["borda", "topsis"],
    "rule.components.*.source": [],
}


def _leaves(table, prefix=()):
    if isinstance(table, dict) and table:
        for key, value in table.items():
            yield from _leaves(value, (*prefix, key))
    else:
        yield prefix, table


def _pattern(path: tuple) -> str:
    """The field's path with table keys (indicator, component, band names …) as ``*``."""
    tables = {
        "indicators",
        "components",
        "rewards",
        "adjustments",
        "by_class",
        "quota",
        "thresholds",
    }
    out = []
    for i, key in enumerate(path):
        out.append("*" if i > 0 and path[i - 1] in tables and key not in ("*",) else key)
    return ".".join(out)


# Every choice of a string field of the rule (a field tries those that validate).
CHOICES = [
    *("efficacy", "minmax", "zscore", "percentile", "target", "linear"),
    *("benefit", "cost", "global", "within_class", "include", "exclude", "floor", "ceil"),
    *("nearest", "weighted_sum", "borda", "topsis", "fixed", "equal", "entropy", "critic"),
    *("bonus", "deduction", "ratchet", "合格", "none", "full", "partial", "discretionary"),
]


def _candidates(pattern: str, value):
    if pattern in VALUES:
        return VALUES[pattern]
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int | float):
        return [value * 0.5 + 0.37, value * 1.5 + 1, 0.0 if value else 1.0, 0.9]
    if isinstance(value, str):
        return [c for c in CHOICES if c != value]
    if value is None:
        return [1.0, 0.5, 50.0, True]
    if isinstance(value, list):
        return [value[::-1], value[:-1], [], ["x"]]
    if isinstance(value, dict):
        return [{}]
    return []


def _set(table, path, value):
    for key in path[:-1]:
        table = table.setdefault(key, {})
    table[path[-1]] = value


def _simulated(scenario) -> list[np.ndarray]:
    """Every number of a short simulation (metrics, department means, period means)."""
    blocks = engine.run_blocks(engine.build(scenario), 0, 2)
    out = []
    for b in blocks:
        for table in (b.metrics, b.departments, b.periods):
            out += [np.asarray(table[k], dtype=float).ravel() for k in sorted(table)]
    return out


def _table() -> pd.DataFrame:
    """A real table for the probe's rule: every column it reads, 10 units."""
    rng = np.random.default_rng(1)
    n = 10
    return pd.DataFrame(
        {
            "department": [f"u{i}" for i in range(n)],
            "class": ["A", "B"] * (n // 2),
            "eff": rng.normal(10, 2, n),
            "cost": rng.normal(5, 1, n),
            "tgt": rng.normal(9.5, 1, n),
            "tgt_target": rng.normal(9.5, 0.5, n),
            "lin": rng.normal(2, 0.5, n),
            "lin_target": rng.normal(2, 0.2, n),
            "社会评价": rng.uniform(30, 45, n),
            "领导": rng.uniform(60, 95, n),
            "创新": rng.uniform(0, 3, n),
            "违纪": [True] + [False] * (n - 1),
        }
    )


TABLE = _table()


def _scored(scenario) -> list[np.ndarray]:
    """Every number of the probe's table scored by the rule (totals, grades, rewards)."""
    out = scoring.score(TABLE, scenario.rule)
    grades = out.pop("grade").to_numpy()
    numbers = [
        out[c].to_numpy(dtype=float) for c in out.columns if c not in ("department", "class")
    ]
    return numbers + [(grades == band).astype(float) for band in scenario.rule.grading.bands]


def _numbers(scenario) -> tuple[list, list] | None:
    """(simulated numbers, scored numbers), or None when the rule cannot run on the probe."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return _simulated(scenario), _scored(scenario)
        except (ValueError, PerfsimError):
            return None


def _same(a, b) -> bool:
    return len(a) == len(b) and all(
        x.shape == y.shape and np.array_equal(x, y, equal_nan=True)
        for x, y in zip(a, b, strict=True)
    )


def _listed(pattern: str) -> bool:
    return any(part.covers(pattern) for part in UNREALISED)


def _moves(raw, path, value, base_cache) -> tuple[bool, bool] | None:
    """Whether (some simulated number, some number of a scored table) moves when the field at
    ``path`` (valued ``value``) changes; None when no candidate value validates and runs."""
    pattern = _pattern(path)
    condition = CONDITIONS.get(pattern)
    base_raw = copy.deepcopy(raw)
    if condition is not None:
        condition(base_raw)
    key = condition.__name__ if condition else ""
    if key not in base_cache:
        base_cache[key] = _numbers(scenario_from_dict(base_raw))
    base = base_cache[key]
    result = None
    for candidate in _candidates(pattern, value):
        if candidate == value:
            continue
        changed = copy.deepcopy(base_raw)
        _set(changed, list(path), candidate)
        try:
            numbers = _numbers(scenario_from_dict(changed))
        except ScenarioError:
            continue
        if numbers is None:
            continue
        sim, scored = not _same(numbers[0], base[0]), not _same(numbers[1], base[1])
        result = (sim or bool(result and result[0]), scored or bool(result and result[1]))
        if all(result):
            break
    return result


def test_probe_sets_every_listed_part():
    found = {d.part.path for d in coverage.not_simulated(scenario_from_dict(PROBE))}
    assert found == {p.path for p in UNREALISED}


# Parts that only the simulation uses (scoring a real table has no audits, ratchet or pay): they
# must move a simulated number.
SIMULATION_ONLY = ("rule.audit.", "rule.targets.", "rule.pay.")


def test_the_list_is_complete_and_honest():
    """Perturb every field of the probe's rule, and simulate and score a real table with it. A
    listed part must move no simulated number; a field that is not listed and moves a scored
    number (or is a simulation-only part) must move a simulated one. A mechanism that makes a
    listed part act fails here until its line is deleted from coverage.UNREALISED; a new rule
    field that the simulation ignores fails here until it is listed."""
    raw = copy.deepcopy(PROBE)
    full = scenario_from_dict(PROBE).model_dump(mode="json", exclude={"uncertain", "meta"})
    base_cache: dict = {}
    moving, silent, untested, checked = [], [], [], 0
    scored_parts = set()
    for path, value in _leaves(full["rule"], ("rule",)):
        pattern = _pattern(path)
        if pattern in DESCRIPTIVE or (pattern in VALUES and not VALUES[pattern]):
            continue
        moved = _moves(raw, path, value, base_cache)
        if moved is None:  # a listed part's other fields test it (e.g. a column that must exist)
            if not _listed(pattern):
                untested.append(pattern)
            continue
        checked += 1
        sim, scored = moved
        scored_parts |= {p.path for p in UNREALISED if scored and p.covers(pattern)}
        if _listed(pattern) and sim:
            moving.append(pattern)
        elif not _listed(pattern) and not sim and (scored or pattern.startswith(SIMULATION_ONLY)):
            silent.append(pattern)
    assert not moving, f"listed as not simulated, but they move simulated numbers: {moving}"
    assert not silent, f"they act on a scored table but no simulated number moves: {silent}"
    assert not untested, f"no perturbation of these fields validates and runs: {untested}"
    assert checked > 60
    # the probe exercises every listed part that a scored table uses (gameable is a declaration
    # for the simulated world: scoring never reads it)
    assert scored_parts == {p.path for p in UNREALISED} - {"rule.indicators.*.gameable"}


def _probe(**meta) -> object:
    raw = copy.deepcopy(PROBE)
    raw["world"].update(max_iterations=2)
    raw["meta"] = meta
    return scenario_from_dict(raw, source="probe.toml")


def _warnings(call) -> list[warnings.WarningMessage]:
    coverage._WARNED.clear()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call()
    return [w for w in caught if issubclass(w.category, NotSimulatedWarning)], result


def test_a_run_warns_once_and_records_the_parts():
    caught, result = _warnings(lambda: perfsim.simulate(_probe(), reps=2))
    assert len(caught) == 1
    text = str(caught[0].message)
    assert text.startswith("probe.toml: not simulated: ") and "\n" not in text
    for part in UNREALISED:
        assert part.path in text
    assert "rule.indicators.lin.target_column" in text
    assert "rule.indicators.eff.target_column" not in text  # not set: nothing is left out
    recorded = {e["part"]: e for e in result.metadata["not_simulated"]}
    assert set(recorded) == {p.path for p in UNREALISED}
    assert recorded["rule.indicators.*.target_column"]["keys"] == [
        "rule.indicators.tgt.target_column",
        "rule.indicators.lin.target_column",
    ]
    assert all(e["reason"] == "" for e in recorded.values())


def test_a_documented_part_is_not_warned_about_but_recorded_with_its_reason():
    everything = {p.path: f"reason {k}" for k, p in enumerate(UNREALISED)}
    caught, result = _warnings(lambda: perfsim.simulate(_probe(not_simulated=everything), reps=2))
    assert caught == []
    reasons = {e["part"]: e["reason"] for e in result.metadata["not_simulated"]}
    assert reasons == everything
    # documenting one key of a part covers that key's part; the others are still named
    some = {"rule.indicators.tgt.target_column": "targets are out of scope"}
    caught, result = _warnings(lambda: perfsim.simulate(_probe(not_simulated=some), reps=2))
    assert len(caught) == 1 and "rule.indicators.*.target_column" not in str(caught[0].message)
    assert "rule.veto.columns" in str(caught[0].message)


def test_runs_of_the_same_scenario_again_still_warn_and_record_their_own_parts():
    # simulate() finds the parts once per scenario object: a scenario run again still warns, and
    # another scenario (here documenting every part) gets its own record, whatever ran before
    bare = _probe()
    documented = _probe(not_simulated={p.path: "why" for p in UNREALISED})
    for scenario, warns, reason in [(bare, 1, ""), (documented, 0, "why"), (bare, 1, "")]:
        caught, result = _warnings(lambda s=scenario: perfsim.simulate(s, reps=2))
        assert len(caught) == warns
        assert {e["reason"] for e in result.metadata["not_simulated"]} == {reason}


def test_neutral_values_and_a_world_that_cannot_game_are_not_reported():
    raw = copy.deepcopy(PROBE)
    rule = raw["rule"]
    for key in ("adjustments", "net_adjustment_cap", "veto"):
        rule.pop(key)
    rule["audit"]["veto"] = False
    rule["indicators"]["tgt"].pop("target_column")
    rule["indicators"]["lin"].pop("target_column")
    assert [d.part.path for d in coverage.not_simulated(scenario_from_dict(raw))] == [
        "rule.indicators.*.gameable"
    ]
    raw["world"]["indicators"]["tgt"]["gameability"] = 0.0
    assert coverage.not_simulated(scenario_from_dict(raw)) == []


def test_a_comparison_warns_once_for_all_its_runs():
    raw = copy.deepcopy(PROBE)
    raw["rule"]["indicators"]["lin"].pop("target_column")
    base = scenario_from_dict(raw, source="probe.toml")
    variants = ['more:rule.indicators.lin.target_column="lin_t"', "less:rule.audit.probability=0.1"]
    caught, comp = _warnings(lambda: perfsim.compare([base], variants=variants, reps=2))
    assert len(caught) == 1
    assert "rule.indicators.lin.target_column" in str(caught[0].message)  # a variant's key too
    keys = {e["part"]: e["keys"] for e in comp.results[("base", "more")].metadata["not_simulated"]}
    assert "rule.indicators.lin.target_column" in keys["rule.indicators.*.target_column"]
    keys = {e["part"]: e["keys"] for e in comp.results[("base", "less")].metadata["not_simulated"]}
    assert "rule.indicators.lin.target_column" not in keys["rule.indicators.*.target_column"]


def test_sensitivity_names_an_uncertain_input_that_is_not_simulated(tmp_path):
    raw = copy.deepcopy(PROBE)
    rule = raw["rule"]
    rule.pop("net_adjustment_cap")
    raw["uncertain"] = {
        "rule.net_adjustment_cap": {"range": [1.0, 3.0]},
        "rule.audit.probability": {"range": [0.1, 0.5]},
    }
    from perfsim.experiments.sensitivity.models import model_spec

    scenario = scenario_from_dict(raw, source="probe.toml")
    caught, spec = _warnings(lambda: model_spec(scenario, None, None, None, [], 2, 0))
    assert len(caught) == 1 and "rule.net_adjustment_cap" in str(caught[0].message)
    assert "rule.audit.probability" not in str(caught[0].message)
    parts = {e["part"]: e["keys"] for e in spec.info["not_simulated"]}
    assert parts["rule.net_adjustment_cap"] == ["rule.net_adjustment_cap"]


def test_every_bundled_scenario_documents_what_it_leaves_out():
    """perfsim run on a bundled scenario prints no not-simulated warning: every part it sets that
    the simulation does not realise has a reason in meta.not_simulated, and every reason there
    names a part that is still left out (delete it when the part is simulated)."""
    for path in sorted((ROOT / "scenarios").rglob("*.toml")):
        try:
            scenario = load_scenario(path)
        except ScenarioError:
            continue  # a table of uncertain inputs only, or a partial world
        dropped = coverage.not_simulated(scenario)
        assert coverage.undocumented(dropped) == [], path
        named = {d.part.path for d in dropped} | {k for d in dropped for k in d.keys}
        stale = set(scenario.meta.not_simulated) - named
        assert not stale, f"{path}: meta.not_simulated names parts that are simulated: {stale}"


def test_cli_run_warns_in_one_line_and_the_report_lists_the_parts(tmp_path):
    scenario = tmp_path / "s.toml"
    text = (ROOT / "scenarios" / "mlr-2011.toml").read_text(encoding="utf-8")
    # no veto events (undocumented), and one indicator declared not gameable (documented)
    text = re.sub(r'\[world\.events\."违纪违法"\]\n(?:.*\n)*?gaming = [0-9.]+\n', "", text)
    assert '违纪违法"]' not in text.split("[world]")[-1]
    text = text.replace("gameable = true", "gameable = false", 1)
    text = text.replace(
        "\n[rule]\n",
        '\n[meta.not_simulated]\n"rule.indicators.*.gameable" = "the world decides gaming"\n\n[rule]\n',
        1,
    )
    scenario.write_text(text, encoding="utf-8")
    out = tmp_path / "run"
    args = ["--reps", "2", "--set", "world.policy=naive", "--out", str(out), "--quiet"]
    result = run_cli("run", str(scenario), *args)
    assert result.returncode == 0, result.stderr
    lines = [x for x in result.stderr.splitlines() if x.startswith("perfsim run: warning: ")]
    assert len(lines) == 1 and "rule.veto.columns: one-vote veto" in lines[0]
    assert "rule.indicators.*.gameable" not in lines[0]  # documented in the scenario
    meta = json.loads((out / "metadata.json").read_text(encoding="utf-8"))
    assert {e["part"] for e in meta["not_simulated"]} == {
        "rule.veto.columns",
        "rule.indicators.*.gameable",
    }
    report = run_cli("report", str(out))
    assert report.returncode == 0, report.stderr
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "Not simulated" in md
    assert "one-vote veto data columns (一票否决) (rule.veto.columns): no reason given" in md
    assert "the world decides gaming" in md  # the scenario's reason


def test_an_empty_reason_is_refused_naming_the_key():
    with pytest.raises(ScenarioError, match=r"meta\.not_simulated\.rule\.adjustments"):
        _probe(not_simulated={"rule.adjustments": " "})


def test_part_paths_cover_their_keys():
    part = coverage.Part("rule.rewards.*.budget_factor", 1.0, "x")
    assert part.covers("rule.rewards.优秀.budget_factor")
    assert not part.covers("rule.rewards.优秀.bonus")
    assert not part.covers("rule.rewards")
    assert coverage.Part("rule.adjustments", {}, "x").covers("rule.adjustments.创新.cap")


def test_the_sensitivity_report_lists_the_parts_in_chinese_too():
    from perfsim.i18n import language
    from perfsim.report.document import Document, render_markdown
    from perfsim.report.sections.run import add_not_simulated

    entries = [d.as_dict() for d in coverage.not_simulated(_probe())]
    entries[0]["reason"] = "points are out of scope"
    for lang, heading, reason in (
        ("en", "Not simulated", "no reason given"),
        ("zh", "未模拟", "未说明原因"),
    ):
        with language(lang):
            doc = Document("x")
            add_not_simulated(doc, entries, "h2")
            md = render_markdown(doc)
        assert heading in md and md.count(reason) == len(entries) - 1
        assert "points are out of scope" in md and "rule.adjustments.创新" in md
    empty = Document("x")
    add_not_simulated(empty, [], "h2")
    assert "Not simulated" not in render_markdown(empty)


def test_the_summary_says_first_what_the_simulation_left_out(tmp_path):
    # a veto column the world has no event for: the plain-language sentences (e.g. "no unit is
    # ever graded 不合格") must not read as if the veto had been simulated
    rule = tmp_path / "veto.toml"
    rule.write_text(
        '[rule.indicators."公共服务"]\ncomponent = "目标考核"\nbad = 60\ngood = 100\n'
        '[rule.components."目标考核"]\nshare = 0.6\n[rule.components."社会评价"]\nshare = 0.4\n'
        '[rule.grading]\nbands = ["优秀", "合格", "不合格"]\n[rule.veto]\ncolumns = ["安全事故"]\n',
        encoding="utf-8",
    )
    world = ["--world", "hangzhou-2011"]
    out = tmp_path / "run"
    result = run_cli("run", str(rule), *world, "--reps", "3", "--set", "world.policy=naive",
                     "--out", str(out))  # fmt: skip
    assert result.returncode == 0, result.stderr
    paragraph = result.stdout.split("\n\n")[1]  # the sentences after the title line
    assert paragraph.lstrip().startswith("Not simulated: one-vote veto data columns")
    assert "NotSimulatedWarning" not in result.stderr  # said once, in the summary
    title = " ".join(result.stdout.split("\n\n")[0].split())  # (wrapped to the terminal)
    assert title.endswith("seed 0; --set world.policy=naive")
    compared = run_cli("compare", str(rule), *world, "--variant", "s:rule.components.社会评价.share=0.5",
                       "--reps", "2", "--set", "world.policy=naive", "--out", str(tmp_path / "cmp"))  # fmt: skip
    assert compared.returncode == 0 and "NotSimulatedWarning" not in compared.stderr
    assert "Not simulated: one-vote veto data columns" in compared.stdout.split("\n\n")[1]
    assert "(rule.veto.columns)" in " ".join(paragraph.split())
    checked = run_cli("validate", str(rule), *world)
    assert "not simulated: one-vote veto data columns (一票否决) (rule.veto.columns)" in (
        checked.stdout
    )
    assert run_cli("report", str(out)).returncode == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    results = html[html.index('id="results"') :]
    assert results.index("Not simulated: one-vote veto") < results.index("Kendall")
    # a rule that sets nothing the simulation leaves out says nothing of the kind
    plain = run_cli("run", "hangzhou-2011", "--reps", "2", "--set", "world.policy=naive",
                    "--out", str(tmp_path / "plain"))  # fmt: skip
    assert plain.returncode == 0, plain.stderr
    assert "Not simulated" not in plain.stdout
