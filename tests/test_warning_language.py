"""``--lang zh``: the warnings a command prints are in Chinese too, with the same values.

A warning is given as a :class:`perfsim.phrases.Phrase` (its English template and values);
``str`` of it is the English line (what logs, tests and an English terminal read), and
:func:`perfsim.i18n.say` fills the translated template with the same values.

- A run that leaves part of its rule unsimulated and does not converge prints both warnings in
  Chinese under ``--lang zh``, with the numbers and names of the English lines, and the English
  lines unchanged without it.
- Every warning template, filled with arbitrary values (braces too), is said in English exactly as
  ``str`` writes it and in Chinese with every value kept.
- A sensitivity analysis's recorded note and its warning say the same thing in Chinese: the
  warning's phrase and the note read back from its English text (``notes.said_again``).
"""

from __future__ import annotations

import re

from helpers import ROOT
from hypothesis import given, settings
from hypothesis import strategies as st

from perfsim.cli import main
from perfsim.experiments.sensitivity.notes import CONVERGED, WITHIN, phrase, said_again
from perfsim.i18n import has_cjk, language, say
from perfsim.phrases import Phrase, Phrases
from perfsim.scenario import coverage, scales, worlds
from perfsim.world import convergence

NUMBER = re.compile(r"\d+(?:\.\d+)?")
TEMPLATES = [
    convergence.UNCONVERGED,
    convergence.MOVED,
    convergence.GAP,
    coverage.NOT_SIMULATED,
    coverage.PART,
    coverage.PART_SET_IN,
    scales.NOT_ONE,
    scales.MIXED,
    worlds.NEAR_EVENT,
]


def _warnings(capsys, tmp_path, name: str, *extra: str) -> list[str]:
    """The warning lines of a short Hangzhou run that stops after 2 iterations and leaves its
    bonus points and veto column unsimulated (the scenario copied to ``name``: each process warns
    once per message, so each run names its own file)."""
    scenario = tmp_path / name
    scenario.write_bytes((ROOT / "scenarios" / "hangzhou-2011.toml").read_bytes())
    overrides = ["--set", "world.max_iterations=2", "--set", "world.events={}"]
    args = ["run", str(scenario), "--reps", "3", *overrides, "--quiet"]
    assert main([*args, "--out", str(tmp_path / f"out-{name}"), *extra]) == 0
    return [line for line in capsys.readouterr().err.splitlines() if line.startswith("perfsim")]


def test_a_chinese_run_says_its_warnings_in_chinese(tmp_path, capsys):
    english = _warnings(capsys, tmp_path, "en.toml")
    chinese = _warnings(capsys, tmp_path, "zh.toml", "--lang", "zh")
    assert len(english) == len(chinese) == 2
    assert any("the best response did not converge in 3 of 3 replications" in x for x in english)
    assert any("not simulated: rule.adjustments.*" in x for x in english)
    for en, zh in zip(english, chinese, strict=True):
        assert en.startswith("perfsim run: warning: ")
        assert zh.startswith("perfsim run：警告：")
        for words in ("warning", "did not converge", "not simulated", "raise", "say why"):
            assert words not in zh
        # the same numbers and names: the file, the counts, the residual, the rule's keys
        assert sorted(NUMBER.findall(en.replace("en.toml", ""))) == sorted(
            NUMBER.findall(zh.replace("zh.toml", ""))
        )
    assert any("次最优反应未收敛" in x and "world.max_iterations = 2" in x for x in chinese)
    assert any("未模拟：rule.adjustments.*" in x and "rule.veto.columns" in x for x in chinese)


VALUE = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(TEMPLATES), st.data())
def test_every_warning_says_its_values_in_either_language(template, data):
    fields = sorted(set(re.findall(r"\{(\w+)\}", template)))
    values = {f: data.draw(VALUE) for f in fields}
    said = Phrase(template, values)
    assert say(said) == str(said) == template.format(**values)
    marked = {f: f"<{i}>" for i, f in enumerate(fields)}  # (distinct, no Chinese, no braces)
    with language("zh"):
        chinese = say(Phrase(template, marked))
    assert has_cjk(chinese) and chinese != template.format(**marked)
    for token in marked.values():
        assert token in chinese


def test_a_phrase_inside_a_phrase_and_a_list_are_said_again():
    item = Phrase(coverage.PART, {"path": "rule.veto.columns", "what": Phrase("{not a field}")})
    listed = Phrases((item, item), coverage.N_("; "))
    assert str(listed) == "rule.veto.columns: {not a field}; rule.veto.columns: {not a field}"
    with language("zh"):
        assert say(listed) == "rule.veto.columns：{not a field}；rule.veto.columns：{not a field}"


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 500),
    st.integers(1, 500),
    st.lists(st.sampled_from(["normalisation", "audit rate", "x{1}", "渠道"]), max_size=3),
    st.sampled_from(["low", "high", "choice"]),
)
def test_a_sensitivity_warning_says_what_its_recorded_note_says(bad, samples, inputs, kind):
    what = Phrase(CONVERGED if bad % 2 else WITHIN)
    shares = {"worse": f"{bad % 100}%", "what": what, "better": f"{samples % 100}%"}
    extra = {"value": Phrase("zscore")} if kind == "choice" else {}
    hints = [phrase(f"hint_{kind}", input=Phrase(name), **extra, **shares) for name in inputs]
    values = {"bad": bad, "samples": samples, "share": "97.5%"}
    if hints:
        said = phrase("unsettled_where", where=Phrases(tuple(hints)), **values)
    else:
        said = phrase("unsettled", **values)
    with language("zh"):
        assert say(said) == said_again(str(said))
