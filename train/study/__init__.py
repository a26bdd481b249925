"""``train all``: the study (phases and baselines over seeds and fractions), its results,
statistics, plots and report."""
