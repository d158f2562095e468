"""Helpers shared by the tests."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run the perfsim CLI in a subprocess, as a user would."""
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "perfsim.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )


# what a document cites: links, paths in code quotes under a folder of the repository, NAME.md
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_QUOTED = re.compile(
    r"`((?:docs|perfsim|scenarios|notebooks|tests|benchmarks|results/examples|\.ci)/[^`\s]*)`"
)
_CITED = re.compile(r"docs/[\w./-]+\.md|[\w./-]*\b[A-Z][A-Z_]+\.md\b|(?<![\w/])shared/[\w./-]*")


def missing_citations(
    path: Path, generated: Iterable[str] = (), bases: Iterable[Path] = ()
) -> list[str]:
    """``"<path> cites <target>"`` for every file ``path`` cites (a Markdown file: also its relative
    links and quoted paths) that exists neither in the repository
    (relative to the root, to ``path``'s folder, to ``scenarios/`` or to ``bases``) nor among the
    ``generated`` pages (paths from the root, e.g. ``docs/metrics.md``)."""
    text = path.read_text(encoding="utf-8")
    cited = [t.rstrip("/.,") for t in _CITED.findall(text)]
    if path.suffix == ".md":  # links and quoted paths (in code they are expressions, not citations)
        cited += [t.split("#")[0] for t in _LINK.findall(text) if not re.match(r"[a-z]+:|#", t)]
        cited += [t.split(":")[0].rstrip("/.,") for t in _QUOTED.findall(text)]
    places = [ROOT, path.parent, ROOT / "scenarios", *bases]
    generated = {ROOT / g for g in generated}
    missing = []
    for target in dict.fromkeys(t for t in cited if t):
        found = any(
            (base / target).exists() or (base / target) in generated or any(base.glob(target))
            for base in places
        )
        if not found:
            missing.append(
                f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} cites {target}"
            )
    return missing
