"""Slips an independent tester made on purpose (a fuzzing session of the CLI): each ends in one
clear error line and exit code 2, with nothing written, instead of a traceback or a NaN or ∞ in an
output."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT, run_cli

from perfsim.metric_registry import METRICS, better
from perfsim.scenario import ScenarioError, load_scenario


def test_a_warning_made_an_error_by_the_user_is_one_line_and_exit_2(tmp_path):
    """python -W error / PYTHONWARNINGS=error turn perfsim's warnings (here: the best response did
    not converge) into errors: said as an error, not a traceback, and no run folder is left."""
    run = run_cli(
        "run", "hangzhou-2011", "--reps", "3", "--set", "world.max_iterations=2",
        "--out", str(tmp_path / "run"), "--quiet", env={"PYTHONWARNINGS": "error"},
    )  # fmt: skip
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    line = run.stderr.strip().splitlines()[-1]
    assert "did not converge" in line and "PYTHONWARNINGS=error" in line
    assert not (tmp_path / "run").exists()
    zh = run_cli(
        "run", "hangzhou-2011", "--reps", "3", "--set", "world.max_iterations=2",
        "--out", str(tmp_path / "run"), "--quiet", "--lang", "zh",
        env={"PYTHONWARNINGS": "error"},
    )  # fmt: skip
    assert zh.returncode == 2 and "最优反应未收敛" in zh.stderr and "作为错误停止" in zh.stderr


RAW_WEIGHTS = """
[rule.indicators.x]
[rule.indicators.y]
[rule.weights]
x = {x}
y = 1e308
[rule.grading]
bands = ["好", "差"]
quota = {"好" = 0.5}
"""


@pytest.mark.parametrize(
    "override, key",
    [
        ("world.indicators.公共服务.noise=1e300", "world.indicators.公共服务.noise"),
        ("rule.pay.per_point=-2e15", "rule.pay.per_point"),
        ("x=1e308", "rule.weights"),  # (in the file: --set rescales the others)
    ],
)
def test_a_number_too_large_to_be_meant_is_refused_naming_its_key(tmp_path, override, key):
    """A number beyond 1e15 in size (a slipped decimal point, a wrong unit) overflowed the model's
    arithmetic: ∞ in metrics.csv, or weights "without a positive sum" in a traceback (raw weights,
    which perfsim normalises: 1e308 + 1e308 = ∞)."""
    path, value = override.split("=")
    largest = "-1e15" if "-" in value else "1e15"

    def scenario(x: str):
        if key != "rule.weights":
            return load_scenario("hangzhou-2011", [f"{path}={x}"])
        rule = tmp_path / "raw.toml"
        rule.write_text(RAW_WEIGHTS.replace("{x}", x).replace("1e308", x), encoding="utf-8")
        return load_scenario(rule)

    with pytest.raises(ScenarioError) as caught:
        scenario(value)
    said = str(caught.value)
    assert key in said and ("must be ≤ 1e15" in said or "must be ≥ -1e15" in said), said
    scenario(largest)  # the largest number allowed is allowed


@pytest.mark.parametrize("bound", ["class_bias<nan", "class_bias<inf", "class_bias>1e999"])
def test_a_bound_that_is_not_a_finite_number_is_refused(tmp_path, bound):
    """A bound of NaN is met by no sample and writes NaN into sensitivity.json (invalid JSON)."""
    out = tmp_path / "s"
    run = run_cli(
        "sensitivity", "teaching/sensitivity-demo", "--method", "morris", "--n", "2",
        "--reps", "2", "--bound", bound, "--out", str(out),
    )  # fmt: skip
    assert run.returncode == 2 and "is not a finite number" in run.stderr, run.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    "args, said",
    [
        (["--reps", "1"], "--reps: 1: must be ≥ 2"),  # NaN tolerances, spurious failures before
        (["--reps", "5", "--only", "V1", "--set", "V9:world.departments=3"], "'V9': no such row"),
        (["--reps", "0"], "--reps: 0: must be ≥ 2"),  # (it said ≥ 1 for 0, ≥ 2 for 1)
        (["--reps", "5", "--only", "V1,,V2"], "--only: '': no such row"),  # (the empty name)
    ],
)
def test_verify_refuses_what_it_would_otherwise_get_wrong_or_ignore(args, said):
    run = run_cli("verify", *args, "--quiet")
    assert run.returncode == 2 and said in run.stderr, run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize(
    "numbers, said",
    [
        (["--reps", "2", "--budget", "0"], "--budget = 0: must be a whole number ≥ 8"),
        (["--reps", "0", "--budget", "8"], "--reps = 0: must be a whole number ≥ 2"),
    ],
)
def test_optimize_says_the_least_value_it_takes_of_the_option_given(numbers, said):
    """--budget 0 said "must be ≥ 1", and then --budget 4 "must be a whole number ≥ 8"; --reps 0
    also blamed a --final-reps of 0 that nobody gave."""
    run = run_cli(
        "optimize", "theory/v6-distortion", "--lever", "rule.pay.per_point=0:2",
        "--objective", "welfare_loss", *numbers,
    )  # fmt: skip
    assert run.returncode == 2 and said in run.stderr, run.stderr
    assert "--final-reps" not in run.stderr


def test_a_whole_number_too_large_for_a_float_is_said_by_its_size(tmp_path):
    rule = tmp_path / "big.toml"
    rule.write_text(RAW_WEIGHTS.replace("{x}", "1").replace("1e308", "1" + "0" * 400), "utf-8")
    with pytest.raises(ScenarioError, match=r"must be ≤ 1e15 \(y = about 1e400\)"):
        load_scenario(rule)


@pytest.mark.parametrize(
    "damage, said",
    [
        (
            lambda text: re.sub("^kendall_tau,[^,]*", "kendall_tau,nan", text, flags=re.M),
            "tau: mean",
        ),
        (lambda text: "garbage\n", "no column metric, mean, se"),
        (
            lambda text: re.sub(
                "^reward_gini,[^,]*,[^,]*", "reward_gini,0.5,inf", text, flags=re.M
            ),
            "gini: se",
        ),
    ],
)
def test_a_report_of_a_damaged_metrics_table_is_refused_before_any_figure(tmp_path, damage, said):
    """An edited or damaged metrics.csv failed half-way through the report (a TypeError or a
    KeyError), leaving a figures folder behind."""
    out = tmp_path / "run"
    assert (
        run_cli("run", "hangzhou-2011", "--reps", "3", "--out", str(out), "--quiet").returncode == 0
    )
    metrics = out / "metrics.csv"
    text = metrics.read_text(encoding="utf-8-sig")
    metrics.write_text(damage(text), encoding="utf-8")
    run = run_cli("report", str(out), "--quiet")
    assert run.returncode == 2 and said in run.stderr and "damaged" in run.stderr, run.stderr
    assert "Traceback" not in run.stderr
    assert not (out / "figures").exists() and not (out / "report.html").exists()


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_callable_that_returns_no_number_is_named_with_its_inputs(bad):
    """An IndexError from deep inside the convergence summary before."""
    import perfsim
    from perfsim.experiments.sensitivity.errors import SensitivityError

    problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0, 1]] * 3}

    def model(x):
        return np.where(x[:, 0] > 0.5, bad, x.sum(axis=1))

    with pytest.raises(SensitivityError) as caught:
        perfsim.sensitivity(model, problem=problem, method="sobol", n=64)
    said = str(caught.value)
    assert f"returned {bad} for output 'y' at the inputs (" in said
    first = float(said.split("at the inputs (")[1].split(",")[0])
    assert first > 0.5  # the inputs of a sample where the model gave no number


def test_two_rules_with_other_rater_groups_compare_and_report(tmp_path):
    """Hangzhou against the ministry's plan: their rater groups differ, so some reliabilities have no
    reference value. The table skipped nothing (an IndexError, the folder half-written), the summary
    said "no practical difference" on them, and the report's effort figure looked for the other
    world's tasks (a KeyError)."""
    out = tmp_path / "c"
    run = run_cli("compare", "hangzhou-2011", "mlr-2011", "--reps", "4", "--out", str(out))
    assert run.returncode == 0, run.stderr
    said = " ".join(run.stdout.split())
    assert "上级评价" not in said  # (a group of the ministry's only: nothing to compare)
    assert "no practical difference on reliability" not in said
    report = run_cli("report", str(out), "--quiet")
    assert report.returncode == 0 and "Traceback" not in report.stderr, report.stderr
    assert (out / "report.html").is_file()


