"""The simulation model's revision: one integer, raised whenever a change makes the engine produce
different numbers for the same scenario and seed (a bug fixed, a behaviour added, a solver changed).

The package version says which code ran; the model revision says which *numbers* to expect. It is
written to every run's metadata and is part of a sensitivity run folder's hash, so that a resumed
sensitivity analysis never mixes chunks computed by two revisions of the model.

History:

1. the engine as first released (one convergence test per block of replications).
2. per-replication fixed points, global best responses (fixed penalties, vetoes), veto voids the
   evaluation reward.
3. ``world.horizon`` (a finite horizon under ratcheted targets; the default, stationary, is as
   before); a best response whose period repeats the last period's problem (same targets, same
   period factor, no early warning: multi-period runs with fixed targets) keeps its fixed point
   instead of iterating once more from it.
4. best responses with Anderson mixing and per-department damping (a few departments at a grade
   cut-off settle on another self-consistent choice: Hangzhou's gaming share moves by 0.2 Monte
   Carlo SE); a new metric, ``quota_below_threshold``; ``top_in_bottom`` undefined with one band.
5. best responses at the reporting ceiling: a gaming candidate earns no credit past the ceiling,
   the interior gaming point takes the marginal score at its own level (a vectorised Newton root,
   ``world/kinks.py``), the z-score slope counts the department's own effect on the group's mean
   and sd and is weighted smoothly over the samples below the ceiling, the min-max slope is 0 for
   the group's min and max; common random numbers by Latin hypercube (``world.sampling``, 16
   samples by default); grades are worth their promotion and budget value to the departments
   (``world.promotion_value``, ``world.budget_*``, budgets and reputation carried over years);
   events (创新创优 / 创先争优 items, deductions, veto events: ``world.events``) and force-majeure
   relief are simulated; evaluation cost per rater group, per audit and per year (a share-0 group
   costs nothing). The pilot scenarios value promotion and simulate their events, so their numbers
   move (see the curated examples' notes); theory and teaching scenarios without the new keys
   move within Monte Carlo error.
6. best responses that creep or freeze: a replication whose residual has grown six iterations
   running stops Anderson mixing and takes damped steps (it crept away from an unstable interior
   fixed point near a cut-off), and a department whose gaming choice froze takes, with a veto, the
   effort that answers the frozen gaming. Hangzhou's slowest replication settles in 67 iterations
   instead of 214; the pilots' numbers move by at most 0.13 Monte Carlo SE. A period solved warm
   from the last period's fixed point mixes from its first step (multi-period runs: their
   equilibria within the tolerance of before; one-period runs unchanged).
7. min-max and paused mixing: the min-max slope is taken in the department's noise-free level
   with its own noise integrated (``rules/slopes.py``, ``minmax_in_level``), not at the sampled
   value where it was 0 for a sample's max and min (Hangzhou under min-max: 0 % of replications
   converged, now 99-100 %); a replication whose residual grew six iterations running pauses
   Anderson mixing for ten iterations instead of stopping it for good (departments contesting
   one quota place spiralled on damped steps; among the 28 Sobol samples of the curated example
   that had an unconverged replication, 43 of 560 replications did not converge, now 22). Every
   best-response equilibrium moves within the solver's tolerance.
8. the ``inflation`` metric signs each indicator's gap by its direction: a cost indicator reported
   lower than the truth (gaming lowers it) counts as inflation, as a benefit indicator reported
   higher does; it counted against it, so a rule whose departments gamed a cost indicator showed
   negative inflation. Only scenarios with cost indicators move (of the bundled ones, the teaching
   sensitivity demo); the curated examples (Hangzhou: benefit indicators only) give the same
   numbers, and their metadata still records revision 7.
9. ``class_bias`` is the systematic gap between classes: in each replication, the gap at equal true
   value between the two classes of highest and lowest *mean* intercept over all the run's
   replications (``metrics.systematic_class_bias``), not the range of that replication's own
   intercepts. Noise gave every replication a positive range, so two identical classes showed a
   bias (V5 with equal visibility: the old mean is the mean |gap|, 10 and more of its standard
   errors; now within 3 of 0) and a compare gave verdicts on noise. Every multi-class scenario's
   class_bias moves down; no other metric moves.
10. percentile ranks in the best response: a department's expected percentile score and its slope
   are taken in its noise-free level with its own noise integrated exactly against the others'
   sampled values (``rules/slopes.py``, ``percentile_in_level``), not from its sampled rank, a
   step function of its own value. Hangzhou under percentile ranks settles in 97.5 % of 40
   replications instead of 35 % (seed 1; 42.5 % and 2.5 % at seed 0, with and without classes,
   now 97.5 % both); the ministry's plan in 40 % instead of 0 %. Only rules with percentile
   normalisation move (no bundled scenario has one).
11. gaming candidates held with hysteresis (``world/regimes.py``): a department keeps the gaming
   candidate it picked, recomputed at each profile, unless another beats it by 0.1 % of the prize
   range (doubled at each switch after four); a department that switched four times no longer
   keeps a stale gaming *value* for good. Checked against a grid search over gaming at the fixed
   point (teaching promotion scenario, seeds 0–7): 12–16 % of the departments forwent more than
   0.3 % of the prize range, up to 38 %; now at most 2 of 400, by at most 2 %. The promotion
   scenario's gaming share falls from 0.30 to 0.25 and its Kendall τ from 0.60 to 0.52; Hangzhou
   and the ministry's plan move within Monte Carlo error (Hangzhou: 17.4 iterations on average
   rather than 19.1). A new diagnostic, ``choice_gap``, and a warning above 1 %. Departments that
   settled are skipped until the replication's next full iteration (``Schedule``; since revision
   10's last numbers: every equilibrium within the tolerance).
12. target attainment's cap in the best response: a department's marginal score is weighted
   smoothly over the samples below the cap (a kernel in its own level, as for the ceiling since
   revision 5, ``world/marginals.py``, ``target_slope``), not cut to zero in each sample past it,
   a step function of its own level. A new user's rule with capped targets and a 20 % quota for
   the top grade settled in 15 of 80 replications instead of 1. Only rules that score by target
   attainment move (no bundled scenario does; the curated examples' metadata still records 11).
13. metrics without a meaning are undefined, not 0: under a rule with one grade band,
   ``top_missed`` and ``bottom_missed`` (as ``top_in_bottom`` already was); in a world with one
   class of units, ``class_bias``. A 0 read as a perfect rule ("0 ± 0, lower is better") in the
   teaching scenarios with one band or one class. No other number moves.
14. the best response's normal distribution function Φ (and density φ) is computed vectorised
   (``world/normal.py``: Cephes' algorithm, as scipy's, with numpy's exponential: within 4 units
   in the last place of scipy's), and the interior gaming point's Newton steps take Φ and φ from
   one exponential (Φ scipy's to the last bit; before, the C library's ``erfc``). Only rounding
   moves, and what rounding tips: at 20 replications of every bundled best-response scenario the
   metrics' means move by at most 1.2e-13, with the same iterations; the curated reform comparison
   and rule search keep every shown digit; in the curated Sobol run (640 varied scenarios) 36 of
   the 433 samples that settled cleanly moved, 17 by more than 0.001 (departments at a cut-off,
   where several choices are self-consistent), and its outcome indices by at most 0.04.
15. the true top group of ``top_missed`` and ``top_in_bottom`` under quotas taken within each
   class holds the places every class's quota admits together, with the rule's rounding
   (Hangzhou's classes of 24, 18 and 24 units at 15 %: 3 + 2 + 3 = 8), as under a global quota
   (9 of 66), not the nominal share of all units floored. A 20 % quota that rounds to the
   same places as 15 % (the ministry's classes of 14, 9 and 7: 2 + 1 + 1) counted a true top of
   6 rather than 4, so a comparison called the two identical rules not comparable; rules are now comparable on these
   metrics when their true top groups differ by less than 2 % of the units. Only rules graded
   within class whose summed places differ from ⌊q · N⌋ move (no bundled scenario: the
   ministry's 15 % gives 4 either way; the curated reform comparison's within-class variant and
   the Sobol run's within-class samples do).
16. effort is a global best response too (``world/payoff.py``, ``effort_candidates``): no effort
   for the reward, and the peak of the expected utility on each threshold band's stretch, are
   weighed against the first-order conditions' effort (under a threshold a department started
   at no effort stayed there, and one started high could work at a loss). Hangzhou's numbers
   move by less than 0.001 SE (its ``choice_gap`` 0.0010 → 0.0050, its iterations 17.4 → 17.8);
   the ministry's plan by up to 1.1 SE (welfare loss 0.1239 → 0.1227); the teaching threshold
   scenario's welfare loss 0.08557 → 0.08553; the pilot calibration's base world with them.
17. from 200 departments the best response checks convergence less often (``Schedule`` in
   ``world/response.py``: a full iteration once the computed departments' residual is within the
   tolerance rather than three, and every 16 iterations rather than 8). Only the path moves, so
   only where within the tolerance each replication stops: runs of fewer than 200 departments
   (every bundled pilot and teaching scenario, the curated results) keep their numbers; the
   theory scenario V2q (200 departments) moves within its Monte Carlo error.
"""

MODEL_REVISION = 17
