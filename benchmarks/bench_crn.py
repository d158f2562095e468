"""Error of the best response's expected-reward estimator against the number S of common random
numbers, per sampling scheme (``world.sampling``: mc, antithetic, lhs; and scrambled Sobol', here
only for comparison).

At a fixed profile (each scenario's final-period choices of a best-response run, ``--profile-samples``
plain MC draws), a department's expected reward and its slope in the own score (``marginal``: what
effort responds to) are estimated ``--repeats`` times from independent draws of S samples, and
compared with a reference estimate from ``--ref-samples`` Latin-hypercube draws (its own error is
then far below that of any S studied). Printed per scenario,
scheme and S: the root-mean-square error over replications, departments and repeats, relative to
the mean absolute slope of the reference (for the reward too: an error of 0.05 is the reward of
5 % of a point of score at the mean slope), and the variance-reduction factor
MSE(mc) / MSE(scheme) at the same S.

With ``--equilibrium``: the equilibrium (per department: effort per task, gaming per indicator,
grade, reward) under each ``--candidates`` scheme:S against ``mc:256``, replication by replication
on the same population and the same realised noise (only the common random numbers differ); per
quantity the mean difference over replications in units of its paired standard error (z), the
largest |z| against the Bonferroni bound over all quantities (the test of
``tests/test_crn.py``), and the mean effort's and gaming's change in units of their Monte Carlo SE.

    python benchmarks/bench_crn.py [--reps 2] [--repeats 12] [--ref-samples 4096]
    python benchmarks/bench_crn.py --equilibrium [--eq-reps 40] [--candidates lhs:16 mc:16]

With ``--ratios``: the best response / naive CPU ratio of ``benchmarks/bench_engine.py`` for the
Hangzhou scenario at mc:32 (its sampling before Latin hypercubes), lhs:16 and lhs:8, at 100
replications and at 1,000 departments, all in this process; and with ``--headline`` each run
metric of Hangzhou (100 replications, seed 0) at lhs:16 against mc:32, in units of its MC SE.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy.special import ndtri
from scipy.stats import norm, qmc

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = {
    "hangzhou": "scenarios/hangzhou-2011.toml",
    "tournament": "scenarios/teaching/tournament.toml",
    "v2q-quota": "scenarios/theory/v2q-quota.toml",
}
SCHEMES = ("mc", "antithetic", "lhs", "sobol")


def sobol_normals(rng: np.random.Generator, samples: int, shape: tuple[int, ...]) -> np.ndarray:
    """Scrambled Sobol' points, one independently scrambled sequence per replication (the first
    axis of ``shape``), mapped through Φ⁻¹."""
    reps, rest = shape[0], int(np.prod(shape[1:]))
    out = np.empty((samples, reps, rest))
    for b in range(reps):
        out[:, b] = qmc.Sobol(rest, scramble=True, rng=rng).random(samples)
    return ndtri(out).reshape(samples, *shape)


def draws(rng, scheme: str, samples: int, shape: tuple[int, ...]) -> np.ndarray:
    from perfsim.world.draws import crn_normals

    if scheme == "sobol":
        return sobol_normals(rng, samples, shape)
    return crn_normals(rng, scheme, samples, shape)


def profile(path: str, reps: int, samples: int, seed: int):
    """The scenario's model and a best-response profile (final period) of ``reps`` replications."""
    import perfsim
    from perfsim import engine

    sc = perfsim.load_scenario(ROOT / path, [f"world.samples={samples}", "world.periods=1"])
    model = engine.build(sc)
    state = engine.run_block(model, seed, 0, reps, keep_state=True).state
    return model, state