@pytest.mark.parametrize(("scenario", "departments"), [("teaching/tournament", 4), ("mlr-2011", 2)])
def test_a_world_with_fewer_departments_than_classes_runs(tmp_path, scenario, departments):
    """Five classes and four departments: a class without departments crashed the class gaps
    (IndexError, exit 1). Its gap is undefined: no number, not a NaN, in the outputs."""
    import perfsim

    res = perfsim.simulate(scenario, reps=3, seed=0, overrides=[f"world.departments={departments}"])
    classes = list(res.metadata["resolved_scenario"]["world"]["classes"])
    assert len(classes) > departments
    from perfsim.simulation import write_run

    write_run(res, tmp_path / "run")
    for table in (tmp_path / "run").glob("*.csv"):
        assert not re.search(r"\b(nan|NaN|inf)\b", table.read_text(encoding="utf-8")), table


def test_class_shares_that_are_all_zero_are_one_clear_error():
    sc = load_scenario("hangzhou-2011")
    sets = [f"world.classes.{c}.share=0" for c in sc.world.classes]
    with pytest.raises(ScenarioError) as err:
        load_scenario("hangzhou-2011", sets)
    assert "world.classes = {" in str(err.value)
    assert "are all 0: give at least one class a share > 0" in str(err.value)


@pytest.mark.parametrize(
    ("override", "key", "said"),
    [
        ("world.indicators.公共服务.noise=true", "world.indicators.公共服务.noise = true", ""),
        ("world.periods=true", "world.periods = true", ""),
        ("world.departments=true", "world.departments = true", ""),  # (it said: must be ≥ 2)
        ('world.indicators.公共服务.noise="0.5"', "noise = '0.5'", " (write 0.5 for '0.5')"),
        ('rule.grading.quota.优秀="0.2"', "rule.grading.quota.优秀 = '0.2'", " (write 0.2"),
        ("rule.grading.quota.优秀=true", "rule.grading.quota.优秀 = true", ""),
    ],
)
def test_true_or_a_quoted_number_where_a_number_goes_is_an_error(override, key, said):
    """TOML's true was read as 1 and "0.5" as 0.5 (pydantic's lax mode): a slip passed validate
    and run, and metadata.json recorded "noise": true."""
    with pytest.raises(ScenarioError) as err:
        load_scenario("hangzhou-2011", [override])
    assert f"{key}: must be a number{said}" in str(err.value)


