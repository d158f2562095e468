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
"""

MODEL_REVISION = 4
