"""Helpers shared by the tests."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the perfsim CLI in a subprocess, as a user would (``env``: variables set for it)."""
    env = dict(os.environ, PYTHONIOENCODING="utf-8", **(env or {}))
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


#: the longest single wait for a message from a notebook's kernel (seconds)
POLL_SLICE = 1.0


def notebook_client(book, **options):
    """An nbclient ``NotebookClient`` for ``book`` whose waits for the kernel's messages poll at
    most :data:`POLL_SLICE` seconds at a time, until the same deadline as one long wait.

    zmq's asyncio poll can miss the wake-up of a message that has already arrived (nbclient issue
    312: cells with widgets): the wait then lasts its whole timeout, 300 s per cell, although the
    reply is there, and ends without an error (the poll looks once more at its deadline). With two
    test workers under load it happened to a widget cell of notebook 02 in every run. A short poll
    looks again within a second."""
    import nbclient

    client = nbclient.NotebookClient(book, **options)

    def slice_waits(**_) -> None:
        for channel in (client.kc.shell_channel, client.kc.iopub_channel):
            if not getattr(channel.get_msg, "sliced", False):
                channel.get_msg = _sliced(channel.get_msg)

    client.on_cell_start = slice_waits
    return client


def _sliced(get_msg):
    async def sliced(timeout: float | None = None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = POLL_SLICE if deadline is None else deadline - time.monotonic()
            try:
                return await get_msg(timeout=max(0.0, min(POLL_SLICE, left)))
            except queue.Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise

    sliced.sliced = True
    return sliced