def test_an_indicator_that_loads_on_no_task_is_an_error_not_an_overflow():
    with pytest.raises(ScenarioError) as err:
        load_scenario("hangzhou-2011", ['world.indicators.公共服务.tasks={"公共服务"=0.0}'])
    said = str(err.value)
    assert "world.indicators.公共服务.tasks = {'公共服务': 0.0}: every loading is 0" in said


@pytest.mark.parametrize("cost", ["1e-300", "1e-7"])
def test_a_vanishing_effort_cost_is_an_error_naming_its_key_not_an_overflow(tmp_path, cost):
    """A task's effort cost of 1e-300 made effort ≈ value / cost overflow, said as "the
    simulation overflowed" without the key; below 1e-6 it is now refused before any run, naming
    the key and the value, in the language asked for. 1e-6 itself runs."""
    key = "world.tasks.创新.cost"
    for lang, said in (("en", "must be ≥ 1e-06"), ("zh", "必须 ≥ 1e-06")):
        r = run_cli("run", "hangzhou-2011", "--set", f"{key}={cost}", "--reps", "2",
                    "--out", str(tmp_path / lang), "--lang", lang)  # fmt: skip
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
        assert f"{key} = {float(cost):g}" in r.stderr and said in r.stderr, r.stderr
        assert "the simulation overflowed" not in r.stderr  # (said in English in either)
        assert not (tmp_path / lang).exists()
    assert load_scenario("hangzhou-2011", [f"{key}=1e-6"]).world.tasks["创新"].cost == 1e-6


