"""perfsim validate --lang zh says what it checked in Chinese (a rule, a world, a share that is
rescaled), with the same numbers and names as the English lines, line for line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from perfsim.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _both(capsys, *args: str) -> tuple[list[str], list[str]]:
    said = []
    for lang in ("en", "zh"):
        assert main(["validate", *args, "--lang", lang]) == 0
        said.append(capsys.readouterr().out.splitlines())
    return said[0], said[1]


def _numbers(line: str) -> list[str]:
    return re.findall(r"\d+(?:\.\d+)?", line)


@pytest.mark.parametrize(
    "args",
    [
        ("hangzhou-2011",),
        (str(ROOT / "scenarios" / "rules" / "my-first-rule.toml"),),
        (str(ROOT / "scenarios" / "rules" / "my-first-rule.toml"), "--world", "hangzhou-2011"),
    ],
)
def test_validate_says_the_same_in_chinese(capsys, args):
    en, zh = _both(capsys, *args)
    assert len(en) == len(zh) >= 4
    for e, z in zip(en, zh, strict=True):
        assert _numbers(e) == _numbers(z)
    assert zh[0].endswith("：有效") and zh[1].startswith("  规则：")
    assert any(line.startswith("  等次：") for line in zh)
    assert any("模拟世界" in line for line in zh)
    assert not any(w in " ".join(zh) for w in ("valid", "rule:", "grades:", "world:"))


def test_a_rescaled_share_is_flagged_in_chinese(capsys, tmp_path):
    text = (ROOT / "scenarios" / "hangzhou-2011.toml").read_text(encoding="utf-8")
    lines = text.splitlines()
    lines[lines.index("share = 0.50")] = "share = 0.60"  # 0.60 + 0.45 + 0.05
    path = tmp_path / "s.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    en, zh = _both(capsys, str(path))
    check_en = next(line for line in en if line.startswith("  check: "))
    check_zh = next(line for line in zh if line.startswith("  请检查："))
    assert _numbers(check_en) == _numbers(check_zh)
    assert "社会评价 55%" in " ".join(zh)  # the share it counts for


def test_a_world_file_is_described_in_chinese(capsys, tmp_path):
    world = tmp_path / "w.toml"
    assert main(["new", "world", str(world)]) == 0
    capsys.readouterr()
    en, zh = _both(capsys, str(world))
    assert [_numbers(x) for x in en] == [_numbers(x) for x in zh]
    assert "有效的模拟世界" in zh[0] and "个单位" in zh[0]


@pytest.mark.parametrize(
    ("written", "shown"), [("12%", "12 %"), ("0.125", "12.5 %"), ("３０％", "30 %")]
)
def test_validate_shows_each_grades_quota_and_threshold_as_it_was_read(capsys, written, shown):
    args = ("hangzhou-2011", "--set", f"rule.grading.quota.优秀={written}",
            "--set", "rule.grading.thresholds.良好=88.5")  # fmt: skip
    en, zh = _both(capsys, *args)
    grades = next(line for line in en if line.startswith("  grades: "))
    assert grades == (
        f"  grades: 优秀 (at most {shown}) > 良好 (from 88.5 points) > 合格 (from 82 points) > 不合格"
    )
    said = next(line for line in zh if line.startswith("  等次："))
    assert f"优秀（比例至多 {shown}）" in said and "良好（88.5 分及以上）" in said


def test_a_quota_of_one_unit_is_said_in_the_singular(capsys):
    en, zh = _both(capsys, "hangzhou-2011", "--set", 'rule.grading.quota_count={"合格"=1}')
    assert any("合格 (at most 1 unit, from 82 points)" in line for line in en)
    assert any("合格（至多 1 个单位、82 分及以上）" in line for line in zh)


def test_validate_says_the_ranking_scope_the_normalisation_and_the_spot_checks():
    """A reform that ranks within class and raises the audit rate could not be confirmed with
    validate (it printed neither): both are said, in either language."""
    from helpers import run_cli

    sets = ["--set", "rule.grading.scope=within_class", "--set", "rule.audit.probability=0.3"]
    english = run_cli("validate", "hangzhou-2011", *sets)
    assert (
        "ranked: within_class; normalised: efficacy; spot checks of 30% of units" in english.stdout
    )
    chinese = run_cli("validate", "hangzhou-2011", *sets, "--lang", "zh")
    assert (
        "排序范围：分类内（within_class）；指标计分：功效系数法（efficacy）；抽查 30% 的单位"
        in chinese.stdout
    )
    none = run_cli("validate", "hangzhou-2011", "--set", "rule.audit.probability=0")
    assert "; no spot checks" in none.stdout
