"""The sensitivity report's "In short" section: for each outcome metric with a better side, the
input that drives it most and the direction of its effect, read from the samples: a rank
correlation for a number, the mean per choice for a choice; solver diagnostics apart."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT

from perfsim.report.document import render_markdown
from perfsim.report.sections.sensitivity import sensitivity_document
from perfsim.results import SensitivityRecord


def _record(audit_effect: float, seed: int = 0) -> SensitivityRecord:
    """200 samples of two inputs and four metrics with known dependences: gaming falls with the
    audit rate (slope ``audit_effect``), Kendall τ is 0.5 under efficacy and 0.7 under z-scores,
    class bias is noise, and the iterations a diagnostic."""
    rng = np.random.default_rng(seed)
    audit = rng.uniform(0, 0.4, 200)
    norm = rng.choice(["efficacy", "zscore"], 200)
    samples = pd.DataFrame(
        {
            "audit rate": audit,
            "normalisation": norm,
            "gaming_share": 0.05 + audit_effect * audit + 0.001 * rng.standard_normal(200),
            "kendall_tau": np.where(norm == "zscore", 0.7, 0.5) + 1e-4 * rng.standard_normal(200),
            "class_bias": rng.standard_normal(200),
            "iterations_mean": 20 + rng.standard_normal(200),
        }
    )
    rows = []
    for metric, top, value, half in [
        ("gaming_share", "audit rate", 0.9, 0.1),
        ("kendall_tau", "normalisation", 0.8, 0.2),
        ("class_bias", "audit rate", 0.05, 0.04),
        ("iterations_mean", "normalisation", 0.6, 0.9),
    ]:
        other = "normalisation" if top == "audit rate" else "audit rate"
        rows += [(metric, top, "ST", value, half), (metric, other, "ST", value / 10, half)]
    indices = pd.DataFrame(rows, columns=["metric", "input", "index", "value", "confidence"])
    meta = {
        "method": "sobol",
        "n": 64,
        "seed": seed,
        "main_index": "ST",
        "inputs": [
            {
                "name": "audit rate",
                "path": "rule.audit.probability",
                "kind": "uniform",
                "low": 0.0,
                "high": 0.4,
            },
            {
                "name": "normalisation",
                "path": "rule.normalize.method",
                "kind": "choice",
                "choices": ["efficacy", "zscore"],
            },
        ],
    }
    return SensitivityRecord(meta, indices, samples=samples)


def _in_short(record: SensitivityRecord) -> list[str]:
    text = render_markdown(sensitivity_document(record))
    part = text.split("## In short", 1)[1].split("\n## ", 1)[0]
    return [line[2:] for line in part.splitlines() if line.startswith("- ")]


@pytest.mark.parametrize("effect", [-0.1, 0.1])
def test_in_short_gives_the_direction_of_the_leading_input(effect):
    lines = _in_short(_record(effect))
    gaming = next(line for line in lines if line.startswith("gaming_share"))
    assert "depends most on audit rate (ST 0.90 ± 0.10)" in gaming
    if effect < 0:  # gaming falls as audits rise: lower gaming is better
        assert "the higher the audit rate, the lower gaming_share (which is better" in gaming
        assert "rank correlation −1.00" in gaming
    else:
        assert "the higher the audit rate, the higher gaming_share (which is worse" in gaming
        assert "rank correlation +1.00" in gaming


def test_in_short_names_the_best_choice_weak_drivers_and_leaves_out_diagnostics():
    lines = _in_short(_record(-0.1))
    tau = next(line for line in lines if line.startswith("kendall_tau"))
    assert "zscore gives the best kendall_tau on average (0.700; efficacy 0.500)" in tau
    assert "not yet reliable" not in tau
    bias = next(line for line in lines if line.startswith("class_bias"))
    assert "no input drives it much" in bias
    assert not any(line.startswith("iterations_mean") for line in lines)
    text = render_markdown(sensitivity_document(_record(-0.1)))
    assert "numerical diagnostics, not outcomes of the rule" in text
    # an index whose interval is wider than itself is flagged
    shaky = _record(-0.1)
    shaky.indices.loc[shaky.indices["metric"] == "gaming_share", "confidence"] = 2.0
    gaming = next(line for line in _in_short(shaky) if line.startswith("gaming_share"))
    assert "not yet reliable at this N" in gaming


def test_a_group_of_inputs_is_named_without_a_direction():
    record = _record(-0.1)
    record.indices.loc[record.indices["input"] == "audit rate", "input"] = "audit rate and cost"
    gaming = next(line for line in _in_short(record) if line.startswith("gaming_share"))
    assert gaming == "gaming_share depends most on audit rate and cost (ST 0.90 ± 0.10)."


def test_no_samples_no_in_short_section():
    record = _record(-0.1)
    record.samples = None
    assert "## In short" not in render_markdown(sensitivity_document(record))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_unsettled_samples_are_warned_about_before_the_statements(lang):
    """Samples whose best responses did not all settle: a warning above "In short", in the
    report's language, with the count of samples and the share of replications that settled;
    none when every sample settled."""
    from perfsim.i18n import language

    record = _record(-0.1)
    share = np.ones(200)
    share[:30] = 0.5  # 30 samples with half their replications unsettled
    record.samples["converged_share"] = share
    with language(lang):
        text = render_markdown(sensitivity_document(record))
        record.samples["converged_share"] = 1.0
        settled = render_markdown(sensitivity_document(record))
    said = "at 30 of 200 samples" if lang == "en" else "在 200 个样本中有 30 个样本"
    assert said in text
    assert ("92.5 %" in text) and text.index(said) < text.index(
        "## In short" if lang == "en" else "## 要点"
    )
    guide = "When the best response does not settle" if lang == "en" else "关于最优反应不收敛的一节"
    assert guide in text and guide not in settled


def test_a_chinese_report_says_the_region_and_the_notes_in_chinese_with_the_same_numbers():
    """The run writes its region and notes in English; a Chinese report says them again in
    Chinese, from region.csv, the bounds and the counts, and from the notes' templates: the
    same numbers and names, none of the English words."""
    import re

    from perfsim.experiments.discovery import find_region
    from perfsim.experiments.sensitivity.notes import NOTES, note, said_again
    from perfsim.i18n import gettext as _
    from perfsim.i18n import language

    record = _record(-0.2)
    region = find_region(
        record.samples[["audit rate", "normalisation"]],
        record.samples[["gaming_share", "kendall_tau"]],
        ["gaming_share<0.07", "kendall_tau>0.6"],
    )
    notes = [
        note("undefined", metric="class_bias", bad=3),
        note("unreliable", count=4, analysed=9, metrics="a, b", file="sensitivity.json"),
        "A note made without a template.",
    ]
    record.metadata.update(
        notes=notes,
        bounds={"gaming_share": ["<", 0.07], "kendall_tau": [">", 0.6]},
        region={
            "good": region.good,
            "total": region.total,
            "in_box": region.in_box,
            "good_in_box": region.good_in_box,
        },
    )
    record.region, record.region_table = region.summary + "\n", region.table
    numbers = re.compile(r"\d+(?:\.\d+)?")
    english = render_markdown(sensitivity_document(record))
    with language("zh"):
        chinese = render_markdown(sensitivity_document(record))
    assert region.summary in english and "Best region" in region.summary
    said = next(b for b in chinese.split("```") if "最佳区域" in b)
    assert "Best region" not in said and "Samples meeting" not in said
    assert sorted(numbers.findall(said)) == sorted(numbers.findall(region.summary))
    assert "在 3 个样本中无定义" in chinese and "9 个指标中有 4 个" in chinese
    assert "A note made without a template." in chinese
    # every template comes back whole, whatever its values
    for key, template in NOTES.items():
        values = {k: f"v{k}1.5" for k in re.findall(r"\{(\w+)\}", template)}
        with language("zh"):
            assert said_again(note(key, **values)) == _(template).format(**values)
        assert said_again(note(key, **values)) == note(key, **values)  # English: as recorded
    # a note that holds another (the convergence advice) is said again whole, inside and out
    fields = dict(index="ST", input="x", metric="m", change="0.3", unit="N", small=8, large=16)
    advice = note("needed", tolerance=0.05, needed=1024, **fields)
    with language("zh"):
        inner = _(NOTES["needed"]).format(tolerance=0.05, needed=1024, **fields)
        assert said_again(note("convergence", advice=advice)) == _("convergence: {advice}").format(
            advice=inner
        )
        assert "尚未收敛" in inner and "not converged" not in inner


def test_a_chinese_report_calls_the_inputs_by_their_chinese_names():
    """An [uncertain] input's ``translations.zh.name`` (sensitivity.json's ``input_names``) names
    it in a Chinese report: in the inputs table, the indices, "In short", the notes and the
    region's box, with a choice's code words glossed (功效系数法（efficacy）); the English report
    keeps the names as written, and the record itself is left as it was."""
    from perfsim.experiments.discovery import find_region
    from perfsim.experiments.sensitivity.notes import note
    from perfsim.i18n import language

    record = _record(-0.2)
    region = find_region(
        record.samples[["audit rate", "normalisation"]],
        record.samples[["gaming_share"]],
        ["gaming_share<0.03"],
    )
    fields = dict(index="ST", input="audit rate", metric="m", change="0.3", unit="N", small=8)
    record.metadata.update(
        input_names={"zh": {"audit rate": "抽查概率", "normalisation": "标准化方法"}},
        notes=[note("needed", tolerance=0.05, needed=1024, large=16, **fields)],
        bounds={"gaming_share": ["<", 0.03]},
        region={k: getattr(region, k) for k in ("good", "total", "in_box", "good_in_box")},
    )
    record.region, record.region_table = region.summary + "\n", region.table
    english = render_markdown(sensitivity_document(record))
    with language("zh"):
        chinese = render_markdown(sensitivity_document(record.named_in("zh")))
    for name in ("audit rate", "normalisation"):
        assert name in english and name not in chinese, name
    assert "| 抽查概率 | rule.audit.probability | 均匀分布（uniform） [0, 0.4] |" in chinese
    assert "可选值：功效系数法（efficacy）、Z 分数标准化（zscore）" in chinese
    assert "choices: efficacy, zscore" in english
    assert "抽查概率：0.900 ± 0.100" in chinese  # the indices table
    short = chinese.split("## 要点", 1)[1].split("\n## ", 1)[0]
    assert "主要取决于 抽查概率" in short and "主要取决于 标准化方法" in short
    assert "Z 分数标准化（zscore）" in short  # the best choice, glossed
    assert "的 抽查概率 的 ST" in chinese  # the note, said again with the name
    box = next(b for b in chinese.split("```") if "最佳区域" in b)
    assert "抽查概率" in box
    assert list(record.samples.columns[:2]) == ["audit rate", "normalisation"]  # unchanged
    assert record.named_in("en") is record  # no names in that language: the record itself


@pytest.mark.parametrize(
    ("source", "given"),
    [
        ("scenarios/hangzhou-2011-uncertain.toml", True),
        ("hangzhou-2011-uncertain", True),  # a bundled name: no suffix, still needed to rerun
        ("uncertain", False),  # a mapping given in Python: nothing to name
        ("scenarios/hangzhou-2011.toml", False),  # the scenario's own table
    ],
)
def test_the_rerun_command_names_the_uncertain_inputs_it_needs(source, given):
    from perfsim.report.sections.sensitivity import rerun_args

    meta = {"scenario": "scenarios/hangzhou-2011.toml", "method": "morris", "n": 4, "reps": 2,
            "seed": 0, "uncertain_source": source}  # fmt: skip
    args = rerun_args(meta, None)
    assert ("--uncertain" in args) == given
    if given:
        assert args[args.index("--uncertain") + 1] == source


def test_a_metric_counted_over_the_graded_units_is_said_with_its_caveat():
    """bottom_missed "improves" under a rule that fails most units (z-scores under score lines in
    points): its In-short sentence says that it moves with how many units get the grade; a
    metric of every unit (Kendall τ) has no such caveat."""
    record = _record(-0.1)
    record.samples["bottom_missed"] = np.where(record.samples["normalisation"] == "zscore", 0, 0.8)
    extra = pd.DataFrame(
        [
            ("bottom_missed", "normalisation", "ST", 0.9, 0.1),
            ("bottom_missed", "audit rate", "ST", 0.01, 0.01),
        ],
        columns=record.indices.columns,
    )
    record.indices = pd.concat([record.indices, extra], ignore_index=True)
    lines = _in_short(record)
    bottom = next(x for x in lines if x.startswith("bottom_missed"))
    assert "zscore gives the best bottom_missed" in bottom
    assert "It also moves when a rule gives the bottom grade to more or fewer units" in bottom
    tau = next(x for x in lines if x.startswith("kendall_tau"))
    assert "It also moves" not in tau


def test_a_morris_heatmap_is_not_described_as_a_share_of_variance():
    """The heatmap of a Morris run shows μ* over each metric's largest μ*; its caption said "the
    share of the metric's variance … the largest value possible", which is Sobol's."""
    from perfsim.i18n import language
    from perfsim.report.sections.sensitivity import figure_text

    morris = figure_text("heatmap", {"method": "morris", "main_index": "mu_star"})[1]
    sobol = figure_text("heatmap", {"method": "sobol", "main_index": "ST"})[1]
    assert "not a share of its variance" in morris and "largest value possible" not in morris
    assert "share of the metric's variance" in sobol
    with language("zh"):
        assert (
            "不是方差的比例" in figure_text("heatmap", {"method": "morris", "main_index": "mu*"})[1]
        )


def test_a_rerun_command_names_a_bundled_scenario_by_its_name_not_one_machines_path():
    """The curated optimisation's report told a reader to run
    'perfsim optimize /work/main/scenarios/hangzhou-2011.toml …', a path of the machine it was
    made on; a bundled scenario (and uncertain table) recorded by its absolute path is named."""
    from perfsim.report.sections import optimization, sensitivity
    from perfsim.scenario.bundled import BUNDLED_SCENARIOS

    here = str(BUNDLED_SCENARIOS / "hangzhou-2011.toml")
    table = str(BUNDLED_SCENARIOS / "hangzhou-2011-uncertain.toml")
    meta = {"scenario": here, "method": "morris", "n": 4, "reps": 2, "seed": 0,
            "uncertain_source": table}  # fmt: skip
    args = sensitivity.rerun_args(meta, None)
    assert (
        args[2] == "hangzhou-2011"
        and args[args.index("--uncertain") + 1] == "hangzhou-2011-uncertain"
    )
    meta = {"scenario": here, "levers": [], "objectives": [], "robustness": "worst", "budget": 8,
            "reps": 2, "final_reps": 4, "seed": 0}  # fmt: skip
    assert optimization.rerun_args(meta, None)[2] == "hangzhou-2011"
    assert optimization.rerun_args({**meta, "scenario": "my.toml"}, None)[2] == "my.toml"


def test_in_short_says_when_its_findings_rest_on_unreliable_indices():
    """The curated Sobol report's In short named drivers without qualification, while its notes
    said 26 of 33 metrics had intervals wider than the index."""
    record = _record(-0.1)
    part = render_markdown(sensitivity_document(record)).split("## In short", 1)[1]
    assert "first screening" not in part.split("\n## ", 1)[0]  # (intervals narrower: none)
    idx = record.indices
    idx.loc[(idx["metric"] == "kendall_tau") & (idx["input"] == "normalisation"), "confidence"] = (
        1.2
    )
    part = render_markdown(sensitivity_document(record)).split("## In short", 1)[1]
    assert "> 1 of these 3 findings rest on an index whose 95 % interval is wider" in part


def test_the_in_short_caveat_counts_as_the_notes_do():
    """Not a finding whose index is weak anyway ("no input drives it much"), and not an interval
    of noise around a small index (the notes flag only intervals wider than 0.05 too)."""
    record = _record(-0.1)
    idx = record.indices
    lead = (idx["metric"] == "kendall_tau") & (idx["input"] == "normalisation")
    for value, half, caveat in [(0.8, 1.2, True), (0.08, 0.09, False), (0.3, 0.04, False)]:
        idx.loc[lead, ["value", "confidence"]] = value, half
        part = render_markdown(sensitivity_document(record)).split("## In short", 1)[1]
        assert ("first screening" in part.split("\\n## ", 1)[0]) == caveat, (value, half)


def test_a_rerun_command_keeps_the_commands_set_and_world():
    """An optimisation run with ``--set world.departments=1000`` printed a rerun command without
    it (a reader following it simulated 66 units); the sensitivity analysis alike. Both now give
    back the command's ``--world`` and each ``--set`` as recorded."""
    from perfsim.report.sections import optimization, sensitivity

    given = {"overrides": ["world.departments=1000", "rule.audit.probability=0.2"],
             "world_given": "hangzhou-2011"}  # fmt: skip
    meta = {"scenario": "my.toml", "levers": [], "objectives": [], "robustness": "worst",
            "budget": 8, "reps": 2, "final_reps": 4, "seed": 0, **given}  # fmt: skip
    args = optimization.rerun_args(meta, None)
    sens = sensitivity.rerun_args({"scenario": "my.toml", "method": "morris", "n": 4, "reps": 2,
                                   "seed": 0, **given}, None)  # fmt: skip
    for cmd in (args, sens):
        joined = " ".join(cmd)
        assert "--set world.departments=1000 --set rule.audit.probability=0.2" in joined
        assert "--world hangzhou-2011" in joined


def test_an_optimisation_records_what_the_command_gave(tmp_path):
    import perfsim

    result = perfsim.optimize(
        str(ROOT / "scenarios" / "hangzhou-2011.toml"),
        levers=["rule.audit.probability=0:0.4"],
        objectives=["kendall_tau"],
        budget=8,
        reps=2,
        overrides=['world.policy="naive"', "world.departments=24"],
    )
    assert result.metadata["overrides"] == ['world.policy="naive"', "world.departments=24"]
    assert result.metadata["resolved_scenario"]["world"]["departments"] == 24
    one = perfsim.optimize(  # (one override as a string, as the API takes it elsewhere)
        str(ROOT / "scenarios" / "hangzhou-2011.toml"),
        levers=["rule.audit.probability=0:0.4"],
        objectives=["kendall_tau"],
        budget=8,
        reps=2,
        overrides='world.policy="naive"',
    )
    assert one.metadata["overrides"] == ['world.policy="naive"']