@pytest.mark.parametrize(
    ("table", "name"),
    [
        ("world.tasks", ""),
        ("world.tasks", "  "),
        ("world.classes", ""),
        ("world.raters", "\u3000"),  # a full-width space
        ("rule.indicators", ""),
        ("rule.components", " "),
        ("rule.rewards", ""),
    ],
)
def test_a_blank_name_is_an_error_naming_its_table(tmp_path, table, name):
    """A task named "" ran, and labelled its effort column 'effort:'; every table that declares
    names now refuses a blank one (also when the rest of the file is then inconsistent)."""
    from helpers import ROOT

    text = (ROOT / "scenarios" / "teaching" / "goodhart.toml").read_text(encoding="utf-8")
    text += f'\n[{table}."{name}"]\n'
    (tmp_path / "s.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_scenario(tmp_path / "s.toml")
    assert f'{table}."{name}": a name needs at least one visible character' in str(err.value)


def test_a_blank_band_name_is_an_error():
    with pytest.raises(ScenarioError) as err:
        load_scenario("teaching/goodhart", ['rule.grading.bands=["好", " "]'])
    assert 'rule.grading.bands." ": a name needs' in str(err.value)


def test_a_misspelt_component_is_said_as_a_slip_not_as_a_missing_rater_group(tmp_path):
    """[rule.components."社会评估"] (for 社会评价) in a file told the user, in English, to add a
    rater group 社会评估 to the world; it now names the world's entry near it, the rule does not
    use, as the likely slip, in the language asked for. A name with nothing near keeps saying what
    it needs."""
    from perfsim.scenario import read_toml, resolve_path, scenario_from_dict

    path = resolve_path("hangzhou-2011")
    raw = read_toml(path)
    components = dict(raw["rule"]["components"])
    components["社会评估"] = components.pop("社会评价")
    raw = {**raw, "rule": {**raw["rule"], "components": components}}
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(raw, source="r.toml")
    said = str(err.value)
    assert "'社会评估', a column component of the rule, has no entry in world.raters" in said
    assert "where '社会评价', which the rule does not use, is near it" in said
    f = tmp_path / "r.toml"
    body = path.read_text(encoding="utf-8")
    f.write_text(
        body.replace('[rule.components."社会评价"]', '[rule.components."社会评估"]'), "utf-8"
    )
    r = run_cli("validate", str(f), "--lang", "zh")
    assert r.returncode == 2
    assert "规则中的数据列考评部分 '社会评估' 在 world.raters 中没有对应项" in r.stderr
    assert "与它相近的 '社会评价'：两者之一是否写错了？" in r.stderr
    with pytest.raises(ScenarioError) as err:
        load_scenario("hangzhou-2011", ["world.indicators={}"])
    assert "rule indicator '职能工作目标' needs a measurement model" in str(err.value)


def test_a_share_for_a_component_the_rule_does_not_have_lists_the_rules_components(capsys):
    """``--set rule.components.社会评价.share=0.6`` (the README's Hangzhou example) on the
    ministry's rule, whose components are named otherwise, made a new component; the error then
    asked for a rater group in the world. Now the error names the rule's components. A new
    component the world does feed (a rater group of its name) is still taken."""
    from perfsim.cli import main

    args = ["validate", "mlr-2011", "--set", "rule.components.社会评价.share=0.6"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "rule.components.社会评价: no component of that name; allowed: 有关职能部门评估" in err
    assert "world.raters" not in err
    assert main([*args, "--lang", "zh"]) == 2
    assert "rule.components.社会评价：没有这个名称的考评部分" in capsys.readouterr().err
    fed = ["validate", "hangzhou-2011", "--set", "rule.components.专家.share=0.1",
           "--set", 'world.raters.专家.kind="panel"', "--set", 'world.raters.专家.sees={"职能履行"=1.0}']  # fmt: skip
    assert main(fed) == 0, capsys.readouterr().err


def test_a_variant_name_given_twice_is_said_in_chinese(capsys):
    from perfsim.cli import main

    args = ["compare", "mlr-2011", "--variant", "a:rule.grading.quota.优秀=0.2",
            "--variant", "a:rule.grading.quota.优秀=0.1", "--reps", "2", "--lang", "zh"]  # fmt: skip
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "规则名称 'a' 已被占用" in err and "taken" not in err


@pytest.mark.parametrize(
    ("value", "shown", "said", "zh"),
    [("abc", "'abc'", "", ""), ("2.5", "2.5", ", written without a decimal point", "，不带小数点")],
)
def test_a_count_that_is_not_a_whole_number_is_said_so(value, shown, said, zh):
    """pydantic said "must be a valid integer, unable to parse string as an integer"."""
    from perfsim.cli import said_error

    with pytest.raises(ScenarioError) as err:
        load_scenario("hangzhou-2011", [f"world.departments={value}"])
    assert str(err.value).endswith(
        f"world.departments = {shown}: must be a whole number{said}" + (" (e.g. 3)" if said else "")
    )
    assert "valid integer" not in str(err.value)
    assert f"world.departments = {shown}：须为整数{zh}" in said_error("run", err.value, "zh")


def test_an_overflow_names_the_largest_inputs():
    """A budget elasticity of 1e9 (allowed: below 1e15) overflowed the simulation, and the error
    listed abilities, productivities, costs, scales and pay, not the key the user had set."""
    from perfsim.simulation import SimulationError, simulate

    overrides = ["world.budget_elasticity=1e9", "world.periods=3"]
    with pytest.raises(SimulationError) as caught:
        simulate("hangzhou-2011", reps=2, overrides=overrides)
    said = str(caught.value)
    assert "the largest inputs: world.budget_elasticity = 1e+09" in said, said
    assert "budget" in said.split("the largest inputs")[0]  # (the advice names the budget too)


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        (["rule=1"], "rule = 1"),
        (["rule.indicators=1"], "rule.indicators = 1"),
        (["rule.indicators=[{a=1}]"], "rule.indicators = [{'a': 1}]"),
        (["world.raters=5", "rule.components.XYZ.share=0.1"], "world.raters = 5"),
    ],
)
def test_an_override_that_makes_a_table_a_value_is_refused_naming_it(capsys, overrides, key):
    """``--set rule=1`` (or a list where a table of indicators goes) ended in an AttributeError
    traceback, exit 1: the check of new components read the tables before they were validated."""
    from perfsim.cli import main

    sets = [word for o in overrides for word in ("--set", o)]
    assert main(["validate", "hangzhou-2011", *sets]) == 2
    err = capsys.readouterr().err
    assert f"{key}: must be a table" in err and "Traceback" not in err, err


@pytest.mark.parametrize(("cell", "column"), [("B2", "重点工作目标"), ("A2", "department")])
def test_an_excel_error_cell_is_refused_naming_its_row_and_column(tmp_path, capsys, cell, column):
    """An Excel error cell (#DIV/0!) in a number column ended in an AttributeError traceback, and
    one in the id column made a department called NaN."""
    import openpyxl

    from perfsim.cli import main

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["department", "重点工作目标", "公共服务", "社会评价"])
    sheet.append(["A", 90, 95, 40])
    sheet.append(["B", 80, 70, 30])
    sheet[cell] = "#DIV/0!"
    sheet[cell].data_type = "e"  # (an error value, as Excel stores one)
    path = tmp_path / "t.xlsx"
    book.save(path)
    rule = str(ROOT / "scenarios/rules/my-first-rule.toml")
    assert main(["score", str(path), "--rule", rule]) == 2
    err = capsys.readouterr().err
    assert f"row 2, column '{column}': holds an Excel error value" in err, err


