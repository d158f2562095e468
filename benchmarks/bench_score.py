"""Benchmark: score a 5,000-department table with the Hangzhou 2011 rule.

Prints the wall time of `perfsim.score` on a DataFrame (parsing, validation, evaluation, output
table) and of the array pipeline alone, as the median of several runs.

    python benchmarks/bench_score.py [--departments 5000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

from perfsim import load_scenario, score
from perfsim.rules.pipeline import compile_rule, evaluate

ROOT = Path(__file__).resolve().parents[1]


def synthetic_table(rule, n: int, seed: int = 0) -> pd.DataFrame:
    """A table with every column the rule needs, random values in plausible ranges."""
    rng = np.random.default_rng(seed)
    frame = {"department": [f"unit{i:05d}" for i in range(n)]}
    if rule.classes:
        frame["class"] = rng.choice(rule.classes, n)
    for name in rule.indicators:
        frame[name] = rng.uniform(50, 100, n)
    for name, comp in rule.resolved_components().items():
        if comp.source == "column":
            frame[comp.column or name] = rng.uniform(0.7, 0.9, n) * comp.full_marks
    for name, adj in rule.adjustments.items():
        frame[adj.column or name] = rng.choice([0.0, 0.5, 1.0, 2.0], n)
    for col in rule.veto.columns:
        frame[col] = rng.random(n) < 0.01
    return pd.DataFrame(frame)


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--departments", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "hangzhou-2011.toml"))
    args = parser.parse_args()

    scenario = load_scenario(args.scenario)
    table = synthetic_table(scenario.rule, args.departments)
    full = timed(lambda: score(table, scenario), args.repeat)

    compiled = compile_rule(scenario.rule)
    x = table[list(compiled.indicators)].to_numpy(float)
    cols = table[list(compiled.column_names)].to_numpy(float) if compiled.column_names else None
    adj = table[list(compiled.adjustment_columns)].to_numpy(float) if compiled.adjustments else None
    classes = (
        pd.Categorical(table["class"], categories=list(compiled.classes)).codes
        if compiled.classes
        else None
    )
    core = timed(
        lambda: evaluate(compiled, x, classes=classes, columns=cols, adjustments=adj), args.repeat
    )

    print(f"scenario: {args.scenario}")
    print(
        f"departments: {args.departments}, indicators: {len(compiled.indicators)}, "
        f"components: {len(compiled.components)}"
    )
    print(
        f"perfsim.score (DataFrame in, ranked DataFrame out): {full * 1000:.1f} ms (median of {args.repeat})"
    )
    print(f"rules.pipeline.evaluate (arrays only):            {core * 1000:.1f} ms")


if __name__ == "__main__":
    main()