def estimate(model, state, scheme: str, samples: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Expected reward and its slope in the own score, (B, D) each, from fresh draws."""
    from perfsim.world.context import Context
    from perfsim.world.profile import evaluate_profile

    c, w = model.rule, model.world
    effort, gaming = state["effort"], state["gaming"]
    reps, n = effort.shape[:2]
    ctx = Context.build(
        model.scenario,
        c,
        w,
        ability=state["ability"],
        theta=state["productivity"],
        eps=draws(rng, scheme, samples, (reps, n, len(c.indicators))),
        eta=draws(rng, scheme, samples, (reps, n, len(w.raters))),
    )
    targets = np.broadcast_to(np.nan_to_num(c.target, nan=0.0), gaming.shape)
    prof = evaluate_profile(ctx, effort, gaming, targets)
    return prof["reward"], prof["marginal"]


def study(name: str, args) -> None:
    model, state = profile(SCENARIOS[name], args.reps, args.profile_samples, args.seed)
    rng = np.random.default_rng([args.seed, 1])
    ref_r, ref_m = estimate(model, state, "lhs", args.ref_samples, rng)
    scale_r = scale_m = float(np.abs(ref_m).mean())
    print(
        f"\n{name}: {model.world.n_dept} departments, {len(model.rule.indicators)} indicators, "
        f"{len(model.world.raters)} raters; reference: {args.ref_samples} LHS draws; mean |slope| {scale_m:.4g}"
        f" (reward per point of score); cross-department sd of reward {ref_r.std(axis=1).mean():.4g}"
    )
    print(
        f"  {'scheme':<11}{'S':>5}  {'rmse reward':>12}{'rmse slope':>12}{'VR reward':>11}{'VR slope':>10}"
    )
    mse_mc: dict[int, tuple[float, float]] = {}
    for scheme in SCHEMES:
        for s in args.sizes:
            err_r, err_m = [], []
            for _ in range(args.repeats):
                r, m = estimate(model, state, scheme, s, rng)
                err_r.append(np.mean((r - ref_r) ** 2))
                err_m.append(np.mean((m - ref_m) ** 2))
            mse = (float(np.mean(err_r)), float(np.mean(err_m)))
            if scheme == "mc":
                mse_mc[s] = mse
            vr = [mse_mc[s][i] / max(mse[i], 1e-300) for i in range(2)]
            print(
                f"  {scheme:<11}{s:>5}  {np.sqrt(mse[0]) / scale_r:12.4f}"
                f"{np.sqrt(mse[1]) / scale_m:12.4f}{vr[0]:11.1f}{vr[1]:10.1f}"
            )


def equilibria(
    path, overrides, scheme: str, samples: int, reps: int, seed: int
) -> dict[str, np.ndarray]:
    """Per replication and department, the equilibrium's effort (per task), gaming (per indicator),
    grade and reward: ``(rep, dept, ...)``. Replication b is block b of one replication, so its
    population and realised noise depend on the seed and b only, not on the sampling."""
    import perfsim
    from perfsim import engine

    sampling = [f'world.sampling="{scheme}"', f"world.samples={samples}"]
    sc = perfsim.load_scenario(path, [*overrides, *sampling])
    model = engine.build(sc)
    out: dict[str, list] = {k: [] for k in ("effort", "gaming", "grade", "reward")}
    for b in range(reps):
        sums = engine.run_block(model, seed, b, 1).departments
        for k in out:
            out[k].append(sums[k])
    return {k: np.stack(v) for k, v in out.items()}


def compare(ref: dict, new: dict, level: float = 0.001) -> dict[str, float]:
    """The paired comparison of two :func:`equilibria`: per quantity (department × column) the
    mean difference over replications over its standard error; ``max_z`` the largest |z|,
    ``bound`` the two-sided Bonferroni bound at family level ``level``, ``effort_se`` and
    ``gaming_se`` the change of the mean effort and gaming in units of their Monte Carlo SE."""
    zs = []
    for k in ref:
        d = (new[k] - ref[k]).reshape(ref[k].shape[0], -1)
        se = d.std(axis=0, ddof=1) / np.sqrt(d.shape[0])
        moved = np.abs(d.mean(axis=0))
        zs.append(
            np.where(se > 0, moved / np.where(se > 0, se, 1.0), np.where(moved > 1e-9, np.inf, 0.0))
        )
    z = np.concatenate(zs)
    out = {"max_z": float(z.max()), "bound": float(norm.isf(level / (2 * z.size))), "n": z.size}
    for k in ("effort", "gaming"):
        axes = tuple(range(1, ref[k].ndim))
        per_rep, diff = ref[k].mean(axis=axes), (new[k] - ref[k]).mean(axis=axes)
        se = per_rep.std(ddof=1) / np.sqrt(per_rep.size)
        se_diff = diff.std(ddof=1) / np.sqrt(diff.size)
        out[f"{k}_se"] = float(diff.mean() / se) if se > 0 else 0.0
        out[f"{k}_z"] = float(diff.mean() / se_diff) if se_diff > 0 else 0.0
        out[f"{k}_pct"] = float(100 * diff.mean() / per_rep.mean()) if per_rep.mean() else 0.0
    return out


EQUILIBRIUM_CASES = {
    "hangzhou": ("scenarios/hangzhou-2011.toml", []),
    "tournament q=0.4": ("scenarios/teaching/tournament.toml", []),
    "tournament q=0.2": ("scenarios/teaching/tournament.toml", ["rule.grading.quota.优秀=0.2"]),
    "v2q-quota": ("scenarios/theory/v2q-quota.toml", []),
    "threshold": ("scenarios/teaching/threshold.toml", []),
    # the ministry's plan: within its classes of 14, 9 and 7 units, 2, 1 and 1 优秀 places
    "mlr-2011": ("scenarios/mlr-2011.toml", []),
}


def equilibrium_study(args) -> None:
    import perfsim

    for name, (path, overrides) in EQUILIBRIUM_CASES.items():
        sc = perfsim.load_scenario(ROOT / path, overrides)
        reps = args.eq_reps if sc.world.departments <= 100 else max(8, args.eq_reps // 3)
        ref = equilibria(ROOT / path, overrides, "mc", 256, reps, args.seed)
        print(f"\n{name}: {sc.world.departments} departments, {reps} replications; against mc:256")
        for cand in args.candidates:
            scheme, samples = cand.split(":")
            res = compare(
                ref, equilibria(ROOT / path, overrides, scheme, int(samples), reps, args.seed)
            )
            print(
                f"  {cand:<14} max |z| {res['max_z']:6.2f} (bound {res['bound']:.2f} over "
                f"{res['n']} quantities); mean effort {res['effort_pct']:+.2f} % = "
                f"{res['effort_se']:+.2f} MC SE (paired z {res['effort_z']:+.1f}), gaming "
                f"{res['gaming_pct']:+.2f} % = {res['gaming_se']:+.2f} MC SE"
            )


RATIO_CONFIGS = (("mc", 32), ("lhs", 16), ("lhs", 8))


def ratios(reps: int, repeat: int = 5) -> None:
    """Best response / naive CPU time for each sampling of :data:`RATIO_CONFIGS`, over one naive
    time per scale (the least of ``repeat`` runs, taken in this process as
    ``bench_engine.response_ratio`` takes it), so that the configurations share a denominator."""
    import time

    import perfsim

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_engine

    path = str(ROOT / SCENARIOS["hangzhou"])
    for scale in ([], ["world.departments=1000"]):
        sc = perfsim.load_scenario(path, scale)
        naive = min(bench_engine.time_policy(sc, "naive", reps)[0] for _ in range(repeat))
        print(
            f"{sc.world.departments:,} departments, {reps} replications: naive {naive * 1e3:.1f} ms"
        )
        for scheme, samples in RATIO_CONFIGS:
            over = [*scale, f'world.sampling="{scheme}"', f"world.samples={samples}"]
            t0 = time.process_time()
            res = perfsim.simulate(path, reps=reps, seed=0, overrides=over)
            best = time.process_time() - t0
            meta = res.metadata
            print(
                f"  {scheme}:{samples:<4} best response {best:6.2f} s = {best / naive:5.0f}× naive;"
                f" iterations mean {meta.get('iterations_mean', float('nan')):.1f}, max "
                f"{meta.get('iterations_max')}; converged {meta.get('converged_share', 1):.1%}"
            )


def headline(reps: int, seed: int) -> None:
    import perfsim

    path = ROOT / SCENARIOS["hangzhou"]
    runs = {
        name: perfsim.simulate(
            path, reps=reps, seed=seed, overrides=[f'world.sampling="{s}"', f"world.samples={n}"]
        ).metrics.set_index("metric")
        for name, (s, n) in {"before": ("mc", 32), "after": ("lhs", 16)}.items()
    }
    before, after = runs["before"], runs["after"]
    print(f"Hangzhou, {reps} replications, seed {seed}: mc:32 (before) → lhs:16 (after)")
    for metric in before.index:
        b, a, se = before.at[metric, "mean"], after.at[metric, "mean"], before.at[metric, "se"]
        moved = (a - b) / se if se > 0 else float("nan")
        print(f"  {metric:<34}{b:10.4g} → {a:10.4g}   (SE {se:.3g}; moved {moved:+.2f} SE)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", nargs="+", default=list(SCENARIOS), choices=list(SCENARIOS))
    parser.add_argument("--sizes", type=int, nargs="+", default=[8, 16, 32, 64, 256])
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=12)
    parser.add_argument("--ref-samples", type=int, default=4096)
    parser.add_argument("--profile-samples", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--equilibrium", action="store_true")
    parser.add_argument("--ratios", action="store_true")
    parser.add_argument("--headline", action="store_true")
    parser.add_argument("--eq-reps", type=int, default=40)
    parser.add_argument("--candidates", nargs="+", default=["lhs:8", "lhs:16", "mc:16", "mc:32"])
    args = parser.parse_args()
    if args.ratios or args.headline:
        if args.ratios:
            ratios(100)
        if args.headline:
            headline(100, args.seed)
        return
    if args.equilibrium:
        equilibrium_study(args)
        return
    for name in args.scenarios:
        study(name, args)


if __name__ == "__main__":
    main()
