"""Output folders are never destroyed: perfsim replaces only its own folders, whole or not at all."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pandas as pd
import pytest
from helpers import ROOT

from perfsim.cli import main
from perfsim.csvsafe import spreadsheet_safe
from perfsim.io import MANIFEST, atomic_dir, folder_kind

V1 = str(ROOT / "scenarios" / "theory" / "v1-multitask-linear.toml")
DEMO = str(ROOT / "scenarios" / "teaching" / "sensitivity-demo.toml")


def _run(out: Path, *extra: str) -> int:
    return main(["run", V1, "--reps", "4", "--out", str(out), "--quiet", *extra])


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_out_on_a_folder_with_an_unrelated_file_exits_2_and_keeps_it(tmp_path, capsys):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "budget.xlsx").write_bytes(b"precious")
    for command in (
        ["run", V1, "--reps", "4"],
        ["compare", V1, "--variant", "b:rule.pay.per_point=0.5", "--reps", "4"],
    ):
        assert main([*command, "--out", str(mine), "--quiet", "--force"]) == 2
        assert "was not written by perfsim" in capsys.readouterr().err
    assert (mine / "budget.xlsx").read_bytes() == b"precious"
    assert sorted(p.name for p in mine.iterdir()) == ["budget.xlsx"]  # nothing left beside it


def test_out_dot_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("keep")
    assert _run(Path(".")) == 2
    assert (tmp_path / "notes.txt").read_text() == "keep"
    assert "Traceback" not in capsys.readouterr().err


def test_rerun_replaces_its_own_folder_but_not_files_added_to_it(tmp_path, capsys):
    out = tmp_path / "run"
    assert _run(out) == 0
    assert folder_kind(out) == "run"
    manifest = json.loads((out / MANIFEST).read_text())
    assert {"metrics.csv", "departments.csv", "metadata.json"} <= set(manifest["files"])
    first = (out / "metadata.json").read_text()
    time.sleep(1.1)  # metadata records the start time to the second
    assert _run(out) == 0
    assert (out / "metadata.json").read_text() != first  # replaced
    (out / "notes.txt").write_text("mine")
    assert _run(out) == 2
    assert "notes.txt" in capsys.readouterr().err
    assert (out / "notes.txt").read_text() == "mine"
    # report files are perfsim's, so a folder with a report is still replaceable
    (out / "notes.txt").unlink()
    assert main(["report", str(out), "--quiet"]) == 0
    assert _run(out) == 0


def test_another_kind_needs_force(tmp_path, capsys):
    out = tmp_path / "run"
    assert _run(out) == 0
    cmp = ["compare", V1, "--variant", "b:rule.pay.per_point=0.5", "--reps", "4", "--quiet"]
    assert main([*cmp, "--out", str(out)]) == 2
    assert "not one of kind 'comparison'" in capsys.readouterr().err
    assert main([*cmp, "--out", str(out), "--lang", "zh"]) == 2  # (it was English)
    assert "不是 规则比较 类的；请换一个 --out，或者加 --force" in capsys.readouterr().err
    assert folder_kind(out) == "run"
    assert main([*cmp, "--out", str(out), "--force"]) == 0
    assert folder_kind(out) == "comparison"


def test_a_folder_without_file_list_is_never_replaced_even_with_force(tmp_path, capsys):
    """A copy of a run made with ``cp run/* mine/`` keeps metadata.json but not the hidden file
    list, so it looks like a folder of an older perfsim: --force replaced it whole, with the
    user's analysis.txt in it (an independent check found this). Now no folder without the list
    is replaced, and nothing in it is touched."""
    out = tmp_path / "run"
    assert _run(out) == 0
    (out / MANIFEST).unlink()  # as written by perfsim before the file list existed, or copied
    (out / "analysis.txt").write_text("my analysis", encoding="utf-8")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert folder_kind(out) == "run"  # still recognised by its metadata.json
    for extra in ([], ["--force"]):
        assert _run(out, *extra) == 2
        assert "has no file list (.perfsim.json)" in capsys.readouterr().err
        assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_report_into_a_folder_without_file_list_never_overwrites_one(tmp_path, capsys):
    out = tmp_path / "run"
    assert _run(out) == 0
    (out / MANIFEST).unlink()
    assert main(["report", str(out), "--quiet"]) == 0  # no report there yet: nothing to lose
    # its own report and figures, unchanged, are rewritten (they were refused as the user's)
    assert main(["report", str(out), "--quiet"]) == 0
    assert not (out / ".perfsim.json").read_text(encoding="utf-8").count('"files"')  # no list
    notes = out / "report.md"
    notes.write_text("# my notes", encoding="utf-8")
    assert main(["report", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "has no file list" in err and "cannot tell whether report.md are yours" in err
    assert notes.read_text(encoding="utf-8") == "# my notes"
    assert _run(out, "--force") == 2  # and the folder is still never replaced


def test_a_link_or_an_empty_folder_put_into_a_run_folder_stops_a_rerun(tmp_path, capsys):
    """A rerun deleted a link to a folder (or a broken link) the user had put there; perfsim
    writes no link. It also deleted empty folders the user made there (``mkdir -p c/sub/deeper``),
    though the README says a folder you added folders to is refused. perfsim leaves empty figure
    folders itself (figures the user deleted): those do not stop a rerun."""
    out = tmp_path / "run"
    assert _run(out) == 0
    for name, make in [
        ("link", lambda p: p.symlink_to(tmp_path)),
        ("broken", lambda p: p.symlink_to(tmp_path / "nowhere")),
    ]:
        make(out / name)
        assert _run(out) == 2 and _run(out, "--force") == 2
        assert f"({name})" in capsys.readouterr().err
        assert os.path.lexists(out / name)
        (out / name).unlink()
    (out / "sub" / "deeper").mkdir(parents=True)
    assert _run(out) == 2 and _run(out, "--force") == 2
    assert "sub/deeper" in capsys.readouterr().err and (out / "sub" / "deeper").is_dir()
    (out / "sub" / "deeper").rmdir()
    (out / "sub").rmdir()
    assert main(["report", str(out), "--quiet"]) == 0
    for figure in (out / "figures").glob("*"):  # the user deleted perfsim's figures
        figure.unlink()
    assert (out / "figures").is_dir() and _run(out) == 0


@pytest.mark.parametrize("edit", ["a grade changed", "a line added", "made by hand"])
def test_score_force_never_replaces_a_table_edited_or_made_with_the_same_columns(tmp_path, edit):
    """--force replaced any file whose header had the scored columns: one made by hand with them,
    or a scored table edited after (a grade corrected, a line added). perfsim keeps what it wrote
    (beside it, the file's SHA-256) and replaces only that."""
    data = str(ROOT / "scenarios" / "data" / "hangzhou-2011-units.csv")
    score = ["score", data, "--rule", "hangzhou-2011", "--quiet", "--force", "--out"]
    scored = tmp_path / "scored.csv"
    assert main([*score, str(scored)]) == 0
    text = scored.read_text(encoding="utf-8-sig")
    header, first, *rest = text.splitlines()
    if edit == "a grade changed":
        mine = text.replace(first, first.replace(first.split(",")[9], "不合格", 1), 1)
    elif edit == "a line added":
        mine = text + "我的备注" + "," * header.count(",") + "\n"
    else:
        (tmp_path / f".{scored.name}.perfsim.json").unlink()  # no record: not perfsim's
        mine = f"{header}\n{first}\n"
    assert mine != text
    scored.write_text(mine, encoding="utf-8-sig")
    assert main([*score, str(scored)]) == 2
    assert scored.read_text(encoding="utf-8-sig") == mine
    other = tmp_path / "other.csv"  # (perfsim's own, unchanged, is still replaced)
    assert main([*score, str(other)]) == 0 and main([*score, str(other)]) == 0


def test_out_to_a_file_and_score_out_to_a_folder(tmp_path, capsys):
    afile = tmp_path / "a.csv"
    afile.write_text("x")
    assert _run(afile) == 2
    assert "is a file" in capsys.readouterr().err
    assert afile.read_text() == "x"
    data = str(ROOT / "scenarios" / "data" / "hangzhou-2011-units.csv")
    rule = str(ROOT / "scenarios" / "hangzhou-2011.toml")
    score = ["score", data, "--rule", rule, "--quiet", "--out"]
    assert main([*score, str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
    assert main([*score, str(afile)]) == 2  # an existing file is not overwritten
    assert afile.read_text() == "x"
    assert main([*score, str(afile), "--force"]) == 2  # nor with --force: it is not perfsim's
    assert "not a file perfsim wrote" in capsys.readouterr().err and afile.read_text() == "x"
    scored = tmp_path / "scored.csv"
    assert main([*score, str(scored)]) == 0
    assert main([*score, str(scored)]) == 2  # perfsim's own: replaced only with --force
    assert main([*score, str(scored), "--force"]) == 0
    assert "department" in scored.read_text(encoding="utf-8-sig")
    mine = scored.read_text(encoding="utf-8-sig").replace("promotion_weight", "my notes", 1)
    scored.write_text(mine, encoding="utf-8-sig")  # a table of the user's made from it
    assert main([*score, str(scored), "--force"]) == 2 and "my notes" in scored.read_text("utf-8")
    under_a_file = tmp_path / "a.csv" / "run"
    assert _run(under_a_file) == 2
    assert "is a file" in capsys.readouterr().err


def test_default_folder_distinguishes_set_variants(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["run", V1, "--reps", "3", "--quiet"]) == 0
    assert main(["run", V1, "--reps", "3", "--quiet", "--set", "rule.pay.per_point=0.5"]) == 0
    assert main(["run", V1, "--reps", "3", "--quiet", "--set", "rule.pay.per_point=0.7"]) == 0
    names = sorted(p.name for p in (tmp_path / "results").iterdir() if not p.name.startswith("."))
    assert len(names) == 3 and "v1-multitask-linear-seed0" in names
    assert all(n.startswith("v1-multitask-linear") and n.endswith("-seed0") for n in names)


def test_a_locked_folder_is_refused_at_once(tmp_path, capsys):
    import fcntl

    out = tmp_path / "run"
    lock = tmp_path / ".run.perfsim-lock"
    with open(lock, "w") as handle:  # another process's lock, as the kernel sees it
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        started = time.perf_counter()
        assert _run(out) == 2
        assert time.perf_counter() - started < 5
        assert "another perfsim process is writing" in capsys.readouterr().err
        assert not out.exists()
    assert _run(out) == 0


def test_an_error_while_writing_leaves_the_old_folder(tmp_path):
    out = tmp_path / "run"
    assert _run(out) == 0
    before = _snapshot(out)
    with pytest.raises(RuntimeError), atomic_dir(out, "run") as tmp:
        (tmp / "metrics.csv").write_text("half")
        raise RuntimeError("killed")
    assert _snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no temporary left


def test_two_concurrent_runs_into_one_folder(tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "perfsim.cli", "run", V1, "--reps", "400", "--out", str(out)]
    procs = [subprocess.Popen([*cmd, "--quiet"], stderr=subprocess.PIPE, text=True) for _ in "ab"]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in results)
    # both may succeed one after the other; if they overlapped, one is refused with a clear error
    assert codes in ([0, 0], [0, 2]), results
    if codes == [0, 2]:
        assert any("another perfsim process is writing" in err for _, err in results)
    assert folder_kind(out) == "run"
    files = json.loads((out / MANIFEST).read_text())["files"]
    assert all((out / f).is_file() for f in files)


def _kill_points(command: list[str], out: Path, delays: list[float]) -> list[str]:
    """Start ``command`` repeatedly, SIGKILL it after each delay; return what the folder was."""
    states = []
    for delay in delays:
        before = _snapshot(out) if out.exists() else None
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if not out.exists():
            assert before is None
            states.append("absent")
            continue
        now = _snapshot(out)
        if now == before:
            states.append("old")
            continue
        files = json.loads(now[MANIFEST])["files"]
        assert set(files) <= set(now), f"incomplete folder after a kill at {delay:.2f} s"
        states.append("new")
    return states


@pytest.mark.parametrize("kind", ["run", "compare"])
def test_kill_9_leaves_the_old_folder_or_a_complete_new_one(tmp_path, kind):
    out = tmp_path / "out"
    base = [sys.executable, "-m", "perfsim.cli"]
    if kind == "run":
        command = [*base, "run", V1, "--reps", "300", "--out", str(out), "--quiet"]
    else:
        command = [
            *base, "compare", V1, "--variant", "b:rule.pay.per_point=0.5",
            "--reps", "150", "--out", str(out), "--quiet",
        ]  # fmt: skip
    assert subprocess.run(command, capture_output=True).returncode == 0  # the old folder
    rng = random.Random(7)
    states = _kill_points(command, out, [rng.uniform(0.3, 3.0) for _ in range(4)])
    assert set(states) <= {"old", "new"}
    # and the folder is still perfsim's to replace: no stale lock or temporary blocks a rerun
    assert subprocess.run(command, capture_output=True).returncode == 0
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "out"]
    assert leftovers == [], leftovers


def test_kill_9_of_sensitivity_keeps_chunks_and_resumes(tmp_path):
    out = tmp_path / "sa"
    command = [
        sys.executable, "-m", "perfsim.cli", "sensitivity", DEMO, "--method", "sobol",
        "--n", "8", "--reps", "2", "--chunk-size", "4", "--out", str(out), "--quiet",
    ]  # fmt: skip
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(2.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = subprocess.run([*command, "--resume"], capture_output=True, text=True)
    if done.returncode == 2 and "nothing to resume" in done.stderr:  # killed before it began
        done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (out / "indices.csv").is_file()


def test_csv_outputs_defuse_spreadsheet_formulas(tmp_path):
    frame = pd.DataFrame(
        {
            "unit": ["=cmd|' /C calc'!A0", "+1", "@SUM(A1)", "-x", "plain", "税务局"],
            "score": [-1.5, 2.0, -3.0, 4.0, 5.0, 6.0],
        }
    )
    safe = spreadsheet_safe(frame)
    assert list(safe["unit"]) == [
        "'=cmd|' /C calc'!A0",
        "'+1",
        "'@SUM(A1)",
        "'-x",
        "plain",
        "税务局",
    ]
    assert list(safe["score"]) == list(frame["score"])  # numbers are never changed
    clean = frame.iloc[4:]
    assert spreadsheet_safe(clean) is clean
    data = tmp_path / "units.csv"
    table = pd.read_csv(
        ROOT / "scenarios" / "data" / "hangzhou-2011-units.csv", encoding="utf-8-sig"
    )
    table.iloc[0, 0] = '=HYPERLINK("http://x")'
    table.to_csv(data, index=False)
    out = tmp_path / "scored.csv"
    rule = str(ROOT / "scenarios" / "hangzhou-2011.toml")
    assert main(["score", str(data), "--rule", rule, "--out", str(out), "--quiet"]) == 0
    text = out.read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text


def test_permissions_follow_the_umask(tmp_path):
    out = tmp_path / "run"
    assert _run(out) == 0
    mask = os.umask(0)
    os.umask(mask)
    assert out.stat().st_mode & 0o777 == 0o777 & ~mask


def test_a_locked_sensitivity_folder_is_refused(tmp_path, capsys):
    import fcntl

    out = tmp_path / "sa"
    with open(tmp_path / ".sa.perfsim-lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        code = main(["sensitivity", DEMO, "--method", "sobol", "--n", "4", "--reps", "1",
                     "--out", str(out), "--quiet"])  # fmt: skip
        assert code == 2
        assert "another perfsim process is writing" in capsys.readouterr().err
    assert not (out / "sensitivity.json").exists()


def test_a_failing_disk_is_a_clear_error_not_a_traceback(tmp_path, monkeypatch, capsys):
    import perfsim.simulation as simulation

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device", str(tmp_path / "run" / "metrics.csv"))

    monkeypatch.setattr(simulation, "to_csv", full_disk)
    assert _run(tmp_path / "run") == 2
    err = capsys.readouterr().err
    assert "No space left on device" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing half-written left


def test_your_files_in_figures_and_an_edited_report_are_yours(tmp_path, capsys):
    out = tmp_path / "run"
    assert _run(out) == 0
    assert main(["report", str(out), "--quiet"]) == 0
    assert _run(out) == 0  # the report and figures perfsim wrote are perfsim's to replace
    assert main(["report", str(out), "--quiet"]) == 0
    (out / "figures" / "my-chart.png").write_bytes(b"mine")
    assert _run(out) == 2
    assert "my-chart.png" in capsys.readouterr().err
    (out / "figures" / "my-chart.png").unlink()
    with open(out / "report.md", "a", encoding="utf-8") as handle:
        handle.write("\nMy notes.\n")
    assert _run(out) == 2
    assert "report.md" in capsys.readouterr().err
    assert "My notes." in (out / "report.md").read_text(encoding="utf-8")


def test_report_never_overwrites_an_edited_report_or_your_figure(tmp_path, capsys):
    out = tmp_path / "run"
    assert _run(out) == 0
    assert main(["report", str(out), "--quiet"]) == 0
    assert main(["report", str(out), "--lang", "zh", "--quiet"]) == 0  # its own: replaced
    with open(out / "report.md", "a", encoding="utf-8") as handle:
        handle.write("\nMy notes.\n")
    before = _snapshot(out)
    assert main(["report", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "report.md" in err and "never overwrites" in err and "Traceback" not in err
    assert _snapshot(out) == before  # nothing written, not even a figure
    (out / "report.md").unlink()
    figure = next((out / "figures").glob("*.png"))
    figure.write_bytes(b"my own chart under perfsim's name")
    assert main(["report", str(out), "--quiet"]) == 2
    assert figure.name in capsys.readouterr().err
    assert figure.read_bytes() == b"my own chart under perfsim's name"
    figure.unlink()
    (out / "report.old.html").write_text("my copy", encoding="utf-8")  # a name perfsim never writes
    assert main(["report", str(out), "--quiet"]) == 0  # does not stand in the way, and is kept
    assert (out / "report.old.html").read_text(encoding="utf-8") == "my copy"
    (out / "report.old.html").unlink()
    with open(out / "report.zh.md", "a", encoding="utf-8") as handle:  # the Chinese one too
        handle.write("\n我的笔记。\n")
    assert main(["report", str(out), "--lang", "zh", "--quiet"]) == 2
    assert "report.zh.md" in capsys.readouterr().err
    assert "我的笔记。" in (out / "report.zh.md").read_text(encoding="utf-8")


def test_an_interrupted_report_leaves_a_folder_that_perfsim_may_still_replace(
    tmp_path, capsys, monkeypatch
):
    from perfsim.io import foreign_files
    from perfsim.report import html

    out = tmp_path / "run"
    assert _run(out) == 0
    assert main(["report", str(out), "--quiet"]) == 0

    def interrupted(*_args):  # Ctrl-C after the figures were drawn, before the reports
        raise KeyboardInterrupt

    monkeypatch.setattr(html, "render_markdown", interrupted)
    with pytest.raises(KeyboardInterrupt):
        html.build_report(out, lang="zh")  # the zh figures differ from the en ones on disk
    assert foreign_files(out) == []  # a half-written report is still perfsim's
    monkeypatch.undo()
    assert main(["report", str(out), "--lang", "zh", "--quiet"]) == 0
    assert foreign_files(out) == []
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert not manifest.get("rewriting_report")  # the complete report closed the rewrite
    assert _run(out) == 0  # and the folder can be replaced again


def test_an_edit_after_an_interrupted_report_is_the_users(tmp_path, capsys, monkeypatch):
    """An interrupted report left its mark in the manifest, and while it was there every report
    file and figure counted as perfsim's: the user's later edit of report.md, and a chart of
    their own in figures/, were deleted by the next run."""
    from perfsim.io import foreign_files
    from perfsim.report import html

    out = tmp_path / "run"
    assert _run(out) == 0
    assert main(["report", str(out), "--quiet"]) == 0

    def interrupted(*_args):
        raise KeyboardInterrupt

    monkeypatch.setattr(html, "render_markdown", interrupted)
    with pytest.raises(KeyboardInterrupt):
        html.build_report(out, lang="zh")
    monkeypatch.undo()
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert not manifest.get("rewriting_report")
    with open(out / "report.md", "a", encoding="utf-8") as handle:
        handle.write("\n## my conclusions\n")
    chart = out / "figures" / "my-chart.png"
    chart.write_bytes(b"mine")
    assert sorted(foreign_files(out)) == ["figures/my-chart.png", "report.md"]
    assert _run(out) == 2
    assert "my conclusions" in (out / "report.md").read_text(encoding="utf-8")
    assert chart.read_bytes() == b"mine"


def test_score_never_overwrites_its_input_and_writes_csv_or_xlsx(tmp_path, capsys):
    data = tmp_path / "units.csv"
    data.write_bytes((ROOT / "scenarios" / "data" / "hangzhou-2011-units.csv").read_bytes())
    before = data.read_bytes()
    rule = str(ROOT / "scenarios" / "hangzhou-2011.toml")
    score = ["score", str(data), "--rule", rule, "--quiet", "--force", "--out"]
    assert main([*score, str(data)]) == 2
    assert "is the input table" in capsys.readouterr().err
    assert data.read_bytes() == before
    assert main([*score, str(tmp_path / "scored.xls")]) == 2  # an old Excel format: not written
    assert "name it scored.csv or scored.xlsx" in capsys.readouterr().err


def test_a_symbolic_link_as_out_is_refused(tmp_path, capsys):
    real = tmp_path / "real"
    assert _run(real) == 0
    link = tmp_path / "link"
    link.symlink_to(real)
    assert _run(link) == 2
    assert "symbolic link" in capsys.readouterr().err
    assert link.is_symlink() and folder_kind(real) == "run"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "real"]


def test_dot_dot_after_a_missing_folder_creates_nothing(tmp_path, capsys):
    assert _run(tmp_path / "sub" / ".." / "real") == 2
    assert "does not exist" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "sub").mkdir()  # with the folder there, '..' means what it says
    assert _run(tmp_path / "sub" / ".." / "real") == 0
    assert folder_kind(tmp_path / "real") == "run"


def test_a_negative_seed_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["run", V1, "--seed", "-1", "--out", str(tmp_path / "r")])
    assert stop.value.code == 2
    assert "a seed must be ≥ 0" in capsys.readouterr().err


def test_an_overflowing_pay_is_a_clear_error(tmp_path, capsys):
    """A pay of 1e308 overflowed the simulation (said as such once it ran); now it is refused
    before: no number of a scenario exceeds 1e15 in size."""
    with warnings.catch_warnings(record=True) as caught:  # one clear error, no numpy warnings first
        warnings.simplefilter("always")
        assert _run(tmp_path / "r", "--set", "rule.pay.per_point=1e308") == 2
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)], caught
    err = capsys.readouterr().err
    assert "rule.pay.per_point = 1e+308: must be ≤ 1e15" in err and "Traceback" not in err
    assert not (tmp_path / "r").exists()


def test_a_run_into_its_own_earlier_folder_says_it_replaced_it(tmp_path, capsys):
    out = str(tmp_path / "run")
    assert main(["run", V1, "--reps", "2", "--out", out]) == 0
    assert "replaces the earlier" not in capsys.readouterr().out
    assert main(["run", V1, "--reps", "2", "--out", out]) == 0  # no report there yet
    printed = capsys.readouterr().out
    assert printed.rstrip().splitlines()[-2].endswith("; it replaces the earlier run folder there")
    assert "replications.csv, confusion.csv" in printed or "replications.csv)" in printed
    assert main(["report", out]) == 0
    capsys.readouterr()
    assert main(["run", V1, "--reps", "3", "--out", out]) == 0
    assert "; it replaces the earlier run folder there, and its report" in capsys.readouterr().out
    assert not (Path(out) / "report.html").exists()  # the old report went with the old run


@pytest.mark.parametrize("command", ["sensitivity", "optimize"])
def test_sensitivity_and_optimize_out_on_a_file_or_your_folder(tmp_path, capsys, command):
    """As run's: a file is named as a file, and a folder of yours is left alone with the same
    advice (perfsim never deletes such a folder)."""
    args = {
        "sensitivity": [
            "sensitivity",
            str(ROOT / "scenarios" / "teaching" / "sensitivity-demo.toml"),
            "--method",
            "sobol",
            "--n",
            "8",
            "--reps",
            "2",
        ],
        "optimize": [
            "optimize",
            V1,
            "--lever",
            "rule.pay.per_point=0:2",
            "--objective",
            "welfare_loss",
            "--budget",
            "8",
            "--reps",
            "2",
        ],
    }[command]
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("x")
    assert main([*args, "--quiet", "--out", str(mine / "notes.txt")]) == 2
    assert "notes.txt is a file, not a folder: give --out a folder name" in capsys.readouterr().err
    assert main([*args, "--quiet", "--out", str(mine)]) == 2
    assert "perfsim never deletes such a folder" in capsys.readouterr().err
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
    assert (mine / "notes.txt").read_text() == "x"


def test_a_report_in_one_language_is_not_stopped_by_your_files_of_another(tmp_path, capsys):
    """Notes added to report.zh.md and a screenshot in figures/zh/ do not stop the English report
    (which writes neither), are kept byte for byte, and never become perfsim's: a run into the
    folder still refuses to replace it, and the Chinese report still refuses too."""
    from perfsim.io import foreign_files

    out = tmp_path / "run"
    assert _run(out) == 0
    assert main(["report", str(out), "--lang", "zh", "--quiet"]) == 0
    with open(out / "report.zh.md", "a", encoding="utf-8") as handle:
        handle.write("\n我的笔记。\n")
    (out / "figures" / "zh" / "我的截图.png").write_bytes(b"mine")
    mine = {rel: (out / rel).read_bytes() for rel in ("report.zh.md", "figures/zh/我的截图.png")}
    assert main(["report", str(out), "--quiet"]) == 0
    assert (out / "report.html").exists() and list((out / "figures").glob("*.png"))
    assert {rel: (out / rel).read_bytes() for rel in mine} == mine
    assert sorted(foreign_files(out)) == sorted(mine)  # still yours after the English report
    assert main(["report", str(out), "--lang", "zh", "--quiet"]) == 2
    assert "report.zh.md" in capsys.readouterr().err
    assert _run(out) == 2
    assert {rel: (out / rel).read_bytes() for rel in mine} == mine


def test_an_interrupted_report_does_not_adopt_your_files_of_another_language(tmp_path, monkeypatch):
    from perfsim.io import foreign_files
    from perfsim.report import html

    out = tmp_path / "run"
    assert _run(out) == 0
    assert main(["report", str(out), "--lang", "zh", "--quiet"]) == 0
    (out / "figures" / "zh" / "我的截图.png").write_bytes(b"mine")

    def interrupted(*_args):
        raise KeyboardInterrupt

    monkeypatch.setattr(html, "render_markdown", interrupted)
    with pytest.raises(KeyboardInterrupt):
        html.build_report(out, lang="en")  # interrupted: its own files still count as perfsim's
    assert foreign_files(out) == ["figures/zh/我的截图.png"]  # yours stays yours meanwhile
    monkeypatch.undo()
    assert main(["report", str(out), "--quiet"]) == 0
    assert foreign_files(out) == ["figures/zh/我的截图.png"]
    assert _run(out) == 2 and (out / "figures" / "zh" / "我的截图.png").read_bytes() == b"mine"


def test_a_report_is_rewritten_in_a_folder_of_the_first_release_with_its_list_of_names(tmp_path):
    """The first release's manifest lists file names without hashes: still perfsim's folder."""
    out = tmp_path / "run"
    assert _run(out) == 0 and main(["report", str(out), "--quiet"]) == 0
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    manifest["files"] = sorted(manifest["files"])
    (out / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    assert main(["report", str(out), "--quiet"]) == 0


def test_an_unfinished_optimisation_is_named_as_such_not_as_an_old_folder(tmp_path, capsys):
    out = tmp_path / "opt"
    out.mkdir()
    marker = {"kind": "optimization", "status": "running", "hash": "ab"}
    (out / "optimization.json").write_text(json.dumps(marker), encoding="utf-8")
    for extra in ([], ["--force"]):
        assert _run(out, *extra) == 2
        err = capsys.readouterr().err
        assert "holds an unfinished perfsim optimization run" in err and "older" not in err
    assert sorted(p.name for p in out.iterdir()) == ["optimization.json"]


@pytest.mark.parametrize("name", ["pilot", "结果 1", "a.b", ".hidden", "x.perfsim-tmp-y"])
def test_a_temporary_folder_is_named_by_the_folder_it_becomes(tmp_path, name):
    """A report written inside :func:`perfsim.io.atomic_dir`'s temporary folder names the folder
    the user will have (:func:`perfsim.io.final_folder`); other folders are themselves."""
    from perfsim.io import atomic_dir, final_folder

    target = tmp_path / name
    with atomic_dir(target, "empirical") as tmp:
        assert tmp != target and final_folder(tmp) == target
    assert final_folder(target) == target and final_folder(tmp_path / "plain") == tmp_path / "plain"


def test_a_run_inside_another_result_is_refused(tmp_path, capsys):
    """``perfsim run --out k/runs/w0-r1`` replaced a comparison's own run of a variant, and the
    comparison's report then mixed the two results without a word."""
    k = tmp_path / "k"
    compare = ["compare", "teaching/goodhart", "--variant", "v:rule.pay.per_point=1", "--reps", "3"]
    assert main([*compare, "--out", str(k), "--quiet"]) == 0
    inner = next((k / "runs").iterdir())
    before = _snapshot(k)
    assert main(["run", "teaching/tournament", "--reps", "3", "--out", str(inner), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "inside the perfsim comparison folder" in err and "Traceback" not in err
    assert main(["run", "teaching/tournament", "--reps", "3", "--quiet",
                 "--out", str(k / "runs" / "new")]) == 2  # fmt: skip
    assert _snapshot(k) == before


def test_a_perfsim_folder_made_read_only_is_refused(tmp_path, capsys, monkeypatch):
    """As an ordinary user, a run folder made read-only (``chmod 555``) was replaced anyway: the
    swap needs only the parent folder, and its old copy, which could not be deleted, was left
    in a hidden ``.NAME.perfsim-tmp-…`` folder. (Run as root, every folder is writable: the
    check is made to see the folder as read-only.)"""
    import perfsim.io as io

    out = tmp_path / "prot"
    assert _run(out) == 0
    before = _snapshot(out)
    real = os.access
    monkeypatch.setattr(io.os, "access", lambda p, mode: Path(p) != out and real(p, mode))
    assert _run(out) == 2
    assert "read-only" in capsys.readouterr().err
    assert _snapshot(out) == before and [p.name for p in tmp_path.iterdir()] == ["prot"]


@pytest.mark.parametrize("kind", ["sensitivity", "optimize"])
def test_a_rerun_in_place_leaves_the_users_files_unlisted_and_refuses_over_an_edit(
    tmp_path, capsys, kind
):
    """A sensitivity analysis or optimisation rerun into its own folder (it resumes there)
    listed the user's notes.txt as its own file, so a later ``run --force`` deleted it; and it
    overwrote an output the user had edited (indices.csv, pareto.csv) without a word."""
    out = tmp_path / "x"
    if kind == "sensitivity":
        cmd = ["sensitivity", DEMO, "--method", "morris", "--n", "4", "--reps", "2"]
        edited = "indices.csv"
    else:
        cmd = ["optimize", "theory/v6-distortion", "--lever", "rule.pay.per_point=0:2",
               "--objective", "welfare_loss", "--budget", "16", "--reps", "3"]  # fmt: skip
        edited = "pareto.csv"
    cmd += ["--out", str(out), "--quiet"]
    assert main(cmd) == 0
    (out / "notes.txt").write_text("my notes", encoding="utf-8")
    assert main(cmd) == 0  # (the same run: it resumes, and leaves the notes)
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert "notes.txt" not in manifest["files"] and edited in manifest["files"]
    assert (
        _run(out, "--force") == 2 and (out / "notes.txt").read_text(encoding="utf-8") == "my notes"
    )
    assert main(["report", str(out), "--quiet"]) == 0  # a report the user then edits: the
    with open(out / "report.md", "a", encoding="utf-8") as handle:  # rerun does not rewrite it
        handle.write("my report notes\n")
    assert main(cmd) == 0
    assert (out / "report.md").read_text(encoding="utf-8").endswith("my report notes\n")
    capsys.readouterr()
    with open(out / edited, "a", encoding="utf-8") as handle:
        handle.write("my edit\n")
    assert main(cmd) == 2
    assert edited in capsys.readouterr().err
    assert (out / edited).read_text(encoding="utf-8-sig").endswith("my edit\n")


@pytest.mark.parametrize("kind", ["sensitivity", "optimize"])
def test_a_first_run_resumed_after_an_interruption_leaves_the_users_files_unlisted(tmp_path, kind):
    """A first run stopped before it wrote its file list (``.perfsim.json``) listed, once
    resumed, every file in its folder as its own: the notes the user had put there meanwhile
    too, which a later ``--force`` then deleted. What the run does not write is the user's; its
    own files (and a temporary file a kill left) are listed."""
    out = tmp_path / "x"
    if kind == "sensitivity":
        cmd = ["sensitivity", DEMO, "--method", "morris", "--n", "4", "--reps", "2"]
        own = ["indices.csv", "chunks/chunk-00000.parquet"]
    else:
        cmd = ["optimize", "theory/v6-distortion", "--lever", "rule.pay.per_point=0:2",
               "--objective", "welfare_loss", "--budget", "16", "--reps", "3"]  # fmt: skip
        own = ["pareto.csv", "rules/nearest.toml"]
    cmd += ["--out", str(out), "--quiet"]
    assert main(cmd) == 0
    (out / MANIFEST).unlink()  # as a first run stopped before its file list
    mine = {"notes.txt": "my notes", "chunks/mine.parquet": "x", "rules/notes.md": "y"}
    for rel, text in mine.items():
        (out / rel).parent.mkdir(exist_ok=True)
        (out / rel).write_text(text, encoding="utf-8")
    (out / f".{own[0]}.perfsim-k7f3ab12.tmp").write_text("half", encoding="utf-8")  # (a kill's)
    assert main([*cmd, "--resume"]) == 0
    listed = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["files"]
    assert not set(mine) & set(listed) and set(own) <= set(listed), sorted(listed)
    assert f".{own[0]}.perfsim-k7f3ab12.tmp" not in listed  # (perfsim's, not listed)
    assert main([*cmd, "--resume"]) == 0  # (and not the user's: no refusal)
    assert _run(out, "--force") == 2
    assert {rel: (out / rel).read_text(encoding="utf-8") for rel in mine} == mine


@pytest.mark.parametrize("kind", ["sensitivity", "optimize"])
def test_a_rerun_in_place_interrupted_before_its_file_list_can_run_again(
    tmp_path, capsys, monkeypatch, kind
):
    """A rerun in place stopped after it rewrote its outputs (its metadata has new times) and
    before its new file list: the next run took its own outputs for the user's edits and
    refused them ("files perfsim wrote there were changed since")."""
    import perfsim.experiments.optimize.output as optimize_output
    import perfsim.experiments.sensitivity.run as sensitivity_run

    out = tmp_path / "x"
    if kind == "sensitivity":
        cmd = ["sensitivity", DEMO, "--method", "morris", "--n", "4", "--reps", "2"]
        module = sensitivity_run
    else:
        cmd = ["optimize", "theory/v6-distortion", "--lever", "rule.pay.per_point=0:2",
               "--objective", "welfare_loss", "--budget", "16", "--reps", "3"]  # fmt: skip
        module = optimize_output
    cmd += ["--out", str(out), "--quiet"]
    assert main(cmd) == 0
    (out / "notes.txt").write_text("my notes", encoding="utf-8")

    def stop(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(module, "write_manifest", stop)
        assert main(cmd) == 130
    capsys.readouterr()
    listed = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["files"]
    assert all(listed.values()), listed  # (each file as the stopped run left it, not "any")
    assert main(cmd) == 0, capsys.readouterr().err
    listed = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["files"]
    assert "notes.txt" not in listed and all(v for v in listed.values())  # (SHA-256s again)
    assert (out / "notes.txt").read_text(encoding="utf-8") == "my notes"


@pytest.mark.parametrize("kind", ["sensitivity", "optimize"])
def test_a_stopped_rerun_in_place_keeps_the_users_edits_protected(tmp_path, capsys, kind):
    """A rerun in place stopped before its new file list took every listed file for perfsim's
    whatever it held, for good: the report the user had edited was then rewritten by ``perfsim
    report``, and an output edited after the stop was deleted by ``run --force``."""
    import perfsim.experiments.optimize.run as optimize_run
    import perfsim.experiments.sensitivity.run as sensitivity_run

    out = tmp_path / "x"
    if kind == "sensitivity":
        cmd = ["sensitivity", DEMO, "--method", "morris", "--n", "4", "--reps", "2"]
        module, step, output = sensitivity_run, "write_outputs", "indices.csv"
    else:
        cmd = ["optimize", "theory/v6-distortion", "--lever", "rule.pay.per_point=0:2",
               "--objective", "welfare_loss", "--budget", "16", "--reps", "3"]  # fmt: skip
        module, step, output = optimize_run, "_final", "pareto.csv"
    cmd += ["--out", str(out), "--quiet"]
    assert main(cmd) == 0 and main(["report", str(out), "--quiet"]) == 0
    with open(out / "report.html", "a", encoding="utf-8") as handle:
        handle.write("<!-- my notes -->")

    def stop(*args, **kwargs):
        raise KeyboardInterrupt

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(module, step, stop)
        assert main(cmd) == 130
    capsys.readouterr()
    assert main(["report", str(out), "--quiet"]) == 2  # (the user's report is not rewritten)
    assert (out / "report.html").read_text(encoding="utf-8").endswith("<!-- my notes -->")
    with open(out / output, "a", encoding="utf-8") as handle:
        handle.write("my edit\n")
    assert _run(out, "--force") == 2
    assert (out / output).read_text(encoding="utf-8-sig").endswith("my edit\n")


def test_a_sensitivity_rerun_stopped_while_it_evaluates_can_run_again(tmp_path, monkeypatch):
    """A rerun in place with a chunk to recompute, stopped while it evaluated: its marking of
    the stop rewrote sensitivity.json, listed, and the next run refused it as the user's edit
    ("changed since"), though the stop said to rerun the same command to continue."""
    import perfsim.experiments.sensitivity.run as sensitivity_run

    out = tmp_path / "x"
    cmd = ["sensitivity", DEMO, "--method", "morris", "--n", "4", "--reps", "2"]
    cmd += ["--chunk-size", "2", "--out", str(out), "--quiet"]
    assert main(cmd) == 0
    next((out / "chunks").iterdir()).unlink()  # (a chunk to compute again)

    def stop(*args, **kwargs):
        raise KeyboardInterrupt

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sensitivity_run, "_evaluate", stop)
        assert main(cmd) == 130
    status = json.loads((out / "sensitivity.json").read_text(encoding="utf-8"))["status"]
    assert status == "interrupted"
    assert main(cmd) == 0 and (out / "indices.csv").is_file()


def test_a_killed_writes_temporary_file_is_perfsims(tmp_path):
    """A temporary file that a killed write left beside one of a folder's listed files
    (``.indices.csv.perfsim-k7f3ab12.tmp``) was called the user's: ``--force`` refused the
    folder. A file of the user's of a like name (``.indices.csv.bak.tmp``) stays the user's."""
    out, other = tmp_path / "x", tmp_path / "y"
    for folder in (out, other):
        cmd = ["sensitivity", DEMO, "--method", "morris", "--n", "4", "--reps", "2", "--quiet"]
        assert main([*cmd, "--out", str(folder)]) == 0
    (out / ".indices.csv.perfsim-k7f3ab12.tmp").write_text("half", encoding="utf-8")
    assert _run(out, "--force") == 0 and (out / "metrics.csv").is_file()
    (other / ".indices.csv.bak.tmp").write_text("mine", encoding="utf-8")
    assert _run(other, "--force") == 2 and (other / ".indices.csv.bak.tmp").is_file()


def test_resuming_into_a_folder_perfsim_did_not_write_reads_nothing_in_it(tmp_path, monkeypatch):
    """The user's files of an interrupted run are looked for in a perfsim folder only: a wrong
    ``--out`` (a large tree, /proc) was walked whole before it was refused."""
    import perfsim.io as io

    mine = tmp_path / "mine"
    (mine / "deep").mkdir(parents=True)
    (mine / "deep" / "notes.txt").write_text("mine", encoding="utf-8")

    def walked(folder):
        raise AssertionError(f"walked {folder}")

    monkeypatch.setattr(io, "_files", walked)
    cmd = ["sensitivity", DEMO, "--method", "morris", "--n", "4", "--reps", "2", "--quiet"]
    assert main([*cmd, "--out", str(mine)]) == 2


def test_the_inside_a_result_check_follows_a_relative_path(tmp_path, capsys, monkeypatch):
    """``cd k/runs && perfsim run … --out w0-r1`` went round the check (a relative path's
    parents stop at '.')."""
    k = tmp_path / "k"
    compare = ["compare", "teaching/goodhart", "--variant", "v:rule.pay.per_point=1", "--reps", "3"]
    assert main([*compare, "--out", str(k), "--quiet"]) == 0
    inner = next((k / "runs").iterdir())
    monkeypatch.chdir(k / "runs")
    assert main(["run", "teaching/tournament", "--reps", "3", "--out", inner.name, "--quiet"]) == 2
    assert "inside the perfsim comparison folder" in capsys.readouterr().err
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lnk").symlink_to(k / "runs")  # (through a link to its runs/)
    assert main(["run", "teaching/tournament", "--reps", "3", "--quiet",
                 "--out", f"lnk/{inner.name}"]) == 2  # fmt: skip
    capsys.readouterr()
    monkeypatch.chdir(k)  # a sibling by '..' is outside it: allowed
    assert main(["run", "teaching/tournament", "--reps", "3", "--out", "../k2", "--quiet"]) == 0
    assert (tmp_path / "k2" / MANIFEST).is_file()


def test_a_plain_folder_is_called_not_perfsims_even_when_read_only(tmp_path, capsys, monkeypatch):
    import perfsim.io as io

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine", encoding="utf-8")
    monkeypatch.setattr(io.os, "access", lambda p, mode: not mode & os.W_OK)
    assert _run(mine) == 2
    err = capsys.readouterr().err
    assert "was not written by perfsim" in err and "read-only" not in err


def test_a_folder_that_cannot_be_entered_is_said_to_be_so(tmp_path, capsys, monkeypatch):
    """A perfsim folder made readable but not enterable (``chmod a-x``: its marker file cannot
    be read) was called "not written by perfsim"; perfsim cannot tell, and says why."""
    import perfsim.io as io

    out = tmp_path / "shut"
    assert _run(out) == 0
    before = _snapshot(out)
    real = os.access
    monkeypatch.setattr(io.os, "access", lambda p, mode: Path(p) != out and real(p, mode))
    monkeypatch.setattr(io, "folder_kind", lambda path: None)  # (as its marker cannot be read)
    assert _run(out) == 2
    err = capsys.readouterr().err
    assert "no permission to enter it" in err and "not written by perfsim" not in err
    assert _snapshot(out) == before


def test_an_optimisations_empty_rules_folder_is_perfsims(tmp_path):
    """An optimisation that recommends no rule leaves ``rules/`` empty; counted as the user's,
    it stopped every later write of the folder."""
    from perfsim.io import foreign_files, write_manifest

    out = tmp_path / "o"
    (out / "rules").mkdir(parents=True)
    (out / "pareto.csv").write_text("a\n", encoding="utf-8")
    write_manifest(out, "optimization")
    assert foreign_files(out) == []
    (out / "mine").mkdir()
    assert foreign_files(out) == ["mine"]
    run = tmp_path / "r"  # (in a run folder an empty rules/ is the user's)
    (run / "rules").mkdir(parents=True)
    (run / "metrics.csv").write_text("a\n", encoding="utf-8")
    write_manifest(run, "run")
    assert foreign_files(run) == ["rules"]


def test_a_report_of_a_folder_another_process_is_writing_is_refused(tmp_path, capsys):
    """``perfsim report`` took no lock: run against an analysis still writing its folder, the
    two file lists could lose one another's entries. It is now refused at once, as a second
    writer is, and writes the report once the folder is free."""
    import fcntl

    out = tmp_path / "run"
    assert _run(out) == 0
    before = _snapshot(out)
    with open(tmp_path / ".run.perfsim-lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert main(["report", str(out)]) == 2
        err = capsys.readouterr().err
        assert "another perfsim process is writing" in err and "--out" not in err  # (it has none)
        assert main(["report", str(out), "--lang", "zh"]) == 2
        assert "另一个 perfsim 进程正在写入" in capsys.readouterr().err
        assert _snapshot(out) == before
    assert main(["report", str(out)]) == 0
    assert (out / "report.html").is_file() and not (tmp_path / ".run.perfsim-lock").exists()


def test_a_refused_command_leaves_no_empty_folder_behind(tmp_path, monkeypatch, capsys):
    """``perfsim empirical`` on a wide table without ``--rule`` exits 2 and writes nothing, but
    left an empty ``results/`` (made for the output folder's lock); the folders made for the lock
    are removed with it when they are empty, and a folder that was there, or that a finished run
    wrote into, stays."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "w.csv").write_text("单位,社会评价\nA,40\n", encoding="utf-8")
    assert main(["empirical", "w.csv"]) == 2
    assert main(["empirical", "w.csv", "--out", "deep/er/out"]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.csv"]
    (tmp_path / "results").mkdir()  # (the user's own, empty: it stays)
    assert main(["empirical", "w.csv"]) == 2
    assert (tmp_path / "results").is_dir() and not any((tmp_path / "results").iterdir())
    assert main(["run", "hangzhou-2011", "--reps", "2", "--quiet", "--out", "a/b/c"]) == 0
    assert (tmp_path / "a" / "b" / "c" / "metrics.csv").exists()
    capsys.readouterr()