@pytest.mark.parametrize("column", ["rater", "unit", "score"])
def test_an_excel_error_cell_in_a_ratings_table_is_refused_at_its_row(tmp_path, column):
    """In a ratings workbook an error cell became a rater or rater group called "#ERROR" (a
    phantom group in reliability.csv), or a unit refused at another row and column."""
    import openpyxl

    from perfsim.empirical import read_ratings
    from perfsim.tables import DataError

    book = openpyxl.Workbook()
    sheet = book.active
    header = ["unit", "rater_group", "rater", "score"]
    sheet.append(header)
    for i in range(6):
        sheet.append([f"u{i % 3}", "公众", f"r{i}", 70 + i])
    cell = sheet.cell(row=5, column=header.index(column) + 1)
    cell.value, cell.data_type = "#N/A", "e"
    path = tmp_path / "ratings.xlsx"
    book.save(path)
    with pytest.raises(DataError) as caught:
        read_ratings(path)
    assert f"row 5, column '{column}': holds an Excel error value" in str(caught.value)


def _with_stored(path, value: str) -> None:
    """Give the workbook's formulas the result ``value``, as Excel stores one when it saves."""
    import zipfile

    with zipfile.ZipFile(path) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = parts[sheet].replace(b"<v />", f"<v>{value}</v>".encode())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


@pytest.mark.parametrize("column", ["重点工作目标", "创新创优", "department"])
def test_a_formula_without_its_result_is_refused_not_read_as_blank(tmp_path, capsys, column):
    """A workbook written by a program (openpyxl, a script) holds formulas without their
    results until Excel or WPS saves it: such a cell read as blank, 0 points in a bonus column
    (创新创优) with no word, "is empty" in an indicator's. Now it is named as a formula; with the
    result stored it reads as that result, and a blank bonus cell is still 0 points."""
    import openpyxl

    from perfsim.cli import main

    units = pd.read_csv(ROOT / "scenarios/data/hangzhou-2011-units.csv").head(8)
    rule = str(ROOT / "scenarios/hangzhou-2011.toml")

    def scored(cells: dict, stored: str | None = None) -> tuple[int, str, str]:
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(list(units.columns))
        for row in units.itertuples(index=False):
            sheet.append(list(row))
        for where, value in cells.items():
            sheet[where] = value
        path = tmp_path / "t.xlsx"
        book.save(path)
        if stored is not None:
            _with_stored(path, stored)
        out = tmp_path / f"s{len(list(tmp_path.glob('s*.csv')))}.csv"
        code = main(["score", str(path), "--rule", rule, "--out", str(out)])
        out = capsys.readouterr()
        return code, out.out, out.err

    letter = "ABCDEFGHIJK"[list(units.columns).index(column)]
    formula = '="市X局"' if column == "department" else "=1+0.5"
    code, _, err = scored({f"{letter}4": formula})
    assert code == 2, err
    assert f"row 4, column '{column}': holds a formula whose result the workbook" in err, err
    if column == "department":
        return
    code, _, err = scored({f"{letter}4": formula}, stored="1.5")
    assert code == 0, err
    assert len(pd.read_csv(tmp_path / "s0.csv")) == len(units)  # (the refused run wrote none)
    if column == "创新创优":  # a blank bonus cell: no bonus points, as before
        assert scored({f"{letter}4": None})[0] == 0


def test_a_formula_without_its_result_in_a_ratings_workbook_is_refused(tmp_path):
    import openpyxl

    from perfsim.empirical import read_ratings
    from perfsim.tables import DataError

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["unit", "rater_group", "rater", "score"])
    for i in range(6):
        sheet.append([f"u{i % 3}", "公众", f"r{i}", 70 + i])
    sheet["D6"] = "=70+5"
    path = tmp_path / "ratings.xlsx"
    book.save(path)
    with pytest.raises(DataError, match="row 6, column 'score': holds a formula whose result"):
        read_ratings(path)
    _with_stored(path, "75")
    assert read_ratings(path).frame["points"].tolist() == [70, 71, 72, 73, 75, 75]


