"""Hash the numeric outputs of every bundled scenario, so that a refactoring can show it changed no number.

    python benchmarks/hash_outputs.py              # print one line per output file, then a total
    python benchmarks/hash_outputs.py > before.txt # ... refactor ...
    python benchmarks/hash_outputs.py | diff before.txt -
    python benchmarks/hash_outputs.py 6 --set 'world.policy="naive"'   # every run with this key

Every bundled scenario with a ``[world]`` is run with its own policy (few replications, to keep this
quick) through ``perfsim run``'s writer; the sensitivity demo through a small Sobol run; the bundled
synthetic pilot through ``perfsim empirical``. Files holding times or versions (``metadata.json``,
``sensitivity.json``, ``empirical.json``, reports, figures) are left out: they change on every run.
"""

from __future__ import annotations

import hashlib
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
HASHED = {".csv", ".toml", ".parquet"}
SKIP_DIRS = {"figures", "chunks"}


def _digest(folder: Path) -> list[tuple[str, str]]:
    rows = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix in HASHED and not SKIP_DIRS & set(path.parts):
            data = path.read_bytes().replace(str(ROOT).encode(), b"ROOT")  # checkout-independent
            rows.append((str(path.relative_to(folder)), hashlib.sha256(data).hexdigest()[:16]))
    return rows


def main() -> int:
    from perfsim.cli import main as cli

    args = sys.argv[1:]
    reps = int(args.pop(0)) if args and not args[0].startswith("--") else 6
    sets = []  # --set PATH=VALUE, passed on to every perfsim run
    while args[:1] == ["--set"] and len(args) >= 2:
        sets += args[:2]
        del args[:2]
    if args:
        print(f"unknown arguments {args}; usage: hash_outputs.py [REPS] [--set PATH=VALUE]...")
        return 2
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        for scenario in sorted(SCENARIOS.rglob("*.toml")):
            text = scenario.read_text(encoding="utf-8")
            if "[world" not in text:
                continue
            name = str(scenario.relative_to(SCENARIOS).with_suffix(""))
            out = base / name.replace("/", "__")
            code = cli(
                ["run", str(scenario), "--reps", str(reps), "--out", str(out), "--quiet", *sets]
            )
            if code:
                print(f"{name}: perfsim run exited {code}", file=sys.stderr)
                return code
            lines += [f"run {name} {f} {h}" for f, h in _digest(out)]
        out = base / "sensitivity"
        code = cli(
            [
                "sensitivity", str(SCENARIOS / "teaching" / "sensitivity-demo.toml"),
                "--method", "sobol", "--n", "8", "--reps", "2", "--out", str(out), "--quiet",
            ]
        )  # fmt: skip
        if code:
            return code
        lines += [f"sensitivity demo {f} {h}" for f, h in _digest(out) if f != "samples.parquet"]
        out = base / "empirical"
        data = SCENARIOS / "data"
        code = cli(
            [
                "empirical", str(data / "hangzhou-2011-pilot-ratings.csv.gz"),
                "--rule", str(SCENARIOS / "hangzhou-2011.toml"),
                "--units", str(data / "hangzhou-2011-pilot-units.csv"),
                "--variant", "social40:rule.components.社会评价.share=0.4",
                "--reps", "50", "--out", str(out), "--quiet",
            ]
        )  # fmt: skip
        if code:
            return code
        lines += [f"empirical pilot {f} {h}" for f, h in _digest(out)]
    for line in lines:
        print(line)
    total = hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]
    print(f"TOTAL {len(lines)} files {total}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
