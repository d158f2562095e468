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
"""

MODEL_REVISION = 3