@pytest.mark.parametrize("how", ["validate", "variant"])
def test_a_common_weight_that_no_class_uses_is_refused(capsys, how):
    """Every class of Hangzhou's plan has its own weights, so ``--set rule.weights.公共服务=0.4``
    (the first change an official tries) changed nothing: validate said "valid", and a comparison
    said the rules were the same, guessing a rounded quota. It is now refused, naming the class
    tables; with the class tables removed, or set in one, it runs."""
    from perfsim.cli import main

    naive = ["--set", 'world.policy="naive"', "--reps", "2"]
    if how == "validate":
        assert main(["validate", "hangzhou-2011", "--set", "rule.weights.公共服务=0.4"]) == 2
    else:
        variant = "w：rule.weights.公共服务＝0.4，rule.weights.目标管理要素＝0.0"  # (a Chinese keyboard's)
        assert main(["compare", "hangzhou-2011", "--variant", variant, *naive]) == 2
    err = capsys.readouterr().err
    assert (
        "rule.weights.公共服务 = 0.4: changes nothing: every class of the rule has its own" in err
    )
    assert "rule.weights.by_class.社会服务类.公共服务" in err and "Traceback" not in err
    assert (
        main(["validate", "hangzhou-2011", "--set", "rule.weights.公共服务=0.4", "--lang", "zh"])
        == 2
    )
    assert "不起作用：该规则的每个类别都有自己的权重表" in capsys.readouterr().err
    cleared = ["--set", "rule.weights.by_class={}", "--set", "rule.weights.公共服务=0.4"]
    assert main(["validate", "hangzhou-2011", *cleared]) == 0
    assert (
        main(
            ["validate", "hangzhou-2011", "--set", "rule.weights.by_class.社会服务类.公共服务=0.4"]
        )
        == 0
    )
    assert (
        main(["validate", "teaching/goodhart", "--set", "rule.weights.上报数据=0.8"]) == 0
    )  # (no classes)
    # an indicator added by --set needs its common weight too (the schema asks for every one)
    added = {"rule.indicators.按时办结率": {"component": "目标考核", "bad": 60, "good": 100},
             "rule.weights.按时办结率": 0.1,
             **{f"rule.weights.by_class.{c}.按时办结率": 0.1 for c in ("社会服务类", "执法监管类", "综合管理类")},
             "world.indicators.按时办结率": {"tasks": {"公共服务": 1.0}, "noise": 5}}  # fmt: skip
    sets = [w for k, v in added.items() for w in ("--set", f"{k}={_toml(v)}")]
    assert main(["validate", "hangzhou-2011", *sets]) == 0, capsys.readouterr().err


def test_the_report_shows_the_class_weights_in_force():
    """The rule's row of weights showed Hangzhou's common weights "as if in force" (every class
    has its own table) and named the classes as components."""
    import perfsim
    from perfsim.report.rules import rule_summary
    from perfsim.scenario.loader import scenario_raw

    row = rule_summary(scenario_raw(perfsim.load_scenario("hangzhou-2011")))["indicator weights"]
    assert "fixed; per class (差别权重): 社会服务类: 职能工作目标 0.25" in row
    assert "执法监管类: 职能工作目标 0.40" in row and "fixed: " not in row
    common = perfsim.load_scenario("hangzhou-2011", ["rule.weights.by_class={}"])
    row = rule_summary(scenario_raw(common))["indicator weights"]
    assert row.startswith("fixed: 职能工作目标 0.30, 重点工作目标 0.30") and "per class" not in row


@pytest.mark.parametrize(
    ("table", "said"),
    [
        ({"rule.audit.probability": {"range": [0, 0.4]},
          'rule.audit."probability"': {"range": [0, 0.2]}},
         "the same entry is given twice (rule.audit.probability, rule.audit.\"probability\""),
        ({"rule.components.社会评价.share": {"range": [0.1, 0.9]},
          "rule.components.目标考核.share": {"range": [0.1, 0.9]}},
         "every member of the sum-to-one group rule.components is uncertain"),
        ({"world.raters.社会评价.respondents": {"range": [20.5, 20.7], "integer": True}},
         "an integer input's range holds no whole number"),
        ({"rule.components.社会评价.share": {"choices": [0.4, 0.5]},
          "rule.components.目标考核.share": {"range": [0.3, 0.5]}},
         "every member of the sum-to-one group rule.components is uncertain"),
    ],
)  # fmt: skip
def test_uncertain_inputs_that_would_mislead_are_refused_before_any_run(tmp_path, table, said):
    """Accepted before, each ran and recorded what the runs did not use: a key quoted and unquoted
    made two inputs of one entry (the second won), both shares of a two-member group were
    rescaled (0.633 and 0.9 ran as 0.41 and 0.59), and an integer range without a whole number
    ran as a constant outside it."""
    from perfsim.experiments.sensitivity import SensitivityError, run_sensitivity
    from perfsim.scenario import ScenarioError

    with pytest.raises((ScenarioError, SensitivityError), match=re.escape(said)):
        run_sensitivity("teaching/sensitivity-demo", uncertain=table, method="morris", n=2,
                        reps=2, out=tmp_path / "s")  # fmt: skip
    assert not (tmp_path / "s").exists()


def test_a_lever_or_across_path_given_twice_is_refused(capsys):
    """A lever given quoted and unquoted made two columns of one entry (only one applied); an
    --across on a lever's own path replaced the lever's values unseen; an --across path given
    twice labelled its worlds with values the second overrode."""
    from perfsim.cli import main

    fast = ["--reps", "2", "--set", 'world.policy="naive"']
    quota = [
        "--lever",
        "rule.grading.quota.优秀=0.1:0.3",
        "--lever",
        'rule.grading.quota."优秀"=0.1:0.2',
    ]
    assert main(["optimize", "hangzhou-2011", *fast, "--budget", "8", *quota,
                 "--objective", "kendall_tau"]) == 2  # fmt: skip
    assert "a lever path is given twice" in capsys.readouterr().err
    assert main(["optimize", "theory/v6-distortion", "--reps", "2", "--budget", "8",
                 "--lever", "rule.pay.per_point=0:2", "--objective", "welfare_loss",
                 "--across", "rule.pay.per_point=1,2"]) == 2  # fmt: skip
    assert "rule.pay.per_point: is also a --lever" in capsys.readouterr().err
    across = ["--across", "world.indicators.measure.noise=0.1,0.5",
              "--across", 'world.indicators."measure".noise=0.2,0.3']  # fmt: skip
    assert main(["compare", "theory/v6-distortion", "--variant", "x:rule.pay.per_point=1",
                 *fast, *across]) == 2  # fmt: skip
    assert "the path is given twice; give its values in one --across" in capsys.readouterr().err


