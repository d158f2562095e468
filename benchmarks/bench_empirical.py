"""Benchmark perfsim empirical on synthetic Hangzhou pilots (perfsim.empirical.synthetic).

1. Coverage: the share of units whose true rank (the rule on the generator's expected points) lies in
   the bootstrap rank interval, over repeated synthetic data sets, at 90 % and 95 %.
2. Calibration: the share of group leniencies and noises whose 95 % interval (± 1.96 SE) covers the
   generator's value, over the same data sets.
3. Speed: reading, the bootstrap (1,000 replicates) and the whole analysis of the bundled pilot.

    python benchmarks/bench_empirical.py [--datasets 40] [--reps 1000]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
HANGZHOU = ROOT / "scenarios" / "hangzhou-2011.toml"


def main() -> None:
    from perfsim.empirical import analyze, bootstrap_ranks, calibrate, read_ratings, synthetic_pilot
    from perfsim.empirical.scores import RuleScorer

    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", type=int, default=40)
    ap.add_argument("--reps", type=int, default=1000)
    args = ap.parse_args()

    cover = {0.9: [], 0.95: []}
    widths = []
    z_hits, z_all = 0, 0
    for d in range(args.datasets):
        p = synthetic_pilot(HANGZHOU, seed=1000 + d)
        r = read_ratings(p.ratings)
        scorer = RuleScorer(p.scenario.rule, p.units, r.units)
        comps = {k: k for k in scorer.rated_components}
        true = None
        for level in cover:
            u = bootstrap_ranks(r, scorer, comps, reps=args.reps, level=level, seed=d)
            true = p.truth.rank.reindex(u.table["unit"]).to_numpy()
            inside = (u.table["rank_low"] <= true) & (true <= u.table["rank_high"])
            cover[level].append(inside.mean())
            if level == 0.95:
                widths.append((u.table["rank_high"] - u.table["rank_low"]).mean())
        if d < 10:
            cal = calibrate(r, p.scenario, reps=5, seed=d)
            g = cal.groups[cal.groups["component"] == "社会评价"].set_index("rater_group")
            t = p.truth.survey_groups.set_index("group")
            for col, se in (("leniency", "leniency_se"), ("noise", "noise_se")):
                z = (g.loc[t.index, col] - t[col]) / g.loc[t.index, se]
                z_hits += int((np.abs(z) <= 1.96).sum())
                z_all += len(z)
    n_units = len(true)
    print(f"rank-interval coverage over {args.datasets} synthetic pilots ({n_units} units each):")
    for level, values in cover.items():
        v = np.asarray(values)
        se = v.std(ddof=1) / np.sqrt(v.size)
        print(f"  nominal {level:.0%}: {v.mean():.3f} ± {se:.3f} (min {v.min():.3f})")
    print(f"  mean 95 % interval width: {np.mean(widths):.1f} ranks")
    print(
        f"calibration: {z_hits} of {z_all} group leniencies/noises within ± 1.96 SE "
        f"({z_hits / max(z_all, 1):.3f}; nominal 0.95), 10 data sets"
    )

    pilot = ROOT / "scenarios" / "data" / "hangzhou-2011-pilot-ratings.csv.gz"
    units = ROOT / "scenarios" / "data" / "hangzhou-2011-pilot-units.csv"
    t0 = time.perf_counter()
    r = read_ratings(pilot)
    t1 = time.perf_counter()
    p = synthetic_pilot(HANGZHOU)
    scorer = RuleScorer(p.scenario.rule, p.units, r.units)
    t2 = time.perf_counter()
    bootstrap_ranks(r, scorer, {k: k for k in scorer.rated_components}, reps=1000)
    t3 = time.perf_counter()
    analyze(pilot, rule=HANGZHOU, units=units, reps=1000)
    t4 = time.perf_counter()
    print(f"bundled pilot: {len(r.frame):,} ratings by {r.frame['rater'].nunique():,} raters")
    print(f"  read + validate {t1 - t0:.2f} s; bootstrap 1,000 replicates {t3 - t2:.2f} s")
    print(f"  whole analysis (with calibration, reliability, effects) {t4 - t3:.2f} s")


if __name__ == "__main__":
    main()
