"""The documentation site builds without a warning, and every document cites only files that exist.

The site (``mkdocs.yml``, pages under ``docs/``) includes the README, the scenario key reference
and the other READMEs by snippet, and generates the metrics and validation pages from the code
(``docs/_hooks/generate.py``); ``mkdocs build --strict`` turns every warning (a broken link or
anchor, a missing snippet, a docstring mkdocstrings cannot read, a validation row missing from
the theory table) into a failure.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT, missing_citations

pytest.importorskip("mkdocs", reason="the docs extra is not installed (pip install -e '.[docs]')")
pytest.importorskip("mkdocstrings")

SKIP = {".git", ".venv", "venv", "site", "results", "bad_scenarios", "node_modules", "__pycache__"}


def _documents() -> list[Path]:
    """The project's own documents (Markdown, scenario files, notebooks), not recorded outputs
    under ``results/`` nor a virtual environment in the checkout."""
    found = []
    for folder, dirs, names in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in SKIP and not d.startswith(".")]
        found += [Path(folder, n) for n in names if n.endswith((".md", ".toml", ".ipynb"))]
    return sorted(found)


DOCUMENTS = _documents()


def _hook():
    spec = importlib.util.spec_from_file_location(
        "docs_hook", ROOT / "docs" / "_hooks" / "generate.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_site_builds_strictly(tmp_path):
    """``mkdocs build --strict`` succeeds, and the generated pages carry the registry's records."""
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WARNING" not in done.stderr
    site = tmp_path / "site"
    from perfsim.metric_registry import METRICS
    from perfsim.verify import ROWS

    metrics = (site / "metrics" / "index.html").read_text(encoding="utf-8")
    assert all(f"<code>{name}</code>" in metrics for name in METRICS)
    validation = (site / "validation" / "index.html").read_text(encoding="utf-8")
    assert all(row in validation for row in ROWS)
    index = (site / "index.html").read_text(encoding="utf-8")
    # the README, included: its first sentence after the Quick start commands
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first = readme.split("```", 2)[2].strip().split("\n")[0]
    assert first.split("(")[0].strip() in index, first
    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    for name in ("simulate", "compare", "sensitivity", "score", "load_scenario", "build_report"):
        assert f'id="perfsim.{name}"' in api, name
    assert 'id="perfsim.empirical.analyze"' in api
    assert "<code>ProcessExecutor</code>" in api  # :class:`~...ProcessExecutor` in a docstring
    assert not re.search(r":(func|class|mod|meth|attr|data):<code>", api)


def test_metrics_page_lists_every_record_once():
    """One row per metric record and family, with its unit, better side and smallest difference."""
    from perfsim.metric_registry import FAMILIES, METRICS, SPREAD_SHARE

    page = _hook().metrics_page()
    table = page.split("## Formulas")[0]
    for name, m in METRICS.items():
        rows = [line for line in table.splitlines() if line.startswith(f"| `{name}` |")]
        assert len(rows) == 1, name
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", rows[0].strip("|"))]
        assert cells[3] == (m.better or "none (descriptive)"), name
        expected = f"{m.min_diff:g}" if m.min_diff is not None else f"{SPREAD_SHARE:g} ×"
        assert cells[5].startswith(expected), (name, cells[5])
    for prefix in FAMILIES:
        assert f"| `{prefix}:<member>` |" in table


def test_validation_table_must_match_the_rows_perfsim_verify_runs():
    """The theory table names every row of ``perfsim.verify.ROWS`` and no other; the parser sees a
    row that is removed."""
    from perfsim.verify import ROWS

    hook = _hook()
    readme = (ROOT / hook.THEORY_README).read_text(encoding="utf-8")
    assert sorted(set(hook.theory_rows(readme))) == sorted(ROWS)
    without_v3f = "\n".join(line for line in readme.splitlines() if "| V3F" not in line)
    assert "V3F" not in hook.theory_rows(without_v3f)


@pytest.mark.parametrize("doc", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_documents_cite_only_files_in_the_repository(doc):
    """Every relative link, and every path in code quotes that names a folder of the repository
    (``docs/…``, ``perfsim/…``, ``scenarios/…``, ``results/examples/…``) or a ``NAME.md``, exists."""
    generated = {f"docs/{name}" for name in _hook().GENERATED}
    assert missing_citations(doc, generated=generated) == []


def test_citation_check_catches_a_missing_file(tmp_path):
    doc = tmp_path / "page.md"
    doc.write_text(
        "See [the plan](GONE.md), `docs/nowhere.md`, MISSING.md and [ok](page.md#x).\n",
        encoding="utf-8",
    )
    missing = missing_citations(doc)
    assert {m.split(" cites ")[1] for m in missing} == {"GONE.md", "docs/nowhere.md", "MISSING.md"}


def test_the_example_tables_grades_in_the_data_readme_are_what_score_gives():
    """scenarios/data/README.md said 优秀 8, 良好 15 for the Hangzhou table ("the 优秀 slot the
    vetoed unit held is not passed on"), while ``perfsim score`` gives 优秀 9, 良好 14: the veto
    takes no quota place (scenarios/README.md). Each "gives"/"Grades:" line is checked here."""
    import re

    import perfsim

    text = " ".join((ROOT / "scenarios/data/README.md").read_text(encoding="utf-8").split())
    said = re.findall(
        r"(?:Grades:|table gives) 优秀 (\d+)[^良]*良好 (\d+), 合格 (\d+), 不合格 (\d+)", text
    )
    assert len(said) == 2, said
    for (table, rule), counts in zip(
        [
            ("hangzhou-2011-units.csv", "hangzhou-2011.toml"),
            ("mlr-2011-units.csv", "mlr-2011.toml"),
        ],
        said,
        strict=True,
    ):
        scored = perfsim.score(ROOT / "scenarios/data" / table, ROOT / "scenarios" / rule)
        got = scored["grade"].value_counts()
        assert [int(got.get(b, 0)) for b in ("优秀", "良好", "合格", "不合格")] == list(
            map(int, counts)
        )


def test_the_first_rules_line_count_in_the_docs_is_its_own():
    """The README and scenarios/README.md called my-first-rule.toml "a 27-line rule"; it has 30."""
    import re

    lines = len(
        (ROOT / "scenarios/rules/my-first-rule.toml").read_text(encoding="utf-8").splitlines()
    )
    for doc in ("README.md", "scenarios/README.md"):
        said = re.findall(r"a (\d+)-line rule", (ROOT / doc).read_text(encoding="utf-8"))
        assert said and all(int(n) == lines for n in said), (doc, said, lines)