def test_a_one_input_analysis_and_a_tiny_lever_range_print_no_python_warning(tmp_path):
    """matplotlib's "Tight layout not applied" (a figure of one input: no room for its title)
    and numpy's "overflow encountered in square" (a lever range of 1e-300 to 2e-300) reached the
    terminal, even with --quiet."""
    import warnings as w

    from perfsim import optimize
    from perfsim.experiments.sensitivity import run_sensitivity

    with w.catch_warnings(record=True) as caught:
        w.simplefilter("always")
        run_sensitivity("teaching/sensitivity-demo", uncertain={"rule.audit.probability":
                        {"range": [0, 0.4]}}, method="sobol", n=1, reps=2, out=tmp_path / "s")  # fmt: skip
        optimize("theory/v6-distortion", levers=["rule.pay.per_point=1e-300:2e-300"],
                 objectives=["welfare_loss"], budget=8, reps=2)  # fmt: skip
    said = [f"{x.category.__name__}: {x.message}" for x in caught]
    assert not [s for s in said if "Tight layout" in s or "overflow" in s], said


def test_a_metric_bounded_twice_or_a_choice_given_twice_is_refused():
    """Two --bound on one metric kept the last alone without a word (a lower and an upper bound
    read as one); a lever's choice given twice was drawn twice as often."""
    from perfsim.experiments.discovery import BoundError, parse_bounds
    from perfsim.experiments.optimize.levers import parse_lever
    from perfsim.scenario import ScenarioError

    with pytest.raises(BoundError, match="class_bias is bounded twice"):
        parse_bounds(["class_bias<5", "class_bias>1", "gaming_share<0.1"])
    assert parse_bounds(["class_bias<5", "gaming_share<0.1"])["class_bias"] == ("<", 5.0)
    with pytest.raises(ScenarioError, match="a choice is given twice"):
        parse_lever("rule.normalize.method=zscore,zscore")
    with pytest.raises(ScenarioError, match="a choice is given twice"):
        parse_lever("world.raters.社会评价.respondents=100,100.0")
    assert len(parse_lever("rule.audit.veto=true,1").choices) == 2  # (a flag is not a number)
    assert parse_lever("rule.normalize.method=zscore,percentile").choices == (
        "zscore",
        "percentile",
    )


def test_an_uncertain_file_without_its_table_and_an_undefined_objective_are_told_plainly(
    tmp_path, capsys
):
    """A file holding only [meta] was read as an uncertain input called "meta" ("uncertain.meta:
    give range = …"); an objective the scenario leaves undefined (kendall_tau in a scenario
    without a ranking) was explained by class_bias needing two classes."""
    from perfsim.cli import main

    only_meta = tmp_path / "u.toml"
    only_meta.write_text('[meta]\nname = "x"\n', encoding="utf-8")
    assert main(["sensitivity", "teaching/sensitivity-demo", "--uncertain", str(only_meta),
                 "--reps", "2", "--out", str(tmp_path / "s")]) == 2  # fmt: skip
    assert "has no [uncertain] table" in capsys.readouterr().err
    assert main(["optimize", "theory/v6-distortion", "--lever", "rule.pay.per_point=0:2",
                 "--objective", "kendall_tau", "--reps", "2", "--budget", "8"]) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert "kendall_tau = 'kendall_tau': undefined in this scenario" in err
    assert "class" not in err.split("undefined", 1)[1], err


def _toml(value) -> str:
    """A value as --set reads it: a number, or an inline table."""
    if isinstance(value, dict):
        return "{" + ", ".join(f'"{k}" = {_toml(v)}' for k, v in value.items()) + "}"
    return f'"{value}"' if isinstance(value, str) else str(value)


def test_a_formula_whose_stored_result_is_empty_text_reads_as_blank(tmp_path, capsys):
    """Excel stores ``=IF(…, "", …)`` with an empty text result (``t="str"``, an empty value):
    such a cell is blank, as before (0 bonus points), not a formula without its result."""
    import zipfile

    import openpyxl

    from perfsim.cli import main

    units = pd.read_csv(ROOT / "scenarios/data/hangzhou-2011-units.csv").head(8)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(units.columns))
    for row in units.itertuples(index=False):
        sheet.append(list(row))
    letter = "ABCDEFGHIJK"[list(units.columns).index("创新创优")]
    sheet[f"{letter}4"] = '=IF(C4>200,1,"")'
    path = tmp_path / "t.xlsx"
    book.save(path)
    with zipfile.ZipFile(path) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    cell = f'<c r="{letter}4">'
    assert cell in xml
    parts["xl/worksheets/sheet1.xml"] = xml.replace(cell, f'<c r="{letter}4" t="str">').encode()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    rule = str(ROOT / "scenarios/hangzhou-2011.toml")
    assert main(["score", str(path), "--rule", rule, "--out", str(tmp_path / "s.csv")]) == 0
    assert "formula" not in capsys.readouterr().err


