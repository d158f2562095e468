"""Every number of a scenario is finite and within the range that keeps the model finite.

The corpus: every numeric key of the bundled Hangzhou scenario set to ``nan``, ``inf`` and ``-inf``
through ``--set`` (495 cases), plus scenario files with non-finite literals. Each must exit 2 with
an error naming the file and the key, never a traceback, and never reach a simulation.
"""

from __future__ import annotations

import pytest
from helpers import ROOT

from perfsim.cli import main
from perfsim.scenario import load_scenario, scenario_raw

HANGZHOU = ROOT / "scenarios" / "hangzhou-2011.toml"


def _numeric_keys(node, path=""):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _numeric_keys(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, int | float) and not isinstance(node, bool):
        yield path


KEYS = [k for k in _numeric_keys(scenario_raw(load_scenario(HANGZHOU))) if not k.startswith("meta")]


def test_the_corpus_is_large():
    assert len(KEYS) >= 100


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
@pytest.mark.parametrize("key", KEYS)
def test_non_finite_override_is_refused_naming_the_key(key, value, capsys):
    assert main(["validate", str(HANGZHOU), "--set", f"{key}={value}"]) == 2
    err = capsys.readouterr().err
    assert str(HANGZHOU) in err
    assert key.rsplit(".", 1)[-1] in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("rule.pay.per_point = nan", "per_point"),
        ("rule.weights.职能工作目标 = nan", "职能工作目标"),
        ("world.classes.社会服务类.ability_mean = inf", "ability_mean"),
        ("rule.components.社会评价.share = -inf", "share"),
    ],
)
def test_non_finite_literals_in_a_fragment_file(tmp_path, text, key, capsys):
    dotted, _, value = text.partition(" = ")
    parts = [f'"{p}"' for p in dotted.split(".")]
    fragment = tmp_path / "fragment.toml"  # TOML itself allows nan and inf literals
    fragment.write_text(f"[{'.'.join(parts[:-1])}]\n{parts[-1]} = {value}\n", encoding="utf-8")
    assert main(["validate", str(HANGZHOU), "--set", f"@{fragment}"]) == 2
    err = capsys.readouterr().err
    assert str(HANGZHOU) in err and key in err and "Traceback" not in err
