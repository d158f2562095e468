"""The bundled scenarios ship as package data: how they are found, and that the wheel holds them.

The full check (build a wheel, install it in a fresh venv, run perfsim from an empty directory) is
``benchmarks/check_wheel.py``; it takes a minute or two, so ``test_the_wheel_works_from_an_empty_directory``
runs it only with ``PERFSIM_SLOW=1``.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from perfsim.scenario import bundled, resolve_path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


def _package_data() -> tuple[dict, dict]:
    """setup.py's package_dir and package_data, read without running setup()."""
    tree = ast.parse((ROOT / "setup.py").read_text(encoding="utf-8"))
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call) and n.func.id == "setup")
    kw = {k.arg: k.value for k in call.keywords}
    return ast.literal_eval(kw["package_dir"]), ast.literal_eval(kw["package_data"])


def test_every_scenario_file_is_package_data():
    package_dir, package_data = _package_data()
    assert package_dir == {f"perfsim.{bundled.PACKAGED}": "scenarios"}
    patterns = package_data[f"perfsim.{bundled.PACKAGED}"]
    shipped = {p for pattern in patterns for p in SCENARIOS.glob(pattern)}  # setuptools' globs
    files = {
        p
        for p in SCENARIOS.rglob("*")
        if p.is_file() and p.suffix != ".py" and "__pycache__" not in p.parts
    }
    assert files - shipped == set(), "add a pattern to setup.py's package_data"
    assert SCENARIOS / "rules" / "my-first-rule.toml" in shipped


def test_the_translation_catalogues_are_package_data():
    _package_dir, package_data = _package_data()
    i18n = ROOT / "perfsim" / "i18n"
    shipped = {p for pattern in package_data["perfsim.i18n"] for p in i18n.glob(pattern)}
    assert shipped and shipped == set(i18n.rglob("*.po"))  # every .po, compiled at first use


def test_installed_package_data_comes_first(tmp_path, monkeypatch):
    package = tmp_path / "perfsim"
    (package / bundled.PACKAGED).mkdir(parents=True)
    (package / bundled.PACKAGED / bundled.MARKER).write_text("", encoding="utf-8")
    monkeypatch.setattr(bundled.resources, "files", lambda name: package)
    assert bundled.packaged_root() == package / bundled.PACKAGED
    assert bundled.bundled_root() == package / bundled.PACKAGED


def test_a_checkout_reads_its_scenarios_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(bundled.resources, "files", lambda name: tmp_path)  # no package data
    assert bundled.packaged_root() is None
    assert bundled.bundled_root() == SCENARIOS.resolve()
    assert bundled.BUNDLED_SCENARIOS == SCENARIOS.resolve()  # this test suite runs a checkout


def test_names_and_readme_paths_resolve_from_any_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    hangzhou = (SCENARIOS / "hangzhou-2011.toml").resolve()
    assert resolve_path("hangzhou-2011") == hangzhou
    assert resolve_path("scenarios/hangzhou-2011.toml") == hangzhou  # README commands
    goodhart = (SCENARIOS / "teaching" / "goodhart.toml").resolve()
    assert resolve_path("teaching/goodhart") == goodhart
    assert resolve_path("scenarios/teaching/goodhart.toml") == goodhart
    (tmp_path / "scenarios").mkdir()
    own = tmp_path / "scenarios" / "hangzhou-2011.toml"
    own.write_text("", encoding="utf-8")
    assert resolve_path("scenarios/hangzhou-2011.toml") == Path("scenarios/hangzhou-2011.toml")
    assert not resolve_path("scenarios/no-such.toml").exists()


@pytest.mark.skipif(not os.environ.get("PERFSIM_SLOW"), reason="set PERFSIM_SLOW=1 (1-3 min)")
def test_the_wheel_works_from_an_empty_directory(tmp_path):
    script = ROOT / "benchmarks" / "check_wheel.py"
    result = subprocess.run(
        [sys.executable, str(script), str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "works from an empty directory" in result.stdout