@pytest.mark.parametrize("metric", sorted(METRICS))
def test_a_bound_may_be_a_percentage_of_a_share_and_of_nothing_else(metric):
    """``--constraint "gaming_share<2%"`` was refused while ``--lever`` and ``--set`` read
    percentages. A percentage is the share it means where the metric is a share (its scale 0–1);
    of a metric in other units (class_bias, in score points) it would be a hundredth of a unit, so
    it is refused, saying why. ``--bound`` (sensitivity) reads bounds the same way."""
    from perfsim.experiments.discovery import BoundError, parse_bound
    from perfsim.experiments.optimize.levers import parse_constraint

    share = METRICS[metric].scale == "0–1"
    for typed in ("2.5%", "2.5％"):
        if share:
            assert parse_constraint(f"{metric}<{typed}").value == pytest.approx(0.025)
            assert parse_bound(f"{metric}>={typed}") == (metric, ">=", pytest.approx(0.025))
        else:
            why = f"{typed} is a percentage, which means a share (2% is 0.02), but {metric} is not"
            with pytest.raises(ScenarioError, match=re.escape(why)):
                parse_constraint(f"{metric}<{typed}")
            with pytest.raises(BoundError, match=re.escape(why)):
                parse_bound(f"{metric}>={typed}")
    assert parse_constraint(f"{metric}<0.025").value == 0.025  # (a number, as before)
    if share:  # (with a space before the sign, as --bound reads it)
        assert parse_constraint(f"{metric} < 2.5 %").value == pytest.approx(0.025)


def test_a_percentage_of_score_points_is_refused_in_chinese(capsys, tmp_path):
    from perfsim.cli import main

    argv = ["optimize", str(ROOT / "scenarios" / "hangzhou-2011.toml"), "--objective", "kendall_tau:max", "--lever",
            "rule.components.社会评价.share=0.3:0.6", "--constraint", "class_bias<5%",
            "--out", str(tmp_path / "o"), "--lang", "zh"]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "5% 是百分数" in err and "class_bias 不是比例" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("metric", sorted(METRICS))
def test_a_metric_may_be_named_by_the_label_perfsim_shows_for_it(metric):
    """``--metric 类别偏差`` and ``--bound "类别偏差<1"`` were refused as unknown metrics, although
    perfsim's own tables and summaries call it so: a metric's label in English or Chinese names
    it wherever a metric is given (``--metric``, ``--bound``, ``--objective``, ``--constraint``);
    a label two metrics share (排名保真度, for τ and ρ) names neither."""
    from perfsim.experiments.discovery import meets, parse_bounds
    from perfsim.experiments.optimize.levers import parse_constraint, parse_objective
    from perfsim.experiments.sensitivity.analysis import choose_metrics
    from perfsim.i18n import language, metric_label

    for lang in ("en", "zh"):
        with language(lang):
            label = metric_label(metric)
        outputs = pd.DataFrame({metric: [0.4, 0.6]})
        assert meets(outputs, parse_bounds([f"{label} >= 0.5"])).tolist() == [False, True]
        # (a model's own output called as a label is that output, not the metric)
        own = pd.DataFrame({metric: [0.4, 0.6], label: [0.6, 0.4]})
        assert meets(own, parse_bounds([f"{label} >= 0.5"])).tolist() == [True, False]
        assert choose_metrics([label, "y"], [label], ["x"]) == [label]
        assert parse_constraint(f" {label}<0.5").metric == metric
        assert choose_metrics([metric, "other"], [label], ["input"]) == [metric]
        if better(metric):
            assert parse_objective(label).metric == metric
            assert parse_objective(f"{label}:max").sense == -1
    with pytest.raises(ScenarioError, match="not a metric"):
        parse_objective("排名保真度")


def test_a_sensitivity_metric_named_by_its_label_runs(tmp_path):
    """``perfsim sensitivity --metric 类别偏差`` was refused before the run ("unknown metric(s)
    类别偏差") although the label reached the analysis: the check before the run reads labels too."""
    from perfsim.cli import main

    out = tmp_path / "s"
    argv = ["sensitivity", "teaching/sensitivity-demo", "--method", "morris", "--n", "2",
            "--reps", "2", "--metric", "类别偏差", "--bound", "class bias<100", "--out", str(out),
            "--quiet"]  # fmt: skip
    assert main(argv) == 0
    indices = pd.read_csv(out / "indices.csv")
    assert set(indices["metric"]) == {"class_bias"}
