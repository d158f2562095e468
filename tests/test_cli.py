"""The command line, run as a user runs it (subprocess) and in-process for the error corpus."""

from __future__ import annotations

import functools
import os
import time
from pathlib import Path

import pandas as pd
import pytest
from helpers import ROOT, run_cli

from perfsim.cli import COMMANDS, main

BAD = sorted((ROOT / "tests" / "bad_scenarios").glob("*.toml"))


def test_validate_ok_exits_0(minimal_file):
    r = run_cli("validate", str(minimal_file))
    assert r.returncode == 0, r.stderr
    assert "valid" in r.stdout and "社会评价 50%" in r.stdout


def test_validate_bad_exits_2_without_traceback(minimal_file):
    r = run_cli("validate", str(minimal_file), "--set", "rule.grading.quota.优秀=1.5")
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert (
        f"{minimal_file} (with --set rule.grading.quota.优秀=1.5): rule.grading.quota.优秀 = 1.5"
        in r.stderr
    )


@pytest.mark.parametrize(
    ("lang", "unrecognized", "said"),
    [
        ("en", "unrecognized arguments: --lang en", "; --lang belongs to perfsim run, compare,"),
        ("zh", "无法识别的参数：--lang zh", "；--lang 属于 perfsim run、compare、"),  # as typed
    ],
)
def test_an_option_given_to_the_wrong_command_says_where_it_belongs(
    capsys, tmp_path, lang, unrecognized, said
):
    with pytest.raises(SystemExit) as exc:
        main(["verify", "--lang", lang, "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and unrecognized in err
    assert said in err
    assert "Traceback" not in err
    assert "perfsim report FOLDER --lang zh" in err or "perfsim report 结果文件夹 --lang zh" in err
    assert not (tmp_path / "x").exists()
    with pytest.raises(SystemExit):
        main(["run", "hangzhou-2011", "--bogus"])
    err = capsys.readouterr().err
    assert "belongs" not in err and "did you mean" not in err  # no hint for what has no home
    assert err.splitlines()[0].startswith("usage: perfsim run ")  # the command's usage


@pytest.mark.parametrize(
    ("args", "near"),
    [(["run", "hangzhou-2011", "--sed", "2"], "--seed"), (["compare", "a", "--varient", "x"],
     "--variant"), (["run", "hangzhou-2011", "--quite"], "--quiet")],
)  # fmt: skip
def test_a_misspelt_option_gets_the_nearest_and_the_command_in_its_language(capsys, args, near):
    with pytest.raises(SystemExit) as exc:
        main(args)
    err = capsys.readouterr().err.splitlines()[-1]
    assert exc.value.code == 2
    assert err.startswith(f"perfsim {args[0]}: error: unrecognized arguments: {args[2]}")
    assert f"(did you mean {near}?); perfsim {args[0]} --help lists its options" in err
    with pytest.raises(SystemExit):
        main([*args, "--lang", "zh"])
    said = capsys.readouterr().err.splitlines()[-1]
    assert said.startswith(f"perfsim {args[0]}：错误：无法识别的参数：{args[2]}")
    assert f"（是否想写 {near}？）；perfsim {args[0]} --help 列出这个命令的全部选项" in said


def test_the_readme_data_files_are_found_outside_a_checkout(tmp_path):
    """`perfsim score scenarios/data/…` as the README writes it, from a folder that has no
    scenarios/: the bundled data file, as the bundled rule beside it (it said "file not found")."""
    out = tmp_path / "scored.csv"
    r = run_cli(
        "score",
        "scenarios/data/hangzhou-2011-units.csv",
        "--rule",
        "scenarios/hangzhou-2011.toml",
        "--out",
        str(out),
        "--quiet",
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    assert len(pd.read_csv(out)) == len(
        pd.read_csv(ROOT / "scenarios/data/hangzhou-2011-units.csv")
    )
    r = run_cli("score", "scenarios/data/nope.csv", "--rule", "hangzhou-2011", cwd=tmp_path)
    assert r.returncode == 2 and "nope.csv" in r.stderr and "Traceback" not in r.stderr


def test_missing_file_exits_2(tmp_path):
    r = run_cli("validate", str(tmp_path / "nope.toml"))
    assert r.returncode == 2 and "file not found" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize(
    "typed, meant",
    [
        ("hangzhou2011", "hangzhou-2011"),
        ("mlr-2011.tom", "mlr-2011"),
        ("scenarios/teaching/goodhard.toml", "teaching/goodhart"),
        ("nope.toml", None),
    ],
)
def test_a_missing_scenario_names_the_nearest_bundled_one(tmp_path, typed, meant):
    from perfsim.scenario import ScenarioError, load_scenario

    with pytest.raises(ScenarioError) as err:
        load_scenario(tmp_path / typed if typed == "nope.toml" else typed)
    text = str(err.value)
    assert "file not found" in text and "perfsim scenarios" in text
    assert (f"did you mean the bundled scenario {meant!r}" in text) == (meant is not None)
    assert meant is not None or "did you mean" not in text


def test_score_writes_the_table_atomically(minimal_file, tmp_path):
    data = tmp_path / "units.csv"
    pd.DataFrame(
        {
            "department": ["a", "b", "c", "d"],
            "class": ["A", "B", "A", "B"],
            "职责履行": [80, 90, 70, 60],
            "公共服务": [3, 2, 5, 4],
            "社会评价": [40, 42, 38, 41],
            "领导考评": [90, 80, 85, 95],
        }
    ).to_csv(data, index=False)
    out = tmp_path / "sub" / "ranked.csv"
    r = run_cli("score", str(data), "--rule", str(minimal_file), "--out", str(out))
    assert r.returncode == 0, r.stderr
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert list(table.columns[:2]) == ["department", "class"]
    assert {"total", "rank", "grade", "bonus"} <= set(table.columns)
    assert "4 departments scored" in r.stdout
    # no temporary left behind; beside the table, perfsim's record of what it wrote (for --force)
    assert sorted(p.name for p in out.parent.iterdir()) == [
        ".ranked.csv.perfsim.json",
        "ranked.csv",
    ]


def test_score_bad_data_exits_2_and_writes_nothing(minimal_file, tmp_path):
    data = tmp_path / "units.csv"
    data.write_text("department,职责履行\na,1\n", encoding="utf-8")
    out = tmp_path / "ranked.csv"
    r = run_cli("score", str(data), "--rule", str(minimal_file), "--out", str(out))
    assert r.returncode == 2 and "missing column" in r.stderr and "Traceback" not in r.stderr
    assert not out.exists()


@pytest.mark.parametrize("command", ["validate", "score", "scenarios"])
def test_help_shows_examples(command, capsys):
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    assert "examples:" in capsys.readouterr().out


@pytest.mark.parametrize("command", list(COMMANDS))
def test_help_examples_continue_lines_as_a_shell_reads_them(command, capsys):
    """An example split over lines ends each with a backslash and indents the next (no runs of
    spaces where a backslash-newline inside the help text was swallowed)."""
    with pytest.raises(SystemExit):
        main([command, "--help"])
    examples = capsys.readouterr().out.split("examples:")[-1]
    for line in examples.splitlines():
        assert "    --" not in line.strip(), line  # an option after a run of spaces: swallowed


def test_bad_scenario_corpus_is_large_enough():
    assert len(BAD) >= 20


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_every_bad_scenario_gets_a_located_error_and_exit_2(path: Path, capsys):
    first = path.read_bytes().split(b"\n", 1)[0].decode("utf-8", errors="replace")
    assert first.startswith("# expect: "), f"{path.name} must start with '# expect: ...'"
    expected = first[len("# expect: ") :].strip()
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err
    assert expected in err
    assert "Traceback" not in err


def test_the_command_ends_at_once_after_ctrl_c_and_exits_with_its_code(monkeypatch, request):
    """``perfsim`` (``cli.run``) leaves by ``os._exit(130)`` after an interrupt, so the
    interpreter's exit cannot hang joining a worker pool's thread; other codes go to sys.exit."""
    import signal

    import perfsim.cli as cli

    # run() makes SIGTERM and SIGHUP stop the command: this process gets its own handlers back
    for number in (signal.SIGTERM, signal.SIGHUP):
        request.addfinalizer(functools.partial(signal.signal, number, signal.getsignal(number)))

    exits = []
    monkeypatch.setattr(cli.os, "_exit", lambda code: exits.append(("os", code)))
    monkeypatch.setattr(cli, "main", lambda: 130)
    cli.run()
    assert exits == [("os", 130)]
    monkeypatch.setattr(cli, "main", lambda: 2)
    with pytest.raises(SystemExit) as stop:
        cli.run()
    assert stop.value.code == 2 and exits == [("os", 130)]

    def terminated_while_parsing():  # (SIGTERM before the command's own handling began)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(1)  # (the handler raises here)
        return 0

    monkeypatch.setattr(cli, "main", terminated_while_parsing)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # (as at a command's start: run() takes it)
    cli.run()  # as a shell reports a process SIGTERM ended: 143 (it was 130 from the launcher)
    assert exits[-1] == ("os", 128 + signal.SIGTERM)


@pytest.mark.parametrize(
    ("social", "said"),
    [
        ("1.5", "If you meant 0.15, write that"),
        ("50", None),
        ("0.50", None),
        ("0.60", "fractions that sum to 1.1, not 1"),
        ("40", "if you meant 40 %, write 0.4"),
    ],
    ids=["slip", "points", "fractions", "fractions-off-1", "percent"],
)
def test_validate_flags_a_share_above_1_among_fractions(tmp_path, capsys, social, said):
    """Shares are rescaled, so 50/45/5 and 0.5/0.45/0.05 are both fine; 1.5 among fractions is
    flagged (still valid, exit 0) with what it counts for; 40 among fractions is an error (exit 2),
    as the same share given with --set is."""
    text = (ROOT / "scenarios" / "hangzhou-2011.toml").read_text(encoding="utf-8")
    lines = text.splitlines()
    at = lines.index("share = 0.50")  # the social evaluation's share
    lines[at] = f"share = {social}"
    if social == "50":  # points throughout
        lines[lines.index("share = 0.45")] = "share = 45"
        lines[lines.index("share = 0.05")] = "share = 5"
    path = tmp_path / "s.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    if social == "40":
        assert main(["validate", str(path)]) == 2
        err = capsys.readouterr().err
        assert f"{path}: rule.components.社会评价.share = 40" in err and said in err
        assert "would count 99%" in err and "Traceback" not in err
        return
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    if said and social == "0.60":  # 0.60 + 0.45 + 0.05: rescaled, and said so
        assert "check: rule.components.*.share are " + said in out
        assert "社会评价 54.5%" in out
    elif said:
        assert "check: rule.components.*.share mixes fractions with 社会评价 = 1.5" in out
        assert "社会评价 counts 75%" in out and said in out
    else:
        assert "check:" not in out


def test_validate_checks_the_uncertain_table(tmp_path):
    """As perfsim sensitivity would before its run: a range reaching a value the scenario refuses
    is exit 2 naming the key, the range and the value (and nothing says "valid")."""
    demo = run_cli("validate", str(ROOT / "scenarios" / "teaching" / "sensitivity-demo.toml"))
    assert demo.returncode == 0 and "each valid across its range" in demo.stdout
    text = (ROOT / "scenarios" / "hangzhou-2011.toml").read_text(encoding="utf-8")
    path = tmp_path / "u.toml"
    extra = '\n[uncertain."rule.components.社会评价.share"]\nrange = [0.1, 1.5]\n'
    path.write_text(text + extra, encoding="utf-8")
    bad = run_cli("validate", str(path))
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "uncertain.rule.components.社会评价.share = [0.1, 1.5]" in bad.stderr
    assert "the value 1.5 is not allowed" in bad.stderr
    assert "valid" not in bad.stdout


def test_perfsims_warnings_are_one_line_like_its_errors(tmp_path, capsys):
    import pandas as pd

    from perfsim.cli import main

    table = pd.read_csv(ROOT / "scenarios/data/hangzhou-2011-units.csv")
    table.loc[3, "职能工作目标"] = -5
    table.to_csv(tmp_path / "t.csv", index=False)
    assert main(["score", str(tmp_path / "t.csv"), "--rule", "hangzhou-2011", "--quiet"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("perfsim score: warning: ")
    assert "line 5 (-5)" in err[0] and "SuspectValueWarning" not in err[0]


def test_lang_before_the_command_is_told_where_it_goes(capsys):
    for args in (["--lang", "zh", "run", "hangzhou-2011"], ["--lang=zh", "--help"]):
        assert main(args) == 2
        err = capsys.readouterr().err
        assert "--lang goes after the command" in err and "--lang 写在命令之后" in err
        assert "invalid choice" not in err


def test_scenarios_lists_each_scenario_by_its_name_in_the_language_asked(capsys):
    from perfsim.scenario import read_toml
    from perfsim.scenario.bundled import BUNDLED_SCENARIOS

    assert main(["scenarios"]) == 0
    english = capsys.readouterr().out.splitlines()
    assert main(["scenarios", "--lang", "zh"]) == 0
    chinese = capsys.readouterr().out.splitlines()

    def names(lines):  # the scenarios' names (before the blank line and the folder's)
        return [line.split()[0] for line in lines[:-2]]

    assert names(english) == names(chinese) and len(names(english)) > 20
    raw = read_toml(BUNDLED_SCENARIOS / "teaching" / "goodhart.toml")
    zh_name = raw["meta"]["translations"]["zh"]["name"]
    assert any(line.startswith("teaching/goodhart ") and line.endswith(zh_name) for line in chinese)
    assert any(line.endswith(raw["meta"]["name"]) for line in english)
    assert chinese[-1].startswith("（位于 ")


def test_perfsim_help_says_in_chinese_where_the_chinese_output_is(capsys):
    import re

    from perfsim.cli import ZH_HELP
    from perfsim.cli.common import width

    with pytest.raises(SystemExit):
        main(["--help"])
    said = capsys.readouterr().out
    assert ZH_HELP in said and "--lang zh" in said.split("中文：", 1)[1]
    columns = set()
    for line in ZH_HELP.splitlines()[1:]:  # the explanations line up on screen
        command, gap = re.match(r"(.*?\S)(\s{2,})\S", line).groups()
        columns.add(width(command) + len(gap))
    assert len(columns) == 1


def test_ctrl_c_inside_a_compiled_loop_stops_like_ctrl_c(monkeypatch, capsys):
    """Ctrl-C while numba loads a compiled loop surfaces as a SystemError whose context is the
    KeyboardInterrupt: the command says 'interrupted' and exits 130, without a traceback; a
    SystemError of another cause is not hidden."""

    def interrupted_in_numba(args):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise SystemError(  # noqa: B904 (as numba raises it: the interrupt its context)
                "CPUDispatcher(<function newton>) returned a result with an exception set"
            )

    monkeypatch.setattr(COMMANDS["verify"], "handle", interrupted_in_numba)
    assert main(["verify"]) == 130
    assert capsys.readouterr().err.strip() == "perfsim: interrupted"
    monkeypatch.setattr(COMMANDS["validate"], "handle", interrupted_in_numba)
    assert main(["validate", "x.toml", "--lang", "zh"]) == 130
    assert capsys.readouterr().err.strip() == "perfsim：已中断"

    def broken(args):
        raise SystemError("something else")

    monkeypatch.setattr(COMMANDS["verify"], "handle", broken)
    with pytest.raises(SystemError, match="something else"):
        main(["verify"])


@pytest.mark.parametrize(
    "args",
    [["run", "hangzhou-2011", "--out", ""], ["compare", "hangzhou-2011", "--out", " "],
     ["verify", "--only", ""]],
)  # fmt: skip
def test_an_empty_out_or_only_is_an_error_not_the_default(tmp_path, capsys, monkeypatch, args):
    """--out "" wrote to the default folder (results/…) as if no --out were given."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2
    assert f"argument {args[-2]}: empty; give a name" in capsys.readouterr().err
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", ["社会评价: out of 50 in the table, shown on 0–100", "领导考评: out of 5 in",
                "mixed: the components' weighted sum"]),
        ("zh", ["社会评价：原表满分 50，此处折算为百分制", "领导考评：原表满分 5",
                "各部分加权得分：各组成部分的加权和"]),
    ],
)  # fmt: skip
def test_score_says_which_columns_it_rescaled_and_what_its_own_columns_are(lang, said, capsys):
    """The Hangzhou table gives 社会评价 out of 50 and 领导考评 out of 5; the printed table shows
    them on 0–100 (85.22 for 市财政局's 42.61) beside perfsim's own columns: said under it."""
    data = ROOT / "scenarios/data/hangzhou-2011-units.csv"
    assert main(["score", str(data), "--rule", "hangzhou-2011", "--lang", lang]) == 0
    out = " ".join(capsys.readouterr().out.split())  # (wrapped to the terminal)
    for text in said:
        assert " ".join(text.split()) in out, out[-600:]
    assert "目标考核: out of" not in out and "目标考核：原表满分" not in out  # (out of 100)


def test_score_says_the_score_of_the_parts_is_a_borda_score_under_a_borda_rule(capsys):
    data = ROOT / "scenarios/data/hangzhou-2011-units.csv"
    sets = ["--set", 'rule.aggregate.components="borda"', "--set", 'world.policy="naive"']
    assert main(["score", str(data), "--rule", "hangzhou-2011", *sets]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "mixed: the components' Borda score" in out and "weighted sum" not in out
