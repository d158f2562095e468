"""One module of report sections per result kind: run (and what a comparison shares with it),
comparison, sensitivity, empirical."""
