from __future__ import annotations

import os
from pathlib import Path

import pytest

# The CLI wraps its sentences to the terminal's width, at most 100 columns
# (perfsim.cli.common); the tests read them as a 100-column terminal shows them, whatever runs
# them (pytest-xdist's workers say COLUMNS=80, a narrow terminal less).
os.environ["COLUMNS"] = "100"

MINIMAL = """
[meta]
name = "minimal"

[rule]
classes = ["A", "B"]

[rule.indicators."职责履行"]
component = "目标考核"
[rule.indicators."公共服务"]
component = "目标考核"
direction = "cost"

[rule.weights]
"职责履行" = 30
"公共服务" = 70

[rule.components."目标考核"]
share = 0.45
[rule.components."社会评价"]
share = 0.50
full_marks = 50
[rule.components."领导考评"]
share = 0.05

[rule.grading]
quota = {"优秀" = 0.25}
thresholds = {"合格" = 60}
"""


@pytest.fixture
def minimal_file(tmp_path: Path) -> Path:
    path = tmp_path / "minimal.toml"
    path.write_text(MINIMAL, encoding="utf-8")
    return path
