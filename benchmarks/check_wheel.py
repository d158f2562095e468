"""Build a wheel, install it in a fresh virtual environment and use it from an empty directory.

    python benchmarks/check_wheel.py [WORKDIR]

The check of "the bundled scenarios ship with the package": nothing of the source tree is on the
path. The new environment reaches the installed dependencies (numpy, pandas, ...) through a
``.pth`` line naming this interpreter's site-packages (no download, no editable perfsim: that
folder's own ``.pth`` files are not run), and perfsim itself comes from the wheel only. In an empty
directory it then runs ``perfsim verify --only V1``, ``perfsim run hangzhou-2011``, a rule file on
``--world hangzhou-2011``, the README's ``scenarios/...`` paths and ``perfsim new rule``; each
command must exit 0 and the package must be the installed one. Prints the time of each step;
exits 1 on the first failure. ``tests/test_packaging.py`` runs it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
RULE = SCENARIOS / "rules" / "my-first-rule.toml"
#: What the copy of the source tree leaves out: at the top (build products, results, version
#: control, environments), and anywhere (caches).
NOT_SOURCE_TOP = {".git", "build", "dist", "results", ".venv", "venv", "perfsim.egg-info"}
NOT_SOURCE = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".ipynb_checkpoints")


def _not_source(folder: str, names: list[str]) -> set[str]:
    top = NOT_SOURCE_TOP if Path(folder) == ROOT else set()
    return {n for n in names if n in top} | NOT_SOURCE(folder, names)


def _run(cmd: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    started = time.perf_counter()
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    shown = " ".join(Path(c).name if i == 0 else c for i, c in enumerate(cmd))
    print(f"{time.perf_counter() - started:6.1f} s  exit {result.returncode}  {shown}", flush=True)
    if result.returncode != 0:
        print(result.stdout[-3000:], result.stderr[-3000:], sep="\n", file=sys.stderr)
        raise SystemExit(1)
    return result


def _check_contents(wheel: Path) -> None:
    """The wheel's ``perfsim/bundled/`` holds exactly the files of ``scenarios/`` (no scripts)."""
    with zipfile.ZipFile(wheel) as z:
        names = {n for n in z.namelist() if n.startswith("perfsim/bundled/")}
    shipped = {n.removeprefix("perfsim/bundled/") for n in names}
    expected = {
        p.relative_to(SCENARIOS).as_posix()
        for p in SCENARIOS.rglob("*")
        if p.is_file() and p.suffix != ".py" and "__pycache__" not in p.parts
    }
    if shipped != expected:
        print(
            f"wheel's bundled files differ from scenarios/: missing {sorted(expected - shipped)}, "
            f"extra {sorted(shipped - expected)}",
            file=sys.stderr,
        )
        raise SystemExit(1)
    print(f"         {len(shipped)} files of scenarios/ in {wheel.name}")


def _site_packages() -> Path:
    import numpy

    return Path(numpy.__file__).resolve().parents[1]


def check(work: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    wheels, venv, empty, src = work / "wheels", work / "venv", work / "empty", work / "src"
    empty.mkdir(parents=True)
    # a clean copy: no stale build/ (setuptools reuses it) and nothing written into the checkout
    shutil.copytree(ROOT, src, ignore=_not_source)
    _run(
        [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "-q", "-w", str(wheels)],
        work,
        env,
    )
    wheel = next(wheels.glob("perfsim-*.whl"))
    _check_contents(wheel)
    _run([sys.executable, "-m", "venv", str(venv)], work, env)
    python = venv / "bin" / "python"
    site = Path(
        _run(
            [str(python), "-c", "import site; print(site.getsitepackages()[0])"], work, env
        ).stdout.strip()
    )
    (site / "perfsim-deps.pth").write_text(f"{_site_packages()}\n", encoding="utf-8")
    _run([str(python), "-m", "pip", "install", "--no-deps", "-q", str(wheel)], work, env)
    where = _run([str(python), "-c", "import perfsim; print(perfsim.__file__)"], empty, env)
    if not Path(where.stdout.strip()).is_relative_to(site):
        print(f"perfsim came from {where.stdout.strip()}, not the wheel", file=sys.stderr)
        raise SystemExit(1)
    perfsim = [str(venv / "bin" / "perfsim")]  # the console script the wheel installs
    listed = _run([*perfsim, "scenarios"], empty, env).stdout
    if str(site) not in listed or "hangzhou-2011" not in listed:
        print(f"the bundled scenarios are not the package data:\n{listed}", file=sys.stderr)
        raise SystemExit(1)
    (empty / "my-rule.toml").write_text(RULE.read_text(encoding="utf-8"), encoding="utf-8")
    quick = ["--reps", "5", "--quiet"]
    _run([*perfsim, "verify", "--reps", "50", "--only", "V1", "--quiet"], empty, env)
    _run([*perfsim, "run", "hangzhou-2011", *quick], empty, env)
    _run([*perfsim, "run", "my-rule.toml", "--world", "hangzhou-2011", *quick], empty, env)
    _run([*perfsim, "validate", "scenarios/hangzhou-2011.toml"], empty, env)
    _run([*perfsim, "new", "rule", "starter.toml"], empty, env)
    _run([*perfsim, "run", "starter.toml", "--world", "hangzhou-2011", *quick], empty, env)
    left = sorted(p.name for p in empty.iterdir())
    print(f"ok: {wheel.name} works from an empty directory (it now holds {', '.join(left)})")


def main() -> int:
    if len(sys.argv) > 1:
        check(Path(sys.argv[1]))
        return 0
    with tempfile.TemporaryDirectory(prefix="perfsim-wheel-") as tmp:
        check(Path(tmp))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
