"""Where the bundled scenarios are: package data in an installed wheel, ``scenarios/`` in a checkout.

The repository keeps the scenarios at its top level (``scenarios/``, where users and the docs find
them); ``setup.py`` maps the package ``perfsim.bundled`` onto that folder, so a wheel installs them
as ``perfsim/bundled/``. :func:`bundled_root` looks there first (through :mod:`importlib.resources`)
and falls back to the checkout's ``scenarios/`` (an editable install, or ``PYTHONPATH``). Nothing
here imports the rest of perfsim.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

#: Subfolder of the installed package that holds the scenarios (setup.py: package_dir).
PACKAGED = "bundled"
#: A file every copy of the bundled scenarios has: how a folder is recognised as one.
MARKER = "hangzhou-2011.toml"


def packaged_root() -> Path | None:
    """``perfsim/bundled`` inside an installed (non-editable) package, if it is there."""
    root = resources.files("perfsim") / PACKAGED
    if isinstance(root, Path) and (root / MARKER).is_file():
        return root
    return None


def source_root() -> Path | None:
    """``scenarios/`` beside the package in a source checkout, if it is there."""
    root = Path(__file__).resolve().parents[2] / "scenarios"
    return root if (root / MARKER).is_file() else None


def bundled_root() -> Path:
    """The folder of the bundled scenarios: the installed package data, else the checkout's
    ``scenarios/`` (a path that does not exist when neither is found: lookups then fail with
    "file not found" naming it)."""
    return packaged_root() or source_root() or Path(__file__).resolve().parents[2] / "scenarios"


BUNDLED_SCENARIOS = bundled_root()


def bundled_worlds() -> list[str]:
    """Names of the top-level bundled scenarios that have a ``[world]`` (usable as ``--world``)."""
    names = []
    for path in sorted(BUNDLED_SCENARIOS.glob("*.toml")):
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
        if isinstance(raw.get("world"), dict) and "tasks" in raw["world"]:
            names.append(path.stem)
    return names


def bundled_name(path: str | Path) -> str | None:
    """The name a bundled file goes by (``hangzhou-2011``, ``teaching/goodhart``,
    ``data/hangzhou-2011-units.csv``: a scenario without its ``.toml``) when ``path`` is an
    absolute path into the bundled scenarios — where an installed perfsim keeps them, inside the
    Python environment, a path that is no use on another machine — else None."""
    p = Path(path)
    if not p.is_absolute():
        return None
    try:
        rel = p.resolve().relative_to(BUNDLED_SCENARIOS.resolve())
    except (ValueError, OSError):
        return None
    return rel.with_suffix("").as_posix() if rel.suffix == ".toml" else rel.as_posix()
