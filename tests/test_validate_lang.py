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


@pytest.mark.parametrize(
    ("args", "english", "chinese"),
    [
        (("hangzhou-2011",), "优秀 at most 15 %, floor: 9 of 66 (13.6 %)",
         "优秀 至多 15 %，向下取整（floor）：9 个（共 66 个，13.6 %）"),
        (("hangzhou-2011", "--set", 'rule.grading.rounding="nearest"'),
         "优秀 at most 15 %, nearest: 10 of 66 (15.2 %)", "：10 个（共 66 个，15.2 %）"),
        (("hangzhou-2011", "--set", "rule.grading.quota.优秀=0.2", "--set", "world.departments=7"),
         "优秀 at most 20 %, floor: 1 of 7 (14.3 %)", "：1 个（共 7 个，14.3 %）"),
        (("mlr-2011",),
         "floor: 2 of 14 (14.3 %) in 部机关司局, 1 of 9 (11.1 %) in 督察局, 1 of 7 (14.3 %) in 直属单位",
         "：部机关司局 2 个（共 14 个，14.3 %）、督察局 1 个（共 9 个，11.1 %）、直属单位 1 个"),
    ],
)  # fmt: skip
def test_validate_says_how_many_places_a_quota_share_leaves(capsys, args, english, chinese):
    """A reform designer read "优秀 at most 20 %" and expected 20 %: in a class of 7 units the
    rule's rounding leaves 1 place, 14.3 %. validate now says the places per band (per class when
    units are graded within their class), from the world's unit counts (hand-derived here: the
    mlr world's 30 units in classes of 14, 9 and 7; ⌊0.15 n⌋, and ⌊0.15 · 66 + ½⌋ = 10)."""
    en, zh = _both(capsys, *args)
    places = [line for line in en if line.startswith("  places: ")]
    assert len(places) == 1 and english in places[0]
    said = [line for line in zh if line.startswith("  名额：")]
    assert len(said) == 1 and chinese in said[0]


def test_a_rule_without_a_world_or_a_quota_share_says_no_places(capsys):
    for args in (("hangzhou-2011", "--set", 'rule.grading.quota_count={"优秀"=3}',
                  "--set", "rule.grading.quota={}"),
                 (str(ROOT / "scenarios" / "rules" / "my-first-rule.toml"),)):  # fmt: skip
        en, _ = _both(capsys, *args)
        assert not any(line.startswith("  places: ") for line in en), en


def test_a_fragment_of_changes_is_said_to_be_one_with_how_to_check_it(capsys, tmp_path):
    """A fragment for --variant NAME:@FILE validated as a rule "with 0 indicators and one
    component at 100 %"; validate now says what it is and how to check it."""
    fragment = tmp_path / "改革.toml"
    fragment.write_text(
        '[rule.components."管理相对人和服务对象评价"]\nshare = 0.3\n\n'
        '[rule.grading.thresholds]\n"良好" = 83\n',
        encoding="utf-8",
    )
    en, zh = _both(capsys, str(fragment))
    assert en[-1] == (
        f"  note: {fragment} looks like a fragment of changed keys, not a whole rule; check it "
        f"on the rule it changes: perfsim validate SCENARIO --set @{fragment}"
    )
    assert zh[-1].startswith("  说明：") and "改动片段" in zh[-1]
    rule = str(ROOT / "scenarios" / "rules" / "my-first-rule.toml")
    for args in (("mlr-2011", "--set", f"@{fragment}"), (rule,), ("hangzhou-2011",)):
        en, _ = _both(capsys, *args)
        assert not any("fragment" in line for line in en), en


def test_the_last_bands_quota_which_is_not_enforced_gets_no_places(capsys):
    en, _ = _both(capsys, "hangzhou-2011", "--set", "rule.grading.quota.不合格=0.05")
    places = [line for line in en if line.startswith("  places: ")]
    assert len(places) == 1 and "不合格" not in places[0], places
