"""The helpers of notebook 02 and its Chinese version (perfsim.experiments.teaching): every label
they draw is in the language asked for, English unchanged, and an unknown language is a clear
error."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from helpers import ROOT

from perfsim.experiments.teaching import Teaching
from perfsim.scenario import PerfsimError

GOODHART = ("goodhart", "rule.weights.上报数据=0.5")
NAMES_ZH = {"core": "核心业务", "paperwork": "材料填报"}
# three English words in a row: what a label left in English looks like
ENGLISH = re.compile(r"[A-Za-z][a-z]+(?:[ \-][A-Za-z][a-z]+){2,}")


def drawn_texts(fig) -> dict[str, list[str]]:
    """The titles, axis labels and tick labels of a drawn figure, per kind."""
    fig.draw_without_rendering()  # tick labels of categorical axes exist once drawn
    axes = fig.axes
    return {
        "suptitle": [fig.get_suptitle()],
        "titles": [ax.get_title() for ax in axes],
        "xlabels": [ax.get_xlabel() for ax in axes],
        "ylabels": [ax.get_ylabel() for ax in axes],
        "xticks": [t.get_text() for t in axes[0].get_xticklabels()],
        "yticks": [t.get_text() for t in axes[2].get_yticklabels()],
    }


@pytest.fixture(scope="module")
def texts() -> dict[str, dict[str, list[str]]]:
    out = {}
    for lang in ("en", "zh"):
        teaching = Teaching(ROOT, reps=2, lang=lang, names=NAMES_ZH if lang == "zh" else None)
        fig, _result = teaching.panels(*GOODHART)
        out[lang] = drawn_texts(fig)
    return out


def test_english_labels_are_unchanged(texts):
    en = texts["en"]
    assert en["suptitle"] == ["goodhart: rule.weights.上报数据=0.5"]
    assert en["titles"][:2] == ["effort and gaming", "measured vs true value (one year)"]
    assert re.fullmatch(r"one class: no class bias · inflation \d+\.\d\d", en["titles"][2])
    assert en["xlabels"][1] == "true value delivered"
    assert en["ylabels"][:2] == ["per department (task units)", "total score"]
    assert en["xticks"] == ["effort\ncore", "effort\npaperwork", "gaming\n上报数据"]
    assert en["yticks"] == ["kendall_tau", "gaming_share"]


def test_chinese_labels_are_chinese(texts):
    zh = texts["zh"]
    assert zh["titles"][:2] == ["实际努力与指标操纵", "考评得分与真实价值（一年）"]
    assert re.fullmatch(r"只有一类单位，无类别偏差 · 指标虚高 \d+\.\d\d", zh["titles"][2])
    assert zh["xlabels"][1] == "实际创造的真实价值"
    assert zh["ylabels"][:2] == ["部门平均（任务单位）", "总分"]
    assert zh["xticks"] == ["实际努力\n核心业务", "实际努力\n材料填报", "指标操纵\n上报数据"]
    assert zh["yticks"] == ["排名保真度（Kendall τ）", "指标操纵占投入比例"]
    every = [t for kind in zh.values() for t in kind]
    assert [t for t in every if ENGLISH.search(t)] == []


def test_class_bias_title_in_both_languages():
    for lang, said in (("en", r"class bias -?\d+\.\d pts"), ("zh", r"类别偏差 -?\d+\.\d 分")):
        teaching = Teaching(ROOT, reps=2, lang=lang)
        fig, _result = teaching.panels("visibility")
        assert re.match(said, fig.axes[2].get_title())
        assert fig.get_suptitle() == (
            "visibility: as written" if lang == "en" else "visibility: 情景原样"
        )


def test_tables_keep_their_keys_and_are_translated_for_showing():
    table = pd.DataFrame(
        {"with": [1.0], "without": [0.5], "kendall_tau": [0.9]},
        index=pd.Index(["1很弱"], name="class"),
    )
    en, zh = Teaching(ROOT, lang="en"), Teaching(ROOT, lang="zh")
    assert en.translated(table).equals(table)
    shown = zh.translated(table)
    assert list(shown.columns) == ["有激励", "无激励", "排名保真度（Kendall τ）"]
    assert shown.index.name == "类别" and list(shown.index) == ["1很弱"]
    assert list(table.columns) == ["with", "without", "kendall_tau"]  # the keys are untouched
    assert zh.label("effective_weight:目标考核").endswith("的实际权重")
    assert zh.label("not_a_metric") == "not_a_metric"


def test_an_unknown_language_is_a_clear_error():
    with pytest.raises(PerfsimError, match=r"'fr' is not available; choose one of en, zh"):
        Teaching(ROOT, lang="fr")
